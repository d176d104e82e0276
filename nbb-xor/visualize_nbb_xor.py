"""Static figures for nbb-xor -> nbb-xor/viz/*.png.

Loads the saved headline run (nbb_xor.saved_run(): the default Config, i.e. the
headline command's run on the reporting seeds); trains it once only if no
cache exists. The curves use every run; the weight figures show the showcase
run: of the runs whose weights the history keeps, the one whose solution count
is closest to the median over all runs. The ablation figure reads
runs/ablation.json.

    python3 nbb-xor/visualize_nbb_xor.py
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
import nbb_xor as nx  # noqa: E402

VIZ = os.path.join(HERE, "viz")
PATTERN_NAMES = ["00", "01", "10", "11"]
PAPER_N = nx.PAPER["metrics"]["mean_presentations"]


def showcase(cfg, history):
    """(index, seed, solved_at, median): the kept run closest to the median solution count."""
    sol = history["3hidden"]["solved_at"]
    med = float(np.median(sol[sol > 0]))
    kept = history["stability"]["W"].shape[1]
    k = int(np.argmin(np.where(sol[:kept] > 0, np.abs(sol[:kept] - med), np.inf)))
    return k, cfg.seed + k, int(sol[k]), med


def bands(ax, n, values, color, label):
    """Median line with 25-75% and 10-90% bands over runs (columns)."""
    q = np.nanpercentile(values, [10, 25, 50, 75, 90], axis=1)
    ax.fill_between(n, q[0], q[4], color=color, alpha=0.15, lw=0, label="10-90% of runs")
    ax.fill_between(n, q[1], q[3], color=color, alpha=0.35, lw=0, label="25-75% of runs")
    ax.plot(n, q[2], color=color, lw=2, label=label)


def fig_training_curves(cfg, history):
    sol = history["3hidden"]["solved_at"]
    st = history["stability"]
    S = len(sol)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    ax = axes[0]
    grid = np.arange(0, cfg.max_presentations + 1)
    frac = (sol[None, :] > 0) & (sol[None, :] <= grid[:, None])
    ax.plot(grid, frac.mean(1), color="C0", lw=2, label=f"fraction of {S} runs with a solution")
    ax.axvline(PAPER_N, color="C3", ls="--", label=f"paper: mean {PAPER_N}")
    ax.axvline(sol[sol > 0].mean(), color="C0", ls=":", label=f"ours: mean {sol[sol > 0].mean():.0f}")
    ax.set_xscale("log")
    ax.set_xlim(10, cfg.max_presentations)
    ax.set_xlabel("training presentations (log)")
    ax.set_ylabel("fraction of runs solved (sliding criterion)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(f"{(sol > 0).sum()}/{S} runs find a solution; half by {np.median(sol[sol > 0]):.0f} "
                 "presentations", fontsize=10)
    ax = axes[1]
    ax.plot(st["n"], np.nanmean(st["acc"], 1), color="C0", lw=1.5,
            label="mean frozen accuracy (fraction of 4 patterns)")
    ax.plot(st["n"], (st["acc"] == 1).mean(1), color="C1", lw=1.5,
            label="fraction of runs whose weights solve all four")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("training presentations (every run continued past its solution)")
    ax.set_ylabel(f"over {S} runs")
    ax.legend(fontsize=8, loc="center right")
    ax.set_title("Solutions come and go: at any moment only a minority\nof runs holds all four "
                 "patterns in one weight state", fontsize=10)
    ax = axes[2]
    bands(ax, st["n"], st["substance"], "C2", "median run")
    ax.set_yscale("log")
    ax.set_xlabel("training presentations")
    ax.set_ylabel("total weight substance  sum_ij w_ij")
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title("Dissipation: substance drains until the payoff\nat the correct output balances the payouts", fontsize=10)
    fig.savefig(os.path.join(VIZ, "training_curves.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def hinton(ax, W, title, vmax):
    """Hinton diagram of a (rows, cols) weight block: square area ~ weight."""
    ax.set_facecolor("#f4f4f4")
    for (i, j), w in np.ndenumerate(W):
        s = np.sqrt(max(w, 0) / vmax) * 0.9
        ax.add_patch(plt.Rectangle((j - s / 2, i - s / 2), s, s, color="#1f4e79"))
    ax.set_xlim(-0.6, W.shape[1] - 0.4)
    ax.set_ylim(W.shape[0] - 0.4, -0.6)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)


def fig_weights(cfg, model, history):
    k, seed, solved, med = showcase(cfg, history)
    net, st = model["stability"]["net"], history["stability"]
    hid, out = net["hid"], net["out"]
    i_sol = min(np.searchsorted(st["n"], solved), len(st["n"]) - 1)
    snaps = [("initial", model["stability"]["W0"][k]),
             (f"at its solution ({solved})", st["W"][i_sol, k]),
             (f"after {st['n'][-1]}", model["stability"]["W"][k])]
    vmax = max(W.max() for _, W in snaps)
    fig, axes = plt.subplots(2, 3, figsize=(11, 7), constrained_layout=True)
    into_out = np.r_[np.arange(net["n_in"]), np.arange(net["N"])[hid]]   # inputs, then hidden
    names = ["on", "x1", "x2"] + [f"h{j}" for j in range(len(into_out) - 3)]
    for col, (name, W) in enumerate(snaps):
        hinton(axes[0, col], W[:net["n_in"], hid], f"input -> hidden, {name}", vmax)
        axes[0, col].set_yticks(range(3), names[:3])
        axes[0, col].set_xticks(range(len(into_out) - 3), names[3:])
        hinton(axes[1, col], W[into_out][:, out], "input and hidden -> output", vmax)
        axes[1, col].set_yticks(range(len(into_out)), names)
        axes[1, col].set_xticks(range(2), ["o0", "o1"])
        axes[1, col].set_xlabel("output (o0: XOR = 0, o1: XOR = 1)", fontsize=8)
    fig.suptitle(f"Seed {seed} (solution at {solved}; median over runs {med:.0f}), square area ~ "
                 "weight, one scale for all panels:\nsubstance drains, and the weights into o0 and "
                 "o1 drift to the same level, so solutions come and go", fontsize=10)
    fig.savefig(os.path.join(VIZ, "weights_hinton.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_hidden_winners(cfg, model, history):
    """Which hidden unit wins each pattern, and is the frozen answer right, over training."""
    k, seed, solved, _ = showcase(cfg, history)
    st, m = history["stability"], model["stability"]
    W_t = st["W"][:, k]                                            # (R, N, N)
    pats = np.broadcast_to(np.arange(4), (len(W_t), 4))
    ok, r = nx.test_patterns(W_t, pats, m["net"], m["rule"], None)
    win = r["hid"][:, :, -1, :].argmax(-1)                         # (R, 4)
    fig, axes = plt.subplots(2, 1, figsize=(11, 4.4), sharex=True, constrained_layout=True)
    cmap = matplotlib.colors.ListedColormap(["#4c72b0", "#dd8452", "#55a868"])
    ext = [st["n"][0], st["n"][-1], 3.5, -0.5]
    axes[0].imshow(win.T, aspect="auto", cmap=cmap, interpolation="nearest", extent=ext)
    axes[0].set_title(f"Seed {seed}: winning hidden unit per pattern (blue h0, orange h1, green h2)",
                      fontsize=10)
    axes[1].imshow(ok.T, aspect="auto", cmap="RdYlGn", vmin=0, vmax=1, interpolation="nearest",
                   extent=ext)
    axes[1].set_xlabel("training presentations")
    axes[1].set_title(f"Frozen test correct (green) / wrong (red); dashed: solution found at {solved}",
                      fontsize=10)
    for ax in axes:
        ax.set_yticks(range(4), PATTERN_NAMES)
        ax.set_ylabel("pattern")
        ax.axvline(solved, color="k", ls="--", lw=1)
    fig.savefig(os.path.join(VIZ, "hidden_winners.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_ablation():
    path = os.path.join(HERE, "runs", "ablation.json")
    if not os.path.exists(path):
        print("no runs/ablation.json; skipping the ablation figure")
        return
    rec = json.load(open(path))
    rows = rec["metrics"]["ablation"]
    names = list(rows)
    means = [rows[k]["mean_presentations"] or np.nan for k in names]
    n = rec["metrics"]["n_seeds"]
    fig, ax = plt.subplots(figsize=(10, 5.5), constrained_layout=True)
    colors = ["C0" if rows[k]["solve_rate"] >= 0.95 else "C1" for k in names]
    ax.barh(range(len(names)), means, color=colors)
    for i, k in enumerate(names):
        ax.text(np.nanmax(means) * 1.03, i, f"{rows[k]['n_solved']}/{n} solved",
                va="center", fontsize=8)
    ax.axvline(PAPER_N, color="C3", ls="--", label=f"paper {PAPER_N}")
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -1.3)
    ax.set_xlim(0, np.nanmax(means) * 1.22)
    ax.set_xlabel(f"mean presentations to a solution (solved runs; development seeds "
                  f"{rec['seeds']['used'][0]}-{rec['seeds']['used'][1] - 1})")
    ax.set_title("Direct links, the payoff, lam and the initial weights move the count; ties do "
                 "not\n(blue: >= 95% of runs solved, orange: fewer)", fontsize=10)
    ax.text(PAPER_N, -0.7, f" paper {PAPER_N}", color="C3", fontsize=9, va="bottom")
    fig.savefig(os.path.join(VIZ, "ablation.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = nx.saved_run()
    fig_training_curves(cfg, history)
    fig_weights(cfg, model, history)
    fig_hidden_winners(cfg, model, history)
    fig_ablation()
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
