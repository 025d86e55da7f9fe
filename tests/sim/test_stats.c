/* tests/sim/test_stats.c - counter registry: registration, stable pointers, lookup, JSON. */
#include "sim/stats.h"
#include "testutil.h"

int main(void)
{
    struct sim_stats s;
    sim_stats_init(&s);
    uint64_t *a = sim_stats_add(&s, "guest.dtlb.l1.hit", "count", "L1 DTLB hits");
    uint64_t *b = sim_stats_add(&s, "hv.walk.refs.s2", "count", "stage-2 walk references");
    CHECK(a && b && a != b);
    CHECK(sim_stats_add(&s, "guest.dtlb.l1.hit", "x", "y") == a); /* same name, same counter */
    *a += 5;
    (*b)++;
    /* Thousands more: earlier pointers stay valid (chunked storage). */
    for (int i = 0; i < 3000; i++)
        CHECK(sim_stats_addf(&s, "cycles", "per-vcpu cycles", "vcpu%d.cycles", i) != NULL);
    *a += 1;
    CHECK_EQ(sim_stats_get(&s, "guest.dtlb.l1.hit"), 6);
    CHECK_EQ(sim_stats_get(&s, "hv.walk.refs.s2"), 1);
    CHECK_EQ(sim_stats_get(&s, "missing"), 0);
    CHECK_EQ(s.count, 3002);
    const struct sim_stat *st = sim_stats_find(&s, "guest.dtlb.l1.hit");
    CHECK(st != NULL);
    CHECK_STR(st->unit, "count");
    CHECK_STR(st->desc, "L1 DTLB hits");
    CHECK_STR(sim_stats_at(&s, 2)->name, "vcpu0.cycles");
    CHECK_STR(sim_stats_at(&s, 3001)->name, "vcpu2999.cycles");
    CHECK(sim_stats_at(&s, 3002) == NULL);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ(sim_stats_write_json(&s, f, 100, 250), 0);
    fclose(f);
    CHECK(strstr(buf, "{\"insns\": 100, \"cycles\": 250, \"counters\": {") == buf);
    CHECK(strstr(buf, "\"guest.dtlb.l1.hit\": 6") != NULL);
    CHECK(strstr(buf, "\"vcpu2999.cycles\": 0") != NULL);
    CHECK(buf[len - 2] == '}' && buf[len - 3] == '}');
    free(buf);

    f = open_memstream(&buf, &len);
    sim_stats_print(&s, f, 0);
    fclose(f);
    CHECK(strstr(buf, "guest.dtlb.l1.hit") != NULL);
    CHECK(strstr(buf, "vcpu5.cycles") == NULL); /* zero counters hidden */
    free(buf);

    sim_stats_reset(&s);
    CHECK_EQ(*a, 0);
    sim_stats_destroy(&s);
    return test_summary();
}
