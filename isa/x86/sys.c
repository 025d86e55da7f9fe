/* isa/x86/sys.c - x86 system instructions (Intel SDM vol. 2 per instruction, vol. 3A ch. 2,
 * 4, 5): MOV CR/DR, RDMSR/WRMSR, LGDT/LIDT/LLDT/LTR/SGDT/SIDT/SLDT/STR, CLTS, LMSW/SMSW,
 * INVLPG, INVPCID, WBINVD/INVD/CLFLUSH(OPT), RDTSC/RDTSCP/RDPID, CPUID, SYSCALL/SYSRET,
 * SWAPGS, RD/WR{FS,GS}BASE, CLAC/STAC, far JMP/CALL/RET, and the privilege checks (CPL, IOPL,
 * the TSS I/O bitmap) of CLI/STI/IN/OUT/POPF/HLT in front of the integer handlers. */
#include <errno.h>

#include "isa/x86/vmx.h"
#include "isa/x86/x86_internal.h"
#include "mmu/mmu.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_TSD (1ull << 2)
#define CR4_DE (1ull << 3)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_PGE (1ull << 7)
#define CR4_PCE (1ull << 8)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define RFLAGS_IOPL_SHIFT 12

static void gp0(struct x86_cpu *c)
{
    x86_raise(c, X86_EXC_GP, true, 0);
}

static void ud(struct x86_cpu *c)
{
    x86_raise(c, X86_EXC_UD, false, 0);
}

/* Instructions that need CPL 0 raise #GP(0) elsewhere (SDM vol. 3A §5.9). */
static bool priv(struct x86_cpu *c)
{
    if (c->cpl != 0) {
        gp0(c);
        return false;
    }
    return true;
}

static bool canonical(uint64_t v)
{
    return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static uint16_t cur_pcid(const struct x86_cpu *c)
{
    return (c->cr4 & CR4_PCIDE) ? (uint16_t)(c->cr3 & 0xfff) : 0;
}

/* ---- control registers (SDM vol. 3A §2.5, vol. 2 MOV—Move to/from Control Registers) ---- */
static uint64_t cr4_allowed(const struct x86_cpu *c)
{
    uint64_t a = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |
                 CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (c->vmx)
        a |= 1ull << 13; /* CR4.VMXE: fixed to 1 in VMX operation (SDM vol. 3C A.8), isa/x86/vmx.h */
    if (c->features & X86_FEAT_FSGSBASE)
        a |= CR4_FSGSBASE;
    if (c->features & X86_FEAT_PCID)
        a |= CR4_PCIDE;
    if (c->features & X86_FEAT_SMEP)
        a |= CR4_SMEP;
    if (c->features & X86_FEAT_SMAP)
        a |= CR4_SMAP;
#ifdef X86_FEAT_XSAVE
    if (c->features & X86_FEAT_XSAVE)
        a |= CR4_OSXSAVE;
#endif
    return a;
}

/* Returns 0 or -EPERM (#GP(0)). */
static int write_cr0(struct x86_cpu *c, uint64_t v)
{
    if (v >> 32)
        return -EPERM;
    /* reserved bits of CR0[31:0] are ignored; ET is hardwired to 1 */
    v &= CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;
    v |= CR0_ET;
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        return -EPERM;
    uint64_t old = c->cr0;
    bool pg_on = !(old & CR0_PG) && (v & CR0_PG), pg_off = (old & CR0_PG) && !(v & CR0_PG);
    if (pg_on && (c->efer & EFER_LME)) {
        /* IA-32e activation (SDM vol. 3A §10.8.5): needs CR4.PAE, and not from a CS with L=1 */
        if (!(c->cr4 & CR4_PAE) || (c->seg[X86_SEG_CS].attr & X86_SA_L))
            return -EPERM;
    }
    if (pg_off && (c->code_bits == 64 || (c->cr4 & CR4_PCIDE)))
        return -EPERM;
    if (!(v & CR0_PE) && (c->efer & EFER_LMA))
        return -EPERM;
    c->cr0 = v;
    if (pg_on && (c->efer & EFER_LME))
        c->efer |= EFER_LMA;
    else if (pg_off)
        c->efer &= ~EFER_LMA;
    if (c->mmu)
        mmu_x86_mov_cr0(c->mmu, c->vpid, old, v);
    x86_update_mode(c);
    return 0;
}

static int write_cr4(struct x86_cpu *c, uint64_t v)
{
    uint64_t old = c->cr4;
    if (v & ~cr4_allowed(c))
        return -EPERM;
    if ((c->efer & EFER_LMA) && !(v & CR4_PAE))
        return -EPERM;
    if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) && (!(c->efer & EFER_LMA) || (c->cr3 & 0xfff)))
        return -EPERM;
    c->cr4 = v;
    if (c->mmu)
        mmu_x86_mov_cr4(c->mmu, c->vpid, old, v, cur_pcid(c));
    return 0;
}

static int write_cr3(struct x86_cpu *c, uint64_t v)
{
    uint64_t nv = v;
    if (c->efer & EFER_LMA) {
        if (c->cr4 & CR4_PCIDE)
            nv &= ~(1ull << 63); /* bit 63: do not invalidate (SDM vol. 3A §4.10.4.1) */
        if (nv >> c->maxphyaddr)
            return -EPERM;
    } else {
        nv &= 0xffffffffull;
    }
    uint64_t old = c->cr3;
    c->cr3 = nv;
    if (c->mmu)
        mmu_x86_mov_cr3(c->mmu, c->vpid, old, v, c->cr4);
    return 0;
}

static uint64_t read_cr8(const struct x86_cpu *c)
{
    return c->lapic ? (c->lapic->tpr >> 4) & 15 : c->cr8;
}

void x86_h_mov_cr(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned cr = i->reg;
    if (cr == 1 || (cr >= 5 && cr <= 7) || cr > 8) {
        ud(c);
        return;
    }
    if (!priv(c))
        return;
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* VMX non-root: CR-access VM exit (isa/x86/vmx.c) */
    uint64_t m = c->code_bits == 64 ? UINT64_MAX : 0xffffffffull;
    if (i->opc == 0x20) {
        uint64_t v = cr == 0 ? c->cr0 : cr == 2 ? c->cr2 : cr == 3 ? c->cr3 : cr == 4 ? c->cr4
                                                                             : read_cr8(c);
        if (c->vmx)
            v = x86_vmx_cr_read(c, cr, v); /* read shadows of host-owned bits */
        c->gpr[i->rm] = v & m;
        return;
    }
    uint64_t v = c->gpr[i->rm] & m;
    if (c->vmx)
        v = x86_vmx_cr_write(c, cr, v); /* host-owned bits keep their value */
    int rc = 0;
    switch (cr) {
    case 0: rc = write_cr0(c, v); break;
    case 2: c->cr2 = v; break;
    case 3: rc = write_cr3(c, v); break;
    case 4: rc = write_cr4(c, v); break;
    default:
        /* CR8 = TPR[7:4] (SDM vol. 3A §11.8.6.1) */
        if (v >> 4) {
            rc = -EPERM;
            break;
        }
        c->cr8 = v;
        if (c->lapic)
            x86_lapic_set_tpr(c, (uint32_t)v << 4);
        break;
    }
    if (rc)
        gp0(c);
}

/* MOV DR (SDM vol. 3B §18.2): DR0-3 stored, DR6/DR7 with their fixed bits; DR4/DR5 alias
 * DR6/DR7 unless CR4.DE (then #UD). No breakpoint is ever triggered in this model. */
void x86_h_mov_dr(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned dr = i->reg;
    if (dr > 7 || ((dr == 4 || dr == 5) && (c->cr4 & CR4_DE))) {
        ud(c);
        return;
    }
    if (!priv(c))
        return;
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* VMX non-root: MOV-DR exiting */
    if (dr == 4 || dr == 5)
        dr += 2;
    uint64_t m = c->code_bits == 64 ? UINT64_MAX : 0xffffffffull;
    if (i->opc == 0x21) {
        uint64_t v = dr < 4 ? c->dr[dr] : dr == 6 ? (c->dr6 | 0xffff0ff0ull) & 0xffffffffull
                                                  : (c->dr7 | 0x400) & 0xffffffffull;
        c->gpr[i->rm] = v & m;
        return;
    }
    uint64_t v = c->gpr[i->rm] & m;
    if (dr >= 6 && (v >> 32)) {
        gp0(c);
        return;
    }
    if (dr < 4)
        c->dr[dr] = v;
    else if (dr == 6)
        c->dr6 = v | 0xffff0ff0ull;
    else
        c->dr7 = (v | 0x400) & ~0xd800ull;
}

void x86_h_clts(struct x86_cpu *c, const struct x86_insn *i)
{
    if (priv(c) && !(c->vmx && x86_vmx_intercept(c, i)))
        c->cr0 &= ~CR0_TS;
}

/* ---- MSRs ---- */
void x86_h_msr(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!priv(c))
        return;
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* VMX non-root: MSR bitmaps */
    uint32_t idx = (uint32_t)c->gpr[X86_RCX];
    if (i->opc == 0x32) {
        uint64_t v;
        if (x86_msr_read(c, idx, &v)) {
            gp0(c);
            return;
        }
        c->gpr[X86_RAX] = v & 0xffffffffull;
        c->gpr[X86_RDX] = v >> 32;
        return;
    }
    uint64_t v = (c->gpr[X86_RAX] & 0xffffffffull) | c->gpr[X86_RDX] << 32;
    if (x86_msr_write(c, idx, v))
        gp0(c);
}

/* ---- descriptor tables (SDM vol. 2 LGDT/LIDT, SGDT/SIDT, LLDT, LTR, SLDT, STR) ---- */
static void store_sel(struct x86_cpu *c, const struct x86_insn *i, uint16_t v)
{
    if (i->flags & XI_MEM) {
        uint64_t la;
        if (x86_ea(c, i, &la) == 0)
            x86_write(c, la, 2, v);
    } else if (i->osz == 2) {
        c->gpr[i->rm] = (c->gpr[i->rm] & ~0xffffull) | v;
    } else {
        c->gpr[i->rm] = v;
    }
}

static int load_sel(struct x86_cpu *c, const struct x86_insn *i, uint16_t *v)
{
    uint64_t x;
    if (i->flags & XI_MEM) {
        uint64_t la;
        if (x86_ea(c, i, &la) || x86_read(c, la, 2, &x))
            return -1;
    } else {
        x = c->gpr[i->rm];
    }
    *v = (uint16_t)x;
    return 0;
}

static void lldt_ltr(struct x86_cpu *c, const struct x86_insn *i, bool tr)
{
    uint16_t sel;
    if (!priv(c) || load_sel(c, i, &sel))
        return;
    struct x86_seg *s = &c->seg[tr ? X86_SEG_TR : X86_SEG_LDTR];
    if ((sel & 0xfffc) == 0) {
        if (tr) {
            gp0(c);
            return;
        }
        s->sel = sel; /* null LDT: unusable */
        s->attr = 0;
        return;
    }
    if (sel & 4) {
        x86_raise(c, X86_EXC_GP, true, sel & 0xfffc);
        return;
    }
    bool wide = c->efer & EFER_LMA;
    uint64_t lo, hi;
    if (x86_desc_fetch(c, sel, false, wide, &lo, &hi))
        return;
    unsigned type = (lo >> 40) & 15;
    /* LDT: type 2; TR: available TSS, type 9 (16-bit TSSes are not modelled) */
    if (((lo >> 44) & 1) || type != (tr ? 9u : 2u)) {
        x86_raise(c, X86_EXC_GP, true, sel & 0xfffc);
        return;
    }
    if (!((lo >> 47) & 1)) {
        x86_raise(c, X86_EXC_NP, true, sel & 0xfffc);
        return;
    }
    if (tr) {
        /* mark the TSS busy in the GDT */
        lo |= 2ull << 40;
        if (x86_write_sys(c, c->gdtr.base + (sel & 0xfff8u), 8, lo))
            return;
    }
    x86_seg_from_desc(s, sel, lo, hi, wide);
}

void x86_h_grp6(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!(c->cr0 & CR0_PE)) {
        ud(c); /* not recognised in real-address mode */
        return;
    }
    switch (i->modreg) {
    case 0: store_sel(c, i, c->seg[X86_SEG_LDTR].sel); break;
    case 1: store_sel(c, i, c->seg[X86_SEG_TR].sel); break;
    case 2: lldt_ltr(c, i, false); break;
    default: lldt_ltr(c, i, true); break;
    }
}

static int write_cr0_lmsw(struct x86_cpu *c, uint64_t src)
{
    /* LMSW loads PE MP EM TS; it cannot clear PE (SDM vol. 2 LMSW) */
    uint64_t v = (c->cr0 & ~0xeull) | (src & 0xf) | (c->cr0 & CR0_PE);
    if (c->vmx)
        v = x86_vmx_cr_write(c, 0, v); /* host-owned bits keep their value */
    return write_cr0(c, v);
}

void x86_h_grp7(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t la = 0;
    if ((i->flags & XI_MEM) && x86_ea(c, i, &la))
        return;
    unsigned bsz = c->code_bits == 64 ? 8 : 4;
    switch (i->modreg) {
    case 0:
    case 1: {
        /* SGDT/SIDT (CR4.UMIP is not advertised: allowed at any CPL) */
        const struct x86_dtr *t = i->modreg ? &c->idtr : &c->gdtr;
        if (x86_write(c, la, 2, t->limit) == 0)
            x86_write(c, la + 2, bsz, t->base & x86_mask(bsz));
        break;
    }
    case 2:
    case 3: {
        uint64_t lim, base;
        if (!priv(c) || x86_read(c, la, 2, &lim) || x86_read(c, la + 2, bsz, &base))
            return;
        if (c->code_bits != 64 && i->osz == 2)
            base &= 0xffffff;
        if (c->code_bits == 64 && !canonical(base)) {
            gp0(c);
            return;
        }
        struct x86_dtr *t = i->modreg == 3 ? &c->idtr : &c->gdtr;
        t->base = base;
        t->limit = (uint16_t)lim;
        break;
    }
    case 4:
        /* SMSW: memory 16 bits; register the operand size (SDM vol. 2 SMSW) */
        if (i->flags & XI_MEM)
            x86_write(c, la, 2, x86_vmx_cr0_read(c) & 0xffff);
        else if (i->osz == 2)
            c->gpr[i->rm] = (c->gpr[i->rm] & ~0xffffull) | (x86_vmx_cr0_read(c) & 0xffff);
        else
            c->gpr[i->rm] = x86_vmx_cr0_read(c) & x86_mask(i->osz);
        break;
    case 6: {
        uint64_t v;
        if (!priv(c))
            return;
        if (c->vmx && x86_vmx_intercept(c, i))
            return; /* LMSW: CR-access VM exit */
        if (i->flags & XI_MEM) {
            if (x86_read(c, la, 2, &v))
                return;
        } else {
            v = c->gpr[i->rm];
        }
        if (write_cr0_lmsw(c, v))
            gp0(c);
        break;
    }
    case 7:
        /* INVLPG (SDM vol. 2 INVLPG, vol. 3A §4.10.4.1): no translation, never faults */
        if (!priv(c))
            return;
        if (c->vmx && x86_vmx_intercept(c, i))
            return; /* INVLPG exiting */
        if (c->mmu)
            mmu_x86_invlpg(c->mmu, c->vpid, cur_pcid(c), la);
        break;
    default:
        ud(c);
        break;
    }
}

/* INVPCID (66 0F 38 82): type in the register, 16-byte descriptor {PCID[11:0], rsvd, LA}. */
void x86_h_invpcid(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!priv(c))
        return;
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* INVPCID: #UD unless enabled, INVLPG exiting */
    uint64_t type = c->gpr[i->reg] & (c->code_bits == 64 ? UINT64_MAX : 0xffffffffull);
    uint64_t la, d0, d1;
    if (x86_ea(c, i, &la) || x86_read(c, la, 8, &d0) || x86_read(c, la + 8, 8, &d1))
        return;
    if (type > 3 || (d0 >> 12) || (type == 0 && !canonical(d1)) ||
        (type <= 1 && !(c->cr4 & CR4_PCIDE) && d0 != 0)) {
        gp0(c);
        return;
    }
    if (c->mmu && mmu_x86_invpcid(c->mmu, c->vpid, (unsigned)type, (uint16_t)d0, d1) < 0)
        gp0(c);
}

/* WBINVD (0F 09), INVD (0F 08): CPL 0; the data-cache model is not written back or dropped.
 * CLFLUSH/CLFLUSHOPT (0F AE /7, 66 0F AE /7): translated as a read (may #PF), one load. */
void x86_h_cacheop(struct x86_cpu *c, const struct x86_insn *i)
{
    if (i->map == 1 && (i->opc == 0x08 || i->opc == 0x09)) {
        if (priv(c) && c->vmx)
            x86_vmx_intercept(c, i); /* INVD always, WBINVD exiting */
        return;
    }
    uint64_t la, v;
    if (x86_ea(c, i, &la) == 0)
        x86_read(c, la, 1, &v);
}

/* ---- time ---- */
uint64_t x86_tsc(const struct x86_cpu *c)
{
    /* invariant TSC at the core clock: one tick per simulated cycle, plus IA32_TSC writes */
    return c->cycles + c->tsc_offset;
}

void x86_h_sys_rdtsc(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)i;
    if ((c->cr4 & CR4_TSD) && c->cpl != 0) {
        gp0(c);
        return;
    }
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* RDTSC exiting; RDTSCP #UD unless enabled */
    uint64_t t = x86_tsc(c);
    if (c->vmx)
        t = x86_vmx_tsc(c, t); /* TSC offsetting */
    c->gpr[X86_RAX] = t & 0xffffffffull;
    c->gpr[X86_RDX] = t >> 32;
    if (i->map == 1 && i->opc == 0x01) /* RDTSCP: ECX = IA32_TSC_AUX[31:0] */
        c->gpr[X86_RCX] = c->tsc_aux & 0xffffffffull;
}

void x86_h_rdpid(struct x86_cpu *c, const struct x86_insn *i)
{
    if (i->flags & XI_MEM) {
        ud(c);
        return;
    }
    c->gpr[i->rm] = c->tsc_aux & 0xffffffffull;
}

/* ---- CPUID ---- */
void x86_cpuid(const struct x86_cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    uint32_t a = 0, b = 0, cx = 0, d = 0, f = c->features;
    uint32_t apic_id = c->lapic ? c->lapic->id : 0;
    switch (leaf) {
    case 0:
        a = 0xd;
        b = 0x756e6547; /* "GenuineIntel" */
        d = 0x49656e69;
        cx = 0x6c65746e;
        break;
    case 1:
        a = 0x000506e3; /* family 6, model 0x5e (Skylake), stepping 3 */
        b = (apic_id & 0xff) << 24 | 1u << 16 | 8u << 8; /* one logical CPU, CLFLUSH 64 */
        cx = (f & X86_FEAT_CX16 ? 1u << 13 : 0) | (f & X86_FEAT_PCID ? 1u << 17 : 0) |
             (f & X86_FEAT_X2APIC ? 1u << 21 : 0) | (f & X86_FEAT_POPCNT ? 1u << 23 : 0) |
             (f & X86_FEAT_TSCDL ? 1u << 24 : 0) | (f & X86_FEAT_MOVBE ? 1u << 22 : 0) |
             (f & X86_FEAT_RDRAND ? 1u << 30 : 0);
        d = 1u << 2 /* DE */ | 1u << 3 /* PSE */ | 1u << 4 /* TSC */ | 1u << 5 /* MSR */ |
            1u << 6 /* PAE */ | 1u << 8 /* CX8 */ | 1u << 13 /* PGE */ | 1u << 15 /* CMOV */ |
            1u << 16 /* PAT */ | 1u << 19 /* CLFSH */;
        if (c->lapic && (c->apic_base & (1u << 11)))
            d |= 1u << 9; /* APIC (reflects IA32_APIC_BASE.EN) */
#ifdef X86_FEAT_SSE2
        if (f & X86_FEAT_SSE2)
            d |= 1u << 24 /* FXSR */ | 1u << 25 /* SSE */ | 1u << 26 /* SSE2 */;
#endif
#ifdef X86_FEAT_XSAVE
        if (f & X86_FEAT_XSAVE)
            cx |= 1u << 26 | ((c->cr4 & CR4_OSXSAVE) ? 1u << 27 : 0);
#endif
        break;
    case 7:
        if (sub == 0) {
            b = (f & X86_FEAT_FSGSBASE ? 1u << 0 : 0) | (f & X86_FEAT_BMI1 ? 1u << 3 : 0) |
                (f & X86_FEAT_SMEP ? 1u << 7 : 0) | (f & X86_FEAT_INVPCID ? 1u << 10 : 0) |
                (f & X86_FEAT_SMAP ? 1u << 20 : 0) | (f & X86_FEAT_CLFLUSHOPT ? 1u << 23 : 0) |
                (f & X86_FEAT_RDRAND ? 1u << 18 : 0); /* RDSEED rides on X86_FEAT_RDRAND */
            cx = f & X86_FEAT_RDPID ? 1u << 22 : 0;
            d = f & X86_FEAT_SPEC_CTRL ? 1u << 26 : 0; /* IBRS/IBPB */
        }
        break;
    case 0xb:
        /* x2APIC topology (SDM vol. 3A §10.9.2): one thread per core, one core */
        cx = sub & 0xff;
        if (sub == 0) {
            b = 1;
            cx |= 1u << 8; /* SMT */
        } else if (sub == 1) {
            b = 1;
            cx |= 2u << 8; /* core */
        }
        d = apic_id;
        break;
    case 0xd:
#ifdef X86_FEAT_XSAVE
        if ((f & X86_FEAT_XSAVE) && sub == 0) {
            a = 3; /* x87 | SSE */
            b = cx = 576;
        }
#endif
        break;
    case 0x80000000:
        a = 0x80000008;
        break;
    case 0x80000001:
        cx = 1u << 0 /* LAHF/SAHF in 64-bit mode */ | (f & X86_FEAT_LZCNT ? 1u << 5 : 0);
        d = 1u << 11 /* SYSCALL */ | 1u << 20 /* NX */ | 1u << 26 /* 1 GiB pages */ |
            (f & X86_FEAT_RDTSCP ? 1u << 27 : 0) | 1u << 29 /* LM */;
        break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
        static const char brand[48] = "hvsim x86-64 model";
        uint32_t w[4];
        memcpy(w, brand + 16 * (leaf - 0x80000002), 16);
        a = w[0];
        b = w[1];
        cx = w[2];
        d = w[3];
        break;
    }
    case 0x80000007:
        d = 1u << 8; /* invariant TSC */
        break;
    case 0x80000008:
        a = 48u << 8 | c->maxphyaddr;
        break;
    default:
        break;
    }
    out[0] = a;
    out[1] = b;
    out[2] = cx;
    out[3] = d;
}

void x86_h_sys_cpuid(struct x86_cpu *c, const struct x86_insn *i)
{
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* CPUID always exits in VMX non-root operation */
    uint32_t r[4];
    x86_cpuid(c, (uint32_t)c->gpr[X86_RAX], (uint32_t)c->gpr[X86_RCX], r);
    c->gpr[X86_RAX] = r[0];
    c->gpr[X86_RBX] = r[1];
    c->gpr[X86_RCX] = r[2];
    c->gpr[X86_RDX] = r[3];
}

/* ---- fast system calls (SDM vol. 2 SYSCALL, SYSRET; vol. 3A §5.8.8) ---- */
void x86_h_syscall(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)i;
    if (!(c->efer & EFER_SCE) || c->code_bits != 64) {
        ud(c); /* Intel: SYSCALL is #UD outside 64-bit mode */
        return;
    }
    c->gpr[X86_RCX] = c->nrip;
    c->gpr[11] = c->rflags & ~(uint64_t)X86_RF;
    c->rflags = (c->rflags & ~(c->sfmask & 0xffffffffull) & ~(uint64_t)X86_RF) | 2;
    uint16_t sel = (uint16_t)(c->star >> 32);
    x86_seg_flat(&c->seg[X86_SEG_CS], sel & 0xfffc, true, true, 0);
    x86_seg_flat(&c->seg[X86_SEG_SS], (uint16_t)(sel + 8), false, false, 0);
    c->cpl = 0;
    x86_update_mode(c);
    c->nrip = c->lstar;
}

void x86_h_sysret(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!(c->efer & EFER_SCE) || c->code_bits != 64) {
        ud(c);
        return;
    }
    if (!priv(c))
        return;
    bool q = i->osz == 8;
    if (q && !canonical(c->gpr[X86_RCX])) {
        gp0(c);
        return;
    }
    uint16_t sel = (uint16_t)(c->star >> 48);
    c->rflags = (c->gpr[11] & 0x3c7fd7ull) | 2;
    x86_seg_flat(&c->seg[X86_SEG_CS], (uint16_t)((q ? sel + 16 : sel) | 3), true, q, 3);
    x86_seg_flat(&c->seg[X86_SEG_SS], (uint16_t)((sel + 8) | 3), false, false, 3);
    c->cpl = 3;
    x86_update_mode(c);
    c->nrip = q ? c->gpr[X86_RCX] : c->gpr[X86_RCX] & 0xffffffffull;
}

void x86_h_swapgs(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)i;
    if (!priv(c))
        return;
    uint64_t t = c->gs_base;
    c->gs_base = c->kernel_gs_base;
    c->kernel_gs_base = t;
}

/* RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (F3 0F AE /0-/3, register forms). */
void x86_h_fsgsbase(struct x86_cpu *c, const struct x86_insn *i)
{
    if ((i->flags & XI_MEM) || !(c->cr4 & CR4_FSGSBASE)) {
        ud(c);
        return;
    }
    uint64_t *b = (i->modreg & 1) ? &c->gs_base : &c->fs_base;
    uint64_t m = x86_mask(i->osz == 8 ? 8 : 4);
    if (i->modreg < 2) {
        c->gpr[i->rm] = *b & m;
        return;
    }
    uint64_t v = c->gpr[i->rm] & m;
    if (!canonical(v)) {
        gp0(c);
        return;
    }
    *b = v;
}

/* CLAC/STAC (0F 01 CA/CB): #UD at CPL > 0 (SDM vol. 2 CLAC). */
void x86_h_clac_stac(struct x86_cpu *c, const struct x86_insn *i)
{
    if (c->cpl != 0) {
        ud(c);
        return;
    }
    if ((i->rm & 7) == 2)
        c->rflags &= ~(uint64_t)X86_AC;
    else
        c->rflags |= X86_AC;
}

/* ---- privilege checks in front of the integer handlers ---- */
static unsigned iopl(const struct x86_cpu *c)
{
    return (unsigned)(c->rflags >> RFLAGS_IOPL_SHIFT) & 3;
}

/* CLI/STI: protected mode needs CPL <= IOPL (SDM vol. 2 CLI, STI; VME/PVI not modelled).
 * STI that sets IF blocks interrupts for one instruction. */
void x86_h_sys_clisti(struct x86_cpu *c, const struct x86_insn *i)
{
    if ((c->cr0 & CR0_PE) && c->cpl > iopl(c)) {
        gp0(c);
        return;
    }
    if (i->opc == 0xfa) {
        c->rflags &= ~(uint64_t)X86_IF;
    } else {
        if (!(c->rflags & X86_IF))
            c->int_shadow = true;
        c->rflags |= X86_IF;
    }
}

/* I/O permission (SDM vol. 1 §19.5): CPL > IOPL consults the I/O bitmap of the TSS. */
static bool io_allowed(struct x86_cpu *c, uint16_t port, unsigned size)
{
    if (!(c->cr0 & CR0_PE) || c->cpl <= iopl(c))
        return true;
    const struct x86_seg *tr = &c->seg[X86_SEG_TR];
    uint64_t base, bits;
    if (tr->limit < 0x67 || x86_read_sys(c, tr->base + 0x66, 2, &base))
        return false;
    uint64_t off = base + port / 8;
    if (off + 1 > tr->limit || x86_read_sys(c, tr->base + off, 2, &bits))
        return false;
    uint64_t mask = ((1u << size) - 1) << (port & 7);
    return (bits & mask) == 0;
}

void x86_h_sys_io(struct x86_cpu *c, const struct x86_insn *i)
{
    bool dx = i->opc >= 0xec;
    uint16_t port = dx ? (uint16_t)c->gpr[X86_RDX] : (uint16_t)(i->imm & 0xff);
    unsigned size = (i->opc & 1) ? (i->osz == 2 ? 2 : 4) : 1;
    if (!io_allowed(c, port, size)) {
        if (!c->fault)
            gp0(c);
        return;
    }
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* I/O bitmaps / unconditional I/O exiting */
    x86_h_io(c, i);
}

/* INS/OUTS (6C-6F): the same I/O permission check as IN/OUT on port DX (SDM vol. 2 INS,
 * OUTS "Operation": CPL > IOPL consults the TSS bitmap, #GP(0)), ahead of a VMX I/O exit
 * (SDM vol. 3C §26.1.1: faults from I/O permission bits take priority over VM exits; the
 * exit itself is taken in x86_h_strio, whatever the count). A REP form with a zero count
 * runs no iteration and so makes no permission check (part of each iteration, as Bochs
 * models it). */
void x86_h_sys_strio(struct x86_cpu *c, const struct x86_insn *i)
{
    uint16_t port = (uint16_t)c->gpr[X86_RDX];
    unsigned size = (i->opc & 1) ? (i->osz == 2 ? 2 : 4) : 1;
    bool none = i->rep && (c->gpr[X86_RCX] & x86_mask(i->asz)) == 0;
    if (!none && !io_allowed(c, port, size)) {
        if (!c->fault)
            gp0(c);
        return;
    }
    x86_h_strio(c, i);
}

/* POPF at CPL > 0 keeps IOPL, and IF when CPL > IOPL (SDM vol. 2 POPF). */
void x86_h_sys_popf(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t old = c->rflags;
    x86_h_popf(c, i);
    if (c->fault || !(c->cr0 & CR0_PE))
        return;
    uint64_t keep = 0;
    if (c->cpl > 0)
        keep |= 3ull << RFLAGS_IOPL_SHIFT;
    if (c->cpl > ((old >> RFLAGS_IOPL_SHIFT) & 3))
        keep |= X86_IF;
    c->rflags = (c->rflags & ~keep) | (old & keep);
}

void x86_h_sys_hlt(struct x86_cpu *c, const struct x86_insn *i)
{
    if (priv(c) && !(c->vmx && x86_vmx_intercept(c, i)))
        x86_h_hlt(c, i);
}

/* ---- far transfers (SDM vol. 2 JMP, CALL, RET far; same privilege level; call gates and
 * task switches are not modelled: #GP(selector)) ---- */
static void far_xfer(struct x86_cpu *c, const struct x86_insn *i, uint16_t sel, uint64_t off,
                     bool call)
{
    unsigned osz = i->osz;
    if (!(c->cr0 & CR0_PE)) {
        uint64_t sp = c->gpr[X86_RSP];
        if (call && (x86_push(c, osz, c->seg[X86_SEG_CS].sel) || x86_push(c, osz, c->nrip))) {
            c->gpr[X86_RSP] = sp;
            return;
        }
        c->seg[X86_SEG_CS].sel = sel;
        c->seg[X86_SEG_CS].base = (uint64_t)sel << 4;
        c->nrip = off & x86_mask(osz);
        return;
    }
    if ((sel & 0xfffc) == 0) {
        gp0(c);
        return;
    }
    uint64_t d;
    if (x86_desc_fetch(c, sel, false, false, &d, NULL))
        return;
    bool conforming = (d >> 42) & 1;
    if (!((d >> 44) & 1) || (!conforming && (sel & 3) > c->cpl)) {
        x86_raise(c, X86_EXC_GP, true, sel & 0xfffc);
        return;
    }
    if (x86_check_cs(c, sel, d, c->cpl, false))
        return;
    if (call) {
        uint64_t sp = c->gpr[X86_RSP];
        if (x86_push(c, osz, c->seg[X86_SEG_CS].sel) || x86_push(c, osz, c->nrip)) {
            c->gpr[X86_RSP] = sp;
            return;
        }
    }
    x86_set_cs(c, sel, d, c->cpl);
    c->nrip = c->code_bits == 64 ? off : off & x86_mask(osz == 8 ? 4 : osz);
}

/* JMP ptr16:16/32 (EA), CALL ptr16:16/32 (9A), JMP m16:xx (FF /5), CALL m16:xx (FF /3). */
void x86_h_far(struct x86_cpu *c, const struct x86_insn *i)
{
    uint16_t sel;
    uint64_t off;
    bool call;
    if (i->opc == 0xff) {
        uint64_t la, s;
        call = i->modreg == 3;
        if (x86_ea(c, i, &la) || x86_read(c, la, i->osz, &off) ||
            x86_read(c, la + i->osz, 2, &s))
            return;
        sel = (uint16_t)s;
    } else {
        call = i->opc == 0x9a;
        sel = (uint16_t)(i->imm >> 32);
        off = i->imm & 0xffffffffull;
    }
    far_xfer(c, i, sel, off, call);
}

/* RET far (CB, CA imm16). */
void x86_h_retf(struct x86_cpu *c, const struct x86_insn *i)
{
    uint16_t imm = i->opc == 0xca ? (uint16_t)i->imm : 0;
    if (x86_far_return(c, i->osz, false, imm) == 0)
        c->cycles += c->cost_branch_taken;
}
