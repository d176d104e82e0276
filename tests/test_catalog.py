"""The catalog tool: the real catalog passes --check, and the checker catches
each kind of break on a toy stub that passes before it is broken."""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_stub  # noqa: E402

REPO = toy_stub.REPO


def check(root, *extra):
    return subprocess.run([sys.executable, os.path.join(root, "bin", "catalog.py"),
                           "--root", root, "--check", *extra],
                          capture_output=True, text=True)


def test_catalog_check_passes_on_this_repo():
    r = check(REPO)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture
def toy(tmp_path):
    d = toy_stub.make_repo(str(tmp_path))
    r = check(str(tmp_path))
    assert r.returncode == 0, r.stdout  # the unbroken toy passes
    return str(tmp_path), d


def _append(path, text):
    with open(path, "a") as fh:
        fh.write(text)


def _sub(path, old, new):
    s = open(path).read()
    assert old in s
    open(path, "w").write(s.replace(old, new))


BREAKS = {
    "missing README section": lambda d: _sub(os.path.join(d, "README.md"), "## Open questions\n", ""),
    "sections out of order": lambda d: _sub(os.path.join(d, "README.md"), "## Problem", "## Files0")
        or _sub(os.path.join(d, "README.md"), "## Files\n", "## Problem\n")
        or _sub(os.path.join(d, "README.md"), "## Files0", "## Files"),
    "forbidden import": lambda d: _append(os.path.join(d, "toy_stub.py"), "\nimport scipy\n"),
    "torch in the visualiser": lambda d: _append(os.path.join(d, "visualize_toy_stub.py"), "import torch\n"),
    "missing test file": lambda d: os.remove(os.path.join(d, "test_toy_stub.py")),
    "missing gif": lambda d: os.remove(os.path.join(d, "toy_stub.gif")),
    "gif over budget": lambda d: open(os.path.join(d, "toy_stub.gif"), "wb").write(b"\0" * (2 * 1024 * 1024 + 1)),
    "png over budget": lambda d: open(os.path.join(d, "viz", "hist.png"), "wb").write(b"\0" * (500 * 1024 + 1)),
    "record lacks metrics": lambda d: toy_stub.edit_record(d, lambda r: r.pop("metrics")),
    "record lacks env": lambda d: toy_stub.edit_record(d, lambda r: r.pop("env")),
    "bad reproduces value": lambda d: toy_stub.edit_record(d, lambda r: r["headline"].update(reproduces="maybe")),
    "headline metric absent": lambda d: toy_stub.edit_record(d, lambda r: r["headline"].update(metric="nope")),
    "stale results block": lambda d: toy_stub.edit_record(d, lambda r: r["table"]["rows"][0].__setitem__(1, 0.1234)),
    "command not in Running": lambda d: _sub(os.path.join(d, "README.md"),
                                             "python3 toy-stub/toy_stub.py --seed 10000 --results toy-stub/results.json", "run it"),
    "no tour markers": lambda d: _sub(os.path.join(d, "README.md"), "<!-- tour:end -->", ""),
    # the skeleton and the verbatim blocks
    "drifted plumbing block": lambda d: _sub(os.path.join(d, "toy_stub.py"),
                                             "def fail(message: str):", "def fail(message):"),
    "drifted gif writer block": lambda d: _sub(os.path.join(d, "make_toy_stub_gif.py"),
                                               "hold_ms: int = 2500", "hold_ms: int = 900"),
    "missing train": lambda d: _sub(os.path.join(d, "toy_stub.py"), "def train(cfg, log=None):",
                                    "def fit(cfg, log=None):"),
    "evaluate takes its arguments in another order": lambda d: _sub(
        os.path.join(d, "toy_stub.py"), "def evaluate(model, cfg):", "def evaluate(cfg, model):"),
    "Config field without a comment": lambda d: _sub(
        os.path.join(d, "toy_stub.py"), "n: int = 1000                         # draws per seed",
        "n: int = 1000"),
    "Config lacks report_seeds": lambda d: _sub(
        os.path.join(d, "toy_stub.py"), "    report_seeds: tuple = (10000, 10010)  # reporting block\n", ""),
    # seeds and verdicts
    "headline on development seeds": lambda d: toy_stub.edit_record(
        d, lambda r: r["seeds"].update(role="development")),
    "record lacks seeds": lambda d: toy_stub.edit_record(d, lambda r: r.pop("seeds")),
    "no data-movement adapter once the tool exists": lambda d: os.makedirs(
        os.path.join(os.path.dirname(d), "dmd", "adapters")),
    "typed verdict": lambda d: toy_stub.edit_record(
        d, lambda r: r["headline"].update(reproduces="no")),
    "verdict rule loosened after the run": lambda d: toy_stub.edit_record(
        d, lambda r: r["config"].update(verdict_tol=5.0)),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_checker_catches(toy, name):
    root, d = toy
    BREAKS[name](d)
    r = check(root)
    assert r.returncode == 1, f"{name} not caught:\n{r.stdout}"


def test_slug_filter_and_unknown_slug(toy):
    root, d = toy
    assert check(root, "--slug", "toy-stub").returncode == 0
    assert check(root, "--slug", "no-such-stub").returncode == 2


def test_generated_tables_come_from_the_record(toy):
    root, d = toy
    rec = json.load(open(os.path.join(d, "results.json")))
    readme = open(os.path.join(root, "README.md")).read()
    results = open(os.path.join(root, "RESULTS.md")).read()
    assert "[toy-stub](toy-stub/)" in readme
    assert rec["headline"]["summary"] in results
    assert "Watch nothing happen." in open(os.path.join(root, "VISUAL_TOUR.md")).read()
