/* sim/cli_db.c - `hvsim db check|migrate|merge|export`: results database maintenance. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/results.h"
#include "sim/cli.h"

static const char db_usage[] =
    "usage: hvsim db check   [--db FILE]\n"
    "       hvsim db migrate [--db FILE]\n"
    "       hvsim db merge   A.db B.db ... -o OUT.db\n"
    "       hvsim db export  [--db FILE] (--csv [--table T] | --json) [-o FILE]\n"
    "\n"
    "  check    PRAGMA integrity_check plus the schema (version, tables, columns); prints \"ok\"\n"
    "           or one problem per line (exit 1 on problems)\n"
    "  migrate  apply forward schema migrations (one transaction each)\n"
    "  merge    append the runs of the inputs to OUT (created when missing): new ids, child rows\n"
    "           follow, runs whose uid OUT already has are skipped; inputs are opened read-only;\n"
    "           one transaction\n"
    "  export   CSV of one table (default runs) or JSON of every table\n"
    "\n"
    "  --db FILE   database (default: $HVSIM_DB, else hvsim.db)\n"
    "  -o FILE     output (merge: the database; export: default stdout)\n";

static const struct option db_opts[] = {
    {"db", required_argument, NULL, 'd'},   {"output", required_argument, NULL, 'o'},
    {"csv", no_argument, NULL, 'c'},        {"json", no_argument, NULL, 'j'},
    {"table", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void print_problem(void *ctx, const char *problem)
{
    (void)ctx;
    printf("%s\n", problem);
}

static int db_check(const char *path)
{
    struct res_db *db;
    char err[512];
    int r = res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err));
    if (r < 0) {
        sim_errorf("db: %s", err);
        return SIM_EXIT_FAIL;
    }
    int n = res_check(db, print_problem, NULL);
    res_close(db);
    if (n < 0) {
        sim_errorf("db: %s: check failed: %s", path, strerror(-n));
        return SIM_EXIT_FAIL;
    }
    if (n == 0) {
        printf("ok\n");
        return SIM_EXIT_OK;
    }
    sim_errorf("db: %s: %d problem%s", path, n, n == 1 ? "" : "s");
    return SIM_EXIT_FAIL;
}

static int db_migrate(const char *path)
{
    struct res_db *db;
    char err[512];
    int from = 0, to = 0;
    int r = res_open(path, RES_OPEN_NO_MIGRATE, &db, err, sizeof(err));
    if (r == 0)
        r = res_migrate(db, &from, &to, err, sizeof(err));
    res_close(db);
    if (r < 0) {
        sim_errorf("db: %s", err);
        return SIM_EXIT_FAIL;
    }
    if (from == to)
        printf("%s: schema version %d (up to date)\n", path, to);
    else if (from < 0)
        printf("%s: created schema version %d\n", path, to);
    else
        printf("%s: migrated schema version %d -> %d\n", path, from, to);
    return SIM_EXIT_OK;
}

static int db_merge(const char *out, char **inputs, int n)
{
    char err[768];
    unsigned added = 0, skipped = 0;
    int r = res_merge(out, (const char *const *)inputs, n, &added, &skipped, err, sizeof(err));
    if (r < 0) {
        sim_errorf("db: %s", err);
        return SIM_EXIT_FAIL;
    }
    printf("%s: added %u run%s, skipped %u already present\n", out, added, added == 1 ? "" : "s",
           skipped);
    return SIM_EXIT_OK;
}

static int db_export(const char *path, enum res_format fmt, const char *table, const char *outp)
{
    struct res_db *db;
    char err[512];
    int r = res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err));
    if (r < 0) {
        sim_errorf("db: %s", err);
        return SIM_EXIT_FAIL;
    }
    FILE *out = stdout;
    if (outp && !(out = fopen(outp, "w"))) {
        sim_errorf("db: %s: %s", outp, strerror(errno));
        res_close(db);
        return SIM_EXIT_FAIL;
    }
    r = res_export(db, fmt, table, out, err, sizeof(err));
    res_close(db);
    if (out != stdout && fclose(out) != 0 && r == 0) {
        snprintf(err, sizeof(err), "%s: %s", outp, strerror(errno));
        r = -EIO;
    }
    if (r < 0) {
        sim_errorf("db: %s", err);
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
}

int sim_cmd_db(int argc, char **argv)
{
    if (argc < 2)
        return sim_usage_error("db", "missing subcommand (check, migrate, merge, export)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(db_usage, stdout);
        return SIM_EXIT_OK;
    }
    if (strcmp(sub, "check") && strcmp(sub, "migrate") && strcmp(sub, "merge") &&
        strcmp(sub, "export"))
        return sim_usage_error("db", "unknown subcommand '%s'", sub);

    const char *path = sim_default_db(), *outp = NULL, *table = NULL;
    bool db_given = false;
    int csv = 0, json = 0, c;
    int sargc = argc - 1;
    char **sargv = argv + 1;
    while ((c = getopt_long(sargc, sargv, ":o:h", db_opts, NULL)) != -1) {
        switch (c) {
        case 'd': path = optarg; db_given = true; break;
        case 'o': outp = optarg; break;
        case 'c': csv = 1; break;
        case 'j': json = 1; break;
        case 't': table = optarg; break;
        case 'h': fputs(db_usage, stdout); return SIM_EXIT_OK;
        case ':':
            return sim_usage_error("db", "option '%s' needs a value", sargv[optind - 1]);
        default:
            return sim_usage_error("db", "unknown option '%s'", sargv[optind - 1]);
        }
    }
    int npos = sargc - optind;
    char **pos = sargv + optind;

    if (!strcmp(sub, "merge")) {
        if (db_given || csv || json || table)
            return sim_usage_error("db", "merge takes input databases and -o OUT only");
        if (!outp)
            return sim_usage_error("db", "merge needs -o OUT.db");
        if (npos < 1)
            return sim_usage_error("db", "merge needs at least one input database");
        return db_merge(outp, pos, npos);
    }
    if (npos > 0)
        return sim_usage_error("db", "unexpected argument '%s'", pos[0]);
    if (!strcmp(sub, "export")) {
        if (csv + json != 1)
            return sim_usage_error("db", "export needs exactly one of --csv or --json");
        if (json && table)
            return sim_usage_error("db", "--table goes with --csv (--json exports every table)");
        return db_export(path, csv ? RES_FMT_CSV : RES_FMT_JSON, table, outp);
    }
    if (outp || csv || json || table)
        return sim_usage_error("db", "%s takes only --db", sub);
    return !strcmp(sub, "check") ? db_check(path) : db_migrate(path);
}
