"""Animation of learning the light's direction -> nbb-moving-light/nbb_moving_light.gif.

Each frame is one window of training cycles of one run (from the saved run,
nbb_moving_light.saved_run). Left: the network, connection width ~ weight,
colour = net flow in the window (green gained, red paid out more than it got);
the output -> output links are the arcs on the right. Right: with the weights
of that moment frozen, which output wins at each tick of both sweeps.

    python3 nbb-moving-light/make_nbb_moving_light_gif.py
"""
import io
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from PIL import Image  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nbb_moving_light as ml  # noqa: E402

N_FRAMES = 45
SEED_IDX = 9          # a run that starts wrong and learns within the saved window


def frame(model, hist, r, k, outs):
    cfg, net = model["cfg"], model["net"]
    n_in, N = net["n_in"], net["N"]
    W = hist["W"][r, k]
    flow = hist["flow"][r, k]
    net_flow = -flow[0] + flow[1] + flow[2]
    pos = {u: (0.0, (n_in - 1) / 2 - u) for u in range(n_in)}
    pos.update({n_in: (2.0, 0.8), n_in + 1: (2.0, -0.8)})
    fig = plt.figure(figsize=(10, 4))
    ax = fig.add_axes([0.0, 0.02, 0.42, 0.8])
    wmax = max(W.max(), 1e-12)
    fmax = max(np.abs(net_flow).max(), 1e-15)
    for i, j in zip(*np.nonzero(net["M"])):
        color = plt.cm.RdYlGn(0.5 + 0.5 * np.clip(net_flow[i, j] / fmax, -1, 1))
        lw = 0.5 + 6 * W[i, j] / wmax
        if i < n_in:
            ax.plot(*zip(pos[i], pos[j]), color=color, lw=lw, zorder=1)
        else:   # recurrent output -> output link (self-links as loops)
            rad = 0.5 if i != j else 2.5
            a, b = pos[i], pos[j]
            if i == j:
                a, b = (a[0] + 0.05, a[1] + 0.1), (a[0] + 0.05, a[1] - 0.1)
            ax.add_patch(FancyArrowPatch(a, b, connectionstyle=f"arc3,rad={rad}", color=color,
                                         lw=lw, arrowstyle="-", zorder=1))
    names = ["on"] + [f"c{c}" for c in range(1, n_in)] + ["o0\nL->R", "o1\nR->L"]
    for u in range(N):
        ax.scatter(*pos[u], s=330, c="white", edgecolors="k", zorder=2)
        ax.text(*pos[u], names[u], ha="center", va="center", fontsize=6, zorder=3)
    ax.set_xlim(-0.4, 2.9)
    ax.set_ylim(-3.0, 3.0)
    ax.axis("off")
    n = hist["n"][r]
    window = int(hist["n"][-1] - hist["n"][-2])
    ax.set_title(f"seed {k}, cycle {n}: width ~ weight; colour = net flow of the last "
                 f"{window} cycles\n(green: gained, red: paid out more than it got)", fontsize=8)
    for d in range(2):
        ax2 = fig.add_axes([0.5, 0.52 - 0.4 * d, 0.45, 0.3])
        o = outs[r, d].T                                      # (2, T)
        ax2.imshow(o, cmap="Greys", vmin=0, vmax=1.4, aspect="auto", interpolation="nearest")
        right = o[d, -1] == 1
        ax2.add_patch(plt.Rectangle((cfg.ticks - 1.5, d - 0.5), 1, 1, fill=False,
                                    ec="C2" if right else "C3", lw=3))
        ax2.set_yticks([0, 1], ["o0", "o1"], fontsize=7)
        ax2.set_xticks(range(cfg.ticks), [str(t) for t in range(1, cfg.ticks + 1)], fontsize=7)
        ax2.set_title(f"{ml.DIRECTIONS[d]} sweep, frozen weights: "
                      f"{'right' if right else 'wrong'} at tick 6", fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=70)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("P", palette=Image.ADAPTIVE, colors=64)


def main(k=SEED_IDX):
    model, hist = ml.saved_run()
    solved = max(hist["solved_at"][k], 1)
    last = min(len(hist["n"]) - 1, int(np.searchsorted(hist["n"], 3 * solved)))
    rows = np.linspace(1, last, N_FRAMES).astype(int)
    dirs = np.broadcast_to(np.arange(2), (len(rows), 2))
    r = ml.present(hist["W"][rows, k], dirs, model["cfg"], model["net"], None, learn=False)
    outs = np.zeros((len(hist["n"]),) + r["out"].shape[1:])
    outs[rows] = r["out"]
    frames = [frame(model, hist, row, k, outs) for row in rows]
    out = os.path.join(HERE, "nbb_moving_light.gif")
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=250, loop=0,
                   optimize=True)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
