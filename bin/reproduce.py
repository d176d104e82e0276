#!/usr/bin/env python3
"""Rerun stubs' recorded commands and compare the new metrics with the committed ones.

    python3 bin/reproduce.py                      # every stub's headline record, -j = cores
    python3 bin/reproduce.py nbb-xor flip-flop    # just these stubs
    python3 bin/reproduce.py --records all        # also every <slug>/runs/*.json
    python3 bin/reproduce.py -j 1 --timeout 900
    python3 bin/reproduce.py -j 1 --update        # refresh records whose metrics reproduced

Each command runs from the repository root exactly as its run record states,
except that its --results path is swapped for a scratch file, so nothing
committed is touched. Logs go to .reproduce/<slug>__<record>.log. The final
table lists, per record, how many metrics were compared, the largest relative
difference (timings, the metrics named *_s, are not compared), the tolerance
the record declares, and the new wallclock against
the recorded one. Each command gets the machine's cores divided by -j as its
BLAS thread count (OPENBLAS/OMP/MKL_NUM_THREADS, unless already set). Exit status 1 if any run fails or any metric differs by
more than its record's tolerance. With --update, a record whose rerun
reproduced is replaced by the rerun's record (same metrics, new wallclock and
environment): how timings are refreshed on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog  # noqa: E402


def leaves(x, prefix=""):
    """Flatten nested metrics into {dotted.key: scalar}."""
    out = {}
    if isinstance(x, dict):
        for k, v in x.items():
            out.update(leaves(v, f"{prefix}{k}."))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out.update(leaves(v, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = x
    return out


def is_timing(key):
    """Timings (metric names ending in _s, e.g. train_s, cpu_s, or lists of them
    named like train_s_per_seed) are reported, not compared."""
    return any(part.endswith("_s") or "_s_per_" in part
               for part in key.split(".") if not part.isdigit())


def compare(old, new, rel_tol):
    """(n compared, largest relative difference, list of mismatching keys)."""
    a, b = leaves(old), leaves(new)
    worst, bad = 0.0, []
    for k in sorted(set(a) | set(b)):
        if is_timing(k):
            continue
        if k not in a or k not in b:
            bad.append(k)
            continue
        x, y = a[k], b[k]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) \
                and not isinstance(x, bool) and not isinstance(y, bool):
            if math.isnan(x) and math.isnan(y):
                continue
            d = abs(x - y) / max(abs(x), abs(y), 1e-12)
            worst = max(worst, d)
            if d > rel_tol:
                bad.append(k)
        elif x != y:
            bad.append(k)
            worst = max(worst, 1.0)
    return len(set(a) | set(b)), worst, bad


def swap_results(command, path):
    argv = shlex.split(command)
    i = argv.index("--results")
    argv[i + 1] = path
    return argv


THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def run_one(root, slug, name, rec, logdir, timeout, update=False, threads=1):
    log = os.path.join(logdir, f"{slug}__{name}.log")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "record.json")
        argv = swap_results(rec["command"], out)
        if argv[0] in ("python3", "python"):
            argv[0] = sys.executable
        env = dict(os.environ)
        for var in THREAD_VARS:  # parallel jobs share the cores instead of oversubscribing them
            env.setdefault(var, str(threads))
        t0 = time.time()
        with open(log, "w") as fh:
            fh.write("$ " + " ".join(shlex.quote(a) for a in argv) + "\n")
            fh.flush()
            try:
                p = subprocess.run(argv, cwd=root, stdout=fh, stderr=subprocess.STDOUT,
                                   timeout=timeout, env=env)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        took = time.time() - t0
        if rc != 0 or not os.path.isfile(out):
            return dict(slug=slug, name=name, status=f"FAILED ({rc})", took=took,
                        rec=rec, n=0, worst=None, bad=[], log=log)
        new = json.load(open(out))
        raw = open(out).read()
    tol = float(rec.get("tolerance", {}).get("rel", 0.0))
    n, worst, bad = compare(rec["metrics"], new["metrics"], tol)
    if update and not bad:
        rel = f"{slug}/results.json" if name == "results" else f"{slug}/runs/{name}.json"
        with open(os.path.join(root, rel), "w") as fh:  # as if run with its own --results path
            fh.write(raw.replace(out, rel))
    return dict(slug=slug, name=name, status="ok" if not bad else "MISMATCH", took=took,
                rec=rec, n=n, worst=worst, bad=bad, log=log)


class Progress:
    """One status line: done/total, elapsed, and an ETA from the recorded wallclocks."""

    def __init__(self, jobs, workers):
        self.expected = {(s, n): float(r.get("wallclock_s", 60)) for s, n, r in jobs}
        self.total, self.workers = len(jobs), workers
        self.done, self.t0, self.lock = set(), time.time(), threading.Lock()
        self.tty = sys.stdout.isatty()
        self.last = 0.0

    def eta(self):
        left = sum(v for k, v in self.expected.items() if k not in self.done)
        return left / max(1, min(self.workers, self.total - len(self.done)) or 1)

    def show(self, final_line=None, force=False):
        with self.lock:
            now = time.time()
            if final_line:
                if self.tty:
                    print("\r\033[K", end="")
                print(final_line, flush=True)
            if not (force or final_line or now - self.last > 0.5):
                return
            self.last = now
            msg = (f"[{len(self.done)}/{self.total} done] elapsed {now - self.t0:.0f}s, "
                   f"about {self.eta():.0f}s left")
            if self.tty:
                print("\r\033[K" + msg, end="", flush=True)
            elif final_line:
                print(msg, flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("slugs", nargs="*", help="stubs to rerun (default: all)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="commands run at once (default: number of cores)")
    ap.add_argument("--records", choices=("headline", "all"), default="headline",
                    help="headline: results.json only; all: also runs/*.json")
    ap.add_argument("--update", action="store_true",
                    help="overwrite each record that reproduced with its rerun (new wallclock)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per command")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="repository root")
    args = ap.parse_args(argv)
    if args.jobs < 1 or args.timeout <= 0:
        print("reproduce: -j and --timeout must be positive", file=sys.stderr)
        return 2
    root = os.path.abspath(args.root)
    stubs = catalog.find_stubs(root)
    unknown = [s for s in args.slugs if s not in stubs]
    if unknown:
        print(f"reproduce: no stub folder {', '.join(unknown)}", file=sys.stderr)
        return 2
    jobs = []
    for slug in args.slugs or stubs:
        for name, rec in catalog.load_records(root, slug):
            if args.records == "headline" and name != "results":
                continue
            if "_error" in rec or "command" not in rec:
                print(f"reproduce: {slug}/{name}: unreadable run record", file=sys.stderr)
                return 2
            jobs.append((slug, name, rec))
    jobs.sort(key=lambda j: -float(j[2].get("wallclock_s", 0)))  # longest first
    # BLAS threads per command: the cores divided among the commands running at once
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    logdir = os.path.join(root, ".reproduce")
    os.makedirs(logdir, exist_ok=True)
    prog = Progress(jobs, args.jobs)
    print(f"reproducing {len(jobs)} run record(s) with {args.jobs} worker(s); logs in {logdir}")
    results = []

    def work(job):
        r = run_one(root, *job, logdir, args.timeout, args.update, threads)
        prog.done.add((r["slug"], r["name"]))
        prog.show(final_line=f"  {r['status']:<9} {r['slug']}/{r['name']} in {r['took']:.1f}s")
        return r

    stop = threading.Event()

    def ticker():
        while not stop.wait(1.0):
            prog.show()

    t = threading.Thread(target=ticker, daemon=True)
    t.start()
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        results = list(ex.map(work, jobs))
    stop.set()
    if prog.tty:
        print("\r\033[K", end="")
    rows = []
    for r in sorted(results, key=lambda r: (r["slug"], r["name"])):
        tol = r["rec"].get("tolerance", {}).get("rel", 0.0)
        worst = "—" if r["worst"] is None else f"{r['worst']:.2e}"
        rows.append([f"{r['slug']}/{r['name']}", r["status"], r["n"], worst, f"{tol:g}",
                     f"{r['took']:.1f}", f"{float(r['rec'].get('wallclock_s', 0)):.1f}"])
    for line in catalog.md_table(["record", "status", "metrics", "max rel diff",
                                  "tolerance", "new s", "recorded s"], rows):
        print(line)
    failed = [r for r in results if r["status"] != "ok"]
    for r in failed:
        detail = ", ".join(r["bad"][:8]) or f"see {r['log']}"
        print(f"{r['slug']}/{r['name']}: {r['status']}: {detail}")
    print(f"{len(results) - len(failed)} reproduced, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
