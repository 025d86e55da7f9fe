/* tests/isa/x86/guests/vmx_pvh.S - a PVH guest for the VMX tests (test_x86_vmx.c), run in
 * VMX non-root operation under "unrestricted guest" + EPT: from the PVH start state (32-bit
 * protected mode, paging off) it builds identity page tables, sets EFER.LME through WRMSR and
 * CR0.PG, far-jumps to 64-bit code, then does what a Xen HVM/PVH kernel does first: CPUID
 * leaf 0x40000000 ("XenVMMXenVMM"), WRMSR to the hypercall-page MSR, a hypercall through the
 * page, a plain VMCALL, console output to port 0xE9, and touches guest-physical memory the
 * hypervisor has not mapped yet (EPT violation, populated on demand). Ends with CLI; HLT.
 * Results are written at RES for the test to check. */
    .set RES, 0x9000
    .set PML4, 0x1000
    .set PDPT, 0x2000
    .set PD, 0x3000
    .set STACK, 0x7000
    .set KCODE64, 0x10
    .set KDATA, 0x18
    .set LATE, 0x800010        /* guest-physical memory outside the initial EPT map */

    .section .text.start, "ax"
    .code32
    .globl _start
_start:
    mov %ebx, RES+0x00          /* EBX = hvm_start_info */
    mov %cr0, %eax
    mov %eax, RES+0x04          /* CR0 as the guest reads it (read shadow) */
    lgdt gdt_ptr
    /* identity map of the low 1 GiB with 2 MiB pages: PML4[0] -> PDPT[0] -> PD */
    mov $PML4, %edi
    xor %eax, %eax
    mov $(3 * 4096 / 4), %ecx
    cld
    rep stosl
    movl $(PDPT | 3), PML4
    movl $(PD | 3), PDPT
    mov $PD, %edi
    mov $0x83, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b
    mov %cr4, %eax
    or $0x20, %eax              /* PAE */
    mov %eax, %cr4
    mov $PML4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx       /* IA32_EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax        /* PG: IA-32e mode (compatibility mode until the far JMP) */
    mov %eax, %cr0
    ljmp $KCODE64, $long64

    .code64
long64:
    mov $KDATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $STACK, %rsp
    /* hypervisor discovery (Xen: xen_cpuid_base) */
    mov $0x40000000, %eax
    xor %ecx, %ecx
    cpuid
    mov %eax, RES+0x08
    mov %ebx, RES+0x0c
    mov %ecx, RES+0x10
    mov %edx, RES+0x14
    /* hypercall page: WRMSR(0x40000000 + 0, page GPA) */
    mov $0x40000000, %ecx
    mov $hcall_page, %eax
    xor %edx, %edx
    wrmsr
    mov $0x1234, %rdi
    call hcall_page + 18 * 32   /* stub 18: mov $18, %eax; vmcall; ret */
    mov %rax, RES+0x18
    mov $29, %eax               /* a plain VMCALL works too */
    vmcall
    mov %rax, RES+0x20
    /* console: port 0xE9 */
    lea msg(%rip), %rsi
    mov $(msg_end - msg), %ecx
    mov $0xe9, %dx
2:  lodsb
    out %al, %dx
    loop 2b
    /* memory the hypervisor maps on the first touch */
    movq $0x5a5a, LATE
    mov LATE, %rax
    mov %rax, RES+0x28
    mov %cr0, %rax
    mov %rax, RES+0x30          /* PE|PG|ET as read through the shadow */
    mov $0xdead, %eax
    cli
    hlt

    .section .rodata
msg:
    .ascii "vmx ok\n"
msg_end:
    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff    /* 0x08 32-bit code */
    .quad 0x00af9b000000ffff    /* 0x10 64-bit code */
    .quad 0x00cf93000000ffff    /* 0x18 data */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .balign 4096
hcall_page:
    .skip 4096
