/* hv/x86/xen_x86.h - the modelled Xen hypervisor on x86 (VMX root operation written in C):
 * builds a PVH domain (guest RAM with an e820 map, EPT tables in hypervisor memory,
 * struct hvm_start_info, VMCS per vCPU with unrestricted guest, EPT and VPID), runs the
 * vCPUs on x86-64 cores in VMX non-root operation under the common scheduler, and handles
 * every VM exit (VMCALL hypercalls, CPUID, MSRs, HLT, I/O, EPT violations, CR accesses,
 * interrupt windows). Documented in docs/hv.md ("x86"). Used by sim/engine_x64_xen.c. */
#ifndef HV_X86_XEN_X86_H
#define HV_X86_XEN_X86_H

#include <stddef.h>
#include <stdio.h>

struct machine;
struct hv;

/* Build the hypervisor and domain 1 over a machine whose PVH image is loaded. NULL with a
 * message in err. */
struct hv *hv_x86_create(struct machine *m, char *err, size_t errlen);
/* Run until the domain shuts down, --max-insns, or every vCPU is stuck (fills m). */
int hv_x86_run(struct hv *hv, char *err, size_t errlen);
/* Architectural state of domain 1's vCPU 0 as JSON (x86_dump_state_json). */
int hv_x86_dump_state(struct hv *hv, FILE *f);
void hv_x86_destroy(struct hv *hv);

#endif
