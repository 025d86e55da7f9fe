/* workloads/tlb/main.c - working-set sweeps for TLB reach and the 2-D walk cost per access.
 * A region of `pages` 4 KiB pages of RAM is mapped at a kernel VA with stage-1 leaf entries of
 * one size (s1=4k: level-3 pages, 2m: level-2 blocks, 1g: a level-1 block; ARM DDI0487 D8.3).
 * Two sweeps, each after one untimed warm-up pass, timed with CNTVCT (D11.1.2, read after an
 * ISB):
 *   chase  - a pointer chase through every page in a random cyclic order (Sattolo's shuffle),
 *            one dependent load per page, at a different cache line in each page;
 *   stride - loads at every `stride` bytes over the region, in address order.
 * Stage-2 block sizes belong to the hypervisor (Xen maps RAM with superpages where it can):
 * `s2=` is only echoed in the result. Results per sweep: accesses, total_ns, ns (per access,
 * rounded); total_ns / accesses gives more digits.
 * Parameters: pages=N (default 512) stride=N (bytes, default 4096) s1=4k|2m|1g iters=N
 * (default 4) seed=N s2=any. */
#if defined(__x86_64__)
#include "../lib/x86_64/rt.h"
#else
#include "../lib/arm64/rt.h"
#endif
#include "../lib/xen.h"

#define TLB_VA 0xffff808000000000ull    /* TTBR1 half, L0 index 257, 1 GiB aligned */

static uint64_t ticks_to_ns(uint64_t t)
{
    uint64_t f = wl_cntfrq();
    return f ? (t / f) * 1000000000ull + (t % f) * 1000000000ull / f : 0;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

__attribute__((noinline)) static uintptr_t chase(uintptr_t p, uint64_t n)
{
    while (n--)
        p = *(volatile uintptr_t *)p;
    return p;
}

__attribute__((noinline)) static uint64_t sweep(uint64_t base, uint64_t size, uint64_t stride)
{
    uint64_t sum = 0;
    for (uint64_t off = 0; off < size; off += stride)
        sum += *(volatile uint64_t *)(base + off);
    return sum;
}

static void put_result(const char *sweep_name, uint64_t accesses, uint64_t ticks)
{
    char k[32];
    uint64_t ns = ticks_to_ns(ticks);
    uint64_t n = wl_strlen(sweep_name);
    wl_memcpy(k, sweep_name, n);
    wl_memcpy(k + n, "_accesses", 10);
    wl_result_u64(k, accesses);
    wl_memcpy(k + n, "_total_ns", 10);
    wl_result_u64(k, ns);
    wl_memcpy(k + n, "_ns", 4);
    wl_result_u64(k, accesses ? (ns + accesses / 2) / accesses : 0);
}

int wl_main(void)
{
    uint64_t pages = wl_param_u64("pages", 512);
    uint64_t stride = wl_param_u64("stride", 4096);
    uint64_t iters = wl_param_u64("iters", 4);
    uint64_t seed = wl_param_u64("seed", 1);
    const char *s1 = wl_param("s1");
    const char *s2 = wl_param("s2");
    if (!s1 || !*s1)
        s1 = "4k";
    uint64_t gran = !wl_strcmp(s1, "2m") ? 0x200000 : !wl_strcmp(s1, "1g") ? 0x40000000 : 4096;
    if (gran == 4096)
        s1 = "4k";
    if (!pages)
        pages = 1;
    if (stride < 8)
        stride = 8;
    stride &= ~7ull;
    if (!iters)
        iters = 1;

    /* The region: physically contiguous; 2 MiB aligned for 2M blocks. */
    uint64_t bytes = pages * 4096;
    uint64_t alloc = gran == 0x200000 ? (bytes + 0x1fffff) & ~0x1fffffull : bytes;
    uint8_t *mem = wl_pages_alloc(alloc / 4096, gran == 4096 ? 4096 : 0x200000);
    uint32_t *order = wl_pages_alloc((pages * 4 + 4095) / 4096, 4096);
    if (!mem || !order) {
        wl_result_begin("tlb");
        wl_result_u64("pages", pages);
        wl_result_str("error", "out-of-memory");
        wl_result_end();
        return 1;
    }
    uint64_t pa = wl_va_to_pa(mem), base;
    int rc;
    if (gran == 0x40000000) {
        uint64_t gib = pa & ~0x3fffffffull;
        rc = wl_map_gran(wl_kpgd[0], TLB_VA, gib, 0x40000000, WL_MAP_KERNEL, gran);
        base = TLB_VA + (pa - gib);
    } else {
        rc = wl_map_gran(wl_kpgd[0], TLB_VA, pa, alloc, WL_MAP_KERNEL, gran);
        base = TLB_VA;
    }
    if (rc)
        wl_panic("tlb: cannot map the region");

    /* Sattolo's algorithm: a single cycle through all pages. */
    for (uint64_t i = 0; i < pages; i++)
        order[i] = (uint32_t)i;
    for (uint64_t i = pages - 1; i > 0; i--) {
        uint64_t j = lcg(&seed) % i;
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    /* Page order[k] points to page order[k+1], at cache line k mod 64 of each page. */
    for (uint64_t k = 0; k < pages; k++) {
        uint64_t nk = (k + 1) % pages;
        uint64_t at = base + (uint64_t)order[k] * 4096 + (k % 64) * 64;
        uint64_t to = base + (uint64_t)order[nk] * 4096 + (nk % 64) * 64;
        *(volatile uint64_t *)at = to;
    }
    WL_DSB(ish);
    uintptr_t start = base + (uint64_t)order[0] * 4096;

    uintptr_t p = chase(start, pages);                /* warm-up pass */
    uint64_t t0 = wl_cntvct();
    p = chase(p, pages * iters);
    uint64_t t1 = wl_cntvct();
    uint64_t chase_ticks = t1 - t0;

    uint64_t sum = sweep(base, bytes, stride);        /* warm-up pass */
    t0 = wl_cntvct();
    for (uint64_t i = 0; i < iters; i++)
        sum += sweep(base, bytes, stride);
    t1 = wl_cntvct();
    uint64_t stride_ticks = t1 - t0;
    uint64_t stride_acc = iters * ((bytes + stride - 1) / stride);

    (void)sum;
    wl_result_begin("tlb");
    wl_result_u64("pages", pages);
    wl_result_u64("stride", stride);
    wl_result_str("s1", s1);
    wl_result_str("s2", s2 && *s2 ? s2 : "hv");
    wl_result_u64("iters", iters);
    wl_result_u64("chase_ok", p == start);   /* a single cycle: back at the start */
    put_result("chase", pages * iters, chase_ticks);
    put_result("stride", stride_acc, stride_ticks);
    wl_result_end();
    return 0;
}
