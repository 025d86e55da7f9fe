/* sim/sweep_spec.c - the sweep spec: INI-style [grid] sections of `key = value, value, ...`
 * (docs/sweep.md). Every key maps to one `hvsim run` option, a comma list is a dimension, a
 * section is the cross product of its dimensions, and the sections are unioned. Values are
 * checked here (one "FILE:LINE: message" error), then every point is resolved and hashed with
 * the same code `hvsim run` uses (sim/run_config.c), so the sweep can skip stored points. */
#include "sim/sweep.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/profile.h"
#include "mmu/cpu_model.h"
#include "sim/cli.h"
#include "sim/config.h"
#include "sim/run_config.h"
#include "sim/workload.h"

enum vkind {
    V_ARCH, V_PATH, V_WORKLOAD, V_BOOL, V_CPU, V_GEOM, V_MEM, V_RANGE, V_PROFILE, V_RUNSTATE,
    V_PARAMS, V_PARAM, V_TEXT, V_ADDR, V_COUNT, V_SEEDS,
};

/* The keys in the order their options appear on a point's command line. */
static const struct skey {
    const char *name;
    const char *opt;
    enum vkind kind;
    uint64_t lo, hi; /* V_RANGE bounds, as `hvsim run` checks them */
} keys[] = {
    {"arch", "--arch", V_ARCH, 0, 0},
    {"image", "--image", V_PATH, 0, 0},
    {"workload", "--workload", V_WORKLOAD, 0, 0},
    {"bare", "--bare", V_BOOL, 0, 0},
    {"cpu", "--cpu", V_CPU, 0, 0},
    {"tlb", "--tlb", V_GEOM, 0, 0},
    {"pwc", "--pwc", V_GEOM, 0, 0},
    {"cache", "--cache", V_GEOM, 0, 0},
    {"mem", "--mem", V_MEM, 0, 0},
    {"vcpus", "--vcpus", V_RANGE, 1, 64},
    {"pcpus", "--pcpus", V_RANGE, 1, 64},
    {"timeslice_us", "--timeslice-us", V_RANGE, 1, 10000000},
    {"hv_profile", "--hv-profile", V_PROFILE, 0, 0},
    {"runstate", "--runstate", V_RUNSTATE, 0, 0},
    {"params", NULL, V_PARAMS, 0, 0},
    {"param.", NULL, V_PARAM, 0, 0}, /* param.NAME = v1, v2: one workload parameter */
    {"cmdline", "--cmdline", V_TEXT, 0, 0},
    {"initrd", "--initrd", V_PATH, 0, 0},
    {"load_addr", "--load-addr", V_ADDR, 0, 0},
    {"vpl011", "--vpl011", V_BOOL, 0, 0},
    {"max_insns", "--max-insns", V_COUNT, 0, 0},
    {"seeds", "--seed", V_SEEDS, 0, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

enum { K_ARCH, K_IMAGE, K_WORKLOAD, K_BARE, K_CPU, K_TLB, K_PWC, K_CACHE, K_MEM, K_VCPUS,
       K_PCPUS, K_TIMESLICE, K_PROFILE, K_RUNSTATE, K_PARAMS, K_PARAM, K_CMDLINE, K_INITRD,
       K_LOAD_ADDR, K_VPL011, K_MAX_INSNS, K_SEEDS };

struct dim {
    unsigned key;
    char *pname;     /* param.NAME: NAME */
    int line;
    char **vals;
    size_t nvals;
};

struct section {
    int line;
    struct dim *dims;
    size_t ndims;
};

struct parser {
    const char *path;
    struct section *secs;
    size_t nsecs;
    int line;
    char *err;
    size_t errlen;
};

static int spec_error(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int spec_error(struct parser *p, int line, const char *fmt, ...)
{
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->path, line);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static int oom(struct parser *p)
{
    snprintf(p->err, p->errlen, "%s: out of memory", p->path);
    return -ENOMEM;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Cut a comment: '#' or ';' at the start or after whitespace, outside double quotes. */
static void strip_comment(char *s)
{
    bool inq = false;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '"')
            inq = !inq;
        else if (!inq && (s[i] == '#' || s[i] == ';') &&
                 (i == 0 || isspace((unsigned char)s[i - 1]))) {
            s[i] = 0;
            return;
        }
    }
}

static void free_dim(struct dim *d)
{
    for (size_t i = 0; i < d->nvals; i++)
        free(d->vals[i]);
    free(d->vals);
    free(d->pname);
}

static void free_sections(struct parser *p)
{
    for (size_t i = 0; i < p->nsecs; i++) {
        for (size_t j = 0; j < p->secs[i].ndims; j++)
            free_dim(&p->secs[i].dims[j]);
        free(p->secs[i].dims);
    }
    free(p->secs);
    p->secs = NULL;
    p->nsecs = 0;
}

static int push_val(struct parser *p, struct dim *d, const char *v)
{
    char **nv = realloc(d->vals, (d->nvals + 1) * sizeof(*nv));
    if (!nv)
        return oom(p);
    d->vals = nv;
    if (!(d->vals[d->nvals] = strdup(v)))
        return oom(p);
    d->nvals++;
    return 0;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
                                                                                "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i]))
            return *out = true, true;
        if (!strcasecmp(s, no[i]))
            return *out = false, true;
    }
    return false;
}

/* "k=v k2=v2" (whitespace-separated parameters of one point) into "k=v,k2=v2". */
static int params_item(struct parser *p, int line, const char *item, char *out, size_t len)
{
    char buf[1024];
    size_t used = 0;
    snprintf(buf, sizeof(buf), "%s", item);
    out[0] = 0;
    for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t || strchr(t, ','))
            return spec_error(p, line, "params: '%s' is not key=value (parameters of one point "
                              "are separated by spaces, points by commas)", t);
        int n = snprintf(out + used, len - used, "%s%s", used ? "," : "", t);
        if (n < 0 || (size_t)n >= len - used)
            return spec_error(p, line, "params: value too long");
        used += (size_t)n;
    }
    if (!used)
        return spec_error(p, line, "params: empty value");
    return 0;
}

/* Check one value of key k and append its normalised form to d. */
static int add_value(struct parser *p, struct dim *d, const char *v)
{
    const struct skey *k = &keys[d->key];
    int line = d->line;
    uint64_t x;
    bool b;
    char buf[PATH_MAX > 1024 ? PATH_MAX : 1024];
    switch (k->kind) {
    case V_ARCH: {
        enum sim_arch a = sim_arch_parse(v);
        if (a == SIM_ARCH_NONE)
            return spec_error(p, line, "arch: unknown architecture '%s' (arm64 or x86_64)", v);
        return push_val(p, d, sim_arch_name(a));
    }
    case V_PATH:
        if (access(v, R_OK) || !realpath(v, buf))
            return spec_error(p, line, "%s: cannot read '%s': %s", k->name, v, strerror(errno));
        return push_val(p, d, buf);
    case V_WORKLOAD:
        if (strchr(v, ':'))
            return spec_error(p, line, "workload: give parameters with 'params =' or "
                              "'param.NAME =', not after ':' in '%s'", v);
        if (!sim_workload_find(v))
            return spec_error(p, line, "workload: no workload named '%s' ('hvsim workloads' "
                              "lists them)", v);
        return push_val(p, d, v);
    case V_BOOL:
        if (!parse_bool(v, &b))
            return spec_error(p, line, "%s: '%s' is not yes or no", k->name, v);
        return push_val(p, d, b ? "yes" : "no");
    case V_CPU:
        if (!mmu_cpu_model_find(v))
            return spec_error(p, line, "cpu: unknown CPU model '%s' ('hvsim run --cpu help' "
                              "lists them)", v);
        return push_val(p, d, v);
    case V_GEOM:
        /* checked against the section's CPU models once the section is complete */
        if (!strcmp(v, "help"))
            return spec_error(p, line, "%s: 'help' is not a value", k->name);
        return push_val(p, d, v);
    case V_MEM:
        if (sim_parse_u64(v, &x, true) || x < (1u << 20) || (x & 4095))
            return spec_error(p, line, "mem: wants a size of at least 1M in whole 4K pages, "
                              "e.g. 256M, not '%s'", v);
        return push_val(p, d, v);
    case V_RANGE:
        if (sim_parse_u64(v, &x, false) || x < k->lo || x > k->hi)
            return spec_error(p, line, "%s: wants a number from %llu to %llu, not '%s'", k->name,
                              (unsigned long long)k->lo, (unsigned long long)k->hi, v);
        return push_val(p, d, v);
    case V_PROFILE:
        if (!hv_profile_find(v))
            return spec_error(p, line, "hv_profile: unknown hypervisor profile '%s' ('hvsim run "
                              "--hv-profile help' lists them)", v);
        return push_val(p, d, v);
    case V_RUNSTATE:
        if (strcmp(v, "profile") && hv_runstate_policy_parse(v) < 0)
            return spec_error(p, line, "runstate: unknown runstate policy '%s' ('hvsim run "
                              "--runstate help' lists them)", v);
        return push_val(p, d, v);
    case V_PARAMS: {
        int rc = params_item(p, line, v, buf, sizeof(buf));
        return rc ? rc : push_val(p, d, buf);
    }
    case V_PARAM:
        for (const char *c = v; *c; c++)
            if (*c == ',' || isspace((unsigned char)*c))
                return spec_error(p, line, "param.%s: '%s' contains a comma or a space",
                                  d->pname, v);
        return push_val(p, d, v);
    case V_TEXT:
        return push_val(p, d, v);
    case V_ADDR:
        if (sim_parse_u64(v, &x, false))
            return spec_error(p, line, "%s: wants an address, not '%s'", k->name, v);
        return push_val(p, d, v);
    case V_COUNT:
        if (sim_parse_u64(v, &x, true) || !x)
            return spec_error(p, line, "%s: wants a positive count (suffixes K, M, G), not "
                              "'%s'", k->name, v);
        return push_val(p, d, v);
    case V_SEEDS: {
        uint64_t lo, hi;
        const char *dots = strstr(v, "..");
        if (!dots) {
            if (sim_parse_u64(v, &lo, false))
                return spec_error(p, line, "seeds: '%s' is not a number or a range A..B", v);
            hi = lo;
        } else {
            snprintf(buf, sizeof(buf), "%.*s", (int)(dots - v), v);
            if (sim_parse_u64(trim(buf), &lo, false) || sim_parse_u64(dots + 2, &hi, false) ||
                lo > hi)
                return spec_error(p, line, "seeds: '%s' is not a range A..B with A <= B", v);
            if (hi - lo >= SIM_SWEEP_MAX_POINTS)
                return spec_error(p, line, "seeds: the range '%s' is too long", v);
        }
        for (uint64_t s = lo;; s++) {
            snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s);
            int rc = push_val(p, d, buf);
            if (rc)
                return rc;
            if (s == hi)
                break;
        }
        return 0;
    }
    }
    return spec_error(p, line, "%s: unhandled key", k->name);
}

/* Split a comma list (double quotes protect commas) and add each value. */
static int parse_list(struct parser *p, struct dim *d, char *val)
{
    char *s = val;
    for (;;) {
        char *start = s;
        bool inq = false;
        while (*s && (inq || *s != ',')) {
            if (*s == '"')
                inq = !inq;
            s++;
        }
        if (inq)
            return spec_error(p, d->line, "%s: unterminated double quote", keys[d->key].name);
        bool last = !*s;
        *s = 0;
        char *item = trim(start);
        size_t n = strlen(item);
        if (n >= 2 && item[0] == '"' && item[n - 1] == '"') {
            item[n - 1] = 0;
            item++;
        } else if (strchr(item, '"')) {
            return spec_error(p, d->line, "%s: a quoted value must be quoted as a whole: %s",
                              keys[d->key].name, item);
        }
        if (!*item)
            return spec_error(p, d->line, "%s: empty value in the list", keys[d->key].name);
        int rc = add_value(p, d, item);
        if (rc)
            return rc;
        if (last)
            return 0;
        s++;
    }
}

static const struct dim *find_dim(const struct section *s, unsigned key)
{
    for (size_t i = 0; i < s->ndims; i++)
        if (s->dims[i].key == key)
            return &s->dims[i];
    return NULL;
}

static bool dim_has(const struct dim *d, const char *v)
{
    for (size_t i = 0; d && i < d->nvals; i++)
        if (!strcmp(d->vals[i], v))
            return true;
    return false;
}

/* Checks that need the whole section. */
static int check_section(struct parser *p, struct section *s)
{
    if (!s->ndims)
        return spec_error(p, s->line, "empty [grid] section: an empty grid runs nothing");
    const struct dim *image = find_dim(s, K_IMAGE), *wl = find_dim(s, K_WORKLOAD);
    if (!image && !wl)
        return spec_error(p, s->line, "[grid] needs 'image = FILE' or 'workload = NAME'");
    if (image && wl)
        return spec_error(p, (image->line > wl->line ? image : wl)->line,
                          "give either image or workload in a [grid] section, not both");
    for (size_t i = 0; i < s->ndims; i++)
        if (!wl && (s->dims[i].key == K_PARAMS || s->dims[i].key == K_PARAM))
            return spec_error(p, s->dims[i].line, "workload parameters need 'workload = NAME' "
                              "(an image takes no parameters)");
    const struct dim *bare = find_dim(s, K_BARE);
    if (dim_has(bare, "yes")) {
        static const unsigned hv_only[] = {K_PROFILE, K_RUNSTATE, K_VPL011};
        for (int i = 0; i < 3; i++) {
            const struct dim *d = find_dim(s, hv_only[i]);
            if (d)
                return spec_error(p, d->line, "%s does not apply to bare runs (bare = yes at line "
                                  "%d): they have no hypervisor, so every value would repeat the "
                                  "same run; put hypervisor runs in their own [grid] section",
                                  keys[hv_only[i]].name, bare->line);
        }
    }
    /* CPU models against the architectures, and geometry overrides against the CPU models
     * (or the architectures' default models), as `hvsim run` will apply them. */
    const struct dim *arch = find_dim(s, K_ARCH), *cpu = find_dim(s, K_CPU);
    if (arch && cpu)
        for (size_t i = 0; i < cpu->nvals; i++) {
            const struct mmu_cpu_model *m = mmu_cpu_model_find(cpu->vals[i]);
            for (size_t j = 0; j < arch->nvals; j++)
                if (strcmp(m->arch, arch->vals[j]))
                    return spec_error(p, cpu->line, "cpu: '%s' is an %s model but arch = %s "
                                      "(line %d); give each architecture its own [grid] section",
                                      cpu->vals[i], m->arch, arch->vals[j], arch->line);
        }
    const char *models[64];
    size_t nmodels = 0;
    if (cpu) {
        for (size_t i = 0; i < cpu->nvals && nmodels < 64; i++)
            models[nmodels++] = cpu->vals[i];
    } else {
        if (!arch || dim_has(arch, "arm64"))
            models[nmodels++] = "cortex-a57";
        if (!arch || dim_has(arch, "x86_64"))
            models[nmodels++] = "skylake";
    }
    static const unsigned geom[] = {K_TLB, K_PWC, K_CACHE};
    for (int g = 0; g < 3; g++) {
        const struct dim *d = find_dim(s, geom[g]);
        for (size_t i = 0; d && i < d->nvals; i++)
            for (size_t j = 0; j < nmodels; j++) {
                const struct mmu_cpu_model *base = mmu_cpu_model_find(models[j]);
                struct mmu_cpu_model m;
                char why[256];
                if (!base)
                    continue;
                m = *base;
                if (mmu_cpu_model_override(&m, keys[geom[g]].name, d->vals[i], why, sizeof(why)))
                    return spec_error(p, d->line, "%s: '%s' (for %s): %s", keys[geom[g]].name,
                                      d->vals[i], models[j], why);
            }
    }
    return 0;
}

static int parse_key_line(struct parser *p, char *text)
{
    char *eq = strchr(text, '=');
    if (!eq)
        return spec_error(p, p->line, "expected 'key = value, ...' or '[grid]', not '%s'", text);
    *eq = 0;
    char *name = trim(text), *val = trim(eq + 1);
    for (char *c = name; *c; c++)
        *c = *c == '-' ? '_' : (char)tolower((unsigned char)*c);
    if (!strcmp(name, "seed"))
        name = "seeds";
    if (!p->nsecs)
        return spec_error(p, p->line, "'%s' is outside a [grid] section", name);
    struct section *s = &p->secs[p->nsecs - 1];
    unsigned k;
    const char *pname = NULL;
    for (k = 0; k < NKEYS; k++) {
        if (keys[k].kind == V_PARAM ? !strncmp(name, "param.", 6) : !strcmp(name, keys[k].name))
            break;
    }
    if (k == NKEYS) {
        char list[512];
        size_t used = 0;
        for (unsigned i = 0; i < NKEYS && used < sizeof(list); i++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s%s", i ? ", " : "",
                                     keys[i].name, keys[i].kind == V_PARAM ? "NAME" : "");
        return spec_error(p, p->line, "unknown key '%s' (keys: %s)", name, list);
    }
    if (keys[k].kind == V_PARAM) {
        pname = name + 6;
        if (!*pname || strchr(pname, '=') || strchr(pname, ','))
            return spec_error(p, p->line, "param.NAME needs a parameter name, not '%s'", name);
    }
    for (size_t i = 0; i < s->ndims; i++)
        if (s->dims[i].key == k && (!pname || !strcmp(s->dims[i].pname, pname)))
            return spec_error(p, p->line, "'%s' given twice in this [grid] section (first at "
                              "line %d)", name, s->dims[i].line);
    if (!*val)
        return spec_error(p, p->line, "%s: no value", name);
    struct dim *nd = realloc(s->dims, (s->ndims + 1) * sizeof(*nd));
    if (!nd)
        return oom(p);
    s->dims = nd;
    struct dim *d = &s->dims[s->ndims++];
    memset(d, 0, sizeof(*d));
    d->key = k;
    d->line = p->line;
    if (pname && !(d->pname = strdup(pname)))
        return oom(p);
    return parse_list(p, d, val);
}

static int parse_file(struct parser *p, FILE *f)
{
    char *line = NULL, *acc = NULL;
    size_t cap = 0, acclen = 0;
    int key_line = 0, rc = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        p->line++;
        strip_comment(line);
        char *t = trim(line);
        if (acc) {
            /* a value list ending in ',' continues on the next line */
            char *na = realloc(acc, acclen + strlen(t) + 2);
            if (!na) {
                rc = oom(p);
                break;
            }
            acc = na;
            acclen += (size_t)sprintf(acc + acclen, " %s", t);
        } else if (!*t) {
            continue;
        } else if (*t == '[') {
            size_t tl = strlen(t);
            if (t[tl - 1] != ']') {
                rc = spec_error(p, p->line, "section header without ']': %s", t);
                break;
            }
            t[tl - 1] = 0;
            char *name = trim(t + 1);
            if (strcmp(name, "grid")) {
                rc = spec_error(p, p->line, "unknown section '[%s]' (only [grid])", name);
                break;
            }
            if (p->nsecs && (rc = check_section(p, &p->secs[p->nsecs - 1])))
                break;
            struct section *ns = realloc(p->secs, (p->nsecs + 1) * sizeof(*ns));
            if (!ns) {
                rc = oom(p);
                break;
            }
            p->secs = ns;
            p->secs[p->nsecs++] = (struct section){.line = p->line};
            continue;
        } else {
            if (!(acc = strdup(t))) {
                rc = oom(p);
                break;
            }
            acclen = strlen(acc);
            key_line = p->line;
        }
        if (acclen && acc[acclen - 1] == ',')
            continue;
        int saved = p->line;
        p->line = key_line;
        rc = parse_key_line(p, acc);
        p->line = saved;
        free(acc);
        acc = NULL;
        acclen = 0;
        if (rc)
            break;
    }
    if (!rc && ferror(f))
        rc = -EIO, snprintf(p->err, p->errlen, "%s: read error", p->path);
    if (!rc && acc) {
        p->line = key_line;
        rc = spec_error(p, key_line, "the value list ends with ',' at the end of the file");
    }
    free(acc);
    free(line);
    if (!rc && p->nsecs)
        rc = check_section(p, &p->secs[p->nsecs - 1]);
    if (!rc && !p->nsecs)
        rc = spec_error(p, p->line ? p->line : 1, "empty grid: the spec has no [grid] section");
    return rc;
}

/* ---- expansion ---- */

struct sha_cache {
    char **paths;
    char (*sha)[SIM_SHA256_HEX_LEN];
    size_t n;
};

static int image_sha(struct sha_cache *c, const char *path, char out[SIM_SHA256_HEX_LEN])
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->paths[i], path)) {
            memcpy(out, c->sha[i], SIM_SHA256_HEX_LEN);
            return 0;
        }
    int rc = sim_sha256_file_hex(path, out);
    if (rc)
        return rc;
    char **np = realloc(c->paths, (c->n + 1) * sizeof(*np));
    if (!np)
        return -ENOMEM;
    c->paths = np;
    char (*ns)[SIM_SHA256_HEX_LEN] = realloc(c->sha, (c->n + 1) * sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    c->sha = ns;
    if (!(c->paths[c->n] = strdup(path)))
        return -ENOMEM;
    memcpy(c->sha[c->n++], out, SIM_SHA256_HEX_LEN);
    return 0;
}

static void free_sha_cache(struct sha_cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->paths[i]);
    free(c->paths);
    free(c->sha);
}

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->len + n + 1) * 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

static void free_point(struct sim_sweep_point *pt)
{
    for (int i = 0; pt->args && i < pt->nargs; i++)
        free(pt->args[i]);
    free(pt->args);
    free(pt->desc);
}

/* Build point (section s, value indexes idx): its run arguments and description. */
static int make_point(const struct section *s, const size_t *idx, struct sim_sweep_point *pt)
{
    memset(pt, 0, sizeof(*pt));
    pt->line = s->line;
    pt->args = calloc(2 * s->ndims + 8, sizeof(char *));
    struct sbuf desc = {0}, wl = {0};
    bool have_wl = false, first_param = true;
    int rc = -ENOMEM;
    if (!pt->args)
        return -ENOMEM;
    if (!(pt->args[pt->nargs++] = strdup("run")))
        goto out;
    for (size_t i = 0; i < s->ndims; i++) {
        const struct dim *d = &s->dims[i];
        const struct skey *k = &keys[d->key];
        const char *v = d->vals[idx[i]];
        char shown[1200];
        /* description */
        const char *vs = v;
        if (k->kind == V_PATH && strrchr(v, '/'))
            vs = strrchr(v, '/') + 1;
        if (sim_sweep_shell_quote(vs, shown, sizeof(shown)) < 0)
            snprintf(shown, sizeof(shown), "...");
        if (desc.len)
            sb_add(&desc, " ");
        sb_add(&desc, k->kind == V_SEEDS ? "seed" : k->kind == V_PARAM ? "param." : k->name);
        if (k->kind == V_PARAM)
            sb_add(&desc, d->pname);
        sb_add(&desc, "=");
        sb_add(&desc, shown);
        /* arguments */
        if (k->kind == V_WORKLOAD) {
            sb_add(&wl, v);
            have_wl = true;
            continue;
        }
        if (k->kind == V_PARAMS || k->kind == V_PARAM) {
            sb_add(&wl, first_param ? ":" : ",");
            first_param = false;
            if (k->kind == V_PARAM) {
                sb_add(&wl, d->pname);
                sb_add(&wl, "=");
            }
            sb_add(&wl, v);
            continue;
        }
        if (k->kind == V_SEEDS)
            pt->seed = strtoull(v, NULL, 10);
        if (k->kind == V_BOOL) {
            if (!strcmp(v, "yes") && !(pt->args[pt->nargs++] = strdup(k->opt)))
                goto out;
            continue;
        }
        if (!(pt->args[pt->nargs++] = strdup(k->opt)) || !(pt->args[pt->nargs++] = strdup(v)))
            goto out;
    }
    if (!find_dim(s, K_SEEDS)) {
        /* no seeds key: seed 0, `hvsim run`'s default, written out so job lines are explicit */
        if (!(pt->args[pt->nargs++] = strdup("--seed")) || !(pt->args[pt->nargs++] = strdup("0")))
            goto out;
        sb_add(&desc, desc.len ? " seed=0" : "seed=0");
    }
    if (have_wl) {
        if (wl.oom || !(pt->args[pt->nargs++] = strdup("--workload")) ||
            !(pt->args[pt->nargs++] = strdup(wl.p)))
            goto out;
    }
    if (desc.oom)
        goto out;
    pt->desc = desc.p;
    desc.p = NULL;
    rc = 0;
out:
    free(desc.p);
    free(wl.p);
    return rc;
}

/* Resolve and hash a point as `hvsim run` would. */
static int hash_point(struct parser *p, struct sim_sweep_point *pt, struct sim_run_setup *setup,
                      struct sha_cache *cache)
{
    char why[512], sha[SIM_SHA256_HEX_LEN];
    int rc = 0;
    char **argv = calloc((size_t)pt->nargs + 1, sizeof(*argv));
    if (!argv)
        return oom(p);
    for (int i = 0; i < pt->nargs; i++)
        if (!(argv[i] = strdup(pt->args[i]))) {
            for (int j = 0; j < i; j++)
                free(argv[j]);
            free(argv);
            return oom(p);
        }
    argv[pt->nargs] = NULL;
    int r = sim_run_setup(pt->nargs, argv, setup, why, sizeof(why));
    if (r)
        rc = spec_error(p, pt->line, "the point '%s' is not a valid run: %s", pt->desc,
                        r < 0 ? "it asks for a help listing"
                              : !strncmp(why, "run: ", 5) ? why + 5 : why);
    else if ((r = image_sha(cache, setup->cfg.image, sha)))
        rc = spec_error(p, pt->line, "the point '%s': cannot read '%s': %s", pt->desc,
                        setup->cfg.image, strerror(-r));
    else if (sim_run_setup_hash(setup, sha))
        rc = spec_error(p, pt->line, "the point '%s': configuration too large", pt->desc);
    else
        memcpy(pt->config_hash, setup->config_hash, SIM_SHA256_HEX_LEN);
    for (int i = 0; i < pt->nargs; i++)
        free(argv[i]);
    free(argv);
    return rc;
}

static int cmp_point(const void *a, const void *b)
{
    const struct sim_sweep_point *x = *(const struct sim_sweep_point *const *)a,
                                 *y = *(const struct sim_sweep_point *const *)b;
    int c = strcmp(x->config_hash, y->config_hash);
    if (c)
        return c;
    if (x->seed != y->seed)
        return x->seed < y->seed ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Drop points with the (hash, seed) of an earlier point. */
static int dedupe(struct sim_sweep *sw)
{
    if (sw->npts < 2)
        return 0;
    struct sim_sweep_point **order = malloc(sw->npts * sizeof(*order));
    bool *dup = calloc(sw->npts, 1);
    if (!order || !dup) {
        free(order);
        free(dup);
        return -ENOMEM;
    }
    for (size_t i = 0; i < sw->npts; i++)
        order[i] = &sw->pts[i];
    qsort(order, sw->npts, sizeof(*order), cmp_point);
    for (size_t i = 1; i < sw->npts; i++)
        if (!strcmp(order[i]->config_hash, order[i - 1]->config_hash) &&
            order[i]->seed == order[i - 1]->seed)
            dup[order[i] - sw->pts] = true;
    size_t w = 0;
    for (size_t i = 0; i < sw->npts; i++) {
        if (dup[i]) {
            free_point(&sw->pts[i]);
            sw->nduplicates++;
        } else {
            sw->pts[w++] = sw->pts[i];
        }
    }
    sw->npts = w;
    free(order);
    free(dup);
    return 0;
}

static int expand(struct parser *p, struct sim_sweep *sw)
{
    size_t total = 0;
    for (size_t i = 0; i < p->nsecs; i++) {
        size_t n = 1;
        for (size_t j = 0; j < p->secs[i].ndims; j++) {
            size_t nv = p->secs[i].dims[j].nvals;
            if (n > SIM_SWEEP_MAX_POINTS / nv)
                return spec_error(p, p->secs[i].line, "the grid has more than %u points",
                                  SIM_SWEEP_MAX_POINTS);
            n *= nv;
        }
        total += n;
        if (total > SIM_SWEEP_MAX_POINTS)
            return spec_error(p, p->secs[i].line, "the grid has more than %u points",
                              SIM_SWEEP_MAX_POINTS);
    }
    if (!(sw->pts = calloc(total ? total : 1, sizeof(*sw->pts))))
        return oom(p);
    struct sim_run_setup *setup = malloc(sizeof(*setup));
    struct sha_cache cache = {0};
    int rc = 0;
    if (!setup)
        return oom(p);
    for (size_t i = 0; i < p->nsecs && !rc; i++) {
        const struct section *s = &p->secs[i];
        size_t idx[64 + NKEYS];
        memset(idx, 0, sizeof(idx));
        for (;;) {
            struct sim_sweep_point *pt = &sw->pts[sw->npts];
            if (make_point(s, idx, pt)) {
                free_point(pt);
                rc = oom(p);
                break;
            }
            sw->npts++;
            if ((rc = hash_point(p, pt, setup, &cache)))
                break;
            /* odometer: the last key (seeds) varies fastest */
            size_t j = s->ndims;
            while (j > 0 && ++idx[j - 1] == s->dims[j - 1].nvals)
                idx[--j] = 0;
            if (j == 0)
                break;
        }
    }
    free(setup);
    free_sha_cache(&cache);
    if (!rc && dedupe(sw))
        rc = oom(p);
    return rc;
}

/* Stable order of a section's dimensions: the keys[] order (param.NAME keep spec order). */
static void sort_dims(struct section *s)
{
    for (size_t i = 1; i < s->ndims; i++) {
        struct dim d = s->dims[i];
        size_t j = i;
        while (j > 0 && s->dims[j - 1].key > d.key) {
            s->dims[j] = s->dims[j - 1];
            j--;
        }
        s->dims[j] = d;
    }
}

void sim_sweep_free(struct sim_sweep *sw)
{
    for (size_t i = 0; i < sw->npts; i++)
        free_point(&sw->pts[i]);
    free(sw->pts);
    free(sw->path);
    memset(sw, 0, sizeof(*sw));
}

int sim_sweep_load(const char *path, struct sim_sweep *sw, char *err, size_t errlen)
{
    struct parser p = {.path = path, .err = err, .errlen = errlen};
    memset(sw, 0, sizeof(*sw));
    if (errlen)
        err[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    int rc = parse_file(&p, f);
    fclose(f);
    for (size_t i = 0; !rc && i < p.nsecs; i++) {
        if (p.secs[i].ndims > 64)
            rc = spec_error(&p, p.secs[i].line, "too many keys in one [grid] section");
        sort_dims(&p.secs[i]);
    }
    if (!rc && !(sw->path = strdup(path)))
        rc = oom(&p);
    if (!rc)
        rc = expand(&p, sw);
    free_sections(&p);
    if (rc)
        sim_sweep_free(sw);
    return rc;
}

int sim_sweep_shell_quote(const char *s, char *out, size_t len)
{
    bool plain = *s != 0;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("_./:=,@%+-", *c))
            plain = false;
    size_t used = 0;
#define PUT(ch)                                                                                 \
    do {                                                                                        \
        if (used + 1 >= len)                                                                    \
            return -1;                                                                          \
        out[used++] = (ch);                                                                     \
    } while (0)
    if (plain) {
        for (const char *c = s; *c; c++)
            PUT(*c);
    } else {
        PUT('\'');
        for (const char *c = s; *c; c++) {
            if (*c == '\'') {
                PUT('\'');
                PUT('\\');
                PUT('\'');
                PUT('\'');
            } else {
                PUT(*c);
            }
        }
        PUT('\'');
    }
#undef PUT
    if (!len)
        return -1;
    out[used] = 0;
    return (int)used;
}
