#!/usr/bin/python3
"""scripts/plot_hcall.py - figure (b): cost per hypercall against buffer size, VA vs PA (and the
pa-flag proposal), one row per architecture, one column per hypercall.

Reads the `hypercalls` rows of hcall-buf runs (workload parameters size=BYTES, flavour=va|pa|
pa-flag, cross=0|1): cycles per call = sum(cycles) / sum(calls) of that hypercall and sub-op in
a run; points are the mean over seeds, error bars one sample standard deviation. Without
hcall-buf runs the figure says so.

    /usr/bin/python3 scripts/plot_hcall.py --db results/demo.db -o results/report"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_common as pc  # noqa: E402

NAME = "hcall_cost"
TITLE = "Cost per hypercall against buffer size, VA vs PA"
# The hypercalls hcall-buf exercises (workload table, sim/workload.c); others (the guest's own
# console output, shutdown) are left out of the figure when these are present.
TARGETS = ("console_io", "grant_table_op", "multicall", "memory_op")


def hcall_label(h):
    if h.get("subop_name"):
        return "%s/%s" % (h["name"], h["subop_name"])
    return h.get("name") or "nr %s" % h.get("nr")


def hcall_points(st):
    """{(arch, cpu, hypercall, flavour, cross, profile): {size: [cycles per call per run]}}
    plus the matching per-call translations and walk refs (for the report's table)."""
    runs = {r["id"]: r for r in st.runs if r.get("workload") == "hcall-buf" and not r["bare"]}
    per_run = {}
    for h in st.hypercalls:
        r = runs.get(h["run_id"])
        if r is None or not h.get("calls"):
            continue
        k = (h["run_id"], hcall_label(h))
        acc = per_run.setdefault(k, [0, 0, 0, 0, 0, 0, 0])
        for i, col in enumerate(("calls", "cycles", "translations", "walk_refs_s1",
                                 "walk_refs_s2", "tlb_misses", "failures")):
            acc[i] += h.get(col) or 0
    return runs, per_run


def size_of(r):
    try:
        return int(r["params"].get("size", "0"), 0)
    except ValueError:
        return None


COLORS = {"va": "tab:blue", "pa": "tab:orange", "pa-flag": "tab:green"}
STYLES = ("-", "--", ":", "-.")


def make(st, outdir):
    runs, per_run = hcall_points(st)
    # calls that all failed (e.g. an unknown hypercall number) have no cost to compare
    per_run = {k: v for k, v in per_run.items() if v[6] < v[0]}
    if not per_run:
        msg = "no hcall-buf runs" if not runs else "hcall-buf runs recorded no successful hypercalls"
        pc.placeholder(outdir, NAME, TITLE, msg + " in this database")
        return pc.Figure(NAME, TITLE, "No data: %s (the hcall-buf workload is not built or "
                         "was not in the sweep)." % msg, False)
    names = sorted({k[1] for k in per_run})
    targets = [n for n in names if n.split("/")[0] in TARGETS] or names
    rows = sorted({(runs[k[0]].get("arch"), runs[k[0]].get("cpu_model")) for k in per_run})
    fig, axes = pc.plt.subplots(len(rows), len(targets),
                                figsize=(4.0 * len(targets) + 1, 3.3 * len(rows)),
                                squeeze=False)
    profiles = sorted({runs[k[0]].get("hv_profile") for k in per_run}, key=str)
    for ri, (arch, cpu) in enumerate(rows):
        for ti, hc in enumerate(targets):
            ax = axes[ri][ti]
            lines = {}
            for (rid, name), acc in per_run.items():
                r = runs[rid]
                if name != hc or (r.get("arch"), r.get("cpu_model")) != (arch, cpu) \
                        or size_of(r) is None:
                    continue
                lk = (r.get("hv_profile"), r["params"].get("flavour", "va"),
                      r["params"].get("cross", "0"))
                lines.setdefault(lk, {}).setdefault(size_of(r), []).append(acc[1] / acc[0])
            crosses = {k[2] for k in lines}
            for lk in sorted(lines, key=str):
                prof, flav, cross = lk
                sizes = sorted(lines[lk])
                stats = [pc.Stat(lines[lk][x]) for x in sizes]
                label = "%s, profile %s" % (flav.upper(), prof)
                if len(crosses) > 1:
                    label += ", cross=" + cross
                ax.errorbar(sizes, [x.mean for x in stats], yerr=[x.sd or 0 for x in stats],
                            marker="o", markersize=3, capsize=2, label=label,
                            color=COLORS.get(flav, "tab:gray"),
                            linestyle=STYLES[profiles.index(prof) % len(STYLES)])
            ax.set_xscale("log", base=2)
            ax.set_xlabel("buffer size (bytes)")
            ax.set_ylabel("cycles per call (cycles)")
            ax.set_title("hcall-buf: %s\n%s %s" % (hc, arch, cpu), fontsize=9)
            ys = [m for lk in lines for v in lines[lk].values()
                  for m in [pc.Stat(v).mean] if m]
            if ys and max(ys) > 20 * min(ys):  # costs over orders of magnitude
                ax.set_yscale("log")
            else:
                ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3, which="both")
            if lines:
                ax.legend(fontsize=6)
    fig.tight_layout()
    pc.save(fig, outdir, NAME)
    return pc.Figure(NAME, TITLE, "Workload hcall-buf on %s: cycles per successful hypercall "
                     "(hypercalls table: cycles / calls) against buffer size; colour = flavour "
                     "(blue VA, orange PA, green pa-flag), line style = hypervisor profile; "
                     "mean ± sd over seeds; the y axis is logarithmic when the costs span more "
                     "than a factor of 20." % pc.cpu_title(list(runs.values())), True)


if __name__ == "__main__":
    pc.standalone_main(make, __doc__)
