/* tests/isa/x86/test_x86_diff.c - differential test of the x86-64 interpreter against
 * libunicorn (QEMU 5 based; GPL, linked into this test only), 64-bit mode.
 *
 * Random valid instructions from x86.def (x86_random_insn) in sequences of SEQ, with random
 * registers and flags; memory operands (bases, string pointers, moffs, RSP, RBP) point into
 * a 64 KiB window mapped in both, relative branches stay in a NOP-filled code region.
 * hvsim runs with linear = physical and no IDT, so an exception stops it at the faulting
 * instruction; unicorn stops there too. After each sequence all GPRs, RIP, RFLAGS (minus
 * the flags the SDM leaves undefined for the instructions executed) and the window must
 * match; if one raised an exception the other must have raised one as well.
 *
 * Flags the SDM leaves undefined are masked per executed instruction (hvsim is stepped
 * one instruction at a time to see each one's operands): a sequence in which a later
 * instruction could consume an undefined flag is cut after the producer.
 *
 * Half of the sequences are drawn from the SSE/SSE2 lines only, with random XMM registers
 * (float-flavoured values) and MXCSR (rounding, DAZ); XMM registers and the MXCSR control
 * bits are compared too. An identical I/O device answers IN/INS on both sides.
 *
 * HVSIM_DIFF_N sets the number of sequences (default 10000); HVSIM_DIFF_SEED the seed;
 * HVSIM_DIFF_LINE restricts generation to one mnemonic (debugging); HVSIM_DIFF_TRACE
 * replays each mismatch step by step on both engines and prints why sequences were
 * skipped; HVSIM_DIFF_ECHO prints every sequence before unicorn runs it; HVSIM_DIFF_REPORT
 * sets how many mismatches are printed (default 10). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "isa/x86/x86.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define CODE_BASE 0x100000ull
#define CODE_SIZE 0x10000ull
#define WIN_BASE 0x200000ull
#define WIN_SIZE 0x10000ull
#define SEQ 4
#define SEQ_PC (CODE_BASE + CODE_SIZE / 2)
/* skip_line[] is indexed by __LINE__ (bounded: the file may outgrow it) */
#define SKIP_LINES 2048
#define SMC_SPAN 512 /* bytes around SEQ_PC checked for self-modification */
/* MXCSR bits compared: control bits only. QEMU 5 (unicorn 2.0.1) never sets the six
 * exception flags that SDM vol. 1 §11.5.2 requires, so the flags are checked by
 * test_x86_sse against values derived from the SDM instead. */
#define MXCSR_CMP 0xffc0u

static uint64_t rng_state = 0x1234567887654321ull;
static const char *only_line;

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
                                       0xffffffffull, 0x100000000ull, 0xffffffff80000000ull,
                                       0x80, 0x7f, 0xff, 0x8000, 0xffff};
    unsigned k = rnd() % 8;
    if (k == 0)
        return rnd() % 70;
    if (k == 1)
        return special[rnd() % (sizeof(special) / sizeof(special[0]))];
    if (k == 2)
        return rnd() & 0xffffffffull;
    return rnd();
}

/* A line that works on XMM registers or MXCSR (operand kinds V, W, U; SDM vol. 2 A.2.1). */
static bool is_sse_line(unsigned idx)
{
    const char *nm = x86_insn_line_name(idx), *p = x86_insn_line_operands(idx);
    if (!strcmp(nm, "ldmxcsr") || !strcmp(nm, "stmxcsr") || !strcmp(nm, "fxsave") ||
        !strcmp(nm, "fxrstor") || !strcmp(nm, "movnti"))
        return true;
    for (; *p; p++)
        if ((*p == 'V' || *p == 'W' || *p == 'U') && (p == x86_insn_line_operands(idx) || p[-1] == ','))
            return true;
    return false;
}

/* 32 bits of a float-flavoured pattern: zeros, ones, infinities, NaNs (quiet and
 * signalling), denormals, values near 2^31/2^63 (conversion limits) or random bits. */
static uint32_t rnd_f32(void)
{
    static const uint32_t sp[] = {0, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u,
                                  0xff800000u, 0x7fc00000u, 0x7fa00000u, 0xffc00001u,
                                  0x00000001u, 0x807fffffu, 0x00400000u, 0x4f000000u,
                                  0xcf000000u, 0x5f000000u, 0x3effffffu, 0x7f7fffffu,
                                  0x00800000u, 0x3fc00000u, 0x40490fdbu};
    unsigned k = rnd() % 4;
    if (k == 0)
        return sp[rnd() % (sizeof(sp) / sizeof(sp[0]))];
    if (k == 1) /* a modest float */
        return (uint32_t)(((rnd() % 40) + 107) << 23) | (uint32_t)(rnd() & 0x807fffffu);
    return (uint32_t)rnd();
}

static uint64_t rnd_f64(void)
{
    static const uint64_t sp[] = {0, 0x8000000000000000ull, 0x3ff0000000000000ull,
                                  0x7ff0000000000000ull, 0xfff0000000000000ull,
                                  0x7ff8000000000000ull, 0x7ff4000000000000ull,
                                  0x0000000000000001ull, 0x800fffffffffffffull,
                                  0x41e0000000000000ull, 0xc1e0000000000000ull,
                                  0x43e0000000000000ull, 0x3fe0000000000000ull,
                                  0x7fefffffffffffffull, 0x3810000000000000ull,
                                  0x47efffffe0000000ull, 0x36a0000000000000ull};
    unsigned k = rnd() % 4;
    if (k == 0)
        return sp[rnd() % (sizeof(sp) / sizeof(sp[0]))];
    if (k == 1)
        return (((rnd() % 80) + 983) << 52) | (rnd() & 0x800fffffffffffffull);
    return rnd();
}

static void rnd_xmm(uint64_t v[2])
{
    unsigned k = rnd() % 3;
    for (unsigned h = 0; h < 2; h++) {
        if (k == 0)
            v[h] = (uint64_t)rnd_f32() | (uint64_t)rnd_f32() << 32;
        else if (k == 1)
            v[h] = rnd_f64();
        else
            v[h] = rnd_value();
    }
}

/* SSE floating-point arithmetic, comparisons and conversions (they can produce NaNs). */
static bool is_fp_arith(const char *nm)
{
    size_t n = strlen(nm);
    if (n < 5)
        return false;
    const char *sfx = nm + n - 2;
    if (strcmp(sfx, "ps") && strcmp(sfx, "pd") && strcmp(sfx, "ss") && strcmp(sfx, "sd") &&
        strncmp(nm, "cvt", 3))
        return false;
    static const char *const pre[] = {"add", "sub", "mul", "div", "sqrt", "min", "max", "cmp",
                                      "cvt", NULL};
    for (unsigned k = 0; pre[k]; k++)
        if (!strncmp(nm, pre[k], strlen(pre[k])))
            return true;
    return false;
}

static bool f32_nan(uint32_t v)
{
    return (v & 0x7f800000u) == 0x7f800000u && (v & 0x7fffffu);
}

static bool f64_nan(uint64_t v)
{
    return (v & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (v & 0xfffffffffffffull);
}

/* XMM equality. nan_ok: a lane that is a NaN on both sides matches whatever its payload:
 * when both operands are NaNs QEMU 5 returns the one with the larger significand (its x87
 * rule), where SDM vol. 1 §11.5.2.2 / Table 4-7 returns the first source operand (hvsim);
 * test_x86_sse checks the SDM rule. */
static bool xmm_equal(const uint64_t a[2], const uint64_t b[2], bool nan_ok)
{
    for (unsigned h = 0; h < 2; h++) {
        if (a[h] == b[h])
            continue;
        if (!nan_ok)
            return false;
        if (f64_nan(a[h]) && f64_nan(b[h]))
            continue;
        for (unsigned k = 0; k < 2; k++) {
            uint32_t x = (uint32_t)(a[h] >> (32 * k)), y = (uint32_t)(b[h] >> (32 * k));
            if (x != y && !(f32_nan(x) && f32_nan(y)))
                return false;
        }
    }
    return true;
}

static const int uc_gpr[16] = {
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP,
    UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8,  UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
    UC_X86_REG_R15};

static bool is(const char *a, const char *b)
{
    return !strcmp(a, b);
}

/* Lines not comparable with unicorn (no OS state, I/O, time, or control transfers to
 * random addresses). */
static bool skip_line(const char *name)
{
    /* x87 state instructions and FXSAVE/FXRSTOR: hvsim keeps the x87 control words only and
     * QEMU 5 differs in FCW bit 6 and the FXSAVE image; test_x86_sse checks them. */
    static const char *const skip[] = {"hlt", "cpuid", "rdtsc", "int", "int3", "int1", "into",
                                       "iret", "fxsave", "fxrstor", "fninit", "fldcw", "fnstcw",
                                       "fnstsw", "fwait", "xsave", "xrstor",
                                       "popf", "ret", "ud2", "cli", "sti", "call", "jmp",
                                       /* hvsim offers no BMI1 (no VEX decode), so F3 0F BC
                                        * is BSF (SDM vol. 2 TZCNT); qemu64 has BMI1 */
                                       "tzcnt", NULL};
    for (unsigned i = 0; skip[i]; i++)
        if (!strcmp(name, skip[i]))
            return true;
    return false;
}

/* Flags a line leaves undefined (SDM vol. 2 per instruction, vol. 1 appendix A), given the
 * count for shifts (-1: not a shift) and the operand size in bits. */
static uint64_t undef_flags(const char *nm, int count, unsigned bits)
{
    const uint64_t SZAP = X86_SF | X86_ZF | X86_AF | X86_PF;
    if (is(nm, "and") || is(nm, "or") || is(nm, "xor") || is(nm, "test"))
        return X86_AF;
    if (is(nm, "mul") || is(nm, "imul"))
        return SZAP;
    if (is(nm, "div") || is(nm, "idiv"))
        return X86_STATUS_FLAGS;
    if (is(nm, "bt") || is(nm, "bts") || is(nm, "btr") || is(nm, "btc"))
        return X86_OF | X86_SF | X86_AF | X86_PF;
    if (is(nm, "bsf") || is(nm, "bsr"))
        return X86_CF | X86_OF | X86_SF | X86_AF | X86_PF;
    if (is(nm, "tzcnt") || is(nm, "lzcnt"))
        return X86_OF | X86_SF | X86_AF | X86_PF;
    if (count >= 0) {
        if (count == 0)
            return 0;
        uint64_t u = 0;
        bool rot = nm[0] == 'r';
        if (!rot)
            u |= X86_AF;
        if (count > 1)
            u |= X86_OF;
        if ((is(nm, "shl") || is(nm, "sal") || is(nm, "shr")) && (unsigned)count >= bits)
            u |= X86_CF;
        if ((is(nm, "shld") || is(nm, "shrd")) && (unsigned)count > bits)
            u |= X86_STATUS_FLAGS;
        return u;
    }
    return 0;
}

/* Lines that read status flags (an undefined flag must not flow into them). */
static bool reads_flags(const char *nm)
{
    return nm[0] == 'j' || !strncmp(nm, "set", 3) || !strncmp(nm, "cmov", 4) || is(nm, "adc") ||
           is(nm, "sbb") || is(nm, "pushf") || is(nm, "lahf") || is(nm, "cmc") ||
           !strncmp(nm, "loop", 4) || is(nm, "rcl") || is(nm, "rcr") || is(nm, "inc") ||
           is(nm, "dec") || is(nm, "bt") || is(nm, "bts") || is(nm, "btr") || is(nm, "btc") ||
           is(nm, "bsf") || is(nm, "bsr") || is(nm, "cmpxchg8b") || is(nm, "shl") ||
           is(nm, "shr") || is(nm, "sar") || is(nm, "sal") || is(nm, "rol") || is(nm, "ror") ||
           is(nm, "shld") || is(nm, "shrd") || is(nm, "mul") || is(nm, "imul") ||
           is(nm, "div") || is(nm, "idiv") || is(nm, "tzcnt") || is(nm, "lzcnt") ||
           is(nm, "cmps") || is(nm, "scas");
}

/* Legacy prefixes and REX in front of the opcode. */
struct pfx {
    unsigned n;          /* bytes of prefixes */
    bool p66, lock, rex, rex_then_legacy, f2, f3;
};

static bool legacy_prefix(uint8_t x)
{
    return x == 0x66 || x == 0x67 || x == 0xf0 || x == 0xf2 || x == 0xf3 || x == 0x26 ||
           x == 0x2e || x == 0x36 || x == 0x3e || x == 0x64 || x == 0x65;
}

static struct pfx scan_prefixes(const uint8_t *b, unsigned l)
{
    struct pfx p = {0};
    bool rex_seen = false;
    for (p.n = 0; p.n < l; p.n++) {
        uint8_t x = b[p.n];
        if (x >= 0x40 && x <= 0x4f) {
            rex_seen = true;
            p.rex = true;
        } else if (legacy_prefix(x)) {
            if (rex_seen)
                p.rex_then_legacy = true;
            p.rex = false;
            p.p66 |= x == 0x66;
            p.lock |= x == 0xf0;
            p.f2 |= x == 0xf2;
            p.f3 |= x == 0xf3;
        } else {
            break;
        }
    }
    return p;
}

/* Encodings where QEMU 5 (unicorn 2.0.1) and the Intel SDM disagree. Returns true when the
 * sequence cannot be compared; *uflags receives status flags unicorn gets wrong (treated
 * like undefined flags: masked, and the sequence is cut before a reader). hvsim_ud: hvsim
 * raised #UD for this instruction.
 *  - 66-prefixed near branches: the SDM forces 64-bit operand size in 64-bit mode (vol. 2
 *    Jcc/JMP/CALL/LOOP "64-bit mode"), QEMU truncates RIP to 16 bits (the AMD behaviour);
 *  - LAHF/SAHF with a REX prefix: QEMU accesses SPL instead of AH (byte_reg_is_xH); the
 *    SDM (vol. 2 LAHF) names AH in every mode;
 *  - a REX prefix followed by a legacy prefix: SDM vol. 2 §2.2.1 says such a REX is
 *    ignored, QEMU applies it;
 *  - 8F /1../7: Intel opcode map group 1A (vol. 2 Table A-6) defines only 8F /0 (POP);
 *    QEMU decodes every reg field as POP;
 *  - LOCK with an instruction the SDM does not list as lockable (vol. 2 LOCK: #UD); QEMU
 *    executes it;
 *  - LOCK NEG: QEMU computes SF/ZF/PF/AF/OF from the old value; the SDM (vol. 2 NEG) sets
 *    them from the result with or without LOCK. */
static bool unicorn_differs(const char *nm, int line, const uint8_t *b, unsigned l,
                            bool hvsim_ud, uint64_t *uflags)
{
    struct pfx p = scan_prefixes(b, l);
    *uflags = 0;
    if (p.p66 && (nm[0] == 'j' || !strncmp(nm, "loop", 4) || is(nm, "call") || is(nm, "ret")))
        return true;
    if (p.rex && (is(nm, "lahf") || is(nm, "sahf")))
        return true;
    if (p.rex_then_legacy)
        return true;
    if (p.n < l && b[p.n] == 0x8f && p.n + 1 < l && ((b[p.n + 1] >> 3) & 7) != 0)
        return true;
    /* C6/C7 /1../7: group 11 (vol. 2 Table A-6) defines only /0 (MOV) and the RTM forms
     * C6 F8 / C7 F8 (XABORT/XBEGIN, not modelled: CPUID.7:EBX[11] = 0): #UD; QEMU 5
     * decodes every reg field as MOV. */
    if (p.n + 1 < l && (b[p.n] == 0xc6 || b[p.n] == 0xc7) && ((b[p.n + 1] >> 3) & 7) != 0)
        return true;
    /* 0F 1A-1C: hint NOPs ("NOP Ev", vol. 2 Table A-3; the MPX BNDxx forms and CLDEMOTE
     * are NOPs without MPX/CLDEMOTE in CPUID); QEMU 5 decodes them as MPX/CLDEMOTE forms and
     * raises #UD for some. */
    if (p.n + 1 < l && b[p.n] == 0x0f && b[p.n + 1] >= 0x1a && b[p.n + 1] <= 0x1c)
        return true;
    if (p.lock && hvsim_ud)
        return true;
    /* FF /3 and FF /5 (far CALL/JMP m16:16/32/64) have memory forms only (SDM vol. 2 Table
     * A-6 group 5; hvsim: #UD); QEMU 5 aborts in its code generator on the register form. */
    if (p.n + 1 < l && b[p.n] == 0xff && (b[p.n + 1] >> 6) == 3 &&
        (((b[p.n + 1] >> 3) & 7) == 3 || ((b[p.n + 1] >> 3) & 7) == 5))
        return true;
    /* 66 together with F2/F3 on an SSE opcode: F2/F3 is the mandatory prefix (SDM vol. 2
     * §2.1.2, Table A-3 notes; hvsim: the last of F2/F3); QEMU 5 lets 66 win, then F3. */
    if (((line >= 0 && is_sse_line((unsigned)line)) || (hvsim_ud && p.n < l && b[p.n] == 0x0f)) &&
        ((p.p66 && (p.f2 || p.f3)) || (p.f2 && p.f3)))
        return true;
    /* F2/F3 on an SSE opcode that has no F2/F3 form (e.g. F2 0F 2E): the SDM (vol. 2
     * §2.1.1, group 1 note) reserves such use ("may cause unpredictable behavior"); hvsim
     * ignores the prefix, QEMU 5 raises #UD. Detected as: the line stays the same without
     * the F2/F3 bytes. */
    if (line >= 0 && is_sse_line((unsigned)line) && (p.f2 || p.f3) && l <= 15) {
        uint8_t t[15];
        unsigned n = 0;
        for (unsigned k = 0; k < l; k++)
            if (k >= p.n || (b[k] != 0xf2 && b[k] != 0xf3))
                t[n++] = b[k];
        struct x86_decoded dd;
        if (x86_decode_bytes(t, n, 64, X86_FEAT_ALL, &dd) > 0 && dd.line == line)
            return true;
    }
    /* C6/C7 /0 (MOV Eb/Ev, imm) with REX.R: REX.R is ignored when ModRM.reg is an opcode
     * extension (SDM vol. 2 §2.2.1.2); unicorn 2.0.1 folds it into reg (its XBEGIN/XABORT
     * check) and reports the encoding invalid. */
    if (p.rex && p.n < l && (b[p.n] == 0xc6 || b[p.n] == 0xc7) && (b[p.n - 1] & 4))
        return true;
    if (p.lock && is(nm, "neg"))
        *uflags = X86_SF | X86_ZF | X86_PF | X86_AF | X86_OF;
    return false;
}

struct harness {
    struct sim_mem mem;
    struct sim_stats stats;
    struct x86_cpu *cpu;
    uc_engine *uc;
    int intno;
    uint8_t win_a[WIN_SIZE], win_b[WIN_SIZE], win_snap[WIN_SIZE];
    bool trace, echo;
    unsigned mism_reported, report_max;
    uint64_t compared, exc_both, skipped;
    unsigned skip_line[SKIP_LINES]; /* skipped sequences by source line of the reason */
    unsigned long uc_uses;
};

/* The same I/O device on both sides: IN returns a function of port and size, OUT is
 * ignored (unicorn without an I/O hook would read 0; hvsim's default bus floats high). */
static uint32_t io_value(uint32_t port, int size)
{
    uint32_t v = port * 0x9e3779b1u ^ (uint32_t)size;
    return size == 1 ? v & 0xff : size == 2 ? v & 0xffff : v;
}

static uint32_t uc_in_hook(uc_engine *uc, uint32_t port, int size, void *user)
{
    (void)uc;
    (void)user;
    return io_value(port, size);
}

static void uc_out_hook(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
    (void)uc, (void)port, (void)size, (void)value, (void)user;
}

static int hv_io_hook(void *opaque, struct x86_cpu *c, uint16_t port, unsigned size, bool write,
                      uint32_t *val)
{
    (void)opaque, (void)c;
    if (!write)
        *val = io_value(port, (int)size);
    return 0;
}

static void uc_intr_hook(uc_engine *uc, uint32_t intno, void *user)
{
    struct harness *h = user;
    h->intno = (int)intno;
    uc_emu_stop(uc);
}

/* QEMU re-enters a REP string instruction once per iteration and unicorn counts each
 * entry as an instruction: the unicorn budget is the hvsim count plus the extra iterations. */
static bool is_rep_string(const struct x86_decoded *d)
{
    if (d->line < 0 || !d->rep)
        return false;
    const char *ops = x86_insn_line_operands((unsigned)d->line);
    return strchr(ops, 'X') || strchr(ops, 'Y');
}

#define UC_RENEW 20000
static int uc_setup(struct harness *h)
{
    static uint8_t buf[CODE_SIZE];
    if (h->uc)
        uc_close(h->uc);
    h->uc = NULL;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &h->uc) != UC_ERR_OK)
        return -1;
    if (uc_mem_map(h->uc, CODE_BASE, CODE_SIZE, UC_PROT_ALL) ||
        uc_mem_map(h->uc, WIN_BASE, WIN_SIZE, UC_PROT_ALL))
        return -1;
    uc_hook hh;
    if (uc_hook_add(h->uc, &hh, UC_HOOK_INTR, (void *)uc_intr_hook, h, 1, 0) ||
        uc_hook_add(h->uc, &hh, UC_HOOK_INSN, (void *)uc_in_hook, h, 1, 0, UC_X86_INS_IN) ||
        uc_hook_add(h->uc, &hh, UC_HOOK_INSN, (void *)uc_out_hook, h, 1, 0, UC_X86_INS_OUT))
        return -1;
    sim_mem_read_buf(&h->mem, CODE_BASE, buf, CODE_SIZE);
    uc_mem_write(h->uc, CODE_BASE, buf, CODE_SIZE);
    sim_mem_read_buf(&h->mem, WIN_BASE, buf, WIN_SIZE);
    uc_mem_write(h->uc, WIN_BASE, buf, WIN_SIZE);
    return 0;
}

static int setup(struct harness *h)
{
    char err[128];
    sim_mem_init(&h->mem);
    sim_stats_init(&h->stats);
    if (sim_mem_add_ram(&h->mem, "code", CODE_BASE, CODE_SIZE) ||
        sim_mem_add_ram(&h->mem, "win", WIN_BASE, WIN_SIZE))
        return -1;
    /* The unicorn x86-64 model (qemu64) has LZCNT and BMI1 but no POPCNT (CPUID.1:ECX[23]
     * = 0; uc_ctl_set_cpu_model does not change that in 2.0.1), nor MOVBE, RDRAND or XSAVE:
     * model the same, so those encodings are compared as #UD in both. */
    h->cpu = x86_cpu_create(&h->mem, &h->stats,
                            X86_FEAT_ALL & ~(X86_FEAT_POPCNT | X86_FEAT_MOVBE | X86_FEAT_RDRAND |
                                             X86_FEAT_XSAVE),
                            err, sizeof(err));
    if (!h->cpu) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    h->cpu->io_hook = hv_io_hook;
    static uint8_t nops[CODE_SIZE];
    memset(nops, 0x90, sizeof(nops));
    sim_mem_write_buf(&h->mem, CODE_BASE, nops, CODE_SIZE);
    for (unsigned i = 0; i < WIN_SIZE; i++)
        h->win_a[i] = (uint8_t)rnd();
    sim_mem_write_buf(&h->mem, WIN_BASE, h->win_a, WIN_SIZE);
    return uc_setup(h);
}

static uint64_t win_addr(unsigned align)
{
    return WIN_BASE + 0x1000 + (rnd() % 0xe000) / align * align;
}

/* The selector values after x86_cpu_reset64 (CS 0x08, data 0x10) are a harness choice;
 * unicorn 2.0.1 starts 64-bit mode with its own (null) selectors. MOV r/m, Sreg and
 * friends store them, so hvsim takes unicorn's values (in 64-bit mode the selectors of
 * DS/ES/SS/FS/GS and CS.RPL aside, nothing the test runs depends on them). */
static void sync_selectors(struct harness *h)
{
    static const int ucs[6] = {UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS,
                               UC_X86_REG_FS, UC_X86_REG_GS};
    for (unsigned s = 0; s < 6; s++) {
        uint64_t v = 0;
        uc_reg_read(h->uc, ucs[s], &v);
        h->cpu->seg[s].sel = (uint16_t)v;
    }
}

/* HVSIM_DIFF_TRACE: replay a mismatching sequence one instruction at a time on both
 * engines from the window as it was before the sequence, printing each step. */
static void trace_sequence(struct harness *h, const uint8_t *code, unsigned len,
                           const uint64_t *gpr, uint64_t rflags, uint64_t (*xmm)[2],
                           uint32_t mxcsr, unsigned steps)
{
    struct x86_cpu *c = h->cpu;
    sim_mem_write_buf(&h->mem, WIN_BASE, h->win_snap, WIN_SIZE);
    sim_mem_write_buf(&h->mem, SEQ_PC, code, len);
    if (uc_setup(h))
        return;
    x86_cpu_reset64(c, SEQ_PC);
    sync_selectors(h);
    memcpy(c->gpr, gpr, 16 * sizeof(uint64_t));
    c->rflags = rflags;
    c->cr4 |= 3u << 9;
    c->fpu_fcw = 0x37f;
    c->fpu_fsw = 0;
    c->fpu_ftw = 0;
    memcpy(c->xmm, xmm, 256);
    c->mxcsr = mxcsr;
    for (unsigned r = 0; r < 16; r++)
        uc_reg_write(h->uc, uc_gpr[r], &gpr[r]);
    uc_reg_write(h->uc, UC_X86_REG_RFLAGS, &rflags);
    uint64_t cr4;
    uc_reg_read(h->uc, UC_X86_REG_CR4, &cr4);
    cr4 |= 3u << 9;
    uc_reg_write(h->uc, UC_X86_REG_CR4, &cr4);
    for (unsigned r = 0; r < 16; r++)
        uc_reg_write(h->uc, UC_X86_REG_XMM0 + (int)r, xmm[r]);
    uc_reg_write(h->uc, UC_X86_REG_MXCSR, &mxcsr);
    uint64_t fcw = 0x37f, ftag = 0xffff, fsw = 0;
    uc_reg_write(h->uc, UC_X86_REG_FPCW, &fcw);
    uc_reg_write(h->uc, UC_X86_REG_FPSW, &fsw);
    uc_reg_write(h->uc, UC_X86_REG_FPTAG, &ftag);
    uint64_t px[16][2];
    memcpy(px, xmm, sizeof(px));
    uint64_t prev[16];
    memcpy(prev, gpr, sizeof(prev));
    uint64_t brip = SEQ_PC;
    for (unsigned k = 0; k < steps + 1; k++) {
        uint64_t rip = c->rip;
        uint8_t ib[15];
        sim_mem_read_buf(&h->mem, rip, ib, 15);
        fprintf(stderr, "  step %u at 0x%" PRIx64 " (%s):", k, rip, x86_insn_name(ib, 15));
        enum x86_stop st = x86_run(c, 1);
        fprintf(stderr, " hvsim stop %d exc %u rip 0x%" PRIx64 " fl 0x%" PRIx64 ";", (int)st,
                st == X86_STOP_UNHANDLED ? c->exc.vector : 0, c->rip, c->rflags);
        for (unsigned r = 0; r < 16; r++)
            if (c->gpr[r] != prev[r])
                fprintf(stderr, " r%u=%" PRIx64, r, c->gpr[r]);
        for (unsigned r = 0; r < 16; r++)
            if (memcmp(c->xmm[r], px[r], 16))
                fprintf(stderr, " xmm%u=%016" PRIx64 "%016" PRIx64, r, c->xmm[r][1], c->xmm[r][0]);
        fprintf(stderr, " mxcsr %x", c->mxcsr);
        uc_err e = uc_emu_start(h->uc, brip, CODE_BASE + CODE_SIZE + 0x1000, 0, 1);
        uint64_t bg[16], bfl;
        for (unsigned r = 0; r < 16; r++)
            uc_reg_read(h->uc, uc_gpr[r], &bg[r]);
        uc_reg_read(h->uc, UC_X86_REG_RIP, &brip);
        uc_reg_read(h->uc, UC_X86_REG_RFLAGS, &bfl);
        fprintf(stderr, "\n      unicorn err %d rip 0x%" PRIx64 " fl 0x%" PRIx64 ";", (int)e, brip,
                bfl);
        for (unsigned r = 0; r < 16; r++)
            if (bg[r] != prev[r])
                fprintf(stderr, " r%u=%" PRIx64, r, bg[r]);
        for (unsigned r = 0; r < 16; r++) {
            uint64_t bx[2];
            uc_reg_read(h->uc, UC_X86_REG_XMM0 + (int)r, bx);
            if (memcmp(bx, px[r], 16))
                fprintf(stderr, " xmm%u=%016" PRIx64 "%016" PRIx64, r, bx[1], bx[0]);
        }
        uint32_t bmx;
        uc_reg_read(h->uc, UC_X86_REG_MXCSR, &bmx);
        fprintf(stderr, " mxcsr %x\n", bmx);
        memcpy(prev, c->gpr, sizeof(prev));
        memcpy(px, c->xmm, sizeof(px));
        if (st != X86_STOP_MAX_INSNS || e != UC_ERR_OK)
            break;
    }
    sim_mem_write_buf(&h->mem, WIN_BASE, h->win_a, WIN_SIZE); /* hvsim's result, as before */
    uc_setup(h);
}

/* One sequence. Returns 0 when equal (or skipped), 1 on a mismatch. */
static int one_sequence(struct harness *h)
{
    uint8_t nopb[SEQ * 15 + 16];
    unsigned skip_at = 0;
    if (++h->uc_uses % UC_RENEW == 0 && uc_setup(h)) {
        fprintf(stderr, "cannot recreate the unicorn engine\n");
        return 1;
    }
    uint8_t code[SEQ * 15 + 16];
    unsigned len = 0, n = 0;
    uint64_t gpr[16];
    for (unsigned r = 0; r < 16; r++)
        gpr[r] = rnd_value();
    bool sse_class = rnd() % 2 == 0;
    /* RSP and RBP point into the window; in SSE sequences their first memory use picks
     * them (so m128 operands can be aligned), RSP staying 8-aligned in the stack half. */
    uint32_t assigned = sse_class ? 0 : 1u << X86_RSP | 1u << X86_RBP;
    gpr[X86_RSP] = WIN_BASE + 0x8000 + (rnd() % 0x100) * 8;
    gpr[X86_RBP] = win_addr(8);
    const char *names[SEQ];
    uint64_t xmm[16][2];
    for (unsigned r = 0; r < 16; r++)
        rnd_xmm(xmm[r]);
    /* MXCSR: every exception masked, random rounding and DAZ (SDM vol. 1 §10.2.3). FTZ
     * stays 0: QEMU 5 applies MXCSR.FZ to its x87 status instead of the SSE one (its
     * update_mxcsr_status), so flush-to-zero is checked by test_x86_sse. */
    uint32_t mxcsr = 0x1f80u | (uint32_t)(rnd() & 0x6000u) | (rnd() % 4 == 0 ? 0x40u : 0);
    for (; n < SEQ; n++) {
        uint8_t b[16];
        int line;
        unsigned l;
        const char *nm;
        for (;;) {
            l = x86_random_insn(&rng_state, b, X86_GEN_NO_RIPREL | X86_GEN_SMALL_DISP |
                                                   X86_GEN_SHORT_BRANCH, &line);
            nm = x86_insn_line_name((unsigned)line);
            if (skip_line(nm) || (only_line && strcmp(nm, only_line)) ||
                (!only_line && sse_class && !is_sse_line((unsigned)line)))
                continue;
            uint64_t uf;
            if (unicorn_differs(nm, line, b, l, false, &uf))
                continue;
            break;
        }
        struct x86_decoded d;
        x86_decode_bytes(b, l, 64, X86_FEAT_ALL, &d);
        /* REP-prefixed string instructions: unicorn counts every iteration as an
         * instruction and its budget cannot be matched reliably; they are covered by
         * test_x86_exec. Unprefixed string instructions are compared. */
        if (is_rep_string(&d)) {
            n--;
            continue;
        }
        /* Encodings QEMU 5 is known to run differently (see the checks after each step)
         * are not generated: memory forms of register-only (U) operands; CMPxx imm8 > 7
         * is reduced to its architectural imm8[2:0]. */
        {
            const char *o = x86_insn_line_operands((unsigned)line);
            if (d.mem && (o[0] == 'U' || strstr(o, ",U"))) {
                n--;
                continue;
            }
            if (!strncmp(nm, "cmp", 3) && strlen(nm) == 5 && (nm[4] == 's' || nm[4] == 'd'))
                b[l - 1] &= 7;
        }
        /* Point memory operands into the window (the first user of a register decides). */
        if (d.mem) {
            if (d.index >= 0 && !(assigned >> d.index & 1)) {
                gpr[d.index] = rnd() % 64;
                assigned |= 1u << d.index;
            }
            if (d.base >= 0 && !(assigned >> d.base & 1)) {
                gpr[d.base] = win_addr(rnd() & 1 ? 1 : 16);
                if (is_sse_line((unsigned)line) && rnd() % 8) {
                    /* SSE: mostly 16-byte aligned effective addresses (legacy SSE m128
                     * operands must be aligned, SDM vol. 1 §11.6.7) */
                    uint64_t ea = (uint64_t)d.disp;
                    if (d.index >= 0 && d.index != d.base)
                        ea += gpr[d.index] * d.scale;
                    gpr[d.base] = (d.base == X86_RSP ? WIN_BASE + 0x8000 + (rnd() % 0x100) * 16
                                                     : win_addr(16)) - (ea & 15);
                }
                assigned |= 1u << d.base;
            }
        }
        const char *ops = x86_insn_line_operands((unsigned)line);
        if (is(nm, "maskmovdqu") && !(assigned >> X86_RDI & 1)) { /* implicit DS:rDI */
            gpr[X86_RDI] = win_addr(1);
            assigned |= 1u << X86_RDI;
        }
        if (strchr(ops, 'X') || strchr(ops, 'Y')) {
            static const unsigned sr[3] = {X86_RSI, X86_RDI, X86_RCX};
            for (unsigned k = 0; k < 3; k++)
                if (!(assigned >> sr[k] & 1)) {
                    gpr[sr[k]] = k == 2 ? rnd() % 8 : win_addr(1);
                    assigned |= 1u << sr[k];
                }
        }
        if (strstr(ops, "Ob") || strstr(ops, "Ov")) {
            uint64_t a = win_addr(1);
            for (unsigned k = 0; k < d.asz; k++)
                b[l - d.asz + k] = (uint8_t)(a >> (8 * k));
        }
        /* MINPS..MAXSD return an operand: under DAZ a denormal one is returned as zero
         * (SDM vol. 1 §10.2.3.4: denormal sources are converted to zero before the
         * operation); QEMU 5 returns the unconverted operand. */
        if (!strncmp(nm, "min", 3) || !strncmp(nm, "max", 3))
            mxcsr &= ~0x40u;
        memcpy(code + len, b, l);
        len += l;
        names[n] = nm;
    }
    /* Bit-test with a register offset into memory: keep the offset small. */
    uint64_t rflags = 2 | (rnd() & (X86_STATUS_FLAGS | X86_DF));

    struct x86_cpu *c = h->cpu;
    sim_mem_read_buf(&h->mem, WIN_BASE, h->win_snap, WIN_SIZE);
    x86_cpu_reset64(c, SEQ_PC);
    sync_selectors(h);
    memcpy(c->gpr, gpr, sizeof(gpr));
    c->rflags = rflags;
    /* SSE enabled as an OS would (CR4.OSFXSR, OSXMMEXCPT: SDM vol. 3A §13.1.3); the x87
     * control word as after FNINIT (unicorn's reset state). */
    c->cr4 |= 3u << 9;
    c->fpu_fcw = 0x37f;
    c->fpu_fsw = 0;
    c->fpu_ftw = 0;
    memcpy(c->xmm, xmm, sizeof(xmm));
    c->mxcsr = mxcsr;
    sim_mem_write_buf(&h->mem, SEQ_PC, code, len);
    /* Step hvsim, collecting the undefined flags of what it executes (branches may land
     * inside earlier instructions, so what runs is decoded here, not at generation). */
    uint64_t undef = 0, fop_at[SEQ];
    unsigned nfop = 0, exc_len = 0;
    bool a_exc = false, fp_ran = false, fxrstor_ran = false;
    unsigned executed = 0;
    uint64_t ucount = 0;
    for (unsigned k = 0; k < SEQ; k++) {
        uint8_t ib[15];
        sim_mem_read_buf(&h->mem, c->rip, ib, 15);
        struct x86_decoded d;
        int rc = x86_decode_bytes(ib, 15, 64, X86_FEAT_ALL, &d);
        const char *nm = rc > 0 ? x86_insn_line_name((unsigned)d.line) : "";
        if (undef && reads_flags(nm)) {
            /* an undefined flag could flow into this instruction: stop here */
            break;
        }
        /* MXCSR exception flags differ (QEMU 5 never sets them, see MXCSR_CMP): stop
         * before an instruction that stores MXCSR to memory. */
        if ((c->mxcsr & 0x3f) && (is(nm, "stmxcsr") || is(nm, "fxsave") || is(nm, "xsave")))
            break;
        if (fxrstor_ran && (is(nm, "fxsave") || is(nm, "xsave")))
            break;
        if (rc > 0) {
            const char *ops = x86_insn_line_operands((unsigned)d.line);
            int count = -1;
            unsigned bits = strstr(ops, "Eb") ? 8 : d.osz * 8;
            if (is(nm, "shl") || is(nm, "sal") || is(nm, "shr") || is(nm, "sar") ||
                is(nm, "rol") || is(nm, "ror") || is(nm, "rcl") || is(nm, "rcr") ||
                is(nm, "shld") || is(nm, "shrd")) {
                /* the count: CL, 1 or the imm8 */
                unsigned raw = strstr(ops, "CL") ? (unsigned)(c->gpr[X86_RCX] & 0xff)
                               : strstr(ops, ",1") ? 1 : (unsigned)(d.imm & 0xff);
                count = (int)(raw & (d.osz == 8 && bits != 8 ? 63 : 31));
                if ((is(nm, "shld") || is(nm, "shrd")) && (unsigned)count > bits)
                    { skip_at = __LINE__; goto skip; } /* result undefined (16-bit count > 16) */
            }
            undef |= undef_flags(nm, count, bits);
            if (is(nm, "bswap") && d.osz == 2)
                { skip_at = __LINE__; goto skip; } /* undefined result (SDM vol. 2 BSWAP) */
        }
        bool reps = rc > 0 && is_rep_string(&d);
        uint64_t am = rc > 0 && d.asz < 8 ? (1ull << (8 * d.asz)) - 1 : UINT64_MAX;
        uint64_t rcx0 = c->gpr[X86_RCX] & am;
        if (rc > 0 && is_fp_arith(nm))
            fp_ran = true;
        uint64_t ea = 0;
        if (rc > 0 && d.mem) { /* the effective address before the instruction runs */
            ea = (uint64_t)d.disp + (d.base >= 0 ? c->gpr[d.base] : 0) +
                 (d.index >= 0 ? c->gpr[d.index] * d.scale : 0);
            if (d.asz == 4)
                ea &= 0xffffffffull;
        }
        if (rc > 0 && is(nm, "fxsave") && nfop < SEQ)
            fop_at[nfop++] = ea;
        uint64_t rax0 = c->gpr[X86_RAX];
        enum x86_stop st = x86_run(c, 1);
        uint64_t uf;
        if (unicorn_differs(nm, rc > 0 ? d.line : -1, ib, rc > 0 ? d.len : 15,
                            st == X86_STOP_UNHANDLED && c->exc.vector == X86_EXC_UD, &uf))
            { skip_at = __LINE__; goto skip; }
        /* QEMU 5 does not check the 16-byte alignment of legacy SSE m128 operands (SDM
         * vol. 1 §11.6.7, vol. 2 e.g. MOVAPS/ADDPS "#GP if not aligned"). */
        if (st == X86_STOP_UNHANDLED && c->exc.vector == X86_EXC_GP && rc > 0 && d.mem &&
            (ea & 15) && is_sse_line((unsigned)d.line)) {
            if (h->trace && h->skip_line[__LINE__ % SKIP_LINES] < 5) {
                fprintf(stderr, "  misaligned %s ea 0x%" PRIx64 ":", nm, ea);
                for (unsigned q = 0; q < d.len; q++)
                    fprintf(stderr, " %02x", ib[q]);
                fprintf(stderr, "\n");
            }
            skip_at = __LINE__;
            goto skip;
        }
        /* LFENCE/MFENCE/SFENCE are NP (SDM vol. 2 §3.1.1.1: a 66/F2/F3 prefix raises #UD or
         * selects another instruction: TPAUSE/UMWAIT, the removed PCOMMIT); QEMU 5 runs
         * them as fences. */
        if (rc > 0 && (is(nm, "lfence") || is(nm, "mfence") || is(nm, "sfence"))) {
            struct pfx q = scan_prefixes(ib, d.len);
            if (q.p66 || q.f2 || q.f3)
                { skip_at = __LINE__; goto skip; }
        }
        /* Reached by a branch into another instruction's bytes: lines that are not
         * compared (skip_line), VEX prefixes (C4/C5: the modelled CPU has no AVX and no
         * VEX-encoded BMI, CPUID.1:ECX[28] = 0, so #UD; QEMU 5 decodes some VEX forms) and
         * x87 escapes D8-DF other than the modelled control-word instructions (no x87
         * arithmetic, CPUID.1:EDX[0] = 0). */
        if (rc > 0 && skip_line(nm))
            { skip_at = __LINE__; goto skip; }
        if (st == X86_STOP_UNHANDLED && c->exc.vector == X86_EXC_UD) {
            struct pfx q = scan_prefixes(ib, 15);
            if (q.n < 15 && (ib[q.n] == 0xc4 || ib[q.n] == 0xc5 || (ib[q.n] >= 0xd8 && ib[q.n] <= 0xdf)))
                { skip_at = __LINE__; goto skip; }
        }
        /* LDMXCSR of FZ = 1 (QEMU 5 ignores MXCSR.FZ, see MXCSR_CMP) or DAZ = 1 (its MIN/MAX
         * return unconverted denormals): the rest is not comparable. */
        if (rc > 0 && is(nm, "ldmxcsr") && (c->mxcsr & 0x8040))
            { skip_at = __LINE__; goto skip; }
        /* x87 data registers are not modelled (FXRSTOR keeps only FCW/FSW/FTW): an FXSAVE
         * after an FXRSTOR in the same sequence is not compared. */
        if (rc > 0 && is(nm, "fxrstor"))
            fxrstor_ran = true;
        /* MMX (NP 0F 60-7F, D0-FF and the MMX forms of 0F 2A/2C/2D/C4/C5/0E): the modelled
         * CPU has no MMX (CPUID.1:EDX[23] = 0, so #UD is its architectural behaviour);
         * unicorn's qemu64 has it. */
        if (st == X86_STOP_UNHANDLED && c->exc.vector == X86_EXC_UD) {
            struct pfx q = scan_prefixes(ib, 15);
            if (q.n + 1 < 15 && ib[q.n] == 0x0f && !q.p66 && !q.f2 && !q.f3) {
                uint8_t o = ib[q.n + 1];
                if ((o >= 0x60 && o <= 0x7f) || o >= 0xd0 || o == 0x0e || o == 0x2a ||
                    o == 0x2c || o == 0x2d || o == 0xc4 || o == 0xc5)
                    { skip_at = __LINE__; goto skip; }
            }
        }
        /* QEMU 5 raises no SIMD floating-point exception (#XM, SDM vol. 1 §11.5.3) and
         * does not #GP on reserved MXCSR bits in LDMXCSR/FXRSTOR (SDM vol. 2 LDMXCSR). */
        if (st == X86_STOP_UNHANDLED && (c->exc.vector == 19 ||
                                         (c->exc.vector == X86_EXC_GP &&
                                          (is(nm, "ldmxcsr") || is(nm, "fxrstor")))))
            { skip_at = __LINE__; goto skip; }
        /* Operands of kind U (an XMM register in ModRM.rm: MOVMSKPS/PD, PMOVMSKB, PEXTRW,
         * MASKMOVDQU, the 66 0F 71-73 shifts by immediate) exist only with ModRM.mod = 11B
         * (SDM vol. 2 A.2.1 "U", Table A-6 groups 12-14: #UD); QEMU 5 ignores mod and runs
         * memory encodings as register forms. */
        if (rc > 0 && d.mem) {
            const char *o = x86_insn_line_operands((unsigned)d.line);
            if (o[0] == 'U' || strstr(o, ",U"))
                { skip_at = __LINE__; goto skip; }
        }
        /* CMPPS/CMPPD/CMPSS/CMPSD: legacy SSE uses imm8[2:0] and ignores the rest (SDM
         * vol. 2 CMPPS "imm8[7:3] reserved" for the non-VEX forms); QEMU 5 raises #UD for
         * imm8 > 7. */
        if (rc > 0 && strlen(nm) == 5 && !strncmp(nm, "cmp", 3) && (nm[4] == 's' || nm[4] == 'd') &&
            (d.imm & 0xf8))
            { skip_at = __LINE__; goto skip; }
        /* CMPXCHG that succeeds: the accumulator is not written (SDM vol. 2 CMPXCHG
         * "Operation": rAX is loaded only when the comparison fails), so a 32-bit CMPXCHG
         * keeps RAX[63:32] (vol. 1 §3.4.1.1 zero-extends only written registers) and the
         * register form with r/m = rAX leaves rAX = source. QEMU 5 always writes EAX with the
         * old destination (zero-extended), after r/m. */
        if (rc > 0 && is(nm, "cmpxchg") && st == X86_STOP_MAX_INSNS && (c->rflags & X86_ZF) &&
            (!d.mem || (d.osz == 4 && (rax0 >> 32))))
            { skip_at = __LINE__; goto skip; }
        /* A REP string instruction reached by a branch into other bytes: unicorn counts each
         * iteration as an instruction and the budget cannot be matched (as at generation). */
        if (reps)
            { skip_at = __LINE__; goto skip; }
        /* An SSE arithmetic result that is a NaN: when both sources are NaNs QEMU 5 returns
         * the one with the larger significand, the SDM (vol. 1 §4.8.3.5 Table 4-7) the first
         * source (see xmm_equal). The final comparison accepts any NaN in a lane; a later
         * instruction could turn the payload into non-NaN data, so the sequence ends here. */
        bool nan_cut = false;
        if (rc > 0 && st == X86_STOP_MAX_INSNS && is_fp_arith(nm) && strncmp(nm, "cmp", 3) &&
            x86_insn_line_operands((unsigned)d.line)[0] == 'V') {
            struct pfx q = scan_prefixes(ib, d.len);
            unsigned rr = ((ib[q.n + 2] >> 3) & 7) | (q.rex && (ib[q.n - 1] & 4) ? 8u : 0u);
            const uint64_t *x = c->xmm[rr];
            for (unsigned hh = 0; hh < 2; hh++)
                nan_cut |= f64_nan(x[hh]) || f32_nan((uint32_t)x[hh]) ||
                           f32_nan((uint32_t)(x[hh] >> 32));
        }
        undef |= uf;
        executed++;
        uint64_t iters = reps ? (rcx0 - (c->gpr[X86_RCX] & am)) & am : 0;
        if (st == X86_STOP_UNHANDLED) {
            ucount += reps ? iters + 1 : 1;
            a_exc = true;
            exc_len = rc > 0 ? d.len : 0;
            break;
        }
        ucount += iters > 1 ? iters : 1;
        if (st != X86_STOP_MAX_INSNS)
            { skip_at = __LINE__; goto skip; }
        if (nan_cut)
            break;
    }
    unsigned steps = executed;
    /* Self-modifying code (a store into the code bytes near the sequence): QEMU re-translates
     * the block and unicorn's instruction budget counts the restarted instructions again,
     * so the stopping point cannot be matched. Not compared. */
    {
        uint8_t now[SMC_SPAN], want[SMC_SPAN];
        memset(want, 0x90, sizeof(want));
        memcpy(want + SMC_SPAN / 2 - 128, code, len);
        sim_mem_read_buf(&h->mem, SEQ_PC - (SMC_SPAN / 2 - 128), now, SMC_SPAN);
        if (memcmp(now, want, SMC_SPAN)) {
            memset(want, 0x90, sizeof(want));
            sim_mem_write_buf(&h->mem, SEQ_PC - (SMC_SPAN / 2 - 128), want, SMC_SPAN);
            skip_at = __LINE__;
            goto skip;
        }
    }
    /* unicorn side */
    uc_engine *uc = h->uc;
    /* QEMU 5 aborts while translating FF /3 or FF /5 with ModRM.mod = 11 (see
     * unicorn_differs), even past the instruction budget: no such byte pair may be
     * reachable by unicorn's translator. */
    for (unsigned k = 0; k + 1 < len; k++)
        if (code[k] == 0xff && ((code[k + 1] & 0xf8) == 0xd8 || (code[k + 1] & 0xf8) == 0xe8))
            { skip_at = __LINE__; goto skip; }
    uc_mem_write(uc, SEQ_PC, code, len);
    uc_ctl_remove_cache(uc, SEQ_PC - 0x1000, SEQ_PC + 0x1000);
    for (unsigned r = 0; r < 16; r++)
        uc_reg_write(uc, uc_gpr[r], &gpr[r]);
    uc_reg_write(uc, UC_X86_REG_RFLAGS, &rflags);
    uint64_t cr4;
    uc_reg_read(uc, UC_X86_REG_CR4, &cr4);
    cr4 |= 3u << 9;
    uc_reg_write(uc, UC_X86_REG_CR4, &cr4);
    for (unsigned r = 0; r < 16; r++)
        uc_reg_write(uc, UC_X86_REG_XMM0 + (int)r, xmm[r]);
    uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
    h->intno = -1;
    uint64_t fcw = 0x37f, ftag = 0xffff, fsw = 0; /* as after FNINIT, like hvsim's x87 state */
    uc_reg_write(uc, UC_X86_REG_FPCW, &fcw);
    uc_reg_write(uc, UC_X86_REG_FPSW, &fsw);
    for (int r = 0; r < 8; r++) { /* x87 data registers: not modelled by hvsim, kept 0 */
        uint8_t z[16] = {0};
        uc_reg_write(uc, UC_X86_REG_ST0 + r, z);
    }
    uc_reg_write(uc, UC_X86_REG_FPTAG, &ftag);
    if (h->echo) { /* HVSIM_DIFF_ECHO: each sequence before unicorn runs it (crash hunting) */
        fprintf(stderr, "seq:");
        for (unsigned k = 0; k < len; k++)
            fprintf(stderr, " %02x", code[k]);
        fprintf(stderr, "\n");
    }
    uc_err e = uc_emu_start(uc, SEQ_PC, CODE_BASE + CODE_SIZE + 0x1000, 0, ucount);
    bool b_exc = e != UC_ERR_OK || h->intno >= 0;
    uint64_t brip;
    uc_reg_read(uc, UC_X86_REG_RIP, &brip);
    /* unicorn translates the block at the final RIP before its instruction budget stops
     * it: a sequence ending on a branch out of mapped memory reports FETCH_UNMAPPED there
     * although no instruction beyond the budget ran. */
    if (e == UC_ERR_FETCH_UNMAPPED && !a_exc && brip == c->rip && h->intno < 0)
        b_exc = false;

    uint64_t bg[16], bfl;
    for (unsigned r = 0; r < 16; r++)
        uc_reg_read(uc, uc_gpr[r], &bg[r]);
    uc_reg_read(uc, UC_X86_REG_RFLAGS, &bfl);
    sim_mem_read_buf(&h->mem, WIN_BASE, h->win_a, WIN_SIZE);
    uc_mem_read(uc, WIN_BASE, h->win_b, WIN_SIZE);

    char why[256] = "";
    uint64_t fmask = 0x2f7fd5ull & ~undef & ~(uint64_t)X86_RF;
    if (a_exc != b_exc)
        snprintf(why, sizeof(why), "exception: hvsim %d (vector %u) unicorn %d (err %d intno %d)",
                 a_exc, c->exc.vector, b_exc, (int)e, h->intno);
    for (unsigned r = 0; r < 16 && !why[0]; r++)
        if (c->gpr[r] != bg[r])
            snprintf(why, sizeof(why), "gpr %u: hvsim 0x%" PRIx64 " unicorn 0x%" PRIx64, r,
                     c->gpr[r], bg[r]);
    /* A memory fault inside a QEMU helper (FXSAVE, MASKMOVDQU, string ops...) ends
     * unicorn 2.0.1 with RIP past the instruction and with lazily computed flags not
     * written back; the architectural state (SDM vol. 3A §6.5: a fault reports the RIP of
     * the faulting instruction, flags unchanged) is hvsim's. Only then are RIP = next
     * instruction and the status flags accepted. */
    bool uc_helper_fault = a_exc && b_exc && (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED);
    if (uc_helper_fault)
        fmask &= ~(uint64_t)X86_STATUS_FLAGS;
    /* A store straddling the end of the window into unmapped memory: QEMU 5 stores the
     * mapped bytes before the fault; the SDM fault model (vol. 3A §6.5: a fault leaves the
     * state as before the instruction) stores nothing (hvsim). */
    if (a_exc && b_exc && e == UC_ERR_WRITE_UNMAPPED)
        memcpy(h->win_b + WIN_SIZE - 16, h->win_a + WIN_SIZE - 16, 16);
    if (!why[0] && c->rip != brip && !(uc_helper_fault && brip == c->rip + exc_len))
        snprintf(why, sizeof(why), "rip: hvsim 0x%" PRIx64 " unicorn 0x%" PRIx64, c->rip, brip);
    if (!why[0] && (c->rflags & fmask) != (bfl & fmask))
        snprintf(why, sizeof(why), "rflags: hvsim 0x%" PRIx64 " unicorn 0x%" PRIx64 " (mask 0x%" PRIx64 ")",
                 c->rflags, bfl, fmask);
    for (unsigned r = 0; r < 16 && !why[0]; r++) {
        uint64_t bx[2];
        uc_reg_read(uc, UC_X86_REG_XMM0 + (int)r, bx);
        if (!xmm_equal(c->xmm[r], bx, fp_ran))
            snprintf(why, sizeof(why), "xmm%u: hvsim %016" PRIx64 "%016" PRIx64 " unicorn %016"
                     PRIx64 "%016" PRIx64, r, c->xmm[r][1], c->xmm[r][0], bx[1], bx[0]);
    }
    uint32_t bmx = 0;
    uc_reg_read(uc, UC_X86_REG_MXCSR, &bmx);
    if (!why[0] && (c->mxcsr & MXCSR_CMP) != (bmx & MXCSR_CMP))
        snprintf(why, sizeof(why), "mxcsr: hvsim 0x%x unicorn 0x%x", c->mxcsr, bmx);
    /* FXSAVE bytes 6-7 (FOP): QEMU 5's do_fxsave does not store them (SDM vol. 2 FXSAVE
     * Table 3-53 defines them; hvsim stores 0 as no x87 instruction has run). */
    for (unsigned k = 0; k < nfop; k++)
        for (unsigned q = 6; q < 8; q++)
            if (fop_at[k] + q >= WIN_BASE && fop_at[k] + q < WIN_BASE + WIN_SIZE)
                h->win_b[fop_at[k] + q - WIN_BASE] = h->win_a[fop_at[k] + q - WIN_BASE];
    if (!why[0] && memcmp(h->win_a, h->win_b, WIN_SIZE)) {
        unsigned k = 0;
        while (h->win_a[k] == h->win_b[k])
            k++;
        snprintf(why, sizeof(why), "memory at 0x%llx: hvsim %02x unicorn %02x",
                 (unsigned long long)(WIN_BASE + k), h->win_a[k], h->win_b[k]);
    }
    int bad = 0;
    if (why[0]) {
        bad = 1;
        if (h->mism_reported++ < h->report_max) {
            fprintf(stderr, "MISMATCH (%s) steps %u:", why, steps);
            for (unsigned k = 0; k < n; k++)
                fprintf(stderr, " %s", names[k]);
            fprintf(stderr, "\n  bytes:");
            for (unsigned k = 0; k < len; k++)
                fprintf(stderr, " %02x", code[k]);
            fprintf(stderr, "\n  in:");
            for (unsigned r = 0; r < 16; r++)
                fprintf(stderr, " %" PRIx64, gpr[r]);
            fprintf(stderr, " fl %" PRIx64 "\n", rflags);
            if (h->trace) {
                trace_sequence(h, code, len, gpr, rflags, xmm, mxcsr, steps);
                uc = h->uc;
            }
        }
    } else {
        h->compared++;
        if (a_exc)
            h->exc_both++;
    }
    /* Resynchronise the window (both sides get hvsim's copy on mismatch). */
    if (bad || nfop)
        uc_mem_write(uc, WIN_BASE, h->win_a, WIN_SIZE);
    /* unicorn 2.0.1 leaves state behind after an exception stopped emulation (the next
     * exception is then not reported): start the next sequence on a fresh engine. */
    bool renew = b_exc;
    /* Restore NOPs over the sequence in both. */
    uint8_t nops[SEQ * 15 + 16];
    memset(nops, 0x90, sizeof(nops));
    sim_mem_write_buf(&h->mem, SEQ_PC, nops, len);
    uc_mem_write(uc, SEQ_PC, nops, len);
    if (renew && uc_setup(h))
        return 1;
    return bad;
skip:
    /* Not comparable: undo hvsim's side (unicorn has not run). */
    h->skipped++;
    h->skip_line[skip_at < SKIP_LINES ? skip_at : 0]++;
    sim_mem_write_buf(&h->mem, WIN_BASE, h->win_snap, WIN_SIZE);
    memset(nopb, 0x90, sizeof(nopb));
    sim_mem_write_buf(&h->mem, SEQ_PC, nopb, len);
    return 0;
}

int main(void)
{
    const char *s = getenv("HVSIM_DIFF_N");
    unsigned long nseq = s ? strtoul(s, NULL, 0) : 10000;
    s = getenv("HVSIM_DIFF_SEED");
    if (s)
        rng_state = strtoull(s, NULL, 0) | 1;
    only_line = getenv("HVSIM_DIFF_LINE");
    static struct harness h;
    h.trace = getenv("HVSIM_DIFF_TRACE") != NULL;
    h.echo = getenv("HVSIM_DIFF_ECHO") != NULL;
    s = getenv("HVSIM_DIFF_REPORT"); /* mismatches printed (default 10) */
    h.report_max = s ? (unsigned)strtoul(s, NULL, 0) : 10;
    if (setup(&h)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    unsigned long bad = 0;
    for (unsigned long k = 0; k < nseq; k++)
        bad += (unsigned long)one_sequence(&h);
    fprintf(stderr, "x86 diff: %lu sequences, %" PRIu64 " compared equal (%" PRIu64
            " with an exception in both), %" PRIu64 " skipped, %lu mismatches\n",
            nseq, h.compared, h.exc_both, h.skipped, bad);
    for (unsigned k = 0; k < SKIP_LINES; k++)
        if (h.skip_line[k] && getenv("HVSIM_DIFF_TRACE"))
            fprintf(stderr, "  skipped at test_x86_diff.c:%u: %u\n", k, h.skip_line[k]);
    /* Every difference is either an hvsim bug or a documented unicorn/QEMU 5 deviation
     * from the SDM (excluded above with the rule that proves it): no mismatch is allowed. */
    CHECK_EQ(bad, 0);
    CHECK(h.compared > nseq / 2);
    x86_cpu_destroy(h.cpu);
    uc_close(h.uc);
    sim_stats_destroy(&h.stats);
    sim_mem_destroy(&h.mem);
    return test_summary();
}
