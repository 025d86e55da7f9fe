/* mmu/tlb.h - one set-associative TLB array with true LRU replacement, used for the L1
 * ITLB/DTLB, the unified L2 TLB and the nested (stage-2 / EPT) TLB of struct mmu.
 *
 * Entries cache a translation of one page of input address (ia) of any size: a 2M entry
 * covers all 512 4K pages of its range. Lookups probe every page size present in the array
 * (smallest first); an entry of size S lives in set (ia >> S) % sets. Entries are tagged:
 * regime, VMID/VPID, ASID/PCID (ignored for global entries) and, for x86 guests with EPT,
 * the EP4TA (EPTP[51:12]) so that INVEPT single-context can find them.
 *
 * Invariant kept by mmu_tlb_fill: for a given (tag, ia) at most one entry matches (a fill
 * first removes entries the new one overlaps), so the answer of a lookup never depends on
 * probe order.
 *
 * Fast path (mmu_tlb.fast): the entry touched last (hit or fill) is remembered; a lookup it
 * matches is answered without probing. That entry already holds the newest LRU stamp, so
 * skipping the stamp update leaves the replacement order exactly as the slow path would. */
#ifndef MMU_TLB_H
#define MMU_TLB_H

#include <stdbool.h>
#include <stdint.h>

enum mmu_tlb_regime {
    MMU_TR_NONE = 0,
    MMU_TR_A64_EL10,  /* Arm EL1&0 stage 1 (or combined stage 1+2), tagged VMID + ASID */
    MMU_TR_A64_EL2,   /* Arm EL2 (no E2H) stage 1 */
    MMU_TR_A64_S2,    /* Arm stage 2 only (IPA -> PA), tagged VMID: the nested TLB */
    MMU_TR_X86_GUEST, /* x86 VMX non-root linear/combined mappings, tagged VPID, PCID, EP4TA */
    MMU_TR_X86_HOST,  /* x86 VMX root / no VMX (VPID 0), tagged PCID */
    MMU_TR_X86_EPT,   /* x86 guest-physical mappings (GPA -> HPA), tagged EP4TA */
};

struct mmu_tlb_tag {
    uint8_t regime;  /* enum mmu_tlb_regime */
    uint16_t vmid;   /* Arm VMID / x86 VPID */
    uint16_t asid;   /* Arm ASID / x86 PCID */
    uint64_t eptp;   /* x86: EP4TA of the EPT in use (0 without EPT) */
};

struct mmu_tlb_entry {
    uint64_t vpn;    /* ia >> page_shift */
    uint64_t oa;     /* output address of the start of the page */
    uint64_t attrs;
    uint64_t lru;    /* LRU stamp (larger = more recent) */
    uint32_t perms;
    struct mmu_tlb_tag tag;
    uint8_t page_shift;
    bool valid;
    bool global;     /* matches every ASID/PCID */
    bool written;    /* filled by (or since re-walked for) a write access */
    uint64_t gen;    /* changes whenever this slot's content or validity changes (fill, drop,
                      * flush): a core holding a pointer to it checks it (mmu_a64_l1_ticket) */
};

struct mmu_tlb {
    struct mmu_tlb_entry *e;  /* sets * ways, set-major */
    unsigned entries, ways, sets;
    uint64_t clock;
    uint64_t shifts;          /* bit s set: entries of page_shift s may be present */
    struct mmu_tlb_entry *mru;
    bool fast;
    uint64_t gen;             /* source of the entries' gen values */
    /* Search shortcut, no model state: the entry a vpn was last found in, checked before the
     * set is scanned. At most one valid entry can match a (tag, address) (mmu_tlb_fill
     * removes overlapping ones), so a verified hint is exactly what the scan would find. */
    struct mmu_tlb_entry *hint[64];
};

/* entries == 0: an always-missing, never-filling TLB. ways must divide entries
 * (ways == entries: fully associative). Returns 0, -EINVAL or -ENOMEM. */
int mmu_tlb_init(struct mmu_tlb *t, unsigned entries, unsigned ways);
void mmu_tlb_destroy(struct mmu_tlb *t);

bool mmu_tlb_match(const struct mmu_tlb_entry *e, const struct mmu_tlb_tag *tag, uint64_t ia);

/* What a lookup that finds e (the only valid entry matching its tag and address, see the
 * invariant above) does to the array with the fast path on: nothing when e is the MRU entry,
 * else e gets the newest LRU stamp and becomes the MRU entry. For a core's fast path
 * (mmu.h, mmu_a64_l1_ticket); the search hint is no model state and is left alone. */
static inline void mmu_tlb_touch(struct mmu_tlb *t, struct mmu_tlb_entry *e)
{
    if (t->mru != e) {
        e->lru = ++t->clock;
        t->mru = e;
    }
}

/* The entry translating ia for tag, or NULL. A hit makes it most recently used. */
struct mmu_tlb_entry *mmu_tlb_lookup(struct mmu_tlb *t, const struct mmu_tlb_tag *tag, uint64_t ia);

/* Insert (a copy of) e (vpn, page_shift, tag, global set by the caller), replacing an
 * invalid way or else the least recently used one of its set. Returns the new entry, or
 * NULL for a zero-entry TLB. */
struct mmu_tlb_entry *mmu_tlb_fill(struct mmu_tlb *t, const struct mmu_tlb_entry *e);

/* Invalidate every valid entry for which pred returns true; returns how many. */
unsigned mmu_tlb_invalidate(struct mmu_tlb *t,
                            bool (*pred)(const struct mmu_tlb_entry *e, const void *ctx),
                            const void *ctx);
void mmu_tlb_flush(struct mmu_tlb *t);
unsigned mmu_tlb_count(const struct mmu_tlb *t);

#endif
