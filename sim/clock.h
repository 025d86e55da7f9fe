/* sim/clock.h - the simulated clock of a machine: cycles of the modelled core at a fixed
 * frequency, converted to nanoseconds for runstate times and the generic timer / TSC. */
#ifndef SIM_CLOCK_H
#define SIM_CLOCK_H

#include <stdint.h>

struct sim_clock {
    uint64_t cycles;  /* cycles elapsed on this machine's timeline */
    uint64_t hz;      /* core frequency (from the CPU model) */
};

static inline uint64_t sim_clock_cycles_to_ns(const struct sim_clock *c, uint64_t cycles)
{
    return (uint64_t)((unsigned __int128)cycles * 1000000000u / (c->hz ? c->hz : 1));
}

static inline uint64_t sim_clock_ns(const struct sim_clock *c)
{
    return sim_clock_cycles_to_ns(c, c->cycles);
}

/* Ticks of a counter running at freq Hz (CNTVCT at CNTFRQ, TSC at its nominal rate). */
static inline uint64_t sim_clock_ticks(const struct sim_clock *c, uint64_t freq)
{
    return (uint64_t)((unsigned __int128)c->cycles * freq / (c->hz ? c->hz : 1));
}

#endif
