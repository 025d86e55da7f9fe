/* sim/stats.h - named 64-bit counters, registered once with a unit and a one-line
 * description (in the spirit of gem5's ADD_STAT). A counter's address is stable for the
 * life of the registry, so hot paths keep the pointer and do `(*ctr)++`.
 *
 * Names are dotted paths; the first component is the group: "guest.dtlb.l1.hit",
 * "hv.walk.refs.s2", "vcpu0.insns", "hcall.vcpu_op.register_runstate.calls". */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdint.h>
#include <stdio.h>

struct sim_stat {
    char *name;
    char *unit;   /* "count", "cycles", "ns", "bytes", ... */
    char *desc;
    uint64_t value;
};

struct sim_stat_block;

struct sim_stats {
    struct sim_stat_block *head, *tail; /* chunked storage: pointers never move */
    unsigned count;
    struct sim_stat **index;            /* open-addressed hash on name */
    unsigned index_size;
};

void sim_stats_init(struct sim_stats *s);
void sim_stats_destroy(struct sim_stats *s);

/* Register (or find, if the name exists: unit and description are then kept) a counter.
 * Returns a pointer to its value, or NULL when out of memory. */
uint64_t *sim_stats_add(struct sim_stats *s, const char *name, const char *unit, const char *desc);
uint64_t *sim_stats_addf(struct sim_stats *s, const char *unit, const char *desc,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const struct sim_stat *sim_stats_find(const struct sim_stats *s, const char *name);
uint64_t sim_stats_get(const struct sim_stats *s, const char *name); /* 0 if absent */

/* Iterate in registration order: for (i = 0; i < s->count; i++) sim_stats_at(s, i). */
const struct sim_stat *sim_stats_at(const struct sim_stats *s, unsigned i);

void sim_stats_reset(struct sim_stats *s);

/* Human summary: one table, grouped by the first name component, zero counters omitted
 * unless all is non-zero. */
void sim_stats_print(const struct sim_stats *s, FILE *f, int all);

/* {"insns": N, "cycles": N, "counters": {"name": value, ...}} */
int sim_stats_write_json(const struct sim_stats *s, FILE *f, uint64_t insns, uint64_t cycles);

#endif
