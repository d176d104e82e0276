"""Animation of the 8 hidden vectors moving inside the unit cube -> encoder_backprop_8_3_8.gif.

Left: the headline seed's first attempt (it settles with two patterns on one side of every
threshold: 7 distinct codes). Right: the same seed's solving attempt after
restarts. Loads the saved run (.cache/run.pkl); makes it once if missing.

    python3 encoder-backprop-8-3-8/make_encoder_backprop_8_3_8_gif.py
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
import encoder_backprop_8_3_8 as enc  # noqa: E402

OUT = os.path.join(HERE, "encoder_backprop_8_3_8.gif")
N_FRAMES = 70          # frames spaced geometrically in sweeps: early motion is fast
FRAME_MS = 90
HOLD_MS = 1800
from visualize_encoder_backprop_8_3_8 import COLORS, draw_cube  # noqa: E402  (one cube drawing for figures and GIF)


def frame(snaps, i, atts, seed):
    fig = plt.figure(figsize=(8.4, 4.2))
    for col, (snap_list, att) in enumerate(zip(snaps, atts)):
        step, h, _ = snap_list[i]
        nd = int(enc.n_distinct(enc.codes(h[None]))[0])
        pair = enc.shared_pair(h)
        ax = fig.add_subplot(1, 2, col + 1, projection="3d")
        # faint trails: where each pattern has been
        trail = np.array([s[1] for s in snap_list[:i + 1]])
        for p in range(8):
            ax.plot(*trail[:, p].T, color=COLORS[p], lw=0.6, alpha=0.4)
        note = f", {pair[0]} & {pair[1]} share" if nd == 7 else ""
        draw_cube(ax, h, f"attempt {att}: {nd} distinct codes{note}", highlight=pair if nd == 7 else ())
        ax.view_init(elev=20, azim=-60 + 0.15 * i)
    fig.suptitle(f"8-3-8 encoder, seed {seed}, 1986 setting: hidden vectors after {step} sweeps",
                 fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def main():
    run = enc.load_saved_run()
    show = run["showcase"]
    keys = ["first_attempt", "solving_attempt"]
    snaps = [show[k]["history"]["snapshots"] for k in keys]
    atts = [show[k]["config"]["first_attempt"] + 1 for k in keys]
    n = min(len(s) for s in snaps)
    idx = np.unique(np.geomspace(1, n, N_FRAMES).astype(int) - 1)
    seed = show["first_attempt"]["config"]["seed"]
    frames = [frame(snaps, i, atts, seed) for i in idx]
    # one palette for the whole animation, from all frames stacked (keeps the 8 dot colours)
    w, hgt = frames[0].size
    sheet = Image.new("RGB", (w, hgt * len(frames)))
    for j, f in enumerate(frames):
        sheet.paste(f, (0, j * hgt))
    pal = sheet.quantize(colors=128, method=Image.FASTOCTREE)
    frames = [f.quantize(palette=pal, dither=Image.NONE) for f in frames]
    durations = [FRAME_MS] * (len(frames) - 1) + [HOLD_MS]
    frames[0].save(OUT, save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=True)
    print(f"wrote {os.path.relpath(OUT)} ({len(frames)} frames, {os.path.getsize(OUT) // 1024} KB)")


if __name__ == "__main__":
    main()
