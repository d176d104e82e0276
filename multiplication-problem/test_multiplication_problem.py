"""Tests for multiplication_problem.py: gradients, data, invariants, determinism,
a quick run that beats the mean-target baseline, and CLI errors."""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import multiplication_problem as mp  # noqa: E402

VARIANTS = [("lstm", "truncated", "paper"), ("lstm", "full", "paper"),
            ("lstm", "truncated", "same_step"), ("lstm", "full", "same_step"),
            ("rnn", "full", "paper")]


def setup(cfg, seed, T=20, B=4, R=2):
    """Params of R runs (weights in U[-1, 1] so every term matters) and a batch per run."""
    rng = np.random.default_rng(seed)
    params = mp.init_params([rng] * R, cfg.n_blocks, cfg.block_size, mp.arch(cfg)[2], 1.0,
                            (), cfg.rnn_hidden)
    x, lengths, d = mp.stack_runs([mp.make_batch(rng, T, B) for _ in range(R)])
    return params, x, lengths, d


@pytest.mark.parametrize("model,gradient,timing", VARIANTS)
def test_gradient_matches_central_differences(model, gradient, timing, numgrad, rel_error):
    cfg = mp.make_config(model=model, gradient=gradient, timing=timing)
    nb, k, kind, lag = mp.arch(cfg)
    params, x, lengths, d = setup(cfg, 3)
    assert lengths.min() < lengths.max()          # mixed lengths exercise the padding
    o, cache = mp.forward(params, x, lengths, nb, k, kind, lag)
    grads = mp.backward(params, cache, o, d, nb, k, kind, full=gradient == "full")
    # the truncated gradient is the exact gradient of the net whose recurrent
    # inputs y(t-1) are held at their values from this forward pass
    y_fixed = cache["Y"].copy() if gradient == "truncated" and kind != "rnn" else None

    def loss():
        return 0.5 * np.sum((mp.forward(params, x, lengths, nb, k, kind, lag, y_fixed)[0] - d) ** 2)

    for name, w in params.items():
        num = numgrad(loss, w, 1e-5)
        floor = 1e-4 * np.abs(num).max()      # near-zero entries: relative to the largest
        assert rel_error(grads[name], num, floor) < 1e-5, name


def test_truncated_differs_from_full():
    """The 1997 gradient really is truncated (not BPTT under another name)."""
    cfg = mp.make_config()
    nb, k, kind, lag = mp.arch(cfg)
    params, x, lengths, d = setup(cfg, 4)
    o, cache = mp.forward(params, x, lengths, nb, k, kind, lag)
    g_tr = mp.backward(params, cache, o, d, nb, k, kind, full=False)["W"]
    g_full = mp.backward(params, cache, o, d, nb, k, kind, full=True)["W"]
    assert np.abs(g_tr - g_full).max() > 1e-3 * np.abs(g_full).max()


def test_paper_timing_ignores_the_last_two_pairs():
    """Every unit reads y(t-1): the last two input pairs cannot reach the final output."""
    cfg = mp.make_config()
    nb, k, kind, lag = mp.arch(cfg)
    params, x, lengths, d = setup(cfg, 5)
    o, _ = mp.forward(params, x, lengths, nb, k, kind, lag)
    x2 = x.copy()
    for r in range(x.shape[1]):
        for b in range(x.shape[2]):
            x2[lengths[r, b] - 2:lengths[r, b], r, b] = 7.0
    assert np.array_equal(mp.forward(params, x2, lengths, nb, k, kind, lag)[0], o)
    x2[lengths[0, 0] - 3, 0, 0] = 7.0
    assert not np.array_equal(mp.forward(params, x2, lengths, nb, k, kind, lag)[0], o)


@pytest.mark.parametrize("timing", ["paper", "same_step"])
def test_fast_online_forward_equals_forward(timing):
    """forward_1997 (the online rule's fast path) computes what forward computes."""
    cfg = mp.make_config(timing=timing)
    nb, k, kind, lag = mp.arch(cfg)
    params, x, lengths, d = setup(cfg, 6, T=30, B=1, R=4)
    o1, c1 = mp.forward(params, x, lengths, nb, k, kind, lag)
    o2, c2 = mp.forward_1997(params, x, lengths, nb, k, lag)
    np.testing.assert_allclose(o2, o1, rtol=1e-12)
    g1 = mp.backward(params, c1, o1, d, nb, k, kind)
    g2 = mp.backward(params, c2, o2, d, nb, k, kind)
    for name in g1:
        np.testing.assert_allclose(g2[name], g1[name], rtol=1e-9, atol=1e-14)


def test_weight_count_and_init_are_section_5_5s():
    """93 weights, every one (the gate biases included) in U[-0.1, 0.1]."""
    rngs = [np.random.default_rng(0)]
    cfg = mp.make_config()
    params = mp.model_params(cfg, rngs)
    assert mp.n_weights(params) == 93
    assert mp.n_weights(mp.model_params(mp.make_config(model="rnn"), rngs)) == 97
    assert max(np.abs(v).max() for v in params.values()) <= cfg.init_range


def test_data_follows_section_5_5():
    T, B = 100, 20000
    x, lengths, d, p1, p2 = mp.make_batch(np.random.default_rng(1), T, B)
    cols = np.arange(B)
    assert lengths.min() == T and lengths.max() == T + T // 10
    assert np.all((p1 >= 0) & (p1 < 10)) and np.all((p2 >= 0) & (p2 < T // 2 - 1))
    assert np.all(p1 != p2)
    marker = x[:, :, 1]
    assert np.all((marker == 1).sum(0) == 2)
    assert np.all(marker[lengths - 1, cols] == -1)
    first_marked = (p1 == 0) | (p2 == 0)
    assert np.all(marker[0, ~first_marked] == -1) and np.all(marker[0, first_marked] == 1)
    # X1 := 1.0 when the first pair is marked; target = X1 * X2
    assert np.all(x[0, p1 == 0, 0] == 1.0)
    np.testing.assert_allclose(d, x[p1, cols, 0] * x[p2, cols, 0])
    assert d.min() >= 0 and d.max() <= 1
    t = np.arange(x.shape[0])[:, None]
    v = x[:, :, 0][t < lengths]
    assert abs(v.mean() - 0.5) < 0.01 and abs(v.var() - 1 / 12) < 0.01
    assert np.all(x[t >= lengths] == 0)
    assert abs(np.mean(p1 == 0) - 0.1) < 0.01          # p1 uniform over 10 positions
    # the minimal lag between X2 and the end is T/2 + 1 steps; the mean target ~ 1/4 (+ X1 := 1)
    assert (lengths - 1 - p2).min() >= T // 2 + 1
    assert abs(d.mean() - (0.9 * 0.25 + 0.1 * 0.5)) < 0.01


def test_padding_and_run_axis_do_not_change_outputs():
    """Zero-padding is exact, and each run on the run axis computes what it computes alone."""
    cfg = mp.make_config()
    nb, k, kind, lag = mp.arch(cfg)
    params, x, lengths, d = setup(cfg, 2, T=30, B=6, R=3)
    o, _ = mp.forward(params, x, lengths, nb, k, kind, lag)
    for r in range(3):
        one = {n: v[r:r + 1] for n, v in params.items()}
        for b in range(6):
            L = lengths[r, b]
            ob, _ = mp.forward(one, x[:L, r:r + 1, b:b + 1], lengths[r:r + 1, b:b + 1], nb, k, kind, lag)
            np.testing.assert_allclose(ob[0, 0], o[r, b], rtol=1e-12)


def test_same_seed_same_run():
    cfg = mp.make_config(quick=True, max_sequences=1000)
    p1, h1 = mp.train(cfg)
    p2, h2 = mp.train(cfg)
    assert h1["seen"] == h2["seen"] and h1["mse"] == h2["mse"]
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    m1, m2 = mp.summarise(cfg, p1, h1), mp.summarise(cfg, p2, h2)
    drop = lambda m: json.dumps({k: v for k, v in m.items() if not k.endswith("_s")})
    assert drop(m1) == drop(m2)                    # json: NaN (no run stopped) equals NaN


def test_quick_run_beats_the_mean_target_baseline():
    """--quick (Adam, T=20, section 5.4's gate biases): most runs' test MSE falls far below
    that of answering the mean target (about what the untrained net gets), and more
    test sequences are right."""
    cfg = mp.make_config(quick=True)
    untrained = mp.evaluate(mp.model_params(cfg, [mp.seed_streams(s, mp.STREAMS)["init"]
                                                  for s in range(cfg.seed, cfg.seed + cfg.n_seeds)]), cfg)
    params, hist = mp.train(cfg)
    ev = mp.evaluate(params, cfg)
    base = np.mean(ev["mean_mse"])
    assert np.mean(untrained["test_mse"]) > 0.9 * base
    assert sorted(ev["test_mse"])[1] < 0.2 * base          # at least 2 of the 3 runs
    assert np.mean(ev["test_wrong"]) < 0.8 * np.mean(untrained["test_wrong"])


@pytest.mark.parametrize("args", [("--seed", "x"), ("--seed", "-1"), ("--model", "gru"),
                                  ("--T", "-5"), ("--max-sequences", "-1"), ("--n-seq", "0"),
                                  ("--optimizer", "rmsprop"), ("--timing", "late"),
                                  ("--results", "/nonexistent/dir/r.json")])
def test_bad_cli_input_exits_2(args, run_stub, tmp_path):
    out = tmp_path / "r.json"
    extra = () if args[0] == "--results" else ("--results", str(out))
    r = run_stub("multiplication-problem", *args, *extra)
    assert r.returncode == 2
    assert r.stdout == ""                                  # no work started
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
    assert not out.exists()
