/* tests/hv/guests/guest.h - tiny runtime for the modelled-Xen test guests: hypercalls
 * (HVC #0xEA1, x16 = number), SMCCC (HVC #0), console_io output, hex formatting. */
#ifndef HV_TEST_GUEST_H
#define HV_TEST_GUEST_H

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

static inline long hcall5(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
    register u64 x0 __asm__("x0") = a0;
    register u64 x1 __asm__("x1") = a1;
    register u64 x2 __asm__("x2") = a2;
    register u64 x3 __asm__("x3") = a3;
    register u64 x4 __asm__("x4") = a4;
    register u64 x16 __asm__("x16") = nr;
    __asm__ volatile("hvc #0xea1" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x16)
                     : "memory");
    return (long)x0;
}
#define hcall(nr, a0, a1, a2) hcall5(nr, (u64)(a0), (u64)(a1), (u64)(a2), 0, 0)

static inline long smccc(u64 fid, u64 a1, u64 a2, u64 a3)
{
    register u64 x0 __asm__("x0") = fid;
    register u64 x1 __asm__("x1") = a1;
    register u64 x2 __asm__("x2") = a2;
    register u64 x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (long)x0;
}

#define HYPERVISOR_xen_version 17
#define HYPERVISOR_console_io 18
#define HYPERVISOR_vm_assist 21
#define HYPERVISOR_vcpu_op 24
#define HYPERVISOR_sched_op 29

static inline u64 str_len(const char *s)
{
    u64 n = 0;
    while (s[n])
        n++;
    return n;
}

static inline void puts_(const char *s)
{
    hcall(HYPERVISOR_console_io, 0, str_len(s), s);
}

static inline void put_hex(const char *label, u64 v)
{
    char b[64];
    u64 n = 0;
    while (*label)
        b[n++] = *label++;
    b[n++] = '0';
    b[n++] = 'x';
    int started = 0;
    for (int i = 60; i >= 0; i -= 4) {
        unsigned d = (v >> i) & 15;
        if (d || started || i == 0) {
            b[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
            started = 1;
        }
    }
    b[n++] = '\n';
    hcall(HYPERVISOR_console_io, 0, n, b);
}

static inline void put_dec(const char *label, long v)
{
    char b[64], t[24];
    u64 n = 0, k = 0;
    while (*label)
        b[n++] = *label++;
    u64 u = (u64)v;
    if (v < 0) {
        b[n++] = '-';
        u = (u64)-v;
    }
    do {
        t[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (k)
        b[n++] = t[--k];
    b[n++] = '\n';
    hcall(HYPERVISOR_console_io, 0, n, b);
}

static inline u64 read_cntvct(void)
{
    u64 v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

void guest_shutdown(long reason);
long regs_preserved(u64 nr, u64 a0);
void secondary_entry(void);
void run_user(u64 entry_va, u64 x0, u64 tramp_ttbr1);
extern u64 kpti_kernel_ttbr1;
extern char user_code[];

#endif
