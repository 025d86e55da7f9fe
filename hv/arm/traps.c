/* hv/arm/traps.c - the EL2 trap dispatcher (xen/arch/arm/traps.c do_trap_guest_sync):
 * decode ESR_EL2.EC, charge the world switch and Xen's fixed handler cost, run the handler,
 * inject exceptions into the guest the way Xen does (inject_undef64_exception,
 * inject_abt64_exception), and emulate MMIO from the data-abort syndrome
 * (xen/arch/arm/io.c try_handle_mmio, decode.c for accesses without a valid syndrome). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "hv/arm/internal.h"

#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define XEN_HYPERCALL_TAG 0xea1

/* Build SPSR from the vCPU's PSTATE (ARM DDI0487 C5.2.18). */
static uint64_t guest_spsr(const struct a64_cpu *c)
{
    return c->nzcv | (c->uao ? A64_PSTATE_UAO : 0) | (c->pan ? A64_PSTATE_PAN : 0) |
           (c->il ? A64_PSTATE_IL : 0) | c->daif | (c->el << 2) | c->spsel;
}

/* exception_handler64 + inject_*64_exception (xen/arch/arm/traps.c): SPSR_EL1 = CPSR,
 * ELR_EL1 = the trapped PC, CPSR = EL1h with D, A, I, F masked, PC = VBAR_EL1 + the
 * vector group (lower EL 0x400 / current EL SPx 0x200 / SP0 0x000) + sync offset 0. */
static void inject_sync(struct hv_vcpu *v, uint32_t esr, bool set_far, uint64_t far)
{
    struct a64_cpu *c = v->cpu;
    uint64_t base = c->vbar_el1 & ~0x7ffull;
    base += c->el == 0 ? 0x400 : c->spsel ? 0x200 : 0x000;
    c->spsr_el1 = guest_spsr(c);
    c->elr_el1 = c->pc;
    c->el = 1;
    c->spsel = 1;
    c->daif = A64_PSTATE_D | A64_PSTATE_A | A64_PSTATE_I | A64_PSTATE_F;
    c->il = false;
    c->esr_el1 = esr;
    if (set_far)
        c->far_el1 = far;
    c->pc = base;
    a64_flush_decoded(c); /* the fetch fast path must see the new EL */
}

void hv_inject_undef(struct hv_vcpu *v)
{
    /* ESR: EC 0 (unknown), IL 1 (32-bit instruction), ISS 0 */
    inject_sync(v, EC_UNKNOWN << 26 | 1u << 25, false, 0);
}

void hv_inject_dabt(struct hv_vcpu *v, uint64_t va)
{
    uint32_t ec = v->cpu->el == 0 ? EC_DABT_LOW : EC_DABT_CUR;
    inject_sync(v, ec << 26 | 1u << 25, true, va);
}

static void inject_iabt(struct hv_vcpu *v, uint64_t va)
{
    uint32_t ec = v->cpu->el == 0 ? EC_IABT_LOW : EC_IABT_CUR;
    inject_sync(v, ec << 26 | 1u << 25, true, va);
}

/* ---- MMIO decode for an abort without a valid syndrome (ISV = 0) ----
 * Xen's decode_instruction (xen/arch/arm/decode.c) for the single-register loads and
 * stores the hardware would describe with ISV = 1, and post-indexed ones (Xen 4.17
 * "decode_loadstore_postindexing"). Returns 0 with the syndrome fields filled. */
struct mmio_insn {
    unsigned size;     /* bytes */
    unsigned rt;
    bool write, sign, sf;
    bool wback;
    unsigned rn;
    int64_t wback_off;
};

static int decode_ldst(uint32_t insn, struct mmio_insn *mi)
{
    /* Load/store register (ARM DDI0487 C4.1.66): size[31:30] 111 V[26]=0 0 opc[23:22] */
    if ((insn & 0x3b000000u) != 0x38000000u && (insn & 0x3b000000u) != 0x39000000u)
        return -EINVAL;
    if (insn & (1u << 26))
        return -EINVAL; /* SIMD&FP register: never emulated */
    unsigned size = insn >> 30, opc = (insn >> 22) & 3;
    memset(mi, 0, sizeof(*mi));
    mi->size = 1u << size;
    mi->rt = insn & 31;
    mi->rn = (insn >> 5) & 31;
    if (opc == 0) {
        mi->write = true;
    } else if (opc == 1) {
        mi->write = false;
    } else {
        if (size == 3)
            return -EINVAL; /* PRFM */
        mi->write = false;
        mi->sign = true;
        mi->sf = opc == 2;
    }
    if (insn & (1u << 24)) /* unsigned offset */
        return 0;
    unsigned kind = (insn >> 10) & 3;
    if (insn & (1u << 21)) /* register offset: no writeback */
        return kind == 2 ? 0 : -EINVAL;
    int64_t imm9 = (int64_t)((insn >> 12) & 0x1ff);
    if (imm9 & 0x100)
        imm9 -= 0x200;
    if (kind == 0) /* unscaled (LDUR/STUR) */
        return 0;
    if (kind == 1) { /* post-index */
        mi->wback = true;
        mi->wback_off = imm9;
        return 0;
    }
    return -EINVAL; /* pre-index and unprivileged forms: not decoded (Xen neither) */
}

static int fetch_insn(struct hv_vcpu *v, uint32_t *insn)
{
    uint8_t b[4];
    int rc;
    /* Only reached for ISV = 0: the AArch64 core reports the ISS.ISV syndrome for single-
     * register loads/stores without writeback exactly as hardware does (ARM DDI0487
     * D17.2.40), so this is Xen's decode path for the rest (post-indexing, try_handle_mmio ->
     * decode_instruction). A confidential guest's memory is out of reach of VA/PA copies, but
     * the instruction word is read regardless (a modelling choice: the hardware-assisted
     * decode a confidential-VM architecture provides instead); handle_dabt then refuses the
     * forms Xen cannot emulate. */
    bool conf = v->d->confidential;
    v->d->confidential = false;
    if (v->cpu->sctlr_el1 & 1)
        rc = hv_copy_from_guest_va(v, b, v->cpu->pc, 4);
    else
        rc = hv_copy_from_guest_pa(v, b, v->cpu->pc, 4);
    v->d->confidential = conf;
    if (rc)
        return rc;
    *insn = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static uint64_t xreg(struct a64_cpu *c, unsigned n)
{
    return n == 31 ? 0 : c->x[n];
}

static void handle_dabt(struct hv_vcpu *v, uint32_t esr)
{
    struct a64_cpu *c = v->cpu;
    struct hv *hv = v->d->hv;
    uint32_t iss = esr & 0x1ffffff;
    uint64_t ipa = ((c->trap.hpfar >> 4) << 12) | (c->trap.far & 0xfff);
    bool isv = iss & (1u << 24);
    unsigned fsc = iss & 0x3f;
    bool gic = ipa >= GUEST_GICD_BASE && ipa < GUEST_GICC_BASE + GUEST_GICC_SIZE;
    bool uart = hv->m->cfg.vpl011 && ipa >= GUEST_PL011_BASE &&
                ipa < GUEST_PL011_BASE + GUEST_PL011_SIZE;
    /* Only translation faults (FSC 0b0001LL) outside stage-1 walks reach the emulators
     * (do_trap_stage2_abort_guest: S1PTW aborts and permission faults are injected). */
    if ((fsc & 0x3c) != 0x04 || (iss & (1u << 7)) || (!gic && !uart)) {
        hv_inject_dabt(v, c->trap.far);
        return;
    }
    struct mmio_insn mi;
    if (isv) {
        memset(&mi, 0, sizeof(mi));
        mi.size = 1u << ((iss >> 22) & 3);
        mi.sign = (iss >> 21) & 1;
        mi.rt = (iss >> 16) & 31;
        mi.sf = (iss >> 15) & 1;
        mi.write = (iss >> 6) & 1;
    } else {
        uint32_t insn;
        if (fetch_insn(v, &insn) || decode_ldst(insn, &mi) ||
            (v->d->confidential && mi.wback)) {
            /* try_handle_mmio: "Unable to decode instruction" -> data abort injected */
            hv_inject_dabt(v, c->trap.far);
            return;
        }
    }
    (*hv->st_mmio)++;
    uint64_t val = mi.write ? xreg(c, mi.rt) : 0;
    if (mi.size < 8 && mi.write)
        val &= (1ull << (8 * mi.size)) - 1;
    int rc = gic ? hv_vgic_mmio(v, ipa, mi.write, mi.size, &val)
                 : hv_vpl011_mmio(v, ipa - GUEST_PL011_BASE, mi.write, mi.size, &val);
    if (rc) {
        hv_inject_dabt(v, c->trap.far);
        return;
    }
    if (!mi.write && mi.rt != 31) {
        if (mi.size < 8)
            val &= (1ull << (8 * mi.size)) - 1;
        if (mi.sign && mi.size < 8 && (val >> (8 * mi.size - 1)) & 1)
            val |= ~((1ull << (8 * mi.size)) - 1);
        if (!mi.sf && mi.sign)
            val &= 0xffffffffull;
        c->x[mi.rt] = val;
    }
    if (mi.wback) {
        if (mi.rn == 31) {
            if (c->spsel)
                c->sp_el[c->el] += (uint64_t)mi.wback_off;
            else
                c->sp_el[0] += (uint64_t)mi.wback_off;
        } else {
            c->x[mi.rn] += (uint64_t)mi.wback_off;
        }
    }
    c->pc += 4; /* advance_pc */
}

/* Xen's fixed cost of one trap (entry.S register save/restore, do_trap_guest_sync
 * dispatch, the exit path), calibrated so that a null hypercall, xen_version(XENVER_version)
 * which touches no memory, costs 376 cycles on the cortex-a57 model: Dall et al., "ARM
 * Virtualization: Performance and Architectural Implications", ISCA 2016, Table 3 (Xen ARM
 * hypercall 376 cycles, confirmed by the Linaro blog, xen-abi.md §9a), minus the model's
 * bare HVC + ERET round trip (cost_vmexit + cost_vmentry = 100 cycles on cortex-a57). */
#define XEN_TRAP_HANDLER_CYCLES 276u

/* do_trap_hypercall (xen/arch/arm/traps.c): x16 = number, x0-x4 = arguments, x0 = result,
 * every other register preserved as on a non-debug Xen. c0: cycles at the trap. */
static void hypercall(struct hv_vcpu *v, uint64_t c0)
{
    struct a64_cpu *c = v->cpu;
    struct hv_hcall_meas mm;
    const uint64_t a[5] = {c->x[0], c->x[1], c->x[2], c->x[3], c->x[4]};
    int64_t ret = hv_hypercall_begin(v, c0, c->x[16], a, &mm);
    c->x[0] = (uint64_t)ret;
    hv_hypercall_done(v, &mm, ret, true);
}

void hv_trap(struct hv_vcpu *v)
{
    struct hv *hv = v->d->hv;
    struct a64_cpu *c = v->cpu;
    uint32_t esr = c->trap.esr_el2;
    unsigned ec = esr >> 26;
    uint64_t c0 = c->cycles;
    (*hv->st_traps)++;
    hv_charge(v, hv->m->model.cost_vmexit + XEN_TRAP_HANDLER_CYCLES);
    switch (ec) {
    case EC_HVC64: {
        unsigned imm = esr & 0xffff;
        if (imm == XEN_HYPERCALL_TAG) {
            hypercall(v, c0); /* charges the ERET and records the call's row */
            *hv->st_trap_cycles += c->cycles - c0;
            return;
        }
        if (imm == 0)
            hv_psci(v);
        else
            hv_inject_undef(v); /* "Invalid HVC imm" */
        break;
    }
    case EC_SMC64:
        /* do_trap_smc: vsmccc_handle_call for SMC #0 (PSCI over SMC), UNDEF otherwise. The
         * preferred return of a trapped SMC is the SMC itself. */
        if ((esr & 0xffff) == 0) {
            c->pc += 4;
            hv_psci(v);
        } else {
            hv_inject_undef(v);
        }
        break;
    case EC_WFX:
        (*hv->st_wfi)++;
        c->pc += 4; /* advance_pc */
        if (esr & 1)
            hv_vcpu_yield(v);  /* WFE: vcpu_yield() */
        else
            hv_vcpu_block(v);  /* WFI: vcpu_block_unless_event_pending() */
        break;
    case EC_DABT_LOW:
        handle_dabt(v, esr);
        break;
    case EC_IABT_LOW:
        /* do_trap_instr_abort_guest: stage-2 prefetch abort -> inject a prefetch abort */
        inject_iabt(v, c->trap.far);
        break;
    default:
        hv_inject_undef(v);
        break;
    }
    hv_charge(v, hv->m->model.cost_vmentry);
    *hv->st_trap_cycles += c->cycles - c0;
}
