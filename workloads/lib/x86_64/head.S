// workloads/lib/x86_64/head.S - PVH boot: the Xen ELF notes, the 32-bit entry (Xen
// docs/misc/pvh.pandoc: protected mode, paging off, EBX = struct hvm_start_info), the boot
// page tables (4-level: the first GiB identity-mapped for the switch, and the same GiB at the
// kernel's higher-half VA WL_KVA_BASE, like Linux's early_top_pgt), long mode (Intel SDM vol. 3A
// §9.8.5: CR4.PAE, CR3, EFER.LME, CR0.PG, then a far jump to a 64-bit code segment), the
// 64-bit entries of the boot and secondary vCPUs, the GDT and the hypercall page.
#include "asm.h"

// ---- Xen ELF notes (xen/include/public/elfnote.h); libelf (xen/common/libelf/
// libelf-dominfo.c elf_xen_note_check) wants LOADER "generic" and XEN_VERSION "xen-3.0".
    .macro XEN_NOTE_HEAD type
    .balign 4
    .long   4
    .long   2f - 1f
    .long   \type
    .asciz  "Xen"
1:
    .endm
    .macro XEN_NOTE_STR type, str
    XEN_NOTE_HEAD \type
    .asciz  "\str"
2:  .balign 4
    .endm

    .section .note.Xen, "a", @note
    XEN_NOTE_STR 6, hvsim-wl                        // GUEST_OS
    XEN_NOTE_STR 7, 1                               // GUEST_VERSION
    XEN_NOTE_STR 5, xen-3.0                         // XEN_VERSION
    XEN_NOTE_STR 8, generic                         // LOADER
    XEN_NOTE_HEAD 18                                // PHYS32_ENTRY
    .long   WL_PA(wl_pvh_start)
2:  .balign 4

// ---- 32-bit entry, run at the physical address (the image is loaded at its p_paddr) ----
    .section .boot.text, "ax"
    .code32
    .global wl_pvh_start
wl_pvh_start:
    cli
    cld
    mov     %ebx, %esi                      // hvm_start_info PA, kept for wl_boot_main
    mov     $WL_PA(__bss_start), %edi
    mov     $WL_PA(__bss_end), %ecx
    sub     %edi, %ecx
    shr     $2, %ecx
    xor     %eax, %eax
    rep stosl
    lgdt    WL_PA(wl_boot_gdtr)
    mov     $SEL_KDATA, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     $0x20, %eax                     // CR4.PAE
    mov     %eax, %cr4
    mov     $WL_PA(wl_kpgd), %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx               // IA32_EFER.LME
    rdmsr
    or      $0x100, %eax
    wrmsr
    mov     %cr0, %eax
    or      $0x80010001, %eax               // PG | WP | PE
    mov     %eax, %cr0
    ljmp    $SEL_KCODE, $WL_PA(wl_start64_low)
    .code64
wl_start64_low:                              // 64-bit, still at the identity-mapped address
    movabs  $wl_start64, %rax
    jmp     *%rax

    .text
    .global wl_start64
wl_start64:
    lea     wl_stacks+WL_STACK_SIZE(%rip), %rsp
    lgdt    wl_gdtr(%rip)                   // the GDT by its kernel VA
    mov     $SEL_KDATA, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    pushq   $SEL_KCODE
    lea     1f(%rip), %rax
    push    %rax
    lretq
1:  mov     %esi, %edi                      // wl_boot_main(start_info_pa)
    call    wl_boot_main
    ud2

// Secondary vCPUs start here in 64-bit mode (VCPUOP_initialise with a vcpu_hvm_context of
// mode VCPU_HVM_MODE_64B: flat segments, RSP and RDI as the boot vCPU set them, no GDT/IDT).
    .global wl_secondary_entry64
wl_secondary_entry64:
    lgdt    wl_gdtr(%rip)
    mov     $SEL_KDATA, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    xor     %eax, %eax
    mov     %eax, %fs
    mov     %eax, %gs
    pushq   $SEL_KCODE
    lea     2f(%rip), %rax
    push    %rax
    lretq
2:  call    wl_secondary_main               // rdi = vCPU index
    ud2

// The hypercall page: Xen fills it with 32-byte stubs when the guest writes its address to the
// MSR CPUID 0x40000002 names (xen/arch/x86/hvm/vmx/vmx.c vmx_init_hypercall_page).
    .section .text.hypercall_page, "ax"
    .balign 4096
    .global wl_hypercall_page
wl_hypercall_page:
    .fill   4096, 1, 0xcc

// ---- boot page tables (Intel SDM vol. 3A §4.5: PML4E -> PDPTE -> PDE with PS = 2 MiB) ----
// wl_kpgd: an 8 KiB-aligned pair, [0] the kernel PML4, [1] its KPTI user twin.
    .data
    .balign 8192
    .global wl_kpgd
wl_kpgd:
    .quad   WL_PA(boot_pdpt_low) + 3        // [0]: identity, removed once in the higher half
    .fill   510, 8, 0
    .quad   WL_PA(boot_pdpt_high) + 3       // [511]: 0xffffff8000000000..
    .fill   512, 8, 0
    .global wl_boot_pdpt_high
wl_boot_pdpt_high:
boot_pdpt_high:
    .fill   510, 8, 0
    .quad   WL_PA(wl_boot_pd) + 3           // [510]: WL_KVA_BASE = the first GiB
    .quad   0                               // [511]: fixmap, filled at run time
boot_pdpt_low:
    .quad   WL_PA(wl_boot_pd) + 3
    .fill   511, 8, 0
    .global wl_boot_pd
wl_boot_pd:
    .set    i, 0
    .rept   512
    .quad   (i << 21) | 0x83                // P | RW | PS
    .set    i, i + 1
    .endr

wl_boot_gdtr:                               // for the 32-bit code: the GDT's physical address
    .word   GDT_ENTRIES * 8 - 1
    .long   WL_PA(wl_gdt)
    .balign 8
    .global wl_gdtr
wl_gdtr:
    .word   GDT_ENTRIES * 8 - 1
    .quad   wl_gdt

// The GDT lives in the entry area: the CPU reads it on every interrupt and SYSRET-free
// return, so the KPTI user page tables must map it (Linux cpu_entry_area gdt).
    .section .entry.data, "aw"
    .balign 4096
    .global wl_gdt
wl_gdt:
    .quad   0
    .quad   0x00cf9a000000ffff              // 0x08 kernel code, 32-bit
    .quad   0x00af9a000000ffff              // 0x10 kernel code, 64-bit (L)
    .quad   0x00cf92000000ffff              // 0x18 kernel data
    .quad   0x00cffa000000ffff              // 0x20 user code, 32-bit (DPL 3)
    .quad   0x00cff2000000ffff              // 0x28 user data (DPL 3)
    .quad   0x00affa000000ffff              // 0x30 user code, 64-bit (DPL 3)
    .quad   0
    .fill   2 * WL_MAX_CPUS, 8, 0           // 0x40: one TSS descriptor (16 bytes) per vCPU
