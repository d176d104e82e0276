"""The paper's other two no-noise parity architectures, with the same random search.

Schmidhuber & Hochreiter (1996) report that RG needs 2797 trials on average with
architecture A2 (10 hidden units, each seeing the input, the output and itself),
against 250 once the hidden self-connections are removed, and 2906 with A1, a
fully connected net with n = 1 hidden unit. This file runs the same search
(rs_parity.train, unchanged) on either net and writes its own run record,
compared with the paper's number under the same kind of rule as the headline:
  --arch A2 (default here): A2 with self-connections (self_connections forced on)
  --arch A1 --n-hidden 1:   A1, hidden units biased, output unbiased (the paper's text)

    python3 rs-parity/experiments_rs_parity.py --seed 10000 --n-seeds 30 --chunk 256 --results rs-parity/runs/a2_self_connections.json
    python3 rs-parity/experiments_rs_parity.py --arch A1 --n-hidden 1 --seed 10000 --n-seeds 30 --chunk 256 --results rs-parity/runs/a1_n1.json
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rs_parity as rp  # noqa: E402

PAPER_A1 = {
    "citation": rp.PAPER["citation"], "year": rp.PAPER["year"],
    "metrics": {"mean_trials": rp.PAPER["context"]["A1_n1_mean_trials"]},
    "runs": rp.PAPER["runs"],
    "source": "guessing paper, section 'Parity problem': 'RG with A1 (n=1, identical to Bengio et "
              "al.'s 1994 architecture) solves the problem within 2906 trials on average'. A1 "
              "(section 'Random guessing'; NIPS section 1): fully connected, 1 input, 1 output, n "
              "biased hidden units. runs=10 is our assumption",
}
PAPER_SELF = {
    "citation": rp.PAPER["citation"], "year": rp.PAPER["year"],
    "metrics": {"mean_trials": rp.PAPER["context"]["A2_mean_trials"]},
    "runs": rp.PAPER["runs"],
    "source": "guessing paper, section 'Parity problem': 'RG with A2 (no noise) solves it within "
              "2797 trials' (A2: 10 hidden units, each sees input, output and itself). The number "
              "of searches behind the mean is not stated: runs=10 is our assumption",
}


def describe(cfg, metrics):
    d = rp.describe(cfg, metrics)
    paper = (PAPER_A1 if cfg.arch == "A1" else PAPER_SELF)["metrics"]["mean_trials"]
    d["table"]["rows"][0][2] = f"{paper}"
    d["table"]["rows"] = d["table"]["rows"][:4]
    if cfg.arch == "A1":
        d["summary"] = (f"A1 (fully connected, n={cfg.n_hidden}): {metrics['n_solved']}/"
                        f"{metrics['n_runs']} searches succeed in {metrics['mean_trials']:.0f} "
                        f"trials on average (paper {paper})")
        return d
    d["summary"] = (f"with hidden self-connections (the paper's A2) {metrics['n_solved']}/"
                    f"{metrics['n_runs']} searches succeed in {metrics['mean_trials']:.0f} trials "
                    f"on average (paper {paper}); the paper gives "
                    f"{rp.PAPER['metrics']['mean_trials']} without them")
    return d


def main(argv=None):
    cfg, results = rp.parse_cli(argv)
    if cfg.arch == "A2":
        cfg = dataclasses.replace(cfg, self_connections=True)
    argv = sys.argv[1:] if argv is None else list(argv)
    t0 = time.time()
    model, history = rp.train(cfg, log=rp.Progress())
    metrics = rp.summarise(cfg, model, history)
    rp.save_run(cfg, model, history)
    command = " ".join(["python3", f"{rp.SLUG}/{os.path.basename(__file__)}"] + argv)
    paper = PAPER_A1 if cfg.arch == "A1" else PAPER_SELF
    rec = rp.run_record(cfg, metrics, command, time.time() - t0, paper=paper,
                        describe_fn=describe)
    print(f"\n{rec['headline']['summary']}\nreproduces: {rec['headline']['reproduces']}")
    if results:
        rp.write_json(results, rec)
        print(f"run record -> {results}")
    return rec


if __name__ == "__main__":
    main()
