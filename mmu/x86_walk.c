/* mmu/x86_walk.c - x86 functional walkers: guest paging (Intel SDM vol. 3A ch. 4), EPT
 * (SDM vol. 3C §29.3) and the combined 2-D walk. See mmu/x86_walk.h for the encodings and the
 * documented model choices. Every paging-structure access goes through the walk port. */
#include "mmu/x86_walk.h"

#include <errno.h>
#include <string.h>

#define X86_AD_RETRIES 16

/* Paging-structure entry bits (SDM vol. 3A Tables 4-4..4-20). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_PAT4K (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_PATLG (1ull << 12)
#define PTE_XD (1ull << 63)

/* EPT entry bits (SDM vol. 3C Tables 29-1..29-7). */
#define EPTE_R (1ull << 0)
#define EPTE_W (1ull << 1)
#define EPTE_X (1ull << 2)
#define EPTE_IPAT (1ull << 6)
#define EPTE_LEAF (1ull << 7)
#define EPTE_A (1ull << 8)
#define EPTE_D (1ull << 9)
#define EPTE_XU (1ull << 10)

enum x86_mode { X86_NOPG, X86_M32, X86_PAE, X86_L4, X86_L5 };

typedef int (*x86_s2_fn)(void *opaque, uint64_t ipa, int s1_level, bool write, uint64_t *pa,
                         struct mmu_fault *fault);

/* Bits hi..lo inclusive; 0 when lo > hi. */
static uint64_t bitrange(unsigned hi, unsigned lo)
{
    if (lo > hi || lo > 63)
        return 0;
    uint64_t top = hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1);
    return top & ~((1ull << lo) - 1);
}

/* Physical-address bits M-1..lo. */
static uint64_t addr_mask(unsigned maxphy, unsigned lo)
{
    return bitrange(maxphy - 1, lo);
}

/* ---------------------------------------------------------------------------------------
 * Access rights (SDM vol. 3A §4.6.1)
 */

/* User-mode access: CPL 3, or forced by MMU_ACC_USER; implicit supervisor-mode accesses
 * (GDT/LDT/IDT/TSS) are supervisor whatever the CPL (SDM vol. 3A §4.6). */
static bool x86_user_access(unsigned acc, const struct mmu_x86_regs *r)
{
    if (acc & MMU_ACC_IMPLICIT)
        return false;
    return (acc & MMU_ACC_USER) || r->cpl == 3;
}

static bool x86_guest_access_ok(uint32_t perms, unsigned acc, const struct mmu_x86_regs *r)
{
    if (perms & MMU_X86_P_NOPG)
        return true;
    bool user = x86_user_access(acc, r);
    bool uaddr = perms & MMU_X86_P_U;
    bool writable = perms & MMU_X86_P_W;
    bool xd = (perms & MMU_X86_P_XD) && (r->efer & MMU_X86_EFER_NXE);

    if (user) {
        /* User-mode accesses: only user-mode addresses; writes need R/W=1 at all levels
         * (CR0.WP irrelevant); fetches need XD=0 at all levels when NXE. */
        if (!uaddr)
            return false;
        if ((acc & MMU_ACC_WRITE) && !writable)
            return false;
        if ((acc & MMU_ACC_EXEC) && xd)
            return false;
        return true;
    }
    if (acc & MMU_ACC_EXEC) {
        /* Supervisor fetch: SMEP forbids user-mode addresses; XD forbids any. */
        if (uaddr && (r->cr4 & MMU_X86_CR4_SMEP))
            return false;
        return !xd;
    }
    /* Supervisor data access to a user-mode address with CR4.SMAP: allowed only for an
     * explicit access with CPL < 3 and RFLAGS.AC = 1; implicit supervisor accesses (all
     * supervisor accesses at CPL 3) are blocked regardless of AC (SDM vol. 3A §4.6.1). */
    if (uaddr && (r->cr4 & MMU_X86_CR4_SMAP) &&
        ((acc & MMU_ACC_IMPLICIT) || r->cpl == 3 || !r->rflags_ac))
        return false;
    /* Supervisor writes: with CR0.WP only to R/W=1 at all levels; WP=0 allows any. */
    if ((acc & MMU_ACC_WRITE) && !writable && (r->cr0 & MMU_X86_CR0_WP))
        return false;
    return true;
}

static bool x86_ept_access_ok(uint32_t perms, unsigned acc)
{
    if ((acc & MMU_ACC_READ) && !(perms & MMU_X86_P_EPT_R))
        return false;
    if ((acc & MMU_ACC_WRITE) && !(perms & MMU_X86_P_EPT_W))
        return false;
    if (acc & MMU_ACC_EXEC) {
        /* Mode-based execute control (SDM vol. 3C §29.3.3.2): bit 10 governs fetches from
         * user-mode linear addresses, bit 2 from supervisor-mode ones. */
        uint32_t need = ((perms & MMU_X86_P_EPT_MBEC) && (acc & MMU_ACC_USER)) ? MMU_X86_P_EPT_XU
                                                                               : MMU_X86_P_EPT_X;
        if (!(perms & need))
            return false;
    }
    return true;
}

bool mmu_x86_perm_ok(uint32_t perms, unsigned acc, const struct mmu_x86_regs *r)
{
    if (!r || !x86_guest_access_ok(perms, acc, r))
        return false;
    /* A cached entry with D = 0 cannot complete a write: the processor walks again to set D
     * (SDM vol. 3A §4.8, §4.10.2.2). */
    if ((acc & MMU_ACC_WRITE) && !(perms & MMU_X86_P_DIRTY))
        return false;
    if (perms & MMU_X86_P_EPT) {
        unsigned eacc = acc & (MMU_ACC_READ | MMU_ACC_WRITE | MMU_ACC_EXEC);
        if (perms & MMU_X86_P_U)
            eacc |= MMU_ACC_USER;
        if (!x86_ept_access_ok(perms, eacc))
            return false;
    }
    return true;
}

uint16_t mmu_x86_pcid(const struct mmu_x86_regs *r)
{
    if (!r || !(r->cr4 & MMU_X86_CR4_PCIDE))
        return 0;
    return (uint16_t)(r->cr3 & 0xfff);
}

/* ---------------------------------------------------------------------------------------
 * Guest paging (SDM vol. 3A §4.3 32-bit, §4.4 PAE, §4.5 4-level and 5-level)
 */

static int x86_mode(const struct mmu_x86_regs *r, enum x86_mode *m)
{
    bool lm = r->efer & (MMU_X86_EFER_LME | MMU_X86_EFER_LMA);
    if (!(r->cr0 & MMU_X86_CR0_PG)) {
        *m = X86_NOPG;
        return 0;
    }
    if (r->maxphyaddr < 32 || r->maxphyaddr > 52)
        return -EINVAL;
    if (!(r->cr4 & MMU_X86_CR4_PAE)) {
        if (lm) /* IA-32e mode requires PAE (SDM vol. 3A §4.1.1) */
            return -EINVAL;
        *m = X86_M32;
        return 0;
    }
    if (!lm) {
        *m = X86_PAE;
        return 0;
    }
    *m = (r->cr4 & MMU_X86_CR4_LA57) ? X86_L5 : X86_L4;
    return 0;
}

static int x86_top_level(enum x86_mode m)
{
    switch (m) {
    case X86_M32: return 2;
    case X86_PAE: return 3;
    case X86_L4: return 4;
    case X86_L5: return 5;
    default: return 0;
    }
}

/* Linear-address bit where the index for `level` starts, and its width. */
static unsigned x86_lvl_shift(enum x86_mode m, int level)
{
    return m == X86_M32 ? 12 + 10 * (unsigned)(level - 1) : 12 + 9 * (unsigned)(level - 1);
}

static unsigned x86_lvl_bits(enum x86_mode m, int level)
{
    if (m == X86_M32)
        return 10;
    if (m == X86_PAE && level == 3)
        return 2;
    return 9;
}

/* The table at `level` covers linear addresses with the same la >> this (walk-cache tag). */
static unsigned x86_table_shift(enum x86_mode m, int level)
{
    return x86_lvl_shift(m, level) + x86_lvl_bits(m, level);
}

struct gwalk {
    const struct mmu_x86_regs *r;
    struct mmu_walk_port *port;
    x86_s2_fn s2;
    void *s2ctx;
    enum x86_mode mode;
    uint64_t la;
    unsigned acc;
    uint32_t ec; /* #PF error code bits describing the access (W/R, U/S, I/D) */
    struct mmu_walk_result *res;
};

static int g_fault(struct gwalk *w, enum mmu_fault_kind kind, int level, uint32_t extra)
{
    struct mmu_fault *f = &w->res->fault;
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->stage = 1;
    f->level = level;
    f->write = (w->acc & MMU_ACC_WRITE) != 0;
    f->va = w->la;
    f->arch = w->ec | extra;
    return -EFAULT;
}

/* Translate the GPA of a guest paging-structure entry through stage 2 (EPT). A fault there
 * is an EPT violation/misconfiguration on a paging-structure access: GLA valid, bit 8 clear
 * (SDM vol. 3C Table 28-7). */
static int g_s2(struct gwalk *w, uint64_t gpa, int level, bool write, uint64_t *pa)
{
    if (!w->s2) {
        *pa = gpa;
        return 0;
    }
    struct mmu_fault f;
    memset(&f, 0, sizeof(f));
    if (w->s2(w->s2ctx, gpa, level, write, pa, &f) == 0)
        return 0;
    if (f.kind == MMU_FAULT_NONE)
        f.kind = MMU_FAULT_EXTERNAL;
    if (!f.stage)
        f.stage = 2;
    f.s1ptw = true;
    f.write = f.write || write;
    f.va = w->la;
    if (!f.ipa)
        f.ipa = gpa;
    if (f.kind == MMU_FAULT_TRANSLATION || f.kind == MMU_FAULT_PERMISSION)
        f.arch = (f.arch | MMU_X86_EQ_GLA_VALID) &
                 ~(uint32_t)(MMU_X86_EQ_GLA_XLATE | MMU_X86_EQ_GLA_U | MMU_X86_EQ_GLA_W |
                             MMU_X86_EQ_GLA_XD);
    w->res->fault = f;
    return -EFAULT;
}

/* Hardware A/D update of a guest entry (SDM vol. 3A §4.8): a locked compare-and-swap. Under
 * EPT the update is a write to guest memory, so stage 2 is asked again with write = true
 * (SDM vol. 3C §29.3.3.2). Returns -EAGAIN when the entry changed under us (walk restarts). */
static int g_set_bits(struct gwalk *w, uint64_t egpa, uint64_t epa, int level, unsigned esize,
                      uint64_t *e, uint64_t bits)
{
    uint64_t want = *e | bits;
    if (want == *e || !w->port->cas)
        return 0;
    if (w->s2) {
        int rc = g_s2(w, egpa, level, true, &epa);
        if (rc)
            return rc;
    }
    int rc = w->port->cas(w->port->opaque, epa, esize, 1, level, *e, want);
    if (rc < 0)
        return g_fault(w, MMU_FAULT_EXTERNAL, level, 0);
    if (rc == 1)
        return -EAGAIN;
    *e = want;
    return 0;
}

/* Classify a present entry: leaf or not, its page size, and the reserved bits that must be 0
 * (SDM vol. 3A Tables 4-4..4-6 (32-bit), 4-8..4-11 (PAE), 4-14..4-20 (4/5-level)). */
static void g_classify(const struct gwalk *w, int level, uint64_t e, bool *leaf, unsigned *shift,
                       uint64_t *rsvd)
{
    unsigned maxphy = w->r->maxphyaddr;
    bool nxe = w->r->efer & MMU_X86_EFER_NXE;
    *leaf = false;
    *shift = 0;
    *rsvd = 0;
    switch (w->mode) {
    case X86_M32:
        if (level == 2 && (e & PTE_PS) && (w->r->cr4 & MMU_X86_CR4_PSE)) {
            /* 4-MByte page; PSE-36: bits 20:13 hold PA bits 39:32 up to MAXPHYADDR (max 40);
             * bit 21 reserved. */
            unsigned m = maxphy > 40 ? 40 : maxphy;
            *leaf = true;
            *shift = 22;
            *rsvd = (1ull << 21) | bitrange(20, m - 19);
        } else if (level == 1) {
            *leaf = true;
            *shift = 12;
        }
        return;
    case X86_PAE: {
        uint64_t hi = bitrange(62, maxphy) | (nxe ? 0 : PTE_XD);
        if (level == 3) {
            /* PDPTE: bits 2:1, 8:5 and 63:M reserved; no access-rights bits. */
            *rsvd = bitrange(63, maxphy) | bitrange(2, 1) | bitrange(8, 5);
        } else if (level == 2 && (e & PTE_PS)) {
            *leaf = true;
            *shift = 21;
            *rsvd = hi | bitrange(20, 13);
        } else {
            *leaf = level == 1;
            *shift = 12;
            *rsvd = hi;
        }
        return;
    }
    default: {
        uint64_t hi = bitrange(51, maxphy) | (nxe ? 0 : PTE_XD);
        if (level >= 4) {
            *rsvd = hi | PTE_PS; /* PML5E/PML4E bit 7 reserved */
        } else if (level == 3 && (e & PTE_PS)) {
            *leaf = true; /* 1-GByte page */
            *shift = 30;
            *rsvd = hi | bitrange(29, 13);
        } else if (level == 2 && (e & PTE_PS)) {
            *leaf = true;
            *shift = 21;
            *rsvd = hi | bitrange(20, 13);
        } else {
            *leaf = level == 1;
            *shift = 12;
            *rsvd = hi;
        }
        return;
    }
    }
}

static int g_walk_once(struct gwalk *w)
{
    const struct mmu_x86_regs *r = w->r;
    struct mmu_walk_port *p = w->port;
    struct mmu_walk_result *res = w->res;
    enum x86_mode mode = w->mode;
    unsigned maxphy = r->maxphyaddr;
    bool nxe = r->efer & MMU_X86_EFER_NXE;
    int top = x86_top_level(mode);
    unsigned esize = mode == X86_M32 ? 4 : 8;
    int level = top;
    uint64_t table, table_pa = 0;
    bool pa_valid = false;
    uint32_t inh = MMU_X86_P_W | MMU_X86_P_U;
    int rc;

    if (mode == X86_M32)
        table = r->cr3 & 0xfffff000ull; /* CR3[31:12] */
    else if (mode == X86_PAE)
        table = r->cr3 & 0xffffffe0ull; /* CR3[31:5]: 32-byte aligned PDPT */
    else
        table = r->cr3 & addr_mask(maxphy, 12);

    /* Paging-structure caches (SDM vol. 3A §4.10.3): start from the deepest cached entry. */
    if (p->pwc_lookup) {
        struct mmu_walk_state st;
        memset(&st, 0, sizeof(st));
        if (p->pwc_lookup(p->opaque, 1, w->la, &st) && st.level >= 1 && st.level < top) {
            level = st.level;
            table = st.table;
            table_pa = st.table_pa;
            pa_valid = st.pa_valid;
            inh = (uint32_t)st.inherited & (MMU_X86_P_W | MMU_X86_P_U | MMU_X86_P_XD);
        }
    }

    for (;;) {
        uint64_t idx = (w->la >> x86_lvl_shift(mode, level)) &
                       ((1ull << x86_lvl_bits(mode, level)) - 1);
        uint64_t egpa = table + idx * esize, epa, e;
        if (pa_valid) {
            epa = table_pa + idx * esize;
        } else {
            rc = g_s2(w, egpa, level, false, &epa);
            if (rc)
                return rc;
        }
        rc = p->read(p->opaque, epa, esize, 1, level, &e);
        res->walk_refs++;
        if (rc)
            return g_fault(w, MMU_FAULT_EXTERNAL, level, 0);
        if (esize == 4)
            e &= 0xffffffffull;
        if (!(e & PTE_P))
            return g_fault(w, MMU_FAULT_TRANSLATION, level, 0);

        bool leaf;
        unsigned shift;
        uint64_t rsvd;
        g_classify(w, level, e, &leaf, &shift, &rsvd);
        if (e & rsvd)
            return g_fault(w, MMU_FAULT_RESERVED, level, MMU_X86_PF_P | MMU_X86_PF_RSVD);

        bool pdpte = mode == X86_PAE && level == 3; /* no rights, no A flag */
        if (!pdpte) {
            if (!(e & PTE_RW))
                inh &= ~MMU_X86_P_W;
            if (!(e & PTE_US))
                inh &= ~MMU_X86_P_U;
            if (mode != X86_M32 && nxe && (e & PTE_XD))
                inh |= MMU_X86_P_XD;
        }

        if (!leaf) {
            if (!pdpte) {
                rc = g_set_bits(w, egpa, epa, level, esize, &e, PTE_A);
                if (rc)
                    return rc;
            }
            table = mode == X86_M32 ? (e & 0xfffff000ull) : (e & addr_mask(maxphy, 12));
            level--;
            /* Translate the next table now so the walk-cache entry can hold its HPA. */
            uint64_t nidx = (w->la >> x86_lvl_shift(mode, level)) &
                            ((1ull << x86_lvl_bits(mode, level)) - 1);
            uint64_t npa;
            rc = g_s2(w, table + nidx * esize, level, false, &npa);
            if (rc)
                return rc;
            table_pa = npa - nidx * esize;
            pa_valid = true;
            if (p->pwc_fill) {
                struct mmu_walk_state st = {
                    .level = level,
                    .ia_shift = x86_table_shift(mode, level),
                    .table = table,
                    .table_pa = table_pa,
                    .pa_valid = true,
                    .inherited = inh,
                };
                p->pwc_fill(p->opaque, 1, w->la, &st);
            }
            continue;
        }

        /* Leaf: access rights over all levels (SDM vol. 3A §4.6). */
        if (!x86_guest_access_ok(inh, w->acc, r))
            return g_fault(w, MMU_FAULT_PERMISSION, level, MMU_X86_PF_P);
        rc = g_set_bits(w, egpa, epa, level, esize, &e,
                        PTE_A | ((w->acc & MMU_ACC_WRITE) ? PTE_D : 0));
        if (rc)
            return rc;

        uint64_t off = w->la & ((1ull << shift) - 1);
        if (mode == X86_M32 && shift == 22)
            res->oa = (e & 0xffc00000ull) | (((e >> 13) & 0xff) << 32) | off;
        else if (mode == X86_M32)
            res->oa = (e & 0xfffff000ull) | off;
        else
            res->oa = (e & addr_mask(maxphy, shift)) | off;
        res->page_shift = shift;
        res->perms = inh | ((e & PTE_D) ? MMU_X86_P_DIRTY : 0);
        res->attrs = ((e & PTE_PWT) ? MMU_X86_A_PWT : 0) | ((e & PTE_PCD) ? MMU_X86_A_PCD : 0) |
                     ((e & (shift == 12 ? PTE_PAT4K : PTE_PATLG)) ? MMU_X86_A_PAT : 0);
        res->global = (r->cr4 & MMU_X86_CR4_PGE) && (e & PTE_G);
        return 0;
    }
}

static int g_walk(const struct mmu_x86_regs *r, uint64_t la, unsigned acc, struct mmu_walk_port *port,
                  x86_s2_fn s2, void *s2ctx, struct mmu_walk_result *res)
{
    if (!r || !port || !port->read || !res)
        return -EINVAL;
    memset(res, 0, sizeof(*res));
    struct gwalk w = {
        .r = r, .port = port, .s2 = s2, .s2ctx = s2ctx, .la = la, .acc = acc, .res = res,
    };
    int rc = x86_mode(r, &w.mode);
    if (rc)
        return rc;

    if (w.mode == X86_NOPG) {
        /* CR0.PG = 0: linear = physical (32 bits), no protection (SDM vol. 3A §4.1.1). Every
         * linear address then counts as user-mode and writable, not execute-disabled (SDM
         * vol. 3C Table 28-7 notes to bits 9-11; also what MBEC uses). */
        res->oa = la & 0xffffffffull;
        res->page_shift = 12;
        res->perms = MMU_X86_P_NOPG | MMU_X86_P_W | MMU_X86_P_U | MMU_X86_P_DIRTY;
        return 0;
    }
    if (w.mode == X86_M32 || w.mode == X86_PAE) {
        w.la = la & 0xffffffffull;
    } else {
        /* Canonical check (SDM vol. 3A §3.3.7.1, §4.5): bits 63:47 (63:56 with LA57) equal. */
        unsigned top = w.mode == X86_L5 ? 56 : 47;
        if ((uint64_t)((int64_t)(la << (63 - top)) >> (63 - top)) != la) {
            res->fault.kind = MMU_X86_FAULT_NONCANONICAL;
            res->fault.stage = 1;
            res->fault.level = 0;
            res->fault.va = la;
            res->fault.write = (acc & MMU_ACC_WRITE) != 0;
            return -EFAULT;
        }
    }
    /* Error-code bits describing the access (SDM vol. 3A §4.7); I/D only with SMEP or
     * PAE/4-level/5-level paging with EFER.NXE. */
    if (acc & MMU_ACC_WRITE)
        w.ec |= MMU_X86_PF_W;
    if (x86_user_access(acc, r))
        w.ec |= MMU_X86_PF_U;
    if ((acc & MMU_ACC_EXEC) &&
        ((r->cr4 & MMU_X86_CR4_SMEP) ||
         ((r->cr4 & MMU_X86_CR4_PAE) && (r->efer & MMU_X86_EFER_NXE))))
        w.ec |= MMU_X86_PF_ID;

    for (int i = 0; i < X86_AD_RETRIES; i++) {
        unsigned refs = res->walk_refs;
        memset(res, 0, sizeof(*res));
        res->walk_refs = refs;
        rc = g_walk_once(&w);
        if (rc != -EAGAIN)
            return rc;
    }
    return -EAGAIN;
}

int mmu_x86_walk(const struct mmu_x86_regs *r, uint64_t la, unsigned acc, struct mmu_walk_port *port,
                 struct mmu_walk_result *res)
{
    if (!port)
        return -EINVAL;
    return g_walk(r, la, acc, port, port->s2, port->opaque, res);
}

/* ---------------------------------------------------------------------------------------
 * EPT (SDM vol. 3C §29.3.2 translation, §29.3.3 misconfigurations and violations, §29.3.5
 * accessed and dirty flags)
 */

static int ept_check_eptp(const struct mmu_ept_regs *e, int *levels)
{
    if (!e || e->maxphyaddr < 32 || e->maxphyaddr > 52)
        return -EINVAL;
    unsigned mt = e->eptp & 7, len = (e->eptp >> 3) & 7;
    /* EPTP (SDM vol. 3C §25.6.11): memory type UC(0) or WB(6); walk length 4 or 5;
     * bits 11:8 and 63:M reserved. */
    if ((mt != 0 && mt != 6) || (len != 3 && len != 4))
        return -EINVAL;
    if (e->eptp & (bitrange(11, 8) | bitrange(63, e->maxphyaddr)))
        return -EINVAL;
    *levels = (int)len + 1;
    return 0;
}

static uint32_t ept_qual_perms(uint32_t perms)
{
    return ((perms & MMU_X86_P_EPT_R) ? MMU_X86_EQ_R : 0) | ((perms & MMU_X86_P_EPT_W) ? MMU_X86_EQ_W : 0) |
           ((perms & MMU_X86_P_EPT_X) ? MMU_X86_EQ_X : 0) |
           ((perms & MMU_X86_P_EPT_XU) ? MMU_X86_EQ_XU : 0);
}

struct ewalk {
    const struct mmu_ept_regs *e;
    struct mmu_walk_port *port;
    uint64_t gpa, gla;
    bool gla_valid, for_ps;
    unsigned acc; /* effective access (paging-structure accesses upgraded to writes with A/D) */
    struct mmu_walk_result *res;
};

static int e_fault(struct ewalk *w, enum mmu_fault_kind kind, int level, uint32_t perms)
{
    struct mmu_fault *f = &w->res->fault;
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->stage = 2;
    f->level = level;
    f->s1ptw = w->for_ps;
    f->write = (w->acc & MMU_ACC_WRITE) != 0;
    f->va = w->gla_valid ? w->gla : 0;
    f->ipa = w->gpa;
    if (kind == MMU_FAULT_TRANSLATION || kind == MMU_FAULT_PERMISSION) {
        uint32_t q = 0;
        if (w->acc & MMU_ACC_READ)
            q |= MMU_X86_EQ_READ;
        if (w->acc & MMU_ACC_WRITE)
            q |= MMU_X86_EQ_WRITE;
        if (w->acc & MMU_ACC_EXEC)
            q |= MMU_X86_EQ_FETCH;
        q |= ept_qual_perms(perms);
        if (w->gla_valid) {
            q |= MMU_X86_EQ_GLA_VALID;
            if (!w->for_ps)
                q |= MMU_X86_EQ_GLA_XLATE;
        }
        f->arch = q;
    }
    return -EFAULT;
}

static int e_set_bits(struct ewalk *w, uint64_t pa, int level, uint64_t *ent, uint64_t bits)
{
    uint64_t want = *ent | bits;
    if (want == *ent || !w->port->cas)
        return 0;
    int rc = w->port->cas(w->port->opaque, pa, 8, 2, level, *ent, want);
    if (rc < 0)
        return e_fault(w, MMU_FAULT_EXTERNAL, level, 0);
    if (rc == 1)
        return -EAGAIN;
    *ent = want;
    return 0;
}

static int e_walk_once(struct ewalk *w, int levels)
{
    const struct mmu_ept_regs *e = w->e;
    struct mmu_walk_port *p = w->port;
    struct mmu_walk_result *res = w->res;
    unsigned maxphy = e->maxphyaddr;
    bool ad = e->eptp & MMU_X86_EPTP_AD;
    int level = levels;
    uint64_t table = e->eptp & addr_mask(maxphy, 12);
    uint32_t inh = MMU_X86_P_EPT_R | MMU_X86_P_EPT_W | MMU_X86_P_EPT_X | MMU_X86_P_EPT_XU;
    int rc;

    /* A GPA beyond MAXPHYADDR cannot be mapped: reported as an EPT violation (not present)
     * at the top level. */
    if (w->gpa >> maxphy)
        return e_fault(w, MMU_FAULT_TRANSLATION, level, 0);

    if (p->pwc_lookup) {
        struct mmu_walk_state st;
        memset(&st, 0, sizeof(st));
        if (p->pwc_lookup(p->opaque, 2, w->gpa, &st) && st.level >= 1 && st.level < levels) {
            level = st.level;
            table = st.pa_valid ? st.table_pa : st.table;
            inh = (uint32_t)st.inherited & (MMU_X86_P_EPT_R | MMU_X86_P_EPT_W | MMU_X86_P_EPT_X |
                                            MMU_X86_P_EPT_XU);
        }
    }

    for (;;) {
        uint64_t idx = (w->gpa >> (12 + 9 * (unsigned)(level - 1))) & 511;
        uint64_t pa = table + idx * 8, ent;
        rc = p->read(p->opaque, pa, 8, 2, level, &ent);
        res->walk_refs++;
        if (rc)
            return e_fault(w, MMU_FAULT_EXTERNAL, level, 0);

        /* Present: any of bits 2:0 (or bit 10 with mode-based execute control). */
        bool present = (ent & (EPTE_R | EPTE_W | EPTE_X)) || (e->mode_based_x && (ent & EPTE_XU));
        if (!present)
            return e_fault(w, MMU_FAULT_TRANSLATION, level, 0);

        /* Misconfigurations (SDM vol. 3C §29.3.3.1): write without read; reserved bits;
         * leaf memory type 2, 3 or 7. Execute-only translations are assumed supported
         * (IA32_VMX_EPT_VPID_CAP bit 0). */
        if ((ent & EPTE_W) && !(ent & EPTE_R))
            return e_fault(w, MMU_FAULT_MISCONFIG, level, 0);
        bool leaf = level == 1 || ((level == 2 || level == 3) && (ent & EPTE_LEAF));
        uint64_t rsvd = bitrange(51, maxphy);
        unsigned shift = 12;
        if (!leaf)
            rsvd |= bitrange(7, 3); /* non-leaf: bits 7:3 reserved */
        else if (level == 3)
            rsvd |= bitrange(29, 12), shift = 30;
        else if (level == 2)
            rsvd |= bitrange(20, 12), shift = 21;
        if (ent & rsvd)
            return e_fault(w, MMU_FAULT_MISCONFIG, level, 0);
        unsigned mt = (ent >> 3) & 7;
        if (leaf && (mt == 2 || mt == 3 || mt == 7))
            return e_fault(w, MMU_FAULT_MISCONFIG, level, 0);

        if (!(ent & EPTE_R))
            inh &= ~MMU_X86_P_EPT_R;
        if (!(ent & EPTE_W))
            inh &= ~MMU_X86_P_EPT_W;
        if (!(ent & EPTE_X))
            inh &= ~MMU_X86_P_EPT_X;
        if (!(ent & EPTE_XU))
            inh &= ~MMU_X86_P_EPT_XU;

        if (!leaf) {
            if (ad) {
                rc = e_set_bits(w, pa, level, &ent, EPTE_A);
                if (rc)
                    return rc;
            }
            table = ent & addr_mask(maxphy, 12);
            level--;
            if (p->pwc_fill) {
                struct mmu_walk_state st = {
                    .level = level,
                    .ia_shift = 12 + 9 * (unsigned)level,
                    .table = table,
                    .table_pa = table,
                    .pa_valid = true,
                    .inherited = inh,
                };
                p->pwc_fill(p->opaque, 2, w->gpa, &st);
            }
            continue;
        }

        /* Without MBEC bit 10 is ignored (and qualification bit 6 is reported as 0). */
        uint32_t perms = e->mode_based_x ? (inh | MMU_X86_P_EPT_MBEC) : (inh & ~(uint32_t)MMU_X86_P_EPT_XU);
        if (!x86_ept_access_ok(perms, w->acc))
            return e_fault(w, MMU_FAULT_PERMISSION, level, perms);
        if (ad) {
            rc = e_set_bits(w, pa, level, &ent, EPTE_A | ((w->acc & MMU_ACC_WRITE) ? EPTE_D : 0));
            if (rc)
                return rc;
        }
        res->oa = (ent & addr_mask(maxphy, shift)) | (w->gpa & ((1ull << shift) - 1));
        res->page_shift = shift;
        res->perms = MMU_X86_P_EPT | perms | ((!ad || (ent & EPTE_D)) ? MMU_X86_P_DIRTY : 0);
        res->attrs = MMU_X86_A_EPT | ((uint64_t)mt << MMU_X86_A_EPT_MT_SHIFT) |
                     ((ent & EPTE_IPAT) ? MMU_X86_A_EPT_IPAT : 0);
        return 0;
    }
}

int mmu_x86_ept_walk(const struct mmu_ept_regs *e, uint64_t gpa, unsigned acc, bool for_paging_structure,
                     uint64_t gla, bool gla_valid, struct mmu_walk_port *port, struct mmu_walk_result *res)
{
    int levels, rc;
    if (!port || !port->read || !res)
        return -EINVAL;
    memset(res, 0, sizeof(*res));
    rc = ept_check_eptp(e, &levels);
    if (rc)
        return rc;
    struct ewalk w = {
        .e = e, .port = port, .gpa = gpa, .gla = gla, .gla_valid = gla_valid,
        .for_ps = for_paging_structure, .acc = acc, .res = res,
    };
    /* With EPT A/D on, guest paging-structure accesses are treated as writes (SDM vol. 3C
     * §29.3.3.2, §29.3.5): the entry is read and may be written. */
    if (for_paging_structure && (e->eptp & MMU_X86_EPTP_AD))
        w.acc |= MMU_ACC_READ | MMU_ACC_WRITE;
    if (for_paging_structure)
        w.acc &= ~(unsigned)MMU_ACC_EXEC;
    for (int i = 0; i < X86_AD_RETRIES; i++) {
        unsigned refs = res->walk_refs;
        memset(res, 0, sizeof(*res));
        res->walk_refs = refs;
        rc = e_walk_once(&w, levels);
        if (rc != -EAGAIN)
            return rc;
    }
    return -EAGAIN;
}

/* ---------------------------------------------------------------------------------------
 * Combined 2-D walk
 */

struct x86_s2ctx {
    const struct mmu_ept_regs *e;
    struct mmu_walk_port *port;
    uint64_t la;
    unsigned refs;
};

/* Stage 2 for guest table GPAs when the caller's port has none: an EPT walk through the same
 * port, as a paging-structure access. */
static int x86_internal_s2(void *opaque, uint64_t ipa, int s1_level, bool write, uint64_t *pa,
                           struct mmu_fault *fault)
{
    struct x86_s2ctx *c = opaque;
    struct mmu_walk_result r2;
    /* an A/D update of a guest entry is a write (the entry was already read) */
    int rc = mmu_x86_ept_walk(c->e, ipa, write ? MMU_ACC_WRITE : MMU_ACC_READ, true, c->la, true,
                              c->port, &r2);
    c->refs += r2.walk_refs;
    if (rc == 0) {
        *pa = r2.oa;
        return 0;
    }
    *fault = r2.fault;
    return -1;
}

int mmu_x86_translate(const struct mmu_x86_regs *r, const struct mmu_ept_regs *e, uint64_t la, unsigned acc,
                      struct mmu_walk_port *port, struct mmu_walk_result *res)
{
    if (!r || !port || !port->read || !res)
        return -EINVAL;
    if (!e || !e->enabled)
        return g_walk(r, la, acc, port, NULL, NULL, res);

    int levels;
    int rc = ept_check_eptp(e, &levels);
    if (rc) {
        memset(res, 0, sizeof(*res));
        return rc;
    }
    struct x86_s2ctx ctx = { .e = e, .port = port, .la = la };
    if (port->s2)
        rc = g_walk(r, la, acc, port, port->s2, port->opaque, res);
    else
        rc = g_walk(r, la, acc, port, x86_internal_s2, &ctx, res);
    res->walk_refs += ctx.refs;
    if (rc)
        return rc;

    struct mmu_walk_result g = *res, s;
    unsigned eacc = acc & (MMU_ACC_READ | MMU_ACC_WRITE | MMU_ACC_EXEC);
    if (g.perms & MMU_X86_P_U)
        eacc |= MMU_ACC_USER; /* MBEC: the GLA is a user-mode address */
    rc = mmu_x86_ept_walk(e, g.oa, eacc, false, la, true, port, &s);
    if (rc) {
        *res = s;
        res->walk_refs += g.walk_refs;
        if (s.fault.kind == MMU_FAULT_TRANSLATION || s.fault.kind == MMU_FAULT_PERMISSION) {
            /* Advanced VM-exit information for EPT violations (SDM vol. 3C Table 28-7 bits
             * 9-11): the guest access rights of the linear address. */
            res->fault.arch |= ((g.perms & MMU_X86_P_U) ? MMU_X86_EQ_GLA_U : 0) |
                               ((g.perms & MMU_X86_P_W) ? MMU_X86_EQ_GLA_W : 0) |
                               ((g.perms & MMU_X86_P_XD) ? MMU_X86_EQ_GLA_XD : 0);
        }
        res->fault.va = la;
        return rc;
    }
    res->oa = s.oa;
    res->page_shift = g.page_shift < s.page_shift ? g.page_shift : s.page_shift;
    res->perms = (g.perms & ~(uint32_t)MMU_X86_P_DIRTY) | (s.perms & ~(uint32_t)MMU_X86_P_DIRTY) |
                 ((g.perms & s.perms & MMU_X86_P_DIRTY) ? MMU_X86_P_DIRTY : 0);
    res->attrs = g.attrs | s.attrs;
    res->global = g.global;
    res->walk_refs = g.walk_refs + s.walk_refs;
    return 0;
}
