#!/usr/bin/env python3
"""Check the built book as a reader's browser sees it.

    python3 bin/build_book.py && mdbook build && python3 bin/check_site.py
    python3 bin/check_site.py --no-screenshots          # faster, checks only
    python3 bin/check_site.py --pages 'nbb-xor/*'       # some pages only (GIFs: all)

Serves book/site on 127.0.0.1 (an ephemeral port), loads every page in
headless Chromium, and reads back the DOM Chromium rendered. A page fails if
- an image it shows was not fetched with status 200, or did not decode
  (naturalWidth 0, measured in the page by a script the server injects);
- an internal link it holds does not resolve to a file of the site;
- a heading, an entry of its outline or of the sidebar has no text (for
  example a heading written as a link, `### [slug](slug/)`, renders as a
  blank outline entry in mdBook).
Every GIF of the site is also read with the GIF format's own structure: a
frame whose colour table looks like an RGBA palette stored as RGB (every 4th
byte of the first 96 at 254 or 255 in more than 40% of cases) shows as
garbled colours in a browser and fails the check.

A screenshot of every page is saved to book/screenshots/ (git-ignored) for a
person to look at. Exit 0 when all pages pass, 1 on any problem, 3 when
Chromium is absent.
"""
from __future__ import annotations

import argparse
import fnmatch
import functools
import html.parser
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=4000"]
SKIP_PAGES = {"print.html", "404.html", "toc.html"}
WINDOW = "1280,2400"
# Injected into every HTML page served: records what each image decoded to.
PROBE = b"""<script>
(function () {
  function mark() {
    document.querySelectorAll('img').forEach(function (im) {
      im.setAttribute('data-check-width', im.complete ? im.naturalWidth : -1);
    });
    document.body.setAttribute('data-check-done', '1');
  }
  window.addEventListener('load', mark);
  setTimeout(mark, 3000);
})();
</script>"""


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Log:
    def __init__(self):
        self.lock, self.status = threading.Lock(), {}

    def add(self, path, code):
        with self.lock:
            self.status[path] = code


def serve(site, log):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            full = os.path.join(site, path.lstrip("/"))
            if os.path.isdir(full):
                full = os.path.join(full, "index.html")
            if not full.endswith(".html") or not os.path.isfile(full):
                return super().do_GET()
            body = open(full, "rb").read()
            i = body.rfind(b"</body>")
            body = body[:i] + PROBE + body[i:] if i >= 0 else body + PROBE
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_request(self, code="-", size="-"):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            log.add(path, int(code) if str(code).isdigit() else code)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=site))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def chromium(exe, args, url):
    with tempfile.TemporaryDirectory() as prof:
        r = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={prof}", *args, url],
                           capture_output=True, text=True, timeout=120)
    return r.stdout


class Dom(html.parser.HTMLParser):
    """What the check needs from a rendered page: images, links with their
    text, headings with their text."""
    HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images, self.links, self.headings = [], [], []
        self.open = []      # [tag, attrs, text pieces] of open <a> and <hN>

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
            for el in self.open:     # an image is content: a linked thumbnail is not blank
                el[2].append("[img]")
        elif tag == "a" or tag in self.HEADINGS:
            self.open.append([tag, a, []])

    def handle_endtag(self, tag):
        for k in range(len(self.open) - 1, -1, -1):
            if self.open[k][0] == tag:
                t, a, text = self.open.pop(k)
                text = "".join(text).strip()
                (self.links if t == "a" else self.headings).append((a, text) if t == "a"
                                                                   else (t, a, text))
                break

    def handle_data(self, data):
        for el in self.open:
            el[2].append(data)


def blank_entries(dom):
    """Headings, outline entries and sidebar links that show no text."""
    out = []
    for tag, a, text in dom.headings:
        if not text:
            out.append(f"blank heading <{tag} id={a.get('id')!r}>")
    for a, text in dom.links:
        cls = a.get("class") or ""
        if text or "fold-toggle" in cls:
            continue
        if re.search(r"\bheader\b|header-in-summary", cls):
            out.append(f"blank outline entry (link {a.get('href')!r}): a heading whose text "
                       "is a link; write the heading as text and put the link below it")
        elif a.get("href") and not a["href"].startswith("#") and "icon" not in cls \
                and not a.get("aria-label") and not a.get("title"):
            out.append(f"link with no text: {a['href']!r}")
    return out


def gif_palettes(data):
    """[(frame, colour table bytes)] of a GIF: each image's local table, else the global one."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF")
    packed, pos, gct, out = data[10], 13, b"", []
    if packed & 0x80:
        n = 3 * 2 ** ((packed & 7) + 1)
        gct, pos = data[pos:pos + n], pos + n
    while pos < len(data) and data[pos] != 0x3B:
        if data[pos] == 0x21:            # extension: label, then sub-blocks
            pos += 2
        elif data[pos] == 0x2C:          # image: descriptor, local table, LZW size, sub-blocks
            packed, pos, table = data[pos + 9], pos + 10, gct
            if packed & 0x80:
                n = 3 * 2 ** ((packed & 7) + 1)
                table, pos = data[pos:pos + n], pos + n
            out.append((len(out), table))
            pos += 1
        else:
            raise ValueError(f"unexpected block 0x{data[pos]:02x} at byte {pos}")
        while pos < len(data) and data[pos]:
            pos += data[pos] + 1
        pos += 1
    return out


def corrupt_gif_frames(path):
    """Frames whose colour table is an RGBA palette stored as RGB (garbled colours)."""
    try:
        tables = gif_palettes(open(path, "rb").read())
    except (ValueError, IndexError) as e:
        return [f"unreadable GIF ({e})"]
    bad = []
    for k, table in tables:
        fourth = table[:96][3::4]
        if len(fourth) >= 2 and sum(b >= 254 for b in fourth) > 0.4 * len(fourth):
            bad.append(k)
    return bad


def check_gifs(site):
    problems = []
    for d, _, fs in os.walk(site):
        for f in sorted(fs):
            if f.endswith(".gif"):
                p = os.path.join(d, f)
                bad = corrupt_gif_frames(p)
                if bad:
                    rel = os.path.relpath(p, site)
                    problems.append(f"{rel}: {len(bad)} frame(s) with an RGBA palette stored as "
                                    f"RGB (garbled colours), first frame {bad[0]}")
    return problems


def check_page(exe, base, site, page, log, shots=None):
    """Problems found on one page (list of strings)."""
    url = f"{base}/{page}"
    dom_text = chromium(exe, ["--dump-dom", f"--window-size={WINDOW}"], url)
    if "<body" not in dom_text:
        return [f"{page}: Chromium returned no document"]
    if shots:
        out = os.path.join(shots, page.replace("/", "__").replace(".html", ".png"))
        chromium(exe, [f"--window-size={WINDOW}", f"--screenshot={out}"], url)
    dom = Dom()
    dom.feed(dom_text)
    problems = [f"{page}: {b}" for b in blank_entries(dom)]
    page_dir = os.path.dirname(page)
    probed = "data-check-done" in dom_text
    for img in dom.images:
        src = img.get("src") or ""
        if re.match(r"^(data|https?):", src):
            continue
        rel = urllib.parse.unquote(src.split("#")[0])
        path = "/" + os.path.normpath(os.path.join(page_dir, rel)).lstrip("/")
        code = log.status.get(path)
        if code != 200:
            problems.append(f"{page}: image {src} -> {code or 'never fetched'}")
        elif probed and str(img.get("data-check-width", "0")) in ("0", "-1"):
            problems.append(f"{page}: image {src} was fetched but does not decode "
                            "(naturalWidth 0)")
    if not probed:
        problems.append(f"{page}: the page did not finish loading (image probe never ran)")
    for a, _ in dom.links:
        href = a.get("href") or ""
        if not href or re.match(r"^([a-z]+:|#|//)", href):
            continue
        target = urllib.parse.unquote(href.split("#")[0].split("?")[0])
        if not target:
            continue
        full = os.path.normpath(os.path.join(site, page_dir, target))
        if os.path.isdir(full):
            full = os.path.join(full, "index.html")
        if not os.path.isfile(full):
            problems.append(f"{page}: link {href} -> missing")
    return list(dict.fromkeys(problems))   # mdBook shows each image twice (click to zoom)


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", default=os.path.join(root, "book", "site"),
                    help="built site (default: book/site)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="pages loaded at once")
    ap.add_argument("--screenshots", default=None,
                    help="folder for one PNG per page (default: book/screenshots next to "
                         "the site)")
    ap.add_argument("--no-screenshots", action="store_true", help="check only")
    ap.add_argument("--pages", default="*", help="only pages matching this glob (e.g. 'bars/*')")
    args = ap.parse_args(argv)
    exe = find_chromium()
    if exe is None:
        print("check_site: Chromium not found (Debian: apt-get install chromium)")
        return 3
    site = os.path.abspath(args.site)
    if not os.path.isfile(os.path.join(site, "index.html")):
        print(f"check_site: no built site in {site} "
              "(run: python3 bin/build_book.py && mdbook build)")
        return 1
    shots = None
    if not args.no_screenshots:
        shots = os.path.abspath(args.screenshots or os.path.join(os.path.dirname(site),
                                                                 "screenshots"))
        shutil.rmtree(shots, ignore_errors=True)
        os.makedirs(shots)
    pages = sorted(os.path.relpath(os.path.join(d, f), site)
                   for d, _, fs in os.walk(site) for f in fs
                   if f.endswith(".html") and f not in SKIP_PAGES)
    pages = [p for p in pages if fnmatch.fnmatch(p, args.pages)]
    log = Log()
    httpd = serve(site, log)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            found = list(ex.map(lambda p: check_page(exe, base, site, p, log, shots), pages))
    finally:
        httpd.shutdown()
    problems = [p for f in found for p in f] + check_gifs(site)
    images = sum(1 for p, c in log.status.items()
                 if c == 200 and re.search(r"\.(png|gif|svg|jpg)$", p))
    for p in problems:
        print(p)
    print(f"site check: {len(pages)} pages loaded in Chromium, {images} images served, "
          f"{len(problems)} problem(s)" + (f"; screenshots in {shots}" if shots else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
