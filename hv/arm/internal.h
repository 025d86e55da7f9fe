/* hv/arm/internal.h - shared between the files of hv/arm only: Xen's Arm side
 * (xen/arch/arm) on top of the common hypervisor model (hv/domain.h). */
#ifndef HV_ARM_INTERNAL_H
#define HV_ARM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arm/xen_arm.h"
#include "hv/domain.h"
#include "isa/arm64/a64.h"
#include "isa/arm64/a64_mmu.h"
#include "mmu/mmu.h"
#include "sim/machine.h"

/* ---- Xen's Arm guest memory map (xen/include/public/arch-arm.h) ---- */
#define GUEST_GICD_BASE 0x03001000ull
#define GUEST_GICD_SIZE 0x00001000ull
#define GUEST_GICC_BASE 0x03002000ull
#define GUEST_GICC_SIZE 0x00002000ull
#define GUEST_PL011_BASE 0x22000000ull
#define GUEST_PL011_SIZE 0x00001000ull
#define GUEST_VPL011_SPI 32
#define GUEST_GNTTAB_BASE 0x38000000ull
#define GUEST_GNTTAB_SIZE 0x01000000ull
#define GUEST_MAGIC_BASE 0x39000000ull
#define GUEST_EVTCHN_PPI 31
#define GUEST_VTIMER_PPI 27

/* ---- domain.c ---- */
int hv_domain_build(struct hv *hv, char *err, size_t errlen);
/* Software p2m lookup (Xen p2m_lookup): IPA -> PA with a stage-2 walk on the software-walk
 * port (counted as hv.swwalk.*). write: the page must be writable (p2m_ram_rw). */
int hv_arm_p2m_lookup(struct hv_vcpu *v, uint64_t ipa, bool write, uint64_t *pa);
/* Replace the stage-2 mapping of one 4K page (pa 0: remove it), splitting a block when
 * needed, then flush this VMID's TLB entries on every pCPU (p2m_set_entry + flush). */
int hv_p2m_set_page(struct hv_domain *d, uint64_t ipa, uint64_t pa);

/* ---- guestcopy.c ---- */
/* Translate a guest VA for the hypervisor as Xen's get_page_from_gva does: AT S12E1W/R,
 * then the software walk; prints Xen's message and returns -EFAULT when both fail. */
int hv_arm_gva_to_pa(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa);

/* ---- vgic.c ---- */
void hv_vgic_inject(struct hv_vcpu *v, unsigned irq);
void hv_vgic_update(struct hv_vcpu *v);       /* recompute HCR_EL2.VI */
/* An enabled interrupt is pending for v (local_events_need_delivery_nomask). */
bool hv_vgic_has_pending(struct hv_vcpu *v);
int hv_vgic_mmio(struct hv_vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t *val);
int hv_vpl011_mmio(struct hv_vcpu *v, uint64_t off, bool write, unsigned size, uint64_t *val);
void hv_vpl011_flush(struct hv_domain *d);

/* ---- traps.c ---- */
void hv_trap(struct hv_vcpu *v);               /* dispatch cpu->trap */
void hv_inject_undef(struct hv_vcpu *v);
void hv_inject_dabt(struct hv_vcpu *v, uint64_t va);

/* ---- psci.c ---- */
void hv_psci(struct hv_vcpu *v);

/* ---- vcpu.c: the arch ops table, the virtual timer, the context switch, the run loop ---- */
extern const struct hv_arch_ops hv_arm_ops;

#endif
