"""Animation for flip-flop -> flip-flop/flip_flop.gif.

C's output on one fixed test episode, replayed with the weight snapshots saved
during the headline run, for the sequential and the parallel run of one seed
(full gradient): the first seed whose runs both solve, labelled as such. Loads
the saved headline run (flip_flop.saved_run()); trains it once only when none is
saved. No training code lives here: the frames call flip_flop.frozen_run.

  python3 flip-flop/make_flip_flop_gif.py
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
import flip_flop as ff  # noqa: E402

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


T_EPISODE = 60
COL = {"sequential": "tab:blue", "parallel": "tab:orange"}
REGIMES = ("sequential", "parallel")


def replay(cfg, hist, j, events):
    """frozen_run of every weight snapshot of run j on the same events: traces (T, n_snap)."""
    sn = hist["snapshots"]
    params = {k: sn[k][:, j] for k in ("W_C", "W_M", "V")}
    return ff.frozen_run(params, cfg, np.repeat(events, sn["step"].size, axis=1), record=True)


def showcase(cfg, model, hist):
    """(sequential index, parallel index, label): the first seed whose two runs both solve."""
    runs, ev = hist["runs"], ff.evaluate(model, cfg)
    idx = {r: np.flatnonzero((runs["regime"] == r) & (runs["variant"] == "full")) for r in REGIMES}
    rate = {r: f"{int(ev['solved'][idx[r]].sum())}/{idx[r].size}" for r in REGIMES}
    for js in idx["sequential"]:
        jp = idx["parallel"][runs["seed"][idx["parallel"]] == runs["seed"][js]][0]
        if ev["solved"][js] and ev["solved"][jp]:
            break
    label = (f"seed {runs['seed'][js]}, the first whose runs both solve "
             f"({rate['sequential']} sequential and {rate['parallel']} parallel runs solve)")
    return int(js), int(jp), label


def episode_panel(ax, regime, events, tr, k, acc):
    t = np.arange(events.shape[0])
    for tt, e in enumerate(events[:, 0]):
        if e != ff.EV_X:
            ax.axvspan(tt - 0.5, tt + 0.5, lw=0, alpha=0.18,
                       color="tab:green" if e == ff.EV_B else "tab:red")
    ax.step(t, tr["d"][:, k], where="mid", color="k", lw=1.1, label="latch d (hidden from C)")
    ax.plot(t, tr["y"][:, k], "o-", ms=2.5, color=COL[regime], label="C's output y")
    ax.set_ylim(-0.1, 1.1)
    ax.set_xlim(-0.5, t[-1] + 0.5)
    ax.set_yticks([0, 1])
    ax.set_ylabel(regime, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.set_title(f"{regime}: {acc:.0%} of episode steps correct", fontsize=9, loc="left")


def frame(cfg, events, res, steps, k, label):
    fig, axes = plt.subplots(3, 1, figsize=(8, 6), gridspec_kw={"height_ratios": [1.2, 1.2, 1]})
    for ax, regime in zip(axes[:2], REGIMES):
        episode_panel(ax, regime, events, res[regime]["trace"], k,
                      res[regime]["test_accuracy"][k])
    axes[0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[1].set_xlabel("test episode step (red: A resets the latch, green: B sets it)",
                       fontsize=9)
    ax = axes[2]
    for regime in REGIMES:
        acc = res[regime]["test_accuracy"]
        ax.plot(steps, acc, color=COL[regime], lw=1, alpha=0.3)
        ax.plot(steps[:k + 1], acc[:k + 1], color=COL[regime], lw=2, label=regime)
    ax.axvline(cfg.model_steps, color="gray", lw=0.8)
    ax.text(cfg.model_steps, 0.05, " sequential: M frozen, C starts", fontsize=8,
            color="dimgray")
    ax.set_xlabel("online training step of the weight snapshot", fontsize=9)
    ax.set_ylabel("episode accuracy", fontsize=9)
    ax.set_ylim(0, 1.05)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(f"Training step {steps[k]:,}: C learns the latch through M's predicted "
                 f"pain\n{label}", fontsize=9)
    fig.tight_layout()
    return figure_frame(fig, colors=64)


def main():
    cfg, model, hist = ff.saved_run()
    js, jp, label = showcase(cfg, model, hist)
    events = ff.make_events(np.random.default_rng(2024), 1, T_EPISODE)
    res = {r: replay(cfg, hist, j, events) for r, j in (("sequential", js), ("parallel", jp))}
    steps = hist["snapshots"]["step"]
    frames = [frame(cfg, events, res, steps, k, label) for k in range(steps.size)]
    save_gif(frames, os.path.join(HERE, "flip_flop.gif"), frame_ms=300, hold_ms=3000)


if __name__ == "__main__":
    main()
