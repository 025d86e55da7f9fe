/* tests/isa/arm64/test_a64_isv.c - the instruction syndrome of stage-2 data aborts
 * (ARM DDI0487 D17.2.40, ESR_EL2 ISS for a Data Abort): ISV = 1 with SAS/SSE/SRT/SF/AR for
 * single general-purpose register loads and stores without writeback (all widths, unsigned
 * offset, unscaled, register offset, unprivileged, literal, LDAR/STLR/LDAPR), ISV = 0 for
 * pairs, writeback forms, exclusives, atomics, SIMD&FP, cache maintenance (CM = 1) and
 * faults on the stage-1 table walk (S1PTW = 1). Each case runs one instruction (encodings
 * from llvm-mc -triple=aarch64 -mattr=+lse,+rcpc -show-encoding) on a CPU whose translation
 * hook reports a stage-2 translation fault (level 3) for [FAULT, FAULT + 64 KiB). */
#include "isa/arm64/a64.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define RAM 0x80000ull
#define FAULT 0x90000ull /* first byte after RAM: the "MMIO" window */
#define EC_DABT_LOW 0x24u
#define FSC_TRANS_L3 0x07u

struct hook {
    bool s1ptw; /* report the fault as one on the stage-1 table walk */
};

static int s2_hook(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                   struct a64_xlate *out, struct mmu_fault *f)
{
    const struct hook *h = opaque;
    (void)c;
    if (va >= FAULT && va < FAULT + 0x10000) {
        f->kind = MMU_FAULT_TRANSLATION;
        f->stage = 2;
        f->level = 3;
        f->ipa = va;
        f->s1ptw = h->s1ptw;
        f->write = h->s1ptw ? false : (acc & MMU_ACC_WRITE) != 0;
        return -1;
    }
    out->pa = va;
    out->attr = 0xff;
    return 0;
}

/* ISS of a valid-syndrome data abort (a macro: used in a static initializer). */
#define ISS(sas, sse, srt, sf, ar, wnr)                                                        \
    (1u << 24 | (sas) << 22 | (sse) << 21 | (srt) << 16 | (sf) << 15 | (ar) << 14 |          \
     (wnr) << 6 | FSC_TRANS_L3)

struct isv_case {
    const char *name;
    uint32_t insn;
    uint32_t iss; /* expected ESR_EL2.ISS */
    uint64_t far; /* expected FAR (x0 = FAULT) */
};

static const struct isv_case cases[] = {
    {"ldr w1, [x0]", 0xb9400001u, ISS(2u, 0u, 1u, 0u, 0u, 0u), FAULT},
    {"ldr x2, [x0, #8]", 0xf9400402u, ISS(3u, 0u, 2u, 1u, 0u, 0u), FAULT + 8},
    {"ldrsh x3, [x0]", 0x79800003u, ISS(1u, 1u, 3u, 1u, 0u, 0u), FAULT},
    {"ldrsh w4, [x0]", 0x79c00004u, ISS(1u, 1u, 4u, 0u, 0u, 0u), FAULT},
    {"ldrsb x16, [x0, #1]", 0x39800410u, ISS(0u, 1u, 16u, 1u, 0u, 0u), FAULT + 1},
    {"ldrsw x11, [x0]", 0xb980000bu, ISS(2u, 1u, 11u, 1u, 0u, 0u), FAULT},
    {"strb w5, [x0]", 0x39000005u, ISS(0u, 0u, 5u, 0u, 0u, 1u), FAULT},
    {"str xzr, [x0]", 0xf900001fu, ISS(3u, 0u, 31u, 1u, 0u, 1u), FAULT},
    {"ldr x8, [x0, x9, lsl #3]", 0xf8697808u, ISS(3u, 0u, 8u, 1u, 0u, 0u), FAULT + 0x18},
    {"ldur w10, [x0, #4]", 0xb840400au, ISS(2u, 0u, 10u, 0u, 0u, 0u), FAULT + 4},
    {"ldtr x13, [x0]", 0xf840080du, ISS(3u, 0u, 13u, 1u, 0u, 0u), FAULT},
    {"ldr w14, <literal at FAULT>", 0x1808000eu, ISS(2u, 0u, 14u, 0u, 0u, 0u), FAULT},
    {"ldar x6, [x0]", 0xc8dffc06u, ISS(3u, 0u, 6u, 1u, 1u, 0u), FAULT},
    {"ldarb w15, [x0]", 0x08dffc0fu, ISS(0u, 0u, 15u, 0u, 1u, 0u), FAULT},
    {"stlr w7, [x0]", 0x889ffc07u, ISS(2u, 0u, 7u, 0u, 1u, 1u), FAULT},
    {"ldapr w12, [x0]", 0xb8bfc00cu, ISS(2u, 0u, 12u, 0u, 1u, 0u), FAULT},
    /* ISV = 0 */
    {"ldp x1, x2, [x0]", 0xa9400801u, FSC_TRANS_L3, FAULT},
    {"ldr x1, [x0], #8", 0xf8408401u, FSC_TRANS_L3, FAULT},
    {"ldr x1, [x0, #8]!", 0xf8408c01u, FSC_TRANS_L3, FAULT + 8},
    {"ldxr x1, [x0]", 0xc85f7c01u, FSC_TRANS_L3, FAULT},
    /* an atomic reads and writes: reported as a write (WnR = 1) */
    {"ldadd x1, x2, [x0]", 0xf8210002u, 1u << 6 | FSC_TRANS_L3, FAULT},
    {"ldr d0, [x0]", 0xfd400000u, FSC_TRANS_L3, FAULT},
    /* DC CIVAC: CM = 1, WnR = 1 */
    {"dc civac, x0", 0xd50b7e20u, 1u << 8 | 1u << 6 | FSC_TRANS_L3, FAULT},
};

struct env {
    struct sim_mem mem;
    struct sim_stats stats;
    struct a64_cpu *c;
    struct hook hook;
};

static void env_init(struct env *e)
{
    char err[128];
    sim_mem_init(&e->mem);
    sim_stats_init(&e->stats);
    CHECK_EQ(sim_mem_add_ram(&e->mem, "ram", RAM, 0x10000), 0);
    e->c = a64_cpu_create(&e->mem, &e->stats, "max", 1, err, sizeof(err));
    CHECK(e->c != NULL);
    e->hook.s1ptw = false;
    e->c->hook_opaque = &e->hook;
    e->c->xlate = s2_hook;
}

static void env_fini(struct env *e)
{
    a64_cpu_destroy(e->c);
    sim_stats_destroy(&e->stats);
    sim_mem_destroy(&e->mem);
}

/* Run insn at RAM with x0 = FAULT, x9 = 3; returns the stop reason. */
static enum a64_stop run_one(struct env *e, uint32_t insn)
{
    CHECK_EQ(sim_mem_write_buf(&e->mem, RAM, &insn, 4), 0);
    a64_flush_decoded(e->c);
    a64_cpu_reset(e->c, RAM, 1);
    e->c->have_el2 = true;
    e->c->cpacr_el1 = 3u << 20; /* FP/SIMD enabled at EL0/EL1 */
    e->c->x[0] = FAULT;
    e->c->x[9] = 3;
    return a64_run(e->c, 1);
}

static void test_syndromes(void)
{
    struct env e;
    env_init(&e);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct isv_case *k = &cases[i];
        enum a64_stop st = run_one(&e, k->insn);
        if (st != A64_STOP_TRAP || e.c->trap.esr_el2 != (EC_DABT_LOW << 26 | 1u << 25 | k->iss))
            fprintf(stderr, "case %s: stop %d esr 0x%08x want 0x%08x\n", k->name, (int)st,
                    e.c->trap.esr_el2, EC_DABT_LOW << 26 | 1u << 25 | k->iss);
        CHECK_EQ(st, A64_STOP_TRAP);
        CHECK_EQ(e.c->trap.esr_el2, EC_DABT_LOW << 26 | 1u << 25 | k->iss);
        CHECK_EQ(e.c->trap.far, k->far);
        CHECK_EQ(e.c->trap.hpfar, (k->far >> 12) << 4);
        /* preferred return = the faulting instruction; no writeback happened */
        CHECK_EQ(e.c->pc, RAM);
        CHECK_EQ(e.c->x[0], FAULT);
    }
    env_fini(&e);
}

/* A stage-2 fault on the stage-1 walk of a valid-syndrome load: S1PTW = 1, ISV = 0. */
static void test_s1ptw_no_isv(void)
{
    struct env e;
    env_init(&e);
    e.hook.s1ptw = true;
    CHECK_EQ(run_one(&e, 0xb9400001u /* ldr w1, [x0] */), A64_STOP_TRAP);
    CHECK_EQ(e.c->trap.esr_el2, EC_DABT_LOW << 26 | 1u << 25 | 1u << 7 | FSC_TRANS_L3);
    env_fini(&e);
}

/* Stage-1 aborts taken to EL1 never carry a syndrome (ESR_EL1.ISV = 0): the same load with
 * a stage-1 fault. */
static int s1_hook(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                   struct a64_xlate *out, struct mmu_fault *f)
{
    (void)opaque;
    (void)c;
    (void)acc;
    if (va >= FAULT) {
        f->kind = MMU_FAULT_TRANSLATION;
        f->stage = 1;
        f->level = 3;
        return -1;
    }
    out->pa = va;
    out->attr = 0xff;
    return 0;
}

static void test_stage1_no_isv(void)
{
    struct env e;
    env_init(&e);
    e.c->xlate = s1_hook;
    uint32_t prog[2] = {0xb9400001u /* ldr w1, [x0] */, 0};
    CHECK_EQ(sim_mem_write_buf(&e.mem, RAM, prog, 8), 0);
    a64_cpu_reset(e.c, RAM, 1);
    e.c->have_el2 = true;
    e.c->x[0] = FAULT;
    /* VBAR_EL1 = 0: the abort is reported in cpu->exc instead of being taken */
    CHECK_EQ(a64_run(e.c, 1), A64_STOP_UNHANDLED);
    CHECK_EQ(e.c->exc.esr, 0x25u << 26 | 1u << 25 | FSC_TRANS_L3);
    env_fini(&e);
}

int main(void)
{
    test_syndromes();
    test_s1ptw_no_isv();
    test_stage1_no_isv();
    return test_summary();
}
