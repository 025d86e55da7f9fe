/* sim/cli_run.c - `hvsim run`: configure a machine, load the image or workload, run it,
 * and record the run (counters, outcome, config) in the results database. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hv/profile.h"
#include "mmu/cpu_model.h"
#include "results/results.h"
#include "sim/cli.h"
#include "sim/machine.h"
#include "sim/run_config.h"
#include "sim/workload.h"

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int record_run(struct machine *m, const char *config_json, const char *config_hash,
                      double wall, int exit_status)
{
    struct res_db *db;
    char err[512];
    const struct sim_config *c = &m->cfg;
    const char *path = c->db ? c->db : sim_default_db();
    if (res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err))) {
        sim_errorf("run: %s: %s", path, err);
        return -1;
    }
    char host[128] = "";
    gethostname(host, sizeof(host) - 1);
    struct res_run r = {
        .arch = sim_arch_name(c->arch),
        .cpu_model = c->cpu,
        .hv_profile = c->bare ? "bare" : c->hv_profile,
        .runstate_policy = c->bare ? "none" : c->runstate,
        .workload = c->workload ? c->workload : basename_of(c->image),
        .workload_params = c->workload_params ? c->workload_params : "",
        .image_path = c->image,
        .image_sha256 = m->image_sha256,
        .config_json = config_json,
        .config_hash = config_hash,
        .outcome = sim_outcome_name(m->outcome),
        .host = host,
        .seed = c->seed,
        .insns = m->insns,
        .cycles = m->clock.cycles,
        .sim_ns = sim_clock_ns(&m->clock),
        .exit_status = exit_status,
        .wall_seconds = wall,
    };
    int64_t id = res_write_run(db, &r, &m->stats, m->hcalls, m->nhcalls, m->events, m->nevents,
                               m->samples, m->nsamples, err, sizeof(err));
    res_close(db);
    if (id < 0) {
        sim_errorf("run: %s: %s", path, err);
        return -1;
    }
    sim_infof("run %lld recorded in %s", (long long)id, path);
    return 0;
}

int sim_cmd_run(int argc, char **argv)
{
    /* Options, workload, architecture and CPU model: sim/run_config.c (shared with sweep). */
    struct sim_run_setup *setup = malloc(sizeof(*setup));
    char err[512];
    if (!setup) {
        sim_errorf("run: out of memory");
        return SIM_EXIT_FAIL;
    }
    int rc = sim_run_setup(argc, argv, setup, err, sizeof(err));
    if (rc) {
        if (rc == SIM_EXIT_USAGE)
            sim_usage_error("run", "%s", err);
        else if (rc > 0)
            sim_errorf("%s", err);
        free(setup);
        return rc < 0 ? SIM_EXIT_OK : rc;
    }
    struct sim_config cfg = setup->cfg;
    struct mmu_cpu_model model = setup->model;

    struct machine *m = calloc(1, sizeof(*m));
    if (!m) {
        sim_errorf("run: out of memory");
        free(setup);
        return SIM_EXIT_FAIL;
    }
    int status = SIM_EXIT_FAIL;
    if (sim_machine_init(m, &cfg, err, sizeof(err))) {
        sim_errorf("run: %s", err);
        goto out;
    }
    m->model = model;
    m->clock.hz = (uint64_t)model.freq_mhz * 1000000u;
    if (sim_machine_load(m, err, sizeof(err))) {
        sim_errorf("%s: %s", cfg.image, err);
        goto out;
    }

    if (sim_run_setup_hash(setup, m->image_sha256)) {
        sim_errorf("run: configuration too large to record");
        goto out;
    }
    const char *config_json = setup->config_json, *config_hash = setup->config_hash;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = sim_machine_run(m, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fflush(m->console);
    if (rc) {
        sim_errorf("run: %s", err);
        goto out;
    }
    status = m->outcome == SIM_OUT_POWEROFF ? SIM_EXIT_OK : SIM_EXIT_FAIL;
    /* Peak resident set of the whole process (guest RAM is mapped lazily, so this is what
     * the run touched plus the simulator's own structures); scripts/bench.sh reports it. */
    struct rusage ru;
    long rss_kib = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
    sim_infof("%s after %llu instructions, %llu cycles (%.3f ms simulated), %.3f s wall, "
              "%.1f MIPS, peak RSS %ld MiB%s%s", sim_outcome_name(m->outcome),
              (unsigned long long)m->insns, (unsigned long long)m->clock.cycles,
              sim_clock_ns(&m->clock) / 1e6, wall, wall > 0 ? m->insns / wall / 1e6 : 0.0,
              rss_kib / 1024, m->outcome_detail[0] ? ": " : "", m->outcome_detail);

    if (cfg.print_stats)
        sim_stats_print(&m->stats, stderr, 0);
    if (cfg.stats_json) {
        FILE *f = fopen(cfg.stats_json, "w");
        if (!f || sim_stats_write_json(&m->stats, f, m->insns, m->clock.cycles) ||
            fclose(f)) {
            sim_errorf("run: cannot write %s: %s", cfg.stats_json, strerror(errno));
            status = SIM_EXIT_FAIL;
        }
    }
    if (cfg.dump_state) {
        FILE *f = fopen(cfg.dump_state, "w");
        if (!f || sim_machine_dump_state(m, f) || fclose(f)) {
            sim_errorf("run: cannot write %s: %s", cfg.dump_state, f ? "dump failed" :
                       strerror(errno));
            status = SIM_EXIT_FAIL;
        }
    }
    if (!cfg.no_db && record_run(m, config_json, config_hash, wall, status))
        status = SIM_EXIT_FAIL;
out:
    sim_machine_destroy(m);
    free(m);
    free(setup);
    return status;
}
