"""Moving-light direction with the Neural Bucket Brigade (NBB).

Schmidhuber, J. (1989). A local learning algorithm for dynamic feedforward and
recurrent networks. Connection Science 1(4):403-412. (Also FKI-124-90, TU Munich.)

The task. A one-dimensional "retina" of 5 input units plus one unit that is
always on is fully connected to one competitive subset (winner-take-all) of 2
output units, which is fully connected to itself (self-connections included),
so the net is recurrent. Each cycle resets every activation and moves a light
across the retina, one cell per tick, left to right or right to left (chosen at
random), within 5 ticks. After the light has crossed (tick 6) output unit 0 must
be on for left-to-right and output unit 1 for right-to-left. No gradients: the
weights move only by the NBB's local, dissipative economy of "weight substance".

The rule, exactly as implemented (discrete time, instant decay; section 3 of
the paper). x_i(t) is 0 or 1; in the competitive subset the unit with the
largest positive net input wins, the other is 0.

    (1) net_j(t) = sum_i x_i(t-1) w_ij(t-1)           (retina, always-on unit, outputs)
    (2) c_ij(t)  = x_i(t-1) w_ij(t-1) x_j(t)          contribution of i->j to a winner j
    (3) dw_ij(t) = - lam c_ij(t)                              i->j pays a fraction of its bid
                   + c_ij(t-1) / sum_h c_hj(t-1) * sum_k lam c_jk(t)
                                  j passes what its outgoing connections paid to the
                                  connections that activated j one tick earlier
                   + Ext_ij(t)                                external payoff
    (4) Ext_ij(t) = eta x_i(t-1) x_j(t)   if j is the correct output at the decision
                  tick: a fixed bit of substance to every connection that switched it on

Through the output->output connections substance flows back in time: an output
that wins at t pays the connections (retina or recurrent) that made the
previous winner win at t-1. What retina and always-on connections receive is
dissipated (input units have no incoming connections).

Counting (section 6): a cycle is one light sweep. After every training cycle
the presented direction is tested with weight changes off (correct output on at
tick 6); a solution is found when both directions were solved at their latest
test. Deviations in brief (README, Deviations): lam = 0.003 and eta = 0.0009
(initial weights U(0, 1)) are shared with nbb-xor and were fitted on
development seeds (0-19 of nbb-xor, 0-29 here) to both stubs' counts together;
the headline runs on reporting seeds 10000+. The check that does not depend on
the fitted time scale is the ratio of nbb-xor's count to this one
(experiments_nbb_moving_light.py --ratios). The ablation over the other readings
of the rule is in experiments_nbb_moving_light.py (development seeds).

    python3 nbb-moving-light/nbb_moving_light.py --seed 10000 --n-seeds 100 --results nbb-moving-light/results.json
    python3 nbb-moving-light/nbb_moving_light.py --quick
"""
from __future__ import annotations

import time
import types
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

SLUG = "nbb-moving-light"
STREAMS = ("init", "data", "tie")             # seed_streams order: the same runs as before the kit


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000             # first seed; runs seed .. seed+n_seeds-1 go as one array program
    n_seeds: int = 100            # independent runs (paper: 10)
    quick: bool = False           # 10 runs, no stability run (tests, smoke runs)
    sweep_only: bool = False      # only the sweep: no stability run (the figures need it)
    n_cells: int = 5              # retina cells (paper: 5)
    ticks: int = 6                # ticks per cycle: light on cells at ticks 1..5, decision at 6
    lam: float = 0.003            # lambda, payout fraction (paper: not given; shared with nbb-xor, fitted on dev seeds)
    eta: float = 0.0009           # payoff per active connection into the correct output (paper: not given; fitted)
    ext: str = "constant"         # Ext_ij: "constant" eta per active i->j | "proportional" eta c_ij | "fixed" split
    reward: str = "end"           # Ext when the correct output is on at the decision tick ("end") | "every" tick
    denom: str = "incoming"       # share c_ij(t-1)/sum_h c_hj(t-1) "incoming" | "outgoing": /sum_k c_ik | "equal"
    tie: str = "first"            # WTA tie-breaking: "first" (lowest index) | "random"
    no_recurrence: bool = False   # drop the output -> output connections (paper: they exist)
    w_init_low: float = 0.0       # initial weights ~ U(low, high) (paper: "a positive real value"; range not given)
    w_init_high: float = 1.0      # upper end of the initial weight range
    criterion: str = "sliding"    # solution: "sliding" latest test of each direction | "both" one weight state
    max_cycles: int = 6000        # cap on training cycles per run
    stable_window: int = 100      # "stable": both directions solved for this many consecutive cycles (ours)
    stability_cycles: int = 3000  # the stability run trains every headline seed this long
    run_to_cap: bool = False      # keep training after the solution (the stability run sets it)
    record_every: int = 10        # history resolution (cycles) for curves and weight snapshots
    traced_runs: int = 10         # runs whose weights and substance flows the history keeps (figures)
    dev_seeds: tuple = (0, 10000)          # development block [first, end): lam, eta fitted below 30
    report_seeds: tuple = (10000, 10200)   # reporting block [first, end): headline and rates only
    verdict_metric: str = "mean_cycles"    # the paper's statistic: mean cycles to a solution
    verdict_sense: str = "match"           # either side of the paper's 223 counts
    verdict_tol: float = 0.2               # yes: within 20% (the stub's rule before the kit)
    verdict_partial: float = 0.5           # partial: within 50%
    PRESETS: ClassVar[dict] = {"quick": {"n_seeds": 10, "sweep_only": True}}

    def __post_init__(self):
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"--{name} must be one of: {', '.join(allowed)}")
        for name in ("n_cells", "max_cycles", "stable_window", "stability_cycles", "record_every",
                     "traced_runs"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if self.ticks != self.n_cells + 1:
            raise ValueError("--ticks must be n_cells + 1 (the light's sweep, then the decision tick)")
        if not 0 < self.lam < 1 or self.eta < 0:
            raise ValueError("--lam must be in (0, 1) and --eta >= 0")
        if not 0 <= self.w_init_low < self.w_init_high:
            raise ValueError("initial weights need 0 <= --w-init-low < --w-init-high")


CHOICES = {"ext": ("constant", "proportional", "fixed"), "reward": ("end", "every"),
           "denom": ("incoming", "outgoing", "equal"), "tie": ("first", "random"),
           "criterion": ("sliding", "both")}
DIRECTIONS = ("left-to-right", "right-to-left")   # correct output unit = direction index

PAPER = {
    "citation": ("Schmidhuber, J. (1989). A local learning algorithm for dynamic feedforward "
                 "and recurrent networks. Connection Science 1(4):403-412."),
    "year": 1989,
    "metrics": {"mean_cycles": 223, "solve_rate": 0.9},
    "runs": 10,
    "source": ("Section 6 'Simple experiments' (IDSIA transcription, bucketbrigade/node6): "
               "5-cell retina + always-on unit, recurrent competitive subset of 2 outputs; "
               "223 cycles on average, 9 of 10 runs. No lam, eta or initial weight range given."),
}
EARLIER = {"metrics": {"mean_cycles": 223, "solve_rate": 0.3},
           "note": "earlier public numpy catalog: mean 223 among solvers, 9/30 seeds"}


def rule_of(cfg):
    """The scalars and switches of rule (3)-(4) and of a cycle: what the maths reads."""
    return types.SimpleNamespace(lam=cfg.lam, eta=cfg.eta, ext=cfg.ext, reward=cfg.reward,
                                 denom=cfg.denom, tie=cfg.tie, ticks=cfg.ticks, n_cells=cfg.n_cells)


# ----------------------------------------------------------------------------
# Network and environment: unit 0 always on, 1..n_cells retina, then 2 outputs
# ----------------------------------------------------------------------------
def build_net(n_cells, recurrent):
    """Unit layout, the competitive subset (a slice) and the connection mask M (N, N)."""
    n_in = 1 + n_cells
    N = n_in + 2
    out = slice(n_in, N)
    M = np.zeros((N, N))
    M[:n_in, out] = 1.0                        # always-on unit and retina -> both outputs
    if recurrent:
        M[out, out] = 1.0                      # outputs -> outputs, self-connections included
    return {"N": N, "n_in": n_in, "out": out, "out0": n_in, "groups": [out], "M": M}


def light_frames(ticks, n_cells, net, directions):
    """Clamped input activations (..., T, N): the light on one cell per tick.

    Tick t = 1..n_cells lights cell t (left to right) or n_cells + 1 - t (right
    to left); the decision tick T = n_cells + 1 shows only the always-on unit.
    """
    frames = np.zeros(directions.shape + (ticks, net["N"]))
    frames[..., 0] = 1.0
    for t in range(1, n_cells + 1):
        cell = np.where(directions == 0, t, n_cells + 1 - t)          # 1-based retina index
        np.put_along_axis(frames[..., t - 1, :], cell[..., None], 1.0, -1)
    return frames


# ----------------------------------------------------------------------------
# Model: winner-take-all activation and the bucket-brigade rule
# ----------------------------------------------------------------------------
def winners(net_in, net, tie, rng):
    """x_j(t): 1 for the unit with the largest positive net input of each subset."""
    x = np.zeros_like(net_in)
    for g in net["groups"]:
        sub = net_in[..., g]
        top = sub.max(-1, keepdims=True)
        if tie == "random":   # a uniform choice among tied maxima
            sub = (sub == top) * (1.0 + rng.random(sub.shape))
        k = sub.argmax(-1)[..., None]                          # argmax: lowest index among ties
        x[..., g] = (k == np.arange(sub.shape[-1])) & (top > 0.0)
    return x


def forward(W, x_prev, frame, net, rule, rng):
    """(1) net_j(t) = sum_i x_i(t-1) w_ij(t-1); WTA winners; inputs clamped to `frame`.

    x_prev, frame (S, N) or (S, B, N); W (S, N, N). Returns x(t) and net(t).
    """
    net_in = np.matmul(x_prev, W) if x_prev.ndim == 3 else np.matmul(x_prev[:, None], W)[:, 0]
    x = winners(net_in, net, rule.tie, rng)
    x[..., :net["n_in"]] = frame[..., :net["n_in"]]
    return x, net_in


def nbb_tick(W, x_prev, net_prev, c_prev, frame, gate, net, rule, rng):
    """One learning tick of S networks (one cycle each).

    W (S, N, N); x_prev, net_prev, frame (S, N): activations and net inputs
    of t-1, clamped inputs; c_prev (S, N, N): c_ij(t-1); gate (S, N) is 1 on
    the correct output unit in a rewarded tick.
    Returns x, net_in (S, N), c (S, N, N) and the three terms of rule (3).
    """
    x, net_in = forward(W, x_prev, frame, net, rule, rng)
    # (2) c_ij(t) = x_i(t-1) w_ij(t-1) x_j(t)                                  (S, N, N)
    c = x_prev[:, :, None] * W * x[:, None, :]
    # (3) first term: every connection into a winner pays lam c_ij(t)
    pay = rule.lam * c
    paid_by = pay.sum(-1)                     # sum_k lam c_jk(t), per sending unit j       (S, N)
    # (3) second term: what j's outgoing connections paid goes to the connections
    # that activated j at t-1, in proportion to their contributions c_ij(t-1)
    if rule.denom == "incoming":   # paper: / sum_h c_hj(t-1), which is net_j(t-1) for a winner j
        num, den = c_prev, net_prev[:, None, :]
    elif rule.denom == "outgoing":  # index-swapped misreading: / sum_k c_ik(t-1)
        num, den = c_prev, c_prev.sum(-1, keepdims=True)
    else:                          # "equal": an even split over the active incoming connections
        num = (c_prev > 0).astype(float)
        den = num.sum(-2, keepdims=True)
    receive = num / np.where(den > 0, den, 1.0) * paid_by[:, None, :]
    # (4) Ext_ij(t) on connections into the correct output when it wins
    if rule.ext == "proportional":
        ext = rule.eta * c * gate[:, None, :]
    elif rule.ext == "constant":    # eta to every active connection into the correct output
        ext = rule.eta * (c > 0) * gate[:, None, :]
    else:                          # "fixed": eta per tick, split by contribution
        cin = c.sum(-2, keepdims=True)
        ext = rule.eta * c / np.where(cin > 0, cin, 1.0) * gate[:, None, :]
    return x, net_in, c, (pay, receive, ext)


def present(W, directions, net, rule, rng, learn=True, trace_flow=False):
    """One cycle: reset all activations, sweep the light in `directions`.

    learn=True: directions (S,), rule (3) applied every tick. learn=False:
    directions (S, B), weights frozen. Returns {"W", "out": outputs per tick
    (S, [B,] T, 2), "flow": (paid, received, ext) over the cycle when traced}.
    """
    T = rule.ticks
    N = net["N"]
    frames = light_frames(rule.ticks, rule.n_cells, net, directions)               # (S, [B,] T, N)
    x = np.zeros(directions.shape + (N,))
    net_in = np.zeros(directions.shape + (N,))
    c = np.zeros(directions.shape + (N, N))
    correct = np.zeros(directions.shape + (N,))
    correct[..., net["out"]] = np.eye(2)[directions]
    outs = []
    flow = [np.zeros_like(W) for _ in range(3)] if trace_flow else None
    for t in range(1, T + 1):
        frame = frames[..., t - 1, :]
        if not learn:
            x, _ = forward(W, x, frame, net, rule, rng)
        else:
            rewarded = rule.reward == "every" or t == T
            x, net_in, c, terms = nbb_tick(W, x, net_in, c, frame, correct * rewarded, net, rule, rng)
            pay, receive, ext = terms
            W = W - pay + receive + ext                            # rule (3)
            if trace_flow:
                for acc, term in zip(flow, terms):
                    acc += term
        outs.append(x[..., net["out"]])
    return {"W": W, "out": np.stack(outs, -2), "flow": flow}


def test_directions(W, directions, net, rule, rng):
    """Frozen-weight test: is the correct output on at the decision tick? (S, B)"""
    r = present(W, directions, net, rule, rng, learn=False)
    return (r["out"][..., -1, :] == np.eye(2)[directions]).all(-1), r


def substance(W):
    """Total weight substance of each run (S,)."""
    return W.sum((1, 2))


# ----------------------------------------------------------------------------
# Training: all seeds as one array program
# ----------------------------------------------------------------------------
def init_runs(cfg, net):
    """Initial weights (S, N, N), direction sequences (S, T) and the tie stream, one seed per run."""
    streams = [seed_streams(cfg.seed + k, STREAMS) for k in range(cfg.n_seeds)]
    W = np.stack([st["init"].uniform(cfg.w_init_low, cfg.w_init_high, net["M"].shape)
                  for st in streams]) * net["M"]
    dirs = np.stack([st["data"].integers(2, size=cfg.max_cycles) for st in streams])
    return W, dirs, streams[0]["tie"]          # the tie stream is drawn only when tie == "random"


def update_counts(cnt, n, idx, d, ok2, window):
    """After cycle n: each direction's latest test, and the first cycle of each kind of solution."""
    cnt["last_ok"][idx, d] = ok2[np.arange(len(idx)), d]
    sliding = cnt["last_ok"][idx].all(1)
    both = ok2.all(1)
    cnt["streak"][idx] = np.where(both, cnt["streak"][idx] + 1, 0)
    for key, hit, start in (("solved_at", sliding, n), ("both_at", both, n),
                            ("stable_at", cnt["streak"][idx] >= window, n - window + 1)):
        new = hit & (cnt[key][idx] < 0)
        cnt[key][idx[new]] = start


def record(hist, n, idx, ok2, W, keep, flow):
    """Append one history row: accuracy and substance of every run, weights/flows of `keep` runs."""
    acc = np.full(len(W), np.nan)
    acc[idx] = ok2.mean(1)
    hist["n"].append(n)
    hist["acc"].append(acc)
    hist["substance"].append(substance(W))
    hist["W"].append(W[:keep].copy())
    if flow is not None:
        hist["flow"].append(np.stack(flow, 1)[:keep].copy())          # (keep, 3, N, N)


def train_runs(cfg, trace_flow=False, log=None):
    """Train cfg.n_seeds runs (seeds cfg.seed, cfg.seed+1, ...) together.

    Run k draws its initial weights and its direction sequence from its own
    streams, so it is the same run whatever else is in the sweep.
    Returns (model {"W", "W0", "net", "rule"}, history: per-run cycle counts
    (-1 = never) and curves every record_every cycles).
    """
    net, rule = build_net(cfg.n_cells, not cfg.no_recurrence), rule_of(cfg)
    S, T, keep = cfg.n_seeds, cfg.max_cycles, min(cfg.n_seeds, cfg.traced_runs)
    W, dirs, tie_rng = init_runs(cfg, net)
    W0, both_dirs = W.copy(), np.broadcast_to(np.arange(2), (S, 2))
    init_ok, _ = test_directions(W0, both_dirs, net, rule, tie_rng)          # (S, 2), before training
    cnt = {"last_ok": np.zeros((S, 2), bool), "streak": np.zeros(S, int),
           "solved_at": np.full(S, -1), "both_at": np.full(S, -1), "stable_at": np.full(S, -1)}
    active = np.ones(S, bool)
    hist = {"n": [], "acc": [], "substance": [], "W": [], "flow": []}
    flow_acc = [np.zeros_like(W) for _ in range(3)]
    t0, c0, n = time.time(), time.process_time(), 0
    for n in range(1, T + 1):
        idx = np.flatnonzero(active)
        d = dirs[idx, n - 1]
        r = present(W[idx], d, net, rule, tie_rng, learn=True, trace_flow=trace_flow)
        W[idx] = r["W"]
        if trace_flow:
            for acc, term in zip(flow_acc, r["flow"]):
                acc[idx] += term
        ok2, _ = test_directions(W[idx], both_dirs[idx], net, rule, tie_rng)   # (S', 2)
        update_counts(cnt, n, idx, d, ok2, cfg.stable_window)
        if n % cfg.record_every == 0 or n == 1:
            record(hist, n, idx, ok2, W, keep, flow_acc if trace_flow else None)
            flow_acc = [np.zeros_like(W) for _ in range(3)]
        if not cfg.run_to_cap:
            done = (cnt["solved_at"] if cfg.criterion == "sliding" else cnt["both_at"])[idx] > 0
            active[idx[done]] = False
        if log is not None and n % 100 == 0:
            log(n, T, {"solved": int((cnt["solved_at"] > 0).sum()), "of": S})
        if not active.any():
            break
    model = {"W": W, "W0": W0, "net": net, "rule": rule}
    history = {k: cnt[k] for k in ("solved_at", "both_at", "stable_at")}
    history.update({k: np.array(v) for k, v in hist.items()}, solved_initially=init_ok.all(1),
                   cycles_run=n, train_s=time.time() - t0, cpu_s=time.process_time() - c0)
    return model, history


def train(cfg, log=None):
    """The headline sweep and (unless cfg.sweep_only) the same runs continued to stability_cycles.

    Returns (model, history), dicts keyed "sweep" and "stability"; the stability
    run traces substance flows for the figures.
    """
    model, history = {}, {}
    model["sweep"], history["sweep"] = train_runs(cfg, log=log)
    if not cfg.sweep_only:
        c = replace(cfg, run_to_cap=True, max_cycles=cfg.stability_cycles)
        model["stability"], history["stability"] = train_runs(c, trace_flow=True, log=log)
    return model, history


def frozen_test(model):
    """Frozen-weight test of every run's weights: solved directions (S, 2) and output traces."""
    S = model["W"].shape[0]
    dirs = np.broadcast_to(np.arange(2), (S, 2))
    rng = np.random.default_rng(0)           # used only when tie == "random"
    ok, r = test_directions(model["W"], dirs, model["net"], model["rule"], rng)
    return {"solved_directions": ok, "output_trace": r["out"]}


def evaluate(model, cfg):
    """Frozen test of the final weights: of the stability run when trained, else the sweep."""
    key = "stability" if "stability" in model else "sweep"
    ok = frozen_test(model[key])["solved_directions"]
    return {"weights_of": key, "final_both": int(ok.all(1).sum()), "final_accuracy": float(ok.mean())}


# ----------------------------------------------------------------------------
# Metrics and the record's text
# ----------------------------------------------------------------------------
def mean_of(v):
    return float(v[v > 0].mean()) if (v > 0).any() else None


def count_metrics(history, criterion="sliding"):
    """Multi-seed metrics; counts are training cycles (light sweeps)."""
    sol, both, st = history["solved_at"], history["both_at"], history["stable_at"]
    main = sol if criterion == "sliding" else both
    ok = main > 0
    return {"n_seeds": int(len(main)), "solve_rate": float(ok.mean()), "n_solved": int(ok.sum()),
            "mean_cycles": mean_of(main),
            "mean_cycles_std": float(main[ok].std()) if ok.any() else None,
            "median_cycles": float(np.median(main[ok])) if ok.any() else None,
            "n_sliding": int((sol > 0).sum()), "n_both": int((both > 0).sum()),
            "mean_cycles_both": mean_of(both),
            "n_stable": int((st > 0).sum()), "mean_cycles_stable": mean_of(st),
            "n_solved_initially": int(history["solved_initially"].sum()),
            "mean_cycles_excluding_initially_solved":
                mean_of(np.where(history["solved_initially"], -1, main)),
            "cycles": [int(v) for v in main]}


def blocks_of_ten(cycles):
    """The paper's statistic on consecutive blocks of 10 runs: solved count and mean each."""
    c = np.asarray(cycles)
    out = []
    for b in range(len(c) // 10):
        blk = c[10 * b:10 * b + 10]
        out.append({"n_solved": int((blk > 0).sum()), "mean_cycles": mean_of(blk)})
    return out


def summarise(cfg, model, history):
    """Headline metrics at the top level; blocks of 10 runs and the stability run nested."""
    m = count_metrics(history["sweep"], cfg.criterion)
    m["n_runs"] = m["n_seeds"]
    blocks = blocks_of_ten(m["cycles"])
    m["blocks_of_10"] = {"n_blocks": len(blocks),
                         "n_blocks_with_at_least_9_solved": sum(b["n_solved"] >= 9 for b in blocks),
                         "block_means": [b["mean_cycles"] for b in blocks]}
    m["timing"] = {f"{k}_s": round(float(h["train_s"]), 3) for k, h in history.items()}
    m["timing"].update({f"{k}_cpu_s": round(float(h["cpu_s"]), 3) for k, h in history.items()})
    if "stability" in history:
        st = count_metrics(history["stability"], cfg.criterion)
        m["stability"] = {k: st[k] for k in ("n_seeds", "n_both", "mean_cycles_both", "n_stable",
                                              "mean_cycles_stable")}
        m["stability"]["cycles"] = cfg.stability_cycles
        m["stability"].update(evaluate(model, cfg))
    return m


def fmt_n(v, spec=".0f"):
    return "-" if v is None else format(v, spec)


def describe(cfg, metrics):
    """The record's one-line summary and its Results table, built from the metrics."""
    m, p, n = metrics, PAPER["metrics"], metrics["n_seeds"]
    b = m["blocks_of_10"]
    means = [x for x in b["block_means"] if x is not None]
    rows = [[f"runs that find a solution ({n} seeds)", f"{m['n_solved']}/{n}",
             f"{p['solve_rate'] * PAPER['runs']:.0f}/{PAPER['runs']}"],
            ["mean cycles to a solution (fitted: lam, eta) / std / median",
             f"{fmt_n(m['mean_cycles'])} / {fmt_n(m['mean_cycles_std'])} / {fmt_n(m['median_cycles'])}",
             f"{p['mean_cycles']} / - / -"],
            ["runs solved by their initial weights (they count within a few cycles) / mean without them",
             f"{m['n_solved_initially']}/{n} / {fmt_n(m['mean_cycles_excluding_initially_solved'])}",
             "-"]]
    if means:
        rows.append([f"blocks of 10 runs: with >= 9 solved / range of block means",
                     f"{b['n_blocks_with_at_least_9_solved']}/{b['n_blocks']} / "
                     f"{min(means):.0f}-{max(means):.0f}", f"1 block: 9/10, {p['mean_cycles']}"])
    if "stability" in m:
        s = m["stability"]
        rows += [[f"one weight state solves both directions (within {s['cycles']})",
                  f"{s['n_both']}/{s['n_seeds']}", "-"],
                 [f"stable (both for {cfg.stable_window} cycles) / mean cycles",
                  f"{s['n_stable']}/{s['n_seeds']} / {fmt_n(s['mean_cycles_stable'])}", "-"]]
    t = m["timing"]
    rows.append([f"{n}-seed sweep wallclock / CPU time, s", f"{t['sweep_s']:.2f} / {t['sweep_cpu_s']:.2f}",
                 "-"])
    return {
        "summary": (f"{m['n_solved']}/{n} runs learn the light's direction, in {fmt_n(m['mean_cycles'])} "
                    f"cycles on average (paper {p['mean_cycles']}, {p['solve_rate']:.0%} of runs; "
                    f"lam = {cfg.lam:g}, eta = {cfg.eta:g} fitted on development seeds, shared with nbb-xor)"),
        "table": {"columns": ["setting", "ours", "paper"], "rows": rows},
        "label": "mean training cycles (light sweeps) to a solution, over solved runs",
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
