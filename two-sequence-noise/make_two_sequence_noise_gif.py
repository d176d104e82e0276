"""Animation: the cell states of the headline's median run (the run with the median
count to the stopping rule) on one class-1 and one class-2 test sequence, replayed
through its weight snapshots as training proceeds -> two-sequence-noise/two_sequence_noise.gif.

Loads the headline record's saved run (trains it once only if the cache is missing).

  python3 two-sequence-noise/make_two_sequence_noise_gif.py
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import two_sequence_noise as tsn  # noqa: E402
import visualize_two_sequence_noise as viz  # noqa: E402

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

N_FRAMES = 30          # at most this many snapshots (log-spaced if more) up to the run's stop


def frame(cfg, hist, r, params, seen, lim):
    """Cell states on a class-1 (solid) and a class-2 (dashed) sequence, and the check error."""
    C = cfg.n_blocks * cfg.block_size
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.5, 3.6), constrained_layout=True,
                                   gridspec_kw={"width_ratios": [2.2, 1.3]})
    outs = []
    for cls, ls in ((1, "-"), (2, "--")):
        x, d0, o, cache = viz.replay(cfg, params, cls)
        S = cache["S"][:, 0, 0]
        for v in range(C):
            ax0.plot(np.arange(len(S)), S[:, v], ls, color=f"C{v}", lw=1.3,
                     label=f"cell {v + 1}" if cls == 1 else None)
        outs.append(f"class {cls}: output {o:.2f} (target {d0:g})")
    ax0.axvspan(-0.5, cfg.N - 0.5, color="gold", alpha=0.3, lw=0)
    ax0.set_ylim(-lim, lim)
    ax0.set_xlabel("time step (gold: class-carrying steps)", fontsize=9)
    ax0.set_title("cell states s(t); solid: class 1, dashed: class 2", fontsize=9)
    ax0.legend(fontsize=8, loc="lower left", ncol=3)
    hs, mae = np.array(hist["seen"]), np.array(hist["check_mae"])[:, r]
    stop = hist["st2_at"][r] or hist["seen_total"]
    keep = hs <= stop
    ax1.loglog(hs[keep], mae[keep], color="0.6", lw=1)
    j = min(int(np.searchsorted(hs, seen)), int(keep.sum()) - 1)
    ax1.loglog(hs[j], mae[j], "o", color="tab:blue")
    ax1.axhline(cfg.stop_mae, color="gray", ls=":", lw=1)
    ax1.set_xlabel("training sequences", fontsize=9)
    ax1.set_title(f"mean |o - d| of {cfg.n_check} check sequences\n(dotted: ST2 threshold)",
                  fontsize=9)
    fig.suptitle(f"task {cfg.variant}, run {cfg.seed + r}, after {seen:,} sequences: "
                 + "; ".join(outs), fontsize=10)
    return figure_frame(fig)


def main():
    rec = json.load(open(os.path.join(HERE, "results.json")))
    cfg, model, hist = viz.cached(rec, train_if_missing=True)
    r = viz.median_run(hist)
    stop = hist["st2_at"][r] or hist["seen_total"]
    snaps = [(s, viz.one_run(p, r)) for s, p in zip(hist["snap_seen"], hist["snapshots"])
             if s < stop] + [(stop, viz.one_run(hist["final"], r))]
    idx = (np.arange(len(snaps)) if len(snaps) <= N_FRAMES else
           np.unique(np.geomspace(1, len(snaps), N_FRAMES).astype(int) - 1))
    lim = 1.0
    for i in idx:                                   # one cell-state axis for every frame
        for cls in (1, 2):
            lim = max(lim, 1.1 * np.abs(viz.replay(cfg, snaps[i][1], cls)[3]["S"]).max())
    frames = [frame(cfg, hist, r, snaps[i][1], snaps[i][0], lim) for i in idx]
    save_gif(frames, os.path.join(HERE, "two_sequence_noise.gif"), frame_ms=350, hold_ms=3000)


if __name__ == "__main__":
    main()
