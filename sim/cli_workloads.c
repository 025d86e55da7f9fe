/* sim/cli_workloads.c - `hvsim workloads`: the experiment guests, their parameters and
 * architectures, and whether this build has their images. */
#include <getopt.h>
#include <stdio.h>

#include "sim/cli.h"
#include "sim/workload.h"

int sim_cmd_workloads(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'h') {
            printf("usage: hvsim workloads\n\nLists the experiment guests with their parameters "
                   "(passed as 'hvsim run --workload NAME:k=v,...'),\nthe architectures they "
                   "target and whether their images are built.\n");
            return SIM_EXIT_OK;
        }
        return sim_usage_error("workloads", "unknown option near '%s'", argv[optind - 1]);
    }
    if (optind != argc)
        return sim_usage_error("workloads", "unexpected argument '%s'", argv[optind]);
    printf("%-13s %-14s %-14s %s\n", "workload", "arm64", "x86_64", "parameters / what it does");
    for (size_t i = 0; i < sim_workload_count(); i++) {
        const struct sim_workload *w = sim_workload_at(i);
        char path[4096];
        const char *a = !w->arm64 ? "-" : sim_workload_image(w->name, "arm64", path, sizeof(path))
                                              ? "not built" : "built";
        const char *x = !w->x86_64 ? "-" : sim_workload_image(w->name, "x86_64", path, sizeof(path))
                                               ? "not built" : "built";
        printf("%-13s %-14s %-14s %s\n", w->name, a, x, w->summary);
        if (w->params[0])
            printf("%-13s %-14s %-14s   params: %s\n", "", "", "", w->params);
    }
    /* Parameters the guest runtimes (workloads/lib/<arch>/boot.c) read for every workload. */
    printf("\nruntime parameters, read by every workload above except linux (workloads/lib/<arch>/boot.c):\n"
           "  both     console=NAME (arm64: pl011|ring|xen, default the first the domain offers in\n"
           "           that order; x86_64: ring|e9|xen, default ring, else e9),\n"
           "           kpti=0|1 (tasks run on a user page table without the kernel: KPTI / PTI)\n"
           "  x86_64   pcid=0|1 (tag TLB entries with PCIDs when CPUID offers them, default 1),\n"
           "           timer=tscdl|oneshot (x2APIC timer mode; tscdl when CPUID offers it)\n");
    return SIM_EXIT_OK;
}
