"""Static figures for rs-two-sequence -> viz/*.png.

Reads the headline run record (results.json), the lag sweep and the other-reading
records (runs/*.json) and the saved headline run (.cache, trained once if missing).

  python3 rs-two-sequence/visualize_rs_two_sequence.py
"""
from __future__ import annotations

import glob
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rs_two_sequence as rs  # noqa: E402

VIZ = os.path.join(HERE, "viz")
PAPER_MEAN = rs.PAPER["metrics"]["mean_trials"]


def load(path):
    with open(os.path.join(HERE, path)) as fh:
        return json.load(fh)


def trials_of(rec):
    ps = rec["metrics"]["per_seed"]
    return np.array([t for t, ok in zip(ps["trials"], ps["solved"]) if ok], float)


def label_of(rec):
    c = rec["config"]
    noise = "variance 0.2" if c["noise_var"] == 0.2 else f"std {c['noise_var'] ** 0.5:g}"
    return f"{c.get('arch', 'A1b')}, noise {noise}"


def fig_distribution(rec, others):
    """Fraction of searches solved vs draws (ours, the geometric law of the paper's mean,
    the other readings) and the histogram of the headline's trials to success."""
    t = trials_of(rec)
    m = rec["metrics"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.4))
    grid = np.logspace(0, 5, 300)
    for i, r in enumerate([rec] + others):
        s = np.sort(trials_of(r))
        head = i == 0
        a1.step(s, np.arange(1, len(s) + 1) / len(s), where="post", color=f"C{i}", lw=2.5 if head else 1.3,
                label=f"{label_of(r)}{' (headline)' if head else ''}: mean {r['metrics']['mean_trials']:.0f}")
    a1.plot(grid, 1 - (1 - 1 / PAPER_MEAN) ** grid, "k--", lw=1.2,
            label=f"geometric law with the paper's mean {PAPER_MEAN}")
    a1.axvline(PAPER_MEAN, color="k", lw=0.8, alpha=0.5)
    a1.set_xscale("log")
    a1.set_xlabel("weight draws (trials) until the first net that solves the training set")
    a1.set_ylabel(f"fraction of {len(t)} searches solved")
    a1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=7.5, frameon=False)
    means = [r["metrics"]["mean_trials"] for r in [rec] + others]
    a1.set_title(f"The text's net and noise (blue) need {m['mean_trials'] / PAPER_MEAN:.1f}x the "
                 f"paper's draws;\nother readings of the text give {min(means):.0f} to "
                 f"{max(means):.0f}", fontsize=10)
    bins = np.linspace(0, max(t.max(), 1) * 1.05, 16)
    a2.hist(t, bins=bins, color="C0", alpha=0.8)
    a2.axvline(m["mean_trials"], color="C0", lw=2, label=f"our mean {m['mean_trials']:.0f} "
               f"+- {m['mean_trials_sem']:.0f} (sem)")
    a2.axvline(PAPER_MEAN, color="k", lw=2, ls="--", label=f"paper's mean {PAPER_MEAN}")
    a2.axvline(m["median_trials"], color="C1", lw=1.5, label=f"our median {m['median_trials']:.0f}")
    a2.set_xlabel("trials to success")
    a2.set_ylabel("searches")
    a2.legend(loc="upper right", fontsize=8)
    a2.set_title(f"Headline ({label_of(rec)}, T = {rec['config']['lag']}): mean "
                 f"{m['mean_trials']:.0f} draws, paper {PAPER_MEAN}", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "trials_distribution.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_weights(rec):
    """All found solutions, one row each: the 8 weights of the 2-unit net."""
    ps = rec["metrics"]["per_seed"]
    W = np.array([w for w, ok in zip(ps["weights"], ps["solved"]) if ok])    # (S, 2, 4)
    flat = W.reshape(len(W), -1)
    order = np.argsort(flat[:, 6])                                            # by y's self weight
    names = ["h<-x", "h<-h", "h<-y", "h bias", "y<-x", "y<-h", "y<-y", "y bias"]
    if rec["config"].get("arch") == "A1":                                     # the output has no bias
        names = names[:7]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1.3, 1]})
    im = a1.imshow(flat[order][:, :len(names)], cmap="RdBu_r", vmin=-100, vmax=100, aspect="auto")
    a1.set_xticks(range(len(names)))
    a1.set_xticklabels(names, rotation=45, fontsize=8)
    a1.set_ylabel("found solution (sorted by y's self weight)")
    fig.colorbar(im, ax=a1, label="weight (prior: uniform in [-100, 100])")
    pos = np.mean(flat[:, 6] > 0)
    a1.set_title(f"{len(W)} found nets: output self weight y<-y > 0 in {pos:.0%}")
    a2.scatter(flat[:, 6], flat[:, 4], c="C0", s=25)
    a2.axhline(0, color="k", lw=0.5)
    a2.axvline(0, color="k", lw=0.5)
    a2.set_xlim(min(0.0, flat[:, 6].min()) - 5, 100)
    a2.set_ylim(min(0.0, flat[:, 4].min()) - 5, flat[:, 4].max() * 1.15 + 1)
    a2.set_xlabel("output self weight y<-y (prior range [-100, 100])")
    a2.set_ylabel("output input weight y<-x (prior range [-100, 100])")
    a2.set_title(f"A latch: self weight y<-y {flat[:, 6].min():.0f}..{flat[:, 6].max():.0f}, input "
                 f"weight y<-x {flat[:, 4].min():.0f}..{flat[:, 4].max():.0f}:\nx_1 = +1 switches y on, "
                 "later noise is too weak to flip it", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "found_weights.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_lag_sweep(rec):
    """Mean (+- sem) and median trials against the lag T."""
    recs = [rec] + [load(os.path.relpath(p, HERE)) for p in glob.glob(os.path.join(HERE, "runs", "lag*.json"))]
    recs = sorted(recs, key=lambda r: r["config"]["lag"])
    T = np.array([r["config"]["lag"] for r in recs])
    mean = np.array([r["metrics"]["mean_trials"] for r in recs])
    sem = np.array([r["metrics"]["mean_trials_sem"] for r in recs])
    med = np.array([r["metrics"]["median_trials"] for r in recs])
    n = [r["metrics"]["n_runs"] for r in recs]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.errorbar(T, mean, yerr=sem, fmt="o-", color="C0", capsize=4, label="mean +- sem")
    ax.plot(T, med, "s--", color="C1", label="median")
    ax.axhline(PAPER_MEAN, color="k", ls=":", label=f"paper's mean at T = 500..600 ({PAPER_MEAN})")
    ax.set_xscale("log")
    ax.set_xticks(T)
    ax.set_xticklabels([str(t) for t in T])
    ax.set_ylim(0, max(mean + sem) * 1.3)
    ax.set_xlabel("minimal time lag T (sequence lengths T .. 1.2 T)")
    ax.set_ylabel("weight draws until success")
    ax.legend(loc="lower right", fontsize=8)
    tr = {r["config"]["lag"]: r["metrics"]["per_seed"]["trials"] for r in recs}
    same = sum(a == b for a, b in zip(tr[T[-2]], tr[T[-1]]))
    ax.set_title(f"A 20-fold longer lag costs at most {mean.max() / mean.min():.1f}x the draws "
                 f"({mean.min():.0f}..{mean.max():.0f}, {min(n)} searches each);\n"
                 f"{same}/{len(tr[T[-1]])} searches stop at the same draw for T = {T[-2]} and "
                 f"T = {T[-1]}: the latch found does not care about T", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "lag_sweep.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def solution_trace(cfg, model, k=0):
    """Activations of search k's found net on its first two held-out test sequences."""
    x, lengths, tg = rs.search_data(model["seeds"][k], cfg)["test"]
    x, lengths, tg = x[:2], lengths[:2], tg[:2]
    y, acts = rs.run_net(model["weights"][k][None, None], x[None], lengths[None], trace=True)
    return x, lengths, tg, acts[:, 0, 0]                                      # acts (L, B, U)


def fig_solution(cfg, model):
    x, lengths, tg, acts = solution_trace(cfg, model)
    fig, axes = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
    for b, ax in enumerate(axes):
        L = lengths[b]
        t = np.arange(1, L + 1)
        ax.plot(t, x[b, :L], color="0.7", lw=0.6, label="input x_t")
        ax.plot(t, acts[:L, b, 0], color="C2", lw=1.5, label="hidden h_t")
        ax.plot(t, acts[:L, b, 1], color="C3", lw=2, label="output y_t")
        ax.axhspan(tg[b] - cfg.err_max, tg[b] + cfg.err_max, xmin=0.97, color="C3", alpha=0.3)
        ax.set_ylabel(f"x_1 = {x[b, 0]:+.0f}, target {tg[b]:.0f}")
        ax.set_ylim(-1.0, 2.0)
        ax.legend(loc="upper center", ncol=3, fontsize=8)
    axes[-1].set_xlabel("time step")
    axes[0].set_title(f"Search {model['seeds'][0]}'s net (draw {model['trials'][0]}) holds the "
                      f"first input for {min(lengths)}+ noisy steps on held-out sequences")
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "solution_run.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    rec = load("results.json")
    others = [load(os.path.join("runs", f)) for f in ("std_reading.json", "a1b_std_reading.json",
                                                      "a1b_literal.json")
              if os.path.exists(os.path.join(HERE, "runs", f))]
    cfg, model, hist = rs.saved_run(rs.make_config())
    fig_distribution(rec, others)
    fig_weights(rec)
    fig_lag_sweep(rec)
    fig_solution(cfg, model)
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
