/* sim/main.c - `hvsim <command>`: dispatch to the commands in sim/cli_*.c. */
#include <stdio.h>
#include <string.h>

#include "gitrev.h"
#include "sim/cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"run", sim_cmd_run, "run one guest image (or workload) and record the run"},
    {"sweep", sim_cmd_sweep, "run a grid of configurations in parallel"},
    {"workloads", sim_cmd_workloads, "list the built-in guest workloads and their parameters"},
    {"runs", sim_cmd_runs, "list the runs stored in a database"},
    {"query", sim_cmd_query, "run an SQL query on a database and print the result"},
    {"compare", sim_cmd_compare, "compare a metric across runs grouped by a key, with ratios"},
    {"report", sim_cmd_report, "write the VA-vs-PA report (tables and plots) from a database"},
    {"db", sim_cmd_db, "database maintenance: check, migrate, merge, export"},
    {"image", sim_cmd_image, "inspect a guest image: format, entry, segments, Xen notes"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hvsim <command> [options]   (hvsim <command> --help)\n\n"
               "hvsim %s: a cycle-approximate Armv8-A/EL2 and x86-64/VMX simulator with a\n"
               "modelled Xen hypervisor, measuring what address translation costs.\n\ncommands:\n",
            HVSIM_VERSION);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n  --version  print the version and git revision\n");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return sim_usage_error(NULL, "no command given");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return SIM_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("hvsim %s (git %s)\n", HVSIM_VERSION, HVSIM_GITREV);
        return SIM_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(cmd, commands[i].name)) {
            sim_getopt_reset();
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    return sim_usage_error(NULL, "unknown command '%s'", cmd);
}
