"""Tests for flip-flop: RTRL vs BPTT gradients, task invariants, determinism, a quick
solve, the stop rule, the lag sweep, CLI errors.

The BPTT reference gradients live here (they check the learning rule; they are not
part of it): M's loss on fixed actions, and C's objective in a rollout inside M.
"""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import flip_flop as ff  # noqa: E402
from flip_flop import (COL_ACT, COL_PAIN, N_IN_C, N_IN_M, init_params, init_state,  # noqa: E402
                       latch_targets, make_events, one_hot, sigmoid, step, stream_inputs)

CFG = ff.make_config()


# ----------------------------------------------------------------------------
# BPTT references: the same objectives as the RTRL sums, gradients by backprop through time
# ----------------------------------------------------------------------------
def check_sequence(cfg, seed=0, T=12):
    """One run's weights (float64), a short event stream, noise and actions."""
    ss = np.random.SeedSequence(seed).spawn(3)
    params = init_params(np.random.default_rng(ss[0]), 1, cfg.n_c, cfg.n_m, cfg.init_scale)
    rng = np.random.default_rng(ss[1])
    events = make_events(rng, 1, T, cfg.p_event, cfg.max_lag)
    eps = np.random.default_rng(ss[2]).standard_normal((T, 1))
    acts = np.random.default_rng(ss[2]).random((T, 1))
    return params, events, eps, acts


def model_loss_rtrl(params, events, acts):
    """M's loss L = sum_t (q_t - p_t)^2 / 2 on fixed actions; RTRL gradient (eq. 1)."""
    T = events.shape[0]
    st = init_state(1, params["W_C"].shape[1], params["W_M"].shape[1], params["W_C"].dtype)
    xin, dd = stream_inputs(events)
    yes, zero = np.ones(1, dtype=bool), np.zeros(1)
    L, gW, gV = 0.0, np.zeros_like(params["W_M"]), np.zeros_like(params["V"])
    for t in range(T):
        st, out = step(params, st, xin[t], dd[t], zero, yes, acts[t], 0.0, 0.0, c_grad=False)
        err = out["q"] - out["pain"]
        L += 0.5 * float(err @ err)
        gW += (err[:, None] * out["dq_dWM"]).reshape(gW.shape)
        gV += err[:, None] * np.concatenate([st["g"], np.ones((1, 1))], axis=1)
    return L, {"W_M": gW, "V": gV}


def model_loss_bptt(params, events, acts):
    """Same loss as model_loss_rtrl, gradient by backpropagation through time."""
    T = events.shape[0]
    W_M, V = params["W_M"][0], params["V"][0]
    nm = params["W_M"].shape[1]
    X = one_hot(events)[:, 0]
    g_prev, pain_prev = np.zeros(nm), 0.0
    us, gs, errs = [], [], []
    for t in range(T):
        d_t = latch_targets(events[: t + 1])[-1, 0]
        u = np.concatenate([X[t], [1.0, pain_prev, acts[t, 0]], g_prev])
        g = sigmoid(W_M @ u)
        q = V[:nm] @ g + V[nm]
        p = (acts[t, 0] - d_t) ** 2
        us.append(u), gs.append(g), errs.append(q - p)
        g_prev, pain_prev = g, p
    L = 0.5 * float(np.sum(np.square(errs)))
    gW, gV = np.zeros_like(W_M), np.zeros_like(V)
    ds_next = np.zeros(nm)                      # dL/d(pre-activation of M) at t+1
    for t in reversed(range(T)):
        dg = V[:nm] * errs[t] + W_M[:, N_IN_M:].T @ ds_next
        ds = dg * gs[t] * (1 - gs[t])
        gW += np.outer(ds, us[t])
        gV += errs[t] * np.concatenate([gs[t], [1.0]])
        ds_next = ds
    return L, {"W_M": gW[None], "V": gV[None]}


def imagined_pain_rtrl(params, events, eps, sigma):
    """C's objective J = sum_t q_t in a rollout where the pain inputs are M's
    predictions (imagine=True); its RTRL gradient sum_t G_t (eqs. 2-4)."""
    T = events.shape[0]
    st = init_state(1, params["W_C"].shape[1], params["W_M"].shape[1], params["W_C"].dtype)
    xin, dd = stream_inputs(events)
    no, zero = np.zeros(1, dtype=bool), np.zeros(1)
    J, gC = 0.0, np.zeros_like(params["W_C"])
    for t in range(T):
        st, out = step(params, st, xin[t], dd[t], eps[t], no, zero, sigma, 1.0,
                       m_grad=False, imagine=True)
        J += float(out["q"][0])
        gC += st["G"].reshape(gC.shape)
    return J, {"W_C": gC}


def imagined_pain_bptt(params, events, eps, sigma):
    """Same objective as imagined_pain_rtrl, gradient by BPTT through C and M."""
    T = events.shape[0]
    W_C, W_M, V = params["W_C"][0], params["W_M"][0], params["V"][0]
    nc, nm = W_C.shape[0], W_M.shape[0]
    X = one_hot(events)[:, 0]
    h, g, pain = np.zeros(nc), np.zeros(nm), 0.0
    zs, us, hs, gs = [], [], [], []
    J = 0.0
    for t in range(T):
        z = np.concatenate([X[t], [1.0, pain], h])
        h = sigmoid(W_C @ z)
        a = h[0] + sigma * eps[t, 0]
        u = np.concatenate([X[t], [1.0, pain, a], g])
        g = sigmoid(W_M @ u)
        pain = V[:nm] @ g + V[nm]
        J += pain
        zs.append(z), us.append(u), hs.append(h), gs.append(g)
    gC = np.zeros_like(W_C)
    dsc_next, dsm_next = np.zeros(nc), np.zeros(nm)
    for t in reversed(range(T)):
        # q_t is counted in J and is the pain input of both nets at t+1
        dq = 1.0 + W_C[:, COL_PAIN] @ dsc_next + W_M[:, COL_PAIN] @ dsm_next
        dg = V[:nm] * dq + W_M[:, N_IN_M:].T @ dsm_next
        dsm = dg * gs[t] * (1 - gs[t])
        da = W_M[:, COL_ACT] @ dsm
        dh = W_C[:, N_IN_C:].T @ dsc_next
        dh[0] += da
        dsc = dh * hs[t] * (1 - hs[t])
        gC += np.outer(dsc, zs[t])
        dsc_next, dsm_next = dsc, dsm
    return J, {"W_C": gC[None]}


# ----------------------------------------------------------------------------
# Gradient checks: RTRL (the learning rule) vs BPTT vs central differences
# ----------------------------------------------------------------------------
def test_model_gradient_rtrl_bptt_numeric(numgrad, rel_error):
    params, events, _, acts = check_sequence(CFG, seed=3, T=10)
    _, g_rtrl = model_loss_rtrl(params, events, acts)
    _, g_bptt = model_loss_bptt(params, events, acts)
    for k in ("W_M", "V"):
        g_num = numgrad(lambda: model_loss_bptt(params, events, acts)[0], params[k])
        assert rel_error(g_rtrl[k], g_num) < 1e-5, k
        assert rel_error(g_bptt[k], g_num) < 1e-5, k
        assert rel_error(g_rtrl[k], g_bptt[k]) < 1e-10, k


def test_controller_gradient_through_model_rtrl_bptt_numeric(numgrad, rel_error):
    # C's objective: sum of M's predicted pains, with the full gradient through
    # M's recurrence and through the pain inputs (rollout inside the model)
    params, events, eps, _ = check_sequence(CFG, seed=4, T=10)
    _, g_rtrl = imagined_pain_rtrl(params, events, eps, CFG.sigma)
    _, g_bptt = imagined_pain_bptt(params, events, eps, CFG.sigma)
    g_num = numgrad(lambda: imagined_pain_bptt(params, events, eps, CFG.sigma)[0], params["W_C"])
    assert rel_error(g_rtrl["W_C"], g_num) < 1e-5
    assert rel_error(g_bptt["W_C"], g_num) < 1e-5
    assert rel_error(g_rtrl["W_C"], g_bptt["W_C"]) < 1e-10


def _c_grad_sum(params, events, eps, truncate):
    st = init_state(1, CFG.n_c, CFG.n_m, np.float64)
    xin, d = stream_inputs(events)
    no, zero = np.zeros(1, dtype=bool), np.zeros(1)
    total = 0.0
    for t in range(events.shape[0]):
        st, _ = step(params, st, xin[t], d[t], eps[t], no, zero, CFG.sigma,
                     0.0 if truncate else 1.0, m_grad=False)
        total = total + st["G"]
    return total


def test_truncation_drops_only_model_recurrence_and_pain_loop():
    params, events, eps, _ = check_sequence(CFG, seed=5, T=15)
    full = _c_grad_sum(params, events, eps, False)
    trunc = _c_grad_sum(params, events, eps, True)
    assert np.max(np.abs(full - trunc)) > 1e-3          # the two rules differ ...
    cut = {k: v.copy() for k, v in params.items()}
    cut["W_M"][:, :, N_IN_M:] = 0.0                     # ... but not without M's recurrence
    cut["W_M"][:, :, COL_PAIN] = 0.0                    # and the pain loop
    cut["W_C"][:, :, COL_PAIN] = 0.0
    np.testing.assert_allclose(_c_grad_sum(cut, events, eps, False),
                               _c_grad_sum(cut, events, eps, True), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------
# Task invariants
# ----------------------------------------------------------------------------
def test_latch_and_events():
    ev = np.array([[ff.EV_X, ff.EV_B, ff.EV_X, ff.EV_X, ff.EV_A, ff.EV_X, ff.EV_B]]).T
    np.testing.assert_array_equal(latch_targets(ev)[:, 0], [0, 1, 1, 1, 0, 0, 1])
    e = make_events(np.random.default_rng(0), 4, 30000)
    freq = np.bincount(e.ravel(), minlength=3) / e.size
    np.testing.assert_allclose(freq, [1 / 3, 1 / 3, 1 / 3], atol=0.01)
    assert np.all(one_hot(e).sum(-1) == 1)              # mutually exclusive events


@pytest.mark.parametrize("lag", [1, 10, 100])
def test_lagged_events_have_the_stated_gaps(lag):
    e = make_events(np.random.default_rng(1), 3, 20000, max_lag=lag)
    for s in range(3):
        pos = np.flatnonzero(e[:, s] != ff.EV_X)
        gaps = np.diff(pos) - 1                          # X's between consecutive A/B events
        assert gaps.min() == (lag + 1) // 2 and gaps.max() == lag


def test_pain_is_squared_error_of_action():
    params = init_params(np.random.default_rng(0), 2, CFG.n_c, CFG.n_m, CFG.init_scale)
    ev = make_events(np.random.default_rng(2), 2, 50)
    tr = ff.frozen_run(params, CFG, ev, record=True)["trace"]
    np.testing.assert_allclose(tr["pain"], (tr["y"] - tr["d"]) ** 2)
    np.testing.assert_array_equal(tr["d"], latch_targets(ev))


# ----------------------------------------------------------------------------
# Determinism and learning
# ----------------------------------------------------------------------------
def test_same_seed_same_run():
    cfg = ff.make_config(n_seeds=1, n_seeds_sequential=1, steps=1500, model_steps=500,
                         test_steps=200)
    (p1, h1), (p2, h2) = ff.train(cfg), ff.train(cfg)
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])
    for k in ("pain", "m_loss", "acc"):
        np.testing.assert_array_equal(h1[k], h2[k])
    untimed = [{k: v for k, v in ff.summarise(cfg, p, h).items() if not k.endswith("_s")}
               for p, h in ((p1, h1), (p2, h2))]
    assert untimed[0] == untimed[1]       # timings (*_s) are the only things allowed to differ


def test_untrained_controller_fails_the_latch():
    params = init_params(np.random.default_rng(0), 20, CFG.n_c, CFG.n_m, CFG.init_scale)
    ev = make_events(np.random.default_rng(1), 20, 1000)
    res = ff.frozen_run(params, CFG, ev)
    assert res["test_accuracy"].max() < 0.9 and not res["solved"].any()


def test_quick_run_solves_the_latch(tmp_path):
    out = tmp_path / "quick.json"
    rec = ff.main(["--quick", "--results", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(rec))
    m = rec["metrics"]
    # untrained controllers score < 0.9 test accuracy and solve nothing
    assert m["n_solved_parallel"] >= 3 and m["test_accuracy_parallel"] > 0.99
    assert m["test_accuracy_sequential"] > 0.95
    assert m["n_runs"] == 4 and rec["seeds"]["role"] == "development"


def test_stopped_runs_leave_the_batch_without_changing_the_others():
    # stopping solved runs (and skipping M's sensitivities once no active M learns)
    # must not change any other run: same history as without the stop rule
    cfg = ff.make_config(quick=True)
    _, h_stop = ff.train(cfg)
    _, h_all = ff.train(ff.make_config(quick=True, stop_window=0))
    stop = h_stop["stop_step"]
    assert (stop > 0).sum() >= 3 and (h_all["stop_step"] == -1).all()
    n = len(h_all["step"])
    for j in range(stop.size):
        k = n if stop[j] < 0 else h_stop["step"].tolist().index(stop[j]) + 1
        for key in ("pain", "m_loss", "acc"):
            np.testing.assert_array_equal(h_stop[key][:k, j], h_all[key][:k, j])
            assert np.isnan(h_stop[key][k:, j]).all()


def test_lag_run_table_trains_each_lag_on_its_own_events():
    # the lag sweep (experiments_flip_flop.py) trains one run table with several lags
    cfg = ff.make_config(n_seeds=2, n_seeds_sequential=2, steps=600, model_steps=200,
                         test_steps=100)
    runs = ff.run_table(cfg, lags=[1, 5])
    assert runs["seed"].size == 8 and sorted(set(runs["lag"].tolist())) == [1, 5]
    params, hist = ff.train_runs(cfg, runs)
    ab = hist["ab_events"]
    # lag 1: an A/B event every other step; lag 5: gaps of 3..5 X's
    assert (ab[runs["lag"] == 1] == 300).all()
    assert ((ab[runs["lag"] == 5] >= 100) & (ab[runs["lag"] == 5] <= 150)).all()
    ev = ff.test_runs(params, runs, cfg)
    assert ev["test_accuracy"].shape == (8,)


# ----------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["--seed", "-1"], ["--seed", "x"], ["--steps", "-5"],
                                  ["--variant", "foo"], ["--steps", "100", "--model-steps", "200"],
                                  ["--lr-c", "nan"], ["--n-seeds", "0"],
                                  ["--n-seeds", "5", "--n-seeds-sequential", "6"]])
def test_bad_cli_input(run_stub, tmp_path, args):
    out = tmp_path / "r.json"
    r = run_stub("flip-flop", *args, "--results", str(out), timeout=60)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "error" in r.stderr
    assert r.stdout == "" and not out.exists()


def test_results_in_a_missing_folder_fails_before_any_work(run_stub, tmp_path):
    out = tmp_path / "missing" / "r.json"
    r = run_stub("flip-flop", "--results", str(out), timeout=60)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert r.stdout == "" and not out.exists()


def test_experiments_cli_rejects_bad_input_before_any_work(tmp_path):
    import subprocess
    script = os.path.join(os.path.dirname(__file__), "experiments_flip_flop.py")
    for args in (["nope"], ["gradients", "--results", str(tmp_path / "missing" / "r.json")]):
        r = subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert r.stdout == ""
