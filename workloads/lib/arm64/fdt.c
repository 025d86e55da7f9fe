/* workloads/lib/arm64/fdt.c - a minimal flattened-device-tree reader (no libfdt in the guest).
 * Format: Devicetree Specification v0.4 ch. 5 (header, structure block tokens FDT_BEGIN_NODE 1,
 * FDT_END_NODE 2, FDT_PROP 3, FDT_NOP 4, FDT_END 9; big-endian cells). Runs with the MMU off
 * (Device memory), so it reads bytes only and stores values, never pointers. */
#include "rt.h"

#define FDT_MAGIC 0xd00dfeedu
#define MAX_DEPTH 8

static uint32_t be32(uint64_t p)
{
    const volatile uint8_t *b = (const volatile uint8_t *)p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t cells(uint64_t p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v = v << 32 | be32(p + 4 * i);
    return v;
}

static int streq(uint64_t p, const char *s)
{
    const volatile char *c = (const volatile char *)p;
    while (*s)
        if (*c++ != *s++)
            return 0;
    return *c == 0;
}

static int strprefix(uint64_t p, const char *s)
{
    const volatile char *c = (const volatile char *)p;
    while (*s)
        if (*c++ != *s++)
            return 0;
    return 1;
}

/* Does a NUL-separated string list (a "compatible" value) hold s? */
static int list_has(uint64_t p, uint32_t len, const char *s)
{
    uint64_t end = p + len;
    while (p < end) {
        if (streq(p, s))
            return 1;
        while (p < end && *(const volatile char *)p)
            p++;
        p++;
    }
    return 0;
}

struct node {
    uint64_t name;
    uint32_t acells, scells;           /* for this node's children */
    uint64_t compat, reg, intr, dtype, method;
    uint32_t compat_len, reg_len, intr_len;
};

static void copy_str(char *dst, uint64_t src, uint32_t max)
{
    uint32_t i = 0;
    for (; i + 1 < max && ((const volatile char *)src)[i]; i++)
        dst[i] = ((const volatile char *)src)[i];
    dst[i] = 0;
}

static void finish_node(struct wl_boot_info *bi, const struct node *n, const struct node *parent,
                        const struct node *grandparent, int depth)
{
    uint32_t ac = parent->acells, sc = parent->scells;
    uint32_t entry = 4 * (ac + sc);
    if (n->compat) {
        if (list_has(n->compat, n->compat_len, "arm,gic-v3") && n->reg && n->reg_len >= 2 * entry) {
            bi->gic_version = 3;
            bi->gicd = cells(n->reg, ac);
            bi->gicd_size = cells(n->reg + 4 * ac, sc);
            bi->gicr = cells(n->reg + entry, ac);
            bi->gicr_size = cells(n->reg + entry + 4 * ac, sc);
        } else if ((list_has(n->compat, n->compat_len, "arm,cortex-a15-gic") ||
                    list_has(n->compat, n->compat_len, "arm,gic-400")) &&
                   n->reg && n->reg_len >= 2 * entry) {
            bi->gic_version = 2;
            bi->gicd = cells(n->reg, ac);
            bi->gicd_size = cells(n->reg + 4 * ac, sc);
            bi->gicc = cells(n->reg + entry, ac);
            bi->gicc_size = cells(n->reg + entry + 4 * ac, sc);
        }
        /* Generic timer binding: interrupts = secure phys, non-secure phys, virtual, hyp;
         * each <type num flags>, PPI INTID = num + 16. */
        if (list_has(n->compat, n->compat_len, "arm,armv8-timer") && n->intr && n->intr_len >= 36)
            bi->vtimer_intid = be32(n->intr + 24 + 4) + 16;
        if ((list_has(n->compat, n->compat_len, "arm,sbsa-uart") ||
             list_has(n->compat, n->compat_len, "arm,pl011")) && n->reg && !bi->has_pl011) {
            bi->has_pl011 = 1;
            bi->pl011 = cells(n->reg, ac);
        }
        if (depth == 1 && list_has(n->compat, n->compat_len, "xen,xen")) {
            bi->has_hypervisor = 1;
            copy_str(bi->xen_compat, n->compat, sizeof(bi->xen_compat));
        }
        if (list_has(n->compat, n->compat_len, "arm,psci") ||
            list_has(n->compat, n->compat_len, "arm,psci-0.2") ||
            list_has(n->compat, n->compat_len, "arm,psci-1.0"))
            bi->psci_hvc = n->method && streq(n->method, "hvc");
    }
    if (depth == 1 && (strprefix(n->name, "memory") || (n->dtype && streq(n->dtype, "memory"))) &&
        n->reg && n->reg_len >= entry && !bi->ram_size) {
        bi->ram_base = cells(n->reg, ac);
        bi->ram_size = cells(n->reg + 4 * ac, sc);
    }
    if (depth == 2 && grandparent && streq(parent->name, "cpus") && n->dtype &&
        streq(n->dtype, "cpu") && n->reg && bi->ncpus < WL_MAX_CPUS)
        bi->mpidr[bi->ncpus++] = cells(n->reg, ac);
}

int wl_fdt_parse(uint64_t dtb, struct wl_boot_info *bi)
{
    if (be32(dtb) != FDT_MAGIC)
        return -1;
    bi->dtb_pa = dtb;
    bi->dtb_size = be32(dtb + 4);
    bi->vtimer_intid = 27;
    uint64_t p = dtb + be32(dtb + 8);
    uint64_t strings = dtb + be32(dtb + 12);
    uint64_t end = dtb + bi->dtb_size;
    struct node st[MAX_DEPTH + 1];
    int depth = -1;
    while (p < end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == 1) {                           /* FDT_BEGIN_NODE */
            if (++depth > MAX_DEPTH)
                return -2;
            struct node *n = &st[depth];
            wl_memset(n, 0, sizeof(*n));
            n->name = p;
            n->acells = 2;
            n->scells = 1;
            while (*(const volatile char *)p)
                p++;
            p = (p + 4) & ~3ull;
        } else if (tok == 2) {                    /* FDT_END_NODE */
            if (depth < 0)
                return -2;
            if (depth >= 1)
                finish_node(bi, &st[depth], &st[depth - 1], depth >= 2 ? &st[depth - 2] : 0, depth);
            depth--;
        } else if (tok == 3) {                    /* FDT_PROP: len, nameoff, value */
            if (depth < 0)
                return -2;
            uint32_t len = be32(p), nameoff = be32(p + 4);
            uint64_t val = p + 8, name = strings + nameoff;
            struct node *n = &st[depth];
            if (streq(name, "compatible")) { n->compat = val; n->compat_len = len; }
            else if (streq(name, "reg")) { n->reg = val; n->reg_len = len; }
            else if (streq(name, "interrupts")) { n->intr = val; n->intr_len = len; }
            else if (streq(name, "device_type")) n->dtype = val;
            else if (streq(name, "method")) n->method = val;
            else if (streq(name, "#address-cells") && len == 4) n->acells = be32(val);
            else if (streq(name, "#size-cells") && len == 4) n->scells = be32(val);
            else if (depth == 1 && streq(n->name, "chosen") && streq(name, "bootargs"))
                copy_str(bi->bootargs, val, len + 1 < sizeof(bi->bootargs) ? len + 1
                                                                            : sizeof(bi->bootargs));
            p = (val + len + 3) & ~3ull;
        } else if (tok == 4) {                    /* FDT_NOP */
        } else if (tok == 9) {                    /* FDT_END */
            break;
        } else {
            return -3;
        }
    }
    return 0;
}
