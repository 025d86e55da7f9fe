/* mmu/cpu_model.c - CPU-model presets (see cpu_model.h). One table; every number carries
 * a source string. "estimate" marks every number that is not a published figure, or that
 * xen-abi.md §9 lists as UNVERIFIED. Abbreviations in the sources:
 *   A57 TRM  = ARM Cortex-A57 MPCore Processor Technical Reference Manual (ARM DDI 0488)
 *   A57 SOG  = ARM Cortex-A57 Software Optimization Guide (ARM UAN 0015B)
 *   N1 TRM   = ARM Neoverse N1 Core Technical Reference Manual (ARM 100616)
 *   N1 SOG   = ARM Neoverse N1 Software Optimization Guide (PJDOC-466751330-9685)
 *   IORM     = Intel 64 and IA-32 Architectures Optimization Reference Manual (Table 2-15 and
 *              the Skylake cache table), as quoted in /work/shared/reference/xen-abi.md §9(d)
 *   Agner    = Agner Fog, "Instruction tables" (lists of latencies and reciprocal throughputs)
 *   ISCA16   = Dall et al., "ARM Virtualization: Performance and Architectural Implications",
 *              ISCA 2016 (xen-abi.md §9a)
 *   SplitX   = Landau, Ben-Yehuda, Gordon, "SplitX", WIOV 2011 (xen-abi.md §9c) */
#include "mmu/cpu_model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define S(f) [MMU_CM_##f]

static const struct mmu_cpu_model presets[] = {
    {
        .name = "cortex-a57",
        .arch = "arm64",
        .desc = "ARM Cortex-A57 (ARMv8.0-A), e.g. Juno r1/r2, AMD Opteron A1100",
        .freq_mhz = 2000,
        .itlb_entries = 48, .itlb_ways = 48,
        .dtlb_entries = 32, .dtlb_ways = 32,
        .stlb_entries = 1024, .stlb_ways = 4, .stlb_latency = 6,
        .pwc_s1_entries = 16, .pwc_s2_entries = 16, .ntlb_entries = 16,
        .l1d_kib = 32, .l1d_ways = 2, .l1d_latency = 4,
        .l2_kib = 2048, .l2_ways = 16, .l2_latency = 18,
        .llc_kib = 8192, .llc_ways = 16, .llc_latency = 40,
        .dram_latency = 200, .flat_latency = 4,
        .cost_alu = 1, .cost_mul = 5, .cost_div = 20,
        .cost_branch_taken = 1, .cost_branch_not_taken = 1,
        .cost_load = 1, .cost_store = 1, .cost_barrier = 30, .cost_sysreg = 5,
        .cost_exc_entry = 30, .cost_exc_return = 30,
        .cost_hvc_roundtrip = 100, .cost_vmexit = 50, .cost_vmentry = 50,
        .cache_enabled = true,
        .src = {
            S(freq_mhz) = "estimate: A57 parts ship at 1.1-2.0 GHz (Juno r1 1.15 GHz, Opteron A1100 2.0 GHz)",
            S(itlb_entries) = "A57 TRM 5.2 (48-entry fully associative L1 instruction TLB); xen-abi.md 9(d)",
            S(itlb_ways) = "A57 TRM 5.2 (fully associative)",
            S(dtlb_entries) = "A57 TRM 5.2 (32-entry fully associative L1 data TLB); xen-abi.md 9(d)",
            S(dtlb_ways) = "A57 TRM 5.2 (fully associative)",
            S(stlb_entries) = "A57 TRM 5.2 (1024-entry unified L2 TLB); xen-abi.md 9(d)",
            S(stlb_ways) = "A57 TRM 5.2 (4-way set associative)",
            S(stlb_latency) = "estimate: L2 TLB hit latency not published",
            S(pwc_s1_entries) = "estimate: A57 TRM names a walk cache, size UNVERIFIED (xen-abi.md 9(b))",
            S(pwc_s2_entries) = "estimate: partial stage-2 walk caching, size UNVERIFIED",
            S(ntlb_entries) = "estimate: A57 TRM names an IPA cache, size UNVERIFIED (xen-abi.md 9(b))",
            S(l1d_kib) = "A57 TRM 6.1 (32KB L1 data cache)",
            S(l1d_ways) = "A57 TRM 6.1 (2-way set associative)",
            S(l1d_latency) = "A57 SOG 3 (load latency 4 cycles); xen-abi.md 9(d)",
            S(l2_kib) = "A57 TRM 7.1 (512KB-2MB configurable; 2MB chosen as on Juno / A1100)",
            S(l2_ways) = "A57 TRM 7.1 (16-way set associative)",
            S(l2_latency) = "estimate: xen-abi.md 9(d) 15-21 cycles, UNVERIFIED",
            S(llc_kib) = "estimate: SoC L3 of X-Gene / Opteron A1100 (8MB), not part of the core",
            S(llc_ways) = "estimate: 16-way assumed",
            S(llc_latency) = "estimate: SoC L3 latency UNVERIFIED",
            S(dram_latency) = "estimate: ~100 ns at 2 GHz",
            S(flat_latency) = "modelling choice: with the cache model off every access costs the L1D latency",
            S(cost_alu) = "A57 SOG 3.3 (ADD/logical latency 1)",
            S(cost_mul) = "A57 SOG 3.3 (MUL/MADD X-form latency 5)",
            S(cost_div) = "estimate: A57 SOG 3.3 SDIV/UDIV X-form 4-36 cycles, typical value chosen",
            S(cost_branch_taken) = "A57 SOG 3.3 (B/BL latency 1, predicted)",
            S(cost_branch_not_taken) = "A57 SOG 3.3 (branch latency 1)",
            S(cost_load) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_store) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_barrier) = "estimate: DSB/ISB drain cost not published",
            S(cost_sysreg) = "estimate: MRS/MSR latency not published for most registers",
            S(cost_exc_entry) = "estimate: exception entry (pipeline flush + vector fetch) not published",
            S(cost_exc_return) = "estimate: ERET cost not published",
            S(cost_hvc_roundtrip) = "estimate: xen-abi.md 9(c) bare HVC+ERET ~100 cycles UNVERIFIED; full Xen null hypercall 376 on X-Gene (ISCA16)",
            S(cost_vmexit) = "estimate: half of cost_hvc_roundtrip (exception entry to EL2)",
            S(cost_vmentry) = "estimate: half of cost_hvc_roundtrip (ERET from EL2)",
        },
    },
    {
        .name = "neoverse-n1",
        .arch = "arm64",
        .desc = "ARM Neoverse N1 (ARMv8.2-A), e.g. Ampere Altra, AWS Graviton2",
        .freq_mhz = 3000,
        .itlb_entries = 48, .itlb_ways = 48,
        .dtlb_entries = 48, .dtlb_ways = 48,
        .stlb_entries = 1280, .stlb_ways = 5, .stlb_latency = 5,
        .pwc_s1_entries = 16, .pwc_s2_entries = 16, .ntlb_entries = 16,
        .l1d_kib = 64, .l1d_ways = 4, .l1d_latency = 4,
        .l2_kib = 1024, .l2_ways = 8, .l2_latency = 11,
        .llc_kib = 16384, .llc_ways = 16, .llc_latency = 35,
        .dram_latency = 300, .flat_latency = 4,
        .cost_alu = 1, .cost_mul = 2, .cost_div = 12,
        .cost_branch_taken = 1, .cost_branch_not_taken = 1,
        .cost_load = 1, .cost_store = 1, .cost_barrier = 30, .cost_sysreg = 5,
        .cost_exc_entry = 25, .cost_exc_return = 25,
        .cost_hvc_roundtrip = 100, .cost_vmexit = 50, .cost_vmentry = 50,
        .cache_enabled = true,
        .src = {
            S(freq_mhz) = "Ampere Altra Q80-30 (3.0 GHz product specification)",
            S(itlb_entries) = "N1 TRM (48-entry fully associative L1 instruction TLB); xen-abi.md 9(d)",
            S(itlb_ways) = "N1 TRM (fully associative)",
            S(dtlb_entries) = "N1 TRM (48-entry fully associative L1 data TLB); xen-abi.md 9(d)",
            S(dtlb_ways) = "N1 TRM (fully associative)",
            S(stlb_entries) = "N1 TRM (1280-entry unified L2 TLB); xen-abi.md 9(d)",
            S(stlb_ways) = "N1 TRM (5-way set associative); xen-abi.md 9(d)",
            S(stlb_latency) = "estimate: L2 TLB hit latency not published",
            S(pwc_s1_entries) = "estimate: walk cache size UNVERIFIED (xen-abi.md 9(d))",
            S(pwc_s2_entries) = "estimate: partial stage-2 walk caching, size UNVERIFIED",
            S(ntlb_entries) = "estimate: IPA cache size UNVERIFIED",
            S(l1d_kib) = "N1 TRM (64KB L1 data cache); xen-abi.md 9(d)",
            S(l1d_ways) = "N1 TRM (4-way set associative); xen-abi.md 9(d) (SagePTE Altra Max config)",
            S(l1d_latency) = "xen-abi.md 9(d) (N1 L1D 4 cycles)",
            S(l2_kib) = "xen-abi.md 9(d) (Altra Max: L2 1 MiB per core)",
            S(l2_ways) = "xen-abi.md 9(d) (Altra Max: L2 8-way)",
            S(l2_latency) = "estimate: xen-abi.md 9(d) 9-11 cycles, upper value",
            S(llc_kib) = "xen-abi.md 9(d) (Altra Max SLC 16 MiB, SagePTE artifact config)",
            S(llc_ways) = "estimate: SLC associativity not published, 16-way assumed",
            S(llc_latency) = "estimate: SLC latency UNVERIFIED (xen-abi.md 9(d))",
            S(dram_latency) = "estimate: ~100 ns at 3 GHz",
            S(flat_latency) = "modelling choice: with the cache model off every access costs the L1D latency",
            S(cost_alu) = "N1 SOG 3 (ADD/logical latency 1)",
            S(cost_mul) = "estimate: N1 SOG 3 lists MUL latency 2-4, lower value chosen",
            S(cost_div) = "estimate: N1 SOG 3 SDIV/UDIV X-form 5-20 cycles, typical value chosen",
            S(cost_branch_taken) = "N1 SOG 3 (B latency 1, predicted)",
            S(cost_branch_not_taken) = "N1 SOG 3 (branch latency 1)",
            S(cost_load) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_store) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_barrier) = "estimate: DSB/ISB drain cost not published",
            S(cost_sysreg) = "estimate: MRS/MSR latency not published for most registers",
            S(cost_exc_entry) = "estimate: exception entry cost not published",
            S(cost_exc_return) = "estimate: ERET cost not published",
            S(cost_hvc_roundtrip) = "estimate: xen-abi.md 9(c) bare HVC+ERET on A57/A72/N1 ~100 cycles, UNVERIFIED",
            S(cost_vmexit) = "estimate: half of cost_hvc_roundtrip (exception entry to EL2)",
            S(cost_vmentry) = "estimate: half of cost_hvc_roundtrip (ERET from EL2)",
        },
    },
    {
        .name = "skylake",
        .arch = "x86_64",
        .desc = "Intel Skylake client (6th gen Core), SKX core TLBs are the same",
        .freq_mhz = 3400,
        .itlb_entries = 128, .itlb_ways = 8,
        .dtlb_entries = 64, .dtlb_ways = 4,
        .stlb_entries = 1536, .stlb_ways = 12, .stlb_latency = 9,
        .pwc_s1_entries = 32, .pwc_s2_entries = 32, .ntlb_entries = 16,
        .l1d_kib = 32, .l1d_ways = 8, .l1d_latency = 4,
        .l2_kib = 256, .l2_ways = 4, .l2_latency = 12,
        .llc_kib = 8192, .llc_ways = 16, .llc_latency = 44,
        .dram_latency = 250, .flat_latency = 4,
        .cost_alu = 1, .cost_mul = 3, .cost_div = 40,
        .cost_branch_taken = 2, .cost_branch_not_taken = 1,
        .cost_load = 1, .cost_store = 1, .cost_barrier = 33, .cost_sysreg = 50,
        .cost_exc_entry = 100, .cost_exc_return = 50,
        .cost_hvc_roundtrip = 900, .cost_vmexit = 500, .cost_vmentry = 400,
        .cache_enabled = true,
        .src = {
            S(freq_mhz) = "Intel ARK Core i7-6700 base frequency 3.4 GHz",
            S(itlb_entries) = "IORM Table 2-15 (ITLB 4K: 128 entries); xen-abi.md 9(d)",
            S(itlb_ways) = "IORM Table 2-15 (ITLB 4K: 8-way)",
            S(dtlb_entries) = "IORM Table 2-15 (DTLB 4K: 64 entries; the 2M/1G arrays are folded in)",
            S(dtlb_ways) = "IORM Table 2-15 (DTLB 4K: 4-way)",
            S(stlb_entries) = "IORM Table 2-15 (STLB 4K+2M: 1536 entries); xen-abi.md 9(d)",
            S(stlb_ways) = "IORM Table 2-15 (STLB 12-way; CPUID leaf 2 says 6-way, known mismatch)",
            S(stlb_latency) = "estimate: STLB hit ~9 cycles, commonly measured, UNVERIFIED",
            S(pwc_s1_entries) = "estimate: SDM vol. 3A 4.10.3 PML4E/PDPTE/PDE caches exist, sizes undisclosed",
            S(pwc_s2_entries) = "estimate: EPT paging-structure caches (SDM vol. 3C 29.4), sizes undisclosed",
            S(ntlb_entries) = "estimate: guest-physical mapping cache (SDM vol. 3C 29.4.1), size undisclosed",
            S(l1d_kib) = "IORM Skylake cache table (L1D 32 KB); xen-abi.md 9(d)",
            S(l1d_ways) = "IORM Skylake cache table (8-way)",
            S(l1d_latency) = "IORM Skylake cache table (4 cycles best case)",
            S(l2_kib) = "IORM Skylake cache table (L2 256 KB)",
            S(l2_ways) = "IORM Skylake cache table (4-way)",
            S(l2_latency) = "IORM Skylake cache table (12 cycles)",
            S(llc_kib) = "IORM Skylake cache table (up to 2 MB per core; 4 cores = 8 MB)",
            S(llc_ways) = "IORM Skylake cache table (up to 16-way)",
            S(llc_latency) = "IORM Skylake cache table (44 cycles)",
            S(dram_latency) = "estimate: xen-abi.md 9(d) 80-100 ns (250-400 cycles), UNVERIFIED",
            S(flat_latency) = "modelling choice: with the cache model off every access costs the L1D latency",
            S(cost_alu) = "Agner Skylake (ADD r,r latency 1)",
            S(cost_mul) = "Agner Skylake (IMUL r64,r64 latency 3)",
            S(cost_div) = "estimate: Agner Skylake DIV r64 latency 35-88, typical value chosen",
            S(cost_branch_taken) = "Agner Skylake (taken Jcc/JMP reciprocal throughput 1-2)",
            S(cost_branch_not_taken) = "Agner Skylake (not-taken Jcc reciprocal throughput 0.5-1)",
            S(cost_load) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_store) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_barrier) = "Agner Skylake (MFENCE reciprocal throughput 33)",
            S(cost_sysreg) = "estimate: MOV CRn / WRMSR are serialising, cost not published",
            S(cost_exc_entry) = "estimate: IDT delivery (#PF/INT) ~100 cycles, UNVERIFIED",
            S(cost_exc_return) = "estimate: IRETQ cost, UNVERIFIED",
            S(cost_hvc_roundtrip) = "estimate: xen-abi.md 9(c) VMCALL exit+entry a few hundred to ~1000 cycles on Skylake, UNVERIFIED (SplitX ~2000 on Nehalem)",
            S(cost_vmexit) = "estimate: share of cost_hvc_roundtrip (VM exit), UNVERIFIED",
            S(cost_vmentry) = "estimate: share of cost_hvc_roundtrip (VM entry), UNVERIFIED",
        },
    },
    {
        .name = "icelake",
        .arch = "x86_64",
        .desc = "Intel Ice Lake / Sunny Cove (10th gen Core, Xeon 3rd gen): mostly estimates",
        .freq_mhz = 3000,
        .itlb_entries = 128, .itlb_ways = 8,
        .dtlb_entries = 64, .dtlb_ways = 4,
        .stlb_entries = 2048, .stlb_ways = 16, .stlb_latency = 9,
        .pwc_s1_entries = 32, .pwc_s2_entries = 32, .ntlb_entries = 16,
        .l1d_kib = 48, .l1d_ways = 12, .l1d_latency = 5,
        .l2_kib = 512, .l2_ways = 8, .l2_latency = 13,
        .llc_kib = 8192, .llc_ways = 16, .llc_latency = 50,
        .dram_latency = 250, .flat_latency = 5,
        .cost_alu = 1, .cost_mul = 3, .cost_div = 15,
        .cost_branch_taken = 2, .cost_branch_not_taken = 1,
        .cost_load = 1, .cost_store = 1, .cost_barrier = 33, .cost_sysreg = 50,
        .cost_exc_entry = 100, .cost_exc_return = 50,
        .cost_hvc_roundtrip = 800, .cost_vmexit = 450, .cost_vmentry = 350,
        .cache_enabled = true,
        .src = {
            S(freq_mhz) = "estimate: typical Ice Lake-SP all-core clock",
            S(itlb_entries) = "estimate: assumed as Skylake (128), UNVERIFIED (xen-abi.md 9(d))",
            S(itlb_ways) = "estimate: assumed as Skylake (8-way), UNVERIFIED",
            S(dtlb_entries) = "estimate: xen-abi.md 9(d) 64 (4K), UNVERIFIED",
            S(dtlb_ways) = "estimate: assumed as Skylake (4-way), UNVERIFIED",
            S(stlb_entries) = "estimate: xen-abi.md 9(d) 2048 (4K/2M), UNVERIFIED",
            S(stlb_ways) = "estimate: 16-way assumed, UNVERIFIED",
            S(stlb_latency) = "estimate: assumed as Skylake, UNVERIFIED",
            S(pwc_s1_entries) = "estimate: SDM vol. 3A 4.10.3 caches exist, sizes undisclosed",
            S(pwc_s2_entries) = "estimate: EPT paging-structure caches, sizes undisclosed",
            S(ntlb_entries) = "estimate: guest-physical mapping cache, size undisclosed",
            S(l1d_kib) = "xen-abi.md 9(d) (L1D 48 KB, AnandTech)",
            S(l1d_ways) = "xen-abi.md 9(d) (12-way, AnandTech)",
            S(l1d_latency) = "estimate: xen-abi.md 9(d) ~5 cycles, UNVERIFIED",
            S(l2_kib) = "xen-abi.md 9(d) (L2 512 KB, AnandTech)",
            S(l2_ways) = "xen-abi.md 9(d) (8-way, AnandTech)",
            S(l2_latency) = "estimate: xen-abi.md 9(d) ~13 cycles, UNVERIFIED",
            S(llc_kib) = "estimate: 4 cores x 2 MB assumed",
            S(llc_ways) = "estimate: 16-way assumed",
            S(llc_latency) = "estimate: LLC latency UNVERIFIED",
            S(dram_latency) = "estimate: ~80 ns at 3 GHz, UNVERIFIED",
            S(flat_latency) = "modelling choice: with the cache model off every access costs the L1D latency",
            S(cost_alu) = "Agner Ice Lake (ADD r,r latency 1)",
            S(cost_mul) = "Agner Ice Lake (IMUL r64,r64 latency 3)",
            S(cost_div) = "estimate: Agner Ice Lake DIV r64 latency ~15, UNVERIFIED",
            S(cost_branch_taken) = "estimate: assumed as Skylake",
            S(cost_branch_not_taken) = "estimate: assumed as Skylake",
            S(cost_load) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_store) = "modelling choice: issue slot only; the access is charged by the cache model",
            S(cost_barrier) = "estimate: assumed as Skylake MFENCE (Agner)",
            S(cost_sysreg) = "estimate: MOV CRn / WRMSR are serialising, cost not published",
            S(cost_exc_entry) = "estimate: IDT delivery ~100 cycles, UNVERIFIED",
            S(cost_exc_return) = "estimate: IRETQ cost, UNVERIFIED",
            S(cost_hvc_roundtrip) = "estimate: xen-abi.md 9(c) VMCALL round trip a few hundred to ~1000 cycles, UNVERIFIED",
            S(cost_vmexit) = "estimate: share of cost_hvc_roundtrip (VM exit), UNVERIFIED",
            S(cost_vmentry) = "estimate: share of cost_hvc_roundtrip (VM entry), UNVERIFIED",
        },
    },
};
#undef S

#define NPRESETS (sizeof(presets) / sizeof(presets[0]))

static const struct {
    const char *name, *group, *desc;
    size_t off;
} fields[MMU_CM_NFIELDS] = {
#define MMU_CM_META(f, g, d) {#f, g, d, offsetof(struct mmu_cpu_model, f)},
    MMU_CPU_MODEL_FIELDS(MMU_CM_META)
#undef MMU_CM_META
};

const char *mmu_cpu_field_name(unsigned field)
{
    return field < MMU_CM_NFIELDS ? fields[field].name : NULL;
}

const char *mmu_cpu_field_group(unsigned field)
{
    return field < MMU_CM_NFIELDS ? fields[field].group : NULL;
}

const char *mmu_cpu_field_desc(unsigned field)
{
    return field < MMU_CM_NFIELDS ? fields[field].desc : NULL;
}

uint32_t mmu_cpu_field_get(const struct mmu_cpu_model *m, unsigned field)
{
    if (field >= MMU_CM_NFIELDS)
        return 0;
    uint32_t v;
    memcpy(&v, (const char *)m + fields[field].off, sizeof(v));
    return v;
}

static void field_set(struct mmu_cpu_model *m, unsigned field, uint32_t v)
{
    memcpy((char *)m + fields[field].off, &v, sizeof(v));
    m->src[field] = "override";
}

const struct mmu_cpu_model *mmu_cpu_model_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NPRESETS; i++)
        if (!strcmp(presets[i].name, name))
            return &presets[i];
    return NULL;
}

const struct mmu_cpu_model *mmu_cpu_model_at(unsigned i)
{
    return i < NPRESETS ? &presets[i] : NULL;
}

static const char *ways_str(uint32_t entries, uint32_t ways, char *buf, size_t len)
{
    if (ways == entries)
        snprintf(buf, len, "fully assoc.");
    else
        snprintf(buf, len, "%u-way", (unsigned)ways);
    return buf;
}

void mmu_cpu_model_list(FILE *f)
{
    char a[32], b[32], c[32];
    fprintf(f, "CPU models (--cpu NAME; override with --tlb, --pwc, --cache; see docs/model.md):\n");
    for (size_t i = 0; i < NPRESETS; i++) {
        const struct mmu_cpu_model *m = &presets[i];
        fprintf(f, "\n%s (%s): %s, %u MHz\n", m->name, m->arch, m->desc, (unsigned)m->freq_mhz);
        fprintf(f, "  TLB: L1I %u %s, L1D %u %s, L2 %u %s (+%u cycles)\n",
                (unsigned)m->itlb_entries, ways_str(m->itlb_entries, m->itlb_ways, a, sizeof(a)),
                (unsigned)m->dtlb_entries, ways_str(m->dtlb_entries, m->dtlb_ways, b, sizeof(b)),
                (unsigned)m->stlb_entries, ways_str(m->stlb_entries, m->stlb_ways, c, sizeof(c)),
                (unsigned)m->stlb_latency);
        fprintf(f, "  walk caches: stage-1 %u, stage-2 %u, nested TLB %u (fully assoc., LRU)\n",
                (unsigned)m->pwc_s1_entries, (unsigned)m->pwc_s2_entries,
                (unsigned)m->ntlb_entries);
        fprintf(f, "  caches (64B lines): L1D %uK %u-way %u cy, L2 %uK %u-way %u cy, "
                "LLC %uK %u-way %u cy, DRAM %u cy%s\n",
                (unsigned)m->l1d_kib, (unsigned)m->l1d_ways, (unsigned)m->l1d_latency,
                (unsigned)m->l2_kib, (unsigned)m->l2_ways, (unsigned)m->l2_latency,
                (unsigned)m->llc_kib, (unsigned)m->llc_ways, (unsigned)m->llc_latency,
                (unsigned)m->dram_latency, m->cache_enabled ? "" : " (cache model OFF)");
        fprintf(f, "  parameters and sources:\n");
        for (unsigned k = 0; k < MMU_CM_NFIELDS; k++)
            fprintf(f, "    %-22s %6u  %s\n", fields[k].name, (unsigned)mmu_cpu_field_get(m, k),
                    m->src[k] ? m->src[k] : "(none)");
    }
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Strict unsigned decimal: digits only, no sign, value <= 1e9. Advances *p. */
static int parse_u32(const char **p, uint32_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > 1000000000u)
            return -EINVAL;
        s++;
    }
    *p = s;
    *out = (uint32_t)v;
    return 0;
}

/* ENTRIESxWAYS or ENTRIESxfa. */
static int parse_geom(const char *v, uint32_t *entries, uint32_t *ways)
{
    if (parse_u32(&v, entries) || *v != 'x')
        return -EINVAL;
    v++;
    if (!strcmp(v, "fa")) {
        *ways = *entries;
        return 0;
    }
    if (parse_u32(&v, ways) || *v)
        return -EINVAL;
    return 0;
}

/* KIBk:WAYS:LAT (size suffix k = KiB, M = MiB). */
static int parse_cache(const char *v, uint32_t *kib, uint32_t *ways, uint32_t *lat)
{
    if (parse_u32(&v, kib))
        return -EINVAL;
    if (*v == 'k' || *v == 'K') {
        v++;
    } else if (*v == 'M' || *v == 'm') {
        if (*kib > 4u * 1024 * 1024)
            return -EINVAL;
        *kib *= 1024;
        v++;
    } else {
        return -EINVAL;
    }
    if (*v++ != ':' || parse_u32(&v, ways) || *v++ != ':' || parse_u32(&v, lat) || *v)
        return -EINVAL;
    return 0;
}

static int parse_plain(const char *v, uint32_t *out)
{
    if (parse_u32(&v, out) || *v)
        return -EINVAL;
    return 0;
}

static int apply_one(struct mmu_cpu_model *m, const char *what, const char *key,
                     const char *val, char *err, size_t errlen)
{
    uint32_t a, b, c;
    if (!strcmp(what, "tlb")) {
        unsigned fe, fw;
        if (!strcmp(key, "itlb")) {
            fe = MMU_CM_itlb_entries; fw = MMU_CM_itlb_ways;
        } else if (!strcmp(key, "dtlb")) {
            fe = MMU_CM_dtlb_entries; fw = MMU_CM_dtlb_ways;
        } else if (!strcmp(key, "l2") || !strcmp(key, "stlb")) {
            fe = MMU_CM_stlb_entries; fw = MMU_CM_stlb_ways;
        } else if (!strcmp(key, "l2lat")) {
            if (parse_plain(val, &a)) {
                set_err(err, errlen, "tlb: l2lat=%s: expected a cycle count", val);
                return -EINVAL;
            }
            field_set(m, MMU_CM_stlb_latency, a);
            return 0;
        } else {
            set_err(err, errlen, "tlb: unknown key '%s' (itlb, dtlb, l2, l2lat)", key);
            return -EINVAL;
        }
        if (parse_geom(val, &a, &b) || !a || !b || b > a || a % b) {
            set_err(err, errlen, "tlb: %s=%s: expected ENTRIESxWAYS (or ENTRIESxfa) with "
                    "WAYS dividing ENTRIES, e.g. %s=1536x12", key, val, key);
            return -EINVAL;
        }
        field_set(m, fe, a);
        field_set(m, fw, b);
        return 0;
    }
    if (!strcmp(what, "pwc")) {
        if (parse_plain(val, &a) || a > 65536) {
            set_err(err, errlen, "pwc: %s=%s: expected an entry count 0..65536", key, val);
            return -EINVAL;
        }
        if (!strcmp(key, "pwc")) {
            field_set(m, MMU_CM_pwc_s1_entries, a);
            field_set(m, MMU_CM_pwc_s2_entries, a);
        } else if (!strcmp(key, "s1")) {
            field_set(m, MMU_CM_pwc_s1_entries, a);
        } else if (!strcmp(key, "s2")) {
            field_set(m, MMU_CM_pwc_s2_entries, a);
        } else if (!strcmp(key, "ntlb")) {
            field_set(m, MMU_CM_ntlb_entries, a);
        } else {
            set_err(err, errlen, "pwc: unknown key '%s' (pwc, s1, s2, ntlb)", key);
            return -EINVAL;
        }
        return 0;
    }
    /* cache */
    if (!val) {
        if (!strcmp(key, "off")) {
            m->cache_enabled = false;
            return 0;
        }
        if (!strcmp(key, "on")) {
            m->cache_enabled = true;
            return 0;
        }
        if (!strncmp(key, "off:", 4)) {
            if (parse_plain(key + 4, &a)) {
                set_err(err, errlen, "cache: %s: expected off:CYCLES", key);
                return -EINVAL;
            }
            m->cache_enabled = false;
            field_set(m, MMU_CM_flat_latency, a);
            return 0;
        }
        set_err(err, errlen, "cache: '%s': expected on, off, off:CYCLES or KEY=VALUE", key);
        return -EINVAL;
    }
    if (!strcmp(key, "dram")) {
        if (parse_plain(val, &a)) {
            set_err(err, errlen, "cache: dram=%s: expected a cycle count", val);
            return -EINVAL;
        }
        field_set(m, MMU_CM_dram_latency, a);
        return 0;
    }
    unsigned fs, fw, fl;
    if (!strcmp(key, "l1d")) {
        fs = MMU_CM_l1d_kib; fw = MMU_CM_l1d_ways; fl = MMU_CM_l1d_latency;
    } else if (!strcmp(key, "l2")) {
        fs = MMU_CM_l2_kib; fw = MMU_CM_l2_ways; fl = MMU_CM_l2_latency;
    } else if (!strcmp(key, "llc")) {
        fs = MMU_CM_llc_kib; fw = MMU_CM_llc_ways; fl = MMU_CM_llc_latency;
    } else {
        set_err(err, errlen, "cache: unknown key '%s' (l1d, l2, llc, dram, on, off)", key);
        return -EINVAL;
    }
    if (parse_cache(val, &a, &b, &c) || !a || !b || ((uint64_t)a * 1024 / 64) % b) {
        set_err(err, errlen, "cache: %s=%s: expected SIZEk:WAYS:LATENCY with a whole number "
                "of 64-byte-line sets, e.g. %s=32k:8:4", key, val, key);
        return -EINVAL;
    }
    field_set(m, fs, a);
    field_set(m, fw, b);
    field_set(m, fl, c);
    return 0;
}

int mmu_cpu_model_override(struct mmu_cpu_model *m, const char *what, const char *spec,
                           char *err, size_t errlen)
{
    if (!m || !what || !spec) {
        set_err(err, errlen, "missing argument");
        return -EINVAL;
    }
    if (strcmp(what, "tlb") && strcmp(what, "pwc") && strcmp(what, "cache")) {
        set_err(err, errlen, "unknown override '%s' (tlb, pwc, cache)", what);
        return -EINVAL;
    }
    if (!*spec) {
        set_err(err, errlen, "%s: empty specification", what);
        return -EINVAL;
    }
    /* Work on a copy so that a bad spec leaves the model unchanged. */
    struct mmu_cpu_model tmp = *m;
    char buf[512];
    if (strlen(spec) >= sizeof(buf)) {
        set_err(err, errlen, "%s: specification too long", what);
        return -EINVAL;
    }
    strcpy(buf, spec);
    char *save = NULL;
    for (char *item = buf;; item = NULL) {
        char *tok = strtok_r(item, ",", &save);
        if (!tok)
            break;
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        if (!*tok || (eq && !eq[1])) {
            set_err(err, errlen, "%s: empty key or value in '%s'", what, spec);
            return -EINVAL;
        }
        if (!eq && strcmp(what, "cache")) {
            set_err(err, errlen, "%s: '%s' is not KEY=VALUE", what, tok);
            return -EINVAL;
        }
        int rc = apply_one(&tmp, what, tok, eq ? eq + 1 : NULL, err, errlen);
        if (rc)
            return rc;
    }
    /* Reject ",," and leading/trailing commas: strtok would skip them silently. */
    if (spec[0] == ',' || spec[strlen(spec) - 1] == ',' || strstr(spec, ",,")) {
        set_err(err, errlen, "%s: empty item in '%s'", what, spec);
        return -EINVAL;
    }
    int rc = mmu_cpu_model_check(&tmp, err, errlen);
    if (rc)
        return rc;
    *m = tmp;
    return 0;
}

int mmu_cpu_model_check(const struct mmu_cpu_model *m, char *err, size_t errlen)
{
    static const struct {
        unsigned e, w;
        const char *what;
    } tlbs[] = {
        {MMU_CM_itlb_entries, MMU_CM_itlb_ways, "L1 ITLB"},
        {MMU_CM_dtlb_entries, MMU_CM_dtlb_ways, "L1 DTLB"},
        {MMU_CM_stlb_entries, MMU_CM_stlb_ways, "L2 TLB"},
    };
    for (size_t i = 0; i < sizeof(tlbs) / sizeof(tlbs[0]); i++) {
        uint32_t e = mmu_cpu_field_get(m, tlbs[i].e), w = mmu_cpu_field_get(m, tlbs[i].w);
        if (!e || !w || w > e || e % w) {
            set_err(err, errlen, "%s: %u entries, %u ways: not a valid geometry", tlbs[i].what,
                    (unsigned)e, (unsigned)w);
            return -EINVAL;
        }
    }
    static const struct {
        unsigned s, w;
        const char *what;
    } caches[] = {
        {MMU_CM_l1d_kib, MMU_CM_l1d_ways, "L1D"},
        {MMU_CM_l2_kib, MMU_CM_l2_ways, "L2"},
        {MMU_CM_llc_kib, MMU_CM_llc_ways, "LLC"},
    };
    for (size_t i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
        uint64_t lines = (uint64_t)mmu_cpu_field_get(m, caches[i].s) * 1024 / 64;
        uint32_t w = mmu_cpu_field_get(m, caches[i].w);
        if (!lines || !w || w > lines || lines % w) {
            set_err(err, errlen, "%s cache: %u KiB, %u ways: not a valid geometry",
                    caches[i].what, (unsigned)mmu_cpu_field_get(m, caches[i].s), (unsigned)w);
            return -EINVAL;
        }
    }
    if (!m->freq_mhz) {
        set_err(err, errlen, "clock frequency is zero");
        return -EINVAL;
    }
    return 0;
}

int mmu_cpu_model_to_json(const struct mmu_cpu_model *m, char *buf, size_t len)
{
    size_t n = 0;
    int w = snprintf(buf, len, "{\"name\":\"%s\",\"arch\":\"%s\",\"cache_enabled\":%s", m->name,
                     m->arch ? m->arch : "", m->cache_enabled ? "true" : "false");
    if (w < 0)
        return -EINVAL;
    n += (size_t)w;
    for (unsigned k = 0; k < MMU_CM_NFIELDS; k++) {
        w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, ",\"%s\":%u",
                     fields[k].name, (unsigned)mmu_cpu_field_get(m, k));
        if (w < 0)
            return -EINVAL;
        n += (size_t)w;
    }
    w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "}");
    if (w < 0)
        return -EINVAL;
    n += (size_t)w;
    if (n >= len)
        return -ENOSPC;
    return (int)n;
}
