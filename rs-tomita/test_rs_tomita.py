"""Tests for rs_tomita.py: grammar membership on hand-checked strings, the regenerated
sets, the trie evaluation against a plain loop, early rejection, a planted solution,
search independence and determinism, a quick run, and CLI errors. A few seconds."""
import dataclasses
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rs_tomita as rt  # noqa: E402

QUICK = rt.make_config(quick=True, seed=0)


# ---------------------------------------------------------------- grammars and sets
@pytest.mark.parametrize("g, yes, no", [
    (1, ["1", "11", "1111111"], ["0", "10", "01", "11110", "0111"]),
    (2, ["10", "1010", "101010"], ["1", "0", "01", "101", "1001", "1011", "0101", "100"]),
    (4, ["1", "0", "00", "100100", "0010010", "11001"], ["000", "1000", "0001", "110001", "0000"]),
])
def test_membership_on_hand_checked_strings(g, yes, no):
    assert all(rt.member(g, s) for s in yes)
    assert not any(rt.member(g, s) for s in no)


def test_training_sets_regenerated_from_the_definitions():
    s1, l1 = rt.training_set(1, 8, 8)
    assert s1[:8] == ["1" * n for n in range(1, 9)]          # 1, 11, ..., 1^8
    assert s1[8:] == ["0", "00", "01", "10", "000", "001", "010", "011"]
    s2, _ = rt.training_set(2, 8, 8)
    assert s2[:8] == ["10" * n for n in range(1, 9)]         # (10)^1 .. (10)^8
    s4, l4 = rt.training_set(4, 8, 8)
    assert s4[8:11] == ["000", "0000", "0001"]
    for g in rt.GRAMMARS:
        s, lab = rt.training_set(g, 8, 8)
        assert len(set(s)) == 16 and lab.sum() == 8
        assert all(rt.member(g, x) == y for x, y in zip(s, lab))


def test_held_out_strings_are_unseen_and_correctly_labelled():
    for g in rt.GRAMMARS:
        tr, _ = rt.training_set(g, 8, 8)
        s, lab = rt.held_out_set(g, tr, 10)
        assert not set(s) & set(tr) and len(set(s)) == len(s)
        assert all(rt.member(g, x) == y for x, y in zip(s, lab))
        assert lab.any() and (~lab).any()                    # both classes present
        assert len([x for x in s if len(x) <= 10]) == 2 ** 11 - 2 - len([x for x in tr if len(x) <= 10])


# ---------------------------------------------------------------- the net
def loop_outputs(net, strings):
    """Plain per-trial, per-string recursion of eqs (1)-(3), for comparison."""
    T = net["b"].shape[0]
    y = np.zeros((T, len(strings)))
    for t in range(T):
        for k, s in enumerate(strings):
            h = np.zeros(net["b"].shape[1])
            for ch in s:
                h = rt.sigmoid(net["W"][t] @ h + float(ch) * net["u"][t] + net["b"][t])
            y[t, k] = h[0]
    return y


def test_trie_evaluation_matches_plain_loop():
    rng = np.random.default_rng(1)
    net = rt.draw_weights(rng, 7, 3, 3.0)                    # small range: graded outputs
    strings, _ = rt.training_set(4, 8, 8)
    y = rt.read_strings(net, rt.prefix_tree(strings), len(strings))
    assert np.allclose(y, loop_outputs(net, strings), atol=1e-12)


def test_early_rejection_gives_the_same_verdict_as_full_evaluation():
    rng = np.random.default_rng(2)
    for g in rt.GRAMMARS:
        strings, labels = rt.training_set(g, 8, 8)
        levels = rt.prefix_tree(strings)
        net = rt.draw_weights(rng, 20000, 3, 100.0)
        full = np.all((rt.read_strings(net, levels, len(strings)) > 0.5) == labels, axis=1)
        assert np.array_equal(rt.fits(net, levels, labels), full)
        assert full.mean() < 0.05                            # random nets rarely fit


def planted_grammar1_net():
    """Hand-built 2-unit net for 1*: unit 1 is a 'started' flag, unit 0 stays on while only 1s come."""
    return {"W": np.array([[[100.0, -100.0], [0.0, 0.0]]]), "u": np.array([[100.0, 0.0]]),
            "b": np.array([[-50.0, 50.0]])}


def test_planted_solution_is_accepted_and_verified_on_held_out_strings():
    net = planted_grammar1_net()
    strings, labels = rt.training_set(1, 8, 8)
    assert rt.fits(net, rt.prefix_tree(strings), labels)[0]
    model = {"g1_A2": {"trials": np.array([1]), **{p: v for p, v in net.items()}}}
    ev = rt.evaluate(model, dataclasses.replace(QUICK, test_max_len=10))
    assert ev["g1_A2"]["test_acc"] == [1.0]
    # a net that accepts everything fits nothing and is caught
    bad = {"W": np.zeros((1, 2, 2)), "u": np.zeros((1, 2)), "b": np.array([[50.0, 0.0]])}
    assert not rt.fits(bad, rt.prefix_tree(strings), labels)[0]


# ---------------------------------------------------------------- the search
def test_a_search_does_not_depend_on_the_searches_beside_it():
    cfg = dataclasses.replace(QUICK, seed=5, n_seeds=3, grammars="2")
    together, _ = rt.train(cfg)
    alone, _ = rt.train(dataclasses.replace(cfg, seed=6, n_seeds=1))
    assert together["g2_A1"]["trials"][1] == alone["g2_A1"]["trials"][0]
    assert np.array_equal(together["g2_A1"]["W"][1], alone["g2_A1"]["W"][0])


def test_quick_run_is_deterministic_and_every_found_net_fits():
    m1, h1 = rt.train(QUICK)
    m2, h2 = rt.train(QUICK)
    s1, s2 = rt.summarise(QUICK, m1, h1), rt.summarise(QUICK, m2, h2)
    for c in s1["cells"]:
        s1["cells"][c].pop("search_s"), s2["cells"][c].pop("search_s")
    assert s1 == s2
    for cell, m in m1.items():
        g = int(cell[1])
        strings, labels = rt.training_set(g, QUICK.n_pos, QUICK.n_neg)
        assert np.all(m["trials"] > 0)                       # every search solved
        assert rt.fits({p: m[p] for p in ("W", "u", "b")}, rt.prefix_tree(strings), labels).all()
    # grammar #2: random nets fit the 16 strings with p < 0.05; every found net fits all 16
    assert s1["cells"]["g2_A1"]["solved"] == QUICK.n_seeds


# ---------------------------------------------------------------- CLI
@pytest.mark.parametrize("args", [["--seed", "-1"], ["--grammars", "3"], ["--weight-range", "0"]])
def test_bad_cli_input_exits_2_with_one_line(run_stub, tmp_path, args):
    out = tmp_path / "r.json"
    r = run_stub("rs-tomita", *args, "--results", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_results_in_missing_folder_exits_2(run_stub, tmp_path):
    out = tmp_path / "missing" / "r.json"
    r = run_stub("rs-tomita", "--quick", "--results", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
