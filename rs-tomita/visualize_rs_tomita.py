"""Static figures for the rs-tomita stub -> rs-tomita/viz/*.png.

Loads the headline run saved by `python3 rs-tomita/rs_tomita.py` (rs-tomita/.cache/)
through rs_tomita.saved_run(), which searches and saves it once only when no saved
run exists. Numbers come from that run and from rs_tomita.PAPER / EARLIER.

  python3 rs-tomita/visualize_rs_tomita.py
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
import rs_tomita as rt  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COLORS = {"A1": "C0", "A2": "C3"}


def headline_run():
    cfg = rt.make_config(seed=10000, n_seeds=100)
    return rt.saved_run(cfg)


def cells_of(cfg):
    return [(g, a) for g in rt.grammar_list(cfg) for a in rt.ARCHS]


def fig_trials(cfg, model, metrics):
    """Trials-to-success per cell: every search as a dot, our mean, the paper's mean."""
    fig, ax = plt.subplots(figsize=(9, 4.6))
    rng = np.random.default_rng(0)                       # jitter only
    k_in = metrics["cells_within_factor"]
    for i, (g, a) in enumerate(cells_of(cfg)):
        t = model[f"g{g}_{a}"]["trials"].astype(float)
        x = i + rng.uniform(-0.18, 0.18, len(t))
        ax.scatter(x, t, s=7, color=COLORS[a], alpha=0.35, lw=0)
        mean = metrics["cells"][f"g{g}_{a}"]["trials_mean"]
        paper = rt.PAPER["metrics"]["trials_mean"][f"g{g}"][a]
        ax.hlines(mean, i - 0.3, i + 0.3, color=COLORS[a], lw=2.5,
                  label="our mean" if i == 0 else None)
        ax.hlines(paper, i - 0.3, i + 0.3, color="k", lw=2, ls="--",
                  label="paper's mean (as the issue quotes it)" if i == 0 else None)
        ax.fill_between([i - 0.3, i + 0.3], paper / cfg.factor, paper * cfg.factor, color="k",
                        alpha=0.07, lw=0, label=f"paper x/÷ {cfg.factor:g} (verdict band)"
                        if i == 0 else None)
        early = rt.EARLIER["metrics"]["trials_median"][f"g{g}"]
        if a == "A1":
            ax.plot(i + 0.5, early, marker="x", color="0.4", ms=7,
                    label="earlier catalog median (5 tanh units)" if g == 1 else None)
    ax.set_xticks(range(len(cells_of(cfg))))
    ax.set_xticklabels([f"#{g} {a}\n({rt.units(cfg, a)} units)" for g, a in cells_of(cfg)])
    ax.set_yscale("log")
    ax.set_ylabel("trials until the training set is fit")
    ax.set_title(f"Random weight guessing: {k_in}/{metrics['n_cells']} mean trial counts within "
                 f"x{cfg.factor:g} of the paper's ({cfg.n_seeds} searches each)", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    ax.set_ylim(1, 10 ** np.ceil(np.log10(max(m["trials"].max() for m in model.values()) * 3)))
    fig.savefig(os.path.join(VIZ, "trials_vs_paper.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_fraction_solved(cfg, model):
    """Fraction of searches solved after t trials, one panel per grammar, paper's mean marked."""
    gs = rt.grammar_list(cfg)
    fig, axes = plt.subplots(1, len(gs), figsize=(4.2 * len(gs), 3.8), sharey=True)
    for ax, g in zip(np.atleast_1d(axes), gs):
        for a in rt.ARCHS:
            t = np.sort(model[f"g{g}_{a}"]["trials"])
            ax.step(t, np.arange(1, len(t) + 1) / len(t), where="post", color=COLORS[a],
                    label=f"{a} ({rt.units(cfg, a)} units)")
            ax.axvline(rt.PAPER["metrics"]["trials_mean"][f"g{g}"][a], color=COLORS[a], ls="--",
                       lw=1)
        ax.set_xscale("log")
        ax.set_title(f"grammar #{g}: dashed = paper's mean", fontsize=10)
        ax.set_xlabel("trials")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel(f"fraction of {cfg.n_seeds} searches solved")
    np.atleast_1d(axes)[0].legend(loc="lower right", fontsize=8)
    fig.suptitle("Trials to success are geometric: the spread of one search is as wide as its mean",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "fraction_solved.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def per_net_rates(cfg, m, g):
    train_strings, _ = rt.training_set(g, cfg.n_pos, cfg.n_neg)
    strings, labels = rt.held_out_set(g, train_strings, cfg.test_max_len)
    y = rt.read_strings({p: m[p] for p in ("W", "u", "b")}, rt.prefix_tree(strings), len(strings))
    right = (y > 0.5) == labels[None, :]
    return right[:, labels].mean(1), right[:, ~labels].mean(1)


def fig_held_out(cfg, model, metrics):
    """Every found net on the unseen strings: members accepted vs non-members rejected."""
    gs = rt.grammar_list(cfg)
    fig, axes = plt.subplots(1, len(gs), figsize=(4.2 * len(gs), 4.0), sharey=True)
    for ax, g in zip(np.atleast_1d(axes), gs):
        for a in rt.ARCHS:
            pos, neg = per_net_rates(cfg, model[f"g{g}_{a}"], g)
            c = metrics["cells"][f"g{g}_{a}"]
            ax.scatter(neg, pos, s=14, alpha=0.5, color=COLORS[a], lw=0,
                       label=f"{a}: {c['test_perfect']}/{c['solved']} perfect")
        ax.plot([1], [1], marker="*", ms=14, color="gold", mec="k", zorder=5)
        ax.set_xlim(-0.03, 1.05)
        ax.set_ylim(-0.03, 1.08)
        ax.set_xlabel("unseen non-members rejected")
        ax.set_title(f"grammar #{g} (star = the grammar)", fontsize=10)
        ax.legend(loc="lower left", fontsize=8)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("unseen members accepted")
    fig.suptitle("Nets that fit 16 training strings rarely get the grammar: held-out check of "
                 "every found net", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "held_out.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def trace(ex, string):
    """Unit activations of one found net after each symbol of `string`: (len, N), eqs (1)-(2)."""
    W, u, b = (np.array(ex[p]) for p in ("W", "u", "b"))
    s, states = np.zeros(len(b)), []
    for ch in string:
        s = rt.sigmoid(W @ s + float(ch) * u + b)
        states.append(s)
    return np.array(states)


def fig_found_net(cfg, metrics, g=4, arch="A1", string="1001001000110010"):
    ex = metrics["cells"][f"g{g}_{arch}"]["example"]
    S = trace(ex, string)
    truth = [rt.member(g, string[:k]) for k in range(1, len(string) + 1)]
    fig, ax = plt.subplots(figsize=(9.5, 3.2))
    im = ax.imshow(S.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    for k, (acc, tr) in enumerate(zip(S[:, 0] > 0.5, truth)):
        ax.text(k, -0.75, "acc" if acc else "rej", ha="center", fontsize=8,
                color="C2" if acc == tr else "C3")
        ax.text(k, 0, f"{S[k, 0]:.2f}", ha="center", va="center", fontsize=7,
                color="k" if S[k, 0] > 0.5 else "w")
    ax.set_xticks(range(len(string)))
    ax.set_xticklabels(list(string))
    ax.set_yticks(range(S.shape[1]))
    ax.set_yticklabels(["output"] + [f"hidden {i}" for i in range(1, S.shape[1])])
    ax.set_ylim(S.shape[1] - 0.5, -1.2)
    ax.set_xlabel("symbol read (above: accept/reject after each prefix, green = right)")
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01, label="activation")
    ax.set_title(f"A guessed net for grammar #{g} ({arch}, seed {ex['seed']}, {ex['trials']:,} "
                 f"trials, held-out accuracy {ex['test_acc']:.3f}) counts 0s in one graded unit",
                 fontsize=10)
    fig.savefig(os.path.join(VIZ, "found_net.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = headline_run()
    metrics = rt.summarise(cfg, model, history)
    fig_trials(cfg, model, metrics)
    fig_fraction_solved(cfg, model)
    fig_held_out(cfg, model, metrics)
    fig_found_net(cfg, metrics)
    print("wrote", ", ".join(sorted(os.listdir(VIZ))))


if __name__ == "__main__":
    main()
