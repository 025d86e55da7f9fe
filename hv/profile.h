/* hv/profile.h - the hypervisor ABI profiles (design.md "The hypervisor model") and the
 * runstate-update policies a profile chooses by default. A profile is one table entry of
 * behaviours; handlers consult the entry, never the profile's name. This table is the
 * single list of names the CLI accepts and `--hv-profile help` prints. The source of each
 * behaviour is in docs/hv.md and ../shared/reference/xen-abi.md §2, §4, §6. */
#ifndef HV_PROFILE_H
#define HV_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* How the hypervisor reaches a registered runstate area at each update. */
enum hv_runstate_policy {
    HV_RS_VA_EVERY_UPDATE, /* Xen: translate the guest VA with the live EL1/CR3 state at every use */
    HV_RS_VA_ONCE,         /* arm-vmap 2020 patch: translate at registration, keep <= 2 pages mapped */
    HV_RS_GPA_CACHED,      /* KVM: translate once to a GPA, two gfn caches for a page split */
    HV_RS_PA,              /* PA area (op 14): mapped once, no translation at update */
};

/* What VCPUOP_register_runstate_phys_area (14) does. */
enum hv_op14 {
    HV_OP14_EINVAL,   /* Arm's do_arm_vcpu_op forwards only ops 5 and 10: -EINVAL */
    HV_OP14_MAP,      /* map_guest_area() rules of Xen 4.18 common/domain.c */
};

struct hv_profile {
    const char *name;
    const char *summary;
    enum hv_runstate_policy runstate;   /* default policy for VA-registered areas */
    unsigned xen_version;               /* (major << 16) | minor reported by XENVER_version */
    const char *extraversion;           /* XENVER_extraversion */
    uint32_t features0;                 /* XENVER_get_features submap 0 for an Arm domU */
    enum hv_op14 op14;                  /* VCPUOP_register_runstate_phys_area */
    bool map_guest_area;                /* 4.18: register_vcpu_info through map_guest_area()
                                           (-ENXIO bad offset, -EBUSY twice); 4.17: -EINVAL */
    bool pa_area_suppresses_va;         /* a registered PA area stops VA-area updates (4.18) */
    bool pa_flag;                       /* 2022 proposal: HV_PA_FLAG in the hypercall number */
};

/* pa-flag profile: this bit of the hypercall number (x16 / RAX) marks every buffer
 * argument of the call as a guest-physical address (docs/hv.md "pa-flag"). */
#define HV_PA_FLAG 0x40000000u

const struct hv_profile *hv_profile_find(const char *name);
const struct hv_profile *hv_profile_default(void);
void hv_profile_list(FILE *f);

/* Policy names for --runstate ("profile" = the profile's default). -1 if unknown. */
int hv_runstate_policy_parse(const char *name);
const char *hv_runstate_policy_name(enum hv_runstate_policy p);
void hv_runstate_policy_list(FILE *f);

#endif
