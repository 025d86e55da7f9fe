/* sim/sampler.h - time samples of a few counters (the database's `samples` table): every
 * SIM_SAMPLE_CYCLES simulated cycles the engine's run loop calls sim_sampler_tick(), which
 * records (cycle, counter, value) for the counters below that exist in the run. They feed the
 * "TLB misses over time" plot (scripts/plot_samples.py). Sampling reads counters only: it
 * changes no result. */
#ifndef SIM_SAMPLER_H
#define SIM_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "results/results.h"

struct sim_stats;

#define SIM_SAMPLE_CYCLES 1000000ull  /* one sample per million simulated cycles */
#define SIM_SAMPLE_MAX 4096           /* rows per counter at most; the interval doubles past it */

struct sim_sampler {
    uint64_t interval, next;
    unsigned n;                 /* counters found (0 until the first tick looked them up) */
    int looked_up;
    const char *names[16];
    const uint64_t *ctr[16];
    struct res_sample *rows;
    size_t nrows, cap;
};

void sim_sampler_init(struct sim_sampler *s);
/* Record the counters if `cycle` reached the next sample point. */
void sim_sampler_tick(struct sim_sampler *s, const struct sim_stats *stats, uint64_t cycle);
/* A last sample at the end of the run. */
void sim_sampler_finish(struct sim_sampler *s, const struct sim_stats *stats, uint64_t cycle);
void sim_sampler_free(struct sim_sampler *s);

#endif
