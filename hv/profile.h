/* hv/profile.h - the hypervisor ABI profiles (design.md "The hypervisor model") and the
 * runstate-update policies a profile chooses by default. A profile is one table entry of
 * behaviours; handlers consult the entry, never the profile's name. The behaviour fields
 * are filled in by the hypervisor issue; this table is the single list of names the CLI
 * accepts and `--hv-profile help` prints. */
#ifndef HV_PROFILE_H
#define HV_PROFILE_H

#include <stdio.h>

/* How the hypervisor reaches a registered runstate area at each update. */
enum hv_runstate_policy {
    HV_RS_VA_EVERY_UPDATE, /* Xen: translate the guest VA with the live EL1/CR3 state at every use */
    HV_RS_VA_ONCE,         /* arm-vmap 2020 patch: translate at registration, keep <= 2 pages mapped */
    HV_RS_GPA_CACHED,      /* KVM: translate once to a GPA, two gfn caches for a page split */
    HV_RS_PA,              /* PA area (op 14): mapped once, no translation at update */
};

struct hv_profile {
    const char *name;
    const char *summary;
    enum hv_runstate_policy runstate;   /* default policy for VA-registered areas */
    unsigned xen_version;               /* (major << 16) | minor reported by XENVER_version */
};

const struct hv_profile *hv_profile_find(const char *name);
const struct hv_profile *hv_profile_default(void);
void hv_profile_list(FILE *f);

/* Policy names for --runstate ("profile" = the profile's default). -1 if unknown. */
int hv_runstate_policy_parse(const char *name);
const char *hv_runstate_policy_name(enum hv_runstate_policy p);
void hv_runstate_policy_list(FILE *f);

#endif
