/* workloads/lib/arm64/mm.c - stage-1 page tables: VMSAv8-64, 4KB granule, 48-bit VAs, TTBR0
 * for EL0 tasks and TTBR1 for the kernel (ARM DDI0487 D8.1-D8.3: descriptor formats D8.3,
 * access permissions D8.4, nG and ASIDs D8.14). The kernel sees RAM through a linear map
 * VA = PA + wl_voff. With kpti=1 kernel mappings are non-global and the trampoline table
 * (wl_kpgd[1], one page above the kernel's, like Linux's tramp_pg_dir) maps only the page
 * that holds the vectors and the exit trampoline. */
#include "rt.h"

#define PTE_VALID   (1ull << 0)
#define PTE_TABLE   (1ull << 1)     /* table (levels 0-2) or page (level 3) */
#define PTE_ATTR(n) ((uint64_t)(n) << 2)
#define PTE_AP_EL0  (1ull << 6)     /* AP[1]: EL0 access */
#define PTE_AP_RO   (1ull << 7)     /* AP[2]: read-only */
#define PTE_SH_IS   (3ull << 8)
#define PTE_AF      (1ull << 10)
#define PTE_NG      (1ull << 11)
#define PTE_PXN     (1ull << 53)
#define PTE_UXN     (1ull << 54)
#define ADDR_MASK   0x0000fffffffff000ull

uint64_t wl_kpgd[2][512] __attribute__((aligned(4096)));    /* [0] kernel L0, [1] trampoline */
uint64_t wl_idmap_l0[512] __attribute__((aligned(4096)));
static uint64_t kl1[512] __attribute__((aligned(4096)));
static uint64_t idmap_l1[512] __attribute__((aligned(4096)));
uint64_t wl_voff;
int wl_mmu_enabled;
int wl_kpti_on;
static uint64_t next_free, ram_end;
static volatile int mm_lock;

extern char _head[], _end[], __tramp_start[];
/* Link-time (absolute) address of the image start, read from data so that it is not turned
 * into PC-relative addressing, which yields the physical address while the MMU is off. */
static char *const volatile head_link = _head;

uint64_t wl_va_to_pa(const void *va) { return (uint64_t)va - wl_voff; }
void *wl_pa_to_va(uint64_t pa) { return (void *)(pa + wl_voff); }
int wl_kpti(void) { return wl_kpti_on; }

static uint64_t kernel_attrs(void)
{
    return PTE_ATTR(1) | PTE_SH_IS | PTE_AF | PTE_UXN | (wl_kpti_on ? PTE_NG : 0);
}

/* With the MMU off: the kernel's 1 GiB (L1 block) at its link address and the same GiB
 * identity-mapped for turning the MMU on. Requires the load address to be congruent with
 * the link address modulo 1 GiB (Xen: GUEST_RAM0_BASE 0x40000000 + text_offset). */
int wl_early_tables(void)
{
    uint64_t pa = (uint64_t)_head;           /* PC-relative: physical */
    uint64_t va = (uint64_t)head_link;
    wl_voff = va - pa;
    if (wl_voff & ((1ull << 30) - 1))
        return -1;
    uint64_t gib = pa & ~((1ull << 30) - 1);
    uint64_t kva = gib + wl_voff;
    wl_kpgd[0][(kva >> 39) & 511] = (uint64_t)kl1 | PTE_VALID | PTE_TABLE;
    kl1[(kva >> 30) & 511] = gib | PTE_VALID | kernel_attrs();
    wl_idmap_l0[(gib >> 39) & 511] = (uint64_t)idmap_l1 | PTE_VALID | PTE_TABLE;
    idmap_l1[(gib >> 30) & 511] = gib | PTE_VALID | PTE_ATTR(1) | PTE_SH_IS | PTE_AF;
    return 0;
}

void wl_mm_init(void)
{
    const struct wl_boot_info *bi = wl_boot_info();
    next_free = (wl_va_to_pa(_end) + 4095) & ~4095ull;
    uint64_t gib_end = (wl_va_to_pa(_head) & ~((1ull << 30) - 1)) + (1ull << 30);
    ram_end = bi->ram_size ? bi->ram_base + bi->ram_size : wl_va_to_pa(_end) + (16ull << 20);
    if (ram_end > gib_end)
        ram_end = gib_end;                   /* only the kernel's GiB is in the linear map */
    if (wl_kpti_on) {
        /* Linux tramp_pg_dir: the trampoline page only, at the same VA as in the kernel. */
        uint64_t va = (uint64_t)__tramp_start;
        if (wl_map(wl_kpgd[1], va, wl_va_to_pa(__tramp_start), 4096, WL_MAP_KERNEL))
            wl_panic("cannot build the KPTI trampoline table");
    }
}

void *wl_page_alloc(void)
{
    const struct wl_boot_info *bi = wl_boot_info();
    wl_lock(&mm_lock);
    uint64_t pa = next_free;
    /* Step over the device tree, which Xen placed in RAM. */
    if (pa + 4096 > bi->dtb_pa && pa < bi->dtb_pa + bi->dtb_size)
        pa = (bi->dtb_pa + bi->dtb_size + 4095) & ~4095ull;
    next_free = pa + 4096;
    wl_unlock(&mm_lock);
    if (pa + 4096 > ram_end)
        wl_panic("out of guest memory");
    void *p = wl_pa_to_va(pa);
    wl_memset(p, 0, 4096);
    return p;
}

static uint64_t *next_table(uint64_t *t, unsigned idx)
{
    uint64_t e = t[idx];
    if (e & PTE_VALID)
        return (e & PTE_TABLE) ? (uint64_t *)wl_pa_to_va(e & ADDR_MASK) : 0;
    uint64_t *n = wl_page_alloc();
    WL_DSB(ishst);
    t[idx] = wl_va_to_pa(n) | PTE_VALID | PTE_TABLE;
    return n;
}

int wl_map(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind)
{
    uint64_t attrs;
    switch (kind) {
    case WL_MAP_KERNEL: attrs = kernel_attrs(); break;
    case WL_MAP_DEVICE:
        attrs = PTE_ATTR(0) | PTE_AF | PTE_UXN | PTE_PXN | (wl_kpti_on ? PTE_NG : 0);
        break;
    case WL_MAP_USER_RX:
        attrs = PTE_ATTR(1) | PTE_SH_IS | PTE_AF | PTE_NG | PTE_AP_EL0 | PTE_AP_RO | PTE_PXN;
        break;
    default:
        attrs = PTE_ATTR(1) | PTE_SH_IS | PTE_AF | PTE_NG | PTE_AP_EL0 | PTE_UXN | PTE_PXN;
        break;
    }
    if ((va | pa | size) & 4095)
        return -22;
    while (size) {
        uint64_t *l1 = next_table(l0, (va >> 39) & 511);
        if (!l1)
            return -17;
        uint64_t *l2 = next_table(l1, (va >> 30) & 511);
        if (!l2)
            return -17;
        unsigned i2 = (va >> 21) & 511;
        if (!((va | pa) & 0x1fffff) && size >= 0x200000 && !(l2[i2] & PTE_VALID)) {
            l2[i2] = pa | PTE_VALID | attrs;      /* 2 MiB block */
            va += 0x200000; pa += 0x200000; size -= 0x200000;
            continue;
        }
        uint64_t *l3 = next_table(l2, i2);
        if (!l3)
            return -17;
        l3[(va >> 12) & 511] = pa | PTE_VALID | PTE_TABLE | attrs;
        va += 4096; pa += 4096; size -= 4096;
    }
    WL_DSB(ishst);
    WL_ISB();
    return 0;
}

/* ---- additions for the experiment guests (split, remap, tlb) ---- */

/* n physically contiguous zeroed pages whose first PA is a multiple of align (a power of two
 * >= 4096); kernel VA of the first. Pages skipped for alignment are not reused. Returns 0 when
 * RAM (the kernel's GiB) runs out or the range would cover the device tree. */
void *wl_pages_alloc(uint64_t n, uint64_t align)
{
    const struct wl_boot_info *bi = wl_boot_info();
    if (align < 4096 || (align & (align - 1)) || !n)
        return 0;
    wl_lock(&mm_lock);
    uint64_t pa = (next_free + align - 1) & ~(align - 1);
    if (pa < bi->dtb_pa + bi->dtb_size && pa + n * 4096 > bi->dtb_pa)
        pa = (bi->dtb_pa + bi->dtb_size + align - 1) & ~(align - 1);
    if (pa + n * 4096 > ram_end) {
        wl_unlock(&mm_lock);
        return 0;
    }
    next_free = pa + n * 4096;
    wl_unlock(&mm_lock);
    void *p = wl_pa_to_va(pa);
    wl_memset(p, 0, n * 4096);
    return p;
}

/* Map [va, va+size) to [pa, pa+size) with leaf entries of exactly `gran` bytes: 4 KiB pages
 * (level 3), 2 MiB blocks (level 2) or 1 GiB blocks (level 1); ARM DDI0487 D8.3 (block
 * descriptors at levels 1 and 2 with the 4K granule). va, pa and size must be multiples of
 * gran. Existing leaf entries are overwritten (the caller does any TLB maintenance). */
int wl_map_gran(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind,
                uint64_t gran)
{
    if (gran != 4096 && gran != 0x200000 && gran != 0x40000000)
        return -22;
    if ((va | pa | size) & (gran - 1))
        return -22;
    if (gran == 4096)
        return wl_map_pages(l0, va, pa, size, kind);
    uint64_t attrs;
    switch (kind) {
    case WL_MAP_KERNEL: attrs = kernel_attrs(); break;
    case WL_MAP_USER_RW:
        attrs = PTE_ATTR(1) | PTE_SH_IS | PTE_AF | PTE_NG | PTE_AP_EL0 | PTE_UXN | PTE_PXN;
        break;
    default: return -22;
    }
    for (; size; va += gran, pa += gran, size -= gran) {
        uint64_t *l1 = next_table(l0, (va >> 39) & 511);
        if (!l1)
            return -17;
        if (gran == 0x40000000) {
            l1[(va >> 30) & 511] = pa | PTE_VALID | attrs;
            continue;
        }
        uint64_t *l2 = next_table(l1, (va >> 30) & 511);
        if (!l2)
            return -17;
        l2[(va >> 21) & 511] = pa | PTE_VALID | attrs;
    }
    WL_DSB(ishst);
    WL_ISB();
    return 0;
}

/* 4 KiB pages only (wl_map uses 2 MiB blocks where it can). */
int wl_map_pages(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind)
{
    if ((va | pa | size) & 4095)
        return -22;
    for (; size; va += 4096, pa += 4096, size -= 4096) {
        /* One page per call: given a 2 MiB-aligned run, wl_map would use a block. */
        int rc = wl_map(l0, va, pa, 4096, kind);
        if (rc)
            return rc;
    }
    return 0;
}

/* The level-3 descriptor that maps va in the table rooted at l0, or 0 when va is not mapped by a
 * 4 KiB page (unmapped, or part of a block). */
uint64_t *wl_pte_lookup(uint64_t *l0, uint64_t va)
{
    uint64_t *t = l0;
    for (int lvl = 0; lvl < 3; lvl++) {
        uint64_t e = t[(va >> (39 - 9 * lvl)) & 511];
        if ((e & (PTE_VALID | PTE_TABLE)) != (PTE_VALID | PTE_TABLE))
            return 0;
        t = wl_pa_to_va(e & ADDR_MASK);
    }
    return &t[(va >> 12) & 511];
}
