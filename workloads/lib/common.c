/* workloads/lib/common.c - the arch-neutral part of the guest runtime, linked into the guests of
 * both architectures (workloads/lib/arm64, workloads/lib/x86_64): freestanding string helpers and
 * the command-line parameters (k=v words separated by blanks or commas; wl.h). */
#include <stdint.h>

#include "wl.h"

void wl_params_init(const char *bootargs);
int wl_strcmp(const char *a, const char *b);
int wl_strncmp(const char *a, const char *b, uint64_t n);
uint64_t wl_strlen(const char *s);
void wl_memcpy(void *d, const void *s, uint64_t n);
void wl_memset(void *d, int c, uint64_t n);

static char args_buf[512];

/* ---- strings (freestanding; the compiler may also call memcpy/memset) ---- */
int wl_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int wl_strncmp(const char *a, const char *b, uint64_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

uint64_t wl_strlen(const char *s)
{
    uint64_t n = 0;
    while (s[n])
        n++;
    return n;
}

void wl_memcpy(void *d, const void *s, uint64_t n)
{
    volatile char *dc = d;
    const char *sc = s;
    while (n--)
        *dc++ = *sc++;
}

void wl_memset(void *d, int c, uint64_t n)
{
    volatile char *dc = d;
    while (n--)
        *dc++ = (char)c;
}

void *memcpy(void *d, const void *s, unsigned long n);
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n) { wl_memcpy(d, s, n); return d; }
void *memset(void *d, int c, unsigned long n) { wl_memset(d, c, n); return d; }

/* ---- command line: k=v words separated by blanks or commas ---- */
void wl_params_init(const char *bootargs)
{
    uint64_t i = 0;
    for (; bootargs[i] && i + 1 < sizeof(args_buf); i++) {
        char c = bootargs[i];
        args_buf[i] = (c == ' ' || c == '\t' || c == ',' || c == '\n') ? 0 : c;
    }
    args_buf[i] = 0;
    args_buf[i + 1 < sizeof(args_buf) ? i + 1 : i] = 0;
}

const char *wl_param(const char *key)
{
    const char *found = 0;
    uint64_t klen = wl_strlen(key);
    for (uint64_t i = 0; i < sizeof(args_buf) - 1;) {
        if (!args_buf[i]) {
            i++;
            continue;
        }
        const char *w = &args_buf[i];
        if (!wl_strncmp(w, key, klen) && (w[klen] == '=' || w[klen] == 0))
            found = w[klen] == '=' ? w + klen + 1 : w + klen;
        i += wl_strlen(w);
    }
    return found;
}

uint64_t wl_param_u64(const char *key, uint64_t dflt)
{
    const char *v = wl_param(key);
    if (!v || !*v)
        return dflt;
    uint64_t n = 0, base = 10;
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        v += 2;
    }
    for (; *v; v++) {
        uint64_t d;
        if (*v >= '0' && *v <= '9') d = (uint64_t)(*v - '0');
        else if (base == 16 && *v >= 'a' && *v <= 'f') d = (uint64_t)(*v - 'a' + 10);
        else if (base == 16 && *v >= 'A' && *v <= 'F') d = (uint64_t)(*v - 'A' + 10);
        else return dflt;
        n = n * base + d;
    }
    return n;
}

int wl_param_is(const char *key, const char *value, int dflt)
{
    const char *v = wl_param(key);
    return v ? !wl_strcmp(v, value) : dflt;
}
