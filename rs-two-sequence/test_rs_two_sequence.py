"""Tests for rs-two-sequence: the task generator, a planted latch accepted by the search's
check, determinism, the held-out verification, a --quick run, and bad input."""
import dataclasses
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import rs_two_sequence as rs  # noqa: E402


def quick():
    return rs.make_config(quick=True)


def planted_latch() -> np.ndarray:
    """A hand-built A1 net with n = 1: (U=2, 4) weights, columns [input, h, y, bias]; the
    output y has no bias (A1).

    h is a "the sequence has started" unit: h_1 = sigma(50) = 1 and its self weight keeps it
    on. y reads the first input while h_0 = 0 (y_1 = sigma(10 x_1): on iff x_1 = +1); from
    t = 2 on h inhibits y by 50 and y's self weight 100 holds its state: y = 0 stays off
    while 10 x < 50, y = 1 stays on while 10 x > -50, i.e. for any noise |x| < 5.
    """
    return np.array([[0.0, 100.0, 0.0, 50.0],       # h_t = sigma(100 h + 50)
                     [10.0, -50.0, 100.0, 0.0]],    # y_t = sigma(10 x - 50 h + 100 y)
                    np.float32)


def test_generator_statistics():
    cfg = dataclasses.replace(rs.make_config(), n_train=400)
    rng = np.random.default_rng(0)
    x, lengths, tg = rs.make_sequences(rng, cfg.n_train, cfg.lag, cfg.len_spread, cfg.noise_var)
    assert x.shape == (400, cfg.lag + int(cfg.lag * cfg.len_spread))
    assert lengths.min() >= cfg.lag and lengths.max() <= cfg.lag * (1 + cfg.len_spread)
    assert set(np.unique(x[:, 0])) == {-1.0, 1.0}
    assert np.array_equal(tg, (x[:, 0] > 0).astype(np.float32)) and tg.mean() == 0.5
    noise = np.concatenate([x[i, 1:lengths[i]] for i in range(len(x))])
    assert abs(noise.mean()) < 0.01 and abs(noise.var() - cfg.noise_var) < 0.02 * cfg.noise_var + 1e-3
    assert all(np.all(x[i, lengths[i]:] == 0) for i in range(len(x)))


def test_planted_solution_accepted_and_random_rejected():
    cfg = rs.make_config()
    data = rs.search_data(10000, cfg)
    W = np.stack([planted_latch(), -planted_latch()])          # the latch, and its negation
    stage = rs.passes_all(W, np.zeros(2, int), [data], cfg.err_max)
    assert stage.tolist() == [len(rs.STAGES) + 1, 0]          # solved; rejected at once
    x, lengths, tg = data["test"]
    y = rs.run_net(planted_latch()[None, None], x[None], lengths[None])[0, 0]
    assert rs.correct(y, tg, cfg.err_max).all()               # perfect on held-out data too


def test_a1_output_has_no_bias():
    W = rs.sample_weights(np.random.default_rng(0), 1000, 3, 100.0)
    assert np.all(W[:, -1, -1] == 0) and np.all(W[:, :-1, -1] != 0)          # hidden biased
    assert np.abs(W).max() <= 100 and abs(W[:, :, :-1].mean()) < 3           # U[-100, 100]
    Wb = rs.sample_weights(np.random.default_rng(0), 1000, 3, 100.0, output_bias=True)
    assert np.all(Wb[:, -1, -1] != 0)


def test_staged_check_equals_full_check():
    cfg = quick()
    data = rs.search_data(3, cfg)
    W = rs.sample_weights(np.random.default_rng(1), 4000, 2, cfg.w_max)
    stage = rs.passes_all(W, np.zeros(len(W), int), [data], cfg.err_max)
    x, lengths, tg = data["train"]
    full = rs.correct(rs.run_net(W[:, None], x[None].repeat(len(W), 0), lengths[None].repeat(len(W), 0))[:, 0],
                      tg, cfg.err_max).all(1)
    assert np.array_equal(stage == len(rs.STAGES) + 1, full) and full.sum() > 0


def test_determinism():
    cfg = quick()
    m1 = rs.summarise(cfg, *rs.train(cfg))
    m2 = rs.summarise(cfg, *rs.train(cfg))
    assert m1 == m2


def test_block_size_does_not_change_the_counts():
    cfg = quick()
    a, _ = rs.train(cfg)
    b, _ = rs.train(dataclasses.replace(cfg, block=97))
    assert np.array_equal(a["trials"], b["trials"]) and np.array_equal(a["weights"], b["weights"])


def test_quick_run_solves_and_verifies_on_held_out():
    cfg = quick()
    model, hist = rs.train(cfg)
    m = rs.summarise(cfg, model, hist)
    assert m["solved"] == cfg.n_seeds
    # a random net (one draw) is correct on all training sequences with probability
    # 1/mean_trials; every found net must be right on >= 95% of its held-out sequences
    assert m["test_acc_min"] >= 0.95
    assert m["first_stage_pass"] < 0.5                        # most random draws fail at once


def test_bad_input(run_stub, tmp_path):
    r = run_stub("rs-two-sequence", "--seed", "-1")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    missing = tmp_path / "nope" / "r.json"
    r = run_stub("rs-two-sequence", "--quick", "--results", str(missing))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not missing.parent.exists()
