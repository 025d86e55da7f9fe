/* hv/arm/internal.h - shared between the files of hv/arm only. */
#ifndef HV_ARM_INTERNAL_H
#define HV_ARM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/arm/xen_arm.h"
#include "hv/hcall_stats.h"
#include "hv/profile.h"
#include "hv/runstate.h"
#include "isa/arm64/a64.h"
#include "isa/arm64/a64_mmu.h"
#include "mmu/mmu.h"
#include "sim/machine.h"

/* ---- Xen's Arm guest memory map (xen/include/public/arch-arm.h) ---- */
#define GUEST_GICD_BASE 0x03001000ull
#define GUEST_GICD_SIZE 0x00001000ull
#define GUEST_GICC_BASE 0x03002000ull
#define GUEST_GICC_SIZE 0x00002000ull
#define GUEST_PL011_BASE 0x22000000ull
#define GUEST_PL011_SIZE 0x00001000ull
#define GUEST_VPL011_SPI 32
#define GUEST_GNTTAB_BASE 0x38000000ull
#define GUEST_GNTTAB_SIZE 0x01000000ull
#define GUEST_MAGIC_BASE 0x39000000ull
#define GUEST_EVTCHN_PPI 31
#define GUEST_VTIMER_PPI 27

/* The hypervisor's own memory (stage-2 tables, saved vCPU contexts, magic pages, grant
 * frames): a RAM region at PA 960 GiB, inside a 40-bit PA space and outside every IPA range
 * the model gives a guest (RAM bank 0 at 0x40000000, the magic and grant windows). */
#define HV_MEM_BASE 0xF000000000ull
#define HV_MEM_SIZE (64ull << 20)

#define HV_MAX_VCPUS 8
#define HV_MAX_DOMS 4            /* domains in one run (--domain, docs/hv.md) */
#define HV_MAX_ALL_VCPUS 16      /* vCPUs of all domains together */
#define HV_MAX_PCPUS 8
#define HV_NR_IRQS 64          /* SGIs, PPIs and SPIs 32..63 (vPL011 is SPI 32) */

/* Xen error codes (xen/include/public/errno.h). */
#define XEN_EPERM 1
#define XEN_ENOENT 2
#define XEN_EAGAIN 11
#define XEN_ENOMEM 12
#define XEN_EACCES 13
#define XEN_EFAULT 14
#define XEN_EBUSY 16
#define XEN_EEXIST 17
#define XEN_ENXIO 6
#define XEN_EINVAL 22
#define XEN_ENOSYS 38
#define XEN_ESRCH 3
#define XEN_ENOSPC_ 28

struct hv_domain;

/* A runstate area as registered (op 5 / op 14) and as the policy keeps it. */
struct hv_rs_area {
    bool va_set;             /* op 5 handle stored (may be unmapped: Xen never checks) */
    uint64_t va;
    bool cached;             /* arm-vmap / kvm: translation done at registration */
    uint64_t pa[2];          /* host PA of the first byte in page 0 / of page 1 */
    unsigned len0;           /* bytes in the first page */
    bool pa_set;             /* op 14 area (pa profile) */
    uint64_t pa_area;        /* host PA of the op-14 area (never crosses a page) */
};

struct hv_vcpu {
    struct hv_domain *d;
    unsigned id;             /* vcpu_id within the domain */
    unsigned gid;            /* global index (hypercall rows, events) */
    unsigned pcpu;
    struct a64_cpu *cpu;     /* the vCPU's architectural state (EL1/EL0 + EL2 controls) */
    struct a64_mmu_link link;
    struct hv_runstate rs;
    bool online;             /* PSCI: false until CPU_ON (secondaries) / after CPU_OFF */
    bool blocked;            /* WFI / SCHEDOP_block, waiting for an interrupt */
    bool on_runq;
    bool yielded;            /* SCHEDOP_yield: go behind the other runnable vCPUs */
    bool timer_masked_by_xen;/* vtimer_interrupt set CNTV_CTL.IMASK */
    uint64_t ctx_pa;         /* hypervisor memory holding the saved context (cost only) */
    struct hv_rs_area area;
    bool vcpu_info_set;
    uint64_t vcpu_info_pa;
    /* vGIC banked state: SGIs and PPIs (GICv2, ARM IHI0048B §3) */
    uint32_t enable, pending, active;
    uint8_t prio[32];
    uint32_t gicc_ctlr, gicc_pmr;
    uint8_t sgi_src[16];     /* pending SGIs by source vCPU (GICC_IAR.CPUID) */
    int running_irq[8];      /* active-priority stack (acknowledged, not yet EOIed) */
    unsigned nrunning;
};

#define HV_NR_EVTCHN 1024     /* ports modelled (2-level ABI allows 4096 on 64-bit) */
#define HV_NR_HVM_PARAMS 39    /* HVM_NR_PARAMS (public/hvm/params.h) */
#define HV_MAX_GNTTAB_FRAMES 64/* max_grant_frames default */
#define HV_NR_VIRQS 24         /* NR_VIRQS */

enum hv_evtchn_state { ECS_FREE = 0, ECS_UNBOUND = 1, ECS_INTERDOMAIN = 2, ECS_PIRQ = 3,
                       ECS_VIRQ = 4, ECS_IPI = 5 };

struct hv_evtchn {
    uint8_t state;
    bool console;            /* the PV console's interdomain channel to the backend */
    uint16_t remote_dom;
    uint32_t remote_port;
    uint32_t vcpu;           /* notify_vcpu_id */
    uint32_t virq;
};

struct hv_domain {
    struct hv_arm *hv;
    unsigned id;             /* domid (1 for the first domU, as in a dom0less boot) */
    uint64_t ram_ipa, ram_pa, ram_size;
    uint64_t vttbr;
    unsigned vmid;
    struct hv_vcpu *vcpu[HV_MAX_VCPUS];
    unsigned nvcpus;
    uint32_t vm_assist;      /* VMASST bits enabled */
    bool shutdown;
    unsigned shutdown_reason;
    uint64_t dtb_ipa;
    bool confidential;       /* modelled confidential VM: no VA access by the hypervisor */
    bool con_midline;        /* console output of this domain is in the middle of a line */
    char cmdline[512];       /* domains 2..N: /chosen/bootargs */
    uint64_t *st_rs_updates, *st_rs_failures, *st_hcalls; /* hv.d<N>.* */
    /* vGIC distributor (GICv2) */
    uint32_t gicd_ctlr;
    uint32_t spi_enable[1], spi_pending[1], spi_active[1];
    uint8_t spi_prio[32], spi_target[32];
    /* vPL011 transmitter (line buffered like Xen's vpl011 console) */
    char uart_line[256];
    unsigned uart_len;
    uint32_t uart_imsc, uart_cr;
    /* event channels (xen/common/event_channel.c, event_2l.c) */
    struct hv_evtchn evtchn[HV_NR_EVTCHN];
    int virq_port[HV_MAX_VCPUS][HV_NR_VIRQS];
    uint64_t shinfo_pa;      /* struct shared_info (always allocated, mapped on request) */
    uint64_t console_pa;     /* struct xencons_interface at GUEST_MAGIC_BASE */
    uint32_t console_port;
    uint64_t hvm_param[HV_NR_HVM_PARAMS];
    uint64_t gnttab_pa[HV_MAX_GNTTAB_FRAMES];
    unsigned gnttab_frames;  /* frames in use (grown by add_to_physmap) */
    unsigned populated;      /* pages handed out by populate_physmap */
};

/* Console output of a domain, exactly as written; with more than one domain each line is
 * prefixed "(d<N>) " (docs/hv.md). */
void hv_console_write(struct hv_domain *d, const char *s, size_t n);

struct hv_pcpu {
    unsigned id;
    struct mmu *mmu;         /* TLBs, walk caches and data caches of this physical CPU */
    uint64_t now;            /* cycles */
    struct hv_vcpu *curr;    /* NULL: idle */
    struct hv_vcpu *runq[HV_MAX_ALL_VCPUS * 2];
    unsigned nrunq;
    uint64_t slice_end;
};

struct hv_arm {
    struct machine *m;
    const struct hv_profile *prof;
    enum hv_runstate_policy policy;
    struct hv_domain dom[HV_MAX_DOMS]; /* domains 1..ndoms (dom[0] is domain 1) */
    unsigned ndoms;
    struct hv_vcpu *vcpus[HV_MAX_ALL_VCPUS]; /* every vCPU, by gid */
    unsigned nvcpus_all;
    struct hv_pcpu pcpu[HV_MAX_PCPUS];
    unsigned npcpus;
    uint64_t slice_cycles;
    /* With --seed N > 0, each slice ends up to timer_slack later (Xen's timers may fire that
     * late: xen/common/timer.c, timer_slack default 50 us), drawn from a xorshift64 seeded by
     * N; seed 0 keeps every slice exact. This is what varies between seeds of a sweep. */
    uint64_t slack_cycles, slack_rng;
    uint64_t hv_brk;         /* bump allocator in hypervisor memory */
    struct hv_hcall_stats hc;
    struct res_event *events;
    size_t nevents, cap_events;
    char (*event_detail)[96];
    /* counters */
    uint64_t *st_rs_updates, *st_rs_failures, *st_rs_cycles, *st_rs_tlb_misses, *st_rs_walkrefs,
        *st_rs_copies, *st_traps, *st_trap_cycles, *st_ctxsw, *st_ctxsw_cycles, *st_translations,
        *st_xlate_fallback, *st_xlate_failed, *st_mmio, *st_vtimer, *st_wfi, *st_conf_denied;
    /* hv.* counters read to measure one hypercall */
    uint64_t *hv_refs_s1, *hv_refs_s2, *hv_sw_s1, *hv_sw_s2, *hv_dtlb_miss;
    uint64_t translations;   /* guest-memory translations made by copy_*_guest_* */
    uint64_t now;            /* cycles of the event being handled (runstate timestamps) */
    bool stderr_quiet;       /* tests: do not print (XEN) lines */
};

/* ---- domain.c ---- */
uint64_t hv_alloc(struct hv_arm *hv, uint64_t size, uint64_t align);
int hv_domain_build(struct hv_arm *hv, char *err, size_t errlen);
/* Software p2m lookup (Xen p2m_lookup): IPA -> PA with a stage-2 walk on the software-walk
 * port (counted as hv.swwalk.*). write: the page must be writable (p2m_ram_rw). */
int hv_p2m_lookup(struct hv_vcpu *v, uint64_t ipa, bool write, uint64_t *pa);

/* Replace the stage-2 mapping of one 4K page (pa 0: remove it), splitting a block when
 * needed, then flush this VMID's TLB entries on every pCPU (p2m_set_entry + flush). */
int hv_p2m_set_page(struct hv_domain *d, uint64_t ipa, uint64_t pa);

/* One hypercall being handled. */
struct hc {
    struct hv_vcpu *v;
    bool pa;                 /* pa-flag profile: buffers are guest-physical */
    int subop;
    const char *subop_name;  /* string literal */
    int failed_copy;
    unsigned depth;          /* multicall nesting */
};
int hv_hc_from_guest(struct hc *h, void *dst, uint64_t addr, uint64_t len);
int hv_hc_to_guest(struct hc *h, uint64_t addr, const void *src, uint64_t len);
void hv_hc_sub(struct hc *h, int op, const char *name);

/* A buffer argument of a hypercall that accepts pa-flag descriptors (console_io, multicall,
 * grant copy; docs/hv.md "pa-flag encoding"). Without the flag it is a guest VA; with it the
 * low two bits of the address select the descriptor type: 0 a linear guest-physical buffer,
 * 1 a scatter/gather list (xen_ulong_t slot 0 = offset into the first page, then one GFN per
 * page), 2 and 3 reserved. */
struct hv_buf {
    uint64_t addr;           /* VA or IPA of byte 0 (linear), or the IPA of the S/G list */
    bool sg;
    uint64_t sg_off;         /* slot 0 of the list */
};
/* 0, or -XEN_EINVAL for a reserved descriptor type / an S/G offset beyond the page. */
int hv_buf_init(struct hc *h, struct hv_buf *b, uint64_t addr);
/* Copy len bytes at byte offset off of the buffer; -EFAULT (and h->failed_copy) on failure. */
int hv_buf_from(struct hc *h, const struct hv_buf *b, uint64_t off, void *dst, uint64_t len);
int hv_buf_to(struct hc *h, const struct hv_buf *b, uint64_t off, const void *src, uint64_t len);
/* Dispatch one hypercall by number (multicall re-enters here). */
int64_t hv_hc_dispatch(struct hc *h, uint64_t nr, const uint64_t *a);

/* ---- evtchn.c: event channels, PV console, HVM params, grant table, memory_op ---- */
int64_t hv_do_event_channel_op(struct hc *h, const uint64_t *a);
int64_t hv_do_hvm_op(struct hc *h, const uint64_t *a);
int64_t hv_do_grant_table_op(struct hc *h, const uint64_t *a);
int64_t hv_do_memory_op(struct hc *h, const uint64_t *a);
int64_t hv_do_multicall(struct hc *h, const uint64_t *a);
/* SCHEDOP_poll: 1 if one of the ports is pending (return at once), 0 to block, <0 error */
int64_t hv_sched_poll(struct hc *h, uint64_t arg);
int hv_evtchn_init(struct hv_domain *d);
/* evtchn_2l_set_pending; cur is the vCPU whose time the hypervisor work takes. */
void hv_evtchn_set_pending(struct hv_vcpu *cur, struct hv_domain *d, unsigned port);
bool hv_evtchn_upcall_pending(struct hv_vcpu *v);

/* ---- guestcopy.c: every hypervisor access to guest memory ---- */
int hv_copy_to_guest_va(struct hv_vcpu *v, uint64_t va, const void *src, uint64_t len);
int hv_copy_from_guest_va(struct hv_vcpu *v, void *dst, uint64_t va, uint64_t len);
int hv_copy_to_guest_pa(struct hv_vcpu *v, uint64_t ipa, const void *src, uint64_t len);
int hv_copy_from_guest_pa(struct hv_vcpu *v, void *dst, uint64_t ipa, uint64_t len);
/* Translate a guest VA for the hypervisor as Xen's get_page_from_gva does: AT S12E1W/R,
 * then the software walk; prints Xen's message and returns -EFAULT when both fail. */
int hv_gva_to_pa(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa);
/* Hypervisor store/load at a PA it holds mapped (costed through the data caches). */
void hv_write_pa(struct hv_vcpu *v, uint64_t pa, const void *src, uint64_t len);
void hv_read_pa(struct hv_vcpu *v, uint64_t pa, void *dst, uint64_t len);
void hv_charge(struct hv_vcpu *v, uint64_t cycles);
void hv_event(struct hv_arm *hv, struct hv_vcpu *v, const char *kind, const char *detail);

/* ---- vgic.c ---- */
void hv_vgic_inject(struct hv_vcpu *v, unsigned irq);
void hv_vgic_update(struct hv_vcpu *v);       /* recompute HCR_EL2.VI */
/* An enabled interrupt is pending for v (local_events_need_delivery_nomask). */
bool hv_vgic_has_pending(struct hv_vcpu *v);
int hv_vgic_mmio(struct hv_vcpu *v, uint64_t ipa, bool write, unsigned size, uint64_t *val);
int hv_vpl011_mmio(struct hv_vcpu *v, uint64_t off, bool write, unsigned size, uint64_t *val);
void hv_vpl011_flush(struct hv_domain *d);

/* ---- traps.c ---- */
void hv_trap(struct hv_vcpu *v);               /* dispatch cpu->trap */
void hv_inject_undef(struct hv_vcpu *v);
void hv_inject_dabt(struct hv_vcpu *v, uint64_t va);

/* ---- hypercall.c ---- */
/* c0: cycles at the trap; charges cost_vmentry and records the hypercall row. */
void hv_hypercall(struct hv_vcpu *v, uint64_t c0);
void hv_psci(struct hv_vcpu *v);
/* The runstate area update at a context switch (update_runstate_area). */
void hv_update_runstate_area(struct hv_vcpu *v);

/* ---- sched.c ---- */
uint64_t hv_now_ns(struct hv_vcpu *v);
void hv_vcpu_block(struct hv_vcpu *v);
void hv_vcpu_wake(struct hv_vcpu *v);
void hv_vcpu_yield(struct hv_vcpu *v);
void hv_vcpu_up(struct hv_vcpu *v, uint64_t entry, uint64_t context_id);
void hv_vcpu_down(struct hv_vcpu *v);
void hv_domain_shutdown(struct hv_domain *d, unsigned reason);

#endif
