/* mmu/mmu.h - the translation cost model of one simulated physical CPU: L1 ITLB/DTLB,
 * unified L2 TLB, nested TLB, stage-1 and stage-2 walk caches and the L1D/L2/LLC data-cache
 * model, shared by the guest and the hypervisor, in front of the functional walkers
 * (mmu/arm64_walk.h, mmu/x86_walk.h). The model is described in docs/model.md
 * ("Translation cost model").
 *
 * Counters (registered once in mmu_create; every name exists under both prefixes
 * "guest." and "hv.", with the scope inserted after the prefix when non-empty, e.g.
 * "hv.cpu1.walk.count"):
 *   itlb.l1.hit / itlb.l1.miss      L1 ITLB lookups (instruction fetches) hit / missed
 *   dtlb.l1.hit / dtlb.l1.miss      L1 DTLB lookups (loads, stores, AT-style data accesses)
 *   tlb.l2.hit / tlb.l2.miss        unified L2 TLB lookups after an L1 miss
 *   tlb.cycles                      cycles charged for L2 TLB lookups (stlb_latency per L1 miss)
 *   walk.count                      hardware page walks started (L2 TLB misses)
 *   walk.faults                     walks that ended in a fault (any stage)
 *   walk.cycles                     cycles of walk references (cache-model latency of each)
 *   walk.refs.s1 / walk.refs.s2     descriptor reads by stage (stage 2 = Arm stage 2 / EPT)
 *   walk.refs.sN.l-1 .. .l3         the same by level. Arm: lookup level (-1..3). x86:
 *                                   PML5 -> l-1, PML4 -> l0, PDPT -> l1, PD -> l2, PT -> l3
 *                                   (EPT levels mapped the same way)
 *   walk.ad_updates                 hardware A/D (Arm AF/dirty) descriptor updates (port cas);
 *                                   charged cycles in walk.cycles, not counted in walk.refs
 *   pwc.hit / pwc.miss              walk-cache lookups (either stage) that found / did not find
 *                                   a partial walk (only counted when the cache has entries)
 *   nested_tlb.hit / .miss          stage-2 translations of stage-1 table addresses (port->s2)
 *                                   answered / not answered by the nested TLB
 *   cache.accesses                  cache-line accesses (walk references + mmu_data_access)
 *   cache.l1d.hit / .miss, cache.l2.hit / .miss, cache.llc.hit / .miss   per level
 *   cache.dram                      line accesses that missed every level
 *   cache.walk.dram                 walk references (hardware and software) that went to DRAM
 *   data.accesses / data.cycles     mmu_data_access calls and the cycles they returned
 *   swwalk.refs.s1 / .s2, swwalk.refs.sN.l-1 .. .l3   descriptor reads of the hypervisor's
 *                                   software walks (mmu_sw_walk_port), same level mapping
 *   swwalk.ad_updates / swwalk.cycles   their A/D updates and cycles
 */
#ifndef MMU_MMU_H
#define MMU_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/arm64_walk.h"
#include "mmu/cache.h"
#include "mmu/cpu_model.h"
#include "mmu/pwc.h"
#include "mmu/tlb.h"
#include "mmu/walk_port.h"
#include "mmu/x86_walk.h"

struct sim_mem;
struct sim_stats;

enum mmu_who { MMU_WHO_GUEST, MMU_WHO_HV };

struct mmu;

/* The model is copied. scope "" (or NULL) or e.g. "cpu1". NULL on bad geometry or OOM. */
struct mmu *mmu_create(const struct mmu_cpu_model *model, struct sim_mem *mem,
                       struct sim_stats *stats, const char *scope);
void mmu_destroy(struct mmu *m);
const struct mmu_cpu_model *mmu_model(const struct mmu *m);

/* Fast paths (default on): the L1 TLB MRU path and the data-cache repeat shortcut (and with
 * them the core fast paths built on mmu_a64_l1_ticket / mmu_data_rehit); results and
 * counters are identical either way. */
void mmu_set_fast_path(struct mmu *m, bool on);

/* Translate va for an access by `who`: L1 TLB -> L2 TLB -> walk (through the nested TLB,
 * walk caches and data caches) -> fill. Returns 0 with res filled, -EFAULT with res->fault
 * filled, or another negative code from the walker (x86: -EINVAL, -EAGAIN). Adds the cycles
 * charged to *cycles (may be NULL). */
int mmu_a64_xlate(struct mmu *m, enum mmu_who who, const struct mmu_a64_regs *regs,
                  enum mmu_a64_regime regime, uint64_t va, unsigned acc,
                  struct mmu_walk_result *res, uint64_t *cycles);
/* vpid 0 = VMX root / no VMX (entries tagged as the host's); ept NULL or disabled = no EPT. */
int mmu_x86_xlate(struct mmu *m, enum mmu_who who, const struct mmu_x86_regs *regs,
                  const struct mmu_ept_regs *ept, uint16_t vpid, uint64_t la, unsigned acc,
                  struct mmu_walk_result *res, uint64_t *cycles);

/* A data access (load/store/fetch) of size bytes at pa through the cache model: returns
 * its cycles (sum over the lines it touches). */
unsigned mmu_data_access(struct mmu *m, enum mmu_who who, uint64_t pa, unsigned size, bool write);

/* Port for the hypervisor's software walks (Xen p2m lookups, guest_walk_tables): reads are
 * ordinary data loads through the cache, counted under <who>.swwalk.*, no TLB or walk-cache
 * use, port->s2 NULL. mmu_sw_walk_take_cycles returns the cycles charged since its last call. */
struct mmu_walk_port mmu_sw_walk_port(struct mmu *m, enum mmu_who who);
uint64_t mmu_sw_walk_take_cycles(struct mmu *m, enum mmu_who who);

/* ---- core fast path (docs/model.md "Fast paths") ----
 * After a successful mmu_a64_xlate(regs, regime, va, acc), mmu_a64_l1_ticket returns 0 and
 * fills *t when the L1 TLB for acc now holds the entry that answered the access as its MRU
 * entry, with the fast path on and the entry's permissions passing. While that entry is
 * unchanged (*t->gen == t->gen_val) and regs are unchanged, a repeat of the access anywhere in
 * the same 4 KB page is an L1 hit on it: mmu_tlb_touch(t->tlb, t->entry) (the lookup's only
 * state change), one increment of *t->hit_ctr and 0 TLB cycles, so a core may answer it
 * without calling mmu_a64_xlate (the data-cache access is still charged). Returns -ENOENT
 * otherwise. */
struct mmu_l1_ticket {
    const uint64_t *gen;        /* the entry's generation (struct mmu_tlb_entry.gen) */
    uint64_t gen_val;           /* its value when the ticket was issued */
    uint64_t *hit_ctr;          /* <who>.itlb.l1.hit or <who>.dtlb.l1.hit */
    struct mmu_tlb *tlb;        /* the L1 TLB and the entry to touch; NULL: nothing to touch */
    struct mmu_tlb_entry *entry;
};
int mmu_a64_l1_ticket(struct mmu *m, enum mmu_who who, const struct mmu_a64_regs *regs,
                      enum mmu_a64_regime regime, uint64_t va, unsigned acc,
                      struct mmu_l1_ticket *t);

/* The same for x86: after a successful mmu_x86_xlate(regs, ept, vpid, la, acc) with
 * CR0.PG = 1, a repeat of the access in the same 4 KB page while the entry and regs (with
 * ept and vpid) are unchanged is an L1 hit on t->entry (Intel SDM vol. 3A §4.10.2: the TLB
 * answers without a walk). -ENOENT when no ticket can be given. */
int mmu_x86_l1_ticket(struct mmu *m, enum mmu_who who, const struct mmu_x86_regs *regs,
                      const struct mmu_ept_regs *ept, uint16_t vpid, uint64_t la, unsigned acc,
                      struct mmu_l1_ticket *t);

/* Data side of the same fast path: mmu_data_access(m, who, pa, 1, write) of the line the data
 * cache model accessed last is an L1D hit that changes no cache state (cache.h, last_line)
 * and costs r->latency cycles. When mmu_data_is_rehit(r, pa) is true a core may skip the
 * call and report such repeats later with mmu_data_rehit_count(r, n), which counts them
 * exactly as n calls would have (cache.accesses, cache.l1d.hit, data.accesses, data.cycles);
 * the counters are sums, so only their readers (between runs) must see them added. Filled by
 * mmu_data_rehit_init; valid for the life of m. */
struct mmu_data_rehit {
    const uint64_t *last_line;  /* struct mmu_dcache.last_line: line number + 1, 0 = none */
    uint64_t *accesses, *l1d_hit, *data_accesses, *data_cycles;
    unsigned latency;           /* L1D latency */
};
void mmu_data_rehit_init(struct mmu *m, enum mmu_who who, struct mmu_data_rehit *r);
static inline bool mmu_data_is_rehit(const struct mmu_data_rehit *r, uint64_t pa)
{
    return (pa >> MMU_CACHE_LINE_SHIFT) + 1 == *r->last_line;
}
void mmu_data_rehit_count(const struct mmu_data_rehit *r, uint64_t n);

/* Drop every TLB, walk-cache and data-cache entry (reset). */
void mmu_flush_all(struct mmu *m);

/* ---- invalidation (mmu/invalidate.c) ---- */

/* Arm TLB maintenance (ARM DDI0487 C5.5 / D8.14). IS variants behave as the non-IS ones:
 * one PE is modelled per struct mmu, broadcast is the caller's business. */
enum mmu_a64_tlbi_op {
    MMU_TLBI_VMALLE1, MMU_TLBI_VMALLE1IS, MMU_TLBI_VAE1, MMU_TLBI_VAE1IS,
    MMU_TLBI_VALE1, MMU_TLBI_VALE1IS, MMU_TLBI_ASIDE1, MMU_TLBI_ASIDE1IS,
    MMU_TLBI_VAAE1, MMU_TLBI_VAAE1IS, MMU_TLBI_VAALE1, MMU_TLBI_VAALE1IS,
    MMU_TLBI_IPAS2E1, MMU_TLBI_IPAS2E1IS, MMU_TLBI_IPAS2LE1, MMU_TLBI_IPAS2LE1IS,
    MMU_TLBI_VMALLS12E1, MMU_TLBI_VMALLS12E1IS, MMU_TLBI_ALLE1, MMU_TLBI_ALLE1IS,
    MMU_TLBI_ALLE2, MMU_TLBI_ALLE2IS, MMU_TLBI_VAE2, MMU_TLBI_VAE2IS,
    MMU_TLBI_VALE2, MMU_TLBI_VALE2IS,
};
/* xt: the Xt operand (VA[55:12] in bits 43:0 and ASID in 63:48; IPA[51:12] in 39:0).
 * regs: current state, giving the current VMID (VTTBR_EL2.VMID) and ASID size.
 * Returns the number of entries removed (all structures), or -EINVAL. */
int mmu_a64_tlbi(struct mmu *m, enum mmu_a64_tlbi_op op, uint64_t xt,
                 const struct mmu_a64_regs *regs);

/* x86 (Intel SDM vol. 3A §4.10.4, vol. 3C §29.4.3). vpid: the VPID the instruction runs
 * under (0 = VMX root). Each returns the number of entries removed or -EINVAL. */
int mmu_x86_invlpg(struct mmu *m, uint16_t vpid, uint16_t pcid, uint64_t la);
int mmu_x86_invpcid(struct mmu *m, uint16_t vpid, unsigned type, uint16_t pcid, uint64_t la);
int mmu_x86_mov_cr3(struct mmu *m, uint16_t vpid, uint64_t old_cr3, uint64_t new_cr3, uint64_t cr4);
/* pcid: the current PCID (for the CR4.PAE / CR4.SMEP rule). */
int mmu_x86_mov_cr4(struct mmu *m, uint16_t vpid, uint64_t old_cr4, uint64_t new_cr4, uint16_t pcid);
int mmu_x86_mov_cr0(struct mmu *m, uint16_t vpid, uint64_t old_cr0, uint64_t new_cr0);
enum { MMU_INVEPT_SINGLE = 1, MMU_INVEPT_ALL = 2 };
int mmu_x86_invept(struct mmu *m, unsigned type, uint64_t eptp);
int mmu_x86_invvpid(struct mmu *m, unsigned type, uint16_t vpid, uint64_t la);

/* ---- introspection (tests, debugging) ---- */
enum mmu_array { MMU_ARR_ITLB, MMU_ARR_DTLB, MMU_ARR_L2TLB, MMU_ARR_NTLB };
struct mmu_tlb *mmu_get_tlb(struct mmu *m, enum mmu_array which);
struct mmu_pwc *mmu_get_pwc(struct mmu *m, int stage);   /* 1 or 2 */

/* The tags mmu_*_xlate uses (for tests that fill arrays directly). */
struct mmu_tlb_tag mmu_a64_tag(const struct mmu_a64_regs *regs, enum mmu_a64_regime regime,
                               uint64_t va);
struct mmu_tlb_tag mmu_x86_tag(const struct mmu_x86_regs *regs, const struct mmu_ept_regs *ept,
                               uint16_t vpid);
uint64_t mmu_x86_ep4ta(uint64_t eptp);

#endif
