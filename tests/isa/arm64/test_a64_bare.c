/* tests/isa/arm64/test_a64_bare.c - the AArch64 core on bare-metal guests assembled with
 * clang --target=aarch64-none-elf (the .S files in tests/isa/arm64/guests, loaded through the image
 * loader, run at EL1h with the MMU off through the translation cost model as bare mode
 * does): SVC round trip, data abort syndrome, ERET to EL0 and back, UNDEF, the virtual
 * timer interrupt, the exclusive monitor, DC ZVA and the ID registers of both CPU models.
 * Also the in-order cycle model (a64_set_cost_model) on a known instruction mix. */
#include "isa/arm64/a64.h"
#include "isa/arm64/a64_internal.h"
#include "isa/arm64/a64_mmu.h"
#include "mmu/cpu_model.h"
#include "mmu/mmu.h"
#include "sim/loader.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x1000000ull

struct env {
    struct sim_mem mem;
    struct sim_stats stats;
    struct mmu *mmu;
    struct a64_mmu_link link;
    struct a64_cpu *c;
    struct sim_image img;
};

/* Load guests/<name>.elf into fresh RAM and create a core of the given ID model with the
 * translation cost model of `cost` attached (NULL: no MMU hook, plain flat MMU-off). */
static bool env_load(struct env *e, const char *name, const char *model, const char *cost)
{
    char path[512], err[256];
    memset(e, 0, sizeof(*e));
    sim_mem_init(&e->mem);
    sim_stats_init(&e->stats);
    CHECK_EQ(sim_mem_add_ram(&e->mem, "ram", RAM_BASE, RAM_SIZE), 0);
    snprintf(path, sizeof(path), "%s/%s.elf", A64_GUEST_DIR, name);
    struct sim_load_opts o = {.ram_base = RAM_BASE};
    if (sim_image_parse(path, &o, &e->img, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        CHECK(false);
        return false;
    }
    CHECK_EQ(sim_image_place(&e->img, &e->mem, err, sizeof(err)), 0);
    e->c = a64_cpu_create(&e->mem, &e->stats, model, 7, err, sizeof(err));
    CHECK(e->c != NULL);
    if (!e->c)
        return false;
    if (cost) {
        const struct mmu_cpu_model *cm = mmu_cpu_model_find(cost);
        CHECK(cm != NULL);
        e->mmu = mmu_create(cm, &e->mem, &e->stats, "");
        CHECK(e->mmu != NULL);
        e->link.mmu = e->mmu;
        e->link.who = MMU_WHO_GUEST;
        a64_set_cost_model(e->c, cm);
        a64_mmu_attach(e->c, &e->link);
    }
    a64_cpu_reset(e->c, e->img.info.entry, 1);
    return true;
}

static void env_fini(struct env *e)
{
    a64_cpu_destroy(e->c);
    if (e->mmu)
        mmu_destroy(e->mmu);
    sim_image_free(&e->img);
    sim_stats_destroy(&e->stats);
    sim_mem_destroy(&e->mem);
}

static enum a64_stop run(struct env *e)
{
    return a64_run(e->c, 1000000);
}

static void test_svc(void)
{
    struct env e;
    if (!env_load(&e, "svc", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[18], 0x200);               /* current EL with SP_ELx, synchronous */
    CHECK_EQ(c->x[19], 0x15u << 26 | 1u << 25 | 0x123); /* EC SVC, IL, imm16 */
    CHECK_EQ(c->x[20], c->x[22]);            /* ELR = the instruction after the SVC */
    CHECK_EQ(c->x[21], 0xa00003c5u);         /* SPSR: N C, DAIF masked, EL1h */
    CHECK_EQ(c->x[23], 0xa0000000u);         /* NZCV restored by ERET */
    CHECK_EQ(c->x[24], 1);
    CHECK_EQ(c->el, 1);
    CHECK_EQ(sim_stats_get(&e.stats, "guest.exceptions"), 1);
    env_fini(&e);
}

static void test_dabort(void)
{
    struct env e;
    if (!env_load(&e, "dabort", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[19], 0x25u << 26 | 1u << 25 | 0x10);          /* EC 0x25, DFSC external */
    CHECK_EQ(c->x[20], 0x10000010);                               /* FAR = VA */
    CHECK_EQ(c->x[21], 0x25u << 26 | 1u << 25 | 1u << 6 | 0x10); /* store: WnR */
    CHECK_EQ(c->x[22], 0x10000018);
    CHECK_EQ(c->x[23], c->x[24]);                                 /* ELR = faulting load */
    CHECK_EQ(c->x[25], 1);
    env_fini(&e);
}

static void test_el0(void)
{
    struct env e;
    if (!env_load(&e, "el0", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[24], 1);                       /* user code ran */
    CHECK_EQ(c->x[23], 1u << 25);                /* MRS CurrentEL at EL0: UNDEF, EC 0 */
    CHECK_EQ(c->x[18], 0x400);                   /* lower EL, AArch64, synchronous */
    CHECK_EQ(c->x[19], 0x15u << 26 | 1u << 25 | 7);
    CHECK_EQ(c->x[20] & 0x1f, 0);                /* SPSR.M = EL0t */
    CHECK_EQ(c->x[21], 1u << 2);                 /* CurrentEL = EL1 */
    CHECK_EQ(c->x[22], c->sp_el[0]);             /* EL0 used SP_EL0 */
    CHECK(c->sp_el[0] != c->sp_el[1]);
    CHECK_EQ(c->x[25], c->x[26]);
    env_fini(&e);
}

static void test_undef(void)
{
    struct env e;
    if (!env_load(&e, "undef", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[19], 1u << 25); /* EC 0, IL 1 */
    CHECK_EQ(c->x[20], c->x[21]); /* ELR = the UDF itself */
    CHECK_EQ(c->x[22], 1u << 25);
    CHECK_EQ(c->x[23], 2);
    CHECK_EQ(c->x[24], 1);
    CHECK_EQ(sim_stats_get(&e.stats, "guest.undef"), 2);
    env_fini(&e);
}

static void test_vtimer(void)
{
    struct env e;
    if (!env_load(&e, "vtimer", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[18], 0x280);        /* IRQ, current EL with SP_ELx */
    CHECK_EQ(c->x[19], 5);            /* ENABLE | ISTATUS */
    CHECK(c->x[20] < (1ull << 63));   /* CNTVCT >= CVAL when taken */
    CHECK(c->x[20] < 100);            /* ... and not long after (WFI advanced the clock) */
    CHECK_EQ(c->x[21], 1);            /* ELR inside the WFI loop */
    CHECK_EQ(c->x[22], 50000000);     /* CNTFRQ of the model */
    CHECK_EQ(sim_stats_get(&e.stats, "guest.irqs"), 1);
    env_fini(&e);
}

static void test_excl(void)
{
    struct env e;
    if (!env_load(&e, "excl", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[23], 0x1234);
    CHECK_EQ(c->x[19], 0);
    CHECK_EQ(c->x[20], 1);
    CHECK_EQ(c->x[22], 1);
    CHECK_EQ(c->x[21], 0x1235);
    env_fini(&e);
}

static void test_dczva(void)
{
    struct env e;
    if (!env_load(&e, "dczva", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[19], 4);   /* Cortex-A57 TRM: DCZID_EL0 = 4 (64 bytes) */
    CHECK_EQ(c->x[20], 64);
    CHECK_EQ(c->x[21], 64);  /* buf + 84 rounded down to the 64-byte block */
    CHECK_EQ(c->x[22], 127);
    env_fini(&e);
}

/* The table order written by guests/idregs.S. */
static unsigned idreg_encodings(uint32_t *enc)
{
    unsigned n = 0;
    enc[n++] = A64_SYSREG(3, 0, 0, 0, 0);
    enc[n++] = A64_SYSREG(3, 0, 0, 0, 5);
    enc[n++] = A64_SYSREG(3, 0, 0, 0, 6);
    for (unsigned crm = 1; crm <= 7; crm++)
        for (unsigned op2 = 0; op2 < 8; op2++)
            enc[n++] = A64_SYSREG(3, 0, 0, crm, op2);
    enc[n++] = A64_SYSREG(3, 3, 0, 0, 1); /* CTR_EL0 */
    enc[n++] = A64_SYSREG(3, 3, 0, 0, 7); /* DCZID_EL0 */
    enc[n++] = A64_SYSREG(3, 1, 0, 0, 1); /* CLIDR_EL1 */
    enc[n++] = A64_SYSREG(3, 1, 0, 0, 7); /* AIDR_EL1 */
    return n;
}

static uint64_t table_at(struct env *e, unsigned i)
{
    uint64_t v = 0;
    CHECK_EQ(sim_mem_read(&e->mem, e->c->x[19] + 8ull * i, 8, &v), 0);
    return v;
}

static void test_idregs(const char *model)
{
    struct env e;
    if (!env_load(&e, "idregs", model, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    CHECK_EQ(run(&e), A64_STOP_END_MARKER);
    uint32_t enc[80];
    unsigned n = idreg_encodings(enc);
    CHECK_EQ(c->x[20], n + 3);
    for (unsigned i = 0; i < n; i++) {
        uint64_t want = 0;
        CHECK_EQ(a64_sysreg_read(c, enc[i], &want), 0);
        CHECK_EQ(table_at(&e, i), want);
    }
    /* Values from the Cortex-A57 TRM (ARM DDI0488, 4.3 AArch64 register summary). */
    bool a57 = !strcmp(model, "cortex-a57");
    CHECK_EQ(table_at(&e, 0), a57 ? 0x411fd070 : 0x000f0510);     /* MIDR_EL1 */
    CHECK_EQ(table_at(&e, 1), 0x80000000);                         /* MPIDR_EL1 (U=0, cpu 0) */
    CHECK_EQ(table_at(&e, 3 + 3 * 8 + 0), 0x00002222);             /* ID_AA64PFR0_EL1 */
    CHECK_EQ(table_at(&e, 3 + 4 * 8 + 0), 0x10305106);             /* ID_AA64DFR0_EL1 */
    CHECK_EQ(table_at(&e, 3 + 5 * 8 + 0), a57 ? 0x00010000 : 0x1000000000210000ull); /* ISAR0 */
    CHECK_EQ(table_at(&e, 3 + 6 * 8 + 0), 0x00001124);             /* ID_AA64MMFR0_EL1 */
    CHECK_EQ(table_at(&e, 3 + 0 * 8 + 0), 0x00000131);             /* ID_PFR0_EL1 */
    CHECK_EQ(table_at(&e, 3 + 0 * 8 + 2), 0x03010066);             /* ID_DFR0_EL1 */
    CHECK_EQ(table_at(&e, 3 + 2 * 8 + 0), 0x10110222);             /* MVFR0_EL1 */
    CHECK_EQ(table_at(&e, 3 + 2 * 8 + 3), 0);                      /* reserved: RAZ */
    CHECK_EQ(table_at(&e, n - 4), 0x8444c004);                     /* CTR_EL0 */
    CHECK_EQ(table_at(&e, n - 3), 4);                              /* DCZID_EL0 */
    CHECK_EQ(table_at(&e, n - 2), 0x0a200023);                     /* CLIDR_EL1 */
    CHECK_EQ(table_at(&e, n + 0), 0x701fe00a);                     /* CCSIDR L1D 32K 2-way */
    CHECK_EQ(table_at(&e, n + 1), 0x201fe012);                     /* CCSIDR L1I 48K 3-way */
    CHECK_EQ(table_at(&e, n + 2), 0x70ffe07a);                     /* CCSIDR L2 2M 16-way */
    env_fini(&e);
}

/* ---- cycle model ---- */
static void test_cost_classes(void)
{
    static const struct {
        uint32_t insn;
        enum a64_cost_class k;
    } t[] = {
        {0x91000400, A64_COST_ALU},     {0x9b007c02, A64_COST_MUL},   /* add, mul */
        {0x9bc37c41, A64_COST_MUL},     {0x9ac10c43, A64_COST_DIV},   /* umulh, sdiv */
        {0x9ac30841, A64_COST_DIV},     {0xf90000a2, A64_COST_STORE}, /* udiv, str */
        {0xf94000a4, A64_COST_LOAD},    {0xd5033bbf, A64_COST_BARRIER}, /* ldr, dmb */
        {0xd5033fdf, A64_COST_BARRIER}, {0xd538d086, A64_COST_SYSREG}, /* isb, mrs */
        {0xd50342df, A64_COST_SYSREG},  {0xd50b7e21, A64_COST_SYSREG}, /* msr daifset, dc */
        {0x54ffff01, A64_COST_BRANCH},  {0xb4000001, A64_COST_BRANCH}, /* b.ne, cbz */
        {0xd65f03c0, A64_COST_BRANCH},  {0xd69f03e0, A64_COST_ERET},   /* ret, eret */
        {0xd4000001, A64_COST_ALU},     {0xc85f7ca1, A64_COST_LOAD},   /* svc, ldxr */
        {0xc8027ca1, A64_COST_STORE},   {0xa94008a1, A64_COST_LOAD},   /* stxr, ldp */
        {0xa90008a1, A64_COST_STORE},   {0xb98000a1, A64_COST_LOAD},   /* stp, ldrsw */
        {0x3d8000a0, A64_COST_STORE},   {0x3dc000a0, A64_COST_LOAD},   /* str q, ldr q */
        {0xf82100a2, A64_COST_LOAD},    {0xc8a17ca2, A64_COST_LOAD},   /* ldadd, cas */
        {0xc89ffca1, A64_COST_STORE},   {0xc8dffca1, A64_COST_LOAD},   /* stlr, ldar */
        {0x58000001, A64_COST_LOAD},    {0xf98000a0, A64_COST_LOAD},   /* ldr lit, prfm */
        {0x382268a1, A64_COST_STORE},   {0x394004a1, A64_COST_LOAD},   /* strb reg, ldrb */
        {0xf85f80a1, A64_COST_LOAD},    {0xf81f80a1, A64_COST_STORE},  /* ldur, stur */
    };
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        int idx = a64_insn_lookup(t[i].insn);
        CHECK(idx >= 0);
        if (a64_cost_class_of((unsigned)idx, t[i].insn) != t[i].k)
            fprintf(stderr, "cost class of 0x%08x (%s)\n", t[i].insn, a64_insn_name(t[i].insn));
        CHECK_EQ(a64_cost_class_of((unsigned)idx, t[i].insn), t[i].k);
    }
}

static void test_cycles(void)
{
    struct sim_mem mem;
    struct sim_stats stats;
    char err[128];
    sim_mem_init(&mem);
    sim_stats_init(&stats);
    CHECK_EQ(sim_mem_add_ram(&mem, "ram", RAM_BASE, 0x10000), 0);
    /* mov x1,#3; loop: add; mul; sdiv; str; ldr; dmb ish; mrs tpidr_el1; subs; b.ne loop;
     * svc #0; brk #0xf000. Vector +0x200: eret. */
    static const uint32_t prog[] = {0xd2800061, 0x91000400, 0x9b007c02, 0x9ac10c43, 0xf90000a2,
                                    0xf94000a4, 0xd5033bbf, 0xd538d086, 0xf1000421, 0x54ffff01,
                                    0xd4000001, 0xd43e0000};
    const uint32_t eret = 0xd69f03e0;
    CHECK_EQ(sim_mem_write_buf(&mem, RAM_BASE, prog, sizeof(prog)), 0);
    CHECK_EQ(sim_mem_write_buf(&mem, RAM_BASE + 0x1000 + 0x200, &eret, 4), 0);
    struct a64_cpu *c = a64_cpu_create(&mem, &stats, NULL, 1, err, sizeof(err));
    CHECK(c != NULL);
    if (!c)
        return;
    for (int pass = 0; pass < 2; pass++) {
        struct mmu_cpu_model m = *mmu_cpu_model_find("cortex-a57");
        m.cost_alu = 2;
        m.cost_mul = 3;
        m.cost_div = 7;
        m.cost_branch_taken = 5;
        m.cost_branch_not_taken = 11;
        m.cost_load = 13;
        m.cost_store = 17;
        m.cost_barrier = 19;
        m.cost_sysreg = 23;
        m.cost_exc_entry = 29;
        m.cost_exc_return = 31;
        a64_set_cost_model(c, pass ? &m : NULL);
        a64_cpu_reset(c, RAM_BASE, 1);
        c->cycles = 0;
        c->insns = 0;
        c->x[5] = RAM_BASE + 0x800;
        CHECK_EQ(a64_sysreg_write(c, A64_SYSREG(3, 0, 12, 0, 0), RAM_BASE + 0x1000), 0);
        CHECK_EQ(a64_run(c, 1000), A64_STOP_END_MARKER);
        CHECK_EQ(c->insns, 31);
        CHECK_EQ(c->x[0], 3);
        if (!pass) {
            CHECK_EQ(c->cycles, 31); /* default: one cycle per instruction */
        } else {
            /* mov 2; 3 x (2 alu + mul + div + store + load + barrier + sysreg) = 3 x 86;
             * b.ne taken twice (5) and not taken once (11); svc 2 + entry 29; eret 0 +
             * return 31; brk 2. */
            CHECK_EQ(c->cycles, 2 + 3 * 86 + 2 * 5 + 11 + 2 + 29 + 31 + 2);
        }
    }
    a64_cpu_destroy(c);
    sim_stats_destroy(&stats);
    sim_mem_destroy(&mem);
}

/* ---- EL2 routing: sysreg traps, physical IRQ/FIQ, GICv3 CPU interface hook ---- */
struct capi {
    struct sim_mem mem;
    struct sim_stats stats;
    struct a64_cpu *c;
};

static bool capi_init(struct capi *e, const uint32_t *prog, unsigned n)
{
    char err[128];
    sim_mem_init(&e->mem);
    sim_stats_init(&e->stats);
    CHECK_EQ(sim_mem_add_ram(&e->mem, "ram", RAM_BASE, 0x10000), 0);
    CHECK_EQ(sim_mem_write_buf(&e->mem, RAM_BASE, prog, 4ull * n), 0);
    e->c = a64_cpu_create(&e->mem, &e->stats, NULL, 1, err, sizeof(err));
    CHECK(e->c != NULL);
    if (e->c)
        a64_cpu_reset(e->c, RAM_BASE, 1);
    return e->c != NULL;
}

static void capi_fini(struct capi *e)
{
    a64_cpu_destroy(e->c);
    sim_stats_destroy(&e->stats);
    sim_mem_destroy(&e->mem);
}

/* ISS of an MSR/MRS trap (ARM DDI0487 D17.2.37). */
static uint32_t sysreg_iss(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
                           unsigned rt, bool read)
{
    return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | (read ? 1u : 0u);
}

#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_TID3 (1ull << 18)
#define HCR_TACR (1ull << 21)
#define HCR_TVM (1ull << 26)
#define HCR_TRVM (1ull << 30)

static void test_sysreg_traps(void)
{
    /* msr sctlr_el1,x1; mrs x1,sctlr_el1; mrs x2,id_aa64mmfr0_el1; mrs x3,actlr_el1; brk */
    static const uint32_t p[] = {0xd5181001, 0xd5381001, 0xd5380702, 0xd5381023, 0xd43e0000};
    struct capi e;
    if (!capi_init(&e, p, 5))
        return;
    struct a64_cpu *c = e.c;
    c->have_el2 = true;
    c->el2_sysreg_traps = true;
    c->hcr_el2 = HCR_TVM;
    c->x[1] = 0x30d00801;
    CHECK_EQ(a64_run(c, 100), A64_STOP_TRAP);
    CHECK_EQ(c->pc, RAM_BASE);
    CHECK_EQ(c->trap.esr_el2, 0x18u << 26 | 1u << 25 | sysreg_iss(3, 0, 1, 0, 0, 1, false));
    CHECK_EQ(c->sctlr_el1 & 1, 0); /* not written */
    /* TVM does not trap reads; TRVM does. */
    c->pc += 4;
    c->hcr_el2 = HCR_TVM | HCR_TID3 | HCR_TACR;
    CHECK_EQ(a64_run(c, 100), A64_STOP_TRAP);
    CHECK_EQ(c->pc, RAM_BASE + 8);
    CHECK_EQ(c->x[1], 0x30d00800);
    CHECK_EQ(c->trap.esr_el2, 0x18u << 26 | 1u << 25 | sysreg_iss(3, 0, 0, 7, 0, 2, true));
    c->pc += 4;
    CHECK_EQ(a64_run(c, 100), A64_STOP_TRAP);
    CHECK_EQ(c->trap.esr_el2, 0x18u << 26 | 1u << 25 | sysreg_iss(3, 0, 1, 0, 1, 3, true));
    c->pc = RAM_BASE + 4;
    c->hcr_el2 = HCR_TRVM;
    CHECK_EQ(a64_run(c, 100), A64_STOP_TRAP);
    CHECK_EQ(c->trap.esr_el2, 0x18u << 26 | 1u << 25 | sysreg_iss(3, 0, 1, 0, 0, 1, true));
    /* Without the opt-in (or with HCR clear) the registers are accessed directly. */
    c->pc = RAM_BASE;
    c->x[1] = 0x30d00801;
    c->el2_sysreg_traps = false;
    c->hcr_el2 = HCR_TVM | HCR_TRVM | HCR_TID3 | HCR_TACR;
    CHECK_EQ(a64_run(c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(c->x[2], 0x00001124);
    CHECK_EQ(c->sctlr_el1 & 1, 1);
    /* The C API (the EL2 model reading guest state) is never trapped. */
    c->el2_sysreg_traps = true;
    uint64_t v = 0;
    CHECK_EQ(a64_sysreg_read(c, A64_SYSREG(3, 0, 1, 0, 0), &v), 0);
    CHECK_EQ(v, 0x30d00801);
    capi_fini(&e);
}

static void test_irq_el2(void)
{
    static const uint32_t p[] = {0xd503201f, 0xd503201f, 0xd43e0000};
    struct capi e;
    if (!capi_init(&e, p, 3))
        return;
    struct a64_cpu *c = e.c;
    c->have_el2 = true;
    c->irq_line = true;
    /* IMO clear: the IRQ would go to EL1, where PSTATE.I (set at reset) masks it. */
    CHECK_EQ(a64_run(c, 1), A64_STOP_MAX_INSNS);
    CHECK_EQ(c->pc, RAM_BASE + 4);
    /* IMO set: taken to EL2 whatever PSTATE.I, before the next instruction. */
    c->hcr_el2 = HCR_IMO;
    CHECK_EQ(a64_run(c, 100), A64_STOP_IRQ_EL2);
    CHECK_EQ(c->trap.irq, 1);
    CHECK_EQ(c->trap.esr_el2, 0);
    CHECK_EQ(c->pc, RAM_BASE + 4);
    CHECK_EQ(c->el, 1);
    c->irq_line = false;
    c->fiq_line = true;
    c->hcr_el2 = HCR_IMO | HCR_FMO;
    CHECK_EQ(a64_run(c, 100), A64_STOP_IRQ_EL2);
    CHECK_EQ(c->trap.irq, 2);
    c->fiq_line = false;
    CHECK_EQ(a64_run(c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(sim_stats_get(&e.stats, "guest.irqs"), 0);
    capi_fini(&e);
}

struct gic_log {
    unsigned calls;
    uint32_t enc[4];
    bool write[4];
    uint64_t wval[4];
};

static int gic_hook(void *opaque, struct a64_cpu *c, uint32_t enc, bool write, uint64_t *val)
{
    struct gic_log *g = opaque;
    (void)c;
    if (g->calls < 4) {
        g->enc[g->calls] = enc;
        g->write[g->calls] = write;
        g->wval[g->calls] = write ? *val : 0;
    }
    g->calls++;
    if (!write)
        *val = enc == A64_SYSREG(3, 0, 12, 12, 0) ? 27 : 0xf0;
    return 0;
}

static void test_gic_sysregs(void)
{
    /* mrs x4,icc_pmr_el1; msr icc_pmr_el1,x5; mrs x6,icc_iar1_el1; brk */
    static const uint32_t p[] = {0xd5384604, 0xd5184605, 0xd538cc06, 0xd43e0000};
    struct capi e;
    if (!capi_init(&e, p, 4))
        return;
    struct a64_cpu *c = e.c;
    /* No hook, ID_AA64PFR0_EL1.GIC == 0: UNDEFINED (unhandled with VBAR_EL1 == 0). */
    uint64_t pfr0 = 1;
    CHECK_EQ(a64_sysreg_read(c, A64_SYSREG(3, 0, 0, 4, 0), &pfr0), 0);
    CHECK_EQ((pfr0 >> 24) & 0xf, 0);
    CHECK_EQ(a64_run(c, 100), A64_STOP_UNHANDLED);
    CHECK_EQ(c->exc.esr, 1u << 25);
    CHECK_EQ(c->pc, RAM_BASE);
    struct gic_log g;
    memset(&g, 0, sizeof(g));
    c->gic_opaque = &g;
    c->gic_hook = gic_hook;
    c->x[5] = 0x80;
    CHECK_EQ(a64_run(c, 100), A64_STOP_END_MARKER);
    CHECK_EQ(g.calls, 3);
    CHECK_EQ(g.enc[0], A64_SYSREG(3, 0, 4, 6, 0));
    CHECK_EQ(g.write[0], 0);
    CHECK_EQ(g.enc[1], A64_SYSREG(3, 0, 4, 6, 0));
    CHECK_EQ(g.write[1], 1);
    CHECK_EQ(g.wval[1], 0x80);
    CHECK_EQ(g.enc[2], A64_SYSREG(3, 0, 12, 12, 0));
    CHECK_EQ(c->x[4], 0xf0);
    CHECK_EQ(c->x[6], 27);
    capi_fini(&e);
}

/* Stage-1 MMU on (1 GB identity blocks) through the TLB model: the loop's result, and the
 * TLB counters it leaves (one fetch page, one data page: almost every access hits). */
static void test_mmuloop(void)
{
    struct env e;
    if (!env_load(&e, "mmuloop", NULL, "cortex-a57"))
        return;
    struct a64_cpu *c = e.c;
    const uint64_t k = 3;
    c->x[1] = k;
    CHECK_EQ(a64_run(c, 100000), A64_STOP_END_MARKER);
    uint64_t x5 = 0;
    for (uint64_t o = 1; o <= k; o++)
        for (uint64_t i = 0; i < 512; i++)
            x5 ^= o * i;
    CHECK_EQ(c->x[5], x5);
    CHECK_EQ(c->x[6], k * 511);
    CHECK_EQ(c->x[7] & 0x1005, 0x1005);
    uint64_t hits = sim_stats_get(&e.stats, "guest.dtlb.l1.hit");
    uint64_t miss = sim_stats_get(&e.stats, "guest.dtlb.l1.miss");
    CHECK(hits >= 2 * 512 * k);
    CHECK(miss >= 1 && miss < 8);
    env_fini(&e);
}

int main(void)
{
    test_cost_classes();
    test_cycles();
    test_svc();
    test_dabort();
    test_el0();
    test_undef();
    test_vtimer();
    test_excl();
    test_dczva();
    test_idregs("cortex-a57");
    test_idregs("max");
    test_sysreg_traps();
    test_irq_el2();
    test_gic_sysregs();
    test_mmuloop();
    return test_summary();
}
