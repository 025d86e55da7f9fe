/* workloads/lib/x86_64/common.c - spin locks (PAUSE in the spin); the string and command-line
 * helpers shared with the arm64 runtime are in workloads/lib/common.c. */
#include "rt.h"

void wl_lock(volatile int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        while (*l)
            __asm__ volatile("pause");
}

void wl_unlock(volatile int *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}
