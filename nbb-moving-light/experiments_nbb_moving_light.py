"""Ablation and the cross-stub check for nbb-moving-light.

--ablation: every reading of the transcription's rule, one change at a time
relative to the headline Config, on the same seeds. A diagnostic: it runs on
development seeds (0-29, where lam and eta were fitted), never on the reporting
block.

--ratios: the check that does not depend on the fitted time scale. Counts of
both NBB experiments scale roughly like 1/lam, so their ratio does not: nbb-xor's
mean presentations (read from its headline record, nbb-xor/results.json, on the
same reporting seeds) over this stub's mean cycles, against the paper's 619/223.
The stubs share no code; only the record is read.

    python3 nbb-moving-light/experiments_nbb_moving_light.py --ablation --seed 0 --n-seeds 30 --results nbb-moving-light/runs/ablation.json
    python3 nbb-moving-light/experiments_nbb_moving_light.py --ratios --seed 10000 --n-seeds 100 --results nbb-moving-light/runs/ratios.json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nbb_moving_light as ml  # noqa: E402

XOR_RECORD = os.path.join(os.path.dirname(HERE), "nbb-xor", "results.json")
XOR_PAPER = 619               # nbb-xor's PAPER["metrics"]["mean_presentations"]; checked against its record

ABLATION = [  # (row name, what changes relative to the headline Config, which ambiguity)
    ("headline", {}, "-"),
    ("reward_every", {"reward": "every"}, "reward timing: Ext at every tick the correct output is on"),
    ("denom_outgoing", {"denom": "outgoing"}, "denominator: sum over i's outgoing c_ik(t-1)"),
    ("denom_equal", {"denom": "equal"}, "denominator: even split over active incoming"),
    ("earlier_headline", {"ext": "proportional", "lam_scale": 0.4, "eta_over_lam": 1.0},
     "the earlier reading: Ext = eta c_ij, lam = eta = 0.0012"),
    ("ext_proportional", {"ext": "proportional", "eta_over_lam": 1.0}, "Ext = eta c_ij, eta = lam"),
    ("ext_fixed", {"ext": "fixed", "eta_over_lam": 1.0}, "Ext: eta per tick split by contribution, eta = lam"),
    ("eta_half", {"eta_over_lam": 0.15}, "payoff size: eta halved (0.15 lam)"),
    ("eta_double", {"eta_over_lam": 0.6}, "payoff size: eta doubled (0.6 lam)"),
    ("tie_random", {"tie": "random"}, "tie-breaking: random among tied maxima"),
    ("count_both", {"criterion": "both"}, "counting: first weight state solving both directions"),
    ("lam_half", {"lam_scale": 0.5}, "time scale: lam and eta halved"),
    ("lam_double", {"lam_scale": 2.0}, "time scale: lam and eta doubled"),
    ("no_recurrence", {"no_recurrence": True}, "architecture: no output -> output connections"),
    ("init_0.999_1.001", {"w_init_low": 0.999, "w_init_high": 1.001},
     "initial weights U(0.999, 1.001) (cited by another reproduction; not verified here)"),
    ("init_0.999_1.001_lam/10", {"w_init_low": 0.999, "w_init_high": 1.001, "lam_scale": 0.1},
     "initial weights U(0.999, 1.001), lam and eta / 10"),
    ("init_0.999_1.001_lam/100", {"w_init_low": 0.999, "w_init_high": 1.001, "lam_scale": 0.01},
     "initial weights U(0.999, 1.001), lam and eta / 100"),
]


def with_overrides(cfg, over):
    """Config with ablation overrides; eta follows lam unless eta_over_lam is given."""
    over = dict(over)
    lam = cfg.lam * over.pop("lam_scale", 1.0)
    eta = lam * over.pop("eta_over_lam", cfg.eta / cfg.lam)
    return dataclasses.replace(cfg, lam=lam, eta=eta, **over)


def sweep(cfg):
    h = ml.train_runs(cfg)[1]
    return dict(ml.count_metrics(h, cfg.criterion), train_s=round(float(h["train_s"]), 3),
                train_cpu_s=round(float(h["cpu_s"]), 3))


def headline_part(row):
    """The headline row's metrics at the top level of a record (the verdict reads them)."""
    head = {k: v for k, v in row.items() if k not in ("changes", "train_s", "train_cpu_s")}
    return dict(head, n_runs=head["n_seeds"],
                timing={"sweep_s": row["train_s"], "sweep_cpu_s": row["train_cpu_s"]})


def ablation_metrics(cfg, log):
    rows = {}
    for name, over, what in ABLATION:
        rows[name] = dict(sweep(with_overrides(cfg, over)), changes=what)
        log(f"{name:16s} {rows[name]['n_solved']:2d}/{cfg.n_seeds} solved, mean {rows[name]['mean_cycles']}")
    return dict(headline_part(rows["headline"]), ablation=rows)


def describe_ablation(cfg, metrics):
    rows = [[k, v["changes"], f"{v['n_solved']}/{v['n_seeds']}", ml.fmt_n(v["mean_cycles"]),
             ml.fmt_n(v["median_cycles"])] for k, v in metrics["ablation"].items()]
    return {"summary": (f"ablation on seeds {cfg.seed}-{cfg.seed + cfg.n_seeds - 1}: {len(ABLATION)} "
                        f"readings of the rule; headline reading {metrics['n_solved']}/"
                        f"{metrics['n_seeds']} solved, mean {ml.fmt_n(metrics['mean_cycles'])} cycles"),
            "table": {"columns": ["reading", "what changes", "solved", "mean cycles", "median"],
                      "rows": rows},
            "label": "mean training cycles (light sweeps) to a solution, over solved runs"}


def ratio_metrics(cfg, log):
    """This stub's headline sweep on the seeds, and nbb-xor's count on the same seeds over it."""
    xor = json.load(open(XOR_RECORD))
    if xor["seeds"]["used"] != [cfg.seed, cfg.seed + cfg.n_seeds] or \
            xor["paper"]["metrics"]["mean_presentations"] != XOR_PAPER:
        ml.fail(f"{XOR_RECORD} ran on seeds {xor['seeds']['used']}, not [{cfg.seed}, "
                f"{cfg.seed + cfg.n_seeds}]: run nbb-xor's headline first")
    m = headline_part(sweep(cfg))
    ours = xor["metrics"]["mean_presentations"] / m["mean_cycles"]
    paper = XOR_PAPER / ml.PAPER["metrics"]["mean_cycles"]
    m["ratios"] = {"xor_presentations": xor["metrics"]["mean_presentations"],
                   "xor_solved": xor["metrics"]["n_solved"], "light_cycles": m["mean_cycles"],
                   "xor_over_light": ours, "paper_xor_over_light": paper,
                   "relative_gap": ours / paper - 1, "xor_record": "nbb-xor/results.json"}
    log(f"nbb-xor {m['ratios']['xor_presentations']:.1f} / light {m['mean_cycles']:.1f} = {ours:.2f} "
        f"(paper {paper:.2f})")
    return m


def describe_ratios(cfg, metrics):
    r = metrics["ratios"]
    return {"summary": (f"not fitted: nbb-xor's count over the light's on the same reporting seeds is "
                        f"{r['xor_over_light']:.2f} (paper {XOR_PAPER}/{ml.PAPER['metrics']['mean_cycles']}"
                        f" = {r['paper_xor_over_light']:.2f}); lam cancels"),
            "table": {"columns": ["quantity", "ours", "paper"], "rows": [
                ["nbb-xor: mean presentations, 3 hidden (fitted)", f"{r['xor_presentations']:.0f}",
                 f"{XOR_PAPER}"],
                ["nbb-moving-light: mean cycles (fitted)", f"{r['light_cycles']:.0f}",
                 f"{ml.PAPER['metrics']['mean_cycles']}"],
                ["ratio XOR / moving light (not fitted: lam cancels)", f"{r['xor_over_light']:.2f}",
                 f"{r['paper_xor_over_light']:.2f}"]]},
            "label": "mean training cycles (light sweeps) to a solution, over solved runs"}


def parse(argv):
    ap = argparse.ArgumentParser(prog="experiments_nbb_moving_light.py",
                                 description=__doc__.split("\n\n")[0])
    ap.error = ml.fail
    ap.add_argument("--ablation", action="store_true", help="sweep the readings of the rule")
    ap.add_argument("--ratios", action="store_true", help="the cross-stub check against nbb-xor")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--n-seeds", type=int, default=30, help="runs per reading")
    ap.add_argument("--results", default=None, metavar="PATH", help="write the run record to PATH")
    a = ap.parse_args(argv)
    if a.ablation == a.ratios:
        ml.fail("give exactly one of --ablation, --ratios")
    if a.seed < 0 or a.n_seeds < 1:
        ml.fail("--seed must be >= 0 and --n-seeds >= 1")
    if a.results is not None:
        ml.check_writable(a.results)
    return a


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    a = parse(argv)
    cfg = ml.make_config(seed=a.seed, n_seeds=a.n_seeds, sweep_only=True)
    t0 = time.time()
    log = lambda msg: print(f"[{time.time() - t0:6.1f} s] {msg}", flush=True)  # noqa: E731
    metrics = ablation_metrics(cfg, log) if a.ablation else ratio_metrics(cfg, log)
    rec = ml.run_record(cfg, metrics, " ".join(["python3", "nbb-moving-light/experiments_nbb_moving_light.py"]
                                               + argv), time.time() - t0,
                        describe_fn=describe_ablation if a.ablation else describe_ratios)
    if a.results:
        ml.write_json(a.results, rec)
        print(f"run record -> {a.results}")
    return rec


if __name__ == "__main__":
    main()
