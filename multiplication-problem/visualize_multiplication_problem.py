"""Static figures for the multiplication problem -> multiplication-problem/viz/*.png.

Loads the saved run of each run record (results.json, runs/*.json) with
multiplication_problem.saved_run (which trains it once only if the cache is
missing: the paper-budget run then takes about 45 minutes) and calls the
stub's forward/evaluate; no training code here.

  python3 multiplication-problem/visualize_multiplication_problem.py
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
import multiplication_problem as mp  # noqa: E402

VIZ = os.path.join(HERE, "viz")
SHOW_SEED = 12345          # the test sequence drawn in cell_states.png and the GIF
PAPER_RUN = "paper_rule_480k"   # the paper-budget record the figures show
VARIANT_RUN = "gate_bias_online_dev"  # the section-5.4-bias variant (development seeds), if present


def record_config(name):
    """Config of run record `name` ('results' or a runs/ stem), or None if absent."""
    path = os.path.join(HERE, "results.json" if name == "results" else f"runs/{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        c = json.load(fh)["config"]
    return mp.Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})


def main_run():
    """(cfg, params, history) of the paper-budget record, or of the headline if it is absent."""
    cfg = record_config(PAPER_RUN) or record_config("results")
    return mp.saved_run(cfg)


def showcase(history):
    """Index of the run shown alone: the run with the median sequence count (ties: lowest
    final window error), stopped or not."""
    seqs = np.array(history["sequences"])
    order = np.lexsort((np.array(history["mse"][-1]), seqs))
    return int(order[(len(order) - 1) // 2])


def one_run(params, r):
    return {k: v[r:r + 1] for k, v in params.items()}


def replay(cfg, params, seed=SHOW_SEED):
    """One fixed test sequence through a single run's weights: (x, p1, p2, d, o, cache)."""
    x, lengths, d, p1, p2 = mp.make_batch(np.random.default_rng(seed), cfg.T, 1)
    nb, k, kind, lag = mp.arch(cfg)
    o, cache = mp.forward(params, x[:, None], lengths[None], nb, k, kind, lag)
    return x[:, 0], p1[0], p2[0], d[0], o[0, 0], cache


def band(ax, seen, values, col, label):
    lo, med, hi = np.quantile(values, [0.1, 0.5, 0.9], axis=1)
    ax.fill_between(seen, lo, hi, color=col, alpha=0.25, lw=0)
    ax.plot(seen, med, color=col, label=label)


def left_plateau(hist, base_mse):
    """Per run: the first logged count at which its window MSE fell below half the
    mean-target baseline's MSE and stayed there to the end; 0 if it did not."""
    mse, seen = np.array(hist["mse"]), np.array(hist["seen"])
    below = mse < 0.5 * base_mse                           # (n_logs, R)
    out = np.zeros(mse.shape[1], int)
    for r in range(mse.shape[1]):
        if below[-1, r]:
            above = np.flatnonzero(~below[:, r])
            out[r] = seen[above[-1] + 1] if len(above) else seen[0]
    return out


def fig_learning_curves(runs, base_mse):
    """Window MSE, window wrong count (median, 10-90% band over runs), fraction stopped."""
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.4), constrained_layout=True)
    P = mp.PAPER["metrics"]
    for (label, cfg, hist), col in zip(runs, ("tab:blue", "tab:orange")):
        seen = np.array(hist["seen"])
        band(ax1, seen, np.array(hist["mse"]), col, f"{label}: median, 10-90% of {cfg.n_seeds} runs")
        band(ax2, seen, np.array(hist["n_wrong"]), col, label)
        solved, seqs = np.array(hist["solved"]), np.array(hist["sequences"])
        grid = np.linspace(0, cfg.max_sequences, 300)
        ax3.plot(grid, [(solved & (seqs <= g)).mean() for g in grid], color=col, label=label)
    ax1.axhline(base_mse, color="gray", ls="--", lw=1, label=f"answer the mean target: {base_mse:.4f}")
    ax1.axhline(P["test_mse_mean"], color="k", ls=":", lw=1,
                label=f"paper's test MSE at its stop: {P['test_mse_mean']:g}")
    ax1.set_ylabel("training MSE, last 2000 sequences")
    ax1.set_yscale("log")
    ax2.axhline(runs[0][1].n_seq, color="k", ls=":", lw=1,
                label=f"stopping rule: fewer than {runs[0][1].n_seq} with |error| >= 0.04")
    ax2.set_ylabel("wrong of the last 2000 sequences")
    ax2.set_ylim(0, 2000)
    ax3.set_ylabel("fraction of runs stopped")
    ax3.set_ylim(-0.02, 1.02)
    for ax in (ax1, ax2, ax3):
        ax.axvline(P["sequences_to_criterion"], color="k", ls="--", lw=1,
                   label=f"paper: mean {P['sequences_to_criterion']:,} sequences to the stop")
        ax.set_xlabel("training sequences seen (per run)")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, frameon=False)
    cfg, hist = runs[0][1], runs[0][2]
    left = left_plateau(hist, base_mse)
    when = (f" (median at {int(np.median(left[left > 0])):,} sequences)" if (left > 0).any() else "")
    fig.suptitle(f"T={cfg.T}, the paper's online rule: {int((left > 0).sum())}/{cfg.n_seeds} runs leave "
                 f"the mean-target plateau within {cfg.max_sequences:,} sequences{when}, but only "
                 f"{sum(hist['solved'])} meets the stopping rule", fontsize=10)
    fig.savefig(os.path.join(VIZ, "learning_curves.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_strip(cfg, params, hist, ev):
    """Per-run sequence counts (stopped or at the budget) and test MSE, paper's means as lines."""
    P = mp.PAPER["metrics"]
    solved, seqs = np.array(hist["solved"]), np.array(hist["sequences"])
    mse = np.array(ev["test_mse"])
    jit = np.random.default_rng(0).uniform(-0.12, 0.12, size=len(seqs))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    for ax, vals, ref, lab in ((ax1, seqs, P["sequences_to_criterion"], "training sequences"),
                               (ax2, mse, P["test_mse_mean"], "test MSE (2560 fresh sequences)")):
        ax.scatter(jit[solved], vals[solved], color="tab:blue", s=30, label="met the stopping rule")
        ax.scatter(jit[~solved], vals[~solved], color="tab:red", marker="^", s=30,
                   label="budget spent, rule not met")
        ax.axhline(ref, color="k", ls="--", lw=1, label=f"paper: mean {ref:,}" if ref > 1 else
                   f"paper: {ref:g}")
        ax.set_xlim(-0.5, 0.5)
        ax.set_xticks([])
        ax.set_ylabel(lab)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.04), frameon=False)
    ax1.axhline(cfg.max_sequences, color="gray", ls=":", lw=1)
    ax1.set_ylim(0, max(cfg.max_sequences, P["sequences_to_criterion"]) * 1.08)
    ax2.axhline(np.mean(ev["mean_mse"]), color="gray", ls=":", lw=1)
    ax2.text(0.45, np.mean(ev["mean_mse"]), "answer the mean", ha="right", va="bottom", fontsize=8)
    ax2.set_yscale("log")
    low = mse < 0.5 * np.mean(ev["mean_mse"])
    fig.suptitle(f"T={cfg.T}, {cfg.n_seeds} runs of the paper's rule, one dot per run: {int(solved.sum())} "
                 f"stopped; {int(low.sum())} reach test MSE "
                 f"{f'{mse[low].min():.4f}-{mse[low].max():.4f}' if low.any() else '-'}, "
                 f"{int((~low).sum())} stay at the mean-target level; mean {mse.mean():.4f} "
                 f"(paper {P['test_mse_mean']:g})", fontsize=10)
    fig.savefig(os.path.join(VIZ, "per_run_strip.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_scatter(cfg, ev):
    """Test outputs against targets, all runs pooled; the paper's criterion as a band."""
    fig, ax = plt.subplots(figsize=(5.2, 5.0), constrained_layout=True)
    ax.fill_between([0, 1], [-cfg.crit, 1 - cfg.crit], [cfg.crit, 1 + cfg.crit], color="0.85",
                    label=f"correct: |error| < {cfg.crit:g}")
    low = np.array(ev["test_mse"]) < 0.5 * np.mean(ev["mean_mse"])   # runs off the plateau
    o, d = ev["o"][low], ev["d"][low]
    ok = np.abs(o - d) < cfg.crit
    ax.scatter(d[ok], o[ok], s=1, color="tab:blue", alpha=0.3, label="correct")
    ax.scatter(d[~ok], o[~ok], s=1, color="tab:red", alpha=0.3, label="wrong")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("target X1 * X2")
    ax.set_ylabel("network output")
    ax.legend(fontsize=8, loc="upper left", markerscale=6)
    wrong = np.array(ev["test_wrong"])[low]
    ax.set_title(f"T={cfg.T}, the {low.sum()} of {len(low)} runs off the plateau, {ev['n_test']} test\n"
                 f"sequences each: {np.mean(wrong):.0f} wrong per run on average (paper: "
                 f"{mp.PAPER['metrics']['test_wrong_mean']:g})", fontsize=10)
    fig.savefig(os.path.join(VIZ, "prediction_scatter.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_cell_states(cfg, params, hist):
    r = showcase(hist)
    x, p1, p2, d, o, cache = replay(cfg, one_run(params, r))
    C, nb, t = cache["C"], cfg.n_blocks, np.arange(x.shape[0])
    S, A = cache["S"][:, 0, 0], cache["A"][:, 0, 0]
    tb = int(cache["tb"][0, 0])
    fig, axes = plt.subplots(3, 1, figsize=(9, 6.8), sharex=True, constrained_layout=True)
    axes[0].plot(t, x[:, 0], color="0.5", lw=0.8, label="value")
    axes[0].step(t, x[:, 1], color="k", lw=0.8, where="mid", label="marker")
    axes[0].set_ylabel("input")
    for v in range(C):
        axes[1].plot(t[:tb + 1], S[:tb + 1, v],
                     label=f"cell {v // cfg.block_size + 1}.{v % cfg.block_size + 1}")
    axes[1].set_ylabel("cell state s(t)")
    for j in range(nb):
        axes[2].plot(t[:tb + 1], A[:tb + 1, C + j], label=f"input gate {j + 1}")
        axes[2].plot(t[:tb + 1], A[:tb + 1, C + nb + j], ls="--", label=f"output gate {j + 1}")
    axes[2].set_ylabel("gate activation")
    axes[2].set_xlabel("time step (red: the two marked pairs; dotted: the step the output reads)")
    for ax in axes:
        ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        for p in (p1, p2):
            ax.axvline(p, color="red", alpha=0.3, lw=3)
        ax.axvline(tb, color="k", ls=":", lw=1)
    state = (f"stopped after {hist['sequences'][r]:,}" if hist["solved"][r] else
             f"at the budget, {hist['sequences'][r]:,}")
    fig.suptitle(f"T={cfg.T}, run {cfg.seed + r} (median of {cfg.n_seeds}; {state} sequences): "
                 f"X1={x[p1, 0]:.2f}, X2={x[p2, 0]:.2f}; output {o:.3f}, target {d:.3f}",
                 fontsize=10)
    fig.savefig(os.path.join(VIZ, "cell_states.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, params, hist = main_run()
    ev = mp.evaluate(params, cfg)
    runs = [("paper's rule, reporting runs", cfg, hist)]
    variant = record_config(VARIANT_RUN)
    if variant is not None:
        runs.append(("same with sec. 5.4's input-gate biases, dev runs", variant,
                     mp.saved_run(variant)[2]))
    fig_learning_curves(runs, float(np.mean(ev["mean_mse"])))
    fig_strip(cfg, params, hist, ev)
    fig_scatter(cfg, ev)
    fig_cell_states(cfg, params, hist)
    print("wrote", ", ".join(sorted(os.listdir(VIZ))))


if __name__ == "__main__":
    main()
