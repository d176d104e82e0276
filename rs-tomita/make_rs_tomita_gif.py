"""Animation for the rs-tomita stub -> rs-tomita/rs_tomita.gif.

Left: the search. As the trial budget grows (log scale), the fraction of the
100 independent searches that have found a net fitting the training set, per
grammar and architecture, with the paper's mean marked. Right: a found net for
grammar #4 reading a string one symbol per frame (unit activations; the output
decides accept/reject). Loads the saved headline run (rs_tomita.saved_run).

  python3 rs-tomita/make_rs_tomita_gif.py
"""
from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rs_tomita as rt  # noqa: E402
import visualize_rs_tomita as viz  # noqa: E402

PROBE = "1001001000110010"
STYLES = {1: "-", 2: "--", 4: ":"}


def draw_search(ax, cfg, model, budget):
    for g in rt.grammar_list(cfg):
        for a in rt.ARCHS:
            t = np.sort(model[f"g{g}_{a}"]["trials"])
            grid = np.logspace(0, np.log10(budget), 200)
            frac = np.searchsorted(t, grid, side="right") / len(t)
            ax.plot(grid, frac, color=viz.COLORS[a], ls=STYLES[g], lw=1.6,
                    label=f"#{g} {a} ({rt.units(cfg, a)} units)")
            paper = rt.PAPER["metrics"]["trials_mean"][f"g{g}"][a]
            if paper <= budget:
                ax.plot(paper, 1.04, marker="v", color=viz.COLORS[a], ms=6)
    ax.set_xscale("log")
    ax.set_xlim(1, 3e5)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("trials per search (log)", fontsize=9)
    ax.set_ylabel(f"fraction of {cfg.n_seeds} searches solved", fontsize=9)
    ax.set_title(f"search: {budget:,.0f} trials (triangles: paper's means)", fontsize=9)
    ax.legend(loc="upper left", fontsize=8, ncol=1, framealpha=0.9)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=8)


def draw_net(ax, cfg, metrics, n_read):
    ex = metrics["cells"]["g4_A1"]["example"]
    S = viz.trace(ex, PROBE)
    shown = np.full_like(S, np.nan)
    shown[:n_read] = S[:n_read]
    ax.imshow(shown.T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    for k in range(n_read):
        acc, tr = S[k, 0] > 0.5, rt.member(4, PROBE[:k + 1])
        ax.text(k, -0.8, "acc" if acc else "rej", ha="center", fontsize=8,
                color="C2" if acc == tr else "C3")
        ax.text(k, 0, f"{S[k, 0]:.2f}", ha="center", va="center",
                fontsize=8, color="k" if S[k, 0] > 0.5 else "w")
    ax.set_xticks(range(len(PROBE)))
    ax.set_xticklabels(list(PROBE), fontsize=9)
    ax.set_yticks(range(S.shape[1]))
    ax.set_yticklabels(["output"] + [f"hidden {i}" for i in range(1, S.shape[1])], fontsize=8)
    ax.set_ylim(S.shape[1] - 0.5, -1.3)
    ax.set_xlabel("symbol read", fontsize=9)
    ax.set_title(f"a found net (#4 A1, {ex['trials']:,} trials) reads: no '000' = accept",
                 fontsize=9)


def main():
    cfg, model, history = viz.headline_run()
    metrics = rt.summarise(cfg, model, history)
    top = max(m["trials"].max() for m in model.values())
    budgets = np.logspace(0, np.log10(top), 22)
    frames = []
    for i, budget in enumerate(budgets):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1, 1.2]})
        draw_search(a1, cfg, model, budget)
        draw_net(a2, cfg, metrics, int(np.ceil((i + 1) * len(PROBE) / len(budgets))))
        fig.suptitle("Random weight guessing on Tomita grammars #1, #2, #4", fontsize=10)
        fig.tight_layout()
        frames.append(figure_frame(fig))
    save_gif(frames, os.path.join(HERE, "rs_tomita.gif"), frame_ms=350, hold_ms=3000)


if __name__ == "__main__":
    main()
