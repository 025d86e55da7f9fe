/* results/db.c - opening the results database, the versioned schema and its forward
 * migrations, and the integrity/schema check.
 *
 * Concurrency and crash safety follow the SQLite documentation: WAL mode
 * (https://sqlite.org/wal.html: readers do not block the writer, a commit is atomic even if the
 * process is killed), BEGIN IMMEDIATE to take the write lock up front
 * (https://sqlite.org/lang_transaction.html) and a busy timeout instead of failing at once on a
 * lock held by a concurrent sweep worker (https://sqlite.org/c3ref/busy_timeout.html). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "results/res_internal.h"

/* ---- schema ------------------------------------------------------------------------------ */

/* res_schema_steps[0] takes an empty database to version 0 (the first prototype schema);
 * res_schema_steps[v] takes version v-1 to v. A fresh database runs every step, so the
 * migration path is the creation path and is exercised by every test that creates a DB.
 * Never edit a released step: append a new one and bump RES_SCHEMA_VERSION. */
static const char *const res_schema_steps[RES_SCHEMA_VERSION + 1] = {
    /* -> v0: runs without sim_ns/host; no counter_info, no samples, no indexes. */
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY, uid TEXT UNIQUE, time TEXT, hvsim_version TEXT, git_rev TEXT,"
    " arch TEXT, cpu_model TEXT, hv_profile TEXT, runstate_policy TEXT, workload TEXT,"
    " workload_params TEXT, image_path TEXT, image_sha256 TEXT, config_json TEXT,"
    " config_hash TEXT, seed INTEGER, exit_status INTEGER, outcome TEXT, insns INTEGER,"
    " cycles INTEGER, wall_seconds REAL);"
    "CREATE TABLE counters("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL,"
    " value INTEGER, PRIMARY KEY(run_id, name));"
    "CREATE TABLE hypercalls("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, vcpu INTEGER,"
    " nr INTEGER, name TEXT, subop INTEGER, subop_name TEXT, calls INTEGER, cycles INTEGER,"
    " translations INTEGER, walk_refs_s1 INTEGER, walk_refs_s2 INTEGER, tlb_misses INTEGER,"
    " failures INTEGER);"
    "CREATE TABLE events("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, cycle INTEGER,"
    " vcpu INTEGER, kind TEXT, detail TEXT);",
    /* v0 -> v1: simulated time and host per run, counter units/descriptions, time samples,
     * indexes. counters needs no run_id index: its primary key (run_id, name) is one. */
    "ALTER TABLE runs ADD COLUMN sim_ns INTEGER;"
    "ALTER TABLE runs ADD COLUMN host TEXT;"
    "CREATE TABLE counter_info(name TEXT PRIMARY KEY, unit TEXT, description TEXT);"
    "INSERT OR IGNORE INTO counter_info(name) SELECT DISTINCT name FROM counters;"
    "CREATE TABLE samples("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, cycle INTEGER,"
    " name TEXT, value INTEGER);"
    "CREATE INDEX hypercalls_run ON hypercalls(run_id);"
    "CREATE INDEX events_run ON events(run_id);"
    "CREATE INDEX samples_run ON samples(run_id);"
    "CREATE INDEX runs_config ON runs(config_hash, seed);",
};

/* What the current version must contain (res_check). */
static const struct {
    const char *table;
    const char *columns; /* space separated, in order */
} res_expected[] = {
    {"schema_version", "version"},
    {"runs", "id uid time hvsim_version git_rev arch cpu_model hv_profile runstate_policy "
             "workload workload_params image_path image_sha256 config_json config_hash seed "
             "exit_status outcome insns cycles wall_seconds sim_ns host"},
    {"counters", "run_id name value"},
    {"counter_info", "name unit description"},
    {"hypercalls", "run_id vcpu nr name subop subop_name calls cycles translations "
                   "walk_refs_s1 walk_refs_s2 tlb_misses failures"},
    {"events", "run_id cycle vcpu kind detail"},
    {"samples", "run_id cycle name value"},
};
static const char *const res_expected_indexes[] = {"hypercalls_run", "events_run",
                                                   "samples_run", "runs_config"};

/* ---- errors ------------------------------------------------------------------------------ */

int res_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_ROW: case SQLITE_DONE: return 0;
    case SQLITE_NOTADB: return -EINVAL;
    case SQLITE_CORRUPT: return -EIO;
    case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
    case SQLITE_READONLY: return -EROFS;
    case SQLITE_PERM: case SQLITE_AUTH: return -EACCES;
    case SQLITE_CANTOPEN: return -ENOENT;
    case SQLITE_FULL: return -ENOSPC;
    case SQLITE_NOMEM: return -ENOMEM;
    case SQLITE_ERROR: case SQLITE_MISMATCH: case SQLITE_RANGE: case SQLITE_CONSTRAINT:
        return -EINVAL;
    default: return -EIO;
    }
}

int res_fail(const struct res_db *db, const char *path, int code, char *err, size_t errlen,
             const char *fmt, ...)
{
    if (err && errlen) {
        const char *p = path ? path : db ? db->path : "";
        int n = snprintf(err, errlen, "%s: ", p);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

int res_fail_sql(const struct res_db *db, int rc, char *err, size_t errlen)
{
    int code = res_errno(rc);
    if (!code)
        code = -EIO;
    const char *msg = db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
    /* sqlite3_errmsg may describe a later call; fall back to the code's own text. */
    if (!msg || !*msg || !strcmp(msg, "not an error"))
        msg = sqlite3_errstr(rc);
    return res_fail(db, NULL, code, err, errlen, "%s", msg);
}

int res_exec(struct res_db *db, const char *sql, char *err, size_t errlen)
{
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : res_fail_sql(db, rc, err, errlen);
}

bool res_quote_ident(const char *name, char *buf, size_t len)
{
    size_t o = 0;
    if (len < 3)
        return false;
    buf[o++] = '"';
    for (const char *p = name; *p; p++) {
        if (o + 4 > len)
            return false;
        if (*p == '"')
            buf[o++] = '"';
        buf[o++] = *p;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return true;
}

/* ---- version ----------------------------------------------------------------------------- */

/* *ver = -1 for a database without any table, else the schema_version row. 0 or error. */
static int read_version(struct res_db *db, int *ver, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->h, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int r = res_fail_sql(db, rc, err, errlen);
        sqlite3_finalize(st);
        return r;
    }
    int64_t nobj = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (nobj == 0) {
        *ver = -1;
        return 0;
    }
    rc = sqlite3_prepare_v2(db->h, "SELECT version FROM schema_version", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_ERROR)
            return res_fail(db, NULL, -EINVAL, err, errlen,
                            "not an hvsim results database (no schema_version table)");
        return res_fail_sql(db, rc, err, errlen);
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
        int r = rc == SQLITE_ROW || rc == SQLITE_DONE
                    ? res_fail(db, NULL, -EINVAL, err, errlen,
                               "not an hvsim results database (schema_version has no version)")
                    : res_fail_sql(db, rc, err, errlen);
        sqlite3_finalize(st);
        return r;
    }
    *ver = (int)sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

int res_schema_version(struct res_db *db)
{
    int v = -1;
    return read_version(db, &v, NULL, 0) ? -1 : v;
}

static int newer_error(struct res_db *db, int ver, char *err, size_t errlen)
{
    return res_fail(db, NULL, -EPROTONOSUPPORT, err, errlen,
                    "database schema version %d is newer than this hvsim supports (%d); "
                    "upgrade hvsim",
                    ver, RES_SCHEMA_VERSION);
}

int res_migrate(struct res_db *db, int *from, int *to, char *err, size_t errlen)
{
    int ver, first = -2, r;
    if (db->readonly)
        return res_fail(db, NULL, -EROFS, err, errlen, "database opened read-only");
    for (;;) {
        /* Re-read the version inside the write transaction: a concurrent process may have
         * migrated (or created) the schema meanwhile. */
        if ((r = res_exec(db, "BEGIN IMMEDIATE", err, errlen)) < 0)
            return r;
        if ((r = read_version(db, &ver, err, errlen)) < 0)
            goto fail;
        if (first == -2)
            first = ver;
        if (ver > RES_SCHEMA_VERSION) {
            r = newer_error(db, ver, err, errlen);
            goto fail;
        }
        if (ver == RES_SCHEMA_VERSION) {
            res_exec(db, "COMMIT", NULL, 0);
            break;
        }
        if ((r = res_exec(db, res_schema_steps[ver + 1], err, errlen)) < 0)
            goto fail;
        char sql[96];
        snprintf(sql, sizeof(sql), "DELETE FROM schema_version; "
                                   "INSERT INTO schema_version(version) VALUES(%d)", ver + 1);
        if ((r = res_exec(db, sql, err, errlen)) < 0)
            goto fail;
        if ((r = res_exec(db, "COMMIT", err, errlen)) < 0)
            goto fail;
    }
    if (from)
        *from = first;
    if (to)
        *to = ver;
    return 0;
fail:
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

/* ---- open/close -------------------------------------------------------------------------- */

void res_set_busy_timeout(struct res_db *db, int ms)
{
    db->busy_ms = ms;
    sqlite3_busy_timeout(db->h, ms);
}

/* Switching a database to WAL needs an exclusive lock, and SQLite does not always call the
 * busy handler for it (https://sqlite.org/wal.html "Activating And Configuring WAL Mode";
 * concurrent sweep workers creating the same database hit this), so retry here for up to
 * the busy timeout. Already-WAL databases return at once. */
static int set_wal(struct res_db *db, char *err, size_t errlen)
{
    int rc = SQLITE_OK;
    for (int waited = 0;; waited += 5) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                const char *mode = (const char *)sqlite3_column_text(st, 0);
                rc = mode && !strcmp(mode, "wal") ? SQLITE_OK : SQLITE_BUSY;
            }
            sqlite3_finalize(st);
        }
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            break;
        if (waited >= db->busy_ms)
            break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (rc == SQLITE_OK)
        return 0;
    if ((rc & 0xff) == SQLITE_BUSY)
        return res_fail(db, NULL, -EBUSY, err, errlen, "database is locked");
    return res_fail_sql(db, rc, err, errlen);
}

const char *res_path(const struct res_db *db)
{
    return db->path;
}

void res_close(struct res_db *db)
{
    if (!db)
        return;
    sqlite3_close_v2(db->h);
    free(db->path);
    free(db);
}

int res_open(const char *path, unsigned flags, struct res_db **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    bool ro = flags & RES_OPEN_READONLY;
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (!exists && (ro || !(flags & RES_OPEN_CREATE)))
        return res_fail(NULL, path, -ENOENT, err, errlen, "%s", strerror(ENOENT));
    if (exists && S_ISDIR(sb.st_mode))
        return res_fail(NULL, path, -EISDIR, err, errlen, "%s", strerror(EISDIR));

    struct res_db *db = calloc(1, sizeof(*db));
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return res_fail(NULL, path, -ENOMEM, err, errlen, "out of memory");
    }
    db->readonly = ro;
    int oflags = ro ? SQLITE_OPEN_READONLY
                    : SQLITE_OPEN_READWRITE | (flags & RES_OPEN_CREATE ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db->h, oflags, NULL);
    int r;
    if (rc != SQLITE_OK) {
        r = res_fail_sql(db, rc, err, errlen);
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 0);
    res_set_busy_timeout(db, RES_BUSY_TIMEOUT_MS);
    if (!ro && sqlite3_db_readonly(db->h, "main") == 1) {
        /* SQLite silently falls back to read-only when the file is not writable. */
        r = res_fail(db, NULL, -EROFS, err, errlen, "database is read-only (%s)",
                     strerror(access(path, W_OK) ? errno : EROFS));
        goto fail;
    }

    /* The version check comes before anything that could write (journal mode, migration):
     * a newer or foreign database is refused untouched. */
    int ver;
    if ((r = read_version(db, &ver, err, errlen)) < 0)
        goto fail;
    if (ver > RES_SCHEMA_VERSION) {
        r = newer_error(db, ver, err, errlen);
        goto fail;
    }
    if (ro) {
        sqlite3_exec(db->h, "PRAGMA query_only=1", NULL, NULL, NULL);
    } else {
        if ((r = res_exec(db, "PRAGMA foreign_keys=ON", err, errlen)) < 0)
            goto fail;
        if (!(flags & RES_OPEN_NO_MIGRATE)) {
            if ((r = set_wal(db, err, errlen)) < 0)
                goto fail;
            if (ver < RES_SCHEMA_VERSION && (r = res_migrate(db, NULL, NULL, err, errlen)) < 0)
                goto fail;
        }
    }
    *out = db;
    return 0;
fail:
    res_close(db);
    return r;
}

/* ---- schema inspection and check --------------------------------------------------------- */

bool res_has_column(struct res_db *db, const char *table, const char *column)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static void problemf(int *n, void (*report)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problemf(int *n, void (*report)(void *, const char *), void *ctx, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    (*n)++;
    if (report)
        report(ctx, buf);
}

/* Compare a table's columns (in order) with the expected space-separated list. */
static void check_table(struct res_db *db, const char *table, const char *cols, int *n,
                        void (*report)(void *, const char *), void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "SELECT name FROM pragma_table_info(?) ORDER BY cid", -1, &st,
                           NULL) != SQLITE_OK) {
        problemf(n, report, ctx, "cannot read columns of %s: %s", table, sqlite3_errmsg(db->h));
        return;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    const char *p = cols;
    int ncols = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *have = (const char *)sqlite3_column_text(st, 0);
        ncols++;
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len) {
            problemf(n, report, ctx, "table %s: unexpected column %s", table, have);
            continue;
        }
        if (strlen(have) != len || strncmp(have, p, len))
            problemf(n, report, ctx, "table %s: column %d is %s, expected %.*s", table, ncols,
                     have, (int)len, p);
        p += len;
    }
    sqlite3_finalize(st);
    if (!ncols) {
        problemf(n, report, ctx, "table %s is missing", table);
        return;
    }
    while (*p == ' ')
        p++;
    if (*p)
        problemf(n, report, ctx, "table %s: missing columns: %s", table, p);
}

int res_check(struct res_db *db, void (*report)(void *ctx, const char *problem), void *ctx)
{
    int n = 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, "PRAGMA integrity_check(100)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *msg = (const char *)sqlite3_column_text(st, 0);
            if (msg && strcmp(msg, "ok"))
                problemf(&n, report, ctx, "integrity: %s", msg);
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_DONE) {
        /* A corrupt file can make integrity_check itself fail. */
        problemf(&n, report, ctx, "integrity: %s", sqlite3_errmsg(db->h));
        return n;
    }

    int ver = -1;
    char err[256];
    if (read_version(db, &ver, err, sizeof(err)) < 0) {
        problemf(&n, report, ctx, "%s", err);
        return n;
    }
    if (ver < 0) {
        problemf(&n, report, ctx, "empty database (no hvsim schema)");
        return n;
    }
    if (ver > RES_SCHEMA_VERSION) {
        problemf(&n, report, ctx, "schema version %d is newer than this hvsim supports (%d)", ver,
                 RES_SCHEMA_VERSION);
        return n;
    }
    if (ver < RES_SCHEMA_VERSION) {
        problemf(&n, report, ctx,
                 "schema version %d is older than this hvsim (%d); run 'hvsim db migrate'", ver,
                 RES_SCHEMA_VERSION);
        return n;
    }
    for (size_t i = 0; i < sizeof(res_expected) / sizeof(res_expected[0]); i++)
        check_table(db, res_expected[i].table, res_expected[i].columns, &n, report, ctx);
    for (size_t i = 0; i < sizeof(res_expected_indexes) / sizeof(res_expected_indexes[0]); i++) {
        if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM sqlite_master WHERE type='index' AND name=?",
                               -1, &st, NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_text(st, 1, res_expected_indexes[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            problemf(&n, report, ctx, "index %s is missing", res_expected_indexes[i]);
        sqlite3_finalize(st);
    }
    /* Child rows must belong to a run (foreign keys may have been off for a writer). */
    if (sqlite3_prepare_v2(db->h, "SELECT \"table\", count(*) FROM pragma_foreign_key_check "
                                  "GROUP BY 1", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            problemf(&n, report, ctx, "table %s: %lld rows refer to a missing run",
                     (const char *)sqlite3_column_text(st, 0),
                     (long long)sqlite3_column_int64(st, 1));
        sqlite3_finalize(st);
    }
    /* Runs without a uid cannot be merged safely. */
    if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM runs WHERE uid IS NULL", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0))
            problemf(&n, report, ctx, "%lld runs have no uid",
                     (long long)sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
    }
    return n;
}
