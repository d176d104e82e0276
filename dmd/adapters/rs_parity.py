"""rs-parity: one trial of random weight guessing (accept: the screen on the
first `screen` training sequences, then all of them for a survivor) of
rs_parity.py.  The drawn weights and the training set are what the step
reads; nothing persists across trials."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "rs-parity"
KNOB = "len_min"
VARIANTS = {"random-search": {"sizes": (50, 100, 500), "size": 500,
                              "note": "one guess of the A2 net's weights, "
                                      "judged on the training sequences"},
            "random-search-A1": {"sizes": (50, 100, 500), "size": 500,
                                 "note": "the paper's A1 (fully connected, "
                                         "n=1), runs/a1_n1.json"}}
EXPECTED_FALLBACKS = ("nonzero",)   # which candidates survived the screen


def make(variant, size):
    mod = load_stub(SLUG)
    L = int(size)
    a1 = variant.endswith("A1")
    extra = dict(arch="A1", n_hidden=1) if a1 else {}
    cfg = mod.make_config(len_min=L, len_max=L + L // 5, **extra)
    rng = np.random.default_rng(0)
    X, Ls, y = mod.parity_data(rng, cfg.n_train, cfg.len_min, cfg.len_max)
    P = mod.n_params(cfg.n_hidden, cfg.self_connections,
                     getattr(cfg, "arch", "A2"))
    W = rng.uniform(-cfg.weight_range, cfg.weight_range, size=(1, 1, P))

    def step(st, bt):
        return mod.accept(bt["W"], {"X": bt["X"], "L": bt["L"], "y": bt["y"]},
                          cfg)

    hm = headline(SLUG).get("metrics", {})
    if a1:
        import json
        import os
        from . import ROOT
        try:
            with open(os.path.join(ROOT, SLUG, "runs", "a1_n1.json")) as f:
                hm = json.load(f).get("metrics", {})
        except (OSError, ValueError):
            hm = {}
    steps = hm.get("mean_trials")
    runs = hm.get("n_runs", 1)
    return Step(fn=step, state={}, batch={"W": W, "X": X[None], "L": Ls[None],
                                          "y": y[None]},
                steps=int(round(steps)) if steps else None, runs=runs,
                files=(stub_path(SLUG),), at_headline=(L == 500),
                note="one trial, sequences of %d-%d steps, H=%d; the "
                     "run record's %s searches need %s trials on average" % (
                         cfg.len_min, cfg.len_max, cfg.n_hidden, runs, steps))
