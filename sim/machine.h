/* sim/machine.h - one simulated machine: its configuration, guest memory, counters, clock and
 * the loaded image. Everything mutable lives here (no globals), so several machines can run
 * in one process. The CPU cores, MMU and hypervisor model hang off it as their issues land. */
#ifndef SIM_MACHINE_H
#define SIM_MACHINE_H

#include <stdint.h>
#include <stdio.h>

#include "mmu/cpu_model.h"
#include "sim/clock.h"
#include "sim/config.h"
#include "sim/loader.h"
#include "sim/mem.h"
#include "sim/sampler.h"
#include "results/results.h"
#include "sim/stats.h"

/* Guest physical memory maps. Arm: the RAM base is Xen's GUEST_RAM0_BASE (xen/include/public/
 * arch-arm.h), which is also QEMU virt's RAM base, so bare-mode images link at the same address;
 * the bare-mode PL011 sits where QEMU virt puts it. x86: RAM from 0 below the 4 GiB hole. */
#define SIM_A64_RAM_BASE 0x40000000ull
#define SIM_A64_BARE_UART 0x09000000ull
#define SIM_X64_RAM_BASE 0x0ull

enum sim_outcome {
    SIM_OUT_NONE = 0,
    SIM_OUT_POWEROFF,   /* guest shut down with poweroff / bare end marker */
    SIM_OUT_CRASH,      /* guest crashed (shutdown reason crash, unhandled exception) */
    SIM_OUT_MAX_INSNS,  /* --max-insns reached */
    SIM_OUT_ERROR,      /* the simulation failed */
    SIM_OUT_REBOOT,     /* guest shut down with reason reboot (e.g. Linux after a panic with
                           panic=-1): not a successful end, exit status 1 */
};

struct machine {
    struct sim_config cfg;
    struct mmu_cpu_model model; /* the CPU model with overrides applied */
    struct sim_mem mem;
    struct sim_stats stats;
    struct sim_clock clock;
    struct sim_image image;
    char image_sha256[SIM_SHA256_HEX_LEN];
    FILE *console;          /* guest console output (stdout) */
    uint64_t insns;
    enum sim_outcome outcome;
    char outcome_detail[160];
    void *cpu;              /* the engine's state (cores, MMUs, hypervisor model) */
    /* Rows the engine wants stored with the run (owned by the engine; strings must stay
     * valid until the machine is destroyed): per-hypercall statistics, events (e.g. Xen's
     * "Failed to walk page-table va"), time samples. */
    const struct res_hcall_row *hcalls;
    size_t nhcalls;
    const struct res_event *events;
    size_t nevents;
    const struct res_sample *samples;
    size_t nsamples;
    struct sim_sampler sampler; /* counter time samples; stored as samples when the engine
                                   sets none of its own */
};

/* Set up memory for cfg (RAM at the arch's base, cfg->mem_bytes) and counters.
 * Returns 0 or a negative errno with a message in err. */
int sim_machine_init(struct machine *m, const struct sim_config *cfg, char *err, size_t errlen);
/* Parse, hash and place cfg->image. */
int sim_machine_load(struct machine *m, char *err, size_t errlen);
/* Run to completion; sets m->outcome. -ENOSYS (with err) when the engine this configuration
 * needs is not part of this build yet. */
int sim_machine_run(struct machine *m, char *err, size_t errlen);
int sim_machine_dump_state(struct machine *m, FILE *f);
void sim_machine_destroy(struct machine *m);

const char *sim_outcome_name(enum sim_outcome o);

#endif
