"""multiplication-problem: one weight update of the paper's rule on the 1997
LSTM (forward over one sequence, the truncated gradient or full BPTT, a plain
gradient-descent step) from multiplication_problem.py (forward, backward,
Optimizer)."""
import math

import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "multiplication-problem"
KNOB = "T"
_N = {"sizes": (20, 50, 100), "size": 100}
VARIANTS = {
    "truncated-1997": dict(_N, note="the 1997 truncated gradient (the paper's rule)"),
    "full-bptt": dict(_N, note="exact BPTT"),
}


def make(variant, size):
    mod = load_stub(SLUG)
    full = variant == "full-bptt"
    cfg = mod.make_config(T=int(size), gradient="full" if full else "truncated")
    nb, k, kind, lag = mod.arch(cfg)
    rng = np.random.default_rng(0)
    params = mod.model_params(cfg, [rng])
    x, lengths, d = mod.stack_runs([mod.make_batch(rng, cfg.T, cfg.batch_size)[:3]])
    opt = mod.Optimizer(params, cfg.optimizer, cfg.lr)
    active = np.ones(1, bool)

    def step(st, bt):
        o, cache = mod.forward(st, bt["x"], lengths, nb, k, kind, lag)
        grads = mod.backward(st, cache, o, bt["d"], nb, k, kind, full)
        opt.step(st, grads, active)

    hm = headline(SLUG).get("metrics", {})
    hc = headline(SLUG).get("config", {})
    seq = hm.get("sequences_to_criterion")
    if seq is None or (isinstance(seq, float) and math.isnan(seq)):
        seq = hc.get("max_sequences")      # no run met the stopping rule: the headline's budget
    steps = int(seq) if seq and hc.get("T") == int(size) else None
    return Step(fn=step, state=dict(params), batch={"x": x, "d": d}, steps=steps,
                runs=hc.get("n_seeds", 1), files=(stub_path(SLUG),), at_headline=True,
                note="one run, one sequence of length >= %d per update (the paper's online "
                     "rule), %s gradient, plain gradient descent; steps to result are the "
                     "headline's sequences per run (its budget when no run met the stopping "
                     "rule)" % (cfg.T, "full" if full else "truncated"))
