// UNDEF (ARM DDI0487 D1.10.4, D17.2.37): UDF #0x5a and an unallocated encoding take the
// synchronous exception with ESR_EL1 = EC 0, IL = 1 (0x02000000), ELR_EL1 = the
// instruction itself. Results: x19/x20 ESR and ELR of the UDF, x21 expected ELR, x22 ESR of
// the second, x23 = count of exceptions taken, x24 = 1 at the end.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    mov     x23, #0
    adr     x21, u1
u1: udf     #0x5a
    mov     x19, x26
    mov     x20, x27
    .inst   0x00400000       // reserved (op0 = 0000, not UDF): UNDEFINED
    mov     x22, x26
    mov     x24, #1
    END

handler:
    add     x23, x23, #1
    mrs     x26, esr_el1
    mrs     x27, elr_el1
    add     x9, x27, #4
    msr     elr_el1, x9
    eret

    VECTORS
