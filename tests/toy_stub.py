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
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "toy-stub"


@dataclass
class Config:
    seed: int = 10000                     # first seed
    n_seeds: int = 1                      # seeds seed .. seed+n_seeds-1
    quick: bool = False                   # reduced run
    n: int = 1000                         # draws per seed
    dev_seeds: tuple = (0, 10000)         # development block
    report_seeds: tuple = (10000, 10010)  # reporting block
    verdict_metric: str = "mean"          # the paper's statistic
    verdict_sense: str = "match"          # either side
    verdict_tol: float = 0.1              # yes within 10%
    verdict_partial: float = 0.5          # partial within 50%
    PRESETS: ClassVar[dict] = {"quick": {"n": 100}}


PAPER = {"citation": "Nobody, A. (1987). A toy. Nowhere.", "year": 1987,
         "metrics": {"mean": 0.5}, "runs": 1, "source": "by construction"}
EARLIER = None


def train(cfg, log=None):
    draws = [seed_streams(s, ("data",))["data"].random(cfg.n)
             for s in range(cfg.seed, cfg.seed + cfg.n_seeds)]
    return np.array(draws), {"n": cfg.n}


def evaluate(model, cfg):
    return {"mean": float(model.mean())}


def summarise(cfg, model, history):
    return {**evaluate(model, cfg), "nested": {"n": cfg.n}, "n_runs": cfg.n_seeds}


def describe(cfg, metrics):
    return {"summary": f"mean {metrics['mean']:.3f} (paper 0.5)", "label": "mean of the draws",
            "table": {"columns": ["metric", "ours", "paper"], "rows": [["mean", metrics["mean"], 0.5]]},
            "tolerance": {"rel": 1e-12, "basis": "deterministic"}}


#BLOCK#


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
`python3 toy-stub/toy_stub.py --seed 10000 --results toy-stub/results.json`

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
    os.makedirs(os.path.join(root, "dmd"))           # the data-movement page the README links
    for f in ("README.md", "cost_vs_wallclock.png"):  # (no adapters: the toy is not measured)
        if os.path.isfile(os.path.join(REPO, "dmd", f)):
            shutil.copy(os.path.join(REPO, "dmd", f), os.path.join(root, "dmd"))
    d = os.path.join(root, SLUG)
    os.makedirs(os.path.join(d, "viz"))
    m = "toy_stub"
    sys.path.insert(0, os.path.join(root, "bin"))
    import catalog
    with open(os.path.join(d, f"{m}.py"), "w") as fh:
        fh.write(MAIN.replace("#BLOCK#", catalog.template_block(root)))
    with open(os.path.join(d, f"visualize_{m}.py"), "w") as fh:
        fh.write("import matplotlib\nimport numpy as np\n")
    with open(os.path.join(d, f"make_{m}_gif.py"), "w") as fh:
        fh.write("import matplotlib\nimport numpy as np\n\n"
                 + catalog.template_block(root, "gif_writer.py") + "\n")
    with open(os.path.join(d, f"test_{m}.py"), "w") as fh:
        fh.write("import pytest\nimport toy_stub\n")
    with open(os.path.join(d, "README.md"), "w") as fh:
        fh.write(README)
    _png(os.path.join(d, "viz", "hist.png"))
    from PIL import Image
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(os.path.join(d, f"{m}.gif"))
    subprocess.run([sys.executable, f"{SLUG}/{m}.py", "--seed", "10000", "--results",
                    f"{SLUG}/results.json"], cwd=root, check=True, capture_output=True)
    subprocess.run([sys.executable, "bin/catalog.py", "--root", root], check=True,
                   capture_output=True, cwd=root)
    return d


def edit_record(d, fn):
    p = os.path.join(d, "results.json")
    rec = json.load(open(p))
    fn(rec)
    json.dump(rec, open(p, "w"))
