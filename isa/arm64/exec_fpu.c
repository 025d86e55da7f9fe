/* isa/arm64/exec_fpu.c - scalar floating point, single and double precision (ARM DDI0487
 * C7.2 FADD ... FRINTX, pseudocode in shared/functions/float: FPUnpack, FPProcessNaNs,
 * FPRound, FPToFixed, FixedToFP, FPRoundInt, FPCompare, FPMax/FPMin/FPMaxNum/FPMinNum).
 *
 * Arithmetic runs on the host's IEEE 754 unit under the FPCR rounding mode (fesetround)
 * and reads its exception flags (fetestexcept); what the host does differently from the
 * Arm pseudocode is done in software here:
 *  - NaN propagation (FPProcessNaNs: signalling NaNs of operand order first, then quiet
 *    NaNs; FPCR.DN selects the default NaN 0x7fc00000 / 0x7ff8000000000000),
 *  - flush-to-zero (FPCR.FZ: denormal inputs become zero and set IDC; a result that is
 *    tiny before rounding becomes zero and sets UFC but not IXC, FPRoundBase),
 *  - underflow detection before rounding (FPRoundBase sets UFC when the unrounded result
 *    is below the normal range and inexact; x86 detects tininess after rounding),
 *  - conversions to integers and round-to-integral are done in software.
 * Conversions to and from half precision (FCVT, FCVTL, FCVTN) and the round-to-odd
 * FCVTXN are base Armv8.0 and done fully in software (fp_unpack_n / fp_round_n follow
 * FPUnpackCV and FPRoundBase bit by bit, incl. FPCR.AHP); half-precision arithmetic
 * (type = 11) is FEAT_FP16, which no model advertises, and decodes as UNDEFINED.
 * The reciprocal (square root) estimates follow RecipEstimate / RecipSqrtEstimate. */
#include <fenv.h>
#include <math.h>

#include "isa/arm64/a64_internal.h"

#define FPSR_IOC 0x01u
#define FPSR_DZC 0x02u
#define FPSR_OFC 0x04u
#define FPSR_UFC 0x08u
#define FPSR_IXC 0x10u
#define FPSR_IDC 0x80u
#define FPCR_FZ (1u << 24)
#define FPCR_DN (1u << 25)
#define FPCR_AHP (1u << 26)

/* FPRounding modes: FPCR.RMode values 0..3 plus ties-away (FRINTA, FCVTA*). */
enum { RM_N = 0, RM_P = 1, RM_M = 2, RM_Z = 3, RM_A = 4, RM_ODD = 5 };

/* ---- bit-level views of single (dp = false) and double (dp = true) values ---- */
static inline uint64_t sign_bit(bool dp) { return dp ? 1ull << 63 : 1ull << 31; }
static inline uint64_t exp_mask(bool dp) { return dp ? 0x7ff0000000000000ull : 0x7f800000ull; }
static inline uint64_t frac_mask(bool dp) { return dp ? 0x000fffffffffffffull : 0x007fffffull; }
static inline uint64_t quiet_bit(bool dp) { return dp ? 1ull << 51 : 1ull << 22; }
static inline uint64_t min_normal(bool dp) { return dp ? 1ull << 52 : 1ull << 23; }
static inline uint64_t default_nan(bool dp) { return dp ? 0x7ff8000000000000ull : 0x7fc00000ull; }
static inline uint64_t fabs_bits(uint64_t x, bool dp) { return x & ~sign_bit(dp); }
static inline bool is_nan(uint64_t x, bool dp)
{
    return (x & exp_mask(dp)) == exp_mask(dp) && (x & frac_mask(dp));
}
static inline bool is_snan(uint64_t x, bool dp) { return is_nan(x, dp) && !(x & quiet_bit(dp)); }
static inline bool is_qnan(uint64_t x, bool dp) { return is_nan(x, dp) && (x & quiet_bit(dp)); }
static inline bool is_inf(uint64_t x, bool dp) { return fabs_bits(x, dp) == exp_mask(dp); }
static inline bool is_zero(uint64_t x, bool dp) { return fabs_bits(x, dp) == 0; }

static inline double to_double(uint64_t x, bool dp)
{
    if (dp) {
        double d;
        memcpy(&d, &x, 8);
        return d;
    }
    uint32_t w = (uint32_t)x;
    float f;
    memcpy(&f, &w, 4);
    return f;
}

/* Exact conversion back (v must be representable in the format). */
static inline uint64_t from_double(double v, bool dp)
{
    if (dp) {
        uint64_t x;
        memcpy(&x, &v, 8);
        return x;
    }
    float f = (float)v;
    uint32_t w;
    memcpy(&w, &f, 4);
    return w;
}

static inline uint64_t freg(const struct a64_cpu *c, unsigned r, bool dp)
{
    return dp ? c->v[r][0] : c->v[r][0] & 0xffffffffull;
}

static inline void fset(struct a64_cpu *c, unsigned r, uint64_t v)
{
    c->v[r][0] = v;
    c->v[r][1] = 0;
}

/* FPUnpack with FPCR.FZ: a denormal input is replaced by a zero of its sign (IDC). */
static uint64_t flush_in(struct a64_cpu *c, uint64_t x, bool dp)
{
    if ((c->fpcr & FPCR_FZ) && !(x & exp_mask(dp)) && (x & frac_mask(dp))) {
        c->fpsr |= FPSR_IDC;
        return x & sign_bit(dp);
    }
    return x;
}

/* FPProcessNaN: the quieted NaN, or the default NaN with FPCR.DN. */
static uint64_t process_nan(struct a64_cpu *c, uint64_t x, bool dp)
{
    if (is_snan(x, dp))
        c->fpsr |= FPSR_IOC;
    return (c->fpcr & FPCR_DN) ? default_nan(dp) : x | quiet_bit(dp);
}

/* FPProcessNaNs / FPProcessNaNs3: signalling NaNs in operand order, then quiet ones. */
static bool process_nans(struct a64_cpu *c, const uint64_t *ops, unsigned n, bool dp, uint64_t *r)
{
    for (unsigned i = 0; i < n; i++)
        if (is_snan(ops[i], dp)) {
            *r = process_nan(c, ops[i], dp);
            return true;
        }
    for (unsigned i = 0; i < n; i++)
        if (is_qnan(ops[i], dp)) {
            *r = process_nan(c, ops[i], dp);
            return true;
        }
    return false;
}

/* ---- host arithmetic under a rounding mode ---- */
enum host_op { H_ADD, H_SUB, H_MUL, H_DIV, H_SQRT, H_FMA, H_CVT_DS, H_SCVTF, H_UCVTF };

static const int host_rmode[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

/* Computes op on a, b, acc (bit patterns; for H_CVT_DS a is a double and the result a
 * single; for H_[SU]CVTF a is a 64-bit integer) and returns the FPSR flags it raised. */
static uint64_t host_calc(enum host_op op, bool dp, uint64_t a, uint64_t b, uint64_t acc,
                          unsigned rm, unsigned *flags)
{
#ifdef __clang__
    /* clang otherwise assumes the FP environment is not observed and may, e.g., evaluate
     * both arms of a conditional conversion (raising the other arm's flags). gcc keeps
     * trapping FP operations in place by default (-ftrapping-math). */
#pragma STDC FENV_ACCESS ON
#endif
    uint64_t res;
    if (rm)
        fesetround(host_rmode[rm]);
    feclearexcept(FE_ALL_EXCEPT);
    if (op == H_SCVTF || op == H_UCVTF) {
        volatile uint64_t vi = a;
        if (dp) {
            volatile double r = op == H_SCVTF ? (double)(int64_t)vi : (double)vi;
            double t = r;
            memcpy(&res, &t, 8);
        } else {
            volatile float r = op == H_SCVTF ? (float)(int64_t)vi : (float)vi;
            float t = r;
            uint32_t w;
            memcpy(&w, &t, 4);
            res = w;
        }
    } else if (dp || op == H_CVT_DS) {
        volatile double x = to_double(a, true), y = to_double(b, true), z = to_double(acc, true);
        if (op == H_CVT_DS) {
            volatile float r = (float)x;
            float t = r;
            uint32_t w;
            memcpy(&w, &t, 4);
            res = w;
        } else {
            volatile double r;
            switch (op) {
            case H_ADD: r = x + y; break;
            case H_SUB: r = x - y; break;
            case H_MUL: r = x * y; break;
            case H_DIV: r = x / y; break;
            case H_SQRT: r = sqrt(x); break;
            default: r = fma(x, y, z); break;
            }
            double t = r;
            memcpy(&res, &t, 8);
        }
    } else {
        volatile float x = (float)to_double(a, false), y = (float)to_double(b, false);
        volatile float z = (float)to_double(acc, false), r;
        switch (op) {
        case H_ADD: r = x + y; break;
        case H_SUB: r = x - y; break;
        case H_MUL: r = x * y; break;
        case H_DIV: r = x / y; break;
        case H_SQRT: r = sqrtf(x); break;
        default: r = fmaf(x, y, z); break;
        }
        float t = r;
        uint32_t w;
        memcpy(&w, &t, 4);
        res = w;
    }
    int e = fetestexcept(FE_ALL_EXCEPT);
    if (rm)
        fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);
    *flags = (e & FE_INVALID ? FPSR_IOC : 0) | (e & FE_DIVBYZERO ? FPSR_DZC : 0) |
             (e & FE_OVERFLOW ? FPSR_OFC : 0) | (e & FE_UNDERFLOW ? FPSR_UFC : 0) |
             (e & FE_INEXACT ? FPSR_IXC : 0);
    return res;
}

/* An operation followed by FPRound (FPRoundBase): invalid results become the default NaN;
 * results tiny before rounding are flushed (FZ) or signal underflow when inexact. The
 * operands must be non-NaN and already flushed. dp is the result format. */
static uint64_t arith(struct a64_cpu *c, enum host_op op, bool dp, uint64_t a, uint64_t b,
                      uint64_t acc)
{
    unsigned rm = (c->fpcr >> 22) & 3, fl;
    uint64_t r = host_calc(op, dp, a, b, acc, rm, &fl);
    if (is_nan(r, dp)) {
        r = default_nan(dp); /* only from an invalid operation (FPProcessException) */
    } else if (fabs_bits(r, dp) <= min_normal(dp) && !(fl & (FPSR_IOC | FPSR_DZC))) {
        /* |exact| < min normal  <=>  the result truncated towards zero is below it */
        unsigned fl2;
        uint64_t rz = host_calc(op, dp, a, b, acc, RM_Z, &fl2);
        bool tiny = fabs_bits(rz, dp) < min_normal(dp) && (!is_zero(rz, dp) || (fl2 & FPSR_IXC));
        if (tiny && (c->fpcr & FPCR_FZ)) {
            r = rz & sign_bit(dp);
            fl = (fl & ~(FPSR_IXC | FPSR_UFC)) | FPSR_UFC;
        } else if (tiny && (fl & FPSR_IXC)) {
            fl |= FPSR_UFC;
        }
    }
    c->fpsr |= fl;
    return r;
}

/* ---- rounding to an integral value (FPRoundInt, FPToFixed), on doubles ---- */
static double round_integral(double v, unsigned mode, bool *inexact)
{
    double f = floor(v), err = v - f; /* both exact */
    bool up;
    switch (mode) {
    case RM_N: up = err > 0.5 || (err == 0.5 && fmod(f, 2.0) != 0); break;
    case RM_P: up = err != 0; break;
    case RM_M: up = false; break;
    case RM_Z: up = err != 0 && v < 0; break;
    default: up = err > 0.5 || (err == 0.5 && v > 0); break; /* RM_A: ties away */
    }
    *inexact = err != 0;
    double r = up ? f + 1 : f;
    return r == 0 ? copysign(0.0, v) : r;
}

/* FPToFixed: x (single or double bits) to a signed/unsigned integer of `bits` bits with
 * fbits fraction bits. NaN and out-of-range values saturate with IOC (no IXC). */
static uint64_t fp_to_fixed(struct a64_cpu *c, uint64_t x, bool dp, unsigned fbits, bool uns,
                            unsigned bits, unsigned mode)
{
    x = flush_in(c, x, dp);
    if (is_nan(x, dp)) {
        c->fpsr |= FPSR_IOC;
        return 0;
    }
    double v = ldexp(to_double(x, dp), (int)fbits); /* exact (or infinite) */
    bool inexact = false;
    double r = isinf(v) ? v : round_integral(v, mode, &inexact);
    double lo = uns ? 0.0 : -ldexp(1.0, (int)bits - 1);
    double hi = uns ? ldexp(1.0, (int)bits) : ldexp(1.0, (int)bits - 1); /* exclusive */
    uint64_t mask = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    if (r < lo || r >= hi) {
        c->fpsr |= FPSR_IOC;
        if (r < lo)
            return uns ? 0 : (1ull << (bits - 1)) & mask;
        return uns ? mask : (1ull << (bits - 1)) - 1;
    }
    if (inexact)
        c->fpsr |= FPSR_IXC;
    if (uns)
        return (uint64_t)r;
    return (uint64_t)(int64_t)r & mask;
}

/* FixedToFP: integer (already sign- or zero-extended to 64 bits) / 2^fbits, rounded by
 * FPCR.RMode. The quotient by a power of two is exact for every source width. */
static uint64_t fixed_to_fp(struct a64_cpu *c, uint64_t i, bool uns, unsigned fbits, bool dp)
{
    uint64_t r = arith(c, uns ? H_UCVTF : H_SCVTF, dp, i, 0, 0);
    if (fbits && !is_zero(r, dp))
        r = from_double(ldexp(to_double(r, dp), -(int)fbits), dp);
    return r;
}

/* ---- data processing ---- */
static uint64_t fp_max_min(struct a64_cpu *c, uint64_t a, uint64_t b, bool dp, bool max)
{
    uint64_t ops[2] = {a, b}, r;
    if (process_nans(c, ops, 2, dp, &r))
        return r;
    if (is_zero(a, dp) && is_zero(b, dp))
        /* FPMax(+0, -0) = +0, FPMin(+0, -0) = -0 */
        return max ? a & b : a | b;
    double x = to_double(a, dp), y = to_double(b, dp);
    return (max ? x > y : x < y) ? a : b;
}

/* The two-source operations, in the order of the scalar opcode field (C7.2 FMUL ... FNMUL):
 * 0 FMUL, 1 FDIV, 2 FADD, 3 FSUB, 4 FMAX, 5 FMIN, 6 FMAXNM, 7 FMINNM, 8 FNMUL. */
static uint64_t fp_binop(struct a64_cpu *c, unsigned op, uint64_t a, uint64_t b, bool dp)
{
    a = flush_in(c, a, dp);
    b = flush_in(c, b, dp);
    uint64_t ops[2] = {a, b}, r;
    if (op >= 4 && op <= 7) {
        bool max = !(op & 1);
        if (op >= 6) {
            /* FPMaxNum/FPMinNum: a quiet NaN against a number loses (becomes -Inf / +Inf) */
            uint64_t inf = exp_mask(dp) | (max ? sign_bit(dp) : 0);
            if (is_qnan(a, dp) && !is_nan(b, dp))
                a = inf;
            else if (is_qnan(b, dp) && !is_nan(a, dp))
                b = inf;
        }
        return fp_max_min(c, a, b, dp, max);
    }
    if (!process_nans(c, ops, 2, dp, &r)) {
        static const enum host_op hop[9] = {H_MUL, H_DIV, H_ADD, H_SUB, H_ADD, H_ADD, H_ADD,
                                            H_ADD, H_MUL};
        r = arith(c, hop[op], dp, a, b, 0);
    }
    if (op == 8)
        r ^= sign_bit(dp); /* FNMUL = FPNeg(FPMul(...)), also of a NaN result */
    return r;
}

void a64_h_fp_2src(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool dp = A64_BIT(insn, 22);
    fset(c, insn & 31, fp_binop(c, A64_BITS(insn, 15, 12), freg(c, A64_BITS(insn, 9, 5), dp),
                                freg(c, A64_BITS(insn, 20, 16), dp), dp));
}

/* FPMulAdd(addend, op1, op2) = addend + op1 * op2 (fused), operand negations done. */
static uint64_t fp_muladd(struct a64_cpu *c, uint64_t a, uint64_t n, uint64_t m, bool dp)
{
    a = flush_in(c, a, dp);
    n = flush_in(c, n, dp);
    m = flush_in(c, m, dp);
    uint64_t ops[3] = {a, n, m}, r;
    bool inf_zero = (is_inf(n, dp) && is_zero(m, dp)) || (is_zero(n, dp) && is_inf(m, dp));
    if (process_nans(c, ops, 3, dp, &r)) {
        /* FPMulAdd: a quiet-NaN addend with Inf * 0 is still an invalid operation */
        if (is_qnan(a, dp) && inf_zero) {
            r = default_nan(dp);
            c->fpsr |= FPSR_IOC;
        }
        return r;
    }
    return arith(c, H_FMA, dp, n, m, a);
}

void a64_h_fp_3src(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool dp = A64_BIT(insn, 22), o1 = A64_BIT(insn, 21), o0 = A64_BIT(insn, 15);
    uint64_t a = freg(c, A64_BITS(insn, 14, 10), dp), n = freg(c, A64_BITS(insn, 9, 5), dp);
    uint64_t m = freg(c, A64_BITS(insn, 20, 16), dp);
    /* C7.2 FMSUB/FNMADD/FNMSUB: operand negation (FPNeg) happens before FPMulAdd. */
    if (o0 != o1)
        n ^= sign_bit(dp);
    if (o1)
        a ^= sign_bit(dp);
    fset(c, insn & 31, fp_muladd(c, a, n, m, dp));
}

static uint32_t fp_compare(struct a64_cpu *c, uint64_t a, uint64_t b, bool dp, bool signal_all)
{
    a = flush_in(c, a, dp);
    b = flush_in(c, b, dp);
    if (is_nan(a, dp) || is_nan(b, dp)) {
        if (signal_all || is_snan(a, dp) || is_snan(b, dp))
            c->fpsr |= FPSR_IOC;
        return 0x3u << 28; /* unordered: C and V */
    }
    double x = to_double(a, dp), y = to_double(b, dp);
    if (x == y)
        return 0x6u << 28; /* Z and C */
    return x < y ? 0x8u << 28 : 0x2u << 28;
}

void a64_h_fp_cmp(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool dp = A64_BIT(insn, 22), zero = A64_BIT(insn, 3);
    uint64_t a = freg(c, A64_BITS(insn, 9, 5), dp);
    uint64_t b = zero ? 0 : freg(c, A64_BITS(insn, 20, 16), dp);
    c->nzcv = fp_compare(c, a, b, dp, A64_BIT(insn, 4));
}

void a64_h_fp_ccmp(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool dp = A64_BIT(insn, 22);
    if (a64_cond(c->nzcv, A64_BITS(insn, 15, 12)))
        c->nzcv = fp_compare(c, freg(c, A64_BITS(insn, 9, 5), dp),
                             freg(c, A64_BITS(insn, 20, 16), dp), dp, A64_BIT(insn, 4));
    else
        c->nzcv = (insn & 0xfu) << 28;
}

void a64_h_fp_csel(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool dp = A64_BIT(insn, 22);
    unsigned src = a64_cond(c->nzcv, A64_BITS(insn, 15, 12)) ? A64_BITS(insn, 9, 5)
                                                             : A64_BITS(insn, 20, 16);
    fset(c, insn & 31, freg(c, src, dp));
}

/* VFPExpandImm (ARM DDI0487 shared/functions/float/VFPExpandImm). */
void a64_h_fp_imm(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool dp = A64_BIT(insn, 22);
    uint64_t imm8 = A64_BITS(insn, 20, 13), b6 = (imm8 >> 6) & 1;
    uint64_t r;
    if (dp)
        r = (imm8 >> 7) << 63 | (b6 ^ 1) << 62 | (b6 ? 0xffull : 0) << 54 |
            ((imm8 >> 4) & 3) << 52 | (imm8 & 0xf) << 48;
    else
        r = (imm8 >> 7) << 31 | (b6 ^ 1) << 30 | (b6 ? 0x1full : 0) << 25 |
            ((imm8 >> 4) & 3) << 23 | (imm8 & 0xf) << 19;
    fset(c, insn & 31, r);
}

/* FCVT between single and double (FPConvert; FPConvertNaN keeps the top payload bits). */
static uint64_t fp_convert(struct a64_cpu *c, uint64_t x, bool from_dp)
{
    x = flush_in(c, x, from_dp);
    bool to_dp = !from_dp;
    if (is_nan(x, from_dp)) {
        if (is_snan(x, from_dp))
            c->fpsr |= FPSR_IOC;
        if (c->fpcr & FPCR_DN)
            return default_nan(to_dp);
        if (to_dp)
            return (x >> 31) << 63 | exp_mask(true) | quiet_bit(true) | (x & frac_mask(false)) << 29;
        return (x >> 63) << 31 | exp_mask(false) | quiet_bit(false) | ((x & frac_mask(true)) >> 29);
    }
    if (to_dp)
        return from_double(to_double(x, false), true); /* exact */
    return arith(c, H_CVT_DS, false, x, 0, 0);
}

/* ---- software FPUnpack / FPRound on any of the three formats (N = 16, 32, 64) ---- */
enum fp_class { FPC_ZERO, FPC_NUM, FPC_INF, FPC_QNAN, FPC_SNAN };
struct fp_val {
    enum fp_class cls;
    bool sign;
    int exp;       /* value = mant * 2^exp ... */
    uint64_t mant; /* ... with mant normalized (bit 63 set) for FPC_NUM */
};

static inline unsigned fmt_e(unsigned n) { return n == 16 ? 5 : n == 32 ? 8 : 11; }
static inline unsigned fmt_f(unsigned n) { return n == 16 ? 10 : n == 32 ? 23 : 52; }
static inline uint64_t fmt_mask(unsigned n) { return n == 64 ? UINT64_MAX : (1ull << n) - 1; }

/* FPUnpackCV (ARM DDI0487 shared/functions/float/fpunpack): FPCR.FZ flushes single and
 * double denormals (IDC); half precision is never flushed here (FZ16 is forced to 0 for
 * conversions) and with FPCR.AHP has no infinities or NaNs. */
static struct fp_val fp_unpack_n(struct a64_cpu *c, uint64_t x, unsigned n)
{
    unsigned E = fmt_e(n), F = fmt_f(n);
    int bias = (1 << (E - 1)) - 1, e;
    struct fp_val u = {FPC_ZERO, (x >> (n - 1)) & 1, 0, 0};
    uint64_t ef = (x >> F) & ((1u << E) - 1), frac = x & ((1ull << F) - 1);
    bool ahp = n == 16 && (c->fpcr & FPCR_AHP);
    if (ef == 0) {
        if (!frac)
            return u;
        if (n != 16 && (c->fpcr & FPCR_FZ)) {
            c->fpsr |= FPSR_IDC;
            return u;
        }
        e = 1 - bias - (int)F;
    } else if (ef == (1u << E) - 1 && !ahp) {
        if (!frac)
            u.cls = FPC_INF;
        else
            u.cls = (frac >> (F - 1)) & 1 ? FPC_QNAN : FPC_SNAN;
        return u;
    } else {
        frac |= 1ull << F;
        e = (int)ef - bias - (int)F;
    }
    unsigned sh = (unsigned)__builtin_clzll(frac);
    u.cls = FPC_NUM;
    u.mant = frac << sh;
    u.exp = e - (int)sh;
    return u;
}

/* FPRoundBase (ARM DDI0487 shared/functions/float/fpround) of the exact nonzero value
 * (-1)^sign * mant * 2^exp into format n: flush-to-zero (FPCR.FZ, not for half), underflow
 * when tiny before rounding and inexact, the rounding modes incl. round-to-odd, overflow
 * to infinity or the largest normal by mode, and FPCR.AHP for half precision. */
static uint64_t fp_round_n(struct a64_cpu *c, bool sign, int exp, uint64_t mant, unsigned n,
                           unsigned rounding)
{
    unsigned E = fmt_e(n), F = fmt_f(n);
    int bias = (1 << (E - 1)) - 1, min_exp = 1 - bias, ue = exp + 63;
    uint64_t sbit = (uint64_t)sign << (n - 1);
    bool ahp = n == 16 && (c->fpcr & FPCR_AHP);
    if (n != 16 && (c->fpcr & FPCR_FZ) && ue < min_exp) {
        c->fpsr |= FPSR_UFC;
        return sbit;
    }
    int bexp = ue >= min_exp ? ue - min_exp + 1 : 0;
    int s = (ue >= min_exp ? ue : min_exp) - (int)F - exp; /* >= 63 - F */
    uint64_t im = s >= 64 ? 0 : mant >> s;
    bool rbit, stk;
    if (s - 1 >= 64) {
        rbit = false;
        stk = mant != 0;
    } else {
        rbit = (mant >> (s - 1)) & 1;
        stk = (mant & ((1ull << (s - 1)) - 1)) != 0;
    }
    bool err = rbit || stk, up, ovf_inf;
    if (bexp == 0 && err)
        c->fpsr |= FPSR_UFC;
    switch (rounding) {
    case RM_N: up = rbit && (stk || (im & 1)); ovf_inf = true; break;
    case RM_P: up = err && !sign; ovf_inf = !sign; break;
    case RM_M: up = err && sign; ovf_inf = sign; break;
    case RM_A: up = rbit; ovf_inf = true; break;
    default: up = false; ovf_inf = false; break; /* RM_Z, RM_ODD */
    }
    if (up) {
        im++;
        if (im == 1ull << F) /* rounded up from denormal to normal */
            bexp = 1;
        if (im == 2ull << F) {
            bexp++;
            im >>= 1;
        }
    }
    if (err && rounding == RM_ODD)
        im |= 1;
    uint64_t r, fmask = (1ull << F) - 1;
    if (!ahp) {
        if (bexp >= (1 << E) - 1) {
            r = ovf_inf ? sbit | ((1ull << E) - 1) << F : sbit | ((1ull << E) - 2) << F | fmask;
            c->fpsr |= FPSR_OFC;
            err = true;
        } else {
            r = sbit | (uint64_t)bexp << F | (im & fmask);
        }
    } else if (bexp >= (1 << E)) {
        r = sbit | ((1ull << (n - 1)) - 1);
        c->fpsr |= FPSR_IOC;
        err = false;
    } else {
        r = sbit | (uint64_t)bexp << F | (im & fmask);
    }
    if (err)
        c->fpsr |= FPSR_IXC;
    return r;
}

/* FPConvert (ARM DDI0487 shared/functions/float/fpconvert) from format `from` to `to`,
 * incl. FPConvertNaN (the payload below the quiet bit is kept, truncated or zero-extended)
 * and the alternative half-precision format (FPCR.AHP: NaN -> zero and infinity -> the
 * largest magnitude, both Invalid Operation). */
static uint64_t fp_cvt_n(struct a64_cpu *c, uint64_t x, unsigned from, unsigned to,
                         unsigned rounding)
{
    struct fp_val u = fp_unpack_n(c, x, from);
    bool alt = to == 16 && (c->fpcr & FPCR_AHP);
    unsigned Et = fmt_e(to), Ft = fmt_f(to), Ff = fmt_f(from);
    uint64_t sbit = (uint64_t)u.sign << (to - 1), inf = ((1ull << Et) - 1) << Ft, r;
    switch (u.cls) {
    case FPC_QNAN:
    case FPC_SNAN:
        if (alt) {
            r = sbit;
        } else if (c->fpcr & FPCR_DN) {
            r = to == 16 ? 0x7e00 : default_nan(to == 64);
        } else {
            uint64_t frac = x & ((1ull << (Ff - 1)) - 1);
            frac = Ft > Ff ? frac << (Ft - Ff) : frac >> (Ff - Ft);
            r = sbit | inf | 1ull << (Ft - 1) | frac;
        }
        if (u.cls == FPC_SNAN || alt)
            c->fpsr |= FPSR_IOC;
        return r;
    case FPC_INF:
        if (alt) {
            c->fpsr |= FPSR_IOC;
            return sbit | ((1ull << (to - 1)) - 1);
        }
        return sbit | inf;
    case FPC_ZERO:
        return sbit;
    default:
        return fp_round_n(c, u.sign, u.exp, u.mant, to, rounding);
    }
}

/* FCVT (scalar) between half precision and single/double: type = 11 source (opc 00 to
 * single, 01 to double), or opc = 11 destination (ARM DDI0487 C7.2 FCVT). */
void a64_h_fp_cvt_h(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    unsigned type = A64_BITS(insn, 23, 22), opc = A64_BITS(insn, 16, 15);
    unsigned from = type == 3 ? 16 : type == 1 ? 64 : 32;
    unsigned to = opc == 3 ? 16 : opc == 1 ? 64 : 32;
    uint64_t x = c->v[A64_BITS(insn, 9, 5)][0] & fmt_mask(from);
    fset(c, insn & 31, fp_cvt_n(c, x, from, to, (c->fpcr >> 22) & 3));
}

/* ---- reciprocal estimates and steps (ARM DDI0487 shared/functions/float/
 * fprecipestimate, fprsqrtestimate, fprecpx; aarch64/functions/... FPRecipStepFused) ---- */
static unsigned recip_estimate(unsigned a) /* RecipEstimate: 256 <= a < 512 */
{
    a = a * 2 + 1;
    unsigned b = (1u << 19) / a;
    return (b + 1) / 2;
}

static unsigned rsqrt_estimate(unsigned a) /* RecipSqrtEstimate: 128 <= a < 512 */
{
    if (a < 256) {
        a = a * 2 + 1;
    } else {
        a = (a >> 1) << 1;
        a = (a + 1) * 2;
    }
    /* b = largest b such that a * b^2 < 2^28 (the pseudocode counts up from 512) */
    unsigned b = (unsigned)sqrt((double)(1u << 28) / a);
    b = b > 514 ? b - 2 : 512;
    while ((uint64_t)a * (b + 1) * (b + 1) < (1ull << 28))
        b++;
    return (b + 1) / 2;
}

static uint64_t fp_recip_estimate(struct a64_cpu *c, uint64_t x, bool dp)
{
    unsigned F = dp ? 52 : 23;
    x = flush_in(c, x, dp);
    uint64_t sbit = x & sign_bit(dp), ax = fabs_bits(x, dp);
    bool sign = sbit != 0;
    if (is_nan(x, dp))
        return process_nan(c, x, dp);
    if (is_inf(x, dp))
        return sbit;
    if (is_zero(x, dp)) {
        c->fpsr |= FPSR_DZC;
        return sbit | exp_mask(dp);
    }
    if (ax < (dp ? 1ull << 50 : 1ull << 21)) { /* |x| < 2^-1024 / 2^-128: overflows */
        unsigned rm = (c->fpcr >> 22) & 3;
        bool to_inf = rm == RM_N || (rm == RM_P && !sign) || (rm == RM_M && sign);
        c->fpsr |= FPSR_OFC | FPSR_IXC;
        return to_inf ? sbit | exp_mask(dp) : sbit | (exp_mask(dp) - min_normal(dp)) | frac_mask(dp);
    }
    int exp = (int)(ax >> F);
    if ((c->fpcr & FPCR_FZ) && exp >= (dp ? 2045 : 253)) { /* |x| >= 2^1022 / 2^126 */
        c->fpsr |= FPSR_UFC;
        return sbit;
    }
    const uint64_t m52 = (1ull << 52) - 1;
    uint64_t fraction = dp ? ax & m52 : (ax & frac_mask(false)) << 29;
    if (exp == 0) {
        if (!((fraction >> 51) & 1)) {
            exp = -1;
            fraction = (fraction << 2) & m52;
        } else {
            fraction = (fraction << 1) & m52;
        }
    }
    unsigned scaled = 256u | (unsigned)(fraction >> 44);
    int rexp = (dp ? 2045 : 253) - exp;
    fraction = (uint64_t)(recip_estimate(scaled) & 0xff) << 44;
    if (rexp == 0) {
        fraction = 1ull << 51 | fraction >> 1;
    } else if (rexp == -1) {
        fraction = 1ull << 50 | fraction >> 2;
        rexp = 0;
    }
    return sbit | (uint64_t)rexp << F | (dp ? fraction : fraction >> 29);
}

static uint64_t fp_rsqrt_estimate(struct a64_cpu *c, uint64_t x, bool dp)
{
    unsigned F = dp ? 52 : 23;
    x = flush_in(c, x, dp);
    if (is_nan(x, dp))
        return process_nan(c, x, dp);
    if (is_zero(x, dp)) {
        c->fpsr |= FPSR_DZC;
        return (x & sign_bit(dp)) | exp_mask(dp);
    }
    if (x & sign_bit(dp)) {
        c->fpsr |= FPSR_IOC;
        return default_nan(dp);
    }
    if (is_inf(x, dp))
        return 0;
    const uint64_t m52 = (1ull << 52) - 1;
    int exp = (int)(x >> F);
    uint64_t fraction = dp ? x & m52 : (x & frac_mask(false)) << 29;
    if (exp == 0) {
        while (!((fraction >> 51) & 1)) {
            fraction = (fraction << 1) & m52;
            exp--;
        }
        fraction = (fraction << 1) & m52;
    }
    /* exponent even: 0.5 <= x < 1.0 ('1':fraction<51:44>); odd: 0.25 <= x < 0.5 */
    unsigned scaled = (exp & 1) ? 128u | (unsigned)(fraction >> 45) : 256u | (unsigned)(fraction >> 44);
    int rexp = ((dp ? 3068 : 380) - exp) / 2;
    return (uint64_t)rexp << F | (uint64_t)(rsqrt_estimate(scaled) & 0xff) << (F - 8);
}

/* FPRecpX: the exponent inverted, fraction zero (NaNs processed). */
static uint64_t fp_recpx(struct a64_cpu *c, uint64_t x, bool dp)
{
    unsigned F = dp ? 52 : 23;
    uint64_t emax = dp ? 0x7ff : 0xff, e = (x >> F) & emax;
    x = flush_in(c, x, dp);
    if (is_nan(x, dp))
        return process_nan(c, x, dp);
    return (x & sign_bit(dp)) | (e == 0 ? emax - 1 : ~e & emax) << F;
}

/* UnsignedRecipEstimate / UnsignedRSqrtEstimate on 32-bit elements (URECPE, URSQRTE). */
static uint64_t u_recip_estimate(uint64_t x, bool rsqrt)
{
    if (rsqrt ? !(x >> 30) : !(x >> 31))
        return 0xffffffffull;
    unsigned a = (unsigned)(x >> 23) & 0x1ff;
    return (uint64_t)((rsqrt ? rsqrt_estimate(a) : recip_estimate(a)) & 0x1ff) << 23;
}

static inline uint64_t fp_two(bool dp) { return dp ? 0x4000000000000000ull : 0x40000000ull; }

/* FPMulX: FMUL except that infinity times zero is 2.0 (with the product's sign). */
static uint64_t fp_mulx(struct a64_cpu *c, uint64_t a, uint64_t b, bool dp)
{
    a = flush_in(c, a, dp);
    b = flush_in(c, b, dp);
    uint64_t ops[2] = {a, b}, r;
    if (process_nans(c, ops, 2, dp, &r))
        return r;
    if ((is_inf(a, dp) && is_zero(b, dp)) || (is_zero(a, dp) && is_inf(b, dp)))
        return ((a ^ b) & sign_bit(dp)) | fp_two(dp);
    return arith(c, H_MUL, dp, a, b, 0);
}

/* FPRecipStepFused (2 - a*b) and FPRSqrtStepFused ((3 - a*b) / 2), one rounding each; the
 * negation of a comes first, so a NaN from a has its sign flipped. */
static uint64_t fp_recip_step(struct a64_cpu *c, uint64_t a, uint64_t b, bool dp, bool rsqrt)
{
    a ^= sign_bit(dp);
    a = flush_in(c, a, dp);
    b = flush_in(c, b, dp);
    uint64_t ops[2] = {a, b}, r;
    if (process_nans(c, ops, 2, dp, &r))
        return r;
    uint64_t one_half = dp ? 0x3ff8000000000000ull : 0x3fc00000ull;
    if ((is_inf(a, dp) && is_zero(b, dp)) || (is_zero(a, dp) && is_inf(b, dp)))
        return rsqrt ? one_half : fp_two(dp);
    if (is_inf(a, dp) || is_inf(b, dp))
        return ((a ^ b) & sign_bit(dp)) | exp_mask(dp);
    if (!rsqrt)
        return arith(c, H_FMA, dp, a, b, fp_two(dp));
    /* (3 + a*b) / 2 = 1.5 + (a/2)*b: halve whichever operand halves exactly (biased
     * exponent >= 2). If neither does, |a*b| is far below an ulp of 1.5 and 1.5 + a*b
     * rounds exactly as 1.5 + a*b/2 would (same sign, nonzero). */
    unsigned F = dp ? 52 : 23;
    if (((a & ~sign_bit(dp)) >> F) >= 2)
        a -= 1ull << F;
    else if (((b & ~sign_bit(dp)) >> F) >= 2)
        b -= 1ull << F;
    return arith(c, H_FMA, dp, a, b, one_half);
}

static uint64_t fp_sqrt(struct a64_cpu *c, uint64_t x, bool dp)
{
    x = flush_in(c, x, dp);
    if (is_nan(x, dp))
        return process_nan(c, x, dp);
    if (is_zero(x, dp))
        return x;
    if (x & sign_bit(dp)) {
        c->fpsr |= FPSR_IOC;
        return default_nan(dp);
    }
    return arith(c, H_SQRT, dp, x, 0, 0);
}

/* FPRoundInt(x, mode, exact): only FRINTX (exact) signals Inexact. */
static uint64_t fp_rint(struct a64_cpu *c, uint64_t x, bool dp, unsigned mode, bool exact)
{
    x = flush_in(c, x, dp);
    if (is_nan(x, dp))
        return process_nan(c, x, dp);
    if (is_zero(x, dp) || is_inf(x, dp))
        return x;
    bool inexact;
    uint64_t r = from_double(round_integral(to_double(x, dp), mode, &inexact), dp);
    if (inexact && exact)
        c->fpsr |= FPSR_IXC;
    return r;
}

void a64_h_fp_1src(struct a64_cpu *c, uint32_t insn)
{
    bool dp = A64_BIT(insn, 22);
    unsigned op = A64_BITS(insn, 20, 15), d = insn & 31;
    if ((op == 0x04 && !dp) || (op == 0x05 && dp)) {
        a64_undef(c); /* FCVT to the same precision is unallocated */
        return;
    }
    if (!a64_fp_check(c))
        return;
    uint64_t x = freg(c, A64_BITS(insn, 9, 5), dp), r;
    switch (op) {
    case 0x00: r = x; break;                       /* FMOV */
    case 0x01: r = x & ~sign_bit(dp); break;       /* FABS */
    case 0x02: r = x ^ sign_bit(dp); break;        /* FNEG */
    case 0x03: r = fp_sqrt(c, x, dp); break;       /* FSQRT */
    case 0x04: case 0x05: r = fp_convert(c, x, dp); break;
    default: { /* FRINTN/P/M/Z/A/X/I (FPRoundInt) */
        static const int mode[8] = {RM_N, RM_P, RM_M, RM_Z, RM_A, -1, -2, -2};
        int md = mode[op & 7];
        if (md < 0)
            md = (int)((c->fpcr >> 22) & 3);
        r = fp_rint(c, x, dp, (unsigned)md, (op & 7) == 6);
        break;
    }
    }
    fset(c, d, r);
}

/* SCVTF/UCVTF/FCVTZS/FCVTZU (scalar, fixed-point): fbits = 64 - scale. */
void a64_h_fp_fixed(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), dp = A64_BIT(insn, 22);
    unsigned scale = A64_BITS(insn, 15, 10), rmode = A64_BITS(insn, 20, 19);
    bool uns = A64_BIT(insn, 16);
    if (!sf && scale < 32) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned fbits = 64 - scale, bits = sf ? 64 : 32, d = insn & 31, n = A64_BITS(insn, 9, 5);
    if (rmode == 0) { /* [SU]CVTF */
        uint64_t i = a64_xr(c, n);
        if (!sf)
            i = uns ? i & 0xffffffffull : (uint64_t)(int64_t)(int32_t)(uint32_t)i;
        fset(c, d, fixed_to_fp(c, i, uns, fbits, dp));
    } else { /* FCVTZ[SU] */
        uint64_t r = fp_to_fixed(c, freg(c, n, dp), dp, fbits, uns, bits, RM_Z);
        a64_xw(c, d, r);
    }
}

bool a64_fp_cvt_int_valid(uint32_t insn)
{
    unsigned type = A64_BITS(insn, 23, 22), rmode = A64_BITS(insn, 20, 19);
    unsigned op = A64_BITS(insn, 18, 16);
    if (type > 1)
        return false;
    if (op <= 1)
        return true;      /* FCVT[NPMZ][SU] */
    return op <= 5 && rmode == 0; /* [SU]CVTF, FCVTA[SU] */
}

/* Conversions between FP and general registers (C4.1.90 "Conversion between
 * floating-point and integer"): FCVT{N,P,M,Z,A}{S,U}, SCVTF, UCVTF. */
void a64_fp_cvt_int(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), dp = A64_BIT(insn, 22);
    unsigned rmode = A64_BITS(insn, 20, 19), op = A64_BITS(insn, 18, 16);
    unsigned d = insn & 31, n = A64_BITS(insn, 9, 5), bits = sf ? 64 : 32;
    bool uns = op & 1;
    if (op == 2 || op == 3) {
        uint64_t i = a64_xr(c, n);
        if (!sf)
            i = uns ? i & 0xffffffffull : (uint64_t)(int64_t)(int32_t)(uint32_t)i;
        fset(c, d, fixed_to_fp(c, i, uns, 0, dp));
        return;
    }
    unsigned mode = op >= 4 ? RM_A : rmode; /* rmode 00 N, 01 P, 10 M, 11 Z */
    a64_xw(c, d, fp_to_fixed(c, freg(c, n, dp), dp, 0, uns, bits, mode));
}

/* ---- AdvSIMD floating point, single and double lanes (C7.2 FADD (vector) ...) ---- */
static inline uint64_t lane_get(const uint64_t v[2], bool dp, unsigned i)
{
    return dp ? v[i] : (v[i / 2] >> (32 * (i & 1))) & 0xffffffffull;
}

static inline void lane_set(uint64_t v[2], bool dp, unsigned i, uint64_t x)
{
    if (dp)
        v[i] = x;
    else
        v[i / 2] = (v[i / 2] & ~(0xffffffffull << (32 * (i & 1)))) | x << (32 * (i & 1));
}

/* FPCompareEQ (quiet), FPCompareGE / FPCompareGT (signalling) as an all-ones mask. */
static uint64_t fp_cmp_mask(struct a64_cpu *c, uint64_t a, uint64_t b, bool dp, unsigned kind)
{
    uint32_t f = fp_compare(c, a, b, dp, kind != 0) >> 28;
    bool r = kind == 0 ? f == 0x6 : kind == 1 ? (f == 0x6 || f == 0x2) : f == 0x2;
    return r ? (dp ? UINT64_MAX : 0xffffffffull) : 0;
}

/* Three same, vector and scalar ("Advanced SIMD (scalar) three same", FP): key = U:a:opcode. */
void a64_h_simd_fp3(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30), dp = A64_BIT(insn, 22);
    unsigned key = A64_BIT(insn, 29) << 6 | A64_BIT(insn, 23) << 5 | A64_BITS(insn, 15, 11);
    unsigned d = insn & 31, n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    if (dp && !q) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned lanes = scalar ? 1 : (q ? 128u : 64u) >> (dp ? 6 : 5);
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, b[2] = {c->v[m][0], c->v[m][1]};
    uint64_t acc[2] = {c->v[d][0], c->v[d][1]}, r[2] = {0, 0};
    bool pairwise = key == 0x58 || key == 0x5a || key == 0x5e || key == 0x78 || key == 0x7e;
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t x, y, v;
        if (pairwise) { /* concat = Vm:Vn, adjacent pairs */
            unsigned j = 2 * i;
            const uint64_t *src = j < lanes ? a : b;
            x = lane_get(src, dp, j % lanes);
            y = lane_get(src, dp, j % lanes + 1);
        } else {
            x = lane_get(a, dp, i);
            y = lane_get(b, dp, i);
        }
        switch (key) {
        case 0x18: case 0x58: v = fp_binop(c, 6, x, y, dp); break; /* FMAXNM, FMAXNMP */
        case 0x38: case 0x78: v = fp_binop(c, 7, x, y, dp); break; /* FMINNM, FMINNMP */
        case 0x19: v = fp_muladd(c, lane_get(acc, dp, i), x, y, dp); break; /* FMLA */
        case 0x39: v = fp_muladd(c, lane_get(acc, dp, i), x ^ sign_bit(dp), y, dp); break;
        case 0x1a: case 0x5a: v = fp_binop(c, 2, x, y, dp); break; /* FADD, FADDP */
        case 0x3a: v = fp_binop(c, 3, x, y, dp); break;            /* FSUB */
        case 0x7a: v = fp_binop(c, 3, x, y, dp) & ~sign_bit(dp); break; /* FABD */
        case 0x1b: v = fp_mulx(c, x, y, dp); break;                /* FMULX */
        case 0x5b: v = fp_binop(c, 0, x, y, dp); break;            /* FMUL */
        case 0x5f: v = fp_binop(c, 1, x, y, dp); break;            /* FDIV */
        case 0x1f: v = fp_recip_step(c, x, y, dp, false); break;   /* FRECPS */
        case 0x3f: v = fp_recip_step(c, x, y, dp, true); break;    /* FRSQRTS */
        case 0x1e: case 0x5e: v = fp_binop(c, 4, x, y, dp); break; /* FMAX, FMAXP */
        case 0x3e: case 0x7e: v = fp_binop(c, 5, x, y, dp); break; /* FMIN, FMINP */
        case 0x1c: v = fp_cmp_mask(c, x, y, dp, 0); break;         /* FCMEQ */
        case 0x5c: v = fp_cmp_mask(c, x, y, dp, 1); break;         /* FCMGE */
        case 0x7c: v = fp_cmp_mask(c, x, y, dp, 2); break;         /* FCMGT */
        case 0x5d: /* FACGE */
            v = fp_cmp_mask(c, x & ~sign_bit(dp), y & ~sign_bit(dp), dp, 1);
            break;
        default: /* 0x7d FACGT */
            v = fp_cmp_mask(c, x & ~sign_bit(dp), y & ~sign_bit(dp), dp, 2);
            break;
        }
        lane_set(r, dp, i, v);
    }
    c->v[d][0] = r[0];
    c->v[d][1] = q && !scalar ? r[1] : 0;
}

/* Lane i of width w (16, 32, 64) of a 128-bit value. */
static inline uint64_t wlane(const uint64_t v[2], unsigned w, unsigned i)
{
    unsigned pos = i * w;
    return (v[pos / 64] >> (pos % 64)) & fmt_mask(w);
}

/* FCVTL{2}, FCVTN{2}, FCVTXN{2} (vector) and FCVTXN (scalar): key 0x17, 0x16, 0x56;
 * sz = 0 converts between half and single, sz = 1 between single and double. */
static void fp_cvt_long_narrow(struct a64_cpu *c, uint32_t insn, unsigned key, bool scalar)
{
    bool part = A64_BIT(insn, 30) && !scalar, sz = A64_BIT(insn, 22);
    unsigned d = insn & 31, n = A64_BITS(insn, 9, 5);
    if (key == 0x56 && !sz) {
        a64_undef(c); /* FCVTXN is double to single only */
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned rm = key == 0x56 ? RM_ODD : (c->fpcr >> 22) & 3;
    unsigned wide = sz ? 64 : 32, narrow = sz ? 32 : 16;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, r[2] = {0, 0};
    if (key == 0x17) { /* widen the lower (FCVTL) or upper (FCVTL2) half of Vn */
        const uint64_t src[2] = {a[part], 0};
        for (unsigned i = 0; i < 64 / narrow; i++) {
            uint64_t v = fp_cvt_n(c, wlane(src, narrow, i), narrow, wide, rm);
            unsigned pos = i * wide;
            r[pos / 64] |= v << (pos % 64);
        }
        c->v[d][0] = r[0];
        c->v[d][1] = r[1];
        return;
    }
    uint64_t out = 0;
    for (unsigned i = 0, nl = scalar ? 1 : 128 / wide; i < nl; i++)
        out |= fp_cvt_n(c, wlane(a, wide, i), wide, narrow, rm) << (i * narrow);
    if (part) {
        c->v[d][1] = out; /* the "2" forms write the upper half, the lower half is kept */
    } else {
        c->v[d][0] = out;
        c->v[d][1] = 0;
    }
}

/* Two-register miscellaneous, vector and scalar (FP): key = U:o2:opcode. */
void a64_h_simd_fp2misc(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30), dp = A64_BIT(insn, 22);
    unsigned key = A64_BIT(insn, 29) << 6 | A64_BIT(insn, 23) << 5 | A64_BITS(insn, 16, 12);
    unsigned d = insn & 31, n = A64_BITS(insn, 9, 5);
    if (key == 0x16 || key == 0x17 || key == 0x56) {
        fp_cvt_long_narrow(c, insn, key, scalar);
        return;
    }
    /* sz = 1 with Q = 0 is reserved; URECPE / URSQRTE have 32-bit elements only */
    if ((dp && !q) || (dp && (key == 0x3c || key == 0x7c))) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned lanes = scalar ? 1 : (q ? 128u : 64u) >> (dp ? 6 : 5), bits = dp ? 64 : 32;
    unsigned rm = (c->fpcr >> 22) & 3;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, r[2] = {0, 0};
    uint64_t mask = dp ? UINT64_MAX : 0xffffffffull;
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t x = lane_get(a, dp, i), v;
        switch (key) {
        case 0x2f: v = x & ~sign_bit(dp); break;                    /* FABS */
        case 0x6f: v = x ^ sign_bit(dp); break;                     /* FNEG */
        case 0x2c: v = fp_cmp_mask(c, x, 0, dp, 2); break;          /* FCMGT #0 */
        case 0x6c: v = fp_cmp_mask(c, x, 0, dp, 1); break;          /* FCMGE #0 */
        case 0x2d: v = fp_cmp_mask(c, x, 0, dp, 0); break;          /* FCMEQ #0 */
        case 0x6d: v = fp_cmp_mask(c, 0, x, dp, 1); break;          /* FCMLE #0 */
        case 0x2e: v = fp_cmp_mask(c, 0, x, dp, 2); break;          /* FCMLT #0 */
        case 0x1d: case 0x5d: {                                     /* SCVTF, UCVTF */
            bool uns = key == 0x5d;
            uint64_t iv = uns ? x : (uint64_t)a64_sext(x, bits);
            v = fixed_to_fp(c, iv, uns, 0, dp);
            break;
        }
        case 0x3b: v = fp_to_fixed(c, x, dp, 0, false, bits, RM_Z); break; /* FCVTZS */
        case 0x7b: v = fp_to_fixed(c, x, dp, 0, true, bits, RM_Z); break;  /* FCVTZU */
        case 0x1a: v = fp_to_fixed(c, x, dp, 0, false, bits, RM_N); break; /* FCVTNS */
        case 0x5a: v = fp_to_fixed(c, x, dp, 0, true, bits, RM_N); break;  /* FCVTNU */
        case 0x1b: v = fp_to_fixed(c, x, dp, 0, false, bits, RM_M); break; /* FCVTMS */
        case 0x5b: v = fp_to_fixed(c, x, dp, 0, true, bits, RM_M); break;  /* FCVTMU */
        case 0x3a: v = fp_to_fixed(c, x, dp, 0, false, bits, RM_P); break; /* FCVTPS */
        case 0x7a: v = fp_to_fixed(c, x, dp, 0, true, bits, RM_P); break;  /* FCVTPU */
        case 0x1c: v = fp_to_fixed(c, x, dp, 0, false, bits, RM_A); break; /* FCVTAS */
        case 0x5c: v = fp_to_fixed(c, x, dp, 0, true, bits, RM_A); break;  /* FCVTAU */
        case 0x18: v = fp_rint(c, x, dp, RM_N, false); break;       /* FRINTN */
        case 0x19: v = fp_rint(c, x, dp, RM_M, false); break;       /* FRINTM */
        case 0x38: v = fp_rint(c, x, dp, RM_P, false); break;       /* FRINTP */
        case 0x39: v = fp_rint(c, x, dp, RM_Z, false); break;       /* FRINTZ */
        case 0x58: v = fp_rint(c, x, dp, RM_A, false); break;       /* FRINTA */
        case 0x59: v = fp_rint(c, x, dp, rm, true); break;          /* FRINTX */
        case 0x79: v = fp_rint(c, x, dp, rm, false); break;         /* FRINTI */
        case 0x7f: v = fp_sqrt(c, x, dp); break;                    /* FSQRT */
        case 0x3d: v = fp_recip_estimate(c, x, dp); break;          /* FRECPE */
        case 0x7d: v = fp_rsqrt_estimate(c, x, dp); break;          /* FRSQRTE */
        case 0x3f: v = fp_recpx(c, x, dp); break;                   /* FRECPX (scalar) */
        case 0x3c: v = u_recip_estimate(x, false); break;           /* URECPE */
        default: v = u_recip_estimate(x, true); break;              /* 0x7c URSQRTE */
        }
        lane_set(r, dp, i, v & mask);
    }
    c->v[d][0] = r[0];
    c->v[d][1] = q && !scalar ? r[1] : 0;
}

/* FMUL, FMLA, FMLS, FMULX (by element), vector and scalar: sz = 0 index H:L, sz = 1 index H
 * (L = 1 is reserved); Rm = M:Rm. */
void a64_h_simd_fp_elem(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30), dp = A64_BIT(insn, 22);
    bool l = A64_BIT(insn, 21), u = A64_BIT(insn, 29);
    unsigned op = A64_BITS(insn, 15, 12), d = insn & 31, n = A64_BITS(insn, 9, 5);
    unsigned m = A64_BITS(insn, 20, 16), h = A64_BIT(insn, 11);
    if (dp && (l || !q)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned index = dp ? h : h << 1 | l;
    unsigned lanes = scalar ? 1 : (q ? 128u : 64u) >> (dp ? 6 : 5);
    uint64_t e2 = lane_get(c->v[m], dp, index);
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, acc[2] = {c->v[d][0], c->v[d][1]}, r[2] = {0, 0};
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t x = lane_get(a, dp, i), v;
        if (op == 0x9)
            v = u ? fp_mulx(c, x, e2, dp) : fp_binop(c, 0, x, e2, dp); /* FMULX, FMUL */
        else
            v = fp_muladd(c, lane_get(acc, dp, i), op == 0x5 ? x ^ sign_bit(dp) : x, e2, dp);
        lane_set(r, dp, i, v);
    }
    c->v[d][0] = r[0];
    c->v[d][1] = q && !scalar ? r[1] : 0;
}

/* FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar: the two lanes of Vn) and FMAXV, FMINV,
 * FMAXNMV, FMINNMV (4S only): Reduce() combines halves recursively, op(op(e0, e1),
 * op(e2, e3)) (ARM DDI0487 shared/functions/vector/Reduce). */
void a64_h_simd_fp_reduce(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30), dp = A64_BIT(insn, 22);
    unsigned key = A64_BIT(insn, 23) << 5 | A64_BITS(insn, 16, 12);
    if (!scalar && (dp || !q)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    /* fp_binop operation: 0x0c FMAXNM, 0x0d FADD, 0x0f FMAX, 0x2c FMINNM, 0x2f FMIN */
    unsigned op = key == 0x0c ? 6 : key == 0x0d ? 2 : key == 0x0f ? 4 : key == 0x2c ? 7 : 5;
    const uint64_t *v = c->v[A64_BITS(insn, 9, 5)];
    uint64_t r;
    if (scalar) {
        r = fp_binop(c, op, lane_get(v, dp, 0), lane_get(v, dp, 1), dp);
    } else {
        uint64_t hi = fp_binop(c, op, lane_get(v, false, 2), lane_get(v, false, 3), false);
        uint64_t lo = fp_binop(c, op, lane_get(v, false, 0), lane_get(v, false, 1), false);
        r = fp_binop(c, op, lo, hi, false);
    }
    fset(c, insn & 31, r);
}

/* SCVTF, UCVTF, FCVTZS, FCVTZU (vector and scalar, fixed-point): immh = 01xx single,
 * 1xxx double; fracbits = 2 * esize - immh:immb (ARM DDI0487 C7.2 SCVTF (vector,
 * fixed-point)). FCVTZ* round towards zero, [SU]CVTF by FPCR.RMode. */
void a64_h_simd_fp_fixed(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30), u = A64_BIT(insn, 29);
    unsigned immhb = A64_BITS(insn, 22, 16), d = insn & 31, n = A64_BITS(insn, 9, 5);
    bool dp = A64_BIT(insn, 22), tofp = A64_BITS(insn, 15, 11) == 0x1c;
    if (!scalar && dp && !q) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned esize = dp ? 64 : 32, fbits = 2 * esize - immhb;
    unsigned lanes = scalar ? 1 : (q ? 128u : 64u) / esize;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, r[2] = {0, 0};
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t x = lane_get(a, dp, i), v;
        if (tofp)
            v = fixed_to_fp(c, u ? x : (uint64_t)a64_sext(x, esize), u, fbits, dp);
        else
            v = fp_to_fixed(c, x, dp, fbits, u, esize, RM_Z);
        lane_set(r, dp, i, v & fmt_mask(esize));
    }
    c->v[d][0] = r[0];
    c->v[d][1] = q && !scalar ? r[1] : 0;
}
