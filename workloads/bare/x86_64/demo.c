/* A bare-mode x86_64 guest for the demo: prints through the debug console (OUT to port 0xE9). */
#include <stdint.h>

static void putc_(char c) { __asm__ volatile("outb %0, $0xe9" : : "a"(c)); }

#include "../demo_body.h"
