/* tests/isa/x86/test_x86_vmx.c - VMX non-root operation (isa/x86/vmx.h). A small C
 * "hypervisor" builds EPT tables (GPA x -> HPA x + 4 MiB, with holes), guest page tables,
 * a guest GDT/IDT (every handler is HLT, so a handled event ends in a HLT exit at the
 * handler) and a VMCS, runs hand-assembled guest code in non-root operation and checks each
 * VM exit's basic reason and qualification (SDM vol. 3C Appendix C, Tables 28-3/28-5/28-7),
 * event injection, IDT-vectoring information, the cold 2-D walk (24 references for 4x4
 * levels), VPID-tagged TLB entries surviving exits, a paging-off PVH guest under "unrestricted
 * guest" + EPT, VM-entry checks and the VMCS field encodings; then two assembled guests
 * (guests/vmx_pvh.S: PVH entry -> long mode -> CPUID/hypercall page/VMCALL/port 0xE9/EPT
 * populate-on-demand; guests/modes.S: the same end state bare and in non-root operation). */
#include <errno.h>

#include "isa/x86/vmx.h"
#include "mmu/mmu.h"
#include "sim/mem.h"
#include "sim/stats.h"
#include "testutil.h"

#define HOFF 0x400000ull     /* HPA = GPA + HOFF for guest RAM */
#define EPT_PML4 0x100000ull /* EPT tables (host-physical) */
#define IO_A 0x110000ull
#define IO_B 0x111000ull
#define MSRBM 0x112000ull
#define G_PML4 0x1000ull     /* guest page tables (guest-physical) */
#define G_TSS 0x6000ull
#define G_GDT 0x7000ull
#define G_IDT 0x8000ull
#define G_HANDLERS 0x9000ull /* vector v: HLT at G_HANDLERS + 16 v */
#define G_STACK 0x7f000ull
#define G_CODE 0x10000ull
#define G_DATA 0x20000ull
#define HOLE_NP 0x300000ull  /* EPT: not present */
#define HOLE_RO 0x301000ull  /* EPT: read only */
#define HOLE_NX 0x302000ull  /* EPT: read/write, no execute */
#define HOLE_MC 0x303000ull  /* EPT: write without read (misconfiguration) */
#define G_UNMAPPED 0x3ff000ull /* guest PTE not present */

struct env {
    struct sim_mem mem;
    struct sim_stats st;
    struct mmu *mmu;
    struct x86_cpu *c;
    struct x86_vmcs v;
    const struct mmu_cpu_model *model;
    unsigned slot;
};

/* Guest RAM below 1 MiB back to zeros (for the ELF guests, which bring their own tables). */
static void clear_low_guest_ram(struct env *e)
{
    static const uint8_t zero[4096];
    for (uint64_t a = 0; a < 0x100000; a += sizeof(zero))
        sim_mem_write_buf(&e->mem, HOFF + a, zero, sizeof(zero));
}

static void w64(struct env *e, uint64_t hpa, uint64_t v)
{
    sim_mem_write(&e->mem, hpa, 8, v);
}

static uint64_t r64(struct env *e, uint64_t hpa)
{
    uint64_t v = 0;
    sim_mem_read(&e->mem, hpa, 8, &v);
    return v;
}

static void build_ept(struct env *e)
{
    /* 4-level EPT, 4-KiB leaves: R|W|X = 7, memory type WB (6 << 3) in leaves. */
    w64(e, EPT_PML4, (EPT_PML4 + 0x1000) | 7);
    w64(e, EPT_PML4 + 0x1000, (EPT_PML4 + 0x2000) | 7);
    w64(e, EPT_PML4 + 0x2000, (EPT_PML4 + 0x3000) | 7);
    w64(e, EPT_PML4 + 0x2008, (EPT_PML4 + 0x4000) | 7);
    for (uint64_t gpa = 0; gpa < 0x400000; gpa += 0x1000) {
        uint64_t pte = (gpa + HOFF) | 6ull << 3 | 7;
        if (gpa == HOLE_NP)
            pte = 0;
        else if (gpa == HOLE_RO)
            pte = (gpa + HOFF) | 6ull << 3 | 1;
        else if (gpa == HOLE_NX)
            pte = (gpa + HOFF) | 6ull << 3 | 3;
        else if (gpa == HOLE_MC)
            pte = (gpa + HOFF) | 6ull << 3 | 2;
        w64(e, EPT_PML4 + 0x3000 + gpa / 0x1000 * 8, pte);
    }
}

static void build_guest_tables(struct env *e)
{
    /* identity GLA -> GPA for [0, 4 MiB), 4-KiB pages, P|RW|A (| D on leaves) */
    const uint64_t A = 1ull << 5, D = 1ull << 6;
    w64(e, HOFF + G_PML4, (G_PML4 + 0x1000) | 3 | A);
    w64(e, HOFF + G_PML4 + 0x1000, (G_PML4 + 0x2000) | 3 | A);
    w64(e, HOFF + G_PML4 + 0x2000, (G_PML4 + 0x3000) | 3 | A);
    w64(e, HOFF + G_PML4 + 0x2008, (G_PML4 + 0x4000) | 3 | A);
    for (uint64_t a = 0; a < 0x400000; a += 0x1000)
        w64(e, HOFF + G_PML4 + 0x3000 + a / 0x1000 * 8, a == G_UNMAPPED ? 0 : a | 3 | A | D);
    /* GDT: null, 0x08 64-bit code, 0x10 data, 0x18 64-bit TSS (busy) */
    w64(e, HOFF + G_GDT + 0x08, 0x00af9b000000ffffull);
    w64(e, HOFF + G_GDT + 0x10, 0x00cf93000000ffffull);
    w64(e, HOFF + G_GDT + 0x18, 0x00008b0000000067ull | (G_TSS & 0xffffff) << 16);
    /* IDT: 64-bit interrupt gates to G_HANDLERS + 16 v, each a HLT */
    for (uint64_t v = 0; v < 256; v++) {
        uint64_t off = G_HANDLERS + 16 * v;
        w64(e, HOFF + G_IDT + 16 * v, (off & 0xffff) | 0x08ull << 16 | 0x8eull << 40 |
                                          ((off >> 16) & 0xffff) << 48);
        w64(e, HOFF + G_IDT + 16 * v + 8, off >> 32);
        sim_mem_write(&e->mem, HOFF + off, 1, 0xf4);
    }
}

static void reset_guest(struct env *e)
{
    x86_vmcs_guest_long64(&e->v, G_CODE, G_PML4);
    e->v.guest.rsp = G_STACK;
    e->v.guest.gdtr_base = G_GDT;
    e->v.guest.gdtr_limit = 0x27;
    e->v.guest.idtr_base = G_IDT;
    e->v.guest.idtr_limit = 0xfff;
    e->v.guest.seg[X86_SEG_TR].base = G_TSS;
    e->v.ctl.entry_intr_info = 0;
}

static void env_init(struct env *e, const char *pwc)
{
    char err[128];
    memset(e, 0, sizeof(*e));
    sim_mem_init(&e->mem);
    sim_stats_init(&e->st);
    CHECK_EQ(sim_mem_add_ram(&e->mem, "ram", 0, 16u << 20), 0);
    static struct mmu_cpu_model cm;
    cm = *mmu_cpu_model_find("skylake");
    if (pwc)
        CHECK_EQ(mmu_cpu_model_override(&cm, "pwc", pwc, err, sizeof(err)), 0);
    e->model = &cm;
    e->mmu = mmu_create(&cm, &e->mem, &e->st, "");
    e->c = x86_cpu_create(&e->mem, &e->st, X86_FEAT_ALL, err, sizeof(err));
    CHECK(e->mmu && e->c);
    e->c->mmu = e->mmu;
    x86_set_cost_model(e->c, &cm);
    build_ept(e);
    build_guest_tables(e);
    CHECK_EQ(x86_vmcs_init(&e->v, &e->st, &cm), 0);
    e->v.ctl.proc = X86_PROC_HLT_EXIT | X86_PROC_SECONDARY;
    e->v.ctl.proc2 = X86_PROC2_EPT | X86_PROC2_VPID;
    e->v.ctl.vpid = 1;
    e->v.ctl.eptp = EPT_PML4 | MMU_X86_EPTP_WB | MMU_X86_EPTP_WALK4;
    e->v.ctl.exit = X86_EXIT_HOST_64 | X86_EXIT_ACK_INTR | X86_EXIT_SAVE_EFER;
    e->v.ctl.io_bitmap_a = IO_A;
    e->v.ctl.io_bitmap_b = IO_B;
    e->v.ctl.msr_bitmap = MSRBM;
    reset_guest(e);
    e->c->vmx = &e->v;
}

static void env_fini(struct env *e)
{
    x86_cpu_destroy(e->c);
    mmu_destroy(e->mmu);
    sim_stats_destroy(&e->st);
    sim_mem_destroy(&e->mem);
}

/* Put code in a fresh slot (guest-linear = guest-physical), enter at it and run. */
static uint64_t place(struct env *e, const uint8_t *code, unsigned n)
{
    uint64_t gla = G_CODE + 0x100ull * e->slot++;
    sim_mem_write_buf(&e->mem, HOFF + gla, code, n);
    e->v.guest.rip = gla;
    return gla;
}

static enum x86_stop enter_run(struct env *e)
{
    int rc = x86_vmentry(e->c);
    CHECK_EQ(rc, 0);
    if (rc)
        return X86_STOP_NONE;
    return x86_run(e->c, 1000);
}

static enum x86_stop run_code(struct env *e, const uint8_t *code, unsigned n, uint64_t *gla)
{
    reset_guest(e);
    uint64_t a = place(e, code, n);
    if (gla)
        *gla = a;
    return enter_run(e);
}

#define RUN(e, gla, ...)                                                      \
    do {                                                                      \
        static const uint8_t code_[] = {__VA_ARGS__};                         \
        CHECK_EQ(run_code((e), code_, sizeof(code_), (gla)), X86_STOP_VMEXIT); \
    } while (0)

/* The guest stopped without a VM exit (HLT without HLT exiting, budget): take it back the
 * way a host timer interrupt does (external-interrupt exiting). */
static void force_exit(struct env *e)
{
    uint32_t pin = e->v.ctl.pin;
    e->v.ctl.pin |= X86_PIN_EXTINT_EXIT;
    x86_vmx_ext_interrupt(e->c, 0xf0);
    CHECK_EQ(x86_run(e->c, 0), X86_STOP_VMEXIT);
    CHECK_EQ(e->v.exit.reason, X86_VMX_EXIT_EXTINT);
    e->v.ctl.pin = pin;
}

/* The hypervisor's "skip the instruction and resume". */
static enum x86_stop resume_next(struct env *e)
{
    e->v.guest.rip += e->v.exit.insn_len;
    return enter_run(e);
}

static void test_basic_exits(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    uint64_t at;

    /* VMCALL (always), then the hypervisor resumes past it; HLT exiting next. */
    RUN(e, &at, 0x0f, 0x01, 0xc1, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_VMCALL);
    CHECK_EQ(v->exit.insn_len, 3);
    CHECK_EQ(v->guest.rip, at);
    e->c->gpr[X86_RAX] = 42; /* hypercall return value */
    CHECK_EQ(resume_next(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.rip, at + 3);
    CHECK_EQ(v->exit.insn_len, 1);
    CHECK_EQ(e->c->gpr[X86_RAX], 42);

    /* CPUID always exits; registers untouched. */
    e->c->gpr[X86_RAX] = 0x40000000;
    RUN(e, &at, 0x0f, 0xa2);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_CPUID);
    CHECK_EQ(v->exit.insn_len, 2);
    CHECK_EQ(e->c->gpr[X86_RAX], 0x40000000);
    CHECK_EQ(sim_stats_get(&e->st, "hv.vmexit.cpuid"), 1);

    /* Without HLT exiting, HLT with IF = 0 halts the core as usual. */
    v->ctl.proc &= ~X86_PROC_HLT_EXIT;
    CHECK_EQ(run_code(e, (const uint8_t[]){0xf4}, 1, NULL), X86_STOP_HLT);
    CHECK_EQ(x86_vmentry(e->c), -EBUSY); /* still in the guest */
    force_exit(e);
    v->ctl.proc |= X86_PROC_HLT_EXIT;

    /* RDTSC exiting; then TSC offsetting without exiting. */
    v->ctl.proc |= X86_PROC_RDTSC_EXIT;
    RUN(e, NULL, 0x0f, 0x31);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_RDTSC);
    v->ctl.proc &= ~X86_PROC_RDTSC_EXIT;
    v->ctl.proc |= X86_PROC_TSC_OFFSET;
    v->ctl.tsc_offset = 1ull << 40;
    RUN(e, NULL, 0x0f, 0x31, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK(e->c->gpr[X86_RDX] >= 0x100);
    v->ctl.proc &= ~X86_PROC_TSC_OFFSET;

    /* WBINVD exiting; INVD always exits */
    v->ctl.proc2 |= X86_PROC2_WBINVD_EXIT;
    RUN(e, NULL, 0x0f, 0x09);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_WBINVD);
    v->ctl.proc2 &= ~X86_PROC2_WBINVD_EXIT;
    v->ctl.proc2 |= X86_PROC2_RDRAND_EXIT;
    RUN(e, NULL, 0x48, 0x0f, 0xc7, 0xf0); /* rdrand rax */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_RDRAND);
    v->ctl.proc2 &= ~X86_PROC2_RDRAND_EXIT;
    v->ctl.proc |= X86_PROC_PAUSE_EXIT;
    RUN(e, NULL, 0xf3, 0x90);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_PAUSE);
    v->ctl.proc &= ~X86_PROC_PAUSE_EXIT;
    RUN(e, NULL, 0x0f, 0x08);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_INVD);
    /* RDTSCP enabled: exits with RDTSC exiting (reason 51), executes otherwise */
    v->ctl.proc2 |= X86_PROC2_RDTSCP;
    v->ctl.proc |= X86_PROC_RDTSC_EXIT;
    RUN(e, NULL, 0x0f, 0x01, 0xf9);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_RDTSCP);
    CHECK_EQ(v->exit.insn_len, 3);
    v->ctl.proc &= ~X86_PROC_RDTSC_EXIT;
    RUN(e, NULL, 0x0f, 0x01, 0xf9, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    v->ctl.proc2 &= ~X86_PROC2_RDTSCP;
    /* INVPCID enabled + INVLPG exiting: reason 58, qualification = displacement */
    v->ctl.proc2 |= X86_PROC2_INVPCID;
    v->ctl.proc |= X86_PROC_INVLPG_EXIT;
    e->c->gpr[X86_RBX] = G_DATA;
    RUN(e, NULL, 0x66, 0x0f, 0x38, 0x82, 0x43, 0x20); /* invpcid rax, [rbx+0x20] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_INVPCID);
    CHECK_EQ(v->exit.qual, 0x20);
    CHECK_EQ((v->exit.insn_info >> 23) & 15, X86_RBX);
    v->ctl.proc &= ~X86_PROC_INVLPG_EXIT;
    v->ctl.proc2 &= ~X86_PROC2_INVPCID;
    /* RDTSCP without "enable RDTSCP": #UD (#UD in the exception bitmap to see it). */
    v->ctl.exception_bitmap = 1u << X86_EXC_UD;
    RUN(e, NULL, 0x0f, 0x01, 0xf9);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXCEPTION);
    CHECK_EQ(v->exit.intr_info, X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_UD));
    v->ctl.exception_bitmap = 0;
}

static void test_io_msr(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    /* Unconditional I/O exiting: OUT imm8 (Table 28-5: port 31:16, size-1, imm bit 6). */
    v->ctl.proc |= X86_PROC_UNCOND_IO_EXIT;
    RUN(e, NULL, 0xe6, 0x80);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_IO);
    CHECK_EQ(v->exit.qual, X86_QIO(0x80, 1, X86_QIO_IMM));
    CHECK_EQ(v->exit.qual, 0x800040);
    CHECK_EQ(v->exit.insn_len, 2);
    /* I/O bitmaps win over unconditional exiting: port 0x1234 (word) is set in bitmap A,
     * 0x3f8 is not (executes: the bus floats high), 0x9000 via bitmap B. */
    v->ctl.proc |= X86_PROC_IO_BITMAPS;
    sim_mem_write(&e->mem, IO_A + 0x1235 / 8, 1, 1u << (0x1235 % 8));
    e->c->gpr[X86_RDX] = 0x1234;
    RUN(e, NULL, 0x66, 0xed);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_IO);
    CHECK_EQ(v->exit.qual, X86_QIO(0x1234, 2, X86_QIO_IN));
    CHECK_EQ(v->exit.qual, 0x12340009);
    e->c->gpr[X86_RDX] = 0x3f8;
    e->c->gpr[X86_RAX] = 0;
    RUN(e, NULL, 0xec, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(e->c->gpr[X86_RAX] & 0xff, 0xff);
    sim_mem_write(&e->mem, IO_B + (0x9000 - 0x8000) / 8, 1, 1);
    e->c->gpr[X86_RDX] = 0x9000;
    RUN(e, NULL, 0xee); /* out dx, al */
    CHECK_EQ(v->exit.qual, X86_QIO(0x9000, 1, 0));
    /* REP OUTSB through bitmap B: string, REP, DX operand; guest-linear address = DS:RSI;
     * instruction information: address size 64 (2 << 7), segment DS (3 << 15). */
    e->c->gpr[X86_RSI] = G_DATA + 5;
    e->c->gpr[X86_RCX] = 3;
    RUN(e, NULL, 0xf3, 0x6e);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_IO);
    CHECK_EQ(v->exit.qual, X86_QIO(0x9000, 1, X86_QIO_STRING | X86_QIO_REP));
    CHECK_EQ(v->exit.guest_linear, G_DATA + 5);
    CHECK_EQ(v->exit.insn_info, 2u << 7 | 3u << 15);
    CHECK_EQ(e->c->gpr[X86_RCX], 3); /* nothing done yet */
    /* INSD from port 0x8000 (bitmap B bit 0 clear) runs; from 0x9000 it exits */
    e->c->gpr[X86_RDX] = 0x8000;
    e->c->gpr[X86_RDI] = G_DATA;
    RUN(e, NULL, 0x6d, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(e->c->gpr[X86_RDI], G_DATA + 4);
    e->c->gpr[X86_RDX] = 0x9000;
    RUN(e, NULL, 0x6d);
    CHECK_EQ(v->exit.qual, X86_QIO(0x9000, 4, X86_QIO_STRING | X86_QIO_IN));
    CHECK_EQ(v->exit.guest_linear, G_DATA + 4);
    v->ctl.proc &= ~(X86_PROC_IO_BITMAPS | X86_PROC_UNCOND_IO_EXIT);

    /* MSRs: without bitmaps every RDMSR exits; with them per bit (low/high, read/write). */
    e->c->gpr[X86_RCX] = 0x1b;
    RUN(e, NULL, 0x0f, 0x32);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_RDMSR);
    v->ctl.proc |= X86_PROC_MSR_BITMAPS;
    sim_mem_write(&e->mem, MSRBM + 0x10 / 8, 1, 1u << (0x10 % 8));          /* read TSC */
    sim_mem_write(&e->mem, MSRBM + 3072 + 0x100 / 8, 1, 1u << (0x100 % 8)); /* write FS_BASE */
    e->c->gpr[X86_RCX] = 0x10;
    RUN(e, NULL, 0x0f, 0x32);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_RDMSR);
    CHECK_EQ(v->exit.insn_len, 2);
    e->c->gpr[X86_RCX] = 0xc0000100;
    RUN(e, NULL, 0x0f, 0x30);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_WRMSR);
    e->c->gpr[X86_RCX] = 0xc0000100; /* reading FS_BASE is not intercepted */
    e->c->gpr[X86_RAX] = 0xdead;
    RUN(e, NULL, 0x0f, 0x32, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(e->c->gpr[X86_RAX], 0);
    e->c->gpr[X86_RCX] = 0x40000000; /* outside both ranges: always exits */
    RUN(e, NULL, 0x0f, 0x30);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_WRMSR);
    v->ctl.proc &= ~X86_PROC_MSR_BITMAPS;
}

static void test_cr(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    /* CR3-load exiting (Table 28-3: CR 3:0, type 5:4, GPR 11:8), CR3-target values. */
    v->ctl.proc |= X86_PROC_CR3_LOAD_EXIT | X86_PROC_CR3_STORE_EXIT;
    e->c->gpr[X86_RAX] = 0x5000;
    RUN(e, NULL, 0x0f, 0x22, 0xd8); /* mov cr3, rax */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_CR);
    CHECK_EQ(v->exit.qual, X86_QCR(3, X86_QCR_MOV_TO, X86_RAX));
    CHECK_EQ(v->exit.qual, 3);
    RUN(e, NULL, 0x0f, 0x20, 0xdb); /* mov rbx, cr3 */
    CHECK_EQ(v->exit.qual, 0x313);
    v->ctl.proc &= ~X86_PROC_CR3_STORE_EXIT;
    v->ctl.cr3_target_count = 1;
    v->ctl.cr3_target[0] = G_PML4;
    e->c->gpr[X86_RAX] = G_PML4;
    RUN(e, NULL, 0x0f, 0x22, 0xd8, 0xf4); /* a CR3-target value: no exit */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.cr3, G_PML4);
    v->ctl.proc &= ~X86_PROC_CR3_LOAD_EXIT;
    v->ctl.cr3_target_count = 0;

    /* CR0 guest/host mask: NE is host-owned with shadow 0. Writing NE = 0 matches the
     * shadow (no exit, real NE stays 1); reading returns the shadow; NE = 1 exits. */
    uint64_t cr0 = v->guest.cr0 & ~(1ull << 5);
    e->c->gpr[X86_RAX] = cr0;
    RUN(e, NULL, 0x0f, 0x22, 0xc0, 0x0f, 0x20, 0xc3, 0xf4); /* mov cr0,rax; mov rbx,cr0; hlt */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.cr0 & (1ull << 5), 1ull << 5);
    CHECK_EQ(e->c->gpr[X86_RBX], cr0);
    CHECK_EQ(x86_vmx_guest_cr0(v), cr0);
    e->c->gpr[X86_RAX] = cr0 | (1ull << 5);
    RUN(e, NULL, 0x0f, 0x22, 0xc0);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_CR);
    CHECK_EQ(v->exit.qual, 0);
    /* CR4.VMXE is host-owned (shadow 0): the guest reads 0, setting it exits. */
    RUN(e, NULL, 0x0f, 0x20, 0xe1, 0xf4); /* mov rcx, cr4 */
    CHECK_EQ(e->c->gpr[X86_RCX] & (1ull << 13), 0);
    e->c->gpr[X86_RDX] = e->c->gpr[X86_RCX] | (1ull << 13);
    RUN(e, NULL, 0x0f, 0x22, 0xe2); /* mov cr4, rdx */
    CHECK_EQ(v->exit.qual, X86_QCR(4, X86_QCR_MOV_TO, X86_RDX));
    /* writing CR4 back as read (VMXE clear) neither exits nor faults; VMXE stays set */
    uint64_t at;
    RUN(e, &at, 0x0f, 0x20, 0xe1, 0x48, 0x83, 0xc9, 0x10, 0x0f, 0x22, 0xe1, 0xf4); /* |= PSE */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.rip, at + 10); /* the HLT, not the #GP handler */
    CHECK_EQ(v->guest.cr4 & (1ull << 13 | 1ull << 4), 1ull << 13 | 1ull << 4);
    CHECK_EQ(x86_vmx_guest_cr4(v) & (1ull << 13), 0);
    /* CR0.TS host-owned: CLTS exits when the shadow has TS; LMSW setting TS exits
     * (Table 28-3: type 3, source data in 31:16). */
    v->ctl.cr0_mask |= 8;
    reset_guest(e); /* (the preset rewrites the shadows) */
    place(e, (const uint8_t[]){0x0f, 0x06}, 2);
    v->ctl.cr0_shadow |= 8;
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_CR);
    CHECK_EQ(v->exit.qual, X86_QCR(0, X86_QCR_CLTS, 0));
    v->ctl.cr0_shadow &= ~8ull;
    reset_guest(e);
    v->guest.cr0 |= 8;
    place(e, (const uint8_t[]){0x0f, 0x06, 0xf4}, 3); /* shadow TS = 0: no exit, TS kept */
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.cr0 & 8, 8);
    e->c->gpr[X86_RAX] = 0x3b; /* PE MP TS | ET NE */
    RUN(e, NULL, 0x0f, 0x01, 0xf0); /* lmsw ax */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_CR);
    CHECK_EQ(v->exit.qual, X86_QCR(0, X86_QCR_LMSW, 0) | 0x3bull << 16);
    /* TS host-owned, shadow 0, real TS = 1: LMSW without TS matches the shadow, does not
     * exit and leaves the real TS set; SMSW reads the shadow (TS and NE clear). */
    reset_guest(e);
    place(e, (const uint8_t[]){0x0f, 0x01, 0xf0, 0x0f, 0x01, 0xe3, 0xf4}, 7); /* lmsw ax; smsw ebx */
    v->guest.cr0 |= 8;
    e->c->gpr[X86_RAX] = 0x13; /* PE MP ET */
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.cr0 & 0xf, 0xb); /* PE MP from the source, TS kept */
    CHECK_EQ(e->c->gpr[X86_RBX] & 0x3f, 0x13); /* PE MP ET: no TS, no NE */
    v->ctl.cr0_mask &= ~8ull;
    /* CR8 store exiting */
    v->ctl.proc |= X86_PROC_CR8_STORE_EXIT;
    RUN(e, NULL, 0x44, 0x0f, 0x20, 0xc0); /* mov rax, cr8 */
    CHECK_EQ(v->exit.qual, X86_QCR(8, X86_QCR_MOV_FROM, X86_RAX));
    v->ctl.proc &= ~X86_PROC_CR8_STORE_EXIT;
    /* INVLPG exiting: qualification = the linear address */
    v->ctl.proc |= X86_PROC_INVLPG_EXIT;
    e->c->gpr[X86_RBX] = 0x123000;
    RUN(e, NULL, 0x0f, 0x01, 0x7b, 0x08); /* invlpg [rbx+8] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_INVLPG);
    CHECK_EQ(v->exit.qual, 0x123008);
    CHECK_EQ(v->exit.insn_len, 4);
    v->ctl.proc &= ~X86_PROC_INVLPG_EXIT;
    /* MOV DR exiting: DR7 <- RSI: DR 2:0, direction 4 (0 = to DR), GPR 11:8 */
    v->ctl.proc |= X86_PROC_MOV_DR_EXIT;
    RUN(e, NULL, 0x0f, 0x23, 0xfe);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_DR);
    CHECK_EQ(v->exit.qual, 7 | (uint64_t)X86_RSI << 8);
    v->ctl.proc &= ~X86_PROC_MOV_DR_EXIT;
}

static void test_exceptions(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    /* #PF in the bitmap with PFEC mask/match = W: a read fault (PFEC 0) goes to the guest
     * (CR2 written, handler 14 runs), a write fault (PFEC 2) exits (CR2 untouched). */
    v->ctl.exception_bitmap = 1u << X86_EXC_PF;
    v->ctl.pf_ec_mask = MMU_X86_PF_W;
    v->ctl.pf_ec_match = MMU_X86_PF_W;
    e->c->cr2 = 0x1111;
    RUN(e, NULL, 0x48, 0x8b, 0x04, 0x25, 0x00, 0xf0, 0x3f, 0x00); /* mov rax, [0x3ff000] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.rip, G_HANDLERS + 16 * X86_EXC_PF);
    CHECK_EQ(e->c->cr2, G_UNMAPPED);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp), 0); /* error code: not present, read, supervisor */
    e->c->cr2 = 0x1111;
    uint64_t at;
    RUN(e, &at, 0x48, 0x89, 0x04, 0x25, 0x08, 0xf0, 0x3f, 0x00); /* mov [0x3ff008], rax */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXCEPTION);
    CHECK_EQ(v->exit.intr_info, X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_PF) | X86_INTR_HAS_ERROR);
    CHECK_EQ(v->exit.intr_info, 0x80000b0e);
    CHECK_EQ(v->exit.intr_error, MMU_X86_PF_W);
    CHECK_EQ(v->exit.qual, G_UNMAPPED + 8);
    CHECK_EQ(v->guest.rip, at);
    CHECK_EQ(e->c->cr2, 0x1111);
    /* Bit 14 clear inverts the rule: now the read fault exits and the write does not. */
    v->ctl.exception_bitmap = 0;
    RUN(e, NULL, 0x48, 0x8b, 0x04, 0x25, 0x00, 0xf0, 0x3f, 0x00);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXCEPTION);
    CHECK_EQ(v->exit.intr_error, 0);
    v->ctl.pf_ec_mask = v->ctl.pf_ec_match = 0;

    /* #UD (UD2) in the bitmap; INT3 as a software exception with its length. */
    v->ctl.exception_bitmap = 1u << X86_EXC_UD | 1u << X86_EXC_BP;
    RUN(e, &at, 0x0f, 0x0b);
    CHECK_EQ(v->exit.intr_info, 0x80000306);
    CHECK_EQ(v->guest.rip, at);
    RUN(e, &at, 0xcc);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXCEPTION);
    CHECK_EQ(v->exit.intr_info, X86_INTR_INFO(X86_INTR_SWEXC, X86_EXC_BP));
    CHECK_EQ(v->exit.insn_len, 1);
    CHECK_EQ(v->guest.rip, at);
    v->ctl.exception_bitmap = 0;
    RUN(e, &at, 0xcc); /* not intercepted: delivered, handler 3 halts */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.rip, G_HANDLERS + 16 * X86_EXC_BP);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp), at + 1);

    /* #PF whose delivery faults (IDT on an unmapped page) -> #DF; with #DF in the bitmap
     * that exits (IDT-vectoring = the #PF), without it the #DF delivery faults too and the
     * guest shuts down (triple fault, VM exit 2). */
    reset_guest(e);
    v->guest.idtr_base = G_UNMAPPED;
    v->ctl.exception_bitmap = 1u << X86_EXC_DF;
    at = place(e, (const uint8_t[]){0x48, 0x8b, 0x04, 0x25, 0x00, 0xf0, 0x3f, 0x00}, 8);
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXCEPTION);
    CHECK_EQ(v->exit.intr_info, 0x80000b08);
    CHECK_EQ(v->exit.intr_error, 0);
    CHECK_EQ(v->exit.idt_info, 0x80000b0e);
    CHECK_EQ(v->guest.rip, at);
    reset_guest(e);
    v->guest.idtr_base = G_UNMAPPED;
    v->ctl.exception_bitmap = 0;
    place(e, (const uint8_t[]){0x48, 0x8b, 0x04, 0x25, 0x00, 0xf0, 0x3f, 0x00}, 8);
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_TRIPLE);

    /* Triple fault: no usable IDT -> #UD -> #GP -> #DF -> shutdown = VM exit 2. */
    reset_guest(e);
    v->guest.idtr_limit = 0;
    place(e, (const uint8_t[]){0x0f, 0x0b}, 2);
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_TRIPLE);
}

static void test_ept(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    const uint32_t gla = MMU_X86_EQ_GLA_VALID | MMU_X86_EQ_GLA_XLATE | MMU_X86_EQ_GLA_W;
    /* read of a GPA with no EPT entry: read bit, no EPT permissions */
    RUN(e, NULL, 0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x30, 0x00); /* mov rax, [0x300010] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_VIOLATION);
    CHECK_EQ(v->exit.qual, MMU_X86_EQ_READ | gla);
    CHECK_EQ(v->exit.guest_phys, HOLE_NP + 0x10);
    CHECK_EQ(v->exit.guest_linear, HOLE_NP + 0x10);
    CHECK_EQ(v->exit.insn_len, 0);
    /* write to a read-only GPA: write bit, R permission */
    RUN(e, NULL, 0x48, 0x89, 0x04, 0x25, 0x08, 0x10, 0x30, 0x00); /* mov [0x301008], rax */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_VIOLATION);
    CHECK_EQ(v->exit.qual, MMU_X86_EQ_WRITE | MMU_X86_EQ_R | gla);
    CHECK_EQ(v->exit.guest_phys, HOLE_RO + 8);
    /* reading it is fine */
    RUN(e, NULL, 0x48, 0x8b, 0x04, 0x25, 0x08, 0x10, 0x30, 0x00, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    /* fetch from an RW, non-executable GPA */
    RUN(e, NULL, 0x48, 0xc7, 0xc0, 0x00, 0x20, 0x30, 0x00, 0xff, 0xe0); /* mov rax,..; jmp rax */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_VIOLATION);
    CHECK_EQ(v->exit.qual, MMU_X86_EQ_FETCH | MMU_X86_EQ_R | MMU_X86_EQ_W | gla);
    CHECK_EQ(v->exit.guest_phys, HOLE_NX);
    CHECK_EQ(v->guest.rip, HOLE_NX);
    /* EPT misconfiguration (W without R) */
    RUN(e, NULL, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x30, 0x30, 0x00);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_MISCONFIG);
    CHECK_EQ(v->exit.guest_phys, HOLE_MC);
    CHECK_EQ(sim_stats_get(&e->st, "hv.vmexit.ept_misconfig"), 1);
    /* the guest's own page-walk reference hits the hole: qualification bit 8 clear */
    w64(e, HOFF + G_PML4 + 8, HOLE_NP | 3); /* PML4[1] -> PDPT at an unmapped GPA */
    RUN(e, NULL, 0x48, 0xb8, 0, 0, 0, 0, 0x80, 0, 0, 0, /* mov rax, 0x8000000000 */
        0x48, 0x8b, 0x00);                              /* mov rax, [rax] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_VIOLATION);
    CHECK_EQ(v->exit.qual & (MMU_X86_EQ_GLA_VALID | MMU_X86_EQ_GLA_XLATE), MMU_X86_EQ_GLA_VALID);
    CHECK_EQ(v->exit.guest_phys, HOLE_NP);
    CHECK_EQ(v->exit.guest_linear, 0x8000000000ull);
    w64(e, HOFF + G_PML4 + 8, 0);
}

static void test_interrupts(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    uint64_t at;
    /* Interrupt window: IF = 0; STI; NOP; HLT. STI blocks for one instruction, so the exit
     * comes before HLT (RIP = the HLT). */
    v->ctl.proc |= X86_PROC_INTR_WINDOW;
    RUN(e, &at, 0xfb, 0x90, 0xf4);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_INTR_WINDOW);
    CHECK_EQ(v->guest.rip, at + 2);
    CHECK(v->guest.rflags & X86_IF);
    v->ctl.proc &= ~X86_PROC_INTR_WINDOW;

    /* External interrupt exiting with acknowledge-on-exit: exit before any instruction. */
    v->ctl.pin |= X86_PIN_EXTINT_EXIT;
    reset_guest(e);
    at = place(e, (const uint8_t[]){0x90, 0xf4}, 2);
    CHECK_EQ(x86_vmentry(e->c), 0);
    x86_vmx_ext_interrupt(e->c, 0x30);
    CHECK_EQ(x86_run(e->c, 100), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXTINT);
    CHECK_EQ(v->exit.intr_info, 0x80000030);
    CHECK_EQ(v->guest.rip, at);
    v->ctl.pin &= ~X86_PIN_EXTINT_EXIT;

    /* Preempting a guest that ran out of budget: entering again is refused until an exit;
     * a host interrupt with x86_run(c, 0) forces one before the next instruction. */
    v->ctl.pin |= X86_PIN_EXTINT_EXIT;
    reset_guest(e);
    at = place(e, (const uint8_t[]){0x90, 0x90, 0x90, 0xf4}, 4);
    CHECK_EQ(x86_vmentry(e->c), 0);
    CHECK_EQ(x86_run(e->c, 2), X86_STOP_MAX_INSNS);
    CHECK_EQ(x86_vmentry(e->c), -EBUSY);
    x86_vmx_ext_interrupt(e->c, 0xf0);
    CHECK_EQ(x86_run(e->c, 0), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXTINT);
    CHECK_EQ(v->guest.rip, at + 2);
    CHECK_EQ(resume_next(e), X86_STOP_VMEXIT); /* insn_len 0: resumes at the third NOP */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.rip, at + 3);
    v->ctl.pin &= ~X86_PIN_EXTINT_EXIT;

    /* Without exiting it is delivered through the guest IDT when IF = 1. */
    reset_guest(e);
    v->guest.rflags |= X86_IF;
    at = place(e, (const uint8_t[]){0x90, 0xf4}, 2);
    CHECK_EQ(x86_vmentry(e->c), 0);
    x86_vmx_ext_interrupt(e->c, 0x31);
    CHECK_EQ(x86_run(e->c, 100), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.rip, G_HANDLERS + 16 * 0x31);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp), at);

    /* A guest halted without HLT exiting (IF = 1) is woken by the interrupt. */
    v->ctl.proc &= ~X86_PROC_HLT_EXIT;
    reset_guest(e);
    v->guest.rflags |= X86_IF;
    at = place(e, (const uint8_t[]){0xf4, 0x90}, 2);
    CHECK_EQ(enter_run(e), X86_STOP_HLT_IF);
    v->ctl.proc |= X86_PROC_HLT_EXIT;
    x86_vmx_ext_interrupt(e->c, 0x32);
    CHECK_EQ(x86_run(e->c, 100), X86_STOP_VMEXIT);
    CHECK_EQ(v->guest.rip, G_HANDLERS + 16 * 0x32);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp), at + 1);

    /* Event injection: #GP with error code into the guest IDT. */
    reset_guest(e);
    at = place(e, (const uint8_t[]){0xf4}, 1);
    v->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_GP) | X86_INTR_HAS_ERROR;
    v->ctl.entry_error = 0x1234;
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(v->guest.rip, G_HANDLERS + 16 * X86_EXC_GP);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp), 0x1234);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp + 8), at);
    CHECK_EQ(v->ctl.entry_intr_info & X86_INTR_VALID, 0); /* cleared by the exit */
    /* external interrupt injection (needs IF = 1) */
    reset_guest(e);
    v->guest.rflags |= X86_IF;
    at = place(e, (const uint8_t[]){0xf4}, 1);
    v->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_EXTINT, 0x40);
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->guest.rip, G_HANDLERS + 16 * 0x40);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp), at);
    CHECK_EQ(v->guest.rflags & X86_IF, 0); /* interrupt gate */
    /* software interrupt injection pushes RIP + instruction length */
    reset_guest(e);
    at = place(e, (const uint8_t[]){0xcd, 0x80}, 2);
    v->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_SWINT, 0x80);
    v->ctl.entry_insn_len = 2;
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->guest.rip, G_HANDLERS + 16 * 0x80);
    CHECK_EQ(r64(e, HOFF + v->guest.rsp), at + 2);

    /* Injection whose delivery hits an EPT hole: EPT violation with IDT-vectoring info. */
    reset_guest(e);
    place(e, (const uint8_t[]){0xf4}, 1);
    v->guest.idtr_base = HOLE_NP;
    v->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_GP) | X86_INTR_HAS_ERROR;
    v->ctl.entry_error = 0x18;
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_VIOLATION);
    CHECK_EQ(v->exit.guest_phys, HOLE_NP + 16 * X86_EXC_GP);
    CHECK_EQ(v->exit.idt_info, 0x80000b0d);
    CHECK_EQ(v->exit.idt_error, 0x18);
    CHECK_EQ(v->guest.rsp, G_STACK);

    /* INT 0x80 whose IDT entry lies in an EPT hole: IDT-vectoring = software interrupt 0x80
     * with the exit instruction length of the INT (for re-injection). */
    reset_guest(e);
    v->guest.idtr_base = HOLE_NP - 0x800;
    at = place(e, (const uint8_t[]){0xcd, 0x80}, 2);
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_VIOLATION);
    CHECK_EQ(v->exit.guest_phys, HOLE_NP);
    CHECK_EQ(v->exit.idt_info, X86_INTR_INFO(X86_INTR_SWINT, 0x80));
    CHECK_EQ(v->exit.insn_len, 2);
    CHECK_EQ(v->guest.rip, at);

    /* A guest #PF whose frame push hits an EPT hole: EPT violation, IDT-vectoring = #PF,
     * guest RIP/RSP as before the delivery. */
    reset_guest(e);
    at = place(e, (const uint8_t[]){0x48, 0x8b, 0x04, 0x25, 0x00, 0xf0, 0x3f, 0x00}, 8);
    v->guest.rsp = HOLE_NP + 0x800;
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EPT_VIOLATION);
    CHECK_EQ(v->exit.qual & MMU_X86_EQ_WRITE, MMU_X86_EQ_WRITE);
    CHECK_EQ(v->exit.idt_info, X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_PF) | X86_INTR_HAS_ERROR);
    CHECK_EQ(v->exit.idt_error, 0);
    CHECK_EQ(v->guest.rip, at);
    CHECK_EQ(v->guest.rsp, HOLE_NP + 0x800);

    /* A nested exception the bitmap intercepts: injecting vector 0x80 past the IDT limit
     * raises #GP(0x80 * 8 + 2 + EXT) -> exit 0 with IDT-vectoring = the injected event. */
    reset_guest(e);
    v->guest.rflags |= X86_IF;
    v->guest.idtr_limit = 0x7ff;
    place(e, (const uint8_t[]){0xf4}, 1);
    v->ctl.exception_bitmap = 1u << X86_EXC_GP;
    v->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_EXTINT, 0x80);
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_EXCEPTION);
    CHECK_EQ(v->exit.intr_info, X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_GP) | X86_INTR_HAS_ERROR);
    CHECK_EQ(v->exit.intr_error, 0x80 * 8 + 3);
    CHECK_EQ(v->exit.idt_info, 0x80000080);
    v->ctl.exception_bitmap = 0;
}

static void test_vmx_insns(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    RUN(e, NULL, 0x0f, 0x01, 0xc2); /* vmlaunch */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_VMLAUNCH);
    RUN(e, NULL, 0xf3, 0x0f, 0xc7, 0x30); /* vmxon [rax] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_VMXON);
    CHECK_EQ(v->exit.insn_len, 4);
    RUN(e, NULL, 0x0f, 0xc7, 0x70, 0x10); /* vmptrld [rax+0x10] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_VMPTRLD);
    CHECK_EQ(v->exit.qual, 0x10);
    CHECK_EQ((v->exit.insn_info >> 7) & 7, 2); /* 64-bit address size */
    CHECK_EQ((v->exit.insn_info >> 23) & 15, X86_RAX);
    RUN(e, NULL, 0x66, 0x0f, 0xc7, 0x30); /* vmclear [rax] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_VMCLEAR);
    RUN(e, NULL, 0x0f, 0x78, 0xd8); /* vmread rax, rbx */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_VMREAD);
    CHECK_EQ((v->exit.insn_info >> 28) & 15, X86_RBX);
    CHECK_EQ(v->exit.insn_info & (1u << 10), 1u << 10);
    RUN(e, NULL, 0x66, 0x0f, 0x38, 0x80, 0x03); /* invept rax, [rbx] */
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_INVEPT);
    /* XSETBV exits unconditionally (needs CR4.OSXSAVE for the #UD check first) */
    reset_guest(e);
    v->guest.cr4 |= 1ull << 18;
    place(e, (const uint8_t[]){0x0f, 0x01, 0xd1}, 3);
    CHECK_EQ(enter_run(e), X86_STOP_VMEXIT);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_XSETBV);

    /* Outside VMX operation they are #UD. */
    char err[128];
    struct x86_cpu *b = x86_cpu_create(&e->mem, &e->st, X86_FEAT_ALL, err, sizeof(err));
    sim_mem_write_buf(&e->mem, 0xf00000, (const uint8_t[]){0x0f, 0x01, 0xc1}, 3);
    x86_cpu_reset64(b, 0xf00000);
    CHECK_EQ(x86_run(b, 10), X86_STOP_UNHANDLED);
    CHECK_EQ(b->exc.vector, X86_EXC_UD);
    x86_cpu_destroy(b);
}

static void test_entry_checks(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    reset_guest(e);
    place(e, (const uint8_t[]){0xf4}, 1);
    v->ctl.vpid = 0;
    CHECK_EQ(x86_vmentry(e->c), -EINVAL);
    CHECK_EQ(v->exit.insn_error, 7);
    v->ctl.vpid = 1;
    uint64_t eptp = v->ctl.eptp;
    v->ctl.eptp = EPT_PML4 | 1 | MMU_X86_EPTP_WALK4; /* memory type 1: reserved */
    CHECK_EQ(x86_vmentry(e->c), -EINVAL);
    v->ctl.eptp = eptp;
    v->ctl.proc2 = X86_PROC2_UNRESTRICTED; /* unrestricted guest without EPT */
    CHECK_EQ(x86_vmentry(e->c), -EINVAL);
    v->ctl.proc2 = X86_PROC2_EPT | X86_PROC2_VPID;
    v->ctl.pin = 1u << 6; /* preemption timer: not supported by this model */
    CHECK_EQ(x86_vmentry(e->c), -EINVAL);
    v->ctl.pin = 0;
    v->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_HWEXC, X86_EXC_UD) | X86_INTR_HAS_ERROR;
    CHECK_EQ(x86_vmentry(e->c), -EINVAL); /* #UD has no error code */
    v->ctl.entry_intr_info = 0;
    v->guest.cr4 &= ~(1ull << 13); /* CR4.VMXE is fixed to 1 */
    CHECK_EQ(x86_vmentry(e->c), -ENOEXEC);
    CHECK_EQ(v->exit.reason, X86_VMX_EXIT_BAD_GUEST | X86_VMX_EXIT_ENTRY_FAIL);
    v->guest.cr4 |= 1ull << 13;
    v->guest.rflags = 0; /* bit 1 must be 1 */
    CHECK_EQ(x86_vmentry(e->c), -ENOEXEC);
    v->guest.rflags = 2;
    v->ctl.entry_intr_info = X86_INTR_INFO(X86_INTR_EXTINT, 0x20); /* needs IF = 1 */
    CHECK_EQ(x86_vmentry(e->c), -ENOEXEC);
    v->ctl.entry_intr_info = 0;
    v->guest.cr0 &= ~(1ull << 31); /* paging off needs unrestricted guest */
    CHECK_EQ(x86_vmentry(e->c), -ENOEXEC);
    reset_guest(e);
    CHECK_EQ(x86_vmentry(e->c), 0);
    e->c->vmx = NULL;
    CHECK_EQ(x86_vmentry(e->c), -ENODEV);
    e->c->vmx = v;
}

static void test_vmcs_fields(struct env *e)
{
    struct x86_vmcs *v = &e->v;
    uint64_t x = 0;
    CHECK_EQ(x86_vmcs_write(v, 0x681e, 0x123456), 0); /* guest RIP */
    CHECK_EQ(v->guest.rip, 0x123456);
    CHECK_EQ(x86_vmcs_write(v, 0x0802, 0x1008), 0); /* guest CS selector (16-bit) */
    CHECK_EQ(v->guest.seg[X86_SEG_CS].sel, 0x1008);
    CHECK_EQ(x86_vmcs_write(v, 0x4002, 0x1ffffffffull), 0); /* primary controls: 32-bit */
    CHECK_EQ(v->ctl.proc, 0xffffffffu);
    CHECK_EQ(x86_vmcs_write(v, 0x201a, 0x1000005eull), 0); /* EPTP full */
    CHECK_EQ(x86_vmcs_write(v, 0x201b, 0x7), 0);          /* EPTP high */
    CHECK_EQ(v->ctl.eptp, 0x700000000ull | 0x1000005eull);
    CHECK_EQ(x86_vmcs_read(v, 0x201b, &x), 0);
    CHECK_EQ(x, 7);
    v->exit.reason = 48;
    CHECK_EQ(x86_vmcs_read(v, 0x4402, &x), 0);
    CHECK_EQ(x, 48);
    CHECK_EQ(x86_vmcs_write(v, 0x4402, 1), -EPERM);
    CHECK_EQ(x86_vmcs_read(v, 0x6c00, &x), -ENOENT); /* host CR0: no host-state area */
    CHECK_EQ(x86_vmcs_read(v, 0x4822, &x), 0);       /* guest TR access rights */
    CHECK_EQ(x, v->guest.seg[X86_SEG_TR].ar);
    CHECK_STR(x86_vmx_reason_name(48), "ept_violation");
    CHECK(x86_vmx_reason_name(35) == NULL);
}

/* The cold 2-D walk: guest 4-level paging under 4-level EPT, nothing cached: 4 guest
 * references + 5 EPT walks of 4 = 24 (Bhargava et al., ASPLOS 2008). */
static void test_2d_walk(void)
{
    static const char *const lv[4] = {"l0", "l1", "l2", "l3"};
    char n[64];
    struct env e;
    env_init(&e, "pwc=0,ntlb=0");
    place(&e, (const uint8_t[]){0x90,                                             /* nop */
                                0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, /* mov rax,[0x20000] */
                                0xf4}, 10);
    CHECK_EQ(x86_vmentry(e.c), 0);
    CHECK_EQ(x86_run(e.c, 1), X86_STOP_MAX_INSNS); /* one fetch: one walk */
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.count"), 1);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s1"), 4);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s2"), 20);
    for (unsigned k = 0; k < 4; k++) {
        snprintf(n, sizeof(n), "guest.walk.refs.s1.%s", lv[k]);
        CHECK_EQ(sim_stats_get(&e.st, n), 1);
        snprintf(n, sizeof(n), "guest.walk.refs.s2.%s", lv[k]);
        CHECK_EQ(sim_stats_get(&e.st, n), 5);
    }
    /* the load misses the TLB too: another 24 */
    CHECK_EQ(x86_run(e.c, 10), X86_STOP_VMEXIT);
    CHECK_EQ(e.v.exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.count"), 2);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s1") + sim_stats_get(&e.st, "guest.walk.refs.s2"),
             48);
    env_fini(&e);

    /* With the walk caches on, the EPT PDE cache filled by the first table's EPT walk
     * answers the other guest tables (same 2 MiB of GPA): 4 + (4 + 1 + 1 + 1) + 1 = 12. */
    env_init(&e, NULL);
    place(&e, (const uint8_t[]){0x90, 0xf4}, 2);
    CHECK_EQ(x86_vmentry(e.c), 0);
    CHECK_EQ(x86_run(e.c, 1), X86_STOP_MAX_INSNS);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s1"), 4);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s2"), 8);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s2.l0"), 1);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s2.l3"), 5);
    /* exit and entry costs from the CPU model */
    uint64_t cyc = e.c->cycles;
    CHECK_EQ(x86_run(e.c, 10), X86_STOP_VMEXIT);
    CHECK_EQ(e.v.exit.reason, X86_VMX_EXIT_HLT);
    CHECK(e.c->cycles >= cyc + e.model->cost_vmexit);
    CHECK_EQ(sim_stats_get(&e.st, "guest.vmexits"), 1);
    CHECK_EQ(sim_stats_get(&e.st, "guest.vmentries"), 1);
    CHECK_EQ(sim_stats_get(&e.st, "hv.vmexit.hlt"), 1);
    CHECK_EQ(sim_stats_get(&e.st, "guest.vmx.cycles"),
             e.model->cost_vmexit + e.model->cost_vmentry);
    CHECK(e.model->cost_vmexit > 0 && e.model->cost_vmentry > 0);
    env_fini(&e);
}

/* With VPID the guest's TLB entries survive VM exits and entries (SDM vol. 3C §29.4.3.3): a
 * load after a VMCALL round trip hits the TLB, no new walk. */
static void test_vpid_tlb(void)
{
    struct env e;
    env_init(&e, NULL);
    place(&e, (const uint8_t[]){0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, /* mov rax,[0x20000] */
                                0x0f, 0x01, 0xc1,                               /* vmcall */
                                0x48, 0x8b, 0x04, 0x25, 0x08, 0x00, 0x02, 0x00, /* mov rax,[0x20008] */
                                0xf4}, 20);
    CHECK_EQ(enter_run(&e), X86_STOP_VMEXIT);
    CHECK_EQ(e.v.exit.reason, X86_VMX_EXIT_VMCALL);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.count"), 2); /* code page, data page */
    uint64_t hits = sim_stats_get(&e.st, "guest.dtlb.l1.hit");
    CHECK_EQ(resume_next(&e), X86_STOP_VMEXIT);
    CHECK_EQ(e.v.exit.reason, X86_VMX_EXIT_HLT);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.count"), 2);
    CHECK_EQ(sim_stats_get(&e.st, "guest.dtlb.l1.hit"), hits + 1);
    /* another VPID does not see them */
    e.v.ctl.vpid = 2;
    reset_guest(&e);
    place(&e, (const uint8_t[]){0xf4}, 1);
    CHECK_EQ(enter_run(&e), X86_STOP_VMEXIT);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.count"), 3);
    env_fini(&e);
}

/* The PVH start state: 32-bit protected mode, paging off, under unrestricted guest + EPT:
 * guest-linear = guest-physical, translated by EPT only (GPA 0x20000 -> HPA 0x420000). */
static void test_pvh_unrestricted(void)
{
    struct env e;
    env_init(&e, NULL);
    e.v.ctl.proc2 |= X86_PROC2_UNRESTRICTED;
    x86_vmcs_guest_pvh32(&e.v, 0);
    place(&e, (const uint8_t[]){0xa1, 0x00, 0x00, 0x02, 0x00, /* mov eax, [0x20000] */
                                0x0f, 0xa2}, 7);                /* cpuid */
    sim_mem_write(&e.mem, HOFF + G_DATA, 4, 0x11223344);
    e.c->gpr[X86_RBX] = 0x5000; /* hvm_start_info */
    CHECK_EQ(x86_vmentry(e.c), 0);
    CHECK_EQ(e.c->code_bits, 32);
    CHECK_EQ(x86_run(e.c, 10), X86_STOP_VMEXIT);
    CHECK_EQ(e.v.exit.reason, X86_VMX_EXIT_CPUID);
    CHECK_EQ(e.c->gpr[X86_RAX], 0x11223344);
    CHECK_EQ(e.c->gpr[X86_RBX], 0x5000);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s1"), 0);
    /* Three walks (mmu.c caches nothing in the TLBs while CR0.PG = 0): the first fetch
     * walks the EPT (4), the load and the second fetch hit the EPT PDE cache (1 each). */
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.count"), 3);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s2"), 6);
    CHECK_EQ(sim_stats_get(&e.st, "guest.walk.refs.s2.l3"), 3);
    CHECK_EQ(x86_vmx_guest_cr0(&e.v), 0x11); /* the guest sees PE|ET */
    CHECK_EQ(e.v.ctl.entry & X86_ENTRY_IA32E, 0);
    /* without unrestricted guest, paging off is invalid guest state */
    e.v.ctl.proc2 &= ~X86_PROC2_UNRESTRICTED;
    CHECK_EQ(x86_vmentry(e.c), -ENOEXEC);
    CHECK_EQ(e.v.exit.reason, 0x80000021);
    env_fini(&e);
}

#ifdef X86_GUEST_DIR
#include "sim/loader.h"

/* guests/vmx_pvh.S under a small C hypervisor: the exits a Xen PVH kernel causes first. */
static void test_pvh_guest(void)
{
    struct env e;
    env_init(&e, NULL);
    struct x86_vmcs *v = &e.v;
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/vmx_pvh.elf", X86_GUEST_DIR);
    struct sim_image img;
    struct sim_load_opts o = {.ram_base = 0};
    if (sim_image_parse(path, &o, &img, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        CHECK(false);
        env_fini(&e);
        return;
    }
    clear_low_guest_ram(&e);
    for (unsigned k = 0; k < img.info.nseg; k++) /* load at GPA: HPA = GPA + HOFF */
        sim_mem_write_buf(&e.mem, HOFF + img.info.seg[k].paddr, img.info.seg[k].data,
                          img.info.seg[k].filesz);
    v->ctl.proc2 |= X86_PROC2_UNRESTRICTED;
    v->ctl.proc |= X86_PROC_MSR_BITMAPS | X86_PROC_IO_BITMAPS;
    sim_mem_write(&e.mem, IO_A + 0xe9 / 8, 1, 1u << (0xe9 % 8));
    x86_vmcs_guest_pvh32(v, (uint32_t)img.info.entry);
    e.c->gpr[X86_RBX] = 0x4000; /* hvm_start_info GPA */
    char console[64] = "";
    unsigned ncon = 0, exits[X86_VMX_NREASONS] = {0};
    bool done = false;
    for (unsigned n = 0; n < 200 && !done; n++) {
        int rc = x86_vmentry(e.c);
        CHECK_EQ(rc, 0);
        if (rc || x86_run(e.c, 1000000) != X86_STOP_VMEXIT)
            break;
        unsigned r = v->exit.reason & 0xffff;
        exits[r < X86_VMX_NREASONS ? r : 0]++;
        uint64_t *g = e.c->gpr;
        switch (r) {
        case X86_VMX_EXIT_CPUID:
            if ((uint32_t)g[X86_RAX] == 0x40000000) { /* Xen's leaf: "XenVMMXenVMM" */
                g[X86_RAX] = 0x40000005;
                g[X86_RBX] = 0x566e6558;
                g[X86_RCX] = 0x65584d4d;
                g[X86_RDX] = 0x4d4d566e;
            }
            break;
        case X86_VMX_EXIT_WRMSR:
            if ((uint32_t)g[X86_RCX] == 0x40000000) {
                /* hypercall page: 128 stubs "mov $n, %eax; vmcall; ret" (Xen hypercall.c) */
                uint64_t page = (g[X86_RAX] & 0xffffffffull) | g[X86_RDX] << 32;
                for (uint32_t k = 0; k < 128; k++) {
                    uint8_t stub[9] = {0xb8, (uint8_t)k, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3};
                    sim_mem_write_buf(&e.mem, HOFF + page + 32 * k, stub, sizeof(stub));
                }
            }
            break;
        case X86_VMX_EXIT_VMCALL:
            g[X86_RAX] = 0x1000 + (g[X86_RAX] & 0xffffffffull);
            break;
        case X86_VMX_EXIT_IO:
            CHECK_EQ(v->exit.qual >> 16, 0xe9);
            if (ncon + 1 < sizeof(console))
                console[ncon++] = (char)g[X86_RAX];
            break;
        case X86_VMX_EXIT_EPT_VIOLATION:
            /* populate on demand: a 2 MiB EPT page for GPA 8 MiB at HPA 12 MiB, then retry */
            CHECK_EQ(v->exit.guest_phys, 0x800010);
            CHECK_EQ(v->exit.qual & 7, MMU_X86_EQ_WRITE);
            w64(&e, EPT_PML4 + 0x2000 + 4 * 8, 0xc00000 | 1u << 7 | 6u << 3 | 7);
            v->exit.insn_len = 0;
            break;
        case X86_VMX_EXIT_HLT:
            done = true;
            break;
        default:
            fprintf(stderr, "unexpected exit %u at 0x%llx\n", r,
                    (unsigned long long)v->guest.rip);
            CHECK(false);
            done = true;
            break;
        }
        v->guest.rip += v->exit.insn_len;
    }
    CHECK(done);
    CHECK_EQ(e.c->gpr[X86_RAX], 0xdead);
    CHECK_EQ(r64(&e, HOFF + 0x9000) & 0xffffffff, 0x4000);      /* EBX at entry */
    CHECK_EQ(r64(&e, HOFF + 0x9004) & 0xffffffff, 0x11);        /* CR0 = PE|ET (shadow) */
    CHECK_EQ(r64(&e, HOFF + 0x9008) & 0xffffffff, 0x40000005);
    CHECK_EQ(r64(&e, HOFF + 0x900c) & 0xffffffff, 0x566e6558);  /* "XenV" */
    CHECK_EQ(r64(&e, HOFF + 0x9018), 0x1000 + 18);               /* via the hypercall page */
    CHECK_EQ(r64(&e, HOFF + 0x9020), 0x1000 + 29);               /* plain VMCALL */
    CHECK_EQ(r64(&e, HOFF + 0x9028), 0x5a5a);
    CHECK_EQ(r64(&e, 0xc00010), 0x5a5a);                         /* at the populated HPA */
    CHECK_EQ(r64(&e, HOFF + 0x9030), 0x80000011);                /* PG|ET|PE, NE hidden */
    CHECK_STR(console, "vmx ok\n");
    CHECK_EQ(exits[X86_VMX_EXIT_CPUID], 1);
    CHECK_EQ(exits[X86_VMX_EXIT_WRMSR], 1); /* EFER's WRMSR passes the MSR bitmap */
    CHECK_EQ(exits[X86_VMX_EXIT_VMCALL], 2);
    CHECK_EQ(exits[X86_VMX_EXIT_IO], 7);
    CHECK_EQ(exits[X86_VMX_EXIT_EPT_VIOLATION], 1);
    CHECK_EQ(exits[X86_VMX_EXIT_HLT], 1);
    /* the guest reached IA-32e mode itself: saved as such in the VMCS */
    CHECK(v->ctl.entry & X86_ENTRY_IA32E);
    CHECK(v->guest.efer & (1ull << 10));
    CHECK(v->guest.seg[X86_SEG_CS].ar & (1u << 13));
    CHECK_EQ(v->guest.seg[X86_SEG_CS].sel, 0x10);
    CHECK_EQ(e.c->code_bits, 64);
    CHECK(sim_stats_get(&e.st, "guest.walk.refs.s1") > 0); /* 2-D walks after CR0.PG */
    CHECK_EQ(sim_stats_get(&e.st, "hv.vmexit.io"), 7);
    sim_image_free(&img);
    env_fini(&e);
}

/* guests/modes.S (test_x86_sys's mode-switch guest: long mode, ring 3, SYSCALL, #GP/#PF
 * handlers, the x2APIC timer waking HLT) run bare and in VMX non-root operation under
 * "unrestricted guest" + EPT (offset GPA -> HPA): it must end the same way. HLT with IF = 1
 * exits; the hypervisor puts the vCPU in the HLT activity state and resumes it, and the
 * LAPIC timer wakes it as on bare hardware. */
static void test_modes_guest(void)
{
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/modes.elf", X86_GUEST_DIR);
    struct sim_image img;
    struct sim_load_opts o = {.ram_base = 0};
    if (sim_image_parse(path, &o, &img, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        CHECK(false);
        return;
    }
    uint64_t bare_rax = 0, bare_irq = 0;
    for (int vmx = 0; vmx < 2; vmx++) {
        struct env e;
        env_init(&e, NULL);
        uint64_t off = vmx ? HOFF : 0;
        if (vmx)
            clear_low_guest_ram(&e);
        else /* bare: linear = physical from 0, no stale tables */
            for (uint64_t a = 0; a < 0x100000; a += 8)
                w64(&e, a, 0);
        for (unsigned k = 0; k < img.info.nseg; k++)
            sim_mem_write_buf(&e.mem, off + img.info.seg[k].paddr, img.info.seg[k].data,
                              img.info.seg[k].filesz);
        CHECK_EQ(x86_lapic_create(e.c, &e.st, 0), 0);
        enum x86_stop st;
        if (!vmx) {
            e.c->vmx = NULL;
            x86_cpu_reset_pvh(e.c, (uint32_t)img.info.entry, 0x7000);
            st = x86_run(e.c, 1000000);
            CHECK_EQ(st, X86_STOP_HLT);
            bare_rax = e.c->gpr[X86_RAX];
            bare_irq = *e.c->st_irq;
            CHECK(bare_irq > 0);
            env_fini(&e);
            continue;
        }
        struct x86_vmcs *v = &e.v;
        v->ctl.proc2 |= X86_PROC2_UNRESTRICTED;
        v->ctl.proc |= X86_PROC_MSR_BITMAPS;
        x86_vmcs_guest_pvh32(v, (uint32_t)img.info.entry);
        e.c->gpr[X86_RBX] = 0x7000;
        unsigned hlts = 0;
        bool done = false;
        for (unsigned n = 0; n < 100 && !done; n++) {
            int rc = x86_vmentry(e.c);
            CHECK_EQ(rc, 0);
            if (rc || (st = x86_run(e.c, 1000000)) != X86_STOP_VMEXIT)
                break;
            uint64_t *g = e.c->gpr;
            switch (v->exit.reason) {
            case X86_VMX_EXIT_CPUID: {
                uint32_t r[4];
                x86_cpuid(e.c, (uint32_t)g[X86_RAX], (uint32_t)g[X86_RCX], r);
                g[X86_RAX] = r[0], g[X86_RBX] = r[1], g[X86_RCX] = r[2], g[X86_RDX] = r[3];
                break;
            }
            case X86_VMX_EXIT_HLT:
                hlts++;
                if (v->guest.rflags & X86_IF)
                    v->guest.activity = X86_ACT_HLT; /* block until an interrupt */
                else
                    done = true;
                break;
            default:
                fprintf(stderr, "modes.elf: exit %u at 0x%llx\n", v->exit.reason,
                        (unsigned long long)v->guest.rip);
                done = true;
                CHECK(false);
                break;
            }
            v->guest.rip += v->exit.insn_len;
        }
        CHECK(done);
        CHECK(hlts >= 2);
        CHECK_EQ(e.c->gpr[X86_RAX], bare_rax);
        CHECK_EQ(*e.c->st_irq, bare_irq);
        CHECK_EQ(e.c->code_bits, 64u);
        CHECK(sim_stats_get(&e.st, "guest.walk.refs.s2") > 0);
        env_fini(&e);
    }
    sim_image_free(&img);
}
#endif

int main(void)
{
    struct env e;
    env_init(&e, NULL);
    test_basic_exits(&e);
    test_io_msr(&e);
    test_cr(&e);
    test_exceptions(&e);
    test_ept(&e);
    test_interrupts(&e);
    test_vmx_insns(&e);
    test_entry_checks(&e);
    test_vmcs_fields(&e);
    CHECK(sim_stats_get(&e.st, "guest.vmexits") > 30);
    CHECK_EQ(sim_stats_get(&e.st, "guest.vmx.cycles"),
             sim_stats_get(&e.st, "guest.vmexits") * e.model->cost_vmexit +
                 sim_stats_get(&e.st, "guest.vmentries") * e.model->cost_vmentry);
    env_fini(&e);
    test_2d_walk();
    test_vpid_tlb();
    test_pvh_unrestricted();
#ifdef X86_GUEST_DIR
    test_pvh_guest();
    test_modes_guest();
#endif
    return test_summary();
}
