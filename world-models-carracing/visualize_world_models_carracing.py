"""Figures for world-models-carracing -> viz/*.png.

Loads the saved headline run (world_models_carracing.saved_run(): the default
Config, i.e. the headline command's seeds; trains it once only if missing).
Paper numbers come from PAPER, thresholds from Config, our numbers from the
saved run and the run records (results.json, runs/*.json).

    python3 world-models-carracing/visualize_world_models_carracing.py
"""
from __future__ import annotations

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
P = W.PAPER["metrics"]
SOLVED = P["solved_threshold"]
ROWS = (("v_only", "cma_v", "V only", "C0"), ("hidden", "cma_hidden", "V + hidden layer", "C4"),
        ("random_m", "cma_random", "V + untrained M", "C7"), ("full", "cma_full", "V + M", "C3"),
        ("dream", "cma_dream", "V + M in M's dream", "C2"))


def load_record(name):
    path = os.path.join(HERE, "results.json" if name == "results" else f"runs/{name}.json")
    return json.load(open(path)) if os.path.exists(path) else None


def showcase(cfg, model):
    """(index, label) of the showcase seed: the one with the median V + M mean in results.json
    (representative), or the first seed, labelled as such, if the record is of other seeds."""
    rec = load_record("results")
    seeds = [run["seed"] for run in model["runs"]]
    if rec and rec["metrics"].get("per_seed", {}).get("seed") == seeds:
        per = rec["metrics"]["per_seed"]["return_full"]
        i = int(np.argsort(per)[len(per) // 2])
        return i, f"seed {seeds[i]}, the median V + M of {len(seeds)} seeds"
    return 0, f"seed {seeds[0]}, the first seed, not chosen as representative"


def track_box(tracks, cfg, i=0, pos=None):
    """Square (xlim, ylim) around track i's road (and the path pos, if given)."""
    pts = tracks["dense"][i] if pos is None else np.concatenate([tracks["dense"][i], pos])
    lo, hi = pts.min(0) - cfg.track_width, pts.max(0) + cfg.track_width
    c, r = (lo + hi) / 2, (hi - lo).max() / 2
    return (c[0] - r, c[0] + r), (c[1] - r, c[1] + r)


def decode(run, z, S):
    return W.vae_decode(run["vae"], z.astype(np.float32), S)[0]


def m_predict(run, cfg, rec, t0, k, tau, rng):
    """M's open-loop prediction of frames t0+1..t0+k: real z up to t0, real actions, then dream."""
    Z, H, K = cfg.z_dim, cfg.rnn_hidden, cfg.n_mix
    h = np.zeros((1, H), np.float32)
    c = np.zeros((1, H), np.float32)
    z = rec["z"][:1, 0]
    out = []
    for t in range(t0 + k):
        x = np.concatenate([z, rec["actions"][:1, t].astype(np.float32)], 1)
        h, c, _ = W.lstm_step(run["mdn"], x, h, c)
        logpi, mu, ls, _ = W.mdn_split(h @ run["mdn"]["Wy"] + run["mdn"]["by"], Z, K)
        if t + 1 <= t0:
            z = rec["z"][:1, t + 1]
        else:
            z = W.mdn_sample(logpi, mu, ls, tau, rng).astype(np.float32)
            out.append(z[0])
    return np.array(out)


def fig_tracks(cfg):
    tr = W.make_tracks(cfg, W.seed_streams(cfg.seed, W.STREAMS)["showcase"], 6)
    fig, ax = plt.subplots(1, 7, figsize=(15, 2.6), constrained_layout=True)
    ext = [-cfg.playfield, cfg.playfield, -cfg.playfield, cfg.playfield]
    for i in range(6):
        ax[i].imshow(tr["road"][i], origin="lower", extent=ext, cmap="Greys", vmin=0, vmax=1.6)
        c = tr["centres"][i]
        ax[i].plot(c[0, 0], c[0, 1], "r^", ms=6)
        ax[i].set_title(f"track {i + 1}", fontsize=9)
        xl, yl = track_box(tr, cfg, i)
        ax[i].set_xlim(*xl), ax[i].set_ylim(*yl)
        ax[i].set_xticks([]), ax[i].set_yticks([])
    env = W.Race(cfg, tr, np.arange(1))
    ax[6].imshow(env.render()[0], cmap="gray", vmin=0, vmax=1)
    ax[6].set_title("what the car sees\n(start of track 1)", fontsize=9)
    ax[6].set_xticks([]), ax[6].set_yticks([])
    fig.suptitle(f"A new random closed track every episode: {cfg.n_tiles} tiles, "
                 f"+{cfg.lap_reward / cfg.n_tiles:.1f} per new tile, -{cfg.frame_penalty} per frame "
                 f"(red: start)", fontsize=11)
    fig.savefig(os.path.join(VIZ, "tracks.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)


def fig_vae(run, cfg, rec, who):
    S = cfg.obs_size
    idx = np.linspace(5, rec["frames"].shape[1] - 1, 8).astype(int)
    x = rec["frames"][0, idx]
    mu = W.vae_encode(run["vae"], x)[0]
    xh = decode(run, mu, S)
    prior = decode(run, np.random.default_rng(0).standard_normal((8, cfg.z_dim)), S)
    err = float(((x - xh) ** 2).sum((1, 2)).mean())
    fig, ax = plt.subplots(3, 8, figsize=(10, 4.2), constrained_layout=True)
    for j in range(8):
        for i, (img, lab) in enumerate(((x, "frame"), (xh, "V(frame)"), (prior, "z ~ N(0, I)"))):
            ax[i, j].imshow(img[j], cmap="gray", vmin=0, vmax=1)
            ax[i, j].set_xticks([]), ax[i, j].set_yticks([])
            if j == 0:
                ax[i, j].set_ylabel(lab, fontsize=9)
    fig.suptitle(f"V keeps the road's shape in z (N_z={cfg.z_dim}; {who}): reconstruction error "
                 f"{err:.1f} summed over {S * S} pixels; prior samples are road-like", fontsize=10)
    fig.savefig(os.path.join(VIZ, "vae.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)


def fig_m_predictions(run, cfg, rec, who):
    S, k, t0 = cfg.obs_size, 8, 30
    real = rec["frames"][0, t0 + 1:t0 + 1 + k]
    rows = [("reality", real)]
    for tau in (0.1, cfg.dream_tau):
        z = m_predict(run, cfg, rec, t0, k, tau, np.random.default_rng(1))
        rows.append((f"M, tau={tau:g}", decode(run, z, S)))
    fig, ax = plt.subplots(3, k, figsize=(10, 4.2), constrained_layout=True)
    for i, (lab, imgs) in enumerate(rows):
        for j in range(k):
            ax[i, j].imshow(imgs[j], cmap="gray", vmin=0, vmax=1)
            ax[i, j].set_xticks([]), ax[i, j].set_yticks([])
            if i == 0:
                ax[i, j].set_title(f"t+{j + 1}", fontsize=9)
            if j == 0:
                ax[i, j].set_ylabel(lab, fontsize=9)
    fig.suptitle(f"M imagines the next {k} frames from frame {t0} with the real actions "
                 f"(decoded by V; {who})", fontsize=10)
    fig.savefig(os.path.join(VIZ, "m_predictions.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)


def band(ax, curves, color, label, ls="-", fill=True):
    """Median over seeds, with the min-max range shaded if fill; curves (S, G)."""
    c = np.asarray(curves)
    g = np.arange(1, c.shape[1] + 1)
    ax.plot(g, np.median(c, 0), color=color, ls=ls, label=label, lw=1.5 if fill else 1.0)
    if fill:
        ax.fill_between(g, c.min(0), c.max(0), color=color, alpha=0.18, lw=0)


def fig_cma(history, cfg):
    runs = history["runs"]
    S = len(runs)
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    for _, key, lab, col in ROWS:
        a = ax[1] if key == "cma_dream" else ax[0]
        band(a, [h[key]["mean"] for h in runs], col, f"{lab}: population mean")
        band(a, [h[key]["best"] for h in runs], col, f"{lab}: best candidate (median)", ls=":",
             fill=False)
        band(ax[2], [h[key]["sigma"] for h in runs], col, lab)
    ax[0].axhline(SOLVED, color="k", lw=0.8, ls="--", label=f"solved ({SOLVED})")
    ax[0].set_ylabel(f"real return (mean over {cfg.n_tracks} fresh tracks)")
    ax[1].set_ylabel("dream return (M's tile probability)")
    ax[2].set_ylabel("CMA-ES step size sigma")
    for a, t in zip(ax, ("real tracks", "inside M's dream", "step size")):
        a.set_xlabel("CMA-ES generation")
        a.set_title(t, fontsize=10)
        a.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fin = {k: np.median([h[k]["mean"][-1] for h in runs]) for k in ("cma_v", "cma_full")}
    fig.suptitle(f"CMA-ES, median and range (shaded) over {S} seeds: the final population mean is "
                 f"{fin['cma_full']:.0f} with M (V + M) and {fin['cma_v']:.0f} without (V only)",
                 fontsize=11)
    fig.savefig(os.path.join(VIZ, "cmaes.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)


def fig_ablation():
    rec = load_record("results")
    if not rec:
        return
    rows = (("random", None, "random"), ("v_only", "return_v_only", "V only"),
            ("hidden", "return_v_hidden", "V + tanh\nhidden layer"),
            ("random_m", None, "V + untrained\nM"), ("full", "return_full", "V + M"),
            ("dream", None, "C evolved\nin M's dream"))
    m, S = rec["metrics"], rec["metrics"]["n_seeds"]
    fig, ax = plt.subplots(figsize=(10, 4.4), constrained_layout=True)
    x = np.arange(len(rows))
    w = 0.38
    ax.bar(x - w / 2, [m[f"return_{k}"] for k, _, _ in rows], w,
           yerr=[m.get(f"return_{k}_std", 0) if k != "random" else 0 for k, _, _ in rows],
           capsize=3, color="C0", label=f"ours (numpy track): mean ± std over {S} seeds x "
                                         f"{rec['config']['n_eval']} tracks")
    for j, (k, _, _) in enumerate(rows):                  # one dot per training seed
        per = m.get("per_seed", {}).get(f"return_{k}")
        if per:
            ax.plot(np.full(len(per), x[j] - w / 2), per, "k.", ms=4,
                    label="one seed's mean" if j == 1 else None)
    ax.bar(x + w / 2, [P[p] if p else np.nan for _, p, _ in rows], w,
           yerr=[P[p + "_std"] if p else 0 for _, p, _ in rows], capsize=3,
           color="C1", label="paper (CarRacing-v0): mean ± std over 100 trials")
    ax.axhline(SOLVED, color="k", ls=":", lw=0.8, label=f"paper's 'solved' ({SOLVED})")
    ax.set_xticks(x)
    ax.set_xticklabels([r[2] for r in rows])
    ax.set_ylabel("return on unseen tracks")
    ax.set_ylim(0, 1150)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(f"Gain of V + M over V only on our track: {m['gain_full_over_v']:+.0f} points "
                 f"(untrained M {m['gain_random_m_over_v']:+.0f}, hidden layer "
                 f"{m['gain_hidden_over_v']:+.0f}); in the paper {P['gain_full_over_v']:+d} "
                 f"({P['return_full']} vs {P['return_v_only']})", fontsize=10)
    fig.savefig(os.path.join(VIZ, "ablation.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)


CEILINGS = (("ceiling_0_base", "first environment\n(grass drag 0.1,\naccel 0.08)"),
            ("ceiling_1_grass", "+ grass drag 0.3"), ("ceiling_2_grass_accel", "+ accel 0.12\n(current)"))


def fig_fidelity():
    """Left: what each environment change did to the value of velocity (privileged controller
    with and without the velocity features, runs/ceiling_*.json, development seeds). Right:
    on the reporting seeds, every vision controller of results.json against that ceiling
    (runs/ceiling_report.json), one line per seed."""
    recs = [(load_record(n), lab) for n, lab in CEILINGS]
    head, rep = load_record("results"), load_record("ceiling_report")
    if not (all(r for r, _ in recs) and head and rep):
        return
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.4), constrained_layout=True,
                           gridspec_kw={"width_ratios": [1, 1.4]})
    for i, (r, lab) in enumerate(recs):
        ps = r["metrics"]["per_seed"]
        for dx, k, c in ((-0.18, "return_priv_vel", "C1"), (0.18, "return_priv_novel", "C0")):
            ax[0].bar(i + dx, r["metrics"][k], 0.34, color=c, label=(
                "true state with velocity" if "_vel" in k else "true state without velocity")
                if i == 0 else None)
            ax[0].plot(np.full(len(ps[k]), i + dx), ps[k], "k.", ms=4)
        ax[0].text(i, r["metrics"]["return_priv_vel"] + 40, f"{r['metrics']['gain_velocity']:+.0f}",
                   ha="center", fontsize=9)
    ax[0].set_xticks(range(len(recs)))
    ax[0].set_xticklabels([lab for _, lab in recs], fontsize=8)
    ax[0].set_ylim(0, 1000)
    ax[0].set_ylabel("mean return on 100 unseen tracks")
    ax[0].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax[0].set_title("What velocity is worth (development seeds 0-4):\nlinear controller on the "
                    "true state, with minus without velocity", fontsize=10)
    hp, rp = head["metrics"]["per_seed"], rep["metrics"]["per_seed"]
    cols = [("V only", hp["return_v_only"]), ("V + hidden\nlayer", hp["return_hidden"]),
            ("V + untrained\nM", hp["return_random_m"]), ("V + M", hp["return_full"]),
            ("true state,\nno velocity", rp["return_priv_novel"]),
            ("true state,\nvelocity", rp["return_priv_vel"])]
    vals = np.array([v for _, v in cols])
    x = np.arange(len(cols))
    for i in range(len(cols)):
        ax[1].plot([i - 0.3, i + 0.3], [vals[i].mean()] * 2, color=f"C{i}", lw=4)
    for j, s in enumerate(hp["seed"]):
        ax[1].plot(x, vals[:, j], "k.-", lw=0.6, ms=5, label="one seed" if j == 0 else None)
    ax[1].set_xticks(x)
    ax[1].set_xticklabels([c[0] for c in cols], fontsize=8)
    ax[1].set_ylabel(f"mean return on {head['config']['n_eval']} unseen tracks")
    ax[1].legend(fontsize=8, loc="lower right")
    mv = vals.mean(1)
    ax[1].set_title(f"Reporting seeds {hp['seed'][0]}-{hp['seed'][-1]}, equal CMA-ES budget: V + M "
                    f"{mv[3]:.0f} = {mv[3] / mv[5]:.0%} of\nthe true-state ceiling {mv[5]:.0f} "
                    f"(bars: mean over seeds)", fontsize=10)
    fig.savefig(os.path.join(VIZ, "fidelity.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)


def fig_trajectory(run, cfg, who):
    fig, ax = plt.subplots(1, 2, figsize=(10, 5.2), constrained_layout=True)
    ext = [-cfg.playfield, cfg.playfield, -cfg.playfield, cfg.playfield]
    for a, (which, lab) in zip(ax, (("v_only", "V only"), ("full", "V + M"))):
        tracks, ret, rec = W.showcase_episode(run, cfg, which)
        a.imshow(tracks["road"][0], origin="lower", extent=ext, cmap="Greys", vmin=0, vmax=1.6)
        p = rec["pos"][0]
        sp = np.r_[0, np.linalg.norm(np.diff(p, axis=0), axis=1)]
        sc = a.scatter(p[:, 0], p[:, 1], c=sp, s=6, cmap="viridis", vmin=0,
                        vmax=cfg.accel / cfg.drag_road)
        a.plot(p[0, 0], p[0, 1], "r^", ms=8)
        a.set_title(f"{lab}: return {ret[0]:.0f}, {int(rec['visited'][0].sum())}/{cfg.n_tiles} "
                    f"tiles in {len(p)} frames", fontsize=10)
        xl, yl = track_box(tracks, cfg, 0, p)
        a.set_xlim(*xl), a.set_ylim(*yl)
        a.set_xticks([]), a.set_yticks([])
    fig.colorbar(sc, ax=ax, label="speed (units / frame)", shrink=0.85)
    fig.suptitle(f"One unseen track, {who}: where each controller drives "
                 "(path coloured by speed, red triangle: start)", fontsize=11)
    fig.savefig(os.path.join(VIZ, "trajectory.png"), dpi=80, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = W.saved_run()
    i, who = showcase(cfg, model)
    run = model["runs"][i]
    _, _, rec = W.showcase_episode(run, cfg, "full")
    fig_tracks(cfg)
    fig_vae(run, cfg, rec, who)
    fig_m_predictions(run, cfg, rec, who)
    fig_cma(history, cfg)
    fig_ablation()
    fig_fidelity()
    fig_trajectory(run, cfg, who)
    print("wrote", sorted(os.listdir(VIZ)))


if __name__ == "__main__":
    main()
