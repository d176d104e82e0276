"""Animation of the generative net's fantasies sharpening over training
-> helmholtz_shifter.gif.

Each frame draws the same 16 fantasies (same random numbers) from one saved
parameter snapshot of the headline run, beside the IS-NLL curve so far.
Loads .cache/run_seed<N>.npz; trains once with the default Config only if it
is missing.

    python3 helmholtz-shifter/make_helmholtz_shifter_gif.py [--seed 0]
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
import helmholtz_shifter as hs  # noqa: E402


def frame(snap, step, cfg, meta, u, H_data, legal_set):
    t, h, v = hs.generate_sample(snap, *u)
    ok = [x.tobytes() in legal_set for x in v]
    fig = plt.figure(figsize=(9, 4))
    gs = fig.add_gridspec(4, 8, width_ratios=[1, 1, 1, 1, 0.3, 2.2, 2.2, 0.1])
    for i in range(16):
        ax = fig.add_subplot(gs[i // 4, i % 4])
        ax.imshow(v[i].reshape(4, cfg.width), cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for sp in ax.spines.values():       # green frame: a legal shifter image
            sp.set_color("tab:green" if ok[i] else "tab:red")
            sp.set_linewidth(2.5)
    ax = fig.add_subplot(gs[:, 5:7])
    steps = np.array(meta["step"])
    nll = np.array(meta["is_nll_bits"])
    k = steps <= step
    ax.plot(steps * cfg.batch_size / 1e6, nll, color="0.85")
    ax.plot(steps[k] * cfg.batch_size / 1e6, nll[k], "o-", ms=3)
    ax.axhline(H_data, color="k", ls="--", lw=1)
    ax.text(0, H_data - 0.3, f"floor H(p_data) = {H_data:.2f}", fontsize=8, va="top")
    ax.set_ylim(H_data - 1.5, H_data + 10)
    ax.set_xlabel("training patterns (millions)", fontsize=8)
    ax.set_ylabel("IS-NLL (bits)", fontsize=8)
    ax.tick_params(labelsize=7)
    fig.suptitle(f"Fantasies after {step * cfg.batch_size:,} patterns: "
                 f"{sum(ok)}/16 are legal shifter images (green)", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("P", palette=Image.ADAPTIVE, colors=64)


def main():
    ap = argparse.ArgumentParser(description="GIF of helmholtz-shifter fantasies")
    ap.add_argument("--seed", type=int, default=0, help="which saved run to animate")
    a = ap.parse_args()
    p, cfg, meta, snaps = hs.load_or_train(a.seed)
    sup, p_sup, _ = hs.data_support(cfg.p_on, cfg.width)
    H_data = hs.entropy_bits(p_sup)
    legal_set = {x.tobytes() for x in sup}
    rng = np.random.default_rng(0)
    n = 16
    u = (rng.random((n, cfg.n_top)), rng.random((n, cfg.n_hidden)),
         rng.random((n, 4 * cfg.width)))
    frames = []
    for snap, step in zip(snaps, meta["snap_step"]):
        frames.append(frame(snap, step, cfg, meta, u, H_data, legal_set))
    frames += [frames[-1]] * 8        # hold the last frame
    out = os.path.join(HERE, "helmholtz_shifter.gif")
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=250, loop=0,
                   optimize=True)
    print(out, os.path.getsize(out) // 1024, "KB")


if __name__ == "__main__":
    main()
