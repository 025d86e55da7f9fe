/* hv/arm/psci.c - SMCCC and PSCI calls (HVC #0 / SMC #0: xen/arch/arm/vsmc.c
 * vsmccc_handle_call, vpsci.c). */
#include <string.h>

#include "hv/arm/internal.h"

/* ---- SMCCC / PSCI (xen/arch/arm/vsmc.c vsmccc_handle_call, vpsci.c) ---- */
#define PSCI_SUCCESS 0
#define PSCI_NOT_SUPPORTED (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON (-4)

static uint32_t features_of(uint32_t fid)
{
    switch (fid) {
    case 0x84000000: case 0x84000001: case 0xc4000001: case 0x84000002: case 0x84000003:
    case 0xc4000003: case 0x84000004: case 0xc4000004: case 0x84000006: case 0x84000008:
    case 0x84000009: case 0x8400000a: case 0x80000000:
        return PSCI_SUCCESS;
    default:
        return (uint32_t)PSCI_NOT_SUPPORTED;
    }
}

/* do_common_cpu_on (xen/arch/arm/vpsci.c): pc = entry, x0 = context_id, PSR_GUEST64_INIT,
 * SCTLR_GUEST_INIT; the EL2 controls stay. */
static void vcpu_up(struct hv_vcpu *v, uint64_t entry, uint64_t context_id)
{
    uint64_t hcr = v->cpu->hcr_el2, vttbr = v->cpu->vttbr_el2, vtcr = v->cpu->vtcr_el2;
    uint64_t vmpidr = v->cpu->vmpidr_el2, off = v->cpu->cntvoff_el2, cyc = v->cpu->cycles;
    a64_cpu_reset(v->cpu, entry, 1);
    v->cpu->have_el2 = true;
    v->cpu->hcr_el2 = hcr & ~(1ull << 7);
    v->cpu->vttbr_el2 = vttbr;
    v->cpu->vtcr_el2 = vtcr;
    v->cpu->vmpidr_el2 = vmpidr;
    v->cpu->cntvoff_el2 = off;
    v->cpu->cycles = cyc;
    v->cpu->daif = A64_PSTATE_A | A64_PSTATE_I | A64_PSTATE_F;
    v->cpu->x[0] = context_id;
    hv_vcpu_online(v);
}

void hv_psci(struct hv_vcpu *v)
{
    struct a64_cpu *c = v->cpu;
    struct hv_domain *d = v->d;
    uint32_t fid = (uint32_t)c->x[0];
    int64_t r;
    switch (fid) {
    case 0x80000000: r = 0x10001; break;            /* SMCCC_VERSION: 1.1 */
    case 0x80000001: {                              /* SMCCC_ARCH_FEATURES */
        uint32_t q = (uint32_t)c->x[1];
        /* ARCH_WORKAROUND_1 (branch predictor hardening) is advertised on Cortex-A57;
         * WORKAROUND_2/3 need firmware support the model has none of. */
        r = (q == 0x80000001 || q == 0x80008000) ? 0 : PSCI_NOT_SUPPORTED;
        break;
    }
    case 0x80008000: r = 0; break;                  /* ARCH_WORKAROUND_1: nothing to do */
    case 0x84000000: r = 0x10001; break;            /* PSCI_VERSION: 1.1 */
    case 0x8400000a: r = (int32_t)features_of((uint32_t)c->x[1]); break; /* PSCI_FEATURES */
    case 0x84000006: r = 2; break;                  /* MIGRATE_INFO_TYPE: not present */
    case 0x84000001: case 0xc4000001:               /* CPU_SUSPEND */
        hv_vcpu_block(v);
        r = PSCI_SUCCESS;
        break;
    case 0x84000002:                                /* CPU_OFF */
        hv_vcpu_down(v);
        r = PSCI_SUCCESS;
        break;
    case 0x84000003: case 0xc4000003: {            /* CPU_ON */
        uint64_t mpidr = c->x[1], entry = c->x[2], ctx = c->x[3];
        if (fid == 0x84000003) {
            entry &= 0xffffffffu;
            ctx &= 0xffffffffu;
        }
        /* vaffinity_to_vcpuid: Aff0 < 16, vcpuid = Aff1 << 4 | Aff0, Aff2/Aff3 zero */
        uint64_t aff0 = mpidr & 0xff, aff1 = (mpidr >> 8) & 0xff;
        uint64_t id = aff1 << 4 | aff0;
        if (aff0 > 15 || (mpidr & 0xff00ff0000ull) || id >= d->nvcpus) {
            r = PSCI_INVALID_PARAMETERS;
        } else if (d->vcpu[id]->online) {
            r = PSCI_ALREADY_ON;
        } else {
            vcpu_up(d->vcpu[id], entry, ctx);
            r = PSCI_SUCCESS;
        }
        break;
    }
    case 0x84000004: case 0xc4000004: {            /* AFFINITY_INFO */
        uint64_t aff = c->x[1], lvl = c->x[2];
        if (lvl > 3) {
            r = PSCI_INVALID_PARAMETERS;
            break;
        }
        r = 1; /* OFF */
        for (unsigned i = 0; i < d->nvcpus; i++) {
            uint64_t mp = (i & 0xf) | ((uint64_t)(i >> 4) << 8);
            uint64_t mask = lvl == 0 ? 0xff00ffffffull : lvl == 1 ? 0xff00ffff00ull
                                                                  : 0xff00ff0000ull;
            if ((mp & mask) == (aff & mask) && d->vcpu[i]->online)
                r = 0;
        }
        break;
    }
    case 0x84000008:                                /* SYSTEM_OFF */
        hv_domain_shutdown(d, 0);
        r = PSCI_SUCCESS;
        break;
    case 0x84000009:                                /* SYSTEM_RESET */
        hv_domain_shutdown(d, 1);
        r = PSCI_SUCCESS;
        break;
    default:
        r = PSCI_NOT_SUPPORTED; /* ARM_SMCCC_ERR_UNKNOWN_FUNCTION, e.g. TRNG, vendor UID */
        break;
    }
    c->x[0] = (uint64_t)r;
}
