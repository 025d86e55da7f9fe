/* hv/arm/guestcopy.c - how Xen on Arm translates a guest VA for the hypervisor
 * (xen/arch/arm/p2m.c get_page_from_gva, xen/arch/arm/guest_walk.c guest_walk_tables): the
 * modelled AT S12E1R/W through the pCPU's shared TLBs, walk caches and data caches, and its
 * software fallback with the p2m lookups on the software-walk port, all counted as hv.*.
 * The page-by-page copy loop is common (hv/guestcopy.c). The confidential-VM refusal happens
 * there, before this is called (hv_gva_to_pa). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arm/internal.h"

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

int hv_arm_gva_to_pa(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa)
{
    struct hv *hv = v->d->hv;
    const struct mmu_cpu_model *cm = &hv->m->model;
    struct mmu *mmu = hv_pcpu_mmu(v);
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

