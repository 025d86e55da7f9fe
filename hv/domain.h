/* hv/domain.h - the architecture-neutral part of the modelled Xen hypervisor, shared by the
 * files of hv/, hv/arm/ and hv/x86/ only (not a public API: engines use hv/arm/xen_arm.h and
 * hv/x86/xen_x86.h). It mirrors Xen's own split: xen/common (domains, vCPUs, the scheduler,
 * hypercalls, event channels, grant table, memory_op, guest copies, runstate areas) against
 * xen/arch/{arm,x86} (traps, the p2m / EPT, guest page-table walks, the interrupt
 * controller, the domain builder). The common code reaches the architecture only through
 * struct hv_arch_ops (one table per architecture, hv->ops), as Xen's common code calls
 * arch_* / p2m_* / paging_* functions. docs/hv.md describes both sides. */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/hcall_stats.h"
#include "hv/profile.h"
#include "hv/runstate.h"
#include "mmu/mmu.h"
#include "sim/machine.h"

/* The hypervisor's own memory (second-stage tables, saved vCPU contexts, magic pages, grant
 * frames, shared_info): a RAM region at PA 960 GiB, inside a 40-bit PA space and outside
 * every guest-physical range the model gives a guest. */
#define HV_MEM_BASE 0xF000000000ull
#define HV_MEM_SIZE (64ull << 20)

#define HV_MAX_VCPUS 8
#define HV_MAX_DOMS 4            /* domains in one run (--domain, docs/hv.md) */
#define HV_MAX_ALL_VCPUS 16      /* vCPUs of all domains together */
#define HV_MAX_PCPUS 8
#define HV_NR_IRQS 64          /* Arm: SGIs, PPIs and SPIs 32..63 (vPL011 is SPI 32) */

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

struct hv;
struct hv_domain;
struct hv_vcpu;
struct hc;
struct a64_cpu;
struct x86_cpu;

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
    uint64_t *cycles;        /* the core's cycle counter (hv_charge adds to it) */
    struct hv_runstate rs;
    bool online;             /* false until brought up (PSCI CPU_ON) / after going down */
    bool blocked;            /* WFI / HLT / SCHEDOP_block, waiting for an interrupt */
    bool on_runq;
    bool yielded;            /* SCHEDOP_yield: go behind the other runnable vCPUs */
    uint64_t ctx_pa;         /* hypervisor memory holding the saved context (cost only) */
    struct hv_rs_area area;
    bool vcpu_info_set;
    uint64_t vcpu_info_pa;

    /* ---- arch state (xen/arch/arm: struct arch_vcpu) ---- */
    struct a64_cpu *cpu;     /* the vCPU's architectural state (EL1/EL0 + EL2 controls) */
    struct a64_mmu_link *link;
    bool timer_masked_by_xen;/* vtimer_interrupt set CNTV_CTL.IMASK */
    /* vGIC banked state: SGIs and PPIs (GICv2, ARM IHI0048B §3) */
    uint32_t enable, pending, active;
    uint8_t prio[32];
    uint32_t gicc_ctlr, gicc_pmr;
    uint8_t sgi_src[16];     /* pending SGIs by source vCPU (GICC_IAR.CPUID) */
    int running_irq[8];      /* active-priority stack (acknowledged, not yet EOIed) */
    unsigned nrunning;

    /* ---- arch state (xen/arch/x86: struct hvm_vcpu) ---- */
    struct x86_cpu *xcpu;
    struct hv_x86_vcpu *x86; /* VMCS and the vlapic/upcall state (hv/x86/internal.h) */
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

/* HVM params (public/hvm/params.h) used by the common code */
#define HVM_PARAM_CALLBACK_IRQ 0
#define HVM_PARAM_STORE_PFN 1
#define HVM_PARAM_STORE_EVTCHN 2
#define HVM_PARAM_CONSOLE_PFN 17
#define HVM_PARAM_CONSOLE_EVTCHN 18

struct hv_domain {
    struct hv *hv;
    unsigned id;             /* domid (1 for the first domU, as in a dom0less boot) */
    uint64_t ram_ipa, ram_pa, ram_size; /* guest-physical base, host PA, bytes */
    struct hv_vcpu *vcpu[HV_MAX_VCPUS];
    unsigned nvcpus;
    uint32_t vm_assist;      /* VMASST bits enabled */
    bool shutdown;
    unsigned shutdown_reason;
    char crash_why[128];     /* hv_domain_crash: why (the run's outcome detail) */
    bool confidential;       /* modelled confidential VM: no VA access by the hypervisor */
    bool con_midline;        /* console output of this domain is in the middle of a line */
    char cmdline[512];       /* domains 2..N: /chosen/bootargs */
    uint64_t *st_rs_updates, *st_rs_failures, *st_hcalls; /* hv.d<N>.* */
    /* event channels (xen/common/event_channel.c, event_2l.c) */
    struct hv_evtchn evtchn[HV_NR_EVTCHN];
    int virq_port[HV_MAX_VCPUS][HV_NR_VIRQS];
    uint64_t shinfo_pa;      /* struct shared_info (always allocated, mapped on request) */
    uint64_t console_pa;     /* struct xencons_interface (the console magic page) */
    uint32_t console_port;
    uint64_t hvm_param[HV_NR_HVM_PARAMS];
    uint64_t gnttab_pa[HV_MAX_GNTTAB_FRAMES];
    unsigned gnttab_frames;  /* frames in use (grown by add_to_physmap) */
    uint64_t gnttab_gfn[HV_MAX_GNTTAB_FRAMES]; /* x86: where add_to_physmap put each frame */
    unsigned populated;      /* pages handed out by populate_physmap */

    /* ---- arch state (xen/arch/arm: struct arch_domain) ---- */
    uint64_t vttbr;
    unsigned vmid;
    uint64_t dtb_ipa;
    /* vGIC distributor (GICv2) */
    uint32_t gicd_ctlr;
    uint32_t spi_enable[1], spi_pending[1], spi_active[1];
    uint8_t spi_prio[32], spi_target[32];
    /* vPL011 transmitter (line buffered like Xen's vpl011 console) */
    char uart_line[256];
    unsigned uart_len;
    uint32_t uart_imsc, uart_cr;

    /* ---- arch state (xen/arch/x86: struct hvm_domain) ---- */
    struct hv_x86_domain *x86;
};

struct hv_pcpu {
    unsigned id;
    struct mmu *mmu;         /* TLBs, walk caches and data caches of this physical CPU */
    uint64_t now;            /* cycles */
    struct hv_vcpu *curr;    /* NULL: idle */
    struct hv_vcpu *runq[HV_MAX_ALL_VCPUS * 2];
    unsigned nrunq;
    uint64_t slice_end;
};

/* What the common code asks of the architecture (Xen: arch_* hooks, p2m_*, paging_*). */
struct hv_arch_ops {
    const char *name;        /* "arm64" / "x86_64" (workload images, messages) */
    /* Layout of struct shared_info / vcpu_info (public/xen.h with arch-arm.h / arch-x86):
     * offsets of evtchn_pending[] and evtchn_mask[], XEN_LEGACY_MAX_VCPUS (vcpu_info slots
     * inside shared_info) and sizeof(struct vcpu_info). */
    unsigned shinfo_pending, shinfo_mask, legacy_vcpus, vcpu_info_size;
    const char *xen_caps;    /* XENVER_capabilities (arch_get_xen_caps) */
    uint64_t virt_start;     /* XENVER_platform_parameters (HYPERVISOR_VIRT_START) */
    /* GFN of grant frame 0 in a fixed grant window (Arm GUEST_GNTTAB_BASE), 0 if the frames
     * are where add_to_physmap put them (x86) */
    uint64_t gnttab_window;
    /* XENVER_get_features submap 0 for this guest type under profile p */
    uint32_t (*features0)(const struct hv_profile *p);
    /* Which VCPUOP_* the arch forwards to the common do_vcpu_op (Arm do_arm_vcpu_op, x86
     * hvm_vcpu_op): 0, or the error the arch returns for the others. */
    int (*vcpu_op_check)(const struct hv_profile *p, int cmd);
    /* The VCPUOP_* the arch implements itself (initialise / up / down / is_up on x86) */
    int64_t (*vcpu_op)(struct hc *h, int cmd, struct hv_vcpu *t, uint64_t arg);
    /* Translate a guest VA with the vCPU's live translation state (get_page_from_gva /
     * paging_gva_to_gfn + p2m): host PA, or -EFAULT after Xen's message. */
    int (*gva_to_pa)(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa);
    /* Guest VA -> guest-physical address (KVM's kvm_gva_to_gpa, gpa-cached policy). */
    int (*gva_to_gpa)(struct hv_vcpu *v, uint64_t va, uint64_t *gpa);
    /* Software p2m lookup: guest-physical -> host PA (hv.swwalk.*). */
    int (*p2m_lookup)(struct hv_vcpu *v, uint64_t gpa, bool write, uint64_t *pa);
    /* Replace the p2m entry of one 4K page (pa 0: remove) and flush the TLBs. */
    int (*p2m_set_page)(struct hv_domain *d, uint64_t gpa, uint64_t pa);
    /* arch_evtchn_inject: raise the event-channel upcall on v. */
    void (*evtchn_inject)(struct hv_vcpu *v);
    /* An enabled interrupt is pending (local_events_need_delivery_nomask) */
    bool (*irq_pending)(struct hv_vcpu *v);
    /* The vCPU's timer: cycle it fires (UINT64_MAX none); check it at `now` (inject if due);
     * mask it so an idle pCPU does not spin on a timer a blocked vCPU ignores. */
    uint64_t (*timer_deadline)(const struct hv_vcpu *v);
    void (*timer_check)(struct hv_vcpu *v, uint64_t now);
    void (*timer_mask)(struct hv_vcpu *v);
    /* ctxt_switch_from / ctxt_switch_to (+ timer restore, interrupt state) */
    void (*ctxt_switch_from)(struct hv_vcpu *v);
    void (*ctxt_switch_to)(struct hv_vcpu *v);
    /* Run v until `deadline` cycles or `budget` instructions, handling the traps it takes.
     * Sets v->d->hv->now to the vCPU's cycles before each trap. Returns SIM_OUT_NONE, or an
     * outcome (crash) with m->outcome_detail written. */
    enum sim_outcome (*run)(struct hv_vcpu *v, uint64_t deadline, uint64_t budget);
    uint64_t (*insns)(const struct hv_vcpu *v);
    /* "el0" / "cpl3": the privilege the vCPU was in (runstate failure events) */
    void (*mode_name)(const struct hv_vcpu *v, char *buf, size_t len);
    /* hvm_op sub-ops other than set_param/get_param: -XEN_ENOSYS if none */
    int64_t (*hvm_op)(struct hc *h, const uint64_t *a);
    /* XENMEM_memory_map (arch_memory_op) */
    int64_t (*memory_map)(struct hc *h, const uint64_t *a);
    /* An HVM param is being set (x86: CALLBACK_IRQ selects the upcall vector) */
    void (*hvm_param_set)(struct hv_domain *d, unsigned index, uint64_t val);
    void (*domain_flush)(struct hv_domain *d); /* console buffers at shutdown / run end */
    void (*vcpu_free)(struct hv_vcpu *v);
};

struct hv {
    struct machine *m;
    const struct hv_arch_ops *ops;
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

/* ---- sched.c: the hypervisor instance, scheduler and run loop (xen/common/sched) ---- */
/* Allocate the instance: profile, policy, pCPUs with their MMUs, the common counters. NULL
 * with a message in err. model_arch: the CPU model's architecture the arch needs. */
struct hv *hv_create(struct machine *m, const struct hv_arch_ops *ops, char *err, size_t errlen);
void hv_destroy(struct hv *hv);
/* Run until every domain shuts down, --max-insns, or every vCPU is stuck; fills m. */
int hv_run(struct hv *hv);
uint64_t hv_now_ns(struct hv_vcpu *v);
void hv_vcpu_block(struct hv_vcpu *v);
void hv_vcpu_wake(struct hv_vcpu *v);
void hv_vcpu_yield(struct hv_vcpu *v);
/* The common half of bringing a vCPU up (the arch has reset its registers). */
void hv_vcpu_online(struct hv_vcpu *v);
void hv_vcpu_down(struct hv_vcpu *v);
void hv_domain_shutdown(struct hv_domain *d, unsigned reason);
/* Crash the domain (domain_crash): shutdown reason crash, with the reason on stderr. */
void hv_domain_crash(struct hv_domain *d, const char *why);

/* ---- domain.c: hypervisor memory, console, --domain specs ---- */
uint64_t hv_alloc(struct hv *hv, uint64_t size, uint64_t align);
/* Console output of a domain, exactly as written; with more than one domain each line is
 * prefixed "(d<N>) " (docs/hv.md). */
void hv_console_write(struct hv_domain *d, const char *s, size_t n);
int hv_read_file(const char *path, uint8_t **buf, size_t *len);
/* Parse one --domain SPEC (docs/hv.md "Several domains") for an image of `arch`. */
int hv_parse_domain_spec(const char *spec, const char *arch, uint64_t dflt_mem, char *path,
                         size_t plen, char *cmdline, size_t clen, uint64_t *mem, unsigned *vcpus,
                         char *err, size_t errlen);
/* Allocate vCPU i of d (common fields, global index, pCPU, context save area). */
struct hv_vcpu *hv_vcpu_alloc(struct hv_domain *d, unsigned i);
/* The per-domain counters (only with several domains). */
void hv_domain_counters(struct hv_domain *d);

/* Software p2m lookup (Xen p2m_lookup / get_gfn): guest-physical -> host PA on the
 * software-walk port (counted as hv.swwalk.*). write: the page must be writable. */
static inline int hv_p2m_lookup(struct hv_vcpu *v, uint64_t gpa, bool write, uint64_t *pa)
{
    return v->d->hv->ops->p2m_lookup(v, gpa, write, pa);
}

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

/* ---- hypercall.c ---- */
/* The common part of a hypercall trap (arch code read the number and arguments): c0 =
 * cycles at the trap; the result is returned for the arch to put in x0 / RAX, after which
 * it calls hv_hypercall_done (records the row; charge_entry: charge cost_vmentry here, as
 * on Arm, else the core charges it at VM entry and the row counts it). */
struct hv_hcall_meas {
    uint64_t c0, s1, s2, tlb, tr;
    uint64_t nr;
    struct hc h;
};
int64_t hv_hypercall_begin(struct hv_vcpu *v, uint64_t c0, uint64_t nr, const uint64_t a[5],
                           struct hv_hcall_meas *mm);
void hv_hypercall_done(struct hv_vcpu *v, struct hv_hcall_meas *mm, int64_t ret,
                       bool charge_entry);
/* A hypercall refused before dispatch (x86: CPL != 0, -EPERM): one failed row of its
 * number. extra_cycles: the VM entry still to come (charged by the core). */
void hv_hypercall_refused(struct hv_vcpu *v, uint64_t c0, uint64_t nr, uint64_t extra_cycles);
/* The runstate area update at a context switch (update_runstate_area). */
void hv_update_runstate_area(struct hv_vcpu *v);

/* ---- evtchn.c: event channels, PV console, HVM params, grant table, memory_op ---- */
int64_t hv_do_event_channel_op(struct hc *h, const uint64_t *a);
int64_t hv_do_hvm_op(struct hc *h, const uint64_t *a);
int64_t hv_do_grant_table_op(struct hc *h, const uint64_t *a);
int64_t hv_do_memory_op(struct hc *h, const uint64_t *a);
int64_t hv_do_multicall(struct hc *h, const uint64_t *a);
/* SCHEDOP_poll: 1 if one of the ports is pending (return at once), 0 to block, <0 error */
int64_t hv_sched_poll(struct hc *h, uint64_t arg);
/* Shared info page, console channel (port 1) and the console ring at console_pa. */
int hv_evtchn_init(struct hv_domain *d);
/* evtchn_2l_set_pending; cur is the vCPU whose time the hypervisor work takes. */
void hv_evtchn_set_pending(struct hv_vcpu *cur, struct hv_domain *d, unsigned port);
bool hv_evtchn_upcall_pending(struct hv_vcpu *v);
/* Where v's vcpu_info lives (0: nowhere). */
uint64_t hv_vcpu_info_pa(struct hv_vcpu *v);

/* ---- guestcopy.c: every hypervisor access to guest memory ---- */
int hv_copy_to_guest_va(struct hv_vcpu *v, uint64_t va, const void *src, uint64_t len);
int hv_copy_from_guest_va(struct hv_vcpu *v, void *dst, uint64_t va, uint64_t len);
int hv_copy_to_guest_pa(struct hv_vcpu *v, uint64_t ipa, const void *src, uint64_t len);
int hv_copy_from_guest_pa(struct hv_vcpu *v, void *dst, uint64_t ipa, uint64_t len);
/* Translate a guest VA for the hypervisor (the arch's gva_to_pa after the confidential
 * check): host PA, or -EFAULT. */
int hv_gva_to_pa(struct hv_vcpu *v, uint64_t va, bool write, uint64_t *pa);
/* Hypervisor store/load at a PA it holds mapped (costed through the data caches). */
void hv_write_pa(struct hv_vcpu *v, uint64_t pa, const void *src, uint64_t len);
void hv_read_pa(struct hv_vcpu *v, uint64_t pa, void *dst, uint64_t len);
void hv_charge(struct hv_vcpu *v, uint64_t cycles);
void hv_event(struct hv *hv, struct hv_vcpu *v, const char *kind, const char *detail);
struct mmu *hv_pcpu_mmu(struct hv_vcpu *v);

#endif
