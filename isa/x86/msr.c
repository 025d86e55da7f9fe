/* isa/x86/msr.c - model-specific registers of the x86 core (Intel SDM vol. 4 ch. 2,
 * "Architectural MSRs"): EFER, the SYSCALL MSRs, FS/GS/KERNEL_GS bases, TSC, TSC_AUX,
 * APIC_BASE, PAT, MISC_ENABLE, FEATURE_CONTROL, SPEC_CTRL/PRED_CMD (per CPUID), SYSENTER,
 * TSC_DEADLINE and the x2APIC range 0x800-0x8ff (lapic.c). Anything else does not exist:
 * RDMSR/WRMSR raise #GP(0). */
#include <errno.h>

#include "isa/x86/x86_internal.h"
#include "mmu/mmu.h"

enum {
    MSR_TSC = 0x10,
    MSR_APIC_BASE = 0x1b,
    MSR_FEATURE_CONTROL = 0x3a,
    MSR_SPEC_CTRL = 0x48,
    MSR_PRED_CMD = 0x49,
    MSR_BIOS_SIGN_ID = 0x8b,
    MSR_SYSENTER_CS = 0x174,
    MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176,
    MSR_MISC_ENABLE = 0x1a0,
    MSR_PAT = 0x277,
    MSR_TSC_DEADLINE = 0x6e0,
    MSR_EFER = 0xc0000080,
    MSR_STAR = 0xc0000081,
    MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083,
    MSR_FMASK = 0xc0000084,
    MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101,
    MSR_KERNEL_GS_BASE = 0xc0000102,
    MSR_TSC_AUX = 0xc0000103,
};

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define CR0_PG (1ull << 31)

static bool canonical(uint64_t v)
{
    return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

int x86_msr_read(struct x86_cpu *c, uint32_t idx, uint64_t *val)
{
    if (idx >= 0x800 && idx <= 0x8ff)
        return x86_lapic_msr_read(c, idx, val);
    switch (idx) {
    case MSR_TSC: *val = x86_tsc(c); return 0;
    case MSR_APIC_BASE:
        if (!c->lapic)
            return -EPERM;
        *val = c->apic_base;
        return 0;
    case MSR_FEATURE_CONTROL: *val = 1; return 0; /* locked, VMX off (SDM vol. 3C §24.7) */
    case MSR_SPEC_CTRL:
        if (!(c->features & X86_FEAT_SPEC_CTRL))
            return -EPERM;
        *val = c->spec_ctrl;
        return 0;
    case MSR_BIOS_SIGN_ID: *val = 0; return 0;
    case MSR_SYSENTER_CS: *val = c->sysenter_cs; return 0;
    case MSR_SYSENTER_ESP: *val = c->sysenter_esp; return 0;
    case MSR_SYSENTER_EIP: *val = c->sysenter_eip; return 0;
    case MSR_MISC_ENABLE: *val = c->misc_enable; return 0;
    case MSR_PAT: *val = c->pat; return 0;
    case MSR_TSC_DEADLINE:
        if (!c->lapic || !(c->features & X86_FEAT_TSCDL))
            return -EPERM;
        *val = c->lapic->tsc_deadline;
        return 0;
    case MSR_EFER: *val = c->efer; return 0;
    case MSR_STAR: *val = c->star; return 0;
    case MSR_LSTAR: *val = c->lstar; return 0;
    case MSR_CSTAR: *val = c->cstar; return 0;
    case MSR_FMASK: *val = c->sfmask; return 0;
    case MSR_FS_BASE: *val = c->fs_base; return 0;
    case MSR_GS_BASE: *val = c->gs_base; return 0;
    case MSR_KERNEL_GS_BASE: *val = c->kernel_gs_base; return 0;
    case MSR_TSC_AUX:
        if (!(c->features & (X86_FEAT_RDTSCP | X86_FEAT_RDPID)))
            return -EPERM;
        *val = c->tsc_aux;
        return 0;
    default: return -EPERM;
    }
}

/* IA32_EFER (SDM vol. 3A §2.2.1): SCE, LME, NXE writable; LMA read-only; LME may not
 * change while paging is on. */
static int write_efer(struct x86_cpu *c, uint64_t v)
{
    if (v & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
        return -EPERM;
    if ((c->cr0 & CR0_PG) && ((v ^ c->efer) & EFER_LME))
        return -EPERM;
    c->efer = (v & ~EFER_LMA) | (c->efer & EFER_LMA);
    return 0;
}

static bool pat_ok(uint64_t v)
{
    /* each entry: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC- (SDM vol. 3A §13.12.2) */
    for (unsigned k = 0; k < 8; k++) {
        unsigned t = (unsigned)(v >> (8 * k)) & 0xff;
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

int x86_msr_write(struct x86_cpu *c, uint32_t idx, uint64_t v)
{
    if (idx >= 0x800 && idx <= 0x8ff)
        return x86_lapic_msr_write(c, idx, v);
    switch (idx) {
    case MSR_TSC: c->tsc_offset = v - c->cycles; return 0;
    case MSR_APIC_BASE: {
        /* SDM vol. 3A §11.12.5: EN (11), EXTD (10), BSP (8, read-only); invalid transitions
         * (x2APIC -> xAPIC, EXTD without EN, EXTD without x2APIC support) raise #GP. */
        if (!c->lapic)
            return -EPERM;
        uint64_t en = 1u << 11, extd = 1u << 10;
        if (v & ~(0xfffff000ull | en | extd | (1u << 8)) || (v >> c->maxphyaddr))
            return -EPERM;
        if ((v & extd) && (!(v & en) || !(c->features & X86_FEAT_X2APIC)))
            return -EPERM;
        if ((c->apic_base & extd) && (v & en) && !(v & extd))
            return -EPERM;
        c->apic_base = (v & ~(1ull << 8)) | (c->apic_base & (1ull << 8));
        x86_lapic_update(c);
        return 0;
    }
    case MSR_SPEC_CTRL:
        if (!(c->features & X86_FEAT_SPEC_CTRL) || (v & ~7ull))
            return -EPERM;
        c->spec_ctrl = v; /* IBRS, STIBP, SSBD: no effect on the model */
        return 0;
    case MSR_PRED_CMD:
        if (!(c->features & X86_FEAT_SPEC_CTRL) || (v & ~1ull))
            return -EPERM;
        return 0; /* IBPB: no predictor is modelled */
    case MSR_BIOS_SIGN_ID: return 0;
    case MSR_SYSENTER_CS: c->sysenter_cs = v & 0xffff; return 0;
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        if (!canonical(v))
            return -EPERM;
        *(idx == MSR_SYSENTER_ESP ? &c->sysenter_esp : &c->sysenter_eip) = v;
        return 0;
    case MSR_MISC_ENABLE: c->misc_enable = v; return 0;
    case MSR_PAT:
        if (!pat_ok(v))
            return -EPERM;
        c->pat = v;
        return 0;
    case MSR_TSC_DEADLINE:
        if (!c->lapic || !(c->features & X86_FEAT_TSCDL))
            return -EPERM;
        c->lapic->tsc_deadline = v;
        x86_lapic_update(c);
        return 0;
    case MSR_EFER: return write_efer(c, v);
    case MSR_STAR: c->star = v; return 0;
    case MSR_LSTAR:
    case MSR_CSTAR:
        if (!canonical(v))
            return -EPERM;
        *(idx == MSR_LSTAR ? &c->lstar : &c->cstar) = v;
        return 0;
    case MSR_FMASK:
        if (v >> 32)
            return -EPERM;
        c->sfmask = v;
        return 0;
    case MSR_FS_BASE:
    case MSR_GS_BASE:
    case MSR_KERNEL_GS_BASE:
        if (!canonical(v))
            return -EPERM;
        *(idx == MSR_FS_BASE ? &c->fs_base : idx == MSR_GS_BASE ? &c->gs_base
                                                                : &c->kernel_gs_base) = v;
        return 0;
    case MSR_TSC_AUX:
        if (!(c->features & (X86_FEAT_RDTSCP | X86_FEAT_RDPID)) || (v >> 32))
            return -EPERM;
        c->tsc_aux = v;
        return 0;
    default: return -EPERM;
    }
}
