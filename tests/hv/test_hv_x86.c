/* tests/hv/test_hv_x86.c - PVH guests under the modelled Xen on x86 (hv/x86): CPUID
 * discovery, the hypercall page, console_io, HVM params, the e820 map, shared_info, an event
 * channel to itself with the upcall vector, CPL-3 VMCALL -> -EPERM, the null-hypercall cost,
 * an EPT violation outside RAM, and the PTI runstate experiment per profile
 * (tests/hv/guests_x86). */
#include <stdlib.h>
#include <string.h>

#include "hv_run.h"
#include "testutil.h"

static const char *opt_domain; /* one --domain SPEC for the next run */

static struct run *run_guest(const char *cmdline, const char *profile, unsigned vcpus)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/hv_x86.elf", HV_X86_GUEST_DIR);
    struct sim_config cfg;
    sim_config_defaults(&cfg);
    cfg.arch = SIM_ARCH_X64;
    cfg.image = path;
    cfg.cmdline = cmdline;
    cfg.hv_profile = profile;
    cfg.vcpus = vcpus;
    cfg.pcpus = 1;
    cfg.timeslice_us = 1000;
    cfg.mem_bytes = 64ull << 20;
    cfg.max_insns = 50000000;
    cfg.no_db = true;
    if (opt_domain) {
        cfg.domains[0] = opt_domain;
        cfg.ndomains = 1;
    }
    return hv_run_machine(&cfg, "skylake");
}

/* The value of "key=value" at the start of a line, or "" */
static const char *val(const struct run *r, const char *key)
{
    static char v[128];
    size_t L = strlen(key);
    for (const char *p = r->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (!strncmp(p, key, L) && p[L] == '=') {
            const char *e = strchr(p + L + 1, '\n');
            size_t n = e ? (size_t)(e - (p + L + 1)) : strlen(p + L + 1);
            if (n >= sizeof(v))
                n = sizeof(v) - 1;
            memcpy(v, p + L + 1, n);
            v[n] = 0;
            return v;
        }
    }
    return "";
}

static const struct res_hcall_row *row(const struct machine *m, unsigned nr, int subop)
{
    for (size_t i = 0; i < m->nhcalls; i++)
        if (m->hcalls[i].nr == nr && m->hcalls[i].subop == subop)
            return &m->hcalls[i];
    return NULL;
}

static uint64_t ctr(const struct run *r, const char *name)
{
    return sim_stats_get(&r->m.stats, name);
}

static void test_basic(const char *profile, const char *version)
{
    struct run *r = run_guest("basic", profile, 1);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->rc, 0);
    CHECK_EQ(r->m.outcome, SIM_OUT_POWEROFF);
    CHECK_STR(val(r, "cpuid_max"), "5");             /* leaves 0x40000000..0x40000005 */
    CHECK_STR(val(r, "xen_sig"), "1");               /* "XenVMMXenVMM" */
    CHECK_STR(val(r, "hcall_pages"), "1");
    CHECK_STR(val(r, "page_stub0"), "1");            /* mov $0, %eax */
    CHECK_STR(val(r, "page_stub23"), "1");           /* iret: ud2, then int3 */
    CHECK_STR(val(r, "page_stub29"), "1");           /* mov $29; vmcall; ret; int3 */
    CHECK(strstr(r->out, "hello from the x86 PVH guest\n") != NULL);
    CHECK_STR(val(r, "version"), version);
    CHECK_STR(val(r, "hypervisor_bit"), "1");
    CHECK_STR(val(r, "start_magic"), "1");
    CHECK_STR(val(r, "store_pfn"), "1044476");       /* special_pfn(4) = 0xfeffc */
    CHECK_STR(val(r, "store_evtchn"), "2");
    CHECK_STR(val(r, "console_pfn"), "1044479");     /* special_pfn(7) = 0xfefff */
    CHECK_STR(val(r, "console_evtchn"), "1");
    CHECK_STR(val(r, "memory_map"), "0");
    CHECK_STR(val(r, "e820_entries"), "2");
    CHECK_STR(val(r, "e820_ram_size_mb"), "64");
    CHECK_STR(val(r, "add_to_physmap"), "0");
    CHECK_STR(val(r, "upcall_vector"), "0");
    CHECK_STR(val(r, "alloc_unbound"), "0");
    CHECK_STR(val(r, "bind_interdomain"), "0");
    CHECK_STR(val(r, "send"), "0");
    /* bind_interdomain sets the new port pending, send the other end: upcalls through the
     * vLAPIC vector, each EOIed */
    CHECK(atoi(val(r, "upcalls")) >= 1);
    CHECK_STR(val(r, "event_after_send"), "1");
    CHECK_EQ(strtol(val(r, "plain_vmcall"), NULL, 10), (long)strtol(version, NULL, 10));
    CHECK_STR(val(r, "user_vmcall"), "-1");          /* CPL 3: -EPERM */
    CHECK_STR(val(r, "cr0_ne_before"), "0"); /* the read shadow (PVH: PE|ET) */
    CHECK_STR(val(r, "cr0_ne_after"), "1");  /* MOV to CR0 exited, shadow updated */
    CHECK_STR(val(r, "cr0_pg"), "1");
    CHECK_STR(val(r, "cr4_vmxe"), "0");       /* host-owned, hidden */
    CHECK_EQ(ctr(r, "hv.x86.cr"), 1);
    CHECK(strstr(r->out, "basic done\n") != NULL);
    CHECK(ctr(r, "hv.x86.upcalls") >= 1);
    CHECK_EQ(ctr(r, "hv.vmexit.cpuid"), 3);
    CHECK(ctr(r, "hv.vmexit.wrmsr") >= 1);
    /* the hypercall rows: xen_version(XENVER_version) is the null hypercall, 1,228 cycles on
     * skylake (ISCA'16 Table 3, x86 Xen); the CPL-3 call is a failed xen_version row */
    const struct res_hcall_row *v = row(&r->m, 17, 0);
    CHECK(v != NULL);
    if (v) {
        CHECK_EQ(v->calls, 2);
        CHECK_EQ(v->cycles, 2 * 1228);
        CHECK_EQ(v->failures, 0);
    }
    const struct res_hcall_row *u = row(&r->m, 17, -1);
    CHECK(u != NULL);
    if (u)
        CHECK_EQ(u->failures, 1);
    const struct res_hcall_row *sh = row(&r->m, 29, 2);
    CHECK(sh != NULL);
    free_run(r);
}

static void test_callback(void)
{
    struct run *r = run_guest("cb", "xen-4.17", 1);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->m.outcome, SIM_OUT_POWEROFF);
    CHECK_STR(val(r, "add_to_physmap"), "0");
    CHECK_STR(val(r, "callback_irq"), "0");
    CHECK_STR(val(r, "send"), "0");
    /* bind_interdomain's pending port, the send, the send made with interrupts off */
    CHECK_STR(val(r, "cb_held_while_cli"), "1");
    CHECK_STR(val(r, "cb_upcalls"), "3");
    CHECK_STR(val(r, "cb_events"), "3");
    CHECK_EQ(ctr(r, "hv.x86.upcalls"), 3); /* injected through the VMCS at VM entry */
    CHECK_EQ(ctr(r, "hv.vmexit.interrupt_window"), 1);
    free_run(r);
}

/* two PVH domains (--domain image=...,cmdline=cb): own EPT, RAM at 64 GiB, "(dN) " lines */
static void test_two_domains(void)
{
    char spec[600];
    snprintf(spec, sizeof(spec), "image=%s/hv_x86.elf,mem=32M,cmdline=cb", HV_X86_GUEST_DIR);
    opt_domain = spec;
    struct run *r = run_guest("basic", "xen-4.17", 1);
    opt_domain = NULL;
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->m.outcome, SIM_OUT_POWEROFF);
    CHECK(strstr(r->out, "(d1) hello from the x86 PVH guest\n") != NULL);
    CHECK(strstr(r->out, "(d1) user_vmcall=-1\n") != NULL);
    CHECK(strstr(r->out, "(d2) cb_events=3\n") != NULL);
    CHECK(strstr(r->out, "(d2) cb_held_while_cli=1\n") != NULL);
    CHECK_EQ(ctr(r, "hv.d1.hypercalls") > 0 && ctr(r, "hv.d2.hypercalls") > 0, 1);
    free_run(r);
}

static void test_ept_crash(void)
{
    struct run *r = run_guest("ept", "xen-4.17", 1);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->rc, 0);
    CHECK_EQ(r->m.outcome, SIM_OUT_CRASH);
    CHECK(strstr(r->m.outcome_detail, "EPT violation at GPA 0x20000000") != NULL);
    CHECK_EQ(ctr(r, "hv.x86.ept_crash"), 1);
    free_run(r);
}

/* vCPU 0 preempted in user mode with a user CR3 that does not map its runstate area */
static void test_pti(const char *profile, const char *op14, const char *verdict, bool lost)
{
    struct run *r = run_guest("pti", profile, 2);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->rc, 0);
    CHECK_EQ(r->m.outcome, SIM_OUT_POWEROFF);
    CHECK_STR(val(r, "initialise"), "0");
    CHECK_STR(val(r, "up"), "0");
    CHECK_STR(val(r, "op14"), op14);
    CHECK_STR(val(r, "rs_verdict"), verdict);
    uint64_t upd = ctr(r, "hv.runstate.updates"), fail = ctr(r, "hv.runstate.failures");
    CHECK(upd >= 4);
    if (lost) {
        CHECK_EQ(fail, upd);
        CHECK(ctr(r, "hv.guestcopy.walk_failed") >= fail);
        bool ev = false;
        for (size_t i = 0; i < r->m.nevents; i++)
            ev |= !strcmp(r->m.events[i].kind, "runstate_walk_failed") &&
                  strstr(r->m.events[i].detail, "cpl3") != NULL;
        CHECK(ev);
    } else {
        CHECK_EQ(fail, 0);
    }
    CHECK(ctr(r, "hv.swwalk.refs.s2") > 0); /* the software EPT walks of the VA/PA paths */
    free_run(r);
}

static void test_determinism(void)
{
    struct run *a = run_guest("pti", "xen-4.17", 2), *b = run_guest("pti", "xen-4.17", 2);
    CHECK(a && b);
    if (a && b) {
        CHECK_EQ(a->m.clock.cycles, b->m.clock.cycles);
        CHECK_EQ(a->m.insns, b->m.insns);
        CHECK_EQ(ctr(a, "hv.swwalk.refs.s1"), ctr(b, "hv.swwalk.refs.s1"));
    }
    free_run(a);
    free_run(b);
}

int main(void)
{
    test_basic("xen-4.17", "262161");  /* 0x40011 */
    test_basic("xen-4.18", "262162");  /* 0x40012 */
    test_callback();
    test_two_domains();
    test_ept_crash();
    test_pti("xen-4.17", "-38", "stale", true);   /* op 14 -ENOSYS on x86 4.17; VA lost */
    test_pti("xen-4.18", "0", "updated", false);  /* 4.18 accepts op 14 on x86 */
    test_pti("pa", "0", "updated", false);
    test_pti("kvm", "-38", "updated", false);     /* GPA cached at registration */
    test_determinism();
    return test_summary();
}
