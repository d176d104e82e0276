"""Animation of the search and of a found net computing parity -> rs-parity/rs_parity.gif.

Loads the headline run saved by `python3 rs-parity/rs_parity.py` (rs-parity/.cache/)
through rs_parity.saved_run(); runs the searches once only when no saved run exists.
Part 1: the trials of seed 10000's search (each guess's training accuracy) next to
the fraction of all searches solved, trial by trial. Part 2: the net that search
found, reading a fresh test sequence step by step.

  python3 rs-parity/make_rs_parity_gif.py
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
import rs_parity as rp  # noqa: E402
import visualize_rs_parity as viz  # noqa: E402

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


PAPER_MEAN = rp.PAPER["metrics"]["mean_trials"]


def search_frame(cfg, model, acc, T):
    """Part 1 at T trials per search."""
    t = np.sort(model["trials"][model["solved"]])
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.6, 4.4))
    n = min(T, len(acc))
    a.plot(np.arange(1, n + 1), acc[:n], ".", color="#4c72b0", ms=5)
    if T >= len(acc):
        a.plot([len(acc)], [acc[-1]], "*", color="#c44e52", ms=15)
        a.text(len(acc), 0.9, f"accepted at trial {len(acc)}  ", ha="right", fontsize=9,
               color="#c44e52")
    a.axhline(0.5, color="gray", lw=0.8, ls=":")
    a.set_xlim(0, len(acc) + 3)
    a.set_ylim(0, 1.08)
    a.set_xlabel("trial (seed %d)" % cfg.seed, fontsize=9)
    a.set_ylabel("training sequences correct", fontsize=9)
    a.set_title("one search: random guesses score ~50%", fontsize=10)
    done = t[t <= T]
    b.step(np.r_[1, done, T], np.r_[0, np.arange(1, len(done) + 1), len(done)] / cfg.n_seeds,
           where="post", color="#4c72b0", lw=2)
    b.axvline(PAPER_MEAN, color="k", ls="--", lw=1.2)
    b.text(PAPER_MEAN * 1.08, 0.04, f"paper's mean {PAPER_MEAN}", fontsize=9)
    b.set_xscale("log")
    b.set_xlim(1, t.max() * 1.3)
    b.set_ylim(0, 1.05)
    b.set_xlabel("trials per search", fontsize=9)
    b.set_ylabel("fraction of searches solved", fontsize=9)
    b.set_title(f"all {cfg.n_seeds} searches: {len(done)} solved", fontsize=10)
    fig.suptitle(f"Random weight guessing on {cfg.len_min}-{cfg.len_max}-step parity, "
                 f"trials per search so far: {T}", fontsize=11)
    fig.tight_layout()
    return viz_frame(fig)


def net_frame(cfg, trace, t, window=30):
    """Part 2: the found net after reading step t of a test sequence."""
    x, par, h, y = trace
    lo = max(0, t - window)
    s = np.arange(lo, t) + 1
    fig, (a, b) = plt.subplots(2, 1, figsize=(9.6, 4.4), sharex=True,
                               gridspec_kw={"height_ratios": [1.2, 1]})
    a.bar(s, (x[lo:t] > 0) * 1.0, color="#cccccc", width=0.8, label="input +1")
    a.step(s, par[lo:t], where="mid", color="k", lw=1.5, label="parity so far")
    a.plot(s, y[lo:t], "o", color="#c44e52", ms=4, label="output y_t")
    a.set_ylim(-0.1, 1.2)
    a.set_xlim(s[0] - 0.5, s[0] + window - 0.5)
    a.legend(loc="upper left", fontsize=8, ncol=3, frameon=False, bbox_to_anchor=(0, 1.25))
    b.imshow(h[lo:t].T, cmap="viridis", vmin=0, vmax=1, aspect="auto",
             extent=(s[0] - 0.5, s[-1] + 0.5, cfg.n_hidden - 0.5, -0.5))
    b.set_ylabel("hidden unit", fontsize=9)
    b.set_xlabel("step t", fontsize=9)
    ok = "correct" if abs(y[t - 1] - par[t - 1]) < cfg.out_tol else "WRONG"
    end = " = sequence end" if t == len(x) else ""
    fig.suptitle(f"The found net reads a fresh test sequence: step {t}/{len(x)}{end}, "
                 f"output {y[t - 1]:.2f}, parity {par[t - 1]} ({ok})", fontsize=11)
    fig.tight_layout()
    return viz_frame(fig)


def viz_frame(fig):
    return figure_frame(fig, colors=64)


def main():
    cfg, model, history = viz.load()
    data = rp.make_searches(rp.make_config(n_seeds=1, seed=cfg.seed, quick=cfg.quick))[0]
    acc = viz.trial_accuracy(cfg, history["example_trials"], data)
    tmax = int(model["trials"].max())
    Ts = sorted(set(np.unique(np.geomspace(1, tmax, 22).astype(int)).tolist()
                    + [len(acc), PAPER_MEAN]))
    frames = [search_frame(cfg, model, acc, T) for T in Ts]
    trace = viz.example_trace(cfg, model, data)
    L = len(trace[0])
    steps = list(range(3, 61, 3)) + list(range(L - 27, L + 1, 3))
    frames += [net_frame(cfg, trace, t) for t in steps]
    save_gif(frames, os.path.join(HERE, "rs_parity.gif"), frame_ms=300, hold_ms=3000)


if __name__ == "__main__":
    main()
