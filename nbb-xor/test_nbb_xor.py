"""Tests for nbb_xor.py: the NBB rule's invariants, determinism, a learning
threshold an untrained net cannot reach, and CLI errors.

There is no gradient check: the NBB has no backward pass (nothing to check
against a numerical derivative); the substance bookkeeping tests take its place.
"""
import dataclasses
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nbb_xor as nx  # noqa: E402


def mid_training_state(seed=3, presentations=300):
    """Weights after some training (2 development-seed runs of the 3-hidden net)."""
    cfg = nx.make_config(seed=seed, n_seeds=2, max_presentations=presentations, run_to_cap=True,
                         lam=0.01, eta=0.01, sweep_only=True)
    model, _ = nx.train_runs(cfg)
    return nx.rule_of(cfg), model


def test_substance_conservation_of_one_tick():
    """Paid out by connections leaving non-input units == redistributed; the
    rest of what is paid (by connections leaving input units) is dissipated,
    so the total change of substance is Ext - dissipated. Also: the paper's
    denominator sum_h c_hj(t-1) equals net_j(t-1) for every winner j."""
    cfg, model = mid_training_state()
    net, W = model["net"], model["W"]
    n_in = net["n_in"]
    pats = np.array([1, 3])
    frame = nx.input_frame(net, pats)
    gate = nx.correct_outputs(net, pats)
    x = np.zeros(frame.shape)
    net_in = np.zeros(frame.shape)
    c = np.zeros(frame.shape + (net["N"],))
    checked = 0
    for t in range(cfg.ticks):
        x_new, net_new, c_new, (pay, receive, ext) = nx.nbb_tick(W, x, net_in, c, frame, gate, net,
                                                                 cfg, None)
        paid_by_inner = pay[:, n_in:, :].sum((1, 2))
        assert np.allclose(receive.sum((1, 2)), paid_by_inner, rtol=1e-12, atol=1e-15)
        dW = -pay + receive + ext
        assert np.allclose(dW.sum((1, 2)), ext.sum((1, 2)) - pay[:, :n_in, :].sum((1, 2)),
                           rtol=1e-12, atol=1e-15)
        won = x_new[:, n_in:] == 1
        assert np.allclose(c_new.sum(1)[:, n_in:][won], net_new[:, n_in:][won], rtol=1e-12)
        checked += paid_by_inner.sum() > 0
        W, x, net_in, c = W + dW, x_new, net_new, c_new
    assert checked >= 3            # the check ran on ticks where hidden units paid on


def test_constant_payoff_is_eta_per_active_connection_into_the_correct_output():
    """Ext_ij(t) = eta x_i(t-1) x_j(t) on the correct output only; the inputs
    reach the outputs directly (paper, section 6) as well as through the hidden subset."""
    cfg, model = mid_training_state(seed=4)
    net, W = model["net"], model["W"]
    assert (net["M"][:net["n_in"], net["out"]] == 1).all()
    assert (net["M"][net["hid"], net["out"]] == 1).all()
    pats = np.array([0, 2])
    frame = nx.input_frame(net, pats)
    gate = nx.correct_outputs(net, pats)
    x, net_in = np.zeros(frame.shape), np.zeros(frame.shape)
    c = np.zeros(frame.shape + (net["N"],))
    paid = 0.0
    for t in range(cfg.ticks):
        x_new, net_in, c, (pay, receive, ext) = nx.nbb_tick(W, x, net_in, c, frame, gate, net,
                                                             cfg, None)
        want = cfg.eta * x[:, :, None] * x_new[:, None, :] * net["M"] * gate[:, None, :]
        assert np.array_equal(ext, want)
        paid += ext.sum()
        W, x = W - pay + receive + ext, x_new
    assert paid > 0


def test_winner_take_all_invariant():
    """At most one winner per competitive subset, and only with positive net input."""
    net = nx.build_net(2, 2, True)
    rng = np.random.default_rng(1)
    net_in = rng.normal(size=(50, 3, net["N"]))
    net_in[0, 0, net["groups"][0]] = 0.3          # a tie: the lowest index must win
    x = nx.winners(net_in, net, "first", rng)
    for g in net["groups"]:
        sub, xs = net_in[..., g], x[..., g]
        assert (xs.sum(-1) <= 1).all()
        assert ((xs.sum(-1) == 1) == (sub.max(-1) > 0)).all()
        assert (sub[xs == 1] == sub.max(-1)[xs.sum(-1) == 1]).all()
    assert x[0, 0, net["groups"][0]].tolist() == [1.0, 0.0]


def test_three_test_ticks_equal_the_full_six_tick_cycle():
    """Frozen, clamped feedforward net: the last 3 of 6 ticks equal tick 3."""
    cfg, model = mid_training_state(seed=5, presentations=200)
    pats = np.broadcast_to(np.arange(4), (2, 4))
    ok3, _ = nx.test_patterns(model["W"], pats, model["net"], cfg, None)
    full = nx.present(model["W"], pats, model["net"], cfg, None, learn=False)
    assert full["out"].shape == (2, 4, cfg.ticks, 2)
    want = np.eye(2)[nx.XOR_TARGETS[pats]]
    ok6 = (full["out"][:, :, -cfg.test_ticks:, :] == want[:, :, None, :]).all((-1, -2))
    assert (ok3 == ok6).all()


def test_sweep_is_the_same_as_single_seed_runs_and_deterministic():
    cfg = nx.make_config(seed=7, n_seeds=3, max_presentations=150, run_to_cap=True, lam=0.01,
                         eta=0.01, sweep_only=True)
    m1, h1 = nx.train_runs(cfg)
    m2, h2 = nx.train_runs(cfg)
    assert np.array_equal(m1["W"], m2["W"]) and np.array_equal(h1["solved_at"], h2["solved_at"])
    for k in range(3):
        mk, _ = nx.train_runs(dataclasses.replace(cfg, seed=cfg.seed + k, n_seeds=1))
        assert np.array_equal(mk["W"][0], m1["W"][k])


def test_quick_run_learns_what_an_untrained_net_cannot():
    """--quick (5 reporting-block seeds, 3 hidden): every run finds a solution well
    inside the cap; with lam = eta = 0 (no learning) the same 5 nets never do."""
    cfg = nx.make_config(quick=True)
    assert cfg.n_seeds == 5 and cfg.sweep_only and cfg.seed == cfg.report_seeds[0]
    model, hist = nx.train(cfg)
    m = nx.summarise(cfg, model, hist)
    assert m["n_solved"] == 5 and m["mean_presentations"] < 2000 and m["n_runs"] == 5
    again = nx.summarise(cfg, *nx.train(cfg))
    assert {k: v for k, v in again.items() if k != "timing"} == \
        {k: v for k, v in m.items() if k != "timing"}
    frozen = dataclasses.replace(cfg, lam=1e-300, eta=0.0, max_presentations=200, run_to_cap=True)
    model, hist = nx.train_runs(frozen)
    assert np.array_equal(model["W"], model["W0"])
    assert (hist["solved_at"] < 0).all()


def test_bad_cli_input_exits_2_with_one_line_before_any_work(run_stub, tmp_path):
    out = tmp_path / "r.json"
    for args in (["--seed", "x"], ["--seed", "-1"], ["--n-seeds", "0"], ["--reward", "often"],
                 ["--lam", "1.5"], ["--max-presentations", "-3"],
                 ["--results", str(tmp_path / "missing" / "r.json")]):
        r = run_stub("nbb-xor", *args, *([] if "--results" in args else ["--results", str(out)]))
        assert r.returncode == 2, args
        assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == "", (args, r.stderr)
        assert not out.exists() and not (tmp_path / "missing").exists()
