/* hv/arm/domain.c - building the domains as Xen's dom0less domain builder does
 * (xen/arch/arm/domain_build.c construct_domU, kernel.c, libxl_arm.c for the device tree):
 * the hypervisor's own memory, stage-2 tables with real descriptors, the device tree, the
 * boot modules and the vCPUs. */
#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "hv/arm/internal.h"
#include "sim/loader.h"
#include "sim/workload.h"

/* Stage-2 descriptor bits (ARM DDI0487 D8.3 "Translation table descriptor formats",
 * D8.5.5 stage-2 attributes): MemAttr[5:2] = 0b1111 Normal Inner/Outer Write-Back,
 * S2AP[7:6] = 0b11 read/write, SH[9:8] = 0b11 Inner Shareable, AF[10]. Xen's p2m uses the
 * same attributes for p2m_ram_rw (xen/arch/arm/p2m.c mfn_to_p2m_entry). */
#define S2_MEMATTR_WB (0xfull << 2)
#define S2_AP_RW (3ull << 6)
#define S2_AP_RO (1ull << 6)
#define S2_SH_IS (3ull << 8)
#define S2_AF (1ull << 10)
#define S2_TABLE 3ull
#define S2_BLOCK 1ull
#define S2_PAGE 3ull
#define S2_OA_MASK 0x0000fffffffff000ull

/* VTCR_EL2 for a 40-bit IPA with a 4K granule (ARM DDI0487 D17.2.xxx VTCR_EL2): T0SZ = 24,
 * SL0 = 1 (start at level 1 with two concatenated tables, as Xen's P2M_ROOT_ORDER 1 for
 * 40-bit IPAs, xen/arch/arm/p2m.c setup_virt_paging), inner/outer WBWA table walks, inner
 * shareable, PS = 0b010 (40-bit PA), RES1 bit 31. */
#define VTCR_T0SZ 24ull
#define VTCR_SL0 (1ull << 6)
#define VTCR_IRGN0_WBWA (1ull << 8)
#define VTCR_ORGN0_WBWA (1ull << 10)
#define VTCR_SH0_IS (3ull << 12)
#define VTCR_PS_40 (2ull << 16)
#define VTCR_RES1 (1ull << 31)
#define VTCR_VALUE (VTCR_RES1 | VTCR_PS_40 | VTCR_SH0_IS | VTCR_ORGN0_WBWA | VTCR_IRGN0_WBWA | \
                    VTCR_SL0 | VTCR_T0SZ)

/* HCR_EL2 for a guest: get_default_hcr_flags() in xen/arch/arm/traps.c (HCR_GUEST_FLAGS
 * of xen/arch/arm/include/asm/processor.h in older trees) plus HCR_VM (p2m_restore_state)
 * and HCR_RW for a 64-bit domain (arch_vcpu_create / vcpu_switch_to_aarch64_mode). vwfi is
 * "trap" by default, so TWI/TWE are set. */
#define HCR_VM (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_PTW (1ull << 2)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_AMO (1ull << 5)
#define HCR_FB (1ull << 9)
#define HCR_BSU_INNER (1ull << 10)
#define HCR_TWI (1ull << 13)
#define HCR_TWE (1ull << 14)
#define HCR_TID3 (1ull << 18)
#define HCR_TSC (1ull << 19)
#define HCR_TIDCP (1ull << 20)
#define HCR_TAC (1ull << 21)
#define HCR_TSW (1ull << 22)
#define HCR_RW (1ull << 31)
#define HCR_GUEST (HCR_PTW | HCR_BSU_INNER | HCR_AMO | HCR_IMO | HCR_FMO | HCR_TWI | HCR_TWE | \
                   HCR_TID3 | HCR_TSC | HCR_TAC | HCR_SWIO | HCR_TIDCP | HCR_FB | HCR_TSW |   \
                   HCR_VM | HCR_RW)

#define MB(x) ((uint64_t)(x) << 20)

/* Install one stage-2 mapping of `size` bytes (4K or 2M) at ipa -> pa. Tables are
 * allocated in hypervisor memory. */
static int s2_map_one(struct hv_domain *d, uint64_t ipa, uint64_t pa, uint64_t size,
                      uint64_t attrs)
{
    struct hv *hv = d->hv;
    struct sim_mem *mem = &hv->m->mem;
    uint64_t root = d->vttbr & S2_OA_MASK;
    /* Level 1 with two concatenated tables: index = IPA[39:30] (ARM DDI0487 D8.2.x). */
    uint64_t table = root;
    unsigned idx = (unsigned)((ipa >> 30) & 0x3ff);
    int level = 1;
    for (;;) {
        unsigned shift = 39 - 9 * (unsigned)level;
        uint64_t desc_pa = table + 8ull * idx;
        uint64_t desc;
        if (sim_mem_read(mem, desc_pa, 8, &desc))
            return -EFAULT;
        bool leaf_here = (level == 2 && size == MB(2)) || level == 3;
        if (leaf_here) {
            desc = (pa & S2_OA_MASK) | attrs | (level == 3 ? S2_PAGE : S2_BLOCK);
            return sim_mem_write(mem, desc_pa, 8, desc);
        }
        if (!(desc & 1)) {
            uint64_t t = hv_alloc(hv, 4096, 4096);
            if (!t)
                return -ENOMEM;
            desc = t | S2_TABLE;
            if (sim_mem_write(mem, desc_pa, 8, desc))
                return -EFAULT;
        } else if ((desc & 3) != 3) {
            return -EEXIST; /* a block is already there */
        }
        table = desc & S2_OA_MASK;
        level++;
        shift = 39 - 9 * (unsigned)level;
        idx = (unsigned)((ipa >> shift) & 0x1ff);
    }
}

/* p2m_insert_mapping-like: largest mappings allowed by alignment (Xen maps superpages when
 * gfn and mfn are aligned: xen/arch/arm/p2m.c p2m_set_entry / p2m_mapping_order). */
static int s2_map(struct hv_domain *d, uint64_t ipa, uint64_t pa, uint64_t size, uint64_t attrs)
{
    while (size) {
        uint64_t step = (!(ipa & (MB(2) - 1)) && !(pa & (MB(2) - 1)) && size >= MB(2)) ? MB(2)
                                                                                      : 4096;
        int rc = s2_map_one(d, ipa, pa, step, attrs);
        if (rc)
            return rc;
        ipa += step;
        pa += step;
        size -= step;
    }
    return 0;
}

int hv_p2m_set_page(struct hv_domain *d, uint64_t ipa, uint64_t pa)
{
    struct hv *hv = d->hv;
    struct sim_mem *mem = &hv->m->mem;
    uint64_t table = d->vttbr & S2_OA_MASK;
    uint64_t attrs = S2_MEMATTR_WB | S2_AP_RW | S2_SH_IS | S2_AF;
    for (int level = 1; level <= 3; level++) {
        unsigned shift = 39 - 9 * (unsigned)level;
        unsigned idx = (unsigned)((ipa >> shift) & (level == 1 ? 0x3ff : 0x1ff));
        uint64_t dpa = table + 8ull * idx, desc;
        if (sim_mem_read(mem, dpa, 8, &desc))
            return -EFAULT;
        if (level == 3) {
            desc = pa ? (pa & S2_OA_MASK) | attrs | S2_PAGE : 0;
            if (sim_mem_write(mem, dpa, 8, desc))
                return -EFAULT;
            break;
        }
        if ((desc & 3) == 1 || !(desc & 1)) {
            /* a block (split it into the next level, ARM DDI0487 D8.15 break-before-make is
             * the hypervisor's business) or nothing (a new empty table) */
            uint64_t t = hv_alloc(hv, 4096, 4096);
            if (!t)
                return -ENOMEM;
            if (desc & 1) {
                uint64_t base = desc & S2_OA_MASK & ~((1ull << shift) - 1);
                uint64_t battr = desc & 0xfffull & ~3ull;
                unsigned cshift = shift - 9;
                for (unsigned i = 0; i < 512; i++) {
                    uint64_t cd = (base + ((uint64_t)i << cshift)) | battr |
                                  (level + 1 == 3 ? S2_PAGE : S2_BLOCK);
                    if (sim_mem_write(mem, t + 8ull * i, 8, cd))
                        return -EFAULT;
                }
            }
            desc = t | S2_TABLE;
            if (sim_mem_write(mem, dpa, 8, desc))
                return -EFAULT;
        }
        table = desc & S2_OA_MASK;
    }
    /* p2m_force_tlb_flush_sync: TLBI VMALLS12E1IS for this VMID on every pCPU */
    struct mmu_a64_regs r;
    memset(&r, 0, sizeof(r));
    r.vttbr_el2 = d->vttbr;
    r.vtcr_el2 = VTCR_VALUE;
    r.hcr_el2 = HCR_GUEST;
    for (unsigned i = 0; i < hv->npcpus; i++)
        mmu_a64_tlbi(hv->pcpu[i].mmu, MMU_TLBI_VMALLS12E1IS, 0, &r);
    return 0;
}

int hv_arm_p2m_lookup(struct hv_vcpu *v, uint64_t ipa, bool write, uint64_t *pa)
{
    struct hv_pcpu *p = &v->d->hv->pcpu[v->pcpu];
    struct mmu_a64_regs r;
    a64_mmu_regs(v->cpu, &r);
    struct mmu_walk_port port = mmu_sw_walk_port(p->mmu, MMU_WHO_HV);
    struct mmu_walk_result res;
    int rc = mmu_a64_walk_s2(&r, ipa, write ? MMU_ACC_WRITE : MMU_ACC_READ, false, &port, &res);
    hv_charge(v, mmu_sw_walk_take_cycles(p->mmu, MMU_WHO_HV));
    if (rc)
        return -EFAULT;
    *pa = res.oa;
    return 0;
}

/* ---- device tree (tools/libs/light/libxl_arm.c make_*_node, GUEST_PHANDLE_GIC 65000) ---- */
#define PHANDLE_GIC 65000u

static int fdt_u64pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
    fdt64_t v[2] = {cpu_to_fdt64(a), cpu_to_fdt64(b)};
    return fdt_property(fdt, name, v, sizeof(v));
}

static int fdt_cells(void *fdt, const char *name, const uint32_t *c, unsigned n)
{
    fdt32_t v[12];
    for (unsigned i = 0; i < n; i++)
        v[i] = cpu_to_fdt32(c[i]);
    return fdt_property(fdt, name, v, n * 4);
}

static int build_fdt(struct hv *hv, struct hv_domain *d, const char *cmdline, void *fdt,
                     size_t size, uint64_t initrd_ipa, uint64_t initrd_len)
{
    const struct sim_config *c = &hv->m->cfg;
    unsigned maj = hv->prof->xen_version >> 16, min = hv->prof->xen_version & 0xffff;
    char s[64];
    int r = 0;
#define F(x) do { if ((r = (x)) < 0) return r; } while (0)
    F(fdt_create(fdt, (int)size));
    F(fdt_finish_reservemap(fdt));
    F(fdt_begin_node(fdt, ""));
    {
        char comp[64];
        int n = snprintf(comp, sizeof(comp), "xen,xenvm-%u.%u", maj, min);
        memcpy(comp + n + 1, "xen,xenvm", 10);
        F(fdt_property(fdt, "compatible", comp, n + 1 + 10));
        snprintf(s, sizeof(s), "XENVM-%u.%u", maj, min);
        F(fdt_property_string(fdt, "model", s));
        F(fdt_property_cell(fdt, "interrupt-parent", PHANDLE_GIC));
        F(fdt_property_cell(fdt, "#address-cells", 2));
        F(fdt_property_cell(fdt, "#size-cells", 2));
    }
    F(fdt_begin_node(fdt, "chosen"));
    F(fdt_property_string(fdt, "bootargs", cmdline ? cmdline : ""));
    if (initrd_len) {
        F(fdt_property_u64(fdt, "linux,initrd-start", initrd_ipa));
        F(fdt_property_u64(fdt, "linux,initrd-end", initrd_ipa + initrd_len));
    }
    F(fdt_end_node(fdt));
    F(fdt_begin_node(fdt, "cpus"));
    F(fdt_property_cell(fdt, "#address-cells", 1));
    F(fdt_property_cell(fdt, "#size-cells", 0));
    for (unsigned i = 0; i < d->nvcpus; i++) {
        /* libxl make_cpus_node: reg = MPIDR affinity (Aff0 = vcpuid & 0xf, Aff1 = vcpuid >> 4) */
        uint32_t aff = (i & 0xf) | ((i >> 4) << 8);
        snprintf(s, sizeof(s), "cpu@%x", aff);
        F(fdt_begin_node(fdt, s));
        F(fdt_property_string(fdt, "device_type", "cpu"));
        F(fdt_property_string(fdt, "compatible", "arm,armv8"));
        F(fdt_property_string(fdt, "enable-method", "psci"));
        F(fdt_property_cell(fdt, "reg", aff));
        F(fdt_end_node(fdt));
    }
    F(fdt_end_node(fdt));
    F(fdt_begin_node(fdt, "psci"));
    {
        static const char pc[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
        F(fdt_property(fdt, "compatible", pc, sizeof(pc)));
        F(fdt_property_string(fdt, "method", "hvc"));
        F(fdt_property_cell(fdt, "cpu_off", 0x84000002u));
        F(fdt_property_cell(fdt, "cpu_on", 0xc4000003u));
    }
    F(fdt_end_node(fdt));
    snprintf(s, sizeof(s), "memory@%" PRIx64, d->ram_ipa);
    F(fdt_begin_node(fdt, s));
    F(fdt_property_string(fdt, "device_type", "memory"));
    F(fdt_u64pair(fdt, "reg", d->ram_ipa, d->ram_size));
    F(fdt_end_node(fdt));
    snprintf(s, sizeof(s), "interrupt-controller@%llx", GUEST_GICD_BASE);
    F(fdt_begin_node(fdt, s));
    {
        static const char gc[] = "arm,cortex-a15-gic\0arm,cortex-a9-gic";
        F(fdt_property(fdt, "compatible", gc, sizeof(gc)));
        F(fdt_property_cell(fdt, "#interrupt-cells", 3));
        F(fdt_property_cell(fdt, "#address-cells", 0));
        F(fdt_property(fdt, "interrupt-controller", NULL, 0));
        fdt64_t reg[4] = {cpu_to_fdt64(GUEST_GICD_BASE), cpu_to_fdt64(GUEST_GICD_SIZE),
                          cpu_to_fdt64(GUEST_GICC_BASE), cpu_to_fdt64(GUEST_GICC_SIZE)};
        F(fdt_property(fdt, "reg", reg, sizeof(reg)));
        F(fdt_property_cell(fdt, "phandle", PHANDLE_GIC));
        F(fdt_property_cell(fdt, "linux,phandle", PHANDLE_GIC));
    }
    F(fdt_end_node(fdt));
    F(fdt_begin_node(fdt, "timer"));
    {
        /* libxl make_timer_node: secure phys 29, non-secure phys 30, virtual 27 as PPI
         * numbers 13, 14, 11 with flags 0xf08 (CPU mask 0xf, level-low). */
        static const uint32_t ti[] = {1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08};
        F(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
        F(fdt_cells(fdt, "interrupts", ti, 9));
        F(fdt_property_cell(fdt, "interrupt-parent", PHANDLE_GIC));
    }
    F(fdt_end_node(fdt));
    F(fdt_begin_node(fdt, "hypervisor"));
    {
        char comp[64];
        int n = snprintf(comp, sizeof(comp), "xen,xen-%u.%u", maj, min);
        memcpy(comp + n + 1, "xen,xen", 8);
        F(fdt_property(fdt, "compatible", comp, n + 1 + 8));
        F(fdt_u64pair(fdt, "reg", GUEST_GNTTAB_BASE, GUEST_GNTTAB_SIZE));
        static const uint32_t ev[] = {1, GUEST_EVTCHN_PPI - 16, 0xf08};
        F(fdt_cells(fdt, "interrupts", ev, 3));
        F(fdt_property_cell(fdt, "interrupt-parent", PHANDLE_GIC));
    }
    F(fdt_end_node(fdt));
    if (c->vpl011) {
        snprintf(s, sizeof(s), "sbsa-uart@%llx", GUEST_PL011_BASE);
        F(fdt_begin_node(fdt, s));
        F(fdt_property_string(fdt, "compatible", "arm,sbsa-uart"));
        F(fdt_u64pair(fdt, "reg", GUEST_PL011_BASE, GUEST_PL011_SIZE));
        static const uint32_t ui[] = {0, GUEST_VPL011_SPI - 32, 4};
        F(fdt_cells(fdt, "interrupts", ui, 3));
        F(fdt_property_cell(fdt, "interrupt-parent", PHANDLE_GIC));
        F(fdt_property_cell(fdt, "current-speed", 115200));
        F(fdt_end_node(fdt));
    }
    F(fdt_end_node(fdt));
    F(fdt_finish(fdt));
#undef F
    return 0;
}

/* Highest guest-RAM byte the loaded image uses (rounded up), for module placement. */
static uint64_t kernel_end(const struct sim_image *img)
{
    uint64_t e = 0;
    for (unsigned i = 0; i < img->info.nseg; i++)
        if (img->info.seg[i].paddr + img->info.seg[i].memsz > e)
            e = img->info.seg[i].paddr + img->info.seg[i].memsz;
    return e;
}

static uint64_t kernel_start(const struct sim_image *img)
{
    uint64_t s = UINT64_MAX;
    for (unsigned i = 0; i < img->info.nseg; i++)
        if (img->info.seg[i].paddr < s)
            s = img->info.seg[i].paddr;
    return s;
}

/* What one domain is built from. */
struct dom_spec {
    unsigned id;
    uint64_t ram_pa, mem;
    unsigned vcpus;
    const char *cmdline, *initrd;
    const struct sim_image *img;
    bool confidential;
};

static int build_one(struct hv *hv, struct hv_domain *d, const struct dom_spec *s, char *err,
                     size_t errlen);

int hv_domain_build(struct hv *hv, char *err, size_t errlen)
{
    struct machine *m = hv->m;
    int rc = sim_mem_add_ram(&m->mem, "xen", HV_MEM_BASE, HV_MEM_SIZE);
    if (rc) {
        snprintf(err, errlen, "cannot add the hypervisor's memory: %s", strerror(-rc));
        return rc;
    }
    hv->hv_brk = HV_MEM_BASE;
    if (m->cfg.ndomains + 1 > HV_MAX_DOMS) {
        snprintf(err, errlen, "at most %u domains in this model", HV_MAX_DOMS);
        return -EINVAL;
    }
    hv->ndoms = 1 + m->cfg.ndomains;
    /* domain 1's RAM is the machine's RAM region, IPA == PA */
    struct dom_spec s0 = {1, SIM_A64_RAM_BASE, m->cfg.mem_bytes, m->cfg.vcpus ? m->cfg.vcpus : 1,
                          m->cfg.cmdline, m->cfg.initrd, &m->image, m->cfg.confidential};
    rc = build_one(hv, &hv->dom[0], &s0, err, errlen);
    /* Domains 2..N: the same guest memory map (RAM bank at IPA 0x40000000), backed by their
     * own RAM region at PA (N-1) * 64 GiB, below the hypervisor's memory. */
    static const char *const names[HV_MAX_DOMS] = {"ram", "d2", "d3", "d4"};
    for (unsigned k = 1; !rc && k < hv->ndoms; k++) {
        struct hv_domain *d = &hv->dom[k];
        char path[1024];
        uint64_t mem;
        unsigned vcpus;
        rc = hv_parse_domain_spec(m->cfg.domains[k - 1], "arm64", m->cfg.mem_bytes, path,
                                  sizeof(path), d->cmdline, sizeof(d->cmdline), &mem, &vcpus,
                                  err, errlen);
        if (rc)
            return rc;
        struct sim_load_opts lo = {.ram_base = SIM_A64_RAM_BASE};
        struct sim_image img;
        memset(&img, 0, sizeof(img));
        char e2[256];
        if ((rc = sim_image_parse(path, &lo, &img, e2, sizeof(e2)))) {
            snprintf(err, errlen, "--domain %s: %s: %s", m->cfg.domains[k - 1], path, e2);
            return rc;
        }
        uint64_t pa = (uint64_t)k << 36;
        rc = sim_mem_add_ram(&m->mem, names[k], pa, mem);
        for (unsigned i = 0; !rc && i < img.info.nseg; i++) {
            const struct sim_image_segment *sg = &img.info.seg[i];
            if (sg->paddr < SIM_A64_RAM_BASE || sg->paddr + sg->memsz > SIM_A64_RAM_BASE + mem)
                rc = -ERANGE;
            else
                rc = sim_mem_write_buf(&m->mem, pa + (sg->paddr - SIM_A64_RAM_BASE), sg->data,
                                       sg->filesz);
        }
        if (rc) {
            snprintf(err, errlen, "--domain %s: cannot load %s into its RAM: %s",
                     m->cfg.domains[k - 1], path, strerror(-rc));
            sim_image_free(&img);
            return rc;
        }
        struct dom_spec s = {k + 1, pa, mem, vcpus, d->cmdline, NULL, &img, m->cfg.confidential};
        rc = build_one(hv, d, &s, err, errlen);
        sim_image_free(&img);
    }
    return rc;
}

static int build_one(struct hv *hv, struct hv_domain *d, const struct dom_spec *s, char *err,
                     size_t errlen)
{
    struct machine *m = hv->m;
    int rc;
    d->hv = hv;
    d->id = s->id;
    d->confidential = s->confidential;
    d->vmid = s->id;
    d->ram_ipa = SIM_A64_RAM_BASE;
    d->ram_pa = s->ram_pa;
    d->ram_size = s->mem;
    d->nvcpus = s->vcpus;
    if (d->nvcpus < 1 || d->nvcpus > HV_MAX_VCPUS ||
        hv->nvcpus_all + d->nvcpus > HV_MAX_ALL_VCPUS) {
        snprintf(err, errlen, "at most %u vCPUs per domain and %u in all in this model",
                 HV_MAX_VCPUS, HV_MAX_ALL_VCPUS);
        return -EINVAL;
    }
    hv_domain_counters(d);
    uint64_t root = hv_alloc(hv, 8192, 8192);
    if (!root) {
        snprintf(err, errlen, "hypervisor memory exhausted");
        return -ENOMEM;
    }
    d->vttbr = root | ((uint64_t)d->vmid << 48);
    rc = s2_map(d, d->ram_ipa, d->ram_pa, d->ram_size, S2_MEMATTR_WB | S2_AP_RW | S2_SH_IS | S2_AF);
    if (rc) {
        snprintf(err, errlen, "cannot build the stage-2 tables: %s", strerror(-rc));
        return rc;
    }
    /* Magic pages (console, xenstore, memaccess, vuart: NR_MAGIC_PAGES 4) backed by
     * hypervisor memory, as alloc_magic_pages / populate_physmap would. */
    uint64_t magic = hv_alloc(hv, 4 * 4096, 4096);
    if (!magic || s2_map(d, GUEST_MAGIC_BASE, magic, 4 * 4096,
                         S2_MEMATTR_WB | S2_AP_RW | S2_SH_IS | S2_AF)) {
        snprintf(err, errlen, "cannot map the magic pages");
        return -ENOMEM;
    }

    d->console_pa = magic;
    rc = hv_evtchn_init(d);
    if (rc) {
        snprintf(err, errlen, "cannot set up event channels: %s", strerror(-rc));
        return rc;
    }
    /* The parameters libxl / the dom0less builder sets: CONSOLE_PFN = GUEST_MAGIC_BASE,
     * CALLBACK_IRQ = PPI 31 level-low (libxl_arm.c). No xenstore in a dom0less domU without
     * dom0: STORE_PFN / STORE_EVTCHN stay 0. The grant frames sit in the grant window. */
    d->hvm_param[HVM_PARAM_CONSOLE_PFN] = GUEST_MAGIC_BASE >> 12;
    d->hvm_param[HVM_PARAM_CALLBACK_IRQ] = (2ull << 56) | (2ull << 8) | GUEST_EVTCHN_PPI;
    for (unsigned i = 0; i < HV_MAX_GNTTAB_FRAMES; i++)
        d->gnttab_gfn[i] = (GUEST_GNTTAB_BASE >> 12) + i;

    /* Modules: DTB (and initrd) placed by xen/arch/arm/kernel.c place_modules(). */
    uint8_t *initrd = NULL;
    size_t initrd_len = 0;
    if (s->initrd && (rc = hv_read_file(s->initrd, &initrd, &initrd_len))) {
        snprintf(err, errlen, "cannot read initrd %s: %s", s->initrd, strerror(-rc));
        return rc;
    }
    size_t fdt_size = 16384;
    void *fdt = calloc(1, fdt_size);
    if (!fdt) {
        free(initrd);
        return -ENOMEM;
    }
    /* Size the tree with the initrd properties present (placeholder address, same size) so
     * the final tree, built once the initrd's address is known, fits in dtb_len. */
    rc = build_fdt(hv, d, s->cmdline, fdt, fdt_size, 0, initrd_len);
    uint64_t dtb_len = rc ? 0 : fdt_totalsize(fdt);
    uint64_t modsize = ((dtb_len + 7) & ~7ull) + initrd_len;
    uint64_t rambase = d->ram_ipa, ramend = d->ram_ipa + d->ram_size;
    uint64_t kbase = kernel_start(s->img), kend = (kernel_end(s->img) + MB(2) - 1) & ~(MB(2) - 1);
    uint64_t ram128 = rambase + MB(128), modbase = 0;
    if (!rc) {
        if (ramend >= ram128 + modsize && kend < ram128)
            modbase = (ram128 - modsize) & ~(MB(2) - 1);
        else if (ramend - modsize > kend)
            modbase = (ramend - modsize) & ~(MB(2) - 1);
        else if (kbase - rambase > modsize)
            modbase = kbase - modsize;
        else
            rc = -ENOSPC;
    }
    uint64_t initrd_ipa = modbase + ((dtb_len + 7) & ~7ull);
    if (!rc && initrd_len)
        rc = build_fdt(hv, d, s->cmdline, fdt, fdt_size, initrd_ipa, initrd_len);
    if (!rc && fdt_totalsize(fdt) != dtb_len)
        rc = -FDT_ERR_INTERNAL; /* cannot happen: both trees have the same shape */
    if (!rc && modbase + modsize > ramend)
        rc = -ENOSPC;
    if (rc) {
        snprintf(err, errlen, "cannot place the device tree%s: %s", initrd_len ? " and initrd" : "",
                 rc == -ENOSPC ? "guest RAM too small" : fdt_strerror(rc));
        free(fdt);
        free(initrd);
        return -EINVAL;
    }
    d->dtb_ipa = modbase;
    rc = sim_mem_write_buf(&m->mem, d->ram_pa + (modbase - rambase), fdt, dtb_len);
    if (!rc && initrd_len)
        rc = sim_mem_write_buf(&m->mem, d->ram_pa + (initrd_ipa - rambase), initrd, initrd_len);
    free(fdt);
    free(initrd);
    if (rc) {
        snprintf(err, errlen, "cannot copy the boot modules into guest RAM");
        return rc;
    }

    /* vCPUs: arch_vcpu_create / vcpu_initialise; vCPU 0 starts at the kernel entry with
     * x0 = DTB (arm64 booting.rst, kernel.c kernel_zimage_load / construct_domU). */
    const char *idm = strcmp(m->model.name, "cortex-a57") ? "max" : "cortex-a57";
    for (unsigned i = 0; i < d->nvcpus; i++) {
        struct hv_vcpu *v = hv_vcpu_alloc(d, i);
        if (!v)
            return -ENOMEM;
        v->cpu = a64_cpu_create(&m->mem, &m->stats, idm, m->cfg.seed + v->gid, err, errlen);
        if (!v->cpu)
            return -EINVAL;
        v->cycles = &v->cpu->cycles;
        v->link = calloc(1, sizeof(*v->link));
        if (!v->link)
            return -ENOMEM;
        v->cpu->cpu_hz = m->clock.hz;
        v->cpu->cpu_index = i;
        v->link->mmu = hv->pcpu[v->pcpu].mmu;
        v->link->who = MMU_WHO_GUEST;
        a64_mmu_attach(v->cpu, v->link);
        a64_set_cost_model(v->cpu, &m->model); /* in-order cycle model (docs/model.md) */
        v->ctx_pa = hv_alloc(hv, 1024, 64);
        a64_cpu_reset(v->cpu, s->img->info.entry, 1);
        struct a64_cpu *c = v->cpu;
        c->have_el2 = true;
        c->hcr_el2 = HCR_GUEST;
        c->vtcr_el2 = VTCR_VALUE;
        c->vttbr_el2 = d->vttbr;
        /* VMPIDR: MPIDR_SMP (bit 31) | affinity (xen/arch/arm/domain.c vcpu_initialise) */
        c->vmpidr_el2 = (1ull << 31) | (i & 0xf) | ((uint64_t)(i >> 4) << 8);
        c->cntvoff_el2 = 0; /* d->arch.virt_timer_base.offset: domain created at time 0 */
        /* PSR_GUEST64_INIT: A, I, F masked, EL1h (xen/include/public/arch-arm.h) */
        c->daif = A64_PSTATE_A | A64_PSTATE_I | A64_PSTATE_F;
        c->x[0] = i == 0 ? d->dtb_ipa : 0;
        v->online = i == 0;
        v->gicc_pmr = 0;
        hv_runstate_init(&v->rs, i == 0 ? HV_RUNSTATE_RUNNABLE : HV_RUNSTATE_OFFLINE, 0);
        /* SGIs are always enabled in GICv2 (ARM IHI0048B §4.3.5: GICD_ISENABLER0 SGI bits
         * may be RAO/WI) */
        v->enable = 0xffff;
    }
    return 0;
}
