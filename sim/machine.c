/* sim/machine.c - machine set-up, image loading and the run dispatch (see machine.h). */
#include "sim/machine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine.h"

int sim_machine_init(struct machine *m, const struct sim_config *cfg, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    m->console = stdout;
    sim_mem_init(&m->mem);
    sim_stats_init(&m->stats);
    sim_sampler_init(&m->sampler);
    m->clock.hz = 2000000000ull; /* replaced by the CPU model's frequency when a core attaches */
    uint64_t base = cfg->arch == SIM_ARCH_X64 ? SIM_X64_RAM_BASE : SIM_A64_RAM_BASE;
    if (cfg->mem_bytes < (1ull << 20) || (cfg->mem_bytes & (SIM_PAGE_SIZE - 1))) {
        snprintf(err, errlen, "guest memory size must be a multiple of 4 KiB and at least 1 MiB");
        return -EINVAL;
    }
    if (cfg->arch == SIM_ARCH_X64 && cfg->mem_bytes > (3ull << 30)) {
        snprintf(err, errlen, "x86_64 guest memory is limited to 3 GiB (below the 4 GiB hole)");
        return -EINVAL;
    }
    if (cfg->arch == SIM_ARCH_A64 && cfg->mem_bytes > (3ull << 30)) {
        /* Xen's GUEST_RAM0_SIZE (xen/include/public/arch-arm.h): bank 0 is 3 GiB */
        snprintf(err, errlen, "arm64 guest memory is limited to 3 GiB (Xen's RAM bank 0)");
        return -EINVAL;
    }
    int rc = sim_mem_add_ram(&m->mem, "ram0", base, cfg->mem_bytes);
    if (rc) {
        snprintf(err, errlen, "cannot allocate %llu bytes of guest memory: %s",
                 (unsigned long long)cfg->mem_bytes, strerror(-rc));
        return rc;
    }
    return 0;
}

int sim_machine_load(struct machine *m, char *err, size_t errlen)
{
    struct sim_load_opts lo = {
        .ram_base = m->mem.regions[0].base,
        .have_load_addr = m->cfg.have_load_addr,
        .load_addr = m->cfg.load_addr,
    };
    int rc = sim_image_parse(m->cfg.image, &lo, &m->image, err, errlen);
    if (rc)
        return rc;
    enum sim_image_arch ia = m->image.info.arch;
    if (m->cfg.arch == SIM_ARCH_A64 && ia != SIM_ARCH_ARM64 && ia != SIM_ARCH_UNKNOWN) {
        snprintf(err, errlen, "image is for %s, not arm64", sim_image_arch_name(ia));
        return -EINVAL;
    }
    if (m->cfg.arch == SIM_ARCH_X64 && ia != SIM_ARCH_X86_64 && ia != SIM_ARCH_X86_32 &&
        ia != SIM_ARCH_UNKNOWN) {
        snprintf(err, errlen, "image is for %s, not x86_64", sim_image_arch_name(ia));
        return -EINVAL;
    }
    rc = sim_sha256_file_hex(m->cfg.image, m->image_sha256);
    if (rc) {
        snprintf(err, errlen, "cannot read: %s", strerror(-rc));
        return rc;
    }
    return sim_image_place(&m->image, &m->mem, err, errlen);
}

int sim_machine_run(struct machine *m, char *err, size_t errlen)
{
    const struct sim_engine *e = sim_engine_find(m->cfg.arch, m->cfg.bare);
    if (!e) {
        snprintf(err, errlen, "%s %s execution is not part of this build yet: it needs %s",
                 sim_arch_name(m->cfg.arch), m->cfg.bare ? "bare-mode" : "hypervisor-mode",
                 sim_engine_missing(m->cfg.arch, m->cfg.bare));
        return -ENOSYS;
    }
    int rc = e->run(m, err, errlen);
    if (!rc) {
        sim_sampler_finish(&m->sampler, &m->stats, m->clock.cycles);
        if (!m->samples) {
            m->samples = m->sampler.rows;
            m->nsamples = m->sampler.nrows;
        }
    }
    return rc;
}

int sim_machine_dump_state(struct machine *m, FILE *f)
{
    const struct sim_engine *e = sim_engine_find(m->cfg.arch, m->cfg.bare);
    if (!e || !e->dump_state || !m->cpu)
        return -ENOSYS;
    return e->dump_state(m, f);
}

void sim_machine_destroy(struct machine *m)
{
    const struct sim_engine *e = sim_engine_find(m->cfg.arch, m->cfg.bare);
    if (e && e->destroy && m->cpu)
        e->destroy(m);
    sim_image_free(&m->image);
    sim_mem_destroy(&m->mem);
    sim_sampler_free(&m->sampler);
    sim_stats_destroy(&m->stats);
}

const char *sim_outcome_name(enum sim_outcome o)
{
    switch (o) {
    case SIM_OUT_POWEROFF: return "poweroff";
    case SIM_OUT_CRASH: return "crash";
    case SIM_OUT_REBOOT: return "reboot";
    case SIM_OUT_MAX_INSNS: return "max-insns";
    case SIM_OUT_ERROR: return "error";
    default: return "not-run";
    }
}
