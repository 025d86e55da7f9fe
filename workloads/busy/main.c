/* workloads/busy/main.c - a context-switch-heavy mix standing in for a busy kernel: on each of
 * several vCPUs, many EL0 tasks that make frequent system calls (SVC, ESR_EL1.EC 0x15; ARM
 * DDI0487 D1.10) and yield to each other (a task switch changes TTBR0_EL1 and the ASID; with
 * kpti=1 also TTBR1_EL1 on every kernel entry and exit). Every `hvyield`-th task yield the
 * kernel also gives up the vCPU with SCHEDOP_yield (Xen common/sched/core.c), so vCPUs sharing
 * a pCPU are switched by the hypervisor too; the virtual timer preempts tasks at `hz`.
 * Each task: `rounds` times { `syscalls` null system calls; a yield }, then exit.
 * Result: vcpus, tasks (per vCPU), syscalls, yields, hv_yields, ticks, switches (task switches
 * requested: yields + ticks), bad_results (null calls that returned a wrong value),
 * elapsed_ns (vCPU 0, from the first task start to the last exit).
 * Parameters: vcpus=N tasks=N (1..8) rounds=N syscalls=N hvyield=N (0: never) hz=N kpti=0|1. */
#if defined(__x86_64__)
#include "../lib/x86_64/rt.h"
#else
#include "../lib/arm64/rt.h"
#endif
#include "../lib/xen.h"

#define BUSY_SYS_NULL 2
#define BUSY_SYS_BAD  3    /* a task reports wrong null-call results before it exits */

struct busy_cpu {
    uint64_t syscalls, yields, hv_yields, ticks, bad;
    volatile int done;
} __attribute__((aligned(64)));

static struct busy_cpu st[WL_MAX_CPUS];
static volatile int started[WL_MAX_CPUS];
static int cfg_vcpus, cfg_tasks;
static uint64_t cfg_rounds, cfg_syscalls, cfg_hvyield;
static uint64_t t_start;
static struct wl_sched_ops ops;

/* EL0: arg = rounds | syscalls << 32. The null call returns its argument + 1. */
WL_USER static void busy_task(uint64_t arg)
{
    uint64_t rounds = arg & 0xffffffffu, n = arg >> 32, bad = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t s = 0; s < n; s++)
            bad += (uint64_t)wl_syscall(BUSY_SYS_NULL, s) != s + 1;
        wl_syscall(WL_SYS_YIELD, 0);
    }
    wl_syscall(BUSY_SYS_BAD, bad);
    wl_syscall(WL_SYS_EXIT, 0);
    for (;;)
        ;
}

static long on_syscall(int cpu, uint64_t nr, uint64_t a0)
{
    if (nr == BUSY_SYS_BAD) {
        st[cpu].bad += a0;
        return 0;
    }
    if (nr != BUSY_SYS_NULL)
        return -38;
    st[cpu].syscalls++;
    return (long)(a0 + 1);
}

static void on_yield(int cpu)
{
    struct busy_cpu *c = &st[cpu];
    c->yields++;
    if (cfg_hvyield && c->yields % cfg_hvyield == 0) {
        wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
        c->hv_yields++;
    }
}

static void on_tick(int cpu, uint64_t late_ns)
{
    (void)late_ns;
    st[cpu].ticks++;
}

WL_NORETURN static void done(int cpu)
{
    __atomic_store_n(&st[cpu].done, 1, __ATOMIC_RELEASE);
    if (cpu != 0)
        wl_cpu_off();
    for (int c = 1; c < cfg_vcpus; c++)
        while (started[c] && !__atomic_load_n(&st[c].done, __ATOMIC_ACQUIRE))
            wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    uint64_t elapsed = wl_now_ns() - t_start;
    uint64_t sys = 0, y = 0, hy = 0, ticks = 0, bad = 0;
    int n = 0;
    for (int c = 0; c < cfg_vcpus; c++) {
        if (!started[c])
            continue;
        n++;
        sys += st[c].syscalls;
        y += st[c].yields;
        hy += st[c].hv_yields;
        ticks += st[c].ticks;
        bad += st[c].bad;
    }
    wl_result_begin("busy");
    wl_result_u64("vcpus", (uint64_t)n);
    wl_result_u64("tasks", (uint64_t)cfg_tasks);
    wl_result_u64("rounds", cfg_rounds);
    wl_result_u64("kpti", (uint64_t)wl_kpti());
    wl_result_u64("syscalls", sys);
    wl_result_u64("yields", y);
    wl_result_u64("hv_yields", hy);
    wl_result_u64("ticks", ticks);
    wl_result_u64("switches", y + ticks);
    wl_result_u64("bad_results", bad);
    wl_result_u64("elapsed_ns", elapsed);
    wl_result_end();
    wl_shutdown(1);
}

static void vcpu_main(int cpu)
{
    (void)cpu;
    uint64_t arg = (cfg_rounds & 0xffffffffu) | (cfg_syscalls << 32);
    for (int t = 0; t < cfg_tasks; t++)
        if (wl_task_create(WL_USER_ENTRY(busy_task), arg) < 0)
            wl_panic("busy: cannot create task");
    wl_sched_run(&ops);
}

int wl_main(void)
{
    cfg_vcpus = (int)wl_param_u64("vcpus", (uint64_t)wl_cpu_count());
    if (cfg_vcpus < 1) cfg_vcpus = 1;
    if (cfg_vcpus > wl_cpu_count()) cfg_vcpus = wl_cpu_count();
    cfg_tasks = (int)wl_param_u64("tasks", 4);
    if (cfg_tasks < 1) cfg_tasks = 1;
    if (cfg_tasks > WL_MAX_TASKS) cfg_tasks = WL_MAX_TASKS;
    cfg_rounds = wl_param_u64("rounds", 50) & 0xffffffffu;
    cfg_syscalls = wl_param_u64("syscalls", 4) & 0xffffffffu;
    cfg_hvyield = wl_param_u64("hvyield", 4);
    ops.hz = (uint32_t)wl_param_u64("hz", 1000);
    ops.ticks = ~0ull;                /* stop when every task has exited */
    ops.on_tick = on_tick;
    ops.on_yield = on_yield;
    ops.on_syscall = on_syscall;
    ops.done = done;
    t_start = wl_now_ns();
    started[0] = 1;
    for (int c = 1; c < cfg_vcpus; c++)
        started[c] = wl_cpu_start(c, vcpu_main) == 0;
    vcpu_main(0);
    return 1;
}
