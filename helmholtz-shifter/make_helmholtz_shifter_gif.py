"""Animation of the generative net's fantasies over training -> helmholtz_shifter.gif.

Each frame draws the same 16 fantasies (same random numbers) from one saved parameter
snapshot of the first reporting seed of the headline run, beside the IS-NLL curve so
far (that seed, and the median and 10-90 % band of all seeds). Loads
helmholtz_shifter.saved_run(); trains once with the default Config only if no saved
run exists.

    python3 helmholtz-shifter/make_helmholtz_shifter_gif.py
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

N_FANTASY = 16           # fantasies per frame (4 x 4), the same random numbers every frame
PIXELS = "gray_r"        # on = dark, as in the figures


def frame(cfg, snap, step, hist, u, H_data, legal):
    """One frame: 16 fantasies of seed 0 at this snapshot and the IS-NLL curve so far."""
    _, _, v = hs.generate_sample(hs.one_seed(snap, 0), *u)
    ok = [x.tobytes() in legal for x in v]
    fig = plt.figure(figsize=(9, 4))
    gs = fig.add_gridspec(4, 8, width_ratios=[1, 1, 1, 1, 0.35, 2.2, 2.2, 0.05])
    for i in range(N_FANTASY):
        ax = fig.add_subplot(gs[i // 4, i % 4])
        ax.imshow(v[i].reshape(4, cfg.width), cmap=PIXELS, vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for sp in ax.spines.values():       # green frame: a legal shifter image
            sp.set_color("tab:green" if ok[i] else "tab:red")
            sp.set_linewidth(2.5)
    ax = fig.add_subplot(gs[:, 5:7])
    x = np.array(hist["step"]) * cfg.batch_size / 1e6
    nll = np.array(hist["is_nll_bits"])                       # (points, seeds)
    k = np.array(hist["step"]) <= step
    lo, med, hi = np.quantile(nll, [0.1, 0.5, 0.9], axis=1)
    ax.fill_between(x[k], lo[k], hi[k], color="tab:blue", alpha=0.2, label="10-90 % of seeds")
    ax.plot(x[k], med[k], color="tab:blue", lw=1, label="median of seeds")
    ax.plot(x[k], nll[k, 0], "o-", color="tab:orange", ms=3, label=f"seed {cfg.seed} (left)")
    ax.axhline(H_data, color="k", ls="--", lw=1, label=f"floor H(p_data) {H_data:.2f}")
    ax.set_xlim(0, x[-1])
    ax.set_ylim(H_data - 1.0, H_data + 10)
    ax.set_xlabel("training patterns (millions)", fontsize=9)
    ax.set_ylabel("IS-NLL (bits)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="upper right")
    fig.suptitle(f"Seed {cfg.seed}, fantasies after {step * cfg.batch_size:,} patterns: "
                 f"{sum(ok)}/{N_FANTASY} legal shifter images (green)", fontsize=11)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.13, top=0.9)
    return figure_frame(fig, colors=64)


def main():
    cfg, model, hist = hs.saved_run()
    sup, p_sup, _ = hs.data_support(cfg.p_on, cfg.width)
    legal = {x.tobytes() for x in sup}
    rng = np.random.default_rng(0)
    u = (rng.random((N_FANTASY, cfg.n_top)), rng.random((N_FANTASY, cfg.n_hidden)),
         rng.random((N_FANTASY, 4 * cfg.width)))
    frames = [frame(cfg, snap, step, hist, u, hs.entropy_bits(p_sup), legal)
              for snap, step in zip(hist["snapshots"], hist["snap_step"])]
    save_gif(frames, os.path.join(HERE, "helmholtz_shifter.gif"), frame_ms=250, hold_ms=3000)


if __name__ == "__main__":
    main()
