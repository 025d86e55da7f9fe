/* sim/mem.c - guest physical memory: region map and accessors (see mem.h). */
#include "sim/mem.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void sim_mem_init(struct sim_mem *m)
{
    memset(m, 0, sizeof(*m));
}

void sim_mem_destroy(struct sim_mem *m)
{
    for (unsigned i = 0; i < m->nregions; i++) {
        struct sim_region *r = &m->regions[i];
        if (r->kind == SIM_REGION_RAM && r->host)
            munmap(r->host, r->size);
        free(r->code_bitmap);
    }
    memset(m, 0, sizeof(*m));
}

static int add_region(struct sim_mem *m, const char *name, uint64_t base, uint64_t size,
                      enum sim_region_kind kind, struct sim_region **out)
{
    if (size == 0 || base + size < base)
        return -EINVAL;
    if (m->nregions == SIM_MEM_MAX_REGIONS)
        return -ENOSPC;
    for (unsigned i = 0; i < m->nregions; i++) {
        const struct sim_region *r = &m->regions[i];
        if (base < r->base + r->size && r->base < base + size)
            return -EINVAL;
    }
    struct sim_region *r = &m->regions[m->nregions];
    memset(r, 0, sizeof(*r));
    r->base = base;
    r->size = size;
    r->kind = kind;
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
    *out = r;
    return 0;
}

int sim_mem_add_ram(struct sim_mem *m, const char *name, uint64_t base, uint64_t size)
{
    struct sim_region *r;
    int rc;
    if ((base | size) & (SIM_PAGE_SIZE - 1))
        return -EINVAL;
    if ((rc = add_region(m, name, base, size, SIM_REGION_RAM, &r)))
        return rc;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    r->host = p;
    m->nregions++;
    return 0;
}

int sim_mem_add_mmio(struct sim_mem *m, const char *name, uint64_t base, uint64_t size,
                     const struct sim_mmio_ops *ops, void *opaque)
{
    struct sim_region *r;
    int rc;
    if (!ops)
        return -EINVAL;
    if ((rc = add_region(m, name, base, size, SIM_REGION_MMIO, &r)))
        return rc;
    r->ops = ops;
    r->opaque = opaque;
    m->nregions++;
    return 0;
}

int sim_mem_add_reserved(struct sim_mem *m, const char *name, uint64_t base, uint64_t size)
{
    struct sim_region *r;
    int rc = add_region(m, name, base, size, SIM_REGION_RESERVED, &r);
    if (!rc)
        m->nregions++;
    return rc;
}

const struct sim_region *sim_mem_find(struct sim_mem *m, uint64_t pa)
{
    if (m->nregions) {
        const struct sim_region *r = &m->regions[m->last];
        if (pa - r->base < r->size)
            return r;
    }
    for (unsigned i = 0; i < m->nregions; i++) {
        const struct sim_region *r = &m->regions[i];
        if (pa - r->base < r->size) {
            m->last = i;
            return r;
        }
    }
    return NULL;
}

static void code_write_check(struct sim_mem *m, struct sim_region *r, uint64_t pa, uint64_t len)
{
    if (!r->code_bitmap || len == 0)
        return;
    uint64_t first = (pa - r->base) >> SIM_PAGE_SHIFT;
    uint64_t last = (pa + len - 1 - r->base) >> SIM_PAGE_SHIFT;
    for (uint64_t pg = first; pg <= last; pg++) {
        if (r->code_bitmap[pg >> 3] & (1u << (pg & 7))) {
            r->code_bitmap[pg >> 3] &= (uint8_t)~(1u << (pg & 7));
            if (m->on_code_write)
                m->on_code_write(m->code_opaque, r->base + (pg << SIM_PAGE_SHIFT));
        }
    }
}

int sim_mem_read(struct sim_mem *m, uint64_t pa, unsigned size, uint64_t *val)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return -EINVAL;
    const struct sim_region *r = sim_mem_find(m, pa);
    if (!r || r->kind == SIM_REGION_RESERVED || size > r->size - (pa - r->base))
        return -EFAULT;
    if (r->kind == SIM_REGION_MMIO)
        return r->ops->read ? r->ops->read(r->opaque, pa - r->base, size, val) : -EFAULT;
    const uint8_t *p = r->host + (pa - r->base);
    switch (size) {
    case 1: *val = *p; break;
    case 2: { uint16_t v; memcpy(&v, p, 2); *val = le16toh(v); break; }
    case 4: { uint32_t v; memcpy(&v, p, 4); *val = le32toh(v); break; }
    default: { uint64_t v; memcpy(&v, p, 8); *val = le64toh(v); break; }
    }
    return 0;
}

int sim_mem_write(struct sim_mem *m, uint64_t pa, unsigned size, uint64_t val)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return -EINVAL;
    struct sim_region *r = (struct sim_region *)sim_mem_find(m, pa);
    if (!r || r->kind == SIM_REGION_RESERVED || size > r->size - (pa - r->base))
        return -EFAULT;
    if (r->kind == SIM_REGION_MMIO)
        return r->ops->write ? r->ops->write(r->opaque, pa - r->base, size, val) : -EFAULT;
    uint8_t *p = r->host + (pa - r->base);
    switch (size) {
    case 1: *p = (uint8_t)val; break;
    case 2: { uint16_t v = htole16((uint16_t)val); memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = htole32((uint32_t)val); memcpy(p, &v, 4); break; }
    default: { uint64_t v = htole64(val); memcpy(p, &v, 8); break; }
    }
    code_write_check(m, r, pa, size);
    return 0;
}

/* Walk [pa, pa+len) region by region; every byte must be RAM. */
static int ram_span(struct sim_mem *m, uint64_t pa, uint64_t len, uint8_t *buf, bool write)
{
    if (pa + len < pa)
        return -EFAULT;
    while (len) {
        struct sim_region *r = (struct sim_region *)sim_mem_find(m, pa);
        if (!r || r->kind != SIM_REGION_RAM)
            return -EFAULT;
        uint64_t off = pa - r->base, n = r->size - off;
        if (n > len)
            n = len;
        if (buf) {
            if (write) {
                memcpy(r->host + off, buf, n);
                code_write_check(m, r, pa, n);
            } else {
                memcpy(buf, r->host + off, n);
            }
            buf += n;
        }
        pa += n;
        len -= n;
    }
    return 0;
}

int sim_mem_read_buf(struct sim_mem *m, uint64_t pa, void *dst, uint64_t len)
{
    return ram_span(m, pa, len, dst, false);
}

int sim_mem_write_buf(struct sim_mem *m, uint64_t pa, const void *src, uint64_t len)
{
    /* Check first so that a failing copy writes nothing. */
    if (ram_span(m, pa, len, NULL, false))
        return -EFAULT;
    return ram_span(m, pa, len, (uint8_t *)src, true);
}

bool sim_mem_is_ram(struct sim_mem *m, uint64_t pa, uint64_t len)
{
    return ram_span(m, pa, len, NULL, false) == 0;
}

void sim_mem_mark_code(struct sim_mem *m, uint64_t pa)
{
    struct sim_region *r = (struct sim_region *)sim_mem_find(m, pa);
    if (!r || r->kind != SIM_REGION_RAM)
        return;
    if (!r->code_bitmap) {
        r->code_bitmap = calloc((r->size >> SIM_PAGE_SHIFT) / 8 + 1, 1);
        if (!r->code_bitmap)
            return;
    }
    uint64_t pg = (pa - r->base) >> SIM_PAGE_SHIFT;
    r->code_bitmap[pg >> 3] |= (uint8_t)(1u << (pg & 7));
}

bool sim_mem_is_code(struct sim_mem *m, uint64_t pa)
{
    const struct sim_region *r = sim_mem_find(m, pa);
    if (!r || !r->code_bitmap)
        return false;
    uint64_t pg = (pa - r->base) >> SIM_PAGE_SHIFT;
    return r->code_bitmap[pg >> 3] & (1u << (pg & 7));
}

const char *sim_region_kind_name(enum sim_region_kind k)
{
    switch (k) {
    case SIM_REGION_RAM: return "ram";
    case SIM_REGION_MMIO: return "mmio";
    default: return "reserved";
    }
}
