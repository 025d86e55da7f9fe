/* workloads/confidential/main.c - a guest whose memory the hypervisor may not read through
 * its page tables (hvsim `--confidential`, docs/hv.md "Confidential guests": the modelled
 * confidential-VM flag). It tries the same things by virtual and by guest-physical address:
 *   console_io   CONSOLEIO_write of a line by VA, then with the pa-flag bit (bit 30 of the
 *                hypercall number, docs/hv.md "pa-flag encoding") and the buffer's GPA;
 *   runstate     VCPUOP_register_runstate_memory_area (op 5, by VA), counting the updates seen
 *                over `yields` yields while a second vCPU yields too (each yield is a context
 *                switch); then VCPUOP_register_runstate_phys_area (op 14: Xen 4.18 rules,
 *                accepted on Arm only by hvsim's pa and pa-flag profiles), its argument passed
 *                with the pa-flag bit where the hypervisor understands it (probed with a
 *                flagged xen_version, which has no buffer), and the updates of a second phase.
 * A registered PA area stops the VA updates (4.18 update_runstate_area), so the VA phase
 * comes first. On real Xen (nothing confidential) the VA forms work and the PA forms fail
 * (-ENOSYS for the flagged calls, -EINVAL for op 14). Output:
 *   RESULT workload=confidential pa_flag=0|1 va_console=rc pa_console=rc va_runstate=rc
 *     pa_runstate=rc va_runstate_updates=N pa_runstate_updates=N
 * Use the vPL011 console (hvsim --vpl011; Xen's dom0less vpl011): a confidential guest's PV
 * console needs hypercalls with VA arguments. Parameters: yields=N (default 10, each phase). */
#if defined(__x86_64__)
#include "../lib/x86_64/rt.h"
#else
#include "../lib/arm64/rt.h"
#endif
#include "../lib/xen.h"

#define HV_PA_FLAG_BIT 0x40000000u

static volatile int stop;
static int pa_flag;

static void partner(int cpu)
{
    (void)cpu;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
        wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
    wl_cpu_off();
}

/* state_entry_time with the XEN_RUNSTATE_UPDATE bit cleared */
static uint64_t entry_time(volatile struct vcpu_runstate_info *a)
{
    return a->state_entry_time & ~XEN_RUNSTATE_UPDATE;
}

static uint64_t count_updates(volatile struct vcpu_runstate_info *a, uint64_t yields)
{
    uint64_t n = 0, last = entry_time(a);
    for (uint64_t i = 0; i < yields; i++) {
        wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
        uint64_t t = entry_time(a);
        n += t != last;
        last = t;
    }
    return n;
}

/* buffers the hypervisor is given by address: 8-byte aligned (pa-flag descriptor type 0) */
static char va_line[32] __attribute__((aligned(8))) = "confidential: va console\n";
static char pa_line[32] __attribute__((aligned(8))) = "confidential: pa console\n";
static struct vcpu_register_runstate_memory_area reg_va, reg_pa;

int wl_main(void)
{
    uint64_t yields = wl_param_u64("yields", 10);
    pa_flag = wl_hypercall(__HYPERVISOR_xen_version | HV_PA_FLAG_BIT, XENVER_version, 0, 0, 0,
                           0) >= 0;
    long va_con = wl_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 25, (uint64_t)va_line,
                               0, 0);
    long pa_con = wl_hypercall(__HYPERVISOR_console_io | HV_PA_FLAG_BIT, CONSOLEIO_write, 25,
                               wl_va_to_pa(pa_line), 0, 0);

    uint8_t *page = wl_page_alloc();
    volatile struct vcpu_runstate_info *va_area = (volatile struct vcpu_runstate_info *)page;
    volatile struct vcpu_runstate_info *pa_area =
        (volatile struct vcpu_runstate_info *)(page + 2048);
    int vcpus = 1;
    if (wl_cpu_count() >= 2 && wl_cpu_start(1, partner) == 0)
        vcpus = 2;

    wl_hypercall(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag, 0,
                 0, 0);
    reg_va.addr = (uint64_t)va_area;
    long va_rs = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
                              (uint64_t)&reg_va, 0, 0);
    uint64_t va_upd = count_updates(va_area, yields);

    reg_pa.addr = wl_va_to_pa((const void *)pa_area);
    long pa_rs = pa_flag
        ? wl_hypercall(__HYPERVISOR_vcpu_op | HV_PA_FLAG_BIT, VCPUOP_register_runstate_phys_area,
                       0, wl_va_to_pa(&reg_pa), 0, 0)
        : wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_register_runstate_phys_area, 0,
                       (uint64_t)&reg_pa, 0, 0);
    uint64_t pa_upd = count_updates(pa_area, yields);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);

    wl_result_begin("confidential");
    wl_result_u64("vcpus", (uint64_t)vcpus);
    wl_result_u64("pa_flag", (uint64_t)pa_flag);
    wl_result_i64("va_console", va_con);
    wl_result_i64("pa_console", pa_con);
    wl_result_i64("va_runstate", va_rs);
    wl_result_i64("pa_runstate", pa_rs);
    wl_result_u64("va_runstate_updates", va_upd);
    wl_result_u64("pa_runstate_updates", pa_upd);
    wl_result_end();
    return 0;
}
