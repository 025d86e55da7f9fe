/* tests/hv/guests_x86/start.S - PVH entry of the x86 test guests: from the PVH start state
 * (32-bit protected mode, paging off, EBX = hvm_start_info) build identity page tables for
 * the low 1 GiB (2 MiB pages, user-accessible so ring-3 code can run with them), enable
 * PAE, EFER.LME and CR0.PG, far-jump to 64-bit code, load the GDT/IDT/TSS and call
 * guest_main(start_info). Also: the interrupt stubs (the event-channel upcall vector 0xf3,
 * INT 0x80 back from user mode), the user-mode entry (enter_user) and the AP entry. */
    .set PML4, 0x1000
    .set PDPT, 0x2000
    .set PD, 0x3000

    .section .note.Xen, "a"
    .p2align 2
    .long 4, 4, 18              /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long _start

    .section .text.start, "ax"
    .code32
    .globl _start
_start:
    mov %ebx, %esi              /* start info */
    lgdt gdt_ptr
    mov $PML4, %edi
    xor %eax, %eax
    mov $(3 * 4096 / 4), %ecx
    cld
    rep stosl
    movl $(PDPT | 7), PML4
    movl $(PD | 7), PDPT
    mov $PD, %edi
    mov $0x87, %eax             /* P | RW | US | PS */
    mov $512, %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b
    mov %cr4, %eax
    or $0x220, %eax             /* PAE | OSFXSR */
    mov %eax, %cr4
    mov $PML4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax             /* EFER.LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax
    mov %eax, %cr0
    ljmp $0x08, $long64

    .code64
long64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    lea stack_top(%rip), %rsp
    /* TSS descriptor (GDT slot 0x28) pointing at tss, RSP0 = the kernel stack */
    lea tss(%rip), %rax
    mov %rax, %rcx
    shl $16, %rcx
    mov $0xffffff0000, %rdx
    and %rdx, %rcx
    mov %rax, %rdx
    shr $24, %rdx
    and $0xff, %rdx
    shl $56, %rdx
    or %rdx, %rcx
    mov $0x0000890000000067, %rdx
    or %rdx, %rcx
    mov %rcx, gdt + 0x28(%rip)
    mov %rax, %rdx
    shr $32, %rdx
    mov %rdx, gdt + 0x30(%rip)
    lea stack_top(%rip), %rdx
    mov %rdx, tss + 4(%rip)     /* RSP0 */
    mov $0x28, %ax
    ltr %ax
    call idt_setup
    lidt idt_ptr(%rip)
    mov %esi, %edi
    call guest_main
2:  cli
    hlt
    jmp 2b

/* the AP entry (VCPUOP_initialise: 64-bit mode, RSP set by the BSP) */
    .globl ap_entry
ap_entry:
    lgdt gdt_ptr(%rip)
    call ap_main
3:  cli
    hlt
    jmp 3b

/* upcall vector: save the caller-saved registers, call upcall(), EOI, IRETQ */
    .globl upcall_stub
upcall_stub:
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    call upcall
    mov $0x80b, %ecx            /* x2APIC EOI */
    xor %eax, %eax
    xor %edx, %edx
    wrmsr
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    iretq

/* enter_user(rip, user_stack, cr3): IRETQ to ring 3; INT 0x80 comes back here and
 * enter_user returns the user's RAX. cr3 != 0: load it first (a PTI "user CR3"; the
 * trampoline page and the IRET frame are in .user, mapped by both). */
    .globl enter_user
enter_user:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, saved_rsp(%rip)
    lea user_frame_top(%rip), %rsp
    push $0x1b                  /* SS: user data | RPL 3 */
    push %rsi                   /* RSP */
    push $0x202                 /* RFLAGS: IF */
    push $0x23                  /* CS: user code | RPL 3 */
    push %rdi                   /* RIP */
    jmp user_tramp

    .globl int80_stub
int80_stub:
    mov saved_rsp(%rip), %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

    .section .user, "awx"
    .p2align 12
    .globl user_tramp
user_tramp:
    test %rdx, %rdx
    jz 1f
    mov %rdx, %cr3
1:  iretq
    .p2align 4
    .globl user_vmcall
user_vmcall:                    /* xen_version(0) from CPL 3: -EPERM expected */
    mov $17, %eax
    xor %edi, %edi
    vmcall
    int $0x80
    .p2align 4
    .globl user_spin
user_spin:                      /* preempted forever with the user CR3 loaded */
    pause
    jmp user_spin
    .p2align 12
    .space 4096
user_frame_top:
    .space 4096
    .globl user_stack_top
user_stack_top:

    .data
    .p2align 4
gdt:
    .quad 0
    .quad 0x00af9b000000ffff    /* 0x08 kernel code 64 */
    .quad 0x00cf93000000ffff    /* 0x10 kernel data */
    .quad 0x00cff3000000ffff    /* 0x18 user data (DPL 3) */
    .quad 0x00affb000000ffff    /* 0x20 user code 64 (DPL 3) */
    .quad 0, 0                  /* 0x28 TSS (filled in) */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt
    .p2align 4
    .globl idt
idt:
    .space 256 * 16
idt_ptr:
    .word 256 * 16 - 1
    .quad idt
saved_rsp:
    .quad 0
    .p2align 4
tss:
    .space 104

    .bss
    .p2align 12
    .space 16384
stack_top:
