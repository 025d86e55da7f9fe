/* results/res_internal.h - shared between the .c files of results/ only (not a public API). */
#ifndef RESULTS_RES_INTERNAL_H
#define RESULTS_RES_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "results/results.h"

struct res_db {
    sqlite3 *h;
    char *path;
    bool readonly;
    int busy_ms; /* busy timeout, also bounds set_wal's retries */
};

/* Map an sqlite result code to a negative errno. */
int res_errno(int rc);
/* err = "<path>: <fmt...>"; returns code (negative). */
int res_fail(const struct res_db *db, const char *path, int code, char *err, size_t errlen,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* err = "<path>: <sqlite message>"; returns res_errno(rc). */
int res_fail_sql(const struct res_db *db, int rc, char *err, size_t errlen);
/* sqlite3_exec wrapper: 0 or negative error with the message in err. */
int res_exec(struct res_db *db, const char *sql, char *err, size_t errlen);
/* Identifier quoting: writes "name" (with embedded quotes doubled) into buf; false when too
 * long. */
bool res_quote_ident(const char *name, char *buf, size_t len);
/* Print the rows of a prepared statement as a JSON array of objects (steps it to the end).
 * Returns the final sqlite rc (SQLITE_DONE on success). */
int res_json_rows(sqlite3_stmt *st, FILE *out);

/* 128 random bits as 32 hex digits (+ NUL). 0 or -errno. */
int res_make_uid(char out[33]);

#endif
