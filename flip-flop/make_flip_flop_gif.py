"""Animation for flip-flop -> flip-flop/flip_flop.gif.

C's output on one fixed test episode, replayed with the weight snapshots
saved during training, for one sequential and one parallel run (full
gradient, same seed). Loads the saved headline run; trains once with the
default Config only when none is saved. No training code lives here.

  python3 flip-flop/make_flip_flop_gif.py --seed 0
"""
from __future__ import annotations

import argparse
import io
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flip_flop as ff  # noqa: E402

T_EPISODE = 70
COL = {"sequential": "tab:blue", "parallel": "tab:orange"}


def replay(cfg, hist, j, events):
    """Evaluate every snapshot of run j on the same events: traces (T, n_snap)."""
    sn = hist["snapshots"]
    n = sn["step"].size
    params = {k: sn[k][:, j] for k in ("W_C", "W_M", "V")}
    ev = np.repeat(events, n, axis=1)
    return ff.evaluate(params, cfg, None, record=True, events=ev)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0, help="seed of the saved headline run")
    a = p.parse_args()
    np.seterr(over="ignore")
    cfg, params, hist = ff.load_or_train(a.seed)
    ev_all = ff.test_runs(params, hist, cfg)
    jp = ff.pick_run(hist, ev_all, "parallel")
    runs = hist["runs"]
    js = int(np.flatnonzero((runs["regime"] == "sequential") & (runs["variant"] == "full")
                            & (runs["seed"] == runs["seed"][jp]))[0])
    events = ff.make_events(np.random.default_rng(2024), 1, T_EPISODE)
    res = {r: replay(cfg, hist, j, events) for r, j in (("sequential", js), ("parallel", jp))}
    steps = hist["snapshots"]["step"]
    t = np.arange(T_EPISODE)
    frames = []
    for k in range(steps.size):
        fig, axes = plt.subplots(3, 1, figsize=(8, 5.6),
                                 gridspec_kw={"height_ratios": [1.3, 1.3, 1]})
        for ax, regime in zip(axes[:2], ("sequential", "parallel")):
            tr = res[regime]["trace"]
            for tt in t:
                e = events[tt, 0]
                if e != ff.EV_X:
                    ax.axvspan(tt - 0.5, tt + 0.5, lw=0, alpha=0.18,
                               color="tab:green" if e == ff.EV_B else "tab:red")
            ax.step(t, tr["d"][:, k], where="mid", color="k", lw=1.1, label="latch d")
            ax.plot(t, tr["y"][:, k], "o-", ms=2.5, color=COL[regime], label="C's output y")
            acc = res[regime]["test_accuracy"][k]
            ax.set_ylim(-0.1, 1.1)
            ax.set_yticks([0, 1])
            ax.set_ylabel(regime)
            ax.text(T_EPISODE - 1, 0.5, f"{acc:.0%} correct", ha="right", fontsize=9,
                    bbox=dict(fc="white", ec="none", alpha=0.8))
        axes[0].legend(fontsize=7, loc="upper left", ncol=2)
        axes[1].set_xlabel("test episode step (red: A resets, green: B sets the latch)")
        ax = axes[2]
        for regime in ("sequential", "parallel"):
            ax.plot(steps, res[regime]["test_accuracy"], color=COL[regime], lw=1, alpha=0.4)
            ax.plot(steps[:k + 1], res[regime]["test_accuracy"][:k + 1], color=COL[regime],
                    lw=2, label=regime)
        ax.axvline(cfg.model_steps, color="gray", lw=0.8)
        ax.set_xlabel("online training step of the snapshot")
        ax.set_ylabel("episode acc.")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7, loc="lower right")
        fig.suptitle(f"Training step {steps[k]:,}: C learns the latch through M's predicted "
                     f"pain\n(sequential: M learns alone until step {cfg.model_steps:,})",
                     fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=70)
        plt.close(fig)
        buf.seek(0)
        frames.append(Image.open(buf).convert("P", palette=Image.ADAPTIVE, colors=64))
    out = os.path.join(HERE, "flip_flop.gif")
    durations = [250] * (len(frames) - 1) + [2500]
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=True)
    print(f"wrote {out}: {len(frames)} frames, {os.path.getsize(out) // 1024} KB")


if __name__ == "__main__":
    main()
