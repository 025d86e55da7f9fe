/* isa/arm64/exec_simd.c - AdvSIMD integer instructions (ARM DDI0487 C7.2, pseudocode in
 * shared/functions/vector): three same / three different / two-register misc / across
 * lanes / shift by immediate (vector and scalar), permute, EXT, TBL/TBX, and the load/store
 * multiple and single structure instructions (C7.2 LD1..LD4, ST1..ST4, LD1R..LD4R).
 * Saturating operations set FPSR.QC (bit 27, ARM DDI0487 C5.2.9). */
#include "isa/arm64/a64_internal.h"

#define FPSR_QC (1u << 27)

/* ---- element access on a 128-bit value held as two little-endian 64-bit words ---- */
static inline uint64_t emask(unsigned esize)
{
    return esize >= 64 ? UINT64_MAX : (1ull << esize) - 1;
}

static inline uint64_t vget(const uint64_t v[2], unsigned esize, unsigned i)
{
    unsigned pos = i * esize;
    return (v[pos / 64] >> (pos % 64)) & emask(esize);
}

static inline void vset(uint64_t v[2], unsigned esize, unsigned i, uint64_t x)
{
    unsigned pos = i * esize;
    uint64_t m = emask(esize) << (pos % 64);
    v[pos / 64] = (v[pos / 64] & ~m) | ((x << (pos % 64)) & m);
}

/* Element as a signed or unsigned integer (Int(x, unsigned) in the pseudocode). */
static inline __int128 eint(uint64_t x, unsigned esize, bool uns)
{
    if (uns)
        return (__int128)x;
    return (__int128)a64_sext(x, esize);
}

/* Write a result register: V[d] = r, upper 64 bits cleared when the operation is 64-bit. */
static inline void vwrite(struct a64_cpu *c, unsigned d, const uint64_t r[2], bool q)
{
    c->v[d][0] = r[0];
    c->v[d][1] = q ? r[1] : 0;
}

/* SatQ (shared/functions/integer/SignedSatQ, UnsignedSatQ): clamp to esize bits. */
static uint64_t satq(struct a64_cpu *c, __int128 v, unsigned esize, bool uns)
{
    __int128 lo, hi;
    if (uns) {
        lo = 0;
        hi = (__int128)emask(esize);
    } else {
        hi = (__int128)(emask(esize - 1));
        lo = -hi - 1;
    }
    if (v > hi) {
        c->fpsr |= FPSR_QC;
        v = hi;
    } else if (v < lo) {
        c->fpsr |= FPSR_QC;
        v = lo;
    }
    return (uint64_t)v & emask(esize);
}

/* (v + round) shifted by sh (left when positive, arithmetic right when negative), as in
 * the SSHL/SRSHL/SQSHL/SQRSHL pseudocode; v is a 65-bit signed value at most. */
static __int128 shift_value(__int128 v, int sh, bool round)
{
    if (sh >= 0) {
        if (v == 0)
            return 0;
        if (sh >= 64) /* |v| << sh is out of every element range: keep the sign */
            return v < 0 ? -((__int128)1 << 100) : (__int128)1 << 100;
        return v * ((__int128)1 << sh);
    }
    int n = -sh > 66 ? 66 : -sh;
    if (round)
        v += (__int128)1 << (n - 1);
    return v >> n; /* arithmetic shift (gcc/clang define it for signed __int128) */
}

/* ---- three same ---- */
static bool same_size_ok(unsigned op, unsigned u, unsigned size, bool q, bool scalar)
{
    if (scalar) {
        switch (op) {
        case 0x01: case 0x05: case 0x09: case 0x0b: return true;     /* saturating: any */
        case 0x16: return size == 1 || size == 2;                    /* SQ(R)DMULH */
        default: return size == 3;
        }
    }
    switch (op) {
    case 0x00: case 0x02: case 0x04: case 0x0c: case 0x0d: case 0x0e: case 0x0f:
    case 0x12: case 0x14: case 0x15:
        return size != 3;
    case 0x13: return u ? size == 0 : size != 3; /* PMUL: bytes only */
    case 0x16: return size == 1 || size == 2;
    default: return size != 3 || q;
    }
}

/* One element of a "three same" operation; d is the destination element (accumulate). */
static uint64_t same_elem(struct a64_cpu *c, unsigned op, bool u, unsigned esize, uint64_t a,
                          uint64_t b, uint64_t d)
{
    __int128 x = eint(a, esize, u), y = eint(b, esize, u);
    uint64_t m = emask(esize);
    switch (op) {
    case 0x00: return (uint64_t)((x + y) >> 1) & m;          /* SHADD/UHADD */
    case 0x01: return satq(c, x + y, esize, u);              /* SQADD/UQADD */
    case 0x02: return (uint64_t)((x + y + 1) >> 1) & m;      /* SRHADD/URHADD */
    case 0x04: return (uint64_t)((x - y) >> 1) & m;          /* SHSUB/UHSUB */
    case 0x05: return satq(c, x - y, esize, u);              /* SQSUB/UQSUB */
    case 0x06: return x > y ? m : 0;                         /* CMGT/CMHI */
    case 0x07: return x >= y ? m : 0;                        /* CMGE/CMHS */
    case 0x08: case 0x09: case 0x0a: case 0x0b: {            /* [S|U][Q][R]SHL */
        int sh = (int)(int8_t)(uint8_t)b;
        __int128 r = shift_value(x, sh, op & 2);
        return op & 1 ? satq(c, r, esize, u) : (uint64_t)r & m;
    }
    case 0x0c: return (uint64_t)(x > y ? x : y) & m;         /* SMAX/UMAX */
    case 0x0d: return (uint64_t)(x < y ? x : y) & m;         /* SMIN/UMIN */
    case 0x0e: return (uint64_t)(x > y ? x - y : y - x) & m; /* SABD/UABD */
    case 0x0f: return (d + (uint64_t)(x > y ? x - y : y - x)) & m; /* SABA/UABA */
    case 0x10: return (u ? a - b : a + b) & m;               /* ADD/SUB */
    case 0x11: return (u ? a == b : (a & b) != 0) ? m : 0;   /* CMEQ/CMTST */
    case 0x12: return (u ? d - a * b : d + a * b) & m;       /* MLA/MLS */
    case 0x13:                                               /* MUL/PMUL */
        if (u) {
            uint64_t r = 0;
            for (unsigned i = 0; i < esize; i++)
                if ((a >> i) & 1)
                    r ^= b << i;
            return r & m;
        }
        return (a * b) & m;
    case 0x14: return (uint64_t)(x > y ? x : y) & m;         /* SMAXP/UMAXP */
    case 0x15: return (uint64_t)(x < y ? x : y) & m;         /* SMINP/UMINP */
    case 0x16: {                                             /* SQDMULH/SQRDMULH */
        __int128 xs = eint(a, esize, false), ys = eint(b, esize, false);
        __int128 p = 2 * xs * ys + (u ? (__int128)1 << (esize - 1) : 0);
        return satq(c, p >> esize, esize, false);
    }
    default: return (a + b) & m;                             /* ADDP */
    }
}

void a64_h_simd_3same(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30) || scalar, u = A64_BIT(insn, 29);
    unsigned size = A64_BITS(insn, 23, 22), op = A64_BITS(insn, 15, 11), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    if (!same_size_ok(op, u, size, A64_BIT(insn, 30), scalar)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned esize = 8u << size, lanes = scalar ? 1 : (q ? 128 : 64) / esize;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, b[2] = {c->v[m][0], c->v[m][1]};
    uint64_t dd[2] = {c->v[d][0], c->v[d][1]}, r[2] = {0, 0};
    bool pairwise = op == 0x14 || op == 0x15 || op == 0x17;
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t x, y;
        if (pairwise) {
            /* concat = Vm:Vn; pairs of adjacent elements (C7.2 ADDP (vector)) */
            unsigned j = 2 * i;
            const uint64_t *src = j < lanes ? a : b;
            x = vget(src, esize, j % lanes);
            y = vget(src, esize, j % lanes + 1);
        } else {
            x = vget(a, esize, i);
            y = vget(b, esize, i);
        }
        vset(r, esize, i, same_elem(c, op, u, esize, x, y, vget(dd, esize, i)));
    }
    vwrite(c, d, r, q && !scalar);
}

/* ---- two-register miscellaneous ---- */
static bool misc_size_ok(unsigned key, unsigned size, bool q, bool scalar)
{
    unsigned op = key & 31;
    if (scalar) {
        switch (op) {
        case 0x03: case 0x07: return true;        /* SUQADD/USQADD, SQABS/SQNEG */
        case 0x12: case 0x14: return size != 3;   /* SQXTN, SQXTUN, UQXTN */
        default: return size == 3;
        }
    }
    switch (key) {
    case 0x00: return size != 3;                  /* REV64 */
    case 0x01: return size == 0;                  /* REV16 */
    case 0x20: return size < 2;                   /* REV32 */
    case 0x05: return size == 0;                  /* CNT */
    case 0x25: return size < 2;                   /* NOT, RBIT */
    case 0x02: case 0x22: case 0x06: case 0x26:   /* [SU]ADDLP, [SU]ADALP */
    case 0x04: case 0x24:                         /* CLS, CLZ */
    case 0x12: case 0x14: case 0x32: case 0x34: case 0x33: /* narrowing, SHLL */
        return size != 3;
    default: return size != 3 || q;
    }
}

static unsigned clz_elem(uint64_t x, unsigned esize)
{
    unsigned k = 0;
    while (k < esize && !((x >> (esize - 1 - k)) & 1))
        k++;
    return k;
}

void a64_h_simd_2misc(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), qbit = A64_BIT(insn, 30), u = A64_BIT(insn, 29);
    unsigned size = A64_BITS(insn, 23, 22), op = A64_BITS(insn, 16, 12), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), key = (unsigned)u << 5 | op;
    if (!misc_size_ok(key, size, qbit, scalar)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    if (key == 0x25)
        size = 0; /* NOT and RBIT work on bytes; size<0> selects the operation */
    unsigned esize = 8u << size, lanes = scalar ? 1 : (qbit ? 128 : 64) / esize;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, dd[2] = {c->v[d][0], c->v[d][1]}, r[2] = {0, 0};
    uint64_t m = emask(esize);
    bool q = qbit && !scalar;
    bool is_rbit = key == 0x25 && A64_BIT(insn, 22);
    switch (key) {
    case 0x12: case 0x14: case 0x32: case 0x34: { /* XTN, SQXTN, SQXTUN, UQXTN (+2) */
        unsigned half = scalar ? 0 : qbit;
        unsigned nl = scalar ? 1 : 64 / esize;
        if (half)
            r[0] = dd[0];
        for (unsigned i = 0; i < nl; i++) {
            uint64_t e = vget(a, 2 * esize, i), v;
            if (key == 0x12)
                v = e & m;
            else if (key == 0x14)
                v = satq(c, eint(e, 2 * esize, false), esize, false);
            else if (key == 0x32)
                v = satq(c, eint(e, 2 * esize, false), esize, true);
            else
                v = satq(c, eint(e, 2 * esize, true), esize, true);
            vset(r, esize, i + (half ? nl : 0), v);
        }
        vwrite(c, d, r, half);
        return;
    }
    case 0x33: { /* SHLL{2}: widen and shift left by esize */
        unsigned nl = 64 / esize;
        for (unsigned i = 0; i < nl; i++)
            vset(r, 2 * esize, i, vget(a, esize, i + (qbit ? nl : 0)) << esize);
        vwrite(c, d, r, true);
        return;
    }
    case 0x02: case 0x22: case 0x06: case 0x26: { /* [SU]ADDLP, [SU]ADALP */
        for (unsigned i = 0; i < lanes / 2; i++) {
            __int128 s = eint(vget(a, esize, 2 * i), esize, u) + eint(vget(a, esize, 2 * i + 1), esize, u);
            uint64_t v = (uint64_t)s;
            if (op == 0x06)
                v += vget(dd, 2 * esize, i);
            vset(r, 2 * esize, i, v & emask(2 * esize));
        }
        vwrite(c, d, r, q);
        return;
    }
    case 0x00: case 0x01: case 0x20: { /* REV64, REV16, REV32: reverse elements in containers */
        unsigned csize = key == 0x00 ? 64 : key == 0x20 ? 32 : 16;
        unsigned per = csize / esize;
        for (unsigned i = 0; i < lanes; i++)
            vset(r, esize, i, vget(a, esize, (i / per) * per + (per - 1 - i % per)));
        vwrite(c, d, r, q);
        return;
    }
    default:
        break;
    }
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t e = vget(a, esize, i), v;
        __int128 s = eint(e, esize, false);
        switch (key) {
        case 0x03: /* SUQADD: signed acc + unsigned op */
            v = satq(c, eint(vget(dd, esize, i), esize, false) + eint(e, esize, true), esize, false);
            break;
        case 0x23: /* USQADD: unsigned acc + signed op */
            v = satq(c, eint(vget(dd, esize, i), esize, true) + s, esize, true);
            break;
        case 0x04: /* CLS: CountLeadingZeroBits(x<N-1:1> EOR x<N-2:0>) */
            v = clz_elem((e >> 1) ^ (e & (m >> 1)), esize - 1);
            break;
        case 0x24: v = clz_elem(e, esize); break;                     /* CLZ */
        case 0x05: v = (uint64_t)__builtin_popcountll(e); break;      /* CNT */
        case 0x25:
            if (!is_rbit) {
                v = ~e & m; /* NOT */
            } else {
                v = 0; /* RBIT (bytes) */
                for (unsigned k = 0; k < 8; k++)
                    v |= ((e >> k) & 1) << (7 - k);
            }
            break;
        case 0x07: v = satq(c, s < 0 ? -s : s, esize, false); break;  /* SQABS */
        case 0x27: v = satq(c, -s, esize, false); break;              /* SQNEG */
        case 0x08: v = s > 0 ? m : 0; break;                          /* CMGT #0 */
        case 0x09: v = s == 0 ? m : 0; break;                         /* CMEQ #0 */
        case 0x0a: v = s < 0 ? m : 0; break;                          /* CMLT #0 */
        case 0x28: v = s >= 0 ? m : 0; break;                         /* CMGE #0 */
        case 0x29: v = s <= 0 ? m : 0; break;                         /* CMLE #0 */
        case 0x0b: v = (uint64_t)(s < 0 ? -s : s) & m; break;         /* ABS */
        default: v = (0 - e) & m; break;                              /* NEG */
        }
        vset(r, esize, i, v);
    }
    vwrite(c, d, r, q);
}

/* ---- across lanes: [SU]ADDLV, [SU]MAXV, [SU]MINV, ADDV ---- */
void a64_h_simd_across(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30), u = A64_BIT(insn, 29);
    unsigned size = A64_BITS(insn, 23, 22), op = A64_BITS(insn, 16, 12), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5);
    if (size == 3 || (size == 2 && !q)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned esize = 8u << size, lanes = (q ? 128 : 64) / esize;
    const uint64_t *a = c->v[n];
    __int128 acc = eint(vget(a, esize, 0), esize, u);
    for (unsigned i = 1; i < lanes; i++) {
        __int128 e = eint(vget(a, esize, i), esize, u);
        if (op == 0x0a)
            acc = e > acc ? e : acc;
        else if (op == 0x1a)
            acc = e < acc ? e : acc;
        else
            acc += e;
    }
    unsigned osize = op == 0x03 ? 2 * esize : esize; /* the long form widens */
    c->v[d][0] = (uint64_t)acc & emask(osize);
    c->v[d][1] = 0;
}

/* SQDMULL / SQDMLAL / SQDMLSL on one element (C7.2 SQDMLAL: product =
 * SignedSatQ(2 * element1 * element2, 2 * esize), then accum = SignedSatQ(acc +/- product);
 * both saturations set QC). kind: 0 multiply, 1 accumulate, 2 subtract. */
static uint64_t sqdml_elem(struct a64_cpu *c, unsigned kind, unsigned esize, uint64_t a,
                           uint64_t b, uint64_t acc)
{
    unsigned w = 2 * esize;
    __int128 p = 2 * eint(a, esize, false) * eint(b, esize, false);
    p = eint(satq(c, p, w, false), w, false);
    if (kind == 0)
        return (uint64_t)p & emask(w);
    __int128 s = eint(acc, w, false);
    return satq(c, kind == 1 ? s + p : s - p, w, false);
}

/* ---- three different: long, wide and narrow forms (vector), and the saturating doubling
 * multiplies also as scalars ("Advanced SIMD scalar three different") ---- */
void a64_h_simd_3diff(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30) && !scalar, u = A64_BIT(insn, 29);
    unsigned size = A64_BITS(insn, 23, 22), op = A64_BITS(insn, 15, 12), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    bool sqd = op == 0x9 || op == 0xb || op == 0xd;
    if (size == 3 || (op == 0xe && size != 0) || (sqd && size == 0)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned esize = 8u << size, wsize = 2 * esize, nl = 64 / esize, part = q ? nl : 0;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, b[2] = {c->v[m][0], c->v[m][1]};
    uint64_t dd[2] = {c->v[d][0], c->v[d][1]}, r[2] = {0, 0};
    uint64_t wm = emask(wsize);
    if (sqd) { /* SQDMLAL{2} (0x9), SQDMLSL{2} (0xb), SQDMULL{2} (0xd) */
        unsigned kind = op == 0xd ? 0 : op == 0x9 ? 1 : 2;
        for (unsigned i = 0; i < (scalar ? 1 : nl); i++)
            vset(r, wsize, i, sqdml_elem(c, kind, esize, vget(a, esize, i + part),
                                         vget(b, esize, i + part), vget(dd, wsize, i)));
        vwrite(c, d, r, !scalar);
        return;
    }
    if (op == 0x4 || op == 0x6) { /* [R]ADDHN, [R]SUBHN{2}: high half of the wide sum */
        if (q)
            r[0] = dd[0];
        for (unsigned i = 0; i < nl; i++) {
            uint64_t x = vget(a, wsize, i), y = vget(b, wsize, i);
            uint64_t s = (op == 0x4 ? x + y : x - y) + (u ? 1ull << (esize - 1) : 0);
            vset(r, esize, i + part, (s & wm) >> esize);
        }
        vwrite(c, d, r, q);
        return;
    }
    for (unsigned i = 0; i < nl; i++) {
        bool wide_n = op == 0x1 || op == 0x3;
        __int128 x = wide_n ? eint(vget(a, wsize, i), wsize, u) : eint(vget(a, esize, i + part), esize, u);
        __int128 y = eint(vget(b, esize, i + part), esize, u);
        uint64_t acc = vget(dd, wsize, i), v;
        switch (op) {
        case 0x0: case 0x1: v = (uint64_t)(x + y); break;             /* [SU]ADDL, [SU]ADDW */
        case 0x2: case 0x3: v = (uint64_t)(x - y); break;             /* [SU]SUBL, [SU]SUBW */
        case 0x5: v = acc + (uint64_t)(x > y ? x - y : y - x); break; /* [SU]ABAL */
        case 0x7: v = (uint64_t)(x > y ? x - y : y - x); break;       /* [SU]ABDL */
        case 0x8: v = acc + (uint64_t)(x * y); break;                 /* [SU]MLAL */
        case 0xa: v = acc - (uint64_t)(x * y); break;                 /* [SU]MLSL */
        case 0xc: v = (uint64_t)(x * y); break;                       /* [SU]MULL */
        default: {                                                    /* PMULL (bytes) */
            uint64_t ua = (uint64_t)x & 0xff, ub = (uint64_t)y & 0xff;
            v = 0;
            for (unsigned k = 0; k < 8; k++)
                if ((ua >> k) & 1)
                    v ^= ub << k;
            break;
        }
        }
        vset(r, wsize, i, v & wm);
    }
    vwrite(c, d, r, true);
}

/* ---- shift by immediate (vector and scalar) ---- */
void a64_h_simd_shift(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), qbit = A64_BIT(insn, 30), u = A64_BIT(insn, 29);
    unsigned immh = A64_BITS(insn, 22, 19), immhb = A64_BITS(insn, 22, 16);
    unsigned op = A64_BITS(insn, 15, 11), d = insn & 31, n = A64_BITS(insn, 9, 5);
    unsigned hs = 31 - (unsigned)__builtin_clz(immh); /* HighestSetBit(immh) */
    unsigned esize = 8u << hs;
    bool narrow = op >= 0x10 && op <= 0x13, lng = op == 0x14;
    /* ARM DDI0487 C7.2: immh = 1xxx with Q = 0 is reserved for the same-size vector
     * forms; the narrow / long forms have no 64-bit source element of the narrow size. */
    if ((!scalar && !narrow && !lng && hs == 3 && !qbit) || ((narrow || lng) && hs == 3)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned rsh = 2 * esize - immhb;      /* right shifts: esize*2 - immh:immb */
    unsigned lsh = immhb - esize;          /* left shifts:  immh:immb - esize */
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, dd[2] = {c->v[d][0], c->v[d][1]}, r[2] = {0, 0};
    uint64_t m = emask(esize);
    if (narrow || lng) {
        unsigned nsize = esize, nl = scalar ? 1 : 64 / nsize, part = qbit && !scalar ? nl : 0;
        if (lng) {
            for (unsigned i = 0; i < nl; i++) {
                __int128 x = eint(vget(a, nsize, i + part), nsize, u);
                vset(r, 2 * nsize, i, (uint64_t)(x * ((__int128)1 << lsh)) & emask(2 * nsize));
            }
            vwrite(c, d, r, true);
            return;
        }
        /* narrowing right shift of 2*esize elements by 2*esize... per the encoding the
         * shift is relative to the narrow size: shift = 2*esize - immh:immb. */
        if (qbit && !scalar)
            r[0] = dd[0];
        bool round = op & 1, src_uns = u && op >= 0x12, sat = !(op <= 0x11 && !u);
        bool dst_uns = u; /* SQSHRUN/SQRSHRUN, UQ[R]SHRN saturate to unsigned */
        for (unsigned i = 0; i < nl; i++) {
            __int128 x = eint(vget(a, 2 * nsize, i), 2 * nsize, src_uns);
            __int128 v = shift_value(x, -(int)rsh, round);
            uint64_t e = sat ? satq(c, v, nsize, dst_uns) : (uint64_t)v & m;
            vset(r, nsize, i + part, e);
        }
        vwrite(c, d, r, qbit && !scalar);
        return;
    }
    unsigned lanes = scalar ? 1 : (qbit ? 128 : 64) / esize;
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t e = vget(a, esize, i), de = vget(dd, esize, i), v;
        __int128 x = eint(e, esize, u);
        switch (op) {
        case 0x00: case 0x02: case 0x04: case 0x06: { /* [SU][R]SHR, [SU][R]SRA */
            v = (uint64_t)shift_value(x, -(int)rsh, op & 4) & m;
            if (op & 2)
                v = (v + de) & m;
            break;
        }
        case 0x08: { /* SRI: insert, keeping the top rsh bits of the destination */
            uint64_t keep = rsh >= esize ? m : ~(m >> rsh) & m;
            v = rsh >= esize ? de : ((e >> rsh) | (de & keep)) & m;
            break;
        }
        case 0x0a: /* SHL, SLI */
            v = (e << lsh) & m;
            if (u)
                v |= de & ((1ull << lsh) - 1);
            break;
        case 0x0c: /* SQSHLU: signed source, unsigned saturation */
            v = satq(c, shift_value(eint(e, esize, false), (int)lsh, false), esize, true);
            break;
        default: /* SQSHL, UQSHL (immediate) */
            v = satq(c, shift_value(x, (int)lsh, false), esize, u);
            break;
        }
        vset(r, esize, i, v);
    }
    vwrite(c, d, r, qbit && !scalar);
}

/* ---- permute, extract, table lookup ---- */
void a64_h_simd_perm(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30);
    unsigned size = A64_BITS(insn, 23, 22), op = A64_BITS(insn, 14, 12), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    if (size == 3 && !q) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned esize = 8u << size, lanes = (q ? 128 : 64) / esize, part = op >> 2;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, b[2] = {c->v[m][0], c->v[m][1]}, r[2] = {0, 0};
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t v;
        switch (op & 3) {
        case 1: { /* UZP1/UZP2: even/odd elements of Vn:Vm */
            unsigned j = 2 * i + part;
            v = j < lanes ? vget(a, esize, j) : vget(b, esize, j - lanes);
            break;
        }
        case 2: { /* TRN1/TRN2 */
            unsigned p = i / 2;
            v = (i & 1) ? vget(b, esize, 2 * p + part) : vget(a, esize, 2 * p + part);
            break;
        }
        default: { /* ZIP1/ZIP2 */
            unsigned base = part * lanes / 2, p = i / 2;
            v = (i & 1) ? vget(b, esize, base + p) : vget(a, esize, base + p);
            break;
        }
        }
        vset(r, esize, i, v);
    }
    vwrite(c, d, r, q);
}

void a64_h_simd_ext(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30);
    unsigned pos = A64_BITS(insn, 14, 11), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    if (!q && pos >= 8) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned bytes = q ? 16 : 8;
    uint8_t cat[32], out[16] = {0};
    memcpy(cat, c->v[n], 16);
    memcpy(cat + bytes, c->v[m], 16); /* Vm:Vn, low part from Vn */
    memcpy(out, cat + pos, bytes);
    uint64_t r[2];
    memcpy(r, out, 16);
    vwrite(c, d, r, q);
}

void a64_h_simd_tbl(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool q = A64_BIT(insn, 30), tbx = A64_BIT(insn, 12);
    unsigned len = A64_BITS(insn, 14, 13) + 1, d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    uint8_t table[64], idx[16], out[16];
    for (unsigned i = 0; i < len; i++)
        memcpy(table + 16 * i, c->v[(n + i) % 32], 16);
    memcpy(idx, c->v[m], 16);
    memcpy(out, c->v[d], 16);
    unsigned bytes = q ? 16 : 8;
    for (unsigned i = 0; i < bytes; i++) {
        if (idx[i] < 16 * len)
            out[i] = table[idx[i]];
        else if (!tbx)
            out[i] = 0;
    }
    uint64_t r[2];
    memcpy(r, out, 16);
    vwrite(c, d, r, q);
}

/* DUP (element, scalar) = MOV Bd/Hd/Sd/Dd, Vn.T[i] */
void a64_h_simd_dup_scalar(struct a64_cpu *c, uint32_t insn)
{
    unsigned imm5 = A64_BITS(insn, 20, 16);
    if (!(imm5 & 0xf)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned s = (unsigned)__builtin_ctz(imm5), esize = 8u << s;
    uint64_t v = vget(c->v[A64_BITS(insn, 9, 5)], esize, imm5 >> (s + 1));
    c->v[insn & 31][0] = v;
    c->v[insn & 31][1] = 0;
}

/* ADDP (scalar): Dd = Vn.D[0] + Vn.D[1] */
void a64_h_simd_addp_scalar(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    unsigned n = A64_BITS(insn, 9, 5), d = insn & 31;
    uint64_t v = c->v[n][0] + c->v[n][1];
    c->v[d][0] = v;
    c->v[d][1] = 0;
}

/* ---- load/store structures (C7.2.LD1 ... ST4; shared pseudocode in
 * aarch64/instrs/memory/vector/multiple/... and .../single/...) ---- */

/* Memory transfer of one element; 0, or -1 after the abort was taken. */
static int xfer_elem(struct a64_cpu *c, bool load, uint64_t addr, unsigned ebytes, uint64_t *v)
{
    if (load)
        return a64_load(c, addr, ebytes, 0, v);
    return a64_store(c, addr, ebytes, A64_M_WRITE, *v);
}

/* Post-index writeback: Rm = 31 means the immediate (the total transfer size). */
static void ldst_writeback(struct a64_cpu *c, uint32_t insn, uint64_t base, uint64_t total)
{
    if (!A64_BIT(insn, 23))
        return;
    unsigned m = A64_BITS(insn, 20, 16), n = A64_BITS(insn, 9, 5);
    a64_xw_sp(c, n, base + (m == 31 ? total : a64_xr(c, m)));
}

void a64_h_simd_ldst_mult(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30), load = A64_BIT(insn, 22);
    unsigned opcode = A64_BITS(insn, 15, 12), size = A64_BITS(insn, 11, 10);
    unsigned t = insn & 31, n = A64_BITS(insn, 9, 5);
    unsigned rpt, selem;
    switch (opcode) {
    case 0x0: rpt = 1; selem = 4; break;
    case 0x2: rpt = 4; selem = 1; break;
    case 0x4: rpt = 1; selem = 3; break;
    case 0x6: rpt = 3; selem = 1; break;
    case 0x7: rpt = 1; selem = 1; break;
    case 0x8: rpt = 1; selem = 2; break;
    default: rpt = 2; selem = 1; break; /* 0xa */
    }
    if (size == 3 && !q && selem != 1) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    unsigned esize = 8u << size, ebytes = esize / 8, elements = (q ? 128 : 64) / esize;
    /* Loads collect into a copy and commit only when every access succeeded. */
    uint64_t regs[4][2];
    for (unsigned r = 0; r < rpt * selem; r++) {
        regs[r][0] = load ? 0 : c->v[(t + r) % 32][0];
        regs[r][1] = load ? 0 : c->v[(t + r) % 32][1];
    }
    uint64_t off = 0;
    for (unsigned r = 0; r < rpt; r++)
        for (unsigned e = 0; e < elements; e++)
            for (unsigned s = 0; s < selem; s++) {
                uint64_t *reg = regs[r + s];
                uint64_t v = load ? 0 : vget(reg, esize, e);
                if (xfer_elem(c, load, base + off, ebytes, &v))
                    return;
                if (load)
                    vset(reg, esize, e, v);
                off += ebytes;
            }
    if (load)
        for (unsigned r = 0; r < rpt * selem; r++) {
            c->v[(t + r) % 32][0] = regs[r][0];
            c->v[(t + r) % 32][1] = q ? regs[r][1] : 0;
        }
    ldst_writeback(c, insn, base, off);
}

void a64_h_simd_ldst_single(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30), load = A64_BIT(insn, 22), s = A64_BIT(insn, 12);
    unsigned opcode = A64_BITS(insn, 15, 13), size = A64_BITS(insn, 11, 10);
    unsigned t = insn & 31, n = A64_BITS(insn, 9, 5);
    unsigned selem = ((opcode & 1) << 1 | A64_BIT(insn, 21)) + 1;
    unsigned scale = opcode >> 1, index = 0;
    bool replicate = false, ok = true;
    switch (scale) {
    case 3: /* LDnR */
        ok = load && !s;
        scale = size;
        replicate = true;
        break;
    case 0: index = (unsigned)q << 3 | (unsigned)s << 2 | size; break;
    case 1: ok = !(size & 1); index = (unsigned)q << 2 | (unsigned)s << 1 | size >> 1; break;
    default:
        if (size & 2)
            ok = false;
        else if (size == 0)
            index = (unsigned)q << 1 | s;
        else if (s)
            ok = false;
        else {
            index = q;
            scale = 3;
        }
        break;
    }
    if (!ok) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    unsigned esize = 8u << scale, ebytes = esize / 8;
    uint64_t vals[4];
    for (unsigned k = 0; k < selem; k++) {
        vals[k] = load ? 0 : vget(c->v[(t + k) % 32], esize, index);
        if (xfer_elem(c, load, base + k * ebytes, ebytes, &vals[k]))
            return;
    }
    if (load)
        for (unsigned k = 0; k < selem; k++) {
            uint64_t *reg = c->v[(t + k) % 32];
            if (replicate) {
                uint64_t r[2] = {0, 0};
                for (unsigned e = 0; e < (q ? 128 : 64) / esize; e++)
                    vset(r, esize, e, vals[k]);
                reg[0] = r[0];
                reg[1] = r[1];
            } else {
                vset(reg, esize, index, vals[k]);
            }
        }
    ldst_writeback(c, insn, base, (uint64_t)selem * ebytes);
}

/* ---- vector x indexed element, integer: MUL, MLA, MLS, [SU]MULL{2}, [SU]MLAL{2},
 * [SU]MLSL{2}, and (also scalar) SQDMULH, SQRDMULH, SQDMULL{2}, SQDMLAL{2}, SQDMLSL{2}
 * (C7.2 "MUL (by element)" ...). size 01: index H:L:M, Rm in V0-V15; size 10: index H:L,
 * Rm = M:Rm. ---- */
void a64_h_simd_elem(struct a64_cpu *c, uint32_t insn)
{
    bool scalar = A64_BIT(insn, 28), q = A64_BIT(insn, 30) && !scalar, u = A64_BIT(insn, 29);
    unsigned size = A64_BITS(insn, 23, 22), op = A64_BITS(insn, 15, 12), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), h = A64_BIT(insn, 11), l = A64_BIT(insn, 21);
    unsigned mbit = A64_BIT(insn, 20), m, index;
    if (size == 1) {
        index = h << 2 | l << 1 | mbit;
        m = A64_BITS(insn, 19, 16);
    } else if (size == 2) {
        index = h << 1 | l;
        m = A64_BITS(insn, 20, 16);
    } else {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned esize = 8u << size;
    uint64_t a[2] = {c->v[n][0], c->v[n][1]}, dd[2] = {c->v[d][0], c->v[d][1]}, r[2] = {0, 0};
    uint64_t e2 = vget(c->v[m], esize, index);
    if (op == 0xc || op == 0xd) { /* SQDMULH, SQRDMULH (by element, vector and scalar) */
        unsigned lanes = scalar ? 1 : (q ? 128 : 64) / esize;
        for (unsigned i = 0; i < lanes; i++)
            vset(r, esize, i, same_elem(c, 0x16, op == 0xd, esize, vget(a, esize, i), e2, 0));
        vwrite(c, d, r, q);
        return;
    }
    if (op == 0x3 || op == 0x7 || op == 0xb) { /* SQDMLAL{2}, SQDMLSL{2}, SQDMULL{2} */
        unsigned kind = op == 0xb ? 0 : op == 0x3 ? 1 : 2, nl = scalar ? 1 : 64 / esize;
        unsigned part = q ? 64 / esize : 0;
        for (unsigned i = 0; i < nl; i++)
            vset(r, 2 * esize, i, sqdml_elem(c, kind, esize, vget(a, esize, i + part), e2,
                                             vget(dd, 2 * esize, i)));
        vwrite(c, d, r, !scalar);
        return;
    }
    if (op == 0x8 || op == 0x0 || op == 0x4) { /* MUL, MLA, MLS (same size) */
        unsigned lanes = (q ? 128 : 64) / esize;
        uint64_t mk = emask(esize);
        for (unsigned i = 0; i < lanes; i++) {
            uint64_t p = vget(a, esize, i) * e2, acc = vget(dd, esize, i);
            vset(r, esize, i, (op == 0x8 ? p : op == 0x0 ? acc + p : acc - p) & mk);
        }
        vwrite(c, d, r, q);
        return;
    }
    /* long forms: 0x2 [SU]MLAL, 0x6 [SU]MLSL, 0xa [SU]MULL on the lower/upper half */
    unsigned nl = 64 / esize, part = q ? nl : 0, wsize = 2 * esize;
    __int128 y = eint(e2, esize, u);
    for (unsigned i = 0; i < nl; i++) {
        uint64_t p = (uint64_t)(eint(vget(a, esize, i + part), esize, u) * y);
        uint64_t acc = vget(dd, wsize, i);
        vset(r, wsize, i, (op == 0xa ? p : op == 0x2 ? acc + p : acc - p) & emask(wsize));
    }
    vwrite(c, d, r, true);
}
