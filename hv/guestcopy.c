/* hv/guestcopy.c - the hypervisor's accesses to guest memory, common to both architectures
 * (xen/arch/arm/guestcopy.c copy_guest, xen/arch/x86/hvm/hvm.c __hvm_copy: page by page,
 * one translation per page). The translation itself is the arch's: Arm's AT S12E1 with the
 * software fallback (hv/arm/guestcopy.c), x86's software walk of the guest's CR3 tables
 * through EPT (hv/x86/guestcopy.c). Every access is charged to the pCPU's translation model
 * under the hypervisor's counters (hv.*); the copies go through the data caches. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/domain.h"

void hv_charge(struct hv_vcpu *v, uint64_t cycles)
{
    *v->cycles += cycles;
}

struct mmu *hv_pcpu_mmu(struct hv_vcpu *v)
{
    return v->d->hv->pcpu[v->pcpu].mmu;
}

void hv_write_pa(struct hv_vcpu *v, uint64_t pa, const void *src, uint64_t len)
{
    if (!len)
        return;
    sim_mem_write_buf(&v->d->hv->m->mem, pa, src, len);
    hv_charge(v, mmu_data_access(hv_pcpu_mmu(v), MMU_WHO_HV, pa, (unsigned)len, true));
}

void hv_read_pa(struct hv_vcpu *v, uint64_t pa, void *dst, uint64_t len)
{
    if (!len)
        return;
    if (sim_mem_read_buf(&v->d->hv->m->mem, pa, dst, len))
        memset(dst, 0, len);
    hv_charge(v, mmu_data_access(hv_pcpu_mmu(v), MMU_WHO_HV, pa, (unsigned)len, false));
}

void hv_event(struct hv *hv, struct hv_vcpu *v, const char *kind, const char *detail)
{
    if (hv->nevents >= 100000)
        return; /* bound the database rows of a pathological run */
    if (hv->nevents == hv->cap_events) {
        size_t cap = hv->cap_events ? 2 * hv->cap_events : 64;
        struct res_event *e = realloc(hv->events, cap * sizeof(*e));
        if (!e)
            return;
        hv->events = e;
        char(*dd)[96] = realloc(hv->event_detail, cap * sizeof(*dd));
        if (!dd)
            return;
        hv->event_detail = dd;
        hv->cap_events = cap;
    }
    struct res_event *e = &hv->events[hv->nevents];
    snprintf(hv->event_detail[hv->nevents], sizeof(hv->event_detail[0]), "%s", detail);
    e->cycle = v ? *v->cycles : 0;
    e->vcpu = v ? v->gid : 0;
    e->kind = kind;
    e->detail = NULL; /* pointed at event_detail when the run ends (the array may move) */
    hv->nevents++;
}

int hv_gva_to_pa(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa)
{
    if (v->d->confidential) {
        /* Modelled confidential VM (docs/hv.md "Confidential guests"): the guest's page
         * tables and private memory are out of the hypervisor's reach, so a VA cannot be
         * translated at all: no hardware or software walk, no (XEN) message. */
        (*v->d->hv->st_conf_denied)++;
        return -EFAULT;
    }
    return v->d->hv->ops->gva_to_pa(v, va, write, pa);
}

static int check_ram(struct hv_vcpu *v, uint64_t pa, uint64_t n)
{
    return sim_mem_is_ram(&v->d->hv->m->mem, pa, n) ? 0 : -EFAULT;
}

/* copy_guest() (xen/arch/arm/guestcopy.c) / __hvm_copy (xen/arch/x86/hvm/hvm.c): page by
 * page, one translation per page; the address is a guest VA (COPY_linear: the vCPU's live
 * translation) or a guest-physical address (a p2m lookup, counted as a translation). */
enum { COPY_TO = 1, COPY_LINEAR = 2 };

static int copy_guest(struct hv_vcpu *v, uint64_t addr, uint8_t *buf, uint64_t len,
                      unsigned flags)
{
    bool to = flags & COPY_TO;
    while (len) {
        uint64_t n = 4096 - (addr & 4095);
        if (n > len)
            n = len;
        uint64_t pa;
        int rc;
        if (flags & COPY_LINEAR) {
            rc = hv_gva_to_pa(v, addr, to, &pa);
        } else {
            v->d->hv->translations++;
            (*v->d->hv->st_translations)++;
            rc = hv_p2m_lookup(v, addr, to, &pa);
        }
        if (rc || check_ram(v, pa, n))
            return -EFAULT;
        if (to)
            hv_write_pa(v, pa, buf, n);
        else
            hv_read_pa(v, pa, buf, n);
        buf += n;
        addr += n;
        len -= n;
    }
    return 0;
}

int hv_copy_to_guest_va(struct hv_vcpu *v, uint64_t va, const void *src, uint64_t len)
{
    return copy_guest(v, va, (uint8_t *)src, len, COPY_TO | COPY_LINEAR);
}

int hv_copy_from_guest_va(struct hv_vcpu *v, void *dst, uint64_t va, uint64_t len)
{
    return copy_guest(v, va, dst, len, COPY_LINEAR);
}

/* copy_{to,from}_guest_phys / access_guest_memory_by_gpa / hvm_copy_*_guest_phys. */
int hv_copy_to_guest_pa(struct hv_vcpu *v, uint64_t ipa, const void *src, uint64_t len)
{
    return copy_guest(v, ipa, (uint8_t *)src, len, COPY_TO);
}

int hv_copy_from_guest_pa(struct hv_vcpu *v, void *dst, uint64_t ipa, uint64_t len)
{
    return copy_guest(v, ipa, dst, len, 0);
}
