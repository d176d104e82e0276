"""Static figures for the temporal order problem -> viz/*.png.

Loads the saved run of the figure record (temporal_order_4bit.saved_run; trains
it once only if the cache is missing) and calls the stub's forward/evaluate; no
training code here.

  python3 temporal-order-4bit/visualize_temporal_order_4bit.py
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import temporal_order_4bit as to  # noqa: E402

VIZ = os.path.join(HERE, "viz")
FIGURE_RECORDS = ("paper_budget", "results")   # the first that exists is drawn (runs/ stem or results)
SHOW_SEED = 12345                  # the test sequence drawn in cell_states.png and the GIF
CLASS_NAMES = "QRSUVABC"           # the paper's class names, in class-index order
THOUSANDS = FuncFormatter(lambda v, _: f"{v / 1000:g}k")


def tuples(v):
    return tuple(tuples(u) for u in v) if isinstance(v, list) else v


def record(name):
    """Run record `name` ('results' or a runs/ stem), or None if absent."""
    path = os.path.join(HERE, "results.json" if name == "results" else f"runs/{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)


def figure_run():
    """(record name, cfg, params, history) of the first existing FIGURE_RECORDS entry."""
    for name in FIGURE_RECORDS:
        rec = record(name)
        if rec is not None:
            cfg = to.Config(**{k: tuples(v) for k, v in rec["config"].items()})
            return (name,) + to.saved_run(cfg)
    raise SystemExit("no run record yet: run the headline command first (README, Running)")


def showcase(history):
    """Index of the trial shown alone: the solved trial with the median sequence count."""
    seqs, solved = np.array(history["sequences"]), np.array(history["solved"])
    idx = np.flatnonzero(solved) if solved.any() else np.arange(len(seqs))
    return int(idx[np.argsort(seqs[idx])[(len(idx) - 1) // 2]])


def one_run(params, r):
    return {k: v[r:r + 1] for k, v in params.items()}


def replay(cfg, params, seed=SHOW_SEED):
    """One fixed test sequence through one trial's weights: (sym, pos, bits, cls, o, cache)."""
    sym, lengths, cls, pos, bits = to.make_symbols(np.random.default_rng(seed), cfg.T,
                                                   cfg.len_extra, cfg.windows, 1)
    nb, k, lag = to.arch(cfg)
    o, cache = to.forward(params, to.one_hot(sym)[:, None], lengths[None], nb, k, lag)
    return sym[:, 0], pos[0], bits[0], int(cls[0]), o[0, 0], cache


def class_label(bits):
    return "".join("XY"[b] for b in bits)


def held(hist, key):
    """hist[key] as (records, trials), each trial's value held from its stop on (a stopped
    trial no longer trains, so its window is frozen at the stop)."""
    v, seen = np.array(hist[key], float), np.array(hist["seen"])
    for r, stop in enumerate(hist["sequences"]):
        i = max(int(np.searchsorted(seen, stop, side="right")) - 1, 0)
        v[i + 1:, r] = v[i, r]
    return v


def band(ax, seen, values, col, label):
    lo, med, hi = np.quantile(values, [0.1, 0.5, 0.9], axis=1)
    ax.fill_between(seen, lo, hi, color=col, alpha=0.25, lw=0)
    ax.plot(seen, med, color=col, label=label)


def fig_learning_curves(cfg, hist):
    """Window error and window fraction wrong (median, 10-90% band), fraction of trials stopped."""
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4.2), constrained_layout=True)
    paper, runs = to.PAPER["metrics"]["sequences_to_criterion"], to.PAPER["runs"]
    seen = np.array(hist["seen"])
    band(ax1, seen, held(hist, "err"), "tab:blue", f"median, 10-90% of {cfg.n_seeds} trials")
    wrong = np.maximum(1 - held(hist, "frac_correct"), 1 / cfg.stop_window / 2)
    band(ax2, seen, wrong, "tab:blue", f"median, 10-90% of {cfg.n_seeds} trials")
    K = 1 << len(cfg.windows)
    ax1.axhline((K - 1) / K, color="gray", ls="--", lw=1,
                label=f"outputs at chance (each 1/{K}): {(K - 1) / K:.3f}")
    ax1.axhline(cfg.stop_err, color="gray", ls=":", lw=1, label="stopping rule: window error")
    ax1.set_ylabel(f"training error (8), mean of last {cfg.stop_window}")
    ax2.axhline(1 / cfg.stop_window, color="gray", ls=":", lw=1,
                label="one wrong in the window (the rule needs none)")
    ax2.set_ylabel(f"fraction wrong, last {cfg.stop_window}")
    for ax in (ax1, ax2):
        ax.set_yscale("log")
    seqs, solved = np.array(hist["sequences"]), np.array(hist["solved"])
    grid = np.linspace(0, seen.max(), 400)
    ax3.plot(grid, [(solved & (seqs <= g)).mean() for g in grid], color="tab:blue",
             label=f"ours: {solved.sum()}/{cfg.n_seeds} within {cfg.max_sequences:,}")
    ax3.axvline(paper, color="k", ls="--", lw=1, label=f"paper: mean of {runs} trials, {paper:,}")
    ax3.set_ylabel("fraction of trials stopped")
    ax3.set_ylim(-0.02, 1.02)
    for ax in (ax1, ax2, ax3):
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.set_xlabel("training sequences seen (per trial)")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    mean = (f"mean {seqs[solved].mean():,.0f} sequences" if solved.any()
            else f"none within {cfg.max_sequences:,} sequences")
    left = int(np.sum(held(hist, "err")[-1] < 0.9 * (K - 1) / K))
    fig.suptitle(f"Online SGD (lr {cfg.lr:g}): {solved.sum()}/{cfg.n_seeds} trials meet the stopping "
                 f"rule, {mean} (paper {paper:,}); {left}/{cfg.n_seeds} end below 90% of the "
                 "chance-level error", fontsize=10)
    fig.savefig(os.path.join(VIZ, "learning_curves.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_trial_counts(cfg, hist):
    """Per-trial sequences to the stopping rule as a strip plot, with ours and the paper's mean."""
    seqs, solved = np.array(hist["sequences"], float), np.array(hist["solved"])
    paper, runs = to.PAPER["metrics"]["sequences_to_criterion"], to.PAPER["runs"]
    fig, ax = plt.subplots(figsize=(8, 2.8), constrained_layout=True)
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(seqs))
    ax.scatter(seqs[solved], jitter[solved], s=30, color="tab:blue", zorder=3,
               label=f"trial met the rule ({solved.sum()})")
    if (~solved).any():
        ax.scatter(seqs[~solved], jitter[~solved], s=40, marker=">", color="tab:red", zorder=3,
                   label=f"budget spent, rule not met ({(~solved).sum()})")
    if solved.any():
        ax.axvline(seqs[solved].mean(), color="tab:blue", lw=1.5,
                   label=f"our mean over those: {seqs[solved].mean():,.0f}")
    ax.axvline(paper, color="k", ls="--", lw=1.5, label=f"paper: mean of {runs} trials, {paper:,}")
    ax.set_yticks([])
    ax.set_ylim(-0.5, 0.5)
    ax.set_xlim(0, max(seqs.max(), paper) * 1.08)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_xlabel("training sequences until the stopping rule (per trial)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, frameon=False)
    ax.set_title(f"{solved.sum()}/{cfg.n_seeds} trials (seeds {cfg.seed}-{cfg.seed + cfg.n_seeds - 1}) "
                 f"met the stopping rule within {cfg.max_sequences:,} sequences; one dot per trial",
                 fontsize=10)
    fig.savefig(os.path.join(VIZ, "trial_counts.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def draw_sequence(ax, sym, pos, tb):
    """The input symbols as a one-row strip: distractors light, X/Y dark, E/B mid."""
    shade = np.where(sym < to.N_DISTRACT, 0.9, np.where(sym < to.SYM_E, 0.1, 0.5))
    ax.imshow(shade[None, :tb + 3], cmap="gray", vmin=0, vmax=1, aspect="auto",
              extent=(-0.5, tb + 2.5, 0, 1))
    for p in pos:
        ax.text(p, 0.5, to.SYMBOLS[sym[p]], color="white", ha="center", va="center", fontsize=8,
                fontweight="bold")
    ax.set_yticks([])


def fig_cell_states(cfg, params, hist):
    """Input, cell states, input and output gates over one test sequence, showcase trial."""
    r = showcase(hist)
    sym, pos, bits, cls, o, cache = replay(cfg, one_run(params, r))
    C, nb, tb = cache["C"], cfg.n_blocks, int(cache["tb"][0, 0])
    S, A, t = cache["S"][:, 0, 0], cache["A"][:, 0, 0], np.arange(tb + 1)
    fig, axes = plt.subplots(4, 1, figsize=(10, 7.6), sharex=True, constrained_layout=True,
                             gridspec_kw={"height_ratios": [0.35, 1.3, 1, 1]})
    draw_sequence(axes[0], sym, pos, tb)
    axes[0].set_ylabel("input", rotation=0, ha="right", va="center")
    for v in range(C):
        axes[1].plot(t, S[:tb + 1, v], label=f"cell {v // cfg.block_size + 1}.{v % cfg.block_size + 1}")
    axes[1].set_ylabel("cell state s(t)")
    for j in range(nb):
        axes[2].plot(t, A[:tb + 1, C + j], label=f"input gate {j + 1}")
        axes[3].plot(t, A[:tb + 1, C + nb + j], label=f"output gate {j + 1}")
    axes[2].set_ylabel("input gate")
    axes[3].set_ylabel("output gate")
    axes[3].set_xlabel("time step (red: the relevant X/Y symbols; dotted: the step the output reads)")
    for ax in axes[1:]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        for p in pos:
            ax.axvline(p, color="red", alpha=0.3, lw=3)
        ax.axvline(tb, color="k", ls=":", lw=1)
    outs = ", ".join(f"{CLASS_NAMES[j]} {o[j]:.2f}" for j in range(len(o)))
    which = (f"median count of the {sum(hist['solved'])} of {cfg.n_seeds} that met the rule"
             if any(hist["solved"])
             else f"no trial met the rule; weights at the budget, {cfg.max_sequences:,}")
    fig.suptitle(f"Trial {cfg.seed + r} ({which}); test sequence "
                 f"{class_label(bits)} (class {CLASS_NAMES[cls]}),\noutputs {outs}", fontsize=10)
    fig.savefig(os.path.join(VIZ, "cell_states.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    name, cfg, params, hist = figure_run()
    fig_learning_curves(cfg, hist)
    fig_trial_counts(cfg, hist)
    fig_cell_states(cfg, params, hist)
    print(f"figures from record '{name}':", ", ".join(sorted(os.listdir(VIZ))))


if __name__ == "__main__":
    main()
