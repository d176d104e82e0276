"""The adding problem: LSTM Experiment 4, under the paper's own protocol.

Hochreiter, S. & Schmidhuber, J. (1997). Long Short-Term Memory.
Neural Computation 9(8), 1735-1780. Section 5.4, Experiment 4, Table 7.

Task. Each step is a pair (value in U[-1, 1], marker in {-1, 0, 1}). A
sequence has a random length L in [T, T + T/10]. One of the first 10 pairs is
marked (value X1), then one of the first T/2 - 1 still-unmarked pairs (X2).
The first and the last pair carry marker -1 (unless the first pair is the
marked one; then X1 := 0). Only at the sequence end is there a target,
0.5 + (X1 + X2) / 4, and a sequence counts as correct if |error| < 0.04.
The minimal time lag is T/2: the net must hold two real numbers, precisely,
across hundreds of steps of distracting noise.

Model (1997 cell, no forget gate; 2 blocks of 2 cells; "93 weights"). The
hidden layer has 8 units (4 cells c, 2 input gates in, 2 output gates out),
each fed by the 2 inputs, all 8 hidden activations of the previous step and
a bias: 8 * (2 + 8 + 1) = 88 weights, plus 4 + 1 into the output unit = 93.
With z(t) = [x(t), y(t-1), 1] and j = block of cell v:

  (1) net(t)      = W z(t)                                 all hidden units
  (2) y_in_j(t)   = f(net_in_j(t)),  y_out_j(t) = f(net_out_j(t))   f: logistic
  (3) s_v(t)      = s_v(t-1) + y_in_j(t) g(net_v(t))        CEC, g = 4f - 2
  (4) y_v(t)      = y_out_j(t) h(s_v(t))                    h = 2f - 1
  (5) o           = f(W_out [y_c(L), 1])                    output at the end
  (6) E           = 1/2 (o - d)^2,  d = 0.5 + (X1 + X2) / 4

With --cell forget (Gers, Schmidhuber & Cummins 2000) each block gets a
forget gate phi_j and (3) becomes s_v(t) = y_phi_j(t) s_v(t-1) + y_in_j(t)
g(net_v(t)) (10 hidden units, 135 weights).

Gradient. --gradient truncated (default, the paper's) is the 1997 truncated
gradient: error reaching a unit's net input is not sent further back through
the recurrent weights; it flows back in time only through the CEC (3). That
equals the exact gradient of the net with y(t-1) inside z(t) held fixed,
which is how the test checks it. --gradient full is exact BPTT. Both are
written out in `backward` below as one backward sweep over time.

Learning. The headline uses Adam (lr 0.01) on the summed gradient of a
minibatch of 64 sequences; --optimizer sgd is the paper's plain gradient
descent, w <- w - 0.5 dE/dw (the paper: after every sequence). Stopping rule
(the paper's): stop as soon as the 2000 most recent training sequences were
all processed correctly and their mean squared error is below 0.01; then
count wrong answers on 2560 fresh test sequences.

Deviations (details in README.md, "Deviations from the original"):
minibatches instead of one sequence per update; Adam in the headline, plain
gradient descent as a second run; input x(t) reaches the hidden units in the
same step; the truncated gradient computed by a backward sweep.

  python3 adding-problem/adding_problem.py --seed 0
  python3 adding-problem/adding_problem.py --T 1000 --seed 0
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SLUG = "adding-problem"


# ----------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 0                  # root of the SeedSequence (streams: data, init, test)
    T: int = 100                   # minimal sequence length; lengths in [T, T + T/10] (paper: 100, 500, 1000)
    model: str = "lstm"            # lstm | rnn (the vanilla-RNN baseline)
    cell: str = "1997"             # 1997 (no forget gate, the paper's) | forget (Gers et al. 2000)
    gradient: str = "truncated"    # truncated (the paper's 1997 gradient) | full (exact BPTT)
    optimizer: str = "adam"        # adam | sgd (plain gradient descent, the paper's)
    lr: float = 0.01               # learning rate (paper: 0.5 with sgd); on the batch-summed gradient
    batch_size: int = 64           # sequences per weight update (paper: 1, online)
    n_blocks: int = 2              # memory-cell blocks (paper: 2)
    block_size: int = 2            # cells per block (paper: 2)
    init_range: float = 0.1        # all weights incl. biases ~ U[-r, r] (paper: 0.1)
    in_gate_bias: tuple = (-3.0, -6.0)  # input-gate bias of block j (paper: -3.0, -6.0)
    forget_gate_bias: float = 5.0  # forget-gate bias, --cell forget only (not in the 1997 paper)
    rnn_hidden: int = 8            # vanilla RNN: tanh units (8 -> 97 weights, vs 93 for LSTM)
    crit: float = 0.04             # a sequence is correct if |o - d| < crit (paper: 0.04)
    stop_mse: float = 0.01         # stop when mean squared error of the window < this (paper: 0.01)
    stop_window: int = 2000        # ... and the last stop_window sequences were all correct (paper: 2000)
    n_test: int = 2560             # fresh test sequences after training (paper: 2560)
    max_sequences: int = 3_000_000  # training budget in sequences (a minibatch of B counts B)
    adam_betas: tuple = (0.9, 0.999)  # Adam moment decay rates (--optimizer adam only)
    adam_eps: float = 1e-8         # Adam denominator floor
    log_every: int = 4000          # record history and a weight snapshot every this many sequences


QUICK = dict(T=20, max_sequences=100_000, stop_window=200, n_test=512, log_every=2000)


# ----------------------------------------------------------------------------
# Data: the adding problem (section 5.4)
# ----------------------------------------------------------------------------
def make_batch(rng, T, B):
    """B sequences with lengths in [T, T + T/10], padded with zeros to the
    longest. Returns x (Lmax, B, 2), lengths (B,), target d (B,), and the
    marked positions p1, p2 (B,)."""
    lengths = rng.integers(T, T + T // 10 + 1, size=B)
    Lmax = int(lengths.max())
    x = np.zeros((Lmax, B, 2))
    t = np.arange(Lmax)[:, None]
    x[:, :, 0] = np.where(t < lengths, rng.uniform(-1.0, 1.0, size=(Lmax, B)), 0.0)
    # X1: one of the first 10 pairs; X2: one of the first T/2 - 1 still unmarked
    n2 = T // 2 - 1
    p1 = rng.integers(0, 10, size=B)
    r = rng.integers(0, n2 - (p1 < n2))
    p2 = r + (r >= p1)
    cols = np.arange(B)
    x[0, :, 1] = -1.0
    x[lengths - 1, cols, 1] = -1.0
    x[0, p1 == 0, 0] = 0.0                      # first pair marked -> X1 = 0
    x[p1, cols, 1] = 1.0
    x[p2, cols, 1] = 1.0
    d = 0.5 + (x[p1, cols, 0] + x[p2, cols, 0]) / 4.0
    return x, lengths, d, p1, p2


# ----------------------------------------------------------------------------
# Model: LSTM (1997 cell or forget-gate cell) and the vanilla RNN
# ----------------------------------------------------------------------------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def n_units(cfg):
    """Hidden units: cells, input gates, output gates (and forget gates)."""
    if cfg.model == "rnn":
        return cfg.rnn_hidden
    n_gates = 3 if cfg.cell == "forget" else 2
    return cfg.n_blocks * cfg.block_size + n_gates * cfg.n_blocks


def init_params(cfg, rng):
    """W: (U, 2 + U + 1) rows = hidden units, columns = [x, y(t-1), bias];
    W_out: (1, C + 1) from the cells (LSTM) or hidden units (RNN) + bias."""
    U = n_units(cfg)
    C = U if cfg.model == "rnn" else cfg.n_blocks * cfg.block_size
    r = cfg.init_range
    W = rng.uniform(-r, r, size=(U, 2 + U + 1))
    W_out = rng.uniform(-r, r, size=(1, C + 1))
    if cfg.model == "lstm":
        nb = cfg.n_blocks
        W[C:C + nb, -1] = cfg.in_gate_bias[:nb]            # input-gate biases
        if cfg.cell == "forget":
            W[C + 2 * nb:C + 3 * nb, -1] = cfg.forget_gate_bias
    return {"W": W, "W_out": W_out}


def n_weights(params):
    return int(sum(p.size for p in params.values()))


def forward(cfg, params, x, lengths, y_fixed=None):
    """Run the net over x (L, B, 2); read the output at each sequence's end.

    Sequences shorter than L are zero-padded; the state at t depends only on
    inputs up to t, so reading o at step L_b - 1 is exact for every length.
    y_fixed (L, B, U), if given, replaces y(t-1) inside z(t) (used to check
    the truncated gradient). Returns o (B,) and a cache for `backward`."""
    W, W_out = params["W"], params["W_out"]
    L, B, _ = x.shape
    U = W.shape[0]
    lstm = cfg.model == "lstm"
    nb, k = cfg.n_blocks, cfg.block_size
    C = nb * k if lstm else U
    forget = lstm and cfg.cell == "forget"
    W_rec = W[:, 2:2 + U].T                      # (U, U) from y(t-1)
    net_x = x @ W[:, :2].T + W[:, -1]            # (L, B, U) input + bias part of (1)
    Y = np.zeros((L, B, U))                      # hidden activations y(t)
    A = np.zeros((L, B, U))                      # f(net(t)) of every unit (LSTM)
    S = np.zeros((L, B, C))                      # cell states s(t) (LSTM)
    y = np.zeros((B, U))
    s = np.zeros((B, nb, k))
    for t in range(L):
        y_prev = y if y_fixed is None or t == 0 else y_fixed[t - 1]
        net = net_x[t] + y_prev @ W_rec          # (1)  (B, U)
        if not lstm:
            y = np.tanh(net)
            Y[t] = y
            continue
        a = sigmoid(net)                         # (2)  gates; cells use g = 4f - 2
        A[t] = a
        g = (4.0 * a[:, :C] - 2.0).reshape(B, nb, k)
        if forget:
            s = a[:, C + 2 * nb:, None] * s      # s(t-1) scaled by the forget gate
        s = s + a[:, C:C + nb, None] * g         # (3)  the CEC, s: (B, nb, k)
        S[t] = s.reshape(B, C)
        y = Y[t]                                 # view: y(t) = [y_c, gate activations]
        y[:] = a
        # (4)  y_c = y_out h(s), h = 2f - 1 = tanh(s / 2)
        y[:, :C] = (a[:, C + nb:C + 2 * nb, None] * np.tanh(0.5 * s)).reshape(B, C)
    cols = np.arange(B)
    y_end = np.concatenate([Y[lengths - 1, cols, :C], np.ones((B, 1))], axis=1)
    o = sigmoid(y_end @ W_out[0])                # (5)  (B,)
    return o, dict(x=x, Y=Y, S=S, A=A, y_end=y_end, lengths=lengths, C=C)


def backward(cfg, params, cache, o, d, full=None):
    """Gradient of sum_b E_b, E_b = 1/2 (o_b - d_b)^2.

    full=False: the 1997 truncated gradient. No error passes through W_rec,
    so the only path back in time is the CEC: ds(t) = ds(t+1) y_phi(t+1)
    (y_phi = 1 for the 1997 cell), one short loop; every net-input error then
    follows from ds(t) for all t at once. full=True: exact BPTT (one loop
    over t carrying the error into y(t-1) through W_rec). Default from cfg."""
    if full is None:
        full = cfg.gradient == "full" or cfg.model == "rnn"
    W, W_out = params["W"], params["W_out"]
    x, Y, S, A = cache["x"], cache["Y"], cache["S"], cache["A"]
    lengths, C = cache["lengths"], cache["C"]
    L, B, _ = x.shape
    U = W.shape[0]
    lstm = cfg.model == "lstm"
    nb, k = cfg.n_blocks, cfg.block_size
    forget = lstm and cfg.cell == "forget"
    cols = np.arange(B)
    # (6), (5): the output unit, only at each sequence's end t_b = L_b - 1
    dnet_o = (o - d) * o * (1.0 - o)              # (B,)
    dW_out = (dnet_o @ cache["y_end"])[None, :]
    dNet = np.zeros((L, B, U))                    # error at every net input
    W_rec = W[:, 2:2 + U]                         # (U, U): y(t-1) -> net(t)
    blk = lambda v: v.reshape(v.shape[:-1] + (nb, k)).sum(-1)       # sum over a block's cells
    rep = lambda v: np.repeat(v, k, axis=-1)                        # block value per cell
    if lstm:
        a_c, a_in, a_out = A[..., :C], A[..., C:C + nb], A[..., C + nb:C + 2 * nb]
        phi = rep(A[..., C + 2 * nb:]) if forget else None
        g, dg_dnet = 4.0 * a_c - 2.0, 4.0 * a_c * (1.0 - a_c)
    if not full:
        # truncated: the only error entering y(t) is the output's, at t_b.
        # Error at s(t_b) via (4), carried back through the CEC:
        # ds(t) = y_phi(t+1) ds(t+1) for t < t_b (and 0 after t_b).
        tb = lengths - 1
        dyc = dnet_o[:, None] * W_out[0, :C]                            # (B, C) at y_c(t_b)
        D = dyc * rep(a_out[tb, cols]) * 0.5 * (1.0 - np.tanh(0.5 * S[tb, cols]) ** 2)
        live = (np.arange(L)[:, None] <= tb)[..., None]                 # (L, B, 1) t <= t_b
        if not forget:                            # y_phi = 1: ds(t) = ds(t_b) for all t <= t_b
            DS = live * D
        else:
            DS = np.zeros((L, B, C))
            ds = np.zeros((B, C))
            for t in range(L - 1, -1, -1):
                ds = ds + (tb == t)[:, None] * D
                DS[t] = ds
                ds = ds * phi[t]
        dNet[..., :C] = DS * rep(a_in) * dg_dnet                        # via (3)
        dNet[..., C:C + nb] = blk(DS * g) * a_in * (1 - a_in)           # input gates
        ao = a_out[tb, cols]                                            # output gates, at t_b only
        dNet[tb, cols, C + nb:C + 2 * nb] = blk(dyc * np.tanh(0.5 * S[tb, cols])) * ao * (1 - ao)
        if forget:
            S_prev = np.concatenate([np.zeros((1, B, C)), S[:-1]])
            dNet[..., C + 2 * nb:] = blk(DS * S_prev) * A[..., C + 2 * nb:] * (1 - A[..., C + 2 * nb:])
    else:
        dy_end = np.zeros((L, B, U))              # error injected at y_c(t_b)
        dy_end[lengths - 1, cols, :C] = dnet_o[:, None] * W_out[0, :C]
        dy_rec = np.zeros((B, U))                 # error reaching y(t) from net(t+1)
        ds = np.zeros((B, C))
        if lstm:
            h = np.tanh(0.5 * S)                  # h(s) = 2 f(s) - 1
            S_prev = np.concatenate([np.zeros((1, B, C)), S[:-1]])
            dh_ds = 0.5 * (1.0 - h * h)
        for t in range(L - 1, -1, -1):
            dy = dy_end[t] + dy_rec
            if not lstm:
                dNet[t] = dy * (1.0 - Y[t] ** 2)  # tanh'
            else:
                ds = ds + dy[:, :C] * rep(a_out[t]) * dh_ds[t]
                dNet[t, :, :C] = ds * rep(a_in[t]) * dg_dnet[t]
                dNet[t, :, C:C + nb] = (blk(ds * g[t]) + dy[:, C:C + nb]) * a_in[t] * (1 - a_in[t])
                dNet[t, :, C + nb:C + 2 * nb] = ((blk(dy[:, :C] * h[t]) + dy[:, C + nb:C + 2 * nb])
                                                 * a_out[t] * (1 - a_out[t]))
                if forget:
                    a_phi = A[t, :, C + 2 * nb:]
                    dNet[t, :, C + 2 * nb:] = ((blk(ds * S_prev[t]) + dy[:, C + 2 * nb:])
                                               * a_phi * (1 - a_phi))
                if forget:
                    ds = ds * phi[t]
            dy_rec = dNet[t] @ W_rec              # through (1) into y(t-1)
    # dE/dW = sum_t sum_b dNet(t) z(t)^T with z(t) = [x(t), y(t-1), 1], by blocks
    flat = lambda v: v.reshape(-1, v.shape[-1])
    dW = np.concatenate([flat(dNet).T @ flat(x),
                         flat(dNet[1:]).T @ flat(Y[:-1]),
                         flat(dNet).sum(0)[:, None]], axis=1)
    return {"W": dW, "W_out": dW_out}


# ----------------------------------------------------------------------------
# Loss, metrics, optimiser
# ----------------------------------------------------------------------------
def errors(o, d):
    return np.abs(o - d)


class Optimizer:
    """Plain gradient descent (the paper's) or Adam, on the batch-summed gradient."""

    def __init__(self, cfg, params):
        self.cfg = cfg
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.n = 0

    def step(self, params, grads):
        cfg = self.cfg
        lr = cfg.lr
        if cfg.optimizer == "sgd":
            for k_ in params:
                params[k_] -= lr * grads[k_]               # w <- w - alpha dE/dw
            return
        b1, b2 = cfg.adam_betas
        self.n += 1
        for k_ in params:
            self.m[k_] = b1 * self.m[k_] + (1 - b1) * grads[k_]
            self.v[k_] = b2 * self.v[k_] + (1 - b2) * grads[k_] ** 2
            mh = self.m[k_] / (1 - b1 ** self.n)
            vh = self.v[k_] / (1 - b2 ** self.n)
            params[k_] -= lr * mh / (np.sqrt(vh) + cfg.adam_eps)


# ----------------------------------------------------------------------------
# Train and evaluate
# ----------------------------------------------------------------------------
def streams(seed):
    data, init, test = np.random.SeedSequence(seed).spawn(3)
    return (np.random.default_rng(data), np.random.default_rng(init),
            np.random.default_rng(test))


class Progress:
    """Fixed-format progress line, printed at most every `every` seconds."""

    def __init__(self, total, every=2.0, quiet=False):
        self.total, self.every, self.quiet = total, every, quiet
        self.t0 = time.time()
        self.last = -1e9

    def __call__(self, seen, mse, frac):
        now = time.time()
        if self.quiet or now - self.last < self.every:
            return
        self.last = now
        el = now - self.t0
        eta = el / max(seen, 1) * (self.total - seen)
        print(f"  seq {seen:>9,d}  train mse {mse:.5f}  correct {frac:6.1%}  "
              f"{el:6.1f}s  (budget ETA {eta:6.0f}s)", flush=True)


def train(cfg, quiet=True):
    """Train until the paper's stopping rule holds or the budget is spent.
    Returns (params, history)."""
    rng_data, rng_init, _ = streams(cfg.seed)
    params = init_params(cfg, rng_init)
    opt = Optimizer(cfg, params)
    B, W_ = cfg.batch_size, cfg.stop_window
    recent_err = np.full(W_, np.inf)              # |o - d| of the last W_ sequences
    n_fill = 0
    hist = {"seen": [], "mse": [], "frac_correct": [], "elapsed": []}
    snaps = []                                    # weights at every history point (for the GIF)
    prog = Progress(cfg.max_sequences, quiet=quiet)
    t0 = time.time()
    seen, solved, next_log = 0, False, cfg.log_every
    while seen < cfg.max_sequences:
        x, lengths, d, _, _ = make_batch(rng_data, cfg.T, B)
        o, cache = forward(cfg, params, x, lengths)
        err = errors(o, d)
        recent_err = np.roll(recent_err, -B)
        recent_err[-B:] = err
        n_fill = min(n_fill + B, W_)
        seen += B
        mse_w = float(np.mean(recent_err[-n_fill:] ** 2))
        frac_w = float(np.mean(recent_err[-n_fill:] < cfg.crit))
        if seen >= next_log:
            next_log += cfg.log_every
            hist["seen"].append(seen)
            hist["mse"].append(mse_w)
            hist["frac_correct"].append(frac_w)
            hist["elapsed"].append(time.time() - t0)
            snaps.append({k_: v.copy() for k_, v in params.items()})
            prog(seen, mse_w, frac_w)
        # the paper's stopping rule: last W_ sequences all correct, mse < 0.01
        if n_fill == W_ and frac_w == 1.0 and mse_w < cfg.stop_mse:
            solved = True
            break
        grads = backward(cfg, params, cache, o, d)
        opt.step(params, grads)
    hist["seen"].append(seen)
    hist["mse"].append(mse_w)
    hist["frac_correct"].append(frac_w)
    hist["elapsed"].append(time.time() - t0)
    snaps.append({k_: v.copy() for k_, v in params.items()})
    hist.update(solved=solved, sequences=seen, train_s=time.time() - t0, snapshots=snaps)
    return params, hist


def evaluate(cfg, params, n_test=None, rng=None, batch=512):
    """The paper's test: n_test fresh sequences, count |o - d| >= crit."""
    if rng is None:
        rng = streams(cfg.seed)[2]
    n_test = cfg.n_test if n_test is None else n_test
    os_, ds = [], []
    for i in range(0, n_test, batch):
        x, lengths, d, _, _ = make_batch(rng, cfg.T, min(batch, n_test - i))
        o, _ = forward(cfg, params, x, lengths)
        os_.append(o)
        ds.append(d)
    o, d = np.concatenate(os_), np.concatenate(ds)
    e = errors(o, d)
    return {"test_wrong": int(np.sum(e >= cfg.crit)), "n_test": int(n_test),
            "test_mse": float(np.mean(e ** 2)), "test_max_abs_err": float(e.max()),
            "o": o, "d": d}


# ----------------------------------------------------------------------------
# Run records, cache and CLI
# ----------------------------------------------------------------------------
PAPER = {
    "citation": "Hochreiter, S. & Schmidhuber, J. (1997). Long Short-Term Memory. "
                "Neural Computation 9(8), 1735-1780.",
    "year": 1997,
    "metrics": {"T100": {"sequences_to_criterion": 74000, "test_wrong_of_2560": 1},
                "T500": {"sequences_to_criterion": 209000, "test_wrong_of_2560": 0},
                "T1000": {"sequences_to_criterion": 853000, "test_wrong_of_2560": 1}},
    "source": "Section 5.4 (Experiment 4), Table 7: means of 10 trials; "
              "93 weights; test set of 2560 sequences.",
}


EARLIER = {
    "metrics": {"test_mse": 0.0007, "sequences": 256000, "wallclock_s": 64},
    "note": "T=100 only, different encoding (markers {0,1}, target X1+X2: its 0.04 criterion "
            "is 4x stricter and not comparable); forget-gate cell, Adam, batch 32; "
            "vanilla RNN stalls at MSE 0.07; T=500 and T=1000 not done.",
}
SGD_LR = 0.5                       # the paper's learning rate, default for --optimizer sgd


def run_one(cfg, quiet=False):
    t0 = time.time()
    params, hist = train(cfg, quiet=quiet)
    ev = evaluate(cfg, params)
    return params, hist, ev, time.time() - t0


def save_cache(cfg, params, hist, ev):
    os.makedirs(os.path.join(HERE, ".cache"), exist_ok=True)
    name = cache_name(cfg)
    arrs = {f"param_{k}": v for k, v in params.items()}
    for i, sn in enumerate(hist["snapshots"]):
        for k, v in sn.items():
            arrs[f"snap{i}_{k}"] = v
    np.savez(os.path.join(HERE, ".cache", name + ".npz"), **arrs)
    meta = {"config": dataclasses.asdict(cfg),
            "history": {k: v for k, v in hist.items() if k != "snapshots"},
            "eval": {k: v for k, v in ev.items() if k not in ("o", "d")}}
    with open(os.path.join(HERE, ".cache", name + ".json"), "w") as f:
        json.dump(meta, f)


def cache_name(cfg):
    return f"{cfg.model}_{cfg.cell}_{cfg.optimizer}_{cfg.gradient}_T{cfg.T}_seed{cfg.seed}"


def load_cache(cfg):
    """(params, hist, eval) of a saved run, or None."""
    base = os.path.join(HERE, ".cache", cache_name(cfg))
    if not (os.path.exists(base + ".npz") and os.path.exists(base + ".json")):
        return None
    with open(base + ".json") as f:
        meta = json.load(f)
    z = np.load(base + ".npz")
    params = {k[6:]: z[k] for k in z.files if k.startswith("param_")}
    hist = meta["history"]
    hist["snapshots"] = [{k: z[f"snap{i}_{k}"] for k in params}
                         for i in range(len(hist["seen"]))]
    return params, hist, meta["eval"]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad value gives one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"adding_problem.py: error: {message}\n")


def config_from_record(path):
    """Config of a run record (results.json or runs/*.json), for the visualisers."""
    with open(path) as f:
        rec = json.load(f)
    c = rec["config"]
    c["in_gate_bias"] = tuple(c["in_gate_bias"])
    c["adam_betas"] = tuple(c["adam_betas"])
    return Config(**c), rec


def load_or_train(cfg):
    """The saved run of cfg from .cache/, or train it once and save it."""
    got = load_cache(cfg)
    if got is None:
        params, hist, ev, _ = run_one(cfg, quiet=False)
        save_cache(cfg, params, hist, ev)
        got = load_cache(cfg)
    return got


def parse_args(argv):
    d = Config()
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=d.seed, help="root seed (streams: data, init, test)")
    p.add_argument("--n-seeds", type=int, default=1, help="run seeds seed..seed+K-1 and report the rate")
    p.add_argument("--T", type=int, default=d.T, help="minimal sequence length (paper: 100, 500, 1000)")
    p.add_argument("--model", default=d.model, help="lstm | rnn")
    p.add_argument("--cell", default=d.cell, help="1997 (no forget gate) | forget")
    p.add_argument("--gradient", default=d.gradient, help="truncated (paper) | full (BPTT)")
    p.add_argument("--optimizer", default=d.optimizer, help="sgd (paper) | adam")
    p.add_argument("--lr", type=float, default=None, help=f"learning rate (default {d.lr} for adam, {SGD_LR} for sgd)")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="sequences per update")
    p.add_argument("--max-sequences", type=int, default=d.max_sequences, help="training budget")
    p.add_argument("--quick", action="store_true", help="small T, small budget (a few seconds)")
    p.add_argument("--grad-check", action="store_true", help="check the backward pass and exit")
    p.add_argument("--results", default=None, help="write the run record (JSON) here")
    a = p.parse_args(argv)
    err = None
    if a.model not in ("lstm", "rnn"):
        err = f"unknown --model {a.model!r} (lstm | rnn)"
    elif a.cell not in ("1997", "forget"):
        err = f"unknown --cell {a.cell!r} (1997 | forget)"
    elif a.gradient not in ("truncated", "full"):
        err = f"unknown --gradient {a.gradient!r} (truncated | full)"
    elif a.optimizer not in ("sgd", "adam"):
        err = f"unknown --optimizer {a.optimizer!r} (sgd | adam)"
    elif a.T < 20:
        err = f"--T must be >= 20 (got {a.T})"
    elif a.n_seeds < 1 or a.batch_size < 1 or a.max_sequences < 1 or a.seed < 0:
        err = "--n-seeds, --batch-size and --max-sequences must be >= 1 and --seed >= 0"
    elif a.lr is not None and not a.lr > 0:
        err = f"--lr must be > 0 (got {a.lr})"
    elif a.results is not None and not os.path.isdir(os.path.dirname(os.path.abspath(a.results))):
        err = f"--results: directory of {a.results!r} does not exist"
    if err:
        p.exit(2, f"adding_problem.py: error: {err}\n")
    return a


def grad_check(cfg, eps=1e-4):
    """Max relative error, analytic vs central differences, per (cell, gradient).
    The truncated gradient is checked against the net with y(t-1) in z(t) held
    fixed (the function it is the exact gradient of)."""
    out = {}
    for model, cell, gradient in (("lstm", "1997", "truncated"), ("lstm", "1997", "full"),
                                  ("lstm", "forget", "truncated"), ("lstm", "forget", "full"),
                                  ("rnn", cfg.cell, "full")):
        c = dataclasses.replace(cfg, model=model, cell=cell, gradient=gradient, init_range=1.0)
        rng_data, rng_init, _ = streams(cfg.seed)
        p = init_params(c, rng_init)
        x, lengths, d, _, _ = make_batch(rng_data, 20, 4)
        o, cache = forward(c, p, x, lengths)
        g = backward(c, p, cache, o, d)
        y_fixed = cache["Y"].copy() if gradient == "truncated" else None
        loss = lambda: 0.5 * np.sum((forward(c, p, x, lengths, y_fixed)[0] - d) ** 2)
        worst = 0.0
        for k_, w in p.items():
            num = np.zeros_like(w)
            for i in np.ndindex(w.shape):
                old = w[i]
                w[i] = old + eps
                fp = loss()
                w[i] = old - eps
                fm = loss()
                w[i] = old
                num[i] = (fp - fm) / (2 * eps)
            # relative error with a floor of 1e-4 * max|grad| for near-zero entries
            floor = 1e-4 * np.abs(num).max()
            worst = max(worst, float(np.max(np.abs(g[k_] - num) /
                                            np.maximum(np.abs(g[k_]) + np.abs(num), floor))))
        out[f"{model}_{cell}_{gradient}" if model == "lstm" else "rnn"] = worst
    return out


def summarize(cfg, runs, wall):
    """Metrics, headline and table of a run record from the per-seed runs."""
    solved = [r for r in runs if r["solved"]]
    n = len(runs)
    mean = lambda k, rs: float(np.mean([r[k] for r in rs])) if rs else None
    m = {
        "T": cfg.T,
        "solve_rate": len(solved) / n, "n_seeds": n, "n_solved": len(solved),
        "sequences_to_criterion": mean("sequences", solved),
        "test_wrong_of_2560": mean("test_wrong", runs),
        "test_mse": mean("test_mse", runs),
        "max_test_wrong_of_2560": int(max(r["test_wrong"] for r in runs)),
        "train_s_per_seed": mean("train_s", runs),
        "n_weights": runs[0]["n_weights"],
        "per_seed": runs,
    }
    m[f"T{cfg.T}"] = {k: m[k] for k in ("sequences_to_criterion", "test_wrong_of_2560", "test_mse")}
    pk = f"T{cfg.T}"
    pm = PAPER["metrics"].get(pk) if cfg.model == "lstm" else None
    ours = m["sequences_to_criterion"]
    label = (f"vanilla RNN ({m['n_weights']} weights)" if cfg.model == "rnn" else
             f"LSTM {cfg.cell} cell, {cfg.optimizer}, {cfg.gradient} gradient")
    if cfg.model == "rnn":
        # the baseline "reproduces" the paper's claim when it fails the criterion
        rep = "yes" if len(solved) == 0 else "no"
        rule = "yes if no seed meets the stopping rule within the budget"
        summary = (f"vanilla RNN, T={cfg.T}: {len(solved)}/{n} seeds meet the criterion within "
                   f"{cfg.max_sequences:,} sequences; test wrong {m['test_wrong_of_2560']:.0f}/2560")
    else:
        paper_seq = pm["sequences_to_criterion"] if pm else None
        if len(solved) == n and paper_seq and ours <= paper_seq and m["max_test_wrong_of_2560"] <= 3:
            rep = "yes"
        elif len(solved) >= 0.5 * n:
            rep = "partial"
        else:
            rep = "no"
        rule = ("yes if every seed meets the stopping rule, the mean sequence count is at most "
                "the paper's, and no seed has more than 3/2560 test errors (paper: never more "
                "than 3); partial if at least half the seeds meet the stopping rule")
        seq_txt = f"{ours:,.0f}" if ours is not None else "n/a"
        summary = (f"T={cfg.T}: {len(solved)}/{n} seeds meet the stopping rule after {seq_txt} "
                   f"sequences on average (paper {paper_seq:,}); {m['test_wrong_of_2560']:.1f}/2560 "
                   f"test sequences wrong (paper {pm['test_wrong_of_2560']})" if pm else
                   f"T={cfg.T}: {len(solved)}/{n} seeds solve after {seq_txt} sequences")
    fmt = lambda v: "n/a" if v is None else f"{v:,.0f}"
    rows = [[f"T={cfg.T}, {label}: seeds meeting the stopping rule", f"{len(solved)}/{n}",
             "10/10" if pm else "-"],
            ["training sequences to criterion (mean over solved seeds)", fmt(ours),
             fmt(pm["sequences_to_criterion"]) if pm else "-"],
            ["wrong test sequences of 2560 (mean; max)",
             f"{m['test_wrong_of_2560']:.1f}; {m['max_test_wrong_of_2560']}",
             f"{pm['test_wrong_of_2560']}; <= 3" if pm else "-"],
            ["test MSE (mean)", f"{m['test_mse']:.2e}", "< 0.01" if pm else "-"],
            ["weights", str(m["n_weights"]), "93" if pm else "-"],
            ["wallclock (s, all seeds, shared 2-core machine)", f"{wall:.1f}", "-"]]
    # when no seed met the stopping rule there is no sequence count: headline the rate
    hm = "sequences_to_criterion" if ours is not None else "solve_rate"
    headline = {"metric": hm, "ours": m[hm],
                "paper": (pm["sequences_to_criterion"] if hm == "sequences_to_criterion" else 1.0)
                if pm else None,
                "earlier": None, "reproduces": rep, "rule": rule, "summary": summary}
    return m, headline, {"columns": ["setting", "ours", "paper (Table 7)"], "rows": rows}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    cfg = Config(seed=a.seed, T=a.T, model=a.model, cell=a.cell, gradient=a.gradient,
                 optimizer=a.optimizer, batch_size=a.batch_size, max_sequences=a.max_sequences)
    if a.lr is not None:
        cfg.lr = a.lr
    elif cfg.optimizer == "sgd":
        cfg.lr = SGD_LR
    if a.quick:
        cfg = dataclasses.replace(cfg, **{k: v for k, v in QUICK.items()
                                          if k != "max_sequences" or "--max-sequences" not in argv})
    print("config:", json.dumps(dataclasses.asdict(cfg)))
    if a.grad_check:
        res = grad_check(cfg)
        for k_, v in res.items():
            print(f"  {k_:28s} max relative error {v:.2e}  {'ok' if v < 1e-5 else 'FAIL'}")
        return 0 if max(res.values()) < 1e-5 else 1
    t0 = time.time()
    runs = []
    for seed in range(a.seed, a.seed + a.n_seeds):
        c = dataclasses.replace(cfg, seed=seed)
        params, hist, ev, wall = run_one(c, quiet=False)
        save_cache(c, params, hist, ev)
        runs.append({"seed": seed, "solved": hist["solved"], "sequences": hist["sequences"],
                     "test_wrong": ev["test_wrong"], "test_mse": ev["test_mse"],
                     "test_max_abs_err": ev["test_max_abs_err"], "train_s": hist["train_s"],
                     "n_weights": n_weights(params)})
        print(f"seed {seed}: {'solved' if hist['solved'] else 'NOT solved'} after "
              f"{hist['sequences']:,} sequences; test {ev['test_wrong']}/{ev['n_test']} wrong, "
              f"mse {ev['test_mse']:.2e}; {wall:.1f}s", flush=True)
    wall = time.time() - t0
    metrics, headline, table = summarize(cfg, runs, wall)
    print(headline["summary"] + f"  [{wall:.1f}s]")
    if a.results:
        rec = {"slug": SLUG,
               "command": "python3 adding-problem/adding_problem.py " + " ".join(argv),
               "seed": a.seed, "config": dataclasses.asdict(cfg), "metrics": metrics,
               "paper": PAPER, "earlier_repro": EARLIER, "headline": headline, "table": table,
               "tolerance": {"rel": 1e-6}, "wallclock_s": round(wall, 2),
               "env": {"python": platform.python_version(), "numpy": np.__version__,
                       "platform": platform.platform()}}
        with open(a.results, "w") as f:
            json.dump(rec, f, indent=1)
        print("wrote", a.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
