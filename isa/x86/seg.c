/* isa/x86/seg.c - segmentation (Intel SDM vol. 3A ch. 3 and ch. 5): descriptor fetches from
 * the GDT/LDT, the hidden part of the segment registers, data/stack segment loads with the
 * protection checks of MOV/POP Sreg and LDS/LSS (SDM vol. 2 MOV "Operation"), code-segment
 * checks for far transfers, the mode (code_bits) that follows from CR0.PE, EFER.LMA and CS,
 * and MOV/PUSH/POP Sreg, LxS. */
#include "isa/x86/x86_internal.h"

#define CR0_PE 1ull

uint64_t x86_seg_base(const struct x86_cpu *c, unsigned s)
{
    return s == X86_SEG_FS ? c->fs_base : s == X86_SEG_GS ? c->gs_base : c->seg[s].base;
}

void x86_update_mode(struct x86_cpu *c)
{
    unsigned bits;
    uint16_t a = c->seg[X86_SEG_CS].attr;
    if (!(c->cr0 & CR0_PE))
        bits = 16; /* real-address mode */
    else if ((c->efer & (1ull << 10)) && (a & X86_SA_L))
        bits = 64; /* IA-32e 64-bit mode (SDM vol. 3A §5.2.1: CS.L = 1 with EFER.LMA = 1) */
    else
        bits = (a & X86_SA_DB) ? 32 : 16; /* protected or compatibility mode: CS.D */
    if (bits != c->code_bits) {
        c->code_bits = bits;
        x86_flush_decoded(c); /* the same bytes decode differently in another mode */
    }
}

void x86_seg_flat(struct x86_seg *s, uint16_t sel, bool code, bool l64, unsigned dpl)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    /* code: execute/read accessed (type 0xB); data: read/write accessed (type 3); S, P, G */
    s->attr = (uint16_t)((code ? 0xb : 0x3) | 1u << 4 | (dpl & 3) << 5 | X86_SA_P | X86_SA_G |
                         (code && l64 ? X86_SA_L : X86_SA_DB));
}

void x86_seg_from_desc(struct x86_seg *s, uint16_t sel, uint64_t d, uint64_t hi, bool wide)
{
    /* SDM vol. 3A Figure 3-8 (and Figure 8-4 / 7-4 for 16-byte system descriptors). */
    uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
    s->sel = sel;
    s->attr = (uint16_t)(((d >> 40) & 0xff) | ((d >> 52) & 0xf) << 8);
    s->limit = (s->attr & X86_SA_G) ? limit << 12 | 0xfff : limit;
    s->base = ((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24;
    if (wide)
        s->base |= (hi & 0xffffffffull) << 32;
}

/* Read the descriptor sel names (SDM vol. 3A §3.4.2): GDT or LDT (TI), index * 8 inside the
 * table limit else #GP(sel | EXT). wide: a 16-byte system descriptor (IA-32e mode). */
int x86_desc_fetch(struct x86_cpu *c, uint16_t sel, bool ext, bool wide, uint64_t *lo,
                   uint64_t *hi)
{
    uint64_t base;
    uint32_t limit;
    uint32_t ec = (sel & 0xfffc) | (ext ? 1 : 0);
    if (sel & 4) {
        const struct x86_seg *l = &c->seg[X86_SEG_LDTR];
        if (!(l->attr & X86_SA_P)) {
            x86_raise(c, X86_EXC_GP, true, ec);
            return -1;
        }
        base = l->base;
        limit = l->limit;
    } else {
        base = c->gdtr.base;
        limit = c->gdtr.limit;
    }
    uint32_t off = sel & 0xfff8u;
    if ((uint64_t)off + (wide ? 15 : 7) > limit) {
        x86_raise(c, X86_EXC_GP, true, ec);
        return -1;
    }
    if (x86_read_sys(c, base + off, 8, lo))
        return -1;
    if (hi) {
        *hi = 0;
        if (wide && x86_read_sys(c, base + off + 8, 8, hi))
            return -1;
    }
    return 0;
}

static unsigned d_type(uint64_t d) { return (unsigned)(d >> 40) & 15; }
static bool d_s(uint64_t d) { return (d >> 44) & 1; }
static unsigned d_dpl(uint64_t d) { return (unsigned)(d >> 45) & 3; }
static bool d_p(uint64_t d) { return (d >> 47) & 1; }

/* Segment-register load of ES/SS/DS/FS/GS (SDM vol. 2 MOV, "IF SS is loaded" / "IF DS, ES,
 * FS, or GS is loaded with non-NULL selector"). target_cpl: the CPL the load is checked
 * against (the current one for MOV/POP; the new one for returns to an outer level). */
int x86_seg_load_cpl(struct x86_cpu *c, unsigned sreg, uint16_t sel, unsigned cpl)
{
    struct x86_seg *s = &c->seg[sreg];
    if (!(c->cr0 & CR0_PE)) {
        /* Real-address mode: base = selector * 16, limit and attributes kept (SDM vol. 3A
         * §20.1.1). */
        s->sel = sel;
        s->base = (uint64_t)sel << 4;
        if (sreg == X86_SEG_FS)
            c->fs_base = s->base;
        else if (sreg == X86_SEG_GS)
            c->gs_base = s->base;
        return 0;
    }
    bool lm64 = c->code_bits == 64;
    uint32_t ec = sel & 0xfffc;
    if ((sel & 0xfffc) == 0) {
        if (sreg == X86_SEG_SS && !(lm64 && cpl != 3 && (sel & 3) == cpl)) {
            x86_raise(c, X86_EXC_GP, true, 0);
            return -1;
        }
        /* Null selector: the register becomes unusable (IA-32e: SS null allowed at CPL < 3).
         * FS/GS base: cleared, as Intel CPUs do (Linux X86_BUG_NULL_SEG is the AMD case). */
        s->sel = sel;
        s->attr = 0;
        s->base = 0;
        s->limit = 0;
        if (sreg == X86_SEG_SS)
            s->attr = (uint16_t)((cpl & 3) << 5 | X86_SA_DB); /* unusable, DPL = CPL */
        if (sreg == X86_SEG_FS)
            c->fs_base = 0;
        else if (sreg == X86_SEG_GS)
            c->gs_base = 0;
        return 0;
    }
    uint64_t d;
    if (x86_desc_fetch(c, sel, false, false, &d, NULL))
        return -1;
    unsigned type = d_type(d), dpl = d_dpl(d), rpl = sel & 3;
    if (sreg == X86_SEG_SS) {
        /* writable data segment, RPL = CPL, DPL = CPL */
        if (rpl != cpl || !d_s(d) || (type & 8) || !(type & 2) || dpl != cpl) {
            x86_raise(c, X86_EXC_GP, true, ec);
            return -1;
        }
        if (!d_p(d)) {
            x86_raise(c, X86_EXC_SS, true, ec);
            return -1;
        }
    } else {
        /* data or readable code; for data and non-conforming code RPL <= DPL, CPL <= DPL */
        bool code = type & 8;
        if (!d_s(d) || (code && !(type & 2))) {
            x86_raise(c, X86_EXC_GP, true, ec);
            return -1;
        }
        if ((!code || !(type & 4)) && (rpl > dpl || cpl > dpl)) {
            x86_raise(c, X86_EXC_GP, true, ec);
            return -1;
        }
        if (!d_p(d)) {
            x86_raise(c, X86_EXC_NP, true, ec);
            return -1;
        }
    }
    x86_seg_from_desc(s, sel, d, 0, false);
    if (sreg == X86_SEG_FS)
        c->fs_base = s->base;
    else if (sreg == X86_SEG_GS)
        c->gs_base = s->base;
    return 0;
}

int x86_seg_load(struct x86_cpu *c, unsigned sreg, uint16_t sel)
{
    return x86_seg_load_cpl(c, sreg, sel, c->cpl);
}

/* Check the code-segment descriptor of a far JMP/CALL/RET/IRET or a gate target (SDM vol. 2
 * JMP/CALL "Operation", vol. 3A §5.8.1): a present code segment; conforming: DPL <= cpl;
 * non-conforming: DPL == cpl (and RPL <= cpl for JMP/CALL); IA-32e: L = 1 needs D = 0.
 * cpl: the privilege level the segment must run at. ext: EXT bit for the error code. */
int x86_check_cs(struct x86_cpu *c, uint16_t sel, uint64_t d, unsigned cpl, bool ext)
{
    uint32_t ec = (sel & 0xfffc) | (ext ? 1 : 0);
    unsigned type = d_type(d), dpl = d_dpl(d);
    bool bad = !d_s(d) || !(type & 8);
    if (!bad)
        bad = (type & 4) ? dpl > cpl : dpl != cpl;
    if (!bad && (c->efer & (1ull << 10)) && ((d >> 53) & 1) && ((d >> 54) & 1))
        bad = true; /* L = 1 and D = 1 is reserved in IA-32e mode */
    if (bad) {
        x86_raise(c, X86_EXC_GP, true, ec);
        return -1;
    }
    if (!d_p(d)) {
        x86_raise(c, X86_EXC_NP, true, ec);
        return -1;
    }
    return 0;
}

/* Load CS (already checked) at privilege level cpl and switch modes accordingly. */
void x86_set_cs(struct x86_cpu *c, uint16_t sel, uint64_t d, unsigned cpl)
{
    x86_seg_from_desc(&c->seg[X86_SEG_CS], (uint16_t)((sel & 0xfffc) | cpl), d, 0, false);
    c->cpl = cpl;
    x86_update_mode(c);
}

/* After a return to an outer privilege level: DS/ES/FS/GS holding a segment the new CPL may
 * not use (data or non-conforming code with DPL < CPL) are loaded with null (SDM vol. 2 RET /
 * IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). In 64-bit mode FS/GS bases are kept. */
void x86_seg_outer_fixup(struct x86_cpu *c)
{
    static const unsigned regs[4] = {X86_SEG_ES, X86_SEG_DS, X86_SEG_FS, X86_SEG_GS};
    for (unsigned k = 0; k < 4; k++) {
        struct x86_seg *s = &c->seg[regs[k]];
        unsigned type = s->attr & 15, dpl = (s->attr >> 5) & 3;
        bool data_or_nc = !(type & 8) || !(type & 4);
        if ((s->attr & X86_SA_P) && data_or_nc && dpl < c->cpl) {
            s->sel = 0;
            s->attr = 0;
        }
    }
}

/* ---- instructions ---- */

/* MOV Sreg, Ew (8E): CS cannot be loaded (#UD); loading SS blocks interrupts for one
 * instruction (SDM vol. 2 MOV). */
void x86_h_mov_sreg(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned sr = i->modreg;
    if (i->opc == 0x8c) {
        if (sr > 5) {
            x86_raise(c, X86_EXC_UD, false, 0);
            return;
        }
        uint16_t v = c->seg[sr].sel;
        if (i->flags & XI_MEM) {
            uint64_t la;
            if (x86_ea(c, i, &la))
                return;
            x86_write(c, la, 2, v);
        } else {
            /* register destination: zero-extended to the operand size (32/64) */
            unsigned r = i->rm;
            if (i->osz == 2)
                c->gpr[r] = (c->gpr[r] & ~0xffffull) | v;
            else
                c->gpr[r] = v;
        }
        return;
    }
    if (sr == X86_SEG_CS || sr > 5) {
        x86_raise(c, X86_EXC_UD, false, 0);
        return;
    }
    uint64_t v;
    if (i->flags & XI_MEM) {
        uint64_t la;
        if (x86_ea(c, i, &la) || x86_read(c, la, 2, &v))
            return;
    } else {
        v = c->gpr[i->rm];
    }
    if (x86_seg_load(c, sr, (uint16_t)v) == 0 && sr == X86_SEG_SS)
        c->int_shadow = true;
}

/* PUSH/POP ES CS SS DS (06 07 0E 16 17 1E 1F, invalid in 64-bit mode), FS GS (0F A0/A1/A8/A9). */
static unsigned sreg_of(const struct x86_insn *i)
{
    if (i->map == 1)
        return i->opc < 0xa8 ? X86_SEG_FS : X86_SEG_GS;
    return (i->opc >> 3) & 3;
}

void x86_h_push_sreg(struct x86_cpu *c, const struct x86_insn *i)
{
    x86_push(c, i->osz, c->seg[sreg_of(i)].sel);
}

void x86_h_pop_sreg(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned sr = sreg_of(i);
    uint64_t v, sp = c->gpr[X86_RSP];
    if (x86_pop(c, i->osz, &v))
        return;
    if (x86_seg_load(c, sr, (uint16_t)v)) {
        c->gpr[X86_RSP] = sp;
        return;
    }
    if (sr == X86_SEG_SS)
        c->int_shadow = true;
}

/* LSS/LFS/LGS (0F B2/B4/B5), LES/LDS (C4/C5, not in 64-bit mode): Gv <- offset, Sreg <- sel. */
void x86_h_lxs(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned sr = i->map == 0 ? (i->opc == 0xc4 ? X86_SEG_ES : X86_SEG_DS)
                  : i->opc == 0xb2 ? X86_SEG_SS : i->opc == 0xb4 ? X86_SEG_FS : X86_SEG_GS;
    uint64_t la, off, sel;
    if (x86_ea(c, i, &la) || x86_read(c, la, i->osz, &off) ||
        x86_read(c, la + i->osz, 2, &sel))
        return;
    if (x86_seg_load(c, sr, (uint16_t)sel))
        return;
    if (i->osz == 2)
        c->gpr[i->reg] = (c->gpr[i->reg] & ~0xffffull) | off;
    else
        c->gpr[i->reg] = off;
}

/* An access of `size` bytes at offset `off` (already wrapped to the address size) through
 * segment register s -> linear address.
 *  - 64-bit mode: segmentation is off except the FS/GS bases (SDM vol. 3A §3.2.4, §5.3.1);
 *  - real-address mode: base + offset (SDM vol. 3A §20.1.1; the 64 KiB limit of real mode
 *    is not checked);
 *  - protected and compatibility mode: an unusable (null) segment, an offset past the limit
 *    for any byte of the access (expand-down: inside (limit, 0xFFFF or 0xFFFFFFFF by D/B),
 *    SDM vol. 3A §5.3), a write to a code segment or read-only data segment, or a read of
 *    an execute-only code segment (§5.4.1) raise #GP(0), or #SS(0) through SS (vol. 2 e.g.
 *    MOVS "Protected Mode Exceptions"). The linear address wraps at 4 GiB. */
int x86_seg_la(struct x86_cpu *c, unsigned s, uint64_t off, unsigned size, bool write,
               uint64_t *la)
{
    if (c->code_bits == 64) {
        *la = off + (s == X86_SEG_FS ? c->fs_base : s == X86_SEG_GS ? c->gs_base : 0);
        return 0;
    }
    const struct x86_seg *sg = &c->seg[s];
    if (c->cr0 & CR0_PE) {
        unsigned type = sg->attr & 15;
        uint64_t last = off + size - 1;
        bool ok = (sg->attr & X86_SA_P) != 0;
        if (ok && (type & 8)) /* code: never writable, readable if R (bit 1) */
            ok = !write && (type & 2);
        else if (ok) {        /* data: writable if W (bit 1) */
            if (write && !(type & 2))
                ok = false;
            else if (type & 4) /* expand-down */
                ok = off > sg->limit &&
                     last <= ((sg->attr & X86_SA_DB) ? 0xffffffffull : 0xffffull);
            else
                ok = last <= sg->limit;
        }
        if (!ok) {
            x86_raise(c, s == X86_SEG_SS ? X86_EXC_SS : X86_EXC_GP, true, 0);
            return -1;
        }
    }
    *la = (off + x86_seg_base(c, s)) & 0xffffffffull;
    return 0;
}
