/* sim/stats.c - counter registry (see stats.h). */
#include "sim/stats.h"

#include "sim/json.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_STATS 256

struct sim_stat_block {
    struct sim_stat_block *next;
    unsigned used;
    struct sim_stat stats[BLOCK_STATS];
};

void sim_stats_init(struct sim_stats *s)
{
    memset(s, 0, sizeof(*s));
}

void sim_stats_destroy(struct sim_stats *s)
{
    struct sim_stat_block *b = s->head;
    while (b) {
        struct sim_stat_block *n = b->next;
        for (unsigned i = 0; i < b->used; i++) {
            free(b->stats[i].name);
            free(b->stats[i].unit);
            free(b->stats[i].desc);
        }
        free(b);
        b = n;
    }
    free(s->index);
    memset(s, 0, sizeof(*s));
}

static uint32_t hash_name(const char *n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*n)
        h = (h ^ (uint8_t)*n++) * 16777619u;
    return h;
}

static int index_insert(struct sim_stat **idx, unsigned size, struct sim_stat *st)
{
    unsigned i = hash_name(st->name) & (size - 1);
    while (idx[i])
        i = (i + 1) & (size - 1);
    idx[i] = st;
    return 0;
}

static int index_grow(struct sim_stats *s)
{
    unsigned nsize = s->index_size ? s->index_size * 2 : 512;
    struct sim_stat **n = calloc(nsize, sizeof(*n));
    if (!n)
        return -1;
    for (unsigned i = 0; i < s->index_size; i++)
        if (s->index[i])
            index_insert(n, nsize, s->index[i]);
    free(s->index);
    s->index = n;
    s->index_size = nsize;
    return 0;
}

const struct sim_stat *sim_stats_find(const struct sim_stats *s, const char *name)
{
    if (!s->index_size)
        return NULL;
    unsigned i = hash_name(name) & (s->index_size - 1);
    while (s->index[i]) {
        if (!strcmp(s->index[i]->name, name))
            return s->index[i];
        i = (i + 1) & (s->index_size - 1);
    }
    return NULL;
}

uint64_t sim_stats_get(const struct sim_stats *s, const char *name)
{
    const struct sim_stat *st = sim_stats_find(s, name);
    return st ? st->value : 0;
}

uint64_t *sim_stats_add(struct sim_stats *s, const char *name, const char *unit, const char *desc)
{
    struct sim_stat *st = (struct sim_stat *)sim_stats_find(s, name);
    if (st)
        return &st->value;
    if ((s->count + 1) * 2 > s->index_size && index_grow(s))
        return NULL;
    if (!s->tail || s->tail->used == BLOCK_STATS) {
        struct sim_stat_block *b = calloc(1, sizeof(*b));
        if (!b)
            return NULL;
        if (s->tail)
            s->tail->next = b;
        else
            s->head = b;
        s->tail = b;
    }
    st = &s->tail->stats[s->tail->used];
    st->name = strdup(name);
    st->unit = strdup(unit ? unit : "count");
    st->desc = strdup(desc ? desc : "");
    if (!st->name || !st->unit || !st->desc) {
        free(st->name);
        free(st->unit);
        free(st->desc);
        memset(st, 0, sizeof(*st));
        return NULL;
    }
    st->value = 0;
    s->tail->used++;
    s->count++;
    index_insert(s->index, s->index_size, st);
    return &st->value;
}

uint64_t *sim_stats_addf(struct sim_stats *s, const char *unit, const char *desc,
                         const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    return sim_stats_add(s, name, unit, desc);
}

const struct sim_stat *sim_stats_at(const struct sim_stats *s, unsigned i)
{
    if (i >= s->count)
        return NULL;
    const struct sim_stat_block *b = s->head;
    while (i >= BLOCK_STATS) {
        b = b->next;
        i -= BLOCK_STATS;
    }
    return &b->stats[i];
}

void sim_stats_reset(struct sim_stats *s)
{
    for (struct sim_stat_block *b = s->head; b; b = b->next)
        for (unsigned i = 0; i < b->used; i++)
            b->stats[i].value = 0;
}

static size_t group_len(const char *name)
{
    const char *dot = strchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

void sim_stats_print(const struct sim_stats *s, FILE *f, int all)
{
    size_t w = 4;
    for (unsigned i = 0; i < s->count; i++) {
        const struct sim_stat *st = sim_stats_at(s, i);
        if ((all || st->value) && strlen(st->name) > w)
            w = strlen(st->name);
    }
    /* Groups in order of first appearance; counters of a group in registration order. */
    char *done = calloc(s->count ? s->count : 1, 1);
    if (!done)
        return;
    fprintf(f, "%-*s %20s  %-7s %s\n", (int)w, "name", "value", "unit", "description");
    for (unsigned i = 0; i < s->count; i++) {
        if (done[i])
            continue;
        const struct sim_stat *g = sim_stats_at(s, i);
        size_t gl = group_len(g->name);
        for (unsigned j = i; j < s->count; j++) {
            const struct sim_stat *st = sim_stats_at(s, j);
            if (done[j] || group_len(st->name) != gl || strncmp(st->name, g->name, gl))
                continue;
            done[j] = 1;
            if (!all && !st->value)
                continue;
            fprintf(f, "%-*s %20llu  %-7s %s\n", (int)w, st->name,
                    (unsigned long long)st->value, st->unit, st->desc);
        }
    }
    free(done);
}

int sim_stats_write_json(const struct sim_stats *s, FILE *f, uint64_t insns, uint64_t cycles)
{
    fprintf(f, "{\"insns\": %llu, \"cycles\": %llu, \"counters\": {",
            (unsigned long long)insns, (unsigned long long)cycles);
    for (unsigned i = 0; i < s->count; i++) {
        const struct sim_stat *st = sim_stats_at(s, i);
        fputs(i ? ",\n  " : "\n  ", f);
        sim_json_str(f, st->name);
        fprintf(f, ": %llu", (unsigned long long)st->value);
    }
    fputs(s->count ? "\n}}\n" : "}}\n", f);
    return ferror(f) ? -1 : 0;
}
