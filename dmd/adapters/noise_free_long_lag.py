"""noise-free-long-lag: one online weight update (forward over one sequence, the
gradient, the plain gradient step w <- w - lr dE/dw) of task 2a's LSTM (one cell,
one input gate, exact = truncated gradient) or of the paper's BPTT baseline net
(one self-recurrent unit), from noise_free_long_lag.py (judged_error, gradient)."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "noise-free-long-lag"
KNOB = "p"
_N = {"sizes": (10, 30, 100), "size": 100}
VARIANTS = {
    "lstm": dict(_N, note="task 2a LSTM: one memory cell + input gate, exact gradient"),
    "bptt": dict(_N, note="task 2a baseline: one self-recurrent unit, BPTT"),
}


def make(variant, size):
    mod = load_stub(SLUG)
    cfg = mod.make_config(task="a", p=int(size), model=variant, n_seeds=1)
    rng = np.random.default_rng(0)
    params = mod.model_params(cfg, [rng])
    seq, lengths, cls = mod.stack([mod.draw(cfg, rng, 1)])
    names = list(params)

    def step(st, bt):
        p = {k: st[k] for k in names}
        _, fw, _ = mod.judged_error(cfg, p, bt["seq"], None, None)
        g = mod.gradient(p, bt["seq"], fw)
        for k in names:
            st[k] = p[k] - cfg.lr * g[k]          # (7) w <- w - lr dE/dw

    rec = headline(SLUG)
    hm, hc = rec.get("metrics", {}), rec.get("config", {})
    per = hm.get("per_run") or []
    steps = None
    if per and hc.get("p") == int(size) and hc.get("model") == variant:
        steps = int(round(np.mean([r["sequences"] for r in per])))   # sequences one run spent
    return Step(fn=step, state=dict(params), batch={"seq": seq}, steps=steps,
                runs=hc.get("n_seeds", 1), files=(stub_path(SLUG),),
                at_headline=hc.get("model") == variant,
                consts={"seq": seq},
                note="one run, one sequence of p + 1 symbols per update (online); steps = "
                     "the mean number of training sequences the headline's runs spent "
                     "(to success or the budget)")
