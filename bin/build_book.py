#!/usr/bin/env python3
"""Stitch the catalog into an mdBook source tree (book/src), grouped by era.

    python3 bin/build_book.py && mdbook build      # site in book/site/

The tree mirrors the repository: the top-level pages at its root (README.md
becomes index.md), each stub's README as <slug>/index.md next to its GIF,
viz/ PNGs, sources and run records; a PNG of viz/ that the README does not
embed is shown at the end of its Visualizations section. Every relative link or image in a page is
followed: a link to a stub folder or its README is pointed at the stub's page,
a link to any other file of the repository copies that file into the tree.
SUMMARY.md comes from bin/catalog.py (summary_lines). Exit 1 if a link or
image points at nothing.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog  # noqa: E402

TOP_PAGES = ["README.md", "RESULTS.md", "VISUAL_TOUR.md", "BUILD_NOTES.md", "CONTRIBUTING.md"]
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))|(<img[^>]*\bsrc=\")([^\"]+)(\")")


def page_name(relpath, stubs):
    """Book path of a repository markdown file."""
    if relpath == "README.md":
        return "index.md"
    head, tail = os.path.split(relpath)
    if head in stubs and tail == "README.md":
        return f"{head}/index.md"
    return relpath


def rewrite(text, src_rel, root, stubs, copies, broken):
    """Rewrite the links of one page (repository path src_rel)."""
    here = os.path.dirname(src_rel)
    book_here = os.path.dirname(page_name(src_rel, stubs))

    def fix(target):
        if re.match(r"^[a-z]+:|^#|^/", target):
            return target
        path, _, frag = target.partition("#")
        rel = os.path.normpath(os.path.join(here, path)) if path else src_rel
        if rel.startswith(".."):
            broken.append(f"{src_rel}: {target} leaves the repository")
            return target
        full = os.path.join(root, rel)
        if os.path.isdir(full) and rel in stubs:
            rel = f"{rel}/README.md"
            full = os.path.join(root, rel)
        if not os.path.exists(full):
            broken.append(f"{src_rel}: {target} does not exist")
            return target
        if rel.endswith(".md"):
            dest = page_name(rel, stubs)
        else:
            dest = rel
            copies.add(rel)
        new = os.path.relpath(dest, book_here or ".")
        return new + ("#" + frag if frag else "")

    def sub(m):
        if m.group(1):
            return m.group(1) + fix(m.group(2)) + m.group(3)
        return m.group(4) + fix(m.group(5)) + m.group(6)

    out, in_code = [], False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        out.append(line if in_code else LINK.sub(sub, line))
    return "".join(out)


def show_all_figures(text, stub_dir):
    """A stub page shows every viz/ PNG: those its README does not embed are
    added at the end of its Visualizations section."""
    vd = os.path.join(stub_dir, "viz")
    pngs = sorted(f for f in os.listdir(vd) if f.endswith(".png")) if os.path.isdir(vd) else []
    shown = set(re.findall(r"!\[[^\]]*\]\((?:\./)?viz/([^)\s]+)\)", text))
    shown |= set(re.findall(r"<img[^>]*src=\"(?:\./)?viz/([^\"]+)\"", text))
    extra = [f for f in pngs if f not in shown]
    if not extra:
        return text
    block = "\n".join(f"![viz/{f}](viz/{f})\n" for f in extra)
    marker = "\n## Deviations from the original"
    if marker in text:
        return text.replace(marker, "\n" + block + marker, 1)
    return text + "\n" + block


def build(root, dest):
    stubs = catalog.find_stubs(root)
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    pages = [p for p in TOP_PAGES if os.path.isfile(os.path.join(root, p))]
    pages += [f"{s}/README.md" for s, _ in catalog.good_stubs(root)]
    copies, broken = set(), []
    for rel in pages:
        text = open(os.path.join(root, rel)).read()
        if rel.endswith("/README.md") and rel.split("/")[0] in stubs:
            text = show_all_figures(text, os.path.join(root, os.path.dirname(rel)))
        out = os.path.join(dest, page_name(rel, stubs))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as fh:
            fh.write(rewrite(text, rel, root, stubs, copies, broken))
    for slug, _ in catalog.good_stubs(root):  # each stub's figures, even if unlinked
        for sub in ("viz",):
            d = os.path.join(root, slug, sub)
            if os.path.isdir(d):
                copies.update(f"{slug}/{sub}/{f}" for f in os.listdir(d) if f.endswith(".png"))
        copies.add(f"{slug}/{catalog.slug_module(slug)}.gif")
    for rel in sorted(copies):
        src = os.path.join(root, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)) or dest, exist_ok=True)
            shutil.copy(src, os.path.join(dest, rel))
        elif os.path.isdir(src):
            broken.append(f"link to folder {rel} (link a file instead)")
    with open(os.path.join(dest, "SUMMARY.md"), "w") as fh:
        fh.write("\n".join(catalog.summary_lines(root)) + "\n")
    return pages, broken


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root_default = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--root", default=root_default, help="repository root")
    ap.add_argument("--out", default=None, help="source tree to write (default: ROOT/book/src)")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    dest = os.path.abspath(args.out or os.path.join(root, "book", "src"))
    pages, broken = build(root, dest)
    for b in broken:
        print("broken:", b)
    print(f"book source: {len(pages)} pages in {dest}, {len(broken)} broken link(s)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
