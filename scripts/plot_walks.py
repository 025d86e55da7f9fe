#!/usr/bin/python3
"""scripts/plot_walks.py - figure (c): 2-D (stage 1 + stage 2) page-walk references against the
TLB and walk-cache geometry, from a sweep over --tlb / --pwc.

For every configuration that was run with more than one geometry (same workload, architecture,
CPU model, profile and parameters), left: guest walk references per translation =
(guest.walk.refs.s1 + guest.walk.refs.s2) / guest.walk.count (references per hardware walk);
right: guest walk references per 1000 guest instructions (the TLB's effect: fewer walks).
x = the L2 TLB geometry (entries x ways, from the run's resolved CPU model), one line per walk-
cache size (stage-1 / stage-2 entries). Mean over seeds, error bars one sample stddev.

    /usr/bin/python3 scripts/plot_walks.py --db results/demo.db -o results/report"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_common as pc  # noqa: E402

NAME = "walks_geometry"
TITLE = "2-D walk references against TLB / walk-cache geometry"
MAX_PANELS = 4


def tlb_geo(r):
    m = r["model"]
    return (m.get("stlb_entries") or 0, m.get("stlb_ways") or 0)


def pwc_geo(r):
    m = r["model"]
    return (m.get("pwc_s1_entries") or 0, m.get("pwc_s2_entries") or 0,
            m.get("ntlb_entries") or 0)


def refs_per_walk(st, r):
    return pc.ratio(st.counter(r, "guest.walk.refs.s1") + st.counter(r, "guest.walk.refs.s2"),
                    st.counter(r, "guest.walk.count"))


def refs_per_kinsn(st, r):
    refs = st.counter(r, "guest.walk.refs.s1") + st.counter(r, "guest.walk.refs.s2")
    return pc.ratio(1000.0 * refs, r.get("insns") or 0)


def geometry_groups(st):
    """[(label, runs)] of configurations run with more than one TLB / walk-cache geometry."""
    def key(r):
        k = pc.config_key(r)
        return k[:6] + (k[7],)  # everything but the geometry overrides
    out = []
    for runs in pc.group_runs(st.runs, key):
        geos = {(tlb_geo(r), pwc_geo(r)) for r in runs}
        if len(geos) < 2 or not any(st.counter(r, "guest.walk.count") for r in runs):
            continue
        r0 = runs[0]
        label = "%s %s %s %s" % (r0.get("workload"), r0.get("arch"), r0.get("cpu_model"),
                                 "bare" if r0["bare"] else r0.get("hv_profile"))
        if r0.get("workload_params"):
            label += " " + r0["workload_params"]
        out.append((len(geos), label, runs))
    out.sort(key=lambda t: (-t[0], t[1]))
    return [(label, runs) for _, label, runs in out]


def make(st, outdir):
    groups = geometry_groups(st)
    if not groups:
        pc.placeholder(outdir, NAME, TITLE,
                       "no geometry sweep (runs differing only in --tlb / --pwc) in this database")
        return pc.Figure(NAME, TITLE, "No data: no configuration was run with more than one "
                         "TLB / walk-cache geometry.", False)
    groups = groups[:MAX_PANELS]
    fig, axes = pc.plt.subplots(len(groups), 2, figsize=(11, 3.4 * len(groups)), squeeze=False)
    for gi, (label, runs) in enumerate(groups):
        tlbs = sorted({tlb_geo(r) for r in runs})
        for pwc in sorted({pwc_geo(r) for r in runs}):
            for col, fn in enumerate((refs_per_walk, refs_per_kinsn)):
                xs, ys, sds = [], [], []
                for xi, t in enumerate(tlbs):
                    s = pc.Stat([fn(st, r) for r in runs
                                 if tlb_geo(r) == t and pwc_geo(r) == pwc])
                    if s.mean is not None:
                        xs.append(xi)
                        ys.append(s.mean)
                        sds.append(s.sd or 0)
                axes[gi][col].errorbar(xs, ys, yerr=sds, marker="o", capsize=3,
                                       label="walk cache s1=%d s2=%d, nested TLB %d" % pwc)
        for col, ylab in enumerate(("walk references per translation (refs/walk)",
                                    "walk references per 1000 instructions (refs)")):
            ax = axes[gi][col]
            ax.set_xticks(range(len(tlbs)))
            ax.set_xticklabels(["%dx%d" % t for t in tlbs])
            ax.set_xlabel("L2 TLB geometry (entries x ways)")
            ax.set_ylabel(ylab)
            ax.set_title(label, fontsize=8)
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            ax.legend()
    fig.tight_layout()
    pc.save(fig, outdir, NAME)
    return pc.Figure(NAME, TITLE, "Guest 2-D walks (stage 1 + stage 2 descriptor reads) per "
                     "translation and per 1000 instructions against the L2 TLB and walk-cache "
                     "geometry; panels: %s." % "; ".join(g[0] for g in groups), True)


if __name__ == "__main__":
    pc.standalone_main(make, __doc__)
