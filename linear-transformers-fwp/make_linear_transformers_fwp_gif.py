"""Animation for linear-transformers-fwp -> linear_transformers_fwp.gif.

One held-out Setting 2 sequence is written pair by pair into the fast weight
matrix W of the trained sum-rule and delta-rule models (the cached headline
run; trained once only if no run is saved). Each frame shows W_t and what every
key reads back from it, W_t phi(k), against the latest value written for it.

    python3 linear-transformers-fwp/make_linear_transformers_fwp_gif.py
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import linear_transformers_fwp as fwp  # noqa: E402

OUT = os.path.join(HERE, "linear_transformers_fwp.gif")

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


def frames(cfg, models):
    keys, vals, _, _ = fwp.make_batch(fwp.streams(cfg.seed)["eval"], cfg.S, cfg.L, 1, True)
    mem = {r: fwp.episode_memory(models[r][0], keys, vals, r, cfg) for r in fwp.RULES}
    wmax = {r: np.abs(mem[r][0]).max() for r in fwp.RULES}
    latest = np.full(cfg.S, -1)
    errs = {r: [] for r in fwp.RULES}
    for t in range(cfg.L):
        k, v = keys[0, t], vals[0, t]
        overwrite = latest[k] >= 0 and latest[k] != v
        latest[k] = v
        seen = latest >= 0
        fig, ax = plt.subplots(2, 3, figsize=(9.5, 5.6),
                               gridspec_kw={"width_ratios": [2.0, 1.1, 1.1]})
        for row, r in enumerate(fwp.RULES):
            W, P, beta = mem[r]
            Wt = W[0, t]                                       # (S, D)
            ax[row, 0].imshow(Wt, cmap="RdBu_r", vmin=-wmax[r], vmax=wmax[r], aspect="auto",
                             interpolation="nearest")
            ax[row, 0].set_title(f"{r} rule: fast weights $W_t$" + (
                f"  (this write: beta = {beta[0, t]:.2f})" if beta is not None else ""),
                fontsize=9)
            ax[row, 0].set_ylabel("value unit", fontsize=9)
            ax[row, 0].set_xlabel(f"DPFP-{cfg.nu} feature of the key", fontsize=9)
            R = Wt @ P.T                                       # (S values, S keys)
            ax[row, 1].imshow(R, cmap="magma", vmin=0, vmax=1.0, interpolation="nearest")
            ax[row, 1].plot(np.where(seen)[0], latest[seen], "o", mfc="none", mec="c", ms=6)
            ax[row, 1].axvline(k, color="w", lw=0.6, ls=":")
            ax[row, 1].set_title("read-back $W_t\\,\\phi(k)$ per key", fontsize=9)
            ax[row, 1].set_xlabel("key symbol", fontsize=9)
            ax[row, 1].set_ylabel("value symbol", fontsize=9)
            e = float(((R[:, seen] - np.eye(cfg.S)[:, latest[seen]]) ** 2).sum(0).mean())
            errs[r].append(e)
        for r in fwp.RULES:
            ax[0, 2].plot(np.arange(1, t + 2), errs[r], color={"sum": "#d62728",
                                                              "delta": "#1f77b4"}[r], label=r)
        ax[0, 2].set(xlim=(1, cfg.L), ylim=(0, 1.6), xlabel="writes so far",
                     ylabel="error over keys seen")
        ax[0, 2].set_title("read-back error (latest values)", fontsize=9)
        ax[0, 2].legend(fontsize=9)
        ax[1, 2].axis("off")
        pairs = [f"{a:2d}>{b:<2d}" for a, b in zip(keys[0, :t + 1], vals[0, :t + 1])]
        lines = ["  ".join(pairs[i:i + 5]) for i in range(0, len(pairs), 5)]
        ax[1, 2].text(0, 1, "pairs written (key>value):\n" + "\n".join(lines), va="top",
                      family="monospace", fontsize=9, transform=ax[1, 2].transAxes)
        fig.suptitle(f"write {t + 1}/{cfg.L}: key {k} -> value {v}"
                     + ("   (key seen before: OVERWRITE)" if overwrite else "")
                     + f"   |  error: sum {errs['sum'][-1]:.2f}, delta {errs['delta'][-1]:.3f}",
                     fontsize=11, color="#b00" if overwrite else "k")
        fig.tight_layout()
        yield figure_frame(fig, colors=64)


def main():
    cfg, models, _ = fwp.saved_run()
    save_gif(list(frames(cfg, models)), OUT, frame_ms=450, hold_ms=3000)


if __name__ == "__main__":
    main()
