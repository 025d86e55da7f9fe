/* workloads/lib/x86_64/asm.h - constants shared by the assembly (head.S, entry.S) and the C
 * runtime: layout of the GDT, the per-CPU entry data reached through GS, and the trap frame. */
#ifndef WL_X86_64_ASM_H
#define WL_X86_64_ASM_H

#define WL_MAX_CPUS   8
#define WL_MAX_TASKS  8
#define WL_STACK_SIZE 0x4000
#define WL_IST_SIZE   0x1000

/* The kernel's linear map: VA = PA + WL_KVA_BASE for the first GiB of RAM (Linux
 * __START_KERNEL_map, arch/x86/include/asm/page_64_types.h). The image is loaded at 1 MiB. */
#define WL_KVA_BASE   0xffffffff80000000
#define WL_LOAD_PA    0x100000
#define WL_PA(x)      ((x) - WL_KVA_BASE)

/* GDT selectors, in Linux's order (arch/x86/include/asm/segment.h) so that SYSCALL/SYSRET
 * find their segments at fixed offsets (Intel SDM vol. 3A §5.8.8: SYSCALL CS = STAR[47:32],
 * SS = +8; SYSRET to 64-bit CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, RPL 3). */
#define SEL_KCODE32 0x08
#define SEL_KCODE   0x10
#define SEL_KDATA   0x18
#define SEL_UCODE32 0x23
#define SEL_UDATA   0x2b
#define SEL_UCODE   0x33
#define SEL_TSS     0x40    /* + 16 * cpu: one 16-byte 64-bit TSS descriptor per vCPU */
#define GDT_ENTRIES (8 + 2 * WL_MAX_CPUS)

/* Per-CPU entry data (struct wl_pcpu in rt.h), the kernel GS base; offsets. */
#define PC_SELF  0
#define PC_KCR3  8      /* CR3 value for kernel entry (KPTI) */
#define PC_UCR3  16     /* CR3 value for the return to user mode (KPTI) */
#define PC_STACK 24     /* top of this vCPU's kernel stack (= TSS.RSP0) */
#define PC_URSP  32     /* user RSP parked by the SYSCALL entry */
#define PC_CPU   40
#define PC_KPTI  48
#define PC_SIZE  64

/* Trap frame (struct wl_frame): GPRs pushed by the entry code, vector, error code, then the
 * hardware frame of an interrupt in 64-bit mode (SDM vol. 3A §6.14.2). */
#define FR_R11    32
#define FR_RCX    96
#define FR_RAX    112
#define FR_VECTOR 120
#define FR_ERROR  128
#define FR_RIP    136
#define FR_CS     144
#define FR_RFLAGS 152
#define FR_RSP    160
#define FR_SS     168
#define FRAME_SIZE 176
#define WL_VEC_SYSCALL 256

#define WL_VEC_TIMER   0xec   /* Linux LOCAL_TIMER_VECTOR */
#define WL_VEC_UPCALL  0xf3   /* Linux HYPERVISOR_CALLBACK_VECTOR */
#define WL_VEC_SPURIOUS 0xff

#endif
