/* sim/cli_query.c - `hvsim query`: run SQL on a read-only connection and print the result. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "results/results.h"
#include "sim/cli.h"

static const char query_usage[] =
    "usage: hvsim query [--db FILE] [--csv|--json] 'SQL'\n"
    "\n"
    "Run SQL (one or more statements) on a read-only connection and print each result set as\n"
    "an aligned table (NULL shown as NULL), CSV (RFC 4180 quoting, NULL as an empty field) or\n"
    "a JSON array of objects.\n"
    "\n"
    "  --db FILE  database (default: $HVSIM_DB, else hvsim.db)\n"
    "  --csv      CSV\n"
    "  --json     JSON\n"
    "\n"
    "Tables: runs, counters, counter_info, hypercalls, events, samples, schema_version.\n"
    "Example: hvsim query \"SELECT arch, avg(cycles) FROM runs GROUP BY arch\"\n";

int sim_cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"csv", no_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = sim_default_db();
    enum res_format fmt = RES_FMT_TABLE;
    int c, nfmt = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': path = optarg; break;
        case 'c': fmt = RES_FMT_CSV; nfmt++; break;
        case 'j': fmt = RES_FMT_JSON; nfmt++; break;
        case 'h': fputs(query_usage, stdout); return SIM_EXIT_OK;
        case ':': return sim_usage_error("query", "option '%s' needs a value", argv[optind - 1]);
        default: return sim_usage_error("query", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (nfmt > 1)
        return sim_usage_error("query", "--csv and --json exclude each other");
    if (optind >= argc)
        return sim_usage_error("query", "missing SQL");
    if (argc - optind > 1)
        return sim_usage_error("query", "one SQL argument expected (quote it)");

    struct res_db *db;
    char err[768];
    int r = res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err));
    if (r == 0) {
        r = res_query_print(db, argv[optind], fmt, stdout, err, sizeof(err));
        res_close(db);
    }
    if (r < 0) {
        sim_errorf("query: %s", err);
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
}
