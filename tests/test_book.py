"""The book builder and the browser check of the built site."""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_stub  # noqa: E402

REPO = toy_stub.REPO
sys.path.insert(0, os.path.join(REPO, "bin"))
import build_book  # noqa: E402
import catalog  # noqa: E402


def _links(md):
    return re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", md)


def test_book_of_this_repo_has_every_stub_and_no_broken_link(tmp_path):
    out = str(tmp_path / "src")
    pages, broken = build_book.build(REPO, out)
    assert broken == []
    summary = open(os.path.join(out, "SUMMARY.md")).read()
    for slug, _ in catalog.good_stubs(REPO):
        assert f"({slug}/index.md)" in summary
        page = open(os.path.join(out, slug, "index.md")).read()
        assert f"{catalog.slug_module(slug)}.gif" in page
        for png in os.listdir(os.path.join(REPO, slug, "viz")):
            if png.endswith(".png"):
                assert re.search(rf"!\[[^\]]*\]\((\./)?viz/{re.escape(png)}\)", page), (slug, png)
    for dirpath, _, files in os.walk(out):
        for f in files:
            if not f.endswith(".md"):
                continue
            text = open(os.path.join(dirpath, f)).read()
            for target in _links(text):
                if re.match(r"^[a-z]+:|^#", target):
                    continue
                assert os.path.exists(os.path.join(dirpath, target.split("#")[0])), (f, target)


def test_book_builder_groups_by_era_and_flags_a_broken_image(tmp_path):
    root = str(tmp_path / "repo")
    os.makedirs(root)
    d = toy_stub.make_repo(root)
    pages, broken = build_book.build(root, str(tmp_path / "src"))
    assert broken == [] and "toy-stub/README.md" in pages
    summary = open(str(tmp_path / "src" / "SUMMARY.md")).read()
    assert "# The 1980s" in summary and "(toy-stub/index.md)" in summary
    os.remove(os.path.join(d, "viz", "hist.png"))
    _, broken = build_book.build(root, str(tmp_path / "src"))
    assert any("viz/hist.png" in b for b in broken)


@pytest.mark.browser
def test_site_loads_in_chromium_and_a_missing_image_is_caught(tmp_path):
    sys.path.insert(0, os.path.join(REPO, "bin"))
    import check_site
    if check_site.find_chromium() is None or shutil.which("mdbook") is None:
        pytest.skip("needs chromium and mdbook")
    root = str(tmp_path / "repo")
    os.makedirs(root)
    d = toy_stub.make_repo(root)
    shutil.copy(os.path.join(REPO, "book.toml"), root)
    assert build_book.main(["--root", root]) == 0
    subprocess.run(["mdbook", "build", root], check=True, capture_output=True)
    site = os.path.join(root, "book", "site")
    assert check_site.main(["--site", site]) == 0
    assert os.path.isfile(os.path.join(root, "book", "screenshots", "toy-stub__index.png"))
    png = os.path.join(site, "toy-stub", "viz", "hist.png")
    with open(png, "wb") as fh:          # served with status 200, but not an image
        fh.write(b"not a png")
    assert check_site.main(["--site", site, "--no-screenshots"]) == 1
    os.remove(png)
    assert check_site.main(["--site", site, "--no-screenshots"]) == 1


def test_figures_follow_the_readme_order_with_captions(tmp_path):
    d = tmp_path / "stub"
    (d / "viz").mkdir(parents=True)
    for f in ("a.png", "b.png", "c.png", "d.png", "zz_extra.png"):
        (d / "viz" / f).write_bytes(b"")
    readme = ("# s: t\n\n## Visualizations\n\n- `viz/c.png`: the third figure,\n"
              "  continued here.\n- `viz/a.png` \u2014 first listed\n\n"
              "![a](viz/b.png)\n\n**Bold.** The caption of b.\n\n"
              "| figure | what |\n|---|---|\n| `viz/d.png` | table caption |\n\n"
              "## Deviations from the original\n\nNone.\n")
    page = build_book.place_figures(readme, str(d), "s")
    order = re.findall(r"\]\(viz/([\w.]+)\)", page)
    assert order == ["c.png", "a.png", "b.png", "d.png", "zz_extra.png"]
    assert "**Figure 1.** The third figure, continued here." in page
    assert "**Figure 3.** **Bold.** The caption of b." in page
    assert "**Figure 4.** Table caption." in page
    assert page.index("### More figures") < page.index("zz_extra.png") < page.index("## Deviations")
    for alt, name in re.findall(r"!\[([^\]]*)\]\(viz/([\w.]+)\)", page):
        stem = os.path.splitext(name)[0]
        assert alt.strip() and alt not in (name, stem, stem.replace("_", " "), "a")
    assert "| figure | what |" not in page


def test_maths_reaches_mathjax_and_code_is_left_alone():
    md = ("Inline $a_1 + \\alpha^*$ and \\(x_t\\), display $$\\sum_i w_i$$ and \\[y\\].\n"
          "Costs $5 and $10 stay. `$not_math$` neither.\n\n```\n$x_1$\n```\n")
    out = build_book.math_delimiters(md)
    assert "\\\\(a\\_1 + \\\\alpha^\\*\\\\)" in out and "\\\\(x\\_t\\\\)" in out
    assert "\\\\[\\\\sum\\_i w\\_i\\\\]" in out and "\\\\[y\\\\]" in out
    assert "Costs $5 and $10 stay. `$not_math$` neither." in out
    assert "```\n$x_1$\n```" in out


def test_stub_page_has_result_card_and_source_pages(tmp_path):
    root = str(tmp_path / "repo")
    os.makedirs(root)
    toy_stub.make_repo(root)
    out = tmp_path / "src"
    _, broken = build_book.build(root, str(out))
    assert broken == []
    page = (out / "toy-stub" / "index.md").read_text()
    card = page.split('<div class="result-card">', 1)[1].split("</div>", 1)[0]
    rec = json.load(open(os.path.join(root, "toy-stub", "results.json")))
    assert rec["command"] in card and "reproduces:" in card and "runtime" in card
    assert "(toy_stub.py.md)" in card
    src = (out / "toy-stub" / "toy_stub.py.md").read_text()
    assert re.search(r"^`{3,}python\n", src, re.M) and "def " in src
    summary = (out / "SUMMARY.md").read_text()
    assert "  - [toy_stub.py](toy-stub/toy_stub.py.md)" in summary
    index = (out / "index.md").read_text()
    assert 'class="gallery"' in index and 'href="toy-stub/index.html"' in index


def test_blank_outline_entries_and_corrupt_gif_palettes_are_caught(tmp_path):
    import check_site
    dom = check_site.Dom()
    dom.feed('<h2 id="a"><a class="header" href="#a">Fine</a></h2>'
             '<h3 id="b"><a class="header" href="#b"></a><a href="b/">b</a></h3>'
             '<a href="#b" class="header-in-summary"></a><h4 id="c"></h4>'
             '<a href="x.html"><img src="x.gif"></a>')
    blanks = check_site.blank_entries(dom)
    assert len(blanks) == 3 and any("blank heading <h4" in b for b in blanks)
    from PIL import Image
    import numpy as np
    good = str(tmp_path / "good.gif")
    frames = [Image.fromarray((np.arange(64).reshape(8, 8) * k % 256).astype(np.uint8))
              for k in (1, 3)]
    frames[0].save(good, save_all=True, append_images=frames[1:])
    assert check_site.corrupt_gif_frames(good) == []
    data = bytearray(open(good, "rb").read())
    assert data[10] & 0x80                       # global colour table right after the header
    rgba = bytes(v for i in range(32) for v in (i * 8, i * 8, i * 8, 255))
    data[13:13 + len(rgba)] = rgba               # an RGBA palette written as RGB
    bad = str(tmp_path / "bad.gif")
    open(bad, "wb").write(bytes(data))
    assert check_site.corrupt_gif_frames(bad) != []


@pytest.mark.browser
def test_site_check_catches_a_heading_written_as_a_link(tmp_path):
    import check_site
    if check_site.find_chromium() is None or shutil.which("mdbook") is None:
        pytest.skip("needs chromium and mdbook")
    root = str(tmp_path / "repo")
    os.makedirs(root)
    d = toy_stub.make_repo(root)
    shutil.copy(os.path.join(REPO, "book.toml"), root)
    p = os.path.join(d, "README.md")
    text = open(p).read().replace("## Open questions", "### [toy_stub.py](toy_stub.py)\n\n"
                                  "## Open questions")
    open(p, "w").write(text)
    assert build_book.main(["--root", root]) == 0
    subprocess.run(["mdbook", "build", root], check=True, capture_output=True)
    site = os.path.join(root, "book", "site")
    assert check_site.main(["--site", site, "--no-screenshots"]) == 1


def test_results_block_on_the_site_has_no_issue_numbers():
    text = ("# t\n<!-- results:begin -->\n| a | b |\n|---|---|\n\nReproduces rule: yes if x "
            "(issue #4 targets).\nCommand: `x`  \n<!-- results:end -->\nissue #2 in prose\n")
    out = build_book.plain_results(text)
    assert "Reproduces rule: yes if x (targets)." in out and "| a | b |" in out
    assert "Command: `x`  \n" in out and out.endswith("issue #2 in prose\n")
