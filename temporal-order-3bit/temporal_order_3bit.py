"""The temporal order problem, two relevant symbols: LSTM Experiment 6a
(Hochreiter & Schmidhuber 1997, section 5.6).

Hochreiter, S. & Schmidhuber, J. (1997). Long Short-Term Memory.
Neural Computation 9(8), 1735-1780. Section 5.6 (Experiment 6, task 6a), Table 9.

Task. A sequence of local (one-hot) symbols from {a, b, c, d, X, Y, E, B} has a
random length L in [100, 110]. It starts with E, ends with the trigger symbol B,
and is otherwise made of random distractors from {a, b, c, d}, except at two
positions t1 in [10, 20] and t2 in [50, 60] (1-indexed), which hold X or Y.
The class is the temporal order of the two: XX -> Q, XY -> R, YX -> S, YY -> U,
one output unit per class, a local target at the sequence end only. A sequence
is classified correctly if every output's absolute error is below 0.3. The net
must hold which symbol came first across at least 30 steps of distractors and
combine it with the second one.

Model (1997 cell, no forget gate; 2 blocks of 2 cells; the paper's 156 weights).
8 inputs; a fully recurrent hidden layer of 8 units (4 cells c, 2 input gates
in, 2 output gates out), each fed by the 8 inputs, all 8 hidden activations of
the previous step and a bias: 8 * 17 = 136 weights; 4 sigmoid outputs fed by the
4 cells and a bias: 4 * 5 = 20. With z(t) = [x(t), y(t-1), 1], j = block of cell v:

  (1) net(t)      = W z(t)                                   all hidden units
  (2) y_in_j(t)   = f(net_in_j(t)),  y_out_j(t) = f(net_out_j(t))   f: logistic
  (3) s_v(t)      = s_v(t-1) + y_in_j(t) g(net_v(t))          CEC, g = 4f - 2
  (4) y_v(t)      = y_out_j(t) h(s_v(t))                      h = 2f - 1
  (5) o_k         = f(W_out[k] [y_c(t_b), 1])                 k = 1..4, at the end
  (6) E           = 1/2 sum_k (o_k - d_k)^2                   d: the class, one-hot

--timing same_step (the default, the paper's experiments): section 5 says that
each time step sets the input units, then computes the hidden units, then the
output units, so the output at the last step L-1 reads the cells of that step,
t_b = L - 1 (the trigger B reaches the cells in the step it arrives).
--timing lagged: the notation of Appendix A.1, where every unit reads the
previous step's activations; input -> cell -> output takes two steps and the
output reads the cells of step t_b = L - 3.

Gradient: the 1997 truncated gradient. Error reaching a unit's net input is not
sent back through the recurrent weights; it flows back in time only through the
CEC (3), where it stays constant. That is the exact gradient of the net with
y(t-1) inside z(t) held fixed (the tests check it so), and equals the paper's
forward-accumulated partials ds/dw; here it is one backward sweep without a loop.

Learning (the paper's rule): (7) w <- w - lr dE/dw after every sequence, one
fresh sequence per update, lr 0.5, weights in U[-0.1, 0.1], input-gate biases
-2 and -4. Stopping rule: stop a trial as soon as its 2000 most recent training
sequences were all classified correctly and their average error (8) is below
0.1, where (8) err = sum_k (o_k - d_k)^2 of one sequence. The count is the
number of training sequences seen until then. Then 2560 fresh test sequences.
Trials seed .. seed+n_seeds-1 train side by side on a leading run axis; each
updates only its own weights, after each of its own sequences.

Deviations (README, "Deviations from the original"): the paper does not define
"average training error" for four outputs; we use (8). Gradients by a backward
sweep instead of forward accumulation (same numbers).

  python3 temporal-order-3bit/temporal_order_3bit.py --results temporal-order-3bit/results.json
  python3 temporal-order-3bit/temporal_order_3bit.py --quick
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "temporal-order-3bit"


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000              # first seed; trials seed .. seed+n_seeds-1 train side by side
    n_seeds: int = 20              # independent trials (paper: 20 for task 6a)
    quick: bool = False            # reduced run for tests and smoke runs (short sequences, a few seconds)
    T: int = 100                   # minimal sequence length; lengths in [T, T + len_extra] (paper: 100)
    len_extra: int = 10            # lengths up to T + len_extra (paper: 110 = 100 + 10)
    windows: tuple = ((10, 20), (50, 60))  # 1-indexed positions [lo, hi] of the X/Y symbols (paper)
    timing: str = "same_step"      # same_step (the experiments: output reads the cells of step L-1) | lagged (A.1: of L-3)
    lr: float = 0.5                # learning rate of plain online gradient descent (paper: 0.5)
    n_blocks: int = 2              # memory-cell blocks (paper: 2)
    block_size: int = 2            # cells per block (paper: 2)
    init_range: float = 0.1        # all weights incl. biases ~ U[-r, r] (paper: 0.1)
    in_gate_bias: tuple = (-2.0, -4.0)  # input-gate bias of block j (paper: -2.0, -4.0)
    crit: float = 0.3              # correct if every output's |o_k - d_k| < crit (paper: 0.3)
    stop_err: float = 0.1          # stop when the window's mean error (8) < this (paper: 0.1)
    stop_window: int = 2000        # ... and its last stop_window sequences were all correct (paper: 2000)
    n_test: int = 2560             # fresh test sequences per trial after training (paper: 2560)
    max_sequences: int = 150_000   # training budget per trial in sequences (paper: none stated)
    log_every: int = 1000          # record history and a weight snapshot every this many sequences
    dev_seeds: tuple = (0, 10000)          # development block [first, end): every tuning choice
    report_seeds: tuple = (10000, 10100)   # reporting block [first, end): headline and rates only
    verdict_metric: str = "sequences_to_criterion"  # Table 9: mean sequences to the stopping rule
    verdict_sense: str = "match"   # either side of the paper's mean counts as a miss
    verdict_tol: float = 0.3       # yes: within 30% of the paper's mean, all 20 trials meeting the rule
    verdict_partial: float = 1.0   # partial: within 100%
    PRESETS: ClassVar[dict] = {
        "quick": dict(T=30, len_extra=3, windows=((3, 6), (15, 18)), n_seeds=2,
                      max_sequences=20_000, stop_window=200, log_every=500),
    }

    def __post_init__(self):
        if self.timing not in ("same_step", "lagged"):
            raise ValueError(f"unknown --timing {self.timing!r} (same_step | lagged)")
        if self.T < 10 or self.len_extra < 0:
            raise ValueError(f"--T must be >= 10 and --len-extra >= 0 (got {self.T}, {self.len_extra})")
        if max(hi for _, hi in self.windows) > self.T - 3:
            raise ValueError(f"the X/Y windows {self.windows} must end before step T - 3 = {self.T - 3}")
        for name in ("max_sequences", "n_test", "stop_window", "log_every", "n_blocks", "block_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1 "
                                 f"(got {getattr(self, name)})")
        if not self.lr > 0:
            raise ValueError(f"--lr must be > 0 (got {self.lr})")
        if len(self.in_gate_bias) < self.n_blocks:
            raise ValueError(f"in_gate_bias needs {self.n_blocks} values")


PAPER = {
    "citation": "Hochreiter, S. & Schmidhuber, J. (1997). Long Short-Term Memory. "
                "Neural Computation 9(8), 1735-1780.",
    "year": 1997,
    "metrics": {"sequences_to_criterion": 31390, "test_wrong_mean": 1, "test_wrong_max": 3,
                "n_weights": 156, "test_error_max": 0.1},
    "runs": 20,
    "source": "Section 5.6 (Experiment 6, task 6a), Table 9: mean of 20 trials, 31,390 training "
              "sequences to the stopping rule; 1 of 2560 test sequences wrong (mean); the text: "
              "test error always below 0.1, never more than 3 wrong; 156 weights; lr 0.5.",
}
EARLIER = {
    "metrics": {"sequences_to_criterion": 6400},
    "note": "T = 50 with rescaled windows, Adam, 4 cells without blocks, fixed budget: 5/5 seeds "
            "at about 6,400 sequences; not the paper's setting, so not comparable.",
}
SYMBOLS = "abcdXYEB"                          # the 8 input units, in order
N_DISTRACT, SYM_X, SYM_E, SYM_B, PAD = 4, 4, 6, 7, 8   # a-d; X (Y = X + 1); start E; trigger B; padding
ONE_HOT = np.vstack([np.eye(len(SYMBOLS)), np.zeros(len(SYMBOLS))])   # row PAD: no input


# ----------------------------------------------------------------------------
# Data: the temporal order problem (section 5.6)
# ----------------------------------------------------------------------------
def make_symbols(rng, T, len_extra, windows, B):
    """B sequences as symbol indices into SYMBOLS, padded with PAD to the longest.
    Returns sym (Lmax, B), lengths (B,), cls (B,), pos (B, n) 0-indexed steps of the
    relevant symbols, bits (B, n) 0 = X, 1 = Y. The class reads the bits as a binary
    number, the first symbol most significant: XX=0 (Q), XY=1 (R), YX=2 (S), YY=3 (U)."""
    n = len(windows)
    lengths = rng.integers(T, T + len_extra + 1, size=B)
    Lmax = int(lengths.max())
    sym = rng.integers(0, N_DISTRACT, size=(Lmax, B))          # distractors a..d
    pos = np.stack([rng.integers(lo, hi + 1, size=B) for lo, hi in windows], axis=1) - 1
    bits = rng.integers(0, 2, size=(B, n))
    cols = np.arange(B)
    sym[pos.T, cols] = SYM_X + bits.T
    sym[0], sym[lengths - 1, cols] = SYM_E, SYM_B
    sym[np.arange(Lmax)[:, None] >= lengths] = PAD
    return sym, lengths, bits @ (1 << np.arange(n - 1, -1, -1)), pos, bits


def one_hot(sym):
    """Symbol indices (...) -> local input vectors (..., 8); PAD -> all zeros."""
    return ONE_HOT[sym]


def make_batch(rng, T, len_extra, windows, B):
    """B sequences: x (Lmax, B, 8) one-hot (zero after each sequence's end), lengths (B,),
    d (B, 2^n) one-hot class targets, pos (B, n), bits (B, n) as in make_symbols."""
    sym, lengths, cls, pos, bits = make_symbols(rng, T, len_extra, windows, B)
    return one_hot(sym), lengths, np.eye(1 << len(windows))[cls], pos, bits


def sequence_source(rng, T, len_extra, windows, chunk=500):
    """One trial's stream of fresh sequences (sym (T + len_extra,), length, class),
    drawn `chunk` at a time and handed out one by one (the online rule)."""
    while True:
        sym, lengths, cls, _, _ = make_symbols(rng, T, len_extra, windows, chunk)
        sym = np.concatenate([sym, np.full((T + len_extra - sym.shape[0], chunk), PAD)])
        for i in range(chunk):
            yield sym[:, i], lengths[i], cls[i]


def stack_runs(items, n_classes):
    """One sequence per trial [(sym, length, class)] -> x (L, R, 1, 8), lengths (R, 1), d (R, 1, K)."""
    sym = np.stack([it[0] for it in items], axis=1)
    lengths = np.array([[it[1]] for it in items])
    d = np.eye(n_classes)[[it[2] for it in items]][:, None]
    return one_hot(sym)[:, :, None], lengths, d


# ----------------------------------------------------------------------------
# Model: the 1997 LSTM on a run axis R
# ----------------------------------------------------------------------------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def arch(cfg):
    """The scalars the maths needs: (n_blocks, block_size, output lag)."""
    return cfg.n_blocks, cfg.block_size, 2 if cfg.timing == "lagged" else 0


def init_params(rngs, nb, k, n_in, n_out, r, in_bias):
    """Per trial: W (U, n_in + U + 1), rows = hidden units [cells, input gates, output
    gates], columns = [x, y(t-1), bias]; W_out (n_out, C + 1) from the cells + bias.
    All ~ U[-r, r] except the input-gate biases. Stacked on the run axis: (R, ...)."""
    C = nb * k
    U = C + 2 * nb
    Ws, Wos = [], []
    for rng in rngs:
        W = rng.uniform(-r, r, size=(U, n_in + U + 1))
        Wos.append(rng.uniform(-r, r, size=(n_out, C + 1)))
        W[C:C + nb, -1] = in_bias[:nb]                    # input-gate biases
        Ws.append(W)
    return {"W": np.stack(Ws), "W_out": np.stack(Wos)}


def model_params(cfg, rngs):
    return init_params(rngs, cfg.n_blocks, cfg.block_size, len(SYMBOLS), 1 << len(cfg.windows),
                       cfg.init_range, cfg.in_gate_bias)


def n_weights(params):
    """Weights of one trial."""
    return int(sum(p[0].size for p in params.values()))


def forward(params, x, lengths, nb, k, lag=0, y_fixed=None):
    """Run R nets over x (L, R, B, I); read the outputs at t_b = L_b - 1 - lag.

    The state at t depends only on inputs up to t, so zero padding is exact.
    y_fixed (L, R, B, U), if given, replaces y(t-1) inside z(t) (to check the
    truncated gradient). Returns o (R, B, K) and a cache for `backward`."""
    W, W_out = params["W"], params["W_out"]
    I, U, C = x.shape[-1], W.shape[1], nb * k
    tb = lengths - 1 - lag                                   # (R, B) the step the output reads
    x = x[:int(tb.max()) + 1]                                # later steps cannot reach the output
    L, R, B, _ = x.shape
    W_rec = np.swapaxes(W[..., I:I + U], -1, -2)             # (R, U, U) from y(t-1)
    net_x = x @ np.swapaxes(W[..., :I], -1, -2) + W[:, None, :, -1]   # (L, R, B, U) x, bias of (1)
    Y, A, S = np.zeros((L, R, B, U)), np.zeros((L, R, B, U)), np.zeros((L, R, B, C))
    S4, Yc4 = S.reshape(L, R, B, nb, k), Y[..., :C].reshape(L, R, B, nb, k)   # views by block
    net, s, y = np.empty((R, B, U)), np.zeros((R, B, nb, k)), np.zeros((R, B, U))
    for t in range(L):                                       # written into A, S, Y in place
        y_prev = y if y_fixed is None or t == 0 else y_fixed[t - 1]
        np.matmul(y_prev, W_rec, out=net)
        net += net_x[t]                                      # (1)  (R, B, U)
        a = A[t]
        np.exp(-net, out=a)
        a += 1.0
        np.reciprocal(a, out=a)                              # (2)  a = f(net) of every unit
        g = 4.0 * a[..., :C].reshape(R, B, nb, k) - 2.0      # g(net_c) = 4 f - 2
        g *= a[..., C:C + nb, None]
        s = np.add(s, g, out=S4[t])                          # (3)  s(t) = s(t-1) + y_in g
        Y[t, ..., C:] = a[..., C:]
        # (4)  y_c = y_out h(s), h = 2f - 1 = tanh(s / 2)
        np.multiply(a[..., C + nb:, None], np.tanh(0.5 * s), out=Yc4[t])
        y = Y[t]
    ri, bi = np.arange(R)[:, None], np.arange(B)[None, :]
    y_end = np.concatenate([Y[tb, ri, bi, :C], np.ones((R, B, 1))], axis=-1)   # (R, B, C + 1)
    o = sigmoid(y_end @ np.swapaxes(W_out, -1, -2))                            # (5) (R, B, K)
    return o, dict(x=x, Y=Y, S=S, A=A, y_end=y_end, tb=tb, C=C)


def backward(params, cache, o, d, nb, k):
    """The 1997 truncated gradient of sum_b E_b (6), per trial: {W (R, ...), W_out (R, ...)}.

    The only error entering y(t) is the outputs', at t_b. It reaches s(t_b) via (4)
    and is carried back unchanged through the CEC (3): ds(t) = ds(t_b) for t <= t_b."""
    W_out = params["W_out"]
    x, Y, S, A, tb, C = (cache[n] for n in ("x", "Y", "S", "A", "tb", "C"))
    L, R, B, U = A.shape
    ri, bi = np.arange(R)[:, None], np.arange(B)[None, :]
    blk = lambda v: v.reshape(v.shape[:-1] + (nb, k)).sum(-1)       # sum over a block's cells
    rep = lambda v: np.repeat(v, k, axis=-1)                        # block value per cell
    dnet_o = (o - d) * o * (1.0 - o)                                # (6), (5): (R, B, K)
    dyc = dnet_o @ W_out[..., :C]                                   # error at y_c(t_b)
    a_c, a_in = A[..., :C], A[..., C:C + nb]
    ao, h_end = A[tb, ri, bi, C + nb:], np.tanh(0.5 * S[tb, ri, bi])
    D = dyc * rep(ao) * 0.5 * (1.0 - h_end ** 2)                    # ds(t_b) via (4)
    DS = (np.arange(L)[:, None, None] <= tb)[..., None] * D         # (L, R, B, C) the CEC
    dNet = np.zeros((L, R, B, U))
    dNet[..., :C] = DS * rep(a_in) * 4.0 * a_c * (1.0 - a_c)        # cells, via (3)
    dNet[..., C:C + nb] = blk(DS * (4.0 * a_c - 2.0)) * a_in * (1.0 - a_in)  # input gates
    dNet[tb, ri, bi, C + nb:] = blk(dyc * h_end) * ao * (1.0 - ao)  # output gates, at t_b only
    # dE/dW = sum_t sum_b dNet(t) z(t)^T, z(t) = [x(t), y(t-1), 1]
    dW = np.concatenate([outer_sum(dNet, x), outer_sum(dNet[1:], Y[:-1]),
                         dNet.sum((0, 2))[..., None]], axis=-1)
    return {"W": dW, "W_out": np.swapaxes(dnet_o, -1, -2) @ cache["y_end"]}


def outer_sum(a, b):
    """sum over t and b of a(t, r, b, u) b(t, r, b, i) -> (R, U, I), as one matmul per trial."""
    L, R, B, U = a.shape
    return (a.transpose(1, 3, 0, 2).reshape(R, U, L * B)
            @ b.transpose(1, 0, 2, 3).reshape(R, L * B, b.shape[-1]))


def sgd_step(params, grads, lr, active):
    """(7) w <- w - lr dE/dw, only for the trials still training."""
    for name in params:
        params[name][active] -= lr * grads[name][active]


def seq_scores(o, d, crit):
    """Per sequence: err (8) = sum_k (o_k - d_k)^2 and correct = all |o_k - d_k| < crit."""
    e = np.abs(o - d)
    return np.sum(e ** 2, axis=-1), np.all(e < crit, axis=-1)


# ----------------------------------------------------------------------------
# Train and evaluate
# ----------------------------------------------------------------------------
STREAMS = ("data", "init", "test")             # spawn order of each seed's generators


class Window:
    """Error (8) and correctness of each trial's stop_window most recent training sequences."""

    def __init__(self, R, size):
        self.err, self.ok = np.full((R, size), np.inf), np.zeros((R, size), bool)
        self.i, self.n_fill, self.size = 0, 0, size

    def push(self, err, ok):                   # err, ok: (R,) one sequence per trial
        self.err[:, self.i], self.ok[:, self.i] = err, ok
        self.i, self.n_fill = (self.i + 1) % self.size, min(self.n_fill + 1, self.size)

    def stats(self):
        n = self.n_fill
        err, ok = (self.err, self.ok) if n == self.size else (self.err[:, :n], self.ok[:, :n])
        return err.mean(1), ok.mean(1)


def train(cfg: Config, log=None):
    """Train trials cfg.seed .. cfg.seed+n_seeds-1 side by side, each on its own
    stream, until each meets the stopping rule or the budget is spent.
    Returns (params (R, ...), history)."""
    streams = [seed_streams(s, STREAMS) for s in range(cfg.seed, cfg.seed + cfg.n_seeds)]
    R = cfg.n_seeds
    nb, k, lag = arch(cfg)
    params = model_params(cfg, [st["init"] for st in streams])
    sources = [sequence_source(st["data"], cfg.T, cfg.len_extra, cfg.windows) for st in streams]
    win = Window(R, cfg.stop_window)
    active, stop_at = np.ones(R, bool), np.zeros(R, int)
    frozen = np.zeros((2, R))                   # window (err, frac) of stopped trials, at the stop
    hist = {"seen": [], "err": [], "frac_correct": [], "elapsed": [], "snapshots": []}
    t0, seen = time.time(), 0
    K = 1 << len(cfg.windows)
    while seen < cfg.max_sequences:
        x, lengths, d = stack_runs([next(src) for src in sources], K)
        # stopped trials keep their weights; only the active ones are computed
        a = slice(None) if active.all() else np.flatnonzero(active)
        p = params if active.all() else {n_: v[a] for n_, v in params.items()}
        o, cache = forward(p, x[:, a], lengths[a], nb, k, lag)
        err, ok = np.full(R, np.inf), np.zeros(R, bool)
        err[a], ok[a] = (v[:, 0] for v in seq_scores(o, d[a], cfg.crit))
        win.push(err, ok)
        seen += 1
        err_w, frac_w = np.where(active, win.stats(), frozen)
        if seen % cfg.log_every == 0:
            record(hist, seen, err_w, frac_w, params, t0)
            if log:
                log(seen, cfg.max_sequences, {"trials stopped": f"{int((~active).sum())}/{R}",
                                              "median window err": float(np.median(err_w))})
        # the stopping rule: last stop_window sequences all correct, mean error < stop_err
        done = active & (win.n_fill == win.size) & (frac_w == 1.0) & (err_w < cfg.stop_err)
        stop_at[done], active, frozen[:, done] = seen, active & ~done, (err_w[done], frac_w[done])
        if not active.any():
            break
        sgd_step(p, backward(p, cache, o, d[a], nb, k), cfg.lr, active[a])
        if p is not params:
            for n_ in params:
                params[n_][a] = p[n_]
    record(hist, seen, err_w, frac_w, params, t0)
    hist.update(solved=(stop_at > 0).tolist(), sequences=np.where(stop_at > 0, stop_at, seen).tolist(),
                train_s=time.time() - t0)
    return params, hist


def record(hist, seen, err_w, frac_w, params, t0):
    hist["seen"].append(seen)
    hist["err"].append(err_w.tolist())
    hist["frac_correct"].append(frac_w.tolist())
    hist["elapsed"].append(time.time() - t0)
    hist["snapshots"].append({k_: v.copy() for k_, v in params.items()})


EVAL_BATCH = 512                               # test sequences per forward pass


def evaluate(model, cfg: Config):
    """The paper's test, per trial: n_test fresh sequences from the trial's test stream;
    wrong = some output off by >= crit. Lists over trials, plus o, d (R, n_test, K)."""
    nb, k, lag = arch(cfg)
    rngs = [seed_streams(s, STREAMS)["test"] for s in range(cfg.seed, cfg.seed + cfg.n_seeds)]
    K, Lmax, os_, ds = 1 << len(cfg.windows), cfg.T + cfg.len_extra, [], []
    for i in range(0, cfg.n_test, EVAL_BATCH):
        n = min(EVAL_BATCH, cfg.n_test - i)
        batches = [make_symbols(r, cfg.T, cfg.len_extra, cfg.windows, n) for r in rngs]
        sym = np.full((Lmax, len(rngs), n), PAD)
        for r, b in enumerate(batches):
            sym[:b[0].shape[0], r] = b[0]
        lengths = np.stack([b[1] for b in batches])
        os_.append(forward(model, one_hot(sym), lengths, nb, k, lag)[0])
        ds.append(np.eye(K)[np.stack([b[2] for b in batches])])
    o, d = np.concatenate(os_, axis=1), np.concatenate(ds, axis=1)
    err, ok = seq_scores(o, d, cfg.crit)
    return {"test_wrong": np.sum(~ok, axis=1).tolist(), "n_test": int(cfg.n_test),
            "test_error": err.mean(1).tolist(), "o": o, "d": d}


def summarise(cfg: Config, model, history) -> dict:
    """Metrics of the trials. The Table 9 statistic (mean sequences to the stopping
    rule) is over the trials that met it; n_runs counts them; NaN if none did."""
    ev = evaluate(model, cfg)
    solved = np.array(history["solved"])
    seqs = np.array(history["sequences"], dtype=float)
    ok = seqs[solved] if solved.any() else np.array([np.nan])
    wrong = np.array(ev["test_wrong"])
    per_run = [{"seed": cfg.seed + r, "solved": bool(solved[r]), "sequences": int(seqs[r]),
                "test_wrong": int(wrong[r]), "test_error": ev["test_error"][r]}
               for r in range(cfg.n_seeds)]
    return {"n_seeds": cfg.n_seeds, "n_solved": int(solved.sum()), "n_runs": int(solved.sum()),
            "solve_rate": float(solved.mean()),
            "sequences_to_criterion": float(ok.mean()),
            "sequences_to_criterion_std": float(ok.std()),
            "sequences_to_criterion_median": float(np.median(ok)),
            "sequences_to_criterion_min": float(ok.min()),
            "sequences_to_criterion_max": float(ok.max()),
            "n_test": int(ev["n_test"]), "test_wrong_mean": float(wrong.mean()),
            "test_wrong_max": int(wrong.max()),
            "runs_within_paper_max_wrong": int(np.sum(wrong <= PAPER["metrics"]["test_wrong_max"])),
            "test_error_mean": float(np.mean(ev["test_error"])),
            "test_error_max": float(np.max(ev["test_error"])),
            "n_weights": n_weights(model), "train_s": float(history["train_s"]), "per_run": per_run}


def describe(cfg: Config, metrics: dict) -> dict:
    """The record's one-line summary and its Results table, built from the metrics."""
    m, n, P, pr = metrics, metrics["n_seeds"], PAPER["metrics"], PAPER["runs"]
    paper_set = cfg.T == 100 and cfg.windows == Config.windows and cfg.len_extra == 10
    pp = lambda v: v if paper_set else "-"
    seq = (f"{m['sequences_to_criterion']:,.0f} +- {m['sequences_to_criterion_std']:,.0f}"
           if m["n_solved"] else f"none within {cfg.max_sequences:,}")
    setting = f"T={cfg.T}..{cfg.T + cfg.len_extra}, windows {list(map(list, cfg.windows))}, lr {cfg.lr:g}"
    rows = [[f"{setting}: trials meeting the stopping rule within {cfg.max_sequences:,}",
             f"{m['n_solved']}/{n}", pp(f"{pr}/{pr}")],
            ["training sequences to the stopping rule, mean +- std over those trials", seq,
             pp(f"{P['sequences_to_criterion']:,}")],
            ["  median; min / max", f"{m['sequences_to_criterion_median']:,.0f}; "
             f"{m['sequences_to_criterion_min']:,.0f} / {m['sequences_to_criterion_max']:,.0f}"
             if m["n_solved"] else "-", "-"],
            [f"wrong test sequences of {m['n_test']} (mean; max)",
             f"{m['test_wrong_mean']:.2f}; {m['test_wrong_max']}",
             pp(f"{P['test_wrong_mean']:g}; <= {P['test_wrong_max']}")],
            ["average test error (8) (mean; max over trials)",
             f"{m['test_error_mean']:.3f}; {m['test_error_max']:.3f}",
             pp(f"< {P['test_error_max']:g}")],
            ["weights", str(m["n_weights"]), str(P["n_weights"])]]
    rows += [[f"trial {p['seed']}: sequences; test wrong",
              f"{p['sequences']:,}{'' if p['solved'] else ' (budget, not met)'}; {p['test_wrong']}", "-"]
             for p in m["per_run"][:20]]
    summ = (f"{setting}, online SGD: {m['n_solved']}/{n} trials meet the stopping rule"
            + (f" after {seq} sequences" if m["n_solved"] else f" within {cfg.max_sequences:,} sequences")
            + (f" (paper {P['sequences_to_criterion']:,}, mean of {pr})" if paper_set else "")
            + f"; {m['test_wrong_mean']:.2f} of {m['n_test']} test sequences wrong on average, "
            f"at most {m['test_wrong_max']}")
    return {
        "label": "training sequences to the stopping rule, mean over the trials that met it",
        "summary": summ,
        "table": {"columns": ["quantity", "ours", "paper (Table 9)"], "rows": rows},
        "tolerance": {"rel": 1e-6, "basis": "deterministic; 1e-6 allows last-bit BLAS "
                      "differences in the test error across CPUs (sequence counts are exact)"},
    }


# ==== catalog plumbing: begin (copied verbatim from bin/plumbing.py by `python3 bin/catalog.py --sync`; edit it there) ====
import argparse
import dataclasses
import hashlib
import inspect
import io
import json
import os
import pickle
import platform
import sys
import time
import tokenize

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(message: str):
    """One line on stderr, exit status 2: how every bad input ends."""
    sys.stderr.write(f"{os.path.basename(sys.argv[0] or SLUG)}: error: {message}\n")
    sys.exit(2)


def seed_streams(seed: int, names) -> dict:
    """Named, independent generators of one seed: SeedSequence(seed) spawned in `names` order."""
    children = np.random.SeedSequence(int(seed)).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}


def config_comments(cls) -> dict:
    """{field: its trailing comment} read from the Config source: the --help text."""
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    out, name = {}, None
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.NAME and tok.start[1] == 4 and name is None:
            name = tok.string
        elif tok.type == tokenize.COMMENT and name:
            out.setdefault(name, tok.string.lstrip("# ").strip())
        if tok.type in (tokenize.NEWLINE, tokenize.NL):
            name = None
    return out


CLI_TYPES = {"int": int, "float": float, "str": str, "bool": bool}
NOT_ON_CLI = ("dev_seeds", "report_seeds", "verdict_metric", "verdict_sense", "verdict_tol",
              "verdict_partial")


def make_config(**given) -> "Config":
    """Config with its presets applied (e.g. quick=True), explicit fields winning over presets."""
    cfg = Config(**given)
    for flag, overrides in getattr(Config, "PRESETS", {}).items():
        if getattr(cfg, flag):
            cfg = dataclasses.replace(cfg, **overrides)
    return dataclasses.replace(cfg, **given) if given else cfg


def parse_cli(argv=None):
    """(cfg, results path) from the command line; any bad value -> one line, exit 2, no work."""
    helps = config_comments(Config)
    ap = argparse.ArgumentParser(prog=os.path.basename(sys.argv[0] or SLUG),
                                 description=(sys.modules[__name__].__doc__ or SLUG).split("\n\n")[0])
    ap.error = fail
    for f in dataclasses.fields(Config):
        kind = CLI_TYPES.get(getattr(f.type, "__name__", f.type))
        if kind is None or f.name in NOT_ON_CLI:
            continue
        flag, text = "--" + f.name.replace("_", "-"), helps.get(f.name, f.name).replace("%", "%%")
        if kind is bool:
            ap.add_argument(flag, action="store_true", default=None, help=text)
            if f.default is True:   # a switch that is on by default can be turned off
                ap.add_argument("--no-" + flag[2:], dest=f.name, action="store_false",
                                default=None, help=f"turn off {flag} (on by default)")
        else:
            ap.add_argument(flag, type=kind, default=None, metavar=f.name.upper(),
                            help=f"{text} (default {f.default!r})")
    ap.add_argument("--results", default=None, metavar="PATH", help="write the run record to PATH")
    a = ap.parse_args(argv)
    given = {k: v for k, v in vars(a).items() if k != "results" and v is not None}
    if given.get("seed", 0) < 0:
        fail(f"--seed must be a non-negative integer, got {given['seed']}")
    if given.get("n_seeds", 1) < 1:
        fail(f"--n-seeds must be a positive integer, got {given['n_seeds']}")
    try:
        cfg = make_config(**given)
    except (TypeError, ValueError) as e:
        fail(str(e))
    if a.results is not None:
        check_writable(a.results)
    return cfg, a.results


def check_writable(path: str) -> None:
    """Fail now, before any work, if the run record could not be written to `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        fail(f"--results {path} is a directory")
    if not os.path.isdir(folder):
        fail(f"--results {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        fail(f"--results {path} is not writable")


def write_json(path: str, obj) -> None:
    """Atomic write: a temporary file in the same folder, then rename."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, path)


class Progress:
    """progress(step, total, metrics): one fixed-format line, at most every `every_s` seconds."""

    def __init__(self, every_s: float = 2.0):
        self.t0, self.last, self.every_s = time.time(), -1e9, every_s

    def __call__(self, step: int, total: int, metrics: dict) -> None:
        now = time.time()
        if now - self.last < self.every_s and step < total:
            return
        self.last, elapsed = now, now - self.t0
        eta = f"{elapsed / step * (total - step):6.1f}s" if step else "     ?"
        shown = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                          for k, v in metrics.items())
        print(f"step {step:>9,}/{total:,}  {shown}  {elapsed:7.1f}s  eta {eta}", flush=True)


def lookup(metrics: dict, dotted: str):
    for part in dotted.split("."):
        metrics = metrics[part]
    return metrics


def seed_block(cfg) -> dict:
    """The run's seeds and the stub's two declared blocks; role says which block they lie in."""
    first, n = cfg.seed, getattr(cfg, "n_seeds", 1)
    dev, rep = list(cfg.dev_seeds), list(cfg.report_seeds)
    inside = lambda b: b[0] <= first and first + n <= b[1]
    role = "reporting" if inside(rep) else "development" if inside(dev) else "other"
    return {"used": [first, first + n], "development": dev, "reporting": rep, "role": role}


def verdict(cfg, metrics: dict, paper: dict):
    """(yes|partial|no, the rule in words): the paper's statistic within a stated tolerance,
    over at least as many runs as the paper used, on the reporting seeds."""
    name, sense, tol, part = cfg.verdict_metric, cfg.verdict_sense, cfg.verdict_tol, cfg.verdict_partial
    ours, target, runs = lookup(metrics, name), paper["metrics"][name], paper.get("runs", 1)
    scale = abs(target) if target else 1.0
    gap = {"at_most": ours - target, "at_least": target - ours,
           "match": abs(ours - target)}[sense] / scale          # > 0: worse than the paper
    words = {"at_most": "at most", "at_least": "at least", "match": "within"}[sense]
    rule = (f"yes if {name} is {words} the paper's {target:g} {'' if sense == 'match' else 'allowing '}"
            f"{tol:.0%} (relative), over >= {runs} runs on the reporting seeds; partial within "
            f"{part:.0%}; else no")
    enough = metrics["n_runs"] >= runs and seed_block(cfg)["role"] == "reporting"
    if gap <= tol and enough:
        return "yes", rule
    return ("partial" if gap <= part else "no"), rule


def run_record(cfg, metrics: dict, command: str, wallclock: float, paper=None, earlier=None,
               describe_fn=None) -> dict:
    """The run record (CONTRIBUTING.md): everything the README and the catalog show.
    An experiments_ script passes its own paper numbers and describe function."""
    paper = PAPER if paper is None else paper
    earlier = EARLIER if paper is PAPER else earlier
    d = (describe_fn or describe)(cfg, metrics)
    reproduces, rule = verdict(cfg, metrics, paper)
    name = cfg.verdict_metric
    return {
        "slug": SLUG, "command": command, "seed": cfg.seed, "seeds": seed_block(cfg),
        "config": dataclasses.asdict(cfg), "metrics": metrics, "paper": paper,
        "earlier_repro": earlier,
        "headline": {"metric": name, "label": d.get("label", name), "ours": lookup(metrics, name),
                     "std": metrics.get(name + "_std"), "paper": paper["metrics"][name],
                     "earlier": (earlier or {}).get("metrics", {}).get(name),
                     "runs": metrics["n_runs"], "paper_runs": paper.get("runs", 1),
                     "reproduces": reproduces, "rule": rule, "summary": d["summary"]},
        "table": d["table"],
        "tolerance": d.get("tolerance", {"rel": 1e-9, "basis": "deterministic: same seed, "
                                         "same machine gives bit-identical metrics"}),
        "wallclock_s": round(wallclock, 2),
        "env": {"python": platform.python_version(), "numpy": np.__version__,
                "platform": platform.platform()},
    }


def cache_path(cfg) -> str:
    """<stub>/.cache/run_<hash of the config>.pkl: one saved run per configuration (git-ignored)."""
    key = json.dumps(dataclasses.asdict(cfg), sort_keys=True).encode()
    return os.path.join(HERE, ".cache", f"run_{hashlib.sha1(key).hexdigest()[:12]}.pkl")


def saved_run(cfg=None):
    """(cfg, model, history) of a saved run, training and saving it once if none exists.
    The visualisers call this, so figures show the run the headline command made."""
    cfg = make_config() if cfg is None else cfg
    path = cache_path(cfg)
    if not os.path.exists(path):
        print(f"no saved run at {path}; training it once", flush=True)
        save_run(cfg, *train(cfg, log=Progress()))
    with open(path, "rb") as fh:
        saved = pickle.load(fh)
    return Config(**saved["config"]), saved["model"], saved["history"]


def save_run(cfg, model, history) -> None:
    os.makedirs(os.path.dirname(cache_path(cfg)), exist_ok=True)
    with open(cache_path(cfg) + ".tmp", "wb") as fh:
        pickle.dump({"config": dataclasses.asdict(cfg), "model": model, "history": history}, fh)
    os.replace(cache_path(cfg) + ".tmp", cache_path(cfg))


def main(argv=None) -> dict:
    """The headline command: parse, train, summarise, save the run, print, write the record."""
    cfg, results = parse_cli(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    script = os.path.relpath(os.path.abspath(sys.modules[__name__].__file__), os.path.dirname(HERE))
    print("config:", json.dumps(dataclasses.asdict(cfg)), flush=True)
    t0 = time.time()
    model, history = train(cfg, log=Progress())
    metrics = summarise(cfg, model, history)
    rec = run_record(cfg, metrics, " ".join(["python3", script] + argv), time.time() - t0)
    save_run(cfg, model, history)
    h = rec["headline"]
    print(f"\n{h['summary']}\n{h['metric']}: ours {h['ours']:.6g} over {h['runs']} run(s) on "
          f"{rec['seeds']['role']} seeds {rec['seeds']['used']}; paper {h['paper']:g} over "
          f"{h['paper_runs']}; reproduces: {h['reproduces']}; wallclock {rec['wallclock_s']:.1f}s")
    if results:
        write_json(results, rec)
        print(f"run record -> {results}")
    return rec
# ==== catalog plumbing: end ====


if __name__ == "__main__":
    main()
