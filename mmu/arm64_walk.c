/* mmu/arm64_walk.c - VMSAv8-64 functional translation (ARM DDI0487 chapter D8): stage 1 of
 * the EL1&0 and EL2 regimes, stage 2, the combined 2-D walk and the permission check a TLB
 * hit re-runs. Every descriptor access goes through the walk port (mmu/walk_port.h); this
 * file counts nothing but the convenience walk_refs. */
#include "mmu/arm64_walk.h"

#include <string.h>

/* One translation in progress: the walker's only state (no globals). */
struct walk_ctx {
    const struct mmu_a64_regs *r;
    struct mmu_walk_port *port;
    unsigned refs;     /* descriptor reads made (walk_refs) */
    bool s2_on;        /* stage-1 table addresses are IPAs */
};

/* ---- register fields (ARM DDI0487 D19 / D24 register descriptions) ---- */
#define SCTLR_M        (1ull << 0)
#define SCTLR_I        (1ull << 12)
#define SCTLR_WXN      (1ull << 19)
#define HCR_VM         (1ull << 0)
#define HCR_DC         (1ull << 12)
#define TCR_EPD0       (1ull << 7)
#define TCR_EPD1       (1ull << 23)
#define TCR_A1         (1ull << 22)
#define TCR_AS         (1ull << 36)
#define TCR_TBI0       (1ull << 37)
#define TCR_TBI1       (1ull << 38)
#define TCR_HA         (1ull << 39)
#define TCR_HD         (1ull << 40)
#define TCR_TBID0      (1ull << 51)
#define TCR_TBID1      (1ull << 52)
#define TCR2_TBI       (1ull << 20)  /* TCR_EL2 (E2H == 0) */
#define TCR2_HA        (1ull << 21)
#define TCR2_HD        (1ull << 22)
#define TCR2_TBID      (1ull << 29)
#define VTCR_VS        (1ull << 19)
#define VTCR_HA        (1ull << 21)
#define VTCR_HD        (1ull << 22)

/* ---- descriptor fields (DDI0487 D8.3 "Translation table descriptor formats") ---- */
#define D_VALID        (1ull << 0)
#define D_TABLE        (1ull << 1)   /* table (level < 3) / page (level 3) */
#define D_AP1          (1ull << 6)   /* stage 1 AP[1]; stage 2 S2AP[0] (read) */
#define D_AP2          (1ull << 7)   /* stage 1 AP[2]; stage 2 S2AP[1] (write) */
#define D_AF           (1ull << 10)
#define D_NG           (1ull << 11)
#define D_DBM          (1ull << 51)
#define D_PXN          (1ull << 53)
#define D_UXN          (1ull << 54)  /* UXN / XN (EL2 regime) / stage 2 XN[1] */
#define D_PXNTABLE     (1ull << 59)
#define D_UXNTABLE     (1ull << 60)
#define D_APTABLE0     (1ull << 61)
#define D_APTABLE1     (1ull << 62)
#define D_NSTABLE      (1ull << 63)
#define ADDR_48        0x0000ffffffffffffull

static uint64_t bits_mask(unsigned n)
{
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* Log2 of the granule from TCR.TG0 / VTCR.TG0 (00 4K, 01 64K, 10 16K) and TCR_EL1.TG1
 * (01 16K, 10 4K, 11 64K). Reserved values: DDI0487 D8.1.x lets the PE treat them as an
 * IMPLEMENTATION DEFINED granule; this model uses 4K. */
static unsigned tg0_granule(unsigned tg)
{
    return tg == 1 ? 16 : tg == 2 ? 14 : 12;
}

static unsigned tg1_granule(unsigned tg)
{
    return tg == 1 ? 14 : tg == 3 ? 16 : 12;
}

static unsigned pa_bits_clamped(unsigned pa_bits)
{
    if (pa_bits < 32)
        return 32;
    return pa_bits > 48 ? 48 : pa_bits;  /* no FEAT_LPA: 52-bit OAs are not modelled */
}

/* TCR.IPS / TCR_EL2.PS / VTCR_EL2.PS encodings (DDI0487 D8.1.x "Output address size"),
 * limited to the implemented PARange (an xPS above PARange behaves as PARange). */
static unsigned oa_size(unsigned enc, unsigned pa_bits)
{
    static const unsigned ps[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };
    unsigned n = ps[enc & 7];
    unsigned pa = pa_bits_clamped(pa_bits);
    if (n > pa)
        n = pa;
    return n;
}

/* Input bits resolved by one lookup level: level l of granule 2^g resolves
 * IA[g + (3-l)(g-3) + (g-3) - 1 : g + (3-l)(g-3)] (DDI0487 D8.2 "Translation granule"). */
static unsigned level_shift(unsigned g, int level)
{
    return g + (unsigned)(3 - level) * (g - 3);
}

/* Block descriptors are permitted at level 1 (4K granule: 1GB) and level 2 (2MB / 32MB /
 * 512MB) only; level 0 blocks and 64K level-1 blocks need FEAT_LPA(2) (DDI0487 D8.3.1). */
static bool block_allowed(unsigned g, int level)
{
    return level == 2 || (level == 1 && g == 12);
}

static void set_fault(struct mmu_fault *f, enum mmu_fault_kind kind, int stage, int level,
                      unsigned acc)
{
    f->kind = kind;
    f->stage = stage;
    f->level = level;
    f->s1ptw = false;
    f->write = (acc & MMU_ACC_WRITE) != 0;
    f->arch = mmu_a64_fsc(f);
}

unsigned mmu_a64_fsc(const struct mmu_fault *f)
{
    unsigned l = f->level < 0 ? 0u : (unsigned)f->level & 3u;
    switch (f->kind) {
    case MMU_FAULT_NONE:
        return 0;
    case MMU_FAULT_ADDRESS_SIZE:
        return 0x00 | l;
    case MMU_FAULT_TRANSLATION:
        return 0x04 | l;
    case MMU_FAULT_ACCESS_FLAG:
        return 0x08 | l;
    case MMU_FAULT_PERMISSION:
        return 0x0c | l;
    case MMU_FAULT_EXTERNAL:
        return 0x14 | l;     /* synchronous external abort on translation table walk */
    default:
        return 0x10;         /* synchronous external abort, not on a walk (no Arm equivalent) */
    }
}

/* ---- memory attributes ---- */

static uint64_t par_attrs(unsigned attr, unsigned sh)
{
    /* PAR_EL1.SH reads 0b10 for Device and Inner+Outer Non-cacheable memory (DDI0487
     * D24.2 PAR_EL1 SH note); NS = 1: results come from the Non-secure regimes. */
    if ((attr & 0xf0) == 0 || attr == 0x44)
        sh = 2;
    return ((uint64_t)attr << 56) | (1ull << 9) | ((uint64_t)(sh & 3) << 7);
}

/* Cacheability class of a MAIR nibble: 0 NC, 1 WT, 2 WB (DDI0487 D19 MAIR_EL1 Attr<n>). */
static unsigned nibble_class(unsigned n)
{
    if (n == 0x4 || n == 0x0)
        return 0;
    switch (n >> 2) {
    case 0: return 1;  /* 0b00RW, RW != 0: Write-Through transient */
    case 1: return 2;  /* 0b01RW: Write-Back transient */
    case 2: return 1;  /* 0b10RW: Write-Through non-transient */
    default: return 2; /* 0b11RW: Write-Back non-transient */
    }
}

/* Stage-2 MemAttr[3:0] as the equivalent MAIR byte: Device 0b00dd -> 0b0000dd00; Normal
 * outer [3:2] / inner [1:0] with 01 NC, 10 WT, 11 WB (DDI0487 D8.6.5 "Stage 2 memory type
 * and Cacheability attributes"). Allocation hints come from stage 1, so a stage-2-only
 * result reports read/write-allocate (RW = 11) for cacheable memory. */
static unsigned s2_memattr_to_mair(unsigned ma)
{
    static const unsigned nib[4] = { 0x4, 0x4, 0xb, 0xf };
    if ((ma & 0xc) == 0)
        return (ma & 3) << 2;
    return nib[(ma >> 2) & 3] << 4 | nib[ma & 3];
}

/* Combine stage-1 and stage-2 attributes with HCR_EL2.FWB == 0 (DDI0487 D8.6.6 "Combining
 * the stage 1 and stage 2 attributes"): any Device gives Device of the more restrictive
 * type; Normal+Normal takes the weaker cacheability per inner/outer (NC < WT < WB) with
 * stage-1 allocation hints; shareability: Outer if either is Outer, else Inner if either is
 * Inner (Non-cacheable and Device results report Outer via par_attrs). */
static uint64_t combine_attrs(uint64_t s1, uint64_t s2)
{
    unsigned a1 = (unsigned)(s1 >> 56), a2 = (unsigned)(s2 >> 56);
    unsigned sh1 = (unsigned)(s1 >> 7) & 3, sh2 = (unsigned)(s2 >> 7) & 3, sh;
    bool d1 = (a1 & 0xf0) == 0, d2 = (a2 & 0xf0) == 0;
    unsigned attr;
    if (d1 || d2) {
        unsigned t1 = d1 ? (a1 >> 2) & 3 : 3, t2 = d2 ? (a2 >> 2) & 3 : 3;
        attr = (t1 < t2 ? t1 : t2) << 2;
    } else {
        unsigned out = 0;
        for (int half = 1; half >= 0; half--) {
            unsigned n1 = (a1 >> (4 * half)) & 0xf, n2 = (a2 >> (4 * half)) & 0xf;
            unsigned c1 = nibble_class(n1), c2 = nibble_class(n2);
            unsigned c = c1 < c2 ? c1 : c2, n;
            if (c == 0)
                n = 0x4;
            else if (c == c1)
                n = n1;
            else
                n = 0x8 | (n1 & 3);   /* WB at stage 1 limited to WT: keep its RW hints */
            out |= n << (4 * half);
        }
        attr = out;
    }
    if (sh1 == 2 || sh2 == 2)
        sh = 2;
    else if (sh1 == 3 || sh2 == 3)
        sh = 3;
    else
        sh = 0;
    return par_attrs(attr, sh);
}

/* ---- permissions ---- */

bool mmu_a64_perm_ok(uint32_t perms, unsigned acc, const struct mmu_a64_regs *r,
                     enum mmu_a64_regime regime)
{
    bool user = regime == MMU_A64_EL10 && (acc & MMU_ACC_USER);
    if (acc & MMU_ACC_EXEC) {
        if (!(perms & (user ? MMU_A64_P_UX : MMU_A64_P_PX)))
            return false;
        if (!(perms & (user ? MMU_A64_P_S2UX : MMU_A64_P_S2PX)))
            return false;
    }
    if (acc & MMU_ACC_READ) {
        if (!(perms & (user ? MMU_A64_P_UR : MMU_A64_P_PR)) || !(perms & MMU_A64_P_S2R))
            return false;
    }
    if (acc & MMU_ACC_WRITE) {
        if (!(perms & (user ? MMU_A64_P_UW : MMU_A64_P_PW)) || !(perms & MMU_A64_P_S2W))
            return false;
    }
    /* PAN (DDI0487 D8.4.1.4 "Privileged access never"): a privileged data access of the
     * EL1&0 regime to a location EL0 can read or write faults while PSTATE.PAN is 1, unless
     * the access ignores PAN (AT S1E1R/W, S12E1R/W). Instruction fetches are not affected. */
    if (!user && regime == MMU_A64_EL10 && r->pan && !(perms & MMU_A64_P_NOPAN) &&
        !(acc & (MMU_ACC_EXEC | MMU_ACC_NOPAN)) &&
        (acc & (MMU_ACC_READ | MMU_ACC_WRITE)) && (perms & (MMU_A64_P_UR | MMU_A64_P_UW)))
        return false;
    return true;
}

/* Stage-1 permissions of a leaf (DDI0487 D8.4 "Memory access control"): AP[2:1] direct
 * permissions, APTable/UXNTable/PXNTable hierarchical limits, "EL0-writable implies PXN"
 * (D8.4.1.3) and SCTLR_ELx.WXN. Stage-2 bits are all set. */
static uint32_t s1_perms(uint64_t d, uint64_t inh, enum mmu_a64_regime regime, uint64_t sctlr)
{
    bool ap2 = d & D_AP2, ap1 = d & D_AP1, wxn = sctlr & SCTLR_WXN;
    uint32_t p = MMU_A64_P_S2_ALL;
    if (regime == MMU_A64_EL2) {
        /* EL2 regime without E2H: one privilege level, AP[1] RES1, XN at bit 54. */
        bool pw = !ap2 && !(inh & MMU_A64_INH_AP1);
        bool px = !(d & D_UXN) && !(inh & MMU_A64_INH_UXN) && !(wxn && pw);
        p |= MMU_A64_P_PR | (pw ? MMU_A64_P_PW : 0) | (px ? MMU_A64_P_PX : 0);
        return p;
    }
    bool pr = true, pw = !ap2, ur = ap1, uw = ap1 && !ap2;
    if (inh & MMU_A64_INH_AP0)
        ur = uw = false;
    if (inh & MMU_A64_INH_AP1)
        pw = uw = false;
    bool px = !(d & D_PXN) && !(inh & MMU_A64_INH_PXN) && !uw;
    bool ux = !(d & D_UXN) && !(inh & MMU_A64_INH_UXN);
    if (wxn) {
        px = px && !pw;
        ux = ux && !uw;
    }
    p |= (pr ? MMU_A64_P_PR : 0) | (pw ? MMU_A64_P_PW : 0) | (px ? MMU_A64_P_PX : 0) |
         (ur ? MMU_A64_P_UR : 0) | (uw ? MMU_A64_P_UW : 0) | (ux ? MMU_A64_P_UX : 0);
    return p;
}

/* Stage-2 permissions (DDI0487 D8.4.3): S2AP[0] read, S2AP[1] write, XN[1] (bit 54) no
 * execution at EL1 and EL0. FEAT_XNX (XN[0], bit 53) is not modelled: bit 53 is ignored. */
static uint32_t s2_perms(uint64_t d)
{
    uint32_t p = MMU_A64_P_S1_ALL | MMU_A64_P_NOPAN;
    if (d & D_AP1)
        p |= MMU_A64_P_S2R;
    if (d & D_AP2)
        p |= MMU_A64_P_S2W;
    if (!(d & D_UXN))
        p |= MMU_A64_P_S2PX | MMU_A64_P_S2UX;
    return p;
}

/* ---- the table walk shared by both stages ---- */

struct wparams {
    int stage;
    enum mmu_a64_regime regime;  /* stage 1 */
    unsigned g;                  /* log2 granule */
    int start;                   /* start level */
    unsigned ia_bits, oa_bits;
    uint64_t base;               /* start-level table (IPA when nested) */
    bool nested;                 /* stage-1 table addresses are IPAs */
    bool ha, hd;                 /* hardware AF / dirty-state updates enabled */
    uint64_t sctlr;              /* stage 1: for WXN */
};

struct leaf {
    uint64_t desc;
    int level;
    uint64_t inh;
    uint32_t perms;
};

/* Internal access flag: an AT instruction (no hardware dirty-state update). */
#define ACC_AT (1u << 30)

static uint32_t leaf_perms(const struct wparams *p, uint64_t d, uint64_t inh)
{
    return p->stage == 1 ? s1_perms(d, inh, p->regime, p->sctlr) : s2_perms(d);
}

static int walk_s2_int(struct walk_ctx *c, uint64_t ipa, unsigned acc, bool s1ptw,
                       struct mmu_walk_result *res);

/* PA of a stage-1 descriptor at IPA `ipa` of a nested walk. */
static int s1_desc_pa(struct walk_ctx *c, uint64_t ipa, int s1_level, bool write,
                      uint64_t *pa, struct mmu_fault *f)
{
    struct mmu_walk_port *port = c->port;
    if (port->s2) {
        struct mmu_fault tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (port->s2(port->opaque, ipa, s1_level, write, pa, &tmp) == 0)
            return 0;
        *f = tmp;
        f->stage = 2;
        f->s1ptw = true;
        f->write = write;
        f->ipa = ipa;
        if (!f->arch)
            f->arch = mmu_a64_fsc(f);
        return -1;
    }
    struct mmu_walk_result r2;
    if (walk_s2_int(c, ipa, write ? MMU_ACC_WRITE : MMU_ACC_READ, true, &r2)) {
        *f = r2.fault;
        return -1;
    }
    *pa = r2.oa;
    return 0;
}

/* Walk from the start level (or a walk-cache state) to the leaf for ia. On success fills
 * *lf and returns 0; on a fault fills f (kind, stage, level, s1ptw, write, ipa) and
 * returns -1. `acc` decides whether a hardware dirty-state update is made. */
static int table_walk(struct walk_ctx *c, const struct wparams *p, uint64_t ia,
                      unsigned acc, struct leaf *lf, struct mmu_fault *f)
{
    struct mmu_walk_port *port = c->port;
    int level = p->start;
    uint64_t table = p->base, inh = 0;
    const unsigned stride = p->g - 3;
    const uint64_t oa_mask = ADDR_48 & ~bits_mask(p->g);

    if (port->pwc_lookup) {
        struct mmu_walk_state st;
        memset(&st, 0, sizeof(st));
        if (port->pwc_lookup(port->opaque, p->stage, ia, &st) && st.level > p->start &&
            st.level <= 3) {
            level = st.level;
            table = st.table;
            inh = st.inherited;
        }
    }

    for (;;) {
        unsigned shift = level_shift(p->g, level);
        unsigned nbits = level == p->start ? p->ia_bits - shift : stride;
        uint64_t idx = (ia >> shift) & bits_mask(nbits);
        uint64_t dia = table + idx * 8, dpa = dia, d;
        int rc;

        if (p->nested && s1_desc_pa(c, dia, level, false, &dpa, f))
            return -1;
    reread:
        rc = port->read(port->opaque, dpa, 8, p->stage, level, &d);
        c->refs++;
        if (rc) {
            /* DDI0487 D8.x: external abort on a translation table walk */
            set_fault(f, MMU_FAULT_EXTERNAL, p->stage, level, acc);
            return -1;
        }
        if (!(d & D_VALID)) {
            set_fault(f, MMU_FAULT_TRANSLATION, p->stage, level, acc);
            return -1;
        }
        if (level < 3 && (d & D_TABLE)) {
            uint64_t next = d & oa_mask;
            if (next >> p->oa_bits) {
                set_fault(f, MMU_FAULT_ADDRESS_SIZE, p->stage, level, acc);
                return -1;
            }
            if (p->stage == 1) {
                /* Hierarchical attributes (DDI0487 D8.4.2): once set they stay set. In the
                 * EL2 regime APTable[0] and PXNTable are RES0 and UXNTable is XNTable. */
                if (d & D_APTABLE0 && p->regime == MMU_A64_EL10)
                    inh |= MMU_A64_INH_AP0;
                if (d & D_APTABLE1)
                    inh |= MMU_A64_INH_AP1;
                if (d & D_UXNTABLE)
                    inh |= MMU_A64_INH_UXN;
                if (d & D_PXNTABLE && p->regime == MMU_A64_EL10)
                    inh |= MMU_A64_INH_PXN;
                if (d & D_NSTABLE)
                    inh |= MMU_A64_INH_NS;
            }
            level++;
            table = next;
            if (port->pwc_fill) {
                struct mmu_walk_state st = {
                    .level = level, .ia_shift = shift, .table = next,
                    .table_pa = p->nested ? 0 : next, .pa_valid = !p->nested,
                    .inherited = inh,
                };
                port->pwc_fill(port->opaque, p->stage, ia, &st);
            }
            continue;
        }
        /* Leaf: a page at level 3 (0b11) or a block (0b01) at a permitted level; 0b01 at
         * level 3 and blocks at other levels are reserved -> translation fault. */
        if (level == 3 ? !(d & D_TABLE) : !block_allowed(p->g, level)) {
            set_fault(f, MMU_FAULT_TRANSLATION, p->stage, level, acc);
            return -1;
        }
        if ((d & oa_mask & ~bits_mask(shift)) >> p->oa_bits) {
            set_fault(f, MMU_FAULT_ADDRESS_SIZE, p->stage, level, acc);
            return -1;
        }
        /* Access flag (DDI0487 D8.5.1, AArch64.S1Walk/S2Walk): AF == 0 without hardware
         * AF update (TCR.HA / VTCR.HA with FEAT_HAFDBS) is an Access flag fault, ranked
         * above Permission faults. A port without cas cannot update descriptors: then HA
         * and HD behave as 0. */
        bool ha = p->ha && port->cas, hd = ha && p->hd;   /* HD is effective only with HA */
        if (!(d & D_AF) && !ha) {
            set_fault(f, MMU_FAULT_ACCESS_FLAG, p->stage, level, acc);
            return -1;
        }
        /* Permissions (AArch64.S1Translate / S2Translate): with HD, a DBM == 1 descriptor is
         * checked as writable (dirty state: AP[2] clear / S2AP[1] set). */
        uint64_t eff = d;
        if (hd && (d & D_DBM))
            eff = p->stage == 1 ? d & ~D_AP2 : d | D_AP2;
        if (!mmu_a64_perm_ok(leaf_perms(p, eff, inh), acc, c->r, p->regime)) {
            set_fault(f, MMU_FAULT_PERMISSION, p->stage, level, acc);
            return -1;
        }
        /* Hardware updates after a successful check: set AF; for a write (not AT, which
         * never updates dirty state) make a DBM descriptor dirty. Atomic through port->cas;
         * a nested stage-1 update is a stage-2 write of the table (AArch64.S1Translate). */
        uint64_t want = d | D_AF;
        if (hd && (d & D_DBM) && (acc & MMU_ACC_WRITE) && !(acc & ACC_AT))
            want = eff | D_AF;
        if (want != d) {
            uint64_t upa = dpa;
            if (p->nested && s1_desc_pa(c, dia, level, true, &upa, f))
                return -1;
            rc = port->cas(port->opaque, upa, 8, p->stage, level, d, want);
            if (rc < 0) {
                set_fault(f, MMU_FAULT_EXTERNAL, p->stage, level, acc);
                return -1;
            }
            if (rc == 1)
                goto reread;   /* someone changed it: re-read and re-evaluate */
            d = want;
        }
        /* The cached permissions are those of the descriptor as it now is in memory: a
         * clean DBM page is read-only in a TLB, so a later write walks again and dirties
         * it (DDI0487 D8.5.2). */
        lf->perms = leaf_perms(p, d, inh);
        lf->desc = d;
        lf->level = level;
        lf->inh = inh;
        return 0;
    }
}

/* ---- stage 2 ---- */

static int walk_s2_int(struct walk_ctx *c, uint64_t ipa, unsigned acc, bool s1ptw,
                       struct mmu_walk_result *res)
{
    const struct mmu_a64_regs *r = c->r;
    uint64_t vtcr = r->vtcr_el2;
    struct wparams p = { .stage = 2, .regime = MMU_A64_EL10 };  /* regime: for perm_ok */
    struct leaf lf;
    unsigned t0sz = vtcr & 0x3f, sl0 = (vtcr >> 6) & 3, start_bits;
    unsigned refs0 = c->refs;

    memset(res, 0, sizeof(*res));
    res->fault.va = ipa;
    res->fault.ipa = ipa;
    p.g = tg0_granule((vtcr >> 14) & 3);
    if (t0sz < 16)
        t0sz = 16;   /* below the 48-bit minimum: treated as 16 (IMPLEMENTATION DEFINED) */
    if (t0sz > 39)
        t0sz = 39;
    p.ia_bits = 64 - t0sz;
    p.oa_bits = oa_size((vtcr >> 16) & 7, r->pa_bits);
    p.ha = (vtcr & VTCR_HA) && r->hw_af;
    p.hd = (vtcr & VTCR_HD) && r->hw_dbm;
    /* VTCR_EL2.SL0 (DDI0487 D8.2.x): 4K: 00 level 2, 01 level 1, 10 level 0; 16K/64K: 00
     * level 3, 01 level 2, 10 level 1; 0b11 reserved. */
    p.start = sl0 == 3 ? -1 : (p.g == 12 ? 2 - (int)sl0 : 3 - (int)sl0);
    /* IPA beyond the configured input size: translation fault, level 0. */
    if (ipa >> p.ia_bits) {
        set_fault(&res->fault, MMU_FAULT_TRANSLATION, 2, 0, acc);
        goto fault;
    }
    /* Inconsistent T0SZ/SL0: the start level must resolve at least one bit and at most
     * 16 concatenated tables (DDI0487 D8.2.x "Concatenated translation tables"). */
    if (p.start < 0 || p.ia_bits <= level_shift(p.g, p.start) ||
        (start_bits = p.ia_bits - level_shift(p.g, p.start)) > p.g - 3 + 4) {
        set_fault(&res->fault, MMU_FAULT_TRANSLATION, 2, 0, acc);
        goto fault;
    }
    {
        unsigned align = start_bits + 3 < 6 ? 6 : start_bits + 3;
        p.base = r->vttbr_el2 & ADDR_48 & ~bits_mask(align);
    }
    if (p.base >> p.oa_bits) {
        set_fault(&res->fault, MMU_FAULT_ADDRESS_SIZE, 2, 0, acc);
        goto fault;
    }
    if (table_walk(c, &p, ipa, acc, &lf, &res->fault))
        goto fault;
    {
        unsigned shift = level_shift(p.g, lf.level);
        res->oa = (lf.desc & ADDR_48 & ~bits_mask(shift)) | (ipa & bits_mask(shift));
        res->page_shift = shift;
        res->perms = lf.perms;
        res->attrs = par_attrs(s2_memattr_to_mair((unsigned)(lf.desc >> 2) & 0xf),
                               (unsigned)(lf.desc >> 8) & 3);
        res->global = false;
    }
    res->walk_refs = c->refs - refs0;
    return 0;
fault:
    res->fault.stage = 2;
    res->fault.ipa = ipa;
    if (s1ptw)
        res->fault.s1ptw = true;
    res->fault.arch = mmu_a64_fsc(&res->fault);
    res->walk_refs = c->refs - refs0;
    return -1;
}

/* ---- stage 1 ---- */

/* MMU disabled for the regime (DDI0487 D8.2.x "The effects of disabling a stage of
 * address translation"): VA == OA after the address size check, data Device-nGnRnE,
 * instruction fetches Normal Outer Shareable (WT if SCTLR.I, else NC); HCR_EL2.DC makes
 * EL1&0 data Normal Write-Back. */
static int s1_off(const struct mmu_a64_regs *r, enum mmu_a64_regime regime, uint64_t va,
                  unsigned acc, unsigned top, uint64_t sctlr, struct mmu_walk_result *res)
{
    unsigned pa = pa_bits_clamped(r->pa_bits);
    if ((va & bits_mask(top + 1)) >> pa) {
        set_fault(&res->fault, MMU_FAULT_ADDRESS_SIZE, 1, 0, acc);
        return -1;
    }
    res->oa = va & bits_mask(pa);
    res->page_shift = 12;
    res->perms = MMU_A64_P_S1_ALL | MMU_A64_P_S2_ALL | MMU_A64_P_NOPAN;
    res->global = true;
    if (regime == MMU_A64_EL10 && (r->hcr_el2 & HCR_DC))
        res->attrs = par_attrs(0xff, 0);
    else if (acc & MMU_ACC_EXEC)
        res->attrs = par_attrs((sctlr & SCTLR_I) ? 0xaa : 0x44, 2);
    else
        res->attrs = par_attrs(0x00, 2);
    return 0;
}

static int walk_s1_int(struct walk_ctx *c, enum mmu_a64_regime regime, uint64_t va,
                    unsigned acc, struct mmu_walk_result *res)
{
    const struct mmu_a64_regs *r = c->r;
    struct wparams p = { .stage = 1, .regime = regime };
    struct leaf lf;
    uint64_t sctlr, tcr, ttbr, mair;
    unsigned tsz, top, start_bits;
    bool upper = false, tbi, tbid, epd;
    unsigned refs0 = c->refs;

    memset(res, 0, sizeof(*res));
    res->fault.va = va;
    if (regime == MMU_A64_EL2) {
        sctlr = r->sctlr_el2;
        tcr = r->tcr_el2;
        ttbr = r->ttbr0_el2;
        mair = r->mair_el2;
        tsz = tcr & 0x3f;
        p.g = tg0_granule((tcr >> 14) & 3);
        p.oa_bits = oa_size((tcr >> 16) & 7, r->pa_bits);
        tbi = tcr & TCR2_TBI;
        tbid = tcr & TCR2_TBID;
        epd = false;
        p.ha = (tcr & TCR2_HA) && r->hw_af;
        p.hd = (tcr & TCR2_HD) && r->hw_dbm;
    } else {
        sctlr = r->sctlr_el1;
        tcr = r->tcr_el1;
        mair = r->mair_el1;
        /* VA[55] selects the range (DDI0487 D8.2.x "VA ranges"; also with TBI). */
        upper = (va >> 55) & 1;
        ttbr = upper ? r->ttbr1_el1 : r->ttbr0_el1;
        tsz = upper ? (tcr >> 16) & 0x3f : tcr & 0x3f;
        p.g = upper ? tg1_granule((tcr >> 30) & 3) : tg0_granule((tcr >> 14) & 3);
        p.oa_bits = oa_size((tcr >> 32) & 7, r->pa_bits);
        tbi = tcr & (upper ? TCR_TBI1 : TCR_TBI0);
        tbid = tcr & (upper ? TCR_TBID1 : TCR_TBID0);
        epd = tcr & (upper ? TCR_EPD1 : TCR_EPD0);
        p.ha = (tcr & TCR_HA) && r->hw_af;
        p.hd = (tcr & TCR_HD) && r->hw_dbm;
    }
    p.sctlr = sctlr;
    /* Top byte ignore (DDI0487 D8.8 "Address tagging"): for data always when TBIn, for
     * instruction fetches only when TBIDn == 0. */
    top = (tbi && !((acc & MMU_ACC_EXEC) && tbid)) ? 55 : 63;

    /* HCR_EL2.DC == 1: the EL1&0 stage 1 behaves as if SCTLR_EL1.M were 0 (DDI0487 D19
     * HCR_EL2.DC). */
    if (!(sctlr & SCTLR_M) || (regime == MMU_A64_EL10 && (r->hcr_el2 & HCR_DC))) {
        if (s1_off(r, regime, va, acc, top, sctlr, res))
            goto fault;
        res->walk_refs = 0;
        return 0;
    }
    if (tsz < 16)
        tsz = 16;    /* IMPLEMENTATION DEFINED: out-of-range TnSZ treated as the limit */
    if (tsz > 39)
        tsz = 39;
    p.ia_bits = 64 - tsz;
    /* VA outside the range: VA[top:ia_bits] must be all 0 (TTBR0) / all 1 (TTBR1) ->
     * otherwise translation fault, level 0 (DDI0487 D8.2.x). */
    {
        uint64_t hi = (va & bits_mask(top + 1)) >> p.ia_bits;
        uint64_t ones = bits_mask(top + 1 - p.ia_bits);
        if (hi != (upper ? ones : 0)) {
            set_fault(&res->fault, MMU_FAULT_TRANSLATION, 1, 0, acc);
            goto fault;
        }
    }
    if (epd) {  /* TCR_EL1.EPDn: walks of this range disabled -> translation fault L0 */
        set_fault(&res->fault, MMU_FAULT_TRANSLATION, 1, 0, acc);
        goto fault;
    }
    /* Start level: the fewest levels that resolve ia_bits (DDI0487 D8.2.x tables). */
    {
        unsigned stride = p.g - 3, levels = (p.ia_bits - p.g + stride - 1) / stride;
        p.start = 4 - (int)levels;
        start_bits = p.ia_bits - level_shift(p.g, p.start);
        unsigned align = start_bits + 3 < 6 ? 6 : start_bits + 3;
        p.base = ttbr & ADDR_48 & ~bits_mask(align);
    }
    if (p.base >> p.oa_bits) {   /* TTBR beyond the output size: address size fault L0 */
        set_fault(&res->fault, MMU_FAULT_ADDRESS_SIZE, 1, 0, acc);
        goto fault;
    }
    p.nested = c->s2_on;
    /* The walk (and the walk-cache tag) uses the VA with an ignored top byte replaced by
     * the extension of VA[55], so tagged aliases share walk-cache entries. */
    uint64_t ia = va;
    if (top == 55)
        ia = ((va >> 55) & 1) ? va | 0xff00000000000000ull : va & 0x00ffffffffffffffull;
    if (table_walk(c, &p, ia, acc, &lf, &res->fault))
        goto fault;
    {
        unsigned shift = level_shift(p.g, lf.level);
        unsigned idx = (unsigned)(lf.desc >> 2) & 7;
        res->oa = (lf.desc & ADDR_48 & ~bits_mask(shift)) | (va & bits_mask(shift));
        res->page_shift = shift;
        res->perms = lf.perms;
        res->attrs = par_attrs((unsigned)(mair >> (8 * idx)) & 0xff,
                               (unsigned)(lf.desc >> 8) & 3);
        /* nG (DDI0487 D8.10): the EL2 regime (no E2H) has no ASIDs: always global. */
        res->global = regime == MMU_A64_EL2 || !(lf.desc & D_NG);
    }
    res->walk_refs = c->refs - refs0;
    return 0;
fault:
    res->fault.va = va;
    res->walk_refs = c->refs - refs0;
    return -1;
}

/* ---- public entry points ---- */

/* HCR_EL2.VM enables stage 2 for EL1&0; HCR_EL2.DC == 1 behaves as if VM were 1 (DDI0487
 * D19 HCR_EL2). HCR_EL2.TGE and E2H are not modelled. */
bool mmu_a64_s2_enabled(const struct mmu_a64_regs *r, enum mmu_a64_regime regime)
{
    return regime == MMU_A64_EL10 && (r->hcr_el2 & (HCR_VM | HCR_DC));
}

uint16_t mmu_a64_asid(const struct mmu_a64_regs *r, uint64_t va)
{
    (void)va;
    uint64_t ttbr = (r->tcr_el1 & TCR_A1) ? r->ttbr1_el1 : r->ttbr0_el1;
    uint16_t asid = (uint16_t)(ttbr >> 48);
    return (r->tcr_el1 & TCR_AS) ? asid : (uint16_t)(asid & 0xff);
}

uint16_t mmu_a64_vmid(const struct mmu_a64_regs *r)
{
    uint16_t vmid = (uint16_t)(r->vttbr_el2 >> 48);
    return (r->vtcr_el2 & VTCR_VS) ? vmid : (uint16_t)(vmid & 0xff);
}

int mmu_a64_walk_s1(const struct mmu_a64_regs *r, enum mmu_a64_regime regime, uint64_t va,
                    unsigned acc, struct mmu_walk_port *port, struct mmu_walk_result *res)
{
    struct walk_ctx c = { .r = r, .port = port, .s2_on = mmu_a64_s2_enabled(r, regime) };
    return walk_s1_int(&c, regime, va, acc, res);
}

int mmu_a64_walk_s2(const struct mmu_a64_regs *r, uint64_t ipa, unsigned acc, bool s1ptw,
                    struct mmu_walk_port *port, struct mmu_walk_result *res)
{
    struct walk_ctx c = { .r = r, .port = port, .s2_on = true };
    return walk_s2_int(&c, ipa, acc, s1ptw, res);
}

int mmu_a64_translate(const struct mmu_a64_regs *r, enum mmu_a64_regime regime, uint64_t va,
                      unsigned acc, struct mmu_walk_port *port, struct mmu_walk_result *res)
{
    struct walk_ctx c = { .r = r, .port = port, .s2_on = mmu_a64_s2_enabled(r, regime) };
    struct mmu_walk_result r2;

    if (walk_s1_int(&c, regime, va, acc, res))
        return -1;
    if (!c.s2_on)
        return 0;
    /* Stage 2 of the stage-1 output (DDI0487 D8.1 "two stages of translation"): the
     * stage-1 permission check came first, so a stage-1 fault has priority. */
    if (walk_s2_int(&c, res->oa, acc, false, &r2)) {
        res->fault = r2.fault;
        res->fault.va = va;
        res->walk_refs = c.refs;
        return -1;
    }
    res->oa = r2.oa;
    if (r2.page_shift < res->page_shift)
        res->page_shift = r2.page_shift;
    res->perms &= r2.perms;
    res->attrs = combine_attrs(res->attrs, r2.attrs);
    res->walk_refs = c.refs;
    return 0;
}

/* ---- AT -> PAR_EL1 ---- */

/* Address translation instructions (ARM DDI0487 C5.5 "A64 system instructions for address
 * translation", D8.13 "Address translation instructions"), modelled as executed at EL2 (how
 * Xen uses them), so a stage-2 fault of S1E1* / S12E1* is reported in PAR_EL1 (S = 1) and
 * not taken as an exception. AT S1E1R/W and S12E1R/W ignore PSTATE.PAN; S1E1RP/WP honour it
 * (FEAT_PAN2); S1E0* / S12E0* check EL0 permissions. S1E2* use the EL2 regime. An external
 * abort on the walk, which hardware reports as a Data Abort rather than in PAR_EL1, is
 * reported here as F = 1 with FST = 0b0101LL (res->fault says so as well). A successful
 * S12 result carries the combined stage-1+stage-2 attributes (FWB = 0). */
uint64_t mmu_a64_at(const struct mmu_a64_regs *r, enum mmu_a64_at_op op, uint64_t va,
                    struct mmu_walk_port *port, struct mmu_walk_result *res)
{
    struct mmu_walk_result tmp;
    enum mmu_a64_regime regime = MMU_A64_EL10;
    unsigned acc;
    bool s12 = false;
    int rc;

    if (!res)
        res = &tmp;
    switch (op) {
    case MMU_AT_S1E1R: acc = MMU_ACC_READ | MMU_ACC_NOPAN; break;
    case MMU_AT_S1E1W: acc = MMU_ACC_WRITE | MMU_ACC_NOPAN; break;
    case MMU_AT_S1E0R: acc = MMU_ACC_READ | MMU_ACC_USER; break;
    case MMU_AT_S1E0W: acc = MMU_ACC_WRITE | MMU_ACC_USER; break;
    case MMU_AT_S1E1RP: acc = MMU_ACC_READ; break;
    case MMU_AT_S1E1WP: acc = MMU_ACC_WRITE; break;
    case MMU_AT_S12E1R: acc = MMU_ACC_READ | MMU_ACC_NOPAN; s12 = true; break;
    case MMU_AT_S12E1W: acc = MMU_ACC_WRITE | MMU_ACC_NOPAN; s12 = true; break;
    case MMU_AT_S12E0R: acc = MMU_ACC_READ | MMU_ACC_USER; s12 = true; break;
    case MMU_AT_S12E0W: acc = MMU_ACC_WRITE | MMU_ACC_USER; s12 = true; break;
    case MMU_AT_S1E2R: acc = MMU_ACC_READ; regime = MMU_A64_EL2; break;
    case MMU_AT_S1E2W: acc = MMU_ACC_WRITE; regime = MMU_A64_EL2; break;
    default:
        memset(res, 0, sizeof(*res));
        return 1;   /* not an AT operation: F = 1, FST = 0 (never produced by a valid op) */
    }
    acc |= ACC_AT;
    rc = s12 ? mmu_a64_translate(r, regime, va, acc, port, res)
             : mmu_a64_walk_s1(r, regime, va, acc, port, res);
    if (rc) {
        const struct mmu_fault *f = &res->fault;
        return 1ull | (uint64_t)(mmu_a64_fsc(f) & 0x3f) << 1 | (f->s1ptw ? 1ull << 8 : 0) |
               (f->stage == 2 ? 1ull << 9 : 0) | 1ull << 11;
    }
    return (res->oa & 0x0000fffffffff000ull) |
           (res->attrs & (0xffull << 56 | 1ull << 9 | 3ull << 7)) | 1ull << 11;
}
