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

/* Hit: move the line to the front (most recent) and return true. */
static bool array_lookup(struct mmu_cache_array *a, uint64_t line)
{
    uint64_t *s = set_of(a, line), key = line + 1;
    for (unsigned w = 0; w < a->ways && s[w]; w++) {
        if (s[w] == key) {
            memmove(s + 1, s, w * sizeof(*s));
            s[0] = key;
            return true;
        }
    }
    return false;
}

/* Insert a missing line as the most recent; the last way (LRU or invalid) is dropped. */
static void array_fill(struct mmu_cache_array *a, uint64_t line)
{
    uint64_t *s = set_of(a, line);
    memmove(s + 1, s, (a->ways - 1) * sizeof(*s));
    s[0] = line + 1;
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
        if (array_lookup(&c->lvl[i], line)) {
            hit = i;
            break;
        }
    }
    for (int i = 0; i < hit; i++)
        array_fill(&c->lvl[i], line);
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
