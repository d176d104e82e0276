"""rs-two-sequence: one trial of random weight guessing (passes_all: the
staged check on the training sequences) of rs_two_sequence.py.  The drawn
weights and the training set are what the step reads; nothing persists."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "rs-two-sequence"
KNOB = "lag"
VARIANTS = {"random-search": {"sizes": (50, 100, 500), "size": 500,
                              "note": "one guess of the A1 net's weights"}}


def make(variant, size):
    mod = load_stub(SLUG)
    cfg = mod.make_config(lag=int(size))
    rng = np.random.default_rng(0)
    x, L, tg = mod.make_sequences(rng, cfg.n_train, cfg.lag, cfg.len_spread,
                                  cfg.noise_var)
    W = mod.sample_weights(rng, 1, cfg.n_hidden + 1, cfg.w_max,
                           getattr(cfg, "arch", "A1") == "A1b")
    idx = np.zeros(1, np.int64)

    def step(st, bt):
        data = [{"train": (bt["x"], bt["L"], bt["tg"])}]
        return mod.passes_all(bt["W"], idx, data, cfg.err_max)

    hm = headline(SLUG).get("metrics", {})
    steps = hm.get("mean_trials")
    runs = hm.get("n_runs", hm.get("n_seeds", 1))
    return Step(fn=step, state={}, batch={"W": W, "x": x, "L": L, "tg": tg},
                steps=int(round(steps)) if steps else None, runs=runs,
                files=(stub_path(SLUG),), at_headline=(cfg.lag == 500),
                note="one trial, sequences of %d-%d steps, %d units; the "
                     "headline's %s searches need %s trials on average" % (
                         cfg.lag, cfg.lag + int(round(cfg.lag *
                                                      cfg.len_spread)),
                         cfg.n_hidden + 1, runs, steps))
