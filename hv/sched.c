/* hv/sched.c - pCPUs, run queues and the context switch (xen/common/sched/core.c
 * schedule / vcpu_runstate_change, a credit-like round robin with --timeslice-us slices),
 * vCPU block/wake/online/down, domain shutdown, and the run loop that drives the vCPUs
 * through the arch's run hook (hv/arm/vcpu.c, hv/x86/vcpu.c). Time is each pCPU's cycle
 * clock; the pCPU that is furthest behind runs next, so several pCPUs interleave
 * deterministically. The timers are the arch's (Arm vtimer, x86 LAPIC timer). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/domain.h"

/* Longest stretch one pCPU runs before the others catch up (multi-pCPU runs only). */
#define PCPU_QUANTUM_CYCLES 20000u

static uint64_t ns_of(struct hv *hv, uint64_t cycles)
{
    return sim_clock_cycles_to_ns(&hv->m->clock, cycles);
}

uint64_t hv_now_ns(struct hv_vcpu *v)
{
    return ns_of(v->d->hv, v->d->hv->now);
}

static bool runnable(const struct hv_vcpu *v)
{
    return v->online && !v->blocked && !v->d->shutdown;
}

/* Wake-up on an idle pCPU: its clock catches up with the waker's (hv->now), so the woken
 * vCPU never runs before the event that woke it. */
static void catch_up(struct hv *hv, struct hv_pcpu *p)
{
    if (!p->curr && p->now < hv->now)
        p->now = hv->now;
}

static void runq_push(struct hv_pcpu *p, struct hv_vcpu *v)
{
    if (v->on_runq || p->nrunq >= sizeof(p->runq) / sizeof(p->runq[0]))
        return;
    p->runq[p->nrunq++] = v;
    v->on_runq = true;
}

static struct hv_vcpu *runq_pop(struct hv_pcpu *p)
{
    while (p->nrunq) {
        struct hv_vcpu *v = p->runq[0];
        memmove(&p->runq[0], &p->runq[1], (p->nrunq - 1) * sizeof(p->runq[0]));
        p->nrunq--;
        v->on_runq = false;
        if (!v->d->shutdown)
            return v; /* a shut-down domain's vCPUs leave the queues (domain_shutdown) */
    }
    return NULL;
}

/* ---- block / wake / up / down ---- */
void hv_vcpu_block(struct hv_vcpu *v)
{
    /* vcpu_block_unless_event_pending: not if an interrupt is already pending for it (the
     * virtual timer counts if its condition is met now). */
    v->d->hv->ops->timer_check(v, *v->cycles);
    if (v->d->hv->ops->irq_pending(v) || hv_evtchn_upcall_pending(v))
        return;
    v->blocked = true;
}

void hv_vcpu_wake(struct hv_vcpu *v)
{
    struct hv *hv = v->d->hv;
    if (!v->blocked)
        return;
    v->blocked = false;
    struct hv_pcpu *p = &hv->pcpu[v->pcpu];
    if (p->curr == v || !v->online)
        return;
    hv_runstate_change(&v->rs, HV_RUNSTATE_RUNNABLE, ns_of(hv, hv->now));
    catch_up(hv, p);
    runq_push(p, v);
}

void hv_vcpu_yield(struct hv_vcpu *v)
{
    v->yielded = true;
}

void hv_vcpu_online(struct hv_vcpu *v)
{
    struct hv *hv = v->d->hv;
    v->online = true;
    v->blocked = false;
    hv_runstate_change(&v->rs, HV_RUNSTATE_RUNNABLE, ns_of(hv, hv->now));
    catch_up(hv, &hv->pcpu[v->pcpu]);
    runq_push(&hv->pcpu[v->pcpu], v);
}

void hv_vcpu_down(struct hv_vcpu *v)
{
    v->online = false; /* _VPF_down; the scheduler takes it off the pCPU */
}

void hv_domain_shutdown(struct hv_domain *d, unsigned reason)
{
    if (d->shutdown)
        return;
    d->shutdown = true;
    d->shutdown_reason = reason;
    d->hv->ops->domain_flush(d);
}

void hv_domain_crash(struct hv_domain *d, const char *why)
{
    /* domain_crash(): "Domain %d (vcpu#%d) crashed on cpu#%d" after the reason */
    if (!d->hv->stderr_quiet)
        fprintf(stderr, "(XEN) d%u: %s\n(XEN) domain_crash called: d%u crashed\n", d->id, why,
                d->id);
    snprintf(d->crash_why, sizeof(d->crash_why), "%s", why);
    hv_domain_shutdown(d, 3); /* SHUTDOWN_crash */
}

/* ---- the context switch (xen/arch/arm/domain.c context_switch / schedule_tail) ---- */
/* Length of the next time slice (see slack_cycles in internal.h). */
static uint64_t slice_len(struct hv *hv)
{
    if (!hv->slack_cycles)
        return hv->slice_cycles;
    uint64_t x = hv->slack_rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    hv->slack_rng = x;
    return hv->slice_cycles + x % hv->slack_cycles;
}

static void schedule(struct hv *hv, struct hv_pcpu *p)
{
    struct hv_vcpu *prev = p->curr;
    if (prev && *prev->cycles > p->now)
        p->now = *prev->cycles;
    hv->now = p->now;
    bool yielded = prev && prev->yielded;
    if (prev)
        prev->yielded = false;
    if (prev && runnable(prev)) {
        if (!p->nrunq) {
            p->slice_end = p->now + slice_len(hv);
            return; /* nothing else to run: keep going, no context switch */
        }
        (void)yielded; /* a yield and an expired slice both go behind the queue */
        runq_push(p, prev);
    }
    struct hv_vcpu *next = runq_pop(p);
    if (next == prev) {
        p->slice_end = p->now + slice_len(hv);
        return;
    }
    uint64_t ns = ns_of(hv, p->now);
    /* vcpu_runstate_change for both, before the switch (sched_switch_units) */
    if (prev)
        hv_runstate_change(&prev->rs, prev->blocked ? HV_RUNSTATE_BLOCKED
                                      : !prev->online ? HV_RUNSTATE_OFFLINE
                                                      : HV_RUNSTATE_RUNNABLE, ns);
    if (next)
        hv_runstate_change(&next->rs, HV_RUNSTATE_RUNNING, ns);
    if (prev) {
        /* context_switch(): update_runstate_area(prev) with prev's registers live */
        hv_update_runstate_area(prev);
        hv->ops->ctxt_switch_from(prev);
        (*hv->st_ctxsw)++;
        p->now = *prev->cycles;
    }
    if (next) {
        if (*next->cycles < p->now)
            *next->cycles = p->now;
        uint64_t c0 = *next->cycles;
        hv->ops->ctxt_switch_to(next); /* with the timer restore and interrupt state */
        /* schedule_tail(): update_runstate_area(current) after the restore */
        hv_update_runstate_area(next);
        *hv->st_ctxsw_cycles += *next->cycles - c0;
        p->now = *next->cycles;
    }
    p->curr = next;
    p->slice_end = p->now + slice_len(hv);
    hv->now = p->now;
}

/* Wake the blocked vCPUs of p whose virtual timer has fired by `now`. */
static void fire_timers(struct hv *hv, struct hv_pcpu *p, uint64_t now)
{
    for (unsigned i = 0; i < hv->nvcpus_all; i++) {
        struct hv_vcpu *v = hv->vcpus[i];
        if (v->pcpu != p->id || v == p->curr || !v->online || v->d->shutdown)
            continue;
        uint64_t saved = hv->now;
        uint64_t dl = hv->ops->timer_deadline(v);
        hv->now = dl < now ? dl : now;
        hv->ops->timer_check(v, now);
        hv->now = saved;
    }
}

/* Earliest timer of a vCPU on p that is not running (UINT64_MAX if none). */
static uint64_t next_timer(struct hv *hv, struct hv_pcpu *p)
{
    uint64_t t = UINT64_MAX;
    for (unsigned i = 0; i < hv->nvcpus_all; i++) {
        struct hv_vcpu *v = hv->vcpus[i];
        if (v->pcpu != p->id || v == p->curr || !v->online || v->d->shutdown)
            continue;
        uint64_t dl = hv->ops->timer_deadline(v);
        if (dl < t)
            t = dl;
    }
    return t;
}

static uint64_t total_insns(struct hv *hv)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < hv->nvcpus_all; i++)
        n += hv->ops->insns(hv->vcpus[i]);
    return n;
}

static bool all_shut_down(const struct hv *hv)
{
    for (unsigned i = 0; i < hv->ndoms; i++)
        if (!hv->dom[i].shutdown)
            return false;
    return true;
}

static struct hv_domain *first_running(struct hv *hv)
{
    for (unsigned i = 0; i < hv->ndoms; i++)
        if (!hv->dom[i].shutdown)
            return &hv->dom[i];
    return &hv->dom[0];
}

static void finish(struct hv *hv)
{
    struct machine *m = hv->m;
    uint64_t maxc = 0;
    for (unsigned i = 0; i < hv->npcpus; i++)
        if (hv->pcpu[i].now > maxc)
            maxc = hv->pcpu[i].now;
    for (unsigned i = 0; i < hv->nvcpus_all; i++)
        if (*hv->vcpus[i]->cycles > maxc && hv->pcpu[hv->vcpus[i]->pcpu].curr == hv->vcpus[i])
            maxc = *hv->vcpus[i]->cycles;
    m->clock.cycles = maxc;
    m->insns = total_insns(hv);
    for (unsigned i = 0; i < hv->ndoms; i++)
        hv->ops->domain_flush(&hv->dom[i]);
    for (size_t i = 0; i < hv->nevents; i++)
        hv->events[i].detail = hv->event_detail[i];
    m->events = hv->events;
    m->nevents = hv->nevents;
    m->hcalls = hv->hc.rows;
    m->nhcalls = hv->hc.n;
    /* runstate times in the counters (ns) */
    for (unsigned i = 0; i < hv->nvcpus_all; i++) {
        struct hv_vcpu *v = hv->vcpus[i];
        static const char *const st[] = {"running", "runnable", "blocked", "offline"};
        for (unsigned s = 0; s < 4; s++) {
            uint64_t *ctr = sim_stats_addf(&m->stats, "ns", "time in this runstate (Xen "
                                           "vcpu_runstate_info.time[])", "hv.d%u.v%u.runstate.%s",
                                           v->d->id, v->id, st[s]);
            if (ctr)
                *ctr = v->rs.time[s];
        }
    }
}

int hv_run(struct hv *hv)
{
    struct machine *m = hv->m;
    struct hv_domain *d = &hv->dom[0];
    for (unsigned i = 0; i < hv->nvcpus_all; i++)
        if (hv->vcpus[i]->online)
            runq_push(&hv->pcpu[hv->vcpus[i]->pcpu], hv->vcpus[i]);
    for (unsigned i = 0; i < hv->npcpus; i++)
        schedule(hv, &hv->pcpu[i]);
    enum sim_outcome out = SIM_OUT_NONE;
    for (;;) {
        if (all_shut_down(hv))
            break;
        uint64_t done = total_insns(hv);
        if (m->cfg.max_insns && done >= m->cfg.max_insns) {
            out = SIM_OUT_MAX_INSNS;
            break;
        }
        /* the pCPU with the earliest thing to do */
        struct hv_pcpu *p = NULL;
        uint64_t best = UINT64_MAX;
        for (unsigned i = 0; i < hv->npcpus; i++) {
            struct hv_pcpu *q = &hv->pcpu[i];
            uint64_t t = (q->curr || q->nrunq) ? q->now : next_timer(hv, q);
            if (t < q->now)
                t = q->now;
            if (t < best) {
                best = t;
                p = q;
            }
        }
        if (!p) {
            out = SIM_OUT_CRASH;
            d = first_running(hv);
            snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                     "every vCPU of d%u is blocked or off with no timer pending", d->id);
            break;
        }
        if (!p->curr) {
            if (!p->nrunq) {
                /* idle: time passes until the next timer on this pCPU */
                p->now = best;
                hv->now = best;
                fire_timers(hv, p, best);
                if (!p->nrunq) {
                    /* the timer fired into a vCPU that stays blocked: avoid spinning */
                    for (unsigned i = 0; i < hv->nvcpus_all; i++)
                        if (hv->vcpus[i]->pcpu == p->id &&
                            hv->ops->timer_deadline(hv->vcpus[i]) <= best)
                            hv->ops->timer_mask(hv->vcpus[i]);
                }
            }
            schedule(hv, p);
            continue;
        }
        struct hv_vcpu *v = p->curr;
        uint64_t deadline = p->slice_end, t = hv->ops->timer_deadline(v), o = next_timer(hv, p);
        if (t < deadline)
            deadline = t;
        if (o < deadline)
            deadline = o;
        if (hv->npcpus > 1 && p->now + PCPU_QUANTUM_CYCLES < deadline)
            deadline = p->now + PCPU_QUANTUM_CYCLES;
        uint64_t budget = m->cfg.max_insns ? m->cfg.max_insns - done : UINT64_MAX;
        d = v->d;
        out = hv->ops->run(v, deadline, budget);
        if (out != SIM_OUT_NONE)
            break;
        p->now = *v->cycles;
        hv->now = p->now;
        sim_sampler_tick(&m->sampler, &m->stats, p->now);
        hv->ops->timer_check(v, p->now);
        fire_timers(hv, p, p->now);
        if (all_shut_down(hv))
            break;
        if (!runnable(v) || v->yielded || p->now >= p->slice_end)
            schedule(hv, p);
    }
    if (out == SIM_OUT_NONE && all_shut_down(hv)) {
        /* SHUTDOWN_poweroff 0, reboot 1, suspend 2, crash 3, watchdog 4, soft_reset 5. With
         * several domains the run's outcome is crash if any domain crashed (the first such
         * one is named), else reboot if domain 1 rebooted, else poweroff. */
        static const char *const why[] = {"poweroff", "reboot", "suspend", "crash", "watchdog",
                                          "soft_reset"};
        d = &hv->dom[0];
        for (unsigned i = 0; i < hv->ndoms; i++) {
            unsigned r = hv->dom[i].shutdown_reason;
            if (r != 0 && r != 1) {
                d = &hv->dom[i];
                break;
            }
        }
        unsigned r = d->shutdown_reason;
        out = r == 0 ? SIM_OUT_POWEROFF : r == 1 ? SIM_OUT_REBOOT : SIM_OUT_CRASH;
        if (d->crash_why[0])
            snprintf(m->outcome_detail, sizeof(m->outcome_detail), "d%u crashed: %.120s",
                     d->id, d->crash_why);
        else if (hv->ndoms > 1 && out == SIM_OUT_POWEROFF)
            snprintf(m->outcome_detail, sizeof(m->outcome_detail),
                     "all %u domains shut down: d1 %s", hv->ndoms, r < 6 ? why[r] : "unknown");
        else
            snprintf(m->outcome_detail, sizeof(m->outcome_detail), "d%u shut down: %s", d->id,
                     r < 6 ? why[r] : "unknown reason");
    }
    m->outcome = out;
    finish(hv);
    return 0;
}

/* ---- creation ---- */
struct hv *hv_create(struct machine *m, const struct hv_arch_ops *ops, char *err, size_t errlen)
{
    struct hv *hv = calloc(1, sizeof(*hv));
    if (!hv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    hv->m = m;
    hv->ops = ops;
    hv->prof = hv_profile_find(m->cfg.hv_profile ? m->cfg.hv_profile : "xen-4.17");
    if (!hv->prof) {
        snprintf(err, errlen, "unknown hypervisor profile '%s'", m->cfg.hv_profile);
        free(hv);
        return NULL;
    }
    int pol = m->cfg.runstate && strcmp(m->cfg.runstate, "profile")
                  ? hv_runstate_policy_parse(m->cfg.runstate) : (int)hv->prof->runstate;
    if (pol < 0) {
        snprintf(err, errlen, "unknown runstate policy '%s'", m->cfg.runstate);
        free(hv);
        return NULL;
    }
    hv->policy = (enum hv_runstate_policy)pol;
    if (strcmp(m->model.arch, ops->name)) {
        snprintf(err, errlen, "CPU model %s is an %s model", m->model.name, m->model.arch);
        free(hv);
        return NULL;
    }
    hv->npcpus = m->cfg.pcpus ? m->cfg.pcpus : 1;
    if (hv->npcpus > HV_MAX_PCPUS)
        hv->npcpus = HV_MAX_PCPUS;
    uint64_t ts = m->cfg.timeslice_us ? m->cfg.timeslice_us : 1000;
    hv->slice_cycles = (uint64_t)((unsigned __int128)ts * m->clock.hz / 1000000u);
    if (!hv->slice_cycles)
        hv->slice_cycles = 1;
    if (m->cfg.seed) {
        hv->slack_cycles = (uint64_t)((unsigned __int128)50 * m->clock.hz / 1000000u);
        hv->slack_rng = m->cfg.seed * 0x9e3779b97f4a7c15ull | 1;
    }
    hv_hcall_stats_init(&hv->hc, &m->stats);
    struct sim_stats *s = &m->stats;
#define CTR(field, name, unit, desc) hv->field = sim_stats_add(s, name, unit, desc)
    CTR(st_rs_updates, "hv.runstate.updates", "count",
        "runstate area updates attempted at context switches");
    CTR(st_rs_failures, "hv.runstate.failures", "count",
        "runstate updates lost because a guest-VA translation failed");
    CTR(st_rs_cycles, "hv.runstate.cycles", "cycles", "cycles spent in runstate updates");
    CTR(st_rs_tlb_misses, "hv.runstate.tlb_misses", "count",
        "hypervisor L1 DTLB misses caused by runstate updates");
    CTR(st_rs_walkrefs, "hv.runstate.walk_refs", "count",
        "page-walk references (hardware and software) made by runstate updates");
    CTR(st_traps, "hv.traps", "count", "traps to EL2");
    CTR(st_trap_cycles, "hv.trap.cycles", "cycles", "cycles from trap to ERET, handlers included");
    CTR(st_ctxsw, "hv.ctxsw", "count", "vCPU context switches");
    CTR(st_ctxsw_cycles, "hv.ctxsw.cycles", "cycles", "cycles of ctxt_switch_to and the next "
        "vCPU's runstate update");
    CTR(st_translations, "hv.guestcopy.translations", "count",
        "guest addresses translated by copy_{to,from}_guest_{va,pa}");
    CTR(st_xlate_fallback, "hv.guestcopy.at_failed", "count",
        "AT S12E1 translations that failed (software walk tried)");
    CTR(st_xlate_failed, "hv.guestcopy.walk_failed", "count",
        "guest VAs neither AT nor the software walk could translate");
    CTR(st_conf_denied, "hv.guestcopy.confidential_denied", "count",
        "guest VAs refused without a walk (--confidential)");
    CTR(st_mmio, "hv.mmio", "count", "emulated MMIO accesses (vGIC, vPL011)");
    CTR(st_vtimer, "hv.vtimer.fired", "count", "virtual timer interrupts injected");
    CTR(st_wfi, "hv.wfx", "count", "WFI/WFE traps");
#undef CTR
    for (unsigned i = 0; i < hv->npcpus; i++) {
        hv->pcpu[i].id = i;
        hv->pcpu[i].mmu = mmu_create(&m->model, &m->mem, &m->stats, "");
        if (!hv->pcpu[i].mmu) {
            snprintf(err, errlen, "cannot build the translation model for %s", m->model.name);
            hv_destroy(hv);
            return NULL;
        }
    }
    hv->hv_refs_s1 = sim_stats_add(s, "hv.walk.refs.s1", "count", "");
    hv->hv_refs_s2 = sim_stats_add(s, "hv.walk.refs.s2", "count", "");
    hv->hv_sw_s1 = sim_stats_add(s, "hv.swwalk.refs.s1", "count", "");
    hv->hv_sw_s2 = sim_stats_add(s, "hv.swwalk.refs.s2", "count", "");
    hv->hv_dtlb_miss = sim_stats_add(s, "hv.dtlb.l1.miss", "count", "");
    if (!hv->st_rs_updates || !hv->st_wfi || !hv->st_traps || !hv->hv_refs_s1 ||
        !hv->hv_dtlb_miss || !hv->hv_sw_s2) {
        snprintf(err, errlen, "out of memory");
        hv_destroy(hv);
        return NULL;
    }
    return hv;
}

void hv_destroy(struct hv *hv)
{
    if (!hv)
        return;
    for (unsigned i = 0; i < HV_MAX_DOMS * HV_MAX_VCPUS; i++) {
        struct hv_vcpu *v = hv->dom[i / HV_MAX_VCPUS].vcpu[i % HV_MAX_VCPUS];
        if (!v)
            continue;
        hv->ops->vcpu_free(v);
        free(v);
    }
    for (unsigned i = 0; i < HV_MAX_PCPUS; i++)
        if (hv->pcpu[i].mmu)
            mmu_destroy(hv->pcpu[i].mmu);
    if (hv->m && hv->m->hcalls == hv->hc.rows) {
        hv->m->hcalls = NULL;
        hv->m->nhcalls = 0;
    }
    if (hv->m && hv->m->events == hv->events) {
        hv->m->events = NULL;
        hv->m->nevents = 0;
    }
    hv_hcall_stats_free(&hv->hc);
    free(hv->events);
    free(hv->event_detail);
    free(hv);
}
