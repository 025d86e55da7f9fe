/* sim/engine_a64_xen.c - arm64 under the modelled Xen hypervisor (hv/arm/): domain 1 built
 * as a dom0less domU, its vCPUs on AArch64 cores with EL2 modelled in C. See docs/hv.md. */
#include <errno.h>
#include <stdlib.h>

#include "hv/arm/xen_arm.h"
#include "sim/engine.h"
#include "sim/machine.h"

static int xen_run(struct machine *m, char *err, size_t errlen)
{
    struct hv *hv = hv_arm_create(m, err, errlen);
    if (!hv)
        return -EINVAL;
    m->cpu = hv;
    return hv_arm_run(hv, err, errlen);
}

static int xen_dump(struct machine *m, FILE *f)
{
    return m->cpu ? hv_arm_dump_state(m->cpu, f) : -ENOSYS;
}

static void xen_destroy(struct machine *m)
{
    hv_arm_destroy(m->cpu);
    m->cpu = NULL;
}

const struct sim_engine sim_engine_a64_xen = {
    .arch = SIM_ARCH_A64,
    .bare = false,
    .name = "arm64-xen",
    .run = xen_run,
    .dump_state = xen_dump,
    .destroy = xen_destroy,
};
