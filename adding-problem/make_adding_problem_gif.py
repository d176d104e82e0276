"""Animation: one test sequence replayed through the weight snapshots of the
headline run -> adding-problem/adding_problem.gif. The cells learn to latch
the two marked values and hold them to the end.

Loads the headline run from .cache/ (trains once only if it is missing).

  python3 adding-problem/make_adding_problem_gif.py
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
import adding_problem as ap  # noqa: E402

N_FRAMES = 36          # frames taken from the snapshots (log-spaced in sequences seen)
HOLD_LAST = 6          # repeat the final frame


def main():
    cfg, _ = ap.config_from_record(os.path.join(HERE, "results.json"))
    params, hist, _ = ap.load_or_train(cfg)
    snaps, seen = hist["snapshots"], np.array(hist["seen"])
    idx = np.unique(np.geomspace(1, len(snaps), N_FRAMES).astype(int) - 1)
    x, lengths, d, p1, p2 = ap.make_batch(np.random.default_rng(12345), cfg.T, 1)
    t = np.arange(x.shape[0])
    C = cfg.n_blocks * cfg.block_size
    _, last = ap.forward(cfg, snaps[-1], x, lengths)
    lim = max(3.0, 1.1 * np.abs(last["S"]).max())           # cell-state axis fits the trained net
    frames = []
    for i in list(idx) + [idx[-1]] * HOLD_LAST:
        o, cache = ap.forward(cfg, snaps[i], x, lengths)
        fig, (ax0, ax1, ax2) = plt.subplots(1, 3, figsize=(10, 3.3),
                                            gridspec_kw={"width_ratios": [2.2, 2.2, 1.3]})
        for v in range(C):
            ax0.plot(t, cache["S"][:, 0, v], lw=1.2)
        ax0.set_ylim(-lim, lim)
        ax0.set_title("cell states s(t)", fontsize=9)
        for j in range(cfg.n_blocks):
            ax1.plot(t, cache["A"][:, 0, C + j], lw=1.2, label=f"input gate {j + 1}")
        ax1.set_ylim(-0.02, 1.02)
        ax1.set_title("input-gate activations", fontsize=9)
        ax1.legend(fontsize=7, loc="upper right")
        for ax in (ax0, ax1):
            ax.set_xlabel("time step")
            for p in (p1[0], p2[0]):
                ax.axvline(p, color="red", alpha=0.3, lw=3)
        ax2.semilogy(seen, hist["mse"], color="0.6", lw=1)
        ax2.semilogy(seen[i], hist["mse"][i], "o", color="tab:blue")
        ax2.axhline(0.01, color="gray", ls=":", lw=1)
        ax2.set_xlabel("sequences seen")
        ax2.set_title("training MSE", fontsize=9)
        ok = abs(o[0] - d[0]) < cfg.crit
        fig.suptitle(f"after {seen[i]:,} training sequences: output {o[0]:.3f}, target {d[0]:.3f} "
                     f"({'correct' if ok else 'wrong'}); red = marked steps (X1, X2)", fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, dpi=60)
        plt.close(fig)
        buf.seek(0)
        frames.append(Image.open(buf).convert("P", palette=Image.ADAPTIVE, colors=64))
    out = os.path.join(HERE, "adding_problem.gif")
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=250, loop=0,
                   optimize=True)
    print(f"wrote {out} ({os.path.getsize(out) / 1e3:.0f} KB, {len(frames)} frames)")


if __name__ == "__main__":
    main()
