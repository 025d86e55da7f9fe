/* isa/x86/vmx.h - VMX non-root operation of the x86 core (Intel SDM vol. 3C ch. 24-29).
 *
 * The VMCS is the model's data structure (struct x86_vmcs): the hypervisor is C, so it fills
 * the fields directly (x86_vmcs_read/x86_vmcs_write also give access by SDM field encoding,
 * Appendix B). Pointing c->vmx at a VMCS and calling x86_vmentry(c) performs VM entry: the
 * checks of SDM ch. 27 that matter here, loading of the guest-state area into the core, and
 * event injection (§27.6). x86_run() then executes the guest in VMX non-root operation: the
 * instructions and events the controls select cause a VM exit instead of executing (SDM
 * ch. 26): x86_run returns X86_STOP_VMEXIT with the exit information and the guest state
 * saved in the VMCS (§28.2, §28.3). The hypervisor handles the exit (e.g. guest.rip +=
 * exit.insn_len) and calls x86_vmentry(c) again. c->vmx stays set between exits: it is the
 * current-VMCS pointer; the general-purpose registers other than RSP stay in c->gpr, as on
 * hardware.
 *
 * With the "enable EPT" control every guest-physical address (the guest's paging-structure
 * references included) is translated by the EPT through mmu_x86_xlate (2-D walks counted on
 * the guest side); with "unrestricted guest" the guest may run with CR0.PE = 0 or PG = 0
 * (the PVH entry state), translated by EPT only.
 *
 * Counters: guest.vmexits, guest.vmentries, guest.vmx.cycles (world-switch cycles charged
 * from the CPU model's cost_vmexit/cost_vmentry), hv.vmexit.<reason> (one per basic exit
 * reason seen, names from x86_vmx_reason_name).
 *
 * Model choices (documented deviations):
 *  - No host-state area: a VM exit returns to C code, not to host RIP.
 *  - Controls not listed in X86_VMX_*_SUPPORTED are reported as unsupported by VM entry
 *    (VM-instruction error 7), as a processor whose capability MSRs clear them would.
 *  - Without "enable VPID" the TLB entries are tagged VPID 0 (with the EP4TA); the flush of
 *    VPID-0 mappings at every VM entry and exit (SDM vol. 3C §29.4.3.3) is not modelled.
 *  - XSAVES exits when XSS-exiting bitmap & EDX:EAX != 0 (IA32_XSS is not modelled).
 *  - Blocking by STI / MOV SS: the core's interrupt shadow (c->int_shadow); saved as STI
 *    blocking when RFLAGS.IF = 1, else as MOV-SS blocking.
 *  - EFER, PAT and the "IA-32e mode guest" entry control are saved on every exit.
 *  - Segment access rights: a core segment without P is "unusable"; the accessed bit of
 *    code/data segments is reported set (hardware sets it on every load).
 *  - Physical interrupts come from x86_vmx_ext_interrupt (the model of the host's interrupt
 *    controller); the core's own LAPIC (x86_lapic_*) is the guest's and delivers to it
 *    directly. NMIs, task switches, SMM, the preemption timer, TPR shadow / APIC
 *    virtualization, PML, MTF, descriptor-table exiting and VMCS shadowing are not modelled.
 *  - MONITOR/MWAIT, RDPMC and XSAVES/XRSTORS have intercept code but the core has no such
 *    instructions yet (#UD).
 *  - A HLT with RFLAGS.IF = 0 and no HLT exiting ends x86_run (X86_STOP_HLT, the bare-mode
 *    end marker) without a VM exit; so does the instruction budget. x86_vmentry then refuses
 *    (-EBUSY) until an exit is forced (x86_vmx_ext_interrupt, then x86_run(c, 0)). */
#ifndef ISA_X86_VMX_H
#define ISA_X86_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "isa/x86/x86.h"
#include "mmu/x86_walk.h"

struct sim_stats;
struct mmu_cpu_model;
struct x86_insn;

/* ---- basic exit reasons (SDM vol. 3C Appendix C) ---- */
enum x86_vmx_reason {
    X86_VMX_EXIT_EXCEPTION = 0, X86_VMX_EXIT_EXTINT = 1, X86_VMX_EXIT_TRIPLE = 2,
    X86_VMX_EXIT_INIT = 3, X86_VMX_EXIT_SIPI = 4, X86_VMX_EXIT_INTR_WINDOW = 7,
    X86_VMX_EXIT_NMI_WINDOW = 8, X86_VMX_EXIT_TASK_SWITCH = 9, X86_VMX_EXIT_CPUID = 10,
    X86_VMX_EXIT_GETSEC = 11, X86_VMX_EXIT_HLT = 12, X86_VMX_EXIT_INVD = 13,
    X86_VMX_EXIT_INVLPG = 14, X86_VMX_EXIT_RDPMC = 15, X86_VMX_EXIT_RDTSC = 16,
    X86_VMX_EXIT_VMCALL = 18, X86_VMX_EXIT_VMCLEAR = 19, X86_VMX_EXIT_VMLAUNCH = 20,
    X86_VMX_EXIT_VMPTRLD = 21, X86_VMX_EXIT_VMPTRST = 22, X86_VMX_EXIT_VMREAD = 23,
    X86_VMX_EXIT_VMRESUME = 24, X86_VMX_EXIT_VMWRITE = 25, X86_VMX_EXIT_VMXOFF = 26,
    X86_VMX_EXIT_VMXON = 27, X86_VMX_EXIT_CR = 28, X86_VMX_EXIT_DR = 29, X86_VMX_EXIT_IO = 30,
    X86_VMX_EXIT_RDMSR = 31, X86_VMX_EXIT_WRMSR = 32, X86_VMX_EXIT_BAD_GUEST = 33,
    X86_VMX_EXIT_BAD_MSR_LOAD = 34, X86_VMX_EXIT_MWAIT = 36, X86_VMX_EXIT_MTF = 37,
    X86_VMX_EXIT_MONITOR = 39, X86_VMX_EXIT_PAUSE = 40, X86_VMX_EXIT_MCE_ENTRY = 41,
    X86_VMX_EXIT_TPR = 43, X86_VMX_EXIT_APIC_ACCESS = 44, X86_VMX_EXIT_EOI = 45,
    X86_VMX_EXIT_GDTR_IDTR = 46, X86_VMX_EXIT_LDTR_TR = 47, X86_VMX_EXIT_EPT_VIOLATION = 48,
    X86_VMX_EXIT_EPT_MISCONFIG = 49, X86_VMX_EXIT_INVEPT = 50, X86_VMX_EXIT_RDTSCP = 51,
    X86_VMX_EXIT_PREEMPT_TIMER = 52, X86_VMX_EXIT_INVVPID = 53, X86_VMX_EXIT_WBINVD = 54,
    X86_VMX_EXIT_XSETBV = 55, X86_VMX_EXIT_APIC_WRITE = 56, X86_VMX_EXIT_RDRAND = 57,
    X86_VMX_EXIT_INVPCID = 58, X86_VMX_EXIT_VMFUNC = 59, X86_VMX_EXIT_ENCLS = 60,
    X86_VMX_EXIT_RDSEED = 61, X86_VMX_EXIT_PML_FULL = 62, X86_VMX_EXIT_XSAVES = 63,
    X86_VMX_EXIT_XRSTORS = 64,
    X86_VMX_NREASONS = 65
};
#define X86_VMX_EXIT_ENTRY_FAIL (1u << 31) /* exit reason bit 31: VM-entry failure (§28.2.1) */

/* ---- controls (SDM vol. 3C §25.6) ---- */
/* pin-based VM-execution controls (Table 25-5) */
#define X86_PIN_EXTINT_EXIT (1u << 0)
#define X86_PIN_NMI_EXIT (1u << 3)
#define X86_PIN_VIRTUAL_NMI (1u << 5)
/* primary processor-based (Table 25-6) */
#define X86_PROC_INTR_WINDOW (1u << 2)
#define X86_PROC_TSC_OFFSET (1u << 3)
#define X86_PROC_HLT_EXIT (1u << 7)
#define X86_PROC_INVLPG_EXIT (1u << 9)
#define X86_PROC_MWAIT_EXIT (1u << 10)
#define X86_PROC_RDPMC_EXIT (1u << 11)
#define X86_PROC_RDTSC_EXIT (1u << 12)
#define X86_PROC_CR3_LOAD_EXIT (1u << 15)
#define X86_PROC_CR3_STORE_EXIT (1u << 16)
#define X86_PROC_CR8_LOAD_EXIT (1u << 19)
#define X86_PROC_CR8_STORE_EXIT (1u << 20)
#define X86_PROC_TPR_SHADOW (1u << 21)
#define X86_PROC_NMI_WINDOW (1u << 22)
#define X86_PROC_MOV_DR_EXIT (1u << 23)
#define X86_PROC_UNCOND_IO_EXIT (1u << 24)
#define X86_PROC_IO_BITMAPS (1u << 25)
#define X86_PROC_MTF (1u << 27)
#define X86_PROC_MSR_BITMAPS (1u << 28)
#define X86_PROC_MONITOR_EXIT (1u << 29)
#define X86_PROC_PAUSE_EXIT (1u << 30)
#define X86_PROC_SECONDARY (1u << 31)
/* secondary processor-based (Table 25-7) */
#define X86_PROC2_EPT (1u << 1)
#define X86_PROC2_DESC_TABLE_EXIT (1u << 2)
#define X86_PROC2_RDTSCP (1u << 3)
#define X86_PROC2_VPID (1u << 5)
#define X86_PROC2_WBINVD_EXIT (1u << 6)
#define X86_PROC2_UNRESTRICTED (1u << 7)
#define X86_PROC2_RDRAND_EXIT (1u << 11)
#define X86_PROC2_INVPCID (1u << 12)
#define X86_PROC2_RDSEED_EXIT (1u << 16)
#define X86_PROC2_XSAVES (1u << 20)
#define X86_PROC2_MBEC (1u << 22)
/* VM-exit controls (Table 25-13) */
#define X86_EXIT_HOST_64 (1u << 9)
#define X86_EXIT_ACK_INTR (1u << 15)
#define X86_EXIT_SAVE_PAT (1u << 18)
#define X86_EXIT_LOAD_PAT (1u << 19)
#define X86_EXIT_SAVE_EFER (1u << 20)
#define X86_EXIT_LOAD_EFER (1u << 21)
/* VM-entry controls (Table 25-15) */
#define X86_ENTRY_IA32E (1u << 9)
#define X86_ENTRY_LOAD_PAT (1u << 14)
#define X86_ENTRY_LOAD_EFER (1u << 15)

/* What this model implements (any other control bit fails VM entry with error 7). */
#define X86_VMX_PIN_SUPPORTED X86_PIN_EXTINT_EXIT
#define X86_VMX_PROC_SUPPORTED                                                            \
    (X86_PROC_INTR_WINDOW | X86_PROC_TSC_OFFSET | X86_PROC_HLT_EXIT | X86_PROC_INVLPG_EXIT | \
     X86_PROC_MWAIT_EXIT | X86_PROC_RDPMC_EXIT | X86_PROC_RDTSC_EXIT |                     \
     X86_PROC_CR3_LOAD_EXIT | X86_PROC_CR3_STORE_EXIT | X86_PROC_CR8_LOAD_EXIT |           \
     X86_PROC_CR8_STORE_EXIT | X86_PROC_MOV_DR_EXIT | X86_PROC_UNCOND_IO_EXIT |            \
     X86_PROC_IO_BITMAPS | X86_PROC_MSR_BITMAPS | X86_PROC_MONITOR_EXIT |                  \
     X86_PROC_PAUSE_EXIT | X86_PROC_SECONDARY)
#define X86_VMX_PROC2_SUPPORTED                                                           \
    (X86_PROC2_EPT | X86_PROC2_RDTSCP | X86_PROC2_VPID | X86_PROC2_WBINVD_EXIT |          \
     X86_PROC2_UNRESTRICTED | X86_PROC2_RDRAND_EXIT | X86_PROC2_INVPCID |                  \
     X86_PROC2_RDSEED_EXIT | X86_PROC2_XSAVES | X86_PROC2_MBEC)
#define X86_VMX_EXIT_SUPPORTED                                                            \
    (X86_EXIT_HOST_64 | X86_EXIT_ACK_INTR | X86_EXIT_SAVE_PAT | X86_EXIT_LOAD_PAT |        \
     X86_EXIT_SAVE_EFER | X86_EXIT_LOAD_EFER)
#define X86_VMX_ENTRY_SUPPORTED (X86_ENTRY_IA32E | X86_ENTRY_LOAD_PAT | X86_ENTRY_LOAD_EFER)

/* Interruption-information fields (VM-entry §25.8.3, VM-exit §25.9.2, IDT-vectoring §25.9.3) */
#define X86_INTR_VALID (1u << 31)
#define X86_INTR_HAS_ERROR (1u << 11)
#define X86_INTR_TYPE_SHIFT 8
enum { X86_INTR_EXTINT = 0, X86_INTR_NMI = 2, X86_INTR_HWEXC = 3, X86_INTR_SWINT = 4,
       X86_INTR_PRIV_SWEXC = 5, X86_INTR_SWEXC = 6, X86_INTR_OTHER = 7 };
#define X86_INTR_INFO(type, vec) (X86_INTR_VALID | (uint32_t)(type) << 8 | ((vec) & 0xffu))

/* Guest interruptibility state (Table 25-3) and activity state (§25.4.2) */
#define X86_INTRBL_STI (1u << 0)
#define X86_INTRBL_MOVSS (1u << 1)
enum { X86_ACT_ACTIVE = 0, X86_ACT_HLT = 1, X86_ACT_SHUTDOWN = 2, X86_ACT_WAIT_SIPI = 3 };

/* Exit-qualification layouts: control-register accesses (Table 28-3) and I/O (Table 28-5) */
#define X86_QCR_MOV_TO 0u
#define X86_QCR_MOV_FROM 1u
#define X86_QCR_CLTS 2u
#define X86_QCR_LMSW 3u
#define X86_QCR(cr, type, gpr) ((uint64_t)(cr) | (uint64_t)(type) << 4 | (uint64_t)(gpr) << 8)
#define X86_QIO_IN (1u << 3)
#define X86_QIO_STRING (1u << 4)
#define X86_QIO_REP (1u << 5)
#define X86_QIO_IMM (1u << 6)
#define X86_QIO(port, size, flags) ((uint64_t)(port) << 16 | ((size) - 1u) | (flags))

/* Segment in the guest-state area: access rights in VMCS format (§25.4.1: type 3:0, S 4,
 * DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16). */
struct x86_vmcs_seg {
    uint16_t sel;
    uint32_t limit;
    uint32_t ar;
    uint64_t base;
};
#define X86_AR_UNUSABLE (1u << 16)

struct x86_vmcs {
    /* ---- guest-state area (§25.4) ---- */
    struct {
        uint64_t cr0, cr3, cr4, dr7;
        uint64_t rsp, rip, rflags;
        struct x86_vmcs_seg seg[X86_NSEG]; /* ES CS SS DS FS GS LDTR TR (X86_SEG_*) */
        uint64_t gdtr_base, idtr_base;
        uint32_t gdtr_limit, idtr_limit;
        uint64_t efer, pat, debugctl;
        uint32_t sysenter_cs;
        uint64_t sysenter_esp, sysenter_eip;
        uint32_t activity, interruptibility;
        uint64_t pending_dbg, link_ptr;
    } guest;

    /* ---- VM-execution, VM-exit and VM-entry control fields (§25.6 - §25.8) ---- */
    struct {
        uint32_t pin, proc, proc2;
        uint32_t exit, entry;
        uint32_t exception_bitmap, pf_ec_mask, pf_ec_match;
        uint64_t io_bitmap_a, io_bitmap_b; /* host-physical, 4-KiB aligned (§25.6.4) */
        uint64_t msr_bitmap;               /* host-physical, 4-KiB aligned (§25.6.9) */
        uint64_t tsc_offset;
        uint64_t cr0_mask, cr4_mask, cr0_shadow, cr4_shadow; /* §25.6.6 */
        uint32_t cr3_target_count;
        uint64_t cr3_target[4];
        uint64_t eptp;                     /* §25.6.11 */
        uint16_t vpid;
        uint64_t xss_exit_bitmap;
        /* VM-entry event injection (§25.8.3) */
        uint32_t entry_intr_info, entry_error, entry_insn_len;
    } ctl;

    /* ---- VM-exit information (§25.9), read-only for the hypervisor ---- */
    struct {
        uint32_t reason;          /* basic reason in 15:0, bit 31 = VM-entry failure */
        uint64_t qual;
        uint64_t guest_linear, guest_phys;
        uint32_t intr_info, intr_error;      /* VM-exit interruption information / error */
        uint32_t idt_info, idt_error;        /* IDT-vectoring information / error */
        uint32_t insn_len, insn_info;
        uint32_t insn_error;      /* VM-instruction error of a failed x86_vmentry (§31.4) */
    } exit;

    /* ---- model state (vmx.c; not part of the architectural VMCS) ---- */
    struct {
        bool launched;            /* launch state "launched" (§25.11.3) */
        bool in_guest;            /* entered and no VM exit since */
        bool exit_pending;        /* a VM exit was taken inside the current instruction */
        bool injecting;           /* delivering the VM-entry injected event */
        int ext_irq;              /* pending physical external interrupt, -1 none */
        struct mmu_ept_regs ept;  /* from eptp at entry (enabled only with "enable EPT") */
        uint32_t cost_exit, cost_entry;
        struct sim_stats *stats;
        uint64_t *st_exits, *st_entries, *st_cycles;
        uint64_t *st_reason[X86_VMX_NREASONS];
    } m;
};

/* Zero the VMCS (launch state clear, no pending events), register its counters in stats
 * (NULL: none) and take the exit/entry costs from model (NULL: 0 cycles). 0 or -ENOMEM. */
int x86_vmcs_init(struct x86_vmcs *v, struct sim_stats *stats, const struct mmu_cpu_model *model);

/* Guest-state presets. pvh32: the Xen PVH start state (docs/misc/pvh.pandoc: 32-bit
 * protected mode, paging off, flat CS/DS/ES/SS, 32-bit TSS; EBX is a GPR: set c->gpr), with
 * CR0.NE and CR4.VMXE owned by the host (masks/shadows set so the guest reads PE|ET and 0),
 * which needs "unrestricted guest". long64: 64-bit mode at CPL 0 with CR0 = PE|ET|NE|WP|PG,
 * CR4 = PAE|VMXE (+shadow PAE), EFER = LME|LMA|NXE, "IA-32e mode guest" set. */
void x86_vmcs_guest_pvh32(struct x86_vmcs *v, uint32_t entry);
void x86_vmcs_guest_long64(struct x86_vmcs *v, uint64_t rip, uint64_t cr3);

/* VM entry (VMLAUNCH if the launch state is clear, else VMRESUME) with c->vmx as the
 * current VMCS. Returns 0 entered (x86_run continues the guest; if the entry itself caused
 * a VM exit, e.g. an EPT violation while injecting, x86_run returns X86_STOP_VMEXIT at
 * once); -EINVAL VMfailValid: a control-field check failed, exit.insn_error says which
 * (7 invalid control fields, 4/5 launch state), nothing loaded; -ENOEXEC VM-entry failure
 * on guest state: exit.reason = 33 | bit 31 (§27.8), nothing loaded; -ENODEV: c->vmx NULL;
 * -EBUSY: no VM exit since the last entry (x86_run stopped for another reason, e.g. the
 * instruction budget: the guest state lives in the core; continue with x86_run, or force an
 * exit with x86_vmx_ext_interrupt + x86_run(c, 0), as a host timer interrupt would). */
int x86_vmentry(struct x86_cpu *c);

/* A physical external interrupt with this vector arrives while the guest runs (the model of
 * the host's interrupt controller). With "external-interrupt exiting" it causes a VM exit at
 * the next instruction boundary (vector in exit.intr_info with "acknowledge interrupt on
 * exit"); otherwise it is delivered through the guest IDT when RFLAGS.IF = 1 and there is no
 * interrupt shadow. */
void x86_vmx_ext_interrupt(struct x86_cpu *c, unsigned vector);

/* "cpuid", "ept_violation", ... (the hv.vmexit.<name> counter), NULL when unknown. */
const char *x86_vmx_reason_name(unsigned basic_reason);

/* VMREAD/VMWRITE by field encoding (SDM vol. 3C Appendix B). -ENOENT unknown encoding,
 * -EPERM a read-only field (VMWRITE to exit information). */
int x86_vmcs_read(const struct x86_vmcs *v, uint32_t enc, uint64_t *val);
int x86_vmcs_write(struct x86_vmcs *v, uint32_t enc, uint64_t val);

/* Guest CR0/CR4 as the guest reads them (read shadow for host-owned bits, §26.3). */
uint64_t x86_vmx_guest_cr0(const struct x86_vmcs *v);
uint64_t x86_vmx_guest_cr4(const struct x86_vmcs *v);

/* ---- hooks for the core (isa/x86 only). Call only with c->vmx. Each returns true when the
 * caller must stop: a VM exit was taken or an exception raised (c->fault set), or the
 * instruction completed as VMX non-root operation defines (CLTS with CR0.TS host-owned and
 * shadow TS = 0 leaves CR0.TS alone, SDM vol. 3C §26.3). ---- */

/* An instruction that VMX may intercept (SDM vol. 3C §26.1): VMCALL, VMX instructions,
 * CPUID, GETSEC, INVD, XSETBV (always); HLT, INVLPG, INVPCID, RDTSC(P), RDPMC, RDMSR/WRMSR,
 * IN/OUT/INS/OUTS, MOV CR/DR, CLTS, LMSW, MWAIT, MONITOR, PAUSE, WBINVD, RDRAND, RDSEED,
 * XSAVES/XRSTORS and INT3/INTO/INT1 (exception bitmap) as the controls say. */
bool x86_vmx_intercept(struct x86_cpu *c, const struct x86_insn *i);
/* A translation for the guest failed (rc and res from mmu_x86_xlate): EPT violation or
 * misconfiguration, or a #PF the exception bitmap (with the PFEC mask/match) intercepts. */
bool x86_vmx_xlate_fault(struct x86_cpu *c, uint64_t la, int rc, const struct mmu_walk_result *res);
/* The run loop is about to deliver c->exc: an exit already taken, or an exception in the
 * exception bitmap, turns it into a VM exit (x86_run returns X86_STOP_VMEXIT). */
bool x86_vmx_fault(struct x86_cpu *c);
/* Delivering event (vec, kind) failed (c->exc holds the nested fault, or an exit was taken
 * meanwhile): with an exit (or a nested exception the bitmap intercepts) the IDT-vectoring
 * information names the event and the guest state is saved as before the delivery; true if
 * this is a VM exit (the delivery must stop). */
bool x86_vmx_nested_fault(struct x86_cpu *c, unsigned vec, enum x86_event_kind kind, bool has_err,
                          uint32_t err);
/* At an instruction boundary: pending exit, external interrupt, interrupt window (the
 * inline test keeps the common case, nothing pending, out of a function call). */
bool x86_vmx_boundary_slow(struct x86_cpu *c);
static inline bool x86_vmx_boundary(struct x86_cpu *c)
{
    const struct x86_vmcs *v = c->vmx;
    if (v->m.in_guest && !v->m.exit_pending && v->m.ext_irq < 0 &&
        !(v->ctl.proc & X86_PROC_INTR_WINDOW))
        return false;
    return x86_vmx_boundary_slow(c);
}
/* The core reached a triple fault / shutdown: VM exit 2. */
void x86_vmx_triple_fault(struct x86_cpu *c);
/* MOV from CR0/CR4 (and SMSW): host-owned bits read from the read shadow (§26.3). */
uint64_t x86_vmx_cr_read(const struct x86_cpu *c, unsigned cr, uint64_t val);
/* CR0 as an instruction reads it (SMSW): through the read shadow in non-root operation. */
static inline uint64_t x86_vmx_cr0_read(const struct x86_cpu *c)
{
    return c->vmx ? x86_vmx_cr_read(c, 0, c->cr0) : c->cr0;
}
/* MOV to CR0/CR4, CLTS, LMSW that did not exit: host-owned bits keep their value (§26.3). */
uint64_t x86_vmx_cr_write(const struct x86_cpu *c, unsigned cr, uint64_t val);
/* RDTSC/RDTSCP value with TSC offsetting (§26.3: "use TSC offsetting"). */
uint64_t x86_vmx_tsc(const struct x86_cpu *c, uint64_t tsc);

/* EPT and VPID of the guest's translations (for mmu_x86_xlate). */
static inline const struct mmu_ept_regs *x86_vmx_ept(const struct x86_cpu *c)
{
    return c->vmx && c->vmx->m.ept.enabled ? &c->vmx->m.ept : NULL;
}

#endif
