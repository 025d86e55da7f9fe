/* isa/arm64/a64_internal.h - shared between the files of isa/arm64 only. */
#ifndef ISA_ARM64_A64_INTERNAL_H
#define ISA_ARM64_A64_INTERNAL_H

#include <errno.h>
#include <string.h>

#include "isa/arm64/a64.h"
#include "mmu/mmu.h"
#include "sim/mem.h"

typedef void (*a64_handler)(struct a64_cpu *c, uint32_t insn);

/* Features a decode-table line can require (the feature column of a64.def). */
enum a64_feature_bit {
    A64_FEAT_base = 0,
    A64_FEAT_crc,
    A64_FEAT_lse,
    A64_FEAT_rng,
    A64_FEAT_rcpc,
    A64_FEAT_pan,
    A64_FEAT_uao,
};
#define A64_FEAT(f) (1u << A64_FEAT_##f)

/* A CPU model: ID register values and the features they advertise (models.c). */
struct a64_model {
    const char *name;
    uint32_t features; /* A64_FEAT bits (base always set) */
    uint64_t midr, revidr, mpidr_base, ctr, dczid, clidr, aidr;
    uint64_t ccsidr[3]; /* L1D, L1I, L2 (CSSELR 0, 1, 2) */
    uint64_t aa64pfr[2], aa64dfr[2], aa64afr[2], aa64isar[3], aa64mmfr[3], aa64zfr0, aa64smfr0;
    uint32_t id_pfr[3], id_dfr[2], id_afr0, id_mmfr[6], id_isar[7], mvfr[3];
    uint64_t pmcr;
    unsigned pa_bits;       /* from ID_AA64MMFR0_EL1.PARange */
    unsigned brps, wrps;    /* breakpoints / watchpoints (ID_AA64DFR0_EL1) */
    uint64_t cpu_hz, cntfrq;
};
const struct a64_model *a64_model_find(const char *name);
/* ID-space read (op0=3, op1=0, CRn=0, CRm=0..7): ARM DDI0487 D12.3.1, reserved are RAZ. */
bool a64_model_id_reg(const struct a64_cpu *c, uint32_t enc, uint64_t *val);

/* ---- decoder (decode.c) ---- */
struct a64_decoder;
struct a64_decoder *a64_decoder_create(uint32_t features);
void a64_decoder_destroy(struct a64_decoder *d);
a64_handler a64_decode(const struct a64_decoder *d, uint32_t insn);

/* Cost classes of the in-order cycle model (docs/model.md "CPU cycle model"): derived from
 * each decode-table line's name and handler when the decoder is built (decode.c), so
 * a64.def needs no cost column. */
enum a64_cost_class {
    A64_COST_ALU = 0,
    A64_COST_MUL,
    A64_COST_DIV,
    A64_COST_BRANCH,   /* cost[] holds not-taken; the taken cost is cost_branch_taken */
    A64_COST_LOAD,
    A64_COST_STORE,
    A64_COST_BARRIER,
    A64_COST_SYSREG,
    A64_COST_ERET,     /* charged as cost_exc_return by the exception return itself */
    A64_COST_NCLASSES
};
struct a64_dentry;
/* Decode insn into e: handler, cost class and the cycle costs from c's table. */
void a64_decode_entry(const struct a64_cpu *c, uint32_t insn, struct a64_dentry *e);
/* Cost class of insn as claimed by decode-table line idx (tests). */
enum a64_cost_class a64_cost_class_of(unsigned idx, uint32_t insn);

/* ---- decoded-instruction cache ----
 * Decoded pages keyed by physical page, A64_DC_SETS sets (PA page mod A64_DC_SETS) of
 * A64_DC_WAYS ways with LRU replacement (a stamp per page, renewed whenever execution enters
 * the page). Way 0 of every set is allocated with the CPU, the others when first needed.
 * (With 64 direct-mapped slots the Linux boot refilled a page every ~11000 instructions:
 * its kernel text working set is a few hundred pages.) `filter` counts the cached pages
 * per (PA page mod A64_DC_FILTER), so that a store checks one counter, not a set. */
#define A64_DC_SETS 64u
#define A64_DC_WAYS 8u
#define A64_DC_FILTER 4096u
#define A64_PAGE_INSNS 1024u
struct a64_dentry {
    a64_handler h; /* NULL until decoded */
    uint32_t insn;
    uint16_t cost;       /* cycles when execution falls through to pc + 4 */
    uint16_t cost_taken; /* cycles when npc != pc + 4 (== cost except for branches) */
};
struct a64_dpage {
    uint64_t tag;   /* PA >> 12, or UINT64_MAX when empty */
    uint64_t stamp; /* LRU: a64_dcache.clock when execution last entered the page */
    struct a64_dentry e[A64_PAGE_INSNS];
};
struct a64_dcache {
    struct a64_dpage *page[A64_DC_SETS][A64_DC_WAYS]; /* NULL: not allocated yet */
    uint16_t filter[A64_DC_FILTER];
    uint64_t clock;
    /* Fetch fast path: the VA page last fetched from, and its decoded page. */
    uint64_t cur_vpage;
    struct a64_dpage *cur;
};
static inline void a64_dc_store_check(struct a64_cpu *c, uint64_t pa, unsigned len);

/* ---- memory fast path (cpu.c; docs/model.md "Fast paths") ----
 * Host-pointer micro-TLB in front of a64_translate: one direct-mapped array per kind (data
 * read, data write, fetch). An entry remembers a translation the full path produced for
 * (VA page, access bits) together with its ticket (mmu.h mmu_a64_l1_ticket); it answers
 * only while the ticket's L1 TLB generation is unchanged, counting what the full path would
 * count. Whatever may change the translation registers empties it (a64_fast_flush): MSR,
 * a PSTATE.PAN change on exception entry/return, reset, and every a64_run entry. */
#define A64_UTLB_N 256u
enum { A64_UT_READ, A64_UT_WRITE, A64_UT_FETCH, A64_UT_KINDS };
struct a64_utlb_entry {
    uint64_t key;         /* (va >> 12) << 6 | MMU_ACC_* bits; UINT64_MAX when empty */
    const uint64_t *gen;  /* ticket: L1 TLB generation and its value at fill */
    uint64_t gen_val;
    uint64_t *hit_ctr;    /* counter a repeat increments (NULL: none, MMU off) */
    uint64_t hits;        /* repeats not yet added to *hit_ctr (a64_fast_sync) */
    struct mmu_tlb *tlb;  /* ticket: the L1 TLB entry a repeat hits (NULL: MMU off) */
    struct mmu_tlb_entry *tlb_entry;
    uint8_t *host;        /* host address of the page (data) */
    struct a64_dpage *dp; /* decoded page (fetch); valid while dp->tag == pa_page >> 12 */
    uint64_t pa_page;
    bool count_data;      /* charge the data-cache access (data_cost) on a hit */
    bool normal;          /* Normal memory: misaligned accesses allowed */
};
struct a64_utlb {
    struct a64_utlb_entry e[A64_UT_KINDS][A64_UTLB_N];
};
/* Slot of va's page (direct-mapped). 256 slots: with 64 the Linux boot lost two thirds of
 * its data-side repeats to conflicts (pages 256 KB apart: stacks, per-CPU data, the
 * linear map against the kernel image); hashing the page number did worse than the plain
 * index, whose neighbouring pages never collide. */
static inline unsigned a64_utlb_slot(uint64_t va)
{
    uint64_t vpn = va >> SIM_PAGE_SHIFT;
    return (unsigned)(vpn % A64_UTLB_N);
}
static inline uint64_t a64_utlb_key(uint64_t va, unsigned acc)
{
    return (va >> SIM_PAGE_SHIFT) << 6 | acc;
}
/* Empty the micro-TLB (the translation registers may have changed). */
void a64_fast_flush(struct a64_cpu *c);
/* Add the fast paths' pending counts (entry hits, data-cache repeats) to the counters: done
 * before a64_run returns, so that every reader of the counters sees them complete. */
void a64_fast_sync(struct a64_cpu *c);

/* ---- register access ---- */
static inline uint64_t a64_sp(const struct a64_cpu *c)
{
    return c->sp_el[c->spsel ? c->el : 0];
}
static inline void a64_set_sp(struct a64_cpu *c, uint64_t v)
{
    c->sp_el[c->spsel ? c->el : 0] = v;
}
/* Register n where 31 means XZR. */
static inline uint64_t a64_xr(const struct a64_cpu *c, unsigned n)
{
    return n == 31 ? 0 : c->x[n];
}
static inline void a64_xw(struct a64_cpu *c, unsigned n, uint64_t v)
{
    if (n != 31)
        c->x[n] = v;
}
/* Register n where 31 means SP. */
static inline uint64_t a64_xr_sp(const struct a64_cpu *c, unsigned n)
{
    return n == 31 ? a64_sp(c) : c->x[n];
}
static inline void a64_xw_sp(struct a64_cpu *c, unsigned n, uint64_t v)
{
    if (n == 31)
        a64_set_sp(c, v);
    else
        c->x[n] = v;
}

#define A64_BITS(insn, hi, lo) (((insn) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define A64_BIT(insn, b) (((insn) >> (b)) & 1u)
static inline int64_t a64_sext(uint64_t v, unsigned bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* ---- exceptions (cpu.c), ARM DDI0487 D1.10 ---- */
#define A64_EC_UNKNOWN 0x00
#define A64_EC_WFX 0x01
#define A64_EC_FP 0x07
#define A64_EC_ILLEGAL 0x0e
#define A64_EC_SVC 0x15
#define A64_EC_HVC 0x16
#define A64_EC_SMC 0x17
#define A64_EC_SYSREG 0x18
#define A64_EC_IABT_LOW 0x20
#define A64_EC_IABT_CUR 0x21
#define A64_EC_PC_ALIGN 0x22
#define A64_EC_DABT_LOW 0x24
#define A64_EC_DABT_CUR 0x25
#define A64_EC_SP_ALIGN 0x26
#define A64_EC_BRK 0x3c

#define A64_FSC_ADDR_SIZE_L0 0x00
#define A64_FSC_EXTERNAL 0x10
#define A64_FSC_ALIGNMENT 0x21

/* Leave a64_run after the current instruction with `why`: the run loop checks c->stop only
 * when c->cycles reaches c->next_event, so both are set. */
static inline void a64_stop_run(struct a64_cpu *c, enum a64_stop why)
{
    c->stop = why;
    c->next_event = 0;
}

/* Take a synchronous exception to EL1 (or to EL2 via the trap record when routed there).
 * ret = preferred return address. The handler's caller must not touch registers after. */
void a64_exception(struct a64_cpu *c, uint32_t ec, uint32_t iss, uint64_t far, bool far_valid,
                   uint64_t ret);
void a64_undef(struct a64_cpu *c);
/* Trap to EL2: fills c->trap and stops the run loop (pc = preferred return). */
void a64_trap_el2(struct a64_cpu *c, uint32_t ec, uint32_t iss, uint64_t far, uint64_t hpfar,
                  uint64_t ret);
/* CPACR_EL1.FPEN check; false (exception taken) if the access traps. */
bool a64_fp_check(struct a64_cpu *c);
void a64_exception_return(struct a64_cpu *c);
void a64_timer_update(struct a64_cpu *c);
bool a64_wfi_wakeup(struct a64_cpu *c);
uint64_t a64_cntpct(const struct a64_cpu *c);
uint64_t a64_random64(struct a64_cpu *c);

/* ---- memory (cpu.c): every data access goes through a64_translate ---- */
enum a64_mem_flags {
    A64_M_WRITE = 1u << 0,
    A64_M_USER = 1u << 1,   /* unprivileged (LDTR/STTR) */
    A64_M_ALIGN = 1u << 2,  /* must be naturally aligned (exclusives, acquire/release, atomics) */
    A64_M_RMW = 1u << 3,    /* atomic read-modify-write (reported as a write on fault) */
    A64_M_CM = 1u << 4,     /* cache maintenance (ISS.CM = 1, WnR = 1 on a fault) */
};
/* Translate one access of size bytes at va: on success returns 0 and sets *pa. On a fault
 * the exception is taken (c->npc redirected) and -1 returned. */
int a64_translate(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t *pa);
#define A64_SCTLR_A (1ull << 1) /* SCTLR_EL1.A: alignment check enable */
/* MMU access bits of a data access with A64_M_* flags. */
static inline unsigned a64_data_acc(const struct a64_cpu *c, unsigned flags)
{
    bool write = flags & (A64_M_WRITE | A64_M_RMW);
    unsigned acc = (write ? MMU_ACC_WRITE : MMU_ACC_READ) |
                   ((flags & A64_M_USER) || c->el == 0 ? MMU_ACC_USER : 0);
    if ((flags & A64_M_RMW))
        acc |= MMU_ACC_READ;
    return acc;
}

/* The entry of `kind` answering an access with acc at va, or NULL. */
static inline struct a64_utlb_entry *a64_utlb_find(struct a64_cpu *c, unsigned kind,
                                                   uint64_t va, unsigned acc)
{
    struct a64_utlb_entry *u = &c->utlb->e[kind][a64_utlb_slot(va)];
    if (u->key != a64_utlb_key(va, acc) || *u->gen != u->gen_val)
        return NULL;
    return u;
}

/* Fast path of a data access of size bytes at va: the host address, after counting what the
 * full path counts (the L1 TLB hit, the data-cache access and its cycles); NULL when the
 * access needs the full path (no entry, page crossing, a possible alignment fault). */
static inline __attribute__((always_inline)) uint8_t *
a64_fast_data(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t *pa)
{
    bool misaligned = (va & (size - 1)) != 0;
    if (misaligned && ((flags & A64_M_ALIGN) || (c->sctlr_el1 & A64_SCTLR_A)))
        return NULL;
    uint64_t off = va & (SIM_PAGE_SIZE - 1);
    if (off + size > SIM_PAGE_SIZE)
        return NULL;
    unsigned acc = a64_data_acc(c, flags);
    bool write = acc & MMU_ACC_WRITE;
    struct a64_utlb_entry *u = a64_utlb_find(c, write ? A64_UT_WRITE : A64_UT_READ, va, acc);
    if (!u || (misaligned && !u->normal))
        return NULL;
    u->hits++; /* the L1 TLB hit, added to *u->hit_ctr by a64_fast_sync */
    if (u->tlb)
        mmu_tlb_touch(u->tlb, u->tlb_entry); /* what the lookup would do to the LRU state */
    *pa = u->pa_page | off;
    /* what hook_xlate charges after the TLB: one data-cache access at the first byte */
    if (u->count_data) {
        const struct mmu_data_rehit *r = c->data_rehit;
        if (r && mmu_data_is_rehit(r, *pa)) {
            c->data_rehits++; /* counted by a64_fast_sync */
            c->cycles += r->latency;
        } else {
            c->cycles += c->data_cost(c->hook_opaque, *pa, write);
        }
    }
    return u->host + off;
}

/* Stores clear the exclusive monitor when they touch the reserved bytes (the local
 * monitor's behaviour here is IMPLEMENTATION DEFINED, ARM DDI0487 B2.9.5). */
static inline void a64_store_side_effects(struct a64_cpu *c, uint64_t pa, unsigned size)
{
    if (c->mon_valid && pa < c->mon_addr + c->mon_size && c->mon_addr < pa + size)
        c->mon_valid = false;
    a64_dc_store_check(c, pa, size);
}

static inline uint64_t a64_ld_le(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return p[0];
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void a64_st_le(uint8_t *p, unsigned size, uint64_t val)
{
    switch (size) {
    case 1: p[0] = (uint8_t)val; break;
    case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)val; memcpy(p, &v, 4); break; }
    default: memcpy(p, &val, 8); break;
    }
}

/* Loads / stores of 1, 2, 4, 8 bytes; 0, or -1 after taking the abort. The micro-TLB
 * answers inline (a64_fast_data); everything else takes the full path (cpu.c). */
int a64_load_slow(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t *val);
int a64_store_slow(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t val);
static inline __attribute__((always_inline)) int
a64_load(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t *val)
{
    uint64_t pa;
    uint8_t *h = a64_fast_data(c, va, size, flags, &pa);
    if (!h)
        return a64_load_slow(c, va, size, flags, val);
    *val = a64_ld_le(h, size);
    return 0;
}
static inline __attribute__((always_inline)) int
a64_store(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t val)
{
    uint64_t pa;
    uint8_t *h = a64_fast_data(c, va, size, flags | A64_M_WRITE, &pa);
    if (!h)
        return a64_store_slow(c, va, size, flags, val);
    a64_st_le(h, size, val);
    a64_store_side_effects(c, pa, size);
    return 0;
}
/* 16-byte vector load/store (two 8-byte halves checked as one 16-byte access). */
int a64_load128(struct a64_cpu *c, uint64_t va, unsigned flags, uint64_t out[2]);
int a64_store128(struct a64_cpu *c, uint64_t va, unsigned flags, const uint64_t in[2]);
/* Instruction syndrome of a stage-2 data abort taken by insn (exec_mem.c): ISS.ISV (bit 24)
 * with SAS, SSE, SRT, SF and AR for a load/store of a single general-purpose register
 * without writeback, 0 for everything else (ARM DDI0487 D17.2.40). */
uint32_t a64_dabt_isv(uint32_t insn);
/* SP alignment check (SCTLR_EL1.SA/SA0, ARM DDI0487 D1.8.2) for base register n == 31:
 * false after taking the SP alignment fault. */
bool a64_sp_check_slow(struct a64_cpu *c);
static inline bool a64_sp_check(struct a64_cpu *c, unsigned n, uint64_t addr)
{
    return n != 31 || !(addr & 15) || a64_sp_check_slow(c);
}

/* Specialised handlers (exec_mem.c) that a64_decode_entry puts in place of the general
 * ones for the commonest forms: LDR/STR of a general-purpose register (opc 00/01, V = 0)
 * with an unsigned offset or a register offset; same behaviour, fewer decisions. */
void a64_h_ldr_gp_uimm(struct a64_cpu *c, uint32_t insn);
void a64_h_str_gp_uimm(struct a64_cpu *c, uint32_t insn);
void a64_h_ldr_gp_regoff(struct a64_cpu *c, uint32_t insn);
void a64_h_str_gp_regoff(struct a64_cpu *c, uint32_t insn);
void a64_h_ldst_gp_imm9(struct a64_cpu *c, uint32_t insn); /* unscaled, post- and pre-index */
void a64_h_ldstp_x(struct a64_cpu *c, uint32_t insn);      /* LDP/STP of X registers */
/* ... and for the commonest data-processing forms (exec_int.c): ADD/SUB (immediate) 64-bit
 * without flags, SUBS (immediate) 64/32-bit, ADD/SUB (shifted register) 64-bit without
 * flags, SUBS (shifted register) 64-bit, MOV (ORR Xd, XZR, Xm). */
void a64_h_add_imm64(struct a64_cpu *c, uint32_t insn);
void a64_h_sub_imm64(struct a64_cpu *c, uint32_t insn);
void a64_h_subs_imm64(struct a64_cpu *c, uint32_t insn);
void a64_h_subs_imm32(struct a64_cpu *c, uint32_t insn);
void a64_h_addsub_reg64(struct a64_cpu *c, uint32_t insn);
void a64_h_subs_reg64(struct a64_cpu *c, uint32_t insn);
void a64_h_mov_reg64(struct a64_cpu *c, uint32_t insn);

/* Invalidate decoded pages covering [pa, pa+len). */
void a64_dc_invalidate(struct a64_cpu *c, uint64_t pa);
static inline void a64_dc_store_check(struct a64_cpu *c, uint64_t pa, unsigned len)
{
    uint64_t pg = pa >> SIM_PAGE_SHIFT, pg2 = (pa + len - 1) >> SIM_PAGE_SHIFT;
    if (c->dc->filter[pg % A64_DC_FILTER])
        a64_dc_invalidate(c, pa);
    if (pg2 != pg && c->dc->filter[pg2 % A64_DC_FILTER])
        a64_dc_invalidate(c, pa + len - 1);
}

/* ---- system registers (exec_sys.c) ---- */
/* MRS/MSR-level access with the EL checks; returns 0, or -1 after taking an exception
 * (write), or -ENOENT when the register does not exist (caller raises UNDEF). */
int a64_sysreg_access(struct a64_cpu *c, uint32_t enc, bool read, uint64_t *val, unsigned rt);

/* ---- scalar FP conversions to/from general registers (exec_fpu.c), used by the FMOV
 * (general) line: the encoding is a conversion (FCVT*, SCVTF, UCVTF) of S or D. ---- */
bool a64_fp_cvt_int_valid(uint32_t insn);
void a64_fp_cvt_int(struct a64_cpu *c, uint32_t insn);

/* ---- condition codes ---- */
/* ConditionHolds as a table: bit cond of a64_cond_table[NZCV] (generated from the
 * reference a64_cond_eval below; test_a64_fastpath checks every entry). */
static const uint16_t a64_cond_table[16] = {
    0xd6aa, 0xea6a, 0xd5a6, 0xe966, 0xe6a9, 0xea69, 0xe6a5, 0xea65,
    0xea9a, 0xd65a, 0xe996, 0xd556, 0xea99, 0xe659, 0xea95, 0xe655,
};
static inline bool a64_cond(uint32_t nzcv, unsigned cond)
{
    return (a64_cond_table[nzcv >> 28] >> (cond & 15)) & 1;
}
/* ConditionHolds, ARM DDI0487 J1 shared/functions/system/ConditionHolds. */
static inline bool a64_cond_eval(uint32_t nzcv, unsigned cond)
{
    bool n = nzcv >> 31 & 1, z = nzcv >> 30 & 1, cf = nzcv >> 29 & 1, v = nzcv >> 28 & 1;
    bool r;
    switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = cf; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = cf && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: r = true; break;
    }
    /* ARM DDI0487 C1.2.4 ConditionHolds: cond 1111 is "always" too. */
    if ((cond & 1) && cond != 15)
        r = !r;
    return r;
}

/* Handler prototypes from the decode table. */
#define A64_INSN(name, pat, handler, feat) void handler(struct a64_cpu *c, uint32_t insn);
#include "isa/arm64/a64.def"
#undef A64_INSN

#endif
