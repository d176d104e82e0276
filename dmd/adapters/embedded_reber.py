"""embedded-reber: one training string of the 1997 LSTM on the embedded Reber
grammar, from embedded_reber.py: the paper's real-time rule (realtime_string:
forward-accumulated truncated derivatives, weights changed after every time
step) and the once-per-string rule (forward + backward + one update)."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "embedded-reber"
KNOB = "n_blocks"
_N = {"sizes": (2, 3, 4), "size": 3}
VARIANTS = {
    "realtime-1997": dict(_N, note="weights change after every time step (Appendix A.1)"),
    "per-string": dict(_N, note="one update per string from the summed truncated gradient"),
}


def make(variant, size):
    mod = load_stub(SLUG)
    cfg = mod.make_config(n_blocks=int(size), block_size=2, n_seeds=1,
                          update="step" if variant == "realtime-1997" else "sequence")
    nb, k = cfg.n_blocks, cfg.block_size
    params = mod.model_params(cfg, [np.random.default_rng(0)])
    sets = mod.make_sets(np.random.default_rng(1), 8, 8)
    data = mod.stacked([sets], "train")
    X, D, mask = mod.train_batch(data, np.array([0]), np.array([1]), cfg.targets)
    names = list(params)

    def step(st, bt):
        p = {n: st[n] for n in names}
        if variant == "realtime-1997":
            mod.realtime_string(p, bt["X"], bt["D"], bt["mask"], nb, k, cfg.lr)
        else:
            O, cache = mod.forward(p, bt["X"], nb, k)
            g = mod.backward(p, cache, O, bt["D"], bt["mask"], nb, k)
            for n in names:
                p[n] = p[n] - cfg.lr * g[n]
        st.update(p)

    hm = headline(SLUG).get("metrics", {})
    hc = headline(SLUG).get("config", {})
    seq = hm.get("mean_sequences")
    same = hc.get("n_blocks") == int(size) and hc.get("block_size") == 2
    return Step(fn=step, state=dict(params), batch={"X": X, "D": D, "mask": mask},
                steps=int(round(seq)) if seq and seq == seq and same else None,
                runs=hc.get("n_seeds", 1), files=(stub_path(SLUG),),
                at_headline=same and hc.get("update") == ("step" if variant == "realtime-1997"
                                                          else "sequence"),
                note="one trial, one training string (length %d) per step, %s; the cost to "
                     "result is the per-string cost x the mean strings to success of the "
                     "solved trials x the trials" % (X.shape[0], VARIANTS[variant]["note"]))
