/* hv/x86/internal.h - shared between the files of hv/x86 only: Xen's x86 HVM side
 * (xen/arch/x86/hvm, hvm/vmx, mm/p2m-ept.c, the PVH builder of libxenguest) on top of the
 * common hypervisor model (hv/domain.h). */
#ifndef HV_X86_INTERNAL_H
#define HV_X86_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/domain.h"
#include "hv/x86/xen_x86.h"
#include "isa/x86/vmx.h"
#include "isa/x86/x86.h"
#include "mmu/x86_walk.h"

/* Special pages below the 4 GiB hole (libxenguest xc_dom_x86.c: special_pfn(x) =
 * X86_HVM_END_SPECIAL_REGION 0xff000 - X86_HVM_NR_SPECIAL_PAGES 8 + x): xenstore is page 4,
 * the console page 7. */
#define X86_SPECIAL_PFN(x) (0xff000ull - 8 + (x))
#define X86_XENSTORE_PFN X86_SPECIAL_PFN(4)
#define X86_CONSOLE_PFN X86_SPECIAL_PFN(7)
#define X86_STORE_EVTCHN 2u

/* The Xen CPUID leaves and the hypercall-page MSR (xen/arch/x86/cpuid.c, traps.c
 * cpuid_hypervisor_leaves; public/arch-x86/cpuid.h) */
#define X86_XEN_CPUID_BASE 0x40000000u
#define X86_XEN_CPUID_LEAVES 5u   /* XEN_CPUID_MAX_NUM_LEAVES */
#define X86_XEN_HCALL_MSR 0x40000000u

#define X86_MAX_E820 8

struct hv_x86_vcpu {
    struct x86_vmcs vmcs;
    unsigned upcall_vector;  /* HVMOP_set_evtchn_upcall_vector (0: none) */
    bool initialised;        /* VCPUOP_initialise done */
};

struct hv_x86_e820 {
    uint64_t addr, size;
    uint32_t type;           /* 1 RAM, 2 reserved */
};

struct hv_x86_domain {
    uint64_t ept_root;       /* host PA of the EPT PML4 */
    uint64_t eptp;
    uint64_t msr_bitmap;     /* host PA, all zero: in-range MSRs go to the core's model */
    uint64_t start_info;     /* GPA of struct hvm_start_info */
    unsigned callback_vector;/* HVM_PARAM_CALLBACK_IRQ of type vector (0: none) */
    struct hv_x86_e820 e820[X86_MAX_E820];
    unsigned ne820;
    /* counters (hv.x86.*) */
    uint64_t *st_hlt, *st_io, *st_cpuid, *st_msr, *st_cr, *st_upcalls, *st_ept_crash;
};

/* ---- domain.c ---- */
int hv_x86_domain_build(struct hv *hv, char *err, size_t errlen);
int hv_x86_p2m_lookup(struct hv_vcpu *v, uint64_t gpa, bool write, uint64_t *pa);
int hv_x86_p2m_set_page(struct hv_domain *d, uint64_t gpa, uint64_t pa);
/* The guest's paging registers as of now (the core while in VMX non-root operation, the
 * VMCS guest-state area after a VM exit). */
void hv_x86_guest_regs(struct hv_vcpu *v, struct mmu_x86_regs *r);

/* ---- vmexit.c ---- */
/* Handle the VM exit in v's VMCS; returns SIM_OUT_NONE or an outcome with
 * m->outcome_detail written. */
enum sim_outcome hv_x86_vmexit(struct hv_vcpu *v);
/* The event-channel upcall (arch_evtchn_inject / hvm_assert_evtchn_irq). */
void hv_x86_evtchn_inject(struct hv_vcpu *v);
/* Before VM entry: inject the callback vector if it is due and the guest can take it, else
 * ask for an interrupt-window exit (vmx_intr_assist). */
void hv_x86_intr_assist(struct hv_vcpu *v);

/* ---- vcpu.c ---- */
extern const struct hv_arch_ops hv_x86_ops;

#endif
