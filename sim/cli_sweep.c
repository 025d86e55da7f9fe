/* sim/cli_sweep.c - `hvsim sweep SPEC`: run a grid of `hvsim run` configurations (sim/sweep.h,
 * docs/sweep.md) in parallel with resume, list it (--dry-run), or write it out as jobs for GNU
 * parallel and Slurm (--emit-jobs). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli.h"
#include "sim/sweep.h"

static void sweep_help(FILE *f)
{
    fprintf(f,
        "usage: hvsim sweep SPEC [-j N] [--db FILE] [--emit-jobs DIR] [--dry-run]\n"
        "\n"
        "Runs a grid of configurations (architecture x CPU model x hv profile x runstate policy x\n"
        "workload parameters x TLB/walk-cache geometry x seeds) as parallel processes; runs whose\n"
        "config hash and seed are already in the database are skipped, so a stopped sweep\n"
        "resumes where it was. SPEC is an INI-style file of [grid] sections with\n"
        "'key = value, value, ...' lines (docs/sweep.md). Each run's output goes to\n"
        "DB.logs/<config hash>-<seed>.log.\n"
        "\n"
        "  -j, --jobs N        parallel runs (default: all cores)\n"
        "  --db FILE           results database (default $HVSIM_DB or hvsim.db)\n"
        "  --emit-jobs DIR     write DIR/jobs.txt (one command line per pending run, each with\n"
        "                      its own database in DIR/dbs), run-parallel.sh (GNU parallel),\n"
        "                      slurm.sbatch (job array) and merge.sh instead of running\n"
        "  --dry-run           list the points the grid expands to and which are already stored\n"
        "\n"
        "Exit status: 0 every point is in the database (a guest crash is a result, not a\n"
        "failure), 1 a run failed or the sweep was interrupted, 2 usage or spec error.\n");
}

static int dry_run(const struct sim_sweep *sw, const char *db)
{
    char err[512];
    bool *done = calloc(sw->npts ? sw->npts : 1, sizeof(*done));
    if (!done) {
        sim_errorf("sweep: out of memory");
        return SIM_EXIT_FAIL;
    }
    if (sim_sweep_stored(sw, db, done, err, sizeof(err))) {
        sim_errorf("sweep: %s", err);
        free(done);
        return SIM_EXIT_FAIL;
    }
    size_t skip = 0;
    for (size_t i = 0; i < sw->npts; i++) {
        skip += done[i];
        printf("%s  %.12s  %s\n", done[i] ? "skip" : "run ", sw->pts[i].config_hash,
               sw->pts[i].desc);
    }
    sim_infof("sweep: %zu point%s: %zu to run, %zu already in %s (skip)%s", sw->npts,
              sw->npts == 1 ? "" : "s", sw->npts - skip, skip, db, "");
    if (sw->nduplicates)
        sim_infof("sweep: %zu duplicate point%s dropped (same configuration and seed as an "
                  "earlier point)", sw->nduplicates, sw->nduplicates == 1 ? "" : "s");
    free(done);
    return SIM_EXIT_OK;
}

int sim_cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},
        {"emit-jobs", required_argument, NULL, 'e'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;
    uint64_t jobs = 0;
    const char *db = NULL, *emit = NULL;
    bool dry = false;
    while ((o = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
        switch (o) {
        case 'j':
            if (sim_parse_u64(optarg, &jobs, false) || !jobs || jobs > 1024)
                return sim_usage_error("sweep", "-j wants 1..1024, not '%s'", optarg);
            break;
        case 'd': db = optarg; break;
        case 'e': emit = optarg; break;
        case 'n': dry = true; break;
        case 'h':
            sweep_help(stdout);
            return SIM_EXIT_OK;
        default:
            return sim_usage_error("sweep", "unknown option or missing argument near '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return sim_usage_error("sweep", "give exactly one SPEC file");
    if (dry && emit)
        return sim_usage_error("sweep", "--dry-run and --emit-jobs do not go together");
    const char *spec = argv[optind];
    if (access(spec, R_OK)) {
        sim_errorf("sweep: %s: cannot read the spec file: %s", spec, strerror(errno));
        return SIM_EXIT_FAIL;
    }
    if (!db)
        db = sim_default_db();
    if (!jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (uint64_t)n : 1;
    }

    struct sim_sweep sw;
    char err[1024];
    int rc = sim_sweep_load(spec, &sw, err, sizeof(err));
    if (rc) {
        sim_errorf("sweep: %s", err);
        return rc == -EINVAL ? SIM_EXIT_USAGE : SIM_EXIT_FAIL;
    }
    int status;
    if (dry) {
        status = dry_run(&sw, db);
    } else if (emit) {
        size_t n;
        if (sim_sweep_emit_jobs(&sw, emit, db, "/proc/self/exe", &n, err, sizeof(err))) {
            sim_errorf("sweep: %s", err);
            status = SIM_EXIT_FAIL;
        } else {
            sim_infof("sweep: %zu job%s in %s/jobs.txt (of %zu points; the rest are already "
                      "in %s or in a job database); run %s/run-parallel.sh or sbatch "
                      "%s/slurm.sbatch, then %s/merge.sh", n, n == 1 ? "" : "s", emit, sw.npts,
                      db, emit, emit, emit);
            status = SIM_EXIT_OK;
        }
    } else {
        struct sim_sweep_opts so = {
            .db = db, .exe = "/proc/self/exe", .jobs = (unsigned)jobs,
            .tty = isatty(fileno(stderr)) != 0, .msg = stderr,
        };
        status = sim_sweep_run(&sw, &so);
    }
    sim_sweep_free(&sw);
    return status;
}
