/* isa/x86/x86.h - the x86-64 CPU: an interpreter over an X-macro decode table (x86.def)
 * with a decoded-instruction cache keyed by guest physical address, the integer ISA in
 * 64-bit mode (the decoder also applies the 16/32-bit operand- and address-size rules),
 * exceptions through a 64-bit IDT (Intel SDM vol. 3A ch. 6.14) and IRETQ, at CPL 0.
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

enum x86_stop {
    X86_STOP_NONE = 0,
    X86_STOP_HLT,        /* HLT with RFLAGS.IF = 0 (the bare-mode end marker); rip after HLT */
    X86_STOP_HLT_IF,     /* HLT with IF = 1 and no interrupt source in this model */
    X86_STOP_MAX_INSNS,  /* the instruction budget ran out */
    X86_STOP_UNHANDLED,  /* an exception with IDTR.limit == 0: c->exc says which; rip at it */
    X86_STOP_TRIPLE,     /* a fault while delivering #DF (triple fault, SDM vol. 3A §6.15) */
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
#define X86_FEAT_BMI1 (1u << 2)
#define X86_FEAT_CX16 (1u << 3)
#define X86_FEAT_ALL (X86_FEAT_POPCNT | X86_FEAT_LZCNT | X86_FEAT_BMI1 | X86_FEAT_CX16)

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

struct x86_cpu {
    /* ---- architectural state ---- */
    uint64_t gpr[16];
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
    uint64_t fs_base, gs_base;
    uint16_t cs, ss;          /* selectors (64-bit mode: flat, bases 0) */
    struct x86_dtr gdtr, idtr;
    uint64_t tr_base;         /* 64-bit TSS base (IST pointers), 0 = none */
    unsigned cpl;             /* 0 only for now */
    unsigned code_bits;       /* 64 (long mode), 32 or 16: operand/address-size rules */
    uint64_t xmm[16][2];      /* [0] low, [1] high quadword */
    uint32_t mxcsr;
    uint32_t features;        /* X86_FEAT_* */
    unsigned maxphyaddr;      /* CPUID.80000008H:EAX[7:0] */

    /* ---- simulation state ---- */
    uint64_t cycles, insns, cpu_hz;
    /* In-order cycle model (x86_set_cost_model): 1 cycle per instruction by default. */
    uint16_t cost_alu, cost_mul, cost_div, cost_branch_taken, cost_load, cost_store;
    uint16_t cost_exc_entry, cost_exc_return;
    struct x86_exc exc;       /* last exception raised */
    struct mmu *mmu;          /* translation cost model, or NULL: linear = physical */
    int who;                  /* enum mmu_who of the accesses (guest) */
    FILE *console;            /* OUT to port 0xE9 (Bochs/QEMU debug console) goes here */
    /* I/O hook (NULL: port 0xE9 console, other reads all ones, writes ignored). Return 0. */
    void *io_opaque;
    int (*io_hook)(void *opaque, struct x86_cpu *c, uint16_t port, unsigned size, bool write,
                   uint32_t *val);

    /* ---- private ---- */
    struct sim_mem *mem;
    struct x86_dcache *dc;
    uint64_t *st_insns, *st_undef, *st_exc;
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
 * CR4 = PAE, EFER = LME|LMA|NXE, CS = 0x08, SS = 0x10, IDTR.limit = 0, rip as given.
 * CR3 is left as it was (the caller builds the page tables). */
void x86_cpu_reset64(struct x86_cpu *c, uint64_t rip);
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
