"""Animation of the search guessing, then the found net running -> rs_two_sequence.gif.

Loads the headline run saved by `python3 rs-two-sequence/rs_two_sequence.py` (the first
search's draws and the stage of the check each reached); trains it once when missing.

  python3 rs-two-sequence/make_rs_two_sequence_gif.py
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
import rs_two_sequence as rs  # noqa: E402

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

STAGE_STYLE = [("wrong on sequence 1 or 2", "0.75", 6), ("right on 2, wrong within 10", "C1", 14),
               ("right on 10, wrong within 100", "C3", 22), ("right on all 100: solved", "C2", 160)]


def search_frame(hist, k, n_sol, seed, paper):
    """Draws 1..k of the first search in the (y<-y, y<-x) plane, coloured by how far they got."""
    W, st = hist["weights"][:k].reshape(k, -1), hist["stage"][:k]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 4.6), gridspec_kw={"width_ratios": [1.2, 1]})
    for s, (lab, c, size) in enumerate(STAGE_STYLE):
        sel = st == s
        a1.scatter(W[sel, 6], W[sel, 4], s=size, color=c, marker="*" if s == 3 else "o",
                   zorder=2 + s, edgecolors="k" if s == 3 else "none")
    a1.set_xlim(-100, 100)
    a1.set_ylim(-100, 100)
    a1.set_xlabel("output self weight y<-y", fontsize=9)
    a1.set_ylabel("output input weight y<-x", fontsize=9)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], ls="", marker="*" if s == 3 else "o", color=c, markersize=11 if s == 3 else 6,
                      markeredgecolor="k" if s == 3 else c, label=f"{lab} ({np.sum(st == s)})")
               for s, (lab, c, _) in enumerate(STAGE_STYLE)]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=False)
    a1.set_title(f"search {seed}: guess {k} of {n_sol}", fontsize=10)
    counts = [np.sum(st >= s) for s in range(4)]
    a2.bar(range(4), counts, color=[c for _, c, _ in STAGE_STYLE])
    a2.set_yscale("log")
    a2.set_ylim(0.5, max(n_sol, 10) * 2)
    a2.set_xticks(range(4))
    a2.set_xticklabels(["drawn", "2 right", "10 right", "100 right"], fontsize=8)
    a2.set_title(f"guesses surviving each check\n(paper: {paper} guesses on average)", fontsize=10)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig


def run_frame(x, lengths, tg, acts, t_show, seed, trials):
    """The found net on two held-out sequences, up to time t_show."""
    fig, axes = plt.subplots(2, 1, figsize=(9, 4.6), sharex=True)
    for b, ax in enumerate(axes):
        L = min(lengths[b], t_show)
        t = np.arange(1, L + 1)
        ax.plot(t, x[b, :L], color="0.65", lw=0.6, label="input")
        ax.plot(t, acts[:L, b, 0], color="C2", lw=1.0, label="hidden")
        ax.plot(t, acts[:L, b, 1], color="C3", lw=2.2, label="output")
        ax.set_xlim(0, max(lengths) + 5)
        ax.set_ylim(-1.0, 2.0)
        ax.set_ylabel(f"x_1 = {x[b, 0]:+.0f}\ntarget {tg[b]:.0f}", fontsize=9)
        if t_show >= lengths[b]:
            ok = abs(acts[lengths[b] - 1, b, 1] - tg[b]) < 0.1
            ax.text(lengths[b], 1.15, f"end: {acts[lengths[b] - 1, b, 1]:.2f} "
                    f"{'correct' if ok else 'wrong'}", ha="right", fontsize=9)
    axes[0].legend(loc="upper center", ncol=3, fontsize=8)
    axes[0].set_title(f"guess {trials} of search {seed} on held-out sequences: the output "
                      f"latches x_1 (t = {t_show})", fontsize=10)
    axes[1].set_xlabel("time step", fontsize=9)
    fig.tight_layout()
    return fig


def main():
    cfg, model, hist = rs.saved_run(rs.make_config())
    n_sol, seed = int(model["trials"][0]), model["seeds"][0]
    paper = rs.PAPER["metrics"]["mean_trials"]
    ks = np.unique(np.geomspace(1, min(n_sol, len(hist["stage"])), 18).astype(int))
    frames = [figure_frame(search_frame(hist, int(k), n_sol, seed, paper)) for k in ks]
    frames += [frames[-1]] * 4
    x, lengths, tg = rs.search_data(seed, cfg)["test"]
    x, lengths, tg = x[:2], lengths[:2], tg[:2]
    _, acts = rs.run_net(model["weights"][0][None, None], x[None], lengths[None], trace=True)
    acts = acts[:, 0, 0]
    for t_show in np.linspace(10, max(lengths), 14).astype(int):
        frames.append(figure_frame(run_frame(x, lengths, tg, acts, int(t_show), seed, n_sol)))
    save_gif(frames, os.path.join(HERE, "rs_two_sequence.gif"), frame_ms=350, hold_ms=3000)


if __name__ == "__main__":
    main()
