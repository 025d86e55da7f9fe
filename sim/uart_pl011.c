/* sim/uart_pl011.c - transmit-only PL011 (ARM DDI0183, 3.3 "Register descriptions"). */
#include "sim/mem.h"
#include "sim/uart_pl011.h"

#define UARTDR 0x000
#define UARTFR 0x018

static int pl011_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    /* PrimeCell peripheral/cell ID at 0xfe0-0xffc (PL011: 0x11 0x10 0x14 0x00,
     * cell ID 0x0d 0xf0 0x05 0xb1). */
    static const uint8_t id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    if (off >= 0xfe0 && off < 0x1000)
        *val = id[(off - 0xfe0) / 4];
    else
        *val = 0; /* UARTFR: TXFF = 0, BUSY = 0; others not modelled */
    return 0;
}

static int pl011_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    FILE *out = opaque;
    if (off == UARTDR && out) {
        fputc((int)(val & 0xff), out);
        if ((val & 0xff) == '\n')
            fflush(out);
    }
    return 0;
}

static const struct sim_mmio_ops pl011_ops = {pl011_read, pl011_write};

int sim_pl011_attach(struct sim_mem *mem, uint64_t base, FILE *out)
{
    return sim_mem_add_mmio(mem, "pl011", base, 0x1000, &pl011_ops, out);
}
