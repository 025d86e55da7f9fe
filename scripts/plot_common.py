"""scripts/plot_common.py - what the plot scripts and scripts/report.py share: reading an hvsim
results database (read-only, sqlite3 module only), grouping runs into configurations (every
setting but the seed), mean/stddev over seeds, deterministic PNG+SVG output and placeholder
figures.

The database schema is the contract (README "The database", results/db.c): runs, counters,
counter_info, hypercalls, events, samples. Nothing else is read.

Run with Debian's /usr/bin/python3 (python3-matplotlib); see docs/study.md."""

import json
import math
import os
import sqlite3
import sys
import urllib.parse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use("Agg"))

# Deterministic output: fixed SVG id salt, no dates in metadata, no random jitter anywhere.
matplotlib.rcParams.update({
    "svg.hashsalt": "hvsim",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.titlesize": 10,
    "legend.fontsize": 8,
})

ARCHS = ("arm64", "x86_64")
PROFILES = ("xen-4.17", "xen-4.18", "arm-vmap", "kvm", "pa", "pa-flag")
WORKLOADS = ("hello", "runstate", "hcall-buf", "split", "remap", "tlb", "confidential", "busy")
# Flavours of hcall-buf (how a buffer is passed): guest-virtual, guest-physical, physical flag.
FLAVOURS = ("va", "pa", "pa-flag")


class ReportError(Exception):
    """A problem worth one 'hvsim: report:' line (missing database, not an hvsim database)."""


def die(msg, code=1):
    sys.stderr.write("hvsim: report: %s\n" % msg)
    sys.exit(code)


# ---- reading the database -------------------------------------------------------------------

def parse_params(s):
    """'runstate=va,kpti=1' -> {'runstate': 'va', 'kpti': '1'} (the --workload NAME:k=v,... form)."""
    out = {}
    for item in (s or "").split(","):
        item = item.strip()
        if not item:
            continue
        k, sep, v = item.partition("=")
        out[k.strip()] = v.strip() if sep else ""
    return out


class Study:
    """Everything the report needs from one database, loaded once."""

    def __init__(self, path):
        if not os.path.exists(path):
            raise ReportError("%s: no such database" % path)
        uri = "file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(path))
        try:
            con = sqlite3.connect(uri, uri=True)
            tables = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as e:
            raise ReportError("%s: not a results database (%s)" % (path, e))
        if "runs" not in tables or "counters" not in tables:
            raise ReportError("%s: not an hvsim results database (no runs/counters tables)" % path)
        self.path = path
        self.con = con
        self.tables = tables
        con.row_factory = sqlite3.Row
        self.runs = []
        for r in con.execute("SELECT * FROM runs ORDER BY id"):
            self.runs.append(self._run(dict(r)))
        self.by_id = {r["id"]: r for r in self.runs}
        self.counters = {r["id"]: {} for r in self.runs}
        for rid, name, value in con.execute("SELECT run_id, name, value FROM counters"):
            if rid in self.counters and value is not None:
                self.counters[rid][name] = value
        self.units = {}
        if "counter_info" in tables:
            for name, unit, _ in con.execute("SELECT name, unit, description FROM counter_info"):
                self.units[name] = unit or ""
        self.hypercalls = []
        if "hypercalls" in tables:
            self.hypercalls = [dict(r) for r in con.execute(
                "SELECT * FROM hypercalls ORDER BY run_id, vcpu, nr, subop")]
        self.event_kinds = {}
        if "events" in tables:
            for kind, n in con.execute("SELECT kind, count(*) FROM events GROUP BY kind"):
                self.event_kinds[kind] = n
        self.nsamples = 0
        if "samples" in tables:
            self.nsamples = con.execute("SELECT count(*) FROM samples").fetchone()[0]

    @staticmethod
    def _run(r):
        try:
            cfg = json.loads(r.get("config_json") or "{}")
        except ValueError:
            cfg = {}
        r["config"] = cfg
        r["model"] = cfg.get("model") or {}
        r["params"] = parse_params(r.get("workload_params"))
        r["bare"] = (r.get("hv_profile") == "bare") or bool(cfg.get("bare"))
        return r

    def samples(self, run_id=None):
        """[(run_id, cycle, name, value)] ordered by run and cycle."""
        if "samples" not in self.tables:
            return []
        q = "SELECT run_id, cycle, name, value FROM samples"
        args = ()
        if run_id is not None:
            q += " WHERE run_id = ?"
            args = (run_id,)
        return list(self.con.execute(q + " ORDER BY run_id, name, cycle", args))

    def counter(self, run, name, default=0):
        return self.counters.get(run["id"], {}).get(name, default)


# ---- configurations and statistics ----------------------------------------------------------

GEOMETRY_KEYS = ("tlb", "pwc", "cache")
MACHINE_KEYS = ("vcpus", "pcpus", "timeslice_us", "mem")


def params_key(params, drop=()):
    return ",".join("%s=%s" % (k, params[k]) for k in sorted(params) if k not in drop)


def config_key(run, drop_params=()):
    """Every result-affecting setting except the seed (and except the image: a rebuilt guest
    is the same configuration), as a sortable tuple."""
    cfg = run["config"]
    return (run.get("workload") or "", run.get("arch") or "", run.get("cpu_model") or "",
            run.get("hv_profile") or "", run.get("runstate_policy") or "",
            params_key(run["params"], drop_params),
            tuple(str(cfg.get(k)) for k in GEOMETRY_KEYS),
            tuple(str(cfg.get(k)) for k in MACHINE_KEYS))


def group_runs(runs, key=config_key):
    groups = {}
    for r in runs:
        groups.setdefault(key(r), []).append(r)
    return [groups[k] for k in sorted(groups)]


def geometry_label(run):
    cfg = run["config"]
    parts = ["%s=%s" % (k, cfg.get(k)) for k in GEOMETRY_KEYS if cfg.get(k) is not None]
    return " ".join(parts)


def ratio(a, b):
    """a / b, or None when undefined."""
    if a is None or b is None or b == 0:
        return None
    if isinstance(a, float) and math.isnan(a):
        return None
    return a / b


class Stat:
    """Mean, sample standard deviation and n of the defined values (None = undefined)."""

    def __init__(self, values):
        vals = [float(v) for v in values if v is not None and not
                (isinstance(v, float) and math.isnan(v))]
        self.n = len(vals)
        self.ntotal = len(values)
        self.mean = sum(vals) / self.n if self.n else None
        if self.n >= 2:
            m = self.mean
            self.sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (self.n - 1))
            if self.sd <= 1e-9 * abs(m):  # rounding noise of equal values
                self.sd = 0.0
        else:
            self.sd = 0.0 if self.n == 1 else None

    def text(self, with_n=False):
        if self.mean is None:
            return "—"
        s = fmt(self.mean)
        if self.n >= 2:
            s += " ± " + fmt(self.sd)
        if with_n or self.n != self.ntotal:
            s += " (n=%d)" % self.n
        return s


def fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    ax = abs(x)
    if ax >= 1000:
        return "{:,.0f}".format(x)
    if ax >= 100 or float(x).is_integer():
        return "%.0f" % x if float(x).is_integer() else "%.1f" % x
    if ax >= 10:
        return "%.1f" % x
    if ax >= 0.01 or ax == 0:
        return "%.2f" % x
    return "%.2g" % x


# ---- figures --------------------------------------------------------------------------------

class Figure:
    """A written figure: name (file stem), title, caption, whether it shows data."""

    def __init__(self, name, title, caption, has_data):
        self.name = name
        self.title = title
        self.caption = caption
        self.has_data = has_data


def save(fig, outdir, name):
    """Writes outdir/name.png and outdir/name.svg with no timestamps; closes the figure."""
    os.makedirs(outdir, exist_ok=True)
    fig.savefig(os.path.join(outdir, name + ".png"), format="png",
                metadata={"Software": None})
    fig.savefig(os.path.join(outdir, name + ".svg"), format="svg",
                metadata={"Date": None, "Creator": None})
    plt.close(fig)


def placeholder(outdir, name, title, message):
    """A figure that says why there is nothing to plot (still a valid PNG and SVG)."""
    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, wrap=True,
            transform=ax.transAxes)
    save(fig, outdir, name)


def cpu_title(runs):
    """'arm64 cortex-a57, neoverse-n1' for a title."""
    by_arch = {}
    for r in runs:
        by_arch.setdefault(r.get("arch") or "?", set()).add(r.get("cpu_model") or "?")
    return "; ".join("%s %s" % (a, ", ".join(sorted(c))) for a, c in sorted(by_arch.items()))


def standalone_main(make, doc):
    """`python3 scripts/plot_X.py --db F -o DIR` for one figure."""
    import argparse
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--db", required=True)
    ap.add_argument("-o", "--out", default="results/report")
    a = ap.parse_args()
    try:
        st = Study(a.db)
    except ReportError as e:
        die(str(e))
    f = make(st, a.out)
    print(os.path.join(a.out, f.name + ".png"))
