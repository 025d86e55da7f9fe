// Virtual timer interrupt (ARM DDI0487 D11.2.4): CNTV_TVAL_EL0 = 200 ticks, CNTV_CTL_EL0
// ENABLE = 1, IMASK = 0, PSTATE.I cleared: when CNTVCT reaches CVAL the IRQ is taken at
// VBAR_EL1 + 0x280 (current EL, SP_ELx, IRQ). WFI waits for it. Results: x18 the vector
// offset, x19 CNTV_CTL_EL0 in the handler (ISTATUS = 1: 0b101), x20 CNTVCT - CVAL >= 0,
// x21 = ELR is inside the wait loop (1), x22 CNTFRQ_EL0, x23 ESR untouched marker.
#include "common.inc"
    .section .text.start, "ax"
    .global _start
_start:
    SETUP
    mrs     x22, cntfrq_el0
    mov     x0, #200
    msr     cntv_tval_el0, x0
    mrs     x1, cntv_cval_el0
    mov     x0, #1
    msr     cntv_ctl_el0, x0
    msr     daifclr, #2
    isb
wait:
    wfi
    b       wait
wait_end:

handler:
    mrs     x19, cntv_ctl_el0
    mrs     x2, cntvct_el0
    sub     x20, x2, x1
    mrs     x3, elr_el1
    adr     x4, wait
    adr     x5, wait_end
    cmp     x3, x4
    ccmp    x3, x5, #2, hs   // C = (elr >= wait) && (elr < wait_end)? keep HS && LO
    cset    x21, lo
    msr     cntv_ctl_el0, xzr
    END

    VECTORS
