// Data abort syndrome (ARM DDI0487 D17.2.37): a load from a physical address with nothing
// mapped (MMU off, inside the PA range) is a synchronous External abort, EC 0x25 (data
// abort, same EL), IL = 1, WnR = 0, DFSC 0b010000; FAR_EL1 = the VA. A store gives WnR = 1.
// The handler skips the faulting instruction. Results: x19/x20 ESR and FAR of the load,
// x21/x22 of the store, x23 = the ELR of the load, x24 = its expected PC, x25 = 1 at end.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    mov     x10, #0
    ldr     x0, =0x10000010
    adr     x24, ld
ld: ldr     x1, [x0]
    mov     x19, x26
    mov     x20, x27
    mov     x23, x28
    add     x0, x0, #8
    str     x1, [x0]
    mov     x21, x26
    mov     x22, x27
    mov     x25, #1
    END

handler:
    mrs     x26, esr_el1
    mrs     x27, far_el1
    mrs     x28, elr_el1
    add     x9, x28, #4
    msr     elr_el1, x9
    eret

    VECTORS
