/* hv/hcall_stats.h - per-hypercall statistics shared by the Arm and x86 models: one row
 * per (vCPU, hypercall number, sub-op) with calls, cycles, guest-memory translations, walk
 * references by stage, hypervisor TLB misses and failures (results.h res_hcall_row), mirrored
 * into sim_stats as "hcall.<name>[.<subop>].<field>" (summed over vCPUs). */
#ifndef HV_HCALL_STATS_H
#define HV_HCALL_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "results/results.h"

struct sim_stats;

struct hv_hcall_stats {
    struct sim_stats *stats;
    struct res_hcall_row *rows;
    uint64_t **ctr;           /* per row: 7 counters (calls ... failures) */
    size_t n, cap;
};

/* What one call cost (deltas measured by the caller). */
struct hv_hcall_sample {
    uint64_t cycles, translations, walk_refs_s1, walk_refs_s2, tlb_misses;
    int failed;
};

void hv_hcall_stats_init(struct hv_hcall_stats *t, struct sim_stats *stats);
void hv_hcall_stats_free(struct hv_hcall_stats *t);
/* Add one call. name / subop_name must be string literals (kept by pointer). subop -1: none.
 * Returns 0 or -ENOMEM. */
int hv_hcall_stats_add(struct hv_hcall_stats *t, unsigned vcpu, unsigned nr, const char *name,
                       int subop, const char *subop_name, const struct hv_hcall_sample *s);
const struct res_hcall_row *hv_hcall_stats_find(const struct hv_hcall_stats *t, unsigned vcpu,
                                                unsigned nr, int subop);

#endif
