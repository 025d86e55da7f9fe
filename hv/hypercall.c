/* hv/hypercall.c - the common hypercall layer (xen/common: kernel.c do_xen_version,
 * vm_assist, domain.c do_vcpu_op, sched/core.c do_sched_op, drivers/char/console.c
 * do_console_io) and the runstate area (xen/arch/arm/domain.c update_runstate_area in 4.17,
 * xen/common/domain.c in 4.18, plus the arm-vmap and KVM policies). The arch trap code reads
 * the number and arguments (Arm: HVC #0xEA1 with x16 / x0-x4, xen/arch/arm/traps.c
 * do_trap_hypercall; x86: VMCALL with RAX / RDI RSI RDX R10 R8, xen/arch/x86/hvm/hypercall.c
 * hvm_hypercall) and calls hv_hypercall_begin / hv_hypercall_done. The results follow Xen
 * 4.17/4.18 under the matching profile; docs/hv.md names the source of each. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "hv/domain.h"

/* hypercall numbers (xen/include/public/xen.h) */
enum {
    HC_memory_op = 12, HC_multicall = 13, HC_xen_version = 17, HC_console_io = 18,
    HC_grant_table_op = 20, HC_vm_assist = 21, HC_vcpu_op = 24, HC_sched_op = 29,
    HC_event_channel_op = 32, HC_physdev_op = 33, HC_hvm_op = 34,
};

int hv_hc_from_guest(struct hc *h, void *dst, uint64_t addr, uint64_t len)
{
    int rc = h->pa ? hv_copy_from_guest_pa(h->v, dst, addr, len)
                   : hv_copy_from_guest_va(h->v, dst, addr, len);
    if (rc)
        h->failed_copy = 1;
    return rc;
}

int hv_hc_to_guest(struct hc *h, uint64_t addr, const void *src, uint64_t len)
{
    int rc = h->pa ? hv_copy_to_guest_pa(h->v, addr, src, len)
                   : hv_copy_to_guest_va(h->v, addr, src, len);
    if (rc)
        h->failed_copy = 1;
    return rc;
}

/* ---- pa-flag buffer descriptors (docs/hv.md "pa-flag encoding": the low two bits of a
 * buffer address under HV_PA_FLAG, after J. Gross's scatter/gather suggestion, xen-abi.md §7) */
#define HV_BUF_LINEAR 0u
#define HV_BUF_SG 1u

int hv_buf_init(struct hc *h, struct hv_buf *b, uint64_t addr)
{
    memset(b, 0, sizeof(*b));
    b->addr = addr;
    if (!h->pa)
        return 0; /* a guest VA: every bit is address */
    switch ((unsigned)(addr & 3)) {
    case HV_BUF_LINEAR:
        return 0;
    case HV_BUF_SG: {
        uint8_t s0[8];
        b->sg = true;
        b->addr = addr & ~3ull;
        if (b->addr & 7)
            return -XEN_EINVAL; /* xen_ulong_t slots are naturally aligned */
        if (hv_hc_from_guest(h, s0, b->addr, 8))
            return -XEN_EFAULT;
        for (unsigned i = 0; i < 8; i++)
            b->sg_off |= (uint64_t)s0[i] << (8 * i);
        return b->sg_off < 4096 ? 0 : -XEN_EINVAL;
    }
    default:
        return -XEN_EINVAL; /* reserved descriptor types */
    }
}

/* Copy [off, off+len) of an S/G buffer page by page: slot 1 + k holds the GFN of page k. */
static int buf_sg(struct hc *h, const struct hv_buf *b, uint64_t off, void *p, uint64_t len,
                  bool to)
{
    uint8_t *q = p;
    uint64_t pos = b->sg_off + off;
    while (len) {
        uint64_t k = pos >> 12, in = pos & 4095, n = 4096 - in;
        if (n > len)
            n = len;
        uint8_t g[8];
        uint64_t gfn = 0;
        if (hv_copy_from_guest_pa(h->v, g, b->addr + 8 * (k + 1), 8))
            goto fault;
        for (unsigned i = 0; i < 8; i++)
            gfn |= (uint64_t)g[i] << (8 * i);
        if (gfn >> 28)
            goto fault; /* beyond the 40-bit IPA space */
        uint64_t ipa = (gfn << 12) | in;
        if (to ? hv_copy_to_guest_pa(h->v, ipa, q, n) : hv_copy_from_guest_pa(h->v, q, ipa, n))
            goto fault;
        q += n;
        pos += n;
        len -= n;
    }
    return 0;
fault:
    h->failed_copy = 1;
    return -EFAULT;
}

int hv_buf_from(struct hc *h, const struct hv_buf *b, uint64_t off, void *dst, uint64_t len)
{
    return b->sg ? buf_sg(h, b, off, dst, len, false) : hv_hc_from_guest(h, dst, b->addr + off, len);
}

int hv_buf_to(struct hc *h, const struct hv_buf *b, uint64_t off, const void *src, uint64_t len)
{
    return b->sg ? buf_sg(h, b, off, (void *)(uintptr_t)src, len, true)
                 : hv_hc_to_guest(h, b->addr + off, src, len);
}

void hv_hc_sub(struct hc *h, int op, const char *name)
{
    h->subop = op;
    h->subop_name = name;
}

/* ---- xen_version (xen/common/kernel.c do_xen_version) ---- */
static int64_t do_xen_version(struct hc *h, const uint64_t *a)
{
    const struct hv_profile *p = h->v->d->hv->prof;
    uint64_t arg = a[1];
    switch ((int)a[0]) {
    case 0:
        hv_hc_sub(h, 0, "version");
        return p->xen_version;
    case 1: {
        hv_hc_sub(h, 1, "extraversion");
        char s[16] = {0}; /* xen_extraversion_t */
        snprintf(s, sizeof(s), "%s", p->extraversion);
        return hv_hc_to_guest(h, arg, s, sizeof(s)) ? -XEN_EFAULT : 0;
    }
    case 2: {
        hv_hc_sub(h, 2, "compile_info");
        /* struct xen_compile_info: compiler[64], compile_by[16], compile_domain[32],
         * compile_date[32] */
        char ci[144] = {0};
        snprintf(ci, 64, "gcc (hvsim model of Xen %u.%u)", p->xen_version >> 16,
                 p->xen_version & 0xffff);
        snprintf(ci + 64, 16, "hvsim");
        snprintf(ci + 80, 32, "hvsim.invalid");
        snprintf(ci + 112, 32, "Thu Jan  1 00:00:00 UTC 1970");
        return hv_hc_to_guest(h, arg, ci, sizeof(ci)) ? -XEN_EFAULT : 0;
    }
    case 3: {
        hv_hc_sub(h, 3, "capabilities");
        /* arch_get_xen_caps (xen/arch/arm/setup.c, xen/arch/x86/setup.c) */
        char caps[1024] = {0};
        snprintf(caps, sizeof(caps), "%s", h->v->d->hv->ops->xen_caps);
        return hv_hc_to_guest(h, arg, caps, sizeof(caps)) ? -XEN_EFAULT : 0;
    }
    case 4: {
        hv_hc_sub(h, 4, "changeset");
        char cs[64] = {0};
        snprintf(cs, sizeof(cs), "unavailable");
        return hv_hc_to_guest(h, arg, cs, sizeof(cs)) ? -XEN_EFAULT : 0;
    }
    case 5: {
        hv_hc_sub(h, 5, "platform_parameters");
        /* xen_platform_parameters_t { xen_ulong_t virt_start }: HYPERVISOR_VIRT_START of
         * the arch (docs/hv.md) */
        uint8_t b[8];
        for (unsigned i = 0; i < 8; i++)
            b[i] = (uint8_t)(h->v->d->hv->ops->virt_start >> (8 * i));
        return hv_hc_to_guest(h, arg, b, sizeof(b)) ? -XEN_EFAULT : 0;
    }
    case 6: {
        hv_hc_sub(h, 6, "get_features");
        uint8_t fi[8]; /* xen_feature_info { uint32 submap_idx; uint32 submap } */
        if (hv_hc_from_guest(h, fi, arg, 8))
            return -XEN_EFAULT;
        uint32_t idx = (uint32_t)fi[0] | (uint32_t)fi[1] << 8 | (uint32_t)fi[2] << 16 |
                       (uint32_t)fi[3] << 24;
        if (idx != 0)
            return -XEN_EINVAL;
        uint32_t m = h->v->d->hv->ops->features0(p);
        for (unsigned i = 0; i < 4; i++)
            fi[4 + i] = (uint8_t)(m >> (8 * i));
        return hv_hc_to_guest(h, arg, fi, 8) ? -XEN_EFAULT : 0;
    }
    case 7:
        hv_hc_sub(h, 7, "pagesize");
        return 4096;
    case 8: {
        hv_hc_sub(h, 8, "guest_handle");
        uint8_t handle[16] = {0}; /* xen_domain_handle_t: the toolstack's UUID, none here */
        return hv_hc_to_guest(h, arg, handle, sizeof(handle)) ? -XEN_EFAULT : 0;
    }
    case 9:
        hv_hc_sub(h, 9, "commandline");
        return -XEN_EPERM; /* xsm_xen_version: privileged sub-op */
    case 10:
        hv_hc_sub(h, 10, "build_id");
        return -XEN_EPERM;
    default:
        hv_hc_sub(h, (int)(a[0] & 0x7fffffff), "unknown");
        return -XEN_ENOSYS;
    }
}

/* ---- console_io (xen/drivers/char/console.c do_console_io, guest_console_write) ---- */
static int64_t do_console_io(struct hc *h, const uint64_t *a)
{
    struct machine *m = h->v->d->hv->m;
    switch ((int)a[0]) {
    case 0: { /* CONSOLEIO_write: copied in chunks of at most 127 bytes (kbuf[128]) */
        hv_hc_sub(h, 0, "write");
        uint64_t count = a[1] & 0xffffffffu, off = 0;
        char kbuf[128];
        struct hv_buf buf;
        int brc = hv_buf_init(h, &buf, a[2]);
        if (brc)
            return brc;
        while (count) {
            uint64_t k = count < sizeof(kbuf) - 1 ? count : sizeof(kbuf) - 1;
            if (hv_buf_from(h, &buf, off, kbuf, k))
                return -XEN_EFAULT;
            /* A domU's output is filtered to printable characters, tab and newline
             * (guest_console_write, "Strip non-printable characters"). */
            uint64_t n = 0;
            for (uint64_t i = 0; i < k; i++) {
                unsigned char c = (unsigned char)kbuf[i];
                if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n')
                    kbuf[n++] = (char)c;
            }
            hv_console_write(h->v->d, kbuf, n);
            off += k;
            count -= k;
        }
        fflush(m->console);
        return 0;
    }
    case 1: /* CONSOLEIO_read: no input is ever queued for the guest */
        hv_hc_sub(h, 1, "read");
        return 0;
    default:
        hv_hc_sub(h, (int)(a[0] & 0x7fffffff), "unknown");
        return -XEN_ENOSYS;
    }
}

/* ---- vm_assist (xen/common/kernel.c vm_assist; Arm's valid mask is runstate_update_flag) */
#define VMASST_TYPE_runstate_update_flag 5
static int64_t do_vm_assist(struct hc *h, const uint64_t *a)
{
    struct hv_domain *d = h->v->d;
    unsigned cmd = (unsigned)a[0];
    uint64_t type = a[1];
    hv_hc_sub(h, (int)cmd, cmd == 0 ? "enable" : cmd == 1 ? "disable" : "unknown");
    if (type >= 64 || type != VMASST_TYPE_runstate_update_flag)
        return -XEN_EINVAL;
    if (cmd == 0) {
        d->vm_assist |= 1u << type;
        return 0;
    }
    if (cmd == 1) {
        d->vm_assist &= ~(1u << type);
        return 0;
    }
    return -XEN_ENOSYS;
}

/* ---- the runstate area ---- */
struct rs_measure {
    uint64_t c0, tlb0, refs0;
};

static uint64_t hv_refs(struct hv *hv)
{
    return *hv->hv_refs_s1 + *hv->hv_refs_s2 + *hv->hv_sw_s1 + *hv->hv_sw_s2;
}

/* Write [off, off+n) of the area through the cached translation (one or two pages). */
static void cached_write(struct hv_vcpu *v, unsigned off, const uint8_t *src, unsigned n)
{
    const struct hv_rs_area *ar = &v->area;
    while (n) {
        unsigned k;
        uint64_t pa;
        if (off < ar->len0) {
            k = ar->len0 - off < n ? ar->len0 - off : n;
            pa = ar->pa[0] + off;
        } else {
            k = n;
            pa = ar->pa[1] + (off - ar->len0);
        }
        hv_write_pa(v, pa, src, k);
        src += k;
        off += k;
        n -= k;
    }
}

/* One update. Returns 0 or -EFAULT when a copy failed (the update is lost). */
static int runstate_write(struct hv_vcpu *v)
{
    struct hv_domain *d = v->d;
    struct hv *hv = d->hv;
    uint8_t img[HV_RUNSTATE_SIZE];
    bool flag = (d->vm_assist >> VMASST_TYPE_runstate_update_flag) & 1;
    if (v->area.pa_set) {
        /* 4.18 update_runstate_area, map_guest_area path: always the UPDATE protocol,
         * write_atomic of state_entry_time, struct store, write_atomic (xen-abi.md §4.5). */
        uint8_t t[8];
        hv_runstate_image(&v->rs, true, img);
        memcpy(t, img + HV_RUNSTATE_ENTRY_OFF, 8);
        hv_write_pa(v, v->area.pa_area + HV_RUNSTATE_ENTRY_OFF, t, 8);
        hv_write_pa(v, v->area.pa_area, img, HV_RUNSTATE_SIZE);
        hv_runstate_image(&v->rs, false, img);
        hv_write_pa(v, v->area.pa_area + HV_RUNSTATE_ENTRY_OFF, img + HV_RUNSTATE_ENTRY_OFF, 8);
        return 0;
    }
    if (!v->area.va_set)
        return 0;
    switch (hv->policy) {
    case HV_RS_PA:
        return 0; /* only a physically registered area is updated */
    case HV_RS_VA_ONCE:
    case HV_RS_GPA_CACHED:
        if (!v->area.cached)
            return 0;
        /* arm-vmap v3 / KVM kvm_xen_update_runstate_guest: plain stores through the
         * mapping; the UPDATE byte written alone (byte 7 of state_entry_time). */
        if (flag) {
            hv_runstate_image(&v->rs, true, img);
            cached_write(v, HV_RUNSTATE_FLAG_BYTE, img + HV_RUNSTATE_FLAG_BYTE, 1);
            cached_write(v, 0, img, HV_RUNSTATE_SIZE);
            hv_runstate_image(&v->rs, false, img);
            cached_write(v, HV_RUNSTATE_FLAG_BYTE, img + HV_RUNSTATE_FLAG_BYTE, 1);
        } else {
            hv_runstate_image(&v->rs, false, img);
            cached_write(v, 0, img, HV_RUNSTATE_SIZE);
        }
        return 0;
    case HV_RS_VA_EVERY_UPDATE:
    default: {
        /* Xen 4.17 xen/arch/arm/domain.c update_runstate_area: with the VMASST, a 1-byte
         * __raw_copy_to_guest of the flag byte, smp_wmb, the 48-byte __copy_to_guest,
         * smp_wmb, the flag byte cleared; each copy translates the VA again with the
         * live registers; failures are ignored (the update is simply lost). */
        int bad = 0;
        if (flag) {
            hv_runstate_image(&v->rs, true, img);
            bad |= hv_copy_to_guest_va(v, v->area.va + HV_RUNSTATE_FLAG_BYTE,
                                       img + HV_RUNSTATE_FLAG_BYTE, 1);
            hv_charge(v, hv->m->model.cost_barrier);
            bad |= hv_copy_to_guest_va(v, v->area.va, img, HV_RUNSTATE_SIZE);
            hv_runstate_image(&v->rs, false, img);
            hv_charge(v, hv->m->model.cost_barrier);
            bad |= hv_copy_to_guest_va(v, v->area.va + HV_RUNSTATE_FLAG_BYTE,
                                       img + HV_RUNSTATE_FLAG_BYTE, 1);
        } else {
            hv_runstate_image(&v->rs, false, img);
            bad |= hv_copy_to_guest_va(v, v->area.va, img, HV_RUNSTATE_SIZE);
        }
        return bad ? -EFAULT : 0;
    }
    }
}

void hv_update_runstate_area(struct hv_vcpu *v)
{
    struct hv *hv = v->d->hv;
    if (!v->area.pa_set && !v->area.va_set)
        return;
    if (!v->area.pa_set && hv->policy == HV_RS_PA)
        return;
    uint64_t c0 = *v->cycles, tlb0 = *hv->hv_dtlb_miss, r0 = hv_refs(hv);
    int rc = runstate_write(v);
    (*hv->st_rs_updates)++;
    if (v->d->st_rs_updates)
        (*v->d->st_rs_updates)++;
    *hv->st_rs_cycles += *v->cycles - c0;
    *hv->st_rs_tlb_misses += *hv->hv_dtlb_miss - tlb0;
    *hv->st_rs_walkrefs += hv_refs(hv) - r0;
    if (rc) {
        (*hv->st_rs_failures)++;
        if (v->d->st_rs_failures)
            (*v->d->st_rs_failures)++;
        char det[96], mode[16];
        hv->ops->mode_name(v, mode, sizeof(mode));
        snprintf(det, sizeof(det), "d%uv%u va 0x%" PRIx64 " %s state %s", v->d->id, v->id,
                 v->area.va, mode, hv_runstate_name(v->rs.state));
        hv_event(hv, v, "runstate_walk_failed", det);
    }
}

/* The registration-time copy (Xen: __copy_to_guest of the current runstate, result ignored). */
static void runstate_initial(struct hc *h, struct hv_vcpu *t)
{
    (void)runstate_write(t == h->v ? h->v : t);
}

static int64_t register_runstate_va(struct hc *h, struct hv_vcpu *t, uint64_t arg)
{
    struct hv *hv = h->v->d->hv;
    uint8_t b[8];
    if (hv_hc_from_guest(h, b, arg, 8))
        return -XEN_EFAULT;
    uint64_t va = 0;
    for (unsigned i = 0; i < 8; i++)
        va |= (uint64_t)b[i] << (8 * i);
    struct hv_rs_area *ar = &t->area;
    switch (hv->policy) {
    case HV_RS_VA_ONCE: {
        /* arm-vmap v3 arch_vcpu_setup_runstate / setup_runstate_vcpu_locked */
        ar->va_set = ar->cached = false;
        if (!va)
            return 0;
        unsigned off = (unsigned)(va & 4095);
        if (off % 8)
            return -XEN_EINVAL;
        uint64_t pa0, pa1 = 0;
        if (hv_gva_to_pa(h->v, va, true, &pa0))
            return -XEN_EINVAL;
        if (off > 4096 - HV_RUNSTATE_SIZE && hv_gva_to_pa(h->v, va + 4096, true, &pa1))
            return -XEN_EINVAL;
        ar->va = va;
        ar->va_set = ar->cached = true;
        ar->pa[0] = pa0;
        ar->pa[1] = pa1 & ~4095ull;
        ar->len0 = 4096 - off < HV_RUNSTATE_SIZE ? 4096 - off : HV_RUNSTATE_SIZE;
        runstate_initial(h, t);
        return 0;
    }
    case HV_RS_GPA_CACHED: {
        /* QEMU xen-emu.c vcpuop_register_runstate_info: one kvm_gva_to_gpa, -EFAULT if it
         * fails; ~0 unregisters. KVM splits at the next guest-physical page (two gpcs). */
        ar->va_set = ar->cached = false;
        if (va == ~0ull)
            return 0;
        uint64_t ipa, pa0, pa1 = 0;
        if (hv->ops->gva_to_gpa(h->v, va, &ipa))
            return -XEN_EFAULT;
        /* The GPA goes to KVM asynchronously (do_set_vcpu_runstate_gpa): a GPA that is not
         * RAM makes the gfn_to_pfn cache activation fail there, unseen by the guest; the
         * area is then never updated. */
        unsigned off = (unsigned)(ipa & 4095);
        if (hv_p2m_lookup(h->v, ipa, true, &pa0) ||
            (off + HV_RUNSTATE_SIZE > 4096 &&
             hv_p2m_lookup(h->v, (ipa & ~4095ull) + 4096, true, &pa1)))
            return 0;
        ar->va = va;
        ar->va_set = ar->cached = true;
        ar->pa[0] = pa0;
        ar->pa[1] = pa1;
        ar->len0 = 4096 - off < HV_RUNSTATE_SIZE ? 4096 - off : HV_RUNSTATE_SIZE;
        runstate_initial(h, t);
        return 0;
    }
    default:
        /* Xen (common/domain.c VCPUOP_register_runstate_memory_area): the handle is stored
         * unchecked (guest_handle_okay is always true for a translated guest), an immediate
         * __copy_to_guest whose result is ignored, and 0. */
        ar->va = va;
        ar->va_set = va != 0; /* guest_handle_is_null: a NULL handle is never updated */
        runstate_initial(h, t);
        return 0;
    }
}

/* map_guest_area() rules of Xen 4.18 (xen/common/domain.c) for op 14. */
static int64_t register_runstate_pa(struct hc *h, struct hv_vcpu *t, uint64_t arg)
{
    uint8_t b[8];
    if (hv_hc_from_guest(h, b, arg, 8))
        return -XEN_EFAULT;
    uint64_t gaddr = 0;
    for (unsigned i = 0; i < 8; i++)
        gaddr |= (uint64_t)b[i] << (8 * i);
    if (gaddr == ~0ull) {
        t->area.pa_set = false;
        return 0;
    }
    if ((gaddr >> 12) != ((gaddr + HV_RUNSTATE_SIZE - 1) >> 12))
        return -XEN_ENXIO;
    if (gaddr & 7)
        return -XEN_ENXIO;
    uint64_t pa;
    if (hv_p2m_lookup(h->v, gaddr, true, &pa) ||
        !sim_mem_is_ram(&h->v->d->hv->m->mem, pa, HV_RUNSTATE_SIZE))
        return -XEN_EINVAL; /* check_get_page_from_gfn: not a RAM page of the domain */
    t->area.pa_set = true;
    t->area.pa_area = pa;
    if (t == h->v)
        (void)runstate_write(t); /* populate callback: only for the current vCPU */
    return 0;
}

/* VCPUOP_register_vcpu_info (map_vcpu_info in 4.17, map_guest_area in 4.18). */
static int64_t register_vcpu_info(struct hc *h, struct hv_vcpu *t, uint64_t arg)
{
    const struct hv_profile *p = h->v->d->hv->prof;
    const unsigned VCPU_INFO_SIZE = h->v->d->hv->ops->vcpu_info_size; /* 48 arm64, 64 x86 */
    uint8_t b[16];
    if (hv_hc_from_guest(h, b, arg, 16))
        return -XEN_EFAULT;
    uint64_t gfn = 0;
    uint32_t off = 0;
    for (unsigned i = 0; i < 8; i++)
        gfn |= (uint64_t)b[i] << (8 * i);
    for (unsigned i = 0; i < 4; i++)
        off |= (uint32_t)b[8 + i] << (8 * i);
    if (p->map_guest_area) {
        if (off > 4096 - VCPU_INFO_SIZE || (off & 7))
            return -XEN_ENXIO;
        if (t->vcpu_info_set)
            return -XEN_EBUSY;
    } else {
        if (off > 4096 - VCPU_INFO_SIZE)
            return -XEN_EINVAL;
        if (t->vcpu_info_set)
            return -XEN_EINVAL;
    }
    if (t != h->v && t->online)
        return -XEN_EINVAL; /* only on yourself or an offline vCPU */
    uint64_t pa;
    if (gfn >> 36 || hv_p2m_lookup(h->v, gfn << 12, true, &pa))
        return -XEN_EINVAL;
    pa += off;
    t->vcpu_info_set = true;
    t->vcpu_info_pa = pa;
    /* Mark every event pending so the guest takes one upcall: evtchn_upcall_pending = 1,
     * evtchn_pending_sel = ~0, arch_evtchn_inject (xen/common/domain.c map_vcpu_info). */
    uint8_t vi[64] = {0};
    vi[0] = 1;
    memset(vi + 8, 0xff, 8);
    hv_write_pa(h->v, pa, vi, VCPU_INFO_SIZE);
    h->v->d->hv->ops->evtchn_inject(t);
    return 0;
}

static int64_t do_vcpu_op(struct hc *h, const uint64_t *a)
{
    struct hv_domain *d = h->v->d;
    const struct hv_profile *p = d->hv->prof;
    int cmd = (int)a[0];
    static const char *const names[] = {"initialise", "up", "down", "is_up", "get_runstate_info",
        "register_runstate_memory_area", "set_periodic_timer", "stop_periodic_timer",
        "set_singleshot_timer", "stop_singleshot_timer", "register_vcpu_info", "send_nmi",
        "get_physid", "register_vcpu_time_memory_area", "register_runstate_phys_area",
        "register_vcpu_time_phys_area"};
    hv_hc_sub(h, cmd, cmd >= 0 && cmd < 16 ? names[cmd] : "unknown");
    /* The arch filter: Arm's do_arm_vcpu_op (xen/arch/arm/domain.c) forwards only ops 5
     * and 10 (and, in the pa profiles, 14) to the common do_vcpu_op; everything else is
     * -EINVAL. x86: hv/x86/vcpu.c. */
    int chk = d->hv->ops->vcpu_op_check(p, cmd);
    if (chk)
        return chk;
    uint64_t vcpuid = a[1] & 0xffffffffu;
    if (vcpuid >= d->nvcpus)
        return -XEN_ENOENT; /* domain_vcpu() == NULL */
    struct hv_vcpu *t = d->vcpu[vcpuid];
    switch (cmd) {
    case 4: { /* get_runstate_info: the vCPU's struct vcpu_runstate_info */
        uint8_t img[HV_RUNSTATE_SIZE];
        hv_runstate_image(&t->rs, false, img);
        return hv_hc_to_guest(h, a[2], img, sizeof(img)) ? -XEN_EFAULT : 0;
    }
    case 5: return register_runstate_va(h, t, a[2]);
    case 10: return register_vcpu_info(h, t, a[2]);
    case 14: return register_runstate_pa(h, t, a[2]);
    default: return d->hv->ops->vcpu_op(h, cmd, t, a[2]);
    }
}

/* ---- sched_op (xen/common/sched/core.c do_sched_op) ---- */
static int64_t do_sched_op(struct hc *h, const uint64_t *a)
{
    struct hv_vcpu *v = h->v;
    int cmd = (int)a[0];
    switch (cmd) {
    case 0:
        hv_hc_sub(h, 0, "yield");
        hv_vcpu_yield(v);
        return 0;
    case 1:
        hv_hc_sub(h, 1, "block");
        hv_vcpu_block(v);
        return 0;
    case 2: {
        hv_hc_sub(h, 2, "shutdown");
        uint8_t b[4];
        if (hv_hc_from_guest(h, b, a[1], 4))
            return -XEN_EFAULT;
        hv_domain_shutdown(v->d, b[0]); /* (u8)sched_shutdown.reason */
        return 0;
    }
    case 3: {
        hv_hc_sub(h, 3, "poll");
        int64_t r = hv_sched_poll(h, a[1]);
        if (r == 0)
            hv_vcpu_block(v);
        return r < 0 ? r : 0;
    }
    case 4:
        hv_hc_sub(h, 4, "remote_shutdown");
        return -XEN_EPERM; /* xsm_schedop_shutdown: not privileged */
    case 5: {
        hv_hc_sub(h, 5, "shutdown_code");
        uint8_t b[4];
        if (hv_hc_from_guest(h, b, a[1], 4))
            return -XEN_EFAULT;
        return 0;
    }
    default:
        hv_hc_sub(h, cmd, "unknown");
        return -XEN_ENOSYS;
    }
}

static const char *hc_name(unsigned nr)
{
    switch (nr) {
    case HC_memory_op: return "memory_op";
    case HC_multicall: return "multicall";
    case HC_xen_version: return "xen_version";
    case HC_console_io: return "console_io";
    case HC_grant_table_op: return "grant_table_op";
    case HC_vm_assist: return "vm_assist";
    case HC_vcpu_op: return "vcpu_op";
    case HC_sched_op: return "sched_op";
    case HC_event_channel_op: return "event_channel_op";
    case HC_physdev_op: return "physdev_op";
    case HC_hvm_op: return "hvm_op";
    default: return "unknown";
    }
}

int64_t hv_hc_dispatch(struct hc *h, uint64_t nr, const uint64_t *a)
{
    switch (nr) {
    case HC_memory_op: return hv_do_memory_op(h, a);
    case HC_multicall: return hv_do_multicall(h, a);
    case HC_xen_version: return do_xen_version(h, a);
    case HC_console_io: return do_console_io(h, a);
    case HC_grant_table_op: return hv_do_grant_table_op(h, a);
    case HC_vm_assist: return do_vm_assist(h, a);
    case HC_vcpu_op: return do_vcpu_op(h, a);
    case HC_sched_op: return do_sched_op(h, a);
    case HC_event_channel_op: return hv_do_event_channel_op(h, a);
    case HC_hvm_op: return hv_do_hvm_op(h, a);
    default: return -XEN_ENOSYS; /* not in arm_hypercall_table (physdev_op: -ENOSYS too) */
    }
}

int64_t hv_hypercall_begin(struct hv_vcpu *v, uint64_t c0, uint64_t nr, const uint64_t a[5],
                           struct hv_hcall_meas *mm)
{
    struct hv *hv = v->d->hv;
    mm->c0 = c0;
    mm->s1 = *hv->hv_refs_s1 + *hv->hv_sw_s1;
    mm->s2 = *hv->hv_refs_s2 + *hv->hv_sw_s2;
    mm->tlb = *hv->hv_dtlb_miss;
    mm->tr = hv->translations;
    memset(&mm->h, 0, sizeof(mm->h));
    mm->h.v = v;
    mm->h.subop = -1;
    if (hv->prof->pa_flag && (nr & HV_PA_FLAG)) {
        mm->h.pa = true;
        nr &= ~(uint64_t)HV_PA_FLAG;
    }
    mm->nr = nr;
    if (v->d->st_hcalls)
        (*v->d->st_hcalls)++;
    return hv_hc_dispatch(&mm->h, nr, a);
}

void hv_hypercall_done(struct hv_vcpu *v, struct hv_hcall_meas *mm, int64_t ret,
                       bool charge_entry)
{
    struct hv *hv = v->d->hv;
    if (charge_entry)
        hv_charge(v, hv->m->model.cost_vmentry);
    struct hv_hcall_sample s = {
        .cycles = *v->cycles - mm->c0 + (charge_entry ? 0 : hv->m->model.cost_vmentry),
        .translations = hv->translations - mm->tr,
        .walk_refs_s1 = *hv->hv_refs_s1 + *hv->hv_sw_s1 - mm->s1,
        .walk_refs_s2 = *hv->hv_refs_s2 + *hv->hv_sw_s2 - mm->s2,
        .tlb_misses = *hv->hv_dtlb_miss - mm->tlb,
        .failed = ret < 0,
    };
    unsigned rnr = mm->nr > 0xffff ? 0xffff : (unsigned)mm->nr;
    hv_hcall_stats_add(&hv->hc, v->gid, rnr, hc_name(rnr), mm->h.subop, mm->h.subop_name, &s);
}

void hv_hypercall_refused(struct hv_vcpu *v, uint64_t c0, uint64_t nr, uint64_t extra_cycles)
{
    struct hv *hv = v->d->hv;
    struct hv_hcall_sample s = {.cycles = *v->cycles - c0 + extra_cycles, .failed = 1};
    unsigned rnr = nr > 0xffff ? 0xffff : (unsigned)nr;
    if (v->d->st_hcalls)
        (*v->d->st_hcalls)++;
    hv_hcall_stats_add(&hv->hc, v->gid, rnr, hc_name(rnr), -1, NULL, &s);
}
