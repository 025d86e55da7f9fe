/* tests/hv/guests/common.c - shutdown helper and a default exception handler. */
#include "guest.h"

void guest_shutdown(long reason)
{
    u32 r = (u32)reason;
    hcall(HYPERVISOR_sched_op, 2, &r, 0);
    for (;;)
        __asm__ volatile("wfi");
}

/* The compiler may emit calls to these for struct copies and initialisers. */
void *memcpy(void *d, const void *s, unsigned long n);
void *memset(void *d, int c, unsigned long n);

void *memcpy(void *d, const void *s, unsigned long n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, unsigned long n)
{
    unsigned char *dp = d;
    while (n--)
        *dp++ = (unsigned char)c;
    return d;
}
