#!/usr/bin/python3
"""tests/report/test_report_tables.py HVSIM SCRIPTS_DIR TMPDIR - scripts/report.py on a
synthetic database whose values are known: the real schema comes from `hvsim db migrate` on an
empty file, the rows are inserted here. Checks table values (cycles per update =
hv.runstate.cycles / hv.runstate.updates, mean ± sample stddev over seeds, VA/PA ratios,
overhead per context switch, walk references per translation, cycles per hypercall by buffer
size), that every figure takes its data path (not the placeholder), that PNG/SVG files are
valid and that the output is byte-for-byte deterministic."""

import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET

HVSIM, SCRIPTS, TMP = sys.argv[1:4]
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, SCRIPTS)
import plot_common as pc  # noqa: E402
import report  # noqa: E402

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL: " + what)


def model(stlb=1024, pwc=16):
    return {"name": "cortex-a57", "arch": "arm64", "freq_mhz": 2000, "stlb_entries": stlb,
            "stlb_ways": 4, "pwc_s1_entries": pwc, "pwc_s2_entries": pwc, "ntlb_entries": 16}


def add_run(con, rid, workload, profile, params, seed, counters, tlb=None, stlb=1024):
    cfg = {"arch": "arm64", "workload": workload, "workload_params": params, "bare": False,
           "cpu": "cortex-a57", "tlb": tlb, "pwc": None, "cache": None, "hv_profile": profile,
           "vcpus": 2, "pcpus": 1, "model": model(stlb)}
    con.execute("INSERT INTO runs(id, uid, arch, cpu_model, hv_profile, runstate_policy, "
                "workload, workload_params, config_json, config_hash, seed, exit_status, "
                "outcome, insns, cycles, sim_ns) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (rid, "uid%d" % rid, "arm64", "cortex-a57", profile, "profile", workload,
                 params, json.dumps(cfg), "hash-%s-%s-%s-%s" % (workload, profile, params, tlb),
                 seed, 0, "poweroff", 1000000, 2000000, 1000000))
    for k, v in counters.items():
        con.execute("INSERT INTO counters(run_id, name, value) VALUES(?,?,?)", (rid, k, v))


def hcall(con, rid, name, subop, subop_name, calls, cycles, tr=0, s1=0, s2=0):
    con.execute("INSERT INTO hypercalls(run_id, vcpu, nr, name, subop, subop_name, calls, "
                "cycles, translations, walk_refs_s1, walk_refs_s2, tlb_misses, failures) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (rid, 0, 18, name, subop, subop_name, calls, cycles, tr, s1, s2, 0, 0))


def make_db(path):
    open(path, "w").close()
    r = subprocess.run([HVSIM, "db", "migrate", "--db", path], capture_output=True, text=True)
    check(r.returncode == 0, "hvsim db migrate on an empty file: %s" % r.stderr)
    con = sqlite3.connect(path)
    add_run(con, 1, "runstate", "xen-4.17", "runstate=va,kpti=1,vcpus=2", 1, {
        "hv.runstate.updates": 10, "hv.runstate.cycles": 1000, "hv.runstate.failures": 2,
        "hv.runstate.walk_refs": 50, "hv.runstate.tlb_misses": 5, "hv.ctxsw": 4,
        "hv.ctxsw.cycles": 2000, "hv.traps": 8, "hv.trap.cycles": 800,
        "guest.walk.count": 100, "guest.walk.refs.s1": 200, "guest.walk.refs.s2": 400,
        "hv.guestcopy.translations": 10, "hv.swwalk.refs.s1": 40, "hv.swwalk.refs.s2": 60,
        "hv.tlb.l2.miss": 30})
    add_run(con, 2, "runstate", "xen-4.17", "runstate=va,kpti=1,vcpus=2", 2, {
        "hv.runstate.updates": 10, "hv.runstate.cycles": 1200, "hv.runstate.failures": 4,
        "hv.runstate.walk_refs": 70, "hv.runstate.tlb_misses": 7, "hv.ctxsw": 4,
        "hv.ctxsw.cycles": 2400, "guest.walk.count": 100, "guest.walk.refs.s1": 200,
        "guest.walk.refs.s2": 400, "hv.tlb.l2.miss": 30})
    add_run(con, 3, "runstate", "pa", "kpti=1,runstate=pa,vcpus=2", 1, {
        "hv.runstate.updates": 10, "hv.runstate.cycles": 300, "hv.runstate.failures": 0,
        "hv.ctxsw": 4, "hv.ctxsw.cycles": 1600, "hv.tlb.l2.miss": 10})
    # hcall-buf: va and pa flavour at 64 and 4096 bytes
    rid = 4
    for size, va, pa in ((64, 5000, 2000), (4096, 9000, 3000)):
        for flav, cyc in (("va", va), ("pa", pa)):
            add_run(con, rid, "hcall-buf", "pa-flag", "size=%d,flavour=%s" % (size, flav), 1,
                    {"hv.traps": 20})
            hcall(con, rid, "console_io", 0, "write", 10, cyc, tr=10, s1=40, s2=80)
            hcall(con, rid, "sched_op", 2, "shutdown", 1, 400)
            rid += 1
    # geometry sweep points of run 1's configuration
    for stlb in (64, 4096):
        add_run(con, rid, "runstate", "xen-4.17", "runstate=va,kpti=1,vcpus=2", 1, {
            "hv.runstate.updates": 10, "hv.runstate.cycles": 1500,
            "guest.walk.count": 200 if stlb == 64 else 80, "guest.walk.refs.s1": 500,
            "guest.walk.refs.s2": 1100}, tlb="l2=%dx4" % stlb, stlb=stlb)
        rid += 1
    for cycle, v in ((1000, 5), (2000, 9), (3000, 12)):
        con.execute("INSERT INTO samples(run_id, cycle, name, value) VALUES(1,?,?,?)",
                    (cycle, "guest.tlb.l2.miss", v))
    con.commit()
    con.close()


def html_balanced(text):
    """Every non-void element is closed in order (the page is well-formed)."""
    from html.parser import HTMLParser
    void = {"meta", "br", "img", "link"}

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.err = [], 0

        def handle_starttag(self, tag, attrs):
            if tag not in void:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if self.stack and self.stack[-1] == tag:
                self.stack.pop()
            else:
                self.err += 1
    p = P()
    p.feed(text)
    return p.err == 0 and not p.stack


def table(tables, key):
    return [t for t in tables if t.key == key][0]


def col(t, name):
    return [c[0] for c in t.columns].index(name)


def row(t, **match):
    for r in t.rows:
        if all(r[col(t, k)] == v for k, v in match.items()):
            return r
    raise KeyError("no row %r in %s" % (match, t.key))


def valid_figures(outdir, names):
    import matplotlib.image as mpimg
    for n in names:
        with open(os.path.join(outdir, n + ".png"), "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", "%s.png magic" % n)
        img = mpimg.imread(os.path.join(outdir, n + ".png"))
        check(img.shape[0] > 50 and img.shape[1] > 50, "%s.png has pixels" % n)
        root = ET.parse(os.path.join(outdir, n + ".svg")).getroot()
        check(root.tag.endswith("svg"), "%s.svg is SVG" % n)


def main():
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    db = os.path.join(TMP, "syn.db")
    make_db(db)

    # statistics helpers
    s = pc.Stat([100, 120, None])
    check(s.n == 2 and s.mean == 110 and abs(s.sd - math.sqrt(200)) < 1e-9, "Stat mean/sd")
    check(s.text() == "110 ± 14.1 (n=2)", "Stat text: %s" % s.text())
    check(pc.Stat([None]).text() == "—", "Stat of nothing")
    check(pc.parse_params("runstate=va, kpti=1") == {"runstate": "va", "kpti": "1"},
          "parse_params")

    out1 = os.path.join(TMP, "r1")
    st, tables, figures = report.build(db, out1)
    rs = table(tables, "runstate")
    va = row(rs, **{"hv profile": "xen-4.17", "area": "va", "geometry": "model"})
    check(va[col(rs, "n")] == "2", "VA row has n=2 seeds: %s" % va)
    check(va[col(rs, "cycles per update")] == "110 ± 14.1",
          "cycles per update = cycles/updates mean ± sd: %s" % va[col(rs, "cycles per update")])
    check(va[col(rs, "failed updates")] == "3 ± 1.41", "failed updates: %s" % va)
    check(va[col(rs, "walk refs per update")] == "6 ± 1.41", "walk refs/update: %s" % va)
    check(va[col(rs, "overhead per context switch")] == "550 ± 70.7", "ctxsw: %s" % va)
    check(va[col(rs, "VA/PA")] == "%.2f" % (110 / 30), "VA/PA ratio: %s" % va[col(rs, "VA/PA")])
    check(va[col(rs, "PA baseline")] == "pa", "PA baseline profile")
    pa = row(rs, **{"hv profile": "pa", "area": "pa"})
    check(pa[col(rs, "cycles per update")] == "30", "PA cycles per update: %s" % pa)
    check(pa[col(rs, "VA/PA")] == "1.00", "PA row ratio 1")
    check(not any(r[col(rs, "geometry")] != "model" for r in rs.rows),
          "geometry-sweep runs are not in the runstate table")

    hc = table(tables, "hcall")
    r64 = row(hc, hypercall="console_io/write", size="64")
    check(r64[col(hc, "VA cycles per call")] == "500", "hcall VA cycles/call: %s" % r64)
    check(r64[col(hc, "PA cycles per call")] == "200", "hcall PA cycles/call: %s" % r64)
    check(r64[col(hc, "pa-flag cycles per call")] == "—", "no pa-flag runs: %s" % r64)
    check(r64[col(hc, "VA/PA")] == "2.50", "hcall VA/PA at 64 B: %s" % r64)
    check(r64[col(hc, "VA walk refs per call")] == "12", "hcall refs/call: %s" % r64)
    r4k = row(hc, hypercall="console_io/write", size="4096")
    check(r4k[col(hc, "VA/PA")] == "3.00", "hcall VA/PA at 4096 B: %s" % r4k)
    check(not any(r[col(hc, "hypercall")] == "sched_op/shutdown" for r in hc.rows),
          "hypercalls hcall-buf does not exercise are left out")

    wk = table(tables, "walks")
    w = row(wk, **{"hv profile": "xen-4.17", "geometry": "model"})
    check(w[col(wk, "guest 2-D refs/walk")] == "6 ± 0", "2-D refs per walk: %s" % w)
    check(w[col(wk, "hv s2 refs/translation")] == "6 (n=1)", "hv s2 refs/translation: %s" % w)

    ctx = table(tables, "ctxsw")
    c = row(ctx, **{"hv profile": "xen-4.17"})
    check(c[col(ctx, "overhead per context switch")] == "550 ± 70.7", "ctxsw table: %s" % c)
    tl = table(tables, "tlb")
    t = row(tl, **{"hv profile": "xen-4.17", "geometry": "model"})
    check(t[col(tl, "VA/PA")] == "3.00", "hv L2 TLB misses VA/PA: %s" % t)

    names = [f.name for f in figures]
    check(names == ["runstate_cost", "hcall_cost", "walks_geometry", "tlb_misses_time"],
          "figure names: %s" % names)
    for f in figures:
        check(f.has_data, "figure %s takes its data path" % f.name)
    valid_figures(out1, names)
    html = open(os.path.join(out1, "index.html"), encoding="utf-8").read()
    for n in names:
        check(n + ".png" in html and n + ".svg" in html, "index.html links %s" % n)
    check(html.count("data:image/png;base64,") == 4, "4 embedded figures")
    check("110 ± 14.1" in html, "index.html shows the table value")
    check("no x86_64 runs" in html, "index.html says x86_64 is missing")
    check(html_balanced(html), "index.html elements are balanced")

    # determinism: a second report is byte-identical (figures and page)
    out2 = os.path.join(TMP, "r2")
    report.build(db, out2)
    for n in names:
        for ext in (".png", ".svg"):
            a = open(os.path.join(out1, n + ext), "rb").read()
            b = open(os.path.join(out2, n + ext), "rb").read()
            check(a == b, "%s%s deterministic" % (n, ext))
    check(open(os.path.join(out2, "index.html"), encoding="utf-8").read() == html,
          "index.html deterministic")
    svg = open(os.path.join(out1, "runstate_cost.svg"), encoding="utf-8").read()
    check("<dc:date>" not in svg, "no date in SVG metadata")

    print("%d failure(s)" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
