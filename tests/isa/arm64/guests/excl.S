// Exclusive monitor (ARM DDI0487 B2.9): LDXR then STXR to the same address succeeds
// (status 0) and stores; after LDXR + CLREX the STXR fails (status 1) and does not store;
// a STXR with no LDXR before fails. Results: x19 status 1 (0), x20 status 2 (1), x21 the
// memory word at the end (0x1235), x22 status 3 (1), x23 value loaded by the first LDXR.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    ldr     x0, =word
    mov     x1, #0x1234
    str     x1, [x0]
    ldxr    x23, [x0]
    add     x2, x23, #1
    stxr    w19, x2, [x0]
    ldxr    x3, [x0]
    clrex
    add     x3, x3, #0x100
    stxr    w20, x3, [x0]
    stxr    w22, x3, [x0]
    ldr     x21, [x0]
    END

handler:
    mov     x19, #0xdead
    END

    VECTORS
    .data
    .balign 16
word:
    .quad   0
