/* results/compare.c - `hvsim compare`: runs grouped by a key, per-group statistics of metrics
 * and the ratio of each group's mean to a baseline group's mean.
 *
 * Statistics: mean and sample standard deviation (n - 1 denominator; 0 for n = 1) computed with
 * Welford's online algorithm (Knuth, TAOCP vol. 2, §4.2.2), which avoids the cancellation of
 * the sum-of-squares formula on large cycle counts. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/res_internal.h"

struct group {
    char *key; /* text of the key value; NULL for SQL NULL */
};

struct acc {
    unsigned n;
    double mean, m2, min, max;
};

static void acc_add(struct acc *a, double v)
{
    a->n++;
    double d = v - a->mean;
    a->mean += d / a->n;
    a->m2 += d * (v - a->mean);
    if (a->n == 1 || v < a->min)
        a->min = v;
    if (a->n == 1 || v > a->max)
        a->max = v;
}

static double acc_stddev(const struct acc *a)
{
    return a->n > 1 ? sqrt(a->m2 / (a->n - 1)) : 0.0;
}

static bool key_eq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Numbers: integral values exactly, others with 2 decimals (table) or full precision (CSV). */
static void fmt_val(char *buf, size_t len, double v, bool csv)
{
    if (v == floor(v) && fabs(v) < 9e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, csv ? "%.17g" : "%.2f", v);
}

/* ---- a small string table ---------------------------------------------------------------- */

#define NCOL 8
#define CELL 128 /* longer keys or metric names are cut */

struct strtab {
    char (*cells)[NCOL][CELL];
    size_t n, cap;
};

static int strtab_row(struct strtab *t)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        void *p = realloc(t->cells, nc * sizeof(*t->cells));
        if (!p)
            return -ENOMEM;
        t->cells = p;
        t->cap = nc;
    }
    memset(t->cells[t->n], 0, sizeof(t->cells[0]));
    t->n++;
    return 0;
}

static void csv_cell(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void strtab_print(const struct strtab *t, bool csv, FILE *out)
{
    size_t w[NCOL] = {0};
    /* columns 0 (key) and 1 (metric) are text, the rest numbers (right-aligned) */
    for (size_t r = 0; r < t->n; r++)
        for (int c = 0; c < NCOL; c++)
            if (strlen(t->cells[r][c]) > w[c])
                w[c] = strlen(t->cells[r][c]);
    for (size_t r = 0; r < t->n; r++) {
        for (int c = 0; c < NCOL; c++) {
            const char *s = t->cells[r][c];
            if (csv) {
                if (c)
                    fputc(',', out);
                csv_cell(out, s);
            } else if (c < 2) {
                fprintf(out, "%s%-*s", c ? "  " : "", (int)w[c], s);
            } else {
                fprintf(out, "  %*s", (int)w[c], s);
            }
        }
        fputc('\n', out);
        if (r == 0 && !csv) {
            for (int c = 0; c < NCOL; c++) {
                fputs(c ? "  " : "", out);
                for (size_t k = 0; k < w[c]; k++)
                    fputc('-', out);
            }
            fputc('\n', out);
        }
    }
}

/* ---- compare ----------------------------------------------------------------------------- */

static bool numeric_runs_column(struct res_db *db, const char *col)
{
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_prepare_v2(db->h, "SELECT upper(type) FROM pragma_table_info('runs') WHERE name=?",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        ok = t && (!strcmp(t, "INTEGER") || !strcmp(t, "REAL"));
    }
    sqlite3_finalize(st);
    return ok;
}

static bool counter_exists(struct res_db *db, const char *name)
{
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM counters WHERE name = ? LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ok;
}

int res_compare(struct res_db *db, const char *key, const char *const *metrics, int nmetrics,
                const char *where, const char *baseline, enum res_format fmt, FILE *out,
                char *err, size_t errlen)
{
    char qkey[160], qm[160];
    struct group *groups = NULL;
    size_t ngroups = 0;
    struct acc *acc = NULL; /* [metric][group] */
    struct strtab tab = {0};
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    int r = 0, rc;
    bool *is_counter = NULL;
    size_t wlen = where ? strlen(where) : 0;

    if (!res_has_column(db, "runs", key) || !res_quote_ident(key, qkey, sizeof(qkey)))
        return res_fail(db, NULL, -EINVAL, err, errlen, "unknown key '%s': not a column of runs",
                        key);
    if (nmetrics < 1)
        return res_fail(db, NULL, -EINVAL, err, errlen, "no metric");
    if (!(is_counter = calloc((size_t)nmetrics, sizeof(bool))))
        return res_fail(db, NULL, -ENOMEM, err, errlen, "out of memory");
    for (int m = 0; m < nmetrics; m++) {
        if (res_has_column(db, "runs", metrics[m])) {
            if (!numeric_runs_column(db, metrics[m])) {
                r = res_fail(db, NULL, -EINVAL, err, errlen,
                             "metric '%s' is not a numeric runs column", metrics[m]);
                goto out;
            }
        } else if (counter_exists(db, metrics[m])) {
            is_counter[m] = true;
        } else {
            r = res_fail(db, NULL, -EINVAL, err, errlen,
                         "unknown metric '%s': neither a numeric runs column nor a counter",
                         metrics[m]);
            goto out;
        }
    }
    if (!(sql = malloc(wlen + 2 * sizeof(qkey) + 2 * sizeof(qm) + 256))) {
        r = res_fail(db, NULL, -ENOMEM, err, errlen, "out of memory");
        goto out;
    }

    /* The groups, in SQL sort order of the key. */
    sprintf(sql, "SELECT DISTINCT r.%s FROM runs r WHERE (%s) ORDER BY 1", qkey,
            where && *where ? where : "1");
    if ((rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL)) != SQLITE_OK) {
        r = res_fail_sql(db, rc, err, errlen);
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct group *g = realloc(groups, (ngroups + 1) * sizeof(*groups));
        if (!g) {
            rc = SQLITE_NOMEM;
            break;
        }
        groups = g;
        const char *k = (const char *)sqlite3_column_text(st, 0);
        groups[ngroups].key = k ? strdup(k) : NULL;
        ngroups++;
    }
    if (rc != SQLITE_DONE) {
        r = res_fail_sql(db, rc, err, errlen);
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!ngroups) {
        r = res_fail(db, NULL, -ENOENT, err, errlen, "no runs match");
        goto out;
    }
    size_t base = 0;
    if (baseline) {
        for (base = 0; base < ngroups; base++)
            if (key_eq(groups[base].key, baseline) ||
                (!groups[base].key && !strcmp(baseline, "NULL")))
                break;
        if (base == ngroups) {
            r = res_fail(db, NULL, -ENOENT, err, errlen, "baseline '%s' is not a value of %s",
                         baseline, key);
            goto out;
        }
    }

    if (!(acc = calloc((size_t)nmetrics * ngroups, sizeof(*acc)))) {
        r = res_fail(db, NULL, -ENOMEM, err, errlen, "out of memory");
        goto out;
    }
    for (int m = 0; m < nmetrics; m++) {
        if (is_counter[m]) {
            snprintf(qm, sizeof(qm), "(SELECT value FROM counters WHERE run_id = r.id AND "
                                     "name = ?1)");
        } else if (!res_quote_ident(metrics[m], qm + 2, sizeof(qm) - 2)) {
            r = res_fail(db, NULL, -EINVAL, err, errlen, "metric name too long");
            goto out;
        } else {
            qm[0] = 'r';
            qm[1] = '.';
        }
        sprintf(sql, "SELECT k, v FROM (SELECT r.%s AS k, %s AS v FROM runs r WHERE (%s)) "
                     "WHERE v IS NOT NULL",
                qkey, qm, where && *where ? where : "1");
        if ((rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL)) != SQLITE_OK) {
            r = res_fail_sql(db, rc, err, errlen);
            goto out;
        }
        if (is_counter[m])
            sqlite3_bind_text(st, 1, metrics[m], -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            double v = is_counter[m] ? (double)(uint64_t)sqlite3_column_int64(st, 1)
                                     : sqlite3_column_double(st, 1);
            for (size_t g = 0; g < ngroups; g++)
                if (key_eq(groups[g].key, k)) {
                    acc_add(&acc[(size_t)m * ngroups + g], v);
                    break;
                }
        }
        if (rc != SQLITE_DONE) {
            r = res_fail_sql(db, rc, err, errlen);
            goto out;
        }
        sqlite3_finalize(st);
        st = NULL;
    }

    bool csv = fmt == RES_FMT_CSV;
    static const char *const head[NCOL] = {NULL,  "metric", "n",      "mean",
                                           "min", "max",    "stddev", "ratio"};
    if ((r = strtab_row(&tab)) < 0)
        goto oom;
    for (int c = 0; c < NCOL; c++)
        snprintf(tab.cells[0][c], sizeof(tab.cells[0][c]), "%s", c ? head[c] : key);
    for (size_t g = 0; g < ngroups; g++) {
        for (int m = 0; m < nmetrics; m++) {
            const struct acc *a = &acc[(size_t)m * ngroups + g];
            const struct acc *b = &acc[(size_t)m * ngroups + base];
            if ((r = strtab_row(&tab)) < 0)
                goto oom;
            char(*row)[CELL] = tab.cells[tab.n - 1];
            snprintf(row[0], CELL, "%s", groups[g].key ? groups[g].key : "NULL");
            snprintf(row[1], CELL, "%s", metrics[m]);
            snprintf(row[2], CELL, "%u", a->n);
            if (a->n) {
                fmt_val(row[3], CELL, a->mean, csv);
                fmt_val(row[4], CELL, a->min, csv);
                fmt_val(row[5], CELL, a->max, csv);
                fmt_val(row[6], CELL, acc_stddev(a), csv);
            } else {
                for (int c = 3; c < 7; c++)
                    snprintf(row[c], CELL, "%s", csv ? "" : "-");
            }
            if (a->n && b->n && b->mean != 0.0)
                snprintf(row[7], CELL, csv ? "%.6f" : "%.4f", a->mean / b->mean);
            else
                snprintf(row[7], CELL, "%s", csv ? "" : "-");
        }
    }
    strtab_print(&tab, csv, out);
    if (fflush(out) != 0 || ferror(out))
        r = res_fail(db, NULL, -EIO, err, errlen, "write error: %s", strerror(errno));
    goto out;
oom:
    r = res_fail(db, NULL, -ENOMEM, err, errlen, "out of memory");
out:
    sqlite3_finalize(st);
    for (size_t g = 0; g < ngroups; g++)
        free(groups[g].key);
    free(groups);
    free(acc);
    free(tab.cells);
    free(sql);
    free(is_counter);
    return r;
}
