// DC ZVA (ARM DDI0487 C5.3.x, D17.2.x DCZID_EL0): zeroes the naturally aligned block of
// 4 << DCZID_EL0.BS bytes containing the address. The buffer (256 bytes of 0xff) is zeroed
// at buf + 64 + 20 (unaligned). Results: x19 DCZID_EL0, x20 number of zero bytes, x21
// offset of the first zero byte, x22 offset of the last zero byte.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    mrs     x19, dczid_el0
    ldr     x0, =buf
    mov     x1, #0
    mov     w2, #0xff
1:  strb    w2, [x0, x1]
    add     x1, x1, #1
    cmp     x1, #256
    b.lo    1b
    add     x3, x0, #84
    dc      zva, x3
    mov     x1, #0
    mov     x20, #0
    mov     x21, #-1
    mov     x22, #-1
2:  ldrb    w4, [x0, x1]
    cbnz    w4, 3f
    add     x20, x20, #1
    cmn     x21, #1
    csel    x21, x1, x21, eq
    mov     x22, x1
3:  add     x1, x1, #1
    cmp     x1, #256
    b.lo    2b
    END

handler:
    mov     x20, #0xdead
    END

    VECTORS
    .bss
    .balign 256
buf:
    .space  256
