/* sim/sweep.h - `hvsim sweep`: a grid of `hvsim run` configurations read from a spec file
 * (INI-style, see docs/sweep.md), expanded into points, each hashed exactly as `hvsim run`
 * hashes its configuration (sim/run_config.h), then run as parallel processes with resume, or
 * written out as job lines for GNU parallel / Slurm. */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/hash.h"

#define SIM_SWEEP_MAX_POINTS 1000000u

struct sim_sweep_point {
    char **args;        /* "run" then the `hvsim run` options (no --db), NULL-terminated */
    int nargs;
    char *desc;         /* "arch=arm64 cpu=cortex-a57 cache=off seed=1": the point's values */
    uint64_t seed;
    char config_hash[SIM_SHA256_HEX_LEN];
    int line;           /* line of the [grid] section the point comes from */
};

struct sim_sweep {
    char *path;                 /* the spec file */
    struct sim_sweep_point *pts;
    size_t npts;
    size_t nduplicates;         /* points dropped: same (config hash, seed) as an earlier one */
};

/* Read, validate and expand a spec; every point is hashed. Returns 0; -EINVAL for a spec
 * error with "FILE:LINE: message" in err; another negative errno (message in err) when the
 * file cannot be read or memory runs out. sw is empty on error. */
int sim_sweep_load(const char *path, struct sim_sweep *sw, char *err, size_t errlen);
void sim_sweep_free(struct sim_sweep *sw);

/* Which points are already stored: done[i] = true when (config hash, seed) of point i is in
 * the database db (a missing database stores nothing). 0 or negative error (message in err). */
int sim_sweep_stored(const struct sim_sweep *sw, const char *db, bool *done, char *err,
                     size_t errlen);

struct sim_sweep_opts {
    const char *db;     /* the sweep's database (each run gets --db db) */
    const char *exe;    /* the hvsim binary to execute (e.g. /proc/self/exe) */
    unsigned jobs;      /* parallel runs, >= 1 */
    bool tty;           /* progress line updated in place (else one plain line per run) */
    FILE *msg;          /* progress and summary (stderr) */
};

/* Run every point not yet in o->db, at most o->jobs at a time, each as `exe run ... --db DB`
 * with stdout and stderr in DB.logs/<hash>-<seed>.log. A run counts as done when it exited 0
 * or 1 (guest crash, max-insns: a result) and its row is in the database; anything else
 * (usage error, simulation error, signal) is a failure. SIGINT/SIGTERM stop the sweep (running
 * runs are terminated; nothing half-written stays in the database). Returns SIM_EXIT_OK when
 * every point is stored, SIM_EXIT_FAIL otherwise. */
int sim_sweep_run(const struct sim_sweep *sw, const struct sim_sweep_opts *o);

/* Write DIR/jobs.txt (one shell-quoted `hvsim run ... --db DIR/dbs/<hash>-<seed>.db` line per
 * point neither in db nor in its job database), DIR/run-parallel.sh, DIR/slurm.sbatch and
 * DIR/merge.sh (merging the job databases into db). *njobs receives the number of lines.
 * 0 or negative error (message in err). */
int sim_sweep_emit_jobs(const struct sim_sweep *sw, const char *dir, const char *db,
                        const char *exe, size_t *njobs, char *err, size_t errlen);

/* Shell-quote s for a POSIX shell into out (single quotes when needed). Returns the length,
 * or -1 when out is too small. */
int sim_sweep_shell_quote(const char *s, char *out, size_t len);

#endif
