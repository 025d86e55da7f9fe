/* tests/hv/test_hv_runstate.c - runstate accounting (hv/runstate.c) and the profile table
 * (hv/profile.c). */
#include "hv/profile.h"
#include "hv/runstate.h"
#include "testutil.h"

int main(void)
{
    struct hv_runstate r;
    hv_runstate_init(&r, HV_RUNSTATE_RUNNABLE, 100);
    hv_runstate_change(&r, HV_RUNSTATE_RUNNING, 250);
    hv_runstate_change(&r, HV_RUNSTATE_BLOCKED, 1000);
    hv_runstate_change(&r, HV_RUNSTATE_RUNNABLE, 1600);
    hv_runstate_change(&r, HV_RUNSTATE_RUNNING, 1700);
    CHECK_EQ(r.state, HV_RUNSTATE_RUNNING);
    CHECK_EQ(r.time[HV_RUNSTATE_RUNNABLE], 150 + 100);
    CHECK_EQ(r.time[HV_RUNSTATE_RUNNING], 750);
    CHECK_EQ(r.time[HV_RUNSTATE_BLOCKED], 600);
    /* state_entry_time - sum(time[]) stays constant (the initial entry time) */
    CHECK_EQ(r.state_entry_time - (r.time[0] + r.time[1] + r.time[2] + r.time[3]), 100);
    /* time never runs backwards: a stale timestamp charges nothing */
    hv_runstate_change(&r, HV_RUNSTATE_RUNNABLE, 1500);
    CHECK_EQ(r.state_entry_time, 1700);
    CHECK_EQ(r.state, HV_RUNSTATE_RUNNABLE);

    uint8_t img[HV_RUNSTATE_SIZE];
    hv_runstate_image(&r, true, img);
    CHECK_EQ(img[HV_RUNSTATE_FLAG_BYTE], 0x80);  /* XEN_RUNSTATE_UPDATE in byte 15 */
    CHECK_EQ(img[0], HV_RUNSTATE_RUNNABLE);
    CHECK_EQ(img[8], 1700 & 0xff);
    struct hv_runstate p;
    hv_runstate_parse(img, &p);
    CHECK_EQ(p.state_entry_time, 1700 | HV_RUNSTATE_UPDATE);
    CHECK_EQ(p.time[2], 600);
    hv_runstate_image(&r, false, img);
    CHECK_EQ(img[HV_RUNSTATE_FLAG_BYTE], 0);
    CHECK_STR(hv_runstate_name(2), "blocked");

    /* profiles: one table entry of behaviours each */
    const struct hv_profile *x17 = hv_profile_find("xen-4.17"), *x18 = hv_profile_find("xen-4.18");
    const struct hv_profile *pa = hv_profile_find("pa"), *vm = hv_profile_find("arm-vmap");
    const struct hv_profile *kvm = hv_profile_find("kvm");
    CHECK(x17 && x18 && pa && vm && kvm && hv_profile_find("pa-flag"));
    CHECK(!hv_profile_find("xen-4.19"));
    if (x17 && x18 && pa && vm && kvm) {
        CHECK_EQ(x17->xen_version, 0x40011);
        CHECK_EQ(x18->xen_version, 0x40012);
        CHECK_EQ(x17->op14, HV_OP14_EINVAL);
        CHECK_EQ(x18->op14, HV_OP14_EINVAL);
        CHECK_EQ(pa->op14, HV_OP14_MAP);
        CHECK_EQ(vm->runstate, HV_RS_VA_ONCE);
        CHECK_EQ(kvm->runstate, HV_RS_GPA_CACHED);
        CHECK_EQ(x17->features0 & (1u << 18), 0);        /* XENFEAT_runstate_phys_area */
        CHECK_EQ(x18->features0 & (1u << 18), 1u << 18);
        CHECK_EQ(x17->features0 & (1u << 14), 1u << 14); /* XENFEAT_ARM_SMCCC_supported */
    }
    CHECK_EQ(hv_runstate_policy_parse("va-once"), HV_RS_VA_ONCE);
    CHECK_EQ(hv_runstate_policy_parse("nope"), -1);
    return test_summary();
}
