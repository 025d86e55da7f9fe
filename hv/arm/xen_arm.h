/* hv/arm/xen_arm.h - the modelled Xen hypervisor on Arm (EL2 written in C): builds the
 * domain (stage-2 tables, device tree, image, vCPUs), runs the vCPUs on the AArch64 core
 * under a credit-like scheduler, and handles every trap to EL2 (hypercalls, PSCI, WFI/WFE,
 * MMIO emulation of the GICv2 distributor/CPU interface and the vPL011). Documented in
 * docs/hv.md. Used by sim/engine_a64_xen.c. */
#ifndef HV_ARM_XEN_ARM_H
#define HV_ARM_XEN_ARM_H

#include <stddef.h>
#include <stdio.h>

struct machine;
struct hv;

/* Build the hypervisor and domain 1 over a machine whose image is loaded. Returns NULL
 * with a message in err. */
struct hv *hv_arm_create(struct machine *m, char *err, size_t errlen);
/* Run until the domain shuts down, --max-insns, or every vCPU is stuck. Sets m->outcome,
 * m->insns, m->clock.cycles, m->hcalls and m->events. */
int hv_arm_run(struct hv *hv, char *err, size_t errlen);
/* Architectural state of domain 1's vCPU 0 as JSON. */
int hv_arm_dump_state(struct hv *hv, FILE *f);
void hv_arm_destroy(struct hv *hv);

#endif
