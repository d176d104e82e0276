"""Animation of the V + M controller on an unseen track -> world_models_carracing.gif.

Panels: what the car sees, V's reconstruction from z, M's prediction of this
frame (made one frame earlier, decoded by V), and the car's path on the track.
Loads the saved headline run (trains it once if missing).

    python3 world-models-carracing/make_world_models_carracing_gif.py --seed 0
"""
import argparse
import io
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import world_models_carracing as W  # noqa: E402

PRED_TAU = 0.1      # temperature of M's displayed one-step prediction


def main():
    ap = argparse.ArgumentParser(description="GIF of the saved headline run")
    ap.add_argument("--seed", type=int, default=0, help="seed of the saved run to load")
    ap.add_argument("--every", type=int, default=2, help="keep every k-th frame")
    args = ap.parse_args()
    model, _, cfg = W.load_or_train(args.seed)
    tracks, ret, rec = W.unseen_episode(model, cfg, "full")
    S, Z, K = cfg.obs_size, cfg.z_dim, cfg.n_mix
    T = rec["frames"].shape[1]
    recon = W.vae_decode(model["vae"], rec["z"][0], S)[0]
    logpi, mu, ls, _ = W.mdn_split(rec["h"][0] @ model["mdn"]["Wy"] + model["mdn"]["by"], Z, K)
    zp = W.mdn_sample(logpi, mu, ls, PRED_TAU, np.random.default_rng(0)).astype(np.float32)
    pred = W.vae_decode(model["vae"], zp, S)[0]
    pos = rec["pos"][0]
    ext = [-cfg.playfield, cfg.playfield, -cfg.playfield, cfg.playfield]
    lim = cfg.track_rad + cfg.track_width
    frames = []
    fig, ax = plt.subplots(1, 4, figsize=(9.6, 2.7), dpi=60)
    for t in range(0, T, args.every):
        for a in ax:
            a.clear()
            a.set_xticks([]), a.set_yticks([])
        ax[0].imshow(rec["frames"][0, t], cmap="gray", vmin=0, vmax=1)
        ax[0].set_title("real frame", fontsize=10)
        ax[1].imshow(recon[t], cmap="gray", vmin=0, vmax=1)
        ax[1].set_title("V: decoded z", fontsize=10)
        ax[2].imshow(pred[t], cmap="gray", vmin=0, vmax=1)
        ax[2].set_title(f"M: predicted (tau={PRED_TAU})", fontsize=10)
        ax[3].imshow(tracks["road"][0], origin="lower", extent=ext, cmap="Greys", vmin=0, vmax=1.6)
        ax[3].plot(pos[:t + 1, 0], pos[:t + 1, 1], "r-", lw=1.5)
        ax[3].plot(pos[t, 0], pos[t, 1], "ro", ms=4)
        ax[3].set_xlim(-lim, lim), ax[3].set_ylim(-lim, lim)
        ax[3].set_title(f"path, frame {t}/{T}", fontsize=10)
        fig.suptitle(f"V + M controller on an unseen track: final return {ret[0]:.0f}", fontsize=11)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        buf.seek(0)
        frames.append(Image.open(buf).convert("P", palette=Image.ADAPTIVE, colors=64))
    plt.close(fig)
    out = os.path.join(HERE, "world_models_carracing.gif")
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=80, loop=0)
    print(f"wrote {out} ({len(frames)} frames, {os.path.getsize(out) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
