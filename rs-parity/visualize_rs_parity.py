"""Static figures for rs-parity -> rs-parity/viz/*.png.

Loads the headline run saved by `python3 rs-parity/rs_parity.py` (rs-parity/.cache/)
through rs_parity.saved_run(), which runs the searches once only when no saved
run exists. Found nets are re-run with rs_parity.forward on the seeds' own data.

  python3 rs-parity/visualize_rs_parity.py
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
import rs_parity as rp  # noqa: E402

VIZ = os.path.join(HERE, "viz")
PAPER_MEAN = rp.PAPER["metrics"]["mean_trials"]
NAMES = ["w_hx", "w_ho", "w_hh", "b_h", "w_ox", "w_oh", "b_o"]


def load():
    cfg, model, history = rp.saved_run(rp.make_config())
    return cfg, model, history


def trial_accuracy(cfg, W, data):
    """Training accuracy (fraction of the 100 sequences) of each trial W (K, P)."""
    p = rp.unpack(W, cfg.n_hidden, cfg.self_connections, cfg.arch)
    acc = [rp.correct(rp.forward({k: v[i:i + 64] for k, v in p.items()}, data["X"][None],
                                 data["L"][None]), data["y"][None], cfg.out_tol).mean(-1)
           for i in range(0, len(W), 64)]
    return np.concatenate(acc)


def example_trace(cfg, model, data, k=0):
    """The first search's net on test sequence k: x (L,), parity so far (L,), h (L, H), y (L,)."""
    p = rp.unpack(model["weights"][0], cfg.n_hidden, cfg.self_connections, cfg.arch)
    L = int(data["L_test"][k])
    x = data["X_test"][k, :L].astype(float)
    _, h, y = rp.forward(p, x[None], np.array([L]), trace=True)
    par = np.cumsum(x > 0) % 2
    return x, par, h[:, 0], y[:, 0]


def fig_distribution(cfg, model, path):
    t = np.sort(model["trials"][model["solved"]])
    mean, med = t.mean(), np.median(t)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    bins = np.logspace(0, np.log10(t.max() * 1.2), 24)
    a.hist(t, bins=bins, color="#4c72b0", alpha=0.85)
    a.set_xscale("log")
    for v, c, lab in ((mean, "#c44e52", f"our mean {mean:.0f}"),
                      (med, "#55a868", f"our median {med:.0f}"),
                      (PAPER_MEAN, "k", f"paper mean {PAPER_MEAN}")):
        a.axvline(v, color=c, ls="--" if c == "k" else "-", lw=1.8, label=lab)
    a.set_xlabel("trials until the first net that classifies all 100 training sequences")
    a.set_ylabel("searches")
    a.legend(loc="upper left", fontsize=9, frameon=False)
    a.set_title(f"{len(t)} independent searches", fontsize=10)
    grid = np.arange(1, t.max() + 1)
    b.step(t, np.arange(1, len(t) + 1) / cfg.n_seeds, where="post", color="#4c72b0", lw=2,
           label="ours (fraction of searches solved)")
    b.plot(grid, 1 - (1 - 1 / mean) ** grid, color="#c44e52", lw=1.2,
           label=f"geometric, p = 1/{mean:.0f}")
    b.plot(grid, 1 - (1 - 1 / PAPER_MEAN) ** grid, color="k", ls="--", lw=1.2,
           label=f"geometric at the paper's mean, p = 1/{PAPER_MEAN}")
    b.set_xscale("log")
    b.set_xlabel("trials per search")
    b.set_ylabel("fraction of searches solved")
    b.legend(loc="upper left", fontsize=9, frameon=False)
    b.set_title("solved fraction follows a geometric law: each guess is an independent coin",
                fontsize=10)
    fig.suptitle(f"Random guessing solves {cfg.len_min}-{cfg.len_max}-step parity in {mean:.0f} "
                 f"trials on average (paper: {PAPER_MEAN})", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def switching_units(cfg, model, n_seq=20):
    """Per found net: how many hidden units change state (std > 0.1) on n_seq test sequences."""
    out, searches = [], rp.make_searches(cfg)
    for i in np.flatnonzero(model["solved"]):
        d = searches[i]
        p = rp.unpack(model["weights"][i], cfg.n_hidden, cfg.self_connections, cfg.arch)
        _, h, _ = rp.forward(p, d["X_test"][:n_seq], d["L_test"][:n_seq], trace=True)
        out.append(int((h.std(axis=(0, 1)) > 0.1).sum()))
    return np.array(out)


def fig_weights(cfg, model, path):
    k = switching_units(cfg, model)
    idx = np.flatnonzero(model["solved"])[:30]
    p = rp.unpack(model["weights"][idx], cfg.n_hidden, cfg.self_connections, cfg.arch)
    names = [n for n in NAMES if cfg.self_connections or n != "w_hh"]
    cols = [np.atleast_2d(p[n].T).T if p[n].ndim == 1 else p[n] for n in names]
    M = np.concatenate([c.reshape(len(idx), -1) for c in cols], axis=1)
    fig, ax = plt.subplots(figsize=(11, 5.2))
    im = ax.imshow(M, cmap="RdBu_r", vmin=-100, vmax=100, aspect="auto")
    edges = np.cumsum([c.reshape(len(idx), -1).shape[1] for c in cols])
    for e in edges[:-1]:
        ax.axvline(e - 0.5, color="k", lw=1)
    ax.set_xticks(edges - np.array([c.reshape(len(idx), -1).shape[1] for c in cols]) / 2 - 0.5)
    ax.set_xticklabels(names)
    ax.set_yticks(range(len(idx)))
    ax.set_yticklabels([f"{model['seeds'][i]} ({model['trials'][i]})" for i in idx], fontsize=7)
    ax.set_ylabel("seed (trials to success)")
    fig.colorbar(im, ax=ax, label="weight (prior U[-100, 100])", fraction=0.03)
    ax.set_title(f"Found nets of the first {len(idx)} searches: weights anywhere in the prior, no "
                 f"common layout;\nacross all {len(k)} found nets, {k.min()}-{k.max()} of the "
                 f"{cfg.n_hidden} hidden units switch on fresh sequences (mean {k.mean():.1f})",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_net_on_sequence(cfg, model, data, path, window=40):
    x, par, h, y = example_trace(cfg, model, data)
    L = len(x)
    fig, axes = plt.subplots(2, 2, figsize=(12, 5.2), sharey="row",
                             gridspec_kw={"height_ratios": [1, 1.3]})
    for col, sl in enumerate((slice(0, window), slice(L - window, L))):
        t = np.arange(L)[sl] + 1
        a = axes[0, col]
        a.bar(t, (x[sl] > 0) * 1.0, color="#cccccc", width=0.8, label="input is +1")
        a.step(t, par[sl], where="mid", color="k", lw=1.5, label="parity so far (target)")
        a.plot(t, y[sl], "o", color="#c44e52", ms=3.5, label="output y_t")
        a.set_ylim(-0.1, 1.15)
        a.set_title(f"steps {t[0]}-{t[-1]}" + (" (sequence end)" if col else ""), fontsize=10)
        hm = axes[1, col].imshow(h[sl].T, cmap="viridis", vmin=0, vmax=1, aspect="auto",
                                 extent=(t[0] - 0.5, t[-1] + 0.5, cfg.n_hidden - 0.5, -0.5))
        axes[1, col].set_xlabel("step t")
    axes[0, 0].legend(loc="upper left", fontsize=8, ncol=3, frameon=False,
                      bbox_to_anchor=(0, 1.32))
    axes[0, 0].set_ylabel("activation")
    axes[1, 0].set_ylabel("hidden unit")
    fig.colorbar(hm, ax=axes[1, :], label="h_t", fraction=0.02)
    err = float(abs(y[-1] - par[-1]))
    fig.suptitle(f"The net found by seed {cfg.seed} tracks the running parity at every step of a "
                 f"fresh {L}-step test sequence (final |y - target| = {err:.2g})", fontsize=11, y=1.04)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_search(cfg, model, history, data, path):
    acc = trial_accuracy(cfg, history["example_trials"], data)
    n = len(acc)
    fig, ax = plt.subplots(figsize=(10, 3.8))
    ax.plot(np.arange(1, n + 1), acc, ".", color="#4c72b0", ms=4, label="one random guess")
    ax.plot([n], [acc[-1]], "*", color="#c44e52", ms=16, label=f"accepted at trial {n}")
    ax.axhline(0.5, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("trial")
    ax.set_ylabel("training sequences correct")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="center left", fontsize=9, frameon=False, bbox_to_anchor=(1.0, 0.5))
    rej = acc[:-1]
    ax.set_title(f"Search of seed {cfg.seed}: all {len(rej)} rejected guesses score "
                 f"{rej.min():.0%}-{rej.max():.0%} (chance), then one scores 100%: "
                 f"no partial solutions to climb", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = load()
    data = rp.make_searches(rp.make_config(n_seeds=1, seed=cfg.seed, quick=cfg.quick))[0]
    fig_distribution(cfg, model, os.path.join(VIZ, "trials_distribution.png"))
    fig_weights(cfg, model, os.path.join(VIZ, "found_weights.png"))
    fig_net_on_sequence(cfg, model, data, os.path.join(VIZ, "net_on_sequence.png"))
    fig_search(cfg, model, history, data, os.path.join(VIZ, "search_example.png"))
    print(f"wrote {VIZ}/*.png")


if __name__ == "__main__":
    main()
