// Entry of the tests/hv guests: stack, BSS, vector table, main(dtb); then SCHEDOP_shutdown
// with main's result as the reason (0 = poweroff). Secondary vCPUs (PSCI CPU_ON with
// entry = secondary_entry) get their own stack and call secondary_main(context_id).
    .section .text.start, "ax"
    .global _start
_start:
    mov     x19, x0
    ldr     x1, =__stack_top
    mov     sp, x1
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ldr     x1, =vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    bl      main
    bl      guest_shutdown
    b       .

    .global secondary_entry
secondary_entry:
    ldr     x1, =__stack1_top
    mov     sp, x1
    ldr     x1, =vectors
    msr     vbar_el1, x1
    isb
    bl      secondary_main
    b       .

// Exceptions: every vector saves x0-x18, x30 and calls exc_handler(type, esr, elr, far);
// exc_handler returns the new ELR_EL1.
    .macro vec type
    .balign 0x80
    sub     sp, sp, #176
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x30, [sp, #144]
    mov     x0, #\type
    b       exc_common
    .endm

    .section .vectors, "ax"
    .balign 2048
    .global vectors
vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 0x10
    vec 0x11
    vec 0x12
    vec 0x13
    .balign 0x80
    b       lower_sync          // synchronous from EL0: the KPTI test's SVC (see run_user)
    vec 0x21
    vec 0x22
    vec 0x23
    vec 0x30
    vec 0x31
    vec 0x32
    vec 0x33

    .text
exc_common:
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    bl      exc_handler
    msr     elr_el1, x0
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x30, [sp, #144]
    add     sp, sp, #176
    eret

// regs_preserved(nr, a0): loads known patterns into x1-x15 and x17-x30 (callee-saved ones
// saved first), makes the hypercall, and returns 1 if every register except x0 kept its value.
    .global regs_preserved
regs_preserved:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mov     x16, x0
    mov     x0, x1
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    mov     x\n, #(0x700 + \n)
    .endr
    hvc     #0xea1
    mov     x0, #1
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    cmp     x\n, #(0x700 + \n)
    csel    x0, x0, xzr, eq
    .endr
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret

// run_user(entry_va, x0_for_user, tramp_ttbr1): KPTI-style exit to EL0. TTBR1_EL1 is
// switched to the trampoline table (as Linux tramp_unmap_kernel does), the user code runs
// at EL0 with IRQs masked until it executes SVC; lower_sync switches TTBR1_EL1 back to
// kpti_kernel_ttbr1 (tramp_map_kernel) and resumes here at EL1.
    .global run_user
run_user:
    stp     x29, x30, [sp, #-96]!
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    msr     ttbr1_el1, x2
    isb
    msr     elr_el1, x0
    mov     x9, #0x3c0          // EL0t, D A I F masked
    msr     spsr_el1, x9
    mov     x0, x1
    eret
user_return:
    ldp     x19, x20, [sp, #16]
    ldp     x21, x22, [sp, #32]
    ldp     x23, x24, [sp, #48]
    ldp     x25, x26, [sp, #64]
    ldp     x27, x28, [sp, #80]
    ldp     x29, x30, [sp], #96
    ret

lower_sync:
    ldr     x10, =kpti_kernel_ttbr1
    ldr     x10, [x10]
    msr     ttbr1_el1, x10
    isb
    ldr     x10, =user_return
    msr     elr_el1, x10
    mov     x10, #0x3c5         // EL1h, D A I F masked
    msr     spsr_el1, x10
    eret

    .data
    .balign 8
    .global kpti_kernel_ttbr1
kpti_kernel_ttbr1:
    .quad   0

// The EL0 code: its own page, mapped at a user VA by the KPTI test.
    .section .text.user, "ax"
    .balign 4096
    .global user_code
user_code:
1:  subs    x0, x0, #1
    b.ne    1b
    svc     #0
    b       .
    .balign 4096
