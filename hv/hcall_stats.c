/* hv/hcall_stats.c - per-hypercall statistics (see hcall_stats.h). */
#include "hv/hcall_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"

#define NFIELDS 7

void hv_hcall_stats_init(struct hv_hcall_stats *t, struct sim_stats *stats)
{
    memset(t, 0, sizeof(*t));
    t->stats = stats;
}

void hv_hcall_stats_free(struct hv_hcall_stats *t)
{
    free(t->rows);
    free(t->ctr);
    memset(t, 0, sizeof(*t));
}

const struct res_hcall_row *hv_hcall_stats_find(const struct hv_hcall_stats *t, unsigned vcpu,
                                                unsigned nr, int subop)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].vcpu == vcpu && t->rows[i].nr == nr && t->rows[i].subop == subop)
            return &t->rows[i];
    return NULL;
}

int hv_hcall_stats_add(struct hv_hcall_stats *t, unsigned vcpu, unsigned nr, const char *name,
                       int subop, const char *subop_name, const struct hv_hcall_sample *s)
{
    size_t i;
    for (i = 0; i < t->n; i++)
        if (t->rows[i].vcpu == vcpu && t->rows[i].nr == nr && t->rows[i].subop == subop)
            break;
    if (i == t->n) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 16;
            struct res_hcall_row *r = realloc(t->rows, cap * sizeof(*r));
            if (!r)
                return -ENOMEM;
            t->rows = r;
            uint64_t **c = realloc(t->ctr, cap * NFIELDS * sizeof(*c));
            if (!c)
                return -ENOMEM;
            t->ctr = c;
            t->cap = cap;
        }
        struct res_hcall_row *r = &t->rows[i];
        memset(r, 0, sizeof(*r));
        r->vcpu = vcpu;
        r->nr = nr;
        r->name = name;
        r->subop = subop;
        r->subop_name = subop_name;
        static const char *const fld[NFIELDS] = {"calls", "cycles", "translations",
                                                 "walk_refs_s1", "walk_refs_s2", "tlb_misses",
                                                 "failures"};
        static const char *const unit[NFIELDS] = {"count", "cycles", "count", "count",
                                                  "count", "count", "count"};
        for (unsigned f = 0; f < NFIELDS; f++) {
            uint64_t *p;
            if (subop_name)
                p = sim_stats_addf(t->stats, unit[f], "hypercall statistics (all vCPUs)",
                                   "hcall.%s.%s.%s", name, subop_name, fld[f]);
            else
                p = sim_stats_addf(t->stats, unit[f], "hypercall statistics (all vCPUs)",
                                   "hcall.%s.%s", name, fld[f]);
            if (!p)
                return -ENOMEM;
            t->ctr[i * NFIELDS + f] = p;
        }
        t->n++;
    }
    struct res_hcall_row *r = &t->rows[i];
    uint64_t v[NFIELDS] = {1, s->cycles, s->translations, s->walk_refs_s1, s->walk_refs_s2,
                           s->tlb_misses, s->failed ? 1u : 0u};
    r->calls += v[0];
    r->cycles += v[1];
    r->translations += v[2];
    r->walk_refs_s1 += v[3];
    r->walk_refs_s2 += v[4];
    r->tlb_misses += v[5];
    r->failures += v[6];
    for (unsigned f = 0; f < NFIELDS; f++)
        *t->ctr[i * NFIELDS + f] += v[f];
    return 0;
}
