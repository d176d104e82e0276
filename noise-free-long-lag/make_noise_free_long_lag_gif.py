"""Animation: the two test sequences of task 2a (x- and y-sequence) replayed through
the weight snapshots of the headline run's showcase run (median final training
error) -> noise-free-long-lag/noise_free_long_lag.gif.

Loads the headline record's saved run (noise_free_long_lag.saved_run; trains once
only if the cache is missing).

  python3 noise-free-long-lag/make_noise_free_long_lag_gif.py
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
import noise_free_long_lag as nf  # noqa: E402
import visualize_noise_free_long_lag as viz  # noqa: E402

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

N_FRAMES = 30          # frames taken from the snapshots (log-spaced in sequences seen)


def frame(cfg, hist, r, i, snap, lim):
    """One frame: cell state and per-step worst output error on the two sequences."""
    seq, lengths, cls = viz.test_pair(cfg)
    o, cache = nf.forward_ab(nf.take(snap, [r]), seq)
    err = np.abs(o - nf.targets_ab(seq, o.shape[-1]))[0].max(-1)       # (2, p)
    s = cache["y"][0]
    t = np.arange(s.shape[-1])
    seen, e = np.array(hist["seen"]), np.array(hist["err"])[:, r]
    fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(10, 3.4), constrained_layout=True,
                                        gridspec_kw={"width_ratios": [2, 2, 1.5]})
    for b, (c, lab) in enumerate((("tab:blue", "x-sequence"), ("tab:orange", "y-sequence"))):
        ax0.plot(t, s[b], color=c, lw=1.4, label=lab)
        ax1.plot(t, err[b], color=c, lw=1.0, label=lab)
    ax0.set_ylim(0, lim)
    ax0.set_title("cell state s_c(t) (h = identity)", fontsize=9)
    ax0.legend(fontsize=8, loc="upper left")
    ax1.axhline(cfg.crit, color="k", ls=":", lw=1)
    ax1.set_ylim(0, 1.02)
    ax1.set_title(f"worst output error per step (criterion {cfg.crit:g})", fontsize=9)
    for ax in (ax0, ax1):
        ax.set_xlabel("time step", fontsize=9)
    ax2.plot(seen, e, color="0.6", lw=1)
    ax2.plot(seen[i], e[i], "o", color="tab:blue")
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel("training sequences", fontsize=9)
    ax2.set_title("judged training error", fontsize=9)
    grown = hist["grown_at"][r]
    state = ("cell not yet added (its state is not read)" if not grown or seen[i] < grown
             else f"cell added at {grown:,}")
    fig.suptitle(f"task 2a, p={cfg.p}: run {cfg.seed + r} (median of {cfg.n_seeds}) after "
                 f"{seen[i]:,} sequences; {state}", fontsize=10)
    return figure_frame(fig)


def main():
    rec = json.load(open(os.path.join(HERE, "results.json")))
    cfg, model, hist = viz.cached(rec, train_if_missing=True)
    r = viz.showcase(hist)
    snaps = hist["snapshots"]
    idx = np.unique(np.geomspace(1, len(snaps), N_FRAMES).astype(int) - 1)
    seq = viz.test_pair(cfg)[0]
    lim = 1.1 * max(nf.forward_ab(nf.take(snaps[i], [r]), seq)[1]["y"].max() for i in idx) + 1e-3
    frames = [frame(cfg, hist, r, i, snaps[i], lim) for i in idx]
    save_gif(frames, os.path.join(HERE, "noise_free_long_lag.gif"), frame_ms=300, hold_ms=3000)


if __name__ == "__main__":
    main()
