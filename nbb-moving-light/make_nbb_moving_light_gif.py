"""Animation of learning the light's direction -> nbb-moving-light/nbb_moving_light.gif.

Each frame is one window of training cycles of the showcase run (the headline
run saved by `python3 nbb-moving-light/nbb_moving_light.py`, loaded with
nbb_moving_light.saved_run(); the showcase is chosen by
visualize_nbb_moving_light.showcase). Left: the network; line width ~ weight on
one scale for every frame, colour = net flow in the window on one scale (green
gained, red paid out more than it got); the output -> output links are the arcs
on the right. Right: with the weights of that moment frozen, which output wins
at each tick of each of the two sweeps; a box marks each sweep's decision at
tick 6.

    python3 nbb-moving-light/make_nbb_moving_light_gif.py
"""
from __future__ import annotations

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nbb_moving_light as ml  # noqa: E402
import visualize_nbb_moving_light as viz  # noqa: E402

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

N_FRAMES = 48


def draw_net(ax, net, W, net_flow, wmax, fmax):
    n_in, N = net["n_in"], net["N"]
    pos = {u: (0.0, (n_in - 1) / 2 - u) for u in range(n_in)}
    pos.update({n_in: (2.0, 0.8), n_in + 1: (2.0, -0.8)})
    for i, j in zip(*np.nonzero(net["M"])):
        f = np.clip(net_flow[i, j] / fmax, -1, 1)
        color = plt.cm.RdYlGn(0.5 + 0.5 * np.sign(f) * np.sqrt(abs(f)))   # sqrt: small flows show
        lw = 0.3 + 7 * W[i, j] / wmax
        if i < n_in:
            ax.plot(*zip(pos[i], pos[j]), color=color, lw=lw, zorder=1)
        else:   # recurrent output -> output link (self-links as loops)
            rad = 0.5 if i != j else 2.5
            a, b = pos[i], pos[j]
            if i == j:
                a, b = (a[0] + 0.05, a[1] + 0.1), (a[0] + 0.05, a[1] - 0.1)
            ax.add_patch(FancyArrowPatch(a, b, connectionstyle=f"arc3,rad={rad}", color=color,
                                         lw=lw, arrowstyle="-", zorder=1))
    names = ["on"] + [f"c{c}" for c in range(1, n_in)] + ["o0", "o1"]
    for u in range(N):
        ax.scatter(*pos[u], s=480, c="white", edgecolors="k", zorder=2)
        ax.text(*pos[u], names[u], ha="center", va="center", fontsize=9, zorder=3)
    ax.text(2.0, 1.45, "o0: L->R", ha="center", fontsize=8)
    ax.text(2.0, -1.55, "o1: R->L", ha="center", fontsize=8)
    ax.set_xlim(-0.4, 2.9)
    ax.set_ylim(-3.0, 3.0)
    ax.axis("off")


def frame(st, r, k, seed, outs, net, ticks, scales):
    W = st["W"][r, k]
    flow = st["flow"][r, k]
    fig = plt.figure(figsize=(9, 4.2))
    draw_net(fig.add_axes([0.0, 0.02, 0.42, 0.76]), net, W, -flow[0] + flow[1] + flow[2], *scales)
    window = int(st["n"][-1] - st["n"][-2])
    fig.text(0.02, 0.97, f"seed {seed}, cycle {st['n'][r]}", fontsize=11, va="top")
    fig.text(0.02, 0.89, f"width ~ weight (one scale for all frames); colour = net flow of the last "
             f"{window} cycles\n(green: gained, red: paid out more than it got; square-root scale)",
             fontsize=8, va="top")
    for d in range(2):
        ax2 = fig.add_axes([0.5, 0.46 - 0.36 * d, 0.46, 0.22])
        o = outs[r, d].T                                      # (2, T)
        ax2.imshow(o, cmap="Greys", vmin=0, vmax=1.4, aspect="auto", interpolation="nearest")
        right = o[d, -1] == 1
        ax2.add_patch(plt.Rectangle((ticks - 1.5, d - 0.5), 1, 1, fill=False,
                                    ec="C2" if right else "C3", lw=3))
        ax2.set_yticks([0, 1], ["o0", "o1"], fontsize=8)
        ax2.set_xticks(range(ticks), [str(t) for t in range(1, ticks + 1)], fontsize=8)
        ax2.set_title(f"{ml.DIRECTIONS[d]} sweep, frozen weights: "
                      f"{'right' if right else 'wrong'} at tick {ticks}", fontsize=9)
    ax2.set_xlabel("tick (dark = output on)", fontsize=8)
    return figure_frame(fig, colors=64)


def main():
    cfg, model, history = ml.saved_run()
    k, seed, _, _, _ = viz.showcase(cfg, model, history)
    st, m = history["stability"], model["stability"]
    rows = np.unique(np.geomspace(1, len(st["n"]) - 1, N_FRAMES).astype(int))   # denser early
    dirs = np.broadcast_to(np.arange(2), (len(st["n"]), 2))
    outs = ml.present(st["W"][:, k], dirs, m["net"], m["rule"], None, learn=False)["out"]
    flows = -st["flow"][:, k, 0] + st["flow"][:, k, 1] + st["flow"][:, k, 2]
    scales = (st["W"][:, k].max(), max(np.percentile(np.abs(flows[1:]), 99), 1e-15))
    frames = [frame(st, r, k, seed, outs, m["net"], cfg.ticks, scales) for r in rows]
    save_gif(frames, os.path.join(HERE, "nbb_moving_light.gif"), frame_ms=250, hold_ms=2500)


if __name__ == "__main__":
    main()
