/* hv/x86/vcpu.c - the x86 side of the scheduler and the run loop: VM entry and running an
 * x86-64 core in VMX non-root operation until it exits (xen/arch/x86/hvm/vmx/entry.S,
 * vmx_do_resume), the context switch (xen/arch/x86/domain.c __context_switch,
 * vmx_ctxt_switch_from/to), the LAPIC timer of a blocked vCPU, the guest-VA path
 * (xen/arch/x86/hvm/hvm.c __hvm_copy: paging_gva_to_gfn + get_page_from_gfn, in software),
 * the x86 hvm_op / memory_map / get_features, and the table of arch hooks the common code
 * calls (struct hv_arch_ops). Also the public API of hv/x86/xen_x86.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/x86/internal.h"

/* ---- the guest-VA path: hvm_copy_{to,from}_guest_linear ---- */
/* __hvm_copy translates each page with paging_gva_to_gfn (guest_walk_tables: a software
 * walk of the guest's page tables from its *current* CR3, each table read through a
 * software p2m (EPT) lookup, accessed/dirty bits set) and get_page_from_gfn for the result.
 * Here: mmu_x86_translate on the software-walk port, counted as hv.swwalk.refs.s1 (guest
 * tables) and .s2 (EPT). The access is a supervisor one (copy_to_user_hvm passes no
 * PFEC_user_mode), so SMAP does not apply. Xen prints nothing when it fails. */
static int x86_gva_to_pa(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa)
{
    struct hv *hv = v->d->hv;
    struct mmu *mmu = hv_pcpu_mmu(v);
    struct mmu_x86_regs r;
    hv_x86_guest_regs(v, &r);
    r.cpl = 0;
    r.rflags_ac = true;
    hv->translations++;
    (*hv->st_translations)++;
    struct mmu_ept_regs e = {.eptp = v->d->x86->eptp, .enabled = true, .maxphyaddr = 46};
    struct mmu_walk_port port = mmu_sw_walk_port(mmu, MMU_WHO_HV);
    struct mmu_walk_result res;
    int rc = mmu_x86_translate(&r, &e, va, write ? MMU_ACC_WRITE : MMU_ACC_READ, &port, &res);
    hv_charge(v, mmu_sw_walk_take_cycles(mmu, MMU_WHO_HV));
    if (rc == 0) {
        *pa = res.oa;
        return 0;
    }
    (*hv->st_xlate_failed)++;
    return -EFAULT;
}

/* GVA -> GPA (the gpa-cached policy): RAM is mapped GPA + ram_pa */
static int x86_gva_to_gpa(struct hv_vcpu *v, uint64_t va, uint64_t *gpa)
{
    uint64_t pa;
    if (hv_gva_to_pa(v, va, true, &pa))
        return -EFAULT;
    if (pa >= v->d->ram_pa && pa < v->d->ram_pa + v->d->ram_size) {
        *gpa = pa - v->d->ram_pa + v->d->ram_ipa;
        return 0;
    }
    return -EFAULT;
}

/* ---- timers: the LAPIC of a blocked vCPU (a running one's timer is the core's) ---- */
static uint64_t x86_timer_deadline(const struct hv_vcpu *v)
{
    if (!v->blocked || !v->xcpu->lapic)
        return UINT64_MAX;
    return v->xcpu->event_at;
}

/* The vlapic timer of a blocked vCPU expired: vcpu_unblock (the core delivers it). */
static void x86_timer_check(struct hv_vcpu *v, uint64_t now)
{
    uint64_t dl = x86_timer_deadline(v);
    if (dl == UINT64_MAX || now < dl)
        return;
    (*v->d->hv->st_vtimer)++;
    hv_vcpu_wake(v);
}

static void x86_timer_mask(struct hv_vcpu *v)
{
    (void)v; /* the timer wakes the vCPU (x86_timer_check): nothing stays armed and idle */
}

/* local_events_need_delivery: an interrupt in the vLAPIC, or a LAPIC timer already due */
static bool x86_irq_pending(struct hv_vcpu *v)
{
    const struct x86_cpu *c = v->xcpu;
    return c->irq_pending || (c->lapic && c->event_at <= c->cycles);
}

/* ---- context switch (xen/arch/x86/domain.c __context_switch: the GPRs and the FPU/SSE
 * state (xsave, 512 + 64 bytes) to struct vcpu; vmx_ctxt_switch_from / to: the guest's
 * SYSCALL and GS MSRs (vmx_save_guest_msrs: shadow GS, STAR, LSTAR, SFMASK), VMPTRLD of the
 * next VMCS). ---- */
#define CTXT_MSRS 4u
#define CTXT_BYTES (16u * 8u + 576u)

static void x86_ctxt_switch_from(struct hv_vcpu *v)
{
    const struct mmu_cpu_model *cm = &v->d->hv->m->model;
    hv_charge(v, CTXT_MSRS * cm->cost_sysreg + cm->cost_barrier);
    hv_charge(v, mmu_data_access(hv_pcpu_mmu(v), MMU_WHO_HV, v->ctx_pa, CTXT_BYTES, true));
}

static void x86_ctxt_switch_to(struct hv_vcpu *v)
{
    const struct mmu_cpu_model *cm = &v->d->hv->m->model;
    hv_charge(v, CTXT_MSRS * cm->cost_sysreg + 2 * cm->cost_barrier);
    hv_charge(v, mmu_data_access(hv_pcpu_mmu(v), MMU_WHO_HV, v->ctx_pa, CTXT_BYTES, false));
    x86_timer_check(v, v->xcpu->cycles);
}

/* ---- running a vCPU ---- */
static bool can_run(const struct hv_vcpu *v)
{
    return v->online && !v->blocked && !v->d->shutdown;
}

static enum sim_outcome x86_run_vcpu(struct hv_vcpu *v, uint64_t deadline, uint64_t budget)
{
    struct hv *hv = v->d->hv;
    struct machine *m = hv->m;
    struct x86_cpu *c = v->xcpu;
    struct x86_vmcs *vm = &v->x86->vmcs;
    while (budget) {
        if (!vm->m.in_guest) {
            if (!can_run(v))
                return SIM_OUT_NONE;
            hv_x86_intr_assist(v); /* vmx_intr_assist, then VMRESUME */
            int rc = x86_vmentry(c);
            if (rc) {
                snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                         "d%uv%u: VM entry failed (%s, VM-instruction error %u, exit reason "
                         "0x%" PRIx32 ")", v->d->id, v->id, strerror(-rc), vm->exit.insn_error,
                         vm->exit.reason);
                return SIM_OUT_CRASH;
            }
        }
        if (c->cycles >= deadline)
            return SIM_OUT_NONE;
        uint64_t gap = deadline - c->cycles;
        /* as on Arm: a quarter of the gap, the last 64 cycles one instruction at a time */
        uint64_t b = gap > 64 ? gap / 4 : 1;
        if (b > budget)
            b = budget;
        uint64_t i0 = c->insns;
        enum x86_stop s = x86_run(c, b);
        budget -= c->insns - i0 < budget ? c->insns - i0 : budget;
        hv->now = c->cycles;
        switch (s) {
        case X86_STOP_MAX_INSNS:
            continue;
        case X86_STOP_VMEXIT:
            return hv_x86_vmexit(v);
        default:
            snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                     "d%uv%u: the core stopped without a VM exit (stop %d, vector %u at rip "
                     "0x%" PRIx64 ")", v->d->id, v->id, (int)s, c->exc.vector, c->exc.rip);
            return SIM_OUT_CRASH;
        }
    }
    return SIM_OUT_NONE;
}

static uint64_t x86_insns(const struct hv_vcpu *v)
{
    return v->xcpu->insns;
}

static void x86_mode_name(const struct hv_vcpu *v, char *buf, size_t len)
{
    struct mmu_x86_regs r;
    hv_x86_guest_regs((struct hv_vcpu *)v, &r);
    snprintf(buf, len, "cpl%u", r.cpl);
}

/* XENVER_get_features submap 0 for an HVM domU (xen/common/kernel.c): writable_page_tables
 * (0) and auto_translated_physmap (2) as paging is translated, hvm_callback_vector (8),
 * hvm_safe_pvclock (9), memory_op_vnode_supported (13); 4.18 adds runstate_phys_area (18)
 * and vcpu_time_phys_area (19). */
static uint32_t x86_features0(const struct hv_profile *p)
{
    uint32_t f = 1u << 0 | 1u << 2 | 1u << 8 | 1u << 9 | 1u << 13;
    if (p->features0 & (1u << 18))
        f |= 1u << 18 | 1u << 19;
    return f;
}

/* do_vcpu_op for an HVM guest (xen/common/domain.c, xen/arch/x86/domain.c arch_do_vcpu_op).
 * Modelled: initialise (0, struct vcpu_hvm_context), up (1), down (2), is_up (3),
 * get_runstate_info (4), register_runstate_memory_area (5), register_vcpu_info (10) and, from
 * 4.18 (map_guest_area), register_runstate_phys_area (14). The timer, time-area, NMI and
 * physid ops are not modelled (-ENOSYS). */
static int x86_vcpu_op_check(const struct hv_profile *p, int cmd)
{
    if (cmd <= 5 || cmd == 10)
        return 0;
    if (cmd == 14 && (p->op14 == HV_OP14_MAP || p->xen_version >= 0x40012))
        return 0;
    return -XEN_ENOSYS;
}

/* VCPUOP_initialise for HVM (arch_initialise_vcpu -> arch_set_info_hvm_guest,
 * xen/arch/x86/hvm/domain.c) with struct vcpu_hvm_context {uint32 mode @0; regs @8}: mode 1
 * (VCPU_HVM_MODE_64B) {rax rcx rdx rbx rsp rbp rsi rdi rip rflags cr0 cr3 cr4 efer}, flat
 * 64-bit CS and data segments; mode 0 (32-bit) is not modelled (-EINVAL). Already
 * initialised: -EEXIST. VCPUOP_up: not initialised -EINVAL, else online. */
static int64_t x86_vcpu_op(struct hc *h, int cmd, struct hv_vcpu *t, uint64_t arg)
{
    switch (cmd) {
    case 0: {
        uint8_t b[8 + 14 * 8];
        if (hv_hc_from_guest(h, b, arg, sizeof(b)))
            return -XEN_EFAULT;
        if (t->online || t->x86->initialised)
            return -XEN_EEXIST;
        uint64_t r[14];
        for (unsigned k = 0; k < 14; k++) {
            r[k] = 0;
            for (unsigned i = 0; i < 8; i++)
                r[k] |= (uint64_t)b[8 + 8 * k + i] << (8 * i);
        }
        if (b[0] != 1 || b[1] || b[2] || b[3])
            return -XEN_EINVAL;
        struct x86_vmcs *vm = &t->x86->vmcs;
        struct x86_cpu *c = t->xcpu;
        x86_vmcs_guest_long64(vm, r[8], r[11]);
        static const unsigned order[8] = {X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP,
                                          X86_RBP, X86_RSI, X86_RDI};
        for (unsigned k = 0; k < 8; k++)
            c->gpr[order[k]] = r[k];
        vm->guest.rsp = r[4];
        vm->guest.rflags = r[9] | 2;
        vm->ctl.cr0_shadow = r[10];
        vm->guest.cr0 = r[10] | (1ull << 5);
        vm->ctl.cr4_shadow = r[12];
        vm->guest.cr4 = r[12] | (1ull << 13);
        vm->guest.efer = r[13];
        t->x86->initialised = true;
        return 0;
    }
    case 1:
        if (!t->x86->initialised && !t->online)
            return -XEN_EINVAL;
        if (!t->online)
            hv_vcpu_online(t);
        return 0;
    case 2:
        hv_vcpu_down(t);
        return 0;
    case 3:
        return t->online;
    default:
        return -XEN_ENOSYS;
    }
}

/* do_hvm_op (xen/arch/x86/hvm/hvm.c) besides set/get_param: HVMOP_set_evtchn_upcall_vector
 * (23): struct xen_hvm_evtchn_upcall_vector {uint32 vcpu; uint8 vector}, vector < 0x10
 * -EINVAL, unknown vCPU -ENOENT; then hvm_assert_evtchn_irq. */
static int64_t x86_hvm_op(struct hc *h, const uint64_t *a)
{
    int op = (int)a[0];
    struct hv_domain *d = h->v->d;
    if (op != 23) {
        hv_hc_sub(h, op, "unknown");
        return -XEN_ENOSYS;
    }
    hv_hc_sub(h, 23, "set_evtchn_upcall_vector");
    uint8_t b[8];
    if (hv_hc_from_guest(h, b, a[1], 8))
        return -XEN_EFAULT;
    uint32_t vcpu = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                    (uint32_t)b[3] << 24;
    unsigned vec = b[4];
    if (vec < 0x10)
        return -XEN_EINVAL;
    if (vcpu >= d->nvcpus)
        return -XEN_ENOENT;
    struct hv_vcpu *t = d->vcpu[vcpu];
    t->x86->upcall_vector = vec;
    if (hv_evtchn_upcall_pending(t))
        hv_x86_evtchn_inject(t);
    return 0;
}

/* HVM_PARAM_CALLBACK_IRQ (hvm_set_callback_via): type 2 in bits 63:56 is a vector; GSI and
 * PCI INTx callbacks (types 0, 1) need an emulated IO-APIC / PCI device: not modelled. */
static void x86_hvm_param_set(struct hv_domain *d, unsigned index, uint64_t val)
{
    if (index != HVM_PARAM_CALLBACK_IRQ)
        return;
    d->x86->callback_vector = (val >> 56) == 2 ? (unsigned)(val & 0xff) : 0;
    for (unsigned i = 0; i < d->nvcpus; i++)
        if (d->x86->callback_vector && hv_evtchn_upcall_pending(d->vcpu[i]))
            hv_x86_evtchn_inject(d->vcpu[i]);
}

/* XENMEM_memory_map (xen/arch/x86/mm.c arch_memory_op): struct xen_memory_map
 * {uint32 nr_entries; handle buffer @8}; fewer slots than entries -EINVAL; the e820 entries
 * are packed {uint64 addr, uint64 size, uint32 type} (20 bytes). */
static int64_t x86_memory_map(struct hc *h, const uint64_t *a)
{
    struct hv_x86_domain *x = h->v->d->x86;
    uint8_t b[16];
    if (hv_hc_from_guest(h, b, a[1], 16))
        return -XEN_EFAULT;
    uint32_t n = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    uint64_t buf = 0;
    for (unsigned i = 0; i < 8; i++)
        buf |= (uint64_t)b[8 + i] << (8 * i);
    if (n < x->ne820)
        return -XEN_EINVAL;
    uint8_t e[20 * X86_MAX_E820];
    for (unsigned k = 0; k < x->ne820; k++)
        for (unsigned i = 0; i < 8; i++) {
            e[20 * k + i] = (uint8_t)(x->e820[k].addr >> (8 * i));
            e[20 * k + 8 + i] = (uint8_t)(x->e820[k].size >> (8 * i));
            if (i < 4)
                e[20 * k + 16 + i] = (uint8_t)(x->e820[k].type >> (8 * i));
        }
    if (hv_hc_to_guest(h, buf, e, 20ull * x->ne820))
        return -XEN_EFAULT;
    b[0] = (uint8_t)x->ne820;
    b[1] = b[2] = b[3] = 0;
    return hv_hc_to_guest(h, a[1], b, 4) ? -XEN_EFAULT : 0;
}

static void x86_domain_flush(struct hv_domain *d)
{
    fflush(d->hv->m->console);
}

static void x86_vcpu_free(struct hv_vcpu *v)
{
    if (v->xcpu) {
        v->xcpu->vmx = NULL;
        x86_cpu_destroy(v->xcpu);
    }
    free(v->x86);
}

/* arch_evtchn_inject: a vCPU that is in VMX non-root operation is kicked out with an
 * event-check IPI (vcpu_kick, EVENT_CHECK_VECTOR 0xfc: an external-interrupt exit) so the
 * callback is injected at the next entry. */
static void x86_evtchn_inject(struct hv_vcpu *v)
{
    hv_x86_evtchn_inject(v);
    if (v->x86->vmcs.m.in_guest && !v->x86->upcall_vector && v->d->x86->callback_vector)
        x86_vmx_ext_interrupt(v->xcpu, 0xfc);
}

const struct hv_arch_ops hv_x86_ops = {
    .name = "x86_64",
    /* x86_64 struct shared_info (XEN_LEGACY_MAX_VCPUS = 32): vcpu_info[32] of 64 bytes,
     * evtchn_pending[64] @2048, evtchn_mask[64] @2560 */
    .shinfo_pending = 2048,
    .shinfo_mask = 2560,
    .legacy_vcpus = 32,
    .vcpu_info_size = 64,
    /* arch_get_xen_caps (xen/arch/x86/setup.c) with PV and HVM support */
    .xen_caps = "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ",
    .virt_start = 0xffff800000000000ull, /* HYPERVISOR_VIRT_START, arch-x86/xen-x86_64.h */
    .gnttab_window = 0,
    .features0 = x86_features0,
    .vcpu_op_check = x86_vcpu_op_check,
    .vcpu_op = x86_vcpu_op,
    .gva_to_pa = x86_gva_to_pa,
    .gva_to_gpa = x86_gva_to_gpa,
    .p2m_lookup = hv_x86_p2m_lookup,
    .p2m_set_page = hv_x86_p2m_set_page,
    .evtchn_inject = x86_evtchn_inject,
    .irq_pending = x86_irq_pending,
    .timer_deadline = x86_timer_deadline,
    .timer_check = x86_timer_check,
    .timer_mask = x86_timer_mask,
    .ctxt_switch_from = x86_ctxt_switch_from,
    .ctxt_switch_to = x86_ctxt_switch_to,
    .run = x86_run_vcpu,
    .insns = x86_insns,
    .mode_name = x86_mode_name,
    .hvm_op = x86_hvm_op,
    .memory_map = x86_memory_map,
    .hvm_param_set = x86_hvm_param_set,
    .domain_flush = x86_domain_flush,
    .vcpu_free = x86_vcpu_free,
};

/* ---- public API (xen_x86.h) ---- */
void hv_x86_destroy(struct hv *hv);

struct hv *hv_x86_create(struct machine *m, char *err, size_t errlen)
{
    struct hv *hv = hv_create(m, &hv_x86_ops, err, errlen);
    if (!hv)
        return NULL;
    if (hv_x86_domain_build(hv, err, errlen)) {
        hv_x86_destroy(hv);
        return NULL;
    }
    return hv;
}

int hv_x86_run(struct hv *hv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    return hv_run(hv);
}

int hv_x86_dump_state(struct hv *hv, FILE *f)
{
    if (!hv->dom[0].nvcpus || !hv->dom[0].vcpu[0] || !hv->dom[0].vcpu[0]->xcpu)
        return -ENOSYS;
    return x86_dump_state_json(hv->dom[0].vcpu[0]->xcpu, f);
}

void hv_x86_destroy(struct hv *hv)
{
    if (hv)
        for (unsigned i = 0; i < hv->ndoms; i++)
            if (hv->dom[i].x86) {
                free(hv->dom[i].x86);
                hv->dom[i].x86 = NULL;
            }
    hv_destroy(hv);
}
