/* tests/hv/guests/hv_basic.c - hypercall results under the modelled Xen: prints one line per
 * check ("name value") through console_io; tests/hv/test_hv_arm.c compares the lines. */
#include "guest.h"

static volatile u64 exc_count, exc_esr, exc_elr, exc_far, exc_type;

static volatile u64 irq_count, irq_last;
#define GICD 0x03001000ul
#define GICC 0x03002000ul
#define MMIO32(a) (*(volatile u32 *)(a))

u64 exc_handler(u64 type, u64 esr, u64 elr, u64 far)
{
    if ((type & 0xf) == 1) { /* IRQ: acknowledge, silence the timer, EOI */
        u32 iar = MMIO32(GICC + 0x0c);
        irq_count++;
        irq_last = iar;
        __asm__ volatile("msr cntv_ctl_el0, xzr; isb");
        MMIO32(GICC + 0x10) = iar;
        return elr;
    }
    exc_count++;
    exc_type = type;
    exc_esr = esr;
    exc_elr = elr;
    exc_far = far;
    u64 ec = esr >> 26;
    /* UNDEF injected for an HVC: ELR is already past it; a data abort: skip the access */
    return ec == 0x24 || ec == 0x25 ? elr + 4 : elr;
}

static char buf[1024];

static long cmp_str(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

void secondary_main(u64 ctx)
{
    (void)ctx;
}

int main(u64 dtb)
{
    puts_("hello from the hv test guest\n");
    put_hex("dtb ", dtb);
    put_hex("dtb_magic ", *(volatile u32 *)dtb);
    put_hex("version ", (u64)hcall(HYPERVISOR_xen_version, 0, 0, 0));
    put_dec("extraversion_rc ", hcall(HYPERVISOR_xen_version, 1, buf, 0));
    puts_("extraversion ");
    puts_(buf);
    puts_("\n");
    put_dec("capabilities_rc ", hcall(HYPERVISOR_xen_version, 3, buf, 0));
    put_dec("capabilities_ok ", cmp_str(buf, "xen-3.0-aarch64 xen-3.0-armv7l "));
    u32 fi[2] = {0, 0};
    put_dec("get_features_rc ", hcall(HYPERVISOR_xen_version, 6, fi, 0));
    put_hex("features0 ", fi[1]);
    fi[0] = 1;
    put_dec("get_features1_rc ", hcall(HYPERVISOR_xen_version, 6, fi, 0));
    put_dec("pagesize ", hcall(HYPERVISOR_xen_version, 7, 0, 0));
    put_dec("xenver_unknown ", hcall(HYPERVISOR_xen_version, 99, 0, 0));
    put_dec("unknown_hcall ", hcall(99, 0, 0, 0));
    put_dec("bad_pointer ", hcall(HYPERVISOR_console_io, 0, 4, 0x10));
    put_dec("bad_features_ptr ", hcall(HYPERVISOR_xen_version, 6, 0x20, 0));
    put_dec("regs_preserved ", regs_preserved(HYPERVISOR_xen_version, 0));
    /* a 300-byte console write goes out in 127-byte chunks and must arrive intact */
    static char longline[301];
    for (int i = 0; i < 299; i++)
        longline[i] = (char)('a' + i % 26);
    longline[299] = '\n';
    put_dec("long_write_rc ", hcall(HYPERVISOR_console_io, 0, 300, longline));
    /* null hypercalls for the cost check */
    for (int i = 0; i < 10; i++)
        hcall(HYPERVISOR_xen_version, 0, 0, 0);
    /* vm_assist */
    put_dec("vm_assist_5 ", hcall(HYPERVISOR_vm_assist, 0, 5, 0));
    put_dec("vm_assist_1 ", hcall(HYPERVISOR_vm_assist, 0, 1, 0));
    /* vcpu_op: ops other than 5/10 are -EINVAL on Arm; a missing vCPU -ENOENT */
    put_dec("vcpu_is_up ", hcall(HYPERVISOR_vcpu_op, 3, 0, 0));
    u64 area_va = (u64)buf;
    put_dec("runstate_va_bad_vcpu ", hcall(HYPERVISOR_vcpu_op, 5, 7, &area_va));
    /* op 14 */
    u64 pa = (u64)buf;
    put_dec("op14 ", hcall(HYPERVISOR_vcpu_op, 14, 0, &pa));
    pa = ((u64)buf & ~4095ul) + 4096 - 16; /* 8-aligned, crosses into the next page */
    put_dec("op14_cross ", hcall(HYPERVISOR_vcpu_op, 14, 0, &pa));
    pa = ~0ul;
    put_dec("op14_unreg ", hcall(HYPERVISOR_vcpu_op, 14, 0, &pa));
    /* SMCCC / PSCI */
    put_hex("psci_version ", (u64)smccc(0x84000000, 0, 0, 0));
    put_hex("smccc_version ", (u64)smccc(0x80000000, 0, 0, 0));
    put_dec("trng_version ", smccc(0x84000050, 0, 0, 0));
    put_dec("psci_features_cpu_on ", smccc(0x8400000a, 0xc4000003, 0, 0));
    put_dec("affinity_info_1 ", smccc(0xc4000004, 1, 0, 0));
    /* HVC with another immediate: Xen injects an UNDEF (EC 0) */
    __asm__ volatile("hvc #1" ::: "memory");
    put_dec("undef_count ", (long)exc_count);
    put_hex("undef_ec ", exc_esr >> 26);
    put_hex("undef_type ", exc_type);
    /* an access to an unmapped IPA: Xen injects a data abort (EC 0x25 from EL1) */
    exc_count = 0;
    (void)*(volatile u32 *)0x10000000ul;
    put_dec("dabt_count ", (long)exc_count);
    put_hex("dabt_ec ", exc_esr >> 26);
    put_hex("dabt_far ", exc_far);
    /* GIC distributor through the trap-and-emulate path */
    put_hex("gicd_iidr ", *(volatile u32 *)0x03001008ul);
    /* the virtual timer through the GICv2 model: PPI 27, WFI blocks until it fires */
    MMIO32(GICD + 0x000) = 1;             /* GICD_CTLR enable */
    MMIO32(GICD + 0x100) = 1u << 27;      /* GICD_ISENABLER0: PPI 27 */
    MMIO32(GICC + 0x004) = 0xf0;          /* GICC_PMR */
    MMIO32(GICC + 0x000) = 1;             /* GICC_CTLR enable */
    put_hex("gicd_isenabler0 ", MMIO32(GICD + 0x100));
    u64 frq;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    u64 t0 = read_cntvct();
    u64 when = t0 + frq / 1000;           /* 1 ms */
    __asm__ volatile("msr cntv_cval_el0, %0; mov x9, #1; msr cntv_ctl_el0, x9; isb"
                     :: "r"(when) : "x9");
    __asm__ volatile("msr daifclr, #2");  /* unmask IRQs */
    while (!irq_count)
        __asm__ volatile("wfi");
    __asm__ volatile("msr daifset, #2");
    u64 t1 = read_cntvct();
    put_dec("timer_irq ", (long)irq_last);
    put_dec("timer_irqs ", (long)irq_count);
    put_dec("timer_waited ", t1 >= when);
    put_dec("timer_not_late ", t1 < when + frq / 10000);
    put_hex("gicc_iar_idle ", MMIO32(GICC + 0x0c));
    puts_("bye\n");
    return 0;
}
