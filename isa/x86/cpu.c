/* isa/x86/cpu.c - x86-64 CPU core: creation and reset, the decoded-instruction cache keyed by
 * physical address, the single translation point for fetches, loads and stores (segment base
 * and limit outside 64-bit mode), event delivery through the real-mode IVT, the 32-bit IDT
 * and the 64-bit IDT with privilege changes, the TSS stack switch and the IST (Intel SDM
 * vol. 3A ch. 6), IRET, interrupts from the LAPIC with the STI/MOV SS shadow and HLT wake-up,
 * the run loop and the JSON state dump. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "isa/x86/vmx.h"
#include "isa/x86/x86_internal.h"
#include "mmu/cpu_model.h"
#include "mmu/mmu.h"
#include "sim/stats.h"

#define CR0_PE (1ull << 0)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)

/* ---- decoded-instruction cache: X86_DC_SLOTS direct-mapped physical pages, each with
 * one decoded entry per byte offset, valid while its generation equals the page's. An
 * instruction that crosses a page boundary is decoded afresh every time (never cached). */
#define X86_DC_SLOTS 64u
/* Build-time default of x86_cpu.fast_mem (verification builds compare against 0). */
#ifndef X86_FAST_MEM_DEFAULT
#define X86_FAST_MEM_DEFAULT 1
#endif
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

/* ---- core micro-TLB (docs/model.md "Fast paths"): direct-mapped host-pointer entries for
 * loads, stores and fetches, keyed by linear page. An entry is made after a successful
 * full-path translation of a single-page access to RAM when the MMU issues a ticket
 * (mmu_x86_l1_ticket): the L1 TLB entry that answered is its MRU entry, matches and passes
 * the permission check, so a repeat is an L1 TLB hit on it (Intel SDM vol. 3A §4.10.2). It
 * answers while that entry's generation is unchanged and the translation state it was
 * issued under (CR0, CR3, CR4, EFER, CPL, RFLAGS.AC, VPID, EPT) is unchanged; it is emptied
 * on any change of that state, at reset and at every x86_run entry (the hypervisor model
 * runs between runs). A hit does what the L1 hit does (mmu_tlb_touch, one hit counted) and
 * charges the data-cache access as the full path does. */
#define X86_UTLB_N 16u
enum { UT_READ, UT_WRITE, UT_FETCH, UT_NKIND };
struct x86_utlb_ent {
    uint64_t vpage;            /* la >> 12, UINT64_MAX = empty */
    uint64_t pa;               /* physical address of the page */
    uint8_t *host;             /* host pointer of the page (RAM) */
    struct mmu_l1_ticket t;
};
struct x86_xkey {              /* the translation state the entries were made under */
    uint64_t cr0, cr3, cr4, efer, ac, eptp;
    const void *ept, *mmu, *vmx;
    unsigned cpl;
    int who;
    uint16_t vpid;
};
struct x86_utlb {
    struct x86_utlb_ent e[UT_NKIND][X86_UTLB_N];
    struct x86_xkey key;
    struct mmu_data_rehit rh;  /* of c->mmu and c->who, made by utlb_enter */
    bool want;                 /* fast path wanted in this run (fast_mem, an mmu) */
    bool live;                 /* entries may be made: key is the state at the last boundary */
};

static struct x86_xkey xkey_now(const struct x86_cpu *c)
{
    const struct mmu_ept_regs *ept = x86_vmx_ept(c);
    return (struct x86_xkey){
        .cr0 = c->cr0, .cr3 = c->cr3, .cr4 = c->cr4, .efer = c->efer,
        .ac = c->rflags & X86_AC, .eptp = ept ? ept->eptp : 0, .ept = ept, .mmu = c->mmu,
        .vmx = c->vmx, .cpl = c->cpl, .who = c->who, .vpid = c->vpid,
    };
}

/* Is the current state the one recorded in k? (Most likely-to-change fields first.) */
static inline bool xkey_current(const struct x86_cpu *c, const struct x86_xkey *k)
{
    if (c->cr3 != k->cr3 || c->cpl != k->cpl || ((c->rflags & X86_AC) != k->ac) ||
        c->cr0 != k->cr0 || c->cr4 != k->cr4 || c->efer != k->efer || c->vmx != k->vmx ||
        c->vpid != k->vpid || c->mmu != k->mmu || c->who != k->who)
        return false;
    if (!c->vmx)
        return true;
    const struct mmu_ept_regs *ept = x86_vmx_ept(c);
    return ept == k->ept && (ept ? ept->eptp : 0) == k->eptp;
}

static void utlb_flush(struct x86_cpu *c)
{
    for (unsigned k = 0; k < UT_NKIND; k++)
        for (unsigned n = 0; n < X86_UTLB_N; n++)
            c->utlb->e[k][n].vpage = UINT64_MAX;
}

/* The entry answering an access of `kind` to the page of la, or NULL (full path). A hit
 * counts the L1 TLB hit and touches the entry as the L1 lookup does. */
static inline struct x86_utlb_ent *utlb_find(struct x86_cpu *c, unsigned kind, uint64_t la)
{
    struct x86_utlb *u = c->utlb;
    uint64_t vp = la >> SIM_PAGE_SHIFT;
    struct x86_utlb_ent *e = &u->e[kind][vp % X86_UTLB_N];
    if (e->vpage != vp)
        return NULL;
    if (*e->t.gen != e->t.gen_val) {
        e->vpage = UINT64_MAX;
        return NULL;
    }
    mmu_tlb_touch(e->t.tlb, e->t.entry);
    (*e->t.hit_ctr)++;
    return e;
}

/* After a successful full-path translation of la for kind with regs r. */
static void utlb_fill(struct x86_cpu *c, unsigned kind, uint64_t la, unsigned acc,
                      const struct mmu_x86_regs *r, uint64_t pa)
{
    struct x86_utlb *u = c->utlb;
    struct mmu_l1_ticket t;
    if (!u->live)
        return; /* outside x86_run, or within an event delivery / far return */
    if (mmu_x86_l1_ticket(c->mmu, (enum mmu_who)c->who, r, x86_vmx_ept(c), c->vpid, la, acc, &t))
        return;
    uint64_t pg = pa & ~(uint64_t)(SIM_PAGE_SIZE - 1);
    uint8_t *h = sim_mem_host(c->mem, pg, SIM_PAGE_SIZE);
    if (!h)
        return; /* MMIO or a partial RAM page: always the full path */
    uint64_t vp = la >> SIM_PAGE_SHIFT;
    u->e[kind][vp % X86_UTLB_N] = (struct x86_utlb_ent){.vpage = vp, .pa = pg, .host = h, .t = t};
}

/* The data-cache access of a micro-TLB hit: mmu_data_access, or a repeat of the last line
 * counted inline (mmu.h mmu_data_is_rehit: an L1D hit that changes no cache state). */
static inline void fast_data_cost(struct x86_cpu *c, uint64_t pa, unsigned size, bool write)
{
    const struct mmu_data_rehit *rh = &c->utlb->rh;
    if ((pa & ((1u << MMU_CACHE_LINE_SHIFT) - 1)) + size <= (1u << MMU_CACHE_LINE_SHIFT) &&
        mmu_data_is_rehit(rh, pa)) {
        (*rh->accesses)++;
        (*rh->l1d_hit)++;
        (*rh->data_accesses)++;
        *rh->data_cycles += rh->latency;
        c->cycles += rh->latency;
    } else {
        c->cycles += mmu_data_access(c->mmu, (enum mmu_who)c->who, pa, size, write);
    }
}

/* Entering x86_run: the hypervisor model may have changed anything. */
static void utlb_enter(struct x86_cpu *c)
{
    struct x86_utlb *u = c->utlb;
    utlb_flush(c);
    u->live = false;
    u->want = c->fast_mem && c->mmu;
    if (u->want) /* (re)made every time: the mmu may be a new one at the same address */
        mmu_data_rehit_init(c->mmu, (enum mmu_who)c->who, &u->rh);
}

/* Leaving x86_run, and on entry to an event delivery or a far return (which change CPL,
 * CS and RFLAGS.AC between their own accesses): empty, and make no entries until the next
 * instruction boundary. */
static void utlb_suspend(struct x86_cpu *c)
{
    if (c->utlb->live) {
        utlb_flush(c);
        c->utlb->live = false;
    }
}

/* Every instruction boundary: the entries were made under the translation state recorded
 * at the previous boundary; instructions that change it (MOV CR, WRMSR EFER, STAC/CLAC,
 * POPF, SYSCALL/SYSRET, VM exits) make no access after the change, so this check is
 * enough between boundaries (deliveries and far returns suspend the micro-TLB). */
static inline void utlb_boundary(struct x86_cpu *c)
{
    struct x86_utlb *u = c->utlb;
    if (!u->want)
        return;
    if (u->live && xkey_current(c, &u->key))
        return;
    utlb_flush(c);
    u->key = xkey_now(c);
    u->live = true;
}

static void dc_invalidate(struct x86_cpu *c, uint64_t pa)
{
    uint64_t pg = pa >> SIM_PAGE_SHIFT;
    struct x86_dpage *p = &c->dc->page[pg % X86_DC_SLOTS];
    if (p->tag == pg) {
        p->tag = UINT64_MAX;
        p->gen++;
    }
}

/* A core store of n bytes at pa into a decoded page: only the entries that may overlap the
 * stored bytes (those starting up to 14 bytes before them) are dropped, so data next to code
 * in one page does not cost a re-decode of the whole page. Instructions that cross a page
 * are never cached, so nothing in the previous page can overlap. */
static void dc_invalidate_bytes(struct x86_cpu *c, uint64_t pa, unsigned n)
{
    uint64_t pg = pa >> SIM_PAGE_SHIFT;
    struct x86_dpage *p = &c->dc->page[pg % X86_DC_SLOTS];
    if (p->tag != pg || !p->ent)
        return;
    unsigned off = (unsigned)(pa & (SIM_PAGE_SIZE - 1));
    unsigned lo = off > 14 ? off - 14 : 0, hi = off + n;
    if (hi > SIM_PAGE_SIZE)
        hi = SIM_PAGE_SIZE;
    for (unsigned k = lo; k < hi; k++)
        p->ent[k].insn.fn = NULL;
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
    c->utlb = calloc(1, sizeof(*c->utlb));
    if (!c->dc || !c->utlb)
        goto oom;
    c->fast_mem = X86_FAST_MEM_DEFAULT;
    utlb_flush(c);
    for (unsigned k = 0; k < X86_DC_SLOTS; k++)
        c->dc->page[k].tag = UINT64_MAX;
    c->st_insns = sim_stats_add(stats, "guest.insns", "count", "guest instructions executed");
    c->st_undef = sim_stats_add(stats, "guest.undef", "count",
                                "undefined opcodes executed (#UD raised)");
    c->st_exc = sim_stats_add(stats, "guest.exceptions", "count",
                              "exceptions and software interrupts delivered");
    c->st_irq = sim_stats_add(stats, "guest.irqs", "count",
                              "external (LAPIC) interrupts delivered");
    c->st_halt_cycles = sim_stats_add(stats, "guest.halt_cycles", "cycles",
                                      "cycles spent halted (HLT) waiting for an interrupt");
    if (!c->st_insns || !c->st_undef || !c->st_exc || !c->st_irq || !c->st_halt_cycles)
        goto oom;
    /* BMI1 is not offered: its VEX-encoded instructions (ANDN, BEXTR, BLSI, BLSMSK, BLSR)
     * are not decoded, so CPUID.7.0:EBX[3] stays 0 and F3 0F BC runs as BSF, as on a CPU
     * without BMI1 (SDM vol. 2 TZCNT: "executed as BSF" when TZCNT is not supported). */
    c->features = features & X86_FEAT_ALL & ~(uint32_t)X86_FEAT_BMI1;
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
    x86_lapic_destroy(c);
    if (c->dc)
        for (unsigned k = 0; k < X86_DC_SLOTS; k++)
            free(c->dc->page[k].ent);
    free(c->dc);
    free(c->utlb);
    free(c);
}

/* State common to both resets: MSRs at their power-up values (SDM vol. 3A Table 10-1 and
 * vol. 4), debug registers, no pending events. */
static void reset_common(struct x86_cpu *c)
{
    memset(c->gpr, 0, sizeof(c->gpr));
    memset(c->xmm, 0, sizeof(c->xmm));
    c->rflags = 2; /* bit 1 is reserved, always 1 (SDM vol. 1 §3.4.3) */
    c->cr2 = 0;
    c->cr8 = 0;
    c->fs_base = c->gs_base = 0;
    memset(c->seg, 0, sizeof(c->seg));
    c->gdtr.base = c->idtr.base = 0;
    c->gdtr.limit = c->idtr.limit = 0;
    c->cpl = 0;
    c->mxcsr = 0x1f80; /* power-up value (SDM vol. 1 §10.2.3.1) */
    /* x87 control/status/tag as after FNINIT (SDM vol. 1 §8.1.5, Table 8-1: FCW 037FH, all
     * exceptions masked; TAG empty): firmware (and Xen's fpu_init, FCW_DEFAULT) runs FNINIT
     * before a guest starts, unlike the 0040H hardware power-up value. */
    c->fpu_fcw = 0x37f;
    c->fpu_fsw = 0;
    c->fpu_ftw = 0;
    memset(c->dr, 0, sizeof(c->dr));
    c->dr6 = 0xffff0ff0ull; /* SDM vol. 3B §18.2.3 */
    c->dr7 = 0x400;
    c->kernel_gs_base = c->star = c->lstar = c->cstar = c->sfmask = c->tsc_aux = 0;
    c->pat = 0x0007040600070406ull; /* SDM vol. 3A §13.12.4 power-up PAT */
    c->misc_enable = 1; /* fast strings */
    c->apic_base = 0xfee00000ull | 1u << 11 | 1u << 8; /* EN, BSP (SDM vol. 3A §11.4.4) */
    c->spec_ctrl = 0;
    c->tsc_offset = 0;
    c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
    c->int_shadow = false;
    c->halted = false;
    c->irq_pending = false;
    c->event_at = UINT64_MAX;
    c->stop = X86_STOP_NONE;
    c->fault = false;
    c->delivering = 0;
    memset(&c->exc, 0, sizeof(c->exc));
    utlb_flush(c);
    if (c->lapic)
        x86_lapic_update(c);
}

void x86_cpu_reset64(struct x86_cpu *c, uint64_t rip)
{
    reset_common(c);
    c->rip = rip;
    c->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    /* Bare mode starts where an OS would have enabled SSE: CR4.OSFXSR | OSXMMEXCPT (bits 9,
     * 10; SDM vol. 3A §13.1.3), so a bare guest may use SSE/SSE2 without a CR4 write. */
    c->cr4 = MMU_X86_CR4_PAE | 1ull << 9 | 1ull << 10;
    c->efer = MMU_X86_EFER_LME | MMU_X86_EFER_LMA | MMU_X86_EFER_NXE;
    x86_seg_flat(&c->seg[X86_SEG_CS], 0x08, true, true, 0);
    x86_seg_flat(&c->seg[X86_SEG_SS], 0x10, false, false, 0);
    for (unsigned s = X86_SEG_DS; s <= X86_SEG_GS; s++)
        x86_seg_flat(&c->seg[s], 0x10, false, false, 0);
    x86_seg_flat(&c->seg[X86_SEG_ES], 0x10, false, false, 0);
    c->seg[X86_SEG_TR].attr = X86_SA_P | 0xb; /* busy 64-bit TSS at base 0 */
    c->seg[X86_SEG_TR].limit = 0x67;
    c->code_bits = 0;
    x86_update_mode(c);
}

void x86_cpu_reset_pvh(struct x86_cpu *c, uint32_t entry, uint32_t ebx)
{
    /* docs/misc/pvh.pandoc: "the domain's start state: 32bit protected mode with paging
     * disabled ... cs: must be a 32-bit read/execute code segment with a base of '0' and
     * a limit of '0xFFFFFFFF'. The selector value is unspecified. ds, es, ss: must be a 32-bit
     * read/write data segment ... tr: must be a 32-bit TSS (active) with a base of '0' and a
     * limit of '0x67'. eflags: bit 17 (VM) and bit 9 (IF) clear; cr0: bit 0 (PE) set, bit 31
     * (PG) clear; cr4: all bits clear; ebx: physical address of the start info". Selectors as
     * Xen's hvm/domain.c (CS 0x8, data 0x10, TR 0x18). */
    reset_common(c);
    c->rip = entry;
    c->gpr[X86_RBX] = ebx;
    c->cr0 = CR0_PE | CR0_ET;
    c->cr4 = 0;
    c->efer = 0;
    x86_seg_flat(&c->seg[X86_SEG_CS], 0x08, true, false, 0);
    x86_seg_flat(&c->seg[X86_SEG_SS], 0x10, false, false, 0);
    x86_seg_flat(&c->seg[X86_SEG_DS], 0x10, false, false, 0);
    x86_seg_flat(&c->seg[X86_SEG_ES], 0x10, false, false, 0);
    c->seg[X86_SEG_TR].sel = 0x18;
    c->seg[X86_SEG_TR].attr = X86_SA_P | 0xb; /* busy 32-bit TSS */
    c->seg[X86_SEG_TR].limit = 0x67;
    c->code_bits = 0;
    x86_update_mode(c);
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

/* The one translation point: linear -> physical for a fetch, load or store. kind: the
 * micro-TLB array to fill after success (UT_*), or -1. */
static int xlate(struct x86_cpu *c, uint64_t la, unsigned acc, uint64_t *pa, int kind)
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
    int rc = mmu_x86_xlate(c->mmu, (enum mmu_who)c->who, &r, x86_vmx_ept(c), c->vpid, la, acc,
                           &res, &c->cycles);
    if (rc == 0) {
        *pa = res.oa;
        if (kind >= 0 && c->fast_mem)
            utlb_fill(c, (unsigned)kind, la, acc, &r, res.oa);
        return 0;
    }
    if (c->vmx && x86_vmx_xlate_fault(c, la, rc, &res))
        return -1; /* EPT violation/misconfiguration, or a #PF the exception bitmap takes */
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

static int mref_get(struct x86_cpu *c, uint64_t la, unsigned size, bool write, unsigned extra,
                    struct x86_mref *r)
{
    unsigned acc = write ? MMU_ACC_WRITE | MMU_ACC_READ : MMU_ACC_READ;
    if (write && c->mmu)
        acc = MMU_ACC_WRITE;
    acc |= extra;
    if (c->fault)
        return -1; /* an exception is already pending (e.g. a segment check in x86_ea) */
    unsigned room = (unsigned)(SIM_PAGE_SIZE - (la & (SIM_PAGE_SIZE - 1)));
    r->size = size;
    r->n0 = size <= room ? size : room;
    r->host = NULL;
    int kind = -1;
    if (r->n0 == size && !extra) {
        kind = write ? UT_WRITE : UT_READ;
        struct x86_utlb_ent *e = utlb_find(c, (unsigned)kind, la);
        if (e) {
            unsigned off = (unsigned)(la & (SIM_PAGE_SIZE - 1));
            r->pa[0] = e->pa + off;
            r->pa[1] = 0;
            r->host = e->host + off;
            fast_data_cost(c, r->pa[0], size, write);
            c->cycles += write ? c->cost_store : c->cost_load;
            return 0;
        }
    }
    uint8_t *h;
    if (xlate(c, la, acc, &r->pa[0], kind) || phys_check(c, r->pa[0], r->n0, &h))
        return -1;
    r->pa[1] = 0;
    if (r->n0 < size) {
        uint8_t *h2;
        uint64_t la2 = la + r->n0;
        if (c->code_bits != 64)
            la2 &= 0xffffffffull;
        if (xlate(c, la2, acc, &r->pa[1], -1) || phys_check(c, r->pa[1], size - r->n0, &h2))
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

int x86_mref_get(struct x86_cpu *c, uint64_t la, unsigned size, bool write, struct x86_mref *r)
{
    return mref_get(c, la, size, write, 0, r);
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
        if (pg2 == pg) {
            dc_invalidate_bytes(c, pa, n);
        } else {
            unsigned n0 = (unsigned)(SIM_PAGE_SIZE - (pa & (SIM_PAGE_SIZE - 1)));
            dc_invalidate_bytes(c, pa, n0);
            dc_invalidate_bytes(c, pa + n0, n - n0);
        }
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
    if (r->host) {
        uint64_t v = 0;
        memcpy(&v, r->host, r->size); /* little-endian host */
        return v;
    }
    uint64_t v = phys_read(c, r->pa[0], r->n0);
    if (r->n0 < r->size)
        v |= phys_read(c, r->pa[1], r->size - r->n0) << (8 * r->n0);
    return v;
}

void x86_mref_write(struct x86_cpu *c, const struct x86_mref *r, uint64_t val)
{
    if (r->host) {
        /* as phys_write: the store lies in one page */
        memcpy(r->host, &val, r->size);
        dc_invalidate_bytes(c, r->pa[0], r->size);
        return;
    }
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

int x86_read_sys(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t *val)
{
    struct x86_mref r;
    if (mref_get(c, la, size, false, MMU_ACC_IMPLICIT, &r))
        return -1;
    *val = x86_mref_read(c, &r);
    return 0;
}

int x86_write_sys(struct x86_cpu *c, uint64_t la, unsigned size, uint64_t val)
{
    struct x86_mref r;
    if (mref_get(c, la, size, true, MMU_ACC_IMPLICIT, &r))
        return -1;
    x86_mref_write(c, &r, val);
    return 0;
}

/* Outside 64-bit mode: segment base and limit (SDM vol. 3A §3.4.3, §5.3). The default
 * segment is SS for rSP/rBP-based addresses, else DS (SDM vol. 1 §3.7.4). An unusable
 * (null) segment or an offset beyond an expand-up limit raises #GP(0), or #SS(0) for SS. The
 * limit is checked for the first byte only; expand-down segments are not checked. */
static int seg_ea(struct x86_cpu *c, const struct x86_insn *i, uint64_t *la)
{
    unsigned s = i->seg != 7 ? i->seg : (i->base == X86_RSP || i->base == X86_RBP)
                                            ? X86_SEG_SS : X86_SEG_DS;
    const struct x86_seg *sg = &c->seg[s];
    if (c->cr0 & 1) {
        if (!(sg->attr & X86_SA_P) || (!(sg->attr & 4) && *la > sg->limit) ||
            ((sg->attr & 8) && !(sg->attr & 2))) {
            x86_raise(c, s == X86_SEG_SS ? X86_EXC_SS : X86_EXC_GP, true, 0);
            return -1;
        }
    }
    *la = (*la + x86_seg_base(c, s)) & 0xffffffffull;
    return 0;
}

/* Effective address -> linear address (SDM vol. 1 §3.7.5; 64-bit mode: FS/GS bases only,
 * SDM vol. 3A §3.4.2.1). */
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
    if (c->code_bits != 64) {
        *la = a;
        return seg_ea(c, i, la);
    }
    if (i->seg == 4)
        a += c->fs_base;
    else if (i->seg == 5)
        a += c->gs_base;
    *la = a;
    return 0;
}

/* Stack accesses: 64-bit mode RSP flat; otherwise SS.base + (E)SP with SS.B choosing ESP or
 * SP (SDM vol. 1 §6.2.3), only that part of RSP updated. */
static uint64_t sp_mask(const struct x86_cpu *c)
{
    if (c->code_bits == 64)
        return UINT64_MAX;
    return (c->seg[X86_SEG_SS].attr & X86_SA_DB) ? 0xffffffffull : 0xffffull;
}

uint64_t x86_stack_la(const struct x86_cpu *c, uint64_t sp)
{
    if (c->code_bits == 64)
        return sp;
    return (c->seg[X86_SEG_SS].base + (sp & sp_mask(c))) & 0xffffffffull;
}

void x86_set_sp(struct x86_cpu *c, uint64_t sp)
{
    uint64_t m = sp_mask(c);
    c->gpr[X86_RSP] = m == 0xffffull ? (c->gpr[X86_RSP] & ~m) | (sp & m) : sp & m;
}

int x86_push(struct x86_cpu *c, unsigned size, uint64_t val)
{
    uint64_t sp = c->gpr[X86_RSP] - size;
    if (x86_write(c, x86_stack_la(c, sp), size, val))
        return -1;
    x86_set_sp(c, sp);
    return 0;
}

int x86_pop(struct x86_cpu *c, unsigned size, uint64_t *val)
{
    if (x86_read(c, x86_stack_la(c, c->gpr[X86_RSP]), size, val))
        return -1;
    x86_set_sp(c, c->gpr[X86_RSP] + size);
    return 0;
}

/* RFLAGS bits IRET may change (SDM vol. 2 IRET): CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID;
 * IOPL only at CPL 0, IF only at CPL <= IOPL. */
#define RFLAGS_IRET_MASK 0x257fd5ull
#define RFLAGS_IOPL (3ull << 12)
#define RFLAGS_VM (1ull << 17)
#define EFER_LMA (1ull << 10)

static bool exc_contributory(unsigned v)
{
    /* SDM vol. 3A Table 6-4: #DE, #TS, #NP, #SS, #GP */
    return v == X86_EXC_DE || (v >= X86_EXC_TS && v <= X86_EXC_GP);
}

struct cpu_save {
    uint64_t rip, rsp, rflags;
    struct x86_seg cs, ss;
    unsigned cpl;
};

static void save_state(const struct x86_cpu *c, struct cpu_save *s)
{
    s->rip = c->rip;
    s->rsp = c->gpr[X86_RSP];
    s->rflags = c->rflags;
    s->cs = c->seg[X86_SEG_CS];
    s->ss = c->seg[X86_SEG_SS];
    s->cpl = c->cpl;
}

static void restore_state(struct x86_cpu *c, const struct cpu_save *s)
{
    c->rip = s->rip;
    c->gpr[X86_RSP] = s->rsp;
    c->rflags = s->rflags;
    c->seg[X86_SEG_CS] = s->cs;
    c->seg[X86_SEG_SS] = s->ss;
    c->cpl = s->cpl;
    x86_update_mode(c);
}

/* Real-address mode: the IVT at IDTR.base, 4-byte entries; push FLAGS, CS, IP; clear IF, TF,
 * AC (SDM vol. 3A §20.1.4). */
static bool deliver_real(struct x86_cpu *c, unsigned vec, uint64_t ret)
{
    uint64_t ent;
    if (vec * 4u + 3 > c->idtr.limit) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return false;
    }
    if (x86_read(c, c->idtr.base + vec * 4ull, 4, &ent))
        return false;
    if (x86_push(c, 2, c->rflags & 0xffff) || x86_push(c, 2, c->seg[X86_SEG_CS].sel) ||
        x86_push(c, 2, ret & 0xffff))
        return false;
    uint16_t sel = (uint16_t)(ent >> 16);
    c->seg[X86_SEG_CS].sel = sel;
    c->seg[X86_SEG_CS].base = (uint64_t)sel << 4;
    c->rip = ent & 0xffff;
    c->rflags &= ~(uint64_t)(X86_IF | X86_TF | X86_AC);
    return true;
}

/* One delivery attempt through the IDT (SDM vol. 3A §6.12.1 for 8-byte gates in protected
 * mode, §6.14 for 16-byte gates in IA-32e mode). Returns true, or false with a new fault in
 * c->exc and the state as it was. Task gates and 16-bit gates are not modelled (#GP). */
static bool deliver_once(struct x86_cpu *c, unsigned vec, enum x86_event_kind kind, bool has_err,
                         uint32_t err, uint64_t ret)
{
    utlb_suspend(c);
    bool ext = kind != X86_EV_SOFTINT;
    uint32_t idt_ec = vec * 8u + 2 + (ext ? 1 : 0);
    c->fault = false;
    if (!(c->cr0 & CR0_PE))
        return deliver_real(c, vec, ret);
    bool lm = c->efer & EFER_LMA;
    unsigned gsz = lm ? 16 : 8;
    if (vec * gsz + gsz - 1 > c->idtr.limit) {
        x86_raise(c, X86_EXC_GP, true, idt_ec);
        return false;
    }
    uint64_t lo, hi = 0;
    if (x86_read_sys(c, c->idtr.base + vec * gsz, 8, &lo) ||
        (lm && x86_read_sys(c, c->idtr.base + vec * gsz + 8, 8, &hi)))
        return false;
    unsigned type = (lo >> 40) & 15, gdpl = (lo >> 45) & 3, ist = lm ? (lo >> 32) & 7 : 0;
    if (((lo >> 44) & 1) || (type != 0xe && type != 0xf)) {
        x86_raise(c, X86_EXC_GP, true, idt_ec);
        return false;
    }
    if (kind == X86_EV_SOFTINT && gdpl < c->cpl) {
        x86_raise(c, X86_EXC_GP, true, idt_ec); /* SDM vol. 3A §6.12.1.1 */
        return false;
    }
    if (!((lo >> 47) & 1)) {
        x86_raise(c, X86_EXC_NP, true, idt_ec);
        return false;
    }
    if (!lm && (c->rflags & RFLAGS_VM)) {
        x86_raise(c, X86_EXC_GP, true, 0); /* virtual-8086 mode is not modelled */
        return false;
    }
    uint16_t sel = (uint16_t)(lo >> 16);
    uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull) | (lm ? hi << 32 : 0);
    if ((sel & 0xfffc) == 0) {
        x86_raise(c, X86_EXC_GP, true, ext ? 1 : 0);
        return false;
    }
    uint64_t d;
    if (x86_desc_fetch(c, sel, ext, false, &d, NULL))
        return false;
    unsigned ddpl = (d >> 45) & 3;
    bool code = ((d >> 44) & 1) && ((d >> 43) & 1), conf = (d >> 42) & 1;
    if (!code || ddpl > c->cpl || (lm && !((d >> 53) & 1))) {
        x86_raise(c, X86_EXC_GP, true, (sel & 0xfffc) | (ext ? 1 : 0));
        return false;
    }
    unsigned ncpl = conf ? c->cpl : ddpl;
    if (x86_check_cs(c, sel, d, ncpl, ext))
        return false;
    struct cpu_save sv;
    save_state(c, &sv);
    bool inner = ncpl < c->cpl;
    const struct x86_seg *tr = &c->seg[X86_SEG_TR];
    uint32_t tss_ec = (tr->sel & 0xfffc) | (ext ? 1 : 0);
    if (lm) {
        /* 64-bit: RSPn or ISTn from the 64-bit TSS, aligned to 16; push SS, RSP, RFLAGS, CS,
         * RIP, error code, 8 bytes each; SS becomes null with RPL = new CPL. */
        uint64_t sp = c->gpr[X86_RSP];
        if (inner || ist) {
            unsigned o = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * ncpl;
            if (o + 7 > tr->limit || !(tr->attr & X86_SA_P)) {
                x86_raise(c, X86_EXC_TS, true, tss_ec);
                return false;
            }
            if (x86_read_sys(c, tr->base + o, 8, &sp))
                return false;
        }
        sp &= ~15ull;
        c->cpl = ncpl; /* the pushes are made at the new privilege level */
        uint64_t v[6] = {sv.ss.sel, sv.rsp, sv.rflags, sv.cs.sel, ret, err};
        for (unsigned k = 0; k < (has_err ? 6u : 5u); k++) {
            sp -= 8;
            if (x86_write(c, sp, 8, v[k])) {
                restore_state(c, &sv);
                return false;
            }
        }
        c->gpr[X86_RSP] = sp;
        if (inner) {
            c->seg[X86_SEG_SS].sel = (uint16_t)ncpl;
            c->seg[X86_SEG_SS].attr = (uint16_t)(ncpl << 5 | X86_SA_DB);
            c->seg[X86_SEG_SS].base = 0;
            c->seg[X86_SEG_SS].limit = 0;
        }
    } else {
        /* 32-bit gate: an inner level takes SS:ESP from the 32-bit TSS (ESPn at 4 + 8n, SSn
         * at 8 + 8n) and pushes the old SS:ESP; then EFLAGS, CS, EIP, error code (4 bytes). */
        uint64_t sp = c->gpr[X86_RSP];
        if (inner) {
            unsigned o = 4 + 8 * ncpl;
            uint64_t esp, ssv;
            if (o + 5 > tr->limit || !(tr->attr & X86_SA_P)) {
                x86_raise(c, X86_EXC_TS, true, tss_ec);
                return false;
            }
            if (x86_read_sys(c, tr->base + o, 4, &esp) || x86_read_sys(c, tr->base + o + 4, 2, &ssv))
                return false;
            if (x86_seg_load_cpl(c, X86_SEG_SS, (uint16_t)ssv, ncpl)) {
                if (c->exc.vector == X86_EXC_GP) /* a bad SS in the TSS: #TS (§6.12.1.1) */
                    c->exc.vector = X86_EXC_TS;
                restore_state(c, &sv);
                return false;
            }
            sp = esp;
        }
        c->cpl = ncpl;
        const struct x86_seg *ss = &c->seg[X86_SEG_SS];
        uint64_t m = (ss->attr & X86_SA_DB) ? 0xffffffffull : 0xffffull;
        uint64_t v[6];
        unsigned n = 0;
        if (inner) {
            v[n++] = sv.ss.sel;
            v[n++] = sv.rsp & 0xffffffffull;
        }
        v[n++] = sv.rflags & 0xffffffffull;
        v[n++] = sv.cs.sel;
        v[n++] = ret & 0xffffffffull;
        if (has_err)
            v[n++] = err;
        for (unsigned k = 0; k < n; k++) {
            sp -= 4;
            if (x86_write(c, (ss->base + (sp & m)) & 0xffffffffull, 4, v[k])) {
                restore_state(c, &sv);
                return false;
            }
        }
        c->gpr[X86_RSP] = m == 0xffffull ? (sv.rsp & ~m) | (sp & m) : sp & m;
        off &= 0xffffffffull;
    }
    x86_set_cs(c, sel, d, ncpl);
    c->rip = off;
    c->rflags &= ~(uint64_t)(X86_TF | X86_NT | X86_RF | RFLAGS_VM);
    if (type == 0xe)
        c->rflags &= ~(uint64_t)X86_IF; /* interrupt gate (SDM vol. 3A §6.12.1.3) */
    return true;
}

/* Deliver an event; a fault during delivery is handled as SDM vol. 3A Table 6-5 says:
 * contributory after contributory, or #PF/contributory after #PF -> #DF; otherwise the
 * second exception is delivered instead; a fault while delivering #DF is a triple fault.
 * IDTR.limit == 0 stops the run (X86_STOP_UNHANDLED) so bare mode can report it. */
static void deliver(struct x86_cpu *c, unsigned vec, enum x86_event_kind kind, bool has_err,
                    uint32_t err, uint64_t ret)
{
    utlb_suspend(c);
    if (kind == X86_EV_EXTINT)
        (*c->st_irq)++;
    else
        (*c->st_exc)++;
    c->cycles += c->cost_exc_entry;
    c->exc.vector = vec;
    c->exc.has_error = has_err;
    c->exc.error = err;
    c->halted = false;
    if (c->idtr.limit == 0 && !c->vmx) {
        c->stop = X86_STOP_UNHANDLED; /* bare mode without an IDT: report */
        return;
    }
    c->delivering++;
    for (unsigned tries = 0;; tries++) {
        if (deliver_once(c, vec, kind, has_err, err, ret))
            break;
        if (c->vmx && x86_vmx_nested_fault(c, vec, kind, has_err, err))
            break; /* VM exit during event delivery (IDT-vectoring information) */
        unsigned nv = c->exc.vector;
        bool ne = c->exc.has_error;
        uint32_t nerr = c->exc.error;
        c->fault = false;
        if (vec == X86_EXC_DF || tries >= 3) {
            c->stop = X86_STOP_TRIPLE;
            if (c->vmx)
                x86_vmx_triple_fault(c); /* VM exit 2 (SDM vol. 3C §26.2) */
            break;
        }
        if ((exc_contributory(vec) && exc_contributory(nv)) ||
            (vec == X86_EXC_PF && (nv == X86_EXC_PF || exc_contributory(nv)))) {
            vec = X86_EXC_DF;
            has_err = true;
            err = 0;
        } else {
            vec = nv;
            has_err = ne;
            err = nerr;
        }
        kind = X86_EV_EXCEPTION;
        ret = c->rip;
        c->exc.vector = vec;
        c->exc.has_error = has_err;
        c->exc.error = err;
        (*c->st_exc)++;
    }
    c->delivering--;
}

void x86_deliver_event(struct x86_cpu *c, unsigned vector, enum x86_event_kind kind,
                       bool has_err, uint32_t err, uint64_t ret)
{
    c->exc.rip = c->rip;
    deliver(c, vector & 0xff, kind, has_err, err, ret);
}

/* INT3 (CC), INT n (CD), INTO (CE, when OF = 1), INT1 (F1): traps, the pushed RIP is the
 * next instruction (SDM vol. 2 INT n/INTO/INT3/INT1). */
void x86_h_int(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned vec;
    enum x86_event_kind kind = X86_EV_SOFTINT;
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* INT3/INTO/INT1 in the exception bitmap */
    switch (i->opc) {
    case 0xcc: vec = X86_EXC_BP; break;
    case 0xce:
        if (!(c->rflags & X86_OF))
            return;
        vec = X86_EXC_OF;
        break;
    case 0xf1: vec = X86_EXC_DB; kind = X86_EV_ICEBP; break;
    default: vec = (unsigned)(i->imm & 0xff); break;
    }
    c->exc.rip = c->rip;
    c->exc.has_error = false;
    deliver(c, vec, kind, false, 0, c->nrip);
    if (c->stop == X86_STOP_NONE)
        c->nrip = c->rip;
}

static int stack_read(struct x86_cpu *c, uint64_t sp, unsigned size, uint64_t *v)
{
    return x86_read(c, x86_stack_la(c, sp), size, v);
}

/* Far return: IRET (iret = true) or RET far (SDM vol. 2 IRET and RET "Operation"):
 * protected and IA-32e mode, same or outer privilege level (SS:rSP popped), 64-bit mode
 * IRET always pops SS:RSP. Real-address mode: IP, CS (and FLAGS). Task returns (NT = 1)
 * and virtual-8086 returns are not modelled (#GP(0)). */
int x86_far_return(struct x86_cpu *c, unsigned osz, bool iret, uint16_t imm)
{
    utlb_suspend(c);
    uint64_t sp = c->gpr[X86_RSP], v[5] = {0};
    unsigned npop = iret ? 3 : 2;
    for (unsigned k = 0; k < npop; k++)
        if (stack_read(c, sp + k * osz, osz, &v[k]))
            return -1;
    sp += npop * osz;
    if (!(c->cr0 & CR0_PE)) {
        uint16_t sel = (uint16_t)v[1];
        c->seg[X86_SEG_CS].sel = sel;
        c->seg[X86_SEG_CS].base = (uint64_t)sel << 4;
        c->nrip = v[0] & x86_mask(osz);
        if (iret) {
            uint64_t mask = RFLAGS_IRET_MASK & x86_mask(osz);
            c->rflags = (c->rflags & ~mask) | (v[2] & mask) | 2;
        }
        x86_set_sp(c, sp + imm);
        c->cycles += c->cost_exc_return;
        return 0;
    }
    if (iret && (c->rflags & X86_NT)) {
        x86_raise(c, X86_EXC_GP, true, 0); /* task return: not modelled */
        return -1;
    }
    if (iret && !(c->efer & EFER_LMA) && (v[2] & RFLAGS_VM) && c->cpl == 0) {
        x86_raise(c, X86_EXC_GP, true, 0); /* return to virtual-8086 mode: not modelled */
        return -1;
    }
    uint16_t sel = (uint16_t)v[1];
    unsigned rpl = sel & 3;
    if ((sel & 0xfffc) == 0) {
        x86_raise(c, X86_EXC_GP, true, 0);
        return -1;
    }
    if (rpl < c->cpl) {
        x86_raise(c, X86_EXC_GP, true, sel & 0xfffc);
        return -1;
    }
    uint64_t d;
    if (x86_desc_fetch(c, sel, false, false, &d, NULL) || x86_check_cs(c, sel, d, rpl, false))
        return -1;
    bool to64 = (c->efer & EFER_LMA) && ((d >> 53) & 1);
    bool outer = rpl > c->cpl;
    bool pop_ss = outer || (iret && c->code_bits == 64);
    if (!iret)
        sp += imm;
    if (pop_ss) {
        if (stack_read(c, sp, osz, &v[3]) || stack_read(c, sp + osz, osz, &v[4]))
            return -1;
        struct x86_seg old_ss = c->seg[X86_SEG_SS];
        if (x86_seg_load_cpl(c, X86_SEG_SS, (uint16_t)v[4], rpl)) {
            c->seg[X86_SEG_SS] = old_ss;
            return -1;
        }
    }
    unsigned old_cpl = c->cpl;
    if (iret) {
        uint64_t mask = RFLAGS_IRET_MASK & x86_mask(osz);
        unsigned iopl = (unsigned)(c->rflags >> 12) & 3;
        if (old_cpl > 0)
            mask &= ~RFLAGS_IOPL;
        if (old_cpl > iopl)
            mask &= ~(uint64_t)X86_IF;
        c->rflags = (c->rflags & ~mask) | (v[2] & mask) | 2;
    }
    x86_set_cs(c, sel, d, rpl);
    c->nrip = to64 ? v[0] : v[0] & 0xffffffffull;
    if (pop_ss)
        c->gpr[X86_RSP] = (to64 ? v[3] : v[3] & 0xffffffffull) + (iret ? 0 : imm);
    else
        x86_set_sp(c, sp);
    if (outer)
        x86_seg_outer_fixup(c);
    c->cycles += c->cost_exc_return;
    return 0;
}

int x86_iret(struct x86_cpu *c, unsigned osz)
{
    return x86_far_return(c, osz, true, 0);
}

/* ---- fetch and decode ---- */
static const struct x86_insn *fetch(struct x86_cpu *c, struct x86_insn *tmp)
{
    uint64_t pa, la = c->rip;
    if (c->code_bits != 64) {
        /* CS.base + EIP, EIP within CS.limit (SDM vol. 3A §5.3) */
        if (la > c->seg[X86_SEG_CS].limit && (c->cr0 & CR0_PE)) {
            x86_raise(c, X86_EXC_GP, true, 0);
            return NULL;
        }
        la = (la + c->seg[X86_SEG_CS].base) & 0xffffffffull;
    }
    struct x86_utlb_ent *e = utlb_find(c, UT_FETCH, la);
    if (e)
        pa = e->pa + (la & (SIM_PAGE_SIZE - 1));
    else if (xlate(c, la, MMU_ACC_EXEC, &pa, UT_FETCH))
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
        uint64_t la2 = la + n;
        if (c->code_bits != 64)
            la2 &= 0xffffffffull;
        if (xlate(c, la2, MMU_ACC_EXEC, &pa2, -1) || phys_check(c, pa2, 15 - n, &h))
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

/* HLT with IF = 1: wait for an interrupt. Returns true when one can be taken now, after
 * skipping the simulated clock to the LAPIC timer if that is what wakes the CPU (the skipped
 * cycles count as guest.halt_cycles). */
static bool halt_wait(struct x86_cpu *c)
{
    if (!c->lapic || !(c->rflags & X86_IF))
        return false;
    x86_lapic_update(c);
    if (!c->irq_pending && c->event_at != UINT64_MAX) {
        if (c->event_at > c->cycles) {
            *c->st_halt_cycles += c->event_at - c->cycles;
            c->cycles = c->event_at;
        }
        x86_lapic_update(c);
    }
    if (!c->irq_pending)
        return false;
    c->halted = false;
    return true;
}

static enum x86_stop run_loop(struct x86_cpu *c, uint64_t max_insns)
{
    c->stop = X86_STOP_NONE;
    uint64_t done = 0;
    if (c->vmx && x86_vmx_boundary(c))
        return c->stop; /* VM exit before any instruction (may wake a halted guest) */
    if (c->halted && !halt_wait(c)) {
        c->stop = X86_STOP_HLT_IF;
        return c->stop;
    }
    while (done < max_insns) {
        /* Interrupts are recognised between instructions, not after STI or MOV/POP SS
         * (SDM vol. 3A §7.8.3 / Table 7-3 "blocking by STI / MOV SS"). */
        if (c->vmx && x86_vmx_boundary(c))
            return c->stop; /* VM exit: external interrupt, interrupt window, pending exit */
        bool shadow = c->int_shadow;
        c->int_shadow = false;
        if (c->cycles >= c->event_at || (c->irq_pending && (c->rflags & X86_IF))) {
            if (c->lapic)
                x86_lapic_update(c);
            if (c->irq_pending && (c->rflags & X86_IF) && !shadow) {
                int v = x86_lapic_ack(c);
                if (v >= 0) {
                    c->exc.rip = c->rip;
                    deliver(c, (unsigned)v, X86_EV_EXTINT, false, 0, c->rip);
                    if (c->stop != X86_STOP_NONE)
                        return c->stop;
                }
            }
        }
        struct x86_insn tmp;
        c->fault = false;
        utlb_boundary(c);
        const struct x86_insn *i = fetch(c, &tmp);
        if (i) {
            c->nrip = c->rip + i->len;
            if (c->code_bits != 64)
                c->nrip &= c->code_bits == 32 ? 0xffffffffull : 0xffffull;
            c->cycles += c->cost_alu;
            i->fn(c, i);
        }
        if (c->fault) {
            c->fault = false;
            c->int_shadow = false;
            if (c->vmx && x86_vmx_fault(c))
                return c->stop; /* VM exit instead of delivery (or taken by the insn) */
            deliver(c, c->exc.vector, X86_EV_EXCEPTION, c->exc.has_error, c->exc.error, c->rip);
            if (c->stop != X86_STOP_NONE)
                return c->stop;
            continue;
        }
        c->rip = c->nrip;
        c->insns++;
        (*c->st_insns)++;
        done++;
        if (c->stop != X86_STOP_NONE) {
            if (c->stop == X86_STOP_HLT_IF) {
                c->halted = true;
                if (halt_wait(c)) {
                    c->stop = X86_STOP_NONE;
                    continue;
                }
            }
            return c->stop;
        }
    }
    c->stop = X86_STOP_MAX_INSNS;
    return c->stop;
}

enum x86_stop x86_run(struct x86_cpu *c, uint64_t max_insns)
{
    utlb_enter(c);
    enum x86_stop st = run_loop(c, max_insns);
    utlb_suspend(c);
    return st;
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
