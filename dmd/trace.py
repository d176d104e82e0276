"""Tracing numpy as written: TArray and the lowering of numpy calls.

``TArray`` is an ndarray subclass.  Every element of a traced array has a
value id (int64, -1 = constant); ids live in a side buffer per memory owner,
indexed by the element's memory offset, so every view (slices, transposes,
reshapes, ``.T``, ``np.newaxis``) aliases its source's ids with no work.

Lowering (documented order; every instruction reads its tracked inputs in
argument order and creates new values):

* elementwise ufuncs: one instruction per output element, C order over the
  broadcast output shape; all outputs of a multi-output ufunc come from the
  same instruction;
* ``ufunc.reduce`` (``sum``, ``max``, ``mean``'s sum, ...): a left-to-right
  chain per output element (C order over the output), ``s = x0 op x1``,
  ``s = s op x2``, ...; one element reduces to itself (free);
  ``ufunc.accumulate``: the same chain, every partial result an output;
  ``ufunc.outer``: elementwise over the outer-product shape;
* ``matmul``, ``dot`` (1-D/2-D, and batched matmul): naive i-j-k, per output
  element (C order) ``s = a_i0*b_0j``, then for k >= 1 ``p = a_ik*b_kj``,
  ``s = s + p``;
* ``np.where(c, a, b)``: an elementwise instruction reading c, a, b;
* views, transposes, reshapes, indexing, concatenation, stacking, copies and
  dtype casts are free: the result aliases the source's values;
* in-place updates (``W -= lr * g``, ``out=``, ``a[idx] = b``): the
  instruction's results replace the buffer's values (``a[idx] = b`` is a free
  copy);
* arrays created inside the step (``np.zeros``, random draws, literals) are
  constants; an instruction whose reads are all constants is folded away;
* anything else is *costed in bulk*: one instruction reading every tracked
  input element (C order, argument order) and creating every output element,
  counted by name in ``fallbacks``; a tracked value turned into a Python
  object (``float(x)``, ``.item()``, ``.tolist()``, ``bool(x)``) is counted
  in ``escapes``.  Both appear in every report, so a loss of tracking is
  visible.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections import Counter

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .core import Trace

_CURRENT = []          # stack of active Tracers
# the real factories (the tracer patches numpy's while it is active)
_full, _zeros, _array, _asarray = np.full, np.zeros, np.array, np.asarray
_ones, _empty = np.ones, np.empty


def current():
    return _CURRENT[-1] if _CURRENT else None


# --------------------------------------------------------------------------
# ids of arrays
# --------------------------------------------------------------------------
def _owner(a):
    b = a
    while isinstance(b.base, np.ndarray):
        b = b.base
    return b


def _addr(a):
    return a.__array_interface__["data"][0]


def _plain(x):
    if isinstance(x, TArray):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


class TArray(np.ndarray):
    """ndarray whose elements carry value ids while a Tracer is active."""

    # ---- ufuncs ------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kw):
        T = current()
        pin = [_plain(x) for x in inputs]
        if out is not None:
            kw["out"] = tuple(_plain(o) for o in out)
        res = getattr(ufunc, method)(*pin, **kw)
        if T is None:
            return res
        return T.lower_ufunc(ufunc, method, inputs, out, kw, res)

    def __array_function__(self, func, types, args, kwargs):
        T = current()
        if T is None:
            return func._implementation(*_plain(args), **kwargs)
        return T.lower_function(func, args, kwargs)

    # ---- indexing ------------------------------------------------------------
    def __getitem__(self, idx):
        idx = _plain(idx) if isinstance(idx, TArray) else idx
        res = np.ndarray.__getitem__(self, idx)
        T = current()
        if T is None:
            return res
        ids = T.ids_view(self)
        if not isinstance(res, np.ndarray):
            res = _array(res).view(TArray)
            T.set_ids(res, _asarray(ids[idx]) if ids is not None else None)
            return res
        if ids is not None and _owner(res) is not _owner(self):
            T.set_ids(res, ids[idx])               # fancy indexing: a free copy
        return res

    def __setitem__(self, idx, value):
        idx = _plain(idx) if isinstance(idx, TArray) else idx
        np.ndarray.__setitem__(self, idx, _plain(value))
        T = current()
        if T is None:
            return
        src = T.ids_view(value) if isinstance(value, np.ndarray) else None
        if src is None and T.ids_view(self) is None:
            return                                  # constant into constant
        dst = T.ids_view(self, create=True)
        dst[idx] = -1 if src is None else _array(src)

    # ---- copying methods (free: aliases) ------------------------------------
    def _copyop(self, name, *a, **k):
        res = getattr(self.view(np.ndarray), name)(*a, **k)
        T = current()
        if T is None:
            return res
        ids = T.ids_view(self)
        res = _asarray(res).view(TArray)
        if ids is not None:
            T.set_ids(res, getattr(_array(ids), name)(*a, **k)
                      if name != "astype" else _array(ids))
        return res

    def copy(self, *a, **k):
        return self._copyop("copy", *a, **k)

    def flatten(self, *a, **k):
        return self._copyop("flatten", *a, **k)

    def astype(self, *a, **k):
        return self._copyop("astype", *a, **k)

    def ravel(self, *a, **k):
        return self._copyop("ravel", *a, **k)

    def reshape(self, *a, **k):
        return self._copyop("reshape", *a, **k)

    def repeat(self, *a, **k):
        return self._copyop("repeat", *a, **k)

    def take(self, *a, **k):
        return self._copyop("take", *a, **k)

    def dot(self, other):
        return np.dot(self, other)

    def argmax(self, axis=None, out=None, keepdims=False):
        return _arg_reduce(self, "argmax", axis, keepdims)

    def argmin(self, axis=None, out=None, keepdims=False):
        return _arg_reduce(self, "argmin", axis, keepdims)

    def _bulk_method(self, name, *a, **k):
        res = getattr(self.view(np.ndarray), name)(*_plain(a), **_plain(k))
        T = current()
        if T is None:
            return res
        if res is None:          # in place (sort, fill)
            T.bulk("ndarray." + name, [self], (self,), (self,), self)
            return None
        return T.bulk("ndarray." + name, [self], (res,) if not isinstance(
            res, tuple) else res, None, res)

    def argsort(self, *a, **k):
        return self._bulk_method("argsort", *a, **k)

    def sort(self, *a, **k):
        return self._bulk_method("sort", *a, **k)

    def nonzero(self):
        return self._bulk_method("nonzero")

    def trace(self, *a, **k):
        return self._bulk_method("trace", *a, **k)

    def searchsorted(self, *a, **k):
        return self._bulk_method("searchsorted", *a, **k)

    def fill(self, value):
        np.ndarray.fill(self, value)
        T = current()
        if T is not None:
            T.set_ids(self, None)

    def cumsum(self, axis=None, dtype=None, out=None):
        x = self if axis is not None else self.reshape(-1)
        return np.add.accumulate(x, axis=0 if axis is None else axis,
                                 dtype=dtype, out=out)

    @property
    def flat(self):
        return _Flat(self)

    # ---- escapes ------------------------------------------------------------
    def _escape(self, name):
        T = current()
        if T is not None and T.ids_view(self) is not None:
            ids = T.ids_view(self)
            if np.any(ids >= 0):
                T.escapes[name] += 1

    def __float__(self):
        self._escape("float")
        return float(self.view(np.ndarray))

    def __int__(self):
        self._escape("int")
        return int(self.view(np.ndarray))

    def __bool__(self):
        self._escape("bool")
        return bool(self.view(np.ndarray))

    def __index__(self):
        self._escape("index")
        return self.view(np.ndarray).__index__()

    def item(self, *a):
        self._escape("item")
        return self.view(np.ndarray).item(*a)

    def tolist(self):
        self._escape("tolist")
        return self.view(np.ndarray).tolist()


# --------------------------------------------------------------------------
# the tracer
# --------------------------------------------------------------------------
_COPYLIKE = {
    np.concatenate, np.stack, np.vstack, np.hstack, np.dstack,
    np.column_stack, np.copy, np.take, np.repeat, np.tile, np.flip,
    np.fliplr, np.flipud, np.roll, np.rot90, np.diagonal, np.squeeze,
    np.broadcast_to, np.expand_dims, np.reshape, np.ravel, np.transpose,
    np.swapaxes, np.moveaxis, np.atleast_1d, np.atleast_2d, np.atleast_3d,
    np.split, np.array_split, np.hsplit, np.vsplit, np.append,
    np.delete, np.take_along_axis, np.block, np.array_equal,
}
_COPYLIKE.discard(np.array_equal)
# Python-level numpy functions that keep the subclass (asanyarray, methods,
# ufuncs) and so are traced by running them; anything that calls asarray
# inside (outer, tensordot, norm, kron, ...) is lowered explicitly or bulk.
_PASS = {
    np.mean, np.sum, np.prod, np.max, np.min, np.amax, np.amin, np.var,
    np.std, np.clip, np.zeros_like, np.ones_like, np.empty_like, np.full_like,
    np.average, np.cumsum, np.shape, np.ndim, np.size, np.result_type,
    np.may_share_memory, np.shares_memory, np.isscalar, np.iscomplexobj,
    np.isrealobj, np.triu, np.tril, np.linspace, np.arange, np.all, np.any,
}

_FACTORIES = ("zeros", "ones", "empty", "full")


class Tracer:
    """Context: numpy calls on TArrays inside it are lowered into ``trace``."""

    def __init__(self, label_files=()):
        self.trace = Trace()
        self.registry = {}            # owner address -> (owner, ids buffer)
        self.fallbacks = Counter()
        self.escapes = Counter()
        self.label_files = {os.path.abspath(f) for f in label_files}
        self._saved = {}

    # ---- context --------------------------------------------------------------
    def __enter__(self):
        _CURRENT.append(self)
        for name in _FACTORIES:
            real = getattr(np, name)
            self._saved[name] = real
            setattr(np, name, _factory(real))
        for name in ("asarray", "array", "asanyarray"):
            real = getattr(np, name)
            self._saved[name] = real
            setattr(np, name, _keeper(real))
        return self

    def __exit__(self, *exc):
        for name, real in self._saved.items():
            setattr(np, name, real)
        self._saved = {}
        _CURRENT.pop()
        return False

    # ---- ids --------------------------------------------------------------------
    def ids_view(self, a, create=False):
        """int64 ids of array a's elements (a view into its owner's buffer)."""
        if not isinstance(a, np.ndarray):
            return None
        own = _owner(a)
        key = _addr(own)
        ent = self.registry.get(key)
        if ent is None or ent[0] is not own and ent[0].nbytes != own.nbytes:
            if not create:
                return None
            n = max(own.nbytes // max(own.itemsize, 1), 1)
            ent = (own, _full(n, -1, np.int64), own.itemsize)
            self.registry[key] = ent
        buf, isz = ent[1], ent[2]
        if a.itemsize != isz:
            # a view with another dtype: alias nothing
            if not create:
                return None
            return _full(a.shape, -1, np.int64)
        off = (_addr(a) - key) // isz
        if a.size == 0:
            return _zeros(a.shape, np.int64)
        return as_strided(buf[off:], shape=a.shape,
                          strides=tuple(s // isz * 8 for s in a.strides))

    def set_ids(self, a, ids):
        if ids is None:
            if self.ids_view(a) is None:
                return
            ids = -1
        v = self.ids_view(a, create=True)
        v[...] = ids

    def new_array(self, values, ids):
        """Wrap a fresh result (array or scalar) with these ids."""
        arr = _asarray(values)
        if arr.base is not None or not isinstance(arr, TArray):
            arr = _array(arr, copy=True).view(TArray) if arr.ndim == 0 \
                else arr.view(TArray)
        if ids is not None:
            self.set_ids(arr, ids)
        return arr

    def tracked(self, x):
        """ids of x (array-like) or None if x is a constant."""
        if isinstance(x, np.ndarray):
            v = self.ids_view(x)
            if v is not None and np.any(v >= 0):
                return v
        return None

    # ---- labels -------------------------------------------------------------------
    def _label(self):
        if not self.label_files:
            return "(step)"
        f = sys._getframe(2)
        while f is not None:
            if os.path.abspath(f.f_code.co_filename) in self.label_files \
                    and not f.f_code.co_name.startswith("<"):
                return f.f_code.co_name            # skips <listcomp>, <lambda>
            f = f.f_back
        return "(adapter)"

    def emit(self, reads, outs, op):
        """reads (n,k) with -1 constants; outs (n,m) preallocated ids."""
        self.trace.label = self._label()
        self.trace.add(reads, outs.shape[1] if outs.ndim == 2 else 1, op,
                       outs=outs)

    def add(self, reads, n_out, op):
        self.trace.label = self._label()
        return self.trace.add(reads, n_out, op)

    # ---- arguments and returns ----------------------------------------------------
    def argument(self, a):
        """A fresh TArray copy of a with new ids (not yet pushed)."""
        arr = _array(a, copy=True, dtype=None).view(TArray)
        ids = self.trace.new_ids(arr.size).reshape(arr.shape)
        self.set_ids(arr, ids)
        return arr

    def push(self, arrays):
        """Push arguments: last argument first, elements in C order."""
        for a in reversed(list(arrays)):
            v = self.ids_view(a)
            if v is not None:
                self.trace.push_args(_array(v).ravel())

    def returns(self, arrays):
        for a in arrays:
            v = self.tracked(a)
            if v is not None:
                self.trace.ret(_array(v).ravel())

    # ---- lowering: ufuncs ------------------------------------------------------------
    def lower_ufunc(self, ufunc, method, inputs, out, kw, res):
        nout = ufunc.nout
        if kw.get("where", None) is True:
            del kw["where"]
        outs = out if out is not None else (res if nout > 1 else (res,))
        if "where" in kw or (method == "reduce" and kw.get("initial",
                                                           np._NoValue)
                             is not np._NoValue):
            return self.bulk("%s.%s(where/initial)" % (ufunc.__name__, method),
                             inputs, outs, out, res)
        if method == "__call__":
            if ufunc is np.matmul:
                return self.finish(out, res, [self.lower_matmul(*inputs[:2],
                                                                 res)])
            ids = self.elementwise(inputs, np.shape(outs[0]), nout,
                                   ufunc.__name__)
            return self.finish(out, res, ids)
        if method == "reduce":
            return self.finish(out, res, [self.lower_reduce(
                inputs[0], kw, res, ufunc.__name__)])
        if method == "accumulate":
            return self.finish(out, res, [self.lower_accumulate(
                inputs[0], kw.get("axis", 0), ufunc.__name__)])
        if method == "at" and ufunc.nin == 2 and len(inputs) == 3:
            a, idx, b = inputs
            ia = self.tracked(a)
            ib = self.tracked(b)
            if ia is None and ib is None:
                return None
            flat_pos = np.arange(np.size(a)).reshape(np.shape(a))[_plain(idx)]
            wb = np.broadcast_to(ib if ib is not None else -1,
                                 np.shape(flat_pos)).ravel()
            base = _array(ia).ravel() if ia is not None else \
                _full(np.size(a), -1, np.int64)
            new = self.scatter(base, _asarray(flat_pos).ravel(),
                               _array(wb), ufunc.__name__ + ".at")
            self.ids_view(a, create=True)[...] = new.reshape(np.shape(a))
            return None
        if method == "outer":
            a, b = inputs
            na = np.ndim(a)
            ia = self.tracked(a)
            ib = self.tracked(b)
            sa = np.shape(a) + (1,) * np.ndim(b)
            xs = [np.reshape(_asarray(ia), sa) if ia is not None else None,
                  ib]
            del na
            ids = self.elementwise_ids(xs, np.shape(outs[0]), nout,
                                       ufunc.__name__ + ".outer")
            return self.finish(out, res, ids)
        return self.bulk("%s.%s" % (ufunc.__name__, method), inputs, outs,
                         out, res)

    def finish(self, out, res, ids_list):
        if out is not None:
            for o, ids in zip(out, ids_list):
                if isinstance(o, np.ndarray):
                    if ids is None:
                        self.set_ids(o, None)
                    else:
                        self.ids_view(o, create=True)[...] = ids
            return out[0] if len(out) == 1 else out
        if isinstance(res, tuple):
            return tuple(self.new_array(r, i) for r, i in zip(res, ids_list))
        return self.new_array(res, ids_list[0])

    def elementwise(self, inputs, shape, nout, op):
        return self.elementwise_ids([self.tracked(x) for x in inputs], shape,
                                    nout, op)

    def elementwise_ids(self, ids_in, shape, nout, op):
        cols = [np.broadcast_to(v, shape).ravel() for v in ids_in
                if v is not None]
        if not cols:
            return [None] * nout
        reads = np.stack(cols, axis=1)                     # copies
        live = np.any(reads >= 0, axis=1)
        n = int(live.sum())
        outs = _full((reads.shape[0], nout), -1, np.int64)
        outs[live] = self.trace.new_ids(n * nout).reshape(n, nout)
        if n:
            self.emit(reads[live], outs[live], op)
        return [outs[:, j].reshape(shape) for j in range(nout)]

    def chain(self, X, op):
        """Left-to-right chains over the rows of X (G, R) -> ids (G,)."""
        G, R = X.shape
        if R == 0:
            return _full(G, -1, np.int64)
        if R == 1:
            return X[:, 0].copy()
        sconst = np.logical_and.accumulate(X < 0, axis=1)     # s_k constant
        outs = self.trace.new_ids(G * (R - 1)).reshape(G, R - 1)
        prev = np.concatenate([X[:, :1], outs[:, :-1]], axis=1)
        prev = np.where(sconst[:, :-1], -1, prev)
        reads = np.stack([prev, X[:, 1:]], axis=2)
        live = ~sconst[:, 1:]
        outs = np.where(live, outs, -1)
        if live.any():
            self.emit(reads[live], outs[live][:, None], op)
        return outs[:, -1]

    def chain_all(self, X, op):
        """Like chain, but every partial result is returned: (G, R)."""
        G, R = X.shape
        if R <= 1:
            return X.copy()
        sconst = np.logical_and.accumulate(X < 0, axis=1)
        outs = self.trace.new_ids(G * (R - 1)).reshape(G, R - 1)
        prev = np.concatenate([X[:, :1], outs[:, :-1]], axis=1)
        prev = np.where(sconst[:, :-1], -1, prev)
        reads = np.stack([prev, X[:, 1:]], axis=2)
        live = ~sconst[:, 1:]
        outs = np.where(live, outs, -1)
        if live.any():
            self.emit(reads[live], outs[live][:, None], op)
        return np.concatenate([X[:, :1], outs], axis=1)

    def lower_reduce(self, x, kw, res, op):
        ids = self.tracked(x)
        if ids is None:
            return None
        nd = np.ndim(x)
        axis = kw.get("axis", 0)
        axes = tuple(range(nd)) if axis is None else (
            (axis,) if np.isscalar(axis) else tuple(axis))
        axes = tuple(a % nd for a in axes) if nd else ()
        keep = [a for a in range(nd) if a not in axes]
        X = np.transpose(_asarray(ids), keep + list(axes))
        G = int(np.prod([np.shape(x)[a] for a in keep])) if keep else 1
        X = _array(X).reshape(G, -1)
        r = self.chain(X, op + ".reduce")
        return r.reshape(np.shape(res))

    def lower_accumulate(self, x, axis, op):
        ids = self.tracked(x)
        if ids is None:
            return None
        X = np.moveaxis(_asarray(ids), axis, -1)
        sh = X.shape
        r = self.chain_all(_array(X).reshape(-1, sh[-1]),
                           op + ".accumulate")
        return np.moveaxis(r.reshape(sh), -1, axis)

    def lower_matmul(self, a, b, res):
        ia, ib = self.tracked(a), self.tracked(b)
        if ia is None and ib is None:
            return None
        A = _asarray(ia) if ia is not None else _full(np.shape(a), -1)
        B = _asarray(ib) if ib is not None else _full(np.shape(b), -1)
        a1, b1 = A.ndim == 1, B.ndim == 1
        if a1:
            A = A[None, :]
        if b1:
            B = B[:, None]
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        n, m = A.shape[-2:]
        p = B.shape[-1]
        L = np.broadcast_to(A[..., :, None, :], batch + (n, p, m))
        Rt = np.broadcast_to(np.swapaxes(B, -1, -2)[..., None, :, :],
                             batch + (n, p, m))
        out = self.dot_chain(_array(L).reshape(-1, m),
                             _array(Rt).reshape(-1, m))
        return out.reshape(np.shape(res))

    def dot_chain(self, L, R):
        """Per row g: s = L0*R0; for k >= 1: p = Lk*Rk; s = s + p."""
        G, m = L.shape
        if m == 0:
            return _full(G, -1, np.int64)
        pconst = (L < 0) & (R < 0)
        sconst = np.logical_and.accumulate(pconst, axis=1)
        ids = self.trace.new_ids(G * (2 * m - 1)).reshape(G, 2 * m - 1)
        reads = _full((G, 2 * m - 1, 2), -1, np.int64)
        const = _zeros((G, 2 * m - 1), bool)
        reads[:, 0, 0], reads[:, 0, 1] = L[:, 0], R[:, 0]
        const[:, 0] = pconst[:, 0]
        if m > 1:
            k = np.arange(1, m)
            reads[:, 2 * k - 1, 0], reads[:, 2 * k - 1, 1] = L[:, 1:], R[:, 1:]
            const[:, 2 * k - 1] = pconst[:, 1:]
            s_prev = ids[:, 2 * k - 2]
            reads[:, 2 * k, 0] = np.where(sconst[:, :-1], -1, s_prev)
            reads[:, 2 * k, 1] = np.where(pconst[:, 1:], -1, ids[:, 2 * k - 1])
            const[:, 2 * k] = sconst[:, 1:]
        live = ~const
        if live.any():
            self.emit(reads[live], ids[live][:, None], "matmul")
        last = ids[:, -1]
        return np.where(sconst[:, -1], -1, last)

    # ---- lowering: functions ----------------------------------------------------------
    def lower_function(self, func, args, kwargs):
        if func is np.dot:
            a, b = args[0], args[1]
            if np.ndim(a) <= 2 and np.ndim(b) <= 2 and len(args) == 2 \
                    and not kwargs:
                res = np.dot(_plain(a), _plain(b))
                if np.ndim(a) == 0 or np.ndim(b) == 0:
                    return np.multiply(a, b)
                return self.new_array(res, self.lower_matmul(a, b, res))
        if func is np.copyto:
            dst, src = args[0], args[1]
            where = kwargs.get("where", args[3] if len(args) > 3 else True)
            func._implementation(_plain(dst), _plain(src), *args[2:],
                                 **_plain(kwargs))
            isrc = self.tracked(src)
            if isrc is None and self.ids_view(dst) is None:
                return None
            v = self.ids_view(dst, create=True)
            new = np.broadcast_to(isrc if isrc is not None else -1, v.shape)
            v[...] = np.where(_plain(where), new, v) if where is not True \
                else new
            return None
        if func is np.bincount:
            return self.lower_bincount(args, kwargs)
        if func is np.einsum:
            r = self.lower_einsum(args, kwargs)
            if r is not NotImplemented:
                return r
        if func is np.outer and len(args) == 2 and not kwargs:
            a, b = args
            res = np.outer(*_plain(args))
            ids = self.elementwise_ids(
                [self._flat_ids(a, (-1, 1)), self._flat_ids(b, (1, -1))],
                np.shape(res), 1, "multiply.outer")[0]
            return self.new_array(res, ids)
        if func is np.tensordot:
            r = self.lower_tensordot(args, kwargs)
            if r is not NotImplemented:
                return r
        if func in (np.argmax, np.argmin) and isinstance(args[0], TArray):
            axis = args[1] if len(args) > 1 else kwargs.get("axis")
            return _arg_reduce(args[0], func.__name__, axis,
                               kwargs.get("keepdims", False))
        if func is np.where and len(args) == 3:
            res = np.where(*_plain(args))
            ids = self.elementwise(args, np.shape(res), 1, "where")[0]
            return self.new_array(res, ids)
        if func in _COPYLIKE:
            return self.copylike(func, args, kwargs)
        if func in _PASS:
            return func._implementation(*args, **kwargs)
        name = getattr(func, "__name__", str(func))
        res = func._implementation(*_plain(args), **_plain(kwargs))
        flat_in = [x for x in _leaves(args) if isinstance(x, np.ndarray)]
        outs = res if isinstance(res, (tuple, list)) else (res,)
        return self.bulk(name, flat_in, outs, None, res)

    def scatter(self, base, bins, w, op):
        """In input order: base[bins[i]] = base[bins[i]] op w[i] (C loop of
        np.bincount / ufunc.at).  base (nbins,) ids, -1 = constant."""
        n = len(bins)
        if n == 0:
            return base
        order = np.argsort(bins, kind="stable")
        sb = bins[order]
        first = _ones(n, bool)
        first[1:] = sb[1:] != sb[:-1]
        outs = self.trace.new_ids(n)
        prev = _full(n, -1, np.int64)
        prev_sorted = _zeros(n, np.int64)
        prev_sorted[~first] = outs[order[:-1]][~first[1:]]
        prev_sorted[first] = base[sb[first]]
        prev[order] = prev_sorted
        # constant folding along each bin's chain
        cst = _zeros(n, bool)
        wc = (w < 0)[order]
        grp = np.cumsum(first) - 1
        c0 = (base[sb] < 0)
        # s_k constant iff the base and every w so far are constant
        run = wc.astype(np.int64)
        cs = np.cumsum(run)
        gstart = np.flatnonzero(first)
        before = cs - run
        cnt_all = cs - before[gstart][grp]          # constant ws so far in group
        pos = np.arange(n) - gstart[grp] + 1        # ws so far in group
        cst_sorted = c0 & (cnt_all == pos)
        cst[order] = cst_sorted
        prev_c = _zeros(n, bool)
        pcs = _zeros(n, bool)
        pcs[~first] = cst_sorted[:-1][~first[1:]]
        pcs[first] = c0[first]
        prev_c[order] = pcs
        reads = np.stack([np.where(prev_c, -1, prev), w], axis=1)
        live = ~cst
        outs = np.where(live, outs, -1)
        if live.any():
            self.emit(reads[live], outs[live][:, None], op)
        res = base.copy()
        last = np.flatnonzero(np.r_[first[1:], True])
        res[sb[last]] = outs[order[last]]
        return res

    def lower_einsum(self, args, kwargs):
        """Explicit one- or two-operand einsum without repeated or ellipsis
        indices: per output element (C order over the output subscripts),
        the summed indices in order of first appearance, naive loops: one
        operand is a sum chain, two operands a dot chain (as matmul)."""
        if set(kwargs) - {"optimize"} or not isinstance(args[0], str):
            return NotImplemented
        spec, ops = args[0].replace(" ", ""), args[1:]
        if "..." in spec or "->" not in spec:
            return NotImplemented
        ins, out = spec.split("->")
        ins = ins.split(",")
        if len(ins) != len(ops) or not 1 <= len(ops) <= 2 or any(
                len(set(x)) != len(x) or len(x) != np.ndim(o)
                for x, o in zip(ins, ops)) or len(set(out)) != len(out):
            return NotImplemented
        res = np.einsum(spec, *_plain(ops), **kwargs)
        if all(self.tracked(o) is None for o in ops):
            return res
        sizes = {}
        for x, o in zip(ins, ops):
            sizes.update(zip(x, np.shape(o)))
        summed = []
        for x in ins:
            summed += [c for c in x if c not in out and c not in summed]
        full = list(out) + summed
        shape = tuple(sizes[c] for c in full)
        G = int(np.prod([sizes[c] for c in out])) if out else 1

        def expand(x, o):
            v = self.tracked(o)
            ids = _array(v) if v is not None else _full(np.shape(o), -1,
                                                        np.int64)
            order = sorted(range(len(x)), key=lambda i: full.index(x[i]))
            ids = np.transpose(ids, order)
            present = [x[i] for i in order]
            ids = ids.reshape([sizes[c] if c in present else 1
                               for c in full])
            return _array(np.broadcast_to(ids, shape)).reshape(G, -1)
        if len(ops) == 1:
            r = self.chain(expand(ins[0], ops[0]), "einsum")
        else:
            r = self.dot_chain(expand(ins[0], ops[0]),
                               expand(ins[1], ops[1]))
        return self.new_array(res, r.reshape(np.shape(res)))

    def _flat_ids(self, x, shape):
        v = self.tracked(x)
        return None if v is None else _array(v).reshape(shape)

    def lower_tensordot(self, args, kwargs):
        """tensordot as the equivalent einsum (naive loops)."""
        a, b = args[0], args[1]
        axes = args[2] if len(args) > 2 else kwargs.get("axes", 2)
        na, nb = np.ndim(a), np.ndim(b)
        if isinstance(axes, (int, np.integer)):
            ax_a = list(range(na - axes, na))
            ax_b = list(range(axes))
        else:
            ax_a, ax_b = axes
            ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else ax_a
            ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else ax_b
            ax_a = [x % na for x in ax_a]
            ax_b = [x % nb for x in ax_b]
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if na + nb > len(letters):
            return NotImplemented
        sa = list(letters[:na])
        sb = list(letters[na:na + nb])
        for i, j in zip(ax_a, ax_b):
            sb[j] = sa[i]
        out = [c for i, c in enumerate(sa) if i not in ax_a] + \
            [c for j, c in enumerate(sb) if j not in ax_b]
        spec = "%s,%s->%s" % ("".join(sa), "".join(sb), "".join(out))
        r = self.lower_einsum((spec, a, b), {})
        if r is NotImplemented:
            return r
        res = np.tensordot(_plain(a), _plain(b), axes)       # numpy's values
        ids = self.ids_view(r)
        return self.new_array(res, None if ids is None else _array(ids))

    def lower_bincount(self, args, kwargs):
        x = args[0]
        w = args[1] if len(args) > 1 else kwargs.get("weights")
        ml = args[2] if len(args) > 2 else kwargs.get("minlength", 0)
        res = np.bincount(_plain(x), _plain(w), ml)
        iw = self.tracked(w) if w is not None else None
        if iw is None:
            if self.tracked(x) is not None:
                self.escapes["bincount(counts)"] += 1
            return res
        bins = _asarray(_plain(x)).ravel().astype(np.int64)
        base = _full(len(res), -1, np.int64)
        ids = self.scatter(base, bins, _array(iw).ravel(), "bincount")
        return self.new_array(res, ids)

    def copylike(self, func, args, kwargs):
        res = func._implementation(*_plain(args), **_plain(kwargs))
        n_data = 2 if func in (np.append,) else 1
        if not any(self.tracked(x) is not None
                   for x in _leaves(list(args[:n_data]))):
            return res
        def to_ids(x):
            if not isinstance(x, np.ndarray):
                return x
            v = self.ids_view(x)
            return _array(v) if v is not None else _full(np.shape(x), -1,
                                                          np.int64)
        # only the data arguments map to ids; indices, shifts and repeats
        # (take, take_along_axis, roll, repeat, ...) stay values (addresses)
        idargs = [_map_leaves(a, to_ids) if i < n_data else _plain(a)
                  for i, a in enumerate(args)]
        ids = func._implementation(*idargs, **_plain(kwargs))
        if isinstance(res, (list, tuple)):
            return type(res)(self.new_array(r, i) for r, i in zip(res, ids))
        return self.new_array(res, ids)

    def bulk(self, name, inputs, outs, out, res):
        """One instruction reading every tracked input element, creating
        every output element (counted in ``fallbacks``)."""
        reads = [_array(v).ravel() for v in
                 (self.tracked(x) for x in _leaves(inputs)) if v is not None]
        reads = np.concatenate(reads) if reads else _zeros(0, np.int64)
        reads = reads[reads >= 0]
        if len(reads) == 0 and out is None:
            return res                         # constants in, constants out
        if len(reads):
            self.fallbacks[name] += 1
        sizes = [int(np.size(o)) for o in outs]
        if len(reads) == 0:
            ids_list = [None for _ in outs]
        else:
            new = self.trace.new_ids(sum(sizes))
            self.emit(reads[None, :], new[None, :], "bulk:" + name)
            ids_list, k = [], 0
            for o, s in zip(outs, sizes):
                ids_list.append(new[k:k + s].reshape(np.shape(o)))
                k += s
        if out is not None:
            return self.finish(out, res, ids_list)
        if isinstance(res, (tuple, list)):
            items = [self.new_array(r, i) if isinstance(
                r, (np.ndarray, np.generic)) else r
                for r, i in zip(res, ids_list)]
            return type(res)(*items) if hasattr(res, "_fields") \
                else type(res)(items)
        if isinstance(res, (np.ndarray, np.generic)):
            return self.new_array(res, ids_list[0])
        return res


class _Flat:
    """x.flat for a TArray: reads are free copies, writes free aliases."""

    def __init__(self, a):
        self.a = a

    def __getitem__(self, idx):
        return self.a.ravel()[idx]

    def __setitem__(self, idx, value):
        np.ndarray.flat.__get__(self.a)[idx] = _plain(value)
        T = current()
        if T is None:
            return
        src = T.ids_view(value) if isinstance(value, np.ndarray) else None
        if src is None and T.ids_view(self.a) is None:
            return
        dst = T.ids_view(self.a, create=True)
        dst.flat[idx] = -1 if src is None else _array(src)

    def __iter__(self):
        return iter(self.a.ravel())

    def __len__(self):
        return self.a.size


def _arg_reduce(x, name, axis, keepdims):
    """argmax/argmin: the comparison chain of a max/min reduction (its
    result, an index, is a value derived from every element read)."""
    res = getattr(x.view(np.ndarray), name)(axis=axis, keepdims=keepdims)
    T = current()
    if T is None:
        return res
    ids = T.lower_reduce(x, {"axis": axis}, res, name)
    return T.new_array(res, ids)


def _leaves(x):
    if isinstance(x, (list, tuple)):
        for v in x:
            yield from _leaves(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _leaves(v)
    else:
        yield x


def _map_leaves(x, f):
    if isinstance(x, (list, tuple)):
        return type(x)(_map_leaves(v, f) for v in x)
    return f(x)


def _factory(real):
    def make(*a, **k):
        return real(*a, **k).view(TArray)
    make.__wrapped__ = real
    return make


def _keeper(real):
    def conv(x, *a, **k):
        if isinstance(x, TArray) and not a:
            dt = k.get("dtype")
            if dt is not None and np.dtype(dt) != x.dtype:
                return x.astype(dt)
            return x if real.__name__ != "array" or k.get("copy") is False \
                else x.copy()
        if isinstance(x, (list, tuple)) and any(
                isinstance(v, TArray) for v in _leaves(x)):
            return np.stack([conv(v) if isinstance(v, (list, tuple)) else v
                             for v in x])
        return real(x, *a, **k)
    conv.__wrapped__ = real
    return conv


# --------------------------------------------------------------------------
# tracing one call
# --------------------------------------------------------------------------
@contextlib.contextmanager
def tracing(label_files=()):
    T = Tracer(label_files)
    with T:
        yield T


def trace_call(fn, state, batch=None, label_files=(), keep_returns=True):
    """Trace fn(state, batch) (or fn(*state) when state is a list).

    state: dict of arrays that persist across steps (their final values are
    returned: live to the end); batch: dict of arrays read by the step.
    Arguments are pushed last first: batch items, then state items, each in
    reverse insertion order, elements in C order.
    Returns (tracer, result, state) with state the traced dict after the call.
    """
    T = Tracer(label_files)
    with T:
        st = {k: T.argument(v) for k, v in state.items()}
        bt = {k: T.argument(v) for k, v in (batch or {}).items()}
        T.push(list(st.values()) + list(bt.values()))
        res = fn(st, bt)
        T.returns(list(st.values()))
        # a persistent array that ends with untracked elements is a sign of a
        # silent loss of tracking (or of state reset to constants)
        T.untracked_state = {}
        for k, v in st.items():
            ids = T.ids_view(v) if isinstance(v, np.ndarray) else None
            frac = 1.0 if ids is None else float(np.mean(_asarray(ids) < 0))
            if frac > 0:
                T.untracked_state[k] = round(frac, 4)
        if keep_returns:
            T.returns([x for x in _leaves(res) if isinstance(x, np.ndarray)])
    return T, res, st


def trace_function(fn, *args, label_files=()):
    """Trace fn(*args) as a pure function: the arguments are pushed last
    first (elements in C order) and only the returned values stay live."""
    T = Tracer(label_files)
    with T:
        targs = [T.argument(a) if isinstance(a, np.ndarray) else a
                 for a in args]
        T.push([a for a in targs if isinstance(a, np.ndarray)])
        res = fn(*targs)
        T.returns([x for x in _leaves(res) if isinstance(x, np.ndarray)])
    return T, res
