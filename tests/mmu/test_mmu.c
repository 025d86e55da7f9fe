/* tests/mmu/test_mmu.c - struct mmu with the real walkers: cold 4x4 2-D walks make exactly
 * 24 references with the right per-stage/level counters (Arm and x86), warm walk caches and
 * nested TLB give the predicted counts, TLB hits make 0 references, guest/hv counters are
 * apart, cycles equal the sum of the charged latencies, fast path on/off gives identical
 * counters, permission re-check on hits, stale hits until invalidated, software-walk port.
 * Page tables are built in a sim_mem. */
#include <errno.h>
#include <string.h>

#include "mmu/mmu.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

/* ------------------------------------------------------------------ common */

struct env {
    struct sim_mem mem;
    struct sim_stats st;
    struct mmu *m;
    uint64_t host_next;   /* bump allocator for stage-2 / EPT tables (PA) */
    uint64_t guest_next;  /* bump allocator for guest tables (IPA/GPA) */
    uint64_t goff;        /* PA = IPA/GPA + goff */
};

static uint64_t rd(struct env *e, uint64_t pa)
{
    uint64_t v = 0;
    CHECK(sim_mem_read(&e->mem, pa, 8, &v) == 0);
    return v;
}

static void wr(struct env *e, uint64_t pa, uint64_t v)
{
    CHECK(sim_mem_write(&e->mem, pa, 8, v) == 0);
}

static uint64_t host_page(struct env *e)
{
    uint64_t p = e->host_next;
    e->host_next += 0x1000;
    return p;
}

static uint64_t ctr(struct env *e, const char *name)
{
    CHECK(sim_stats_find(&e->st, name) != NULL);
    return sim_stats_get(&e->st, name);
}

/* Snapshot of all counters, to assert deltas. */
struct snap {
    uint64_t v[1024];
};

static void snap_take(struct env *e, struct snap *s)
{
    for (unsigned i = 0; i < e->st.count && i < 1024; i++)
        s->v[i] = sim_stats_at(&e->st, i)->value;
}

static uint64_t delta(struct env *e, const struct snap *s, const char *name)
{
    for (unsigned i = 0; i < e->st.count && i < 1024; i++)
        if (!strcmp(sim_stats_at(&e->st, i)->name, name))
            return sim_stats_at(&e->st, i)->value - s->v[i];
    CHECK(!"counter missing");
    fprintf(stderr, "  missing: %s\n", name);
    return 0;
}

/* Sum of the deltas of every counter whose name starts with prefix. */
static uint64_t delta_prefix(struct env *e, const struct snap *s, const char *prefix)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < e->st.count && i < 1024; i++)
        if (!strncmp(sim_stats_at(&e->st, i)->name, prefix, strlen(prefix)))
            n += sim_stats_at(&e->st, i)->value - s->v[i];
    return n;
}

/* What the cache counters say the charged latency was (cache model on). */
static uint64_t cache_cycles(struct env *e, const struct snap *s, const char *who)
{
    const struct mmu_cpu_model *cm = mmu_model(e->m);
    char n[64];
    snprintf(n, sizeof(n), "%s.cache.l1d.hit", who);
    uint64_t c = delta(e, s, n) * cm->l1d_latency;
    snprintf(n, sizeof(n), "%s.cache.l2.hit", who);
    c += delta(e, s, n) * cm->l2_latency;
    snprintf(n, sizeof(n), "%s.cache.llc.hit", who);
    c += delta(e, s, n) * cm->llc_latency;
    snprintf(n, sizeof(n), "%s.cache.dram", who);
    c += delta(e, s, n) * cm->dram_latency;
    return c;
}

static void env_fini(struct env *e)
{
    mmu_destroy(e->m);
    sim_stats_destroy(&e->st);
    sim_mem_destroy(&e->mem);
}

/* ------------------------------------------------------------------ Arm */

#define A_AF (1ull << 10)
#define A_SH_IS (3ull << 8)
#define A_NG (1ull << 11)
#define A_AP(x) ((uint64_t)(x) << 6)
#define A_S2_RW (3ull << 6)
#define A_S2_RO (1ull << 6)
#define A_S2_MEMATTR(x) ((uint64_t)(x) << 2)
#define A_ADDR 0x0000fffffffff000ull

#define A_GPA 0x40000000ull   /* guest RAM: IPA == PA, 1 GiB */
#define A_HOST 0x80000000ull  /* stage-2 tables */

struct aenv {
    struct env e;
    struct mmu_a64_regs r;
    uint64_t s2root, s1root;
};

/* Map ia -> oa (4K) in a 4-level 4K-granule table rooted at root. stage2: table addresses are
 * PAs from host_page; stage 1: tables are guest pages (IPA == PA) from guest_next, and every
 * new guest page is mapped in stage 2 first. */
static void a_s2_map(struct aenv *a, uint64_t ipa, uint64_t pa, uint64_t leafbits);

static uint64_t a_guest_page(struct aenv *a)
{
    uint64_t p = a->e.guest_next;
    a->e.guest_next += 0x1000;
    if (a->s2root)
        a_s2_map(a, p, p, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    return p;
}

static void a_map(struct aenv *a, bool stage2, uint64_t root, uint64_t ia, uint64_t oa, uint64_t leafbits)
{
    uint64_t table = root;
    for (int l = 0; l < 3; l++) {
        uint64_t da = table + ((ia >> (39 - 9 * l)) & 511) * 8;
        uint64_t d = rd(&a->e, da);
        if ((d & 3) != 3) {
            uint64_t n = stage2 ? host_page(&a->e) : a_guest_page(a);
            d = rd(&a->e, da); /* a_guest_page may have created it (no: other tree), re-read */
            if ((d & 3) != 3) {
                d = n | 3;
                wr(&a->e, da, d);
            }
        }
        table = d & A_ADDR;
    }
    wr(&a->e, table + ((ia >> 12) & 511) * 8, (oa & A_ADDR) | leafbits | 3);
}

static void a_s2_map(struct aenv *a, uint64_t ipa, uint64_t pa, uint64_t leafbits)
{
    a_map(a, true, a->s2root, ipa, pa, leafbits);
}

static void a_s1_map(struct aenv *a, uint64_t va, uint64_t ipa, uint64_t leafbits)
{
    a_map(a, false, a->s1root, va, ipa, leafbits);
}

static void a_init(struct aenv *a, const struct mmu_cpu_model *cm, bool stage2)
{
    memset(a, 0, sizeof(*a));
    sim_mem_init(&a->e.mem);
    sim_stats_init(&a->e.st);
    CHECK(sim_mem_add_ram(&a->e.mem, "host", A_HOST, 64ull << 20) == 0);
    CHECK(sim_mem_add_ram(&a->e.mem, "guest", A_GPA, 1ull << 30) == 0);
    a->e.host_next = A_HOST;
    a->e.guest_next = A_GPA + 0x100000;
    a->e.m = mmu_create(cm, &a->e.mem, &a->e.st, "");
    CHECK(a->e.m != NULL);
    a->r.sctlr_el1 = 1;
    a->r.tcr_el1 = 16 | 16ull << 16 | 2ull << 30 | 5ull << 32 | 1ull << 36;
    a->r.mair_el1 = 0xff;
    a->r.pa_bits = 48;
    if (stage2) {
        a->s2root = host_page(&a->e);
        a->r.vtcr_el2 = 16 | 2u << 6 | 5u << 16 | 1u << 19;
        a->r.vttbr_el2 = a->s2root | 0x0042ull << 48;
        a->r.hcr_el2 = 1; /* VM */
    }
    a->s1root = a_guest_page(a);
    a->r.ttbr0_el1 = a->s1root | 0x0005ull << 48;
}

static struct mmu_cpu_model model_nocaches(const char *name)
{
    struct mmu_cpu_model cm = *mmu_cpu_model_find(name);
    char err[128];
    CHECK_EQ(mmu_cpu_model_override(&cm, "pwc", "s1=0,s2=0,ntlb=0", err, sizeof(err)), 0);
    return cm;
}

#define A_VA 0x0000123456789000ull
#define A_DATA (A_GPA + 0x3000000)
#define A_LEAF (A_AF | A_SH_IS | A_AP(0))

static void test_a64_cold_24(void)
{
    struct mmu_cpu_model cm = model_nocaches("cortex-a57");
    struct aenv a;
    struct snap s;
    struct mmu_walk_result res;
    uint64_t cyc = 0;
    a_init(&a, &cm, true);
    a_s1_map(&a, A_VA, A_DATA, A_LEAF);
    a_s2_map(&a, A_DATA, A_DATA, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA + 0x123, MMU_ACC_READ,
                           &res, &cyc), 0);
    CHECK_EQ(res.oa, A_DATA + 0x123);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.count"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s1"), 4);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s2"), 20);
    static const char *lv[] = {"l0", "l1", "l2", "l3"};
    char n[64];
    for (int l = 0; l < 4; l++) {
        snprintf(n, sizeof(n), "guest.walk.refs.s1.%s", lv[l]);
        CHECK_EQ(delta(&a.e, &s, n), 1);
        snprintf(n, sizeof(n), "guest.walk.refs.s2.%s", lv[l]);
        CHECK_EQ(delta(&a.e, &s, n), 5);
    }
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s1.l-1"), 0);
    CHECK_EQ(delta(&a.e, &s, "guest.dtlb.l1.miss"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.tlb.l2.miss"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.nested_tlb.miss"), 4);
    CHECK_EQ(delta(&a.e, &s, "guest.pwc.hit") + delta(&a.e, &s, "guest.pwc.miss"), 0);
    CHECK_EQ(delta(&a.e, &s, "guest.cache.accesses"), 24);
    CHECK_EQ(delta_prefix(&a.e, &s, "hv."), 0);
    /* cycles: L2 TLB lookup + every reference's cache latency */
    CHECK(cyc > 0);
    CHECK_EQ(cyc, delta(&a.e, &s, "guest.tlb.cycles") + delta(&a.e, &s, "guest.walk.cycles"));
    CHECK_EQ(delta(&a.e, &s, "guest.tlb.cycles"), cm.stlb_latency);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.cycles"), cache_cycles(&a.e, &s, "guest"));
    /* distinct descriptor lines: stage 1 one per level (4); stage 2: L0 1, L1 1, L2 2 (the
     * table pages' 2M region and the data's), L3 2 (the four table IPAs share a line) */
    CHECK_EQ(delta(&a.e, &s, "guest.cache.walk.dram"), 10);
    CHECK_EQ(delta(&a.e, &s, "guest.cache.l1d.hit"), 14);

    /* second access to the same page: an L1 hit, no references, no cycles */
    snap_take(&a.e, &s);
    cyc = 0;
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA + 0x8, MMU_ACC_READ,
                           &res, &cyc), 0);
    CHECK_EQ(res.oa, A_DATA + 0x8);
    CHECK_EQ(delta(&a.e, &s, "guest.dtlb.l1.hit"), 1);
    CHECK_EQ(delta_prefix(&a.e, &s, "guest.walk.refs"), 0);
    CHECK_EQ(cyc, 0);
    /* a fetch misses the ITLB but hits the L2 TLB */
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_EXEC, &res, &cyc), 0);
    CHECK_EQ(delta(&a.e, &s, "guest.itlb.l1.miss"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.tlb.l2.hit"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.count"), 0);
    env_fini(&a.e);

    /* cache model off: cycles = stlb latency + 24 x flat latency, exactly */
    char err[128];
    CHECK_EQ(mmu_cpu_model_override(&cm, "cache", "off:3", err, sizeof(err)), 0);
    a_init(&a, &cm, true);
    a_s1_map(&a, A_VA, A_DATA, A_LEAF);
    a_s2_map(&a, A_DATA, A_DATA, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    cyc = 0;
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(cyc, cm.stlb_latency + 24 * 3);
    CHECK_EQ(ctr(&a.e, "guest.cache.l1d.hit") + ctr(&a.e, "guest.cache.l1d.miss"), 0);
    env_fini(&a.e);
}

static void test_a64_warm(void)
{
    const struct mmu_cpu_model *cm = mmu_cpu_model_find("cortex-a57");
    struct aenv a;
    struct snap s;
    struct mmu_walk_result res;
    uint64_t cyc = 0;
    a_init(&a, cm, true);
    a_s1_map(&a, A_VA, A_DATA, A_LEAF);
    a_s1_map(&a, A_VA + 0x1000, A_DATA + 0x1000, A_LEAF);
    a_s2_map(&a, A_DATA, A_DATA, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    a_s2_map(&a, A_DATA + 0x1000, A_DATA + 0x1000, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    /* Cold, with walk caches: the s1 tables sit in one 2M IPA region, so after the first
     * stage-2 walk (4 refs) each further table IPA needs 1 (level-3 state of the stage-2
     * walk cache); the data IPA is in another 2M region of the same 1G: 2 refs. */
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s1"), 4);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s2"), 4 + 1 + 1 + 1 + 2);
    CHECK_EQ(delta(&a.e, &s, "guest.nested_tlb.miss"), 4);
    CHECK_EQ(delta(&a.e, &s, "guest.pwc.miss"), 2);  /* s1 start, first s2 walk */
    CHECK_EQ(delta(&a.e, &s, "guest.pwc.hit"), 4);   /* 3 table s2 walks + final s2 */
    /* Neighbouring page: s1 walk cache gives the level-3 table (its IPA from the nested
     * TLB): 1 s1 ref; final stage 2 from the level-3 state of the data region: 1 ref. */
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA + 0x1000, MMU_ACC_READ,
                           &res, &cyc), 0);
    CHECK_EQ(res.oa, A_DATA + 0x1000);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s1"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s1.l3"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s2"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s2.l3"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.nested_tlb.hit"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.nested_tlb.miss"), 0);
    CHECK_EQ(delta(&a.e, &s, "guest.pwc.hit"), 2);

    /* hv counters apart; TLB shared: the hypervisor hits what the guest filled */
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_HV, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(delta(&a.e, &s, "hv.dtlb.l1.hit"), 1);
    CHECK_EQ(delta_prefix(&a.e, &s, "guest."), 0);
    a_s1_map(&a, A_VA + 0x200000, A_DATA + 0x2000, A_LEAF);
    a_s2_map(&a, A_DATA + 0x2000, A_DATA + 0x2000, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_HV, &a.r, MMU_A64_EL10, A_VA + 0x200000, MMU_ACC_READ,
                           &res, &cyc), 0);
    CHECK_EQ(res.oa, A_DATA + 0x2000);
    CHECK_EQ(delta(&a.e, &s, "hv.walk.count"), 1);
    CHECK(delta(&a.e, &s, "hv.walk.refs.s1") >= 1);
    CHECK_EQ(delta_prefix(&a.e, &s, "guest."), 0);
    env_fini(&a.e);
}

/* Stale until invalidated; PAN re-checked on hits; ASID tagging through xlate. */
static void test_a64_stale_and_perms(void)
{
    struct mmu_cpu_model cm = *mmu_cpu_model_find("neoverse-n1");
    struct aenv a;
    struct snap s;
    struct mmu_walk_result res;
    a_init(&a, &cm, false);
    a_s1_map(&a, A_VA, A_DATA, A_LEAF | A_AP(1) | A_NG); /* EL0 RW, non-global */
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(res.oa, A_DATA);
    /* change the descriptor in memory: the TLB still answers the old PA */
    uint64_t l3 = 0;
    {
        uint64_t t = a.s1root;
        for (int l = 0; l < 3; l++)
            t = rd(&a.e, t + ((A_VA >> (39 - 9 * l)) & 511) * 8) & A_ADDR;
        l3 = t + ((A_VA >> 12) & 511) * 8;
    }
    wr(&a.e, l3, ((A_DATA + 0x5000) & A_ADDR) | A_LEAF | A_AP(1) | A_NG | 3);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(res.oa, A_DATA);
    /* another ASID does not hit the non-global entry */
    struct mmu_a64_regs r2 = a.r;
    r2.ttbr0_el1 = a.s1root | 0x0006ull << 48;
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &r2, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(res.oa, A_DATA + 0x5000);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.count"), 1);
    /* TLBI VAE1 for ASID 5 removes it */
    CHECK(mmu_a64_tlbi(a.e.m, MMU_TLBI_VAE1, (A_VA >> 12) | 5ull << 48, &a.r) >= 1);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(res.oa, A_DATA + 0x5000);
    /* PAN set: the cached user-accessible entry must fault for a privileged access */
    struct mmu_a64_regs rp = a.r;
    rp.pan = true;
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &rp, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, NULL), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.faults"), 1);
    /* ... and the unprivileged access still works (re-walks, the entry was dropped) */
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &rp, MMU_A64_EL10, A_VA, MMU_ACC_READ | MMU_ACC_USER,
                           &res, NULL), 0);
    /* translation fault is counted */
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, 0x7000000000ull, MMU_ACC_READ,
                           &res, NULL), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.faults"), 1);
    env_fini(&a.e);
}

/* IPAS2E1 removes the nested-TLB entry of a stage-1 table's IPA but keeps combined entries. */
static void test_a64_ipas2(void)
{
    struct aenv a;
    struct snap s;
    struct mmu_walk_result res;
    a_init(&a, mmu_cpu_model_find("cortex-a57"), true);
    a_s1_map(&a, A_VA, A_DATA, A_LEAF);
    a_s1_map(&a, A_VA + 0x1000, A_DATA + 0x1000, A_LEAF);
    a_s2_map(&a, A_DATA, A_DATA, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    a_s2_map(&a, A_DATA + 0x1000, A_DATA + 0x1000, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, NULL), 0);
    /* level-3 table IPA of A_VA */
    uint64_t t = a.s1root;
    for (int l = 0; l < 3; l++)
        t = rd(&a.e, t + ((A_VA >> (39 - 9 * l)) & 511) * 8) & A_ADDR;
    CHECK_EQ(mmu_a64_tlbi(a.e.m, MMU_TLBI_IPAS2LE1, t >> 12, &a.r), 1);
    /* combined entry survives */
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(delta(&a.e, &s, "guest.dtlb.l1.hit"), 1);
    /* neighbour: the level-3 table's IPA is no longer in the nested TLB -> stage-2 walk
     * (1 ref: the stage-2 walk cache survived the "L" form) */
    snap_take(&a.e, &s);
    CHECK_EQ(mmu_a64_xlate(a.e.m, MMU_WHO_GUEST, &a.r, MMU_A64_EL10, A_VA + 0x1000, MMU_ACC_READ,
                           &res, NULL), 0);
    CHECK_EQ(delta(&a.e, &s, "guest.nested_tlb.miss"), 1);
    CHECK_EQ(delta(&a.e, &s, "guest.walk.refs.s2"), 1 + 1);
    env_fini(&a.e);
}

/* ------------------------------------------------------------------ x86 */

#define X_P 0x1ull
#define X_RW 0x2ull
#define X_US 0x4ull
#define X_A 0x20ull
#define X_D 0x40ull
#define X_G 0x100ull
#define E_RWX_WB (0x7ull | 6ull << 3)
#define X_ADDR 0x000ffffffffff000ull
#define GIB (1ull << 30)

struct xenv {
    struct env e;
    struct mmu_x86_regs r;
    struct mmu_ept_regs ept;
    uint64_t eroot, groot;
};

static void x_emap(struct xenv *x, uint64_t gpa, uint64_t hpa)
{
    uint64_t table = x->eroot;
    for (int lvl = 4; lvl > 1; lvl--) {
        uint64_t ea = table + ((gpa >> (12 + 9 * (lvl - 1))) & 511) * 8;
        uint64_t e = rd(&x->e, ea);
        if (!(e & 7)) {
            e = host_page(&x->e) | 7;
            wr(&x->e, ea, e);
        }
        table = e & X_ADDR;
    }
    wr(&x->e, table + ((gpa >> 12) & 511) * 8, hpa | E_RWX_WB);
}

static uint64_t x_gpage(struct xenv *x)
{
    uint64_t p = x->e.guest_next;
    x->e.guest_next += 0x1000;
    if (x->ept.enabled)
        x_emap(x, p, p + x->e.goff);
    return p;
}

static void x_gmap(struct xenv *x, uint64_t la, uint64_t gpa, uint64_t lflags)
{
    uint64_t table = x->groot;
    for (int lvl = 4; lvl > 1; lvl--) {
        uint64_t ea = table + ((la >> (12 + 9 * (lvl - 1))) & 511) * 8 + x->e.goff;
        uint64_t e = rd(&x->e, ea);
        if (!(e & X_P)) {
            e = x_gpage(x) | X_P | X_RW | X_US | X_A;
            wr(&x->e, ea, e);
        }
        table = e & X_ADDR;
    }
    wr(&x->e, table + ((la >> 12) & 511) * 8 + x->e.goff, gpa | lflags);
}

static void x_init(struct xenv *x, const struct mmu_cpu_model *cm, bool ept)
{
    memset(x, 0, sizeof(*x));
    sim_mem_init(&x->e.mem);
    sim_stats_init(&x->e.st);
    CHECK(sim_mem_add_ram(&x->e.mem, "ram", 0, 2 * GIB) == 0);
    x->e.host_next = 0x1000000;
    x->e.guest_next = 0x100000;
    x->e.m = mmu_create(cm, &x->e.mem, &x->e.st, "");
    CHECK(x->e.m != NULL);
    if (ept) {
        x->e.goff = GIB;
        x->eroot = host_page(&x->e);
        x->ept = (struct mmu_ept_regs){.eptp = x->eroot | MMU_X86_EPTP_WB | MMU_X86_EPTP_WALK4,
                                       .enabled = true, .maxphyaddr = 46};
    }
    x->groot = x_gpage(x);
    x->r = (struct mmu_x86_regs){.cr0 = 1 | MMU_X86_CR0_PG | MMU_X86_CR0_WP, .cr3 = x->groot,
                                 .cr4 = MMU_X86_CR4_PAE | MMU_X86_CR4_PGE,
                                 .efer = MMU_X86_EFER_LME | MMU_X86_EFER_LMA | MMU_X86_EFER_NXE,
                                 .cpl = 0, .maxphyaddr = 46};
}

#define X_LA 0x00007f8040201000ull
#define X_DATA 0x2345000ull
#define X_LEAF (X_P | X_RW | X_US | X_A | X_D)

static void test_x86_cold_and_warm(void)
{
    struct mmu_cpu_model cm = model_nocaches("skylake");
    struct xenv x;
    struct snap s;
    struct mmu_walk_result res;
    uint64_t cyc = 0;
    x_init(&x, &cm, true);
    x_gmap(&x, X_LA, X_DATA, X_LEAF);
    x_emap(&x, X_DATA, X_DATA + GIB);
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, &x.ept, 1, X_LA + 0xabc, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(res.oa, X_DATA + GIB + 0xabc);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s1"), 4);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s2"), 20);
    static const char *lv[] = {"l0", "l1", "l2", "l3"}; /* PML4, PDPT, PD, PT */
    char n[64];
    for (int l = 0; l < 4; l++) {
        snprintf(n, sizeof(n), "guest.walk.refs.s1.%s", lv[l]);
        CHECK_EQ(delta(&x.e, &s, n), 1);
        snprintf(n, sizeof(n), "guest.walk.refs.s2.%s", lv[l]);
        CHECK_EQ(delta(&x.e, &s, n), 5);
    }
    CHECK_EQ(delta(&x.e, &s, "guest.walk.ad_updates"), 0);
    CHECK_EQ(cyc, delta(&x.e, &s, "guest.tlb.cycles") + delta(&x.e, &s, "guest.walk.cycles"));
    CHECK_EQ(delta(&x.e, &s, "guest.walk.cycles"), cache_cycles(&x.e, &s, "guest"));
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, &x.ept, 1, X_LA, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(delta(&x.e, &s, "guest.dtlb.l1.hit"), 1);
    CHECK_EQ(delta_prefix(&x.e, &s, "guest.walk.refs"), 0);
    env_fini(&x.e);

    /* default caches: cold 13, neighbour 2 (PDE cache + EPT PDE-level state) */
    x_init(&x, mmu_cpu_model_find("skylake"), true);
    x_gmap(&x, X_LA, X_DATA, X_LEAF);
    x_gmap(&x, X_LA + 0x1000, X_DATA + 0x1000, X_LEAF);
    x_emap(&x, X_DATA, X_DATA + GIB);
    x_emap(&x, X_DATA + 0x1000, X_DATA + 0x1000 + GIB);
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, &x.ept, 1, X_LA, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s1"), 4);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s2"), 4 + 1 + 1 + 1 + 2);
    CHECK_EQ(delta(&x.e, &s, "guest.nested_tlb.miss"), 4);
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, &x.ept, 1, X_LA + 0x1000, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(res.oa, X_DATA + 0x1000 + GIB);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s1"), 1);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s1.l3"), 1);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s2"), 1);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s2.l3"), 1);
    CHECK_EQ(delta(&x.e, &s, "guest.pwc.hit"), 2);

    /* INVEPT single-context drops the combined entries of this EPTP */
    CHECK(mmu_x86_invept(x.e.m, MMU_INVEPT_SINGLE, x.ept.eptp) >= 2);
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, &x.ept, 1, X_LA, MMU_ACC_READ, &res, &cyc), 0);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.count"), 1);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.refs.s1") + delta(&x.e, &s, "guest.walk.refs.s2"), 24 - 11);
    env_fini(&x.e);
}

/* x86: SMAP re-checked on a hit; a write through a read-filled entry re-walks (D flag). */
static void test_x86_perms(void)
{
    struct xenv x;
    struct snap s;
    struct mmu_walk_result res;
    x_init(&x, mmu_cpu_model_find("skylake"), false);
    x_gmap(&x, X_LA, X_DATA, X_P | X_RW | X_US | X_A); /* user page, D clear */
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, NULL, 0, X_LA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(res.oa, X_DATA);
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, NULL, 0, X_LA, MMU_ACC_WRITE, &res, NULL), 0);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.count"), 1);     /* re-walk to set D */
    CHECK_EQ(delta(&x.e, &s, "guest.walk.ad_updates"), 1);
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, NULL, 0, X_LA, MMU_ACC_WRITE, &res, NULL), 0);
    CHECK_EQ(delta(&x.e, &s, "guest.dtlb.l1.hit"), 1);
    struct mmu_x86_regs rs = x.r;
    rs.cr4 |= MMU_X86_CR4_SMAP;
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &rs, NULL, 0, X_LA, MMU_ACC_READ, &res, NULL), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    /* MOV CR3 without PCIDE flushes non-global entries: a global one survives */
    x_gmap(&x, X_LA + 0x1000, X_DATA + 0x1000, X_LEAF | X_G);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, NULL, 0, X_LA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, NULL, 0, X_LA + 0x1000, MMU_ACC_READ, &res, NULL), 0);
    CHECK(res.global);
    mmu_x86_mov_cr3(x.e.m, 0, x.r.cr3, x.r.cr3, x.r.cr4);
    snap_take(&x.e, &s);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, NULL, 0, X_LA + 0x1000, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(delta(&x.e, &s, "guest.dtlb.l1.hit"), 1);
    CHECK_EQ(mmu_x86_xlate(x.e.m, MMU_WHO_GUEST, &x.r, NULL, 0, X_LA, MMU_ACC_READ, &res, NULL), 0);
    CHECK_EQ(delta(&x.e, &s, "guest.walk.count"), 1);
    env_fini(&x.e);
}

/* ------------------------------------------------------------------ fast path */

static void run_stream(struct env *e, struct aenv *a)
{
    struct mmu_walk_result res;
    uint64_t cyc = 0, x = 99;
    for (unsigned i = 0; i < 6000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned page = (unsigned)(x >> 35) % 80;
        unsigned reps = 1 + (unsigned)((x >> 20) & 3);
        unsigned acc = (x >> 25) & 1 ? MMU_ACC_EXEC : MMU_ACC_READ;
        enum mmu_who who = (x >> 27) & 7 ? MMU_WHO_GUEST : MMU_WHO_HV;
        for (unsigned r = 0; r < reps; r++)
            CHECK_EQ(mmu_a64_xlate(e->m, who, &a->r, MMU_A64_EL10, A_VA + page * 0x1000ull + r * 8,
                                   acc, &res, &cyc), 0);
        mmu_data_access(e->m, who, A_DATA + (x & 0xfffff), 8, false);
        if (i % 1000 == 999)
            mmu_a64_tlbi(e->m, MMU_TLBI_VMALLE1, 0, &a->r);
    }
}

static void test_fast_path(void)
{
    struct aenv a[2];
    for (int k = 0; k < 2; k++) {
        a_init(&a[k], mmu_cpu_model_find("cortex-a57"), true);
        mmu_set_fast_path(a[k].e.m, k == 0);
        for (unsigned p = 0; p < 80; p++) {
            a_s1_map(&a[k], A_VA + p * 0x1000ull, A_DATA + p * 0x1000ull, A_LEAF);
            a_s2_map(&a[k], A_DATA + p * 0x1000ull, A_DATA + p * 0x1000ull,
                     A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
        }
        run_stream(&a[k].e, &a[k]);
    }
    CHECK_EQ(a[0].e.st.count, a[1].e.st.count);
    unsigned diff = 0;
    for (unsigned i = 0; i < a[0].e.st.count; i++) {
        const struct sim_stat *x = sim_stats_at(&a[0].e.st, i), *y = sim_stats_at(&a[1].e.st, i);
        if (strcmp(x->name, y->name) || x->value != y->value) {
            diff++;
            fprintf(stderr, "  %s: %llu vs %llu\n", x->name, (unsigned long long)x->value,
                    (unsigned long long)y->value);
        }
    }
    CHECK_EQ(diff, 0);
    CHECK(ctr(&a[0].e, "guest.dtlb.l1.hit") > 1000);
    CHECK(ctr(&a[0].e, "guest.walk.count") > 100);
    env_fini(&a[0].e);
    env_fini(&a[1].e);
}

/* ------------------------------------------------------------------ software walks, scope */

static void test_sw_port_and_scope(void)
{
    struct aenv a;
    struct mmu_walk_result res;
    a_init(&a, mmu_cpu_model_find("cortex-a57"), true);
    a_s2_map(&a, A_DATA, A_DATA, A_AF | A_S2_RW | A_S2_MEMATTR(0xf) | A_SH_IS);
    struct mmu_walk_port p = mmu_sw_walk_port(a.e.m, MMU_WHO_HV);
    CHECK(p.s2 == NULL && p.pwc_lookup == NULL);
    CHECK_EQ(mmu_a64_walk_s2(&a.r, A_DATA + 0x10, MMU_ACC_READ, false, &p, &res), 0);
    CHECK_EQ(res.oa, A_DATA + 0x10);
    CHECK_EQ(ctr(&a.e, "hv.swwalk.refs.s2"), 4);
    CHECK_EQ(ctr(&a.e, "hv.swwalk.refs.s2.l3"), 1);
    CHECK_EQ(ctr(&a.e, "hv.walk.refs.s2"), 0);
    CHECK_EQ(ctr(&a.e, "hv.cache.accesses"), 4);
    uint64_t c = mmu_sw_walk_take_cycles(a.e.m, MMU_WHO_HV);
    CHECK(c > 0);
    CHECK_EQ(c, ctr(&a.e, "hv.swwalk.cycles"));
    CHECK_EQ(mmu_sw_walk_take_cycles(a.e.m, MMU_WHO_HV), 0);
    /* the software walk warmed the cache: the same walk again hits L1D everywhere */
    CHECK_EQ(mmu_a64_walk_s2(&a.r, A_DATA + 0x10, MMU_ACC_READ, false, &p, &res), 0);
    CHECK_EQ(mmu_sw_walk_take_cycles(a.e.m, MMU_WHO_HV), 4 * mmu_model(a.e.m)->l1d_latency);
    /* data accesses: a line-crossing access touches two lines */
    CHECK_EQ(mmu_data_access(a.e.m, MMU_WHO_GUEST, A_DATA + 60, 8, false),
             2 * mmu_model(a.e.m)->dram_latency);
    CHECK_EQ(mmu_data_access(a.e.m, MMU_WHO_GUEST, A_DATA + 60, 4, true), mmu_model(a.e.m)->l1d_latency);
    CHECK_EQ(ctr(&a.e, "guest.data.accesses"), 2);
    env_fini(&a.e);

    /* scope: counters named <who>.<scope>.<name> */
    struct sim_mem mem;
    struct sim_stats st;
    sim_mem_init(&mem);
    sim_stats_init(&st);
    struct mmu *m = mmu_create(mmu_cpu_model_find("skylake"), &mem, &st, "cpu1");
    CHECK(m != NULL);
    CHECK(sim_stats_find(&st, "hv.cpu1.walk.refs.s2.l-1") != NULL);
    CHECK(sim_stats_find(&st, "guest.cpu1.dtlb.l1.hit") != NULL);
    CHECK(sim_stats_find(&st, "guest.dtlb.l1.hit") == NULL);
    mmu_destroy(m);
    sim_stats_destroy(&st);
    sim_mem_destroy(&mem);
}

int main(void)
{
    test_a64_cold_24();
    test_a64_warm();
    test_a64_stale_and_perms();
    test_a64_ipas2();
    test_x86_cold_and_warm();
    test_x86_perms();
    test_fast_path();
    test_sw_port_and_scope();
    return test_summary();
}
