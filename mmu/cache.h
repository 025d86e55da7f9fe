/* mmu/cache.h - data-cache model for page-walk references and ordinary data accesses:
 * L1D, L2 and LLC, each set-associative with true LRU and 64-byte lines, then DRAM.
 *
 * Model (documented in docs/model.md): physically indexed and tagged; a miss at level k
 * fills every level above it (mostly-inclusive, no back-invalidation); write-allocate, and a
 * write costs what a read of the same line costs (in-order model, no store buffer, no
 * write-back traffic). The latency of an access is the total latency of the level that
 * hit (not a sum over levels). With the model disabled every line access costs the flat
 * latency. */
#ifndef MMU_CACHE_H
#define MMU_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/cpu_model.h"

#define MMU_CACHE_LINE_SHIFT 6

enum mmu_cache_level { MMU_CACHE_L1D, MMU_CACHE_L2, MMU_CACHE_LLC, MMU_CACHE_DRAM,
                       MMU_CACHE_FLAT /* model off */ };

/* True LRU kept as recency order: each set's ways hold line numbers + 1, most recently used
 * first, the valid ones a prefix (0 = invalid). A hit moves its line to the front, a fill
 * inserts at the front and the last way (the LRU line, or an invalid way) falls out: the
 * same hits, misses and victims as LRU stamps, with half the memory and no victim scan. */
struct mmu_cache_array {
    uint64_t *tag;      /* sets * ways, set-major */
    unsigned sets, ways, latency;
    uint64_t set_mask;  /* sets - 1 when sets is a power of two, else 0 (use %) */
};

struct mmu_dcache {
    struct mmu_cache_array lvl[3];
    unsigned dram_latency, flat_latency;
    bool enabled;
    /* Repeat fast path: line number + 1 of the last access (0 = none). That line is the
     * most recent of its L1D set, so a repeat is an L1D hit that changes nothing: it is
     * answered without the set search. Only kept while fast is set (the default). */
    uint64_t last_line;
    bool fast;
};

int mmu_dcache_init(struct mmu_dcache *c, const struct mmu_cpu_model *m);
void mmu_dcache_destroy(struct mmu_dcache *c);
void mmu_dcache_flush(struct mmu_dcache *c);

/* Access the line holding pa: returns its latency, *where = the level that answered. */
unsigned mmu_dcache_access(struct mmu_dcache *c, uint64_t pa, enum mmu_cache_level *where);

/* Is the line of pa present at level lvl (0..2)? No LRU update (for tests). */
bool mmu_dcache_present(const struct mmu_dcache *c, unsigned lvl, uint64_t pa);

#endif
