#!/usr/bin/env python3
"""The catalog's data-movement tool: price each stub's training step under the
ByteDMD cost model and write <slug>/dmd.json (see dmd/README.md).

    python3 bin/dmd.py bars                 # one stub -> bars/dmd.json
    python3 bin/dmd.py --all                # every stub with an adapter
    python3 bin/dmd.py bars --sizes 4 8     # override the size sweep
    python3 bin/dmd.py --missing            # stubs without an adapter (exit 1 if any)
    python3 bin/dmd.py --figure             # dmd/cost_vs_wallclock.png from every dmd.json
    python3 bin/dmd.py --summary            # markdown table of every dmd.json

The catalog check calls missing_adapters(root) (and missing_reports(root)) and
fails on a non-empty list:

    spec = importlib.util.spec_from_file_location("dmd_cli", "bin/dmd.py")
    dmd_cli = importlib.util.module_from_spec(spec); spec.loader.exec_module(dmd_cli)
    for slug in dmd_cli.missing_adapters(ROOT): fail(slug + ": no data-movement adapter")
"""
from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def stubs(root=ROOT):
    """Top-level folders holding <slug>/<slug_>.py."""
    out = []
    for d in sorted(os.listdir(root)):
        if d.startswith((".", "_")) or not os.path.isdir(os.path.join(root, d)):
            continue
        if os.path.isfile(os.path.join(root, d, d.replace("-", "_") + ".py")):
            out.append(d)
    return out


def missing_adapters(root=ROOT):
    """Slugs of stubs with no dmd/adapters/<slug_>.py (the SPEC section 11
    hook).  ``bin/catalog.py --check`` fails when this is non-empty."""
    here = os.path.join(root, "dmd", "adapters")
    return [s for s in stubs(root)
            if not os.path.isfile(os.path.join(here, s.replace("-", "_")
                                               + ".py"))]


def missing_reports(root=ROOT):
    """Slugs that have an adapter but no <slug>/dmd.json yet."""
    here = os.path.join(root, "dmd", "adapters")
    return [s for s in stubs(root)
            if os.path.isfile(os.path.join(here, s.replace("-", "_") + ".py"))
            and not os.path.isfile(os.path.join(root, s, "dmd.json"))]


def figure(root=ROOT, out=None):
    """Catalog-wide figure: cost to solve vs wallclock, one point per stub and
    variant (main mode, element granularity)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pts = []
    for s in stubs(root):
        p = os.path.join(root, s, "dmd.json")
        if not os.path.isfile(p):
            continue
        with open(p) as f:
            rec = json.load(f)
        wc = rec.get("headline_wallclock_s")
        for v, r in rec.get("variants", {}).items():
            if r.get("cost_to_result") and wc:
                pts.append((s, v, float(wc), float(r["cost_to_result"]),
                            r["main"]["cost_per_op"],
                            r.get("at_headline_size", True)))
    out = out or os.path.join(root, "dmd", "cost_vs_wallclock.png")
    lines = ["%2d  %s: %s%s" % (i, s, v, "" if full else " *")
             for i, (s, v, wc, c, cpo, full) in enumerate(pts, 1)]
    lines += ["", "* priced below the headline's sizes"]
    ncol = 1 if len(lines) <= 30 else 2            # the key grows with the catalog
    rows = -(-len(lines) // ncol)
    height = max(5.5, 0.16 * rows + 1.4)           # inches; 9 pt lines need ~0.15
    width = 10 if ncol == 1 else 14.5
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=0.09 * 10 / width, right=5.8 / width,
                        top=1 - 0.66 / height, bottom=0.6 / height)
    for i, (s, v, wc, c, cpo, full) in enumerate(pts, 1):
        ax.scatter(wc, c, s=36, facecolors="C0" if full else "none",
                   edgecolors="C0", zorder=3)
        ax.annotate(str(i), (wc, c), fontsize=9, xytext=(5, 2),
                    textcoords="offset points")
    for k in range(ncol):
        fig.text((6.1 + 4.3 * k) / width, 1 - 0.66 / height,
                 "\n".join(lines[k * rows:(k + 1) * rows]),
                 fontsize=9, va="top", family="monospace")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("headline wallclock (s, results.json)")
    ax.set_ylabel("ByteDMD cost to the headline result (main mode)")
    ax.set_title("Data movement to solve vs wallclock, one point per "
                 "stub and rule\n(hollow: step priced below the headline's "
                 "sizes)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.savefig(out, dpi=110)
    with open(os.path.splitext(out)[0] + ".json", "w") as f:
        json.dump([dict(slug=s, variant=v, wallclock_s=wc, cost_to_result=c,
                        cost_per_op=cpo, at_headline_size=full)
                   for s, v, wc, c, cpo, full in pts], f, indent=1)
    return out, pts


def summary(root=ROOT):
    """Markdown table: one row per stub and variant (main mode)."""
    rows = ["| stub | variant | knob | ops/step | cost/step (main) | cost/op "
            "| dev cost | bytes cost | peak live | exponent | cost to result "
            "| fallbacks |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in stubs(root):
        p = os.path.join(root, s, "dmd.json")
        if not os.path.isfile(p):
            continue
        with open(p) as f:
            rec = json.load(f)
        for v, r in rec["variants"].items():
            m = r["main"]
            rows.append("| %s | %s | %s=%s | %d | %d | %.1f | %d | %d | %d | "
                        "%s | %s | %s |" % (
                            s, v, r["knob"], r["size"], r["n_ops"], m["cost"],
                            m["cost_per_op"], r["dev"]["cost"],
                            m["cost_bytes"], m["peak_live"],
                            "%.2f" % r["scaling_exponent"]
                            if r.get("scaling_exponent") is not None else "-",
                            "%.3g" % r["cost_to_result"]
                            if r.get("cost_to_result") else "-",
                            sum(r["fallbacks"].values())))
    return "\n".join(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("slugs", nargs="*", help="stubs to measure")
    ap.add_argument("--all", action="store_true",
                    help="every stub that has an adapter")
    ap.add_argument("--variant", action="append",
                    help="only this variant (repeatable)")
    ap.add_argument("--sizes", type=int, nargs="+",
                    help="size-knob values of the scaling sweep")
    ap.add_argument("--missing", action="store_true",
                    help="list stubs without an adapter; exit 1 if any")
    ap.add_argument("--figure", action="store_true",
                    help="write dmd/cost_vs_wallclock.png")
    ap.add_argument("--summary", action="store_true",
                    help="print a markdown table of every <slug>/dmd.json")
    ap.add_argument("--stdout", action="store_true",
                    help="print the report instead of writing dmd.json")
    a = ap.parse_args(argv)
    if a.summary:
        print(summary())
        return 0
    if a.missing:
        miss = missing_adapters()
        print("\n".join("%s: no dmd/adapters/%s.py" % (m, m.replace("-", "_"))
                        for m in miss) if miss else "every stub has an adapter")
        rep = missing_reports()
        for m in rep:
            print("%s: no %s/dmd.json (python3 bin/dmd.py %s)" % (m, m, m))
        return 1 if miss or rep else 0
    from dmd import report
    from dmd.adapters import available
    slugs = available() if a.all else a.slugs
    if a.all:
        slugs = [s for s in slugs if s in stubs()]
    for s in slugs:
        if s.replace("-", "_") not in [x.replace("-", "_") for x in
                                       available()]:
            print("no adapter for %s (dmd/adapters/%s.py)"
                  % (s, s.replace("-", "_")), file=sys.stderr)
            return 2
        rec = report.build(s, variants=a.variant, sizes=a.sizes,
                           log=lambda msg: print(msg, file=sys.stderr))
        if a.stdout:
            print(json.dumps(rec, indent=1))
        else:
            print("wrote", report.write(s, rec))
    if a.figure:
        out, pts = figure()
        print("wrote %s (%d points)" % (out, len(pts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
