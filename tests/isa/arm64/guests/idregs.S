// Every ID register (ARM DDI0487 D12.3.1: op0 = 3, op1 = 0, CRn = 0, CRm = 0..7; the
// reserved encodings of CRm 1..7 read as zero), plus CTR_EL0, DCZID_EL0, CLIDR_EL1,
// AIDR_EL1 and CCSIDR_EL1 for CSSELR = 0, 1, 2, stored in order to the table `ids`
// (address in x19, count in x20). The test compares them with the CPU model.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    ldr     x0, =ids
    mov     x19, x0
    mrs     x1, S3_0_C0_C0_0
    str     x1, [x0], #8
    mrs     x1, S3_0_C0_C0_5
    str     x1, [x0], #8
    mrs     x1, S3_0_C0_C0_6
    str     x1, [x0], #8
    .irp crm, 1,2,3,4,5,6,7
    .irp op2, 0,1,2,3,4,5,6,7
    mrs     x1, S3_0_C0_C\crm\()_\op2
    str     x1, [x0], #8
    .endr
    .endr
    mrs     x1, ctr_el0
    str     x1, [x0], #8
    mrs     x1, dczid_el0
    str     x1, [x0], #8
    mrs     x1, clidr_el1
    str     x1, [x0], #8
    mrs     x1, aidr_el1
    str     x1, [x0], #8
    .irp sel, 0,1,2
    mov     x2, #\sel
    msr     csselr_el1, x2
    isb
    mrs     x1, ccsidr_el1
    str     x1, [x0], #8
    .endr
    sub     x20, x0, x19
    lsr     x20, x20, #3
    END

handler:
    mov     x20, #0xdead
    END

    VECTORS
    .bss
    .balign 16
ids:
    .space  8 * 80
