/* hv/evtchn.c - event channels with the 2-level ABI (xen/common/event_channel.c,
 * event_2l.c) delivered through shared_info / vcpu_info and the arch's upcall (Arm: the
 * event PPI 31 through the vGIC; x86: the upcall vector through the VMCS), the PV console
 * ring at the console magic page drained when the guest notifies its channel (the backend
 * xenconsoled would be; here the hypervisor plays it), HVM parameters (xen/arch/arm/hvm.c,
 * xen/arch/x86/hvm/hvm.c hvmop_set_param; other hvm_op sub-ops are the arch's),
 * the grant table frames (xen/common/grant_table.c), memory_op (xen/common/memory.c,
 * xen/arch/arm/mm.c xenmem_add_to_physmap_one) and multicall (xen/common/multicall.c). */
#include <errno.h>
#include <string.h>

#include "hv/domain.h"

#define DOMID_SELF 0x7ff0u
/* struct shared_info: vcpu_info[XEN_LEGACY_MAX_VCPUS] @0, then evtchn_pending[64] and
 * evtchn_mask[64] at arch offsets (arm64: 48 and 560; x86_64: 2048 and 2560) */
#define SHINFO_PENDING (d->hv->ops->shinfo_pending)
#define SHINFO_MASK (d->hv->ops->shinfo_mask)
/* struct vcpu_info (arm64 and x86_64): evtchn_upcall_pending @0, evtchn_pending_sel @8 */
#define VI_PENDING_SEL 8u
/* struct xencons_interface */
#define CONS_OUT 1024u
#define CONS_OUT_SIZE 2048u
#define CONS_OUT_CONS 3080u
#define CONS_OUT_PROD 3084u

static uint64_t rd(struct hv_vcpu *cur, uint64_t pa, unsigned n)
{
    uint8_t b[8] = {0};
    hv_read_pa(cur, pa, b, n);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void wr(struct hv_vcpu *cur, uint64_t pa, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    hv_write_pa(cur, pa, b, n);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* Where v's vcpu_info lives: the registered one, else shared_info->vcpu_info[id] for the
 * first XEN_LEGACY_MAX_VCPUS vCPUs (1 on Arm, 32 on x86), else none (dummy_vcpu_info). */
uint64_t hv_vcpu_info_pa(struct hv_vcpu *v)
{
    const struct hv_arch_ops *o = v->d->hv->ops;
    if (v->vcpu_info_set)
        return v->vcpu_info_pa;
    return v->id < o->legacy_vcpus ? v->d->shinfo_pa + (uint64_t)v->id * o->vcpu_info_size : 0;
}

bool hv_evtchn_upcall_pending(struct hv_vcpu *v)
{
    uint64_t pa = hv_vcpu_info_pa(v);
    uint64_t b = 0;
    if (pa)
        sim_mem_read(&v->d->hv->m->mem, pa, 1, &b);
    return b & 1;
}

/* vcpu_mark_events_pending: set evtchn_upcall_pending, arch_evtchn_inject (Arm:
 * vgic_inject_irq(GUEST_EVTCHN_PPI); x86: the upcall vector). */
static void mark_events_pending(struct hv_vcpu *cur, struct hv_vcpu *v)
{
    uint64_t pa = hv_vcpu_info_pa(v);
    if (!pa)
        return;
    if (!(rd(cur, pa, 1) & 1)) {
        wr(cur, pa, 1, 1);
        v->d->hv->ops->evtchn_inject(v);
    }
}

void hv_evtchn_set_pending(struct hv_vcpu *cur, struct hv_domain *d, unsigned port)
{
    struct hv_evtchn *ch = &d->evtchn[port];
    struct hv_vcpu *v = d->vcpu[ch->vcpu < d->nvcpus ? ch->vcpu : 0];
    uint64_t word = port / 64, bit = 1ull << (port % 64);
    uint64_t ppa = d->shinfo_pa + SHINFO_PENDING + 8 * word;
    uint64_t pend = rd(cur, ppa, 8);
    if (pend & bit)
        return;
    wr(cur, ppa, pend | bit, 8);
    if (rd(cur, d->shinfo_pa + SHINFO_MASK + 8 * word, 8) & bit)
        return;
    uint64_t vi = hv_vcpu_info_pa(v);
    if (!vi)
        return;
    uint64_t sel = rd(cur, vi + VI_PENDING_SEL, 8);
    if (sel & (1ull << word))
        return;
    wr(cur, vi + VI_PENDING_SEL, sel | (1ull << word), 8);
    mark_events_pending(cur, v);
}

int hv_evtchn_init(struct hv_domain *d)
{
    d->shinfo_pa = hv_alloc(d->hv, 4096, 4096);
    if (!d->shinfo_pa)
        return -ENOMEM;
    memset(d->evtchn, 0, sizeof(d->evtchn));
    memset(d->virq_port, 0, sizeof(d->virq_port));
    /* The console channel the toolstack allocates for the console backend (port 1,
     * interdomain to the backend); the arch's builder sets the HVM params that name it. */
    d->console_port = 1;
    d->evtchn[1].state = ECS_INTERDOMAIN;
    d->evtchn[1].console = true;
    d->hvm_param[HVM_PARAM_CONSOLE_EVTCHN] = d->console_port;
    return 0;
}

/* The console backend: copy out[] from out_cons to out_prod to stdout, advance out_cons. */
static void console_drain(struct hv_vcpu *cur, struct hv_domain *d)
{
    uint32_t cons = (uint32_t)rd(cur, d->console_pa + CONS_OUT_CONS, 4);
    uint32_t prod = (uint32_t)rd(cur, d->console_pa + CONS_OUT_PROD, 4);
    if (prod - cons > CONS_OUT_SIZE)
        cons = prod - CONS_OUT_SIZE; /* a guest that overran the ring: keep the newest */
    char buf[CONS_OUT_SIZE];
    unsigned n = 0;
    while (cons != prod) {
        buf[n++] = (char)rd(cur, d->console_pa + CONS_OUT + (cons % CONS_OUT_SIZE), 1);
        cons++;
    }
    hv_console_write(d, buf, n);
    fflush(d->hv->m->console);
    wr(cur, d->console_pa + CONS_OUT_CONS, cons, 4);
}

static int get_free_port(struct hv_domain *d)
{
    for (unsigned p = 1; p < HV_NR_EVTCHN; p++)
        if (d->evtchn[p].state == ECS_FREE)
            return (int)p;
    return -XEN_ENOSPC_;
}

static bool self_domid(struct hv_domain *d, uint32_t domid)
{
    return domid == DOMID_SELF || domid == d->id;
}

int64_t hv_do_event_channel_op(struct hc *h, const uint64_t *a)
{
    struct hv_vcpu *v = h->v;
    struct hv_domain *d = v->d;
    int cmd = (int)a[0];
    uint64_t arg = a[1];
    uint8_t b[24];
    memset(b, 0, sizeof(b));
    switch (cmd) {
    case 0: { /* bind_interdomain {remote_dom u16, remote_port u32, local_port u32} */
        hv_hc_sub(h, 0, "bind_interdomain");
        if (hv_hc_from_guest(h, b, arg, 12))
            return -XEN_EFAULT;
        uint32_t rdom = (uint32_t)(b[0] | b[1] << 8), rport = le32(b + 4);
        if (!self_domid(d, rdom))
            return -XEN_ESRCH;
        if (rport == 0 || rport >= HV_NR_EVTCHN || d->evtchn[rport].state != ECS_UNBOUND ||
            !self_domid(d, d->evtchn[rport].remote_dom))
            return -XEN_EINVAL;
        int lp = get_free_port(d);
        if (lp < 0)
            return lp;
        d->evtchn[lp].state = ECS_INTERDOMAIN;
        d->evtchn[lp].remote_dom = (uint16_t)d->id;
        d->evtchn[lp].remote_port = rport;
        d->evtchn[lp].vcpu = 0;
        d->evtchn[rport].state = ECS_INTERDOMAIN;
        d->evtchn[rport].remote_dom = (uint16_t)d->id;
        d->evtchn[rport].remote_port = (uint32_t)lp;
        put32(b + 8, (uint32_t)lp);
        if (hv_hc_to_guest(h, arg + 8, b + 8, 4))
            return -XEN_EFAULT;
        hv_evtchn_set_pending(v, d, (unsigned)lp); /* evtchn_bind_interdomain: port set pending */
        return 0;
    }
    case 1: { /* bind_virq {virq u32, vcpu u32, port u32} */
        hv_hc_sub(h, 1, "bind_virq");
        if (hv_hc_from_guest(h, b, arg, 12))
            return -XEN_EFAULT;
        uint32_t virq = le32(b), vcpu = le32(b + 4);
        if (virq >= HV_NR_VIRQS)
            return -XEN_EINVAL;
        if (vcpu >= d->nvcpus)
            return -XEN_ENOENT;
        if (d->virq_port[vcpu][virq])
            return -XEN_EEXIST;
        int p = get_free_port(d);
        if (p < 0)
            return p;
        d->evtchn[p].state = ECS_VIRQ;
        d->evtchn[p].virq = virq;
        d->evtchn[p].vcpu = vcpu;
        d->virq_port[vcpu][virq] = p;
        put32(b + 8, (uint32_t)p);
        return hv_hc_to_guest(h, arg + 8, b + 8, 4) ? -XEN_EFAULT : 0;
    }
    case 3: { /* close {port u32} */
        hv_hc_sub(h, 3, "close");
        if (hv_hc_from_guest(h, b, arg, 4))
            return -XEN_EFAULT;
        uint32_t p = le32(b);
        if (p == 0 || p >= HV_NR_EVTCHN || d->evtchn[p].state == ECS_FREE)
            return -XEN_EINVAL;
        struct hv_evtchn *ch = &d->evtchn[p];
        if (ch->state == ECS_VIRQ && ch->vcpu < HV_MAX_VCPUS)
            d->virq_port[ch->vcpu][ch->virq] = 0;
        if (ch->state == ECS_INTERDOMAIN && !ch->console && ch->remote_port < HV_NR_EVTCHN &&
            ch->remote_port != p)
            d->evtchn[ch->remote_port].state = ECS_UNBOUND;
        memset(ch, 0, sizeof(*ch));
        return 0;
    }
    case 4: { /* send {port u32} */
        hv_hc_sub(h, 4, "send");
        if (hv_hc_from_guest(h, b, arg, 4))
            return -XEN_EFAULT;
        uint32_t p = le32(b);
        if (p == 0 || p >= HV_NR_EVTCHN || d->evtchn[p].state == ECS_FREE)
            return -XEN_EINVAL;
        struct hv_evtchn *ch = &d->evtchn[p];
        switch (ch->state) {
        case ECS_INTERDOMAIN:
            if (ch->console)
                console_drain(v, d);
            else
                hv_evtchn_set_pending(v, d, ch->remote_port);
            return 0;
        case ECS_IPI:
            hv_evtchn_set_pending(v, d, p);
            return 0;
        case ECS_UNBOUND:
            return 0; /* silently dropped */
        default:
            return -XEN_EINVAL;
        }
    }
    case 5: { /* status {dom u16, port u32, status u32 @8, vcpu u32 @12, u @16} */
        hv_hc_sub(h, 5, "status");
        if (hv_hc_from_guest(h, b, arg, 24))
            return -XEN_EFAULT;
        uint32_t dom = (uint32_t)(b[0] | b[1] << 8), p = le32(b + 4);
        if (!self_domid(d, dom))
            return -XEN_ESRCH;
        if (p >= HV_NR_EVTCHN)
            return -XEN_EINVAL;
        struct hv_evtchn *ch = &d->evtchn[p];
        put32(b + 8, ch->state);
        put32(b + 12, ch->vcpu);
        memset(b + 16, 0, 8);
        if (ch->state == ECS_UNBOUND) {
            b[16] = (uint8_t)ch->remote_dom;
            b[17] = (uint8_t)(ch->remote_dom >> 8);
        } else if (ch->state == ECS_INTERDOMAIN) {
            uint16_t rd_ = ch->console ? 0 : ch->remote_dom;
            b[16] = (uint8_t)rd_;
            b[17] = (uint8_t)(rd_ >> 8);
            put32(b + 20, ch->remote_port);
        } else if (ch->state == ECS_VIRQ) {
            put32(b + 16, ch->virq);
        }
        return hv_hc_to_guest(h, arg + 8, b + 8, 16) ? -XEN_EFAULT : 0;
    }
    case 6: { /* alloc_unbound {dom u16, remote_dom u16, port u32} */
        hv_hc_sub(h, 6, "alloc_unbound");
        if (hv_hc_from_guest(h, b, arg, 8))
            return -XEN_EFAULT;
        uint32_t dom = (uint32_t)(b[0] | b[1] << 8), rdom = (uint32_t)(b[2] | b[3] << 8);
        if (!self_domid(d, dom))
            return -XEN_EPERM; /* xsm_evtchn_unbound: not privileged over another domain */
        int p = get_free_port(d);
        if (p < 0)
            return p;
        d->evtchn[p].state = ECS_UNBOUND;
        d->evtchn[p].remote_dom = (uint16_t)(rdom == DOMID_SELF ? d->id : rdom);
        d->evtchn[p].vcpu = 0;
        put32(b + 4, (uint32_t)p);
        return hv_hc_to_guest(h, arg + 4, b + 4, 4) ? -XEN_EFAULT : 0;
    }
    case 7: { /* bind_ipi {vcpu u32, port u32} */
        hv_hc_sub(h, 7, "bind_ipi");
        if (hv_hc_from_guest(h, b, arg, 8))
            return -XEN_EFAULT;
        uint32_t vcpu = le32(b);
        if (vcpu >= d->nvcpus)
            return -XEN_ENOENT;
        int p = get_free_port(d);
        if (p < 0)
            return p;
        d->evtchn[p].state = ECS_IPI;
        d->evtchn[p].vcpu = vcpu;
        put32(b + 4, (uint32_t)p);
        return hv_hc_to_guest(h, arg + 4, b + 4, 4) ? -XEN_EFAULT : 0;
    }
    case 8: { /* bind_vcpu {port u32, vcpu u32} */
        hv_hc_sub(h, 8, "bind_vcpu");
        if (hv_hc_from_guest(h, b, arg, 8))
            return -XEN_EFAULT;
        uint32_t p = le32(b), vcpu = le32(b + 4);
        if (vcpu >= d->nvcpus)
            return -XEN_ENOENT;
        if (p == 0 || p >= HV_NR_EVTCHN)
            return -XEN_EINVAL;
        struct hv_evtchn *ch = &d->evtchn[p];
        if (ch->state != ECS_UNBOUND && ch->state != ECS_INTERDOMAIN)
            return -XEN_EINVAL; /* per-vCPU VIRQs and IPIs cannot move */
        ch->vcpu = vcpu;
        return 0;
    }
    case 9: { /* unmask {port u32} (evtchn_2l_unmask) */
        hv_hc_sub(h, 9, "unmask");
        if (hv_hc_from_guest(h, b, arg, 4))
            return -XEN_EFAULT;
        uint32_t p = le32(b);
        if (p >= HV_NR_EVTCHN || d->evtchn[p].state == ECS_FREE)
            return -XEN_EINVAL;
        uint64_t word = p / 64, bit = 1ull << (p % 64);
        uint64_t mpa = d->shinfo_pa + SHINFO_MASK + 8 * word;
        uint64_t mask = rd(v, mpa, 8);
        wr(v, mpa, mask & ~bit, 8);
        if (rd(v, d->shinfo_pa + SHINFO_PENDING + 8 * word, 8) & bit) {
            struct hv_vcpu *t = d->vcpu[d->evtchn[p].vcpu < d->nvcpus ? d->evtchn[p].vcpu : 0];
            uint64_t vi = hv_vcpu_info_pa(t);
            if (vi) {
                uint64_t sel = rd(v, vi + VI_PENDING_SEL, 8);
                if (!(sel & (1ull << word))) {
                    wr(v, vi + VI_PENDING_SEL, sel | (1ull << word), 8);
                    mark_events_pending(v, t);
                }
            }
        }
        return 0;
    }
    case 11:
        hv_hc_sub(h, 11, "init_control");
        return -XEN_ENOSYS; /* FIFO ABI not offered: guests fall back to 2-level */
    case 12:
        hv_hc_sub(h, 12, "expand_array");
        return -XEN_ENOSYS;
    case 13:
        hv_hc_sub(h, 13, "set_priority");
        return -XEN_ENOSYS;
    default:
        hv_hc_sub(h, cmd, "unknown");
        return -XEN_ENOSYS;
    }
}

/* SCHEDOP_poll: struct sched_poll { ports handle @0, nr_ports u32 @8, timeout u64 @16 } */
int64_t hv_sched_poll(struct hc *h, uint64_t arg)
{
    struct hv_domain *d = h->v->d;
    uint8_t b[24];
    if (hv_hc_from_guest(h, b, arg, 24))
        return -XEN_EFAULT;
    uint64_t ports = le64(b);
    uint32_t n = le32(b + 8);
    if (n > 128)
        return -XEN_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t pb[4];
        if (hv_hc_from_guest(h, pb, ports + 4ull * i, 4))
            return -XEN_EFAULT;
        uint32_t p = le32(pb);
        if (p >= HV_NR_EVTCHN)
            return -XEN_EINVAL;
        if (rd(h->v, d->shinfo_pa + SHINFO_PENDING + 8 * (p / 64), 8) & (1ull << (p % 64)))
            return 1;
    }
    return 0;
}

/* ---- hvm_op (xen/arch/arm/hvm.c do_hvm_op, xen/arch/x86/hvm/hvm.c do_hvm_op) ---- */
int64_t hv_do_hvm_op(struct hc *h, const uint64_t *a)
{
    struct hv_domain *d = h->v->d;
    int op = (int)a[0];
    if (op != 0 && op != 1)
        return d->hv->ops->hvm_op(h, a);
    hv_hc_sub(h, op, op == 0 ? "set_param" : "get_param");
    uint8_t b[16]; /* struct xen_hvm_param {domid u16, index u32 @4, value u64 @8} */
    if (hv_hc_from_guest(h, b, a[1], 16))
        return -XEN_EFAULT;
    uint32_t domid = (uint32_t)(b[0] | b[1] << 8), index = le32(b + 4);
    if (index >= HV_NR_HVM_PARAMS)
        return -XEN_EINVAL;
    if (!self_domid(d, domid))
        return -XEN_ESRCH;
    if (op == 0) {
        d->hvm_param[index] = le64(b + 8);
        if (d->hv->ops->hvm_param_set)
            d->hv->ops->hvm_param_set(d, index, d->hvm_param[index]);
        return 0;
    }
    put64(b + 8, d->hvm_param[index]);
    return hv_hc_to_guest(h, a[1], b, 16) ? -XEN_EFAULT : 0;
}

/* ---- grant table (xen/common/grant_table.c) ---- */
/* status codes: xen/include/public/grant_table.h */
#define GNTST_okay 0
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10)
#define GNTCOPY_source_gref 1u
#define GNTCOPY_dest_gref 2u
#define GTF_permit_access 1u
#define GTF_type_mask 3u
#define GTF_readonly 4u
#define GNT_ENTRIES_PER_FRAME 512u /* struct grant_entry_v1 {flags u16, domid u16, frame u32} */

static int gnttab_grow(struct hv_domain *d, unsigned frames)
{
    while (d->gnttab_frames < frames) {
        uint64_t f = hv_alloc(d->hv, 4096, 4096);
        if (!f)
            return -XEN_ENOMEM;
        d->gnttab_pa[d->gnttab_frames++] = f;
    }
    return 0;
}

/* One side of a copy, resolved to the host PA of its frame (gnttab_copy_claim_buf). */
static int gnttab_copy_claim(struct hc *h, uint64_t u, bool gref, bool write, uint64_t *pa)
{
    struct hv_vcpu *v = h->v;
    struct hv_domain *d = v->d;
    uint64_t gfn;
    if (gref) {
        /* acquire_grant_for_copy: ref < nr_grant_entries else GNTST_bad_gntref; the v1
         * entry must be GTF_permit_access for this domain (_set_status_v1 "Bad flags or
         * dom": GNTST_general_error), writable for a destination ("Attempt to write-pin a
         * r/o grant entry": GNTST_general_error). */
        unsigned frames = d->gnttab_frames ? d->gnttab_frames : 1;
        uint32_t ref = (uint32_t)u;
        if (ref >= frames * GNT_ENTRIES_PER_FRAME)
            return GNTST_bad_gntref;
        if (gnttab_grow(d, 1))
            return GNTST_general_error;
        uint8_t e[8];
        hv_read_pa(v, d->gnttab_pa[ref / GNT_ENTRIES_PER_FRAME] +
                      8ull * (ref % GNT_ENTRIES_PER_FRAME), e, 8);
        uint16_t flags = (uint16_t)(e[0] | e[1] << 8), dom = (uint16_t)(e[2] | e[3] << 8);
        if ((flags & GTF_type_mask) != GTF_permit_access || dom != d->id)
            return GNTST_general_error;
        if (write && (flags & GTF_readonly))
            return GNTST_general_error;
        gfn = le32(e + 4);
    } else {
        gfn = u;
    }
    /* get_paged_frame: a RAM page of the domain (writable for the destination) */
    if (gfn >> 28 || hv_p2m_lookup(v, gfn << 12, write, pa) ||
        !sim_mem_is_ram(&d->hv->m->mem, *pa, 4096))
        return GNTST_bad_page;
    return GNTST_okay;
}

/* gnttab_copy_lock_domain: only DOMID_SELF may name a frame by GFN; a gref side may name
 * the domain by id (the only domain of this model). */
static int gnttab_copy_domain(struct hv_domain *d, uint16_t domid, bool gref)
{
    if (domid != DOMID_SELF && !gref)
        return GNTST_permission_denied;
    return self_domid(d, domid) ? GNTST_okay : GNTST_bad_domain;
}

/* One struct gnttab_copy (40 bytes: source {u @0, domid @8, offset @10}, dest {u @16,
 * domid @24, offset @26}, len @32, flags @34, status @36): gnttab_copy_one. */
static int16_t gnttab_copy_one(struct hc *h, const uint8_t *op)
{
    uint64_t su = le64(op), du = le64(op + 16);
    uint16_t sdom = (uint16_t)(op[8] | op[9] << 8), soff = (uint16_t)(op[10] | op[11] << 8);
    uint16_t ddom = (uint16_t)(op[24] | op[25] << 8), doff = (uint16_t)(op[26] | op[27] << 8);
    uint16_t len = (uint16_t)(op[32] | op[33] << 8), flags = (uint16_t)(op[34] | op[35] << 8);
    bool sg = flags & GNTCOPY_source_gref, dg = flags & GNTCOPY_dest_gref;
    struct hv_domain *d = h->v->d;
    int rc;
    if ((rc = gnttab_copy_domain(d, sdom, sg)) || (rc = gnttab_copy_domain(d, ddom, dg)))
        return (int16_t)rc;
    uint64_t spa, dpa;
    if ((rc = gnttab_copy_claim(h, su, sg, false, &spa)) ||
        (rc = gnttab_copy_claim(h, du, dg, true, &dpa)))
        return (int16_t)rc;
    /* gnttab_copy_buf: "copy beyond page area" */
    if ((unsigned)soff + len > 4096 || (unsigned)doff + len > 4096)
        return GNTST_bad_copy_arg;
    uint8_t tmp[4096];
    hv_read_pa(h->v, spa + soff, tmp, len);
    hv_write_pa(h->v, dpa + doff, tmp, len);
    return GNTST_okay;
}

int64_t hv_do_grant_table_op(struct hc *h, const uint64_t *a)
{
    struct hv_domain *d = h->v->d;
    /* do_grant_table_op: bits above GNTTABOP_CMD_MASK (0xfff) are the continuation's
     * opaque value, which a guest may not pass (-EINVAL) except to cache_flush (12). */
    unsigned cmd = (unsigned)a[0] & 0xfffu, opaque = (unsigned)a[0] & ~0xfffu;
    uint64_t arg = a[1], count = a[2] & 0xffffffffu;
    uint8_t b[24];
    memset(b, 0, sizeof(b));
    if (opaque && cmd != 12) {
        hv_hc_sub(h, (int)cmd, "opaque");
        return -XEN_EINVAL;
    }
    switch (cmd) {
    case 0:   /* map_grant_ref: struct gnttab_map_grant_ref, 32 bytes, status i16 @18 */
    case 1: { /* unmap_grant_ref: struct gnttab_unmap_grant_ref, 24 bytes, status i16 @20 */
        hv_hc_sub(h, (int)cmd, cmd ? "unmap_grant_ref" : "map_grant_ref");
        if ((int32_t)count < 0)
            return -XEN_EINVAL;
        unsigned sz = cmd ? 24 : 32, soff = cmd ? 20 : 18;
        for (uint64_t i = 0; i < count; i++) {
            uint8_t op[32];
            if (hv_hc_from_guest(h, op, arg + sz * i, sz))
                return -XEN_EFAULT;
            /* Measured on Xen 4.17 (Debian, arm64 dom0less domU, scripts/realxen.sh): a map
             * without GNTMAP_host_map|GNTMAP_device_map gives GNTST_bad_gntref ("Bad flags
             * in grant map op"); every other map, of the domain's own grants, of DOMID_SELF,
             * of a nonexistent domain, fails with GNTST_general_error and the handle is left
             * alone; an unmap finds no mapping (GNTST_bad_handle). No mapping is modelled. */
            int16_t st = cmd ? -4 : (le32(op + 8) & 3) ? GNTST_general_error : GNTST_bad_gntref;
            uint8_t sb[2] = {(uint8_t)st, (uint8_t)((uint16_t)st >> 8)};
            if (hv_hc_to_guest(h, arg + sz * i + soff, sb, 2))
                return -XEN_EFAULT;
        }
        return 0;
    }
    case 2: { /* setup_table {dom u16, nr_frames u32 @4, status i16 @8, frame_list @16} */
        hv_hc_sub(h, 2, "setup_table");
        if (count != 1)
            return -XEN_EINVAL;
        if (hv_hc_from_guest(h, b, arg, 24))
            return -XEN_EFAULT;
        uint32_t dom = (uint32_t)(b[0] | b[1] << 8), n = le32(b + 4);
        int16_t st = GNTST_okay;
        if (!self_domid(d, dom))
            st = GNTST_bad_domain;
        else if (n > HV_MAX_GNTTAB_FRAMES || gnttab_grow(d, n))
            st = GNTST_general_error;
        else
            for (uint32_t i = 0; i < n; i++) {
                /* gnttab_shared_gfn: where the frame is mapped (INVALID_GFN if nowhere; on
                 * Arm the frames sit in the grant window, d->gnttab_gfn set at build) */
                uint8_t g[8];
                put64(g, d->gnttab_gfn[i] ? d->gnttab_gfn[i] : ~0ull);
                if (hv_hc_to_guest(h, le64(b + 16) + 8ull * i, g, 8))
                    return -XEN_EFAULT;
            }
        b[8] = (uint8_t)st;
        b[9] = (uint8_t)((uint16_t)st >> 8);
        return hv_hc_to_guest(h, arg + 8, b + 8, 2) ? -XEN_EFAULT : 0;
    }
    case 6: { /* query_size {dom u16, nr_frames u32 @4, max_nr_frames u32 @8, status i16 @12} */
        hv_hc_sub(h, 6, "query_size");
        if (count != 1)
            return -XEN_EINVAL;
        if (hv_hc_from_guest(h, b, arg, 16))
            return -XEN_EFAULT;
        uint32_t dom = (uint32_t)(b[0] | b[1] << 8);
        int16_t st = GNTST_okay;
        if (!self_domid(d, dom)) {
            st = GNTST_bad_domain;
        } else {
            put32(b + 4, d->gnttab_frames ? d->gnttab_frames : 1);
            put32(b + 8, HV_MAX_GNTTAB_FRAMES);
        }
        b[12] = (uint8_t)st;
        b[13] = (uint8_t)((uint16_t)st >> 8);
        return hv_hc_to_guest(h, arg + 4, b + 4, 10) ? -XEN_EFAULT : 0;
    }
    case 8: { /* set_version {version u32} */
        hv_hc_sub(h, 8, "set_version");
        if (count != 1)
            return -XEN_EINVAL;
        if (hv_hc_from_guest(h, b, arg, 4))
            return -XEN_EFAULT;
        uint32_t ver = le32(b);
        int64_t rc = (ver == 1 || ver == 2) ? 0 : -XEN_EINVAL;
        if (ver == 2)
            rc = -XEN_ENOSYS; /* v2 status frames are not modelled: behave as max_version 1 */
        put32(b, 1);
        if (hv_hc_to_guest(h, arg, b, 4))
            return -XEN_EFAULT;
        return rc;
    }
    case 5: { /* copy: the array of struct gnttab_copy (xen/common/grant_table.c gnttab_copy) */
        hv_hc_sub(h, 5, "copy");
        if ((int32_t)count < 0)
            return -XEN_EINVAL;
        struct hv_buf ops;
        int brc = hv_buf_init(h, &ops, arg);
        if (brc)
            return brc;
        for (uint64_t i = 0; i < count; i++) {
            uint8_t op[40];
            if (hv_buf_from(h, &ops, 40 * i, op, 40))
                return -XEN_EFAULT;
            int16_t st = gnttab_copy_one(h, op);
            uint8_t sb[2] = {(uint8_t)st, (uint8_t)((uint16_t)st >> 8)};
            if (hv_buf_to(h, &ops, 40 * i + 36, sb, 2)) /* __copy_field_to_guest(status) */
                return -XEN_EFAULT;
        }
        return 0;
    }
    default:
        hv_hc_sub(h, (int)cmd, "unknown");
        return -XEN_ENOSYS;
    }
}

/* ---- memory_op ---- */
int64_t hv_do_memory_op(struct hc *h, const uint64_t *a)
{
    struct hv_vcpu *v = h->v;
    struct hv_domain *d = v->d;
    int cmd = (int)(a[0] & 0x3f); /* MEMOP_CMD_MASK; the rest is the continuation extent */
    uint8_t b[32];
    memset(b, 0, sizeof(b));
    switch (cmd) {
    case 7: { /* add_to_physmap {domid u16, size u16, space u32 @4, idx u64 @8, gpfn u64 @16} */
        hv_hc_sub(h, 7, "add_to_physmap");
        if (hv_hc_from_guest(h, b, a[1], 24))
            return -XEN_EFAULT;
        uint32_t domid = (uint32_t)(b[0] | b[1] << 8), space = le32(b + 4);
        uint64_t idx = le64(b + 8), gpfn = le64(b + 16);
        if (!self_domid(d, domid))
            return -XEN_ESRCH;
        if (gpfn >> 28)
            return -XEN_EINVAL; /* beyond the 40-bit IPA space */
        uint64_t pa;
        if (space == 0) {            /* XENMAPSPACE_shared_info */
            if (idx != 0)
                return -XEN_EINVAL;
            pa = d->shinfo_pa;
        } else if (space == 1) {     /* XENMAPSPACE_grant_table */
            if (idx & (1ull << 31))
                return -XEN_EINVAL;  /* status frames: grant table v2 only */
            if (idx >= HV_MAX_GNTTAB_FRAMES || gnttab_grow(d, (unsigned)idx + 1))
                return -XEN_EINVAL;
            pa = d->gnttab_pa[idx];
        } else {
            return -XEN_ENOSYS;      /* xenmem_add_to_physmap_one: other spaces */
        }
        /* the page that was at gpfn leaves the guest; the frame is mapped in its place */
        if (space == 1 && d->hv->ops->gnttab_window == 0)
            d->gnttab_gfn[idx] = gpfn;
        return d->hv->ops->p2m_set_page(d, gpfn << 12, pa) ? -XEN_ENOMEM : 0;
    }
    case 1:   /* decrease_reservation */
    case 6: { /* populate_physmap: {extent_start @0, nr_extents @8, extent_order u32 @16,
               * mem_flags u32 @20, domid u16 @24} */
        hv_hc_sub(h, cmd, cmd == 1 ? "decrease_reservation" : "populate_physmap");
        if (hv_hc_from_guest(h, b, a[1], 32))
            return -XEN_EFAULT;
        uint64_t list = le64(b), n = le64(b + 8);
        uint32_t order = le32(b + 16), domid = (uint32_t)(b[24] | b[25] << 8);
        if (!self_domid(d, domid))
            return -XEN_ESRCH;
        if (order > 9)
            return 0; /* beyond max_order for a domU: no extent done */
        uint64_t done = 0;
        for (; done < n; done++) {
            uint8_t g[8];
            if (hv_hc_from_guest(h, g, list + 8 * done, 8))
                break;
            uint64_t gpfn = le64(g);
            if (gpfn >> 28)
                break;
            bool ok = true;
            for (uint64_t i = 0; i < (1ull << order) && ok; i++) {
                uint64_t pa = 0;
                if (cmd == 6) {
                    /* pages come from the hypervisor's heap, at most 16 MiB per domain */
                    if (d->populated >= 4096 || !(pa = hv_alloc(d->hv, 4096, 4096))) {
                        ok = false;
                        break;
                    }
                    d->populated++;
                }
                ok = d->hv->ops->p2m_set_page(d, (gpfn + i) << 12, pa) == 0;
            }
            if (!ok)
                break;
        }
        return (int64_t)done;
    }
    case 9:
        hv_hc_sub(h, 9, "memory_map");
        return d->hv->ops->memory_map(h, a); /* arch_memory_op */
    default:
        hv_hc_sub(h, cmd, "unknown");
        return -XEN_ENOSYS;
    }
}

/* ---- multicall (xen/common/multicall.c): entries {op, result, args[6]}, 64 bytes ---- */
int64_t hv_do_multicall(struct hc *h, const uint64_t *a)
{
    hv_hc_sub(h, -1, NULL);
    if (h->depth)
        return -XEN_EINVAL; /* MCSF_in_multicall */
    uint64_t n = a[1] & 0xffffffffu;
    struct hv_buf list;
    int brc = hv_buf_init(h, &list, a[0]);
    if (brc)
        return brc;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t e[64];
        if (hv_buf_from(h, &list, 64 * i, e, 64))
            return -XEN_EFAULT;
        uint64_t args[5];
        for (unsigned k = 0; k < 5; k++)
            args[k] = le64(e + 16 + 8 * k);
        struct hc sub = {.v = h->v, .pa = h->pa, .subop = -1, .depth = h->depth + 1};
        int64_t r = hv_hc_dispatch(&sub, le64(e), args);
        uint8_t rb[8];
        put64(rb, (uint64_t)r);
        if (hv_buf_to(h, &list, 64 * i + 8, rb, 8))
            return -XEN_EFAULT;
        if (h->v->d->shutdown)
            break;
    }
    return 0;
}
