"""Figures for world-models-carracing -> viz/*.png.

Loads the saved run of the headline command (.cache/seed<N>.npz); trains and
saves it once only if it is missing. Numbers in titles come from the run
records (results.json, runs/ablation.json) or from the saved model.

    python3 world-models-carracing/visualize_world_models_carracing.py --seed 0
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import world_models_carracing as W  # noqa: E402

VIZ = os.path.join(HERE, "viz")


def decode(model, z, S):
    return W.vae_decode(model["vae"], z.astype(np.float32), S)[0]


def m_predict(model, cfg, rec, t0, k, tau, rng):
    """M's open-loop prediction of frames t0+1..t0+k: real z up to t0, real actions, then dream."""
    Z, H, K = cfg.z_dim, cfg.rnn_hidden, cfg.n_mix
    h = np.zeros((1, H), np.float32)
    c = np.zeros((1, H), np.float32)
    z = rec["z"][:1, 0]
    out = []
    for t in range(t0 + k):
        x = np.concatenate([z, rec["actions"][:1, t].astype(np.float32)], 1)
        h, c, _ = W.lstm_step(model["mdn"], x, h, c)
        logpi, mu, ls, _ = W.mdn_split(h @ model["mdn"]["Wy"] + model["mdn"]["by"], Z, K)
        if t + 1 <= t0:
            z = rec["z"][:1, t + 1]
        else:
            z = W.mdn_sample(logpi, mu, ls, tau, rng).astype(np.float32)
            out.append(z[0])
    return np.array(out)


def fig_tracks(cfg):
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 7]))
    tr = W.make_tracks(cfg, rng, 6)
    fig, ax = plt.subplots(1, 7, figsize=(15, 2.6))
    ext = [-cfg.playfield, cfg.playfield, -cfg.playfield, cfg.playfield]
    for i in range(6):
        ax[i].imshow(tr["road"][i], origin="lower", extent=ext, cmap="Greys", vmin=0, vmax=1.6)
        c = tr["centres"][i]
        ax[i].plot(c[0, 0], c[0, 1], "r^", ms=6)
        ax[i].set_title(f"track {i + 1}", fontsize=9)
        ax[i].set_xticks([]), ax[i].set_yticks([])
    env = W.Race(cfg, tr, np.arange(1))
    ax[6].imshow(env.render()[0], cmap="gray", vmin=0, vmax=1)
    ax[6].set_title("what the car sees\n(start of track 1)", fontsize=9)
    ax[6].set_xticks([]), ax[6].set_yticks([])
    fig.suptitle(f"A new random closed track every episode: {cfg.n_tiles} tiles, "
                 f"+{cfg.lap_reward / cfg.n_tiles:.1f} per new tile, -{cfg.frame_penalty} per frame "
                 f"(red: start)", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "tracks.png"), dpi=80)
    plt.close(fig)


def fig_vae(model, cfg, rec):
    S = cfg.obs_size
    idx = np.linspace(5, rec["frames"].shape[1] - 1, 8).astype(int)
    x = rec["frames"][0, idx]
    mu = W.vae_encode(model["vae"], x)[0]
    xh = decode(model, mu, S)
    prior = decode(model, np.random.default_rng(0).standard_normal((8, cfg.z_dim)), S)
    err = float(((x - xh) ** 2).sum((1, 2)).mean())
    fig, ax = plt.subplots(3, 8, figsize=(10, 4.2))
    for j in range(8):
        for i, (img, lab) in enumerate(((x, "frame"), (xh, "V(frame)"), (prior, "z ~ N(0, I)"))):
            ax[i, j].imshow(img[j], cmap="gray", vmin=0, vmax=1)
            ax[i, j].set_xticks([]), ax[i, j].set_yticks([])
            if j == 0:
                ax[i, j].set_ylabel(lab, fontsize=9)
    fig.suptitle(f"V keeps the road's shape in z (N_z={cfg.z_dim}): reconstruction error "
                 f"{err:.1f} summed over {S * S} pixels; prior samples are road-like", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "vae.png"), dpi=80)
    plt.close(fig)


def fig_m_predictions(model, cfg, rec):
    S, k, t0 = cfg.obs_size, 8, 30
    real = rec["frames"][0, t0 + 1:t0 + 1 + k]
    rows = [("reality", real)]
    for tau in (0.1, 1.15):
        z = m_predict(model, cfg, rec, t0, k, tau, np.random.default_rng(1))
        rows.append((f"M, tau={tau}", decode(model, z, S)))
    fig, ax = plt.subplots(3, k, figsize=(10, 4.2))
    for i, (lab, imgs) in enumerate(rows):
        for j in range(k):
            ax[i, j].imshow(imgs[j], cmap="gray", vmin=0, vmax=1)
            ax[i, j].set_xticks([]), ax[i, j].set_yticks([])
            if i == 0:
                ax[i, j].set_title(f"t+{j + 1}", fontsize=9)
            if j == 0:
                ax[i, j].set_ylabel(lab, fontsize=9)
    fig.suptitle(f"M imagines the next {k} frames from frame {t0} with the real actions "
                 "(decoded by V): low temperature stays close, high temperature wanders", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "m_predictions.png"), dpi=80)
    plt.close(fig)


def fig_cma(hist, cfg):
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    for key, lab, col in (("cma_v", "V only (real env)", "C0"), ("cma_full", "V + M (real env)", "C3"),
                          ("cma_dream", "V + M in M's dream (dream reward)", "C2")):
        h = hist[key]
        g = np.arange(1, len(h["best"]) + 1)
        ax[0].plot(g, h["best"], color=col, label=lab + ", best")
        ax[0].plot(g, h["mean"], color=col, ls="--", label=lab + ", mean")
        ax[1].plot(g, h["sigma"], color=col, label=lab)
    ax[0].axhline(900, color="k", lw=0.8, ls=":", label="solved (900)")
    ax[0].set_xlabel("CMA-ES generation")
    ax[0].set_ylabel(f"return (mean over {cfg.n_tracks} tracks)")
    ax[0].legend(fontsize=7)
    ax[1].set_xlabel("CMA-ES generation")
    ax[1].set_ylabel("step size sigma")
    ax[1].legend(fontsize=7)
    fb = hist["cma_full"]["best"][-1]
    vb = hist["cma_v"]["best"][-1]
    fig.suptitle(f"CMA-ES: best candidate reaches {fb:.0f} (V + M) and {vb:.0f} (V only) "
                 f"in {len(hist['cma_full']['best'])} generations", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "cmaes.png"), dpi=80)
    plt.close(fig)


def fig_ablation():
    recs = []
    for name, lab in (("ablation", "ours, 40 generations"), ("ablation_long", "ours, 100 generations")):
        path = os.path.join(HERE, "runs", name + ".json")
        if os.path.exists(path):
            recs.append((json.load(open(path)), lab))
    if not recs:
        recs = [(json.load(open(os.path.join(HERE, "results.json"))), "ours (headline)")]
    P = recs[0][0]["paper"]["metrics"]
    rows = [("random", "random", None), ("V only", "v_only", "v_only"), ("V + M", "full", "full"),
            ("dream-trained\nV + M", "dream", None)]
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    x = np.arange(len(rows))
    w = 0.8 / (len(recs) + 1)
    for i, (rec, lab) in enumerate(recs):
        m = rec["metrics"]
        xs = x - 0.4 + w * (i + 0.5)
        ax.bar(xs, [m[f"return_{k}"] for _, k, _ in rows], w,
               yerr=[m[f"return_{k}_std"] for _, k, _ in rows], capsize=3, color=f"C{i if i == 0 else 2}",
               label=f"{lab} ({m['n_seeds']} seeds x {rec['config']['n_eval']} tracks)")
        for j, (_, k, _) in enumerate(rows):          # one dot per training seed
            per = m.get(f"return_{k}_per_seed")
            if per:
                ax.plot(np.full(len(per), xs[j]), per, "k.", ms=4,
                        label="per-seed mean" if (i == 0 and j == 0) else None)
    xs = x - 0.4 + w * (len(recs) + 0.5)
    ax.bar(xs, [P.get(f"return_{p}", np.nan) if p else np.nan for _, _, p in rows], w,
           yerr=[P.get(f"return_{p}_std", 0) if p else 0 for _, _, p in rows], capsize=3,
           color="C1", label="paper (CarRacing-v0)")
    ax.axhline(900, color="k", ls=":", lw=0.8, label="solved (900)")
    ax.set_xticks(x)
    ax.set_xticklabels([r[0] for r in rows])
    ax.set_ylabel("return (mean ± std over seeds x tracks)")
    ax.legend(fontsize=7, loc="upper left")
    m = recs[-1][0]["metrics"]
    ax.set_title(f"V + M beats V only ({m['return_full']:.0f} vs {m['return_v_only']:.0f}, "
                 f"{recs[-1][1]}) but no seed reaches 900 (paper 906 vs 632)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "ablation.png"), dpi=80)
    plt.close(fig)


def fig_trajectory(model, cfg):
    fig, ax = plt.subplots(1, 2, figsize=(10, 5))
    ext = [-cfg.playfield, cfg.playfield, -cfg.playfield, cfg.playfield]
    for a, (which, lab) in zip(ax, (("v", "V only"), ("full", "V + M"))):
        tracks, ret, rec = W.unseen_episode(model, cfg, which)
        a.imshow(tracks["road"][0], origin="lower", extent=ext, cmap="Greys", vmin=0, vmax=1.6)
        p = rec["pos"][0]
        sp = np.r_[0, np.linalg.norm(np.diff(p, axis=0), axis=1)]
        sc = a.scatter(p[:, 0], p[:, 1], c=sp, s=6, cmap="viridis", vmin=0, vmax=2.5)
        a.set_title(f"{lab}: return {ret[0]:.0f}, {int(rec['visited'][0].sum())}/{cfg.n_tiles} tiles "
                    f"in {len(p)} frames", fontsize=10)
        lim = cfg.track_rad + cfg.track_width
        a.set_xlim(-lim, lim), a.set_ylim(-lim, lim)
        a.set_xticks([]), a.set_yticks([])
    fig.colorbar(sc, ax=ax, label="speed (units / frame)", shrink=0.8)
    fig.suptitle("One unseen track: both controllers drive near-circles at full throttle "
                 "and cut the concave bend (path coloured by speed)", fontsize=11)
    fig.savefig(os.path.join(VIZ, "trajectory.png"), dpi=80)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description="figures of the saved headline run")
    ap.add_argument("--seed", type=int, default=0, help="seed of the saved run to load")
    args = ap.parse_args()
    os.makedirs(VIZ, exist_ok=True)
    model, hist, cfg = W.load_or_train(args.seed)
    _, _, rec = W.unseen_episode(model, cfg, "full")
    fig_tracks(cfg)
    fig_vae(model, cfg, rec)
    fig_m_predictions(model, cfg, rec)
    fig_cma(hist, cfg)
    fig_ablation()
    fig_trajectory(model, cfg)
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
