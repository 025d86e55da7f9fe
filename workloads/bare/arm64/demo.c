/* A bare-mode arm64 guest for the demo: prints through the PL011 at 0x09000000. */
#include <stdint.h>

#define UART_DR ((volatile uint32_t *)0x09000000)

static void putc_(char c) { *UART_DR = (uint32_t)c; }

#include "../demo_body.h"
