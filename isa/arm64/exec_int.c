/* isa/arm64/exec_int.c - A64 integer data processing (immediate and register) and
 * branches, exception generation, hints and barriers (ARM DDI0487 C6, pseudocode in J1). */
#include "isa/arm64/a64_internal.h"

static inline uint64_t width_mask(bool sf)
{
    return sf ? UINT64_MAX : 0xffffffffull;
}

/* AddWithCarry (ARM DDI0487 J1 shared/functions/integer/AddWithCarry). */
static inline __attribute__((always_inline)) uint64_t
add_with_carry(struct a64_cpu *c, uint64_t x, uint64_t y, unsigned carry, bool sf, bool setflags)
{
    if (!setflags) /* the flags are the expensive part; without S only the sum is needed */
        return sf ? x + y + carry : (uint32_t)(x + y + carry);
    uint64_t r;
    uint32_t n, z, cf, v;
    if (sf) {
        unsigned __int128 u = (unsigned __int128)x + y + carry;
        r = (uint64_t)u;
        n = r >> 63;
        cf = (uint32_t)(u >> 64) & 1;
        v = (uint32_t)((((x ^ r) & (y ^ r)) >> 63) & 1);
    } else {
        uint32_t x32 = (uint32_t)x, y32 = (uint32_t)y;
        uint64_t u = (uint64_t)x32 + y32 + carry;
        uint32_t r32 = (uint32_t)u;
        r = r32;
        n = r32 >> 31;
        cf = (uint32_t)(u >> 32) & 1;
        v = (((x32 ^ r32) & (y32 ^ r32)) >> 31) & 1;
    }
    z = r == 0;
    if (setflags)
        c->nzcv = n << 31 | z << 30 | cf << 29 | v << 28;
    return r;
}

static void logic_flags(struct a64_cpu *c, uint64_t r, bool sf)
{
    uint32_t n = sf ? (uint32_t)(r >> 63) : (uint32_t)(r >> 31) & 1;
    c->nzcv = n << 31 | (uint32_t)(r == 0) << 30;
}

static inline uint64_t ror(uint64_t v, unsigned sh, unsigned width)
{
    sh %= width;
    if (!sh)
        return v;
    uint64_t m = width == 64 ? UINT64_MAX : (1ull << width) - 1;
    v &= m;
    return ((v >> sh) | (v << (width - sh))) & m;
}

static inline uint64_t ones(unsigned n)
{
    return n >= 64 ? UINT64_MAX : (1ull << n) - 1;
}

/* Replicate (ARM DDI0487 J1 shared/functions/common/Replicate) of an esize-bit element
 * (esize a power of two, 2..64, elem < 2^esize) to 64 bits: one multiplication by the
 * pattern with a 1 at the bottom of every element (no carries between elements). */
static inline uint64_t replicate(uint64_t elem, unsigned esize)
{
    static const uint64_t bottoms[7] = {
        UINT64_MAX,         0x5555555555555555ull, 0x1111111111111111ull, 0x0101010101010101ull,
        0x0001000100010001ull, 0x0000000100000001ull, 1,
    };
    return elem * bottoms[__builtin_ctz(esize) % 7];
}

/* DecodeBitMasks (ARM DDI0487 J1 aarch64/instrs/integer/bitmasks). false = UNDEFINED. */
static bool decode_bit_masks(unsigned immn, unsigned imms, unsigned immr, bool immediate,
                             unsigned datasize, uint64_t *wmask, uint64_t *tmask)
{
    unsigned v = (immn << 6) | (~imms & 0x3f);
    if (!v)
        return false;
    int len = 31 - __builtin_clz(v);
    if (len < 1)
        return false;
    unsigned esize = 1u << len;
    if (esize > datasize)
        return false;
    unsigned levels = esize - 1;
    if (immediate && (imms & levels) == levels)
        return false;
    unsigned s = imms & levels, r = immr & levels;
    unsigned d = (s - r) & levels;
    uint64_t welem = ones(s + 1), telem = ones(d + 1);
    /* ROR of an esize-bit element by r < esize (no modulo needed) */
    uint64_t rot = r ? ((welem >> r) | (welem << (esize - r))) & ones(esize) : welem;
    *wmask = replicate(rot, esize) & ones(datasize);
    *tmask = replicate(telem, esize) & ones(datasize);
    return true;
}

static uint64_t shift_reg(uint64_t v, unsigned type, unsigned amount, bool sf)
{
    unsigned w = sf ? 64 : 32;
    v &= width_mask(sf);
    switch (type) {
    case 0: return (v << amount) & width_mask(sf);
    case 1: return v >> amount;
    case 2: return sf ? (uint64_t)((int64_t)v >> amount)
                      : (uint64_t)(uint32_t)((int32_t)(uint32_t)v >> amount);
    default: return ror(v, amount, w);
    }
}

/* ExtendReg (ARM DDI0487 J1 aarch64/instrs/extendreg). */
static uint64_t extend_reg(uint64_t v, unsigned option, unsigned shift)
{
    switch (option) {
    case 0: v = (uint8_t)v; break;
    case 1: v = (uint16_t)v; break;
    case 2: v = (uint32_t)v; break;
    case 3: break;
    case 4: v = (uint64_t)(int64_t)(int8_t)v; break;
    case 5: v = (uint64_t)(int64_t)(int16_t)v; break;
    case 6: v = (uint64_t)(int64_t)(int32_t)v; break;
    default: break;
    }
    return v << shift;
}

/* ---- data processing, immediate ---- */
void a64_h_adr(struct a64_cpu *c, uint32_t insn)
{
    int64_t imm = a64_sext((A64_BITS(insn, 23, 5) << 2) | A64_BITS(insn, 30, 29), 21);
    uint64_t r = A64_BIT(insn, 31) ? (c->pc & ~0xfffull) + ((uint64_t)imm << 12) : c->pc + (uint64_t)imm;
    a64_xw(c, insn & 31, r);
}

void a64_h_addsub_imm(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), sub = A64_BIT(insn, 30), s = A64_BIT(insn, 29);
    uint64_t imm = A64_BITS(insn, 21, 10) << (A64_BIT(insn, 22) ? 12 : 0);
    uint64_t x = a64_xr_sp(c, A64_BITS(insn, 9, 5));
    uint64_t r = sub ? add_with_carry(c, x, ~imm, 1, sf, s) : add_with_carry(c, x, imm, 0, sf, s);
    if (s)
        a64_xw(c, insn & 31, r);
    else
        a64_xw_sp(c, insn & 31, r);
}

void a64_h_logic_imm(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31);
    unsigned opc = A64_BITS(insn, 30, 29), n = A64_BIT(insn, 22);
    uint64_t wmask, tmask;
    if ((!sf && n) || !decode_bit_masks(n, A64_BITS(insn, 15, 10), A64_BITS(insn, 21, 16), true,
                                        sf ? 64 : 32, &wmask, &tmask)) {
        a64_undef(c);
        return;
    }
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5)) & width_mask(sf), r;
    switch (opc) {
    case 0: r = x & wmask; break;
    case 1: r = x | wmask; break;
    case 2: r = x ^ wmask; break;
    default:
        r = x & wmask;
        logic_flags(c, r, sf);
        a64_xw(c, insn & 31, r);
        return;
    }
    a64_xw_sp(c, insn & 31, r);
}

void a64_h_movw(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31);
    unsigned opc = A64_BITS(insn, 30, 29), hw = A64_BITS(insn, 22, 21);
    if (!sf && hw >= 2) {
        a64_undef(c);
        return;
    }
    unsigned pos = hw * 16;
    uint64_t imm = (uint64_t)A64_BITS(insn, 20, 5) << pos, r;
    unsigned d = insn & 31;
    if (opc == 0)
        r = ~imm;
    else if (opc == 2)
        r = imm;
    else
        r = (a64_xr(c, d) & ~(0xffffull << pos)) | imm;
    a64_xw(c, d, r & width_mask(sf));
}

void a64_h_bitfield(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31);
    unsigned opc = A64_BITS(insn, 30, 29), n = A64_BIT(insn, 22);
    unsigned immr = A64_BITS(insn, 21, 16), imms = A64_BITS(insn, 15, 10);
    unsigned w = sf ? 64 : 32;
    uint64_t wmask, tmask;
    if (n != (unsigned)sf || (!sf && (immr >= 32 || imms >= 32)) ||
        !decode_bit_masks(n, imms, immr, false, w, &wmask, &tmask)) {
        a64_undef(c);
        return;
    }
    unsigned d = insn & 31;
    uint64_t dst = opc == 1 ? a64_xr(c, d) : 0;
    uint64_t src = a64_xr(c, A64_BITS(insn, 9, 5)) & width_mask(sf);
    uint64_t bot = (dst & ~wmask) | (ror(src, immr, w) & wmask);
    uint64_t top;
    if (opc == 0)
        top = ((src >> imms) & 1) ? width_mask(sf) : 0;
    else if (opc == 1)
        top = dst;
    else
        top = 0;
    a64_xw(c, d, ((top & ~tmask) | (bot & tmask)) & width_mask(sf));
}

void a64_h_extr(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31);
    unsigned lsb = A64_BITS(insn, 15, 10);
    if (!sf && lsb >= 32) {
        a64_undef(c);
        return;
    }
    uint64_t hi = a64_xr(c, A64_BITS(insn, 9, 5)), lo = a64_xr(c, A64_BITS(insn, 20, 16)), r;
    if (sf) {
        r = lsb ? (lo >> lsb) | (hi << (64 - lsb)) : lo;
    } else {
        uint64_t cat = (hi & 0xffffffffull) << 32 | (lo & 0xffffffffull);
        r = (cat >> lsb) & 0xffffffffull;
    }
    a64_xw(c, insn & 31, r);
}

/* ---- branches ---- */
void a64_h_b(struct a64_cpu *c, uint32_t insn)
{
    if (A64_BIT(insn, 31))
        c->x[30] = c->pc + 4;
    c->npc = c->pc + ((uint64_t)a64_sext(insn & 0x3ffffff, 26) << 2);
}

void a64_h_cb(struct a64_cpu *c, uint32_t insn)
{
    uint64_t v = a64_xr(c, insn & 31) & width_mask(A64_BIT(insn, 31));
    if ((v == 0) != A64_BIT(insn, 24))
        c->npc = c->pc + ((uint64_t)a64_sext(A64_BITS(insn, 23, 5), 19) << 2);
}

void a64_h_tb(struct a64_cpu *c, uint32_t insn)
{
    unsigned bit = (A64_BIT(insn, 31) << 5) | A64_BITS(insn, 23, 19);
    unsigned set = (a64_xr(c, insn & 31) >> bit) & 1;
    if (set == A64_BIT(insn, 24))
        c->npc = c->pc + ((uint64_t)a64_sext(A64_BITS(insn, 18, 5), 14) << 2);
}

void a64_h_bcond(struct a64_cpu *c, uint32_t insn)
{
    if (a64_cond(c->nzcv, insn & 15))
        c->npc = c->pc + ((uint64_t)a64_sext(A64_BITS(insn, 23, 5), 19) << 2);
}

void a64_h_br(struct a64_cpu *c, uint32_t insn)
{
    uint64_t target = a64_xr(c, A64_BITS(insn, 9, 5));
    if (A64_BITS(insn, 22, 21) == 1) /* BLR */
        c->x[30] = c->pc + 4;
    c->npc = target;
}

void a64_h_eret(struct a64_cpu *c, uint32_t insn)
{
    if (c->el == 0) {
        a64_undef(c);
        return;
    }
    a64_exception_return(c);
}

void a64_h_exc_gen(struct a64_cpu *c, uint32_t insn)
{
    unsigned opc = A64_BITS(insn, 23, 21), ll = insn & 3;
    uint32_t imm16 = A64_BITS(insn, 20, 5);
    const uint64_t HCR_TSC = 1ull << 19, HCR_HCD = 1ull << 29;
    if (opc == 0 && ll == 1) { /* SVC: preferred return is the next instruction */
        a64_exception(c, A64_EC_SVC, imm16, 0, false, c->pc + 4);
    } else if (opc == 0 && ll == 2) { /* HVC: UNDEFINED at EL0 or without EL2 / HCR.HCD */
        if (c->el == 0 || !c->have_el2 || (c->hcr_el2 & HCR_HCD))
            a64_undef(c);
        else
            a64_trap_el2(c, A64_EC_HVC, imm16, 0, 0, c->pc + 4);
    } else if (opc == 0 && ll == 3) { /* SMC: trapped by HCR_EL2.TSC, else no EL3: UNDEF */
        if (c->el == 1 && c->have_el2 && (c->hcr_el2 & HCR_TSC))
            a64_trap_el2(c, A64_EC_SMC, imm16, 0, 0, c->pc);
        else
            a64_undef(c);
    } else if (opc == 1) { /* BRK: preferred return is the BRK itself */
        if (imm16 == 0xf000) {
            a64_stop_run(c, A64_STOP_END_MARKER);
            c->npc = c->pc;
            return;
        }
        a64_exception(c, A64_EC_BRK, imm16, 0, false, c->pc);
    } else {
        /* HLT with halting debug disabled (EDSCR.HDE == 0) is UNDEFINED (ARM DDI0487 C6.2.103). */
        a64_undef(c);
    }
}

void a64_h_hint(struct a64_cpu *c, uint32_t insn)
{
    unsigned op = A64_BITS(insn, 11, 5); /* CRm:op2 */
    const uint64_t SCTLR_NTWI = 1ull << 16, SCTLR_NTWE = 1ull << 18;
    const uint64_t HCR_TWI = 1ull << 13, HCR_TWE = 1ull << 14;
    if (op == 2 || op == 3) {
        bool wfi = op == 3;
        /* ISS for WFI/WFE traps from AArch64: CV = 1, COND = 0b1110, TI = WFE. */
        uint32_t iss = 0x1e00000 | (wfi ? 0 : 1);
        if (c->el == 0 && !(c->sctlr_el1 & (wfi ? SCTLR_NTWI : SCTLR_NTWE))) {
            a64_exception(c, A64_EC_WFX, iss, 0, false, c->pc);
            return;
        }
        if (c->have_el2 && (c->hcr_el2 & (wfi ? HCR_TWI : HCR_TWE))) {
            a64_trap_el2(c, A64_EC_WFX, iss, 0, 0, c->pc);
            return;
        }
        if (wfi)
            (void)a64_wfi_wakeup(c);
        /* WFE completes at once: it is permitted to wake for any reason (D1.16.1). */
        return;
    }
    /* Everything else in the hint space (YIELD, SEV, SEVL, ESB, PSB, CSDB, BTI, CLEARBHB,
     * the PAuth hints when FEAT_PAuth is not implemented, ...) executes as NOP (C6.2.95). */
}

void a64_h_barrier(struct a64_cpu *c, uint32_t insn)
{
    unsigned op2 = A64_BITS(insn, 7, 5);
    if (op2 == 2) /* CLREX */
        c->mon_valid = false;
    /* DSB/DMB/ISB: the interpreter executes in order; nothing is buffered. */
}

/* ---- data processing, register ---- */
void a64_h_logic_reg(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31);
    unsigned opc = A64_BITS(insn, 30, 29), amount = A64_BITS(insn, 15, 10);
    if (!sf && amount >= 32) {
        a64_undef(c);
        return;
    }
    uint64_t y = shift_reg(a64_xr(c, A64_BITS(insn, 20, 16)), A64_BITS(insn, 23, 22), amount, sf);
    if (A64_BIT(insn, 21))
        y = ~y & width_mask(sf);
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5)) & width_mask(sf), r;
    switch (opc) {
    case 0: r = x & y; break;
    case 1: r = x | y; break;
    case 2: r = x ^ y; break;
    default: r = x & y; logic_flags(c, r, sf); break;
    }
    a64_xw(c, insn & 31, r);
}

void a64_h_addsub_shift(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), sub = A64_BIT(insn, 30), s = A64_BIT(insn, 29);
    unsigned type = A64_BITS(insn, 23, 22), amount = A64_BITS(insn, 15, 10);
    if (type == 3 || (!sf && amount >= 32)) {
        a64_undef(c);
        return;
    }
    uint64_t y = shift_reg(a64_xr(c, A64_BITS(insn, 20, 16)), type, amount, sf);
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5));
    uint64_t r = sub ? add_with_carry(c, x, ~y, 1, sf, s) : add_with_carry(c, x, y, 0, sf, s);
    a64_xw(c, insn & 31, r);
}

void a64_h_addsub_ext(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), sub = A64_BIT(insn, 30), s = A64_BIT(insn, 29);
    unsigned shift = A64_BITS(insn, 12, 10);
    if (shift > 4) {
        a64_undef(c);
        return;
    }
    uint64_t y = extend_reg(a64_xr(c, A64_BITS(insn, 20, 16)), A64_BITS(insn, 15, 13), shift);
    uint64_t x = a64_xr_sp(c, A64_BITS(insn, 9, 5));
    uint64_t r = sub ? add_with_carry(c, x, ~y, 1, sf, s) : add_with_carry(c, x, y, 0, sf, s);
    if (s)
        a64_xw(c, insn & 31, r);
    else
        a64_xw_sp(c, insn & 31, r);
}

void a64_h_adc(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), sub = A64_BIT(insn, 30), s = A64_BIT(insn, 29);
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5)), y = a64_xr(c, A64_BITS(insn, 20, 16));
    if (sub)
        y = ~y;
    a64_xw(c, insn & 31, add_with_carry(c, x, y, (c->nzcv >> 29) & 1, sf, s));
}

void a64_h_ccmp(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), sub = A64_BIT(insn, 30);
    if (!a64_cond(c->nzcv, A64_BITS(insn, 15, 12))) {
        c->nzcv = (insn & 15) << 28;
        return;
    }
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5));
    uint64_t y = A64_BIT(insn, 11) ? A64_BITS(insn, 20, 16) : a64_xr(c, A64_BITS(insn, 20, 16));
    if (sub)
        add_with_carry(c, x, ~y, 1, sf, true);
    else
        add_with_carry(c, x, y, 0, sf, true);
}

void a64_h_csel(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), inv = A64_BIT(insn, 30), inc = A64_BIT(insn, 10);
    uint64_t r;
    if (a64_cond(c->nzcv, A64_BITS(insn, 15, 12))) {
        r = a64_xr(c, A64_BITS(insn, 9, 5));
    } else {
        r = a64_xr(c, A64_BITS(insn, 20, 16));
        if (inv)
            r = ~r;
        if (inc)
            r++;
    }
    a64_xw(c, insn & 31, r & width_mask(sf));
}

static uint64_t bswap_in(uint64_t v, unsigned container)
{
    uint64_t r = 0;
    for (unsigned base = 0; base < 64; base += container)
        for (unsigned b = 0; b < container; b += 8)
            r |= ((v >> (base + b)) & 0xff) << (base + container - 8 - b);
    return r;
}

void a64_h_dp1(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31);
    unsigned op = A64_BITS(insn, 15, 10), w = sf ? 64 : 32;
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5)) & width_mask(sf), r = 0;
    switch (op) {
    case 0: /* RBIT */
        for (unsigned i = 0; i < w; i++)
            r |= ((x >> i) & 1) << (w - 1 - i);
        break;
    case 1: r = bswap_in(x, 16); break;
    case 2: r = bswap_in(x, 32); break; /* REV32 (64-bit) / REV (32-bit) */
    case 3: r = bswap_in(x, 64); break;
    case 4: r = x ? (unsigned)__builtin_clzll(x) - (64 - w) : w; break;
    default: { /* CLS: leading sign bits, not counting the sign bit itself */
        uint64_t t = (x ^ (x >> 1)) & (width_mask(sf) >> 1);
        r = t ? (unsigned)__builtin_clzll(t) - (64 - w) - 1 : w - 1;
        break;
    }
    }
    a64_xw(c, insn & 31, r & width_mask(sf));
}

void a64_h_dp2(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31);
    unsigned op = A64_BITS(insn, 15, 10), w = sf ? 64 : 32;
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5)) & width_mask(sf);
    uint64_t y = a64_xr(c, A64_BITS(insn, 20, 16)) & width_mask(sf), r;
    switch (op) {
    case 2: r = y ? x / y : 0; break;
    case 3:
        if (!y) {
            r = 0;
        } else if (sf) {
            int64_t a = (int64_t)x, b = (int64_t)y;
            r = (a == INT64_MIN && b == -1) ? x : (uint64_t)(a / b);
        } else {
            int32_t a = (int32_t)(uint32_t)x, b = (int32_t)(uint32_t)y;
            r = (a == INT32_MIN && b == -1) ? x : (uint64_t)(uint32_t)(a / b);
        }
        break;
    default: r = shift_reg(x, op & 3, (unsigned)(y % w), sf); break;
    }
    a64_xw(c, insn & 31, r & width_mask(sf));
}

void a64_h_crc32(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), castagnoli = A64_BIT(insn, 12);
    unsigned sz = A64_BITS(insn, 11, 10);
    if (sf != (sz == 3)) {
        a64_undef(c);
        return;
    }
    /* CRC32 polynomial 0x04C11DB7 / CRC32C 0x1EDC6F41, bit-reflected (C6.2.77). */
    uint32_t poly = castagnoli ? 0x82f63b78u : 0xedb88320u;
    uint32_t crc = (uint32_t)a64_xr(c, A64_BITS(insn, 9, 5));
    uint64_t data = a64_xr(c, A64_BITS(insn, 20, 16));
    for (unsigned i = 0; i < (1u << sz); i++) {
        crc ^= (uint8_t)(data >> (8 * i));
        for (unsigned b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (poly & (0u - (crc & 1)));
    }
    a64_xw(c, insn & 31, crc);
}

void a64_h_dp3(struct a64_cpu *c, uint32_t insn)
{
    bool sf = A64_BIT(insn, 31), o0 = A64_BIT(insn, 15);
    unsigned op31 = A64_BITS(insn, 23, 21);
    uint64_t n = a64_xr(c, A64_BITS(insn, 9, 5)), m = a64_xr(c, A64_BITS(insn, 20, 16));
    uint64_t a = a64_xr(c, A64_BITS(insn, 14, 10)), r;
    switch (op31) {
    case 0:
        r = o0 ? a - n * m : a + n * m;
        r &= width_mask(sf);
        break;
    case 1: {
        uint64_t p = (uint64_t)((int64_t)(int32_t)n * (int64_t)(int32_t)m);
        r = o0 ? a - p : a + p;
        break;
    }
    case 2:
        r = (uint64_t)(((__int128)(int64_t)n * (int64_t)m) >> 64);
        break;
    case 5: {
        uint64_t p = (uint64_t)(uint32_t)n * (uint32_t)m;
        r = o0 ? a - p : a + p;
        break;
    }
    default:
        r = (uint64_t)(((unsigned __int128)n * m) >> 64);
        break;
    }
    a64_xw(c, insn & 31, r);
}

/* ---- specialised forms (a64_internal.h), chosen by a64_decode_entry for the commonest
 * encodings; each computes exactly what the general handler computes for them ---- */
static inline uint64_t imm12(uint32_t insn)
{
    return (uint64_t)A64_BITS(insn, 21, 10) << (A64_BIT(insn, 22) ? 12 : 0);
}

/* NZCV of x - y, i.e. AddWithCarry(x, NOT(y), 1) (ARM DDI0487 J1 shared/functions/integer):
 * C = no borrow (x >= y unsigned), V = the operands' signs differ and the result's sign
 * differs from x's. */
static inline uint32_t sub_flags64(uint64_t x, uint64_t y, uint64_t r)
{
    return (uint32_t)(r >> 63) << 31 | (uint32_t)(r == 0) << 30 | (uint32_t)(x >= y) << 29 |
           (uint32_t)(((x ^ y) & (x ^ r)) >> 63) << 28;
}

static inline uint32_t sub_flags32(uint32_t x, uint32_t y, uint32_t r)
{
    return (r >> 31) << 31 | (uint32_t)(r == 0) << 30 | (uint32_t)(x >= y) << 29 |
           (((x ^ y) & (x ^ r)) >> 31) << 28;
}

void a64_h_add_imm64(struct a64_cpu *c, uint32_t insn) /* ADD Xd|SP, Xn|SP, #imm */
{
    a64_xw_sp(c, insn & 31, a64_xr_sp(c, A64_BITS(insn, 9, 5)) + imm12(insn));
}

void a64_h_sub_imm64(struct a64_cpu *c, uint32_t insn) /* SUB Xd|SP, Xn|SP, #imm */
{
    a64_xw_sp(c, insn & 31, a64_xr_sp(c, A64_BITS(insn, 9, 5)) - imm12(insn));
}

void a64_h_subs_imm64(struct a64_cpu *c, uint32_t insn) /* SUBS Xd, Xn|SP, #imm (CMP) */
{
    uint64_t x = a64_xr_sp(c, A64_BITS(insn, 9, 5)), y = imm12(insn), r = x - y;
    c->nzcv = sub_flags64(x, y, r);
    a64_xw(c, insn & 31, r);
}

void a64_h_subs_imm32(struct a64_cpu *c, uint32_t insn) /* SUBS Wd, Wn|WSP, #imm (CMP) */
{
    uint32_t x = (uint32_t)a64_xr_sp(c, A64_BITS(insn, 9, 5)), y = (uint32_t)imm12(insn);
    uint32_t r = x - y;
    c->nzcv = sub_flags32(x, y, r);
    a64_xw(c, insn & 31, r);
}

/* ADD/SUB (shifted register), 64-bit, no flags, shift type LSL/LSR/ASR. */
void a64_h_addsub_reg64(struct a64_cpu *c, uint32_t insn)
{
    uint64_t y = shift_reg(a64_xr(c, A64_BITS(insn, 20, 16)), A64_BITS(insn, 23, 22),
                           A64_BITS(insn, 15, 10), true);
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5));
    a64_xw(c, insn & 31, A64_BIT(insn, 30) ? x - y : x + y);
}

/* SUBS (shifted register), 64-bit (CMP Xn, Xm{, shift}). */
void a64_h_subs_reg64(struct a64_cpu *c, uint32_t insn)
{
    uint64_t y = shift_reg(a64_xr(c, A64_BITS(insn, 20, 16)), A64_BITS(insn, 23, 22),
                           A64_BITS(insn, 15, 10), true);
    uint64_t x = a64_xr(c, A64_BITS(insn, 9, 5)), r = x - y;
    c->nzcv = sub_flags64(x, y, r);
    a64_xw(c, insn & 31, r);
}

/* ORR Xd, XZR, Xm (MOV register, 64-bit: no shift, not inverted). */
void a64_h_mov_reg64(struct a64_cpu *c, uint32_t insn)
{
    a64_xw(c, insn & 31, a64_xr(c, A64_BITS(insn, 20, 16)));
}
