/* tests/isa/x86/test_x86_sse.c - SSE/SSE2, MXCSR and the integer additions where unicorn
 * (QEMU 5) cannot serve as the reference: MXCSR exception flags, unmasked exceptions (#XM /
 * #UD), FTZ, DAZ, NaN propagation (SDM vol. 1 §11.5, Table 4-7), availability checks (CR0.EM,
 * CR0.TS, CR4.OSFXSR), alignment, FXSAVE/FXRSTOR and XSAVE/XRSTOR layouts, XGETBV/XSETBV,
 * MOVBE, RDRAND determinism, INS/OUTS, XLAT, the x87 control words, and REP string
 * instructions with DF = 1. Expected values are derived from the SDM by hand. */
#include <string.h>

#include "isa/x86/x86.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define CODE 0x1000ull
#define DATA 0x4000ull  /* source operands (rsi) */
#define OUT 0x6000ull   /* destinations (rdi), 64-byte aligned */
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)

struct env {
    struct sim_mem m;
    struct sim_stats st;
    struct x86_cpu *c;
};

/* A fresh CPU at CODE with SSE enabled by the "OS", rsi = DATA, rdi = OUT. */
static struct x86_cpu *load(struct env *e, const uint8_t *code, unsigned n)
{
    char err[128];
    if (e->c)
        x86_cpu_destroy(e->c);
    e->c = x86_cpu_create(&e->m, &e->st, X86_FEAT_ALL, err, sizeof(err));
    sim_mem_write_buf(&e->m, CODE, code, n);
    x86_cpu_reset64(e->c, CODE);
    e->c->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    e->c->gpr[X86_RSP] = 0x80000;
    e->c->gpr[X86_RSI] = DATA;
    e->c->gpr[X86_RDI] = OUT;
    return e->c;
}

static void put32(struct env *e, uint64_t a, uint32_t v)
{
    sim_mem_write(&e->m, a, 4, v);
}

static uint64_t get(struct env *e, uint64_t a, unsigned n)
{
    uint64_t v = 0;
    sim_mem_read(&e->m, a, n, &v);
    return v;
}

static uint32_t lo32(const struct x86_cpu *c, unsigned r)
{
    return (uint32_t)c->xmm[r][0];
}

/* io_hook for INS/OUTS: reads return port + a running count, writes are recorded. */
struct iolog {
    unsigned reads, writes;
    uint32_t last[8];
};
static int io_hook(void *opaque, struct x86_cpu *c, uint16_t port, unsigned size, bool write,
                   uint32_t *val)
{
    struct iolog *l = opaque;
    (void)c;
    (void)size;
    if (write) {
        if (l->writes < 8)
            l->last[l->writes] = *val;
        l->writes++;
    } else {
        *val = port + 0x10 * ++l->reads;
    }
    return 0;
}

int main(void)
{
    static struct env e;
    sim_mem_init(&e.m);
    sim_stats_init(&e.st);
    CHECK_EQ(sim_mem_add_ram(&e.m, "ram", 0, 1u << 20), 0);
    struct x86_cpu *c;

    /* 1. Masked exceptions set MXCSR flags (SDM vol. 1 §11.5.2): 1 + 2^-30 is inexact (PE);
     * 1 / 0 = +inf with ZE; 0 / 0 = the default QNaN 0xFFC00000 with IE. */
    static const uint8_t p1[] = {
        0xf3, 0x0f, 0x10, 0x06,       /* movss xmm0, [rsi] */
        0xf3, 0x0f, 0x10, 0x4e, 0x04, /* movss xmm1, [rsi+4] */
        0xf3, 0x0f, 0x58, 0xc1,       /* addss xmm0, xmm1 */
        0x0f, 0xae, 0x1f,             /* stmxcsr [rdi] */
        0xf3, 0x0f, 0x10, 0x56, 0x08, /* movss xmm2, [rsi+8] (1.0) */
        0xf3, 0x0f, 0x10, 0x5e, 0x0c, /* movss xmm3, [rsi+12] (0.0) */
        0xf3, 0x0f, 0x5e, 0xd3,       /* divss xmm2, xmm3 */
        0xf3, 0x0f, 0x10, 0x66, 0x0c, /* movss xmm4, [rsi+12] */
        0xf3, 0x0f, 0x5e, 0xe3,       /* divss xmm4, xmm3 (0/0) */
        0xf4};
    put32(&e, DATA, 0x3f800000);      /* 1.0 */
    put32(&e, DATA + 4, 0x30800000);  /* 2^-30 */
    put32(&e, DATA + 8, 0x3f800000);
    put32(&e, DATA + 12, 0);
    c = load(&e, p1, sizeof(p1));
    CHECK_EQ(x86_run(c, 100), X86_STOP_HLT);
    CHECK_EQ(lo32(c, 0), 0x3f800000); /* rounded to nearest: 1.0 */
    CHECK_EQ(get(&e, OUT, 4), 0x1f80 | 0x20); /* PE after the addss */
    CHECK_EQ(lo32(c, 2), 0x7f800000);
    CHECK_EQ(lo32(c, 4), 0xffc00000);
    CHECK_EQ(c->mxcsr, 0x1f80u | 0x20 | 0x04 | 0x01); /* PE | ZE | IE */

    /* 2. Rounding control: RC = toward +inf (10b) makes 1 + 2^-30 round up. */
    c = load(&e, p1, 13);
    c->mxcsr = 0x1f80 | (2u << 13);
    CHECK_EQ(x86_run(c, 3), X86_STOP_MAX_INSNS);
    CHECK_EQ(lo32(c, 0), 0x3f800001);

    /* 3. Unmasked ZE: divss 1/0 with ZM = 0 raises #XM (CR4.OSXMMEXCPT = 1) or #UD (= 0);
     * the destination keeps its value, the flag is set (SDM vol. 1 §11.5.3). */
    static const uint8_t p3[] = {0xf3, 0x0f, 0x5e, 0xd3, 0xf4}; /* divss xmm2, xmm3 */
    for (unsigned osx = 0; osx < 2; osx++) {
        c = load(&e, p3, sizeof(p3));
        if (!osx)
            c->cr4 &= ~CR4_OSXMMEXCPT;
        c->mxcsr = 0x1f80 & ~0x200u; /* ZM clear */
        c->xmm[2][0] = 0x3f800000;
        c->xmm[3][0] = 0;
        CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
        CHECK_EQ(c->exc.vector, osx ? 19u : (unsigned)X86_EXC_UD);
        CHECK_EQ(lo32(c, 2), 0x3f800000);
        CHECK(c->mxcsr & 0x04);
        CHECK_EQ(c->rip, CODE);
    }

    /* 4. FTZ: 2^-100 * 2^-30 underflows; FTZ = 1 gives +0 with UE | PE, FTZ = 0 the
     * denormal 2^-130 = 0x00080000 (SDM vol. 1 §10.2.3.3). DAZ: a denormal source reads
     * as zero (§10.2.3.4): 0x00000001 + 0 = 0 with DAZ, 0x00000001 without. */
    static const uint8_t p4[] = {0xf3, 0x0f, 0x59, 0xc1, 0xf4}; /* mulss xmm0, xmm1 */
    for (unsigned ftz = 0; ftz < 2; ftz++) {
        c = load(&e, p4, sizeof(p4));
        c->mxcsr = 0x1f80 | (ftz ? 0x8000u : 0);
        c->xmm[0][0] = 0x0d800000; /* 2^-100 */
        c->xmm[1][0] = 0x30800000; /* 2^-30 */
        CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
        CHECK_EQ(lo32(c, 0), ftz ? 0u : 0x00080000u);
        CHECK_EQ(c->mxcsr & 0x30, ftz ? 0x30u : 0u); /* exact denormal: no UE/PE */
    }
    static const uint8_t p4b[] = {0xf3, 0x0f, 0x58, 0xc1, 0xf4}; /* addss xmm0, xmm1 */
    for (unsigned daz = 0; daz < 2; daz++) {
        c = load(&e, p4b, sizeof(p4b));
        c->mxcsr = 0x1f80 | (daz ? 0x40u : 0);
        c->xmm[0][0] = 1;
        c->xmm[1][0] = 0;
        CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
        CHECK_EQ(lo32(c, 0), daz ? 0u : 1u);
        CHECK_EQ(c->mxcsr & 0x02, daz ? 0u : 0x02u); /* DE only without DAZ */
    }

    /* 5. NaN operands: two QNaNs give the first source (the destination), an SNaN source
     * is returned quieted (SDM vol. 1 Table 4-7 for SSE). */
    static const uint8_t p5[] = {0x0f, 0x58, 0xc1, 0xf4}; /* addps xmm0, xmm1 */
    c = load(&e, p5, sizeof(p5));
    c->xmm[0][0] = 0x7fc000017fc00001ull | 0; /* lanes 0,1: QNaN payload 1 */
    c->xmm[1][0] = 0x7fa000007fc00002ull;      /* lane 0: QNaN 2, lane 1: SNaN */
    c->xmm[0][1] = 0x3f800000;                 /* lane 2: 1.0 + SNaN */
    c->xmm[1][1] = 0x7f800001;
    CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
    CHECK_EQ(c->xmm[0][0], 0x7fc000017fc00001ull);
    CHECK_EQ((uint32_t)c->xmm[0][1], 0x7fc00001);
    CHECK(c->mxcsr & 0x01); /* SNaN: IE */

    /* 6. Availability: CR4.OSFXSR = 0 or CR0.EM = 1 -> #UD, CR0.TS = 1 -> #NM. */
    for (unsigned k = 0; k < 3; k++) {
        c = load(&e, p5, sizeof(p5));
        if (k == 0)
            c->cr4 &= ~CR4_OSFXSR;
        else if (k == 1)
            c->cr0 |= 1u << 2;
        else
            c->cr0 |= 1u << 3;
        CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
        CHECK_EQ(c->exc.vector, k == 2 ? (unsigned)X86_EXC_NM : (unsigned)X86_EXC_UD);
    }

    /* 7. Alignment: MOVAPS from rsi + 8 -> #GP(0); MOVUPS is fine; LDMXCSR with a reserved
     * bit -> #GP(0). */
    static const uint8_t p7[] = {0x0f, 0x28, 0x46, 0x08, 0xf4};       /* movaps xmm0, [rsi+8] */
    static const uint8_t p7b[] = {0x0f, 0x10, 0x46, 0x08, 0xf4};      /* movups xmm0, [rsi+8] */
    static const uint8_t p7c[] = {0x0f, 0xae, 0x16, 0xf4};            /* ldmxcsr [rsi] */
    c = load(&e, p7, sizeof(p7));
    CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, X86_EXC_GP);
    c = load(&e, p7b, sizeof(p7b));
    CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
    put32(&e, DATA, 0x10000 | 0x1f80);
    c = load(&e, p7c, sizeof(p7c));
    CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, X86_EXC_GP);
    CHECK_EQ(c->mxcsr, 0x1f80);

    /* 8. Integer SIMD used by string functions: pcmpeqb + pmovmskb. */
    static const uint8_t p8[] = {0x66, 0x0f, 0x74, 0xc1, /* pcmpeqb xmm0, xmm1 */
                                 0x66, 0x0f, 0xd7, 0xc0, /* pmovmskb eax, xmm0 */
                                 0xf4};
    c = load(&e, p8, sizeof(p8));
    c->xmm[0][0] = 0x0011223344556677ull;
    c->xmm[0][1] = 0x8899aabbccddeeffull;
    c->xmm[1][0] = 0x0011000044000077ull;
    c->xmm[1][1] = 0x8800000000000000ull;
    c->gpr[X86_RAX] = UINT64_MAX;
    CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
    CHECK_EQ(c->gpr[X86_RAX], 0x80c9); /* bytes 0, 3, 6, 7 and 15 equal */

    /* 9. Conversions: CVTTSS2SI of a NaN is the integer indefinite 0x80000000 with IE;
     * CVTSI2SD of -3. */
    static const uint8_t p9[] = {0xf3, 0x0f, 0x2c, 0xc0,       /* cvttss2si eax, xmm0 */
                                 0xf2, 0x48, 0x0f, 0x2a, 0xd3, /* cvtsi2sd xmm2, rbx */
                                 0xf4};
    c = load(&e, p9, sizeof(p9));
    c->xmm[0][0] = 0x7fc00000;
    c->gpr[X86_RBX] = (uint64_t)-3;
    CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
    CHECK_EQ(c->gpr[X86_RAX], 0x80000000u);
    CHECK_EQ(c->xmm[2][0], 0xc008000000000000ull);
    CHECK(c->mxcsr & 0x01);

    /* 10. FXSAVE layout (SDM vol. 2 FXSAVE Table 3-53): FCW at 0, MXCSR at 24, MXCSR_MASK at
     * 28, XMM0 at 160, XMM15 at 400; FXRSTOR brings it back. */
    static const uint8_t p10[] = {0xdb, 0xe3,             /* fninit */
                                  0x0f, 0xae, 0x07,       /* fxsave [rdi] */
                                  0x66, 0x0f, 0xef, 0xc0, /* pxor xmm0, xmm0 */
                                  0x0f, 0xae, 0x0f,       /* fxrstor [rdi] */
                                  0xf4};
    c = load(&e, p10, sizeof(p10));
    c->xmm[0][0] = 0x1111111111111111ull;
    c->xmm[15][1] = 0xf0f0f0f0f0f0f0f0ull;
    c->mxcsr = 0x1f80 | (1u << 13);
    CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
    CHECK_EQ(get(&e, OUT, 2), 0x37f);
    CHECK_EQ(get(&e, OUT + 24, 4), 0x3f80);
    CHECK_EQ(get(&e, OUT + 28, 4), 0xffff);
    CHECK_EQ(get(&e, OUT + 160, 8), 0x1111111111111111ull);
    CHECK_EQ(get(&e, OUT + 400 + 8, 8), 0xf0f0f0f0f0f0f0f0ull);
    CHECK_EQ(c->xmm[0][0], 0x1111111111111111ull);

    /* 11. XSAVE/XRSTOR/XGETBV/XSETBV (SDM vol. 1 ch. 13): XCR0 = x87|SSE, XSAVE with
     * EDX:EAX = 3 writes XSTATE_BV = 3 at +512; XRSTOR of a header with XSTATE_BV = 1
     * puts the XMM registers in their initial state (zero). Without CR4.OSXSAVE: #UD. */
    static const uint8_t p11[] = {0x31, 0xc9,             /* xor ecx, ecx */
                                  0xb8, 0x03, 0, 0, 0,    /* mov eax, 3 */
                                  0x31, 0xd2,             /* xor edx, edx */
                                  0x0f, 0x01, 0xd1,       /* xsetbv */
                                  0x0f, 0x01, 0xd0,       /* xgetbv */
                                  0x0f, 0xae, 0x27,       /* xsave [rdi] */
                                  0xf4};
    sim_mem_write(&e.m, OUT + 512, 8, 0);
    c = load(&e, p11, sizeof(p11));
    c->cr4 |= CR4_OSXSAVE;
    c->xmm[3][0] = 0x3333;
    CHECK_EQ(x86_run(c, 20), X86_STOP_HLT);
    CHECK_EQ(c->gpr[X86_RAX], 3);
    CHECK_EQ(get(&e, OUT + 512, 8), 3);
    CHECK_EQ(get(&e, OUT + 160 + 48, 8), 0x3333);
    sim_mem_write(&e.m, OUT + 512, 8, 1); /* XSTATE_BV: SSE state "initial" */
    static const uint8_t p11b[] = {0x0f, 0xae, 0x2f, 0xf4}; /* xrstor [rdi] */
    sim_mem_write_buf(&e.m, CODE, p11b, sizeof(p11b));
    c->rip = CODE;
    CHECK_EQ(x86_run(c, 20), X86_STOP_HLT);
    CHECK_EQ(c->xmm[3][0], 0);
    c = load(&e, p11, sizeof(p11)); /* CR4.OSXSAVE = 0 */
    CHECK_EQ(x86_run(c, 20), X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, X86_EXC_UD);

    /* 12. MOVBE (feature-gated), RDRAND (deterministic from rdrand_state, CF = 1). */
    static const uint8_t p12[] = {0x0f, 0x38, 0xf0, 0x06,       /* movbe eax, [rsi] */
                                  0x48, 0x0f, 0x38, 0xf1, 0x07, /* movbe [rdi], rax */
                                  0x48, 0x0f, 0xc7, 0xf3,       /* rdrand rbx */
                                  0xf4};
    put32(&e, DATA, 0x11223344);
    uint64_t r1 = 0;
    for (unsigned k = 0; k < 2; k++) {
        c = load(&e, p12, sizeof(p12));
        c->rdrand_state = 42;
        CHECK_EQ(x86_run(c, 10), X86_STOP_HLT);
        CHECK_EQ(c->gpr[X86_RAX], 0x44332211);
        CHECK_EQ(get(&e, OUT, 8), 0x1122334400000000ull);
        CHECK(c->rflags & X86_CF);
        if (k == 0)
            r1 = c->gpr[X86_RBX];
        else
            CHECK_EQ(c->gpr[X86_RBX], r1);
    }
    CHECK(r1 != 0);
    c = load(&e, p12, sizeof(p12));
    c->features &= ~X86_FEAT_MOVBE;
    CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, X86_EXC_UD);

    /* 13. INS/OUTS with REP and DF, XLAT. */
    static const uint8_t p13[] = {0xba, 0x80, 0, 0, 0,     /* mov edx, 0x80 */
                                  0xb9, 0x03, 0, 0, 0,     /* mov ecx, 3 */
                                  0xf3, 0x6c,              /* rep insb */
                                  0xfd,                    /* std */
                                  0x66, 0x6f,              /* outsw */
                                  0xfc,                    /* cld */
                                  0x48, 0x8d, 0x1e,        /* lea rbx, [rsi] (DATA - 2) */
                                  0xb0, 0x02,              /* mov al, 2 */
                                  0xd7,                    /* xlat */
                                  0xf4};
    struct iolog log = {0};
    put32(&e, DATA, 0x44332211);
    c = load(&e, p13, sizeof(p13));
    c->io_hook = io_hook;
    c->io_opaque = &log;
    CHECK_EQ(x86_run(c, 20), X86_STOP_HLT);
    CHECK_EQ(log.reads, 3);
    CHECK_EQ(get(&e, OUT, 4) & 0xffffff, 0xb0a090); /* 0x80 + 0x10, + 0x20, + 0x30 */
    CHECK_EQ(c->gpr[X86_RDI], OUT + 3);
    CHECK_EQ(c->gpr[X86_RCX], 0);
    CHECK_EQ(log.writes, 1);
    CHECK_EQ(log.last[0], 0x2211);
    CHECK_EQ(c->gpr[X86_RSI], DATA - 2);
    CHECK_EQ(c->gpr[X86_RAX] & 0xff, 0x11); /* [DATA - 2 + 2] */

    /* 14. x87 control words as state: FNINIT -> FCW 0x37F, FLDCW, FNSTCW, FNSTSW AX. */
    static const uint8_t p14[] = {0xdb, 0xe3, 0xd9, 0x3f,  /* fninit; fnstcw [rdi] */
                                  0xd9, 0x2e,              /* fldcw [rsi] */
                                  0xd9, 0x7f, 0x02,        /* fnstcw [rdi+2] */
                                  0xdf, 0xe0, 0xf4};       /* fnstsw ax; hlt */
    put32(&e, DATA, 0x027f);
    c = load(&e, p14, sizeof(p14));
    c->gpr[X86_RAX] = 0xffff;
    CHECK_EQ(x86_run(c, 20), X86_STOP_HLT);
    CHECK_EQ(get(&e, OUT, 2), 0x37f);
    CHECK_EQ(get(&e, OUT + 2, 2), 0x27f);
    CHECK_EQ(c->gpr[X86_RAX], 0);

    /* 15. REP string instructions the differential test does not compare: REP MOVSW with
     * DF = 1, REPE CMPSB stopping at the first difference, REPNE SCASB finding AL. */
    static const uint8_t p15[] = {0xfd,                    /* std */
                                  0xb9, 0x02, 0, 0, 0,     /* mov ecx, 2 */
                                  0xf3, 0x66, 0xa5,        /* rep movsw */
                                  0xfc,                    /* cld */
                                  0x48, 0x8d, 0x36,        /* lea rsi, [rsi] */
                                  0xbe, 0x00, 0x50, 0, 0,  /* mov esi, 0x5000 */
                                  0xbf, 0x00, 0x51, 0, 0,  /* mov edi, 0x5100 */
                                  0xb9, 0x08, 0, 0, 0,     /* mov ecx, 8 */
                                  0xf3, 0xa6,              /* repe cmpsb */
                                  0x49, 0x89, 0xc8,        /* mov r8, rcx */
                                  0xbf, 0x00, 0x50, 0, 0,  /* mov edi, 0x5000 */
                                  0xb9, 0x08, 0, 0, 0,     /* mov ecx, 8 */
                                  0xb0, 0x44,              /* mov al, 0x44 */
                                  0xf2, 0xae,              /* repne scasb */
                                  0xf4};
    put32(&e, DATA, 0xaaaabbbb);
    put32(&e, DATA + 4, 0xccccdddd);
    sim_mem_write(&e.m, 0x5000, 8, 0x8877665544332211ull);
    sim_mem_write(&e.m, 0x5100, 8, 0x88776655ff332211ull);
    c = load(&e, p15, sizeof(p15));
    c->gpr[X86_RSI] = DATA + 6;
    c->gpr[X86_RDI] = OUT + 6;
    CHECK_EQ(x86_run(c, 100), X86_STOP_HLT);
    CHECK_EQ(get(&e, OUT + 4, 4), 0xccccdddd); /* words at +6 and +4 copied downwards */
    CHECK_EQ(c->gpr[8], 4);                    /* mismatch at byte 3: 4 left */
    CHECK_EQ(c->gpr[X86_RDI], 0x5004);         /* found 0x44 at 0x5003 */
    CHECK_EQ(c->gpr[X86_RCX], 4);
    CHECK(c->rflags & X86_ZF);

    x86_cpu_destroy(e.c);
    sim_stats_destroy(&e.st);
    sim_mem_destroy(&e.m);
    return test_summary();
}
