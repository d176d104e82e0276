"""Animation of the search and of the hand-written solution running -> levin-add-positions/levin_add_positions.gif.

Loads the headline run saved by `python3 levin-add-positions/levin_add_positions.py`
(levin-add-positions/.cache/) through saved_run(); runs the searches once only when no
saved run exists. Part 1: plain Levin search phase by phase, against the phase in which
the hand-written 8-token solution would first fit. Part 2: that program executed step
by step with the stub's interpreter, writing w_i = i.

  python3 levin-add-positions/make_levin_add_positions_gif.py
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
import levin_add_positions as lap  # noqa: E402
import visualize_levin_add_positions as viz  # noqa: E402

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


def search_frame(cfg, model, k, k_star):
    phases = [ph for ph in model["plain_phases"] if ph["phase"] <= k]
    fig, ax = plt.subplots(figsize=(9.6, 4.2))
    ax.bar([ph["phase"] for ph in phases], [ph["n_programs"] for ph in phases],
           color="#4c72b0", width=0.8)
    ax.axvline(k_star, color="#c44e52", lw=2)
    ax.text(k_star - 0.3, 3, f"the hand-written\nsolution's phase {k_star}", ha="right",
            fontsize=9, color="#c44e52")
    ax.set_yscale("log")
    ax.set_xlim(0.3, k_star + 1)
    ax.set_ylim(0.8, 1e6)
    ax.set_xlabel("phase k", fontsize=9)
    ax.set_ylabel("programs run (every l <= k bits)", fontsize=9)
    n = phases[-1]["n_programs"] if phases else 0
    ax.set_title(f"Plain Levin search, phase {k}: {n:,} programs, no net writes w_i = i yet",
                 fontsize=11)
    fig.tight_layout()
    return figure_frame(fig, colors=64)


def program_frame(cfg, tr, t):
    ip, _, cells, wp = tr[t]
    W, prog = cfg.work_cells, lap.CANONICAL
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.6, 4.2), gridspec_kw={"width_ratios": [1.1, 1]})
    addr = np.arange(-W, len(prog))
    a.bar(addr, np.ones_like(addr), color=["#eeeeee"] * W + ["#cfe0f3"] * len(prog),
          edgecolor="k", width=0.9)
    for x, v in zip(addr, cells[:W + len(prog)]):
        a.text(x, 0.5, str(int(v)), ha="center", va="center", fontsize=11)
    a.annotate("IP", (ip, 1.02), xytext=(ip, 1.45), ha="center", fontsize=10, color="#c44e52",
               arrowprops=dict(arrowstyle="->", color="#c44e52"))
    a.set_ylim(0, 1.7)
    a.set_yticks([])
    a.set_xticks(addr)
    a.set_xlabel("address (cell -1: the counter)", fontsize=9)
    a.set_title(lap.program_text(prog), fontsize=8)
    w = np.full(cfg.n_inputs, np.nan)
    w[:wp] = np.arange(wp)
    b.bar(np.arange(cfg.n_inputs), np.nan_to_num(w), color="#55a868", width=1.0)
    b.set_xlim(-1, cfg.n_inputs)
    b.set_ylim(0, cfg.n_inputs)
    b.set_xlabel("input unit i", fontsize=9)
    b.set_ylabel("w_i", fontsize=9)
    b.set_title(f"weights written: {wp}/{cfg.n_inputs}", fontsize=10)
    end = " - halted" if t == len(tr) - 1 else ""
    fig.suptitle(f"The hand-written solution runs: step {t}{end}", fontsize=11)
    fig.tight_layout()
    return figure_frame(fig, colors=64)


def main():
    cfg, model, history = viz.load()
    _, _, k_star, _ = viz.canonical(cfg)
    frames = [search_frame(cfg, model, ph["phase"], k_star) for ph in model["plain_phases"]
              if ph["phase"] >= 3]
    tr = lap.trace_program(lap.CANONICAL, cfg)
    ts = sorted(set(list(range(0, 13)) + list(range(13, len(tr), 24)) + [len(tr) - 1]))
    frames += [program_frame(cfg, tr, t) for t in ts]
    save_gif(frames, os.path.join(HERE, "levin_add_positions.gif"), frame_ms=350, hold_ms=3000)


if __name__ == "__main__":
    main()
