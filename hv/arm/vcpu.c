/* hv/arm/vcpu.c - the Arm side of the scheduler and the run loop: the virtual timer
 * (xen/arch/arm/vtimer.c), the context switch (xen/arch/arm/domain.c ctxt_switch_from /
 * ctxt_switch_to), running an AArch64 core until it traps to EL2 (xen/arch/arm/traps.c),
 * and the table of arch hooks the common code calls (struct hv_arch_ops). Also the public
 * API of hv/arm/xen_arm.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arm/internal.h"

/* ---- the virtual timer (ARM DDI0487 D11.2.4; Xen vtimer.c) ---- */
static uint64_t cycles_per_tick(const struct a64_cpu *c)
{
    uint64_t cpt = c->cntfrq ? c->cpu_hz / c->cntfrq : 1;
    return cpt ? cpt : 1;
}

/* Cycle at which CNTV fires, UINT64_MAX if disabled or masked. */
static uint64_t vtimer_deadline(const struct hv_vcpu *v)
{
    const struct a64_cpu *c = v->cpu;
    if ((c->cntv_ctl & 3) != 1)
        return UINT64_MAX;
    uint64_t target = c->cntv_cval + c->cntvoff_el2;
    if (target < c->cntv_cval)
        return UINT64_MAX;
    uint64_t cpt = cycles_per_tick(c);
    if (target > UINT64_MAX / cpt)
        return UINT64_MAX;
    return target * cpt;
}

/* vtimer_interrupt / virt_timer_expired: when the condition is met, mask the timer
 * (CNTV_CTL_EL0.IMASK) and inject the virtual timer PPI 27. */
static void vtimer_check(struct hv_vcpu *v, uint64_t now)
{
    uint64_t dl = vtimer_deadline(v);
    if (dl == UINT64_MAX || now < dl)
        return;
    v->cpu->cntv_ctl |= 2;
    (*v->d->hv->st_vtimer)++;
    hv_vgic_inject(v, GUEST_VTIMER_PPI);
}

/* ctxt_switch_from / ctxt_switch_to save and restore the EL1 system registers (about 30:
 * SCTLR, TTBR0/1, TCR, MAIR, AMAIR, VBAR, CONTEXTIDR, TPIDR*, SP_EL0/1, ELR, SPSR, ESR,
 * FAR, PAR, AFSR0/1, CPACR, CSSELR, CNTKCTL, CNTV_CTL/CVAL, VTTBR, ...) and the FP/SIMD
 * registers (vfp_save_state: 32 x 128 bit + FPSR/FPCR) into struct vcpu in Xen's memory. */
#define CTXT_SYSREGS 30u
#define CTXT_BYTES (512u + 16u + CTXT_SYSREGS * 8u)

static void ctxt_switch_from(struct hv_vcpu *v)
{
    const struct mmu_cpu_model *cm = &v->d->hv->m->model;
    hv_charge(v, CTXT_SYSREGS * cm->cost_sysreg + cm->cost_barrier);
    hv_charge(v, mmu_data_access(v->d->hv->pcpu[v->pcpu].mmu, MMU_WHO_HV, v->ctx_pa,
                                 CTXT_BYTES, true));
}

static void ctxt_switch_to(struct hv_vcpu *v)
{
    const struct mmu_cpu_model *cm = &v->d->hv->m->model;
    hv_charge(v, CTXT_SYSREGS * cm->cost_sysreg + 2 * cm->cost_barrier);
    hv_charge(v, mmu_data_access(v->d->hv->pcpu[v->pcpu].mmu, MMU_WHO_HV, v->ctx_pa,
                                 CTXT_BYTES, false));
    vtimer_check(v, v->cpu->cycles); /* virt_timer_restore */
    hv_vgic_update(v);
}

/* Run v until `deadline` cycles, a stop, or `budget` instructions. */
static enum a64_stop run_chunk(struct hv_vcpu *v, uint64_t deadline, uint64_t budget)
{
    struct a64_cpu *c = v->cpu;
    while (budget) {
        if (c->cycles >= deadline)
            return A64_STOP_NONE;
        uint64_t gap = deadline - c->cycles;
        /* An instruction costs at least one cycle: a quarter of the gap rarely overshoots,
         * and the last 64 cycles are approached one instruction at a time. */
        uint64_t b = gap > 64 ? gap / 4 : 1;
        if (b > budget)
            b = budget;
        uint64_t i0 = c->insns;
        enum a64_stop s = a64_run(c, b);
        budget -= c->insns - i0 < budget ? c->insns - i0 : budget;
        if (s != A64_STOP_MAX_INSNS)
            return s;
    }
    return A64_STOP_MAX_INSNS;
}

static enum sim_outcome arm_run(struct hv_vcpu *v, uint64_t deadline, uint64_t budget)
{
    struct hv_domain *d = v->d;
    struct machine *m = d->hv->m;
    enum a64_stop s = run_chunk(v, deadline, budget);
    d->hv->now = v->cpu->cycles;
    switch (s) {
    case A64_STOP_TRAP:
        hv_trap(v);
        return SIM_OUT_NONE;
    case A64_STOP_END_MARKER:
        /* BRK #0xF000 is only an end marker in bare mode: under Xen it is a Breakpoint
         * exception taken at the guest's EL1 (ARM DDI0487 D2.8). */
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "d%uv%u executed the bare-mode end marker BRK #0xF000 at pc 0x%" PRIx64
                 " (a guest under Xen shuts down with SCHEDOP_shutdown or PSCI SYSTEM_OFF)",
                 d->id, v->id, v->cpu->pc);
        return SIM_OUT_CRASH;
    case A64_STOP_UNHANDLED:
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "d%uv%u took an exception with VBAR_EL1 = 0 at pc 0x%" PRIx64
                 ": ESR 0x%08" PRIx32 " FAR 0x%" PRIx64, d->id, v->id, v->cpu->exc.pc,
                 v->cpu->exc.esr, v->cpu->exc.far);
        return SIM_OUT_CRASH;
    default:
        return SIM_OUT_NONE;
    }
}

static uint64_t arm_insns(const struct hv_vcpu *v)
{
    return v->cpu->insns;
}

static void arm_timer_mask(struct hv_vcpu *v)
{
    v->cpu->cntv_ctl |= 2;
}

static bool arm_irq_pending(struct hv_vcpu *v)
{
    return hv_vgic_has_pending(v);
}

static void arm_mode_name(const struct hv_vcpu *v, char *buf, size_t len)
{
    snprintf(buf, len, "el%u", v->cpu->el);
}

/* arch_evtchn_inject (xen/arch/arm/vgic.c): the event-channel PPI 31 */
static void arm_evtchn_inject(struct hv_vcpu *v)
{
    hv_vgic_inject(v, GUEST_EVTCHN_PPI);
}

/* get_features submap 0 on an Arm domU (common/kernel.c): the profile's table entry */
static uint32_t arm_features0(const struct hv_profile *p)
{
    return p->features0;
}

/* do_arm_vcpu_op (xen/arch/arm/domain.c): ops 5 and 10 (and 14 under the pa profiles);
 * everything else -EINVAL */
static int arm_vcpu_op_check(const struct hv_profile *p, int cmd)
{
    return cmd == 5 || cmd == 10 || (cmd == 14 && p->op14 == HV_OP14_MAP) ? 0 : -XEN_EINVAL;
}

/* Translate a guest VA to an IPA with the caller's stage 1 only (KVM's kvm_gva_to_gpa). */
static int arm_gva_to_gpa(struct hv_vcpu *v, uint64_t va, uint64_t *ipa)
{
    uint64_t pa;
    /* The AT S12E1W path gives the PA; with a stage-1-only lookup the IPA is the PA's
     * preimage. The software walk below gives the IPA directly. */
    struct mmu_a64_regs r;
    a64_mmu_regs(v->cpu, &r);
    if (!(r.sctlr_el1 & 1)) {
        *ipa = va;
        return 0;
    }
    if (hv_gva_to_pa(v, va, true, &pa))
        return -EFAULT;
    /* domain RAM is mapped IPA == PA; the magic pages are found by searching the p2m */
    if (pa >= v->d->ram_pa && pa < v->d->ram_pa + v->d->ram_size) {
        *ipa = pa - v->d->ram_pa + v->d->ram_ipa;
        return 0;
    }
    return -EFAULT;
}

/* never reached: arm_vcpu_op_check admits only the common ops */
static int64_t arm_vcpu_op(struct hc *h, int cmd, struct hv_vcpu *t, uint64_t arg)
{
    (void)h;
    (void)cmd;
    (void)t;
    (void)arg;
    return -XEN_EINVAL;
}

/* do_hvm_op on Arm (xen/arch/arm/hvm.c): only set_param / get_param */
static int64_t arm_hvm_op(struct hc *h, const uint64_t *a)
{
    hv_hc_sub(h, (int)a[0], "unknown");
    return -XEN_ENOSYS;
}

/* XENMEM_memory_map: arch_memory_op on Arm does not implement it */
static int64_t arm_memory_map(struct hc *h, const uint64_t *a)
{
    (void)h;
    (void)a;
    return -XEN_ENOSYS;
}

static void arm_vcpu_free(struct hv_vcpu *v)
{
    if (v->cpu)
        a64_cpu_destroy(v->cpu);
    free(v->link);
}

const struct hv_arch_ops hv_arm_ops = {
    .name = "arm64",
    /* arm64 struct shared_info (XEN_LEGACY_MAX_VCPUS = 1): vcpu_info[1] @0 (48 bytes),
     * evtchn_pending[64] @48, evtchn_mask[64] @560 */
    .shinfo_pending = 48,
    .shinfo_mask = 560,
    .legacy_vcpus = 1,
    .vcpu_info_size = 48,
    /* arch_get_xen_caps (xen/arch/arm/setup.c): "xen-3.0-aarch64 " and, with AArch32 at
     * EL1 (Cortex-A57), "xen-3.0-armv7l " */
    .xen_caps = "xen-3.0-aarch64 xen-3.0-armv7l ",
    /* HYPERVISOR_VIRT_START of arm64 (XEN_VIRT_START 0x00200000 in 4.17; docs/hv.md marks
     * it unverified) */
    .virt_start = 0x00200000,
    .gnttab_window = GUEST_GNTTAB_BASE >> 12,
    .features0 = arm_features0,
    .vcpu_op_check = arm_vcpu_op_check,
    .vcpu_op = arm_vcpu_op,
    .gva_to_pa = hv_arm_gva_to_pa,
    .gva_to_gpa = arm_gva_to_gpa,
    .p2m_lookup = hv_arm_p2m_lookup,
    .p2m_set_page = hv_p2m_set_page,
    .evtchn_inject = arm_evtchn_inject,
    .irq_pending = arm_irq_pending,
    .timer_deadline = vtimer_deadline,
    .timer_check = vtimer_check,
    .timer_mask = arm_timer_mask,
    .ctxt_switch_from = ctxt_switch_from,
    .ctxt_switch_to = ctxt_switch_to,
    .run = arm_run,
    .insns = arm_insns,
    .mode_name = arm_mode_name,
    .hvm_op = arm_hvm_op,
    .memory_map = arm_memory_map,
    .hvm_param_set = NULL,
    .domain_flush = hv_vpl011_flush,
    .vcpu_free = arm_vcpu_free,
};

/* ---- public API (xen_arm.h) ---- */
struct hv *hv_arm_create(struct machine *m, char *err, size_t errlen)
{
    struct hv *hv = hv_create(m, &hv_arm_ops, err, errlen);
    if (!hv)
        return NULL;
    if (hv_domain_build(hv, err, errlen)) {
        hv_destroy(hv);
        return NULL;
    }
    return hv;
}

int hv_arm_run(struct hv *hv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    return hv_run(hv);
}

int hv_arm_dump_state(struct hv *hv, FILE *f)
{
    if (!hv->dom[0].nvcpus || !hv->dom[0].vcpu[0])
        return -ENOSYS;
    return a64_dump_state_json(hv->dom[0].vcpu[0]->cpu, f);
}


void hv_arm_destroy(struct hv *hv)
{
    hv_destroy(hv);
}
