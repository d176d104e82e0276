"""Animation of fantasies sharpening over training -> bars/bars.gif.

Loads the headline run saved by `python3 bars/bars.py` (its parameter snapshots);
trains it once with bars.Config() only when no saved run exists.

  python3 bars/make_bars_gif.py
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


N_FANTASY = 24          # fantasies shown per frame (4 x 6), the same random numbers every frame


def frame(cfg, snap, hist, i, u):
    _, _, v = bars.generate({k: x[:1] for k, x in snap.items()}, u)
    ex = np.maximum(np.asarray(hist["examples"], float), 1)
    kl = np.asarray(hist["kl_bits"])[:, 0]
    paper = bars.PAPER["metrics"]["kl_bits"]
    fig = plt.figure(figsize=(7.2, 3.3))
    for n in range(N_FANTASY):
        r, c = divmod(n, 6)
        ax = fig.add_axes([0.02 + c * 0.075, 0.66 - r * 0.19, 0.068, 0.17])
        ax.imshow(v[0, n].reshape(cfg.side, cfg.side), cmap="Greys", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    legal = {tuple(x) for x in bars.bars_support(cfg)[0].astype(int)}
    n_ok = sum(tuple(x) in legal for x in v[0].astype(int))
    fig.text(0.02, 0.9, f"fantasies, seed {cfg.seed}: {n_ok}/{N_FANTASY} are bars images",
             fontsize=9)
    ax = fig.add_axes([0.56, 0.17, 0.41, 0.68])
    ax.semilogy(ex[1:i + 1], kl[1:i + 1], color="C0", lw=2)
    ax.plot(ex[i], kl[i], "o", color="C0", ms=5)
    ax.axhline(paper, color="k", ls=":", lw=1)
    ax.text(ex[1] * 1.1, paper * 1.08, f"paper ~{paper:g}", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(ex[1] / 1.3, ex[-1] * 1.3)
    ax.set_ylim(min(kl.min(), 0.05) * 0.8, kl.max() * 1.2)
    ax.set_xlabel("examples", fontsize=8)
    ax.set_ylabel("exact KL (bits)", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.set_title(f"{hist['examples'][i]:,} examples: KL {kl[i]:.3f} bits", fontsize=9)
    return figure_frame(fig)


def main():
    cfg, model, hist = bars.saved_run()
    K, H, V = cfg.n_top, cfg.n_hidden, cfg.side ** 2
    u = np.random.default_rng(2024).random((1, N_FANTASY, K + H + V))
    frames = [frame(cfg, snap, hist, i, u) for i, snap in enumerate(hist["snapshots"]) if i > 0]
    save_gif(frames, os.path.join(HERE, "bars.gif"))


if __name__ == "__main__":
    main()
