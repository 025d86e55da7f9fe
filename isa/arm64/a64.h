/* isa/arm64/a64.h - the AArch64 CPU: an interpreter over X-macro decode tables (a64.def)
 * with a decoded-instruction cache per guest physical page, EL0/EL1 with exceptions taken
 * through VBAR_EL1 (ARM DDI0487 D1.10), the generic timer, and the EL2 state a modelled
 * hypervisor programs (traps to EL2 leave a64_run() as a trap record).
 *
 * Every guest fetch, load and store goes through one internal translation function; with
 * no translation hook installed the MMU is off (ARM DDI0487 D8.2.x: flat, PA = VA, with the
 * address-size check; data accesses are Device-nGnRnE, fetches Normal). */
#ifndef ISA_ARM64_A64_H
#define ISA_ARM64_A64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/walk_port.h"

struct sim_mem;
struct sim_stats;
struct a64_dcache; /* decoded-instruction cache (private) */
struct a64_decoder; /* per-model decode table (private) */
struct a64_model;   /* CPU model: ID registers and features (private) */
struct a64_utlb;    /* memory fast path (private) */
struct mmu_l1_ticket;
struct mmu_data_rehit;

enum a64_stop {
    A64_STOP_NONE = 0,
    A64_STOP_END_MARKER, /* executed BRK #0xF000 (pc left at the BRK) */
    A64_STOP_MAX_INSNS,  /* the instruction budget ran out */
    A64_STOP_TRAP,       /* an exception routed to EL2: cpu->trap holds the record */
    A64_STOP_UNHANDLED,  /* an exception to EL1 with VBAR_EL1 == 0 (bare mode): cpu->exc */
    A64_STOP_IRQ_EL2,    /* a physical IRQ/FIQ routed to EL2 by HCR_EL2.IMO/FMO (an
                          * asynchronous exception, no syndrome): cpu->trap.irq says which;
                          * pc = the preferred return address (the next instruction) */
};

/* A trap to (modelled) EL2. The CPU state is left as at the trapping instruction, with
 * pc = the preferred return address (ELR_EL2 per ARM DDI0487 D1.10.1). */
struct a64_trap {
    uint32_t esr_el2;
    uint64_t far, hpfar;
    unsigned irq;      /* A64_STOP_IRQ_EL2 only: 1 IRQ, 2 FIQ (0 for synchronous traps) */
};

/* Last exception taken (or, for A64_STOP_UNHANDLED, the one that could not be taken). */
struct a64_exc {
    uint32_t esr;
    uint64_t far;
    uint64_t pc;      /* the PC of the instruction that caused it */
    unsigned vec_off; /* vector offset that was / would have been used */
};

/* Translation result of the MMU hook. */
struct a64_xlate {
    uint64_t pa;
    uint8_t attr; /* MAIR-format attribute byte: 0x00 Device-nGnRnE ... 0xff Normal WB */
};

/* Kinds of system instructions dispatched to sys_hook (ARM DDI0487 C5.3). */
enum a64_sys_kind { A64_SYS_TLBI, A64_SYS_AT, A64_SYS_IC, A64_SYS_DC };

/* System register encoding as used by MRS/MSR: op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2. */
#define A64_SYSREG(op0, op1, crn, crm, op2) \
    ((uint32_t)(op0) << 14 | (uint32_t)(op1) << 11 | (uint32_t)(crn) << 7 | (uint32_t)(crm) << 3 | (uint32_t)(op2))

/* PSTATE bits as laid out in SPSR_ELx (ARM DDI0487 C5.2.18). */
#define A64_PSTATE_N (1u << 31)
#define A64_PSTATE_Z (1u << 30)
#define A64_PSTATE_C (1u << 29)
#define A64_PSTATE_V (1u << 28)
#define A64_PSTATE_UAO (1u << 23)
#define A64_PSTATE_PAN (1u << 22)
#define A64_PSTATE_SS (1u << 21)
#define A64_PSTATE_IL (1u << 20)
#define A64_PSTATE_D (1u << 9)
#define A64_PSTATE_A (1u << 8)
#define A64_PSTATE_I (1u << 7)
#define A64_PSTATE_F (1u << 6)

struct a64_cpu {
    /* ---- architectural state ---- */
    uint64_t x[32];          /* x[31] is scratch (reads of XZR never use it) */
    uint64_t sp_el[2];       /* SP_EL0, SP_EL1 */
    uint64_t pc;
    uint32_t nzcv;           /* bits 31:28 */
    uint32_t daif;           /* bits 9:6 */
    unsigned el;             /* 0 or 1 */
    unsigned spsel;          /* PSTATE.SP */
    bool pan, uao, il;       /* PSTATE.PAN, UAO, IL */
    uint64_t v[32][2];       /* V0-V31: [0] low 64 bits, [1] high 64 bits */
    uint32_t fpcr, fpsr;

    /* EL1/EL0 system registers (ARM DDI0487 D17) */
    uint64_t sctlr_el1, actlr_el1, cpacr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1, amair_el1;
    uint64_t vbar_el1, contextidr_el1, tpidr_el0, tpidr_el1, tpidrro_el0;
    uint64_t elr_el1, spsr_el1, esr_el1, far_el1, par_el1, afsr0_el1, afsr1_el1;
    uint64_t cntkctl_el1, mdscr_el1, osdlr_el1, oslsr_el1, csselr_el1, mdccint_el1;
    uint64_t cntv_ctl, cntv_cval, cntp_ctl, cntp_cval;
    uint64_t pmcr_el0, pmuserenr_el0, pmcnten, pminten, pmovs, pmselr_el0, pmccfiltr_el0;

    /* EL2 state programmed by the hypervisor model (EL2 itself is modelled in C). */
    bool have_el2;           /* false in bare mode: HVC is UNDEFINED */
    /* Honour HCR_EL2.TVM/TRVM/TID1/TID2/TID3/TACR: EL1 MRS/MSR of those registers leave
     * the loop as a trap record with EC 0x18 (the EL2 model must emulate them, as Xen's
     * do_sysreg does). Off by default: the register is then accessed directly. */
    bool el2_sysreg_traps;
    uint64_t hcr_el2, vttbr_el2, vtcr_el2, vpidr_el2, vmpidr_el2, cntvoff_el2;

    /* ---- simulation state ---- */
    uint64_t cycles;         /* simulated clock (instruction costs + what others charge) */
    /* In-order cycle model (a64_set_cost_model; docs/model.md "CPU cycle model"): cycles
     * per instruction cost class (internal enum a64_cost_class; all 1 by default), the
     * taken-branch cost and the exception entry/return costs (0 by default). */
    uint16_t cost[16];
    uint16_t cost_branch_taken, cost_exc_entry, cost_exc_return;
    uint64_t insns;          /* instructions retired (mirrors the guest.insns counter) */
    uint64_t cpu_hz, cntfrq; /* clock rates; cycles per counter tick = cpu_hz / cntfrq */
    bool irq_line, fiq_line; /* external interrupt inputs (GIC later) */
    bool vtimer_irq;         /* PPI 27 line: CNTV condition met, enabled and not masked */
    struct a64_trap trap;
    struct a64_exc exc;
    unsigned cpu_index;      /* MPIDR Aff0 */

    /* Hooks (NULL = default behaviour). xlate: translate va for an access (enum
     * mmu_access bits); return 0 and fill *out, or -1 and fill *fault. sys_hook: TLBI, AT,
     * IC and DC maintenance; return 0 if done, -ENOSYS for the default behaviour. */
    void *hook_opaque;
    int (*xlate)(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                 struct a64_xlate *out, struct mmu_fault *fault);
    int (*sys_hook)(void *opaque, struct a64_cpu *c, enum a64_sys_kind kind, uint32_t enc,
                    uint64_t val);
    /* GICv3 CPU interface system registers (ICC_*_EL1, ARM IHI0069 12.2; encoding as
     * A64_SYSREG), implemented by the (hypervisor's) GIC model; with HCR_EL2.IMO/FMO set
     * the model answers as the virtual ICV_* interface. Returns 0 (a read fills *val), or
     * -ENOENT for UNDEFINED. With no hook installed every ICC_* access is UNDEFINED (the
     * CPU models advertise no system-register interface: ID_AA64PFR0_EL1.GIC == 0). */
    /* Memory fast path (optional; a64_mmu_attach installs both with xlate; docs/model.md
     * "Fast paths"). After a successful xlate of (va, acc), xlate_ticket returns 0 and fills
     * *t (mmu.h mmu_a64_l1_ticket) when a repeat of the access in the same 4 KB page, with
     * the translation registers unchanged, is an L1 TLB hit on a known entry (or, with the
     * MMU off, no translation state at all). While *t->gen == t->gen_val the core then
     * answers such repeats itself: it touches t->entry as the lookup would, increments
     * *t->hit_ctr (if non-NULL) and adds data_cost(pa, write) (NULL: none) to the cycles,
     * exactly what xlate would have done. fast_mem = false turns the core's fast paths
     * off (tests compare counters with and without). */
    int (*xlate_ticket)(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                        struct mmu_l1_ticket *t);
    unsigned (*data_cost)(void *opaque, uint64_t pa, bool write);
    bool fast_mem;
    void *gic_opaque;
    int (*gic_hook)(void *opaque, struct a64_cpu *c, uint32_t enc, bool write, uint64_t *val);

    /* ---- private ---- */
    struct sim_mem *mem;
    struct sim_stats *stats;
    const struct a64_model *model;
    struct a64_decoder *dec;
    struct a64_dcache *dc;
    uint64_t *st_insns, *st_undef, *st_exc, *st_irq;
    unsigned undef_reports;
    uint64_t rng_state;
    uint64_t npc;              /* next pc while an instruction executes */
    uint32_t cur_insn;         /* encoding of the executing instruction (ISV syndromes) */
    struct a64_utlb *utlb;     /* memory fast path (private) */
    const struct mmu_data_rehit *data_rehit; /* data-cache repeat shortcut (a64_mmu_attach) */
    uint64_t data_rehits;      /* repeats not yet added to the counters (a64_run exit) */
    enum a64_stop stop;
    uint64_t next_event;       /* cycle at which timers/interrupts must be re-evaluated */
    bool mon_valid;            /* exclusive monitor (ARM DDI0487 B2.9) */
    uint64_t mon_addr, mon_va;
    unsigned mon_size;
};

/* Create a CPU over guest memory (the CPU registers its counters in stats). model:
 * "cortex-a57" (default when NULL) or "max". Returns NULL with a message in err. */
struct a64_cpu *a64_cpu_create(struct sim_mem *mem, struct sim_stats *stats, const char *model,
                               uint64_t seed, char *err, size_t errlen);
void a64_cpu_destroy(struct a64_cpu *c);
/* Warm reset (ARM DDI0487 D1.9): registers zero, SCTLR_EL1 RES1 bits, MMU off, DAIF
 * masked, at el (0 or 1) with SP_ELx selected, pc as given. */
void a64_cpu_reset(struct a64_cpu *c, uint64_t pc, unsigned el);
enum a64_stop a64_run(struct a64_cpu *c, uint64_t max_insns);

struct mmu_cpu_model;
/* Copy the model's cost_* fields into the core (NULL restores the default: every
 * instruction 1 cycle, exception entry/return free). Drops the decoded pages, which cache
 * the per-instruction cost. CNTFRQ and the clock rate are not changed. */
void a64_set_cost_model(struct a64_cpu *c, const struct mmu_cpu_model *m);

/* Writes {"arch":"arm64","pc":...,"el":N,"insns":N} (one line, newline-terminated). */
int a64_dump_state_json(const struct a64_cpu *c, FILE *f);

/* Mnemonic of the decode-table line that claims insn ("udf" if none). */
const char *a64_insn_name(uint32_t insn);

/* System registers by encoding (A64_SYSREG), as MRS/MSR at EL1 would see them.
 * Returns 0, or -ENOENT for an unknown/inaccessible register. */
int a64_sysreg_read(struct a64_cpu *c, uint32_t enc, uint64_t *val);
int a64_sysreg_write(struct a64_cpu *c, uint32_t enc, uint64_t val);

/* Drop every decoded page (after the guest's code changed behind the CPU's back). */
void a64_flush_decoded(struct a64_cpu *c);
/* Exclusive monitor: clear (CLREX, or another observer's store to the granule). */
void a64_clear_exclusive(struct a64_cpu *c);

/* ---- decode table introspection, for tests and tools ---- */
/* Top-level encoding groups, ARM DDI0487 C4.1 (op0 = bits 28:25). */
enum a64_class {
    A64_CLASS_DP_IMM,   /* 100x */
    A64_CLASS_BRANCH_SYS, /* 101x */
    A64_CLASS_LDST,     /* x1x0 */
    A64_CLASS_DP_REG,   /* x101 */
    A64_CLASS_FPSIMD,   /* x111 */
    A64_CLASS_COUNT
};
unsigned a64_insn_count(void);               /* lines in a64.def */
int a64_insn_lookup(uint32_t insn);          /* line index claiming insn, or -1 */
const char *a64_insn_line_name(unsigned idx);
enum a64_class a64_insn_class(unsigned idx);
const char *a64_insn_line_feature(unsigned idx);
/* A random encoding of class cls (every wildcard bit random) that the table claims with a
 * real instruction (not an "unallocated" line). *rng is a xorshift64* state (non-zero).
 * If idx_out is non-NULL it receives the line index. */
uint32_t a64_random_encoding(uint64_t *rng, enum a64_class cls, int *idx_out);

#endif
