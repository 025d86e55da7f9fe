// SVC round trip through a real vector table (ARM DDI0487 D1.10): SVC #0x123 at EL1h
// enters VBAR_EL1 + 0x200 (current EL, SP_ELx, synchronous) with ESR_EL1 = EC 0x15,
// IL = 1, ISS = imm16; ELR_EL1 = the instruction after the SVC; SPSR_EL1 = the PSTATE
// before (EL1h, DAIF masked, NZCV as set). ERET returns there with NZCV restored.
// Results: x18 vector offset, x19 ESR, x20 ELR, x21 SPSR, x22 expected ELR, x23 = NZCV after
// return, x24 = 1 when execution continued after the SVC.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    mov     x24, #0
    mov     x0, #-1
    cmp     x0, #0          // N = 1, C = 1 -> NZCV = 0xa0000000
    adr     x22, after
    svc     #0x123
after:
    mrs     x23, nzcv
    mov     x24, #1
    END

handler:
    mrs     x19, esr_el1
    mrs     x20, elr_el1
    mrs     x21, spsr_el1
    msr     nzcv, xzr        // ERET restores NZCV from SPSR_EL1
    eret

    VECTORS
