/* results/write.c - storing one run (res_write_run) and the sweep-resume lookup.
 *
 * Everything a run produces goes into one BEGIN IMMEDIATE ... COMMIT transaction: SQLite's
 * atomic commit (https://sqlite.org/atomiccommit.html, WAL variant) guarantees a reader sees
 * the whole run or none of it, even when the writer is killed mid-transaction. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "gitrev.h"
#include "results/res_internal.h"
#include "sim/stats.h"

#ifndef HVSIM_VERSION
#define HVSIM_VERSION "unknown"
#endif

/* 128 random bits as 32 hex digits: the run's identity across merged databases. */
int res_make_uid(char out[33])
{
    uint8_t b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)n;
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

static void utc_now(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* Step a bound insert and reset it for the next row. */
static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static const char sql_run[] =
    "INSERT INTO runs(uid, time, hvsim_version, git_rev, arch, cpu_model, hv_profile,"
    " runstate_policy, workload, workload_params, image_path, image_sha256, config_json,"
    " config_hash, seed, exit_status, outcome, insns, cycles, sim_ns, wall_seconds, host)"
    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char sql_counter[] = "INSERT INTO counters(run_id, name, value) VALUES(?,?,?)";
static const char sql_info[] =
    "INSERT INTO counter_info(name, unit, description) VALUES(?,?,?)"
    " ON CONFLICT(name) DO UPDATE SET unit = excluded.unit, description = excluded.description"
    " WHERE unit IS NOT excluded.unit OR description IS NOT excluded.description";
static const char sql_hcall[] =
    "INSERT INTO hypercalls(run_id, vcpu, nr, name, subop, subop_name, calls, cycles,"
    " translations, walk_refs_s1, walk_refs_s2, tlb_misses, failures)"
    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char sql_event[] =
    "INSERT INTO events(run_id, cycle, vcpu, kind, detail) VALUES(?,?,?,?,?)";
static const char sql_sample[] =
    "INSERT INTO samples(run_id, cycle, name, value) VALUES(?,?,?,?)";

int64_t res_write_run(struct res_db *db, const struct res_run *run, const struct sim_stats *stats,
                      const struct res_hcall_row *hc, size_t nhc, const struct res_event *ev,
                      size_t nev, const struct res_sample *sm, size_t nsm, char *err,
                      size_t errlen)
{
    if (db->readonly)
        return res_fail(db, NULL, -EROFS, err, errlen, "database opened read-only");
    if (res_schema_version(db) != RES_SCHEMA_VERSION)
        return res_fail(db, NULL, -EPROTO, err, errlen,
                        "database schema is not version %d; run 'hvsim db migrate'",
                        RES_SCHEMA_VERSION);

    char uid[33], now[32], host[256];
    int r = res_make_uid(uid);
    if (r < 0)
        return res_fail(db, NULL, r, err, errlen, "getrandom: %s", strerror(-r));
    utc_now(now);
    const char *hostp = run->host;
    if (!hostp) {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "unknown");
        host[sizeof(host) - 1] = '\0';
        hostp = host;
    }

    sqlite3_stmt *st[6] = {0};
    const char *const sqls[6] = {sql_run, sql_counter, sql_info, sql_hcall, sql_event, sql_sample};
    int rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return res_fail_sql(db, rc, err, errlen);
    for (int i = 0; i < 6; i++)
        if ((rc = sqlite3_prepare_v2(db->h, sqls[i], -1, &st[i], NULL)) != SQLITE_OK)
            goto fail;

    sqlite3_stmt *s = st[0];
    int k = 1;
    sqlite3_bind_text(s, k++, uid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, HVSIM_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, HVSIM_GITREV, -1, SQLITE_STATIC);
    const char *texts[] = {run->arch, run->cpu_model, run->hv_profile, run->runstate_policy,
                           run->workload, run->workload_params, run->image_path,
                           run->image_sha256, run->config_json, run->config_hash};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        sqlite3_bind_text(s, k++, texts[i], -1, SQLITE_STATIC);
    bind_u64(s, k++, run->seed);
    sqlite3_bind_int(s, k++, run->exit_status);
    sqlite3_bind_text(s, k++, run->outcome, -1, SQLITE_STATIC);
    bind_u64(s, k++, run->insns);
    bind_u64(s, k++, run->cycles);
    bind_u64(s, k++, run->sim_ns);
    sqlite3_bind_double(s, k++, run->wall_seconds);
    sqlite3_bind_text(s, k++, hostp, -1, SQLITE_STATIC);
    if ((rc = step_reset(s)) != SQLITE_OK)
        goto fail;
    int64_t id = sqlite3_last_insert_rowid(db->h);

    for (unsigned i = 0; stats && i < stats->count; i++) {
        const struct sim_stat *c = sim_stats_at(stats, i);
        sqlite3_bind_int64(st[1], 1, id);
        sqlite3_bind_text(st[1], 2, c->name, -1, SQLITE_STATIC);
        bind_u64(st[1], 3, c->value);
        if ((rc = step_reset(st[1])) != SQLITE_OK)
            goto fail;
        sqlite3_bind_text(st[2], 1, c->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st[2], 2, c->unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(st[2], 3, c->desc, -1, SQLITE_STATIC);
        if ((rc = step_reset(st[2])) != SQLITE_OK)
            goto fail;
    }
    for (size_t i = 0; i < nhc; i++) {
        const struct res_hcall_row *h = &hc[i];
        s = st[3];
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, h->vcpu);
        sqlite3_bind_int64(s, 3, h->nr);
        sqlite3_bind_text(s, 4, h->name, -1, SQLITE_STATIC);
        if (h->subop >= 0)
            sqlite3_bind_int(s, 5, h->subop);
        sqlite3_bind_text(s, 6, h->subop_name, -1, SQLITE_STATIC);
        bind_u64(s, 7, h->calls);
        bind_u64(s, 8, h->cycles);
        bind_u64(s, 9, h->translations);
        bind_u64(s, 10, h->walk_refs_s1);
        bind_u64(s, 11, h->walk_refs_s2);
        bind_u64(s, 12, h->tlb_misses);
        bind_u64(s, 13, h->failures);
        if ((rc = step_reset(s)) != SQLITE_OK)
            goto fail;
    }
    for (size_t i = 0; i < nev; i++) {
        s = st[4];
        sqlite3_bind_int64(s, 1, id);
        bind_u64(s, 2, ev[i].cycle);
        sqlite3_bind_int64(s, 3, ev[i].vcpu);
        sqlite3_bind_text(s, 4, ev[i].kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, ev[i].detail, -1, SQLITE_STATIC);
        if ((rc = step_reset(s)) != SQLITE_OK)
            goto fail;
    }
    for (size_t i = 0; i < nsm; i++) {
        s = st[5];
        sqlite3_bind_int64(s, 1, id);
        bind_u64(s, 2, sm[i].cycle);
        sqlite3_bind_text(s, 3, sm[i].name, -1, SQLITE_STATIC);
        bind_u64(s, 4, sm[i].value);
        if ((rc = step_reset(s)) != SQLITE_OK)
            goto fail;
    }
    for (int i = 0; i < 6; i++)
        sqlite3_finalize(st[i]);
    if ((rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
        r = res_fail_sql(db, rc, err, errlen);
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        return r;
    }
    return id;

fail:
    r = res_fail_sql(db, rc, err, errlen); /* before ROLLBACK replaces the message */
    for (int i = 0; i < 6; i++)
        sqlite3_finalize(st[i]);
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

bool res_have_config(struct res_db *db, const char *config_hash, uint64_t seed)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM runs WHERE config_hash = ? AND seed = ? LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, config_hash, -1, SQLITE_STATIC);
    bind_u64(st, 2, seed);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}
