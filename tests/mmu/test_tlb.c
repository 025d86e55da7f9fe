/* tests/mmu/test_tlb.c - TLB array, walk cache and data-cache model unit tests:
 * LRU replacement counted against the analytic miss count of strided loops, tag isolation,
 * page-size coverage, and fast path == slow path. */
#include <errno.h>

#include "mmu/cache.h"
#include "mmu/pwc.h"
#include "mmu/tlb.h"
#include "testutil.h"

static const struct mmu_tlb_tag T0 = {.regime = MMU_TR_A64_EL10, .vmid = 1, .asid = 5};

/* Access page p through t: returns 1 on a miss (and fills), 0 on a hit. */
static unsigned touch(struct mmu_tlb *t, const struct mmu_tlb_tag *tag, uint64_t va, unsigned shift)
{
    if (mmu_tlb_lookup(t, tag, va))
        return 0;
    struct mmu_tlb_entry e = {.vpn = va >> shift, .oa = (va >> shift) << shift, .tag = *tag,
                              .page_shift = (uint8_t)shift};
    mmu_tlb_fill(t, &e);
    return 1;
}

static unsigned loop(struct mmu_tlb *t, unsigned pages, unsigned stride_pages, unsigned rounds)
{
    unsigned miss = 0;
    for (unsigned r = 0; r < rounds; r++)
        for (unsigned i = 0; i < pages; i++)
            miss += touch(t, &T0, 0x400000ull + (uint64_t)i * stride_pages * 4096, 12);
    return miss;
}

static void test_fa_lru(void)
{
    struct mmu_tlb t;
    CHECK_EQ(mmu_tlb_init(&t, 32, 32), 0);
    /* 32 pages, FA 32: only the 32 cold misses. */
    CHECK_EQ(loop(&t, 32, 1, 2), 32);
    mmu_tlb_flush(&t);
    /* 33 pages cyclic under LRU: every access misses. */
    CHECK_EQ(loop(&t, 33, 1, 2), 66);
    CHECK_EQ(mmu_tlb_count(&t), 32);
    /* LRU order: touch 0..31, re-touch 0, insert 32 -> evicts 1 (LRU), 0 survives. */
    mmu_tlb_flush(&t);
    loop(&t, 32, 1, 1);
    CHECK_EQ(touch(&t, &T0, 0x400000, 12), 0);
    CHECK_EQ(touch(&t, &T0, 0x400000 + 32 * 4096, 12), 1);
    CHECK_EQ(touch(&t, &T0, 0x400000, 12), 0);
    CHECK_EQ(touch(&t, &T0, 0x400000 + 1 * 4096, 12), 1);
    mmu_tlb_destroy(&t);
}

static void test_set_assoc(void)
{
    struct mmu_tlb t;
    CHECK_EQ(mmu_tlb_init(&t, 64, 4), 0); /* 16 sets */
    CHECK_EQ(t.sets, 16);
    /* Stride of 16 pages: all in one set. 4 pages fit, 5 thrash under LRU. */
    CHECK_EQ(loop(&t, 4, 16, 3), 4);
    mmu_tlb_flush(&t);
    CHECK_EQ(loop(&t, 5, 16, 3), 15);
    mmu_tlb_flush(&t);
    /* Stride 1: 64 pages spread over all sets, fit exactly; 65 -> set 0 gets 5 pages:
     * those 5 miss every round, the other 60 only cold. */
    CHECK_EQ(loop(&t, 64, 1, 2), 64);
    mmu_tlb_flush(&t);
    CHECK_EQ(loop(&t, 65, 1, 3), 60 + 5 * 3);
    mmu_tlb_destroy(&t);
    CHECK_EQ(mmu_tlb_init(&t, 10, 4), -EINVAL);
}

static void test_tags(void)
{
    struct mmu_tlb t;
    CHECK_EQ(mmu_tlb_init(&t, 16, 16), 0);
    struct mmu_tlb_tag a = T0, b = T0, v = T0, r = T0, x = T0;
    b.asid = 6;
    v.vmid = 2;
    r.regime = MMU_TR_A64_EL2;
    x.eptp = 0x1000;
    struct mmu_tlb_entry e = {.vpn = 0x10, .oa = 0x80000, .tag = a, .page_shift = 12};
    mmu_tlb_fill(&t, &e);
    CHECK(mmu_tlb_lookup(&t, &a, 0x10123) != NULL);
    CHECK(mmu_tlb_lookup(&t, &b, 0x10123) == NULL); /* other ASID */
    CHECK(mmu_tlb_lookup(&t, &v, 0x10123) == NULL); /* other VMID */
    CHECK(mmu_tlb_lookup(&t, &r, 0x10123) == NULL); /* other regime */
    CHECK(mmu_tlb_lookup(&t, &x, 0x10123) == NULL); /* other EP4TA */
    CHECK(mmu_tlb_lookup(&t, &a, 0x11000) == NULL); /* other page */
    /* A global entry matches every ASID but not another VMID. */
    struct mmu_tlb_entry g = {.vpn = 0x20, .oa = 0x90000, .tag = a, .page_shift = 12, .global = true};
    mmu_tlb_fill(&t, &g);
    CHECK(mmu_tlb_lookup(&t, &b, 0x20000) != NULL);
    CHECK(mmu_tlb_lookup(&t, &a, 0x20000) != NULL);
    CHECK(mmu_tlb_lookup(&t, &v, 0x20000) == NULL);
    mmu_tlb_destroy(&t);
}

static void test_page_sizes(void)
{
    struct mmu_tlb t;
    CHECK_EQ(mmu_tlb_init(&t, 64, 4), 0);
    struct mmu_tlb_entry e = {.vpn = 0x40000000ull >> 21, .oa = 0x200000, .tag = T0, .page_shift = 21};
    mmu_tlb_fill(&t, &e);
    unsigned hits = 0;
    for (unsigned i = 0; i < 512; i++) {
        struct mmu_tlb_entry *h = mmu_tlb_lookup(&t, &T0, 0x40000000ull + i * 4096ull + 8);
        hits += h && h->oa == 0x200000 && h->page_shift == 21;
    }
    CHECK_EQ(hits, 512);
    CHECK(mmu_tlb_lookup(&t, &T0, 0x40200000ull) == NULL);
    CHECK(mmu_tlb_lookup(&t, &T0, 0x3ffff000ull) == NULL);
    /* Mixed sizes: a 4K entry inside the 2M range replaces the 2M one (one match only). */
    struct mmu_tlb_entry s = {.vpn = 0x40001000ull >> 12, .oa = 0x7000, .tag = T0, .page_shift = 12};
    mmu_tlb_fill(&t, &s);
    CHECK_EQ(mmu_tlb_count(&t), 1);
    CHECK_EQ(mmu_tlb_lookup(&t, &T0, 0x40001000ull)->oa, 0x7000);
    CHECK(mmu_tlb_lookup(&t, &T0, 0x40002000ull) == NULL);
    /* ... and a 2M fill removes the 4K entries it covers. */
    mmu_tlb_fill(&t, &e);
    CHECK_EQ(mmu_tlb_count(&t), 1);
    CHECK_EQ(mmu_tlb_lookup(&t, &T0, 0x40001000ull)->page_shift, 21);
    mmu_tlb_destroy(&t);
}

/* Same pseudo-random access stream with and without the fast path: identical hit/miss
 * sequence and identical final contents. */
static void test_fast_path(void)
{
    struct mmu_tlb a, b;
    CHECK_EQ(mmu_tlb_init(&a, 64, 4), 0);
    CHECK_EQ(mmu_tlb_init(&b, 64, 4), 0);
    b.fast = false;
    uint64_t x = 12345;
    unsigned mism = 0, hits = 0;
    for (unsigned i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned page = (unsigned)(x >> 33) % 96;
        unsigned shift = page < 8 ? 21 : 12;
        uint64_t va = page < 8 ? (uint64_t)page << 21 | 0x100000000ull : (uint64_t)page << 12;
        struct mmu_tlb_tag tag = T0;
        tag.asid = (x >> 20) & 1;
        /* repeat the same page a few times so the MRU path is taken */
        for (unsigned r = 0; r < 1 + ((x >> 40) & 3); r++) {
            unsigned ma = touch(&a, &tag, va, shift), mb = touch(&b, &tag, va, shift);
            mism += ma != mb;
            hits += !ma;
        }
    }
    CHECK_EQ(mism, 0);
    CHECK(hits > 1000);
    unsigned diff = 0;
    for (unsigned i = 0; i < a.entries; i++)
        diff += a.e[i].valid != b.e[i].valid || (a.e[i].valid && a.e[i].vpn != b.e[i].vpn);
    CHECK_EQ(diff, 0);
    mmu_tlb_destroy(&a);
    mmu_tlb_destroy(&b);
}

static void test_pwc(void)
{
    struct mmu_pwc p;
    CHECK_EQ(mmu_pwc_init(&p, 4), 0);
    struct mmu_walk_state s1 = {.level = 1, .ia_shift = 39, .table = 0x1000};
    struct mmu_walk_state s3 = {.level = 3, .ia_shift = 21, .table = 0x3000};
    struct mmu_walk_state out;
    CHECK(!mmu_pwc_lookup(&p, &T0, 0x40000000, &out));
    mmu_pwc_fill(&p, &T0, 0x40000000, &s1);
    mmu_pwc_fill(&p, &T0, 0x40000000, &s3);
    CHECK(mmu_pwc_lookup(&p, &T0, 0x40001000, &out));
    CHECK_EQ(out.table, 0x3000); /* deepest */
    CHECK(mmu_pwc_lookup(&p, &T0, 0x40200000, &out));
    CHECK_EQ(out.table, 0x1000); /* only the level-1 entry covers it */
    struct mmu_tlb_tag o = T0;
    o.asid = 9;
    CHECK(!mmu_pwc_lookup(&p, &o, 0x40001000, &out));
    mmu_pwc_fill(&p, &T0, 0x40000000, &s3); /* refresh, no duplicate */
    CHECK_EQ(mmu_pwc_count(&p), 2);
    /* LRU: fill 3 more distinct level-3 states; the oldest (level-1 state, not used since
     * the lookup above, older than s3's refresh) is evicted first. */
    for (unsigned i = 1; i <= 3; i++)
        mmu_pwc_fill(&p, &T0, 0x40000000 + i * 0x200000ull, &s3);
    CHECK_EQ(mmu_pwc_count(&p), 4);
    CHECK(!mmu_pwc_lookup(&p, &T0, 0x7f000000, &out)); /* only level-1 entry could cover */
    CHECK(mmu_pwc_lookup(&p, &T0, 0x40000000, &out));
    mmu_pwc_destroy(&p);
}

static void test_dcache(void)
{
    struct mmu_cpu_model m = {0};
    m.cache_enabled = true;
    m.l1d_kib = 1; m.l1d_ways = 2; m.l1d_latency = 4;   /* 16 lines, 8 sets */
    m.l2_kib = 4; m.l2_ways = 4; m.l2_latency = 12;     /* 64 lines, 16 sets */
    m.llc_kib = 16; m.llc_ways = 4; m.llc_latency = 40; /* 256 lines */
    m.dram_latency = 200;
    m.flat_latency = 7;
    struct mmu_dcache c;
    enum mmu_cache_level w;
    CHECK_EQ(mmu_dcache_init(&c, &m), 0);
    CHECK_EQ(mmu_dcache_access(&c, 0x1000, &w), 200);
    CHECK_EQ(w, MMU_CACHE_DRAM);
    CHECK_EQ(mmu_dcache_access(&c, 0x1008, &w), 4); /* same line */
    CHECK_EQ(w, MMU_CACHE_L1D);
    /* 3 lines in one L1 set (stride 8 lines = 512 B): the first falls out of L1 (2 ways)
     * but stays in L2. */
    mmu_dcache_access(&c, 0x1000 + 512, &w);
    mmu_dcache_access(&c, 0x1000 + 1024, &w);
    CHECK(!mmu_dcache_present(&c, 0, 0x1000));
    CHECK(mmu_dcache_present(&c, 1, 0x1000));
    CHECK_EQ(mmu_dcache_access(&c, 0x1000, &w), 12);
    CHECK_EQ(w, MMU_CACHE_L2);
    mmu_dcache_destroy(&c);
    m.cache_enabled = false;
    CHECK_EQ(mmu_dcache_init(&c, &m), 0);
    CHECK_EQ(mmu_dcache_access(&c, 0x1000, &w), 7);
    CHECK_EQ(w, MMU_CACHE_FLAT);
    mmu_dcache_destroy(&c);
}

int main(void)
{
    test_fa_lru();
    test_set_assoc();
    test_tags();
    test_page_sizes();
    test_fast_path();
    test_pwc();
    test_dcache();
    return test_summary();
}
