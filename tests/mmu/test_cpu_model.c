/* tests/mmu/test_cpu_model.c - CPU-model presets: every preset has non-zero geometry and a
 * source for every number (estimates say so), valid geometry; overrides parse and reject bad
 * specs; JSON records the geometry used; --cpu help lists everything. */
#include <errno.h>
#include <string.h>

#include "mmu/cpu_model.h"
#include "testutil.h"

static void test_presets(void)
{
    static const char *names[] = {"cortex-a57", "neoverse-n1", "skylake", "icelake"};
    for (unsigned i = 0; i < 4; i++) {
        const struct mmu_cpu_model *m = mmu_cpu_model_find(names[i]);
        CHECK(m != NULL);
        if (!m)
            continue;
        CHECK_STR(m->name, names[i]);
        CHECK(m->cache_enabled);
        char err[128] = "";
        CHECK_EQ(mmu_cpu_model_check(m, err, sizeof(err)), 0);
        for (unsigned f = 0; f < MMU_CM_NFIELDS; f++) {
            if (!mmu_cpu_field_get(m, f) || !m->src[f] || strlen(m->src[f]) < 8)
                fprintf(stderr, "  %s.%s: value %u source %s\n", m->name, mmu_cpu_field_name(f),
                        (unsigned)mmu_cpu_field_get(m, f), m->src[f] ? m->src[f] : "(null)");
            CHECK(mmu_cpu_field_get(m, f) != 0);
            CHECK(m->src[f] && strlen(m->src[f]) >= 8);
        }
    }
    CHECK(mmu_cpu_model_at(4) == NULL);
    CHECK(mmu_cpu_model_find("pentium") == NULL);
    CHECK(mmu_cpu_model_find(NULL) == NULL);
    /* values from xen-abi.md §9(d) */
    const struct mmu_cpu_model *s = mmu_cpu_model_find("skylake");
    CHECK_EQ(s->stlb_entries, 1536);
    CHECK_EQ(s->stlb_ways, 12);
    CHECK_EQ(s->l2_latency, 12);
    CHECK_EQ(s->llc_latency, 44);
    CHECK(strstr(s->src[MMU_CM_dram_latency], "estimate") != NULL);
    const struct mmu_cpu_model *n = mmu_cpu_model_find("neoverse-n1");
    CHECK_EQ(n->stlb_entries, 1280);
    CHECK_EQ(n->stlb_ways, 5);
    CHECK(strstr(mmu_cpu_model_find("cortex-a57")->src[MMU_CM_pwc_s1_entries], "estimate") != NULL);
}

static void test_overrides(void)
{
    struct mmu_cpu_model m = *mmu_cpu_model_find("skylake");
    char err[160];
    CHECK_EQ(mmu_cpu_model_override(&m, "tlb", "l2=2048x8", err, sizeof(err)), 0);
    CHECK_EQ(m.stlb_entries, 2048);
    CHECK_EQ(m.stlb_ways, 8);
    CHECK_STR(m.src[MMU_CM_stlb_entries], "override");
    CHECK_EQ(mmu_cpu_model_override(&m, "tlb", "dtlb=32xfa,itlb=64x4,l2lat=7", err, sizeof(err)), 0);
    CHECK_EQ(m.dtlb_ways, 32);
    CHECK_EQ(m.itlb_entries, 64);
    CHECK_EQ(m.stlb_latency, 7);
    CHECK_EQ(mmu_cpu_model_override(&m, "pwc", "pwc=32", err, sizeof(err)), 0);
    CHECK_EQ(m.pwc_s1_entries, 32);
    CHECK_EQ(m.pwc_s2_entries, 32);
    CHECK_EQ(mmu_cpu_model_override(&m, "pwc", "s1=0,ntlb=8", err, sizeof(err)), 0);
    CHECK_EQ(m.pwc_s1_entries, 0);
    CHECK_EQ(m.ntlb_entries, 8);
    CHECK_EQ(mmu_cpu_model_override(&m, "cache", "l1d=64k:4:5,l2=1M:8:11,dram=300", err, sizeof(err)), 0);
    CHECK_EQ(m.l1d_kib, 64);
    CHECK_EQ(m.l1d_ways, 4);
    CHECK_EQ(m.l1d_latency, 5);
    CHECK_EQ(m.l2_kib, 1024);
    CHECK_EQ(m.dram_latency, 300);
    CHECK_EQ(mmu_cpu_model_override(&m, "cache", "off", err, sizeof(err)), 0);
    CHECK(!m.cache_enabled);
    CHECK_EQ(mmu_cpu_model_override(&m, "cache", "on", err, sizeof(err)), 0);
    CHECK(m.cache_enabled);
    CHECK_EQ(mmu_cpu_model_override(&m, "cache", "off:9", err, sizeof(err)), 0);
    CHECK(!m.cache_enabled);
    CHECK_EQ(m.flat_latency, 9);

    /* bad specs: rejected, model unchanged, message names the problem */
    struct mmu_cpu_model before = m;
    static const struct { const char *what, *spec, *msg; } bad[] = {
        {"tlb", "l2=2048", "ENTRIESxWAYS"},
        {"tlb", "l2=2048x7", "ENTRIESxWAYS"},
        {"tlb", "l2=0x1", "ENTRIESxWAYS"},
        {"tlb", "l2=2048x8x", "ENTRIESxWAYS"},
        {"tlb", "l3=64x4", "unknown key"},
        {"tlb", "l2=-5x1", "ENTRIESxWAYS"},
        {"tlb", "l2=2048x8,,dtlb=64x4", "empty"},
        {"tlb", "l2=2048x8,", "empty"},
        {"tlb", "l2", "KEY=VALUE"},
        {"tlb", "", "empty"},
        {"pwc", "pwc=abc", "entry count"},
        {"pwc", "pwc=", "empty"},
        {"pwc", "s3=4", "unknown key"},
        {"cache", "l1d=32:8:4", "SIZEk"},
        {"cache", "l1d=32k:8", "SIZEk"},
        {"cache", "l1d=32k:7:4", "SIZEk"},
        {"cache", "l1d=0k:8:4", "SIZEk"},
        {"cache", "l1d=32k:8:4x", "SIZEk"},
        {"cache", "maybe", "expected on, off"},
        {"cache", "off:x", "off:CYCLES"},
        {"mem", "x=1", "unknown override"},
        {"tlb", "dtlb=99999999999x1", "ENTRIESxWAYS"},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        int rc = mmu_cpu_model_override(&m, bad[i].what, bad[i].spec, err, sizeof(err));
        if (rc != -EINVAL || !strstr(err, bad[i].msg))
            fprintf(stderr, "  %s '%s': rc %d err '%s'\n", bad[i].what, bad[i].spec, rc, err);
        CHECK_EQ(rc, -EINVAL);
        CHECK(strstr(err, bad[i].msg) != NULL);
        CHECK(!memcmp(&m, &before, sizeof(m)));
    }
}

static void test_json_and_list(void)
{
    char buf[4096];
    const struct mmu_cpu_model *m = mmu_cpu_model_find("cortex-a57");
    int n = mmu_cpu_model_to_json(m, buf, sizeof(buf));
    CHECK(n > 0);
    CHECK_EQ((size_t)n, strlen(buf));
    CHECK(strstr(buf, "\"name\":\"cortex-a57\"") != NULL);
    CHECK(strstr(buf, "\"stlb_entries\":1024") != NULL);
    CHECK(strstr(buf, "\"cache_enabled\":true") != NULL);
    CHECK(buf[0] == '{' && buf[n - 1] == '}');
    CHECK_EQ(mmu_cpu_model_to_json(m, buf, 40), -ENOSPC);
    char path[512];
    snprintf(path, sizeof(path), "%s/cpu_model_list.txt", test_tmpdir());
    FILE *f = fopen(path, "w+");
    CHECK(f != NULL);
    if (!f)
        return;
    mmu_cpu_model_list(f);
    long len = ftell(f);
    CHECK(len > 2000);
    rewind(f);
    static char text[65536];
    size_t got = fread(text, 1, sizeof(text) - 1, f);
    text[got] = 0;
    fclose(f);
    CHECK(strstr(text, "skylake") && strstr(text, "icelake") && strstr(text, "neoverse-n1"));
    CHECK(strstr(text, "1536 12-way") != NULL);
    CHECK(strstr(text, "estimate") != NULL);
}

int main(void)
{
    test_presets();
    test_overrides();
    test_json_and_list();
    return test_summary();
}
