/* isa/x86/x86.h - the x86-64 CPU: an interpreter over an X-macro decode table (x86.def)
 * with a decoded-instruction cache keyed by guest physical address, the integer ISA, and
 * the system architecture (SDM vol. 3A): real-address mode (minimal), 32-bit protected mode
 * with paging off / 32-bit / PAE paging, IA-32e compatibility and 64-bit mode (code_bits
 * follows CR0.PE, EFER.LMA and CS.L/D), segmentation with hidden descriptor state and the
 * load checks (seg.c), CPL 0..3 with the TSS stack switch and the IST, events through the
 * IVT / 32-bit IDT / 64-bit IDT with error codes, #DF and triple fault, IRET, far
 * JMP/CALL/RET, SYSCALL/SYSRET/SWAPGS, CR/DR/MSR and descriptor-table instructions (sys.c,
 * msr.c), and the x2APIC with its timer and IPIs (lapic.c). Not modelled: task switches,
 * call gates, virtual-8086 mode, SYSENTER/SYSEXIT, debug breakpoints, xAPIC MMIO.
 *
 * Every guest fetch, load and store goes through one internal translation function: with
 * c->mmu set it calls mmu_x86_xlate (TLBs, walks and the data-cache model are counted on
 * the `who` side); with c->mmu NULL, linear = physical (tests). */
#ifndef ISA_X86_X86_H
#define ISA_X86_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/walk_port.h"

struct sim_mem;
struct sim_stats;
struct mmu;
struct mmu_cpu_model;
struct x86_dcache; /* decoded-instruction cache (private) */
struct x86_vmcs;   /* VMX non-root operation (isa/x86/vmx.h) */

enum x86_stop {
    X86_STOP_NONE = 0,
    X86_STOP_HLT,        /* HLT with RFLAGS.IF = 0 (the bare-mode end marker); rip after HLT */
    X86_STOP_HLT_IF,     /* HLT with IF = 1 and nothing that could wake it (no LAPIC, or no
                            pending interrupt and the timer disarmed): c->halted stays set and
                            the next x86_run returns at once until an interrupt is accepted */
    X86_STOP_MAX_INSNS,  /* the instruction budget ran out */
    X86_STOP_UNHANDLED,  /* an exception with IDTR.limit == 0: c->exc says which; rip at it */
    X86_STOP_TRIPLE,     /* a fault while delivering #DF (triple fault, SDM vol. 3A §6.15) */
    X86_STOP_VMEXIT,     /* VMX non-root: a VM exit; the exit information is in *c->vmx
                          * (isa/x86/vmx.h); resume with x86_vmentry() then x86_run() */
};

/* Exception vectors (SDM vol. 3A Table 6-1). */
enum {
    X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_BP = 3, X86_EXC_OF = 4, X86_EXC_UD = 6,
    X86_EXC_NM = 7, X86_EXC_DF = 8, X86_EXC_TS = 10, X86_EXC_NP = 11, X86_EXC_SS = 12,
    X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MC = 18,
};

/* RFLAGS bits (SDM vol. 1 §3.4.3). */
#define X86_CF (1u << 0)
#define X86_PF (1u << 2)
#define X86_AF (1u << 4)
#define X86_ZF (1u << 6)
#define X86_SF (1u << 7)
#define X86_TF (1u << 8)
#define X86_IF (1u << 9)
#define X86_DF (1u << 10)
#define X86_OF (1u << 11)
#define X86_NT (1u << 14)
#define X86_RF (1u << 16)
#define X86_AC (1u << 18)
#define X86_ID (1u << 21)
#define X86_STATUS_FLAGS (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

/* CPU features the decoder and CPUID honour (x86.def feature column). */
#define X86_FEAT_POPCNT (1u << 0)
#define X86_FEAT_LZCNT (1u << 1)
#define X86_FEAT_BMI1 (1u << 2)    /* not offered: x86_cpu_create drops it (no VEX decode) */
#define X86_FEAT_CX16 (1u << 3)
#define X86_FEAT_MOVBE (1u << 4)   /* CPUID.1:ECX[22] */
#define X86_FEAT_RDRAND (1u << 5)  /* CPUID.1:ECX[30], RDRAND; RDSEED: CPUID.7.0:EBX[18] */
#define X86_FEAT_XSAVE (1u << 6)   /* CPUID.1:ECX[26], XSAVE/XRSTOR/XGETBV/XSETBV (x87+SSE) */
#define X86_FEAT_SSE2 (1u << 7)    /* CPUID.1:EDX[24-26] FXSR, SSE, SSE2 (clear: SSE raises #UD) */
/* System features (isa/x86/sys.c, msr.c, lapic.c); CPUID reports each one that is set. */
#define X86_FEAT_FSGSBASE (1u << 16) /* CPUID.7.0:EBX[0], CR4.FSGSBASE, RD/WR{FS,GS}BASE */
#define X86_FEAT_RDTSCP (1u << 17)   /* CPUID.80000001H:EDX[27], RDTSCP, IA32_TSC_AUX */
#define X86_FEAT_RDPID (1u << 18)    /* CPUID.7.0:ECX[22] */
#define X86_FEAT_INVPCID (1u << 19)  /* CPUID.7.0:EBX[10] */
#define X86_FEAT_PCID (1u << 20)     /* CPUID.1:ECX[17], CR4.PCIDE */
#define X86_FEAT_SMEP (1u << 21)     /* CPUID.7.0:EBX[7], CR4.SMEP */
#define X86_FEAT_SMAP (1u << 22)     /* CPUID.7.0:EBX[20], CR4.SMAP, CLAC/STAC */
#define X86_FEAT_X2APIC (1u << 23)   /* CPUID.1:ECX[21], the LAPIC in x2APIC mode */
#define X86_FEAT_TSCDL (1u << 24)    /* CPUID.1:ECX[24], LVT timer TSC-deadline mode */
#define X86_FEAT_CLFLUSHOPT (1u << 25) /* CPUID.7.0:EBX[23] */
#define X86_FEAT_SPEC_CTRL (1u << 26) /* CPUID.7.0:EDX[26], IA32_SPEC_CTRL / IA32_PRED_CMD */
#define X86_FEAT_SYS_ALL (X86_FEAT_FSGSBASE | X86_FEAT_RDTSCP | X86_FEAT_RDPID | \
                          X86_FEAT_INVPCID | X86_FEAT_PCID | X86_FEAT_SMEP | X86_FEAT_SMAP | \
                          X86_FEAT_X2APIC | X86_FEAT_TSCDL | X86_FEAT_CLFLUSHOPT | \
                          X86_FEAT_SPEC_CTRL)
#define X86_FEAT_ALL (X86_FEAT_POPCNT | X86_FEAT_LZCNT | X86_FEAT_BMI1 | X86_FEAT_CX16 | \
                      X86_FEAT_MOVBE | X86_FEAT_RDRAND | X86_FEAT_XSAVE | X86_FEAT_SSE2 | \
                      X86_FEAT_SYS_ALL)

/* General-purpose register numbers (ModRM/REX encoding order). */
enum { X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI };

struct x86_exc {
    unsigned vector;
    bool has_error;
    uint32_t error;
    uint64_t rip;    /* RIP of the instruction that caused it */
    uint64_t cr2;    /* #PF: the faulting linear address */
};

struct x86_dtr {
    uint64_t base;
    uint16_t limit;
};

/* Segment registers and their hidden (descriptor-cache) part, SDM vol. 3A §3.4.3. */
enum { X86_SEG_ES, X86_SEG_CS, X86_SEG_SS, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS, X86_SEG_LDTR,
       X86_SEG_TR, X86_NSEG };
/* attr: descriptor bits 47:40 (type 3:0, S 4, DPL 6:5, P 7) in bits 7:0 and bits 55:52
 * (AVL, L, D/B, G) in bits 11:8. attr == 0: unusable (null selector). */
#define X86_SA_P (1u << 7)
#define X86_SA_L (1u << 9)
#define X86_SA_DB (1u << 10)
#define X86_SA_G (1u << 11)
struct x86_seg {
    uint16_t sel;
    uint16_t attr;
    uint32_t limit;   /* byte-granular (G applied) */
    uint64_t base;    /* FS and GS: the bases live in x86_cpu.fs_base / gs_base */
};

/* The local APIC in x2APIC mode (SDM vol. 3A ch. 11, "x2APIC"), one per CPU. The timer
 * counts core cycles divided by the divide configuration. */
struct x86_lapic {
    uint32_t id;
    uint32_t tpr, ldr, svr, esr;
    uint32_t isr[8], irr[8], tmr[8];
    uint32_t lvt[7];          /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
    uint32_t timer_icr, timer_dcr;
    uint64_t timer_start;     /* cycle the current count was loaded */
    uint64_t timer_fire;      /* cycle of the next timer interrupt, UINT64_MAX = none */
    uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE (0 = disarmed) */
    uint64_t icr;
    uint64_t *st_timer, *st_ipi_sent, *st_ipi_recv, *st_eoi;
};

struct x86_utlb;

struct x86_cpu {
    /* ---- architectural state ---- */
    uint64_t gpr[16];
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
    uint64_t fs_base, gs_base;
    struct x86_seg seg[X86_NSEG]; /* ES CS SS DS FS GS LDTR TR (x86_seg_* in seg.c) */
    struct x86_dtr gdtr, idtr;
    unsigned cpl;             /* CS.RPL (0..3) */
    unsigned code_bits;       /* 64 (long mode), 32 or 16: operand/address-size rules, from
                                 CR0.PE, EFER.LMA, CS.L and CS.D (x86_update_mode) */
    uint64_t dr[4], dr6, dr7; /* debug registers: stored, no breakpoints are modelled */
    /* MSRs (msr.c, SDM vol. 4 ch. 2) */
    uint64_t kernel_gs_base, star, lstar, cstar, sfmask, tsc_aux, pat, misc_enable;
    uint64_t apic_base, spec_ctrl, tsc_offset, sysenter_cs, sysenter_esp, sysenter_eip;
    uint16_t vpid;            /* VPID tag of this CPU's TLB entries (0 = no VMX) */
    bool int_shadow;          /* STI / MOV SS interrupt shadow for the next instruction */
    bool halted;              /* HLT with IF = 1, waiting for an interrupt */
    struct x86_lapic *lapic;  /* x2APIC (x86_lapic_create), NULL = none */
    uint64_t event_at;        /* cycle at which the run loop must look at the LAPIC timer */
    bool irq_pending;         /* the LAPIC has an IRR vector above the processor priority */
    /* Interprocessor interrupts (ICR writes that name other CPUs): the machine delivers
     * them with x86_lapic_accept on the target. shorthand: SDM ICR bits 19:18. */
    void *ipi_opaque;
    void (*ipi_send)(void *opaque, struct x86_cpu *from, uint32_t dest, unsigned shorthand,
                     unsigned mode, unsigned vector);
    uint64_t xmm[16][2];      /* [0] low, [1] high quadword */
    uint32_t mxcsr;
    /* x87 control/status/tag words: state only (FNINIT, FLDCW, FNSTCW, FNSTSW, FXSAVE);
     * no x87 arithmetic is modelled. fpu_ftw is the abridged (FXSAVE) tag byte. */
    uint16_t fpu_fcw, fpu_fsw;
    uint8_t fpu_ftw;
    uint64_t xcr0;            /* XCR0 (XSETBV); bit 0 (x87) always reads as 1 */
    uint64_t rdrand_state;    /* RDRAND/RDSEED generator: seed from the machine seed */
    uint32_t features;        /* X86_FEAT_* */
    unsigned maxphyaddr;      /* CPUID.80000008H:EAX[7:0] */

    /* ---- simulation state ---- */
    uint64_t cycles, insns, cpu_hz;
    /* In-order cycle model (x86_set_cost_model): 1 cycle per instruction by default. */
    uint16_t cost_alu, cost_mul, cost_div, cost_branch_taken, cost_load, cost_store;
    uint16_t cost_exc_entry, cost_exc_return;
    struct x86_exc exc;       /* last exception raised */
    struct mmu *mmu;          /* translation cost model, or NULL: linear = physical */
    struct x86_vmcs *vmx;     /* current VMCS: non-NULL = VMX non-root operation (vmx.h) */
    int who;                  /* enum mmu_who of the accesses (guest) */
    FILE *console;            /* OUT to port 0xE9 (Bochs/QEMU debug console) goes here */
    /* I/O hook (NULL: port 0xE9 console, other reads all ones, writes ignored). Return 0. */
    void *io_opaque;
    int (*io_hook)(void *opaque, struct x86_cpu *c, uint16_t port, unsigned size, bool write,
                   uint32_t *val);

    /* ---- private ---- */
    struct sim_mem *mem;
    struct x86_dcache *dc;
    /* Core micro-TLB (cpu.c, docs/model.md "Fast paths"): host pointers for repeated
     * fetches, loads and stores that count exactly what the L1 TLB hit path counts.
     * fast_mem = false (or mmu_set_fast_path(mmu, false)) turns it off. */
    struct x86_utlb *utlb;
    bool fast_mem;
    uint64_t *st_insns, *st_undef, *st_exc, *st_irq, *st_halt_cycles;
    unsigned undef_reports;
    enum x86_stop stop;
    bool fault;               /* an exception is pending for the current instruction */
    unsigned delivering;      /* nesting depth of exception delivery (#DF / triple) */
    uint64_t nrip;            /* next rip while an instruction executes */
};

/* Create a CPU over guest memory (registers guest.insns, guest.undef, guest.exceptions).
 * features: X86_FEAT_* (CPUID reports exactly these). NULL with a message in err. */
struct x86_cpu *x86_cpu_create(struct sim_mem *mem, struct sim_stats *stats, uint32_t features,
                               char *err, size_t errlen);
void x86_cpu_destroy(struct x86_cpu *c);
/* 64-bit mode, CPL 0, flat: registers zero, RFLAGS = 0x2, CR0 = PE|PG|ET|WP|NE,
 * CR4 = PAE|OSFXSR|OSXMMEXCPT (SSE usable), EFER = LME|LMA|NXE, x87 FCW = 0x37f, CS = 0x08, SS = 0x10, IDTR.limit = 0, rip as given.
 * CR3 is left as it was (the caller builds the page tables). */
void x86_cpu_reset64(struct x86_cpu *c, uint64_t rip);
/* The Xen PVH start state (docs/misc/pvh.pandoc): 32-bit protected mode, paging off, CR0 =
 * PE|ET, CR4 = 0, EFER = 0, flat 32-bit CS = 0x08 (execute/read), DS = ES = SS = 0x10
 * (read/write), TR = 0x18 a 32-bit TSS with base 0 and limit 0x67, EFLAGS = 0x2, EBX =
 * start_info, other GPRs 0, GDTR/IDTR limit 0 (the guest loads its own). */
void x86_cpu_reset_pvh(struct x86_cpu *c, uint32_t entry, uint32_t ebx);
/* Recompute code_bits from CR0.PE, EFER.LMA and CS (drops decoded instructions if it
 * changed). Call after changing cr0/efer/seg[CS] directly. */
void x86_update_mode(struct x86_cpu *c);

/* Deliver an event now (VM-entry injection, tests): kind says how the privilege and error
 * code rules apply (SDM vol. 3A §6.12, §6.13). ret = the RIP pushed. */
enum x86_event_kind {
    X86_EV_EXCEPTION,   /* hardware exception (EXT = 1 in error codes) */
    X86_EV_SOFTINT,     /* INT n / INT3 / INTO: gate DPL checked against CPL */
    X86_EV_EXTINT,      /* external interrupt (LAPIC) */
    X86_EV_ICEBP,       /* INT1 */
};
void x86_deliver_event(struct x86_cpu *c, unsigned vector, enum x86_event_kind kind,
                       bool has_err, uint32_t err, uint64_t ret);

/* MSRs (msr.c): 0, or -EPERM for an MSR index that does not exist or a value the MSR
 * rejects (the instruction raises #GP(0)). No privilege check (RDMSR/WRMSR do it). */
int x86_msr_read(struct x86_cpu *c, uint32_t idx, uint64_t *val);
int x86_msr_write(struct x86_cpu *c, uint32_t idx, uint64_t val);
/* CPUID leaf/subleaf as this core reports them (sys.c). out: EAX EBX ECX EDX. */
void x86_cpuid(const struct x86_cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

/* LAPIC (lapic.c). x86_lapic_create attaches an x2APIC with the given x2APIC ID (stats
 * "guest.lapic.*"); IA32_APIC_BASE starts with EN set (xAPIC mode: the guest sets EXTD).
 * accept: a fixed interrupt arrives (IRR). 0 or -ENOMEM / -EINVAL. */
int x86_lapic_create(struct x86_cpu *c, struct sim_stats *stats, uint32_t apic_id);
void x86_lapic_accept(struct x86_cpu *c, unsigned vector);
enum x86_stop x86_run(struct x86_cpu *c, uint64_t max_insns);

/* Copy cost_* from the CPU model (NULL: 1 cycle per instruction, free exceptions). */
void x86_set_cost_model(struct x86_cpu *c, const struct mmu_cpu_model *m);
/* Drop every decoded instruction. */
void x86_flush_decoded(struct x86_cpu *c);

/* {"arch":"x86_64","rip":..,"rflags":..,"gpr":{..},"cr0":..,"cr3":..,"cr4":..,"efer":..,
 *  "xmm":[..16],"insns":N} (one line, newline-terminated). */
int x86_dump_state_json(const struct x86_cpu *c, FILE *f);

/* ---- decode table introspection (tests, tools) ---- */
struct x86_decoded {
    int line;            /* table line, or -1 */
    unsigned len;        /* instruction length */
    unsigned osz, asz;   /* operand size, address size in bytes */
    bool has_modrm, mem, riprel;
    int base, index;     /* register numbers, -1 = none */
    unsigned scale;
    int64_t disp;
    uint64_t imm;
    unsigned rep;        /* 0, 0xf2, 0xf3 */
    bool lock, rex;
    int seg;             /* segment override 0..5 (ES CS SS DS FS GS), -1 none */
};
/* Decode bytes in code_bits (16/32/64) mode. Returns the length (> 0), 0 if more bytes
 * are needed than avail, -EILSEQ for an encoding no line claims (#UD), -E2BIG over 15 bytes. */
int x86_decode_bytes(const uint8_t *buf, unsigned avail, unsigned code_bits, uint32_t features,
                     struct x86_decoded *out);
unsigned x86_insn_count(void);
const char *x86_insn_line_name(unsigned idx);
const char *x86_insn_line_operands(unsigned idx);
/* Mnemonic of the instruction at buf (64-bit mode, all features), "(bad)" if none. */
const char *x86_insn_name(const uint8_t *buf, unsigned len);

/* Random valid-instruction generator: writes one instruction the table decodes (64-bit
 * mode) into buf (>= 15 bytes) and returns its length; *line receives the line index. */
#define X86_GEN_NO_RIPREL (1u << 0)   /* no RIP-relative memory operands */
#define X86_GEN_SMALL_DISP (1u << 1)  /* disp32 within [-256, 256) */
#define X86_GEN_SHORT_BRANCH (1u << 2) /* relative branches within [-8, 8] */
#define X86_GEN_NO_SEG (1u << 3)      /* no segment-override prefixes */
unsigned x86_random_insn(uint64_t *rng, uint8_t *buf, unsigned flags, int *line);

#endif
