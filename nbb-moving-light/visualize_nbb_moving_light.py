"""Static figures for nbb-moving-light -> nbb-moving-light/viz/*.png.

Loads the saved headline runs (nbb_moving_light.saved_run: the 30 headline
seeds, continued past their solution); trains them once only if no cache
exists. The ablation figure reads the run record runs/ablation.json.

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
PAPER_CYCLES = 223
SEED_IDX = 9          # a run that starts wrong and learns (seed 0 needs 4089 cycles)


def hinton(ax, W, vmax):
    """Hinton diagram of a (rows, cols) weight block: square area ~ weight."""
    ax.set_facecolor("#f4f4f4")
    for (i, j), w in np.ndenumerate(W):
        s = np.sqrt(max(w, 0) / vmax) * 0.9
        ax.add_patch(plt.Rectangle((j - s / 2, i - s / 2), s, s, color="#1f4e79"))
    ax.set_xlim(-0.6, W.shape[1] - 0.4)
    ax.set_ylim(W.shape[0] - 0.4, -0.6)
    ax.set_aspect("equal")


def fig_training_curves(hist):
    n, acc, sub = hist["n"], hist["acc"], hist["substance"]
    rec = json.load(open(os.path.join(HERE, "results.json")))      # the headline run record
    sol = np.array(rec["metrics"]["cycles"])
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    for k in range(acc.shape[1]):
        ax.plot(n, acc[:, k] + 0.01 * (k % 5 - 2), color="0.8", lw=0.5)
    ax.plot(n, np.nanmean(acc, 1), color="C0", lw=2, label=f"mean of {acc.shape[1]} runs")
    ax.axvline(PAPER_CYCLES, color="C3", ls="--", label="paper: solved at ~223")
    ax.set_xlabel("training cycles (light sweeps)")
    ax.set_ylabel("directions solved, weights frozen (fraction of 2)")
    ax.set_ylim(0, 1.08)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"Frozen accuracy (mean of runs) climbs from {np.nanmean(acc[0]):.2f} "
                 f"to {np.nanmean(acc[-1]):.2f}", fontsize=10)
    ax = axes[1]
    for k in range(sub.shape[1]):
        ax.plot(n, sub[:, k], color="C1" if k == SEED_IDX else "C2",
                lw=2 if k == SEED_IDX else 0.5, label=f"seed {SEED_IDX}" if k == SEED_IDX else None)
    ax.set_yscale("log")
    ax.set_xlabel("training cycles")
    ax.set_ylabel("total weight substance  sum_ij w_ij")
    ax.set_title("Substance drains: every winner's inputs pay,\nonly the decision tick earns",
                 fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[2]
    ok = sol > 0
    ax.hist(sol[ok], bins=12, color="C0", alpha=0.8)
    ax.axvline(PAPER_CYCLES, color="C3", ls="--", label="paper mean 223")
    ax.axvline(sol[ok].mean(), color="C0", label=f"ours mean {sol[ok].mean():.0f}")
    ax.set_xlabel("cycles to a solution (headline run record)")
    ax.set_ylabel("runs")
    ax.legend(fontsize=8)
    ax.set_title(f"{ok.sum()}/{len(sol)} runs solve, {sol[ok].mean() / PAPER_CYCLES:.1f}x "
                 f"the paper's 223 cycles", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "training_curves.png"), dpi=90)
    plt.close(fig)


def snapshots(model, hist, k):
    i_sol = min(np.searchsorted(hist["n"], max(hist["solved_at"][k], 1)), len(hist["n"]) - 1)
    return [("initial", model["W0"][k]), (f"at the solution (cycle {hist['solved_at'][k]})",
                                          hist["W"][i_sol, k]),
            (f"after {hist['n'][-1]} cycles", model["W"][k])]


def fig_weights(model, hist, k=SEED_IDX):
    net = model["net"]
    n_in, out = net["n_in"], net["out"]
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.5))
    for ax, (name, W) in zip(axes, snapshots(model, hist, k)):
        block = W[:, out][np.r_[0:n_in, n_in:n_in + 2]]           # rows: inputs then outputs
        hinton(ax, block, W.max())
        ax.set_yticks(range(n_in + 2), ["on"] + [f"cell {c}" for c in range(1, n_in)] +
                      ["o0 (L->R)", "o1 (R->L)"])
        ax.axhline(n_in - 0.5, color="0.5", lw=0.8)
        ax.set_xticks(range(2), ["to o0", "to o1"])
        ax.set_title(name, fontsize=9)
    fig.suptitle(f"Seed {k} weights into the outputs (square area ~ weight; below the line: the "
                 "recurrent output -> output links)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "weights_hinton.png"), dpi=90)
    plt.close(fig)


def fig_output_traces(model, hist, k=SEED_IDX):
    """Which output is on at each tick of each sweep, frozen, at three moments."""
    cfg, net = model["cfg"], model["net"]
    fig, axes = plt.subplots(2, 3, figsize=(12, 4.5), sharex=True)
    for col, (name, W) in enumerate(snapshots(model, hist, k)):
        r = ml.present(W[None], np.array([[0, 1]]), cfg, net, None, learn=False)
        frames = ml.light_frames(cfg, net, np.array([0, 1]))
        for d in range(2):
            ax = axes[d, col]
            img = np.concatenate([frames[d, :, 1:net["n_in"]], r["out"][0, d]], 1).T   # (7, T)
            ax.imshow(img, cmap="Greys", vmin=0, vmax=1.4, aspect="auto", interpolation="nearest")
            right = r["out"][0, d, -1, d] == 1
            ax.add_patch(plt.Rectangle((cfg.ticks - 1.5, net["n_in"] - 1 + d - 0.5), 1, 1, fill=False,
                                       ec="C2" if right else "C3", lw=3))
            ax.axhline(net["n_in"] - 1.5, color="C0", lw=0.8)
            ax.set_yticks(range(net["n_in"] + 1), [f"cell {c}" for c in range(1, net["n_in"])] +
                          ["o0", "o1"], fontsize=7)
            ax.set_xticks(range(cfg.ticks), [str(t) for t in range(1, cfg.ticks + 1)])
            if d == 0:
                ax.set_title(name, fontsize=9)
            if col == 0:
                ax.set_ylabel(ml.DIRECTIONS[d], fontsize=9)
            if d == 1:
                ax.set_xlabel("tick")
    fig.suptitle(f"Seed {k}, weights frozen: the light (top rows) and the winning output per tick; "
                 "box = the decision at tick 6 (green right, red wrong)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "output_traces.png"), dpi=90)
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
    fig, ax = plt.subplots(figsize=(10, 4.5))
    colors = ["C0" if rows[k]["solve_rate"] >= 0.9 else "C1" if rows[k]["solve_rate"] >= 0.5
              else "C3" for k in names]
    ax.barh(range(len(names)), means, color=colors)
    for i, k in enumerate(names):
        ax.text((means[i] if means[i] == means[i] else 0) + 15, i,
                f"{rows[k]['n_solved']}/{n} solved", va="center", fontsize=8)
    ax.axvline(PAPER_CYCLES, color="C3", ls="--", label="paper 223")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("mean cycles to a solution (solved runs)")
    ax.set_title("A fixed payoff per connection (headline) lands near 223; the earlier reading "
                 "(Ext = eta c_ij, lam = 0.0012) needs 3x as many cycles", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "ablation.png"), dpi=90)
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    model, hist = ml.saved_run()
    fig_training_curves(hist)
    fig_weights(model, hist)
    fig_output_traces(model, hist)
    fig_ablation()
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
