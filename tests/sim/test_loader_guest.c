/* tests/sim/test_loader_guest.c - a tiny freestanding AArch64 guest, cross-compiled with
 * clang --target=aarch64-none-elf and ld.lld at build time (see CMakeLists.txt) so that
 * test_loader_real checks the loader on a real linker's output: text linked at a high
 * virtual address but loaded (AT) at 0x40080000, data + bss, and two Xen ELF notes in
 * an SHT_NOTE section that lld puts in a PT_NOTE segment. */
__asm__(".section .text.boot, \"ax\"\n"
        ".global _start\n"
        "_start:\n"
        "    adr x0, counter\n"
        "1:  wfi\n"
        "    b 1b\n"
        ".section .note.Xen, \"a\", %note\n"
        ".balign 4\n"
        /* XEN_ELFNOTE_GUEST_OS (6), a string */
        ".long 4, 12f - 11f, 6\n"
        ".asciz \"Xen\"\n"
        ".balign 4\n"
        "11: .asciz \"hvsim-test\"\n"
        "12: .balign 4\n"
        /* XEN_ELFNOTE_PHYS32_ENTRY (18), 4 bytes */
        ".long 4, 4, 18\n"
        ".asciz \"Xen\"\n"
        ".balign 4\n"
        ".long 0x40080000\n"
        ".text\n");

volatile int counter = 5;
volatile char scratch[8192];
