/* tests/results/res_testutil.h - helpers shared by the results tests: scratch database paths,
 * a sample run with counters and child rows, raw SQLite look-ups for checking what is stored. */
#ifndef TESTS_RESULTS_RES_TESTUTIL_H
#define TESTS_RESULTS_RES_TESTUTIL_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/results.h"
#include "sim/stats.h"
#include "testutil.h"

/* A fresh path "<tmp>/<name>-<pid>.db" with any old file (and -wal/-shm) removed. */
static inline void rt_path(char *buf, size_t len, const char *name)
{
    char side[600];
    snprintf(buf, len, "%s/%s-%d.db", test_tmpdir(), name, (int)getpid());
    unlink(buf);
    snprintf(side, sizeof(side), "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", buf);
    unlink(side);
}

/* One scalar from raw SQL (fresh connection; -1 on error or no row). */
static inline long long rt_scalar(const char *path, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    } else {
        fprintf(stderr, "rt_scalar: %s: %s\n", sql, sqlite3_errmsg(h));
    }
    sqlite3_close(h);
    return v;
}

/* Run raw SQL on a read-write connection; 0 or the sqlite error code. */
static inline int rt_exec(const char *path, const char *sql)
{
    sqlite3 *h;
    char *msg = NULL;
    int rc = sqlite3_open(path, &h);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "rt_exec: %s\n", msg ? msg : sqlite3_errmsg(h));
    sqlite3_free(msg);
    sqlite3_close(h);
    return rc;
}

/* Whole file into a malloc'd buffer (*len = size); NULL when unreadable. */
static inline unsigned char *rt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A run whose counters, hypercalls, events and samples are derived from tag, so a test can
 * recompute what it must read back. ncounters counters "c.<i>" = tag * 1000 + i. */
struct rt_run {
    struct sim_stats stats;
    struct res_run run;
    struct res_hcall_row hc[2];
    struct res_event ev[3];
    struct res_sample sm[2];
    char hash[32];
};

static inline void rt_run_init(struct rt_run *r, unsigned tag, unsigned ncounters)
{
    memset(r, 0, sizeof(*r));
    sim_stats_init(&r->stats);
    for (unsigned i = 0; i < ncounters; i++) {
        uint64_t *c = sim_stats_addf(&r->stats, i % 2 ? "cycles" : "count",
                                     "test counter", "c.%u", i);
        if (c)
            *c = (uint64_t)tag * 1000 + i;
    }
    snprintf(r->hash, sizeof(r->hash), "cfg%u", tag % 3);
    r->run = (struct res_run){
        .arch = tag % 2 ? "x86_64" : "arm64", .cpu_model = "cortex-a72",
        .hv_profile = "xen-4.17", .runstate_policy = "va", .workload = "runstate",
        .workload_params = "n=4", .image_path = "/img", .image_sha256 = "ab12",
        .config_json = "{\"k\": 1}", .config_hash = r->hash, .outcome = "poweroff",
        .host = "testhost", .seed = tag, .insns = 100u * tag, .cycles = 1000u * tag,
        .sim_ns = 500u * tag, .exit_status = 0, .wall_seconds = 0.5 * tag};
    r->hc[0] = (struct res_hcall_row){0, 24, "vcpu_op", 11, "register_runstate_memory_area",
                                      1, 900, 2, 8, 12, 3, 0};
    r->hc[1] = (struct res_hcall_row){1, 29, "sched_op", -1, NULL, tag, 100, 0, 0, 0, 0, 1};
    r->ev[0] = (struct res_event){10, 0, "boot", "vcpu0 up"};
    r->ev[1] = (struct res_event){20, 1, "hcall", "vcpu_op"};
    r->ev[2] = (struct res_event){30, 0, "poweroff", NULL};
    r->sm[0] = (struct res_sample){100, "cycles", 1};
    r->sm[1] = (struct res_sample){200, "cycles", tag};
}

static inline int64_t rt_write(struct res_db *db, struct rt_run *r, char *err, size_t errlen)
{
    return res_write_run(db, &r->run, &r->stats, r->hc, 2, r->ev, 3, r->sm, 2, err, errlen);
}

static inline void rt_run_destroy(struct rt_run *r)
{
    sim_stats_destroy(&r->stats);
}

#endif
