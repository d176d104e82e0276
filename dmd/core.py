"""ByteDMD cost model: traces, the fast depth computation and the naive reference.

A *trace* is a sequence of instructions over scalar values (integer ids).
Instruction i reads the values ``reads[i]`` (constants are simply absent) and
creates the values ``outs[i]``.  Before the first instruction the arguments
are on the stack, pushed in the order given (the last one pushed is on top).

Cost model (ByteDMD, main branch, as described in the catalog's issue):

* an element-level LRU stack, one entry per live scalar value;
* only reads cost: a read at depth d (top = 1) costs ceil(sqrt(d));
* simultaneous pricing: every input of one instruction is priced against the
  stack as it was before the instruction, then the inputs move to the top in
  read order, then the results are pushed;
* liveness: a value leaves the stack right after its last use (returned values
  stay to the end; a value that is never read and not returned never counts);
* ``bytes_per_element = b``: an element at element depth d covers byte depths
  (d-1)*b+1 .. d*b and costs the sum of ceil(sqrt(.)) over them.

``mode="dev"`` (ByteDMD dev branch): arguments are not on the LRU stack; they
sit in a fixed argument stack (same layout) and the first read of an argument
element is priced at its static depth there, after which it lives on the LRU
stack like any other value.  An epilogue then reads every returned value once
(one instruction reading them all, priced simultaneously).

Depth of a read t in the instruction starting at event s (events = reads and
creations in order, arguments first):

    depth = 1 + #{ j : prev(t) < j < s, j is the last touch before s of a value
                   that is still live at s }
          = L(s) - #{ j < prev(t) : next(j) >= s }

where L(s) is the number of live values at s and next(j) the next touch of
j's value (infinity if it stays live to the end, undefined if it dies at j).
The second term is an offline 2-D dominance count, computed here level by
level over the bits of j with a wavelet-matrix style stable partition: about
15 vectorised numpy passes per bit, O(N log N) in all.
"""
from __future__ import annotations

import math

import numpy as np

MODES = ("main", "dev")


# --------------------------------------------------------------------------
# traces
# --------------------------------------------------------------------------
class Trace:
    """Recorder of scalar instructions, in chunks of equal arity.

    ``add(reads, n_out)``: ``reads`` is an int array (n_instr, k) of value ids,
    -1 meaning a constant (free, never on the stack); every instruction creates
    ``n_out`` new values; returns their ids, shape (n_instr, n_out).
    """

    def __init__(self):
        self.n_values = 0
        self.args = []          # arrays of value ids, in push order
        self.chunks = []        # (reads (n,k), outs (n,m), label id)
        self.returned = []      # arrays of value ids
        self.labels = []        # label names; chunk label ids index this
        self._label_ix = {}
        self.label = "(step)"   # current label (the tracer sets it)
        self.ops = []           # op name per chunk

    # value ids ----------------------------------------------------------
    def new_ids(self, n):
        ids = np.arange(self.n_values, self.n_values + n, dtype=np.int64)
        self.n_values += n
        return ids

    def push_args(self, ids):
        """Push these values (flat, in push order) onto the initial stack."""
        self.args.append(np.asarray(ids, dtype=np.int64).ravel())

    def ret(self, ids):
        ids = np.asarray(ids, dtype=np.int64).ravel()
        self.returned.append(ids[ids >= 0])

    def _label_id(self):
        ix = self._label_ix.get(self.label)
        if ix is None:
            ix = self._label_ix[self.label] = len(self.labels)
            self.labels.append(self.label)
        return ix

    def add(self, reads, n_out=1, op="?", outs=None):
        """Instructions reading ``reads`` (n, k); new ids unless ``outs``
        (n, m) gives ids already taken from ``new_ids``."""
        reads = np.asarray(reads, dtype=np.int64)
        if reads.ndim == 1:
            reads = reads[:, None]
        n = reads.shape[0]
        if outs is None:
            outs = self.new_ids(n * n_out).reshape(n, n_out)
        else:
            outs = np.asarray(outs, dtype=np.int64).reshape(n, -1)
        if n:
            self.chunks.append((reads, outs, self._label_id()))
            self.ops.append(op)
        return outs

    def n_instructions(self):
        return sum(c[0].shape[0] for c in self.chunks)

    # flat form ------------------------------------------------------------
    def instructions(self):
        """Python list of (reads, outs) tuples: for the naive reference."""
        out = []
        for reads, outs, _ in self.chunks:
            for r, o in zip(reads.tolist(), outs.tolist()):
                out.append((tuple(v for v in r if v >= 0), tuple(o)))
        return out

    def arg_ids(self):
        return (np.concatenate(self.args) if self.args
                else np.zeros(0, np.int64))

    def returned_ids(self):
        return (np.concatenate(self.returned) if self.returned
                else np.zeros(0, np.int64))


def flatten(trace, mode="main"):
    """Event stream of a trace.

    Returns dict of arrays over events: val (value id), read (bool), start
    (index of the first event of the event's instruction; -1 for argument
    pushes), label (chunk label id, -1 for arguments and the epilogue), plus
    static (static depth of a read priced from the argument stack, else 0),
    args, returned, n_instr.
    """
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % (MODES,))
    args = trace.arg_ids()
    ret = trace.returned_ids()
    vals, isread, instr, labs = [], [], [], []
    n_instr = 0
    for reads, outs, lab in trace.chunks:
        n, k = reads.shape
        m = outs.shape[1]
        ev = np.concatenate([reads, outs], axis=1).ravel()
        rd = np.zeros((n, k + m), bool)
        rd[:, :k] = True
        rd = rd.ravel()
        ins = np.repeat(np.arange(n_instr, n_instr + n, dtype=np.int64), k + m)
        keep = ev >= 0
        vals.append(ev[keep])
        isread.append(rd[keep])
        instr.append(ins[keep])
        labs.append(np.full(int(keep.sum()), lab, np.int32))
        n_instr += n
    if mode == "dev" and len(ret):
        # epilogue: one instruction reading every returned element once
        vals.append(ret)
        isread.append(np.ones(len(ret), bool))
        instr.append(np.full(len(ret), n_instr, dtype=np.int64))
        labs.append(np.full(len(ret), -1, np.int32))
        n_instr += 1
    val = np.concatenate(vals) if vals else np.zeros(0, np.int64)
    read = np.concatenate(isread) if isread else np.zeros(0, bool)
    ins = np.concatenate(instr) if instr else np.zeros(0, np.int64)
    lab = np.concatenate(labs) if labs else np.zeros(0, np.int32)
    # start of each instruction (first event index)
    n_body = len(val)
    first = np.ones(n_body, bool)
    first[1:] = ins[1:] != ins[:-1]
    fidx = np.flatnonzero(first)
    start = fidx[np.cumsum(first) - 1]
    static = np.zeros(n_body, np.int64)
    if mode == "main":
        na = len(args)
        val = np.concatenate([args, val])
        read = np.concatenate([np.zeros(na, bool), read])
        start = np.concatenate([np.full(na, -1, np.int64), start + na])
        lab = np.concatenate([np.full(na, -1, np.int32), lab])
        static = np.concatenate([np.zeros(na, np.int64), static])
    elif len(args):
        # first read of an argument element: its static depth in the layout
        pos = np.full(max(trace.n_values, 1), -1, np.int64)
        pos[args] = np.arange(len(args))
        depth_of = len(args) - pos           # top of the layout = depth 1
        order = np.argsort(val, kind="stable")
        sv = val[order]
        firstocc = np.ones(len(sv), bool)
        firstocc[1:] = sv[1:] != sv[:-1]
        fo = order[firstocc]
        isarg = (pos[val[fo]] >= 0) & read[fo]
        static[fo[isarg]] = depth_of[val[fo[isarg]]]
    return dict(val=val, read=read, start=start, label=lab, static=static,
                args=args, returned=ret, n_instr=n_instr)


# --------------------------------------------------------------------------
# fast depths
# --------------------------------------------------------------------------
def _dominance_count(px, py, qx, qy):
    """For each query q: #{points p : px[p] < qx[q] and py[p] >= qy[q]}.

    Sequence ordered by y descending (points before queries on ties), then a
    most-significant-bit-first stable partition on x: at each bit, equal
    prefixes are contiguous and in sequence order, so the points that differ
    from a query first at this bit (query bit 1, point bit 0) and come before
    it are counted with one cumulative sum.
    """
    nq = len(qx)
    res = np.zeros(nq, np.int64)
    if nq == 0 or len(px) == 0:
        return res
    np_ = len(px)
    y = np.concatenate([py, qy]).astype(np.int64)
    tie = np.concatenate([np.zeros(np_, np.int64), np.ones(nq, np.int64)])
    order = np.argsort(-(2 * y) + tie, kind="stable")
    x = np.concatenate([px, qx])[order]
    qid = np.concatenate([np.full(np_, -1, np.int64),
                          np.arange(nq, dtype=np.int64)])[order]
    del y, tie, order                             # memory: ~8 bytes x M each
    small = max(int(x.max()), 1) < 2 ** 31 - 1
    x = x.astype(np.int32 if small else np.int64)
    qid = qid.astype(np.int32 if nq < 2 ** 31 - 1 else np.int64)
    nbits = int(max(int(x.max()), 1)).bit_length()
    M = len(x)
    it = np.int32 if M < 2 ** 31 - 1 else np.int64
    ar = np.arange(M, dtype=it)
    zero = np.zeros(1, bool)
    cs = np.empty(M, it)
    for b in range(nbits - 1, -1, -1):
        bit = np.bitwise_and(x, 1 << b) != 0
        isq = qid >= 0
        z = ~(isq | bit)                          # points with bit 0
        np.cumsum(z, dtype=it, out=cs)
        cs -= z                                   # exclusive prefix count
        pref = x >> (b + 1)
        bound = np.concatenate([~zero, pref[1:] != pref[:-1]])
        gs = np.maximum.accumulate(np.where(bound, ar, 0))
        hit = np.flatnonzero(isq & bit)
        if len(hit):
            res[qid[hit]] += cs[hit] - cs[gs[hit]]
        if b:
            perm = np.concatenate([np.flatnonzero(~bit), np.flatnonzero(bit)])
            x = x[perm]
            qid = qid[perm]
    return res


def depths(trace_or_flat, mode="main", liveness=True):
    """Depth of every read (event order) and the flat trace it refers to.

    Returns (flat, depth) where depth[i] is the depth of the i-th read event
    (static depth for dev-mode first reads of arguments).
    """
    flat = (trace_or_flat if isinstance(trace_or_flat, dict)
            else flatten(trace_or_flat, mode))
    val, read, start = flat["val"], flat["read"], flat["start"]
    N = len(val)
    if N == 0:
        return flat, np.zeros(0, np.int64)
    order = np.argsort(val, kind="stable")
    sv = val[order]
    same_prev = np.zeros(N, bool)
    same_prev[1:] = sv[1:] == sv[:-1]
    prv = np.full(N, -1, np.int64)
    prv[order[1:][same_prev[1:]]] = order[:-1][same_prev[1:]]
    nxt = np.full(N, -1, np.int64)
    nxt[order[:-1][same_prev[1:]]] = order[1:][same_prev[1:]]
    # prev touch before the instruction: repeated reads of one value in one
    # instruction share the first one's
    lo = prv.copy()
    ridx = np.flatnonzero(read)
    # in value-sorted order, runs of same-instruction reads are consecutive
    srt_lo = lo[order]
    srt_start = start[order]
    valid = ~(same_prev & (srt_lo >= srt_start) & read[order])
    fill = np.maximum.accumulate(np.where(valid, np.arange(N), 0))
    lo[order] = srt_lo[fill]
    static = flat["static"].copy()
    static[order] = static[order][fill]
    del sv, same_prev, prv, srt_lo, srt_start, valid, fill, order
    # end of each touch: next touch, or N (live to the end), or dead (-1)
    nv = int(val.max()) + 1
    keep = np.zeros(nv, bool)
    if liveness:
        keep[flat["returned"]] = True
    else:
        keep[:] = True
    end = nxt.copy()
    last = nxt < 0
    end[last & keep[val]] = N
    # points: touches that stay on the stack for a while
    pts = np.flatnonzero(end >= 0)
    # L(s): live values before event s; touch j is on the stack for s in (j, end]
    e = end[pts]
    diff = np.bincount(pts + 1, minlength=N + 2).astype(np.int64)
    diff -= np.bincount(e[e < N] + 1, minlength=N + 2)
    L = np.cumsum(diff)[:N + 1]                   # L[s] = live before event s
    del diff, nxt, end, last
    flat["peak_live"] = int(L.max())
    d = np.zeros(len(ridx), np.int64)
    qlo = lo[ridx]
    qs = start[ridx]
    del lo
    priced = qlo >= 0
    qi = np.flatnonzero(priced)
    d[qi] = L[qs[qi]]
    del L
    d[qi] -= _dominance_count(pts, e, qlo[qi], qs[qi])
    st = static[ridx]
    d[~priced] = st[~priced]
    if np.any(d[~priced] <= 0):
        raise ValueError("a read of a value that is not on the stack")
    return flat, d


def cost_of_depth(d, bytes_per_element=1):
    """ceil(sqrt(.)) summed over the element's byte depths (vectorised)."""
    d = np.asarray(d, dtype=np.int64)
    b = int(bytes_per_element)
    if b == 1:
        return _ceil_sqrt(d)
    # byte depths (d-1)*b+1 .. d*b
    base = (d - 1) * b
    tot = np.zeros(d.shape, np.int64)
    for k in range(1, b + 1):
        tot += _ceil_sqrt(base + k)
    return tot


def _ceil_sqrt(d):
    d = np.asarray(d, dtype=np.int64)
    r = np.sqrt(d.astype(np.float64)).astype(np.int64)
    # exact integer correction
    r -= (r * r > d)
    r += ((r + 1) * (r + 1) <= d)
    return r + (r * r < d)


def cost(trace, mode="main", liveness=True, bytes_per_element=1):
    """Total ByteDMD cost of a trace."""
    _, d = depths(trace, mode, liveness)
    return int(cost_of_depth(d, bytes_per_element).sum())


# --------------------------------------------------------------------------
# naive reference
# --------------------------------------------------------------------------
def naive_depths(instructions, args, returned=(), mode="main", liveness=True):
    """List simulation of the stack, straight from the rules (test reference).

    instructions: [(reads tuple, outs tuple)]; args: value ids in push order;
    returned: ids that stay live to the end.  Returns the list of read depths.
    """
    instructions = list(instructions)
    returned = set(returned)
    last = {}
    for i, (r, o) in enumerate(instructions):
        for v in r:
            last[v] = i
    stack = []                              # bottom ... top
    static = {}
    if mode == "main":
        stack = [v for v in args if (not liveness) or v in last
                 or v in returned]
    else:
        n = len(args)
        static = {v: n - p for p, v in enumerate(args)}
    out = []
    for i, (r, o) in enumerate(instructions):
        ds = []
        for v in r:
            if v in stack:
                ds.append(len(stack) - stack.index(v))
            elif v in static:
                ds.append(static[v])
            else:
                raise ValueError("read of a value not on the stack")
        out.extend(ds)
        for v in r:
            static.pop(v, None)
            if v in stack:
                stack.remove(v)
            stack.append(v)
        if liveness:
            for v in set(r):
                if last[v] == i and v not in returned:
                    stack.remove(v)
        for v in o:
            if (not liveness) or v in last or v in returned:
                stack.append(v)
    return out


def naive_cost(instructions, args, returned=(), mode="main", liveness=True,
               bytes_per_element=1, epilogue=()):
    """Naive total; dev mode appends the epilogue reads of ``epilogue``."""
    instructions = list(instructions)
    if mode == "dev":
        instructions += [(tuple(epilogue), ())]
    ds = naive_depths(instructions, args, returned, mode, liveness)
    b = bytes_per_element
    return sum(sum(math.isqrt((d - 1) * b + k - 1) + 1 for k in range(1, b + 1))
               for d in ds)
