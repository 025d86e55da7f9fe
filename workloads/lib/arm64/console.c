/* workloads/lib/arm64/console.c - the console backends, chosen at boot
 * (override with console=pl011|ring|xen); line buffering and the RESULT format are arch-neutral
 * (workloads/lib/console.c):
 *  - pl011: the SBSA UART Xen emulates for a domU (vpl011, 0x22000000; Xen arch/arm/vpl011.c),
 *    UARTDR @0, UARTFR @0x18 with TXFF bit 5 (ARM DDI0183 PL011 TRM 3.3.3);
 *  - ring: the PV console (HVM params CONSOLE_PFN/CONSOLE_EVTCHN, struct xencons_interface,
 *    EVTCHNOP_send; as Linux drivers/tty/hvc/hvc_xen.c);
 *  - xen: HYPERVISOR_console_io(CONSOLEIO_write, len, VA) (Linux earlycon=xenboot).
 * Text is buffered per vCPU and written a line at a time. */
#include "rt.h"
#include "../console.h"

enum { CON_XEN, CON_PL011, CON_RING };
static int con_kind;
static volatile uint32_t *pl011;
static volatile struct xencons_interface *ring;
static uint32_t ring_port;
static volatile int con_lock;

const char *wl_console_name(void)
{
    return con_kind == CON_PL011 ? "pl011" : con_kind == CON_RING ? "ring" : "xen";
}

void wl_console_init(void)
{
    const struct wl_boot_info *bi = wl_boot_info();
    const char *want = wl_param("console");
    uint64_t pfn = 0, port = 0;
    int ring_ok = 0;
    if (!want || !wl_strcmp(want, "ring")) {
        ring_ok = wl_con_get_param(HVM_PARAM_CONSOLE_PFN, &pfn) == 0 &&
                  wl_con_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) == 0 && pfn && port;
    }
    if (bi->has_pl011 && (!want || !wl_strcmp(want, "pl011"))) {
        uint64_t base = bi->pl011 & ~4095ull;
        if (!wl_map(wl_kpgd[0], base + wl_voff, base, 4096, WL_MAP_DEVICE)) {
            pl011 = wl_pa_to_va(bi->pl011);
            con_kind = CON_PL011;
            return;
        }
    }
    if (ring_ok) {
        uint64_t pa = pfn << 12;
        if (!wl_map(wl_kpgd[0], pa + wl_voff, pa, 4096, WL_MAP_KERNEL)) {
            ring = wl_pa_to_va(pa);
            ring_port = (uint32_t)port;
            con_kind = CON_RING;
            return;
        }
    }
    con_kind = CON_XEN;
}

void wl_console_write(const char *s, uint32_t n)
{
    if (wl_mmu_enabled)
        wl_lock(&con_lock);
    if (con_kind == CON_PL011) {
        for (uint32_t i = 0; i < n; i++) {
            while (pl011[0x18 / 4] & (1u << 5))
                ;
            pl011[0] = (uint8_t)s[i];
        }
    } else if (con_kind == CON_RING) {
        wl_con_ring_write(ring, ring_port, s, n);
    } else {
        wl_con_xen_write(s, n);
    }
    if (wl_mmu_enabled)
        wl_unlock(&con_lock);
}
