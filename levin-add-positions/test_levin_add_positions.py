"""Tests for levin-add-positions: the interpreter on hand-written programs, the hand-written
solution and its predicted phase (found there by plain Levin search over its opcode
sequence, and not before), the time-limit law, the gradient-descent baseline, held-out
verification, determinism, and bad input."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import levin_add_positions as lap  # noqa: E402

CFG = lap.make_config(quick=True, seed=0)
ON, Y = lap.TRAIN_ON, lap.targets(lap.TRAIN_ON, "positions")


def run1(program, budget=10000, cfg=CFG):
    st = lap.load_programs(np.array([program]), cfg.work_cells, cfg.max_len, cfg.n_inputs, budget)
    lap.run(st, cfg.work_cells, cfg.value_max, cfg.n_inputs, cfg.max_len)
    return st


def test_targets_are_the_papers():
    assert Y.tolist() == lap.PAPER["context"]["train_targets"]


def test_instructions_on_hand_written_programs():
    st = run1([7, 1, 8, -1, 8, -1, 1, -1, 3])          # Allocate, Increment twice, write, Stop
    assert st["status"][0] == lap.HALTED and st["w"][0, 0] == 2 and st["wp"][0] == 1
    st = run1([7, 1, 4, 0, 2, -1, 1, -1, 3])            # c[-1] <- c[0] + c[2] = 7 + 4
    assert st["w"][0, 0] == 11
    st = run1([0, 1, 3, 5, 3, 1, 1, 3])                 # Jumpleq taken: c[1]=1 <= c[3]=5
    assert st["wp"][0] == 1 and st["w"][0, 0] == 1
    assert run1([8, -1])["status"][0] == lap.ERROR      # unallocated work cell
    assert run1([5, 0, 1])["status"][0] == lap.ERROR    # no input in this task
    st = run1([2, 0], budget=40)
    assert st["status"][0] == lap.TIMEOUT and st["steps"][0] == 40


def test_hand_written_solution_and_its_predicted_phase():
    """Allocate(1); WriteWeight(-1); Increment(-1); Jump(2) writes w_i = i in 302 steps.
    With l = 23.1 bits its first budget of >= 302 steps is in phase 32; plain Levin search
    restricted to its opcode sequence finds it exactly there."""
    st = run1(lap.CANONICAL)
    assert st["steps"][0] == 302 and (st["w"][0] == np.arange(100)).all()
    assert lap.solved(st, ON, Y)[0]
    shape = (7, 1, 8, 2)
    l = lap.shape_bits(shape, CFG.work_cells)
    assert l == pytest.approx(4 * np.log2(13) + np.log2(5 * 7 * 9))
    k = int(np.ceil(l + np.log2(302)))
    assert np.floor(2.0 ** (k - l)) >= 302 > np.floor(2.0 ** (k - 1 - l))
    cfg = lap.make_config(quick=True, max_phase=40)
    phases = lap.plain_search(cfg, ON, Y, table=[(shape, l)])
    assert phases[-1]["phase"] == k == 32
    assert lap.CANONICAL in [f[0] for f in phases[-1]["found"]]
    assert all(not ph["found"] for ph in phases[:-1])


def test_time_limits_distribution():
    T = lap.time_limits(np.random.default_rng(1), 100000, 13)
    assert T.max() == 2 ** 13 and abs((T >= 512).mean() - 2 ** -8) < 0.001


def test_gradient_descent_fits_and_does_not_generalise():
    gd = lap.gd_baselines(CFG, np.random.default_rng(0))
    X = lap.one_hot(ON, 100)
    for g in gd.values():
        assert np.abs(X @ g["w"] - Y).max() < 1e-6              # fits the 3 examples
        assert (np.abs(g["w"] - g["w0"]) > 1e-6).sum() == 9    # moves only their on-bits
    test_on = lap.test_inputs(100, 3, ON)
    pred = gd["zero"]["w"][test_on].sum(-1)
    assert (np.abs(pred - test_on.sum(-1)) < 0.5).mean() < 0.01


def test_held_out_verification_of_found_nets():
    w, steps, _ = lap.program_weights(lap.CANONICAL, CFG, 1000)
    bad = lap.CANONICAL[:]
    bad[4] = 9                                       # Decrement instead of Increment
    wb, _, _ = lap.program_weights(bad, CFG, 1000)
    model = {"prob": {"found": [None]}, "gd": {},
             "plain_phases": [{"found": [(lap.CANONICAL, steps, 23.1, w),
                                         (bad, steps, 23.1, wb)]}]}
    ev = lap.evaluate(model, CFG)
    assert ev["n_test"] == 161697
    assert ev["plain_train_exact"].tolist() == [True, False]
    assert ev["plain_test_exact"].tolist() == [True, False]


def test_quick_run_determinism():
    a = lap.summarise(CFG, *lap.train(CFG))
    b = lap.summarise(CFG, *lap.train(CFG))
    drop = lambda d: {k: v for k, v in d.items() if not k.endswith("_s")}
    assert drop(a) == drop(b)
    assert a["total_runs"] == CFG.n_seeds * CFG.max_runs and a["canonical_phase"] == 32


def test_bad_input(run_stub, tmp_path):
    r = run_stub("levin-add-positions", "--seed", "-1")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    r = run_stub("levin-add-positions", "--quick", "--gd-steps", "0")
    assert r.returncode == 2 and "gd-steps" in r.stderr
    missing = tmp_path / "nope" / "r.json"
    r = run_stub("levin-add-positions", "--quick", "--results", str(missing))
    assert r.returncode == 2 and not missing.parent.exists()


def test_uniform_time_law_ablation():
    T = lap.time_limits(np.random.default_rng(2), 130000, 13, "uniform")
    assert set(np.unique(T)) == {2 ** j for j in range(1, 14)}
    assert abs((T >= 512).mean() - 5 / 13) < 0.01
    with pytest.raises(ValueError):
        lap.make_config(time_law="flat")
