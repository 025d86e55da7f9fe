/* mmu/invalidate.c - TLB maintenance semantics: which cached translations each Arm TLBI
 * and x86 INVLPG / INVPCID / MOV CRn / INVEPT / INVVPID removes from the combined TLBs (L1
 * ITLB, L1 DTLB, L2), the nested TLB and the two walk caches.
 *
 * One selector (struct inv) describes a set of entries; each operation applies one selector
 * per structure, as the architecture prescribes:
 *   Arm: ARM DDI0487 D8.14 "TLB maintenance requirements" and C5.5 "A64 system
 *        instructions for TLB maintenance".
 *   x86: Intel SDM vol. 3A §4.10.4 "Invalidation of TLBs and paging-structure caches",
 *        vol. 3C §29.4.3 "Invalidating cached information" (INVVPID / INVEPT).
 * Removing more than required would be architecturally allowed, but the model removes
 * exactly what is required so that a missing invalidation shows up as a stale hit. */
#include "mmu/mmu_impl.h"

#include <errno.h>

enum asid_mode {
    ASID_ANY,           /* every entry, global or not, any ASID/PCID */
    ASID_MATCH_OR_GLOBAL, /* non-global entries of `asid` and all global entries */
    ASID_NONGLOBAL_MATCH, /* non-global entries of `asid` only */
    ASID_NONGLOBAL_ANY, /* non-global entries of any ASID */
};

struct inv {
    uint32_t regimes;   /* bit (1 << enum mmu_tlb_regime) */
    bool by_vmid;
    uint16_t vmid;
    enum asid_mode amode;
    uint16_t asid;
    bool by_eptp, any_eptp; /* eptp == value / eptp != 0 */
    uint64_t eptp;
    bool by_addr;
    uint64_t addr, addr_mask; /* compare (addr ^ entry address) & addr_mask above the page */
};

#define RG(r) (1u << (r))
#define ARM_VA_MASK ((1ull << 56) - 1)      /* TLBI VA operands carry VA[55:12] */
#define ARM_IPA_MASK ((1ull << 52) - 1)
#define ALL_BITS (~0ull)

static bool common_ok(const struct inv *v, const struct mmu_tlb_tag *t)
{
    if (!(v->regimes & RG(t->regime)))
        return false;
    if (v->by_vmid && t->vmid != v->vmid)
        return false;
    if (v->by_eptp && t->eptp != v->eptp)
        return false;
    if (v->any_eptp && !t->eptp)
        return false;
    return true;
}

static bool asid_ok(const struct inv *v, uint16_t asid, bool global)
{
    switch (v->amode) {
    case ASID_ANY: return true;
    case ASID_MATCH_OR_GLOBAL: return global || asid == v->asid;
    case ASID_NONGLOBAL_MATCH: return !global && asid == v->asid;
    case ASID_NONGLOBAL_ANY: return !global;
    }
    return false;
}

static bool covers(const struct inv *v, uint64_t base, unsigned shift)
{
    uint64_t diff = (v->addr ^ base) & v->addr_mask;
    return shift >= 64 || (diff >> shift) == 0;
}

static bool tlb_pred(const struct mmu_tlb_entry *e, const void *ctx)
{
    const struct inv *v = ctx;
    return common_ok(v, &e->tag) && asid_ok(v, e->tag.asid, e->global) &&
           (!v->by_addr || covers(v, e->vpn << e->page_shift, e->page_shift));
}

/* Walk-cache entries are never global: an ASID-selecting operation matches on the ASID. */
static bool pwc_pred(const struct mmu_pwc_entry *e, const void *ctx)
{
    const struct inv *v = ctx;
    return common_ok(v, &e->tag) && asid_ok(v, e->tag.asid, false) &&
           (!v->by_addr || covers(v, e->st.ia_shift >= 64 ? 0 : e->prefix << e->st.ia_shift,
                                  e->st.ia_shift));
}

static int inv_tlbs(struct mmu *m, const struct inv *v)
{
    return (int)(mmu_tlb_invalidate(&m->itlb, tlb_pred, v) + mmu_tlb_invalidate(&m->dtlb, tlb_pred, v) +
                 mmu_tlb_invalidate(&m->l2tlb, tlb_pred, v));
}

static int inv_ntlb(struct mmu *m, const struct inv *v)
{
    return (int)mmu_tlb_invalidate(&m->ntlb, tlb_pred, v);
}

static int inv_pwc(struct mmu *m, int stage, const struct inv *v)
{
    return (int)mmu_pwc_invalidate(&m->pwc[stage - 1], pwc_pred, v);
}

/* ---------------------------------------------------------------- Arm */

static uint64_t tlbi_va(uint64_t xt)
{
    /* Xt[43:0] = VA[55:12]; VA[63:56] are not compared (ARM DDI0487 C5.5, "TLBI VAE1"). */
    uint64_t va = (xt & ((1ull << 44) - 1)) << 12;
    return va;
}

int mmu_a64_tlbi(struct mmu *m, enum mmu_a64_tlbi_op op, uint64_t xt, const struct mmu_a64_regs *regs)
{
    uint16_t vmid = mmu_a64_vmid(regs);
    /* ASID operand Xt[63:48]; with 8-bit ASIDs (TCR_EL1.AS == 0) the top byte is ignored. */
    uint16_t asid = (uint16_t)(xt >> 48);
    if (!(regs->tcr_el1 & (1ull << 36)))
        asid &= 0xff;
    struct inv s1 = {.regimes = RG(MMU_TR_A64_EL10), .by_vmid = true, .vmid = vmid, .amode = ASID_ANY,
                     .addr_mask = ARM_VA_MASK};
    struct inv s2 = {.regimes = RG(MMU_TR_A64_S2), .by_vmid = true, .vmid = vmid, .amode = ASID_ANY,
                     .addr_mask = ARM_IPA_MASK};
    int n = 0;
    switch (op) {
    case MMU_TLBI_VMALLE1: case MMU_TLBI_VMALLE1IS:
        /* All stage-1 (and combined) EL1&0 entries of the current VMID, walk caches included;
         * stage-2-only entries stay (C5.5 "TLBI VMALLE1"). */
        n += inv_tlbs(m, &s1);
        n += inv_pwc(m, 1, &s1);
        return n;
    case MMU_TLBI_VAE1: case MMU_TLBI_VAE1IS:
    case MMU_TLBI_VALE1: case MMU_TLBI_VALE1IS:
        /* Entries for VA with the given ASID, and global entries for VA (D8.14.5); the
         * non-"L" form also removes cached walks for VA of that ASID. */
        s1.amode = ASID_MATCH_OR_GLOBAL;
        s1.asid = asid;
        s1.by_addr = true;
        s1.addr = tlbi_va(xt);
        n += inv_tlbs(m, &s1);
        if (op == MMU_TLBI_VAE1 || op == MMU_TLBI_VAE1IS)
            n += inv_pwc(m, 1, &s1);
        return n;
    case MMU_TLBI_ASIDE1: case MMU_TLBI_ASIDE1IS:
        /* Non-global entries of the ASID (global entries are not ASID-specific). */
        s1.amode = ASID_NONGLOBAL_MATCH;
        s1.asid = asid;
        n += inv_tlbs(m, &s1);
        n += inv_pwc(m, 1, &s1);
        return n;
    case MMU_TLBI_VAAE1: case MMU_TLBI_VAAE1IS:
    case MMU_TLBI_VAALE1: case MMU_TLBI_VAALE1IS:
        /* VA, all ASIDs (ASID field ignored). */
        s1.by_addr = true;
        s1.addr = tlbi_va(xt);
        n += inv_tlbs(m, &s1);
        if (op == MMU_TLBI_VAAE1 || op == MMU_TLBI_VAAE1IS)
            n += inv_pwc(m, 1, &s1);
        return n;
    case MMU_TLBI_IPAS2E1: case MMU_TLBI_IPAS2E1IS:
    case MMU_TLBI_IPAS2LE1: case MMU_TLBI_IPAS2LE1IS:
        /* Stage-2-only entries for the IPA in the current VMID. The Arm ARM does not require
         * these to remove combined stage 1+2 entries (C5.5 "TLBI IPAS2E1": software follows
         * with TLBI VMALLE1, as Linux __kvm_tlb_flush_vmid_ipa and Xen p2m flushes do); we
         * keep combined entries so a missing VMALLE1 shows up as a stale hit. The "L" form
         * keeps the stage-2 walk cache. */
        s2.by_addr = true;
        s2.addr = (xt & ((1ull << 40) - 1)) << 12; /* Xt[39:0] = IPA[51:12] */
        n += inv_ntlb(m, &s2);
        if (op == MMU_TLBI_IPAS2E1 || op == MMU_TLBI_IPAS2E1IS)
            n += inv_pwc(m, 2, &s2);
        return n;
    case MMU_TLBI_VMALLS12E1: case MMU_TLBI_VMALLS12E1IS:
        /* Stage 1 and stage 2 of the current VMID. */
        n += inv_tlbs(m, &s1);
        n += inv_pwc(m, 1, &s1);
        n += inv_ntlb(m, &s2);
        n += inv_pwc(m, 2, &s2);
        return n;
    case MMU_TLBI_ALLE1: case MMU_TLBI_ALLE1IS:
        /* Every EL1&0 entry of every VMID, stage 1 and 2. */
        s1.by_vmid = false;
        s2.by_vmid = false;
        n += inv_tlbs(m, &s1);
        n += inv_pwc(m, 1, &s1);
        n += inv_ntlb(m, &s2);
        n += inv_pwc(m, 2, &s2);
        return n;
    case MMU_TLBI_ALLE2: case MMU_TLBI_ALLE2IS:
    case MMU_TLBI_VAE2: case MMU_TLBI_VAE2IS:
    case MMU_TLBI_VALE2: case MMU_TLBI_VALE2IS: {
        /* EL2 regime (no VMID, no ASID without E2H). */
        struct inv e2 = {.regimes = RG(MMU_TR_A64_EL2), .amode = ASID_ANY, .addr_mask = ARM_VA_MASK};
        if (op != MMU_TLBI_ALLE2 && op != MMU_TLBI_ALLE2IS) {
            e2.by_addr = true;
            e2.addr = tlbi_va(xt);
        }
        n += inv_tlbs(m, &e2);
        if (op != MMU_TLBI_VALE2 && op != MMU_TLBI_VALE2IS)
            n += inv_pwc(m, 1, &e2);
        return n;
    }
    }
    return -EINVAL;
}

/* ---------------------------------------------------------------- x86 */

/* Linear and combined mappings of the current VPID (any EP4TA; SDM vol. 3C §29.4.2: the
 * paging instructions in VMX non-root operation affect the current VPID only). */
static struct inv x86_lin(uint16_t vpid)
{
    struct inv v = {.regimes = RG(vpid ? MMU_TR_X86_GUEST : MMU_TR_X86_HOST), .by_vmid = true,
                    .vmid = vpid, .amode = ASID_ANY, .addr_mask = ALL_BITS};
    return v;
}

int mmu_x86_invlpg(struct mmu *m, uint16_t vpid, uint16_t pcid, uint64_t la)
{
    /* SDM vol. 3A §4.10.4.1 INVLPG: TLB entries for the page of la in the current PCID,
     * global ones included, and all paging-structure-cache entries of the current PCID
     * (regardless of linear address). */
    struct inv v = x86_lin(vpid);
    v.amode = ASID_MATCH_OR_GLOBAL;
    v.asid = pcid;
    v.by_addr = true;
    v.addr = la;
    int n = inv_tlbs(m, &v);
    struct inv p = x86_lin(vpid);
    p.amode = ASID_NONGLOBAL_MATCH;
    p.asid = pcid;
    return n + inv_pwc(m, 1, &p);
}

int mmu_x86_invpcid(struct mmu *m, uint16_t vpid, unsigned type, uint16_t pcid, uint64_t la)
{
    /* SDM vol. 3A §4.10.4.1 / INVPCID instruction reference:
     *  0 individual-address: non-global entries for la and pcid + PSC entries of pcid
     *  1 single-context:     non-global entries of pcid + PSC entries of pcid
     *  2 all-context incl. globals: everything (all PCIDs)
     *  3 all-context:        all non-global entries, all PSC entries */
    struct inv v = x86_lin(vpid), p = x86_lin(vpid);
    switch (type) {
    case 0:
        v.amode = ASID_NONGLOBAL_MATCH;
        v.asid = pcid;
        v.by_addr = true;
        v.addr = la;
        p.amode = ASID_NONGLOBAL_MATCH;
        p.asid = pcid;
        break;
    case 1:
        v.amode = ASID_NONGLOBAL_MATCH;
        v.asid = pcid;
        p.amode = ASID_NONGLOBAL_MATCH;
        p.asid = pcid;
        break;
    case 2:
        break;
    case 3:
        v.amode = ASID_NONGLOBAL_ANY;
        break;
    default:
        return -EINVAL;  /* #GP(0) */
    }
    if (pcid > 0xfff)
        return -EINVAL;
    return inv_tlbs(m, &v) + inv_pwc(m, 1, &p);
}

int mmu_x86_mov_cr3(struct mmu *m, uint16_t vpid, uint64_t old_cr3, uint64_t new_cr3, uint64_t cr4)
{
    /* SDM vol. 3A §4.10.4.1 MOV to CR3: CR4.PCIDE = 0: non-global entries and PSC entries of
     * PCID 000H. CR4.PCIDE = 1: bit 63 of the source set -> nothing is invalidated; clear ->
     * non-global entries and PSC entries of the new PCID (CR3[11:0] of the source). The old
     * value plays no part in the rule. */
    (void)old_cr3;
    uint16_t pcid = 0;
    if (cr4 & MMU_X86_CR4_PCIDE) {
        if (new_cr3 >> 63)
            return 0;
        pcid = (uint16_t)(new_cr3 & 0xfff);
    }
    struct inv v = x86_lin(vpid);
    v.amode = ASID_NONGLOBAL_MATCH;
    v.asid = pcid;
    return inv_tlbs(m, &v) + inv_pwc(m, 1, &v);
}

static int x86_flush_vpid(struct mmu *m, uint16_t vpid, bool globals)
{
    struct inv v = x86_lin(vpid);
    v.amode = globals ? ASID_ANY : ASID_NONGLOBAL_ANY;
    struct inv p = x86_lin(vpid);
    return inv_tlbs(m, &v) + inv_pwc(m, 1, &p);
}

int mmu_x86_mov_cr4(struct mmu *m, uint16_t vpid, uint64_t old_cr4, uint64_t new_cr4, uint16_t pcid)
{
    /* SDM vol. 3A §4.10.4.1 MOV to CR4: changing CR4.PGE, or clearing CR4.PCIDE,
     * invalidates all TLB entries (global included) and all PSC entries for all PCIDs;
     * changing CR4.PAE or setting CR4.SMEP invalidates the entries of the current PCID. */
    uint64_t ch = old_cr4 ^ new_cr4;
    if ((ch & MMU_X86_CR4_PGE) || ((old_cr4 & MMU_X86_CR4_PCIDE) && !(new_cr4 & MMU_X86_CR4_PCIDE)))
        return x86_flush_vpid(m, vpid, true);
    if ((ch & MMU_X86_CR4_PAE) || ((new_cr4 & MMU_X86_CR4_SMEP) && !(old_cr4 & MMU_X86_CR4_SMEP))) {
        struct inv v = x86_lin(vpid);
        v.amode = ASID_NONGLOBAL_MATCH;
        v.asid = pcid;
        return inv_tlbs(m, &v) + inv_pwc(m, 1, &v);
    }
    return 0;
}

int mmu_x86_mov_cr0(struct mmu *m, uint16_t vpid, uint64_t old_cr0, uint64_t new_cr0)
{
    /* SDM vol. 3A §4.10.4.1 MOV to CR0: clearing CR0.PG invalidates all TLB entries (global
     * included) and all PSC entries for all PCIDs. */
    if ((old_cr0 & MMU_X86_CR0_PG) && !(new_cr0 & MMU_X86_CR0_PG))
        return x86_flush_vpid(m, vpid, true);
    return 0;
}

int mmu_x86_invept(struct mmu *m, unsigned type, uint64_t eptp)
{
    /* SDM vol. 3C §29.4.3.1 INVEPT: single-context removes guest-physical and combined
     * mappings (all VPIDs, all PCIDs) associated with the EP4TA of eptp; all-context those of
     * every EP4TA. Linear mappings (no EPT) are untouched. */
    struct inv comb = {.regimes = RG(MMU_TR_X86_GUEST) | RG(MMU_TR_X86_HOST), .amode = ASID_ANY,
                       .addr_mask = ALL_BITS};
    struct inv gpa = {.regimes = RG(MMU_TR_X86_EPT), .amode = ASID_ANY, .addr_mask = ALL_BITS};
    if (type == MMU_INVEPT_SINGLE) {
        comb.by_eptp = gpa.by_eptp = true;
        comb.eptp = gpa.eptp = mmu_x86_ep4ta(eptp);
    } else if (type == MMU_INVEPT_ALL) {
        comb.any_eptp = gpa.any_eptp = true;
    } else {
        return -EINVAL;
    }
    return inv_tlbs(m, &comb) + inv_pwc(m, 1, &comb) + inv_ntlb(m, &gpa) + inv_pwc(m, 2, &gpa);
}

int mmu_x86_invvpid(struct mmu *m, unsigned type, uint16_t vpid, uint64_t la)
{
    /* SDM vol. 3C §29.4.3.3 INVVPID (linear and combined mappings; guest-physical mappings
     * stay): 0 individual-address (la, all PCIDs, globals included), 1 single-context,
     * 2 all-context (every VPID but 0), 3 single-context retaining globals. VPID 0 with
     * types 0, 1, 3 is VMfailValid. PSC entries of the VPID go with types 0, 1, 3. */
    if (type > 3 || (type != 2 && vpid == 0))
        return -EINVAL;
    struct inv v = {.regimes = RG(MMU_TR_X86_GUEST), .by_vmid = true, .vmid = vpid,
                    .amode = ASID_ANY, .addr_mask = ALL_BITS};
    struct inv p = v;
    switch (type) {
    case 0:
        v.by_addr = true;
        v.addr = la;
        break;
    case 1:
        break;
    case 2:
        v.by_vmid = p.by_vmid = false;
        break;
    case 3:
        v.amode = ASID_NONGLOBAL_ANY;
        break;
    }
    return inv_tlbs(m, &v) + inv_pwc(m, 1, &p);
}
