/* tests/isa/x86/test_x86_sys.c - x86 CPU modes and system architecture (isa/x86 seg.c, sys.c,
 * msr.c, lapic.c, cpu.c): the PVH start state, a guest (guests/modes.S, assembled with clang
 * .code32/.code64) that enters long mode through PAE paging and compatibility mode, goes to
 * ring 3 and back through INT/IRETQ and SYSCALL/SYSRETQ, takes #GP(selector), #PF and #GP(0)
 * at CPL 3 and is woken from HLT by the x2APIC timer; segment-load checks with their error
 * codes; CR/MSR reserved-bit rules; decode of the mode-dependent system encodings. */
#include "isa/x86/x86.h"
#include "isa/x86/x86_internal.h"
#include "mmu/cpu_model.h"
#include "mmu/mmu.h"
#include "sim/loader.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define RAM_SIZE 0x1000000ull
#define RES 0x8000ull

struct env {
    struct sim_mem mem;
    struct sim_stats stats;
    struct mmu *mmu;
    struct x86_cpu *c;
};

static bool env_init(struct env *e)
{
    char err[256];
    memset(e, 0, sizeof(*e));
    sim_mem_init(&e->mem);
    sim_stats_init(&e->stats);
    CHECK_EQ(sim_mem_add_ram(&e->mem, "ram", 0, RAM_SIZE), 0);
    const struct mmu_cpu_model *cm = mmu_cpu_model_find("skylake");
    CHECK(cm != NULL);
    if (!cm)
        return false;
    e->mmu = mmu_create(cm, &e->mem, &e->stats, "");
    e->c = x86_cpu_create(&e->mem, &e->stats, X86_FEAT_ALL, err, sizeof(err));
    CHECK(e->mmu != NULL && e->c != NULL);
    if (!e->mmu || !e->c)
        return false;
    e->c->mmu = e->mmu;
    e->c->who = MMU_WHO_GUEST;
    CHECK_EQ(x86_lapic_create(e->c, &e->stats, 0), 0);
    return true;
}

static void env_fini(struct env *e)
{
    x86_cpu_destroy(e->c);
    if (e->mmu)
        mmu_destroy(e->mmu);
    sim_stats_destroy(&e->stats);
    sim_mem_destroy(&e->mem);
}

static uint64_t rd(struct env *e, uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    sim_mem_read(&e->mem, pa, size, &v);
    return v;
}

static void test_pvh_reset(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    struct x86_cpu *c = e.c;
    x86_cpu_reset_pvh(c, 0x100000, 0x7000);
    CHECK_EQ(c->code_bits, 32u);
    CHECK_EQ(c->cr0 & 0x80000001ull, 1ull);
    CHECK_EQ(c->cr4, 0ull);
    CHECK_EQ(c->efer, 0ull);
    CHECK_EQ(c->rflags, 2ull);
    CHECK_EQ(c->gpr[X86_RBX], 0x7000ull);
    CHECK_EQ(c->seg[X86_SEG_CS].sel, 0x8);
    CHECK_EQ(c->seg[X86_SEG_DS].sel, 0x10);
    CHECK_EQ(c->seg[X86_SEG_SS].limit, 0xffffffffu);
    CHECK_EQ(c->seg[X86_SEG_TR].limit, 0x67u);
    CHECK_EQ(c->seg[X86_SEG_TR].attr & 0xf, 0xbu);
    CHECK_EQ(c->cpl, 0u);
    /* reset64 still gives 64-bit mode */
    x86_cpu_reset64(c, 0x1000);
    CHECK_EQ(c->code_bits, 64u);
    env_fini(&e);
}

static void test_modes_guest(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/modes.elf", X86_GUEST_DIR);
    struct sim_image img;
    struct sim_load_opts o = {.ram_base = 0};
    if (sim_image_parse(path, &o, &img, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        CHECK(false);
        env_fini(&e);
        return;
    }
    CHECK_EQ(sim_image_place(&img, &e.mem, err, sizeof(err)), 0);
    struct x86_cpu *c = e.c;
    x86_cpu_reset_pvh(c, (uint32_t)img.info.entry, 0x12345);
    enum x86_stop st = x86_run(c, 1000000);
    if (st != X86_STOP_HLT)
        fprintf(stderr, "stop %d rip 0x%llx vector %u err 0x%x\n", (int)st,
                (unsigned long long)c->rip, c->exc.vector, c->exc.error);
    CHECK_EQ(st, X86_STOP_HLT);
    CHECK_EQ(c->gpr[X86_RAX], 0xdeadull);
    CHECK_EQ(rd(&e, RES + 0x00, 4), 0x12345ull);            /* EBX = start info */
    CHECK_EQ(rd(&e, RES + 0x04, 4) & 0x80000001ull, 1ull);  /* PE, not PG */
    CHECK_EQ(rd(&e, RES + 0x08, 4) & 0xd01ull, 0xd01ull);   /* EFER.LMA set by CR0.PG */
    CHECK_EQ(rd(&e, RES + 0x0c, 2), 0x10ull);               /* CS after the far JMP */
    CHECK_EQ(rd(&e, RES + 0x10, 2), 0x38ull);               /* STR */
    CHECK_EQ(rd(&e, RES + 0x14, 2), 0x33ull);               /* CS at CPL 3 */
    CHECK_EQ(rd(&e, RES + 0x28, 8), 0x7000ull - 40);        /* RSP0 */
    CHECK_EQ(rd(&e, RES + 0x30, 8), 0x33ull);               /* INT pushed CS */
    CHECK_EQ(rd(&e, RES + 0x38, 8), 0x2bull);               /* and SS */
    CHECK_EQ(rd(&e, RES + 0x40, 8), 0xfeedfaceull);         /* SWAPGS -> KERNEL_GS_BASE */
    CHECK_EQ(rd(&e, RES + 0x48, 2), 0x10ull);               /* SYSCALL CS */
    CHECK_EQ(rd(&e, RES + 0x18, 4), 0x5151ull);             /* back at CPL 3 via SYSRETQ */
    CHECK(rd(&e, RES + 0x20, 8) > 0x100000);                /* RCX = return RIP */
    CHECK_EQ(rd(&e, RES + 0x50, 8), 2ull);                  /* two #GP */
    CHECK_EQ(rd(&e, RES + 0x58, 8), 0x18ull);               /* MOV DS: #GP(selector) */
    CHECK_EQ(rd(&e, RES + 0x60, 8), 0ull);                  /* CLI: #GP(0) */
    CHECK_EQ(rd(&e, RES + 0x70, 8), 4ull);                  /* #PF: user read, not present */
    CHECK_EQ(rd(&e, RES + 0x78, 8), 0x40000000ull);         /* CR2 */
    CHECK_EQ(rd(&e, RES + 0x80, 8), 0x6000ull - 40);        /* timer on IST1 */
    CHECK_EQ(rd(&e, RES + 0x88, 8), 1ull);                  /* one timer interrupt */
    CHECK_EQ(rd(&e, RES + 0x90, 4) & 0xff, 0x15ull);        /* x2APIC version */
    CHECK(rd(&e, RES + 0x9c, 4) >= 100000);                 /* HLT slept until the timer */
    CHECK_EQ(rd(&e, RES + 0xa0, 4), 0ull);                  /* PPR after EOI */
    CHECK_EQ(c->code_bits, 64u);
    CHECK_EQ(c->cpl, 0u);
    CHECK_EQ(*c->st_irq, 1ull);
    CHECK(*c->st_halt_cycles > 50000);
    sim_image_free(&img);
    env_fini(&e);
}

/* A GDT at 0x2000 for direct segment-load checks in 32-bit protected mode. */
static void put_gdt(struct env *e)
{
    static const uint64_t gdt[] = {
        0,
        0x00cf9a000000ffffull, /* 0x08 code DPL0 */
        0x00cf92000000ffffull, /* 0x10 data DPL0 */
        0x00cff2000000ffffull, /* 0x18 data DPL3 */
        0x00cf12000000ffffull, /* 0x20 data DPL0, not present */
        0x00cf98000000ffffull, /* 0x28 code execute-only */
        0x00409210000000ffull, /* 0x30 data base 0x100000 limit 0xff byte-granular */
    };
    sim_mem_write_buf(&e->mem, 0x2000, gdt, sizeof(gdt));
    e->c->gdtr.base = 0x2000;
    e->c->gdtr.limit = sizeof(gdt) - 1;
}

static void expect_fault(struct x86_cpu *c, int rc, unsigned vec, uint32_t err)
{
    CHECK_EQ(rc, -1);
    CHECK(c->fault);
    CHECK_EQ(c->exc.vector, vec);
    CHECK_EQ(c->exc.error, err);
    c->fault = false;
}

static void test_segment_loads(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    struct x86_cpu *c = e.c;
    x86_cpu_reset_pvh(c, 0, 0);
    put_gdt(&e);
    CHECK_EQ(x86_seg_load(c, X86_SEG_DS, 0x10), 0);
    CHECK_EQ(c->seg[X86_SEG_DS].limit, 0xffffffffu);
    CHECK_EQ(x86_seg_load(c, X86_SEG_ES, 0x30), 0);
    CHECK_EQ(c->seg[X86_SEG_ES].base, 0x100000ull);
    CHECK_EQ(c->seg[X86_SEG_ES].limit, 0xffu);
    CHECK_EQ(x86_seg_load(c, X86_SEG_DS, 0), 0);                   /* null: unusable */
    CHECK_EQ(c->seg[X86_SEG_DS].attr, 0);
    expect_fault(c, x86_seg_load(c, X86_SEG_SS, 0), X86_EXC_GP, 0); /* null SS */
    expect_fault(c, x86_seg_load(c, X86_SEG_DS, 0x40), X86_EXC_GP, 0x40); /* beyond limit */
    expect_fault(c, x86_seg_load(c, X86_SEG_SS, 0x18), X86_EXC_GP, 0x18); /* RPL/DPL != CPL */
    expect_fault(c, x86_seg_load(c, X86_SEG_SS, 0x1b), X86_EXC_GP, 0x18);
    expect_fault(c, x86_seg_load(c, X86_SEG_DS, 0x20), X86_EXC_NP, 0x20); /* not present */
    expect_fault(c, x86_seg_load(c, X86_SEG_SS, 0x20), X86_EXC_SS, 0x20);
    expect_fault(c, x86_seg_load(c, X86_SEG_DS, 0x28), X86_EXC_GP, 0x28); /* execute-only */
    expect_fault(c, x86_seg_load(c, X86_SEG_DS, 0x0c), X86_EXC_GP, 0x0c); /* TI=1, no LDT */
    CHECK_EQ(x86_seg_load(c, X86_SEG_DS, 0x1b), 0);  /* DPL 3 data from CPL 0 */
    /* through the instruction: MOV DS, AX with a bad selector, then an access through a
     * segment with a small limit (ES base 0x100000 limit 0xff). */
    static const uint8_t code[] = {
        0x66, 0xb8, 0x20, 0x00,       /* mov ax, 0x20 */
        0x8e, 0xd8,                   /* mov ds, ax -> #NP(0x20) */
    };
    sim_mem_write_buf(&e.mem, 0x3000, code, sizeof(code));
    c->rip = 0x3000;
    c->idtr.limit = 0;
    CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, (unsigned)X86_EXC_NP);
    CHECK_EQ(c->exc.error, 0x20u);
    CHECK_EQ(c->rip, 0x3004ull);
    static const uint8_t code2[] = {
        0x26, 0x8b, 0x05, 0xf0, 0x00, 0x00, 0x00, /* mov eax, es:[0xf0]: inside the limit */
        0x26, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00, /* mov eax, es:[0x100]: #GP(0) */
    };
    sim_mem_write_buf(&e.mem, 0x3100, code2, sizeof(code2));
    sim_mem_write(&e.mem, 0x1000f0, 4, 0xabcd1234);
    CHECK_EQ(x86_seg_load(c, X86_SEG_ES, 0x30), 0);
    c->rip = 0x3100;
    CHECK_EQ(x86_run(c, 1), X86_STOP_MAX_INSNS);
    CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(c->gpr[X86_RAX] & 0xffffffffull, 0xabcd1234ull);
    CHECK_EQ(c->exc.vector, (unsigned)X86_EXC_GP);
    CHECK_EQ(c->rip, 0x3107ull);
    env_fini(&e);
}

/* 32-bit protected mode: INT n through an 8-byte interrupt gate and IRETD, and #GP with a
 * selector error code through the IDT (SDM vol. 3A §6.12). */
static void test_idt32(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    struct x86_cpu *c = e.c;
    x86_cpu_reset_pvh(c, 0x3000, 0);
    put_gdt(&e);
    c->gpr[X86_RSP] = 0x7000;
    uint64_t g21 = 0x00008e0000085000ull, g13 = 0x00008e0000085100ull;
    sim_mem_write(&e.mem, 0x4000 + 0x21 * 8, 8, g21);
    sim_mem_write(&e.mem, 0x4000 + 13 * 8, 8, g13);
    c->idtr.base = 0x4000;
    c->idtr.limit = 0x7ff;
    static const uint8_t code[] = {
        0xcd, 0x21,                   /* int 0x21 */
        0x66, 0xb8, 0x28, 0x00,       /* mov ax, 0x28 */
        0x8e, 0xd8,                   /* mov ds, ax: #GP(0x28), execute-only code */
        0xf4,                         /* hlt (IF = 0: stop) */
    };
    static const uint8_t h21[] = {0xbb, 0x11, 0x00, 0x00, 0x00, 0xcf}; /* mov ebx,0x11; iretd */
    static const uint8_t h13[] = {
        0x8f, 0x05, 0x00, 0x60, 0x00, 0x00, /* pop dword [0x6000] (error code) */
        0x83, 0x04, 0x24, 0x02,             /* add dword [esp], 2 */
        0xcf,                               /* iretd */
    };
    sim_mem_write_buf(&e.mem, 0x3000, code, sizeof(code));
    sim_mem_write_buf(&e.mem, 0x5000, h21, sizeof(h21));
    sim_mem_write_buf(&e.mem, 0x5100, h13, sizeof(h13));
    CHECK_EQ(x86_run(c, 100), X86_STOP_HLT);
    CHECK_EQ(c->rip, 0x3009ull);
    CHECK_EQ(c->gpr[X86_RAX] & 0xffff, 0x28ull);
    CHECK_EQ(c->gpr[X86_RSP], 0x7000ull);
    CHECK_EQ(c->gpr[X86_RBX], 0x11ull);          /* the INT 0x21 handler ran */
    CHECK_EQ(rd(&e, 0x7000 - 12, 4), 0x3008ull); /* #GP pushed EIP 0x3006 (+2), CS, EFLAGS */
    CHECK_EQ(rd(&e, 0x7000 - 8, 4), 0x08ull);
    CHECK_EQ(rd(&e, 0x7000 - 4, 4), 0x2ull);
    CHECK_EQ(rd(&e, 0x6000, 4), 0x28ull);        /* #GP error code = selector */
    CHECK_EQ(c->code_bits, 32u);
    env_fini(&e);
}

static void test_cr_msr_rules(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    struct x86_cpu *c = e.c;
    uint64_t v;
    x86_cpu_reset64(c, 0);
    CHECK_EQ(x86_msr_read(c, 0xc0000080, &v), 0);
    CHECK_EQ(v, c->efer);
    CHECK(x86_msr_write(c, 0xc0000080, v & ~(1ull << 8)) != 0);   /* LME with PG on */
    CHECK(x86_msr_write(c, 0xc0000080, v | (1ull << 20)) != 0);   /* reserved bit */
    CHECK(x86_msr_read(c, 0x12345, &v) != 0);                      /* no such MSR */
    CHECK(x86_msr_write(c, 0xc0000082, 0x0000800000000000ull) != 0); /* non-canonical LSTAR */
    CHECK_EQ(x86_msr_write(c, 0xc0000100, 0x1000), 0);
    CHECK_EQ(c->fs_base, 0x1000ull);
    CHECK(x86_msr_write(c, 0x277, 0x0202020202020202ull) != 0);   /* PAT type 2 */
    CHECK(x86_msr_read(c, 0x802, &v) != 0);                        /* x2APIC not enabled */
    CHECK_EQ(x86_msr_write(c, 0x1b, 0xfee00000ull | 0xc00), 0);
    CHECK_EQ(x86_msr_read(c, 0x802, &v), 0);
    CHECK(x86_msr_write(c, 0x1b, 0xfee00000ull | 0x800) != 0);    /* x2APIC -> xAPIC */
    CHECK(x86_msr_write(c, 0x80b, 1) != 0);                        /* EOI must be 0 */
    uint64_t t0, t1;
    CHECK_EQ(x86_msr_write(c, 0x10, 1000000), 0);
    CHECK_EQ(x86_msr_read(c, 0x10, &t0), 0);
    c->cycles += 500;
    CHECK_EQ(x86_msr_read(c, 0x10, &t1), 0);
    CHECK_EQ(t1 - t0, 500ull);
    /* MOV CR4 with a reserved bit, MOV CR0 clearing PG in 64-bit mode: #GP(0) */
    static const uint8_t code[] = {
        0x48, 0xc7, 0xc0, 0x00, 0x00, 0x40, 0x00, /* mov rax, 0x400000 (CR4 bit 22) */
        0x0f, 0x22, 0xe0,                         /* mov cr4, rax */
    };
    sim_mem_write_buf(&e.mem, 0x3000, code, sizeof(code));
    c->mmu = NULL;
    c->rip = 0x3000;
    CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, (unsigned)X86_EXC_GP);
    CHECK_EQ(c->rip, 0x3007ull);
    /* CPUID leaf 1 reports the x2APIC and leaf 7 FSGSBASE */
    uint32_t r[4];
    x86_cpuid(c, 1, 0, r);
    CHECK(r[2] & (1u << 21));
    x86_cpuid(c, 7, 0, r);
    CHECK(r[1] & 1u);
    x86_cpuid(c, 0x80000001, 0, r);
    CHECK(r[3] & (1u << 11));
    c->mmu = e.mmu;
    env_fini(&e);
}

static const char *dec(const char *hex, unsigned bits, unsigned *len)
{
    uint8_t b[16];
    unsigned n = 0;
    for (const char *p = hex; *p && n < 16;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        unsigned v;
        sscanf(p, "%2x", &v);
        b[n++] = (uint8_t)v;
        p += 2;
    }
    struct x86_decoded d;
    int rc = x86_decode_bytes(b, n, bits, X86_FEAT_ALL, &d);
    *len = rc > 0 ? (unsigned)rc : 0;
    return rc > 0 ? x86_insn_line_name((unsigned)d.line) : "(bad)";
}

static void test_decode_sys(void)
{
    unsigned len;
    CHECK_STR(dec("ea 00 00 10 00 10 00", 32, &len), "ljmp");
    CHECK_EQ(len, 7u);
    CHECK_STR(dec("ea 00 00 10 00 10 00", 64, &len), "(bad)");
    CHECK_STR(dec("0f 22 d8", 64, &len), "mov");              /* mov cr3, rax */
    CHECK_EQ(len, 3u);
    CHECK_STR(dec("0f 20 00", 64, &len), "mov");              /* mod ignored: no SIB/disp */
    CHECK_EQ(len, 3u);
    CHECK_STR(dec("0f 01 f8", 64, &len), "swapgs");
    CHECK_STR(dec("0f 01 f8", 32, &len), "(bad)");
    CHECK_STR(dec("0f 01 f9", 64, &len), "rdtscp");
    CHECK_STR(dec("0f 01 10", 64, &len), "lgdt");
    CHECK_STR(dec("0f 01 38", 64, &len), "invlpg");
    CHECK_STR(dec("66 0f 38 82 08", 64, &len), "invpcid");
    CHECK_STR(dec("f3 48 0f ae d0", 64, &len), "wrfsbase");
    CHECK_STR(dec("1e", 32, &len), "push");
    CHECK_STR(dec("1e", 64, &len), "(bad)");
    CHECK_STR(dec("48 cb", 64, &len), "lret");
    CHECK_STR(dec("0f 05", 64, &len), "syscall");
    /* the random generator never produces system lines */
    uint64_t rng = 7;
    for (unsigned k = 0; k < 20000; k++) {
        uint8_t b[16];
        int line;
        x86_random_insn(&rng, b, 0, &line);
        const char *nm = x86_insn_line_name((unsigned)line);
        CHECK(strcmp(nm, "wrmsr") && strcmp(nm, "lgdt") && strcmp(nm, "swapgs") &&
              strcmp(nm, "ljmp"));
    }
}

/* CPUID feature bits and reset state: MOVBE (1:ECX[22]), RDRAND (1:ECX[30]), RDSEED
 * (7.0:EBX[18]) follow the features; BMI1 is never reported and F3 0F BC runs as BSF (SDM
 * vol. 2 TZCNT); FCW = 0x37f after either reset, bare reset enables SSE (CR4 bits 9, 10). */
static void test_cpuid_reset(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    struct x86_cpu *c = e.c;
    uint32_t r[4];
    x86_cpuid(c, 1, 0, r);
    CHECK_EQ(r[2] >> 22 & 1, 1u);
    CHECK_EQ(r[2] >> 30 & 1, 1u);
    x86_cpuid(c, 7, 0, r);
    CHECK_EQ(r[1] >> 18 & 1, 1u);
    CHECK_EQ(r[1] >> 3 & 1, 0u); /* BMI1 */
    c->fpu_fcw = 0;
    x86_cpu_reset_pvh(c, 0x100000, 0x7000);
    CHECK_EQ(c->fpu_fcw, 0x37f);
    c->fpu_fcw = 0;
    x86_cpu_reset64(c, 0x3000);
    CHECK_EQ(c->fpu_fcw, 0x37f);
    CHECK_EQ(c->cr4 & 0x600ull, 0x600ull);
    /* F3 0F BC C1 = bsf eax, ecx with ecx = 0 -> ZF = 1, eax unchanged (TZCNT: 32, CF) */
    static const uint8_t code[] = {0xf3, 0x0f, 0xbc, 0xc1, 0x0f, 0x28, 0xc1 /* movaps */};
    sim_mem_write_buf(&e.mem, 0x3000, code, sizeof(code));
    c->mmu = NULL;
    c->gpr[X86_RAX] = 0x1234;
    c->gpr[X86_RCX] = 0;
    c->rflags = 2;
    CHECK_EQ(x86_run(c, 2), X86_STOP_MAX_INSNS); /* MOVAPS runs: SSE enabled by the reset */
    CHECK_EQ(c->gpr[X86_RAX], 0x1234ull);
    CHECK_EQ(c->rflags & (X86_ZF | X86_CF), (uint64_t)X86_ZF);
    c->mmu = e.mmu;
    char err[128];
    struct x86_cpu *b = x86_cpu_create(&e.mem, &e.stats,
                                       X86_FEAT_ALL & ~(X86_FEAT_MOVBE | X86_FEAT_RDRAND),
                                       err, sizeof(err));
    CHECK(b != NULL);
    if (b) {
        x86_cpuid(b, 1, 0, r);
        CHECK_EQ(r[2] >> 22 & 1, 0u);
        CHECK_EQ(r[2] >> 30 & 1, 0u);
        x86_cpuid(b, 7, 0, r);
        CHECK_EQ(r[1] >> 18 & 1, 0u);
        x86_cpu_destroy(b);
    }
    env_fini(&e);
}

/* String instructions and moffs MOV in 32-bit protected mode go through the segment base
 * and limit (SDM vol. 3A §5.3): DS = ES = 0x30 (base 0x100000, limit 0xff). */
static void test_string_segments(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    struct x86_cpu *c = e.c;
    x86_cpu_reset_pvh(c, 0, 0);
    c->mmu = NULL; /* paging is off: linear = physical */
    put_gdt(&e);
    CHECK_EQ(x86_seg_load(c, X86_SEG_DS, 0x30), 0);
    CHECK_EQ(x86_seg_load(c, X86_SEG_ES, 0x30), 0);
    sim_mem_write(&e.mem, 0x100010, 4, 0x11223344);
    sim_mem_write(&e.mem, 0x1000f0, 4, 0xcafef00d);
    static const uint8_t code[] = {
        0xbe, 0x10, 0x00, 0x00, 0x00, /* mov esi, 0x10 */
        0xbf, 0x20, 0x00, 0x00, 0x00, /* mov edi, 0x20 */
        0xa5,                         /* movsd: DS:[0x10] -> ES:[0x20] */
        0xa1, 0xf0, 0x00, 0x00, 0x00, /* mov eax, [0xf0] (moffs, DS) */
        0xa3, 0x40, 0x00, 0x00, 0x00, /* mov [0x40], eax */
        0xbf, 0xfe, 0x00, 0x00, 0x00, /* mov edi, 0xfe */
        0xab,                         /* stosd: bytes 0xfe..0x101 > limit -> #GP(0) */
    };
    sim_mem_write_buf(&e.mem, 0x3000, code, sizeof(code));
    c->rip = 0x3000;
    c->idtr.limit = 0;
    CHECK_EQ(x86_run(c, 100), X86_STOP_UNHANDLED);
    CHECK_EQ(rd(&e, 0x100020, 4), 0x11223344ull);
    CHECK_EQ(c->gpr[X86_RAX], 0xcafef00dull);
    CHECK_EQ(rd(&e, 0x100040, 4), 0xcafef00dull);
    CHECK_EQ(c->exc.vector, (unsigned)X86_EXC_GP);
    CHECK_EQ(c->exc.error, 0u);
    CHECK_EQ(c->rip, 0x301aull);
    CHECK_EQ(c->gpr[X86_RDI], 0xfeull);
    CHECK_EQ(c->gpr[X86_RSI], 0x14ull);
    env_fini(&e);
}

/* INS/OUTS at CPL 3 with IOPL 0 consult the TSS I/O bitmap like IN/OUT (SDM vol. 1 §19.5). */
static void test_strio_permission(void)
{
    struct env e;
    if (!env_init(&e))
        return;
    struct x86_cpu *c = e.c;
    x86_cpu_reset_pvh(c, 0, 0);
    c->mmu = NULL;
    /* TSS at 0x4000: I/O map base 0x68, ports 0..0x3ff (128 bytes + the 0xff terminator),
     * port 0x60 denied. */
    uint8_t tss[0x68 + 129];
    memset(tss, 0, sizeof(tss));
    tss[0x66] = 0x68;
    tss[0x68 + 0x60 / 8] = 1u << (0x60 & 7);
    tss[sizeof(tss) - 1] = 0xff;
    sim_mem_write_buf(&e.mem, 0x4000, tss, sizeof(tss));
    c->seg[X86_SEG_TR].base = 0x4000;
    c->seg[X86_SEG_TR].limit = sizeof(tss) - 1;
    c->cpl = 3;
    c->rflags = 2; /* IOPL 0 */
    static const uint8_t code[] = {
        0x66, 0xba, 0x61, 0x00,       /* mov dx, 0x61 */
        0xbf, 0x00, 0x50, 0x00, 0x00, /* mov edi, 0x5000 */
        0x6c,                         /* insb: allowed, floats high */
        0x31, 0xc9,                   /* xor ecx, ecx */
        0x66, 0xba, 0x60, 0x00,       /* mov dx, 0x60 */
        0xf3, 0x6c,                   /* rep insb with ECX = 0: no iteration, no check */
        0x6e,                         /* outsb to port 0x60: #GP(0) */
    };
    sim_mem_write_buf(&e.mem, 0x3000, code, sizeof(code));
    sim_mem_write(&e.mem, 0x5000, 1, 0);
    c->rip = 0x3000;
    c->idtr.limit = 0;
    CHECK_EQ(x86_run(c, 100), X86_STOP_UNHANDLED);
    CHECK_EQ(rd(&e, 0x5000, 1), 0xffull);
    CHECK_EQ(c->gpr[X86_RDI], 0x5001ull);
    CHECK_EQ(c->exc.vector, (unsigned)X86_EXC_GP);
    CHECK_EQ(c->exc.error, 0u);
    CHECK_EQ(c->rip, 0x3012ull);
    /* the same OUTSB with IOPL 3 passes */
    c->fault = false;
    c->stop = X86_STOP_NONE;
    c->rflags |= 3u << 12;
    CHECK_EQ(x86_run(c, 1), X86_STOP_MAX_INSNS);
    CHECK_EQ(c->rip, 0x3013ull);
    env_fini(&e);
}

int main(void)
{
    test_pvh_reset();
    test_modes_guest();
    test_segment_loads();
    test_idt32();
    test_cr_msr_rules();
    test_decode_sys();
    test_cpuid_reset();
    test_string_segments();
    test_strio_permission();
    return test_summary();
}
