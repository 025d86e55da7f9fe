// Bare-mode entry: set the stack, clear BSS, call main, stop at the end marker.
// hvsim's bare mode stops at BRK #0xF000 (hvsim run --help); x0 holds main's result.
    .section .text.start, "ax"
    .global _start
_start:
    ldr     x0, =__stack_top
    mov     sp, x0
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  bl      main
    brk     #0xf000
    b       .
