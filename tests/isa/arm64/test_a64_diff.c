/* tests/isa/arm64/test_a64_diff.c - differential test of the A64 interpreter against
 * libunicorn (QEMU 5 based; GPL, linked into this test only).
 *
 * Random valid encodings from a64.def, per class, in sequences of SEQ instructions, with
 * random registers, NZCV and vector registers; memory operands point into a 64 KiB window
 * mapped in both. Both run with the MMU off at EL1; the hvsim core gets an identity
 * translation hook that reports Normal memory, because QEMU does not model the Device-
 * memory alignment faults of an MMU-off data access (ARM DDI0487 D8.2.x + B2.5.2).
 * After each sequence: X0-X30, SP, PC, NZCV, V0-V31, FPCR/FPSR and the window must match;
 * if an exception was raised, both must have raised one (and the registers match).
 *
 * FP/SIMD sequences start from FP-flavoured vector values (zeros, denormals, infinities,
 * quiet and signalling NaNs, values near integer limits) under a random FPCR (RMode, FZ,
 * DN, AHP). HVSIM_DIFF_COVER lists the FP/SIMD table lines that never ran to completion.
 *
 * HVSIM_DIFF_N sets the number of sequences (default 20000); HVSIM_DIFF_SEED the seed. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "isa/arm64/a64.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define CODE_BASE 0x100000ull
#define CODE_SIZE 0x10000ull
#define WIN_BASE 0x200000ull
#define WIN_SIZE 0x10000ull
#define SEQ 4
#define SEQ_PC (CODE_BASE + CODE_SIZE / 2)

static uint64_t rng_state = 0x1234567887654321ull;
static const char *only_line;
static unsigned seq_len = SEQ; /* HVSIM_DIFF_SEQ (debugging) */ /* HVSIM_DIFF_LINE: restrict to one table line (debugging) */
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint64_t rnd_value(void)
{
    static const uint64_t special[] = {0, 1, UINT64_MAX, 0x8000000000000000ull,
                                       0x7fffffffffffffffull, 0x80000000ull, 0x7fffffffull,
                                       0xffffffffull, 0x100000000ull, 0xffffffff80000000ull};
    unsigned k = rnd() % 8;
    if (k == 0)
        return rnd() % 16;
    if (k == 1)
        return special[rnd() % (sizeof(special) / sizeof(special[0]))];
    if (k == 2)
        return rnd() & 0xffffffffull;
    return rnd();
}

/* A 64-bit lane for FP/SIMD tests: special single and double values (zeros, denormals,
 * infinities, quiet and signalling NaNs with payloads, 1.0, values near the integer
 * limits and the normal range boundary) or random bits. */
static uint64_t rnd_fp_half32(void)
{
    static const uint32_t sp[] = {0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000,
                                  0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001,
                                  0xff812345, 0x3f800000, 0xbf000000, 0x3fc00000, 0x4f000000,
                                  0xcf000000, 0x5f800000, 0x7f7fffff, 0x00ffffff, 0x40200000};
    unsigned k = rnd() % 4;
    if (k == 0)
        return sp[rnd() % (sizeof(sp) / sizeof(sp[0]))];
    if (k == 1) /* small exponent range: exact/inexact integers and halves */
        return (uint32_t)(rnd() & 0x80ffffffu) | (uint32_t)(0x3e + rnd() % 24) << 23;
    if (k == 2) /* near or below the normal range */
        return (uint32_t)(rnd() & 0x81ffffffu);
    return (uint32_t)rnd();
}

static uint64_t rnd_fp_value(void)
{
    static const uint64_t dp[] = {0, 0x8000000000000000ull, 1, 0x800fffffffffffffull,
                                  0x0010000000000000ull, 0x7ff0000000000000ull,
                                  0xfff0000000000000ull, 0x7ff8000000000000ull,
                                  0xfff8000000012345ull, 0x7ff0000000000001ull,
                                  0xfff4000000000000ull, 0x3ff0000000000000ull,
                                  0xbfe0000000000000ull, 0x43e0000000000000ull,
                                  0xc3e0000000000000ull, 0x41dfffffffc00000ull,
                                  0x41f0000000000000ull, 0x7fefffffffffffffull,
                                  0x36a0000000000000ull, 0x0000000080000000ull};
    unsigned k = rnd() % 6;
    if (k == 0)
        return dp[rnd() % (sizeof(dp) / sizeof(dp[0]))];
    if (k == 1)
        return (rnd() & 0x800fffffffffffffull) | (0x3fcull + rnd() % 70) << 52;
    if (k == 2)
        return (rnd() & 0x801fffffffffffffull);
    if (k == 3)
        return (uint64_t)rnd_fp_half32() << 32 | rnd_fp_half32();
    return rnd_value();
}

static int identity_xlate(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                          struct a64_xlate *out, struct mmu_fault *fault)
{
    if (va >> 44) {
        fault->kind = MMU_FAULT_ADDRESS_SIZE;
        fault->stage = 1;
        fault->level = 0;
        return -1;
    }
    out->pa = va;
    out->attr = 0xff; /* Normal, write-back */
    return 0;
}

struct uc_side {
    uc_engine *uc;
    int intno;
};

static void uc_intr_hook(uc_engine *uc, uint32_t intno, void *user)
{
    struct uc_side *u = user;
    u->intno = (int)intno;
    uc_emu_stop(uc);
}

static int uc_x_reg(unsigned i)
{
    if (i < 29)
        return UC_ARM64_REG_X0 + (int)i;
    return i == 29 ? UC_ARM64_REG_X29 : UC_ARM64_REG_X30;
}

/* Is line `name` a class member we can compare? (System registers, exception return and
 * WFI/WFE are not comparable with unicorn, which runs no OS-level state.) */
static bool skip_line(const char *name, uint32_t w)
{
    static const char *const skip[] = {"msr_imm", "sys", "sysl", "msr_reg", "mrs", "eret", NULL};
    for (unsigned i = 0; skip[i]; i++)
        if (!strcmp(name, skip[i]))
            return true;
    if (!strcmp(name, "hint") && ((w >> 5) & 0x7f) >= 2 && ((w >> 5) & 0x7f) <= 3)
        return true;
    return false;
}

/* Encoding fix-ups: branch offsets kept inside the code region; exclude CONSTRAINED
 * UNPREDICTABLE register overlaps (ARM DDI0487 K1.2: writeback with Rn == Rt, LDP with
 * Rt == Rt2, store-exclusive status register overlapping). Returns false to redraw. */
static bool fixup(const char *name, uint32_t *wp)
{
    uint32_t w = *wp;
    unsigned rt = w & 31, rn = (w >> 5) & 31, rt2 = (w >> 10) & 31, rs = (w >> 16) & 31;
    int off = (int)(rnd() % 17) - 8;
    if (!strcmp(name, "b") || !strcmp(name, "bl"))
        w = (w & ~0x3ffffffu) | ((uint32_t)off & 0x3ffffffu);
    else if (!strcmp(name, "b_cond") || !strcmp(name, "cbz") || !strcmp(name, "cbnz"))
        w = (w & ~(0x7ffffu << 5)) | (((uint32_t)off & 0x7ffffu) << 5);
    else if (!strncmp(name, "ldr_lit", 7) || !strcmp(name, "ldrsw_lit") || !strcmp(name, "prfm_lit"))
        w = (w & ~(0x7ffffu << 5)) | (((uint32_t)(off * 64) & 0x7ffffu) << 5);
    else if (!strcmp(name, "tbz") || !strcmp(name, "tbnz"))
        w = (w & ~(0x3fffu << 5)) | (((uint32_t)off & 0x3fffu) << 5);
    bool wb = strstr(name, "_post") || strstr(name, "_pre") ||
              (!strcmp(name, "stp_ldp_fp") && ((w >> 23) & 1));
    bool pair = !strncmp(name, "stp_ldp", 7) || !strcmp(name, "stnp_ldnp");
    bool vec = (w >> 26) & 1;
    if (wb && rn != 31 && !vec && (rn == rt || (pair && rn == rt2)))
        return false;
    if (pair && ((w >> 22) & 1) && rt == rt2)
        return false;
    if (!strcmp(name, "stxr") || !strcmp(name, "stlxr") || !strcmp(name, "stxp") ||
        !strcmp(name, "stlxp")) {
        if (rs == rt || (rs == rn && rn != 31) || ((!strcmp(name, "stxp") || !strcmp(name, "stlxp")) && rs == rt2))
            return false;
    }
    if ((!strcmp(name, "ldxp") || !strcmp(name, "ldaxp")) && rt == rt2)
        return false;
    /* Indirect branches through XZR leave the mapped code: unicorn reports the fetch of
     * the next block even when the instruction budget is spent. */
    if ((!strcmp(name, "br") || !strcmp(name, "blr") || !strcmp(name, "ret")) && rn == 31)
        return false;
    /* Known QEMU 5 bug: LDSMAX/LDSMIN of 8/16/32 bits compare the zero-extended memory
     * value as a signed 64-bit number (the MemOp lacks MO_SIGN), so negative values give
     * the wrong result. Not comparable; the 64-bit forms are. */
    if ((w & 0x3f208c00u) == 0x38200000u && (w >> 30) != 3 && ((w >> 12) & 7) >= 4 &&
        ((w >> 12) & 7) <= 5)
        return false;
    /* Not implemented in hvsim (UNDEF here): half precision (FEAT_FP16, type = 11) in the
     * FP <-> general register space, and the FEAT_FP16 FMOV (vector, immediate). */
    if (!strcmp(name, "fmov_gen") && ((w >> 22) & 3) == 3)
        return false;
    /* AdvSIMD vector encodings with size = 11 and Q = 0 (or size 00/11 by element) are
     * mostly reserved (both sides UNDEF and the sequence ends): keep one in four. */
    if (((w >> 24) & 0x9f) == 0x0e && ((w >> 22) & 3) == 3 && !((w >> 30) & 1) && (rnd() & 3))
        return false;
    if (((w >> 24) & 0x9f) == 0x0f && !((w >> 10) & 1) && !((w >> 23) & 1) &&
        (((w >> 22) & 3) == 0) && (rnd() & 3))
        return false;
    /* FJCVTZS (FEAT_JSCVT): neither hvsim model advertises it (ID_AA64ISAR1_EL1.JSCVT = 0,
     * so it is UNDEFINED here) but unicorn's "max" implements it. */
    if ((w & 0xfffffc00u) == 0x1e7e0000u)
        return false;
    if (!strcmp(name, "movi") && ((w >> 11) & 1))
        return false;
    /* AdvSIMD floating-point vector forms with sz = 1 (double lanes) and Q = 0 are reserved,
     * as are FMAXV & co. with sz = 1 or Q = 0, FCVTXN with sz = 0, the double fixed-point
     * conversions with Q = 0 and URECPE/URSQRTE with sz = 1: keep one in four so that most
     * sequences run to their end. */
    {
        bool q = (w >> 30) & 1, sz = (w >> 22) & 1, vec = !((w >> 28) & 1);
        bool fpv = vec && (name[0] == 'f' || !strcmp(name, "scvtf_v") || !strcmp(name, "ucvtf_v") ||
                           !strcmp(name, "urecpe") || !strcmp(name, "ursqrte"));
        bool reserved = false;
        if (!strcmp(name, "fcvtl") || !strcmp(name, "fcvtn"))
            reserved = false;
        else if (!strcmp(name, "fcvtxn") || !strcmp(name, "fcvtxn_s"))
            reserved = !sz;
        else if (!strcmp(name, "fmaxnmv") || !strcmp(name, "fmaxv") || !strcmp(name, "fminnmv") ||
                 !strcmp(name, "fminv"))
            reserved = sz || !q;
        else if (strstr(name, "_fixv_d"))
            reserved = !q;
        else if (fpv)
            reserved = sz && !q;
        /* scalar integer forms that exist for 64-bit elements only, and the saturating
         * doubling multiplies (16- and 32-bit elements only) */
        static const char *const d_only[] = {"add_s", "sub_s", "cmtst_s", "cmeq_s", "cmgt_s",
            "cmhi_s", "cmge_s", "cmhs_s", "sshl_s", "ushl_s", "srshl_s", "urshl_s", "cmgt_z_s",
            "cmeq_z_s", "cmlt_z_s", "abs_s", "cmge_z_s", "cmle_z_s", "neg_s", NULL};
        unsigned size = (w >> 22) & 3;
        for (unsigned i = 0; d_only[i]; i++)
            if (!strcmp(name, d_only[i]))
                reserved = size != 3;
        if (!strncmp(name, "sqdm", 4) || !strncmp(name, "sqrdm", 5))
            reserved = size == 0 || size == 3;
        if (reserved && (rnd() & 3))
            return false;
    }
    *wp = w;
    return true;
}

struct harness {
    struct sim_mem mem;
    struct sim_stats stats;
    struct a64_cpu *cpu;
    struct uc_side u;
    uint8_t win_a[WIN_SIZE], win_b[WIN_SIZE];
    unsigned mism_reported;
    uint64_t skipped_unimpl, skipped_qemu, exc_both, compared;
    uint64_t v_unknown; /* aborted structure loads: V registers not compared */
    bool model_max;
    uc_cpu_arm64 ucmodel;
    unsigned long uc_uses;
    unsigned long completed[1024]; /* per decode-table line: executions without exception */
};

static int uc_setup(struct harness *h);

static int setup(struct harness *h, const char *model, uc_cpu_arm64 ucmodel)
{
    char err[128];
    sim_mem_init(&h->mem);
    sim_stats_init(&h->stats);
    if (sim_mem_add_ram(&h->mem, "code", CODE_BASE, CODE_SIZE) ||
        sim_mem_add_ram(&h->mem, "win", WIN_BASE, WIN_SIZE))
        return -1;
    h->cpu = a64_cpu_create(&h->mem, &h->stats, model, 1, err, sizeof(err));
    if (!h->cpu) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    h->cpu->xlate = identity_xlate;
    h->model_max = !strcmp(model, "max");
    /* Code region: NOPs everywhere (branches land on them). */
    static uint32_t nops[CODE_SIZE / 4];
    for (unsigned i = 0; i < CODE_SIZE / 4; i++)
        nops[i] = 0xd503201f;
    sim_mem_write_buf(&h->mem, CODE_BASE, nops, CODE_SIZE);
    for (unsigned i = 0; i < WIN_SIZE; i++)
        h->win_a[i] = (uint8_t)rnd();
    sim_mem_write_buf(&h->mem, WIN_BASE, h->win_a, WIN_SIZE);
    h->ucmodel = ucmodel;
    return uc_setup(h);
}

/* (Re)create the unicorn engine with a copy of hvsim's memory. It is recreated every
 * UC_RENEW sequences: unicorn 2.0.1 crashes in page_collection_lock (tb invalidation)
 * after ~10^5 uc_ctl_remove_cache calls on one engine. */
#define UC_RENEW 20000
static int uc_setup(struct harness *h)
{
    static uint8_t buf[CODE_SIZE];
    if (h->u.uc)
        uc_close(h->u.uc);
    h->u.uc = NULL;
    if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &h->u.uc) != UC_ERR_OK)
        return -1;
    if (uc_ctl_set_cpu_model(h->u.uc, h->ucmodel) != UC_ERR_OK)
        return -1;
    if (uc_mem_map(h->u.uc, CODE_BASE, CODE_SIZE, UC_PROT_ALL) ||
        uc_mem_map(h->u.uc, WIN_BASE, WIN_SIZE, UC_PROT_ALL))
        return -1;
    uc_hook hh;
    if (uc_hook_add(h->u.uc, &hh, UC_HOOK_INTR, (void *)uc_intr_hook, &h->u, 1, 0))
        return -1;
    sim_mem_read_buf(&h->mem, CODE_BASE, buf, CODE_SIZE);
    uc_mem_write(h->u.uc, CODE_BASE, buf, CODE_SIZE);
    sim_mem_read_buf(&h->mem, WIN_BASE, buf, WIN_SIZE);
    uc_mem_write(h->u.uc, WIN_BASE, buf, WIN_SIZE);
    uint64_t cpacr = 3u << 20;
    uc_reg_write(h->u.uc, UC_ARM64_REG_CPACR_EL1, &cpacr);
    return 0;
}

static void teardown(struct harness *h)
{
    if (h->u.uc)
        uc_close(h->u.uc);
    a64_cpu_destroy(h->cpu);
    sim_stats_destroy(&h->stats);
    sim_mem_destroy(&h->mem);
}

/* One sequence. Returns 0 when equal, 1 mismatch, 2 skipped. */
static int one_sequence(struct harness *h, enum a64_class cls)
{
    if (++h->uc_uses % UC_RENEW == 0 && uc_setup(h)) {
        fprintf(stderr, "cannot recreate the unicorn engine\n");
        return 1;
    }
    uint32_t code[SEQ];
    const char *names[SEQ];
    int idxs[SEQ];
    unsigned excl_size = 0; /* size of the last load-exclusive in the sequence */
    for (unsigned i = 0; i < SEQ; i++) {
        for (;;) {
            int idx;
            uint32_t w = a64_random_encoding(&rng_state, cls, &idx);
            const char *nm = a64_insn_line_name((unsigned)idx);
            if (skip_line(nm, w) || !fixup(nm, &w))
                continue;
            if (only_line && strcmp(nm, only_line))
                continue;
            /* Lines the model lacks only test that both raise UNDEF: keep 1 in 16. */
            const char *feat = a64_insn_line_feature((unsigned)idx);
            if (strcmp(feat, "base") && strcmp(feat, "crc") && !h->model_max && (rnd() & 15))
                continue;
            /* See the QEMU 5 LD{S,U}{MAX,MIN} note below: only first in a sequence. */
            if (i > 0 && (w & 0x3f208c00u) == 0x38200000u && (w >> 30) != 3 && ((w >> 12) & 7) >= 6)
                continue;
            /* A store-exclusive of another size than the load-exclusive is CONSTRAINED
             * UNPREDICTABLE (ARM DDI0487 B2.9.5): not comparable. */
            if ((w & 0x3f800000u) == 0x08000000u) {
                bool pr = (w >> 21) & 1;
                unsigned total = pr ? 2 * (4u << ((w >> 30) & 1)) : 1u << (w >> 30);
                if ((w >> 22) & 1)
                    excl_size = total;
                else if (!((w >> 23) & 1) && total != excl_size)
                    continue; /* also: no store-exclusive before a load-exclusive (the
                               * monitors of both cores would carry state over) */
            }
            code[i] = w;
            names[i] = nm;
            idxs[i] = idx;
            break;
        }
    }
    struct a64_cpu *c = h->cpu;
    uc_engine *uc = h->u.uc;
    a64_cpu_reset(c, SEQ_PC, 1);
    a64_sysreg_write(c, A64_SYSREG(3, 0, 1, 0, 2), 3u << 20);
    c->vbar_el1 = 0; /* exceptions stop the run (A64_STOP_UNHANDLED) */
    uint64_t x[31], sp, nzcv, v[32][2];
    for (unsigned i = 0; i < 31; i++)
        x[i] = rnd_value();
    /* Point base and index registers at the window / code (the first instruction to use
     * a register decides its value). */
    uint32_t assigned = 0;
    for (unsigned i = 0; i < SEQ; i++) {
        uint32_t w = code[i];
        unsigned rn = (w >> 5) & 31, rm = (w >> 16) & 31;
        bool is_ind = !strcmp(names[i], "br") || !strcmp(names[i], "blr") || !strcmp(names[i], "ret");
        if ((assigned >> rn) & 1)
            rn = 31;
        if ((assigned >> rm) & 1)
            rm = 31;
        if (cls == A64_CLASS_LDST || is_ind)
            assigned |= (rn != 31 ? 1u << rn : 0);
        if (cls == A64_CLASS_LDST && (w & 0x3b200c00u) == 0x38200800u)
            assigned |= (rm != 31 ? 1u << rm : 0);
        if (cls == A64_CLASS_LDST) {
            /* Exclusives, acquire/release and atomics must be aligned (ARM DDI0487 B2.5.2);
             * QEMU 5 does not check that on every path (see the report), so keep them
             * aligned; other accesses get an unaligned base three times in four. */
            bool must_align = (w & 0x3f000000u) == 0x08000000u ||
                              ((w & 0x3b200c00u) == 0x38200000u);
            if (rn != 31)
                x[rn] = WIN_BASE + 0x4000 + (rnd() % 0x800) * ((rnd() & 3) && !must_align ? 1 : 16);
            if ((w & 0x3b200c00u) == 0x38200800u && rm != 31 && rm != rn)
                x[rm] = rnd() % 64;
        } else if (is_ind) {
            if (rn != 31)
                x[rn] = SEQ_PC + (rnd() % 64) * 4 - 128;
        }
    }
    {
        uint32_t w = code[0];
        /* Known QEMU 5 bug: LDUMAX/LDUMIN with a 8/16/32-bit size compare the memory
         * value with all 64 bits of Rs instead of Rs<datasize-1:0> (ARM DDI0487 C6.2
         * LDUMAX: "value = X[s]<datasize-1:0>"). Give Rs its zero-extended value. */
        if (cls == A64_CLASS_LDST && (w & 0x3f208c00u) == 0x38200000u && (w >> 30) != 3 &&
            ((w >> 12) & 7) >= 6) {
            unsigned rs = (w >> 16) & 31, bits = 8u << (w >> 30);
            if (rs != 31) {
                uint64_t lo = x[rs] & ((1ull << bits) - 1);
                x[rs] = lo; /* LDUMAX/LDUMIN: Rs<datasize-1:0> zero-extended */
            }
        }
    }
    sp = WIN_BASE + 0x8000 + (rnd() % 0x100) * 16;
    nzcv = (rnd() & 0xf) << 28;
    for (unsigned i = 0; i < 32; i++) {
        v[i][0] = cls == A64_CLASS_FPSIMD ? rnd_fp_value() : rnd_value();
        v[i][1] = cls == A64_CLASS_FPSIMD ? rnd_fp_value() : rnd_value();
    }
    /* FP/SIMD sequences run under a random FPCR: RMode, FZ, DN and AHP (ARM DDI0487
     * C5.2.8; AHP only affects conversions to and from half precision). */
    uint64_t fpcr = cls == A64_CLASS_FPSIMD ? (rnd() & 0x3ull) << 22 | ((rnd() & 3) == 0) << 24 |
                                                  (uint64_t)((rnd() & 3) == 0) << 25 |
                                                  (uint64_t)((rnd() & 7) == 0) << 26
                                            : 0;
    /* hvsim side */
    memcpy(c->x, x, sizeof(x));
    c->sp_el[1] = sp;
    c->nzcv = (uint32_t)nzcv;
    memcpy(c->v, v, sizeof(v));
    c->fpcr = (uint32_t)fpcr;
    sim_mem_write_buf(&h->mem, SEQ_PC, code, sizeof(code));
    enum a64_stop st = a64_run(c, seq_len);
    bool a_exc = st == A64_STOP_UNHANDLED;
    /* unicorn side */
    uc_mem_write(uc, SEQ_PC, code, sizeof(code));
    uc_ctl_remove_cache(uc, SEQ_PC, SEQ_PC + sizeof(code));
    for (unsigned i = 0; i < 31; i++)
        uc_reg_write(uc, uc_x_reg(i), &x[i]);
    uc_reg_write(uc, UC_ARM64_REG_SP, &sp);
    uc_reg_write(uc, UC_ARM64_REG_NZCV, &nzcv);
    uint64_t zero = 0;
    uc_reg_write(uc, UC_ARM64_REG_FPCR, &fpcr);
    uc_reg_write(uc, UC_ARM64_REG_FPSR, &zero);
    for (unsigned i = 0; i < 32; i++)
        uc_reg_write(uc, UC_ARM64_REG_Q0 + (int)i, v[i]);
    h->u.intno = -1;
    uc_err e = uc_emu_start(uc, SEQ_PC, CODE_BASE + CODE_SIZE + 0x1000, 0, seq_len);
    bool b_exc = e != UC_ERR_OK || h->u.intno >= 0;

    /* compare */
    uint64_t bx[31], bsp, bpc, bnzcv, bv[32][2], bfpcr, bfpsr;
    for (unsigned i = 0; i < 31; i++)
        uc_reg_read(uc, uc_x_reg(i), &bx[i]);
    uc_reg_read(uc, UC_ARM64_REG_SP, &bsp);
    uc_reg_read(uc, UC_ARM64_REG_PC, &bpc);
    uc_reg_read(uc, UC_ARM64_REG_NZCV, &bnzcv);
    uc_reg_read(uc, UC_ARM64_REG_FPCR, &bfpcr);
    uc_reg_read(uc, UC_ARM64_REG_FPSR, &bfpsr);
    for (unsigned i = 0; i < 32; i++)
        uc_reg_read(uc, UC_ARM64_REG_Q0 + (int)i, bv[i]);
    sim_mem_read_buf(&h->mem, WIN_BASE, h->win_a, WIN_SIZE);
    uc_mem_read(uc, WIN_BASE, h->win_b, WIN_SIZE);

    char why[256] = "";
    /* Known QEMU 5 deviation: an unaligned store-exclusive whose monitor check fails,
     * and unaligned LDAR/STLR/LDAPR, complete without the Alignment fault that ARM DDI0487
     * B2.5.2 requires (hvsim raises DFSC 0b100001). */
    {
        const char *fname = c->exc.pc >= SEQ_PC && c->exc.pc < SEQ_PC + 4 * SEQ
                                ? names[(c->exc.pc - SEQ_PC) / 4] : "";
        if (a_exc && (c->exc.esr >> 26) == 0x25 && (c->exc.esr & 0x3f) == 0x21 &&
            (!strcmp(fname, "stxr") || !strcmp(fname, "stlxr") || !strcmp(fname, "stxp") ||
             !strcmp(fname, "stlxp") || !strcmp(fname, "ldar") || !strcmp(fname, "stlr") ||
             !strcmp(fname, "ldapr"))) {
            h->skipped_qemu++;
            goto resync;
        }
    }
    if (a_exc != b_exc) {
        /* Encodings this core does not implement yet but QEMU does: skip. */
        bool unimpl = a_exc && (c->exc.esr >> 26) == 0 &&
                      !strcmp(a64_insn_name(c->exc.pc >= SEQ_PC && c->exc.pc < SEQ_PC + 4 * SEQ
                                                ? code[(c->exc.pc - SEQ_PC) / 4] : 0), "movi");
        if (unimpl) {
            h->skipped_unimpl++;
            goto resync;
        }
        snprintf(why, sizeof(why), "exception: hvsim %s (esr 0x%08x pc 0x%" PRIx64 "), unicorn %s (err %d intno %d)",
                 a_exc ? "yes" : "no", c->exc.esr, c->exc.pc, b_exc ? "yes" : "no", (int)e, h->u.intno);
    }
    if (!why[0]) {
        for (unsigned i = 0; i < 31 && !why[0]; i++)
            if (c->x[i] != bx[i])
                snprintf(why, sizeof(why), "x%u: hvsim 0x%" PRIx64 " unicorn 0x%" PRIx64, i, c->x[i], bx[i]);
    }
    if (!why[0] && c->sp_el[1] != bsp)
        snprintf(why, sizeof(why), "sp: hvsim 0x%" PRIx64 " unicorn 0x%" PRIx64, c->sp_el[1], bsp);
    if (!why[0] && !a_exc && c->pc != bpc)
        snprintf(why, sizeof(why), "pc: hvsim 0x%" PRIx64 " unicorn 0x%" PRIx64, c->pc, bpc);
    if (!why[0] && c->nzcv != (uint32_t)bnzcv)
        snprintf(why, sizeof(why), "nzcv: hvsim 0x%x unicorn 0x%x", c->nzcv, (uint32_t)bnzcv);
    if (!why[0] && (c->fpcr != (uint32_t)bfpcr || c->fpsr != (uint32_t)bfpsr))
        snprintf(why, sizeof(why), "fpcr/fpsr: hvsim 0x%x/0x%x unicorn 0x%x/0x%x", c->fpcr, c->fpsr,
                 (uint32_t)bfpcr, (uint32_t)bfpsr);
    /* A Data Abort part-way through an AdvSIMD structure load (LD1-LD4, LDnR) leaves the
     * registers it was loading UNKNOWN (ARM DDI0487: the destination registers of a load
     * that takes a synchronous Data Abort are UNKNOWN). hvsim commits them only when every
     * element was read, QEMU writes element by element: not comparable. */
    bool v_unknown = false;
    if (a_exc && b_exc && (c->exc.esr >> 26) == 0x25 && c->exc.pc >= SEQ_PC &&
        c->exc.pc < SEQ_PC + 4 * SEQ) {
        uint32_t fw = code[(c->exc.pc - SEQ_PC) / 4];
        v_unknown = (fw & 0xbe400000u) == 0x0c400000u; /* L = 1 in the structure groups */
        if (v_unknown)
            h->v_unknown++;
    }
    for (unsigned i = 0; i < 32 && !why[0] && !v_unknown; i++)
        if (c->v[i][0] != bv[i][0] || c->v[i][1] != bv[i][1])
            snprintf(why, sizeof(why), "v%u: hvsim %016" PRIx64 "%016" PRIx64 " unicorn %016" PRIx64
                     "%016" PRIx64, i, c->v[i][1], c->v[i][0], bv[i][1], bv[i][0]);
    if (!why[0] && memcmp(h->win_a, h->win_b, WIN_SIZE)) {
        unsigned i = 0;
        while (h->win_a[i] == h->win_b[i])
            i++;
        snprintf(why, sizeof(why), "memory at 0x%" PRIx64 ": hvsim %02x unicorn %02x",
                 (uint64_t)(WIN_BASE + i), h->win_a[i], h->win_b[i]);
    }
    if (a_exc && b_exc) {
        h->exc_both++;
        if (getenv("HVSIM_DIFF_DEBUG") && cls == A64_CLASS_LDST && c->exc.pc >= SEQ_PC && c->exc.pc < SEQ_PC + 16)
            fprintf(stderr, "ldstexc %s %08x\n", names[(c->exc.pc - SEQ_PC) / 4], c->exc.esr);
        if (getenv("HVSIM_DIFF_DEBUG") && cls == A64_CLASS_FPSIMD && c->exc.pc >= SEQ_PC &&
            c->exc.pc < SEQ_PC + 4 * SEQ)
            fprintf(stderr, "fpexc %s %08x\n", names[(c->exc.pc - SEQ_PC) / 4],
                    code[(c->exc.pc - SEQ_PC) / 4]);
        if (getenv("HVSIM_DIFF_DEBUG") && cls == A64_CLASS_DP_IMM)
            fprintf(stderr, "exc esr %08x pc %lx: %08x %08x %08x %08x uc err %d int %d\n", c->exc.esr, (unsigned long)c->exc.pc, code[0], code[1], code[2], code[3], (int)e, h->u.intno);
    }
    h->compared++;
    if (cls == A64_CLASS_FPSIMD) { /* per-line coverage: instructions that ran to completion */
        unsigned done = seq_len;
        if (a_exc && c->exc.pc >= SEQ_PC && c->exc.pc < SEQ_PC + 4 * SEQ)
            done = (unsigned)(c->exc.pc - SEQ_PC) / 4;
        for (unsigned i = 0; i < done && i < seq_len; i++)
            if ((unsigned)idxs[i] < 1024)
                h->completed[idxs[i]]++;
    }
    if (!why[0])
        return 0;
    if (h->mism_reported++ < 20) {
        fprintf(stderr, "MISMATCH (%s) [exceptions: hvsim %d esr 0x%08x pc 0x%" PRIx64 ", unicorn %d]:",
                why, a_exc, c->exc.esr, c->exc.pc, b_exc);
        for (unsigned i = 0; i < seq_len; i++)
            fprintf(stderr, " %08x(%s)", code[i], names[i]);
        fprintf(stderr, "\n");
        if (getenv("HVSIM_DIFF_VERBOSE"))
            for (unsigned i = 0; i < 31; i++)
                fprintf(stderr, "  x%u = 0x%" PRIx64 " -> 0x%" PRIx64 " / 0x%" PRIx64 "\n", i, x[i], c->x[i], bx[i]);
    }
resync:
    sim_mem_write_buf(&h->mem, WIN_BASE, h->win_b, WIN_SIZE);
    return why[0] ? 1 : 2;
}

int main(void)
{
    const char *ns = getenv("HVSIM_DIFF_N"), *ss = getenv("HVSIM_DIFF_SEED");
    unsigned long n = ns ? strtoul(ns, NULL, 0) : 20000;
    only_line = getenv("HVSIM_DIFF_LINE");
    if (getenv("HVSIM_DIFF_SEQ"))
        seq_len = (unsigned)strtoul(getenv("HVSIM_DIFF_SEQ"), NULL, 0) % (SEQ + 1);
    if (!seq_len)
        seq_len = SEQ;
    if (ss)
        rng_state = strtoull(ss, NULL, 0) | 1;
    static const enum a64_class classes[] = {A64_CLASS_DP_IMM, A64_CLASS_DP_REG,
                                             A64_CLASS_BRANCH_SYS, A64_CLASS_LDST,
                                             A64_CLASS_FPSIMD};
    static const char *const cname[] = {"dp_imm", "dp_reg", "branch_sys", "ldst", "fpsimd"};
    static const struct { const char *model; uc_cpu_arm64 uc; } models[] = {
        {"cortex-a57", UC_CPU_ARM64_A57}, {"max", UC_CPU_ARM64_MAX}};
    for (unsigned mi = 0; mi < 2; mi++) {
        struct harness *h = calloc(1, sizeof(*h));
        CHECK(h != NULL);
        if (!h)
            break;
        int r = setup(h, models[mi].model, models[mi].uc);
        CHECK_EQ(r, 0);
        if (r) {
            teardown(h);
            free(h);
            continue;
        }
        unsigned long mism[5] = {0}, runs[5] = {0}, exc[5] = {0};
        for (unsigned long i = 0; i < n / 2; i++) {
            unsigned k = (unsigned)(i % 5);
            if (only_line) {
                for (unsigned li = 0; li < a64_insn_count(); li++)
                    if (!strcmp(a64_insn_line_name(li), only_line))
                        for (unsigned kk = 0; kk < 5; kk++)
                            if (classes[kk] == a64_insn_class(li))
                                k = kk;
            }
            runs[k]++;
            uint64_t before = h->exc_both;
            if (one_sequence(h, classes[k]) == 1)
                mism[k]++;
            exc[k] += h->exc_both - before;
        }
        for (unsigned k = 0; k < 5; k++) {
            printf("%s %-10s: %lu sequences (%lu ending in an exception on both), %lu mismatches\n",
                   models[mi].model, cname[k], runs[k], exc[k], mism[k]);
            CHECK_EQ(mism[k], 0);
        }
        printf("%s: %" PRIu64 " compared, %" PRIu64 " with an exception on both sides, %" PRIu64
               " skipped (not implemented here), %" PRIu64 " known QEMU alignment deviations\n",
               models[mi].model, h->compared, h->exc_both, h->skipped_unimpl, h->skipped_qemu);
        printf("%s: %" PRIu64 " aborted AdvSIMD structure loads (V registers UNKNOWN, not compared)\n",
               models[mi].model, h->v_unknown);
        /* FP/SIMD lines that never ran to completion (only UNDEF or not drawn): listed with
         * HVSIM_DIFF_COVER set, counted always; none may be left in a long run. */
        unsigned never = 0;
        for (unsigned li = 0; li < a64_insn_count() && li < 1024; li++) {
            const char *nm = a64_insn_line_name(li);
            if (a64_insn_class(li) != A64_CLASS_FPSIMD || !strncmp(nm, "unalloc_", 8) ||
                h->completed[li])
                continue;
            never++;
            if (getenv("HVSIM_DIFF_COVER"))
                printf("  never completed: %s\n", nm);
        }
        printf("%s: %u FP/SIMD table lines never executed to completion\n", models[mi].model, never);
        if (n >= 200000) /* long runs must have executed every FP/SIMD line */
            CHECK_EQ(never, 0);
        teardown(h);
        free(h);
    }
    return test_summary();
}
