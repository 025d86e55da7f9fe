/* tests/isa/x86/guests/modes.S - from the PVH start state to long mode and ring 3 and back:
 * 32-bit protected mode with paging off -> GDT, PAE page tables, EFER.LME, CR0.PG (IA-32e
 * compatibility mode) -> far JMP to a 64-bit CS -> IDT, 64-bit TSS (RSP0, IST1), LTR ->
 * IRETQ to CPL 3 -> INT 0x80 / IRETQ, SYSCALL / SYSRETQ with SWAPGS, #GP(selector) from
 * MOV DS, #PF from an unmapped address, #GP(0) from CLI at CPL 3 -> INT 0x81 to a CPL 0
 * handler that programs the x2APIC timer, STI; HLT, takes the timer interrupt (IST1), and
 * stops with CLI; HLT. Results are written at RES (test_x86_sys.c checks them). */
    .set RES, 0x8000
    .set PML4, 0x1000
    .set PDPT, 0x2000
    .set PD, 0x3000
    .set USTACK, 0x5000
    .set ISTSTACK, 0x6000
    .set KSTACK, 0x7000
    .set KCODE32, 0x08
    .set KCODE64, 0x10
    .set KDATA, 0x18
    .set UDATA, 0x2b
    .set UCODE64, 0x33
    .set TSSSEL, 0x38

    .section .text.start, "ax"
    .code32
    .globl _start
_start:
    mov %ebx, %esi
    lgdt gdt_ptr
    mov $KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $KSTACK, %esp
    mov $RES, %edi                  /* clear the result area */
    xor %eax, %eax
    mov $64, %ecx
    cld
    rep stosl
    mov %esi, RES+0x00
    mov %cr0, %eax
    mov %eax, RES+0x04
    /* page tables: PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = 2 MiB page i (P RW US PS) */
    mov $PML4, %edi
    xor %eax, %eax
    mov $(3 * 4096 / 4), %ecx
    cld
    rep stosl
    movl $(PDPT | 7), PML4
    movl $(PD | 7), PDPT
    mov $PD, %edi
    mov $0x87, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b
    mov %cr4, %eax
    or $0x20, %eax                  /* CR4.PAE */
    mov %eax, %cr4
    mov $PML4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x901, %eax                 /* EFER.SCE | LME | NXE */
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax            /* CR0.PG | WP: IA-32e mode, compatibility mode */
    mov %eax, %cr0
    mov $0xc0000080, %ecx
    rdmsr
    mov %eax, RES+0x08              /* EFER with LMA */
    ljmp $KCODE64, $long64

    .code64
long64:
    mov $KDATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov $KSTACK, %rsp
    mov %cs, %eax
    mov %eax, RES+0x0c
    /* 64-bit TSS: RSP0, IST1, no I/O bitmap; its descriptor at TSSSEL */
    lea tss(%rip), %rdi
    movq $KSTACK, 4(%rdi)
    movq $ISTSTACK, 0x24(%rdi)
    movw $104, 0x66(%rdi)
    lea tss(%rip), %rax
    shl $16, %rax
    or $0x67, %rax
    mov $0x89, %rdx
    shl $40, %rdx
    or %rdx, %rax
    mov %rax, gdt+TSSSEL(%rip)
    movq $0, gdt+TSSSEL+8(%rip)
    mov $TSSSEL, %ax
    ltr %ax
    str %ax
    mov %eax, RES+0x10
    /* IDT */
    .macro SETGATE vec, handler, attr, ist
    lea \handler(%rip), %rax
    lea idt+\vec*16(%rip), %rdi
    mov %ax, (%rdi)
    movw $KCODE64, 2(%rdi)
    movb $\ist, 4(%rdi)
    movb $\attr, 5(%rdi)
    shr $16, %rax
    mov %ax, 6(%rdi)
    shr $16, %rax
    mov %eax, 8(%rdi)
    movl $0, 12(%rdi)
    .endm
    SETGATE 13, gp_handler, 0x8e, 0
    SETGATE 14, pf_handler, 0x8e, 0
    SETGATE 0x40, timer_handler, 0x8e, 1
    SETGATE 0x80, int80_handler, 0xee, 0
    SETGATE 0x81, int81_handler, 0xee, 0
    lidt idt_ptr(%rip)
    /* SYSCALL: STAR (kernel CS 0x10, SS 0x18; SYSRET base 0x20 -> CS 0x33, SS 0x2b),
     * LSTAR, SFMASK = IF|DF|TF; KERNEL_GS_BASE -> percpu, GS_BASE = 0 */
    mov $0xc0000081, %ecx
    xor %eax, %eax
    mov $0x00200010, %edx
    wrmsr
    mov $0xc0000082, %ecx
    lea syscall_entry(%rip), %rax
    mov %rax, %rdx
    shr $32, %rdx
    wrmsr
    mov $0xc0000084, %ecx
    mov $0x700, %eax
    xor %edx, %edx
    wrmsr
    mov $0xc0000102, %ecx
    lea percpu(%rip), %rax
    mov %rax, %rdx
    shr $32, %rdx
    wrmsr
    /* to ring 3 with IRETQ */
    pushq $UDATA
    pushq $USTACK
    pushq $0x2
    pushq $UCODE64
    lea user(%rip), %rax
    push %rax
    iretq

user:
    mov %cs, %eax
    mov %eax, RES+0x14
    int $0x80
    mov $0x1234, %eax
    syscall
    mov %eax, RES+0x18              /* set by the kernel */
    mov %rcx, RES+0x20              /* return RIP SYSCALL saved */
    lea 1f(%rip), %r15
    mov $KDATA, %eax
    mov %eax, %ds                   /* #GP(0x18): DPL 0 data at CPL 3 */
1:  lea 2f(%rip), %r15
    mov 0x40000000, %rax            /* #PF: not present, user read (error 4) */
2:  lea 3f(%rip), %r15
    cli                             /* #GP(0): CPL 3 > IOPL 0 */
3:  int $0x81
    ud2

int80_handler:
    mov %rsp, RES+0x28              /* KSTACK - 40: RSP0 from the TSS */
    mov 8(%rsp), %rax
    mov %rax, RES+0x30              /* CS pushed: 0x33 */
    mov 32(%rsp), %rax
    mov %rax, RES+0x38              /* SS pushed: 0x2b */
    iretq

syscall_entry:
    swapgs
    mov %gs:0, %rax
    mov %rax, RES+0x40              /* percpu magic through KERNEL_GS_BASE */
    swapgs
    mov %cs, %eax
    mov %eax, RES+0x48              /* 0x10 */
    mov %rax, %rax
    mov $0x5151, %eax
    sysretq

gp_handler:
    mov RES+0x50, %rax
    mov (%rsp), %rdx
    mov %rdx, RES+0x58(,%rax,8)     /* error codes */
    inc %rax
    mov %rax, RES+0x50
    mov %r15, 8(%rsp)               /* resume after the faulting instruction */
    add $8, %rsp
    iretq

pf_handler:
    mov (%rsp), %rdx
    mov %rdx, RES+0x70
    mov %cr2, %rdx
    mov %rdx, RES+0x78
    mov %r15, 8(%rsp)
    add $8, %rsp
    iretq

timer_handler:
    mov %rsp, RES+0x80              /* ISTSTACK - 40 */
    push %rax
    push %rcx
    push %rdx
    incq RES+0x88
    mov $0x80b, %ecx                /* x2APIC EOI */
    xor %eax, %eax
    xor %edx, %edx
    wrmsr
    pop %rdx
    pop %rcx
    pop %rax
    iretq

int81_handler:
    mov $0x1b, %ecx
    rdmsr
    or $0xc00, %eax                 /* IA32_APIC_BASE.EN | EXTD: x2APIC mode */
    wrmsr
    mov $0x803, %ecx
    rdmsr
    mov %eax, RES+0x90              /* version */
    mov $0x80f, %ecx
    mov $0x1ff, %eax                /* SVR: software enable, spurious 0xff */
    xor %edx, %edx
    wrmsr
    mov $0x83e, %ecx
    mov $0xb, %eax                  /* divide by 1 */
    wrmsr
    mov $0x832, %ecx
    mov $0x40, %eax                 /* LVT timer: vector 0x40, one-shot */
    wrmsr
    rdtsc
    mov %eax, RES+0x98
    mov $0x838, %ecx
    mov $100000, %eax
    wrmsr
    sti
    hlt
    rdtsc
    sub RES+0x98, %eax
    mov %eax, RES+0x9c              /* cycles from arming to after the wake-up */
    mov $0x80a, %ecx
    rdmsr
    mov %eax, RES+0xa0              /* PPR after EOI: 0 */
    cli
    mov $0xdead, %eax
    hlt

    .section .rodata
    .balign 8
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt
    .balign 8
idt_ptr:
    .word 256 * 16 - 1
    .quad idt

    .data
    .balign 16
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08 32-bit code, DPL 0 */
    .quad 0x00af9a000000ffff        /* 0x10 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff        /* 0x18 data, DPL 0 */
    .quad 0x00cffa000000ffff        /* 0x20 32-bit code, DPL 3 */
    .quad 0x00cff2000000ffff        /* 0x28 data, DPL 3 */
    .quad 0x00affa000000ffff        /* 0x30 64-bit code, DPL 3 */
    .quad 0, 0                      /* 0x38 64-bit TSS (filled in) */
gdt_end:
percpu:
    .quad 0xfeedface

    .bss
    .balign 16
idt:
    .skip 256 * 16
tss:
    .skip 104
