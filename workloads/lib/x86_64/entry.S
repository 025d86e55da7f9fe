// workloads/lib/x86_64/entry.S - kernel entry and exit: the 256 interrupt stubs, the SYSCALL
// entry, the return to ring 3 by SYSRET or IRET, with SWAPGS and, under KPTI, the CR3 switch
// on every entry and exit. Modelled on Linux arch/x86/entry/entry_64.S (entry_SYSCALL_64:
// swapgs, park the user RSP, SWITCH_TO_KERNEL_CR3 with RSP as scratch, load the kernel stack;
// the exit checks whether SYSRET can return: RCX == RIP, R11 == RFLAGS, user CS, canonical
// RIP) and on Intel SDM vol. 3A §6.14 (64-bit interrupt frames), vol. 2B SYSCALL/SYSRET/SWAPGS.
// Everything here sits in the entry area (.entry.text), which the KPTI user page tables map:
// it runs while CR3 may still be the user's. Interrupts are only taken in ring 3 (the kernel
// runs with IF = 0), as the arm64 runtime takes them only at EL0.
#include "asm.h"

    .section .entry.text, "ax"
    .balign 4096
    .global wl_entry_text
wl_entry_text:

// Vectors with an error code pushed by the CPU (SDM vol. 3A Table 6-1).
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
                    (v) == 29 || (v) == 30)
    .balign 16
    .global wl_isr_stubs
wl_isr_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    .if     HAS_ERR(vec)
    pushq   $vec
    .else
    pushq   $0
    pushq   $vec
    .endif
    jmp     isr_common
    .set    vec, vec + 1
    .endr

    .macro PUSH_GPRS
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    .endm
    .macro POP_GPRS
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    .endm

isr_common:
    PUSH_GPRS
    testb   $3, FR_CS(%rsp)
    jz      1f                              // from the kernel: no SWAPGS, no CR3 switch
    swapgs
    cmpl    $0, %gs:PC_KPTI
    je      1f
    mov     %gs:PC_KCR3, %rax               // SWITCH_TO_KERNEL_CR3
    mov     %rax, %cr3
1:  mov     %rsp, %rdi
    call    wl_trap
    testb   $3, FR_CS(%rsp)
    jnz     wl_ret_to_user
    POP_GPRS
    add     $16, %rsp
    iretq

// SYSCALL: RCX = user RIP, R11 = user RFLAGS, RFLAGS masked by IA32_FMASK (IF cleared).
    .balign 16
    .global wl_syscall_entry
wl_syscall_entry:
    swapgs
    mov     %rsp, %gs:PC_URSP
    cmpl    $0, %gs:PC_KPTI
    je      2f
    mov     %gs:PC_KCR3, %rsp               // SWITCH_TO_KERNEL_CR3 scratch_reg=%rsp
    mov     %rsp, %cr3
2:  mov     %gs:PC_STACK, %rsp
    pushq   $SEL_UDATA                      // an IRET frame, as Linux builds pt_regs
    pushq   %gs:PC_URSP
    push    %r11
    pushq   $SEL_UCODE
    push    %rcx
    pushq   $0
    pushq   $WL_VEC_SYSCALL
    PUSH_GPRS
    mov     %rsp, %rdi
    call    wl_trap
    // fall through

// Return to ring 3 from the frame at RSP (GS is the kernel's).
    .global wl_ret_to_user
wl_ret_to_user:
    mov     FR_RCX(%rsp), %rcx
    cmp     FR_RIP(%rsp), %rcx
    jne     3f
    mov     FR_R11(%rsp), %r11
    cmp     FR_RFLAGS(%rsp), %r11
    jne     3f
    cmpq    $SEL_UCODE, FR_CS(%rsp)
    jne     3f
    shr     $47, %rcx                       // SYSRET #GPs in ring 0 on a non-canonical RCX
    jnz     3f
    cmpl    $0, %gs:PC_KPTI                 // SYSRET path
    je      4f
    mov     %gs:PC_UCR3, %rax               // SWITCH_TO_USER_CR3
    mov     %rax, %cr3
4:  swapgs
    POP_GPRS
    mov     FR_RSP - FR_VECTOR(%rsp), %rsp
    sysretq
3:  cmpl    $0, %gs:PC_KPTI                 // IRET path
    je      5f
    mov     %gs:PC_UCR3, %rax
    mov     %rax, %cr3
5:  swapgs
    POP_GPRS
    add     $16, %rsp
    iretq

// wl_enter_user(ctx, stack_top): copy the task's frame to the top of this vCPU's kernel stack
// and leave through the normal exit path.
    .global wl_enter_user
wl_enter_user:
    lea     -FRAME_SIZE(%rsi), %rsp
    mov     %rdi, %rsi
    mov     %rsp, %rdi
    mov     $FRAME_SIZE / 8, %ecx
    cld
    rep movsq
    jmp     wl_ret_to_user

// Per-CPU entry data, TSSs, the IDT and the kernel stacks: in the entry area too (the CPU reads
// the IDT and TSS.RSP0 and pushes the frame while CR3 is still the user's).
    .section .entry.data, "aw"
    .balign 64
    .global wl_pcpu
wl_pcpu:
    .fill   WL_MAX_CPUS * PC_SIZE, 1, 0
    .balign 128
    .global wl_tss
wl_tss:
    .fill   WL_MAX_CPUS * 128, 1, 0
    .balign 4096
    .global wl_idt
wl_idt:
    .fill   256 * 16, 1, 0

    .section .entry.bss, "aw", @nobits
    .balign 4096
    .global wl_stacks
wl_stacks:
    .skip   WL_MAX_CPUS * WL_STACK_SIZE
    .global wl_ist_stacks
wl_ist_stacks:
    .skip   WL_MAX_CPUS * WL_IST_SIZE
