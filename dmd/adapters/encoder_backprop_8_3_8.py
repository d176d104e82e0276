"""encoder-backprop-8-3-8: one full-batch backprop sweep (forward, then the
generalized delta rule with momentum) of encoder_backprop_8_3_8.py."""
import math

import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "encoder-backprop-8-3-8"
KNOB = "n_patterns"
VARIANTS = {
    "backprop": {"sizes": (4, 8, 16), "size": 8,
                 "note": "forward + delta_rule_step on one net, all n_patterns "
                         "patterns per sweep; n_hidden = log2(n_patterns)"},
}


def make(variant, size):
    mod = load_stub(SLUG)
    n = int(size)
    H = max(1, int(round(math.log2(n))))
    cfg = mod.make_config(n_patterns=n, n_hidden=H, n_seeds=1)
    X1, T = mod.make_patterns(n)
    P = mod.init_batch([cfg.seed], 0, cfg.init_range, n, H)
    V = {k: np.zeros_like(v) for k, v in P.items()}
    state = {"P.W_hi": P["W_hi"], "P.W_oh": P["W_oh"],
             "V.W_hi": V["W_hi"], "V.W_oh": V["W_oh"]}

    def step(st, bt):
        P = {"W_hi": st["P.W_hi"], "W_oh": st["P.W_oh"]}
        V = {"W_hi": st["V.W_hi"], "W_oh": st["V.W_oh"]}
        h, o = mod.forward(P, bt["X1"])
        mod.delta_rule_step(P, V, bt["X1"], bt["T"], h, o, cfg.lr,
                            cfg.momentum, cfg.loss)
        st.update({"P.W_hi": P["W_hi"], "P.W_oh": P["W_oh"],
                   "V.W_hi": V["W_hi"], "V.W_oh": V["W_oh"]})

    hm = headline(SLUG).get("metrics", {})
    steps = hm.get("mean_epochs_spent_single")
    runs = hm.get("n_seeds", 1)
    return Step(fn=step, state=state, batch={"X1": X1, "T": T},
                steps=int(round(steps)) if steps else None, runs=runs,
                files=(stub_path(SLUG),),
                note="one net, %d-%d-%d, all %d patterns per sweep; the "
                     "headline trains %s nets for %s sweeps each on average "
                     "(single attempts)" % (n, H, n, n, runs, steps))
