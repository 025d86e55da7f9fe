// Bare-mode entry (x86_64): clear BSS, call main, stop at the end marker.
// hvsim's bare mode stops at HLT with RFLAGS.IF = 0 (hvsim run --help); rax holds main's result.
    .section .text.start, "ax"
    .global _start
_start:
    lea     __bss_start(%rip), %rdi
    lea     __bss_end(%rip), %rcx
    sub     %rdi, %rcx
    shr     $3, %rcx
    xor     %eax, %eax
    cld
    rep stosq
    and     $-16, %rsp
    call    main
    cli
    hlt
    jmp     .
