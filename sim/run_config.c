/* sim/run_config.c - `hvsim run` options: parsing, resolution and the config hash (see
 * run_config.h). Moved out of sim/cli_run.c so `hvsim sweep` hashes a point exactly as the run
 * it launches will. */
#include "sim/run_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/profile.h"
#include "sim/cli.h"
#include "sim/loader.h"
#include "sim/machine.h"
#include "sim/workload.h"

static int usage(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return SIM_EXIT_USAGE;
}

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
        "  --confidential          modelled confidential VM: the hypervisor cannot translate\n"
        "                          guest VAs (VA buffers -EFAULT); guest-physical access works\n"
        "  --domain SPEC           one more domain (repeatable, up to 3): workload=NAME[:k=v,..]\n"
        "                          or image=F[,mem=M][,vcpus=N][,cmdline=TEXT]; with several\n"
        "                          domains each console line starts '(d<N>) '\n"
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
    OPT_PROFILE, OPT_RUNSTATE, OPT_CMDLINE, OPT_INITRD, OPT_VPL011, OPT_CONFIDENTIAL, OPT_DOMAIN, OPT_DB, OPT_NO_DB,
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
    {"confidential", no_argument, NULL, OPT_CONFIDENTIAL},
    {"domain", required_argument, NULL, OPT_DOMAIN},
    {"db", required_argument, NULL, OPT_DB},
    {"no-db", no_argument, NULL, OPT_NO_DB},
    {"stats", no_argument, NULL, OPT_STATS},
    {"stats-json", required_argument, NULL, OPT_STATS_JSON},
    {"dump-state", required_argument, NULL, OPT_DUMP},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_count(const char *opt, const char *s, unsigned max, unsigned *out, char *err,
                       size_t errlen)
{
    uint64_t v;
    if (sim_parse_u64(s, &v, false) || v == 0 || v > max)
        return usage(err, errlen, "%s wants a number from 1 to %u, not '%s'", opt, max, s);
    *out = (unsigned)v;
    return 0;
}

/* Parse argv into cfg. Returns 0, SIM_EXIT_USAGE, or -1 for "done, exit 0" (help lists). */
static int parse_run_args(int argc, char **argv, struct sim_config *c, bool *mem_given,
                          bool *profile_given, char **workload_spec,
                          char *err, size_t errlen)
{
    int o;
    uint64_t v;
    while ((o = getopt_long(argc, argv, "", run_opts, NULL)) != -1) {
        switch (o) {
        case OPT_ARCH:
            if ((c->arch = sim_arch_parse(optarg)) == SIM_ARCH_NONE)
                return usage(err, errlen, "unknown architecture '%s' (arm64 or x86_64)", optarg);
            break;
        case OPT_IMAGE: c->image = optarg; break;
        case OPT_WORKLOAD: *workload_spec = optarg; break;
        case OPT_BARE: c->bare = true; break;
        case OPT_LOAD_ADDR:
            if (sim_parse_u64(optarg, &c->load_addr, false))
                return usage(err, errlen, "--load-addr wants an address, not '%s'", optarg);
            c->have_load_addr = true;
            break;
        case OPT_MAX_INSNS:
            if (sim_parse_u64(optarg, &c->max_insns, true) || !c->max_insns)
                return usage(err, errlen, "--max-insns wants a positive count, not '%s'", optarg);
            break;
        case OPT_SEED:
            if (sim_parse_u64(optarg, &c->seed, false))
                return usage(err, errlen, "--seed wants a number, not '%s'", optarg);
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
                return usage(err, errlen, "--mem wants a size of at least 1M in whole 4K "
                                       "pages, e.g. 256M, not '%s'", optarg);
            c->mem_bytes = v;
            *mem_given = true;
            break;
        case OPT_VCPUS:
            if (parse_count("--vcpus", optarg, 64, &c->vcpus, err, errlen))
                return SIM_EXIT_USAGE;
            break;
        case OPT_PCPUS:
            if (parse_count("--pcpus", optarg, 64, &c->pcpus, err, errlen))
                return SIM_EXIT_USAGE;
            break;
        case OPT_TIMESLICE:
            if (sim_parse_u64(optarg, &c->timeslice_us, false) || !c->timeslice_us ||
                c->timeslice_us > 10000000)
                return usage(err, errlen, "--timeslice-us wants 1..10000000, not '%s'", optarg);
            break;
        case OPT_PROFILE:
            if (!strcmp(optarg, "help")) {
                hv_profile_list(stdout);
                return -1;
            }
            if (!hv_profile_find(optarg))
                return usage(err, errlen, "unknown hypervisor profile '%s' (--hv-profile help "
                                       "lists them)", optarg);
            c->hv_profile = optarg;
            *profile_given = true;
            break;
        case OPT_RUNSTATE:
            if (!strcmp(optarg, "help")) {
                hv_runstate_policy_list(stdout);
                return -1;
            }
            if (strcmp(optarg, "profile") && hv_runstate_policy_parse(optarg) < 0)
                return usage(err, errlen, "unknown runstate policy '%s' (--runstate help "
                                       "lists them)", optarg);
            c->runstate = optarg;
            break;
        case OPT_CMDLINE: c->cmdline = optarg; break;
        case OPT_INITRD: c->initrd = optarg; break;
        case OPT_VPL011: c->vpl011 = true; break;
        case OPT_CONFIDENTIAL: c->confidential = true; break;
        case OPT_DOMAIN:
            if (c->ndomains >= SIM_MAX_EXTRA_DOMAINS)
                return usage(err, errlen, "at most %d --domain options",
                             SIM_MAX_EXTRA_DOMAINS);
            c->domains[c->ndomains++] = optarg;
            break;
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
                return usage(err, errlen, "unknown option '-%c'", optopt);
            return usage(err, errlen, "unknown option or missing argument near '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage(err, errlen, "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Resolve --workload NAME[:params] to an image path (buffer kept by the caller). */
static int resolve_workload(struct sim_config *c, char *spec, char *path, size_t len, char *err,
                            size_t errlen)
{
    char *colon = strchr(spec, ':');
    if (colon) {
        *colon = 0;
        c->workload_params = colon + 1;
    }
    c->workload = spec;
    const struct sim_workload *w = sim_workload_find(spec);
    if (!w)
        return usage(err, errlen, "no workload named '%s' ('hvsim workloads' lists them)", spec);
    if (c->arch == SIM_ARCH_NONE)
        c->arch = SIM_ARCH_A64;
    if (!strcmp(spec, "linux") && c->arch == SIM_ARCH_A64 &&
        sim_workload_image(spec, "arm64", path, len)) {
        snprintf(err, errlen, "run: workload 'linux' needs Debian's arm64 kernel at %s: run "
                 "scripts/fetch-images.sh (or set HVSIM_LINUX_IMAGE)", path);
        return SIM_EXIT_FAIL;
    }
    if (sim_workload_image(spec, sim_arch_name(c->arch), path, len)) {
        snprintf(err, errlen, "run: workload '%s' for %s is not built (guest workloads come "
                 "with the 'Guest workloads' issue; 'hvsim workloads' shows what is built)",
                 spec, sim_arch_name(c->arch));
        return SIM_EXIT_FAIL;
    }
    c->image = path;
    return 0;
}

/* The `linux` workload (Debian's kernel, docs/linux.md): the kernel command line is
 * "console=hvc0 earlycon=xenboot cryptomgr.notests=1 panic=-1", then any --cmdline text, then the
 * parameters as words (kpti=0|1 is the kernel's own arm64 parameter; words the kernel does
 * not know, e.g. tasks=N, reach /init as environment variables). profile=NAME selects the
 * hypervisor profile and is not passed on. The initramfs is the one the build made, RAM
 * 512M unless --mem says otherwise. */
static int linux_workload(struct sim_run_setup *s, char *err, size_t errlen)
{
    struct sim_config *c = &s->cfg;
    char *o = s->cmdline_buf, *end = s->cmdline_buf + sizeof(s->cmdline_buf);
    int n = snprintf(o, (size_t)(end - o), "console=hvc0 earlycon=xenboot cryptomgr.notests=1 panic=-1%s%s",
                     c->cmdline ? " " : "", c->cmdline ? c->cmdline : "");
    if (n < 0 || n >= end - o)
        return usage(err, errlen, "command line too long");
    o += n;
    for (const char *p = c->workload_params; p && *p;) {
        size_t l = strcspn(p, ",");
        if (!strncmp(p, "profile=", 8)) {
            char *prof = s->profile_buf;
            if (l - 8 >= sizeof(s->profile_buf))
                return usage(err, errlen, "linux: profile name too long");
            memcpy(prof, p + 8, l - 8);
            prof[l - 8] = 0;
            if (!hv_profile_find(prof))
                return usage(err, errlen, "linux: unknown profile '%s' (--hv-profile help)", prof);
            if (s->profile_given && strcmp(c->hv_profile, prof))
                return usage(err, errlen, "linux: profile=%s contradicts --hv-profile %s", prof,
                             c->hv_profile);
            c->hv_profile = prof;
        } else if (l) {
            if ((size_t)(end - o) <= l + 1)
                return usage(err, errlen, "command line and workload parameters are too long");
            *o++ = ' ';
            memcpy(o, p, l);
            o += l;
            *o = 0;
        }
        p += l;
        p += *p == ',';
    }
    c->cmdline = s->cmdline_buf;
    if (!c->initrd) {
        if (sim_workload_file("arm64", "linux-initrd.cpio", s->initrd_path,
                              sizeof(s->initrd_path))) {
            snprintf(err, errlen, "run: the Linux initramfs %s is not built", s->initrd_path);
            return SIM_EXIT_FAIL;
        }
        c->initrd = s->initrd_path;
    }
    if (!s->mem_given)
        c->mem_bytes = 512ull << 20;
    return 0;
}

int sim_run_setup(int argc, char **argv, struct sim_run_setup *s, char *err, size_t errlen)
{
    struct sim_config *c = &s->cfg;
    char *workload_spec = NULL;
    char why[512];
    if (errlen)
        err[0] = 0;
    sim_config_defaults(c);
    c->vcpus = 0; /* "not given": a workload's vcpus=N parameter may set it below */
    s->config_json[0] = 0;
    s->config_hash[0] = 0;
    sim_getopt_reset();
    s->mem_given = s->profile_given = false;
    int rc = parse_run_args(argc, argv, c, &s->mem_given, &s->profile_given, &workload_spec, err,
                            errlen);
    if (rc)
        return rc;
    if (!c->image == !workload_spec)
        return usage(err, errlen, "give exactly one of --image FILE or --workload NAME");
    if (workload_spec &&
        (rc = resolve_workload(c, workload_spec, s->workload_path, sizeof(s->workload_path), err,
                               errlen)))
        return rc;
    if (workload_spec && !strcmp(c->workload, "linux")) {
        rc = linux_workload(s, err, errlen);
        if (rc)
            return rc;
    } else if (c->workload_params && *c->workload_params) {
        /* A workload's parameters reach the guest on its command line (device-tree
         * /chosen/bootargs, PVH cmdline), after any --cmdline text: the guests read k=v. */
        int n = snprintf(s->cmdline_buf, sizeof(s->cmdline_buf), "%s%s%s",
                         c->cmdline ? c->cmdline : "", c->cmdline ? " " : "", c->workload_params);
        if (n < 0 || (size_t)n >= sizeof(s->cmdline_buf))
            return usage(err, errlen, "command line and workload parameters are too long");
        c->cmdline = s->cmdline_buf;
    }
    /* Without --vcpus, a workload's vcpus=N parameter sizes the domain (as scripts/realxen.sh
     * does for a dom0less domU's "cpus"); otherwise one vCPU. */
    if (!c->vcpus) {
        c->vcpus = 1;
        const char *p = c->workload_params;
        while (p && *p) {
            if (!strncmp(p, "vcpus=", 6)) {
                uint64_t n;
                char num[24];
                size_t l = strcspn(p + 6, ", ");
                if (l < sizeof(num)) {
                    memcpy(num, p + 6, l);
                    num[l] = 0;
                    if (!sim_parse_u64(num, &n, false) && n >= 1 && n <= 64)
                        c->vcpus = (unsigned)n;
                }
            }
            p += strcspn(p, ", ");
            p += strspn(p, ", ");
        }
    }
    if (c->bare && (c->vcpus > 1 || c->pcpus > 1))
        return usage(err, errlen, "--bare runs one CPU without a hypervisor; drop --vcpus/--pcpus");

    if (c->cpu && !mmu_cpu_model_find(c->cpu))
        return usage(err, errlen, "unknown CPU model '%s' (--cpu help lists them)", c->cpu);

    /* Architecture from the image when not given. */
    if (c->arch == SIM_ARCH_NONE) {
        struct sim_image probe;
        struct sim_load_opts lo = {.ram_base = SIM_A64_RAM_BASE,
                                   .have_load_addr = c->have_load_addr,
                                   .load_addr = c->load_addr};
        if (sim_image_parse(c->image, &lo, &probe, why, sizeof(why))) {
            snprintf(err, errlen, "%s: %s", c->image, why);
            return SIM_EXIT_FAIL;
        }
        enum sim_image_arch ia = probe.info.arch;
        sim_image_free(&probe);
        if (ia == SIM_ARCH_ARM64)
            c->arch = SIM_ARCH_A64;
        else if (ia == SIM_ARCH_X86_64 || ia == SIM_ARCH_X86_32)
            c->arch = SIM_ARCH_X64;
        else
            return usage(err, errlen, "cannot tell the architecture of '%s'; give --arch",
                         c->image);
    }

    /* The CPU model and its overrides. */
    if (!c->cpu)
        c->cpu = c->arch == SIM_ARCH_X64 ? "skylake" : "cortex-a57";
    const struct mmu_cpu_model *base = mmu_cpu_model_find(c->cpu);
    if (!base)
        return usage(err, errlen, "unknown CPU model '%s' (--cpu help lists them)", c->cpu);
    if (strcmp(base->arch, sim_arch_name(c->arch)))
        return usage(err, errlen, "CPU model '%s' is an %s model, not %s", c->cpu, base->arch,
                     sim_arch_name(c->arch));
    s->model = *base;
    const char *what[] = {"tlb", "pwc", "cache"};
    const char *spec[] = {c->tlb_spec, c->pwc_spec, c->cache_spec};
    for (int i = 0; i < 3; i++)
        if (spec[i] && mmu_cpu_model_override(&s->model, what[i], spec[i], why, sizeof(why)))
            return usage(err, errlen, "--%s %s: %s", what[i], spec[i], why);
    return 0;
}

int sim_run_setup_hash(struct sim_run_setup *s, const char *image_sha256)
{
    char model_json[4096];
    if (mmu_cpu_model_to_json(&s->model, model_json, sizeof(model_json)) < 0 ||
        sim_config_json(&s->cfg, image_sha256, model_json, s->config_json,
                        sizeof(s->config_json)) < 0)
        return -ENOSPC;
    sim_config_hash(s->config_json, s->config_hash);
    return 0;
}
