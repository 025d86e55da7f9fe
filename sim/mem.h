/* sim/mem.h - guest physical memory of one machine: a region map (RAM, MMIO, reserved),
 * host-backed RAM allocated lazily, bounds-checked little-endian accessors and a fast
 * host-pointer path for the CPU cores. */
#ifndef SIM_MEM_H
#define SIM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MEM_MAX_REGIONS 32
#define SIM_PAGE_SHIFT 12
#define SIM_PAGE_SIZE (1ull << SIM_PAGE_SHIFT)

enum sim_region_kind { SIM_REGION_RAM, SIM_REGION_MMIO, SIM_REGION_RESERVED };

/* MMIO callbacks: off is relative to the region base; size is 1, 2, 4 or 8.
 * Return 0, or a negative errno-style code (the CPU turns it into an external abort). */
struct sim_mmio_ops {
    int (*read)(void *opaque, uint64_t off, unsigned size, uint64_t *val);
    int (*write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
};

struct sim_region {
    uint64_t base, size;
    enum sim_region_kind kind;
    uint8_t *host;                  /* RAM only: host mapping of [base, base+size) */
    uint8_t *code_bitmap;           /* RAM only: one bit per page holding decoded code */
    const struct sim_mmio_ops *ops; /* MMIO only */
    void *opaque;
    char name[32];
};

struct sim_mem {
    struct sim_region regions[SIM_MEM_MAX_REGIONS];
    unsigned nregions;
    unsigned last;  /* index of the region that answered the last lookup */
    /* Called when a store through sim_mem_write/sim_mem_write_buf touches a page marked
     * with sim_mem_mark_code (decoded-instruction caches use it to invalidate). */
    void (*on_code_write)(void *opaque, uint64_t pa);
    void *code_opaque;
};

void sim_mem_init(struct sim_mem *m);
void sim_mem_destroy(struct sim_mem *m);

/* Add regions. RAM is reserved with MAP_NORESERVE and filled by the host OS on first
 * touch, so several GiB cost nothing until used. Errors: -EINVAL (zero size, overflow,
 * overlap), -ENOSPC (too many regions), -ENOMEM. */
int sim_mem_add_ram(struct sim_mem *m, const char *name, uint64_t base, uint64_t size);
int sim_mem_add_mmio(struct sim_mem *m, const char *name, uint64_t base, uint64_t size,
                     const struct sim_mmio_ops *ops, void *opaque);
int sim_mem_add_reserved(struct sim_mem *m, const char *name, uint64_t base, uint64_t size);

/* The region containing pa, or NULL. */
const struct sim_region *sim_mem_find(struct sim_mem *m, uint64_t pa);

/* Fast path: host pointer for [pa, pa+len) when it lies inside one RAM region, else NULL. */
static inline uint8_t *sim_mem_host(struct sim_mem *m, uint64_t pa, uint64_t len)
{
    const struct sim_region *r = &m->regions[m->last];
    if (m->nregions && r->kind == SIM_REGION_RAM && pa - r->base < r->size &&
        len <= r->size - (pa - r->base))
        return r->host + (pa - r->base);
    r = sim_mem_find(m, pa);
    if (!r || r->kind != SIM_REGION_RAM || len > r->size - (pa - r->base))
        return NULL;
    return r->host + (pa - r->base);
}

/* Little-endian accessors; size 1, 2, 4 or 8. RAM and MMIO; -EFAULT where nothing is
 * mapped (or reserved), -EINVAL for a bad size, or the MMIO callback's error. An access
 * that straddles two regions is -EFAULT. */
int sim_mem_read(struct sim_mem *m, uint64_t pa, unsigned size, uint64_t *val);
int sim_mem_write(struct sim_mem *m, uint64_t pa, unsigned size, uint64_t val);

/* Bulk copies, RAM only (-EFAULT if any byte is not RAM). */
int sim_mem_read_buf(struct sim_mem *m, uint64_t pa, void *dst, uint64_t len);
int sim_mem_write_buf(struct sim_mem *m, uint64_t pa, const void *src, uint64_t len);

/* True if [pa, pa+len) lies entirely inside RAM (possibly several adjacent regions). */
bool sim_mem_is_ram(struct sim_mem *m, uint64_t pa, uint64_t len);

/* Decoded-code tracking: mark the page of pa; stores through the accessors above to a
 * marked page clear the mark and call on_code_write. */
void sim_mem_mark_code(struct sim_mem *m, uint64_t pa);
bool sim_mem_is_code(struct sim_mem *m, uint64_t pa);

const char *sim_region_kind_name(enum sim_region_kind k);

#endif
