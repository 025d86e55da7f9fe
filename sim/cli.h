/* sim/cli.h - the `hvsim <command>` entry points and the CLI's shared conventions:
 * hvsim's own messages go to stderr prefixed "hvsim:", guest console output to stdout;
 * exit 0 success (guest powered off), 1 failure (guest crashed, simulation or I/O error),
 * 2 usage error (one line naming the problem). */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_EXIT_OK 0
#define SIM_EXIT_FAIL 1
#define SIM_EXIT_USAGE 2

int sim_cmd_run(int argc, char **argv);
int sim_cmd_sweep(int argc, char **argv);
int sim_cmd_workloads(int argc, char **argv);
int sim_cmd_runs(int argc, char **argv);
int sim_cmd_query(int argc, char **argv);
int sim_cmd_compare(int argc, char **argv);
int sim_cmd_report(int argc, char **argv);
int sim_cmd_db(int argc, char **argv);
int sim_cmd_image(int argc, char **argv);

/* "hvsim: <cmd>: <message>" on stderr; returns SIM_EXIT_USAGE. */
int sim_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "hvsim: <message>" on stderr. */
void sim_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_infof(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict number parsing for options: decimal, 0x hex, and K/M/G/T binary suffixes when
 * allow_suffix. Returns 0 or -1 (nothing trailing, no overflow). */
int sim_parse_u64(const char *s, uint64_t *out, bool allow_suffix);

/* getopt_long wrapper state reset, so commands can be called more than once (tests). */
void sim_getopt_reset(void);

/* Default database path: $HVSIM_DB, else "hvsim.db". */
const char *sim_default_db(void);

#endif
