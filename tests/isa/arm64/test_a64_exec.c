/* tests/isa/arm64/test_a64_exec.c - the AArch64 core on small hand-assembled programs
 * (encodings from llvm-mc -triple=aarch64 -show-encoding): run loop and end marker,
 * exception entry through VBAR_EL1 with ESR/ELR/FAR/SPSR (ARM DDI0487 D1.10), ERET to
 * EL0 and back, UNDEF accounting, data aborts, DC ZVA, the exclusive monitor, the virtual
 * timer interrupt, decoded-cache invalidation on code writes, ID registers, JSON dump.
 * Also prints the interpreter speed on a compute loop (HVSIM_MIPS_N iterations). */
#include <time.h>

#include "isa/arm64/a64.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define RAM 0x80000ull
#define VBAR 0x88000ull

#define NOP 0xd503201fu
#define BRK_END 0xd43e0000u       /* brk #0xf000 */
#define MRS_X3_ESR 0xd5385203u
#define MRS_X4_ELR 0xd5384024u
#define MRS_X5_FAR 0xd5386005u
#define MRS_X8_CURRENTEL 0xd5384248u

struct env {
    struct sim_mem mem;
    struct sim_stats stats;
    struct a64_cpu *c;
};

static void env_init(struct env *e, const char *model)
{
    char err[128];
    sim_mem_init(&e->mem);
    sim_stats_init(&e->stats);
    CHECK_EQ(sim_mem_add_ram(&e->mem, "ram", RAM, 0x10000), 0);
    e->c = a64_cpu_create(&e->mem, &e->stats, model, 42, err, sizeof(err));
    CHECK(e->c != NULL);
}

static void env_fini(struct env *e)
{
    a64_cpu_destroy(e->c);
    sim_stats_destroy(&e->stats);
    sim_mem_destroy(&e->mem);
}

static void put(struct env *e, uint64_t pa, const uint32_t *w, unsigned n)
{
    CHECK_EQ(sim_mem_write_buf(&e->mem, pa, w, 4ull * n), 0);
}

/* Vector table: every synchronous/IRQ entry reads ESR, ELR, FAR, CurrentEL and stops. */
static void put_vectors(struct env *e)
{
    static const uint32_t h[] = {MRS_X3_ESR, MRS_X4_ELR, MRS_X5_FAR, MRS_X8_CURRENTEL, BRK_END};
    for (unsigned off = 0; off < 0x800; off += 0x80)
        put(e, VBAR + off, h, 5);
    CHECK_EQ(a64_sysreg_write(e->c, A64_SYSREG(3, 0, 12, 0, 0), VBAR), 0);
}

static void test_compute_loop(void)
{
    struct env e;
    env_init(&e, NULL);
    /* loop: add x0,x0,#1; eor x2,x2,x0; subs x1,x1,#1; b.ne loop; brk #0xf000 */
    static const uint32_t p[] = {0x91000400, 0xca000042, 0xf1000421, 0x54ffffa1, BRK_END};
    put(&e, RAM, p, 5);
    const char *ns = getenv("HVSIM_MIPS_N");
    uint64_t n = ns ? strtoull(ns, NULL, 0) : 1000000;
    a64_cpu_reset(e.c, RAM, 1);
    e.c->x[1] = n;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(a64_run(e.c, UINT64_MAX), A64_STOP_END_MARKER);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK_EQ(e.c->x[0], n);
    CHECK_EQ(e.c->x[1], 0);
    CHECK_EQ(e.c->pc, RAM + 16);
    CHECK_EQ(e.c->insns, 4 * n + 1);
    CHECK_EQ(sim_stats_get(&e.stats, "guest.insns"), 4 * n + 1);
    CHECK_EQ(e.c->nzcv, 0x60000000); /* Z and C from the last SUBS 1 - 1 */
    printf("compute loop: %.1f MIPS (%" PRIu64 " instructions in %.3f s)\n",
           (double)(4 * n + 1) / s / 1e6, 4 * n + 1, s);
    /* Budget exhaustion */
    a64_cpu_reset(e.c, RAM, 1);
    e.c->x[1] = 100;
    CHECK_EQ(a64_run(e.c, 10), A64_STOP_MAX_INSNS);
    CHECK_EQ(e.c->pc, RAM + 8);
    env_fini(&e);
}

static void test_exceptions(void)
{
    struct env e;
    env_init(&e, NULL);
    put_vectors(&e);

    /* SVC from EL1h: vector 0x200, ESR EC=0x15 IL=1 ISS=imm16, ELR = next insn. */
    static const uint32_t svc[] = {0xd4000841}; /* svc #0x42 */
    put(&e, RAM, svc, 1);
    a64_cpu_reset(e.c, RAM, 1);
    put_vectors(&e);
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->pc, VBAR + 0x200 + 16);
    CHECK_EQ(e.c->x[3], 0x56000042);
    CHECK_EQ(e.c->x[4], RAM + 4);
    CHECK_EQ(e.c->x[8], 4);
    CHECK_EQ(e.c->spsr_el1, 0x3c5); /* DAIF masked, EL1h */

    /* Data abort on unmapped PA: EC=0x25, DFSC=0b010000 (external, not on walk), FAR. */
    static const uint32_t ld[] = {0xf94000e6, 0xf90000e6}; /* ldr x6,[x7]; str x6,[x7] */
    put(&e, RAM, ld, 2);
    a64_cpu_reset(e.c, RAM, 1);
    put_vectors(&e);
    e.c->x[7] = 0x10000000;
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[3], 0x96000010);
    CHECK_EQ(e.c->x[4], RAM);
    CHECK_EQ(e.c->x[5], 0x10000000);
    a64_cpu_reset(e.c, RAM + 4, 1);
    put_vectors(&e);
    e.c->x[7] = 0x10000000;
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[3], 0x96000050); /* WnR */

    /* MMU off: an unaligned data access is to Device memory -> Alignment fault (0x21). */
    a64_cpu_reset(e.c, RAM, 1);
    put_vectors(&e);
    e.c->x[7] = RAM + 0x1001;
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[3], 0x96000021);
    CHECK_EQ(e.c->x[5], RAM + 0x1001);

    /* UNDEF: EC=0, IL=1; counted in guest.undef. */
    static const uint32_t udf[] = {0x00000000};
    put(&e, RAM, udf, 1);
    a64_cpu_reset(e.c, RAM, 1);
    put_vectors(&e);
    uint64_t before = sim_stats_get(&e.stats, "guest.undef");
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[3], 0x02000000);
    CHECK_EQ(e.c->x[4], RAM);
    CHECK_EQ(sim_stats_get(&e.stats, "guest.undef"), before + 1);

    /* ERET to EL0t, SVC back: lower-EL vector 0x400, ELR = after the SVC. */
    static const uint32_t er[] = {0xd69f03e0}; /* eret */
    static const uint32_t el0[] = {0xd4000021}; /* svc #1 */
    put(&e, RAM, er, 1);
    put(&e, RAM + 0x100, el0, 1);
    a64_cpu_reset(e.c, RAM, 1);
    put_vectors(&e);
    e.c->spsr_el1 = 0; /* EL0t, interrupts unmasked */
    e.c->elr_el1 = RAM + 0x100;
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->pc, VBAR + 0x400 + 16);
    CHECK_EQ(e.c->x[3], 0x56000001);
    CHECK_EQ(e.c->x[4], RAM + 0x104);
    CHECK_EQ(e.c->x[8], 4);
    CHECK_EQ(e.c->spsr_el1, 0); /* taken from EL0t */

    /* EL0 access to an EL1 register is UNDEFINED (MRS ESR_EL1 at EL0). */
    static const uint32_t el0mrs[] = {MRS_X3_ESR};
    put(&e, RAM + 0x100, el0mrs, 1);
    a64_cpu_reset(e.c, RAM, 1);
    put_vectors(&e);
    e.c->spsr_el1 = 0;
    e.c->elr_el1 = RAM + 0x100;
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[3], 0x02000000);
    CHECK_EQ(e.c->x[4], RAM + 0x100);

    /* No vector table (VBAR_EL1 == 0): the exception is reported, state untouched. */
    put(&e, RAM, svc, 1);
    a64_cpu_reset(e.c, RAM, 1);
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_UNHANDLED);
    CHECK_EQ(e.c->exc.esr, 0x56000042);
    CHECK_EQ(e.c->exc.pc, RAM);
    CHECK_EQ(e.c->pc, RAM);
    env_fini(&e);
}

static void test_memory_ops(void)
{
    struct env e;
    env_init(&e, NULL);
    /* dc zva, x11; ldxr x12,[x11]; stxr w13,x12,[x11]; ldxr x12,[x11]; clrex;
     * stxr w14,x12,[x11]; brk */
    static const uint32_t p[] = {0xd50b742b, 0xc85f7d6c, 0xc80d7d6c, 0xc85f7d6c, 0xd5033f5f,
                                 0xc80e7d6c, BRK_END};
    put(&e, RAM, p, 7);
    uint8_t ff[128];
    memset(ff, 0xff, sizeof(ff));
    CHECK_EQ(sim_mem_write_buf(&e.mem, RAM + 0x1000, ff, sizeof(ff)), 0);
    a64_cpu_reset(e.c, RAM, 1);
    e.c->x[11] = RAM + 0x1010; /* zeroes the aligned 64-byte block around it */
    e.c->x[13] = e.c->x[14] = 7;
    CHECK_EQ(a64_run(e.c, 100), A64_STOP_END_MARKER);
    uint8_t got[128];
    CHECK_EQ(sim_mem_read_buf(&e.mem, RAM + 0x1000, got, sizeof(got)), 0);
    unsigned zeros = 0;
    for (unsigned i = 0; i < 64; i++)
        zeros += got[i] == 0;
    CHECK_EQ(zeros, 64);
    CHECK_EQ(got[64], 0xff);
    CHECK_EQ(e.c->x[13], 0); /* monitor held: store succeeds */
    CHECK_EQ(e.c->x[14], 1); /* after CLREX: fails */

    /* Self-modifying code: the decoded page is invalidated by the store. */
    static const uint32_t smc[] = {0xb90000e6, NOP, 0x91000929, BRK_END}; /* str w6,[x7] */
    put(&e, RAM, smc, 4);
    a64_cpu_reset(e.c, RAM + 8, 1);
    CHECK_EQ(a64_run(e.c, 10), A64_STOP_END_MARKER); /* decodes "add x9,x9,#2" */
    CHECK_EQ(e.c->x[9], 2);
    uint64_t x9 = e.c->x[9];
    a64_cpu_reset(e.c, RAM, 1);
    e.c->x[9] = x9;
    e.c->x[7] = RAM + 8;
    e.c->x[6] = 0x91000529; /* add x9, x9, #1 */
    CHECK_EQ(a64_run(e.c, 10), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[9], 3);
    /* ...and by a write from outside the core (sim_mem on_code_write). */
    uint32_t add4 = 0x91001129; /* add x9, x9, #4 */
    CHECK_EQ(sim_mem_write(&e.mem, RAM + 8, 4, add4), 0);
    a64_cpu_reset(e.c, RAM + 8, 1);
    CHECK_EQ(a64_run(e.c, 10), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[9], 4);
    env_fini(&e);
}

static void test_timer_irq(void)
{
    struct env e;
    env_init(&e, NULL);
    static const uint32_t p[] = {0x14000000}; /* b . */
    put(&e, RAM, p, 1);
    a64_cpu_reset(e.c, RAM, 1);
    put_vectors(&e);
    e.c->daif = 0;
    CHECK_EQ(a64_sysreg_write(e.c, A64_SYSREG(3, 3, 14, 3, 2), 1000), 0); /* CNTV_CVAL */
    CHECK_EQ(a64_sysreg_write(e.c, A64_SYSREG(3, 3, 14, 3, 1), 1), 0);    /* CNTV_CTL.ENABLE */
    CHECK_EQ(a64_run(e.c, 1000000), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->pc, VBAR + 0x280 + 16); /* current EL, SPx, IRQ */
    CHECK_EQ(e.c->x[4], RAM);
    CHECK(e.c->cycles >= 1000 * 24);
    uint64_t ctl = 0;
    CHECK_EQ(a64_sysreg_read(e.c, A64_SYSREG(3, 3, 14, 3, 1), &ctl), 0);
    CHECK_EQ(ctl, 5); /* ENABLE | ISTATUS */
    CHECK_EQ(sim_stats_get(&e.stats, "guest.irqs"), 1);
    env_fini(&e);
}

static void test_id_and_dump(void)
{
    struct env e;
    env_init(&e, "cortex-a57");
    uint64_t v = 0;
    CHECK_EQ(a64_sysreg_read(e.c, A64_SYSREG(3, 0, 0, 0, 0), &v), 0);
    CHECK_EQ(v, 0x411fd070);
    CHECK_EQ(a64_sysreg_read(e.c, A64_SYSREG(3, 0, 0, 7, 0), &v), 0);
    CHECK_EQ(v, 0x1124);
    CHECK_EQ(a64_sysreg_read(e.c, A64_SYSREG(3, 3, 0, 0, 1), &v), 0);
    CHECK_EQ(v, 0x8444c004);
    /* an MRS in the guest: mrs x10, midr_el1; brk */
    static const uint32_t p[] = {0xd538000a, BRK_END};
    put(&e, RAM, p, 2);
    a64_cpu_reset(e.c, RAM, 1);
    CHECK_EQ(a64_run(e.c, 10), A64_STOP_END_MARKER);
    CHECK_EQ(e.c->x[10], 0x411fd070);
    char path[512];
    snprintf(path, sizeof(path), "%s/a64_state.json", test_tmpdir());
    FILE *f = fopen(path, "w+");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ(a64_dump_state_json(e.c, f), 0);
        rewind(f);
        char buf[4096] = "";
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        CHECK(!strncmp(buf, "{\"arch\":\"arm64\",\"pc\":\"0x80004\",\"sp_el0\":\"0x0\"", 44));
        CHECK(strstr(buf, "\"x\":[\"0x0\"") != NULL);
        CHECK(strstr(buf, ",\"0x411fd070\",") != NULL); /* x10 */
        CHECK(strstr(buf, "\"v\":[\"0x00000000000000000000000000000000\"") != NULL);
        CHECK(strstr(buf, "\"el\":1,\"insns\":2}\n") != NULL);
    }
    env_fini(&e);
    env_init(&e, "max");
    CHECK_EQ(a64_sysreg_read(e.c, A64_SYSREG(3, 0, 0, 6, 0), &v), 0);
    CHECK_EQ((v >> 20) & 0xf, 2); /* LSE atomics */
    CHECK_EQ(v >> 60, 1);         /* RNDR */
    env_fini(&e);
    char err[128];
    CHECK(a64_cpu_create(&e.mem, &e.stats, "cortex-x9", 0, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "cortex-x9") != NULL);
}

int main(void)
{
    test_compute_loop();
    test_exceptions();
    test_memory_ops();
    test_timer_irq();
    test_id_and_dump();
    return test_summary();
}
