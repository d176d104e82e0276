"""Noise-free and noisy sequences with long time lags: LSTM Experiment 2
(Hochreiter & Schmidhuber 1997, section 5.2, tasks 2a, 2b, 2c).

Hochreiter, S. & Schmidhuber, J. (1997). Long Short-Term Memory.
Neural Computation 9(8), 1735-1780. Section 5.2, Tables 3 and 4.

Task 2a (--task a). p + 1 symbols a_1 .. a_{p-1}, x, y, each a one-hot input
vector. Training sequences are one of two, with probability 1/2 each:
(y, a_1, ..., a_{p-1}, y) and (x, a_1, ..., a_{p-1}, x). The net sees one
symbol per step and predicts the next one at every step (p + 1 logistic
outputs, target = the next symbol's one-hot code). To predict the last symbol
it must hold the first one for p steps. Success: the maximal absolute error of
every output unit at every step stays below 0.25 on 10,000 random sequences.
Task 2b (--task b): the middle a_{i_1} .. a_{i_{p-1}} is drawn uniformly from
{a_1 .. a_{p-1}} (no local regularities); success is judged at the sequence end.
Task 2c (--task c): p + 4 symbols (distractors a_1 .. a_p, trigger e, start b,
x, y). A sequence is (b, X, q distractors, then one more distractor with
probability 9/10 or the trigger e with probability 1/10, repeated), X in {x, y};
after e the net must output X (2 logistic outputs, targets (1,0) for x and
(0,1) for y); error only there. Minimal lag q + 1. Success: both outputs' error
below 0.2 on 10,000 random sequences.

Nets (section 5.2; no bias weights anywhere, all weights ~ U[-0.2, 0.2]).
2a/2b, LSTM (10504 weights at p = 100): one memory cell c with one input gate,
no output gate, both read the inputs only; g = f (logistic, [0, 1]) and h is
the identity; the p + 1 outputs read the inputs and the cell. With one-hot
x(t) = e_{k(t)} (k(t) the symbol index) and z(t) = [x(t), y_c(t)]:

  (1) net_c(t) = w_c[k(t)],  net_in(t) = w_in[k(t)],  y_in(t) = f(net_in(t))
  (3) s_c(t) = s_c(t-1) + y_in(t) g(net_c(t)),  s_c(-1) = 0          the CEC
  (4) y_c(t) = h(s_c(t)) = s_c(t)
  (5) o(t) = f(W_o z(t))            prediction of symbol k(t+1)
  (6) E = 1/2 sum_t sum_i (o_i(t) - d_i(t))^2

The cell and gate have no recurrent inputs, so the paper's truncation cuts
nothing here: the truncated gradient equals the exact gradient, with the error
reaching s_c(t) summed backwards through the CEC, ds(t) = sum_{t' >= t} dE/dy_c(t').
2a/2b baseline (--model bptt; 10404 weights): the paper's RTRL/BPTT net, one
self-recurrent logistic hidden unit u(t) = f(w_u[k(t)] + w_uu u(t-1)) in place
of the cell, exact gradient by backpropagation through time.
2c, LSTM (6064 weights at p = 1000): two memory blocks of one cell each, with
input and output gates; the 6 hidden units read the inputs and all 6 hidden
activations of the previous step; the 2 outputs read the cells only; g in
[-2, 2], h in [-1, 1] (the adding-problem cell):

  (1') net(t) = W [x(t), y(t-1)]   (3') s_v(t) = s_v(t-1) + y_in_v(t) g(net_v(t))
  (4') y_v(t) = y_out_v(t) h(s_v(t))   (5') o = f(W_o y_c(t_e)),  t_e = the step of e

with the 1997 truncated gradient (error at a unit's net input is not sent back
through y(t-1); it flows back in time only through the CEC).

Learning: (7) w <- w - lr dE/dw after every sequence (online; lr 1.0 for 2a/2b,
0.01 for 2c). Runs seed .. seed + n_seeds - 1 train side by side on a leading
run axis, each updating only its own weights from its own sequences. Counting:
after each training sequence, a run whose last `trigger` training sequences all
met the criterion is tested on n_test fresh sequences with frozen weights;
"success after" is the number of training sequences when it first passes.

Deviations (README): the cell is present from the start (the paper adds the
cell "once the error has stopped decreasing"); units of one layer read the
same step's activations of the layer below (same-step timing); the test is
triggered by a run of correct training sequences; no chunker baseline; BPTT
baselines on a smaller budget than the paper's 5 million sequences.

  python3 noise-free-long-lag/noise_free_long_lag.py --results noise-free-long-lag/results.json
  python3 noise-free-long-lag/noise_free_long_lag.py --task c --n-seeds 20
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "noise-free-long-lag"


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000              # first seed; runs seed .. seed+n_seeds-1 train side by side
    n_seeds: int = 18              # independent runs (paper: 18 trials for 2b, 20 for 2c; 2a unstated)
    quick: bool = False            # reduced run for tests and smoke runs (task a, p=10, a few seconds)
    task: str = "a"                # a (noise-free, fixed middle) | b (random middle) | c (very long lags)
    model: str = "lstm"            # lstm | bptt (the paper's RTRL/BPTT net: one self-recurrent unit; a, b only)
    p: int = 100                   # 2a/2b: delay p (paper 100); 2c: number of distractor symbols (paper 1000)
    q: int = 1000                  # 2c only: q + 1 is the minimal time lag (paper 1000)
    grow: str = "paper"            # LSTM 2a/2b: paper (add the cell once the error stops decreasing) | start
    grow_window: int = 100         # growth test: mean error of the last window vs the window before (paper: unstated)
    grow_tol: float = 0.01         # ... the cell is added when the error fell by less than this fraction
    lr: float = 0.0                # learning rate; 0 = the paper's (1.0 for 2a/2b, 0.01 for 2c)
    init_range: float = 0.2        # all weights ~ U[-r, r] (paper: 0.2); no biases (paper)
    crit: float = 0.0              # success: every judged |error| < crit; 0 = the paper's (0.25 a/b, 0.2 c)
    n_test: int = 10000            # fresh test sequences a run must pass (paper: 10,000)
    trigger: int = 0               # test after this many correct training sequences in a row; 0 = 1 (a), 10 (b), 100 (c)
    max_sequences: int = 10_000    # training budget per run in sequences (paper: 5 million for the baselines)
    log_every: int = 0             # history and weight snapshot every this many sequences; 0 = budget / 50
    dev_seeds: tuple = (0, 10000)          # development block [first, end): every tuning choice
    report_seeds: tuple = (10000, 10100)   # reporting block [first, end): headline and rates only
    verdict_metric: str = "sequences_to_success_a"  # Table 3: mean training sequences to success, 2a, p=100
    verdict_sense: str = "match"   # either side of the paper's mean counts as a miss
    verdict_tol: float = 0.3       # yes: within 30% of the paper's mean, over >= 18 successful runs
    verdict_partial: float = 1.0   # partial: within 100%
    PRESETS: ClassVar[dict] = {
        "quick": dict(task="a", p=10, n_seeds=2, max_sequences=3000),
    }

    def __post_init__(self):
        for name, ok in (("task", ("a", "b", "c")), ("model", ("lstm", "bptt")),
                         ("grow", ("paper", "start"))):
            if getattr(self, name) not in ok:
                raise ValueError(f"unknown --{name} {getattr(self, name)!r} ({' | '.join(ok)})")
        if self.model == "bptt" and self.task == "c":
            raise ValueError("--model bptt is the 2a/2b baseline; task c is LSTM only")
        if self.p < 3 or self.q < 1:
            raise ValueError(f"--p must be >= 3 and --q >= 1 (got p={self.p}, q={self.q})")
        for name in ("n_test", "max_sequences"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(self, name)})")
        for name in ("lr", "crit", "trigger", "log_every", "init_range"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 0 (got {getattr(self, name)})")
        c = self.task == "c"
        self.lr = self.lr or (0.01 if c else 1.0)
        self.crit = self.crit or (0.2 if c else 0.25)
        self.trigger = self.trigger or {"a": 1, "b": 10, "c": 100}[self.task]
        self.log_every = self.log_every or max(1, self.max_sequences // 50)
        if self.verdict_metric.startswith(("sequences_to_success", "bptt_success_rate")):
            self.verdict_metric = paper_key(self)


def paper_key(cfg) -> str:
    """The PAPER metric this configuration is compared with (a (q, p) the paper did not run
    is compared with the task's headline setting: p = 100 for a/b, q = p = 1000 for c)."""
    if cfg.model == "bptt":
        return f"bptt_success_rate_{cfg.task}"
    if cfg.task == "c":
        key = f"sequences_to_success_c_q{cfg.q}_p{cfg.p}"
        return key if key in PAPER["metrics"] else "sequences_to_success_c_q1000_p1000"
    return f"sequences_to_success_{cfg.task}"


PAPER = {
    "citation": "Hochreiter, S. & Schmidhuber, J. (1997). Long Short-Term Memory. "
                "Neural Computation 9(8), 1735-1780.",
    "year": 1997,
    "metrics": {"sequences_to_success_a": 5040, "success_rate_a": 1.0, "weights_a": 10504,
                "lr_a": 1.0, "bptt_success_rate_a": 0.0, "bptt_success_rate_b": 0.0, "bptt_budget": 5_000_000,
                "bptt_weights_a": 10404, "chunker_success_rate_a": 0.33,
                "chunker_sequences_a": 32400,
                "sequences_to_success_b": 5680, "success_rate_b": 1.0,
                "sequences_to_success_c_q50_p50": 30000, "sequences_to_success_c_q100_p100": 31000,
                "sequences_to_success_c_q200_p200": 33000, "sequences_to_success_c_q500_p500": 38000,
                "sequences_to_success_c_q1000_p1000": 49000,
                "sequences_to_success_c_q1000_p500": 49000,
                "sequences_to_success_c_q1000_p200": 75000,
                "sequences_to_success_c_q1000_p100": 135000,
                "sequences_to_success_c_q1000_p50": 203000, "weights_c_p1000": 6064},
    "runs": 18,
    "source": "Section 5.2 (Experiment 2). Table 3 (task 2a, p=100): LSTM lr 1.0, 10504 weights, "
              "100% successful trials, success after 5,040 sequences; RTRL and BPTT (10404 "
              "weights, lr 1.0-10.0) 0% within 5,000,000 sequences; chunker 33% at 32,400. "
              "Task 2b text: LSTM always successful, mean of 18 trials 5,680 sequences (p=100). "
              "Table 4 (task 2c, 20 trials per (q, p)): mean sequences to success. 2a's trial "
              "count is not stated; runs = 18 follows 2b.",
}
EARLIER = {
    "metrics": {"success_rate_a": 0.6},
    "note": "task 2a only, at p = 50: 6/10 seeds; forget gate, Adam, 16 cells, loss x100; "
            "2b and 2c not done.",
}


# ----------------------------------------------------------------------------
# Data: symbol indices (one-hot inputs are never built; a weight column is looked up)
# ----------------------------------------------------------------------------
def n_symbols(task, p):
    """Input units: p + 1 (a_1..a_{p-1}, x, y) for 2a/2b; p + 4 (a_1..a_p, e, b, x, y) for 2c."""
    return p + 4 if task == "c" else p + 1


def make_ab(rng, task, p, B):
    """B sequences of 2a/2b, (B, p + 1) symbol indices: a_i -> i - 1, x -> p - 1, y -> p."""
    first = rng.integers(0, 2, size=B) + (p - 1)               # x or y
    if task == "a":
        mid = np.broadcast_to(np.arange(p - 1), (B, p - 1))    # a_1 .. a_{p-1}
    else:
        mid = rng.integers(0, p - 1, size=(B, p - 1))           # random a_i
    return np.concatenate([first[:, None], mid, first[:, None]], axis=1)


def make_c(rng, p, q, B):
    """B sequences of 2c as padded indices (B, Lmax) with lengths (B,) and class (B,)
    (0: x, 1: y). Symbols: a_i -> i - 1, e -> p, b -> p + 1, x -> p + 2, y -> p + 3.
    The input ends with e (the target X is not an input)."""
    k = rng.geometric(0.1, size=B) - 1                         # extra distractors: P(k) = 0.1 * 0.9^k
    lengths = q + k + 3                                        # b, X, q + k distractors, e
    Lmax = int(lengths.max())
    cls = rng.integers(0, 2, size=B)
    seq = rng.integers(0, p, size=(B, Lmax))
    seq[:, 0], seq[:, 1] = p + 1, p + 2 + cls
    seq[np.arange(B), lengths - 1] = p
    return seq, lengths, cls


# ----------------------------------------------------------------------------
# Model 2a/2b: one memory cell (input gate, no output gate) or one recurrent unit
# ----------------------------------------------------------------------------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def init_ab(rngs, n, model, r):
    """Per run: W_o (n, n + 1) rows = outputs, columns = [inputs, cell or hidden unit];
    w_c, w_in (n,) for LSTM; w_u (n,), w_uu (1,) for the recurrent unit. Stacked (R, ...)."""
    out = []
    for rng in rngs:
        P = {"W_o": rng.uniform(-r, r, size=(n, n + 1))}
        if model == "lstm":
            P["w_c"], P["w_in"] = rng.uniform(-r, r, size=n), rng.uniform(-r, r, size=n)
        else:
            P["w_u"], P["w_uu"] = rng.uniform(-r, r, size=n), rng.uniform(-r, r, size=1)
        out.append(P)
    return {k: np.stack([P[k] for P in out]) for k in out[0]}


def hidden_ab(params, seq):
    """The hidden unit over the inputs seq[:, :, :-1] of (R, B, p + 1) sequences:
    y (R, B, L) with L = p steps, and what the backward pass needs."""
    R = seq.shape[0]
    ri = np.arange(R)[:, None, None]
    k = seq[..., :-1]                                          # (R, B, L) input symbols
    if "w_c" in params:
        g = sigmoid(params["w_c"][ri, k])                      # (1) g = f
        y_in = sigmoid(params["w_in"][ri, k])                  # (1) input gate
        s = np.cumsum(y_in * g, axis=-1)                       # (3) CEC; (4) y_c = s
        return s, dict(g=g, y_in=y_in)
    a = params["w_u"][ri, k]                                   # (R, B, L) input part of net_u
    u, y = np.zeros(a.shape[:2]), np.empty(a.shape)
    for t in range(a.shape[-1]):
        u = y[..., t] = sigmoid(a[..., t] + params["w_uu"] * u)
    return y, {}


def forward_ab(params, seq, steps=None):
    """Outputs o (R, B, L', n) at the steps `steps` (default all L = p steps)."""
    R = seq.shape[0]
    ri = np.arange(R)[:, None, None]
    y, cache = hidden_ab(params, seq)
    k = seq[..., :-1]
    if steps is not None:
        y, k = y[..., steps], k[..., steps]
    W_o = params["W_o"]                                        # (R, n, n + 1)
    net = np.swapaxes(W_o[..., :-1], 1, 2)[ri, k] + y[..., None] * W_o[:, None, None, :, -1]
    cache.update(y=y, k=k)
    return sigmoid(net), cache                                 # (5)


def targets_ab(seq, n):
    """d (R, B, L, n): the one-hot code of the next symbol."""
    return (seq[..., 1:, None] == np.arange(n)).astype(float)


def backward_ab(params, seq, o, cache):
    """Gradient of E (6) summed over each run's batch: dict like params, (R, ...)."""
    R, B, L, n = o.shape
    ri = np.arange(R)[:, None, None]
    d = targets_ab(seq, n)
    dnet = (o - d) * o * (1.0 - o)                             # (R, B, L, n) at the outputs
    y, k = cache["y"], cache["k"]
    gW = np.zeros((R, n + 1, n))                               # transposed W_o gradient
    gW[:, :n] = scatter_by_symbol(k, dnet, n, 0)               # input columns: one per symbol
    gW[:, -1] = np.einsum("rbtn,rbt->rn", dnet, y)
    grads = {"W_o": np.swapaxes(gW, 1, 2)}
    dy = dnet @ params["W_o"][:, :, -1][:, None, :, None]      # (R, B, L, 1) error at y(t)
    dy = dy[..., 0]
    if "w_c" in params:
        ds = np.cumsum(dy[..., ::-1], axis=-1)[..., ::-1]      # back through the CEC (3)
        g, y_in = cache["g"], cache["y_in"]
        dnets = {"w_c": ds * y_in * g * (1 - g), "w_in": ds * g * y_in * (1 - y_in)}
    else:
        du = np.zeros((R, B))
        dnet_u = np.empty_like(dy)
        for t in range(L - 1, -1, -1):                         # BPTT through w_uu
            du = (dy[..., t] + du) * y[..., t] * (1 - y[..., t])
            dnet_u[..., t] = du
            du = du * params["w_uu"]
        grads["w_uu"] = np.einsum("rbt,rbt->r", dnet_u[..., 1:], y[..., :-1])[:, None]
        dnets = {"w_u": dnet_u}
    for name, dn in dnets.items():
        grads[name] = scatter_by_symbol(k, dn[..., None], n, 0)[..., 0]
    return grads


# ----------------------------------------------------------------------------
# Model 2c: two blocks of one cell, input and output gates, fully recurrent hidden layer
# ----------------------------------------------------------------------------
N_CELLS = 2                                    # 2c: two blocks of size 1 (paper)


def init_c(rngs, n, r):
    """Per run: W (U, n + U) hidden units [cells, input gates, output gates] x [inputs, y(t-1)];
    W_o (2, C) from the cells. No biases (paper)."""
    U = 3 * N_CELLS
    return {"W": np.stack([rng.uniform(-r, r, size=(U, n + U)) for rng in rngs]),
            "W_o": np.stack([rng.uniform(-r, r, size=(2, N_CELLS)) for rng in rngs])}


def forward_c(params, seq, lengths):
    """R runs x B sequences, seq (R, B, L) indices, lengths (R, B). Returns the outputs at
    t_e = length - 1, o (R, B, 2), and the cache (activations (L, R, B, U), states (L, R, B, C))."""
    W, W_o = params["W"], params["W_o"]
    R, U, n_all = W.shape
    n, C = n_all - U, N_CELLS
    L = int(lengths.max())
    ri = np.arange(R)[:, None, None]
    W_rec = np.swapaxes(W[..., n:], 1, 2)                      # (R, U, U): y(t-1) -> net(t)
    Xn = np.moveaxis(np.swapaxes(W[..., :n], 1, 2)[ri, seq[..., :L]], 2, 0)  # (L, R, B, U) input part of (1')
    A = np.empty(Xn.shape)                                     # f(net(t)) of every hidden unit
    S = np.empty(A.shape[:-1] + (C,))                          # cell states
    Y = np.empty_like(A)                                       # y(t) = [y_c, gates]
    y, s = np.zeros(A.shape[1:]), np.zeros(S.shape[1:])
    for t in range(L):
        a = A[t] = sigmoid(Xn[t] + y @ W_rec)                  # (1') (2)  (R, B, U)
        s = S[t] = s + a[..., C:2 * C] * (4.0 * a[..., :C] - 2.0)   # (3') g = 4f - 2
        y = Y[t]
        y[..., C:] = a[..., C:]
        y[..., :C] = a[..., 2 * C:] * np.tanh(0.5 * s)         # (4') h = 2f - 1
    te = lengths - 1
    bi = np.arange(seq.shape[1])[None, :]
    yc = Y[te, ri[..., 0], bi, :C]                             # (R, B, C)
    o = sigmoid(np.einsum("rbc,rkc->rbk", yc, W_o))            # (5')
    return o, dict(A=A, S=S, Y=Y, te=te, yc=yc)


def backward_c(params, seq, o, d, cache):
    """1997 truncated gradient of E = 1/2 sum (o - d)^2 at t_e: error reaches the cells only
    at t_e and flows back in time only through the CEC (ds(t) = ds(t_e) for t <= t_e)."""
    W, W_o = params["W"], params["W_o"]
    A, S, Y, te = cache["A"], cache["S"], cache["Y"], cache["te"]
    L, R, B, U = A.shape
    n, C = W.shape[2] - U, N_CELLS
    ri, bi = np.arange(R)[:, None], np.arange(B)[None, :]
    dnet_o = (o - d) * o * (1.0 - o)                           # (R, B, 2)
    gW_o = np.einsum("rbk,rbc->rkc", dnet_o, cache["yc"])
    dyc = np.einsum("rbk,rkc->rbc", dnet_o, W_o)               # error at y_c(t_e)
    a_e, h_e = A[te, ri, bi], np.tanh(0.5 * S[te, ri, bi])
    D = dyc * a_e[..., 2 * C:] * 0.5 * (1.0 - h_e ** 2)        # ds(t_e) via (4')
    live = (np.arange(L)[:, None, None] <= te)[..., None]      # (L, R, B, 1) steps t <= t_e
    a_c, a_in = A[..., :C], A[..., C:2 * C]
    dNet = np.zeros_like(A)
    dNet[..., :C] = live * D * a_in * 4.0 * a_c * (1.0 - a_c)             # cells, via (3')
    dNet[..., C:2 * C] = live * D * (4.0 * a_c - 2.0) * a_in * (1.0 - a_in)  # input gates
    dNet[te, ri, bi, 2 * C:] = dyc * h_e * a_e[..., 2 * C:] * (1.0 - a_e[..., 2 * C:])
    gW = np.zeros((R, U, n + U))
    gW[..., :n] = scatter_by_symbol(np.moveaxis(seq[..., :L], -1, 0), dNet, n, 1).swapaxes(1, 2)
    gW[..., n:] = np.einsum("trbu,trbv->ruv", dNet[1:], Y[:-1])
    return {"W": gW, "W_o": gW_o}


def scatter_by_symbol(k, v, n, run_axis):
    """Per run r: out[r, j] = sum of v[..., :] over the positions where k == j; k holds the
    symbol indices (one-hot inputs) with the run axis at run_axis, v = k.shape + (U,).
    Returns (R, n, U): the gradient of the input-weight columns, one column per symbol."""
    R, U = k.shape[run_axis], v.shape[-1]
    r = np.arange(R).reshape([-1 if i == run_axis else 1 for i in range(k.ndim)])
    flat, vv = (r * n + k).ravel(), v.reshape(-1, U)
    return np.stack([np.bincount(flat, weights=vv[:, u], minlength=R * n) for u in range(U)],
                    axis=-1).reshape(R, n, U)


def n_weights(params):
    """Weights of one run."""
    return int(sum(v[0].size for v in params.values()))


# ----------------------------------------------------------------------------
# One task interface: draw, forward, judge, gradient
# ----------------------------------------------------------------------------
def draw(cfg, rng, B):
    """B training/test sequences of one run: (seq, lengths, cls) (lengths/cls None for a/b)."""
    if cfg.task == "c":
        return make_c(rng, cfg.p, cfg.q, B)
    return make_ab(rng, cfg.task, cfg.p, B), None, None


def stack(batches):
    """Per-run batches -> seq (R, B, L) padded with symbol 0, lengths (R, B), cls (R, B)."""
    L = max(b[0].shape[1] for b in batches)
    seq = np.zeros((len(batches), batches[0][0].shape[0], L), dtype=int)
    for r, b in enumerate(batches):
        seq[r, :, :b[0].shape[1]] = b[0]
    if batches[0][1] is None:
        return seq, None, None
    return seq, np.stack([b[1] for b in batches]), np.stack([b[2] for b in batches])


def judged_error(cfg, params, seq, lengths, cls):
    """|error| the success criterion looks at, max over units (and steps for 2a): (R, B);
    plus the forward pass and targets for the gradient."""
    if cfg.task == "c":
        o, cache = forward_c(params, seq, lengths)
        d = np.stack([cls == 0, cls == 1], axis=-1).astype(float)   # (R, B, 2): x -> (1,0), y -> (0,1)
        return np.abs(o - d).max(-1), (o, d, cache), 0.5 * ((o - d) ** 2).sum(-1)
    o, cache = forward_ab(params, seq)
    err = np.abs(o - targets_ab(seq, o.shape[-1]))               # (R, B, L, n)
    e = err.max(-1).max(-1) if cfg.task == "a" else err[..., -1, :].max(-1)
    return e, (o, None, cache), 0.5 * (err ** 2).sum((-1, -2))


def gradient(params, seq, fw):
    o, d, cache = fw
    if d is None:
        return backward_ab(params, seq, o, cache)
    return backward_c(params, seq, o, d, cache)


def model_params(cfg, rngs):
    n = n_symbols(cfg.task, cfg.p)
    if cfg.task == "c":
        return init_c(rngs, n, cfg.init_range)
    return init_ab(rngs, n, cfg.model, cfg.init_range)


def test_errors(cfg, params1, rng, n_test, chunk=1000):
    """Judged |error| of one run (params with R = 1) on n_test fresh sequences, (n_test,).
    2a has only two distinct sequences: n_test random draws are both of them (except
    with probability 2^-(n_test-1)), so both are tested exactly, once each."""
    if cfg.task == "a":
        p = cfg.p
        seq = np.stack([np.r_[f, np.arange(p - 1), f] for f in (p - 1, p)])[None]  # (1, 2, p + 1)
        return judged_error(cfg, params1, seq, None, None)[0][0]
    out = []
    for i in range(0, n_test, chunk):
        seq, lengths, cls = stack([draw(cfg, rng, min(chunk, n_test - i))])
        if cfg.task == "b":
            o, _ = forward_ab(params1, seq, steps=[-1])
            out.append(np.abs(o - targets_ab(seq, o.shape[-1])[..., -1:, :]).max(-1)[0, :, 0])
        else:
            out.append(judged_error(cfg, params1, seq, lengths, cls)[0][0])
    return np.concatenate(out)


# ----------------------------------------------------------------------------
# Train and evaluate
# ----------------------------------------------------------------------------
STREAMS = ("data", "init", "test", "eval")     # spawn order of each seed's generators


class Growth:
    """The paper's rule for the 2a/2b LSTM: the cell and its input gate are added once the
    training error has stopped decreasing (mean E of the latest grow_window sequences fell by
    less than grow_tol against the window before). Until then the cell's output weights are
    held at 0 (their initial values are kept for the moment of growth) and do not learn."""

    def __init__(self, cfg, params):
        R = params["W_o"].shape[0]
        self.on = cfg.task != "c" and cfg.model == "lstm" and cfg.grow == "paper"
        self.grown, self.at = np.full(R, not self.on), np.zeros(R, int)
        self.win, self.tol = cfg.grow_window, cfg.grow_tol
        self.sum, self.n, self.prev = np.zeros(R), np.zeros(R, int), np.full(R, np.inf)
        if self.on:
            self.w_oc0 = params["W_o"][..., -1].copy()
            params["W_o"][..., -1] = 0.0

    def mask(self, grads, idx):
        """No learning in the cell, its gate and its output weights before growth."""
        j = ~self.grown[idx]
        if self.on and j.any():
            grads["W_o"][j, :, -1] = 0.0
            grads["w_c"][j], grads["w_in"][j] = 0.0, 0.0

    def update(self, params, idx, E, seen):
        if not self.on:
            return
        self.sum[idx] += E
        self.n[idx] += 1
        for r in idx[self.n[idx] == self.win]:
            m = self.sum[r] / self.win
            if not self.grown[r] and m >= (1.0 - self.tol) * self.prev[r]:
                self.grown[r], self.at[r] = True, seen
                params["W_o"][r, :, -1] = self.w_oc0[r]
            self.prev[r], self.sum[r], self.n[r] = m, 0.0, 0


def take(params, idx):
    return {k: v[idx] for k, v in params.items()}


def train(cfg: Config, log=None):
    """Online training of runs seed .. seed+n_seeds-1 side by side, one sequence per run
    per update, until each passes the success test or the budget is spent.
    Returns (params (R, ...), history)."""
    streams = [seed_streams(s, STREAMS) for s in range(cfg.seed, cfg.seed + cfg.n_seeds)]
    R = cfg.n_seeds
    params = model_params(cfg, [st["init"] for st in streams])
    grow = Growth(cfg, params)
    active, success_at = np.ones(R, bool), np.zeros(R, int)
    streak, n_tests = np.zeros(R, int), np.zeros(R, int)
    err_sum, ok_sum, n_log = np.zeros(R), np.zeros(R), 0
    hist = {"seen": [], "err": [], "frac_correct": [], "elapsed": [], "snapshots": []}
    t0 = time.time()
    for seen in range(1, cfg.max_sequences + 1):
        idx = np.flatnonzero(active)
        sub = params if active.all() else take(params, idx)
        seq, lengths, cls = stack([draw(cfg, streams[r]["data"], 1) for r in idx])
        e, fw, E = judged_error(cfg, sub, seq, lengths, cls)      # (R_active, 1)
        g = gradient(sub, seq, fw)
        grow.mask(g, idx)
        for k in params:
            sub[k] -= cfg.lr * g[k]                               # (7) w <- w - lr dE/dw
            params[k][idx] = sub[k]
        ok = e[:, 0] < cfg.crit
        grow.update(params, idx, E[:, 0], seen)
        err_sum[idx] += e[:, 0]
        ok_sum[idx] += ok
        n_log += 1
        streak[idx] = np.where(ok, streak[idx] + 1, 0)
        for r in idx[streak[idx] >= cfg.trigger]:                 # the success test, weights frozen
            n_tests[r] += 1
            if test_errors(cfg, take(params, [r]), streams[r]["test"], cfg.n_test).max() < cfg.crit:
                success_at[r], active[r] = seen, False
            streak[r] = 0
        if seen % cfg.log_every == 0 or not active.any():
            record(hist, seen, err_sum / n_log, ok_sum / n_log, params, t0)
            err_sum[:], ok_sum[:], n_log = 0.0, 0.0, 0
            if log:
                log(seen, cfg.max_sequences, {"runs solved": f"{int((~active).sum())}/{R}",
                                              "median err": float(np.median(hist["err"][-1]))})
        if not active.any():
            break
    hist.update(solved=(success_at > 0).tolist(),
                sequences=np.where(success_at > 0, success_at, seen).tolist(),
                n_tests=n_tests.tolist(), grown_at=grow.at.tolist(), train_s=time.time() - t0)
    return params, hist


def record(hist, seen, err, frac, params, t0):
    hist["seen"].append(seen)
    hist["err"].append(err.tolist())
    hist["frac_correct"].append(frac.tolist())
    hist["elapsed"].append(time.time() - t0)
    hist["snapshots"].append({k: v.copy() for k, v in params.items()})


def evaluate(model, cfg: Config):
    """The paper's test on each final net: n_test fresh sequences from the run's eval
    stream; the judged |error| (max over units; over steps too for 2a) against crit."""
    worst, frac = [], []
    for r, s in enumerate(range(cfg.seed, cfg.seed + cfg.n_seeds)):
        e = test_errors(cfg, take(model, [r]), seed_streams(s, STREAMS)["eval"], cfg.n_test)
        worst.append(float(e.max()))
        frac.append(float(np.mean(e < cfg.crit)))
    return {"test_max_err": worst, "test_frac_correct": frac, "n_test": int(cfg.n_test)}


TASK_NAMES = {"a": "2a (noise-free, fixed middle)", "b": "2b (random middle)",
              "c": "2c (very long lags, distractors)"}


def summarise(cfg: Config, model, history) -> dict:
    """Metrics of the runs. The paper's statistic (mean training sequences to success)
    is over the runs that succeeded; n_runs counts those (all runs for the BPTT success
    rate); NaN if none succeeded (a budget is not a count, so the verdict is then no)."""
    ev = evaluate(model, cfg)
    solved = np.array(history["solved"])
    seqs = np.array(history["sequences"], dtype=float)
    ok = seqs[solved] if solved.any() else np.array([np.nan])
    key = paper_key(cfg)
    per_run = [{"seed": cfg.seed + r, "solved": bool(solved[r]), "sequences": int(seqs[r]),
                "cell_added_at": int(history["grown_at"][r]), "n_tests": int(history["n_tests"][r]),
                "test_max_err": ev["test_max_err"][r], "test_frac_correct": ev["test_frac_correct"][r]}
               for r in range(cfg.n_seeds)]
    m = {"task": cfg.task, "model": cfg.model, "p": cfg.p, "q": cfg.q if cfg.task == "c" else None,
         "n_seeds": cfg.n_seeds, "n_solved": int(solved.sum()), "solve_rate": float(solved.mean()),
         "n_runs": int(cfg.n_seeds if cfg.model == "bptt" else solved.sum()),
         "sequences_to_success": float(ok.mean()), "sequences_to_success_std": float(ok.std()),
         "sequences_to_success_min": float(ok.min()), "sequences_to_success_max": float(ok.max()),
         "n_test": ev["n_test"], "test_frac_correct_mean": float(np.mean(ev["test_frac_correct"])),
         "n_weights": n_weights(model), "train_s": float(history["train_s"]), "per_run": per_run}
    m[key] = m["solve_rate"] if cfg.model == "bptt" else m["sequences_to_success"]
    if cfg.model != "bptt":
        m[key + "_std"] = m["sequences_to_success_std"]
    return m


def describe(cfg: Config, metrics: dict) -> dict:
    """The record's one-line summary and its Results table, built from the metrics."""
    m, P, key = metrics, PAPER["metrics"], paper_key(cfg)
    paper = P.get(key)
    net = (f"BPTT net, one self-recurrent unit, lr {cfg.lr:g}" if cfg.model == "bptt" else
           f"LSTM, lr {cfg.lr:g}" + (", cell added when the error stops decreasing"
                                     if cfg.task != "c" and cfg.grow == "paper" else ""))
    lag = f"q={cfg.q}, p={cfg.p}" if cfg.task == "c" else f"p={cfg.p}"
    seq = (f"{m['sequences_to_success']:,.0f} +- {m['sequences_to_success_std']:,.0f}"
           if m["n_solved"] else f"none within {cfg.max_sequences:,}")
    pp = "-" if paper is None else (f"{paper:.0%} of runs" if cfg.model == "bptt" else f"{paper:,}")
    rows = [[f"task {TASK_NAMES[cfg.task]}, {lag}, {net}: runs that succeed",
             f"{m['n_solved']}/{m['n_seeds']}", pp if cfg.model == "bptt" else "100%"],
            ["training sequences to success, mean +- std over successful runs", seq,
             "-" if cfg.model == "bptt" else pp],
            ["  min / max", f"{m['sequences_to_success_min']:,.0f} / {m['sequences_to_success_max']:,.0f}"
             if m["n_solved"] else "-", "-"],
            [f"final nets: fraction of {m['n_test']:,} fresh test sequences within {cfg.crit:g} (mean)",
             f"{m['test_frac_correct_mean']:.3f}", "-"],
            ["weights", str(m["n_weights"]), "-"]]
    rows += [[f"run {r['seed']}: sequences (cell added at); final test fraction correct",
              f"{r['sequences']:,}{'' if r['solved'] else ' (budget, not met)'} "
              f"({r['cell_added_at']:,}); {r['test_frac_correct']:.3f}", "-"] for r in m["per_run"][:10]]
    head = f"Task {cfg.task}, {lag}, {net}: {m['n_solved']}/{m['n_seeds']} runs succeed"
    head += f" within {cfg.max_sequences:,} sequences" if not m["n_solved"] else f", after {seq} sequences"
    return {"label": ("BPTT success rate" if cfg.model == "bptt" else
                      "training sequences to success, mean over successful runs") + f" (task {cfg.task}, {lag})",
            "summary": head + ("" if paper is None else f" (paper: {pp})"),
            "table": {"columns": ["quantity", "ours", "paper (section 5.2)"], "rows": rows}}


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
