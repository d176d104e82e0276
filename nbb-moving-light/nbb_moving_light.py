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
test. lam = 0.003 and eta = 0.0009 are shared with the XOR stub; they were
fitted once to both stubs' headline counts together (nbb-xor README,
Deviations 1). `--ablation` measures the other readings of the rule.

    python3 nbb-moving-light/nbb_moving_light.py --seed 0 --n-seeds 30 --results nbb-moving-light/results.json
    python3 nbb-moving-light/nbb_moving_light.py --seed 0 --n-seeds 30 --ablation \\
        --results nbb-moving-light/runs/ablation.json
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
SLUG = "nbb-moving-light"


# ----------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 0                 # first seed; runs seed .. seed+n_seeds-1 go as one array program
    n_seeds: int = 30             # independent runs (paper: 10)
    n_cells: int = 5              # retina cells (paper: 5)
    ticks: int = 6                # ticks per cycle: light on cells at ticks 1..5, decision at 6
    lam: float = 0.003            # lambda, payout fraction (paper: not given; shared with nbb-xor)
    eta: float = 0.0009           # payoff per active connection into the correct output (paper: not given)
    ext: str = "constant"         # Ext_ij = eta per active i->j | "proportional": eta c_ij
                                  #   | "fixed": eta per tick split by c_ij / sum_h c_hj
    reward: str = "end"           # Ext when the correct output is on at the decision tick | "every" tick
    denom: str = "incoming"       # share c_ij(t-1)/sum_h c_hj(t-1) | "outgoing": /sum_k c_ik | "equal"
    tie: str = "first"            # WTA tie-breaking: lowest index | "random"
    recurrent: bool = True        # output -> output connections (paper: yes)
    w_init_low: float = 0.0       # initial weights ~ U(low, high) on every connection
    w_init_high: float = 1.0      #   (paper: "randomly initialized with a positive real value")
    criterion: str = "sliding"    # solution: "sliding" latest test of each direction | "both" one state
    max_cycles: int = 6000        # cap on training cycles per run
    stable_window: int = 100      # "stable": both directions solved for this many consecutive cycles
    run_to_cap: bool = False      # keep training after the solution (to measure stability)
    record_every: int = 10        # history resolution (cycles) for curves and weight snapshots


CHOICES = {"ext": ("proportional", "fixed", "constant"), "reward": ("end", "every"),
           "denom": ("incoming", "outgoing", "equal"), "tie": ("first", "random"),
           "criterion": ("sliding", "both")}
DIRECTIONS = ("left-to-right", "right-to-left")   # correct output unit = direction index


# ----------------------------------------------------------------------------
# Network and environment: unit 0 always on, 1..n_cells retina, then 2 outputs
# ----------------------------------------------------------------------------
def build_net(cfg):
    """Unit layout, the competitive subset (a slice) and the connection mask M (N, N)."""
    n_in = 1 + cfg.n_cells
    N = n_in + 2
    out = slice(n_in, N)
    M = np.zeros((N, N))
    M[:n_in, out] = 1.0                        # always-on unit and retina -> both outputs
    if cfg.recurrent:
        M[out, out] = 1.0                      # outputs -> outputs, self-connections included
    return {"N": N, "n_in": n_in, "out": out, "out0": n_in, "groups": [out], "M": M}


def light_frames(cfg, net, directions):
    """Clamped input activations (..., T, N): the light on one cell per tick.

    Tick t = 1..n_cells lights cell t (left to right) or n_cells + 1 - t (right
    to left); the decision tick T = n_cells + 1 shows only the always-on unit.
    """
    T = cfg.ticks
    frames = np.zeros(directions.shape + (T, net["N"]))
    frames[..., 0] = 1.0
    for t in range(1, cfg.n_cells + 1):
        cell = np.where(directions == 0, t, cfg.n_cells + 1 - t)          # 1-based retina index
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


def forward(W, x_prev, frame, cfg, net, rng):
    """(1) net_j(t) = sum_i x_i(t-1) w_ij(t-1); WTA winners; inputs clamped to `frame`.

    x_prev, frame (S, N) or (S, B, N); W (S, N, N). Returns x(t) and net(t).
    """
    net_in = np.matmul(x_prev, W) if x_prev.ndim == 3 else np.matmul(x_prev[:, None], W)[:, 0]
    x = winners(net_in, net, cfg.tie, rng)
    x[..., :net["n_in"]] = frame[..., :net["n_in"]]
    return x, net_in


def nbb_tick(W, x_prev, net_prev, c_prev, frame, gate, cfg, net, rng):
    """One learning tick of S networks (one cycle each).

    W (S, N, N); x_prev, net_prev, frame (S, N): activations and net inputs
    of t-1, clamped inputs; c_prev (S, N, N): c_ij(t-1); gate (S, N) is 1 on
    the correct output unit in a rewarded tick.
    Returns x, net_in (S, N), c (S, N, N) and the three terms of rule (3).
    """
    x, net_in = forward(W, x_prev, frame, cfg, net, rng)
    # (2) c_ij(t) = x_i(t-1) w_ij(t-1) x_j(t)                                  (S, N, N)
    c = x_prev[:, :, None] * W * x[:, None, :]
    # (3) first term: every connection into a winner pays lam c_ij(t)
    pay = cfg.lam * c
    paid_by = pay.sum(-1)                     # sum_k lam c_jk(t), per sending unit j       (S, N)
    # (3) second term: what j's outgoing connections paid goes to the connections
    # that activated j at t-1, in proportion to their contributions c_ij(t-1)
    if cfg.denom == "incoming":   # paper: / sum_h c_hj(t-1), which is net_j(t-1) for a winner j
        num, den = c_prev, net_prev[:, None, :]
    elif cfg.denom == "outgoing":  # index-swapped misreading: / sum_k c_ik(t-1)
        num, den = c_prev, c_prev.sum(-1, keepdims=True)
    else:                          # "equal": an even split over the active incoming connections
        num = (c_prev > 0).astype(float)
        den = num.sum(-2, keepdims=True)
    receive = num / np.where(den > 0, den, 1.0) * paid_by[:, None, :]
    # (4) Ext_ij(t) on connections into the correct output when it wins
    if cfg.ext == "proportional":
        ext = cfg.eta * c * gate[:, None, :]
    elif cfg.ext == "constant":    # eta to every active connection into the correct output
        ext = cfg.eta * (c > 0) * gate[:, None, :]
    else:                          # "fixed": eta per tick, split by contribution
        cin = c.sum(-2, keepdims=True)
        ext = cfg.eta * c / np.where(cin > 0, cin, 1.0) * gate[:, None, :]
    return x, net_in, c, (pay, receive, ext)


def present(W, directions, cfg, net, rng, learn=True, trace_flow=False):
    """One cycle: reset all activations, sweep the light in `directions`.

    learn=True: directions (S,), rule (3) applied every tick. learn=False:
    directions (S, B), weights frozen. Returns {"W", "out": outputs per tick
    (S, [B,] T, 2), "flow": (paid, received, ext) over the cycle when traced}.
    """
    T = cfg.ticks
    N = net["N"]
    frames = light_frames(cfg, net, directions)               # (S, [B,] T, N)
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
            x, _ = forward(W, x, frame, cfg, net, rng)
        else:
            rewarded = cfg.reward == "every" or t == T
            x, net_in, c, terms = nbb_tick(W, x, net_in, c, frame, correct * rewarded, cfg, net, rng)
            pay, receive, ext = terms
            W = W - pay + receive + ext                            # rule (3)
            if trace_flow:
                for acc, term in zip(flow, terms):
                    acc += term
        outs.append(x[..., net["out"]])
    return {"W": W, "out": np.stack(outs, -2), "flow": flow}


# ----------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------
def test_directions(W, directions, cfg, net, rng):
    """Frozen-weight test: is the correct output on at the decision tick? (S, B)"""
    r = present(W, directions, cfg, net, rng, learn=False)
    return (r["out"][..., -1, :] == np.eye(2)[directions]).all(-1), r


def substance(W):
    """Total weight substance of each run (S,)."""
    return W.sum((1, 2))


# ----------------------------------------------------------------------------
# Training: all seeds as one array program
# ----------------------------------------------------------------------------
def seed_streams(seed):
    """Named, independent random streams of one run, from one SeedSequence."""
    init, data, tie = np.random.SeedSequence(seed).spawn(3)
    return {"init": np.random.default_rng(init), "data": np.random.default_rng(data),
            "tie": np.random.default_rng(tie)}


def train(cfg, trace_flow=False):
    """Train cfg.n_seeds runs (seeds cfg.seed, cfg.seed+1, ...) together.

    Run k draws its initial weights and its direction sequence from its own
    streams, so it is the same run whatever else is in the sweep.
    Returns (model, history): model {"W" (S, N, N), "W0", "net", "cfg"};
    history: per-run cycle counts (-1 = never) and curves every record_every.
    """
    net = build_net(cfg)
    S, T = cfg.n_seeds, cfg.max_cycles
    streams = [seed_streams(cfg.seed + k) for k in range(S)]
    W = np.stack([st["init"].uniform(cfg.w_init_low, cfg.w_init_high, net["M"].shape)
                  for st in streams]) * net["M"]                             # (S, N, N)
    dirs = np.stack([st["data"].integers(2, size=T) for st in streams])     # (S, T)
    tie_rng = streams[0]["tie"]                # drawn from only when cfg.tie == "random"
    W0 = W.copy()
    both_dirs = np.broadcast_to(np.arange(2), (S, 2))

    init_ok, _ = test_directions(W0, both_dirs, cfg, net, tie_rng)          # (S, 2), before training
    last_ok = np.zeros((S, 2), bool)            # each direction's latest frozen test
    solved_at = np.full(S, -1)                  # "sliding" solution
    both_at = np.full(S, -1)                    # first weight state that solves both
    stable_at = np.full(S, -1)                  # start of the first streak >= stable_window
    streak = np.zeros(S, int)
    active = np.ones(S, bool)
    hist = {"n": [], "acc": [], "substance": [], "W": [], "flow": []}
    flow_acc = [np.zeros_like(W) for _ in range(3)]
    n = 0
    for n in range(1, T + 1):
        idx = np.flatnonzero(active)
        d = dirs[idx, n - 1]
        r = present(W[idx], d, cfg, net, tie_rng, learn=True, trace_flow=trace_flow)
        W[idx] = r["W"]
        if trace_flow:
            for acc, term in zip(flow_acc, r["flow"]):
                acc[idx] += term
        ok2, _ = test_directions(W[idx], both_dirs[idx], cfg, net, tie_rng)   # (S', 2)
        last_ok[idx, d] = ok2[np.arange(len(idx)), d]
        sliding = last_ok[idx].all(1)
        both = ok2.all(1)
        streak[idx] = np.where(both, streak[idx] + 1, 0)
        for at, hit in ((solved_at, sliding), (both_at, both),
                        (stable_at, streak[idx] >= cfg.stable_window)):
            new = hit & (at[idx] < 0)
            at[idx[new]] = n if at is not stable_at else n - cfg.stable_window + 1
        if n % cfg.record_every == 0 or n == 1:
            acc = np.full(S, np.nan)
            acc[idx] = ok2.mean(1)
            hist["n"].append(n)
            hist["acc"].append(acc)
            hist["substance"].append(substance(W))
            hist["W"].append(W.copy())
            if trace_flow:
                hist["flow"].append(np.stack(flow_acc, 1).copy())            # (S, 3, N, N)
                flow_acc = [np.zeros_like(W) for _ in range(3)]
        if not cfg.run_to_cap:
            done = (solved_at if cfg.criterion == "sliding" else both_at)[idx] > 0
            active[idx[done]] = False
        if not active.any():
            break
    model = {"W": W, "W0": W0, "net": net, "cfg": cfg}
    history = {"solved_at": solved_at, "both_at": both_at, "stable_at": stable_at,
               "solved_initially": init_ok.all(1),
               "cycles_run": n, "n": np.array(hist["n"]), "acc": np.array(hist["acc"]),
               "substance": np.array(hist["substance"]), "W": np.array(hist["W"])}
    if trace_flow:
        history["flow"] = np.array(hist["flow"])
    return model, history


def evaluate(model, cfg=None):
    """Frozen-weight test of trained runs: solved directions and per-tick output traces."""
    cfg = cfg or model["cfg"]
    S = model["W"].shape[0]
    dirs = np.broadcast_to(np.arange(2), (S, 2))
    rng = np.random.default_rng(0)           # used only when cfg.tie == "random"
    ok, r = test_directions(model["W"], dirs, cfg, model["net"], rng)
    return {"solved_directions": ok, "all_solved": ok.all(1), "output_trace": r["out"]}


def summarize(history, criterion="sliding"):
    """Multi-seed metrics; counts are training cycles (light sweeps).

    solve_rate / mean_cycles follow `criterion`; the other counts are reported
    alongside (they are cut short when runs stop at the criterion).
    """
    def mean_of(v):
        return float(v[v > 0].mean()) if (v > 0).any() else None
    sol, both, st = history["solved_at"], history["both_at"], history["stable_at"]
    main = sol if criterion == "sliding" else both
    ok = main > 0
    return {"n_seeds": int(len(main)), "solve_rate": float(ok.mean()), "n_solved": int(ok.sum()),
            "mean_cycles": mean_of(main),
            "median_cycles": float(np.median(main[ok])) if ok.any() else None,
            "n_sliding": int((sol > 0).sum()), "n_both": int((both > 0).sum()),
            "mean_cycles_both": mean_of(both),
            "n_stable": int((st > 0).sum()), "mean_cycles_stable": mean_of(st),
            "n_solved_initially": int(history["solved_initially"].sum()),
            "mean_cycles_excluding_initially_solved":
                mean_of(np.where(history["solved_initially"], -1, main)),
            "cycles": [int(v) for v in main]}


STABILITY_CYCLES = 3000       # the stability run trains every headline seed this long


def saved_run(seed=0, n_seeds=30, cycles=STABILITY_CYCLES):
    """The headline runs continued past their solution to `cycles` cycles, with
    substance flows traced: what the figures and the GIF show.

    Loaded from nbb-moving-light/.cache/ when there; trained once and saved
    otherwise. (Runs are independent per seed, so every run's first cycles are
    exactly those of the headline sweep.)
    """
    path = os.path.join(HERE, ".cache", f"run_seed{seed}_n{n_seeds}_c{cycles}.npz")
    cfg = Config(seed=seed, n_seeds=n_seeds, max_cycles=cycles, run_to_cap=True, record_every=5)
    if os.path.exists(path):
        z = np.load(path)
        cfg = Config(**json.loads(str(z["config"])))
        model = {"W": z["W"], "W0": z["W0"], "net": build_net(cfg), "cfg": cfg}
        hist = {k[2:]: z[k] for k in z.files if k.startswith("h_")}
        return model, hist
    model, hist = train(cfg, trace_flow=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(path, config=json.dumps(dataclasses.asdict(cfg)), W=model["W"],
                        W0=model["W0"], **{"h_" + k: np.asarray(v) for k, v in hist.items()})
    return model, hist


# ----------------------------------------------------------------------------
# Experiments: headline sweep, stability, ablation
# ----------------------------------------------------------------------------
PAPER = {
    "citation": ("Schmidhuber, J. (1989). A local learning algorithm for dynamic feedforward "
                 "and recurrent networks. Connection Science 1(4):403-412."),
    "year": 1989,
    "metrics": {"mean_cycles": 223, "solve_rate": 0.9},
    "source": ("Section 6 'Simple experiments' (IDSIA transcription, bucketbrigade/node6), as "
               "quoted in issue #3: 5-cell retina + always-on unit, recurrent competitive subset "
               "of 2 outputs; 223 cycles on average, 9 of 10 runs."),
}
EARLIER = {"metrics": {"mean_cycles": 223, "solve_rate": 0.3},
           "note": "earlier public numpy catalog as quoted in issue #3: mean 223 among solvers, 9/30 seeds"}

ABLATION = [  # (row name, what changes relative to the headline Config, which ambiguity)
    ("headline", {}, "-"),
    ("reward_every", {"reward": "every"}, "reward timing: Ext at every tick the correct output is on"),
    ("denom_outgoing", {"denom": "outgoing"}, "denominator: sum over i's outgoing c_ik(t-1)"),
    ("denom_equal", {"denom": "equal"}, "denominator: even split over active incoming"),
    ("earlier_headline", {"ext": "proportional", "lam_scale": 0.4, "eta_over_lam": 1.0},
     "the earlier reading: Ext = eta c_ij, lam = eta = 0.0012"),
    ("ext_proportional", {"ext": "proportional", "eta_over_lam": 1.0}, "Ext = eta c_ij, eta = lam"),
    ("ext_fixed", {"ext": "fixed", "eta_over_lam": 1.0}, "Ext: eta per tick split by contribution, eta = lam"),
    ("eta_half", {"eta_over_lam": 0.15}, "payoff size: eta halved (0.15 lam)"),
    ("eta_double", {"eta_over_lam": 0.6}, "payoff size: eta doubled (0.6 lam)"),
    ("tie_random", {"tie": "random"}, "tie-breaking: random among tied maxima"),
    ("count_both", {"criterion": "both"}, "counting: first weight state solving both directions"),
    ("lam_half", {"lam_scale": 0.5}, "time scale: lam and eta halved"),
    ("lam_double", {"lam_scale": 2.0}, "time scale: lam and eta doubled"),
    ("no_recurrence", {"recurrent": False}, "architecture: no output -> output connections"),
]


def with_overrides(cfg, over):
    """Config with ablation overrides; eta follows lam unless eta_over_lam is given."""
    over = dict(over)
    lam = cfg.lam * over.pop("lam_scale", 1.0)
    eta = lam * over.pop("eta_over_lam", cfg.eta / cfg.lam)
    return dataclasses.replace(cfg, lam=lam, eta=eta, **over)


def sweep(cfg, timing, key):
    """train + summarize; wall and CPU time go to timing (not metrics: they vary)."""
    t0, c0 = time.time(), time.process_time()
    _, hist = train(cfg)
    timing[key] = round(time.time() - t0, 3)
    timing[key[:-2] + "_cpu_s"] = round(time.process_time() - c0, 3)   # load-independent
    return summarize(hist, cfg.criterion)


def progress(msg, t0):
    print(f"  [{time.time() - t0:6.1f} s] {msg}", flush=True)


def headline_record(cfg, quick, t0, timing):
    metrics = sweep(cfg, timing, "sweep_s")
    progress(f"{metrics['n_solved']}/{cfg.n_seeds} solved, mean {metrics['mean_cycles']} cycles "
             f"(paper 223, 9/10), {timing['sweep_s']} s", t0)
    first10 = np.array(metrics["cycles"][:10])
    metrics["first_10_seeds"] = {"n_seeds": 10, "n_solved": int((first10 > 0).sum()),
                                 "solve_rate": float((first10 > 0).mean()),
                                 "mean_cycles": float(first10[first10 > 0].mean())
                                 if (first10 > 0).any() else None}
    if quick:
        return metrics
    st = sweep(dataclasses.replace(cfg, run_to_cap=True, max_cycles=STABILITY_CYCLES), timing,
               "stability_s")
    metrics["stability"] = {k: st[k] for k in ("n_seeds", "n_both", "mean_cycles_both", "n_stable",
                                                "mean_cycles_stable")}
    metrics["stability"]["cycles"] = STABILITY_CYCLES
    progress(f"stability: both directions at once in {st['n_both']}/{cfg.n_seeds}, stable in "
             f"{st['n_stable']}/{cfg.n_seeds}", t0)
    return metrics


def ablation_record(cfg, t0, timing):
    rows = {}
    for name, over, what in ABLATION:
        m = sweep(with_overrides(cfg, over), timing, name)
        m["changes"] = what
        rows[name] = m
        progress(f"{name:16s} {m['n_solved']:2d}/{cfg.n_seeds} solved, mean {m['mean_cycles']}", t0)
    return {"solve_rate": rows["headline"]["solve_rate"], "n_seeds": cfg.n_seeds,
            "n_solved": rows["headline"]["n_solved"],
            "mean_cycles": rows["headline"]["mean_cycles"], "ablation": rows}


def fmt_n(v):
    return "-" if v is None else f"{v:.0f}"


def build_record(cfg, metrics, args, ablation, wallclock, timing):
    if ablation:
        rows = [[k, v["changes"], f"{v['n_solved']}/{v['n_seeds']}", fmt_n(v["mean_cycles"]),
                 fmt_n(v["median_cycles"])] for k, v in metrics["ablation"].items()]
        table = {"columns": ["reading", "what changes", "solved", "mean cycles", "median"],
                 "rows": rows}
    else:
        f10 = metrics["first_10_seeds"]
        rows = [[f"runs that find a solution ({cfg.n_seeds} seeds)",
                 f"{metrics['n_solved']}/{metrics['n_seeds']}", "9/10"],
                [f"mean cycles to a solution ({cfg.n_seeds} seeds)", fmt_n(metrics["mean_cycles"]),
                 "223"],
                ["first 10 seeds: solved / mean cycles",
                 f"{f10['n_solved']}/10 / {fmt_n(f10['mean_cycles'])}", "9/10 / 223"]]
        if "stability" in metrics:
            s = metrics["stability"]
            rows += [[f"one weight state solves both directions (within {s['cycles']})",
                      f"{s['n_both']}/{s['n_seeds']}", "-"],
                     ["stable (both for 100 cycles) / mean cycles",
                      f"{s['n_stable']}/{s['n_seeds']} / {fmt_n(s['mean_cycles_stable'])}", "-"]]
        rows.append([f"{cfg.n_seeds}-seed sweep wallclock / CPU time, s (shared 2-core machine)",
                     f"{timing['sweep_s']:.2f} / {timing['sweep_cpu_s']:.2f}", "-"])
        table = {"columns": ["setting", "ours", "paper"], "rows": rows}
    ours = metrics["mean_cycles"]
    rate = metrics["solve_rate"]
    rel = abs(ours - 223) / 223 if ours is not None else None
    reproduces = ("yes" if rate >= 0.9 and rel is not None and rel <= 0.2
                  else "partial" if rate >= 0.5 else "no")
    summary = (f"{metrics['n_solved']}/{cfg.n_seeds} runs learn the light's direction, in "
               f"{fmt_n(ours)} cycles on average (paper 223, 9/10; lam = {cfg.lam:g}, eta = {cfg.eta:g}, "
               f"the same constants as nbb-xor)")
    return {
        "slug": SLUG, "command": "python3 " + " ".join([f"{SLUG}/nbb_moving_light.py"] + args),
        "seed": cfg.seed, "config": dataclasses.asdict(cfg), "metrics": metrics,
        "paper": PAPER, "earlier_repro": EARLIER,
        "headline": {"metric": "mean_cycles", "ours": ours, "paper": 223, "earlier": 223,
                     "reproduces": reproduces,
                     "rule": "yes if solve_rate >= 0.9 and |ours - 223| / 223 <= 0.2; "
                             "partial if solve_rate >= 0.5",
                     "summary": summary},
        "table": table, "tolerance": {"rel": 1e-9}, "wallclock_s": round(wallclock, 3),
        "timing_s": timing,
        "env": {"python": platform.python_version(), "numpy": np.__version__,
                "platform": platform.platform()},
    }


# ----------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------
def parse_args(argv=None):
    d = Config()
    p = argparse.ArgumentParser(description="Moving-light direction with Schmidhuber's (1989) "
                                            "Neural Bucket Brigade.")
    p.add_argument("--seed", type=int, default=d.seed, help="first seed (runs seed .. seed+n_seeds-1)")
    p.add_argument("--n-seeds", type=int, default=d.n_seeds, help="independent runs (paper: 10)")
    p.add_argument("--quick", action="store_true", help="headline sweep only, 10 seeds (a smoke run)")
    p.add_argument("--results", type=str, default=None, help="write the run record (JSON) here")
    p.add_argument("--ablation", action="store_true",
                   help="sweep the readings of the rule (reward timing, denominator, eta, ties, counting)")
    p.add_argument("--lam", type=float, default=d.lam, help="lambda, the payout fraction")
    p.add_argument("--eta", type=float, default=d.eta, help="external payoff per unit contribution")
    for k in ("ext", "reward", "denom", "tie", "criterion"):
        p.add_argument("--" + k, type=str, default=getattr(d, k), help=" | ".join(CHOICES[k]))
    p.add_argument("--max-cycles", type=int, default=d.max_cycles, help="cap on training cycles per run")
    a = p.parse_args(argv)
    err = None
    if a.n_seeds < 1:
        err = "--n-seeds must be >= 1"
    elif a.seed < 0:
        err = "--seed must be >= 0"
    elif a.max_cycles < 1:
        err = "--max-cycles must be >= 1"
    elif not 0 < a.lam < 1 or a.eta < 0:
        err = "--lam must be in (0, 1) and --eta >= 0"
    for k in CHOICES:
        if err is None and getattr(a, k) not in CHOICES[k]:
            err = f"--{k} must be one of: {', '.join(CHOICES[k])}"
    if err:
        p.exit(2, f"nbb_moving_light.py: error: {err}\n")
    return a


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    t0 = time.time()
    cfg = Config(seed=a.seed, n_seeds=10 if a.quick else a.n_seeds, lam=a.lam, eta=a.eta, ext=a.ext,
                 reward=a.reward, denom=a.denom, tie=a.tie, criterion=a.criterion,
                 max_cycles=a.max_cycles)
    print("config:", json.dumps(dataclasses.asdict(cfg)), flush=True)
    timing = {}
    if a.ablation:
        metrics = ablation_record(cfg, t0, timing)
    else:
        metrics = headline_record(cfg, a.quick, t0, timing)
    wall = time.time() - t0
    rec = build_record(cfg, metrics, argv, a.ablation, wall, timing)
    print(f"{rec['headline']['summary']}; reproduces: {rec['headline']['reproduces']} "
          f"(earlier numpy catalog: 9/30 seeds); {wall:.1f} s")
    if a.results:
        path = os.path.abspath(a.results)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            json.dump(rec, fh, indent=1)
        print("wrote", path)
    return rec


if __name__ == "__main__":
    main()
