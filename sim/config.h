/* sim/config.h - one run's configuration: what `hvsim run` options (or a sweep point) say.
 * The canonical JSON of the result-affecting fields and its SHA-256 are stored with the run;
 * a sweep skips points whose (config hash, seed) is already in the database. */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/hash.h"

enum sim_arch { SIM_ARCH_NONE = 0, SIM_ARCH_A64 = 1, SIM_ARCH_X64 = 2 };

struct sim_config {
    enum sim_arch arch;
    const char *image;          /* --image FILE */
    const char *workload;       /* --workload NAME (without params) */
    const char *workload_params;/* "k=v,k=v" after ':' */
    bool bare;
    const char *cpu;            /* CPU model name */
    const char *tlb_spec, *pwc_spec, *cache_spec;
    const char *hv_profile;
    const char *runstate;       /* policy name or "profile" */
    uint64_t mem_bytes;
    unsigned vcpus, pcpus;
    uint64_t timeslice_us;
    const char *cmdline;
    const char *initrd;
    bool have_load_addr;
    uint64_t load_addr;
    bool vpl011;
    bool confidential;          /* --confidential: modelled confidential VM (docs/hv.md) */
#define SIM_MAX_EXTRA_DOMAINS 3
    const char *domains[SIM_MAX_EXTRA_DOMAINS]; /* --domain SPEC: domains 2.. (docs/hv.md) */
    unsigned ndomains;
    uint64_t seed;
    uint64_t max_insns;         /* 0 = no limit */
    /* outputs: not part of the config hash */
    const char *db;
    bool no_db;
    const char *dump_state;
    const char *stats_json;
    bool trace;
    bool print_stats;
};

void sim_config_defaults(struct sim_config *c);
const char *sim_arch_name(enum sim_arch a);
enum sim_arch sim_arch_parse(const char *s);

/* Canonical JSON (fixed key order, only result-affecting fields) into buf. extra_json, when
 * non-NULL, is a JSON object text appended as "model": ... (e.g. the resolved CPU geometry).
 * Returns the length, or -1 if buf is too small. */
int sim_config_json(const struct sim_config *c, const char *image_sha256, const char *extra_json,
                    char *buf, size_t len);
void sim_config_hash(const char *json, char out[SIM_SHA256_HEX_LEN]);

#endif
