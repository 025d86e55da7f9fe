/* mmu/walk_port.h - the contract between the functional page-table walkers (which address,
 * which fault) and the cost model (what it cost). A walker never counts anything: it makes
 * every memory reference through a struct mmu_walk_port, and the cost model behind the port
 * counts each reference exactly once (by stage and level), runs it through the walk caches
 * and the data-cache model, and charges cycles. Tests can plug in a trivial port.
 *
 * Used by mmu/arm64_walk.c (VMSAv8-64 stage 1 and 2, ARM DDI0487 D8) and mmu/x86_walk.c
 * (IA-32e/PAE/32-bit paging and EPT, Intel SDM vol. 3A ch. 4 and vol. 3C ch. 29). */
#ifndef MMU_WALK_PORT_H
#define MMU_WALK_PORT_H

#include <stdbool.h>
#include <stdint.h>

/* Access type of the translated access (a bit set). */
enum mmu_access {
    MMU_ACC_READ = 1u << 0,
    MMU_ACC_WRITE = 1u << 1,
    MMU_ACC_EXEC = 1u << 2,   /* instruction fetch */
    MMU_ACC_USER = 1u << 3,   /* made with EL0 / CPL3 privilege (LDTR/STTR, AT S1E0*) */
    MMU_ACC_NOPAN = 1u << 4,  /* Arm: ignore PSTATE.PAN (AT S1E1R/W; PAN-honouring forms omit it) */
    MMU_ACC_IMPLICIT = 1u << 5, /* x86: implicit supervisor access (GDT/IDT/TSS): SMAP applies
                                   whatever RFLAGS.AC says (Intel SDM vol. 3A §4.6.1) */
};

enum mmu_fault_kind {
    MMU_FAULT_NONE = 0,
    MMU_FAULT_TRANSLATION,  /* Arm translation fault / x86 not-present / EPT violation (not present) */
    MMU_FAULT_ACCESS_FLAG,  /* Arm AF == 0 without hardware AF */
    MMU_FAULT_PERMISSION,   /* Arm permission fault / x86 protection #PF / EPT violation (perm) */
    MMU_FAULT_ADDRESS_SIZE, /* Arm address size fault (OA or table address beyond PS/IPS) */
    MMU_FAULT_EXTERNAL,     /* the walker's descriptor read hit no memory (synchronous external abort on walk) */
    MMU_FAULT_RESERVED,     /* x86 reserved bit set (#PF RSVD) */
    MMU_FAULT_MISCONFIG,    /* EPT misconfiguration */
};

struct mmu_fault {
    enum mmu_fault_kind kind;
    int stage;        /* 1, or 2 for stage 2 / EPT */
    int level;        /* lookup level where it was detected (Arm 0..3, -1 for 52-bit; x86 4..1 as
                         PML4=4 ... PT=1; PML5 = 5) */
    bool s1ptw;       /* stage-2 fault taken on a stage-1 table walk access */
    bool write;       /* the faulting access was a write (for a s1ptw fault: the descriptor access) */
    uint64_t va;      /* input address of the whole translation (FAR / CR2 / guest-linear) */
    uint64_t ipa;     /* stage-2 faults: the IPA / guest-physical address (HPFAR, EPT GPA) */
    uint32_t arch;    /* x86: #PF error code, or the EPT-violation exit qualification;
                         Arm: the fault status code (DFSC/IFSC, 6 bits) */
};

/* Result of one translation (stage 1 only, stage 2 only, or combined). */
struct mmu_walk_result {
    uint64_t oa;          /* output address of the input address (byte-exact) */
    unsigned page_shift;  /* log2 size of the mapping that was used (12, 14, 16, 21, 25, 29, 30, 42) */
    uint32_t perms;       /* arch-encoded permission bits, re-checked against the current mode
                             on every TLB hit by the arch's check function */
    uint64_t attrs;       /* arch-encoded memory attributes (Arm: MAIR attr byte << 56 | SH << 7 | NS << 9,
                             i.e. PAR_EL1 layout; x86: PAT/PCD/PWT bits) */
    bool global;          /* not tagged with ASID/PCID (Arm nG == 0, x86 G with CR4.PGE) */
    unsigned walk_refs;   /* references this walk made (stage 1 + stage 2), for convenience */
    struct mmu_fault fault; /* kind == MMU_FAULT_NONE on success */
};

/* Where a walk is: used to start from a walk-cache entry and to fill walk caches. */
struct mmu_walk_state {
    int level;            /* the level whose descriptor is read next */
    unsigned ia_shift;    /* the table at `level` covers input addresses with the same
                             ia >> ia_shift (the walk-cache tag) */
    uint64_t table;       /* address of the table at `level` as the walker names it
                             (stage 1 nested: an IPA/GPA; otherwise a PA) */
    uint64_t table_pa;    /* its PA, when known (pa_valid) */
    bool pa_valid;
    uint64_t inherited;   /* arch-encoded attributes accumulated from upper tables
                             (Arm APTable/UXNTable/PXNTable/NSTable; x86 U/S, R/W, XD AND-ed) */
};

struct mmu_walk_port {
    void *opaque;
    /* Read one descriptor (size 4 or 8, little-endian) at physical address pa, made by a
     * stage-`stage` walk at `level`. Returns 0, or -EFAULT if no memory is there. */
    int (*read)(void *opaque, uint64_t pa, unsigned size, int stage, int level, uint64_t *val);
    /* Atomically replace a descriptor (hardware A/D or AF update): returns 0 if it was
     * `expect` and is now `desired`, 1 if it no longer held `expect`, or -EFAULT. */
    int (*cas)(void *opaque, uint64_t pa, unsigned size, int stage, int level,
               uint64_t expect, uint64_t desired);
    /* Stage 2 of a nested walk: translate the IPA/GPA of a stage-1 table (s1_level = the
     * level of the table being fetched). The final output of stage 1 is translated by the
     * caller, not here. NULL when there is no stage 2: table addresses are then physical. Returns 0 and sets *pa, or fills *fault
     * (fault->s1ptw set by the walker) and returns -1. The implementation may answer from a
     * nested TLB; otherwise it runs the stage-2 walker through its own port (stage = 2). */
    int (*s2)(void *opaque, uint64_t ipa, int s1_level, bool write, uint64_t *pa,
              struct mmu_fault *fault);
    /* Walk caches (optional, NULL = none). Before the first read, the walker asks for the
     * deepest cached state covering ia; on a hit it starts there (the inherited attributes
     * come from the entry). After every table descriptor it reads, it offers the state of
     * the next level for caching. */
    bool (*pwc_lookup)(void *opaque, int stage, uint64_t ia, struct mmu_walk_state *st);
    void (*pwc_fill)(void *opaque, int stage, uint64_t ia, const struct mmu_walk_state *st);
};

#endif
