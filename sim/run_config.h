/* sim/run_config.h - what an `hvsim run` command line means: its options parsed and resolved
 * (workload image, architecture, CPU model with overrides) and the canonical config JSON and
 * hash stored with the run. Shared by `hvsim run` and `hvsim sweep`, so a sweep computes a
 * point's config hash exactly as the run it launches will (resume skips points by this hash). */
#ifndef SIM_RUN_CONFIG_H
#define SIM_RUN_CONFIG_H

#include <stddef.h>

#include "mmu/cpu_model.h"
#include "sim/config.h"
#include "sim/hash.h"

struct sim_run_setup {
    struct sim_config cfg;          /* strings point into argv or workload_path */
    struct mmu_cpu_model model;     /* cfg.cpu with --tlb/--pwc/--cache applied */
    char workload_path[4096];       /* cfg.image when --workload was given */
    char cmdline_buf[4096];         /* cfg.cmdline with the workload parameters appended */
    char initrd_path[4096];         /* cfg.initrd of the linux workload */
    char profile_buf[64];           /* cfg.hv_profile from the linux workload's profile=NAME */
    bool mem_given;                 /* --mem was on the command line */
    bool profile_given;             /* --hv-profile was on the command line */
    char config_json[8192];         /* filled by sim_run_setup_hash */
    char config_hash[SIM_SHA256_HEX_LEN];
};

/* Parse `hvsim run` arguments (argv[0] is the command name; getopt is reset first) and resolve
 * them. argv strings may be modified (a workload spec is split at ':') and must outlive s.
 * Returns 0; SIM_EXIT_USAGE or SIM_EXIT_FAIL with a one-line message in err (usage messages
 * without the "run: " prefix, failure messages complete); or -1 when --help or a list
 * ("--cpu help", ...) was printed on stdout. */
int sim_run_setup(int argc, char **argv, struct sim_run_setup *s, char *err, size_t errlen);

/* Canonical config JSON and its hash for s and an image with this SHA-256.
 * 0, or -ENOSPC when the configuration is too large to record. */
int sim_run_setup_hash(struct sim_run_setup *s, const char *image_sha256);

#endif
