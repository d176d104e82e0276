"""Static figures for the helmholtz-shifter stub -> viz/*.png.

Loads the saved headline run (helmholtz_shifter.saved_run(): the run the headline
command made, all its seeds); trains it once with the default Config only if no saved
run exists. The per-unit figures show the first reporting seed, labelled as such;
the seed figure shows every seed.

    python3 helmholtz-shifter/visualize_helmholtz_shifter.py
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
import helmholtz_shifter as hs  # noqa: E402

OUT = os.path.join(HERE, "viz")
PIXELS = "gray_r"            # on = dark, off = white, in every figure and the GIF


def show_image(ax, v, width, cmap=PIXELS, vmax=1.0):
    lo = 0 if cmap == PIXELS else -vmax
    ax.imshow(np.asarray(v).reshape(4, width), cmap=cmap, vmin=lo, vmax=vmax,
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def save(fig, name):
    fig.savefig(os.path.join(OUT, name), dpi=100, bbox_inches="tight")
    plt.close(fig)


def fig_nll(cfg, hist, m):
    """IS-NLL over training: median and 10-90 % band over the seeds, against the floor."""
    x = np.array(hist["step"]) * cfg.batch_size / 1e6
    nll = np.array(hist["is_nll_bits"])                      # (points, seeds)
    lo, med, hi = np.quantile(nll, [0.1, 0.5, 0.9], axis=1)
    H = m["entropy_bits"]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.fill_between(x, lo, hi, color="tab:blue", alpha=0.25,
                    label=f"10-90 % of {nll.shape[1]} seeds")
    ax.plot(x, med, color="tab:blue", label=f"median, IS-NLL (M = {cfg.is_samples_hist})")
    ax.axhline(H, color="k", ls="--", label=f"H(p_data) = {H:.2f} bits (floor)")
    ax.axhline(H + cfg.nll_gap_target, color="tab:green", ls=":",
               label=f"floor + {cfg.nll_gap_target:g} bits")
    if "ideal_net_exact_nll_bits" in m:
        ax.plot([x[-1]], [m["ideal_net_exact_nll_bits"]], "k*", ms=11,
                label="hand-built 32-16-1 net (exact)")
    ax.set_ylim(H - 0.5, min(hi.max(), H + 8))
    ax.set_xlabel("training patterns (millions)")
    ax.set_ylabel("NLL on p_data (bits / image)")
    ax.set_title(f"Wake-sleep stalls {m['nll_gap_bits_median']:.2f} bits above the data "
                 f"entropy\n(median of {nll.shape[1]} seeds); the architecture can reach it",
                 fontsize=11)
    ax.legend(fontsize=8, loc="upper right")
    save(fig, "nll_curve.png")


def fig_seeds(cfg, m):
    """Per seed: the best layer-3 unit's read-out and the number of pair detectors."""
    ps = m["per_seed"]
    seeds, acc, pairs = ps["seed"], np.array(ps["top_unit_best_acc"]), ps["n_pair_detectors"]
    x = np.arange(len(seeds))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
    a1.bar(x, acc, color=np.where(acc >= cfg.separate_acc, "tab:green", "tab:gray"))
    a1.axhline(cfg.separate_acc, color="tab:green", ls="--", label="separates the directions")
    a1.axhline(0.5, color="k", ls=":", lw=1, label="chance")
    a1.set_ylim(0.4, 1.0)
    a1.set_ylabel("best layer-3 unit's read-out\n(identifiable held-out images)")
    a1.legend(fontsize=8, loc="upper right")
    a2.bar(x - 0.2, pairs, 0.4, label="shifted-pair detectors")
    a2.bar(x + 0.2, ps["n_blind_triplets"], 0.4, label="direction-blind triplets")
    a2.axhline(cfg.n_hidden, color="k", ls=":", lw=1, label=f"all {cfg.n_hidden} units")
    a2.set_ylim(0, cfg.n_hidden + 4)
    a2.set_ylabel("layer-2 units")
    a2.legend(fontsize=8, loc="upper right", ncol=3)
    for a in (a1, a2):
        a.set_xticks(x)
        a.set_xticklabels([str(s) for s in seeds], rotation=45, fontsize=8)
        a.set_xlabel("seed")
    fig.suptitle(f"A layer-3 unit separates the shift directions in {m['seeds_top_separates']}"
                 f"/{m['n_seeds']} seeds (paper: its one net did); at most "
                 f"{m['n_pair_detectors_max']} of {cfg.n_hidden} layer-2 units detect shifted "
                 f"pairs (paper: most)", fontsize=11)
    fig.tight_layout()
    save(fig, "seeds.png")


def fig_fantasies(p, cfg):
    rng = np.random.default_rng(0)
    T, H, V = cfg.n_top, cfg.n_hidden, 4 * cfg.width
    _, _, vf = hs.generate_sample(p, rng.random((24, T)), rng.random((24, H)), rng.random((24, V)))
    vd, _ = hs.sample_shifter(rng.random((24, cfg.width + 1)), cfg.p_on, cfg.width)
    legal = {x.tobytes() for x in hs.data_support(cfg.p_on, cfg.width)[0]}
    fig, axes = plt.subplots(4, 12, figsize=(12, 2.6))
    for i in range(24):
        show_image(axes[i // 12, i % 12], vd[i], cfg.width)
        show_image(axes[2 + i // 12, i % 12], vf[i], cfg.width)
    axes[0, 0].set_ylabel("data", fontsize=9)
    axes[2, 0].set_ylabel("fantasy", fontsize=9)
    n_ok = sum(x.tobytes() in legal for x in vf)
    fig.suptitle(f"Seed {cfg.seed} (first reporting seed). Top: data. Bottom: fantasies of the "
                 f"generative net, {n_ok}/24 legal shifter images", fontsize=11)
    fig.tight_layout()
    save(fig, "fantasies.png")


def fig_fields(p, cfg, m):
    H, pairs = cfg.n_hidden, m["hidden_selectivity"]["pairs"]
    cols = 8
    rows = int(np.ceil(H / cols))
    vmax = np.abs(p["W_hv"]).max()
    fig, axes = plt.subplots(rows, cols, figsize=(14, 1.45 * rows + 0.3))
    for j, ax in enumerate(np.atleast_1d(axes).ravel()):
        if j >= H:
            ax.axis("off")
            continue
        show_image(ax, p["W_hv"][j], cfg.width, cmap="RdBu_r", vmax=vmax)
        q = pairs[j]
        if q["kind"] in ("right", "left"):
            lab = f"pair {q['top'][0]}->{q['bottom'][0]} {q['kind'][0].upper()}"
        else:
            lab = {"both": "blind triplet"}.get(q["kind"], q["kind"])
        wt = ", ".join(f"{x:+.1f}" for x in p["W_th"][:, j])
        ax.set_title(f"h{j}: {lab}\nW_th {wt}", fontsize=8)
    fig.suptitle(f"Seed {cfg.seed}: generative fields W_hv of the layer-2 units (red +, blue -): "
                 f"{m['n_pair_detectors']}/{H} shifted-pair detectors, {m['n_blind_triplets']} "
                 f"direction-blind triplets, {m['n_unused']} unused", fontsize=11)
    fig.tight_layout(h_pad=0.3)
    save(fig, "receptive_fields.png")


def fig_selectivity(cfg, m):
    ts, hsel = m["top_selectivity"], m["hidden_selectivity"]
    T, H = len(ts["diff"]), len(hsel["q_h_right"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 3]})
    x = np.arange(T)
    a1.bar(x - 0.2, ts["q_t_left"], 0.4, label="left-shift images")
    a1.bar(x + 0.2, ts["q_t_right"], 0.4, label="right-shift images")
    a1.set_xticks(x)
    a1.set_xticklabels([f"t{k}" for k in range(T)])
    a1.set_ylim(0, 1.3)
    a1.set_yticks(np.linspace(0, 1, 6))
    a1.set_ylabel("mean q(t = 1 | v)")
    a1.set_title(f"Layer 3: read-out {m['top_unit_best_acc']:.2f}", fontsize=10)
    a1.legend(fontsize=7, loc="upper right")
    x = np.arange(H)
    a2.bar(x - 0.2, hsel["q_h_left"], 0.4, label="left")
    a2.bar(x + 0.2, hsel["q_h_right"], 0.4, label="right")
    a2.set_xticks(x)
    a2.set_xticklabels([f"h{j}\n{q['kind'][:1]}" for j, q in enumerate(hsel["pairs"])],
                       fontsize=8)
    a2.set_ylim(0, 1.15 * max(max(hsel["q_h_left"]), max(hsel["q_h_right"])) + 0.1)
    a2.set_ylabel("mean q(h = 1 | v)")
    a2.set_title("Layer 2 by shift direction (letter: field kind r/l pair, b blind, u unused, "
                 "o other)", fontsize=10)
    a2.legend(fontsize=7, loc="upper right", ncol=2)
    dh = np.abs(np.subtract(hsel["q_h_left"], hsel["q_h_right"])).max()
    fig.suptitle(f"Seed {cfg.seed}, identifiable held-out images: top unit "
                 f"{ts['q_t_left'][0]:.2f} (left) vs {ts['q_t_right'][0]:.2f} (right); "
                 f"no layer-2 unit differs by more than {dh:.2f}", fontsize=11)
    fig.tight_layout()
    save(fig, "selectivity.png")


def fig_reconstructions(p, cfg):
    rng = np.random.default_rng(1)
    v, d = hs.sample_shifter(rng.random((10, cfg.width + 1)), cfg.p_on, cfg.width)
    qh, qt = hs.recognise(p, v)
    h = (rng.random(qh.shape) < qh).astype(float)
    rec = hs.sigmoid(h @ p["W_hv"] + p["b_v"])
    err = np.abs(rec - v).sum(1)
    fig, axes = plt.subplots(3, 10, figsize=(12, 3.0))
    for i in range(10):
        show_image(axes[0, i], v[i], cfg.width)
        axes[0, i].set_title("R" if d[i] else "L", fontsize=8)
        axes[1, i].imshow(h[i][None, :], cmap=PIXELS, vmin=0, vmax=1, aspect="auto")
        axes[1, i].set_xticks([])
        axes[1, i].set_yticks([])
        show_image(axes[2, i], rec[i], cfg.width)
        axes[2, i].set_xlabel(f"q(t)={qt[i, 0]:.2f}", fontsize=8)
    axes[0, 0].set_ylabel("data", fontsize=8)
    axes[1, 0].set_ylabel("h ~ q", fontsize=8)
    axes[2, 0].set_ylabel("p(v|h)", fontsize=8)
    fig.suptitle(f"Seed {cfg.seed}: recognise, then regenerate: mean {err.mean():.2f} wrong "
                 f"pixels (in expectation) per {4 * cfg.width}-pixel image", fontsize=11)
    fig.tight_layout()
    save(fig, "reconstructions.png")


def main():
    os.makedirs(OUT, exist_ok=True)
    cfg, model, hist = hs.saved_run()
    m = hs.summarise(cfg, model, hist)          # every seed; the first at the top level
    p = hs.one_seed(model, 0)
    fig_nll(cfg, hist, m)
    fig_seeds(cfg, m)
    fig_fantasies(p, cfg)
    fig_fields(p, cfg, m)
    fig_selectivity(cfg, m)
    fig_reconstructions(p, cfg)
    print("figures ->", OUT)


if __name__ == "__main__":
    main()
