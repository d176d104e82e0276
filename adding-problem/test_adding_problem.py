"""Tests for adding_problem.py: gradients, data, invariants, determinism,
a quick run that meets the paper's criterion, and CLI errors."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import adding_problem as ap  # noqa: E402

VARIANTS = [("lstm", "1997", "truncated", "same_step"), ("lstm", "1997", "full", "same_step"),
            ("lstm", "forget", "truncated", "same_step"), ("lstm", "forget", "full", "same_step"),
            ("rnn", "1997", "full", "same_step"), ("lstm", "1997", "truncated", "paper"),
            ("lstm", "1997", "full", "paper")]


def setup(cfg, seed, T=20, B=4, R=2):
    """Params of R runs (weights in U[-1, 1] so every term matters) and a batch per run."""
    rng = np.random.default_rng(seed)
    params = ap.init_params([rng] * R, cfg.n_blocks, cfg.block_size, ap.arch(cfg)[2], 1.0,
                            cfg.in_gate_bias, cfg.forget_gate_bias, cfg.rnn_hidden)
    x, lengths, d = ap.stack_runs([ap.make_batch(rng, T, B) for _ in range(R)])
    return params, x, lengths, d


@pytest.mark.parametrize("model,cell,gradient,timing", VARIANTS)
def test_gradient_matches_central_differences(model, cell, gradient, timing, numgrad, rel_error):
    cfg = ap.make_config(model=model, cell=cell, gradient=gradient, timing=timing)
    nb, k, kind, lag = ap.arch(cfg)
    params, x, lengths, d = setup(cfg, 3)
    assert lengths.min() < lengths.max()          # mixed lengths exercise the padding
    o, cache = ap.forward(params, x, lengths, nb, k, kind, lag)
    grads = ap.backward(params, cache, o, d, nb, k, kind, full=gradient == "full")
    # the truncated gradient is the exact gradient of the net whose recurrent
    # inputs y(t-1) are held at their values from this forward pass
    y_fixed = cache["Y"].copy() if gradient == "truncated" and kind != "rnn" else None

    def loss():
        return 0.5 * np.sum((ap.forward(params, x, lengths, nb, k, kind, lag, y_fixed)[0] - d) ** 2)

    for name, w in params.items():
        num = numgrad(loss, w, 1e-5)
        floor = 1e-4 * np.abs(num).max()      # near-zero entries: relative to the largest
        assert rel_error(grads[name], num, floor) < 1e-5, name


def test_truncated_differs_from_full():
    """The 1997 gradient really is truncated (not BPTT under another name)."""
    cfg = ap.make_config()
    nb, k, kind, lag = ap.arch(cfg)
    params, x, lengths, d = setup(cfg, 4)
    o, cache = ap.forward(params, x, lengths, nb, k, kind, lag)
    g_tr = ap.backward(params, cache, o, d, nb, k, kind, full=False)["W"]
    g_full = ap.backward(params, cache, o, d, nb, k, kind, full=True)["W"]
    assert np.abs(g_tr - g_full).max() > 1e-3 * np.abs(g_full).max()


def test_paper_timing_ignores_the_last_two_pairs():
    """Every unit reads y(t-1): the last two input pairs cannot reach the final output."""
    cfg = ap.make_config(online=True)
    nb, k, kind, lag = ap.arch(cfg)
    params, x, lengths, d = setup(cfg, 5)
    o, _ = ap.forward(params, x, lengths, nb, k, kind, lag)
    x2 = x.copy()
    for r in range(x.shape[1]):
        for b in range(x.shape[2]):
            x2[lengths[r, b] - 2:lengths[r, b], r, b] = 7.0
    assert np.array_equal(ap.forward(params, x2, lengths, nb, k, kind, lag)[0], o)
    x2[lengths[0, 0] - 3, 0, 0] = 7.0
    assert not np.array_equal(ap.forward(params, x2, lengths, nb, k, kind, lag)[0], o)


@pytest.mark.parametrize("timing", ["paper", "same_step"])
def test_fast_online_forward_equals_forward(timing):
    """forward_1997 (the online rule's fast path) computes what forward computes."""
    cfg = ap.make_config(timing=timing)
    nb, k, kind, lag = ap.arch(cfg)
    params, x, lengths, d = setup(cfg, 6, T=30, B=1, R=4)
    o1, c1 = ap.forward(params, x, lengths, nb, k, kind, lag)
    o2, c2 = ap.forward_1997(params, x, lengths, nb, k, lag)
    np.testing.assert_allclose(o2, o1, rtol=1e-12)
    g1 = ap.backward(params, c1, o1, d, nb, k, kind)
    g2 = ap.backward(params, c2, o2, d, nb, k, kind)
    for name in g1:
        np.testing.assert_allclose(g2[name], g1[name], rtol=1e-9, atol=1e-14)


def test_weight_count_is_the_papers_93():
    rngs = [np.random.default_rng(0)]
    cfgs = [ap.make_config(), ap.make_config(cell="forget"), ap.make_config(model="rnn")]
    assert [ap.n_weights(ap.model_params(c, rngs)) for c in cfgs] == [93, 135, 97]
    W = ap.model_params(cfgs[0], rngs)["W"][0]
    assert list(W[4:6, -1]) == [-3.0, -6.0]          # input-gate biases
    assert np.abs(np.delete(W[:, -1], [4, 5])).max() <= 0.1


def test_data_follows_section_5_4():
    T, B = 100, 20000
    x, lengths, d, p1, p2 = ap.make_batch(np.random.default_rng(1), T, B)
    cols = np.arange(B)
    assert lengths.min() == T and lengths.max() == T + T // 10
    assert np.all((p1 >= 0) & (p1 < 10)) and np.all((p2 >= 0) & (p2 < T // 2 - 1))
    assert np.all(p1 != p2)
    marker = x[:, :, 1]
    assert np.all((marker == 1).sum(0) == 2)
    assert np.all(marker[lengths - 1, cols] == -1)
    first_marked = (p1 == 0) | (p2 == 0)
    assert np.all(marker[0, ~first_marked] == -1) and np.all(marker[0, first_marked] == 1)
    assert np.all((marker == -1).sum(0) == 2 - first_marked)
    # X1 := 0 when the first pair is marked; target = 0.5 + (X1 + X2) / 4
    assert np.all(x[0, p1 == 0, 0] == 0)
    np.testing.assert_allclose(d, 0.5 + (x[p1, cols, 0] + x[p2, cols, 0]) / 4)
    assert d.min() >= 0 and d.max() <= 1
    t = np.arange(x.shape[0])[:, None]
    v = x[:, :, 0][t < lengths]
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1 / 3) < 0.01
    assert np.all(x[t >= lengths] == 0)
    assert abs(np.mean(p1 == 0) - 0.1) < 0.01          # p1 uniform over 10 positions


def test_zero_first_zeroes_the_first_pair_whenever_it_is_marked():
    """--zero-first: the first pair's value is 0 whenever X1 or X2 falls on it; every other
    value (and the random stream) is what the default generator draws."""
    T, B = 100, 5000
    a = ap.make_batch(np.random.default_rng(2), T, B)
    b = ap.make_batch(np.random.default_rng(2), T, B, zero_first=True)
    x, xz, p1, p2, cols = a[0], b[0], a[3], a[4], np.arange(B)
    assert (p2 == 0).sum() > 50 and np.abs(x[0, p2 == 0, 0]).min() > 0
    assert np.all(xz[0, (p1 == 0) | (p2 == 0), 0] == 0)
    keep = np.ones_like(x, bool)
    keep[0, p2 == 0, 0] = False
    assert np.array_equal(xz[keep], x[keep]) and np.array_equal(b[3], p1)
    np.testing.assert_allclose(b[2], 0.5 + (xz[p1, cols, 0] + xz[p2, cols, 0]) / 4)


def test_padding_and_run_axis_do_not_change_outputs():
    """Zero-padding is exact, and each run on the run axis computes what it computes alone."""
    cfg = ap.make_config(cell="forget")
    nb, k, kind, lag = ap.arch(cfg)
    params, x, lengths, d = setup(cfg, 2, T=30, B=6, R=3)
    o, _ = ap.forward(params, x, lengths, nb, k, kind, lag)
    for r in range(3):
        one = {n: v[r:r + 1] for n, v in params.items()}
        for b in range(6):
            L = lengths[r, b]
            ob, _ = ap.forward(one, x[:L, r:r + 1, b:b + 1], lengths[r:r + 1, b:b + 1], nb, k, kind, lag)
            np.testing.assert_allclose(ob[0, 0], o[r, b], rtol=1e-12)


def test_same_seed_same_run():
    cfg = ap.make_config(quick=True, n_seeds=2, max_sequences=3000)
    p1, h1 = ap.train(cfg)
    p2, h2 = ap.train(cfg)
    assert h1["seen"] == h2["seen"] and h1["mse"] == h2["mse"]
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    assert ap.evaluate(p1, cfg)["test_mse"] == ap.evaluate(p2, cfg)["test_mse"]


def test_quick_run_learns_the_task():
    """T=20 (stopping window 200): the run meets the stopping rule and at most
    10% of 2560 fresh test sequences are wrong; untrained, most fail (answering the mean 0.5 gets only
    ~15% right and MSE 1/24)."""
    cfg = ap.make_config(quick=True, max_sequences=100_000)
    untrained = ap.evaluate(ap.model_params(cfg, [ap.seed_streams(cfg.seed, ap.STREAMS)["init"]]), cfg)
    params, hist = ap.train(cfg)
    ev = ap.evaluate(params, cfg)
    assert ev["n_test"] == 2560
    assert hist["solved"] == [True]
    assert ev["test_wrong"][0] <= 0.1 * ev["n_test"]
    assert ev["test_mse"][0] < cfg.stop_mse
    assert untrained["test_wrong"][0] > 0.5 * untrained["n_test"]
    assert untrained["test_mse"][0] > 0.02


@pytest.mark.parametrize("args", [("--seed", "x"), ("--seed", "-1"), ("--cell", "lstm2000"),
                                  ("--T", "-5"), ("--max-sequences", "-1"),
                                  ("--optimizer", "rmsprop"), ("--timing", "late"),
                                  ("--results", "/nonexistent/dir/r.json")])
def test_bad_cli_input_exits_2(args, run_stub, tmp_path):
    out = tmp_path / "r.json"
    extra = () if args[0] == "--results" else ("--results", str(out))
    r = run_stub("adding-problem", *args, *extra)
    assert r.returncode == 2
    assert r.stdout == ""                                  # no work started
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
    assert not out.exists()
