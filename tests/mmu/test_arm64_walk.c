/* tests/mmu/test_arm64_walk.c - the VMSAv8-64 walker (mmu/arm64_walk.c): reference counts
 * of the 2-D walk, granules, TTBR selection, permissions, PAN/WXN, AF/DBM, ASID/VMID,
 * stage-2 faults, address size faults, AT -> PAR_EL1, walk caches and the KPTI case.
 * Page tables are built in a sim_mem; a counting port records every descriptor read by
 * stage and level (its s2 callback runs mmu_a64_walk_s2 through the same port). */
#include <string.h>

#include "mmu/arm64_walk.h"
#include "sim/mem.h"
#include "testutil.h"

#define HOST_BASE 0x80000000ull    /* PA pool: stage-2 tables, non-nested stage-1 tables */
#define HOST_SIZE (64ull << 20)
#define GPA_BASE  0x40000000ull   /* guest RAM (PA) ... */
#define GPA_SIZE  (1ull << 30)
#define GIPA_BASE 0x8040000000ull /* ... and its IPA (bit 39 set: exercises concatenation) */

/* descriptor bits */
#define V   1ull
#define TBL 3ull
#define AF  (1ull << 10)
#define NG  (1ull << 11)
#define SH_IS (3ull << 8)
#define AP(x) ((uint64_t)(x) << 6)
#define ATTRIDX(x) ((uint64_t)(x) << 2)
#define PXN (1ull << 53)
#define UXN (1ull << 54)
#define DBM (1ull << 51)
#define S2_RW (3ull << 6)
#define S2_MEMATTR(x) ((uint64_t)(x) << 2)

/* ---- counting port with an optional fake walk cache ---- */
struct pwc_ent {
    int stage;
    uint64_t tag;
    struct mmu_walk_state st;
};

struct tport {
    struct mmu_walk_port port;
    struct sim_mem *mem;
    const struct mmu_a64_regs *r;
    unsigned reads[3][4];
    unsigned total, cas_count;
    struct pwc_ent pwc[64];
    unsigned npwc, pwc_hits;
};

static int tp_read(void *o, uint64_t pa, unsigned size, int stage, int level, uint64_t *val)
{
    struct tport *t = o;
    if (stage >= 1 && stage <= 2 && level >= 0 && level <= 3)
        t->reads[stage][level]++;
    t->total++;
    return sim_mem_read(t->mem, pa, size, val) ? -14 : 0;
}

static int tp_cas(void *o, uint64_t pa, unsigned size, int stage, int level, uint64_t expect,
                  uint64_t desired)
{
    struct tport *t = o;
    uint64_t v;
    t->cas_count++;
    if (sim_mem_read(t->mem, pa, size, &v))
        return -14;
    if (v != expect)
        return 1;
    return sim_mem_write(t->mem, pa, size, desired) ? -14 : 0;
}

static int tp_s2(void *o, uint64_t ipa, int s1_level, bool write, uint64_t *pa,
                 struct mmu_fault *fault)
{
    struct tport *t = o;
    struct mmu_walk_result res;
    if (mmu_a64_walk_s2(t->r, ipa, write ? MMU_ACC_WRITE : MMU_ACC_READ, true, &t->port, &res)) {
        *fault = res.fault;
        return -1;
    }
    *pa = res.oa;
    return 0;
}

static bool tp_pwc_lookup(void *o, int stage, uint64_t ia, struct mmu_walk_state *st)
{
    struct tport *t = o;
    int best = -1;
    for (unsigned i = 0; i < t->npwc; i++) {
        const struct pwc_ent *e = &t->pwc[i];
        if (e->stage == stage && e->tag == ia >> e->st.ia_shift &&
            (best < 0 || e->st.level > t->pwc[best].st.level))
            best = (int)i;
    }
    if (best < 0)
        return false;
    *st = t->pwc[best].st;
    t->pwc_hits++;
    return true;
}

static void tp_pwc_fill(void *o, int stage, uint64_t ia, const struct mmu_walk_state *st)
{
    struct tport *t = o;
    for (unsigned i = 0; i < t->npwc; i++) {
        struct pwc_ent *e = &t->pwc[i];
        if (e->stage == stage && e->st.level == st->level && e->tag == ia >> st->ia_shift) {
            e->st = *st;
            return;
        }
    }
    if (t->npwc < 64)
        t->pwc[t->npwc++] = (struct pwc_ent){ stage, ia >> st->ia_shift, *st };
}

static void tp_reset(struct tport *t)
{
    memset(t->reads, 0, sizeof(t->reads));
    t->total = t->cas_count = 0;
}

static unsigned s_reads(const struct tport *t, int stage)
{
    unsigned n = 0;
    for (int l = 0; l < 4; l++)
        n += t->reads[stage][l];
    return n;
}

/* ---- page-table builder ---- */
struct env;
struct pt {
    struct env *e;
    unsigned g;        /* log2 granule */
    int start;         /* start level */
    unsigned ia_bits;
    uint64_t root;
    bool guest;        /* tables live in guest IPA space (nested stage 1) */
    uint64_t tbl_bits; /* extra bits of table descriptors it creates */
};

struct env {
    struct sim_mem mem;
    struct mmu_a64_regs r;
    struct tport tp;
    uint64_t host_next, guest_next;
    struct pt s2;
    int s2_leaf;       /* level of the stage-2 mappings env_s2_cover makes */
};

static uint64_t shift_of(unsigned g, int level)
{
    return g + (unsigned)(3 - level) * (g - 3);
}

static uint64_t pt_pa(const struct pt *t, uint64_t addr)
{
    return t->guest ? addr - GIPA_BASE + GPA_BASE : addr;
}

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

static void env_s2_cover(struct env *e, uint64_t ipa, uint64_t size);

static uint64_t alloc_table(struct pt *t, uint64_t size)
{
    struct env *e = t->e;
    uint64_t align = 1ull << t->g, a;
    if (size > align)
        align = size;
    if (size < (1ull << t->g))
        size = 1ull << t->g;
    uint64_t *next = t->guest ? &e->guest_next : &e->host_next;
    a = (*next + align - 1) & ~(align - 1);
    *next = a + size;
    if (t->guest)
        env_s2_cover(e, a, size);
    return a;
}

static void pt_init(struct pt *t, struct env *e, unsigned g, int start, unsigned ia_bits,
                    bool guest)
{
    memset(t, 0, sizeof(*t));
    t->e = e;
    t->g = g;
    t->start = start;
    t->ia_bits = ia_bits;
    t->guest = guest;
    t->root = alloc_table(t, 8ull << (ia_bits - shift_of(g, start)));
}

/* PA of the descriptor for ia at `level` (tables must exist down to it), or 0. */
static uint64_t pt_desc(struct pt *t, uint64_t ia, int level)
{
    uint64_t table = t->root;
    for (int l = t->start;; l++) {
        unsigned shift = (unsigned)shift_of(t->g, l);
        unsigned nbits = l == t->start ? t->ia_bits - shift : t->g - 3;
        uint64_t da = pt_pa(t, table + ((ia >> shift) & ((1ull << nbits) - 1)) * 8);
        if (l == level)
            return da;
        uint64_t d = rd(t->e, da);
        if ((d & 3) != 3)
            return 0;
        table = d & 0x0000fffffffff000ull & ~((1ull << t->g) - 1);
    }
}

static void pt_map(struct pt *t, uint64_t ia, uint64_t oa, int leaf, uint64_t bits)
{
    uint64_t table = t->root;
    for (int l = t->start;; l++) {
        unsigned shift = (unsigned)shift_of(t->g, l);
        unsigned nbits = l == t->start ? t->ia_bits - shift : t->g - 3;
        uint64_t da = pt_pa(t, table + ((ia >> shift) & ((1ull << nbits) - 1)) * 8);
        if (l == leaf) {
            wr(t->e, da, (oa & ~((1ull << shift) - 1)) | bits | (l == 3 ? 3 : 1));
            return;
        }
        uint64_t d = rd(t->e, da);
        if ((d & 3) != 3) {
            uint64_t n = alloc_table(t, 1ull << t->g);
            /* alloc_table may have written into this tree (s2 cover): re-read */
            d = rd(t->e, da);
            if ((d & 3) != 3) {
                d = n | TBL | t->tbl_bits;
                wr(t->e, da, d);
            }
        }
        table = d & 0x0000fffffffff000ull & ~((1ull << t->g) - 1);
    }
}

static void env_s2_cover(struct env *e, uint64_t ipa, uint64_t size)
{
    if (!e->s2.root)
        return;
    uint64_t blk = 1ull << shift_of(e->s2.g, e->s2_leaf);
    for (uint64_t a = ipa & ~(blk - 1); a < ipa + size; a += blk)
        pt_map(&e->s2, a, a - GIPA_BASE + GPA_BASE, e->s2_leaf,
               AF | S2_RW | S2_MEMATTR(0xf) | SH_IS);
}

/* Regs for a 4K/48-bit EL1&0 regime (TTBR0 and TTBR1), IPS 48, MAIR {WB, Device, NC}. */
static void env_init(struct env *e)
{
    memset(e, 0, sizeof(*e));
    sim_mem_init(&e->mem);
    CHECK(sim_mem_add_ram(&e->mem, "host", HOST_BASE, HOST_SIZE) == 0);
    CHECK(sim_mem_add_ram(&e->mem, "guest", GPA_BASE, GPA_SIZE) == 0);
    e->host_next = HOST_BASE;
    e->guest_next = GIPA_BASE + 0x100000;
    e->r.sctlr_el1 = 1;
    e->r.tcr_el1 = 16 | 16ull << 16 | 0ull << 14 | 2ull << 30 | 5ull << 32 | 1ull << 36;
    e->r.mair_el1 = 0xff | 0x00ull << 8 | 0x44ull << 16 | 0xeeull << 24;
    e->r.pa_bits = 48;
    e->tp.port = (struct mmu_walk_port){ .opaque = &e->tp, .read = tp_read, .cas = tp_cas };
    e->tp.mem = &e->mem;
    e->tp.r = &e->r;
}

/* Stage 2: granule 2^g, T0SZ, SL0, mappings at level leaf. */
static void env_s2(struct env *e, unsigned g, unsigned t0sz, unsigned sl0, int leaf)
{
    int start = g == 12 ? 2 - (int)sl0 : 3 - (int)sl0;
    unsigned tg = g == 12 ? 0 : g == 16 ? 1 : 2;
    pt_init(&e->s2, e, g, start, 64 - t0sz, false);
    e->s2_leaf = leaf;
    e->r.vtcr_el2 = t0sz | sl0 << 6 | tg << 14 | 5u << 16 | 1u << 19;
    e->r.vttbr_el2 = e->s2.root | 0x0042ull << 48;
    e->r.hcr_el2 |= 1;  /* VM */
    e->tp.port.s2 = tp_s2;
}

static void env_destroy(struct env *e)
{
    sim_mem_destroy(&e->mem);
}

/* ---- tests ---- */

/* Cold 4-level x 4-level walk: (4+1)(4+1)-1 = 24 reads; 4 at stage 1, 5 per level at
 * stage 2; the same through the internal stage-2 (port->s2 == NULL). */
static void test_2d_4x4(void)
{
    struct env e;
    struct pt s1;
    struct mmu_walk_result res;
    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    pt_init(&s1, &e, 12, 0, 48, true);
    e.r.ttbr0_el1 = s1.root;
    uint64_t va = 0x0000123456789abcull, ipa = GIPA_BASE + 0x3000000;
    pt_map(&s1, va, ipa, 3, AF | SH_IS | AP(0));
    env_s2_cover(&e, ipa, 4096);

    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, GPA_BASE + 0x3000000 + 0xabc);
    CHECK_EQ(res.page_shift, 12);
    CHECK_EQ(e.tp.total, 24);
    CHECK_EQ(s_reads(&e.tp, 1), 4);
    CHECK_EQ(s_reads(&e.tp, 2), 20);
    for (int l = 0; l < 4; l++) {
        CHECK_EQ(e.tp.reads[1][l], 1);
        CHECK_EQ(e.tp.reads[2][l], 5);
    }
    CHECK_EQ(res.fault.kind, MMU_FAULT_NONE);

    /* stage 1 alone: 4 s1 reads + 4 nested s2 walks = 20; res->oa is the IPA */
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, va, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, ipa + 0xabc);
    CHECK_EQ(e.tp.total, 20);
    CHECK_EQ(res.walk_refs, 4);   /* s2 reads happened behind port->s2 */

    /* internal stage 2 */
    e.tp.port.s2 = NULL;
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, GPA_BASE + 0x3000000 + 0xabc);
    CHECK_EQ(e.tp.total, 24);
    CHECK_EQ(res.walk_refs, 24);
    CHECK_EQ(e.tp.reads[2][0], 5);
    env_destroy(&e);
}

/* 3-level stage 1 (39-bit VA, start level 1) x 4-level stage 2: 4*5-1 = 19. */
static void test_2d_3x4(void)
{
    struct env e;
    struct pt s1;
    struct mmu_walk_result res;
    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    e.r.tcr_el1 = (e.r.tcr_el1 & ~0x3full) | 25;
    pt_init(&s1, &e, 12, 1, 39, true);
    e.r.ttbr0_el1 = s1.root;
    uint64_t va = 0x0000004512345678ull, ipa = GIPA_BASE + 0x5000000;
    pt_map(&s1, va, ipa, 3, AF | SH_IS);
    env_s2_cover(&e, ipa, 4096);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, GPA_BASE + 0x5000000 + 0x678);
    CHECK_EQ(e.tp.total, 19);
    CHECK_EQ(s_reads(&e.tp, 1), 3);
    CHECK_EQ(e.tp.reads[1][0], 0);
    CHECK_EQ(e.tp.reads[2][0], 4);
    CHECK_EQ(e.tp.reads[2][3], 4);
    env_destroy(&e);
}

/* 4-level stage 1 x 3-level stage 2 with two concatenated level-1 tables (T0SZ 24 = 40-bit
 * IPA, SL0 = 1): 5*4-1 = 19; IPAs have bit 39 set, i.e. live in the second table. */
static void test_2d_4x3_concat(void)
{
    struct env e;
    struct pt s1;
    struct mmu_walk_result res;
    env_init(&e);
    env_s2(&e, 12, 24, 1, 3);
    CHECK_EQ(e.s2.ia_bits - shift_of(12, 1), 10);  /* 1024 entries = 2 tables */
    pt_init(&s1, &e, 12, 0, 48, true);
    e.r.ttbr0_el1 = s1.root;
    uint64_t va = 0x00007f0000201000ull, ipa = GIPA_BASE + 0x7000000;
    pt_map(&s1, va, ipa, 3, AF | SH_IS);
    env_s2_cover(&e, ipa, 4096);
    /* the level-1 descriptor is in the second 4K table of the concatenated pair */
    CHECK(pt_desc(&e.s2, ipa, 1) >= e.s2.root + 4096);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, GPA_BASE + 0x7000000);
    CHECK_EQ(e.tp.total, 19);
    CHECK_EQ(s_reads(&e.tp, 1), 4);
    CHECK_EQ(e.tp.reads[2][0], 0);
    for (int l = 1; l < 4; l++)
        CHECK_EQ(e.tp.reads[2][l], 5);
    /* IPA beyond 40 bits: stage-2 translation fault level 0 */
    CHECK_EQ(mmu_a64_walk_s2(&e.r, 1ull << 40, MMU_ACC_READ, false, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.level, 0);
    CHECK_EQ(res.fault.stage, 2);
    /* inconsistent SL0: 48-bit IPA starting at level 1 would need 512 tables */
    e.r.vtcr_el2 = (e.r.vtcr_el2 & ~0x3full) | 16;
    CHECK_EQ(mmu_a64_walk_s2(&e.r, ipa, MMU_ACC_READ, false, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.arch, 0x04);
    env_destroy(&e);
}

/* Blocks: a 2MB stage-1 block (3 s1 levels x 4 s2 levels -> 19), 1GB and 2MB stage-2
 * blocks (4 s1 levels x 2 / 3 s2 levels -> 14 / 19). */
static void test_2d_blocks(void)
{
    struct env e;
    struct pt s1;
    struct mmu_walk_result res;
    uint64_t va = 0x0000400000345678ull, ipa = GIPA_BASE + 0x4000000;

    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    pt_init(&s1, &e, 12, 0, 48, true);
    e.r.ttbr0_el1 = s1.root;
    pt_map(&s1, va, ipa, 2, AF | SH_IS);
    env_s2_cover(&e, ipa + 0x145678, 4096);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, GPA_BASE + 0x4000000 + 0x145678);
    CHECK_EQ(e.tp.total, 19);
    CHECK_EQ(s_reads(&e.tp, 1), 3);
    CHECK_EQ(e.tp.reads[1][3], 0);
    CHECK_EQ(res.page_shift, 12);  /* min(2MB stage 1, 4KB stage 2) */
    env_destroy(&e);

    for (int leaf = 1; leaf <= 2; leaf++) {
        env_init(&e);
        env_s2(&e, 12, 16, 2, leaf);
        pt_init(&s1, &e, 12, 0, 48, true);
        e.r.ttbr0_el1 = s1.root;
        pt_map(&s1, va, ipa, 3, AF | SH_IS);
        env_s2_cover(&e, ipa, 4096);
        tp_reset(&e.tp);
        CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, MMU_ACC_READ, &e.tp.port, &res), 0);
        CHECK_EQ(res.oa, GPA_BASE + 0x4000000 + 0x678);
        CHECK_EQ(e.tp.total, leaf == 1 ? 14u : 19u);
        CHECK_EQ(s_reads(&e.tp, 2), leaf == 1 ? 10u : 15u);
        CHECK_EQ(e.tp.reads[2][3], 0);
        CHECK_EQ(mmu_a64_walk_s2(&e.r, ipa + 0x1234, MMU_ACC_READ, false, &e.tp.port, &res), 0);
        CHECK_EQ(res.page_shift, leaf == 1 ? 30u : 21u);
        CHECK_EQ(res.oa, GPA_BASE + 0x4001234);
        env_destroy(&e);
    }
}

/* 16K and 64K granules, TTBR0 (TG0) and TTBR1 (TG1 encodings), and a 64K stage 1 nested
 * on a 4K stage 2 (a 64K table spans 16 stage-2 pages). */
static void test_granules(void)
{
    struct env e;
    struct pt t0, t1;
    struct mmu_walk_result res;

    env_init(&e);
    /* TTBR0: 16K (TG0 = 0b10), 48-bit: levels 0..3 (level 0 resolves 1 bit) */
    /* TTBR1: 64K (TG1 = 0b11), 48-bit: levels 1..3 */
    e.r.tcr_el1 = 16 | 16ull << 16 | 2ull << 14 | 3ull << 30 | 5ull << 32;
    pt_init(&t0, &e, 14, 0, 48, false);
    pt_init(&t1, &e, 16, 1, 48, false);
    e.r.ttbr0_el1 = t0.root;
    e.r.ttbr1_el1 = t1.root;
    uint64_t va0 = 0x0000812345678abcull, va1 = 0xffff812345678abcull;
    pt_map(&t0, va0, 0x12340000ull, 3, AF);
    pt_map(&t1, va1, 0x56780000ull, 3, AF);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, va0, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, 0x12340000ull | (va0 & 0x3fff));
    CHECK_EQ(res.page_shift, 14);
    CHECK_EQ(e.tp.total, 4);
    CHECK_EQ(e.tp.reads[1][0], 1);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, va1, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, 0x56780000ull | (va1 & 0xffff));
    CHECK_EQ(res.page_shift, 16);
    CHECK_EQ(e.tp.total, 3);
    CHECK_EQ(e.tp.reads[1][0], 0);
    /* 32MB block at 16K level 2, 512MB block at 64K level 2 */
    pt_map(&t0, 0x0000000006000000ull, 0x80000000ull, 2, AF);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, 0x0000000007234567ull, MMU_ACC_READ, &e.tp.port,
                             &res), 0);
    CHECK_EQ(res.oa, 0x81234567ull);
    CHECK_EQ(res.page_shift, 25);
    pt_map(&t1, 0xffff000020000000ull, 0x40000000ull, 2, AF);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, 0xffff000021234567ull, MMU_ACC_READ, &e.tp.port,
                             &res), 0);
    CHECK_EQ(res.oa, 0x41234567ull);
    CHECK_EQ(res.page_shift, 29);
    /* a level-1 block is reserved with 16K: translation fault level 1 */
    wr(&e, pt_desc(&t0, 0x0000100000000000ull, 0), 0);
    pt_map(&t0, 0x0000100000000000ull, 0, 1, AF);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, 0x0000100000000000ull, MMU_ACC_READ,
                             &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.level, 1);
    env_destroy(&e);

    /* 64K stage 1 nested on 4K stage 2: 3 x 4 -> 19 */
    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    e.r.tcr_el1 = 16 | 16ull << 16 | 1ull << 14 | 2ull << 30 | 5ull << 32;
    pt_init(&t0, &e, 16, 1, 48, true);
    e.r.ttbr0_el1 = t0.root;
    uint64_t ipa = GIPA_BASE + 0x8000000;
    pt_map(&t0, 0x00007fffffffe000ull, ipa, 3, AF);
    env_s2_cover(&e, ipa, 65536);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, 0x00007fffffffe008ull, MMU_ACC_READ,
                               &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, GPA_BASE + 0x8000000 + 0xe008);
    CHECK_EQ(res.page_shift, 12);
    CHECK_EQ(e.tp.total, 19);
    env_destroy(&e);
}

/* TTBR0 vs TTBR1 by VA[55], range checks, EPD, TBI/TBID. */
static void test_ttbr_select(void)
{
    struct env e;
    struct pt t0, t1;
    struct mmu_walk_result res;
    env_init(&e);
    e.r.tcr_el1 = (e.r.tcr_el1 & ~(0x3full << 16)) | 25ull << 16;   /* T1SZ 25: 39-bit */
    pt_init(&t0, &e, 12, 0, 48, false);
    pt_init(&t1, &e, 12, 1, 39, false);
    e.r.ttbr0_el1 = t0.root;
    e.r.ttbr1_el1 = t1.root;
    pt_map(&t0, 0x0000000012345000ull, 0xa0000000ull, 3, AF);
    pt_map(&t1, 0xffffff8012345000ull, 0xb0000000ull, 3, AF);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, 0x0000000012345010ull, MMU_ACC_READ,
                             &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, 0xa0000010ull);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, 0xffffff8012345010ull, MMU_ACC_READ,
                             &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, 0xb0000010ull);
    CHECK_EQ(e.tp.total, 3);
    /* outside both ranges: translation fault level 0, no reads */
    static const uint64_t bad[] = { 0x0001000000000000ull, 0xffffff0000000000ull,
                                    0x8000000000000000ull };
    for (unsigned i = 0; i < 3; i++) {
        tp_reset(&e.tp);
        CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, bad[i], MMU_ACC_READ, &e.tp.port, &res), -1);
        CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
        CHECK_EQ(res.fault.level, 0);
        CHECK_EQ(res.fault.va, bad[i]);
        CHECK_EQ(e.tp.total, 0);
    }
    /* EPD1: TTBR1 walks disabled */
    e.r.tcr_el1 |= 1ull << 23;
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, 0xffffff8012345010ull, MMU_ACC_READ,
                             &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.arch, 0x04);
    e.r.tcr_el1 &= ~(1ull << 23);
    /* TBI0: a tagged TTBR0 pointer translates for data; with TBID0 not for fetches */
    uint64_t tagged = 0x5a00000012345010ull;
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, tagged, MMU_ACC_READ, &e.tp.port, &res), -1);
    e.r.tcr_el1 |= 1ull << 37;
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, tagged, MMU_ACC_READ, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, 0xa0000010ull);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, tagged, MMU_ACC_EXEC, &e.tp.port, &res), 0);
    e.r.tcr_el1 |= 1ull << 51;
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, tagged, MMU_ACC_EXEC, &e.tp.port, &res), -1);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL10, tagged, MMU_ACC_READ, &e.tp.port, &res), 0);
    env_destroy(&e);
}

static int walk_acc(struct env *e, uint64_t va, unsigned acc, struct mmu_walk_result *res)
{
    return mmu_a64_walk_s1(&e->r, MMU_A64_EL10, va, acc, &e->tp.port, res);
}

#define R   MMU_ACC_READ
#define W   MMU_ACC_WRITE
#define X   MMU_ACC_EXEC
#define U   MMU_ACC_USER

/* Expect a stage-1 permission fault at level 3 and that the cached perms agree. */
static void expect_perm(struct env *e, uint64_t va, unsigned acc, bool ok)
{
    struct mmu_walk_result res;
    int rc = walk_acc(e, va, acc, &res);
    CHECK_EQ(rc, ok ? 0 : -1);
    if (!ok) {
        CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
        CHECK_EQ(res.fault.stage, 1);
        CHECK_EQ(res.fault.level, 3);
        CHECK_EQ(res.fault.arch, 0x0f);
        CHECK_EQ(res.fault.write, (acc & W) != 0);
    }
    /* the same decision from the cached perms of an unchecked walk (a TLB hit) */
    CHECK_EQ(walk_acc(e, va, 0, &res), 0);
    CHECK_EQ(mmu_a64_perm_ok(res.perms, acc, &e->r, MMU_A64_EL10), ok);
}

/* AP[2:1], UXN, PXN, "EL0-writable implies PXN", APTable, UXNTable, PXNTable. */
static void test_perms(void)
{
    struct env e;
    struct pt t;
    env_init(&e);
    pt_init(&t, &e, 12, 0, 48, false);
    e.r.ttbr0_el1 = t.root;
    const uint64_t p00 = 0x10000, p01 = 0x11000, p10 = 0x12000, p11 = 0x13000;
    pt_map(&t, p00, 0x1000000, 3, AF | AP(0));
    pt_map(&t, p01, 0x1001000, 3, AF | AP(1));
    pt_map(&t, p10, 0x1002000, 3, AF | AP(2));
    pt_map(&t, p11, 0x1003000, 3, AF | AP(3) | UXN);
    expect_perm(&e, p00, R | W, true);
    expect_perm(&e, p00, R | U, false);
    expect_perm(&e, p00, X, true);
    expect_perm(&e, p01, W | U, true);
    expect_perm(&e, p01, R, true);
    expect_perm(&e, p01, X, false);       /* EL0-writable: PXN */
    expect_perm(&e, p01, X | U, true);
    expect_perm(&e, p10, W, false);
    expect_perm(&e, p10, R | U, false);
    expect_perm(&e, p11, R | U, true);
    expect_perm(&e, p11, W | U, false);
    expect_perm(&e, p11, X | U, false);   /* UXN */
    expect_perm(&e, p11, X, true);
    wr(&e, pt_desc(&t, p11, 3), rd(&e, pt_desc(&t, p11, 3)) | PXN);
    expect_perm(&e, p11, X, false);

    /* hierarchical: a second 1GB region whose level-1 table descriptor carries the bits */
    const uint64_t h = 0x40010000;
    pt_map(&t, h, 0x2000000, 3, AF | AP(1));
    uint64_t l1 = pt_desc(&t, h, 1), d1 = rd(&e, l1);
    expect_perm(&e, h, R | U, true);
    wr(&e, l1, d1 | 1ull << 61);            /* APTable[0]: no EL0 */
    expect_perm(&e, h, R | U, false);
    expect_perm(&e, h, W, true);
    wr(&e, l1, d1 | 1ull << 62);            /* APTable[1]: read-only */
    expect_perm(&e, h, W, false);
    expect_perm(&e, h, W | U, false);
    expect_perm(&e, h, R | U, true);
    wr(&e, l1, d1 | 1ull << 60);            /* UXNTable */
    expect_perm(&e, h, X | U, false);
    wr(&e, pt_desc(&t, h, 3), rd(&e, pt_desc(&t, h, 3)) & ~AP(1));  /* AP 00: PX possible */
    wr(&e, l1, d1);
    expect_perm(&e, h, X, true);
    wr(&e, l1, d1 | 1ull << 59);            /* PXNTable */
    expect_perm(&e, h, X, false);
    env_destroy(&e);
}

/* PAN and WXN. */
static void test_pan_wxn(void)
{
    struct env e;
    struct pt t;
    struct mmu_walk_result res;
    env_init(&e);
    pt_init(&t, &e, 12, 0, 48, false);
    e.r.ttbr0_el1 = t.root;
    pt_map(&t, 0x10000, 0x1000000, 3, AF | AP(1));          /* EL0 RW */
    pt_map(&t, 0x11000, 0x1001000, 3, AF | AP(3));          /* EL0 RO, executable */
    pt_map(&t, 0x12000, 0x1002000, 3, AF | AP(0));          /* EL1 only */
    e.r.pan = true;
    expect_perm(&e, 0x10000, R, false);
    expect_perm(&e, 0x10000, W, false);
    expect_perm(&e, 0x10000, R | MMU_ACC_NOPAN, true);
    expect_perm(&e, 0x10000, R | U, true);                   /* LDTR-style: EL0 perms */
    expect_perm(&e, 0x11000, R, false);
    expect_perm(&e, 0x11000, X, true);                       /* fetches: no PAN */
    expect_perm(&e, 0x12000, R | W, true);
    /* AT S1E1R ignores PAN, S1E1RP honours it */
    uint64_t par = mmu_a64_at(&e.r, MMU_AT_S1E1R, 0x10008, &e.tp.port, &res);
    CHECK_EQ(par & 1, 0);
    par = mmu_a64_at(&e.r, MMU_AT_S1E1RP, 0x10008, &e.tp.port, &res);
    CHECK_EQ(par, 1 | 0x0full << 1 | 1ull << 11);
    par = mmu_a64_at(&e.r, MMU_AT_S1E1WP, 0x12008, &e.tp.port, &res);
    CHECK_EQ(par & 1, 0);
    e.r.pan = false;
    expect_perm(&e, 0x10000, R, true);
    /* WXN: writable at EL1 -> not executable at EL1 */
    expect_perm(&e, 0x12000, X, true);
    e.r.sctlr_el1 |= 1ull << 19;
    expect_perm(&e, 0x12000, X, false);
    expect_perm(&e, 0x11000, X, true);
    expect_perm(&e, 0x11000, X | U, true);
    env_destroy(&e);
}

/* AF fault, hardware AF (TCR.HA + FEAT_HAFDBS), hardware dirty state, nG, ASID/VMID. */
static void test_af_dbm_asid(void)
{
    struct env e;
    struct pt t;
    struct mmu_walk_result res;
    env_init(&e);
    pt_init(&t, &e, 12, 0, 48, false);
    e.r.ttbr0_el1 = t.root;
    pt_map(&t, 0x10000, 0x1000000, 3, AP(0) | NG);
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_ACCESS_FLAG);
    CHECK_EQ(res.fault.level, 3);
    CHECK_EQ(res.fault.arch, 0x0b);
    e.r.tcr_el1 |= 1ull << 39;   /* HA without FEAT_HAFDBS: still a fault */
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    e.r.hw_af = true;
    tp_reset(&e.tp);
    CHECK_EQ(walk_acc(&e, 0x10000, R | U, &res), -1);  /* permission fault: AF not set */
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    CHECK(!(rd(&e, pt_desc(&t, 0x10000, 3)) & AF));
    CHECK_EQ(e.tp.cas_count, 0);
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), 0);
    CHECK_EQ(e.tp.cas_count, 1);
    CHECK(rd(&e, pt_desc(&t, 0x10000, 3)) & AF);
    CHECK(!res.global);
    tp_reset(&e.tp);
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), 0);
    CHECK_EQ(e.tp.cas_count, 0);

    /* DBM: read-only + DBM page becomes writable on a write with TCR.HD */
    pt_map(&t, 0x11000, 0x1001000, 3, AF | AP(2) | DBM);
    CHECK_EQ(walk_acc(&e, 0x11000, W, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    e.r.tcr_el1 |= 1ull << 40;
    e.r.hw_dbm = true;
    CHECK_EQ(walk_acc(&e, 0x11000, R, &res), 0);
    CHECK(rd(&e, pt_desc(&t, 0x11000, 3)) & AP(2));      /* a read leaves it clean */
    CHECK(!mmu_a64_perm_ok(res.perms, W, &e.r, MMU_A64_EL10));  /* cached clean: RO */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E1W, 0x11000, &e.tp.port, NULL) & 1, 0);
    CHECK(rd(&e, pt_desc(&t, 0x11000, 3)) & AP(2));      /* AT never dirties */
    CHECK_EQ(walk_acc(&e, 0x11000, W | U, &res), -1);    /* EL0 no access even if dirty */
    CHECK(rd(&e, pt_desc(&t, 0x11000, 3)) & AP(2));
    CHECK_EQ(walk_acc(&e, 0x11000, W, &res), 0);
    CHECK(!(rd(&e, pt_desc(&t, 0x11000, 3)) & AP(2)));
    CHECK(res.global);
    CHECK(mmu_a64_perm_ok(res.perms, W, &e.r, MMU_A64_EL10));

    /* ASID: TCR.A1 picks the TTBR, TCR.AS the width; VMID with VTCR.VS */
    e.r.ttbr0_el1 = 0x1234ull << 48 | t.root;
    e.r.ttbr1_el1 = 0x5678ull << 48;
    CHECK_EQ(mmu_a64_asid(&e.r, 0x10000), 0x1234);
    CHECK_EQ(mmu_a64_asid(&e.r, 0xffff000000000000ull), 0x1234);
    e.r.tcr_el1 |= 1ull << 22;
    CHECK_EQ(mmu_a64_asid(&e.r, 0x10000), 0x5678);
    e.r.tcr_el1 &= ~(1ull << 36);
    CHECK_EQ(mmu_a64_asid(&e.r, 0x10000), 0x78);
    e.r.vttbr_el2 = 0xabcdull << 48;
    e.r.vtcr_el2 = 1u << 19;
    CHECK_EQ(mmu_a64_vmid(&e.r), 0xabcd);
    e.r.vtcr_el2 = 0;
    CHECK_EQ(mmu_a64_vmid(&e.r), 0xcd);
    CHECK(!mmu_a64_s2_enabled(&e.r, MMU_A64_EL10));
    e.r.hcr_el2 = 1;
    CHECK(mmu_a64_s2_enabled(&e.r, MMU_A64_EL10));
    CHECK(!mmu_a64_s2_enabled(&e.r, MMU_A64_EL2));
    env_destroy(&e);
}

/* Stage-2 permission fault, stage-2 AF, stage-2 translation fault on a stage-1 table
 * access (s1ptw), and their PAR_EL1 values. */
static void test_s2_faults(void)
{
    struct env e;
    struct pt s1;
    struct mmu_walk_result res;
    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    pt_init(&s1, &e, 12, 0, 48, true);
    e.r.ttbr0_el1 = s1.root;
    uint64_t va = 0x0000000080001000ull, ipa = GIPA_BASE + 0x9000000;
    pt_map(&s1, va, ipa, 3, AF | SH_IS | AP(0));
    env_s2_cover(&e, ipa, 4096);
    uint64_t s2d = pt_desc(&e.s2, ipa, 3), s2v = rd(&e, s2d);

    wr(&e, s2d, s2v & ~(2ull << 6));   /* S2AP = 01: read-only */
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), 0);
    CHECK(!mmu_a64_perm_ok(res.perms, W, &e.r, MMU_A64_EL10));
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va + 8, W, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    CHECK_EQ(res.fault.stage, 2);
    CHECK_EQ(res.fault.level, 3);
    CHECK(!res.fault.s1ptw);
    CHECK(res.fault.write);
    CHECK_EQ(res.fault.ipa, ipa + 8);
    CHECK_EQ(res.fault.va, va + 8);
    CHECK_EQ(res.fault.arch, 0x0f);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1W, va, &e.tp.port, NULL),
             1 | 0x0full << 1 | 1ull << 9 | 1ull << 11);
    /* AT S1E1W only runs stage 1: succeeds with the IPA */
    uint64_t par = mmu_a64_at(&e.r, MMU_AT_S1E1W, va, &e.tp.port, NULL);
    CHECK_EQ(par, ipa | 0xffull << 56 | 1ull << 11 | 1ull << 9 | 3ull << 7);

    wr(&e, s2d, s2v | 1ull << 54);     /* XN */
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, X, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.stage, 2);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    wr(&e, s2d, s2v & ~AF);            /* stage-2 AF */
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_ACCESS_FLAG);
    CHECK_EQ(res.fault.stage, 2);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va, &e.tp.port, NULL),
             1 | 0x0bull << 1 | 1ull << 9 | 1ull << 11);
    wr(&e, s2d, s2v);

    /* unmap the stage-2 page holding the stage-1 level-2 table */
    uint64_t l2_ipa = rd(&e, pt_desc(&s1, va, 1)) & 0x0000fffffffff000ull;
    uint64_t s2l2 = pt_desc(&e.s2, l2_ipa, 3);
    uint64_t s2l2v = rd(&e, s2l2);
    wr(&e, s2l2, 0);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.stage, 2);
    CHECK(res.fault.s1ptw);
    CHECK(!res.fault.write);
    CHECK_EQ(res.fault.level, 3);
    CHECK_EQ(res.fault.ipa, l2_ipa + ((va >> 21) & 0x1ff) * 8);
    CHECK_EQ(res.fault.va, va);
    CHECK_EQ(res.fault.arch, 0x07);
    CHECK_EQ(e.tp.total, 2 * 4 + 2 + 4);   /* s1 L0, L1 (each after a s2 walk) + failing s2 walk */
    const uint64_t ptw_par = 1 | 0x07ull << 1 | 1ull << 8 | 1ull << 9 | 1ull << 11;
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va, &e.tp.port, NULL), ptw_par);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E1R, va, &e.tp.port, NULL), ptw_par);
    /* the same with the internal stage 2 */
    e.tp.port.s2 = NULL;
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1W, va, &e.tp.port, &res), ptw_par);
    CHECK_EQ(res.fault.ipa, l2_ipa + ((va >> 21) & 0x1ff) * 8);
    wr(&e, s2l2, s2l2v);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1W, va, &e.tp.port, &res) & 1, 0);
    e.tp.port.s2 = tp_s2;

    /* stage-2 dirty state: S2AP read-only + DBM becomes writable with VTCR.HD */
    wr(&e, s2d, (s2v & ~(2ull << 6)) | DBM);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, W, &e.tp.port, &res), -1);
    e.r.vtcr_el2 |= 1u << 22;   /* HD without HA: no effect */
    e.r.hw_dbm = e.r.hw_af = true;
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, W, &e.tp.port, &res), -1);
    e.r.vtcr_el2 |= 1u << 21;
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), 0);
    CHECK(!(rd(&e, s2d) & (2ull << 6)));
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, W, &e.tp.port, &res), 0);
    CHECK(rd(&e, s2d) & (2ull << 6));

    /* hardware AF of a nested stage-1 descriptor: the update is a stage-2 write of the
     * table; a read-only stage-2 mapping of the table gives a s1ptw permission fault */
    uint64_t s1l3 = pt_desc(&s1, va, 3);
    wr(&e, s1l3, rd(&e, s1l3) & ~AF);
    e.r.tcr_el1 |= 1ull << 39;
    e.r.hw_af = true;
    uint64_t l3_ipa = rd(&e, pt_desc(&s1, va, 2)) & 0x0000fffffffff000ull;
    uint64_t s2l3 = pt_desc(&e.s2, l3_ipa, 3), s2l3v = rd(&e, s2l3);
    wr(&e, s2l3, s2l3v & ~(2ull << 6));
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    CHECK_EQ(res.fault.stage, 2);
    CHECK(res.fault.s1ptw);
    CHECK(res.fault.write);
    CHECK(!(rd(&e, s1l3) & AF));
    wr(&e, s2l3, s2l3v);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), 0);
    CHECK(rd(&e, s1l3) & AF);
    CHECK_EQ(e.tp.cas_count, 1);
    CHECK_EQ(e.tp.total, 24 + 4);   /* + the stage-2 write walk of the L3 table */
    env_destroy(&e);
}

/* Address size faults (TTBR, table descriptor, output address; MMU off), external abort,
 * reserved descriptors, EL2 regime. */
static void test_addr_size_misc(void)
{
    struct env e;
    struct pt t;
    struct mmu_walk_result res;
    env_init(&e);
    pt_init(&t, &e, 12, 0, 48, false);
    e.r.ttbr0_el1 = t.root;
    pt_map(&t, 0x10000, 0x1234567000ull, 3, AF);            /* OA above 4GB */
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), 0);
    e.r.tcr_el1 = (e.r.tcr_el1 & ~(7ull << 32)) | 2ull << 32;   /* IPS 40 bits */
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), 0);
    e.r.tcr_el1 &= ~(7ull << 32);                                /* IPS 32 bits */
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_ADDRESS_SIZE);
    CHECK_EQ(res.fault.level, 3);
    CHECK_EQ(res.fault.arch, 0x03);
    /* a TTBR above 32 bits: address size fault level 0 before any read */
    e.r.ttbr0_el1 = 0x100000000ull;
    tp_reset(&e.tp);
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_ADDRESS_SIZE);
    CHECK_EQ(res.fault.arch, 0x00);
    CHECK_EQ(e.tp.total, 0);
    e.r.ttbr0_el1 = t.root;
    /* pa_bits limits IPS: PARange 36 with IPS 48 */
    e.r.tcr_el1 |= 5ull << 32;
    e.r.pa_bits = 36;
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_ADDRESS_SIZE);
    e.r.pa_bits = 48;
    /* a table descriptor pointing beyond the output size: fault at its level */
    uint64_t l1 = pt_desc(&t, 0x10000, 1), d1 = rd(&e, l1);
    wr(&e, l1, d1 | 1ull << 47);
    e.r.tcr_el1 = (e.r.tcr_el1 & ~(7ull << 32)) | 4ull << 32;   /* 44 bits */
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_ADDRESS_SIZE);
    CHECK_EQ(res.fault.level, 1);
    /* a table in no memory: external abort on the walk at level 2 */
    wr(&e, l1, (d1 & ~0x0000fffffffff000ull) | 0x7000000000ull);
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_EXTERNAL);
    CHECK_EQ(res.fault.level, 2);
    CHECK_EQ(res.fault.arch, 0x16);
    wr(&e, l1, d1);
    /* reserved: 0b01 at level 3; block at level 0 */
    uint64_t l3 = pt_desc(&t, 0x10000, 3);
    wr(&e, l3, rd(&e, l3) & ~2ull);
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.level, 3);
    uint64_t l0 = pt_desc(&t, 0x10000, 0), d0 = rd(&e, l0);
    wr(&e, l0, (d0 & ~2ull) | AF);
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), -1);
    CHECK_EQ(res.fault.arch, 0x04);
    wr(&e, l0, d0);

    /* MMU off: flat with the PA-size check */
    e.r.sctlr_el1 = 0;
    e.r.pa_bits = 40;
    CHECK_EQ(walk_acc(&e, 0xff12345678ull, R, &res), 0);
    CHECK_EQ(res.oa, 0xff12345678ull);
    CHECK_EQ(res.attrs >> 56, 0x00);   /* Device-nGnRnE */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E1R, 0xff12345678ull, &e.tp.port, NULL),
             0xff12345000ull | 1ull << 11 | 1ull << 9 | 2ull << 7);
    CHECK_EQ(walk_acc(&e, 1ull << 40, R, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_ADDRESS_SIZE);
    CHECK_EQ(res.fault.level, 0);
    /* HCR_EL2.DC: stage 1 off (even with SCTLR.M = 1), data Normal WB, stage 2 on */
    e.r.sctlr_el1 = 1;
    e.r.hcr_el2 = 1ull << 12;
    CHECK(mmu_a64_s2_enabled(&e.r, MMU_A64_EL10));
    CHECK_EQ(walk_acc(&e, 0x10000, R, &res), 0);
    CHECK_EQ(res.oa, 0x10000);
    CHECK_EQ(res.attrs >> 56, 0xff);
    e.r.hcr_el2 = 0;
    e.r.pa_bits = 48;

    /* EL2 regime: TTBR0_EL2 / TCR_EL2, single range, AP[2] and XN only */
    struct pt h;
    pt_init(&h, &e, 12, 1, 39, false);
    e.r.sctlr_el2 = 1;
    e.r.tcr_el2 = 25 | 5u << 16;
    e.r.ttbr0_el2 = h.root;
    e.r.mair_el2 = 0x04ull << 8;
    pt_map(&h, 0x0000004000200000ull, 0x88000000ull, 3, AF | AP(3) | ATTRIDX(1) | SH_IS);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL2, 0x0000004000200010ull, R, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, 0x88000010ull);
    CHECK(res.global);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E2R, 0x0000004000200010ull, &e.tp.port, NULL),
             0x88000000ull | 0x04ull << 56 | 1ull << 11 | 1ull << 9 | 2ull << 7);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E2W, 0x0000004000200010ull, &e.tp.port, NULL),
             1 | 0x0full << 1 | 1ull << 11);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL2, 0x0000004000200010ull, X, &e.tp.port, &res), 0);
    CHECK_EQ(mmu_a64_walk_s1(&e.r, MMU_A64_EL2, 0x0000008000000000ull, R, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.arch, 0x04);
    env_destroy(&e);
}

/* PAR_EL1 for success (stage 1, stage 1+2 with combined attributes), translation fault,
 * permission fault, access-flag fault (EL0 ops too). */
static void test_at_par(void)
{
    struct env e;
    struct pt s1;
    struct mmu_walk_result res;
    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    pt_init(&s1, &e, 12, 0, 48, true);
    e.r.ttbr0_el1 = s1.root;
    const uint64_t va = 0x0000000000400000ull, ipa = GIPA_BASE + 0xa000000;
    pt_map(&s1, va, ipa, 3, AF | SH_IS | AP(1));                       /* WB, EL0 RW */
    pt_map(&s1, va + 0x1000, ipa + 0x1000, 3, AF | SH_IS | ATTRIDX(1)); /* Device */
    pt_map(&s1, va + 0x2000, ipa + 0x2000, 3, SH_IS);                   /* AF = 0 */
    pt_map(&s1, va + 0x3000, ipa + 0x3000, 3, AF | (2ull << 8) | AP(2)); /* RO, outer sh. */
    env_s2_cover(&e, ipa, 0x4000);
    const uint64_t pa = GPA_BASE + 0xa000000, b11 = 1ull << 11, ns = 1ull << 9;

    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va + 0x123, &e.tp.port, &res),
             pa | 0xffull << 56 | b11 | ns | 3ull << 7);
    CHECK_EQ(res.oa, pa + 0x123);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E0W, va, &e.tp.port, NULL),
             ipa | 0xffull << 56 | b11 | ns | 3ull << 7);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E0R, va + 0x1000, &e.tp.port, NULL),
             1 | 0x0full << 1 | b11);                               /* AP 00: no EL0 */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1W, va + 0x1000, &e.tp.port, NULL),
             (pa + 0x1000) | 0x00ull << 56 | b11 | ns | 2ull << 7);  /* Device: SH 10 */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1W, va + 0x2000, &e.tp.port, NULL),
             1 | 0x0bull << 1 | b11);                               /* AF, level 3 */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E1W, va + 0x3000, &e.tp.port, NULL),
             1 | 0x0full << 1 | b11);                               /* RO */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S1E1R, va + 0x3000, &e.tp.port, NULL),
             (ipa + 0x3000) | 0xffull << 56 | b11 | ns | 2ull << 7);
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va + 0x3000, &e.tp.port, NULL),
             (pa + 0x3000) | 0xffull << 56 | b11 | ns | 2ull << 7);  /* Outer wins */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va + 0x4000, &e.tp.port, NULL),
             1 | 0x07ull << 1 | b11);                               /* translation L3 */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, 0x0000000100000000ull, &e.tp.port, NULL),
             1 | 0x05ull << 1 | b11);                               /* translation L1 */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, 0x0000100000000000ull, &e.tp.port, NULL),
             1 | 0x04ull << 1 | b11);                               /* translation L0 */

    /* combined attributes: stage 2 Normal NC -> NC (0x44, SH 10); stage 2 Device-nGnRE ->
     * Device-nGnRE (0x04); stage 2 WT -> WT with the stage-1 allocation hints (0xbb) */
    uint64_t s2d = pt_desc(&e.s2, ipa, 3), s2v = rd(&e, s2d);
    wr(&e, s2d, (s2v & ~S2_MEMATTR(0xf)) | S2_MEMATTR(0x5));
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va, &e.tp.port, NULL),
             pa | 0x44ull << 56 | b11 | ns | 2ull << 7);
    wr(&e, s2d, (s2v & ~S2_MEMATTR(0xf)) | S2_MEMATTR(0x1));
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va, &e.tp.port, NULL),
             pa | 0x04ull << 56 | b11 | ns | 2ull << 7);
    wr(&e, s2d, (s2v & ~S2_MEMATTR(0xf)) | S2_MEMATTR(0xa));
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va, &e.tp.port, NULL),
             pa | 0xbbull << 56 | b11 | ns | 3ull << 7);
    uint64_t s1d = pt_desc(&s1, va, 3);
    wr(&e, s1d, rd(&e, s1d) | ATTRIDX(3));   /* stage 1 WB R-allocate only (0xee) */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, va, &e.tp.port, NULL),
             pa | 0xaaull << 56 | b11 | ns | 3ull << 7);
    env_destroy(&e);
}

/* Stage 2 with 16K and 64K granules, and the 16-table concatenation limit. */
static void test_s2_granules(void)
{
    struct env e;
    struct pt s1;
    struct mmu_walk_result res;
    static const struct { unsigned g, t0sz, sl0; unsigned s2_levels; } cfg[] = {
        { 14, 16, 2, 3 },   /* 16K, 48-bit IPA, level 1 with 2 concatenated tables */
        { 16, 16, 2, 3 },   /* 64K, 48-bit IPA, level 1 (6 bits) */
        { 16, 22, 1, 2 },   /* 64K, 42-bit IPA, level 2 */
        { 12, 21, 1, 3 },   /* 4K, 43-bit IPA, level 1 with 16 concatenated tables */
    };
    for (unsigned i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
        env_init(&e);
        env_s2(&e, cfg[i].g, cfg[i].t0sz, cfg[i].sl0, 3);
        pt_init(&s1, &e, 12, 0, 48, true);
        e.r.ttbr0_el1 = s1.root;
        uint64_t va = 0x0000222233334444ull, ipa = GIPA_BASE + 0xd000000;
        pt_map(&s1, va, ipa, 3, AF);
        env_s2_cover(&e, ipa, 4096);
        tp_reset(&e.tp);
        CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), 0);
        CHECK_EQ(res.oa, GPA_BASE + 0xd000444);
        CHECK_EQ(e.tp.total, 5 * (cfg[i].s2_levels + 1) - 1);
        CHECK_EQ(s_reads(&e.tp, 2), 5 * cfg[i].s2_levels);
        CHECK_EQ(e.tp.reads[2][3], 5);
        CHECK_EQ(res.page_shift, 12);
        CHECK_EQ(mmu_a64_walk_s2(&e.r, ipa, R, false, &e.tp.port, &res), 0);
        CHECK_EQ(res.page_shift, cfg[i].g);
        env_destroy(&e);
    }
    /* 4K, 44-bit IPA from level 1 would need 32 tables: inconsistent -> fault L0 */
    env_init(&e);
    env_s2(&e, 12, 21, 1, 3);
    env_s2_cover(&e, GIPA_BASE, 4096);
    CHECK_EQ(mmu_a64_walk_s2(&e.r, GIPA_BASE, R, false, &e.tp.port, &res), 0);
    e.r.vtcr_el2 = (e.r.vtcr_el2 & ~0x3full) | 20;
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_walk_s2(&e.r, GIPA_BASE, R, false, &e.tp.port, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.level, 0);
    CHECK_EQ(e.tp.total, 0);
    e.r.vtcr_el2 |= 3u << 6;   /* SL0 = 0b11: reserved */
    CHECK_EQ(mmu_a64_walk_s2(&e.r, GIPA_BASE, R, false, &e.tp.port, &res), -1);
    env_destroy(&e);
}

/* Walk caches: the second walk of a neighbouring VA starts at the cached level. */
static void test_pwc(void)
{
    struct env e;
    struct pt t;
    struct mmu_walk_result res;
    env_init(&e);
    pt_init(&t, &e, 12, 0, 48, false);
    e.r.ttbr0_el1 = t.root;
    pt_map(&t, 0x0000400000010000ull, 0x1000000, 3, AF | AP(1));
    pt_map(&t, 0x0000400000011000ull, 0x1001000, 3, AF | AP(1));
    wr(&e, pt_desc(&t, 0x0000400000010000ull, 1),
       rd(&e, pt_desc(&t, 0x0000400000010000ull, 1)) | 1ull << 61);  /* APTable[0] */
    e.tp.port.pwc_lookup = tp_pwc_lookup;
    e.tp.port.pwc_fill = tp_pwc_fill;
    tp_reset(&e.tp);
    CHECK_EQ(walk_acc(&e, 0x0000400000010000ull, R, &res), 0);
    CHECK_EQ(e.tp.total, 4);
    CHECK_EQ(e.tp.npwc, 3);
    CHECK_EQ(e.tp.pwc[2].st.level, 3);
    CHECK_EQ(e.tp.pwc[2].st.ia_shift, 21);
    CHECK(e.tp.pwc[2].st.pa_valid);
    tp_reset(&e.tp);
    CHECK_EQ(walk_acc(&e, 0x0000400000011000ull, R, &res), 0);
    CHECK_EQ(res.oa, 0x1001000);
    CHECK_EQ(e.tp.total, 1);
    CHECK_EQ(e.tp.reads[1][3], 1);
    /* inherited APTable[0] comes from the cache entry */
    CHECK_EQ(walk_acc(&e, 0x0000400000011000ull, R | U, &res), -1);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    /* a VA in another 2MB region but the same 1GB one starts at level 2 */
    pt_map(&t, 0x0000400000400000ull, 0x1002000, 3, AF);
    tp_reset(&e.tp);
    CHECK_EQ(walk_acc(&e, 0x0000400000400000ull, R, &res), 0);
    CHECK_EQ(e.tp.total, 2);
    env_destroy(&e);

    /* nested: the cold walk already hits the stage-2 cache it fills (all stage-1 tables
     * sit in one 2MB IPA region, the data in the same 1GB): 4 s1 reads + s2 walks of
     * 4, 1, 1, 1 (tables) and 2 (data) = 13. The neighbour then needs 1 s1 read + a 1-read
     * s2 walk of the L3 table + a 1-read s2 walk of the data IPA = 3. */
    struct pt s1;
    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    pt_init(&s1, &e, 12, 0, 48, true);
    e.r.ttbr0_el1 = s1.root;
    uint64_t va = 0x0000123456780000ull, ipa = GIPA_BASE + 0xb000000;
    pt_map(&s1, va, ipa, 3, AF);
    pt_map(&s1, va + 0x1000, ipa + 0x1000, 3, AF);
    env_s2_cover(&e, ipa, 0x2000);
    e.tp.port.pwc_lookup = tp_pwc_lookup;
    e.tp.port.pwc_fill = tp_pwc_fill;
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va, R, &e.tp.port, &res), 0);
    CHECK_EQ(e.tp.total, 13);
    CHECK_EQ(s_reads(&e.tp, 1), 4);
    tp_reset(&e.tp);
    CHECK_EQ(mmu_a64_translate(&e.r, MMU_A64_EL10, va + 0x1000, R, &e.tp.port, &res), 0);
    CHECK_EQ(res.oa, GPA_BASE + 0xb001000);
    CHECK_EQ(e.tp.total, 3);
    CHECK_EQ(e.tp.reads[1][3], 1);
    CHECK_EQ(e.tp.reads[2][3], 2);
    for (unsigned i = 0; i < e.tp.npwc; i++)
        if (e.tp.pwc[i].stage == 1)
            CHECK(!e.tp.pwc[i].st.pa_valid);
    env_destroy(&e);
}

/* KPTI: the guest is at EL0 with TTBR1_EL1 = the trampoline table, which maps only the
 * trampoline page. AT S12E1W of a kernel VA (39-bit VA, as in Xen's report) fails with a
 * level-1 translation fault: Xen's "Failed to walk page-table va". */
static void test_kpti(void)
{
    struct env e;
    struct pt kern, tramp;
    struct mmu_walk_result res;
    env_init(&e);
    env_s2(&e, 12, 16, 2, 3);
    e.r.tcr_el1 = 25 | 25ull << 16 | 2ull << 30 | 5ull << 32 | 1ull << 36;
    pt_init(&kern, &e, 12, 1, 39, true);
    pt_init(&tramp, &e, 12, 1, 39, true);
    const uint64_t kva = 0xffffff837ebe0cd0ull, tva = 0xffffffffff7f0000ull;
    const uint64_t kipa = GIPA_BASE + 0xc000000, tipa = GIPA_BASE + 0xc100000;
    pt_map(&kern, kva, kipa, 3, AF);
    pt_map(&kern, tva, tipa, 3, AF | AP(2));
    pt_map(&tramp, tva, tipa, 3, AF | AP(2));
    env_s2_cover(&e, kipa, 4096);
    env_s2_cover(&e, tipa, 4096);
    e.r.ttbr1_el1 = kern.root | 1ull << 48;    /* in the kernel: swapper_pg_dir */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1W, kva, &e.tp.port, &res) & 1, 0);
    CHECK_EQ(res.oa, GPA_BASE + 0xc000000 + 0xcd0);
    e.r.ttbr1_el1 = tramp.root | 1ull << 48;   /* at EL0: tramp_pg_dir */
    tp_reset(&e.tp);
    uint64_t par = mmu_a64_at(&e.r, MMU_AT_S12E1W, kva, &e.tp.port, &res);
    CHECK_EQ(par, 1 | 0x05ull << 1 | 1ull << 11);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.stage, 1);
    CHECK_EQ(res.fault.level, 1);
    CHECK_EQ(res.fault.va, kva);
    CHECK_EQ(e.tp.total, 5);   /* s2 walk of the level-1 descriptor's IPA + the read */
    CHECK_EQ(mmu_a64_at(&e.r, MMU_AT_S12E1R, tva, &e.tp.port, &res) & 1, 0);
    CHECK_EQ(res.oa, GPA_BASE + 0xc100000);
    env_destroy(&e);
}

int main(void)
{
    test_2d_4x4();
    test_2d_3x4();
    test_2d_4x3_concat();
    test_2d_blocks();
    test_granules();
    test_ttbr_select();
    test_perms();
    test_pan_wxn();
    test_af_dbm_asid();
    test_s2_faults();
    test_addr_size_misc();
    test_at_par();
    test_s2_granules();
    test_pwc();
    test_kpti();
    return test_summary();
}
