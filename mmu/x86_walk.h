/* mmu/x86_walk.h - functional x86 address translation: guest paging (no paging, 32-bit, PAE,
 * IA-32e 4-level and 5-level; Intel SDM vol. 3A ch. 4), EPT (SDM vol. 3C §29.3) and the
 * combined 2-D walk. The walkers count nothing: every paging-structure access goes through
 * the struct mmu_walk_port (mmu/walk_port.h), which the cost model implements.
 *
 * Levels (fault.level, port read/cas `level`, walk-state level): PML5 = 5, PML4 = 4,
 * PDPT = 3 (PAE: the PDPTE "registers"), PD = 2, PT = 1; the same numbers for EPT (stage 2).
 *
 * Return value of the walk functions: 0 = translated (res->fault.kind == MMU_FAULT_NONE);
 * -EFAULT = a fault, described in res->fault (kind != NONE); -EINVAL = invalid arguments
 * (impossible paging mode, MAXPHYADDR outside 32..52, invalid EPTP); -EAGAIN = an A/D update
 * lost its compare-and-swap 16 times in a row.
 *
 * Fault reporting:
 *  - guest (stage 1) faults: fault.stage = 1, fault.va = la, fault.arch = #PF error code
 *    (SDM vol. 3A §4.7: bit 0 P, 1 W/R, 2 U/S, 3 RSVD, 4 I/D, 5 PK = 0, 6 SS = 0).
 *    kind TRANSLATION = not present (P = 0), PERMISSION = protection violation,
 *    RESERVED = reserved bit set (error code has P and RSVD), EXTERNAL = port->read found no
 *    memory (no architectural #PF: the caller decides, e.g. machine check).
 *  - non-canonical linear address (IA-32e paging; SDM vol. 3A §3.3.7.1): kind
 *    MMU_X86_FAULT_NONCANONICAL (= MMU_FAULT_ADDRESS_SIZE, which x86 uses for nothing else),
 *    stage 1, level 0, arch 0, no memory reference made: the caller raises #GP(0) (#SS(0)
 *    for stack accesses).
 *  - EPT violation: fault.stage = 2, fault.ipa = GPA, fault.va = GLA (when known),
 *    kind TRANSLATION (an EPT entry not present) or PERMISSION, fault.arch = exit
 *    qualification (SDM vol. 3C Table 28-7): bits 0/1/2 access was read/write/fetch,
 *    bits 3/4/5 AND of the R/W/X bits of the EPT entries used (0 if one was not present),
 *    bit 6 AND of user-execute (bit 10) with MBEC, bit 7 GLA valid, bit 8 (when bit 7)
 *    1 = access to the translation of the GLA, 0 = access to a guest paging-structure entry,
 *    bits 9/10/11 (advanced information, when bits 7 and 8) guest U/S, R/W, XD of the GLA.
 *    fault.s1ptw = the violation was on a guest paging-structure access.
 *  - EPT misconfiguration: kind MMU_FAULT_MISCONFIG, stage 2, fault.ipa = GPA, arch 0.
 *
 * perms (struct mmu_walk_result.perms), MMU_X86_P_* below: guest R/W and U/S AND-ed over all
 * levels, XD OR-ed over all levels (only when EFER.NXE; always 0 with 32-bit paging), the leaf's
 * dirty state; for combined (EPT) results also the EPT R/W/X/user-X AND-ed over the EPT levels
 * of the final GPA. attrs: MMU_X86_A_* (leaf PWT/PCD/PAT, EPT memory type and IPAT).
 *
 * Model choices (documented deviations):
 *  - PAE: hardware loads the four PDPTEs at MOV CR3 (SDM vol. 3A §4.4.1); here they are read at
 *    walk time (level 3, through the port) and offered to the walk cache as a level-2 state
 *    (ia_shift 30), so a cost model with a PDPTE cache behaves like the PDPTE registers. A
 *    present PDPTE with reserved bits (a #GP at MOV CR3 on hardware) is reported as RESERVED.
 *  - A flags are set on each paging-structure entry as it is used; the leaf's A (and D for
 *    writes) only when the access is permitted (SDM vol. 3A §4.8). Under EPT, an A/D update of
 *    a guest entry first asks port->s2 again with write = true (EPT treats A/D updates to
 *    guest paging structures as writes, SDM vol. 3C §29.3.3.2); a nested TLB answers it.
 *  - Protection keys (CR4.PKE/PKS) and shadow stacks are not modelled: PK and SS are 0.
 */
#ifndef MMU_X86_WALK_H
#define MMU_X86_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/walk_port.h"

/* Control-register bits used (SDM vol. 3A §2.5, §2.2.1). */
#define MMU_X86_CR0_WP (1ull << 16)
#define MMU_X86_CR0_PG (1ull << 31)
#define MMU_X86_CR4_PSE (1ull << 4)
#define MMU_X86_CR4_PAE (1ull << 5)
#define MMU_X86_CR4_PGE (1ull << 7)
#define MMU_X86_CR4_LA57 (1ull << 12)
#define MMU_X86_CR4_PCIDE (1ull << 17)
#define MMU_X86_CR4_SMEP (1ull << 20)
#define MMU_X86_CR4_SMAP (1ull << 21)
#define MMU_X86_EFER_LME (1ull << 8)
#define MMU_X86_EFER_LMA (1ull << 10)
#define MMU_X86_EFER_NXE (1ull << 11)

/* EPTP fields (SDM vol. 3C §25.6.11). */
#define MMU_X86_EPTP_WB 6ull              /* bits 2:0 memory type (0 UC or 6 WB) */
#define MMU_X86_EPTP_WALK4 (3ull << 3)    /* bits 5:3 page-walk length - 1 */
#define MMU_X86_EPTP_WALK5 (4ull << 3)
#define MMU_X86_EPTP_AD (1ull << 6)       /* accessed/dirty flags enabled */

/* perms encoding */
#define MMU_X86_P_W (1u << 0)        /* R/W = 1 at every level */
#define MMU_X86_P_U (1u << 1)        /* U/S = 1 at every level (a user-mode address) */
#define MMU_X86_P_XD (1u << 2)       /* XD = 1 at some level (EFER.NXE = 1) */
#define MMU_X86_P_DIRTY (1u << 3)    /* leaf D = 1 (and EPT leaf D = 1 when EPT A/D is on) */
#define MMU_X86_P_NOPG (1u << 4)     /* CR0.PG = 0: no guest paging checks */
#define MMU_X86_P_EPT (1u << 8)      /* the EPT bits below are valid (combined entry) */
#define MMU_X86_P_EPT_R (1u << 9)
#define MMU_X86_P_EPT_W (1u << 10)
#define MMU_X86_P_EPT_X (1u << 11)   /* supervisor-mode execute with MBEC, else execute */
#define MMU_X86_P_EPT_XU (1u << 12)  /* user-mode execute (MBEC) */
#define MMU_X86_P_EPT_MBEC (1u << 13) /* mode-based execute control was on */

/* attrs encoding */
#define MMU_X86_A_PWT (1ull << 0)    /* leaf PWT, PCD, PAT: PAT index = attrs & 7 */
#define MMU_X86_A_PCD (1ull << 1)
#define MMU_X86_A_PAT (1ull << 2)
#define MMU_X86_A_EPT_MT_SHIFT 3     /* bits 5:3: EPT leaf memory type */
#define MMU_X86_A_EPT_IPAT (1ull << 6)
#define MMU_X86_A_EPT (1ull << 7)    /* EPT memory type valid */

/* #PF error code bits (SDM vol. 3A §4.7) */
#define MMU_X86_PF_P (1u << 0)
#define MMU_X86_PF_W (1u << 1)
#define MMU_X86_PF_U (1u << 2)
#define MMU_X86_PF_RSVD (1u << 3)
#define MMU_X86_PF_ID (1u << 4)

/* EPT-violation exit qualification bits (SDM vol. 3C Table 28-7) */
#define MMU_X86_EQ_READ (1u << 0)
#define MMU_X86_EQ_WRITE (1u << 1)
#define MMU_X86_EQ_FETCH (1u << 2)
#define MMU_X86_EQ_R (1u << 3)
#define MMU_X86_EQ_W (1u << 4)
#define MMU_X86_EQ_X (1u << 5)
#define MMU_X86_EQ_XU (1u << 6)
#define MMU_X86_EQ_GLA_VALID (1u << 7)
#define MMU_X86_EQ_GLA_XLATE (1u << 8)
#define MMU_X86_EQ_GLA_U (1u << 9)
#define MMU_X86_EQ_GLA_W (1u << 10)
#define MMU_X86_EQ_GLA_XD (1u << 11)

#define MMU_X86_FAULT_NONCANONICAL MMU_FAULT_ADDRESS_SIZE

struct mmu_x86_regs {    /* guest (or host) paging state */
    uint64_t cr0, cr3, cr4, efer;
    unsigned cpl;        /* 0..3 */
    bool rflags_ac;      /* for SMAP */
    unsigned maxphyaddr; /* CPUID.80000008 EAX[7:0], e.g. 46 (32..52) */
};

struct mmu_ept_regs {
    uint64_t eptp;
    bool enabled;
    bool mode_based_x;   /* secondary control "mode-based execute control for EPT" */
    unsigned maxphyaddr; /* 32..52 */
};

/* Guest paging (CR0.PG=0 -> identity; 32-bit; PAE; IA-32e 4-level; 5-level with CR4.LA57).
 * acc: MMU_ACC_READ/WRITE/EXEC, MMU_ACC_USER (force a user-mode access), MMU_ACC_IMPLICIT (an
 * implicit supervisor-mode access, e.g. GDT/IDT/TSS: supervisor whatever the CPL, and SMAP
 * applies regardless of RFLAGS.AC, SDM vol. 3A §4.6.1). Otherwise user-mode iff CPL = 3.
 * With port->s2 != NULL every paging-structure address is a GPA translated through port->s2
 * and res->oa is the GPA of la (the caller runs EPT on it). res->walk_refs counts the reads
 * made through port->read here (not those made inside port->s2). */
int mmu_x86_walk(const struct mmu_x86_regs *r, uint64_t la, unsigned acc, struct mmu_walk_port *port,
                 struct mmu_walk_result *res);

/* EPT walk of gpa (4-level, or 5-level if EPTP[5:3] == 4; 2M/1G pages; R/W/X; MBEC user-execute;
 * misconfigurations; A/D when EPTP bit 6). acc: READ/WRITE/EXEC; with MBEC, MMU_ACC_USER says the
 * GLA is a user-mode address (guest U/S = 1 at all levels) so bit 10 governs fetches.
 * for_paging_structure: the access is to a guest paging-structure entry (exit qualification bit 8
 * clear, fault.s1ptw; with EPT A/D on it is treated as a write, SDM vol. 3C §29.3.3.2).
 * gla/gla_valid: fault.va and qualification bit 7. res->oa = HPA, page_shift, perms (EPT bits
 * only, MMU_X86_P_EPT set), attrs (EPT memory type). */
int mmu_x86_ept_walk(const struct mmu_ept_regs *e, uint64_t gpa, unsigned acc, bool for_paging_structure,
                     uint64_t gla, bool gla_valid, struct mmu_walk_port *port, struct mmu_walk_result *res);

/* Combined: guest walk with EPT on every table address, then EPT on the final GPA (2-D walk).
 * e == NULL or !e->enabled: plain mmu_x86_walk with table addresses physical (port->s2 unused).
 * With EPT on and port->s2 == NULL, the table GPAs are translated here by mmu_x86_ept_walk
 * through the same port. res: oa = HPA, page_shift = min(guest, EPT), perms = guest | EPT bits,
 * attrs = guest | EPT, walk_refs = reads made here (guest + final EPT walk, + table EPT walks
 * when this function does them). */
int mmu_x86_translate(const struct mmu_x86_regs *r, const struct mmu_ept_regs *e, uint64_t la, unsigned acc,
                      struct mmu_walk_port *port, struct mmu_walk_result *res);

/* Re-check cached permissions on a TLB hit under the current CPL/CR0.WP/CR4.SMEP/SMAP/RFLAGS.AC/
 * EFER.NXE (and the EPT bits when MMU_X86_P_EPT). Also false for a write to an entry whose
 * MMU_X86_P_DIRTY is clear: the caller must re-walk so the D flag gets set (SDM vol. 3A §4.8). */
bool mmu_x86_perm_ok(uint32_t perms, unsigned acc, const struct mmu_x86_regs *r);

/* CR3[11:0] when CR4.PCIDE, else 0 (SDM vol. 3A §4.10.1). */
uint16_t mmu_x86_pcid(const struct mmu_x86_regs *r);

#endif
