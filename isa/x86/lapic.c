/* isa/x86/lapic.c - the local APIC in x2APIC mode (Intel SDM vol. 3A ch. 11: §11.5.4 the
 * timer, §11.6.1 the ICR, §11.8 IRR/ISR/TPR/PPR and EOI, §11.12 the x2APIC MSR interface,
 * Table 11-6 the register map). The timer counts core cycles through the divide
 * configuration (one-shot, periodic, and TSC-deadline when CPUID advertises it). Fixed
 * interrupts enter the IRR; the run loop (cpu.c) takes the highest vector above the processor
 * priority when RFLAGS.IF allows it and no STI/MOV SS shadow is active. xAPIC MMIO mode is not
 * modelled: the registers are only reachable once IA32_APIC_BASE.EXTD is set. */
#include <errno.h>
#include <stdlib.h>

#include "isa/x86/x86_internal.h"
#include "sim/stats.h"

#define APIC_EN (1ull << 11)
#define APIC_EXTD (1ull << 10)
#define LVT_MASK (1u << 16)
#define LVT_TIMER 1
#define TMODE(l) (((l)->lvt[LVT_TIMER] >> 17) & 3) /* 0 one-shot, 1 periodic, 2 TSC-deadline */

int x86_lapic_create(struct x86_cpu *c, struct sim_stats *stats, uint32_t apic_id)
{
    if (c->lapic)
        return -EINVAL;
    struct x86_lapic *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->st_timer = sim_stats_add(stats, "guest.lapic.timer_irqs", "count",
                                "LAPIC timer interrupts raised");
    l->st_ipi_sent = sim_stats_add(stats, "guest.lapic.ipis_sent", "count",
                                   "IPIs sent through the x2APIC ICR or SELF IPI");
    l->st_ipi_recv = sim_stats_add(stats, "guest.lapic.irqs_accepted", "count",
                                   "fixed interrupts accepted into the IRR (IPIs, devices)");
    l->st_eoi = sim_stats_add(stats, "guest.lapic.eois", "count", "EOI writes");
    if (!l->st_timer || !l->st_ipi_sent || !l->st_ipi_recv || !l->st_eoi) {
        free(l);
        return -ENOMEM;
    }
    /* power-up state (SDM vol. 3A §11.4.7.1): LVTs masked, SVR = 0xFF (software disabled) */
    l->id = apic_id;
    for (unsigned k = 0; k < 7; k++)
        l->lvt[k] = LVT_MASK;
    l->svr = 0xff;
    l->timer_fire = UINT64_MAX;
    c->lapic = l;
    x86_lapic_update(c);
    return 0;
}

void x86_lapic_destroy(struct x86_cpu *c)
{
    free(c->lapic);
    c->lapic = NULL;
}

static bool x2apic(const struct x86_cpu *c)
{
    return c->lapic && (c->apic_base & (APIC_EN | APIC_EXTD)) == (APIC_EN | APIC_EXTD);
}

static int highest(const uint32_t *v)
{
    for (int k = 7; k >= 0; k--)
        if (v[k])
            return 32 * k + 31 - __builtin_clz(v[k]);
    return -1;
}

static unsigned ppr(const struct x86_lapic *l)
{
    /* SDM vol. 3A §11.8.3.1 */
    int isrv = highest(l->isr);
    unsigned i = isrv < 0 ? 0 : (unsigned)isrv, tpr = l->tpr & 0xff;
    return (tpr >> 4) >= (i >> 4) ? tpr : (i & 0xf0);
}

static unsigned divisor(uint32_t dcr)
{
    /* SDM vol. 3A Figure 11-10: bits 3, 1:0 */
    unsigned v = (dcr & 3) | ((dcr >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

static void set_irr(struct x86_lapic *l, unsigned vec)
{
    if (vec < 16) {
        l->esr |= 1u << 6; /* received illegal vector */
        return;
    }
    l->irr[vec / 32] |= 1u << (vec % 32);
}

static void recompute(struct x86_cpu *c)
{
    struct x86_lapic *l = c->lapic;
    int v = highest(l->irr);
    c->irq_pending = (c->apic_base & APIC_EN) && v >= 16 && ((unsigned)v >> 4) > (ppr(l) >> 4);
}

static void timer_fire(struct x86_cpu *c)
{
    struct x86_lapic *l = c->lapic;
    (*l->st_timer)++;
    if (!(l->lvt[LVT_TIMER] & LVT_MASK) && (l->svr & 0x100))
        set_irr(l, l->lvt[LVT_TIMER] & 0xff);
}

void x86_lapic_update(struct x86_cpu *c)
{
    struct x86_lapic *l = c->lapic;
    if (!l)
        return;
    uint64_t now = c->cycles;
    if (TMODE(l) == 2) {
        uint64_t tsc = x86_tsc(c);
        if (l->tsc_deadline && tsc >= l->tsc_deadline) {
            timer_fire(c);
            l->tsc_deadline = 0; /* SDM vol. 3A §11.5.4.1: the deadline disarms on firing */
        }
        c->event_at = l->tsc_deadline ? now + (l->tsc_deadline - tsc) : UINT64_MAX;
    } else {
        if (l->timer_fire != UINT64_MAX && now >= l->timer_fire) {
            timer_fire(c);
            if (TMODE(l) == 1 && l->timer_icr) {
                uint64_t period = (uint64_t)l->timer_icr * divisor(l->timer_dcr);
                uint64_t missed = (now - l->timer_fire) / period; /* periods skipped: one IRQ */
                l->timer_start = l->timer_fire + missed * period;
                l->timer_fire = l->timer_start + period;
            } else {
                l->timer_fire = UINT64_MAX;
            }
        }
        c->event_at = l->timer_fire;
    }
    recompute(c);
}

int x86_lapic_ack(struct x86_cpu *c)
{
    struct x86_lapic *l = c->lapic;
    if (!l)
        return -1;
    int v = highest(l->irr);
    if (v < 16 || ((unsigned)v >> 4) <= (ppr(l) >> 4)) {
        c->irq_pending = false;
        return -1;
    }
    l->irr[v / 32] &= ~(1u << (v % 32));
    l->isr[v / 32] |= 1u << (v % 32);
    recompute(c);
    return v;
}

void x86_lapic_accept(struct x86_cpu *c, unsigned vector)
{
    if (!c->lapic)
        return;
    (*c->lapic->st_ipi_recv)++;
    set_irr(c->lapic, vector & 0xff);
    recompute(c);
}

void x86_lapic_set_tpr(struct x86_cpu *c, uint32_t tpr)
{
    c->lapic->tpr = tpr & 0xff;
    recompute(c);
}

static void send_ipi(struct x86_cpu *c, uint64_t icr)
{
    struct x86_lapic *l = c->lapic;
    unsigned vec = icr & 0xff, mode = (icr >> 8) & 7, sh = (icr >> 18) & 3;
    uint32_t dest = (uint32_t)(icr >> 32);
    (*l->st_ipi_sent)++;
    bool self = sh == 1 || sh == 2 || (sh == 0 && dest == l->id);
    if (self && mode == 0)
        x86_lapic_accept(c, vec);
    bool others = sh == 2 || sh == 3 || (sh == 0 && dest != l->id);
    if (others && c->ipi_send)
        c->ipi_send(c->ipi_opaque, c, dest, sh, mode, vec);
}

static uint32_t current_count(const struct x86_cpu *c)
{
    const struct x86_lapic *l = c->lapic;
    if (TMODE(l) == 2 || l->timer_fire == UINT64_MAX || c->cycles >= l->timer_fire)
        return 0;
    unsigned div = divisor(l->timer_dcr);
    return (uint32_t)((l->timer_fire - c->cycles + div - 1) / div);
}

static int lvt_index(uint32_t idx)
{
    if (idx == 0x82f)
        return 0;
    if (idx >= 0x832 && idx <= 0x837)
        return (int)(idx - 0x831);
    return -1;
}

int x86_lapic_msr_read(struct x86_cpu *c, uint32_t idx, uint64_t *val)
{
    if (!x2apic(c))
        return -EPERM; /* SDM vol. 3A §11.12.1.2: #GP unless x2APIC mode is enabled */
    const struct x86_lapic *l = c->lapic;
    int lv = lvt_index(idx);
    if (lv >= 0) {
        *val = l->lvt[lv];
        return 0;
    }
    switch (idx) {
    case 0x802: *val = l->id; break;
    case 0x803: *val = 0x60015; break; /* version 0x15, max LVT entry 6, no directed EOI */
    case 0x808: *val = l->tpr; break;
    case 0x80a: *val = ppr(l); break;
    case 0x80d: *val = (l->id >> 4) << 16 | 1u << (l->id & 15); break; /* §11.12.10.2 */
    case 0x80f: *val = l->svr; break;
    case 0x828: *val = l->esr; break;
    case 0x830: *val = l->icr; break;
    case 0x838: *val = l->timer_icr; break;
    case 0x839: *val = current_count(c); break;
    case 0x83e: *val = l->timer_dcr; break;
    default:
        if (idx >= 0x810 && idx <= 0x817)
            *val = l->isr[idx - 0x810];
        else if (idx >= 0x818 && idx <= 0x81f)
            *val = l->tmr[idx - 0x818];
        else if (idx >= 0x820 && idx <= 0x827)
            *val = l->irr[idx - 0x820];
        else
            return -EPERM; /* EOI, SELF IPI are write-only; the rest does not exist */
        break;
    }
    return 0;
}

int x86_lapic_msr_write(struct x86_cpu *c, uint32_t idx, uint64_t v)
{
    if (!x2apic(c))
        return -EPERM;
    struct x86_lapic *l = c->lapic;
    int lv = lvt_index(idx);
    if (lv >= 0) {
        uint32_t m = lv == LVT_TIMER ? 0x300ff : 0x1f7ff;
        if (lv == LVT_TIMER && (c->features & X86_FEAT_TSCDL))
            m |= 0x40000;
        if ((v & ~(uint64_t)(m | LVT_MASK)) || (lv == LVT_TIMER && ((v >> 17) & 3) == 3))
            return -EPERM;
        uint32_t nv = (uint32_t)v;
        if (!(l->svr & 0x100))
            nv |= LVT_MASK; /* software-disabled: LVTs stay masked (§11.4.7.2) */
        if (lv == LVT_TIMER && ((nv ^ l->lvt[LVT_TIMER]) & (3u << 17))) {
            l->timer_fire = UINT64_MAX; /* a mode change disarms the timer (§11.5.4.1) */
            l->tsc_deadline = 0;
        }
        l->lvt[lv] = nv;
        x86_lapic_update(c);
        return 0;
    }
    switch (idx) {
    case 0x808:
        if (v >> 8)
            return -EPERM;
        x86_lapic_set_tpr(c, (uint32_t)v);
        return 0;
    case 0x80b:
        if (v)
            return -EPERM; /* x2APIC EOI: non-zero writes #GP (§11.12.1.2) */
        (*l->st_eoi)++;
        {
            int s = highest(l->isr);
            if (s >= 0)
                l->isr[s / 32] &= ~(1u << (s % 32));
        }
        recompute(c);
        return 0;
    case 0x80f:
        if (v & ~0x1ffull)
            return -EPERM; /* EOI-broadcast suppression is not offered */
        l->svr = (uint32_t)v;
        if (!(v & 0x100))
            for (unsigned k = 0; k < 7; k++)
                l->lvt[k] |= LVT_MASK;
        x86_lapic_update(c);
        return 0;
    case 0x828:
        if (v)
            return -EPERM;
        l->esr = 0;
        return 0;
    case 0x830:
        l->icr = v & 0xffffffff000cffffull;
        send_ipi(c, l->icr);
        return 0;
    case 0x838:
        if (v >> 32)
            return -EPERM;
        l->timer_icr = (uint32_t)v;
        if (TMODE(l) != 2) {
            l->timer_start = c->cycles;
            l->timer_fire = v ? c->cycles + v * divisor(l->timer_dcr) : UINT64_MAX;
        }
        x86_lapic_update(c);
        return 0;
    case 0x83e:
        if (v & ~0xbull)
            return -EPERM;
        l->timer_dcr = (uint32_t)v;
        return 0;
    case 0x83f:
        if (v & ~0xffull)
            return -EPERM;
        (*l->st_ipi_sent)++;
        x86_lapic_accept(c, (unsigned)v);
        return 0;
    default:
        return -EPERM;
    }
}
