/* isa/arm64/exec_sys.c - system instructions: MRS/MSR (register and immediate), SYS
 * (IC, DC, AT, TLBI) and the EL0/EL1 system registers (ARM DDI0487 C5, D17). */
#include "isa/arm64/a64_internal.h"

#define R(op0, op1, crn, crm, op2) A64_SYSREG(op0, op1, crn, crm, op2)

#define SCTLR_DZE (1ull << 14)
#define SCTLR_UCT (1ull << 15)
#define SCTLR_UMA (1ull << 9)
#define SCTLR_UCI (1ull << 26)

/* Trap of an MSR/MRS/SYS to EL1 (EC 0x18), ISS per ARM DDI0487 D17.2.37 "ISS encoding for
 * an exception from MSR, MRS, or System instruction execution in AArch64 state". */
static void sysreg_trap(struct a64_cpu *c, uint32_t enc, unsigned rt, bool read)
{
    unsigned op0 = enc >> 14, op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15;
    unsigned crm = (enc >> 3) & 15, op2 = enc & 7;
    uint32_t iss = op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | (read ? 1 : 0);
    a64_exception(c, A64_EC_SYSREG, iss, 0, false, c->pc);
}

/* EL0 access to the generic timer, CNTKCTL_EL1 (ARM DDI0487 D17.11.x). */
static bool cnt_el0_ok(const struct a64_cpu *c, uint32_t enc)
{
    uint64_t k = c->cntkctl_el1;
    switch (enc) {
    case R(3, 3, 14, 0, 0): return (k & 3) != 0;     /* CNTFRQ: EL0PCTEN or EL0VCTEN */
    case R(3, 3, 14, 0, 1): return (k & 1) != 0;     /* CNTPCT: EL0PCTEN */
    case R(3, 3, 14, 0, 2): return (k & 2) != 0;     /* CNTVCT: EL0VCTEN */
    case R(3, 3, 14, 2, 0):
    case R(3, 3, 14, 2, 1):
    case R(3, 3, 14, 2, 2): return (k >> 9) & 1;     /* CNTP_*: EL0PTEN */
    default: return (k >> 8) & 1;                    /* CNTV_*: EL0VTEN */
    }
}

/* HCR_EL2 trap controls for EL1 system-register accesses (ARM DDI0487 D17.2.48). */
#define HCR_TID1 (1ull << 16)
#define HCR_TID2 (1ull << 17)
#define HCR_TID3 (1ull << 18)
#define HCR_TACR (1ull << 21)
#define HCR_TVM (1ull << 26)
#define HCR_TRVM (1ull << 30)

/* The virtual-memory control registers trapped by HCR_EL2.TVM (writes) and TRVM (reads):
 * SCTLR, TTBR0, TTBR1, TCR, ESR, FAR, AFSR0, AFSR1, MAIR, AMAIR, CONTEXTIDR (_EL1). */
static bool tvm_reg(uint32_t enc)
{
    switch (enc) {
    case R(3, 0, 1, 0, 0): case R(3, 0, 2, 0, 0): case R(3, 0, 2, 0, 1): case R(3, 0, 2, 0, 2):
    case R(3, 0, 5, 2, 0): case R(3, 0, 6, 0, 0): case R(3, 0, 5, 1, 0): case R(3, 0, 5, 1, 1):
    case R(3, 0, 10, 2, 0): case R(3, 0, 10, 3, 0): case R(3, 0, 13, 0, 1):
        return true;
    default:
        return false;
    }
}

/* Does an EL1 MRS/MSR of enc trap to EL2 under the current HCR_EL2? ARM DDI0487 D17.2.48:
 * TVM/TRVM above; TID3 the ID group 3 registers (op0 3, op1 0, CRn 0, CRm 1..7, reserved
 * encodings included); TID1 REVIDR_EL1 and AIDR_EL1; TID2 CTR_EL0, CCSIDR_EL1, CLIDR_EL1,
 * CSSELR_EL1; TACR ACTLR_EL1. Only EL1 accesses are considered (the EL0 accesses to these
 * registers are UNDEFINED or trapped to EL1 first). */
static bool el2_traps(const struct a64_cpu *c, uint32_t enc, bool read)
{
    uint64_t h = c->hcr_el2;
    if (!c->have_el2 || !c->el2_sysreg_traps || c->el != 1 || !(h & (HCR_TVM | HCR_TRVM | HCR_TID1 | HCR_TID2 |
                                             HCR_TID3 | HCR_TACR)))
        return false;
    if (tvm_reg(enc))
        return (h & (read ? HCR_TRVM : HCR_TVM)) != 0;
    if ((h & HCR_TID3) && (enc >> 7) == (R(3, 0, 0, 0, 0) >> 7) && ((enc >> 3) & 15) >= 1)
        return read;
    if ((h & HCR_TID1) && (enc == R(3, 0, 0, 0, 6) || enc == R(3, 1, 0, 0, 7)))
        return read;
    if ((h & HCR_TID2) && (enc == R(3, 3, 0, 0, 1) || enc == R(3, 1, 0, 0, 0) ||
                           enc == R(3, 1, 0, 0, 1) || enc == R(3, 2, 0, 0, 0)))
        return true;
    if ((h & HCR_TACR) && enc == R(3, 0, 1, 0, 1))
        return true;
    return false;
}

/* GICv3 CPU interface system registers (ARM IHI0069 12.2, AArch64 encodings): ICC_PMR_EL1
 * (3,0,4,6,0) and CRn 12: CRm 8 (group 0 IAR/EOIR/HPPIR/BPR/AP0Rn), CRm 9 (AP1Rn), CRm 11
 * (DIR, RPR, SGI1R, ASGI1R, SGI0R), CRm 12 (group 1 IAR/EOIR/HPPIR/BPR, CTLR, SRE, IGRPEN0/1). */
static bool icc_reg(uint32_t enc)
{
    if (enc == R(3, 0, 4, 6, 0))
        return true;
    if ((enc >> 7) != (R(3, 0, 12, 0, 0) >> 7))
        return false;
    unsigned crm = (enc >> 3) & 15, op2 = enc & 7;
    switch (crm) {
    case 8: return true;
    case 9: return op2 < 4;
    case 11: return op2 == 1 || op2 == 3 || op2 >= 5;
    case 12: return true;
    default: return false;
    }
}

static void translation_changed(struct a64_cpu *c)
{
    c->dc->cur = NULL; /* the VA page -> decoded page shortcut depends on the translation */
}

int a64_sysreg_access(struct a64_cpu *c, uint32_t enc, bool read, uint64_t *val, unsigned rt)
{
    const struct a64_model *m = c->model;
    uint64_t v = read ? 0 : *val;
    uint64_t *p = NULL;     /* plain read/write storage */
    bool el0 = c->el == 0;
    bool ro = false;

    if (el2_traps(c, enc, read)) {
        /* Trapped to EL2: EC 0x18 with the MSR/MRS ISS (ARM DDI0487 D17.2.37). */
        unsigned op0 = enc >> 14, op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15;
        unsigned crm = (enc >> 3) & 15, op2 = enc & 7;
        uint32_t iss = op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 |
                       (read ? 1 : 0);
        a64_trap_el2(c, A64_EC_SYSREG, iss, 0, 0, c->pc);
        return -1;
    }
    if (icc_reg(enc)) {
        /* ICC_SRE_EL1 and friends: EL1 and up only; the GIC model decides the rest. */
        if (el0 || !c->gic_hook)
            return -ENOENT;
        uint64_t gv = read ? 0 : *val;
        int r = c->gic_hook(c->gic_opaque, c, enc, !read, &gv);
        if (r)
            return -ENOENT;
        if (read)
            *val = gv;
        return 0;
    }
    if (a64_model_id_reg(c, enc, val)) {
        if (!read || el0)
            return -ENOENT;
        return 0;
    }
    switch (enc) {
    /* ---- PSTATE and special-purpose registers (C5.2) ---- */
    case R(3, 3, 4, 2, 0): /* NZCV */
        if (read) *val = c->nzcv; else c->nzcv = (uint32_t)v & 0xf0000000u;
        return 0;
    case R(3, 3, 4, 2, 1): /* DAIF: EL0 access needs SCTLR_EL1.UMA */
        if (el0 && !(c->sctlr_el1 & SCTLR_UMA)) {
            sysreg_trap(c, enc, rt, read);
            return -1;
        }
        if (read) {
            *val = c->daif;
        } else {
            c->daif = (uint32_t)v & 0x3c0u;
            c->next_event = 0;
        }
        return 0;
    case R(3, 3, 4, 4, 0): /* FPCR */
    case R(3, 3, 4, 4, 1): /* FPSR */
        if (!a64_fp_check(c))
            return -1;
        if (enc == R(3, 3, 4, 4, 0)) {
            /* FPCR (D17.2.51): AHP, DN, FZ, RMode and the AArch32-only Stride and Len
             * are stored; the trap enables IDE, IXE..IOE are RAZ/WI (no trapping). */
            if (read) *val = c->fpcr; else c->fpcr = (uint32_t)v & 0x07f70000u;
        } else {
            if (read) *val = c->fpsr; else c->fpsr = (uint32_t)v & 0xf800009fu;
        }
        return 0;
    case R(3, 0, 4, 2, 2): /* CurrentEL */
        if (el0 || !read) return -ENOENT;
        *val = (uint64_t)c->el << 2;
        return 0;
    case R(3, 0, 4, 2, 0): /* SPSel */
        if (el0) return -ENOENT;
        if (read) *val = c->spsel; else c->spsel = v & 1;
        return 0;
    case R(3, 0, 4, 2, 3): /* PAN */
        if (el0 || !(m->features & A64_FEAT(pan))) return -ENOENT;
        if (read) *val = c->pan ? A64_PSTATE_PAN : 0; else c->pan = (v >> 22) & 1;
        return 0;
    case R(3, 0, 4, 2, 4): /* UAO */
        if (el0 || !(m->features & A64_FEAT(uao))) return -ENOENT;
        if (read) *val = c->uao ? A64_PSTATE_UAO : 0; else c->uao = (v >> 23) & 1;
        return 0;
    case R(3, 0, 4, 1, 0): /* SP_EL0: UNDEFINED while it is the current SP */
        if (el0 || !c->spsel) return -ENOENT;
        p = &c->sp_el[0];
        break;
    case R(3, 0, 4, 0, 0): p = &c->spsr_el1; break;
    case R(3, 0, 4, 0, 1): p = &c->elr_el1; break;

    /* ---- EL1 control (D17.2) ---- */
    case R(3, 0, 1, 0, 0): /* SCTLR_EL1 */
        if (el0) return -ENOENT;
        if (read) {
            *val = c->sctlr_el1;
        } else {
            c->sctlr_el1 = v | 0x30d00800ull;
            translation_changed(c);
        }
        return 0;
    case R(3, 0, 1, 0, 1): p = &c->actlr_el1; break;
    case R(3, 0, 1, 0, 2): /* CPACR_EL1: FPEN (21:20) and TTA (28) */
        if (el0) return -ENOENT;
        if (read) *val = c->cpacr_el1; else c->cpacr_el1 = v & 0x10300000ull;
        return 0;
    case R(3, 0, 2, 0, 0):
    case R(3, 0, 2, 0, 1):
    case R(3, 0, 2, 0, 2):
    case R(3, 0, 10, 2, 0):
        if (el0) return -ENOENT;
        p = enc == R(3, 0, 2, 0, 0) ? &c->ttbr0_el1 : enc == R(3, 0, 2, 0, 1) ? &c->ttbr1_el1
            : enc == R(3, 0, 2, 0, 2) ? &c->tcr_el1 : &c->mair_el1;
        if (read) {
            *val = *p;
        } else {
            *p = v;
            translation_changed(c);
        }
        return 0;
    case R(3, 0, 10, 3, 0): p = &c->amair_el1; break;
    case R(3, 0, 5, 1, 0): p = &c->afsr0_el1; break;
    case R(3, 0, 5, 1, 1): p = &c->afsr1_el1; break;
    case R(3, 0, 5, 2, 0): /* ESR_EL1: bits 63:32 RES0 in Armv8.0 */
        if (el0) return -ENOENT;
        if (read) *val = c->esr_el1; else c->esr_el1 = v & 0xffffffffull;
        return 0;
    case R(3, 0, 6, 0, 0): p = &c->far_el1; break;
    case R(3, 0, 7, 4, 0): p = &c->par_el1; break;
    case R(3, 0, 12, 0, 0): /* VBAR_EL1: bits 10:0 RES0 */
        if (el0) return -ENOENT;
        if (read) *val = c->vbar_el1; else c->vbar_el1 = v & ~0x7ffull;
        return 0;
    case R(3, 0, 12, 1, 0): /* ISR_EL1 */
        if (el0 || !read) return -ENOENT;
        a64_timer_update(c);
        *val = ((c->irq_line || c->vtimer_irq || ((c->cntp_ctl & 6) == 4)) ? 1u << 7 : 0) |
               (c->fiq_line ? 1u << 6 : 0);
        return 0;
    case R(3, 0, 13, 0, 1): /* CONTEXTIDR_EL1 */
        if (el0) return -ENOENT;
        if (read) *val = c->contextidr_el1; else c->contextidr_el1 = v & 0xffffffffull;
        return 0;
    case R(3, 0, 13, 0, 4): p = &c->tpidr_el1; break;
    case R(3, 3, 13, 0, 2): /* TPIDR_EL0 */
        if (read) *val = c->tpidr_el0; else c->tpidr_el0 = v;
        return 0;
    case R(3, 3, 13, 0, 3): /* TPIDRRO_EL0: read-only at EL0 */
        if (el0 && !read) return -ENOENT;
        if (read) *val = c->tpidrro_el0; else c->tpidrro_el0 = v;
        return 0;
    case R(3, 0, 14, 1, 0): p = &c->cntkctl_el1; break;

    /* ---- cache identification ---- */
    case R(3, 1, 0, 0, 0): /* CCSIDR_EL1, selected by CSSELR_EL1 (Level, InD) */
        if (el0 || !read) return -ENOENT;
        *val = c->csselr_el1 == 0 ? m->ccsidr[0] : c->csselr_el1 == 1 ? m->ccsidr[1]
             : c->csselr_el1 == 2 ? m->ccsidr[2] : 0;
        return 0;
    case R(3, 1, 0, 0, 1): if (el0 || !read) return -ENOENT; *val = m->clidr; return 0;
    case R(3, 1, 0, 0, 7): if (el0 || !read) return -ENOENT; *val = m->aidr; return 0;
    case R(3, 2, 0, 0, 0): /* CSSELR_EL1 */
        if (el0) return -ENOENT;
        if (read) *val = c->csselr_el1; else c->csselr_el1 = v & 0xf;
        return 0;
    case R(3, 3, 0, 0, 1): /* CTR_EL0: EL0 needs SCTLR_EL1.UCT */
        if (!read) return -ENOENT;
        if (el0 && !(c->sctlr_el1 & SCTLR_UCT)) {
            sysreg_trap(c, enc, rt, read);
            return -1;
        }
        *val = m->ctr;
        return 0;
    case R(3, 3, 0, 0, 7): /* DCZID_EL0: DZP reads 1 at EL0 when SCTLR_EL1.DZE == 0 */
        if (!read) return -ENOENT;
        *val = m->dczid | ((el0 && !(c->sctlr_el1 & SCTLR_DZE)) ? 0x10 : 0);
        return 0;

    /* ---- RNDR / RNDRRS (FEAT_RNG): NZCV = 0b0000 on success ---- */
    case R(3, 3, 2, 4, 0):
    case R(3, 3, 2, 4, 1):
        if (!read || !(m->features & A64_FEAT(rng))) return -ENOENT;
        *val = a64_random64(c);
        c->nzcv = 0;
        return 0;

    /* ---- generic timer (D11.2, D17.11) ---- */
    case R(3, 3, 14, 0, 0): case R(3, 3, 14, 0, 1): case R(3, 3, 14, 0, 2):
    case R(3, 3, 14, 2, 0): case R(3, 3, 14, 2, 1): case R(3, 3, 14, 2, 2):
    case R(3, 3, 14, 3, 0): case R(3, 3, 14, 3, 1): case R(3, 3, 14, 3, 2): {
        if (el0 && !cnt_el0_ok(c, enc)) {
            sysreg_trap(c, enc, rt, read);
            return -1;
        }
        uint64_t pct = a64_cntpct(c), vct = pct - c->cntvoff_el2;
        a64_timer_update(c);
        switch (enc) {
        case R(3, 3, 14, 0, 0): /* CNTFRQ_EL0: writable only at the highest EL (EL3) */
            if (!read) return -ENOENT;
            *val = c->cntfrq;
            return 0;
        case R(3, 3, 14, 0, 1): if (!read) return -ENOENT; *val = pct; return 0;
        case R(3, 3, 14, 0, 2): if (!read) return -ENOENT; *val = vct; return 0;
        case R(3, 3, 14, 2, 0): /* CNTP_TVAL: signed 32-bit CVAL - count */
            if (read) *val = (uint32_t)(c->cntp_cval - pct);
            else c->cntp_cval = pct + (uint64_t)(int64_t)(int32_t)(uint32_t)v;
            break;
        case R(3, 3, 14, 2, 1):
            if (read) *val = c->cntp_ctl; else c->cntp_ctl = (c->cntp_ctl & 4) | (v & 3);
            break;
        case R(3, 3, 14, 2, 2):
            if (read) *val = c->cntp_cval; else c->cntp_cval = v;
            break;
        case R(3, 3, 14, 3, 0):
            if (read) *val = (uint32_t)(c->cntv_cval - vct);
            else c->cntv_cval = vct + (uint64_t)(int64_t)(int32_t)(uint32_t)v;
            break;
        case R(3, 3, 14, 3, 1):
            if (read) *val = c->cntv_ctl; else c->cntv_ctl = (c->cntv_ctl & 4) | (v & 3);
            break;
        default:
            if (read) *val = c->cntv_cval; else c->cntv_cval = v;
            break;
        }
        if (!read) {
            a64_timer_update(c);
            c->next_event = 0;
        }
        return 0;
    }

    /* ---- debug (D17.3): OS lock, MDSCR, breakpoints/watchpoints RAZ/WI ---- */
    case R(2, 0, 0, 2, 2): p = &c->mdscr_el1; break;
    case R(2, 0, 0, 2, 0): p = &c->mdccint_el1; break;
    case R(2, 0, 1, 0, 4): /* OSLAR_EL1 (WO): OSLK = bit 0 */
        if (el0 || read) return -ENOENT;
        c->oslsr_el1 = (c->oslsr_el1 & ~2ull) | ((v & 1) << 1);
        return 0;
    case R(2, 0, 1, 1, 4): if (el0 || !read) return -ENOENT; *val = c->oslsr_el1; return 0;
    case R(2, 0, 1, 3, 4): /* OSDLR_EL1 */
        if (el0) return -ENOENT;
        if (read) *val = c->osdlr_el1; else c->osdlr_el1 = v & 1;
        return 0;
    case R(2, 3, 0, 1, 0): /* MDCCSR_EL0 (RO) */
        if (!read || el0) return -ENOENT;
        *val = 0;
        return 0;
    case R(2, 0, 0, 0, 2): case R(2, 0, 0, 3, 2): case R(2, 0, 0, 6, 2): /* OSDTRRX/TX, OSECCR */
    case R(2, 0, 7, 8, 6): case R(2, 0, 7, 9, 6):                         /* DBGCLAIMSET/CLR */
    case R(2, 0, 1, 4, 4):                                                /* DBGPRCR_EL1 */
        if (el0) return -ENOENT;
        if (read) *val = 0;
        return 0;
    case R(2, 0, 7, 14, 6): /* DBGAUTHSTATUS_EL1 (RO) */
        if (el0 || !read) return -ENOENT;
        *val = 0;
        return 0;

    /* ---- PMU (D17.5): control and enable registers; event counters RAZ/WI ---- */
    case R(3, 3, 9, 12, 0): /* PMCR_EL0: E, P, C, D, X, DP, LC writable; N/IDCODE/IMP RO */
        if (el0 && !(c->pmuserenr_el0 & 1)) { sysreg_trap(c, enc, rt, read); return -1; }
        if (read) *val = c->pmcr_el0 & ~6ull; else c->pmcr_el0 = (m->pmcr & ~0x7full) | (v & 0x79);
        return 0;
    case R(3, 0, 9, 14, 0): /* PMUSERENR_EL0 (EL1 name encoding is 3,3,9,14,0) */
    case R(3, 3, 9, 14, 0):
        if (el0 && !read) return -ENOENT;
        if (read) *val = c->pmuserenr_el0; else c->pmuserenr_el0 = v & 0xf;
        return 0;
    case R(3, 3, 9, 12, 1): case R(3, 3, 9, 12, 2): /* PMCNTENSET/CLR */
    case R(3, 3, 9, 12, 3): case R(3, 3, 9, 14, 3): /* PMOVSCLR/SET */
    case R(3, 3, 9, 12, 5): case R(3, 3, 14, 15, 7): /* PMSELR, PMCCFILTR */
    case R(3, 3, 9, 13, 0): case R(3, 3, 9, 13, 1): case R(3, 3, 9, 13, 2): /* PMCCNTR, PMXEV* */
    case R(3, 3, 9, 12, 4): case R(3, 3, 9, 12, 6): case R(3, 3, 9, 12, 7): { /* SWINC, PMCEID */
        if (el0 && !(c->pmuserenr_el0 & 1)) { sysreg_trap(c, enc, rt, read); return -1; }
        uint64_t mask = 0x8000003full; /* cycle counter + 6 event counters */
        switch (enc) {
        case R(3, 3, 9, 12, 1): if (read) *val = c->pmcnten; else c->pmcnten |= v & mask; break;
        case R(3, 3, 9, 12, 2): if (read) *val = c->pmcnten; else c->pmcnten &= ~(v & mask); break;
        case R(3, 3, 9, 12, 3): if (read) *val = c->pmovs; else c->pmovs &= ~(v & mask); break;
        case R(3, 3, 9, 14, 3): if (read) *val = c->pmovs; else c->pmovs |= v & mask; break;
        case R(3, 3, 9, 12, 5): if (read) *val = c->pmselr_el0; else c->pmselr_el0 = v & 0x1f; break;
        case R(3, 3, 14, 15, 7): if (read) *val = c->pmccfiltr_el0; else c->pmccfiltr_el0 = v & 0xfc000000ull; break;
        case R(3, 3, 9, 13, 0): if (read) *val = c->cycles; break; /* writes ignored */
        case R(3, 3, 9, 12, 6): case R(3, 3, 9, 12, 7): if (!read) return -ENOENT; *val = 0; break;
        case R(3, 3, 9, 12, 4): if (read) return -ENOENT; break;
        default: if (read) *val = 0; break;
        }
        return 0;
    }
    case R(3, 0, 9, 14, 1): case R(3, 0, 9, 14, 2): /* PMINTENSET/CLR_EL1 */
        if (el0) return -ENOENT;
        if (read) *val = c->pminten;
        else if (enc == R(3, 0, 9, 14, 1)) c->pminten |= v & 0x8000003full;
        else c->pminten &= ~(v & 0x8000003full);
        return 0;
    default:
        break;
    }
    /* Debug breakpoint/watchpoint registers that exist on the model: RAZ/WI. */
    if ((enc >> 7) == (R(2, 0, 0, 0, 0) >> 7) && (enc & 7) >= 4) {
        unsigned n = (enc >> 3) & 15, op2 = enc & 7;
        if (el0) return -ENOENT;
        if ((op2 < 6 && n < m->brps) || (op2 >= 6 && n < m->wrps)) {
            if (read) *val = 0;
            return 0;
        }
        return -ENOENT;
    }
    /* PMEVCNTR<n>_EL0 / PMEVTYPER<n>_EL0 for n < PMCR.N: RAZ/WI. */
    if ((enc >> 5) == (R(3, 3, 14, 8, 0) >> 5) || (enc >> 5) == (R(3, 3, 14, 12, 0) >> 5)) {
        unsigned n = ((enc >> 3) & 3) << 3 | (enc & 7);
        if (n < 6) {
            if (el0 && !(c->pmuserenr_el0 & 1)) { sysreg_trap(c, enc, rt, read); return -1; }
            if (read) *val = 0;
            return 0;
        }
        return -ENOENT;
    }
    if (!p)
        return -ENOENT;
    if (el0 || ro)
        return -ENOENT;
    if (read) *val = *p; else *p = v;
    return 0;
}

int a64_sysreg_read(struct a64_cpu *c, uint32_t enc, uint64_t *val)
{
    unsigned el = c->el, spsel = c->spsel;
    uint64_t cpacr = c->cpacr_el1;
    bool el2 = c->have_el2;
    c->have_el2 = false; /* the caller (EL2 model, tests) is not trapped by HCR_EL2 */
    c->el = 1;
    c->spsel = 1;
    c->cpacr_el1 = 3u << 20;
    int r = a64_sysreg_access(c, enc, true, val, 31);
    c->have_el2 = el2;
    c->el = el;
    c->spsel = spsel;
    if (enc != R(3, 0, 1, 0, 2))
        c->cpacr_el1 = cpacr;
    else
        *val = cpacr;
    return r < 0 ? -ENOENT : 0;
}

int a64_sysreg_write(struct a64_cpu *c, uint32_t enc, uint64_t val)
{
    unsigned el = c->el, spsel = c->spsel;
    uint64_t cpacr = c->cpacr_el1;
    bool is_cpacr = enc == R(3, 0, 1, 0, 2);
    bool el2 = c->have_el2;
    c->have_el2 = false;
    c->el = 1;
    c->spsel = 1;
    c->cpacr_el1 = 3u << 20;
    int r = a64_sysreg_access(c, enc, false, &val, 31);
    c->have_el2 = el2;
    c->el = el;
    c->spsel = spsel;
    if (!is_cpacr)
        c->cpacr_el1 = cpacr;
    if (enc == R(3, 0, 4, 2, 0)) /* SPSel: apply after restoring */
        c->spsel = val & 1;
    return r < 0 ? -ENOENT : 0;
}

void a64_h_msr_mrs(struct a64_cpu *c, uint32_t insn)
{
    uint32_t enc = A64_BITS(insn, 20, 5);
    unsigned t = insn & 31;
    bool read = A64_BIT(insn, 21);
    uint64_t v = read ? 0 : a64_xr(c, t);
    int r = a64_sysreg_access(c, enc, read, &v, t);
    if (r == -ENOENT) {
        a64_undef(c);
        return;
    }
    if (r == 0 && read)
        a64_xw(c, t, v);
}

void a64_h_msr_imm(struct a64_cpu *c, uint32_t insn)
{
    unsigned op1 = A64_BITS(insn, 18, 16), crm = A64_BITS(insn, 11, 8), op2 = A64_BITS(insn, 7, 5);
    unsigned sel = op1 << 3 | op2;
    const struct a64_model *m = c->model;
    switch (sel) {
    case 0x05: /* SPSel */
        if (c->el == 0) break;
        c->spsel = crm & 1;
        return;
    case 0x04: /* PAN (FEAT_PAN) */
        if (c->el == 0 || !(m->features & A64_FEAT(pan))) break;
        c->pan = crm & 1;
        return;
    case 0x03: /* UAO (FEAT_UAO) */
        if (c->el == 0 || !(m->features & A64_FEAT(uao))) break;
        c->uao = crm & 1;
        return;
    case 0x1e: /* DAIFSet */
    case 0x1f: /* DAIFClr */
        if (c->el == 0 && !(c->sctlr_el1 & SCTLR_UMA)) {
            sysreg_trap(c, A64_SYSREG(0, op1, 4, crm, op2), 31, false);
            return;
        }
        if (sel == 0x1e)
            c->daif |= crm << 6;
        else
            c->daif &= ~(crm << 6);
        c->next_event = 0;
        return;
    default:
        break;
    }
    a64_undef(c);
}

/* AT with stage 1 disabled (ARM DDI0487 D17.2.113 PAR_EL1): on success F = 0, PA[47:12],
 * bit 11 RES1, SH = 0b10 and ATTR = 0x00 (Device-nGnRnE); an address above the PA size
 * gives F = 1 with FST = Address size fault, level 0. */
static void at_flat(struct a64_cpu *c, uint64_t va)
{
    unsigned pab = c->model->pa_bits;
    if (pab < 64 && (va >> pab))
        c->par_el1 = 1u | (A64_FSC_ADDR_SIZE_L0 << 1) | 1u << 11;
    else
        c->par_el1 = (va & 0x0000fffffffff000ull) | 1u << 11 | 2u << 7;
}

void a64_h_sys(struct a64_cpu *c, uint32_t insn)
{
    uint32_t enc = A64_BITS(insn, 20, 5); /* op0 = 01 */
    unsigned t = insn & 31;
    bool el0 = c->el == 0;
    uint64_t v = a64_xr(c, t);
    if (A64_BIT(insn, 21)) { /* SYSL: no SYSL encodings are allocated in this model */
        a64_undef(c);
        return;
    }
    unsigned op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15;
    /* TLBI (C5.5): EL1 only, dispatched to the MMU. */
    if (op1 == 0 && crn == 8) {
        unsigned crm = (enc >> 3) & 15, op2 = enc & 7;
        bool valid = (crm == 3 || crm == 7) && op2 != 4 && op2 != 6;
        if (el0 || !valid) {
            a64_undef(c);
            return;
        }
        if (c->sys_hook)
            c->sys_hook(c->hook_opaque, c, A64_SYS_TLBI, enc, v);
        c->dc->cur = NULL;
        return;
    }
    switch (enc) {
    case R(1, 0, 7, 1, 0): /* IC IALLUIS */
    case R(1, 0, 7, 5, 0): /* IC IALLU */
        if (el0) break;
        if (!c->sys_hook || c->sys_hook(c->hook_opaque, c, A64_SYS_IC, enc, v) != 0)
            a64_flush_decoded(c);
        return;
    case R(1, 3, 7, 5, 1): { /* IC IVAU */
        if (el0 && !(c->sctlr_el1 & SCTLR_UCI)) {
            sysreg_trap(c, enc, t, false);
            return;
        }
        uint64_t pa;
        if (a64_translate(c, v, 1, A64_M_CM, &pa))
            return;
        if (!c->sys_hook || c->sys_hook(c->hook_opaque, c, A64_SYS_IC, enc, v) != 0)
            a64_dc_invalidate(c, pa);
        return;
    }
    case R(1, 3, 7, 4, 1): { /* DC ZVA */
        if (el0 && !(c->sctlr_el1 & SCTLR_DZE)) {
            sysreg_trap(c, enc, t, false);
            return;
        }
        uint64_t bs = 4ull << (c->model->dczid & 0xf), base = v & ~(bs - 1);
        for (uint64_t o = 0; o < bs; o += 8)
            if (a64_store(c, base + o, 8, 0, 0))
                return;
        return;
    }
    case R(1, 3, 7, 10, 1): /* DC CVAC */
    case R(1, 3, 7, 11, 1): /* DC CVAU */
    case R(1, 3, 7, 14, 1): /* DC CIVAC */
    case R(1, 0, 7, 6, 1): { /* DC IVAC (EL1 only) */
        if (el0 && (enc == R(1, 0, 7, 6, 1))) break;
        if (el0 && !(c->sctlr_el1 & SCTLR_UCI)) {
            sysreg_trap(c, enc, t, false);
            return;
        }
        uint64_t pa;
        if (a64_translate(c, v, 1, A64_M_CM, &pa))
            return;
        if (c->sys_hook)
            c->sys_hook(c->hook_opaque, c, A64_SYS_DC, enc, v);
        return;
    }
    case R(1, 0, 7, 6, 2): /* DC ISW */
    case R(1, 0, 7, 10, 2): /* DC CSW */
    case R(1, 0, 7, 14, 2): /* DC CISW */
        if (el0) break;
        if (c->sys_hook)
            c->sys_hook(c->hook_opaque, c, A64_SYS_DC, enc, v);
        return; /* set/way: no cache contents are modelled */
    case R(1, 0, 7, 8, 0): /* AT S1E1R */
    case R(1, 0, 7, 8, 1): /* AT S1E1W */
    case R(1, 0, 7, 8, 2): /* AT S1E0R */
    case R(1, 0, 7, 8, 3): /* AT S1E0W */
        if (el0) break;
        if (c->sys_hook && c->sys_hook(c->hook_opaque, c, A64_SYS_AT, enc, v) == 0)
            return;
        at_flat(c, v);
        return;
    default:
        break;
    }
    a64_undef(c);
}
