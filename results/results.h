/* results/results.h - the SQLite results store: the contract between hvsim and scripts.
 *
 * One database holds many runs. Schema (version RES_SCHEMA_VERSION, see results/schema.c):
 *   schema_version(version)              one row
 *   runs(id, uid, time, hvsim_version, git_rev, arch, cpu_model, hv_profile, runstate_policy,
 *        workload, workload_params, image_path, image_sha256, config_json, config_hash, seed,
 *        exit_status, outcome, insns, cycles, sim_ns, wall_seconds, host)
 *   counters(run_id, name, value)        every counter of the run's sim_stats registry
 *   counter_info(name, unit, description)
 *   hypercalls(run_id, vcpu, nr, name, subop, subop_name, calls, cycles, translations,
 *              walk_refs_s1, walk_refs_s2, tlb_misses, failures)
 *   events(run_id, cycle, vcpu, kind, detail)
 *   samples(run_id, cycle, name, value)
 *
 * A run is written in ONE transaction (BEGIN IMMEDIATE ... COMMIT), so a crash or SIGKILL while
 * writing leaves either the whole run or nothing. Connections use WAL mode, foreign keys and a
 * busy timeout (RES_BUSY_TIMEOUT_MS by default).
 *
 * 64-bit unsigned values are stored as SQLite INTEGER (signed 64-bit): values above INT64_MAX
 * read back correctly through this API but show as negative numbers in raw SQL.
 *
 * Errors: functions return negative errno-style codes and, when err is non-NULL, write one line
 * "<path>: <message>" into err (e.g. "results.db: file is not a database"). */
#ifndef RESULTS_RESULTS_H
#define RESULTS_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sim_stats;
struct res_db;

#define RES_SCHEMA_VERSION 1
#define RES_BUSY_TIMEOUT_MS 5000

/* res_open flags */
#define RES_OPEN_CREATE 0x1u     /* create the file when missing (else -ENOENT) */
#define RES_OPEN_READONLY 0x2u   /* read-only connection; never creates or modifies the file */
#define RES_OPEN_NO_MIGRATE 0x4u /* leave an older (or empty) schema as it is (db check) */

/* Open (and, unless READONLY/NO_MIGRATE, create the schema or migrate it forward). A database
 * whose schema is newer than RES_SCHEMA_VERSION is refused (-EPROTONOSUPPORT) and not modified;
 * a file that is not an SQLite database gives -EINVAL, a non-hvsim SQLite database -EINVAL,
 * a missing file -ENOENT (unless CREATE), a write open of a read-only file -EROFS,
 * a lock held past the busy timeout -EBUSY. */
int res_open(const char *path, unsigned flags, struct res_db **out, char *err, size_t errlen);
void res_close(struct res_db *db);
void res_set_busy_timeout(struct res_db *db, int ms);
const char *res_path(const struct res_db *db);

/* Schema version of the open database: -1 when it has no hvsim schema yet (empty file). */
int res_schema_version(struct res_db *db);

/* Apply the forward migrations (one transaction each). *from and *to (may be NULL) receive the
 * versions before and after. 0 or negative error. */
int res_migrate(struct res_db *db, int *from, int *to, char *err, size_t errlen);

struct res_run {
    const char *arch, *cpu_model, *hv_profile, *runstate_policy, *workload, *workload_params,
        *image_path, *image_sha256, *config_json, *config_hash, *outcome, *host;
    uint64_t seed, insns, cycles, sim_ns;
    int exit_status;
    double wall_seconds;
};

struct res_hcall_row {
    unsigned vcpu, nr;
    const char *name;
    int subop; /* -1: no sub-op (stored as NULL) */
    const char *subop_name;
    uint64_t calls, cycles, translations, walk_refs_s1, walk_refs_s2, tlb_misses, failures;
};

struct res_event {
    uint64_t cycle;
    unsigned vcpu;
    const char *kind, *detail;
};

struct res_sample {
    uint64_t cycle;
    const char *name;
    uint64_t value;
};

/* Write one run with all its child rows in ONE transaction; stats (may be NULL) gives the
 * counters (all of them, zeros included) and counter_info. A NULL host is filled with this
 * machine's host name. Returns the new run id (> 0) or a negative error (nothing written). */
int64_t res_write_run(struct res_db *db, const struct res_run *run, const struct sim_stats *stats,
                      const struct res_hcall_row *hc, size_t nhc, const struct res_event *ev,
                      size_t nev, const struct res_sample *sm, size_t nsm, char *err,
                      size_t errlen);

/* Sweep resume: is a run with this config hash and seed already stored? */
bool res_have_config(struct res_db *db, const char *config_hash, uint64_t seed);

/* PRAGMA integrity_check plus a schema check (version, tables, columns). report() gets one
 * line per problem. Returns the number of problems (0 = ok) or a negative error. */
int res_check(struct res_db *db, void (*report)(void *ctx, const char *problem), void *ctx);

/* Merge runs of the input databases into out (created when missing): runs get new ids, child
 * rows follow, runs whose uid is already in out are skipped, counter_info is merged. Inputs are
 * opened read-only; one with a newer schema is refused before anything is written. All in one
 * transaction. *added and *skipped (may be NULL) count runs. */
int res_merge(const char *out, const char *const *inputs, int n, unsigned *added,
              unsigned *skipped, char *err, size_t errlen);

enum res_format { RES_FMT_TABLE, RES_FMT_CSV, RES_FMT_JSON };

/* Run SQL (one or more statements) and print every result set: aligned table (headers, NULL
 * shown as NULL, numbers right-aligned), CSV (RFC 4180 quoting, header row) or a JSON array
 * of objects. Open the database READONLY for untrusted SQL. 0 or negative error (the sqlite
 * message in err). */
int res_query_print(struct res_db *db, const char *sql, enum res_format fmt, FILE *out,
                    char *err, size_t errlen);

/* Export: CSV of one table (default "runs"), or JSON of every table:
 * {"schema_version": N, "runs": [...], "counters": [...], ...}. */
int res_export(struct res_db *db, enum res_format fmt, const char *table, FILE *out, char *err,
               size_t errlen);

/* Is name a column of table (names checked against the live schema)? */
bool res_has_column(struct res_db *db, const char *table, const char *column);

/* compare: group runs by key (a runs column) and summarise each metric (a numeric runs column
 * or a counter name) per group: n, mean, min, max, sample stddev, ratio of the mean to the
 * baseline group's mean (baseline NULL = first group in SQL sort order). where (may be NULL)
 * filters runs (SQL over the runs table, alias r). fmt TABLE or CSV. Returns 0, -EINVAL for an
 * unknown key/metric (message in err), -ENOENT when the baseline is not a group, or an error. */
int res_compare(struct res_db *db, const char *key, const char *const *metrics, int nmetrics,
                const char *where, const char *baseline, enum res_format fmt, FILE *out,
                char *err, size_t errlen);

#endif
