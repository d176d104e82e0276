"""ByteDMD cost model: fast depths vs the naive list simulation, the published
numbers (exactly), closed forms and a speed guard."""
import math
import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dmd.core import Trace, cost, depths, naive_cost, naive_depths  # noqa: E402


def random_trace(rng, n_args=6, n_instr=40, max_reads=3):
    t = Trace()
    args = t.new_ids(n_args)
    t.push_args(args)
    pool = list(args)
    for _ in range(n_instr):
        k = int(rng.integers(0, max_reads + 1))
        reads = [int(rng.choice(pool)) for _ in range(k)] if pool else []
        reads += [-1] * (max_reads - len(reads))      # constants
        outs = t.add([reads], n_out=int(rng.integers(1, 3)))
        pool.extend(int(v) for v in outs.ravel())
    ret = rng.choice(pool, size=min(3, len(pool)), replace=False)
    t.ret(ret)
    return t


@pytest.mark.parametrize("mode", ["main", "dev"])
@pytest.mark.parametrize("liveness", [True, False])
def test_fast_equals_naive_on_random_traces(mode, liveness):
    rng = np.random.default_rng(0)
    for trial in range(60):
        t = random_trace(rng, n_args=int(rng.integers(1, 8)),
                         n_instr=int(rng.integers(1, 60)))
        ins = t.instructions()
        ret = [int(v) for v in t.returned_ids()]
        ref = naive_depths(ins + ([(tuple(ret), ())] if mode == "dev" else []),
                           [int(v) for v in t.arg_ids()], ret, mode, liveness)
        _, d = depths(t, mode, liveness)
        assert d.tolist() == ref, (trial, mode, liveness)
        for b in (1, 4):
            assert cost(t, mode, liveness, b) == naive_cost(
                ins, t.arg_ids().tolist(), ret, mode, liveness, b,
                epilogue=ret), (trial, b)


def chain_dot(t, a, b):
    """Naive dot: s = a0*b0; s = s + ak*bk (product, then add)."""
    s = None
    for x, y in zip(a, b):
        p = t.add([[x, y]])[0, 0]
        s = p if s is None else t.add([[s, p]])[0, 0]
    return s


def matvec(n):
    """y = A @ x, called as f(A, x): x pushed first, A on top."""
    t = Trace()
    A = t.new_ids(n * n).reshape(n, n)
    x = t.new_ids(n)
    t.push_args(x)
    t.push_args(A)
    t.ret([chain_dot(t, A[i], x) for i in range(n)])
    return t


def vecmat(n):
    """y = x @ A, called as f(A, x): x pushed first, A on top."""
    t = Trace()
    A = t.new_ids(n * n).reshape(n, n)
    x = t.new_ids(n)
    t.push_args(x)
    t.push_args(A)
    t.ret([chain_dot(t, A[:, j], x) for j in range(n)])
    return t


def matmul(n):
    t = Trace()
    A = t.new_ids(n * n).reshape(n, n)
    B = t.new_ids(n * n).reshape(n, n)
    t.push_args(B)
    t.push_args(A)
    t.ret([chain_dot(t, A[i], B[:, j]) for i in range(n) for j in range(n)])
    return t


def test_published_add3():
    t = Trace()
    a, b, c = t.new_ids(3)
    t.push_args([c, b, a])
    s = t.add([[a, b]])[0, 0]
    t.ret(t.add([[s, c]])[0])
    assert cost(t) == 6


@pytest.mark.parametrize("n,want", [(2, 26), (4, 157), (8, 896), (16, 5354)])
def test_published_matvec(n, want):
    assert cost(matvec(n)) == want


@pytest.mark.parametrize("n,want", [(2, 25), (4, 150), (8, 832), (16, 4688)])
def test_published_vecmat(n, want):
    assert cost(vecmat(n)) == want


@pytest.mark.parametrize("n,want", [(2, 57), (4, 720), (8, 8867), (16, 109783)])
def test_published_matmul(n, want):
    assert cost(matmul(n)) == want


def test_published_dev_mode():
    assert cost(matvec(4), mode="dev") == 147
    t = Trace()
    a, b, c, d, e = t.new_ids(5)
    t.push_args([e, d, c, b, a])
    p = t.add([[a, b]])[0, 0]
    q = t.add([[c, d]])[0, 0]
    r = t.add([[p, q]])[0, 0]
    t.ret(t.add([[r, e]])[0])
    assert cost(t, mode="dev") == 15


def dot_closed_form(n):
    """dot(a, b) as written: args (a, b), so the stack is, from the top,
    a[n-1] .. a[0], b[n-1] .. b[0].

    k = 0: a0 at depth n, b0 at depth 2n; both die, p0 is pushed.
    k >= 1: the running sum s is on top, then a[n-1] .. a[k], then
    b[n-1] .. b[k]: ak at depth (n - k) + 1, bk at depth 2(n - k) + 1;
    then s + p reads p at 1 and s at 2.  Cost
      C(n) = ceil(sqrt n) + ceil(sqrt 2n)
             + sum_{m=1}^{n-1} [ceil(sqrt(m+1)) + ceil(sqrt(2m+1)) + 3]."""
    tot = math.isqrt(n - 1) + 1 + math.isqrt(2 * n - 1) + 1
    for k in range(1, n):
        da = n - k + 1          # s on top, then a[n-1]..a[k]
        db = da + (n - k)       # then b[n-1]..b[k]
        tot += (math.isqrt(da - 1) + 1) + (math.isqrt(db - 1) + 1)
        tot += 2 + 1            # s + p: p on top (1), s below it (2)
    return tot


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 33])
def test_closed_form_dot(n):
    t = Trace()
    a = t.new_ids(n)
    b = t.new_ids(n)
    t.push_args(b)
    t.push_args(a)
    t.ret([chain_dot(t, a, b)])
    assert cost(t) == dot_closed_form(n)


def _random_reads(n, n_args, seed=1):
    rng = np.random.default_rng(seed)
    t = Trace()
    args = t.new_ids(n_args)
    t.push_args(args)
    a = rng.integers(0, n_args, n // 2)
    b = rng.integers(0, n_args, n // 2)
    t.add(np.stack([a, b], 1))                   # 2 reads per instruction
    return t


def _cpu_depths(t):
    c0 = time.process_time()
    _, d = depths(t)
    return d, time.process_time() - c0


def test_speed_guard_1m_accesses():
    """CPU time, not wall time: the box is shared (about 3 s when idle)."""
    d, cpu = _cpu_depths(_random_reads(1_000_000, 20000))
    assert len(d) == 1_000_000 and d.min() >= 1
    assert cpu < 15.0, cpu


@pytest.mark.slow
def test_speed_10m_accesses_under_60s_cpu():
    d, cpu = _cpu_depths(_random_reads(10_000_000, 100000))
    assert len(d) == 10_000_000
    assert cpu < 60.0, cpu
