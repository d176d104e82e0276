"""Tests for temporal_order_3bit.py: the truncated gradient, the generator's statistics,
invariants, determinism, a quick run that beats chance, and CLI errors."""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import temporal_order_3bit as to  # noqa: E402


def setup(cfg, seed, B=3, R=2):
    """Params of R trials (weights in U[-1, 1] so every term matters) and a batch per trial."""
    rng = np.random.default_rng(seed)
    params = to.init_params([rng] * R, cfg.n_blocks, cfg.block_size, len(to.SYMBOLS),
                            1 << len(cfg.windows), 1.0, cfg.in_gate_bias)
    xs, ls, ds = zip(*[to.make_batch(rng, cfg.T, cfg.len_extra, cfg.windows, B)[:3] for _ in range(R)])
    L = max(x.shape[0] for x in xs)
    x = np.zeros((L, R, B, len(to.SYMBOLS)))
    for r, xr in enumerate(xs):
        x[:xr.shape[0], r] = xr
    return params, x, np.stack(ls), np.stack(ds)


@pytest.mark.parametrize("timing", ["lagged", "same_step"])
def test_truncated_gradient_matches_central_differences(timing, numgrad, rel_error):
    """The 1997 truncated gradient is the exact gradient of the net whose recurrent inputs
    y(t-1) are held at their values from this forward pass: check it numerically."""
    cfg = to.make_config(quick=True, timing=timing)
    nb, k, lag = to.arch(cfg)
    params, x, lengths, d = setup(cfg, 3)
    assert lengths.min() < lengths.max()              # mixed lengths exercise the padding
    o, cache = to.forward(params, x, lengths, nb, k, lag)
    grads = to.backward(params, cache, o, d, nb, k)
    y_fixed = cache["Y"].copy()

    def loss():
        return 0.5 * np.sum((to.forward(params, x, lengths, nb, k, lag, y_fixed)[0] - d) ** 2)

    for name, w in params.items():
        num = numgrad(loss, w, 1e-5)
        floor = 1e-4 * np.abs(num).max()
        assert rel_error(grads[name], num, floor) < 1e-5, name


def test_gradient_is_truncated():
    """With y(t-1) free (full BPTT), the numerical gradient differs: the truncation is real."""
    cfg = to.make_config(quick=True)
    nb, k, lag = to.arch(cfg)
    params, x, lengths, d = setup(cfg, 4)
    o, cache = to.forward(params, x, lengths, nb, k, lag)
    g = to.backward(params, cache, o, d, nb, k)["W"]
    w = params["W"]
    num = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        old = w[idx]
        w[idx] = old + 1e-5
        lp = 0.5 * np.sum((to.forward(params, x, lengths, nb, k, lag)[0] - d) ** 2)
        w[idx] = old - 1e-5
        lm = 0.5 * np.sum((to.forward(params, x, lengths, nb, k, lag)[0] - d) ** 2)
        w[idx] = old
        num[idx] = (lp - lm) / 2e-5
    assert np.abs(g - num).max() > 1e-3 * np.abs(num).max()


def test_lagged_timing_ignores_the_last_two_symbols():
    cfg = to.make_config(quick=True, timing="lagged")
    nb, k, lag = to.arch(cfg)
    params, x, lengths, d = setup(cfg, 5)
    o, _ = to.forward(params, x, lengths, nb, k, lag)
    x2 = x.copy()
    for r in range(x.shape[1]):
        for b in range(x.shape[2]):
            x2[lengths[r, b] - 2:lengths[r, b], r, b] = 7.0
    assert np.array_equal(to.forward(params, x2, lengths, nb, k, lag)[0], o)
    x2[lengths[0, 0] - 3, 0, 0] = 7.0
    assert not np.array_equal(to.forward(params, x2, lengths, nb, k, lag)[0], o)


def test_weight_count_and_init_are_the_papers():
    cfg = to.make_config()
    params = to.model_params(cfg, [np.random.default_rng(0)])
    assert to.n_weights(params) == to.PAPER["metrics"]["n_weights"] == 156
    W, C, nb = params["W"][0], cfg.n_blocks * cfg.block_size, cfg.n_blocks
    assert list(W[C:C + nb, -1]) == [-2.0, -4.0]            # input-gate biases
    rest = np.delete(W.ravel(), [r * W.shape[1] + W.shape[1] - 1 for r in range(C, C + nb)])
    assert np.abs(rest).max() <= 0.1 and np.abs(params["W_out"]).max() <= 0.1


def test_data_follows_section_5_6():
    cfg = to.make_config()
    B = 20000
    x, lengths, d, pos, bits = to.make_batch(np.random.default_rng(1), cfg.T, cfg.len_extra,
                                             cfg.windows, B)
    cols = np.arange(B)
    assert lengths.min() == 100 and lengths.max() == 110
    for j, (lo, hi) in enumerate(cfg.windows):             # 1-indexed windows [10, 20], [50, 60]
        assert pos[:, j].min() + 1 == lo and pos[:, j].max() + 1 == hi
    sym = x.argmax(-1)
    t = np.arange(x.shape[0])[:, None]
    inside = t < lengths
    assert np.all(x.sum(-1) == inside)                     # one-hot inside, zero padding after
    assert np.all(sym[0] == to.SYM_E) and np.all(sym[lengths - 1, cols] == to.SYM_B)
    xy = (sym == to.SYM_X) | (sym == to.SYM_X + 1)
    assert np.all(xy.sum(0) == len(cfg.windows)) and np.all(xy[pos.T, cols])
    np.testing.assert_array_equal(sym[pos.T, cols].T - to.SYM_X, bits)
    mid = inside & ~xy
    mid[0] = False
    mid[lengths - 1, cols] = False
    assert np.all(sym[mid] < to.N_DISTRACT)               # everything else: a, b, c, d
    counts = np.bincount(sym[mid], minlength=4) / mid.sum()
    assert np.abs(counts - 0.25).max() < 0.005
    # classes XX=Q, XY=R, YX=S, YY=U, equally frequent
    np.testing.assert_array_equal(d.argmax(1), 2 * bits[:, 0] + bits[:, 1])
    assert np.abs(d.mean(0) - 0.25).max() < 0.01
    assert (pos[:, 1] - pos[:, 0]).min() >= 30             # the minimal lag between the two


def test_run_axis_and_stopped_trials_do_not_change_a_trial():
    """Each trial on the run axis learns what it learns alone."""
    cfg = to.make_config(quick=True, n_seeds=2, max_sequences=600, log_every=200)
    p2, h2 = to.train(cfg)
    p1, h1 = to.train(to.make_config(quick=True, seed=cfg.seed + 1, n_seeds=1, max_sequences=600,
                                     log_every=200))
    for name in p1:
        np.testing.assert_allclose(p2[name][1], p1[name][0], rtol=1e-10, atol=1e-13)


def test_same_seed_same_run():
    cfg = to.make_config(quick=True, max_sequences=1500)
    p1, h1 = to.train(cfg)
    p2, h2 = to.train(cfg)
    assert h1["seen"] == h2["seen"] and h1["err"] == h2["err"]
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    m1, m2 = ({k: v for k, v in to.summarise(cfg, p, h).items() if not k.endswith("_s")}
              for p, h in ((p1, h1), (p2, h2)))
    assert json.dumps(m1, sort_keys=True) == json.dumps(m2, sort_keys=True)   # NaN-safe


def test_quick_run_beats_chance():
    """Short sequences (quick): both trials meet the stopping rule and get almost all of 2560
    fresh test sequences right; untrained, every sequence is wrong (outputs near 0.5)."""
    cfg = to.make_config(quick=True)
    untrained = to.evaluate(to.model_params(cfg, [to.seed_streams(s, to.STREAMS)["init"]
                                                  for s in range(cfg.seed, cfg.seed + 2)]), cfg)
    params, hist = to.train(cfg)
    ev = to.evaluate(params, cfg)
    assert hist["solved"] == [True, True]
    assert max(ev["test_wrong"]) <= 0.02 * ev["n_test"]
    assert min(untrained["test_wrong"]) > 0.9 * untrained["n_test"]


@pytest.mark.parametrize("args", [("--seed", "x"), ("--seed", "-1"), ("--timing", "late"),
                                  ("--T", "5"), ("--max-sequences", "-1"), ("--lr", "0"),
                                  ("--n-seeds", "0"), ("--results", "/nonexistent/dir/r.json")])
def test_bad_cli_input_exits_2(args, run_stub, tmp_path):
    out = tmp_path / "r.json"
    extra = () if args[0] == "--results" else ("--results", str(out))
    r = run_stub("temporal-order-3bit", *args, *extra)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
    assert not out.exists()
