/* workloads/lib/x86_64/console.c - console output and the RESULT format. Backends, chosen at
 * boot (override with console=ring|e9|xen):
 *  - ring: the PV console (HVM params CONSOLE_PFN/CONSOLE_EVTCHN, struct xencons_interface,
 *    EVTCHNOP_send; as Linux drivers/tty/hvc/hvc_xen.c), the default when Xen offers it;
 *  - e9: OUT to I/O port 0xE9, which Xen prints for every HVM/PVH guest (xen/arch/x86/hvm/hvm.c
 *    hvm_print_line; QEMU/Bochs debugcon), the fallback;
 *  - xen: HYPERVISOR_console_io(CONSOLEIO_write, len, VA) (Linux xen_raw_console_write).
 * Text is buffered per vCPU and written a line at a time. The ring page is a special GFN that
 * may lie outside the linear map: it is mapped at a fixmap VA. */
#include "rt.h"
#include "../xen.h"

#define CON_FIXMAP_VA 0xffffffffc0000000ull   /* PDPT slot 511 of the kernel's top PML4 slot */

enum { CON_E9, CON_XEN, CON_RING };
static int con_kind;
static volatile struct xencons_interface *ring;
static uint32_t ring_port;
static volatile int con_lock;
static char line[WL_MAX_CPUS][128];
static uint32_t line_len[WL_MAX_CPUS];

static const char *result_name;
static uint32_t result_col;

const char *wl_console_name(void)
{
    return con_kind == CON_E9 ? "e9" : con_kind == CON_RING ? "ring" : "xen";
}

static long get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
    long rc = wl_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&p, 0, 0, 0);
    *value = rc ? 0 : p.value;
    return rc;
}

void wl_console_init(void)
{
    const char *want = wl_param("console");
    uint64_t pfn = 0, port = 0;
    if (want && !wl_strcmp(want, "xen")) {
        con_kind = CON_XEN;
        return;
    }
    if (!want || !wl_strcmp(want, "ring")) {
        if (get_param(HVM_PARAM_CONSOLE_PFN, &pfn) == 0 &&
            get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) == 0 && pfn && port &&
            !wl_map(wl_kpgd[0], CON_FIXMAP_VA, pfn << 12, 4096, WL_MAP_KERNEL)) {
            ring = (volatile struct xencons_interface *)CON_FIXMAP_VA;
            ring_port = (uint32_t)port;
            con_kind = CON_RING;
            return;
        }
    }
    con_kind = CON_E9;
}

static void ring_write(const char *s, uint32_t n)
{
    while (n) {
        uint32_t cons = ring->out_cons, prod = ring->out_prod;
        WL_DMB(ish);
        if (prod - cons >= sizeof(ring->out)) {
            wl_hypercall(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0, 0);
            continue;
        }
        while (n && prod - cons < sizeof(ring->out)) {
            ring->out[prod % sizeof(ring->out)] = *s++;
            prod++;
            n--;
        }
        WL_DMB(ish);
        ring->out_prod = prod;
        struct evtchn_send send = {.port = ring_port};
        wl_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&send, 0, 0, 0);
    }
}

static void write_out(const char *s, uint32_t n)
{
    wl_lock(&con_lock);
    if (con_kind == CON_E9) {
        for (uint32_t i = 0; i < n; i++)
            __asm__ volatile("outb %b0, $0xe9" :: "a"(s[i]));
    } else if (con_kind == CON_RING) {
        ring_write(s, n);
    } else {
        wl_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, n, (uint64_t)s, 0, 0);
    }
    wl_unlock(&con_lock);
}

void wl_console_flush(void)
{
    int cpu = wl_cpu_id();
    if (line_len[cpu]) {
        write_out(line[cpu], line_len[cpu]);
        line_len[cpu] = 0;
    }
}

void wl_putc(char c)
{
    int cpu = wl_cpu_id();
    line[cpu][line_len[cpu]++] = c;
    if (c == '\n' || line_len[cpu] == sizeof(line[cpu]))
        wl_console_flush();
}

void wl_puts(const char *s)
{
    while (*s)
        wl_putc(*s++);
}

static uint32_t fmt_u64(char *b, uint64_t v)
{
    char t[21];
    uint32_t n = 0, k = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        b[k++] = t[--n];
    b[k] = 0;
    return k;
}

static uint32_t fmt_i64(char *b, int64_t v)
{
    if (v < 0) {
        b[0] = '-';
        return 1 + fmt_u64(b + 1, (uint64_t)0 - (uint64_t)v);
    }
    return fmt_u64(b, (uint64_t)v);
}

static uint32_t fmt_hex(char *b, uint64_t v)
{
    int shift = 60;
    uint32_t k = 0;
    b[k++] = '0';
    b[k++] = 'x';
    while (shift > 0 && !((v >> shift) & 0xf))
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        b[k++] = "0123456789abcdef"[(v >> shift) & 0xf];
    b[k] = 0;
    return k;
}

void wl_put_u64(uint64_t v) { char b[24]; fmt_u64(b, v); wl_puts(b); }
void wl_put_i64(int64_t v) { char b[24]; fmt_i64(b, v); wl_puts(b); }
void wl_put_hex(uint64_t v) { char b[24]; fmt_hex(b, v); wl_puts(b); }

/* ---- RESULT lines: kept under ~100 characters, since Xen's console for a domU (vpl011 and
 * console_io alike) buffers and splits longer lines. ---- */
void wl_result_begin(const char *workload)
{
    result_name = workload;
    wl_puts("RESULT workload=");
    wl_puts(workload);
    result_col = 16 + (uint32_t)wl_strlen(workload);
}

static void result_item(const char *key, const char *val)
{
    uint32_t len = 2 + (uint32_t)(wl_strlen(key) + wl_strlen(val));
    if (result_col + len > 100) {
        wl_puts("\n");
        wl_result_begin(result_name);
    }
    wl_puts(" ");
    wl_puts(key);
    wl_puts("=");
    wl_puts(val);
    result_col += len;
}

void wl_result_u64(const char *key, uint64_t v) { char b[24]; fmt_u64(b, v); result_item(key, b); }
void wl_result_i64(const char *key, int64_t v) { char b[24]; fmt_i64(b, v); result_item(key, b); }
void wl_result_hex(const char *key, uint64_t v) { char b[24]; fmt_hex(b, v); result_item(key, b); }
void wl_result_str(const char *key, const char *v) { result_item(key, v); }

void wl_result_end(void)
{
    wl_puts("\n");
    result_col = 0;
}
