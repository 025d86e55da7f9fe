/* hv/runstate.h - vCPU runstate accounting shared by the Arm and x86 hypervisor models:
 * struct vcpu_runstate_info as the guest sees it (xen/include/public/vcpu.h, 48 bytes on
 * arm64/x86_64) and the scheduler's bookkeeping (xen/common/sched/core.c,
 * vcpu_runstate_change), in nanoseconds of simulated time. */
#ifndef HV_RUNSTATE_H
#define HV_RUNSTATE_H

#include <stdbool.h>
#include <stdint.h>

enum hv_rs_state {
    HV_RUNSTATE_RUNNING = 0,
    HV_RUNSTATE_RUNNABLE = 1,
    HV_RUNSTATE_BLOCKED = 2,
    HV_RUNSTATE_OFFLINE = 3,
};

#define HV_RUNSTATE_SIZE 48u                 /* sizeof(struct vcpu_runstate_info), 64-bit */
#define HV_RUNSTATE_ENTRY_OFF 8u             /* offsetof(state_entry_time) */
#define HV_RUNSTATE_FLAG_BYTE 15u            /* byte 7 of state_entry_time (little-endian) */
#define HV_RUNSTATE_UPDATE (1ull << 63)      /* XEN_RUNSTATE_UPDATE */

struct hv_runstate {
    int32_t state;
    uint64_t state_entry_time;
    uint64_t time[4];
};

void hv_runstate_init(struct hv_runstate *r, enum hv_rs_state state, uint64_t now_ns);
/* vcpu_runstate_change: charge now - state_entry_time to the old state, enter new_state.
 * Keeps state_entry_time - sum(time[]) constant, as on real Xen. */
void hv_runstate_change(struct hv_runstate *r, enum hv_rs_state new_state, uint64_t now_ns);
/* The guest-visible 48-byte image (little-endian), with XEN_RUNSTATE_UPDATE set in
 * state_entry_time when update_flag. */
void hv_runstate_image(const struct hv_runstate *r, bool update_flag, uint8_t out[HV_RUNSTATE_SIZE]);
/* Parse a 48-byte image (tests and the guest-side view). */
void hv_runstate_parse(const uint8_t in[HV_RUNSTATE_SIZE], struct hv_runstate *r);
const char *hv_runstate_name(int state);

#endif
