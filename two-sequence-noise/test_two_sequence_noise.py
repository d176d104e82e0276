"""Tests for two_sequence_noise.py: the truncated gradient, the generator's statistics,
the paper's net (102 weights, gate biases, timing), determinism, a quick run that
beats chance, and CLI errors."""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import two_sequence_noise as tsn  # noqa: E402


def setup(cfg, seed, T=20, B=4, R=2):
    """Params of R runs (weights in U[-1, 1] so every term matters) and a batch per run."""
    rng = np.random.default_rng(seed)
    params = tsn.init_params([rng] * R, cfg.n_blocks, cfg.block_size, 1.0,
                             (-0.5, 0.3, 0.1), (0.2, -0.4, 0.6))   # gates half open
    task = (cfg.variant, T, cfg.N, cfg.noise_var, cfg.target_noise_var)
    x, lengths, d, d0, c = tsn.stack_runs([tsn.make_batch(rng, task, B) for _ in range(R)])
    return params, x, lengths, d


@pytest.mark.parametrize("variant,block_size", [("3a", 1), ("3c", 1), ("3b", 2)])
def test_truncated_gradient_matches_central_differences(variant, block_size, numgrad, rel_error):
    """The 1997 truncated gradient is the exact gradient of the net whose recurrent inputs
    y(t-1) are held at their values from this forward pass."""
    cfg = tsn.make_config(variant=variant, block_size=block_size)
    nb, k, lag = cfg.n_blocks, cfg.block_size, cfg.output_lag
    params, x, lengths, d = setup(cfg, 3)
    assert lengths.min() < lengths.max()          # mixed lengths exercise the padding
    o, cache = tsn.forward(params, x, lengths, nb, k, lag)
    grads = tsn.backward(params, cache, o, d, nb, k)
    y_fixed = cache["Y"].copy()

    def loss():
        return 0.5 * np.sum((tsn.forward(params, x, lengths, nb, k, lag, y_fixed)[0] - d) ** 2)

    for name, w in params.items():
        num = numgrad(loss, w, 1e-5)
        floor = 1e-4 * np.abs(num).max()          # near-zero entries: relative to the largest
        assert rel_error(grads[name], num, floor) < 1e-5, name


def test_truncated_differs_from_the_full_gradient(numgrad):
    """The gradient really is truncated: it differs from the derivative of the real net."""
    cfg = tsn.make_config()
    nb, k, lag = cfg.n_blocks, cfg.block_size, cfg.output_lag
    params, x, lengths, d = setup(cfg, 4)
    o, cache = tsn.forward(params, x, lengths, nb, k, lag)
    g = tsn.backward(params, cache, o, d, nb, k)["W"]
    full = numgrad(lambda: 0.5 * np.sum((tsn.forward(params, x, lengths, nb, k, lag)[0] - d) ** 2),
                   params["W"], 1e-6)
    assert np.abs(g - full).max() > 1e-3 * np.abs(full).max()


def test_the_papers_net_has_102_weights_and_its_gate_biases():
    cfg = tsn.make_config()
    params = tsn.model_params(cfg, [np.random.default_rng(0)])
    assert tsn.n_weights(params) == tsn.PAPER["metrics"]["n_weights"] == 102
    W = params["W"][0]
    assert list(W[3:6, -1]) == [-1.0, -3.0, -5.0] and list(W[6:9, -1]) == [-2.0, -4.0, -6.0]
    assert np.abs(W[:3, -1]).max() <= 0.1 and np.abs(W[:, :-1]).max() <= 0.1
    assert params["W_out"].shape == (1, 1, 3)     # cells -> output, no output bias


def test_output_reads_the_cells_two_steps_before_the_end():
    """Paper timing: every unit reads y(t-1), so the last two inputs never reach the output."""
    cfg = tsn.make_config()
    nb, k, lag = cfg.n_blocks, cfg.block_size, cfg.output_lag
    params, x, lengths, d = setup(cfg, 5)
    o, _ = tsn.forward(params, x, lengths, nb, k, lag)
    x2 = x.copy()
    for r in range(x.shape[1]):
        for b in range(x.shape[2]):
            x2[lengths[r, b] - 2:lengths[r, b], r, b] = 7.0
    assert np.array_equal(tsn.forward(params, x2, lengths, nb, k, lag)[0], o)
    x2[lengths[0, 0] - 3, 0, 0] = 7.0
    assert not np.array_equal(tsn.forward(params, x2, lengths, nb, k, lag)[0], o)


def test_padding_and_run_axis_do_not_change_outputs():
    cfg = tsn.make_config()
    nb, k, lag = cfg.n_blocks, cfg.block_size, cfg.output_lag
    params, x, lengths, d = setup(cfg, 2, T=30, B=5, R=3)
    o, _ = tsn.forward(params, x, lengths, nb, k, lag)
    for r in range(3):
        one = {n: v[r:r + 1] for n, v in params.items()}
        for b in range(5):
            L = lengths[r, b]
            ob, _ = tsn.forward(one, x[:L, r:r + 1, b:b + 1], lengths[r:r + 1, b:b + 1], nb, k, lag)
            np.testing.assert_allclose(ob[0, 0], o[r, b], rtol=1e-12)


@pytest.mark.parametrize("variant", ["3a", "3b", "3c"])
def test_generator_follows_section_5_3(variant):
    T, N, B = 100, 3, 20000
    x, lengths, d, d0, c = tsn.make_batch(np.random.default_rng(1), (variant, T, N, 0.2, 0.1), B)
    x = x[..., 0]
    assert lengths.min() == T and lengths.max() == T + T // 10
    assert abs(np.mean(c == 1) - 0.5) < 0.02
    sign = np.where(c == 1, 1.0, -1.0)
    t = np.arange(x.shape[0])[:, None]
    noise = x[(t >= N) & (t < lengths)]
    assert abs(noise.mean()) < 0.01 and abs(noise.var() - 0.2) < 0.01
    assert np.all(x[t >= lengths] == 0)
    head = x[:N] - sign
    if variant == "3a":
        assert np.all(head == 0) and np.array_equal(d, d0)
        np.testing.assert_array_equal(d, np.where(c == 1, 1.0, 0.0))
    else:
        assert abs(head.mean()) < 0.01 and abs(head.var() - 0.2) < 0.01
    if variant == "3c":
        np.testing.assert_array_equal(d0, np.where(c == 1, 0.2, 0.8))
        assert abs((d - d0).mean()) < 0.01 and abs((d - d0).var() - 0.1) < 0.005
    elif variant == "3b":
        assert np.array_equal(d, d0)


def test_paper_rules_per_variant():
    a, b, c = (tsn.make_config(variant=v) for v in ("3a", "3b", "3c"))
    assert (a.lr, a.crit, a.st1_wrong, a.stop_mae) == (1.0, 0.2, 0, 0.01)
    assert (b.lr, b.crit, b.st1_wrong, b.stop_mae) == (1.0, 0.2, 5, 0.04)
    assert (c.lr, c.crit, c.stop_mae) == (0.1, 0.1, 0.015)
    assert tsn.make_config(variant="3b", lr=0.5, st1_wrong=0).st1_wrong == 0
    assert c.verdict_metric in tsn.PAPER["metrics"] and a.verdict_metric in tsn.PAPER["metrics"]


def test_same_seed_same_run():
    cfg = tsn.make_config(quick=True, max_sequences=1500)
    p1, h1 = tsn.train(cfg)
    p2, h2 = tsn.train(cfg)
    assert h1["check_mae"] == h2["check_mae"] and h1["st2_at"] == h2["st2_at"]
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    m1, m2 = tsn.summarise(cfg, p1, h1), tsn.summarise(cfg, p2, h2)
    drop = lambda m: json.dumps({k: v for k, v in m.items() if not k.endswith("_s")})
    assert drop(m1) == drop(m2)                   # (json: NaN entries compare equal)


def test_quick_run_beats_chance():
    """3a at T=20: both runs meet ST2 and answer almost all 2560 fresh test sequences
    correctly; untrained, the output sits near 0.5 and every answer is wrong."""
    cfg = tsn.make_config(quick=True)
    untrained = tsn.evaluate(tsn.model_params(cfg, [tsn.seed_streams(s, tsn.STREAMS)["init"]
                                                    for s in (cfg.seed, cfg.seed + 1)]), cfg)
    params, hist = tsn.train(cfg)
    ev = tsn.evaluate(params, cfg)
    assert all(s > 0 for s in hist["st2_at"])
    assert max(ev["test_wrong"]) <= 0.01 * ev["n_test"]
    assert min(untrained["test_wrong"]) == untrained["n_test"]


@pytest.mark.parametrize("args", [("--seed", "x"), ("--seed", "-1"), ("--variant", "3d"),
                                  ("--T", "-5"), ("--max-sequences", "-1"), ("--lr", "-1"),
                                  ("--N", "0"), ("--results", "/nonexistent/dir/r.json")])
def test_bad_cli_input_exits_2(args, run_stub, tmp_path):
    out = tmp_path / "r.json"
    extra = () if args[0] == "--results" else ("--results", str(out))
    r = run_stub("two-sequence-noise", *args, *extra)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
    assert not out.exists()
