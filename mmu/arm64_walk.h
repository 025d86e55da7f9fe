/* mmu/arm64_walk.h - the Arm VMSAv8-64 functional translation: stage 1 (EL1&0 and EL2
 * regimes), stage 2, the combined 2-D walk, AT -> PAR_EL1 and the permission check that a
 * TLB hit re-runs (ARM DDI0487 chapter D8 "The AArch64 Virtual Memory System Architecture").
 *
 * The walker counts nothing: every descriptor access goes through port->read (hardware
 * AF/dirty updates through port->cas), a nested stage-1 walk gets the PA of each table
 * descriptor from port->s2 (or from an internal stage-2 walk through the same port when
 * port->s2 is NULL), and port->pwc_lookup / pwc_fill (when non-NULL) start from / fill the
 * walk caches. Long-descriptor format only, 48-bit VA/IPA/PA (no FEAT_LVA/LPA/LPA2), no
 * Secure state (results are Non-secure: PAR_EL1.NS = 1 as on QEMU and Cortex-A cores).
 *
 * Encodings in struct mmu_walk_result (mmu/walk_port.h):
 *   perms: MMU_A64_P_* below. A stage-1 result has all MMU_A64_P_S2_* bits set, a stage-2
 *          result has all stage-1 bits and P_NOPAN set, a combined result is the AND of both, so
 *          mmu_a64_perm_ok() works on each of them. SCTLR.WXN and "EL0-writable is PXN" are
 *          already applied (they may be cached in a TLB, DDI0487 D8.4.1.3); PSTATE.PAN is
 *          applied by mmu_a64_perm_ok() from the current regs.
 *   attrs: PAR_EL1 layout: MAIR attribute byte << 56 | SH << 7 | NS << 9.
 *   page_shift: mapping size (combined: the smaller of the stage-1 and stage-2 sizes).
 *   walk_refs: descriptor reads made by this call, including the internal stage-2 walks
 *          (reads made behind an external port->s2 are not seen here).
 * struct mmu_walk_state.inherited: MMU_A64_INH_* (APTable, UXNTable/XNTable, PXNTable,
 *   NSTable accumulated from the upper tables). Nested stage-1 states name tables by IPA
 *   and have pa_valid = false (a stage-1 table may span several stage-2 pages). */
#ifndef MMU_ARM64_WALK_H
#define MMU_ARM64_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/walk_port.h"

/* perms bits */
#define MMU_A64_P_PR     (1u << 0)  /* stage 1: EL1 (EL2 for the EL2 regime) may read */
#define MMU_A64_P_PW     (1u << 1)  /* stage 1: EL1/EL2 may write */
#define MMU_A64_P_PX     (1u << 2)  /* stage 1: EL1/EL2 may execute */
#define MMU_A64_P_UR     (1u << 3)  /* stage 1: EL0 may read (also: PAN applies when UR|UW) */
#define MMU_A64_P_UW     (1u << 4)  /* stage 1: EL0 may write */
#define MMU_A64_P_UX     (1u << 5)  /* stage 1: EL0 may execute */
#define MMU_A64_P_S2R    (1u << 8)  /* stage 2: S2AP[0] read */
#define MMU_A64_P_S2W    (1u << 9)  /* stage 2: S2AP[1] write */
#define MMU_A64_P_S2PX   (1u << 10) /* stage 2: EL1 execute (XN[1] == 0) */
#define MMU_A64_P_S2UX   (1u << 11) /* stage 2: EL0 execute (XN[1] == 0) */
#define MMU_A64_P_NOPAN  (1u << 12) /* no stage-1 AP (MMU off / stage-2-only): PAN cannot apply */
#define MMU_A64_P_S1_ALL 0x3fu
#define MMU_A64_P_S2_ALL 0xf00u

/* struct mmu_walk_state.inherited bits (hierarchical attributes, DDI0487 D8.4.2) */
#define MMU_A64_INH_AP0  (1u << 0)  /* APTable[0]: no EL0 access below */
#define MMU_A64_INH_AP1  (1u << 1)  /* APTable[1]: no write below */
#define MMU_A64_INH_UXN  (1u << 2)  /* UXNTable (XNTable in the EL2 regime) */
#define MMU_A64_INH_PXN  (1u << 3)  /* PXNTable */
#define MMU_A64_INH_NS   (1u << 4)  /* NSTable (recorded only; no Secure state modelled) */

/* EL1&0 (TTBR0/1_EL1) and EL2 (TTBR0_EL2, HCR_EL2.E2H == 0) */
enum mmu_a64_regime { MMU_A64_EL10, MMU_A64_EL2 };

struct mmu_a64_regs {          /* the system-register state a translation depends on */
    uint64_t sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1;
    uint64_t sctlr_el2, tcr_el2, ttbr0_el2, mair_el2;
    uint64_t hcr_el2, vtcr_el2, vttbr_el2;
    bool pan;                  /* PSTATE.PAN */
    unsigned pa_bits;          /* ID_AA64MMFR0_EL1.PARange as bits (32..48; more = 48) */
    bool hw_af, hw_dbm;        /* FEAT_HAFDBS advertised (TCR.HA/HD still control) */
};

/* Stage 1 of `regime` for va. With stage 2 enabled (HCR_EL2.VM and regime EL10) table
 * addresses are IPAs translated through port->s2; res->oa is then the IPA of va (the caller
 * runs stage 2 on it). Includes the permission check for acc (enum mmu_access bits).
 * Returns 0, or -1 with res->fault filled (fault.arch = FSC). */
int mmu_a64_walk_s1(const struct mmu_a64_regs *r, enum mmu_a64_regime regime, uint64_t va,
                    unsigned acc, struct mmu_walk_port *port, struct mmu_walk_result *res);
/* Stage 2 (VTTBR_EL2/VTCR_EL2) for ipa. s1ptw: this is a stage-1 table access (faults get
 * fault.s1ptw). Returns 0, or -1 with res->fault filled (stage 2, ipa set, va = ipa). */
int mmu_a64_walk_s2(const struct mmu_a64_regs *r, uint64_t ipa, unsigned acc, bool s1ptw,
                    struct mmu_walk_port *port, struct mmu_walk_result *res);
/* Combined 2-D translation: stage 1 then stage 2 of its output when stage 2 is enabled.
 * When port->s2 is NULL the stage-1 table IPAs are translated by internal stage-2 walks
 * through the same port. Returns 0, or -1 with res->fault filled. */
int mmu_a64_translate(const struct mmu_a64_regs *r, enum mmu_a64_regime regime, uint64_t va,
                      unsigned acc, struct mmu_walk_port *port, struct mmu_walk_result *res);
/* Permission check of cached perms (TLB hit) for an access under the current PSTATE.PAN. */
bool mmu_a64_perm_ok(uint32_t perms, unsigned acc, const struct mmu_a64_regs *r,
                     enum mmu_a64_regime regime);
/* The ASID of the EL1&0 regime: TCR_EL1.A1 selects TTBR0/TTBR1's ASID for every VA (DDI0487
 * D8.x "ASID"); TCR_EL1.AS = 0 -> 8-bit. va is accepted for symmetry and does not matter. */
uint16_t mmu_a64_asid(const struct mmu_a64_regs *r, uint64_t va);
uint16_t mmu_a64_vmid(const struct mmu_a64_regs *r);   /* VTTBR_EL2.VMID, VTCR_EL2.VS 16-bit */
bool mmu_a64_s2_enabled(const struct mmu_a64_regs *r, enum mmu_a64_regime regime);

/* AT (ARM DDI0487 C5.5 / D8.x "Address translation instructions"), as executed at EL2 (so
 * stage-2 faults of S1E1* / S12E1* are reported in PAR_EL1 with S=1 rather than trapped).
 * Returns the exact PAR_EL1: F=0: PA[47:12] | ATTR [63:56] | bit 11 RES1 | NS bit 9 | SH [8:7];
 * F=1: FST [6:1] | PTW bit 8 | S bit 9 | bit 11 RES1 | F. res (may be NULL) gets the walk. */
enum mmu_a64_at_op { MMU_AT_S1E1R, MMU_AT_S1E1W, MMU_AT_S1E0R, MMU_AT_S1E0W, MMU_AT_S1E1RP,
                     MMU_AT_S1E1WP, MMU_AT_S12E1R, MMU_AT_S12E1W, MMU_AT_S12E0R, MMU_AT_S12E0W,
                     MMU_AT_S1E2R, MMU_AT_S1E2W };
uint64_t mmu_a64_at(const struct mmu_a64_regs *r, enum mmu_a64_at_op op, uint64_t va,
                    struct mmu_walk_port *port, struct mmu_walk_result *res /* may be NULL */);
/* ESR ISS fault status code (DFSC/IFSC) of a fault: translation 0b0001LL, access flag
 * 0b0010LL, permission 0b0011LL, address size 0b0000LL, sync external abort on walk 0b0101LL. */
unsigned mmu_a64_fsc(const struct mmu_fault *f);

#endif
