/* hv/domain.c - common pieces of building domains (xen/common/domain.c domain_create,
 * vcpu_create): the hypervisor's own memory (a bump allocator, as the Xen heap would hand out
 * pages), vCPU allocation, the per-domain counters, --domain SPEC parsing, and the console
 * output of a domain (xen/drivers/char/console.c: "(d<N>)" prefixes). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hv/domain.h"
#include "sim/workload.h"

uint64_t hv_alloc(struct hv *hv, uint64_t size, uint64_t align)
{
    uint64_t a = (hv->hv_brk + align - 1) & ~(align - 1);
    if (a + size > HV_MEM_BASE + HV_MEM_SIZE)
        return 0;
    hv->hv_brk = a + size;
    uint8_t *h = sim_mem_host(&hv->m->mem, a, size);
    if (h)
        memset(h, 0, size);
    return a;
}

int hv_read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                return -ENOMEM;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        if (!r)
            break;
        n += r;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

void hv_console_write(struct hv_domain *d, const char *s, size_t n)
{
    FILE *f = d->hv->m->console;
    if (d->hv->ndoms <= 1) {
        fwrite(s, 1, n, f);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!d->con_midline)
            fprintf(f, "(d%u) ", d->id);
        fputc(s[i], f);
        d->con_midline = s[i] != '\n';
    }
}

/* Parse one --domain SPEC (docs/hv.md "Several domains"): "workload=NAME[:k=v,...]" or
 * "image=F[,mem=SIZE][,vcpus=N][,cmdline=TEXT]" (cmdline last: it takes the rest). */
int hv_parse_domain_spec(const char *spec, const char *arch, uint64_t dflt_mem, char *path,
                         size_t plen, char *cmdline, size_t clen, uint64_t *mem, unsigned *vcpus,
                         char *err, size_t errlen)
{
    *mem = dflt_mem;
    *vcpus = 1;
    cmdline[0] = 0;
    if (!strncmp(spec, "workload=", 9)) {
        char name[64];
        const char *w = spec + 9, *colon = strchr(w, ':');
        size_t n = colon ? (size_t)(colon - w) : strlen(w);
        if (!n || n >= sizeof(name)) {
            snprintf(err, errlen, "--domain %s: bad workload name", spec);
            return -EINVAL;
        }
        memcpy(name, w, n);
        name[n] = 0;
        if (sim_workload_image(name, arch, path, plen)) {
            snprintf(err, errlen, "--domain %s: workload '%s' for %s is not built", spec, name,
                     arch);
            return -ENOENT;
        }
        if (colon) {
            snprintf(cmdline, clen, "%s", colon + 1);
            const char *v = strstr(cmdline, "vcpus=");
            if (v && (v == cmdline || v[-1] == ',' || v[-1] == ' '))
                *vcpus = (unsigned)strtoul(v + 6, NULL, 10);
        }
        return 0;
    }
    path[0] = 0;
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ','), *end = e ? e : p + strlen(p);
        if (!strncmp(p, "cmdline=", 8)) {
            snprintf(cmdline, clen, "%s", p + 8);
            break;
        }
        char val[512];
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq || (size_t)(end - eq - 1) >= sizeof(val)) {
            snprintf(err, errlen, "--domain %s: expected key=value", spec);
            return -EINVAL;
        }
        memcpy(val, eq + 1, (size_t)(end - eq - 1));
        val[end - eq - 1] = 0;
        size_t kl = (size_t)(eq - p);
        if (kl == 5 && !strncmp(p, "image", 5)) {
            snprintf(path, plen, "%s", val);
        } else if (kl == 3 && !strncmp(p, "mem", 3)) {
            char *x;
            uint64_t v = strtoull(val, &x, 0);
            if (*x == 'M' || *x == 'm')
                v <<= 20;
            else if (*x == 'G' || *x == 'g')
                v <<= 30;
            *mem = v;
        } else if (kl == 5 && !strncmp(p, "vcpus", 5)) {
            *vcpus = (unsigned)strtoul(val, NULL, 10);
        } else {
            snprintf(err, errlen, "--domain %s: unknown key '%.*s'", spec, (int)kl, p);
            return -EINVAL;
        }
        p = e ? e + 1 : end;
    }
    if (!path[0]) {
        snprintf(err, errlen, "--domain %s: give image=FILE or workload=NAME", spec);
        return -EINVAL;
    }
    if (*mem < (16ull << 20) || *mem > (4ull << 30) || (*mem & 0x1fffff)) {
        snprintf(err, errlen, "--domain %s: mem must be 16M..4G in 2 MiB units", spec);
        return -EINVAL;
    }
    return 0;
}

struct hv_vcpu *hv_vcpu_alloc(struct hv_domain *d, unsigned i)
{
    struct hv *hv = d->hv;
    struct hv_vcpu *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    d->vcpu[i] = v;
    v->d = d;
    v->id = i;
    v->gid = hv->nvcpus_all;
    hv->vcpus[hv->nvcpus_all++] = v;
    v->pcpu = v->gid % hv->npcpus;
    return v;
}

void hv_domain_counters(struct hv_domain *d)
{
    struct sim_stats *st = &d->hv->m->stats;
    if (d->hv->ndoms <= 1)
        return; /* per-domain counters only with several domains */
    d->st_rs_updates = sim_stats_addf(st, "count", "runstate area updates of this domain",
                                      "hv.d%u.runstate.updates", d->id);
    d->st_rs_failures = sim_stats_addf(st, "count", "runstate area updates lost",
                                       "hv.d%u.runstate.failures", d->id);
    d->st_hcalls = sim_stats_addf(st, "count", "hypercalls made by this domain",
                                  "hv.d%u.hypercalls", d->id);
}
