/* workloads/lib/x86_64/rt.h - the x86_64 (PVH) guest runtime beyond the arch-neutral wl.h, with
 * the same names as workloads/lib/arm64/rt.h so that the guests build for both: boot facts from
 * struct hvm_start_info and CPUID, vCPUs (VCPUOP_initialise/up), ring-3 tasks with a
 * round-robin scheduler driven by the x2APIC TSC-deadline timer, SYSCALL system calls, 4-level
 * page tables and KPTI (a user CR3 that maps only user pages and the entry area). */
#ifndef WL_X86_64_RT_H
#define WL_X86_64_RT_H

#include <stdint.h>

#include "asm.h"
#include "../wl.h"

#define WL_NORETURN __attribute__((noreturn))

/* What the start info (EBX at entry), CPUID and Xen said. */
struct wl_boot_info {
    uint64_t start_info_pa;
    uint32_t start_info_version;
    uint64_t ram_base, ram_size;      /* the RAM range holding the image (e820 type 1) */
    uint64_t resv[8][2];              /* [pa, end) of start info, command line, modlist, */
    int nresv;                        /* modules, memmap: the page allocator skips them */
    int memmap_from;                  /* 1: XENMEM_memory_map, 2: start info memmap, 0: none */
    uint32_t xen_base;                /* CPUID leaf base of the Xen leaves (0x40000000 + n) */
    uint32_t xen_version;             /* CPUID base+1 EAX: major << 16 | minor */
    uint32_t hypercall_msr;
    uint64_t tsc_khz;
    const char *tsc_source;           /* "xen-leaf", "cpuid-15h", "cpuid-16h", "assumed" */
    int ncpus;
    long vcpu_probe_rc;               /* VCPUOP_is_up's answer for the first absent vCPU */
    int has_nx, has_pcid, has_1g, has_tscdl, pcid_on;
    int tscdl_on;                     /* timer=tscdl (default when CPUID.1:ECX[24]) | oneshot */
    uint64_t apic_hz;                 /* one-shot mode: APIC timer clock (CPUID 0x15 ECX, else
                                         Xen's vLAPIC bus, 1 GHz: vlapic.c APIC_BUS_CYCLE_NS) */
    long upcall_rc;                   /* HVMOP_set_evtchn_upcall_vector on vCPU 0 */
    char bootargs[512];
};
const struct wl_boot_info *wl_boot_info(void);

/* Memory: kernel VA <-> PA (the linear map), page allocator, mappings (4-level, 48-bit VAs).
 * wl_kpgd[0] is the kernel PML4 (the template whose upper half every task shares); wl_kpgd[1]
 * its KPTI user twin, one page above (Linux's 8 KiB PGD pair, PTI_USER_PGTABLE_BIT). */
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
uint64_t *wl_pte_lookup(uint64_t *l0, uint64_t va); /* level-1 (4 KiB) PTE of va, or 0 */
#define WL_PTE_ADDR_MASK 0x000ffffffffff000ull

/* vCPUs. */
int wl_cpu_id(void);
int wl_cpu_count(void);                          /* vCPUs that exist (VCPUOP_is_up) */
long wl_cpu_start(int cpu, void (*fn)(int cpu)); /* VCPUOP_initialise + VCPUOP_up */
WL_NORETURN void wl_cpu_off(void);               /* VCPUOP_down */

/* Time: the TSC and its frequency (the names match arm64's CNTVCT_EL0 / CNTFRQ_EL0 so that the
 * guests time themselves the same way on both; wl.h WL_COUNTER_NAME says which it is). */
uint64_t wl_cntvct(void);
uint64_t wl_cntfrq(void);

/* Tasks: ring-3 code lives in .utext (WL_USER), linked at its user VA; it may use only its
 * registers, its stack and system calls (SYSCALL: number in RAX, argument in RDI, result in
 * RAX; RCX and R11 clobbered, SDM vol. 2B SYSCALL). */
#define WL_USER __attribute__((section(".utext"), noinline))
#define WL_SYS_YIELD 0
#define WL_SYS_EXIT  1
static inline long wl_syscall(uint64_t nr, uint64_t a0)
{
    register uint64_t rax __asm__("rax") = nr;
    register uint64_t rdi __asm__("rdi") = a0;
    __asm__ volatile("syscall" : "+r"(rax), "+r"(rdi) :: "rcx", "r11", "memory");
    return (long)rax;
}
/* The user VA of a WL_USER function (read through memory, as on arm64). */
#define WL_USER_ENTRY(fn) ({ static void (*volatile const wl_p_)(uint64_t) = (fn); wl_p_; })

struct wl_sched_ops {
    uint32_t hz;                                  /* timer ticks per second */
    uint64_t ticks;                               /* stop after this many ticks on this vCPU */
    void (*on_tick)(int cpu, uint64_t late_ns);   /* each timer tick, before switching task */
    void (*on_yield)(int cpu);                    /* WL_SYS_YIELD, before switching task */
    WL_NORETURN void (*done)(int cpu);            /* ticks reached or all tasks exited */
    /* Other system call numbers: the result for RAX (NULL: -38, ENOSYS). */
    long (*on_syscall)(int cpu, uint64_t nr, uint64_t a0);
};
int wl_task_create(void (*entry)(uint64_t), uint64_t arg);
WL_NORETURN void wl_sched_run(const struct wl_sched_ops *ops);

void wl_lock(volatile int *l);
void wl_unlock(volatile int *l);

/* Barriers with arm64's names. x86 is TSO (SDM vol. 3A §8.2.2): loads are not reordered with
 * loads nor stores with stores, so the DMB flavours the guests use (ishld, ishst, ish around
 * the runstate reader protocol) need only the compiler barrier (Linux smp_rmb/smp_wmb on
 * x86); DSB becomes MFENCE; ISB (context synchronisation after a page-table write) needs
 * nothing on x86 beyond the barrier (SDM vol. 3A §4.10.4.3: a new PTE is used once written). */
#define WL_DMB(opt) __asm__ volatile("" ::: "memory")
#define WL_DSB(opt) __asm__ volatile("mfence" ::: "memory")
#define WL_ISB() __asm__ volatile("" ::: "memory")

/* ---- internal to the runtime ---- */
struct wl_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};
struct wl_pcpu {
    uint64_t self, kcr3, ucr3, stack_top, user_rsp, cpu;
    uint32_t kpti, pad;
    uint64_t pad2;
};
extern struct wl_pcpu wl_pcpu[WL_MAX_CPUS];
extern int wl_kpti_on;
extern uint64_t wl_kpgd[2][512];
extern uint8_t wl_stacks[WL_MAX_CPUS][WL_STACK_SIZE];
void wl_console_init(void);
void wl_console_flush(void);
void wl_params_init(const char *cmdline);
void wl_mm_init(void);
long wl_cpu_init(int cpu);                       /* GDT/TSS/IDT, MSRs, GS, x2APIC; returns
                                                    HVMOP_set_evtchn_upcall_vector's result */
WL_NORETURN void wl_enter_user(const struct wl_frame *ctx, uint64_t stack_top);
uint64_t wl_stack_top(int cpu);
void wl_sched_init_cpu(int cpu);
uint64_t wl_kernel_cr3(void);                    /* CR3 of the kernel template (no task) */
uint64_t *wl_task_pgd_alloc(void);               /* a task's 8 KiB PML4 pair */
void wl_task_pgd_sync_user(uint64_t *pair);

static inline uint64_t wl_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}
static inline void wl_wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void wl_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}
static inline uint64_t wl_read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
static inline void wl_write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory");
}

int wl_strcmp(const char *a, const char *b);
int wl_strncmp(const char *a, const char *b, uint64_t n);
uint64_t wl_strlen(const char *s);
void wl_memcpy(void *d, const void *s, uint64_t n);
void wl_memset(void *d, int c, uint64_t n);

#endif
