/* tests/results/test_res_basic.c - create a results DB, write runs with counters, hypercalls,
 * events and samples, and read everything back (raw SQL and res_query_print/export/compare). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "res_testutil.h"

static char *capture_query(struct res_db *db, const char *sql, enum res_format fmt, int *rv)
{
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *rv = res_query_print(db, sql, fmt, f, err, sizeof(err));
    fclose(f);
    if (*rv)
        fprintf(stderr, "query: %s\n", err);
    return buf;
}

static void test_write_read(const char *path)
{
    struct res_db *db;
    char err[256];
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    if (!db)
        return;
    CHECK_EQ(res_schema_version(db), RES_SCHEMA_VERSION);
    CHECK_EQ(rt_scalar(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    CHECK_EQ(rt_scalar(path, "SELECT version FROM schema_version"), RES_SCHEMA_VERSION);

    struct rt_run a, b;
    rt_run_init(&a, 1, 5);
    rt_run_init(&b, 2, 5);
    uint64_t *big = sim_stats_add(&a.stats, "big", "bytes", "a value above INT64_MAX");
    *big = 0xfffffffffffffff0ull;
    int64_t ida = rt_write(db, &a, err, sizeof(err));
    int64_t idb = rt_write(db, &b, err, sizeof(err));
    CHECK(ida > 0);
    CHECK_EQ(idb, ida + 1);

    /* runs row */
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs WHERE length(uid) = 32 AND "
                             "uid NOT GLOB '*[^0-9a-f]*'"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT count(DISTINCT uid) FROM runs"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs WHERE time GLOB "
                             "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]"
                             ":[0-9][0-9]Z'"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs WHERE hvsim_version = '" HVSIM_VERSION
                             "' AND git_rev IS NOT NULL"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs WHERE id = 1 AND arch = 'x86_64' AND "
                             "cpu_model = 'cortex-a72' AND hv_profile = 'xen-4.17' AND "
                             "runstate_policy = 'va' AND workload = 'runstate' AND "
                             "workload_params = 'n=4' AND image_path = '/img' AND "
                             "image_sha256 = 'ab12' AND config_json = '{\"k\": 1}' AND "
                             "config_hash = 'cfg1' AND seed = 1 AND exit_status = 0 AND "
                             "outcome = 'poweroff' AND insns = 100 AND cycles = 1000 AND "
                             "sim_ns = 500 AND wall_seconds = 0.5 AND host = 'testhost'"), 1);
    /* counters: every one, zeros included, and the unsigned value round-trips */
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counters WHERE run_id = 1"), 6);
    CHECK_EQ(rt_scalar(path, "SELECT value FROM counters WHERE run_id = 2 AND name = 'c.3'"),
             2003);
    CHECK_EQ((uint64_t)rt_scalar(path, "SELECT value FROM counters WHERE run_id=1 AND name='big'"),
             0xfffffffffffffff0ull);
    /* counter_info: unit and description of every counter */
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counter_info"), 6);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counter_info WHERE name = 'big' AND "
                             "unit = 'bytes' AND description = 'a value above INT64_MAX'"), 1);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counter_info WHERE name = 'c.1' AND "
                             "unit = 'cycles' AND description = 'test counter'"), 1);
    /* hypercalls: sub-op -1 is NULL */
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM hypercalls WHERE run_id = 2"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM hypercalls WHERE run_id = 1 AND nr = 24 AND "
                             "subop = 11 AND subop_name = 'register_runstate_memory_area' AND "
                             "calls = 1 AND cycles = 900 AND translations = 2 AND "
                             "walk_refs_s1 = 8 AND walk_refs_s2 = 12 AND tlb_misses = 3 AND "
                             "failures = 0"), 1);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM hypercalls WHERE nr = 29 AND subop IS NULL "
                             "AND vcpu = 1 AND failures = 1"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT calls FROM hypercalls WHERE run_id = 2 AND nr = 29"), 2);
    /* events in order, NULL detail kept */
    CHECK_EQ(rt_scalar(path, "SELECT group_concat(cycle) = '10,20,30' FROM "
                             "(SELECT cycle FROM events WHERE run_id = 2 ORDER BY rowid)"), 1);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM events WHERE kind = 'poweroff' AND "
                             "detail IS NULL"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT value FROM samples WHERE run_id = 2 AND cycle = 200"), 2);

    /* sweep resume */
    CHECK(res_have_config(db, "cfg1", 1));
    CHECK(res_have_config(db, "cfg2", 2));
    CHECK(!res_have_config(db, "cfg1", 2));
    CHECK(!res_have_config(db, "nope", 1));

    /* a NULL host is filled in */
    a.run.host = NULL;
    int64_t idc = rt_write(db, &a, err, sizeof(err));
    CHECK_EQ(idc, idb + 1);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs WHERE id = 3 AND length(host) > 0"), 1);

    /* no stats at all: a run without counters is still a run */
    int64_t idd = res_write_run(db, &b.run, NULL, NULL, 0, NULL, 0, NULL, 0, err, sizeof(err));
    CHECK_EQ(idd, idc + 1);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counters WHERE run_id = 4"), 0);

    int problems = res_check(db, NULL, NULL);
    CHECK_EQ(problems, 0);
    rt_run_destroy(&a);
    rt_run_destroy(&b);
    res_close(db);
}

static void test_output_formats(const char *path)
{
    struct res_db *db;
    char err[256];
    int rv;
    CHECK_EQ(res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err)), 0);
    if (!db)
        return;
    const char *sql = "SELECT 1 AS a, 'x,y' AS b, NULL AS c, 2.5 AS d "
                      "UNION ALL SELECT 10, 'q\"r', 'zé', NULL";
    char *out = capture_query(db, sql, RES_FMT_TABLE, &rv);
    CHECK_EQ(rv, 0);
    CHECK_STR(out, " a  b    c        d\n"
                   "--  ---  ----  ----\n"
                   " 1  x,y  NULL   2.5\n"
                   "10  q\"r  zé    NULL\n");
    free(out);
    out = capture_query(db, sql, RES_FMT_CSV, &rv);
    CHECK_EQ(rv, 0);
    CHECK_STR(out, "a,b,c,d\n1,\"x,y\",,2.5\n10,\"q\"\"r\",zé,\n");
    free(out);
    out = capture_query(db, sql, RES_FMT_JSON, &rv);
    CHECK_EQ(rv, 0);
    CHECK_STR(out, "[\n  {\"a\": 1, \"b\": \"x,y\", \"c\": null, \"d\": 2.5},\n"
                   "  {\"a\": 10, \"b\": \"q\\\"r\", \"c\": \"zé\", \"d\": null}\n]\n");
    free(out);
    out = capture_query(db, "SELECT 1 AS x WHERE 0", RES_FMT_JSON, &rv);
    CHECK_STR(out, "[]\n");
    free(out);
    out = capture_query(db, "SELECT 'a\nb' AS \"t\"", RES_FMT_CSV, &rv);
    CHECK_STR(out, "t\n\"a\nb\"\n");
    free(out);

    /* SQL error: the sqlite message; read-only connection refuses writes */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(res_query_print(db, "SELEC 1", RES_FMT_TABLE, f, err, sizeof(err)) < 0);
    CHECK(strstr(err, "syntax error") != NULL);
    CHECK(res_query_print(db, "DELETE FROM runs", RES_FMT_TABLE, f, err, sizeof(err)) < 0);
    CHECK(strstr(err, "readonly") != NULL || strstr(err, "read-only") != NULL);
    fclose(f);
    free(buf);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs"), 4);

    struct rt_run r;
    rt_run_init(&r, 9, 2);
    CHECK_EQ(rt_write(db, &r, err, sizeof(err)), -EROFS);
    rt_run_destroy(&r);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs"), 4);

    /* export */
    buf = NULL;
    f = open_memstream(&buf, &len);
    CHECK_EQ(res_export(db, RES_FMT_CSV, NULL, f, err, sizeof(err)), 0);
    fclose(f);
    CHECK(buf && !strncmp(buf, "id,uid,time,hvsim_version,git_rev,arch,", 39));
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    CHECK_EQ(res_export(db, RES_FMT_CSV, "counter_info", f, err, sizeof(err)), 0);
    CHECK(res_export(db, RES_FMT_CSV, "nosuch", f, err, sizeof(err)) < 0);
    fclose(f);
    CHECK(buf && !strncmp(buf, "name,unit,description\n", 22));
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    CHECK_EQ(res_export(db, RES_FMT_JSON, NULL, f, err, sizeof(err)), 0);
    fclose(f);
    CHECK(buf && !strncmp(buf, "{\"schema_version\": 1,\n\"runs\": [", 31));
    CHECK(buf && strstr(buf, "\"counters\": [") && strstr(buf, "\"samples\": [") &&
          strstr(buf, "\"counter_info\": [") && strstr(buf, "\"hypercalls\": [") &&
          strstr(buf, "\"events\": [") && strstr(buf, "\"subop\": null"));
    free(buf);
    res_close(db);
}

static void test_compare(void)
{
    char path[512], err[256];
    rt_path(path, sizeof(path), "res_basic_cmp");
    struct res_db *db;
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    if (!db)
        return;
    /* arm64: cycles 100, 200; x86_64: 300, 500; counter m: 1, 3 / 10 (one x86 run lacks it) */
    static const struct { const char *arch; uint64_t cycles; int m; } rows[] = {
        {"arm64", 100, 1}, {"x86_64", 300, 10}, {"arm64", 200, 3}, {"x86_64", 500, -1}};
    for (int i = 0; i < 4; i++) {
        struct sim_stats s;
        sim_stats_init(&s);
        if (rows[i].m >= 0)
            *sim_stats_add(&s, "m", "count", "metric") = (uint64_t)rows[i].m;
        struct res_run run = {.arch = rows[i].arch, .cycles = rows[i].cycles, .seed = 1};
        CHECK(res_write_run(db, &run, &s, NULL, 0, NULL, 0, NULL, 0, err, sizeof(err)) > 0);
        sim_stats_destroy(&s);
    }
    const char *metrics[] = {"cycles", "m"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ(res_compare(db, "arch", metrics, 2, NULL, NULL, RES_FMT_CSV, f, err, sizeof(err)), 0);
    fclose(f);
    CHECK_STR(buf, "arch,metric,n,mean,min,max,stddev,ratio\n"
                   "arm64,cycles,2,150,100,200,70.710678118654755,1.000000\n"
                   "arm64,m,2,2,1,3,1.4142135623730951,1.000000\n"
                   "x86_64,cycles,2,400,300,500,141.42135623730951,2.666667\n"
                   "x86_64,m,1,10,10,10,0,5.000000\n");
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    CHECK_EQ(res_compare(db, "arch", metrics, 1, "cycles > 100", "x86_64", RES_FMT_TABLE, f, err,
                         sizeof(err)), 0);
    fclose(f);
    CHECK_STR(buf, "arch    metric  n  mean  min  max  stddev   ratio\n"
                   "------  ------  -  ----  ---  ---  ------  ------\n"
                   "arm64   cycles  1   200  200  200       0  0.5000\n"
                   "x86_64  cycles  2   400  300  500  141.42  1.0000\n");
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    CHECK_EQ(res_compare(db, "nokey", metrics, 1, NULL, NULL, RES_FMT_CSV, f, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "unknown key 'nokey'") != NULL);
    const char *bad[] = {"nometric"};
    CHECK_EQ(res_compare(db, "arch", bad, 1, NULL, NULL, RES_FMT_CSV, f, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "unknown metric 'nometric'") != NULL);
    const char *text[] = {"arch"};
    CHECK_EQ(res_compare(db, "arch", text, 1, NULL, NULL, RES_FMT_CSV, f, err, sizeof(err)),
             -EINVAL);
    CHECK_EQ(res_compare(db, "arch", metrics, 1, NULL, "riscv", RES_FMT_CSV, f, err, sizeof(err)),
             -ENOENT);
    CHECK(res_compare(db, "arch", metrics, 1, "nosuchcol = 1", NULL, RES_FMT_CSV, f, err,
                      sizeof(err)) < 0);
    CHECK(strstr(err, "no such column") != NULL);
    fclose(f);
    CHECK_EQ(len, 0); /* errors print nothing */
    free(buf);
    res_close(db);
}

static void test_missing(void)
{
    char path[512], err[256];
    struct res_db *db = (struct res_db *)1;
    rt_path(path, sizeof(path), "res_basic_missing");
    CHECK_EQ(res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err)), -ENOENT);
    CHECK(db == NULL);
    CHECK_EQ(res_open(path, 0, &db, err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, path) == err && strstr(err, "No such file"));
    CHECK(access(path, F_OK) != 0); /* not created */
}

int main(void)
{
    char path[512];
    rt_path(path, sizeof(path), "res_basic");
    test_write_read(path);
    test_output_formats(path);
    test_compare();
    test_missing();
    return test_summary();
}
