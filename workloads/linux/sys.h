/* workloads/linux/sys.h - the few Linux system calls /init needs, on arm64 (the generic
 * syscall table, include/uapi/asm-generic/unistd.h: x8 = number, x0-x5 = arguments, x0 =
 * result or -errno; `svc #0`). No libc: the initramfs is built from source with clang. */
#ifndef WL_LINUX_SYS_H
#define WL_LINUX_SYS_H

typedef unsigned long u64;
typedef long s64;

enum {
    NR_mkdirat = 34, NR_mount = 40, NR_openat = 56, NR_close = 57, NR_read = 63,
    NR_write = 64, NR_exit = 93, NR_nanosleep = 101, NR_clock_gettime = 113,
    NR_sched_yield = 124, NR_reboot = 142, NR_getpid = 172, NR_clone = 220, NR_wait4 = 260,
};

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define SIGCHLD 17
#define CLOCK_MONOTONIC 1
/* include/uapi/linux/reboot.h */
#define LINUX_REBOOT_MAGIC1 0xfee1deadul
#define LINUX_REBOOT_MAGIC2 672274793ul
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321FEDCul

static inline s64 sys6(u64 nr, u64 a, u64 b, u64 c, u64 d, u64 e, u64 f)
{
    register u64 x8 __asm__("x8") = nr;
    register u64 x0 __asm__("x0") = a;
    register u64 x1 __asm__("x1") = b;
    register u64 x2 __asm__("x2") = c;
    register u64 x3 __asm__("x3") = d;
    register u64 x4 __asm__("x4") = e;
    register u64 x5 __asm__("x5") = f;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return (s64)x0;
}
#define sys0(n) sys6((n), 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6((n), (u64)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6((n), (u64)(a), (u64)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6((n), (u64)(a), (u64)(b), (u64)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6((n), (u64)(a), (u64)(b), (u64)(c), (u64)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6((n), (u64)(a), (u64)(b), (u64)(c), (u64)(d), (u64)(e), 0)

struct timespec_k {
    s64 tv_sec, tv_nsec;
};

#endif
