/* sim/cli_compare.c - `hvsim compare`: a metric across runs grouped by a key, with ratios. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/results.h"
#include "sim/cli.h"

static const char compare_usage[] =
    "usage: hvsim compare [--db FILE] --by KEY --metric M [--metric M2 ...] [--where SQL]\n"
    "                     [--baseline VALUE] [--csv]\n"
    "\n"
    "Group runs by KEY and print, per group and metric: n, mean, min, max, sample stddev and\n"
    "the ratio of the group's mean to the baseline group's mean.\n"
    "\n"
    "  --by KEY          a runs column: arch, hv_profile, runstate_policy, cpu_model, workload,\n"
    "                    workload_params, seed, outcome, ...\n"
    "  --metric M        a numeric runs column (insns, cycles, sim_ns, wall_seconds) or a\n"
    "                    counter name (see: hvsim query 'SELECT name FROM counter_info')\n"
    "  --where SQL       only runs matching this SQL expression over the runs columns\n"
    "  --baseline VALUE  the group the ratios are relative to (default: the first group in\n"
    "                    sort order)\n"
    "  --csv             CSV instead of an aligned table\n"
    "  --db FILE         database (default: $HVSIM_DB, else hvsim.db); opened read-only\n";

int sim_cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"by", required_argument, NULL, 'b'},
        {"metric", required_argument, NULL, 'm'}, {"where", required_argument, NULL, 'w'},
        {"baseline", required_argument, NULL, 'B'}, {"csv", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *path = sim_default_db(), *key = NULL, *where = NULL, *baseline = NULL;
    const char **metrics = calloc((size_t)argc + 1, sizeof(*metrics));
    int nmetrics = 0, c, rv = SIM_EXIT_OK;
    enum res_format fmt = RES_FMT_TABLE;
    if (!metrics) {
        sim_errorf("compare: out of memory");
        return SIM_EXIT_FAIL;
    }
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': path = optarg; break;
        case 'b': key = optarg; break;
        case 'm': metrics[nmetrics++] = optarg; break;
        case 'w': where = optarg; break;
        case 'B': baseline = optarg; break;
        case 'c': fmt = RES_FMT_CSV; break;
        case 'h': fputs(compare_usage, stdout); goto out;
        case ':':
            rv = sim_usage_error("compare", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            rv = sim_usage_error("compare", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc)
        rv = sim_usage_error("compare", "unexpected argument '%s'", argv[optind]);
    else if (!key)
        rv = sim_usage_error("compare", "missing --by KEY");
    else if (!nmetrics)
        rv = sim_usage_error("compare", "missing --metric M");
    if (rv != SIM_EXIT_OK)
        goto out;

    struct res_db *db;
    char err[768];
    int r = res_open(path, RES_OPEN_READONLY, &db, err, sizeof(err));
    if (r == 0) {
        r = res_compare(db, key, metrics, nmetrics, where, baseline, fmt, stdout, err,
                        sizeof(err));
        res_close(db);
    }
    if (r < 0) {
        sim_errorf("compare: %s", err);
        rv = SIM_EXIT_FAIL;
    }
out:
    free(metrics);
    return rv;
}
