/* hv/x86/domain.c - building a PVH domain as libxl / libxenguest do for a PVH guest
 * (tools/libs/guest/xg_dom_x86.c alloc_magic_pages_hvm, bootlate_hvm; libxl_x86.c
 * libxl__arch_domain_construct_memmap) and Xen's EPT p2m (xen/arch/x86/mm/p2m-ept.c): guest
 * RAM from GPA 0 with an e820 map, the special pages (xenstore, console), EPT tables built in
 * hypervisor memory with 2 MiB superpages where aligned, struct hvm_start_info with the
 * command line and modules, and the vCPUs (one x86 core each, a VMCS with unrestricted guest,
 * EPT and VPID, the x2APIC, the PVH entry state). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/x86/internal.h"
#include "sim/loader.h"

#define MB(x) ((uint64_t)(x) << 20)

/* EPT entry bits (Intel SDM vol. 3C §29.3.2, Tables 29-1..29-6): R/W/X 2:0, memory type
 * 5:3 (6 = WB) in leaves, bit 7 = 2 MiB page in a PD entry. Xen's p2m_ram_rw entries are RWX
 * WB (ept_p2m_type_to_flags, epte_get_entry_emt). */
#define EPT_RWX 7ull
#define EPT_WB (6ull << 3)
#define EPT_PS (1ull << 7)
#define EPT_ADDR 0x000ffffffffff000ull

static uint64_t rd64(struct hv *hv, uint64_t pa)
{
    uint64_t v = 0;
    sim_mem_read(&hv->m->mem, pa, 8, &v);
    return v;
}

static int wr64(struct hv *hv, uint64_t pa, uint64_t v)
{
    return sim_mem_write(&hv->m->mem, pa, 8, v);
}

/* Install one EPT mapping of 4 KiB or 2 MiB (pa 0 and !present: remove a 4 KiB one),
 * splitting a 2 MiB page into 512 4 KiB entries when a 4 KiB change falls inside it
 * (ept_split_super_page). */
static int ept_set(struct hv_domain *d, uint64_t gpa, uint64_t pa, uint64_t size, bool present)
{
    struct hv *hv = d->hv;
    uint64_t table = d->x86->ept_root;
    for (int level = 4; level >= 1; level--) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        uint64_t epa = table + 8 * ((gpa >> shift) & 511);
        uint64_t e = rd64(hv, epa);
        if ((level == 2 && size == MB(2)) || level == 1) {
            uint64_t ne = present ? (pa & EPT_ADDR) | EPT_WB | EPT_RWX | (level == 2 ? EPT_PS : 0)
                                  : 0;
            return wr64(hv, epa, ne);
        }
        if (!(e & EPT_RWX) || (e & EPT_PS)) {
            uint64_t t = hv_alloc(hv, 4096, 4096);
            if (!t)
                return -ENOMEM;
            if (e & EPT_PS) { /* split the superpage */
                uint64_t base = e & EPT_ADDR & ~(MB(2) - 1);
                for (uint64_t i = 0; i < 512; i++)
                    if (wr64(hv, t + 8 * i, (base + (i << 12)) | EPT_WB | EPT_RWX))
                        return -EFAULT;
            }
            e = t | EPT_RWX;
            if (wr64(hv, epa, e))
                return -EFAULT;
        }
        table = e & EPT_ADDR;
    }
    return -EINVAL;
}

static int ept_map(struct hv_domain *d, uint64_t gpa, uint64_t pa, uint64_t size)
{
    while (size) {
        uint64_t step = (!(gpa & (MB(2) - 1)) && !(pa & (MB(2) - 1)) && size >= MB(2)) ? MB(2)
                                                                                      : 4096;
        int rc = ept_set(d, gpa, pa, step, true);
        if (rc)
            return rc;
        gpa += step;
        pa += step;
        size -= step;
    }
    return 0;
}

int hv_x86_p2m_set_page(struct hv_domain *d, uint64_t gpa, uint64_t pa)
{
    int rc = ept_set(d, gpa & ~4095ull, pa, 4096, pa != 0);
    if (rc)
        return rc;
    /* ept_sync_domain: INVEPT single-context on every pCPU that may cache this EPTP */
    for (unsigned i = 0; i < d->hv->npcpus; i++)
        mmu_x86_invept(d->hv->pcpu[i].mmu, 1, d->x86->eptp);
    return 0;
}

static struct mmu_ept_regs ept_regs(const struct hv_domain *d)
{
    return (struct mmu_ept_regs){.eptp = d->x86->eptp, .enabled = true, .maxphyaddr = 46};
}

int hv_x86_p2m_lookup(struct hv_vcpu *v, uint64_t gpa, bool write, uint64_t *pa)
{
    /* p2m->get_entry (ept_get_entry): a software walk of the EPT on the software-walk port
     * (hv.swwalk.refs.s2) */
    struct mmu *mmu = hv_pcpu_mmu(v);
    struct mmu_ept_regs e = ept_regs(v->d);
    struct mmu_walk_port port = mmu_sw_walk_port(mmu, MMU_WHO_HV);
    struct mmu_walk_result res;
    int rc = mmu_x86_ept_walk(&e, gpa, write ? MMU_ACC_WRITE : MMU_ACC_READ, false, 0, false,
                              &port, &res);
    hv_charge(v, mmu_sw_walk_take_cycles(mmu, MMU_WHO_HV));
    if (rc)
        return -EFAULT;
    *pa = res.oa;
    return 0;
}

void hv_x86_guest_regs(struct hv_vcpu *v, struct mmu_x86_regs *r)
{
    const struct x86_cpu *c = v->xcpu;
    const struct x86_vmcs *vm = &v->x86->vmcs;
    memset(r, 0, sizeof(*r));
    r->maxphyaddr = c->maxphyaddr;
    if (vm->m.in_guest) {
        r->cr0 = c->cr0;
        r->cr3 = c->cr3;
        r->cr4 = c->cr4;
        r->efer = c->efer;
        r->cpl = c->cpl;
    } else {
        r->cr0 = vm->guest.cr0;
        r->cr3 = vm->guest.cr3;
        r->cr4 = vm->guest.cr4;
        r->efer = vm->guest.efer;
        r->cpl = (vm->guest.seg[X86_SEG_SS].ar >> 5) & 3;
    }
}

/* ---- struct hvm_start_info (public/arch-x86/hvm/start_info.h), version 1 ---- */
#define HVM_START_MAGIC 0x336ec578u
#define SI_SIZE 56u            /* magic, version, flags, nr_modules, modlist_paddr,
                                  cmdline_paddr, rsdp_paddr, memmap_paddr, memmap_entries */
#define MOD_SIZE 32u           /* struct hvm_modlist_entry {paddr, size, cmdline_paddr, rsvd} */
#define MEMMAP_SIZE 24u        /* struct hvm_memmap_table_entry {addr, size, type, rsvd} */

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int build_vcpu(struct hv *hv, struct hv_domain *d, unsigned i, uint32_t entry,
                      char *err, size_t errlen)
{
    struct machine *m = hv->m;
    struct hv_vcpu *v = hv_vcpu_alloc(d, i);
    if (!v)
        return -ENOMEM;
    v->x86 = calloc(1, sizeof(*v->x86));
    if (!v->x86)
        return -ENOMEM;
    v->xcpu = x86_cpu_create(&m->mem, &m->stats, X86_FEAT_ALL, err, errlen);
    if (!v->xcpu)
        return -EINVAL;
    struct x86_cpu *c = v->xcpu;
    v->cycles = &c->cycles;
    x86_set_cost_model(c, &m->model);
    c->cpu_hz = m->clock.hz;
    c->mmu = hv->pcpu[v->pcpu].mmu;
    c->who = MMU_WHO_GUEST;
    c->console = m->console;
    c->rdrand_state = m->cfg.seed + v->gid + 1;
    /* vlapic: x2APIC ID = vcpu_id * 2 (xen/arch/x86/hvm/vlapic.c vlapic_init) */
    if (x86_lapic_create(c, &m->stats, 2 * i)) {
        snprintf(err, errlen, "cannot create the LAPIC");
        return -ENOMEM;
    }
    v->ctx_pa = hv_alloc(hv, 1024, 64);
    struct x86_vmcs *vm = &v->x86->vmcs;
    if (x86_vmcs_init(vm, &m->stats, &m->model)) {
        snprintf(err, errlen, "cannot create the VMCS");
        return -ENOMEM;
    }
    /* construct_vmcs (xen/arch/x86/hvm/vmx/vmcs.c): external-interrupt exiting, HLT and I/O
     * exiting, MSR bitmap, secondary controls EPT, VPID, unrestricted guest, RDTSCP,
     * INVPCID; exit controls host 64-bit, acknowledge interrupt, save/load EFER; entry load
     * EFER. The exception bitmap is empty (no #PF interception with EPT). */
    vm->ctl.pin = X86_PIN_EXTINT_EXIT;
    vm->ctl.proc = X86_PROC_HLT_EXIT | X86_PROC_UNCOND_IO_EXIT | X86_PROC_MSR_BITMAPS |
                   X86_PROC_SECONDARY;
    vm->ctl.proc2 = X86_PROC2_EPT | X86_PROC2_VPID | X86_PROC2_UNRESTRICTED |
                    X86_PROC2_RDTSCP | X86_PROC2_INVPCID;
    vm->ctl.exit = X86_EXIT_HOST_64 | X86_EXIT_ACK_INTR | X86_EXIT_SAVE_EFER | X86_EXIT_LOAD_EFER;
    vm->ctl.entry = X86_ENTRY_LOAD_EFER;
    vm->ctl.msr_bitmap = d->x86->msr_bitmap;
    vm->ctl.eptp = d->x86->eptp;
    vm->ctl.vpid = (uint16_t)(v->gid + 1); /* VPID 0 is the host's */
    /* The PVH entry state (docs/misc/pvh.pandoc): 32-bit protected mode, paging off, EBX =
     * the start info; secondary vCPUs stay offline until brought up. */
    x86_vmcs_guest_pvh32(vm, entry);
    c->gpr[X86_RBX] = i == 0 ? d->x86->start_info : 0;
    c->vmx = vm;
    v->online = i == 0;
    hv_runstate_init(&v->rs, i == 0 ? HV_RUNSTATE_RUNNABLE : HV_RUNSTATE_OFFLINE, 0);
    return 0;
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

static int build_one(struct hv *hv, struct hv_domain *d, const struct dom_spec *sp, char *err,
                     size_t errlen);

int hv_x86_domain_build(struct hv *hv, char *err, size_t errlen)
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
    /* domain 1's RAM is the machine's RAM region, GPA == PA */
    struct dom_spec s0 = {1, m->mem.regions[0].base, m->cfg.mem_bytes,
                          m->cfg.vcpus ? m->cfg.vcpus : 1, m->cfg.cmdline, m->cfg.initrd,
                          &m->image, m->cfg.confidential};
    rc = build_one(hv, &hv->dom[0], &s0, err, errlen);
    /* Domains 2..N (docs/hv.md "Several domains"): the same guest memory map, backed by
     * their own RAM region at PA (N-1) * 64 GiB. */
    static const char *const names[HV_MAX_DOMS] = {"ram", "d2", "d3", "d4"};
    for (unsigned k = 1; !rc && k < hv->ndoms; k++) {
        struct hv_domain *d = &hv->dom[k];
        const char *spec = m->cfg.domains[k - 1];
        char path[1024];
        uint64_t mem;
        unsigned vcpus;
        rc = hv_parse_domain_spec(spec, "x86_64", m->cfg.mem_bytes, path, sizeof(path),
                                  d->cmdline, sizeof(d->cmdline), &mem, &vcpus, err, errlen);
        if (rc)
            return rc;
        if (mem > (3ull << 30)) {
            snprintf(err, errlen, "--domain %s: x86_64 guest memory is limited to 3 GiB", spec);
            return -EINVAL;
        }
        struct sim_load_opts lo = {.ram_base = 0};
        struct sim_image img;
        memset(&img, 0, sizeof(img));
        char e2[256];
        if ((rc = sim_image_parse(path, &lo, &img, e2, sizeof(e2)))) {
            snprintf(err, errlen, "--domain %s: %s: %s", spec, path, e2);
            return rc;
        }
        uint64_t pa = (uint64_t)k << 36;
        rc = sim_mem_add_ram(&m->mem, names[k], pa, mem);
        for (unsigned i = 0; !rc && i < img.info.nseg; i++) {
            const struct sim_image_segment *sg = &img.info.seg[i];
            if (sg->paddr + sg->memsz > mem)
                rc = -ERANGE;
            else
                rc = sim_mem_write_buf(&m->mem, pa + sg->paddr, sg->data, sg->filesz);
        }
        if (rc) {
            snprintf(err, errlen, "--domain %s: cannot load %s into its RAM: %s", spec, path,
                     strerror(-rc));
            sim_image_free(&img);
            return rc;
        }
        struct dom_spec sk = {k + 1, pa, mem, vcpus, d->cmdline, NULL, &img,
                              m->cfg.confidential};
        rc = build_one(hv, d, &sk, err, errlen);
        sim_image_free(&img);
    }
    return rc;
}

static int build_one(struct hv *hv, struct hv_domain *d, const struct dom_spec *sp, char *err,
                     size_t errlen)
{
    struct machine *m = hv->m;
    int rc;
    if (!sp->img->info.has_phys32_entry) {
        snprintf(err, errlen, "d%u: the image has no XEN_ELFNOTE_PHYS32_ENTRY: not a PVH kernel",
                 sp->id);
        return -EINVAL;
    }
    d->hv = hv;
    d->id = sp->id;
    d->confidential = sp->confidential;
    d->ram_ipa = 0;
    d->ram_pa = sp->ram_pa;
    d->ram_size = sp->mem;
    d->nvcpus = sp->vcpus;
    if (d->nvcpus < 1 || d->nvcpus > HV_MAX_VCPUS ||
        hv->nvcpus_all + d->nvcpus > HV_MAX_ALL_VCPUS) {
        snprintf(err, errlen, "at most %u vCPUs per domain and %u in all in this model",
                 HV_MAX_VCPUS, HV_MAX_ALL_VCPUS);
        return -EINVAL;
    }
    d->x86 = calloc(1, sizeof(*d->x86));
    if (!d->x86)
        return -ENOMEM;
    struct hv_x86_domain *x = d->x86;
    hv_domain_counters(d);
    struct sim_stats *st = &m->stats;
    x->st_hlt = sim_stats_add(st, "hv.x86.hlt", "count", "HLT exits (vCPU blocked)");
    x->st_io = sim_stats_add(st, "hv.x86.io", "count", "I/O instruction exits");
    x->st_cpuid = sim_stats_add(st, "hv.x86.cpuid", "count", "CPUID exits");
    x->st_msr = sim_stats_add(st, "hv.x86.msr", "count", "RDMSR/WRMSR exits");
    x->st_cr = sim_stats_add(st, "hv.x86.cr", "count", "control-register access exits");
    x->st_upcalls = sim_stats_add(st, "hv.x86.upcalls", "count",
                                  "event-channel upcall vectors injected");
    x->st_ept_crash = sim_stats_add(st, "hv.x86.ept_crash", "count",
                                    "EPT violations outside guest RAM (domain crashed)");
    if (!x->st_hlt || !x->st_ept_crash)
        return -ENOMEM;

    /* EPT: guest RAM [0, mem) -> the machine's RAM, superpages where aligned */
    x->ept_root = hv_alloc(hv, 4096, 4096);
    x->msr_bitmap = hv_alloc(hv, 4096, 4096);
    if (!x->ept_root || !x->msr_bitmap)
        return -ENOMEM;
    x->eptp = x->ept_root | MMU_X86_EPTP_WB | MMU_X86_EPTP_WALK4;
    rc = ept_map(d, 0, d->ram_pa, d->ram_size);
    /* the special pages (xenstore, console) backed by hypervisor memory */
    uint64_t store = hv_alloc(hv, 4096, 4096), cons = hv_alloc(hv, 4096, 4096);
    if (!rc && (!store || !cons))
        rc = -ENOMEM;
    if (!rc)
        rc = ept_map(d, X86_XENSTORE_PFN << 12, store, 4096);
    if (!rc)
        rc = ept_map(d, X86_CONSOLE_PFN << 12, cons, 4096);
    if (rc) {
        snprintf(err, errlen, "cannot build the EPT tables: %s", strerror(-rc));
        return rc;
    }
    d->console_pa = cons;
    rc = hv_evtchn_init(d);
    if (rc) {
        snprintf(err, errlen, "cannot set up event channels: %s", strerror(-rc));
        return rc;
    }
    /* HVM params the toolstack sets (libxl__build_hvm / xc_dom_x86.c): the console and
     * xenstore pages and event channels. Port 2 is the xenstore channel, unbound towards
     * dom0 (no xenstored runs: notifications go nowhere). */
    d->hvm_param[HVM_PARAM_CONSOLE_PFN] = X86_CONSOLE_PFN;
    d->hvm_param[HVM_PARAM_STORE_PFN] = X86_XENSTORE_PFN;
    d->hvm_param[HVM_PARAM_STORE_EVTCHN] = X86_STORE_EVTCHN;
    d->evtchn[X86_STORE_EVTCHN].state = ECS_UNBOUND;
    d->evtchn[X86_STORE_EVTCHN].remote_dom = 0;

    /* e820 (libxl__arch_domain_construct_memmap for PVH): RAM from 0, the special-page
     * region reserved. */
    x->e820[0] = (struct hv_x86_e820){0, d->ram_size, 1};
    x->e820[1] = (struct hv_x86_e820){X86_SPECIAL_PFN(0) << 12, 8 * 4096, 2};
    x->ne820 = 2;

    /* Modules and the start info after the kernel, page aligned, in the order
     * xc_dom_build_image allocates segments: kernel, modules (the initrd), then the
     * HVMstart_info segment (start info, command line, module list, memory map). */
    uint64_t kend = 0;
    for (unsigned k = 0; k < sp->img->info.nseg; k++) {
        const struct sim_image_segment *s = &sp->img->info.seg[k];
        if (s->paddr + s->memsz > kend)
            kend = s->paddr + s->memsz;
    }
    uint64_t next = (kend + 4095) & ~4095ull;
    uint8_t *initrd = NULL;
    size_t initrd_len = 0;
    uint64_t initrd_gpa = 0;
    if (sp->initrd && (rc = hv_read_file(sp->initrd, &initrd, &initrd_len))) {
        snprintf(err, errlen, "cannot read initrd %s: %s", sp->initrd, strerror(-rc));
        return rc;
    }
    if (initrd) {
        initrd_gpa = next;
        next = (next + initrd_len + 4095) & ~4095ull;
    }
    const char *cmd = sp->cmdline ? sp->cmdline : "";
    size_t cmdlen = strlen(cmd) + 1;
    uint64_t si = next;
    uint64_t cmd_gpa = si + SI_SIZE;
    uint64_t mod_gpa = (cmd_gpa + cmdlen + 7) & ~7ull;
    uint64_t map_gpa = mod_gpa + (initrd ? MOD_SIZE : 0);
    uint64_t si_end = map_gpa + MEMMAP_SIZE * x->ne820;
    if (si_end > d->ram_size) {
        free(initrd);
        snprintf(err, errlen, "guest RAM too small for the image, modules and start info");
        return -ENOSPC;
    }
    uint8_t buf[4096];
    memset(buf, 0, sizeof(buf));
    if (si_end - si > sizeof(buf)) {
        free(initrd);
        snprintf(err, errlen, "command line too long");
        return -E2BIG;
    }
    uint8_t *p = buf;
    put(p + 0, HVM_START_MAGIC, 4);
    put(p + 4, 1, 4); /* version 1: the memory map fields */
    put(p + 8, 0, 4);
    put(p + 12, initrd ? 1 : 0, 4);
    put(p + 16, initrd ? mod_gpa : 0, 8);
    put(p + 24, cmd_gpa, 8);
    put(p + 32, 0, 8); /* no ACPI tables: rsdp_paddr 0 */
    put(p + 40, map_gpa, 8);
    put(p + 48, x->ne820, 4);
    memcpy(buf + (cmd_gpa - si), cmd, cmdlen);
    if (initrd) {
        uint8_t *e = buf + (mod_gpa - si);
        put(e, initrd_gpa, 8);
        put(e + 8, initrd_len, 8);
    }
    for (unsigned k = 0; k < x->ne820; k++) {
        uint8_t *e = buf + (map_gpa - si) + MEMMAP_SIZE * k;
        put(e, x->e820[k].addr, 8);
        put(e + 8, x->e820[k].size, 8);
        put(e + 16, x->e820[k].type, 4);
    }
    rc = sim_mem_write_buf(&m->mem, d->ram_pa + si, buf, si_end - si);
    if (!rc && initrd)
        rc = sim_mem_write_buf(&m->mem, d->ram_pa + initrd_gpa, initrd, initrd_len);
    free(initrd);
    if (rc) {
        snprintf(err, errlen, "cannot write the start info into guest RAM");
        return rc;
    }
    x->start_info = si;

    uint64_t entry = sp->img->info.phys32_entry;
    for (unsigned i = 0; i < d->nvcpus; i++)
        if ((rc = build_vcpu(hv, d, i, (uint32_t)entry, err, errlen)))
            return rc;
    return 0;
}
