/* mmu/pwc.h - a page-walk cache: partial-walk states (struct mmu_walk_state) keyed by the
 * tag of the translation (struct mmu_tlb_tag) and by the input-address prefix that the
 * cached table covers (ia >> ia_shift). Models the Arm walk cache (stage 1) and the
 * partial stage-2 walk cache, and the Intel paging-structure caches (PML4E/PDPTE/PDE caches,
 * SDM vol. 3A §4.10.3; EPT: vol. 3C §29.4.1), as one fully associative array with true LRU.
 *
 * A lookup returns the deepest cached state (smallest ia_shift) covering ia; a hit makes it
 * most recently used. Entries are tagged with ASID/PCID (a non-global tag: walk-cache
 * entries are never global), matching SDM vol. 3A §4.10.3.1 and the Arm ARM's requirement
 * that TLBI by ASID removes cached walks of that ASID. */
#ifndef MMU_PWC_H
#define MMU_PWC_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/tlb.h"
#include "mmu/walk_port.h"

struct mmu_pwc_entry {
    struct mmu_tlb_tag tag;
    uint64_t prefix;              /* ia >> st.ia_shift */
    struct mmu_walk_state st;
    uint64_t lru;
    bool valid;
};

struct mmu_pwc {
    struct mmu_pwc_entry *e;
    unsigned entries;
    uint64_t clock;
};

int mmu_pwc_init(struct mmu_pwc *p, unsigned entries);   /* 0 entries: disabled */
void mmu_pwc_destroy(struct mmu_pwc *p);

/* Deepest state covering ia for tag: true and *st filled, or false. */
bool mmu_pwc_lookup(struct mmu_pwc *p, const struct mmu_tlb_tag *tag, uint64_t ia,
                    struct mmu_walk_state *st);
/* Insert (or refresh, if the same tag/level/prefix is cached) a state. */
void mmu_pwc_fill(struct mmu_pwc *p, const struct mmu_tlb_tag *tag, uint64_t ia,
                  const struct mmu_walk_state *st);
unsigned mmu_pwc_invalidate(struct mmu_pwc *p,
                            bool (*pred)(const struct mmu_pwc_entry *e, const void *ctx),
                            const void *ctx);
void mmu_pwc_flush(struct mmu_pwc *p);
unsigned mmu_pwc_count(const struct mmu_pwc *p);

#endif
