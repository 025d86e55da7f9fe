/* workloads/lib/wl.h - the guest runtime's arch-neutral API (each arch implements it in
 * workloads/lib/<arch>/). A guest provides wl_main(); the runtime boots the vCPU, finds the
 * console and the command line, calls wl_main on the boot vCPU and shuts the domain down with
 * SCHEDOP_shutdown: poweroff when wl_main returns 0, crash otherwise. */
#ifndef WL_WL_H
#define WL_WL_H

#include <stdint.h>

/* Implemented by the guest. */
int wl_main(void);

/* Hypercalls: up to 5 arguments, result as Xen returns it (negative errno on error). */
long wl_hypercall(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

/* Console: text is line-buffered and written to the console chosen at boot (see wl_console_name). */
void wl_putc(char c);
void wl_puts(const char *s);
void wl_put_u64(uint64_t v);
void wl_put_i64(int64_t v);
void wl_put_hex(uint64_t v);   /* 0x-prefixed */
const char *wl_console_name(void);

/* Command line: whitespace- or comma-separated k=v words ("/chosen/bootargs", PVH cmdline).
 * wl_param returns the value of the last k=..., "" for a bare word k, NULL when absent. */
const char *wl_param(const char *key);
uint64_t wl_param_u64(const char *key, uint64_t dflt);
int wl_param_is(const char *key, const char *value, int dflt);

/* The result format: one or more lines "RESULT workload=NAME k=v ...". Lines are kept short
 * (Xen's console buffers ~128 characters): a long result continues on another RESULT line that
 * repeats workload=NAME. */
void wl_result_begin(const char *workload);
void wl_result_u64(const char *key, uint64_t v);
void wl_result_i64(const char *key, int64_t v);
void wl_result_hex(const char *key, uint64_t v);
void wl_result_str(const char *key, const char *v);
void wl_result_end(void);

/* Stop: SCHEDOP_shutdown(poweroff) when ok, (crash) otherwise. */
__attribute__((noreturn)) void wl_shutdown(int ok);
__attribute__((noreturn)) void wl_panic(const char *msg);

/* Monotonic guest time in nanoseconds (arm64 CNTVCT, x86 TSC scaled). */
uint64_t wl_now_ns(void);

#endif
