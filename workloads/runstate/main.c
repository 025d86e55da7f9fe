/* workloads/runstate/main.c - the vCPU runstate area under preemption, checked from inside the
 * guest.
 * Each vCPU registers a per-CPU struct vcpu_runstate_info in kernel VA space, by VA
 * (VCPUOP_register_runstate_memory_area, op 5) or by guest-physical address
 * (VCPUOP_register_runstate_phys_area, op 14, Xen 4.18+; -EINVAL on Arm), optionally after
 * vm_assist(enable, VMASST_TYPE_runstate_update_flag). It then runs EL0 tasks preempted by the
 * timer; their yield system call makes the kernel call SCHEDOP_yield. At each tick and around
 * each yield the kernel reads the area with Linux's reader protocol (drivers/xen/time.c
 * xen_get_runstate_snapshot_cpu_delta: read state_entry_time, rmb, copy, rmb, retry while the
 * time changed or XEN_RUNSTATE_UPDATE is set) and counts:
 *   updates  - snapshots whose state_entry_time differs from the previous one (self reads);
 *   stale    - self snapshots showing a state other than running (the reader is running), plus
 *              deschedulings the guest can see (a timer tick late by more than desched_us, or a
 *              yield that took longer) across which state_entry_time did not advance;
 *   torn     - snapshots accepted by the protocol whose sum of time[] disagrees with
 *              state_entry_time (Xen keeps state_entry_time - sum(time[]) constant:
 *              common/sched/core.c vcpu_runstate_change), self and remote reads;
 *   retries  - protocol retries (update in progress seen);
 *   steal_ns - time[runnable] + time[offline] at the end, summed over vCPUs (Linux
 *              xen_steal_clock).
 * Parameters: runstate=va|pa vmassist=0|1 tasks=N vcpus=N kpti=0|1 ticks=N hz=N work=N
 * desched_us=N remote=0|1. */
#if defined(__x86_64__)
#include "../lib/x86_64/rt.h"
#else
#include "../lib/arm64/rt.h"
#endif
#include "../lib/xen.h"

struct rs_area {
    struct vcpu_runstate_info info;
    uint8_t pad[16];
} __attribute__((aligned(64)));

/* Per-CPU runstate areas: kernel VA, 64-byte aligned, never straddling a page. */
static struct rs_area rs_area[WL_MAX_CPUS];

struct rs_stats {
    long reg_rc;
    uint64_t snapshots, updates, stale, torn, retries, yields, ticks, desched, remote;
    uint64_t last_entry, tick_entry;
    uint64_t d0[WL_MAX_CPUS];
    int have_d0[WL_MAX_CPUS];
    struct vcpu_runstate_info final;
    volatile int done;
} __attribute__((aligned(64)));

static struct rs_stats rs_st[WL_MAX_CPUS];
static int cfg_pa, cfg_vmassist, cfg_tasks, cfg_vcpus, cfg_remote;
static uint64_t cfg_ticks, cfg_hz, cfg_work, cfg_desched_ns;
static long vmassist_rc;
static volatile int started[WL_MAX_CPUS];

/* EL0: spin for `arg` iterations, then yield, forever (the kernel stops at the tick limit). */
WL_USER static void rs_task(uint64_t arg)
{
    for (;;) {
        for (volatile uint64_t i = 0; i < arg; i++)
            ;
        wl_syscall(WL_SYS_YIELD, 0);
    }
}

static int snapshot(struct rs_stats *st, int who, struct vcpu_runstate_info *out)
{
    volatile struct vcpu_runstate_info *a = &rs_area[who].info;
    for (int tries = 0; tries < 1000; tries++) {
        uint64_t t = a->state_entry_time;
        WL_DMB(ishld);
        out->state = a->state;
        out->state_entry_time = a->state_entry_time;
        for (int i = 0; i < 4; i++)
            out->time[i] = a->time[i];
        WL_DMB(ishld);
        if (a->state_entry_time == t && !(t & XEN_RUNSTATE_UPDATE))
            return 0;
        st->retries++;
    }
    return -1;
}

/* The consistency check every accepted snapshot gets. */
static void check_sum(struct rs_stats *st, int who, const struct vcpu_runstate_info *s)
{
    uint64_t sum = s->time[0] + s->time[1] + s->time[2] + s->time[3];
    uint64_t d = s->state_entry_time - sum;
    if (!st->have_d0[who]) {
        st->d0[who] = d;
        st->have_d0[who] = 1;
    } else if (d != st->d0[who]) {
        st->torn++;
    }
}

static uint64_t self_check(int cpu, struct vcpu_runstate_info *s)
{
    struct rs_stats *st = &rs_st[cpu];
    if (st->reg_rc || snapshot(st, cpu, s))
        return 0;
    st->snapshots++;
    if (s->state_entry_time != st->last_entry)
        st->updates++;
    st->last_entry = s->state_entry_time;
    if (s->state != RUNSTATE_running)
        st->stale++;
    check_sum(st, cpu, s);
    return 1;
}

static void on_tick(int cpu, uint64_t late_ns)
{
    struct rs_stats *st = &rs_st[cpu];
    struct vcpu_runstate_info s;
    st->ticks++;
    int ok = (int)self_check(cpu, &s);
    if (late_ns > cfg_desched_ns) {
        st->desched++;
        if (ok && s.state_entry_time == st->tick_entry)
            st->stale++;
    }
    if (ok)
        st->tick_entry = s.state_entry_time;
    if (cpu == 0 && cfg_remote) {
        for (int o = 1; o < cfg_vcpus; o++) {
            if (!started[o] || rs_st[o].reg_rc || rs_st[o].done)
                continue;
            struct vcpu_runstate_info r;
            if (snapshot(st, o, &r))
                continue;
            st->remote++;
            if (r.state_entry_time)
                check_sum(st, o, &r);
        }
    }
}

static void on_yield(int cpu)
{
    struct rs_stats *st = &rs_st[cpu];
    struct vcpu_runstate_info s0, s1;
    int ok0 = (int)self_check(cpu, &s0);
    uint64_t t0 = wl_now_ns();
    wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    uint64_t t1 = wl_now_ns();
    int ok1 = (int)self_check(cpu, &s1);
    st->yields++;
    if (t1 - t0 > cfg_desched_ns) {
        st->desched++;
        if (ok0 && ok1 && s0.state_entry_time == s1.state_entry_time)
            st->stale++;
    }
    if (ok1)
        st->tick_entry = s1.state_entry_time;
}

static void report(void)
{
    long reg = 0;
    uint64_t upd = 0, stale = 0, torn = 0, retries = 0, steal = 0, ticks = 0, yields = 0;
    uint64_t desched = 0, snaps = 0, remote = 0;
    for (int c = 0; c < cfg_vcpus; c++) {
        struct rs_stats *st = &rs_st[c];
        if (!started[c])
            continue;
        if (st->reg_rc && !reg)
            reg = st->reg_rc;
        upd += st->updates;
        stale += st->stale;
        torn += st->torn;
        retries += st->retries;
        ticks += st->ticks;
        yields += st->yields;
        desched += st->desched;
        snaps += st->snapshots;
        remote += st->remote;
        if (!st->reg_rc)
            steal += st->final.time[RUNSTATE_runnable] + st->final.time[RUNSTATE_offline];
    }
    int n = 0;
    for (int c = 0; c < cfg_vcpus; c++)
        n += started[c];
    wl_result_begin("runstate");
    wl_result_str("runstate", cfg_pa ? "pa" : "va");
    wl_result_u64("vmassist", (uint64_t)cfg_vmassist);
    wl_result_u64("kpti", (uint64_t)wl_kpti());
    wl_result_u64("vcpus", (uint64_t)n);
    wl_result_u64("tasks", (uint64_t)cfg_tasks);
    wl_result_i64("registered", reg);
    wl_result_i64("vmassist_rc", vmassist_rc);
    wl_result_u64("updates", upd);
    wl_result_u64("stale", stale);
    wl_result_u64("torn", torn);
    wl_result_u64("retries", retries);
    wl_result_u64("steal_ns", steal);
    wl_result_u64("ticks", ticks);
    wl_result_u64("yields", yields);
    wl_result_u64("desched", desched);
    wl_result_u64("snapshots", snaps);
    wl_result_u64("remote_reads", remote);
    wl_result_end();
}

WL_NORETURN static void done(int cpu)
{
    struct rs_stats *st = &rs_st[cpu];
    if (!st->reg_rc && snapshot(st, cpu, &st->final))
        wl_memset(&st->final, 0, sizeof(st->final));
    __atomic_store_n(&st->done, 1, __ATOMIC_RELEASE);
    if (cpu != 0)
        wl_cpu_off();
    for (int c = 1; c < cfg_vcpus; c++)
        while (started[c] && !__atomic_load_n(&rs_st[c].done, __ATOMIC_ACQUIRE))
            wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    report();
    wl_shutdown(1);
}

static struct wl_sched_ops rs_ops;

static void vcpu_main(int cpu)
{
    struct rs_stats *st = &rs_st[cpu];
    struct vcpu_register_runstate_memory_area area;
    if (cfg_pa) {
        area.addr = wl_va_to_pa(&rs_area[cpu].info);
        st->reg_rc = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_phys_area,
                                  (uint64_t)cpu, (uint64_t)&area, 0, 0);
    } else {
        area.addr = (uint64_t)&rs_area[cpu].info;
        st->reg_rc = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area,
                                  (uint64_t)cpu, (uint64_t)&area, 0, 0);
    }
    struct vcpu_runstate_info s;
    self_check(cpu, &s);
    st->tick_entry = s.state_entry_time;
    for (int t = 0; t < cfg_tasks; t++)
        if (wl_task_create(WL_USER_ENTRY(rs_task), cfg_work) < 0)
            wl_panic("cannot create task");
    wl_sched_run(&rs_ops);
}

static void secondary(int cpu)
{
    vcpu_main(cpu);
}

int wl_main(void)
{
    cfg_pa = wl_param_is("runstate", "pa", 0);
    cfg_vmassist = (int)wl_param_u64("vmassist", 1);
    cfg_tasks = (int)wl_param_u64("tasks", 2);
    if (cfg_tasks < 1) cfg_tasks = 1;
    if (cfg_tasks > WL_MAX_TASKS) cfg_tasks = WL_MAX_TASKS;
    cfg_vcpus = (int)wl_param_u64("vcpus", (uint64_t)wl_cpu_count());
    if (cfg_vcpus < 1) cfg_vcpus = 1;
    if (cfg_vcpus > wl_cpu_count()) cfg_vcpus = wl_cpu_count();
    cfg_ticks = wl_param_u64("ticks", 20);
    cfg_hz = wl_param_u64("hz", 1000);
    cfg_work = wl_param_u64("work", 1000000);
    cfg_desched_ns = wl_param_u64("desched_us", 200) * 1000;
    cfg_remote = (int)wl_param_u64("remote", 1);
    rs_ops.hz = (uint32_t)cfg_hz;
    rs_ops.ticks = cfg_ticks;
    rs_ops.on_tick = on_tick;
    rs_ops.on_yield = on_yield;
    rs_ops.done = done;

    if (cfg_vmassist)
        vmassist_rc = wl_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
                                   VMASST_TYPE_runstate_update_flag, 0, 0, 0);
    started[0] = 1;
    for (int c = 1; c < cfg_vcpus; c++) {
        long rc = wl_cpu_start(c, secondary);
        started[c] = rc == 0;
        if (rc) {
            wl_puts("wl: CPU_ON vcpu ");
            wl_put_u64((uint64_t)c);
            wl_puts(" failed: ");
            wl_put_i64(rc);
            wl_puts("\n");
        }
    }
    vcpu_main(0);
    return 1;
}
