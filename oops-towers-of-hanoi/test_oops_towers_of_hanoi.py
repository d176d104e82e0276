"""Tests for oops-towers-of-hanoi: the interpreter's instructions on hand-written
programs, the bias-optimal time limits of Try, a planted solution found in the
predicted phase, reuse of frozen code, determinism, held-out verification of every
found solver (and that a broken solver fails it), and bad input."""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oops_towers_of_hanoi as oops  # noqa: E402

CFG = oops.make_config()
HANOI = ["defnp", "xAD", "calltp", "xAD", "mvdsk", "xSA", "calltp", "endnp"]
ONETWO = ["defnp", "c1", "calltp", "c2", "endnp"]
PERMS = [(1, 2, 3), (1, 3, 2), (2, 1, 3), (2, 3, 1), (3, 1, 2), (3, 2, 1)]


def solver(code, start, lib=(0, 0)):
    return {"start": start, "end": len(code), "tokens": code[start:], "lib": lib, "n": 1}


def run(code, family, n, lib=(0, 0), pegs=(1, 2, 3), max_steps=100000):
    x = oops.new_instance(family, n, 0, pegs)
    return oops.execute(code, solver(code, 0, lib), x, max_steps, CFG)


def hanoi_reference(n, S, A, D):
    """The textbook recursion (paper's Method 4.1), written independently of the stub."""
    return [] if n == 0 else (hanoi_reference(n - 1, S, D, A) + [(S, D)]
                              + hanoi_reference(n - 1, A, S, D))


@pytest.fixture(scope="module")
def quick_run():
    cfg = oops.make_config(quick=True)
    model, history = oops.train(cfg)
    return cfg, model, history, oops.summarise(cfg, model, history)


# ---------------------------------------------------------------- the interpreter
def test_instructions_on_hand_written_programs():
    ok, t, x = run(["c1", "c2", "c2", "del"], "onetwo", 1)
    assert ok and t == 2 and x[1] == (1, 2)                     # solved after c1 c2: stops there
    ok, t, x = run(["c2", "c1", "del", "c2"], "onetwo", 1)
    assert not ok and x[1] == (2, 2)
    with pytest.raises(oops.Halt):                              # pop of an empty stack
        oops.step(oops.new_instance("onetwo", 1, 0), ["del"], (0, 0), 64, 256)
    with pytest.raises(oops.Halt):                              # calltp outside a function
        oops.step(oops.new_instance("onetwo", 2, 0), ["calltp"], (0, 0), 64, 256)
    with pytest.raises(oops.Halt):                              # endnp outside a function
        oops.step(oops.new_instance("onetwo", 2, 0), ["endnp"], (0, 0), 64, 256)
    with pytest.raises(oops.Halt):                              # no pegs in 1^n 2^n
        oops.step(oops.new_instance("onetwo", 2, 0), ["mvdsk"], (0, 0), 64, 256)
    for n in range(1, 12):                                      # defnp/calltp/endnp recursion
        ok, t, x = run(ONETWO, "onetwo", n)
        assert ok and x[1] == oops.onetwo_target(n) and t == 4 * n


def test_hanoi_instructions_and_illegal_moves():
    x = oops.new_instance("hanoi", 3, 0)
    x = oops.step(x, ["xSA"], (0, 0), 64, 256)
    assert x[2][-1][1] == (2, 1, 3, 3)
    x = oops.step((0,) + x[1:], ["xAD"], (0, 0), 64, 256)
    assert x[2][-1][1] == (2, 3, 1, 3)
    x = oops.new_instance("hanoi", 3, 0)
    x = oops.step(x, ["mvdsk"], (0, 0), 64, 256)                # disc 1: peg 1 -> peg 3
    assert x[3][1] == (3, 2) and x[3][3] == (1,)
    with pytest.raises(oops.Halt):                              # disc 2 onto disc 1: illegal
        oops.step((0,) + x[1:], ["mvdsk"], (0, 0), 64, 256)
    for n in range(1, 9):
        for pegs in PERMS:
            rec = []
            x = oops.new_instance("hanoi", n, 0, pegs)
            ok, t, _ = oops.execute(HANOI, solver(HANOI, 0), x, 10 ** 6, CFG, rec)
            moves = [(a, b) for kind, a, b in rec if kind == "move"]
            assert ok and moves == hanoi_reference(n, *pegs) and len(moves) == 2 ** n - 1
            assert np.array_equal(oops.hanoi_moves_closed_form(n, *pegs), np.array(moves))


def test_callfz_calls_the_most_recent_frozen_program():
    code = ["c1", "c2", "del", "callfz", "c2"]                  # lib: q[0:2] = c1 c2
    ok, _, x = run(code, "onetwo", 2, lib=(0, 2))
    assert ok and x[1] == (1, 1, 2, 2)
    with pytest.raises(oops.Halt):                              # no frozen program yet
        oops.step(oops.new_instance("onetwo", 2, 0), ["callfz"], (0, 0), 64, 256)
    ok, _, _ = run(["callfz"], "onetwo", 1, lib=(0, 1))         # calls itself: stack overflow
    assert not ok


# ---------------------------------------------------------------- the search
def test_time_limits_are_bias_optimal():
    """Try gives a prefix p at most P(p) T steps: with T = 99 no 2-token program (P = 1/100)
    may run; with T = 200 'c1 c2' (2 steps, P = 1/100) is found, and never a 3-token one."""
    s = oops.Search([], 0, (0, 0), "onetwo", 1, 199, CFG)
    assert not s.go()
    s = oops.Search([], 0, (0, 0), "onetwo", 1, 200, CFG)
    assert s.go() and s.found == ["c1", "c2"]
    # every node's time stayed within its budget: T * q^depth >= t
    log = []
    s = oops.Search([], 0, (0, 0), "onetwo", 2, 5000, CFG, log_nodes=log)
    s.go()
    assert all(t <= 5000 * 0.1 ** len(p) + 1e-9 for p, _, t in log)
    assert s.nodes == len(log) < s.log_cap


def test_planted_solution_found_in_the_predicted_phase():
    """The 5-token recursive 1^n 2^n solver has P = 10^-5 and needs t = sum_n 4n steps on the
    ring n = 1..3: Try finds it as soon as T >= t / P, i.e. in phase ceil(log2(t / P))."""
    t = sum(4 * n for n in range(1, 4))
    T_pred = 2 ** math.ceil(math.log2(t * 10 ** 5))
    lower = oops.Search([], 0, (0, 0), "onetwo", 3, T_pred // 2, CFG)
    assert not lower.go()
    hit = oops.Search([], 0, (0, 0), "onetwo", 3, T_pred, CFG)
    assert hit.go() and hit.found == ONETWO


def test_frozen_general_solver_is_reused_by_prolongation():
    """With the Hanoi solver frozen (a_last = 5), the next Hanoi task is solved by search A
    with no new tokens, in a cost of a few runs of the code."""
    code = ONETWO + HANOI
    state = {"code": list(code), "a_last": 5, "a_frozen": len(code)}
    r = oops.solve_task(state, "hanoi", 6, CFG)
    assert r["solved"] and r["search"] == "A" and r["new_tokens"] == []
    assert state["code"] == code
    # the schedule: phase k has limit T0 2^k for (A) then (B); the frozen prefix has P = 1,
    # so (A) succeeds in the first phase whose T covers the ring's total run time
    sol = solver(code, 5, (0, 5))
    t_run = sum(oops.execute(code, sol, oops.new_instance("hanoi", m, 5), 10 ** 6, CFG)[1]
                for m in range(1, 7))
    assert r["T"] == 2 ** math.ceil(math.log2(t_run)) and r["phase"] == math.log2(r["T"])
    # every earlier phase ran both searches to their limits: at most 2 T per phase
    assert t_run <= r["steps"] <= sum(2 * 2 ** k for k in range(r["phase"] + 1))


# ---------------------------------------------------------------- runs and verification
def test_quick_run_finds_general_onetwo_solver_verified_held_out(quick_run):
    cfg, model, history, m = quick_run
    assert m["n_tasks_solved"] == cfg.n_onetwo
    assert m["onetwo_solver"] == " ".join(ONETWO) and m["onetwo_general_n"] <= 3
    assert m["onetwo_n_max"] == cfg.heldout_onetwo > cfg.n_onetwo  # held-out sizes all pass
    assert m["onetwo_heldout_frac"] == 1.0
    first = history["tasks"][0]
    assert first["new_tokens"] == ["c1", "c2"] and first["T"] == 256   # 2 steps / (1/100)
    # every frozen solver is re-run on sizes it never saw: the nongeneral 'c1 c2' stops at
    # n = 1, the recursive solver reaches every size tried
    reach = {t["task"]: t["solves_up_to"] for t in m["tasks"]}
    assert reach["onetwo 1"] == 1 and m["every_solver_checked"]
    assert all(reach[f"onetwo {n}"] == n + cfg.held_out_extra for n in range(3, cfg.n_onetwo + 1))


def test_hanoi_verification_accepts_the_solver_and_rejects_broken_ones():
    code = ONETWO + HANOI
    model = {"code": code, "solvers": {"hanoi": solver(code, 5, (0, 5))}}
    cfg = oops.make_config(sim_max=7, verify_max=30, heldout_onetwo=0)
    ev = oops.evaluate(model, cfg)
    assert all(ev["hanoi_sim_ok"]) and ev["hanoi_induction_max"] == 30
    for k, tok in ((6, "xSA"), (9, "xAD"), (10, "xAD")):         # one wrong token each
        bad = list(code)
        bad[k] = tok
        ev = oops.evaluate({"code": bad, "solvers": {"hanoi": solver(bad, 5, (0, 5))}}, cfg)
        assert not all(ev["hanoi_sim_ok"]) and ev["hanoi_induction_max"] < 3
    # a nongeneral solver (n = 1 only) is not verified beyond what it solves
    code1 = ONETWO + ["mvdsk"]
    ev = oops.evaluate({"code": code1, "solvers": {"hanoi": solver(code1, 5, (0, 5))}}, cfg)
    assert ev["hanoi_sim_ok"][:2] == [True, False] and ev["hanoi_induction_max"] <= 1


def test_determinism(quick_run):
    cfg, _, _, m = quick_run
    again = oops.summarise(cfg, *oops.train(cfg))
    drop = lambda d: {k: v for k, v in d.items() if not k.endswith("_s")}   # CPU timings
    assert drop(again) == drop(m)


def test_bad_input(run_stub, tmp_path):
    r = run_stub("oops-towers-of-hanoi", "--seed", "-1")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    missing = tmp_path / "nope" / "r.json"
    r = run_stub("oops-towers-of-hanoi", "--quick", "--results", str(missing))
    assert r.returncode == 2 and not missing.parent.exists()
    r = run_stub("oops-towers-of-hanoi", "--quick", "--language", "forth")
    assert r.returncode == 2 and "language" in r.stderr
    r = run_stub("oops-towers-of-hanoi", "--quick", "--n-seeds", "3")
    assert r.returncode == 2 and "n-seeds" in r.stderr
