/* sim/engine.h - the execution engines a machine can run with: one per (architecture, mode).
 * An engine creates its CPU core on m->cpu, runs it to an outcome, dumps its architectural
 * state, and frees it. The table is in sim/engine.c. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sim/config.h"

struct machine;

struct sim_engine {
    enum sim_arch arch;
    bool bare;
    const char *name;
    int (*run)(struct machine *m, char *err, size_t errlen);
    int (*dump_state)(struct machine *m, FILE *f);
    void (*destroy)(struct machine *m);
};

const struct sim_engine *sim_engine_find(enum sim_arch arch, bool bare);

/* Bare engines run their core in slices (short enough for a sample every 10^6 cycles, see
 * sim/sampler.h): the next slice's instruction budget given `done` instructions so far and
 * --max-insns, 0 when the limit is reached. */
#define SIM_ENGINE_SLICE (1ull << 18)
uint64_t sim_engine_budget(const struct machine *m, uint64_t done);

/* The translation cost model of a single-CPU engine, after checking that the machine's CPU
 * model is one of `arch`'s; NULL with a message in err. */
struct mmu;
struct mmu *sim_engine_mmu(struct machine *m, const char *arch, char *err, size_t errlen);
/* What is still missing for (arch, bare), naming the issue that brings it. */
const char *sim_engine_missing(enum sim_arch arch, bool bare);

#endif
