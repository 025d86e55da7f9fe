/* hv/profile.c - the ABI profile table (see profile.h). Sources for each behaviour are in
 * ../shared/reference/xen-abi.md §2.1, §4 and §6. */
#include "hv/profile.h"

#include <string.h>

/* XENVER_get_features submap 0 for an Arm domU (xen/common/kernel.c, do_xen_version):
 * XENFEAT_writable_page_tables (0) and auto_translated_physmap (2) for a translated guest,
 * memory_op_vnode_supported (13), ARM_SMCCC_supported (14), not_direct_mapped (16, public/features.h; measured 0x16005 on Debian's Xen 4.17); Xen 4.18
 * adds runstate_phys_area (18) on every architecture (commit 48a3fd1432). */
#define FEAT_417 ((1u << 0) | (1u << 2) | (1u << 13) | (1u << 14) | (1u << 16))
#define FEAT_418 (FEAT_417 | (1u << 18))

static const struct hv_profile profiles[] = {
    {"xen-4.17", "Xen 4.17 on Arm/x86: runstate by VA translated at every update (AT S12E1W / "
                 "hvm_copy_to_guest_linear); op 14 absent (-EINVAL on Arm)",
     HV_RS_VA_EVERY_UPDATE, 0x40011, ".0", FEAT_417, HV_OP14_EINVAL, false, false, false},
    {"xen-4.18", "Xen 4.18: as 4.17, plus VCPUOP_register_runstate_phys_area (op 14) on x86; Arm's "
                 "do_vcpu_op still refuses it with -EINVAL (xen/arch/arm/domain.c)",
     HV_RS_VA_EVERY_UPDATE, 0x40012, ".0", FEAT_418, HV_OP14_EINVAL, true, true, false},
    {"arm-vmap", "unmerged 2020 Arm patch (B. Marquis v3): translate the runstate VA once at "
                 "registration, vmap up to two pages, 8-byte alignment, VA 0 unregisters",
     HV_RS_VA_ONCE, 0x40011, ".0", FEAT_417, HV_OP14_EINVAL, false, false, false},
    {"kvm", "KVM's Xen emulation: translate once to a guest-physical address at registration; "
            "an area crossing a page uses two gfn_to_pfn caches (arch/x86/kvm/xen.c)",
     HV_RS_GPA_CACHED, 0x40011, ".0", FEAT_417, HV_OP14_EINVAL, false, false, false},
    {"pa", "op 14 accepted on both architectures under the 4.18 rules (8-byte aligned, no page "
           "crossing -> -ENXIO, writable RAM, ~0 unregisters); a PA area suppresses VA updates",
     HV_RS_VA_EVERY_UPDATE, 0x40012, ".0", FEAT_418, HV_OP14_MAP, true, true, false},
    {"pa-flag", "2022 proposal (J. Beulich): a bit in the hypercall number marks buffer arguments "
                "as guest-physical, scatter/gather descriptors in the low two address bits",
     HV_RS_VA_EVERY_UPDATE, 0x40012, ".0", FEAT_418, HV_OP14_MAP, true, true, true},
};

const struct hv_profile *hv_profile_find(const char *name)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
        if (!strcmp(profiles[i].name, name))
            return &profiles[i];
    return NULL;
}

const struct hv_profile *hv_profile_default(void)
{
    return &profiles[0];
}

void hv_profile_list(FILE *f)
{
    fprintf(f, "hypervisor profiles (--hv-profile NAME; default %s):\n", profiles[0].name);
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
        fprintf(f, "  %-9s %s\n", profiles[i].name, profiles[i].summary);
}

static const char *const policy_names[] = {
    [HV_RS_VA_EVERY_UPDATE] = "va-every-update",
    [HV_RS_VA_ONCE] = "va-once",
    [HV_RS_GPA_CACHED] = "gpa-cached",
    [HV_RS_PA] = "pa",
};

int hv_runstate_policy_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++)
        if (!strcmp(policy_names[i], name))
            return (int)i;
    return -1;
}

const char *hv_runstate_policy_name(enum hv_runstate_policy p)
{
    return (unsigned)p < sizeof(policy_names) / sizeof(policy_names[0]) ? policy_names[p] : "?";
}

void hv_runstate_policy_list(FILE *f)
{
    fprintf(f, "runstate update policies (--runstate NAME; default: the profile's):\n"
               "  va-every-update  translate the registered VA with the vCPU's live translation "
               "state at every update (Xen)\n"
               "  va-once          translate at registration, keep the pages mapped (arm-vmap)\n"
               "  gpa-cached       translate once to a guest-physical address, cached (KVM)\n"
               "  pa               only a physically registered area is updated (op 14)\n");
}
