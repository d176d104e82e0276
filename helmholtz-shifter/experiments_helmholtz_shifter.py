"""What was tried against the headline recipe of helmholtz-shifter: one-change variants.

Trains the headline recipe and every recipe in SWEEP on the same seeds (development
seeds: these runs informed choices) and writes one run record whose metrics hold the
headline recipe at the top level and each variant under metrics.variants.

    python3 helmholtz-shifter/experiments_helmholtz_shifter.py --seed 0 --n-seeds 2 --results helmholtz-shifter/runs/sweep.json
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helmholtz_shifter as hs  # noqa: E402

# name -> (fields changed, or a function of the base Config giving them; why it was tried)
SWEEP = {
    "zero_init_biases": ({"bias_h0": 0.0, "bias_v0": 0.0}, "the initialisation of deviation 2"),
    "n_top_4": ({"n_top": 4}, "four layer-3 units, as in the earlier reproduction"),
    "lr_rec_x3": ({"lr_rec": 0.15}, "recognition learns three times faster"),
    "lr_gen_x3": ({"lr_gen": 0.15}, "generation learns three times faster"),
    "init_top_2": ({"init_std_top": 2.0}, "large random layer-2/3 weights break the t symmetry"),
    "steps_x3": (lambda c: {"steps": 3 * c.steps, "log_every": 3 * c.log_every},
                 "three times longer"),
    "reweighted_wake_10": ({"wake_samples": 10, "wake_rec": True},
                           "importance-weighted wake phase, K = 10 (not the paper's rule)"),
}
WORKERS = 4    # variants trained in parallel processes (each seed's numbers do not depend on it)
KEEP = ("n_seeds", "seeds_top_separates", "frac_seeds_top_separates", "top_unit_best_acc_median",
        "n_pair_detectors_median", "n_blind_triplets_median", "n_unused_median",
        "nll_gap_bits_median", "per_seed")


def run_variant(cfg, name: str) -> dict:
    """Train and summarise one variant of cfg (the headline recipe when name is None)."""
    if name is None:
        return hs.summarise(cfg, *hs.train(cfg, log=hs.Progress(30.0)))
    change, why = SWEEP[name]
    change = change(cfg) if callable(change) else change
    vcfg = dataclasses.replace(cfg, **change)
    vm = hs.summarise(vcfg, *hs.train(vcfg))
    print(f"variant {name} done: {change}", flush=True)
    return dict({k: vm[k] for k in KEEP}, change=change, why=why)


def main(argv=None) -> dict:
    cfg, results = hs.parse_cli(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    t0 = time.time()
    print("headline recipe:", dataclasses.asdict(cfg), flush=True)
    names = ["steps_x3", "reweighted_wake_10", None] + [n for n in SWEEP if n not in
                                                         ("steps_x3", "reweighted_wake_10")]
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:      # the longest runs first
        out = dict(zip(names, pool.map(run_variant, [cfg] * len(names), names)))
    metrics = out[None]
    metrics["variants"] = {n: out[n] for n in SWEEP}
    command = " ".join(["python3", "helmholtz-shifter/experiments_helmholtz_shifter.py"] + argv)
    rec = hs.run_record(cfg, metrics, command, time.time() - t0)
    for row in rec["table"]["rows"]:
        print(" | ".join(str(c) for c in row))
    if results:
        hs.write_json(results, rec)
        print(f"run record -> {results}")
    return rec


if __name__ == "__main__":
    main()
