// ERET to EL0 and back via SVC (ARM DDI0487 D1.11, D1.10.2): SPSR_EL1 = 0 (EL0t) and
// ELR_EL1 = user code; ERET drops to EL0 with SP_EL0. The SVC from EL0 enters
// VBAR_EL1 + 0x400 (lower EL, AArch64, synchronous), ESR EC 0x15 ISS 7, SPSR_EL1.M = 0.
// At EL0, MRS CurrentEL is UNDEFINED: that first enters +0x400 with EC 0 (the handler
// skips it). Results: x18 offset of the SVC entry, x19 ESR of the SVC, x20 SPSR at the
// SVC, x21 CurrentEL in the handler, x22 SP at EL0, x23 ESR of the UNDEF, x24 = 1 (user
// code ran), x25 ELR of the SVC, x26 expected ELR.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    ldr     x0, =user_stack
    msr     sp_el0, x0
    msr     spsr_el1, xzr
    adr     x0, user
    msr     elr_el1, x0
    mov     x23, #-1
    eret

user:
    mov     x24, #1
    mov     x22, sp
    mrs     x1, CurrentEL    // UNDEFINED at EL0
    adr     x26, 1f
    svc     #7
1:  b       .

handler:
    mrs     x0, esr_el1
    lsr     x1, x0, #26
    cbnz    x1, 2f
    mov     x23, x0          // the UNDEF: skip the instruction
    mrs     x1, elr_el1
    add     x1, x1, #4
    msr     elr_el1, x1
    eret
2:  mov     x19, x0
    mrs     x20, spsr_el1
    mrs     x21, CurrentEL
    mrs     x25, elr_el1
    END

    VECTORS
    .bss
    .balign 16
    .space  256
user_stack:
