/* isa/arm64/cpu.c - AArch64 CPU core: creation and reset, the run loop over the decoded-
 * instruction cache, the single translation point for fetches, loads and stores,
 * exception entry and return (ARM DDI0487 D1.10, D1.11), interrupts and the generic timer
 * (ARM DDI0487 D11), and the JSON state dump. */
#include <inttypes.h>
#include <stdlib.h>

#include "isa/arm64/a64_internal.h"
#include "mmu/cpu_model.h"
#include "mmu/mmu.h"
#include "sim/stats.h"

#define SCTLR_M (1ull << 0)
#define SCTLR_A (1ull << 1)
#define SCTLR_SA (1ull << 3)
#define SCTLR_SA0 (1ull << 4)
#define SCTLR_SPAN (1ull << 23)
/* SCTLR_EL1 RES1 bits in Armv8.0 (ARM DDI0487 D17.2.118): 29, 28, 23, 22, 20, 11. */
#define SCTLR_RES1 0x30d00800ull

#define HCR_IMO (1ull << 4)
#define HCR_FMO (1ull << 3)
#define HCR_VF (1ull << 6)
#define HCR_VI (1ull << 7)
#define HCR_TGE (1ull << 27)

static void code_write_cb(void *opaque, uint64_t pa)
{
    a64_dc_invalidate(opaque, pa);
}

struct a64_cpu *a64_cpu_create(struct sim_mem *mem, struct sim_stats *stats, const char *model,
                               uint64_t seed, char *err, size_t errlen)
{
    const struct a64_model *m = a64_model_find(model);
    if (!m) {
        snprintf(err, errlen, "unknown arm64 cpu model '%s' (known: cortex-a57, max)", model);
        return NULL;
    }
    if (!mem || !stats) {
        snprintf(err, errlen, "arm64 cpu needs guest memory and a stats registry");
        return NULL;
    }
    struct a64_cpu *c = calloc(1, sizeof(*c));
    if (!c)
        goto oom;
    c->mem = mem;
    c->stats = stats;
    c->model = m;
    c->dec = a64_decoder_create(m->features);
    c->dc = calloc(1, sizeof(*c->dc));
    c->utlb = calloc(1, sizeof(*c->utlb));
    if (!c->dec || !c->dc || !c->utlb)
        goto oom;
    for (unsigned i = 0; i < A64_DC_SETS; i++)
        if (!(c->dc->page[i][0] = malloc(sizeof(struct a64_dpage))))
            goto oom;
    a64_flush_decoded(c);
    a64_fast_flush(c);
    c->fast_mem = true;
    c->st_insns = sim_stats_add(stats, "guest.insns", "count", "guest instructions executed");
    c->st_undef = sim_stats_add(stats, "guest.undef", "count",
                                "UNDEFINED encodings executed (exception EC=0 taken)");
    c->st_exc = sim_stats_add(stats, "guest.exceptions", "count",
                              "synchronous exceptions taken to EL1");
    c->st_irq = sim_stats_add(stats, "guest.irqs", "count", "IRQs and FIQs taken to EL1");
    if (!c->st_insns || !c->st_undef || !c->st_exc || !c->st_irq)
        goto oom;
    /* splitmix64 of the seed: never zero, deterministic per run (RNDR). */
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    c->rng_state = (z ^ (z >> 31)) | 1;
    c->cpu_hz = m->cpu_hz;
    c->cntfrq = m->cntfrq;
    a64_set_cost_model(c, NULL);
    if (!mem->on_code_write) {
        mem->on_code_write = code_write_cb;
        mem->code_opaque = c;
    }
    a64_cpu_reset(c, 0, 1);
    return c;
oom:
    snprintf(err, errlen, "out of memory creating the arm64 cpu");
    a64_cpu_destroy(c);
    return NULL;
}

void a64_cpu_destroy(struct a64_cpu *c)
{
    if (!c)
        return;
    if (c->mem && c->mem->code_opaque == c) {
        c->mem->on_code_write = NULL;
        c->mem->code_opaque = NULL;
    }
    a64_decoder_destroy(c->dec);
    if (c->dc)
        for (unsigned i = 0; i < A64_DC_SETS; i++)
            for (unsigned w = 0; w < A64_DC_WAYS; w++)
                free(c->dc->page[i][w]);
    free(c->dc);
    free(c->utlb);
    free(c);
}

void a64_cpu_reset(struct a64_cpu *c, uint64_t pc, unsigned el)
{
    memset(c->x, 0, sizeof(c->x));
    memset(c->v, 0, sizeof(c->v));
    c->sp_el[0] = c->sp_el[1] = 0;
    c->pc = pc;
    c->nzcv = 0;
    c->daif = A64_PSTATE_D | A64_PSTATE_A | A64_PSTATE_I | A64_PSTATE_F;
    c->el = el > 1 ? 1 : el;
    c->spsel = c->el ? 1 : 0;
    c->pan = c->uao = c->il = false;
    c->fpcr = c->fpsr = 0;
    c->sctlr_el1 = SCTLR_RES1;
    c->actlr_el1 = c->cpacr_el1 = c->tcr_el1 = c->ttbr0_el1 = c->ttbr1_el1 = 0;
    c->mair_el1 = c->amair_el1 = c->vbar_el1 = c->contextidr_el1 = 0;
    c->tpidr_el0 = c->tpidr_el1 = c->tpidrro_el0 = 0;
    c->elr_el1 = c->spsr_el1 = c->esr_el1 = c->far_el1 = c->par_el1 = 0;
    c->afsr0_el1 = c->afsr1_el1 = 0;
    c->cntkctl_el1 = c->mdscr_el1 = c->osdlr_el1 = c->csselr_el1 = c->mdccint_el1 = 0;
    c->oslsr_el1 = 0xa; /* OSLM = 0b10, OSLK = 1: the OS lock is set at cold reset */
    c->cntv_ctl = c->cntp_ctl = 0;
    c->cntv_cval = c->cntp_cval = 0;
    c->pmcr_el0 = c->model->pmcr;
    c->pmuserenr_el0 = c->pmcnten = c->pminten = c->pmovs = c->pmselr_el0 = c->pmccfiltr_el0 = 0;
    c->vtimer_irq = false;
    c->stop = A64_STOP_NONE;
    c->next_event = 0;
    c->mon_valid = false;
    memset(&c->trap, 0, sizeof(c->trap));
    memset(&c->exc, 0, sizeof(c->exc));
    c->dc->cur = NULL;
    a64_fast_flush(c);
}

/* ---- cycle model (docs/model.md "CPU cycle model") ---- */
static uint16_t cost16(uint32_t v)
{
    return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

void a64_set_cost_model(struct a64_cpu *c, const struct mmu_cpu_model *m)
{
    for (unsigned i = 0; i < sizeof(c->cost) / sizeof(c->cost[0]); i++)
        c->cost[i] = 1;
    c->cost_branch_taken = 1;
    c->cost_exc_entry = c->cost_exc_return = 0;
    if (m) {
        c->cost[A64_COST_ALU] = cost16(m->cost_alu);
        c->cost[A64_COST_MUL] = cost16(m->cost_mul);
        c->cost[A64_COST_DIV] = cost16(m->cost_div);
        c->cost[A64_COST_BRANCH] = cost16(m->cost_branch_not_taken);
        c->cost[A64_COST_LOAD] = cost16(m->cost_load);
        c->cost[A64_COST_STORE] = cost16(m->cost_store);
        c->cost[A64_COST_BARRIER] = cost16(m->cost_barrier);
        c->cost[A64_COST_SYSREG] = cost16(m->cost_sysreg);
        c->cost[A64_COST_ERET] = 0; /* ERET is all cost_exc_return */
        c->cost_branch_taken = cost16(m->cost_branch_taken);
        c->cost_exc_entry = cost16(m->cost_exc_entry);
        c->cost_exc_return = cost16(m->cost_exc_return);
    }
    if (c->dc)
        a64_flush_decoded(c); /* decoded entries cache the per-instruction cost */
}

/* ---- decoded-instruction cache (a64_internal.h struct a64_dcache) ---- */
static struct a64_dpage *dc_find(struct a64_dcache *dc, uint64_t pg)
{
    struct a64_dpage **set = dc->page[pg % A64_DC_SETS];
    for (unsigned w = 0; w < A64_DC_WAYS && set[w]; w++)
        if (set[w]->tag == pg)
            return set[w];
    return NULL;
}

static void dc_drop(struct a64_dcache *dc, struct a64_dpage *p)
{
    if (p->tag != UINT64_MAX)
        dc->filter[p->tag % A64_DC_FILTER]--;
    p->tag = UINT64_MAX;
    if (dc->cur == p)
        dc->cur = NULL;
}

/* The decoded page for physical page pg, made (empty) if not cached: an empty way, a new
 * way, or the least recently entered page of the set. */
static struct a64_dpage *dc_get(struct a64_dcache *dc, uint64_t pg, bool *fresh)
{
    struct a64_dpage *p = dc_find(dc, pg);
    *fresh = !p;
    if (!p) {
        struct a64_dpage **set = dc->page[pg % A64_DC_SETS];
        unsigned w;
        for (w = 0; w < A64_DC_WAYS && set[w]; w++) {
            if (set[w]->tag == UINT64_MAX)
                break;
            if (!p || set[w]->stamp < p->stamp)
                p = set[w];
        }
        if (w < A64_DC_WAYS && set[w])
            p = set[w];
        else if (w < A64_DC_WAYS && (set[w] = malloc(sizeof(struct a64_dpage))))
            p = set[w]; /* on allocation failure: replace the LRU way (way 0 always exists) */
        else
            dc_drop(dc, p);
        p->tag = pg;
        dc->filter[pg % A64_DC_FILTER]++;
        memset(p->e, 0, sizeof(p->e));
    }
    p->stamp = ++dc->clock;
    return p;
}

void a64_dc_invalidate(struct a64_cpu *c, uint64_t pa)
{
    struct a64_dpage *p = dc_find(c->dc, pa >> SIM_PAGE_SHIFT);
    if (p)
        dc_drop(c->dc, p);
}

void a64_flush_decoded(struct a64_cpu *c)
{
    for (unsigned i = 0; i < A64_DC_SETS; i++)
        for (unsigned w = 0; w < A64_DC_WAYS; w++)
            if (c->dc->page[i][w])
                c->dc->page[i][w]->tag = UINT64_MAX;
    memset(c->dc->filter, 0, sizeof(c->dc->filter));
    c->dc->cur = NULL;
}

void a64_clear_exclusive(struct a64_cpu *c)
{
    c->mon_valid = false;
}

/* ---- the translation point ---- */
static unsigned el_ec(const struct a64_cpu *c, unsigned ec_low)
{
    return c->el == 0 ? ec_low : ec_low + 1;
}

static void data_abort(struct a64_cpu *c, uint64_t va, uint32_t fsc, bool write)
{
    a64_exception(c, el_ec(c, A64_EC_DABT_LOW), fsc | (write ? 1u << 6 : 0), va, true, c->pc);
}

/* Cache maintenance faults report CM = 1 and WnR = 1 (ARM DDI0487 D17.2.37, ISS bit 8). */
static void data_abort_flags(struct a64_cpu *c, uint64_t va, uint32_t fsc, bool write, unsigned flags)
{
    if (flags & A64_M_CM)
        a64_exception(c, el_ec(c, A64_EC_DABT_LOW), fsc | 1u << 8 | 1u << 6, va, true, c->pc);
    else
        data_abort(c, va, fsc, write);
}

/* Fault status code of an MMU-reported fault (ARM DDI0487 D17.2.40, DFSC/IFSC). */
static uint32_t fault_fsc(const struct mmu_fault *f)
{
    unsigned lvl = f->level < 0 ? 0 : (unsigned)f->level & 3;
    switch (f->kind) {
    case MMU_FAULT_ADDRESS_SIZE: return 0x00 | lvl;
    case MMU_FAULT_TRANSLATION: return 0x04 | lvl;
    case MMU_FAULT_ACCESS_FLAG: return 0x08 | lvl;
    case MMU_FAULT_PERMISSION: return 0x0c | lvl;
    case MMU_FAULT_EXTERNAL: return 0x14 | lvl;
    default: return A64_FSC_EXTERNAL;
    }
}

static bool normal_attr(uint8_t attr)
{
    return (attr & 0xf0) != 0; /* MAIR: 0b0000dd00 is Device, anything else Normal */
}

/* acc: MMU_ACC_* bits; flags: the A64_M_* flags of a data access (0 for fetches).
 * Returns 0 or the fault (fsc in *fsc, or a stage-2 trap taken). */
static int xlate(struct a64_cpu *c, uint64_t va, unsigned acc, unsigned flags,
                 struct a64_xlate *out, uint32_t *fsc, bool *s2)
{
    *s2 = false;
    if (c->xlate) {
        struct mmu_fault f;
        memset(&f, 0, sizeof(f));
        if (c->xlate(c->hook_opaque, c, va, acc, out, &f) == 0)
            return 0;
        *fsc = fault_fsc(&f);
        if (f.stage == 2) {
            /* Stage-2 abort: to EL2 with HPFAR_EL2 = IPA[47:12] << 4 (ARM DDI0487 D17.2.55). */
            bool ifetch = acc & MMU_ACC_EXEC;
            uint32_t iss = *fsc | (f.s1ptw ? 1u << 7 : 0) | (f.write ? 1u << 6 : 0);
            if (!ifetch && (flags & A64_M_CM))
                iss |= 1u << 8 | 1u << 6; /* CM = 1 and WnR = 1 (ARM DDI0487 D17.2.40) */
            /* ISV and the instruction syndrome (ISS[24:14]) for a single general-purpose
             * register load/store without writeback; not for a fault on the stage-1
             * table walk (ARM DDI0487 D17.2.40, ESR_EL2 ISS "ISV"). */
            if (!ifetch && !f.s1ptw && !(flags & A64_M_CM))
                iss |= a64_dabt_isv(c->cur_insn);
            a64_trap_el2(c, ifetch ? A64_EC_IABT_LOW : A64_EC_DABT_LOW, iss, va,
                         (f.ipa >> 12) << 4, c->pc);
            *s2 = true;
        }
        return -1;
    }
    /* MMU off, ARM DDI0487 D8.2.x: PA = VA; an address above the implemented PA size is an
     * Address size fault at level 0. Data accesses are Device-nGnRnE, instruction fetches
     * Normal (Non-cacheable or Write-Through with SCTLR_EL1.I). */
    if (c->model->pa_bits < 64 && (va >> c->model->pa_bits)) {
        *fsc = A64_FSC_ADDR_SIZE_L0;
        return -1;
    }
    out->pa = va;
    out->attr = (acc & MMU_ACC_EXEC) ? 0x44 : 0x00;
    return 0;
}

bool a64_sp_check_slow(struct a64_cpu *c)
{
    /* ARM DDI0487 D1.8.2: SP alignment checking with SCTLR_EL1.SA (EL1) / SA0 (EL0). */
    if (!(c->sctlr_el1 & (c->el ? SCTLR_SA : SCTLR_SA0)))
        return true;
    a64_exception(c, A64_EC_SP_ALIGN, 0, 0, false, c->pc);
    return false;
}

/* ---- memory fast path (a64_internal.h struct a64_utlb; docs/model.md "Fast paths") ---- */
/* The ticket of the hook-less flat translation: nothing to count, never changes. */
static const uint64_t flat_gen = 0;

/* Remember a successful full-path translation of (va, acc) to pa, when the translation
 * side says a repeat would change nothing (xlate_ticket), and the page is RAM. */
static void utlb_fill(struct a64_cpu *c, unsigned kind, uint64_t va, unsigned acc, uint64_t pa,
                      uint8_t attr, struct a64_dpage *dp)
{
    struct mmu_l1_ticket t = {.gen = &flat_gen, .gen_val = 0, .hit_ctr = NULL, .tlb = NULL,
                              .entry = NULL};
    if (!c->fast_mem)
        return;
    if (c->xlate && (!c->xlate_ticket || c->xlate_ticket(c->hook_opaque, c, va, acc, &t)))
        return;
    uint64_t pa_page = pa & ~(uint64_t)(SIM_PAGE_SIZE - 1);
    uint8_t *h = NULL;
    if (!dp && !(h = sim_mem_host(c->mem, pa_page, SIM_PAGE_SIZE)))
        return;
    struct a64_utlb_entry *u = &c->utlb->e[kind][a64_utlb_slot(va)];
    if (u->hits && u->hit_ctr)
        *u->hit_ctr += u->hits; /* the evicted entry's pending hits */
    *u = (struct a64_utlb_entry){
        .key = a64_utlb_key(va, acc),
        .gen = t.gen,
        .gen_val = t.gen_val,
        .hit_ctr = t.hit_ctr,
        .tlb = t.tlb,
        .tlb_entry = t.entry,
        .host = h,
        .dp = dp,
        .pa_page = pa_page,
        .count_data = c->xlate && c->data_cost,
        .normal = normal_attr(attr),
    };
}

void a64_fast_sync(struct a64_cpu *c)
{
    for (unsigned k = 0; k < A64_UT_KINDS; k++) {
        for (unsigned i = 0; i < A64_UTLB_N; i++) {
            struct a64_utlb_entry *u = &c->utlb->e[k][i];
            if (u->hits && u->hit_ctr)
                *u->hit_ctr += u->hits;
            u->hits = 0;
        }
    }
    if (c->data_rehits && c->data_rehit)
        mmu_data_rehit_count(c->data_rehit, c->data_rehits);
    c->data_rehits = 0;
}

void a64_fast_flush(struct a64_cpu *c)
{
    a64_fast_sync(c);
    for (unsigned k = 0; k < A64_UT_KINDS; k++)
        for (unsigned i = 0; i < A64_UTLB_N; i++)
            c->utlb->e[k][i].key = UINT64_MAX;
}

int a64_translate(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t *pa)
{
    bool write = flags & (A64_M_WRITE | A64_M_RMW);
    bool misaligned = (va & (size - 1)) != 0;
    /* Alignment faults independent of the memory type come first (ARM DDI0487 B2.5.2):
     * exclusives, acquire/release and atomics, and SCTLR_EL1.A. */
    if (misaligned && ((flags & A64_M_ALIGN) || (c->sctlr_el1 & A64_SCTLR_A))) {
        data_abort_flags(c, va, A64_FSC_ALIGNMENT, write, flags);
        return -1;
    }
    unsigned acc = a64_data_acc(c, flags);
    struct a64_xlate x;
    uint32_t fsc;
    bool s2;
    if (xlate(c, va, acc, flags, &x, &fsc, &s2)) {
        if (!s2)
            data_abort_flags(c, va, fsc, write, flags);
        return -1;
    }
    /* Unaligned accesses to Device memory always fault (ARM DDI0487 B2.5.2). */
    if (misaligned && !normal_attr(x.attr)) {
        data_abort_flags(c, va, A64_FSC_ALIGNMENT, write, flags);
        return -1;
    }
    *pa = x.pa;
    utlb_fill(c, write ? A64_UT_WRITE : A64_UT_READ, va, acc, x.pa, x.attr, NULL);
    return 0;
}

int a64_load_slow(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t *val)
{
    uint64_t pa;
    if (a64_translate(c, va, size, flags, &pa))
        return -1;
    uint8_t *h = sim_mem_host(c->mem, pa, size);
    if (h) {
        *val = a64_ld_le(h, size);
        return 0;
    }
    if (sim_mem_read(c->mem, pa, size, val) == 0)
        return 0;
    /* Synchronous External abort, not on a translation table walk (DFSC 0b010000). */
    data_abort(c, va, A64_FSC_EXTERNAL, false);
    return -1;
}

int a64_store_slow(struct a64_cpu *c, uint64_t va, unsigned size, unsigned flags, uint64_t val)
{
    uint64_t pa;
    if (a64_translate(c, va, size, flags | A64_M_WRITE, &pa))
        return -1;
    uint8_t *h = sim_mem_host(c->mem, pa, size);
    if (h) {
        a64_st_le(h, size, val);
        a64_store_side_effects(c, pa, size);
        return 0;
    }
    if (sim_mem_write(c->mem, pa, size, val) == 0) {
        a64_store_side_effects(c, pa, size);
        return 0;
    }
    data_abort(c, va, A64_FSC_EXTERNAL, true);
    return -1;
}

int a64_load128(struct a64_cpu *c, uint64_t va, unsigned flags, uint64_t out[2])
{
    uint64_t pa;
    uint8_t *fh = a64_fast_data(c, va, 16, flags, &pa);
    if (fh) {
        memcpy(out, fh, 16);
        return 0;
    }
    if (a64_translate(c, va, 16, flags, &pa))
        return -1;
    uint8_t *h = sim_mem_host(c->mem, pa, 16);
    if (h) {
        memcpy(out, h, 16);
        return 0;
    }
    if (sim_mem_read(c->mem, pa, 8, &out[0]) == 0 && sim_mem_read(c->mem, pa + 8, 8, &out[1]) == 0)
        return 0;
    data_abort(c, va, A64_FSC_EXTERNAL, false);
    return -1;
}

int a64_store128(struct a64_cpu *c, uint64_t va, unsigned flags, const uint64_t in[2])
{
    uint64_t pa;
    uint8_t *fh = a64_fast_data(c, va, 16, flags | A64_M_WRITE, &pa);
    if (fh) {
        memcpy(fh, in, 16);
        a64_store_side_effects(c, pa, 16);
        return 0;
    }
    if (a64_translate(c, va, 16, flags | A64_M_WRITE, &pa))
        return -1;
    uint8_t *h = sim_mem_host(c->mem, pa, 16);
    if (h) {
        memcpy(h, in, 16);
        a64_store_side_effects(c, pa, 16);
        return 0;
    }
    if (sim_mem_write(c->mem, pa, 8, in[0]) == 0 && sim_mem_write(c->mem, pa + 8, 8, in[1]) == 0) {
        a64_store_side_effects(c, pa, 16);
        return 0;
    }
    data_abort(c, va, A64_FSC_EXTERNAL, true);
    return -1;
}

/* ---- exceptions ---- */
static uint32_t pstate_to_spsr(const struct a64_cpu *c)
{
    return c->nzcv | (c->uao ? A64_PSTATE_UAO : 0) | (c->pan ? A64_PSTATE_PAN : 0) |
           (c->il ? A64_PSTATE_IL : 0) | c->daif | (c->el << 2) | c->spsel;
}

/* Exception entry to EL1, ARM DDI0487 D1.10.2 "Exception entry". type: 0 synchronous,
 * 1 IRQ, 2 FIQ, 3 SError (vector offsets 0x000/0x080/0x100/0x180 within the
 * current-EL-SP0 (0x000), current-EL-SPx (0x200) or lower-EL-AArch64 (0x400) group). */
static void enter_el1(struct a64_cpu *c, unsigned type, uint32_t esr, uint64_t far, bool far_valid,
                      uint64_t ret)
{
    unsigned off = (c->el == 0 ? 0x400 : c->spsel ? 0x200 : 0x000) + type * 0x80;
    c->exc.esr = esr;
    c->exc.far = far;
    c->exc.pc = c->pc;
    c->exc.vec_off = off;
    if (c->vbar_el1 == 0) {
        /* Bare mode without a vector table: report instead of looping through address 0. */
        a64_stop_run(c, A64_STOP_UNHANDLED);
        c->npc = c->pc;
        return;
    }
    c->spsr_el1 = pstate_to_spsr(c);
    c->elr_el1 = ret;
    if (type == 0) {
        c->esr_el1 = esr;
        if (far_valid)
            c->far_el1 = far;
        (*c->st_exc)++;
    } else {
        (*c->st_irq)++;
    }
    c->el = 1;
    c->spsel = 1;
    c->daif = A64_PSTATE_D | A64_PSTATE_A | A64_PSTATE_I | A64_PSTATE_F;
    /* PSTATE.PAN is set on entry to EL1 when SCTLR_EL1.SPAN == 0 (ARM DDI0487 D5.4.2). */
    if ((c->model->features & A64_FEAT(pan)) && !(c->sctlr_el1 & SCTLR_SPAN) && !c->pan) {
        c->pan = true;
        a64_fast_flush(c); /* permission checks depend on PAN (the EL is in the access bits) */
    }
    c->uao = false;
    c->il = false;
    c->mon_valid = false;
    c->cycles += c->cost_exc_entry;
    c->npc = (c->vbar_el1 & ~0x7ffull) + off;
    c->dc->cur = NULL;
    c->next_event = 0;
}

void a64_exception(struct a64_cpu *c, uint32_t ec, uint32_t iss, uint64_t far, bool far_valid,
                   uint64_t ret)
{
    /* IL = 1: every A64 instruction is 32 bits (ARM DDI0487 D17.2.37). */
    uint32_t esr = ec << 26 | 1u << 25 | (iss & 0x1ffffff);
    if (c->have_el2 && (c->hcr_el2 & HCR_TGE)) {
        a64_trap_el2(c, ec, iss, far, 0, ret);
        return;
    }
    enter_el1(c, 0, esr, far, far_valid, ret);
}

void a64_trap_el2(struct a64_cpu *c, uint32_t ec, uint32_t iss, uint64_t far, uint64_t hpfar,
                  uint64_t ret)
{
    c->trap.esr_el2 = ec << 26 | 1u << 25 | (iss & 0x1ffffff);
    c->trap.irq = 0;
    c->trap.far = far;
    c->trap.hpfar = hpfar;
    a64_stop_run(c, A64_STOP_TRAP);
    c->npc = ret;
}

void a64_undef(struct a64_cpu *c)
{
    (*c->st_undef)++;
    if (c->undef_reports < 10) {
        c->undef_reports++;
        uint64_t w = 0;
        /* Report the word at pc (a debug read through the flat map; may fail). */
        struct a64_xlate x;
        uint32_t fsc;
        bool s2 = false;
        if (!c->xlate && xlate(c, c->pc, MMU_ACC_EXEC, 0, &x, &fsc, &s2) == 0)
            sim_mem_read(c->mem, x.pa, 4, &w);
        else if (c->dc->cur)
            w = c->dc->cur->e[(c->pc >> 2) % A64_PAGE_INSNS].insn;
        fprintf(stderr, "hvsim: arm64: undefined instruction 0x%08" PRIx32 " at pc 0x%" PRIx64 "\n",
                (uint32_t)w, c->pc);
    }
    a64_exception(c, A64_EC_UNKNOWN, 0, 0, false, c->pc);
}

void a64_h_unalloc(struct a64_cpu *c, uint32_t insn)
{
    a64_undef(c);
}

bool a64_fp_check(struct a64_cpu *c)
{
    /* CPACR_EL1.FPEN (ARM DDI0487 D17.2.30): 0b01 traps EL0 only, 0b00/0b10 both. Trapped
     * accesses from AArch64 report ISS CV=1, COND=0b1110. */
    unsigned fpen = (c->cpacr_el1 >> 20) & 3;
    if (fpen == 3 || (fpen == 1 && c->el == 1))
        return true;
    a64_exception(c, A64_EC_FP, 0x1e00000, 0, false, c->pc);
    return false;
}

void a64_exception_return(struct a64_cpu *c)
{
    /* ARM DDI0487 D1.11 and "Illegal return events from AArch64 state" (D1.11.4). */
    uint64_t spsr = c->spsr_el1;
    unsigned m = spsr & 0x1f;
    bool illegal = (m & 0x10) || (m != 0x0 && m != 0x4 && m != 0x5);
    c->nzcv = (uint32_t)spsr & 0xf0000000u;
    c->daif = (uint32_t)spsr & 0x3c0u;
    if ((c->model->features & A64_FEAT(pan)) && c->pan != ((spsr >> 22) & 1)) {
        c->pan = (spsr >> 22) & 1;
        a64_fast_flush(c); /* see enter_el1 */
    }
    if (c->model->features & A64_FEAT(uao))
        c->uao = (spsr >> 23) & 1;
    if (illegal) {
        c->il = true;
    } else {
        c->il = (spsr >> 20) & 1;
        c->el = (m >> 2) & 3;
        c->spsel = m & 1;
    }
    c->npc = c->elr_el1;
    c->cycles += c->cost_exc_return;
    c->mon_valid = false;
    c->dc->cur = NULL;
    c->next_event = 0;
}

/* ---- generic timer, ARM DDI0487 D11.2 ---- */
uint64_t a64_cntpct(const struct a64_cpu *c)
{
    uint64_t cpt = c->cpu_hz / c->cntfrq;
    return c->cycles / (cpt ? cpt : 1);
}

/* Cycle at which the counter reaches `count` (UINT64_MAX if never in 64-bit cycles). */
static uint64_t cycle_of_count(const struct a64_cpu *c, uint64_t count)
{
    uint64_t cpt = c->cpu_hz / c->cntfrq;
    if (!cpt)
        cpt = 1;
    if (count > UINT64_MAX / cpt)
        return UINT64_MAX;
    return count * cpt;
}

/* Refresh ISTATUS and the interrupt lines; set next_event to when they next change. */
void a64_timer_update(struct a64_cpu *c)
{
    uint64_t pct = a64_cntpct(c);
    uint64_t vct = pct - c->cntvoff_el2;
    uint64_t next = UINT64_MAX;
    /* Virtual timer: condition met when CNTVCT - CVAL >= 0 (unsigned compare of the
     * 64-bit values, D11.2.4). */
    bool vmet = (c->cntv_ctl & 1) && vct >= c->cntv_cval;
    c->cntv_ctl = (c->cntv_ctl & 3) | (vmet ? 4 : 0);
    c->vtimer_irq = vmet && !(c->cntv_ctl & 2);
    if ((c->cntv_ctl & 1) && !vmet) {
        uint64_t target = c->cntv_cval + c->cntvoff_el2;
        if (target >= c->cntv_cval)
            next = cycle_of_count(c, target);
    }
    bool pmet = (c->cntp_ctl & 1) && pct >= c->cntp_cval;
    c->cntp_ctl = (c->cntp_ctl & 3) | (pmet ? 4 : 0);
    if ((c->cntp_ctl & 1) && !pmet) {
        uint64_t t = cycle_of_count(c, c->cntp_cval);
        if (t < next)
            next = t;
    }
    c->next_event = next;
}

static bool irq_pending(const struct a64_cpu *c)
{
    if (c->have_el2 && (c->hcr_el2 & HCR_IMO))
        return (c->hcr_el2 & HCR_VI) != 0; /* virtual IRQ (physical ones go to EL2) */
    bool ptimer = (c->cntp_ctl & 4) && !(c->cntp_ctl & 2);
    return c->irq_line || c->vtimer_irq || ptimer;
}

static bool fiq_pending(const struct a64_cpu *c)
{
    if (c->have_el2 && (c->hcr_el2 & HCR_FMO))
        return (c->hcr_el2 & HCR_VF) != 0;
    return c->fiq_line;
}

/* WFI: true when an interrupt is (or becomes, by advancing the clock) pending, regardless
 * of PSTATE masking (ARM DDI0487 D1.16.2). */
bool a64_wfi_wakeup(struct a64_cpu *c)
{
    a64_timer_update(c);
    bool woke = irq_pending(c) || fiq_pending(c) || c->irq_line || c->fiq_line;
    if (!woke && c->next_event != UINT64_MAX && c->next_event > c->cycles) {
        c->cycles = c->next_event;
        a64_timer_update(c);
        woke = true;
    }
    if (woke)
        c->next_event = 0; /* the run loop takes the interrupt before the next insn */
    return woke;
}

static void check_events(struct a64_cpu *c)
{
    a64_timer_update(c);
    /* Physical IRQ/FIQ routed to EL2 by HCR_EL2.IMO/FMO: an asynchronous exception to EL2,
     * taken from EL0/EL1 whatever PSTATE.I/F (ARM DDI0487 D1.15.2 "Asynchronous exception
     * routing", table D1-18: masking by PSTATE only applies when taken to the current EL).
     * EL2 is the C model: leave the loop with pc = the preferred return address. The
     * generic timer outputs stay with the hypervisor model (it schedules them itself). */
    if (c->have_el2) {
        unsigned irq = (c->fiq_line && (c->hcr_el2 & HCR_FMO)) ? 2
                     : (c->irq_line && (c->hcr_el2 & HCR_IMO)) ? 1 : 0;
        if (irq) {
            memset(&c->trap, 0, sizeof(c->trap));
            c->trap.irq = irq;
            a64_stop_run(c, A64_STOP_IRQ_EL2);
            return;
        }
    }
    if (fiq_pending(c) && !(c->daif & A64_PSTATE_F)) {
        c->npc = c->pc;
        enter_el1(c, 2, 0, 0, false, c->pc);
        c->pc = c->npc;
        return;
    }
    if (irq_pending(c) && !(c->daif & A64_PSTATE_I)) {
        c->npc = c->pc;
        enter_el1(c, 1, 0, 0, false, c->pc);
        c->pc = c->npc;
        return;
    }
    /* A pending but masked interrupt is re-checked when DAIF or a line changes (those
     * writers set next_event = 0); otherwise at the next timer deadline. */
}

uint64_t a64_random64(struct a64_cpu *c)
{
    uint64_t x = c->rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* ---- the run loop ---- */
/* Find (or create) the decoded page for the instruction at c->pc. Returns false after
 * taking an instruction abort / PC alignment fault. */
static bool fetch_page(struct a64_cpu *c)
{
    uint64_t pc = c->pc;
    if (pc & 3) {
        /* PC alignment fault, ARM DDI0487 D1.8.1: EC 0x22, FAR = the PC. */
        c->npc = pc;
        a64_exception(c, A64_EC_PC_ALIGN, 0, pc, true, pc);
        c->pc = c->npc;
        return false;
    }
    struct a64_xlate x;
    uint32_t fsc = A64_FSC_EXTERNAL;
    bool s2 = false;
    unsigned acc = MMU_ACC_EXEC | MMU_ACC_READ | (c->el == 0 ? MMU_ACC_USER : 0);
    int r = xlate(c, pc, acc, 0, &x, &fsc, &s2);
    if (r == 0 && !sim_mem_host(c->mem, x.pa & ~(SIM_PAGE_SIZE - 1), SIM_PAGE_SIZE)) {
        r = -1; /* fetch from MMIO or from nothing: synchronous external abort */
        fsc = A64_FSC_EXTERNAL;
    }
    if (r) {
        c->npc = pc;
        if (!s2)
            a64_exception(c, el_ec(c, A64_EC_IABT_LOW), fsc, pc, true, pc);
        c->pc = c->npc;
        return false;
    }
    uint64_t pg = x.pa >> SIM_PAGE_SHIFT;
    bool fresh;
    struct a64_dpage *p = dc_get(c->dc, pg, &fresh);
    if (fresh)
        sim_mem_mark_code(c->mem, x.pa);
    c->dc->cur = p;
    c->dc->cur_vpage = pc >> SIM_PAGE_SHIFT;
    utlb_fill(c, A64_UT_FETCH, pc, acc, x.pa, x.attr, p);
    return true;
}

/* Fast path of fetch_page (docs/model.md "Fast paths"): the decoded page of pc from the
 * micro-TLB, counting the L1 ITLB hit the full path would count. False: use fetch_page. */
static inline bool fast_fetch(struct a64_cpu *c, uint64_t pc)
{
    if (pc & 3)
        return false;
    unsigned acc = MMU_ACC_EXEC | MMU_ACC_READ | (c->el == 0 ? MMU_ACC_USER : 0);
    struct a64_utlb_entry *u = a64_utlb_find(c, A64_UT_FETCH, pc, acc);
    if (!u || u->dp->tag != u->pa_page >> SIM_PAGE_SHIFT)
        return false;
    u->hits++;
    if (u->tlb)
        mmu_tlb_touch(u->tlb, u->tlb_entry);
    u->dp->stamp = ++c->dc->clock;
    c->dc->cur = u->dp;
    c->dc->cur_vpage = pc >> SIM_PAGE_SHIFT;
    return true;
}

enum a64_stop a64_run(struct a64_cpu *c, uint64_t max_insns)
{
    struct a64_dcache *dc = c->dc;
    uint64_t n = 0;
    c->stop = A64_STOP_NONE;
    c->next_event = 0;
    /* Between runs anyone may have changed the registers, the hooks or guest memory. */
    a64_fast_flush(c);
    while (n < max_insns) {
        /* Timers and interrupts, and stop requests (a64_stop_run sets next_event = 0). */
        if (c->cycles >= c->next_event) {
            if (c->stop)
                break;
            check_events(c);
            if (c->stop)
                break;
        }
        uint64_t pc = c->pc;
        if ((pc >> SIM_PAGE_SHIFT) != dc->cur_vpage || !dc->cur || (pc & 3)) {
            if (!fast_fetch(c, pc) && !fetch_page(c)) {
                if (c->stop)
                    break;
                continue;
            }
        }
        struct a64_dentry *e = &dc->cur->e[(pc >> 2) & (A64_PAGE_INSNS - 1)];
        if (!e->h) {
            const uint8_t *h = sim_mem_host(c->mem, (dc->cur->tag << SIM_PAGE_SHIFT) | (pc & 0xffc), 4);
            uint32_t w;
            memcpy(&w, h, 4);
            a64_decode_entry(c, w, e);
        }
        c->npc = pc + 4;
        c->cur_insn = e->insn;
        e->h(c, e->insn);
        /* In-order accounting: the class cost, taken-branch cost when control left the
         * sequential path (docs/model.md "CPU cycle model"). */
        c->cycles += c->npc == pc + 4 ? e->cost : e->cost_taken;
        c->pc = c->npc;
        n++;
    }
    c->insns += n;
    *c->st_insns += n;
    a64_fast_sync(c);
    if (c->stop)
        return c->stop;
    return A64_STOP_MAX_INSNS;
}

/* ---- state dump ---- */
int a64_dump_state_json(const struct a64_cpu *c, FILE *f)
{
    fprintf(f, "{\"arch\":\"arm64\",\"pc\":\"0x%" PRIx64 "\",\"sp_el0\":\"0x%" PRIx64
               "\",\"sp_el1\":\"0x%" PRIx64 "\",\"x\":[",
            c->pc, c->sp_el[0], c->sp_el[1]);
    for (unsigned i = 0; i < 31; i++)
        fprintf(f, "%s\"0x%" PRIx64 "\"", i ? "," : "", c->x[i]);
    fprintf(f, "],\"nzcv\":\"0x%" PRIx32 "\",\"fpcr\":\"0x%" PRIx32 "\",\"fpsr\":\"0x%" PRIx32
               "\",\"v\":[",
            c->nzcv, c->fpcr, c->fpsr);
    for (unsigned i = 0; i < 32; i++)
        fprintf(f, "%s\"0x%016" PRIx64 "%016" PRIx64 "\"", i ? "," : "", c->v[i][1], c->v[i][0]);
    fprintf(f, "],\"el\":%u,\"insns\":%" PRIu64 "}\n", c->el, c->insns);
    return ferror(f) ? -EIO : 0;
}
