"""Static figures for flip-flop -> flip-flop/viz/*.png.

Loads the saved headline run (flip-flop/.cache/run_seed<N>.npz) and, if it
exists, flip-flop/runs/lag_sweep.json. Trains once with the default Config
(and saves) only when no saved run exists. No training code lives here.

  python3 flip-flop/visualize_flip_flop.py --seed 0
"""
from __future__ import annotations

import argparse
import json
import os
import warnings
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flip_flop as ff  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COL = {"sequential": "tab:blue", "parallel": "tab:orange"}
EV_NAMES = np.array(["A", "B", "X"])


def sub(params, j):
    return {k: v[j:j + 1] for k, v in params.items()}


def fig_solve_rates(cfg, hist, ev, path):
    runs = hist["runs"]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    labels, ours, x = [], [], 0
    paper = {"sequential": 0.6, "parallel": 20 / 30}
    for regime in ("sequential", "parallel"):
        for variant in cfg.variants:
            sel = (runs["regime"] == regime) & (runs["variant"] == variant)
            k, n = int(ev["solved"][sel].sum()), int(sel.sum())
            ax.bar(x, k / n, color=COL[regime], alpha=1.0 if variant == "full" else 0.45)
            ax.text(x, k / n + 0.02, f"{k}/{n}", ha="center")
            labels.append(f"{regime}\n{variant}")
            ours.append(k / n)
            x += 1
        ax.hlines(paper[regime], x - len(cfg.variants) - 0.4, x - 0.6, colors="k",
                  linestyles="--")
        ax.text(x - 0.6, paper[regime] - 0.06, "paper", ha="right", fontsize=8)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, 1.12)
    ax.set_ylabel(f"fraction of runs solved ({cfg.steps:,} steps)")
    full_seq = ours[0]
    full_par = ours[len(cfg.variants)]
    ax.set_title(f"Full RTRL through M solves {full_seq:.0%} sequential / {full_par:.0%} "
                 f"parallel runs\n(paper: 60% / 67% within 10^6 steps; dashed)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fig_training(cfg, hist, path):
    runs, steps = hist["runs"], hist["step"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    keys = [("pain", "actual pain per step"), ("m_loss", "M's squared prediction error"),
            ("acc", "online accuracy |y - d| < 0.5")]
    for ax, (k, lab) in zip(axes, keys):
        for regime in ("sequential", "parallel"):
            for variant, ls in (("full", "-"), ("truncated", ":")):
                sel = (runs["regime"] == regime) & (runs["variant"] == variant)
                if not sel.any():
                    continue
                # median over runs while at least half of them still learn (stopped
                # runs are frozen and record NaN); the faint lines show every run
                vals = hist[k][:, sel]
                most = np.isfinite(vals).mean(1) >= 0.5
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    med = np.where(most, np.nanmedian(vals, axis=1), np.nan)
                ax.plot(steps, med, ls, color=COL[regime],
                        label=f"{regime}, {variant} (median while most runs learn)")
                if variant == "full":
                    ax.plot(steps, hist[k][:, sel], color=COL[regime], alpha=0.08, lw=0.7)
        ax.axvline(cfg.model_steps, color="gray", lw=0.8)
        ax.set_xlabel("online step (thousands)")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:g}"))
        ax.set_ylabel(lab)
        if k != "acc":
            ax.set_yscale("log")
    axes[0].text(cfg.model_steps, axes[0].get_ylim()[1], " M frozen, C starts (seq.)",
                 va="top", fontsize=8, color="gray")
    axes[2].legend(fontsize=7, loc="lower right")
    fig.suptitle("Pain falls and accuracy reaches 1 once M predicts pain well; "
                 "sequential runs wait for M's model phase", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_episode(cfg, params, j, path, T=90):
    ev = ff.make_events(np.random.default_rng(12345), 1, T)
    res = ff.evaluate(sub(params, j), cfg, None, record=True, events=ev)
    tr = res["trace"]
    t = np.arange(T)
    fig, (a0, a1) = plt.subplots(2, 1, figsize=(11, 5), sharex=True,
                                 gridspec_kw={"height_ratios": [2, 1.3]})
    for tt in t:
        e = ev[tt, 0]
        if e != ff.EV_X:
            a0.axvspan(tt - 0.5, tt + 0.5, color="tab:green" if e == ff.EV_B else "tab:red",
                       alpha=0.18, lw=0)
            a0.text(tt, 1.08, EV_NAMES[e], ha="center", fontsize=7)
    a0.step(t, tr["d"][:, 0], where="mid", color="k", lw=1.2, label="latch target d (hidden)")
    a0.plot(t, tr["y"][:, 0], "o-", ms=2.5, color="tab:orange", label="C's output y")
    a0.set_ylim(-0.1, 1.18)
    a0.set_ylabel("output")
    a0.legend(fontsize=8, loc="center right")
    a1.plot(t, tr["pain"][:, 0], color="tab:red", label="actual pain (y - d)^2")
    a1.plot(t, tr["q"][:, 0], "--", color="tab:purple", label="M's predicted pain")
    a1.set_ylabel("pain")
    a1.set_xlabel("time step of a fresh test stream (red: A resets, green: B sets)")
    a1.legend(fontsize=8)
    acc = float(res["test_accuracy"][0])
    a0.set_title(f"A trained controller holds the latch across X's: {acc:.0%} of steps correct;"
                 f" M's predicted pain tracks the actual pain", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_landscape(cfg, params, j, path):
    ev = ff.make_events(np.random.default_rng(7), 1, 400)
    probes = [t for t in range(50, 400) if ev[t, 0] == ff.EV_X][:40]
    acts = np.linspace(-0.3, 1.3, 33)
    q, d = ff.pain_landscape(sub(params, j), cfg, ev, probes, acts)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for latch, c in ((0.0, "tab:red"), (1.0, "tab:green")):
        sel = d[:, 0] == latch
        if not sel.any():
            continue
        ax.plot(acts, q[sel, :, 0].T, color=c, alpha=0.25, lw=0.8)
        ax.plot(acts, (acts - latch) ** 2, "k--", lw=1)
        ax.plot([], [], color=c, label=f"M's prediction after X, latch d = {latch:.0f}")
    ax.plot([], [], "k--", label="true pain (a - d)^2")
    ax.set_xlabel("candidate action a")
    ax.set_ylabel("predicted pain q")
    ax.set_ylim(-0.1, 1.2)
    ax.legend(fontsize=8)
    ax.set_title("M remembers the latch through X steps: its pain valley sits at a = d,\n"
                 "so dq/da pushes C the right way; far from C's actions M is wrong",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_weights(cfg, params, j, path):
    W_C, W_M, V = params["W_C"][j], params["W_M"][j], params["V"][j]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8),
                             gridspec_kw={"width_ratios": [W_C.shape[1], W_M.shape[1] + 1]})
    lim = max(np.abs(W_C).max(), np.abs(W_M).max())
    cin = ["A", "B", "X", "1", "p"] + [f"h{i}" for i in range(cfg.n_c)]
    min_ = ["A", "B", "X", "1", "p", "a"] + [f"g{i}" for i in range(cfg.n_m)] + ["V"]
    axes[0].imshow(W_C, cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[0].set_xticks(range(len(cin)), cin)
    axes[0].set_yticks(range(cfg.n_c), ["y=h0"] + [f"h{i}" for i in range(1, cfg.n_c)])
    axes[0].set_title("C: W_C (rows: units, cols: inputs)", fontsize=9)
    M = np.concatenate([W_M, V[:cfg.n_m, None]], axis=1)
    im = axes[1].imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[1].set_xticks(range(len(min_)), min_)
    axes[1].set_yticks(range(cfg.n_m), [f"g{i}" for i in range(cfg.n_m)])
    axes[1].set_title("M: W_M and read-out V (last column)", fontsize=9)
    fig.colorbar(im, ax=axes, shrink=0.8)
    w = W_C[0]
    fig.suptitle(f"C's output unit latches by itself: self-weight {w[5]:+.1f}, "
                 f"B {w[1]:+.1f}, A {w[0]:+.1f}", fontsize=11)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_lags(path_json, path):
    with open(path_json) as f:
        rec = json.load(f)
    sw = rec["metrics"]["lag_sweep"]
    cfg = rec["config"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for regime in ("sequential", "parallel"):
        ax.plot(sw["lags"], sw["solved_" + regime], "o-", color=COL[regime],
                label=f"{regime}: solved")
        ax.plot(sw["lags"], sw["test_accuracy_" + regime], "s:", color=COL[regime],
                alpha=0.6, label=f"{regime}: test accuracy")
    ax.set_xscale("log")
    ax.set_xlabel("max lag L (X steps between A/B events ~ U{L/2..L})")
    ax.set_ylabel(f"fraction of {sw['n_per_lag']} runs / accuracy")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8)
    ok = [lag for lag, a, b in zip(sw["lags"], sw["solved_sequential"], sw["solved_parallel"])
          if min(a, b) >= 0.5]
    bad = [lag for lag in sw["lags"] if not ok or lag > max(ok)]
    where = (f"between lags {max(ok)} and {min(bad)}" if ok and bad else "nowhere in the sweep")
    ax.set_title(f"Vanilla recurrent C and M (full RTRL, {cfg['steps']:,} steps) break down\n"
                 f"{where}: test accuracy falls to chance", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0, help="seed of the saved headline run")
    a = p.parse_args()
    np.seterr(over="ignore")
    os.makedirs(VIZ, exist_ok=True)
    cfg, params, hist = ff.load_or_train(a.seed)
    ev = ff.test_runs(params, hist, cfg)
    j = ff.pick_run(hist, ev)
    fig_solve_rates(cfg, hist, ev, os.path.join(VIZ, "solve_rates.png"))
    fig_training(cfg, hist, os.path.join(VIZ, "training_curves.png"))
    fig_episode(cfg, params, j, os.path.join(VIZ, "test_episode.png"))
    fig_landscape(cfg, params, j, os.path.join(VIZ, "pain_landscape.png"))
    fig_weights(cfg, params, j, os.path.join(VIZ, "weights.png"))
    lj = os.path.join(HERE, "runs", "lag_sweep.json")
    if os.path.exists(lj):
        fig_lags(lj, os.path.join(VIZ, "lag_sweep.png"))
    for f in sorted(os.listdir(VIZ)):
        print(f"viz/{f}: {os.path.getsize(os.path.join(VIZ, f)) // 1024} KB")


if __name__ == "__main__":
    main()
