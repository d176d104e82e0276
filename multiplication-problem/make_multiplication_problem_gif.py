"""Animation: one test sequence replayed through the weight snapshots of the
paper-budget run's showcase run (the run with the median sequence count) ->
multiplication-problem/multiplication_problem.gif.

Loads the paper-budget record's saved run (multiplication_problem.saved_run;
trains once only if the cache is missing).

  python3 multiplication-problem/make_multiplication_problem_gif.py
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import multiplication_problem as mp  # noqa: E402
import visualize_multiplication_problem as viz  # noqa: E402

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

N_FRAMES = 36          # frames taken from the snapshots (evenly spaced in sequences seen)


def frame(cfg, hist, r, i, lim):
    """One frame: cell states and input gates on the test sequence, and the MSE curve."""
    snap = viz.one_run(hist["snapshots"][i], r)
    x, p1, p2, d, o, cache = viz.replay(cfg, snap)
    C, tb = cache["C"], int(cache["tb"][0, 0])
    t = np.arange(tb + 1)
    stop = hist["sequences"][r]                     # the run's weights are frozen after this
    last = int(np.searchsorted(hist["seen"], stop))
    seen, mse = np.array(hist["seen"][:last + 1]), np.array(hist["mse"])[:last + 1, r]
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
        ax.set_xlabel("time step (red: marked pairs)", fontsize=9)
        for p in (p1, p2):
            ax.axvline(p, color="red", alpha=0.3, lw=3)
    ax2.semilogy(seen, mse, color="0.6", lw=1)
    ax2.semilogy(seen[i], mse[i], "o", color="tab:blue")
    ax2.axhline(mp.PAPER["metrics"]["test_mse_mean"], color="k", ls=":", lw=1,
                label=f"paper's test MSE {mp.PAPER['metrics']['test_mse_mean']:g}")
    ax2.legend(fontsize=8, loc="lower left")
    ax2.set_xlabel("sequences seen", fontsize=9)
    ax2.set_title("training MSE (window)", fontsize=9)
    ok = abs(o - d) < cfg.crit
    when = (f"after {stop:,} sequences ({'stopping rule met' if hist['solved'][r] else 'budget'})"
            if i >= last else f"after {seen[i]:,} training sequences")
    fig.suptitle(f"run {cfg.seed + r} (median run of {cfg.n_seeds}), {when}: output {o:.3f}, "
                 f"target {d:.3f} ({'correct' if ok else 'wrong'})", fontsize=10)
    return figure_frame(fig)


def main():
    cfg, params, hist = viz.main_run()
    r = viz.showcase(hist)
    snaps = hist["snapshots"]
    last = int(np.searchsorted(hist["seen"], hist["sequences"][r]))   # first snapshot after the stop
    idx = np.unique(np.linspace(0, last, N_FRAMES).round().astype(int))
    lim = 1.0
    for i in idx:                                   # one cell-state axis for every frame
        lim = max(lim, 1.1 * np.abs(viz.replay(cfg, viz.one_run(snaps[i], r))[5]["S"]).max())
    frames = [frame(cfg, hist, r, i, lim) for i in idx]
    save_gif(frames, os.path.join(HERE, "multiplication_problem.gif"), frame_ms=300, hold_ms=3000)


if __name__ == "__main__":
    main()
