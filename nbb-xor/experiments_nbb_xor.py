"""Ablation for nbb-xor: every reading of the transcription's rule, measured.

Each row changes one thing relative to the headline Config and trains the
3-hidden net on the same seeds; the stability probe trains a few readings to
3000 cycles each in search of the paper's stable solution. This is a
diagnostic: it runs on development seeds (0-19, where lam and eta were fitted),
never on the reporting block.

    python3 nbb-xor/experiments_nbb_xor.py --seed 0 --n-seeds 20 --results nbb-xor/runs/ablation.json
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nbb_xor as nx  # noqa: E402

ABLATION = [  # (row name, what changes relative to the headline Config, which ambiguity)
    ("headline", {}, "-"),
    ("earlier_headline", {"no_direct": True, "ext": "proportional", "lam_scale": 0.4, "eta_over_lam": 1.0},
     "the earlier reading: no input->output, Ext = eta c_ij, lam = eta = 0.0012"),
    ("no_direct", {"no_direct": True}, "architecture: no input -> output connections"),
    ("ext_proportional", {"ext": "proportional", "eta_over_lam": 1.0}, "Ext = eta c_ij, eta = lam"),
    ("ext_fixed", {"ext": "fixed", "eta_over_lam": 1.0}, "Ext: eta per tick split by contribution, eta = lam"),
    ("reward_last3", {"reward": "last"}, "reward timing: Ext only in the 3 test ticks"),
    ("reward_end", {"reward": "end"}, "reward timing: Ext only at the last tick"),
    ("denom_outgoing", {"denom": "outgoing"}, "denominator: sum over i's outgoing c_ik(t-1)"),
    ("denom_equal", {"denom": "equal"}, "denominator: even split over active incoming"),
    ("eta_half", {"eta_over_lam": 0.15}, "payoff size: eta halved (0.15 lam)"),
    ("eta_double", {"eta_over_lam": 0.6}, "payoff size: eta doubled (0.6 lam)"),
    ("tie_random", {"tie": "random"}, "tie-breaking: random among tied maxima"),
    ("count_all4", {"criterion": "all4"}, "counting: first weight state solving all four"),
    ("lam_half", {"lam_scale": 0.5}, "time scale: lam and eta halved"),
    ("lam_double", {"lam_scale": 2.0}, "time scale: lam and eta doubled"),
    ("init_0.5_1.5", {"w_init_low": 0.5, "w_init_high": 1.5}, "initial weights U(0.5, 1.5)"),
    ("init_0.999_1.001", {"w_init_low": 0.999, "w_init_high": 1.001},
     "initial weights U(0.999, 1.001) (cited by another reproduction; not verified here)"),
    ("init_0.999_1.001_lam/10", {"w_init_low": 0.999, "w_init_high": 1.001, "lam_scale": 0.1},
     "initial weights U(0.999, 1.001), lam and eta / 10"),
    ("init_0.999_1.001_lam/100", {"w_init_low": 0.999, "w_init_high": 1.001, "lam_scale": 0.01},
     "initial weights U(0.999, 1.001), lam and eta / 100"),
    ("learn_last3", {"learn_last_only": True}, "weights change only in the 3 test ticks"),
]

STABILITY_PROBE = [  # readings tried in search of the paper's stable solution (3000 cycles each)
    ("headline", {}, "-"),
    ("earlier_headline", {"no_direct": True, "ext": "proportional", "lam_scale": 0.4, "eta_over_lam": 1.0},
     "the earlier reading (no input->output, Ext = eta c_ij, lam = eta = 0.0012)"),
    ("ext_proportional", {"ext": "proportional", "eta_over_lam": 1.0}, "Ext = eta c_ij, eta = lam"),
    ("eta_half", {"eta_over_lam": 0.15}, "eta halved"),
    ("eta_double", {"eta_over_lam": 0.6}, "eta doubled"),
    ("reward_end", {"reward": "end"}, "Ext at the last tick only"),
    ("init_0.5_1.5", {"w_init_low": 0.5, "w_init_high": 1.5}, "initial weights U(0.5, 1.5)"),
    ("lam_5x", {"lam_scale": 5.0}, "lam and eta five times larger"),
    ("learn_last3", {"learn_last_only": True}, "weights change only in the 3 test ticks"),
]


def with_overrides(cfg, over):
    """Config with ablation overrides; eta follows lam unless eta_over_lam is given."""
    over = dict(over)
    lam = cfg.lam * over.pop("lam_scale", 1.0)
    eta = lam * over.pop("eta_over_lam", cfg.eta / cfg.lam)
    return dataclasses.replace(cfg, lam=lam, eta=eta, **over)


def ablation_metrics(cfg, log):
    """The headline row's metrics at the top level (the record's verdict reads them), rows nested."""
    rows, probe = {}, {}
    for name, over, what in ABLATION:
        c = with_overrides(cfg, over)
        h = nx.train_runs(c)[1]
        m = nx.count_metrics(h, c.criterion)
        rows[name] = dict(m, changes=what, train_s=round(float(h["train_s"]), 3),
                          train_cpu_s=round(float(h["cpu_s"]), 3))
        log(f"{name:16s} {m['n_solved']:2d}/{cfg.n_seeds} solved, mean {m['mean_presentations']}")
    for name, over, what in STABILITY_PROBE:
        c = dataclasses.replace(with_overrides(cfg, over), run_to_cap=True,
                                max_presentations=cfg.stability_cycles)
        s = nx.stability_metrics(nx.train_runs(c)[1], cfg.stability_cycles)
        probe[name] = dict(s, changes=what)
        log(f"stability {name:14s} all four {s['n_all4']:2d}/{cfg.n_seeds}, stable "
            f"{s['n_stable']:2d}/{cfg.n_seeds}")
    head = {k: v for k, v in rows["headline"].items() if k not in ("changes", "train_s", "train_cpu_s")}
    timing = {"3hidden_s": rows["headline"]["train_s"], "3hidden_cpu_s": rows["headline"]["train_cpu_s"]}
    return dict(head, n_runs=head["n_seeds"], ablation=rows, stability_probe=probe, timing=timing)


def describe_ablation(cfg, metrics):
    """Summary and table of the ablation record (run_record's describe_fn)."""
    return {"summary": (f"ablation on seeds {cfg.seed}-{cfg.seed + cfg.n_seeds - 1}: {len(ABLATION)} "
                        f"readings of the rule and {len(STABILITY_PROBE)} stability probes; headline "
                        f"reading {metrics['n_solved']}/{metrics['n_seeds']} solved, mean "
                        f"{nx.fmt_n(metrics['mean_presentations'])} presentations"),
            "table": table(metrics),
            "label": "mean training presentations to an XOR solution (3 hidden units), over solved runs"}


def table(metrics):
    fmt = nx.fmt_n
    rows = [[k, v["changes"], f"{v['n_solved']}/{v['n_seeds']}", fmt(v["mean_presentations"]),
             fmt(v["median_presentations"])] for k, v in metrics["ablation"].items()]
    for k, v in metrics["stability_probe"].items():
        rows.append([f"stability probe: {k}", v["changes"],
                     f"all four at once {v['n_all4']}/{v['n_seeds']}, stable "
                     f"{v['n_stable']}/{v['n_seeds']} (in {v['cycles']})",
                     f"accuracy {v['mean_accuracy_last_third']:.2f}", "-"])
    return {"columns": ["reading", "what changes", "solved", "mean presentations", "median"],
            "rows": rows}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(prog="experiments_nbb_xor.py", description=__doc__.split("\n\n")[0])
    ap.error = nx.fail
    ap.add_argument("--seed", type=int, default=0, help="first seed (development block: < 10000)")
    ap.add_argument("--n-seeds", type=int, default=20, help="runs per reading")
    ap.add_argument("--results", default=None, metavar="PATH", help="write the run record to PATH")
    a = ap.parse_args(argv)
    if a.seed < 0 or a.n_seeds < 1:
        nx.fail("--seed must be >= 0 and --n-seeds >= 1")
    if a.results is not None:
        nx.check_writable(a.results)
    cfg = nx.make_config(seed=a.seed, n_seeds=a.n_seeds, sweep_only=True)
    t0 = time.time()
    metrics = ablation_metrics(cfg, lambda msg: print(f"[{time.time() - t0:6.1f} s] {msg}", flush=True))
    rec = nx.run_record(cfg, metrics, " ".join(["python3", "nbb-xor/experiments_nbb_xor.py"] + argv),
                        time.time() - t0, describe_fn=describe_ablation)
    if a.results:
        nx.write_json(a.results, rec)
        print(f"run record -> {a.results}")
    return rec


if __name__ == "__main__":
    main()
