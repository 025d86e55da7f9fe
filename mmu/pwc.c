/* mmu/pwc.c - page-walk cache (see pwc.h). */
#include "mmu/pwc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mmu_pwc_init(struct mmu_pwc *p, unsigned entries)
{
    memset(p, 0, sizeof(*p));
    if (!entries)
        return 0;
    p->e = calloc(entries, sizeof(*p->e));
    if (!p->e)
        return -ENOMEM;
    p->entries = entries;
    return 0;
}

void mmu_pwc_destroy(struct mmu_pwc *p)
{
    free(p->e);
    memset(p, 0, sizeof(*p));
}

static inline bool tag_eq(const struct mmu_tlb_tag *a, const struct mmu_tlb_tag *b)
{
    return a->regime == b->regime && a->vmid == b->vmid && a->asid == b->asid &&
           a->eptp == b->eptp;
}

static inline uint64_t prefix_of(uint64_t ia, unsigned shift)
{
    return shift >= 64 ? 0 : ia >> shift;
}

bool mmu_pwc_lookup(struct mmu_pwc *p, const struct mmu_tlb_tag *tag, uint64_t ia,
                    struct mmu_walk_state *st)
{
    struct mmu_pwc_entry *best = NULL;
    for (unsigned i = 0; i < p->entries; i++) {
        struct mmu_pwc_entry *e = &p->e[i];
        if (e->valid && e->prefix == prefix_of(ia, e->st.ia_shift) && tag_eq(&e->tag, tag) &&
            (!best || e->st.ia_shift < best->st.ia_shift))
            best = e;
    }
    if (!best)
        return false;
    best->lru = ++p->clock;
    *st = best->st;
    return true;
}

void mmu_pwc_fill(struct mmu_pwc *p, const struct mmu_tlb_tag *tag, uint64_t ia,
                  const struct mmu_walk_state *st)
{
    if (!p->entries)
        return;
    struct mmu_pwc_entry *victim = NULL;
    uint64_t prefix = prefix_of(ia, st->ia_shift);
    for (unsigned i = 0; i < p->entries; i++) {
        struct mmu_pwc_entry *e = &p->e[i];
        if (e->valid && e->st.level == st->level && e->st.ia_shift == st->ia_shift &&
            e->prefix == prefix && tag_eq(&e->tag, tag)) {
            victim = e; /* refresh in place: no duplicates */
            break;
        }
        if (!e->valid) {
            if (!victim || victim->valid)
                victim = e;
        } else if (!victim || (victim->valid && e->lru < victim->lru)) {
            victim = e;
        }
    }
    victim->tag = *tag;
    victim->prefix = prefix;
    victim->st = *st;
    victim->valid = true;
    victim->lru = ++p->clock;
}

unsigned mmu_pwc_invalidate(struct mmu_pwc *p,
                            bool (*pred)(const struct mmu_pwc_entry *e, const void *ctx),
                            const void *ctx)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->entries; i++) {
        if (p->e[i].valid && pred(&p->e[i], ctx)) {
            p->e[i].valid = false;
            n++;
        }
    }
    return n;
}

void mmu_pwc_flush(struct mmu_pwc *p)
{
    for (unsigned i = 0; i < p->entries; i++)
        p->e[i].valid = false;
}

unsigned mmu_pwc_count(const struct mmu_pwc *p)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->entries; i++)
        n += p->e[i].valid;
    return n;
}
