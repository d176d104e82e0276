"""Tests for adding_problem.py: gradients, data, invariants, determinism,
a quick run that meets the paper's criterion, and CLI errors."""
import dataclasses
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import adding_problem as ap  # noqa: E402

VARIANTS = [("lstm", "1997", "truncated"), ("lstm", "1997", "full"),
            ("lstm", "forget", "truncated"), ("lstm", "forget", "full"),
            ("rnn", "1997", "full")]


@pytest.mark.parametrize("model,cell,gradient", VARIANTS)
def test_gradient_matches_central_differences(model, cell, gradient, numgrad, rel_error):
    cfg = ap.Config(model=model, cell=cell, gradient=gradient, init_range=1.0)
    rng = np.random.default_rng(3)
    params = ap.init_params(cfg, rng)
    x, lengths, d, _, _ = ap.make_batch(rng, 20, 4)
    assert lengths.min() < lengths.max()          # mixed lengths exercise the padding
    o, cache = ap.forward(cfg, params, x, lengths)
    grads = ap.backward(cfg, params, cache, o, d)
    # the truncated gradient is the exact gradient of the net whose recurrent
    # inputs y(t-1) are held at their values from this forward pass
    y_fixed = cache["Y"].copy() if gradient == "truncated" else None

    def loss():
        return 0.5 * np.sum((ap.forward(cfg, params, x, lengths, y_fixed)[0] - d) ** 2)

    for name, w in params.items():
        num = numgrad(loss, w, 1e-4)
        floor = 1e-4 * np.abs(num).max()      # near-zero entries: relative to the largest
        assert rel_error(grads[name], num, floor) < 1e-5, name


def test_truncated_differs_from_full():
    """The 1997 gradient really is truncated (not BPTT under another name)."""
    cfg = ap.Config(init_range=1.0)
    rng = np.random.default_rng(4)
    params = ap.init_params(cfg, rng)
    x, lengths, d, _, _ = ap.make_batch(rng, 20, 4)
    o, cache = ap.forward(cfg, params, x, lengths)
    g_tr = ap.backward(cfg, params, cache, o, d, full=False)["W"]
    g_full = ap.backward(cfg, params, cache, o, d, full=True)["W"]
    assert np.abs(g_tr - g_full).max() > 1e-3 * np.abs(g_full).max()


def test_weight_count_is_the_papers_93():
    rng = np.random.default_rng(0)
    assert ap.n_weights(ap.init_params(ap.Config(), rng)) == 93
    assert ap.n_weights(ap.init_params(ap.Config(cell="forget"), rng)) == 135
    assert ap.n_weights(ap.init_params(ap.Config(model="rnn"), rng)) == 97
    W = ap.init_params(ap.Config(), rng)["W"]
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
    # values U[-1, 1] inside the sequence, zero padding after its end
    t = np.arange(x.shape[0])[:, None]
    v = x[:, :, 0][t < lengths]
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1 / 3) < 0.01
    assert np.all(x[t >= lengths] == 0)
    assert abs(np.mean(p1 == 0) - 0.1) < 0.01          # p1 uniform over 10 positions


def test_padding_does_not_change_outputs():
    """Zero-padding shorter sequences is exact: each sequence alone gives the same o."""
    cfg = ap.Config(cell="forget")
    rng = np.random.default_rng(2)
    params = ap.init_params(cfg, rng)
    x, lengths, d, _, _ = ap.make_batch(rng, 30, 6)
    o, _ = ap.forward(cfg, params, x, lengths)
    for b in range(6):
        ob, _ = ap.forward(cfg, params, x[:lengths[b], b:b + 1], lengths[b:b + 1])
        np.testing.assert_allclose(ob[0], o[b], rtol=1e-12)


def quick_config(**kw):
    cfg = ap.Config(**{k: v for k, v in ap.QUICK.items()})
    return dataclasses.replace(cfg, **kw)


def test_same_seed_same_run():
    cfg = quick_config(max_sequences=3000)
    p1, h1 = ap.train(cfg)
    p2, h2 = ap.train(cfg)
    assert h1["seen"] == h2["seen"] and h1["mse"] == h2["mse"]
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    assert ap.evaluate(cfg, p1)["test_mse"] == ap.evaluate(cfg, p2)["test_mse"]


def test_quick_run_learns_the_task():
    """T=20, 100k sequences: most fresh test sequences meet the paper's
    |error| < 0.04 and the MSE is below the paper's 0.01; untrained, most fail
    (answering the mean 0.5 gets only ~15% right and MSE 1/24)."""
    cfg = quick_config()
    rng_init = ap.streams(cfg.seed)[1]
    untrained = ap.evaluate(cfg, ap.init_params(cfg, rng_init))
    params, hist = ap.train(cfg)
    ev = ap.evaluate(cfg, params)
    assert ev["test_wrong"] <= 0.1 * ev["n_test"] and ev["test_mse"] < cfg.stop_mse
    assert untrained["test_wrong"] > 0.5 * untrained["n_test"]
    assert untrained["test_mse"] > 0.02


@pytest.mark.parametrize("args", [("--seed", "x"), ("--cell", "lstm2000"), ("--T", "-5"),
                                  ("--max-sequences", "-1"), ("--optimizer", "rmsprop"),
                                  ("--results", "/nonexistent/dir/r.json")])
def test_bad_cli_input_exits_2(args, run_stub):
    r = run_stub("adding-problem", *args)
    assert r.returncode == 2
    assert r.stdout == ""                                  # no work started
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
