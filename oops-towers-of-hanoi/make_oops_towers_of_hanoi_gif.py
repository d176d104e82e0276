"""Animation of OOPS's Try enumerating prefixes and of the found Hanoi solver playing
-> oops-towers-of-hanoi/oops_towers_of_hanoi.gif.

Loads the headline run saved by `python3 oops-towers-of-hanoi/oops_towers_of_hanoi.py`
(oops-towers-of-hanoi/.cache/) through saved_run(); runs the search once only when no
saved run exists. Part 1: Try's depth-first walk of the prefix tree for the task
"1^n 2^n, n = 1..3" from an empty library, in the phase where the recursive solver
is found (the stub's Search with its node log). Part 2: the frozen Hanoi solver of
the headline run moving n = 4 discs, with the instruction being executed.

  python3 oops-towers-of-hanoi/make_oops_towers_of_hanoi_gif.py
"""
from __future__ import annotations

import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oops_towers_of_hanoi as oops  # noqa: E402
import visualize_oops_towers_of_hanoi as viz  # noqa: E402

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

OUT = {"request": "#4c72b0", "halt": "#c44e52", "timeout": "0.6", "solved": "#55a868"}
WORDS = {"request": "asks for a token", "halt": "halts (error)", "timeout": "out of time",
         "solved": "SOLVES n = 1, 2, 3"}


def search_log(cfg):
    """Try for 1^n 2^n n = 1..3 from an empty library at the first T where it succeeds."""
    T = cfg.T0
    while True:
        log = []
        s = oops.Search([], 0, (0, 0), "onetwo", 3, T, cfg, log_nodes=log, log_cap=10 ** 6)
        if s.go():
            return T, log, len(oops.LANGUAGES[cfg.language])
        T *= 2


def search_frame(T, log, k, nq):
    shown = log[max(0, k - 14):k]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.6, 4.6), gridspec_kw={"width_ratios": [2.1, 1]})
    for row, (prefix, outcome, t) in enumerate(shown):
        y = len(shown) - row
        budget = T * (1.0 / nq) ** len(prefix)
        a.text(0.0, y, " ".join(prefix) or "(empty)", fontsize=9, va="center", family="monospace",
               color="k" if row == len(shown) - 1 else "0.35")
        a.text(0.56, y, WORDS[outcome], fontsize=9, va="center", color=OUT[outcome])
        a.text(1.0, y, f"t = {t} of {budget:.3g}", fontsize=8, va="center", ha="right", color="0.3")
    a.set_xlim(0, 1)
    a.set_ylim(0.3, 15.5)
    a.axis("off")
    a.set_title(f"prefix {k:,} of {len(log):,} (depth first; a prefix of length L may use "
                f"T/{nq}^L steps)", fontsize=9)
    counts = {o: sum(1 for _, oc, _ in log[:k] if oc == o) for o in OUT}
    b.barh(list(range(4)), [counts[o] for o in OUT], color=[OUT[o] for o in OUT])
    b.set_yticks(range(4))
    b.set_yticklabels(list(OUT), fontsize=9)
    b.set_xscale("symlog")
    b.set_xlim(0, max(10, len(log)) * 1.5)
    b.set_xlabel("prefixes so far", fontsize=9)
    fig.suptitle(f"OOPS Try on 1^n 2^n (n = 1..3 in a ring), time limit T = 2^{int(math.log2(T))}",
                 fontsize=11)
    fig.tight_layout()
    return figure_frame(fig, colors=64)


def hanoi_frame(toks, n, state, k, total, moves):
    ip, depth, tok, towers = state
    fig, (a, b) = plt.subplots(1, 2, figsize=(9.6, 4.6), gridspec_kw={"width_ratios": [2.2, 1]})
    for p in (1, 2, 3):
        a.plot([p, p], [0, n + 0.6], color="0.3", lw=3, zorder=1)
        for h, d in enumerate(towers[p]):
            w = 0.12 + 0.33 * d / n
            a.add_patch(plt.Rectangle((p - w, h + 0.05), 2 * w, 0.85,
                                      color=plt.cm.viridis(d / (n + 1)), zorder=2))
    a.plot([0.4, 3.6], [0, 0], color="k", lw=2)
    a.set_xlim(0.4, 3.6)
    a.set_ylim(-0.6, n + 1)
    a.set_xticks([1, 2, 3])
    a.set_xticklabels(["S (1)", "A (2)", "D (3)"])
    a.set_yticks([])
    for spine in a.spines.values():
        spine.set_visible(False)
    a.set_title(f"step {k}/{total}: {moves} of {2 ** n - 1} moves", fontsize=10)
    for i, w in enumerate(toks):
        b.text(0.05, len(toks) - i, f"{i}: {w}", fontsize=10, family="monospace", va="center",
               color="#c44e52" if i == ip else "k", weight="bold" if i == ip else "normal")
    b.text(0.05, 0, f"call depth {depth}", fontsize=9, va="center", color="0.3")
    b.set_xlim(0, 1)
    b.set_ylim(-0.5, len(toks) + 0.8)
    b.axis("off")
    b.set_title("found program (frozen)", fontsize=10)
    fig.suptitle(f"The Hanoi solver OOPS found, on n = {n} discs (it was searched on n <= 3 "
                 "first)", fontsize=11)
    fig.tight_layout()
    return figure_frame(fig, colors=64)


def main():
    cfg, model, history = viz.load()
    T, log, nq = search_log(cfg)
    N = len(log)
    ks = sorted(set(np.unique(np.geomspace(1, N, 26).astype(int)).tolist()))
    frames = [search_frame(T, log, k, nq) for k in ks]
    if "hanoi" in model["solvers"]:
        n = 4
        tr = viz.trace(model, cfg, "hanoi", n)
        toks = model["solvers"]["hanoi"]["tokens"]
        moves = np.cumsum([tok == "mvdsk" for _, _, tok, _ in tr])
        idx = [i for i, (_, _, tok, _) in enumerate(tr) if tok == "mvdsk" or i % 4 == 0]
        frames += [hanoi_frame(toks, n, tr[i], i + 1, len(tr), int(moves[i])) for i in idx]
    save_gif(frames, os.path.join(HERE, "oops_towers_of_hanoi.gif"), frame_ms=350, hold_ms=3000)


if __name__ == "__main__":
    main()
