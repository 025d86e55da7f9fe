/* workloads/hcall-buf/main.c - the cost of passing buffers to the hypervisor, timed from the
 * guest with CNTVCT (ARM DDI0487 D11.1.2; read after an ISB), median of `reps` calls after one
 * untimed warm-up call. Buffers live in the kernel's linear map (a stage-1 1 GiB block); cross=1
 * starts a buffer 4 bytes before a page boundary, so it touches one page more. Sizes are the
 * powers of two from `min` to `max`. Operations (public Xen ABI; xen-abi.md §2):
 *   console_io  CONSOLEIO_write of `size` bytes (xen/drivers/char/console.c do_console_io,
 *               copied in 127-byte chunks). The bytes are 0x01: a domU's guest_console_write
 *               strips non-printable characters, so nothing is printed; one "\n" follows each
 *               size (untimed) so that console lines stay separate;
 *   multicall   size/64 entries of xen_version(XENVER_version) (xen/common/multicall.c,
 *               struct multicall_entry = 64 bytes); every entry's result is checked;
 *   grant_copy  GNTTABOP_copy between two of the guest's own frames by GFN (DOMID_SELF on both
 *               sides: xen/common/grant_table.c gnttab_copy), one op per 4 KiB (an op may not
 *               cross a page), cross=0 only; status of the first op in `st`;
 *   memory_op   XENMEM_memory_map (-ENOSYS on Arm: arch_memory_op), once.
 * flavour=va passes virtual addresses (the only form real Xen knows); flavour=pa-flag sets
 * bit 30 of the hypercall number, the pa-flag proposal as hvsim documents it (docs/hv.md
 * "pa-flag encoding", J. Beulich 2022): buffer arguments are guest-physical. Where the flag is
 * unknown every call fails with -ENOSYS and the summary says pa_flag=unsupported (probed with a
 * flagged xen_version, which has no buffer).
 * One line per measurement: RESULT workload=hcall-buf op=OP size=N cross=0|1 flavour=F
 * cycles=N rc=N, where cycles counts CNTVCT ticks (cntfrq on the first line).
 * Parameters: min=N (default 8) max=N (default 65536) size=N (min = max = N) cross=0|1 (that
 * variant only; default both) reps=N (default 5) flavour=va|pa-flag (pa: the same as pa-flag)
 * ops=all|console_io|multicall|grant_copy|memory_op. multicall batches hold size/64 entries,
 * at least one. sg=1 (with flavour=pa-flag): the console_io buffer, the multicall list and the
 * grant-copy op array are passed as scatter/gather descriptors (address of a list of
 * xen_ulong_t: slot 0 = offset into the first page, then one GFN per page, with low bits 01;
 * docs/hv.md "pa-flag encoding"); memory_op keeps a linear address. */
#if defined(__x86_64__)
#include "../lib/x86_64/rt.h"
#else
#include "../lib/arm64/rt.h"
#endif
#include "../lib/xen.h"

#define HV_PA_FLAG_BIT 0x40000000u   /* hvsim pa-flag profile: buffers are guest-physical */
#define XENMEM_memory_map 9
#define GNTTABOP_copy 5
#define MAX_REPS 31

struct multicall_entry {
    uint64_t op, result;
    uint64_t args[6];
};

struct gnttab_copy_ptr {
    uint64_t gmfn;          /* union { grant_ref_t ref; xen_pfn_t gmfn; } */
    uint16_t domid;
    uint16_t offset;
};
struct gnttab_copy {
    struct gnttab_copy_ptr source, dest;
    uint16_t len, flags;
    int16_t status;
};

static int use_pa;
static uint64_t reps;
static uint8_t *buf;             /* 18 pages: data */
static uint8_t *dst;             /* 17 pages: grant copy destination */
static const char *flavour;
static int pa_unsupported;
static int use_sg;
static uint64_t sglist[24] __attribute__((aligned(8)));

/* A buffer argument: its VA, its guest-physical address, or (sg=1) an S/G descriptor. */
static uint64_t baddr(const void *p, uint64_t len)
{
    if (!use_pa)
        return (uint64_t)p;
    if (!use_sg)
        return wl_va_to_pa(p);
    uint64_t va = (uint64_t)p, off = va & 4095, pages = (off + len + 4095) / 4096;
    if (pages > 23)
        wl_panic("hcall-buf: S/G list too short");
    sglist[0] = off;
    for (uint64_t k = 0; k < pages; k++)
        sglist[1 + k] = wl_va_to_pa((const void *)(va - off + 4096 * k)) >> 12;
    return wl_va_to_pa(sglist) | 1;
}

static uint64_t addr(const void *p)
{
    return use_pa ? wl_va_to_pa(p) : (uint64_t)p;
}

static long hcall(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return wl_hypercall(nr | (use_pa ? HV_PA_FLAG_BIT : 0), a0, a1, a2, 0, 0);
}

static uint64_t median(uint64_t *v, uint64_t n)
{
    for (uint64_t i = 1; i < n; i++)
        for (uint64_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

static void put(const char *op, uint64_t size, int cross, uint64_t ticks, long rc)
{
    wl_result_begin("hcall-buf");
    wl_result_str("op", op);
    wl_result_u64("size", size);
    wl_result_u64("cross", (uint64_t)cross);
    wl_result_str("flavour", flavour);
    wl_result_u64("cycles", ticks);
    wl_result_i64("rc", rc);
    wl_result_end();
}

/* Time `reps` calls of fn(size, cross) after a warm-up; the last result code in *rc. */
typedef long (*op_fn)(uint64_t size, int cross);
static uint64_t timed(op_fn fn, uint64_t size, int cross, long *rc)
{
    uint64_t t[MAX_REPS];
    *rc = fn(size, cross);
    for (uint64_t i = 0; i < reps; i++) {
        uint64_t t0 = wl_cntvct();
        *rc = fn(size, cross);
        t[i] = wl_cntvct() - t0;
    }
    return median(t, reps);
}

static uint8_t *start(int cross)
{
    return cross ? buf + 4096 - 4 : buf;
}

static long op_console(uint64_t size, int cross)
{
    return hcall(__HYPERVISOR_console_io, CONSOLEIO_write, size, baddr(start(cross), size));
}

static long mc_bad;
static long op_multicall(uint64_t size, int cross)
{
    struct multicall_entry *e = (struct multicall_entry *)start(cross);
    uint64_t n = size / sizeof(*e);
    for (uint64_t i = 0; i < n; i++) {
        e[i].op = __HYPERVISOR_xen_version;
        e[i].result = (uint64_t)-1;
        e[i].args[0] = XENVER_version;
    }
    long rc = hcall(__HYPERVISOR_multicall, baddr(e, n * sizeof(*e)), n, 0);
    if (rc == 0)
        for (uint64_t i = 0; i < n; i++)
            mc_bad += (e[i].result >> 16) != 4;   /* (major << 16) | minor, major 4 */
    return rc;
}

static int16_t gc_status;
static long op_grant_copy(uint64_t size, int cross)
{
    (void)cross;
    struct gnttab_copy *c = (struct gnttab_copy *)(buf + 17 * 4096);   /* the 18th page */
    uint64_t n = (size + 4095) / 4096;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len = size < 4096 ? size : 4096;
        c[i].source.gmfn = wl_va_to_pa(buf + i * 4096) >> 12;
        c[i].source.domid = DOMID_SELF;
        c[i].source.offset = 0;
        c[i].dest.gmfn = wl_va_to_pa(dst + i * 4096) >> 12;
        c[i].dest.domid = DOMID_SELF;
        c[i].dest.offset = 0;
        c[i].len = (uint16_t)len;
        c[i].flags = 0;
        c[i].status = 1;
    }
    long rc = hcall(__HYPERVISOR_grant_table_op, GNTTABOP_copy, baddr(c, n * sizeof(*c)), n);
    gc_status = c[0].status;
    return rc;
}

static int want(const char *op)
{
    const char *o = wl_param("ops");
    return !o || !*o || !wl_strcmp(o, "all") || !wl_strcmp(o, op);
}

int wl_main(void)
{
    uint64_t min = wl_param_u64("min", 8), max = wl_param_u64("max", 65536);
    uint64_t one = wl_param_u64("size", 0);           /* size=N: that size only */
    if (one)
        min = max = one;
    int cross_lo = 0, cross_hi = 1;                    /* cross=0|1: that variant only */
    if (wl_param("cross") && *wl_param("cross"))
        cross_lo = cross_hi = wl_param_u64("cross", 0) ? 1 : 0;
    reps = wl_param_u64("reps", 5);
    if (reps < 1) reps = 1;
    if (reps > MAX_REPS) reps = MAX_REPS;
    if (min < 8) min = 8;
    if (max > 65536) max = 65536;
    if (max < min) max = min;
    /* flavour=pa is taken as pa-flag: the flag is the only way to pass a buffer by physical
     * address to these hypercalls. */
    use_pa = wl_param_is("flavour", "pa-flag", 0) || wl_param_is("flavour", "pa", 0);
    use_sg = use_pa && wl_param_u64("sg", 0) != 0;
    flavour = !use_pa ? "va" : use_sg ? "pa-flag-sg" : "pa-flag";
    buf = wl_pages_alloc(18, 4096);
    dst = wl_pages_alloc(17, 4096);
    if (!buf || !dst)
        wl_panic("hcall-buf: no memory");
    wl_memset(buf, 1, 17 * 4096);

    /* Probe: xen_version(XENVER_version) has no buffer, so with the flag it succeeds exactly
     * where the flag is understood (an unknown hypercall number is -ENOSYS). */
    if (use_pa)
        pa_unsupported = hcall(__HYPERVISOR_xen_version, XENVER_version, 0, 0) < 0;

    wl_result_begin("hcall-buf");
    wl_result_str("timer", WL_COUNTER_NAME);
    wl_result_u64("cntfrq", wl_cntfrq());
    wl_result_u64("reps", reps);
    wl_result_str("flavour", flavour);
    wl_result_end();

    long rc;
    uint64_t ticks;
    if (want("console_io")) {
        for (uint64_t s = min; s <= max; s *= 2) {
            for (int cross = cross_lo; cross <= cross_hi; cross++) {
                ticks = timed(op_console, s, cross, &rc);
                wl_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 1, (uint64_t)"\n", 0, 0);
                put("console_io", s, cross, ticks, rc);
            }
        }
    }
    if (want("multicall")) {
        for (uint64_t s = min; s <= max; s *= 2) {
            uint64_t ms = s < 64 ? 64 : s & ~63ull;   /* whole entries, at least one */
            if (s < 64 && s * 2 <= 64 && s * 2 <= max)
                continue;                              /* one line for the 1-entry batch */
            for (int cross = cross_lo; cross <= cross_hi; cross++) {
                ticks = timed(op_multicall, ms, cross, &rc);
                put("multicall", ms, cross, ticks, rc);
            }
        }
        wl_memset(buf, 1, 17 * 4096);
    }
    int gc_verified = -1;
    if (want("grant_copy")) {
        uint64_t last = 0;
        for (uint64_t s = min; s <= max; s *= 2) {
            ticks = timed(op_grant_copy, s, 0, &rc);
            put("grant_copy", s, 0, ticks, rc);
            last = s;
        }
        /* Did Xen copy? The destination starts zeroed, the source holds 0x01 bytes. */
        gc_verified = 1;
        for (uint64_t i = 0; i < last; i++)
            if (dst[i] != 1)
                gc_verified = 0;
    }
    long mm_rc = 1;
    if (want("memory_op")) {
        struct { uint32_t nr_entries, pad; uint64_t buffer; } *mm = (void *)(buf + 17 * 4096);
        mm->nr_entries = 16;
        mm->buffer = addr(dst);
        uint64_t t0 = wl_cntvct();
        mm_rc = hcall(__HYPERVISOR_memory_op, XENMEM_memory_map, addr(mm), 0);
        put("memory_op", 16, 0, wl_cntvct() - t0, mm_rc);
    }
    wl_result_begin("hcall-buf");
    wl_result_str("done", "1");
    wl_result_i64("multicall_bad", mc_bad);
    wl_result_i64("grant_copy_status", gc_status);
    wl_result_i64("grant_copy_verified", gc_verified);
    wl_result_str("pa_flag", !use_pa ? "unused" : pa_unsupported ? "unsupported" : "supported");
    wl_result_end();
    return 0;
}
