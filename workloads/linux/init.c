/* workloads/linux/init.c - /init of the initramfs hvsim boots Debian's arm64 kernel with
 * (issue "Boot Debian's unmodified arm64 Linux kernel"). Static, no libc, integer-only,
 * against the Linux system-call ABI only. It
 *   1. prints a greeting on the console the kernel gave it (/dev/console),
 *   2. mounts /proc and reads the CPU count,
 *   3. forks `tasks` children (default 4) that each spin `work` rounds of integer work,
 *      yielding and making system calls between rounds, so they context-switch,
 *   4. reads /proc/stat: per-CPU user/system/idle/steal ticks (USER_HZ) — steal comes from
 *      the Xen runstate area Linux registered (drivers/xen/time.c xen_steal_clock),
 *   5. prints one line "RESULT workload=linux ..." and powers off with reboot(POWER_OFF), which Linux
 *      turns into SCHEDOP_shutdown(poweroff) under Xen (arch/arm/xen/enlighten.c).
 * Parameters arrive as environment variables: the kernel passes unknown `k=v` words of its
 * command line to init (init/main.c unknown_bootoption). */
#include "sys.h"

static u64 slen(const char *s)
{
    u64 n = 0;
    while (s[n])
        n++;
    return n;
}

static void puts_(const char *s)
{
    sys3(NR_write, 1, s, slen(s));
}

static char *utoa(u64 v, char *end)
{
    *--end = 0;
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void putu(u64 v)
{
    char b[24];
    puts_(utoa(v, b + sizeof(b)));
}

static int starts(const char *s, const char *p)
{
    while (*p)
        if (*s++ != *p++)
            return 0;
    return 1;
}

static u64 parse_u(const char *s, u64 dflt)
{
    u64 v = 0;
    if (*s < '0' || *s > '9')
        return dflt;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (u64)(*s++ - '0');
    return v;
}

static u64 env_u(char **envp, const char *key, u64 dflt)
{
    for (; envp && *envp; envp++)
        if (starts(*envp, key) && (*envp)[slen(key)] == '=')
            return parse_u(*envp + slen(key) + 1, dflt);
    return dflt;
}

static u64 now_ns(void)
{
    struct timespec_k t;
    if (sys2(NR_clock_gettime, CLOCK_MONOTONIC, &t))
        return 0;
    return (u64)t.tv_sec * 1000000000ull + (u64)t.tv_nsec;
}

/* One child: `rounds` rounds of integer work (a xorshift chain the compiler cannot fold),
 * each followed by a getpid() and a sched_yield(). Exit status: low bits of the chain. */
static void child(u64 id, u64 rounds, u64 work)
{
    u64 x = 0x9e3779b97f4a7c15ull ^ id;
    for (u64 r = 0; r < rounds; r++) {
        for (u64 i = 0; i < work; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        sys0(NR_getpid);
        sys0(NR_sched_yield);
    }
    /* the chain never reaches 0 from a non-zero seed: exit(0) unless memory was corrupted */
    sys1(NR_exit, x ? 0 : 1);
}

/* Field n (0 = first number) of a "cpuN ..." line; p points after the label. */
static u64 field(const char *p, unsigned n)
{
    for (unsigned i = 0;; i++) {
        while (*p == ' ')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        if (i == n)
            return parse_u(p, 0);
        while (*p >= '0' && *p <= '9')
            p++;
    }
}

static char statbuf[8192];

/* Print the per-CPU lines of /proc/stat as "cpuN user=.. system=.. idle=.. steal=..";
 * returns the total steal ticks of the "cpu" line. */
static u64 report_stat(void)
{
    s64 fd = sys4(NR_openat, AT_FDCWD, "/proc/stat", O_RDONLY, 0);
    if (fd < 0) {
        puts_("init: cannot open /proc/stat\n");
        return 0;
    }
    s64 n = sys3(NR_read, fd, statbuf, sizeof(statbuf) - 1);
    sys1(NR_close, fd);
    if (n <= 0)
        return 0;
    statbuf[n] = 0;
    u64 steal_total = 0;
    for (char *l = statbuf; *l;) {
        char *nl = l;
        while (*nl && *nl != '\n')
            nl++;
        char save = *nl;
        *nl = 0;
        if (starts(l, "cpu")) {
            char *p = l + 3;
            while (*p && *p != ' ')
                p++;
            /* user nice system idle iowait irq softirq steal (Documentation/filesystems/proc.rst) */
            u64 user = field(p, 0), sys = field(p, 2), idle = field(p, 3), steal = field(p, 7);
            if (l[3] == ' ') {
                steal_total = steal;
            } else {
                puts_("init: ");
                for (char *q = l; q < p; q++)
                    sys3(NR_write, 1, q, 1);
                puts_(" user=");
                putu(user);
                puts_(" system=");
                putu(sys);
                puts_(" idle=");
                putu(idle);
                puts_(" steal=");
                putu(steal);
                puts_("\n");
            }
        }
        *nl = save;
        l = save ? nl + 1 : nl;
    }
    return steal_total;
}

int main(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    u64 tasks = env_u(envp, "tasks", 4), rounds = env_u(envp, "rounds", 50);
    u64 work = env_u(envp, "work", 20000);
    if (tasks > 64)
        tasks = 64;
    puts_("init: hello from /init, pid ");
    putu((u64)sys0(NR_getpid));
    puts_("\n");

    sys3(NR_mkdirat, AT_FDCWD, "/proc", 0555);
    s64 rc = sys5(NR_mount, "proc", "/proc", "proc", 0, 0);
    if (rc)
        puts_("init: mount /proc failed\n");

    u64 t0 = now_ns();
    u64 started = 0;
    for (u64 i = 0; i < tasks; i++) {
        s64 pid = sys5(NR_clone, SIGCHLD, 0, 0, 0, 0); /* fork() */
        if (pid == 0)
            child(i, rounds, work);
        if (pid > 0)
            started++;
    }
    u64 reaped = 0, bad = 0;
    for (;;) {
        int status = 0;
        s64 pid = sys4(NR_wait4, -1, &status, 0, 0);
        if (pid <= 0)
            break;
        reaped++;
        if (status & 0xff7f) /* not a normal exit(0) (WIFEXITED && WEXITSTATUS == 0) */
            bad++;
    }
    u64 t1 = now_ns();
    u64 steal = report_stat();
    puts_("RESULT workload=linux init=ok tasks=");
    putu(started);
    puts_(" reaped=");
    putu(reaped);
    puts_(" failed=");
    putu(bad);
    puts_(" work_ms=");
    putu((t1 - t0) / 1000000);
    puts_(" steal_ticks=");
    putu(steal);
    puts_("\n");
    sys4(NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
    puts_("init: reboot returned\n");
    for (;;)
        sys0(NR_sched_yield);
}

/* Entry (ELF auxv layout, arm64 ABI): sp -> argc, argv[], NULL, envp[], NULL, auxv. */
__asm__(".text\n.global _start\n_start:\n"
        "  ldr x0, [sp]\n"
        "  add x1, sp, #8\n"
        "  add x2, x1, x0, lsl #3\n"
        "  add x2, x2, #8\n"
        "  bl main\n"
        "  mov x8, #93\n  svc #0\n");
