// workloads/lib/arm64/head.S - boot (Image header, MMU on), secondary entry, exception vectors
// with the KPTI trampoline, exception entry/exit. References: Linux Documentation/arch/arm64/
// booting.rst (Image header, entry state), ARM DDI0487 D1.10 (vector table layout), D8.2
// (TCR/TTBR), D17 (SCTLR_EL1, MAIR_EL1); KPTI modelled on Linux arch/arm64/kernel/entry.S
// tramp_ventry / tramp_exit (TTBR1 switched between swapper_pg_dir and tramp_pg_dir, which sit
// one page apart, with USER_ASID_FLAG = bit 48 of TTBR1 at EL0).
#include "asm.h"

    .section .head.text, "ax"
    .global _head_entry
_head_entry:
    b       primary_entry           // code0
    .long   0                       // code1
    .quad   0x80000                 // text_offset
    .quad   __image_size            // image_size (includes BSS)
    .quad   0x2                     // flags: little-endian, 4K pages, 2 MiB-aligned base
    .quad   0, 0, 0                 // res2..res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5 (no PE header)

primary_entry:
    msr     daifset, #0xf
    msr     spsel, #1
    mov     x19, x0                 // DTB physical address
    msr     tpidr_el1, xzr          // vCPU index 0
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:  adrp    x0, wl_stacks
    add     x0, x0, :lo12:wl_stacks
    add     x0, x0, #WL_STACK_SIZE
    mov     sp, x0
    mov     x0, x19
    bl      wl_early                // C with the MMU off: device tree, parameters, tables
    bl      wl_mmu_on
    ldr     x0, =3f                 // jump to the kernel VA
    br      x0
3:  adrp    x0, wl_stacks           // PC is now the kernel VA: so is this
    add     x0, x0, :lo12:wl_stacks
    add     x0, x0, #WL_STACK_SIZE
    mov     sp, x0
    adrp    x0, wl_vectors
    add     x0, x0, :lo12:wl_vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x19
    bl      wl_boot_main
    b       .

// PSCI CPU_ON entry for secondary vCPUs (x0 = context id = vCPU index), MMU off.
    .global wl_secondary_entry
wl_secondary_entry:
    msr     daifset, #0xf
    msr     spsel, #1
    mov     x19, x0
    msr     tpidr_el1, x19
    bl      wl_mmu_on
    ldr     x0, =4f
    br      x0
4:  adrp    x1, wl_stacks
    add     x1, x1, :lo12:wl_stacks
    add     x2, x19, #1
    mov     x3, #WL_STACK_SIZE
    madd    x1, x2, x3, x1
    mov     sp, x1
    adrp    x0, wl_vectors
    add     x0, x0, :lo12:wl_vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x19
    bl      wl_secondary_main
    b       .

// Turn the MMU on with the tables wl_early built (called with the MMU off, from the
// identity-mapped physical PC). MAIR: attr0 Device-nGnRnE, attr1 Normal WB RA/WA, attr2
// Normal NC (D17.2.97). TCR: 48-bit VAs both halves, 4K granule, inner-shareable WB walks,
// ASID from TTBR1 (A1), IPS from ID_AA64MMFR0_EL1.PARange capped at 48 bits (D17.2.131).
    .global wl_mmu_on
wl_mmu_on:
    ldr     x0, =0x44ff00
    msr     mair_el1, x0
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #0xf
    cmp     x1, #5
    mov     x2, #5
    csel    x1, x1, x2, ls
    ldr     x0, =TCR_VALUE
    orr     x0, x0, x1, lsl #32
    msr     tcr_el1, x0
    adrp    x0, wl_idmap_l0
    msr     ttbr0_el1, x0
    adrp    x0, wl_kpgd
    msr     ttbr1_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x0, =SCTLR_VALUE
    msr     sctlr_el1, x0
    isb
    ret

// wl_enter_user(ctx, stack_top): copy the task context to a frame at the top of this vCPU's
// kernel stack and return to EL0 through the normal exit path.
    .global wl_enter_user
wl_enter_user:
    sub     sp, x1, #FRAME_SIZE
    mov     x2, sp
    mov     x3, #(FRAME_SIZE / 16)
5:  ldp     x4, x5, [x0], #16
    stp     x4, x5, [x2], #16
    subs    x3, x3, #1
    b.ne    5b
    b       wl_ret_to_user

    .macro save_user_frame
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x0, tpidrro_el0         // the user's x30, parked by the vector entry
    mrs     x1, sp_el0
    stp     x0, x1, [sp, #240]
    mrs     x0, elr_el1
    mrs     x1, spsr_el1
    stp     x0, x1, [sp, #256]
    .endm

    .macro restore_x0_x29
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #FRAME_SIZE
    .endm

el0_sync:
    save_user_frame
    mov     x0, sp
    mov     x1, #0
    bl      wl_exc_el0
    b       wl_ret_to_user
el0_irq:
    save_user_frame
    mov     x0, sp
    mov     x1, #1
    bl      wl_exc_el0
    // fall through
    .global wl_ret_to_user
wl_ret_to_user:
    ldp     x0, x1, [sp, #256]
    msr     elr_el1, x0
    msr     spsr_el1, x1
    ldp     x0, x1, [sp, #240]
    msr     tpidrro_el0, x0
    msr     sp_el0, x1
    adrp    x0, wl_kpti_on
    ldr     w0, [x0, :lo12:wl_kpti_on]
    cbnz    w0, 6f
    restore_x0_x29
    mrs     x30, tpidrro_el0
    eret
6:  restore_x0_x29
    b       wl_tramp_exit

el1_exc:
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    stp     x29, x30, [sp, #232]
    mrs     x0, elr_el1
    mrs     x1, spsr_el1
    stp     x0, x1, [sp, #256]
    mov     x0, sp
    bl      wl_exc_el1
    b       .

// The vector table and the exit trampoline share one page: with kpti=1 it is the only page
// mapped by the TTBR1 table in force at EL0 (the trampoline table, one page above the kernel's).
    .section .tramp, "ax"
    .balign 2048
    .global wl_vectors
wl_vectors:
    .macro vent_el1
    .balign 128
    b       el1_exc
    .endm
    .macro vent_el0 target
    .balign 128
    msr     tpidrro_el0, x30
    mrs     x30, ttbr1_el1
    tbz     x30, #48, 7f            // not the user ASID: no trampoline table to leave
    sub     x30, x30, #0x1000       // tramp_pg_dir -> kernel table
    bic     x30, x30, #(1 << 48)    // kernel ASID
    msr     ttbr1_el1, x30
    isb
7:  b       \target
    .endm
    vent_el1                        // current EL, SP_EL0: sync, irq, fiq, serror
    vent_el1
    vent_el1
    vent_el1
    vent_el1                        // current EL, SP_ELx
    vent_el1
    vent_el1
    vent_el1
    vent_el0 el0_sync               // lower EL, AArch64
    vent_el0 el0_irq
    vent_el1
    vent_el1
    vent_el1                        // lower EL, AArch32
    vent_el1
    vent_el1
    vent_el1
    .balign 128
    .global wl_tramp_exit
wl_tramp_exit:
    mrs     x30, ttbr1_el1
    add     x30, x30, #0x1000       // kernel table -> tramp_pg_dir
    orr     x30, x30, #(1 << 48)    // user ASID
    msr     ttbr1_el1, x30
    isb
    mrs     x30, tpidrro_el0
    eret
