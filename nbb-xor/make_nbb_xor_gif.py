"""Animation of the substance economy over training -> nbb-xor/nbb_xor.gif.

Each frame is one window of training presentations of the showcase run (the
headline run saved by `python3 nbb-xor/nbb_xor.py`, loaded with
nbb_xor.saved_run(); the showcase is the kept run whose solution count is
closest to the median, visualize_nbb_xor.showcase). Left: the network; line
width ~ weight on one scale for every frame, so the drain of substance shows as
thinning; colour = net flow in the window (green: the connection gained, red:
it paid out more than it got), also on one scale. Right: frozen-weight answers
per pattern and total substance.

    python3 nbb-xor/make_nbb_xor_gif.py
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
import nbb_xor as nx  # noqa: E402
import visualize_nbb_xor as viz  # noqa: E402

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


def layout(net):
    """(x, y) position of each unit: inputs left, hidden middle, outputs right."""
    N = net["N"]
    pos = np.zeros((N, 2))
    layers = [range(net["n_in"]), range(N)[net["hid"]], range(N)[net["out"]]]
    for col, units in enumerate(layers):
        units = list(units)
        for r, u in enumerate(units):
            pos[u] = (col, (len(units) - 1) / 2 - r)
    return pos


def draw_net(ax, net, W, net_flow, wmax, fmax, pos, names):
    for i, j in zip(*np.nonzero(net["M"])):
        f = np.clip(net_flow[i, j] / fmax, -1, 1)
        color = plt.cm.RdYlGn(0.5 + 0.5 * np.sign(f) * np.sqrt(abs(f)))   # sqrt: small flows show
        path = np.array([pos[i], pos[j]])
        if i < net["n_in"] and j >= net["out0"]:   # input -> output: arc around the hidden column
            s = np.linspace(0, 1, 30)[:, None]
            ctrl = np.array([1.0, 2.6 if j == net["out0"] else -2.6])
            path = (1 - s) ** 2 * pos[i] + 2 * s * (1 - s) * ctrl + s ** 2 * pos[j]
        ax.plot(path[:, 0], path[:, 1], color=color, lw=0.3 + 7 * W[i, j] / wmax,
                solid_capstyle="round", zorder=1)
    ax.scatter(pos[:, 0], pos[:, 1], s=420, c="white", edgecolors="k", zorder=2)
    for u, name in enumerate(names):
        ax.text(*pos[u], name, ha="center", va="center", fontsize=9, zorder=3)
    ax.set_xlim(-0.4, 2.4)
    ax.set_ylim(-1.9, 1.9)
    ax.axis("off")


def frame(st, ok, r, k, seed, pos, names, net, scales):
    W = st["W"][r, k]
    flow = st["flow"][r, k]                              # (3, N, N): paid, received, ext
    fig = plt.figure(figsize=(9, 4.0))
    ax = fig.add_axes([0.0, 0.02, 0.45, 0.76])
    draw_net(ax, net, W, -flow[0] + flow[1] + flow[2], *scales, pos, names)
    n = st["n"][r]
    window = int(st["n"][-1] - st["n"][-2])
    fig.text(0.02, 0.97, f"seed {seed}, presentation {n}", fontsize=11, va="top")
    fig.text(0.02, 0.89, f"width ~ weight (one scale for all frames); colour = net flow of the "
             f"last {window} cycles\n(green: gained, red: paid out more than it got; square-root colour scale)", fontsize=8,
             va="top")
    ax2 = fig.add_axes([0.53, 0.56, 0.44, 0.22])
    ax2.bar(range(4), np.ones(4), color=["C2" if o else "C3" for o in ok[r]])
    for j, o in enumerate(ok[r]):
        ax2.text(j, 0.5, "right" if o else "wrong", ha="center", va="center", color="w", fontsize=9)
    ax2.set_xticks(range(4), viz.PATTERN_NAMES, fontsize=9)
    ax2.set_yticks([])
    solved = st["solved_at"][k]
    state = f"solution found at {solved}" if 0 < solved <= n else "searching"
    ax2.set_title(f"frozen-weight test per pattern ({state})", fontsize=9)
    ax3 = fig.add_axes([0.6, 0.14, 0.37, 0.26])
    ax3.plot(st["n"], st["substance"][:, k], color="0.75", lw=1)
    ax3.plot(st["n"][:r + 1], st["substance"][:r + 1, k], color="C1", lw=2)
    ax3.axvline(solved, color="k", ls="--", lw=0.8)
    ax3.set_xlabel("presentations", fontsize=8)
    ax3.set_ylabel("total substance", fontsize=8)
    ax3.tick_params(labelsize=8)
    return figure_frame(fig, colors=64)


def main():
    cfg, model, history = nx.saved_run()
    k, seed, _, _ = viz.showcase(cfg, history)
    st, m = history["stability"], model["stability"]
    net = m["net"]
    pos = layout(net)
    names = ["on", "x1", "x2"] + [f"h{j}" for j in range(net["hid"].stop - net["hid"].start)] + ["o0", "o1"]
    pats = np.broadcast_to(np.arange(4), (len(st["n"]), 4))
    ok, _ = nx.test_patterns(st["W"][:, k], pats, net, m["rule"], None)
    flows = -st["flow"][:, k, 0] + st["flow"][:, k, 1] + st["flow"][:, k, 2]
    scales = (st["W"][:, k].max(), max(np.percentile(np.abs(flows[1:]), 99), 1e-15))
    rows = np.unique(np.geomspace(1, len(st["n"]) - 1, N_FRAMES).astype(int))   # denser early
    frames = [frame(st, ok, r, k, seed, pos, names, net, scales) for r in rows]
    save_gif(frames, os.path.join(HERE, "nbb_xor.gif"), frame_ms=250, hold_ms=2500)


if __name__ == "__main__":
    main()
