/* sim/uart_pl011.h - a minimal Arm PL011 UART for bare-mode runs: transmit only
 * (ARM DDI0183 PrimeCell UART (PL011) TRM, 3.2 "Summary of registers"). */
#ifndef SIM_UART_PL011_H
#define SIM_UART_PL011_H

#include <stdint.h>
#include <stdio.h>

struct sim_mem;

/* Map a 4 KiB PL011 at base. Writes to UARTDR (0x000) go to out byte by byte (out may be
 * NULL to discard); UARTFR (0x018) reads 0 (TX FIFO never full, never busy); the PrimeCell
 * ID registers (0xfe0-0xffc) read the PL011 values; every other register reads as zero and
 * ignores writes. The device keeps no state besides out, so nothing needs freeing.
 * Returns 0 or the sim_mem_add_mmio error. */
int sim_pl011_attach(struct sim_mem *mem, uint64_t base, FILE *out);

#endif
