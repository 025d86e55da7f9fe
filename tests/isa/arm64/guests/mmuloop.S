// Compute/memory loop with the stage-1 MMU on (the speed benchmark of scripts/bench.sh and
// a correctness test). Translation tables (ARM DDI0487 D8.2, 4 KB granule, T0SZ = 25: a
// 39-bit VA space starting at level 1): level-1 block descriptors map 1 GB identity blocks,
// 0x00000000 as Device-nGnRnE (AttrIndx 1: the PL011) and 0x40000000 as Normal WB
// (AttrIndx 0), AF = 1, inner shareable. MAIR_EL1 attr0 = 0xff, attr1 = 0x00.
// The loop adds i to each of the 512 quadwords of buf, x1 times (x1 = 0 at entry: 8000),
// xor-ing every stored value into x5. Results: x5, x6 = buf[511], x7 = SCTLR_EL1.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    cbnz    x1, 1f
    mov     x1, #8000
1:  ldr     x0, =l1_table
    mov     x2, #0x401              // block, AttrIndx 1, AF (bit 10)
    orr     x2, x2, #(1 << 2)
    str     x2, [x0]
    ldr     x2, =0x40000701         // 0x40000000 block, AttrIndx 0, SH inner (3 << 8), AF
    str     x2, [x0, #8]
    msr     ttbr0_el1, x0
    ldr     x2, =0xff
    msr     mair_el1, x2
    // TCR_EL1: T0SZ 25, IRGN0/ORGN0 WBWA, SH0 inner, TG0 4K, EPD1, IPS 40 bits
    ldr     x2, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
    msr     tcr_el1, x2
    isb
    tlbi    vmalle1
    dsb     ish
    mrs     x2, sctlr_el1
    orr     x2, x2, #1              // M
    orr     x2, x2, #(1 << 2)       // C
    orr     x2, x2, #(1 << 12)      // I
    msr     sctlr_el1, x2
    isb
    mrs     x7, sctlr_el1
    ldr     x0, =buf
    mov     x5, #0
outer:
    mov     x2, #0
inner:
    ldr     x3, [x0, x2, lsl #3]
    add     x3, x3, x2
    eor     x5, x5, x3
    str     x3, [x0, x2, lsl #3]
    add     x2, x2, #1
    cmp     x2, #512
    b.lo    inner
    subs    x1, x1, #1
    b.ne    outer
    ldr     x6, [x0, #511 * 8]
    END

handler:
    mrs     x19, esr_el1
    mrs     x20, far_el1
    mov     x5, #0xdead
    END

    VECTORS
    .bss
    .balign 4096
l1_table:
    .space  4096
buf:
    .space  4096
