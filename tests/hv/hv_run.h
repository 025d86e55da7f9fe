/* tests/hv/hv_run.h - run one configured machine to its end with the guest console captured,
 * for the hypervisor tests of both architectures (test_hv_arm.c, test_hv_x86.c). Header-only:
 * each test is one executable. */
#ifndef TESTS_HV_HV_RUN_H
#define TESTS_HV_HV_RUN_H

#include <stdio.h>
#include <stdlib.h>

#include "mmu/cpu_model.h"
#include "sim/machine.h"

struct run {
    struct machine m;
    char out[65536];     /* the guest console */
    int rc;              /* sim_machine_run's result, -1 when setup failed */
};

/* Initialise, load and run the machine cfg describes under the named CPU model; NULL only
 * when out of memory (setup failures leave rc = -1 and say why on stderr). */
static inline struct run *hv_run_machine(const struct sim_config *cfg, const char *cpu_model)
{
    struct run *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    char err[512];
    r->rc = -1;
    if (sim_machine_init(&r->m, cfg, err, sizeof(err))) {
        fprintf(stderr, "init: %s\n", err);
        return r;
    }
    r->m.model = *mmu_cpu_model_find(cpu_model);
    r->m.clock.hz = (uint64_t)r->m.model.freq_mhz * 1000000u;
    if (sim_machine_load(&r->m, err, sizeof(err))) {
        fprintf(stderr, "load %s: %s\n", cfg->image, err);
        return r;
    }
    FILE *con = tmpfile();
    if (!con)
        return r;
    r->m.console = con;
    r->rc = sim_machine_run(&r->m, err, sizeof(err));
    if (r->rc)
        fprintf(stderr, "run: %s\n", err);
    fflush(con);
    rewind(con);
    size_t n = fread(r->out, 1, sizeof(r->out) - 1, con);
    r->out[n] = 0;
    fclose(con);
    r->m.console = stdout;
    return r;
}

static inline void free_run(struct run *r)
{
    if (!r)
        return;
    sim_machine_destroy(&r->m);
    free(r);
}

#endif
