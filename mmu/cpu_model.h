/* mmu/cpu_model.h - CPU-model presets: TLB / walk-cache / data-cache geometry, latencies,
 * clock frequency and the per-instruction-class cycle-cost table, each number with its
 * source (or "estimate: ..." where no published figure was found). The table lives in
 * mmu/cpu_model.c; the model is documented in docs/model.md "Translation cost model".
 *
 * Every numeric parameter is one entry of MMU_CPU_MODEL_FIELDS, so listing, JSON, the
 * override parser and the tests iterate over the same list. */
#ifndef MMU_CPU_MODEL_H
#define MMU_CPU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* X(field, group, description). Geometry "entries" with ways == entries is fully
 * associative. Cache sizes in KiB, 64-byte lines. Latencies in core cycles. */
#define MMU_CPU_MODEL_FIELDS(X)                                                                \
    X(freq_mhz, "clock", "core clock frequency (MHz), converts cycles to ns")                 \
    X(itlb_entries, "tlb", "L1 instruction TLB entries")                                      \
    X(itlb_ways, "tlb", "L1 instruction TLB associativity")                                   \
    X(dtlb_entries, "tlb", "L1 data TLB entries")                                             \
    X(dtlb_ways, "tlb", "L1 data TLB associativity")                                          \
    X(stlb_entries, "tlb", "unified L2 TLB (STLB) entries")                                   \
    X(stlb_ways, "tlb", "unified L2 TLB associativity")                                       \
    X(stlb_latency, "tlb", "extra cycles of an L1 TLB miss that hits the L2 TLB")             \
    X(pwc_s1_entries, "pwc", "stage-1 walk cache entries (Arm walk cache / Intel PML4E+PDPTE+PDE caches), fully assoc.") \
    X(pwc_s2_entries, "pwc", "stage-2 walk cache entries (partial stage-2 / EPT walks), fully assoc.") \
    X(ntlb_entries, "pwc", "nested TLB entries (Arm IPA cache / stage-2 IPA->PA for table fetches), fully assoc.") \
    X(l1d_kib, "cache", "L1 data cache size (KiB)")                                           \
    X(l1d_ways, "cache", "L1 data cache associativity")                                       \
    X(l1d_latency, "cache", "L1D load-to-use latency (cycles)")                              \
    X(l2_kib, "cache", "L2 cache size (KiB)")                                                 \
    X(l2_ways, "cache", "L2 cache associativity")                                             \
    X(l2_latency, "cache", "L2 hit latency (cycles, total, not added to L1)")                \
    X(llc_kib, "cache", "last-level cache size (KiB)")                                        \
    X(llc_ways, "cache", "last-level cache associativity")                                    \
    X(llc_latency, "cache", "LLC hit latency (cycles, total)")                               \
    X(dram_latency, "cache", "memory latency (cycles, total)")                               \
    X(flat_latency, "cache", "per-access latency when the cache model is off (cache=off)")   \
    X(cost_alu, "cost", "integer ALU op")                                                     \
    X(cost_mul, "cost", "integer multiply (64-bit)")                                          \
    X(cost_div, "cost", "integer divide (64-bit, typical)")                                   \
    X(cost_branch_taken, "cost", "taken branch (predicted)")                                  \
    X(cost_branch_not_taken, "cost", "not-taken branch")                                      \
    X(cost_load, "cost", "load issue (the data access itself is charged by the cache model)") \
    X(cost_store, "cost", "store issue (the data access itself is charged by the cache model)") \
    X(cost_barrier, "cost", "barrier / serialising fence (DSB+ISB, MFENCE)")                  \
    X(cost_sysreg, "cost", "system-register / control-register access (MSR/MRS, MOV CRn, RDMSR)") \
    X(cost_exc_entry, "cost", "exception entry within the guest (EL0->EL1 / IDT delivery)")   \
    X(cost_exc_return, "cost", "exception return within the guest (ERET / IRETQ)")            \
    X(cost_hvc_roundtrip, "cost", "hypercall trap to the hypervisor and back (HVC+ERET / VMCALL exit+entry), empty handler") \
    X(cost_vmexit, "cost", "world switch guest -> hypervisor (Arm: exception entry to EL2; x86: VM exit)") \
    X(cost_vmentry, "cost", "world switch hypervisor -> guest (Arm: ERET from EL2; x86: VM entry)")

enum mmu_cpu_field {
#define MMU_CM_ENUM(f, g, d) MMU_CM_##f,
    MMU_CPU_MODEL_FIELDS(MMU_CM_ENUM)
#undef MMU_CM_ENUM
    MMU_CM_NFIELDS
};

struct mmu_cpu_model {
    char name[32];
    const char *arch;        /* "arm64" or "x86_64" */
    const char *desc;
#define MMU_CM_MEMBER(f, g, d) uint32_t f;
    MMU_CPU_MODEL_FIELDS(MMU_CM_MEMBER)
#undef MMU_CM_MEMBER
    bool cache_enabled;      /* false: every data access costs flat_latency (--cache off) */
    const char *src[MMU_CM_NFIELDS]; /* source of every number ("estimate: ..." if none) */
};

/* Field metadata (name, group, description) and value access by index. */
const char *mmu_cpu_field_name(unsigned field);
const char *mmu_cpu_field_group(unsigned field);
const char *mmu_cpu_field_desc(unsigned field);
uint32_t mmu_cpu_field_get(const struct mmu_cpu_model *m, unsigned field);

/* The preset named `name` (cortex-a57, neoverse-n1, skylake, icelake), or NULL. */
const struct mmu_cpu_model *mmu_cpu_model_find(const char *name);
/* Preset by index (0..), NULL past the end. */
const struct mmu_cpu_model *mmu_cpu_model_at(unsigned i);

/* What `hvsim run --cpu help` prints: every preset with geometry, latencies and sources. */
void mmu_cpu_model_list(FILE *f);

/* Apply an override to a copy of a preset. `what` is "tlb", "pwc" or "cache" and selects
 * which keys are allowed; spec is a comma-separated list of key=value:
 *   tlb:   itlb=ENTRIESxWAYS  dtlb=ENTRIESxWAYS  l2=ENTRIESxWAYS (or stlb=)  l2lat=CYCLES
 *          ("fa" as WAYS = fully associative, e.g. dtlb=32xfa)
 *   pwc:   pwc=N (both stages)  s1=N  s2=N  ntlb=N   (N = 0 disables that cache)
 *   cache: off | on | off:CYCLES (cache model off, flat latency)  dram=CYCLES
 *          l1d=KIBk:WAYS:LATENCY  l2=KIBk:WAYS:LATENCY  llc=KIBk:WAYS:LATENCY
 *          (e.g. l1d=32k:8:4; sizes in KiB with a k suffix or M for MiB)
 * Parsing is strict: unknown keys, trailing characters, zero or non-power-of-two set
 * counts are rejected with -EINVAL and a message in err. The source of every changed
 * number becomes "override". */
int mmu_cpu_model_override(struct mmu_cpu_model *m, const char *what, const char *spec,
                           char *err, size_t errlen);

/* {"name":..., "arch":..., "cache_enabled":..., "<field>": N, ...}. Returns the length
 * (excluding NUL) or -ENOSPC if buf is too small. */
int mmu_cpu_model_to_json(const struct mmu_cpu_model *m, char *buf, size_t len);

/* Check a model's geometry (set counts integral and powers of two, non-zero sizes):
 * 0 or -EINVAL with a message. */
int mmu_cpu_model_check(const struct mmu_cpu_model *m, char *err, size_t errlen);

#endif
