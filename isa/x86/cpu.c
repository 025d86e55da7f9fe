/* isa/x86/cpu.c - x86-64 CPU core: creation and reset, the decoded-instruction cache keyed by
 * physical address, the single translation point for fetches, loads and stores, exception
 * delivery through the 64-bit IDT (Intel SDM vol. 3A §6.14) and IRET, the run loop and the
 * JSON state dump. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "isa/x86/x86_internal.h"
#include "mmu/cpu_model.h"
#include "mmu/mmu.h"
#include "sim/stats.h"

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)

/* ---- decoded-instruction cache: X86_DC_SLOTS direct-mapped physical pages, each with
 * one decoded entry per byte offset, valid while its generation equals the page's. An
 * instruction that crosses a page boundary is decoded afresh every time (never cached). */
#define X86_DC_SLOTS 64u
struct x86_dent {
    struct x86_insn insn;
    uint32_t gen;
};
struct x86_dpage {
    uint64_t tag;              /* physical page number, UINT64_MAX = empty */
    uint32_t gen;
    struct x86_dent *ent;      /* SIM_PAGE_SIZE entries, allocated on first use */
};
struct x86_dcache {
    struct x86_dpage page[X86_DC_SLOTS];
};

static void dc_invalidate(struct x86_cpu *c, uint64_t pa)
{
    uint64_t pg = pa >> SIM_PAGE_SHIFT;
    struct x86_dpage *p = &c->dc->page[pg % X86_DC_SLOTS];
    if (p->tag == pg) {
        p->tag = UINT64_MAX;
        p->gen++;
    }
}

static void code_write_cb(void *opaque, uint64_t pa)
{
    dc_invalidate(opaque, pa);
}

void x86_flush_decoded(struct x86_cpu *c)
{
    for (unsigned k = 0; k < X86_DC_SLOTS; k++) {
        c->dc->page[k].tag = UINT64_MAX;
        c->dc->page[k].gen++;
    }
}

struct x86_cpu *x86_cpu_create(struct sim_mem *mem, struct sim_stats *stats, uint32_t features,
                               char *err, size_t errlen)
{
    if (!mem || !stats) {
        snprintf(err, errlen, "x86_64 cpu needs guest memory and a stats registry");
        return NULL;
    }
    struct x86_cpu *c = calloc(1, sizeof(*c));
    if (!c)
        goto oom;
    c->mem = mem;
    c->dc = calloc(1, sizeof(*c->dc));
    if (!c->dc)
        goto oom;
    for (unsigned k = 0; k < X86_DC_SLOTS; k++)
        c->dc->page[k].tag = UINT64_MAX;
    c->st_insns = sim_stats_add(stats, "guest.insns", "count", "guest instructions executed");
    c->st_undef = sim_stats_add(stats, "guest.undef", "count",
                                "undefined opcodes executed (#UD raised)");
    c->st_exc = sim_stats_add(stats, "guest.exceptions", "count",
                              "exceptions and software interrupts delivered");
    if (!c->st_insns || !c->st_undef || !c->st_exc)
        goto oom;
    c->features = features & X86_FEAT_ALL;
    c->maxphyaddr = 46;
    c->cpu_hz = 1000000000ull;
    x86_set_cost_model(c, NULL);
    if (!mem->on_code_write) {
        mem->on_code_write = code_write_cb;
        mem->code_opaque = c;
    }
    x86_cpu_reset64(c, 0);
    return c;
oom:
    snprintf(err, errlen, "out of memory creating the x86_64 cpu");
    x86_cpu_destroy(c);
    return NULL;
}

void x86_cpu_destroy(struct x86_cpu *c)
{
    if (!c)
        return;
    if (c->mem && c->mem->code_opaque == c) {
        c->mem->on_code_write = NULL;
        c->mem->code_opaque = NULL;
    }
    if (c->dc)
        for (unsigned k = 0; k < X86_DC_SLOTS; k++)
            free(c->dc->page[k].ent);
    free(c->dc);
    free(c);
}

void x86_cpu_reset64(struct x86_cpu *c, uint64_t rip)
{
    memset(c->gpr, 0, sizeof(c->gpr));
    memset(c->xmm, 0, sizeof(c->xmm));
    c->rip = rip;
    c->rflags = 2; /* bit 1 is reserved, always 1 (SDM vol. 1 §3.4.3) */
    c->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    c->cr2 = 0;
    c->cr4 = MMU_X86_CR4_PAE;
    c->cr8 = 0;
    c->efer = MMU_X86_EFER_LME | MMU_X86_EFER_LMA | MMU_X86_EFER_NXE;
    c->fs_base = c->gs_base = 0;
    c->cs = 0x08;
    c->ss = 0x10;
    c->gdtr.base = c->idtr.base = 0;
    c->gdtr.limit = c->idtr.limit = 0;
    c->tr_base = 0;
    c->cpl = 0;
    c->code_bits = 64;
    c->mxcsr = 0x1f80; /* power-up value (SDM vol. 1 §10.2.3.1) */
    c->stop = X86_STOP_NONE;
    c->fault = false;
    c->delivering = 0;
    memset(&c->exc, 0, sizeof(c->exc));
}

static uint16_t cost16(uint32_t v)
{
    return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

void x86_set_cost_model(struct x86_cpu *c, const struct mmu_cpu_model *m)
{
    c->cost_alu = c->cost_mul = c->cost_div = c->cost_branch_taken = 1;
    c->cost_load = c->cost_store = 0;
    c->cost_exc_entry = c->cost_exc_return = 0;
    if (m) {
        c->cost_alu = cost16(m->cost_alu);
        c->cost_mul = cost16(m->cost_mul);
        c->cost_div = cost16(m->cost_div);
        c->cost_branch_taken = cost16(m->cost_branch_taken);
        c->cost_load = cost16(m->cost_load);
        c->cost_store = cost16(m->cost_store);
        c->cost_exc_entry = cost16(m->cost_exc_entry);
        c->cost_exc_return = cost16(m->cost_exc_return);
        c->cpu_hz = (uint64_t)m->freq_mhz * 1000000ull;
    }
}

/* ---- exceptions ---- */
void x86_raise(struct x86_cpu *c, unsigned vec, bool has_err, uint32_t err)
{
    if (c->fault)
        return; /* the first one wins (the instruction has already stopped) */
    c->fault = true;
    c->exc.vector = vec;
    c->exc.has_error = has_err;
    c->exc.error = err;
    c->exc.rip = c->rip;
}

void x86_undefined(struct x86_cpu *c, const uint8_t *bytes, unsigned n)
{
    (*c->st_undef)++;
    if (c->undef_reports < 4) {
        c->undef_reports++;
        char hex[3 * 15 + 1] = "";
        for (unsigned k = 0; k < n && k < 15; k++)
            snprintf(hex + 3 * k, 4, "%s%02x", k ? " " : "", bytes[k]);
        fprintf(stderr, "hvsim: x86_64: undefined instruction %s at rip 0x%" PRIx64 "\n", hex,
                c->rip);
    }
    x86_raise(c, X86_EXC_UD, false, 0);
}

static bool canonical(uint64_t la)
{
    /* 48-bit linear addresses (SDM vol. 3A §3.3.7.1; 4-level paging). */
    return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

/* The one translation point: linear -> physical for a fetch, load or store. */
static int xlate(struct x86_cpu *c, uint64_t la, unsigned acc, uint64_t *pa)
{
    if (c->code_bits == 64 && !canonical(la)) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return -1;
    }
    if (!c->mmu) {
        *pa = la;
        return 0;
    }
    struct mmu_x86_regs r = {
        .cr0 = c->cr0, .cr3 = c->cr3, .cr4 = c->cr4, .efer = c->efer, .cpl = c->cpl,
        .rflags_ac = (c->rflags & X86_AC) != 0, .maxphyaddr = c->maxphyaddr,
    };
    struct mmu_walk_result res;
    int rc = mmu_x86_xlate(c->mmu, (enum mmu_who)c->who, &r, NULL, 0, la, acc, &res, &c->cycles);
    if (rc == 0) {
        *pa = res.oa;
        return 0;
    }
    if (rc == -EFAULT && res.fault.kind == MMU_X86_FAULT_NONCANONICAL) {
        x86_raise(c, X86_EXC_GP, true, 0);
    } else if (rc == -EFAULT && res.fault.kind != MMU_FAULT_EXTERNAL) {
        /* #PF: CR2 = the linear address, error code from the walker (SDM vol. 3A §4.7). */
        x86_raise(c, X86_EXC_PF, true, res.fault.arch);
        if (c->exc.vector == X86_EXC_PF && c->exc.rip == c->rip) {
            c->cr2 = la;
            c->exc.cr2 = la;
        }
    } else {
        /* A paging-structure read found no memory: a machine check in this model. */
        x86_raise(c, X86_EXC_MC, false, 0);
    }
    return -1;
}

/* A physical access that hits no RAM or MMIO: machine check (#MC, SDM vol. 3A §15). */
static int phys_check(struct x86_cpu *c, uint64_t pa, unsigned n, uint8_t **h)
{
    *h = sim_mem_host(c->mem, pa, n);
    if (*h)
        return 0;
    const struct sim_region *r = sim_mem_find(c->mem, pa);
    if (r && r->kind == SIM_REGION_MMIO && n <= r->size - (pa - r->base))
        return 0;
    x86_raise(c, X86_EXC_MC, false, 0);
    return -1;
}

int x86_mref_get(struct x86_cpu *c, uint64_t la, unsigned size, bool write, struct x86_mref *r)
{
    unsigned acc = write ? MMU_ACC_WRITE | MMU_ACC_READ : MMU_ACC_READ;
    if (write && c->mmu)
        acc = MMU_ACC_WRITE;
    unsigned room = (unsigned)(SIM_PAGE_SIZE - (la & (SIM_PAGE_SIZE - 1)));
    r->size = size;
    r->n0 = size <= room ? size : room;
    uint8_t *h;
    if (xlate(c, la, acc, &r->pa[0]) || phys_check(c, r->pa[0], r->n0, &h))
        return -1;
    r->pa[1] = 0;
    if (r->n0 < size) {
        uint8_t *h2;
        uint64_t la2 = la + r->n0;
        if (c->code_bits != 64)
            la2 &= 0xffffffffull;
        if (xlate(c, la2, acc, &r->pa[1]) || phys_check(c, r->pa[1], size - r->n0, &h2))
            return -1;
    }
    if (c->mmu) {
        c->cycles += mmu_data_access(c->mmu, (enum mmu_who)c->who, r->pa[0], r->n0, write);
        if (r->n0 < size)
            c->cycles += mmu_data_access(c->mmu, (enum mmu_who)c->who, r->pa[1], size - r->n0,
                                         write);
    }
    c->cycles += write ? c->cost_store : c->cost_load;
    return 0;
}

static uint64_t phys_read(struct x86_cpu *c, uint64_t pa, unsigned n)
{
    uint8_t *h = sim_mem_host(c->mem, pa, n);
    uint64_t v = 0;
    if (h) {
        memcpy(&v, h, n); /* little-endian host */
        return v;
    }
    if (n == 1 || n == 2 || n == 4 || n == 8) {
        if (sim_mem_read(c->mem, pa, n, &v) == 0)
            return v;
        return x86_mask(n);
    }
    for (unsigned k = 0; k < n; k++) {
        uint64_t b = 0xff;
        sim_mem_read(c->mem, pa + k, 1, &b);
        v |= (b & 0xff) << (8 * k);
    }
    return v;
}

static void phys_write(struct x86_cpu *c, uint64_t pa, unsigned n, uint64_t v)
{
    uint8_t *h = sim_mem_host(c->mem, pa, n);
    if (h) {
        memcpy(h, &v, n);
        uint64_t pg = pa >> SIM_PAGE_SHIFT, pg2 = (pa + n - 1) >> SIM_PAGE_SHIFT;
        if (c->dc->page[pg % X86_DC_SLOTS].tag == pg)
            dc_invalidate(c, pa);
        if (pg2 != pg && c->dc->page[pg2 % X86_DC_SLOTS].tag == pg2)
            dc_invalidate(c, pa + n - 1);
        return;
    }
    if (n == 1 || n == 2 || n == 4 || n == 8) {
        sim_mem_write(c->mem, pa, n, v);
        return;
    }
    for (unsigned k = 0; k < n; k++)
        sim_mem_write(c->mem, pa + k, 1, (v >> (8 * k)) & 0xff);
}

uint64_t x86_mref_read(struct x86_cpu *c, const struct x86_mref *r)
{
    uint64_t v = phys_read(c, r->pa[0], r->n0);
    if (r->n0 < r->size)
        v |= phys_read(c, r->pa[1], r->size - r->n0) << (8 * r->n0);
    return v;
}

void x86_mref_write(struct x86_cpu *c, const struct x86_mref *r, uint64_t val)
{
    phys_write(c, r->pa[0], r->n0, val & x86_mask(r->n0));
    if (r->n0 < r->size)
        phys_write(c, r->pa[1], r->size - r->n0, val >> (8 * r->n0));
}

int x86_read(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t *val)
{
    struct x86_mref r;
    if (x86_mref_get(c, la, size, false, &r))
        return -1;
    *val = x86_mref_read(c, &r);
    return 0;
}

int x86_write(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t val)
{
    struct x86_mref r;
    if (x86_mref_get(c, la, size, true, &r))
        return -1;
    x86_mref_write(c, &r, val);
    return 0;
}

/* Effective address -> linear address (SDM vol. 1 §3.7.5; FS/GS bases in 64-bit mode,
 * §3.4.2.1: other segment bases are treated as 0). */
int x86_ea(struct x86_cpu *c, const struct x86_insn *i, uint64_t *la)
{
    uint64_t a = (uint64_t)(int64_t)i->disp;
    if (i->flags & XI_RIPREL)
        a += c->nrip;
    if (i->base != 0xff)
        a += c->gpr[i->base];
    if (i->index != 0xff)
        a += c->gpr[i->index] << i->scale;
    a &= x86_mask(i->asz);
    if (i->seg == 4)
        a += c->fs_base;
    else if (i->seg == 5)
        a += c->gs_base;
    if (c->code_bits != 64)
        a &= 0xffffffffull;
    *la = a;
    return 0;
}

int x86_push(struct x86_cpu *c, unsigned size, uint64_t val)
{
    uint64_t sp = c->gpr[X86_RSP] - size;
    if (x86_write(c, sp, size, val))
        return -1;
    c->gpr[X86_RSP] = sp;
    return 0;
}

int x86_pop(struct x86_cpu *c, unsigned size, uint64_t *val)
{
    if (x86_read(c, c->gpr[X86_RSP], size, val))
        return -1;
    c->gpr[X86_RSP] += size;
    return 0;
}

/* RFLAGS bits IRET/POPF may change at CPL 0 in 64-bit mode (SDM vol. 2 IRET, POPF):
 * CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID. */
#define RFLAGS_IRET_MASK 0x257fd5ull

/* Deliver an exception or interrupt through the 64-bit IDT (SDM vol. 3A §6.14.1/§6.14.2):
 * 16-byte gates, RSP aligned to 16 (or the IST entry of the 64-bit TSS), push SS, RSP,
 * RFLAGS, CS, RIP [, error code]; interrupt gates clear IF; TF, NT and RF are cleared.
 * A fault while delivering becomes #DF, a fault while delivering #DF a triple fault
 * (simplified: every nested fault counts as contributory, SDM vol. 3A Table 6-5). */
static void deliver(struct x86_cpu *c, unsigned vec, bool has_err, uint32_t err, uint64_t ret)
{
    (*c->st_exc)++;
    c->cycles += c->cost_exc_entry;
    c->exc.vector = vec;
    c->exc.has_error = has_err;
    c->exc.error = err;
    if (c->idtr.limit == 0) {
        c->stop = X86_STOP_UNHANDLED; /* bare mode without an IDT: report */
        return;
    }
    uint64_t old_rip = c->rip, old_rsp = c->gpr[X86_RSP];
    c->fault = false;
    c->delivering++;
    uint64_t lo = 0, hi = 0, sp = 0;
    bool ok = false;
    do {
        if ((uint32_t)vec * 16 + 15 > c->idtr.limit) {
            x86_raise(c, X86_EXC_GP, true, vec * 8 + 2);
            break;
        }
        uint64_t ga = c->idtr.base + vec * 16ull;
        if (x86_read(c, ga, 8, &lo) || x86_read(c, ga + 8, 8, &hi))
            break;
        unsigned type = (lo >> 40) & 15, ist = (lo >> 32) & 7;
        if (type != 0xe && type != 0xf) {
            x86_raise(c, X86_EXC_GP, true, vec * 8 + 2);
            break;
        }
        if (!((lo >> 47) & 1)) {
            x86_raise(c, X86_EXC_NP, true, vec * 8 + 2);
            break;
        }
        sp = c->gpr[X86_RSP];
        if (ist && c->tr_base) {
            /* 64-bit TSS: IST1 at offset 0x24 (SDM vol. 3A Figure 8-11) */
            if (x86_read(c, c->tr_base + 0x24 + 8ull * (ist - 1), 8, &sp))
                break;
        }
        sp &= ~15ull;
        c->gpr[X86_RSP] = sp;
        if (x86_push(c, 8, c->ss) || x86_push(c, 8, old_rsp) || x86_push(c, 8, c->rflags) ||
            x86_push(c, 8, c->cs) || x86_push(c, 8, ret) || (has_err && x86_push(c, 8, err)))
            break;
        c->cs = (uint16_t)(lo >> 16);
        c->rip = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (hi << 32);
        c->rflags &= ~(uint64_t)(X86_TF | X86_NT | X86_RF);
        if (type == 0xe)
            c->rflags &= ~(uint64_t)X86_IF;
        ok = true;
    } while (0);
    c->delivering--;
    if (ok)
        return;
    c->gpr[X86_RSP] = old_rsp;
    c->rip = old_rip;
    unsigned nvec = c->exc.vector;
    bool nerr = c->exc.has_error;
    uint32_t nerrc = c->exc.error;
    c->fault = false;
    if (vec == X86_EXC_DF || c->delivering >= 2) {
        c->stop = X86_STOP_TRIPLE;
        return;
    }
    (void)nvec;
    (void)nerr;
    (void)nerrc;
    c->delivering++;
    deliver(c, X86_EXC_DF, true, 0, old_rip);
    c->delivering--;
}

/* Software interrupt (INT n / INT3): a trap, the pushed RIP is the next instruction. */
void x86_h_int(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned vec = i->opc == 0xcc ? X86_EXC_BP : (unsigned)(i->imm & 0xff);
    c->exc.rip = c->rip;
    c->exc.has_error = false;
    deliver(c, vec, false, 0, c->nrip);
    if (c->stop == X86_STOP_NONE)
        c->nrip = c->rip;
}

int x86_iret(struct x86_cpu *c, unsigned osz)
{
    /* IRET in 64-bit mode pops RIP, CS, RFLAGS, RSP and SS (SDM vol. 2 IRET, IA-32e mode). */
    uint64_t sp = c->gpr[X86_RSP], v[5];
    for (unsigned k = 0; k < 5; k++)
        if (x86_read(c, sp + k * osz, osz, &v[k]))
            return -1;
    c->nrip = v[0];
    c->cs = (uint16_t)v[1];
    uint64_t mask = osz == 2 ? 0xffffull : RFLAGS_IRET_MASK;
    c->rflags = (c->rflags & ~mask) | (v[2] & mask) | 2;
    c->gpr[X86_RSP] = v[3];
    c->ss = (uint16_t)v[4];
    c->cycles += c->cost_exc_return;
    return 0;
}

/* ---- fetch and decode ---- */
static const struct x86_insn *fetch(struct x86_cpu *c, struct x86_insn *tmp)
{
    uint64_t pa;
    if (xlate(c, c->rip, MMU_ACC_EXEC, &pa))
        return NULL;
    uint64_t pg = pa >> SIM_PAGE_SHIFT;
    unsigned off = (unsigned)(pa & (SIM_PAGE_SIZE - 1));
    struct x86_dpage *p = &c->dc->page[pg % X86_DC_SLOTS];
    if (p->tag == pg && p->ent[off].gen == p->gen && p->ent[off].insn.fn)
        return &p->ent[off].insn;
    uint8_t buf[16];
    unsigned n = (unsigned)(SIM_PAGE_SIZE - off);
    if (n > 15)
        n = 15;
    uint8_t *h;
    if (phys_check(c, pa, n, &h))
        return NULL;
    for (unsigned k = 0; k < n; k++)
        buf[k] = (uint8_t)phys_read(c, pa + k, 1);
    int rc = x86_decode(buf, n, c->code_bits, c->features, tmp);
    if (rc == 0) {
        /* Crosses into the next page: fetch it too (its own translation and #PF). */
        uint64_t pa2;
        uint64_t la2 = c->rip + n;
        if (xlate(c, la2, MMU_ACC_EXEC, &pa2) || phys_check(c, pa2, 15 - n, &h))
            return NULL;
        for (unsigned k = n; k < 15; k++)
            buf[k] = (uint8_t)phys_read(c, pa2 + (k - n), 1);
        rc = x86_decode(buf, 15, c->code_bits, c->features, tmp);
        if (rc > 0)
            return tmp;
        n = 15;
    }
    if (rc == -E2BIG) {
        x86_raise(c, X86_EXC_GP, true, 0); /* longer than 15 bytes (SDM vol. 2 §2.3.11) */
        return NULL;
    }
    if (rc < 0) {
        x86_undefined(c, buf, n < 4 ? n : 4);
        return NULL;
    }
    if (p->tag != pg) {
        if (!p->ent) {
            p->ent = calloc(SIM_PAGE_SIZE, sizeof(*p->ent));
            if (!p->ent)
                return tmp;
        }
        p->tag = pg;
        p->gen++;
        sim_mem_mark_code(c->mem, pa);
    }
    p->ent[off].insn = *tmp;
    p->ent[off].gen = p->gen;
    return &p->ent[off].insn;
}

enum x86_stop x86_run(struct x86_cpu *c, uint64_t max_insns)
{
    c->stop = X86_STOP_NONE;
    uint64_t done = 0;
    while (done < max_insns) {
        struct x86_insn tmp;
        c->fault = false;
        const struct x86_insn *i = fetch(c, &tmp);
        if (i) {
            c->nrip = c->rip + i->len;
            if (c->code_bits != 64)
                c->nrip &= 0xffffffffull;
            c->cycles += c->cost_alu;
            i->fn(c, i);
        }
        if (c->fault) {
            c->fault = false;
            deliver(c, c->exc.vector, c->exc.has_error, c->exc.error, c->rip);
            if (c->stop != X86_STOP_NONE)
                return c->stop;
            continue;
        }
        c->rip = c->nrip;
        c->insns++;
        (*c->st_insns)++;
        done++;
        if (c->stop != X86_STOP_NONE)
            return c->stop;
    }
    c->stop = X86_STOP_MAX_INSNS;
    return c->stop;
}

/* ---- state dump ---- */
int x86_dump_state_json(const struct x86_cpu *c, FILE *f)
{
    static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                          "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
    static const unsigned order[16] = {0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};
    fprintf(f, "{\"arch\":\"x86_64\",\"rip\":\"0x%" PRIx64 "\",\"rflags\":\"0x%" PRIx64
            "\",\"gpr\":{", c->rip, c->rflags);
    for (unsigned k = 0; k < 16; k++)
        fprintf(f, "%s\"%s\":\"0x%" PRIx64 "\"", k ? "," : "", names[order[k]], c->gpr[order[k]]);
    fprintf(f, "},\"cr0\":\"0x%" PRIx64 "\",\"cr3\":\"0x%" PRIx64 "\",\"cr4\":\"0x%" PRIx64
            "\",\"efer\":\"0x%" PRIx64 "\",\"xmm\":[", c->cr0, c->cr3, c->cr4, c->efer);
    for (unsigned k = 0; k < 16; k++)
        fprintf(f, "%s\"0x%016" PRIx64 "%016" PRIx64 "\"", k ? "," : "", c->xmm[k][1],
                c->xmm[k][0]);
    fprintf(f, "],\"insns\":%" PRIu64 "}\n", c->insns);
    return ferror(f) ? -EIO : 0;
}
