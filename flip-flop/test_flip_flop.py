"""Tests for flip-flop: gradients, task invariants, determinism, a quick solve, CLI errors."""
import dataclasses
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import flip_flop as ff  # noqa: E402

CFG = ff.Config()


# ----------------------------------------------------------------------------
# Gradient checks: RTRL (the learning rule) vs BPTT vs central differences
# ----------------------------------------------------------------------------
def test_model_gradient_rtrl_bptt_numeric(numgrad, rel_error):
    params, events, _, acts = ff.check_sequence(CFG, seed=3, T=10)
    _, g_rtrl = ff.model_loss_rtrl(params, events, acts, CFG)
    _, g_bptt = ff.model_loss_bptt(params, events, acts, CFG)
    for k in ("W_M", "V"):
        g_num = numgrad(lambda: ff.model_loss_bptt(params, events, acts, CFG)[0], params[k])
        assert rel_error(g_rtrl[k], g_num) < 1e-5, k
        assert rel_error(g_bptt[k], g_num) < 1e-5, k
        assert rel_error(g_rtrl[k], g_bptt[k]) < 1e-10, k


def test_controller_gradient_through_model_rtrl_bptt_numeric(numgrad, rel_error):
    # C's objective: sum of M's predicted pains, with the full gradient through
    # M's recurrence and through the pain inputs (rollout inside the model)
    params, events, eps, _ = ff.check_sequence(CFG, seed=4, T=10)
    _, g_rtrl = ff.imagined_pain_rtrl(params, events, eps, CFG)
    _, g_bptt = ff.imagined_pain_bptt(params, events, eps, CFG)
    g_num = numgrad(lambda: ff.imagined_pain_bptt(params, events, eps, CFG)[0], params["W_C"])
    assert rel_error(g_rtrl["W_C"], g_num) < 1e-5
    assert rel_error(g_bptt["W_C"], g_num) < 1e-5
    assert rel_error(g_rtrl["W_C"], g_bptt["W_C"]) < 1e-10


def _c_grad_sum(params, events, eps, truncate):
    st = ff.init_state(1, CFG)
    xin, d = ff.stream_inputs(events)
    no, zero = np.zeros(1, dtype=bool), np.zeros(1)
    total = 0.0
    for t in range(events.shape[0]):
        st, _ = ff.step(params, st, xin[t], d[t], eps[t], no, zero, CFG.sigma,
                        0.0 if truncate else 1.0, m_grad=False)
        total = total + st["G"]
    return total


def test_truncation_drops_only_model_recurrence_and_pain_loop():
    params, events, eps, _ = ff.check_sequence(CFG, seed=5, T=15)
    full = _c_grad_sum(params, events, eps, False)
    trunc = _c_grad_sum(params, events, eps, True)
    assert np.max(np.abs(full - trunc)) > 1e-3          # the two rules differ ...
    cut = {k: v.copy() for k, v in params.items()}
    cut["W_M"][:, :, ff.N_IN_M:] = 0.0                  # ... but not without M's recurrence
    cut["W_M"][:, :, ff.COL_PAIN] = 0.0                 # and the pain loop
    cut["W_C"][:, :, ff.COL_PAIN] = 0.0
    np.testing.assert_allclose(_c_grad_sum(cut, events, eps, False),
                               _c_grad_sum(cut, events, eps, True), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------
# Task invariants
# ----------------------------------------------------------------------------
def test_latch_and_events():
    ev = np.array([[ff.EV_X, ff.EV_B, ff.EV_X, ff.EV_X, ff.EV_A, ff.EV_X, ff.EV_B]]).T
    np.testing.assert_array_equal(ff.latch_targets(ev)[:, 0], [0, 1, 1, 1, 0, 0, 1])
    rng = np.random.default_rng(0)
    e = ff.make_events(rng, 4, 30000)
    freq = np.bincount(e.ravel(), minlength=3) / e.size
    np.testing.assert_allclose(freq, [1 / 3, 1 / 3, 1 / 3], atol=0.01)
    oh = ff.one_hot(e)
    assert np.all(oh.sum(-1) == 1)                      # mutually exclusive events


@pytest.mark.parametrize("lag", [1, 10, 100])
def test_lagged_events_have_the_stated_gaps(lag):
    e = ff.make_events(np.random.default_rng(1), 3, 20000, max_lag=lag)
    for s in range(3):
        pos = np.flatnonzero(e[:, s] != ff.EV_X)
        gaps = np.diff(pos) - 1                          # X's between consecutive A/B events
        assert gaps.min() == (lag + 1) // 2 and gaps.max() == lag


def test_pain_is_squared_error_of_action():
    params = ff.init_params(np.random.default_rng(0), 2, CFG)
    ev = ff.make_events(np.random.default_rng(2), 2, 50)
    res = ff.evaluate(params, CFG, None, record=True, events=ev)
    tr = res["trace"]
    np.testing.assert_allclose(tr["pain"], (tr["y"] - tr["d"]) ** 2)
    np.testing.assert_array_equal(tr["d"], ff.latch_targets(ev))


# ----------------------------------------------------------------------------
# Determinism and learning
# ----------------------------------------------------------------------------
def test_same_seed_same_run():
    cfg = dataclasses.replace(CFG, n_seeds=1, n_seeds_parallel=1, steps=1500,
                              model_steps=500, test_steps=200)
    runs = []
    for _ in range(2):
        params, hist = ff.train(cfg)
        ev = ff.test_runs(params, hist, cfg)
        runs.append((params, hist, ev))
    (p1, h1, e1), (p2, h2, e2) = runs
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    for k in ("pain", "m_loss", "acc"):
        np.testing.assert_array_equal(h1[k], h2[k])
    np.testing.assert_array_equal(e1["test_accuracy"], e2["test_accuracy"])


def test_untrained_controller_fails_the_latch():
    params = ff.init_params(np.random.default_rng(0), 20, CFG)
    ev = ff.make_events(np.random.default_rng(1), 20, 1000)
    res = ff.evaluate(params, CFG, None, events=ev)
    assert res["test_accuracy"].max() < 0.9 and not res["solved"].any()


def test_quick_run_solves_the_latch(tmp_path):
    out = tmp_path / "quick.json"
    assert ff.main(["--quick", "--no-cache", "--results", str(out)]) == 0
    rec = json.loads(out.read_text())
    m = rec["metrics"]
    # untrained controllers score <= 0.9 test accuracy and solve nothing
    assert m["n_solved_parallel"] >= 3 and m["test_accuracy_parallel"] > 0.99
    assert m["test_accuracy_sequential"] > 0.95
    assert rec["grad_check_rel_error"]["C_W_C"] < 1e-8
    for key in ("slug", "command", "seed", "config", "metrics", "paper", "headline",
                "table", "tolerance", "wallclock_s", "env"):
        assert key in rec


def test_lag_sweep_record(tmp_path):
    cfg = dataclasses.replace(CFG, lags=[1, 5], lag_seeds=2, lag_steps=600, lag_model_steps=200,
                              test_steps=100)
    out = tmp_path / "lags.json"
    rec = ff.run_lag_sweep(cfg, "python3 flip-flop/flip_flop.py --lag-sweep --results x",
                           str(out), save_cache=False)
    sw = json.loads(out.read_text())["metrics"]["lag_sweep"]
    assert sw == rec["metrics"]["lag_sweep"] and sw["lags"] == [1, 5]
    for k in ("solved_sequential", "solved_parallel", "test_accuracy_parallel"):
        assert len(sw[k]) == 2 and all(0 <= v <= 1 for v in sw[k])
    # lag 1: an A/B event every other step; lag 5: gaps of 3..5 X's
    assert sw["ab_events_per_run"][0] == 300 and 100 <= sw["ab_events_per_run"][1] <= 150


# ----------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["--seed", "x"], ["--steps", "-5"], ["--variant", "foo"],
                                  ["--steps", "100", "--model-steps", "200"],
                                  ["--lr-c", "nan"], ["--n-seeds", "0"]])
def test_bad_cli_input(run_stub, tmp_path, args):
    out = tmp_path / "r.json"
    r = run_stub("flip-flop", *args, "--results", str(out), timeout=60)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "error" in r.stderr
    assert r.stdout == "" and not out.exists()


def test_stopped_runs_leave_the_batch_without_changing_the_others():
    # stopping solved runs (and skipping M's sensitivities once no active M learns)
    # must not change any other run: same history as without the stop rule
    cfg = dataclasses.replace(CFG, **ff.QUICK)
    _, h_stop = ff.train(cfg)
    _, h_all = ff.train(dataclasses.replace(cfg, stop_window=0))
    stop = h_stop["stop_step"]
    assert (stop > 0).sum() >= 3 and (h_all["stop_step"] == -1).all()
    n = len(h_all["step"])
    for j in range(stop.size):
        k = n if stop[j] < 0 else h_stop["step"].tolist().index(stop[j]) + 1
        for key in ("pain", "m_loss", "acc"):
            np.testing.assert_array_equal(h_stop[key][:k, j], h_all[key][:k, j])
            assert np.isnan(h_stop[key][k:, j]).all()
