"""The book builder and the browser check of the built site."""
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
    os.remove(os.path.join(site, "toy-stub", "viz", "hist.png"))
    assert check_site.main(["--site", site]) == 1
