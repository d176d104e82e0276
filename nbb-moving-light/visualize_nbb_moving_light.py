"""Static figures for nbb-moving-light -> nbb-moving-light/viz/*.png.

Loads the saved headline run (nbb_moving_light.saved_run(): the default Config,
i.e. the headline command's run on the reporting seeds, continued to 3000
cycles); trains it once only if no cache exists. The curves use every run; the
weight and trace figures show the showcase run (see showcase()). The ablation
figure reads runs/ablation.json.

    python3 nbb-moving-light/visualize_nbb_moving_light.py
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nbb_moving_light as ml  # noqa: E402

VIZ = os.path.join(HERE, "viz")
PAPER_CYCLES = ml.PAPER["metrics"]["mean_cycles"]


def showcase(cfg, model, history):
    """(index, seed, solved_at, median, how many runs are like it).

    Of the runs whose weights the history keeps: one that starts wrong, learns,
    holds both directions for stable_window cycles and still solves both at the
    end (the most common fate), with the solution count closest to the median.
    """
    sw, st = history["sweep"], history["stability"]
    kept = st["W"].shape[1]
    sol = sw["solved_at"]
    med = float(np.median(sol[sol > 0]))
    final_ok = ml.frozen_test(model["stability"])["solved_directions"].all(1)
    cand = (sol > 0) & ~sw["solved_initially"] & (st["stable_at"] > 0) & final_ok
    k = int(np.argmin(np.where(cand[:kept], np.abs(sol[:kept] - med), np.inf)))
    return k, cfg.seed + k, int(sol[k]), med, int(cand.sum())


def bands(ax, n, values, color, label):
    """Median line with 25-75% and 10-90% bands over runs (columns)."""
    q = np.nanpercentile(values, [10, 25, 50, 75, 90], axis=1)
    ax.fill_between(n, q[0], q[4], color=color, alpha=0.15, lw=0, label="10-90% of runs")
    ax.fill_between(n, q[1], q[3], color=color, alpha=0.35, lw=0, label="25-75% of runs")
    ax.plot(n, q[2], color=color, lw=2, label=label)


def fig_training_curves(cfg, history):
    sol = history["sweep"]["solved_at"]
    st = history["stability"]
    S = len(sol)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    ax = axes[0]
    grid = np.arange(1, cfg.max_cycles + 1)
    frac = (sol[None, :] > 0) & (sol[None, :] <= grid[:, None])
    ax.plot(grid, frac.mean(1), color="C0", lw=2, label=f"fraction of {S} runs with a solution")
    ax.axvline(PAPER_CYCLES, color="C3", ls="--", label=f"paper: mean {PAPER_CYCLES}")
    ax.axvline(sol[sol > 0].mean(), color="C0", ls=":", label=f"ours: mean {sol[sol > 0].mean():.0f}")
    ax.set_xscale("log")
    ax.set_xlim(1, cfg.max_cycles)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("training cycles (light sweeps, log)")
    ax.set_ylabel("fraction of runs solved")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(f"{(sol > 0).sum()}/{S} runs learn the direction; the rest never do\n"
                 f"(runs right from the start count within a few cycles)", fontsize=10)
    ax = axes[1]
    ax.plot(st["n"], np.nanmean(st["acc"], 1), color="C0", lw=1.5,
            label="mean frozen accuracy (fraction of 2 directions)")
    ax.plot(st["n"], (st["acc"] == 1).mean(1), color="C1", lw=1.5,
            label="fraction of runs whose weights solve both")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("training cycles (every run continued past its solution)")
    ax.set_ylabel(f"over {S} runs")
    ax.legend(fontsize=8, loc="lower right")
    end = (st["acc"][-1] == 1).mean()
    ax.set_title(f"Most solutions last: at the end {end:.0%} of runs answer both\ndirections "
                 f"({(sol > 0).mean():.0%} ever found a solution)", fontsize=10)
    ax = axes[2]
    bands(ax, st["n"], st["substance"], "C2", "median run")
    ax.set_yscale("log")
    ax.set_xlabel("training cycles")
    ax.set_ylabel("total weight substance  sum_ij w_ij")
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title("Substance drains: every winner's inputs pay,\nonly the decision tick earns",
                 fontsize=10)
    fig.savefig(os.path.join(VIZ, "training_curves.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def hinton(ax, W, vmax):
    """Hinton diagram of a (rows, cols) weight block: square area ~ weight."""
    ax.set_facecolor("#f4f4f4")
    for (i, j), w in np.ndenumerate(W):
        s = np.sqrt(max(w, 0) / vmax) * 0.9
        ax.add_patch(plt.Rectangle((j - s / 2, i - s / 2), s, s, color="#1f4e79"))
    ax.set_xlim(-0.6, W.shape[1] - 0.4)
    ax.set_ylim(W.shape[0] - 0.4, -0.6)
    ax.set_aspect("equal")


def snapshots(model, history, k):
    st, m = history["stability"], model["stability"]
    solved = history["sweep"]["solved_at"][k]
    i_sol = min(np.searchsorted(st["n"], max(solved, 1)), len(st["n"]) - 1)
    return [("initial", m["W0"][k]), (f"at its solution (cycle {solved})", st["W"][i_sol, k]),
            (f"after {st['n'][-1]} cycles", m["W"][k])]


def fig_weights(cfg, model, history):
    k, seed, solved, med, like = showcase(cfg, model, history)
    net = model["stability"]["net"]
    n_in, out = net["n_in"], net["out"]
    snaps = snapshots(model, history, k)
    vmax = max(W.max() for _, W in snaps)
    fig, axes = plt.subplots(1, 3, figsize=(8, 5.2), constrained_layout=True)
    for ax, (name, W) in zip(axes, snaps):
        hinton(ax, W[:, out][np.r_[0:n_in, n_in:n_in + 2]], vmax)   # rows: inputs then outputs
        ax.set_yticks(range(n_in + 2), ["on"] + [f"cell {c}" for c in range(1, n_in)] +
                      ["o0 (L->R)", "o1 (R->L)"])
        ax.axhline(n_in - 0.5, color="0.5", lw=0.8)
        ax.set_xticks(range(2), ["to o0", "to o1"])
        ax.set_title(name, fontsize=9)
    fig.suptitle(f"Seed {seed} (starts wrong, solution at {solved}; median over runs {med:.0f}):\n"
                 "weights into the outputs, one scale for all panels; substance drains\n(square area "
                 "~ weight; below the line the recurrent output -> output links)", fontsize=10)
    fig.savefig(os.path.join(VIZ, "weights_hinton.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_output_traces(cfg, model, history):
    """Which output is on at each tick of each sweep, frozen, at three moments."""
    k, seed, solved, med, like = showcase(cfg, model, history)
    m = model["stability"]
    net, rule = m["net"], m["rule"]
    fig, axes = plt.subplots(2, 3, figsize=(12, 4.8), sharex=True, constrained_layout=True)
    frames = ml.light_frames(cfg.ticks, cfg.n_cells, net, np.array([0, 1]))
    for col, (name, W) in enumerate(snapshots(model, history, k)):
        r = ml.present(W[None], np.array([[0, 1]]), net, rule, None, learn=False)
        for d in range(2):
            ax = axes[d, col]
            img = np.concatenate([frames[d, :, 1:net["n_in"]], r["out"][0, d]], 1).T   # (7, T)
            ax.imshow(img, cmap="Greys", vmin=0, vmax=1.4, aspect="auto", interpolation="nearest")
            right = r["out"][0, d, -1, d] == 1
            ax.add_patch(plt.Rectangle((cfg.ticks - 1.5, net["n_in"] - 1 + d - 0.5), 1, 1, fill=False,
                                       ec="C2" if right else "C3", lw=3))
            ax.axhline(net["n_in"] - 1.5, color="C0", lw=0.8)
            ax.set_yticks(range(net["n_in"] + 1), [f"cell {c}" for c in range(1, net["n_in"])] +
                          ["o0", "o1"], fontsize=8)
            ax.set_xticks(range(cfg.ticks), [str(t) for t in range(1, cfg.ticks + 1)])
            if d == 0:
                ax.set_title(name, fontsize=9)
            if col == 0:
                ax.set_ylabel(ml.DIRECTIONS[d], fontsize=9)
            if d == 1:
                ax.set_xlabel("tick")
    fig.suptitle(f"Seed {seed}, weights frozen: the light (top rows, dark = lit) and the winning "
                 "output per tick; box = the decision at tick 6 (green right, red wrong).\nIt starts "
                 f"wrong, learns, and still answers both sweeps at the end, as {like} of "
                 f"{len(history['sweep']['solved_at'])} runs do", fontsize=10)
    fig.savefig(os.path.join(VIZ, "output_traces.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_ablation():
    path = os.path.join(HERE, "runs", "ablation.json")
    if not os.path.exists(path):
        print("no runs/ablation.json; skipping the ablation figure")
        return
    rec = json.load(open(path))
    rows = rec["metrics"]["ablation"]
    names = list(rows)
    means = [rows[k]["mean_cycles"] or np.nan for k in names]
    n = rec["metrics"]["n_seeds"]
    fig, ax = plt.subplots(figsize=(10, 5), constrained_layout=True)
    colors = ["C0" if rows[k]["solve_rate"] >= ml.PAPER["metrics"]["solve_rate"] else "C1"
              for k in names]
    ax.barh(range(len(names)), means, color=colors)
    for i, k in enumerate(names):
        ax.text(np.nanmax(means) * 1.03, i,
                f"{rows[k]['n_solved']}/{n} solved", va="center", fontsize=8)
    ax.axvline(PAPER_CYCLES, color="C3", ls="--", label=f"paper {PAPER_CYCLES}")
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -1.3)
    ax.set_xlim(0, np.nanmax(means) * 1.22)
    ax.set_xlabel(f"mean cycles to a solution (solved runs; development seeds "
                  f"{rec['seeds']['used'][0]}-{rec['seeds']['used'][1] - 1})")
    ax.set_title("A fixed payoff per connection (headline) lands near the paper's count;\n"
                 "the earlier reading (Ext = eta c_ij, smaller lam) needs several times as many "
                 "cycles (blue: solve rate >= the paper's, orange: lower)", fontsize=10)
    ax.text(PAPER_CYCLES, -0.7, f" paper {PAPER_CYCLES}", color="C3", fontsize=9, va="bottom")
    fig.savefig(os.path.join(VIZ, "ablation.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = ml.saved_run()
    fig_training_curves(cfg, history)
    fig_weights(cfg, model, history)
    fig_output_traces(cfg, model, history)
    fig_ablation()
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
