/* workloads/hello/main.c - the smallest guest: a console line, XENVER_version,
 * XENVER_get_features (submap 0), SCHEDOP_shutdown(poweroff). Xen public/version.h:
 * XENVER_version returns (major << 16) | minor directly. */
#include "../lib/wl.h"
#include "../lib/xen.h"

int wl_main(void)
{
    wl_puts("hello from the hvsim guest runtime\n");
    long ver = wl_hypercall(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    struct xen_feature_info fi = {.submap_idx = 0, .submap = 0};
    long frc = wl_hypercall(__HYPERVISOR_xen_version, XENVER_get_features, (uint64_t)&fi, 0, 0, 0);
    wl_result_begin("hello");
    wl_result_hex("xen_version", (uint64_t)ver);
    wl_result_i64("features_rc", frc);
    wl_result_hex("features", frc ? 0 : fi.submap);
    wl_result_str("console", wl_console_name());
    wl_result_end();
    return ver > 0 && frc == 0 ? 0 : 1;
}
