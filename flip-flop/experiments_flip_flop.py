"""Further experiments of flip-flop -> flip-flop/runs/*.json (the headline is flip_flop.py).

Each experiment is the headline configuration with a few fields changed, trained
and summarised by flip_flop.py's own train / summarise / run_record, on the
reporting seeds (Config.report_seeds):

  gradients    the headline seeds with the full and the truncated gradient side by side
  more_seeds   30 further reporting seeds, 30 runs in each regime
  lag_sweep    max lag L in LAGS X steps between A/B events, 10 seeds per regime and lag
  lag10_long   L = 10 with 2.5x the sweep's step budget
  lag30_long   L = 30 with about 6.7x the sweep's step budget

  python3 flip-flop/experiments_flip_flop.py gradients --results flip-flop/runs/gradients.json
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flip_flop as ff  # noqa: E402

LAGS = (1, 3, 10, 30, 100)             # the lag sweep's max lags L
LAG_RUNS = dict(n_seeds=10, n_seeds_sequential=10)
EXPERIMENTS = {                        # name -> Config fields changed from the headline
    "gradients": dict(variant="both"),
    "more_seeds": dict(seed=10030, n_seeds=30, n_seeds_sequential=30),
    "lag_sweep": dict(steps=60000, model_steps=20000, **LAG_RUNS),
    "lag10_long": dict(max_lag=10, steps=150000, model_steps=50000, **LAG_RUNS),
    "lag30_long": dict(max_lag=30, steps=400000, model_steps=130000, **LAG_RUNS),
}


def lag_sweep(cfg, lags=LAGS, log=None):
    """Both regimes, full gradient, every lag: solved fraction and test accuracy per lag."""
    runs = ff.run_table(cfg, lags=list(lags))
    params, hist = ff.train_runs(cfg, runs, log=log)
    ev = ff.test_runs(params, runs, cfg)
    sweep = {"lags": list(lags), "n_per_lag": cfg.n_seeds}
    for regime in ("sequential", "parallel"):
        sel = [(runs["lag"] == lag) & (runs["regime"] == regime) for lag in lags]
        sweep["solved_" + regime] = [float(ev["solved"][s].mean()) for s in sel]
        sweep["test_accuracy_" + regime] = [float(ev["test_accuracy"][s].mean()) for s in sel]
    sweep["ab_events_per_run"] = [float(hist["ab_events"][runs["lag"] == lag].mean())
                                  for lag in lags]
    worst = int(np.argmin(sweep["solved_parallel"]))
    return {"solved_parallel": sweep["solved_parallel"][worst], "n_runs": cfg.n_seeds,
            "solved_parallel_std": None, "worst_lag": lags[worst], "variant": "full",
            "variants": {}, "lag_sweep": sweep}


def lag_sweep_record(cfg, metrics, command, wall):
    """The run record of a lag sweep: flip_flop's record with the sweep's table and words."""
    rec = ff.run_record(cfg, metrics, command, wall)
    sw, n = metrics["lag_sweep"], metrics["lag_sweep"]["n_per_lag"]
    rows = [[str(lag), f"{round(s * n)}/{n}", f"{round(p * n)}/{n}", f"{a:.3f}", f"{b:.3f}"]
            for lag, s, p, a, b in zip(sw["lags"], sw["solved_sequential"], sw["solved_parallel"],
                                       sw["test_accuracy_sequential"],
                                       sw["test_accuracy_parallel"])]
    rec["table"] = {"columns": ["max lag L", "sequential solved", "parallel solved",
                                "test acc (seq)", "test acc (par)"], "rows": rows}
    rec["headline"]["label"] = ("fraction of parallel runs that solve the latch at the "
                                "sweep's worst lag (the paper has no lagged version)")
    rec["headline"]["summary"] = "solved fraction by max lag " + ", ".join(
        f"L={lag}: {s:.0%} seq / {p:.0%} par"
        for lag, s, p in zip(sw["lags"], sw["solved_sequential"], sw["solved_parallel"]))
    return rec


def run(name, argv, results=None, log=None):
    """Train one named experiment and return its run record (written to `results`)."""
    cfg = ff.make_config(**EXPERIMENTS[name])
    command = " ".join(["python3", "flip-flop/experiments_flip_flop.py"] + list(argv))
    t0 = time.time()
    if name == "lag_sweep":
        rec = lag_sweep_record(cfg, lag_sweep(cfg, log=log), command, time.time() - t0)
    else:
        model, history = ff.train(cfg, log=log)
        rec = ff.run_record(cfg, ff.summarise(cfg, model, history), command, time.time() - t0)
    if name.startswith("lag"):             # the earlier catalog ran no lagged version
        rec["earlier_repro"], rec["headline"]["earlier"] = None, None
    rec["wallclock_s"] = round(time.time() - t0, 2)
    if results:
        ff.write_json(results, rec)
    return rec


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(prog="experiments_flip_flop.py",
                                 description=__doc__.split("\n")[0])
    ap.error = ff.fail
    ap.add_argument("name", choices=sorted(EXPERIMENTS), help="which experiment to run")
    ap.add_argument("--results", default=None, metavar="PATH", help="write the run record to PATH")
    a = ap.parse_args(argv)
    if a.results is not None:
        ff.check_writable(a.results)
    rec = run(a.name, argv, a.results, log=ff.Progress())
    h = rec["headline"]
    print(f"\n{h['summary']}\nwallclock {rec['wallclock_s']:.1f}s"
          + (f"; run record -> {a.results}" if a.results else ""))


if __name__ == "__main__":
    main()
