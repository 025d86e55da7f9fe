/* tests/results/test_res_migrate.c - schema versions: a hand-made version-0 database (runs
 * without sim_ns/host, no counter_info or samples) is migrated forward with its data kept; a
 * newer schema, a non-database file and a foreign SQLite database are refused untouched. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "res_testutil.h"

/* Version 0 as the first prototype wrote it (spelled out here, independently of the library). */
static const char v0_sql[] =
    "CREATE TABLE schema_version(version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES(0);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, uid TEXT UNIQUE, time TEXT, hvsim_version TEXT,"
    " git_rev TEXT, arch TEXT, cpu_model TEXT, hv_profile TEXT, runstate_policy TEXT,"
    " workload TEXT, workload_params TEXT, image_path TEXT, image_sha256 TEXT,"
    " config_json TEXT, config_hash TEXT, seed INTEGER, exit_status INTEGER, outcome TEXT,"
    " insns INTEGER, cycles INTEGER, wall_seconds REAL);"
    "CREATE TABLE counters(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value INTEGER, PRIMARY KEY(run_id, name));"
    "CREATE TABLE hypercalls(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " vcpu INTEGER, nr INTEGER, name TEXT, subop INTEGER, subop_name TEXT, calls INTEGER,"
    " cycles INTEGER, translations INTEGER, walk_refs_s1 INTEGER, walk_refs_s2 INTEGER,"
    " tlb_misses INTEGER, failures INTEGER);"
    "CREATE TABLE events(run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " cycle INTEGER, vcpu INTEGER, kind TEXT, detail TEXT);"
    "INSERT INTO runs(id, uid, arch, seed, insns, cycles, outcome) VALUES"
    " (1, 'aaaa', 'arm64', 1, 10, 100, 'poweroff'), (2, 'bbbb', 'x86_64', 2, 20, 200, 'crash');"
    "INSERT INTO counters VALUES (1, 'guest.tlb.miss', 5), (1, 'hv.walk.refs.s2', 7),"
    " (2, 'guest.tlb.miss', 9);"
    "INSERT INTO events VALUES (2, 50, 0, 'crash', 'data abort');";

static void problem(void *ctx, const char *msg)
{
    char *last = ctx;
    snprintf(last, 256, "%s", msg);
}

static void test_v0(void)
{
    char path[512], err[256], last[256] = "";
    struct res_db *db;
    rt_path(path, sizeof(path), "res_migrate_v0");
    CHECK_EQ(rt_exec(path, v0_sql), 0);

    /* Opened without migrating: version 0, check says to migrate. */
    CHECK_EQ(res_open(path, RES_OPEN_NO_MIGRATE, &db, err, sizeof(err)), 0);
    if (!db)
        return;
    CHECK_EQ(res_schema_version(db), 0);
    CHECK_EQ(res_check(db, problem, last), 1);
    CHECK(strstr(last, "older") && strstr(last, "hvsim db migrate"));
    /* Writing into an old schema is refused, not half-done. */
    struct rt_run r;
    rt_run_init(&r, 3, 2);
    CHECK(rt_write(db, &r, err, sizeof(err)) < 0);
    CHECK(strstr(err, "migrate") != NULL);
    CHECK(!res_has_column(db, "runs", "sim_ns"));

    int from = -9, to = -9;
    CHECK_EQ(res_migrate(db, &from, &to, err, sizeof(err)), 0);
    CHECK_EQ(from, 0);
    CHECK_EQ(to, RES_SCHEMA_VERSION);
    CHECK_EQ(res_schema_version(db), RES_SCHEMA_VERSION);
    CHECK(res_has_column(db, "runs", "sim_ns"));
    CHECK(res_has_column(db, "runs", "host"));
    CHECK_EQ(res_check(db, problem, last), 0);
    /* data kept */
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT cycles FROM runs WHERE uid = 'bbbb'"), 200);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM runs WHERE sim_ns IS NULL AND host IS NULL"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT sum(value) FROM counters"), 21);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM events"), 1);
    /* counter_info created with a row per existing counter; samples and indexes exist */
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counter_info"), 2);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM samples"), 0);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                             "name IN ('hypercalls_run', 'events_run', 'samples_run', "
                             "'runs_config')"), 4);
    /* migrating again is a no-op */
    CHECK_EQ(res_migrate(db, &from, &to, err, sizeof(err)), 0);
    CHECK_EQ(from, RES_SCHEMA_VERSION);
    CHECK_EQ(to, RES_SCHEMA_VERSION);
    /* and the migrated database takes new runs */
    CHECK_EQ(rt_write(db, &r, err, sizeof(err)), 3);
    CHECK_EQ(rt_scalar(path, "SELECT count(*) FROM counter_info WHERE unit IS NOT NULL"), 2);
    rt_run_destroy(&r);
    res_close(db);

    /* A default open migrates by itself. */
    rt_path(path, sizeof(path), "res_migrate_v0b");
    CHECK_EQ(rt_exec(path, v0_sql), 0);
    CHECK_EQ(res_open(path, 0, &db, err, sizeof(err)), 0);
    if (db) {
        CHECK_EQ(res_schema_version(db), RES_SCHEMA_VERSION);
        res_close(db);
    }
    /* A read-only open leaves it alone (and reads it). */
    rt_path(path, sizeof(path), "res_migrate_v0c");
    CHECK_EQ(rt_exec(path, v0_sql), 0);
    CHECK_EQ(res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err)), 0);
    if (db) {
        CHECK_EQ(res_schema_version(db), 0);
        res_close(db);
    }
    CHECK_EQ(rt_scalar(path, "SELECT version FROM schema_version"), 0);
}

/* The file must be byte-identical after the refused open. */
static void expect_refused(const char *path, unsigned flags, int code, const char *msg)
{
    size_t n0, n1;
    unsigned char *before = rt_slurp(path, &n0);
    struct res_db *db;
    char err[256] = "";
    CHECK_EQ(res_open(path, flags, &db, err, sizeof(err)), code);
    CHECK(db == NULL);
    char want[600];
    snprintf(want, sizeof(want), "%s: %s", path, msg);
    CHECK_STR(err, want);
    unsigned char *after = rt_slurp(path, &n1);
    CHECK(before && after && n0 == n1 && !memcmp(before, after, n0));
    free(before);
    free(after);
}

static void test_refusals(void)
{
    char path[512], err[256];
    struct res_db *db;

    /* newer schema */
    rt_path(path, sizeof(path), "res_migrate_newer");
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    res_close(db);
    CHECK_EQ(rt_exec(path, "UPDATE schema_version SET version = 3; PRAGMA journal_mode=DELETE"),
             0);
    const char *newer = "database schema version 3 is newer than this hvsim supports (1); "
                        "upgrade hvsim";
    expect_refused(path, 0, -EPROTONOSUPPORT, newer);
    expect_refused(path, RES_OPEN_CREATE, -EPROTONOSUPPORT, newer);
    expect_refused(path, RES_OPEN_READONLY, -EPROTONOSUPPORT, newer);
    expect_refused(path, RES_OPEN_NO_MIGRATE, -EPROTONOSUPPORT, newer);
    CHECK_EQ(rt_scalar(path, "SELECT version FROM schema_version"), 3);

    /* merge refuses a newer input before creating the output */
    char out[512];
    rt_path(out, sizeof(out), "res_migrate_newer_out");
    const char *inputs[] = {path};
    CHECK_EQ(res_merge(out, inputs, 1, NULL, NULL, err, sizeof(err)), -EPROTONOSUPPORT);
    CHECK(strstr(err, "newer") != NULL);
    CHECK(access(out, F_OK) != 0);

    /* not a database at all */
    rt_path(path, sizeof(path), "res_migrate_text");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 200; i++)
        fprintf(f, "this is a text file, line %d, not an SQLite database\n", i);
    fclose(f);
    expect_refused(path, 0, -EINVAL, "file is not a database");
    expect_refused(path, RES_OPEN_READONLY, -EINVAL, "file is not a database");

    /* a foreign SQLite database */
    rt_path(path, sizeof(path), "res_migrate_foreign");
    CHECK_EQ(rt_exec(path, "CREATE TABLE foo(x); INSERT INTO foo VALUES(1)"), 0);
    expect_refused(path, RES_OPEN_CREATE, -EINVAL,
                   "not an hvsim results database (no schema_version table)");

    /* an empty (0-byte) file is a new database */
    rt_path(path, sizeof(path), "res_migrate_empty");
    fclose(fopen(path, "w"));
    CHECK_EQ(res_open(path, 0, &db, err, sizeof(err)), 0);
    if (db) {
        CHECK_EQ(res_schema_version(db), RES_SCHEMA_VERSION);
        res_close(db);
    }
}

int main(void)
{
    test_v0();
    test_refusals();
    return test_summary();
}
