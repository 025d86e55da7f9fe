/* tests/isa/x86/test_x86_fastpath.c - the x86 core's micro-TLB (isa/x86/cpu.c, docs/model.md
 * "Fast paths") changes no result: guests run with all fast paths on and off (cpu->fast_mem
 * and mmu_set_fast_path), whole and cut into odd-sized x86_run slices, and every counter,
 * the cycles and the registers must be the same. Guests: a 64-bit loop over 64 4 KB pages
 * with loads, read-modify-writes, page-crossing stores, INVLPG, CR3 reloads, stores into
 * the code page and RFLAGS.AC changes; and guests/modes.S (paging on from PVH 32-bit mode,
 * ring 3 through INT/IRETQ and SYSCALL/SYSRETQ, #PF, #GP, LAPIC timer wake-up). */
#include "isa/x86/x86.h"
#include "mmu/cpu_model.h"
#include "mmu/mmu.h"
#include "sim/loader.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define RAM_SIZE 0x1000000ull

struct env {
    struct sim_mem mem;
    struct sim_stats stats;
    struct mmu *mmu;
    struct x86_cpu *c;
};

static bool env_init(struct env *e, bool fast, bool lapic)
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
    x86_set_cost_model(e->c, cm);
    mmu_set_fast_path(e->mmu, fast);
    e->c->fast_mem = fast;
    if (lapic)
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

static void put(struct env *e, uint64_t pa, const uint8_t *b, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        sim_mem_write(&e->mem, pa + k, 1, b[k]);
}

/* Identity map of the first 2 MB with 4 KB pages (PML4 0x10000, PDPT 0x11000, PD 0x12000,
 * PT 0x13000), the code page 0x1000 and the data pages user-accessible, then the loop. */
#define CODE 0x1000ull
static void build_loop_guest(struct env *e)
{
    sim_mem_write(&e->mem, 0x10000, 8, 0x11000 | 7);
    sim_mem_write(&e->mem, 0x11000, 8, 0x12000 | 7);
    sim_mem_write(&e->mem, 0x12000, 8, 0x13000 | 7);
    for (uint64_t p = 0; p < 512; p++)
        sim_mem_write(&e->mem, 0x13000 + 8 * p, 8, p << 12 | 7);
    static const uint8_t pre[] = {
        0xb9, 0xb8, 0x0b, 0x00, 0x00,             /* mov ecx, 3000 */
    };
    static const uint8_t body[] = {
        0x89, 0xca,                               /* mov edx, ecx */
        0x83, 0xe2, 0x3f,                         /* and edx, 63 */
        0xc1, 0xe2, 0x0c,                         /* shl edx, 12 */
        0x81, 0xc2, 0x00, 0x00, 0x10, 0x00,       /* add edx, 0x100000 */
        0x48, 0x01, 0x4a, 0x08,                   /* add [rdx+8], rcx */
        0x48, 0x8b, 0x42, 0x10,                   /* mov rax, [rdx+16] */
        0x48, 0x89, 0x82, 0xf8, 0x0f, 0x00, 0x00, /* mov [rdx+0xff8], rax */
        0x89, 0x82, 0xfe, 0x0f, 0x00, 0x00,       /* mov [rdx+0xffe], eax (crosses) */
        0x89, 0x0c, 0x25, 0x00, 0x18, 0x00, 0x00, /* mov [0x1800], ecx (code page) */
        0xf6, 0xc1, 0x0f,                         /* test cl, 15 */
        0x75, 0x03,                               /* jnz +3 */
        0x0f, 0x01, 0x3a,                         /* invlpg [rdx] */
        0xf6, 0xc1, 0x7f,                         /* test cl, 127 */
        0x75, 0x06,                               /* jnz +6 */
        0x0f, 0x20, 0xd8,                         /* mov rax, cr3 */
        0x0f, 0x22, 0xd8,                         /* mov cr3, rax */
        0xf6, 0xc1, 0x1f,                         /* test cl, 31 */
        0x75, 0x03,                               /* jnz +3 */
        0x0f, 0x01, 0xcb,                         /* stac */
        0xf6, 0xc1, 0x3f,                         /* test cl, 63 */
        0x75, 0x03,                               /* jnz +3 */
        0x0f, 0x01, 0xca,                         /* clac */
        0xff, 0xc9,                               /* dec ecx */
    };
    put(e, CODE, pre, sizeof(pre));
    put(e, CODE + sizeof(pre), body, sizeof(body));
    uint64_t at = CODE + sizeof(pre) + sizeof(body);
    uint8_t jnz[2] = {0x75, (uint8_t)(0 - (int)(sizeof(body) + 2))};
    put(e, at, jnz, 2);
    uint8_t hlt = 0xf4;
    put(e, at + 2, &hlt, 1);
    x86_cpu_reset64(e->c, CODE);
    e->c->cr3 = 0x10000;
    /* STAC and CLAC change RFLAGS.AC, part of the state the micro-TLB is keyed on (no
     * SMAP here, so every access succeeds). */
}

static bool load_modes_guest(struct env *e)
{
#ifdef X86_GUEST_DIR
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/modes.elf", X86_GUEST_DIR);
    struct sim_image img;
    struct sim_load_opts o = {.ram_base = 0};
    if (sim_image_parse(path, &o, &img, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        CHECK(false);
        return false;
    }
    CHECK_EQ(sim_image_place(&img, &e->mem, err, sizeof(err)), 0);
    uint32_t entry = (uint32_t)img.info.entry;
    sim_image_free(&img);
    x86_cpu_reset_pvh(e->c, entry, 0x12345);
    return true;
#else
    (void)e;
    return false;
#endif
}

/* Run to a stop that is not max-insns, in slices of `slice` instructions (0 = whole). */
static enum x86_stop run(struct x86_cpu *c, uint64_t slice)
{
    enum x86_stop st;
    uint64_t budget = 2000000;
    do {
        uint64_t n = slice ? slice : budget;
        st = x86_run(c, n);
        budget -= n < budget ? n : budget;
    } while (st == X86_STOP_MAX_INSNS && budget);
    return st;
}

static void compare(struct env *a, struct env *b, const char *what)
{
    CHECK_EQ(a->stats.count, b->stats.count);
    unsigned diffs = 0;
    for (unsigned i = 0; i < a->stats.count && i < b->stats.count; i++) {
        const struct sim_stat *x = sim_stats_at(&a->stats, i), *y = sim_stats_at(&b->stats, i);
        if (strcmp(x->name, y->name) || x->value != y->value) {
            if (diffs++ < 5)
                fprintf(stderr, "%s: %s %llu vs %s %llu\n", what, x->name,
                        (unsigned long long)x->value, y->name, (unsigned long long)y->value);
        }
    }
    CHECK_EQ(diffs, 0u);
    CHECK_EQ(a->c->cycles, b->c->cycles);
    CHECK_EQ(a->c->insns, b->c->insns);
    CHECK_EQ(a->c->rip, b->c->rip);
    CHECK_EQ(a->c->rflags, b->c->rflags);
    CHECK_EQ(a->c->cr3, b->c->cr3);
    CHECK_EQ(a->c->cpl, b->c->cpl);
    CHECK(memcmp(a->c->gpr, b->c->gpr, sizeof(a->c->gpr)) == 0);
}

static void test_loop_guest(void)
{
    static const uint64_t slices[] = {0, 7, 113};
    struct env ref;
    if (!env_init(&ref, false, false))
        return;
    build_loop_guest(&ref);
    enum x86_stop st = run(ref.c, 0);
    if (st != X86_STOP_HLT)
        fprintf(stderr, "loop: stop %d vector %u err %x cr2 %llx rip 0x%llx\n", (int)st, ref.c->exc.vector, ref.c->exc.error, (unsigned long long)ref.c->cr2,
                (unsigned long long)ref.c->exc.rip);
    CHECK_EQ(st, X86_STOP_HLT);
    CHECK(sim_stats_get(&ref.stats, "guest.dtlb.l1.hit") > 10000);
    CHECK(sim_stats_get(&ref.stats, "guest.walk.count") > 64);
    for (unsigned k = 0; k < sizeof(slices) / sizeof(slices[0]); k++) {
        struct env e;
        if (!env_init(&e, true, false))
            break;
        build_loop_guest(&e);
        CHECK_EQ(run(e.c, slices[k]), X86_STOP_HLT);
        compare(&ref, &e, "loop");
        uint64_t v = 0, w = 0;
        sim_mem_read(&ref.mem, 0x1800, 4, &v);
        sim_mem_read(&e.mem, 0x1800, 4, &w);
        CHECK_EQ(v, w);
        for (uint64_t p = 0x100000; p < 0x140000; p += 0x1000) {
            sim_mem_read(&ref.mem, p + 8, 8, &v);
            sim_mem_read(&e.mem, p + 8, 8, &w);
            CHECK_EQ(v, w);
        }
        env_fini(&e);
    }
    env_fini(&ref);
}

static void test_modes_guest(void)
{
    static const uint64_t slices[] = {0, 5, 61};
    struct env ref;
    if (!env_init(&ref, false, true))
        return;
    if (!load_modes_guest(&ref)) {
        env_fini(&ref);
        return;
    }
    CHECK_EQ(run(ref.c, 0), X86_STOP_HLT);
    for (unsigned k = 0; k < sizeof(slices) / sizeof(slices[0]); k++) {
        struct env e;
        if (!env_init(&e, true, true))
            break;
        if (load_modes_guest(&e)) {
            CHECK_EQ(run(e.c, slices[k]), X86_STOP_HLT);
            compare(&ref, &e, "modes");
        }
        env_fini(&e);
    }
    env_fini(&ref);
}

int main(void)
{
    test_loop_guest();
    test_modes_guest();
    return test_summary();
}
