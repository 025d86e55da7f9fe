/* isa/arm64/exec_mem.c - A64 loads and stores: every addressing mode, pairs, literal,
 * unprivileged, exclusives with the monitor, acquire/release, LSE atomics
 * (ARM DDI0487 C6, C3.2; exclusives B2.9). */
#include "isa/arm64/a64_internal.h"

static inline uint64_t sext_size(uint64_t v, unsigned bytes)
{
    return (uint64_t)a64_sext(v, bytes * 8);
}

static inline uint64_t zext_size(uint64_t v, unsigned bytes)
{
    return bytes >= 8 ? v : v & ((1ull << (bytes * 8)) - 1);
}

/* Vector register element 0 of `bytes` (<= 8), the rest of the register zeroed. */
static inline void vset(struct a64_cpu *c, unsigned t, uint64_t lo, uint64_t hi)
{
    c->v[t][0] = lo;
    c->v[t][1] = hi;
}

/* ---- one register, the general form: gp/fp, load/store, sign extension ---- */
enum ld_kind { LK_STORE, LK_LOAD, LK_LOAD_SX64, LK_LOAD_SX32, LK_PRFM, LK_UNDEF };

/* Classify size/opc for V = 0 (C4.1.88, "Load/store register" opc/size tables). */
static enum ld_kind gp_kind(unsigned size, unsigned opc)
{
    switch (opc) {
    case 0: return LK_STORE;
    case 1: return LK_LOAD;
    case 2: return size == 3 ? LK_PRFM : LK_LOAD_SX64;
    default: return size >= 2 ? LK_UNDEF : LK_LOAD_SX32;
    }
}

/* Execute the access at addr. Returns 0 or -1 (exception taken). */
static int do_single(struct a64_cpu *c, bool vec, unsigned size, unsigned opc, unsigned t,
                     uint64_t addr, unsigned flags)
{
    if (vec) {
        unsigned bytes = (opc & 2) ? 16 : 1u << size;
        if (opc & 1) {
            uint64_t v[2] = {0, 0};
            if (bytes == 16) {
                if (a64_load128(c, addr, flags, v))
                    return -1;
            } else if (a64_load(c, addr, bytes, flags, &v[0])) {
                return -1;
            }
            vset(c, t, v[0], v[1]);
            return 0;
        }
        if (bytes == 16)
            return a64_store128(c, addr, flags, c->v[t]);
        return a64_store(c, addr, bytes, flags, zext_size(c->v[t][0], bytes));
    }
    unsigned bytes = 1u << size;
    uint64_t v;
    switch (gp_kind(size, opc)) {
    case LK_STORE:
        return a64_store(c, addr, bytes, flags, a64_xr(c, t));
    case LK_LOAD:
        if (a64_load(c, addr, bytes, flags, &v))
            return -1;
        a64_xw(c, t, v);
        return 0;
    case LK_LOAD_SX64:
        if (a64_load(c, addr, bytes, flags, &v))
            return -1;
        a64_xw(c, t, sext_size(v, bytes));
        return 0;
    case LK_LOAD_SX32:
        if (a64_load(c, addr, bytes, flags, &v))
            return -1;
        a64_xw(c, t, sext_size(v, bytes) & 0xffffffffull);
        return 0;
    default:
        return 0; /* PRFM: a hint, no access and no fault (C6.2.247) */
    }
}

/* Encodings that are UNDEFINED for the given form. */
static bool single_undef(bool vec, unsigned size, unsigned opc)
{
    if (vec)
        return (opc & 2) && size != 0;
    return gp_kind(size, opc) == LK_UNDEF;
}

void a64_h_ldst_imm9(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), opc = A64_BITS(insn, 23, 22);
    unsigned mode = A64_BITS(insn, 11, 10), n = A64_BITS(insn, 9, 5), t = insn & 31;
    bool vec = A64_BIT(insn, 26);
    int64_t imm = a64_sext(A64_BITS(insn, 20, 12), 9);
    if (single_undef(vec, size, opc) || (!vec && mode != 0 && gp_kind(size, opc) == LK_PRFM)) {
        a64_undef(c);
        return;
    }
    if (vec && !a64_fp_check(c))
        return;
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    uint64_t addr = mode == 1 ? base : base + (uint64_t)imm;
    /* LDTR/STTR at EL1 are made with EL0 permissions (C6.2.170). */
    unsigned flags = (mode == 2 && c->el == 1) ? A64_M_USER : 0;
    if (do_single(c, vec, size, opc, t, addr, flags))
        return;
    if (mode == 1 || mode == 3)
        a64_xw_sp(c, n, base + (uint64_t)imm);
}

void a64_h_ldst_regoff(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), opc = A64_BITS(insn, 23, 22);
    unsigned option = A64_BITS(insn, 15, 13), n = A64_BITS(insn, 9, 5), t = insn & 31;
    bool vec = A64_BIT(insn, 26);
    if (single_undef(vec, size, opc) || !(option & 2)) {
        a64_undef(c);
        return;
    }
    if (vec && !a64_fp_check(c))
        return;
    unsigned scale = vec && (opc & 2) ? 4 : size;
    unsigned shift = A64_BIT(insn, 12) ? scale : 0;
    uint64_t m = a64_xr(c, A64_BITS(insn, 20, 16));
    switch (option) {
    case 2: m = (uint32_t)m; break;
    case 6: m = (uint64_t)(int64_t)(int32_t)m; break;
    default: break;
    }
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    do_single(c, vec, size, opc, t, base + (m << shift), 0);
}

void a64_h_ldst_uimm(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), opc = A64_BITS(insn, 23, 22);
    unsigned n = A64_BITS(insn, 9, 5), t = insn & 31;
    bool vec = A64_BIT(insn, 26);
    if (single_undef(vec, size, opc)) {
        a64_undef(c);
        return;
    }
    if (vec && !a64_fp_check(c))
        return;
    unsigned scale = vec && (opc & 2) ? 4 : size;
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    do_single(c, vec, size, opc, t, base + ((uint64_t)A64_BITS(insn, 21, 10) << scale), 0);
}

/* ---- specialised LDR/STR (general register) forms, see a64_internal.h ---- */
void a64_h_ldr_gp_uimm(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), n = A64_BITS(insn, 9, 5);
    uint64_t base = a64_xr_sp(c, n), v;
    if (!a64_sp_check(c, n, base))
        return;
    if (a64_load(c, base + ((uint64_t)A64_BITS(insn, 21, 10) << size), 1u << size, 0, &v) == 0)
        a64_xw(c, insn & 31, v);
}

void a64_h_str_gp_uimm(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), n = A64_BITS(insn, 9, 5);
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    a64_store(c, base + ((uint64_t)A64_BITS(insn, 21, 10) << size), 1u << size, 0,
              a64_xr(c, insn & 31));
}

/* Register offset with option 01x/11x (the others are UNDEFINED and keep the general
 * handler): Rm extended (UXTW, SXTW) or not (LSL/SXTX), shifted by size when S = 1. */
static inline uint64_t regoff_addr(struct a64_cpu *c, uint32_t insn, unsigned size)
{
    uint64_t m = a64_xr(c, A64_BITS(insn, 20, 16));
    switch (A64_BITS(insn, 15, 13)) {
    case 2: m = (uint32_t)m; break;
    case 6: m = (uint64_t)(int64_t)(int32_t)m; break;
    default: break;
    }
    return m << (A64_BIT(insn, 12) ? size : 0);
}

void a64_h_ldr_gp_regoff(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), n = A64_BITS(insn, 9, 5);
    uint64_t base = a64_xr_sp(c, n), v;
    if (!a64_sp_check(c, n, base))
        return;
    if (a64_load(c, base + regoff_addr(c, insn, size), 1u << size, 0, &v) == 0)
        a64_xw(c, insn & 31, v);
}

void a64_h_str_gp_regoff(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), n = A64_BITS(insn, 9, 5);
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    a64_store(c, base + regoff_addr(c, insn, size), 1u << size, 0, a64_xr(c, insn & 31));
}

/* LDR/STR (immediate) unscaled (mode 00), post-index (01) and pre-index (11), general
 * register, opc 00/01 (the unprivileged mode 10 keeps the general handler). */
void a64_h_ldst_gp_imm9(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), mode = A64_BITS(insn, 11, 10);
    unsigned n = A64_BITS(insn, 9, 5), t = insn & 31;
    int64_t imm = a64_sext(A64_BITS(insn, 20, 12), 9);
    uint64_t base = a64_xr_sp(c, n), v;
    if (!a64_sp_check(c, n, base))
        return;
    uint64_t addr = mode == 1 ? base : base + (uint64_t)imm;
    if (A64_BIT(insn, 22)) { /* LDR */
        if (a64_load(c, addr, 1u << size, 0, &v))
            return;
        a64_xw(c, t, v);
    } else if (a64_store(c, addr, 1u << size, 0, a64_xr(c, t))) {
        return;
    }
    if (mode != 0)
        a64_xw_sp(c, n, base + (uint64_t)imm);
}

/* LDP/STP of two 64-bit general registers (opc 10, V = 0), every addressing mode. */
void a64_h_ldstp_x(struct a64_cpu *c, uint32_t insn)
{
    unsigned mode = A64_BITS(insn, 24, 23), t2 = A64_BITS(insn, 14, 10);
    unsigned n = A64_BITS(insn, 9, 5), t = insn & 31;
    int64_t off = a64_sext(A64_BITS(insn, 21, 15), 7) * 8;
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    uint64_t addr = mode == 1 ? base : base + (uint64_t)off;
    if (A64_BIT(insn, 22)) { /* LDP: both loads before any register is written */
        uint64_t a, b;
        if (a64_load(c, addr, 8, 0, &a) || a64_load(c, addr + 8, 8, 0, &b))
            return;
        a64_xw(c, t, a);
        a64_xw(c, t2, b);
    } else if (a64_store(c, addr, 8, 0, a64_xr(c, t)) ||
               a64_store(c, addr + 8, 8, 0, a64_xr(c, t2))) {
        return;
    }
    if (mode == 1 || mode == 3)
        a64_xw_sp(c, n, base + (uint64_t)off);
}

void a64_h_ldr_lit(struct a64_cpu *c, uint32_t insn)
{
    unsigned opc = A64_BITS(insn, 31, 30), t = insn & 31;
    bool vec = A64_BIT(insn, 26);
    uint64_t addr = c->pc + ((uint64_t)a64_sext(A64_BITS(insn, 23, 5), 19) << 2);
    uint64_t v;
    if (vec) {
        if (!a64_fp_check(c))
            return;
        /* opc 00: S, 01: D, 10: Q (size encodings of do_single: size 2/3 or opc bit 1) */
        if (opc == 2)
            do_single(c, true, 0, 3, t, addr, 0);
        else
            do_single(c, true, opc + 2, 1, t, addr, 0);
        return;
    }
    switch (opc) {
    case 0:
    case 1:
        if (a64_load(c, addr, opc ? 8 : 4, 0, &v) == 0)
            a64_xw(c, t, v);
        break;
    case 2:
        if (a64_load(c, addr, 4, 0, &v) == 0)
            a64_xw(c, t, sext_size(v, 4));
        break;
    default:
        break; /* PRFM (literal) */
    }
}

void a64_h_ldst_pair(struct a64_cpu *c, uint32_t insn)
{
    unsigned opc = A64_BITS(insn, 31, 30), mode = A64_BITS(insn, 24, 23);
    unsigned t2 = A64_BITS(insn, 14, 10), n = A64_BITS(insn, 9, 5), t = insn & 31;
    bool vec = A64_BIT(insn, 26), load = A64_BIT(insn, 22);
    bool sx = false;
    unsigned scale;
    if (opc == 3) {
        a64_undef(c);
        return;
    }
    if (vec) {
        if (!a64_fp_check(c))
            return;
        scale = 2 + opc;
    } else {
        sx = opc == 1; /* LDPSW (STGP / LDNPSW are carved out by unalloc lines) */
        scale = opc == 2 ? 3 : 2;
    }
    unsigned bytes = 1u << scale;
    int64_t off = a64_sext(A64_BITS(insn, 21, 15), 7) * (int64_t)bytes;
    uint64_t base = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, base))
        return;
    uint64_t addr = mode == 1 ? base : base + (uint64_t)off;
    if (load) {
        uint64_t a[2] = {0, 0}, b[2] = {0, 0};
        if (bytes == 16) {
            if (a64_load128(c, addr, 0, a) || a64_load128(c, addr + 16, 0, b))
                return;
        } else if (a64_load(c, addr, bytes, 0, &a[0]) || a64_load(c, addr + bytes, bytes, 0, &b[0])) {
            return;
        }
        if (vec) {
            vset(c, t, a[0], a[1]);
            vset(c, t2, b[0], b[1]);
        } else {
            a64_xw(c, t, sx ? sext_size(a[0], 4) : a[0]);
            a64_xw(c, t2, sx ? sext_size(b[0], 4) : b[0]);
        }
    } else {
        int r;
        if (vec && bytes == 16)
            r = a64_store128(c, addr, 0, c->v[t]) || a64_store128(c, addr + 16, 0, c->v[t2]);
        else if (vec)
            r = a64_store(c, addr, bytes, 0, zext_size(c->v[t][0], bytes)) ||
                a64_store(c, addr + bytes, bytes, 0, zext_size(c->v[t2][0], bytes));
        else
            r = a64_store(c, addr, bytes, 0, a64_xr(c, t)) ||
                a64_store(c, addr + bytes, bytes, 0, a64_xr(c, t2));
        if (r)
            return;
    }
    if (mode == 1 || mode == 3)
        a64_xw_sp(c, n, base + (uint64_t)off);
}

/* ---- exclusives and acquire/release (C6.2 LDXR/STXR/LDAR/STLR..., B2.9) ---- */
void a64_h_ldst_excl(struct a64_cpu *c, uint32_t insn)
{
    unsigned size = A64_BITS(insn, 31, 30), s = A64_BITS(insn, 20, 16);
    unsigned t2 = A64_BITS(insn, 14, 10), n = A64_BITS(insn, 9, 5), t = insn & 31;
    bool o2 = A64_BIT(insn, 23), load = A64_BIT(insn, 22), pair = A64_BIT(insn, 21);
    uint64_t addr = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, addr))
        return;
    unsigned ebytes = pair ? 4u << (size & 1) : 1u << size;
    unsigned total = pair ? 2 * ebytes : ebytes;
    uint64_t v[2] = {0, 0}, pa;
    if (o2) { /* LDAR / STLR: single-copy atomic, must be aligned */
        if (load) {
            if (a64_load(c, addr, ebytes, A64_M_ALIGN, &v[0]) == 0)
                a64_xw(c, t, v[0]);
        } else {
            a64_store(c, addr, ebytes, A64_M_ALIGN, a64_xr(c, t));
        }
        return;
    }
    if (load) {
        if (total == 16) {
            if (a64_load128(c, addr, A64_M_ALIGN, v))
                return;
        } else if (a64_load(c, addr, total, A64_M_ALIGN, &v[0])) {
            return;
        }
        if (a64_translate(c, addr, total, A64_M_ALIGN, &pa))
            return;
        if (pair && ebytes == 4) {
            a64_xw(c, t, v[0] & 0xffffffffull);
            a64_xw(c, t2, v[0] >> 32);
        } else if (pair) {
            a64_xw(c, t, v[0]);
            a64_xw(c, t2, v[1]);
        } else {
            a64_xw(c, t, v[0]);
        }
        c->mon_valid = true;
        c->mon_va = addr;
        c->mon_addr = pa;
        c->mon_size = total;
        return;
    }
    /* Store exclusive, AArch64.ExclusiveMonitorsPass (ARM DDI0487 J1): the alignment
     * check comes first; only when the local monitor holds the address is it translated
     * (so translation faults are only taken then). A size different from the load's is
     * CONSTRAINED UNPREDICTABLE (B2.9.5): here the store then fails. */
    if ((addr & (total - 1)) && a64_translate(c, addr, total, A64_M_ALIGN | A64_M_WRITE, &pa))
        return;
    bool ok = false;
    /* AArch64.IsExclusiveVA (IMPLEMENTATION DEFINED): the VA must match the load's. */
    if (c->mon_valid && c->mon_va == addr) {
        if (a64_translate(c, addr, total, A64_M_ALIGN | A64_M_WRITE, &pa))
            return;
        ok = c->mon_addr == pa && c->mon_size == total;
    }
    c->mon_valid = false;
    if (ok) {
        int r;
        if (pair && ebytes == 4) {
            r = a64_store(c, addr, 8, A64_M_ALIGN, (a64_xr(c, t) & 0xffffffffull) | a64_xr(c, t2) << 32);
        } else if (pair) {
            uint64_t in[2] = {a64_xr(c, t), a64_xr(c, t2)};
            r = a64_store128(c, addr, A64_M_ALIGN, in);
        } else {
            r = a64_store(c, addr, total, A64_M_ALIGN, a64_xr(c, t));
        }
        if (r)
            return;
    }
    a64_xw(c, s, ok ? 0 : 1);
}

void a64_h_ldapr(struct a64_cpu *c, uint32_t insn)
{
    unsigned n = A64_BITS(insn, 9, 5);
    uint64_t addr = a64_xr_sp(c, n), v;
    if (!a64_sp_check(c, n, addr))
        return;
    if (a64_load(c, addr, 1u << A64_BITS(insn, 31, 30), A64_M_ALIGN, &v) == 0)
        a64_xw(c, insn & 31, v);
}

/* ---- LSE atomics (FEAT_LSE, C6.2 CAS/CASP/LD<op>/SWP) ---- */
/* Read-modify-write of `bytes` at addr: loads the old value (aligned, reported as a write
 * on fault), returns 0 or -1. */
static int rmw_load(struct a64_cpu *c, unsigned n, unsigned bytes, uint64_t *addr, uint64_t *old)
{
    *addr = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, *addr))
        return -1;
    return a64_load(c, *addr, bytes, A64_M_ALIGN | A64_M_RMW, old);
}

void a64_h_cas(struct a64_cpu *c, uint32_t insn)
{
    unsigned bytes = 1u << A64_BITS(insn, 31, 30), s = A64_BITS(insn, 20, 16);
    uint64_t addr, old;
    if (rmw_load(c, A64_BITS(insn, 9, 5), bytes, &addr, &old))
        return;
    if (old == zext_size(a64_xr(c, s), bytes) &&
        a64_store(c, addr, bytes, A64_M_ALIGN, a64_xr(c, insn & 31)))
        return;
    a64_xw(c, s, old);
}

void a64_h_casp(struct a64_cpu *c, uint32_t insn)
{
    bool sz64 = A64_BIT(insn, 30);
    unsigned s = A64_BITS(insn, 20, 16), t = insn & 31, n = A64_BITS(insn, 9, 5);
    if ((s & 1) || (t & 1)) {
        a64_undef(c);
        return;
    }
    uint64_t addr = a64_xr_sp(c, n);
    if (!a64_sp_check(c, n, addr))
        return;
    if (!sz64) {
        uint64_t old;
        if (a64_load(c, addr, 8, A64_M_ALIGN | A64_M_RMW, &old))
            return;
        uint64_t cmp = (a64_xr(c, s) & 0xffffffffull) | a64_xr(c, s + 1) << 32;
        if (old == cmp &&
            a64_store(c, addr, 8, A64_M_ALIGN,
                      (a64_xr(c, t) & 0xffffffffull) | a64_xr(c, t + 1) << 32))
            return;
        a64_xw(c, s, old & 0xffffffffull);
        a64_xw(c, s + 1, old >> 32);
        return;
    }
    uint64_t old[2];
    if (a64_load128(c, addr, A64_M_ALIGN | A64_M_RMW, old))
        return;
    if (old[0] == a64_xr(c, s) && old[1] == a64_xr(c, s + 1)) {
        uint64_t in[2] = {a64_xr(c, t), a64_xr(c, t + 1)};
        if (a64_store128(c, addr, A64_M_ALIGN, in))
            return;
    }
    a64_xw(c, s, old[0]);
    a64_xw(c, s + 1, old[1]);
}

void a64_h_atomic(struct a64_cpu *c, uint32_t insn)
{
    unsigned bytes = 1u << A64_BITS(insn, 31, 30), s = A64_BITS(insn, 20, 16);
    unsigned op = A64_BITS(insn, 15, 12); /* o3:opc */
    uint64_t addr, old;
    if (rmw_load(c, A64_BITS(insn, 9, 5), bytes, &addr, &old))
        return;
    uint64_t val = zext_size(a64_xr(c, s), bytes), r;
    int64_t so = (int64_t)sext_size(old, bytes), sv = (int64_t)sext_size(val, bytes);
    switch (op) {
    case 0x0: r = old + val; break;           /* LDADD */
    case 0x1: r = old & ~val; break;          /* LDCLR */
    case 0x2: r = old ^ val; break;           /* LDEOR */
    case 0x3: r = old | val; break;           /* LDSET */
    case 0x4: r = so > sv ? old : val; break; /* LDSMAX */
    case 0x5: r = so < sv ? old : val; break; /* LDSMIN */
    case 0x6: r = old > val ? old : val; break; /* LDUMAX */
    case 0x7: r = old < val ? old : val; break; /* LDUMIN */
    default: r = val; break;                  /* SWP (o3 = 1, opc = 000) */
    }
    if (a64_store(c, addr, bytes, A64_M_ALIGN, zext_size(r, bytes)))
        return;
    a64_xw(c, insn & 31, old);
}

/* ---- instruction syndrome for stage-2 data aborts ----
 * ARM DDI0487 D17.2.40 (ESR_EL2, ISS encoding for an exception from a Data Abort): ISV is 1
 * for a stage-2 abort taken by an AArch64 load or store of a single general-purpose
 * register (XZR/WZR included, acquire/release included), excluding Load/Store Exclusive and
 * forms with writeback. Pairs, atomics, SIMD&FP registers and writeback forms report 0. The
 * syndrome: SAS [23:22] access size, SSE [21] sign extension, SRT [20:16] Rt, SF [15] 64-bit
 * register, AR [14] acquire/release. */
static uint32_t isv_iss(unsigned sas, bool sse, unsigned rt, bool sf, bool ar)
{
    return 1u << 24 | sas << 22 | (sse ? 1u << 21 : 0) | rt << 16 | (sf ? 1u << 15 : 0) |
           (ar ? 1u << 14 : 0);
}

uint32_t a64_dabt_isv(uint32_t insn)
{
    unsigned size = insn >> 30, opc = A64_BITS(insn, 23, 22), rt = insn & 31;
    bool regoff_or_unscaled = false;
    /* Load/store register, V = 0 (C4.1.88): unsigned offset (bits 29:24 = 111001), or
     * 111000 with bit 21 = 0 and bits 11:10 = 00 (LDUR/STUR) / 10 (LDTR/STTR), or
     * bit 21 = 1 and bits 11:10 = 10 (register offset). Bits 11:10 = 01/11 are post- and
     * pre-index (writeback): no syndrome; bit 21 = 1 with 11:10 = 00 are the atomics. */
    if ((insn & 0x3f000000u) == 0x39000000u) {
        regoff_or_unscaled = true;
    } else if ((insn & 0x3f000000u) == 0x38000000u) {
        unsigned kind = A64_BITS(insn, 11, 10);
        regoff_or_unscaled = A64_BIT(insn, 21) ? kind == 2 : (kind == 0 || kind == 2);
        /* LDAPR/LDAPRB/LDAPRH (FEAT_LRCPC): 111000 1 0 1 11111 1100 00 */
        if ((insn & 0x3ffffc00u) == 0x38bfc000u)
            return isv_iss(size, false, rt, size == 3, true);
    }
    if (regoff_or_unscaled) {
        switch (opc) {
        case 0: return isv_iss(size, false, rt, size == 3, false);  /* STR* */
        case 1: return isv_iss(size, false, rt, size == 3, false);  /* LDR* */
        case 2: return size == 3 ? 0 : isv_iss(size, true, rt, true, false); /* PRFM, LDRS* X */
        default: return size >= 2 ? 0 : isv_iss(size, true, rt, false, false); /* LDRS* W */
        }
    }
    /* Load register (literal), V = 0: LDR W/X, LDRSW (opc 11 is PRFM). */
    if ((insn & 0x3f000000u) == 0x18000000u) {
        switch (size) {
        case 0: return isv_iss(2, false, rt, false, false);
        case 1: return isv_iss(3, false, rt, true, false);
        case 2: return isv_iss(2, true, rt, true, false);
        default: return 0;
        }
    }
    /* Load/store ordered (o2 = 1, o1 = 0): LDAR/STLR (o0 = 1) and LDLAR/STLLR (o0 = 0). The
     * exclusives have o2 = 0 and the CAS family o1 = 1. */
    if ((insn & 0x3fa00000u) == 0x08800000u)
        return isv_iss(size, false, rt, size == 3, A64_BIT(insn, 15));
    return 0;
}
