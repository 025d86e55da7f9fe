/* workloads/lib/x86_64/boot.c - boot flow, Xen discovery, hypercalls, vCPUs, time, shutdown.
 * Boot protocol: Xen docs/misc/pvh.pandoc (32-bit entry at XEN_ELFNOTE_PHYS32_ENTRY, EBX =
 * struct hvm_start_info, public/arch-x86/hvm/start_info.h). Discovery: the Xen CPUID leaves
 * (public/arch-x86/cpuid.h: signature "XenVMMXenVMM" at 0x40000000 + 0x100 * n, leaf +1 the
 * version, +2 the hypercall-page MSR, +3 the TSC information). Hypercalls: `call
 * hypercall_page + nr * 32` with the number in RAX (set by the stub), arguments RDI RSI RDX
 * R10 R8, result RAX (Linux arch/x86/include/asm/xen/hypercall.h _hypercall5). Secondary
 * vCPUs: VCPUOP_initialise with struct vcpu_hvm_context + VCPUOP_up (pvh.pandoc "AP startup";
 * Xen arch/x86/hvm/domain.c arch_set_info_hvm_guest). */
#include "rt.h"
#include "../xen.h"

static struct wl_boot_info boot_info;
static void (*volatile cpu_fn[WL_MAX_CPUS])(int);
static uint8_t *hypercall_page;
static struct e820entry e820[32];

extern char wl_hypercall_page[], wl_secondary_entry64[], _head[], _end[];

const struct wl_boot_info *wl_boot_info(void) { return &boot_info; }
int wl_cpu_count(void) { return boot_info.ncpus ? boot_info.ncpus : 1; }

int wl_cpu_id(void)
{
    uint64_t v;
    __asm__ volatile("mov %%gs:%c1, %0" : "=r"(v) : "i"(PC_CPU));
    return (int)v;
}

uint64_t wl_cntvct(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

uint64_t wl_cntfrq(void) { return boot_info.tsc_khz * 1000; }

uint64_t wl_now_ns(void)
{
    uint64_t k = boot_info.tsc_khz, t = wl_cntvct();
    if (!k)
        return 0;
    return (t / k) * 1000000ull + (t % k) * 1000000ull / k;
}

long wl_hypercall(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
    register uint64_t rax __asm__("rax") = nr;
    register uint64_t rdi __asm__("rdi") = a0;
    register uint64_t rsi __asm__("rsi") = a1;
    register uint64_t rdx __asm__("rdx") = a2;
    register uint64_t r10 __asm__("r10") = a3;
    register uint64_t r8 __asm__("r8") = a4;
    if (nr < 128 && hypercall_page) {
        /* Xen may clobber the argument registers (debug builds poison the unused ones:
         * xen/arch/x86/hvm/hypercall.c); the stub sets RAX itself. */
        __asm__ volatile("call *%[stub]"
                         : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
                         : [stub] "r"(hypercall_page + nr * 32)
                         : "memory", "rcx", "r9", "r11");
    } else {
        /* Numbers beyond the page (hvsim's pa-flag proposal sets bit 30) are issued with VMCALL
         * directly, as the page's stub would (Intel: mov $nr, %eax; vmcall). */
        __asm__ volatile("vmcall"
                         : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
                         :: "memory", "rcx", "r9", "r11");
    }
    return (long)rax;
}

/* ---- Xen discovery (CPUID leaves, hypercall page, TSC frequency) ---- */
static int xen_discover(struct wl_boot_info *bi)
{
    uint32_t r[4];
    for (uint32_t base = XEN_CPUID_FIRST_LEAF; base < XEN_CPUID_FIRST_LEAF + 0x10000;
         base += 0x100) {
        wl_cpuid(base, 0, r);
        if (r[1] == XEN_CPUID_SIGNATURE_EBX && r[2] == XEN_CPUID_SIGNATURE_ECX &&
            r[3] == XEN_CPUID_SIGNATURE_EDX && r[0] - base >= 2) {
            uint32_t max = r[0];
            bi->xen_base = base;
            wl_cpuid(base + 1, 0, r);
            bi->xen_version = r[0];
            wl_cpuid(base + 2, 0, r);             /* EAX pages, EBX the MSR */
            bi->hypercall_msr = r[1];
            wl_wrmsr(r[1], wl_va_to_pa(wl_hypercall_page));
            hypercall_page = (uint8_t *)wl_hypercall_page;
            if (max >= base + 3) {
                wl_cpuid(base + 3, 0, r);         /* ECX: guest TSC frequency in kHz */
                if (r[2]) {
                    bi->tsc_khz = r[2];
                    bi->tsc_source = "xen-leaf";
                }
            }
            return 0;
        }
    }
    return -1;
}

static void cpu_features(struct wl_boot_info *bi)
{
    uint32_t r[4];
    wl_cpuid(0, 0, r);
    uint32_t max = r[0];
    wl_cpuid(1, 0, r);
    bi->has_pcid = (r[2] >> 17) & 1;
    bi->has_tscdl = (r[2] >> 24) & 1;
    wl_cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000001u) {
        wl_cpuid(0x80000001u, 0, r);
        bi->has_nx = (r[3] >> 20) & 1;
        bi->has_1g = (r[3] >> 26) & 1;
    }
    bi->apic_hz = 1000000000ull;
    if (max >= 0x15) {
        wl_cpuid(0x15, 0, r);
        if (r[2])
            bi->apic_hz = r[2];                 /* the core crystal clock (SDM vol. 3A §10.5.4) */
    }
    if (!bi->tsc_khz && max >= 0x15) {
        wl_cpuid(0x15, 0, r);                   /* TSC = ECX * EBX / EAX (SDM vol. 3B §18.7.3) */
        if (r[0] && r[1] && r[2]) {
            bi->tsc_khz = (uint64_t)r[2] * r[1] / r[0] / 1000;
            bi->tsc_source = "cpuid-15h";
        }
    }
    if (!bi->tsc_khz && max >= 0x16) {
        wl_cpuid(0x16, 0, r);                   /* EAX: base frequency in MHz */
        if (r[0]) {
            bi->tsc_khz = (uint64_t)r[0] * 1000;
            bi->tsc_source = "cpuid-16h";
        }
    }
    if (!bi->tsc_khz) {
        bi->tsc_khz = 1000000;
        bi->tsc_source = "assumed";
    }
}

/* ---- start info and the memory map ---- */
static void reserve(struct wl_boot_info *bi, uint64_t pa, uint64_t len)
{
    if (!len)
        return;
    if (bi->nresv == (int)(sizeof(bi->resv) / sizeof(bi->resv[0])))
        wl_panic("too many boot modules");
    bi->resv[bi->nresv][0] = pa;
    bi->resv[bi->nresv][1] = pa + len;
    bi->nresv++;
}

static int start_info(struct wl_boot_info *bi, uint64_t pa)
{
    bi->start_info_pa = pa;
    if (!pa || pa >= (1ull << 30))
        return -1;
    const struct hvm_start_info *si = wl_pa_to_va(pa);
    if (si->magic != XEN_HVM_START_MAGIC_VALUE)
        return -1;
    bi->start_info_version = si->version;
    reserve(bi, pa, sizeof(*si));
    if (si->cmdline_paddr && si->cmdline_paddr < (1ull << 30)) {
        const char *c = wl_pa_to_va(si->cmdline_paddr);
        uint64_t n = 0;
        while (c[n] && n + 1 < sizeof(bi->bootargs)) {
            bi->bootargs[n] = c[n];
            n++;
        }
        bi->bootargs[n] = 0;
        reserve(bi, si->cmdline_paddr, wl_strlen(c) + 1);
    }
    if (si->nr_modules && si->modlist_paddr && si->modlist_paddr < (1ull << 30)) {
        const struct hvm_modlist_entry *m = wl_pa_to_va(si->modlist_paddr);
        reserve(bi, si->modlist_paddr, si->nr_modules * sizeof(*m));
        for (uint32_t i = 0; i < si->nr_modules; i++)
            reserve(bi, m[i].paddr, m[i].size);
    }
    if (si->version >= 1 && si->memmap_entries && si->memmap_paddr < (1ull << 30)) {
        const struct hvm_memmap_table_entry *e = wl_pa_to_va(si->memmap_paddr);
        reserve(bi, si->memmap_paddr, si->memmap_entries * sizeof(*e));
        for (uint32_t i = 0; i < si->memmap_entries && i < 32; i++) {
            e820[i].addr = e[i].addr;
            e820[i].size = e[i].size;
            e820[i].type = e[i].type;
        }
        bi->memmap_from = 2;
        return (int)(si->memmap_entries < 32 ? si->memmap_entries : 32);
    }
    return 0;
}

static void memory_map(struct wl_boot_info *bi, int n_si)
{
    static struct e820entry buf[32];
    struct xen_memory_map mm = {.nr_entries = 32, .buffer = (uint64_t)buf};
    int n = n_si;
    if (wl_hypercall(__HYPERVISOR_memory_op, XENMEM_memory_map, (uint64_t)&mm, 0, 0, 0) == 0 &&
        mm.nr_entries) {
        n = (int)(mm.nr_entries < 32 ? mm.nr_entries : 32);
        wl_memcpy(e820, buf, sizeof(buf));
        bi->memmap_from = 1;
    }
    uint64_t img = wl_va_to_pa(_head);
    for (int i = 0; i < n; i++) {
        if (e820[i].type == E820_RAM && e820[i].addr <= img && img < e820[i].addr + e820[i].size) {
            bi->ram_base = e820[i].addr;
            bi->ram_size = e820[i].size;
        }
    }
}

/* vCPUs that exist: VCPUOP_is_up answers 0/1 for them and -ENOENT beyond (Linux
 * arch/x86/xen/smp.c xen_filter_cpu_maps counts them this way). */
static int count_vcpus(struct wl_boot_info *bi)
{
    int n = 1;
    for (; n < WL_MAX_CPUS; n++) {
        long rc = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_is_up, (uint64_t)n, 0, 0, 0);
        if (rc < 0) {
            bi->vcpu_probe_rc = rc;
            break;
        }
    }
    return n;
}

long wl_cpu_start(int cpu, void (*fn)(int))
{
    if (cpu <= 0 || cpu >= wl_cpu_count())
        return -XEN_EINVAL;
    cpu_fn[cpu] = fn;
    static struct vcpu_hvm_context ctx;      /* one at a time: started from vCPU 0 */
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
    wl_memset(&ctx, 0, sizeof(ctx));
    ctx.mode = VCPU_HVM_MODE_64B;
    ctx.cpu_regs.x86_64.rip = (uint64_t)wl_secondary_entry64;
    ctx.cpu_regs.x86_64.rsp = wl_stack_top(cpu);
    ctx.cpu_regs.x86_64.rdi = (uint64_t)cpu;
    ctx.cpu_regs.x86_64.rflags = 2;
    ctx.cpu_regs.x86_64.cr0 = cr0;
    ctx.cpu_regs.x86_64.cr3 = wl_kernel_cr3() & WL_PTE_ADDR_MASK;
    ctx.cpu_regs.x86_64.cr4 = cr4 & ~(1ull << 17);   /* PCIDE is set by the vCPU itself */
    ctx.cpu_regs.x86_64.efer = wl_rdmsr(0xc0000080u);
    long rc = wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_initialise, (uint64_t)cpu, (uint64_t)&ctx,
                           0, 0);
    if (rc == -XEN_EFAULT)
        /* The hypervisor could not read the context by its VA: a confidential guest (hvsim
         * --confidential). PSCI CPU_ON on arm64 passes registers only; here the context goes
         * by guest-physical address with hvsim's pa-flag encoding (bit 30 of the number,
         * docs/hv.md "pa-flag encoding"), which real Xen never sees (it reads the VA). */
        rc = wl_hypercall(__HYPERVISOR_vcpu_op | 0x40000000u, VCPUOP_initialise, (uint64_t)cpu,
                          wl_va_to_pa(&ctx), 0, 0);
    if (rc)
        return rc;
    return wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_up, (uint64_t)cpu, 0, 0, 0);
}

WL_NORETURN static void cli_hlt_forever(void)
{
    /* HLT with IF = 0: Xen takes the vCPU down (xen/arch/x86/hvm/hvm.c hvm_hlt). */
    for (;;)
        __asm__ volatile("cli; hlt");
}

void wl_cpu_off(void)
{
    wl_console_flush();
    wl_wrmsr(0x6e0, 0);                                /* IA32_TSC_DEADLINE: disarm */
    wl_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_down, (uint64_t)wl_cpu_id(), 0, 0, 0);
    cli_hlt_forever();
}

/* ---- shutdown ---- */
void wl_shutdown(int ok)
{
    struct sched_shutdown s = {.reason = ok ? SHUTDOWN_poweroff : SHUTDOWN_crash};
    wl_puts(ok ? "wl: shutdown poweroff\n" : "wl: shutdown crash\n");
    wl_console_flush();
    if (wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)&s, 0, 0, 0) ==
        -XEN_EFAULT)
        /* Unreadable by VA (confidential guest): by GPA with the pa-flag encoding, as for
         * VCPUOP_initialise above (arm64 falls back to PSCI SYSTEM_OFF, registers only). */
        wl_hypercall(__HYPERVISOR_sched_op | 0x40000000u, SCHEDOP_shutdown, wl_va_to_pa(&s), 0,
                     0, 0);
    cli_hlt_forever();
}

void wl_panic(const char *msg)
{
    wl_puts("\nwl: PANIC: ");
    wl_puts(msg);
    wl_puts("\n");
    wl_shutdown(0);
}

/* ---- boot ---- */
void wl_boot_main(uint64_t start_info_pa);
void wl_boot_main(uint64_t start_info_pa)
{
    struct wl_boot_info *bi = &boot_info;
    wl_pcpu[0].self = (uint64_t)&wl_pcpu[0];
    wl_wrmsr(0xc0000101u, (uint64_t)&wl_pcpu[0]);        /* IA32_GS_BASE: wl_cpu_id() */
    int have_xen = xen_discover(bi) == 0;
    cpu_features(bi);
    int n_si = start_info(bi, start_info_pa);
    if (n_si < 0)
        wl_puts("wl: no hvm_start_info (magic) in EBX\n");
    wl_params_init(bi->bootargs);
    wl_kpti_on = (int)wl_param_u64("kpti", 0) != 0;
    bi->pcid_on = bi->has_pcid && wl_param_u64("pcid", 1) != 0;
    bi->tscdl_on = bi->has_tscdl && !wl_param_is("timer", "oneshot", 0);
    if (!have_xen)
        wl_panic("no Xen CPUID leaves (XenVMMXenVMM)");
    memory_map(bi, n_si > 0 ? n_si : 0);
    wl_mm_init();
    wl_console_init();
    bi->ncpus = count_vcpus(bi);
    bi->upcall_rc = wl_cpu_init(0);
    wl_puts("wl: x86_64 runtime console=");
    wl_puts(wl_console_name());
    wl_puts(" xen=");
    wl_put_u64(bi->xen_version >> 16);
    wl_puts(".");
    wl_put_u64(bi->xen_version & 0xffff);
    wl_puts(" cpus=");
    wl_put_u64((uint64_t)wl_cpu_count());
    if (bi->vcpu_probe_rc && bi->vcpu_probe_rc != -XEN_ENOENT) {
        wl_puts(" vcpu_probe=");                     /* VCPUOP_is_up refused: not -ENOENT */
        wl_put_i64(bi->vcpu_probe_rc);
    }
    wl_puts(" ram=");
    wl_put_u64(bi->ram_size >> 20);
    wl_puts("M@");
    wl_put_hex(bi->ram_base);
    wl_puts(" start_info=");
    wl_put_hex(bi->start_info_pa);
    wl_puts(" memmap=");
    wl_puts(bi->memmap_from == 1 ? "xenmem" : bi->memmap_from == 2 ? "start_info" : "none");
    wl_puts(" tsc=");
    wl_put_u64(bi->tsc_khz);
    wl_puts("kHz/");
    wl_puts(bi->tsc_source);
    wl_puts(" kpti=");
    wl_put_u64((uint64_t)wl_kpti_on);
    wl_puts(" pcid=");
    wl_put_u64((uint64_t)bi->pcid_on);
    wl_puts(bi->tscdl_on ? " timer=tscdl" : " timer=oneshot");
    wl_puts(" upcall=");
    wl_put_i64(bi->upcall_rc);
    wl_puts("\n");
    wl_sched_init_cpu(0);
    int rc = wl_main();
    wl_shutdown(rc == 0);
}

void wl_secondary_main(int cpu);
void wl_secondary_main(int cpu)
{
    wl_cpu_init(cpu);
    wl_sched_init_cpu(cpu);
    void (*fn)(int) = cpu_fn[cpu];
    if (fn)
        fn(cpu);
    wl_cpu_off();
}
