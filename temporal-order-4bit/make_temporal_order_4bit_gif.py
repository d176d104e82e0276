"""Animation: one test sequence replayed through the weight snapshots of the figure
run's showcase trial (the trial with the median sequence count) ->
temporal-order-4bit/temporal_order_4bit.gif.

Loads the saved run of the figure record (visualize_temporal_order_4bit.figure_run;
trains once only if the cache is missing).

  python3 temporal-order-4bit/make_temporal_order_4bit_gif.py
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import visualize_temporal_order_4bit as viz  # noqa: E402

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

N_FRAMES = 36          # frames taken from the snapshots (log-spaced in sequences seen)


def frame(cfg, hist, r, i, lim):
    """One frame: cell states and input gates on the test sequence, and the error curve."""
    sym, pos, bits, cls, o, cache = viz.replay(cfg, viz.one_run(hist["snapshots"][i], r))
    C, tb = cache["C"], int(cache["tb"][0, 0])
    t = np.arange(tb + 1)
    stop = hist["sequences"][r]                     # the trial's weights are frozen after this
    last = int(np.searchsorted(hist["seen"], stop))
    seen, err = np.array(hist["seen"][:last]), np.array(hist["err"])[:last, r]   # records before the stop
    fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(10, 3.6), constrained_layout=True,
                                        gridspec_kw={"width_ratios": [2.2, 2.2, 1.4]})
    for v in range(C):
        ax0.plot(t, cache["S"][:tb + 1, 0, 0, v], lw=1.2,
                 label=f"cell {v // cfg.block_size + 1}.{v % cfg.block_size + 1}")
    ax0.set_ylim(-lim, lim)
    ax0.set_title("cell states s(t)", fontsize=9)
    ax0.legend(fontsize=8, loc="lower left", ncol=2)
    for j in range(cfg.n_blocks):
        ax1.plot(t, cache["A"][:tb + 1, 0, 0, C + j], lw=1.2, label=f"input gate {j + 1}")
    ax1.set_ylim(-0.02, 1.02)
    ax1.set_title("input-gate activations", fontsize=9)
    ax1.legend(fontsize=8, loc="upper right")
    for ax in (ax0, ax1):
        ax.set_xlabel("time step (red: X/Y symbols)", fontsize=9)
        for p in pos:
            ax.axvline(p, color="red", alpha=0.3, lw=3)
    ax2.semilogy(seen, err, color="0.6", lw=1)
    if i < last:
        ax2.semilogy(seen[i], err[i], "o", color="tab:blue")
    else:
        ax2.axvline(stop, color="tab:green", lw=1.5)
    ax2.axhline(cfg.stop_err, color="gray", ls=":", lw=1)
    ax2.xaxis.set_major_formatter(viz.THOUSANDS)
    ax2.set_xlabel("sequences seen", fontsize=9)
    ax2.set_title("training error, last 2000\n(dotted: the rule; green: stop)", fontsize=9)
    ok = bool(np.all(np.abs(o - np.eye(len(o))[cls]) < cfg.crit))
    when = (f"after {stop:,} sequences ({'stopping rule met' if hist['solved'][r] else 'budget'})"
            if i >= last else f"after {seen[i]:,} training sequences")
    fig.suptitle(f"trial {cfg.seed + r}, {when}: sequence {viz.class_label(bits)}, output "
                 f"{viz.CLASS_NAMES[cls]} = {o[cls]:.2f}, largest other "
                 f"{np.delete(o, cls).max():.2f} ({'correct' if ok else 'wrong'})", fontsize=10)
    return figure_frame(fig)


def main():
    name, cfg, params, hist = viz.figure_run()
    r = viz.showcase(hist)
    snaps = hist["snapshots"]
    last = int(np.searchsorted(hist["seen"], hist["sequences"][r]))   # first snapshot after the stop
    idx = np.unique(np.geomspace(1, last + 1, N_FRAMES).astype(int) - 1)
    lim = 1.0
    for i in idx:                                   # one cell-state axis for every frame
        lim = max(lim, 1.1 * np.abs(viz.replay(cfg, viz.one_run(snaps[i], r))[5]["S"]).max())
    frames = [frame(cfg, hist, r, i, lim) for i in idx]
    save_gif(frames, os.path.join(HERE, "temporal_order_4bit.gif"), frame_ms=300, hold_ms=3000)


if __name__ == "__main__":
    main()
