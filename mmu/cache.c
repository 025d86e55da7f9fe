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
    a->lru = calloc(lines, sizeof(*a->lru));
    if (!a->tag || !a->lru)
        return -ENOMEM;
    a->sets = (unsigned)(lines / ways);
    a->ways = ways;
    a->latency = lat;
    return 0;
}

void mmu_dcache_destroy(struct mmu_dcache *c)
{
    for (int i = 0; i < 3; i++) {
        free(c->lvl[i].tag);
        free(c->lvl[i].lru);
    }
    memset(c, 0, sizeof(*c));
}

int mmu_dcache_init(struct mmu_dcache *c, const struct mmu_cpu_model *m)
{
    memset(c, 0, sizeof(*c));
    c->enabled = m->cache_enabled;
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
    for (int i = 0; i < 3; i++)
        if (c->lvl[i].tag)
            memset(c->lvl[i].tag, 0, sizeof(uint64_t) * c->lvl[i].sets * c->lvl[i].ways);
}

/* Hit: update LRU and return true. */
static bool array_lookup(struct mmu_cache_array *a, uint64_t line)
{
    size_t base = (size_t)(line % a->sets) * a->ways;
    for (unsigned w = 0; w < a->ways; w++) {
        if (a->tag[base + w] == line + 1) {
            a->lru[base + w] = ++a->clock;
            return true;
        }
    }
    return false;
}

static void array_fill(struct mmu_cache_array *a, uint64_t line)
{
    size_t base = (size_t)(line % a->sets) * a->ways, victim = base;
    for (unsigned w = 0; w < a->ways; w++) {
        if (!a->tag[base + w]) {
            victim = base + w;
            break;
        }
        if (a->lru[base + w] < a->lru[victim])
            victim = base + w;
    }
    a->tag[victim] = line + 1;
    a->lru[victim] = ++a->clock;
}

unsigned mmu_dcache_access(struct mmu_dcache *c, uint64_t pa, enum mmu_cache_level *where)
{
    if (!c->enabled) {
        *where = MMU_CACHE_FLAT;
        return c->flat_latency;
    }
    uint64_t line = pa >> MMU_CACHE_LINE_SHIFT;
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
    size_t base = (size_t)(line % a->sets) * a->ways;
    for (unsigned w = 0; w < a->ways; w++)
        if (a->tag[base + w] == line + 1)
            return true;
    return false;
}
