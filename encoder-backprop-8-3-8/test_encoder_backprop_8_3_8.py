"""Tests for the 8-3-8 encoder stub: gradients, determinism, batched == single-seed
training, task invariants, a quick run that learns, and the CLI's error handling."""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import encoder_backprop_8_3_8 as enc  # noqa: E402

SLUG = "encoder-backprop-8-3-8"
CORNERS = np.array([[(k >> 2) & 1, (k >> 1) & 1, k & 1] for k in range(8)], float)


def batch(seeds, r=0.5):
    return enc.init_batch(seeds, 0, r, 8, 3)


# ---------------------------------------------------------------- gradients

@pytest.mark.parametrize("loss", ["sse", "xent"])
def test_backward_matches_numerical_gradient(loss, numgrad, rel_error):
    X1, T = enc.make_patterns()
    P = batch([3], r=2.0)                                   # away from the flat start
    h, o = enc.forward(P, X1)
    G = enc.backward(P, X1, T, h, o, loss)
    for k in P:
        num = numgrad(lambda: enc.loss_fn(enc.forward(P, X1)[1], T, loss)[0], P[k])
        assert rel_error(-num, G[k]) < 1e-5, k


def test_cross_entropy_output_delta_drops_the_sigmoid_slope():
    # with cross-entropy, dE/dnet_out = o - t exactly (the reason eta is scaled by 1/4)
    X1, T = enc.make_patterns()
    P = batch([0])
    h, o = enc.forward(P, X1)
    G = enc.backward(P, X1, T, h, o, "xent")
    hb = enc.with_bias_unit(h)
    assert np.allclose(G["W_oh"], np.swapaxes(hb, 1, 2) @ (T - o), rtol=0, atol=1e-15)


# ---------------------------------------------------------------- determinism and batching

def test_same_seed_gives_identical_runs():
    cfg = enc.make_config(seed=4, n_seeds=4, max_epochs=800)
    (P1, h1), (P2, h2) = [enc.run_attempts(cfg, range(4, 8)) for _ in range(2)]
    assert np.array_equal(h1["solve_epoch"], h2["solve_epoch"])
    assert all(np.array_equal(P1[k], P2[k]) for k in P1)
    assert np.array_equal(h1["loss"], h2["loss"], equal_nan=True)


@pytest.mark.parametrize("modern,restart", [(False, 0), (True, 300)])
def test_batched_training_equals_single_seed_training(modern, restart):
    cfg = enc.make_config(modern=modern, max_epochs=1200, max_attempts=4)
    Pb, hb = enc.run_attempts(cfg, range(6), restart_epochs=restart)
    for s in (0, 2, 5):
        Ps, hs = enc.run_attempts(cfg, [s], restart_epochs=restart)
        assert hs["solve_epoch"][0] == hb["solve_epoch"][s]
        assert hs["attempts"][0] == hb["attempts"][s]
        for k in Pb:                                   # bit-identical weights
            assert np.array_equal(Ps[k][0], Pb[k][s]), (s, k)


def test_first_restart_attempt_replays_the_single_attempt():
    cfg = enc.make_config(max_epochs=2000, max_attempts=3)
    _, h1 = enc.run_attempts(cfg, range(8))
    K = 700
    _, h2 = enc.run_attempts(cfg, range(8), restart_epochs=K)
    quick = (h1["solve_epoch"] >= 0) & (h1["solve_epoch"] <= K)
    assert quick.any() and (~quick).any()
    assert np.array_equal(h2["solve_epoch"][quick], h1["solve_epoch"][quick])
    assert (h2["attempts"][quick] == 1).all()
    assert (h2["attempts"][~quick] > 1).all()


# ---------------------------------------------------------------- invariants of the task

def test_patterns_codes_and_criteria():
    X1, T = enc.make_patterns(8)
    assert np.array_equal(X1[:, :8], np.eye(8)) and (X1[:, 8] == 1).all()
    assert np.array_equal(T, np.eye(8))
    h = np.stack([0.1 + 0.8 * CORNERS, 0.1 + 0.8 * CORNERS[[0, 0, 2, 3, 4, 5, 6, 7]]])
    assert np.array_equal(enc.codes(h)[0], np.arange(8))
    assert list(enc.n_distinct(enc.codes(h))) == [8, 7]
    assert enc.shared_pair(h[1]) == (0, 1) and enc.shared_pair(h[0]) == ()
    o = np.stack([0.1 + 0.8 * T, 0.1 + 0.8 * T])
    o[1, 3, 5] = 0.6                                   # one wrong output unit on pattern 3
    assert list(enc.n_reconstructed(o, T)) == [8, 7]
    assert list(enc.is_strict(h, o, T)) == [True, False]


def test_restart_cutoff_minimises_expected_cost():
    # half the runs solve at 100 sweeps, the rest at 1000 or never: restart at 100
    # costs 100 / 0.5 = 200 on average, waiting for 1000 costs more
    T = np.array([100] * 50 + [1000] * 25 + [-1] * 25)
    K, cost = enc.best_restart_cutoff(T, 20000)
    assert K == 100 and cost == pytest.approx(200.0)


def test_stuck_analysis_finds_the_shared_pair():
    cfg = enc.make_config()
    h = 0.05 + 0.9 * CORNERS[[0, 1, 2, 3, 4, 5, 6, 6]]
    h[7, 2] = 0.45                                     # pattern 7 halfway to empty corner 7
    ev = {"h": h[None], "codes": enc.codes(h[None]), "pairs": [(6, 7)],
          "strict": np.array([False]), "reconstructed": np.array([8])}
    st = enc.stuck_analysis(ev, cfg, [0])
    assert st["n_stuck_7_codes"] == 1 and st["toward_empty_corner_frac"] == 1.0
    assert st["pair_nearest_to_half_median"] == pytest.approx(0.05)
    assert 1 <= st["init_similarity_rank_mean"] <= 28


# ---------------------------------------------------------------- a quick run that learns

def test_quick_run_learns_and_restarts_reach_all_seeds():
    cfg = enc.make_config(quick=True, seed=0)
    model, history = enc.train(cfg)
    m = enc.summarise(cfg, model, history)
    # an untrained net reconstructs no pattern set; trained, every seed learns the encoder
    X1, T = enc.make_patterns()
    h0, o0 = enc.forward(batch(range(cfg.n_seeds)), X1)
    assert (enc.n_reconstructed(o0, T) == 0).all()
    assert m["learned_rate"] >= 0.9 and m["n_runs"] == cfg.n_seeds
    assert m["solve_rate_single"] >= 0.5
    assert m["solve_rate_final"] == 1.0
    assert enc.evaluate(model, cfg)["restart"]["strict"].all()
    show = m["showcase"]
    assert show["solved"]["distinct_codes"] == 8


def test_verdict_needs_the_reporting_seeds():
    cfg = enc.make_config(seed=0)                      # development seeds
    m = {"learned_rate": 1.0, "n_runs": 100}
    assert enc.verdict(cfg, m, enc.PAPER)[0] == "partial"
    rep = enc.make_config()
    assert enc.verdict(rep, m, enc.PAPER)[0] == "yes"
    assert enc.verdict(rep, dict(m, learned_rate=0.9), enc.PAPER)[0] == "partial"
    assert enc.verdict(rep, dict(m, learned_rate=0.7), enc.PAPER)[0] == "no"


# ---------------------------------------------------------------- command line

@pytest.mark.parametrize("args", [["--seed", "-1"], ["--seed", "x"], ["--n-seeds", "0"],
                                  ["--loss", "l1"], ["--max-epochs", "-5"], ["--lr", "0"]])
def test_bad_input_is_a_one_line_error(args, run_stub, tmp_path):
    out = tmp_path / "r.json"
    r = run_stub(SLUG, *args, "--results", out)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "error" in r.stderr
    assert not out.exists() and r.stdout == ""


def test_results_in_a_missing_folder_is_a_one_line_error(run_stub, tmp_path):
    out = tmp_path / "missing" / "r.json"
    r = run_stub(SLUG, "--quick", "--results", out)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "does not exist" in r.stderr
    assert not out.parent.exists() and r.stdout == ""


def test_cli_writes_a_run_record(run_stub, tmp_path):
    out = tmp_path / "r.json"
    r = run_stub(SLUG, "--quick", "--seed", "0", "--results", out)
    assert r.returncode == 0, r.stderr
    rec = json.loads(out.read_text())
    assert rec["metrics"]["solve_rate_final"] == 1.0
    assert rec["seeds"]["role"] == "development"
    assert rec["headline"]["reproduces"] == "partial"     # development seeds never say yes
    assert "paper" in r.stdout
