/* sim/engine_x64_xen.c - x86_64 under the modelled Xen hypervisor (hv/x86/): domain 1 built
 * as a PVH domU, its vCPUs on x86-64 cores in VMX non-root operation with the VM exits
 * handled in C. See docs/hv.md ("x86"). */
#include <errno.h>
#include <stdlib.h>

#include "hv/x86/xen_x86.h"
#include "sim/engine.h"
#include "sim/machine.h"

static int xen_run(struct machine *m, char *err, size_t errlen)
{
    struct hv *hv = hv_x86_create(m, err, errlen);
    if (!hv)
        return -EINVAL;
    m->cpu = hv;
    return hv_x86_run(hv, err, errlen);
}

static int xen_dump(struct machine *m, FILE *f)
{
    return m->cpu ? hv_x86_dump_state(m->cpu, f) : -ENOSYS;
}

static void xen_destroy(struct machine *m)
{
    hv_x86_destroy(m->cpu);
    m->cpu = NULL;
}

const struct sim_engine sim_engine_x64_xen = {
    .arch = SIM_ARCH_X64,
    .bare = false,
    .name = "x86_64-xen",
    .run = xen_run,
    .dump_state = xen_dump,
    .destroy = xen_destroy,
};
