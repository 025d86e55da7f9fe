#!/usr/bin/python3
"""scripts/report.py - the VA-vs-PA study report from an hvsim results database.

    /usr/bin/python3 scripts/report.py --db results/demo.db -o results/report [--text] [--quiet]
    (normally through `hvsim report --db F -o DIR`)

Writes DIR/index.html (one self-contained page: what the database holds and lacks, the
comparison tables, the figures embedded as base64 PNG) and every figure as DIR/<name>.png and
DIR/<name>.svg. --text prints the same tables on stdout. Reads only the database (sqlite3
module, read-only). Every column, its unit and its formula are documented in docs/study.md.

Exit status: 0 report written, 1 failure (one "hvsim: report: ..." line on stderr), 2 usage."""

import argparse
import base64
import html
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_common as pc  # noqa: E402
import plot_hcall  # noqa: E402
import plot_runstate  # noqa: E402
import plot_samples  # noqa: E402
import plot_walks  # noqa: E402

FIGURES = (plot_runstate, plot_hcall, plot_walks, plot_samples)


class Table:
    """A titled table: columns are (header, unit); cells are strings."""

    def __init__(self, key, title, intro, columns):
        self.key = key
        self.title = title
        self.intro = intro
        self.columns = columns
        self.rows = []
        self.empty = "no data"
        self.notes = []

    def add(self, cells):
        assert len(cells) == len(self.columns)
        self.rows.append([str(c) for c in cells])

    def header(self, i):
        name, unit = self.columns[i]
        return "%s (%s)" % (name, unit) if unit else name

    def text(self):
        """Fixed-width text; a column with one value in every row is printed once above."""
        out = ["== %s" % self.title]
        if not self.rows:
            out.append("   (%s)" % self.empty)
            return "\n".join(out) + "\n"
        cols = list(range(len(self.columns)))
        if len(self.rows) > 1:
            same = [i for i in cols if len({r[i] for r in self.rows}) == 1]
            if same and len(same) < len(cols):
                out.append("   every row: " + ", ".join(
                    "%s = %s" % (self.header(i), self.rows[0][i]) for i in same))
                cols = [i for i in cols if i not in same]
        heads = [self.header(i) for i in cols]
        rows = [[r[i] for i in cols] for r in self.rows]
        widths = [max(len(heads[i]), *(len(r[i]) for r in rows)) for i in range(len(heads))]
        out.append("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip())
        out.append("  ".join("-" * w for w in widths))
        for r in rows:
            out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        for n in self.notes:
            out.append("   note: " + n)
        return "\n".join(out) + "\n"

    def html(self):
        e = html.escape
        out = ['<h2 id="%s">%s</h2>' % (e(self.key), e(self.title)), "<p>%s</p>" % e(self.intro)]
        if not self.rows:
            out.append('<p class="missing">%s</p>' % e(self.empty))
            return "\n".join(out)
        out.append("<table><thead><tr>")
        for name, unit in self.columns:
            out.append("<th>%s%s</th>" % (e(name), "<br><small>(%s)</small>" % e(unit)
                                          if unit else ""))
        out.append("</tr></thead><tbody>")
        for r in self.rows:
            out.append("<tr>%s</tr>" % "".join("<td>%s</td>" % e(c) for c in r))
        out.append("</tbody></table>")
        for n in self.notes:
            out.append('<p class="note">%s</p>' % e(n))
        return "\n".join(out)


# ---- helpers --------------------------------------------------------------------------------

def area(r):
    """How the runstate area was registered: the workload's runstate= parameter (default va)."""
    return r["params"].get("runstate", "va")


def other_params(r, drop):
    return pc.params_key(r["params"], drop) or "—"


def per_run(st, runs, fn):
    return pc.Stat([fn(st, r) for r in runs])


def match_key(r, drop):
    """The configuration without the VA/PA choice (and without the profile): what a VA row is
    compared with."""
    k = pc.config_key(r, drop)
    return (k[0], k[1], k[2], k[5], k[6], k[7])


def find_baseline(group, groups, drop, is_pa, value):
    """The PA group a VA group is compared with: same workload, architecture, CPU model,
    other parameters and geometry, PA registration/flavour, a defined value; preferring the
    same profile, then profile 'pa', then the profiles in PROFILES order."""
    mk = match_key(group[0], drop)
    cands = [g for g in groups if match_key(g[0], drop) == mk and is_pa(g[0])
             and value(g) is not None]
    if not cands:
        return None

    def pref(g):
        p = g[0].get("hv_profile")
        if p == group[0].get("hv_profile"):
            return (0, "")
        if p == "pa":
            return (1, "")
        return (2 + (pc.PROFILES.index(p) if p in pc.PROFILES else 99), p or "")
    return min(cands, key=pref)


def ratio_text(num, den):
    r = pc.ratio(num, den)
    return "—" if r is None else "%.2f" % r


# ---- the tables -----------------------------------------------------------------------------

def table_runs(st):
    t = Table("runs", "Runs in the database",
              "One row per workload, architecture, CPU model and hypervisor profile: how many "
              "runs, configurations and seeds, how they ended, and their mean size.",
              [("workload", ""), ("arch", ""), ("CPU model", ""), ("hv profile", ""),
               ("runs", "count"), ("configs", "count"), ("seeds", "list"),
               ("outcomes", "count each"), ("instructions", "mean per run"),
               ("cycles", "mean per run"), ("simulated time", "ms, mean per run")])

    def key(r):
        return (r.get("workload") or "", r.get("arch") or "", r.get("cpu_model") or "",
                r.get("hv_profile") or "")
    for runs in pc.group_runs(st.runs, key):
        r0 = runs[0]
        outc = {}
        for r in runs:
            outc[r.get("outcome")] = outc.get(r.get("outcome"), 0) + 1
        seeds = sorted({r.get("seed") for r in runs if r.get("seed") is not None})
        t.add([r0.get("workload"), r0.get("arch"), r0.get("cpu_model"), r0.get("hv_profile"),
               len(runs), len({pc.config_key(r) for r in runs}),
               ",".join(str(s) for s in seeds),
               ", ".join("%s %d" % (k, v) for k, v in sorted(outc.items(), key=str)),
               pc.fmt(pc.Stat([r.get("insns") for r in runs]).mean),
               pc.fmt(pc.Stat([r.get("cycles") for r in runs]).mean),
               pc.fmt(pc.Stat([(r.get("sim_ns") or 0) / 1e6 for r in runs]).mean)])
    t.empty = "the database holds no runs"
    return t


def cycles_per_update(st, r):
    return pc.ratio(st.counter(r, "hv.runstate.cycles"), st.counter(r, "hv.runstate.updates"))


def ctxsw_cost(st, r):
    return pc.ratio(st.counter(r, "hv.ctxsw.cycles"), st.counter(r, "hv.ctxsw"))


def table_runstate(st):
    t = Table("runstate", "Runstate updates: VA vs PA per profile",
              "Workload runstate, one row per configuration (mean ± sample stddev over seeds, "
              "n = seeds). VA/PA = this row's cycles per update / the PA baseline's (same "
              "architecture, CPU model, parameters and geometry, area registered by physical "
              "address, preferring the same profile, then profile pa).",
              [("arch", ""), ("CPU model", ""), ("hv profile", ""), ("policy", ""),
               ("area", "va|pa"), ("kpti", ""), ("other params", ""), ("geometry", ""),
               ("n", "seeds"), ("updates", "attempts per run"),
               ("failed updates", "count per run"), ("failed share", "fraction"),
               ("cycles per update", "cycles"), ("walk refs per update", "refs"),
               ("hv TLB misses per update", "misses"),
               ("overhead per context switch", "cycles"),
               ("VA/PA", "ratio of cycles per update"), ("PA baseline", "profile")])
    # the CPU models' own geometry only: the --tlb/--pwc sweep is in the walk tables/figure
    runs = [r for r in st.runs if r.get("workload") == "runstate" and not r["bare"]
            and not pc.geometry_label(r)]
    groups = sorted(pc.group_runs(runs), key=lambda g: (
        g[0].get("arch") or "", g[0].get("cpu_model") or "",
        plot_runstate.profile_order(g[0].get("hv_profile")), other_params(g[0], ("runstate",)),
        area(g[0]) != "va"))
    mean_cpu = {id(g): per_run(st, g, cycles_per_update).mean for g in groups}
    for g in groups:
        r0 = g[0]
        cpu = per_run(st, g, cycles_per_update)
        base = find_baseline(g, groups, ("runstate",), lambda r: area(r) == "pa",
                             lambda gg: mean_cpu[id(gg)])
        t.add([r0.get("arch"), r0.get("cpu_model"), r0.get("hv_profile"),
               r0.get("runstate_policy"), area(r0), r0["params"].get("kpti", "0"),
               other_params(r0, ("runstate", "kpti")), pc.geometry_label(r0) or "model",
               len(g),
               per_run(st, g, lambda s, r: s.counter(r, "hv.runstate.updates")).text(),
               per_run(st, g, lambda s, r: s.counter(r, "hv.runstate.failures")).text(),
               per_run(st, g, lambda s, r: pc.ratio(s.counter(r, "hv.runstate.failures"),
                                                    s.counter(r, "hv.runstate.updates"))).text(),
               cpu.text(),
               per_run(st, g, lambda s, r: pc.ratio(s.counter(r, "hv.runstate.walk_refs"),
                                                    s.counter(r, "hv.runstate.updates"))).text(),
               per_run(st, g, lambda s, r: pc.ratio(s.counter(r, "hv.runstate.tlb_misses"),
                                                    s.counter(r, "hv.runstate.updates"))).text(),
               per_run(st, g, ctxsw_cost).text(),
               ratio_text(cpu.mean, mean_cpu[id(base)]) if base else "—",
               base[0].get("hv_profile") if base else "—"])
    t.empty = "no runstate runs in this database"
    if groups and all(not st.counter(r, "hv.runstate.updates") for r in runs):
        t.notes.append("no run recorded a successful runstate update (hv.runstate.updates = 0): "
                       "cycles per update and VA/PA are undefined (—)")
    return t


def walk_cols(st, r):
    """Per-run walk metrics: guest s1, s2, total refs per hardware walk; hypervisor s1, s2
    refs per guest-copy translation (software walks, Xen's guest_walk_tables / p2m lookups,
    plus the hypervisor's own hardware walks)."""
    gw = st.counter(r, "guest.walk.count")
    tr = st.counter(r, "hv.guestcopy.translations")
    hv1 = st.counter(r, "hv.swwalk.refs.s1") + st.counter(r, "hv.walk.refs.s1")
    hv2 = st.counter(r, "hv.swwalk.refs.s2") + st.counter(r, "hv.walk.refs.s2")
    return {
        "gwalks": gw,
        "g1": pc.ratio(st.counter(r, "guest.walk.refs.s1"), gw),
        "g2": pc.ratio(st.counter(r, "guest.walk.refs.s2"), gw),
        "gt": pc.ratio(st.counter(r, "guest.walk.refs.s1") + st.counter(r, "guest.walk.refs.s2"),
                       gw),
        "pwc": pc.ratio(st.counter(r, "guest.pwc.hit"),
                        st.counter(r, "guest.pwc.hit") + st.counter(r, "guest.pwc.miss")),
        "htr": tr,
        "h1": pc.ratio(hv1, tr),
        "h2": pc.ratio(hv2, tr),
    }


def table_walks(st):
    t = Table("walks", "Walk references per translation by stage",
              "Guest: descriptor reads per hardware page walk (stage 1 = the guest's tables, "
              "stage 2 = the hypervisor's, read during the 2-D walk). Hypervisor: descriptor "
              "reads per guest-memory translation it made for a hypercall or a runstate update "
              "(hv.swwalk.* + hv.walk.* per hv.guestcopy.translations). Mean ± stddev over seeds.",
              [("workload", ""), ("arch", ""), ("CPU model", ""), ("hv profile", ""),
               ("params", ""), ("geometry", ""), ("n", "seeds"),
               ("guest walks", "count per run"), ("guest s1 refs/walk", "refs"),
               ("guest s2 refs/walk", "refs"), ("guest 2-D refs/walk", "refs"),
               ("walk-cache hit rate", "fraction"),
               ("hv translations", "count per run"), ("hv s1 refs/translation", "refs"),
               ("hv s2 refs/translation", "refs")])
    for g in pc.group_runs(st.runs):
        r0 = g[0]
        cols = [walk_cols(st, r) for r in g]

        def s(k):
            return pc.Stat([c[k] for c in cols]).text()
        t.add([r0.get("workload"), r0.get("arch"), r0.get("cpu_model"), r0.get("hv_profile"),
               r0.get("workload_params") or "—", pc.geometry_label(r0) or "model", len(g),
               s("gwalks"), s("g1"), s("g2"), s("gt"), s("pwc"), s("htr"), s("h1"), s("h2")])
    t.empty = "the database holds no runs"
    return t


def table_tlb(st):
    t = Table("tlb", "Hypervisor-caused TLB misses",
              "TLB misses of the hypervisor's own accesses (the hv. translation regime: EL2 / "
              "VMX root), those charged to runstate updates, and the guest's L2 TLB misses for "
              "comparison; per run, mean ± stddev over seeds. VA/PA compares the hypervisor's "
              "L2 TLB misses with the PA baseline (as in the runstate table).",
              [("workload", ""), ("arch", ""), ("CPU model", ""), ("hv profile", ""),
               ("params", ""), ("geometry", ""), ("n", "seeds"),
               ("hv L1 dTLB misses", "count per run"), ("hv L2 TLB misses", "count per run"),
               ("runstate-update TLB misses", "count per run"),
               ("guest L2 TLB misses", "count per run"), ("VA/PA", "ratio of hv L2 TLB misses")])
    runs = [r for r in st.runs if not r["bare"]]
    groups = pc.group_runs(runs)

    def l2(g):
        return per_run(st, g, lambda s, r: s.counter(r, "hv.tlb.l2.miss")).mean
    for g in groups:
        r0 = g[0]
        drop = ("runstate",) if r0.get("workload") == "runstate" else ("flavour",)
        base = find_baseline(g, groups, drop,
                             lambda r: r["params"].get(drop[0]) == "pa", l2)
        t.add([r0.get("workload"), r0.get("arch"), r0.get("cpu_model"), r0.get("hv_profile"),
               r0.get("workload_params") or "—", pc.geometry_label(r0) or "model", len(g),
               per_run(st, g, lambda s, r: s.counter(r, "hv.dtlb.l1.miss")).text(),
               per_run(st, g, lambda s, r: s.counter(r, "hv.tlb.l2.miss")).text(),
               per_run(st, g, lambda s, r: s.counter(r, "hv.runstate.tlb_misses")).text(),
               per_run(st, g, lambda s, r: s.counter(r, "guest.tlb.l2.miss")).text(),
               ratio_text(l2(g), l2(base)) if base else "—"])
    t.empty = "no hypervisor runs in this database"
    return t


def table_ctxsw(st):
    t = Table("ctxsw", "Traps and context switches (guest-visible overhead)",
              "Per hypervisor run: traps into the hypervisor and their mean cost, vCPU context "
              "switches and the cycles each costs the guest (hv.ctxsw.cycles / hv.ctxsw: "
              "save/restore plus the runstate update made at the switch); mean ± stddev over "
              "seeds.",
              [("workload", ""), ("arch", ""), ("CPU model", ""), ("hv profile", ""),
               ("params", ""), ("n", "seeds"), ("traps", "count per run"),
               ("cycles per trap", "cycles"), ("context switches", "count per run"),
               ("overhead per context switch", "cycles"),
               ("hv share of cycles", "fraction")])
    runs = [r for r in st.runs if not r["bare"] and not pc.geometry_label(r)]
    for g in pc.group_runs(runs):
        r0 = g[0]
        t.add([r0.get("workload"), r0.get("arch"), r0.get("cpu_model"), r0.get("hv_profile"),
               r0.get("workload_params") or "—", len(g),
               per_run(st, g, lambda s, r: s.counter(r, "hv.traps")).text(),
               per_run(st, g, lambda s, r: pc.ratio(s.counter(r, "hv.trap.cycles"),
                                                    s.counter(r, "hv.traps"))).text(),
               per_run(st, g, lambda s, r: s.counter(r, "hv.ctxsw")).text(),
               per_run(st, g, ctxsw_cost).text(),
               per_run(st, g, lambda s, r: pc.ratio(s.counter(r, "hv.trap.cycles"),
                                                    r.get("cycles"))).text()])
    t.empty = "no hypervisor runs in this database"
    return t


def table_hcall_buf(st):
    t = Table("hcall", "Hypercalls by buffer size and flavour",
              "Workload hcall-buf: one row per hypercall (and sub-op) and buffer size, the "
              "flavours side by side (VA = guest-virtual buffer, translated by the hypervisor "
              "at every use; PA = guest-physical; pa-flag = the physical-buffer bit in the "
              "hypercall number), from the hypercalls table. Cycles per call = sum(cycles) / "
              "sum(calls) of the hypercall in a run, mean ± stddev over seeds; walk refs = "
              "(walk_refs_s1 + walk_refs_s2) per call; VA/PA and pa-flag/PA = ratios of the "
              "mean cycles per call. Only the hypercalls hcall-buf exercises (%s) and calls "
              "that failed are listed; the others are in 'All hypercalls'."
              % ", ".join(plot_hcall.TARGETS),
              [("arch", ""), ("CPU model", ""), ("hv profile", ""), ("hypercall", ""),
               ("size", "bytes"), ("cross", "page crossing 0|1"), ("n", "seeds"),
               ("calls VA/PA/pa-flag", "count per run"),
               ("VA cycles per call", "cycles"), ("PA cycles per call", "cycles"),
               ("pa-flag cycles per call", "cycles"), ("VA/PA", "ratio"),
               ("pa-flag/PA", "ratio"), ("VA walk refs per call", "refs"),
               ("PA walk refs per call", "refs"), ("VA translations per call", "count"),
               ("failures VA/PA/pa-flag", "count per run")])
    runs, per = plot_hcall.hcall_points(st)
    rows = {}
    for (rid, name), acc in per.items():
        r = runs[rid]
        if name.split("/")[0] not in plot_hcall.TARGETS and not acc[6]:
            continue
        key = (r.get("arch") or "", r.get("cpu_model") or "", r.get("hv_profile") or "",
               name, plot_hcall.size_of(r) or 0, r["params"].get("cross", "0"),
               pc.params_key(r["params"], ("size", "flavour", "cross")), pc.geometry_label(r))
        flav = r["params"].get("flavour", "va")
        rows.setdefault(key, {}).setdefault(flav, []).append(acc)

    def stat(accs, fn):
        return pc.Stat([fn(a) for a in accs or []])
    for key in sorted(rows):
        fl = rows[key]
        cyc = {f: stat(fl.get(f), lambda a: a[1] / a[0]) for f in pc.FLAVOURS}
        refs = {f: stat(fl.get(f), lambda a: (a[3] + a[4]) / a[0]) for f in pc.FLAVOURS}
        n = max(len(v) for v in fl.values())
        calls = "/".join(pc.fmt(stat(fl.get(f), lambda a: a[0]).mean) for f in pc.FLAVOURS)
        fails = "/".join(pc.fmt(stat(fl.get(f), lambda a: a[6]).mean) for f in pc.FLAVOURS)
        t.add([key[0], key[1], key[2], key[3], key[4], key[5], n, calls,
               cyc["va"].text(), cyc["pa"].text(), cyc["pa-flag"].text(),
               ratio_text(cyc["va"].mean, cyc["pa"].mean),
               ratio_text(cyc["pa-flag"].mean, cyc["pa"].mean),
               refs["va"].text(), refs["pa"].text(),
               stat(fl.get("va"), lambda a: a[2] / a[0]).text(), fails])
    t.empty = ("no hcall-buf runs in this database" if not runs
               else "the hcall-buf runs recorded no hypercalls")
    return t


def table_hypercalls(st):
    t = Table("hypercalls", "All hypercalls per profile",
              "Every hypercall (and sub-op) the guests made, per workload, architecture, CPU "
              "model, profile and parameters: calls per run, cycles per call, guest-memory "
              "translations per call and failed calls per run (mean over seeds).",
              [("workload", ""), ("arch", ""), ("CPU model", ""), ("hv profile", ""),
               ("params", ""), ("hypercall", ""), ("n", "runs"), ("calls", "count per run"),
               ("cycles per call", "cycles"), ("translations per call", "count"),
               ("s2 walk refs per call", "refs"), ("failures", "count per run")])
    per = {}
    for h in st.hypercalls:
        r = st.by_id.get(h["run_id"])
        if r is None or not h.get("calls"):
            continue
        acc = per.setdefault((h["run_id"], plot_hcall.hcall_label(h)), [0, 0, 0, 0, 0])
        for i, col in enumerate(("calls", "cycles", "translations", "walk_refs_s2",
                                 "failures")):
            acc[i] += h.get(col) or 0
    rows = {}
    for (rid, name), acc in per.items():
        r = st.by_id[rid]
        if pc.geometry_label(r):
            continue
        key = tuple(str(x) for x in (r.get("workload"), r.get("arch"), r.get("cpu_model"),
                                     r.get("hv_profile"), r.get("workload_params") or "—",
                                     name))
        rows.setdefault(key, []).append(acc)
    for key in sorted(rows):
        accs = rows[key]
        t.add(list(key) + [len(accs), pc.Stat([a[0] for a in accs]).text(),
                           pc.Stat([a[1] / a[0] for a in accs]).text(),
                           pc.Stat([a[2] / a[0] for a in accs]).text(),
                           pc.Stat([a[3] / a[0] for a in accs]).text(),
                           pc.Stat([a[4] for a in accs]).text()])
    t.empty = "no hypercall rows in this database"
    return t


TABLES = (table_runs, table_runstate, table_hcall_buf, table_walks, table_tlb, table_ctxsw,
          table_hypercalls)
# --text prints these (the comparison); index.html has every table.
TEXT_TABLES = ("runs", "runstate", "hcall")


# ---- inventory ------------------------------------------------------------------------------

def inventory(st):
    """(present, missing): lists of (what, text)."""
    runs = st.runs
    present, missing = [], []

    def have(field):
        return sorted({str(r.get(field)) for r in runs if r.get(field) is not None})
    present.append(("runs", str(len(runs))))
    present.append(("architectures", ", ".join(have("arch")) or "none"))
    present.append(("CPU models", ", ".join(have("cpu_model")) or "none"))
    present.append(("workloads", ", ".join(have("workload")) or "none"))
    present.append(("hv profiles", ", ".join(have("hv_profile")) or "none"))
    geos = sorted({pc.geometry_label(r) for r in runs if pc.geometry_label(r)})
    present.append(("geometry overrides", "; ".join(geos) or "none (CPU models' own)"))
    present.append(("seeds", ", ".join(str(s) for s in sorted(
        {r.get("seed") for r in runs if r.get("seed") is not None})) or "none"))
    present.append(("samples", "%d rows" % st.nsamples))
    present.append(("events", ", ".join("%s %d" % kv for kv in sorted(st.event_kinds.items()))
                    or "none"))
    bad = [r for r in runs if r.get("outcome") not in ("poweroff",)]
    if bad:
        present.append(("runs that did not power off", ", ".join(
            "run %d %s (%s)" % (r["id"], r.get("outcome"), r.get("workload"))
            for r in bad[:20]) + (" …" if len(bad) > 20 else "")))

    archs = set(have("arch"))
    for a in pc.ARCHS:
        if a not in archs:
            missing.append(("architecture", "no %s runs" % a))
    wls = set(have("workload"))
    for w in pc.WORKLOADS:
        if w not in wls:
            missing.append(("workload", "no %s runs" % w))
    hv_runs = [r for r in runs if not r["bare"]]
    profs = {r.get("hv_profile") for r in hv_runs}
    for p in pc.PROFILES:
        if p not in profs:
            missing.append(("hv profile", "no runs under profile %s" % p))
    rs = [r for r in hv_runs if r.get("workload") == "runstate"]
    for a in ("va", "pa"):
        if rs and not any(area(r) == a for r in rs):
            missing.append(("runstate", "no runstate=%s runs" % a))
    for k in ("0", "1"):
        if rs and not any(r["params"].get("kpti", "0") == k for r in rs):
            missing.append(("runstate", "no kpti=%s runs" % k))
    if rs and not any(st.counter(r, "hv.runstate.updates") for r in rs):
        missing.append(("runstate", "no run recorded a successful runstate update"))
    if not geos:
        missing.append(("geometry", "no --tlb / --pwc geometry sweep"))
    if not st.nsamples:
        missing.append(("samples", "no time samples (samples table empty)"))
    if not st.hypercalls:
        missing.append(("hypercalls", "no hypercall rows"))
    return present, missing


# ---- output ---------------------------------------------------------------------------------

CSS = """body{font-family:sans-serif;max-width:1400px;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:.5em 0 1em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:right;vertical-align:top}
th{background:#eee}td:nth-child(-n+4){text-align:left}
.missing{color:#a40}.note{font-size:12px;color:#555}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:13px;color:#333}"""


# The counters the tables read (docs/study.md); their units and meanings come from counter_info.
USED_COUNTERS = (
    "hv.runstate.updates", "hv.runstate.failures", "hv.runstate.cycles",
    "hv.runstate.walk_refs", "hv.runstate.tlb_misses", "hv.ctxsw", "hv.ctxsw.cycles",
    "hv.traps", "hv.trap.cycles", "hv.guestcopy.translations", "hv.swwalk.refs.s1",
    "hv.swwalk.refs.s2", "hv.walk.refs.s1", "hv.walk.refs.s2", "hv.dtlb.l1.miss",
    "hv.tlb.l2.miss", "guest.walk.count", "guest.walk.refs.s1", "guest.walk.refs.s2",
    "guest.pwc.hit", "guest.pwc.miss", "guest.tlb.l2.miss")


def counters_html(st):
    e = html.escape
    desc = {}
    if "counter_info" in st.tables:
        for name, unit, d in st.con.execute("SELECT name, unit, description FROM counter_info"):
            desc[name] = (unit or "", d or "")
    out = ["<h2 id='counters'>Counters used</h2>",
           "<p>The counters the tables are computed from, with their unit and meaning as "
           "recorded in the database (counter_info).</p>",
           "<table><thead><tr><th>counter</th><th>unit</th><th>meaning</th></tr></thead>"
           "<tbody>"]
    for n in USED_COUNTERS:
        unit, d = desc.get(n, ("", "not in this database"))
        out.append("<tr><td>%s</td><td>%s</td><td style='text-align:left'>%s</td></tr>"
                   % (e(n), e(unit), e(d)))
    out.append("</tbody></table>")
    return "\n".join(out)


def write_html(st, outdir, tables, figures, present, missing):
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>hvsim VA-vs-PA report</title>", "<style>%s</style></head><body>" % CSS,
           "<h1>hvsim: the VA-vs-PA study</h1>",
           "<p>Database <code>%s</code>. Should hypercalls pass guest-virtual addresses "
           "(translated by the hypervisor with the guest's live page tables at every use) or "
           "guest-physical ones? Every number below is computed from the database alone "
           "(scripts/report.py; columns and formulas: docs/study.md).</p>"
           % e(os.path.basename(st.path)),
           '<h2 id="contents">What the database holds</h2><table>']
    for k, v in present:
        out.append("<tr><th>%s</th><td style='text-align:left'>%s</td></tr>" % (e(k), e(v)))
    out.append("</table><h2 id='missing'>What is missing</h2>")
    if missing:
        out.append("<ul>%s</ul>" % "".join(
            '<li class="missing">%s: %s</li>' % (e(k), e(v)) for k, v in missing))
    else:
        out.append("<p>nothing: every architecture, workload and profile has runs.</p>")
    links = ['<a href="#%s">%s</a>' % (e(t.key), e(t.title)) for t in tables]
    links += ['<a href="#fig-%s">%s</a>' % (e(f.name), e(f.title)) for f in figures]
    out.append("<p>Contents: %s</p>" % " · ".join(links))
    for t in tables:
        out.append(t.html())
    out.append(counters_html(st))
    out.append("<h2 id='figures'>Figures</h2>")
    for f in figures:
        with open(os.path.join(outdir, f.name + ".png"), "rb") as fh:
            b64 = base64.b64encode(fh.read()).decode("ascii")
        out.append('<figure id="fig-%s"><img alt="%s" src="data:image/png;base64,%s">'
                   '<figcaption><b>%s</b>%s. %s Files: <a href="%s.png">%s.png</a>, '
                   '<a href="%s.svg">%s.svg</a>.</figcaption></figure>'
                   % (e(f.name), e(f.title), b64, e(f.title),
                      "" if f.has_data else " (no data)", e(f.caption),
                      e(f.name), e(f.name), e(f.name), e(f.name)))
    out.append("</body></html>")
    tmp = os.path.join(outdir, "index.html.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    os.replace(tmp, os.path.join(outdir, "index.html"))


def build(db, outdir, text=False):
    st = pc.Study(db)
    os.makedirs(outdir, exist_ok=True)
    tables = [fn(st) for fn in TABLES]
    figures = [m.make(st, outdir) for m in FIGURES]
    present, missing = inventory(st)
    write_html(st, outdir, tables, figures, present, missing)
    if text:
        out = ["== database %s: %d runs" % (db, len(st.runs))]
        out += ["   %s: %s" % kv for kv in present[1:]]
        out += ["   missing: %s" % v for _, v in missing]
        sys.stdout.write("\n".join(out) + "\n\n")
        for t in tables:
            if t.key in TEXT_TABLES:
                sys.stdout.write(t.text() + "\n")
        sys.stdout.write("(every table: %s)\n" % os.path.join(outdir, "index.html"))
    return st, tables, figures


def main(argv=None):
    ap = argparse.ArgumentParser(prog="report.py", description="hvsim VA-vs-PA report")
    ap.add_argument("--db", required=True, help="results database")
    ap.add_argument("-o", "--out", default="results/report", help="output directory")
    ap.add_argument("--text", action="store_true", help="print the tables on stdout")
    ap.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    a = ap.parse_args(argv)
    try:
        st, tables, figures = build(a.db, a.out, a.text)
    except pc.ReportError as e:
        pc.die(str(e))
    except OSError as e:
        pc.die("%s: %s" % (getattr(e, "filename", None) or a.out, e.strerror or e))
    except Exception as e:  # one line, not a traceback; HVSIM_DEBUG=1 shows it
        if os.environ.get("HVSIM_DEBUG"):
            raise
        pc.die("%s: %s: %s (HVSIM_DEBUG=1 for the traceback)" % (a.db, type(e).__name__, e))
    if not a.quiet:
        sys.stderr.write("hvsim: report: %s/index.html: %d runs, %d tables, %d figures "
                         "(%d with data)\n" % (a.out, len(st.runs), len(tables), len(figures),
                                              sum(f.has_data for f in figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
