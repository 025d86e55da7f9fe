/* tests/hv/test_hv_arm.c - guests under the modelled Xen on Arm (hv/arm): hypercall results
 * per profile, register preservation, error codes, UNDEF/data-abort injection, the null
 * hypercall cost, and the runstate experiment (tests/hv/guests). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_run.h"
#include "testutil.h"

static bool opt_vpl011;

static struct run *run_guest(const char *guest, const char *profile, const char *policy,
                             unsigned vcpus, unsigned pcpus, uint64_t timeslice_us)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.elf", HV_GUEST_DIR, guest);
    struct sim_config cfg;
    sim_config_defaults(&cfg);
    cfg.arch = SIM_ARCH_A64;
    cfg.image = path;
    cfg.hv_profile = profile;
    if (policy)
        cfg.runstate = policy;
    cfg.vcpus = vcpus;
    cfg.pcpus = pcpus;
    cfg.timeslice_us = timeslice_us;
    cfg.mem_bytes = 64ull << 20;
    cfg.max_insns = 50000000;
    cfg.no_db = true;
    cfg.vpl011 = opt_vpl011;
    return hv_run_machine(&cfg, "cortex-a57");
}

/* The value after "label " at the start of a line, or "" */
static const char *val(const struct run *r, const char *label)
{
    static char v[128];
    size_t L = strlen(label);
    const char *p = r->out;
    while (p && *p) {
        if (!strncmp(p, label, L) && p[L] == ' ') {
            const char *e = strchr(p + L + 1, '\n');
            size_t n = e ? (size_t)(e - (p + L + 1)) : strlen(p + L + 1);
            if (n >= sizeof(v))
                n = sizeof(v) - 1;
            memcpy(v, p + L + 1, n);
            v[n] = 0;
            return v;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
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

static void test_basic(const char *profile, const char *version, const char *features,
                       const char *op14)
{
    struct run *r = run_guest("hv_basic", profile, NULL, 1, 1, 1000);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->rc, 0);
    CHECK_EQ(r->m.outcome, SIM_OUT_POWEROFF);
    CHECK(strstr(r->out, "hello from the hv test guest\n") == r->out);
    CHECK_STR(val(r, "dtb"), "0x43e00000");     /* kernel.c place_modules, 64 MiB domU */
    CHECK_STR(val(r, "dtb_magic"), "0xedfe0dd0"); /* FDT magic read little-endian */
    CHECK_STR(val(r, "version"), version);
    CHECK_STR(val(r, "extraversion_rc"), "0");
    CHECK_STR(val(r, "extraversion"), ".0");
    CHECK_STR(val(r, "capabilities_rc"), "0");
    CHECK_STR(val(r, "capabilities_ok"), "1");
    CHECK_STR(val(r, "get_features_rc"), "0");
    CHECK_STR(val(r, "features0"), features);
    CHECK_STR(val(r, "get_features1_rc"), "-22");
    CHECK_STR(val(r, "pagesize"), "4096");
    CHECK_STR(val(r, "xenver_unknown"), "-38");
    CHECK_STR(val(r, "unknown_hcall"), "-38");
    CHECK_STR(val(r, "bad_pointer"), "-14");
    CHECK_STR(val(r, "bad_features_ptr"), "-14");
    CHECK_STR(val(r, "regs_preserved"), "1");
    char longline[301];
    for (int i = 0; i < 299; i++)
        longline[i] = (char)('a' + i % 26);
    longline[299] = '\n';
    longline[300] = 0;
    CHECK(strstr(r->out, longline) != NULL);
    CHECK_STR(val(r, "long_write_rc"), "0");
    CHECK_STR(val(r, "vm_assist_5"), "0");
    CHECK_STR(val(r, "vm_assist_1"), "-22");
    CHECK_STR(val(r, "vcpu_is_up"), "-22");
    CHECK_STR(val(r, "runstate_va_bad_vcpu"), "-2");
    CHECK_STR(val(r, "op14"), op14);
    if (!strcmp(op14, "0")) {
        CHECK_STR(val(r, "op14_cross"), "-6");
        CHECK_STR(val(r, "op14_unreg"), "0");
    } else {
        CHECK_STR(val(r, "op14_cross"), "-22");
        CHECK_STR(val(r, "op14_unreg"), "-22");
    }
    CHECK_STR(val(r, "psci_version"), "0x10001");
    CHECK_STR(val(r, "smccc_version"), "0x10001");
    CHECK_STR(val(r, "trng_version"), "-1");
    CHECK_STR(val(r, "psci_features_cpu_on"), "0");
    CHECK_STR(val(r, "affinity_info_1"), "1"); /* no such vCPU: OFF, as vpsci.c */
    CHECK_STR(val(r, "undef_count"), "1");
    CHECK_STR(val(r, "undef_ec"), "0x0");
    CHECK_STR(val(r, "undef_type"), "0x10");   /* current EL with SP_ELx, synchronous */
    CHECK_STR(val(r, "dabt_count"), "1");
    CHECK_STR(val(r, "dabt_ec"), "0x25");
    CHECK_STR(val(r, "dabt_far"), "0x10000000");
    CHECK_STR(val(r, "gicd_iidr"), "0x43b");
    CHECK_STR(val(r, "gicd_isenabler0"), "0x800ffff");
    CHECK_STR(val(r, "timer_irq"), "27");
    CHECK_STR(val(r, "timer_irqs"), "1");
    CHECK_STR(val(r, "timer_waited"), "1");
    CHECK_STR(val(r, "timer_not_late"), "1");
    CHECK_STR(val(r, "gicc_iar_idle"), "0x3ff");
    CHECK(sim_stats_get(&r->m.stats, "hv.vtimer.fired") == 1);
    CHECK(strstr(r->out, "bye\n") != NULL);
    /* the null hypercall: xen_version(XENVER_version) touches no memory: 376 cycles on
     * cortex-a57 (Dall et al. ISCA 2016), every call */
    const struct res_hcall_row *v0 = row(&r->m, 17, 0);
    CHECK(v0 != NULL);
    if (v0) {
        CHECK_EQ(v0->calls, 12); /* 10 + the version line + regs_preserved */
        CHECK_EQ(v0->cycles, 376 * 12);
        CHECK_EQ(v0->translations, 0);
        CHECK_EQ(v0->failures, 0);
    }
    const struct res_hcall_row *cw = row(&r->m, 18, 0);
    CHECK(cw && cw->calls > 20 && cw->translations >= cw->calls && cw->failures == 1);
    CHECK(cw && cw->cycles > 376 * cw->calls);
    const struct res_hcall_row *unk = row(&r->m, 99, -1);
    CHECK(unk && unk->calls == 1 && unk->failures == 1);
    CHECK(sim_stats_get(&r->m.stats, "hv.guestcopy.translations") > 0);
    CHECK(sim_stats_get(&r->m.stats, "hcall.xen_version.version.calls") == 12);
    free_run(r);
}

/* Run with stderr redirected into errbuf (Xen's "(XEN) ..." lines go there). */
static struct run *run_capture(const char *guest, const char *profile, const char *policy,
                               unsigned vcpus, uint64_t ts, char *errbuf, size_t errlen)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/hv_stderr_%d.txt", test_tmpdir(), (int)getpid());
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    struct run *r = run_guest(guest, profile, policy, vcpus, 1, ts);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
    errbuf[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(errbuf, 1, errlen - 1, f);
        errbuf[n] = 0;
        fclose(f);
    }
    unlink(path);
    return r;
}

static size_t count_events(const struct machine *m, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nevents; i++)
        if (!strcmp(m->events[i].kind, kind))
            n++;
    return n;
}

/* The runstate experiment: yields between two vCPUs on one pCPU, then the KPTI guest. */
static void test_runstate(const char *profile, const char *policy, bool kpti_loses,
                          const char *register_pa)
{
    static char err[65536];
    struct run *r = run_capture("hv_runstate", profile, policy, 2, 50, err, sizeof(err));
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->rc, 0);
    CHECK_EQ(r->m.outcome, SIM_OUT_POWEROFF);
    CHECK_STR(val(r, "vm_assist"), "0");
    CHECK_STR(val(r, "register_va"), "0");
    CHECK_STR(val(r, "cpu_on"), "0");
    CHECK_STR(val(r, "cpu_on_again"), "-4");      /* PSCI_ALREADY_ON */
    CHECK_STR(val(r, "yield_updates"), "20");      /* every yield switched and updated */
    CHECK_STR(val(r, "area_state"), "0");          /* RUNSTATE_running as seen by itself */
    CHECK_STR(val(r, "runnable_time_pos"), "1");
    CHECK_STR(val(r, "update_flag_clear"), "1");
    CHECK_STR(val(r, "invariant"), "1");           /* entry time - sum(time[]) == 0 */
    CHECK_STR(val(r, "secondary_ran"), "1");
    CHECK_STR(val(r, "affinity_on"), "0");
    CHECK_STR(val(r, "register_cross"), "0");
    CHECK_STR(val(r, "cross_updates"), "5");
    CHECK_STR(val(r, "cross_invariant"), "1");
    CHECK_STR(val(r, "cross_state"), "0");
    bool vmap = !strcmp(profile, "arm-vmap") || (policy && !strcmp(policy, "va-once"));
    CHECK_STR(val(r, "register_unaligned"), vmap ? "-22" : "0");
    CHECK_STR(val(r, "register_zero"), "0");
    CHECK_STR(val(r, "register_pa"), register_pa);
    CHECK_STR(val(r, "register_kernel_va"), "0");
    CHECK_STR(val(r, "kernel_va_seen"), "1");
    CHECK_STR(val(r, "back_from_el0"), "1");
    CHECK_STR(val(r, "kpti_updated"), kpti_loses ? "0" : "1");
    CHECK_STR(val(r, "kpti_state"), "0");
    bool paflag = !strcmp(profile, "pa-flag");
    CHECK_STR(val(r, "paflag_pa"), paflag ? "0" : "-38");
    CHECK_STR(val(r, "paflag_va"), paflag ? "-14" : "-38");
    uint64_t upd = sim_stats_get(&r->m.stats, "hv.runstate.updates");
    uint64_t fail = sim_stats_get(&r->m.stats, "hv.runstate.failures");
    CHECK(upd >= 40);
    CHECK(sim_stats_get(&r->m.stats, "hv.ctxsw") >= 40);
    if (kpti_loses) {
        CHECK(fail > 0 && fail < upd);
        CHECK_EQ(count_events(&r->m, "runstate_walk_failed"), fail);
        CHECK(strstr(err, "(XEN) d1v0: Failed to walk page-table va 0xffffff80") != NULL);
    } else {
        CHECK_EQ(fail, 0);
        CHECK_EQ(count_events(&r->m, "runstate_walk_failed"), 0);
        CHECK(strstr(err, "Failed to walk page-table") == NULL);
    }
    free_run(r);
}

/* Same inputs, same counters. */
static void test_deterministic(void)
{
    static char err[65536];
    struct run *a = run_capture("hv_runstate", "xen-4.17", NULL, 2, 50, err, sizeof(err));
    struct run *b = run_capture("hv_runstate", "xen-4.17", NULL, 2, 50, err, sizeof(err));
    CHECK(a && b);
    if (a && b) {
        CHECK_EQ(a->m.stats.count, b->m.stats.count);
        unsigned diff = 0;
        for (unsigned i = 0; i < a->m.stats.count && i < b->m.stats.count; i++) {
            const struct sim_stat *x = sim_stats_at(&a->m.stats, i), *y = sim_stats_at(&b->m.stats, i);
            if (strcmp(x->name, y->name) || x->value != y->value)
                diff++;
        }
        CHECK_EQ(diff, 0);
        CHECK_EQ(a->m.clock.cycles, b->m.clock.cycles);
        CHECK_STR(a->out, b->out);
    }
    free_run(a);
    free_run(b);
}

static void test_events(const char *profile, bool vpl011)
{
    opt_vpl011 = vpl011;
    struct run *r = run_guest("hv_events", profile, NULL, 1, 1, 1000);
    opt_vpl011 = false;
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->rc, 0);
    static const char *const expect[][2] = {
        {"console_pfn_rc", "0"}, {"console_pfn", "0x39000"}, {"console_evtchn", "1"},
        {"store_pfn", "0"}, {"callback_irq", "0x20000000000021f"}, {"param_bad_index", "-22"},
        {"param_bad_dom", "-3"}, {"set_param", "0"}, {"param_back", "0x1234"},
        {"hvm_op_unknown", "-38"}, {"send_console", "0"}, {"ring_consumed", "1"},
        {"map_shared_info", "0"}, {"map_shared_info_idx1", "-22"}, {"vcpu_info", "0"},
        {"vi_upcall_pending", "1"}, {"vi_pending_sel", "0xffffffffffffffff"},
        {"spurious_upcall", "1"}, {"bind_ipi", "0"}, {"ipi_port", "2"}, {"send_ipi", "0"},
        {"ipi_delivered", "1"}, {"masked_delivered", "0"}, {"poll_pending", "0"},
        {"unmask", "0"}, {"unmask_delivered", "1"}, {"alloc_unbound", "0"},
        {"unbound_port", "3"}, {"bind_interdomain", "0"}, {"loopback_port", "4"},
        {"send_loopback", "0"}, {"loopback_delivered", "2"}, {"status_rc", "0"},
        {"status_console", "2"}, {"bind_virq", "0"}, {"bind_virq_again", "-17"},
        {"bind_virq_novcpu", "-2"}, {"close", "0"}, {"close_again", "-22"},
        {"send_closed", "-22"}, {"init_control", "-38"}, {"sgi_iar", "0x5"}, {"query_size", "0"},
        {"gnt_frames", "1"}, {"gnt_max", "64"}, {"set_version1", "0"},
        {"set_version3", "-22"}, {"map_grant_frame", "0"}, {"memory_map", "-38"},
        {"multicall", "0"}, {"mc0", "0x40011"}, {"mc1", "0x40011"}, {"mc2", "-38"},
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        const char *got = val(r, expect[i][0]);
        if (!strcmp(expect[i][0], "mc0") || !strcmp(expect[i][0], "mc1"))
            CHECK_STR(got, !strcmp(profile, "xen-4.18") ? "0x40012" : "0x40011");
        else
            CHECK_STR(got, expect[i][1]);
        if (strcmp(got, expect[i][1]) && strcmp(expect[i][0], "mc0") && strcmp(expect[i][0], "mc1"))
            fprintf(stderr, "  (%s)\n", expect[i][0]);
    }
    CHECK_STR(val(r, "vcpu_info_again"), !strcmp(profile, "xen-4.18") ? "-16" : "-22");
    CHECK(strstr(r->out, "\nring hello\n") != NULL);  /* drained from the PV console ring */
    if (vpl011) {
        CHECK_EQ(r->m.outcome, SIM_OUT_POWEROFF);
        CHECK_STR(val(r, "uart_fr"), "0x90");
        CHECK(strstr(r->out, "\nuart hello\n") != NULL);
        CHECK(strstr(r->out, "events done\n") != NULL);
    } else {
        /* no vPL011: the access is a stage-2 fault Xen turns into a data abort */
        CHECK_EQ(r->m.outcome, SIM_OUT_CRASH);
        CHECK(strstr(r->out, "unexpected_exception_esr 0x96000000") != NULL);
    }
    const struct res_hcall_row *mc = row(&r->m, 13, -1);
    CHECK(mc && mc->calls == 1);
    free_run(r);
}

/* GNTTABOP_copy statuses (public/grant_table.h GNTST_*) and pa-flag descriptors. */
static void test_gnt(const char *profile, bool pa_flag)
{
    struct run *r = run_guest("hv_gnt", profile, NULL, 1, 1, 1000);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ(r->rc, 0);
    static const char *const expect[][2] = {
        {"gc_ok", "0"}, {"gc_data", "1"}, {"gc_gmfn_domid", "-8"}, {"gc_bad_domain", "-2"},
        {"gc_bad_page", "-9"}, {"gc_beyond", "-10"}, {"gc_bad_gntref", "-3"},
        {"map_grant_frame", "0"}, {"gc_unpermitted", "-1"}, {"gc_wrong_dom", "-1"},
        {"gc_gref_src", "0"}, {"gc_gref_data", "1"}, {"gc_ro_dest", "-1"},
        {"gc_ro_source", "0"}, {"gc_badptr", "-14"}, {"gc_negative", "-22"},
        {"gc_opaque", "-22"}, {"map_rc", "0"}, {"map_st", "-1"}, {"map_handle", "0x5a5a"},
        {"map_noflags_st", "-3"}, {"unmap_rc", "0"}, {"unmap_st", "-4"},
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        const char *got = val(r, expect[i][0]);
        CHECK_STR(got, expect[i][1]);
        if (strcmp(got, expect[i][1]))
            fprintf(stderr, "  (%s, %s)\n", expect[i][0], profile);
    }
    CHECK_STR(val(r, "pa_probe"), pa_flag ? "1" : "0");
    if (pa_flag) {
        static const char *const pe[][2] = {
            {"pa_sg_console", "0"}, {"pa_linear_console", "0"}, {"pa_reserved", "-22"},
            {"pa_sg_badoff", "-22"}, {"pa_sg_gcopy", "0"}, {"pa_sg_gcopy_status", "0"},
            {"pa_sg_gcopy_data", "1"}, {"pa_multicall", "0"}, {"pa_mc0", "0x40012"},
        };
        for (size_t i = 0; i < sizeof(pe) / sizeof(pe[0]); i++) {
            const char *got = val(r, pe[i][0]);
            CHECK_STR(got, pe[i][1]);
            if (strcmp(got, pe[i][1]))
                fprintf(stderr, "  (%s)\n", pe[i][0]);
        }
        /* the S/G console write reassembles the two pages in list order */
        CHECK(strstr(r->out, "sg hello world\n") != NULL);
    }
    CHECK(strstr(r->out, "gnt done\n") != NULL);
    free_run(r);
}

int main(void)
{
    test_gnt("xen-4.17", false);
    test_gnt("pa-flag", true);
    test_basic("xen-4.17", "0x40011", "0x16005", "-22");
    test_basic("xen-4.18", "0x40012", "0x56005", "-22");
    test_basic("pa", "0x40012", "0x56005", "0");
    test_runstate("xen-4.17", NULL, true, "-22");
    test_runstate("xen-4.18", NULL, true, "-22");
    test_runstate("arm-vmap", NULL, false, "-22");
    test_runstate("kvm", NULL, false, "-22");
    test_runstate("pa", NULL, false, "0");
    test_runstate("pa-flag", NULL, false, "0");
    /* --runstate overrides the profile's policy */
    test_runstate("xen-4.17", "va-once", false, "-22");
    test_deterministic();
    test_events("xen-4.17", true);
    test_events("xen-4.18", false);
    return test_summary();
}
