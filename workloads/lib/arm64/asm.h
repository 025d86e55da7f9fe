/* workloads/lib/arm64/asm.h - constants shared by head.S and the C runtime. */
#ifndef WL_ARM64_ASM_H
#define WL_ARM64_ASM_H

#define WL_MAX_CPUS   8
#define WL_MAX_TASKS  8
#define WL_STACK_SIZE 0x4000
#define FRAME_SIZE    272   /* x0..x30, sp_el0, elr, spsr */

/* TCR_EL1 (ARM DDI0487 D17.2.131): T0SZ=T1SZ=16, IRGN/ORGN WB-WA, inner shareable, TG0=4K,
 * TG1=4K (0b10), A1=1 (ASID from TTBR1). IPS is ORed in at run time. */
#define TCR_VALUE ((16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | \
                   (16 << 16) | (1 << 22) | (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30))
/* SCTLR_EL1: M, C, SA, SA0, I, nTWI, nTWE + the v8.0 RES1 bits 11, 20, 22, 23, 28, 29. */
#define SCTLR_VALUE ((1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12) | (1 << 16) | \
                     (1 << 18) | (1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | (1 << 28) | \
                     (1 << 29))

#endif
