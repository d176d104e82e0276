"""The catalog's GIF writer block: copied verbatim into every make_<slug_>_gif.py.

`python3 bin/catalog.py --sync` copies the lines between the markers into each
stub's GIF maker; `--check` fails when a copy drifts. Every frame goes through
RGB before it is quantized, so no frame can carry an RGBA palette written as
RGB (false colours in browsers with Pillow >= 9 when a frame has <= 32 colours).
"""
from __future__ import annotations

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
