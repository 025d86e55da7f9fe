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


/* The guest's cycle counter as the arch runtime reads it (rt.h wl_cntvct / wl_cntfrq): arm64
 * CNTVCT_EL0 at CNTFRQ_EL0, x86_64 RDTSC at the TSC frequency Xen reports. */
#if defined(__x86_64__)
#define WL_COUNTER_NAME "rdtsc"
#else
#define WL_COUNTER_NAME "cntvct"
#endif

/* Invalidate the TLB entries for one kernel VA after its PTE changed (break-before-make on
 * arm64: TLBI VAE1IS with ASID 0, ARM DDI0487 D8.13.5; x86_64: INVLPG, Intel SDM vol. 3A
 * §4.10.4.1, which drops the VA for the current PCID and global entries). The caller orders it
 * with the PTE writes (WL_DSB/WL_ISB). */
static inline void wl_tlb_flush_va(uint64_t va)
{
#if defined(__x86_64__)
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
#else
    __asm__ volatile("tlbi vae1is, %0" :: "r"((va >> 12) & 0xfffffffffffull) : "memory");
#endif
}

#endif
