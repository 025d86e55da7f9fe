/* tests/mmu/test_tlb_invalidate.c - every Arm TLBI and x86 INVLPG / INVPCID / MOV CR3 /
 * MOV CR4 / INVEPT / INVVPID removes exactly the entries the architecture says: the L2 TLB,
 * nested TLB and both walk caches are filled with many tag combinations, the operation is
 * applied, and every entry's survival is checked against the rule written out here (ARM
 * DDI0487 C5.5 / D8.14; Intel SDM vol. 3A §4.10.4, vol. 3C §29.4.3). */
#include <errno.h>
#include <string.h>

#include "mmu/mmu.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

enum kind { K_TLB, K_NTLB, K_PWC1, K_PWC2 };

struct ent {
    enum kind kind;
    struct mmu_tlb_tag tag;
    bool global;
    uint64_t addr;   /* page / covered region base */
    unsigned shift;  /* page size (TLB) or ia_shift (PWC) */
    void *slot;      /* where it was put */
};

#define MAXE 512
static struct ent ents[MAXE];
static unsigned nents;

static void add(struct mmu *m, enum kind k, struct mmu_tlb_tag tag, bool global, uint64_t addr,
                unsigned shift)
{
    struct ent *e = &ents[nents++];
    e->kind = k;
    e->tag = tag;
    e->global = global;
    e->addr = addr & ~((1ull << shift) - 1);
    e->shift = shift;
    if (k == K_TLB || k == K_NTLB) {
        struct mmu_tlb_entry n = {.vpn = addr >> shift, .oa = 0x1000, .tag = tag,
                                  .page_shift = (uint8_t)shift, .global = global};
        e->slot = mmu_tlb_fill(mmu_get_tlb(m, k == K_TLB ? MMU_ARR_L2TLB : MMU_ARR_NTLB), &n);
    } else {
        struct mmu_pwc *p = mmu_get_pwc(m, k == K_PWC1 ? 1 : 2);
        struct mmu_walk_state st = {.level = 3, .ia_shift = shift, .table = 0x2000};
        mmu_pwc_fill(p, &tag, addr, &st);
        for (unsigned i = 0; i < p->entries; i++)
            if (p->e[i].valid && p->e[i].lru == p->clock)
                e->slot = &p->e[i];
    }
    CHECK(e->slot != NULL);
}

static bool alive(const struct ent *e)
{
    if (e->kind == K_TLB || e->kind == K_NTLB) {
        const struct mmu_tlb_entry *t = e->slot;
        return t->valid && t->vpn == e->addr >> e->shift && t->tag.regime == e->tag.regime &&
               t->tag.vmid == e->tag.vmid && t->tag.asid == e->tag.asid && t->tag.eptp == e->tag.eptp;
    }
    const struct mmu_pwc_entry *p = e->slot;
    return p->valid && p->prefix == e->addr >> e->shift && p->tag.asid == e->tag.asid &&
           p->tag.vmid == e->tag.vmid && p->tag.regime == e->tag.regime && p->tag.eptp == e->tag.eptp;
}

static struct mmu *new_mmu(struct sim_mem *mem, struct sim_stats *st)
{
    struct mmu_cpu_model cm = *mmu_cpu_model_find("cortex-a57");
    char err[128];
    /* fully associative and large enough: nothing is evicted while filling */
    CHECK_EQ(mmu_cpu_model_override(&cm, "tlb", "l2=512xfa", err, sizeof(err)), 0);
    CHECK_EQ(mmu_cpu_model_override(&cm, "pwc", "s1=256,s2=256,ntlb=256", err, sizeof(err)), 0);
    sim_mem_init(mem);
    sim_stats_init(st);
    return mmu_create(&cm, mem, st, "");
}

/* ------------------------------------------------------------------ Arm */

#define VA_A 0x0000000012345000ull
#define VA_B 0x0000007fff000000ull
#define VA_K 0xffff800000200000ull /* TTBR1 */
#define IPA_A 0x40001000ull
#define IPA_B 0x80200000ull
#define CUR_VMID 1

static void arm_fill(struct mmu *m)
{
    nents = 0;
    const uint64_t vas[] = {VA_A, VA_B, VA_K};
    for (int rg = 0; rg < 2; rg++)
        for (uint16_t vmid = 1; vmid <= 2; vmid++)
            for (unsigned i = 0; i < 3; i++) {
                if (rg == 1 && vmid == 2)
                    continue; /* EL2: no VMID */
                struct mmu_tlb_tag t = {.regime = rg ? MMU_TR_A64_EL2 : MMU_TR_A64_EL10,
                                        .vmid = rg ? 0 : vmid};
                for (uint16_t asid = 5; asid <= 6; asid++) {
                    t.asid = rg ? 0 : asid;
                    if (!rg || asid == 5)
                        add(m, K_TLB, t, false, vas[i], 12);
                    /* global entries on the next 2M block (no overlap with the above) */
                    if (asid == 5)
                        add(m, K_TLB, t, true, vas[i] + 0x200000, 21);
                    if (!rg || asid == 5)
                        add(m, K_PWC1, t, false, vas[i], 21);
                }
            }
    for (uint16_t vmid = 1; vmid <= 2; vmid++) {
        struct mmu_tlb_tag t = {.regime = MMU_TR_A64_S2, .vmid = vmid};
        add(m, K_NTLB, t, false, IPA_A, 12);
        add(m, K_NTLB, t, false, IPA_B, 21);
        add(m, K_PWC2, t, false, IPA_A, 21);
        add(m, K_PWC2, t, false, IPA_B, 30);
    }
}

static bool covers(const struct ent *e, uint64_t a, uint64_t mask)
{
    return (((a ^ e->addr) & mask) >> e->shift) == 0;
}

#define M56 ((1ull << 56) - 1)

/* The rule, per ARM DDI0487 C5.5 (test-side, written independently of the model). */
static bool arm_removed(enum mmu_a64_tlbi_op op, const struct ent *e, uint64_t va, uint16_t asid, uint64_t ipa)
{
    bool el10 = e->tag.regime == MMU_TR_A64_EL10, el2 = e->tag.regime == MMU_TR_A64_EL2;
    bool cur = e->tag.vmid == CUR_VMID;
    bool s1 = e->kind == K_TLB || e->kind == K_PWC1, tlb = e->kind == K_TLB;
    bool pwc1 = e->kind == K_PWC1;
    switch (op) {
    case MMU_TLBI_VMALLE1: return s1 && el10 && cur;
    case MMU_TLBI_VAE1: return s1 && el10 && cur && covers(e, va, M56) &&
                               (pwc1 ? e->tag.asid == asid : (e->global || e->tag.asid == asid));
    case MMU_TLBI_VALE1: return tlb && el10 && cur && covers(e, va, M56) && (e->global || e->tag.asid == asid);
    case MMU_TLBI_ASIDE1: return s1 && el10 && cur && !e->global && e->tag.asid == asid;
    case MMU_TLBI_VAAE1: return s1 && el10 && cur && covers(e, va, M56);
    case MMU_TLBI_VAALE1: return tlb && el10 && cur && covers(e, va, M56);
    case MMU_TLBI_IPAS2E1: return !s1 && cur && covers(e, ipa, ~0ull);
    case MMU_TLBI_IPAS2LE1: return e->kind == K_NTLB && cur && covers(e, ipa, ~0ull);
    case MMU_TLBI_VMALLS12E1: return (s1 && el10 && cur) || (!s1 && cur);
    case MMU_TLBI_ALLE1: return (s1 && el10) || !s1;
    case MMU_TLBI_ALLE2: return s1 && el2;
    case MMU_TLBI_VAE2: return s1 && el2 && covers(e, va, M56);
    case MMU_TLBI_VALE2: return tlb && el2 && covers(e, va, M56);
    default: return false;
    }
}

static void arm_case(enum mmu_a64_tlbi_op op, enum mmu_a64_tlbi_op opis, uint64_t va, uint16_t asid,
                     uint64_t ipa, const char *name)
{
    for (int v = 0; v < 2; v++) {
        struct sim_mem mem;
        struct sim_stats st;
        struct mmu *m = new_mmu(&mem, &st);
        arm_fill(m);
        struct mmu_a64_regs r = {0};
        r.vttbr_el2 = (uint64_t)CUR_VMID << 48;
        r.tcr_el1 = 1ull << 36; /* 16-bit ASIDs */
        uint64_t xt = (va >> 12 & ((1ull << 44) - 1)) | (uint64_t)asid << 48;
        if (op == MMU_TLBI_IPAS2E1 || op == MMU_TLBI_IPAS2LE1)
            xt = ipa >> 12;
        int n = mmu_a64_tlbi(m, v ? opis : op, xt, &r);
        unsigned expect = 0, bad = 0;
        for (unsigned i = 0; i < nents; i++) {
            bool rm = arm_removed(op, &ents[i], va, asid, ipa);
            expect += rm;
            if (alive(&ents[i]) == rm) {
                bad++;
                fprintf(stderr, "  %s: entry %u kind %d regime %d vmid %u asid %u g %d addr %llx: %s\n",
                        name, i, ents[i].kind, ents[i].tag.regime, ents[i].tag.vmid, ents[i].tag.asid,
                        ents[i].global, (unsigned long long)ents[i].addr, rm ? "survived" : "removed");
            }
        }
        CHECK_EQ(bad, 0);
        CHECK_EQ(n, expect);
        CHECK(expect > 0);
        mmu_destroy(m);
        sim_stats_destroy(&st);
        sim_mem_destroy(&mem);
    }
}

static void test_arm(void)
{
    arm_case(MMU_TLBI_VMALLE1, MMU_TLBI_VMALLE1IS, 0, 0, 0, "VMALLE1");
    arm_case(MMU_TLBI_VAE1, MMU_TLBI_VAE1IS, VA_A, 5, 0, "VAE1");
    arm_case(MMU_TLBI_VAE1, MMU_TLBI_VAE1IS, VA_K + 0x200000, 6, 0, "VAE1 global");
    arm_case(MMU_TLBI_VALE1, MMU_TLBI_VALE1IS, VA_B, 6, 0, "VALE1");
    arm_case(MMU_TLBI_ASIDE1, MMU_TLBI_ASIDE1IS, 0, 6, 0, "ASIDE1");
    arm_case(MMU_TLBI_VAAE1, MMU_TLBI_VAAE1IS, VA_K, 0, 0, "VAAE1");
    arm_case(MMU_TLBI_VAALE1, MMU_TLBI_VAALE1IS, VA_A, 0, 0, "VAALE1");
    arm_case(MMU_TLBI_IPAS2E1, MMU_TLBI_IPAS2E1IS, 0, 0, IPA_A, "IPAS2E1");
    arm_case(MMU_TLBI_IPAS2E1, MMU_TLBI_IPAS2E1IS, 0, 0, IPA_B + 0x1000, "IPAS2E1 block");
    arm_case(MMU_TLBI_IPAS2LE1, MMU_TLBI_IPAS2LE1IS, 0, 0, IPA_A, "IPAS2LE1");
    arm_case(MMU_TLBI_VMALLS12E1, MMU_TLBI_VMALLS12E1IS, 0, 0, 0, "VMALLS12E1");
    arm_case(MMU_TLBI_ALLE1, MMU_TLBI_ALLE1IS, 0, 0, 0, "ALLE1");
    arm_case(MMU_TLBI_ALLE2, MMU_TLBI_ALLE2IS, 0, 0, 0, "ALLE2");
    arm_case(MMU_TLBI_VAE2, MMU_TLBI_VAE2IS, VA_B, 0, 0, "VAE2");
    arm_case(MMU_TLBI_VALE2, MMU_TLBI_VALE2IS, VA_A, 0, 0, "VALE2");
    struct sim_mem mem;
    struct sim_stats st;
    struct mmu *m = new_mmu(&mem, &st);
    struct mmu_a64_regs r = {0};
    CHECK_EQ(mmu_a64_tlbi(m, (enum mmu_a64_tlbi_op)999, 0, &r), -EINVAL);
    mmu_destroy(m);
    sim_stats_destroy(&st);
    sim_mem_destroy(&mem);
}

/* ------------------------------------------------------------------ x86 */

#define LA_A 0x00007f0000001000ull
#define LA_B 0x0000000000400000ull
#define EP1 0x111000ull
#define EP2 0x222000ull
#define GPA_A 0x5000ull

static void x86_fill(struct mmu *m)
{
    nents = 0;
    const uint64_t las[] = {LA_A, LA_B};
    for (uint16_t vpid = 0; vpid <= 2; vpid++)
        for (int ep = 0; ep < 3; ep++) {
            if (vpid == 0 && ep)
                continue; /* root: no EPT */
            for (uint16_t pcid = 0; pcid <= 3; pcid += 3)
                for (unsigned i = 0; i < 2; i++) {
                    struct mmu_tlb_tag t = {.regime = vpid ? MMU_TR_X86_GUEST : MMU_TR_X86_HOST,
                                            .vmid = vpid, .asid = pcid,
                                            .eptp = ep == 0 ? 0 : ep == 1 ? EP1 : EP2};
                    add(m, K_TLB, t, false, las[i], 12);
                    if (pcid == 0)
                        add(m, K_TLB, t, true, las[i] + 0x200000, 21);
                    add(m, K_PWC1, t, false, las[i], 21);
                }
        }
    for (int ep = 1; ep <= 2; ep++) {
        struct mmu_tlb_tag t = {.regime = MMU_TR_X86_EPT, .eptp = ep == 1 ? EP1 : EP2};
        add(m, K_NTLB, t, false, GPA_A, 12);
        add(m, K_PWC2, t, false, GPA_A, 21);
    }
}

enum xop { X_INVLPG, X_INVPCID0, X_INVPCID1, X_INVPCID2, X_INVPCID3, X_CR3, X_CR3_PCIDE, X_CR3_NOFLUSH,
           X_CR4_PGE, X_CR4_NOP, X_CR0_PGOFF, X_INVEPT1, X_INVEPT2, X_INVVPID0, X_INVVPID1, X_INVVPID2,
           X_INVVPID3 };

/* SDM vol. 3A §4.10.4.1 and vol. 3C §29.4.3, written out per operation. */
static bool x86_removed(enum xop op, const struct ent *e, uint16_t vpid, uint16_t pcid, uint64_t la)
{
    bool lin = e->kind == K_TLB || e->kind == K_PWC1, tlb = e->kind == K_TLB;
    bool same_vpid = lin && e->tag.vmid == vpid;
    bool pcid_match = e->tag.asid == pcid && !e->global;
    switch (op) {
    case X_INVLPG: /* page incl. globals in current PCID; PSC of current PCID */
        return same_vpid && (tlb ? covers(e, la, ~0ull) && (e->global || e->tag.asid == pcid)
                                 : e->tag.asid == pcid);
    case X_INVPCID0: return same_vpid && pcid_match && (!tlb || covers(e, la, ~0ull));
    case X_INVPCID1: return same_vpid && pcid_match;
    case X_INVPCID2: return same_vpid;
    case X_INVPCID3: return same_vpid && !e->global;
    case X_CR3: return same_vpid && e->tag.asid == 0 && !e->global;
    case X_CR3_PCIDE: return same_vpid && e->tag.asid == pcid && !e->global;
    case X_CR3_NOFLUSH: return false;
    case X_CR4_PGE: return same_vpid;
    case X_CR4_NOP: return false;
    case X_CR0_PGOFF: return same_vpid;
    case X_INVEPT1: return e->tag.eptp == EP1;
    case X_INVEPT2: return e->tag.eptp != 0;
    case X_INVVPID0: return same_vpid && (!tlb || covers(e, la, ~0ull));
    case X_INVVPID1: return same_vpid;
    case X_INVVPID2: return lin && e->tag.vmid != 0;
    case X_INVVPID3: return same_vpid && !e->global;
    }
    return false;
}

static void x86_case(enum xop op, uint16_t vpid, uint16_t pcid, uint64_t la, const char *name)
{
    struct sim_mem mem;
    struct sim_stats st;
    struct mmu *m = new_mmu(&mem, &st);
    x86_fill(m);
    int n = -1;
    uint64_t cr4 = MMU_X86_CR4_PAE | MMU_X86_CR4_PGE;
    switch (op) {
    case X_INVLPG: n = mmu_x86_invlpg(m, vpid, pcid, la); break;
    case X_INVPCID0: n = mmu_x86_invpcid(m, vpid, 0, pcid, la); break;
    case X_INVPCID1: n = mmu_x86_invpcid(m, vpid, 1, pcid, la); break;
    case X_INVPCID2: n = mmu_x86_invpcid(m, vpid, 2, pcid, la); break;
    case X_INVPCID3: n = mmu_x86_invpcid(m, vpid, 3, pcid, la); break;
    case X_CR3: n = mmu_x86_mov_cr3(m, vpid, 0x1000, 0x2000 | pcid, cr4); break;
    case X_CR3_PCIDE: n = mmu_x86_mov_cr3(m, vpid, 0x1000, 0x2000 | pcid, cr4 | MMU_X86_CR4_PCIDE); break;
    case X_CR3_NOFLUSH:
        n = mmu_x86_mov_cr3(m, vpid, 0x1000, 1ull << 63 | 0x2000 | pcid, cr4 | MMU_X86_CR4_PCIDE);
        break;
    case X_CR4_PGE: n = mmu_x86_mov_cr4(m, vpid, cr4, cr4 & ~MMU_X86_CR4_PGE, pcid); break;
    case X_CR4_NOP: n = mmu_x86_mov_cr4(m, vpid, cr4, cr4 | MMU_X86_CR4_SMAP, pcid); break;
    case X_CR0_PGOFF: n = mmu_x86_mov_cr0(m, vpid, MMU_X86_CR0_PG | 1, 1); break;
    case X_INVEPT1: n = mmu_x86_invept(m, MMU_INVEPT_SINGLE, EP1 | 0x5e); break;
    case X_INVEPT2: n = mmu_x86_invept(m, MMU_INVEPT_ALL, 0); break;
    case X_INVVPID0: n = mmu_x86_invvpid(m, 0, vpid, la); break;
    case X_INVVPID1: n = mmu_x86_invvpid(m, 1, vpid, la); break;
    case X_INVVPID2: n = mmu_x86_invvpid(m, 2, vpid, la); break;
    case X_INVVPID3: n = mmu_x86_invvpid(m, 3, vpid, la); break;
    }
    unsigned expect = 0, bad = 0;
    for (unsigned i = 0; i < nents; i++) {
        bool rm = x86_removed(op, &ents[i], vpid, pcid, la);
        expect += rm;
        if (alive(&ents[i]) == rm) {
            bad++;
            fprintf(stderr, "  %s: entry %u kind %d regime %d vpid %u pcid %u eptp %llx g %d addr %llx: %s\n",
                    name, i, ents[i].kind, ents[i].tag.regime, ents[i].tag.vmid, ents[i].tag.asid,
                    (unsigned long long)ents[i].tag.eptp, ents[i].global,
                    (unsigned long long)ents[i].addr, rm ? "survived" : "removed");
        }
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(n, expect);
    if (op != X_CR3_NOFLUSH && op != X_CR4_NOP)
        CHECK(expect > 0);
    mmu_destroy(m);
    sim_stats_destroy(&st);
    sim_mem_destroy(&mem);
}

static void test_x86(void)
{
    x86_case(X_INVLPG, 1, 3, LA_A, "INVLPG guest");
    x86_case(X_INVLPG, 0, 0, LA_B + 0x200000, "INVLPG host global");
    x86_case(X_INVPCID0, 2, 3, LA_B, "INVPCID 0");
    x86_case(X_INVPCID1, 1, 0, 0, "INVPCID 1");
    x86_case(X_INVPCID2, 1, 0, 0, "INVPCID 2");
    x86_case(X_INVPCID3, 0, 0, 0, "INVPCID 3");
    x86_case(X_CR3, 1, 3, 0, "MOV CR3");
    x86_case(X_CR3_PCIDE, 2, 3, 0, "MOV CR3 PCIDE");
    x86_case(X_CR3_NOFLUSH, 2, 3, 0, "MOV CR3 bit 63");
    x86_case(X_CR4_PGE, 1, 0, 0, "MOV CR4 PGE");
    x86_case(X_CR4_NOP, 1, 0, 0, "MOV CR4 SMAP");
    x86_case(X_CR0_PGOFF, 0, 0, 0, "MOV CR0 PG off");
    x86_case(X_INVEPT1, 0, 0, 0, "INVEPT single");
    x86_case(X_INVEPT2, 0, 0, 0, "INVEPT all");
    x86_case(X_INVVPID0, 2, 0, LA_A, "INVVPID 0");
    x86_case(X_INVVPID1, 1, 0, 0, "INVVPID 1");
    x86_case(X_INVVPID2, 0, 0, 0, "INVVPID 2");
    x86_case(X_INVVPID3, 2, 0, 0, "INVVPID 3");
    struct sim_mem mem;
    struct sim_stats st;
    struct mmu *m = new_mmu(&mem, &st);
    CHECK_EQ(mmu_x86_invvpid(m, 1, 0, 0), -EINVAL);
    CHECK_EQ(mmu_x86_invvpid(m, 4, 1, 0), -EINVAL);
    CHECK_EQ(mmu_x86_invpcid(m, 0, 4, 0, 0), -EINVAL);
    CHECK_EQ(mmu_x86_invept(m, 3, 0), -EINVAL);
    mmu_destroy(m);
    sim_stats_destroy(&st);
    sim_mem_destroy(&mem);
}

int main(void)
{
    test_arm();
    test_x86();
    return test_summary();
}
