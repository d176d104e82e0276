"""Animation of the search and of the found program running -> levin-count-inputs/levin_count_inputs.gif.

Loads the headline run saved by `python3 levin-count-inputs/levin_count_inputs.py`
(levin-count-inputs/.cache/) through saved_run(); runs the searches once only when no
saved run exists. Part 1: plain Levin search phase by phase (programs run per phase)
next to the probabilistic searches' fraction done. Part 2: the first program plain
search found, executed step by step with the stub's interpreter, writing the 100 weights.

  python3 levin-count-inputs/make_levin_count_inputs_gif.py
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
import levin_count_inputs as lci  # noqa: E402
import visualize_levin_count_inputs as viz  # noqa: E402

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


def search_frame(cfg, model, k):
    """Part 1 after phase k of the plain search."""
    phases = [ph for ph in model["plain_phases"] if ph["phase"] <= k]
    K = model["plain_phases"][-1]["phase"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.6, 4.2))
    ks = [ph["phase"] for ph in phases]
    a.bar(ks, [ph["n_programs"] for ph in phases], color="#4c72b0", width=0.8)
    a.set_yscale("log")
    a.set_xlim(0.3, K + 0.7)
    a.set_ylim(0.8, model["plain_phases"][-1]["n_programs"] * 3)
    a.set_xlabel("phase k", fontsize=9)
    a.set_ylabel("programs run (every l <= k bits)", fontsize=9)
    fits = phases[-1]["found"]
    a.set_title(f"plain search, phase {k}: " + (f"{len(fits)} programs fit!" if fits
                                                 else "no program fits yet"), fontsize=10)
    runs_so_far = sum(ph["n_programs"] for ph in phases)
    p = model["prob"]
    r = np.sort(p["runs"][p["solved"]])
    frac = (r <= runs_so_far).sum() / cfg.n_seeds
    b.step(np.r_[1, r], np.r_[0, np.arange(1, len(r) + 1)] / cfg.n_seeds, where="post",
           color="#dddddd", lw=2)
    done = r[r <= runs_so_far]
    b.step(np.r_[1, done, runs_so_far], np.r_[0, np.arange(1, len(done) + 1), len(done)]
           / cfg.n_seeds, where="post", color="#c44e52", lw=2)
    b.set_xscale("log")
    b.set_xlim(1, r.max() * 1.5)
    b.set_ylim(0, 1.05)
    b.set_xlabel("program runs so far", fontsize=9)
    b.set_ylabel("probabilistic searches done", fontsize=9)
    b.set_title(f"{cfg.n_seeds} probabilistic searches: {frac:.0%} done", fontsize=10)
    fig.suptitle(f"Levin search for a weight-writing program: {runs_so_far:,} runs", fontsize=11)
    fig.tight_layout()
    return figure_frame(fig, colors=64)


def program_frame(cfg, program, tr, t):
    """Part 2: the program's tape and the weights after step t."""
    ip, _, cells, wp = tr[t]
    W = cfg.work_cells
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.6, 4.2), gridspec_kw={"width_ratios": [1, 1.2]})
    addr = np.arange(-W, len(program))
    vals = cells[:W + len(program)]
    a.bar(addr, np.ones_like(addr), color=["#eeeeee"] * W + ["#cfe0f3"] * len(program),
          edgecolor="k", width=0.9)
    for x, v in zip(addr, vals):
        a.text(x, 0.5, str(int(v)), ha="center", va="center", fontsize=12)
    a.annotate("IP", (ip, 1.02), xytext=(ip, 1.45), ha="center", fontsize=10, color="#c44e52",
               arrowprops=dict(arrowstyle="->", color="#c44e52"))
    a.set_ylim(0, 1.7)
    a.set_yticks([])
    a.set_xticks(addr)
    a.set_xlabel("address (negative: work tape)", fontsize=9)
    a.set_title(lci.program_text(program), fontsize=9)
    w = np.zeros(cfg.n_inputs)
    w[:wp] = 1
    b.imshow(w.reshape(10, -1), cmap="Greys", vmin=0, vmax=1.6)
    b.set_xticks([])
    b.set_yticks([])
    b.set_title(f"weights written: {wp}/{cfg.n_inputs} (dark = w_i = 1)", fontsize=10)
    end = " - halted" if t == len(tr) - 1 else ""
    fig.suptitle(f"The found program runs: step {t}{end}", fontsize=11)
    fig.tight_layout()
    return figure_frame(fig, colors=64)


def main():
    cfg, model, history = viz.load()
    frames = [search_frame(cfg, model, ph["phase"]) for ph in model["plain_phases"]
              if ph["phase"] >= 3]
    program = model["plain_phases"][-1]["found"][0][0]
    tr = lci.trace_program(program, cfg)
    ts = sorted(set(list(range(0, 12)) + list(range(12, len(tr), 24)) + [len(tr) - 1]))
    frames += [program_frame(cfg, program, tr, t) for t in ts]
    save_gif(frames, os.path.join(HERE, "levin_count_inputs.gif"), frame_ms=350, hold_ms=3000)


if __name__ == "__main__":
    main()
