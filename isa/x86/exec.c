/* isa/x86/exec.c - integer instruction handlers for x86.def (Intel SDM vol. 2 instruction
 * pages; flags per SDM vol. 1 appendix A "EFLAGS cross-reference"). Undefined flags are
 * computed the way the SDM's pseudo-code reads most naturally and documented per handler;
 * the differential test masks them. A handler that raises an exception leaves the
 * architectural state unchanged (memory reads and the translation of writes come first). */
#include <inttypes.h>

#include "isa/x86/vmx.h"
#include "isa/x86/x86_internal.h"

/* ---- registers ---- */
static uint64_t reg_get(const struct x86_cpu *c, const struct x86_insn *i, unsigned r, unsigned size)
{
    if (size == 1) {
        if (!(i->flags & XI_REX) && r >= 4 && r < 8)
            return (c->gpr[r - 4] >> 8) & 0xff; /* AH, CH, DH, BH */
        return c->gpr[r] & 0xff;
    }
    return c->gpr[r] & x86_mask(size);
}

/* Writes of 32-bit registers zero-extend to 64 bits in 64-bit mode (SDM vol. 1 §3.4.1.1);
 * 8- and 16-bit writes leave the other bits alone. */
static void reg_set(struct x86_cpu *c, const struct x86_insn *i, unsigned r, unsigned size, uint64_t v)
{
    switch (size) {
    case 1:
        if (!(i->flags & XI_REX) && r >= 4 && r < 8)
            c->gpr[r - 4] = (c->gpr[r - 4] & ~0xff00ull) | (v & 0xff) << 8;
        else
            c->gpr[r] = (c->gpr[r] & ~0xffull) | (v & 0xff);
        break;
    case 2: c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: c->gpr[r] = v & 0xffffffffull; break;
    default: c->gpr[r] = v; break;
    }
}

/* Address-size register update (RSI/RDI/RCX in string ops, LOOP). */
static void areg_set(struct x86_cpu *c, unsigned r, unsigned asz, uint64_t v)
{
    if (asz == 2)
        c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff);
    else
        c->gpr[r] = v & x86_mask(asz);
}

static uint64_t src_seg_base(const struct x86_cpu *c, const struct x86_insn *i);

/* ---- the ModRM r/m operand ---- */
struct eop {
    bool mem;
    unsigned reg;
    struct x86_mref m;
};

static int e_open(struct x86_cpu *c, const struct x86_insn *i, unsigned size, bool write, struct eop *e)
{
    e->mem = i->flags & XI_MEM;
    e->reg = i->rm;
    if (!e->mem)
        return 0;
    uint64_t la;
    x86_ea(c, i, &la);
    return x86_mref_get(c, la, size, write, &e->m);
}

static uint64_t e_get(struct x86_cpu *c, const struct x86_insn *i, const struct eop *e, unsigned size)
{
    return e->mem ? x86_mref_read(c, &e->m) & x86_mask(size) : reg_get(c, i, e->reg, size);
}

static void e_put(struct x86_cpu *c, const struct x86_insn *i, const struct eop *e, unsigned size, uint64_t v)
{
    if (e->mem)
        x86_mref_write(c, &e->m, v & x86_mask(size));
    else
        reg_set(c, i, e->reg, size, v);
}

static unsigned opsize(const struct x86_insn *i)
{
    return (i->flags & XI_BYTE) ? 1 : i->osz;
}

/* ---- flags ---- */
static uint64_t msb(uint64_t v, unsigned size)
{
    return (v >> (size * 8 - 1)) & 1;
}

static uint64_t szp(uint64_t res, unsigned size)
{
    res &= x86_mask(size);
    uint64_t f = 0;
    if (!res)
        f |= X86_ZF;
    if (msb(res, size))
        f |= X86_SF;
    if (!__builtin_parity((unsigned)(res & 0xff)))
        f |= X86_PF;
    return f;
}

static void set_status(struct x86_cpu *c, uint64_t f)
{
    c->rflags = (c->rflags & ~(uint64_t)X86_STATUS_FLAGS) | f;
}

static uint64_t add_flags(uint64_t a, uint64_t b, uint64_t cin, uint64_t res, unsigned size)
{
    uint64_t m = x86_mask(size);
    a &= m, b &= m, res &= m;
    uint64_t f = szp(res, size);
    bool cf = size == 8 ? (res < a || (cin && res == a)) : ((a + b + cin) >> (size * 8)) & 1;
    if (cf)
        f |= X86_CF;
    if (((a ^ b ^ res) >> 4) & 1)
        f |= X86_AF;
    if (msb((a ^ res) & (b ^ res), size))
        f |= X86_OF;
    return f;
}

static uint64_t sub_flags(uint64_t a, uint64_t b, uint64_t bin, uint64_t res, unsigned size)
{
    uint64_t m = x86_mask(size);
    a &= m, b &= m, res &= m;
    uint64_t f = szp(res, size);
    if (a < b || (bin && a == b))
        f |= X86_CF;
    if (((a ^ b ^ res) >> 4) & 1)
        f |= X86_AF;
    if (msb((a ^ b) & (a ^ res), size))
        f |= X86_OF;
    return f;
}

/* op: 0 add, 1 or, 2 adc, 3 sbb, 4 and, 5 sub, 6 xor, 7 cmp. Returns the result. */
static uint64_t alu(struct x86_cpu *c, unsigned op, uint64_t a, uint64_t b, unsigned size)
{
    uint64_t cf = c->rflags & X86_CF, r;
    switch (op) {
    case 0: r = a + b; set_status(c, add_flags(a, b, 0, r, size)); break;
    case 2: r = a + b + cf; set_status(c, add_flags(a, b, cf, r, size)); break;
    case 3: r = a - b - cf; set_status(c, sub_flags(a, b, cf, r, size)); break;
    case 5: case 7: r = a - b; set_status(c, sub_flags(a, b, 0, r, size)); break;
    case 1: r = a | b; set_status(c, szp(r, size)); break; /* CF = OF = 0; AF undefined: 0 */
    case 4: r = a & b; set_status(c, szp(r, size)); break;
    default: r = a ^ b; set_status(c, szp(r, size)); break;
    }
    return r & x86_mask(size);
}

static bool cond(const struct x86_cpu *c, unsigned cc)
{
    uint64_t f = c->rflags;
    bool r;
    switch ((cc >> 1) & 7) {
    case 0: r = f & X86_OF; break;
    case 1: r = f & X86_CF; break;
    case 2: r = f & X86_ZF; break;
    case 3: r = (f & X86_CF) || (f & X86_ZF); break;
    case 4: r = f & X86_SF; break;
    case 5: r = f & X86_PF; break;
    case 6: r = !(f & X86_SF) != !(f & X86_OF); break;
    default: r = (f & X86_ZF) || (!(f & X86_SF) != !(f & X86_OF)); break;
    }
    return (cc & 1) ? !r : r;
}

static void branch(struct x86_cpu *c, uint64_t target)
{
    c->nrip = c->code_bits == 64 ? target : target & 0xffffffffull;
    c->cycles += c->cost_branch_taken;
}

/* ---- ALU ---- */
void x86_h_alu(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    unsigned op = (i->map == 0 && i->opc < 0x40) ? (i->opc >> 3) & 7 : i->modreg;
    if (!(i->flags & XI_MODRM)) { /* AL/rAX, imm */
        uint64_t r = alu(c, op, reg_get(c, i, 0, size), i->imm, size);
        if (op != 7)
            reg_set(c, i, 0, size, r);
        return;
    }
    struct eop e;
    if (i->flags & XI_GFIRST) {
        if (e_open(c, i, size, false, &e))
            return;
        uint64_t r = alu(c, op, reg_get(c, i, i->reg, size), e_get(c, i, &e, size), size);
        if (op != 7)
            reg_set(c, i, i->reg, size, r);
        return;
    }
    if (e_open(c, i, size, op != 7, &e))
        return;
    uint64_t src = i->opc >= 0x80 ? i->imm : reg_get(c, i, i->reg, size);
    uint64_t r = alu(c, op, e_get(c, i, &e, size), src, size);
    if (op != 7)
        e_put(c, i, &e, size, r);
}

void x86_h_test(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    if (!(i->flags & XI_MODRM)) {
        alu(c, 4, reg_get(c, i, 0, size), i->imm, size);
        return;
    }
    struct eop e;
    if (e_open(c, i, size, false, &e))
        return;
    uint64_t src = (i->opc == 0xf6 || i->opc == 0xf7) ? i->imm : reg_get(c, i, i->reg, size);
    alu(c, 4, e_get(c, i, &e, size), src, size);
}

/* INC/DEC: CF is not affected (SDM vol. 2 INC). */
void x86_h_incdec(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    bool dec = (i->flags & XI_MODRM) ? i->modreg == 1 : i->opc >= 0x48;
    struct eop e;
    if (i->flags & XI_MODRM) {
        if (e_open(c, i, size, true, &e))
            return;
    } else {
        e.mem = false;
        e.reg = i->rm;
    }
    uint64_t a = e_get(c, i, &e, size), r = dec ? a - 1 : a + 1;
    uint64_t f = dec ? sub_flags(a, 1, 0, r, size) : add_flags(a, 1, 0, r, size);
    set_status(c, (f & ~(uint64_t)X86_CF) | (c->rflags & X86_CF));
    e_put(c, i, &e, size, r);
}

void x86_h_notneg(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    struct eop e;
    if (e_open(c, i, size, true, &e))
        return;
    uint64_t a = e_get(c, i, &e, size);
    if (i->modreg == 2) {
        e_put(c, i, &e, size, ~a);
        return;
    }
    uint64_t r = 0 - a;
    set_status(c, sub_flags(0, a, 0, r, size)); /* NEG: CF = (src != 0) */
    e_put(c, i, &e, size, r);
}

/* ---- moves ---- */
void x86_h_mov(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    if (i->map == 0 && i->opc >= 0xb0 && i->opc <= 0xbf) {
        reg_set(c, i, i->rm, size, i->imm);
        return;
    }
    struct eop e;
    if (i->flags & XI_GFIRST) {
        if (e_open(c, i, size, false, &e))
            return;
        reg_set(c, i, i->reg, size, e_get(c, i, &e, size));
        return;
    }
    if (e_open(c, i, size, true, &e))
        return;
    e_put(c, i, &e, size, (i->opc == 0xc6 || i->opc == 0xc7) ? i->imm : reg_get(c, i, i->reg, size));
}

void x86_h_mov_moffs(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    uint64_t la;
    /* moffs: DS unless overridden, through the segment checks (SDM vol. 2 MOV A0-A3) */
    if (x86_seg_la(c, i->seg != 7 ? i->seg : X86_SEG_DS, i->imm & x86_mask(i->asz), size,
                   i->opc >= 0xa2, &la))
        return;
    if (i->opc <= 0xa1) {
        uint64_t v;
        if (x86_read(c, la, size, &v) == 0)
            reg_set(c, i, 0, size, v);
    } else {
        x86_write(c, la, size, reg_get(c, i, 0, size));
    }
}

void x86_h_lea(struct x86_cpu *c, const struct x86_insn *i)
{
    /* The effective address only: no segment base (SDM vol. 2 LEA). */
    uint64_t a = (uint64_t)(int64_t)i->disp;
    if (i->flags & XI_RIPREL)
        a += c->nrip;
    if (i->base != 0xff)
        a += c->gpr[i->base];
    if (i->index != 0xff)
        a += c->gpr[i->index] << i->scale;
    a &= x86_mask(i->asz);
    reg_set(c, i, i->reg, i->osz, a);
}

static unsigned ext_src_size(const struct x86_insn *i)
{
    if (i->map == 0)
        return 4;                            /* MOVSXD Gv, Ed */
    return (i->opc & 1) ? 2 : 1;             /* 0F B6/BE: byte, 0F B7/BF: word */
}

void x86_h_movzx(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned ss = ext_src_size(i);
    struct eop e;
    if (e_open(c, i, ss, false, &e))
        return;
    reg_set(c, i, i->reg, i->osz, e_get(c, i, &e, ss));
}

void x86_h_movsx(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned ss = ext_src_size(i);
    struct eop e;
    if (e_open(c, i, ss, false, &e))
        return;
    uint64_t v = e_get(c, i, &e, ss);
    unsigned sh = 64 - 8 * ss;
    reg_set(c, i, i->reg, i->osz, (uint64_t)((int64_t)(v << sh) >> sh));
}

void x86_h_xchg(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    if (!(i->flags & XI_MODRM)) { /* 90+r: xchg r, rAX */
        uint64_t a = reg_get(c, i, i->rm, size), b = reg_get(c, i, 0, size);
        reg_set(c, i, i->rm, size, b);
        reg_set(c, i, 0, size, a);
        return;
    }
    struct eop e;
    if (e_open(c, i, size, true, &e))
        return;
    uint64_t a = e_get(c, i, &e, size), b = reg_get(c, i, i->reg, size);
    e_put(c, i, &e, size, b);
    reg_set(c, i, i->reg, size, a);
}

void x86_h_nop90(struct x86_cpu *c, const struct x86_insn *i)
{
    /* 90 (and F3 90, PAUSE) is NOP; with REX.B it is XCHG r8, rAX (SDM vol. 2 XCHG note). */
    if (c->vmx && i->rm == 0 && x86_vmx_intercept(c, i))
        return; /* PAUSE exiting (isa/x86/vmx.c) */
    if (i->rm != 0)
        x86_h_xchg(c, i);
}

void x86_h_nop(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)c;
    (void)i;
}

void x86_h_cbw(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned s = i->osz, h = s / 2, sh = 64 - 8 * h;
    uint64_t v = (uint64_t)((int64_t)(c->gpr[0] << sh) >> sh);
    reg_set(c, i, 0, s, v);
}

void x86_h_cwd(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned s = i->osz;
    reg_set(c, i, X86_RDX, s, msb(c->gpr[0], s) ? UINT64_MAX : 0);
}

void x86_h_bswap(struct x86_cpu *c, const struct x86_insn *i)
{
    if (i->osz == 8)
        c->gpr[i->rm] = __builtin_bswap64(c->gpr[i->rm]);
    else if (i->osz == 4)
        c->gpr[i->rm] = __builtin_bswap32((uint32_t)c->gpr[i->rm]);
    else
        reg_set(c, i, i->rm, 2, 0); /* 16-bit BSWAP is undefined; zero, as Bochs and QEMU */
}

void x86_h_cmov(struct x86_cpu *c, const struct x86_insn *i)
{
    struct eop e;
    if (e_open(c, i, i->osz, false, &e))
        return;
    uint64_t v = e_get(c, i, &e, i->osz);
    /* The destination is written (32-bit: zero-extended) whatever the condition. */
    reg_set(c, i, i->reg, i->osz, cond(c, i->opc & 15) ? v : reg_get(c, i, i->reg, i->osz));
}

void x86_h_setcc(struct x86_cpu *c, const struct x86_insn *i)
{
    struct eop e;
    if (e_open(c, i, 1, true, &e))
        return;
    e_put(c, i, &e, 1, cond(c, i->opc & 15));
}

/* ---- stack and branches ---- */
void x86_h_push(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t v;
    if (i->opc == 0xff) {
        struct eop e;
        if (e_open(c, i, i->osz, false, &e))
            return;
        v = e_get(c, i, &e, i->osz);
    } else if (i->opc == 0x68 || i->opc == 0x6a) {
        v = i->imm;
    } else {
        v = reg_get(c, i, i->rm, i->osz);
    }
    x86_push(c, i->osz, v & x86_mask(i->osz));
}

void x86_h_pop(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t v, old = c->gpr[X86_RSP];
    if (x86_read(c, old, i->osz, &v))
        return;
    c->gpr[X86_RSP] = old + i->osz;
    if (i->opc == 0x8f) {
        /* The destination address is computed after RSP is incremented (SDM vol. 2 POP). */
        struct eop e;
        if (e_open(c, i, i->osz, true, &e)) {
            c->gpr[X86_RSP] = old;
            return;
        }
        e_put(c, i, &e, i->osz, v);
        return;
    }
    reg_set(c, i, i->rm, i->osz, v);
}

void x86_h_pushf(struct x86_cpu *c, const struct x86_insn *i)
{
    x86_push(c, i->osz, c->rflags & 0xfcffffull & x86_mask(i->osz)); /* VM and RF read as 0 */
}

void x86_h_popf(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t v;
    if (x86_pop(c, i->osz, &v))
        return;
    /* CPL 0: every flag but RF, VM, VIF, VIP may change (SDM vol. 2 POPF). */
    uint64_t mask = 0x247fd5ull & x86_mask(i->osz);
    c->rflags = (c->rflags & ~mask) | (v & mask) | 2;
}

void x86_h_sahf(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)i;
    uint64_t m = X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF;
    c->rflags = (c->rflags & ~m) | ((c->gpr[0] >> 8) & m);
}

void x86_h_lahf(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)i;
    uint64_t m = X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF;
    c->gpr[0] = (c->gpr[0] & ~0xff00ull) | (((c->rflags & m) | 2) << 8);
}

void x86_h_jcc(struct x86_cpu *c, const struct x86_insn *i)
{
    if (cond(c, i->opc & 15))
        branch(c, c->nrip + i->imm);
}

void x86_h_jmp(struct x86_cpu *c, const struct x86_insn *i)
{
    if (i->opc == 0xff) {
        struct eop e;
        if (e_open(c, i, i->osz, false, &e))
            return;
        branch(c, e_get(c, i, &e, i->osz));
        return;
    }
    branch(c, c->nrip + i->imm);
}

void x86_h_call(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t target;
    if (i->opc == 0xff) {
        struct eop e;
        if (e_open(c, i, i->osz, false, &e))
            return;
        target = e_get(c, i, &e, i->osz);
    } else {
        target = c->nrip + i->imm;
    }
    if (x86_push(c, i->osz, c->nrip))
        return;
    branch(c, target);
}

void x86_h_ret(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t v;
    if (x86_pop(c, i->osz, &v))
        return;
    if (i->opc == 0xc2)
        c->gpr[X86_RSP] += i->imm & 0xffff;
    branch(c, v);
}

void x86_h_loop(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t cnt = c->gpr[X86_RCX] & x86_mask(i->asz);
    bool take;
    if (i->opc == 0xe3) {
        take = cnt == 0;
    } else {
        cnt = (cnt - 1) & x86_mask(i->asz);
        areg_set(c, X86_RCX, i->asz, cnt);
        take = cnt != 0;
        if (i->opc == 0xe0)
            take = take && !(c->rflags & X86_ZF);
        else if (i->opc == 0xe1)
            take = take && (c->rflags & X86_ZF);
    }
    if (take)
        branch(c, c->nrip + i->imm);
}

void x86_h_enter(struct x86_cpu *c, const struct x86_insn *i)
{
    /* SDM vol. 2 ENTER (64-bit mode): push RBP; nested levels copy frame pointers. */
    unsigned s = i->osz, level = i->imm2 & 31;
    uint64_t sp = c->gpr[X86_RSP], bp = c->gpr[X86_RBP];
    sp -= s;
    if (x86_write(c, sp, s, bp & x86_mask(s)))
        return;
    uint64_t frame = sp;
    if (level > 0) {
        for (unsigned k = 1; k < level; k++) {
            uint64_t v;
            bp -= s;
            sp -= s;
            if (x86_read(c, bp, s, &v) || x86_write(c, sp, s, v))
                return;
        }
        sp -= s;
        if (x86_write(c, sp, s, frame & x86_mask(s)))
            return;
    }
    sp -= i->imm & 0xffff;
    reg_set(c, i, X86_RBP, s, frame);
    c->gpr[X86_RSP] = sp;
}

void x86_h_leave(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t v, bp = c->gpr[X86_RBP];
    if (x86_read(c, bp, i->osz, &v))
        return;
    c->gpr[X86_RSP] = bp + i->osz;
    reg_set(c, i, X86_RBP, i->osz, v);
}

void x86_h_iret(struct x86_cpu *c, const struct x86_insn *i)
{
    if (x86_iret(c, i->osz) == 0)
        c->cycles += c->cost_branch_taken;
}

/* ---- shifts and rotates (SDM vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR) ---- */
void x86_h_shift(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i), bits = size * 8;
    uint64_t m = x86_mask(size);
    unsigned raw = i->opc == 0xd0 || i->opc == 0xd1 ? 1
                   : (i->opc == 0xd2 || i->opc == 0xd3) ? (unsigned)(c->gpr[X86_RCX] & 0xff)
                                                        : (unsigned)(i->imm & 0xff);
    unsigned cnt = raw & (size == 8 ? 63 : 31);
    struct eop e;
    if (e_open(c, i, size, true, &e))
        return;
    uint64_t a = e_get(c, i, &e, size), r = a, f = c->rflags & X86_STATUS_FLAGS;
    if (cnt == 0) {
        e_put(c, i, &e, size, a); /* memory is written back; 32-bit registers zero-extend */
        return;
    }
    uint64_t cf = (c->rflags & X86_CF) ? 1 : 0;
    switch (i->modreg) {
    case 0: { /* ROL */
        unsigned n = cnt % bits;
        r = n ? ((a << n) | (a >> (bits - n))) & m : a;
        cf = r & 1;
        f = (f & ~(uint64_t)(X86_CF | X86_OF)) | (cf ? X86_CF : 0) |
            ((msb(r, size) ^ cf) ? X86_OF : 0);
        break;
    }
    case 1: { /* ROR */
        unsigned n = cnt % bits;
        r = n ? ((a >> n) | (a << (bits - n))) & m : a;
        cf = msb(r, size);
        f = (f & ~(uint64_t)(X86_CF | X86_OF)) | (cf ? X86_CF : 0) |
            ((msb(r, size) ^ msb(r << 1, size)) ? X86_OF : 0);
        break;
    }
    case 2: case 3: { /* RCL / RCR: rotate through CF, count mod (bits + 1) */
        unsigned n = size <= 2 ? cnt % (bits + 1) : cnt;
        if (n == 0)
            break;
        for (unsigned k = 0; k < n; k++) {
            if (i->modreg == 2) {
                uint64_t out = msb(r, size);
                r = ((r << 1) | cf) & m;
                cf = out;
            } else {
                uint64_t out = r & 1;
                r = (r >> 1) | (cf << (bits - 1));
                cf = out;
            }
        }
        uint64_t of = i->modreg == 2 ? msb(r, size) ^ cf : msb(r, size) ^ msb(r << 1, size);
        f = (f & ~(uint64_t)(X86_CF | X86_OF)) | (cf ? X86_CF : 0) | (of ? X86_OF : 0);
        break;
    }
    case 4: case 6: { /* SHL / SAL; AF undefined: 0 */
        r = (cnt < 64 ? a << cnt : 0) & m;
        cf = cnt <= bits ? (size == 8 ? (a >> (64 - cnt)) & 1 : ((a << cnt) >> bits) & 1) : 0;
        f = szp(r, size) | (cf ? X86_CF : 0) | ((msb(r, size) ^ cf) ? X86_OF : 0);
        break;
    }
    case 5: /* SHR */
        r = cnt < 64 ? a >> cnt : 0;
        cf = cnt <= 64 ? (a >> (cnt - 1)) & 1 : 0;
        f = szp(r, size) | (cf ? X86_CF : 0) | (msb(a, size) ? X86_OF : 0);
        break;
    default: { /* SAR */
        unsigned sh = 64 - bits;
        int64_t sa = (int64_t)(a << sh) >> sh;
        unsigned n = cnt > 63 ? 63 : cnt;
        r = (uint64_t)(sa >> n) & m;
        cf = (uint64_t)(sa >> (n - 1)) & 1;
        f = szp(r, size) | (cf ? X86_CF : 0);
        break;
    }
    }
    set_status(c, f);
    e_put(c, i, &e, size, r);
}

void x86_h_shxd(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = i->osz, bits = size * 8;
    uint64_t m = x86_mask(size);
    unsigned raw = (i->opc & 1) ? (unsigned)(c->gpr[X86_RCX] & 0xff) : (unsigned)(i->imm & 0xff);
    unsigned cnt = raw & (size == 8 ? 63 : 31);
    struct eop e;
    if (e_open(c, i, size, true, &e))
        return;
    uint64_t a = e_get(c, i, &e, size), b = reg_get(c, i, i->reg, size), r, cf;
    if (cnt == 0) {
        e_put(c, i, &e, size, a);
        return;
    }
    /* A count above the operand size (16-bit forms only) gives an undefined result; this
     * model shifts the 48-bit (dst:src:dst) concatenation as Bochs does. */
    if (i->opc <= 0xa5) { /* SHLD */
        unsigned __int128 w = size == 8 ? ((unsigned __int128)a << 64) | b
                                        : ((unsigned __int128)a << (2 * bits)) |
                                              ((unsigned __int128)b << bits) | a;
        unsigned top = size == 8 ? 64 : 2 * bits;
        unsigned __int128 s = w << cnt;
        r = (uint64_t)(s >> top) & m;
        cf = size == 8 ? (a >> (64 - cnt)) & 1 : (uint64_t)(s >> (top + bits)) & 1;
    } else { /* SHRD */
        unsigned __int128 w = size == 8 ? ((unsigned __int128)b << 64) | a
                                        : ((unsigned __int128)a << (2 * bits)) |
                                              ((unsigned __int128)b << bits) | a;
        r = (uint64_t)(w >> cnt) & m;
        cf = (uint64_t)(w >> (cnt - 1)) & 1;
    }
    uint64_t of = msb(r, size) ^ msb(a, size); /* sign change, defined for count 1 */
    set_status(c, szp(r, size) | (cf ? X86_CF : 0) | (of ? X86_OF : 0));
    e_put(c, i, &e, size, r);
}

/* ---- multiply and divide ---- */
static int64_t sx(uint64_t v, unsigned size)
{
    unsigned sh = 64 - 8 * size;
    return (int64_t)(v << sh) >> sh;
}

/* MUL/IMUL: CF = OF = significant upper half; SF, ZF, AF, PF undefined (SZP of the low
 * half, AF 0 here). DIV/IDIV: all flags undefined (unchanged here); #DE on a zero
 * divisor or a quotient that does not fit (SDM vol. 2 DIV/IDIV). */
void x86_h_muldiv(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i), bits = size * 8;
    uint64_t m = x86_mask(size);
    struct eop e;
    if (e_open(c, i, size, false, &e))
        return;
    uint64_t src = e_get(c, i, &e, size);
    uint64_t lo_in = c->gpr[0] & m;
    uint64_t hi_in = size == 1 ? (c->gpr[0] >> 8) & 0xff : c->gpr[X86_RDX] & m;
    uint64_t lo, hi;
    bool ovf;
    switch (i->modreg) {
    case 4: {
        unsigned __int128 p = (unsigned __int128)lo_in * src;
        lo = (uint64_t)p & m;
        hi = (uint64_t)(p >> bits) & m;
        ovf = hi != 0;
        c->cycles += c->cost_mul;
        break;
    }
    case 5: {
        __int128 p = (__int128)sx(lo_in, size) * sx(src, size);
        lo = (uint64_t)p & m;
        hi = (uint64_t)(p >> bits) & m;
        ovf = (__int128)sx(lo, size) != p;
        c->cycles += c->cost_mul;
        break;
    }
    case 6: {
        if (src == 0) {
            x86_raise(c, X86_EXC_DE, false, 0);
            return;
        }
        unsigned __int128 n = ((unsigned __int128)hi_in << bits) | lo_in;
        unsigned __int128 q = n / src;
        if (q >> bits) {
            x86_raise(c, X86_EXC_DE, false, 0);
            return;
        }
        lo = (uint64_t)q;
        hi = (uint64_t)(n % src);
        c->cycles += c->cost_div;
        goto store;
    }
    default: {
        if (src == 0) {
            x86_raise(c, X86_EXC_DE, false, 0);
            return;
        }
        unsigned __int128 un = ((unsigned __int128)hi_in << bits) | lo_in;
        unsigned sh = 128 - 2 * bits;
        __int128 n = sh ? (__int128)(un << sh) >> sh : (__int128)un;
        __int128 d = sx(src, size);
        if (bits == 64 && hi_in == 1ull << 63 && lo_in == 0 && d == -1) {
            x86_raise(c, X86_EXC_DE, false, 0); /* INT128_MIN / -1 */
            return;
        }
        __int128 q = n / d, rm = n % d;
        __int128 lim = (__int128)1 << (bits - 1);
        if (q >= lim || q < -lim) {
            x86_raise(c, X86_EXC_DE, false, 0);
            return;
        }
        lo = (uint64_t)q & m;
        hi = (uint64_t)rm & m;
        c->cycles += c->cost_div;
        goto store;
    }
    }
    set_status(c, szp(lo, size) | (ovf ? X86_CF | X86_OF : 0));
store:
    if (size == 1) {
        c->gpr[0] = (c->gpr[0] & ~0xffffull) | lo | hi << 8;
    } else {
        reg_set(c, i, 0, size, lo);
        reg_set(c, i, X86_RDX, size, hi);
    }
}

static void imul_to_reg(struct x86_cpu *c, const struct x86_insn *i, uint64_t a, uint64_t b)
{
    unsigned size = i->osz;
    __int128 p = (__int128)sx(a, size) * sx(b, size);
    uint64_t lo = (uint64_t)p & x86_mask(size);
    bool ovf = (__int128)sx(lo, size) != p;
    set_status(c, szp(lo, size) | (ovf ? X86_CF | X86_OF : 0));
    reg_set(c, i, i->reg, size, lo);
    c->cycles += c->cost_mul;
}

void x86_h_imul2(struct x86_cpu *c, const struct x86_insn *i)
{
    struct eop e;
    if (e_open(c, i, i->osz, false, &e))
        return;
    imul_to_reg(c, i, reg_get(c, i, i->reg, i->osz), e_get(c, i, &e, i->osz));
}

void x86_h_imul3(struct x86_cpu *c, const struct x86_insn *i)
{
    struct eop e;
    if (e_open(c, i, i->osz, false, &e))
        return;
    imul_to_reg(c, i, e_get(c, i, &e, i->osz), i->imm & x86_mask(i->osz));
}

/* ---- bit operations ---- */
/* BT/BTS/BTR/BTC: CF = the bit; OF, SF, AF, PF undefined (unchanged here); ZF unchanged.
 * A register bit offset with a memory operand addresses bits outside the operand (signed,
 * SDM vol. 2 BT "bit base"). */
void x86_h_bt(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = i->osz, bits = size * 8;
    unsigned op = i->opc == 0xba ? i->modreg - 4 : ((i->opc >> 3) & 3); /* a3:0 ab:1 b3:2 bb:3 */
    bool imm = i->opc == 0xba;
    uint64_t off = imm ? i->imm & 0xff : reg_get(c, i, i->reg, size);
    struct eop e;
    e.mem = i->flags & XI_MEM;
    e.reg = i->rm;
    if (e.mem) {
        uint64_t la;
        x86_ea(c, i, &la);
        if (!imm) {
            /* The bit base is displaced within the address size (SDM vol. 1 §3.7.5:
             * effective addresses wrap at the address size), then the segment base added. */
            int64_t so = sx(off, size);
            unsigned sr = i->seg != 7 ? i->seg
                          : (i->base == X86_RSP || i->base == X86_RBP) ? X86_SEG_SS : X86_SEG_DS;
            uint64_t sb = c->code_bits == 64 ? src_seg_base(c, i) : x86_seg_base(c, sr);
            la = ((la - sb) + (uint64_t)((so >> (bits == 64 ? 6 : bits == 32 ? 5 : 4)) *
                                         (int64_t)size)) & x86_mask(i->asz);
            la += sb;
            if (c->code_bits != 64)
                la &= 0xffffffffull;
        }
        if (x86_mref_get(c, la, size, op != 0, &e.m))
            return;
    }
    unsigned n = (unsigned)(off & (bits - 1));
    uint64_t v = e_get(c, i, &e, size), bit = (v >> n) & 1;
    c->rflags = (c->rflags & ~(uint64_t)X86_CF) | bit;
    if (op == 1)
        v |= 1ull << n;
    else if (op == 2)
        v &= ~(1ull << n);
    else if (op == 3)
        v ^= 1ull << n;
    if (op != 0)
        e_put(c, i, &e, size, v);
}

/* BSF/BSR (source 0: ZF = 1, destination unchanged - 32-bit forms still zero-extend);
 * TZCNT/LZCNT (CF = source 0, ZF = result 0) and POPCNT (ZF = source 0, others 0). */
void x86_h_bitcount(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = i->osz, bits = size * 8;
    struct eop e;
    if (e_open(c, i, size, false, &e))
        return;
    uint64_t v = e_get(c, i, &e, size), r;
    const char *nm = x86_insn_line_name(i->line);
    uint64_t f = c->rflags & X86_STATUS_FLAGS;
    if (nm[0] == 'p') {
        r = (uint64_t)__builtin_popcountll(v);
        f = v ? 0 : X86_ZF;
    } else if (nm[0] == 't') {
        r = v ? (uint64_t)__builtin_ctzll(v) : bits;
        f = (f & ~(uint64_t)(X86_CF | X86_ZF)) | (v ? 0 : X86_CF) | (r ? 0 : X86_ZF);
    } else if (nm[0] == 'l') {
        r = v ? (uint64_t)(__builtin_clzll(v) - (64 - bits)) : bits;
        f = (f & ~(uint64_t)(X86_CF | X86_ZF)) | (v ? 0 : X86_CF) | (r ? 0 : X86_ZF);
    } else {
        if (!v) {
            c->rflags |= X86_ZF;
            reg_set(c, i, i->reg, size, reg_get(c, i, i->reg, size));
            return;
        }
        r = nm[2] == 'f' ? (uint64_t)__builtin_ctzll(v) : (uint64_t)(63 - __builtin_clzll(v));
        f &= ~(uint64_t)X86_ZF;
    }
    set_status(c, f);
    reg_set(c, i, i->reg, size, r);
}

/* ---- atomics (LOCK is implicit in the model: one CPU, instructions are atomic) ---- */
void x86_h_cmpxchg(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    struct eop e;
    if (e_open(c, i, size, true, &e))
        return;
    uint64_t d = e_get(c, i, &e, size), acc = reg_get(c, i, 0, size);
    alu(c, 7, acc, d, size);
    if (acc == d) {
        /* rAX is not written on success (SDM vol. 2 CMPXCHG "Operation"), so a 32-bit
         * CMPXCHG keeps RAX[63:32]: only written registers zero-extend (vol. 1 §3.4.1.1). */
        e_put(c, i, &e, size, reg_get(c, i, i->reg, size));
    } else {
        /* The destination is written back unchanged (SDM vol. 2 CMPXCHG), then rAX. */
        e_put(c, i, &e, size, d);
        reg_set(c, i, 0, size, d);
    }
}

void x86_h_xadd(struct x86_cpu *c, const struct x86_insn *i)
{
    unsigned size = opsize(i);
    struct eop e;
    if (e_open(c, i, size, true, &e))
        return;
    uint64_t d = e_get(c, i, &e, size), s = reg_get(c, i, i->reg, size);
    uint64_t r = alu(c, 0, d, s, size);
    reg_set(c, i, i->reg, size, d);
    e_put(c, i, &e, size, r);
}

void x86_h_cmpxchg8b(struct x86_cpu *c, const struct x86_insn *i)
{
    bool q = i->flags & XI_REXW; /* CMPXCHG16B */
    uint64_t la;
    x86_ea(c, i, &la);
    if (q && !(c->features & X86_FEAT_CX16)) {
        x86_undefined(c, &i->opc, 1);
        return;
    }
    if (q && (la & 15)) {
        x86_raise(c, X86_EXC_GP, true, 0); /* 16-byte alignment (SDM vol. 2 CMPXCHG16B) */
        return;
    }
    struct x86_mref lo, hi;
    unsigned h = q ? 8 : 4;
    if (x86_mref_get(c, la, h, true, &lo) || x86_mref_get(c, la + h, h, true, &hi))
        return;
    uint64_t m = x86_mask(h);
    uint64_t ml = x86_mref_read(c, &lo), mh = x86_mref_read(c, &hi);
    if (ml == (c->gpr[0] & m) && mh == (c->gpr[X86_RDX] & m)) {
        x86_mref_write(c, &lo, c->gpr[X86_RBX] & m);
        x86_mref_write(c, &hi, c->gpr[X86_RCX] & m);
        c->rflags |= X86_ZF;
    } else {
        x86_mref_write(c, &lo, ml);
        x86_mref_write(c, &hi, mh);
        c->gpr[0] = q ? ml : (ml & m);
        c->gpr[X86_RDX] = q ? mh : (mh & m);
        c->rflags &= ~(uint64_t)X86_ZF;
    }
}

/* ---- string instructions (SDM vol. 2 MOVS/STOS/LODS/CMPS/SCAS, REP/REPE/REPNE) ---- */
static uint64_t src_seg_base(const struct x86_cpu *c, const struct x86_insn *i)
{
    return i->seg == 4 ? c->fs_base : i->seg == 5 ? c->gs_base : 0;
}

/* String operands (SDM vol. 1 §3.7.5, vol. 2 MOVS): the source DS:rSI (segment override
 * allowed), the destination ES:rDI (no override), through x86_seg_la's checks. */
static int str_src(struct x86_cpu *c, const struct x86_insn *i, uint64_t si, unsigned size,
                   uint64_t *la)
{
    return x86_seg_la(c, i->seg != 7 ? i->seg : X86_SEG_DS, si, size, false, la);
}

static int str_dst(struct x86_cpu *c, uint64_t di, unsigned size, bool write, uint64_t *la)
{
    return x86_seg_la(c, X86_SEG_ES, di, size, write, la);
}

/* kind: 0 movs, 1 cmps, 2 stos, 3 lods, 4 scas. */
static void string_op(struct x86_cpu *c, const struct x86_insn *i, unsigned kind)
{
    unsigned size = opsize(i), asz = i->asz;
    uint64_t am = x86_mask(asz);
    int64_t step = (c->rflags & X86_DF) ? -(int64_t)size : (int64_t)size;
    bool rep = i->rep != 0;
    for (;;) {
        if (rep && (c->gpr[X86_RCX] & am) == 0)
            return;
        uint64_t si = c->gpr[X86_RSI] & am, di = c->gpr[X86_RDI] & am, a, b, sl, dl;
        switch (kind) {
        case 0:
            if (str_src(c, i, si, size, &sl) || x86_read(c, sl, size, &a) ||
                str_dst(c, di, size, true, &dl) || x86_write(c, dl, size, a))
                return;
            areg_set(c, X86_RSI, asz, si + (uint64_t)step);
            areg_set(c, X86_RDI, asz, di + (uint64_t)step);
            break;
        case 1:
            if (str_src(c, i, si, size, &sl) || x86_read(c, sl, size, &a) ||
                str_dst(c, di, size, false, &dl) || x86_read(c, dl, size, &b))
                return;
            alu(c, 7, a, b, size);
            areg_set(c, X86_RSI, asz, si + (uint64_t)step);
            areg_set(c, X86_RDI, asz, di + (uint64_t)step);
            break;
        case 2:
            if (str_dst(c, di, size, true, &dl) || x86_write(c, dl, size, reg_get(c, i, 0, size)))
                return;
            areg_set(c, X86_RDI, asz, di + (uint64_t)step);
            break;
        case 3:
            if (str_src(c, i, si, size, &sl) || x86_read(c, sl, size, &a))
                return;
            reg_set(c, i, 0, size, a);
            areg_set(c, X86_RSI, asz, si + (uint64_t)step);
            break;
        default:
            if (str_dst(c, di, size, false, &dl) || x86_read(c, dl, size, &b))
                return;
            alu(c, 7, reg_get(c, i, 0, size), b, size);
            areg_set(c, X86_RDI, asz, di + (uint64_t)step);
            break;
        }
        if (!rep)
            return;
        areg_set(c, X86_RCX, asz, (c->gpr[X86_RCX] & am) - 1);
        if (kind == 1 || kind == 4) {
            bool zf = c->rflags & X86_ZF;
            if ((i->rep == 3 && !zf) || (i->rep == 2 && zf))
                return;
        }
    }
}

void x86_h_movs(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, 0); }
void x86_h_cmps(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, 1); }
void x86_h_stos(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, 2); }
void x86_h_lods(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, 3); }
void x86_h_scas(struct x86_cpu *c, const struct x86_insn *i) { string_op(c, i, 4); }

/* ---- flag instructions, system ---- */
void x86_h_flagop(struct x86_cpu *c, const struct x86_insn *i)
{
    switch (i->opc) {
    case 0xf5: c->rflags ^= X86_CF; break;
    case 0xf8: c->rflags &= ~(uint64_t)X86_CF; break;
    case 0xf9: c->rflags |= X86_CF; break;
    case 0xfa: c->rflags &= ~(uint64_t)X86_IF; break; /* CPL 0 <= IOPL */
    case 0xfb: c->rflags |= X86_IF; break;
    case 0xfc: c->rflags &= ~(uint64_t)X86_DF; break;
    default: c->rflags |= X86_DF; break;
    }
}

void x86_h_hlt(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)i;
    /* HLT at CPL 0; nothing in this model wakes the CPU, so stop (IF = 0: the end marker). */
    c->stop = (c->rflags & X86_IF) ? X86_STOP_HLT_IF : X86_STOP_HLT;
}

void x86_h_ud(struct x86_cpu *c, const struct x86_insn *i)
{
    (void)i;
    x86_raise(c, X86_EXC_UD, false, 0); /* UD2: the defined #UD, not counted as undefined */
}

/* One port access: the I/O hook, else port 0xE9 is the debug console (Bochs/QEMU), other
 * reads float high and writes are ignored. */
static uint32_t port_io(struct x86_cpu *c, uint16_t port, unsigned size, bool out, uint32_t v)
{
    if (c->io_hook) {
        c->io_hook(c->io_opaque, c, port, size, out, &v);
    } else if (out) {
        if (port == 0xe9 && c->console)
            fputc((int)(v & 0xff), c->console);
    } else {
        v = (uint32_t)x86_mask(size);
    }
    return out ? 0 : v & (uint32_t)x86_mask(size);
}

/* IN/OUT (SDM vol. 2 IN, OUT); the privilege checks are the caller's (sys.c). */
void x86_h_io(struct x86_cpu *c, const struct x86_insn *i)
{
    bool dx = i->opc >= 0xec, out = (i->opc & 2) != 0;
    uint16_t port = dx ? (uint16_t)c->gpr[X86_RDX] : (uint16_t)(i->imm & 0xff);
    unsigned size = (i->opc & 1) ? (i->osz == 2 ? 2 : 4) : 1;
    uint32_t v = port_io(c, port, size, out, out ? (uint32_t)(c->gpr[0] & x86_mask(size)) : 0);
    if (!out)
        reg_set(c, i, 0, size, v);
}

/* INS (6C/6D) and OUTS (6E/6F) with REP (SDM vol. 2 INS/INSB/INSW/INSD, OUTS): port DX,
 * ES:rDI destination / DS:rSI source (segment override allowed for OUTS), DF steps. An INS
 * translates the destination before the port is read, so a fault loses no input. I/O
 * permission (CPL > IOPL, TSS bitmap) is checked by the caller, x86_h_sys_strio (sys.c). */
void x86_h_strio(struct x86_cpu *c, const struct x86_insn *i)
{
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* I/O exiting (isa/x86/vmx.c): before any segment or paging fault */
    unsigned size = (i->opc & 1) ? (i->osz == 2 ? 2 : 4) : 1, asz = i->asz;
    bool out = i->opc >= 0x6e;
    uint64_t am = x86_mask(asz);
    int64_t step = (c->rflags & X86_DF) ? -(int64_t)size : (int64_t)size;
    uint16_t port = (uint16_t)c->gpr[X86_RDX];
    for (;;) {
        if (i->rep && (c->gpr[X86_RCX] & am) == 0)
            return;
        if (out) {
            uint64_t si = c->gpr[X86_RSI] & am, v, la;
            if (str_src(c, i, si, size, &la) || x86_read(c, la, size, &v))
                return;
            port_io(c, port, size, true, (uint32_t)v);
            areg_set(c, X86_RSI, asz, si + (uint64_t)step);
        } else {
            uint64_t di = c->gpr[X86_RDI] & am, la;
            struct x86_mref m;
            if (str_dst(c, di, size, true, &la) || x86_mref_get(c, la, size, true, &m))
                return;
            x86_mref_write(c, &m, port_io(c, port, size, false, 0));
            areg_set(c, X86_RDI, asz, di + (uint64_t)step);
        }
        if (!i->rep)
            return;
        areg_set(c, X86_RCX, asz, (c->gpr[X86_RCX] & am) - 1);
    }
}

/* XLAT (D7): AL = [seg:rBX + zero-extended AL] (SDM vol. 2 XLAT). */
void x86_h_xlat(struct x86_cpu *c, const struct x86_insn *i)
{
    uint64_t la = (c->gpr[X86_RBX] + (c->gpr[0] & 0xff)) & x86_mask(i->asz), v;
    if (str_src(c, i, la, 1, &la) == 0 && x86_read(c, la, 1, &v) == 0)
        c->gpr[0] = (c->gpr[0] & ~0xffull) | v;
}

/* MOVBE (0F 38 F0 /r load, F1 /r store; SDM vol. 2 MOVBE): byte-swapped move, memory
 * operand only; #UD unless CPUID.1:ECX.MOVBE. */
void x86_h_movbe(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!(c->features & X86_FEAT_MOVBE)) {
        x86_raise(c, X86_EXC_UD, false, 0);
        return;
    }
    unsigned n = i->osz;
    struct eop e;
    if (e_open(c, i, n, i->opc == 0xf1, &e))
        return;
    uint64_t v = i->opc == 0xf1 ? reg_get(c, i, i->reg, n) : e_get(c, i, &e, n);
    v = n == 8 ? __builtin_bswap64(v) : n == 4 ? __builtin_bswap32((uint32_t)v)
                                               : __builtin_bswap16((uint16_t)v);
    if (i->opc == 0xf1)
        e_put(c, i, &e, n, v);
    else
        reg_set(c, i, i->reg, n, v);
}

/* RDRAND / RDSEED (0F C7 /6, /7, register forms; SDM vol. 2 RDRAND, RDSEED): a random
 * value that is a deterministic function of c->rdrand_state (splitmix64; the machine seeds
 * it), always valid: CF = 1, OF SF ZF AF PF = 0. #UD unless CPUID reports RDRAND. */
void x86_h_rdrand(struct x86_cpu *c, const struct x86_insn *i)
{
    if (!(c->features & X86_FEAT_RDRAND) || (i->flags & XI_MEM)) {
        x86_raise(c, X86_EXC_UD, false, 0);
        return;
    }
    if (c->vmx && x86_vmx_intercept(c, i))
        return; /* RDRAND/RDSEED exiting */
    uint64_t z = (c->rdrand_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    reg_set(c, i, i->rm, i->osz, z);
    set_status(c, X86_CF);
}
