"""Static figures for levin-add-positions -> levin-add-positions/viz/*.png.

Loads the headline run saved by `python3 levin-add-positions/levin_add_positions.py`
(levin-add-positions/.cache/) through saved_run(), which runs the searches once only
when no saved run exists. Programs are executed with the stub's own interpreter
(trace_program, program_weights); the gradient-descent nets are the saved run's.

  python3 levin-add-positions/visualize_levin_add_positions.py
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
import levin_add_positions as lap  # noqa: E402

VIZ = os.path.join(HERE, "viz")
CTX = lap.PAPER["context"]
STATUS = {lap.HALTED: "Stop / end of tape", lap.ERROR: "impossible step", lap.TIMEOUT: "time limit T"}


def load():
    return lap.saved_run(lap.make_config())


def canonical(cfg):
    l = lap.shape_bits(tuple(lap.CANONICAL[i] for i in (0, 2, 4, 6)), cfg.work_cells)
    w, steps, _ = lap.program_weights(lap.CANONICAL, cfg, 100000)
    return l, steps, int(np.ceil(l + np.log2(steps))), w


def fig_search_progress(cfg, model, path):
    phases = model["plain_phases"]
    ks = np.array([ph["phase"] for ph in phases])
    n = np.array([ph["n_programs"] for ph in phases], float)
    l, steps, k_star, _ = canonical(cfg)
    fig, ax = plt.subplots(figsize=(10, 4.4))
    per = np.array([ph["per_len"] for ph in phases])              # (K, max_len + 1)
    lens = [L for L in range(per.shape[1]) if per[:, L].any()]
    bottom = np.zeros(len(ks))
    for i, L in enumerate(lens):                                   # programs run, by length
        ax.bar(ks, per[:, L], bottom=bottom, width=0.8, label=f"{L} tokens",
               color=plt.get_cmap("viridis")(i / max(1, len(lens) - 1)))
        bottom += per[:, L]
    grow = np.polyfit(ks[-6:], np.log2(n[-6:]), 1)                # programs double every ~1/slope
    kk = np.arange(ks[-1] + 1, k_star + 1)
    ax.plot(kk, 2 ** np.polyval(grow, kk), "o--", color="gray", ms=4,
            label=f"extrapolated (x{2 ** grow[0]:.2f} per phase, fitted on phases "
                  f"{ks[-6]}-{ks[-1]})")
    ax.axvline(k_star, color="#c44e52", lw=2,
               label=f"hand-written solution: l = {l:.1f} bits, {steps} steps -> phase {k_star}")
    ax.set_yscale("log")
    ax.set_xlabel("phase k")
    ax.set_ylim(0.8, 1e11)
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=3)
    ax.set_ylabel("programs run in the phase (every l <= k)")
    ax.set_title(f"Plain Levin search finds no fit in phases 1-{ks[-1]} "
                 f"({int(n[-1]):,} programs); a loop writing w_i = i first fits in phase "
                 f"{k_star}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_runs(cfg, model, records, path):
    """Fits per run against the paper's, with a 95% upper bound when there are none; and
    how the runs of one search end."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.4))
    paper = lap.PAPER["metrics"]["fits_per_run"]
    for i, (name, m) in enumerate(records):
        n, N = m["n_solved"], m["total_runs"]
        if n == 0:                                                 # 95% upper bound 3/N
            y = 3.0 / N
            a.plot([i], [y], "v", ms=10, color="#4c72b0")
        else:                                                      # rate, ~95% Poisson band
            y = n / N
            lo, hi = max(n - 2 * np.sqrt(n), 0.3) / N, (n + 2 * np.sqrt(n) + 1) / N
            a.errorbar([i], [y], yerr=[[y - lo], [hi - y]], fmt="o", ms=8, color="#55a868",
                       capsize=4)
        a.text(i, y * 1.6, f"{n} fits in\n{N:.2g} runs", ha="center", fontsize=8.5)
    a.axhline(paper, color="k", ls="--", label=f"paper: 10 fits in {CTX['runs_total']:.2g} runs")
    a.set_xticks(range(len(records)))
    a.set_xticklabels([r[0] for r in records], fontsize=8.5)
    a.set_xlim(-0.6, len(records) - 0.4)
    a.set_yscale("log")
    a.set_ylim(paper / 30, paper * 30)
    a.set_ylabel("fits per run (triangle: 95% bound if none; bar: ~95% band)")
    a.tick_params(axis="x", labelsize=8)
    a.legend(loc="upper right", fontsize=8.5, frameon=False)
    a.set_title("probabilistic Levin search", fontsize=10)
    first = model["prob"]["first_chunk"]
    for s, c in ((lap.HALTED, "#55a868"), (lap.ERROR, "#c44e52"), (lap.TIMEOUT, "#8172b2")):
        st = first["steps"][first["status"] == s]
        b.hist(np.maximum(st, 1), bins=np.logspace(0, 13.5 * np.log10(2), 28), color=c,
               alpha=0.7, label=f"{STATUS[s]}: {len(st) / len(first['steps']):.0%}")
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_xlabel("steps the run executed")
    b.set_ylabel("runs")
    b.legend(loc="upper right", fontsize=8.5, frameon=False)
    b.set_title(f"how the first {len(first['steps']):,} runs of seed {cfg.seed} end "
                f"(mean {first['steps'].mean():.1f} steps)", fontsize=10)
    geo = max((r for r in records if "uniform" not in r[0]), key=lambda r: r[1]["total_runs"])[1]
    uni = [r[1] for r in records if "uniform" in r[0]]
    extra = (f"; uniform law: {uni[0]['n_solved']} in {uni[0]['total_runs']:.2g}" if uni else "")
    fig.suptitle(f"Fits per run: geometric time law {geo['n_solved']} in {geo['total_runs']:.2g} "
                 f"runs{extra} (paper: {CTX['fits']} in {CTX['runs_total']:.2g})", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_trace(cfg, path, first=16):
    tr = lap.trace_program(lap.CANONICAL, cfg)
    ips = np.array([t[0] for t in tr[:-1]])
    ops = [t[1] for t in tr[:-1]]
    wp = np.array([t[3] for t in tr])
    counter = np.array([t[2][cfg.work_cells - 1] for t in tr])     # cell -1
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2))
    n = min(first, len(ips))
    a.plot(np.arange(n), ips[:n], "o-", color="#4c72b0")
    for t in range(n):
        a.annotate(lap.NAMES[ops[t]], (t, ips[t]), textcoords="offset points", xytext=(0, 7),
                   ha="center", fontsize=7.5)
    a.set_ylim(ips.min() - 1, ips.max() + 1.5)
    a.set_xlabel("time step")
    a.set_ylabel("instruction pointer (address)")
    a.set_title(lap.program_text(lap.CANONICAL), fontsize=9)
    b.plot(np.arange(len(wp)), wp, color="#c44e52", lw=2, label="weights written (WP)")
    b.plot(np.arange(len(counter)), counter, color="#55a868", lw=1.5, ls="--",
           label="counter c[-1]")
    b.set_xlabel("time step")
    b.legend(loc="upper left", fontsize=9, frameon=False)
    b.set_title(f"halts at step {len(ips)} on the write of weight {cfg.n_inputs + 1}",
                fontsize=10)
    fig.suptitle("The hand-written solution (not found by the search within its budget): "
                 "3 steps per weight, so the time budget binds", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_weights(cfg, model, ev, path):
    _, _, _, w = canonical(cfg)
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2))
    i = np.arange(cfg.n_inputs)
    a.plot(i, w, color="#55a868", lw=3, label="program: w_i = i")
    for k, c in (("zero", "#c44e52"), ("random", "#8172b2")):
        a.plot(i, model["gd"][k]["w"], ".", color=c, ms=5, label=f"gradient descent from {k}")
    a.plot(lap.TRAIN_ON.ravel(), model["gd"]["zero"]["w"][lap.TRAIN_ON.ravel()], "o", mfc="none",
           color="k", ms=9, label="training on-bits")
    a.set_xlabel("input unit i")
    a.set_ylabel("weight w_i")
    a.legend(loc="upper left", fontsize=8.5, frameon=False)
    a.set_title("emitted weights vs. descended weights", fontsize=10)
    test_on = lap.test_inputs(cfg.n_inputs, cfg.n_on, lap.TRAIN_ON)
    err = model["gd"]["zero"]["w"][test_on].sum(-1) - test_on.sum(-1)
    b.hist(err, bins=60, color="#c44e52", alpha=0.8)
    b.axvline(0, color="#55a868", lw=2, label="the program's net: error 0 on every input")
    b.set_xlabel("output - target on the unseen inputs")
    b.set_ylabel("inputs")
    b.legend(loc="upper left", fontsize=8.5, frameon=False)
    b.set_title(f"gradient descent from zero: exact on {ev['gd_zero_test_exact']:.2%} of "
                f"{ev['n_test']:,} unseen inputs", fontsize=10)
    fig.suptitle("Both fit the 3 training examples exactly; only the program generalises",
                 fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def records():
    import json
    out = []
    for name, p in (("headline", "results.json"), ("paper budget", "runs/paper_budget.json"),
                    ("uniform time law\n(ablation)", "runs/time_law_uniform.json")):
        try:
            with open(os.path.join(HERE, p)) as f:
                out.append((name, json.load(f)["metrics"]))
        except (OSError, ValueError):
            pass
    return out


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = load()
    ev = lap.evaluate(model, cfg)
    fig_search_progress(cfg, model, os.path.join(VIZ, "search_progress.png"))
    fig_runs(cfg, model, records(), os.path.join(VIZ, "runs_vs_paper.png"))
    fig_trace(cfg, os.path.join(VIZ, "program_trace.png"))
    fig_weights(cfg, model, ev, os.path.join(VIZ, "emitted_weights.png"))
    print(f"wrote {VIZ}/*.png")


if __name__ == "__main__":
    main()
