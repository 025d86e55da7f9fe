/* mmu/mmu.c - translation cost model: TLB hierarchy, nested TLB, walk caches and data
 * caches in front of the functional walkers (see mmu.h and docs/model.md).
 *
 * Accounting is in-order and additive: an L1 TLB hit costs nothing beyond the access (it is
 * part of the load-to-use latency); an L1 miss costs stlb_latency (the L2 TLB lookup, hit or
 * miss); a walk then costs the sum of the cache-model latencies of its descriptor reads and
 * A/D updates, one after the other (each read depends on the previous one). */
#include "mmu/mmu_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mem.h"
#include "sim/stats.h"

static const char *const who_name[2] = {"guest", "hv"};
static const char *const lvl_name[MMU_NLVL] = {"l-1", "l0", "l1", "l2", "l3"};

/* ---------------------------------------------------------------- counters */

static uint64_t *reg(struct sim_stats *s, const char *pfx, const char *name, const char *unit,
                     const char *desc)
{
    return sim_stats_addf(s, unit, desc, "%s%s", pfx, name);
}

static int register_ctrs(struct mmu *m, struct sim_stats *s, const char *scope)
{
    for (int w = 0; w < 2; w++) {
        char pfx[80];
        snprintf(pfx, sizeof(pfx), "%s.%s%s", who_name[w], scope ? scope : "",
                 scope && *scope ? "." : "");
        struct mmu_ctrs *c = &m->c[w];
#define R(field, name, unit, desc) \
    if (!(c->field = reg(s, pfx, name, unit, desc))) return -ENOMEM
        R(itlb_hit, "itlb.l1.hit", "count", "L1 instruction TLB hits");
        R(itlb_miss, "itlb.l1.miss", "count", "L1 instruction TLB misses");
        R(dtlb_hit, "dtlb.l1.hit", "count", "L1 data TLB hits");
        R(dtlb_miss, "dtlb.l1.miss", "count", "L1 data TLB misses");
        R(l2_hit, "tlb.l2.hit", "count", "unified L2 TLB hits (after an L1 miss)");
        R(l2_miss, "tlb.l2.miss", "count", "unified L2 TLB misses (a page walk follows)");
        R(tlb_cycles, "tlb.cycles", "cycles", "cycles of L2 TLB lookups");
        R(walk_count, "walk.count", "count", "hardware page walks");
        R(walk_faults, "walk.faults", "count", "hardware page walks that faulted");
        R(walk_cycles, "walk.cycles", "cycles", "cycles of walk references (cache model)");
        R(ad_updates, "walk.ad_updates", "count", "hardware A/D (AF/dirty) descriptor updates");
        R(refs[1], "walk.refs.s1", "count", "stage-1 (guest) descriptor reads");
        R(refs[2], "walk.refs.s2", "count", "stage-2 / EPT descriptor reads");
        R(pwc_hit, "pwc.hit", "count", "walk-cache lookups that found a partial walk");
        R(pwc_miss, "pwc.miss", "count", "walk-cache lookups that found nothing");
        R(ntlb_hit, "nested_tlb.hit", "count", "stage-2 table-address translations from the nested TLB");
        R(ntlb_miss, "nested_tlb.miss", "count", "stage-2 table-address translations walked");
        R(c_access, "cache.accesses", "count", "cache-line accesses (walk refs + data)");
        R(c_hit[0], "cache.l1d.hit", "count", "L1D hits");
        R(c_miss[0], "cache.l1d.miss", "count", "L1D misses");
        R(c_hit[1], "cache.l2.hit", "count", "L2 cache hits");
        R(c_miss[1], "cache.l2.miss", "count", "L2 cache misses");
        R(c_hit[2], "cache.llc.hit", "count", "LLC hits");
        R(c_miss[2], "cache.llc.miss", "count", "LLC misses");
        R(c_dram, "cache.dram", "count", "line accesses served by DRAM");
        R(c_walk_dram, "cache.walk.dram", "count", "walk references served by DRAM");
        R(data_accesses, "data.accesses", "count", "data accesses through mmu_data_access");
        R(data_cycles, "data.cycles", "cycles", "cycles of data accesses (cache model)");
        R(sw_refs[1], "swwalk.refs.s1", "count", "software-walk stage-1 descriptor reads");
        R(sw_refs[2], "swwalk.refs.s2", "count", "software-walk stage-2 / p2m descriptor reads");
        R(sw_ad, "swwalk.ad_updates", "count", "software-walk A/D descriptor updates");
        R(sw_cycles, "swwalk.cycles", "cycles", "cycles of software-walk references");
#undef R
        for (int st = 1; st <= 2; st++) {
            for (int l = 0; l < MMU_NLVL; l++) {
                c->refs_lvl[st][l] = sim_stats_addf(s, "count", "descriptor reads at this stage and level",
                                                    "%swalk.refs.s%d.%s", pfx, st, lvl_name[l]);
                c->sw_refs_lvl[st][l] = sim_stats_addf(s, "count", "software-walk reads at this stage and level",
                                                       "%sswwalk.refs.s%d.%s", pfx, st, lvl_name[l]);
                if (!c->refs_lvl[st][l] || !c->sw_refs_lvl[st][l])
                    return -ENOMEM;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- data cache */

/* One line access by `who`; counts the cache counters, returns the latency. */
static inline __attribute__((always_inline)) unsigned
line_access(struct mmu *m, enum mmu_who who, uint64_t pa, bool walk)
{
    struct mmu_ctrs *c = &m->c[who];
    enum mmu_cache_level where;
    unsigned lat = mmu_dcache_access(&m->dc, pa, &where);
    (*c->c_access)++;
    if (where != MMU_CACHE_FLAT) {
        for (int i = 0; i < 3; i++) {
            if ((int)where == i) {
                (*c->c_hit[i])++;
                break;
            }
            (*c->c_miss[i])++;
        }
        if (where == MMU_CACHE_DRAM) {
            (*c->c_dram)++;
            if (walk)
                (*c->c_walk_dram)++;
        }
    }
    return lat;
}

unsigned mmu_data_access(struct mmu *m, enum mmu_who who, uint64_t pa, unsigned size, bool write)
{
    (void)write; /* writes cost what reads cost: see cache.h */
    uint64_t first = pa >> MMU_CACHE_LINE_SHIFT;
    uint64_t last = (pa + (size ? size - 1 : 0)) >> MMU_CACHE_LINE_SHIFT;
    unsigned cyc = line_access(m, who, pa, false);
    for (uint64_t l = first + 1; l <= last; l++)
        cyc += line_access(m, who, l << MMU_CACHE_LINE_SHIFT, false);
    (*m->c[who].data_accesses)++;
    *m->c[who].data_cycles += cyc;
    return cyc;
}

/* ---------------------------------------------------------------- walk port */

/* Level index 0..4 ("l-1".."l3") of a walker level, or -1. Arm: levels -1..3. x86 (and
 * EPT): PML5 = 5 .. PT = 1 mapped so that the last level is l3 (x86_walk.h numbering). */
static int lvl_index(const struct mmu_walk_ctx *x, int level)
{
    int i = x->x86 ? 5 - level : level + 1;
    return i >= 0 && i < MMU_NLVL ? i : -1;
}

static void count_ref(struct mmu_walk_ctx *x, uint64_t pa, int stage, int level, bool ad)
{
    struct mmu *m = x->mmu;
    struct mmu_ctrs *c = &m->c[x->who];
    int st = stage == 2 ? 2 : 1;
    unsigned lat = line_access(m, x->who, pa, true);
    x->cycles += lat;
    if (x->sw) {
        *c->sw_cycles += lat;
        if (ad) {
            (*c->sw_ad)++;
            return;
        }
        (*c->sw_refs[st])++;
        int li = lvl_index(x, level);
        if (li >= 0)
            (*c->sw_refs_lvl[st][li])++;
        return;
    }
    *c->walk_cycles += lat;
    if (ad) {
        (*c->ad_updates)++;
        return;
    }
    (*c->refs[st])++;
    int li = lvl_index(x, level);
    if (li >= 0)
        (*c->refs_lvl[st][li])++;
}

static int port_read(void *o, uint64_t pa, unsigned size, int stage, int level, uint64_t *val)
{
    struct mmu_walk_ctx *x = o;
    count_ref(x, pa, stage, level, false);
    return sim_mem_read(x->mmu->mem, pa, size, val) ? -EFAULT : 0;
}

/* Single-threaded simulator: read-compare-write is atomic. */
static int port_cas(void *o, uint64_t pa, unsigned size, int stage, int level, uint64_t expect,
                    uint64_t desired)
{
    struct mmu_walk_ctx *x = o;
    uint64_t cur;
    count_ref(x, pa, stage, level, true);
    if (sim_mem_read(x->mmu->mem, pa, size, &cur))
        return -EFAULT;
    if (cur != expect)
        return 1;
    return sim_mem_write(x->mmu->mem, pa, size, desired) ? -EFAULT : 0;
}

static bool port_pwc_lookup(void *o, int stage, uint64_t ia, struct mmu_walk_state *st)
{
    struct mmu_walk_ctx *x = o;
    struct mmu *m = x->mmu;
    struct mmu_pwc *p = &m->pwc[stage == 2 ? 1 : 0];
    if (!p->entries)
        return false;
    bool hit = mmu_pwc_lookup(p, stage == 2 ? &x->s2tag : &x->s1tag, ia, st);
    if (hit)
        (*m->c[x->who].pwc_hit)++;
    else
        (*m->c[x->who].pwc_miss)++;
    return hit;
}

static void port_pwc_fill(void *o, int stage, uint64_t ia, const struct mmu_walk_state *st)
{
    struct mmu_walk_ctx *x = o;
    struct mmu_pwc *p = &x->mmu->pwc[stage == 2 ? 1 : 0];
    mmu_pwc_fill(p, stage == 2 ? &x->s2tag : &x->s1tag, ia, st);
}

/* May a nested-TLB entry answer a stage-2 lookup for a table access (write: A/D update)? */
static bool ntlb_ok(const struct mmu_walk_ctx *x, const struct mmu_tlb_entry *e, bool write)
{
    if (x->x86) {
        if (!(e->perms & MMU_X86_P_EPT_R))
            return false;
        /* EPT A/D on: the first write must re-walk to set the EPT dirty flag (SDM vol. 3C
         * §29.3.5); a write also needs EPT write permission (§29.3.3.2). */
        if (write && (!(e->perms & MMU_X86_P_EPT_W) ||
                      ((x->ept->eptp & MMU_X86_EPTP_AD) && !e->written)))
            return false;
        return true;
    }
    if (!(e->perms & MMU_A64_P_S2R))
        return false;
    /* ARM DDI0487 D8.4: write needs S2AP[1]; with hardware DBM the first write re-walks. */
    if (write && (!(e->perms & MMU_A64_P_S2W) || (x->a64->hw_dbm && !e->written)))
        return false;
    return true;
}

static int port_s2(void *o, uint64_t ipa, int s1_level, bool write, uint64_t *pa,
                   struct mmu_fault *fault)
{
    struct mmu_walk_ctx *x = o;
    struct mmu *m = x->mmu;
    struct mmu_ctrs *c = &m->c[x->who];
    (void)s1_level;
    struct mmu_tlb_entry *e = mmu_tlb_lookup(&m->ntlb, &x->s2tag, ipa);
    if (e && ntlb_ok(x, e, write)) {
        (*c->ntlb_hit)++;
        *pa = e->oa | (ipa & ((1ull << e->page_shift) - 1));
        return 0;
    }
    (*c->ntlb_miss)++;
    struct mmu_walk_result r;
    memset(&r, 0, sizeof(r));
    unsigned acc = MMU_ACC_READ | (write ? MMU_ACC_WRITE : 0);
    int rc;
    if (x->x86)
        rc = mmu_x86_ept_walk(x->ept, ipa, acc, true, x->gla, true, &x->port, &r);
    else
        rc = mmu_a64_walk_s2(x->a64, ipa, acc, true, &x->port, &r);
    if (rc || r.fault.kind != MMU_FAULT_NONE) {
        *fault = r.fault;
        if (fault->kind == MMU_FAULT_NONE) /* -EINVAL etc.: report as a misconfiguration */
            fault->kind = MMU_FAULT_MISCONFIG;
        fault->stage = 2;
        fault->s1ptw = true;
        return -1;
    }
    struct mmu_tlb_entry n = {
        .vpn = ipa >> r.page_shift,
        .oa = r.oa & ~((1ull << r.page_shift) - 1),
        .attrs = r.attrs,
        .perms = r.perms,
        .tag = x->s2tag,
        .page_shift = (uint8_t)r.page_shift,
        .written = write,
    };
    /* A stale (e.g. read-only) entry for the same page is replaced by the fill. */
    mmu_tlb_fill(&m->ntlb, &n);
    *pa = r.oa;
    return 0;
}

static void ctx_init(struct mmu_walk_ctx *x, struct mmu *m, enum mmu_who who, bool x86, bool sw)
{
    memset(x, 0, sizeof(*x));
    x->mmu = m;
    x->who = who;
    x->x86 = x86;
    x->sw = sw;
    x->port.opaque = x;
    x->port.read = port_read;
    x->port.cas = port_cas;
    if (!sw) {
        if (m->pwc[0].entries || m->pwc[1].entries) {
            x->port.pwc_lookup = port_pwc_lookup;
            x->port.pwc_fill = port_pwc_fill;
        }
    }
}

/* ---------------------------------------------------------------- TLB levels */

static void result_from_entry(const struct mmu_tlb_entry *e, uint64_t ia, struct mmu_walk_result *res)
{
    memset(res, 0, sizeof(*res));
    res->oa = e->oa | (ia & ((1ull << e->page_shift) - 1));
    res->page_shift = e->page_shift;
    res->perms = e->perms;
    res->attrs = e->attrs;
    res->global = e->global;
    res->fault.kind = MMU_FAULT_NONE;
}

struct hit_check {
    bool x86;
    const struct mmu_a64_regs *a64;
    enum mmu_a64_regime regime;
    const struct mmu_x86_regs *x86r;
    unsigned acc;
};

/* Re-check cached permissions under the current mode (PAN/SMAP/CPL may have changed without
 * a flush). A failing entry is dropped and the access re-walks: x86 invalidates entries of a
 * faulting access (SDM vol. 3A §4.10.4.1) and re-walks to set a dirty flag (§4.8); on Arm
 * the fault is then reported from a fresh walk, which the architecture permits. */
static bool hit_ok(const struct hit_check *h, const struct mmu_tlb_entry *e)
{
    if (h->x86)
        return mmu_x86_perm_ok(e->perms, h->acc, h->x86r);
    if (!mmu_a64_perm_ok(e->perms, h->acc, h->a64, h->regime))
        return false;
    /* hardware dirty-bit management: a write through an entry filled by a read re-walks */
    if ((h->acc & MMU_ACC_WRITE) && h->a64->hw_dbm && !e->written)
        return false;
    return true;
}

static void drop_entry(struct mmu_tlb *t, struct mmu_tlb_entry *e)
{
    e->valid = false;
    e->gen = ++t->gen;
    if (t->mru == e)
        t->mru = NULL;
}

/* L1 -> L2 lookup; on a hit fills res and returns true. Adds stlb latency on an L1 miss. */
static bool tlb_lookup(struct mmu *m, enum mmu_who who, const struct mmu_tlb_tag *tag, uint64_t ia,
                       const struct hit_check *h, struct mmu_walk_result *res, uint64_t *cyc)
{
    struct mmu_ctrs *c = &m->c[who];
    bool fetch = h->acc & MMU_ACC_EXEC;
    struct mmu_tlb *l1 = fetch ? &m->itlb : &m->dtlb;
    struct mmu_tlb_entry *e = mmu_tlb_lookup(l1, tag, ia);
    if (e && !hit_ok(h, e)) {
        drop_entry(l1, e);
        e = NULL;
    }
    if (e) {
        (*(fetch ? c->itlb_hit : c->dtlb_hit))++;
        result_from_entry(e, ia, res);
        return true;
    }
    (*(fetch ? c->itlb_miss : c->dtlb_miss))++;
    *cyc += m->model.stlb_latency;
    *c->tlb_cycles += m->model.stlb_latency;
    e = mmu_tlb_lookup(&m->l2tlb, tag, ia);
    if (e && !hit_ok(h, e)) {
        drop_entry(&m->l2tlb, e);
        e = NULL;
    }
    if (!e) {
        (*c->l2_miss)++;
        return false;
    }
    (*c->l2_hit)++;
    struct mmu_tlb_entry copy = *e;
    mmu_tlb_fill(l1, &copy);
    result_from_entry(&copy, ia, res);
    return true;
}

static void tlb_fill(struct mmu *m, const struct mmu_tlb_tag *tag, uint64_t ia, unsigned acc,
                     const struct mmu_walk_result *res)
{
    struct mmu_tlb_entry n = {
        .vpn = ia >> res->page_shift,
        .oa = res->oa & ~((1ull << res->page_shift) - 1),
        .attrs = res->attrs,
        .perms = res->perms,
        .tag = *tag,
        .page_shift = (uint8_t)res->page_shift,
        .global = res->global,
        .written = (acc & MMU_ACC_WRITE) != 0,
    };
    mmu_tlb_fill(&m->l2tlb, &n);
    mmu_tlb_fill(acc & MMU_ACC_EXEC ? &m->itlb : &m->dtlb, &n);
}

/* ---------------------------------------------------------------- Arm */

struct mmu_tlb_tag mmu_a64_tag(const struct mmu_a64_regs *regs, enum mmu_a64_regime regime,
                               uint64_t va)
{
    struct mmu_tlb_tag t = {0};
    if (regime == MMU_A64_EL2) {
        /* EL2 without E2H: no ASID, no VMID (DDI0487 D8.14.1) */
        t.regime = MMU_TR_A64_EL2;
    } else {
        t.regime = MMU_TR_A64_EL10;
        t.vmid = mmu_a64_vmid(regs);
        t.asid = mmu_a64_asid(regs, va);
    }
    return t;
}

int mmu_a64_xlate(struct mmu *m, enum mmu_who who, const struct mmu_a64_regs *regs,
                  enum mmu_a64_regime regime, uint64_t va, unsigned acc,
                  struct mmu_walk_result *res, uint64_t *cycles)
{
    struct mmu_tlb_tag tag = mmu_a64_tag(regs, regime, va);
    struct hit_check h = {.x86 = false, .a64 = regs, .regime = regime, .acc = acc};
    uint64_t cyc = 0;
    if (tlb_lookup(m, who, &tag, va, &h, res, &cyc)) {
        if (cycles)
            *cycles += cyc;
        return 0;
    }
    struct mmu_ctrs *c = &m->c[who];
    (*c->walk_count)++;
    struct mmu_walk_ctx x;
    ctx_init(&x, m, who, false, false);
    x.a64 = regs;
    x.s1tag = tag;
    x.s2tag = (struct mmu_tlb_tag){.regime = MMU_TR_A64_S2, .vmid = mmu_a64_vmid(regs)};
    if (mmu_a64_s2_enabled(regs, regime))
        x.port.s2 = port_s2;
    memset(res, 0, sizeof(*res));
    /* Stage 1 with table IPAs through port_s2 (nested TLB), then stage 2 of the output
     * through the same port (stage-2 walk cache), combined by the walker. */
    int rc = mmu_a64_translate(regs, regime, va, acc, &x.port, res);
    cyc += x.cycles;
    if (cycles)
        *cycles += cyc;
    if (rc || res->fault.kind != MMU_FAULT_NONE) {
        (*c->walk_faults)++;
        return -EFAULT;
    }
    tlb_fill(m, &tag, va, acc, res);
    return 0;
}

/* ---------------------------------------------------------------- core fast path */

int mmu_a64_l1_ticket(struct mmu *m, enum mmu_who who, const struct mmu_a64_regs *regs,
                      enum mmu_a64_regime regime, uint64_t va, unsigned acc,
                      struct mmu_l1_ticket *t)
{
    bool fetch = acc & MMU_ACC_EXEC;
    struct mmu_tlb *l1 = fetch ? &m->itlb : &m->dtlb;
    /* A repeat is answered by mmu_tlb_lookup's MRU fast path without any state change
     * exactly when the MRU entry matches (tag, va) and tlb_lookup's hit_ok accepts it. */
    if (!l1->fast || !l1->mru)
        return -ENOENT;
    struct mmu_tlb_tag tag = mmu_a64_tag(regs, regime, va);
    struct hit_check h = {.x86 = false, .a64 = regs, .regime = regime, .acc = acc};
    if (!mmu_tlb_match(l1->mru, &tag, va) || !hit_ok(&h, l1->mru))
        return -ENOENT;
    t->gen = &l1->mru->gen;
    t->gen_val = l1->mru->gen;
    t->tlb = l1;
    t->entry = l1->mru;
    t->hit_ctr = fetch ? m->c[who].itlb_hit : m->c[who].dtlb_hit;
    return 0;
}

void mmu_data_rehit_init(struct mmu *m, enum mmu_who who, struct mmu_data_rehit *r)
{
    struct mmu_ctrs *c = &m->c[who];
    /* With the cache model off last_line stays 0 and no access is a rehit. */
    *r = (struct mmu_data_rehit){
        .last_line = &m->dc.last_line,
        .accesses = c->c_access,
        .l1d_hit = c->c_hit[0],
        .data_accesses = c->data_accesses,
        .data_cycles = c->data_cycles,
        .latency = m->dc.enabled ? m->dc.lvl[0].latency : 0,
    };
}

void mmu_data_rehit_count(const struct mmu_data_rehit *r, uint64_t n)
{
    *r->accesses += n;
    *r->l1d_hit += n;
    *r->data_accesses += n;
    *r->data_cycles += n * r->latency;
}

/* ---------------------------------------------------------------- x86 */

uint64_t mmu_x86_ep4ta(uint64_t eptp)
{
    return eptp & 0x000ffffffffff000ull; /* EPTP[51:12], SDM vol. 3C §28.3.1 */
}

struct mmu_tlb_tag mmu_x86_tag(const struct mmu_x86_regs *regs, const struct mmu_ept_regs *ept,
                               uint16_t vpid)
{
    struct mmu_tlb_tag t = {0};
    /* SDM vol. 3C §29.4.1: linear mappings are tagged with VPID and PCID, combined mappings
     * also with the EP4TA. VPID 0 is VMX root (and guests without VPID share its tag). */
    t.regime = vpid ? MMU_TR_X86_GUEST : MMU_TR_X86_HOST;
    t.vmid = vpid;
    t.asid = mmu_x86_pcid(regs);
    t.eptp = ept && ept->enabled ? mmu_x86_ep4ta(ept->eptp) : 0;
    return t;
}

int mmu_x86_xlate(struct mmu *m, enum mmu_who who, const struct mmu_x86_regs *regs,
                  const struct mmu_ept_regs *ept, uint16_t vpid, uint64_t la, unsigned acc,
                  struct mmu_walk_result *res, uint64_t *cycles)
{
    bool paging = (regs->cr0 & MMU_X86_CR0_PG) != 0;
    struct mmu_tlb_tag tag = mmu_x86_tag(regs, ept, vpid);
    struct hit_check h = {.x86 = true, .x86r = regs, .acc = acc};
    uint64_t cyc = 0;
    /* CR0.PG = 0: nothing is cached in the TLBs (an identity translation, plus EPT when on),
     * so that enabling paging needs no flush rule here. */
    if (paging && tlb_lookup(m, who, &tag, la, &h, res, &cyc)) {
        if (cycles)
            *cycles += cyc;
        return 0;
    }
    struct mmu_ctrs *c = &m->c[who];
    bool use_ept = ept && ept->enabled;
    if (paging || use_ept)
        (*c->walk_count)++;
    struct mmu_walk_ctx x;
    ctx_init(&x, m, who, true, false);
    x.x86r = regs;
    x.ept = ept;
    x.gla = la;
    x.s1tag = tag;
    x.s2tag = (struct mmu_tlb_tag){.regime = MMU_TR_X86_EPT,
                                   .eptp = use_ept ? mmu_x86_ep4ta(ept->eptp) : 0};
    if (use_ept)
        x.port.s2 = port_s2;
    memset(res, 0, sizeof(*res));
    int rc = mmu_x86_translate(regs, ept, la, acc, &x.port, res);
    cyc += x.cycles;
    if (cycles)
        *cycles += cyc;
    if (rc || res->fault.kind != MMU_FAULT_NONE) {
        if (paging || use_ept)
            (*c->walk_faults)++;
        return rc ? (rc < 0 ? rc : -EFAULT) : -EFAULT;
    }
    if (paging)
        tlb_fill(m, &tag, la, acc, res);
    return 0;
}

int mmu_x86_l1_ticket(struct mmu *m, enum mmu_who who, const struct mmu_x86_regs *regs,
                      const struct mmu_ept_regs *ept, uint16_t vpid, uint64_t la, unsigned acc,
                      struct mmu_l1_ticket *t)
{
    bool fetch = acc & MMU_ACC_EXEC;
    struct mmu_tlb *l1 = fetch ? &m->itlb : &m->dtlb;
    /* As mmu_a64_l1_ticket: mmu_x86_xlate answers a repeat from the L1 TLB (tlb_lookup)
     * only with CR0.PG = 1; with the fast path on, the MRU entry that matches (tag, la) and
     * passes hit_ok is found without any state change. */
    if (!(regs->cr0 & MMU_X86_CR0_PG) || !l1->fast || !l1->mru)
        return -ENOENT;
    struct mmu_tlb_tag tag = mmu_x86_tag(regs, ept, vpid);
    struct hit_check h = {.x86 = true, .x86r = regs, .acc = acc};
    if (!mmu_tlb_match(l1->mru, &tag, la) || !hit_ok(&h, l1->mru))
        return -ENOENT;
    t->gen = &l1->mru->gen;
    t->gen_val = l1->mru->gen;
    t->tlb = l1;
    t->entry = l1->mru;
    t->hit_ctr = fetch ? m->c[who].itlb_hit : m->c[who].dtlb_hit;
    return 0;
}

/* ---------------------------------------------------------------- software walks */

struct mmu_walk_port mmu_sw_walk_port(struct mmu *m, enum mmu_who who)
{
    return m->sw[who].port;
}

uint64_t mmu_sw_walk_take_cycles(struct mmu *m, enum mmu_who who)
{
    uint64_t v = m->sw[who].cycles - m->sw_cycles_taken[who];
    m->sw_cycles_taken[who] = m->sw[who].cycles;
    return v;
}

/* ---------------------------------------------------------------- life cycle */

struct mmu *mmu_create(const struct mmu_cpu_model *model, struct sim_mem *mem,
                       struct sim_stats *stats, const char *scope)
{
    if (!model || !mem || !stats || mmu_cpu_model_check(model, NULL, 0))
        return NULL;
    struct mmu *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->model = *model;
    m->mem = mem;
    const struct mmu_cpu_model *g = &m->model;
    if (mmu_tlb_init(&m->itlb, g->itlb_entries, g->itlb_ways) ||
        mmu_tlb_init(&m->dtlb, g->dtlb_entries, g->dtlb_ways) ||
        mmu_tlb_init(&m->l2tlb, g->stlb_entries, g->stlb_ways) ||
        mmu_tlb_init(&m->ntlb, g->ntlb_entries, g->ntlb_entries ? g->ntlb_entries : 1) ||
        mmu_pwc_init(&m->pwc[0], g->pwc_s1_entries) ||
        mmu_pwc_init(&m->pwc[1], g->pwc_s2_entries) ||
        mmu_dcache_init(&m->dc, g) || register_ctrs(m, stats, scope)) {
        mmu_destroy(m);
        return NULL;
    }
    /* The nested TLB keeps its fast path off: it is not an L1 array. */
    m->ntlb.fast = false;
    m->l2tlb.fast = false;
    /* Software-walk contexts: the x86 flag only changes the level mapping; a software walk
     * of either architecture passes its levels through `level` the same way the hardware
     * walker does, so the flag follows the model's architecture. */
    bool x86 = model->arch && !strcmp(model->arch, "x86_64");
    for (int w = 0; w < 2; w++)
        ctx_init(&m->sw[w], m, (enum mmu_who)w, x86, true);
    return m;
}

void mmu_destroy(struct mmu *m)
{
    if (!m)
        return;
    mmu_tlb_destroy(&m->itlb);
    mmu_tlb_destroy(&m->dtlb);
    mmu_tlb_destroy(&m->l2tlb);
    mmu_tlb_destroy(&m->ntlb);
    mmu_pwc_destroy(&m->pwc[0]);
    mmu_pwc_destroy(&m->pwc[1]);
    mmu_dcache_destroy(&m->dc);
    free(m);
}

const struct mmu_cpu_model *mmu_model(const struct mmu *m)
{
    return &m->model;
}

void mmu_set_fast_path(struct mmu *m, bool on)
{
    m->itlb.fast = on;
    m->dtlb.fast = on;
    /* tickets issued under the other setting expire */
    for (unsigned i = 0; i < m->itlb.entries; i++)
        m->itlb.e[i].gen = ++m->itlb.gen;
    for (unsigned i = 0; i < m->dtlb.entries; i++)
        m->dtlb.e[i].gen = ++m->dtlb.gen;
    m->dc.fast = on;
    m->dc.last_line = 0;
}

void mmu_flush_all(struct mmu *m)
{
    mmu_tlb_flush(&m->itlb);
    mmu_tlb_flush(&m->dtlb);
    mmu_tlb_flush(&m->l2tlb);
    mmu_tlb_flush(&m->ntlb);
    mmu_pwc_flush(&m->pwc[0]);
    mmu_pwc_flush(&m->pwc[1]);
    mmu_dcache_flush(&m->dc);
}

struct mmu_tlb *mmu_get_tlb(struct mmu *m, enum mmu_array which)
{
    switch (which) {
    case MMU_ARR_ITLB: return &m->itlb;
    case MMU_ARR_DTLB: return &m->dtlb;
    case MMU_ARR_L2TLB: return &m->l2tlb;
    case MMU_ARR_NTLB: return &m->ntlb;
    }
    return NULL;
}

struct mmu_pwc *mmu_get_pwc(struct mmu *m, int stage)
{
    return stage == 1 ? &m->pwc[0] : stage == 2 ? &m->pwc[1] : NULL;
}
