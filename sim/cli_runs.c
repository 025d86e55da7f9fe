/* sim/cli_runs.c - `hvsim runs`: list the runs stored in a database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/results.h"
#include "sim/cli.h"

static const char runs_usage[] =
    "usage: hvsim runs [--db FILE] [--where SQL] [--limit N] [--csv|--json]\n"
    "\n"
    "List runs (oldest first): id, time, arch, workload, cpu, profile, policy, seed, outcome,\n"
    "insns, cycles, wall_s.\n"
    "\n"
    "  --db FILE    database (default: $HVSIM_DB, else hvsim.db); opened read-only\n"
    "  --where SQL  filter, an SQL expression over the runs columns\n"
    "               (e.g. \"arch = 'arm64' AND outcome = 'poweroff'\")\n"
    "  --limit N    only the N most recent runs\n"
    "  --csv        CSV instead of an aligned table\n"
    "  --json       JSON array of objects\n";

int sim_cmd_runs(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},   {"where", required_argument, NULL, 'w'},
        {"limit", required_argument, NULL, 'l'}, {"csv", no_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = sim_default_db(), *where = NULL;
    uint64_t limit = 0;
    bool have_limit = false;
    enum res_format fmt = RES_FMT_TABLE;
    int c, nfmt = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': path = optarg; break;
        case 'w': where = optarg; break;
        case 'l':
            if (sim_parse_u64(optarg, &limit, false) || limit > INT64_MAX)
                return sim_usage_error("runs", "bad --limit '%s'", optarg);
            have_limit = true;
            break;
        case 'c': fmt = RES_FMT_CSV; nfmt++; break;
        case 'j': fmt = RES_FMT_JSON; nfmt++; break;
        case 'h': fputs(runs_usage, stdout); return SIM_EXIT_OK;
        case ':': return sim_usage_error("runs", "option '%s' needs a value", argv[optind - 1]);
        default: return sim_usage_error("runs", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return sim_usage_error("runs", "unexpected argument '%s'", argv[optind]);
    if (nfmt > 1)
        return sim_usage_error("runs", "--csv and --json exclude each other");

    static const char cols[] =
        "id, time, arch, workload, cpu_model AS cpu, hv_profile AS profile, "
        "runstate_policy AS policy, seed, outcome, insns, cycles, "
        "round(wall_seconds, 3) AS wall_s";
    size_t len = sizeof(cols) + (where ? strlen(where) : 0) + 160;
    char *sql = malloc(len);
    if (!sql) {
        sim_errorf("runs: out of memory");
        return SIM_EXIT_FAIL;
    }
    if (have_limit)
        snprintf(sql, len, "SELECT * FROM (SELECT %s FROM runs WHERE (%s) ORDER BY id DESC "
                           "LIMIT %llu) ORDER BY id",
                 cols, where ? where : "1", (unsigned long long)limit);
    else
        snprintf(sql, len, "SELECT %s FROM runs WHERE (%s) ORDER BY id", cols,
                 where ? where : "1");

    struct res_db *db;
    char err[512];
    int r = res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err));
    if (r == 0) {
        r = res_query_print(db, sql, fmt, stdout, err, sizeof(err));
        res_close(db);
    }
    free(sql);
    if (r < 0) {
        sim_errorf("runs: %s", err);
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
}
