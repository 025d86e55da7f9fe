/* results/merge.c - merging result databases (hvsim db merge).
 *
 * Runs are identified across databases by their uid (128 random bits made at insert), so
 * merging the same input twice, or merging databases that already share runs, adds nothing
 * twice. Ids are local: every added run gets a new id in the output and its child rows follow.
 * Columns are copied by name (the intersection of input and output), so an input with an older
 * schema merges too; one with a newer schema is refused by res_open before anything is written.
 * The whole merge is one transaction on the output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "results/res_internal.h"

static const char *const child_tables[] = {"counters", "hypercalls", "events", "samples"};

/* Comma-separated quoted columns present in table in both databases, except the excluded
 * names. *n receives the count. Returns a malloc'd string (possibly empty) or NULL on OOM. */
static char *common_columns(struct res_db *src, struct res_db *dst, const char *table,
                            const char *const *exclude, int nexclude, int *n)
{
    sqlite3_stmt *st;
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    *n = 0;
    if (!out)
        return NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(src->h, "SELECT name FROM pragma_table_info(?) ORDER BY cid", -1, &st,
                           NULL) != SQLITE_OK)
        return out;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        bool skip = !res_has_column(dst, table, col);
        for (int i = 0; i < nexclude && !skip; i++)
            skip = !strcmp(col, exclude[i]);
        if (skip)
            continue;
        char q[160];
        if (!res_quote_ident(col, q, sizeof(q)))
            continue;
        size_t need = len + strlen(q) + 3;
        if (need > cap) {
            char *nb = realloc(out, cap = need * 2);
            if (!nb) {
                free(out);
                sqlite3_finalize(st);
                return NULL;
            }
            out = nb;
        }
        len += (size_t)sprintf(out + len, "%s%s", len ? ", " : "", q);
        (*n)++;
    }
    sqlite3_finalize(st);
    return out;
}

/* "?, ?, ..." with n marks. */
static char *marks(int n)
{
    char *s = malloc(3 * (size_t)n + 1);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(s, i ? ", ?" : "?");
    return s;
}

static bool has_table(struct res_db *db, const char *table)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1,
                           &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* A pair of statements copying rows: sel reads the input, ins writes the output. With a
 * run_id, sel takes it as parameter 1 and ins takes the new id as parameter 1. */
struct copier {
    sqlite3_stmt *sel, *ins;
    int ncol;
};

static void copier_free(struct copier *c)
{
    sqlite3_finalize(c->sel);
    sqlite3_finalize(c->ins);
    memset(c, 0, sizeof(*c));
}

static int copier_init(struct copier *c, struct res_db *src, struct res_db *dst,
                       const char *table, const char *sel_fmt, const char *ins_fmt,
                       const char *const *exclude, int nexclude, char *err, size_t errlen)
{
    int ncol;
    memset(c, 0, sizeof(*c));
    char *cols = common_columns(src, dst, table, exclude, nexclude, &ncol);
    char *mk = marks(ncol);
    char *sql = NULL;
    int r = 0, rc;
    if (!cols || !mk || !(sql = malloc(2 * strlen(cols) + strlen(mk) + 256))) {
        r = res_fail(dst, NULL, -ENOMEM, err, errlen, "out of memory");
        goto out;
    }
    c->ncol = ncol;
    /* sel_fmt/ins_fmt are fixed strings in this file, with %s for the column list and marks. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    sprintf(sql, sel_fmt, ncol ? ", " : "", cols, table);
    if ((rc = sqlite3_prepare_v2(src->h, sql, -1, &c->sel, NULL)) != SQLITE_OK) {
        r = res_fail_sql(src, rc, err, errlen);
        goto out;
    }
    sprintf(sql, ins_fmt, table, ncol ? ", " : "", cols, ncol ? ", " : "", mk);
#pragma GCC diagnostic pop
    if ((rc = sqlite3_prepare_v2(dst->h, sql, -1, &c->ins, NULL)) != SQLITE_OK)
        r = res_fail_sql(dst, rc, err, errlen);
out:
    if (r < 0)
        copier_free(c);
    free(cols);
    free(mk);
    free(sql);
    return r;
}

/* Copy the rows of one run's child table (sel bound to the old id) under new_id. The select's
 * column 0 is run_id, so copied column i is select column i + 1 and insert parameter i + 2. */
static int copy_children(struct copier *c, int64_t old_id, int64_t new_id)
{
    int rc;
    sqlite3_bind_int64(c->sel, 1, old_id);
    while ((rc = sqlite3_step(c->sel)) == SQLITE_ROW) {
        sqlite3_bind_int64(c->ins, 1, new_id);
        for (int i = 0; i < c->ncol; i++)
            sqlite3_bind_value(c->ins, i + 2, sqlite3_column_value(c->sel, i + 1));
        int irc = sqlite3_step(c->ins);
        sqlite3_reset(c->ins);
        if (irc != SQLITE_DONE) {
            sqlite3_reset(c->sel);
            return irc;
        }
    }
    sqlite3_reset(c->sel);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static bool uid_present(sqlite3_stmt *find, const char *uid)
{
    sqlite3_bind_text(find, 1, uid, -1, SQLITE_TRANSIENT);
    bool found = sqlite3_step(find) == SQLITE_ROW;
    sqlite3_reset(find);
    return found;
}

/* Merge one input into dst (inside dst's open transaction). */
static int merge_one(struct res_db *dst, struct res_db *src, unsigned *added, unsigned *skipped,
                     char *err, size_t errlen)
{
    struct copier runs = {0}, child[4] = {{0}};
    sqlite3_stmt *find = NULL, *info = NULL;
    int r = 0, rc;
    static const char *const run_excl[] = {"id", "uid"};
    static const char *const child_excl[] = {"run_id"};

    if (has_table(src, "counter_info")) {
        /* Keep what out already knows; fill in units and descriptions it lacks. */
        rc = sqlite3_prepare_v2(src->h, "SELECT name, unit, description FROM counter_info", -1,
                                &info, NULL);
        if (rc != SQLITE_OK)
            return res_fail_sql(src, rc, err, errlen);
        sqlite3_stmt *ins;
        rc = sqlite3_prepare_v2(dst->h,
                                "INSERT INTO counter_info(name, unit, description) VALUES(?,?,?) "
                                "ON CONFLICT(name) DO UPDATE SET "
                                "unit = coalesce(unit, excluded.unit), "
                                "description = coalesce(description, excluded.description)",
                                -1, &ins, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(info);
            return res_fail_sql(dst, rc, err, errlen);
        }
        while ((rc = sqlite3_step(info)) == SQLITE_ROW) {
            for (int i = 0; i < 3; i++)
                sqlite3_bind_value(ins, i + 1, sqlite3_column_value(info, i));
            int irc = sqlite3_step(ins);
            sqlite3_reset(ins);
            if (irc != SQLITE_DONE) {
                rc = irc;
                break;
            }
        }
        sqlite3_finalize(ins);
        sqlite3_finalize(info);
        if (rc != SQLITE_DONE)
            return res_fail_sql(dst, rc, err, errlen);
    }

    if ((r = copier_init(&runs, src, dst, "runs", "SELECT id, uid%s%s FROM %s ORDER BY id",
                         "INSERT INTO %s(uid%s%s) VALUES(?%s%s)", run_excl, 2, err, errlen)) < 0)
        goto out;
    for (int t = 0; t < 4; t++) {
        if (!has_table(src, child_tables[t]))
            continue;
        /* rowid order keeps the writer's row order (events in time order). */
        if ((r = copier_init(&child[t], src, dst, child_tables[t],
                             "SELECT run_id%s%s FROM %s WHERE run_id = ? ORDER BY rowid",
                             "INSERT INTO %s(run_id%s%s) VALUES(?%s%s)", child_excl, 1, err,
                             errlen)) < 0)
            goto out;
    }
    if ((rc = sqlite3_prepare_v2(dst->h, "SELECT 1 FROM runs WHERE uid = ?", -1, &find, NULL)) !=
        SQLITE_OK) {
        r = res_fail_sql(dst, rc, err, errlen);
        goto out;
    }

    while ((rc = sqlite3_step(runs.sel)) == SQLITE_ROW) {
        int64_t old_id = sqlite3_column_int64(runs.sel, 0);
        const char *uid = (const char *)sqlite3_column_text(runs.sel, 1);
        char fresh[33];
        if (uid && uid_present(find, uid)) {
            (*skipped)++;
            continue;
        }
        if (!uid) { /* hand-made rows without identity get one now */
            if ((r = res_make_uid(fresh)) < 0) {
                res_fail(dst, NULL, r, err, errlen, "getrandom failed");
                goto out;
            }
            uid = fresh;
        }
        sqlite3_bind_text(runs.ins, 1, uid, -1, SQLITE_TRANSIENT);
        for (int i = 0; i < runs.ncol; i++)
            sqlite3_bind_value(runs.ins, i + 2, sqlite3_column_value(runs.sel, i + 2));
        int irc = sqlite3_step(runs.ins);
        sqlite3_reset(runs.ins);
        if (irc != SQLITE_DONE) {
            r = res_fail_sql(dst, irc, err, errlen);
            goto out;
        }
        int64_t new_id = sqlite3_last_insert_rowid(dst->h);
        for (int t = 0; t < 4; t++) {
            if (!child[t].sel)
                continue;
            if ((irc = copy_children(&child[t], old_id, new_id)) != SQLITE_OK) {
                r = res_fail_sql(dst, irc, err, errlen);
                goto out;
            }
        }
        (*added)++;
    }
    if (rc != SQLITE_DONE)
        r = res_fail_sql(src, rc, err, errlen);
out:
    sqlite3_finalize(find);
    copier_free(&runs);
    for (int t = 0; t < 4; t++)
        copier_free(&child[t]);
    return r;
}

int res_merge(const char *out, const char *const *inputs, int n, unsigned *added,
              unsigned *skipped, char *err, size_t errlen)
{
    unsigned a = 0, s = 0;
    int r = 0;
    struct res_db **in = calloc((size_t)(n > 0 ? n : 1), sizeof(*in));
    struct res_db *dst = NULL;
    struct stat so;
    bool out_exists = stat(out, &so) == 0;
    if (!in)
        return res_fail(NULL, out, -ENOMEM, err, errlen, "out of memory");

    /* Open and validate every input before touching the output. */
    for (int i = 0; i < n; i++) {
        struct stat si;
        if (out_exists && stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino) {
            r = res_fail(NULL, inputs[i], -EINVAL, err, errlen,
                         "input is the output database");
            goto done;
        }
        if ((r = res_open(inputs[i], RES_OPEN_READONLY, &in[i], err, errlen)) < 0)
            goto done;
        int v = res_schema_version(in[i]);
        if (v < 0 || !has_table(in[i], "runs")) {
            r = res_fail(in[i], NULL, -EINVAL, err, errlen, "no hvsim schema (empty database)");
            goto done;
        }
    }
    if ((r = res_open(out, RES_OPEN_CREATE, &dst, err, errlen)) < 0)
        goto done;
    if ((r = res_exec(dst, "BEGIN IMMEDIATE", err, errlen)) < 0)
        goto done;
    for (int i = 0; i < n && r == 0; i++) {
        r = merge_one(dst, in[i], &a, &s, err, errlen);
        if (r < 0 && err && errlen && !strstr(err, inputs[i])) {
            /* prefix which input failed when the message names the output */
            char tmp[512];
            snprintf(tmp, sizeof(tmp), "merging %s: %s", inputs[i], err);
            snprintf(err, errlen, "%s", tmp);
        }
    }
    if (r == 0) /* v0 inputs have counters but no counter_info */
        r = res_exec(dst, "INSERT OR IGNORE INTO counter_info(name) "
                          "SELECT DISTINCT name FROM counters", err, errlen);
    if (r == 0)
        r = res_exec(dst, "COMMIT", err, errlen);
    if (r < 0)
        sqlite3_exec(dst->h, "ROLLBACK", NULL, NULL, NULL);
done:
    for (int i = 0; i < n; i++)
        res_close(in[i]);
    free(in);
    res_close(dst);
    if (r == 0) {
        if (added)
            *added = a;
        if (skipped)
            *skipped = s;
    }
    return r;
}
