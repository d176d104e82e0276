"""two-sequence-noise: one online weight update of the 1997 LSTM (forward over one
sequence, the truncated gradient, plain gradient descent), from two_sequence_noise.py
(forward, backward, sgd_step)."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "two-sequence-noise"
KNOB = "T"
VARIANTS = {
    "truncated-1997": {"sizes": (20, 50, 100), "size": 100,
                       "note": "the paper's online rule: 1 sequence per update, lr 1.0 (task 3a)"},
}


def make(variant, size):
    mod = load_stub(SLUG)
    cfg = mod.make_config(T=int(size), n_seeds=1)
    nb, k, lag = cfg.n_blocks, cfg.block_size, cfg.output_lag
    rng = np.random.default_rng(0)
    params = mod.model_params(cfg, [rng])
    x, lengths, d = mod.stack_runs([mod.make_batch(rng, mod.task(cfg), 1)[:3]])
    active = np.ones(1, bool)
    names = list(params)

    def step(st, bt):
        p = {n: st[n] for n in names}
        o, cache = mod.forward(p, bt["x"], lengths, nb, k, lag)
        mod.sgd_step(p, mod.backward(p, cache, o, bt["d"], nb, k), cfg.lr, active)
        st.update(p)

    hm, hc = headline(SLUG).get("metrics", {}), headline(SLUG).get("config", {})
    seq = hm.get("sequences_to_st2")
    steps = int(round(seq)) if seq and seq == seq and hc.get("T") == int(size) else None
    return Step(fn=step, state=dict(params), batch={"x": x, "d": d}, steps=steps,
                runs=hc.get("n_seeds", 1), files=(stub_path(SLUG),), at_headline=True,
                note="one run, one sequence of length >= %d per update (the paper's online "
                     "rule); cost to result = per-sequence cost x mean sequences to ST2 x runs"
                     % cfg.T)
