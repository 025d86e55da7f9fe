/* workloads/split/main.c - a runstate area that straddles a page boundary.
 * The area sits `offset` bytes before the end of a page of a kernel mapping outside the linear
 * map (like a vmalloc'ed per-CPU area): VA-contiguous, and by default backed by two physically
 * discontiguous pages (contig=0), so a hypervisor that translates only the first page and then
 * writes 48 contiguous bytes physically scribbles on the page after it ("stray" bytes).
 * Registration: VCPUOP_register_runstate_memory_area (op 5, by VA; Xen: always 0, copy_guest
 * works page by page, xen/arch/arm/guestcopy.c), then VCPUOP_register_runstate_phys_area (op 14,
 * by PA): -ENXIO under the Xen 4.18 map_guest_area() rules for an area crossing a page
 * (xen/common/domain.c), -EINVAL on Xen Arm (do_arm_vcpu_op only forwards ops 5 and 10).
 * vCPU 1 yields in a loop so that every SCHEDOP_yield of vCPU 0 is a context switch (both vCPUs
 * share a pCPU); Xen refreshes the area of the vCPU switched out and in (arch/arm/domain.c
 * context_switch, schedule_tail). vCPU 0 reads its area with Linux's reader protocol
 * (drivers/xen/time.c xen_get_runstate_snapshot_cpu_delta) after each yield and reports:
 *   lo / hi   - 1 if the bytes in the first / second page ever changed after registration;
 *   updates   - snapshots whose state_entry_time changed;
 *   torn      - accepted snapshots whose state_entry_time - sum(time[]) differs from the first
 *               one (Xen keeps it constant: common/sched/core.c vcpu_runstate_change);
 *   stale     - snapshots not showing RUNSTATE_running (vCPU 0 is running when it reads);
 *   stray_bytes - nonzero bytes at the start of the page physically after the first page
 *               (contig=0 only: nothing should ever write there).
 * Parameters: offset=N (1..4096, default 24) contig=0|1 yields=N vmassist=0|1 pa=0|1. */
#if defined(__x86_64__)
#include "../lib/x86_64/rt.h"
#else
#include "../lib/arm64/rt.h"
#endif
#include "../lib/xen.h"

#define SPLIT_VA 0xffff800000000000ull   /* TTBR1 half, L0 index 256: outside the linear map */

static volatile int stop;

static void partner(int cpu)
{
    (void)cpu;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
        wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    wl_cpu_off();
}

struct split_st {
    uint64_t updates, torn, stale, retries, last_entry, d0;
    int have_d0;
};

static int snapshot(volatile struct vcpu_runstate_info *a, struct split_st *st,
                    struct vcpu_runstate_info *out)
{
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

static void check(volatile struct vcpu_runstate_info *a, struct split_st *st)
{
    struct vcpu_runstate_info s;
    if (snapshot(a, st, &s))
        return;
    if (s.state_entry_time != st->last_entry)
        st->updates++;
    st->last_entry = s.state_entry_time;
    if (s.state != RUNSTATE_running)
        st->stale++;
    uint64_t d = s.state_entry_time - (s.time[0] + s.time[1] + s.time[2] + s.time[3]);
    if (!st->have_d0) {
        st->d0 = d;
        st->have_d0 = 1;
    } else if (d != st->d0) {
        st->torn++;
    }
}

int wl_main(void)
{
    uint64_t offset = wl_param_u64("offset", 24);
    int contig = (int)wl_param_u64("contig", 0);
    uint64_t yields = wl_param_u64("yields", 20);
    int vmassist = (int)wl_param_u64("vmassist", 1);
    int try_pa = (int)wl_param_u64("pa", 1);
    if (offset < 1 || offset > 4096)
        offset = 24;

    /* Three consecutive physical pages: the area's first page is p[0]; its second page is
     * p[1] (contig=1) or p[2] (contig=0, p[1] then only catches stray writes). */
    uint8_t *p = wl_pages_alloc(3, 4096);
    if (!p)
        wl_panic("split: no memory");
    uint64_t pa0 = wl_va_to_pa(p), pa_hi = pa0 + (contig ? 4096 : 8192);
    if (wl_map_pages(wl_kpgd[0], SPLIT_VA, pa0, 4096, WL_MAP_KERNEL) ||
        wl_map_pages(wl_kpgd[0], SPLIT_VA + 4096, pa_hi, 4096, WL_MAP_KERNEL))
        wl_panic("split: cannot map the area");
    uint64_t area_va = SPLIT_VA + 4096 - offset;
    volatile struct vcpu_runstate_info *a = (volatile struct vcpu_runstate_info *)area_va;
    uint64_t nlo = offset < sizeof(*a) ? offset : sizeof(*a);

    long vm_rc = vmassist ? wl_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
                                         VMASST_TYPE_runstate_update_flag, 0, 0, 0) : 0;
    struct vcpu_register_runstate_memory_area r = {.addr = area_va};
    long va_rc = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
                              (uint64_t)&r, 0, 0);
    long pa_rc = 1;
    if (try_pa) {
        r.addr = pa0 + 4096 - offset;
        pa_rc = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_phys_area, 0,
                             (uint64_t)&r, 0, 0);
    }

    int vcpus = 1;
    if (wl_cpu_count() >= 2 && wl_cpu_start(1, partner) == 0)
        vcpus = 2;

    struct split_st st = {0};
    uint8_t first[48];
    for (unsigned i = 0; i < sizeof(first); i++)
        first[i] = ((volatile uint8_t *)a)[i];
    check(a, &st);
    for (uint64_t i = 0; i < yields; i++) {
        wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
        check(a, &st);
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);

    int lo = 0, hi = 0;
    for (unsigned i = 0; i < sizeof(first); i++) {
        if (((volatile uint8_t *)a)[i] != first[i]) {
            if (i < nlo)
                lo = 1;
            else
                hi = 1;
        }
    }
    uint64_t stray = 0;
    if (!contig)
        for (unsigned i = 0; i < 4096; i++)
            stray += ((volatile uint8_t *)p)[4096 + i] != 0;

    wl_result_begin("split");
    wl_result_u64("offset", offset);
    wl_result_u64("contig", (uint64_t)contig);
    wl_result_u64("vcpus", (uint64_t)vcpus);
    wl_result_i64("vmassist_rc", vm_rc);
    wl_result_i64("va_rc", va_rc);
    if (try_pa)
        wl_result_i64("pa_rc", pa_rc);
    else
        wl_result_str("pa_rc", "none");
    wl_result_u64("lo", (uint64_t)lo);
    wl_result_u64("hi", (uint64_t)hi);
    wl_result_u64("stray_bytes", stray);
    wl_result_u64("updates", st.updates);
    wl_result_u64("torn", st.torn);
    wl_result_u64("stale", st.stale);
    wl_result_u64("retries", st.retries);
    wl_result_u64("yields", yields);
    wl_result_end();
    return 0;
}
