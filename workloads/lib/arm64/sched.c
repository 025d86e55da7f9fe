/* workloads/lib/arm64/sched.c - GIC (v2 MMIO or v3 system registers, chosen from the device
 * tree), the EL1 virtual timer, EL0 tasks with a round-robin scheduler, system calls and the
 * exception handlers.
 * GICv2: ARM IHI0048B §4.3 (GICD_CTLR 0x000, ISENABLERn 0x100, IPRIORITYRn 0x400) and §4.4
 * (GICC_CTLR 0x00, PMR 0x04, IAR 0x0C, EOIR 0x10). GICv3: ARM IHI0069 §12 (GICD_CTLR ARE_NS
 * bit 4, EnableGrp1A bit 1, RWP bit 31; GICR_TYPER 0x08, GICR_WAKER 0x14; SGI frame +0x10000:
 * IGROUPR0 0x80, ISENABLER0 0x100, IPRIORITYR 0x400; ICC_* system registers §12.2).
 * Timer: ARM DDI0487 D11 (CNTV_CVAL_EL0, CNTV_CTL_EL0 ENABLE bit 0, IMASK bit 1).
 * Exceptions: ESR_EL1.EC 0x15 = SVC from AArch64 (D17.2.37). */
#include "rt.h"

/* Non-architected names for the GICv3 CPU interface registers (assemblers without them). */
#define ICC_SRE_EL1     "s3_0_c12_c12_5"
#define ICC_PMR_EL1     "s3_0_c4_c6_0"
#define ICC_IGRPEN1_EL1 "s3_0_c12_c12_7"
#define ICC_IAR1_EL1    "s3_0_c12_c12_0"
#define ICC_EOIR1_EL1   "s3_0_c12_c12_1"

struct wl_task {
    struct wl_frame ctx;
    uint64_t ttbr0;
    uint32_t asid;        /* kernel ASID (even); the user ASID under KPTI is asid | 1 */
    int alive;
};

struct wl_percpu {
    struct wl_task tasks[WL_MAX_TASKS];
    int ntasks, cur, alive;
    const struct wl_sched_ops *ops;
    uint64_t ticks, period, deadline;
    volatile uint32_t *gicr_sgi;
};

static struct wl_percpu percpu[WL_MAX_CPUS];
static volatile uint32_t *gicd, *gicc;
static volatile int gic_lock;

extern char __utext_lma[], __utext_lma_end[];   /* where .utext sits in the image */
static const uint64_t utext_va = 0x400000;
static const uint64_t ustack_top = 0x800000;
#define USTACK_PAGES 2

static inline void w32(volatile uint32_t *base, uint32_t off, uint32_t v) { base[off / 4] = v; }
static inline uint32_t r32(volatile uint32_t *base, uint32_t off) { return base[off / 4]; }

uint64_t wl_stack_top(int cpu)
{
    extern uint8_t wl_stacks[WL_MAX_CPUS][WL_STACK_SIZE];
    return (uint64_t)&wl_stacks[cpu][WL_STACK_SIZE];
}

static volatile uint32_t *map_dev(uint64_t pa, uint64_t size)
{
    uint64_t base = pa & ~0x1fffffull;
    uint64_t end = (pa + size + 0x1fffff) & ~0x1fffffull;
    for (uint64_t a = base; a < end; a += 0x200000) {
        /* Another vCPU (or the console) may have mapped this 2 MiB already: -17 is fine. */
        wl_map(wl_kpgd[0], a + wl_voff, a, 0x200000, WL_MAP_DEVICE);
    }
    return wl_pa_to_va(pa);
}

static void set_priority(volatile uint32_t *base, uint32_t intid, uint8_t prio)
{
    uint32_t off = 0x400 + (intid & ~3u), sh = (intid & 3) * 8;
    w32(base, off, (r32(base, off) & ~(0xffu << sh)) | ((uint32_t)prio << sh));
}

void wl_gic_init(int cpu)
{
    const struct wl_boot_info *bi = wl_boot_info();
    uint32_t irq = bi->vtimer_intid;
    wl_lock(&gic_lock);
    if (!gicd && bi->gic_version)
        gicd = map_dev(bi->gicd, bi->gicd_size ? bi->gicd_size : 0x10000);
    if (bi->gic_version == 2 && !gicc)
        gicc = map_dev(bi->gicc, bi->gicc_size ? bi->gicc_size : 0x2000);
    if (bi->gic_version == 3 && cpu == 0 && bi->gicr)
        map_dev(bi->gicr, bi->gicr_size ? bi->gicr_size : 0x20000ull * WL_MAX_CPUS);
    wl_unlock(&gic_lock);
    if (bi->gic_version == 2) {
        if (cpu == 0)
            w32(gicd, 0x000, 1);                       /* GICD_CTLR.Enable */
        set_priority(gicd, irq, 0xa0);
        w32(gicd, 0x100, 1u << irq);                   /* GICD_ISENABLER0 (banked) */
        w32(gicc, 0x04, 0xf0);                         /* GICC_PMR */
        w32(gicc, 0x00, 1);                            /* GICC_CTLR.Enable */
    } else if (bi->gic_version == 3) {
        if (cpu == 0) {
            w32(gicd, 0x000, (1u << 4) | (1u << 1));   /* ARE_NS | EnableGrp1A */
            while (r32(gicd, 0x000) & (1u << 31))
                ;
        }
        /* Find this vCPU's redistributor by affinity (GICR_TYPER[63:32]). */
        uint64_t mpidr = WL_SYSREG_READ(mpidr_el1);
        uint32_t aff = (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 32 & 0xff) << 24));
        volatile uint32_t *rd = wl_pa_to_va(bi->gicr);
        for (int i = 0; i < 64; i++) {
            volatile uint32_t *f = (volatile uint32_t *)((volatile uint8_t *)rd + 0x20000 * i);
            uint32_t typer_lo = r32(f, 0x08), typer_hi = r32(f, 0x0c);
            if (typer_hi == aff) {
                rd = f;
                break;
            }
            if (typer_lo & (1u << 4))                  /* Last */
                break;
        }
        w32(rd, 0x14, r32(rd, 0x14) & ~(1u << 1));     /* GICR_WAKER.ProcessorSleep = 0 */
        while (r32(rd, 0x14) & (1u << 2))              /* ChildrenAsleep */
            ;
        volatile uint32_t *sgi = (volatile uint32_t *)((volatile uint8_t *)rd + 0x10000);
        percpu[cpu].gicr_sgi = sgi;
        w32(sgi, 0x80, r32(sgi, 0x80) | (1u << irq));  /* group 1 */
        set_priority(sgi, irq, 0xa0);
        w32(sgi, 0x100, 1u << irq);
        uint64_t sre;
        __asm__ volatile("mrs %0, " ICC_SRE_EL1 : "=r"(sre));
        __asm__ volatile("msr " ICC_SRE_EL1 ", %0; isb" :: "r"(sre | 1));
        __asm__ volatile("msr " ICC_PMR_EL1 ", %0" :: "r"((uint64_t)0xf0));
        __asm__ volatile("msr " ICC_IGRPEN1_EL1 ", %0; isb" :: "r"((uint64_t)1));
    }
}

uint32_t wl_gic_ack(void)
{
    if (wl_boot_info()->gic_version == 3) {
        uint64_t v;
        __asm__ volatile("mrs %0, " ICC_IAR1_EL1 "; dsb sy" : "=r"(v) :: "memory");
        return (uint32_t)v & 0xffffff;
    }
    return gicc ? r32(gicc, 0x0c) & 0x3ff : 1023;
}

void wl_gic_eoi(uint32_t intid)
{
    if (wl_boot_info()->gic_version == 3)
        __asm__ volatile("msr " ICC_EOIR1_EL1 ", %0; isb" :: "r"((uint64_t)intid));
    else if (gicc)
        w32(gicc, 0x10, intid);
}

void wl_set_kernel_ttbr1(uint32_t asid)
{
    WL_SYSREG_WRITE(ttbr1_el1, wl_va_to_pa(wl_kpgd[0]) | ((uint64_t)asid << 48));
    WL_ISB();
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
    uint64_t *l0 = wl_page_alloc();
    int rc = wl_map(l0, utext_va, wl_va_to_pa(__utext_lma),
                    (uint64_t)(__utext_lma_end - __utext_lma), WL_MAP_USER_RX);
    if (rc)
        return rc;
    for (int p = 0; p < USTACK_PAGES; p++) {
        void *page = wl_page_alloc();
        rc = wl_map(l0, ustack_top - (uint64_t)(USTACK_PAGES - p) * 4096, wl_va_to_pa(page), 4096,
                    WL_MAP_USER_RW);
        if (rc)
            return rc;
    }
    wl_memset(&t->ctx, 0, sizeof(t->ctx));
    t->ctx.x[0] = arg;
    t->ctx.elr = (uint64_t)entry;
    t->ctx.sp_el0 = ustack_top;
    t->ctx.spsr = 0;                  /* EL0t, interrupts unmasked */
    t->ttbr0 = wl_va_to_pa(l0);
    t->asid = 2 * (uint32_t)(i + 1);
    t->alive = 1;
    pc->ntasks++;
    pc->alive++;
    return i;
}

static void load_task(struct wl_percpu *pc, int i)
{
    struct wl_task *t = &pc->tasks[i];
    pc->cur = i;
    WL_SYSREG_WRITE(ttbr0_el1, t->ttbr0);
    wl_set_kernel_ttbr1(t->asid);     /* ASIDs are per task: no TLB maintenance on a switch */
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
    WL_SYSREG_WRITE(cntv_cval_el0, pc->deadline);
    WL_SYSREG_WRITE(cntv_ctl_el0, 1);
    WL_ISB();
}

WL_NORETURN static void finish(int cpu, struct wl_percpu *pc)
{
    WL_SYSREG_WRITE(cntv_ctl_el0, 0);
    pc->ops->done(cpu);
}

void wl_sched_run(const struct wl_sched_ops *ops)
{
    int cpu = wl_cpu_id();
    struct wl_percpu *pc = &percpu[cpu];
    pc->ops = ops;
    if (!pc->ntasks)
        finish(cpu, pc);
    uint64_t hz = ops->hz ? ops->hz : 1000;
    pc->period = wl_cntfrq() / hz;
    if (!pc->period)
        pc->period = 1;
    pc->deadline = wl_cntvct() + pc->period;
    load_task(pc, 0);
    timer_arm(pc);
    wl_enter_user(&pc->tasks[0].ctx, wl_stack_top(cpu));
}

static void put_exc(const char *what, uint64_t esr, uint64_t elr, uint64_t far)
{
    wl_puts("wl: ");
    wl_puts(what);
    wl_puts(" vcpu=");
    wl_put_u64((uint64_t)wl_cpu_id());
    wl_puts(" esr=");
    wl_put_hex(esr);
    wl_puts(" elr=");
    wl_put_hex(elr);
    wl_puts(" far=");
    wl_put_hex(far);
    wl_puts("\n");
}

void wl_exc_el0(struct wl_frame *f, int irq);
void wl_exc_el0(struct wl_frame *f, int irq)
{
    int cpu = wl_cpu_id();
    struct wl_percpu *pc = &percpu[cpu];
    if (irq) {
        uint32_t id = wl_gic_ack();
        if (id >= 1020)
            return;                                  /* spurious */
        if (id != wl_boot_info()->vtimer_intid) {
            wl_gic_eoi(id);
            return;
        }
        uint64_t now = wl_cntvct();
        uint64_t late = now > pc->deadline ? now - pc->deadline : 0;
        pc->deadline += pc->period;
        if (pc->deadline <= now)
            pc->deadline = now + pc->period;         /* missed ticks (vCPU not running) */
        timer_arm(pc);
        wl_gic_eoi(id);
        pc->ticks++;
        uint64_t f_hz = wl_cntfrq();
        if (pc->ops->on_tick)
            pc->ops->on_tick(cpu, f_hz ? late * 1000000000ull / f_hz : 0);
        if (pc->ticks >= pc->ops->ticks)
            finish(cpu, pc);
        switch_next(pc, f);
        return;
    }
    uint64_t esr = WL_SYSREG_READ(esr_el1);
    if ((esr >> 26) == 0x15) {
        switch (f->x[8]) {
        case WL_SYS_YIELD:
            if (pc->ops->on_yield)
                pc->ops->on_yield(cpu);
            f->x[0] = 0;
            switch_next(pc, f);
            return;
        case WL_SYS_EXIT:
            pc->tasks[pc->cur].alive = 0;
            if (--pc->alive == 0)
                finish(cpu, pc);
            switch_next(pc, f);
            return;
        default:
            f->x[0] = pc->ops->on_syscall ? (uint64_t)pc->ops->on_syscall(cpu, f->x[8], f->x[0])
                                          : (uint64_t)-38;
            return;
        }
    }
    put_exc("user fault", esr, f->elr, WL_SYSREG_READ(far_el1));
    wl_shutdown(0);
}

void wl_exc_el1(struct wl_frame *f);
void wl_exc_el1(struct wl_frame *f)
{
    put_exc("kernel fault", WL_SYSREG_READ(esr_el1), f->elr, WL_SYSREG_READ(far_el1));
    wl_shutdown(0);
}
