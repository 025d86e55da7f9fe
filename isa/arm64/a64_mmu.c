/* isa/arm64/a64_mmu.c - the AArch64 core's MMU hooks (see a64_mmu.h). */
#include "isa/arm64/a64_mmu.h"

#include <errno.h>
#include <string.h>

#include "isa/arm64/a64_internal.h"

void a64_mmu_regs(const struct a64_cpu *c, struct mmu_a64_regs *r)
{
    *r = (struct mmu_a64_regs){
        .sctlr_el1 = c->sctlr_el1,
        .tcr_el1 = c->tcr_el1,
        .ttbr0_el1 = c->ttbr0_el1,
        .ttbr1_el1 = c->ttbr1_el1,
        .mair_el1 = c->mair_el1,
        .hcr_el2 = c->hcr_el2,
        .vtcr_el2 = c->vtcr_el2,
        .vttbr_el2 = c->vttbr_el2,
        .pan = c->pan,
        .pa_bits = c->model->pa_bits,
    };
}

static int hook_xlate(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                      struct a64_xlate *out, struct mmu_fault *fault)
{
    struct a64_mmu_link *l = opaque;
    bool write = acc & MMU_ACC_WRITE;
    /* MMU off and no stage 2 (ARM DDI0487 D8.2.x): flat; above the PA size is an address
     * size fault at level 0. Data accesses are Device-nGnRnE, fetches Normal. */
    if (!(c->sctlr_el1 & 1) && !(c->hcr_el2 & 1)) {
        if (c->model->pa_bits < 64 && (va >> c->model->pa_bits)) {
            memset(fault, 0, sizeof(*fault));
            fault->kind = MMU_FAULT_ADDRESS_SIZE;
            fault->stage = 1;
            fault->va = va;
            fault->write = write;
            return -1;
        }
        out->pa = va;
        out->attr = (acc & MMU_ACC_EXEC) ? 0x44 : 0x00;
        if (!(acc & MMU_ACC_EXEC))
            c->cycles += mmu_data_access(l->mmu, l->who, va, 1, write);
        return 0;
    }
    struct mmu_a64_regs r;
    struct mmu_walk_result res;
    a64_mmu_regs(c, &r);
    if (mmu_a64_xlate(l->mmu, l->who, &r, MMU_A64_EL10, va, acc, &res, &c->cycles)) {
        *fault = res.fault;
        return -1;
    }
    out->pa = res.oa;
    out->attr = (uint8_t)(res.attrs >> 56);
    if (!(acc & MMU_ACC_EXEC))
        c->cycles += mmu_data_access(l->mmu, l->who, res.oa, 1, write);
    return 0;
}

/* ---- the core's memory fast path (a64.h xlate_ticket; docs/model.md "Fast paths") ---- */
/* Ticket of the flat translation (MMU off, no stage 2): nothing but the data access is
 * counted and no translation state is involved, so it never changes. */
static const uint64_t flat_gen = 0;

static int hook_ticket(void *opaque, struct a64_cpu *c, uint64_t va, unsigned acc,
                       struct mmu_l1_ticket *t)
{
    struct a64_mmu_link *l = opaque;
    if (!(c->sctlr_el1 & 1) && !(c->hcr_el2 & 1)) {
        t->gen = &flat_gen;
        t->gen_val = 0;
        t->hit_ctr = NULL;
        t->tlb = NULL;
        t->entry = NULL;
        return 0;
    }
    struct mmu_a64_regs r;
    a64_mmu_regs(c, &r);
    return mmu_a64_l1_ticket(l->mmu, l->who, &r, MMU_A64_EL10, va, acc, t);
}

/* The data-cache charge hook_xlate makes after a successful data translation. */
static unsigned hook_data_cost(void *opaque, uint64_t pa, bool write)
{
    struct a64_mmu_link *l = opaque;
    return mmu_data_access(l->mmu, l->who, pa, 1, write);
}

/* TLBI and AT encodings (op1, CRm, op2 of SYS with CRn 8 / 7), ARM DDI0487 C5.5. */
static int tlbi_op(uint32_t enc)
{
    unsigned op1 = (enc >> 11) & 7, crm = (enc >> 3) & 15, op2 = enc & 7;
    if (op1 != 0 || (crm != 3 && crm != 7))
        return -1;
    bool is = crm == 3;
    switch (op2) {
    case 0: return is ? MMU_TLBI_VMALLE1IS : MMU_TLBI_VMALLE1;
    case 1: return is ? MMU_TLBI_VAE1IS : MMU_TLBI_VAE1;
    case 2: return is ? MMU_TLBI_ASIDE1IS : MMU_TLBI_ASIDE1;
    case 3: return is ? MMU_TLBI_VAAE1IS : MMU_TLBI_VAAE1;
    case 5: return is ? MMU_TLBI_VALE1IS : MMU_TLBI_VALE1;
    case 7: return is ? MMU_TLBI_VAALE1IS : MMU_TLBI_VAALE1;
    default: return -1;
    }
}

static int at_op(uint32_t enc)
{
    unsigned op1 = (enc >> 11) & 7, crm = (enc >> 3) & 15, op2 = enc & 7;
    if (op1 == 0 && crm == 8 && op2 <= 3)
        return MMU_AT_S1E1R + (int)op2; /* S1E1R, S1E1W, S1E0R, S1E0W */
    if (op1 == 0 && crm == 9 && op2 <= 1)
        return MMU_AT_S1E1RP + (int)op2;
    return -1;
}

static int hook_sys(void *opaque, struct a64_cpu *c, enum a64_sys_kind kind, uint32_t enc,
                    uint64_t val)
{
    struct a64_mmu_link *l = opaque;
    struct mmu_a64_regs r;
    a64_mmu_regs(c, &r);
    if (kind == A64_SYS_TLBI) {
        int op = tlbi_op(enc);
        if (op < 0)
            return -ENOSYS;
        mmu_a64_tlbi(l->mmu, (enum mmu_a64_tlbi_op)op, val, &r);
        return 0;
    }
    if (kind == A64_SYS_AT) {
        int op = at_op(enc);
        if (op < 0)
            return -ENOSYS;
        /* An AT walk reads descriptors through the caches but fills no TLB here; its
         * references are counted under <who>.swwalk.* (mmu_sw_walk_port). */
        struct mmu_walk_port port = mmu_sw_walk_port(l->mmu, l->who);
        c->par_el1 = mmu_a64_at(&r, (enum mmu_a64_at_op)op, val, &port, NULL);
        c->cycles += mmu_sw_walk_take_cycles(l->mmu, l->who);
        return 0;
    }
    return -ENOSYS;
}

void a64_mmu_attach(struct a64_cpu *c, struct a64_mmu_link *link)
{
    c->hook_opaque = link;
    c->xlate = hook_xlate;
    c->xlate_ticket = hook_ticket;
    c->data_cost = hook_data_cost;
    mmu_data_rehit_init(link->mmu, link->who, &link->rehit);
    c->data_rehit = &link->rehit;
    c->sys_hook = hook_sys;
}
