/* workloads/lib/console.c - the arch-neutral half of the guest console, linked into the guests
 * of both architectures: per-vCPU line buffering, number formatting, the RESULT format, and the
 * two backends every Xen guest has (HYPERVISOR_console_io and the PV console ring). Each arch's
 * <arch>/console.c chooses the backend at boot (wl_console_init) and provides
 * wl_console_write(), which writes one buffered line (or a full buffer) to it.
 * Compiled with -I workloads/lib/<arch>, so "rt.h" is the arch runtime's. */
#include "rt.h"
#include "console.h"

static char line[WL_MAX_CPUS][128];
static uint32_t line_len[WL_MAX_CPUS];

static const char *result_name;
static uint32_t result_col;

long wl_con_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = {.domid = DOMID_SELF, .index = index};
    long rc = wl_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)&p, 0, 0, 0);
    *value = rc ? 0 : p.value;
    return rc;
}

/* The PV console ring (struct xencons_interface, public/io/console.h): copy into out[] up to
 * the consumer, publish out_prod after the data (the barrier orders the two, as Linux
 * drivers/tty/hvc/hvc_xen.c __write_console), kick the backend with EVTCHNOP_send; yield to
 * the backend while the ring is full. */
void wl_con_ring_write(volatile struct xencons_interface *ring, uint32_t port, const char *s,
                       uint32_t n)
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
        struct evtchn_send send = {.port = port};
        wl_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&send, 0, 0, 0);
    }
}

void wl_con_xen_write(const char *s, uint32_t n)
{
    wl_hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, n, (uint64_t)s, 0, 0);
}

void wl_console_flush(void)
{
    int cpu = wl_cpu_id();
    if (line_len[cpu]) {
        wl_console_write(line[cpu], line_len[cpu]);
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
