/* sim/config.c - run configuration defaults and canonical JSON (see config.h). */
#include "sim/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/json.h"

void sim_config_defaults(struct sim_config *c)
{
    memset(c, 0, sizeof(*c));
    c->hv_profile = "xen-4.17";
    c->runstate = "profile";
    c->mem_bytes = 256ull << 20;
    c->vcpus = 1;
    c->pcpus = 1;
    c->timeslice_us = 1000; /* Xen credit2 default ratelimit is 1 ms (xen/common/sched/credit2.c) */
}

const char *sim_arch_name(enum sim_arch a)
{
    switch (a) {
    case SIM_ARCH_A64: return "arm64";
    case SIM_ARCH_X64: return "x86_64";
    default: return "none";
    }
}

enum sim_arch sim_arch_parse(const char *s)
{
    if (!strcmp(s, "arm64") || !strcmp(s, "aarch64"))
        return SIM_ARCH_A64;
    if (!strcmp(s, "x86_64") || !strcmp(s, "x86-64") || !strcmp(s, "amd64"))
        return SIM_ARCH_X64;
    return SIM_ARCH_NONE;
}

static void jstr(FILE *f, const char *key, const char *v)
{
    fprintf(f, "\"%s\":", key);
    sim_json_str(f, v);
    fputc(',', f);
}

int sim_config_json(const struct sim_config *c, const char *image_sha256, const char *extra_json,
                    char *buf, size_t len)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f)
        return -1;
    fputc('{', f);
    jstr(f, "arch", sim_arch_name(c->arch));
    jstr(f, "image_sha256", image_sha256);
    jstr(f, "workload", c->workload);
    jstr(f, "workload_params", c->workload_params);
    fprintf(f, "\"bare\":%s,", c->bare ? "true" : "false");
    jstr(f, "cpu", c->cpu);
    jstr(f, "tlb", c->tlb_spec);
    jstr(f, "pwc", c->pwc_spec);
    jstr(f, "cache", c->cache_spec);
    jstr(f, "hv_profile", c->bare ? NULL : c->hv_profile);
    jstr(f, "runstate", c->bare ? NULL : c->runstate);
    fprintf(f, "\"mem\":%llu,\"vcpus\":%u,\"pcpus\":%u,\"timeslice_us\":%llu,",
            (unsigned long long)c->mem_bytes, c->vcpus, c->pcpus,
            (unsigned long long)c->timeslice_us);
    jstr(f, "cmdline", c->cmdline);
    jstr(f, "initrd", c->initrd);
    if (c->have_load_addr)
        fprintf(f, "\"load_addr\":%llu,", (unsigned long long)c->load_addr);
    fprintf(f, "\"vpl011\":%s,\"max_insns\":%llu", c->vpl011 ? "true" : "false",
            (unsigned long long)c->max_insns);
    if (c->confidential) /* only when used: hashes of runs without it stay valid */
        fprintf(f, ",\"confidential\":true");
    if (c->ndomains) {   /* likewise: --domain SPEC, in order */
        fprintf(f, ",\"domains\":[");
        for (unsigned i = 0; i < c->ndomains; i++) {
            if (i)
                fputc(',', f);
            sim_json_str(f, c->domains[i]);
        }
        fputc(']', f);
    }
    if (extra_json)
        fprintf(f, ",\"model\":%s", extra_json);
    fputc('}', f);
    int bad = ferror(f);
    fclose(f);
    int rc = -1;
    if (!bad && out && n < len) {
        memcpy(buf, out, n + 1);
        rc = (int)n;
    } else if (len) {
        buf[0] = 0;
    }
    free(out);
    return rc;
}

void sim_config_hash(const char *json, char out[SIM_SHA256_HEX_LEN])
{
    sim_sha256_hex(json, strlen(json), out);
}
