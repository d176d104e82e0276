"""Static figures for the bars stub -> bars/viz/*.png.

Loads the headline run saved by `python3 bars/bars.py` (bars/.cache/) through
bars.saved_run(), which trains and saves it once only when no saved run exists.

  python3 bars/visualize_bars.py
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
import bars  # noqa: E402

PAPER_KL = bars.PAPER["metrics"]["kl_bits"]
REACH = PAPER_KL * (1 + bars.Config().kl_reach_tol)       # a seed "reaches the paper's KL" below this
EARLIER_KL = bars.EARLIER["metrics"]["kl_bits_median"]

VIZ = os.path.join(HERE, "viz")


def one_seed(model, s):
    return {k: v[s:s + 1] for k, v in model.items()}


def show_image(ax, img, side, cmap="Greys", vmin=0, vmax=1):
    ax.imshow(np.asarray(img).reshape(side, side), cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])


def fig_kl_curve(cfg, hist, ev):
    ex = np.maximum(np.asarray(hist["examples"], float), 1)[1:]
    kl = np.asarray(hist["kl_bits"])[1:]                    # (T, S)
    nll = np.asarray(hist["nll_bits"])[1:]
    gap = np.asarray(hist["recog_gap_bits"])[1:]
    H, S = ev["entropy_bits"], kl.shape[1]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    lo, med, hi = np.quantile(kl, [0.1, 0.5, 0.9], axis=1)
    ax.fill_between(ex, lo, hi, color="C1", alpha=0.25, label=f"KL, 10-90 % of {S} seeds")
    ax.plot(ex, med, color="C1", lw=1.5, ls="--", label=f"KL, median of {S} seeds")
    ax.plot(ex, kl.min(1), color="C1", lw=0.8, ls=":", label="KL, best seed at each point")
    ax.plot(ex, kl[:, 0], color="C0", lw=2, label=f"KL, seed {cfg.seed} (shown in the GIF)")
    ax.plot(ex, np.median(gap, 1), color="C2", lw=1.2, label="recognition gap, median")
    ax.axhline(PAPER_KL, color="k", ls=":", label=f"paper ~{PAPER_KL:g} bits (one net)")
    ax.axhline(REACH, color="C3", ls="-.", lw=1, label=f"reaches the paper: <= {REACH:g}")
    ax.axhline(EARLIER_KL, color="0.5", ls=":", label=f"earlier repro {EARLIER_KL:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training examples per seed")
    ax.set_ylabel("bits")
    ax.set_title(f"Exact KL[p_data||p_model] levels off above the paper's: best seed "
                 f"{kl[-1].min():.3f}, median {np.median(kl[-1]):.3f}", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    lo, med, hi = np.quantile(nll, [0.1, 0.5, 0.9], axis=1)
    ax.fill_between(ex, lo, hi, color="C1", alpha=0.25, label=f"NLL, 10-90 % of {S} seeds")
    ax.plot(ex, med, color="C1", ls="--", label="NLL, median")
    ax.plot(ex, nll[:, 0], color="C0", lw=2, label=f"NLL, seed {cfg.seed}")
    ax.axhline(H, color="k", ls="--", label=f"floor H(p_data) = {H:.3f} bits")
    ax.set_xscale("log")
    ax.set_ylim(H - 0.2, H + 3)
    ax.set_xlabel("training examples per seed")
    ax.set_ylabel("bits per image")
    ax.set_title("NLL = H(p_data) + KL: the gap to the floor is the KL", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "kl_curve.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_model_vs_data(cfg, model, ev):
    images, probs = bars.bars_support(cfg)
    pm = np.exp(bars.log_p_model(one_seed(model, 0), images)[0])
    fig = plt.figure(figsize=(12, 4.2))
    ax = fig.add_axes([0.06, 0.32, 0.92, 0.58])
    x = np.arange(len(probs))
    ax.bar(x - 0.2, probs, 0.4, label="p_data")
    ax.bar(x + 0.2, pm, 0.4, label=f"p_model (seed {cfg.seed})")
    ax.set_yscale("log")
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_xticks([])
    ax.set_ylabel("probability")
    ax.set_title(f"p_model puts {pm.sum():.3f} of its mass on the 30 data images; "
                 f"KL = {ev['kl_bits'][0]:.3f} bits", fontsize=10)
    ax.legend(fontsize=8)
    for i, img in enumerate(images):
        a = fig.add_axes([0.06 + 0.92 * (i + 0.1) / len(x), 0.06, 0.92 * 0.8 / len(x), 0.2])
        show_image(a, img, cfg.side)
    fig.savefig(os.path.join(VIZ, "model_vs_data.png"), dpi=100)
    plt.close(fig)


def fig_fantasies(cfg, model):
    n = 48
    rng = np.random.default_rng(12345)
    K, H, V = cfg.n_top, cfg.n_hidden, cfg.side ** 2
    _, _, v = bars.generate(one_seed(model, 0), rng.random((1, n, K + H + V)))
    data = bars.sample_bars(rng, n, cfg)
    fig, axes = plt.subplots(6, 17, figsize=(11, 4.2))
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        r, c = divmod(i, 8)
        show_image(axes[r, c], data[i], cfg.side)
        show_image(axes[r, 9 + c], v[0, i], cfg.side)
        axes[r, c].axis("on")
        axes[r, 9 + c].axis("on")
    axes[0, 3].set_title("data samples", fontsize=10, loc="left")
    axes[0, 12].set_title(f"fantasies of the trained net (seed {cfg.seed})", fontsize=10,
                          loc="left")
    images, _ = bars.bars_support(cfg)
    mass = np.exp(bars.log_p_model(one_seed(model, 0), images)[0]).sum()
    fig.suptitle(f"The trained net puts {mass:.2f} of its probability on the 30 data images; "
                 f"the rest are off-support fantasies", fontsize=11)
    fig.savefig(os.path.join(VIZ, "fantasies.png"), dpi=100)
    plt.close(fig)


def fig_receptive_fields(cfg, model):
    m = one_seed(model, 0)
    G, R = m["G_hv"][0], m["R_vh"][0]                    # (H, V), (V, H)
    gz = m["G_zh"][0, 0]
    H = cfg.n_hidden
    fig, axes = plt.subplots(2, H, figsize=(1.45 * H, 3.6))
    for j in range(H):
        lim = np.abs(G[j]).max()
        show_image(axes[0, j], G[j], cfg.side, cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[0, j].set_title(f"h{j}: G_zh {gz[j]:+.1f}", fontsize=8)
        lim = np.abs(R[:, j]).max()
        show_image(axes[1, j], R[:, j], cfg.side, cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[0, 0].set_ylabel("generative\nG_hv", fontsize=8)
    axes[1, 0].set_ylabel("recognition\nR_vh", fontsize=8)
    st = bars.unit_structure(m, cfg)
    fig.suptitle(f"Seed {cfg.seed}: {st['bar_units'][0]} of {H} hidden units draw a single bar, "
                 f"{st['cross_units'][0]} draw a cross (vertical + horizontal bar); red +, blue -",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "receptive_fields.png"), dpi=110)
    plt.close(fig)


def fig_recognition_codes(cfg, model):
    images, probs = bars.bars_support(cfg)
    c = bars.code_marginals(one_seed(model, 0), images)
    q = np.concatenate([c["q_h"][0], c["q_z"][0]], 1)    # (M, H+K)
    p = np.concatenate([c["p_h"][0], c["p_z"][0]], 1)
    M = len(images)
    fig = plt.figure(figsize=(12, 4.6))
    for row, (mat, name) in enumerate(((q, "recognition q(unit on | v)"),
                                       (p, "exact posterior p(unit on | v)"))):
        ax = fig.add_axes([0.08, 0.58 - 0.38 * row, 0.9, 0.3])
        ax.imshow(mat.T, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        ax.set_yticks(range(q.shape[1]))
        ax.set_yticklabels([f"h{j}" for j in range(cfg.n_hidden)] + ["z"], fontsize=6)
        ax.set_xticks([])
        ax.set_ylabel(name, fontsize=7)
    for i, img in enumerate(images):
        a = fig.add_axes([0.08 + 0.9 * (i + 0.15) / M, 0.03, 0.9 * 0.7 / M, 0.13])
        show_image(a, img, cfg.side)
    diff = np.abs(q - p).max(1)
    worst = int(np.argmax(diff))
    fig.suptitle(f"Codes of the 30 data images (seed {cfg.seed}): recognition q matches the exact "
                 f"posterior to {np.median(diff):.3f} (median max|q - p|); worst image #{worst + 1} "
                 f"({diff[worst]:.2f})", fontsize=10)
    fig.savefig(os.path.join(VIZ, "recognition_codes.png"), dpi=100)
    plt.close(fig)


def hinton(ax, W, title):
    W = np.asarray(W)
    lim = np.abs(W).max()
    ax.set_facecolor("0.5")
    for (i, j), w in np.ndenumerate(W):
        s = np.sqrt(abs(w) / lim) * 0.9
        ax.add_patch(plt.Rectangle((j - s / 2, i - s / 2), s, s,
                                   color="white" if w > 0 else "black"))
    ax.set_xlim(-0.7, W.shape[1] - 0.3)
    ax.set_ylim(W.shape[0] - 0.3, -0.7)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{title} (max |w| = {lim:.1f})", fontsize=9)


def fig_hinton(cfg, model):
    """Generative weights on the left, recognition on the right; top layer in the lower row."""
    m = {k: v[0] for k, v in one_seed(model, 0).items()}
    fig = plt.figure(figsize=(12, 4.6), layout="constrained")
    gs = fig.add_gridspec(2, 2, width_ratios=[16, 17], height_ratios=[9, 2.6])
    hinton(fig.add_subplot(gs[0, 0]), np.concatenate([m["G_hv"], m["b_v"]], 0),
           "generative G_hv (rows h0-h7) + b_v (last row)")
    hinton(fig.add_subplot(gs[0, 1]), np.concatenate([m["R_vh"], m["c_h"]], 0).T,
           "recognition R_vh^T (rows h0-h7) + c_h (last col)")
    hinton(fig.add_subplot(gs[1, 0]), np.concatenate([m["G_zh"], m["b_h"]], 0),
           "G_zh (top row) + b_h, columns h0-h7")
    hinton(fig.add_subplot(gs[1, 1]), np.concatenate([m["R_hz"], m["c_z"]], 0).T,
           "R_hz (h0-h7) + c_z (last)")
    fig.suptitle(f"Hinton diagrams of seed {cfg.seed} (white +, black -, area ~ |w|): "
                 f"generative weights reach |w| = {np.abs(m['G_hv']).max():.0f}", fontsize=10)
    fig.savefig(os.path.join(VIZ, "hinton.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)


def fig_seeds(cfg, ev):
    kl = np.asarray(ev["kl_bits"])
    gap = np.asarray(ev["recog_gap_bits"])
    seeds = np.arange(cfg.seed, cfg.seed + len(kl))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.bar(seeds - 0.2, kl, 0.4, label="KL[p_data||p_model] (generative gap)")
    ax.bar(seeds + 0.2, gap, 0.4, label="E_data KL[q||posterior] (recognition gap)")
    ax.axhline(PAPER_KL, color="k", ls=":", label=f"paper ~{PAPER_KL:g} (one net)")
    ax.axhline(REACH, color="C3", ls="-.", label=f"reaches the paper: <= {REACH:g}")
    ax.set_xticks(seeds)
    ax.set_xticklabels([str(s) for s in seeds], rotation=45, fontsize=8)
    ax.set_xlabel("seed")
    ax.set_ylabel("bits")
    ax.set_ylim(0, 1.35 * max(kl.max(), gap.max()))
    ax.set_title(f"{np.sum(kl <= REACH)}/{len(kl)} seeds reach KL <= {REACH:g} bits; best "
                 f"{kl.min():.3f}, median {np.median(kl):.3f}", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "seeds.png"), dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_diagnosis(cfg):
    """Per-seed KL and cross units of every run record: headline and diagnostics."""
    import json
    runs = [("headline recipe,\n100 reporting seeds", os.path.join(HERE, "runs", "seeds100.json")),
            ("online recipe\n(300k steps)", os.path.join(HERE, "runs", "online.json")),
            ("wake from exact\nposterior (oracle)", os.path.join(HERE, "runs", "exact_wake.json")),
            ("start at hand-\nbuilt solution", os.path.join(HERE, "runs", "from_ideal.json"))]
    runs = [(n, json.load(open(p))["metrics"]) for n, p in runs if os.path.exists(p)]
    if not runs:
        return
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    for i, (name, met) in enumerate(runs):
        ps = met["per_seed"]
        x = i + np.linspace(-0.3, 0.3, len(ps["kl_bits"]))
        axes[0].scatter(x, ps["kl_bits"], s=18 if len(x) <= 10 else 6, color=f"C{i}")
        axes[0].plot([i - 0.3, i + 0.3], [met["kl_bits_median"]] * 2, color="k", lw=2)
        axes[1].scatter(x, ps["cross_units"], s=18 if len(x) <= 10 else 6, color=f"C{i}")
        axes[1].plot([i - 0.3, i + 0.3], [met["cross_units_median"]] * 2, color="k", lw=2)
    for ax in axes:
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels([n for n, _ in runs], fontsize=8)
    axes[0].set_yscale("log")
    axes[0].axhline(PAPER_KL, color="k", ls=":", label=f"paper ~{PAPER_KL:g} (one net)")
    axes[0].axhline(REACH, color="C3", ls="-.", label=f"reaches the paper: <= {REACH:g}")
    axes[0].set_ylabel("final exact KL (bits), dots = seeds, bar = median")
    axes[0].legend(fontsize=7)
    axes[1].set_ylabel("hidden units drawing a cross (of 8)")
    fig.suptitle("Stalls come with cross units: the hand-built solution stays put "
                 f"(median KL {runs[-1][1]['kl_bits_median']:.3f}), random starts do not reach it",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "diagnosis.png"), dpi=100, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, hist = bars.saved_run()
    ev = bars.evaluate(model, cfg)
    fig_kl_curve(cfg, hist, ev)
    fig_model_vs_data(cfg, model, ev)
    fig_fantasies(cfg, model)
    fig_receptive_fields(cfg, model)
    fig_recognition_codes(cfg, model)
    fig_hinton(cfg, model)
    fig_seeds(cfg, ev)
    fig_diagnosis(cfg)
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
