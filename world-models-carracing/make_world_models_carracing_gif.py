"""Animation of the V + M controller on an unseen track -> world_models_carracing.gif.

Panels: what the car sees, V's reconstruction from z, M's prediction of this
frame (made one frame earlier at a low temperature, decoded by V), and the
car's path on the track. Loads the saved headline run
(world_models_carracing.saved_run(); trains it once if missing) and shows the
seed the visualiser picks as representative (median V + M of the seeds).

    python3 world-models-carracing/make_world_models_carracing_gif.py
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
import visualize_world_models_carracing as V  # noqa: E402
import world_models_carracing as W  # noqa: E402

# ==== catalog gif writer: begin (copied verbatim from bin/gif_writer.py by `python3 bin/catalog.py --sync`; edit it there) ====
import io as _io
import os

from PIL import Image as _Image

GIF_DPI = 100          # frames are drawn at this dpi; text of fontsize >= 8 pt stays >= 10 px tall


def figure_frame(fig, colors: int = 128):
    """A matplotlib figure -> one palette GIF frame, through RGB (never RGBA) before quantizing."""
    import matplotlib.pyplot as _plt
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=GIF_DPI)
    _plt.close(fig)
    buf.seek(0)
    rgb = _Image.open(buf).convert("RGB")
    return rgb.quantize(colors=colors, method=0, dither=0)  # 0: median cut, no dither


def save_gif(frames, path: str, frame_ms: int = 250, hold_ms: int = 2500) -> None:
    """Write frames (PIL images) as a looping GIF; the last frame is held for hold_ms."""
    frames = [f if f.mode == "P" else f.convert("RGB").quantize(colors=128) for f in frames]
    durations = [frame_ms] * (len(frames) - 1) + [hold_ms]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=True, disposal=1)
    print(f"wrote {path} ({len(frames)} frames, {os.path.getsize(path) / 1e6:.2f} MB)")
# ==== catalog gif writer: end ====

PRED_TAU = 0.1      # temperature of M's displayed one-step prediction (near its most likely z)
EVERY = 6           # keep every EVERY-th frame of the episode


def predictions(run, cfg, rec):
    """V's reconstruction of every frame and M's one-step prediction of it, decoded by V."""
    S, Z, K = cfg.obs_size, cfg.z_dim, cfg.n_mix
    recon = W.vae_decode(run["vae"], rec["z"][0], S)[0]
    logpi, mu, ls, _ = W.mdn_split(rec["h"][0] @ run["mdn"]["Wy"] + run["mdn"]["by"], Z, K)
    zp = W.mdn_sample(logpi, mu, ls, PRED_TAU, np.random.default_rng(0)).astype(np.float32)
    return recon, W.vae_decode(run["vae"], zp, S)[0]


def frame(cfg, tracks, rec, recon, pred, ret, t, who):
    """One GIF frame: the figure for episode frame t."""
    T, pos = rec["frames"].shape[1], rec["pos"][0]
    ext = [-cfg.playfield, cfg.playfield, -cfg.playfield, cfg.playfield]
    xl, yl = V.track_box(tracks, cfg, 0, pos)
    fig, ax = plt.subplots(1, 4, figsize=(9.0, 2.65), constrained_layout=True)
    for a, img, title in ((ax[0], rec["frames"][0, t], "what the car sees"),
                          (ax[1], recon[t], "V: decoded z"),
                          (ax[2], pred[t], f"M's prediction (tau {PRED_TAU:g})")):
        a.imshow(img, cmap="gray", vmin=0, vmax=1)
        a.set_title(title, fontsize=10)
    ax[3].imshow(tracks["road"][0], origin="lower", extent=ext, cmap="Greys", vmin=0, vmax=1.6)
    ax[3].plot(pos[:t + 1, 0], pos[:t + 1, 1], "r-", lw=1.5)
    ax[3].plot(pos[t, 0], pos[t, 1], "ro", ms=4)
    ax[3].set_xlim(*xl), ax[3].set_ylim(*yl)
    ax[3].set_title(f"path, frame {t + 1}/{T}", fontsize=10)
    for a in ax:
        a.set_xticks([]), a.set_yticks([])
    fig.suptitle(f"V + M controller on an unseen track ({who}): final return {ret:.0f}",
                 fontsize=11)
    return figure_frame(fig, colors=24)


def main():
    cfg, model, _ = W.saved_run()
    i, who = V.showcase(cfg, model)
    run = model["runs"][i]
    tracks, ret, rec = W.showcase_episode(run, cfg, "full")
    recon, pred = predictions(run, cfg, rec)
    T = rec["frames"].shape[1]
    ts = list(range(0, T, EVERY)) + ([T - 1] if (T - 1) % EVERY else [])
    frames = [frame(cfg, tracks, rec, recon, pred, ret[0], t, who) for t in ts]
    save_gif(frames, os.path.join(HERE, "world_models_carracing.gif"), frame_ms=120)


if __name__ == "__main__":
    main()
