"""bars: one wake-sleep step (wake phase, then sleep phase) of bars/bars.py."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "bars"
KNOB = "n_hidden"
VARIANTS = {
    "wake-sleep": {"sizes": (4, 8, 16), "size": 8,
                   "note": "wake_sleep_step on one seed, batch_size examples "
                           "and as many fantasies; n_hidden first-layer units"},
}


def make(variant, size, batch_size=None):
    mod = load_stub(SLUG)
    cfg = mod.make_config(n_hidden=int(size), n_seeds=1)
    B = batch_size or cfg.batch_size
    rng = np.random.default_rng(0)
    m = mod.init_model([rng], cfg)
    V, H, K = cfg.side ** 2, cfg.n_hidden, cfg.n_top
    v = mod.sample_bars(rng, B, cfg).reshape(1, B, V).astype(float)
    u = rng.random((1, B, 2 * H + 2 * K + V))

    def step(state, batch):
        mod.wake_sleep_step(state, batch["v"], batch["u"], cfg.lr_gen,
                            cfg.lr_rec, cfg.wake)

    hc = headline(SLUG).get("config", {})
    steps, runs = hc.get("steps", cfg.steps), hc.get("n_seeds", 1)
    return Step(fn=step, state=m, batch={"v": v, "u": u}, steps=steps,
                runs=runs, files=(stub_path(SLUG),),
                note="one seed, batch %d; the headline trains %d seeds of %d "
                     "steps" % (B, runs, steps))
