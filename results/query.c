/* results/query.c - printing SQL results (aligned table, CSV, JSON) and exporting tables.
 * CSV quoting follows RFC 4180 §2 (fields with comma, quote, CR or LF are enclosed in double
 * quotes, embedded quotes doubled); records end in LF. JSON follows RFC 8259 (strings escaped,
 * integers and reals as numbers, non-finite reals and NULL as null, blobs as hex strings). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/res_internal.h"

/* ---- cells ------------------------------------------------------------------------------- */

static void put_hex(FILE *out, const void *p, int n)
{
    const unsigned char *b = p;
    for (int i = 0; i < n; i++)
        fprintf(out, "%02x", b[i]);
}

static void csv_field(FILE *out, const char *s)
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

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void json_value(FILE *out, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        fputs("null", out);
        break;
    case SQLITE_INTEGER:
        fprintf(out, "%lld", (long long)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        /* SQLite renders infinities as "Inf"/"-Inf": not JSON numbers. */
        if (!t || strstr(t, "Inf") || strstr(t, "nan") || strstr(t, "NaN"))
            fputs("null", out);
        else if (!strpbrk(t, ".eE"))
            fprintf(out, "%s.0", t);
        else
            fputs(t, out);
        break;
    }
    case SQLITE_BLOB:
        fputc('"', out);
        put_hex(out, sqlite3_column_blob(st, i), sqlite3_column_bytes(st, i));
        fputc('"', out);
        break;
    default:
        json_string(out, (const char *)sqlite3_column_text(st, i));
    }
}

int res_json_rows(sqlite3_stmt *st, FILE *out)
{
    int ncol = sqlite3_column_count(st), rc, nrow = 0;
    fputc('[', out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fputs(nrow++ ? ",\n  {" : "\n  {", out);
        for (int i = 0; i < ncol; i++) {
            if (i)
                fputs(", ", out);
            json_string(out, sqlite3_column_name(st, i));
            fputs(": ", out);
            json_value(out, st, i);
        }
        fputc('}', out);
    }
    fputs(nrow ? "\n]" : "]", out);
    return rc;
}

/* ---- aligned table ----------------------------------------------------------------------- */

struct table {
    int ncol;
    size_t nrow, cap;
    char **cells;   /* (nrow + 1) * ncol, row 0 = headers */
    size_t *width;  /* per column */
    bool *numeric;  /* every non-NULL value is INTEGER or REAL */
    bool *any;      /* column has a non-NULL value */
};

static void table_free(struct table *t)
{
    if (t->cells)
        for (size_t i = 0; i < (t->nrow + 1) * (size_t)t->ncol; i++)
            free(t->cells[i]);
    free(t->cells);
    free(t->width);
    free(t->numeric);
    free(t->any);
}

static char *cell_text(sqlite3_stmt *st, int i)
{
    int type = sqlite3_column_type(st, i);
    if (type == SQLITE_NULL)
        return strdup("NULL");
    if (type == SQLITE_BLOB) {
        int n = sqlite3_column_bytes(st, i);
        const unsigned char *b = sqlite3_column_blob(st, i);
        char *s = malloc(2 * (size_t)n + 4);
        if (!s)
            return NULL;
        size_t o = 0;
        s[o++] = 'X';
        s[o++] = '\'';
        for (int k = 0; k < n; k++, o += 2)
            snprintf(s + o, 3, "%02x", b[k]);
        s[o++] = '\'';
        s[o] = '\0';
        return s;
    }
    return strdup((const char *)sqlite3_column_text(st, i));
}

/* Display width: UTF-8 code points (continuation bytes do not count). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static void print_cell(FILE *out, const char *s, size_t width, bool right, bool last)
{
    size_t pad = width - text_width(s);
    if (right)
        fprintf(out, "%*s", (int)pad, "");
    fputs(s, out);
    if (!right && !last)
        fprintf(out, "%*s", (int)pad, "");
}

static int table_rows(sqlite3_stmt *st, FILE *out)
{
    struct table t = {.ncol = sqlite3_column_count(st)};
    int rc = SQLITE_NOMEM;
    size_t n = (size_t)t.ncol;
    t.cap = 16;
    t.cells = calloc(t.cap * n, sizeof(char *));
    t.width = calloc(n, sizeof(size_t));
    t.numeric = calloc(n, sizeof(bool));
    t.any = calloc(n, sizeof(bool));
    if (!t.cells || !t.width || !t.numeric || !t.any)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!(t.cells[i] = strdup(sqlite3_column_name(st, (int)i))))
            goto out;
        t.width[i] = text_width(t.cells[i]);
        t.numeric[i] = true;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (t.nrow + 2 > t.cap) {
            char **nc = realloc(t.cells, t.cap * 2 * n * sizeof(char *));
            if (!nc) {
                rc = SQLITE_NOMEM;
                goto out;
            }
            memset(nc + t.cap * n, 0, t.cap * n * sizeof(char *));
            t.cells = nc;
            t.cap *= 2;
        }
        char **row = t.cells + (t.nrow + 1) * n;
        t.nrow++;
        for (size_t i = 0; i < n; i++) {
            int type = sqlite3_column_type(st, (int)i);
            if (!(row[i] = cell_text(st, (int)i))) {
                rc = SQLITE_NOMEM;
                goto out;
            }
            if (type != SQLITE_NULL) {
                t.any[i] = true;
                if (type != SQLITE_INTEGER && type != SQLITE_FLOAT)
                    t.numeric[i] = false;
            }
            size_t w = text_width(row[i]);
            if (w > t.width[i])
                t.width[i] = w;
        }
    }
    if (rc != SQLITE_DONE)
        goto out;
    for (size_t r = 0; r <= t.nrow; r++) {
        for (size_t i = 0; i < n; i++) {
            if (i)
                fputs("  ", out);
            print_cell(out, t.cells[r * n + i], t.width[i], t.numeric[i] && t.any[i],
                       i + 1 == n);
        }
        fputc('\n', out);
        if (r == 0) {
            for (size_t i = 0; i < n; i++) {
                if (i)
                    fputs("  ", out);
                for (size_t k = 0; k < t.width[i]; k++)
                    fputc('-', out);
            }
            fputc('\n', out);
        }
    }
out:
    table_free(&t);
    return rc;
}

static int csv_rows(sqlite3_stmt *st, FILE *out)
{
    int ncol = sqlite3_column_count(st), rc;
    for (int i = 0; i < ncol; i++) {
        if (i)
            fputc(',', out);
        csv_field(out, sqlite3_column_name(st, i));
    }
    fputc('\n', out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncol; i++) {
            if (i)
                fputc(',', out);
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_NULL:
                break; /* empty field */
            case SQLITE_BLOB:
                put_hex(out, sqlite3_column_blob(st, i), sqlite3_column_bytes(st, i));
                break;
            default:
                csv_field(out, (const char *)sqlite3_column_text(st, i));
            }
        }
        fputc('\n', out);
    }
    return rc;
}

/* ---- public ------------------------------------------------------------------------------ */

int res_query_print(struct res_db *db, const char *sql, enum res_format fmt, FILE *out,
                    char *err, size_t errlen)
{
    const char *p = sql;
    int sets = 0;
    while (p && *p) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(db->h, p, -1, &st, &tail);
        if (rc != SQLITE_OK)
            return res_fail_sql(db, rc, err, errlen);
        p = tail;
        if (!st) /* whitespace or comment */
            continue;
        if (sqlite3_column_count(st) == 0) {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW)
                rc = SQLITE_DONE;
        } else {
            if (sets++ && fmt != RES_FMT_JSON)
                fputc('\n', out); /* blank line between result sets */
            if (fmt == RES_FMT_TABLE)
                rc = table_rows(st, out);
            else if (fmt == RES_FMT_CSV)
                rc = csv_rows(st, out);
            else {
                if (sets > 1)
                    fputc('\n', out);
                rc = res_json_rows(st, out);
                fputc('\n', out);
            }
        }
        if (rc != SQLITE_DONE) {
            int r = res_fail_sql(db, rc, err, errlen);
            sqlite3_finalize(st);
            return r;
        }
        sqlite3_finalize(st);
    }
    if (fflush(out) != 0 || ferror(out))
        return res_fail(db, NULL, -EIO, err, errlen, "write error: %s", strerror(errno));
    return 0;
}

/* Tables to export, in creation order (schema_version is reported as a number). */
static int list_tables(struct res_db *db, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(db->h,
                              "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                              "LIKE 'sqlite\\_%' ESCAPE '\\' AND name != 'schema_version' "
                              "ORDER BY rowid",
                              -1, st, NULL);
}

static bool table_exists(struct res_db *db, const char *table)
{
    sqlite3_stmt *st;
    bool found = false;
    if (list_tables(db, &st) != SQLITE_OK)
        return false;
    while (!found && sqlite3_step(st) == SQLITE_ROW)
        found = !strcmp((const char *)sqlite3_column_text(st, 0), table);
    sqlite3_finalize(st);
    return found;
}

int res_export(struct res_db *db, enum res_format fmt, const char *table, FILE *out, char *err,
               size_t errlen)
{
    char q[256], sql[320];
    if (fmt != RES_FMT_JSON) {
        if (!table)
            table = "runs";
        if (!table_exists(db, table))
            return res_fail(db, NULL, -ENOENT, err, errlen, "no table '%s'", table);
        if (!res_quote_ident(table, q, sizeof(q)))
            return res_fail(db, NULL, -EINVAL, err, errlen, "table name too long");
        snprintf(sql, sizeof(sql), "SELECT * FROM %s", q);
        return res_query_print(db, sql, fmt, out, err, errlen);
    }
    int ver = res_schema_version(db);
    sqlite3_stmt *tabs;
    int rc = list_tables(db, &tabs);
    if (rc != SQLITE_OK)
        return res_fail_sql(db, rc, err, errlen);
    fprintf(out, "{\"schema_version\": %d", ver);
    while ((rc = sqlite3_step(tabs)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(tabs, 0);
        sqlite3_stmt *st;
        if (!res_quote_ident(name, q, sizeof(q)))
            continue;
        snprintf(sql, sizeof(sql), "SELECT * FROM %s", q);
        if ((rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL)) != SQLITE_OK)
            break;
        fputs(",\n", out);
        json_string(out, name);
        fputs(": ", out);
        rc = res_json_rows(st, out);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            break;
    }
    sqlite3_finalize(tabs);
    fputs("}\n", out);
    if (rc != SQLITE_DONE)
        return res_fail_sql(db, rc, err, errlen);
    if (fflush(out) != 0 || ferror(out))
        return res_fail(db, NULL, -EIO, err, errlen, "write error: %s", strerror(errno));
    return 0;
}
