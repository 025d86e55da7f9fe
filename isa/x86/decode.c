/* isa/x86/decode.c - the x86 decoder over x86.def: legacy prefixes, REX, the one-, two- and
 * three-byte maps, ModRM/SIB/displacement/immediate with the operand- and address-size
 * rules of 16/32/64-bit code (Intel SDM vol. 2 ch. 2 and appendix A), disassembly names and
 * the random valid-instruction generator used by the differential tests. */
#include <errno.h>

#include "isa/x86/x86_internal.h"

/* x86.def column encodings */
enum { NP = 0, F2 = 2, F3 = 3, P66 = 66 }; /* P66 (or 66): operand-size prefix mandatory */
#define M_NONE 0
#define M_RM 1
#define M_G(n) (2 | ((n) & 15) << 4)
#define M_GM(n) (3 | ((n) & 15) << 4)
#define M_OPR 4
#define M_RR 5                      /* ModRM, mod ignored: always registers (MOV CR/DR) */
#define M_X(b) (6 | ((b) & 0xff) << 4) /* exactly this ModRM byte (0F 01 F8 SWAPGS ...) */
#define FEAT_base 0
#define FEAT_i64 (1u << 8)
#define FEAT_o64 (1u << 9)
#define FEAT_sys (1u << 10) /* system instruction: never produced by x86_random_insn */
#define FEAT_fsgsbase (X86_FEAT_FSGSBASE | FEAT_sys | FEAT_o64)
#define FEAT_rdtscp (X86_FEAT_RDTSCP | FEAT_sys)
#define FEAT_rdpid (X86_FEAT_RDPID | FEAT_sys)
#define FEAT_invpcid (X86_FEAT_INVPCID | FEAT_sys)
#define FEAT_smap (X86_FEAT_SMAP | FEAT_sys)
#define FEAT_sys64 (FEAT_sys | FEAT_o64)
#define FEAT_sys32 (FEAT_sys | FEAT_i64)
#define FEAT_popcnt X86_FEAT_POPCNT
#define FEAT_lzcnt X86_FEAT_LZCNT
#define FEAT_bmi1 X86_FEAT_BMI1
#define FEAT_cx16 0 /* CMPXCHG16B: the handler checks X86_FEAT_CX16 for the REX.W form */

struct x86_line {
    const char *name;
    uint8_t map, op, pfx;
    uint16_t modrm;
    const char *ops;
    x86_handler fn;
    uint32_t feat;
};

static const struct x86_line lines[] = {
#define X86_INSN(name, map, op, pfx, modrm, ops, handler, feat) \
    {#name, map, op, pfx, modrm, ops, handler, FEAT_##feat},
#include "isa/x86/x86.def"
#undef X86_INSN
};
#define NLINES (sizeof(lines) / sizeof(lines[0]))

unsigned x86_insn_count(void)
{
    return NLINES;
}

const char *x86_insn_line_name(unsigned idx)
{
    return idx < NLINES ? lines[idx].name : NULL;
}

const char *x86_insn_line_operands(unsigned idx)
{
    return idx < NLINES ? lines[idx].ops : NULL;
}

/* ---- operand-string parsing ---- */
enum imm_kind { IK_NONE, IK_IB, IK_IBS, IK_IW, IK_IZ, IK_IV, IK_JB, IK_JZ, IK_O, IK_AP };

struct ops_info {
    bool d64, f64, lk, byte, gfirst;
    enum imm_kind imm[2];
};

static bool tok_is(const char *t, size_t n, const char *s)
{
    return strlen(s) == n && !memcmp(t, s, n);
}

static void parse_ops(const char *ops, struct ops_info *oi)
{
    memset(oi, 0, sizeof(*oi));
    bool first = true;
    unsigned nimm = 0;
    const char *p = ops;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (tok_is(p, n, "d64"))
            oi->d64 = true;
        else if (tok_is(p, n, "f64"))
            oi->f64 = true;
        else if (tok_is(p, n, "lk"))
            oi->lk = true;
        else {
            if (first) {
                oi->byte = (n == 2 && p[1] == 'b' && strchr("EGZXYO", p[0])) || tok_is(p, n, "AL");
                oi->gfirst = p[0] == 'G';
                first = false;
            }
            enum imm_kind k = IK_NONE;
            if (tok_is(p, n, "Ib"))
                k = IK_IB;
            else if (tok_is(p, n, "Ibs"))
                k = IK_IBS;
            else if (tok_is(p, n, "Iw"))
                k = IK_IW;
            else if (tok_is(p, n, "Iz"))
                k = IK_IZ;
            else if (tok_is(p, n, "Iv"))
                k = IK_IV;
            else if (tok_is(p, n, "Jb"))
                k = IK_JB;
            else if (tok_is(p, n, "Jz"))
                k = IK_JZ;
            else if (tok_is(p, n, "Ap"))
                k = IK_AP; /* ptr16:16/32: offset then selector, imm = sel << 32 | offset */
            else if (n == 2 && p[0] == 'O')
                k = IK_O;
            if (k != IK_NONE && nimm < 2)
                oi->imm[nimm++] = k;
        }
        p += n;
        if (*p == ',')
            p++;
    }
}

static bool line_feature_ok(const struct x86_line *l, unsigned bits, uint32_t feats)
{
    if ((l->feat & FEAT_i64) && bits == 64)
        return false;
    if ((l->feat & FEAT_o64) && bits != 64)
        return false;
    uint32_t need = l->feat & ~(uint32_t)(FEAT_i64 | FEAT_o64 | FEAT_sys);
    return (feats & need) == need;
}

static bool op_match(const struct x86_line *l, unsigned map, unsigned op)
{
    if (l->map != map)
        return false;
    if ((l->modrm & 15) == M_OPR)
        return (op & ~7u) == l->op;
    return op == l->op;
}

static bool modrm_match(const struct x86_line *l, unsigned modrm)
{
    unsigned kind = l->modrm & 15, n = l->modrm >> 4;
    if (kind == M_G(0))
        return ((modrm >> 3) & 7) == n;
    if (kind == M_GM(0))
        return (modrm >> 6) != 3 && (n == 15 || ((modrm >> 3) & 7) == n);
    if (kind == M_X(0))
        return modrm == n;
    return true;
}

static uint64_t rd_le(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)b[k] << (8 * k);
    return v;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned sh = 64 - 8 * bytes;
    return bytes >= 8 ? (int64_t)v : (int64_t)(v << sh) >> sh;
}

int x86_decode(const uint8_t *b, unsigned avail, unsigned bits, uint32_t feats, struct x86_insn *o)
{
    memset(o, 0, sizeof(*o));
    o->seg = 7;
    o->base = o->index = 0xff;
    unsigned p = 0, rex = 0, rep = 0;
    bool opsz = false, adsz = false, lock = false;
    /* Legacy prefixes in any order; a REX prefix counts only right before the opcode
     * (SDM vol. 2 §2.2.1: "other placements are ignored"). */
    for (;;) {
        if (p >= 15)
            return -E2BIG;
        if (p >= avail)
            return 0;
        uint8_t x = b[p];
        if (x == 0x66)
            opsz = true;
        else if (x == 0x67)
            adsz = true;
        else if (x == 0xf0)
            lock = true;
        else if (x == 0xf2 || x == 0xf3)
            rep = x & 3;
        else if (x == 0x26 || x == 0x2e || x == 0x36 || x == 0x3e)
            o->seg = (uint8_t)((x >> 3) & 3);
        else if (x == 0x64 || x == 0x65)
            o->seg = (uint8_t)(4 + (x & 1));
        else if (bits == 64 && (x & 0xf0) == 0x40) {
            rex = x;
            p++;
            continue;
        } else
            break;
        rex = 0;
        p++;
    }
    unsigned map = 0;
    if (b[p] == 0x0f) {
        if (++p >= avail)
            return 0;
        map = 1;
        if (b[p] == 0x38 || b[p] == 0x3a) {
            map = b[p] == 0x38 ? 2 : 3;
            if (++p >= avail)
                return 0;
        }
    }
    unsigned op = b[p++];
    /* Candidate lines for (map, opcode). */
    int cand[32];
    unsigned nc = 0;
    bool need_modrm = false;
    for (unsigned k = 0; k < NLINES && nc < 32; k++) {
        const struct x86_line *l = &lines[k];
        if (!op_match(l, map, op) || !line_feature_ok(l, bits, feats))
            continue;
        /* F2/F3 take precedence over 66 as the mandatory prefix (SDM vol. 2 §2.1.2) */
        if (l->pfx == P66 ? (!opsz || rep) : (l->pfx != NP && l->pfx != rep))
            continue;
        cand[nc++] = (int)k;
        if ((l->modrm & 15) != M_NONE && (l->modrm & 15) != M_OPR)
            need_modrm = true;
    }
    if (!nc)
        return p > 15 ? -E2BIG : -EILSEQ;
    unsigned modrm = 0;
    if (need_modrm) {
        if (p >= avail)
            return p >= 15 ? -E2BIG : 0;
        modrm = b[p];
    }
    /* Best line: a mandatory-prefix line over an NP one, an exact opcode over M_OPR. */
    int best = -1, best_score = -1;
    for (unsigned k = 0; k < nc; k++) {
        const struct x86_line *l = &lines[cand[k]];
        if (need_modrm && !modrm_match(l, modrm))
            continue;
        unsigned kind = l->modrm & 15;
        int score = (l->pfx != NP ? 8 : 0) + (kind != M_OPR ? 2 : 0) +
                    (kind == M_X(0) ? 4 : kind == M_GM(0) ? 1 : 0);
        if (score > best_score) {
            best = cand[k];
            best_score = score;
        }
    }
    if (best < 0)
        return -EILSEQ;
    const struct x86_line *l = &lines[best];
    struct ops_info oi;
    parse_ops(l->ops, &oi);
    if (l->pfx == F3)
        rep = 0; /* consumed as a mandatory prefix */
    if (l->pfx == P66)
        opsz = false;

    /* Operand size (SDM vol. 1 §3.6, vol. 2 §2.2.1.2 and Table A-1 notes d64/f64). */
    bool w = rex & 8;
    unsigned osz;
    if (bits == 64) {
        if (oi.f64)
            osz = 8;
        else if (w)
            osz = 8;
        else if (oi.d64)
            osz = opsz ? 2 : 8;
        else
            osz = opsz ? 2 : 4;
    } else {
        bool d32 = bits == 32;
        osz = (d32 != opsz) ? 4 : 2;
    }
    unsigned asz = bits == 64 ? (adsz ? 4 : 8) : ((bits == 32) != adsz ? 4 : 2);
    o->line = (uint16_t)best;
    o->fn = l->fn;
    o->map = (uint8_t)map;
    o->opc = (uint8_t)op;
    o->osz = (uint8_t)osz;
    o->asz = (uint8_t)asz;
    o->rep = (uint8_t)rep;
    o->flags = (uint8_t)((oi.byte ? XI_BYTE : 0) | (rex ? XI_REX : 0) | (lock ? XI_LOCK : 0) |
                         (oi.gfirst ? XI_GFIRST : 0) | (w ? XI_REXW : 0));
    if (!need_modrm)
        o->rm = (uint8_t)((op & 7) | ((rex & 1) << 3));
    if (need_modrm) {
        p++;
        o->flags |= XI_MODRM;
        unsigned mod = modrm >> 6, rmf = modrm & 7;
        o->modreg = (uint8_t)((modrm >> 3) & 7);
        o->reg = (uint8_t)(o->modreg | ((rex & 4) << 1));
        if (mod == 3 || (l->modrm & 15) == M_RR) {
            o->rm = (uint8_t)(rmf | ((rex & 1) << 3));
        } else {
            o->flags |= XI_MEM;
            unsigned dsz = mod == 1 ? 1 : 0;
            if (asz == 2) {
                /* 16-bit addressing (SDM vol. 2 Table 2-1) */
                static const uint8_t b16[8] = {3, 3, 5, 5, 6, 7, 5, 3};
                static const uint8_t i16[8] = {6, 7, 6, 7, 0xff, 0xff, 0xff, 0xff};
                if (mod == 0 && rmf == 6) {
                    dsz = 2;
                } else {
                    o->base = b16[rmf];
                    o->index = i16[rmf];
                    if (mod == 2)
                        dsz = 2;
                }
            } else {
                if (mod == 2)
                    dsz = 4;
                if (rmf == 4) {
                    /* SIB (SDM vol. 2 Table 2-3) */
                    if (p >= avail)
                        return p >= 15 ? -E2BIG : 0;
                    unsigned sib = b[p++];
                    unsigned idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
                    o->scale = (uint8_t)(sib >> 6);
                    if (idx != 4)
                        o->index = (uint8_t)idx;
                    if ((sib & 7) == 5 && mod == 0)
                        dsz = 4;
                    else
                        o->base = (uint8_t)((sib & 7) | ((rex & 1) << 3));
                } else if (rmf == 5 && mod == 0) {
                    dsz = 4;
                    if (bits == 64)
                        o->flags |= XI_RIPREL; /* SDM vol. 2 §2.2.1.6 */
                } else {
                    o->base = (uint8_t)(rmf | ((rex & 1) << 3));
                }
            }
            if (p + dsz > avail)
                return p + dsz > 15 ? -E2BIG : 0;
            o->disp = (int32_t)sext(rd_le(b + p, dsz), dsz ? dsz : 1);
            if (!dsz)
                o->disp = 0;
            p += dsz;
        }
    }
    /* LOCK only with a lockable instruction and a memory destination (SDM vol. 2 LOCK). */
    if (lock && (!oi.lk || !(o->flags & XI_MEM)))
        return -EILSEQ;
    for (unsigned k = 0; k < 2; k++) {
        unsigned n = 0;
        bool sx = false;
        switch (oi.imm[k]) {
        case IK_NONE: continue;
        case IK_IB: n = 1; break;
        case IK_IBS: case IK_JB: n = 1; sx = true; break;
        case IK_IW: n = 2; break;
        case IK_IZ: n = osz == 2 ? 2 : 4; sx = true; break;
        case IK_IV: n = osz; break;
        case IK_JZ: n = (bits == 64 || osz != 2) ? 4 : 2; sx = true; break;
        case IK_O: n = asz; break;
        case IK_AP: n = osz == 2 ? 4 : 6; break;
        }
        if (p + n > avail)
            return p + n > 15 ? -E2BIG : 0;
        uint64_t v = rd_le(b + p, n);
        if (sx)
            v = (uint64_t)sext(v, n);
        if (oi.imm[k] == IK_AP)
            v = (v & x86_mask(n - 2)) | (v >> (8 * (n - 2))) << 32;
        if (k == 0)
            o->imm = v;
        else
            o->imm2 = (uint8_t)v;
        p += n;
    }
    if (p > 15)
        return -E2BIG;
    o->len = (uint8_t)p;
    return (int)p;
}

int x86_decode_bytes(const uint8_t *buf, unsigned avail, unsigned code_bits, uint32_t features,
                     struct x86_decoded *out)
{
    struct x86_insn i;
    memset(out, 0, sizeof(*out));
    out->line = -1;
    int n = x86_decode(buf, avail, code_bits, features, &i);
    if (n <= 0)
        return n;
    out->line = i.line;
    out->len = i.len;
    out->osz = i.osz;
    out->asz = i.asz;
    out->has_modrm = i.flags & XI_MODRM;
    out->mem = i.flags & XI_MEM;
    out->riprel = i.flags & XI_RIPREL;
    out->base = i.base == 0xff ? -1 : i.base;
    out->index = i.index == 0xff ? -1 : i.index;
    out->scale = 1u << i.scale;
    out->disp = i.disp;
    out->imm = i.imm;
    out->rep = i.rep ? 0xf0u | i.rep : 0;
    out->lock = i.flags & XI_LOCK;
    out->rex = i.flags & XI_REX;
    out->seg = i.seg == 7 ? -1 : i.seg;
    return n;
}

const char *x86_insn_name(const uint8_t *buf, unsigned len)
{
    struct x86_insn i;
    if (x86_decode(buf, len, 64, X86_FEAT_ALL, &i) <= 0)
        return "(bad)";
    return lines[i.line].name;
}

/* ---- random valid instructions ---- */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static unsigned gen_one(uint64_t *rng, uint8_t *buf, unsigned flags, unsigned li)
{
    const struct x86_line *l = &lines[li];
    struct ops_info oi;
    parse_ops(l->ops, &oi);
    unsigned p = 0, r = (unsigned)rng_next(rng);
    bool is_string = l->fn == x86_h_movs || l->fn == x86_h_cmps || l->fn == x86_h_stos ||
                     l->fn == x86_h_lods || l->fn == x86_h_scas;
    unsigned kind = l->modrm & 15;
    bool mem_ok = kind == M_RM || kind == M_G(0) || kind == M_GM(0);
    unsigned mod = kind == M_GM(0) ? (unsigned)(rng_next(rng) % 3) : (unsigned)(rng_next(rng) % 4);
    bool mem = mem_ok && mod != 3;
    if (!(flags & X86_GEN_NO_SEG) && r % 16 == 0)
        buf[p++] = (uint8_t[]){0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65}[rng_next(rng) % 6];
    if ((r >> 4) % 6 == 0)
        buf[p++] = 0x66;
    if ((r >> 8) % 8 == 0 && (mem || is_string))
        buf[p++] = 0x67;
    if (oi.lk && mem && (r >> 12) % 4 == 0)
        buf[p++] = 0xf0;
    if (l->pfx == P66)
        buf[p++] = 0x66;
    if (l->pfx == F3 || l->pfx == F2)
        buf[p++] = l->pfx == F3 ? 0xf3 : 0xf2;
    else if (is_string && (r >> 16) % 2 == 0)
        buf[p++] = (r >> 17) & 1 ? 0xf3 : 0xf2;
    if ((r >> 20) % 2 == 0)
        buf[p++] = (uint8_t)(0x40 | (rng_next(rng) & 15));
    if (l->map >= 1)
        buf[p++] = 0x0f;
    if (l->map == 2)
        buf[p++] = 0x38;
    if (l->map == 3)
        buf[p++] = 0x3a;
    buf[p++] = (uint8_t)(kind == M_OPR ? l->op + rng_next(rng) % 8 : l->op);
    if (kind != M_NONE && kind != M_OPR) {
        unsigned reg = (kind == M_G(0) || (kind == M_GM(0) && (l->modrm >> 4) != 15))
                           ? l->modrm >> 4 : (unsigned)(rng_next(rng) % 8);
        unsigned rm = (unsigned)(rng_next(rng) % 8);
        if (!mem_ok)
            mod = 3;
        if ((flags & X86_GEN_NO_RIPREL) && mod == 0 && rm == 5)
            rm = 3;
        if (kind == M_X(0)) { /* exactly this ModRM byte (no SIB/displacement) */
            mod = 3;
            buf[p++] = (uint8_t)(l->modrm >> 4);
        } else {
            buf[p++] = (uint8_t)(mod << 6 | reg << 3 | rm);
        }
        if (mod != 3) {
            unsigned dsz = mod == 1 ? 1 : mod == 2 ? 4 : 0;
            if (rm == 4) {
                unsigned sib = (unsigned)rng_next(rng) & 0xff;
                if (mod == 0 && (sib & 7) == 5) {
                    if (flags & X86_GEN_NO_RIPREL)
                        sib = (sib & ~7u) | 3;
                    else
                        dsz = 4;
                }
                buf[p++] = (uint8_t)sib;
            } else if (mod == 0 && rm == 5) {
                dsz = 4;
            }
            uint64_t d = rng_next(rng);
            if (dsz == 4 && (flags & X86_GEN_SMALL_DISP))
                d = (uint64_t)((int64_t)(d % 512) - 256);
            for (unsigned k = 0; k < dsz; k++)
                buf[p++] = (uint8_t)(d >> (8 * k));
        }
    }
    /* Immediates: sized by the decoder's rules, so decode the prefix + opcode part first
     * with room for the largest immediate; simpler to emit the maximum and let the
     * decoder tell the real length. */
    for (unsigned k = 0; k < 2 && oi.imm[k] != IK_NONE; k++) {
        uint64_t v = rng_next(rng);
        if ((oi.imm[k] == IK_JB || oi.imm[k] == IK_JZ) && (flags & X86_GEN_SHORT_BRANCH))
            v = (uint64_t)((int64_t)(v % 17) - 8);
        if ((v >> 8) % 4 == 0)
            v &= 0x1f; /* small immediates are common (shift counts, bit numbers) */
        for (unsigned b = 0; b < 8; b++)
            buf[p + b] = (uint8_t)(v >> (8 * b));
        unsigned n = 8;
        switch (oi.imm[k]) {
        case IK_IB: case IK_IBS: case IK_JB: n = 1; break;
        case IK_IW: n = 2; break;
        default: n = 0; break; /* size depends on osz/asz: fixed up below */
        }
        if (n == 0) {
            struct x86_insn t;
            /* Determine the immediate size from the decoder with everything present. */
            for (unsigned b = 8; b < 16 && p + b < 32; b++)
                buf[p + b] = 0;
            int len = x86_decode(buf, p + 16, 64, X86_FEAT_ALL, &t);
            if (len <= 0)
                return 0;
            n = (unsigned)len - p;
            if (k == 0 && oi.imm[1] != IK_NONE)
                n -= 1; /* ENTER-style second imm8 */
        }
        p += n;
    }
    return p;
}

unsigned x86_random_insn(uint64_t *rng, uint8_t *buf, unsigned flags, int *line)
{
    for (;;) {
        unsigned li = (unsigned)(rng_next(rng) % NLINES);
        if (!line_feature_ok(&lines[li], 64, X86_FEAT_ALL) || (lines[li].feat & FEAT_sys))
            continue;
        uint8_t tmp[32];
        memset(tmp, 0, sizeof(tmp));
        unsigned n = gen_one(rng, tmp, flags, li);
        if (!n || n > 15)
            continue;
        struct x86_insn t;
        if (x86_decode(tmp, n, 64, X86_FEAT_ALL, &t) != (int)n || t.line != li)
            continue;
        memcpy(buf, tmp, n);
        if (line)
            *line = (int)li;
        return n;
    }
}
