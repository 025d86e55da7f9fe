/* workloads/bare/demo_body.h - the bare-mode demo guest's work, shared by every architecture:
 * integer work over a 1 MiB working set (sieve, checksums, a strided walk) printed as a RESULT
 * line. The including file defines `static void putc_(char c)` (its console) first. */
#include <stdint.h>

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void putu(uint64_t v)
{
    char b[21];
    int i = 20;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(&b[i]);
}

#define N (1u << 20)
static uint8_t sieve[N];
static uint32_t table[N / 16];

uint64_t main(void)
{
    uint64_t primes = 0;
    for (uint32_t i = 2; i < N; i++) {
        if (sieve[i])
            continue;
        primes++;
        for (uint32_t j = i + i; j < N; j += i)
            sieve[j] = 1;
    }
    uint32_t x = 12345;
    for (uint32_t i = 0; i < N / 16; i++) {
        x = x * 1103515245u + 12345u;
        table[i] = x;
    }
    uint64_t sum = 0;
    for (uint32_t round = 0; round < 4; round++)
        for (uint32_t i = round; i < N / 16; i += 1024 / 4)  /* one word per 1 KiB */
            sum += table[i];
    puts_("RESULT workload=bare-demo primes=");
    putu(primes);
    puts_(" sum=");
    putu(sum);
    puts_("\n");
    return primes;
}
