/* tests/isa/arm64/test_a64_fastpath.c - the core's memory fast paths (docs/model.md "Fast
 * paths": the host-pointer micro-TLB for loads, stores and fetches answered from an L1 TLB
 * ticket, the data-cache repeat shortcut, the L1 TLB MRU path) change no result: each
 * bare-metal guest of tests/isa/arm64/guests runs twice on a core with the translation cost
 * model attached, once with every fast path on and once with all of them off, and every
 * counter, the cycle count, the instruction count and the registers must be equal. Runs are
 * also cut into odd-sized a64_run slices (each run entry empties the micro-TLB), and one run
 * uses the cache model off. A wrapper around the translation hook checks that the fast path
 * really answered most accesses (so that the comparison is not vacuous). */
#include <stddef.h>

#include "isa/arm64/a64.h"
#include "isa/arm64/a64_internal.h"
#include "isa/arm64/a64_mmu.h"
#include "mmu/cpu_model.h"
#include "mmu/mmu.h"
#include "sim/loader.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x1000000ull

struct env {
    struct sim_mem mem;
    struct sim_stats stats;
    struct mmu *mmu;
    struct mmu_cpu_model model;
    struct a64_mmu_link link;
    struct a64_cpu *c;
    struct sim_image img;
    /* translation-hook wrapper: counts the full-path translations */
    int (*inner)(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                 struct a64_xlate *out, struct mmu_fault *fault);
    uint64_t xlate_calls;
};

static int counting_xlate(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                          struct a64_xlate *out, struct mmu_fault *fault)
{
    struct env *e = (struct env *)((char *)opaque - offsetof(struct env, link));
    e->xlate_calls++;
    return e->inner(opaque, c, va, acc, out, fault);
}

static bool env_load(struct env *e, const char *name, bool fast, bool cache)
{
    char path[512], err[256];
    memset(e, 0, sizeof(*e));
    sim_mem_init(&e->mem);
    sim_stats_init(&e->stats);
    CHECK_EQ(sim_mem_add_ram(&e->mem, "ram", RAM_BASE, RAM_SIZE), 0);
    snprintf(path, sizeof(path), "%s/%s.elf", A64_GUEST_DIR, name);
    struct sim_load_opts o = {.ram_base = RAM_BASE};
    if (sim_image_parse(path, &o, &e->img, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        CHECK(false);
        return false;
    }
    CHECK_EQ(sim_image_place(&e->img, &e->mem, err, sizeof(err)), 0);
    e->c = a64_cpu_create(&e->mem, &e->stats, "max", 7, err, sizeof(err));
    CHECK(e->c != NULL);
    if (!e->c)
        return false;
    e->model = *mmu_cpu_model_find("cortex-a57");
    e->model.cache_enabled = cache;
    e->mmu = mmu_create(&e->model, &e->mem, &e->stats, "");
    CHECK(e->mmu != NULL);
    if (!e->mmu)
        return false;
    e->link.mmu = e->mmu;
    e->link.who = MMU_WHO_GUEST;
    a64_set_cost_model(e->c, &e->model);
    a64_mmu_attach(e->c, &e->link);
    e->inner = e->c->xlate;
    e->c->xlate = counting_xlate;
    e->c->fast_mem = fast;
    mmu_set_fast_path(e->mmu, fast);
    a64_cpu_reset(e->c, e->img.info.entry, 1);
    return true;
}

static void env_fini(struct env *e)
{
    a64_cpu_destroy(e->c);
    mmu_destroy(e->mmu);
    sim_image_free(&e->img);
    sim_stats_destroy(&e->stats);
    sim_mem_destroy(&e->mem);
}

/* Run to the end marker in slices of `slice` instructions (0: one call). */
static enum a64_stop run(struct env *e, uint64_t slice)
{
    enum a64_stop st;
    uint64_t budget = 50000000;
    do {
        uint64_t n = slice ? slice : budget;
        uint64_t before = e->c->insns;
        st = a64_run(e->c, n);
        budget -= e->c->insns - before;
    } while (st == A64_STOP_MAX_INSNS && budget > 0);
    return st;
}

/* Compare two finished runs: every counter, cycles, instructions, registers. */
static void compare(const char *what, struct env *a, struct env *b)
{
    unsigned diff = 0;
    CHECK_EQ(a->stats.count, b->stats.count);
    for (unsigned i = 0; i < a->stats.count && i < b->stats.count; i++) {
        const struct sim_stat *x = sim_stats_at(&a->stats, i), *y = sim_stats_at(&b->stats, i);
        if (strcmp(x->name, y->name) || x->value != y->value) {
            if (diff++ < 10)
                fprintf(stderr, "  %s: %s %llu vs %s %llu\n", what, x->name,
                        (unsigned long long)x->value, y->name, (unsigned long long)y->value);
        }
    }
    CHECK_EQ(diff, 0);
    CHECK_EQ(a->c->cycles, b->c->cycles);
    CHECK_EQ(a->c->insns, b->c->insns);
    CHECK_EQ(a->c->pc, b->c->pc);
    CHECK_EQ(memcmp(a->c->x, b->c->x, sizeof(a->c->x)), 0);
}

/* Run `name` with the fast paths on and off; returns (full-path translations with them
 * off) / (with them on), or 0 on failure. x1 is the guests' iteration-count input. */
static double check_guest(const char *name, uint64_t x1, uint64_t slice, bool cache)
{
    struct env on, off;
    if (!env_load(&on, name, true, cache) || !env_load(&off, name, false, cache))
        return 0;
    on.c->x[1] = off.c->x[1] = x1;
    CHECK_EQ(run(&on, slice), A64_STOP_END_MARKER);
    CHECK_EQ(run(&off, slice), A64_STOP_END_MARKER);
    char what[96];
    snprintf(what, sizeof(what), "%s slice %llu cache %d", name, (unsigned long long)slice, cache);
    compare(what, &on, &off);
    CHECK(sim_stats_get(&on.stats, "guest.insns") > 0);
    /* the MMU-on loops' results: buf[0] (x6) is the sum of the pass counters x1 .. 1 (memloop)
     * or (x1 times) 511 (mmuloop's buf[511]); x7 = SCTLR_EL1 with M, C, I set */
    if (!strcmp(name, "memloop") || !strcmp(name, "mmuloop")) {
        CHECK_EQ(on.c->x[6], !strcmp(name, "memloop") ? x1 * (x1 + 1) / 2 : x1 * 511);
        CHECK_EQ(on.c->x[7] & 0x1005, 0x1005);
    }
    double ratio = on.xlate_calls ? (double)off.xlate_calls / (double)on.xlate_calls : 0;
    env_fini(&on);
    env_fini(&off);
    return ratio;
}

static void test_mmu_on_guests(void)
{
    /* mmuloop: 8 KB of data through one 1 GB block; memloop: 1024 4 KB pages, more than the
     * L1 DTLB holds (walks, L2 TLB hits, data-cache misses at every level) */
    double r = check_guest("mmuloop", 20, 0, true);
    CHECK(r > 20); /* nearly every access answered by the micro-TLB */
    r = check_guest("memloop", 2, 0, true);
    CHECK(r > 4);  /* 16 accesses per page, one full-path translation per page */
    check_guest("mmuloop", 5, 37, true);
    check_guest("memloop", 1, 1001, true);
    check_guest("mmuloop", 5, 0, false);
    check_guest("memloop", 1, 0, false);
}

static void test_mmu_off_guests(void)
{
    /* exceptions and ERET (EL0/EL1), exclusives, DC ZVA, aborts, the timer, UNDEF: the flat
     * translation with the data-cache model, through the same micro-TLB */
    static const char *const g[] = {"svc", "el0", "excl", "dczva", "dabort", "vtimer", "undef"};
    for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        check_guest(g[i], 0, 0, true);
        check_guest(g[i], 0, 3, true);
    }
}

/* The condition table of the decoded fast paths equals ConditionHolds for every NZCV and
 * condition (ARM DDI0487 J1 shared/functions/system/ConditionHolds). */
static void test_cond_table(void)
{
    unsigned bad = 0;
    for (uint32_t f = 0; f < 16; f++)
        for (unsigned cond = 0; cond < 16; cond++)
            bad += a64_cond(f << 28, cond) != a64_cond_eval(f << 28, cond);
    CHECK_EQ(bad, 0);
    /* spot checks against the Arm ARM table: EQ with Z, GE with N == V, AL and NV always */
    CHECK(a64_cond(0x40000000u, 0) && !a64_cond(0, 0));
    CHECK(a64_cond(0x90000000u, 10) && !a64_cond(0x80000000u, 10));
    CHECK(a64_cond(0, 14) && a64_cond(0xf0000000u, 15));
}

int main(void)
{
    test_cond_table();
    test_mmu_on_guests();
    test_mmu_off_guests();
    return test_summary();
}
