"""helmholtz-shifter: one wake-sleep update (wake phase on a minibatch, then
a sleep phase on as many fantasies) of helmholtz_shifter.py."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "helmholtz-shifter"
KNOB = "n_hidden"
VARIANTS = {
    "wake-sleep": {"sizes": (4, 8, 16), "size": 16,
                   "note": "wake_sleep_step, the paper's rule (K = 1)"},
}


def make(variant, size):
    mod = load_stub(SLUG)
    cfg = mod.make_config(n_hidden=int(size), n_seeds=1)
    rng = np.random.default_rng(0)
    V, H, T, B = 4 * cfg.width, cfg.n_hidden, cfg.n_top, cfg.batch_size
    P = mod.init_params([rng], V, H, T, cfg.init_std, cfg.init_std_top,
                        cfg.bias_h0, cfg.bias_v0)
    u = rng.random((1, B, mod.n_uniforms(cfg.width, H, T, 1)))
    v, _ = mod.sample_shifter(u[..., :cfg.width + 1], cfg.p_on, cfg.width)

    def step(st, bt):
        mod.wake_sleep_step(st, bt["v"], bt["u"], cfg.lr_gen, cfg.lr_rec,
                            cfg.width)

    hc = headline(SLUG).get("config", {})
    steps, runs = hc.get("steps", cfg.steps), hc.get("n_seeds", 1)
    return Step(fn=step, state=P, batch={"v": v, "u": u}, steps=steps,
                runs=runs, files=(stub_path(SLUG),),
                note="one seed, batch %d, %d-%d-%d; the headline trains %s "
                     "seeds of %s steps" % (B, V, H, T, runs, steps))
