#!/usr/bin/python3
"""scripts/plot_samples.py - figure (d): cumulative TLB misses over simulated time, from the
`samples` table (run_id, cycle, name, value).

Series are the samples whose name contains "tlb" and "miss" (e.g. guest.tlb.l2.miss,
hv.tlb.l2.miss). A series whose values never decrease is taken as a running counter and drawn
as is; otherwise its values are per-interval deltas and are summed. x = cycle / the CPU model's
clock (freq_mhz in the run's config) in microseconds. One line per series of the first seed of
each configuration (at most 8). Without samples the figure says so.

    /usr/bin/python3 scripts/plot_samples.py --db results/demo.db -o results/report"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_common as pc  # noqa: E402

NAME = "tlb_misses_time"
TITLE = "Cumulative TLB misses over simulated time"
MAX_LINES = 8


def series(st):
    """{(run_id, name): [(cycle, value)]} of the TLB-miss samples."""
    out = {}
    for rid, cycle, name, value in st.samples():
        if "tlb" in (name or "") and "miss" in name and rid in st.by_id:
            out.setdefault((rid, name), []).append((cycle or 0, value or 0))
    return out


def cumulative(points):
    vals = [v for _, v in points]
    if all(b >= a for a, b in zip(vals, vals[1:])):
        return vals
    acc, out = 0, []
    for v in vals:
        acc += v
        out.append(acc)
    return out


def make(st, outdir):
    data = series(st)
    if not data:
        msg = ("no samples in this database" if not st.nsamples
               else "no TLB-miss samples in this database")
        pc.placeholder(outdir, NAME, TITLE, msg)
        return pc.Figure(NAME, TITLE, "No data: %s (the samples table is filled by runs that "
                         "record time series)." % msg, False)
    first = {}
    for rid, _ in sorted(data):
        r = st.by_id[rid]
        first.setdefault(pc.config_key(r), rid)
    keep = sorted(set(first.values()))
    keys = [k for k in sorted(data) if k[0] in keep][:MAX_LINES]
    runs = [st.by_id[k[0]] for k in keys]
    fig, ax = pc.plt.subplots(figsize=(8, 4.2))
    for rid, name in keys:
        r = st.by_id[rid]
        mhz = r["model"].get("freq_mhz") or 1000
        pts = data[(rid, name)]
        xs = [c / float(mhz) for c, _ in pts]
        label = "run %d %s %s %s: %s" % (rid, r.get("workload"), r.get("cpu_model"),
                                         r.get("hv_profile"), name)
        if r.get("workload_params"):
            label += " (%s)" % r["workload_params"]
        ax.step(xs, cumulative(pts), where="post", label=label)
    ax.set_xlabel("simulated time (µs)")
    ax.set_ylabel("cumulative TLB misses (count)")
    ax.set_title("TLB misses over time: %s" % pc.cpu_title(runs))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    pc.save(fig, outdir, NAME)
    return pc.Figure(NAME, TITLE, "Cumulative TLB-miss samples (samples table) against "
                     "simulated time for %d series." % len(keys), True)


if __name__ == "__main__":
    pc.standalone_main(make, __doc__)
