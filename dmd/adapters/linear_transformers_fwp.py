"""linear-transformers-fwp: one Adam step of Setting 2 for the sum and the
delta rule (rule_loss_and_grads + Adam.step), and one step of the Setting 1
retrieval with softmax attention vs a linear (DPFP-1) fast weight memory
(capacity_loss_and_grad + Adam.step)."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "linear-transformers-fwp"
KNOB = "S"
_N = {"sizes": (4, 8, 16), "size": 8}
VARIANTS = {
    "sum-rule": dict(_N, note="Setting 2, sum rule (Eq. 1); L = 2S pairs, "
                              "d_key = 2S, batch 4"),
    "delta-rule": dict(_N, note="Setting 2, delta rule (Eqs. 4-6)"),
    "softmax-attention": dict(_N, note="Setting 1 retrieval, softmax "
                                       "attention over L = S pairs"),
    "linear-dpfp1": dict(_N, note="Setting 1 retrieval, linear attention "
                                  "(sum-rule memory) with DPFP-1"),
}


def make(variant, size, batch_size=4):
    mod = load_stub(SLUG)
    S = int(size)
    cfg = mod.make_config(S=S, L=2 * S, d_key=2 * S, cap_d_key=2 * S,
                          batch_size=batch_size, n_seeds=1)
    rng = np.random.default_rng(0)
    hc = headline(SLUG).get("config", {})
    if variant in ("sum-rule", "delta-rule"):
        rule = variant.split("-")[0]
        params = mod.init_rule_params(cfg, rng)
        params["w_key"] = 0.1 * rng.normal(size=S)     # a trained-looking beta
        batch = mod.make_batch(rng, S, 2 * S, batch_size, replace=True)
        opt = mod.Adam(params, cfg)

        def step(st, bt):
            p = {k: st[k] for k in params}
            opt.m = {k: st["m." + k] for k in params}
            opt.v = {k: st["v." + k] for k in params}
            loss, grads = mod.rule_loss_and_grads(p, batch, rule, cfg)
            opt.step(p, grads, cfg.lr)
            st.update(p)
            st.update({"m." + k: opt.m[k] for k in params})
            st.update({"v." + k: opt.v[k] for k in params})
        steps, runs = hc.get("steps", cfg.steps), hc.get("n_seeds", 1)
        note = "Setting 2, %s rule, S=%d, L=%d, d_key=%d, batch %d; the " \
               "headline trains %s seeds x %s steps per rule" % (
                   rule, S, 2 * S, 2 * S, batch_size, runs, steps)
    else:
        method = "softmax" if variant.startswith("softmax") else "dpfp1"
        params = {"E": rng.normal(0.0, 1 / np.sqrt(2 * S), (S, 2 * S))}
        batch = mod.make_batch(rng, S, S, batch_size, replace=False)
        opt = mod.Adam(params, cfg)

        def step(st, bt):
            p = {"E": st["E"]}
            opt.m, opt.v = {"E": st["m.E"]}, {"E": st["v.E"]}
            _, dE = mod.capacity_loss_and_grad(p["E"], batch, method)
            opt.step(p, {"E": dE}, cfg.cap_lr)
            st.update({"E": p["E"], "m.E": opt.m["E"], "v.E": opt.v["E"]})
        steps, runs = hc.get("cap_steps", cfg.cap_steps), 1
        note = "Setting 1 (capacity), %s, S=L=%d, d_key=%d, batch %d; " \
               "cost to result = one (method, S) run of cap_steps" % (
                   method, S, 2 * S, batch_size)
    state = dict(params)
    state.update({"m." + k: np.zeros_like(v) for k, v in params.items()})
    state.update({"v." + k: np.zeros_like(v) for k, v in params.items()})
    # integer episodes (keys, values, queries) are addresses: constants
    return Step(fn=step, state=state, batch={}, steps=steps, runs=runs,
                files=(stub_path(SLUG),), note=note, at_headline=False)
