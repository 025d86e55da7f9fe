/* hv/arm/vgic.c - the emulated GICv2 (ARM IHI0048B "GIC Architecture Specification v2")
 * as Xen's vgic-v2 presents it to a guest (xen/arch/arm/vgic-v2.c, vgic.c): distributor at
 * 0x03001000 emulated on stage-2 aborts, CPU interface at 0x03002000, delivery to the vCPU
 * through HCR_EL2.VI (the virtual IRQ line, ARM DDI0487 D1.14.4). SGIs/PPIs are banked per
 * vCPU, SPIs 32..63 live in the domain. Also Xen's vPL011 (xen/arch/arm/vpl011.c) as an
 * SBSA UART transmitter. */
#include <errno.h>
#include <string.h>

#include "hv/arm/internal.h"

#define HCR_VI (1ull << 7)
#define SPURIOUS 1023u

static bool irq_enabled(struct hv_vcpu *v, unsigned irq)
{
    return irq < 32 ? (v->enable >> irq) & 1 : (v->d->spi_enable[0] >> (irq - 32)) & 1;
}
static bool irq_pending(struct hv_vcpu *v, unsigned irq)
{
    return irq < 32 ? (v->pending >> irq) & 1 : (v->d->spi_pending[0] >> (irq - 32)) & 1;
}
static bool irq_active(struct hv_vcpu *v, unsigned irq)
{
    return irq < 32 ? (v->active >> irq) & 1 : (v->d->spi_active[0] >> (irq - 32)) & 1;
}
static uint8_t irq_prio(struct hv_vcpu *v, unsigned irq)
{
    return irq < 32 ? v->prio[irq] : v->d->spi_prio[irq - 32];
}
static void set_bit32(uint32_t *w, unsigned b, bool on)
{
    if (on)
        *w |= 1u << b;
    else
        *w &= ~(1u << b);
}
static void set_pending(struct hv_vcpu *v, unsigned irq, bool on)
{
    if (irq < 32)
        set_bit32(&v->pending, irq, on);
    else
        set_bit32(&v->d->spi_pending[0], irq - 32, on);
}
static void set_active(struct hv_vcpu *v, unsigned irq, bool on)
{
    if (irq < 32)
        set_bit32(&v->active, irq, on);
    else
        set_bit32(&v->d->spi_active[0], irq - 32, on);
}

/* The SPI's target vCPU: the lowest set bit of GICD_ITARGETSR (Xen's vgic-v2 delivers an
 * SPI to one vCPU, vgic_v2_get_target_vcpu). */
static struct hv_vcpu *spi_target(struct hv_domain *d, unsigned irq)
{
    uint8_t t = d->spi_target[irq - 32];
    for (unsigned i = 0; i < d->nvcpus; i++)
        if ((t >> i) & 1)
            return d->vcpu[i];
    return d->vcpu[0];
}

static unsigned running_prio(struct hv_vcpu *v)
{
    return v->nrunning ? irq_prio(v, (unsigned)v->running_irq[v->nrunning - 1]) : 0x100;
}

/* Highest-priority pending, enabled, inactive interrupt for v (IHI0048B §3.2.2, §4.4.4). */
static unsigned best_pending(struct hv_vcpu *v)
{
    unsigned best = SPURIOUS, bp = 0x100;
    for (unsigned irq = 0; irq < HV_NR_IRQS; irq++) {
        if (!irq_pending(v, irq) || !irq_enabled(v, irq) || irq_active(v, irq))
            continue;
        if (irq >= 32 && spi_target(v->d, irq) != v)
            continue;
        unsigned pr = irq_prio(v, irq);
        if (pr < bp) {
            bp = pr;
            best = irq;
        }
    }
    return best;
}

static bool signalled(struct hv_vcpu *v)
{
    if (!(v->d->gicd_ctlr & 1) || !(v->gicc_ctlr & 1))
        return false;
    unsigned irq = best_pending(v);
    if (irq == SPURIOUS)
        return false;
    unsigned pr = irq_prio(v, irq);
    return pr < (v->gicc_pmr & 0xff) && pr < running_prio(v);
}

void hv_vgic_update(struct hv_vcpu *v)
{
    if (signalled(v))
        v->cpu->hcr_el2 |= HCR_VI;
    else
        v->cpu->hcr_el2 &= ~HCR_VI;
}

bool hv_vgic_has_pending(struct hv_vcpu *v)
{
    return best_pending(v) != SPURIOUS;
}

/* vgic_inject_irq (xen/arch/arm/vgic.c): mark pending and kick / wake the vCPU. */
void hv_vgic_inject(struct hv_vcpu *v, unsigned irq)
{
    if (irq >= HV_NR_IRQS)
        return;
    if (irq >= 32)
        v = spi_target(v->d, irq);
    set_pending(v, irq, true);
    hv_vgic_update(v);
    /* vcpu_kick -> vcpu_unblock: the vCPU is woken whether or not the interrupt is enabled */
    if (v->blocked)
        hv_vcpu_wake(v);
}

/* ---- distributor (IHI0048B §4.3) ---- */
static uint32_t bits_read(struct hv_vcpu *v, unsigned word, int kind)
{
    /* kind 0 enable, 1 pending, 2 active */
    if (word == 0)
        return kind == 0 ? v->enable : kind == 1 ? v->pending : v->active;
    if (word == 1)
        return kind == 0 ? v->d->spi_enable[0] : kind == 1 ? v->d->spi_pending[0]
                                                            : v->d->spi_active[0];
    return 0;
}

static void bits_write(struct hv_vcpu *v, unsigned word, int kind, bool set, uint32_t val)
{
    uint32_t *w;
    if (word == 0)
        w = kind == 0 ? &v->enable : kind == 1 ? &v->pending : &v->active;
    else if (word == 1)
        w = kind == 0 ? &v->d->spi_enable[0] : kind == 1 ? &v->d->spi_pending[0]
                                                          : &v->d->spi_active[0];
    else
        return;
    if (word == 0 && kind == 0)
        val &= ~0xffffu; /* SGI enables are RAO/WI here */
    if (set)
        *w |= val;
    else
        *w &= ~val;
}

static int gicd_access(struct hv_vcpu *v, uint64_t off, bool write, unsigned size, uint64_t *val)
{
    struct hv_domain *d = v->d;
    uint32_t x = (uint32_t)*val;
    if (off >= 0x400 && off < 0x400 + HV_NR_IRQS) { /* GICD_IPRIORITYR: byte accessible */
        for (unsigned i = 0; i < size && off + i < 0x400 + HV_NR_IRQS; i++) {
            unsigned irq = (unsigned)(off - 0x400) + i;
            uint8_t *p = irq < 32 ? &v->prio[irq] : &d->spi_prio[irq - 32];
            if (write)
                *p = (uint8_t)(x >> (8 * i)) & 0xf8; /* 5 priority bits, as Xen's GICH */
            else
                *val |= (uint64_t)*p << (8 * i);
        }
        return 0;
    }
    if (off >= 0x800 && off < 0x800 + HV_NR_IRQS) { /* GICD_ITARGETSR */
        for (unsigned i = 0; i < size; i++) {
            unsigned irq = (unsigned)(off - 0x800) + i;
            if (irq < 32) {
                if (!write)
                    *val |= (uint64_t)(1u << v->id) << (8 * i);
            } else if (irq < HV_NR_IRQS) {
                if (write)
                    d->spi_target[irq - 32] = (uint8_t)(x >> (8 * i));
                else
                    *val |= (uint64_t)d->spi_target[irq - 32] << (8 * i);
            }
        }
        return 0;
    }
    if (size != 4)
        return -EINVAL;
    unsigned word = (unsigned)(off & 0x7f) / 4;
    switch (off & ~0x7full) {
    case 0x100: case 0x180: /* ISENABLER / ICENABLER */
        if (write)
            bits_write(v, word, 0, off < 0x180, x);
        else
            *val = bits_read(v, word, 0);
        return 0;
    case 0x200: case 0x280: /* ISPENDR / ICPENDR */
        if (write)
            bits_write(v, word, 1, off < 0x280, x);
        else
            *val = bits_read(v, word, 1);
        return 0;
    case 0x300: case 0x380: /* ISACTIVER / ICACTIVER */
        if (write)
            bits_write(v, word, 2, off < 0x380, x);
        else
            *val = bits_read(v, word, 2);
        return 0;
    default:
        break;
    }
    switch (off) {
    case 0x000: /* GICD_CTLR */
        if (write)
            d->gicd_ctlr = x & 1;
        else
            *val = d->gicd_ctlr;
        return 0;
    case 0x004: /* GICD_TYPER: ITLinesNumber, CPUNumber */
        if (!write)
            *val = (HV_NR_IRQS / 32 - 1) | ((d->nvcpus - 1) << 5);
        return 0;
    case 0x008: /* GICD_IIDR: ARM implementer (Xen vgic-v2 reports 0x43b) */
        if (!write)
            *val = 0x43b;
        return 0;
    case 0xf00: /* GICD_SGIR (IHI0048B §4.3.15) */
        if (write) {
            unsigned filter = (x >> 24) & 3, list = (x >> 16) & 0xff, sgi = x & 15;
            for (unsigned i = 0; i < d->nvcpus; i++) {
                bool to = filter == 0 ? (list >> i) & 1 : filter == 1 ? i != v->id : i == v->id;
                if (to) {
                    d->vcpu[i]->sgi_src[sgi] |= (uint8_t)(1u << (v->id & 7));
                    hv_vgic_inject(d->vcpu[i], sgi);
                }
            }
        }
        return 0;
    default:
        /* ICFGR, IGROUPR, ID registers, ...: RAZ/WI (vgic-v2 "read as zero / write ignored") */
        if (!write)
            *val = 0;
        return 0;
    }
}

/* ---- CPU interface (IHI0048B §4.4) ---- */
static int gicc_access(struct hv_vcpu *v, uint64_t off, bool write, unsigned size, uint64_t *val)
{
    if (size != 4)
        return -EINVAL;
    uint32_t x = (uint32_t)*val;
    switch (off) {
    case 0x00: /* GICC_CTLR */
        if (write)
            v->gicc_ctlr = x & 1;
        else
            *val = v->gicc_ctlr;
        return 0;
    case 0x04: /* GICC_PMR */
        if (write)
            v->gicc_pmr = x & 0xf8;
        else
            *val = v->gicc_pmr;
        return 0;
    case 0x08: /* GICC_BPR */
        if (!write)
            *val = 2;
        return 0;
    case 0x0c: { /* GICC_IAR: acknowledge */
        if (write)
            return 0;
        unsigned irq = SPURIOUS, src = 0;
        if (signalled(v)) {
            irq = best_pending(v);
            set_pending(v, irq, false);
            set_active(v, irq, true);
            if (irq < 16 && v->sgi_src[irq]) {
                /* one source at a time; the others stay pending (IHI0048B §3.2.4) */
                while (!((v->sgi_src[irq] >> src) & 1))
                    src++;
                v->sgi_src[irq] &= (uint8_t)~(1u << src);
                if (v->sgi_src[irq])
                    set_pending(v, irq, true);
            }
            if (v->nrunning < 8)
                v->running_irq[v->nrunning++] = (int)irq;
        }
        *val = irq | (src << 10); /* GICC_IAR.CPUID: the SGI's source, 0 otherwise */
        return 0;
    }
    case 0x10: { /* GICC_EOIR: priority drop and deactivate (EOImode 0) */
        if (!write)
            return 0;
        unsigned irq = x & 0x3ff;
        if (irq < HV_NR_IRQS) {
            set_active(v, irq, false);
            for (unsigned i = v->nrunning; i-- > 0;)
                if (v->running_irq[i] == (int)irq) {
                    memmove(&v->running_irq[i], &v->running_irq[i + 1],
                            (v->nrunning - i - 1) * sizeof(int));
                    v->nrunning--;
                    break;
                }
        }
        return 0;
    }
    case 0x14: /* GICC_RPR */
        if (!write)
            *val = running_prio(v) > 0xff ? 0xff : running_prio(v);
        return 0;
    case 0x18: /* GICC_HPPIR */
        if (!write)
            *val = best_pending(v);
        return 0;
    case 0xfc: /* GICC_IIDR */
        if (!write)
            *val = 0x0202143b;
        return 0;
    default:
        if (!write)
            *val = 0;
        return 0;
    }
}

int hv_vgic_mmio(struct hv_vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t *val)
{
    int rc;
    if (!write)
        *val = 0;
    if (ipa >= GUEST_GICD_BASE && ipa < GUEST_GICD_BASE + GUEST_GICD_SIZE)
        rc = gicd_access(v, ipa - GUEST_GICD_BASE, write, size, val);
    else
        rc = gicc_access(v, ipa - GUEST_GICC_BASE, write, size, val);
    for (unsigned i = 0; i < v->d->nvcpus; i++)
        hv_vgic_update(v->d->vcpu[i]);
    return rc;
}

/* ---- vPL011 (SBSA generic UART subset: DR, FR, IMSC, RIS, MIS, ICR, CR) ---- */
void hv_vpl011_flush(struct hv_domain *d)
{
    if (d->uart_len) {
        hv_console_write(d, d->uart_line, d->uart_len);
        fflush(d->hv->m->console);
        d->uart_len = 0;
    }
}

int hv_vpl011_mmio(struct hv_vcpu *v, uint64_t off, bool write, unsigned size, uint64_t *val)
{
    struct hv_domain *d = v->d;
    (void)size;
    if (!write)
        *val = 0;
    switch (off) {
    case 0x00: /* DR: transmit (line buffered, as vpl011 buffers per line for the console) */
        if (write) {
            char ch = (char)(*val & 0xff);
            d->uart_line[d->uart_len++] = ch;
            if (ch == '\n' || d->uart_len == sizeof(d->uart_line))
                hv_vpl011_flush(d);
        }
        return 0;
    case 0x18: /* FR: TXFE (bit 7) | RXFE (bit 4): never busy, never any input */
        if (!write)
            *val = (1u << 7) | (1u << 4);
        return 0;
    case 0x30: /* CR */
        if (write)
            d->uart_cr = (uint32_t)*val;
        else
            *val = d->uart_cr;
        return 0;
    case 0x38: /* IMSC */
        if (write)
            d->uart_imsc = (uint32_t)*val & 0x7ff;
        else
            *val = d->uart_imsc;
        return 0;
    case 0x3c: /* RIS: TX interrupt always raised (transmit FIFO empty) */
        if (!write)
            *val = 1u << 5;
        return 0;
    case 0x40: /* MIS */
        if (!write)
            *val = (1u << 5) & d->uart_imsc;
        return 0;
    default:
        return 0; /* ICR and the rest: write ignored, read as zero */
    }
}
