"""temporal-order-4bit: one online weight update of the 1997 LSTM (forward over one
sequence, the truncated gradient, plain gradient descent), from temporal_order_4bit.py
(forward, backward, sgd_step)."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "temporal-order-4bit"
KNOB = "block_size"
VARIANTS = {
    "truncated-1997": {"sizes": (1, 2, 4), "size": 2,
                       "note": "the paper's online rule: 1 sequence per update, the truncated gradient"},
}


def make(variant, size):
    mod = load_stub(SLUG)
    cfg = mod.make_config(block_size=int(size), n_seeds=1)
    nb, k, lag = mod.arch(cfg)
    rng = np.random.default_rng(0)
    params = mod.model_params(cfg, [rng])
    src = mod.sequence_source(rng, cfg.T, cfg.len_extra, cfg.windows)
    x, lengths, d = mod.stack_runs([next(src)], 1 << len(cfg.windows))
    active = np.ones(1, bool)
    names = list(params)

    def step(st, bt):
        p = {n: st[n] for n in names}
        o, cache = mod.forward(p, bt["x"], lengths, nb, k, lag)
        mod.sgd_step(p, mod.backward(p, cache, o, bt["d"], nb, k), cfg.lr, active)
        st.update(p)

    hm, hc = headline(SLUG).get("metrics", {}), headline(SLUG).get("config", {})
    seq = hm.get("sequences_to_criterion")
    at = hc.get("block_size") == int(size)
    steps = int(round(seq)) if seq and seq == seq and at else None
    return Step(fn=step, state=dict(params), batch={"x": x, "d": d}, steps=steps,
                runs=hc.get("n_seeds", 1), files=(stub_path(SLUG),), at_headline=at,
                note="one trial, one sequence of length >= %d per update (the paper's online "
                     "rule); cost to result = per-sequence cost x mean sequences to the "
                     "stopping rule x trials" % cfg.T)
