/* sim/engine.c - the engine table (see engine.h). */
#include "sim/engine.h"

#include <stdio.h>
#include <string.h>

#include "mmu/mmu.h"
#include "sim/machine.h"

extern const struct sim_engine sim_engine_a64_bare;
extern const struct sim_engine sim_engine_a64_xen;
extern const struct sim_engine sim_engine_x64_bare;
extern const struct sim_engine sim_engine_x64_xen;

static const struct sim_engine *const engines[] = {
    &sim_engine_a64_bare,
    &sim_engine_a64_xen,
    &sim_engine_x64_bare,
    &sim_engine_x64_xen,
    NULL,
};

const struct sim_engine *sim_engine_find(enum sim_arch arch, bool bare)
{
    for (size_t i = 0; engines[i]; i++)
        if (engines[i]->arch == arch && engines[i]->bare == bare)
            return engines[i];
    return NULL;
}

const char *sim_engine_missing(enum sim_arch arch, bool bare)
{
    if (arch == SIM_ARCH_A64)
        return bare ? "the AArch64 CPU (issue 'AArch64 CPU')"
                    : "the AArch64 CPU and the modelled Xen on Arm (issues 'AArch64 CPU', "
                      "'modelled Xen hypervisor on Arm')";
    return bare ? "the x86-64 CPU (issue 'x86-64 under VMX')"
                : "the x86-64 CPU, VMX and the x86 side of the hypervisor model "
                  "(issue 'x86-64 under VMX')";
}

uint64_t sim_engine_budget(const struct machine *m, uint64_t done)
{
    if (!m->cfg.max_insns)
        return SIM_ENGINE_SLICE;
    uint64_t left = m->cfg.max_insns > done ? m->cfg.max_insns - done : 0;
    return left < SIM_ENGINE_SLICE ? left : SIM_ENGINE_SLICE;
}

struct mmu *sim_engine_mmu(struct machine *m, const char *arch, char *err, size_t errlen)
{
    if (strcmp(m->model.arch, arch)) {
        snprintf(err, errlen, "CPU model %s is an %s model", m->model.name, m->model.arch);
        return NULL;
    }
    struct mmu *mmu = mmu_create(&m->model, &m->mem, &m->stats, "");
    if (!mmu)
        snprintf(err, errlen, "cannot build the translation model for %s", m->model.name);
    return mmu;
}
