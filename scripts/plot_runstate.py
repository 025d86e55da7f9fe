#!/usr/bin/python3
"""scripts/plot_runstate.py - figure (a): runstate update cost and failed updates per hypervisor
profile, KPTI off and on, one row per architecture and CPU model.

Cost per update = hv.runstate.cycles / hv.runstate.updates of a run (cycles), failures =
hv.runstate.failures of a run (count; Xen's "Failed to walk page-table va"); bars are the
mean over seeds, error bars one sample standard deviation. Only runs with the CPU model's own
TLB/walk-cache geometry (the geometry sweep has its own figure).

    /usr/bin/python3 scripts/plot_runstate.py --db results/demo.db -o results/report"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_common as pc  # noqa: E402

NAME = "runstate_cost"
TITLE = "Runstate update cost and failures per profile"


def other_key(run):
    return pc.params_key(run["params"], ("runstate", "kpti"))


def profile_order(p):
    return (pc.PROFILES.index(p) if p in pc.PROFILES else len(pc.PROFILES), p or "")


def runstate_runs(st):
    return [r for r in st.runs if r.get("workload") == "runstate" and not r["bare"]
            and not pc.geometry_label(r)]


# One bar per (area registered by, KPTI): VA blue, PA orange, KPTI on hatched.
HUES = (("va", "0", "tab:blue", ""), ("va", "1", "tab:blue", "//"),
        ("pa", "0", "tab:orange", ""), ("pa", "1", "tab:orange", "//"))


def make(st, outdir):
    runs = runstate_runs(st)
    if not runs:
        pc.placeholder(outdir, NAME, TITLE, "no runstate runs in this database")
        return pc.Figure(NAME, TITLE, "No runstate workload runs in the database.", False)
    rows = sorted({(r.get("arch"), r.get("cpu_model"), other_key(r)) for r in runs})
    vary = len({row[2] for row in rows}) > 1
    fig, axes = pc.plt.subplots(len(rows), 2, figsize=(11, 3.6 * len(rows)), squeeze=False)
    hues = [h for h in HUES if any(r["params"].get("runstate", "va") == h[0]
                                   and r["params"].get("kpti", "0") == h[1] for r in runs)]
    width = 0.8 / max(1, len(hues))
    for ri, (arch, cpu, other) in enumerate(rows):
        rr = [r for r in runs if (r.get("arch"), r.get("cpu_model"), other_key(r)) ==
              (arch, cpu, other)]
        profiles = sorted({r.get("hv_profile") for r in rr}, key=profile_order)
        ax_cost, ax_fail = axes[ri]
        none_x = []
        for hi, (area, kpti, color, hatch) in enumerate(hues):
            costs, cost_sd, fails, fail_sd, xs = [], [], [], [], []
            for pi, prof in enumerate(profiles):
                sel = [r for r in rr if r.get("hv_profile") == prof
                       and r["params"].get("runstate", "va") == area
                       and r["params"].get("kpti", "0") == kpti]
                if not sel:
                    continue
                c = pc.Stat([pc.ratio(st.counter(r, "hv.runstate.cycles"),
                                      st.counter(r, "hv.runstate.updates")) for r in sel])
                f = pc.Stat([st.counter(r, "hv.runstate.failures") for r in sel])
                x = pi + (hi - (len(hues) - 1) / 2) * width
                xs.append(x)
                costs.append(c.mean if c.mean is not None else 0)
                cost_sd.append(c.sd or 0)
                fails.append(f.mean or 0)
                fail_sd.append(f.sd or 0)
                if c.mean is None:
                    none_x.append(x)
            lab = "%s area, KPTI %s" % (area.upper(), "on" if kpti == "1" else "off")
            for ax, ys, sd in ((ax_cost, costs, cost_sd), (ax_fail, fails, fail_sd)):
                ax.bar(xs, ys, width, yerr=sd, capsize=2, label=lab, color=color,
                       hatch=hatch, edgecolor="black", linewidth=0.5)
        if none_x:
            ax_cost.plot(none_x, [0] * len(none_x), "kx", label="no successful update")
        suffix = " (%s)" % other if vary and other else ""
        for ax in (ax_cost, ax_fail):
            ax.set_xticks(range(len(profiles)))
            ax.set_xticklabels(profiles)
            ax.set_xlabel("hypervisor profile")
            ax.set_ylim(bottom=0)
            ax.legend(fontsize=7)
            ax.grid(axis="y", alpha=0.3)
        ax_cost.set_ylabel("cycles per runstate update (cycles)")
        ax_fail.set_ylabel("failed runstate updates per run (count)")
        ax_cost.set_title("runstate: update cost, %s %s%s" % (arch, cpu, suffix))
        ax_fail.set_title("runstate: failed updates, %s %s%s" % (arch, cpu, suffix))
    fig.tight_layout()
    pc.save(fig, outdir, NAME)
    return pc.Figure(NAME, TITLE,
                     "Workload runstate on %s. Left: hv.runstate.cycles / hv.runstate.updates "
                     "(cycles per update, mean ± sd over seeds; × = no successful update); "
                     "right: hv.runstate.failures per run (count). Blue: area registered by "
                     "virtual address, orange: by physical address; hatched: KPTI on."
                     % pc.cpu_title(runs), True)


if __name__ == "__main__":
    pc.standalone_main(make, __doc__)
