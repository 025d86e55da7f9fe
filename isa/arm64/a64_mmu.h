/* isa/arm64/a64_mmu.h - connects an AArch64 core to the translation cost model (mmu/):
 * every guest load, store and fetch is translated by mmu_a64_xlate with the core's live
 * system registers (TLBs, walk caches, 2-D walks) and charged through the data-cache model;
 * TLBI goes to mmu_a64_tlbi and AT to mmu_a64_at. With the MMU off the translation is flat
 * (ARM DDI0487 D8.2.x) but data accesses still go through the cache model. */
#ifndef ISA_ARM64_A64_MMU_H
#define ISA_ARM64_A64_MMU_H

#include "isa/arm64/a64.h"
#include "mmu/mmu.h"

struct a64_mmu_link {
    struct mmu *mmu;
    enum mmu_who who;   /* whose counters the core's accesses go to (the guest's) */
    struct mmu_data_rehit rehit; /* filled by a64_mmu_attach (the core's fast path) */
};

/* Install the hooks on c (c->hook_opaque = link). The link must outlive the core. */
void a64_mmu_attach(struct a64_cpu *c, struct a64_mmu_link *link);
/* The translation registers of c as the walkers want them. */
void a64_mmu_regs(const struct a64_cpu *c, struct mmu_a64_regs *r);

#endif
