"""Static figures for the embedded Reber grammar -> embedded-reber/viz/*.png.

Loads the headline run (embedded_reber.saved_run; trains it once only if the
cache is missing) for the learning curves and the cell states, and reads the
run records (results.json, runs/*.json) for the per-trial counts; no training
code here.

  python3 embedded-reber/visualize_embedded_reber.py
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
import embedded_reber as er  # noqa: E402

VIZ = os.path.join(HERE, "viz")
SHOW_STRING = 0            # index of the test string drawn in cell_states.png and the GIF


def records():
    """[(name, record)] of results.json and runs/*.json, headline first."""
    out = []
    paths = [("results", os.path.join(HERE, "results.json"))]
    rd = os.path.join(HERE, "runs")
    if os.path.isdir(rd):
        paths += [(f[:-5], os.path.join(rd, f)) for f in sorted(os.listdir(rd)) if f.endswith(".json")]
    for name, p in paths:
        if os.path.exists(p):
            with open(p) as fh:
                out.append((name, json.load(fh)))
    return out


def config_of(rec):
    c = rec["config"]
    return er.Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})


def label_of(cfg, rec=None):
    """Short name of a run: net, rule, and (given its record) cap and seed block."""
    if cfg.model == "rnn":
        out = f"RNN {cfg.rnn_hidden}+7 units, BPTT, lr {cfg.lr:g}"
    else:
        out = (f"LSTM {cfg.n_blocks}x{cfg.block_size}, lr {cfg.lr:g}, per {cfg.update}"
               + (", output biases" if getattr(cfg, "output_bias", False) else ""))
    if rec is not None:
        out += f", cap {cfg.max_sequences // 1000}k, {rec['seeds']['role'][:3]} seeds"
    return out


def paper_mean(cfg):
    key = cfg.verdict_metric.replace("success_rate", "mean_sequences")
    return er.PAPER["metrics"].get(key)


def showcase(history):
    """Index of the trial shown alone: the solved trial with the median count."""
    seqs, solved = np.array(history["sequences"]), np.array(history["solved"])
    idx = np.flatnonzero(solved) if solved.any() else np.arange(len(seqs))
    return int(idx[np.argsort(seqs[idx])[(len(idx) - 1) // 2]])


def one_run(params, r):
    return {k: v[r:r + 1] for k, v in params.items()}


def replay(cfg, params, r, which="test", n=SHOW_STRING):
    """String n of trial r's set through one trial's weights: (string, possible, O, cache)."""
    st = er.trial_sets(cfg)[r][which + "_unique"]
    s = st["strings"][n]
    X = er.one_hot(st["X"][n:n + 1, :len(s)][None], np.array([[len(s)]]))
    O, cache = er.forward(params, X, cfg.n_blocks, cfg.block_size)
    return s, st["P"][n, :len(s)], O[:, 0, 0], cache


def fig_learning_curves(cfg, hist, recs):
    """Training strings still wrong (median, 10-90% band) and the fraction of trials solved."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5.6), layout="constrained")
    seen = np.array(hist["seen"])
    wrong = np.array(hist["train_wrong"], dtype=float) / np.array(hist["n_unique"]["train"])
    wrong = np.where(np.isnan(wrong), 0.0, wrong)        # a solved trial has no wrong string
    lo, med, hi = np.quantile(wrong, [0.1, 0.5, 0.9], axis=1)
    ax1.fill_between(seen, lo, hi, color="tab:blue", alpha=0.25, lw=0, label="10-90% of trials")
    ax1.plot(seen, med, color="tab:blue", label=f"median of {cfg.n_seeds} trials")
    ax1.axvline(paper_mean(cfg), color="k", ls=":", lw=1, label="paper's mean strings to success")
    ax1.set_xlabel("training strings presented")
    ax1.set_ylabel("fraction of the distinct training\nstrings with a wrong prediction")
    ax1.set_title(f"Headline ({label_of(cfg)})")
    ax1.legend(loc="upper right", fontsize=8)
    colors = plt.cm.tab10.colors
    for i, (name, rec) in enumerate(recs):
        c = config_of(rec)
        pr = rec["metrics"]["per_run"]
        seqs = np.sort([p["sequences"] for p in pr if p["solved"]])
        grid = np.linspace(0, max(c.max_sequences, 1), 400)
        frac = [(seqs <= g).sum() / len(pr) for g in grid]
        ax2.plot(grid, frac, color=colors[i % 10], lw=2.5 if i == 0 else 1.5, zorder=3 if i == 0 else 2,
                 label=f"{label_of(c, rec)} ({len(pr)} trials)")
        pm = paper_mean(c)
        if pm is not None and c.model == "lstm":
            ax2.axvline(pm, color=colors[i % 10], ls=":", lw=1)
    ax2.set_xscale("log")
    ax2.set_xlim(500, None)
    ax2.set_xlabel("training strings presented (log scale); dotted: the paper's mean")
    ax2.set_ylabel("fraction of trials solved")
    ax2.set_title("Trials meeting the success criterion")
    fig.legend(*ax2.get_legend_handles_labels(), loc="outside lower center", fontsize=8, ncol=2)
    summ = recs[0][1]["headline"]["summary"]
    cut = summ.find(": ") + 2
    fig.suptitle(f"Embedded Reber, {summ[:cut]}\n{summ[cut:]}", fontsize=9)
    return fig


def fig_cell_states(cfg, model, hist):
    """The showcase trial's cells, gates and predictions over one test string."""
    r = showcase(hist)
    s, P, O, cache = replay(cfg, one_run(model, r), r)
    C, nb, L = cache["C"], cfg.n_blocks, len(s)
    A, S = cache["A"][:, 0, 0], cache["S"][:, 0, 0]
    t = np.arange(L)
    fig, axs = plt.subplots(4, 1, figsize=(9, 9), sharex=True, constrained_layout=True)
    for v in range(C):
        axs[0].plot(t, S[:, v], marker="o", ms=3, label=f"cell {v} (block {v // cfg.block_size})")
    axs[0].set_ylabel("cell state s(t)")
    axs[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    for j in range(nb):
        axs[1].plot(t, A[:, C + j], marker="o", ms=3, label=f"block {j}")
        axs[2].plot(t, A[:, C + nb + j], marker="o", ms=3, label=f"block {j}")
    axs[1].set_ylabel("input gate y_in(t)")
    axs[2].set_ylabel("output gate y_out(t)")
    for ax in axs[1:3]:
        ax.set_ylim(-0.05, 1.05)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    im = axs[3].imshow(O.T, aspect="auto", cmap="Greys", vmin=0, vmax=1,
                       extent=(-0.5, L - 0.5, 6.5, -0.5))
    for tt in range(L - 1):
        for kk in np.flatnonzero(P[tt]):
            axs[3].add_patch(plt.Rectangle((tt - 0.5, kk - 0.5), 1, 1, fill=False, ec="tab:red", lw=1.2))
    axs[3].set_yticks(range(7))
    axs[3].set_yticklabels(list(er.SYMBOLS))
    axs[3].set_ylabel("output o_k(t)\n(red: possible next)")
    fig.colorbar(im, cax=axs[3].inset_axes([1.01, 0.0, 0.015, 1.0]), label="activation")
    axs[3].set_xticks(t)
    axs[3].set_xticklabels([f"{c}\n{i}" for i, c in enumerate(s)])
    axs[3].set_xlabel("input symbol at step t")
    axs[0].axvline(1, color="gray", ls=":", lw=1)
    axs[0].axvline(L - 3, color="gray", ls=":", lw=1)
    fig.suptitle(f"Trial {cfg.seed + r} (median of the solved trials) on test string {s}: "
                 f"the outer {s[1]} read at step 1 must be recalled at step {L - 3}", fontsize=10)
    return fig


def fig_trials(recs):
    """Strings to success per trial, one strip per record, with the paper's mean."""
    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.75 * len(recs)), constrained_layout=True)
    rng = np.random.default_rng(0)
    labels, bad_shown = [], False
    for i, (name, rec) in enumerate(recs):
        c = config_of(rec)
        pr = rec["metrics"]["per_run"]
        ok = np.array([p["sequences"] for p in pr if p["solved"]], dtype=float)
        bad = np.array([p["sequences"] for p in pr if not p["solved"]], dtype=float)
        jit = lambda n: i + rng.uniform(-0.18, 0.18, n)
        ax.scatter(ok, jit(len(ok)), s=14, color="tab:blue", alpha=0.7,
                   label="solved trial" if i == 0 else None)
        if len(bad):
            ax.scatter(bad, jit(len(bad)), s=22, marker="x", color="tab:red",
                       label=None if bad_shown else "not solved by the cap")
            bad_shown = True
        if len(ok):
            ax.plot([ok.mean()] * 2, [i - 0.3, i + 0.3], color="tab:blue", lw=2.5,
                    label="our mean" if i == 0 else None)
        pm = paper_mean(c)
        if pm is not None and c.model == "lstm":
            ax.plot([pm] * 2, [i - 0.3, i + 0.3], color="k", lw=2.5, ls=":",
                    label="paper's mean (Table 1)" if i == 0 else None)
        labels.append(f"{label_of(c, rec)}\n{int(len(ok))}/{len(pr)} solved")
    ax.set_yticks(range(len(recs)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("training strings until success (log scale)")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 / max(len(recs), 1) - 0.12), ncol=4,
              fontsize=8)
    ax.set_title("Per-trial counts against the paper's means")
    return fig


def main():
    os.makedirs(VIZ, exist_ok=True)
    recs = records()
    cfg, model, hist = er.saved_run(config_of(recs[0][1]))
    for name, fig in (("learning_curves", fig_learning_curves(cfg, hist, recs)),
                      ("cell_states", fig_cell_states(cfg, model, hist)),
                      ("trials", fig_trials(recs))):
        path = os.path.join(VIZ, name + ".png")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        print("wrote", path)


if __name__ == "__main__":
    main()
