"""world-models-carracing: one training step of each of the three learners,
from world_models_carracing.py:

* V: one Adam step on the VAE loss (vae_loss + Adam.step) on a minibatch of
  frames; size knob obs_size;
* M: one Adam step on the MDN-RNN loss with BPTT over a window (mdn_loss +
  Adam.step with the gradient clip); size knob rnn_hidden;
* C: one CMA-ES generation (ask, fitness of every candidate in M's dream,
  tell); size knob rnn_hidden (C reads [z, h]).

All three are priced below the headline's sizes (small batches and windows)
so that each traces in seconds."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "world-models-carracing"
KNOB = "obs_size / rnn_hidden"
VARIANTS = {
    "V-vae": {"sizes": (8, 16, 32), "size": 16, "knob": "obs_size",
              "note": "VAE step, batch 4"},
    "M-mdn-rnn": {"sizes": (8, 16, 32), "size": 16, "knob": "rnn_hidden",
                  "note": "MDN-RNN step, 2 sequences x 8 steps"},
    "C-cma-es": {"sizes": (8, 16, 32), "size": 16, "knob": "rnn_hidden",
                 "note": "one CMA-ES generation in the dream, 2-frame dreams"},
}
_B, _L, _DREAM_T = 4, 8, 2
# CMA-ES's own linear algebra (ranking, eigendecomposition, norms) is bulk
EXPECTED_FALLBACKS = ("argsort", "eigh", "norm")


def _headline(key, default=None):
    hc = headline(SLUG).get("config", {})
    return hc.get(key, default)


def make(variant, size):
    mod = load_stub(SLUG)
    rng = np.random.default_rng(0)
    if variant == "V-vae":
        cfg = mod.make_config(obs_size=int(size), car_row=int(size) * 3 // 4)
        vae = mod.vae_init(cfg.obs_size, cfg.vae_c1, cfg.vae_c2, cfg.z_dim, rng)
        opt = mod.Adam(vae, cfg.vae_lr)
        x = rng.random((_B, cfg.obs_size, cfg.obs_size)).astype(np.float32)
        eps = rng.standard_normal((_B, cfg.z_dim)).astype(np.float32)
        kl_floor = cfg.kl_tolerance * cfg.z_dim
        names = list(vae)

        def step(st, bt):
            p = {k: st[k] for k in names}
            opt.m = {k: st["m." + k] for k in names}
            opt.v = {k: st["v." + k] for k in names}
            _, gr, _ = mod.vae_loss(p, bt["x"], bt["eps"], kl_floor)
            opt.step(p, gr)
            _store(st, p, opt, names)
        state = _with_moments(vae)
        steps = _headline("vae_steps", cfg.vae_steps)
        return Step(fn=step, state=state, batch={"x": x, "eps": eps},
                    steps=steps, runs=_headline("n_seeds", 1),
                    files=(stub_path(SLUG),), at_headline=False,
                    note="V: batch %d of %dx%d frames (headline batch %s), "
                         "z_dim %d; steps = vae_steps" % (
                             _B, cfg.obs_size, cfg.obs_size,
                             _headline("vae_batch"), cfg.z_dim))
    cfg = mod.make_config(rnn_hidden=int(size))
    Z, H, K = cfg.z_dim, cfg.rnn_hidden, cfg.n_mix
    mdn = mod.mdn_init(Z, H, K, rng)
    if variant == "M-mdn-rnn":
        opt = mod.Adam(mdn, cfg.m_lr)
        zs = rng.standard_normal((2, _L + 1, Z)).astype(np.float32)
        acts = rng.random((2, _L, 3)).astype(np.float32)
        tiles = (rng.random((2, _L)) < 0.3).astype(np.float32)
        mask = np.ones((2, _L), bool)
        names = list(mdn)

        def step(st, bt):
            p = {k: st[k] for k in names}
            opt.m = {k: st["m." + k] for k in names}
            opt.v = {k: st["v." + k] for k in names}
            _, gr, _ = mod.mdn_loss(p, bt["zs"], bt["acts"], bt["tiles"], mask,
                                    K)
            opt.step(p, gr, cfg.grad_clip)
            _store(st, p, opt, names)
        # Adam steps of M in the headline, at most: every rollout chunk valid
        ep, nr = _headline("m_epochs", cfg.m_epochs), _headline(
            "n_rollouts", cfg.n_rollouts)
        fr, sl = _headline("max_frames", cfg.max_frames), _headline(
            "seq_len", cfg.seq_len)
        mb = _headline("m_batch", cfg.m_batch)
        n_chunks = ep * -(-nr * -(-(fr - 1) // sl) // mb)
        return Step(fn=step, state=_with_moments(mdn),
                    batch={"zs": zs, "acts": acts, "tiles": tiles},
                    steps=n_chunks, runs=_headline("n_seeds", 1),
                    files=(stub_path(SLUG),), at_headline=False,
                    note="M: 2 sequences x %d steps (headline m_batch %s x "
                         "seq_len %s), H=%d; steps = m_epochs x chunks / "
                         "m_batch, an upper bound (every chunk valid)" % (
                             _L, _headline("m_batch"), _headline("seq_len"),
                             H))
    # C: one CMA-ES generation in M's dream
    n_feat = Z + H
    es = mod.CMAES(np.zeros(3 * (n_feat + 1)), cfg.sigma0, rng, cfg.pop_size)
    z0 = rng.standard_normal((8, Z)).astype(np.float32)
    fit = mod.dream_fitness(cfg, z0, mdn)
    keys = ("m", "C", "B", "D", "pc", "ps")

    def step(st, bt):
        for k in keys:
            setattr(es, k, st["es." + k])
        es.sigma = float(cfg.sigma0)
        X = es.ask()
        f = _dream(mod, cfg, X, st, z0, Z, K, rng)
        es.tell(X, -f)
        for k in keys:
            st["es." + k] = getattr(es, k)
    del fit
    state = {"es." + k: np.array(getattr(es, k), float) for k in keys}
    state.update({"M." + k: v for k, v in mdn.items()})
    return Step(fn=step, state=state, batch={},
                steps=_headline("dream_generations", cfg.dream_generations),
                runs=_headline("n_seeds", 1), files=(stub_path(SLUG),),
                at_headline=False,
                note="C: one generation, pop %d, 1 dream of %d frames per "
                     "candidate (headline: %s tracks x %s frames), features "
                     "%d; steps = dream_generations" % (
                         cfg.pop_size, _DREAM_T, _headline("n_tracks"),
                         _headline("max_frames"), n_feat))


def _dream(mod, cfg, X, st, z0, Z, K, rng):
    mdn = {k[2:]: v for k, v in st.items() if k.startswith("M.")}
    starts = z0[rng.integers(0, len(z0), len(X))]
    return mod.dream_rollout(X, starts, mdn, rng, cfg.dream_tau, _DREAM_T,
                             cfg.lap_reward / cfg.n_tiles, cfg.frame_penalty)


def _with_moments(p):
    st = dict(p)
    st.update({"m." + k: np.zeros_like(v) for k, v in p.items()})
    st.update({"v." + k: np.zeros_like(v) for k, v in p.items()})
    return st


def _store(st, p, opt, names):
    st.update(p)
    st.update({"m." + k: opt.m[k] for k in names})
    st.update({"v." + k: opt.v[k] for k in names})
