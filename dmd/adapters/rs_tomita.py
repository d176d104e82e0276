"""rs-tomita: one trial of random weight guessing (fits: the fully recurrent
net run over the training strings' prefix tree, dropped at its first
misclassification) of rs_tomita.py, grammar 1.  The drawn weights are what
the step reads; the training strings (symbols and tree indices) are
constants of the grammar; nothing persists across trials."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "rs-tomita"
KNOB = "units_a1"
VARIANTS = {"random-search": {"sizes": (2, 3, 5), "size": 3,
                              "note": "one guess on Tomita grammar 1 (A1)"}}


def make(variant, size, grammar=1):
    mod = load_stub(SLUG)
    N = int(size)
    cfg = mod.make_config(units_a1=N)
    strings, labels = mod.training_set(grammar, cfg.n_pos, cfg.n_neg)
    levels = mod.prefix_tree(strings)
    rng = np.random.default_rng(0)
    net = mod.draw_weights(rng, 1, N, cfg.weight_range)

    def step(st, bt):
        return mod.fits({"W": bt["W"], "u": bt["u"], "b": bt["b"]}, levels,
                        labels)

    cell = {}
    for c in headline(SLUG).get("metrics", {}).get("cells", {}).items() \
            if isinstance(headline(SLUG).get("metrics", {}).get("cells"),
                          dict) else []:
        cell[c[0]] = c[1]
    g = cell.get("g%d_A1" % grammar, {})
    steps = g.get("trials_mean")
    return Step(fn=step, state={}, batch=dict(net),
                steps=int(round(steps)) if steps else None,
                runs=g.get("searches", 1), files=(stub_path(SLUG),),
                at_headline=(N == cfg.units_a1 == 3),
                note="one trial, grammar %d, N=%d units, %d training strings;"
                     " steps = the g%d_A1 cell's mean trials" % (
                         grammar, N, len(strings), grammar))
