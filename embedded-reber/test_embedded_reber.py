"""Tests for embedded_reber.py: gradients, the grammar, the success criterion,
determinism, a quick run that beats chance, and CLI errors."""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import embedded_reber as er  # noqa: E402

def small_batch(kind, nb=3, k=2, R=2, seed=0, out_bias=False):
    """Params with weights in U[-0.3, 0.3] (a bit above the paper's 0.2) and a few strings per run."""
    rng = np.random.default_rng(seed)
    cfg = er.make_config(model=kind, n_blocks=nb, block_size=k, rnn_hidden=4)
    params = er.init_params([rng] * R, kind, nb, k, 0.3, cfg.out_gate_bias, 4, out_bias)
    sets = [er.make_sets(np.random.default_rng(seed + r), 4, 4) for r in range(R)]
    data = er.stacked(sets, "train")
    return params, er.one_hot(data["X"], data["len"]), data


@pytest.mark.parametrize("kind,nb,k,out_bias", [("lstm", 3, 2, False), ("lstm", 4, 1, False),
                                                ("lstm", 3, 2, True), ("rnn", 1, 1, False)])
def test_gradient_matches_central_differences(kind, nb, k, out_bias, numgrad, rel_error):
    """LSTM: the 1997 truncated gradient is the exact gradient of the net whose recurrent
    inputs y(t-1) are held at their values from the forward pass. RNN: exact BPTT."""
    params, X, data = small_batch(kind, nb, k, out_bias=out_bias)
    D, mask = data["D"], data["mask"]
    assert data["len"].min() < data["len"].max()         # mixed lengths exercise the padding
    O, cache = er.run_net(params, X, kind, nb, k)
    grads = er.gradient(params, cache, O, D, mask, kind, nb, k)
    y_fixed = cache["Y"].copy() if kind == "lstm" else None

    def loss():
        O2 = er.forward(params, X, nb, k, y_fixed)[0] if kind == "lstm" else er.forward_rnn(params, X)[0]
        return 0.5 * np.sum((O2 - D) ** 2 * mask[..., None])

    for name, w in params.items():
        num = numgrad(loss, w, 1e-4)        # roundoff dominates below 1e-4 (a long summed loss)
        if name == "W" and kind == "lstm":
            num[:, :nb * k, -1] = 0.0                     # the cells have no (trainable) bias
        floor = 1e-4 * np.abs(num).max()
        assert rel_error(grads[name], num, floor) < 1e-5, name


def test_truncated_gradient_is_not_full_bptt(numgrad):
    """Error really stops at the net inputs: the full gradient differs."""
    params, X, data = small_batch("lstm")
    D, mask = data["D"], data["mask"]
    O, cache = er.forward(params, X, 3, 2)
    g_tr = er.backward(params, cache, O, D, mask, 3, 2)["W"]
    loss = lambda: 0.5 * np.sum((er.forward(params, X, 3, 2)[0] - D) ** 2 * mask[..., None])
    g_full = numgrad(loss, params["W"], 1e-5)
    assert np.abs(g_tr - g_full)[..., :-1].max() > 1e-3 * np.abs(g_full).max()


@pytest.mark.parametrize("out_bias", [False, True])
def test_realtime_rule_sums_to_the_truncated_gradient(out_bias):
    """The paper's forward-accumulated per-step contributions (lr = 0: weights unchanged)
    add up to the backward sweep's truncated gradient, output for output."""
    params, X, data = small_batch("lstm", out_bias=out_bias)
    X, D, mask = X[:, :, :1], data["D"][:, :, :1], data["mask"][:, :, :1]
    O, cache = er.forward(params, X, 3, 2)
    g = er.backward(params, cache, O, D, mask, 3, 2)
    O2, total = er.realtime_string({n: v.copy() for n, v in params.items()}, X, D, mask, 3, 2, 0.0)
    np.testing.assert_allclose(O2, O, rtol=1e-12)
    for n in g:
        np.testing.assert_allclose(total[n], g[n], rtol=1e-9, atol=1e-13)


def test_weight_counts_and_init_follow_table_10():
    rngs = [np.random.default_rng(0)]
    for nb, k, want in ((3, 2, 276), (4, 1, 264)):
        cfg = er.make_config(n_blocks=nb, block_size=k)
        p = er.model_params(cfg, rngs)
        assert er.n_weights(p, nb, k) == want == er.PAPER["metrics"][f"n_weights_{nb}x{k}"]
        W, C = p["W"][0], nb * k
        assert np.all(W[:C, -1] == 0)                                 # cells: no bias
        assert list(W[C + nb:, -1]) == list(cfg.out_gate_bias[:nb])  # -1, -2, -3 (, -4)
        assert np.abs(W[:C + nb]).max() <= 0.2 and np.abs(p["W_out"]).max() <= 0.2
    assert er.n_weights(er.model_params(er.make_config(model="rnn"), rngs), 0, 0) == 494
    assert er.n_weights(er.model_params(er.make_config(output_bias=True), rngs), 3, 2) == 283


def walk(s):
    """True if s is a string of the embedded Reber grammar (Figures 3 and 4)."""
    if len(s) < 9 or s[0] != "B" or s[1] not in "TP" or s[-2:] != s[1] + "E" or s[2] != "B":
        return False
    state = 0
    for c in s[3:-2]:
        nxt = dict(er.REBER[state]) if state is not None else {}
        if c not in nxt:
            return False
        state = nxt[c]
    return state is None


def test_grammar_strings_and_statistics():
    rng = np.random.default_rng(1)
    pairs = [er.embedded_reber_string(rng) for _ in range(4000)]
    strings = [s for s, _ in pairs]
    assert all(walk(s) for s in strings)
    assert min(len(s) for s in strings) == 9                         # shortest lag: 9 steps
    assert abs(np.mean([s[1] == "T" for s in strings]) - 0.5) < 0.03
    # the expected inner Reber string length is 8 (5 fixed symbols + geometric loops)
    assert abs(np.mean([len(s) for s in strings]) - 12.0) < 0.3
    for s, pos in pairs[:200]:                                        # next symbol is possible
        assert all(s[t + 1] in pos[t] for t in range(len(s) - 1))
        assert pos[len(s) - 3] == {s[1]}                             # the symbol before last


def test_sets_are_disjoint_and_shared_by_blocks_of_trials():
    cfg = er.make_config(seed=20, n_seeds=12, trials_per_set=10)
    sets = er.trial_sets(cfg)
    assert sets[0] is sets[9] and sets[10] is sets[11] and sets[0] is not sets[10]
    tr, te = sets[0]["train"]["strings"], sets[0]["test"]["strings"]
    assert len(tr) == len(te) == 256 and not set(tr) & set(te)


def test_criterion_counts_the_most_active_units():
    P = np.array([[True, True, False, False, False, False, False]])
    O = np.array([[0.6, 0.5, 0.4, 0, 0, 0, 0.1]])
    assert er.correct_steps(O, P, np.ones(1)).all()
    O[0, 2] = 0.55                                                    # an impossible unit wins
    assert not er.correct_steps(O, P, np.ones(1)).any()
    assert er.correct_steps(O, P, np.zeros(1)).all()                  # unscored steps pass


def test_determinism():
    cfg = er.make_config(quick=True, max_sequences=500)
    a = er.summarise(cfg, *er.train(cfg))
    b = er.summarise(cfg, *er.train(cfg))
    drop = lambda m: {k: v for k, v in m.items() if not k.endswith("_s")}
    assert json.dumps(drop(a), sort_keys=True) == json.dumps(drop(b), sort_keys=True)  # NaN-safe


def test_quick_run_beats_chance():
    """An untrained net gets few steps right; the quick run learns most of the grammar."""
    cfg = er.make_config(quick=True)
    model, hist = er.train(cfg)
    untrained = er.evaluate(er.model_params(cfg, [np.random.default_rng(s) for s in range(2)]), cfg)
    trained = er.evaluate(model, cfg)
    assert max(untrained["train_step_acc"]) < 0.5
    assert min(trained["train_step_acc"]) > 0.7 and min(trained["test_step_acc"]) > 0.7


@pytest.mark.parametrize("args", [["--model", "gru"], ["--lr", "-1"], ["--n-blocks", "5"],
                                  ["--seed", "x"]])
def test_cli_rejects_bad_values(run_stub, args, tmp_path):
    out = tmp_path / "r.json"
    r = run_stub("embedded-reber", *args, "--results", str(out))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
