/* sim/workload.h - the experiment guests (workloads/) by name: their parameters, the
 * architectures they target, and where the build put their images. */
#ifndef SIM_WORKLOAD_H
#define SIM_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

struct sim_workload {
    const char *name;
    const char *summary;
    const char *params;   /* "k=v|v2 (meaning), ..." */
    bool arm64, x86_64;
};

const struct sim_workload *sim_workload_find(const char *name);
size_t sim_workload_count(void);
const struct sim_workload *sim_workload_at(size_t i);

/* Path of the built image for (name, arch) into out; 0 if it exists, -ENOENT otherwise.
 * Looks in $HVSIM_WORKLOAD_DIR, then <dir of the hvsim executable>/workloads. */
int sim_workload_image(const char *name, const char *arch, char *out, size_t len);

/* A built file next to the images (e.g. the Linux initramfs): <dir>/<arch>/<file>. */
int sim_workload_file(const char *arch, const char *file, char *out, size_t len);

/* The `linux` workload's kernel: $HVSIM_LINUX_IMAGE, else <$HVSIM_CACHE or
 * ~/.cache/hvsim>/linux/vmlinuz-arm64 (where scripts/fetch-images.sh puts it). 0 if
 * readable, -ENOENT otherwise (out holds the path looked at). */
int sim_workload_linux_kernel(char *out, size_t len);

#endif
