"""Tests for levin-count-inputs: the interpreter's instructions on hand-written programs,
the prior and the phase budget schedule, a planted solution found at its predicted phase,
determinism, held-out verification of every found net, and bad input."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import levin_count_inputs as lci  # noqa: E402

CFG = lci.make_config(quick=True, seed=0)
ON, Y = lci.TRAIN_ON, lci.targets(lci.TRAIN_ON, "count")


def run1(program, budget=10000, cfg=CFG):
    st = lci.load_programs(np.array([program]), cfg.work_cells, cfg.max_len, cfg.n_inputs, budget)
    lci.run(st, cfg.work_cells, cfg.value_max, cfg.n_inputs, cfg.max_len)
    return st


def test_instructions_on_hand_written_programs():
    # Allocate(1); Increment(-1); Increment(-1); WriteWeight(-1); Stop  -> w_0 = 2
    st = run1([7, 1, 8, -1, 8, -1, 1, -1, 3])
    assert st["status"][0] == lci.HALTED and st["steps"][0] == 5 and st["w"][0, 0] == 2
    assert st["mn"][0] == -1 and st["wp"][0] == 1 and st["w"][0, 1:].sum() == 0
    # Add(0, 2, 4): c[4] <- c[0] + c[2] = 4 + 2 = 6, overwriting the Stop at 4; the 6 then
    # runs as Move, whose two arguments would lie beyond the tape: error
    st = run1([4, 0, 2, 4, 3])
    assert st["tape"][0, CFG.work_cells + 4] == 6 and st["status"][0] == lci.ERROR
    # Subtract / Multiply / Move / Decrement into an allocated cell, then write it as a weight
    st = run1([7, 1, 11, 0, 2, -1, 1, -1, 3])          # c[-1] <- c[0] * c[2] = 7 * 11 = 77
    assert st["w"][0, 0] == 77
    st = run1([7, 1, 10, 2, 0, -1, 9, -1, 1, -1, 3])   # c[-1] <- c[2] - c[0] = 10 - 7; Decrement
    assert st["w"][0, 0] == 2
    st = run1([7, 1, 6, 1, -1, 1, -1, 3])              # Move(1, -1): c[-1] <- c[1] = 1
    assert st["w"][0, 0] == 1
    # Jumpleq(a1, a2, a3) jumps iff c[a1] <= c[a2]; Jump; Free
    st = run1([0, 3, 1, 5, 3, 1, 1, 3])                # c[3]=5 > c[1]=3: no jump -> Stop at 4
    assert st["status"][0] == lci.HALTED and st["wp"][0] == 0
    st = run1([0, 1, 3, 5, 3, 1, 1, 3])                # c[1]=1 <= c[3]=5: jump to 5 -> w_0 = c[1]
    assert st["wp"][0] == 1 and st["w"][0, 0] == 1
    st = run1([7, 1, 12, 1, 8, -1])                    # Free(1) then Increment(-1): illegal
    assert st["status"][0] == lci.ERROR and st["steps"][0] == 3
    # impossible things halt: unallocated cell, GetInput, bad opcode, running off the tape
    assert run1([8, -1])["status"][0] == lci.ERROR
    assert run1([5, 0, 1])["status"][0] == lci.ERROR
    assert run1([2, -1])["status"][0] == lci.ERROR                 # jump to an unallocated cell
    assert run1([2, 2, 3])["status"][0] == lci.HALTED
    # an endless loop runs out of its budget
    st = run1([2, 0], budget=50)
    assert st["status"][0] == lci.TIMEOUT and st["steps"][0] == 50


def test_counting_program_and_prior():
    st = run1([1, 0, 2, 0])          # WriteWeight(0) writes c[0] = 1 (its own opcode); Jump(0)
    assert st["status"][0] == lci.ERROR and st["steps"][0] == 201     # halts at weight 101
    assert (st["w"][0] == 1).all() and lci.solved(st, ON, Y)[0]
    # (1): l = log2(13 * 3 * 13 * 5) bits with W = 1 (addresses -1..1, then -1..3)
    assert lci.shape_bits((1, 2), 1) == pytest.approx(np.log2(13 * 3 * 13 * 5))
    progs = lci.shape_programs((1, 2), 1)
    assert progs.shape == (15, 4) and [1, 0, 2, 0] in progs.tolist()
    # the prior sums to one over the opcode of a 1-token program and its arguments
    assert sum(2.0 ** -lci.shape_bits(s, 1) for s in lci.shapes(1)) == pytest.approx(1 / 13)


def test_phase_budget_schedule_and_planted_solution():
    """(2) T_k(p) = floor(2^(k - l)); [1, 0, 2, 0] needs 201 steps, so it must first fit in
    the phase k = ceil(l + log2 201), and not before."""
    l = lci.shape_bits((1, 2), 1)
    k_pred = int(np.ceil(l + np.log2(201)))
    assert np.floor(2.0 ** (k_pred - l)) >= 201 > np.floor(2.0 ** (k_pred - 1 - l))
    phases = lci.plain_search(CFG, ON, Y)
    assert phases[-1]["phase"] == k_pred
    assert [1, 0, 2, 0] in [f[0] for f in phases[-1]["found"]]
    assert all(not ph["found"] for ph in phases[:-1])
    # programs per phase never shrink; the phase's count is every program with l <= k
    n = [ph["n_programs"] for ph in phases]
    assert n == sorted(n) and n[-1] == sum(phases[-1]["per_len"])
    # a random order within the phase: counts lie between the earlier phases' runs and all runs
    before = sum(n[:-1])
    c, f = lci.plain_counts(phases, np.random.default_rng(0))
    assert before < c <= before + n[-1] and f in phases[-1]["found"]


def test_time_limits_distribution():
    T = lci.time_limits(np.random.default_rng(0), 200000, 13)
    assert set(np.unique(T)) <= {2 ** j for j in range(1, 14)}
    assert abs((T == 2).mean() - 0.5) < 0.01 and abs((T >= 256).mean() - 2 ** -7) < 0.002


def test_probabilistic_search_determinism_and_held_out():
    # development seeds 1 and 2 need 2,756 and 101,467 runs; the cap stops seed 2 unsolved
    cfg = lci.make_config(quick=True, seed=1, n_seeds=2, chunk=4000, max_runs=8000, plain=False)
    a, _ = lci.train(cfg)
    b, _ = lci.train(cfg)
    assert np.array_equal(a["prob"]["runs"], b["prob"]["runs"])
    assert np.array_equal(a["prob"]["steps"], b["prob"]["steps"])
    # the chunk size does not change a search: each run has its own row of oracle numbers
    c, _ = lci.train(lci.make_config(quick=True, seed=1, n_seeds=2, chunk=3000,
                                     max_runs=8000, plain=False))
    assert np.array_equal(a["prob"]["runs"], c["prob"]["runs"])
    assert a["prob"]["runs"].tolist() == [2756, 8000] and a["prob"]["solved"].tolist() == [True, False]
    ev = lci.evaluate(a, cfg)
    found = [f for f in a["prob"]["found"] if f is not None]
    assert found and ev["prob_train_exact"].all()
    assert ev["n_test"] == 161697 and ev["prob_test_exact"].all()
    for f in found:                    # each found program writes its net again when re-run
        w, steps, _ = lci.program_weights(f["program"], cfg, f["T"])
        assert np.array_equal(w, f["weights"]) and steps == f["steps"] <= f["T"]


def test_held_out_rejects_a_memorising_net():
    """A net that is right on the 3 training inputs only (w_i = 1 on their on-bits) fits,
    but is wrong on almost every unseen input; gradient descent from zero ends there."""
    w = np.zeros((1, 100), dtype=np.int64)
    w[0, ON.ravel()] = 1
    assert lci.fits(w, ON, Y)[0]
    test_on = lci.test_inputs(100, 3, ON)
    assert len(test_on) == 161697
    acc = (lci.net_output(w, test_on) == 3).mean()
    assert acc < 0.001


def test_bad_input(run_stub, tmp_path):
    r = run_stub("levin-count-inputs", "--seed", "-1")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    missing = tmp_path / "nope" / "r.json"
    r = run_stub("levin-count-inputs", "--quick", "--results", str(missing))
    assert r.returncode == 2 and not missing.parent.exists()
    r = run_stub("levin-count-inputs", "--quick", "--task", "parity")
    assert r.returncode == 2 and "task" in r.stderr


def test_self_modifying_program_is_recorded_as_drawn():
    # Increment(3) rewrites the Jump's target 0 -> 1 before the Jump runs: Jump(1) then runs
    # cell 1 (= 3, Stop). The recorded code keeps the tokens as written.
    st = run1([8, 3, 2, 0])
    assert st["status"][0] == lci.HALTED and st["steps"][0] == 3
    assert st["code"][0, :4].tolist() == [8, 3, 2, 0]
    assert st["tape"][0, CFG.work_cells + 3] == 1
