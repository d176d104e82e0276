"""Variants of the world-models-carracing headline -> world-models-carracing/runs/*.json.

Each variant is the headline pipeline (world_models_carracing.train / summarise,
one run record per call, written by the main module's run_record/write_json)
with a few Config fields changed. Every other flag of the main file works here
too (explicit flags win over the variant's values).

  long   100 instead of 40 CMA-ES generations for the two real-track controllers:
         does more evolution widen the gap between V + M and V only?

    python3 world-models-carracing/experiments_world_models_carracing.py --variant long --seed 10000 --n-seeds 3 --results world-models-carracing/runs/long_cma.json
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import world_models_carracing as W  # noqa: E402  (pins one BLAS thread before numpy loads)

VARIANTS = {"long": dict(generations=100)}


def parse(argv):
    """(variant, cfg, results path); bad input ends with one stderr line and exit status 2."""
    if "--variant" not in argv or argv.index("--variant") + 1 >= len(argv):
        W.fail(f"--variant is required, one of {', '.join(VARIANTS)}")
    i = argv.index("--variant")
    variant, rest = argv[i + 1], argv[:i] + argv[i + 2:]
    if variant not in VARIANTS:
        W.fail(f"--variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    cfg, results = W.parse_cli(rest)
    given = {k.lstrip("-").replace("-", "_") for k in rest if k.startswith("--")}
    overrides = {k: v for k, v in VARIANTS[variant].items() if k not in given}
    try:
        cfg = dataclasses.replace(cfg, **overrides)
    except ValueError as e:
        W.fail(str(e))
    return variant, cfg, results


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else list(argv)
    variant, cfg, results = parse(argv)
    print(f"variant {variant}; config:", json.dumps(dataclasses.asdict(cfg)), flush=True)
    t0 = time.time()
    model, history = W.train(cfg, log=W.Progress())
    metrics = W.summarise(cfg, model, history)
    script = os.path.relpath(os.path.abspath(__file__), os.path.dirname(HERE))
    rec = W.run_record(cfg, metrics, " ".join(["python3", script] + argv), time.time() - t0)
    rec["headline"]["summary"] = f"[{variant}: {VARIANTS[variant]}] " + rec["headline"]["summary"]
    print(f"\n{rec['headline']['summary']}\nreproduces: {rec['headline']['reproduces']}; "
          f"wallclock {rec['wallclock_s']:.1f}s")
    if results:
        W.write_json(results, rec)
        print(f"run record -> {results}")
    return rec


if __name__ == "__main__":
    main()
