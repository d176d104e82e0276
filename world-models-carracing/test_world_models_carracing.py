"""Tests for world_models_carracing: gradients, CMA-ES, environment, determinism, CLI."""
import dataclasses
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import world_models_carracing as W  # noqa: E402

TINY = dict(S=16, c1=3, c2=4, Z=3, H=4, K=2)


# ---- gradient checks (float64, small shapes) --------------------------------
def perturbed(params, rng, scale):
    return {k: v + scale * rng.standard_normal(v.shape) for k, v in params.items()}


@pytest.mark.parametrize("kl_floor", [0.0, 100.0])   # KL term active / clipped by the floor
def test_vae_gradient(numgrad, rel_error, kl_floor):
    rng = np.random.default_rng(0)
    p = perturbed(W.vae_init(TINY["S"], TINY["c1"], TINY["c2"], TINY["Z"], rng, np.float64), rng, 0.1)
    x = rng.random((3, 16, 16))
    eps = rng.standard_normal((3, TINY["Z"]))
    _, g, _ = W.vae_loss(p, x, eps, kl_floor)
    for k in p:
        num = numgrad(lambda: W.vae_loss(p, x, eps, kl_floor)[0], p[k], 1e-5)
        assert rel_error(g[k], num) < 1e-5, k


def test_mdn_rnn_gradient(numgrad, rel_error):
    rng = np.random.default_rng(1)
    p = perturbed(W.mdn_init(TINY["Z"], TINY["H"], TINY["K"], rng, np.float64), rng, 0.3)
    zs = rng.standard_normal((2, 6, TINY["Z"]))
    acts = rng.random((2, 5, 3))
    tiles = (rng.random((2, 5)) < 0.5).astype(float)
    mask = np.ones((2, 5), bool)
    mask[1, 3:] = False                                   # a finished episode inside the window
    _, g, _ = W.mdn_loss(p, zs, acts, tiles, mask, TINY["K"])
    for k in p:
        num = numgrad(lambda: W.mdn_loss(p, zs, acts, tiles, mask, TINY["K"])[0], p[k], 1e-5)
        assert rel_error(g[k], num) < 1e-5, k


def test_mdn_temperature_sampling():
    """tau -> 0 picks the most likely component's mean; mixture weights sum to one."""
    rng = np.random.default_rng(2)
    y = rng.standard_normal((4, 3 * 3 * 5 + 1))
    logpi, mu, ls, _ = W.mdn_split(y, 3, 5)
    assert np.allclose(np.exp(logpi).sum(-1), 1.0)
    z = W.mdn_sample(logpi, mu, ls, 1e-10, rng)
    best = np.take_along_axis(mu, logpi.argmax(-1)[..., None], -1)[..., 0]
    assert np.allclose(z, best, atol=1e-2)


# ---- CMA-ES -------------------------------------------------------------------
def run_cma(f, n, x0, gens, seed=0):
    es = W.CMAES(np.full(n, x0), 0.5, np.random.default_rng(seed))
    for _ in range(gens):
        X = es.ask()
        es.tell(X, np.array([f(x) for x in X]))
    return es


def test_cmaes_ellipsoid():
    n = 8
    scale = 10.0 ** (6 * np.arange(n) / (n - 1))       # condition number 1e6

    def f(x):
        return float((scale * (x - 1) ** 2).sum())

    es = run_cma(f, n, 3.0, 600)
    assert f(es.m) < 1e-10
    assert np.allclose(es.m, 1.0, atol=1e-4)


def test_cmaes_rosenbrock():
    def f(x):
        return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())

    es = run_cma(f, 5, 0.0, 800)
    assert f(es.m) < 1e-10
    assert np.allclose(es.m, 1.0, atol=1e-4)


# ---- environment invariants ------------------------------------------------------
def test_full_lap_pays_1000_and_ends():
    cfg = W.Config()
    tracks = W.make_tracks(cfg, np.random.default_rng(3), 5)
    env = W.Race(cfg, tracks, np.arange(5))
    tile_reward = np.zeros(5)
    for i in range(cfg.n_tiles):                       # drive through every tile centre
        env.pos = tracks["centres"][:, i].copy()
        env.vel[:] = 0
        tile_reward += env.step(np.zeros((5, 3))) + cfg.frame_penalty
    assert np.allclose(tile_reward, cfg.lap_reward)
    assert env.done.all() and env.visited.all()
    assert np.allclose(env.ret, cfg.lap_reward - cfg.frame_penalty * cfg.n_tiles)


def test_new_track_per_seed_and_closed_loop():
    cfg = W.Config()
    a = W.make_tracks(cfg, np.random.default_rng(0), 2)
    b = W.make_tracks(cfg, np.random.default_rng(0), 2)
    c = W.make_tracks(cfg, np.random.default_rng(1), 2)
    assert np.array_equal(a["road"], b["road"])
    assert not np.allclose(a["centres"][0], a["centres"][1])   # new track per episode
    assert not np.allclose(a["centres"], c["centres"])         # and per seed
    step = np.linalg.norm(np.diff(a["centres"], axis=1, append=a["centres"][:, :1]), axis=-1)
    assert step.max() < 2 * step.mean()                       # closed, evenly tiled loop


def test_velocity_is_not_visible_in_one_frame():
    """Same pose, different speeds: identical frames, different next positions (momentum)."""
    cfg = W.Config()
    tracks = W.make_tracks(cfg, np.random.default_rng(4), 1)
    env = W.Race(cfg, tracks, np.zeros(2, int))
    env.vel[1] = 1.5 * np.array([np.cos(env.theta[1]), np.sin(env.theta[1])])
    assert np.array_equal(env.render()[0], env.render()[1])
    env.step(np.zeros((2, 3)))                          # no gas: the moving car coasts on
    assert np.linalg.norm(env.pos[1] - env.pos[0]) > 1.0


# ---- the pipeline: determinism and a quick run that beats random -----------------------
QUICK = W.make_config(quick=True, seed=0, n_seeds=1)


@pytest.fixture(scope="module")
def quick_run():
    model, hist = W.train(QUICK)
    return model, hist, W.summarise(QUICK, model, hist)


def test_quick_run_evolved_controller_beats_random(quick_run):
    _, hist, m = quick_run
    h = hist["runs"][0]
    # the random policy scores about 90 here; evolved controllers score far more
    assert m["return_full"] > m["return_random"] + 100
    assert m["return_v_only"] > m["return_random"] + 250
    assert h["vae"]["rec"][-1] < 0.5 * h["vae"]["rec"][0]       # V learned to reconstruct
    assert h["mdn"]["nll"][-1] < h["mdn"]["nll"][0]              # M learned to predict
    assert m["n_runs"] == 1 and m["gain_full_over_v"] == pytest.approx(
        m["return_full"] - m["return_v_only"])


def test_record_verdict_and_tolerance(quick_run):
    """The record carries the catalog's verdict and a tolerance listing the seed means."""
    model, hist, m = quick_run
    rec = W.run_record(QUICK, m, "python3 x --results y", 1.0)
    assert rec["headline"]["metric"] == "gain_full_over_v"
    assert rec["headline"]["reproduces"] == "no"          # development seed: never "yes"
    assert set(rec["tolerance"]["metrics"]) == {"return_random", "return_v_only", "return_full"}
    lo, hi = m["gain_full_over_v_ci_lo"], m["gain_full_over_v_ci_hi"]
    assert lo <= m["gain_full_over_v"] <= hi            # the bootstrap interval holds the mean
    assert rec["tolerance"]["rel"] > 0 and rec["tolerance"]["basis"]


def test_determinism_and_shared_tracks():
    """Same seed twice: identical controllers and returns; two seeds are scored on the same
    tracks, so the random policy's returns do not depend on n_seeds."""
    cfg = W.make_config(quick=True, seed=3, n_seeds=2, n_rollouts=6, max_frames=40, vae_steps=10,
                        m_epochs=1, generations=2, dream_generations=1, n_eval=4)
    r1 = W.evaluate(W.train(cfg)[0], cfg)
    m2 = W.train(cfg)[0]
    r2 = W.evaluate(m2, cfg)
    assert all(np.array_equal(r1[k], r2[k]) for k in r1)
    one = W.evaluate({"runs": m2["runs"][:1]}, cfg)
    assert np.array_equal(one["random"], r1["random"])
    assert np.array_equal(one["full"][0], r1["full"][0])


# ---- command line ------------------------------------------------------------------
@pytest.mark.parametrize("args", [("--seed", "x"), ("--seed", "-1"), ("--generations", "-3"),
                                  ("--n-seeds", "0"), ("--pop-size", "2")])
def test_bad_cli_input(run_stub, tmp_path, args):
    out = tmp_path / "r.json"
    p = run_stub("world-models-carracing", *args, "--results", str(out))
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "error" in p.stderr
    assert p.stdout == ""                                 # before any work
    assert not out.exists()


def test_results_in_missing_folder(run_stub, tmp_path):
    out = tmp_path / "no" / "such" / "r.json"
    p = run_stub("world-models-carracing", "--quick", "--results", str(out))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert p.stdout == "" and not out.exists()


def test_untrained_m_row_keeps_initial_weights(quick_run):
    """The "V + random M" row reads an M at its random initialisation (its own stream)."""
    model, _, m = quick_run
    run = model["runs"][0]
    ref = W.mdn_init(QUICK.z_dim, QUICK.rnn_hidden, QUICK.n_mix,
                     W.seed_streams(run["seed"], W.STREAMS)["mdn_random"])
    assert all(np.array_equal(run["mdn_random"][k], ref[k]) for k in ref)
    assert not np.array_equal(run["mdn"]["Wx"], run["mdn_random"]["Wx"])
    assert np.isfinite(m["return_random_m"]) and np.isfinite(m["return_hidden"])


def test_hidden_layer_controller_is_equation():
    """act_hidden = the linear controller (4) on tanh(W_1 z + b_1); n_params counts its weights."""
    cfg = W.make_config(c_hidden=5)
    rng = np.random.default_rng(6)
    th = rng.standard_normal((2, W.n_params(cfg, "hidden")))
    z = rng.standard_normal((2, cfg.z_dim))
    Hc, Z = cfg.c_hidden, cfg.z_dim
    hid = np.tanh(np.stack([th[b, :Hc * Z].reshape(Hc, Z) @ z[b] for b in range(2)])
                  + th[:, Hc * Z:Hc * (Z + 1)])
    assert np.allclose(W.act_hidden(th, z, Hc), W.act(th[:, Hc * (Z + 1):], hid, Hc))
    assert th.shape[1] == Hc * (Z + 1) + 3 * (Hc + 1)


def test_grass_drag_slows_the_car():
    """Coasting one frame: a car on grass loses drag_grass of its speed, one on road drag_road."""
    cfg = W.Config()
    tracks = W.make_tracks(cfg, np.random.default_rng(7), 1)
    env = W.Race(cfg, tracks, np.zeros(2, int))
    env.pos[1] = [cfg.playfield - 2, cfg.playfield - 2]          # far outside every track
    assert env.on_road(env.pos[:, 0], env.pos[:, 1], env.tid).tolist() == [True, False]
    fwd = np.array([np.cos(env.theta[0]), np.sin(env.theta[0])])
    env.vel[:] = 2.0 * fwd
    env.theta[1] = env.theta[0]
    env.step(np.zeros((2, 3)))
    speed = np.linalg.norm(env.vel, axis=1)
    assert np.allclose(speed, 2.0 * (1 - np.array([cfg.drag_road, cfg.drag_grass])))
    assert cfg.drag_grass >= 10 * cfg.drag_road                  # grass punishes cutting corners


def test_traction_limit_caps_the_sideways_grip():
    """With a traction limit, at most `traction` of sideways speed is removed per frame."""
    cfg = W.make_config(traction=0.05)
    env = W.Race(cfg, W.make_tracks(cfg, np.random.default_rng(8), 1), np.zeros(2, int))
    left = np.array([-np.sin(env.theta[0]), np.cos(env.theta[0])])
    env.vel[0], env.vel[1] = 2.0 * left, 0.2 * left              # fast and slow slides
    env.step(np.zeros((2, 3)))
    lat = env.vel @ left
    assert np.allclose(lat, [2.0 - 0.05, 0.2 * (1 - cfg.grip_road)])


def test_privileged_features_are_what_they_claim():
    """At the start: zero speed, no offset, the next tile ahead (cos of its bearing > 0.5).
    Moving: the first two features are the speed along and across the heading; without
    velocity the same features minus those two."""
    import experiments_world_models_carracing as E
    cfg = W.Config()
    env = W.Race(cfg, W.make_tracks(cfg, np.random.default_rng(5), 3), np.arange(3))
    f = E.privileged_features(env, cfg.track_width, E.N_PRIV)
    assert f.shape == (3, E.N_PRIV) and np.allclose(f[:, :3], 0, atol=1e-9)
    assert np.all(f[:, 4] > 0.5)                            # the next tile lies ahead
    fwd = np.stack([np.cos(env.theta), np.sin(env.theta)], 1)
    env.vel = 1.5 * fwd + 0.4 * np.stack([-fwd[:, 1], fwd[:, 0]], 1)
    f = E.privileged_features(env, cfg.track_width, E.N_PRIV)
    assert np.allclose(f[:, 0], 1.5) and np.allclose(f[:, 1], 0.4)
    g = E.privileged_features(env, cfg.track_width, E.N_PRIV - 2, velocity=False)
    assert np.allclose(g, f[:, 2:])


def test_sampled_z_depends_on_the_noise_stream():
    """C reads z ~ N(mu, sigma^2): the same noise stream gives the same returns, another differs;
    with sample_z off the stream does not matter."""
    cfg = W.make_config(quick=True, max_frames=30)
    rng = np.random.default_rng(9)
    vae = W.vae_init(cfg.obs_size, cfg.vae_c1, cfg.vae_c2, cfg.z_dim, rng)
    vae["blv"][:] = 0.0                                     # sigma = 1: visible noise
    tracks = W.make_tracks(cfg, rng, 4)
    th = rng.standard_normal((4, W.n_params(cfg, "v")))
    run = lambda c, s: W.rollout(c, th, tracks, np.arange(4), vae, None, rng=np.random.default_rng(s))
    assert np.array_equal(run(cfg, 1), run(cfg, 1)) and not np.array_equal(run(cfg, 1), run(cfg, 2))
    off = dataclasses.replace(cfg, sample_z=False)
    assert np.array_equal(run(off, 1), run(off, 2))
