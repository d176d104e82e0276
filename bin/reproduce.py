#!/usr/bin/env python3
"""Rerun stubs' recorded commands and compare the new metrics with the committed ones.

    python3 bin/reproduce.py                      # every stub's headline record, -j = cores
    python3 bin/reproduce.py nbb-xor flip-flop    # just these stubs
    python3 bin/reproduce.py --records all        # also every <slug>/runs/*.json
    python3 bin/reproduce.py -j 1 --timeout 900
    python3 bin/reproduce.py -j 1 --update        # refresh records whose metrics reproduced
    python3 bin/reproduce.py --executor dask      # jobs on an in-process Dask LocalCluster
    python3 bin/reproduce.py --executor dask --scheduler tcp://host:8786   # on a Dask cluster

Each command runs from the repository root exactly as its run record states,
except that its --results path is swapped for a scratch file, so nothing
committed is touched. Logs go to .reproduce/<slug>__<record>.log.

Each rerun gets one verdict:
  bit-identical     every metric (timings aside) is exactly what the record holds;
  within tolerance  not bit-identical, but every compared metric is within the
                    relative tolerance the record declares (tolerance.rel);
  MISMATCH          a compared metric moved by more than that, or is missing;
  FAILED (rc)       the command failed, timed out or wrote no record.
Timings (metrics named *_s, *_s_per_*) are reported, never compared. Which
metrics are compared is the record's mode: "all" compares every other metric;
"listed" is used when the record's tolerance names them,
    "tolerance": {"rel": 0.05, "basis": "...", "metrics": ["mean_return", ...]}
and then only those (dotted names; a name also covers everything nested under
it) are compared against rel -- the statistical summaries, e.g. a multi-seed
mean whose tolerance was derived from the seed spread -- while the others
(chaotic per-seed values) are reported as not compared. The final table gives,
per record, the verdict, the mode, how many metrics were compared and not
compared, the largest relative difference, the tolerance, and the new
wallclock against the recorded one. Exit status 1 if any run fails or
mismatches.

Executors. By default the commands run here, -j at a time (a thread pool; each
command is its own process), each with the machine's cores divided by -j as
its BLAS thread count (OPENBLAS/OMP/MKL_NUM_THREADS, unless already set).
--executor dask sends the jobs (stub, record name, command, environment) to
Dask distributed instead (optional: python3 -m pip install -r
requirements-cluster.txt): to the scheduler at --scheduler, or, without one,
to an in-process LocalCluster with -j worker threads. A worker runs the
command in its own checkout of the repository (--worker-root, default the same
path as here) and returns the scratch record and the log; comparing, logging
and --update happen here. On a remote cluster each command gets one BLAS
thread unless the variables are set in this shell (they are forwarded).

With --update, a record whose rerun reproduced (bit-identical or within
tolerance) is replaced by the rerun's record (new wallclock and environment):
how timings are refreshed on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalog  # noqa: E402

BIT_IDENTICAL, WITHIN, MISMATCH = "bit-identical", "within tolerance", "MISMATCH"
REPRODUCED = (BIT_IDENTICAL, WITHIN)


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


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _same(x, y):
    """Exactly equal (NaN equals NaN; 1 and 1.0 are the same JSON number)."""
    if _is_number(x) and _is_number(y):
        return x == y or (math.isnan(x) and math.isnan(y))
    return x == y and type(x) is type(y)


def _rel_diff(x, y):
    """Relative difference of two metric values; 1.0 for unequal non-numbers."""
    if _is_number(x) and _is_number(y):
        if math.isnan(x) and math.isnan(y):
            return 0.0
        if math.isnan(x) or math.isnan(y):
            return math.inf
        return abs(x - y) / max(abs(x), abs(y), 1e-12)
    return 0.0 if _same(x, y) else 1.0


def _listed(key, names):
    return any(key == m or key.startswith(m + ".") for m in names)


def assess(old, new, tolerance=None):
    """Judge a rerun's metrics against the record's, under the record's tolerance.

    Returns a dict: status (bit-identical / within tolerance / MISMATCH),
    mode ("all" or "listed"), n (metrics compared), not_compared (their keys:
    the unlisted ones in "listed" mode), worst (largest relative difference
    among the compared), bad (compared keys that moved beyond rel or are
    missing from either side), rel.
    """
    tolerance = tolerance or {}
    rel = float(tolerance.get("rel", 0.0) or 0.0)
    names = tolerance.get("metrics")
    a, b = leaves(old), leaves(new)
    keys = sorted(set(a) | set(b))
    if names is None:
        mode, compared = "all", [k for k in keys if not is_timing(k)]
        not_compared = []
    else:
        mode = "listed"
        names = [str(m) for m in names]
        compared = [k for k in keys if _listed(k, names)]
        not_compared = [k for k in keys if not is_timing(k) and not _listed(k, names)]
    worst, bad = 0.0, []
    for m in names or ():  # a listed metric that neither record holds is a mismatch
        if not any(_listed(k, [m]) for k in keys):
            bad.append(m)
    for k in compared:
        if k not in a or k not in b:
            bad.append(k)
            continue
        d = _rel_diff(a[k], b[k])
        worst = max(worst, d)
        if d > rel:
            bad.append(k)
    identical = all(k in a and k in b and _same(a[k], b[k])
                    for k in keys if not is_timing(k) or k in compared)
    status = MISMATCH if bad else (BIT_IDENTICAL if identical else WITHIN)
    return dict(status=status, mode=mode, n=len(compared), not_compared=not_compared,
                worst=worst, bad=bad, rel=rel)


def compare(old, new, rel_tol, metrics=None):
    """(n compared, largest relative difference, list of mismatching keys)."""
    tol = {"rel": rel_tol} if metrics is None else {"rel": rel_tol, "metrics": metrics}
    r = assess(old, new, tol)
    return r["n"], r["worst"], r["bad"]


def swap_results(command, path):
    argv = shlex.split(command)
    i = argv.index("--results")
    argv[i + 1] = path
    return argv


THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(threads):
    """The BLAS thread variables a job carries: this shell's value, else `threads`."""
    return {var: os.environ.get(var, str(threads)) for var in THREAD_VARS}


def execute(job):
    """Run one job's command where the job lands (a local thread or a Dask worker).

    job: {slug, name, command, env, root, timeout, log}. env holds the
    variables set on top of the executing machine's environment; log is a path
    to stream the output to, or None to return it as text. Returns {slug, name,
    rc, raw (the scratch record's text or None), scratch (its path), log_text,
    took, host}. Never raises: a failure is an rc.
    """
    t0 = time.time()
    res = dict(slug=job["slug"], name=job["name"], rc=None, raw=None, scratch=None,
               log_text=None, took=0.0, host=socket.gethostname())
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "record.json")
        res["scratch"] = out
        log = job.get("log") or os.path.join(tmp, "log.txt")
        try:
            argv = swap_results(job["command"], out)
            if argv[0] in ("python3", "python"):
                argv[0] = sys.executable
            env = dict(os.environ)
            env.update(job.get("env") or {})
            with open(log, "w") as fh:
                fh.write("$ " + " ".join(shlex.quote(a) for a in argv) + "\n")
                fh.flush()
                try:
                    p = subprocess.run(argv, cwd=job["root"], stdout=fh, stderr=subprocess.STDOUT,
                                       timeout=job["timeout"], env=env)
                    res["rc"] = p.returncode
                except subprocess.TimeoutExpired:
                    res["rc"] = "timeout"
        except Exception as e:  # noqa: BLE001 -- reported as this job's failure
            res["rc"] = f"{type(e).__name__}: {e}"
        if os.path.isfile(out):
            with open(out) as fh:
                res["raw"] = fh.read()
        if not job.get("log") and os.path.isfile(log):
            with open(log, errors="replace") as fh:
                res["log_text"] = fh.read()
    res["took"] = time.time() - t0
    return res


def judge(root, rec, res, log, update=False):
    """The row of one rerun: its verdict against the committed record (and the
    --update rewrite when it reproduced)."""
    slug, name = res["slug"], res["name"]
    row = dict(slug=slug, name=name, took=res["took"], rec=rec, n=0, not_compared=[],
               mode="listed" if "metrics" in (rec.get("tolerance") or {}) else "all",
               worst=None, bad=[], log=log, host=res.get("host"))
    new = None
    if res["rc"] == 0 and res["raw"] is not None:
        try:
            new = json.loads(res["raw"])
        except json.JSONDecodeError:
            new = None
    if new is None or not isinstance(new.get("metrics"), dict):
        row["status"] = f"FAILED ({res['rc']})"
        return row
    a = assess(rec.get("metrics", {}), new["metrics"], rec.get("tolerance"))
    row.update(status=a["status"], mode=a["mode"], n=a["n"], not_compared=a["not_compared"],
               worst=a["worst"], bad=a["bad"])
    if update and a["status"] in REPRODUCED:
        rel = f"{slug}/results.json" if name == "results" else f"{slug}/runs/{name}.json"
        with open(os.path.join(root, rel), "w") as fh:  # as if run with its own --results path
            fh.write(res["raw"].replace(res["scratch"], rel))
    return row


def run_one(root, slug, name, rec, logdir, timeout, update=False, threads=1):
    """Rerun one record here and judge it (the local executor's unit of work)."""
    log = os.path.join(logdir, f"{slug}__{name}.log")
    job = dict(slug=slug, name=name, command=rec["command"], env=thread_env(threads),
               root=root, timeout=timeout, log=log)
    return judge(root, rec, execute(job), log, update)


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


def dask_client(scheduler, workers):
    """(client, cluster): connect to `scheduler`, or start an in-process
    LocalCluster (threads only, no network listener) with `workers` threads.
    Dask is imported here only, so the rest of this file never needs it."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        raise RuntimeError("--executor dask needs Dask distributed "
                           f"(python3 -m pip install -r requirements-cluster.txt): {e}") from None
    if scheduler:
        return Client(scheduler, timeout="30s"), None
    cluster = LocalCluster(n_workers=1, threads_per_worker=workers, processes=False,
                           dashboard_address=None)
    return Client(cluster), cluster


def run_local(jobs, workers, on_done):
    """Run jobs on a thread pool here; on_done(res) as each one finishes."""
    with ThreadPoolExecutor(max_workers=workers) as ex:
        futs = [ex.submit(execute, job) for job in jobs]
        return [on_done(f.result()) for f in as_completed(futs)]


def run_dask(jobs, client, on_done):
    """Send jobs to the Dask cluster behind client; on_done(res) as each returns."""
    from distributed import as_completed as dask_completed
    futs = {client.submit(execute, job, pure=False,
                          key=f"reproduce-{job['slug']}-{job['name']}-{i}-{time.time_ns()}"): job
            for i, job in enumerate(jobs)}
    out = []
    for fut in dask_completed(list(futs)):
        job = futs[fut]
        try:
            res = fut.result()
        except Exception as e:  # noqa: BLE001 -- a lost worker fails its job, not the sweep
            res = dict(slug=job["slug"], name=job["name"], rc=f"dask: {type(e).__name__}: {e}",
                       raw=None, scratch=None, log_text=f"dask task failed: {e!r}\n",
                       took=0.0, host=None)
        out.append(on_done(res))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("slugs", nargs="*", help="stubs to rerun (default: all)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="commands run at once here, or the LocalCluster's worker threads "
                         "(default: number of cores)")
    ap.add_argument("--records", choices=("headline", "all"), default="headline",
                    help="headline: results.json only; all: also runs/*.json")
    ap.add_argument("--update", action="store_true",
                    help="overwrite each record that reproduced with its rerun (new wallclock)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per command")
    ap.add_argument("--executor", choices=("local", "dask"), default="local",
                    help="local: a process per command on this machine (default); "
                         "dask: send the jobs to Dask distributed (requirements-cluster.txt)")
    ap.add_argument("--scheduler", default=None,
                    help="with --executor dask: the scheduler's address, e.g. tcp://host:8786 "
                         "(default: start an in-process LocalCluster)")
    ap.add_argument("--worker-root", default=None,
                    help="with --executor dask: the repository root on the workers "
                         "(default: the same path as --root)")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="repository root")
    args = ap.parse_args(argv)
    if args.jobs < 1 or args.timeout <= 0:
        print("reproduce: -j and --timeout must be positive", file=sys.stderr)
        return 2
    if args.executor != "dask" and (args.scheduler or args.worker_root):
        print("reproduce: --scheduler and --worker-root need --executor dask", file=sys.stderr)
        return 2
    root = os.path.abspath(args.root)
    stubs = catalog.find_stubs(root)
    unknown = [s for s in args.slugs if s not in stubs]
    if unknown:
        print(f"reproduce: no stub folder {', '.join(unknown)}", file=sys.stderr)
        return 2
    records = []
    for slug in args.slugs or stubs:
        for name, rec in catalog.load_records(root, slug):
            if args.records == "headline" and name != "results":
                continue
            if "_error" in rec or "command" not in rec:
                print(f"reproduce: {slug}/{name}: unreadable run record", file=sys.stderr)
                return 2
            if "--results" not in shlex.split(str(rec["command"]))[:-1]:
                print(f"reproduce: {slug}/{name}: its command has no --results PATH", file=sys.stderr)
                return 2
            records.append((slug, name, rec))
    records.sort(key=lambda j: -float(j[2].get("wallclock_s", 0)))  # longest first
    # BLAS threads per command: the cores divided among the commands running at once
    # (a remote cluster's cores are not known here: one thread unless set in this shell)
    remote = args.executor == "dask" and args.scheduler
    threads = 1 if remote else max(1, (os.cpu_count() or 1) // args.jobs)
    logdir = os.path.join(root, ".reproduce")
    os.makedirs(logdir, exist_ok=True)
    by_key = {(s, n): rec for s, n, rec in records}
    jobs = [dict(slug=s, name=n, command=rec["command"], env=thread_env(threads),
                 root=os.path.abspath(args.worker_root) if args.worker_root else root,
                 timeout=args.timeout,
                 log=None if args.executor == "dask" else os.path.join(logdir, f"{s}__{n}.log"))
            for s, n, rec in records]

    client = cluster = None
    if args.executor == "dask":
        try:
            client, cluster = dask_client(args.scheduler, args.jobs)
        except Exception as e:  # noqa: BLE001 -- no dask, or no scheduler at that address
            print(f"reproduce: {e}", file=sys.stderr)
            return 2
        where = f"Dask scheduler {client.scheduler.address}"
    else:
        where = f"{args.jobs} local worker(s)"
    prog = Progress(records, args.jobs)
    print(f"reproducing {len(records)} run record(s) on {where}; logs in {logdir}")

    def on_done(res):
        log = os.path.join(logdir, f"{res['slug']}__{res['name']}.log")
        if res.get("log_text") is not None:
            with open(log, "w") as fh:
                fh.write(res["log_text"])
        r = judge(root, by_key[(res["slug"], res["name"])], res, log, args.update)
        prog.done.add((r["slug"], r["name"]))
        on = f" on {r['host']}" if args.executor == "dask" and r.get("host") else ""
        prog.show(final_line=f"  {r['status']:<16} {r['slug']}/{r['name']} in {r['took']:.1f}s{on}")
        return r

    stop = threading.Event()

    def ticker():
        while not stop.wait(1.0):
            prog.show()

    t = threading.Thread(target=ticker, daemon=True)
    t.start()
    try:
        if client is not None:
            results = run_dask(jobs, client, on_done)
        else:
            results = run_local(jobs, args.jobs, on_done)
    finally:
        stop.set()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if prog.tty:
        print("\r\033[K", end="")
    rows = []
    for r in sorted(results, key=lambda r: (r["slug"], r["name"])):
        tol = float((r["rec"].get("tolerance") or {}).get("rel", 0.0) or 0.0)
        worst = "—" if r["worst"] is None else f"{r['worst']:.2e}"
        rows.append([f"{r['slug']}/{r['name']}", r["status"], r["mode"], str(r["n"]),
                     str(len(r["not_compared"])), worst, f"{tol:g}",
                     f"{r['took']:.1f}", f"{float(r['rec'].get('wallclock_s', 0)):.1f}"])
    for line in catalog.md_table(["record", "status", "mode", "compared", "not compared",
                                  "max rel diff", "tolerance", "new s", "recorded s"], rows):
        print(line)
    for r in sorted(results, key=lambda r: (r["slug"], r["name"])):
        if r["not_compared"]:
            shown = ", ".join(r["not_compared"][:8])
            more = f" and {len(r['not_compared']) - 8} more" if len(r["not_compared"]) > 8 else ""
            print(f"{r['slug']}/{r['name']}: not compared (not in tolerance.metrics): {shown}{more}")
    failed = [r for r in results if r["status"] not in REPRODUCED]
    for r in failed:
        detail = ", ".join(r["bad"][:8]) or f"see {r['log']}"
        basis = (r["rec"].get("tolerance") or {}).get("basis")
        print(f"{r['slug']}/{r['name']}: {r['status']}: {detail}" + (f" (tolerance basis: {basis})" if basis and r["bad"] else ""))
    n_ident = sum(r["status"] == BIT_IDENTICAL for r in results)
    print(f"{len(results) - len(failed)} reproduced, {len(failed)} failed "
          f"({n_ident} bit-identical, {len(results) - len(failed) - n_ident} within tolerance)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
