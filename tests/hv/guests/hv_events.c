/* tests/hv/guests/hv_events.c - HVM params, the PV console ring, shared_info / vcpu_info,
 * 2-level event channels with the upcall on PPI 31, grant table ops, memory_op, multicall
 * and the vPL011, under the modelled Xen. Prints "name value" lines. */
#include "guest.h"

#define HYPERVISOR_memory_op 12
#define HYPERVISOR_multicall 13
#define HYPERVISOR_grant_table_op 20
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_hvm_op 34
#define DOMID_SELF 0x7ff0
#define GICD 0x03001000ul
#define GICC 0x03002000ul
#define MMIO32(a) (*(volatile u32 *)(a))

struct hvm_param {
    unsigned short domid;
    unsigned short pad;
    u32 index;
    u64 value;
};

struct vcpu_info {
    u8 upcall_pending, upcall_mask, pad[6];
    u64 pending_sel;
    u8 time[32];
};

struct shared_info {
    struct vcpu_info vcpu_info[1];
    u64 pending[64];
    u64 mask[64];
};

static u8 shinfo_page[4096] __attribute__((aligned(4096)));
static u8 vi_page[4096] __attribute__((aligned(4096)));
static volatile u64 upcalls, events_seen, ppi31, last_other_iar;

u64 exc_handler(u64 type, u64 esr, u64 elr, u64 far)
{
    (void)far;
    if ((type & 0xf) == 1) {
        u32 iar = MMIO32(GICC + 0x0c);
        if ((iar & 0x3ff) == 31) {
            ppi31++;
            /* the 2-level upcall (Linux xen_evtchn_handle_events / evtchn_2l_handle_events) */
            volatile struct vcpu_info *vi = (volatile struct vcpu_info *)(vi_page + 64);
            volatile struct shared_info *si = (volatile struct shared_info *)shinfo_page;
            vi->upcall_pending = 0;
            u64 sel = __atomic_exchange_n(&vi->pending_sel, 0, __ATOMIC_SEQ_CST);
            upcalls++;
            for (int w = 0; w < 64; w++) {
                if (!((sel >> w) & 1))
                    continue;
                u64 p = si->pending[w] & ~si->mask[w];
                si->pending[w] &= ~p;
                events_seen += (u64)__builtin_popcountl(p);
            }
        }
        else
            last_other_iar = iar;
        MMIO32(GICC + 0x10) = iar;
        return elr;
    }
    put_hex("unexpected_exception_esr ", esr);
    guest_shutdown(3);
    return elr;
}

void secondary_main(u64 ctx)
{
    (void)ctx;
}

static long get_param(u32 index, u64 *val, unsigned short domid)
{
    struct hvm_param p = {domid, 0, index, 0};
    long rc = hcall(HYPERVISOR_hvm_op, 1, &p, 0);
    *val = p.value;
    return rc;
}

static long evtchn(int cmd, void *arg)
{
    return hcall(HYPERVISOR_event_channel_op, cmd, arg, 0);
}

int main(u64 dtb)
{
    (void)dtb;
    u64 v;
    put_dec("console_pfn_rc ", get_param(17, &v, DOMID_SELF));
    put_hex("console_pfn ", v);
    put_dec("console_evtchn_rc ", get_param(18, &v, DOMID_SELF));
    u32 cport = (u32)v;
    put_dec("console_evtchn ", (long)v);
    get_param(1, &v, DOMID_SELF);
    put_dec("store_pfn ", (long)v);
    get_param(0, &v, DOMID_SELF);
    put_hex("callback_irq ", v);
    put_dec("param_bad_index ", get_param(40, &v, DOMID_SELF));
    put_dec("param_bad_dom ", get_param(17, &v, 0));
    struct hvm_param sp = {DOMID_SELF, 0, 2, 0x1234};
    put_dec("set_param ", hcall(HYPERVISOR_hvm_op, 0, &sp, 0));
    get_param(2, &v, 1);
    put_hex("param_back ", v);
    put_dec("hvm_op_unknown ", hcall(HYPERVISOR_hvm_op, 99, &sp, 0));

    /* PV console ring at CONSOLE_PFN: out[] @1024, out_cons @3080, out_prod @3084 */
    volatile u8 *ring = (volatile u8 *)0x39000000ul;
    const char *msg = "ring hello\n";
    u32 prod = *(volatile u32 *)(ring + 3084);
    for (const char *s = msg; *s; s++)
        ring[1024 + (prod++ % 2048)] = (u8)*s;
    __asm__ volatile("dmb ish" ::: "memory");
    *(volatile u32 *)(ring + 3084) = prod;
    u32 send_port = cport;
    put_dec("send_console ", evtchn(4, &send_port));
    put_dec("ring_consumed ", *(volatile u32 *)(ring + 3080) == prod);

    /* shared_info and vcpu_info */
    struct { unsigned short domid, size; u32 space; u64 idx, gpfn; } xatp =
        {DOMID_SELF, 0, 0, 0, (u64)shinfo_page >> 12};
    put_dec("map_shared_info ", hcall(HYPERVISOR_memory_op, 7, &xatp, 0));
    xatp.idx = 1;
    put_dec("map_shared_info_idx1 ", hcall(HYPERVISOR_memory_op, 7, &xatp, 0));
    struct { u64 mfn; u32 offset, rsvd; } vinfo = {(u64)vi_page >> 12, 64, 0};
    put_dec("vcpu_info ", hcall(HYPERVISOR_vcpu_op, 10, 0, &vinfo));
    put_dec("vcpu_info_again ", hcall(HYPERVISOR_vcpu_op, 10, 0, &vinfo));
    volatile struct vcpu_info *vi = (volatile struct vcpu_info *)(vi_page + 64);
    put_dec("vi_upcall_pending ", vi->upcall_pending);
    put_hex("vi_pending_sel ", vi->pending_sel);

    /* event delivery through the GIC: PPI 31 */
    MMIO32(GICD + 0x000) = 1;
    MMIO32(GICD + 0x100) = 1u << 31;
    MMIO32(GICC + 0x004) = 0xf0;
    MMIO32(GICC + 0x000) = 1;
    __asm__ volatile("msr daifclr, #2; isb" ::: "memory");
    put_dec("spurious_upcall ", (long)ppi31);     /* the one map_vcpu_info raises */
    u32 ipi[2] = {0, 0};
    put_dec("bind_ipi ", evtchn(7, ipi));
    put_dec("ipi_port ", ipi[1]);
    u64 before = events_seen;
    u32 sp2 = ipi[1];
    put_dec("send_ipi ", evtchn(4, &sp2));
    put_dec("ipi_delivered ", (long)(events_seen - before));
    /* masked: no upcall until unmask */
    volatile struct shared_info *si = (volatile struct shared_info *)shinfo_page;
    si->mask[0] |= 1ul << ipi[1];
    before = events_seen;
    evtchn(4, &sp2);
    put_dec("masked_delivered ", (long)(events_seen - before));
    struct { u64 ports; u32 nr, pad; u64 timeout; } poll = {(u64)&sp2, 1, 0, 0};
    put_dec("poll_pending ", hcall(HYPERVISOR_sched_op, 3, &poll, 0));
    put_dec("unmask ", evtchn(9, &sp2));
    put_dec("unmask_delivered ", (long)(events_seen - before));
    u32 unb[2] = {DOMID_SELF | (DOMID_SELF << 16), 0}; /* dom, remote_dom (u16 each), port */
    put_dec("alloc_unbound ", evtchn(6, unb));
    u32 unbound_port = unb[1];
    put_dec("unbound_port ", unbound_port);
    struct { unsigned short rdom, pad; u32 rport, lport; } bi = {DOMID_SELF, 0, unbound_port, 0};
    before = events_seen;
    put_dec("bind_interdomain ", evtchn(0, &bi));
    put_dec("loopback_port ", bi.lport);
    u32 lp = bi.lport;
    put_dec("send_loopback ", evtchn(4, &lp));
    put_dec("loopback_delivered ", (long)(events_seen - before));
    struct { unsigned short dom, pad; u32 port, status, vcpu; u32 u[2]; } st = {DOMID_SELF, 0, 1, 0, 0, {0, 0}};
    put_dec("status_rc ", evtchn(5, &st));
    put_dec("status_console ", st.status);
    struct { u32 virq, vcpu, port; } bv = {1, 0, 0};
    put_dec("bind_virq ", evtchn(1, &bv));
    put_dec("bind_virq_again ", evtchn(1, &bv));
    bv.vcpu = 5;
    put_dec("bind_virq_novcpu ", evtchn(1, &bv));
    put_dec("close ", evtchn(3, &sp2));
    put_dec("close_again ", evtchn(3, &sp2));
    put_dec("send_closed ", evtchn(4, &sp2));
    put_dec("init_control ", evtchn(11, &sp2));
    MMIO32(GICD + 0xf00) = (2u << 24) | 5;  /* GICD_SGIR: SGI 5 to this CPU */
    put_hex("sgi_iar ", last_other_iar);
    __asm__ volatile("msr daifset, #2; isb" ::: "memory");

    /* grant table */
    struct { unsigned short dom, pad; u32 nr, max; short status, pad2; } qs = {DOMID_SELF, 0, 0, 0, 0, 0};
    put_dec("query_size ", hcall(HYPERVISOR_grant_table_op, 6, &qs, 1));
    put_dec("gnt_frames ", qs.nr);
    put_dec("gnt_max ", qs.max);
    u32 ver = 1;
    put_dec("set_version1 ", hcall(HYPERVISOR_grant_table_op, 8, &ver, 1));
    ver = 3;
    put_dec("set_version3 ", hcall(HYPERVISOR_grant_table_op, 8, &ver, 1));
    xatp.space = 1;
    xatp.idx = 0;
    xatp.gpfn = 0x38000;
    put_dec("map_grant_frame ", hcall(HYPERVISOR_memory_op, 7, &xatp, 0));
    put_dec("memory_map ", hcall(HYPERVISOR_memory_op, 9, 0, 0));

    /* multicall: two xen_version(0) and an unknown hypercall */
    static u64 mc[3][8];
    mc[0][0] = HYPERVISOR_xen_version;
    mc[1][0] = HYPERVISOR_xen_version;
    mc[2][0] = 99;
    put_dec("multicall ", hcall(HYPERVISOR_multicall, mc, 3, 0));
    put_hex("mc0 ", mc[0][1]);
    put_hex("mc1 ", mc[1][1]);
    put_dec("mc2 ", (long)mc[2][1]);

    /* vPL011 (with --vpl011) */
    volatile u32 *uart = (volatile u32 *)0x22000000ul;
    put_hex("uart_fr ", uart[0x18 / 4]);
    for (const char *s = "uart hello\n"; *s; s++)
        uart[0] = (u8)*s;
    puts_("events done\n");
    return 0;
}
