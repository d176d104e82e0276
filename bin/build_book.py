#!/usr/bin/env python3
"""Stitch the catalog into an mdBook source tree (book/src), grouped by era.

    python3 bin/build_book.py && mdbook build      # site in book/site/

The tree mirrors the repository: the top-level pages at its root (README.md
becomes index.md, with a gallery of every stub's GIF), each stub's README as
<slug>/index.md next to its GIF, viz/ PNGs and run records. A stub page gets:

- a result card under its title (paper against ours, verdict, seeds, runs,
  runtime, the headline command, links to the source pages), from the run
  record, with the wording of bin/catalog.py;
- its figures where its README lists them (`![alt](viz/x.png)` followed by a
  paragraph, a list item or table row naming `viz/x.png` followed by text),
  in the README's order, each as a numbered figure with that text as its
  caption; a PNG of viz/ the README does not show is added under "More
  figures" at the end of the Visualizations section;
- one syntax-highlighted page per Python file of the stub (nested under the
  stub in the sidebar); a link to such a file goes to its page.

TeX between $...$, $$...$$, \\(...\\) or \\[...\\] is handed to MathJax
(book.toml: mathjax-support) with the delimiters mdBook expects. Every
relative link or image is followed: a link to a stub folder or README goes
to the stub's page, a link to any other file of the repository copies that
file into the tree. SUMMARY.md comes from bin/catalog.py (summary_lines).
Exit 1 if a link or image points at nothing.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog  # noqa: E402

TOP_PAGES = ["README.md", "RESULTS.md", "VISUAL_TOUR.md", "dmd/README.md", "BUILD_NOTES.md",
             "CONTRIBUTING.md"]
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))|(<img[^>]*\bsrc=\")([^\"]+)(\")")
CSS_NAME = "catalog.css"  # book.toml: additional-css = ["book/src/catalog.css"]
CSS = """
:root { --content-max-width: 980px; }
.result-card { border: 1px solid var(--table-border-color, #ccc); border-radius: 6px;
  padding: 0.2em 1.2em 0.6em; margin: 1em 0 1.5em; background: var(--table-alternate-bg, #f6f6f6); }
.result-card table { margin: 0.5em 0; }
.result-card td:nth-child(n+2), .result-card th:nth-child(n+2) { white-space: nowrap; }
.result-card p { margin: 0.5em 0; }
.verdict { font-weight: bold; padding: 0.1em 0.5em; border-radius: 4px; color: #fff; }
.verdict-yes { background: #007a5a; } .verdict-partial { background: #a86b00; }
.verdict-no { background: #b34700; }
figure.catalog-figure { margin: 1.2em 0 1.8em; }
figure.catalog-figure img { max-width: 100%; }
figure.catalog-figure figcaption { font-size: 0.92em; opacity: 0.9; }
figure.catalog-figure figcaption p { margin: 0.3em 0; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
  gap: 14px; margin: 1em 0 2em; }
.gallery a { display: block; text-align: center; text-decoration: none; font-size: 0.9em; }
.gallery img { width: 100%; height: 150px; object-fit: contain; background: #fff;
  border: 1px solid var(--table-border-color, #ccc); border-radius: 4px; }
.gallery span { display: block; margin-top: 0.2em; }
"""

# ---------------------------------------------------------------- pages and links


def page_name(relpath, stubs, extra=None):
    """Book path of a repository file that becomes a page (None: copied as is)."""
    if extra and relpath in extra:
        return extra[relpath]
    if relpath == "README.md":
        return "index.md"
    head, tail = os.path.split(relpath)
    if head and tail == "README.md":          # a stub's or a tool's folder page (dmd/)
        return f"{head}/index.md"
    return relpath if relpath.endswith(".md") else None


def rewrite(text, src_rel, root, stubs, copies, broken, extra=None):
    """Rewrite the links of one page (repository path src_rel)."""
    here = os.path.dirname(src_rel)
    book_here = os.path.dirname(page_name(src_rel, stubs, extra) or src_rel)

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
        dest = page_name(rel, stubs, extra)
        if dest is None:
            dest = rel
            copies.add(rel)
        new = os.path.relpath(dest, book_here or ".")
        return new + ("#" + frag if frag else "")

    def sub(m):
        if m.group(1):
            return m.group(1) + fix(m.group(2)) + m.group(3)
        return m.group(4) + fix(m.group(5)) + m.group(6)

    return "".join(line if code else LINK.sub(sub, line) for line, code in _lines(text))


def _lines(text):
    """(line, inside a fenced code block?) for every line of a markdown text."""
    fence = None
    for line in text.splitlines(keepends=True):
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and m:
            fence = m.group(1)
            yield line, True
        elif fence is not None:
            if m and m.group(1).startswith(fence) and not line.strip()[len(m.group(1)):]:
                fence = None
            yield line, True
        else:
            yield line, False


# ---------------------------------------------------------------- maths

MATH = re.compile(r"(?P<code>(`+)(?:.|\n)*?(?<!`)\2(?!`))"
                  r"|\$\$(?P<dd>(?:[^$]|\n)+?)\$\$"
                  r"|\\\[(?P<sq>(?:.|\n)+?)\\\]"
                  r"|\\\((?P<rd>(?:.|\n)+?)\\\)"
                  r"|(?<![\\$\w])\$(?P<d>[^\s$](?:[^$\n]*?[^\s$\\])?)\$(?![\w$])")


def _tex(s):
    """TeX escaped so that markdown hands it to MathJax unchanged."""
    return re.sub(r"([\\_*\[\]<>`|])", r"\\\1", s)


def math_delimiters(text):
    """$...$ and \\(...\\) -> \\\\( \\\\) ; $$...$$ and \\[...\\] -> \\\\[ \\\\]
    (mdBook's MathJax delimiters), outside code. Never across a blank line."""
    def sub(m):
        if m.group("code"):
            return m.group(0)
        for key, (a, b) in (("dd", ("\\\\[", "\\\\]")), ("sq", ("\\\\[", "\\\\]")),
                            ("rd", ("\\\\(", "\\\\)")), ("d", ("\\\\(", "\\\\)"))):
            body = m.group(key)
            if body is not None:
                if re.search(r"\n\s*\n", body):
                    return m.group(0)
                return a + _tex(body) + b
        return m.group(0)

    out, prose = [], []
    for line, code in _lines(text):
        if code:
            out.append(MATH.sub(sub, "".join(prose)))
            prose = []
            out.append(line)
        else:
            prose.append(line)
    out.append(MATH.sub(sub, "".join(prose)))
    return "".join(out)


# ---------------------------------------------------------------- figures

REF = (r"(?:\*\*)?(?:`(?:\./)?viz/(?P<a>[\w.-]+\.png)`|!?\[[^\]]*\]\((?:\./)?viz/(?P<b>[\w.-]+"
       r"\.png)\)|(?:\./)?viz/(?P<c>[\w.-]+\.png))(?:\*\*)?")
BULLET = re.compile(r"^\s*[-*+]\s+" + REF + r"\s*[:\u2014\u2013-]*\s*(?P<rest>.*)$")
ROW = re.compile(r"^\s*\|\s*" + REF + r"\s*\|(?P<rest>.*)$")
IMAGE = re.compile(r"^\s*!\[(?P<alt>[^\]]*)\]\((?:\./)?viz/(?P<name>[\w.-]+\.png)\)"
                   r"\s*(?P<rest>.*)$")


def _ref_name(m):
    return m.group("a") or m.group("b") or m.group("c")


def plain_text(md):
    """Markdown to one line of plain text (for alt text)."""
    t = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", md)
    t = re.sub(r"[`*_]|<[^>]+>", "", t)
    t = re.sub(r"\s+", " ", t).strip()
    return t.replace("[", "(").replace("]", ")")


def words_of(name):
    return os.path.splitext(name)[0].replace("_", " ").replace("-", " ")


def figure_md(number, name, caption, alt):
    """One numbered figure: the image and its caption (markdown inside HTML)."""
    alt = plain_text(alt or caption)
    first = re.split(r"(?<=[.!?])\s", alt, maxsplit=1)[0]
    alt = textwrap.shorten(first if len(first) > 20 else alt, 160, placeholder=" ...")
    alt = alt or words_of(name)
    caption = caption.strip()
    caption = caption[:1].upper() + caption[1:] if caption[:1].islower() else caption
    caption += "" if caption.endswith((".", "!", "?", ")", ":")) else "."
    if alt.lower() in (name.lower(), words_of(name).lower(), os.path.splitext(name)[0].lower()):
        alt = f"Figure {number}: {words_of(name)}"
    return (f'<figure class="catalog-figure" id="figure-{number}">\n\n![{alt}](viz/{name})\n\n'
            f"<figcaption>\n\n**Figure {number}.** {caption}\n\n</figcaption>\n"
            "</figure>\n\n")


def _is_caption(block):
    """A paragraph that can serve as the caption of the image above it."""
    first = block.lstrip()
    return bool(first) and not re.match(r"^(#|!\[|\||[-*+]\s|\d+\.\s|<|```|~~~)", first)


def place_figures(text, stub_dir, slug):
    """The README's figures in its order, captioned; PNGs it does not show appended."""
    vd = os.path.join(stub_dir, "viz")
    pngs = sorted(f for f in os.listdir(vd) if f.endswith(".png")) if os.path.isdir(vd) else []
    lines = list(_lines(text))
    out, shown, section, i = [], [], "", 0

    def add(name, caption, alt=""):
        shown.append(name)
        out.append(figure_md(len(shown), name, caption, alt))

    while i < len(lines):
        line, code = lines[i]
        if code:
            out.append(line)
            i += 1
            continue
        if line.startswith("## "):
            section = line.strip()
            if section == "## Deviations from the original":
                extra = [f for f in pngs if f not in shown]
                if extra:
                    out.append("### More figures\n\n")
                    for f in extra:
                        add(f, f"{words_of(f).capitalize()} (`viz/{f}`).",
                            f"{slug}: {words_of(f)}")
        m = IMAGE.match(line)
        in_viz = section == "## Visualizations"
        if m:
            caption, j = m.group("rest"), i + 1
            if not caption:           # the paragraph after the image, if it is prose
                while j < len(lines) and not lines[j][0].strip() and not lines[j][1]:
                    j += 1
                para = []
                while j < len(lines) and lines[j][0].strip() and not lines[j][1]:
                    para.append(lines[j][0])
                    j += 1
                if para and _is_caption(para[0]):
                    caption = "".join(para)
                else:
                    caption, j = "", i + 1
            name = m.group("name")   # alt text: the caption's first sentence, else the README's
            add(name, caption or f"{words_of(name).capitalize()}.",
                "" if caption else m.group("alt"))
            i = j
            continue
        m = BULLET.match(line) if in_viz else None
        if m:
            caption, j = m.group("rest"), i + 1
            while (j < len(lines) and not lines[j][1] and lines[j][0].strip()
                   and re.match(r"^\s+\S", lines[j][0])
                   and not re.match(r"^\s*[-*+]\s", lines[j][0])):
                caption += " " + lines[j][0].strip()
                j += 1
            add(_ref_name(m), caption)
            i = j
            continue
        if in_viz and line.lstrip().startswith("|"):
            j = i
            while j < len(lines) and lines[j][0].lstrip().startswith("|") and not lines[j][1]:
                j += 1
            rows = [ln for ln, _ in lines[i:j]]
            body = rows[2:] if len(rows) > 2 and re.match(r"^\s*\|[\s:|-]+\|\s*$", rows[1]) else []
            ms = [ROW.match(r) for r in body]
            if body and all(ms):
                for m in ms:
                    cells = [c.strip() for c in m.group("rest").rstrip().rstrip("|").split("|")]
                    add(_ref_name(m), "; ".join(c for c in cells if c))
                i = j
                continue
            out += rows
            i = j
            continue
        out.append(line)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------- stub pages

def source_files(root, slug):
    """The stub's Python files, in reading order: main, experiments, visualiser,
    GIF maker, tests, then any other."""
    m = catalog.slug_module(slug)
    order = [f"{m}.py", f"experiments_{m}.py", f"visualize_{m}.py", f"make_{m}_gif.py",
             f"test_{m}.py"]
    d = os.path.join(root, slug)
    found = sorted(f for f in os.listdir(d) if f.endswith(".py"))
    return [f for f in order if f in found] + [f for f in found if f not in order]


def source_page(root, slug, fname):
    """A syntax-highlighted page of one source file."""
    code = open(os.path.join(root, slug, fname)).read().replace("{{#", "\\{{#")
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", code)), default=0))
    others = " · ".join(f"[{f}]({f}.md)" for f in source_files(root, slug) if f != fname)
    n = code.count("\n") + (not code.endswith("\n"))
    return (f"# {slug}/{fname}\n\n[Back to the {slug} page](index.md) · {n} lines · "
            f"other files: {others}\n\n{fence}python\n{code.rstrip()}\n{fence}\n")


def result_card(root, slug, rec):
    """Markdown of the card at the top of a stub page, from its headline record."""
    h = rec["headline"]
    v = h["reproduces"]
    paper = catalog.fmt(h["paper"]) if h.get("paper") is not None else "no number given"
    rows = [[f"**{catalog.headline_label(h)}**", paper, catalog.fmt_ours(h)]]
    if h.get("runs") is not None or h.get("paper_runs") is not None:
        rows.append(["runs", catalog.fmt(h.get("paper_runs")), catalog.fmt(h.get("runs"))])
    if h.get("earlier") is not None:
        rows.append(["an earlier numpy reproduction", "", catalog.fmt(h["earlier"])])
    cells = lambda r: "| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |"
    sources = " · ".join(f"[{f}]({f})" for f in source_files(root, slug))
    lines = ['<div class="result-card">', "",
             cells(["headline", "paper", "ours" + (" (± std over seeds)" if isinstance(
                 h.get("std"), (int, float)) else "")]), "|---|---|---|", *map(cells, rows), "",
             f'<span class="verdict verdict-{html.escape(v)}">reproduces: {html.escape(v)}'
             f"</span> {catalog.plain(h['summary'])}", ""]
    if h.get("rule"):
        lines += [f"**Rule**: {catalog.plain(h['rule']).rstrip('.')}.", ""]
    lines += [f"**Seeds**: {catalog.seeds_text(rec)} · **runtime** "
              f"{catalog.fmt_seconds(rec['wallclock_s'])} · **paper**: "
              f"{catalog.short_citation(rec['paper']['citation'])} ({rec['paper']['year']})", "",
              f"**Command**: `{rec['command']}`", "", f"**Source**: {sources}", "",
              "</div>", ""]
    return "\n".join(lines)


def link_files(text, files):
    """In the Files section, `name.py` (a source file with a page) becomes a link."""
    head, sep, rest = text.partition("\n## Files\n")
    if not sep:
        return text
    body, sep2, tail = rest.partition("\n## ")
    names = "|".join(re.escape(f) for f in files)
    body = re.sub(rf"(?<![\[/\w])`({names})`(?!\])", r"[`\1`](\1)", body)
    return head + sep + body + sep2 + tail


def plain_results(text):
    """The generated Results block without pointers into the issue tracker (the
    record's own words may hold some; the page must stand alone)."""
    if catalog.RESULTS_BEGIN not in text or catalog.RESULTS_END not in text:
        return text
    head, rest = text.split(catalog.RESULTS_BEGIN, 1)
    block, tail = rest.split(catalog.RESULTS_END, 1)
    block = "\n".join(catalog.plain(ln) + ("  " if ln.endswith("  ") else "")
                      if re.search(r"issue|(?<![\w&/])#\d", ln) else ln
                      for ln in block.split("\n"))
    return head + catalog.RESULTS_BEGIN + block + catalog.RESULTS_END + tail


def stub_page(root, slug, rec, text):
    """A stub README as its book page: card under the title, figures placed,
    source files linked to their pages."""
    text = plain_results(place_figures(text, os.path.join(root, slug), slug))
    text = link_files(text, source_files(root, slug))
    head, nl, rest = text.partition("\n")
    return head + nl + "\n" + result_card(root, slug, rec) + rest


# ---------------------------------------------------------------- front page

def gallery(root):
    """HTML grid of every stub's GIF, each linking to the stub's page."""
    out = ["## Gallery", "", '<div class="gallery">']
    for slug, rec in catalog.good_stubs(root):
        title = html.escape(catalog.title_of(root, slug), quote=True)
        gif = f"{slug}/{catalog.slug_module(slug)}.gif"
        out.append(f'<a href="{slug}/index.html" title="{title}"><img src="{gif}" '
                   f'alt="Animation of {title}"><span>{slug} '
                   f"({rec['paper']['year']}, {rec['headline']['reproduces']})</span></a>")
    return "\n".join(out + ["</div>", "", ""])


def front_page(root, text):
    """The catalog README with the gallery before its first section."""
    i = text.find("\n## ")
    return text + "\n" + gallery(root) if i < 0 else text[:i + 1] + gallery(root) + text[i + 1:]


# ---------------------------------------------------------------- build

def build(root, dest):
    stubs = catalog.find_stubs(root)
    good = dict(catalog.good_stubs(root))
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    sources = {slug: source_files(root, slug) for slug in good}
    extra = {f"{s}/{f}": f"{s}/{f}.md" for s, fs in sources.items() for f in fs}
    pages = [p for p in TOP_PAGES if os.path.isfile(os.path.join(root, p))]
    pages += [f"{s}/README.md" for s in good]
    copies, broken = set(), []
    for rel in pages:
        text = open(os.path.join(root, rel)).read()
        slug = rel.split("/")[0]
        if rel.endswith("/README.md") and slug in good:
            text = stub_page(root, slug, good[slug], text)
        elif rel == "README.md":
            text = front_page(root, text)
        out = os.path.join(dest, page_name(rel, stubs))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as fh:
            fh.write(math_delimiters(rewrite(text, rel, root, stubs, copies, broken, extra)))
    for rel, page in extra.items():
        slug, fname = rel.split("/", 1)
        with open(os.path.join(dest, page), "w") as fh:
            fh.write(source_page(root, slug, fname))
    for slug in good:  # each stub's figures and GIF, even if unlinked
        d = os.path.join(root, slug, "viz")
        if os.path.isdir(d):
            copies.update(f"{slug}/viz/{f}" for f in os.listdir(d) if f.endswith(".png"))
        copies.add(f"{slug}/{catalog.slug_module(slug)}.gif")
    for rel in sorted(copies):
        src = os.path.join(root, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)) or dest, exist_ok=True)
            shutil.copy(src, os.path.join(dest, rel))
        elif os.path.isdir(src):
            broken.append(f"link to folder {rel} (link a file instead)")
    with open(os.path.join(dest, CSS_NAME), "w") as fh:
        fh.write(CSS.lstrip())
    children = lambda slug: [(f, f"{slug}/{f}.md") for f in sources.get(slug, [])]
    with open(os.path.join(dest, "SUMMARY.md"), "w") as fh:
        fh.write("\n".join(catalog.summary_lines(root, children)) + "\n")
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
