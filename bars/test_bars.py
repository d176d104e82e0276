"""Tests for bars.py: exact KL vs brute force, sampler statistics, determinism,
learning, and CLI errors. The whole file runs in a few seconds."""
import dataclasses
import itertools
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bars  # noqa: E402

CFG = bars.Config()


def random_model(rng, S, V, H, K, scale=1.5):
    """Random parameters of a small Helmholtz machine with S seeds."""
    shapes = {"b_z": (1, K), "G_zh": (K, H), "b_h": (1, H), "G_hv": (H, V), "b_v": (1, V),
              "R_vh": (V, H), "c_h": (1, H), "R_hz": (H, K), "c_z": (1, K)}
    return {k: scale * rng.standard_normal((S,) + s) for k, s in shapes.items()}


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def bern(x, p):
    return float(np.prod(np.where(np.asarray(x) > 0, p, 1.0 - p)))


# ---------------------------------------------------------------- data
def test_support_has_30_images_blank_04096_and_sums_to_one():
    images, probs = bars.bars_support(CFG)
    assert images.shape == (30, 16)
    assert len({tuple(x) for x in images}) == 30
    assert abs(probs.sum() - 1.0) < 1e-12
    blank = np.flatnonzero(images.sum(1) == 0)
    assert probs[blank[0]] == pytest.approx(0.8 ** 4, abs=1e-12)
    full = np.flatnonzero(images.sum(1) == 16)
    assert probs[full[0]] == pytest.approx(0.2 ** 4, abs=1e-12)
    # H(p) computed independently from the formula
    assert bars.entropy_bits(probs) == pytest.approx(-sum(p * np.log2(p) for p in probs))


def test_sampler_matches_exact_distribution():
    images, probs = bars.bars_support(CFG)
    x = bars.sample_bars(np.random.default_rng(0), 200_000, CFG)
    weights = 2 ** np.arange(16)
    lookup = {int(c): i for i, c in enumerate(images @ weights)}
    codes, counts = np.unique((x @ weights).astype(int), return_counts=True)
    idx = np.repeat([lookup[int(c)] for c in codes], counts)  # every sample is in the support
    freq = np.bincount(idx, minlength=len(probs)) / len(x)
    se = np.sqrt(probs * (1 - probs) / len(x))
    assert np.all(np.abs(freq - probs) < 5 * se + 1e-4)
    assert abs(x.mean() - 0.2) < 0.003                     # each pixel is on with prob 0.2
    # vertical images (a column fully on, not the all-on image) have prior 2/3 * (1 - 0.8^4)
    grid = x.reshape(-1, 4, 4)
    vert = (grid.all(axis=1).any(axis=1)) & (x.sum(1) < 16)
    assert abs(vert.mean() - (2 / 3) * (1 - 0.8 ** 4 - 0.2 ** 4)) < 0.005


# ---------------------------------------------------------------- exact evaluation
def test_exact_likelihood_and_gap_match_brute_force():
    V, H, K = 3, 2, 1
    m = random_model(np.random.default_rng(1), 1, V, H, K)
    images = bars.all_binary(V)
    lpm = bars.log_p_model(m, images)[0]
    g = {k: x[0] for k, x in m.items()}
    for n, v in enumerate(images):
        joint, free = {}, 0.0
        for z in itertools.product([0, 1], repeat=K):
            for h in itertools.product([0, 1], repeat=H):
                z_, h_ = np.array(z, float), np.array(h, float)
                pz = bern(z_, sig(g["b_z"][0]))
                ph = bern(h_, sig(z_ @ g["G_zh"] + g["b_h"][0]))
                pv = bern(v, sig(h_ @ g["G_hv"] + g["b_v"][0]))
                joint[z, h] = pz * ph * pv
        pv_sum = sum(joint.values())
        assert np.log(pv_sum) == pytest.approx(lpm[n], rel=1e-12, abs=1e-12)
        for (z, h), pj in joint.items():
            z_, h_ = np.array(z, float), np.array(h, float)
            q = bern(h_, sig(v @ g["R_vh"] + g["c_h"][0])) * bern(z_, sig(h_ @ g["R_hz"] + g["c_z"][0]))
            free += q * (np.log(q) - np.log(pj))
        # the recognition gap KL(q || posterior) = F(v) + log p(v), brute force
        lj, Z, Hs = bars.log_joint(m, v[None])
        lq = bars.log_q(m, v[None], Z, Hs)
        gap = float(np.sum(np.exp(lq) * (lq - lj)) + lpm[n])
        assert gap == pytest.approx(free + np.log(pv_sum), abs=1e-12)
        assert gap >= 0
    assert np.exp(lpm).sum() == pytest.approx(1.0, abs=1e-12)


def test_kl_of_evaluate_matches_direct_formula():
    cfg = dataclasses.replace(CFG, n_seeds=2)
    m = bars.init_model([np.random.default_rng(s) for s in range(2)],
                        dataclasses.replace(cfg, init_std=1.0))
    ev = bars.evaluate(m, cfg)
    images, probs = bars.bars_support(cfg)
    lpm = bars.log_p_model(m, images)
    for s in range(2):
        kl = float(np.sum(probs * np.log2(probs / np.exp(lpm[s]))))
        assert ev["kl_bits"][s] == pytest.approx(kl, rel=1e-10)
        assert ev["nll_bits"][s] == pytest.approx(ev["entropy_bits"] + kl, rel=1e-10)


def test_reverse_kl_quantities_match_the_full_model_distribution():
    """p_model summed over all 2^16 images is 1, so the mass off the 30 data images is the
    rest (and KL[p_model || p_data] is infinite); the renormalised reverse KL is a direct sum."""
    cfg = dataclasses.replace(CFG, n_seeds=2)
    m = bars.init_model([np.random.default_rng(s) for s in range(2)],
                        dataclasses.replace(cfg, init_std=1.0))
    ev = bars.evaluate(m, cfg)
    everything = bars.all_binary(16)                                 # (65536, 16)
    p_all = np.exp(bars.log_p_model(m, everything))                  # (2, 65536)
    assert np.allclose(p_all.sum(1), 1.0, atol=1e-10)
    images, probs = bars.bars_support(cfg)
    on = np.exp(bars.log_p_model(m, images))                         # (2, 30)
    for s in range(2):
        assert ev["p_off_support"][s] == pytest.approx(1.0 - on[s].sum(), abs=1e-12)
        assert ev["p_off_support"][s] > 0
        q = on[s] / on[s].sum()
        rev = float(np.sum(q * np.log2(q / probs)))
        assert ev["kl_rev_on_support_bits"][s] == pytest.approx(rev, rel=1e-10)


def test_exact_posterior_sampler_frequencies():
    V, H, K = 3, 2, 1
    m = random_model(np.random.default_rng(2), 1, V, H, K)
    v = np.array([1.0, 0.0, 1.0])
    lj, Z, Hs = bars.log_joint(m, v[None])
    post = np.exp(lj[0, :, :, 0] - lj.max())
    post /= post.sum()                                      # (2^K, 2^H)
    n = 40_000
    u = np.random.default_rng(3).random((1, n))
    h, z = bars.exact_posterior_sample(m, np.tile(v, (1, n, 1)), u)
    zi = (z[0] @ (2 ** np.arange(K))).astype(int)
    hi = (h[0] @ (2 ** np.arange(H))).astype(int)
    freq = np.zeros_like(post)
    np.add.at(freq, (zi, hi), 1.0 / n)
    assert np.max(np.abs(freq - post)) < 0.01


# ---------------------------------------------------------------- training
@pytest.fixture(scope="module")
def quick_runs():
    """The --quick run (2 seeds), and a 600-step run twice and with seed 1 alone."""
    cfg = bars.make_config(quick=True, seed=0, n_seeds=2)
    quick = bars.train(cfg)
    short = dataclasses.replace(cfg, steps=600, n_evals=3)
    m1, h1 = bars.train(short)
    m2, h2 = bars.train(short)
    alone = bars.train(dataclasses.replace(short, seed=1, n_seeds=1))
    return quick, (m1, h1), (m2, h2), alone


def test_determinism_same_seed_same_metrics(quick_runs):
    _, (m1, h1), (m2, h2), _ = quick_runs
    assert h1["kl_bits"] == h2["kl_bits"]
    for k in m1:
        assert np.array_equal(m1[k], m2[k])


def test_seed_trained_alone_equals_seed_in_batch(quick_runs):
    _, (m1, h1), _, (m_alone, h_alone) = quick_runs
    assert [kl[1] for kl in h1["kl_bits"]] == [kl[0] for kl in h_alone["kl_bits"]]


def test_quick_run_lowers_kl_far_below_start(quick_runs):
    (m1, h1), _, _, _ = quick_runs
    start, end = np.array(h1["kl_bits"][0]), np.array(h1["kl_bits"][-1])
    # The best model with independent pixels has KL 16*H2(0.2) - H(p_data) = 8.12 bits
    assert np.all(end < 2.0)
    assert np.all(end < 0.2 * start)


# ---------------------------------------------------------------- CLI
@pytest.mark.parametrize("args", [["--seed", "x"], ["--seed", "-1"], ["--steps", "-5"],
                                  ["--n-seeds", "0"], ["--batch-size", "0"], ["--lr-gen", "-1"],
                                  ["--wake", "dreaming"], ["--bogus"]])
def test_bad_cli_input_exits_2_with_one_line(run_stub, tmp_path, args):
    out = tmp_path / "r.json"
    r = run_stub("bars", *args, "--results", str(out))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "error" in r.stderr.lower()
    assert not out.exists()


def test_unwritable_results_path_fails_before_training(run_stub, tmp_path):
    r = run_stub("bars", "--results", str(tmp_path / "missing" / "r.json"), timeout=20)
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert "step" not in r.stdout               # no training started


def test_presets_apply_under_explicit_flags():
    cfg = bars.make_config(online=True, quick=True, steps=7)
    assert (cfg.batch_size, cfg.lr_gen, cfg.steps) == (1, 0.03, 7)


def test_hand_built_solution_fits_and_is_read_as_eight_bar_units():
    cfg = dataclasses.replace(CFG, n_seeds=1, init="ideal")
    m = bars.init_model([np.random.default_rng(0)], cfg)
    ev = bars.evaluate(m, cfg)
    assert ev["kl_bits"][0] < 0.05
    assert (ev["bar_units"], ev["cross_units"], ev["bars_owned"]) == ([8], [0], [8])
    # merge bars V0 and H0 into unit 0: one cross unit, 7 bars owned
    m["G_hv"][0, 0] += m["G_hv"][0, 4]
    st = bars.unit_structure(m, cfg)
    assert st["cross_units"] == [1] and st["bars_owned"] == [7]
