"""Shared by the two neural bucket brigade adapters: one training cycle
(present(..., learn=True): every tick's winner-take-all forward pass and
rule (3)-(4)) of one run."""
import numpy as np

from . import Step, headline, load_stub, stub_path


def make_nbb(slug, knob, size, pattern_key, n_classes, steps_key):
    mod = load_stub(slug)
    extra = {"ticks": int(size) + 1} if knob == "n_cells" else {}
    cfg = mod.make_config(**{knob: int(size)}, **extra)
    if slug == "nbb-xor":
        direct = getattr(cfg, "direct", not getattr(cfg, "no_direct", False))
        net = mod.build_net(cfg.n_hidden, cfg.n_subsets, direct)
    else:
        rec = getattr(cfg, "recurrent",
                      not getattr(cfg, "no_recurrence", False))
        net = mod.build_net(cfg.n_cells, rec)
    rule = mod.rule_of(cfg)
    rng = np.random.default_rng(0)
    W = rng.uniform(cfg.w_init_low, cfg.w_init_high, net["M"].shape)[None] * \
        net["M"]
    pats = np.array([1])                       # a pattern that gets rewarded

    def step(st, bt):
        st["W"] = mod.present(st["W"], pats, net, rule, rng, learn=True)["W"]

    hm = headline(slug).get("metrics", {})
    steps = hm.get(steps_key)
    runs = hm.get("n_seeds", 1)
    return Step(fn=step, state={"W": W}, batch={},
                steps=int(round(steps)) if steps else None, runs=runs,
                files=(stub_path(slug),),
                note="one run, one %d-tick training cycle, N=%d units (%s=%s);"
                     " the headline trains %s runs, %s cycles to solve on "
                     "average (%s)" % (cfg.ticks, net["N"], knob, size, runs,
                                       None if steps is None else
                                       round(steps, 1), steps_key))
