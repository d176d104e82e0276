#!/usr/bin/env python3
"""The catalog-wide figure: our headline number against the paper's, per stub.

    python3 bin/catalog_figure.py            # write docs/catalog_ratio.png and .json
    python3 bin/catalog_figure.py --check    # exit 1 if they are stale

For every stub with a valid headline record, the ratio ours / paper of the
headline metric on a log scale (1 = the paper's value), with the seed spread
(headline.std / paper) as an error bar where the record gives one, coloured
by the verdict. Stubs whose paper gives no number (or a word, "near zero")
are listed in the same figure without a point.

Staleness is judged on the data, not the pixels: the values the figure was
drawn from are written next to it (docs/catalog_ratio.json) and compared with
what the run records give now, so a different matplotlib does not make the
committed PNG "stale".
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog  # noqa: E402

PNG = catalog.RATIO_FIGURE
SIDECAR = os.path.splitext(PNG)[0] + ".json"
COLOURS = {"yes": "#009E73", "partial": "#E69F00", "no": "#D55E00"}  # colour-blind safe


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _r(v):
    """Rounded for the sidecar, so float noise below 6 digits is not 'stale'."""
    return None if v is None else float(f"{v:.6g}")


def figure_data(root):
    """[{slug, year, verdict, label, ours, paper, std, ratio, lo, hi, note}] by year."""
    rows = []
    for slug, rec in catalog.good_stubs(root):
        h = rec["headline"]
        ours, paper, std = h.get("ours"), h.get("paper"), h.get("std")
        row = {"slug": slug, "year": int(rec["paper"]["year"]), "verdict": h["reproduces"],
               "label": catalog.headline_label(h),
               "ours": _r(ours) if _num(ours) else catalog.fmt(ours),
               "paper": _r(paper) if _num(paper) else catalog.fmt(paper),
               "std": _r(std) if _num(std) else None,
               "ratio": None, "lo": None, "hi": None, "note": None}
        if not _num(paper) or paper == 0:
            row["note"] = ("the paper gives no number" if paper is None
                           else f"the paper says \u201c{paper}\u201d")
        elif not _num(ours) or ours / paper < 0:
            row["note"] = f"ours {catalog.fmt(ours)}, paper {catalog.fmt(paper)}: no positive ratio"
        else:
            ratio = ours / paper
            row["ratio"] = _r(ratio)
            if _num(std):
                spread = abs(std / paper)
                row["lo"], row["hi"] = _r(max(ratio - spread, 0.0)), _r(ratio + spread)
        rows.append(row)
    return rows


def draw(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

    n = len(rows)
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.6 * n), dpi=100)
    vals = [v for r in rows for v in (r["ratio"], r["hi"]) if v]   # 0 sits at the left edge
    span = max([abs(math.log10(v)) for v in vals] + [math.log10(2)]) * 1.25
    ax.set_xscale("log")
    ax.set_xlim(10 ** -span, 10 ** span)
    ax.axvline(1, color="0.4", ls="--", lw=1, zorder=1)
    ax.axvspan(1 / 1.2, 1.2, color="0.92", zorder=0)
    for i, r in enumerate(rows):
        colour = COLOURS.get(r["verdict"], "0.5")
        if r["ratio"] is None:
            ax.text(1, i, f"{r['note']} (ours {catalog.fmt(r['ours'])}; {r['verdict']})",
                    ha="center", va="center", fontsize=9, style="italic", color=colour)
            continue
        if r["lo"] is not None:   # a spread reaching zero runs off the log axis: arrow
            lo = max(r["lo"], 10 ** -span)
            ax.errorbar(r["ratio"], i, xerr=[[r["ratio"] - lo], [r["hi"] - r["ratio"]]],
                        fmt="none", ecolor=colour, elinewidth=2, capsize=4, zorder=2)
            if r["lo"] < 10 ** -span:
                ax.plot(lo, i, "<", ms=8, color=colour, zorder=4, clip_on=False)
        if r["ratio"] == 0:       # ours is 0: a triangle on the left edge, pointing off it
            ax.plot(10 ** (-0.93 * span), i, "<", ms=11, color=colour, mec="black", mew=0.6,
                    zorder=4, clip_on=False)
        else:
            ax.plot(r["ratio"], i, "o", ms=10, color=colour, mec="black", mew=0.6, zorder=3)
        ax.text(1.01, i, f"{catalog.fmt(r['ours'])} / {catalog.fmt(r['paper'])}"
                f" = {r['ratio']:.3g}", transform=ax.get_yaxis_transform(),
                va="center", fontsize=9)
    steps = ((0.001, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1000) if span > 1.5     # wide: decades
             else (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100))
    ticks = [t for t in steps if 10 ** -span <= t <= 10 ** span]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(n))
    ax.set_yticklabels([f"{r['slug']} ({r['year']})\n" + "\n".join(
                            textwrap.wrap(textwrap.shorten(r["label"], 84), 44))
                        for r in rows], fontsize=8.5)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel("ours / paper, headline metric (log scale; 1 = the paper's number, "
                  "grey band = within 20%)")
    counts = {v: sum(r["verdict"] == v for r in rows) for v in COLOURS}
    ax.set_title(f"Reproduced: {counts['yes']} yes, {counts['partial']} partial, "
                 f"{counts['no']} no (of {n} stubs); ratio of our headline to the paper's",
                 fontsize=11)
    ax.grid(axis="x", which="major", color="0.85", lw=0.6)
    handles = [Line2D([], [], marker="o", ls="", ms=9, color=c, mec="black", mew=0.6,
                      label=f"reproduces: {v}") for v, c in COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.06, 0.84, 1))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(root):
    rows = figure_data(root)
    draw(rows, os.path.join(root, PNG))
    with open(os.path.join(root, SIDECAR), "w") as fh:
        json.dump({"generated_by": "bin/catalog_figure.py", "rows": rows}, fh, indent=1,
                  ensure_ascii=False)
        fh.write("\n")
    return rows


def stale(root):
    """Problems (list of str): the figure is missing or was drawn from other data."""
    png, side = os.path.join(root, PNG), os.path.join(root, SIDECAR)
    if not os.path.isfile(png) or not os.path.isfile(side):
        return [f"{PNG} is missing: run python3 bin/catalog_figure.py"]
    with open(side) as fh:
        drawn = json.load(fh).get("rows")
    if drawn != figure_data(root):
        return [f"{PNG} is stale (the run records changed): run python3 bin/catalog_figure.py"]
    return []


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="repository root")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    if args.check:
        problems = stale(root)
        for p in problems:
            print(p)
        return 1 if problems else 0
    rows = write(root)
    print(f"wrote {PNG} and {SIDECAR} ({len(rows)} stubs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
