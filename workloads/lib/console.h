/* workloads/lib/console.h - between the arch-neutral console (workloads/lib/console.c) and each
 * arch's backends (workloads/lib/<arch>/console.c). */
#ifndef WL_CONSOLE_H
#define WL_CONSOLE_H

#include <stdint.h>

#include "xen.h"

/* Provided by the arch: write n bytes (one buffered line) to the backend chosen at boot. */
void wl_console_write(const char *s, uint32_t n);

/* Shared backends and helpers (console.c). */
long wl_con_get_param(uint32_t index, uint64_t *value);          /* HVMOP_get_param */
void wl_con_ring_write(volatile struct xencons_interface *ring, uint32_t port, const char *s,
                       uint32_t n);                               /* PV console ring */
void wl_con_xen_write(const char *s, uint32_t n);                /* CONSOLEIO_write */

#endif
