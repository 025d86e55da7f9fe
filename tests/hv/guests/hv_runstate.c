/* tests/hv/guests/hv_runstate.c - the runstate experiment on two vCPUs sharing one pCPU.
 * Phase 1 (MMU off): the area registered by VA is refreshed at every context switch while
 * the vCPUs yield to each other. Phase 2 (KPTI-style): the MMU is on, the area is registered
 * at a kernel (TTBR1) VA, and vCPU 0 runs at EL0 with TTBR1_EL1 switched to a
 * trampoline-only table; whether the switches during that time updated the area is what
 * the profiles disagree on. Results are printed as "name value" lines. */
#include "guest.h"

struct runstate {
    int state;
    int pad;
    u64 state_entry_time;
    u64 time[4];
};

static struct runstate area0 __attribute__((aligned(64)));
static struct runstate area1 __attribute__((aligned(64)));
static volatile u64 done;
static volatile u64 sec_yields;

u64 exc_handler(u64 type, u64 esr, u64 elr, u64 far)
{
    (void)type;
    (void)far;
    put_hex("unexpected_exception_esr ", esr);
    put_hex("unexpected_exception_elr ", elr);
    guest_shutdown(3);
    return elr;
}

void secondary_main(u64 ctx)
{
    (void)ctx;
    while (!done) {
        hcall(HYPERVISOR_sched_op, 0, 0, 0); /* SCHEDOP_yield */
        sec_yields++;
    }
    smccc(0x84000002, 0, 0, 0); /* PSCI CPU_OFF */
    for (;;)
        ;
}

/* ---- stage-1 tables (4K granule, 39-bit VA, ARM DDI0487 D8.3) ---- */
static u64 l1_ttbr0[512] __attribute__((aligned(4096)));
static u64 l1_kernel[512] __attribute__((aligned(4096)));
static u64 l1_tramp[512] __attribute__((aligned(4096)));
static u64 l2_user[512] __attribute__((aligned(4096)));
static u64 l3_user[512] __attribute__((aligned(4096)));

#define KERNEL_VA_BASE 0xffffff8000000000ul   /* TTBR1 region with T1SZ = 25 */
#define USER_VA 0x80000000ul
#define D_BLOCK 1ul
#define D_TABLE 3ul
#define D_PAGE 3ul
#define ATTR_NORMAL (0ul << 2)
#define ATTR_DEVICE (1ul << 2)
#define AP_EL1_RW (0ul << 6)
#define AP_RO_ALL (3ul << 6)
#define SH_INNER (3ul << 8)
#define AF (1ul << 10)
#define NG (1ul << 11)
#define PXN (1ul << 53)
#define UXN (1ul << 54)

static inline void sysreg_barrier(void)
{
    __asm__ volatile("dsb ish; isb" ::: "memory");
}

static u64 mmu_on(void)
{
    /* TTBR0: identity map of the first 2 GiB: device (GIC) and RAM, EL1 only */
    l1_ttbr0[0] = 0x00000000ul | D_BLOCK | ATTR_DEVICE | AF | AP_EL1_RW | PXN | UXN;
    l1_ttbr0[1] = 0x40000000ul | D_BLOCK | ATTR_NORMAL | SH_INNER | AF | AP_EL1_RW | UXN;
    /* user page at USER_VA: read-only, EL0-executable, not global */
    l1_ttbr0[2] = (u64)l2_user | D_TABLE;
    l2_user[0] = (u64)l3_user | D_TABLE;
    l3_user[0] = (u64)user_code | D_PAGE | ATTR_NORMAL | SH_INNER | AF | AP_RO_ALL | NG | PXN;
    /* TTBR1 kernel map: RAM at KERNEL_VA_BASE + PA, not global (KPTI uses ASIDs) */
    l1_kernel[1] = 0x40000000ul | D_BLOCK | ATTR_NORMAL | SH_INNER | AF | AP_EL1_RW | NG | UXN;
    /* trampoline table: only the trampoline (here: the user page's table), no kernel RAM */
    l1_tramp[3] = (u64)l2_user | D_TABLE;
    sysreg_barrier();
    u64 mair = 0xff | (0x00ul << 8);
    /* TCR: T0SZ = T1SZ = 25, WBWA inner/outer, inner shareable, TG0 4K, TG1 4K, A1 (ASID
     * from TTBR1), IPS 40 bits */
    u64 tcr = 25ul | (1ul << 8) | (1ul << 10) | (3ul << 12) | (0ul << 14) | (25ul << 16) |
              (1ul << 22) | (1ul << 24) | (1ul << 26) | (3ul << 28) | (2ul << 30) | (2ul << 32);
    u64 ttbr1 = (u64)l1_kernel | (2ul << 48);
    kpti_kernel_ttbr1 = ttbr1;
    __asm__ volatile("msr mair_el1, %0; msr tcr_el1, %1; msr ttbr0_el1, %2; msr ttbr1_el1, %3; isb"
                     :: "r"(mair), "r"(tcr), "r"((u64)l1_ttbr0), "r"(ttbr1) : "memory");
    u64 sctlr;
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
    sctlr |= 1ul | (1ul << 2) | (1ul << 12);
    __asm__ volatile("tlbi vmalle1; dsb ish; msr sctlr_el1, %0; isb" :: "r"(sctlr) : "memory");
    return (u64)l1_tramp | (3ul << 48); /* the user ASID (odd), as USER_ASID_FLAG */
}

static u64 entry_time(volatile struct runstate *a)
{
    return a->state_entry_time;
}

int main(u64 dtb)
{
    (void)dtb;
    puts_("runstate test\n");
    /* ---- phase 1 ---- */
    u64 va = (u64)&area0;
    put_dec("vm_assist ", hcall(HYPERVISOR_vm_assist, 0, 5, 0));
    put_dec("register_va ", hcall(HYPERVISOR_vcpu_op, 5, 0, &va));
    put_dec("cpu_on ", smccc(0xc4000003, 1, (u64)secondary_entry, 0));
    put_dec("cpu_on_again ", smccc(0xc4000003, 1, (u64)secondary_entry, 0));
    u64 changes = 0, last = entry_time(&area0);
    for (int i = 0; i < 20; i++) {
        hcall(HYPERVISOR_sched_op, 0, 0, 0);
        u64 t = entry_time(&area0);
        if (t != last)
            changes++;
        last = t;
    }
    put_dec("yield_updates ", (long)changes);
    put_dec("area_state ", area0.state);
    put_dec("runnable_time_pos ", area0.time[1] > 0);
    put_dec("update_flag_clear ", (area0.state_entry_time >> 63) == 0);
    put_dec("invariant ", area0.state_entry_time ==
                              area0.time[0] + area0.time[1] + area0.time[2] + area0.time[3]);
    put_dec("secondary_ran ", sec_yields > 0);
    put_dec("affinity_on ", smccc(0xc4000004, 1, 0, 0));

    /* an area that crosses a page: Xen copies page by page, arm-vmap maps two pages, KVM
     * uses two caches; all keep it consistent */
    static u8 cross_page[8192] __attribute__((aligned(4096)));
    volatile struct runstate *c = (volatile struct runstate *)(cross_page + 4096 - 24);
    va = (u64)c;
    put_dec("register_cross ", hcall(HYPERVISOR_vcpu_op, 5, 0, &va));
    changes = 0;
    last = c->state_entry_time;
    for (int i = 0; i < 5; i++) {
        hcall(HYPERVISOR_sched_op, 0, 0, 0);
        if (c->state_entry_time != last)
            changes++;
        last = c->state_entry_time;
    }
    put_dec("cross_updates ", (long)changes);
    put_dec("cross_invariant ", c->state_entry_time == c->time[0] + c->time[1] + c->time[2] + c->time[3]);
    put_dec("cross_state ", c->state);
    va = (u64)cross_page + 3;
    put_dec("register_unaligned ", hcall(HYPERVISOR_vcpu_op, 5, 0, &va));
    va = 0;
    put_dec("register_zero ", hcall(HYPERVISOR_vcpu_op, 5, 0, &va));
    hcall(HYPERVISOR_sched_op, 0, 0, 0);

    /* ---- phase 2: KPTI ---- */
    u64 tramp = mmu_on();
    puts_("mmu on\n");
    /* pa-flag: bit 30 of the hypercall number makes buffer arguments guest-physical */
    /* 8-byte aligned: the low two bits of a flagged buffer address are the descriptor type */
    static const char pf[] __attribute__((aligned(8))) = "pf\n";
    put_dec("paflag_pa ", hcall(HYPERVISOR_console_io | 0x40000000ul, 0, 3, (u64)pf));
    put_dec("paflag_va ", hcall(HYPERVISOR_console_io | 0x40000000ul, 0, 3, KERNEL_VA_BASE + (u64)pf));
    u64 pa = (u64)&area1;
    long rc14 = hcall(HYPERVISOR_vcpu_op, 14, 0, &pa);
    put_dec("register_pa ", rc14);
    volatile struct runstate *k = (volatile struct runstate *)(KERNEL_VA_BASE + (u64)&area1);
    va = (u64)k;
    put_dec("register_kernel_va ", hcall(HYPERVISOR_vcpu_op, 5, 0, &va));
    hcall(HYPERVISOR_sched_op, 0, 0, 0); /* one switch at EL1: the area is reachable */
    u64 t0 = entry_time(k);
    put_dec("kernel_va_seen ", t0 != 0);
    run_user(USER_VA, 400000, tramp);
    u64 t1 = entry_time(k);
    put_dec("back_from_el0 ", 1);
    put_dec("kpti_updated ", t1 > t0);
    put_dec("kpti_state ", k->state);
    done = 1;
    hcall(HYPERVISOR_sched_op, 0, 0, 0);
    return 0;
}
