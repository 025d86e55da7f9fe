/* hv/x86/vmexit.c - the VM-exit dispatcher (xen/arch/x86/hvm/vmx/vmx.c vmx_vmexit_handler)
 * and what each exit does in Xen: VMCALL -> hvm_hypercall (xen/arch/x86/hvm/hypercall.c),
 * CPUID -> the Xen leaves (xen/arch/x86/traps.c cpuid_hypervisor_leaves) over the core's
 * CPUID with the hypervisor bit, WRMSR 0x40000000 -> the hypercall page
 * (vmx_init_hypercall_page), other exiting MSRs through the core's MSR model, HLT ->
 * hvm_hlt, I/O -> port 0xE9 (hvm_print_line) or all-ones reads, EPT violations outside RAM ->
 * domain_crash, CR accesses (vmx_cr_access), interrupt windows and the event-channel upcall
 * (vmx_intr_assist, hvm_assert_evtchn_irq). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/x86/internal.h"

/* Xen's handler cost of one VM exit beyond the hardware world switch (register save and
 * restore in entry.S, vmx_vmexit_handler dispatch, vmx_intr_assist on the way back),
 * calibrated so that a null hypercall (xen_version(XENVER_version), no memory touched)
 * costs 1,228 cycles on the skylake model: Dall et al., ISCA 2016, Table 3 (x86 Xen
 * hypercall 1,228 cycles; xen-abi.md §9a), minus the model's VM exit + VM entry (skylake
 * cost_vmexit 500 + cost_vmentry 400). */
#define XEN_VMEXIT_HANDLER_CYCLES 328u

#define CR0_PE (1ull << 0)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_VMXE (1ull << 13)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

static uint64_t *gpr(struct hv_vcpu *v, unsigned n)
{
    struct x86_vmcs *vm = &v->x86->vmcs;
    /* RSP lives in the VMCS guest-state area while the guest is out (vmx.h) */
    return n == X86_RSP ? &vm->guest.rsp : &v->xcpu->gpr[n];
}

/* hvm_inject_hw_exception: queue an exception for the next VM entry */
static void inject_exc(struct hv_vcpu *v, unsigned vec, bool has_err, uint32_t err)
{
    struct x86_vmcs *vm = &v->x86->vmcs;
    vm->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_HWEXC, vec) |
                              (has_err ? X86_INTR_HAS_ERROR : 0);
    vm->ctl.entry_error = err;
}

static bool upcall_pending(struct hv_vcpu *v)
{
    return hv_evtchn_upcall_pending(v);
}

/* hvm_assert_evtchn_irq: with a per-vCPU upcall vector, set it in the vLAPIC (the guest
 * EOIs it); with the domain's callback vector, kick the vCPU: vmx_intr_assist injects the
 * vector at the next entry while evtchn_upcall_pending stays set. */
void hv_x86_evtchn_inject(struct hv_vcpu *v)
{
    struct hv_x86_domain *x = v->d->x86;
    if (v->x86->upcall_vector) {
        x86_lapic_accept(v->xcpu, v->x86->upcall_vector);
        (*x->st_upcalls)++;
    }
    /* vcpu_kick; without any callback the event only stays pending in shared_info, and a
     * vCPU in SCHEDOP_poll / block is still woken (evtchn_check_pollers) */
    hv_vcpu_wake(v);
}

void hv_x86_intr_assist(struct hv_vcpu *v)
{
    struct x86_vmcs *vm = &v->x86->vmcs;
    struct hv_x86_domain *x = v->d->x86;
    vm->ctl.proc &= ~X86_PROC_INTR_WINDOW;
    if (!x->callback_vector || v->x86->upcall_vector || (vm->ctl.entry_intr_info & X86_INTR_VALID))
        return;
    if (!upcall_pending(v))
        return;
    /* hvm_interrupt_blocked: RFLAGS.IF = 0 or an STI / MOV SS shadow */
    if (!(vm->guest.rflags & X86_IF) ||
        (vm->guest.interruptibility & (X86_INTRBL_STI | X86_INTRBL_MOVSS))) {
        vm->ctl.proc |= X86_PROC_INTR_WINDOW; /* enable_intr_window */
        return;
    }
    vm->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_EXTINT, x->callback_vector);
    vm->guest.activity = X86_ACT_ACTIVE;
    (*x->st_upcalls)++;
}

/* ---- CPUID (cpuid_hypervisor_leaves, xen/arch/x86/cpuid.c guest_cpuid) ---- */
static void do_cpuid(struct hv_vcpu *v)
{
    struct x86_cpu *c = v->xcpu;
    uint32_t leaf = (uint32_t)c->gpr[X86_RAX], sub = (uint32_t)c->gpr[X86_RCX], r[4] = {0};
    const struct hv_profile *p = v->d->hv->prof;
    (*v->d->x86->st_cpuid)++;
    if (leaf >= X86_XEN_CPUID_BASE && leaf < X86_XEN_CPUID_BASE + 0x10000) {
        switch (leaf - X86_XEN_CPUID_BASE) {
        case 0: /* base + max leaf, "XenVMMXenVMM" */
            r[0] = X86_XEN_CPUID_BASE + X86_XEN_CPUID_LEAVES;
            r[1] = 0x566e6558u; /* "XenV" */
            r[2] = 0x65584d4du; /* "MMXe" */
            r[3] = 0x4d4d566eu; /* "nVMM" */
            break;
        case 1: /* version */
            r[0] = p->xen_version;
            break;
        case 2: /* hypercall pages, MSR base */
            r[0] = 1;
            r[1] = X86_XEN_HCALL_MSR;
            break;
        case 3: /* time: subleaf 0 flags / TSC mode / TSC kHz; others 0 (not modelled) */
            if (sub == 0)
                r[2] = (uint32_t)(v->d->hv->m->clock.hz / 1000);
            break;
        case 4: /* HVM features: XEN_HVM_CPUID_VCPU_ID_PRESENT (bit 3, EBX = vcpu_id),
                 * DOMID_PRESENT (bit 4, ECX = domid), UPCALL_VECTOR (bit 6) */
            r[0] = 1u << 3 | 1u << 4 | 1u << 6;
            r[1] = v->id;
            r[2] = v->d->id;
            break;
        default: /* leaf 5 (PV parameters) and beyond the limit: zero */
            break;
        }
    } else {
        x86_cpuid(c, leaf, sub, r);
        if (leaf == 1)
            r[2] |= 1u << 31; /* CPUID.1:ECX.hypervisor */
    }
    c->gpr[X86_RAX] = r[0];
    c->gpr[X86_RBX] = r[1];
    c->gpr[X86_RCX] = r[2];
    c->gpr[X86_RDX] = r[3];
}

/* ---- WRMSR 0x40000000: the hypercall page (vmx_init_hypercall_page) ---- */
static int hypercall_page(struct hv_vcpu *v, uint64_t val)
{
    if (val & 4095)
        return -EINVAL; /* page index > 0: only one page (#GP) */
    uint64_t pa;
    if (hv_p2m_lookup(v, val & ~4095ull, true, &pa) ||
        !sim_mem_is_ram(&v->d->hv->m->mem, pa, 4096))
        return -EFAULT;
    uint8_t page[4096];
    memset(page, 0xcc, sizeof(page)); /* init_hypercall_page: int3 between the stubs */
    for (unsigned i = 0; i < 128; i++) {
        uint8_t *s = page + 32 * i;
        if (i == 23) { /* __HYPERVISOR_iret is not supported for HVM: ud2 */
            s[0] = 0x0f;
            s[1] = 0x0b;
            continue;
        }
        s[0] = 0xb8; /* mov $i, %eax */
        s[1] = (uint8_t)i;
        s[2] = s[3] = s[4] = 0;
        s[5] = 0x0f; /* vmcall */
        s[6] = 0x01;
        s[7] = 0xc1;
        s[8] = 0xc3; /* ret */
    }
    hv_write_pa(v, pa, page, sizeof(page));
    x86_flush_decoded(v->xcpu);
    return 0;
}

static void do_msr(struct hv_vcpu *v, bool write)
{
    struct x86_cpu *c = v->xcpu;
    uint32_t idx = (uint32_t)c->gpr[X86_RCX];
    uint64_t val = (c->gpr[X86_RAX] & 0xffffffffull) | c->gpr[X86_RDX] << 32;
    (*v->d->x86->st_msr)++;
    if (idx == X86_XEN_HCALL_MSR) {
        if (!write || hypercall_page(v, val))
            inject_exc(v, X86_EXC_GP, true, 0);
        return;
    }
    int rc = write ? x86_msr_write(c, idx, val) : x86_msr_read(c, idx, &val);
    if (rc) {
        inject_exc(v, X86_EXC_GP, true, 0);
        return;
    }
    if (!write) {
        c->gpr[X86_RAX] = val & 0xffffffffull;
        c->gpr[X86_RDX] = val >> 32;
    }
}

/* ---- VMCALL: hvm_hypercall ---- */
static void do_vmcall(struct hv_vcpu *v, uint64_t c0)
{
    struct x86_cpu *c = v->xcpu;
    struct x86_vmcs *vm = &v->x86->vmcs;
    unsigned cpl = (vm->guest.seg[X86_SEG_SS].ar >> 5) & 3;
    uint64_t a[5];
    uint64_t nr;
    if (vm->ctl.entry & X86_ENTRY_IA32E && (vm->guest.seg[X86_SEG_CS].ar & (1u << 13))) {
        /* 64-bit: RAX = number, RDI RSI RDX R10 R8 = arguments */
        nr = c->gpr[X86_RAX];
        a[0] = c->gpr[X86_RDI], a[1] = c->gpr[X86_RSI], a[2] = c->gpr[X86_RDX];
        a[3] = c->gpr[10], a[4] = c->gpr[8];
    } else {
        /* 32-bit: EAX = number, EBX ECX EDX ESI EDI (the compat layouts of the argument
         * structures are not modelled: docs/hv.md) */
        nr = c->gpr[X86_RAX] & 0xffffffffull;
        a[0] = c->gpr[X86_RBX] & 0xffffffffull, a[1] = c->gpr[X86_RCX] & 0xffffffffull;
        a[2] = c->gpr[X86_RDX] & 0xffffffffull, a[3] = c->gpr[X86_RSI] & 0xffffffffull;
        a[4] = c->gpr[X86_RDI] & 0xffffffffull;
    }
    if (cpl != 0) {
        /* hvm_hypercall: "if ( hvm_get_cpl(curr) ) { regs->rax = -EPERM; ... }" The call is
         * still counted as a failed row of its number. */
        c->gpr[X86_RAX] = (uint64_t)(int64_t)-XEN_EPERM;
        hv_hypercall_refused(v, c0, nr, vm->m.cost_entry);
        return;
    }
    struct hv_hcall_meas mm;
    int64_t ret = hv_hypercall_begin(v, c0, nr, a, &mm);
    c->gpr[X86_RAX] = (uint64_t)ret;
    hv_hypercall_done(v, &mm, ret, false);
}

/* ---- I/O: port 0xE9 (hvm_print_line) and everything else unclaimed ---- */
static enum sim_outcome do_io(struct hv_vcpu *v)
{
    struct x86_vmcs *vm = &v->x86->vmcs;
    struct x86_cpu *c = v->xcpu;
    uint64_t q = vm->exit.qual;
    unsigned size = (unsigned)(q & 7) + 1, port = (unsigned)(q >> 16);
    bool in = q & X86_QIO_IN;
    (*v->d->x86->st_io)++;
    if (q & X86_QIO_STRING) {
        hv_domain_crash(v->d, "string I/O (INS/OUTS) is not emulated by this model");
        return SIM_OUT_NONE;
    }
    if (in) {
        /* no device claims the port: the read returns all ones (~0 of the access size) */
        uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
        c->gpr[X86_RAX] = size == 4 ? mask : (c->gpr[X86_RAX] & ~mask) | mask;
        return SIM_OUT_NONE;
    }
    if (port == 0xe9 && size == 1) {
        char ch = (char)c->gpr[X86_RAX];
        hv_console_write(v->d, &ch, 1);
        if (ch == '\n')
            fflush(v->d->hv->m->console);
    }
    return SIM_OUT_NONE;
}

/* ---- CR access (vmx_cr_access / hvm_set_cr0 / hvm_set_cr4): host-owned bits (CR0.NE,
 * CR4.VMXE) keep their real value, the guest's value goes to the read shadow ---- */
static void do_cr(struct hv_vcpu *v)
{
    struct x86_vmcs *vm = &v->x86->vmcs;
    struct x86_cpu *c = v->xcpu;
    uint64_t q = vm->exit.qual;
    unsigned cr = (unsigned)(q & 15), type = (unsigned)(q >> 4) & 3, reg = (unsigned)(q >> 8) & 15;
    (*v->d->x86->st_cr)++;
    uint64_t val;
    if (type == X86_QCR_MOV_TO) {
        val = *gpr(v, reg);
    } else if (type == X86_QCR_CLTS) {
        cr = 0;
        val = x86_vmx_guest_cr0(vm) & ~CR0_TS;
    } else if (type == X86_QCR_LMSW) {
        cr = 0;
        val = (x86_vmx_guest_cr0(vm) & ~0xeull) | ((q >> 16) & 0xf);
    } else {
        /* MOV from CR (CR3/CR8 exiting is off): not expected; read the real value */
        *gpr(v, reg) = cr == 3 ? vm->guest.cr3 : cr == 0 ? x86_vmx_guest_cr0(vm)
                                                         : x86_vmx_guest_cr4(vm);
        return;
    }
    if (cr == 0) {
        uint64_t old = vm->guest.cr0;
        if ((val & CR0_PG) && !(val & CR0_PE)) {
            inject_exc(v, X86_EXC_GP, true, 0);
            return;
        }
        vm->ctl.cr0_shadow = val;
        vm->guest.cr0 = val | CR0_NE;
        /* long mode activation / deactivation with EFER.LME (SDM vol. 3A §9.8.5) */
        if (!(old & CR0_PG) && (val & CR0_PG) && (vm->guest.efer & EFER_LME)) {
            vm->guest.efer |= EFER_LMA;
            vm->ctl.entry |= X86_ENTRY_IA32E;
        } else if ((old & CR0_PG) && !(val & CR0_PG)) {
            vm->guest.efer &= ~EFER_LMA;
            vm->ctl.entry &= ~X86_ENTRY_IA32E;
        }
        mmu_x86_mov_cr0(hv_pcpu_mmu(v), c->vpid, old, vm->guest.cr0);
    } else if (cr == 4) {
        uint64_t old = vm->guest.cr4;
        vm->ctl.cr4_shadow = val;
        vm->guest.cr4 = val | CR4_VMXE;
        mmu_x86_mov_cr4(hv_pcpu_mmu(v), c->vpid, old, vm->guest.cr4, 0);
    } else if (cr == 3) {
        uint64_t old = vm->guest.cr3;
        vm->guest.cr3 = val;
        mmu_x86_mov_cr3(hv_pcpu_mmu(v), c->vpid, old, val, vm->guest.cr4);
    }
}

/* XSETBV always exits (SDM vol. 3C §26.1.2): handle_xsetbv */
static void do_xsetbv(struct hv_vcpu *v)
{
    struct x86_cpu *c = v->xcpu;
    uint64_t val = (c->gpr[X86_RAX] & 0xffffffffull) | c->gpr[X86_RDX] << 32;
    /* XCR0 must keep x87 (bit 0), AVX needs SSE; the core supports x87 and SSE only */
    if ((uint32_t)c->gpr[X86_RCX] != 0 || !(val & 1) || (val & ~3ull)) {
        inject_exc(v, X86_EXC_GP, true, 0);
        return;
    }
    c->xcr0 = val;
}

enum sim_outcome hv_x86_vmexit(struct hv_vcpu *v)
{
    struct hv *hv = v->d->hv;
    struct machine *m = hv->m;
    struct x86_vmcs *vm = &v->x86->vmcs;
    struct x86_cpu *c = v->xcpu;
    uint32_t reason = vm->exit.reason;
    unsigned basic = reason & 0xffff;
    /* the core charged the hardware VM exit; c0 = the cycle the exit began */
    uint64_t c0 = *v->cycles - vm->m.cost_exit;
    bool advance = false;
    (*hv->st_traps)++;
    hv_charge(v, XEN_VMEXIT_HANDLER_CYCLES);
    if (reason & X86_VMX_EXIT_ENTRY_FAIL) {
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "d%uv%u: VM entry failed (exit reason 0x%" PRIx32 ")", v->d->id, v->id, reason);
        return SIM_OUT_CRASH;
    }
    switch (basic) {
    case X86_VMX_EXIT_VMCALL:
        vm->guest.rip += vm->exit.insn_len; /* before the call: SCHEDOP_* may deschedule */
        do_vmcall(v, c0);
        *hv->st_trap_cycles += *v->cycles - c0 + vm->m.cost_entry;
        return SIM_OUT_NONE;
    case X86_VMX_EXIT_CPUID:
        do_cpuid(v);
        advance = true;
        break;
    case X86_VMX_EXIT_RDMSR:
    case X86_VMX_EXIT_WRMSR:
        do_msr(v, basic == X86_VMX_EXIT_WRMSR);
        advance = !(vm->ctl.entry_intr_info & X86_INTR_VALID);
        break;
    case X86_VMX_EXIT_HLT:
        /* hvm_hlt: with interrupts disabled the vCPU goes down (all down: poweroff,
         * "All CPUs offline -- powering off"); else block until an event */
        (*hv->st_wfi)++;
        (*v->d->x86->st_hlt)++;
        advance = true;
        vm->guest.activity = X86_ACT_ACTIVE;
        if (!(vm->guest.rflags & X86_IF)) {
            hv_vcpu_down(v);
            bool any = false;
            for (unsigned i = 0; i < v->d->nvcpus; i++)
                any |= v->d->vcpu[i]->online;
            if (!any)
                hv_domain_shutdown(v->d, 0);
        } else {
            hv_vcpu_block(v);
        }
        break;
    case X86_VMX_EXIT_IO:
        do_io(v);
        advance = true;
        break;
    case X86_VMX_EXIT_CR:
        do_cr(v);
        advance = !(vm->ctl.entry_intr_info & X86_INTR_VALID);
        break;
    case X86_VMX_EXIT_XSETBV:
        do_xsetbv(v);
        advance = !(vm->ctl.entry_intr_info & X86_INTR_VALID);
        break;
    case X86_VMX_EXIT_EXTINT:
    case X86_VMX_EXIT_INTR_WINDOW:
        /* a host interrupt (nothing to do: the scheduler runs next) / the guest can take the
         * callback vector now: vmx_intr_assist at the next entry */
        break;
    case X86_VMX_EXIT_EPT_VIOLATION:
    case X86_VMX_EXIT_EPT_MISCONFIG: {
        /* ept_handle_violation -> hvm_hap_nested_page_fault: guest RAM is always mapped, so
         * this is an access outside it (no emulated device in the model): domain_crash */
        char why[128];
        snprintf(why, sizeof(why),
                 "EPT %s at GPA 0x%" PRIx64 " (rip 0x%" PRIx64 ", qualification 0x%" PRIx64
                 "): not guest RAM", basic == X86_VMX_EXIT_EPT_MISCONFIG ? "misconfiguration"
                 : "violation", vm->exit.guest_phys, vm->guest.rip, vm->exit.qual);
        (*v->d->x86->st_ept_crash)++;
        hv_domain_crash(v->d, why);
        break;
    }
    case X86_VMX_EXIT_TRIPLE:
        /* hvm_triple_fault: the HVM_PARAM_TRIPLE_FAULT_REASON action, SHUTDOWN_reboot */
        if (!hv->stderr_quiet)
            fprintf(stderr, "(XEN) d%uv%u Triple fault - invoking HVM shutdown action 1\n",
                    v->d->id, v->id);
        hv_domain_shutdown(v->d, 1);
        break;
    default: {
        char why[96];
        snprintf(why, sizeof(why), "unexpected VM exit %u (%s) at rip 0x%" PRIx64, basic,
                 x86_vmx_reason_name(basic) ? x86_vmx_reason_name(basic) : "?", vm->guest.rip);
        hv_domain_crash(v->d, why);
        break;
    }
    }
    if (advance)
        vm->guest.rip += vm->exit.insn_len;
    (void)c;
    *hv->st_trap_cycles += *v->cycles - c0 + vm->m.cost_entry;
    return SIM_OUT_NONE;
}
