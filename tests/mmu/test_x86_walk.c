/* tests/mmu/test_x86_walk.c - the x86 functional walkers (mmu/x86_walk.c): guest paging in all
 * modes, EPT, the 2-D walk reference counts, #PF error codes, EPT exit qualifications, A/D
 * updates, walk-cache use. Page tables are built in a sim_mem; a counting port counts every
 * reference by stage and level. Guest memory: HPA = GPA + goff (goff = 1 GiB with EPT). */
#include <errno.h>
#include <string.h>

#include "mmu/x86_walk.h"
#include "sim/mem.h"
#include "testutil.h"

#define GIB (1ull << 30)
#define MIB (1ull << 20)

/* guest entry bits */
#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define PWT 0x8ull
#define PCD 0x10ull
#define A 0x20ull
#define D 0x40ull
#define PS 0x80ull
#define G 0x100ull
#define XD (1ull << 63)
/* EPT entry bits */
#define ER 0x1ull
#define EW 0x2ull
#define EX 0x4ull
#define EWB (6ull << 3)
#define ELEAF 0x80ull
#define EA 0x100ull
#define ED 0x200ull
#define EXU 0x400ull
#define ERWX_WB (ER | EW | EX | EWB)

#define CR0_PE 1ull

enum gm { GM32, GPAE, GL4, GL5 };

struct pwc_ent {
    bool valid;
    int stage;
    uint64_t tag;
    struct mmu_walk_state st;
};

struct t {
    struct sim_mem mem;
    struct mmu_walk_port port;
    unsigned reads[3][6]; /* [stage][level] */
    unsigned nreads, ncas, ns2, ns2w;
    uint64_t goff;        /* guest memory: HPA = GPA + goff */
    uint64_t gnext;       /* next free guest page (GPA) */
    uint64_t hnext;       /* next free EPT-table page (HPA) */
    uint64_t ept4k;       /* EPT root (4-level) that gets every new guest page mapped 4K */
    struct mmu_ept_regs ept; /* used by t_s2 */
    int cas_fail;         /* make this many cas calls report "changed" */
    bool pwc_on;
    struct pwc_ent pwc[32];
    unsigned pwc_fills, pwc_hits;
};

static int t_read(void *o, uint64_t pa, unsigned size, int stage, int level, uint64_t *val)
{
    struct t *t = o;
    t->nreads++;
    if (stage >= 1 && stage <= 2 && level >= 1 && level <= 5)
        t->reads[stage][level]++;
    return sim_mem_read(&t->mem, pa, size, val);
}

static int t_cas(void *o, uint64_t pa, unsigned size, int stage, int level, uint64_t expect, uint64_t desired)
{
    struct t *t = o;
    uint64_t cur;
    t->ncas++;
    if (t->cas_fail > 0) {
        t->cas_fail--;
        return 1;
    }
    if (sim_mem_read(&t->mem, pa, size, &cur))
        return -EFAULT;
    if (cur != expect)
        return 1;
    return sim_mem_write(&t->mem, pa, size, desired) ? -EFAULT : 0;
}

static int t_s2(void *o, uint64_t ipa, int s1_level, bool write, uint64_t *pa, struct mmu_fault *f)
{
    struct t *t = o;
    struct mmu_walk_result r;
    t->ns2++;
    if (write)
        t->ns2w++;
    int rc = mmu_x86_ept_walk(&t->ept, ipa, write ? MMU_ACC_WRITE : MMU_ACC_READ, true, 0, false,
                              &t->port, &r);
    if (rc == 0) {
        *pa = r.oa;
        return 0;
    }
    *f = r.fault;
    return -1;
}

static bool t_pwc_lookup(void *o, int stage, uint64_t ia, struct mmu_walk_state *st)
{
    struct t *t = o;
    const struct pwc_ent *best = NULL;
    if (!t->pwc_on)
        return false;
    for (unsigned i = 0; i < 32; i++) {
        const struct pwc_ent *p = &t->pwc[i];
        if (p->valid && p->stage == stage && (ia >> p->st.ia_shift) == p->tag &&
            (!best || p->st.level < best->st.level))
            best = p;
    }
    if (!best)
        return false;
    t->pwc_hits++;
    *st = best->st;
    return true;
}

static void t_pwc_fill(void *o, int stage, uint64_t ia, const struct mmu_walk_state *st)
{
    struct t *t = o;
    if (!t->pwc_on)
        return;
    t->pwc_fills++;
    struct pwc_ent *slot = NULL;
    for (unsigned i = 0; i < 32; i++) {
        struct pwc_ent *p = &t->pwc[i];
        if (p->valid && p->stage == stage && p->st.level == st->level && p->tag == (ia >> st->ia_shift)) {
            slot = p;
            break;
        }
        if (!p->valid && !slot)
            slot = p;
    }
    if (!slot)
        return;
    slot->valid = true;
    slot->stage = stage;
    slot->tag = ia >> st->ia_shift;
    slot->st = *st;
}

static void t_reset_counts(struct t *t)
{
    memset(t->reads, 0, sizeof(t->reads));
    t->nreads = t->ncas = t->ns2 = t->ns2w = 0;
    t->pwc_fills = t->pwc_hits = 0;
}

static uint64_t rd(struct t *t, uint64_t hpa, unsigned size)
{
    uint64_t v = 0;
    CHECK(sim_mem_read(&t->mem, hpa, size, &v) == 0);
    return v;
}

static void wr(struct t *t, uint64_t hpa, unsigned size, uint64_t v)
{
    CHECK(sim_mem_write(&t->mem, hpa, size, v) == 0);
}

static uint64_t halloc(struct t *t)
{
    uint64_t p = t->hnext;
    t->hnext += 0x1000;
    return p;
}

/* Map gpa -> hpa in the EPT rooted at root with `top` levels, leaf at level `leaf`
 * (1 = 4K, 2 = 2M, 3 = 1G), leaf bits lflags. Existing leaves are replaced. */
static void emap(struct t *t, uint64_t root, int top, uint64_t gpa, uint64_t hpa, int leaf, uint64_t lflags)
{
    uint64_t table = root;
    for (int lvl = top; lvl > leaf; lvl--) {
        uint64_t ea = table + ((gpa >> (12 + 9 * (lvl - 1))) & 511) * 8;
        uint64_t e = rd(t, ea, 8);
        if (!(e & 7)) {
            e = halloc(t) | ER | EW | EX | EXU; /* EXU: user-execute for MBEC */
            wr(t, ea, 8, e);
        }
        table = e & 0x000ffffffffff000ull;
    }
    uint64_t ea = table + ((gpa >> (12 + 9 * (leaf - 1))) & 511) * 8;
    wr(t, ea, 8, hpa | lflags | (leaf > 1 ? ELEAF : 0));
}

/* HPA of the EPT entry for gpa at `level` (tables must exist). */
static uint64_t eent(struct t *t, uint64_t root, int top, uint64_t gpa, int level)
{
    uint64_t table = root;
    for (int lvl = top; lvl > level; lvl--)
        table = rd(t, table + ((gpa >> (12 + 9 * (lvl - 1))) & 511) * 8, 8) & 0x000ffffffffff000ull;
    return table + ((gpa >> (12 + 9 * (level - 1))) & 511) * 8;
}

static uint64_t galloc(struct t *t)
{
    uint64_t p = t->gnext;
    t->gnext += 0x1000;
    if (t->ept4k)
        emap(t, t->ept4k, 4, p, p + t->goff, 1, ERWX_WB);
    return p;
}

static int g_top(enum gm m)
{
    return m == GM32 ? 2 : m == GPAE ? 3 : m == GL4 ? 4 : 5;
}

static unsigned g_esize(enum gm m)
{
    return m == GM32 ? 4 : 8;
}

static uint64_t g_idx(enum gm m, int lvl, uint64_t la)
{
    if (m == GM32)
        return (la >> (12 + 10 * (lvl - 1))) & 1023;
    if (m == GPAE && lvl == 3)
        return (la >> 30) & 3;
    return (la >> (12 + 9 * (lvl - 1))) & 511;
}

static uint64_t g_addr(enum gm m, uint64_t e)
{
    return m == GM32 ? (e & 0xfffff000ull) : (e & 0x000ffffffffff000ull);
}

/* Map la -> pa in guest tables (root = GPA of the top table), leaf at `leaf` level; missing
 * tables get tflags (PAE PDPTEs just P); the leaf gets lflags (PS added for large leaves). */
static void gmap(struct t *t, enum gm m, uint64_t root, uint64_t la, uint64_t pa, int leaf, uint64_t tflags,
                 uint64_t lflags)
{
    unsigned es = g_esize(m);
    uint64_t table = root;
    for (int lvl = g_top(m); lvl > leaf; lvl--) {
        uint64_t ea = table + g_idx(m, lvl, la) * es + t->goff;
        uint64_t e = rd(t, ea, es);
        if (!(e & P)) {
            e = galloc(t) | ((m == GPAE && lvl == 3) ? P : tflags);
            wr(t, ea, es, e);
        }
        table = g_addr(m, e);
    }
    wr(t, table + g_idx(m, leaf, la) * es + t->goff, es, pa | lflags | (leaf > 1 ? PS : 0));
}

/* HPA of the guest entry for la at `level`. */
static uint64_t gent(struct t *t, enum gm m, uint64_t root, uint64_t la, int level)
{
    unsigned es = g_esize(m);
    uint64_t table = root;
    for (int lvl = g_top(m); lvl > level; lvl--)
        table = g_addr(m, rd(t, table + g_idx(m, lvl, la) * es + t->goff, es));
    return table + g_idx(m, level, la) * es + t->goff;
}

/* with_ept: guest memory at +1 GiB and a 4K EPT root mapping every guest page allocated. */
static void t_init(struct t *t, bool with_ept)
{
    memset(t, 0, sizeof(*t));
    sim_mem_init(&t->mem);
    CHECK(sim_mem_add_ram(&t->mem, "ram", 0, 2 * GIB) == 0);
    t->port = (struct mmu_walk_port){ .opaque = t, .read = t_read, .cas = t_cas,
                                      .pwc_lookup = t_pwc_lookup, .pwc_fill = t_pwc_fill };
    t->gnext = 0x100000;
    t->hnext = 0x1000000;
    if (with_ept) {
        t->goff = GIB;
        t->ept4k = halloc(t);
        t->ept = (struct mmu_ept_regs){ .eptp = t->ept4k | MMU_X86_EPTP_WB | MMU_X86_EPTP_WALK4,
                                        .enabled = true, .maxphyaddr = 46 };
        t->port.s2 = t_s2;
    }
}

static void t_fini(struct t *t)
{
    sim_mem_destroy(&t->mem);
}

static struct mmu_x86_regs regs_l4(uint64_t cr3)
{
    return (struct mmu_x86_regs){ .cr0 = CR0_PE | MMU_X86_CR0_PG | MMU_X86_CR0_WP, .cr3 = cr3,
                                  .cr4 = MMU_X86_CR4_PAE | MMU_X86_CR4_PGE,
                                  .efer = MMU_X86_EFER_LME | MMU_X86_EFER_LMA | MMU_X86_EFER_NXE,
                                  .cpl = 0, .maxphyaddr = 46 };
}

/* ---- 2-D walk reference counts: (n+1)(m+1)-1 ------------------------------------------ */

static void count_case(int gtop, int gleaf, int etop, int eleaf)
{
    struct t t;
    t_init(&t, true);
    enum gm m = gtop == 5 ? GL5 : GL4;
    uint64_t eroot = t.ept4k;
    if (eleaf > 1 || etop != 4) {
        /* a separate EPT with large leaves (or 5 levels); nothing is mapped 4K automatically */
        t.ept4k = 0;
        eroot = halloc(&t);
        t.ept.eptp = eroot | MMU_X86_EPTP_WB | (etop == 5 ? MMU_X86_EPTP_WALK5 : MMU_X86_EPTP_WALK4);
    }
    uint64_t la = gtop == 5 ? 0x00ff7f8040201abcull : 0x00007f8040201abcull;
    uint64_t gsz = 1ull << (12 + 9 * (gleaf - 1)), esz = 1ull << (12 + 9 * (eleaf - 1));
    uint64_t data = gleaf == 3 ? GIB : gleaf == 2 ? 0x2400000ull : 0x2345000ull;
    uint64_t root = galloc(&t);
    gmap(&t, m, root, la, data, gleaf, P | RW | US | A, P | RW | US | A | D);
    uint64_t final_gpa = data + (la & (gsz - 1));
    if (eleaf > 1 || etop != 4) {
        for (uint64_t g = 0; g < t.gnext; g += esz) /* guest tables */
            emap(&t, eroot, etop, g, g + t.goff, eleaf, ERWX_WB);
    }
    uint64_t fpage = final_gpa & ~(esz - 1);
    emap(&t, eroot, etop, fpage, fpage + t.goff, eleaf, ERWX_WB);
    t.pwc_on = false;

    unsigned n = (unsigned)(gtop - gleaf + 1), mm = (unsigned)(etop - eleaf + 1);
    unsigned expect = (n + 1) * (mm + 1) - 1;
    struct mmu_x86_regs r = regs_l4(root);
    if (gtop == 5)
        r.cr4 |= MMU_X86_CR4_LA57;
    struct mmu_walk_result res;

    t_reset_counts(&t);
    int rc = mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res);
    CHECK_EQ(rc, 0);
    CHECK_EQ(res.fault.kind, MMU_FAULT_NONE);
    CHECK_EQ(res.oa, final_gpa + t.goff);
    CHECK_EQ(t.nreads, expect);
    CHECK_EQ(res.walk_refs, n + mm); /* the port's s2 made the rest */
    CHECK_EQ(res.page_shift, gsz < esz ? 12 + 9 * (gleaf - 1) : 12 + 9 * (eleaf - 1));
    for (int l = 1; l <= 5; l++) {
        CHECK_EQ(t.reads[1][l], (l >= gleaf && l <= gtop) ? 1 : 0);
        CHECK_EQ(t.reads[2][l], (l >= eleaf && l <= etop) ? n + 1 : 0);
    }
    CHECK_EQ(t.ns2, n);
    CHECK_EQ(t.ncas, 0); /* A/D already set, EPT A/D off */

    /* Same walk with the table GPAs translated inside mmu_x86_translate (port->s2 NULL). */
    t.port.s2 = NULL;
    t_reset_counts(&t);
    rc = mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res);
    CHECK_EQ(rc, 0);
    CHECK_EQ(res.oa, final_gpa + t.goff);
    CHECK_EQ(t.nreads, expect);
    CHECK_EQ(res.walk_refs, expect);
    t_fini(&t);
}

static void test_2d_counts(void)
{
    count_case(4, 1, 4, 1); /* 24 */
    count_case(4, 2, 4, 1); /* 2M guest: 19 */
    count_case(4, 3, 4, 1); /* 1G guest: 14 */
    count_case(4, 1, 4, 2); /* 2M EPT: 19 */
    count_case(4, 1, 4, 3); /* 1G EPT: 14 */
    count_case(4, 2, 4, 2); /* 15 */
    count_case(4, 3, 4, 3); /* 8 */
    count_case(5, 1, 4, 1); /* 5-level guest: 29 */
    count_case(4, 1, 5, 1); /* 5-level EPT: 29 */
    count_case(5, 1, 5, 1); /* 35 */
}

/* ---- native IA-32e walks, A/D ----------------------------------------------------------- */

static void test_native_ad(void)
{
    struct t t;
    t_init(&t, false);
    uint64_t root = galloc(&t), la = 0x00007f0000123456ull;
    gmap(&t, GL4, root, la, 0x5000000, 1, P | RW | US, P | RW | US);
    gmap(&t, GL4, root, 0x40000000ull, 0x600000, 2, P | RW | US, P | RW);
    struct mmu_x86_regs r = regs_l4(root);
    struct mmu_walk_result res;

    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, la, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x5000456);
    CHECK_EQ(res.page_shift, 12);
    CHECK_EQ(t.nreads, 4);
    CHECK_EQ(res.walk_refs, 4);
    CHECK_EQ(t.ncas, 4); /* A set on all four entries */
    for (int l = 4; l >= 1; l--) {
        uint64_t e = rd(&t, gent(&t, GL4, root, la, l), 8);
        CHECK((e & A) != 0);
        CHECK((e & D) == 0);
    }
    CHECK_EQ(res.perms & (MMU_X86_P_W | MMU_X86_P_U | MMU_X86_P_DIRTY), MMU_X86_P_W | MMU_X86_P_U);
    /* a write to a cached non-dirty entry needs a re-walk */
    CHECK(!mmu_x86_perm_ok(res.perms, MMU_ACC_WRITE, &r));
    CHECK(mmu_x86_perm_ok(res.perms, MMU_ACC_READ, &r));

    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, la, MMU_ACC_WRITE, &t.port, &res), 0);
    CHECK_EQ(t.ncas, 1); /* only the leaf's D */
    CHECK((rd(&t, gent(&t, GL4, root, la, 1), 8) & D) != 0);
    for (int l = 4; l >= 2; l--)
        CHECK((rd(&t, gent(&t, GL4, root, la, l), 8) & D) == 0);
    CHECK((res.perms & MMU_X86_P_DIRTY) != 0);
    CHECK(mmu_x86_perm_ok(res.perms, MMU_ACC_WRITE, &r));

    /* 2M leaf: 3 reads, D on the PDE only for the write */
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x40012345ull, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x612345);
    CHECK_EQ(res.page_shift, 21);
    CHECK_EQ(t.nreads, 3);
    CHECK((rd(&t, gent(&t, GL4, root, 0x40000000ull, 2), 8) & (A | D)) == A);
    CHECK_EQ(mmu_x86_walk(&r, 0x40012345ull, MMU_ACC_WRITE, &t.port, &res), 0);
    CHECK((rd(&t, gent(&t, GL4, root, 0x40000000ull, 2), 8) & (A | D)) == (A | D));

    /* A faulting access does not set the leaf's A: user read of a supervisor 2M page. */
    wr(&t, gent(&t, GL4, root, 0x40000000ull, 2), 8, 0x600000 | P | PS);
    r.cpl = 3;
    CHECK_EQ(mmu_x86_walk(&r, 0x40012345ull, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(rd(&t, gent(&t, GL4, root, 0x40000000ull, 2), 8), 0x600000 | P | PS);

    /* 1G page with PAT/PCD/PWT attributes */
    gmap(&t, GL4, root, 0x8000000000ull, 0x40000000ull, 3, P | RW, P | RW | PWT | PCD | (1ull << 12));
    r.cpl = 0;
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x8000000000ull + 0x1234567, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x41234567);
    CHECK_EQ(res.page_shift, 30);
    CHECK_EQ(t.nreads, 2);
    CHECK_EQ(res.attrs, MMU_X86_A_PWT | MMU_X86_A_PCD | MMU_X86_A_PAT);

    /* the compare-and-swap loses once: the walk restarts from the top */
    uint64_t la2 = 0x00007f0000200000ull;
    gmap(&t, GL4, root, la2, 0x7000000, 1, P | RW | US, P | RW | US);
    wr(&t, gent(&t, GL4, root, la2, 4), 8, rd(&t, gent(&t, GL4, root, la2, 4), 8) & ~A);
    t_reset_counts(&t);
    t.cas_fail = 1;
    CHECK_EQ(mmu_x86_walk(&r, la2, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x7000000);
    CHECK_EQ(t.nreads, 5);
    CHECK_EQ(res.walk_refs, 5);

    /* descriptor read outside memory: external */
    r.cr3 = 0x3000000000ull;
    CHECK_EQ(mmu_x86_walk(&r, la, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_EXTERNAL);
    CHECK_EQ(res.fault.level, 4);
    t_fini(&t);
}

/* ---- #PF error codes --------------------------------------------------------------------- */

#define LA_KRW 0x00007f0000001000ull
#define LA_KRO 0x00007f0000002000ull
#define LA_URW 0x00007f0000003000ull
#define LA_URO 0x00007f0000004000ull
#define LA_UNX 0x00007f0000005000ull
#define LA_KNX 0x00007f0000006000ull
#define LA_NP 0x00007f0000007000ull
#define LA_RSV 0x00007f0000008000ull

static void pf_case(struct t *t, struct mmu_x86_regs *r, uint64_t la, unsigned acc, int expect_rc,
                    enum mmu_fault_kind kind, uint32_t ec, int level)
{
    struct mmu_walk_result res;
    int rc = mmu_x86_walk(r, la, acc, &t->port, &res);
    CHECK_EQ(rc, expect_rc);
    CHECK_EQ(res.fault.kind, kind);
    if (kind != MMU_FAULT_NONE) {
        CHECK_EQ(res.fault.arch, ec);
        CHECK_EQ(res.fault.level, level);
        CHECK_EQ(res.fault.stage, 1);
        CHECK_EQ(res.fault.va, la);
        CHECK_EQ(res.fault.write, (acc & MMU_ACC_WRITE) != 0);
    }
}

static void test_pf_codes(void)
{
    struct t t;
    t_init(&t, false);
    uint64_t root = galloc(&t);
    const uint64_t tf = P | RW | US | A;
    gmap(&t, GL4, root, LA_KRW, 0x1001000, 1, tf, P | RW | A | D);
    gmap(&t, GL4, root, LA_KRO, 0x1002000, 1, tf, P | A | D);
    gmap(&t, GL4, root, LA_URW, 0x1003000, 1, tf, P | RW | US | A | D);
    gmap(&t, GL4, root, LA_URO, 0x1004000, 1, tf, P | US | A | D);
    gmap(&t, GL4, root, LA_UNX, 0x1005000, 1, tf, P | RW | US | XD | A | D);
    gmap(&t, GL4, root, LA_KNX, 0x1006000, 1, tf, P | RW | XD | A | D);
    gmap(&t, GL4, root, LA_RSV, 0x1008000 | (1ull << 50), 1, tf, P | RW | A | D);
    struct mmu_x86_regs r = regs_l4(root);
    const unsigned RD = MMU_ACC_READ, WRT = MMU_ACC_WRITE, EXE = MMU_ACC_EXEC;
    const int F = -EFAULT;
    const enum mmu_fault_kind NP = MMU_FAULT_TRANSLATION, PR = MMU_FAULT_PERMISSION, NONE = MMU_FAULT_NONE;

    /* not present: read/write, user/supervisor (P = 0) */
    pf_case(&t, &r, LA_NP, RD, F, NP, 0x0, 1);
    pf_case(&t, &r, LA_NP, WRT, F, NP, 0x2, 1);
    r.cpl = 3;
    pf_case(&t, &r, LA_NP, RD, F, NP, 0x4, 1);
    pf_case(&t, &r, LA_NP, WRT, F, NP, 0x6, 1);
    /* not present fetch with NXE: I/D */
    pf_case(&t, &r, LA_NP, EXE, F, NP, 0x14, 1);
    /* user protection: U/S, W */
    pf_case(&t, &r, LA_KRW, RD, F, PR, 0x5, 1);
    pf_case(&t, &r, LA_URO, WRT, F, PR, 0x7, 1);
    pf_case(&t, &r, LA_URO, RD, 0, NONE, 0, 0);
    pf_case(&t, &r, LA_URW, WRT, 0, NONE, 0, 0);
    /* NX fetch with NXE */
    pf_case(&t, &r, LA_UNX, EXE, F, PR, 0x15, 1);
    pf_case(&t, &r, LA_URW, EXE, 0, NONE, 0, 0);
    /* MMU_ACC_IMPLICIT at CPL 3 is a supervisor access: kernel page readable */
    pf_case(&t, &r, LA_KRW, RD | MMU_ACC_IMPLICIT, 0, NONE, 0, 0);
    r.cpl = 0;
    /* supervisor: MMU_ACC_USER forces user-mode checks */
    pf_case(&t, &r, LA_KRW, RD | MMU_ACC_USER, F, PR, 0x5, 1);
    pf_case(&t, &r, LA_KNX, EXE, F, PR, 0x11, 1);
    /* CR0.WP: supervisor write to read-only page faults with WP=1, succeeds with WP=0 */
    pf_case(&t, &r, LA_KRO, WRT, F, PR, 0x3, 1);
    pf_case(&t, &r, LA_URO, WRT, F, PR, 0x3, 1);
    r.cr0 &= ~MMU_X86_CR0_WP;
    pf_case(&t, &r, LA_KRO, WRT, 0, NONE, 0, 0);
    pf_case(&t, &r, LA_URO, WRT, 0, NONE, 0, 0);
    r.cr0 |= MMU_X86_CR0_WP;
    /* RSVD: bit 50 beyond MAXPHYADDR 46 */
    pf_case(&t, &r, LA_RSV, RD, F, MMU_FAULT_RESERVED, 0x9, 1);
    pf_case(&t, &r, LA_RSV, WRT, F, MMU_FAULT_RESERVED, 0xb, 1);
    r.maxphyaddr = 52; /* now a valid address bit */
    pf_case(&t, &r, LA_RSV, RD, 0, NONE, 0, 0);
    r.maxphyaddr = 46;
    /* XD with EFER.NXE = 0 is reserved; fetch without NXE/SMEP has no I/D */
    r.efer &= ~MMU_X86_EFER_NXE;
    pf_case(&t, &r, LA_KNX, RD, F, MMU_FAULT_RESERVED, 0x9, 1);
    pf_case(&t, &r, LA_NP, EXE, F, NP, 0x0, 1);
    pf_case(&t, &r, LA_KRW, EXE, 0, NONE, 0, 0);
    r.efer |= MMU_X86_EFER_NXE;
    /* SMEP: supervisor fetch from a user page */
    pf_case(&t, &r, LA_URW, EXE, 0, NONE, 0, 0);
    r.cr4 |= MMU_X86_CR4_SMEP;
    pf_case(&t, &r, LA_URW, EXE, F, PR, 0x11, 1);
    r.efer &= ~MMU_X86_EFER_NXE; /* I/D still set thanks to SMEP */
    pf_case(&t, &r, LA_URW, EXE, F, PR, 0x11, 1);
    r.efer |= MMU_X86_EFER_NXE;
    pf_case(&t, &r, LA_KRW, EXE, 0, NONE, 0, 0);
    r.cr4 &= ~MMU_X86_CR4_SMEP;
    /* SMAP: supervisor read of a user page, with and without RFLAGS.AC; implicit accesses */
    pf_case(&t, &r, LA_URW, RD, 0, NONE, 0, 0);
    r.cr4 |= MMU_X86_CR4_SMAP;
    pf_case(&t, &r, LA_URW, RD, F, PR, 0x1, 1);
    pf_case(&t, &r, LA_URW, WRT, F, PR, 0x3, 1);
    pf_case(&t, &r, LA_KRW, RD, 0, NONE, 0, 0);
    r.rflags_ac = true;
    pf_case(&t, &r, LA_URW, RD, 0, NONE, 0, 0);
    pf_case(&t, &r, LA_URW, WRT, 0, NONE, 0, 0);
    pf_case(&t, &r, LA_URW, RD | MMU_ACC_IMPLICIT, F, PR, 0x1, 1);
    r.cpl = 3; /* implicit supervisor access from CPL 3: AC does not help */
    pf_case(&t, &r, LA_URW, RD | MMU_ACC_IMPLICIT, F, PR, 0x1, 1);
    pf_case(&t, &r, LA_URW, RD, 0, NONE, 0, 0); /* a user access is not affected by SMAP */
    r.cpl = 0;
    r.rflags_ac = false;
    r.cr4 &= ~MMU_X86_CR4_SMAP;

    /* U/S and R/W are AND-ed across levels: clear U/S in the PDPTE */
    uint64_t pdpte = gent(&t, GL4, root, LA_URW, 3);
    wr(&t, pdpte, 8, rd(&t, pdpte, 8) & ~US);
    r.cpl = 3;
    pf_case(&t, &r, LA_URW, RD, F, PR, 0x5, 1);
    r.cpl = 0;
    wr(&t, pdpte, 8, (rd(&t, pdpte, 8) | US) & ~RW);
    pf_case(&t, &r, LA_URW, WRT, F, PR, 0x3, 1);
    wr(&t, pdpte, 8, rd(&t, pdpte, 8) | RW | XD);
    pf_case(&t, &r, LA_URW, EXE, F, PR, 0x11, 1);
    wr(&t, pdpte, 8, rd(&t, pdpte, 8) & ~XD);
    /* reserved PS bit in a PML4E; not-present PDE */
    uint64_t pml4e = gent(&t, GL4, root, LA_URW, 4);
    wr(&t, pml4e, 8, rd(&t, pml4e, 8) | PS);
    pf_case(&t, &r, LA_URW, RD, F, MMU_FAULT_RESERVED, 0x9, 4);
    wr(&t, pml4e, 8, rd(&t, pml4e, 8) & ~PS);
    pf_case(&t, &r, 0x00007f0000400000ull, RD, F, NP, 0x0, 2);
    pf_case(&t, &r, 0x00007f0040000000ull, RD, F, NP, 0x0, 3);
    /* 2M page with reserved bit 13 */
    gmap(&t, GL4, root, 0x00007f0080000000ull, 0x800000 | (1ull << 13), 2, tf, P | RW | A | D);
    pf_case(&t, &r, 0x00007f0080000000ull, RD, F, MMU_FAULT_RESERVED, 0x9, 2);

    /* perm_ok re-checks cached perms under the current state */
    struct mmu_walk_result res;
    CHECK_EQ(mmu_x86_walk(&r, LA_URW, RD, &t.port, &res), 0);
    CHECK(mmu_x86_perm_ok(res.perms, RD, &r));
    r.cr4 |= MMU_X86_CR4_SMAP;
    CHECK(!mmu_x86_perm_ok(res.perms, RD, &r));
    r.rflags_ac = true;
    CHECK(mmu_x86_perm_ok(res.perms, RD, &r));
    CHECK(mmu_x86_perm_ok(res.perms, WRT, &r));
    r.cr4 |= MMU_X86_CR4_SMEP;
    CHECK(!mmu_x86_perm_ok(res.perms, EXE, &r));
    r.cpl = 3;
    CHECK(mmu_x86_perm_ok(res.perms, EXE, &r));
    CHECK_EQ(mmu_x86_walk(&r, LA_UNX, RD, &t.port, &res), 0);
    CHECK(!mmu_x86_perm_ok(res.perms, EXE, &r));
    r.efer &= ~MMU_X86_EFER_NXE;
    CHECK(mmu_x86_perm_ok(res.perms, EXE, &r));
    t_fini(&t);
}

/* ---- canonical, invalid arguments, global, PCID ------------------------------------------ */

static void test_misc(void)
{
    struct t t;
    t_init(&t, false);
    uint64_t root = galloc(&t);
    uint64_t lak = 0xffff800000001000ull;
    gmap(&t, GL4, root, lak, 0x3000000, 1, P | RW | A, P | RW | A | D | G);
    struct mmu_x86_regs r = regs_l4(root);
    struct mmu_walk_result res;

    /* non-canonical -> #GP by the caller, no reference made */
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x0000800000000000ull, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_X86_FAULT_NONCANONICAL);
    CHECK_EQ(res.fault.va, 0x0000800000000000ull);
    CHECK_EQ(t.nreads, 0);
    CHECK_EQ(mmu_x86_walk(&r, 0xfff0800000001000ull, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_X86_FAULT_NONCANONICAL);

    /* global: G on the leaf with CR4.PGE */
    CHECK_EQ(mmu_x86_walk(&r, lak, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x3000000);
    CHECK(res.global);
    r.cr4 &= ~MMU_X86_CR4_PGE;
    CHECK_EQ(mmu_x86_walk(&r, lak, MMU_ACC_READ, &t.port, &res), 0);
    CHECK(!res.global);

    /* PCID */
    r.cr3 = root | 0x5;
    CHECK_EQ(mmu_x86_pcid(&r), 0);
    r.cr4 |= MMU_X86_CR4_PCIDE;
    CHECK_EQ(mmu_x86_pcid(&r), 5);
    CHECK_EQ(mmu_x86_walk(&r, lak, MMU_ACC_READ, &t.port, &res), 0); /* PCID bits not an address */
    CHECK_EQ(res.oa, 0x3000000);
    r.cr3 = root | 0xfff | (1ull << 63);
    CHECK_EQ(mmu_x86_pcid(&r), 0xfff);

    /* 5-level: the same la is not canonical with LA57 off; 0x00ff... is canonical with it */
    r = regs_l4(root);
    CHECK_EQ(mmu_x86_walk(&r, 0x00ff000000000000ull, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_X86_FAULT_NONCANONICAL);
    r.cr4 |= MMU_X86_CR4_LA57; /* root now read as a PML5 (entry 1 is empty) */
    CHECK_EQ(mmu_x86_walk(&r, 0x00ff000000000000ull, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.level, 5);

    /* paging off: identity, no references */
    r.cr0 = CR0_PE;
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x12345678, MMU_ACC_WRITE | MMU_ACC_EXEC, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x12345678);
    CHECK_EQ(t.nreads, 0);
    CHECK(mmu_x86_perm_ok(res.perms, MMU_ACC_WRITE | MMU_ACC_USER, &r));

    /* invalid arguments */
    r = regs_l4(root);
    r.maxphyaddr = 0;
    CHECK_EQ(mmu_x86_walk(&r, lak, MMU_ACC_READ, &t.port, &res), -EINVAL);
    r = regs_l4(root);
    r.cr4 &= ~MMU_X86_CR4_PAE; /* long mode without PAE */
    CHECK_EQ(mmu_x86_walk(&r, lak, MMU_ACC_READ, &t.port, &res), -EINVAL);
    CHECK_EQ(mmu_x86_walk(NULL, lak, MMU_ACC_READ, &t.port, &res), -EINVAL);
    struct mmu_ept_regs e = { .eptp = 0x1000 | 1 | MMU_X86_EPTP_WALK4, .enabled = true, .maxphyaddr = 46 };
    CHECK_EQ(mmu_x86_ept_walk(&e, 0, MMU_ACC_READ, false, 0, false, &t.port, &res), -EINVAL);
    e.eptp = 0x1000 | MMU_X86_EPTP_WB | (2ull << 3);
    CHECK_EQ(mmu_x86_ept_walk(&e, 0, MMU_ACC_READ, false, 0, false, &t.port, &res), -EINVAL);
    r = regs_l4(root);
    CHECK_EQ(mmu_x86_translate(&r, &e, lak, MMU_ACC_READ, &t.port, &res), -EINVAL);
    t_fini(&t);
}

/* ---- 32-bit paging ------------------------------------------------------------------------ */

static void test_32bit(void)
{
    struct t t;
    t_init(&t, false);
    uint64_t pd = galloc(&t);
    gmap(&t, GM32, pd, 0x00401234, 0x00abc000, 1, P | RW | US, P | RW | US | G);
    /* 4M page; PSE-36: PA bits 35:32 = 0x3 in entry bits 16:13 */
    wr(&t, pd + (0x80000000u >> 22) * 4, 4, 0x00c00000 | (0x3u << 13) | P | RW | PS | G);
    struct mmu_x86_regs r = { .cr0 = CR0_PE | MMU_X86_CR0_PG | MMU_X86_CR0_WP, .cr3 = pd,
                              .cr4 = MMU_X86_CR4_PSE | MMU_X86_CR4_PGE, .efer = MMU_X86_EFER_NXE,
                              .maxphyaddr = 36 };
    struct mmu_walk_result res;

    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x00401234, MMU_ACC_WRITE, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x00abc234);
    CHECK_EQ(res.page_shift, 12);
    CHECK_EQ(t.nreads, 2);
    CHECK_EQ(t.reads[1][2], 1);
    CHECK_EQ(t.reads[1][1], 1);
    CHECK(res.global);
    CHECK_EQ(rd(&t, gent(&t, GM32, pd, 0x00401234, 2), 4) & (A | D), A);
    CHECK_EQ(rd(&t, gent(&t, GM32, pd, 0x00401234, 1), 4) & (A | D), A | D);

    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x80123456, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x300d23456ull);
    CHECK_EQ(res.page_shift, 22);
    CHECK_EQ(t.nreads, 1);
    /* upper la bits are ignored (32-bit linear addresses) */
    CHECK_EQ(mmu_x86_walk(&r, 0xffffffff80123456ull, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x300d23456ull);
    /* user read of the supervisor 4M page */
    r.cpl = 3;
    CHECK_EQ(mmu_x86_walk(&r, 0x80123456, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, 0x5);
    CHECK_EQ(res.fault.level, 2);
    /* fetch of a not-present page: no I/D (no PAE, no SMEP) even with NXE */
    CHECK_EQ(mmu_x86_walk(&r, 0x00402000, MMU_ACC_EXEC, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, 0x4);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    r.cpl = 0;
    /* PA bit 36 beyond MAXPHYADDR 36 (entry bit 17), and bit 21: RSVD */
    wr(&t, pd + (0x80000000u >> 22) * 4, 4, 0x00c00000 | (0x10u << 13) | P | PS);
    CHECK_EQ(mmu_x86_walk(&r, 0x80123456, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_RESERVED);
    CHECK_EQ(res.fault.arch, 0x9);
    r.maxphyaddr = 40;
    CHECK_EQ(mmu_x86_walk(&r, 0x80123456, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x1000d23456ull);
    wr(&t, pd + (0x80000000u >> 22) * 4, 4, 0x00c00000 | (1u << 21) | P | PS);
    CHECK_EQ(mmu_x86_walk(&r, 0x80123456, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_RESERVED);
    /* CR4.PSE = 0: PS is ignored, the PDE points to a page table */
    uint64_t pt = galloc(&t);
    wr(&t, pt + 0x123 * 4, 4, 0x00777000 | P);
    wr(&t, pd + (0x80000000u >> 22) * 4, 4, pt | P | PS);
    r.cr4 &= ~MMU_X86_CR4_PSE;
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x80123456, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x00777456);
    CHECK_EQ(t.nreads, 2);
    CHECK(!res.global);
    t_fini(&t);
}

/* ---- PAE paging --------------------------------------------------------------------------- */

static void test_pae(void)
{
    struct t t;
    t_init(&t, false);
    uint64_t pdpt = galloc(&t) + 0x20; /* 32-byte aligned, not page aligned */
    gmap(&t, GPAE, pdpt, 0xc0001234, 0x00345000, 1, P | RW | US, P | RW | US);
    gmap(&t, GPAE, pdpt, 0x40200000, 0x00600000, 2, P | RW | US, P | RW | XD);
    struct mmu_x86_regs r = { .cr0 = CR0_PE | MMU_X86_CR0_PG | MMU_X86_CR0_WP, .cr3 = pdpt,
                              .cr4 = MMU_X86_CR4_PAE, .efer = MMU_X86_EFER_NXE, .maxphyaddr = 36 };
    struct mmu_walk_result res;

    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0xc0001234, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x00345234);
    CHECK_EQ(t.nreads, 3);
    CHECK_EQ(t.reads[1][3], 1);
    CHECK_EQ(t.ncas, 2); /* PDE and PTE A; PDPTEs have no A flag */
    CHECK_EQ(rd(&t, gent(&t, GPAE, pdpt, 0xc0001234, 3), 8), rd(&t, gent(&t, GPAE, pdpt, 0xc0001234, 3), 8) & ~A);

    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, 0x40234567, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x00634567);
    CHECK_EQ(res.page_shift, 21);
    CHECK_EQ(t.nreads, 2);
    CHECK_EQ(mmu_x86_walk(&r, 0x40234567, MMU_ACC_EXEC, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, 0x11);
    CHECK_EQ(res.fault.level, 2);
    /* XD with NXE = 0 is a reserved bit */
    r.efer = 0;
    CHECK_EQ(mmu_x86_walk(&r, 0x40234567, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_RESERVED);
    CHECK_EQ(res.fault.arch, 0x9);
    r.efer = MMU_X86_EFER_NXE;
    /* PDPTE: R/W (bit 1) is reserved */
    uint64_t pdpte = gent(&t, GPAE, pdpt, 0xc0001234, 3);
    wr(&t, pdpte, 8, rd(&t, pdpte, 8) | RW);
    CHECK_EQ(mmu_x86_walk(&r, 0xc0001234, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_RESERVED);
    CHECK_EQ(res.fault.level, 3);
    wr(&t, pdpte, 8, rd(&t, pdpte, 8) & ~RW);
    /* bits 62:M reserved in a PTE (bit 40 with M = 36) */
    uint64_t pte = gent(&t, GPAE, pdpt, 0xc0001234, 1);
    wr(&t, pte, 8, rd(&t, pte, 8) | (1ull << 40));
    CHECK_EQ(mmu_x86_walk(&r, 0xc0001234, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_RESERVED);
    r.maxphyaddr = 52;
    CHECK_EQ(mmu_x86_walk(&r, 0xc0001234, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x10000345234ull);
    /* not-present PDPTE */
    CHECK_EQ(mmu_x86_walk(&r, 0x00001000, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.level, 3);
    t_fini(&t);
}

/* ---- EPT violations and misconfigurations ------------------------------------------------ */

static void test_ept(void)
{
    struct t t;
    t_init(&t, true);
    uint64_t root = galloc(&t);
    const uint64_t la = 0x00007f0000010000ull, la_ro = la + 0x1000, la_np = la + 0x2000,
                   la_xu = la + 0x3000, la_mc = la + 0x4000;
    const uint64_t g = 0x3000000; /* data GPAs g, g+0x1000 (RO), g+0x2000 (not in EPT) ... */
    gmap(&t, GL4, root, la, g, 1, P | RW | US | A, P | RW | A | D);
    gmap(&t, GL4, root, la_ro, g + 0x1000, 1, P | RW | US | A, P | RW | A | D);
    gmap(&t, GL4, root, la_np, g + 0x2000, 1, P | RW | US | A, P | RW | A | D);
    gmap(&t, GL4, root, la_xu, g + 0x3000, 1, P | RW | US | A, P | RW | US | A | D);
    gmap(&t, GL4, root, la_mc, g + 0x4000, 1, P | RW | US | A, P | RW | A | D);
    uint64_t er = t.ept4k;
    emap(&t, er, 4, g, g + GIB, 1, ERWX_WB);
    emap(&t, er, 4, g + 0x1000, g + 0x1000 + GIB, 1, ER | EWB);
    emap(&t, er, 4, g + 0x3000, g + 0x3000 + GIB, 1, ER | EXU | EWB);
    emap(&t, er, 4, g + 0x4000, g + 0x4000 + GIB, 1, EW | EX | EWB); /* W without R */
    struct mmu_x86_regs r = regs_l4(root);
    struct mmu_walk_result res;
    const uint32_t gla = MMU_X86_EQ_GLA_VALID | MMU_X86_EQ_GLA_XLATE | MMU_X86_EQ_GLA_W; /* supervisor, RW, !XD */

    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_WRITE, &t.port, &res), 0);
    CHECK_EQ(res.oa, g + GIB);
    CHECK((res.perms & (MMU_X86_P_EPT | MMU_X86_P_EPT_R | MMU_X86_P_EPT_W | MMU_X86_P_EPT_X)) ==
          (MMU_X86_P_EPT | MMU_X86_P_EPT_R | MMU_X86_P_EPT_W | MMU_X86_P_EPT_X));
    CHECK_EQ(res.attrs >> MMU_X86_A_EPT_MT_SHIFT & 7, 6);

    /* not present in EPT: read / write / fetch, final access (bit 8 set), GLA valid */
    static const struct { unsigned acc; uint32_t q; } np[] = {
        { MMU_ACC_READ, MMU_X86_EQ_READ }, { MMU_ACC_WRITE, MMU_X86_EQ_WRITE },
        { MMU_ACC_EXEC, MMU_X86_EQ_FETCH } };
    for (unsigned i = 0; i < 3; i++) {
        CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_np + 0x10, np[i].acc, &t.port, &res), -EFAULT);
        CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
        CHECK_EQ(res.fault.stage, 2);
        CHECK_EQ(res.fault.level, 1);
        CHECK_EQ(res.fault.arch, np[i].q | gla);
        CHECK_EQ(res.fault.ipa, g + 0x2010);
        CHECK_EQ(res.fault.va, la_np + 0x10);
        CHECK(!res.fault.s1ptw);
    }
    /* read-only EPT page: read ok, write and fetch violate; bits 3-5 = R only */
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_ro, MMU_ACC_READ, &t.port, &res), 0);
    CHECK(!mmu_x86_perm_ok(res.perms, MMU_ACC_WRITE, &r));
    CHECK(mmu_x86_perm_ok(res.perms, MMU_ACC_READ, &r));
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_ro, MMU_ACC_WRITE, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_WRITE | MMU_X86_EQ_R | gla);
    CHECK(res.fault.write);
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_ro, MMU_ACC_EXEC, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_FETCH | MMU_X86_EQ_R | gla);
    /* bits 9-11 reflect the guest rights of the GLA: user page, writable */
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_xu, MMU_ACC_WRITE, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_WRITE | MMU_X86_EQ_R | gla | MMU_X86_EQ_GLA_U);
    /* direct EPT walk without a GLA: bits 7 and 8 clear */
    CHECK_EQ(mmu_x86_ept_walk(&t.ept, g + 0x1000, MMU_ACC_WRITE, false, 0, false, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_WRITE | MMU_X86_EQ_R);
    CHECK_EQ(res.fault.va, 0);

    /* MBEC: the page has user-execute only */
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_xu, MMU_ACC_EXEC, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_FETCH | MMU_X86_EQ_R | gla | MMU_X86_EQ_GLA_U); /* no MBEC: bit 10 ignored */
    t.ept.mode_based_x = true;
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_xu, MMU_ACC_EXEC, &t.port, &res), 0); /* user-mode GLA */
    CHECK(mmu_x86_perm_ok(res.perms, MMU_ACC_EXEC | MMU_ACC_USER, &r));
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_ro, MMU_ACC_EXEC, &t.port, &res), -EFAULT); /* supervisor GLA */
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_FETCH | MMU_X86_EQ_R | gla);
    t.ept.mode_based_x = false;

    /* misconfiguration: W without R */
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la_mc, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_MISCONFIG);
    CHECK_EQ(res.fault.stage, 2);
    CHECK_EQ(res.fault.ipa, g + 0x4000);
    /* leaf memory type 2, reserved bit 51, non-leaf bit 3: misconfigurations */
    emap(&t, er, 4, g + 0x4000, g + 0x4000 + GIB, 1, ER | (2ull << 3));
    CHECK_EQ(mmu_x86_ept_walk(&t.ept, g + 0x4000, MMU_ACC_READ, false, 0, false, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_MISCONFIG);
    emap(&t, er, 4, g + 0x4000, (g + 0x4000 + GIB) | (1ull << 51), 1, ERWX_WB);
    CHECK_EQ(mmu_x86_ept_walk(&t.ept, g + 0x4000, MMU_ACC_READ, false, 0, false, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_MISCONFIG);
    emap(&t, er, 4, g + 0x4000, g + 0x4000 + GIB, 1, ERWX_WB);
    CHECK_EQ(mmu_x86_ept_walk(&t.ept, g + 0x4000, MMU_ACC_READ, false, 0, false, &t.port, &res), 0);
    uint64_t epde = eent(&t, er, 4, g, 2);
    wr(&t, epde, 8, rd(&t, epde, 8) | (1ull << 3));
    CHECK_EQ(mmu_x86_ept_walk(&t.ept, g + 0x4000, MMU_ACC_READ, false, 0, false, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_MISCONFIG);
    CHECK_EQ(res.fault.level, 2);
    wr(&t, epde, 8, rd(&t, epde, 8) & ~(1ull << 3));

    /* paging-structure access: the guest PT page not present in EPT -> bit 8 clear, s1ptw */
    uint64_t pt_gpa = gent(&t, GL4, root, la, 1) - GIB; /* GPA of the PTE */
    uint64_t ept_pt_ent = eent(&t, er, 4, pt_gpa, 1);
    uint64_t saved = rd(&t, ept_pt_ent, 8);
    wr(&t, ept_pt_ent, 8, 0);
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
    CHECK_EQ(res.fault.stage, 2);
    CHECK(res.fault.s1ptw);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_READ | MMU_X86_EQ_GLA_VALID);
    CHECK_EQ(res.fault.ipa, pt_gpa);
    CHECK_EQ(res.fault.va, la);
    /* same with the internal stage 2 of mmu_x86_translate */
    t.port.s2 = NULL;
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_READ | MMU_X86_EQ_GLA_VALID);
    CHECK(res.fault.s1ptw);
    t.port.s2 = t_s2;
    /* read-only guest PT page: reading is fine, but an A-flag update is a write */
    wr(&t, ept_pt_ent, 8, (saved & ~EW));
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), 0);
    uint64_t pte = gent(&t, GL4, root, la, 1);
    wr(&t, pte, 8, rd(&t, pte, 8) & ~A);
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.kind, MMU_FAULT_PERMISSION);
    CHECK(res.fault.s1ptw);
    CHECK(res.fault.write);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_WRITE | MMU_X86_EQ_R | MMU_X86_EQ_X | MMU_X86_EQ_GLA_VALID);
    CHECK_EQ(t.ns2w, 1);
    /* with EPT A/D on, every guest paging-structure access counts as a write */
    wr(&t, pte, 8, rd(&t, pte, 8) | A);
    t.ept.eptp |= MMU_X86_EPTP_AD;
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, MMU_X86_EQ_READ | MMU_X86_EQ_WRITE | MMU_X86_EQ_R | MMU_X86_EQ_X | MMU_X86_EQ_GLA_VALID);
    wr(&t, ept_pt_ent, 8, saved);
    t_fini(&t);
}

/* EPT A/D flags: A on every EPT entry used, D on leaves written (guest paging structures count
 * as written with EPT A/D on); the 2-D walk of a cold guest (A = 0) asks stage 2 again for
 * each A/D update. */
static void test_ept_ad(void)
{
    struct t t;
    t_init(&t, true);
    uint64_t root = galloc(&t), la = 0x00007f8040201abcull, g = 0x2345000;
    gmap(&t, GL4, root, la, g, 1, P | RW, P | RW);
    emap(&t, t.ept4k, 4, g, g + GIB, 1, ERWX_WB);
    struct mmu_x86_regs r = regs_l4(root);
    struct mmu_walk_result res;
    t.pwc_on = false;

    /* EPT A/D off, guest A = 0: 24 + 4 extra stage-2 walks (write) for the 4 A updates */
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(t.nreads, 24 + 4 * 4);
    CHECK_EQ(t.ns2w, 4);
    CHECK_EQ(t.ncas, 4);
    for (int l = 4; l >= 1; l--)
        CHECK((rd(&t, gent(&t, GL4, root, la, l), 8) & A) != 0);
    CHECK_EQ(rd(&t, eent(&t, t.ept4k, 4, g, 1), 8) & (EA | ED), 0);

    /* EPT A/D on: A on all EPT entries, D on the guest table pages' leaves and, for a write,
     * on the data page's leaf */
    t.ept.eptp |= MMU_X86_EPTP_AD;
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(t.nreads, 24);
    CHECK_EQ(rd(&t, eent(&t, t.ept4k, 4, g, 1), 8) & (EA | ED), EA);
    for (int l = 4; l >= 2; l--)
        CHECK((rd(&t, eent(&t, t.ept4k, 4, g, l), 8) & (EA | ED)) == EA);
    uint64_t pt_gpa = gent(&t, GL4, root, la, 1) - GIB;
    CHECK_EQ(rd(&t, eent(&t, t.ept4k, 4, pt_gpa, 1), 8) & (EA | ED), EA | ED);
    CHECK(!mmu_x86_perm_ok(res.perms, MMU_ACC_WRITE, &r)); /* neither guest D nor EPT D yet */
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_WRITE, &t.port, &res), 0);
    CHECK_EQ(rd(&t, eent(&t, t.ept4k, 4, g, 1), 8) & (EA | ED), EA | ED);
    CHECK((rd(&t, gent(&t, GL4, root, la, 1), 8) & D) != 0);
    CHECK(mmu_x86_perm_ok(res.perms, MMU_ACC_WRITE, &r));
    t_fini(&t);
}

/* ---- PTI: user CR3 lacks the kernel half --------------------------------------------------- */

static void test_pti(void)
{
    for (int ept = 0; ept < 2; ept++) {
        struct t t;
        t_init(&t, ept);
        uint64_t kroot = galloc(&t), uroot = galloc(&t);
        uint64_t kva = 0xffff888000123000ull, uva = 0x0000555500001000ull, tramp = 0xfffffe0000000000ull;
        gmap(&t, GL4, kroot, kva, 0x2000000, 1, P | RW | A, P | RW | A | D);
        gmap(&t, GL4, kroot, uva, 0x2001000, 1, P | RW | US | A, P | RW | US | A | D);
        gmap(&t, GL4, kroot, tramp, 0x2002000, 1, P | A, P | A);
        /* the user copy: user half + the entry trampoline only */
        gmap(&t, GL4, uroot, uva, 0x2001000, 1, P | RW | US | A, P | RW | US | A | D);
        gmap(&t, GL4, uroot, tramp, 0x2002000, 1, P | A, P | A);
        if (ept)
            for (uint64_t p = 0x2000000; p < 0x2003000; p += 0x1000)
                emap(&t, t.ept4k, 4, p, p + GIB, 1, ERWX_WB);
        struct mmu_x86_regs r = regs_l4(kroot | 1);
        r.cr4 |= MMU_X86_CR4_PCIDE;
        struct mmu_walk_result res;
        CHECK_EQ(mmu_x86_translate(&r, &t.ept, kva, MMU_ACC_WRITE, &t.port, &res), 0);
        CHECK_EQ(res.oa, 0x2000000 + t.goff);
        r.cr3 = uroot | 2 | (1ull << 63); /* user PCID, no-flush bit */
        r.cpl = 3;
        CHECK_EQ(mmu_x86_pcid(&r), 2);
        CHECK_EQ(mmu_x86_translate(&r, &t.ept, uva, MMU_ACC_READ, &t.port, &res), 0);
        /* the kernel entry path (CPL 0, still on the user CR3) runs from the trampoline */
        r.cpl = 0;
        CHECK_EQ(mmu_x86_translate(&r, &t.ept, tramp, MMU_ACC_EXEC, &t.port, &res), 0);
        /* the hypervisor translating a kernel VA while the vCPU runs on the user CR3 */
        t_reset_counts(&t);
        CHECK_EQ(mmu_x86_translate(&r, &t.ept, kva, MMU_ACC_WRITE, &t.port, &res), -EFAULT);
        CHECK_EQ(res.fault.kind, MMU_FAULT_TRANSLATION);
        CHECK_EQ(res.fault.stage, 1);
        CHECK_EQ(res.fault.level, 4);
        CHECK_EQ(res.fault.arch, 0x2);
        CHECK_EQ(res.fault.va, kva);
        CHECK_EQ(t.nreads, ept ? 5u : 1u);
        t_fini(&t);
    }
}

/* ---- walk caches ---------------------------------------------------------------------------- */

static void test_pwc(void)
{
    /* native: the second walk of a neighbouring page starts at the PDE-cache level */
    struct t t;
    t_init(&t, false);
    uint64_t root = galloc(&t), la = 0x00007f8040201000ull;
    gmap(&t, GL4, root, la, 0x2345000, 1, P | RW | A, P | RW | A | D);
    gmap(&t, GL4, root, la + 0x1000, 0x2346000, 1, P | RW | A, P | RW | A | D);
    gmap(&t, GL4, root, la + 0x200000, 0x2347000, 1, P | RW | A, P | RW | A | D);
    struct mmu_x86_regs r = regs_l4(root);
    struct mmu_walk_result res;
    t.pwc_on = true;
    CHECK_EQ(mmu_x86_walk(&r, la, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(t.nreads, 4);
    CHECK_EQ(t.pwc_fills, 3); /* PML4E, PDPTE, PDE caches */
    CHECK_EQ(t.pwc_hits, 0);
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, la + 0x1000, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x2346000);
    CHECK_EQ(t.nreads, 1);
    CHECK_EQ(t.reads[1][1], 1);
    CHECK_EQ(t.pwc_hits, 1);
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_walk(&r, la + 0x200000, MMU_ACC_READ, &t.port, &res), 0); /* other PDE */
    CHECK_EQ(res.oa, 0x2347000);
    CHECK_EQ(t.nreads, 2);
    CHECK_EQ(t.reads[1][2], 1);
    /* inherited rights come from the cache entry: a user access still fails (U/S = 0 above) */
    r.cpl = 3;
    CHECK_EQ(mmu_x86_walk(&r, la + 0x1000, MMU_ACC_READ, &t.port, &res), -EFAULT);
    CHECK_EQ(res.fault.arch, 0x5);
    t_fini(&t);

    /* 2-D: guest and EPT caches; guest tables share one EPT PT, the data page another */
    t_init(&t, true);
    root = galloc(&t);
    gmap(&t, GL4, root, la, 0x2345000, 1, P | RW | A, P | RW | A | D);
    gmap(&t, GL4, root, la + 0x1000, 0x2346000, 1, P | RW | A, P | RW | A | D);
    emap(&t, t.ept4k, 4, 0x2345000, 0x2345000 + GIB, 1, ERWX_WB);
    emap(&t, t.ept4k, 4, 0x2346000, 0x2346000 + GIB, 1, ERWX_WB);
    r = regs_l4(root);
    t.pwc_on = true;
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la, MMU_ACC_READ, &t.port, &res), 0);
    /* guest 4 + EPT walks: first table 4, next three tables 1 each (EPT PDE cache), data
     * page 2 (EPT PDPTE cache: other 2M region) */
    CHECK_EQ(t.nreads, 4 + 4 + 3 + 2);
    CHECK_EQ(t.reads[1][4] + t.reads[1][3] + t.reads[1][2] + t.reads[1][1], 4);
    t_reset_counts(&t);
    CHECK_EQ(mmu_x86_translate(&r, &t.ept, la + 0x1000, MMU_ACC_READ, &t.port, &res), 0);
    CHECK_EQ(res.oa, 0x2346000 + GIB);
    CHECK_EQ(t.nreads, 2); /* guest PTE (table HPA cached, no stage 2) + EPT PTE */
    CHECK_EQ(t.reads[1][1], 1);
    CHECK_EQ(t.reads[2][1], 1);
    CHECK_EQ(t.ns2, 0);
    t_fini(&t);
}

int main(void)
{
    test_2d_counts();
    test_native_ad();
    test_pf_codes();
    test_misc();
    test_32bit();
    test_pae();
    test_ept();
    test_ept_ad();
    test_pti();
    test_pwc();
    return test_summary();
}
