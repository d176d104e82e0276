"""Tests for helmholtz_shifter.py: data statistics, the likelihood estimators,
the wake/sleep delta rules as exact gradients, determinism, a quick run that
learns, and the CLI's error handling."""
import itertools
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helmholtz_shifter as hs  # noqa: E402

LOG2 = np.log(2.0)


def tiny_params(V=6, H=3, T=2, scale=1.5, seed=0):
    rng = np.random.default_rng(seed)
    g = lambda *s: scale * rng.standard_normal(s)
    return {"W_hv": g(H, V), "b_v": g(1, V), "W_th": g(T, H), "b_h": g(1, H),
            "b_t": g(1, T), "R_vh": g(V, H), "c_h": g(1, H), "R_ht": g(H, T),
            "c_t": g(1, T)}


# ---------------------------------------------------------------- data
def test_sampler_statistics():
    rng = np.random.default_rng(1)
    v, d = hs.sample_shifter(rng.random((40000, 9)), 0.2, 8)
    img = v.reshape(-1, 4, 8)
    assert np.array_equal(img[:, 0], img[:, 1]) and np.array_equal(img[:, 2], img[:, 3])
    right = d == 1
    assert np.array_equal(img[right, 2], np.roll(img[right, 0], 1, axis=1))
    assert np.array_equal(img[~right, 2], np.roll(img[~right, 0], -1, axis=1))
    assert abs(right.mean() - 0.5) < 0.01
    assert np.all(np.abs(img[:, 0].mean(0) - 0.2) < 0.01)
    # pixels of the top row are independent
    c = np.corrcoef(img[:, 0].T)[np.triu_indices(8, 1)]
    assert np.max(np.abs(c)) < 0.03


def test_support_and_entropy_are_exact():
    p_on = 0.2
    sup, p, p_right = hs.data_support(p_on, 8)
    assert abs(p.sum() - 1) < 1e-12 and len(np.unique(sup, axis=0)) == len(sup)
    # 4 rows (blank, full, 0101.., 1010..) give the same image for both shifts
    assert len(sup) == 2 * 256 - 4
    hb = -(p_on * np.log2(p_on) + (1 - p_on) * np.log2(1 - p_on))
    amb = (1 - p_on) ** 8 + p_on ** 8 + 2 * (p_on * (1 - p_on)) ** 4
    # H(v) = H(row) + H(direction) - P(ambiguous row) * 1 bit
    assert abs(hs.entropy_bits(p) - (8 * hb + 1 - amb)) < 1e-12
    ok = hs.identifiable(sup, 8)
    assert np.all(p_right[~ok] == 0.5) and np.all((p_right[ok] == 0) | (p_right[ok] == 1))


def test_hand_built_net_reaches_the_entropy_floor():
    """Sampler, support, entropy and exact NLL agree: a net wired as the true
    generative process scores H(p_data) (to within its sigmoid saturation)."""
    cfg = hs.Config()
    sup, p, _ = hs.data_support(cfg.p_on, cfg.width)
    nll = -(p * hs.exact_log_likelihood(hs.ideal_params(cfg.width, cfg.p_on, gain=15.0),
                                        sup)).sum() / LOG2
    assert 0 <= nll - hs.entropy_bits(p) < 1e-3
    # and its fantasies are legal images in the right proportions
    rng = np.random.default_rng(0)
    q = hs.ideal_params(cfg.width, cfg.p_on, gain=15.0)
    t, h, v = hs.generate_sample(q, rng.random((20000, 1)), rng.random((20000, 16)),
                                 rng.random((20000, 32)))
    legal = {x.tobytes() for x in sup}
    assert all(x.tobytes() in legal for x in v)
    assert abs(v[:, :8].mean() - cfg.p_on) < 0.01


def test_field_classifier_finds_the_hand_built_pair_detectors():
    """The read-out the verdict reports: every unit of the hand-built net is a shifted-pair
    detector, 8 per direction; a net with no weights has only unused units."""
    cfg = hs.Config()
    kinds = [q["kind"] for q in hs.pair_detectors(hs.ideal_params(cfg.width, cfg.p_on),
                                                   cfg.width, cfg.field_thresh)]
    assert kinds.count("right") == 8 and kinds.count("left") == 8
    zero = {k: 0 * x for k, x in hs.ideal_params(cfg.width, cfg.p_on).items()}
    assert {q["kind"] for q in hs.pair_detectors(zero, cfg.width, cfg.field_thresh)} == {"unused"}


def test_a_top_unit_that_copies_the_direction_separates_it():
    """direction_metrics: a layer-3 unit wired to the direction reads out perfectly on
    identifiable images; one that ignores the image is at chance."""
    W, rng = 8, np.random.default_rng(5)
    p = hs.ideal_params(W, 0.2)
    # recognition: unit j sees its pair (upper i, lower i+-1); t sums right minus left pairs
    p["R_vh"] = (p["W_hv"] > 0).T * 10.0
    p["c_h"] = np.full((1, 2 * W), -35.0)                  # on only when all 4 pixels are on
    p["R_ht"] = np.concatenate([np.full(W, 10.0), np.full(W, -10.0)])[:, None]
    good = hs.direction_metrics(p, W, 0.2, 2000, rng)
    assert good["top_unit_best_acc"] == 1.0 and good["direction_recovery"] == 1.0
    p["R_ht"] = 0 * p["R_ht"]
    assert hs.direction_metrics(p, W, 0.2, 2000, rng)["top_unit_best_acc"] < 0.6


# ---------------------------------------------------------------- likelihoods
def brute_force_log_p(p, v):
    """log p(v) by a plain loop over all (t, h)."""
    T, H = p["W_th"].shape
    tot = 0.0
    for t in itertools.product([0, 1], repeat=T):
        t = np.array(t, float)
        pt = np.prod(np.where(t == 1, hs.sigmoid(p["b_t"][0]), 1 - hs.sigmoid(p["b_t"][0])))
        for h in itertools.product([0, 1], repeat=H):
            h = np.array(h, float)
            ph_ = hs.sigmoid(t @ p["W_th"] + p["b_h"][0])
            pv_ = hs.sigmoid(h @ p["W_hv"] + p["b_v"][0])
            tot += (pt * np.prod(np.where(h == 1, ph_, 1 - ph_))
                    * np.prod(np.where(v == 1, pv_, 1 - pv_)))
    return np.log(tot)


def test_exact_nll_matches_brute_force_and_normalises():
    p = tiny_params()
    vs = hs.all_states(6)
    ex = hs.exact_log_likelihood(p, vs, chunk=4)     # several chunks
    assert abs(np.exp(ex).sum() - 1) < 1e-12
    bf = np.array([brute_force_log_p(p, v) for v in vs[::7]])
    assert np.max(np.abs(ex[::7] - bf)) < 1e-10


def test_importance_sampled_nll_agrees_with_exact():
    p = tiny_params(scale=1.0)
    for k in ("R_vh", "c_h", "R_ht", "c_t"):      # a broad proposal q, far from the posterior
        p[k] *= 0.3
    vs = hs.all_states(6)[::9]
    ex = hs.exact_log_likelihood(p, vs)
    est = hs.is_log_likelihood(p, vs, 200000, np.random.default_rng(0), chunk=1)
    assert np.max(np.abs(est - ex)) < 0.03             # nats
    # with one sample it is the (noisy) ELBO: below log p(v) on average
    one = np.mean([hs.is_log_likelihood(p, vs, 1, np.random.default_rng(s)) for s in range(200)], 0)
    assert np.all(one < ex + 0.05) and np.mean(ex - one) > 0.05


# ---------------------------------------------------------------- learning rules
def test_wake_and_sleep_rules_are_exact_gradients(numgrad, rel_error):
    p = tiny_params(seed=3)
    rng = np.random.default_rng(4)
    B = 5
    v = (rng.random((B, 6)) < 0.5).astype(float)
    h = (rng.random((B, 3)) < 0.5).astype(float)
    t = (rng.random((B, 2)) < 0.5).astype(float)
    wake, sleep = hs.wake_deltas(p, v, h, t), hs.sleep_deltas(p, v, h, t)
    for k, d in wake.items():
        g = numgrad(lambda: hs.log_joint(p, v, h, t).sum(), p[k], 1e-6)
        assert rel_error(d, g) < 1e-5, k
    for k, d in sleep.items():
        g = numgrad(lambda: hs.log_recognition(p, v, h, t).sum(), p[k], 1e-6)
        assert rel_error(d, g) < 1e-5, k


# ---------------------------------------------------------------- training
def small_cfg(**kw):
    return hs.make_config(quick=True, steps=400, log_every=200, n_snapshots=2, **kw)


def test_determinism_and_seed_independence():
    cfg = small_cfg(seed=0, n_seeds=2)
    P1, h1 = hs.train(cfg)
    P2, h2 = hs.train(cfg)
    P3, _ = hs.train(small_cfg(seed=1, n_seeds=1))
    for k in P1:
        assert np.array_equal(P1[k], P2[k])
        # a seed's run does not depend on which seeds train beside it
        assert np.array_equal(P1[k][1], P3[k][0])
    assert h1["is_nll_bits"] == h2["is_nll_bits"]
    ev = [hs.evaluate_seed(hs.one_seed(P, 0), 8, 0.2, 20, 200, 2.0,
                           hs.seed_streams(0, hs.STREAMS)["eval"]) for P in (P1, P2)]
    assert ev[0] == ev[1]


def test_quick_run_learns():
    cfg = hs.make_config(quick=True, seed=0)
    r = hs.seed_streams(0, hs.STREAMS)
    P0 = hs.init_params([r["init"]], 32, cfg.n_hidden, cfg.n_top, cfg.init_std,
                        cfg.init_std_top, cfg.bias_h0, cfg.bias_v0)
    P, hist = hs.train(cfg)
    args = (cfg.width, cfg.p_on, 50, 200, cfg.field_thresh)
    m0 = hs.evaluate_seed(hs.one_seed(P0, 0), *args, hs.seed_streams(0, hs.STREAMS)["eval"])
    m = hs.evaluate_seed(hs.one_seed(P, 0), *args, hs.seed_streams(0, hs.STREAMS)["eval"])
    # untrained: visible biases start at the pixel marginals, so about 32 H_b(0.2) = 23.1 bits,
    # which is also the best any model with independent pixels can do
    assert m0["exact_nll_bits"] > 22
    assert m["exact_nll_bits"] < 14                    # learned the doubled-row structure
    assert abs(m["is_nll_bits"] - m["exact_nll_bits"]) < 0.5


# ---------------------------------------------------------------- CLI
@pytest.mark.parametrize("args", [["--seed", "x"], ["--seed", "-1"], ["--steps", "-5"],
                                  ["--n-top", "0"], ["--p-on", "1.5"], ["--batch-size", "0"],
                                  ["--n-seeds", "0"]])
def test_bad_input_is_one_line_exit_2(run_stub, tmp_path, args):
    out = tmp_path / "r.json"
    r = run_stub("helmholtz-shifter", *args, "--results", out)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr and "step" not in r.stdout
    assert not out.exists()


def test_results_in_a_missing_folder_is_one_line_exit_2(run_stub, tmp_path):
    out = tmp_path / "no_such_folder" / "r.json"
    r = run_stub("helmholtz-shifter", "--quick", "--results", out)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "step" not in r.stdout and not out.exists() and not out.parent.exists()
