/* sim/cli_run.c - `hvsim run`: configure a machine, load the image or workload, run it,
 * and record the run (counters, outcome, config) in the results database. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv/profile.h"
#include "mmu/cpu_model.h"
#include "results/results.h"
#include "sim/cli.h"
#include "sim/machine.h"
#include "sim/workload.h"

static void run_help(FILE *f)
{
    fprintf(f,
        "usage: hvsim run --image FILE | --workload NAME[:k=v,...]  [options]\n"
        "\n"
        "Runs one guest and records the run in the results database.\n"
        "\n"
        "What to run:\n"
        "  --arch arm64|x86_64     guest architecture (default: from the image)\n"
        "  --image FILE            ELF, Linux arm64 Image, Image.gz, PVH ELF, or raw (--load-addr)\n"
        "  --workload NAME[:k=v,...]  a built experiment guest ('hvsim workloads' lists them);\n"
        "                          the parameters go on the guest command line\n"
        "  --bare                  no hypervisor: arm64 starts at EL1 with the MMU off, x86_64 in\n"
        "                          64-bit mode identity-mapped. End markers: arm64 'BRK #0xF000',\n"
        "                          x86_64 'HLT' with interrupts disabled\n"
        "  --load-addr ADDR        load a raw binary at this guest physical address\n"
        "  --max-insns N           stop after N instructions (outcome max-insns)\n"
        "  --seed N                seed for everything random in the run (default 0)\n"
        "\n"
        "Machine and model:\n"
        "  --cpu MODEL             CPU model (TLB/cache geometry, latencies); '--cpu help' lists them\n"
        "  --tlb SPEC              override TLB geometry, e.g. l2=2048x8 (see --cpu help)\n"
        "  --pwc SPEC              override walk-cache sizes\n"
        "  --cache SPEC            override data caches, or 'off' (fixed latency, faster)\n"
        "  --mem SIZE              guest RAM, e.g. 256M (default 256M)\n"
        "  --vcpus N  --pcpus N    virtual and physical CPUs (default 1 and 1)\n"
        "  --timeslice-us N        scheduler time slice in simulated microseconds (default 1000)\n"
        "\n"
        "Hypervisor model:\n"
        "  --hv-profile NAME       ABI profile ('--hv-profile help' lists them; default xen-4.17)\n"
        "  --runstate POLICY       runstate update policy ('--runstate help'; default: the profile's)\n"
        "  --cmdline STR           guest command line (device tree /chosen/bootargs, PVH cmdline)\n"
        "  --initrd FILE           initial ramdisk\n"
        "  --vpl011                give the guest Xen's emulated PL011 (SBSA UART at 0x22000000)\n"
        "\n"
        "Output:\n"
        "  --db FILE               results database (default $HVSIM_DB or hvsim.db)\n"
        "  --no-db                 do not record the run\n"
        "  --stats                 print the counter summary on stderr at the end\n"
        "  --stats-json FILE       write {\"insns\":N,\"cycles\":N,\"counters\":{...}}\n"
        "  --dump-state FILE.json  write the final architectural registers as JSON\n"
        "  --trace                 print each executed instruction (slow)\n"
        "\n"
        "Exit status: 0 guest powered off (or bare end marker), 1 guest crashed or the simulation\n"
        "failed, 2 usage error. Guest console output goes to stdout, hvsim's messages to stderr.\n");
}

enum {
    OPT_ARCH = 256, OPT_IMAGE, OPT_WORKLOAD, OPT_BARE, OPT_LOAD_ADDR, OPT_MAX_INSNS, OPT_SEED,
    OPT_CPU, OPT_TLB, OPT_PWC, OPT_CACHE, OPT_MEM, OPT_VCPUS, OPT_PCPUS, OPT_TIMESLICE,
    OPT_PROFILE, OPT_RUNSTATE, OPT_CMDLINE, OPT_INITRD, OPT_VPL011, OPT_DB, OPT_NO_DB,
    OPT_STATS, OPT_STATS_JSON, OPT_DUMP, OPT_TRACE, OPT_HELP,
};

static const struct option run_opts[] = {
    {"arch", required_argument, NULL, OPT_ARCH},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"workload", required_argument, NULL, OPT_WORKLOAD},
    {"bare", no_argument, NULL, OPT_BARE},
    {"load-addr", required_argument, NULL, OPT_LOAD_ADDR},
    {"max-insns", required_argument, NULL, OPT_MAX_INSNS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"cpu", required_argument, NULL, OPT_CPU},
    {"tlb", required_argument, NULL, OPT_TLB},
    {"pwc", required_argument, NULL, OPT_PWC},
    {"cache", required_argument, NULL, OPT_CACHE},
    {"mem", required_argument, NULL, OPT_MEM},
    {"vcpus", required_argument, NULL, OPT_VCPUS},
    {"pcpus", required_argument, NULL, OPT_PCPUS},
    {"timeslice-us", required_argument, NULL, OPT_TIMESLICE},
    {"hv-profile", required_argument, NULL, OPT_PROFILE},
    {"runstate", required_argument, NULL, OPT_RUNSTATE},
    {"cmdline", required_argument, NULL, OPT_CMDLINE},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"vpl011", no_argument, NULL, OPT_VPL011},
    {"db", required_argument, NULL, OPT_DB},
    {"no-db", no_argument, NULL, OPT_NO_DB},
    {"stats", no_argument, NULL, OPT_STATS},
    {"stats-json", required_argument, NULL, OPT_STATS_JSON},
    {"dump-state", required_argument, NULL, OPT_DUMP},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_count(const char *opt, const char *s, unsigned max, unsigned *out)
{
    uint64_t v;
    if (sim_parse_u64(s, &v, false) || v == 0 || v > max)
        return sim_usage_error("run", "%s wants a number from 1 to %u, not '%s'", opt, max, s);
    *out = (unsigned)v;
    return 0;
}

/* Parse argv into cfg. Returns 0, SIM_EXIT_USAGE, or -1 for "done, exit 0" (help lists). */
static int parse_run_args(int argc, char **argv, struct sim_config *c, char **workload_spec)
{
    int o;
    uint64_t v;
    while ((o = getopt_long(argc, argv, "", run_opts, NULL)) != -1) {
        switch (o) {
        case OPT_ARCH:
            if ((c->arch = sim_arch_parse(optarg)) == SIM_ARCH_NONE)
                return sim_usage_error("run", "unknown architecture '%s' (arm64 or x86_64)", optarg);
            break;
        case OPT_IMAGE: c->image = optarg; break;
        case OPT_WORKLOAD: *workload_spec = optarg; break;
        case OPT_BARE: c->bare = true; break;
        case OPT_LOAD_ADDR:
            if (sim_parse_u64(optarg, &c->load_addr, false))
                return sim_usage_error("run", "--load-addr wants an address, not '%s'", optarg);
            c->have_load_addr = true;
            break;
        case OPT_MAX_INSNS:
            if (sim_parse_u64(optarg, &c->max_insns, true) || !c->max_insns)
                return sim_usage_error("run", "--max-insns wants a positive count, not '%s'", optarg);
            break;
        case OPT_SEED:
            if (sim_parse_u64(optarg, &c->seed, false))
                return sim_usage_error("run", "--seed wants a number, not '%s'", optarg);
            break;
        case OPT_CPU:
            if (!strcmp(optarg, "help")) {
                mmu_cpu_model_list(stdout);
                return -1;
            }
            c->cpu = optarg;
            break;
        case OPT_TLB: c->tlb_spec = optarg; break;
        case OPT_PWC: c->pwc_spec = optarg; break;
        case OPT_CACHE: c->cache_spec = optarg; break;
        case OPT_MEM:
            if (sim_parse_u64(optarg, &v, true) || v < (1u << 20) || (v & 4095))
                return sim_usage_error("run", "--mem wants a size of at least 1M in whole 4K "
                                       "pages, e.g. 256M, not '%s'", optarg);
            c->mem_bytes = v;
            break;
        case OPT_VCPUS:
            if (parse_count("--vcpus", optarg, 64, &c->vcpus))
                return SIM_EXIT_USAGE;
            break;
        case OPT_PCPUS:
            if (parse_count("--pcpus", optarg, 64, &c->pcpus))
                return SIM_EXIT_USAGE;
            break;
        case OPT_TIMESLICE:
            if (sim_parse_u64(optarg, &c->timeslice_us, false) || !c->timeslice_us ||
                c->timeslice_us > 10000000)
                return sim_usage_error("run", "--timeslice-us wants 1..10000000, not '%s'", optarg);
            break;
        case OPT_PROFILE:
            if (!strcmp(optarg, "help")) {
                hv_profile_list(stdout);
                return -1;
            }
            if (!hv_profile_find(optarg))
                return sim_usage_error("run", "unknown hypervisor profile '%s' (--hv-profile help "
                                       "lists them)", optarg);
            c->hv_profile = optarg;
            break;
        case OPT_RUNSTATE:
            if (!strcmp(optarg, "help")) {
                hv_runstate_policy_list(stdout);
                return -1;
            }
            if (strcmp(optarg, "profile") && hv_runstate_policy_parse(optarg) < 0)
                return sim_usage_error("run", "unknown runstate policy '%s' (--runstate help "
                                       "lists them)", optarg);
            c->runstate = optarg;
            break;
        case OPT_CMDLINE: c->cmdline = optarg; break;
        case OPT_INITRD: c->initrd = optarg; break;
        case OPT_VPL011: c->vpl011 = true; break;
        case OPT_DB: c->db = optarg; break;
        case OPT_NO_DB: c->no_db = true; break;
        case OPT_STATS: c->print_stats = true; break;
        case OPT_STATS_JSON: c->stats_json = optarg; break;
        case OPT_DUMP: c->dump_state = optarg; break;
        case OPT_TRACE: c->trace = true; break;
        case OPT_HELP:
            run_help(stdout);
            return -1;
        default:
            if (optopt && optopt < 256)
                return sim_usage_error("run", "unknown option '-%c'", optopt);
            return sim_usage_error("run", "unknown option or missing argument near '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return sim_usage_error("run", "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Resolve --workload NAME[:params] to an image path (buffer kept by the caller). */
static int resolve_workload(struct sim_config *c, char *spec, char *path, size_t len)
{
    char *colon = strchr(spec, ':');
    if (colon) {
        *colon = 0;
        c->workload_params = colon + 1;
    }
    c->workload = spec;
    const struct sim_workload *w = sim_workload_find(spec);
    if (!w)
        return sim_usage_error("run", "no workload named '%s' ('hvsim workloads' lists them)", spec);
    if (c->arch == SIM_ARCH_NONE)
        c->arch = SIM_ARCH_A64;
    if (sim_workload_image(spec, sim_arch_name(c->arch), path, len)) {
        sim_errorf("run: workload '%s' for %s is not built (guest workloads come with the "
                   "'Guest workloads' issue; 'hvsim workloads' shows what is built)",
                   spec, sim_arch_name(c->arch));
        return SIM_EXIT_FAIL;
    }
    c->image = path;
    return 0;
}

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int record_run(struct machine *m, const char *config_json, const char *config_hash,
                      double wall, int exit_status)
{
    struct res_db *db;
    char err[512];
    const struct sim_config *c = &m->cfg;
    const char *path = c->db ? c->db : sim_default_db();
    if (res_open(path, RES_OPEN_CREATE, &db, err, sizeof(err))) {
        sim_errorf("run: %s: %s", path, err);
        return -1;
    }
    char host[128] = "";
    gethostname(host, sizeof(host) - 1);
    struct res_run r = {
        .arch = sim_arch_name(c->arch),
        .cpu_model = c->cpu,
        .hv_profile = c->bare ? "bare" : c->hv_profile,
        .runstate_policy = c->bare ? "none" : c->runstate,
        .workload = c->workload ? c->workload : basename_of(c->image),
        .workload_params = c->workload_params ? c->workload_params : "",
        .image_path = c->image,
        .image_sha256 = m->image_sha256,
        .config_json = config_json,
        .config_hash = config_hash,
        .outcome = sim_outcome_name(m->outcome),
        .host = host,
        .seed = c->seed,
        .insns = m->insns,
        .cycles = m->clock.cycles,
        .sim_ns = sim_clock_ns(&m->clock),
        .exit_status = exit_status,
        .wall_seconds = wall,
    };
    int64_t id = res_write_run(db, &r, &m->stats, m->hcalls, m->nhcalls, m->events, m->nevents,
                               m->samples, m->nsamples, err, sizeof(err));
    res_close(db);
    if (id < 0) {
        sim_errorf("run: %s: %s", path, err);
        return -1;
    }
    sim_infof("run %lld recorded in %s", (long long)id, path);
    return 0;
}

int sim_cmd_run(int argc, char **argv)
{
    struct sim_config cfg;
    char *workload_spec = NULL;
    char wl_path[4096];
    char err[512];
    sim_config_defaults(&cfg);
    int rc = parse_run_args(argc, argv, &cfg, &workload_spec);
    if (rc)
        return rc < 0 ? SIM_EXIT_OK : rc;
    if (!cfg.image == !workload_spec)
        return sim_usage_error("run", "give exactly one of --image FILE or --workload NAME");
    if (workload_spec && (rc = resolve_workload(&cfg, workload_spec, wl_path, sizeof(wl_path))))
        return rc;
    if (cfg.bare && (cfg.vcpus > 1 || cfg.pcpus > 1))
        return sim_usage_error("run", "--bare runs one CPU without a hypervisor; drop --vcpus/--pcpus");

    if (cfg.cpu && !mmu_cpu_model_find(cfg.cpu))
        return sim_usage_error("run", "unknown CPU model '%s' (--cpu help lists them)", cfg.cpu);

    /* Architecture from the image when not given. */
    if (cfg.arch == SIM_ARCH_NONE) {
        struct sim_image probe;
        struct sim_load_opts lo = {.ram_base = SIM_A64_RAM_BASE,
                                   .have_load_addr = cfg.have_load_addr,
                                   .load_addr = cfg.load_addr};
        if (sim_image_parse(cfg.image, &lo, &probe, err, sizeof(err))) {
            sim_errorf("%s: %s", cfg.image, err);
            return SIM_EXIT_FAIL;
        }
        enum sim_image_arch ia = probe.info.arch;
        sim_image_free(&probe);
        if (ia == SIM_ARCH_ARM64)
            cfg.arch = SIM_ARCH_A64;
        else if (ia == SIM_ARCH_X86_64 || ia == SIM_ARCH_X86_32)
            cfg.arch = SIM_ARCH_X64;
        else
            return sim_usage_error("run", "cannot tell the architecture of '%s'; give --arch",
                                   cfg.image);
    }

    /* The CPU model and its overrides. */
    struct mmu_cpu_model model;
    if (!cfg.cpu)
        cfg.cpu = cfg.arch == SIM_ARCH_X64 ? "skylake" : "cortex-a57";
    const struct mmu_cpu_model *base = mmu_cpu_model_find(cfg.cpu);
    if (!base)
        return sim_usage_error("run", "unknown CPU model '%s' (--cpu help lists them)", cfg.cpu);
    if (strcmp(base->arch, sim_arch_name(cfg.arch)))
        return sim_usage_error("run", "CPU model '%s' is an %s model, not %s", cfg.cpu,
                               base->arch, sim_arch_name(cfg.arch));
    model = *base;
    const char *what[] = {"tlb", "pwc", "cache"};
    const char *spec[] = {cfg.tlb_spec, cfg.pwc_spec, cfg.cache_spec};
    for (int i = 0; i < 3; i++)
        if (spec[i] && mmu_cpu_model_override(&model, what[i], spec[i], err, sizeof(err)))
            return sim_usage_error("run", "--%s %s: %s", what[i], spec[i], err);

    struct machine *m = calloc(1, sizeof(*m));
    if (!m) {
        sim_errorf("run: out of memory");
        return SIM_EXIT_FAIL;
    }
    int status = SIM_EXIT_FAIL;
    if (sim_machine_init(m, &cfg, err, sizeof(err))) {
        sim_errorf("run: %s", err);
        goto out;
    }
    m->model = model;
    m->clock.hz = (uint64_t)model.freq_mhz * 1000000u;
    if (sim_machine_load(m, err, sizeof(err))) {
        sim_errorf("%s: %s", cfg.image, err);
        goto out;
    }

    char model_json[4096], config_json[8192], config_hash[SIM_SHA256_HEX_LEN];
    if (mmu_cpu_model_to_json(&model, model_json, sizeof(model_json)) < 0 ||
        sim_config_json(&cfg, m->image_sha256, model_json, config_json, sizeof(config_json)) < 0) {
        sim_errorf("run: configuration too large to record");
        goto out;
    }
    sim_config_hash(config_json, config_hash);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = sim_machine_run(m, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fflush(m->console);
    if (rc) {
        sim_errorf("run: %s", err);
        goto out;
    }
    status = m->outcome == SIM_OUT_POWEROFF ? SIM_EXIT_OK : SIM_EXIT_FAIL;
    sim_infof("%s after %llu instructions, %llu cycles (%.3f ms simulated), %.3f s wall, "
              "%.1f MIPS%s%s", sim_outcome_name(m->outcome), (unsigned long long)m->insns,
              (unsigned long long)m->clock.cycles, sim_clock_ns(&m->clock) / 1e6, wall,
              wall > 0 ? m->insns / wall / 1e6 : 0.0, m->outcome_detail[0] ? ": " : "",
              m->outcome_detail);

    if (cfg.print_stats)
        sim_stats_print(&m->stats, stderr, 0);
    if (cfg.stats_json) {
        FILE *f = fopen(cfg.stats_json, "w");
        if (!f || sim_stats_write_json(&m->stats, f, m->insns, m->clock.cycles) ||
            fclose(f)) {
            sim_errorf("run: cannot write %s: %s", cfg.stats_json, strerror(errno));
            status = SIM_EXIT_FAIL;
        }
    }
    if (cfg.dump_state) {
        FILE *f = fopen(cfg.dump_state, "w");
        if (!f || sim_machine_dump_state(m, f) || fclose(f)) {
            sim_errorf("run: cannot write %s: %s", cfg.dump_state, f ? "dump failed" :
                       strerror(errno));
            status = SIM_EXIT_FAIL;
        }
    }
    if (!cfg.no_db && record_run(m, config_json, config_hash, wall, status))
        status = SIM_EXIT_FAIL;
out:
    sim_machine_destroy(m);
    free(m);
    return status;
}
