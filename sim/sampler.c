/* sim/sampler.c - counter time samples (see sampler.h). */
#include "sim/sampler.h"

#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"

/* The counters worth watching over time: TLB misses and walks of the guest and of the
 * hypervisor, and the runstate updates that succeed or fail. */
static const char *const sampled[] = {
    "guest.itlb.l1.miss", "guest.dtlb.l1.miss", "guest.tlb.l2.miss", "guest.walk.count",
    "hv.dtlb.l1.miss",    "hv.tlb.l2.miss",     "hv.walk.count",     "hv.runstate.updates",
    "hv.runstate.failures",
};

void sim_sampler_init(struct sim_sampler *s)
{
    memset(s, 0, sizeof(*s));
    s->interval = SIM_SAMPLE_CYCLES;
    s->next = SIM_SAMPLE_CYCLES;
}

static void lookup(struct sim_sampler *s, const struct sim_stats *stats)
{
    s->looked_up = 1;
    for (size_t i = 0; i < sizeof(sampled) / sizeof(sampled[0]) && s->n < 16; i++) {
        const struct sim_stat *st = sim_stats_find(stats, sampled[i]);
        if (st) {
            s->names[s->n] = st->name; /* stable for the registry's life */
            s->ctr[s->n] = &st->value;
            s->n++;
        }
    }
}

/* Keep every other sample point when a run is long, so a run stores a bounded number of rows. */
static void thin(struct sim_sampler *s)
{
    size_t out = 0;
    uint64_t keep = s->interval * 2;
    for (size_t i = 0; i < s->nrows; i++)
        if (s->rows[i].cycle % keep == 0)
            s->rows[out++] = s->rows[i];
    s->nrows = out;
    s->interval = keep;
    s->next = (s->next + keep - 1) / keep * keep;
}

static void record(struct sim_sampler *s, uint64_t cycle)
{
    if (s->nrows + s->n > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        struct res_sample *r = realloc(s->rows, ncap * sizeof(*r));
        if (!r)
            return; /* samples are best effort: the run itself is unaffected */
        s->rows = r;
        s->cap = ncap;
    }
    for (unsigned i = 0; i < s->n; i++)
        s->rows[s->nrows++] = (struct res_sample){cycle, s->names[i], *s->ctr[i]};
}

void sim_sampler_tick(struct sim_sampler *s, const struct sim_stats *stats, uint64_t cycle)
{
    if (cycle < s->next)
        return;
    if (!s->looked_up)
        lookup(s, stats);
    if (!s->n)
        return;
    /* Stamp the sample with the sample point it stands for (the loop may overshoot). */
    uint64_t point = cycle / s->interval * s->interval;
    record(s, point);
    s->next = point + s->interval;
    if (s->n && s->nrows / s->n > SIM_SAMPLE_MAX)
        thin(s);
}

void sim_sampler_finish(struct sim_sampler *s, const struct sim_stats *stats, uint64_t cycle)
{
    if (!s->looked_up)
        lookup(s, stats);
    if (s->n && (!s->nrows || s->rows[s->nrows - 1].cycle != cycle))
        record(s, cycle);
}

void sim_sampler_free(struct sim_sampler *s)
{
    free(s->rows);
    memset(s, 0, sizeof(*s));
}
