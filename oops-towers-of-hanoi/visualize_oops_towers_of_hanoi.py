"""Static figures for oops-towers-of-hanoi -> oops-towers-of-hanoi/viz/*.png.

Loads the headline run saved by `python3 oops-towers-of-hanoi/oops_towers_of_hanoi.py`
(oops-towers-of-hanoi/.cache/) through saved_run(), which runs the search once only
when no saved run exists. Traces re-run the frozen solvers with the stub's own step().

  python3 oops-towers-of-hanoi/visualize_oops_towers_of_hanoi.py
"""
from __future__ import annotations

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oops_towers_of_hanoi as oops  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COL = {"A": "#4c72b0", "B": "#dd8452"}


def load():
    return oops.saved_run(oops.make_config())


def trace(model, cfg, family="hanoi", n=3, pegs=(1, 2, 3)):
    """Step the frozen solver of `family` on one instance: list of (ip - start, depth, tok,
    towers) after each executed instruction, from the stub's own step()."""
    s = model["solvers"][family]
    prog = model["code"][:s["end"]]
    x = oops.new_instance(family, n, s["start"], pegs)
    out = []
    while True:
        x = oops.unwind(x)
        if oops.solved(x) or x[0] >= len(prog):
            return out
        tok, ip = prog[x[0]], x[0]
        x = oops.step(x, prog, s["lib"], cfg.max_depth, cfg.max_ds)
        out.append((ip - s["start"], len(x[2]) - 1, tok, x[3]))


def fig_progress(cfg, history, path):
    recs = history["tasks"]
    k = np.arange(1, len(recs) + 1)
    steps = np.array([max(r["steps"], 1) for r in recs], float)
    total = np.array([r["total_steps"] for r in recs], float)
    nodes = np.array([max(r["nodes"], 1) for r in recs], float)
    fig, (a, b) = plt.subplots(1, 2, figsize=(12.5, 4.4), constrained_layout=True)
    for kind in ("A", "B"):
        m = np.array([r["search"] == kind for r in recs])
        a.scatter(k[m], steps[m], color=COL[kind], s=28, zorder=3,
                  label=f"solved by {'prolonging the last solver (A)' if kind == 'A' else 'a fresh program (B)'}")
        b.scatter(k[m], nodes[m], color=COL[kind], s=28, zorder=3)
    a.plot(k, total, color="0.3", lw=1.2, label="cumulative time steps")
    for r, kk in zip(recs, k):
        if r["search"] == "B":
            left = r["family"] == "hanoi"
            a.annotate(" ".join(r["new_tokens"]), (kk, max(r["steps"], 1)), fontsize=7,
                       xytext=(-6 if left else 6, -3), textcoords="offset points",
                       ha="right" if left else "left", va="center")
    n12 = sum(r["family"] == "onetwo" for r in recs)
    for ax in (a, b):
        ax.set_yscale("log")
        ax.axvline(n12 + 0.5, color="0.6", ls=":", lw=1)
        ax.set_xlabel(f"task in sequence (1..{n12}: 1^n 2^n with n = task; then Hanoi n = 1, 2, ...)")
    a.set_ylabel("time steps (instructions executed)")
    b.set_ylabel("prefixes tested (Try calls)")
    a.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8, ncol=2)
    a.set_ylim(10, max(total) * 8)
    a.set_title(f"General solvers appear fresh at 1^n2^n n = {general(recs, 'onetwo')} and Hanoi "
                f"n = {general(recs, 'hanoi')};\nevery later n is solved by the frozen code "
                "at the cost of running it", fontsize=10)
    b.set_title("Search effort per task: prefixes tested over both searches and all phases",
                fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def general(recs, fam):
    rs = [r for r in recs if r["family"] == fam and r["solved"]]
    if not rs:
        return 0
    n = rs[-1]["n"]
    for r in reversed(rs):
        if r["solver"] != rs[-1]["solver"]:
            break
        n = r["n"]
    return n


def fig_cost_vs_paper(cfg, history, path):
    recs = history["tasks"]
    P = oops.PAPER
    fig, (a, b) = plt.subplots(1, 2, figsize=(12.5, 4.4), constrained_layout=True)
    for fam, mk in (("onetwo", "o"), ("hanoi", "s")):
        rs = [r for r in recs if r["family"] == fam]
        a.plot([r["n"] for r in rs], [r["total_steps"] for r in rs], mk + "-", ms=4,
               label=f"ours, {'1^n 2^n' if fam == 'onetwo' else 'Hanoi'} (cumulative)")
    a.axhline(P["metrics"]["onetwo_first_steps"], color="#c44e52", ls="--", lw=1,
              label=f"paper: 1^n 2^n n=1 solved at {P['metrics']['onetwo_first_steps']:,} steps")
    a.set_yscale("log")
    a.set_xscale("log")
    a.set_xlabel("n (task size)")
    a.set_ylabel("cumulative time steps when task n is solved")
    a.legend(fontsize=8, loc="lower right")
    a.set_title("Cost per n in time steps: each recursive solver costs one jump,\nthen n grows "
                "almost for free (the paper states only n = 1 in steps)", fontsize=10)
    cum = np.cumsum([r["cpu_s"] for r in recs])
    names = [f"{r['family']} {r['n']}" for r in recs]
    ms = P["milestones_s"]
    ours = [cum[names.index(k)] if k in names else np.nan for k in ms if k != "hanoi (universal)"]
    hg = general(recs, "hanoi")
    ours.append(cum[names.index(f"hanoi {hg}")] if hg else np.nan)
    x = np.arange(len(ms))
    b.bar(x - 0.2, list(ms.values()), 0.4, color="#c44e52", label="paper (stated wallclock, 2002 PC)")
    b.bar(x + 0.2, ours, 0.4, color="#4c72b0", label="ours (CPU seconds, Python, this box)")
    b.set_xticks(x)
    b.set_xticklabels(list(ms.keys()), rotation=20, fontsize=8)
    b.set_yscale("log")
    b.set_ylabel("time when solved (s, cumulative)")
    b.legend(fontsize=8, loc="upper left")
    b.set_title("Milestones in seconds: ours (10-token language, Python) and the paper's\n"
                "(61+ tokens, 2002 PC; n = 1 and n = 4 are upper bounds)", fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_trace(cfg, model, path, n=3):
    tr = trace(model, cfg, "hanoi", n)
    toks = model["solvers"]["hanoi"]["tokens"]
    t = np.arange(1, len(tr) + 1)
    fig, (a, b) = plt.subplots(2, 1, figsize=(12, 5.6), sharex=True, constrained_layout=True,
                               gridspec_kw={"height_ratios": [2.2, 1]})
    a.step(t, [ip for ip, _, _, _ in tr], where="mid", color="0.5", lw=0.8)
    sc = a.scatter(t, [ip for ip, _, _, _ in tr], c=[d for _, d, _, _ in tr], cmap="viridis",
                   s=22, zorder=3)
    mv = [i for i, (_, _, tok, _) in enumerate(tr) if tok == "mvdsk"]
    a.scatter(t[mv], [tr[i][0] for i in mv], s=110, facecolors="none", edgecolors="#c44e52",
              lw=1.5, label="mvdsk (a disc moves)")
    a.set_yticks(range(len(toks)))
    a.set_yticklabels([f"{i}: {w}" for i, w in enumerate(toks)], fontsize=8)
    a.invert_yaxis()
    a.set_ylabel("instruction executed")
    a.legend(loc="lower right", fontsize=8)
    fig.colorbar(sc, ax=a, label="call depth", ticks=range(1, n + 1), pad=0.01)
    a.set_title(f"The found Hanoi solver on n = {n}: {len(tr)} instructions, {len(mv)} moves "
                f"(2^{n} - 1 = {2 ** n - 1}); calltp recurses with n - 1", fontsize=10)
    pos = np.array([[next(p for p in (1, 2, 3) if d in tw[p]) for d in range(1, n + 1)]
                    for _, _, _, tw in tr])
    for d in range(n):
        b.plot(t, pos[:, d] + 0.12 * (d - (n - 1) / 2), lw=2, drawstyle="steps-post",
               label=f"disc {d + 1}")
    b.set_yticks([1, 2, 3])
    b.set_yticklabels(["peg S (1)", "peg A (2)", "peg D (3)"])
    b.set_xlabel("time step")
    b.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    b.set_title("Where each disc is (1 = smallest)", fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = load()
    fig_progress(cfg, history, os.path.join(VIZ, "search_progress.png"))
    fig_cost_vs_paper(cfg, history, os.path.join(VIZ, "cost_vs_paper.png"))
    if "hanoi" in model["solvers"]:
        fig_trace(cfg, model, os.path.join(VIZ, "hanoi_trace.png"))
    print(f"figures -> {VIZ}")


if __name__ == "__main__":
    main()
