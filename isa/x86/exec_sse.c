/* isa/x86/exec_sse.c - SSE/SSE2 handlers for x86.def (Intel SDM vol. 1 ch. 10-11, vol. 2
 * instruction pages), MXCSR, FXSAVE/FXRSTOR, XSAVE/XRSTOR/XGETBV/XSETBV for the x87 and SSE
 * state components, and the x87 control-word instructions kept as state only.
 *
 * Integer SIMD operations are computed in C. Floating-point arithmetic, comparisons and
 * conversions run the same SSE instruction on the host (x86-64 only) under the guest's
 * MXCSR rounding, DAZ and FTZ bits with every exception masked, so results and exception
 * flags are IEEE 754 exact as SDM vol. 1 §11.5 specifies; the flags are then ORed into the
 * guest MXCSR and an unmasked one raises #XM (CR4.OSXMMEXCPT = 1) or #UD (SDM vol. 1
 * §11.5.3, §11.6.11) with the destination unchanged. On other hosts the floating-point
 * instructions raise #UD (counted as undefined).
 *
 * Availability (SDM vol. 2 §2.5 / vol. 3A §13.1): CR0.EM = 1 or CR4.OSFXSR = 0 -> #UD,
 * CR0.TS = 1 -> #NM. Legacy-SSE 16-byte memory operands must be 16-byte aligned (#GP(0))
 * except for MOVUPS/MOVUPD/MOVDQU (SDM vol. 1 §11.6.7). */
#include "isa/x86/vmx.h"
#include "isa/x86/x86_internal.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)
#define EXC_XM 19u
#define MXCSR_FLAGS 0x3fu
#define MXCSR_MASKS 0x1f80u
#define MXCSR_VALID 0xffffu /* MXCSR_MASK reported by FXSAVE: bits 0-15 (with DAZ) */

union v128 {
    uint8_t b[16];
    int8_t sb[16];
    uint16_t w[8];
    int16_t sw[8];
    uint32_t d[4];
    int32_t sd[4];
    uint64_t q[2];
    int64_t sq[2];
};

static void xget(const struct x86_cpu *c, unsigned r, union v128 *v)
{
    memcpy(v, c->xmm[r], 16);
}

static void xput(struct x86_cpu *c, unsigned r, const union v128 *v)
{
    memcpy(c->xmm[r], v, 16);
}

static void ud(struct x86_cpu *c)
{
    x86_raise(c, X86_EXC_UD, false, 0);
}

static int sse_avail(struct x86_cpu *c)
{
    if (!(c->features & X86_FEAT_SSE2) || (c->cr0 & CR0_EM) || !(c->cr4 & CR4_OSFXSR)) {
        ud(c);
        return -1;
    }
    if (c->cr0 & CR0_TS) {
        x86_raise(c, X86_EXC_NM, false, 0);
        return -1;
    }
    return 0;
}

static int mem_la(struct x86_cpu *c, const struct x86_insn *i, unsigned align, uint64_t *la)
{
    x86_ea(c, i, la);
    if (align && (*la & (align - 1))) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return -1;
    }
    return 0;
}

static uint64_t la_next(const struct x86_cpu *c, uint64_t la, unsigned k)
{
    return c->code_bits == 64 ? la + k : (la + k) & 0xffffffffull;
}

static int mem_load(struct x86_cpu *c, uint64_t la, unsigned n, union v128 *v)
{
    memset(v, 0, sizeof(*v));
    if (n <= 8)
        return x86_read(c, la, n, &v->q[0]);
    uint64_t a, b;
    if (x86_read(c, la, 8, &a) || x86_read(c, la_next(c, la, 8), 8, &b))
        return -1;
    v->q[0] = a;
    v->q[1] = b;
    return 0;
}

/* Both halves are translated for write before either is written (no partial store). */
static int mem_store(struct x86_cpu *c, uint64_t la, unsigned n, const union v128 *v)
{
    struct x86_mref m0, m1;
    if (n <= 8) {
        if (x86_mref_get(c, la, n, true, &m0))
            return -1;
        x86_mref_write(c, &m0, v->q[0] & x86_mask(n));
        return 0;
    }
    if (x86_mref_get(c, la, 8, true, &m0) || x86_mref_get(c, la_next(c, la, 8), 8, true, &m1))
        return -1;
    x86_mref_write(c, &m0, v->q[0]);
    x86_mref_write(c, &m1, v->q[1]);
    return 0;
}

/* The xmm/m operand (W): n bytes of memory (align 16 or 0), or the register. */
static int w_get(struct x86_cpu *c, const struct x86_insn *i, unsigned n, unsigned align,
                 union v128 *v)
{
    if (!(i->flags & XI_MEM)) {
        xget(c, i->rm, v);
        return 0;
    }
    uint64_t la;
    if (mem_la(c, i, align, &la))
        return -1;
    return mem_load(c, la, n, v);
}

static int w_put(struct x86_cpu *c, const struct x86_insn *i, unsigned n, unsigned align,
                 const union v128 *v)
{
    if (!(i->flags & XI_MEM)) {
        xput(c, i->rm, v);
        return 0;
    }
    uint64_t la;
    if (mem_la(c, i, align, &la))
        return -1;
    return mem_store(c, la, n, v);
}

/* General-purpose register (or memory) operand of MOVD/MOVQ/CVTSI2Sx/PINSRW. */
static int e_read(struct x86_cpu *c, const struct x86_insn *i, unsigned n, uint64_t *v)
{
    if (!(i->flags & XI_MEM)) {
        *v = c->gpr[i->rm] & x86_mask(n);
        return 0;
    }
    uint64_t la;
    x86_ea(c, i, &la);
    return x86_read(c, la, n, v);
}

/* A 32- or 64-bit general register write (32-bit writes zero-extend, SDM vol. 1 §3.4.1.1). */
static void g_write(struct x86_cpu *c, unsigned r, unsigned n, uint64_t v)
{
    c->gpr[r] = v & x86_mask(n);
}

/* ---- floating point on the host ---- */
#if defined(__x86_64__)
#define HAVE_HOST_SSE 1
typedef double v2df __attribute__((vector_size(16)));

/* The guest MXCSR with every exception masked and no flags: the host computes exactly
 * what the guest would with masked exceptions. */
static uint32_t host_mxcsr(const struct x86_cpu *c)
{
    return (c->mxcsr & ~MXCSR_FLAGS) | MXCSR_MASKS;
}

#define HOST_OP(insn, dv, sv, mx)                                                          \
    do {                                                                                   \
        uint32_t host_ = 0, in_ = (mx), out_ = 0;                                          \
        __asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[i]\n\t" insn " %[s], %[d]\n\t"        \
                         "stmxcsr %[o]\n\tldmxcsr %[h]"                                     \
                         : [d] "+x"(dv), [h] "+m"(host_), [o] "=m"(out_)                    \
                         : [s] "x"(sv), [i] "m"(in_));                                      \
        (mx) = out_;                                                                       \
    } while (0)

/* form: 0 ps, 1 pd, 2 ss, 3 sd. Returns the MXCSR flags raised, or -1 (no such op). */
#define FP4(op, a, b, s, d)                                                                \
    case (op) << 2 | 0: HOST_OP(a, dv, sv, mx); break;                                     \
    case (op) << 2 | 1: HOST_OP(b, dv, sv, mx); break;                                     \
    case (op) << 2 | 2: HOST_OP(s, dv, sv, mx); break;                                     \
    case (op) << 2 | 3: HOST_OP(d, dv, sv, mx); break;
#define FP1(op, form, a) \
    case (op) << 2 | (form): HOST_OP(a, dv, sv, mx); break;
#define CMP8(ins)                                                                          \
    switch (imm & 7) {                                                                     \
    case 0: HOST_OP(ins " $0,", dv, sv, mx); break;                                        \
    case 1: HOST_OP(ins " $1,", dv, sv, mx); break;                                        \
    case 2: HOST_OP(ins " $2,", dv, sv, mx); break;                                        \
    case 3: HOST_OP(ins " $3,", dv, sv, mx); break;                                        \
    case 4: HOST_OP(ins " $4,", dv, sv, mx); break;                                        \
    case 5: HOST_OP(ins " $5,", dv, sv, mx); break;                                        \
    case 6: HOST_OP(ins " $6,", dv, sv, mx); break;                                        \
    default: HOST_OP(ins " $7,", dv, sv, mx); break;                                       \
    }

static int host_fp(const struct x86_cpu *c, unsigned opc, unsigned form, unsigned imm,
                   union v128 *d, const union v128 *s)
{
    v2df dv, sv;
    memcpy(&dv, d, 16);
    memcpy(&sv, s, 16);
    uint32_t mx = host_mxcsr(c);
    switch (opc << 2 | form) {
    FP4(0x51, "sqrtps", "sqrtpd", "sqrtss", "sqrtsd")
    FP4(0x58, "addps", "addpd", "addss", "addsd")
    FP4(0x59, "mulps", "mulpd", "mulss", "mulsd")
    FP4(0x5c, "subps", "subpd", "subss", "subsd")
    FP4(0x5d, "minps", "minpd", "minss", "minsd")
    FP4(0x5e, "divps", "divpd", "divss", "divsd")
    FP4(0x5f, "maxps", "maxpd", "maxss", "maxsd")
    FP4(0x5a, "cvtps2pd", "cvtpd2ps", "cvtss2sd", "cvtsd2ss")
    FP1(0x5b, 0, "cvtdq2ps")
    FP1(0x5b, 1, "cvtps2dq")
    FP1(0x5b, 2, "cvttps2dq")
    FP1(0xe6, 1, "cvttpd2dq")
    FP1(0xe6, 2, "cvtdq2pd")
    FP1(0xe6, 3, "cvtpd2dq")
    case 0xc2 << 2 | 0: CMP8("cmpps") break;
    case 0xc2 << 2 | 1: CMP8("cmppd") break;
    case 0xc2 << 2 | 2: CMP8("cmpss") break;
    case 0xc2 << 2 | 3: CMP8("cmpsd") break;
    default:
        return -1;
    }
    memcpy(d, &dv, 16);
    return (int)(mx & MXCSR_FLAGS);
}
#else
#define HAVE_HOST_SSE 0
static int host_fp(const struct x86_cpu *c, unsigned opc, unsigned form, unsigned imm,
                   union v128 *d, const union v128 *s)
{
    (void)c, (void)opc, (void)form, (void)imm, (void)d, (void)s;
    return -1;
}
#endif

/* Accumulate flags; an unmasked one raises #XM or #UD (SDM vol. 1 §11.5.3). */
static int fp_flags(struct x86_cpu *c, unsigned f)
{
    c->mxcsr |= f & MXCSR_FLAGS;
    if (f & ~(c->mxcsr >> 7) & MXCSR_FLAGS) {
        x86_raise(c, (c->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : X86_EXC_UD, false, 0);
        return -1;
    }
    return 0;
}

static void fp_unavailable(struct x86_cpu *c, const struct x86_insn *i)
{
    x86_undefined(c, &i->opc, 1);
}

/* Memory operand size of a floating-point op: scalar 4/8, m64 for the widening packed
 * conversions, else an aligned m128. */
static unsigned fp_msize(unsigned opc, unsigned form, unsigned *align)
{
    *align = 0;
    if (opc == 0x5a) /* CVTPS2PD m64, CVTPD2PS m128, CVTSS2SD m32, CVTSD2SS m64 */
        return form == 1 ? (*align = 16) : form == 2 ? 4 : 8;
    if (opc == 0xe6) /* CVTTPD2DQ m128, CVTDQ2PD m64, CVTPD2DQ m128 */
        return form == 2 ? 8 : (*align = 16);
    if (opc == 0x5b) /* CVTDQ2PS, CVTPS2DQ, CVTTPS2DQ: m128 */
        return *align = 16;
    if (form == 2)
        return 4;
    if (form == 3)
        return 8;
    return *align = 16;
}

static void fp_arith(struct x86_cpu *c, const struct x86_insn *i, unsigned form)
{
    if (sse_avail(c))
        return;
    unsigned align, n = fp_msize(i->opc, form, &align);
    union v128 d, s;
    if (w_get(c, i, n, align, &s))
        return;
    xget(c, i->reg, &d);
    int f = host_fp(c, i->opc, form, (unsigned)(i->imm & 0xff), &d, &s);
    if (f < 0) {
        fp_unavailable(c, i);
        return;
    }
    if (fp_flags(c, (unsigned)f))
        return;
    xput(c, i->reg, &d);
}

/* (U)COMISS/(U)COMISD: ZF PF CF from the unordered compare, OF SF AF cleared. */
static void fp_comi(struct x86_cpu *c, const struct x86_insn *i, bool dbl)
{
    if (sse_avail(c))
        return;
    union v128 d, s;
    unsigned align = 0;
    if (w_get(c, i, dbl ? 8 : 4, align, &s))
        return;
    xget(c, i->reg, &d);
#if HAVE_HOST_SSE
    v2df dv, sv;
    memcpy(&dv, &d, 16);
    memcpy(&sv, &s, 16);
    uint32_t host = 0, in = host_mxcsr(c), out = 0;
    uint8_t z, p, cf;
#define COMI(ins)                                                                          \
    __asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[i]\n\t" ins " %[s], %[d]\n\t"             \
                     "setz %[z]\n\tsetp %[p]\n\tsetc %[cf]\n\tstmxcsr %[o]\n\tldmxcsr %[h]" \
                     : [h] "+m"(host), [o] "=m"(out), [z] "=&q"(z), [p] "=&q"(p),        \
                       [cf] "=&q"(cf) /* early-clobber: written before the last memory  \
                                         operand (stmxcsr %[o]) is used */              \
                     : [d] "x"(dv), [s] "x"(sv), [i] "m"(in))
    bool u = i->opc == 0x2e;
    if (dbl) {
        if (u)
            COMI("ucomisd");
        else
            COMI("comisd");
    } else {
        if (u)
            COMI("ucomiss");
        else
            COMI("comiss");
    }
#undef COMI
    if (fp_flags(c, out & MXCSR_FLAGS))
        return;
    c->rflags = (c->rflags & ~(uint64_t)X86_STATUS_FLAGS) | (z ? X86_ZF : 0) |
                (p ? X86_PF : 0) | (cf ? X86_CF : 0);
#else
    (void)d;
    fp_unavailable(c, i);
#endif
}

/* CVTSI2SS/SD (opc 2A), CVTTSS2SI/CVTTSD2SI (2C), CVTSS2SI/CVTSD2SI (2D). */
static void fp_cvt_gpr(struct x86_cpu *c, const struct x86_insn *i, bool dbl)
{
    if (sse_avail(c))
        return;
    bool w = i->flags & XI_REXW;
#if HAVE_HOST_SSE
    uint32_t host = 0, in = host_mxcsr(c), out = 0;
    if (i->opc == 0x2a) {
        uint64_t v;
        if (e_read(c, i, w ? 8 : 4, &v))
            return;
        union v128 d;
        xget(c, i->reg, &d);
        v2df dv;
        memcpy(&dv, &d, 16);
        int64_t q = (int64_t)v;
        int32_t l = (int32_t)(uint32_t)v;
#define CVTI(ins, src)                                                                     \
    __asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[i]\n\t" ins " %[s], %[d]\n\t"             \
                     "stmxcsr %[o]\n\tldmxcsr %[h]"                                         \
                     : [d] "+x"(dv), [h] "+m"(host), [o] "=m"(out)                          \
                     : [s] "r"(src), [i] "m"(in))
        if (dbl) {
            if (w)
                CVTI("cvtsi2sdq", q);
            else
                CVTI("cvtsi2sdl", l);
        } else {
            if (w)
                CVTI("cvtsi2ssq", q);
            else
                CVTI("cvtsi2ssl", l);
        }
#undef CVTI
        if (fp_flags(c, out & MXCSR_FLAGS))
            return;
        memcpy(&d, &dv, 16);
        xput(c, i->reg, &d);
        return;
    }
    union v128 s;
    if (w_get(c, i, dbl ? 8 : 4, 0, &s))
        return;
    v2df sv;
    memcpy(&sv, &s, 16);
    int64_t r64 = 0;
    int32_t r32 = 0;
#define CVTO(ins, dst)                                                                     \
    __asm__ volatile("stmxcsr %[h]\n\tldmxcsr %[i]\n\t" ins " %[s], %[d]\n\t"             \
                     "stmxcsr %[o]\n\tldmxcsr %[h]"                                         \
                     : [d] "=&r"(dst), [h] "+m"(host), [o] "=m"(out) /* early-clobber */  \
                     : [s] "x"(sv), [i] "m"(in))
    bool t = i->opc == 0x2c;
    if (dbl) {
        if (t) {
            if (w)
                CVTO("cvttsd2si", r64);
            else
                CVTO("cvttsd2si", r32);
        } else {
            if (w)
                CVTO("cvtsd2si", r64);
            else
                CVTO("cvtsd2si", r32);
        }
    } else {
        if (t) {
            if (w)
                CVTO("cvttss2si", r64);
            else
                CVTO("cvttss2si", r32);
        } else {
            if (w)
                CVTO("cvtss2si", r64);
            else
                CVTO("cvtss2si", r32);
        }
    }
#undef CVTO
    if (fp_flags(c, out & MXCSR_FLAGS))
        return;
    g_write(c, i->reg, w ? 8 : 4, w ? (uint64_t)r64 : (uint32_t)r32);
#else
    (void)w;
    (void)dbl;
    fp_unavailable(c, i);
#endif
}

/* ---- integer SIMD helpers ---- */
static int8_t sat8(int v)
{
    return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}
static uint8_t usat8(int v)
{
    return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v);
}
static int16_t sat16(int32_t v)
{
    return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}
static uint16_t usat16(int32_t v)
{
    return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v);
}

/* Shifts of each element by count (PSLL/PSRL/PSRA, SDM vol. 2): logical shifts by more than
 * the element width give 0, arithmetic ones fill with the sign. kind: 0 srl, 1 sra, 2 sll;
 * esz: element bytes 2, 4, 8. */
static void vshift(union v128 *d, unsigned kind, unsigned esz, uint64_t cnt)
{
    unsigned bits = esz * 8;
    for (unsigned k = 0; k < 16 / esz; k++) {
        if (esz == 2) {
            uint16_t v = d->w[k];
            d->w[k] = kind == 0 ? (cnt >= bits ? 0 : (uint16_t)(v >> cnt))
                      : kind == 2 ? (cnt >= bits ? 0 : (uint16_t)(v << cnt))
                                  : (uint16_t)((int16_t)v >> (cnt >= bits ? bits - 1 : cnt));
        } else if (esz == 4) {
            uint32_t v = d->d[k];
            d->d[k] = kind == 0 ? (cnt >= bits ? 0 : v >> cnt)
                      : kind == 2 ? (cnt >= bits ? 0 : v << cnt)
                                  : (uint32_t)((int32_t)v >> (cnt >= bits ? bits - 1 : cnt));
        } else {
            uint64_t v = d->q[k];
            d->q[k] = kind == 0 ? (cnt >= bits ? 0 : v >> cnt) : (cnt >= bits ? 0 : v << cnt);
        }
    }
}

/* PSRLDQ / PSLLDQ: whole-register byte shifts; counts above 15 clear it. */
static void vbyteshift(union v128 *d, bool left, unsigned n)
{
    union v128 r;
    memset(&r, 0, sizeof(r));
    for (unsigned k = 0; k < 16; k++) {
        if (left && k >= n)
            r.b[k] = d->b[k - n];
        else if (!left && k + n < 16)
            r.b[k] = d->b[k + n];
    }
    *d = r;
}

/* 66 0F xx integer ops on (d, s) -> d. Returns false for an opcode this does not handle. */
static bool int_op(unsigned opc, union v128 *d, const union v128 *s)
{
    union v128 r = *d;
    switch (opc) {
    case 0x60: case 0x68: { /* PUNPCKLBW / PUNPCKHBW */
        unsigned o = opc == 0x68 ? 8 : 0;
        for (unsigned k = 0; k < 8; k++) {
            r.b[2 * k] = d->b[k + o];
            r.b[2 * k + 1] = s->b[k + o];
        }
        break;
    }
    case 0x61: case 0x69: {
        unsigned o = opc == 0x69 ? 4 : 0;
        for (unsigned k = 0; k < 4; k++) {
            r.w[2 * k] = d->w[k + o];
            r.w[2 * k + 1] = s->w[k + o];
        }
        break;
    }
    case 0x62: case 0x6a: {
        unsigned o = opc == 0x6a ? 2 : 0;
        for (unsigned k = 0; k < 2; k++) {
            r.d[2 * k] = d->d[k + o];
            r.d[2 * k + 1] = s->d[k + o];
        }
        break;
    }
    case 0x6c: r.q[0] = d->q[0]; r.q[1] = s->q[0]; break;            /* PUNPCKLQDQ */
    case 0x6d: r.q[0] = d->q[1]; r.q[1] = s->q[1]; break;            /* PUNPCKHQDQ */
    case 0x63: /* PACKSSWB */
        for (unsigned k = 0; k < 8; k++) {
            r.sb[k] = sat8(d->sw[k]);
            r.sb[k + 8] = sat8(s->sw[k]);
        }
        break;
    case 0x67: /* PACKUSWB */
        for (unsigned k = 0; k < 8; k++) {
            r.b[k] = usat8(d->sw[k]);
            r.b[k + 8] = usat8(s->sw[k]);
        }
        break;
    case 0x6b: /* PACKSSDW */
        for (unsigned k = 0; k < 4; k++) {
            r.sw[k] = sat16(d->sd[k]);
            r.sw[k + 4] = sat16(s->sd[k]);
        }
        break;
    case 0x64: for (unsigned k = 0; k < 16; k++) r.b[k] = d->sb[k] > s->sb[k] ? 0xff : 0; break;
    case 0x65: for (unsigned k = 0; k < 8; k++) r.w[k] = d->sw[k] > s->sw[k] ? 0xffff : 0; break;
    case 0x66: for (unsigned k = 0; k < 4; k++) r.d[k] = d->sd[k] > s->sd[k] ? ~0u : 0; break;
    case 0x74: for (unsigned k = 0; k < 16; k++) r.b[k] = d->b[k] == s->b[k] ? 0xff : 0; break;
    case 0x75: for (unsigned k = 0; k < 8; k++) r.w[k] = d->w[k] == s->w[k] ? 0xffff : 0; break;
    case 0x76: for (unsigned k = 0; k < 4; k++) r.d[k] = d->d[k] == s->d[k] ? ~0u : 0; break;
    case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3: {
        unsigned kind = opc >= 0xf0 ? 2 : opc >= 0xe0 ? 1 : 0;
        unsigned esz = (opc & 3) == 1 ? 2 : (opc & 3) == 2 ? 4 : 8;
        vshift(&r, kind, esz, s->q[0]);
        break;
    }
    case 0xd4: for (unsigned k = 0; k < 2; k++) r.q[k] = d->q[k] + s->q[k]; break;
    case 0xfb: for (unsigned k = 0; k < 2; k++) r.q[k] = d->q[k] - s->q[k]; break;
    case 0xfc: for (unsigned k = 0; k < 16; k++) r.b[k] = (uint8_t)(d->b[k] + s->b[k]); break;
    case 0xfd: for (unsigned k = 0; k < 8; k++) r.w[k] = (uint16_t)(d->w[k] + s->w[k]); break;
    case 0xfe: for (unsigned k = 0; k < 4; k++) r.d[k] = d->d[k] + s->d[k]; break;
    case 0xf8: for (unsigned k = 0; k < 16; k++) r.b[k] = (uint8_t)(d->b[k] - s->b[k]); break;
    case 0xf9: for (unsigned k = 0; k < 8; k++) r.w[k] = (uint16_t)(d->w[k] - s->w[k]); break;
    case 0xfa: for (unsigned k = 0; k < 4; k++) r.d[k] = d->d[k] - s->d[k]; break;
    case 0xd8: for (unsigned k = 0; k < 16; k++) r.b[k] = usat8(d->b[k] - s->b[k]); break;
    case 0xd9: for (unsigned k = 0; k < 8; k++) r.w[k] = usat16(d->w[k] - s->w[k]); break;
    case 0xdc: for (unsigned k = 0; k < 16; k++) r.b[k] = usat8(d->b[k] + s->b[k]); break;
    case 0xdd: for (unsigned k = 0; k < 8; k++) r.w[k] = usat16(d->w[k] + s->w[k]); break;
    case 0xe8: for (unsigned k = 0; k < 16; k++) r.sb[k] = sat8(d->sb[k] - s->sb[k]); break;
    case 0xe9: for (unsigned k = 0; k < 8; k++) r.sw[k] = sat16(d->sw[k] - s->sw[k]); break;
    case 0xec: for (unsigned k = 0; k < 16; k++) r.sb[k] = sat8(d->sb[k] + s->sb[k]); break;
    case 0xed: for (unsigned k = 0; k < 8; k++) r.sw[k] = sat16(d->sw[k] + s->sw[k]); break;
    case 0xda: for (unsigned k = 0; k < 16; k++) r.b[k] = d->b[k] < s->b[k] ? d->b[k] : s->b[k]; break;
    case 0xde: for (unsigned k = 0; k < 16; k++) r.b[k] = d->b[k] > s->b[k] ? d->b[k] : s->b[k]; break;
    case 0xea: for (unsigned k = 0; k < 8; k++) r.sw[k] = d->sw[k] < s->sw[k] ? d->sw[k] : s->sw[k]; break;
    case 0xee: for (unsigned k = 0; k < 8; k++) r.sw[k] = d->sw[k] > s->sw[k] ? d->sw[k] : s->sw[k]; break;
    case 0xe0: for (unsigned k = 0; k < 16; k++) r.b[k] = (uint8_t)((d->b[k] + s->b[k] + 1) >> 1); break;
    case 0xe3: for (unsigned k = 0; k < 8; k++) r.w[k] = (uint16_t)((d->w[k] + s->w[k] + 1u) >> 1); break;
    case 0xd5: /* PMULLW */
        for (unsigned k = 0; k < 8; k++)
            r.w[k] = (uint16_t)((int32_t)d->sw[k] * s->sw[k]);
        break;
    case 0xe5: /* PMULHW */
        for (unsigned k = 0; k < 8; k++)
            r.w[k] = (uint16_t)(((int32_t)d->sw[k] * s->sw[k]) >> 16);
        break;
    case 0xe4: /* PMULHUW */
        for (unsigned k = 0; k < 8; k++)
            r.w[k] = (uint16_t)(((uint32_t)d->w[k] * s->w[k]) >> 16);
        break;
    case 0xf4: /* PMULUDQ */
        r.q[0] = (uint64_t)d->d[0] * s->d[0];
        r.q[1] = (uint64_t)d->d[2] * s->d[2];
        break;
    case 0xf5: /* PMADDWD: the 0x8000 * 0x8000 * 2 case wraps to 0x80000000 */
        for (unsigned k = 0; k < 4; k++)
            r.d[k] = (uint32_t)((int32_t)d->sw[2 * k] * s->sw[2 * k]) +
                     (uint32_t)((int32_t)d->sw[2 * k + 1] * s->sw[2 * k + 1]);
        break;
    case 0xf6: /* PSADBW */
        for (unsigned h = 0; h < 2; h++) {
            unsigned sum = 0;
            for (unsigned k = 0; k < 8; k++) {
                int df = (int)d->b[8 * h + k] - (int)s->b[8 * h + k];
                sum += (unsigned)(df < 0 ? -df : df);
            }
            r.q[h] = sum;
        }
        break;
    case 0xdb: case 0x54: r.q[0] = d->q[0] & s->q[0]; r.q[1] = d->q[1] & s->q[1]; break;
    case 0xdf: case 0x55: r.q[0] = ~d->q[0] & s->q[0]; r.q[1] = ~d->q[1] & s->q[1]; break;
    case 0xeb: case 0x56: r.q[0] = d->q[0] | s->q[0]; r.q[1] = d->q[1] | s->q[1]; break;
    case 0xef: case 0x57: r.q[0] = d->q[0] ^ s->q[0]; r.q[1] = d->q[1] ^ s->q[1]; break;
    default:
        return false;
    }
    *d = r;
    return true;
}

/* ---- moves shared by the prefix handlers ---- */
/* Full-register load (V <- W) or store (W <- V), n = 16. */
static void mov_full(struct x86_cpu *c, const struct x86_insn *i, bool store, unsigned align)
{
    union v128 v;
    if (store) {
        xget(c, i->reg, &v);
        w_put(c, i, 16, align, &v);
    } else if (w_get(c, i, 16, align, &v) == 0) {
        xput(c, i->reg, &v);
    }
}

/* MOVSS/MOVSD (n = 4/8): a load from memory zeroes the rest; register moves merge. */
static void mov_scalar(struct x86_cpu *c, const struct x86_insn *i, bool store, unsigned n)
{
    union v128 d, s;
    if (store) {
        xget(c, i->reg, &s);
        if (i->flags & XI_MEM) {
            uint64_t la;
            x86_ea(c, i, &la);
            mem_store(c, la, n, &s);
            return;
        }
        xget(c, i->rm, &d);
        memcpy(&d, &s, n);
        xput(c, i->rm, &d);
        return;
    }
    if (w_get(c, i, n, 0, &s))
        return;
    if (i->flags & XI_MEM) {
        xput(c, i->reg, &s);
        return;
    }
    xget(c, i->reg, &d);
    memcpy(&d, &s, n);
    xput(c, i->reg, &d);
}

/* MOVLPS/MOVHPS/MOVLPD/MOVHPD loads and stores (half = 0 low, 1 high quadword),
 * MOVHLPS/MOVLHPS register forms. */
static void mov_half(struct x86_cpu *c, const struct x86_insn *i, unsigned half, bool store,
                     bool reg_ok)
{
    union v128 d, s;
    uint64_t la;
    if (store) {
        if (!(i->flags & XI_MEM)) {
            ud(c);
            return;
        }
        xget(c, i->reg, &s);
        s.q[0] = s.q[half];
        x86_ea(c, i, &la);
        mem_store(c, la, 8, &s);
        return;
    }
    xget(c, i->reg, &d);
    if (!(i->flags & XI_MEM)) {
        if (!reg_ok) {
            ud(c);
            return;
        }
        xget(c, i->rm, &s);
        d.q[half] = s.q[half ^ 1]; /* MOVHLPS: low <- high; MOVLHPS: high <- low */
        xput(c, i->reg, &d);
        return;
    }
    x86_ea(c, i, &la);
    if (mem_load(c, la, 8, &s))
        return;
    d.q[half] = s.q[0];
    xput(c, i->reg, &d);
}

static void movmsk(struct x86_cpu *c, const struct x86_insn *i, unsigned esz)
{
    if (i->flags & XI_MEM) {
        ud(c);
        return;
    }
    union v128 s;
    xget(c, i->rm, &s);
    uint64_t m = 0;
    for (unsigned k = 0; k < 16 / esz; k++)
        m |= (uint64_t)(s.b[k * esz + esz - 1] >> 7) << k;
    c->gpr[i->reg] = m; /* zero-extended (SDM vol. 2 MOVMSKPS, PMOVMSKB) */
}

static void shuf_unpck(struct x86_cpu *c, const struct x86_insn *i, bool pd)
{
    union v128 d, s, r;
    if (w_get(c, i, 16, 16, &s))
        return;
    xget(c, i->reg, &d);
    unsigned imm = (unsigned)(i->imm & 0xff);
    switch (i->opc) {
    case 0x14: /* UNPCKLPS / UNPCKLPD */
        if (pd) {
            r.q[0] = d.q[0], r.q[1] = s.q[0];
        } else {
            r.d[0] = d.d[0], r.d[1] = s.d[0], r.d[2] = d.d[1], r.d[3] = s.d[1];
        }
        break;
    case 0x15:
        if (pd) {
            r.q[0] = d.q[1], r.q[1] = s.q[1];
        } else {
            r.d[0] = d.d[2], r.d[1] = s.d[2], r.d[2] = d.d[3], r.d[3] = s.d[3];
        }
        break;
    default: /* 0xc6 SHUFPS / SHUFPD */
        if (pd) {
            r.q[0] = d.q[imm & 1], r.q[1] = s.q[(imm >> 1) & 1];
        } else {
            r.d[0] = d.d[imm & 3], r.d[1] = d.d[(imm >> 2) & 3];
            r.d[2] = s.d[(imm >> 4) & 3], r.d[3] = s.d[(imm >> 6) & 3];
        }
        break;
    }
    xput(c, i->reg, &r);
}

static void logic_or_int(struct x86_cpu *c, const struct x86_insn *i)
{
    union v128 d, s;
    if (w_get(c, i, 16, 16, &s))
        return;
    xget(c, i->reg, &d);
    if (!int_op(i->opc, &d, &s)) {
        x86_undefined(c, &i->opc, 1);
        return;
    }
    xput(c, i->reg, &d);
}

/* ---- handlers, one per mandatory prefix (NP / 66 / F3 / F2) ---- */
void x86_h_sse_np(struct x86_cpu *c, const struct x86_insn *i)
{
    if (i->opc == 0xc3) { /* MOVNTI My, Gy: a general-register store (no SSE state) */
        uint64_t la;
        x86_ea(c, i, &la);
        unsigned n = (i->flags & XI_REXW) ? 8 : 4;
        x86_write(c, la, n, c->gpr[i->reg] & x86_mask(n));
        return;
    }
    if (sse_avail(c))
        return;
    switch (i->opc) {
    case 0x10: mov_full(c, i, false, 0); break;                 /* MOVUPS */
    case 0x11: mov_full(c, i, true, 0); break;
    case 0x28: mov_full(c, i, false, 16); break;                /* MOVAPS */
    case 0x29: case 0x2b: mov_full(c, i, true, 16); break;      /* MOVAPS, MOVNTPS */
    case 0x12: mov_half(c, i, 0, false, true); break;           /* MOVLPS / MOVHLPS */
    case 0x13: mov_half(c, i, 0, true, false); break;
    case 0x16: mov_half(c, i, 1, false, true); break;           /* MOVHPS / MOVLHPS */
    case 0x17: mov_half(c, i, 1, true, false); break;
    case 0x14: case 0x15: case 0xc6: shuf_unpck(c, i, false); break;
    case 0x50: movmsk(c, i, 4); break;
    case 0x2e: case 0x2f: fp_comi(c, i, false); break;
    case 0x54: case 0x55: case 0x56: case 0x57: logic_or_int(c, i); break;
    default: fp_arith(c, i, 0); break;
    }
}

/* PSHUFD / PSHUFHW / PSHUFLW (kind 0/1/2). */
static void pshuf(struct x86_cpu *c, const struct x86_insn *i, unsigned kind)
{
    union v128 s, r;
    if (w_get(c, i, 16, 16, &s))
        return;
    unsigned imm = (unsigned)(i->imm & 0xff);
    r = s;
    for (unsigned k = 0; k < 4; k++) {
        unsigned sel = (imm >> (2 * k)) & 3;
        if (kind == 0)
            r.d[k] = s.d[sel];
        else if (kind == 1)
            r.w[4 + k] = s.w[4 + sel];
        else
            r.w[k] = s.w[sel];
    }
    xput(c, i->reg, &r);
}

void x86_h_sse_66(struct x86_cpu *c, const struct x86_insn *i)
{
    if (sse_avail(c))
        return;
    union v128 v;
    uint64_t g;
    bool w = i->flags & XI_REXW;
    switch (i->opc) {
    case 0x10: mov_full(c, i, false, 0); break;                 /* MOVUPD */
    case 0x11: mov_full(c, i, true, 0); break;
    case 0x28: case 0x6f: mov_full(c, i, false, 16); break;     /* MOVAPD, MOVDQA */
    case 0x29: case 0x2b: case 0x7f: case 0xe7:                 /* MOVAPD, MOVNTPD, MOVDQA, MOVNTDQ */
        mov_full(c, i, true, 16);
        break;
    case 0x12: mov_half(c, i, 0, false, false); break;          /* MOVLPD */
    case 0x13: mov_half(c, i, 0, true, false); break;
    case 0x16: mov_half(c, i, 1, false, false); break;          /* MOVHPD */
    case 0x17: mov_half(c, i, 1, true, false); break;
    case 0x14: case 0x15: case 0xc6: shuf_unpck(c, i, true); break;
    case 0x50: movmsk(c, i, 8); break;
    case 0xd7: movmsk(c, i, 1); break;                          /* PMOVMSKB */
    case 0x2e: case 0x2f: fp_comi(c, i, true); break;
    case 0x70: pshuf(c, i, 0); break;
    case 0x6e: /* MOVD/MOVQ xmm, r/m32/64: zero-extended into the register */
        if (e_read(c, i, w ? 8 : 4, &g))
            return;
        memset(&v, 0, sizeof(v));
        v.q[0] = g;
        xput(c, i->reg, &v);
        break;
    case 0x7e: /* MOVD/MOVQ r/m32/64, xmm */
        xget(c, i->reg, &v);
        if (i->flags & XI_MEM) {
            uint64_t la;
            x86_ea(c, i, &la);
            x86_write(c, la, w ? 8 : 4, v.q[0] & x86_mask(w ? 8 : 4));
        } else {
            g_write(c, i->rm, w ? 8 : 4, v.q[0]);
        }
        break;
    case 0xd6: /* MOVQ xmm/m64, xmm: a register destination has its high quadword zeroed */
        xget(c, i->reg, &v);
        v.q[1] = 0;
        w_put(c, i, 8, 0, &v);
        break;
    case 0xc4: { /* PINSRW xmm, r32/m16, imm8 */
        if (e_read(c, i, 2, &g))
            return;
        xget(c, i->reg, &v);
        v.w[i->imm & 7] = (uint16_t)g;
        xput(c, i->reg, &v);
        break;
    }
    case 0xc5: /* PEXTRW r32, xmm, imm8 (register source only) */
        if (i->flags & XI_MEM) {
            ud(c);
            return;
        }
        xget(c, i->rm, &v);
        c->gpr[i->reg] = v.w[i->imm & 7];
        break;
    case 0xf7: { /* MASKMOVDQU xmm, xmm: byte stores to DS:rDI under the mask's sign bits */
        if (i->flags & XI_MEM) {
            ud(c);
            return;
        }
        union v128 m;
        xget(c, i->reg, &v);
        xget(c, i->rm, &m);
        uint64_t base = c->gpr[X86_RDI] & x86_mask(i->asz);
        if (i->seg == 4)
            base += c->fs_base;
        else if (i->seg == 5)
            base += c->gs_base;
        struct x86_mref r[16];
        for (unsigned k = 0; k < 16; k++) /* translate every selected byte first */
            if ((m.b[k] & 0x80) && x86_mref_get(c, la_next(c, base, k), 1, true, &r[k]))
                return;
        for (unsigned k = 0; k < 16; k++)
            if (m.b[k] & 0x80)
                x86_mref_write(c, &r[k], v.b[k]);
        break;
    }
    case 0x51: case 0x58: case 0x59: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
    case 0x5a: case 0x5b: case 0xc2: case 0xe6:
        fp_arith(c, i, 1);
        break;
    default:
        logic_or_int(c, i);
        break;
    }
}

void x86_h_sse_f3(struct x86_cpu *c, const struct x86_insn *i)
{
    if (sse_avail(c))
        return;
    union v128 v;
    switch (i->opc) {
    case 0x10: mov_scalar(c, i, false, 4); break;               /* MOVSS */
    case 0x11: mov_scalar(c, i, true, 4); break;
    case 0x6f: mov_full(c, i, false, 0); break;                 /* MOVDQU */
    case 0x7f: mov_full(c, i, true, 0); break;
    case 0x70: pshuf(c, i, 1); break;                           /* PSHUFHW */
    case 0x7e: /* MOVQ xmm, xmm/m64: high quadword zeroed */
        if (w_get(c, i, 8, 0, &v))
            return;
        v.q[1] = 0;
        xput(c, i->reg, &v);
        break;
    case 0x2a: case 0x2c: case 0x2d: fp_cvt_gpr(c, i, false); break;
    default: fp_arith(c, i, 2); break;
    }
}

void x86_h_sse_f2(struct x86_cpu *c, const struct x86_insn *i)
{
    if (sse_avail(c))
        return;
    switch (i->opc) {
    case 0x10: mov_scalar(c, i, false, 8); break;               /* MOVSD */
    case 0x11: mov_scalar(c, i, true, 8); break;
    case 0x70: pshuf(c, i, 2); break;                           /* PSHUFLW */
    case 0x2a: case 0x2c: case 0x2d: fp_cvt_gpr(c, i, true); break;
    default: fp_arith(c, i, 3); break;
    }
}

/* 66 0F 71/72/73 /n ib: shifts by an immediate (register forms only). */
void x86_h_sse_shimm(struct x86_cpu *c, const struct x86_insn *i)
{
    if (sse_avail(c))
        return;
    if (i->flags & XI_MEM) {
        ud(c);
        return;
    }
    union v128 v;
    xget(c, i->rm, &v);
    unsigned n = (unsigned)(i->imm & 0xff), g = i->modreg;
    unsigned esz = i->opc == 0x71 ? 2 : i->opc == 0x72 ? 4 : 8;
    if (i->opc == 0x73 && (g == 3 || g == 7))
        vbyteshift(&v, g == 7, n > 16 ? 16 : n);              /* PSRLDQ / PSLLDQ */
    else
        vshift(&v, g == 2 ? 0 : g == 4 ? 1 : 2, esz, n);
    xput(c, i->rm, &v);
}

/* ---- MXCSR, FXSAVE/FXRSTOR, XSAVE/XRSTOR ---- */
/* A value with reserved bits set: #GP(0) (SDM vol. 2 LDMXCSR, FXRSTOR, XRSTOR). */
static int mxcsr_load(struct x86_cpu *c, uint32_t v)
{
    if (v & ~MXCSR_VALID) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return -1;
    }
    c->mxcsr = v;
    return 0;
}

/* The legacy FXSAVE region (SDM vol. 2 FXSAVE Table 3-53, 64-bit format with REX.W, the
 * 32-bit one otherwise; x87 FIP/FDP/FOP are 0 as no x87 instruction has run): 512 bytes. */
static int fx_save(struct x86_cpu *c, uint64_t la, bool x87, bool sse)
{
    uint8_t img[512];
    memset(img, 0, sizeof(img));
    if (x87) {
        memcpy(img + 0, &c->fpu_fcw, 2);
        memcpy(img + 2, &c->fpu_fsw, 2);
        img[4] = c->fpu_ftw;
    }
    if (sse || x87) { /* MXCSR and MXCSR_MASK are saved with either component by FXSAVE */
        memcpy(img + 24, &c->mxcsr, 4);
        uint32_t mm = MXCSR_VALID;
        memcpy(img + 28, &mm, 4);
    }
    if (sse)
        memcpy(img + 160, c->xmm, 256);
    /* Translate every quadword for write before storing any (no partial state). */
    struct x86_mref r[64];
    unsigned lo = x87 ? 0 : 3, hi = sse ? 52 : 20; /* quadwords 0..19 legacy, 20..51 xmm */
    if (!x87 && sse)
        lo = 3; /* XSAVE of SSE only: MXCSR (bytes 24-31) and XMM */
    for (unsigned k = lo; k < hi; k++) {
        if (!x87 && k > 3 && k < 20)
            continue;
        if (x86_mref_get(c, la_next(c, la, 8 * k), 8, true, &r[k]))
            return -1;
    }
    for (unsigned k = lo; k < hi; k++) {
        if (!x87 && k > 3 && k < 20)
            continue;
        uint64_t q;
        memcpy(&q, img + 8 * k, 8);
        if (k >= 4 && k < 20 && (k & 1)) {
            /* ST/MM slot bytes 10-15 are reserved: only bytes 8-9 are stored. The qword is
             * 8-aligned in a 16-aligned area, so it lies in one page. */
            struct x86_mref h2 = r[k];
            h2.size = h2.n0 = 2;
            x86_mref_write(c, &h2, q & 0xffff);
            continue;
        }
        x86_mref_write(c, &r[k], q);
    }
    return 0;
}

static int fx_restore(struct x86_cpu *c, uint64_t la, bool x87, bool sse, bool x87_init,
                      bool sse_init)
{
    uint8_t img[512];
    memset(img, 0, sizeof(img));
    for (unsigned k = 0; k < 52; k++) {
        uint64_t q = 0;
        bool need = (k < 4) || (x87 && k < 20) || (sse && k >= 20);
        if (need && x86_read(c, la_next(c, la, 8 * k), 8, &q))
            return -1;
        memcpy(img + 8 * k, &q, 8);
    }
    uint32_t mx;
    memcpy(&mx, img + 24, 4);
    if ((x87 || sse) && (mx & ~MXCSR_VALID)) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return -1;
    }
    if (x87) {
        memcpy(&c->fpu_fcw, img, 2);
        memcpy(&c->fpu_fsw, img + 2, 2);
        c->fpu_ftw = img[4];
    } else if (x87_init) {
        c->fpu_fcw = 0x37f, c->fpu_fsw = 0, c->fpu_ftw = 0;
    }
    if (x87 || sse)
        c->mxcsr = mx;
    if (sse)
        memcpy(c->xmm, img + 160, 256);
    else if (sse_init)
        memset(c->xmm, 0, sizeof(c->xmm));
    return 0;
}

static uint64_t xcr0(const struct x86_cpu *c)
{
    return c->xcr0 | 1;
}

static bool xsave_usable(struct x86_cpu *c)
{
    if (!(c->features & X86_FEAT_XSAVE) || !(c->cr4 & CR4_OSXSAVE)) {
        ud(c);
        return false;
    }
    return true;
}

/* 0F AE: /0 FXSAVE, /1 FXRSTOR, /2 LDMXCSR, /3 STMXCSR, /4 XSAVE, /5 XRSTOR (memory);
 * /5 LFENCE, /6 MFENCE, /7 SFENCE (register forms: ordering only, no state in this
 * in-order model). */
void x86_h_sse_ae(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!(i->flags & XI_MEM)) {
        /* The fences are NP: a 66/F2/F3 prefix raises #UD (SDM vol. 2 §3.1.1.1 "NP"). */
        if (i->modreg < 5 || i->osz == 2 || i->rep)
            ud(c);
        return;
    }
    uint64_t la;
    x86_ea(c, i, &la);
    switch (i->modreg) {
    case 0: case 1: /* FXSAVE/FXRSTOR: #NM on CR0.TS or CR0.EM, #GP unless 16-byte aligned */
        if (c->cr0 & (CR0_TS | CR0_EM)) {
            x86_raise(c, X86_EXC_NM, false, 0);
            return;
        }
        if (la & 15) {
            x86_raise(c, X86_EXC_GP, true, 0);
            return;
        }
        /* With CR4.OSFXSR = 0 the XMM registers and MXCSR may not be saved (SDM vol. 2
         * FXSAVE): this model saves them regardless. */
        if (i->modreg == 0)
            fx_save(c, la, true, true);
        else
            fx_restore(c, la, true, true, false, false);
        return;
    case 2: case 3: {
        if (sse_avail(c))
            return;
        if (i->modreg == 3) {
            x86_write(c, la, 4, c->mxcsr);
            return;
        }
        uint64_t v;
        if (x86_read(c, la, 4, &v) == 0)
            mxcsr_load(c, (uint32_t)v);
        return;
    }
    case 4: case 5: { /* XSAVE / XRSTOR, standard format, components x87 (0) and SSE (1) */
        if (!xsave_usable(c))
            return;
        if (c->cr0 & CR0_TS) {
            x86_raise(c, X86_EXC_NM, false, 0);
            return;
        }
        if (la & 63) {
            x86_raise(c, X86_EXC_GP, true, 0);
            return;
        }
        uint64_t rfbm = ((c->gpr[X86_RDX] << 32) | (c->gpr[X86_RAX] & 0xffffffffull)) & xcr0(c);
        uint64_t hdr = la_next(c, la, 512); /* XSAVE header: XSTATE_BV at +0, XCOMP_BV +8 */
        if (i->modreg == 4) {
            uint64_t bv;
            if (x86_read(c, hdr, 8, &bv))
                return;
            struct x86_mref hm;
            if (x86_mref_get(c, hdr, 8, true, &hm))
                return;
            if (fx_save(c, la, rfbm & 1, rfbm & 2))
                return;
            x86_mref_write(c, &hm, (bv & ~rfbm) | (rfbm & 3));
            return;
        }
        uint64_t bv, comp;
        if (x86_read(c, hdr, 8, &bv) || x86_read(c, la_next(c, hdr, 8), 8, &comp))
            return;
        if ((comp >> 63) || (bv & ~xcr0(c))) { /* compacted form / reserved bits: #GP */
            x86_raise(c, X86_EXC_GP, true, 0);
            return;
        }
        /* Components in RFBM but clear in XSTATE_BV are set to their initial state. */
        fx_restore(c, la, (rfbm & bv) & 1, (rfbm & bv) & 2, rfbm & ~bv & 1, rfbm & ~bv & 2);
        if ((rfbm & 2) && !(bv & 2) && !(bv & 1)) {
            /* MXCSR is loaded from memory whenever RFBM[1] is set (SDM vol. 1 §13.8.1) */
            uint64_t mx;
            if (x86_read(c, la_next(c, la, 24), 4, &mx) == 0)
                mxcsr_load(c, (uint32_t)mx);
        }
        return;
    }
    default:
        ud(c); /* XSAVEOPT / CLFLUSH are not modelled here */
        return;
    }
}

/* 0F 01 D0 XGETBV, 0F 01 D1 XSETBV (SDM vol. 2): ECX selects XCR0. */
void x86_h_xcr(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!xsave_usable(c))
        return;
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* XSETBV always exits in VMX non-root operation */
    if ((uint32_t)c->gpr[X86_RCX] != 0) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return;
    }
    if (i->rm == 0) { /* D0: XGETBV */
        c->gpr[X86_RAX] = xcr0(c) & 0xffffffffull;
        c->gpr[X86_RDX] = xcr0(c) >> 32;
        return;
    }
    /* D1: XSETBV at CPL 0; only x87 (must be 1) and SSE are supported. */
    uint64_t v = (c->gpr[X86_RDX] << 32) | (c->gpr[X86_RAX] & 0xffffffffull);
    if (c->cpl != 0 || !(v & 1) || (v & ~3ull)) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return;
    }
    c->xcr0 = v;
}

/* x87 control instructions kept as state (no x87 arithmetic is modelled): FNINIT (DB E3),
 * FLDCW m16 (D9 /5), FNSTCW m16 (D9 /7), FNSTSW m16 (DD /7), FNSTSW AX (DF E0), FWAIT (9B).
 * CR0.EM or CR0.TS -> #NM (SDM vol. 2 FINIT). */
void x86_h_x87ctl(struct x86_cpu *c, const struct x86_insn *i)
{
    /* FWAIT: #NM only when CR0.MP and CR0.TS are both set (SDM vol. 2 WAIT/FWAIT) */
    if (i->opc == 0x9b ? (c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)
                       : (c->cr0 & (CR0_EM | CR0_TS)) != 0) {
        x86_raise(c, X86_EXC_NM, false, 0);
        return;
    }
    uint64_t la, v;
    switch (i->opc) {
    case 0x9b: /* FWAIT: no x87 exception can be pending in this model */
        return;
    case 0xdb: /* FNINIT */
        c->fpu_fcw = 0x37f;
        c->fpu_fsw = 0;
        c->fpu_ftw = 0;
        return;
    case 0xdf: /* FNSTSW AX */
        c->gpr[X86_RAX] = (c->gpr[X86_RAX] & ~0xffffull) | c->fpu_fsw;
        return;
    case 0xdd:
        x86_ea(c, i, &la);
        x86_write(c, la, 2, c->fpu_fsw);
        return;
    default: /* 0xd9 */
        x86_ea(c, i, &la);
        if (i->modreg == 7) {
            x86_write(c, la, 2, c->fpu_fcw);
        } else if (x86_read(c, la, 2, &v) == 0) {
            c->fpu_fcw = (uint16_t)(v | 0x40); /* bit 6 reads as 1 */
        }
        return;
    }
}
