/* workloads/lib/x86_64/console.c - the console backends, chosen at boot
 * (override with console=ring|e9|xen); line buffering and the RESULT format are arch-neutral
 * (workloads/lib/console.c):
 *  - ring: the PV console (HVM params CONSOLE_PFN/CONSOLE_EVTCHN, struct xencons_interface,
 *    EVTCHNOP_send; as Linux drivers/tty/hvc/hvc_xen.c), the default when Xen offers it;
 *  - e9: OUT to I/O port 0xE9, which Xen prints for every HVM/PVH guest (xen/arch/x86/hvm/hvm.c
 *    hvm_print_line; QEMU/Bochs debugcon), the fallback;
 *  - xen: HYPERVISOR_console_io(CONSOLEIO_write, len, VA) (Linux xen_raw_console_write).
 * Text is buffered per vCPU and written a line at a time. The ring page is a special GFN that
 * may lie outside the linear map: it is mapped at a fixmap VA. */
#include "rt.h"
#include "../console.h"

#define CON_FIXMAP_VA 0xffffffffc0000000ull   /* PDPT slot 511 of the kernel's top PML4 slot */

enum { CON_E9, CON_XEN, CON_RING };
static int con_kind;
static volatile struct xencons_interface *ring;
static uint32_t ring_port;
static volatile int con_lock;

const char *wl_console_name(void)
{
    return con_kind == CON_E9 ? "e9" : con_kind == CON_RING ? "ring" : "xen";
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
        if (wl_con_get_param(HVM_PARAM_CONSOLE_PFN, &pfn) == 0 &&
            wl_con_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) == 0 && pfn && port &&
            !wl_map(wl_kpgd[0], CON_FIXMAP_VA, pfn << 12, 4096, WL_MAP_KERNEL)) {
            ring = (volatile struct xencons_interface *)CON_FIXMAP_VA;
            ring_port = (uint32_t)port;
            con_kind = CON_RING;
            return;
        }
    }
    con_kind = CON_E9;
}

void wl_console_write(const char *s, uint32_t n)
{
    wl_lock(&con_lock);
    if (con_kind == CON_E9) {
        for (uint32_t i = 0; i < n; i++)
            __asm__ volatile("outb %b0, $0xe9" :: "a"(s[i]));
    } else if (con_kind == CON_RING) {
        wl_con_ring_write(ring, ring_port, s, n);
    } else {
        wl_con_xen_write(s, n);
    }
    wl_unlock(&con_lock);
}
