/* isa/arm64/decode.c - builds the A64 decoder, the mnemonic table and the random
 * valid-encoding generator from the X-macro table a64.def (ARM DDI0487 C4). */
#include <stdlib.h>

#include "isa/arm64/a64_internal.h"

struct a64_line {
    const char *name;
    const char *pattern;
    a64_handler handler;
    unsigned feature;
    const char *feature_name;
};

static const struct a64_line a64_lines[] = {
#define A64_INSN(name, pat, handler, feat) {#name, pat, handler, A64_FEAT_##feat, #feat},
#include "isa/arm64/a64.def"
#undef A64_INSN
};
#define A64_NLINES (sizeof(a64_lines) / sizeof(a64_lines[0]))

/* Fixed-bit mask and value of a pattern. Returns false if the pattern is malformed. */
static bool line_mask(const struct a64_line *l, uint32_t *mask, uint32_t *match)
{
    uint32_t m = 0, v = 0;
    unsigned i;
    for (i = 0; l->pattern[i]; i++) {
        if (i >= 32)
            return false;
        uint32_t bit = 1u << (31 - i);
        if (l->pattern[i] == '0') {
            m |= bit;
        } else if (l->pattern[i] == '1') {
            m |= bit;
            v |= bit;
        }
    }
    *mask = m;
    *match = v;
    return i == 32;
}

static unsigned popcount32(uint32_t x)
{
    return (unsigned)__builtin_popcount(x);
}

/* ---- the per-CPU decoder: 16 buckets on bits [28:25], most specific line first ---- */
struct a64_dline {
    uint32_t mask, match;
    a64_handler h;
    unsigned line;      /* index into a64_lines */
    unsigned cost_kind; /* cost_kind(line), computed once when the decoder is built */
};
static unsigned cost_kind(unsigned idx);
struct a64_decoder {
    struct a64_dline *bucket[16];
    unsigned n[16];
};

static int dline_cmp(const void *a, const void *b)
{
    const struct a64_dline *x = a, *y = b;
    unsigned px = popcount32(x->mask), py = popcount32(y->mask);
    if (px != py)
        return px > py ? -1 : 1;
    return 0;
}

struct a64_decoder *a64_decoder_create(uint32_t features)
{
    struct a64_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    unsigned kinds[A64_NLINES];
    for (unsigned i = 0; i < A64_NLINES; i++)
        kinds[i] = cost_kind(i);
    for (unsigned b = 0; b < 16; b++) {
        d->bucket[b] = calloc(A64_NLINES, sizeof(struct a64_dline));
        if (!d->bucket[b]) {
            a64_decoder_destroy(d);
            return NULL;
        }
        uint32_t bb = (uint32_t)b << 25;
        for (unsigned i = 0; i < A64_NLINES; i++) {
            uint32_t mask, match;
            if (!line_mask(&a64_lines[i], &mask, &match))
                continue;
            if ((bb & mask & (0xfu << 25)) != (match & (0xfu << 25)))
                continue;
            /* A line whose feature the model lacks is UNDEFINED there: keep it (so it
             * still shadows less specific lines) but with the UNDEF handler. */
            a64_handler h = (features >> a64_lines[i].feature) & 1 ? a64_lines[i].handler
                                                                    : a64_h_unalloc;
            d->bucket[b][d->n[b]++] = (struct a64_dline){mask, match, h, i, kinds[i]};
        }
        /* qsort is not stable: sort (index order among equals is irrelevant, the table
         * has no overlapping lines of equal specificity; tests/isa/arm64 checks that). */
        qsort(d->bucket[b], d->n[b], sizeof(struct a64_dline), dline_cmp);
    }
    return d;
}

void a64_decoder_destroy(struct a64_decoder *d)
{
    if (!d)
        return;
    for (unsigned b = 0; b < 16; b++)
        free(d->bucket[b]);
    free(d);
}

a64_handler a64_decode(const struct a64_decoder *d, uint32_t insn)
{
    unsigned b = (insn >> 25) & 0xf;
    const struct a64_dline *l = d->bucket[b];
    for (unsigned i = 0, n = d->n[b]; i < n; i++)
        if ((insn & l[i].mask) == l[i].match)
            return l[i].h;
    return a64_h_unalloc;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Cost class of one instruction (docs/model.md "CPU cycle model"), from the line's name
 * and handler group, plus the load/store direction bits where one line covers both:
 * ARM DDI0487 C4.1.88, register/immediate forms: opc (bits 23:22) == 00 is a store for
 * general registers; for SIMD&FP registers (V = 1) and for pairs, exclusives and the
 * AdvSIMD structure forms bit 22 is L (1 = load).
 * Split in two so that the decoder does the name matching once per table line when it is
 * built (cost_kind, stored in struct a64_dline) and only the bit test per instruction
 * (cost_resolve): a cost kind is a class, or one of the two encoding-dependent kinds. */
enum {
    COST_KIND_LDST_OPC = A64_COST_NCLASSES, /* general-register forms: V, opc */
    COST_KIND_LDST_L,                       /* everything else: bit 22 = L */
};

static unsigned cost_kind(unsigned idx)
{
    if (idx >= A64_NLINES)
        return A64_COST_ALU;
    const struct a64_line *l = &a64_lines[idx];
    const char *n = l->name;
    if (l->handler == a64_h_unalloc)
        return A64_COST_ALU;
    if (!strcmp(n, "udiv") || !strcmp(n, "sdiv"))
        return A64_COST_DIV;
    if (l->handler == a64_h_dp3)
        return A64_COST_MUL;
    if (l->handler == a64_h_b || l->handler == a64_h_cb || l->handler == a64_h_tb ||
        l->handler == a64_h_bcond || l->handler == a64_h_br)
        return A64_COST_BRANCH;
    if (l->handler == a64_h_eret)
        return A64_COST_ERET;
    if (!strcmp(n, "dmb") || !strcmp(n, "dsb") || !strcmp(n, "isb") || !strcmp(n, "sb"))
        return A64_COST_BARRIER;
    if (l->handler == a64_h_msr_mrs || l->handler == a64_h_msr_imm || l->handler == a64_h_sys)
        return A64_COST_SYSREG;
    if (a64_insn_class(idx) != A64_CLASS_LDST)
        return A64_COST_ALU;
    /* Loads and stores. Atomic read-modify-writes count as loads (the load issues). */
    if (starts(n, "cas") || starts(n, "swp") || starts(n, "prfm") || starts(n, "ldr_lit") ||
        starts(n, "ldrsw_lit") || starts(n, "ldapr"))
        return A64_COST_LOAD;
    if (starts(n, "ldst_"))
        return COST_KIND_LDST_OPC;
    if (starts(n, "st") && !strchr(n, '_'))
        return A64_COST_STORE; /* stxr, stlxr, stxp, stlxp, stlr, st1... */
    if (starts(n, "ld") && !strchr(n, '_') && l->handler == a64_h_atomic)
        return A64_COST_LOAD;
    return COST_KIND_LDST_L;
}

static inline enum a64_cost_class cost_resolve(unsigned kind, uint32_t insn)
{
    if (kind == COST_KIND_LDST_OPC) {
        if (!A64_BIT(insn, 26))
            return A64_BITS(insn, 23, 22) == 0 ? A64_COST_STORE : A64_COST_LOAD;
        return A64_BIT(insn, 22) ? A64_COST_LOAD : A64_COST_STORE;
    }
    if (kind == COST_KIND_LDST_L)
        return A64_BIT(insn, 22) ? A64_COST_LOAD : A64_COST_STORE;
    return (enum a64_cost_class)kind;
}

enum a64_cost_class a64_cost_class_of(unsigned idx, uint32_t insn)
{
    return cost_resolve(cost_kind(idx), insn);
}

/* MSR (register) and MSR (immediate) may change what translations depend on (SCTLR_EL1,
 * TCR_EL1, TTBRn_EL1, HCR_EL2 through a GIC hook, PSTATE.PAN): after them the memory fast
 * path (cpu.c) is emptied, so the next accesses re-translate.
 * MRS (bit 21, L = 1) and SYS (TLBI changes the TLB generation itself) need no wrapper. */
static void h_msr_reg_ctx(struct a64_cpu *c, uint32_t insn)
{
    a64_h_msr_mrs(c, insn);
    a64_fast_flush(c);
}

static void h_msr_imm_ctx(struct a64_cpu *c, uint32_t insn)
{
    a64_h_msr_imm(c, insn);
    a64_fast_flush(c);
}

/* The handler to run for insn claimed by a line with handler h: the MSR wrappers above,
 * and the specialised general-register LDR/STR forms (a64_internal.h). */
static a64_handler specialise(a64_handler h, uint32_t insn)
{
    bool gp = !A64_BIT(insn, 26), ldst = A64_BITS(insn, 23, 22) <= 1; /* V = 0, opc 00/01 */
    bool load = A64_BITS(insn, 23, 22) == 1;
    if (h == a64_h_msr_mrs && !A64_BIT(insn, 21))
        return h_msr_reg_ctx;
    if (h == a64_h_msr_imm)
        return h_msr_imm_ctx;
    if (h == a64_h_ldst_uimm && gp && ldst)
        return load ? a64_h_ldr_gp_uimm : a64_h_str_gp_uimm;
    if (h == a64_h_ldst_regoff && gp && ldst && (A64_BITS(insn, 15, 13) & 2))
        return load ? a64_h_ldr_gp_regoff : a64_h_str_gp_regoff;
    if (h == a64_h_ldst_imm9 && gp && ldst && A64_BITS(insn, 11, 10) != 2)
        return a64_h_ldst_gp_imm9;
    /* STNP/LDNP, post-index, offset and pre-index pairs of X registers (opc 10, V = 0) */
    if (h == a64_h_ldst_pair && gp && A64_BITS(insn, 31, 30) == 2)
        return a64_h_ldstp_x;
    bool sf = A64_BIT(insn, 31), sub = A64_BIT(insn, 30), s = A64_BIT(insn, 29);
    if (h == a64_h_addsub_imm) {
        if (sf && !s)
            return sub ? a64_h_sub_imm64 : a64_h_add_imm64;
        if (sub && s)
            return sf ? a64_h_subs_imm64 : a64_h_subs_imm32;
    }
    if (h == a64_h_addsub_shift && sf && A64_BITS(insn, 23, 22) != 3) {
        if (!s)
            return a64_h_addsub_reg64;
        if (sub)
            return a64_h_subs_reg64;
    }
    /* logical (shifted register) opc 01 = ORR, N = 0, shift amount 0, Rn = XZR */
    if (h == a64_h_logic_reg && sf && A64_BITS(insn, 30, 29) == 1 && !A64_BIT(insn, 21) &&
        A64_BITS(insn, 15, 10) == 0 && A64_BITS(insn, 9, 5) == 31)
        return a64_h_mov_reg64;
    return h;
}

void a64_decode_entry(const struct a64_cpu *c, uint32_t insn, struct a64_dentry *e)
{
    const struct a64_decoder *d = c->dec;
    unsigned b = (insn >> 25) & 0xf;
    const struct a64_dline *l = d->bucket[b];
    e->insn = insn;
    e->h = a64_h_unalloc;
    e->cost = e->cost_taken = c->cost[A64_COST_ALU];
    for (unsigned i = 0, n = d->n[b]; i < n; i++) {
        if ((insn & l[i].mask) == l[i].match) {
            enum a64_cost_class k = cost_resolve(l[i].cost_kind, insn);
            e->h = l[i].h;
            e->h = specialise(e->h, insn);
            e->cost = c->cost[k];
            e->cost_taken = k == A64_COST_BRANCH ? c->cost_branch_taken : c->cost[k];
            return;
        }
    }
}

/* ---- table introspection ---- */
unsigned a64_insn_count(void)
{
    return A64_NLINES;
}

int a64_insn_lookup(uint32_t insn)
{
    int best = -1;
    unsigned bestpop = 0;
    for (unsigned i = 0; i < A64_NLINES; i++) {
        uint32_t mask = 0, match = 0;
        if (!line_mask(&a64_lines[i], &mask, &match))
            continue;
        if ((insn & mask) == match && (best < 0 || popcount32(mask) > bestpop)) {
            best = (int)i;
            bestpop = popcount32(mask);
        }
    }
    return best;
}

const char *a64_insn_line_name(unsigned idx)
{
    return idx < A64_NLINES ? a64_lines[idx].name : NULL;
}

const char *a64_insn_line_feature(unsigned idx)
{
    return idx < A64_NLINES ? a64_lines[idx].feature_name : NULL;
}

const char *a64_insn_name(uint32_t insn)
{
    int i = a64_insn_lookup(insn);
    return i < 0 ? "udf" : a64_lines[i].name;
}

/* ARM DDI0487 C4.1: op0 = bits [28:25]. */
enum a64_class a64_insn_class(unsigned idx)
{
    uint32_t mask = 0, match = 0;
    if (idx < A64_NLINES)
        line_mask(&a64_lines[idx], &mask, &match);
    unsigned op0 = (match >> 25) & 0xf;
    if ((op0 & 0xe) == 0x8)
        return A64_CLASS_DP_IMM;
    if ((op0 & 0xe) == 0xa)
        return A64_CLASS_BRANCH_SYS;
    if ((op0 & 0x5) == 0x4)
        return A64_CLASS_LDST;
    if ((op0 & 0x7) == 0x5)
        return A64_CLASS_DP_REG;
    return A64_CLASS_FPSIMD;
}

static uint64_t xorshift64s(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint32_t a64_random_encoding(uint64_t *rng, enum a64_class cls, int *idx_out)
{
    unsigned cand[A64_NLINES], n = 0;
    for (unsigned i = 0; i < A64_NLINES; i++)
        if (a64_insn_class(i) == cls && strncmp(a64_lines[i].name, "unalloc_", 8) != 0)
            cand[n++] = i;
    if (!n)
        return 0;
    for (;;) {
        unsigned i = cand[xorshift64s(rng) % n];
        uint32_t mask = 0, match = 0;
        line_mask(&a64_lines[i], &mask, &match);
        uint32_t w = ((uint32_t)(xorshift64s(rng) >> 32) & ~mask) | match;
        if (a64_insn_lookup(w) == (int)i) {
            if (idx_out)
                *idx_out = (int)i;
            return w;
        }
    }
}
