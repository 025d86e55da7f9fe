// Memory-bound loop with the stage-1 MMU on and 4 KB pages (the memory-bound speed benchmark
// of scripts/bench.sh, and a fast-path test guest). Translation tables (ARM DDI0487 D8.2,
// 4 KB granule, T0SZ = 25: a 39-bit VA space starting at level 1), identity mapped:
// level 1 entry 0 a 1 GB Device-nGnRnE block (AttrIndx 1: the PL011), entry 1 a table of
// 2 MB Normal WB blocks (AttrIndx 0) for 0x40000000..0x7fffffff, except the two blocks
// holding buf, which are mapped by level-3 tables as 1024 4 KB pages. AF = 1, inner
// shareable; MAIR_EL1 attr0 = 0xff, attr1 = 0x00.
// buf is the 4 MB of RAM at BUF (RAM base + 4 MB, 2 MB aligned, after the image and its
// stack; the guest needs 8 MB of RAM). The loop walks buf with a 256-byte stride (16
// accesses per page, 1024 pages, more than the L1 DTLB holds), adding the pass counter x1 to
// each visited quadword and xor-ing every stored value into x5, with a load from the stack
// (another L1 DTLB entry) in between; x1 passes (x1 = 0 at entry: 200). Results: x5, x6 =
// the first quadword of buf, x7 = SCTLR_EL1.
#include "common.inc"
#define BUF 0x40400000
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    cbnz    x1, 1f
    mov     x1, #200
1:  ldr     x0, =l1_table
    mov     x2, #0x401              // block 0x00000000, AttrIndx 1, AF (bit 10)
    orr     x2, x2, #(1 << 2)
    str     x2, [x0]
    ldr     x2, =l2_table
    orr     x2, x2, #3              // table descriptor
    str     x2, [x0, #8]
    // level 2: 512 blocks of 2 MB from 0x40000000 (block, AttrIndx 0, SH inner, AF)
    ldr     x0, =l2_table
    ldr     x2, =0x40000701
    mov     x3, #0
2:  str     x2, [x0, x3, lsl #3]
    add     x2, x2, #0x200000
    add     x3, x3, #1
    cmp     x3, #512
    b.lo    2b
    // the two 2 MB blocks of buf go through level-3 tables (page descriptors: bits 1:0 = 11)
    ldr     x4, =BUF
    ldr     x8, =l3_tables
    ubfx    x9, x4, #21, #9         // level-2 index of buf
    mov     x10, #0                 // page counter
3:  lsl     x11, x10, #12
    add     x11, x11, x4            // page address
    mov     x12, #0x703
    orr     x12, x12, x11
    str     x12, [x8, x10, lsl #3]
    add     x10, x10, #1
    cmp     x10, #1024
    b.lo    3b
    orr     x12, x8, #3
    str     x12, [x0, x9, lsl #3]
    add     x12, x12, #0x1000
    add     x9, x9, #1
    str     x12, [x0, x9, lsl #3]
    ldr     x0, =l1_table
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
    ldr     x0, =BUF
    mov     x4, #0x400000
    mov     x5, #0
outer:
    mov     x2, #0
inner:
    ldr     x3, [x0, x2]
    add     x3, x3, x1
    str     x3, [x0, x2]
    ldr     x9, [sp]                // the stack's 2 MB block: two L1 DTLB entries alternate
    eor     x5, x5, x3
    add     x2, x2, #256
    cmp     x2, x4
    b.lo    inner
    subs    x1, x1, #1
    b.ne    outer
    ldr     x6, [x0]
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
l2_table:
    .space  4096
l3_tables:
    .space  8192
