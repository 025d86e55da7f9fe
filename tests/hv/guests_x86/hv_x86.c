/* tests/hv/guests_x86/hv_x86.c - a PVH guest for the modelled Xen on x86 (test_hv_x86.c).
 * The command line selects the test:
 *   "basic": CPUID discovery, the hypercall page, console_io, HVM params, the e820 map,
 *            add_to_physmap(shared_info), an event channel to itself with the upcall vector,
 *            a VMCALL from CPL 3 (-EPERM), a plain VMCALL, SCHEDOP_shutdown.
 *   "cb":    an event channel to itself through HVM_PARAM_CALLBACK_IRQ (vector type).
 *   "ept":   a store outside guest RAM (the domain is crashed).
 *   "pti":   vCPU 0 registers its runstate area (op 14 by GPA if the profile accepts it,
 *            else op 5 by VA), brings up vCPU 1 and spins in user mode with a "user CR3"
 *            that maps only the .user page; vCPU 1 watches whether the area still changes
 *            while vCPU 0 is preempted there, prints the verdict and shuts down.
 * Every result is one "key=value" console line. */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

extern char hcall_page[];
extern u8 idt[];
extern void upcall_stub(void), int80_stub(void), ap_entry(void);
extern void user_vmcall(void), user_spin(void);
extern char user_stack_top[];
extern u64 enter_user(void (*rip)(void), void *stack, u64 cr3);

__attribute__((aligned(4096))) char hcall_page[4096];
static __attribute__((aligned(4096))) u8 scratch[4096];
static __attribute__((aligned(64))) volatile u8 rs0[64]; /* vCPU 0's runstate area */
static __attribute__((aligned(4096))) u64 user_pml4[512], user_pdpt[512], user_pd[512],
    user_pt[512];
extern char __data_lo[], __data_hi[]; /* GDT, IDT, TSS: what a PTI user CR3 must map */
static __attribute__((aligned(16))) u8 ap_stack[8192];

#define SHINFO_GPFN 0x800ul /* shared_info mapped at GPA 8 MiB */

static long hcall(unsigned nr, u64 a0, u64 a1, u64 a2)
{
    long r;
    register u64 r10 __asm__("r10") = 0;
    __asm__ volatile("call *%1"
                     : "=a"(r)
                     : "r"(hcall_page + 32 * nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                     : "rcx", "r8", "r9", "r11", "memory");
    return r;
}

static void cpuid(u32 leaf, u32 r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static void wrmsr(u32 idx, u64 v)
{
    __asm__ volatile("wrmsr" : : "c"(idx), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static u64 slen(const char *s)
{
    u64 n = 0;
    while (s[n])
        n++;
    return n;
}

static void puts_(const char *s)
{
    hcall(18, 0, slen(s), (u64)s);
}

static void put_kv(const char *k, long v)
{
    char b[80];
    u64 n = 0;
    while (*k)
        b[n++] = *k++;
    b[n++] = '=';
    u64 u = (u64)v;
    if (v < 0) {
        b[n++] = '-';
        u = (u64)-v;
    }
    char d[24];
    int i = 0;
    do {
        d[i++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (i)
        b[n++] = d[--i];
    b[n++] = '\n';
    b[n] = 0;
    puts_(b);
}

static void set_gate(unsigned vec, void (*fn)(void), unsigned dpl)
{
    u64 off = (u64)fn;
    u64 *g = (u64 *)(idt + 16 * vec);
    g[0] = (off & 0xffff) | 0x08ul << 16 | (0x8eul | (u64)dpl << 5) << 40 |
           ((off >> 16) & 0xffff) << 48;
    g[1] = off >> 32;
}

void idt_setup(void)
{
    set_gate(0xf3, upcall_stub, 0);
    set_gate(0x80, int80_stub, 3);
}

static volatile long upcalls, events;

/* The upcall: clear evtchn_upcall_pending, take the pending selector, clear and count the
 * pending ports (2-level ABI: shared_info evtchn_pending @2048, vcpu_info[0] @0). */
void upcall(void)
{
    volatile u8 *sh = (volatile u8 *)(SHINFO_GPFN << 12);
    upcalls++;
    sh[0] = 0;
    u64 sel = __atomic_exchange_n((u64 *)(sh + 8), 0, __ATOMIC_SEQ_CST);
    for (unsigned w = 0; w < 64; w++) {
        if (!(sel & (1ul << w)))
            continue;
        u64 p = __atomic_exchange_n((u64 *)(sh + 2048 + 8 * w), 0, __ATOMIC_SEQ_CST);
        while (p) {
            events++;
            p &= p - 1;
        }
    }
}

static long get_param(unsigned idx)
{
    u64 *p = (u64 *)scratch;
    p[0] = 0x7ff0 | (u64)idx << 32; /* domid DOMID_SELF, index */
    p[1] = 0;
    long rc = hcall(34, 1, (u64)p, 0);
    return rc ? rc : (long)p[1];
}

static long set_param(unsigned idx, u64 val)
{
    u64 *p = (u64 *)scratch;
    p[0] = 0x7ff0 | (u64)idx << 32;
    p[1] = val;
    return hcall(34, 0, (u64)p, 0);
}

/* An event channel to itself delivered through HVM_PARAM_CALLBACK_IRQ of type vector
 * (injected by the hypervisor at VM entry while evtchn_upcall_pending is set). */
static void callback(void)
{
    u32 r[4];
    cpuid(0x40000002, r);
    wrmsr(r[1], (u64)hcall_page);
    u64 *ap = (u64 *)scratch;
    ap[0] = 0x7ff0;
    ap[1] = 0;
    ap[2] = SHINFO_GPFN;
    put_kv("add_to_physmap", hcall(12, 7, (u64)ap, 0));
    /* x2APIC on: the shared stub EOIs (harmless with nothing in service) */
    wrmsr(0x1b, 0xfee00000ul | 1ul << 11 | 1ul << 10);
    wrmsr(0x80f, 0x1ff);
    put_kv("callback_irq", set_param(0, 2ul << 56 | 0xf3));
    __asm__ volatile("sti");
    u16 *au = (u16 *)scratch;
    au[0] = 0x7ff0;
    au[1] = 0x7ff0;
    *(u32 *)(scratch + 4) = 0;
    hcall(32, 6, (u64)au, 0);
    u32 p = *(u32 *)(scratch + 4);
    *(u16 *)scratch = 0x7ff0;
    *(u32 *)(scratch + 4) = p;
    *(u32 *)(scratch + 8) = 0;
    hcall(32, 0, (u64)scratch, 0); /* bind_interdomain: the new port is set pending */
    for (int i = 0; i < 1000 && !events; i++)
        __asm__ volatile("pause");
    long e0 = events;
    *(u32 *)scratch = *(u32 *)(scratch + 8);
    put_kv("send", hcall(32, 4, (u64)scratch, 0));
    for (int i = 0; i < 1000 && events == e0; i++)
        __asm__ volatile("pause");
    /* with interrupts off the callback waits (interrupt-window exiting), then comes at STI */
    long e1 = events;
    __asm__ volatile("cli");
    *(u32 *)scratch = *(u32 *)(scratch + 8);
    hcall(32, 4, (u64)scratch, 0);
    for (int i = 0; i < 100; i++)
        __asm__ volatile("pause");
    put_kv("cb_held_while_cli", events == e1);
    __asm__ volatile("sti; nop");
    for (int i = 0; i < 1000 && events == e1; i++)
        __asm__ volatile("pause");
    put_kv("cb_upcalls", upcalls);
    put_kv("cb_events", events);
}

static void basic(const u8 *si)
{
    u32 r[4], s[4];
    cpuid(0x40000000, s);
    cpuid(0x40000002, r);
    wrmsr(r[1], (u64)hcall_page); /* the page first: console output goes through it */
    put_kv("cpuid_max", s[0] - 0x40000000);
    put_kv("xen_sig", s[1] == 0x566e6558 && s[2] == 0x65584d4d && s[3] == 0x4d4d566e);
    put_kv("hcall_pages", r[0]);
    put_kv("page_stub0", hcall_page[0] == (char)0xb8);
    put_kv("page_stub23", hcall_page[23 * 32] == 0x0f && hcall_page[23 * 32 + 1] == 0x0b &&
                              hcall_page[23 * 32 + 2] == (char)0xcc);
    put_kv("page_stub29", hcall_page[29 * 32 + 1] == 29 && hcall_page[29 * 32 + 7] == (char)0xc1 &&
                              hcall_page[29 * 32 + 9] == (char)0xcc);
    puts_("hello from the x86 PVH guest\n");
    put_kv("version", hcall(17, 0, 0, 0));
    cpuid(1, r);
    put_kv("hypervisor_bit", r[2] >> 31);
    put_kv("start_magic", *(const u32 *)si == 0x336ec578);
    put_kv("store_pfn", get_param(1));
    put_kv("store_evtchn", get_param(2));
    put_kv("console_pfn", get_param(17));
    put_kv("console_evtchn", get_param(18));
    /* XENMEM_memory_map */
    u64 *mm = (u64 *)scratch;
    mm[0] = 8;
    mm[1] = (u64)(scratch + 64);
    put_kv("memory_map", hcall(12, 9, (u64)mm, 0));
    put_kv("e820_entries", (long)(u32)mm[0]);
    put_kv("e820_ram_size_mb", (long)(*(u64 *)(scratch + 64 + 8) >> 20));
    /* XENMEM_add_to_physmap(shared_info) at SHINFO_GPFN */
    u64 *ap = (u64 *)scratch;
    ap[0] = 0x7ff0; /* domid, size 0, space 0 (shared_info) */
    ap[1] = 0;
    ap[2] = SHINFO_GPFN;
    put_kv("add_to_physmap", hcall(12, 7, (u64)ap, 0));
    /* x2APIC on, upcall vector 0xf3, interrupts on */
    wrmsr(0x1b, 0xfee00000ul | 1ul << 11 | 1ul << 10);
    wrmsr(0x80f, 0x1ff);
    u32 *uv = (u32 *)scratch;
    uv[0] = 0;
    uv[1] = 0xf3;
    put_kv("upcall_vector", hcall(34, 23, (u64)uv, 0));
    __asm__ volatile("sti");
    /* EVTCHNOP_alloc_unbound {dom, remote_dom, port} then bind_interdomain to it */
    u16 *au = (u16 *)scratch;
    au[0] = 0x7ff0;
    au[1] = 0x7ff0;
    *(u32 *)(scratch + 4) = 0;
    put_kv("alloc_unbound", hcall(32, 6, (u64)au, 0));
    u32 p = *(u32 *)(scratch + 4);
    *(u16 *)scratch = 0x7ff0;
    *(u32 *)(scratch + 4) = p;
    *(u32 *)(scratch + 8) = 0;
    put_kv("bind_interdomain", hcall(32, 0, (u64)scratch, 0));
    u32 q = *(u32 *)(scratch + 8);
    long e0 = events;
    *(u32 *)scratch = q;
    put_kv("send", hcall(32, 4, (u64)scratch, 0));
    for (int i = 0; i < 1000 && events == e0; i++)
        __asm__ volatile("pause");
    put_kv("upcalls", upcalls);
    put_kv("event_after_send", events > e0);
    /* plain VMCALL (no hypercall page) */
    long v;
    __asm__ volatile("vmcall" : "=a"(v) : "a"(17ul), "D"(0ul) : "memory");
    put_kv("plain_vmcall", v);
    put_kv("user_vmcall", (long)enter_user(user_vmcall, user_stack_top, 0));
    /* CR0.NE is host-owned: the guest reads its shadow; setting it exits (CR access) */
    u64 cr0, cr0b, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | 0x20) : "memory");
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0b));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    put_kv("cr0_ne_before", (long)((cr0 >> 5) & 1));
    put_kv("cr0_ne_after", (long)((cr0b >> 5) & 1));
    put_kv("cr0_pg", (long)(cr0b >> 31));
    put_kv("cr4_vmxe", (long)((cr4 >> 13) & 1));
    puts_("basic done\n");
}

static volatile int vcpu0_in_user;
static volatile long op14_rc;

static long vcpu_op(int cmd, unsigned vcpu, void *arg)
{
    return hcall(24, (u64)cmd, vcpu, (u64)arg);
}

static u64 rs_entry_time(void)
{
    return *(volatile u64 *)(rs0 + 8) & ~(1ul << 63);
}

void ap_main(void)
{
    /* vCPU 1: wait until vCPU 0 is in user mode, take a snapshot, let vCPU 0 run a few
     * slices (each switch away from it is a runstate update with its user CR3 live) */
    while (!vcpu0_in_user)
        hcall(29, 0, 0, 0); /* SCHEDOP_yield */
    hcall(29, 0, 0, 0);
    u64 t0 = rs_entry_time();
    for (int i = 0; i < 4; i++)
        hcall(29, 0, 0, 0);
    u64 t1 = rs_entry_time();
    put_kv("op14", op14_rc);
    puts_(t1 != t0 ? "rs_verdict=updated\n" : "rs_verdict=stale\n");
    u32 reason = 0;
    hcall(29, 2, (u64)&reason, 0);
}

static void pti(void)
{
    u32 r[4];
    cpuid(0x40000002, r);
    wrmsr(r[1], (u64)hcall_page);
    hcall(21, 0, 5, 0); /* VMASST_TYPE_runstate_update_flag */
    /* op 14 by GPA (identity-mapped: the address is the GPA), else op 5 by VA */
    u64 *a = (u64 *)scratch;
    a[0] = (u64)rs0;
    op14_rc = vcpu_op(14, 0, a);
    if (op14_rc)
        put_kv("op5", vcpu_op(5, 0, a));
    /* the user CR3: the 2 MiB page of .user (6 MiB), user-accessible, and (as PTI's
     * cpu_entry_area) the pages of .data with the GDT, IDT and TSS, supervisor-only; not
     * .bss, where the runstate area is */
    user_pml4[0] = (u64)user_pdpt | 7;
    user_pdpt[0] = (u64)user_pd | 7;
    user_pd[3] = 0x600000ul | 0x87;
    user_pd[0] = (u64)user_pt | 3;
    for (u64 pg = (u64)__data_lo & ~4095ul; pg < (u64)__data_hi; pg += 4096)
        user_pt[(pg >> 12) & 511] = pg | 3;
    /* vCPU 1 in 64-bit mode on the kernel tables (struct vcpu_hvm_context, mode 1) */
    u64 *c = (u64 *)scratch;
    for (int i = 0; i < 16; i++)
        c[i] = 0;
    c[0] = 1;                               /* mode VCPU_HVM_MODE_64B */
    c[1 + 4] = (u64)(ap_stack + sizeof(ap_stack)); /* rsp */
    c[1 + 8] = (u64)ap_entry;               /* rip */
    c[1 + 9] = 2;                           /* rflags */
    c[1 + 10] = 0x80000011;                 /* cr0: PG | ET | PE */
    c[1 + 11] = 0x1000;                     /* cr3: the kernel PML4 */
    c[1 + 12] = 0x220;                      /* cr4: PAE | OSFXSR */
    c[1 + 13] = 0x500;                      /* efer: LME | LMA */
    put_kv("initialise", vcpu_op(0, 1, c));
    put_kv("up", vcpu_op(1, 1, 0));
    vcpu0_in_user = 1;
    enter_user(user_spin, user_stack_top, (u64)user_pml4);
}

void guest_main(u32 start_info)
{
    const u8 *si = (const u8 *)(u64)start_info;
    const char *cmd = (const char *)*(const u64 *)(si + 24);
    if (cmd[0] == 'p' && cmd[1] == 't' && cmd[2] == 'i') {
        pti();
        return;
    }
    if (cmd[0] == 'c' && cmd[1] == 'b') {
        callback();
        u32 reason = 0;
        hcall(29, 2, (u64)&reason, 0);
        return;
    }
    if (cmd[0] == 'e' && cmd[1] == 'p' && cmd[2] == 't') {
        /* a store to guest-physical 512 MiB, beyond the 64 MiB of RAM: EPT violation */
        *(volatile u64 *)0x20000000ul = 1;
        return;
    }
    basic(si);
    u32 reason = 0; /* SHUTDOWN_poweroff */
    put_kv("shutdown", hcall(29, 2, (u64)&reason, 0));
}
