"""What a reader sees: every committed GIF decodes with true colours and holds its last
frame; every committed PNG has a clear margin (nothing drawn up to the edge, which is how a
cut-off title or label shows in the pixels). Each check is shown to fail on a bad file."""
import glob
import os
import sys

import numpy as np
import pytest
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bin"))
import catalog  # noqa: E402
import check_site  # noqa: E402

GIFS = [os.path.join(REPO, s, catalog.slug_module(s) + ".gif") for s in catalog.find_stubs(REPO)]
PNGS = sorted(glob.glob(os.path.join(REPO, "*", "viz", "*.png"))
              + glob.glob(os.path.join(REPO, "docs", "*.png"))
              + glob.glob(os.path.join(REPO, "dmd", "*.png")))
GIF_MAX = 1024 * 1024
HOLD_MS = 1000


def gif_problems(path):
    """Corrupt palettes, undecodable frames, size and end hold of one GIF."""
    problems = [f"frame {k}: RGBA palette stored as RGB"
                for k in check_site.corrupt_gif_frames(path)]
    if os.path.getsize(path) > GIF_MAX:
        problems.append(f"{os.path.getsize(path)} bytes (> 1 MB)")
    im = Image.open(path)
    for k in range(im.n_frames):
        im.seek(k)
        im.convert("RGB").load()                   # every frame decodes
    if im.n_frames > 1 and im.info.get("duration", 0) < HOLD_MS:
        problems.append(f"last frame shown {im.info.get('duration')} ms (< {HOLD_MS} ms hold)")
    return problems


def margin_ink(path, width=2):
    """Share of the outermost `width` pixels that differ from the border's own background."""
    x = np.asarray(Image.open(path).convert("RGB")).astype(int)
    edge = np.concatenate([x[:width].reshape(-1, 3), x[-width:].reshape(-1, 3),
                           x[:, :width].reshape(-1, 3), x[:, -width:].reshape(-1, 3)])
    return float((np.abs(edge - np.median(edge, 0)).sum(1) > 60).mean())


@pytest.mark.parametrize("path", GIFS, ids=lambda p: os.path.basename(p))
def test_committed_gif_is_true_colour_small_and_holds_its_end(path):
    assert gif_problems(path) == []


@pytest.mark.parametrize("path", PNGS, ids=lambda p: os.path.relpath(p, REPO))
def test_committed_png_has_a_clear_margin(path):
    assert margin_ink(path) <= 0.002, "something is drawn up to the edge (cut off?)"


def test_a_gif_written_the_old_way_is_caught(tmp_path):
    """Quantizing matplotlib's RGBA frame directly gives an RGBA palette written as RGB."""
    a = np.zeros((40, 60, 4), np.uint8)
    a[..., 3] = 255
    a[:20, :, 0] = 255
    a[20:, :30, 1] = 200
    b = a.copy()
    b[:20, :, 2] = 255                             # a second, different frame
    frames = [Image.fromarray(x).convert("P", palette=Image.ADAPTIVE, colors=64) for x in (a, b)]
    old = str(tmp_path / "old.gif")
    frames[0].save(old, save_all=True, append_images=frames[1:], duration=100)
    problems = gif_problems(old)
    assert any("RGBA palette" in p for p in problems)
    assert any("hold" in p for p in problems)


def test_a_cut_off_title_is_caught(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    fig.suptitle("a title far too long for this small figure to hold it", fontsize=14)
    cut, whole = str(tmp_path / "cut.png"), str(tmp_path / "whole.png")
    fig.savefig(cut, dpi=60)
    fig.savefig(whole, dpi=60, bbox_inches="tight")
    plt.close(fig)
    assert margin_ink(cut) > 0.002 and margin_ink(whole) <= 0.002
