"""flip-flop: one online step of C, the environment and M with the RTRL
recursions and both weight updates (learn_window over one step of
flip_flop.py), with C's full gradient (through M's recurrence and the pain
loop) or the truncated one (one-step Jacobian).  The stub has no BPTT
learner, so there is no BPTT entry."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "flip-flop"
KNOB = "n_m"
_N = {"sizes": (4, 8, 16), "size": 8}
VARIANTS = {
    "rtrl-full": dict(_N, note="RTRL, C's full gradient through M"),
    "rtrl-truncated": dict(_N, note="RTRL, C's truncated gradient"),
}


def make(variant, size):
    mod = load_stub(SLUG)
    cfg = mod.make_config(n_m=int(size))
    S = 1
    rng = np.random.default_rng(0)
    params = mod.init_params(rng, S, cfg.n_c, cfg.n_m, cfg.init_scale)
    params = {k: v.astype(cfg.dtype) for k, v in params.items()}
    st0 = mod.init_state(S, cfg.n_c, cfg.n_m, cfg.dtype)
    # a warm state: a few steps of the stub's own dynamics
    events = mod.make_events(rng, S, 8, cfg.p_event, cfg.max_lag)
    xin, dd = mod.stream_inputs(events, cfg.dtype)
    eps = rng.standard_normal((8, S)).astype(cfg.dtype)
    act = rng.random((8, S)).astype(cfg.dtype)
    seq = np.zeros(S, bool)
    lw = mod.phase_rates(cfg, seq)
    trunc = variant == "rtrl-truncated"
    keep = np.zeros((S, 1, 1), cfg.dtype) if trunc else None
    p = {k: v.copy() for k, v in params.items()}
    st0, _ = mod.learn_window(cfg, p, st0, xin[:7], dd[:7], eps[:7], act[:7],
                              lw, keep, cfg.model_steps)
    names_p, names_s = list(p), list(st0)
    state = {**{"w." + k: v for k, v in p.items()},
             **{"s." + k: v for k, v in st0.items()}}

    def step(stt, bt):
        pp = {k: stt["w." + k] for k in names_p}
        ss = {k: stt["s." + k] for k in names_s}
        kp = keep if keep is None else bt["keep"]
        new, _ = mod.learn_window(cfg, pp, ss, bt["x"], bt["d"], bt["eps"],
                                  bt["act"], lw, kp, cfg.model_steps)
        stt.update({"w." + k: pp[k] for k in names_p})
        stt.update({"s." + k: new[k] for k in names_s})

    batch = {"x": xin[7:], "d": dd[7:], "eps": eps[7:], "act": act[7:]}
    if trunc:
        batch["keep"] = keep
    hm = headline(SLUG).get("metrics", {})
    steps = hm.get("mean_steps_parallel")
    runs = hm.get("n_parallel", 1)
    return Step(fn=step, state=state, batch=batch,
                steps=int(round(steps)) if steps else None, runs=runs,
                files=(stub_path(SLUG),),
                note="one run, parallel regime, n_C=%d, n_M=%d, %s; the "
                     "headline's parallel runs stop after %s steps on "
                     "average (full gradient; the truncated variant is "
                     "priced over the same count)" % (
                         cfg.n_c, cfg.n_m, cfg.dtype, steps))
