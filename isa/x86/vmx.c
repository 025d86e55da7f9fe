/* isa/x86/vmx.c - VMX non-root operation (Intel SDM vol. 3C ch. 25-29): VM entry with its
 * checks and event injection, the instructions and events that cause VM exits, the exit
 * information, EPT/VPID for the guest's translations, VMCS field access by encoding, and the
 * VMX instructions themselves (#UD outside VMX operation, VM exits in non-root operation).
 * See vmx.h for the model. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "isa/x86/vmx.h"
#include "isa/x86/x86_internal.h"
#include "mmu/cpu_model.h"
#include "sim/stats.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_VMXE (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFLAGS_VM (1ull << 17)
/* RFLAGS reserved bits: 63:22, 15, 5, 3 must be 0, bit 1 must be 1 (SDM vol. 3C §27.3.1.4) */
#define RFLAGS_RSVD0 (~0x3fffffull | (1ull << 15) | (1ull << 5) | (1ull << 3))

/* ---- names ---- */
static const char *const reason_names[X86_VMX_NREASONS] = {
    [0] = "exception_nmi", [1] = "external_interrupt", [2] = "triple_fault", [3] = "init",
    [4] = "sipi", [5] = "io_smi", [6] = "other_smi", [7] = "interrupt_window",
    [8] = "nmi_window", [9] = "task_switch", [10] = "cpuid", [11] = "getsec", [12] = "hlt",
    [13] = "invd", [14] = "invlpg", [15] = "rdpmc", [16] = "rdtsc", [17] = "rsm",
    [18] = "vmcall", [19] = "vmclear", [20] = "vmlaunch", [21] = "vmptrld", [22] = "vmptrst",
    [23] = "vmread", [24] = "vmresume", [25] = "vmwrite", [26] = "vmxoff", [27] = "vmxon",
    [28] = "cr_access", [29] = "dr_access", [30] = "io", [31] = "rdmsr", [32] = "wrmsr",
    [33] = "entry_fail_guest_state", [34] = "entry_fail_msr_load", [36] = "mwait",
    [37] = "monitor_trap_flag", [39] = "monitor", [40] = "pause", [41] = "entry_fail_mce",
    [43] = "tpr_below_threshold", [44] = "apic_access", [45] = "virtualized_eoi",
    [46] = "gdtr_idtr", [47] = "ldtr_tr", [48] = "ept_violation", [49] = "ept_misconfig",
    [50] = "invept", [51] = "rdtscp", [52] = "preemption_timer", [53] = "invvpid",
    [54] = "wbinvd", [55] = "xsetbv", [56] = "apic_write", [57] = "rdrand", [58] = "invpcid",
    [59] = "vmfunc", [60] = "encls", [61] = "rdseed", [62] = "pml_full", [63] = "xsaves",
    [64] = "xrstors",
};

const char *x86_vmx_reason_name(unsigned basic_reason)
{
    return basic_reason < X86_VMX_NREASONS ? reason_names[basic_reason] : NULL;
}

/* ---- setup ---- */
int x86_vmcs_init(struct x86_vmcs *v, struct sim_stats *stats, const struct mmu_cpu_model *model)
{
    memset(v, 0, sizeof(*v));
    v->guest.link_ptr = ~0ull;
    v->guest.rflags = 2;
    v->m.ext_irq = -1;
    if (model) {
        v->m.cost_exit = model->cost_vmexit;
        v->m.cost_entry = model->cost_vmentry;
    }
    v->m.stats = stats;
    if (stats) {
        v->m.st_exits = sim_stats_add(stats, "guest.vmexits", "count", "VM exits (all reasons)");
        v->m.st_entries = sim_stats_add(stats, "guest.vmentries", "count",
                                        "VM entries (VMLAUNCH/VMRESUME)");
        v->m.st_cycles = sim_stats_add(stats, "guest.vmx.cycles", "cycles",
                                       "VM exit and entry world-switch cycles (CPU model)");
        if (!v->m.st_exits || !v->m.st_entries || !v->m.st_cycles)
            return -ENOMEM;
    }
    return 0;
}

/* Core segment attributes <-> VMCS access rights. A segment without P (a null selector, or
 * the null SS of 64-bit mode that keeps DPL and B) is "unusable" (§25.4.1); its other bits
 * are kept (SS.DPL is the CPL, §25.4.1). */
static uint32_t ar_to_vmcs(uint16_t attr)
{
    uint32_t ar = (attr & 0xffu) | (uint32_t)((attr >> 8) & 0xf) << 12;
    if (!(attr & X86_SA_P))
        return ar | X86_AR_UNUSABLE;
    /* Code/data segments: hardware sets the descriptor's accessed bit on every load (SDM
     * vol. 3A §3.4.5.1); the core does not track it, VM entry requires it (§27.3.1.2). */
    if (ar & 0x10)
        ar |= 1;
    return ar;
}

static uint16_t ar_from_vmcs(uint32_t ar)
{
    uint16_t attr = (uint16_t)((ar & 0xffu) | ((ar >> 12) & 0xf) << 8);
    return (ar & X86_AR_UNUSABLE) ? (uint16_t)(attr & ~X86_SA_P) : attr;
}

static void flat_seg(struct x86_vmcs_seg *s, uint16_t sel, uint32_t ar)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->ar = ar;
}

/* VMCS access rights: P | S | type, G (bit 15), D/B (14), L (13). */
#define AR_CODE32 (0x9bu | 1u << 14 | 1u << 15)
#define AR_CODE64 (0x9bu | 1u << 13 | 1u << 15)
#define AR_DATA (0x93u | 1u << 14 | 1u << 15)
#define AR_TSS_BUSY (0x8bu)

void x86_vmcs_guest_pvh32(struct x86_vmcs *v, uint32_t entry)
{
    /* Xen's PVH start state (docs/misc/pvh.pandoc; hvm/domain.c): CR0 = PE|ET as the guest
     * sees it; the real CR0 also has NE (fixed to 1 in VMX operation, SDM vol. 3C A.7), CR4
     * has VMXE (A.8): both owned by the host through the masks. */
    memset(&v->guest, 0, sizeof(v->guest));
    v->guest.rip = entry;
    v->guest.rflags = 2;
    v->guest.cr0 = CR0_PE | CR0_ET | CR0_NE;
    v->guest.cr4 = CR4_VMXE;
    flat_seg(&v->guest.seg[X86_SEG_CS], 0x08, AR_CODE32);
    for (unsigned s = X86_SEG_ES; s <= X86_SEG_GS; s++)
        if (s != X86_SEG_CS)
            flat_seg(&v->guest.seg[s], 0x10, AR_DATA);
    v->guest.seg[X86_SEG_FS].ar = v->guest.seg[X86_SEG_GS].ar = X86_AR_UNUSABLE;
    v->guest.seg[X86_SEG_FS].sel = v->guest.seg[X86_SEG_GS].sel = 0;
    v->guest.seg[X86_SEG_LDTR].ar = X86_AR_UNUSABLE;
    v->guest.seg[X86_SEG_TR] = (struct x86_vmcs_seg){.sel = 0x18, .limit = 0x67, .ar = AR_TSS_BUSY};
    v->guest.pat = 0x0007040600070406ull;
    v->guest.link_ptr = ~0ull;
    v->ctl.cr0_mask |= CR0_NE;
    v->ctl.cr0_shadow = CR0_PE | CR0_ET;
    v->ctl.cr4_mask |= CR4_VMXE;
    v->ctl.cr4_shadow = 0;
    v->ctl.entry &= ~X86_ENTRY_IA32E;
}

void x86_vmcs_guest_long64(struct x86_vmcs *v, uint64_t rip, uint64_t cr3)
{
    memset(&v->guest, 0, sizeof(v->guest));
    v->guest.rip = rip;
    v->guest.rflags = 2;
    v->guest.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    v->guest.cr3 = cr3;
    v->guest.cr4 = CR4_PAE | CR4_VMXE;
    v->guest.efer = EFER_LME | EFER_LMA | EFER_NXE;
    flat_seg(&v->guest.seg[X86_SEG_CS], 0x08, AR_CODE64);
    for (unsigned s = X86_SEG_ES; s <= X86_SEG_GS; s++)
        if (s != X86_SEG_CS)
            flat_seg(&v->guest.seg[s], 0x10, AR_DATA);
    v->guest.seg[X86_SEG_LDTR].ar = X86_AR_UNUSABLE;
    v->guest.seg[X86_SEG_TR] = (struct x86_vmcs_seg){.sel = 0x18, .limit = 0x67, .ar = AR_TSS_BUSY};
    v->guest.pat = 0x0007040600070406ull;
    v->guest.link_ptr = ~0ull;
    v->ctl.cr4_mask |= CR4_VMXE;
    v->ctl.cr4_shadow = CR4_PAE;
    v->ctl.cr0_mask |= CR0_NE;
    v->ctl.cr0_shadow = v->guest.cr0 & ~CR0_NE;
    v->ctl.entry |= X86_ENTRY_IA32E | X86_ENTRY_LOAD_EFER;
}

uint64_t x86_vmx_guest_cr0(const struct x86_vmcs *v)
{
    return (v->guest.cr0 & ~v->ctl.cr0_mask) | (v->ctl.cr0_shadow & v->ctl.cr0_mask);
}

uint64_t x86_vmx_guest_cr4(const struct x86_vmcs *v)
{
    return (v->guest.cr4 & ~v->ctl.cr4_mask) | (v->ctl.cr4_shadow & v->ctl.cr4_mask);
}

/* ---- guest state <-> core (SDM vol. 3C §27.3.2 loading, §28.3 saving) ---- */
static void save_guest(struct x86_cpu *c)
{
    struct x86_vmcs *v = c->vmx;
    v->guest.cr0 = c->cr0;
    v->guest.cr3 = c->cr3;
    v->guest.cr4 = c->cr4;
    v->guest.dr7 = c->dr7;
    v->guest.rsp = c->gpr[X86_RSP];
    v->guest.rip = c->rip;
    v->guest.rflags = c->rflags;
    for (unsigned s = 0; s < X86_NSEG; s++) {
        struct x86_vmcs_seg *g = &v->guest.seg[s];
        g->sel = c->seg[s].sel;
        g->limit = c->seg[s].limit;
        g->ar = ar_to_vmcs(c->seg[s].attr);
        g->base = x86_seg_base(c, s); /* FS/GS: fs_base/gs_base */
    }
    v->guest.gdtr_base = c->gdtr.base;
    v->guest.gdtr_limit = c->gdtr.limit;
    v->guest.idtr_base = c->idtr.base;
    v->guest.idtr_limit = c->idtr.limit;
    /* EFER and PAT saved unconditionally (the "save IA32_EFER/PAT" exit controls are what
     * Xen sets); the "IA-32e mode guest" entry control receives EFER.LMA (SDM vol. 3C §28.3). */
    v->guest.efer = c->efer;
    v->guest.pat = c->pat;
    v->guest.sysenter_cs = (uint32_t)c->sysenter_cs;
    v->guest.sysenter_esp = c->sysenter_esp;
    v->guest.sysenter_eip = c->sysenter_eip;
    if (c->efer & EFER_LMA)
        v->ctl.entry |= X86_ENTRY_IA32E;
    else
        v->ctl.entry &= ~X86_ENTRY_IA32E;
    v->guest.interruptibility = 0;
    if (c->int_shadow)
        v->guest.interruptibility = (c->rflags & X86_IF) ? X86_INTRBL_STI : X86_INTRBL_MOVSS;
    v->guest.activity = c->halted ? X86_ACT_HLT : X86_ACT_ACTIVE;
}

static void load_guest(struct x86_cpu *c)
{
    struct x86_vmcs *v = c->vmx;
    c->cr0 = v->guest.cr0;
    c->cr3 = v->guest.cr3;
    c->cr4 = v->guest.cr4;
    c->dr7 = v->guest.dr7;
    c->gpr[X86_RSP] = v->guest.rsp;
    c->rip = v->guest.rip;
    c->rflags = v->guest.rflags;
    for (unsigned s = 0; s < X86_NSEG; s++) {
        const struct x86_vmcs_seg *g = &v->guest.seg[s];
        c->seg[s].sel = g->sel;
        c->seg[s].limit = g->limit;
        c->seg[s].attr = ar_from_vmcs(g->ar);
        c->seg[s].base = g->base;
    }
    c->fs_base = v->guest.seg[X86_SEG_FS].base;
    c->gs_base = v->guest.seg[X86_SEG_GS].base;
    c->gdtr.base = v->guest.gdtr_base;
    c->gdtr.limit = (uint16_t)v->guest.gdtr_limit;
    c->idtr.base = v->guest.idtr_base;
    c->idtr.limit = (uint16_t)v->guest.idtr_limit;
    bool ia32e = v->ctl.entry & X86_ENTRY_IA32E;
    if (v->ctl.entry & X86_ENTRY_LOAD_EFER) {
        c->efer = v->guest.efer;
    } else {
        /* §27.3.2.1: LMA from "IA-32e mode guest"; LME too when CR0.PG = 1. */
        c->efer = (c->efer & ~EFER_LMA) | (ia32e ? EFER_LMA : 0);
        if (c->cr0 & CR0_PG)
            c->efer = (c->efer & ~EFER_LME) | (ia32e ? EFER_LME : 0);
    }
    if (v->ctl.entry & X86_ENTRY_LOAD_PAT)
        c->pat = v->guest.pat;
    c->sysenter_cs = v->guest.sysenter_cs;
    c->sysenter_esp = v->guest.sysenter_esp;
    c->sysenter_eip = v->guest.sysenter_eip;
    /* CPL = SS.DPL (§27.3.2.2 loads SS.DPL as the current privilege level). */
    c->cpl = (v->guest.seg[X86_SEG_SS].ar >> 5) & 3;
    c->int_shadow = (v->guest.interruptibility & (X86_INTRBL_STI | X86_INTRBL_MOVSS)) != 0;
    c->halted = v->guest.activity == X86_ACT_HLT;
    c->fault = false;
    c->delivering = 0;
    x86_update_mode(c);
}

/* ---- VM exits (SDM vol. 3C ch. 28) ---- */
struct exit_desc {
    uint32_t reason;
    uint64_t qual, gla, gpa;
    uint32_t intr_info, intr_error, insn_len, insn_info;
};

static void count_exit(struct x86_cpu *c, unsigned reason)
{
    struct x86_vmcs *v = c->vmx;
    c->cycles += v->m.cost_exit;
    if (!v->m.stats)
        return;
    (*v->m.st_exits)++;
    *v->m.st_cycles += v->m.cost_exit;
    if (reason < X86_VMX_NREASONS) {
        if (!v->m.st_reason[reason] && reason_names[reason])
            v->m.st_reason[reason] = sim_stats_addf(v->m.stats, "count",
                                                    "VM exits with this basic exit reason",
                                                    "hv.vmexit.%s", reason_names[reason]);
        if (v->m.st_reason[reason])
            (*v->m.st_reason[reason])++;
    }
}

/* Record the exit, save the guest state and stop the current instruction (c->fault, so the
 * instruction has no further effect; x86_vmx_fault turns it into X86_STOP_VMEXIT). */
static void vm_exit(struct x86_cpu *c, const struct exit_desc *d)
{
    struct x86_vmcs *v = c->vmx;
    v->exit.reason = d->reason;
    v->exit.qual = d->qual;
    v->exit.guest_linear = d->gla;
    v->exit.guest_phys = d->gpa;
    v->exit.intr_info = d->intr_info;
    v->exit.intr_error = d->intr_error;
    v->exit.insn_len = d->insn_len;
    v->exit.insn_info = d->insn_info;
    v->exit.idt_info = 0;
    v->exit.idt_error = 0;
    /* "VM exits clear the valid bit of the VM-entry interruption-information field" */
    v->ctl.entry_intr_info &= ~X86_INTR_VALID;
    save_guest(c);
    v->m.in_guest = false;
    v->m.exit_pending = true;
    count_exit(c, d->reason & 0xffff);
    c->fault = true;
    c->stop = X86_STOP_VMEXIT;
}

static bool exit_simple(struct x86_cpu *c, const struct x86_insn *i, unsigned reason, uint64_t qual)
{
    struct exit_desc d = {.reason = reason, .qual = qual, .insn_len = i ? i->len : 0};
    vm_exit(c, &d);
    return true;
}

/* Does exception vec (error code err) cause a VM exit? Exception bitmap; for #PF the
 * PFEC mask/match rule (§26.2): exit iff ((err & mask) == match) equals bit 14. */
static bool exc_exits(const struct x86_vmcs *v, unsigned vec, uint32_t err)
{
    if (vec >= 32)
        return false;
    bool bit = (v->ctl.exception_bitmap >> vec) & 1;
    if (vec == X86_EXC_PF)
        return ((err & v->ctl.pf_ec_mask) == v->ctl.pf_ec_match) == bit;
    return bit;
}

bool x86_vmx_fault(struct x86_cpu *c)
{
    struct x86_vmcs *v = c->vmx;
    if (v->m.exit_pending) {
        c->fault = false;
        c->stop = X86_STOP_VMEXIT;
        return true;
    }
    unsigned vec = c->exc.vector;
    if (!exc_exits(v, vec, c->exc.has_error ? c->exc.error : 0))
        return false;
    struct exit_desc d = {
        .reason = X86_VMX_EXIT_EXCEPTION,
        .intr_info = X86_INTR_INFO(vec == 2 ? X86_INTR_NMI : X86_INTR_HWEXC, vec) |
                     (c->exc.has_error ? X86_INTR_HAS_ERROR : 0),
        .intr_error = c->exc.has_error ? c->exc.error : 0,
        /* §28.2.1: #PF -> the linear address (CR2 is not loaded); #DB would give DR6 bits
         * but no debug exception is modelled; others 0. */
        .qual = vec == X86_EXC_PF ? c->exc.cr2 : 0,
    };
    vm_exit(c, &d);
    c->fault = false;
    return true;
}

bool x86_vmx_xlate_fault(struct x86_cpu *c, uint64_t la, int rc, const struct mmu_walk_result *res)
{
    struct x86_vmcs *v = c->vmx;
    if (rc != -EFAULT || res->fault.kind == MMU_FAULT_NONE)
        return false;
    if (res->fault.stage == 2) {
        struct exit_desc d = {.gpa = res->fault.ipa};
        if (res->fault.kind == MMU_FAULT_MISCONFIG) {
            d.reason = X86_VMX_EXIT_EPT_MISCONFIG; /* §28.2.1: qualification undefined (0) */
        } else if (res->fault.kind == MMU_FAULT_TRANSLATION ||
                   res->fault.kind == MMU_FAULT_PERMISSION) {
            /* EPT violation, qualification per SDM vol. 3C Table 28-7 (from the walker). */
            d.reason = X86_VMX_EXIT_EPT_VIOLATION;
            d.qual = res->fault.arch;
            if (d.qual & MMU_X86_EQ_GLA_VALID)
                d.gla = la;
        } else {
            return false; /* EXTERNAL: no memory behind the EPT tables -> #MC by the core */
        }
        vm_exit(c, &d);
        return true;
    }
    if (res->fault.stage == 1 && res->fault.kind != MMU_FAULT_EXTERNAL &&
        res->fault.kind != MMU_X86_FAULT_NONCANONICAL &&
        exc_exits(v, X86_EXC_PF, res->fault.arch)) {
        /* A #PF the exception bitmap intercepts: CR2 is not written (§28.1). */
        struct exit_desc d = {
            .reason = X86_VMX_EXIT_EXCEPTION,
            .intr_info = X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_PF) | X86_INTR_HAS_ERROR,
            .intr_error = res->fault.arch,
            .qual = la,
        };
        vm_exit(c, &d);
        return true;
    }
    return false;
}

static bool contributory(unsigned v)
{
    /* SDM vol. 3A Table 6-4: #DE, #TS, #NP, #SS, #GP */
    return v == X86_EXC_DE || (v >= X86_EXC_TS && v <= X86_EXC_GP);
}

static uint32_t event_type(unsigned vec, enum x86_event_kind kind)
{
    switch (kind) {
    case X86_EV_EXTINT: return X86_INTR_EXTINT;
    case X86_EV_SOFTINT: return (vec == X86_EXC_BP || vec == X86_EXC_OF) ? X86_INTR_SWEXC
                                                                         : X86_INTR_SWINT;
    case X86_EV_ICEBP: return X86_INTR_PRIV_SWEXC;
    default: return vec == 2 ? X86_INTR_NMI : X86_INTR_HWEXC;
    }
}

bool x86_vmx_nested_fault(struct x86_cpu *c, unsigned vec, enum x86_event_kind kind, bool has_err,
                          uint32_t err)
{
    struct x86_vmcs *v = c->vmx;
    uint32_t idt = X86_INTR_INFO(event_type(vec, kind), vec) | (has_err ? X86_INTR_HAS_ERROR : 0);
    if (!v->m.exit_pending) {
        /* The new fault: an exception in the bitmap exits (§26.2, "during event delivery"). */
        if (!x86_vmx_fault(c)) {
            /* Otherwise the core goes on with #DF when SDM vol. 3A Table 6-5 says so
             * (contributory after contributory, #PF or contributory after #PF): #DF is then
             * the exception that occurs, and the bitmap may take it. */
            unsigned nv = c->exc.vector;
            bool df = kind == X86_EV_EXCEPTION && vec != X86_EXC_DF &&
                      ((contributory(vec) && contributory(nv)) ||
                       (vec == X86_EXC_PF && (nv == X86_EXC_PF || contributory(nv))));
            if (!df || !((v->ctl.exception_bitmap >> X86_EXC_DF) & 1))
                return false;
            struct exit_desc d = {
                .reason = X86_VMX_EXIT_EXCEPTION,
                .intr_info = X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_DF) | X86_INTR_HAS_ERROR,
            };
            vm_exit(c, &d);
        }
        v->m.exit_pending = true;
    }
    /* §28.2.4 IDT-vectoring information: the event whose delivery caused the exit; the
     * guest state is that before the delivery started (the core restored it). */
    v->exit.idt_info = idt;
    v->exit.idt_error = has_err ? err : 0;
    unsigned type = (idt >> 8) & 7;
    if (type == X86_INTR_SWINT || type == X86_INTR_SWEXC || type == X86_INTR_PRIV_SWEXC) {
        /* §28.2.4: for software events the exit instruction length is that of the INT n /
         * INT3 / INTO / INT1 (or the injected length), so the event can be re-injected. */
        uint64_t len = (c->nrip - c->rip) & 0xf;
        v->exit.insn_len = v->m.injecting ? v->ctl.entry_insn_len : (uint32_t)len;
    }
    save_guest(c);
    c->fault = true;
    c->stop = X86_STOP_VMEXIT;
    return true;
}

void x86_vmx_triple_fault(struct x86_cpu *c)
{
    struct exit_desc d = {.reason = X86_VMX_EXIT_TRIPLE};
    vm_exit(c, &d);
    c->fault = false;
    c->stop = X86_STOP_VMEXIT;
}

void x86_vmx_ext_interrupt(struct x86_cpu *c, unsigned vector)
{
    if (c->vmx)
        c->vmx->m.ext_irq = (int)(vector & 0xff);
}

bool x86_vmx_boundary_slow(struct x86_cpu *c)
{
    struct x86_vmcs *v = c->vmx;
    if (!v->m.in_guest || v->m.exit_pending) {
        /* An exit taken while entering (injection), or x86_run without x86_vmentry. */
        v->m.exit_pending = false;
        c->fault = false;
        c->stop = X86_STOP_VMEXIT;
        return true;
    }
    if (v->m.ext_irq >= 0) {
        unsigned vec = (unsigned)v->m.ext_irq;
        if (v->ctl.pin & X86_PIN_EXTINT_EXIT) {
            /* §26.2 / §28.2.2: exit; with "acknowledge interrupt on exit" the vector is in
             * the exit interruption information. The interrupt is the host's from now on. */
            struct exit_desc d = {.reason = X86_VMX_EXIT_EXTINT};
            if (v->ctl.exit & X86_EXIT_ACK_INTR)
                d.intr_info = X86_INTR_INFO(X86_INTR_EXTINT, vec);
            v->m.ext_irq = -1;
            vm_exit(c, &d);
            v->m.exit_pending = false;
            c->fault = false;
            return true;
        }
        if ((c->rflags & X86_IF) && !c->int_shadow) {
            v->m.ext_irq = -1;
            c->halted = false;
            x86_deliver_event(c, vec, X86_EV_EXTINT, false, 0, c->rip);
            if (c->stop == X86_STOP_TRIPLE || c->stop == X86_STOP_UNHANDLED)
                x86_vmx_triple_fault(c);
            if (c->stop != X86_STOP_NONE) {
                v->m.exit_pending = false;
                c->fault = false;
                return true;
            }
        }
    }
    if ((v->ctl.proc & X86_PROC_INTR_WINDOW) && (c->rflags & X86_IF) && !c->int_shadow) {
        /* §26.7.5: interrupt-window exit before the instruction, RIP = that instruction. */
        struct exit_desc d = {.reason = X86_VMX_EXIT_INTR_WINDOW};
        vm_exit(c, &d);
        v->m.exit_pending = false;
        c->fault = false;
        return true;
    }
    return false;
}

/* ---- CR0/CR4 guest/host masks (§26.3) ---- */
uint64_t x86_vmx_cr_read(const struct x86_cpu *c, unsigned cr, uint64_t val)
{
    const struct x86_vmcs *v = c->vmx;
    if (cr == 0)
        return (val & ~v->ctl.cr0_mask) | (v->ctl.cr0_shadow & v->ctl.cr0_mask);
    if (cr == 4)
        return (val & ~v->ctl.cr4_mask) | (v->ctl.cr4_shadow & v->ctl.cr4_mask);
    return val;
}

uint64_t x86_vmx_cr_write(const struct x86_cpu *c, unsigned cr, uint64_t val)
{
    const struct x86_vmcs *v = c->vmx;
    if (cr == 0)
        return (val & ~v->ctl.cr0_mask) | (c->cr0 & v->ctl.cr0_mask);
    if (cr == 4)
        return (val & ~v->ctl.cr4_mask) | (c->cr4 & v->ctl.cr4_mask);
    return val;
}

uint64_t x86_vmx_tsc(const struct x86_cpu *c, uint64_t tsc)
{
    const struct x86_vmcs *v = c->vmx;
    return (v->ctl.proc & X86_PROC_TSC_OFFSET) ? tsc + v->ctl.tsc_offset : tsc;
}

/* ---- instruction intercepts (SDM vol. 3C §26.1) ---- */
static uint32_t proc2(const struct x86_vmcs *v)
{
    return (v->ctl.proc & X86_PROC_SECONDARY) ? v->ctl.proc2 : 0;
}

static bool bitmap_bit(struct x86_cpu *c, uint64_t base, unsigned bit)
{
    uint64_t b = 0;
    if (sim_mem_read(c->mem, base + bit / 8, 1, &b))
        return true; /* a bitmap outside memory: treat as set (exit) */
    return (b >> (bit % 8)) & 1;
}

/* §26.1.3 "I/O instructions": I/O bitmaps A (ports 0-7FFF) and B (8000-FFFF); an access
 * that wraps past FFFF exits. Without bitmaps, "unconditional I/O exiting" decides. */
static bool io_exits(struct x86_cpu *c, unsigned port, unsigned size)
{
    const struct x86_vmcs *v = c->vmx;
    if (!(v->ctl.proc & X86_PROC_IO_BITMAPS))
        return v->ctl.proc & X86_PROC_UNCOND_IO_EXIT;
    if (port + size - 1 > 0xffff)
        return true;
    for (unsigned p = port; p < port + size; p++)
        if (bitmap_bit(c, p < 0x8000 ? v->ctl.io_bitmap_a : v->ctl.io_bitmap_b, p & 0x7fff))
            return true;
    return false;
}

/* §25.6.9 MSR bitmaps: read-low 0, read-high 1024, write-low 2048, write-high 3072 bytes;
 * MSRs outside 0-1FFF and C0000000-C0001FFF always exit. */
static bool msr_exits(struct x86_cpu *c, uint32_t msr, bool write)
{
    const struct x86_vmcs *v = c->vmx;
    if (!(v->ctl.proc & X86_PROC_MSR_BITMAPS))
        return true;
    uint64_t off;
    if (msr <= 0x1fff)
        off = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        off = 1024;
    else
        return true;
    return bitmap_bit(c, v->ctl.msr_bitmap + off + (write ? 2048 : 0), msr & 0x1fff);
}

static unsigned default_seg(const struct x86_insn *i)
{
    if (i->seg != 7)
        return i->seg;
    return (i->base == X86_RSP || i->base == X86_RBP) ? X86_SEG_SS : X86_SEG_DS;
}

static uint32_t asz_code(unsigned asz)
{
    return asz == 2 ? 0 : asz == 4 ? 1 : 2;
}

/* VM-exit instruction information for memory operands (§28.2.5, Tables 28-9 .. 28-14):
 * scaling 1:0, address size 9:7, mem/reg 10, segment 17:15, index 21:18 (+invalid 22),
 * base 26:23 (+invalid 27), reg2 31:28. */
static uint32_t insn_info_mem(const struct x86_insn *i, unsigned reg2)
{
    uint32_t info = (uint32_t)i->scale | asz_code(i->asz) << 7;
    if (!(i->flags & XI_MEM))
        return info | 1u << 10 | (uint32_t)(i->rm & 15) << 3 | (uint32_t)(reg2 & 15) << 28;
    info |= (uint32_t)default_seg(i) << 15;
    info |= i->index == 0xff ? 1u << 22 : (uint32_t)(i->index & 15) << 18;
    info |= i->base == 0xff ? 1u << 27 : (uint32_t)(i->base & 15) << 23;
    info |= (uint32_t)(reg2 & 15) << 28;
    return info;
}

static bool exit_mem_insn(struct x86_cpu *c, const struct x86_insn *i, unsigned reason)
{
    struct exit_desc d = {
        .reason = reason,
        .qual = (i->flags & XI_MEM) ? (uint64_t)(int64_t)i->disp : 0,
        .insn_len = i->len,
        .insn_info = insn_info_mem(i, i->reg),
    };
    vm_exit(c, &d);
    return true;
}

static bool ud(struct x86_cpu *c)
{
    x86_raise(c, X86_EXC_UD, false, 0);
    return true;
}

/* IN/OUT/INS/OUTS (Table 28-5). */
static bool intercept_io(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned op = i->opc;
    bool string = op >= 0x6c && op <= 0x6f;
    bool in = string ? op <= 0x6d : !(op & 2);
    bool imm = op >= 0xe4 && op <= 0xe7;
    unsigned size = (op & 1) ? (i->osz == 2 ? 2 : 4) : 1;
    unsigned port = imm ? (unsigned)(i->imm & 0xff) : (unsigned)(c->gpr[X86_RDX] & 0xffff);
    if (!io_exits(c, port, size))
        return false;
    uint32_t fl = (in ? X86_QIO_IN : 0) | (imm ? X86_QIO_IMM : 0);
    struct exit_desc d = {.reason = X86_VMX_EXIT_IO, .insn_len = i->len};
    if (string) {
        fl |= X86_QIO_STRING | (i->rep ? X86_QIO_REP : 0);
        /* guest-linear address of the memory operand (§28.2.1): ES:rDI for INS, seg:rSI. */
        uint64_t off = c->gpr[in ? X86_RDI : X86_RSI] & x86_mask(i->asz);
        unsigned s = in ? X86_SEG_ES : (i->seg != 7 ? i->seg : X86_SEG_DS);
        d.gla = c->code_bits == 64 && s < X86_SEG_FS ? off : off + x86_seg_base(c, s);
        d.insn_info = asz_code(i->asz) << 7 | (in ? 0 : (uint32_t)s << 15);
    }
    d.qual = X86_QIO(port, size, fl);
    vm_exit(c, &d);
    return true;
}

/* MOV CR, CLTS, LMSW (§26.1.3, qualification Table 28-3). */
static bool intercept_cr(struct x86_cpu *c, const struct x86_insn *i)
{
    const struct x86_vmcs *v = c->vmx;
    if (i->opc == 0x06) { /* CLTS */
        if ((v->ctl.cr0_mask & CR0_TS) && (v->ctl.cr0_shadow & CR0_TS))
            return exit_simple(c, i, X86_VMX_EXIT_CR, X86_QCR(0, X86_QCR_CLTS, 0));
        /* TS host-owned with shadow 0: CLTS completes without changing CR0.TS (§26.3). */
        return (v->ctl.cr0_mask & CR0_TS) != 0;
    }
    if (i->opc == 0x01) { /* LMSW (0F 01 /6) */
        uint64_t src, la = 0;
        if (i->flags & XI_MEM) {
            if (x86_ea(c, i, &la) || x86_read(c, la, 2, &src))
                return true;
        } else {
            src = c->gpr[i->rm];
        }
        src &= 0xffff;
        uint64_t m = v->ctl.cr0_mask, s = v->ctl.cr0_shadow;
        bool ex = ((m & CR0_PE) && !(s & CR0_PE) && (src & CR0_PE)) ||
                  (((src ^ s) & m) & (CR0_MP | CR0_EM | CR0_TS));
        if (!ex)
            return false;
        struct exit_desc d = {
            .reason = X86_VMX_EXIT_CR, .insn_len = i->len, .gla = la,
            .qual = X86_QCR(0, X86_QCR_LMSW, 0) | ((i->flags & XI_MEM) ? 1u << 6 : 0) |
                    src << 16,
        };
        vm_exit(c, &d);
        return true;
    }
    unsigned cr = i->reg, gpr = i->rm;
    bool to = i->opc == 0x22;
    uint64_t val = c->gpr[gpr];
    if (c->code_bits != 64)
        val &= 0xffffffffull;
    bool ex = false;
    switch (cr) {
    case 0:
        ex = to && ((val ^ v->ctl.cr0_shadow) & v->ctl.cr0_mask);
        break;
    case 4:
        ex = to && ((val ^ v->ctl.cr4_shadow) & v->ctl.cr4_mask);
        break;
    case 3:
        if (to) {
            ex = v->ctl.proc & X86_PROC_CR3_LOAD_EXIT;
            for (unsigned k = 0; ex && k < v->ctl.cr3_target_count && k < 4; k++)
                if (v->ctl.cr3_target[k] == val)
                    ex = false;
        } else {
            ex = v->ctl.proc & X86_PROC_CR3_STORE_EXIT;
        }
        break;
    case 8:
        ex = v->ctl.proc & (to ? X86_PROC_CR8_LOAD_EXIT : X86_PROC_CR8_STORE_EXIT);
        break;
    default:
        break;
    }
    if (!ex)
        return false;
    return exit_simple(c, i, X86_VMX_EXIT_CR,
                       X86_QCR(cr, to ? X86_QCR_MOV_TO : X86_QCR_MOV_FROM, gpr));
}

static bool vmx_insn_ud(const struct x86_cpu *c)
{
    /* SDM vol. 3C ch. 31 (VMCLEAR ... VMXON, INVEPT, INVVPID): #UD if CR0.PE = 0,
     * RFLAGS.VM = 1 or compatibility mode, before the non-root VM exit. */
    return !(c->cr0 & CR0_PE) || (c->rflags & RFLAGS_VM) ||
           ((c->efer & EFER_LMA) && c->code_bits != 64);
}

bool x86_vmx_intercept(struct x86_cpu *c, const struct x86_insn *i)
{
    const struct x86_vmcs *v = c->vmx;
    uint32_t p = v->ctl.proc, p2 = proc2(v);
    if (i->map == 0) {
        switch (i->opc) {
        case 0x6c: case 0x6d: case 0x6e: case 0x6f:
        case 0xe4: case 0xe5: case 0xe6: case 0xe7:
        case 0xec: case 0xed: case 0xee: case 0xef:
            return intercept_io(c, i);
        case 0xf4:
            return (p & X86_PROC_HLT_EXIT) && exit_simple(c, i, X86_VMX_EXIT_HLT, 0);
        case 0x90: /* F3 90 PAUSE (its own x86.def line), not NOP / XCHG */
            return (p & X86_PROC_PAUSE_EXIT) && i->rm == 0 &&
                   !strcmp(x86_insn_line_name(i->line), "pause") &&
                   exit_simple(c, i, X86_VMX_EXIT_PAUSE, 0);
        case 0xcc: case 0xce: case 0xf1: {
            /* INT3/INTO (software exceptions) and INT1 (privileged software exception) are
             * subject to the exception bitmap (§26.2); INT n is not. */
            unsigned vec = i->opc == 0xcc ? X86_EXC_BP : i->opc == 0xce ? X86_EXC_OF : X86_EXC_DB;
            if (i->opc == 0xce && !(c->rflags & X86_OF))
                return false;
            if (!((v->ctl.exception_bitmap >> vec) & 1))
                return false;
            struct exit_desc d = {
                .reason = X86_VMX_EXIT_EXCEPTION, .insn_len = i->len,
                .intr_info = X86_INTR_INFO(i->opc == 0xf1 ? X86_INTR_PRIV_SWEXC : X86_INTR_SWEXC,
                                           vec),
            };
            vm_exit(c, &d);
            return true;
        }
        default:
            return false;
        }
    }
    if (i->map == 2) {
        switch (i->opc) {
        case 0x80: return vmx_insn_ud(c) ? ud(c) : exit_mem_insn(c, i, X86_VMX_EXIT_INVEPT);
        case 0x81: return vmx_insn_ud(c) ? ud(c) : exit_mem_insn(c, i, X86_VMX_EXIT_INVVPID);
        case 0x82:
            /* INVPCID: #UD unless "enable INVPCID"; exits with INVLPG exiting (§26.1.3). */
            if (!(p2 & X86_PROC2_INVPCID))
                return ud(c);
            return (p & X86_PROC_INVLPG_EXIT) && exit_mem_insn(c, i, X86_VMX_EXIT_INVPCID);
        default:
            return false;
        }
    }
    if (i->map != 1)
        return false;
    unsigned modrm = (i->flags & XI_MEM) ? 0 : 0xc0u | (unsigned)i->modreg << 3 | (i->rm & 7u);
    switch (i->opc) {
    case 0x01:
        switch (modrm) {
        case 0xc1: return exit_simple(c, i, X86_VMX_EXIT_VMCALL, 0); /* VMCALL: always */
        case 0xc2: return vmx_insn_ud(c) ? ud(c) : exit_simple(c, i, X86_VMX_EXIT_VMLAUNCH, 0);
        case 0xc3: return vmx_insn_ud(c) ? ud(c) : exit_simple(c, i, X86_VMX_EXIT_VMRESUME, 0);
        case 0xc4: return vmx_insn_ud(c) ? ud(c) : exit_simple(c, i, X86_VMX_EXIT_VMXOFF, 0);
        case 0xc8: return (p & X86_PROC_MONITOR_EXIT) && exit_simple(c, i, X86_VMX_EXIT_MONITOR, 0);
        case 0xc9: return (p & X86_PROC_MWAIT_EXIT) && exit_simple(c, i, X86_VMX_EXIT_MWAIT, 0);
        case 0xd1: return exit_simple(c, i, X86_VMX_EXIT_XSETBV, 0); /* XSETBV: always */
        case 0xf9:
            if (!(p2 & X86_PROC2_RDTSCP))
                return ud(c); /* "enable RDTSCP" = 0: #UD (§26.3) */
            return (p & X86_PROC_RDTSC_EXIT) && exit_simple(c, i, X86_VMX_EXIT_RDTSCP, 0);
        default:
            break;
        }
        if (i->modreg == 6)
            return intercept_cr(c, i); /* LMSW */
        if (i->modreg == 7 && (i->flags & XI_MEM) && (p & X86_PROC_INVLPG_EXIT)) {
            uint64_t la;
            if (x86_ea(c, i, &la))
                return true;
            return exit_simple(c, i, X86_VMX_EXIT_INVLPG, la); /* qualification = LA */
        }
        return false;
    case 0x06: case 0x20: case 0x22:
        return intercept_cr(c, i);
    case 0x21: case 0x23: {
        if (!(p & X86_PROC_MOV_DR_EXIT))
            return false;
        /* Table 28-4: DR number 2:0, direction 4 (1 = MOV from DR), GPR 11:8. */
        uint64_t q = (i->reg & 7u) | (i->opc == 0x21 ? 1u << 4 : 0) | (uint64_t)i->rm << 8;
        return exit_simple(c, i, X86_VMX_EXIT_DR, q);
    }
    case 0x08: return exit_simple(c, i, X86_VMX_EXIT_INVD, 0);
    case 0x09: return (p2 & X86_PROC2_WBINVD_EXIT) && exit_simple(c, i, X86_VMX_EXIT_WBINVD, 0);
    case 0x30: case 0x32: {
        bool wr = i->opc == 0x30;
        if (!msr_exits(c, (uint32_t)c->gpr[X86_RCX], wr))
            return false;
        return exit_simple(c, i, wr ? X86_VMX_EXIT_WRMSR : X86_VMX_EXIT_RDMSR, 0);
    }
    case 0x31: return (p & X86_PROC_RDTSC_EXIT) && exit_simple(c, i, X86_VMX_EXIT_RDTSC, 0);
    case 0x33: return (p & X86_PROC_RDPMC_EXIT) && exit_simple(c, i, X86_VMX_EXIT_RDPMC, 0);
    case 0x37: return exit_simple(c, i, X86_VMX_EXIT_GETSEC, 0);
    case 0xa2: return exit_simple(c, i, X86_VMX_EXIT_CPUID, 0); /* CPUID: always */
    case 0x78: case 0x79: {
        if (vmx_insn_ud(c))
            return ud(c);
        struct exit_desc d = {
            .reason = i->opc == 0x78 ? X86_VMX_EXIT_VMREAD : X86_VMX_EXIT_VMWRITE,
            .qual = (i->flags & XI_MEM) ? (uint64_t)(int64_t)i->disp : 0,
            .insn_len = i->len,
            .insn_info = insn_info_mem(i, i->reg),
        };
        vm_exit(c, &d);
        return true;
    }
    case 0xc7:
        if (i->flags & XI_MEM) {
            if (i->modreg == 6 || i->modreg == 7) {
                if (vmx_insn_ud(c))
                    return ud(c);
                const char *nm = x86_insn_line_name(i->line);
                unsigned r = i->modreg == 7 ? X86_VMX_EXIT_VMPTRST
                             : !strcmp(nm, "vmxon") ? X86_VMX_EXIT_VMXON
                             : !strcmp(nm, "vmclear") ? X86_VMX_EXIT_VMCLEAR
                             : X86_VMX_EXIT_VMPTRLD;
                return exit_mem_insn(c, i, r);
            }
            if (i->modreg == 3 || i->modreg == 5) { /* XRSTORS / XSAVES */
                if (!(p2 & X86_PROC2_XSAVES))
                    return ud(c);
                uint64_t mask = (c->gpr[X86_RDX] << 32) | (c->gpr[X86_RAX] & 0xffffffffull);
                if (!(v->ctl.xss_exit_bitmap & mask))
                    return false;
                return exit_mem_insn(c, i, i->modreg == 5 ? X86_VMX_EXIT_XSAVES
                                                          : X86_VMX_EXIT_XRSTORS);
            }
            return false;
        }
        if (i->modreg == 6 && (p2 & X86_PROC2_RDRAND_EXIT))
            return exit_simple(c, i, X86_VMX_EXIT_RDRAND, 0);
        if (i->modreg == 7 && i->rep != 3 && (p2 & X86_PROC2_RDSEED_EXIT))
            return exit_simple(c, i, X86_VMX_EXIT_RDSEED, 0);
        return false;
    default:
        return false;
    }
}

/* Handler of the VMX instruction lines of x86.def (VMCALL, VMLAUNCH, VMRESUME, VMXOFF,
 * VMPTRLD, VMCLEAR, VMXON, VMPTRST, VMREAD, VMWRITE, INVEPT, INVVPID): #UD outside VMX
 * operation (this core never runs VMX root code: CR4.VMXE is the hypervisor's), a VM exit
 * in non-root operation (SDM vol. 3C ch. 31 pseudo-code). */
void x86_h_vmx(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!c->vmx || !x86_vmx_intercept(c, i))
        x86_raise(c, X86_EXC_UD, false, 0);
}

/* ---- VM entry (SDM vol. 3C ch. 27) ---- */
static bool ept_ok(uint64_t eptp, unsigned maxphy)
{
    unsigned mt = eptp & 7, walk = (eptp >> 3) & 7;
    if (mt != 0 && mt != 6)
        return false;
    if (walk != 3 && walk != 4)
        return false;
    if (eptp & 0xf80ull) /* bits 11:7 reserved */
        return false;
    return maxphy >= 64 || !(eptp >> maxphy);
}

static bool page_addr_ok(uint64_t a, unsigned maxphy)
{
    return !(a & 0xfff) && (maxphy >= 64 || !(a >> maxphy));
}

/* §27.2.1: VM-execution, exit and entry control checks. 0 or the VM-instruction error. */
static unsigned check_controls(const struct x86_cpu *c, const struct x86_vmcs *v)
{
    uint32_t p2 = proc2(v);
    unsigned mp = c->maxphyaddr;
    if ((v->ctl.pin & ~X86_VMX_PIN_SUPPORTED) || (v->ctl.proc & ~X86_VMX_PROC_SUPPORTED) ||
        (p2 & ~X86_VMX_PROC2_SUPPORTED) || (v->ctl.exit & ~X86_VMX_EXIT_SUPPORTED) ||
        (v->ctl.entry & ~X86_VMX_ENTRY_SUPPORTED))
        return 7;
    if (v->ctl.cr3_target_count > 4)
        return 7;
    if ((v->ctl.proc & X86_PROC_IO_BITMAPS) &&
        (!page_addr_ok(v->ctl.io_bitmap_a, mp) || !page_addr_ok(v->ctl.io_bitmap_b, mp)))
        return 7;
    if ((v->ctl.proc & X86_PROC_MSR_BITMAPS) && !page_addr_ok(v->ctl.msr_bitmap, mp))
        return 7;
    if ((p2 & X86_PROC2_UNRESTRICTED) && !(p2 & X86_PROC2_EPT))
        return 7;
    if ((p2 & X86_PROC2_MBEC) && !(p2 & X86_PROC2_EPT))
        return 7;
    if ((p2 & X86_PROC2_VPID) && v->ctl.vpid == 0)
        return 7;
    if ((p2 & X86_PROC2_EPT) && !ept_ok(v->ctl.eptp, mp))
        return 7;
    if ((p2 & X86_PROC2_EPT) && !c->mmu)
        return 7; /* model limit: EPT is walked by the MMU model */
    uint32_t ii = v->ctl.entry_intr_info;
    if (ii & X86_INTR_VALID) {
        /* §27.2.1.3 */
        unsigned type = (ii >> 8) & 7, vec = ii & 0xff;
        bool ug = p2 & X86_PROC2_UNRESTRICTED;
        if (ii & 0x7ffff000u)
            return 7;
        if (type == 1 || type == X86_INTR_OTHER)
            return 7;
        if (type == X86_INTR_NMI && vec != 2)
            return 7;
        if (type == X86_INTR_HWEXC && vec > 31)
            return 7;
        bool want_err = type == X86_INTR_HWEXC && (ug ? (v->guest.cr0 & CR0_PE) != 0 : true) &&
                        (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21);
        if (((ii & X86_INTR_HAS_ERROR) != 0) != want_err)
            return 7;
        if ((ii & X86_INTR_HAS_ERROR) && (v->ctl.entry_error & 0xffff8000u))
            return 7;
        if ((type == X86_INTR_SWINT || type == X86_INTR_PRIV_SWEXC || type == X86_INTR_SWEXC) &&
            (v->ctl.entry_insn_len < 1 || v->ctl.entry_insn_len > 15))
            return 7;
    }
    return 0;
}

static bool canonical48(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* §27.3.1: the guest-state checks that matter for this model. true = valid. */
static bool check_guest(const struct x86_cpu *c, const struct x86_vmcs *v)
{
    uint32_t p2 = proc2(v);
    bool ug = p2 & X86_PROC2_UNRESTRICTED;
    bool ia32e = v->ctl.entry & X86_ENTRY_IA32E;
    const struct x86_vmcs_seg *cs = &v->guest.seg[X86_SEG_CS], *ss = &v->guest.seg[X86_SEG_SS];
    const struct x86_vmcs_seg *tr = &v->guest.seg[X86_SEG_TR];
    uint64_t cr0 = v->guest.cr0, cr4 = v->guest.cr4, rf = v->guest.rflags;
    /* CR0/CR4 fixed bits (IA32_VMX_CR0_FIXED0 = PE|NE|PG, CR4_FIXED0 = VMXE; A.7, A.8) */
    uint64_t fixed0 = ug ? CR0_NE : (CR0_PE | CR0_NE | CR0_PG);
    if ((cr0 & fixed0) != fixed0 || ((cr0 & CR0_PG) && !(cr0 & CR0_PE)))
        return false;
    if (!(cr4 & CR4_VMXE))
        return false;
    if (c->maxphyaddr < 64 && (v->guest.cr3 >> c->maxphyaddr))
        return false;
    if (ia32e && (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE)))
        return false;
    if (!ia32e && (cr4 & CR4_PCIDE))
        return false;
    if (v->ctl.entry & X86_ENTRY_LOAD_EFER) {
        bool lma = v->guest.efer & EFER_LMA, lme = v->guest.efer & EFER_LME;
        if (lma != ia32e || ((cr0 & CR0_PG) && lma != lme))
            return false;
    }
    if ((rf & RFLAGS_RSVD0) || !(rf & 2))
        return false;
    if ((ia32e || !(cr0 & CR0_PE)) && (rf & RFLAGS_VM))
        return false;
    uint32_t ii = v->ctl.entry_intr_info;
    if ((ii & X86_INTR_VALID) && ((ii >> 8) & 7) == X86_INTR_EXTINT && !(rf & X86_IF))
        return false;
    bool cs_l = ia32e && (cs->ar & (1u << 13));
    if (!cs_l && (v->guest.rip >> 32))
        return false;
    if (cs_l && !canonical48(v->guest.rip))
        return false;
    /* Segments (§27.3.1.2, protected/IA-32e mode subset) */
    if (cs->ar & X86_AR_UNUSABLE)
        return false;
    unsigned cst = cs->ar & 15;
    if (!(cs->ar & 0x80) || !(cs->ar & 0x10) ||
        !(cst == 9 || cst == 11 || cst == 13 || cst == 15 || (ug && cst == 3)))
        return false;
    if (cs_l && (cs->ar & (1u << 14)))
        return false;
    if (!(ss->ar & X86_AR_UNUSABLE)) {
        unsigned sst = ss->ar & 15;
        if (!(ss->ar & 0x80) || !(ss->ar & 0x10) || (sst != 3 && sst != 7))
            return false;
        if (!ug && (ss->sel & 3) != (cs->sel & 3))
            return false;
        if (!(cr0 & CR0_PE) && (ss->ar & 0x60))
            return false;
    }
    for (unsigned s = X86_SEG_ES; s <= X86_SEG_GS; s++) {
        const struct x86_vmcs_seg *g = &v->guest.seg[s];
        if (s == X86_SEG_CS || s == X86_SEG_SS || (g->ar & X86_AR_UNUSABLE))
            continue;
        if (!(g->ar & 0x80) || !(g->ar & 0x10) || !(g->ar & 1) ||
            ((g->ar & 8) && !(g->ar & 2)))
            return false;
    }
    if ((tr->ar & X86_AR_UNUSABLE) || (tr->ar & 0x10) || !(tr->ar & 0x80))
        return false;
    if ((tr->ar & 15) != 11 && (ia32e || (tr->ar & 15) != 3))
        return false;
    const struct x86_vmcs_seg *ldt = &v->guest.seg[X86_SEG_LDTR];
    if (!(ldt->ar & X86_AR_UNUSABLE) && ((ldt->ar & 15) != 2 || (ldt->ar & 0x10) || !(ldt->ar & 0x80)))
        return false;
    if ((v->guest.gdtr_limit >> 16) || (v->guest.idtr_limit >> 16))
        return false;
    /* activity and interruptibility (§27.3.1.5); shutdown / wait-for-SIPI not modelled */
    if (v->guest.activity > X86_ACT_HLT)
        return false;
    if (v->guest.activity == X86_ACT_HLT && (ss->ar & 0x60))
        return false;
    uint32_t ib = v->guest.interruptibility;
    if ((ib & ~0x1fu) || ((ib & 3) == 3))
        return false;
    if (!(rf & X86_IF) && (ib & X86_INTRBL_STI))
        return false;
    if ((ii & X86_INTR_VALID) && ((ii >> 8) & 7) == X86_INTR_EXTINT && (ib & 3))
        return false;
    return true;
}

int x86_vmentry(struct x86_cpu *c)
{
    struct x86_vmcs *v = c->vmx;
    if (!v)
        return -ENODEV;
    if (v->m.in_guest)
        return -EBUSY; /* no VM exit since the last entry: the guest state is in the core */
    unsigned err = check_controls(c, v);
    if (err) {
        v->exit.insn_error = err;
        return -EINVAL;
    }
    v->exit.insn_error = 0;
    if (!check_guest(c, v)) {
        /* §27.8: VM-entry failure, basic reason 33 with bit 31, qualification 0; the
         * processor state is the host's (here: the core is left unchanged). */
        v->exit.reason = X86_VMX_EXIT_BAD_GUEST | X86_VMX_EXIT_ENTRY_FAIL;
        v->exit.qual = 0;
        return -ENOEXEC;
    }
    uint32_t p2 = proc2(v);
    v->m.ept = (struct mmu_ept_regs){
        .eptp = v->ctl.eptp, .enabled = (p2 & X86_PROC2_EPT) != 0,
        .mode_based_x = (p2 & X86_PROC2_MBEC) != 0, .maxphyaddr = c->maxphyaddr,
    };
    c->vpid = (p2 & X86_PROC2_VPID) ? v->ctl.vpid : 0;
    load_guest(c);
    v->m.launched = true;
    v->m.in_guest = true;
    v->m.exit_pending = false;
    c->stop = X86_STOP_NONE;
    c->cycles += v->m.cost_entry;
    if (v->m.stats) {
        (*v->m.st_entries)++;
        *v->m.st_cycles += v->m.cost_entry;
    }
    uint32_t ii = v->ctl.entry_intr_info;
    if (ii & X86_INTR_VALID) {
        /* §27.6.1: deliver the event through the guest IDT as if it had occurred now; the
         * exception bitmap does not apply to it. Software events push RIP + length. */
        unsigned type = (ii >> 8) & 7, vec = ii & 0xff;
        enum x86_event_kind kind = X86_EV_EXCEPTION;
        uint64_t ret = c->rip;
        if (type == X86_INTR_EXTINT)
            kind = X86_EV_EXTINT;
        else if (type == X86_INTR_SWINT || type == X86_INTR_SWEXC)
            kind = X86_EV_SOFTINT;
        else if (type == X86_INTR_PRIV_SWEXC)
            kind = X86_EV_ICEBP;
        if (type == X86_INTR_SWINT || type == X86_INTR_SWEXC || type == X86_INTR_PRIV_SWEXC)
            ret += v->ctl.entry_insn_len;
        c->halted = false;
        v->m.injecting = true;
        x86_deliver_event(c, vec, kind, (ii & X86_INTR_HAS_ERROR) != 0, v->ctl.entry_error, ret);
        v->m.injecting = false;
        if (v->m.in_guest && (c->stop == X86_STOP_TRIPLE || c->stop == X86_STOP_UNHANDLED))
            x86_vmx_triple_fault(c);
        c->fault = false;
        if (v->m.in_guest)
            c->stop = X86_STOP_NONE;
    }
    return 0;
}

/* ---- VMCS field encodings (SDM vol. 3C Appendix B) ---- */
struct field {
    uint16_t enc;
    uint16_t off;
    uint8_t size;
};
#define F(e, member) {e, (uint16_t)offsetof(struct x86_vmcs, member), \
                      (uint8_t)sizeof(((struct x86_vmcs *)0)->member)}
#define SEGF(k)                                                                      \
    F(0x0800 + 2 * (k), guest.seg[k].sel), F(0x4800 + 2 * (k), guest.seg[k].limit),  \
        F(0x4814 + 2 * (k), guest.seg[k].ar), F(0x6806 + 2 * (k), guest.seg[k].base)
static const struct field fields[] = {
    F(0x0000, ctl.vpid),
    SEGF(0), SEGF(1), SEGF(2), SEGF(3), SEGF(4), SEGF(5), SEGF(6), SEGF(7),
    F(0x2000, ctl.io_bitmap_a), F(0x2002, ctl.io_bitmap_b), F(0x2004, ctl.msr_bitmap),
    F(0x2010, ctl.tsc_offset), F(0x201a, ctl.eptp), F(0x202c, ctl.xss_exit_bitmap),
    F(0x2400, exit.guest_phys),
    F(0x2800, guest.link_ptr), F(0x2802, guest.debugctl), F(0x2804, guest.pat),
    F(0x2806, guest.efer),
    F(0x4000, ctl.pin), F(0x4002, ctl.proc), F(0x4004, ctl.exception_bitmap),
    F(0x4006, ctl.pf_ec_mask), F(0x4008, ctl.pf_ec_match), F(0x400a, ctl.cr3_target_count),
    F(0x400c, ctl.exit), F(0x4012, ctl.entry), F(0x4016, ctl.entry_intr_info),
    F(0x4018, ctl.entry_error), F(0x401a, ctl.entry_insn_len), F(0x401e, ctl.proc2),
    F(0x4400, exit.insn_error), F(0x4402, exit.reason), F(0x4404, exit.intr_info),
    F(0x4406, exit.intr_error), F(0x4408, exit.idt_info), F(0x440a, exit.idt_error),
    F(0x440c, exit.insn_len), F(0x440e, exit.insn_info),
    F(0x4810, guest.gdtr_limit), F(0x4812, guest.idtr_limit),
    F(0x4824, guest.interruptibility), F(0x4826, guest.activity),
    F(0x482a, guest.sysenter_cs),
    F(0x6000, ctl.cr0_mask), F(0x6002, ctl.cr4_mask), F(0x6004, ctl.cr0_shadow),
    F(0x6006, ctl.cr4_shadow), F(0x6008, ctl.cr3_target[0]), F(0x600a, ctl.cr3_target[1]),
    F(0x600c, ctl.cr3_target[2]), F(0x600e, ctl.cr3_target[3]),
    F(0x6400, exit.qual), F(0x640a, exit.guest_linear),
    F(0x6800, guest.cr0), F(0x6802, guest.cr3), F(0x6804, guest.cr4),
    F(0x6816, guest.gdtr_base), F(0x6818, guest.idtr_base), F(0x681a, guest.dr7),
    F(0x681c, guest.rsp), F(0x681e, guest.rip), F(0x6820, guest.rflags),
    F(0x6822, guest.pending_dbg), F(0x6824, guest.sysenter_esp),
    F(0x6826, guest.sysenter_eip),
};
#undef SEGF
#undef F

/* Field width from encoding bits 14:13 (§B: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural). */
static uint64_t width_mask(uint32_t enc)
{
    switch ((enc >> 13) & 3) {
    case 0: return 0xffff;
    case 2: return 0xffffffffull;
    default: return ~0ull;
    }
}

static const struct field *find_field(uint32_t enc, bool *high)
{
    *high = false;
    if (((enc >> 13) & 3) == 1 && (enc & 1)) { /* 64-bit field, "high" access type */
        *high = true;
        enc &= ~1u;
    }
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
        if (fields[k].enc == enc)
            return &fields[k];
    return NULL;
}

int x86_vmcs_read(const struct x86_vmcs *v, uint32_t enc, uint64_t *val)
{
    bool high;
    const struct field *f = find_field(enc, &high);
    if (!f)
        return -ENOENT;
    uint64_t x = 0;
    memcpy(&x, (const char *)v + f->off, f->size); /* little-endian host */
    x &= width_mask(f->enc);
    *val = high ? x >> 32 : x;
    return 0;
}

int x86_vmcs_write(struct x86_vmcs *v, uint32_t enc, uint64_t val)
{
    bool high;
    const struct field *f = find_field(enc, &high);
    if (!f)
        return -ENOENT;
    if (((f->enc >> 10) & 3) == 1)
        return -EPERM; /* VM-exit information fields are read-only (§B, type 1) */
    uint64_t x = 0;
    memcpy(&x, (char *)v + f->off, f->size);
    if (high)
        x = (x & 0xffffffffull) | (val & 0xffffffffull) << 32;
    else
        x = val & width_mask(f->enc);
    memcpy((char *)v + f->off, &x, f->size);
    return 0;
}
