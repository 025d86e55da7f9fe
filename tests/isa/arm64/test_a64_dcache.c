/* tests/isa/arm64/test_a64_dcache.c - the AArch64 core's decoded-instruction cache
 * (isa/arm64/a64_internal.h struct a64_dcache: set-associative, LRU, lazily allocated ways,
 * a per-page-number store filter) and the data-cache array's one-pass LRU update
 * (mmu/cache.c array_access).
 * - A chain of code pages larger than the cache (each page: ADD X0, #1; B next page; the
 *   last page branches back) runs several times: every instruction must execute (X0 counts
 *   them), with evictions and refills on the way.
 * - Code rewritten by the test through sim_mem_write (the on_code_write callback) and by the
 *   guest's own stores (the store filter) takes effect at once.
 * - After every run the store filter equals the per-(page mod A64_DC_FILTER) count of cached
 *   pages, and no page is cached twice.
 * - mmu_dcache_access against a reference LRU list model (random lines, small geometry):
 *   the answering level of every access and the final contents of every level agree. */
#include "isa/arm64/a64.h"
#include "isa/arm64/a64_internal.h"
#include "mmu/cache.h"
#include "mmu/cpu_model.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define BASE 0x40000000ull
#define RAM (8ull << 20)

static const uint32_t ADD_X0_1 = 0x91000400;   /* ADD X0, X0, #1 */
static const uint32_t ADD_X0_2 = 0x91000800;   /* ADD X0, X0, #2 */
static const uint32_t ADD_X0_3 = 0x91000c00;   /* ADD X0, X0, #3 */
static const uint32_t STR_W2_X3 = 0xb9000062;  /* STR W2, [X3] */

static uint32_t b_to(uint64_t from, uint64_t to)
{
    return 0x14000000u | (uint32_t)(((int64_t)(to - from) >> 2) & 0x3ffffff);
}

static void put(struct sim_mem *m, uint64_t pa, uint32_t w)
{
    CHECK_EQ(sim_mem_write(m, pa, 4, w), 0);
}

/* The filter counts the cached pages per page number modulo A64_DC_FILTER. */
static void check_dcache(const struct a64_cpu *c)
{
    static uint16_t count[A64_DC_FILTER];
    memset(count, 0, sizeof(count));
    unsigned cached = 0, dup = 0, bad_set = 0;
    for (unsigned s = 0; s < A64_DC_SETS; s++) {
        for (unsigned w = 0; w < A64_DC_WAYS; w++) {
            const struct a64_dpage *p = c->dc->page[s][w];
            if (!p || p->tag == UINT64_MAX)
                continue;
            cached++;
            count[p->tag % A64_DC_FILTER]++;
            bad_set += p->tag % A64_DC_SETS != s;
            for (unsigned v = w + 1; v < A64_DC_WAYS; v++)
                dup += c->dc->page[s][v] && c->dc->page[s][v]->tag == p->tag;
        }
    }
    unsigned mismatch = 0;
    for (unsigned i = 0; i < A64_DC_FILTER; i++)
        mismatch += count[i] != c->dc->filter[i];
    CHECK(cached > 0);
    CHECK_EQ(mismatch, 0);
    CHECK_EQ(dup, 0);
    CHECK_EQ(bad_set, 0);
}

static void test_page_chain(void)
{
    struct sim_mem mem;
    struct sim_stats stats;
    char err[256];
    sim_mem_init(&mem);
    sim_stats_init(&stats);
    CHECK_EQ(sim_mem_add_ram(&mem, "ram", BASE, RAM), 0);
    struct a64_cpu *c = a64_cpu_create(&mem, &stats, "max", 1, err, sizeof(err));
    CHECK(c != NULL);
    if (!c)
        return;
    /* 1100 pages: more than A64_DC_SETS * A64_DC_WAYS, so the loop evicts its own pages */
    const unsigned n = 1100;
    CHECK(n > A64_DC_SETS * A64_DC_WAYS);
    for (unsigned i = 0; i < n; i++) {
        uint64_t pg = BASE + (uint64_t)i * 4096;
        put(&mem, pg, ADD_X0_1);
        put(&mem, pg + 4, b_to(pg + 4, i + 1 < n ? pg + 4096 : BASE));
    }
    a64_cpu_reset(c, BASE, 1);
    CHECK_EQ(a64_run(c, 3ull * 2 * n), A64_STOP_MAX_INSNS);
    CHECK_EQ(c->x[0], 3ull * n);
    CHECK_EQ(c->pc, BASE);
    check_dcache(c);

    /* rewrite one of the most recently run pages from outside (through sim_mem_write) */
    uint64_t hot = BASE + (uint64_t)(n - 3) * 4096;
    put(&mem, hot, ADD_X0_2);
    c->x[0] = 0;
    CHECK_EQ(a64_run(c, 2ull * n), A64_STOP_MAX_INSNS);
    CHECK_EQ(c->x[0], n + 1ull);
    check_dcache(c);

    /* a short loop of 4 pages (all stay cached): page 0 stores W2 into page 2's first word */
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pg = BASE + (uint64_t)i * 4096;
        if (i == 0) {
            put(&mem, pg, STR_W2_X3);
            put(&mem, pg + 4, ADD_X0_1);
            put(&mem, pg + 8, b_to(pg + 8, pg + 4096));
        } else {
            put(&mem, pg, ADD_X0_1);
            put(&mem, pg + 4, b_to(pg + 4, i < 3 ? pg + 4096 : BASE));
        }
    }
    a64_cpu_reset(c, BASE, 1);
    c->x[2] = ADD_X0_1;
    c->x[3] = BASE + 2 * 4096;
    CHECK_EQ(a64_run(c, 9 * 10), A64_STOP_MAX_INSNS); /* 10 rounds of 9 instructions */
    CHECK_EQ(c->x[0], 40);
    check_dcache(c);
    c->x[2] = ADD_X0_3; /* the guest's store now changes page 2 before it runs */
    CHECK_EQ(a64_run(c, 9 * 10), A64_STOP_MAX_INSNS);
    CHECK_EQ(c->x[0], 40 + 10 * 6);
    CHECK_EQ(c->pc, BASE);
    check_dcache(c);
    a64_flush_decoded(c);
    for (unsigned i = 0; i < A64_DC_FILTER; i++)
        if (c->dc->filter[i])
            CHECK(false);
    a64_cpu_destroy(c);
    sim_stats_destroy(&stats);
    sim_mem_destroy(&mem);
}

/* ---- data-cache LRU against a reference model ---- */
struct ref_level {
    unsigned sets, ways;
    uint64_t *line; /* sets * ways, most recent first; UINT64_MAX = invalid */
};

static bool ref_access(struct ref_level *l, uint64_t line)
{
    uint64_t *s = &l->line[(line % l->sets) * l->ways];
    unsigned w, hit_w = l->ways;
    for (w = 0; w < l->ways; w++)
        if (s[w] == line)
            hit_w = w;
    unsigned from = hit_w < l->ways ? hit_w : l->ways - 1;
    for (w = from; w > 0; w--)
        s[w] = s[w - 1];
    s[0] = line;
    return hit_w < l->ways;
}

static void test_cache_lru(void)
{
    struct mmu_cpu_model m = *mmu_cpu_model_find("cortex-a57");
    /* small arrays: 1 KB 2-way, 4 KB 8-way (64 lines: 8 sets), 8 KB 16-way */
    m.cache_enabled = true;
    m.l1d_kib = 1, m.l1d_ways = 2;
    m.l2_kib = 4, m.l2_ways = 8;
    m.llc_kib = 8, m.llc_ways = 16;
    struct mmu_dcache dc;
    CHECK_EQ(mmu_dcache_init(&dc, &m), 0);
    dc.fast = false; /* every access through the arrays */
    unsigned kib[3] = {1, 4, 8}, ways[3] = {2, 8, 16};
    struct ref_level ref[3];
    for (int i = 0; i < 3; i++) {
        ref[i].ways = ways[i];
        ref[i].sets = kib[i] * 1024 / 64 / ways[i];
        ref[i].line = malloc(sizeof(uint64_t) * ref[i].sets * ref[i].ways);
        for (unsigned k = 0; k < ref[i].sets * ref[i].ways; k++)
            ref[i].line[k] = UINT64_MAX;
    }
    uint64_t rng = 12345;
    unsigned bad = 0, hits[4] = {0, 0, 0, 0};
    for (unsigned n = 0; n < 200000; n++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        /* mostly a small hot set, sometimes a wide range */
        uint64_t line = (rng >> 33) % ((rng >> 20) & 1 ? 48 : 600);
        enum mmu_cache_level where;
        mmu_dcache_access(&dc, line << MMU_CACHE_LINE_SHIFT, &where);
        int expect = 3;
        for (int i = 0; i < 3; i++) {
            if (ref_access(&ref[i], line)) {
                expect = i;
                break;
            }
        }
        hits[expect]++;
        bad += (int)where != expect;
    }
    CHECK_EQ(bad, 0);
    CHECK(hits[0] > 0 && hits[1] > 0 && hits[2] > 0 && hits[3] > 0);
    /* final contents, way by way (the arrays hold line + 1, 0 = invalid) */
    unsigned diff = 0;
    for (int i = 0; i < 3; i++)
        for (unsigned k = 0; k < ref[i].sets * ref[i].ways; k++)
            diff += dc.lvl[i].tag[k] != (ref[i].line[k] == UINT64_MAX ? 0 : ref[i].line[k] + 1);
    CHECK_EQ(diff, 0);
    for (int i = 0; i < 3; i++)
        free(ref[i].line);
    mmu_dcache_destroy(&dc);
}

int main(void)
{
    test_page_chain();
    test_cache_lru();
    return test_summary();
}
