/* tests/results/res_mkruns.c - test-only helper for the CLI tests: writes a fixed set of runs
 * through res_write_run so `hvsim runs/query/compare/db` have known data.
 *
 *   res_mkruns DB          5 runs (below), times set to 2024-01-01T00:00:0<id>Z for golden output
 *   res_mkruns DB big      20 runs with 300 counters each (a file large enough to corrupt)
 *   res_mkruns DB newer    set the schema version to 3 (a database from a future hvsim)
 *
 * The 5 runs: seed arch   profile  cycles insns wall  counter guest.dtlb.miss
 *             1    arm64  xen-4.17 1000   500   0.25  10
 *             2    arm64  xen-4.17 1200   520   0.5   14
 *             1    arm64  pa       600    480   0.125 4
 *             2    arm64  pa       600    490   0.25  6
 *             1    x86_64 xen-4.17 2000   800   1.5   30 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "results/results.h"
#include "sim/stats.h"

static int set_sql(const char *path, const char *sql)
{
    sqlite3 *h;
    int rc = sqlite3_open(path, &h);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fprintf(stderr, "res_mkruns: %s: %s\n", path, sqlite3_errmsg(h));
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct {
        uint64_t seed;
        const char *arch, *profile;
        uint64_t cycles, insns;
        double wall;
        uint64_t miss;
    } rows[] = {
        {1, "arm64", "xen-4.17", 1000, 500, 0.25, 10}, {2, "arm64", "xen-4.17", 1200, 520, 0.5, 14},
        {1, "arm64", "pa", 600, 480, 0.125, 4},        {2, "arm64", "pa", 600, 490, 0.25, 6},
        {1, "x86_64", "xen-4.17", 2000, 800, 1.5, 30},
    };
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: res_mkruns DB [big|newer]\n");
        return 2;
    }
    const char *mode = argc == 3 ? argv[2] : "";
    struct res_db *db;
    char err[512];
    if (res_open(argv[1], RES_OPEN_CREATE, &db, err, sizeof(err)) < 0) {
        fprintf(stderr, "res_mkruns: %s\n", err);
        return 1;
    }
    int n = !strcmp(mode, "big") ? 20 : 5;
    for (int i = 0; i < n; i++) {
        struct sim_stats s;
        sim_stats_init(&s);
        int k = i % 5;
        *sim_stats_add(&s, "guest.dtlb.miss", "count", "guest data TLB misses") = rows[k].miss;
        *sim_stats_add(&s, "hv.walk.refs.s2", "count", "stage-2 walk references") = 3 * rows[k].miss;
        for (int c = 0; !strcmp(mode, "big") && c < 300; c++)
            *sim_stats_addf(&s, "count", "filler", "filler.%d", c) = (uint64_t)(i * 1000 + c);
        struct res_run run = {
            .arch = rows[k].arch, .cpu_model = "cortex-a72", .hv_profile = rows[k].profile,
            .runstate_policy = "va", .workload = "runstate", .workload_params = "vcpus=2",
            .config_hash = "h", .outcome = "poweroff", .host = "testhost", .seed = rows[k].seed,
            .insns = rows[k].insns, .cycles = rows[k].cycles, .sim_ns = rows[k].cycles / 2,
            .wall_seconds = rows[k].wall};
        int64_t id = res_write_run(db, &run, &s, NULL, 0, NULL, 0, NULL, 0, err, sizeof(err));
        sim_stats_destroy(&s);
        if (id < 0) {
            fprintf(stderr, "res_mkruns: %s\n", err);
            res_close(db);
            return 1;
        }
    }
    res_close(db);
    if (!strcmp(mode, "newer"))
        return set_sql(argv[1], "UPDATE schema_version SET version = 3");
    return set_sql(argv[1], "UPDATE runs SET time = '2024-01-01T00:00:0' || (id % 10) || 'Z'");
}
