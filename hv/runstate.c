/* hv/runstate.c - runstate accounting (see runstate.h). */
#include "hv/runstate.h"

#include <string.h>

void hv_runstate_init(struct hv_runstate *r, enum hv_rs_state state, uint64_t now_ns)
{
    memset(r, 0, sizeof(*r));
    r->state = (int32_t)state;
    r->state_entry_time = now_ns;
}

void hv_runstate_change(struct hv_runstate *r, enum hv_rs_state new_state, uint64_t now_ns)
{
    /* xen/common/sched/core.c vcpu_runstate_change(): delta = new_entry_time -
     * state_entry_time; if (delta > 0) time[old state] += delta; state_entry_time = now. */
    if (now_ns > r->state_entry_time) {
        r->time[r->state & 3] += now_ns - r->state_entry_time;
        r->state_entry_time = now_ns;
    }
    r->state = (int32_t)new_state;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void hv_runstate_image(const struct hv_runstate *r, bool update_flag, uint8_t out[HV_RUNSTATE_SIZE])
{
    memset(out, 0, HV_RUNSTATE_SIZE);
    uint32_t st = (uint32_t)r->state;
    for (unsigned i = 0; i < 4; i++)
        out[i] = (uint8_t)(st >> (8 * i));
    put64(out + 8, r->state_entry_time | (update_flag ? HV_RUNSTATE_UPDATE : 0));
    for (unsigned i = 0; i < 4; i++)
        put64(out + 16 + 8 * i, r->time[i]);
}

void hv_runstate_parse(const uint8_t in[HV_RUNSTATE_SIZE], struct hv_runstate *r)
{
    r->state = (int32_t)((uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
                         (uint32_t)in[3] << 24);
    r->state_entry_time = get64(in + 8);
    for (unsigned i = 0; i < 4; i++)
        r->time[i] = get64(in + 16 + 8 * i);
}

const char *hv_runstate_name(int state)
{
    static const char *const n[] = {"running", "runnable", "blocked", "offline"};
    return state >= 0 && state < 4 ? n[state] : "?";
}
