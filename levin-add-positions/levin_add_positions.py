"""Levin search for a weight-writing program on "adding input positions", and gradient descent beside it.

Schmidhuber, J. (1997). Discovering neural nets with low Kolmogorov complexity and
high generalization capability. Neural Networks 10(5), 857-873; ICML 1995 version
"Discovering solutions with low Kolmogorov complexity and high generalization
capability" (section 4.2, "Task 2: adding input positions").

The task. The linear unit y = sum_i w_i x_i of levin-count-inputs: 100 binary
inputs, exactly three on-bits each (161,700 inputs), integer weights in
[-10000, 10000], the same 3 training inputs (on-bits {5, 17, 86}, {13, 55, 58},
{40, 87, 94}), but the target is the SUM OF THE POSITIONS of the on-bits: 108,
126 and 221. The only weight vector right on all inputs is w_i = i. The shortest
programs that write it need a loop with a counter, so the time budget of Levin
search binds: a program must run ~300 steps before its net can be judged.

The machine, the prior and both searches are those of levin-count-inputs (a copy,
so this file stands alone; the paper uses one machine for both tasks):
   0 Jumpleq(a1,a2,a3)  if c[a1] <= c[a2] then IP <- a3
   1 WriteWeight(a1)    w[WP] <- c[a1]; WP <- WP + 1  (the paper's Output)
   2 Jump(a1)           IP <- a1
   3 Stop               halt
   4 Add(a1,a2,a3)      c[a3] <- c[a1] + c[a2]
   5 GetInput(a1,a2)    c[a2] <- input c[a1]; this task has no input: halts
   6 Move(a1,a2)        c[a2] <- c[a1]
   7 Allocate(n)        Min <- Min - n, the n new work cells set to 0
   8 Increment(a1)      c[a1] <- c[a1] + 1
   9 Decrement(a1)      c[a1] <- c[a1] - 1
  10 Subtract(a1,a2,a3) c[a3] <- c[a1] - c[a2]
  11 Multiply(a1,a2,a3) c[a3] <- c[a1] * c[a2]
  12 Free(n)            Min <- Min + n
Cells: work tape -W..-1 (none allocated at start), program tape 0..len-1 (the
program's own tokens). A program halts on Stop, off the end of its tape, or on
anything impossible; the weights written so far are the net.
  (1) l(p) = -log2 P(p) bits, each token uniform over its legal values (opcodes
      0..12, counts 1..W, addresses -W..s+n for an instruction at s with n args)
  (2) plain Levin search: phase k runs every program with l(p) <= k for
      floor(2^(k - l(p))) steps
  (3)-(5) probabilistic Levin search: each run draws T = 2^j with probability 2^-j
      (j <= J; ablation: j uniform), grows its program by oracle requests as the IP
      reaches the tape's end, and stops at a halt or after T steps.
A program fits if it halts within its budget and its net is exact on the 3
examples; every fit is tested on all 161,697 unseen inputs.

The baseline the paper argues against: gradient descent on the squared error of
the same 3 examples,
  (6) w <- w - lr * X^T (X w - y) / 3,   X (3, 100) the training inputs,
from w = 0 (and from small random weights): it fits the 3 examples, moves only
the 9 weights of their on-bits, and is wrong on nearly every unseen input.

Deviations in brief (README): those of levin-count-inputs (static argument
ranges, GetInput halts, our reading of the time law), plus budgets: the paper
spent 5.5e7 runs on this task; the headline spends 5e6, runs/ the paper's.

  python3 levin-add-positions/levin_add_positions.py --seed 10000 --results levin-add-positions/results.json
  python3 levin-add-positions/levin_add_positions.py --quick
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "levin-add-positions"


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000            # first seed; seeds seed .. seed+n_seeds-1 are independent searches
    n_seeds: int = 10            # independent probabilistic searches (and plain-search orders)
    quick: bool = False          # reduced run for tests and smoke runs (a few seconds)
    n_inputs: int = 100          # input units = weights (paper: 100)
    n_on: int = 3                # on-bits per input vector (paper: 3)
    task: str = "positions"      # target: "positions" (sum of the on-bits' indices) or "count"
    work_cells: int = 1          # W: work-tape cells a program may allocate (paper: up to its storage size)
    max_len: int = 12            # longest program tape in tokens (paper: storage-limited)
    value_max: int = 10000       # cell and weight values stay in [-value_max, value_max] (paper: 10000)
    max_phase: int = 20          # plain search: last phase k tried (budget 2^(k - l) steps; a fit needs ~32)
    time_exp_max: int = 13       # probabilistic search: T = 2^j, j <= J (paper's largest reported: 8192 = 2^13)
    time_law: str = "geometric"  # P(T = 2^j): "geometric" 2^-j (our reading) or "uniform" on j = 1..J (ablation)
    max_runs: int = 500000       # probabilistic search: cap of runs per search (paper: 5.5e7 runs in all)
    chunk: int = 50000           # probabilistic runs drawn at once per search (speed only)
    plain: bool = True           # also run plain (systematic) Levin search
    gd_lr: float = 0.1           # gradient-descent baseline: learning rate of (6)
    gd_steps: int = 2000         # gradient-descent baseline: full-batch steps on the 3 examples
    gd_init: float = 1.0         # gradient-descent baseline, second run: weights ~ U[-gd_init, gd_init]
    dev_seeds: tuple = (0, 10000)          # development block [first, end): every tuning choice
    report_seeds: tuple = (10000, 11000)   # reporting block [first, end): headline only
    verdict_metric: str = "fits_per_run"   # fitting programs per probabilistic run (fits / runs)
    verdict_sense: str = "at_least"        # the paper: 10 fits in 5.5e7 runs
    verdict_tol: float = 0.9    # yes within an order of magnitude of the paper's rate (>= 1/10 of it)
    verdict_partial: float = 0.99  # partial within two orders of magnitude
    PRESETS: ClassVar[dict] = {
        "quick": dict(n_seeds=2, max_phase=14, max_runs=20000, chunk=10000, gd_steps=500),
    }

    def __post_init__(self):
        for name in ("n_seeds", "n_inputs", "n_on", "work_cells", "max_len", "value_max",
                     "max_phase", "time_exp_max", "max_runs", "chunk", "gd_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be positive, "
                                 f"got {getattr(self, name)}")
        if self.time_law not in ("geometric", "uniform"):
            raise ValueError(f"--time-law must be geometric or uniform, got {self.time_law!r}")
        if self.task not in ("count", "positions"):
            raise ValueError(f"--task must be count or positions, got {self.task!r}")
        if self.n_on > self.n_inputs:
            raise ValueError(f"--n-on {self.n_on} exceeds --n-inputs {self.n_inputs}")
        if self.time_exp_max > 24 or self.max_phase > 40:
            raise ValueError("--time-exp-max must be <= 24 and --max-phase <= 40")


PAPER = {
    "citation": "Schmidhuber, J. (1997). Discovering neural nets with low Kolmogorov complexity "
                "and high generalization capability. Neural Networks 10(5), 857-873; ICML 1995 "
                "version 'Discovering solutions with low Kolmogorov complexity and high "
                "generalization capability'.",
    "year": 1997,
    "metrics": {"fits_per_run": 10 / 5.5e7},
    "runs": 1,
    "context": {"train_examples": [[5, 17, 86], [13, 55, 58], [40, 87, 94]],
                "train_targets": [108, 126, 221], "n_test": 161697, "runs_total": 5.5e7,
                "fits": 10, "search_steps_total": 8.14e8, "first_fit_runs": 6902963,
                "fits_generalising": 8, "example_steps": 502, "example_allocated": 8192},
    "source": "ICML 1995 html version, section 'Task 2: adding input positions': same net and "
              "inputs as task 1, targets 108, 126, 221; 'Programs generating networks fitting "
              "the training data were found in 10 out of 5.5*10^7 runs, using up a total search "
              "time of 8.14*10^8 time steps. 8 of the 10 successful runs led to perfect "
              "generalization on the 161,697 unseen test examples'; 'The first weight vector "
              "fitting the training data was found after 6,902,963 runs ... the program used 502 "
              "out of 8192 allocated time steps'. One search: runs = 1",
}
EARLIER = {"metrics": {"programs_to_success": 58},
           "note": "its own 6-instruction language with no loops, so the time budget never "
                   "binds; found after 58 evaluations"}


# ----------------------------------------------------------------------------
# Data: the three training inputs and every unseen input
# ----------------------------------------------------------------------------
TRAIN_ON = np.array(PAPER["context"]["train_examples"])             # (3, 3) on-bit positions


def targets(on: np.ndarray, task: str) -> np.ndarray:
    """(..., n_on) on-bit positions -> target outputs: the count, or the sum of positions."""
    return np.full(on.shape[:-1], on.shape[-1]) if task == "count" else on.sum(-1)


def test_inputs(n_inputs: int, n_on: int, exclude: np.ndarray) -> np.ndarray:
    """(C(n, n_on) - 3, n_on): every input's on-bit positions except the training ones."""
    all_on = np.array(list(itertools.combinations(range(n_inputs), n_on)))
    keep = ~(all_on[:, None, :] == np.sort(exclude, -1)[None]).all(-1).any(-1)
    return all_on[keep]


def net_output(w: np.ndarray, on: np.ndarray) -> np.ndarray:
    """y = sum_i w_i x_i for inputs given by on-bit positions: w (B, n), on (P, k) -> (B, P)."""
    return w[:, on].sum(-1)


def fits(w: np.ndarray, on: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(B,) bool: the net with weights w is exactly right on every input in `on`."""
    return (net_output(w, on) == y[None]).all(-1)


# ----------------------------------------------------------------------------
# The machine: primitives, argument ranges, the prior
# ----------------------------------------------------------------------------
NAMES = ("Jumpleq", "WriteWeight", "Jump", "Stop", "Add", "GetInput", "Move", "Allocate",
         "Increment", "Decrement", "Subtract", "Multiply", "Free")
N_OPS = len(NAMES)
# argument kinds per opcode: "a" = address, "n" = count 1..W
ARGS = ("aaa", "a", "a", "", "aaa", "aa", "aa", "n", "a", "a", "aaa", "aaa", "n")
N_ARGS = np.array([len(a) for a in ARGS])
RUNNING, HALTED, ERROR, TIMEOUT = 0, 1, 2, 3


def arg_sizes(op: int, start: int, W: int) -> list:
    """Legal-value counts of the arguments of opcode `op` at address `start`: addresses
    -W .. start+n (W + start + n + 1 values), counts 1..W."""
    n = len(ARGS[op])
    return [W + start + n + 1 if k == "a" else W for k in ARGS[op]]


def shapes(length: int):
    """Every opcode sequence whose instructions fill exactly `length` tokens."""
    if length == 0:
        yield ()
        return
    for op in range(N_OPS):
        if 1 + N_ARGS[op] <= length:
            for rest in shapes(length - 1 - int(N_ARGS[op])):
                yield (op,) + rest


def shape_bits(shape: tuple, W: int) -> float:
    """(1) l(p) in bits for every program of this opcode sequence."""
    bits, s = 0.0, 0
    for op in shape:
        bits += np.log2(N_OPS) + sum(np.log2(v) for v in arg_sizes(op, s, W))
        s += 1 + int(N_ARGS[op])
    return float(bits)


def shape_programs(shape: tuple, W: int) -> np.ndarray:
    """(N, len) every program of this opcode sequence, arguments in lexicographic order."""
    cols, s = [], 0
    for op in shape:
        cols.append(np.array([op]))
        for size, kind in zip(arg_sizes(op, s, W), ARGS[op]):
            cols.append(np.arange(-W, -W + size) if kind == "a" else np.arange(1, W + 1))
        s += 1 + int(N_ARGS[op])
    grids = np.meshgrid(*cols, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)


# ----------------------------------------------------------------------------
# The vectorised interpreter: B programs step in lockstep
# ----------------------------------------------------------------------------
def new_state(B: int, W: int, max_len: int, n_w: int, budget) -> dict:
    """Machine state of B programs; cell address a lives at column a + W of `tape`."""
    z = lambda: np.zeros(B, dtype=np.int64)
    return {"tape": np.zeros((B, W + max_len), dtype=np.int32), "plen": z(), "ip": z(),
            "code": np.zeros((B, max_len), dtype=np.int32),        # the tokens as drawn (no edits)
            "mn": z(), "wp": z(), "w": np.zeros((B, n_w), dtype=np.int32), "steps": z(),
            "status": z(), "budget": np.broadcast_to(np.asarray(budget, np.int64), (B,)).copy(),
            "bits": np.zeros(B)}


def load_programs(progs: np.ndarray, W: int, max_len: int, n_w: int, budget) -> dict:
    """State with fixed programs (N, len) on the tape, IP = 0."""
    st = new_state(len(progs), W, max_len, n_w, budget)
    st["tape"][:, W:W + progs.shape[1]] = progs
    st["code"][:, :progs.shape[1]] = progs
    st["plen"][:] = progs.shape[1]
    return st


def oracle(st: dict, idx: np.ndarray, W: int, max_len: int) -> None:
    """(4) Append one instruction drawn from the prior to programs idx (IP at the tape end).
    Token p of run r is floor(u[r, p] * |legal values|) + lowest value: u are the run's
    pre-drawn uniform numbers, so a run is fixed by its own row of u."""
    s = st["plen"][idx]
    u = lambda p: st["u"][idx, np.minimum(p, max_len - 1)]
    op = np.floor(u(s) * N_OPS).astype(np.int64)
    n = N_ARGS[op]
    full = s + 1 + n > max_len
    st["status"][idx[full]] = ERROR
    idx, op, s, n = idx[~full], op[~full], s[~full], n[~full]
    st["tape"][idx, W + s] = op
    st["code"][idx, s] = op
    st["bits"][idx] += np.log2(N_OPS)
    for j in range(3):
        has = n > j
        is_count = IS_COUNT[op] & has
        size = np.where(is_count, W, W + s + n + 1)
        val = np.where(is_count, 1, -W) + np.floor(u(s + 1 + j) * size).astype(np.int64)
        st["tape"][idx[has], W + s[has] + 1 + j] = val[has]
        st["code"][idx[has], s[has] + 1 + j] = val[has]
        st["bits"][idx[has]] += np.log2(size[has])
    st["plen"][idx] = s + 1 + n


# per-opcode tables: which opcodes take counts, write a cell, and where the result goes
IS_COUNT = np.isin(np.arange(N_OPS), (7, 12))
DST_ARG = np.array([-1, -1, -1, -1, 2, -1, 1, -1, 0, 0, 2, 2, -1])   # argument holding the destination


def step(st: dict, act: np.ndarray, W: int, vmax: int, n_w: int) -> None:
    """Execute one instruction of every program in act (all RUNNING, IP inside its tape)."""
    tape, ip, mn, plen = st["tape"], st["ip"][act], st["mn"][act], st["plen"][act]
    ncol = tape.shape[1]
    rows = tape[act]                                               # (A, W + max_len)
    col = lambda x: np.clip(x + W, 0, ncol - 1)
    take_ = lambda x: np.take_along_axis(rows, col(x)[:, None], 1)[:, 0]
    op = take_(ip)
    bad = (op < 0) | (op >= N_OPS) | (ip + N_ARGS[np.clip(op, 0, N_OPS - 1)] >= plen)
    op = np.where(bad, 3, op)
    n, cnt_op = N_ARGS[op], IS_COUNT[op]
    a = [take_(ip + 1 + j) for j in range(3)]
    for j in range(3):                                             # addresses must lie in [Min, len)
        bad |= (n > j) & ~cnt_op & ((a[j] < mn) | (a[j] >= plen))
    v0, v1 = take_(a[0]), take_(a[1])
    # arithmetic and moves: value and destination (0 Jumpleq .. 12 Free, see the docstring)
    val = np.where(op == 4, v0 + v1, np.where(op == 10, v0 - v1, np.where(op == 11, v0 * v1,
          np.where(op == 6, v0, np.where(op == 8, v0 + 1, np.where(op == 9, v0 - 1, 0))))))
    d = DST_ARG[op]
    dst = np.where(d == 2, a[2], np.where(d == 1, a[1], a[0]))
    writes = d >= 0
    bad |= writes & (np.abs(val) > vmax)
    # Allocate / Free move Min by the count a1 in 1..W; GetInput: this task has no input
    newmn = mn + np.where(op == 7, -a[0], 0) + np.where(op == 12, a[0], 0)
    bad |= cnt_op & ((newmn < -W) | (newmn > 0))
    bad |= op == 5
    wp, ww = st["wp"][act], op == 1                                # WriteWeight: w[WP] <- c[a1]
    bad |= ww & (wp >= n_w)
    jump = (op == 2) | ((op == 0) & (v0 <= v1))
    nxt = np.where(jump, np.where(op == 2, a[0], a[2]), ip + 1 + n)
    ok = ~bad
    wr = ok & writes
    tape[act[wr], dst[wr] + W] = val[wr]
    for j in range(W):                                             # zero newly allocated cells
        z = ok & (op == 7) & (newmn + j < mn)
        tape[act[z], newmn[z] + j + W] = 0
    w_ok = ok & ww
    st["w"][act[w_ok], wp[w_ok]] = v0[w_ok]
    st["wp"][act] = wp + w_ok
    st["mn"][act] = np.where(ok, newmn, mn)
    st["ip"][act] = np.where(ok, nxt, ip)
    st["steps"][act] += 1
    st["status"][act] = np.where(bad, ERROR, np.where(op == 3, HALTED, RUNNING))


def run(st: dict, W: int, vmax: int, n_w: int, max_len: int, oracle_on: bool = False) -> dict:
    """Run every program to a halt or its budget. oracle_on: programs grow by oracle requests
    (probabilistic search); otherwise a program that runs off its tape halts."""
    act = np.nonzero(st["status"] == RUNNING)[0]
    while act.size:
        at_end = st["ip"][act] == st["plen"][act]
        if at_end.any():
            if oracle_on:
                oracle(st, act[at_end], W, max_len)
            else:                                                  # fixed program ran off its end
                st["status"][act[at_end]] = HALTED
            act = act[st["status"][act] == RUNNING]
            if not act.size:
                break
        step(st, act, W, vmax, n_w)
        out = (st["status"][act] == RUNNING) & (st["steps"][act] >= st["budget"][act])
        st["status"][act[out]] = TIMEOUT
        act = act[st["status"][act] == RUNNING]
    return st


def solved(st: dict, on: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(B,) bool: halted within budget (normally or on an error) and fits the training set."""
    return (st["status"] != TIMEOUT) & fits(st["w"], on, y)


# ----------------------------------------------------------------------------
# The baseline: gradient descent on the same 3 examples
# ----------------------------------------------------------------------------
def one_hot(on: np.ndarray, n: int) -> np.ndarray:
    """(P, k) on-bit positions -> (P, n) binary input vectors."""
    X = np.zeros((len(on), n))
    X[np.arange(len(on))[:, None], on] = 1.0
    return X


def gradient_descent(X: np.ndarray, y: np.ndarray, w0: np.ndarray, lr: float, steps: int):
    """(6) full-batch descent on E = sum_p (x_p . w - y_p)^2 / (2 P); returns (w, E per step)."""
    w, loss = w0.astype(float).copy(), np.zeros(steps)
    for t in range(steps):
        err = X @ w - y                                            # (P,)
        loss[t] = 0.5 * np.mean(err ** 2)
        w -= lr * X.T @ err / len(y)                               # (6)
    return w, loss


def gd_baselines(cfg: Config, rng) -> dict:
    """Gradient descent from w = 0 and from w ~ U[-gd_init, gd_init]."""
    X, y = one_hot(TRAIN_ON, cfg.n_inputs), targets(TRAIN_ON, cfg.task).astype(float)
    starts = {"zero": np.zeros(cfg.n_inputs),
              "random": rng.uniform(-cfg.gd_init, cfg.gd_init, cfg.n_inputs)}
    return {k: dict(zip(("w", "loss"), gradient_descent(X, y, w0, cfg.gd_lr, cfg.gd_steps)),
                    w0=w0) for k, w0 in starts.items()}


# ----------------------------------------------------------------------------
# Plain Levin search: phases of systematic enumeration
# ----------------------------------------------------------------------------
def shape_table(W: int, max_len: int, max_bits: float) -> list:
    """[(shape, l bits)] of every opcode sequence up to max_len tokens with l <= max_bits."""
    out = []

    def grow(shape, start, bits):
        if shape:
            out.append((shape, bits))
        for op in range(N_OPS):
            n = int(N_ARGS[op])
            if start + 1 + n > max_len:
                continue
            b = bits + np.log2(N_OPS) + sum(np.log2(v) for v in arg_sizes(op, start, W))
            if b <= max_bits + 1e-9:
                grow(shape + (op,), start + 1 + n, b)
    grow((), 0, 0.0)
    return sorted(out, key=lambda t: (sum(1 + int(N_ARGS[o]) for o in t[0]), t[0]))


def new_programs(k: int, table: list, W: int, max_len: int, n_w: int):
    """Programs that enter in phase k (k - 1 < l <= k), as one state, with their l bits."""
    sel = [(s, b) for s, b in table if k - 1 < b <= k + 1e-9]
    if not sel:
        return None
    progs = [shape_programs(s, W) for s, _ in sel]
    st = new_state(sum(map(len, progs)), W, max_len, n_w, 0)
    r = 0
    for p, (_, b) in zip(progs, sel):
        st["tape"][r:r + len(p), W:W + p.shape[1]] = p
        st["code"][r:r + len(p), :p.shape[1]] = p
        st["plen"][r:r + len(p)] = p.shape[1]
        st["bits"][r:r + len(p)] = b
        r += len(p)
    return st


def merge(a: dict, b: dict) -> dict:
    return b if a is None else a if b is None else {k: np.concatenate([a[k], b[k]]) for k in a}


def subset(st: dict, idx: np.ndarray) -> dict:
    return {k: v[idx] for k, v in st.items()}


def run_phase(k: int, pool: dict, table: list, cfg: Config, on, y) -> tuple:
    """(2) Phase k: every program with l <= k runs T = floor(2^(k - l)) steps. A program that
    halted in an earlier phase halts the same way again, so only the programs that timed out
    (`pool`) are continued from where they stopped, with the new programs beside them; the
    counts are those of Levin's re-runs. Returns (phase summary, pool for the next phase)."""
    W, n_w = cfg.work_cells, cfg.n_inputs
    st = merge(pool, new_programs(k, table, W, cfg.max_len, n_w))
    if st is None:
        return {"phase": k, "n_new": 0, "n_running": 0, "found": [],
                "new_per_len": [0] * (cfg.max_len + 1)}, None
    st["budget"] = np.floor(2.0 ** (k - st["bits"]) + 1e-9).astype(np.int64)   # (2) T_k(p)
    st["status"][:] = RUNNING
    run(st, W, cfg.value_max, n_w, cfg.max_len)
    hit = np.flatnonzero(solved(st, on, y))
    found = [(st["code"][i, :st["plen"][i]].tolist(), int(st["steps"][i]),
              float(st["bits"][i])) for i in hit]
    n_pool = 0 if pool is None else len(pool["bits"])
    new_len = np.bincount(st["plen"][n_pool:], minlength=cfg.max_len + 1)
    out = st["status"] == TIMEOUT
    halted = ~out
    summary = {"phase": k, "n_new": int(len(st["bits"]) - (0 if pool is None else len(pool["bits"]))),
               "n_running": int(len(st["bits"])), "n_timeout": int(out.sum()),
               "steps_halted": int(st["steps"][halted].sum()), "steps_timeout": int(st["steps"][out].sum()),
               "new_per_len": new_len.tolist(), "found": found}
    return summary, subset(st, np.flatnonzero(out))


def plain_search(cfg: Config, on: np.ndarray, y: np.ndarray, log=None, table=None) -> list:
    """Phases 1, 2, ... up to the first phase with a fitting program (or cfg.max_phase).
    Adds to each phase n_programs (runs in the phase: every program with l <= k) and steps
    (Levin's count: halted programs' runtimes plus the timed-out programs' budgets)."""
    if table is None:                              # (a test passes a restricted table)
        table = shape_table(cfg.work_cells, cfg.max_len, cfg.max_phase)
    phases, pool, n_total, halted_steps = [], None, 0, 0
    per_len = np.zeros(cfg.max_len + 1, dtype=np.int64)
    for k in range(1, cfg.max_phase + 1):
        ph, pool = run_phase(k, pool, table, cfg, on, y)
        n_total += ph["n_new"]
        per_len += ph["new_per_len"]
        ph["per_len"] = per_len.tolist()          # programs run in phase k, by length
        halted_steps += ph.get("steps_halted", 0)
        ph["n_programs"] = n_total
        ph["steps"] = halted_steps + ph.get("steps_timeout", 0)
        phases.append(ph)
        if log:
            log(k, cfg.max_phase, {"plain_phase": k, "programs": n_total,
                                   "timeouts": ph.get("n_timeout", 0), "fits": len(ph["found"])})
        if ph["found"]:
            break
    return phases


def plain_counts(phases: list, rng) -> tuple:
    """Programs executed until the first fit when each phase runs in a random order:
    all runs of earlier phases + the first fit's place in a random permutation of its phase."""
    last = phases[-1]
    if not last["found"]:
        return None, None
    before = sum(p["n_programs"] for p in phases[:-1])
    slots = rng.choice(last["n_programs"], size=len(last["found"]), replace=False)
    j = int(np.argmin(slots))
    return before + int(slots[j]) + 1, last["found"][j]


# ----------------------------------------------------------------------------
# Probabilistic Levin search: independent runs, programs grown by oracles
# ----------------------------------------------------------------------------
def time_limits(rng, size: int, J: int, law: str = "geometric") -> np.ndarray:
    """(3) T = 2^j with P(j) = 2^-j for j < J and the remaining 2^-(J-1) on j = J;
    law "uniform" (an ablation): j uniform on 1..J."""
    u = rng.random(size)
    if law == "uniform":
        return 2 ** (np.floor(u * J).astype(np.int64) + 1)
    j = np.minimum(np.floor(-np.log2(1.0 - u)).astype(np.int64) + 1, J)
    return 2 ** j


def prob_round(rngs: list, active: list, cfg: Config, on: np.ndarray, y: np.ndarray) -> tuple:
    """One chunk of `chunk` runs for every active search, side by side: (state, ok (A, chunk)).
    Each run's time limit and oracle numbers come from its search's own streams, one row per
    run, so a search's runs do not depend on the chunk size or on the other searches."""
    C, A = cfg.chunk, len(active)
    T = np.concatenate([time_limits(rngs[i]["time"], C, cfg.time_exp_max, cfg.time_law)
                        for i in active])
    st = new_state(A * C, cfg.work_cells, cfg.max_len, cfg.n_inputs, T)
    st["u"] = np.concatenate([rngs[i]["oracle"].random((C, cfg.max_len)) for i in active])
    run(st, cfg.work_cells, cfg.value_max, cfg.n_inputs, cfg.max_len, oracle_on=True)
    return st, solved(st, on, y).reshape(A, C)


def prob_search(cfg: Config, on: np.ndarray, y: np.ndarray, log=None) -> dict:
    """n_seeds independent probabilistic searches, each to its first fitting run (or the cap)."""
    S, C = cfg.n_seeds, cfg.chunk
    rngs = [seed_streams(s, ("order", "oracle", "time")) for s in range(cfg.seed, cfg.seed + S)]
    runs, steps = np.zeros(S, np.int64), np.zeros(S, np.int64)
    done = np.zeros(S, bool)
    found = [None] * S
    first = {}                                     # the first search's first chunk, for the figures
    for rnd in range(-(-cfg.max_runs // C)):
        active = [i for i in range(S) if not done[i]]
        if not active:
            break
        st, ok = prob_round(rngs, active, cfg, on, y)
        for j, i in enumerate(active):
            take = int(min(C, cfg.max_runs - runs[i]))
            hit = np.flatnonzero(ok[j, :take])
            used = int(hit[0]) + 1 if hit.size else take
            rows = j * C + np.arange(used)
            runs[i] += used
            steps[i] += int(st["steps"][rows].sum())
            if i == 0 and rnd == 0:
                first = {k: st[k][rows] for k in ("plen", "steps", "budget", "status", "bits")}
            if hit.size:
                r = j * C + int(hit[0])
                done[i] = True
                found[i] = {"program": st["code"][r, :st["plen"][r]].tolist(),
                            "steps": int(st["steps"][r]), "T": int(st["budget"][r]),
                            "bits": float(st["bits"][r]), "weights": st["w"][r].copy()}
        if log:
            log(int(done.sum()), S, {"round": rnd + 1, "runs_each": (rnd + 1) * C})
    return {"runs": runs, "steps": steps, "solved": done, "found": found, "first_chunk": first}


def program_weights(program: list, cfg: Config, budget: int) -> tuple:
    """Run one fixed program: (weights (n_inputs,), steps, status)."""
    st = load_programs(np.array([program]), cfg.work_cells, cfg.max_len, cfg.n_inputs, budget)
    run(st, cfg.work_cells, cfg.value_max, cfg.n_inputs, cfg.max_len)
    return st["w"][0], int(st["steps"][0]), int(st["status"][0])


def train(cfg: Config, log=None):
    """Plain Levin search (once; the seeds only reorder its phases), n_seeds probabilistic
    Levin searches on the 3 training examples, and the gradient-descent baselines."""
    t0 = time.process_time()
    on, y = TRAIN_ON, targets(TRAIN_ON, cfg.task)
    phases = plain_search(cfg, on, y, log) if cfg.plain else []
    plain_s = time.process_time() - t0
    prob = prob_search(cfg, on, y, log)
    plain_runs, plain_found = [], []
    for s in range(cfg.seed, cfg.seed + cfg.n_seeds):
        if phases and phases[-1]["found"]:
            n, f = plain_counts(phases, seed_streams(s, ("order", "oracle", "time"))["order"])
            plain_runs.append(n)
            plain_found.append(f)
    for ph in phases:                              # the weights of every plain-search fit
        ph["found"] = [(p, st, b, program_weights(p, cfg, st)[0]) for p, st, b in ph["found"]]
    gd = gd_baselines(cfg, seed_streams(cfg.seed, ("gd",))["gd"])
    model = {"prob": prob, "plain_phases": phases, "plain_runs": np.array(plain_runs, np.int64),
             "gd": gd,
             "plain_found": plain_found, "seeds": np.arange(cfg.seed, cfg.seed + cfg.n_seeds)}
    history = {"plain_cpu_s": plain_s, "search_cpu_s": time.process_time() - t0}
    return model, history


def trace_program(program: list, cfg: Config, max_steps: int = 10000) -> list:
    """Execute one program step by step: [(ip, opcode, work+program cells, WP)] before each step,
    and the final state last (for the figures and the GIF)."""
    st = load_programs(np.array([program]), cfg.work_cells, cfg.max_len, cfg.n_inputs, max_steps)
    out, W = [], cfg.work_cells
    while st["status"][0] == RUNNING and st["ip"][0] != st["plen"][0]:
        ip = int(st["ip"][0])
        out.append((ip, int(st["tape"][0, ip + W]), st["tape"][0].copy(), int(st["wp"][0])))
        step(st, np.array([0]), W, cfg.value_max, cfg.n_inputs)
    out.append((int(st["ip"][0]), -1, st["tape"][0].copy(), int(st["wp"][0])))
    return out


# ----------------------------------------------------------------------------
# Evaluation: every found net on all unseen inputs
# ----------------------------------------------------------------------------
def evaluate(model: dict, cfg: Config) -> dict:
    """Train and held-out (all C(100,3) - 3 unseen inputs) exactness of every found net."""
    test_on = test_inputs(cfg.n_inputs, cfg.n_on, TRAIN_ON)
    y_test = targets(test_on, cfg.task)
    y_train = targets(TRAIN_ON, cfg.task)
    out = {"n_test": int(len(test_on))}
    nets = {"prob": [f["weights"] for f in model["prob"]["found"] if f is not None],
            "plain": [f[3] for ph in model["plain_phases"] for f in ph["found"]]}
    for name, ws in nets.items():
        if not ws:
            out[name + "_test_exact"] = np.zeros(0, bool)
            out[name + "_train_exact"] = np.zeros(0, bool)
            continue
        W = np.stack(ws)                                           # (F, n_inputs)
        out[name + "_train_exact"] = fits(W, TRAIN_ON, y_train)
        acc = np.concatenate([(net_output(W[i:i + 64], test_on) == y_test).mean(-1)
                              for i in range(0, len(W), 64)])
        out[name + "_test_acc"] = acc
        out[name + "_test_exact"] = acc == 1.0
    for name, g in model.get("gd", {}).items():                    # real-valued: exact = rounds right
        for split, on, yy in (("train", TRAIN_ON, y_train), ("test", test_on, y_test)):
            pred = g["w"][on].sum(-1)
            out[f"gd_{name}_{split}_exact"] = float((np.abs(pred - yy) < 0.5).mean())
            out[f"gd_{name}_{split}_mae"] = float(np.abs(pred - yy).mean())
    return out


def summarise(cfg: Config, model: dict, history: dict) -> dict:
    cpu0 = time.process_time()
    ev = evaluate(model, cfg)
    p = model["prob"]
    r = p["runs"][p["solved"]].astype(float)
    q = np.percentile(r, [25, 50, 75]).tolist() if r.size else [None] * 3
    found = [f for f in p["found"] if f is not None]
    phases = model["plain_phases"]
    plain_fits = [f for ph in phases for f in ph["found"]]
    pr = model["plain_runs"].astype(float)
    all_steps = [f["steps"] for f in found] + [f[1] for f in plain_fits]
    total = int(p["runs"].sum())
    m = {
        "fits_per_run": float(p["solved"].sum() / total),
        "total_runs": total, "total_search_steps": int(p["steps"].sum()),
        "mean_runs": float(r.mean()) if r.size else None,      # None: no search found a fit
        "mean_runs_std": float(r.std(ddof=1)) if r.size > 1 else 0.0,
        "median_runs": q[1], "runs_q25": q[0], "runs_q75": q[2],
        "n_runs": int(cfg.n_seeds), "n_solved": int(p["solved"].sum()),
        "mean_search_steps": float(p["steps"][p["solved"]].mean()) if r.size else None,
        "runs": [int(v) for v in p["runs"]],
        "frac_generalising": float(ev["prob_test_exact"].mean()) if found else 0.0,
        "n_test": ev["n_test"],
        "max_solution_steps": int(max(all_steps)) if all_steps else 0,
        "prob_programs": [f["program"] for f in found],
        "prob_solution_steps": [f["steps"] for f in found],
        "prob_solution_bits": [round(f["bits"], 3) for f in found],
    }
    if phases:
        m.update({
            "levin_solution_steps": int(min(f[1] for f in phases[-1]["found"]))
            if phases[-1]["found"] else 0,
            "plain_phase": int(phases[-1]["phase"]),
            "plain_distinct_programs": int(phases[-1]["n_programs"]),
            "plain_runs_total": int(sum(ph["n_programs"] for ph in phases)),
            "plain_steps_total": int(sum(ph["steps"] for ph in phases)),
            "plain_mean_runs": float(pr.mean()) if pr.size else None,
            "plain_median_runs": float(np.median(pr)) if pr.size else None,
            "plain_min_runs": int(pr.min()) if pr.size else 0,
            "plain_max_runs": int(pr.max()) if pr.size else 0,
            "plain_programs": [f[0] for f in plain_fits],
            "plain_solution_steps": [f[1] for f in plain_fits],
            "plain_solution_bits": [round(f[2], 3) for f in plain_fits],
            "plain_frac_generalising": float(ev["plain_test_exact"].mean()) if plain_fits else 0.0,
            "plain_per_phase": [[ph["phase"], ph["n_programs"], ph.get("n_timeout", 0)]
                                for ph in phases],
        })
    W, prog = cfg.work_cells, CANONICAL
    w, steps, _ = program_weights(prog, cfg, 100000)
    bits = shape_bits(tuple(prog[i] for i in (0, 2, 4, 6)), W)
    m.update({"canonical_program": prog, "canonical_bits": round(bits, 3),
              "canonical_steps": steps, "canonical_phase": int(np.ceil(bits + np.log2(steps))),
              "canonical_fits": bool(fits(w[None], TRAIN_ON, targets(TRAIN_ON, cfg.task))[0])})
    for k in ("zero", "random"):
        for key in ("train_exact", "test_exact", "test_mae"):
            m[f"gd_{k}_{key}"] = round(ev[f"gd_{k}_{key}"], 6)
        g = model["gd"][k]
        m[f"gd_{k}_moved"] = int((np.abs(g["w"] - g["w0"]) > 1e-6).sum())   # weights it changed
    m["search_cpu_s"] = round(float(history["search_cpu_s"]), 2)
    m["plain_cpu_s"] = round(float(history["plain_cpu_s"]), 2)
    m["test_cpu_s"] = round(float(time.process_time() - cpu0), 2)
    return m


# (0) Allocate(1); (2) WriteWeight(-1); (4) Increment(-1); (6) Jump(2): w_i = i (hand-written)
CANONICAL = [7, 1, 1, -1, 8, -1, 2, 2]


def program_text(program: list) -> str:
    """Tokens -> 'Name(args); ...' in address order."""
    out, i = [], 0
    while i < len(program):
        op = program[i]
        n = int(N_ARGS[op]) if 0 <= op < N_OPS else 0
        out.append(f"({i}) {NAMES[op]}({', '.join(map(str, program[i + 1:i + 1 + n]))})")
        i += 1 + n
    return "; ".join(out)


def describe(cfg: Config, metrics: dict) -> dict:
    m, P, C = metrics, PAPER["metrics"], PAPER["context"]
    summary = (f"{m['n_solved']} fits in {m['total_runs']:,} probabilistic runs "
               f"({m['fits_per_run']:.3g} per run; paper {P['fits_per_run']:.3g}, 10 in "
               f"{C['runs_total']:.2g}); plain Levin search finds none up to phase "
               f"{m.get('plain_phase', 0)}, the hand-written {len(m['canonical_program'])}-token "
               f"solution needs phase {m['canonical_phase']}; gradient descent fits the 3 "
               f"examples and is exact on {m['gd_zero_test_exact']:.2%} of the unseen inputs")
    rows = [["probabilistic search: fits / runs",
             f"{m['n_solved']} / {m['total_runs']:,} = {m['fits_per_run']:.3g}",
             f"10 / {C['runs_total']:.2g} = {P['fits_per_run']:.3g}"],
            ["runs to the first fit", f"{m['mean_runs']:.4g} (mean over {m['n_solved']} fits)"
             if m["n_solved"] else f"none within {cfg.max_runs:,} runs per search",
             f"{C['first_fit_runs']:,}"],
            ["search time steps", f"{m['total_search_steps']:.3g}",
             f"{C['search_steps_total']:.3g}"],
            ["fits exact on all unseen inputs",
             f"{m['frac_generalising']:.0%} of {m['n_solved']}" if m["n_solved"] else "-",
             f"{C['fits_generalising']} of {C['fits']}"],
            ["hand-written solution " + program_text(m["canonical_program"]),
             f"l = {m['canonical_bits']:.1f} bits, {m['canonical_steps']} steps: first fits in "
             f"phase {m['canonical_phase']}", "-"]]
    if "plain_phase" in m:
        rows.append(["plain Levin search: phases run, distinct programs, fits",
                     f"1-{m['plain_phase']}, {m['plain_distinct_programs']:,}, "
                     f"{len(m['plain_programs'])}", "-"])
    for k, words in (("zero", "from w = 0"), ("random", f"from U[-{cfg.gd_init:g}, {cfg.gd_init:g}]")):
        rows.append([f"gradient descent {words}: exact on train / on unseen inputs (mean |error|)",
                     f"{m[f'gd_{k}_train_exact']:.0%} / {m[f'gd_{k}_test_exact']:.2%} "
                     f"({m[f'gd_{k}_test_mae']:.1f})", "fails to generalise (argued)"])
    if m["prob_programs"]:
        rows.append(["first fitting program found", program_text(m["prob_programs"][0]), "-"])
    return {"summary": summary,
            "table": {"columns": ["quantity", "ours", "paper"], "rows": rows},
            "label": "fitting programs per probabilistic Levin-search run",
            "tolerance": {"rel": 1e-9, "basis": "deterministic: same seeds, same machine give "
                          "bit-identical counts"}}


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
