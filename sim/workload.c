/* sim/workload.c - the workload table (see workload.h). The guests themselves are built from
 * source in workloads/ (issue 'Guest workloads'). */
#include "sim/workload.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct sim_workload table[] = {
    {"hello", "prints, queries xen_version, shuts down", "", true, true},
    {"runstate", "registers the runstate area and checks it under preemption from inside the guest",
     "runstate=va|pa, vmassist=0|1, tasks=N, vcpus=N, kpti=0|1, ticks=N, hz=N, work=N, "
     "desched_us=N, remote=0|1", true, true},
    {"hcall-buf", "cost of passing hypercall buffers (console_io, grant copy, multicall, memory_op)",
     "size=8..65536 (one size) or min=N, max=N (a sweep), cross=0|1, reps=N, "
     "flavour=va|pa|pa-flag (pa = pa-flag), ops=all|console_io|multicall|grant_copy|memory_op",
     true, true},
    {"split", "a runstate area straddling a page boundary",
     "offset=N, contig=0|1, yields=N, vmassist=0|1, pa=0|1", true, true},
    {"remap", "moves the page behind a registered runstate VA",
     "runstate=va|pa, yields=N, vmassist=0|1", true, true},
    {"tlb", "working-set sweeps over 4K pages with 2M/1G blocks at either stage",
     "pages=N, stride=N, s1=4k|2m|1g, s2=4k|2m|1g (reported only), iters=N, seed=N", true, true},
    {"confidential", "memory marked private: VA hypercalls fail, PA ones work", "", true, true},
    {"busy", "context-switch-heavy mix standing in for a busy kernel",
     "tasks=N, vcpus=N, rounds=N, syscalls=N, hvyield=N, hz=N, kpti=0|1", true, true},
    {"linux", "Debian's unmodified arm64 Linux 6.1 kernel booted to a /init that forks tasks, "
     "reads steal time from /proc/stat and powers off (kernel: scripts/fetch-images.sh)",
     "kpti=0|1, vcpus=N, profile=NAME (hypervisor profile), tasks=N, rounds=N, work=N",
     true, false},
};

const struct sim_workload *sim_workload_find(const char *name)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (!strcmp(table[i].name, name))
            return &table[i];
    return NULL;
}

size_t sim_workload_count(void)
{
    return sizeof(table) / sizeof(table[0]);
}

const struct sim_workload *sim_workload_at(size_t i)
{
    return i < sim_workload_count() ? &table[i] : NULL;
}

/* The folder holding the built workload images: $HVSIM_WORKLOAD_DIR, else
 * <dir of the hvsim executable>/workloads. */
static int workload_dir(char *dir, size_t len)
{
    const char *env = getenv("HVSIM_WORKLOAD_DIR");
    if (env && *env) {
        snprintf(dir, len, "%s", env);
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
            return -ENOENT;
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        snprintf(dir, len, "%s/workloads", exe);
    }
    return 0;
}

int sim_workload_file(const char *arch, const char *file, char *out, size_t len)
{
    char dir[PATH_MAX + 32];
    if (workload_dir(dir, sizeof(dir)))
        return -ENOENT;
    if (snprintf(out, len, "%s/%s/%s", dir, arch, file) >= (int)len)
        return -ENAMETOOLONG;
    return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

int sim_workload_linux_kernel(char *out, size_t len)
{
    const char *env = getenv("HVSIM_LINUX_IMAGE");
    int n;
    if (env && *env) {
        n = snprintf(out, len, "%s", env);
    } else {
        const char *cache = getenv("HVSIM_CACHE"), *home = getenv("HOME");
        if (cache && *cache)
            n = snprintf(out, len, "%s/linux/vmlinuz-arm64", cache);
        else
            n = snprintf(out, len, "%s/.cache/hvsim/linux/vmlinuz-arm64", home ? home : "");
    }
    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

int sim_workload_image(const char *name, const char *arch, char *out, size_t len)
{
    char dir[PATH_MAX + 32];
    if (!strcmp(name, "linux"))
        return strcmp(arch, "arm64") ? -ENOENT : sim_workload_linux_kernel(out, len);
    if (workload_dir(dir, sizeof(dir)))
        return -ENOENT;
    static const char *const exts[] = {".img", ".elf"};
    for (size_t i = 0; i < 2; i++) {
        if (snprintf(out, len, "%s/%s/%s%s", dir, arch, name, exts[i]) >= (int)len)
            return -ENAMETOOLONG;
        if (access(out, R_OK) == 0)
            return 0;
    }
    return -ENOENT;
}
