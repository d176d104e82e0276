"""Builds a tiny, contract-keeping toy stub in a scratch repository, so the
catalog tooling can be tested on a stub it knows is good, and then broken."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUG = "toy-stub"

MAIN = '''"""Toy stub: the mean of N uniform draws (a stand-in for an experiment)."""
import argparse, json, platform, sys, time
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--results", default=None)
    a = ap.parse_args()
    t0 = time.time()
    mean = float(np.random.default_rng(a.seed).random(a.n).mean())
    rec = {
        "slug": "toy-stub", "command": " ".join(["python3", "toy-stub/toy_stub.py"] + sys.argv[1:]),
        "seed": a.seed, "config": {"n": a.n}, "metrics": {"mean": mean, "nested": {"n": a.n}},
        "paper": {"citation": "Nobody, A. (1987). A toy. Nowhere.", "year": 1987,
                  "metrics": {"mean": 0.5}, "source": "by construction"},
        "earlier_repro": None,
        "headline": {"metric": "mean", "ours": mean, "paper": 0.5, "earlier": None,
                     "reproduces": "yes" if abs(mean - 0.5) < 0.05 else "no",
                     "rule": "yes if |mean - 0.5| < 0.05", "summary": f"mean {mean:.3f} (paper 0.5)"},
        "table": {"columns": ["metric", "ours", "paper"], "rows": [["mean", mean, 0.5]]},
        "tolerance": {"rel": 1e-12}, "wallclock_s": time.time() - t0,
        "env": {"python": platform.python_version(), "numpy": np.__version__,
                "platform": platform.platform()},
    }
    print(f"mean {mean:.4f} (paper 0.5)")
    if a.results:
        with open(a.results, "w") as fh:
            json.dump(rec, fh, indent=1)


if __name__ == "__main__":
    main()
'''

README = """# toy-stub: a toy

A toy. ![toy](toy_stub.gif)

## Problem
Mean of draws.

## Files
[toy_stub.py](toy_stub.py)

## Running
`python3 toy-stub/toy_stub.py --seed 0 --results toy-stub/results.json`

## Results
<!-- results:begin -->
<!-- results:end -->

## Visualizations
![hist](viz/hist.png)

<!-- tour:begin -->
Watch nothing happen.
<!-- tour:end -->

## Deviations from the original
None.

## Open questions
None.
"""


def _png(path, size=(8, 8)):
    from PIL import Image
    Image.fromarray(np.zeros(size + (3,), dtype=np.uint8)).save(path)


def make_repo(root):
    """A scratch repository at root with the catalog tooling and one toy stub."""
    shutil.copytree(os.path.join(REPO, "bin"), os.path.join(root, "bin"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("README.md", "CONTRIBUTING.md", "BUILD_NOTES.md", "LICENSE", "book.toml"):
        if os.path.isfile(os.path.join(REPO, f)):
            shutil.copy(os.path.join(REPO, f), root)
    d = os.path.join(root, SLUG)
    os.makedirs(os.path.join(d, "viz"))
    m = "toy_stub"
    with open(os.path.join(d, f"{m}.py"), "w") as fh:
        fh.write(MAIN)
    for f in (f"visualize_{m}.py", f"make_{m}_gif.py"):
        with open(os.path.join(d, f), "w") as fh:
            fh.write("import matplotlib\nimport numpy as np\n")
    with open(os.path.join(d, f"test_{m}.py"), "w") as fh:
        fh.write("import pytest\nimport toy_stub\n")
    with open(os.path.join(d, "README.md"), "w") as fh:
        fh.write(README)
    _png(os.path.join(d, "viz", "hist.png"))
    from PIL import Image
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(os.path.join(d, f"{m}.gif"))
    subprocess.run([sys.executable, f"{SLUG}/{m}.py", "--seed", "0", "--results",
                    f"{SLUG}/results.json"], cwd=root, check=True, capture_output=True)
    subprocess.run([sys.executable, "bin/catalog.py", "--root", root], check=True,
                   capture_output=True, cwd=root)
    return d


def edit_record(d, fn):
    p = os.path.join(d, "results.json")
    rec = json.load(open(p))
    fn(rec)
    json.dump(rec, open(p, "w"))
