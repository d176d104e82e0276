"""Animation of the substance economy over training -> nbb-xor/nbb_xor.gif.

Each frame is one window of training presentations of seed 0 (from the saved
run, nbb_xor.saved_run). Left: the network, connection width ~ weight; colour
= net flow in the window (green: the connection gained, red: it paid out more
than it got). Right: frozen-weight answers per pattern and total substance.

    python3 nbb-xor/make_nbb_xor_gif.py
"""
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
import nbb_xor as nx  # noqa: E402

N_FRAMES = 45


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


def frame(model, hist, ok, r, seed_idx, pos, names):
    net = model["net"]
    W = hist["W"][r, seed_idx]
    flow = hist["flow"][r, seed_idx]                    # (3, N, N): paid, received, ext
    net_flow = -flow[0] + flow[1] + flow[2]
    fig = plt.figure(figsize=(10, 3.8))
    ax = fig.add_axes([0.0, 0.02, 0.45, 0.82])
    ax2 = fig.add_axes([0.52, 0.58, 0.45, 0.28])
    ax3 = fig.add_axes([0.52, 0.13, 0.45, 0.3])
    wmax = max(W.max(), 1e-12)
    fmax = max(np.abs(net_flow).max(), 1e-15)
    for i, j in zip(*np.nonzero(net["M"])):
        f = net_flow[i, j] / fmax
        color = plt.cm.RdYlGn(0.5 + 0.5 * np.clip(f, -1, 1))
        path = np.array([pos[i], pos[j]])
        if i < net["n_in"] and j >= net["out0"]:   # input -> output: arc around the hidden column
            s = np.linspace(0, 1, 30)[:, None]
            ctrl = np.array([1.0, 2.6 if j == net["out0"] else -2.6])
            path = (1 - s) ** 2 * pos[i] + 2 * s * (1 - s) * ctrl + s ** 2 * pos[j]
        ax.plot(path[:, 0], path[:, 1], color=color, lw=0.5 + 6 * W[i, j] / wmax,
                solid_capstyle="round", zorder=1)
    ax.scatter(pos[:, 0], pos[:, 1], s=260, c="white", edgecolors="k", zorder=2)
    for u, name in enumerate(names):
        ax.text(*pos[u], name, ha="center", va="center", fontsize=7, zorder=3)
    ax.set_xlim(-0.4, 2.4)
    ax.set_ylim(-1.9, 1.9)
    ax.axis("off")
    n = hist["n"][r]
    window = int(hist["n"][-1] - hist["n"][-2])
    ax.set_title(f"seed 0, presentation {n}\nwidth ~ weight; colour = net flow of the last "
                 f"{window} cycles\n(green: gained, red: paid out more than it got)", fontsize=8)
    ax2.bar(range(4), np.ones(4), color=["C2" if o else "C3" for o in ok[r]])
    for k, o in enumerate(ok[r]):
        ax2.text(k, 0.5, "right" if o else "wrong", ha="center", va="center", color="w", fontsize=8)
    ax2.set_xticks(range(4), ["00", "01", "10", "11"])
    ax2.set_yticks([])
    solved = hist["solved_at"][seed_idx]
    state = f"solution found at {solved}" if 0 < solved <= n else "searching"
    ax2.set_title(f"frozen-weight test per pattern ({state})", fontsize=8)
    ax3.plot(hist["n"], hist["substance"][:, seed_idx], color="0.6", lw=1)
    ax3.plot(hist["n"][:r + 1], hist["substance"][:r + 1, seed_idx], color="C1", lw=2)
    ax3.axvline(solved, color="k", ls="--", lw=0.8)
    ax3.set_xlabel("presentations", fontsize=8)
    ax3.set_ylabel("total substance", fontsize=8)
    ax3.tick_params(labelsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=70)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("P", palette=Image.ADAPTIVE, colors=64)


def main(seed_idx=0):
    model, hist = nx.saved_run()
    net = model["net"]
    pos = layout(net)
    names = ["on", "x1", "x2"] + [f"h{k}" for k in range(3)] + ["o0", "o1"]
    pats = np.broadcast_to(np.arange(4), (len(hist["n"]), 4))
    ok, _ = nx.test_patterns(hist["W"][:, seed_idx], pats, model["cfg"], net, None)
    rows = np.linspace(1, len(hist["n"]) - 1, N_FRAMES).astype(int)
    frames = [frame(model, hist, ok, r, seed_idx, pos, names) for r in rows]
    out = os.path.join(HERE, "nbb_xor.gif")
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=250, loop=0,
                   optimize=True)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
