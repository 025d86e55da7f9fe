/* workloads/lib/x86_64/sched.c - per-vCPU CPU state (GDT TSS, IDT, SYSCALL MSRs, GS, CR4), the
 * x2APIC and its TSC-deadline timer, ring-3 tasks with a round-robin scheduler, system calls
 * and the trap handler. Mirrors workloads/lib/arm64/sched.c.
 * References: Intel SDM vol. 3A §7.2.3 (64-bit TSS: RSP0 @4, IST1 @36, I/O map base @102),
 * §7.2.3/Figure 7-4 (TSS descriptor, type 9), §6.14.1 (64-bit IDT gate: type 0xE interrupt gate,
 * IST in bits 34:32), §5.8.8 (IA32_STAR 0xC0000081, IA32_LSTAR 0xC0000082, IA32_FMASK
 * 0xC0000084, EFER.SCE), §10.12 (x2APIC: IA32_APIC_BASE EN bit 11 | EXTD bit 10, SVR 0x80F,
 * TPR 0x808, EOI 0x80B, LVT timer 0x832, initial count 0x838, divide 0x83E), §10.5.4.1
 * (TSC-deadline mode: LVT timer bits 18:17 = 10b, IA32_TSC_DEADLINE 0x6E0), §4.10.1 (PCIDs,
 * CR4.PCIDE, MOV to CR3 bit 63 = do not flush). Xen: HVMOP_set_evtchn_upcall_vector
 * (xen/arch/x86/hvm/hvm.c hvmop_set_evtchn_upcall_vector). */
#include "rt.h"
#include "../xen.h"

#define MSR_APIC_BASE    0x1bu
#define MSR_TSC_DEADLINE 0x6e0u
#define MSR_X2APIC_TPR   0x808u
#define MSR_X2APIC_EOI   0x80bu
#define MSR_X2APIC_SVR   0x80fu
#define MSR_X2APIC_LVTT  0x832u
#define MSR_X2APIC_TMICT 0x838u
#define MSR_X2APIC_TDCR  0x83eu
#define MSR_EFER         0xc0000080u
#define MSR_STAR         0xc0000081u
#define MSR_LSTAR        0xc0000082u
#define MSR_FMASK        0xc0000084u
#define MSR_GS_BASE      0xc0000101u
#define MSR_KERNEL_GS    0xc0000102u
#define CR3_NOFLUSH      (1ull << 63)
#define LVT_MASKED       (1u << 16)
#define LVT_TSCDL        (2u << 17)

struct wl_task {
    struct wl_frame ctx;
    uint64_t kcr3, ucr3;      /* kernel view; KPTI user view (+4096, PCID | 1) */
    int alive;
};

struct wl_percpu {
    struct wl_task tasks[WL_MAX_TASKS];
    int ntasks, cur, alive;
    const struct wl_sched_ops *ops;
    uint64_t ticks, period, deadline, upcalls;
};

static struct wl_percpu percpu[WL_MAX_CPUS];

extern uint64_t wl_gdt[];
extern uint8_t wl_tss[], wl_idt[], wl_ist_stacks[], wl_isr_stubs[];
extern char wl_syscall_entry[];
extern char __utext_lma[], __utext_lma_end[];
static const uint64_t utext_va = 0x400000;
static const uint64_t ustack_top = 0x800000;
#define USTACK_PAGES 2

uint64_t wl_stack_top(int cpu)
{
    return (uint64_t)&wl_stacks[cpu][WL_STACK_SIZE];
}

static void put64(uint8_t *p, uint64_t v) { wl_memcpy(p, &v, 8); }

static void idt_init(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t off = (uint64_t)(wl_isr_stubs + 16 * v);
        unsigned ist = (v == 2 || v == 8) ? 1 : 0;     /* NMI, #DF on IST1 */
        uint64_t lo = (off & 0xffff) | ((uint64_t)SEL_KCODE << 16) | ((uint64_t)ist << 32) |
                      (0x8eull << 40) | ((off >> 16) & 0xffff) << 48;
        put64(wl_idt + 16 * v, lo);
        put64(wl_idt + 16 * v + 8, off >> 32);
    }
}

long wl_cpu_init(int cpu)
{
    const struct wl_boot_info *bi = wl_boot_info();
    struct wl_pcpu *pc = &wl_pcpu[cpu];
    pc->self = (uint64_t)pc;
    pc->cpu = (uint64_t)cpu;
    pc->stack_top = wl_stack_top(cpu);
    pc->kpti = (uint32_t)wl_kpti_on;
    pc->kcr3 = pc->ucr3 = wl_kernel_cr3();
    wl_wrmsr(MSR_GS_BASE, (uint64_t)pc);
    wl_wrmsr(MSR_KERNEL_GS, 0);

    /* TSS and its descriptor; LTR. */
    uint8_t *tss = wl_tss + 128 * cpu;
    wl_memset(tss, 0, 104);
    put64(tss + 4, pc->stack_top);                                          /* RSP0 */
    put64(tss + 36, (uint64_t)(wl_ist_stacks + (uint64_t)(cpu + 1) * WL_IST_SIZE));  /* IST1 */
    tss[102] = 104;                                                         /* no I/O bitmap */
    uint64_t base = (uint64_t)tss, limit = 103;
    uint64_t *d = &wl_gdt[SEL_TSS / 8 + 2 * cpu];
    d[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 | ((limit >> 16) & 0xf) << 48 |
           ((base >> 24) & 0xff) << 56;
    d[1] = base >> 32;
    __asm__ volatile("ltr %w0" :: "r"(SEL_TSS + 16 * cpu));

    if (cpu == 0)
        idt_init();
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = {4095,
                                                                              (uint64_t)wl_idt};
    __asm__ volatile("lidt %0" :: "m"(idtr));

    /* SYSCALL/SYSRET. */
    wl_wrmsr(MSR_EFER, wl_rdmsr(MSR_EFER) | 1);                             /* SCE */
    wl_wrmsr(MSR_STAR, (uint64_t)SEL_UCODE32 << 48 | (uint64_t)SEL_KCODE << 32);
    wl_wrmsr(MSR_LSTAR, (uint64_t)wl_syscall_entry);
    wl_wrmsr(MSR_FMASK, 0x47700);                   /* TF DF IF NT AC, as Linux syscall_init */

    /* CR4.PGE (global pages), CR4.PCIDE (tasks get PCIDs). */
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= 1ull << 7;
    if (bi->pcid_on)
        cr4 |= 1ull << 17;
    __asm__ volatile("mov %0, %%cr4" :: "r"(cr4) : "memory");

    /* x2APIC on, timer masked until the scheduler runs. */
    wl_wrmsr(MSR_APIC_BASE, wl_rdmsr(MSR_APIC_BASE) | (1ull << 11) | (1ull << 10));
    wl_wrmsr(MSR_X2APIC_TPR, 0);
    wl_wrmsr(MSR_X2APIC_SVR, 0x100 | WL_VEC_SPURIOUS);
    wl_wrmsr(MSR_X2APIC_LVTT, LVT_MASKED | WL_VEC_TIMER | (bi->tscdl_on ? LVT_TSCDL : 0));

    struct xen_hvm_evtchn_upcall_vector uv = {.vcpu = (uint32_t)cpu, .vector = WL_VEC_UPCALL};
    return wl_hypercall(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, (uint64_t)&uv, 0,
                        0, 0);
}

void wl_sched_init_cpu(int cpu)
{
    percpu[cpu].cur = -1;
}

int wl_task_create(void (*entry)(uint64_t), uint64_t arg)
{
    int cpu = wl_cpu_id();
    struct wl_percpu *pc = &percpu[cpu];
    if (pc->ntasks >= WL_MAX_TASKS)
        return -28;
    int i = pc->ntasks;
    struct wl_task *t = &pc->tasks[i];
    uint64_t *pair = wl_task_pgd_alloc();
    int rc = wl_map(pair, utext_va, wl_va_to_pa(__utext_lma),
                    (uint64_t)(__utext_lma_end - __utext_lma), WL_MAP_USER_RX);
    if (rc)
        return rc;
    for (int p = 0; p < USTACK_PAGES; p++) {
        void *page = wl_page_alloc();
        rc = wl_map(pair, ustack_top - (uint64_t)(USTACK_PAGES - p) * 4096, wl_va_to_pa(page),
                    4096, WL_MAP_USER_RW);
        if (rc)
            return rc;
    }
    wl_task_pgd_sync_user(pair);
    wl_memset(&t->ctx, 0, sizeof(t->ctx));
    t->ctx.rdi = arg;
    t->ctx.rip = (uint64_t)entry;
    t->ctx.cs = SEL_UCODE;
    t->ctx.rflags = 0x202;            /* IF */
    t->ctx.rsp = ustack_top;
    t->ctx.ss = SEL_UDATA;
    uint64_t pa = wl_va_to_pa(pair);
    if (wl_boot_info()->pcid_on) {
        uint64_t pcid = 2 * (uint64_t)(i + 1);       /* per task, as the arm64 ASIDs */
        t->kcr3 = pa | pcid | CR3_NOFLUSH;
        t->ucr3 = (pa + 4096) | (pcid | 1) | CR3_NOFLUSH;
    } else {
        t->kcr3 = pa;
        t->ucr3 = pa + 4096;
    }
    t->alive = 1;
    pc->ntasks++;
    pc->alive++;
    return i;
}

static void load_task(struct wl_percpu *pc, int i)
{
    struct wl_task *t = &pc->tasks[i];
    struct wl_pcpu *e = &wl_pcpu[wl_cpu_id()];
    pc->cur = i;
    e->kcr3 = t->kcr3;
    e->ucr3 = wl_kpti_on ? t->ucr3 : t->kcr3;
    wl_write_cr3(t->kcr3);
}

static void switch_next(struct wl_percpu *pc, struct wl_frame *f)
{
    struct wl_task *cur = &pc->tasks[pc->cur];
    wl_memcpy(&cur->ctx, f, sizeof(*f));
    for (int k = 1; k <= pc->ntasks; k++) {
        int n = (pc->cur + k) % pc->ntasks;
        if (pc->tasks[n].alive) {
            if (n != pc->cur)
                load_task(pc, n);
            wl_memcpy(f, &pc->tasks[n].ctx, sizeof(*f));
            return;
        }
    }
}

static void timer_arm(struct wl_percpu *pc)
{
    const struct wl_boot_info *bi = wl_boot_info();
    if (bi->tscdl_on) {
        wl_wrmsr(MSR_TSC_DEADLINE, pc->deadline);
    } else {
        /* One-shot mode, divide by 1: the TSC distance to the deadline in APIC timer counts. */
        uint64_t now = wl_cntvct();
        uint64_t d = pc->deadline > now ? pc->deadline - now : 1;
        uint64_t khz = bi->tsc_khz ? bi->tsc_khz : 1;
        uint64_t n = (d / khz) * (bi->apic_hz / 1000) + (d % khz) * (bi->apic_hz / 1000) / khz;
        wl_wrmsr(MSR_X2APIC_TMICT, n > 0xffffffffu ? 0xffffffffu : n ? n : 1);
    }
}

WL_NORETURN static void finish(int cpu, struct wl_percpu *pc)
{
    wl_wrmsr(MSR_X2APIC_LVTT, LVT_MASKED | WL_VEC_TIMER);
    wl_wrmsr(MSR_TSC_DEADLINE, 0);
    pc->ops->done(cpu);
}

void wl_sched_run(const struct wl_sched_ops *ops)
{
    int cpu = wl_cpu_id();
    struct wl_percpu *pc = &percpu[cpu];
    const struct wl_boot_info *bi = wl_boot_info();
    pc->ops = ops;
    if (!pc->ntasks)
        finish(cpu, pc);
    uint64_t hz = ops->hz ? ops->hz : 1000;
    pc->period = wl_cntfrq() / hz;
    if (!pc->period)
        pc->period = 1;
    if (!bi->tscdl_on)
        wl_wrmsr(MSR_X2APIC_TDCR, 0xb);                   /* divide by 1 */
    wl_wrmsr(MSR_X2APIC_LVTT, WL_VEC_TIMER | (bi->tscdl_on ? LVT_TSCDL : 0));
    pc->deadline = wl_cntvct() + pc->period;
    load_task(pc, 0);
    timer_arm(pc);
    wl_enter_user(&pc->tasks[0].ctx, wl_stack_top(cpu));
}

static void put_exc(const char *what, const struct wl_frame *f)
{
    uint64_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    wl_puts("wl: ");
    wl_puts(what);
    wl_puts(" vcpu=");
    wl_put_u64((uint64_t)wl_cpu_id());
    wl_puts(" vector=");
    wl_put_u64(f->vector);
    wl_puts(" error=");
    wl_put_hex(f->error);
    wl_puts(" rip=");
    wl_put_hex(f->rip);
    wl_puts(" cr2=");
    wl_put_hex(cr2);
    wl_puts(" rsp=");
    wl_put_hex(f->rsp);
    wl_puts("\n");
}

static void eoi(void)
{
    wl_wrmsr(MSR_X2APIC_EOI, 0);
}

void wl_trap(struct wl_frame *f);
void wl_trap(struct wl_frame *f)
{
    int cpu = wl_cpu_id();
    struct wl_percpu *pc = &percpu[cpu];
    uint64_t vec = f->vector;
    int user = (f->cs & 3) == 3;
    if (vec == WL_VEC_SYSCALL && user && pc->cur >= 0) {
        switch (f->rax) {
        case WL_SYS_YIELD:
            if (pc->ops->on_yield)
                pc->ops->on_yield(cpu);
            f->rax = 0;
            switch_next(pc, f);
            return;
        case WL_SYS_EXIT:
            pc->tasks[pc->cur].alive = 0;
            if (--pc->alive == 0)
                finish(cpu, pc);
            switch_next(pc, f);
            return;
        default:
            f->rax = pc->ops->on_syscall ? (uint64_t)pc->ops->on_syscall(cpu, f->rax, f->rdi)
                                         : (uint64_t)-38;
            return;
        }
    }
    if (vec == WL_VEC_TIMER && user && pc->cur >= 0) {
        eoi();
        uint64_t now = wl_cntvct();
        uint64_t late = now > pc->deadline ? now - pc->deadline : 0;
        pc->deadline += pc->period;
        if (pc->deadline <= now)
            pc->deadline = now + pc->period;         /* missed ticks (vCPU not running) */
        timer_arm(pc);
        pc->ticks++;
        uint64_t khz = wl_boot_info()->tsc_khz;
        if (pc->ops->on_tick)
            pc->ops->on_tick(cpu, khz ? late * 1000000ull / khz : 0);
        if (pc->ticks >= pc->ops->ticks)
            finish(cpu, pc);
        switch_next(pc, f);
        return;
    }
    if (vec == WL_VEC_SPURIOUS)
        return;                                      /* no EOI for the spurious vector */
    if (vec >= 32 && vec < 256) {
        if (vec == WL_VEC_UPCALL)
            pc->upcalls++;
        eoi();
        return;
    }
    put_exc(user ? "user fault" : "kernel fault", f);
    wl_shutdown(0);
}
