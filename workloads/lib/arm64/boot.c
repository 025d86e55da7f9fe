/* workloads/lib/arm64/boot.c - boot flow, hypercalls, PSCI, parameters, shutdown.
 * Boot protocol: Linux Documentation/arch/arm64/booting.rst (EL1, MMU off, x0 = DTB).
 * Hypercalls: HVC #0xEA1, number in x16, arguments x0-x4, result x0, x1-x4/x16 clobbered
 * (Xen public/arch-arm.h; shared/reference/xen-abi.md §1.1). PSCI: SMC Calling Convention
 * over HVC #0 (ARM DEN 0022 PSCI 1.1 §5; Xen arch/arm/vpsci.c). */
#include "rt.h"
#include "../xen.h"

uint8_t wl_stacks[WL_MAX_CPUS][WL_STACK_SIZE] __attribute__((aligned(16)));
static struct wl_boot_info boot_info;
static void (*volatile cpu_fn[WL_MAX_CPUS])(int);
static int early_err;

extern char wl_secondary_entry[];
int wl_early_tables(void);

const struct wl_boot_info *wl_boot_info(void) { return &boot_info; }
int wl_cpu_count(void) { return boot_info.ncpus ? boot_info.ncpus : 1; }
int wl_cpu_id(void) { return (int)WL_SYSREG_READ(tpidr_el1); }
uint64_t wl_cntvct(void) { WL_ISB(); return WL_SYSREG_READ(cntvct_el0); }
uint64_t wl_cntfrq(void) { return WL_SYSREG_READ(cntfrq_el0); }

uint64_t wl_now_ns(void)
{
    uint64_t f = wl_cntfrq(), t = wl_cntvct();
    if (!f)
        return 0;
    return (t / f) * 1000000000ull + (t % f) * 1000000000ull / f;
}

long wl_hypercall(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    register uint64_t x4 __asm__("x4") = a4;
    register uint64_t x16 __asm__("x16") = nr;
    __asm__ volatile("hvc #0xea1"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x16)
                     :: "memory");
    return (long)x0;
}

long wl_psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :: "memory", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
                        "x13", "x14", "x15", "x16", "x17");
    return (long)x0;
}

long wl_cpu_start(int cpu, void (*fn)(int))
{
    if (cpu <= 0 || cpu >= wl_cpu_count())
        return -2;                           /* PSCI_RET_INVALID_PARAMS */
    cpu_fn[cpu] = fn;
    WL_DSB(ish);
    return wl_psci(PSCI_0_2_FN64_CPU_ON, boot_info.mpidr[cpu], wl_va_to_pa(wl_secondary_entry),
                   (uint64_t)cpu);
}

void wl_cpu_off(void)
{
    wl_console_flush();
    WL_SYSREG_WRITE(cntv_ctl_el0, 0);
    wl_psci(PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void wl_lock(volatile int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        while (*l)
            ;
}

void wl_unlock(volatile int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}


/* ---- shutdown ---- */
void wl_shutdown(int ok)
{
    struct sched_shutdown s = {.reason = ok ? SHUTDOWN_poweroff : SHUTDOWN_crash};
    wl_puts(ok ? "wl: shutdown poweroff\n" : "wl: shutdown crash\n");
    wl_console_flush();
    wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)&s, 0, 0, 0);
    wl_psci(PSCI_0_2_FN_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

void wl_panic(const char *msg)
{
    wl_puts("\nwl: PANIC: ");
    wl_puts(msg);
    wl_puts("\n");
    wl_shutdown(0);
}

/* ---- boot ---- */

/* MMU off: read the device tree and the command line, build the early tables. */
void wl_early(uint64_t dtb);
void wl_early(uint64_t dtb)
{
    if (wl_fdt_parse(dtb, &boot_info))
        early_err = 1;
    wl_params_init(boot_info.bootargs);
    wl_kpti_on = (int)wl_param_u64("kpti", 0) != 0;
    if (wl_early_tables())
        early_err = 2;
}

void wl_boot_main(uint64_t dtb);
void wl_boot_main(uint64_t dtb)
{
    (void)dtb;
    wl_mmu_enabled = 1;
    if (early_err == 1)
        wl_panic("no valid device tree in x0");
    if (early_err == 2)
        wl_panic("load address not congruent with the link address modulo 1 GiB");
    wl_mm_init();
    wl_console_init();
    const struct wl_boot_info *bi = &boot_info;
    wl_puts("wl: arm64 runtime console=");
    wl_puts(wl_console_name());
    wl_puts(" gic=v");
    wl_put_u64((uint64_t)bi->gic_version);
    wl_puts(" cpus=");
    wl_put_u64((uint64_t)wl_cpu_count());
    wl_puts(" ram=");
    wl_put_u64(bi->ram_size >> 20);
    wl_puts("M@");
    wl_put_hex(bi->ram_base);
    wl_puts(" dtb=");
    wl_put_hex(bi->dtb_pa);
    wl_puts(" kpti=");
    wl_put_u64((uint64_t)wl_kpti_on);
    wl_puts(" hypervisor-node=");
    wl_puts(bi->has_hypervisor ? bi->xen_compat : "none");
    wl_puts("\n");
    wl_gic_init(0);
    wl_sched_init_cpu(0);
    int rc = wl_main();
    wl_shutdown(rc == 0);
}

void wl_secondary_main(int cpu);
void wl_secondary_main(int cpu)
{
    wl_gic_init(cpu);
    wl_sched_init_cpu(cpu);
    void (*fn)(int) = cpu_fn[cpu];
    if (fn)
        fn(cpu);
    wl_cpu_off();
}
