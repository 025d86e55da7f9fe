/* sim/config.c - run configuration defaults and canonical JSON (see config.h). */
#include "sim/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

struct jbuf {
    char *p;
    size_t len, used;
    bool overflow;
};

static void jput(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jput(struct jbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->used, b->used < b->len ? b->len - b->used : 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->used + (size_t)n >= b->len)
        b->overflow = true;
    else
        b->used += (size_t)n;
}

static void jstr(struct jbuf *b, const char *key, const char *v)
{
    jput(b, "\"%s\":", key);
    if (!v) {
        jput(b, "null,");
        return;
    }
    jput(b, "\"");
    for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch == '"' || ch == '\\')
            jput(b, "\\%c", ch);
        else if (ch < 0x20)
            jput(b, "\\u%04x", ch);
        else
            jput(b, "%c", ch);
    }
    jput(b, "\",");
}

int sim_config_json(const struct sim_config *c, const char *image_sha256, const char *extra_json,
                    char *buf, size_t len)
{
    struct jbuf b = {buf, len, 0, false};
    if (len)
        buf[0] = 0;
    jput(&b, "{");
    jstr(&b, "arch", sim_arch_name(c->arch));
    jstr(&b, "image_sha256", image_sha256);
    jstr(&b, "workload", c->workload);
    jstr(&b, "workload_params", c->workload_params);
    jput(&b, "\"bare\":%s,", c->bare ? "true" : "false");
    jstr(&b, "cpu", c->cpu);
    jstr(&b, "tlb", c->tlb_spec);
    jstr(&b, "pwc", c->pwc_spec);
    jstr(&b, "cache", c->cache_spec);
    jstr(&b, "hv_profile", c->bare ? NULL : c->hv_profile);
    jstr(&b, "runstate", c->bare ? NULL : c->runstate);
    jput(&b, "\"mem\":%llu,\"vcpus\":%u,\"pcpus\":%u,\"timeslice_us\":%llu,",
         (unsigned long long)c->mem_bytes, c->vcpus, c->pcpus,
         (unsigned long long)c->timeslice_us);
    jstr(&b, "cmdline", c->cmdline);
    jstr(&b, "initrd", c->initrd);
    if (c->have_load_addr)
        jput(&b, "\"load_addr\":%llu,", (unsigned long long)c->load_addr);
    jput(&b, "\"vpl011\":%s,\"max_insns\":%llu", c->vpl011 ? "true" : "false",
         (unsigned long long)c->max_insns);
    if (extra_json)
        jput(&b, ",\"model\":%s", extra_json);
    jput(&b, "}");
    return b.overflow ? -1 : (int)b.used;
}

void sim_config_hash(const char *json, char out[SIM_SHA256_HEX_LEN])
{
    sim_sha256_hex(json, strlen(json), out);
}
