"""Animation: one test string replayed through the weight snapshots of the
headline run's showcase trial (the solved trial with the median count) ->
embedded-reber/embedded_reber.gif. Each frame: the cell states over the string
and the output units' activations, with the possible next symbols boxed.

Loads the headline record's saved run (embedded_reber.saved_run; trains once
only if the cache is missing).

  python3 embedded-reber/make_embedded_reber_gif.py
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import embedded_reber as er  # noqa: E402
import visualize_embedded_reber as viz  # noqa: E402

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

N_FRAMES = 30          # frames taken from the snapshots (log-spaced in strings seen)


def frame(cfg, hist, r, i, lim):
    """One frame: cell states and output activations on the test string, after snapshot i."""
    snap = viz.one_run(hist["snapshots"][i], r)
    s, P, O, cache = viz.replay(cfg, snap, r)
    L, C = len(s), cache["C"]
    t = np.arange(L)
    seen = hist["snap_seen"][i]
    stop = hist["sequences"][r]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for v in range(C):
        ax0.plot(t, cache["S"][:, 0, 0, v], marker="o", ms=3, lw=1.2,
                 label=f"cell {v // cfg.block_size + 1}.{v % cfg.block_size + 1}")
    ax0.set_ylim(-lim, lim)
    ax0.axvline(1, color="tab:red", alpha=0.3, lw=3)
    ax0.axvline(L - 3, color="tab:red", alpha=0.3, lw=3)
    ax0.set_xticks(t)
    ax0.set_xticklabels(list(s), fontsize=8)
    ax0.set_xlabel("input symbol (red: outer symbol read / recalled)", fontsize=9)
    ax0.set_title("cell states s(t)", fontsize=9)
    ax0.legend(fontsize=8, loc="upper left", ncol=2)
    ax1.imshow(O.T, aspect="auto", cmap="Greys", vmin=0, vmax=1,
               extent=(-0.5, L - 0.5, 6.5, -0.5))
    ok = er.correct_steps(O, P, np.r_[np.ones(L - 1), 0.0])
    for tt in range(L - 1):
        for kk in np.flatnonzero(P[tt]):
            ax1.add_patch(plt.Rectangle((tt - 0.5, kk - 0.5), 1, 1, fill=False,
                                        ec="tab:green" if ok[tt] else "tab:red", lw=1.5))
    ax1.set_yticks(range(7))
    ax1.set_yticklabels(list(er.SYMBOLS), fontsize=8)
    ax1.set_xticks(t)
    ax1.set_xticklabels(list(s), fontsize=8)
    ax1.set_title("outputs (dark = active); boxes: possible next (green: right)", fontsize=9)
    when = (f"solved after {stop:,} strings" if hist["solved"][r] and seen >= stop
            else f"after {seen:,} training strings")
    fig.suptitle(f"trial {cfg.seed + r} (median of the solved trials), {when}: "
                 f"{int(ok[:L - 1].sum())}/{L - 1} steps right", fontsize=10)
    return figure_frame(fig)


def main():
    recs = viz.records()
    cfg, params, hist = er.saved_run(viz.config_of(recs[0][1]))
    r = viz.showcase(hist)
    snaps = hist["snap_seen"]
    last = int(np.searchsorted(snaps, hist["sequences"][r]))       # first snapshot at/after the stop
    last = min(last, len(snaps) - 1)
    idx = np.unique(np.geomspace(1, last + 1, N_FRAMES).astype(int) - 1)
    lim = 1.0
    for i in idx:                                   # one cell-state axis for every frame
        lim = max(lim, 1.1 * np.abs(viz.replay(cfg, viz.one_run(hist["snapshots"][i], r), r)[3]["S"]).max())
    frames = [frame(cfg, hist, r, i, lim) for i in idx]
    save_gif(frames, os.path.join(HERE, "embedded_reber.gif"), frame_ms=300, hold_ms=3000)


if __name__ == "__main__":
    main()
