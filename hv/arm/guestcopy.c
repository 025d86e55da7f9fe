/* hv/arm/guestcopy.c - the hypervisor's accesses to guest memory, as Xen on Arm makes them
 * (xen/arch/arm/guestcopy.c copy_guest, xen/arch/arm/p2m.c get_page_from_gva,
 * xen/arch/arm/guest_walk.c guest_walk_tables). Every access is charged to the pCPU's
 * translation model under the hypervisor's counters (hv.*): the VA path through the modelled
 * AT S12E1R/W (the shared TLBs, walk caches and data caches), its software fallback and the
 * p2m lookups through the software-walk port, the copies through the data caches. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arm/internal.h"

void hv_charge(struct hv_vcpu *v, uint64_t cycles)
{
    v->cpu->cycles += cycles;
}

static struct mmu *pmmu(struct hv_vcpu *v)
{
    return v->d->hv->pcpu[v->pcpu].mmu;
}

void hv_write_pa(struct hv_vcpu *v, uint64_t pa, const void *src, uint64_t len)
{
    if (!len)
        return;
    sim_mem_write_buf(&v->d->hv->m->mem, pa, src, len);
    hv_charge(v, mmu_data_access(pmmu(v), MMU_WHO_HV, pa, (unsigned)len, true));
}

void hv_read_pa(struct hv_vcpu *v, uint64_t pa, void *dst, uint64_t len)
{
    if (!len)
        return;
    if (sim_mem_read_buf(&v->d->hv->m->mem, pa, dst, len))
        memset(dst, 0, len);
    hv_charge(v, mmu_data_access(pmmu(v), MMU_WHO_HV, pa, (unsigned)len, false));
}

void hv_event(struct hv_arm *hv, struct hv_vcpu *v, const char *kind, const char *detail)
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
    e->cycle = v ? v->cpu->cycles : 0;
    e->vcpu = v ? v->gid : 0;
    e->kind = kind;
    e->detail = NULL; /* pointed at event_detail when the run ends (the array may move) */
    hv->nevents++;
}

/* ---- software fallback: guest_walk_tables() reading each descriptor by IPA ---- */
struct sw_ctx {
    struct mmu_walk_port sw;     /* hv software-walk port of this pCPU */
    struct mmu_a64_regs r;
};

static int sw_read(void *opaque, uint64_t pa, unsigned size, int stage, int level, uint64_t *val)
{
    struct sw_ctx *c = opaque;
    return c->sw.read(c->sw.opaque, pa, size, stage, level, val);
}

/* access_guest_memory_by_gpa -> p2m lookup of the table IPA (xen/arch/arm/guest_walk.c) */
static int sw_s2(void *opaque, uint64_t ipa, int s1_level, bool write, uint64_t *pa,
                 struct mmu_fault *fault)
{
    (void)s1_level;
    (void)write;
    struct sw_ctx *c = opaque;
    struct mmu_walk_result res;
    if (mmu_a64_walk_s2(&c->r, ipa, MMU_ACC_READ, true, &c->sw, &res)) {
        *fault = res.fault;
        return -1;
    }
    *pa = res.oa;
    return 0;
}

int hv_gva_to_pa(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa)
{
    struct hv_arm *hv = v->d->hv;
    const struct mmu_cpu_model *cm = &hv->m->model;
    struct mmu *mmu = pmmu(v);
    if (v->d->confidential) {
        /* Modelled confidential VM (docs/hv.md "Confidential guests"): the guest's stage-1
         * tables and private memory are out of the hypervisor's reach, so a VA cannot be
         * translated at all: no AT, no software walk, no (XEN) message. */
        (*hv->st_conf_denied)++;
        return -EFAULT;
    }
    struct mmu_a64_regs r;
    a64_mmu_regs(v->cpu, &r);
    hv->translations++;
    (*hv->st_translations)++;
    /* gva_to_ma_par (xen/arch/arm/include/asm/arm64/page.h): save PAR_EL1, AT S12E1W/R,
     * isb, read PAR_EL1, restore PAR_EL1: three system-register accesses and a barrier. The
     * AT itself is a hardware walk of the live EL1&0 regime (TTBR0/1_EL1, TCR_EL1,
     * SCTLR_EL1 and VTTBR_EL2 as loaded now) through this pCPU's TLBs. */
    hv_charge(v, 3ull * cm->cost_sysreg + cm->cost_barrier);
    unsigned acc = (write ? MMU_ACC_WRITE : MMU_ACC_READ) | MMU_ACC_NOPAN;
    struct mmu_walk_result res;
    uint64_t cyc = 0;
    int rc = mmu_a64_xlate(mmu, MMU_WHO_HV, &r, MMU_A64_EL10, va, acc, &res, &cyc);
    hv_charge(v, cyc);
    if (rc == 0) {
        *pa = res.oa;
        return 0;
    }
    /* Software fallback: stage-1 walk in C with the same live registers, each descriptor
     * fetched by IPA through a software p2m lookup, then a p2m lookup of the result. */
    (*hv->st_xlate_fallback)++;
    struct sw_ctx c = {.sw = mmu_sw_walk_port(mmu, MMU_WHO_HV), .r = r};
    struct mmu_walk_port port = {.opaque = &c, .read = sw_read, .s2 = sw_s2};
    rc = mmu_a64_walk_s1(&r, MMU_A64_EL10, va, acc, &port, &res);
    if (rc == 0) {
        struct mmu_walk_result r2;
        rc = mmu_a64_walk_s2(&r, res.oa, write ? MMU_ACC_WRITE : MMU_ACC_READ, false, &c.sw, &r2);
        if (rc == 0)
            *pa = r2.oa;
    }
    hv_charge(v, mmu_sw_walk_take_cycles(mmu, MMU_WHO_HV));
    if (rc == 0)
        return 0;
    (*hv->st_xlate_failed)++;
    /* xen/arch/arm/p2m.c: "%pv: Failed to walk page-table va %#"PRIvaddr */
    if (!hv->stderr_quiet)
        fprintf(stderr, "(XEN) d%uv%u: Failed to walk page-table va 0x%" PRIx64 "\n", v->d->id,
                v->id, va);
    return -EFAULT;
}

static int check_ram(struct hv_vcpu *v, uint64_t pa, uint64_t n)
{
    return sim_mem_is_ram(&v->d->hv->m->mem, pa, n) ? 0 : -EFAULT;
}

/* copy_guest() (xen/arch/arm/guestcopy.c): page by page, one translation per page; the
 * address is a guest VA (COPY_linear: the vCPU's live stage 1 + stage 2) or an IPA (COPY_ipa:
 * a p2m lookup, counted as a translation). */
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

/* copy_{to,from}_guest_phys / access_guest_memory_by_gpa. */
int hv_copy_to_guest_pa(struct hv_vcpu *v, uint64_t ipa, const void *src, uint64_t len)
{
    return copy_guest(v, ipa, (uint8_t *)src, len, COPY_TO);
}

int hv_copy_from_guest_pa(struct hv_vcpu *v, void *dst, uint64_t ipa, uint64_t len)
{
    return copy_guest(v, ipa, dst, len, 0);
}
