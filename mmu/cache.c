/* mmu/cache.c - set-associative LRU data-cache hierarchy (see cache.h). */
#include "mmu/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int array_init(struct mmu_cache_array *a, uint32_t kib, uint32_t ways, uint32_t lat)
{
    uint64_t lines = (uint64_t)kib * 1024 >> MMU_CACHE_LINE_SHIFT;
    memset(a, 0, sizeof(*a));
    if (!lines || !ways || lines % ways || lines > (1u << 24))
        return -EINVAL;
    a->tag = calloc(lines, sizeof(*a->tag));
    if (!a->tag)
        return -ENOMEM;
    a->sets = (unsigned)(lines / ways);
    a->set_mask = (a->sets & (a->sets - 1)) == 0 ? a->sets - 1 : 0;
    a->ways = ways;
    a->latency = lat;
    return 0;
}

void mmu_dcache_destroy(struct mmu_dcache *c)
{
    for (int i = 0; i < 3; i++)
        free(c->lvl[i].tag);
    memset(c, 0, sizeof(*c));
}

int mmu_dcache_init(struct mmu_dcache *c, const struct mmu_cpu_model *m)
{
    memset(c, 0, sizeof(*c));
    c->enabled = m->cache_enabled;
    c->fast = true;
    c->dram_latency = m->dram_latency;
    c->flat_latency = m->flat_latency;
    if (!c->enabled)
        return 0;
    int rc = array_init(&c->lvl[0], m->l1d_kib, m->l1d_ways, m->l1d_latency);
    if (!rc)
        rc = array_init(&c->lvl[1], m->l2_kib, m->l2_ways, m->l2_latency);
    if (!rc)
        rc = array_init(&c->lvl[2], m->llc_kib, m->llc_ways, m->llc_latency);
    if (rc)
        mmu_dcache_destroy(c);
    return rc;
}

void mmu_dcache_flush(struct mmu_dcache *c)
{
    c->last_line = 0;
    for (int i = 0; i < 3; i++)
        if (c->lvl[i].tag)
            memset(c->lvl[i].tag, 0, sizeof(uint64_t) * c->lvl[i].sets * c->lvl[i].ways);
}

static inline uint64_t *set_of(const struct mmu_cache_array *a, uint64_t line)
{
    uint64_t set = a->set_mask ? line & a->set_mask : line % a->sets;
    return &a->tag[set * a->ways];
}

/* Access the line in one array: it becomes the most recent of its set either way; a miss
 * inserts it and drops the last way (LRU or invalid). Returns true on a hit. (Invalid ways
 * hold 0, never a key: the search need not stop at them.) */
static inline bool array_access(struct mmu_cache_array *a, uint64_t line)
{
    uint64_t *s = set_of(a, line), key = line + 1;
    if (s[0] == key)
        return true;
    const uint64_t *p = s + 1, *end = s + a->ways;
    while (p < end && *p != key)
        p++;
    bool hit = p < end;
    /* ways 0..n-1 move one down (on a miss the last way drops out), the line goes first */
    size_t n = hit ? (size_t)(p - s) : (size_t)(end - s) - 1;
    if (n <= 4) {
        for (size_t j = n; j; j--)
            s[j] = s[j - 1];
    } else {
        memmove(s + 1, s, n * sizeof(*s));
    }
    s[0] = key;
    return hit;
}

unsigned mmu_dcache_access(struct mmu_dcache *c, uint64_t pa, enum mmu_cache_level *where)
{
    if (!c->enabled) {
        *where = MMU_CACHE_FLAT;
        return c->flat_latency;
    }
    uint64_t line = pa >> MMU_CACHE_LINE_SHIFT;
    if (line + 1 == c->last_line) {
        *where = MMU_CACHE_L1D;
        return c->lvl[0].latency;
    }
    c->last_line = c->fast ? line + 1 : 0;
    int hit = 3;
    for (int i = 0; i < 3; i++) {
        if (array_access(&c->lvl[i], line)) {
            hit = i;
            break;
        }
    }
    *where = (enum mmu_cache_level)hit;
    return hit < 3 ? c->lvl[hit].latency : c->dram_latency;
}

bool mmu_dcache_present(const struct mmu_dcache *c, unsigned lvl, uint64_t pa)
{
    if (!c->enabled || lvl > 2)
        return false;
    const struct mmu_cache_array *a = &c->lvl[lvl];
    uint64_t line = pa >> MMU_CACHE_LINE_SHIFT;
    const uint64_t *s = set_of(a, line);
    for (unsigned w = 0; w < a->ways; w++)
        if (s[w] == line + 1)
            return true;
    return false;
}
