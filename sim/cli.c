/* sim/cli.c - shared CLI helpers (see cli.h). */
#include "sim/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hvsim: %s%s", cmd ? cmd : "", cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'hvsim %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
    /* keep the message one line: the hint is on the same line */
    return SIM_EXIT_USAGE;
}

static void vmsg(const char *fmt, va_list ap)
{
    fputs("hvsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void sim_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void sim_infof(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

int sim_parse_u64(const char *s, uint64_t *out, bool allow_suffix)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    unsigned shift = 0;
    if (allow_suffix && *end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return -1;
        }
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
        if (*end == 'b' || *end == 'B')
            end++;
    }
    if (*end)
        return -1;
    if (shift && v > (~0ull >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

void sim_getopt_reset(void)
{
    optind = 0; /* glibc: 0 forces full reinitialisation */
    opterr = 0; /* commands print their own one-line errors */
}

const char *sim_default_db(void)
{
    const char *e = getenv("HVSIM_DB");
    return e && *e ? e : "hvsim.db";
}
