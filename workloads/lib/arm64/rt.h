/* workloads/lib/arm64/rt.h - the arm64 guest runtime beyond the arch-neutral wl.h: boot facts
 * from the device tree, vCPUs (PSCI), EL0 tasks with a round-robin scheduler driven by the
 * generic timer (CNTV) through the GIC, system calls, page tables and KPTI. */
#ifndef WL_ARM64_RT_H
#define WL_ARM64_RT_H

#include <stdint.h>

#include "asm.h"
#include "../wl.h"

#define WL_NORETURN __attribute__((noreturn))

/* What the device tree (x0 at entry) said. */
struct wl_boot_info {
    uint64_t dtb_pa, dtb_size;
    uint64_t ram_base, ram_size;
    int gic_version;              /* 2: "arm,cortex-a15-gic"/"arm,gic-400"; 3: "arm,gic-v3" */
    uint64_t gicd, gicd_size;
    uint64_t gicc, gicc_size;     /* GICv2 CPU interface */
    uint64_t gicr, gicr_size;     /* GICv3 redistributors */
    uint32_t vtimer_intid;        /* "arm,armv8-timer" interrupts[2] (virtual), + 16 */
    int has_hypervisor;           /* /hypervisor "xen,xen" (only with xen,enhanced) */
    char xen_compat[32];          /* e.g. "xen,xen-4.17" */
    int has_pl011;                /* "arm,sbsa-uart" (Xen's vPL011) or "arm,pl011" */
    uint64_t pl011;
    int psci_hvc;                 /* /psci method = "hvc" */
    int ncpus;
    uint64_t mpidr[WL_MAX_CPUS];
    char bootargs[512];
};
const struct wl_boot_info *wl_boot_info(void);

/* Memory: kernel VA <-> PA (the linear map), page allocator, mappings (4K granule, 48-bit). */
uint64_t wl_va_to_pa(const void *va);
void *wl_pa_to_va(uint64_t pa);
void *wl_page_alloc(void);                       /* zeroed, kernel VA; panics when out of RAM */
enum wl_map_kind { WL_MAP_KERNEL, WL_MAP_DEVICE, WL_MAP_USER_RX, WL_MAP_USER_RW };
int wl_map(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind);
int wl_kpti(void);                               /* kpti=1 on the command line */
void *wl_pages_alloc(uint64_t n, uint64_t align);   /* contiguous, PA aligned; 0 if no RAM */
int wl_map_pages(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind);
int wl_map_gran(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind,
                uint64_t gran);                  /* leaf size gran: 4K, 2M or 1G */
uint64_t *wl_pte_lookup(uint64_t *l0, uint64_t va); /* level-3 descriptor of va, or 0 */
#define WL_PTE_ADDR_MASK 0x0000fffffffff000ull

/* vCPUs. */
int wl_cpu_id(void);
int wl_cpu_count(void);                          /* vCPUs in the device tree */
long wl_psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
#define PSCI_0_2_FN_CPU_OFF     0x84000002u
#define PSCI_0_2_FN64_CPU_ON    0xC4000003u
#define PSCI_0_2_FN_SYSTEM_OFF  0x84000008u
long wl_cpu_start(int cpu, void (*fn)(int cpu)); /* PSCI CPU_ON; fn runs with the MMU on */
WL_NORETURN void wl_cpu_off(void);

/* Time. */
uint64_t wl_cntvct(void);
uint64_t wl_cntfrq(void);

/* Tasks: EL0 code lives in .utext (WL_USER), linked at its user VA; it may use only its
 * registers, its stack and system calls (no kernel data, no kernel functions). */
#define WL_USER __attribute__((section(".utext"), noinline))
#define WL_SYS_YIELD 0
#define WL_SYS_EXIT  1
static inline long wl_syscall(uint64_t nr, uint64_t a0)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x8 __asm__("x8") = nr;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
    return (long)x0;
}
/* The user VA of a WL_USER function (read through memory: the kernel is linked too far from
 * the user addresses for PC-relative addressing). */
#define WL_USER_ENTRY(fn) ({ static void (*volatile const wl_p_)(uint64_t) = (fn); wl_p_; })

struct wl_sched_ops {
    uint32_t hz;                                  /* timer ticks per second */
    uint64_t ticks;                               /* stop after this many ticks on this vCPU */
    void (*on_tick)(int cpu, uint64_t late_ns);   /* each timer tick, before switching task */
    void (*on_yield)(int cpu);                    /* WL_SYS_YIELD, before switching task */
    WL_NORETURN void (*done)(int cpu);            /* ticks reached or all tasks exited */
    /* Other system call numbers: the result for x0 (NULL: -38, ENOSYS). */
    long (*on_syscall)(int cpu, uint64_t nr, uint64_t a0);
};
/* Create an EL0 task on the calling vCPU: entry(arg) at EL0 with its own stack and tables. */
int wl_task_create(void (*entry)(uint64_t), uint64_t arg);
WL_NORETURN void wl_sched_run(const struct wl_sched_ops *ops);

/* Spin lock for the runtime and guests (needs the MMU on: exclusives on Normal memory). */
void wl_lock(volatile int *l);
void wl_unlock(volatile int *l);

/* Internal to the runtime. */
struct wl_frame {
    uint64_t x[31];
    uint64_t sp_el0, elr, spsr;
};
extern int wl_kpti_on;
extern uint64_t wl_voff;
extern int wl_mmu_enabled;
extern uint64_t wl_kpgd[2][512];
void wl_console_init(void);
void wl_console_flush(void);
void wl_gic_init(int cpu);
uint32_t wl_gic_ack(void);
void wl_gic_eoi(uint32_t intid);
int wl_fdt_parse(uint64_t dtb_pa, struct wl_boot_info *bi);
void wl_params_init(const char *bootargs);
void wl_mm_init(void);
void wl_set_kernel_ttbr1(uint32_t asid);
WL_NORETURN void wl_enter_user(const struct wl_frame *ctx, uint64_t stack_top);
uint64_t wl_stack_top(int cpu);
void wl_sched_init_cpu(int cpu);

#define WL_SYSREG_READ(name) ({ uint64_t v_; __asm__ volatile("mrs %0, " #name : "=r"(v_)); v_; })
#define WL_SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0" :: "r"((uint64_t)(v)))
#define WL_ISB() __asm__ volatile("isb" ::: "memory")
#define WL_DSB(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define WL_DMB(opt) __asm__ volatile("dmb " #opt ::: "memory")

int wl_strcmp(const char *a, const char *b);
int wl_strncmp(const char *a, const char *b, uint64_t n);
uint64_t wl_strlen(const char *s);
void wl_memcpy(void *d, const void *s, uint64_t n);
void wl_memset(void *d, int c, uint64_t n);

#endif
