"""Static figures for the helmholtz-shifter stub -> viz/*.png.

Loads the saved headline run (.cache/run_seed<N>.npz, written by the headline
command); trains it once with the default Config only if it is missing.

    python3 helmholtz-shifter/visualize_helmholtz_shifter.py [--seed 0]
"""
from __future__ import annotations

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import helmholtz_shifter as hs  # noqa: E402

OUT = os.path.join(HERE, "viz")


def show_image(ax, v, width, vmax=1.0, cmap="gray"):
    ax.imshow(np.asarray(v).reshape(4, width), cmap=cmap, vmin=-vmax if cmap != "gray" else 0,
              vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def fantasies(p, n, rng):
    """n top-down samples from the generative net (the model's 'dreams')."""
    T, H, V = p["W_th"].shape[0], p["W_hv"].shape[0], p["W_hv"].shape[1]
    t, h, v = hs.generate_sample(p, rng.random((n, T)), rng.random((n, H)), rng.random((n, V)))
    return t, h, v


def fig_nll(meta, m, cfg):
    steps = np.array(meta["step"])
    nll = np.array(meta["is_nll_bits"])
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(steps * cfg.batch_size / 1e6, nll, "o-", ms=3, label=f"IS-NLL, M = {cfg.is_samples_hist}")
    ax.axhline(m["entropy_bits"], color="k", ls="--", label=f"H(p_data) = {m['entropy_bits']:.2f} bits (floor)")
    ax.axhline(m["entropy_bits"] + 0.5, color="tab:green", ls=":", label="target: floor + 0.5 bits")
    ax.plot([steps[-1] * cfg.batch_size / 1e6], [m["exact_nll_bits"]], "r*", ms=12,
            label=f"final exact NLL {m['exact_nll_bits']:.2f} bits")
    ax.set_ylim(m["entropy_bits"] - 0.5, min(nll.max(), m["entropy_bits"] + 8))
    ax.set_xlabel("training patterns (millions)")
    ax.set_ylabel("NLL on p_data (bits / image)")
    ax.set_title(f"Wake-sleep ends {m['nll_gap_bits']:.2f} bits above the data entropy",
                 fontsize=11)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "nll_curve.png"), dpi=110)
    plt.close(fig)


def fig_fantasies(p, cfg, m):
    rng = np.random.default_rng(0)
    _, _, vf = fantasies(p, 24, rng)
    vd, _ = hs.sample_shifter(rng.random((24, cfg.width + 1)), cfg.p_on, cfg.width)
    fig, axes = plt.subplots(4, 12, figsize=(12, 3.2))
    for i in range(24):
        show_image(axes[i // 12, i % 12], vd[i], cfg.width)
        show_image(axes[2 + i // 12, i % 12], vf[i], cfg.width)
    axes[0, 0].set_ylabel("data", fontsize=9)
    axes[2, 0].set_ylabel("fantasy", fontsize=9)
    ok = hs.identifiable(vf, cfg.width)
    vf_valid = sum(any(np.array_equal(x, s) for s in hs.data_support(cfg.p_on, cfg.width)[0])
                   for x in vf)
    fig.suptitle(f"Top: data. Bottom: fantasies from the generative net "
                 f"({vf_valid}/24 are legal shifter images)", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "fantasies.png"), dpi=100)
    plt.close(fig)
    return ok


def fig_fields(p, cfg, m):
    H = cfg.n_hidden
    pairs = m["hidden_selectivity"]["pairs"]
    cols = 8
    rows = int(np.ceil(H / cols))
    vmax = np.abs(p["W_hv"]).max()
    fig, axes = plt.subplots(rows, cols, figsize=(14, 1.9 * rows + 0.6))
    for j, ax in enumerate(np.atleast_1d(axes).ravel()):
        if j >= H:
            ax.axis("off")
            continue
        show_image(ax, p["W_hv"][j], cfg.width, vmax=vmax, cmap="RdBu_r")
        q = pairs[j]
        if q["kind"] in ("right", "left"):
            lab = f"pair {q['top'][0]}->{q['bottom'][0]} {q['kind'][0].upper()}"
        else:
            lab = {"both": "blind triplet"}.get(q["kind"], q["kind"])
        wt = ", ".join(f"{x:+.1f}" for x in p["W_th"][:, j])
        ax.set_title(f"h{j}: {lab}\nW_th {wt}", fontsize=7)
    fig.suptitle(f"Generative fields W_hv of the layer-2 units (red +, blue -): "
                 f"{m['n_pair_detectors']}/{H} are shifted-pair detectors, "
                 f"{m['n_blind_triplets']} direction-blind triplets, {m['n_unused']} unused",
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "receptive_fields.png"), dpi=100)
    plt.close(fig)


def fig_selectivity(cfg, m):
    ts = m["top_selectivity"]
    hsel = m["hidden_selectivity"]
    T, H = len(ts["diff"]), len(hsel["q_h_right"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 3]})
    x = np.arange(T)
    a1.bar(x - 0.2, ts["q_t_left"], 0.4, label="left-shift images")
    a1.bar(x + 0.2, ts["q_t_right"], 0.4, label="right-shift images")
    a1.set_xticks(x)
    a1.set_xticklabels([f"t{k}" for k in range(T)])
    a1.set_ylim(0, 1)
    a1.set_ylabel("mean q(t = 1 | v)")
    a1.set_title(f"Layer 3: direction read-out {m['direction_recovery']:.2f}", fontsize=10)
    a1.legend(fontsize=7)
    x = np.arange(H)
    a2.bar(x - 0.2, hsel["q_h_left"], 0.4, label="left")
    a2.bar(x + 0.2, hsel["q_h_right"], 0.4, label="right")
    a2.set_xticks(x)
    a2.set_xticklabels([f"h{j}\n{q['kind'][:1]}" for j, q in enumerate(hsel["pairs"])],
                       fontsize=7)
    a2.set_ylabel("mean q(h = 1 | v)")
    a2.set_title("Layer 2 by shift direction (letter: field kind r/l pair, b blind, u unused, o other)",
                 fontsize=10)
    a2.legend(fontsize=7)
    dh = np.abs(np.subtract(hsel["q_h_left"], hsel["q_h_right"])).max()
    fig.suptitle(f"Direction selectivity on identifiable held-out images: top unit "
                 f"{ts['q_t_left'][0]:.2f} (left) vs {ts['q_t_right'][0]:.2f} (right); "
                 f"no layer-2 unit differs by more than {dh:.2f}", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "selectivity.png"), dpi=100)
    plt.close(fig)


def fig_reconstructions(p, cfg):
    rng = np.random.default_rng(1)
    v, d = hs.sample_shifter(rng.random((10, cfg.width + 1)), cfg.p_on, cfg.width)
    qh, qt = hs.recognise(p, v)
    h = (rng.random(qh.shape) < qh).astype(float)
    rec = hs.sigmoid(h @ p["W_hv"] + p["b_v"])
    err = np.abs(rec - v).sum(1)
    fig, axes = plt.subplots(3, 10, figsize=(12, 3.4))
    for i in range(10):
        show_image(axes[0, i], v[i], cfg.width)
        axes[0, i].set_title("R" if d[i] else "L", fontsize=8)
        axes[1, i].imshow(h[i][None, :], cmap="gray", vmin=0, vmax=1, aspect="auto")
        axes[1, i].set_xticks([])
        axes[1, i].set_yticks([])
        show_image(axes[2, i], rec[i], cfg.width)
        axes[2, i].set_xlabel(f"q(t)={qt[i, 0]:.2f}", fontsize=7)
    axes[0, 0].set_ylabel("data", fontsize=8)
    axes[1, 0].set_ylabel("h ~ q", fontsize=8)
    axes[2, 0].set_ylabel("p(v|h)", fontsize=8)
    fig.suptitle(f"Recognise, then regenerate: mean {err.mean():.2f} wrong pixels "
                 f"(in expectation) per 32-pixel image", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "reconstructions.png"), dpi=100)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description="figures for helmholtz-shifter")
    ap.add_argument("--seed", type=int, default=0, help="which saved run to draw")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    p, cfg, meta, _ = hs.load_or_train(a.seed)
    m = hs.evaluate(p, cfg, hs.streams(cfg.seed)["eval"])
    fig_nll(meta, m, cfg)
    fig_fantasies(p, cfg, m)
    fig_fields(p, cfg, m)
    fig_selectivity(cfg, m)
    fig_reconstructions(p, cfg)
    print("figures ->", OUT)


if __name__ == "__main__":
    main()
