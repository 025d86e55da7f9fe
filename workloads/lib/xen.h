/* workloads/lib/xen.h - the public Xen guest ABI the experiment guests use (numbers, structs).
 * Values from Xen's public headers (xen/include/public/xen.h, vcpu.h, sched.h, version.h,
 * hvm/hvm_op.h, hvm/params.h, event_channel.h, features.h), 4.17 unless noted; see
 * shared/reference/xen-abi.md §2-§3. Nothing here is hvsim-specific. */
#ifndef WL_XEN_H
#define WL_XEN_H

#include <stdint.h>

/* Hypercall numbers (public/xen.h). */
#define __HYPERVISOR_memory_op          12
#define __HYPERVISOR_multicall          13
#define __HYPERVISOR_xen_version        17
#define __HYPERVISOR_console_io         18
#define __HYPERVISOR_grant_table_op     20
#define __HYPERVISOR_vm_assist          21
#define __HYPERVISOR_vcpu_op            24
#define __HYPERVISOR_sched_op           29
#define __HYPERVISOR_event_channel_op   32
#define __HYPERVISOR_hvm_op             34

/* Arm: HVC immediate carrying a Xen hypercall (public/arch-arm.h XEN_HYPERCALL_TAG). */
#define XEN_HYPERCALL_TAG 0xEA1

#define DOMID_SELF 0x7FF0U

/* console_io (public/xen.h). */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/* xen_version (public/version.h). */
#define XENVER_version      0
#define XENVER_extraversion 1
#define XENVER_get_features 6
struct xen_feature_info {
    uint32_t submap_idx;
    uint32_t submap;
};
/* public/features.h */
#define XENFEAT_hvm_callback_vector   8
#define XENFEAT_hvm_safe_pvclock      9
#define XENFEAT_dom0                  11
#define XENFEAT_ARM_SMCCC_supported   14
#define XENFEAT_runstate_phys_area    18  /* 4.18+ */
#define XENFEAT_vcpu_time_phys_area   19  /* 4.18+ */

/* sched_op (public/sched.h). */
#define SCHEDOP_yield    0
#define SCHEDOP_block    1
#define SCHEDOP_shutdown 2
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot   1
#define SHUTDOWN_crash    3
struct sched_shutdown {
    uint32_t reason;
};

/* vm_assist (public/xen.h). */
#define VMASST_CMD_enable  0
#define VMASST_CMD_disable 1
#define VMASST_TYPE_runstate_update_flag 5

/* vcpu_op (public/vcpu.h). */
#define VCPUOP_register_runstate_memory_area 5
#define VCPUOP_register_vcpu_info            10
#define VCPUOP_register_runstate_phys_area   14  /* 4.18+; -EINVAL on Arm (do_vcpu_op) */

#define RUNSTATE_running  0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked  2
#define RUNSTATE_offline  3

/* public/vcpu.h: 48 bytes on arm64 and x86_64 (state @0, state_entry_time @8, time[] @16). */
struct vcpu_runstate_info {
    int32_t state;
    uint32_t pad_;
    uint64_t state_entry_time;
    uint64_t time[4];
};
/* Set in state_entry_time while Xen updates the area (VMASST_TYPE_runstate_update_flag). */
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

/* Both registration ops take this 8-byte union: a VA (op 5) or a guest-physical address (op 14). */
struct vcpu_register_runstate_memory_area {
    uint64_t addr;
};

/* hvm_op (public/hvm/hvm_op.h, params.h). */
#define HVMOP_set_param 0
#define HVMOP_get_param 1
struct xen_hvm_param {
    uint16_t domid;
    uint16_t pad_;
    uint32_t index;
    uint64_t value;
};
#define HVM_PARAM_CONSOLE_PFN    17
#define HVM_PARAM_CONSOLE_EVTCHN 18

/* event_channel_op (public/event_channel.h). */
#define EVTCHNOP_send 4
struct evtchn_send {
    uint32_t port;
};

/* PV console ring (public/io/console.h), 3088 bytes used of the page. */
struct xencons_interface {
    char in[1024];
    char out[2048];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

/* Errno values Xen returns (public/errno.h). */
#define XEN_EPERM   1
#define XEN_ENOENT  2
#define XEN_ENXIO   6
#define XEN_EFAULT  14
#define XEN_EINVAL  22
#define XEN_ENOSYS  38


/* ---- x86 (PVH) additions ---- */

/* vcpu_op, more sub-ops (public/vcpu.h). */
#define VCPUOP_initialise 0
#define VCPUOP_up         1
#define VCPUOP_down       2
#define VCPUOP_is_up      3

/* public/hvm/hvm_vcpu.h: the initial state of an x86 HVM/PVH vCPU (VCPUOP_initialise).
 * 128 bytes: mode, pad, then the union whose 32-bit member (120 bytes) is the larger. */
#define VCPU_HVM_MODE_32B 0
#define VCPU_HVM_MODE_64B 1
struct vcpu_hvm_x86_64 {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t rip, rflags;
    uint64_t cr0, cr3, cr4, efer;
};
struct vcpu_hvm_context {
    uint32_t mode;
    uint32_t pad;
    union {
        uint8_t x86_32[120];
        struct vcpu_hvm_x86_64 x86_64;
    } cpu_regs;
};

/* hvm_op (public/hvm/hvm_op.h): the per-vCPU event-channel upcall vector. */
#define HVMOP_set_evtchn_upcall_vector 23
struct xen_hvm_evtchn_upcall_vector {
    uint32_t vcpu;
    uint8_t vector;
};

/* memory_op (public/memory.h): the guest's e820 map. */
#define XENMEM_memory_map 9
struct xen_memory_map {
    uint32_t nr_entries;
    uint32_t pad_;
    uint64_t buffer;      /* XEN_GUEST_HANDLE(void): struct e820entry[] */
};
struct e820entry {        /* packed: 20 bytes */
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));
#define E820_RAM 1

/* public/arch-x86/hvm/start_info.h: what EBX points to at the PVH entry. */
#define XEN_HVM_START_MAGIC_VALUE 0x336ec578
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr;        /* version 1 */
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_table_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

/* public/arch-x86/cpuid.h: the Xen leaves, found at 0x40000000 + 0x100 * n. */
#define XEN_CPUID_FIRST_LEAF 0x40000000u
#define XEN_CPUID_SIGNATURE_EBX 0x566e6558u   /* "XenV" */
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4du   /* "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566eu   /* "nVMM" */

#endif
