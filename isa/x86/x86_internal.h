/* isa/x86/x86_internal.h - private to isa/x86: the decoded-instruction record, handler
 * prototypes (generated from x86.def) and the core's memory/exception helpers. */
#ifndef ISA_X86_X86_INTERNAL_H
#define ISA_X86_X86_INTERNAL_H

#include <string.h>

#include "isa/x86/x86.h"
#include "sim/mem.h"

struct x86_insn;
typedef void (*x86_handler)(struct x86_cpu *c, const struct x86_insn *i);

/* flags of a decoded instruction */
#define XI_BYTE (1u << 0)    /* first operand is byte-sized */
#define XI_MEM (1u << 1)     /* ModRM names memory */
#define XI_REX (1u << 2)     /* a REX prefix was present (byte regs 4-7 = SPL..DIL) */
#define XI_LOCK (1u << 3)
#define XI_RIPREL (1u << 4)
#define XI_GFIRST (1u << 5)  /* operands "G.., E.." (reg is the destination) */
#define XI_MODRM (1u << 6)
#define XI_REXW (1u << 7)

struct x86_insn {
    x86_handler fn;
    uint16_t line;
    uint8_t len, map, opc;
    uint8_t osz, asz;        /* operand size ('v') and address size, bytes */
    uint8_t flags;
    uint8_t rep;             /* 0, 2 (F2) or 3 (F3) */
    uint8_t seg;             /* 0..5 ES CS SS DS FS GS, 7 = none */
    uint8_t reg, rm;         /* ModRM reg (with REX.R) / rm or opcode register (with REX.B) */
    uint8_t modreg;          /* raw ModRM reg field (opcode extension) */
    uint8_t base, index, scale; /* 0xff = none; scale = shift */
    int32_t disp;
    uint64_t imm;
    uint8_t imm2;
};

/* decode.c */
int x86_decode(const uint8_t *buf, unsigned avail, unsigned code_bits, uint32_t features,
               struct x86_insn *out);

#define X86_INSN(name, map, op, pfx, modrm, ops, handler, feat) \
    void handler(struct x86_cpu *c, const struct x86_insn *i);
#include "isa/x86/x86.def"
#undef X86_INSN

/* cpu.c: memory and exceptions. Each returns 0, or -1 with an exception raised (the
 * instruction must then stop without changing architectural state). */
void x86_raise(struct x86_cpu *c, unsigned vec, bool has_err, uint32_t err);
int x86_ea(struct x86_cpu *c, const struct x86_insn *i, uint64_t *la);
int x86_read(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t *val);
int x86_write(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t val);
/* A read-modify-write reference: translated for write once, then read and written. */
struct x86_mref {
    uint64_t pa[2];
    unsigned n0;     /* bytes in the first page */
    unsigned size;
    uint8_t *host;   /* non-NULL: one page of RAM, pa[0] at host (core micro-TLB hit) */
};
int x86_mref_get(struct x86_cpu *c, uint64_t la, unsigned size, bool write, struct x86_mref *r);
uint64_t x86_mref_read(struct x86_cpu *c, const struct x86_mref *r);
void x86_mref_write(struct x86_cpu *c, const struct x86_mref *r, uint64_t val);
int x86_push(struct x86_cpu *c, unsigned size, uint64_t val);
int x86_pop(struct x86_cpu *c, unsigned size, uint64_t *val);
void x86_undefined(struct x86_cpu *c, const uint8_t *bytes, unsigned n);
int x86_iret(struct x86_cpu *c, unsigned osz);
int x86_far_return(struct x86_cpu *c, unsigned osz, bool iret, uint16_t imm);

/* Implicit supervisor-mode accesses (GDT, LDT, IDT, TSS: SDM vol. 3A §4.6.1). */
int x86_read_sys(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t *val);
int x86_write_sys(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t val);
uint64_t x86_stack_la(const struct x86_cpu *c, uint64_t sp); /* SS:rSP -> linear */
void x86_set_sp(struct x86_cpu *c, uint64_t sp);  /* rSP as wide as SS.B / the mode says */

/* seg.c: segmentation (SDM vol. 3A ch. 3, 5). Each int function returns 0, or -1 with
 * #GP/#NP/#SS/#TS raised (error code = selector | EXT). */
uint64_t x86_seg_base(const struct x86_cpu *c, unsigned s);
void x86_seg_flat(struct x86_seg *s, uint16_t sel, bool code, bool l64, unsigned dpl);
void x86_seg_from_desc(struct x86_seg *s, uint16_t sel, uint64_t d, uint64_t hi, bool wide);
int x86_desc_fetch(struct x86_cpu *c, uint16_t sel, bool ext, bool wide, uint64_t *lo,
                   uint64_t *hi);
int x86_seg_load(struct x86_cpu *c, unsigned sreg, uint16_t sel);
int x86_seg_load_cpl(struct x86_cpu *c, unsigned sreg, uint16_t sel, unsigned cpl);
int x86_check_cs(struct x86_cpu *c, uint16_t sel, uint64_t d, unsigned cpl, bool ext);
void x86_set_cs(struct x86_cpu *c, uint16_t sel, uint64_t d, unsigned cpl);
void x86_seg_outer_fixup(struct x86_cpu *c);
/* offset in segment s -> linear, with the limit/type checks outside 64-bit mode */
int x86_seg_la(struct x86_cpu *c, unsigned s, uint64_t off, unsigned size, bool write,
               uint64_t *la);

/* lapic.c: the run loop's view. */
void x86_lapic_update(struct x86_cpu *c);          /* timer expiry, irq_pending, event_at */
int x86_lapic_ack(struct x86_cpu *c);              /* take the highest deliverable vector */
void x86_lapic_destroy(struct x86_cpu *c);
int x86_lapic_msr_read(struct x86_cpu *c, uint32_t idx, uint64_t *val);
int x86_lapic_msr_write(struct x86_cpu *c, uint32_t idx, uint64_t val);
uint64_t x86_tsc(const struct x86_cpu *c);
void x86_lapic_set_tpr(struct x86_cpu *c, uint32_t tpr);

/* handlers of x86.def lines whose names the system wrappers call */
void x86_h_io(struct x86_cpu *c, const struct x86_insn *i);
void x86_h_strio(struct x86_cpu *c, const struct x86_insn *i);
void x86_h_popf(struct x86_cpu *c, const struct x86_insn *i);
void x86_h_hlt(struct x86_cpu *c, const struct x86_insn *i);

static inline uint64_t x86_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;
}

#endif
