"""The 8-3-8 encoder learned by back-propagation.

Rumelhart, D. E., Hinton, G. E. & Williams, R. J. (1986). Learning internal
representations by error propagation. In Rumelhart & McClelland (eds.),
Parallel Distributed Processing, vol. 1, ch. 8, MIT Press ("The encoding
problem"; the problem is from Ackley, Hinton & Sejnowski 1985).

The task. Eight one-hot input patterns must be reproduced at eight output
units through a bottleneck of three sigmoid hidden units. Three units can
tell eight patterns apart only if the net invents a code for them. The
chapter's claim is that the generalized delta rule finds such a code; the
code it shows for one trained net uses intermediate hidden values as well as
0 and 1. A single attempt has *learned* the encoder when every output unit is
on the right side of 0.5 for every pattern (the verdict statistic: the share
of single attempts that learn it). It is *strictly solved* (our stricter test)
when, in addition, the eight hidden vectors thresholded at 0.5 are eight
distinct 3-bit codes, one corner of the unit cube per pattern.

The generalized delta rule with momentum, as implemented (p indexes patterns,
j units, i the units feeding j; one weight change per sweep through the 8
patterns; the bias theta_j is the weight from a unit that is always on;
equation numbers are the chapter's):

    net_pj = sum_i w_ji o_pi + theta_j,  o_pj = 1 / (1 + exp(-net_pj))   (15)
    output:  delta_pj = (t_pj - o_pj) o_pj (1 - o_pj)                     (13)
    hidden:  delta_pj = o_pj (1 - o_pj) sum_k delta_pk w_kj               (14)
    Delta w_ji(n+1) = eta sum_p delta_pj o_pi + alpha Delta w_ji(n)       (16)

with E = 1/2 sum_p sum_j (t_pj - o_pj)^2. The modern variant (--modern) uses
the cross-entropy E = -sum_p sum_j [t ln o + (1 - t) ln(1 - o)], whose output
delta is (t_pj - o_pj) (13'), with eta / 4. All seeds train at once: every
array carries a leading seed axis S, so a 100-seed run is one array program.

Restarts (ours, reported beside the verdict, not part of it). A single attempt
can settle on a code with 7 distinct corners (two patterns share one; all 8
still reconstructed). The restart run cuts every attempt at K sweeps and starts
again from fresh weights; K minimises E[min(T, K)] / P(T <= K) over the
single-attempt solve times T of the same run (Luby, Sinclair & Zuckerman 1993).

Deviations (README): eta, alpha and the initial weight range are assumed; the
strict criterion and the restart wrapper are ours; the modern variant is not
the paper's recipe.

    python3 encoder-backprop-8-3-8/encoder_backprop_8_3_8.py --seed 10000 --n-seeds 100 --results encoder-backprop-8-3-8/results.json
    python3 encoder-backprop-8-3-8/encoder_backprop_8_3_8.py --seed 10000 --n-seeds 100 --modern --results encoder-backprop-8-3-8/runs/modern.json
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

SLUG = "encoder-backprop-8-3-8"


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000            # first seed; seeds seed .. seed+n_seeds-1 train together as one batch
    n_seeds: int = 100           # networks trained (single attempts the rates are over)
    quick: bool = False          # reduced run for tests and smoke runs: 10 seeds, 3000-sweep cap
    modern: bool = False         # modern variant (not the paper's): cross-entropy, eta 0.025
    n_patterns: int = 8          # one-hot patterns = input units = output units (paper: 8)
    n_hidden: int = 3            # hidden units (paper: 3 = log2 8)
    loss: str = "sse"            # "sse" (paper: squared error) or "xent" (cross-entropy)
    lr: float = 0.1              # eta (assumed; README, Deviation 1)
    momentum: float = 0.9        # alpha (assumed; README, Deviation 1)
    init_range: float = 0.5      # weights and biases start uniform in [-r, r] (assumed: small, random)
    max_epochs: int = 20000      # sweep cap of a single attempt
    max_attempts: int = 200      # cap on attempts per seed in the restart run (ours)
    showcase_epochs: int = 3000  # sweeps of the two showcase nets the figures draw (no early stop)
    log_every: int = 10          # sweeps between history entries (and showcase snapshots)
    dev_seeds: tuple = (0, 10000)          # development block [first, end): every choice made so far
    report_seeds: tuple = (10000, 11000)   # reporting block [first, end): headline and rates only
    verdict_metric: str = "learned_rate"   # the paper's claim as a rate: single attempts that learn
    verdict_sense: str = "at_least"        # a higher share is better
    verdict_tol: float = 0.05              # yes: >= 95% of single attempts learn (paper: it learns)
    verdict_partial: float = 0.25          # partial: >= 75%
    PRESETS: ClassVar[dict] = {
        "modern": dict(loss="xent", lr=0.025),
        "quick": dict(n_seeds=10, max_epochs=3000),
    }

    def __post_init__(self):
        if self.loss not in ("sse", "xent"):
            raise ValueError(f"--loss must be sse or xent, got {self.loss!r}")
        for name in ("n_patterns", "n_hidden", "max_epochs", "max_attempts", "showcase_epochs",
                     "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be positive, "
                                 f"got {getattr(self, name)}")
        if not (self.lr > 0 and 0 <= self.momentum < 1 and self.init_range > 0):
            raise ValueError("--lr and --init-range must be > 0 and --momentum in [0, 1)")
        if 2 ** self.n_hidden < self.n_patterns:
            raise ValueError(f"{self.n_hidden} hidden units cannot code {self.n_patterns} patterns")


PAPER = {
    "citation": "Rumelhart, D. E., Hinton, G. E. & Williams, R. J. (1986). Learning internal "
                "representations by error propagation. In Parallel Distributed Processing, "
                "vol. 1, ch. 8. MIT Press.",
    "year": 1986,
    "metrics": {"learned_rate": 1.0},
    "runs": 1,
    "source": "ch. 8, 'The encoding problem': the chapter states that the generalized delta rule "
              "learns the 8-3-8 encoder and shows the hidden code of one trained net (its values "
              "include intermediates, not only 0 and 1). It states no success rate over runs and "
              "no sweep count for this problem; learned_rate = 1.0 is that qualitative claim "
              "written as a rate, not a number printed in the paper.",
}
EARLIER = {"metrics": {"solve_rate_single": 0.70, "seed0_epochs": 3631, "n_seeds": 30},
           "note": "cross-entropy, full-batch GD with momentum: 21/30 seeds strict within 20,000 "
                   "epochs, seed 0 in 3,631; no restarts; about 1 s"}


# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------
def make_patterns(n: int = 8):
    """(X1, T): n one-hot input patterns as rows with the always-on bias unit appended
    (P, I+1), and the targets, which equal the patterns (P, O)."""
    X = np.eye(n)
    return np.hstack([X, np.ones((n, 1))]), X


# ----------------------------------------------------------------------------
# Model: a batch of S independent 8-3-8 networks
# ----------------------------------------------------------------------------
def init_rng(seed: int, attempt: int = 0) -> np.random.Generator:
    """Generator for the weights of `attempt` of `seed`: the attempt-th child of the
    seed's "init" stream (the only stream of seed_streams(seed, ("init",)))."""
    init_stream = seed_streams(seed, ("init",))["init"].bit_generator.seed_seq
    return np.random.default_rng(init_stream.spawn(attempt + 1)[attempt])


def init_params(seed: int, attempt: int, r: float, I: int, H: int) -> dict:
    """One network's weights, uniform in [-r, r]. A bias is the weight from a unit that is
    always on: the last row of each matrix."""
    rng = init_rng(seed, attempt)
    return {"W_hi": rng.uniform(-r, r, (I + 1, H)),   # input (+ bias unit) -> hidden, (I+1, H)
            "W_oh": rng.uniform(-r, r, (H + 1, I))}   # hidden (+ bias unit) -> output, (H+1, O)


def init_batch(seeds, attempt: int, r: float, I: int, H: int) -> dict:
    """Per-seed parameters stacked on a leading seed axis: W_hi (S, I+1, H), W_oh (S, H+1, O)."""
    ps = [init_params(int(s), attempt, r, I, H) for s in seeds]
    return {k: np.stack([p[k] for p in ps]) for k in ps[0]}


def with_bias_unit(a: np.ndarray) -> np.ndarray:
    """Append the always-on unit (activation 1) to the last axis."""
    return np.concatenate([a, np.ones(a.shape[:-1] + (1,))], axis=-1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def forward(P: dict, X1: np.ndarray):
    """Hidden (S, P, H) and output (S, P, O) activations of every seed for every pattern."""
    h = sigmoid(X1 @ P["W_hi"])                             # (15) o_pj = f(net_pj)
    o = sigmoid(with_bias_unit(h) @ P["W_oh"])              # (15)
    return h, o


def loss_fn(o: np.ndarray, T: np.ndarray, loss: str) -> np.ndarray:
    """E per seed, (S,): summed over patterns and output units."""
    if loss == "sse":
        return 0.5 * ((T - o) ** 2).sum(axis=(1, 2))
    eps = 1e-300
    return -(T * np.log(o + eps) + (1 - T) * np.log(1 - o + eps)).sum(axis=(1, 2))


def backward(P: dict, X1: np.ndarray, T: np.ndarray, h: np.ndarray, o: np.ndarray,
             loss: str) -> dict:
    """-dE/dW of both weight matrices: the generalized delta rule's sums over patterns."""
    H = h.shape[-1]
    d_o = (T - o) * o * (1 - o) if loss == "sse" else (T - o)   # (13) / (13'), (S, P, O)
    d_h = h * (1 - h) * (d_o @ np.swapaxes(P["W_oh"][:, :H], 1, 2))   # (14), (S, P, H)
    return {"W_oh": np.swapaxes(with_bias_unit(h), 1, 2) @ d_o,   # sum_p delta_pk o_pj (S, H+1, O)
            "W_hi": X1.T @ d_h}                                  # sum_p delta_pj o_pi (S, I+1, H)


def codes(h: np.ndarray) -> np.ndarray:
    """Binarised hidden vectors as integers 0 .. 2^H - 1, (S, P)."""
    bits = 2 ** np.arange(h.shape[-1])[::-1]
    return (h > 0.5) @ bits


def n_distinct(c: np.ndarray) -> np.ndarray:
    """Number of distinct codes per seed, (S,)."""
    c = np.sort(c, axis=1)
    return 1 + (np.diff(c, axis=1) != 0).sum(axis=1)


def n_reconstructed(o: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Patterns whose every output unit is on the right side of 0.5, (S,)."""
    return ((o > 0.5) == (T > 0.5)).all(axis=2).sum(axis=1)


def is_strict(h: np.ndarray, o: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Strict solve per seed, (S,): every output right of 0.5 and all codes distinct."""
    all_right = ((o > 0.5) == (T > 0.5)).all(axis=(1, 2))
    all_distinct = (np.diff(np.sort(codes(h), axis=1), axis=1) != 0).all(axis=1)
    return all_right & all_distinct


def shared_pair(h: np.ndarray) -> tuple:
    """Patterns sharing the most common binarised code of one net's hidden vectors h (P, H);
    () if all codes are distinct."""
    c = codes(h[None])[0]
    vals, counts = np.unique(c, return_counts=True)
    if counts.max() < 2:
        return ()
    return tuple(int(p) for p in np.flatnonzero(c == vals[np.argmax(counts)]))


# ----------------------------------------------------------------------------
# Training: all seeds as one batch, optional restarts
# ----------------------------------------------------------------------------
def delta_rule_step(P: dict, V: dict, X1, T, h, o, lr: float, momentum: float, loss: str):
    """(16): Delta w(n+1) = eta * sum_p delta_pj o_pi + alpha * Delta w(n); w += Delta w(n+1)."""
    G = backward(P, X1, T, h, o, loss)
    for k in P:
        V[k] *= momentum
        V[k] += lr * G[k]
        P[k] += V[k]


def record_row(log: dict, S: int, act, h, o, T, loss: str, step: int) -> None:
    """Append the curves of the seeds still training; NaN for seeds that stopped."""
    for key, val in (("loss", loss_fn(o, T, loss)), ("reconstructed", n_reconstructed(o, T)),
                     ("distinct_codes", n_distinct(codes(h)))):
        row = np.full(S, np.nan)
        row[act] = val
        log[key].append(row)
    log["t"].append(step)


def run_attempts(cfg: Config, seeds, restart_epochs: int = 0, first_attempt: int = 0,
                 max_epochs=None, stop_at_solve: bool = True, snapshots: bool = False,
                 log=None):
    """Train one net per seed as one batch; each stops at its first strict solve (if
    stop_at_solve) or at the cap. With restart_epochs = K > 0 an attempt unsolved after K
    sweeps restarts from fresh weights (attempt k of seed s draws from child k of the seed's
    init stream, so attempt 0 is the single-attempt run). Returns (weights (S, ...), history)."""
    X1, T = make_patterns(cfg.n_patterns)
    seeds = np.asarray(seeds)
    S, cap = len(seeds), max_epochs or cfg.max_epochs
    budget = restart_epochs or cap                                   # sweeps per attempt
    max_steps = budget * cfg.max_attempts if restart_epochs else cap
    P_all = init_batch(seeds, first_attempt, cfg.init_range, cfg.n_patterns, cfg.n_hidden)
    solve_epoch, total = np.full(S, -1), np.zeros(S, dtype=np.int64)
    attempts = np.full(S, first_attempt + 1, dtype=np.int64)
    st = {"act": np.arange(S), "ep": np.zeros(S, dtype=np.int64),      # batch rows still training
          "P": {k: v.copy() for k, v in P_all.items()},
          "V": {k: np.zeros_like(v) for k, v in P_all.items()}}      # last change Delta w(n)
    hist = {"t": [], "loss": [], "reconstructed": [], "distinct_codes": []}
    snaps = []
    for step in range(max_steps + 1):
        h, o = forward(st["P"], X1)
        if step % cfg.log_every == 0:
            record_row(hist, S, st["act"], h, o, T, cfg.loss, step)
            if snapshots and st["act"].size and st["act"][0] == 0:
                snaps.append((step, h[0].copy(), o[0].copy()))
            if log:
                log(step, max_steps, {"training": int(st["act"].size),
                                      "strict solves": int((solve_epoch >= 0).sum())})
        solved = is_strict(h, o, T)
        first = solved & (solve_epoch[st["act"]] < 0)
        solve_epoch[st["act"][first]] = st["ep"][first]
        out = st["ep"] >= budget
        give_up = out & ~solved
        if restart_epochs:
            give_up &= attempts[st["act"]] >= cfg.max_attempts
        stop = give_up | (solved & stop_at_solve) | (step == max_steps)
        keep = ~stop
        if stop.any():                                # drop stopped seeds from the batch
            drop_stopped(st, stop, P_all, total)
            h, o, solved, out = h[keep], o[keep], solved[keep], out[keep]
            if st["act"].size == 0:
                break
        if restart_epochs and (out & ~solved).any():
            restart(st, np.flatnonzero(out & ~solved), seeds, attempts, total, cfg)
            h, o = forward(st["P"], X1)
        delta_rule_step(st["P"], st["V"], X1, T, h, o, cfg.lr, cfg.momentum, cfg.loss)
        st["ep"] += 1
    return P_all, {"seeds": seeds, "solve_epoch": solve_epoch, "total_epochs": total,
                   "attempts": attempts, "snapshots": snaps,
                   **{k: np.array(v) for k, v in hist.items()}}


def drop_stopped(st: dict, stop, P_all: dict, total) -> None:
    """Store the final weights of the stopped rows and remove them from the batch."""
    act = st["act"]
    for k in st["P"]:
        P_all[k][act[stop]] = st["P"][k][stop]
    total[act[stop]] += st["ep"][stop]
    keep = ~stop
    st["act"], st["ep"] = act[keep], st["ep"][keep]
    st["P"] = {k: v[keep] for k, v in st["P"].items()}
    st["V"] = {k: v[keep] for k, v in st["V"].items()}


def restart(st: dict, rows, seeds, attempts, total, cfg: Config) -> None:
    """Rows that used their K sweeps unsolved start again from fresh weights."""
    for i in rows:
        s = st["act"][i]
        total[s] += st["ep"][i]
        fresh = init_params(int(seeds[s]), int(attempts[s]), cfg.init_range, cfg.n_patterns,
                            cfg.n_hidden)
        attempts[s] += 1
        for k in st["P"]:
            st["P"][k][i], st["V"][k][i] = fresh[k], 0.0
        st["ep"][i] = 0


def expected_restart_cost(solve_epoch: np.ndarray, K: int) -> float:
    """Expected sweeps to a strict solve when every attempt is cut at K sweeps:
    E[min(T, K)] / P(T <= K), T the single-attempt solve times (-1 = never within the cap)."""
    T_ = np.where(solve_epoch >= 0, solve_epoch, np.iinfo(np.int64).max)
    p = np.mean(T_ <= K)
    return float(np.mean(np.minimum(T_, K)) / p) if p > 0 else np.inf


def best_restart_cutoff(solve_epoch: np.ndarray, cap: int):
    """(K, expected cost): the cutoff minimising expected_restart_cost; the optimum sits at
    one of the observed solve times, so only those are tried."""
    best = (cap, np.inf)
    for K in np.unique(solve_epoch[solve_epoch >= 0]):
        cost = expected_restart_cost(solve_epoch, K)
        if cost < best[1]:
            best = (int(K), cost)
    return best


def showcase_seeds(hist: dict, ev: dict) -> dict:
    """The two nets the figures draw: the solved single attempt whose sweeps-to-solve is
    nearest the median (representative of the solved runs) and the first single attempt
    that ends stuck with 7 distinct codes (labelled as a stuck run)."""
    se, out = hist["solve_epoch"], {}
    ok = np.flatnonzero(se >= 0)
    if ok.size:
        out["solved"] = int(hist["seeds"][ok[np.argmin(np.abs(se[ok] - np.median(se[ok])))]])
    stuck = [s for s, p in enumerate(ev["pairs"]) if p is not None and not ev["strict"][s]]
    if stuck:
        out["stuck"] = int(hist["seeds"][stuck[0]])
    return out


def train(cfg: Config, log=None):
    """The headline: every seed's single attempt (the paper's recipe), then the restart run
    at the cost-optimal cutoff K (ours), then the two showcase nets, trained
    cfg.showcase_epochs sweeps without stopping, with hidden-activation snapshots.
    Returns (model, history), each a dict over "single", "restart" and "showcase"."""
    seeds = np.arange(cfg.seed, cfg.seed + cfg.n_seeds)
    t0 = time.time()
    P1, h1 = run_attempts(cfg, seeds, log=log)
    t1 = time.time()
    K, expected = best_restart_cutoff(h1["solve_epoch"], cfg.max_epochs)
    if not (h1["solve_epoch"] >= 0).any():        # nothing to fit a cutoff on: no restart run
        K, expected = 0, None
    P2, h2 = run_attempts(cfg, seeds, restart_epochs=K, log=log) if K else (P1, h1)
    t2 = time.time()
    model = {"single": P1, "restart": P2, "showcase": {}}
    history = {"single": h1, "restart": h2, "restart_epochs": K, "expected_cost": expected,
               "showcase": {}, "single_s": t1 - t0, "restart_s": t2 - t1}
    for name, s in showcase_seeds(h1, evaluate_nets(P1, cfg)).items():
        model["showcase"][name], history["showcase"][name] = run_attempts(
            cfg, [s], max_epochs=cfg.showcase_epochs, stop_at_solve=False, snapshots=True)
    return model, history


# ----------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------
def evaluate_nets(P: dict, cfg: Config) -> dict:
    """Per-net final state (S, ...): activations, codes, distinct codes, reconstructed
    patterns, strict solve, learned, and for nets with 7 distinct codes the sharing pair."""
    X1, T = make_patterns(cfg.n_patterns)
    h, o = forward(P, X1)
    c = codes(h)
    nd = n_distinct(c)
    rec = n_reconstructed(o, T)
    pairs = [shared_pair(h[s]) if nd[s] == cfg.n_patterns - 1 else None for s in range(len(c))]
    return {"h": h, "o": o, "codes": c, "distinct_codes": nd, "reconstructed": rec,
            "learned": rec == cfg.n_patterns,
            "strict": (nd == cfg.n_patterns) & (rec == cfg.n_patterns), "pairs": pairs}


def evaluate(model: dict, cfg: Config) -> dict:
    """Final state of every net of the single attempts and of the restart run."""
    return {k: evaluate_nets(model[k], cfg) for k in ("single", "restart")}


def stuck_pairs(ev: dict, cfg: Config, idx: list) -> dict:
    """Which pair shares a code in the stuck runs idx: counts over the 28 pairs and the
    chi-square against a uniform spread (27 dof)."""
    n = cfg.n_patterns
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    counts = np.array([sum(ev["pairs"][s] == p for s in idx) for p in all_pairs])
    expected = len(idx) / len(all_pairs)
    return {"pair_counts": counts.tolist(), "pair_counts_max": int(counts.max()),
            "n_distinct_pairs": int((counts > 0).sum()),
            "pair_chi2": float(((counts - expected) ** 2 / expected).sum()),
            "pair_chi2_dof": len(all_pairs) - 1}


def init_similarity(cfg: Config, ev: dict, idx: list, seeds) -> dict:
    """Is the pair foretold? Rank (1 = most alike of 28) of the pair's initial weight vectors:
    input i's row of W_hi joined with output i's column of W_oh."""
    n, H = cfg.n_patterns, cfg.n_hidden
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    ranks = []
    for s in idx:
        P0 = init_params(int(seeds[s]), 0, cfg.init_range, n, H)
        v = np.hstack([P0["W_hi"][:n], P0["W_oh"][:H].T])          # (P, 2H)
        d = np.array([np.linalg.norm(v[i] - v[j]) for i, j in all_pairs])
        ranks.append(1 + int(np.sum(d < d[all_pairs.index(ev["pairs"][s])])))
    return {"init_similarity_rank_mean": float(np.mean(ranks)),
            "init_similarity_rank_mean_if_random": (len(all_pairs) + 1) / 2,
            "init_most_similar_frac": float(np.mean(np.array(ranks) == 1)),
            "init_similarity_rank_counts":
                np.bincount(ranks, minlength=len(all_pairs) + 1)[1:].tolist()}


def stuck_geometry(cfg: Config, ev: dict, idx: list) -> dict:
    """Where on the cube: the pair member nearest the 0.5 threshold, and whether crossing
    that threshold would move it into the unused corner."""
    H = cfg.n_hidden
    near_half, toward_empty, adjacent, n_mid = [], [], [], []
    for s in idx:
        hs, cs = ev["h"][s], ev["codes"][s]
        pair = list(ev["pairs"][s])
        dist = np.abs(hs[pair] - 0.5)                        # (2, H)
        m, u = np.unravel_index(np.argmin(dist), dist.shape)
        near_half.append(float(dist[m, u]))
        empty = set(range(2 ** H)) - set(cs.tolist())
        shared = int(cs[pair[0]])
        toward_empty.append((shared ^ (1 << (H - 1 - u))) in empty)
        adjacent.append(any(bin(shared ^ e).count("1") == 1 for e in empty))
        n_mid.append(int(((hs > 0.2) & (hs < 0.8)).sum()))
    return {"pair_nearest_to_half_median": float(np.median(near_half)),
            "pair_nearest_to_half_max": float(np.max(near_half)),
            "toward_empty_corner_frac": float(np.mean(toward_empty)),
            "empty_corner_adjacent_frac": float(np.mean(adjacent)),
            "empty_corner_adjacent_if_random": 3 / 7,
            "intermediate_values_median": float(np.median(n_mid))}


def stuck_analysis(ev: dict, cfg: Config, seeds) -> dict:
    """Single attempts that end with 7 distinct codes: which pair, foretold, where."""
    n = cfg.n_patterns
    idx = [s for s, p in enumerate(ev["pairs"]) if p is not None and not ev["strict"][s]]
    out = {"n_unsolved": int((~ev["strict"]).sum()), "n_stuck_7_codes": len(idx),
           "n_stuck_7_codes_all_reconstructed": int(sum(ev["reconstructed"][s] == n
                                                        for s in idx))}
    if idx:
        out.update(stuck_pairs(ev, cfg, idx))
        out.update(init_similarity(cfg, ev, idx, seeds))
        out.update(stuck_geometry(cfg, ev, idx))
    return out


def showcase_summary(cfg: Config, model: dict, history: dict) -> dict:
    """Final state of the showcase nets (seed, solve sweep, codes, error, intermediate values)."""
    X1, T = make_patterns(cfg.n_patterns)
    out = {}
    for name, P in model["showcase"].items():
        h, o = forward(P, X1)
        hist = history["showcase"][name]
        out[name] = {"seed": int(hist["seeds"][0]), "sweeps": cfg.showcase_epochs,
                     "solve_epoch": int(hist["solve_epoch"][0]),
                     "distinct_codes": int(n_distinct(codes(h))[0]),
                     "reconstructed": int(n_reconstructed(o, T)[0]),
                     "loss": float(loss_fn(o, T, cfg.loss)[0]),
                     "hidden_values_between_0.1_and_0.9": int(((h > 0.1) & (h < 0.9)).sum()),
                     "hidden_min_distance_to_half": float(np.abs(h - 0.5).min())}
    return out


def summarise(cfg: Config, model: dict, history: dict) -> dict:
    """The run's metrics: the single attempts (verdict), the restart run, the stuck runs."""
    ev = evaluate(model, cfg)
    h1, h2 = history["single"], history["restart"]
    se, ok, ok2 = h1["solve_epoch"], h1["solve_epoch"] >= 0, h2["solve_epoch"] >= 0
    S = cfg.n_seeds
    learned = float(ev["single"]["learned"].mean())
    q = (lambda a, p: float(np.percentile(a, p)) if a.size else None)
    return {
        "n_runs": S, "n_seeds": S,
        "learned_rate": learned,
        "learned_rate_std": float(np.sqrt(learned * (1 - learned) / S)),
        "solve_rate_single": float(ok.mean()),
        "median_epochs": q(se[ok], 50), "epochs_p10": q(se[ok], 10), "epochs_p90": q(se[ok], 90),
        "epochs_max": int(se[ok].max()) if ok.any() else None,
        "mean_epochs_spent_single": float(np.where(ok, se, cfg.max_epochs).mean()),
        "restart_epochs": history["restart_epochs"],
        "expected_epochs_with_restarts_est": history["expected_cost"],
        "solve_rate_final": float(ok2.mean()),
        "mean_attempts": float(h2["attempts"].mean()),
        "max_attempts": int(h2["attempts"].max()),
        "mean_total_epochs": float(h2["total_epochs"].mean()),
        "median_total_epochs": float(np.median(h2["total_epochs"])),
        "stuck": stuck_analysis(ev["single"], cfg, h1["seeds"]),
        "showcase": showcase_summary(cfg, model, history),
        "single_s": round(history["single_s"], 3), "restart_s": round(history["restart_s"], 3),
    }


def describe(cfg: Config, metrics: dict) -> dict:
    """The record's one-line summary and its Results table, built from the metrics."""
    m, S = metrics, metrics["n_seeds"]
    frac = lambda k: f"{round(m[k] * S)}/{S}"
    name = ("modern variant (cross-entropy)" if cfg.loss == "xent" else
            "paper's recipe" if cfg.lr == Config.lr else "squared error, another eta")
    spread = (f"{m['median_epochs']:.0f} [{m['epochs_p10']:.0f}, {m['epochs_p90']:.0f}]"
              if m["median_epochs"] is not None else "-")
    st = m["stuck"]
    rows = [
        [f"single attempt learns the encoder (all {cfg.n_patterns} patterns reconstructed)",
         frac("learned_rate"), "learned (one net shown)", "-"],
        ["single attempt strictly solved: 8 distinct binary codes (our stricter test)",
         frac("solve_rate_single"), "not stated", "21/30"],
        ["single attempt: sweeps to a strict solve, median [p10, p90]", spread, "not stated",
         "seed 0: 3631"],
        ["single attempt: stuck with 7 distinct codes (of them, all 8 reconstructed)",
         f"{st['n_stuck_7_codes']} ({st['n_stuck_7_codes_all_reconstructed']})", "-",
         "9/30 share a code"],
        ["restarts (ours): cutoff K, sweeps (cost-optimal on the single attempts)",
         str(m["restart_epochs"]), "-", "no restarts"],
        ["restarts (ours): strict solves", frac("solve_rate_final"), "-", "-"],
        ["restarts (ours): attempts per seed, mean / max",
         f"{m['mean_attempts']:.2f} / {m['max_attempts']}", "-", "-"],
        ["restarts (ours): sweeps per seed, mean / median",
         f"{m['mean_total_epochs']:.0f} / {m['median_total_epochs']:.0f}", "-", "-"]]
    return {
        "label": "share of single attempts that learn the encoder (all 8 patterns reconstructed)",
        "summary": f"{name}, eta {cfg.lr:g}: {frac('learned_rate')} single attempts learn the "
                   f"encoder, {frac('solve_rate_single')} with 8 distinct binary codes (median "
                   f"{m['median_epochs'] or float('nan'):.0f} sweeps); restarts (ours): "
                   f"{frac('solve_rate_final')} strict at {m['mean_attempts']:.2f} attempts per seed",
        "table": {"columns": ["quantity", f"ours ({cfg.loss}, eta {cfg.lr:g})", "paper",
                              "earlier numpy repro (CE)"], "rows": rows},
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
