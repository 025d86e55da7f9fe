/* tests/isa/x86/test_x86_exec.c - x86-64 core semantics the differential test cannot
 * cover: REP string instructions, MOV Ev, imm, POPCNT, CMPXCHG16B, #DE delivered through a
 * 64-bit IDT and IRETQ, HLT as the end marker, the decoded-instruction cache seeing
 * self-modifying code, and #UD counting. Linear = physical (no MMU). */
#include "isa/x86/x86.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define CODE 0x1000ull

static struct x86_cpu *run(struct sim_mem *m, struct sim_stats *st, const uint8_t *code,
                           unsigned n, enum x86_stop *stop)
{
    char err[128];
    struct x86_cpu *c = x86_cpu_create(m, st, X86_FEAT_ALL, err, sizeof(err));
    sim_mem_write_buf(m, CODE, code, n);
    x86_cpu_reset64(c, CODE);
    c->gpr[X86_RSP] = 0x80000;
    *stop = x86_run(c, 1000);
    return c;
}

int main(void)
{
    struct sim_mem m;
    struct sim_stats st;
    sim_mem_init(&m);
    sim_stats_init(&st);
    CHECK_EQ(sim_mem_add_ram(&m, "ram", 0, 1u << 20), 0);
    enum x86_stop stop;

    /* rep stosq; mov rsi,rdi-based copy with rep movsb; popcnt; mov [rdi], imm32; hlt */
    static const uint8_t c1[] = {
        0x48, 0xc7, 0xc7, 0x00, 0x20, 0x00, 0x00, /* mov rdi, 0x2000 */
        0x48, 0xc7, 0xc1, 0x04, 0x00, 0x00, 0x00, /* mov rcx, 4 */
        0x48, 0xb8, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* mov rax, imm64 */
        0xf3, 0x48, 0xab,                         /* rep stosq */
        0x48, 0xc7, 0xc6, 0x00, 0x20, 0x00, 0x00, /* mov rsi, 0x2000 */
        0x48, 0xc7, 0xc7, 0x00, 0x30, 0x00, 0x00, /* mov rdi, 0x3000 */
        0xb9, 0x20, 0x00, 0x00, 0x00,             /* mov ecx, 32 */
        0xf3, 0xa4,                               /* rep movsb */
        0xf3, 0x48, 0x0f, 0xb8, 0xd8,             /* popcnt rbx, rax */
        0xc7, 0x07, 0xef, 0xbe, 0xad, 0xde,       /* mov dword [rdi], 0xdeadbeef */
        0xf4,                                     /* hlt */
    };
    struct x86_cpu *c = run(&m, &st, c1, sizeof(c1), &stop);
    CHECK_EQ(stop, X86_STOP_HLT);
    uint64_t v;
    sim_mem_read(&m, 0x3018, 8, &v);
    CHECK_EQ(v, 0x8877665544332211ull);
    CHECK_EQ(c->gpr[X86_RCX], 0);
    CHECK_EQ(c->gpr[X86_RSI], 0x2020);
    CHECK_EQ(c->gpr[X86_RBX], 26); /* popcount of 0x8877665544332211 */
    sim_mem_read(&m, 0x3020, 4, &v);
    CHECK_EQ(v, 0xdeadbeef);
    CHECK_EQ(c->rip, CODE + sizeof(c1));
    x86_cpu_destroy(c);

    /* cmpxchg16b success and failure */
    static const uint8_t c2[] = {0x48, 0x0f, 0xc7, 0x0e, /* cmpxchg16b [rsi] */
                                 0x48, 0x0f, 0xc7, 0x0e, 0xf4};
    sim_mem_write(&m, 0x4000, 8, 1);
    sim_mem_write(&m, 0x4008, 8, 2);
    char err[128];
    c = x86_cpu_create(&m, &st, X86_FEAT_ALL, err, sizeof(err));
    sim_mem_write_buf(&m, CODE, c2, sizeof(c2));
    x86_cpu_reset64(c, CODE);
    c->gpr[X86_RSI] = 0x4000;
    c->gpr[X86_RAX] = 1;
    c->gpr[X86_RDX] = 2;
    c->gpr[X86_RBX] = 5;
    c->gpr[X86_RCX] = 6;
    CHECK_EQ(x86_run(c, 1), X86_STOP_MAX_INSNS);
    CHECK(c->rflags & X86_ZF);
    sim_mem_read(&m, 0x4008, 8, &v);
    CHECK_EQ(v, 6);
    CHECK_EQ(x86_run(c, 10), X86_STOP_HLT); /* second compare fails: RDX:RAX = memory */
    CHECK(!(c->rflags & X86_ZF));
    CHECK_EQ(c->gpr[X86_RAX], 5);
    CHECK_EQ(c->gpr[X86_RDX], 6);
    x86_cpu_destroy(c);

    /* #DE with no IDT stops; with an IDT it is delivered (frame of 5 qwords) and IRETQ
     * returns past the handler's fix-up. */
    static const uint8_t c3[] = {0x31, 0xc9,       /* xor ecx, ecx */
                                 0xf7, 0xf1,       /* div ecx -> #DE */
                                 0xf4};
    c = run(&m, &st, c3, sizeof(c3), &stop);
    CHECK_EQ(stop, X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, X86_EXC_DE);
    CHECK_EQ(c->rip, CODE + 2);
    /* handler at 0x5000: add qword [rsp], 2 (skip the div); iretq */
    static const uint8_t h[] = {0x48, 0x83, 0x04, 0x24, 0x02, 0x48, 0xcf};
    sim_mem_write_buf(&m, 0x5000, h, sizeof(h));
    uint64_t gate_lo = 0x5000 | (0x08ull << 16) | (0x8eull << 40); /* P, DPL 0, interrupt gate */
    sim_mem_write(&m, 0x6000, 8, gate_lo);
    sim_mem_write(&m, 0x6008, 8, 0);
    /* GDT: null, flat 64-bit code (0x08), data (0x10): the gate's selector must name a
     * present code segment (SDM vol. 3A §6.12.1). */
    sim_mem_write(&m, 0x7000, 8, 0);
    sim_mem_write(&m, 0x7008, 8, 0x00209a0000000000ull);
    sim_mem_write(&m, 0x7010, 8, 0x0000920000000000ull);
    x86_cpu_reset64(c, CODE);
    c->gdtr.base = 0x7000;
    c->gdtr.limit = 0x17;
    c->gpr[X86_RSP] = 0x80008;
    c->idtr.base = 0x6000;
    c->idtr.limit = 0xfff;
    CHECK_EQ(x86_run(c, 100), X86_STOP_HLT);
    CHECK_EQ(c->rip, CODE + sizeof(c3));
    CHECK_EQ(c->gpr[X86_RSP], 0x80008);
    CHECK_EQ(c->insns, 5); /* xor, add, iretq, hlt + the handler's add counted once each */
    x86_cpu_destroy(c);

    /* self-modifying code: the decoded cache is invalidated by the store */
    static const uint8_t c4[] = {0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0xf4, /* mov byte [rip+1], 0xf4 */
                                 0x90, 0x0f, 0x0b};                        /* nop -> hlt; ud2 */
    c = run(&m, &st, c4, sizeof(c4), &stop);
    CHECK_EQ(stop, X86_STOP_HLT);
    CHECK_EQ(c->rip, CODE + 9); /* the stored HLT ran, not the ud2 bytes */
    /* undefined opcode: #UD, counted */
    static const uint8_t c5[] = {0x0f, 0xff};
    uint64_t *undef = sim_stats_add(&st, "guest.undef", "count", "");
    uint64_t before = *undef;
    sim_mem_write_buf(&m, CODE, c5, sizeof(c5));
    x86_cpu_reset64(c, CODE);
    CHECK_EQ(x86_run(c, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(c->exc.vector, X86_EXC_UD);
    CHECK_EQ(*undef, before + 1);
    x86_cpu_destroy(c);

    sim_stats_destroy(&st);
    sim_mem_destroy(&m);
    return test_summary();
}
