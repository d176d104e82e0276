"""The numpy tracer: published numbers through numpy as written, invariants,
bit-identical results, the bulk fallback and escape counters."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dmd.core import cost  # noqa: E402
from dmd.trace import trace_call, trace_function  # noqa: E402
from test_dmd_core import dot_closed_form  # noqa: E402


def tcost(fn, *args, mode="main"):
    T, _ = trace_function(fn, *args)
    return cost(T.trace, mode=mode)


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("n,mv,vm,mm", [(2, 26, 25, 57), (4, 157, 150, 720),
                                        (8, 896, 832, 8867),
                                        (16, 5354, 4688, 109783)])
def test_published_numbers_through_numpy(n, mv, vm, mm):
    A, B, x = rnd(n, n), rnd(n, n, seed=1), rnd(n, seed=2)
    assert tcost(lambda A, x: A @ x, A, x) == mv
    assert tcost(lambda A, x: np.dot(A, x), A, x) == mv
    assert tcost(lambda A, x: x @ A, A, x) == vm
    assert tcost(lambda A, B: A @ B, A, B) == mm


def test_published_small_and_dev():
    s = [np.array(float(v)) for v in range(1, 6)]
    assert tcost(lambda a, b, c: (a + b) + c, *s[:3]) == 6
    assert tcost(lambda a, b, c, d, e: a * b + c * d + e, *s, mode="dev") == 15
    assert tcost(lambda A, x: A @ x, rnd(4, 4), rnd(4), mode="dev") == 147


@pytest.mark.parametrize("n", [1, 2, 7, 20])
def test_dot_closed_form(n):
    assert tcost(lambda a, b: a @ b, rnd(n), rnd(n, seed=1)) == \
        dot_closed_form(n)
    assert tcost(lambda a, b: np.sum(a * b), rnd(n), rnd(n, seed=1)) > 0


def test_commutative_pricing():
    a, b = rnd(5), rnd(5, seed=1)
    assert tcost(lambda a, b: a + b, a, b) == tcost(lambda a, b: b + a, a, b)
    x = np.array(2.0)
    # a + a: both reads at the same depth
    assert tcost(lambda x: x + x, x) == 2


def test_views_are_free():
    A = rnd(3, 4)
    T, _ = trace_function(lambda A: (A.T, A[1:, ::2], A.reshape(4, 3),
                                     A[None], np.transpose(A), A.ravel()), A)
    assert T.trace.n_instructions() == 0
    assert tcost(lambda A: A.T.T[:, :] + 1.0, A) == tcost(lambda A: A + 1.0, A)
    assert tcost(lambda A: A[[0, 2]].copy() * 2, A) == \
        tcost(lambda A: A[0::2] * 2, A)


def test_inplace_equals_out_of_place():
    W, g = rnd(4, 3), rnd(4, 3, seed=1)

    def inplace(W, g):
        W -= 0.1 * g
        return W

    def outofplace(W, g):
        return W - 0.1 * g

    assert tcost(inplace, W, g) == tcost(outofplace, W, g)
    # a[idx] = b is a free copy, the copied values keep their ids
    T, r = trace_function(lambda W, g: _setitem(W, g), W, g)
    assert T.trace.n_instructions() == 1 * 3


def _setitem(W, g):
    out = np.zeros((2, 3))
    out[0] = g[1]
    return out[0] + W[0]


def mlp_step(st, bt):
    W1, W2, x, y = st["W1"], st["W2"], bt["x"], bt["y"]
    h = np.tanh(x @ W1)                       # (B, H)
    o = 1.0 / (1.0 + np.exp(-(h @ W2)))       # (B, O)
    d_o = (o - y) * o * (1 - o)
    d_h = (d_o @ W2.T) * (1 - h ** 2)
    W2 -= 0.5 * h.T @ d_o
    W1 -= 0.5 * x.T @ d_h
    return np.mean((o - y) ** 2)


def test_bit_identical_and_no_fallbacks():
    rng = np.random.default_rng(3)
    st = {"W1": rng.normal(size=(5, 3)), "W2": rng.normal(size=(3, 5))}
    bt = {"x": rng.random((4, 5)), "y": rng.random((4, 5))}
    ref = {k: v.copy() for k, v in st.items()}
    loss_ref = mlp_step(ref, {k: v.copy() for k, v in bt.items()})
    T, loss, out = trace_call(mlp_step, {k: v.copy() for k, v in st.items()},
                              bt)
    assert np.asarray(loss).tobytes() == np.asarray(loss_ref).tobytes()
    for k in st:
        assert np.asarray(out[k]).tobytes() == ref[k].tobytes()
    assert not T.fallbacks and not T.escapes
    assert cost(T.trace) > 0


def test_fallback_and_escape_counted():
    def f(a, b):
        c = np.einsum("ii->", np.outer(a, b))  # repeated index: bulk
        s = np.sort(a)                        # not lowered: bulk
        _ = float(a.sum())                    # escape
        return c + s
    T, _ = trace_function(f, rnd(6), rnd(6, seed=1))
    assert T.fallbacks["einsum"] == 1 and T.fallbacks["sort"] == 1
    assert T.escapes["float"] == 1


def test_constants_free():
    x = rnd(3)
    # a constant array created inside the step costs nothing to read
    assert tcost(lambda x: x + np.ones(3), x) == tcost(lambda x: x + 1.0, x)
    T, _ = trace_function(lambda x: np.zeros(3) + np.ones(3) * 2, x)
    assert T.trace.n_instructions() == 0


def test_reduce_and_accumulate_chains():
    x = rnd(4, 5)
    T, r = trace_function(lambda x: x.sum(axis=1), x)
    assert T.trace.n_instructions() == 4 * 4
    T, r = trace_function(lambda x: np.cumsum(x, axis=0), x)
    assert T.trace.n_instructions() == 3 * 5
    T, r = trace_function(lambda x: x.max(), x)
    assert T.trace.n_instructions() == 19


def test_bincount_and_add_at_lowered_in_input_order():
    from dmd.core import Trace
    w = rnd(5)
    x = np.array([2, 0, 2, 2, 1])
    T, r = trace_function(lambda w: np.bincount(x, w, 4), w)
    assert np.array_equal(np.asarray(r), np.bincount(x, w, 4))
    assert not T.fallbacks
    # the C loop, out[x[i]] += w[i], one instruction per weight (0 + w is an
    # instruction reading w: the zero is a constant)
    assert T.trace.n_instructions() == 5
    t = Trace()
    ids = t.new_ids(5)
    t.push_args(ids)
    s2 = t.add([[ids[0]]])[0, 0]
    s0 = t.add([[ids[1]]])[0, 0]
    s2 = t.add([[s2, ids[2]]])[0, 0]
    s2 = t.add([[s2, ids[3]]])[0, 0]
    s1 = t.add([[ids[4]]])[0, 0]
    t.ret([s0, s1, s2])
    assert cost(T.trace) == cost(t)

    def f(a, b):
        np.add.at(a, x, b)
        return a
    T, r = trace_function(f, rnd(4), w)
    assert T.trace.n_instructions() == 5 and not T.fallbacks


def test_copyto_and_zeros_like():
    def f(a):
        z = np.zeros_like(a)
        np.copyto(z, a[::-1])
        return z * 2
    T, r = trace_function(f, rnd(4))
    assert not T.fallbacks and T.trace.n_instructions() == 4


def test_argmax_is_a_comparison_chain():
    x = rnd(3, 4)
    T, r = trace_function(lambda x: x.argmax(-1), x)
    assert np.array_equal(np.asarray(r), x.argmax(-1))
    assert T.trace.n_instructions() == 3 * 3 and not T.fallbacks
    T, r = trace_function(lambda x: np.argmax(x), x)
    assert T.trace.n_instructions() == 11
    T, r = trace_function(lambda x: np.sort(x, axis=1) + x.argsort(), x)
    assert T.fallbacks["sort"] == 1 and T.fallbacks["ndarray.argsort"] == 1


def test_copylike_keeps_tracked_indices_as_addresses():
    def f(x):
        k = x.argmax(-1)                               # tracked index
        return np.take_along_axis(x, k[:, None], -1) * 2
    x = rnd(3, 5)
    T, r = trace_function(f, x)
    assert np.array_equal(np.asarray(r), np.take_along_axis(
        x, x.argmax(-1)[:, None], -1) * 2)
    assert not T.fallbacks


def test_einsum_lowered_like_matmul():
    A, x = rnd(3, 4, 5), rnd(3, 5, seed=1)
    T1, r1 = trace_function(lambda A, x: np.einsum("baf,bf->ba", A, x), A, x)
    T2, r2 = trace_function(lambda A, x: (A @ x[:, :, None])[..., 0], A, x)
    assert np.allclose(np.asarray(r1), np.asarray(r2))
    assert not T1.fallbacks
    assert cost(T1.trace) == cost(T2.trace)
    M = rnd(4, 4)
    assert tcost(lambda A, B: np.einsum("ik,kj->ij", A, B), M, M.T.copy()) \
        == tcost(lambda A, B: A @ B, M, M.T.copy())
    T, _ = trace_function(lambda A: np.einsum("ij->j", A), M)
    assert T.trace.n_instructions() == 12 and not T.fallbacks


def test_outer_and_tensordot_tracked():
    a, b = rnd(3), rnd(4, seed=1)
    T, r = trace_function(lambda a, b: np.outer(a, b), a, b)
    assert np.array_equal(np.asarray(r), np.outer(a, b))
    assert T.trace.n_instructions() == 12 and not T.fallbacks
    A, B = rnd(2, 3, 4), rnd(2, 3, 5, seed=1)
    T, r = trace_function(
        lambda A, B: np.tensordot(A, B, axes=([0, 1], [0, 1])), A, B)
    assert np.array_equal(np.asarray(r), np.tensordot(A, B, ([0, 1], [0, 1])))
    assert T.trace.n_instructions() == 20 * (2 * 6 - 1) and not T.fallbacks


def test_flat_indexing_tracked():
    def f(x):
        y = np.zeros(6)
        y.flat[1:3] = x.flat[2:4]
        return y * 2 + x.flat[0]
    x = rnd(2, 3)
    T, r = trace_function(f, x)
    y = np.zeros(6)
    y.flat[1:3] = x.flat[2:4]
    assert np.array_equal(np.asarray(r), y * 2 + x.flat[0])
    # y * 2: only the 2 copied elements are tracked (4 constants fold away)
    assert T.trace.n_instructions() == 2 + 6 and not T.fallbacks


def test_untracked_state_flags_a_silent_loss():
    def lossy(st, bt):
        st["W"] = st["W"].view(np.ndarray) * 2       # plain numpy: untracked
        st["b"] -= 0.1 * bt["g"]                    # tracked

    T, _, _ = trace_call(lossy, {"W": rnd(2, 2), "b": rnd(2)},
                         {"g": rnd(2, seed=1)})
    assert T.untracked_state == {"W": 1.0}
