/* mmu/mmu_impl.h - internal to mmu/mmu.c and mmu/invalidate.c: the layout of struct mmu.
 * Not part of the public API (use mmu/mmu.h). */
#ifndef MMU_MMU_IMPL_H
#define MMU_MMU_IMPL_H

#include "mmu/cache.h"
#include "mmu/mmu.h"

#define MMU_NLVL 5 /* level index 0..4 = "l-1", "l0" .. "l3" */

struct mmu_ctrs {
    uint64_t *itlb_hit, *itlb_miss, *dtlb_hit, *dtlb_miss, *l2_hit, *l2_miss, *tlb_cycles;
    uint64_t *walk_count, *walk_faults, *walk_cycles, *ad_updates;
    uint64_t *refs[3], *refs_lvl[3][MMU_NLVL];          /* [stage 1..2] */
    uint64_t *pwc_hit, *pwc_miss, *ntlb_hit, *ntlb_miss;
    uint64_t *c_access, *c_hit[3], *c_miss[3], *c_dram, *c_walk_dram;
    uint64_t *data_accesses, *data_cycles;
    uint64_t *sw_refs[3], *sw_refs_lvl[3][MMU_NLVL], *sw_ad, *sw_cycles;
};

/* Per-walk context behind struct mmu_walk_port.opaque. */
struct mmu_walk_ctx {
    struct mmu *mmu;
    enum mmu_who who;
    bool x86;
    bool sw;                       /* software walk (hypervisor): swwalk.* counters */
    struct mmu_tlb_tag s1tag, s2tag;
    const struct mmu_a64_regs *a64;
    const struct mmu_x86_regs *x86r;
    const struct mmu_ept_regs *ept;
    uint64_t gla;
    uint64_t cycles;               /* charged by this walk so far */
    struct mmu_walk_port port;     /* the port handed to the walker (opaque = this) */
};

struct mmu {
    struct mmu_cpu_model model;
    struct sim_mem *mem;
    struct mmu_tlb itlb, dtlb, l2tlb, ntlb;
    struct mmu_pwc pwc[2];         /* [stage - 1] */
    struct mmu_dcache dc;
    struct mmu_ctrs c[2];          /* [who] */
    struct mmu_walk_ctx sw[2];     /* software-walk port contexts, [who] */
    uint64_t sw_cycles_taken[2];
};

#endif
