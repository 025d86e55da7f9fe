/* tests/results/test_res_merge.c - db merge: new ids, child rows follow their run, runs already
 * present (same uid) skipped on re-merge, counter_info merged, inputs never modified, older
 * (version 0) inputs merged by column name. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "res_testutil.h"

static void make_db(const char *path, unsigned first_tag, unsigned nruns, const char *unit)
{
    struct res_db *db;
    char err[256];
    CHECK_EQ(res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err)), 0);
    if (!db)
        return;
    for (unsigned t = first_tag; t < first_tag + nruns; t++) {
        struct rt_run r;
        rt_run_init(&r, t, 4);
        sim_stats_add(&r.stats, "only.here", unit, "per-db counter");
        CHECK(rt_write(db, &r, err, sizeof(err)) > 0);
        rt_run_destroy(&r);
    }
    res_close(db);
}

/* Per uid, a fingerprint of every child table: counts and sums. Identical in src and dst when
 * the child rows followed their run. */
static const char fingerprint_sql[] =
    "SELECT group_concat(f, ';') FROM (SELECT r.uid || ':' ||"
    " (SELECT count(*) || '/' || total(value) || '/' || group_concat(name) FROM"
    "   (SELECT * FROM counters WHERE run_id = r.id ORDER BY name)) || ':' ||"
    " (SELECT count(*) || '/' || total(cycles) || '/' || total(calls) FROM hypercalls"
    "   WHERE run_id = r.id) || ':' ||"
    " (SELECT count(*) || '/' || total(cycle) || group_concat(kind) FROM events"
    "   WHERE run_id = r.id) || ':' ||"
    " (SELECT count(*) || '/' || total(value) FROM samples WHERE run_id = r.id) || ':' ||"
    " r.cycles || r.arch AS f FROM runs r %s ORDER BY r.uid)";

static char *text_scalar(const char *path, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    char *v = NULL;
    sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            v = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    } else {
        fprintf(stderr, "%s\n", sqlite3_errmsg(h));
    }
    sqlite3_close(h);
    return v;
}

static char *fingerprint(const char *path, const char *where)
{
    char sql[2048];
    snprintf(sql, sizeof(sql), fingerprint_sql, where);
    return text_scalar(path, sql);
}

int main(void)
{
    char a[512], b[512], out[512], err[512];
    rt_path(a, sizeof(a), "res_merge_a");
    rt_path(b, sizeof(b), "res_merge_b");
    rt_path(out, sizeof(out), "res_merge_out");
    make_db(a, 1, 2, "count");
    make_db(b, 10, 3, NULL);
    size_t na, nb;
    unsigned char *a0 = rt_slurp(a, &na), *b0 = rt_slurp(b, &nb);

    /* Out already has one run of its own: merged runs get ids after it. */
    make_db(out, 100, 1, "bytes");
    char *fa = fingerprint(a, ""), *fb = fingerprint(b, ""), *fo = fingerprint(out, "");
    const char *inputs[] = {a, b};
    unsigned added = 99, skipped = 99;
    CHECK_EQ(res_merge(out, inputs, 2, &added, &skipped, err, sizeof(err)), 0);
    CHECK_EQ(added, 5);
    CHECK_EQ(skipped, 0);
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM runs"), 6);
    CHECK_EQ(rt_scalar(out, "SELECT max(id) FROM runs"), 6);
    CHECK_EQ(rt_scalar(out, "SELECT count(DISTINCT uid) FROM runs"), 6);
    /* every child row follows its run: fingerprints per uid are identical */
    char where[256];
    snprintf(where, sizeof(where), "WHERE r.uid IN (SELECT uid FROM runs WHERE seed < 10)");
    char *fo_a = fingerprint(out, where);
    snprintf(where, sizeof(where), "WHERE r.uid IN (SELECT uid FROM runs WHERE seed "
                                   "BETWEEN 10 AND 99)");
    char *fo_b = fingerprint(out, where);
    snprintf(where, sizeof(where), "WHERE r.seed = 100");
    char *fo_o = fingerprint(out, where);
    CHECK(fa && fo_a && !strcmp(fa, fo_a));
    CHECK(fb && fo_b && !strcmp(fb, fo_b));
    CHECK(fo && fo_o && !strcmp(fo, fo_o));
    /* A's run ids 1,2 became 2,3 in out; no child row points to a missing run */
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM counters WHERE run_id = 2"), 5);
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM counters c WHERE NOT EXISTS "
                            "(SELECT 1 FROM runs WHERE id = c.run_id)"), 0);
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    /* counter_info merged: out's own unit kept, names of both inputs present */
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM counter_info"), 5);
    CHECK_EQ(rt_scalar(out, "SELECT unit = 'bytes' FROM counter_info WHERE name = 'only.here'"),
             1);

    /* re-merging adds nothing */
    CHECK_EQ(res_merge(out, inputs, 2, &added, &skipped, err, sizeof(err)), 0);
    CHECK_EQ(added, 0);
    CHECK_EQ(skipped, 5);
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM runs"), 6);
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM counters"), 30);
    /* the same input twice in one merge: the second copy is skipped */
    char out2[512];
    rt_path(out2, sizeof(out2), "res_merge_out2");
    const char *twice[] = {a, a};
    CHECK_EQ(res_merge(out2, twice, 2, &added, &skipped, err, sizeof(err)), 0);
    CHECK_EQ(added, 2);
    CHECK_EQ(skipped, 2);

    /* inputs untouched */
    unsigned char *a1 = rt_slurp(a, &na), *b1 = rt_slurp(b, &nb);
    CHECK(a0 && a1 && !memcmp(a0, a1, na));
    CHECK(b0 && b1 && !memcmp(b0, b1, nb));

    /* the output as an input is refused; a missing input fails before out is created */
    const char *self[] = {out};
    CHECK_EQ(res_merge(out, self, 1, NULL, NULL, err, sizeof(err)), -EINVAL);
    char missing[512], out3[512];
    rt_path(missing, sizeof(missing), "res_merge_missing");
    rt_path(out3, sizeof(out3), "res_merge_out3");
    const char *miss[] = {a, missing};
    CHECK_EQ(res_merge(out3, miss, 2, NULL, NULL, err, sizeof(err)), -ENOENT);
    CHECK(access(out3, F_OK) != 0);

    /* a version-0 input merges by column name; counter_info gets its counter names */
    char v0[512];
    rt_path(v0, sizeof(v0), "res_merge_v0");
    CHECK_EQ(rt_exec(v0, "CREATE TABLE schema_version(version INTEGER NOT NULL);"
                         "INSERT INTO schema_version VALUES(0);"
                         "CREATE TABLE runs(id INTEGER PRIMARY KEY, uid TEXT UNIQUE, arch TEXT,"
                         " cycles INTEGER);"
                         "CREATE TABLE counters(run_id INTEGER, name TEXT, value INTEGER,"
                         " PRIMARY KEY(run_id, name));"
                         "INSERT INTO runs VALUES (7, NULL, 'arm64', 777);"
                         "INSERT INTO counters VALUES (7, 'old.counter', 3);"),
             0);
    const char *old[] = {v0};
    CHECK_EQ(res_merge(out, old, 1, &added, &skipped, err, sizeof(err)), 0);
    CHECK_EQ(added, 1);
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM runs r JOIN counters c ON c.run_id = r.id "
                            "WHERE r.cycles = 777 AND c.name = 'old.counter' AND c.value = 3 "
                            "AND length(r.uid) = 32"), 1);
    CHECK_EQ(rt_scalar(out, "SELECT count(*) FROM counter_info WHERE name = 'old.counter'"), 1);

    struct res_db *db;
    if (res_open(out, RES_OPEN_READONLY, &db, err, sizeof(err)) == 0) {
        CHECK_EQ(res_check(db, NULL, NULL), 0);
        res_close(db);
    }
    free(a0); free(a1); free(b0); free(b1);
    free(fa); free(fb); free(fo); free(fo_a); free(fo_b); free(fo_o);
    return test_summary();
}
