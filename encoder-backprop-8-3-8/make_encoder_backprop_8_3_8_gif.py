"""Animation of the 8 hidden vectors moving inside the unit cube -> encoder_backprop_8_3_8.gif.

Left: the headline run's representative solved net (the single attempt whose sweeps to a
strict solve are the median's). Right: a stuck single attempt (two patterns end on the same
side of every threshold: 7 distinct codes). Both are the paper's recipe, drawn from the
saved headline run (encoder_backprop_8_3_8.saved_run(), trained once if missing).

    python3 encoder-backprop-8-3-8/make_encoder_backprop_8_3_8_gif.py
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
import encoder_backprop_8_3_8 as enc  # noqa: E402
from visualize_encoder_backprop_8_3_8 import COLORS, draw_cube, showcase_label  # noqa: E402

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


OUT = os.path.join(HERE, "encoder_backprop_8_3_8.gif")
N_FRAMES = 48          # frames spaced geometrically in sweeps: early motion is fast
FRAME_MS = 110
HOLD_MS = 3000
COLORS_GIF = 255       # palette size per frame: enough for the eight tab10 dots and their trails


def frame(cfg, metrics, snaps, i):
    fig = plt.figure(figsize=(7.6, 4.0))
    for col, name in enumerate(["solved", "stuck"]):
        step, h, _ = snaps[name][i]
        nd = int(enc.n_distinct(enc.codes(h[None]))[0])
        pair = enc.shared_pair(h) if nd == cfg.n_patterns - 1 else ()
        ax = fig.add_subplot(1, 2, col + 1, projection="3d")
        trail = np.array([s[1] for s in snaps[name][:i + 1]])       # where each pattern has been
        for p in range(cfg.n_patterns):
            ax.plot(*trail[:, p].T, color=COLORS[p], lw=0.6, alpha=0.4)
        note = f"; {pair[0]} & {pair[1]} share" if len(pair) == 2 else ""
        draw_cube(ax, h, f"{showcase_label(cfg, metrics, name)}\n{nd} distinct codes{note}",
                  highlight=pair, fontsize=8)
        ax.view_init(elev=20, azim=-60)
    fig.suptitle(f"8-3-8 encoder, paper's recipe: hidden vectors after {step} sweeps",
                 fontsize=10)
    fig.subplots_adjust(left=0.0, right=0.96, bottom=0.02, top=0.8, wspace=0.08)
    return figure_frame(fig, colors=COLORS_GIF)


def main():
    cfg, model, history = enc.saved_run()
    metrics = enc.summarise(cfg, model, history)
    snaps = {k: history["showcase"][k]["snapshots"] for k in ("solved", "stuck")}
    n = min(len(s) for s in snaps.values())
    idx = np.unique(np.geomspace(1, n, N_FRAMES).astype(int) - 1)
    save_gif([frame(cfg, metrics, snaps, i) for i in idx], OUT, frame_ms=FRAME_MS,
             hold_ms=HOLD_MS)


if __name__ == "__main__":
    main()
