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
};
int x86_mref_get(struct x86_cpu *c, uint64_t la, unsigned size, bool write, struct x86_mref *r);
uint64_t x86_mref_read(struct x86_cpu *c, const struct x86_mref *r);
void x86_mref_write(struct x86_cpu *c, const struct x86_mref *r, uint64_t val);
int x86_push(struct x86_cpu *c, unsigned size, uint64_t val);
int x86_pop(struct x86_cpu *c, unsigned size, uint64_t *val);
void x86_undefined(struct x86_cpu *c, const uint8_t *bytes, unsigned n);
int x86_iret(struct x86_cpu *c, unsigned osz);

static inline uint64_t x86_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;
}

#endif
