#!/usr/bin/env python3
"""Check the built book as a reader's browser sees it.

    python3 bin/build_book.py && mdbook build && python3 bin/check_site.py
    python3 bin/check_site.py --screenshot book/stub.png --page nbb-xor/index.html

Serves book/site on 127.0.0.1 (an ephemeral port), loads every page in
headless Chromium, and reads back the DOM Chromium rendered. A page fails if
an image it shows was not fetched by the browser with status 200, or if an
internal link it holds does not resolve to a file of the site. Exit 0 when
all pages pass, 1 on any broken image or link, 3 when Chromium is absent.
"""
from __future__ import annotations

import argparse
import functools
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


def attrs(dom, tag, attr):
    return re.findall(rf"<{tag}\b[^>]*?\b{attr}=\"([^\"]*)\"", dom)


def check_page(exe, base, site, page, log):
    """Problems found on one page (list of strings)."""
    url = f"{base}/{page}"
    dom = chromium(exe, ["--dump-dom"], url)
    if "<body" not in dom:
        return [f"{page}: Chromium returned no document"]
    problems = []
    page_dir = os.path.dirname(page)
    for src in attrs(dom, "img", "src"):
        if re.match(r"^(data|https?):", src):
            continue
        path = "/" + os.path.normpath(os.path.join(page_dir, urllib.parse.unquote(src.split("#")[0]))).lstrip("/")
        code = log.status.get(path)
        if code != 200:
            problems.append(f"{page}: image {src} -> {code or 'never fetched'}")
    for href in attrs(dom, "a", "href"):
        if re.match(r"^([a-z]+:|#|//)", href):
            continue
        target = urllib.parse.unquote(href.split("#")[0].split("?")[0])
        if not target:
            continue
        full = os.path.normpath(os.path.join(site, page_dir, target))
        if os.path.isdir(full):
            full = os.path.join(full, "index.html")
        if not os.path.isfile(full):
            problems.append(f"{page}: link {href} -> missing")
    return problems


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", default=os.path.join(root, "book", "site"),
                    help="built site (default: book/site)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="pages loaded at once")
    ap.add_argument("--screenshot", default=None,
                    help="also save a PNG screenshot of --page here")
    ap.add_argument("--page", default="index.html", help="page for --screenshot")
    args = ap.parse_args(argv)
    exe = find_chromium()
    if exe is None:
        print("check_site: Chromium not found (Debian: apt-get install chromium)")
        return 3
    site = os.path.abspath(args.site)
    if not os.path.isfile(os.path.join(site, "index.html")):
        print(f"check_site: no built site in {site} (run: python3 bin/build_book.py && mdbook build)")
        return 1
    pages = sorted(os.path.relpath(os.path.join(d, f), site)
                   for d, _, fs in os.walk(site) for f in fs
                   if f.endswith(".html") and f not in SKIP_PAGES)
    log = Log()
    httpd = serve(site, log)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            found = list(ex.map(lambda p: check_page(exe, base, site, p, log), pages))
        if args.screenshot:
            chromium(exe, ["--window-size=1280,2000", f"--screenshot={os.path.abspath(args.screenshot)}"],
                     f"{base}/{args.page}")
    finally:
        httpd.shutdown()
    problems = [p for f in found for p in f]
    images = sum(1 for p, c in log.status.items() if c == 200 and re.search(r"\.(png|gif|svg|jpg)$", p))
    for p in problems:
        print(p)
    print(f"site check: {len(pages)} pages loaded in Chromium, {images} images served, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
