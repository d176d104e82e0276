"""Random weight guessing solves 500-600 step parity (a "trivial" long time lag task).

Hochreiter, S. & Schmidhuber, J. (1997). LSTM can solve hard long time lag
problems. Advances in Neural Information Processing Systems 9 (NIPS 1996),
473-479. Schmidhuber, J. & Hochreiter, S. (1996). Guessing can outperform many
long time lag algorithms. Technical Note IDSIA-19-96 (revised web version
"Evaluating long-term dependency benchmark problems by random guessing", 2001).

The task. A sequence of 500 to 600 inputs, each -1.0 or +1.0, is fed one
element per step into a small recurrent net; at the sequence end the output
unit must say whether the number of +1's is odd (target 1.0) or even (0.0).
Gradient methods of the day needed tens of thousands of trials on far shorter
sequences. Random guessing (RG) ignores gradients altogether:
    REPEAT draw every weight uniformly from [-100, 100]
    UNTIL the net classifies all 100 training sequences correctly
          (|output - target| < 0.1 at each sequence end)
    then test the found net on a separate test set.
The paper's headline: with architecture A2 without hidden self-connections,
RG solves no-noise parity within 250 trials on average.

The net (A2 without self-connections; n = 10 hidden units; sigma = logistic
sigmoid in [0, 1]; all activations 0 at sequence begin; within a step the
units update in the order input -> hidden -> output):
  (1) h_t = sigma(w_hx x_t + w_ho y_{t-1} [+ w_hh * h_{t-1}] + b_h)   hidden (n,)
  (2) y_t = sigma(w_ox x_t + w_oh . h_t + b_o)                        output
  (3) correct  <=>  |y_L - target| < 0.1 at the last step L of the sequence
Each hidden unit sees the input, the output and (only with --self-connections,
the paper's A2) itself; the output unit sees all other units; all are biased.
Every weight ~ U[-100, 100]; 4n + 2 = 42 weights (52 with self-connections).
`--arch A1` is the paper's fully connected net instead: every hidden unit sees
all hidden units (W_hh h_{t-1}) and the output; the output also sees itself
(+ w_oo y_{t-1} in (2)); only the hidden units are biased (paper: n = 1).

Search as implemented. Each seed is one independent search with its own
training set (100 sequences, 50 odd and 50 even, lengths uniform in
{500..600}), its own test set and its own weight stream. Trials are drawn in
order from that stream and the search stops at the first trial that passes
(3) on all training sequences: trials-to-success is geometric, and one search
does not depend on any other. For speed, the searches run side by side and
each draws `chunk` trials at a time as one array (S, chunk, 42); every trial
is first run on the first `screen` training sequences and only the trials
that pass them are run on all 100. This changes neither which trial is first
accepted nor the count (trials after the first success in a chunk are
discarded), only how much arithmetic is spent on hopeless nets.

Deviations in brief (README): the update order inside a step is not stated in
the paper (with fully synchronous updates this architecture cannot represent
parity at all); the test set is 1000 fresh sequences instead of 100; a cap of
`max_trials` per search (never reached in the reporting run).

  python3 rs-parity/rs_parity.py --seed 10000 --n-seeds 100 --results rs-parity/results.json
  python3 rs-parity/rs_parity.py --quick
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "rs-parity"


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000            # first seed; seeds seed .. seed+n_seeds-1 are independent searches
    n_seeds: int = 100           # number of independent searches (run side by side)
    quick: bool = False          # reduced run for tests and smoke runs (a few seconds)
    arch: str = "A2"             # "A2" (the paper's headline net) or "A1" (fully connected, unbiased output; paper: n=1)
    n_hidden: int = 10           # hidden units n (paper, A2: 10; A1: 1)
    self_connections: bool = False  # hidden self-connections (paper's A2 has them; the 250-trial result is without)
    weight_range: float = 100.0  # every weight ~ U[-range, range] (paper: 100.0)
    len_min: int = 500           # shortest sequence (paper: 500)
    len_max: int = 600           # longest sequence (paper: 600)
    n_train: int = 100           # training sequences, half odd and half even (paper: 100)
    n_test: int = 1000           # fresh held-out test sequences per search (paper: 100)
    out_tol: float = 0.1         # correct iff |output - target| < out_tol at sequence end (paper: 0.1)
    max_trials: int = 100000     # cap per search; a capped search counts as unsolved (paper: no cap)
    chunk: int = 64              # trials drawn at once per search (speed only; results do not depend on it)
    screen: int = 4              # training sequences every trial sees first (speed only; same acceptance rule)
    dev_seeds: tuple = (0, 10000)          # development block [first, end): every tuning choice
    report_seeds: tuple = (10000, 11000)   # reporting block [first, end): headline only
    verdict_metric: str = "mean_trials"    # mean number of trials until the first success
    verdict_sense: str = "match"           # the paper reports a mean; either side counts
    verdict_tol: float = 0.35   # yes within 35%: a 10-search mean of a geometric count has ~32% spread
    verdict_partial: float = 1.0  # partial within a factor of two (same order of magnitude)
    PRESETS: ClassVar[dict] = {
        "quick": dict(n_seeds=10, len_min=50, len_max=60, n_test=200, max_trials=20000),
    }

    def __post_init__(self):
        for name in ("n_seeds", "n_hidden", "len_min", "n_train", "n_test", "max_trials",
                     "chunk", "screen"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be positive, "
                                 f"got {getattr(self, name)}")
        if self.arch not in ("A1", "A2"):
            raise ValueError(f"--arch must be A1 or A2, got {self.arch!r}")
        if self.len_max < self.len_min:
            raise ValueError(f"--len-max {self.len_max} is below --len-min {self.len_min}")
        if self.n_train % 2 or self.n_test % 2:
            raise ValueError("--n-train and --n-test must be even (half odd, half even)")
        if self.screen > self.n_train:
            raise ValueError(f"--screen {self.screen} exceeds --n-train {self.n_train}")
        if not (self.weight_range > 0 and 0 < self.out_tol <= 0.5):
            raise ValueError("--weight-range must be positive and --out-tol in (0, 0.5]")


PAPER = {
    "citation": "Hochreiter, S. & Schmidhuber, J. (1997). LSTM can solve hard long time lag "
                "problems. NIPS 9 (1996), 473-479; Schmidhuber, J. & Hochreiter, S. (1996). "
                "Guessing can outperform many long time lag algorithms. IDSIA-19-96.",
    "year": 1996,
    "metrics": {"mean_trials": 250},
    "runs": 10,
    "context": {"A1_n1_mean_trials": 2906, "A2_mean_trials": 2797,
                "A1_noisy_mean_trials": 41400},
    "source": "guessing paper (web version 2001, section 'Parity problem'): 'With architecture "
              "A2, but without self-connections for the hidden units, RG solves no-noise parity "
              "within 250 trials on average'; A1 (n=1) 2906, A2 2797, A1 with [-0.2,0.2] input "
              "noise 41400. Protocol (section 'Random guessing'; NIPS paper section 1): weights "
              "U[-100,100], logistic sigmoid units, activations 0 at sequence begin, lengths "
              "500-600, 100 training sequences (50 per class), correct = absolute error at "
              "sequence end below 0.1, stop when all training sequences are correct, then test "
              "on a separate set of 100. A2: n=10 hidden units, each sees input, output, itself; "
              "output sees all other units; all biased. The number of searches behind the mean "
              "is not stated: runs=10 is our assumption",
}
EARLIER = {"metrics": {"median_trials": 12800},
           "note": "N = 50 default; 10 seeds at N = 500 with median 12,800 trials; "
                   "self-connections allowed, train set sampled"}


# ----------------------------------------------------------------------------
# Data: balanced parity sequences of random length
# ----------------------------------------------------------------------------
def parity_data(rng: np.random.Generator, n: int, len_min: int, len_max: int):
    """(X, lengths, targets): X (n, len_max) int8 in {-1, +1} (0 after each sequence's end),
    lengths (n,) uniform in {len_min..len_max}, targets (n,) = 1.0 if the count of +1's
    is odd. Classes alternate (odd, even, odd, ...), so any prefix is balanced; a
    sequence of the wrong parity gets one uniformly chosen bit flipped, which maps the
    wrong class one-to-one onto the right one (each class stays uniform)."""
    lengths = rng.integers(len_min, len_max + 1, size=n)
    X = np.where(rng.random((n, len_max)) < 0.5, -1, 1).astype(np.int8)
    X[np.arange(len_max)[None, :] >= lengths[:, None]] = 0
    targets = (np.arange(n) % 2 == 0).astype(float)
    flip = parity_of(X) != targets
    pos = (rng.random(n) * lengths).astype(int)
    X[np.flatnonzero(flip), pos[flip]] *= -1
    return X, lengths, targets


def parity_of(X: np.ndarray) -> np.ndarray:
    """1.0 where the number of +1 entries along the last axis is odd, else 0.0."""
    return ((X > 0).sum(-1) % 2).astype(float)


# ----------------------------------------------------------------------------
# Model: the A2 (and A1) net, weights with any leading shape
# ----------------------------------------------------------------------------
def param_shapes(n_hidden: int, arch: str = "A2") -> dict:
    """Names and sizes of the weights, in the order they are drawn from the stream.
    A2: hidden see input, output, (itself); output sees input, hidden; all biased.
    A1: fully connected (hidden see all hidden incl. themselves and the output; the
    output also sees itself); only the hidden units are biased."""
    H = n_hidden
    if arch == "A1":
        return {"w_hx": H, "w_ho": H, "W_hh": H * H, "b_h": H, "w_ox": 1, "w_oh": H, "w_oo": 1}
    return {"w_hx": H, "w_ho": H, "w_hh": H, "b_h": H, "w_ox": 1, "w_oh": H, "b_o": 1}


def n_params(n_hidden: int, self_connections: bool, arch: str = "A2") -> int:
    if arch == "A1":
        return n_hidden * n_hidden + 4 * n_hidden + 2
    return 5 * n_hidden + 2 if self_connections else 4 * n_hidden + 2


def unpack(W: np.ndarray, n_hidden: int, self_connections: bool, arch: str = "A2") -> dict:
    """(..., P) flat weights -> dict of (..., H) / (...,) arrays; w_hh = 0 without
    self-connections (A2); A1 gives W_hh (..., H, H) [to, from] and b_o = 0."""
    out, i = {}, 0
    for name, size in param_shapes(n_hidden, arch).items():
        if name == "w_hh" and not self_connections:
            out[name] = np.zeros(W.shape[:-1] + (size,))
            continue
        out[name] = W[..., i:i + size] if size > 1 else W[..., i]
        i += size
    if arch == "A1":
        out["W_hh"] = out["W_hh"].reshape(W.shape[:-1] + (n_hidden, n_hidden))
        out["w_hx"], out["w_ho"], out["b_h"], out["w_oh"] = (
            np.asarray(out[k]).reshape(W.shape[:-1] + (n_hidden,))
            for k in ("w_hx", "w_ho", "b_h", "w_oh"))
        out["b_o"] = np.zeros(W.shape[:-1])
    return out


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid in [0, 1], written with tanh so |z| ~ 1e4 cannot overflow."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


def recurrent_terms(p: dict, h, y):
    """The step-(t-1) inputs of (1) and (2): hidden-to-hidden and output-to-output."""
    if "W_hh" not in p:                                            # A2: self-connections only
        return p["w_hh"][..., None, :] * h, 0.0
    if np.ndim(h) == 0:                                            # t = 0: all activations 0
        return 0.0, 0.0
    W_T = np.swapaxes(p["W_hh"], -1, -2)[..., None, :, :]          # (lead, 1, H, H) [from, to]
    return (h[..., None, :] @ W_T)[..., 0, :], p["w_oo"][..., None] * y


def forward(p: dict, X: np.ndarray, lengths: np.ndarray, trace: bool = False):
    """Run nets p (leading shape `lead`) on sequences X (lead' + (B, T)), lead and lead'
    broadcastable. Returns y_end (lead'' + (B,)): the output at each sequence's last step;
    with trace=True also h (T, ..., B, H) and y (T, ..., B) at every step."""
    x_all = np.moveaxis(X, -1, 0)[..., None]                     # (T, lead', B, 1)
    vec = {k: p[k][..., None, :] for k in ("w_hx", "w_ho", "b_h")}   # (lead, 1, H)
    w_ox, b_o = p["w_ox"][..., None], p["b_o"][..., None]          # (lead, 1)
    w_oh = p["w_oh"][..., None, :, None]                           # (lead, 1, H, 1)
    h = y = 0.0
    y_end = None
    hs, ys = [], []
    for t in range(X.shape[-1]):
        x = x_all[t]                                               # (lead', B, 1)
        rec_h, rec_y = recurrent_terms(p, h, y)
        # (1) h_t = sigma(w_hx x_t + w_ho y_{t-1} + w_hh * h_{t-1} + b_h)   [A1: W_hh h_{t-1}]
        h = sigmoid(vec["w_hx"] * x + vec["w_ho"] * np.asarray(y)[..., None]
                    + rec_h + vec["b_h"])                          # (lead'', B, H)
        # (2) y_t = sigma(w_ox x_t + w_oh . h_t + b_o)                       [A1: + w_oo y_{t-1}]
        y = sigmoid(w_ox * x[..., 0] + (h[..., None, :] @ w_oh)[..., 0, 0] + b_o + rec_y)
        last = lengths == t + 1                                    # (lead', B)
        y_end = np.where(last, y, y if y_end is None else y_end)
        if trace:
            hs.append(h)
            ys.append(y)
    return (y_end, np.array(hs), np.array(ys)) if trace else y_end


def correct(y_end: np.ndarray, targets: np.ndarray, out_tol: float) -> np.ndarray:
    """(3): a sequence is classified correctly iff |y_L - target| < out_tol."""
    return np.abs(y_end - targets) < out_tol


# ----------------------------------------------------------------------------
# The search: independent random guessing, many searches side by side
# ----------------------------------------------------------------------------
def make_searches(cfg: Config) -> list:
    """One dict per seed: its streams, its training set and its test set."""
    out = []
    for s in range(cfg.seed, cfg.seed + cfg.n_seeds):
        r = seed_streams(s, ("train", "test", "weights"))
        X, L, y = parity_data(r["train"], cfg.n_train, cfg.len_min, cfg.len_max)
        Xt, Lt, yt = parity_data(r["test"], cfg.n_test, cfg.len_min, cfg.len_max)
        out.append({"seed": s, "rng": r["weights"], "X": X, "L": L, "y": y,
                    "X_test": Xt, "L_test": Lt, "y_test": yt})
    return out


def accept(W: np.ndarray, data: dict, cfg: Config) -> np.ndarray:
    """(A, C) bool: which of C candidate nets per search classify all training sequences.
    Screened: every candidate runs on the first `screen` sequences, survivors on all."""
    X, L, y = data["X"], data["L"], data["y"]                      # (A, n, T), (A, n), (A, n)
    k = cfg.screen
    p = unpack(W, cfg.n_hidden, cfg.self_connections, cfg.arch)             # (A, C, .)
    ok = correct(forward(p, X[:, None, :k], L[:, None, :k]), y[:, None, :k], cfg.out_tol)
    ok = ok.all(-1)                                                # (A, C)
    a, c = np.nonzero(ok)
    if a.size and k < cfg.n_train:
        p2 = unpack(W[a, c], cfg.n_hidden, cfg.self_connections, cfg.arch)   # (K, .)
        full = correct(forward(p2, X[a], L[a]), y[a], cfg.out_tol).all(-1)
        ok[a, c] = full
    return ok


def search_round(searches: list, active: list, cfg: Config):
    """One round: every active search draws `chunk` trials; returns (W, ok) of shape (A, C, P), (A, C)."""
    P = n_params(cfg.n_hidden, cfg.self_connections, cfg.arch)
    r = cfg.weight_range
    W = np.stack([searches[i]["rng"].uniform(-r, r, size=(cfg.chunk, P)) for i in active])
    data = {k: np.stack([searches[i][k] for i in active]) for k in ("X", "L", "y")}
    return W, accept(W, data, cfg)


def train(cfg: Config, log=None):
    """Run n_seeds independent searches to their first success (or the cap)."""
    cpu0 = time.process_time()
    searches = make_searches(cfg)
    S, P = cfg.n_seeds, n_params(cfg.n_hidden, cfg.self_connections, cfg.arch)
    trials = np.zeros(S, dtype=np.int64)
    solved = np.zeros(S, dtype=bool)
    found = np.full((S, P), np.nan)
    example = []                                   # every trial of the first search, in order
    curve = []                                     # (trials per search so far, searches solved)
    rounds = -(-cfg.max_trials // cfg.chunk)
    for rnd in range(rounds):
        active = [i for i in range(S) if not solved[i]]
        if not active:
            break
        W, ok = search_round(searches, active, cfg)
        for j, i in enumerate(active):
            take = min(cfg.chunk, cfg.max_trials - trials[i])
            hit = np.flatnonzero(ok[j, :take])
            n_used = hit[0] + 1 if hit.size else take
            if i == 0:
                example.append(W[j, :n_used])
            trials[i] += n_used
            if hit.size:
                solved[i], found[i] = True, W[j, hit[0]]
        curve.append(((rnd + 1) * cfg.chunk, int(solved.sum())))
        if log:                                    # step = searches solved so far
            log(int(solved.sum()), S, {"round": rnd + 1, "trials_each": (rnd + 1) * cfg.chunk})
    model = {"weights": found, "trials": trials, "solved": solved,
             "seeds": np.arange(cfg.seed, cfg.seed + S)}
    history = {"curve": np.array(curve), "example_trials": np.concatenate(example),
               "search_cpu_s": time.process_time() - cpu0}
    return model, history


# ----------------------------------------------------------------------------
# Evaluation: the found nets on the held-out test sets
# ----------------------------------------------------------------------------
def evaluate(model: dict, cfg: Config) -> dict:
    """Train and held-out test accuracy of every found net (rebuilds the seeds' data sets)."""
    searches = make_searches(cfg)
    idx = np.flatnonzero(model["solved"])
    train_acc = np.full(cfg.n_seeds, np.nan)
    test_acc = np.full(cfg.n_seeds, np.nan)
    if idx.size:
        p = unpack(model["weights"][idx], cfg.n_hidden, cfg.self_connections, cfg.arch)
        for split, acc in (("", train_acc), ("_test", test_acc)):
            X = np.stack([searches[i]["X" + split] for i in idx])
            L = np.stack([searches[i]["L" + split] for i in idx])
            y = np.stack([searches[i]["y" + split] for i in idx])
            acc[idx] = correct(forward(p, X, L), y, cfg.out_tol).mean(-1)
    return {"train_acc": train_acc, "test_acc": test_acc}


def summarise(cfg: Config, model: dict, history: dict) -> dict:
    cpu0 = time.process_time()
    ev = evaluate(model, cfg)
    test_cpu_s = time.process_time() - cpu0
    t = model["trials"][model["solved"]].astype(float)
    ta = ev["test_acc"][model["solved"]]
    q = np.percentile(t, [10, 25, 50, 75, 90]) if t.size else [np.nan] * 5
    return {
        "mean_trials": float(t.mean()) if t.size else float("nan"),
        "mean_trials_std": float(t.std(ddof=1)) if t.size > 1 else 0.0,
        "mean_trials_sem": float(t.std(ddof=1) / np.sqrt(t.size)) if t.size > 1 else 0.0,
        "median_trials": float(q[2]),
        "trials_q10": float(q[0]), "trials_q25": float(q[1]),
        "trials_q75": float(q[3]), "trials_q90": float(q[4]),
        "min_trials": int(t.min()) if t.size else 0, "max_trials": int(t.max()) if t.size else 0,
        "n_runs": int(cfg.n_seeds), "n_solved": int(model["solved"].sum()),
        "total_trials": int(model["trials"].sum()),
        "train_acc_min": float(np.nanmin(ev["train_acc"])) if t.size else 0.0,
        "test_acc_mean": float(ta.mean()) if t.size else 0.0,
        "test_acc_min": float(ta.min()) if t.size else 0.0,
        "frac_test_perfect": float((ta == 1.0).mean()) if t.size else 0.0,
        "n_test": int(cfg.n_test),
        "trials": [int(v) for v in model["trials"]],
        "example_net": example_net(model, cfg),
        "search_cpu_s": round(float(history["search_cpu_s"]), 2),   # CPU time, not compared
        "test_cpu_s": round(float(test_cpu_s), 2),
    }


def example_net(model: dict, cfg: Config) -> dict:
    """The weights found by the first search (seed cfg.seed), by name, rounded to 0.01."""
    if not model["solved"][0]:
        return {}
    p = unpack(model["weights"][0], cfg.n_hidden, cfg.self_connections, cfg.arch)
    return {k: np.round(np.ravel(v), 2).tolist() for k, v in p.items()
            if (k != "w_hh" or cfg.self_connections) and (k != "b_o" or cfg.arch == "A2")}


def variant_label(cfg: Config) -> str:
    arch = ("A1 (fully connected)" if cfg.arch == "A1" else "A2" if cfg.self_connections
            else "A2 without hidden self-connections")
    return f"{arch}, n={cfg.n_hidden}, lengths {cfg.len_min}-{cfg.len_max}"


def describe(cfg: Config, metrics: dict) -> dict:
    m, P = metrics, PAPER["metrics"]
    summary = (f"{m['n_solved']}/{m['n_runs']} searches guess a parity net for "
               f"{cfg.len_min}-{cfg.len_max}-step sequences in {m['mean_trials']:.0f} trials on "
               f"average (paper {P['mean_trials']}); {m['frac_test_perfect']:.0%} of the found "
               f"nets are perfect on {m['n_test']} fresh test sequences")
    rows = [
        ["mean trials to success (+- std over searches)",
         f"{m['mean_trials']:.0f} +- {m['mean_trials_std']:.0f}", f"{P['mean_trials']}"],
        ["median [25%, 75%] trials", f"{m['median_trials']:.0f} [{m['trials_q25']:.0f}, "
         f"{m['trials_q75']:.0f}]", "not stated"],
        ["searches solved", f"{m['n_solved']}/{m['n_runs']}", "not stated"],
        [f"found nets perfect on {m['n_test']} fresh test sequences",
         f"{m['frac_test_perfect']:.0%} (mean acc {m['test_acc_mean']:.4f})",
         "tested on 100; accuracy not stated"],
    ]
    for name, vals in m["example_net"].items():
        rows.append([f"found net of seed {cfg.seed}: {name}",
                     " ".join(f"{v:.0f}" for v in vals), "-"])
    return {"summary": summary,
            "table": {"columns": [variant_label(cfg), "ours", "paper"], "rows": rows},
            "label": "mean trials until a guessed net classifies all 100 training sequences",
            "tolerance": {"rel": 1e-9, "basis": "deterministic: same seeds, same machine give "
                          "bit-identical trial counts"}}


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
