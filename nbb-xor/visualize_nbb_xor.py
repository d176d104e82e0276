"""Static figures for nbb-xor -> nbb-xor/viz/*.png.

Loads the saved headline runs (nbb_xor.saved_run: the 20 headline seeds,
continued past their solution); trains them once only if no cache exists.
The ablation figure reads the run record runs/ablation.json.

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


def hinton(ax, W, title, vmax=None):
    """Hinton diagram of a (rows, cols) weight block: square area ~ weight."""
    vmax = vmax or max(W.max(), 1e-12)
    ax.set_facecolor("#f4f4f4")
    for (i, j), w in np.ndenumerate(W):
        s = np.sqrt(max(w, 0) / vmax) * 0.9
        ax.add_patch(plt.Rectangle((j - s / 2, i - s / 2), s, s, color="#1f4e79"))
    ax.set_xlim(-0.6, W.shape[1] - 0.4)
    ax.set_ylim(W.shape[0] - 0.4, -0.6)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)


def fig_training_curves(model, hist):
    n, acc, sub = hist["n"], hist["acc"], hist["substance"]
    sol = hist["solved_at"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    for k in range(acc.shape[1]):
        ax.plot(n, acc[:, k], color="0.8", lw=0.5)
    ax.plot(n, np.nanmean(acc, 1), color="C0", lw=2, label="mean of 20 runs")
    ax.axvline(619, color="C3", ls="--", label="paper: solution at ~619")
    ax.set_xlabel("training presentations")
    ax.set_ylabel("patterns solved, weights frozen (of 4, as fraction)")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Frozen-weight accuracy hovers near 3/4:\nsolutions come and go", fontsize=10)
    ax = axes[1]
    for k in range(sub.shape[1]):
        ax.plot(n, sub[:, k], color="C2" if k else "C1", lw=0.6 if k else 2,
                label="seed 0" if k == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("training presentations")
    ax.set_ylabel("total weight substance  sum_ij w_ij")
    ax.set_title("Dissipation: substance drains where Ext\ncannot pay it back", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[2]
    rec = os.path.join(HERE, "results.json")   # the headline run record, when there
    if os.path.exists(rec):
        sol = np.array(json.load(open(rec))["metrics"]["presentations"])
    ok = sol > 0
    ax.hist(sol[ok], bins=12, color="C0", alpha=0.8)
    ax.axvline(619, color="C3", ls="--", label="paper mean 619")
    ax.axvline(sol[ok].mean(), color="C0", ls="-", label=f"ours mean {sol[ok].mean():.0f}")
    ax.set_xlabel("presentations to a solution (sliding criterion)")
    ax.set_ylabel("runs")
    ax.legend(fontsize=8)
    ax.set_title(f"{ok.sum()}/{len(sol)} runs find a solution;\nmean {sol[ok].mean():.0f} vs "
                 f"paper 619", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "training_curves.png"), dpi=90)
    plt.close(fig)


def fig_weights(model, hist, seed_idx=0):
    net = model["net"]
    hid, out = net["hid"], net["out"]
    i_sol = np.searchsorted(hist["n"], max(hist["solved_at"][seed_idx], 1))
    snaps = [("initial", model["W0"][seed_idx]),
             (f"at the solution (presentation {hist['solved_at'][seed_idx]})",
              hist["W"][min(i_sol, len(hist["n"]) - 1), seed_idx]),
             (f"after {hist['n'][-1]} presentations", model["W"][seed_idx])]
    fig, axes = plt.subplots(2, 3, figsize=(11, 7))
    for col, (name, W) in enumerate(snaps):
        vmax = W.max()
        hinton(axes[0, col], W[:net["n_in"], hid], f"input -> hidden, {name}", vmax)
        axes[0, col].set_yticks(range(3), ["on", "x1", "x2"])
        axes[0, col].set_xticks(range(W[:, hid].shape[1]), [f"h{k}" for k in range(3)])
        into_out = np.r_[np.arange(net["n_in"]), np.arange(net["N"])[hid]]   # inputs, then hidden
        hinton(axes[1, col], W[into_out][:, out], "input and hidden -> output", vmax)
        axes[1, col].set_yticks(range(len(into_out)),
                                ["on", "x1", "x2"] + [f"h{k}" for k in range(len(into_out) - 3)])
        axes[1, col].set_xticks(range(2), ["o0", "o1"])
        axes[1, col].set_xlabel("output (o0: XOR = 0, o1: XOR = 1)", fontsize=8)
    fig.suptitle("Seed 0 weights (square area ~ weight, each snapshot scaled to its largest): "
                 "the weights into o0 and o1 drift to the same level,\nso which output wins "
                 "hinges on small differences and solutions come and go", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "weights_hinton.png"), dpi=90)
    plt.close(fig)


def fig_hidden_winners(model, hist, seed_idx=0):
    """Which hidden unit wins each pattern, and is the frozen answer right, over training."""
    cfg = model["cfg"]
    net = model["net"]
    W_t = hist["W"][:, seed_idx]                                   # (R, N, N)
    pats = np.broadcast_to(np.arange(4), (len(W_t), 4))
    ok, r = nx.test_patterns(W_t, pats, cfg, net, None)
    win = r["hid"][:, :, -1, :].argmax(-1)                         # (R, 4)
    fig, axes = plt.subplots(2, 1, figsize=(11, 4.2), sharex=True)
    cmap = matplotlib.colors.ListedColormap(["#4c72b0", "#dd8452", "#55a868"])
    axes[0].imshow(win.T, aspect="auto", cmap=cmap, interpolation="nearest",
                   extent=[hist["n"][0], hist["n"][-1], 3.5, -0.5])
    axes[0].set_yticks(range(4), PATTERN_NAMES)
    axes[0].set_ylabel("pattern")
    axes[0].set_title("Seed 0: winning hidden unit per pattern (blue h0, orange h1, green h2)",
                      fontsize=10)
    axes[1].imshow(ok.T, aspect="auto", cmap="RdYlGn", vmin=0, vmax=1, interpolation="nearest",
                   extent=[hist["n"][0], hist["n"][-1], 3.5, -0.5])
    axes[1].set_yticks(range(4), PATTERN_NAMES)
    axes[1].set_ylabel("pattern")
    axes[1].set_xlabel("training presentations")
    s = hist["solved_at"][seed_idx]
    for ax in axes:
        ax.axvline(s, color="k", ls="--", lw=1)
    axes[1].set_title(f"Frozen test correct (green) / wrong (red); dashed: solution found at "
                      f"{s}", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "hidden_winners.png"), dpi=90)
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
    rates = [rows[k]["solve_rate"] for k in names]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    colors = ["C0" if r >= 0.95 else "C1" if r >= 0.5 else "C3" for r in rates]
    ax.barh(range(len(names)), means, color=colors)
    for i, (mu, r) in enumerate(zip(means, rates)):
        ax.text((mu if mu == mu else 0) + 20, i, f"{r * rec['metrics']['n_seeds']:.0f}/"
                f"{rec['metrics']['n_seeds']} solved", va="center", fontsize=8)
    ax.axvline(619, color="C3", ls="--", label="paper 619")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("mean presentations to a solution (solved runs)")
    ax.set_title("Direct links, the payoff's form and size, lam, the denominator and the initial "
                 "weights move the count; ties do not", fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "ablation.png"), dpi=90)
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    model, hist = nx.saved_run()
    fig_training_curves(model, hist)
    fig_weights(model, hist)
    fig_hidden_winners(model, hist)
    fig_ablation()
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
