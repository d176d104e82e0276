"""Shared pytest fixtures for every stub's tests (catalog tooling, written once).

Stubs stay self-contained: their algorithm never imports from here. Only tests
use these helpers, through pytest fixtures, so no test file needs an import:

    def test_grad(numgrad, rel_error): ...
    def test_bad_seed(run_stub): ...
"""
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.abspath(__file__))


def _numgrad(f, x, eps=1e-6):
    """Central-difference gradient of the scalar function f() w.r.t. array x.

    x is perturbed in place (and restored), so f must read x through a
    closure or a parameter dict. Use float64 arrays.
    """
    g = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def _rel_error(a, b, floor=1e-12):
    """max |a-b| / max(|a|+|b|, floor): the gradient-check error (< 1e-5 passes)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


@pytest.fixture
def numgrad():
    return _numgrad


@pytest.fixture
def rel_error():
    return _rel_error


@pytest.fixture
def repo_root():
    return REPO


@pytest.fixture
def run_stub():
    """run_stub('nbb-xor', '--seed', 'x') -> CompletedProcess of the stub's CLI."""

    def run(slug, *args, timeout=120):
        script = os.path.join(REPO, slug, slug.replace("-", "_") + ".py")
        return subprocess.run([sys.executable, script, *map(str, args)],
                              cwd=REPO, capture_output=True, text=True,
                              timeout=timeout)

    return run
