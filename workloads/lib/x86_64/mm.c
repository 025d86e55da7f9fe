/* workloads/lib/x86_64/mm.c - 4-level paging (Intel SDM vol. 3A §4.5: PML4E -> PDPTE -> PDE ->
 * PTE, 4 KiB pages, 2 MiB pages with PDE.PS, 1 GiB pages with PDPTE.PS when CPUID.80000001H:
 * EDX[26]; access rights §4.6: U/S and R/W at every level, XD with EFER.NXE; global pages §4.10.2.4
 * with CR4.PGE). The kernel sees the first GiB of RAM through the linear map VA = PA +
 * WL_KVA_BASE (the boot tables of head.S, 2 MiB pages). Every task has its own 8 KiB PML4 pair
 * (Linux's PGD pair, arch/x86/mm/pti.c): [0] the kernel view, whose upper half is the kernel
 * template wl_kpgd[0]'s, whose lower half maps the task; [1] (kpti=1) the user view: the same
 * lower half and, of the kernel, only the entry area (pti_clone_entry_text / cpu_entry_area).
 * Without KPTI kernel mappings are global (Linux __PAGE_KERNEL with _PAGE_GLOBAL); with it they
 * are not, except the entry area, mapped identically in both views. */
#include "rt.h"

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)
#define ADDR_MASK WL_PTE_ADDR_MASK
#define USER_TOP  0x0000800000000000ull

extern uint64_t wl_boot_pd[512], wl_boot_pdpt_high[512];
extern char _head[], _end[], __entry_start[], __entry_end[];

int wl_kpti_on;
static uint64_t next_free, ram_end, tramp_pml4e;
static volatile int mm_lock;
static uint64_t *task_pgds[WL_MAX_CPUS * WL_MAX_TASKS];
static int ntask_pgds;

uint64_t wl_va_to_pa(const void *va) { return (uint64_t)va - WL_KVA_BASE; }
void *wl_pa_to_va(uint64_t pa) { return (void *)(pa + WL_KVA_BASE); }
int wl_kpti(void) { return wl_kpti_on; }
uint64_t wl_kernel_cr3(void) { return wl_va_to_pa(wl_kpgd[0]); }

static uint64_t nx(void) { return wl_boot_info()->has_nx ? PTE_NX : 0; }

static uint64_t kernel_attrs(void)
{
    return PTE_P | PTE_RW | PTE_A | PTE_D | nx() | (wl_kpti_on ? 0 : PTE_G);
}

static uint64_t kind_attrs(enum wl_map_kind kind)
{
    switch (kind) {
    case WL_MAP_KERNEL: return kernel_attrs();
    case WL_MAP_DEVICE: return kernel_attrs() | PTE_PCD | PTE_PWT;   /* UC (PAT entry 3) */
    case WL_MAP_USER_RX: return PTE_P | PTE_US | PTE_A;
    default: return PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | nx();
    }
}

void wl_mm_init(void)
{
    const struct wl_boot_info *bi = wl_boot_info();
    next_free = (wl_va_to_pa(_end) + 4095) & ~4095ull;
    ram_end = bi->ram_size ? bi->ram_base + bi->ram_size : wl_va_to_pa(_end) + (16ull << 20);
    if (ram_end > (1ull << 30))
        ram_end = 1ull << 30;                /* only the first GiB is in the linear map */
    /* The identity map was for the switch to long mode only (Linux clears it too). */
    wl_kpgd[0][0] = 0;
    if (!wl_kpti_on)
        for (int i = 0; i < 512; i++)
            wl_boot_pd[i] |= PTE_G;
    if (bi->has_nx)   /* EFER.NXE; the boot 2 MiB pages mix code and data, so stay executable */
        wl_wrmsr(0xc0000080u, wl_rdmsr(0xc0000080u) | (1ull << 11));
    wl_write_cr3(wl_kernel_cr3());
    if (wl_kpti_on) {
        /* The user view's only kernel slot: the entry area, 4 KiB pages, global (the same
         * translation in both views). */
        uint64_t *pdpt = wl_page_alloc();
        tramp_pml4e = wl_va_to_pa(pdpt) | PTE_P | PTE_RW;
        wl_kpgd[1][511] = tramp_pml4e;
        uint64_t *pd = wl_page_alloc();
        pdpt[((uint64_t)__entry_start >> 30) & 511] = wl_va_to_pa(pd) | PTE_P | PTE_RW;
        for (uint64_t va = (uint64_t)__entry_start; va < (uint64_t)__entry_end; va += 4096) {
            uint64_t *pde = &pd[(va >> 21) & 511];
            if (!(*pde & PTE_P))
                *pde = wl_va_to_pa(wl_page_alloc()) | PTE_P | PTE_RW;
            uint64_t *pt = wl_pa_to_va(*pde & ADDR_MASK);
            pt[(va >> 12) & 511] = wl_va_to_pa((void *)va) | PTE_P | PTE_RW | PTE_A | PTE_D |
                                   PTE_G;
        }
    }
}

void *wl_pages_alloc(uint64_t n, uint64_t align)
{
    if (align < 4096 || (align & (align - 1)) || !n)
        return 0;
    const struct wl_boot_info *bi = wl_boot_info();
    wl_lock(&mm_lock);
    uint64_t pa = (next_free + align - 1) & ~(align - 1);
    /* Step over what Xen placed in RAM (start info, command line, modules, memmap), as the
     * arm64 allocator steps over the device tree. */
    for (int again = 1; again;) {
        again = 0;
        for (int i = 0; i < bi->nresv; i++) {
            if (pa < bi->resv[i][1] && pa + n * 4096 > bi->resv[i][0]) {
                pa = (bi->resv[i][1] + align - 1) & ~(align - 1);
                again = 1;
            }
        }
    }
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

void *wl_page_alloc(void)
{
    void *p = wl_pages_alloc(1, 4096);
    if (!p)
        wl_panic("out of guest memory");
    return p;
}

/* A new top-level kernel entry reaches every task's kernel view (Linux sync_global_pgds). */
static void sync_kernel_slot(unsigned idx)
{
    for (int i = 0; i < ntask_pgds; i++)
        task_pgds[i][idx] = wl_kpgd[0][idx];
}

static uint64_t *next_table(uint64_t *t, unsigned idx, int user)
{
    uint64_t e = t[idx];
    if (e & PTE_P)
        return (e & PTE_PS) ? 0 : (uint64_t *)wl_pa_to_va(e & ADDR_MASK);
    uint64_t *n = wl_page_alloc();
    t[idx] = wl_va_to_pa(n) | PTE_P | PTE_RW | (user ? PTE_US : 0);
    if (t == wl_kpgd[0] && idx >= 256)
        sync_kernel_slot(idx);
    return n;
}

static void flush_va(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

int wl_map(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind)
{
    uint64_t attrs = kind_attrs(kind);
    int user = va < USER_TOP;
    if ((va | pa | size) & 4095)
        return -22;
    while (size) {
        uint64_t *l1 = next_table(l0, (va >> 39) & 511, user);
        if (!l1)
            return -17;
        uint64_t *l2 = next_table(l1, (va >> 30) & 511, user);
        if (!l2)
            return -17;
        unsigned i2 = (va >> 21) & 511;
        if (!((va | pa) & 0x1fffff) && size >= 0x200000 && !(l2[i2] & PTE_P)) {
            l2[i2] = pa | attrs | PTE_PS;         /* 2 MiB page */
            va += 0x200000; pa += 0x200000; size -= 0x200000;
            continue;
        }
        uint64_t *l3 = next_table(l2, i2, user);
        if (!l3)
            return -17;
        l3[(va >> 12) & 511] = pa | attrs;
        flush_va(va);
        va += 4096; pa += 4096; size -= 4096;
    }
    return 0;
}

int wl_map_pages(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind)
{
    if ((va | pa | size) & 4095)
        return -22;
    for (; size; va += 4096, pa += 4096, size -= 4096) {
        int rc = wl_map(l0, va, pa, 4096, kind);
        if (rc)
            return rc;
    }
    return 0;
}

int wl_map_gran(uint64_t *l0, uint64_t va, uint64_t pa, uint64_t size, enum wl_map_kind kind,
                uint64_t gran)
{
    if (gran != 4096 && gran != 0x200000 && gran != 0x40000000)
        return -22;
    if ((va | pa | size) & (gran - 1))
        return -22;
    if (gran == 4096)
        return wl_map_pages(l0, va, pa, size, kind);
    if (gran == 0x40000000 && !wl_boot_info()->has_1g)
        return -95;                               /* EOPNOTSUPP: no 1 GiB pages */
    if (kind != WL_MAP_KERNEL && kind != WL_MAP_USER_RW)
        return -22;
    uint64_t attrs = kind_attrs(kind) | PTE_PS;
    int user = va < USER_TOP;
    for (; size; va += gran, pa += gran, size -= gran) {
        uint64_t *l1 = next_table(l0, (va >> 39) & 511, user);
        if (!l1)
            return -17;
        if (gran == 0x40000000) {
            l1[(va >> 30) & 511] = pa | attrs;
            flush_va(va);
            continue;
        }
        uint64_t *l2 = next_table(l1, (va >> 30) & 511, user);
        if (!l2)
            return -17;
        l2[(va >> 21) & 511] = pa | attrs;
        flush_va(va);
    }
    return 0;
}

uint64_t *wl_pte_lookup(uint64_t *l0, uint64_t va)
{
    uint64_t *t = l0;
    for (int lvl = 0; lvl < 3; lvl++) {
        uint64_t e = t[(va >> (39 - 9 * lvl)) & 511];
        if (!(e & PTE_P) || (e & PTE_PS))
            return 0;
        t = wl_pa_to_va(e & ADDR_MASK);
    }
    return &t[(va >> 12) & 511];
}

/* A task's PML4 pair: the kernel view shares the template's upper half; the user view (KPTI)
 * gets the entry-area slot. Registered so that later kernel slots reach it. */
uint64_t *wl_task_pgd_alloc(void)
{
    uint64_t *pair = wl_pages_alloc(2, 8192);
    if (!pair)
        wl_panic("out of guest memory (page tables)");
    wl_lock(&mm_lock);
    for (int i = 256; i < 512; i++)
        pair[i] = wl_kpgd[0][i];
    if (wl_kpti_on)
        pair[512 + 511] = tramp_pml4e;
    if (ntask_pgds < (int)(sizeof(task_pgds) / sizeof(task_pgds[0])))
        task_pgds[ntask_pgds++] = pair;
    wl_unlock(&mm_lock);
    return pair;
}

/* After the task's user mappings are made in the kernel view: the user view gets the same
 * lower half (the same page-directory-pointer tables). */
void wl_task_pgd_sync_user(uint64_t *pair)
{
    for (int i = 0; i < 256; i++)
        pair[512 + i] = pair[i];
}
