/* sim/engine_a64_bare.c - bare mode on arm64: one AArch64 core, no hypervisor. The core
 * starts at the image entry at EL1h with the MMU off (ARM DDI0487 D1.9 reset state, as a
 * boot loader leaves it per Documentation/arm64/booting.rst) and runs until `BRK #0xF000`
 * (the end marker), --max-insns, or an exception nobody handles (VBAR_EL1 == 0). Guest
 * console: a PL011 transmitter at QEMU virt's address 0x09000000. Every access goes through
 * the translation cost model (isa/arm64/a64_mmu.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "isa/arm64/a64.h"
#include "isa/arm64/a64_mmu.h"
#include "sim/engine.h"
#include "sim/machine.h"
#include "sim/uart_pl011.h"

struct a64_bare {
    struct a64_cpu *cpu;
    struct mmu *mmu;
    struct a64_mmu_link link;
};

/* The AArch64 ID-register model that goes with a cost model: Cortex-A57 is modelled
 * exactly; Armv8.2 cores (Neoverse N1) get the 'max' feature set (LSE, CRC32, PAN, RNG). */
static const char *a64_id_model(const char *cost_model)
{
    return strcmp(cost_model, "cortex-a57") ? "max" : "cortex-a57";
}

static int bare_run(struct machine *m, char *err, size_t errlen)
{
    struct a64_bare *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    m->cpu = b;
    if (!(b->mmu = sim_engine_mmu(m, "arm64", err, errlen)))
        return -EINVAL;
    b->cpu = a64_cpu_create(&m->mem, &m->stats, a64_id_model(m->model.name), m->cfg.seed,
                            err, errlen);
    if (!b->cpu)
        return -EINVAL;
    b->cpu->cpu_hz = m->clock.hz;
    b->link.mmu = b->mmu;
    b->link.who = MMU_WHO_GUEST;
    a64_set_cost_model(b->cpu, &m->model); /* in-order cycle costs of the CPU model */
    a64_mmu_attach(b->cpu, &b->link);
    if (sim_pl011_attach(&m->mem, SIM_A64_BARE_UART, m->console)) {
        snprintf(err, errlen, "cannot map the PL011 at 0x%llx",
                 (unsigned long long)SIM_A64_BARE_UART);
        return -EINVAL;
    }
    a64_cpu_reset(b->cpu, m->image.info.entry, 1);

    /* Run in slices so that an unlimited run still checks for completion regularly. */
    enum a64_stop stop = A64_STOP_MAX_INSNS;
    for (uint64_t budget; (budget = sim_engine_budget(m, b->cpu->insns));) {
        stop = a64_run(b->cpu, budget);
        sim_sampler_tick(&m->sampler, &m->stats, b->cpu->cycles);
        if (stop != A64_STOP_MAX_INSNS)
            break;
    }
    m->insns = b->cpu->insns;
    m->clock.cycles = b->cpu->cycles;
    switch (stop) {
    case A64_STOP_END_MARKER:
        m->outcome = SIM_OUT_POWEROFF;
        snprintf(m->outcome_detail, sizeof(m->outcome_detail), "end marker at pc 0x%" PRIx64
                 ", x0 = 0x%" PRIx64, b->cpu->pc, b->cpu->x[0]);
        break;
    case A64_STOP_MAX_INSNS:
        m->outcome = SIM_OUT_MAX_INSNS;
        break;
    case A64_STOP_UNHANDLED:
        m->outcome = SIM_OUT_CRASH;
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "unhandled exception at pc 0x%" PRIx64 ": ESR 0x%08" PRIx32 " (EC 0x%02x), "
                 "FAR 0x%" PRIx64 " (VBAR_EL1 is 0)", b->cpu->exc.pc, b->cpu->exc.esr,
                 b->cpu->exc.esr >> 26, b->cpu->exc.far);
        break;
    default:
        m->outcome = SIM_OUT_CRASH;
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "unexpected trap to EL2 (ESR_EL2 0x%08" PRIx32 ") in bare mode",
                 b->cpu->trap.esr_el2);
        break;
    }
    return 0;
}

static int bare_dump(struct machine *m, FILE *f)
{
    struct a64_bare *b = m->cpu;
    return b->cpu ? a64_dump_state_json(b->cpu, f) : -ENOSYS;
}

static void bare_destroy(struct machine *m)
{
    struct a64_bare *b = m->cpu;
    if (b->cpu)
        a64_cpu_destroy(b->cpu);
    if (b->mmu)
        mmu_destroy(b->mmu);
    free(b);
    m->cpu = NULL;
}

const struct sim_engine sim_engine_a64_bare = {
    .arch = SIM_ARCH_A64,
    .bare = true,
    .name = "arm64-bare",
    .run = bare_run,
    .dump_state = bare_dump,
    .destroy = bare_destroy,
};
