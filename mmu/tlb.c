/* mmu/tlb.c - set-associative TLB array with true LRU (see tlb.h). */
#include "mmu/tlb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int mmu_tlb_init(struct mmu_tlb *t, unsigned entries, unsigned ways)
{
    memset(t, 0, sizeof(*t));
    t->fast = true;
    if (!entries)
        return 0;
    if (!ways || ways > entries || entries % ways)
        return -EINVAL;
    t->e = calloc(entries, sizeof(*t->e));
    if (!t->e)
        return -ENOMEM;
    t->entries = entries;
    t->ways = ways;
    t->sets = entries / ways;
    return 0;
}

void mmu_tlb_destroy(struct mmu_tlb *t)
{
    free(t->e);
    memset(t, 0, sizeof(*t));
}

static inline bool tag_match(const struct mmu_tlb_entry *e, const struct mmu_tlb_tag *tag)
{
    return e->tag.regime == tag->regime && e->tag.vmid == tag->vmid &&
           e->tag.eptp == tag->eptp && (e->global || e->tag.asid == tag->asid);
}

bool mmu_tlb_match(const struct mmu_tlb_entry *e, const struct mmu_tlb_tag *tag, uint64_t ia)
{
    return e->valid && e->vpn == ia >> e->page_shift && tag_match(e, tag);
}

static inline struct mmu_tlb_entry *set_of(struct mmu_tlb *t, uint64_t vpn)
{
    return &t->e[(vpn % t->sets) * t->ways];
}

struct mmu_tlb_entry *mmu_tlb_lookup(struct mmu_tlb *t, const struct mmu_tlb_tag *tag, uint64_t ia)
{
    if (t->fast && t->mru && mmu_tlb_match(t->mru, tag, ia))
        return t->mru;
    for (uint64_t m = t->shifts; m; m &= m - 1) {
        unsigned s = (unsigned)__builtin_ctzll(m);
        uint64_t vpn = ia >> s;
        struct mmu_tlb_entry **hp = &t->hint[(vpn ^ s) & 63];
        struct mmu_tlb_entry *e = *hp;
        if (e && e->valid && e->page_shift == s && e->vpn == vpn && tag_match(e, tag)) {
            e->lru = ++t->clock;
            t->mru = e;
            return e;
        }
        struct mmu_tlb_entry *set = set_of(t, vpn);
        for (unsigned w = 0; w < t->ways; w++) {
            e = &set[w];
            /* the page number first: it rules out nearly every way */
            if (e->vpn == vpn && e->page_shift == s && e->valid && tag_match(e, tag)) {
                e->lru = ++t->clock;
                t->mru = e;
                *hp = e;
                return e;
            }
        }
    }
    return NULL;
}

/* Could one lookup match both a and the new entry n (same regime/VMID/EP4TA, and same ASID
 * or either global)? The ranges are compared by the caller (mmu_tlb_fill). */
static inline bool tags_conflict(const struct mmu_tlb_entry *a, const struct mmu_tlb_entry *n)
{
    if (!a->valid || a->tag.regime != n->tag.regime || a->tag.vmid != n->tag.vmid ||
        a->tag.eptp != n->tag.eptp)
        return false;
    return a->global || n->global || a->tag.asid == n->tag.asid;
}

static void drop(struct mmu_tlb *t, struct mmu_tlb_entry *e)
{
    e->valid = false;
    e->gen = ++t->gen;
    if (t->mru == e)
        t->mru = NULL;
}

struct mmu_tlb_entry *mmu_tlb_fill(struct mmu_tlb *t, const struct mmu_tlb_entry *n)
{
    if (!t->entries)
        return NULL;
    /* Remove entries that would also match some address of the new one (see tlb.h): an
     * entry of page_shift s overlaps the new range when the two agree above the larger
     * shift, i.e. vpn >> (n's shift - s) == n->vpn for smaller pages, and
     * vpn == (n->vpn << n's shift) >> s for larger (or equal) ones. */
    for (uint64_t m = t->shifts; m; m &= m - 1) {
        unsigned s = (unsigned)__builtin_ctzll(m);
        if (s < n->page_shift) {
            /* smaller pages inside the new range may sit in any set: scan all */
            unsigned d = n->page_shift - s;
            for (unsigned i = 0; i < t->entries; i++)
                if (t->e[i].vpn >> d == n->vpn && t->e[i].page_shift == s &&
                    tags_conflict(&t->e[i], n))
                    drop(t, &t->e[i]);
        } else {
            uint64_t vpn = (n->vpn << n->page_shift) >> s;
            struct mmu_tlb_entry *set = set_of(t, vpn);
            for (unsigned w = 0; w < t->ways; w++)
                if (set[w].vpn == vpn && set[w].page_shift == s && tags_conflict(&set[w], n))
                    drop(t, &set[w]);
        }
    }
    struct mmu_tlb_entry *set = set_of(t, n->vpn), *victim = NULL;
    for (unsigned w = 0; w < t->ways; w++) {
        if (!set[w].valid) {
            victim = &set[w];
            break;
        }
        if (!victim || set[w].lru < victim->lru)
            victim = &set[w];
    }
    *victim = *n;
    victim->valid = true;
    victim->lru = ++t->clock;
    victim->gen = ++t->gen;
    t->shifts |= 1ull << n->page_shift;
    t->mru = victim;
    return victim;
}

unsigned mmu_tlb_invalidate(struct mmu_tlb *t,
                            bool (*pred)(const struct mmu_tlb_entry *e, const void *ctx),
                            const void *ctx)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->entries; i++) {
        if (t->e[i].valid && pred(&t->e[i], ctx)) {
            drop(t, &t->e[i]);
            n++;
        }
    }
    return n;
}

void mmu_tlb_flush(struct mmu_tlb *t)
{
    for (unsigned i = 0; i < t->entries; i++) {
        t->e[i].valid = false;
        t->e[i].gen = ++t->gen;
    }
    t->mru = NULL;
    t->shifts = 0;
}

unsigned mmu_tlb_count(const struct mmu_tlb *t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->entries; i++)
        n += t->e[i].valid;
    return n;
}
