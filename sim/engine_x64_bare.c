/* sim/engine_x64_bare.c - bare mode on x86_64: one x86-64 core, no hypervisor. The core
 * starts at the image entry in 64-bit mode at CPL 0 (CR0.PE|PG, CR4.PAE, EFER.LME|LMA, as a
 * boot loader that entered long mode leaves it), RSP at the top of RAM, and runs until HLT
 * with RFLAGS.IF = 0 (the end marker), --max-insns, or an exception with no IDT
 * (IDTR.limit == 0). Guest console: OUT to port 0xE9. Every access goes through the
 * translation cost model (mmu_x86_xlate), so the TLB model counts everything.
 *
 * Page tables: the engine identity-maps the low 4 GiB with 2 MiB pages (Intel SDM vol. 3A
 * §4.5: PML4 -> one PDPT -> four page directories, PS = 1), R/W, supervisor, in six 4 KiB
 * pages placed right above the highest byte of the loaded image (page-aligned). The guest
 * must not use that memory (bare-mode guests use only their image, .bss and the stack). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "isa/x86/x86.h"
#include "mmu/mmu.h"
#include "sim/engine.h"
#include "sim/machine.h"

struct x64_bare {
    struct x86_cpu *cpu;
    struct mmu *mmu;
};

#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_PS (1ull << 7)

static int build_identity_map(struct machine *m, uint64_t *cr3, char *err, size_t errlen)
{
    uint64_t top = 0;
    for (unsigned k = 0; k < m->image.info.nseg; k++) {
        const struct sim_image_segment *s = &m->image.info.seg[k];
        if (s->paddr + s->memsz > top)
            top = s->paddr + s->memsz;
    }
    uint64_t t = (top + 0xfff) & ~0xfffull;
    if (!sim_mem_is_ram(&m->mem, t, 6 * 4096)) {
        snprintf(err, errlen, "no RAM for the identity page tables at 0x%" PRIx64, t);
        return -ENOMEM;
    }
    uint64_t zero[512] = {0};
    for (unsigned k = 0; k < 6; k++)
        sim_mem_write_buf(&m->mem, t + k * 4096ull, zero, sizeof(zero));
    sim_mem_write(&m->mem, t, 8, (t + 0x1000) | PTE_P | PTE_RW);               /* PML4[0] */
    for (uint64_t g = 0; g < 4; g++) {
        uint64_t pd = t + 0x2000 + g * 0x1000;
        sim_mem_write(&m->mem, t + 0x1000 + g * 8, 8, pd | PTE_P | PTE_RW);    /* PDPT[g] */
        for (uint64_t e = 0; e < 512; e++)
            sim_mem_write(&m->mem, pd + e * 8, 8,
                          ((g << 30) + (e << 21)) | PTE_P | PTE_RW | PTE_PS);  /* 2 MiB */
    }
    *cr3 = t;
    return 0;
}

static int bare_run(struct machine *m, char *err, size_t errlen)
{
    struct x64_bare *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    m->cpu = b;
    if (!(b->mmu = sim_engine_mmu(m, "x86_64", err, errlen)))
        return -EINVAL;
    b->cpu = x86_cpu_create(&m->mem, &m->stats, X86_FEAT_ALL, err, errlen);
    if (!b->cpu)
        return -EINVAL;
    uint64_t cr3;
    int rc = build_identity_map(m, &cr3, err, errlen);
    if (rc)
        return rc;
    x86_set_cost_model(b->cpu, &m->model);
    b->cpu->cpu_hz = m->clock.hz;
    b->cpu->mmu = b->mmu;
    b->cpu->who = MMU_WHO_GUEST;
    b->cpu->console = m->console;
    x86_cpu_reset64(b->cpu, m->image.info.entry);
    b->cpu->cr3 = cr3;
    b->cpu->gpr[X86_RSP] = m->mem.regions[0].base + m->mem.regions[0].size;

    enum x86_stop stop = X86_STOP_MAX_INSNS;
    for (uint64_t budget; (budget = sim_engine_budget(m, b->cpu->insns));) {
        stop = x86_run(b->cpu, budget);
        sim_sampler_tick(&m->sampler, &m->stats, b->cpu->cycles);
        if (stop != X86_STOP_MAX_INSNS)
            break;
    }
    if (m->console)
        fflush(m->console);
    m->insns = b->cpu->insns;
    m->clock.cycles = b->cpu->cycles;
    const struct x86_cpu *c = b->cpu;
    switch (stop) {
    case X86_STOP_HLT:
        m->outcome = SIM_OUT_POWEROFF;
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "hlt with interrupts disabled at rip 0x%" PRIx64 ", rax = 0x%" PRIx64,
                 c->rip, c->gpr[X86_RAX]);
        break;
    case X86_STOP_MAX_INSNS:
        m->outcome = SIM_OUT_MAX_INSNS;
        break;
    case X86_STOP_HLT_IF:
        m->outcome = SIM_OUT_CRASH;
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "hlt with interrupts enabled at rip 0x%" PRIx64 " (no interrupt source in bare mode)",
                 c->rip);
        break;
    case X86_STOP_UNHANDLED:
        m->outcome = SIM_OUT_CRASH;
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "unhandled exception vector %u (error code 0x%" PRIx32 ", cr2 0x%" PRIx64
                 ") at rip 0x%" PRIx64 " (IDTR.limit is 0)", c->exc.vector, c->exc.error,
                 c->cr2, c->exc.rip);
        break;
    default:
        m->outcome = SIM_OUT_CRASH;
        snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                 "triple fault (last exception vector %u at rip 0x%" PRIx64 ")", c->exc.vector,
                 c->exc.rip);
        break;
    }
    return 0;
}

static int bare_dump(struct machine *m, FILE *f)
{
    struct x64_bare *b = m->cpu;
    return b && b->cpu ? x86_dump_state_json(b->cpu, f) : -ENOSYS;
}

static void bare_destroy(struct machine *m)
{
    struct x64_bare *b = m->cpu;
    if (!b)
        return;
    if (b->cpu)
        x86_cpu_destroy(b->cpu);
    if (b->mmu)
        mmu_destroy(b->mmu);
    free(b);
    m->cpu = NULL;
}

const struct sim_engine sim_engine_x64_bare = {
    .arch = SIM_ARCH_X64,
    .bare = true,
    .name = "x86_64-bare",
    .run = bare_run,
    .dump_state = bare_dump,
    .destroy = bare_destroy,
};
