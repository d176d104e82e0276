"""Tests for noise_free_long_lag.py: gradients (exact for the 2a/2b nets, the 1997
truncated gradient for 2c), the generators, the growth rule, determinism, a quick run
that succeeds, and CLI errors."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import noise_free_long_lag as nf  # noqa: E402


def setup(task, model="lstm", p=6, q=8, R=2, B=3, scale=5.0):
    """Params of R runs (weights scaled so every term matters) and a batch per run."""
    cfg = nf.make_config(task=task, model=model, p=p, q=q)
    rng = np.random.default_rng(1)
    params = nf.model_params(cfg, [rng] * R)
    params = {k: v * scale for k, v in params.items()}
    seq, lengths, cls = nf.stack([nf.draw(cfg, rng, B) for _ in range(R)])
    return cfg, params, seq, lengths, cls


@pytest.mark.parametrize("task,model", [("a", "lstm"), ("b", "lstm"), ("a", "bptt"), ("b", "bptt")])
def test_ab_gradient_matches_central_differences(task, model, numgrad, rel_error):
    cfg, params, seq, lengths, cls = setup(task, model)
    _, fw, _ = nf.judged_error(cfg, params, seq, lengths, cls)
    grads = nf.gradient(params, seq, fw)
    loss = lambda: nf.judged_error(cfg, params, seq, lengths, cls)[2].sum()   # E (6)
    for name, w in params.items():
        num = numgrad(loss, w, 1e-5)
        assert rel_error(grads[name], num, 1e-4 * np.abs(num).max()) < 1e-5, name


def test_c_truncated_gradient_matches_the_truncated_objective(numgrad, rel_error):
    """2c: the truncated gradient is the exact gradient of the net whose y(t-1) inside
    net(t) is held at the values of this forward pass (checked by freezing them)."""
    cfg, params, seq, lengths, cls = setup("c", p=5, q=6)
    assert lengths.min() < lengths.max()                 # mixed lengths exercise the padding
    _, fw, _ = nf.judged_error(cfg, params, seq, lengths, cls)
    grads = nf.gradient(params, seq, fw)
    Y = fw[2]["Y"].copy()
    real = nf.forward_c

    def frozen(params_, seq_, lengths_):
        W = params_["W"]
        R, U, n_all = W.shape
        n = n_all - U
        # net(t) = W_x x(t) + W_rec y_fixed(t-1): feed the frozen y through extra one-hot-free terms
        W_rec = np.swapaxes(W[..., n:], 1, 2)
        shift = np.concatenate([np.zeros((1,) + Y.shape[1:]), Y[:-1]]) @ W_rec[None, :]   # (L, R, B, U)
        return real_with_shift(params_, seq_, lengths_, shift)

    def loss():
        o, d = frozen(params, seq, lengths), np.stack([cls == 0, cls == 1], -1)
        return 0.5 * np.sum((o - d) ** 2)

    for name, w in params.items():
        num = numgrad(loss, w, 1e-5)
        floor = 1e-4 * np.abs(num).max()                 # near-zero entries: relative to the largest
        assert rel_error(grads[name], num, floor) < 1e-5, name


def real_with_shift(params, seq, lengths, shift):
    """forward_c with the recurrent input replaced by a given term (test helper)."""
    W, W_o = params["W"], params["W_o"]
    R, U, n_all = W.shape
    n, C = n_all - U, nf.N_CELLS
    Wx = np.swapaxes(W[..., :n], 1, 2)
    ri = np.arange(R)[:, None]
    s = np.zeros((R, seq.shape[1], C))
    Ys = []
    for t in range(int(lengths.max())):
        a = nf.sigmoid(Wx[ri, seq[..., t]] + shift[t])
        s = s + a[..., C:2 * C] * (4.0 * a[..., :C] - 2.0)
        Ys.append(a[..., 2 * C:] * np.tanh(0.5 * s))
    Ys = np.stack(Ys)
    yc = Ys[lengths - 1, ri, np.arange(seq.shape[1])[None, :]]
    return nf.sigmoid(np.einsum("rbc,rkc->rbk", yc, W_o))


def test_c_gradient_is_truncated():
    """The 2c gradient really is truncated (differs from the full derivative)."""
    cfg, params, seq, lengths, cls = setup("c", p=5, q=6)
    _, fw, _ = nf.judged_error(cfg, params, seq, lengths, cls)
    g = nf.gradient(params, seq, fw)["W"]
    w = params["W"]
    i = (0, 0, w.shape[2] - 1)                            # a recurrent weight of a cell
    old = w[i]
    w[i] = old + 1e-6
    a = nf.judged_error(cfg, params, seq, lengths, cls)[2].sum()
    w[i] = old - 1e-6
    b = nf.judged_error(cfg, params, seq, lengths, cls)[2].sum()
    w[i] = old
    assert abs((a - b) / 2e-6 - g[i]) > 1e-6 * max(1.0, abs(g[i]))


def test_weight_counts_are_the_papers():
    rng = [np.random.default_rng(0)]
    P = nf.PAPER["metrics"]
    assert nf.n_weights(nf.model_params(nf.make_config(task="a"), rng)) == P["weights_a"]
    assert nf.n_weights(nf.model_params(nf.make_config(model="bptt"), rng)) == P["bptt_weights_a"]
    assert nf.n_weights(nf.model_params(nf.make_config(task="c", p=1000), rng)) == P["weights_c_p1000"]


def test_generators_follow_section_5_2():
    rng = np.random.default_rng(2)
    p = 100
    a = nf.make_ab(rng, "a", p, 4000)
    assert a.shape == (4000, p + 1) and np.all(a[:, 0] == a[:, -1])
    assert set(np.unique(a[:, 0])) == {p - 1, p} and abs(np.mean(a[:, 0] == p) - 0.5) < 0.03
    assert np.all(a[:, 1:-1] == np.arange(p - 1))
    b = nf.make_ab(rng, "b", p, 4000)
    assert np.all(b[:, 0] == b[:, -1]) and b[:, 1:-1].max() == p - 2 and b[:, 1:-1].min() == 0
    assert abs(b[:, 1:-1].mean() - (p - 2) / 2) < 0.5          # uniform middle symbols
    q = 50
    seq, lengths, cls = nf.make_c(rng, p, q, 20000)
    cols = np.arange(20000)
    assert lengths.min() == q + 3                                 # b, X, q distractors, e
    assert abs((lengths - q - 3).mean() - 9.0) < 0.3              # extra distractors: P(k) = 0.1 * 0.9^k
    assert np.all(seq[:, 0] == p + 1) and np.all(seq[:, 1] == p + 2 + cls)
    assert np.all(seq[cols, lengths - 1] == p)                    # trigger e last
    t = np.arange(seq.shape[1])[None, :]
    mid = seq[(t >= 2) & (t < (lengths - 1)[:, None])]
    assert mid.max() == p - 1 and mid.min() == 0                  # only distractors in between


def test_growth_rule_holds_the_cell_back():
    """Before the cell is added its output weights are 0 and its weights do not learn."""
    cfg = nf.make_config(quick=True, grow_window=10 ** 6)
    model, hist = nf.train(nf.make_config(**{**cfg.__dict__, "max_sequences": 50}))
    assert np.all(model["W_o"][..., -1] == 0) and hist["grown_at"] == [0, 0]
    init = nf.model_params(cfg, [nf.seed_streams(s, nf.STREAMS)["init"]
                                 for s in range(cfg.seed, cfg.seed + cfg.n_seeds)])
    assert np.array_equal(model["w_c"], init["w_c"]) and np.array_equal(model["w_in"], init["w_in"])


def test_quick_run_succeeds_and_is_deterministic():
    cfg = nf.make_config(quick=True)
    m1 = nf.summarise(cfg, *nf.train(cfg))
    m2 = nf.summarise(cfg, *nf.train(cfg))
    drop = lambda m: {k: v for k, v in m.items() if not k.endswith("_s")}
    assert drop(m1) == drop(m2)
    # every run passes the paper's test (all outputs within 0.25 at every step): a net
    # without memory cannot, since the final symbol is x or y with probability 1/2 each
    assert m1["n_solved"] == cfg.n_seeds
    assert min(r["test_frac_correct"] for r in m1["per_run"]) == 1.0


@pytest.mark.parametrize("args", [["--task", "d"], ["--model", "bptt", "--task", "c"],
                                  ["--p", "2"], ["--max-sequences", "0"], ["--seed", "-1"],
                                  ["--lr", "-1"], ["--results", "/nonexistent/x.json"]])
def test_cli_rejects_bad_values(args, run_stub):
    r = run_stub("noise-free-long-lag", *args)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "error" in r.stderr
