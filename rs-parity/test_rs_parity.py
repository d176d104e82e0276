"""Tests for rs-parity: the parity generator, a planted parity net, the search's
invariances, held-out verification, the quick run, and bad input."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import rs_parity  # noqa: E402

QUICK = dict(quick=True, seed=0)


def planted_net(n_hidden: int, k: float = 40.0) -> np.ndarray:
    """A hand-built A2 net (no self-connections): with a = [x_t = +1], b = y_{t-1},
    h_1 = OR(a, b), h_2 = AND(a, b), y_t = h_1 - h_2 > 1/2 = a XOR b: the running parity."""
    p = {name: np.zeros(size) for name, size in rs_parity.param_shapes(n_hidden).items()}
    p["w_hx"][:2] = 0.5 * k
    p["w_ho"][:2] = k
    p["b_h"][:2] = [0.0, -k]
    p["w_oh"][:2] = [k, -k]
    p["b_o"][:] = -0.5 * k
    return np.concatenate([p[n] for n in p if n != "w_hh"])


@pytest.fixture(scope="module")
def quick_run():
    cfg = rs_parity.make_config(**QUICK)
    model, history = rs_parity.train(cfg)
    return cfg, model, history, rs_parity.summarise(cfg, model, history)


def test_parity_generator_statistics():
    rng = np.random.default_rng(0)
    X, L, y = rs_parity.parity_data(rng, 2000, 500, 600)
    assert X.dtype == np.int8 and X.shape == (2000, 600)
    assert L.min() >= 500 and L.max() <= 600 and len(np.unique(L)) > 90
    inside = np.arange(600)[None, :] < L[:, None]
    assert set(np.unique(X[inside])) == {-1, 1} and not X[~inside].any()
    # targets are the true parity, the classes alternate and are balanced
    assert np.array_equal(rs_parity.parity_of(X), y)
    assert np.array_equal(y, (np.arange(2000) % 2 == 0).astype(float))
    # bits stay fair coins after the class-fixing flip (mean of +-1 near 0)
    assert abs(X[inside].mean()) < 0.01


def test_planted_net_is_accepted_and_generalises():
    cfg = rs_parity.make_config(**QUICK)
    data = rs_parity.make_searches(cfg)[0]
    W = planted_net(cfg.n_hidden)[None, None]                     # (1, 1, P)
    batch = {k: data[k][None] for k in ("X", "L", "y")}
    assert rs_parity.accept(W, batch, cfg)[0, 0]
    model = {"weights": W[0], "solved": np.array([True] + [False] * (cfg.n_seeds - 1)),
             "trials": np.ones(cfg.n_seeds, int)}
    ev = rs_parity.evaluate(model, cfg)
    assert ev["train_acc"][0] == 1.0 and ev["test_acc"][0] == 1.0
    # at the paper's length too
    rng = np.random.default_rng(1)
    X, L, y = rs_parity.parity_data(rng, 200, 500, 600)
    p = rs_parity.unpack(planted_net(cfg.n_hidden), cfg.n_hidden, False)
    assert rs_parity.correct(rs_parity.forward(p, X, L), y, cfg.out_tol).all()
    # breaking it (output ignores the AND unit) is rejected
    bad = planted_net(cfg.n_hidden)
    bad[3 * cfg.n_hidden + 2] = 0.0   # w_oh[1]: flat order w_hx, w_ho, b_h, w_ox, w_oh, b_o
    assert not rs_parity.accept(bad[None, None], batch, cfg)[0, 0]


def test_quick_run_solves_and_verifies_on_held_out(quick_run):
    cfg, model, history, m = quick_run
    # every search finds a net; a random net classifies ~50% of fresh sequences
    assert m["n_solved"] == cfg.n_seeds
    assert m["test_acc_mean"] >= 0.99 and m["frac_test_perfect"] >= 0.9
    assert m["train_acc_min"] == 1.0
    assert 20 < m["mean_trials"] < 2000
    ex = history["example_trials"]
    assert ex.shape == (model["trials"][0], rs_parity.n_params(cfg.n_hidden, False))
    assert np.array_equal(ex[-1], model["weights"][0])


def test_random_nets_fail_held_out():
    cfg = rs_parity.make_config(**QUICK)
    data = rs_parity.make_searches(cfg)[0]
    W = np.random.default_rng(5).uniform(-100, 100, size=(200, 42))
    p = rs_parity.unpack(W, cfg.n_hidden, False)
    acc = rs_parity.correct(rs_parity.forward(p, data["X_test"][None], data["L_test"][None]),
                            data["y_test"][None], cfg.out_tol).mean(-1)
    assert acc.mean() < 0.6 and (acc == 1.0).mean() < 0.05


def test_determinism_and_chunk_invariance(quick_run):
    cfg, model, _, m = quick_run
    again = rs_parity.summarise(cfg, *rs_parity.train(cfg))
    drop = lambda d: {k: v for k, v in d.items() if not k.endswith("_s")}   # CPU timings
    assert drop(again) == drop(m)
    # drawing trials 7 at a time with a 1-sequence screen gives the same searches
    other = rs_parity.make_config(**QUICK, chunk=7, screen=1)
    m2, _ = rs_parity.train(other)
    assert np.array_equal(m2["trials"], model["trials"])
    assert np.array_equal(m2["weights"], model["weights"])


def test_bad_input(run_stub, tmp_path):
    r = run_stub("rs-parity", "--seed", "-1")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    missing = tmp_path / "nope" / "r.json"
    r = run_stub("rs-parity", "--quick", "--results", str(missing))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not missing.parent.exists()
    r = run_stub("rs-parity", "--quick", "--len-max", "10")
    assert r.returncode == 2 and "len-max" in r.stderr


def test_planted_a1_net_with_one_hidden_unit():
    """A1, n = 1: h = AND(a, b), y = a + b - 2h > 1/2 with b = y_{t-1} fed back by w_oo."""
    k = 40.0
    # order: w_hx, w_ho, W_hh, b_h, w_ox, w_oh, w_oo
    W = np.array([0.5 * k, k, 0.0, -k, 0.5 * k, -2 * k, k])
    assert W.size == rs_parity.n_params(1, False, "A1")
    p = rs_parity.unpack(W, 1, False, "A1")
    X, L, y = rs_parity.parity_data(np.random.default_rng(2), 200, 500, 600)
    assert rs_parity.correct(rs_parity.forward(p, X, L), y, 0.1).all()
    W[-1] = 0.0                                   # no output self-connection: no memory
    p = rs_parity.unpack(W, 1, False, "A1")
    assert rs_parity.correct(rs_parity.forward(p, X, L), y, 0.1).mean() < 0.7
