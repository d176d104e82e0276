"""adding-problem: one weight update of the 1997 LSTM (forward over the
sequence, backward, optimiser step) with the paper's truncated gradient or
full BPTT, from adding_problem.py (forward, backward, Optimizer)."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "adding-problem"
KNOB = "T"
_N = {"sizes": (20, 50, 100), "size": 100}
VARIANTS = {
    "truncated-1997": dict(_N, note="the 1997 truncated gradient"),
    "full-bptt": dict(_N, note="exact BPTT"),
}


def make(variant, size, batch_size=1):
    mod = load_stub(SLUG)
    full = variant == "full-bptt"
    cfg = mod.make_config(T=int(size), batch_size=batch_size,
                          gradient="full" if full else "truncated")
    nb, k, kind, lag = mod.arch(cfg)
    rng = np.random.default_rng(0)
    params = mod.model_params(cfg, [rng])
    x, lengths, d = mod.stack_runs([mod.make_batch(rng, cfg.T,
                                                   batch_size)[:3]])
    opt = mod.Optimizer(params, cfg.optimizer, cfg.lr, cfg.adam_betas,
                        cfg.adam_eps)
    names = list(params)
    active = np.ones(1, bool)

    def step(st, bt):
        p = {k_: st[k_] for k_ in names}
        opt.m = {k_: st["m." + k_] for k_ in names}
        opt.v = {k_: st["v." + k_] for k_ in names}
        o, cache = mod.forward(p, bt["x"], lengths, nb, k, kind, lag)
        grads = mod.backward(p, cache, o, bt["d"], nb, k, kind, full)
        opt.step(p, grads, active)
        st.update(p)
        st.update({"m." + k_: opt.m[k_] for k_ in names})
        st.update({"v." + k_: opt.v[k_] for k_ in names})

    state = dict(params)
    state.update({"m." + k_: np.zeros_like(v) for k_, v in params.items()})
    state.update({"v." + k_: np.zeros_like(v) for k_, v in params.items()})
    hm = headline(SLUG).get("metrics", {})
    hc = headline(SLUG).get("config", {})
    seq = hm.get("sequences_to_criterion") or hm.get("mean_sequences")
    runs = hc.get("n_seeds", 1)
    steps = None
    if seq and hc.get("T") == int(size):
        # priced per update of batch_size sequences: steps = sequences / batch
        steps = int(round(seq / batch_size))
    return Step(fn=step, state=state, batch={"x": x, "d": d}, steps=steps,
                runs=runs, files=(stub_path(SLUG),),
                at_headline=hc.get("batch_size") == batch_size,
                note="one run, %d sequence(s) of length >= %d per update, "
                     "%s gradient, %s; the headline's batch is %s, so the "
                     "cost to result (per-sequence cost x %s sequences to "
                     "criterion x %s runs) leaves out the amortisation of "
                     "weight reads over the batch" % (
                         batch_size, cfg.T, "full" if full else "truncated",
                         cfg.optimizer, hc.get("batch_size"),
                         None if seq is None else int(round(seq)), runs))
