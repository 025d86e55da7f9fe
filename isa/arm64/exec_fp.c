/* isa/arm64/exec_fp.c - the SIMD&FP subset implemented so far: FMOV (general), MOVI/MVNI/
 * ORR/BIC/FMOV (vector, immediate), DUP, INS, UMOV/SMOV, vector logical and ADD/SUB
 * (ARM DDI0487 C7). The other AdvSIMD integer instructions are in exec_simd.c, scalar and
 * vector floating point in exec_fpu.c; what no table line claims decodes as UNDEFINED. */
#include "isa/arm64/a64_internal.h"

static uint64_t elem_get(const struct a64_cpu *c, unsigned r, unsigned esize_log2, unsigned idx)
{
    const uint8_t *b = (const uint8_t *)c->v[r];
    unsigned bytes = 1u << esize_log2;
    uint64_t v = 0;
    memcpy(&v, b + idx * bytes, bytes); /* little-endian host (x86-64 / arm64) */
    return v;
}

static void elem_set(struct a64_cpu *c, unsigned r, unsigned esize_log2, unsigned idx, uint64_t v)
{
    uint8_t *b = (uint8_t *)c->v[r];
    memcpy(b + idx * (1u << esize_log2), &v, 1u << esize_log2);
}

/* imm5 -> element size (log2 bytes) and index, or false when reserved. */
static bool imm5_decode(unsigned imm5, unsigned *size, unsigned *idx)
{
    if (!(imm5 & 0xf))
        return false;
    unsigned s = (unsigned)__builtin_ctz(imm5);
    *size = s;
    *idx = imm5 >> (s + 1);
    return true;
}

static uint64_t replicate_elem(uint64_t v, unsigned size)
{
    unsigned bits = 8u << size;
    if (bits < 64)
        v &= (1ull << bits) - 1;
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i += bits)
        r |= v << i;
    return r;
}

void a64_h_fmov_gen(struct a64_cpu *c, uint32_t insn)
{
    unsigned sf = A64_BIT(insn, 31), type = A64_BITS(insn, 23, 22);
    unsigned rmode = A64_BITS(insn, 20, 19), op = A64_BITS(insn, 18, 16);
    unsigned n = A64_BITS(insn, 9, 5), d = insn & 31;
    unsigned key = sf << 7 | type << 5 | rmode << 3 | op;
    switch (key) {
    case 0x06: /* FMOV Wd, Sn */
    case 0x07: /* FMOV Sd, Wn */
    case 0xa6: /* FMOV Xd, Dn */
    case 0xa7: /* FMOV Dd, Xn */
    case 0xce: /* FMOV Xd, Vn.D[1] */
    case 0xcf: /* FMOV Vd.D[1], Xn */
        break;
    default:
        if (!a64_fp_cvt_int_valid(insn)) {
            a64_undef(c); /* half precision (FEAT_FP16) and unallocated encodings */
            return;
        }
        if (a64_fp_check(c))
            a64_fp_cvt_int(c, insn);
        return;
    }
    if (!a64_fp_check(c))
        return;
    switch (key) {
    case 0x06: a64_xw(c, d, c->v[n][0] & 0xffffffffull); break;
    case 0x07: c->v[d][0] = a64_xr(c, n) & 0xffffffffull; c->v[d][1] = 0; break;
    case 0xa6: a64_xw(c, d, c->v[n][0]); break;
    case 0xa7: c->v[d][0] = a64_xr(c, n); c->v[d][1] = 0; break;
    case 0xce: a64_xw(c, d, c->v[n][1]); break;
    default: c->v[d][1] = a64_xr(c, n); break;
    }
}

/* AdvSIMDExpandImm (ARM DDI0487 J1 shared/functions/vector/AdvSIMDExpandImm). */
static bool expand_imm(unsigned op, unsigned cmode, uint64_t imm8, bool q, uint64_t *out)
{
    uint64_t r;
    switch (cmode >> 1) {
    case 0: r = replicate_elem(imm8, 2); break;
    case 1: r = replicate_elem(imm8 << 8, 2); break;
    case 2: r = replicate_elem(imm8 << 16, 2); break;
    case 3: r = replicate_elem(imm8 << 24, 2); break;
    case 4: r = replicate_elem(imm8, 1); break;
    case 5: r = replicate_elem(imm8 << 8, 1); break;
    case 6:
        r = (cmode & 1) ? replicate_elem(imm8 << 16 | 0xffff, 2) : replicate_elem(imm8 << 8 | 0xff, 2);
        break;
    default:
        if (!(cmode & 1) && !op) {
            r = replicate_elem(imm8, 0);
        } else if (!(cmode & 1)) {
            r = 0;
            for (unsigned i = 0; i < 8; i++)
                if ((imm8 >> i) & 1)
                    r |= 0xffull << (8 * i);
        } else if (!op) {
            uint64_t b6 = (imm8 >> 6) & 1;
            uint64_t f = (imm8 >> 7) << 31 | (b6 ^ 1) << 30 | (b6 ? 0x1full : 0) << 25 |
                         (imm8 & 0x3f) << 19;
            r = replicate_elem(f, 2);
        } else {
            if (!q)
                return false;
            uint64_t b6 = (imm8 >> 6) & 1;
            r = (imm8 >> 7) << 63 | (b6 ^ 1) << 62 | (b6 ? 0xffull : 0) << 54 | (imm8 & 0x3f) << 48;
        }
        break;
    }
    *out = r;
    return true;
}

void a64_h_movi(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30);
    unsigned op = A64_BIT(insn, 29), cmode = A64_BITS(insn, 15, 12), d = insn & 31;
    uint64_t imm8 = A64_BITS(insn, 18, 16) << 5 | A64_BITS(insn, 9, 5), imm;
    if (A64_BIT(insn, 11) || !expand_imm(op, cmode, imm8, q, &imm)) {
        a64_undef(c); /* o2 = 1 is FMOV (half precision), FEAT_FP16 */
        return;
    }
    if (!a64_fp_check(c))
        return;
    uint64_t lo = c->v[d][0], hi = c->v[d][1];
    bool orr_bic = (cmode & 1) && cmode < 12;
    if (orr_bic) {
        lo = op ? lo & ~imm : lo | imm;
        hi = op ? hi & ~imm : hi | imm;
    } else {
        bool mvn = op && cmode < 14;
        lo = hi = mvn ? ~imm : imm;
    }
    c->v[d][0] = lo;
    c->v[d][1] = q ? hi : 0;
}

void a64_h_dup_elem(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30);
    unsigned size, idx;
    if (!imm5_decode(A64_BITS(insn, 20, 16), &size, &idx) || (size == 3 && !q)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    uint64_t r = replicate_elem(elem_get(c, A64_BITS(insn, 9, 5), size, idx), size);
    unsigned d = insn & 31;
    c->v[d][0] = r;
    c->v[d][1] = q ? r : 0;
}

void a64_h_dup_gen(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30);
    unsigned size, idx;
    if (!imm5_decode(A64_BITS(insn, 20, 16), &size, &idx) || (size == 3 && !q)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    uint64_t r = replicate_elem(a64_xr(c, A64_BITS(insn, 9, 5)), size);
    unsigned d = insn & 31;
    c->v[d][0] = r;
    c->v[d][1] = q ? r : 0;
}

void a64_h_ins_gen(struct a64_cpu *c, uint32_t insn)
{
    unsigned size, idx;
    if (!imm5_decode(A64_BITS(insn, 20, 16), &size, &idx)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    elem_set(c, insn & 31, size, idx, a64_xr(c, A64_BITS(insn, 9, 5)));
}

void a64_h_mov_to_gen(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30), is_umov = A64_BIT(insn, 12);
    unsigned size, idx;
    bool ok = imm5_decode(A64_BITS(insn, 20, 16), &size, &idx);
    if (ok && is_umov)
        ok = (size == 3) == q; /* UMOV Wd for B/H/S, Xd for D */
    else if (ok)
        ok = size < 2 || (size == 2 && q); /* SMOV Wd from B/H, Xd from B/H/S */
    if (!ok) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    uint64_t v = elem_get(c, A64_BITS(insn, 9, 5), size, idx);
    if (!is_umov) {
        v = (uint64_t)a64_sext(v, 8u << size);
        if (!q)
            v &= 0xffffffffull;
    }
    a64_xw(c, insn & 31, v);
}

void a64_h_ins_elem(struct a64_cpu *c, uint32_t insn)
{
    unsigned size, idx;
    if (!imm5_decode(A64_BITS(insn, 20, 16), &size, &idx)) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned src = A64_BITS(insn, 14, 11) >> size;
    elem_set(c, insn & 31, size, idx, elem_get(c, A64_BITS(insn, 9, 5), size, src));
}

void a64_h_vlogic(struct a64_cpu *c, uint32_t insn)
{
    if (!a64_fp_check(c))
        return;
    bool q = A64_BIT(insn, 30), u = A64_BIT(insn, 29);
    unsigned opc = A64_BITS(insn, 23, 22), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    uint64_t r[2];
    for (unsigned i = 0; i < 2; i++) {
        uint64_t a = c->v[n][i], b = c->v[m][i], dd = c->v[d][i];
        switch (u << 2 | opc) {
        case 0: r[i] = a & b; break;
        case 1: r[i] = a & ~b; break;
        case 2: r[i] = a | b; break;
        case 3: r[i] = a | ~b; break;
        case 4: r[i] = a ^ b; break;
        case 5: r[i] = (a & dd) | (b & ~dd); break; /* BSL */
        case 6: r[i] = (dd & ~b) | (a & b); break;  /* BIT */
        default: r[i] = (dd & b) | (a & ~b); break; /* BIF */
        }
    }
    c->v[d][0] = r[0];
    c->v[d][1] = q ? r[1] : 0;
}

void a64_h_vaddsub(struct a64_cpu *c, uint32_t insn)
{
    bool q = A64_BIT(insn, 30), sub = A64_BIT(insn, 29);
    unsigned size = A64_BITS(insn, 23, 22), d = insn & 31;
    unsigned n = A64_BITS(insn, 9, 5), m = A64_BITS(insn, 20, 16);
    if (size == 3 && !q) {
        a64_undef(c);
        return;
    }
    if (!a64_fp_check(c))
        return;
    unsigned lanes = (q ? 16u : 8u) >> size;
    uint64_t res[2] = {0, 0};
    uint64_t mask = size == 3 ? UINT64_MAX : (1ull << (8u << size)) - 1;
    for (unsigned i = 0; i < lanes; i++) {
        uint64_t a = elem_get(c, n, size, i), b = elem_get(c, m, size, i);
        uint64_t r = (sub ? a - b : a + b) & mask;
        unsigned bitpos = i * (8u << size);
        res[bitpos / 64] |= r << (bitpos % 64);
    }
    c->v[d][0] = res[0];
    c->v[d][1] = res[1];
}
