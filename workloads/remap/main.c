/* workloads/remap/main.c - the guest moves the page behind its registered runstate VA to
 * another physical page, and looks where the hypervisor's updates land afterwards.
 * The area lives in a kernel page mapped outside the linear map (TTBR1, level-3 page). After
 * registration (op 5 by VA, or op 14 by PA with runstate=pa) and a few context switches, the
 * guest copies the page to a new physical page and switches the PTE with break-before-make
 * (ARM DDI0487 D8.16.1: write an invalid descriptor, DSB, TLBI VAE1IS, DSB ISH, write the new
 * descriptor, DSB, ISB). It keeps yielding to vCPU 1 and compares, after every switch, the
 * area seen through the VA (the new page) with the old page (read through the linear map):
 *   Xen 4.17 translates the VA at every update (xen/arch/arm/domain.c update_runstate_area ->
 *   copy_to_guest -> get_page_from_gva): updates land in the new page;
 *   the unmerged arm-vmap patch and KVM translate once at registration: the old page;
 *   a PA-registered area (op 14) stays where it was registered: the old page.
 * Result: registered, pre_updates (before the move), new_updates, old_updates, lands=new|old|
 * both|none. Parameters: runstate=va|pa yields=N (each phase) vmassist=0|1. */
#if defined(__x86_64__)
#include "../lib/x86_64/rt.h"
#else
#include "../lib/arm64/rt.h"
#endif
#include "../lib/xen.h"

#define REMAP_VA   0xffff800000200000ull   /* TTBR1 half, outside the linear map */
#define AREA_OFF   0x100

static volatile int stop;

static void partner(int cpu)
{
    (void)cpu;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
        wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    wl_cpu_off();
}

/* state_entry_time read with the reader protocol's retry (Linux drivers/xen/time.c). */
static uint64_t entry_time(volatile struct vcpu_runstate_info *a)
{
    for (int tries = 0; tries < 1000; tries++) {
        uint64_t t = a->state_entry_time;
        WL_DMB(ishld);
        if (!(t & XEN_RUNSTATE_UPDATE) && a->state_entry_time == t)
            return t;
    }
    return a->state_entry_time;
}

static void yield(void)
{
    wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
}

int wl_main(void)
{
    int use_pa = wl_param_is("runstate", "pa", 0);
    uint64_t yields = wl_param_u64("yields", 10);
    int vmassist = (int)wl_param_u64("vmassist", 1);

    uint8_t *old = wl_page_alloc();
    if (wl_map_pages(wl_kpgd[0], REMAP_VA, wl_va_to_pa(old), 4096, WL_MAP_KERNEL))
        wl_panic("remap: cannot map the area page");
    uint64_t *pte = wl_pte_lookup(wl_kpgd[0], REMAP_VA);
    if (!pte)
        wl_panic("remap: no level-3 descriptor for the area");
    volatile struct vcpu_runstate_info *va_area =
        (volatile struct vcpu_runstate_info *)(REMAP_VA + AREA_OFF);
    volatile struct vcpu_runstate_info *old_area =
        (volatile struct vcpu_runstate_info *)(old + AREA_OFF);

    long vm_rc = vmassist ? wl_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
                                         VMASST_TYPE_runstate_update_flag, 0, 0, 0) : 0;
    struct vcpu_register_runstate_memory_area r;
    long reg;
    if (use_pa) {
        r.addr = wl_va_to_pa(old) + AREA_OFF;
        reg = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_phys_area, 0,
                           (uint64_t)&r, 0, 0);
    } else {
        r.addr = REMAP_VA + AREA_OFF;
        reg = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
                           (uint64_t)&r, 0, 0);
    }
    int vcpus = 1;
    if (wl_cpu_count() >= 2 && wl_cpu_start(1, partner) == 0)
        vcpus = 2;

    /* Phase 1: updates through the original mapping. */
    uint64_t pre = 0, last = entry_time(va_area);
    for (uint64_t i = 0; i < yields; i++) {
        yield();
        uint64_t t = entry_time(va_area);
        pre += t != last;
        last = t;
    }

    /* The move: copy, then break-before-make on the level-3 descriptor. */
    uint8_t *nw = wl_page_alloc();
    uint64_t new_pa = wl_va_to_pa(nw);
    wl_memcpy(nw, old, 4096);
    uint64_t desc = *pte;
    *(volatile uint64_t *)pte = 0;
    WL_DSB(ishst);
    wl_tlb_flush_va(REMAP_VA);
    WL_DSB(ish);
    WL_ISB();
    *(volatile uint64_t *)pte = (desc & ~WL_PTE_ADDR_MASK) | new_pa;
    WL_DSB(ishst);
    WL_ISB();

    /* Phase 2: where do updates land now? */
    uint64_t new_upd = 0, old_upd = 0;
    uint64_t last_new = entry_time(va_area), last_old = entry_time(old_area);
    for (uint64_t i = 0; i < yields; i++) {
        yield();
        uint64_t tn = entry_time(va_area), to = entry_time(old_area);
        new_upd += tn != last_new;
        old_upd += to != last_old;
        last_new = tn;
        last_old = to;
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);

    wl_result_begin("remap");
    wl_result_str("runstate", use_pa ? "pa" : "va");
    wl_result_u64("vcpus", (uint64_t)vcpus);
    wl_result_i64("vmassist_rc", vm_rc);
    wl_result_i64("registered", reg);
    wl_result_u64("pre_updates", pre);
    wl_result_u64("new_updates", new_upd);
    wl_result_u64("old_updates", old_upd);
    wl_result_str("lands", new_upd && old_upd ? "both" : new_upd ? "new" : old_upd ? "old"
                                                                             : "none");
    wl_result_end();
    return 0;
}
