"""XOR with the Neural Bucket Brigade (NBB).

Schmidhuber, J. (1989). A local learning algorithm for dynamic feedforward and
recurrent networks. Connection Science 1(4):403-412. (Also FKI-124-90, TU Munich.)

The task. Three input units (x1, x2 and one unit that is always on) feed one
competitive subset (winner-take-all) of 3 hidden units and one competitive
subset of 2 output units; the hidden units feed the outputs too (the paper:
"a layer of three input units was connected to a predefined competitive subset
of three hidden units and a predefined competitive subset of two output units.
The subset of hidden units also was connected to the subset of output-units"). Each cycle resets every activation, picks
one of the four XOR patterns at random and clamps it on the inputs for 6 ticks.
Output unit 1 should win for XOR = 1, output unit 0 for XOR = 0. There is no
gradient anywhere: weights move only by the NBB's local, dissipative economy of
"weight substance".

The rule, exactly as implemented (discrete time, instant decay; section 3 of
the paper). x_i(t) is 0 or 1; in each competitive subset the unit with the
largest positive net input wins, all others are 0.

    (1) net_j(t) = sum_i x_i(t-1) w_ij(t-1)
    (2) c_ij(t)  = x_i(t-1) w_ij(t-1) x_j(t)     contribution of i->j to a winner j
    (3) dw_ij(t) = - lam c_ij(t)                          i->j pays a fraction of its bid
                   + c_ij(t-1) / sum_h c_hj(t-1) * sum_k lam c_jk(t)
                                  j passes what its outgoing connections paid
                                  to the connections that activated j one tick earlier
                   + Ext_ij(t)                            external payoff
    (4) Ext_ij(t) = eta x_i(t-1) x_j(t)   if j is the correct output unit (0 otherwise):
                  a fixed bit of substance to every connection that switched the
                  correct output on ("the environment gave a payoff to w_ij")

What input units receive has nowhere to go (they have no incoming connections):
that is the dissipation. Substance enters only through Ext. A connection needs
only its weight and its contributions at t and t-1; a unit only the sums of its
incoming contributions at t and t-1: local in space and time.

Counting (section 6): after every training cycle the presented pattern is
tested with weight changes off; it is solved when the correct output is on
during the last 3 ticks. A solution is found when each of the four patterns was
solved at its latest test ("sliding"; the only reading under which the paper's
2-hidden net, which cannot hold XOR in one weight state, finds solutions).
"All four" (one frozen weight state solves every pattern) and "stable" (all four
for 100 consecutive cycles) are reported alongside. The transcription gives no
lam, eta or initial weights: lam = 0.003 and eta = 0.0009 were fitted once, to
this stub's 619 and nbb-moving-light's 223 together, and are shared by both
stubs (README, Deviations 1); the 2-hidden and two-subset numbers are checks,
not fits. `--ablation` measures each other reading of the rule.

    python3 nbb-xor/nbb_xor.py --seed 0 --n-seeds 20 --results nbb-xor/results.json
    python3 nbb-xor/nbb_xor.py --seed 0 --n-seeds 20 --ablation --results nbb-xor/runs/ablation.json
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
SLUG = "nbb-xor"


# ----------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 0                 # first seed; runs seed .. seed+n_seeds-1 go as one array program
    n_seeds: int = 20             # independent runs (paper: 20 for 3 hidden, 10 for two subsets)
    n_hidden: int = 3             # hidden units per competitive subset (paper: 3; variant 2)
    n_subsets: int = 1            # hidden competitive subsets (paper: 1; variant: two subsets of 2)
    direct: bool = True           # input -> output connections too (paper: yes, "a layer of three input
                                  #   units was connected to [the hidden] and [the output] subset")
    ticks: int = 6                # ticks per pattern presentation (paper: 6)
    test_ticks: int = 3           # the correct output must be on in the last test_ticks ticks (paper: 3)
    lam: float = 0.003            # lambda, fraction of a contribution paid out (paper: not given; fitted)
    eta: float = 0.0009           # payoff per active connection into the correct output (paper: not given)
    ext: str = "constant"         # Ext_ij = eta per active i->j | "proportional": eta c_ij
                                  #   | "fixed": eta per tick split by c_ij / sum_h c_hj
    reward: str = "every"         # Ext at every tick the correct output is on | "last" test ticks | "end"
    learn_last_only: bool = False  # apply rule (3) only in the last test_ticks ticks (paper: every tick)
    denom: str = "incoming"       # share c_ij(t-1)/sum_h c_hj(t-1) | "outgoing": /sum_k c_ik | "equal"
    tie: str = "first"            # WTA tie-breaking: lowest index | "random"
    w_init_low: float = 0.0       # initial weights ~ U(low, high) on every connection
    w_init_high: float = 1.0      #   (paper: "randomly initialized with a positive real value")
    criterion: str = "sliding"    # solution: "sliding" latest test of each pattern | "all4" one weight state
    max_presentations: int = 6000  # cap on training cycles per run
    stable_window: int = 100      # "stable": all four solved for this many consecutive cycles
    run_to_cap: bool = False      # keep training after the solution (to measure stability)
    record_every: int = 10        # history resolution (cycles) for curves and weight snapshots


XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)   # (4, 2)
XOR_TARGETS = np.array([0, 1, 1, 0])                                         # correct output unit
CHOICES = {"ext": ("proportional", "fixed", "constant"), "reward": ("every", "last", "end"),
           "denom": ("incoming", "outgoing", "equal"), "tie": ("first", "random"),
           "criterion": ("sliding", "all4")}


# ----------------------------------------------------------------------------
# Network: units 0..2 are inputs (always-on, x1, x2), then hidden, then 2 outputs
# ----------------------------------------------------------------------------
def build_net(cfg):
    """Unit layout, competitive subsets (slices) and the connection mask M (N, N)."""
    n_in, n_out = 3, 2
    n_hid = cfg.n_hidden * cfg.n_subsets
    N = n_in + n_hid + n_out
    groups = [slice(n_in + k * cfg.n_hidden, n_in + (k + 1) * cfg.n_hidden)
              for k in range(cfg.n_subsets)]
    groups.append(slice(n_in + n_hid, N))
    M = np.zeros((N, N))
    M[:n_in, n_in:n_in + n_hid] = 1.0          # every input -> every hidden unit
    M[n_in:n_in + n_hid, n_in + n_hid:] = 1.0  # every hidden unit -> both outputs
    if cfg.direct:
        M[:n_in, n_in + n_hid:] = 1.0          # every input -> both outputs (paper, section 6)
    return {"N": N, "n_in": n_in, "hid": slice(n_in, n_in + n_hid),
            "out": slice(n_in + n_hid, N), "out0": n_in + n_hid, "groups": groups, "M": M}


def input_frame(net, patterns):
    """Clamped input activations (..., N) for XOR pattern indices (...) in 0..3."""
    x = np.zeros(patterns.shape + (net["N"],))
    x[..., 0] = 1.0                            # the always-on unit
    x[..., 1:3] = XOR_INPUTS[patterns]
    return x


# ----------------------------------------------------------------------------
# Model: winner-take-all activation and the bucket-brigade rule
# ----------------------------------------------------------------------------
def winners(net_in, net, tie, rng):
    """x_j(t): 1 for the unit with the largest positive net input of each subset."""
    x = np.zeros_like(net_in)
    for g in net["groups"]:
        sub = net_in[..., g]                                   # (S, B, |g|)
        top = sub.max(-1, keepdims=True)
        if tie == "random":   # a uniform choice among tied maxima
            sub = (sub == top) * (1.0 + rng.random(sub.shape))
        k = sub.argmax(-1)[..., None]                          # argmax: lowest index among ties
        x[..., g] = (k == np.arange(sub.shape[-1])) & (top > 0.0)
    return x


def forward(W, x_prev, frame, cfg, net, rng):
    """(1) net_j(t) = sum_i x_i(t-1) w_ij(t-1); WTA winners; inputs clamped to `frame`.

    Works for any leading shape: x_prev, frame (S, ..., N), W (S, N, N).
    Returns x(t) and net(t).
    """
    net_in = np.matmul(x_prev, W) if x_prev.ndim == 3 else np.matmul(x_prev[:, None], W)[:, 0]
    x = winners(net_in, net, cfg.tie, rng)
    x[..., :net["n_in"]] = frame[..., :net["n_in"]]
    return x, net_in


def nbb_tick(W, x_prev, net_prev, c_prev, frame, gate, cfg, net, rng):
    """One learning tick of S networks (one presentation each).

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


def correct_outputs(net, patterns):
    """1 on the correct output unit of each pattern: (..., N)."""
    g = np.zeros(patterns.shape + (net["N"],))
    g[..., net["out"]] = np.eye(2)[XOR_TARGETS[patterns]]
    return g


def present(W, patterns, cfg, net, rng, learn=True, ticks=None, trace_flow=False):
    """One cycle: reset all activations, clamp `patterns` for `ticks` ticks.

    learn=True: patterns (S,) -- one training presentation per network, with
    rule (3) applied every tick. learn=False: patterns (S, B), weights frozen.
    Returns {"W": weights after the cycle, "out": outputs per tick (S, [B,] T, 2),
    "hid": hidden units per tick (S, [B,] T, H), "flow": (paid, received, ext)
    summed over the cycle, each (S, N, N), when trace_flow}.
    """
    T = ticks or cfg.ticks
    N = net["N"]
    frame = input_frame(net, patterns)
    x = np.zeros(patterns.shape + (N,))
    net_in = np.zeros(patterns.shape + (N,))
    c = np.zeros(patterns.shape + (N, N))
    correct = correct_outputs(net, patterns)
    outs, hids = [], []
    flow = [np.zeros_like(W) for _ in range(3)] if trace_flow else None
    for t in range(1, T + 1):
        if not learn:
            x, _ = forward(W, x, frame, cfg, net, rng)
        else:
            rewarded = (cfg.reward == "every" or (cfg.reward == "last" and t > T - cfg.test_ticks)
                        or (cfg.reward == "end" and t == T))
            x, net_in, c, terms = nbb_tick(W, x, net_in, c, frame, correct * rewarded, cfg, net, rng)
            pay, receive, ext = terms
            if not (cfg.learn_last_only and t <= T - cfg.test_ticks):
                W = W - pay + receive + ext                        # rule (3)
            if trace_flow:
                for acc, term in zip(flow, terms):
                    acc += term
        outs.append(x[..., net["out"]])
        hids.append(x[..., net["hid"]])
    return {"W": W, "out": np.stack(outs, -2), "hid": np.stack(hids, -2), "flow": flow}


# ----------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------
def test_patterns(W, patterns, cfg, net, rng):
    """Frozen-weight test: is the correct output on in the last test_ticks ticks? (S, B)

    With weights frozen and inputs clamped, a feedforward net's state is
    constant from tick (depth + 1) = 3 on, so 3 ticks decide the last 3 of 6
    (test_xor.py checks this against the full 6-tick cycle).
    """
    r = present(W, patterns, cfg, net, rng, learn=False, ticks=3)
    want = np.eye(2)[XOR_TARGETS[patterns]]                    # (S, B, 2)
    return (r["out"][:, :, -1, :] == want).all(-1), r


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

    Run k draws its initial weights and its pattern sequence from its own
    streams, so it is the same run whatever else is in the sweep.
    Returns (model, history): model {"W" (S, N, N), "W0", "net", "cfg"};
    history: per-run cycle counts (-1 = never) and curves every record_every.
    """
    net = build_net(cfg)
    S, T = cfg.n_seeds, cfg.max_presentations
    streams = [seed_streams(cfg.seed + k) for k in range(S)]
    W = np.stack([st["init"].uniform(cfg.w_init_low, cfg.w_init_high, net["M"].shape)
                  for st in streams]) * net["M"]                             # (S, N, N)
    pats = np.stack([st["data"].integers(4, size=T) for st in streams])     # (S, T)
    tie_rng = streams[0]["tie"]                # drawn from only when cfg.tie == "random"
    W0 = W.copy()
    all_pats = np.broadcast_to(np.arange(4), (S, 4))

    last_ok = np.zeros((S, 4), bool)            # each pattern's latest frozen test
    solved_at = np.full(S, -1)                  # "sliding" solution
    all4_at = np.full(S, -1)                    # first weight state that solves all four
    stable_at = np.full(S, -1)                  # start of the first all-four streak >= stable_window
    streak = np.zeros(S, int)
    active = np.ones(S, bool)
    hist = {"n": [], "acc": [], "substance": [], "W": [], "flow": []}
    flow_acc = [np.zeros_like(W) for _ in range(3)]
    n = 0
    for n in range(1, T + 1):
        idx = np.flatnonzero(active)
        p = pats[idx, n - 1]
        r = present(W[idx], p, cfg, net, tie_rng, learn=True, trace_flow=trace_flow)
        W[idx] = r["W"]
        if trace_flow:
            for acc, term in zip(flow_acc, r["flow"]):
                acc[idx] += term
        ok4, _ = test_patterns(W[idx], all_pats[idx], cfg, net, tie_rng)    # (S', 4)
        last_ok[idx, p] = ok4[np.arange(len(idx)), p]
        sliding = last_ok[idx].all(1)
        all4 = ok4.all(1)
        streak[idx] = np.where(all4, streak[idx] + 1, 0)
        for at, hit in ((solved_at, sliding), (all4_at, all4),
                        (stable_at, streak[idx] >= cfg.stable_window)):
            new = hit & (at[idx] < 0)
            at[idx[new]] = n if at is not stable_at else n - cfg.stable_window + 1
        if n % cfg.record_every == 0 or n == 1:
            acc = np.full(S, np.nan)
            acc[idx] = ok4.mean(1)
            hist["n"].append(n)
            hist["acc"].append(acc)
            hist["substance"].append(substance(W))
            hist["W"].append(W.copy())
            if trace_flow:
                hist["flow"].append(np.stack(flow_acc, 1).copy())            # (S, 3, N, N)
                flow_acc = [np.zeros_like(W) for _ in range(3)]
        if not cfg.run_to_cap:
            done = (solved_at if cfg.criterion == "sliding" else all4_at)[idx] > 0
            active[idx[done]] = False
        if not active.any():
            break
    model = {"W": W, "W0": W0, "net": net, "cfg": cfg}
    history = {"solved_at": solved_at, "all4_at": all4_at, "stable_at": stable_at,
               "cycles_run": n, "n": np.array(hist["n"]), "acc": np.array(hist["acc"]),
               "substance": np.array(hist["substance"]), "W": np.array(hist["W"])}
    if trace_flow:
        history["flow"] = np.array(hist["flow"])
    return model, history


def evaluate(model, cfg=None):
    """Frozen-weight test of trained runs: solved patterns, hidden winners, output traces."""
    cfg = cfg or model["cfg"]
    S = model["W"].shape[0]
    pats = np.broadcast_to(np.arange(4), (S, 4))
    rng = np.random.default_rng(0)           # used only when cfg.tie == "random"
    ok, _ = test_patterns(model["W"], pats, cfg, model["net"], rng)
    full = present(model["W"], pats, cfg, model["net"], rng, learn=False)
    return {"solved_patterns": ok, "all_solved": ok.all(1),
            "hidden_winner": full["hid"][:, :, -1, :].argmax(-1),    # (S, 4) within the hidden layer
            "output_trace": full["out"], "hidden_trace": full["hid"]}


def summarize(history, criterion="sliding"):
    """Multi-seed metrics; counts are training presentations (cycles).

    solve_rate / mean_presentations follow `criterion`; the other counts are
    reported alongside (they are cut short when runs stop at the criterion).
    """
    def mean_of(v):
        return float(v[v > 0].mean()) if (v > 0).any() else None
    sol, a4, st = history["solved_at"], history["all4_at"], history["stable_at"]
    main = sol if criterion == "sliding" else a4
    ok = main > 0
    return {"n_seeds": int(len(main)), "solve_rate": float(ok.mean()), "n_solved": int(ok.sum()),
            "mean_presentations": mean_of(main),
            "median_presentations": float(np.median(main[ok])) if ok.any() else None,
            "mean_presentations_per_pattern": mean_of(main) / 4 if ok.any() else None,
            "n_sliding": int((sol > 0).sum()), "n_all4": int((a4 > 0).sum()),
            "mean_presentations_all4": mean_of(a4),
            "n_stable": int((st > 0).sum()), "mean_presentations_stable": mean_of(st),
            "presentations": [int(v) for v in main]}


def saved_run(seed=0, n_seeds=20, cycles=1500):
    """The headline runs continued past their solution to `cycles` presentations,
    with substance flows traced: what the figures and the GIF show.

    Loaded from nbb-xor/.cache/ when there; trained once and saved otherwise.
    (Runs are independent per seed, so every run's first presentations are
    exactly those of the headline sweep.)
    """
    path = os.path.join(HERE, ".cache", f"run_seed{seed}_n{n_seeds}_c{cycles}.npz")
    cfg = Config(seed=seed, n_seeds=n_seeds, max_presentations=cycles, run_to_cap=True,
                 record_every=5)
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
# Experiments: headline sweep, paper variants, stability, ablation
# ----------------------------------------------------------------------------
PAPER = {
    "citation": ("Schmidhuber, J. (1989). A local learning algorithm for dynamic feedforward "
                 "and recurrent networks. Connection Science 1(4):403-412."),
    "year": 1989,
    "metrics": {"mean_presentations": 619, "mean_presentations_stable": 674,
                "hidden2": {"mean_presentations_per_pattern": 160},
                "two_subsets": {"mean_presentations_per_pattern": 263, "solve_rate": 0.8}},
    "source": ("Section 6 'Simple experiments' (IDSIA transcription, bucketbrigade/node6), as "
               "quoted in issue #3: 3 hidden, 20 runs, ~619 presentations to a solution, ~674 to "
               "a stable one; 2 hidden ~160 per pattern, not stable; two subsets of 2 hidden "
               "~263 per pattern, 8/10 runs."),
}
EARLIER = {"metrics": {"mean_presentations": 3012, "solve_rate": 0.95},
           "note": "earlier public numpy catalog as quoted in issue #3: 19/20 seeds at a 5000 cap, ~2 s per seed"}

STABILITY_CYCLES = 3000        # the stability run trains every headline seed this long

VARIANTS = {  # name -> (Config overrides, seeds, paper's presentations per pattern)
    "hidden2": ({"n_hidden": 2}, 20, 160),
    "two_subsets": ({"n_hidden": 2, "n_subsets": 2}, 10, 263),
}

ABLATION = [  # (row name, what changes relative to the headline Config, which ambiguity)
    ("headline", {}, "-"),
    ("earlier_headline", {"direct": False, "ext": "proportional", "lam_scale": 0.4, "eta_over_lam": 1.0},
     "the earlier reading: no input->output, Ext = eta c_ij, lam = eta = 0.0012"),
    ("no_direct", {"direct": False}, "architecture: no input -> output connections"),
    ("ext_proportional", {"ext": "proportional", "eta_over_lam": 1.0}, "Ext = eta c_ij, eta = lam"),
    ("ext_fixed", {"ext": "fixed", "eta_over_lam": 1.0}, "Ext: eta per tick split by contribution, eta = lam"),
    ("reward_last3", {"reward": "last"}, "reward timing: Ext only in the 3 test ticks"),
    ("reward_end", {"reward": "end"}, "reward timing: Ext only at the last tick"),
    ("denom_outgoing", {"denom": "outgoing"}, "denominator: sum over i's outgoing c_ik(t-1)"),
    ("denom_equal", {"denom": "equal"}, "denominator: even split over active incoming"),
    ("eta_half", {"eta_over_lam": 0.15}, "payoff size: eta halved (0.15 lam)"),
    ("eta_double", {"eta_over_lam": 0.6}, "payoff size: eta doubled (0.6 lam)"),
    ("tie_random", {"tie": "random"}, "tie-breaking: random among tied maxima"),
    ("count_all4", {"criterion": "all4"}, "counting: first weight state solving all four"),
    ("lam_half", {"lam_scale": 0.5}, "time scale: lam and eta halved"),
    ("lam_double", {"lam_scale": 2.0}, "time scale: lam and eta doubled"),
    ("init_0.5_1.5", {"w_init_low": 0.5, "w_init_high": 1.5}, "initial weights U(0.5, 1.5)"),
    ("learn_last3", {"learn_last_only": True}, "weights change only in the 3 test ticks"),
]


STABILITY_PROBE = [  # readings tried in search of the paper's stable solution (3000 cycles each)
    ("headline", {}, "-"),
    ("earlier_headline", {"direct": False, "ext": "proportional", "lam_scale": 0.4, "eta_over_lam": 1.0},
     "the earlier reading (no input->output, Ext = eta c_ij, lam = eta = 0.0012)"),
    ("ext_proportional", {"ext": "proportional", "eta_over_lam": 1.0}, "Ext = eta c_ij, eta = lam"),
    ("eta_half", {"eta_over_lam": 0.15}, "eta halved"),
    ("eta_double", {"eta_over_lam": 0.6}, "eta doubled"),
    ("reward_end", {"reward": "end"}, "Ext at the last tick only"),
    ("init_0.5_1.5", {"w_init_low": 0.5, "w_init_high": 1.5}, "initial weights U(0.5, 1.5)"),
    ("lam_5x", {"lam_scale": 5.0}, "lam and eta five times larger"),
    ("learn_last3", {"learn_last_only": True}, "weights change only in the 3 test ticks"),
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
    m = summarize(hist, cfg.criterion)
    if cfg.run_to_cap:   # frozen-weight accuracy (of 4 patterns) averaged over runs
        m["mean_accuracy_first"] = float(hist["acc"][0].mean())
        m["mean_accuracy_last"] = float(hist["acc"][-1].mean())
        m["mean_accuracy_last_third"] = float(hist["acc"][-len(hist["acc"]) // 3:].mean())
    return m


def progress(msg, t0):
    print(f"  [{time.time() - t0:6.1f} s] {msg}", flush=True)


def headline_record(cfg, quick, t0, timing):
    """The headline 3-hidden sweep, the paper's two variants and the stability run."""
    metrics = sweep(cfg, timing, "sweep_3hidden_s")
    progress(f"3 hidden: {metrics['n_solved']}/{cfg.n_seeds} solved, mean "
             f"{metrics['mean_presentations']} presentations (paper ~619), "
             f"{timing['sweep_3hidden_s']} s", t0)
    if quick:
        return metrics
    metrics["variants"] = {}
    for name, (over, n_seeds, _) in VARIANTS.items():
        m = sweep(dataclasses.replace(cfg, n_seeds=n_seeds, **over), timing, f"sweep_{name}_s")
        metrics["variants"][name] = m
        progress(f"{name}: {m['n_solved']}/{n_seeds} solved, {m['mean_presentations_per_pattern']} "
                 f"per pattern", t0)
    cycles = STABILITY_CYCLES
    st = sweep(dataclasses.replace(cfg, run_to_cap=True, max_presentations=cycles), timing,
               "stability_s")
    metrics["stability"] = {k: st[k] for k in ("n_seeds", "n_all4", "mean_presentations_all4",
                                                "n_stable", "mean_presentations_stable",
                                                "mean_accuracy_first", "mean_accuracy_last_third")}
    metrics["stability"]["cycles"] = cycles
    progress(f"stability: all four at once in {st['n_all4']}/{cfg.n_seeds}, stable in "
             f"{st['n_stable']}/{cfg.n_seeds}", t0)
    return metrics


def ablation_record(cfg, t0, timing):
    rows = {}
    for name, over, what in ABLATION:
        m = sweep(with_overrides(cfg, over), timing, name)
        m["changes"] = what
        rows[name] = m
        progress(f"{name:16s} {m['n_solved']:2d}/{cfg.n_seeds} solved, mean "
                 f"{m['mean_presentations']}", t0)
    probe = {}
    for name, over, what in STABILITY_PROBE:
        c = dataclasses.replace(with_overrides(cfg, over), run_to_cap=True,
                                max_presentations=STABILITY_CYCLES)
        m = sweep(c, timing, "stability_" + name)
        probe[name] = {k: m[k] for k in ("n_seeds", "n_all4", "mean_presentations_all4", "n_stable",
                                         "mean_presentations_stable", "mean_accuracy_first",
                                         "mean_accuracy_last_third")}
        probe[name]["changes"] = what
        progress(f"stability {name:14s} all four {m['n_all4']:2d}/{cfg.n_seeds}, stable "
                 f"{m['n_stable']:2d}/{cfg.n_seeds}", t0)
    return {"solve_rate": rows["headline"]["solve_rate"], "n_seeds": cfg.n_seeds,
            "n_solved": rows["headline"]["n_solved"],
            "mean_presentations": rows["headline"]["mean_presentations"], "ablation": rows,
            "stability_probe": probe}


def fmt_n(v):
    return "-" if v is None else f"{v:.0f}"


def build_record(cfg, metrics, args, ablation, wallclock, timing):
    paper = PAPER
    if ablation:
        ab = metrics["ablation"]
        rows = [[k, v["changes"], f"{v['n_solved']}/{v['n_seeds']}", fmt_n(v["mean_presentations"]),
                 fmt_n(v["median_presentations"])] for k, v in ab.items()]
        for k, v in metrics["stability_probe"].items():
            rows.append([f"stability probe: {k}", v["changes"],
                         f"all four at once {v['n_all4']}/{v['n_seeds']}, stable "
                         f"{v['n_stable']}/{v['n_seeds']} (in {STABILITY_CYCLES})",
                         f"accuracy {v['mean_accuracy_last_third']:.2f}", "-"])
        table = {"columns": ["reading", "what changes", "solved", "mean presentations",
                             "median"], "rows": rows}
    else:
        rows = [["3 hidden: runs that find a solution", f"{metrics['n_solved']}/{metrics['n_seeds']}",
                 "20 runs"],
                ["3 hidden: mean presentations to a solution", fmt_n(metrics["mean_presentations"]), "619"]]
        if "stability" in metrics:
            s = metrics["stability"]
            rows += [["3 hidden: one weight state solves all four (within 3000)",
                      f"{s['n_all4']}/{s['n_seeds']}", "-"],
                     ["3 hidden: stable (all four for 100 cycles) / mean presentations",
                      f"{s['n_stable']}/{s['n_seeds']} / {fmt_n(s['mean_presentations_stable'])}",
                      "- / 674"]]
            for name, (_, n_seeds, per) in VARIANTS.items():
                v = metrics["variants"][name]
                paper_rate = "8/10" if name == "two_subsets" else "-"
                rows += [[f"{name}: runs solved", f"{v['n_solved']}/{v['n_seeds']}", paper_rate],
                         [f"{name}: presentations per pattern (total / 4)",
                          fmt_n(v["mean_presentations_per_pattern"]), str(per)],
                         [f"{name}: total presentations", fmt_n(v["mean_presentations"]), "-"]]
        rows.append([f"{cfg.n_seeds}-seed sweep wallclock / CPU time, s (shared 2-core machine)",
                     f"{timing['sweep_3hidden_s']:.2f} / {timing['sweep_3hidden_cpu_s']:.2f}", "-"])
        table = {"columns": ["setting", "ours", "paper"], "rows": rows}
    ours = metrics["mean_presentations"]
    rate = metrics["solve_rate"]
    rel = abs(ours - 619) / 619 if ours is not None else None
    reproduces = ("yes" if rate >= 0.95 and rel is not None and rel <= 0.2
                  else "partial" if rate >= 0.5 else "no")
    summary = (f"{metrics['n_solved']}/{cfg.n_seeds} runs find an XOR solution, in "
               f"{fmt_n(ours)} presentations on average (paper 619; lam = {cfg.lam:g}, "
               f"eta = {cfg.eta:g} fitted jointly with nbb-moving-light)")
    return {
        "slug": SLUG, "command": "python3 " + " ".join([f"{SLUG}/nbb_xor.py"] + args),
        "seed": cfg.seed, "config": dataclasses.asdict(cfg), "metrics": metrics,
        "paper": paper, "earlier_repro": EARLIER,
        "headline": {"metric": "mean_presentations", "ours": ours, "paper": 619,
                     "earlier": 3012, "reproduces": reproduces,
                     "rule": "yes if solve_rate >= 0.95 and |ours - 619| / 619 <= 0.2; "
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
    p = argparse.ArgumentParser(description="XOR with Schmidhuber's (1989) Neural Bucket Brigade.")
    p.add_argument("--seed", type=int, default=d.seed, help="first seed (runs seed .. seed+n_seeds-1)")
    p.add_argument("--n-seeds", type=int, default=d.n_seeds, help="independent runs (paper: 20)")
    p.add_argument("--quick", action="store_true", help="headline sweep only, 5 seeds (a smoke run)")
    p.add_argument("--results", type=str, default=None, help="write the run record (JSON) here")
    p.add_argument("--ablation", action="store_true",
                   help="sweep the readings of the rule (reward timing, denominator, eta, ties, counting)")
    p.add_argument("--lam", type=float, default=d.lam, help="lambda, the payout fraction")
    p.add_argument("--eta", type=float, default=d.eta, help="external payoff per unit contribution")
    for k in ("ext", "reward", "denom", "tie", "criterion"):
        p.add_argument("--" + k, type=str, default=getattr(d, k), help=" | ".join(CHOICES[k]))
    p.add_argument("--n-hidden", type=int, default=d.n_hidden, help="hidden units per competitive subset")
    p.add_argument("--n-subsets", type=int, default=d.n_subsets, help="hidden competitive subsets")
    p.add_argument("--max-presentations", type=int, default=d.max_presentations,
                   help="cap on training presentations per run")
    a = p.parse_args(argv)
    err = None
    if a.n_seeds < 1:
        err = "--n-seeds must be >= 1"
    elif a.seed < 0:
        err = "--seed must be >= 0"
    elif a.max_presentations < 1:
        err = "--max-presentations must be >= 1"
    elif a.n_hidden < 1 or a.n_subsets < 1:
        err = "--n-hidden and --n-subsets must be >= 1"
    elif not 0 < a.lam < 1 or a.eta < 0:
        err = "--lam must be in (0, 1) and --eta >= 0"
    for k in CHOICES:
        if err is None and getattr(a, k) not in CHOICES[k]:
            err = f"--{k} must be one of: {', '.join(CHOICES[k])}"
    if err:
        p.exit(2, f"nbb_xor.py: error: {err}\n")
    return a


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    t0 = time.time()
    cfg = Config(seed=a.seed, n_seeds=5 if a.quick else a.n_seeds, lam=a.lam, eta=a.eta, ext=a.ext,
                 reward=a.reward, denom=a.denom, tie=a.tie, criterion=a.criterion,
                 n_hidden=a.n_hidden, n_subsets=a.n_subsets, max_presentations=a.max_presentations)
    print("config:", json.dumps(dataclasses.asdict(cfg)), flush=True)
    timing = {}
    if a.ablation:
        metrics = ablation_record(cfg, t0, timing)
    else:
        metrics = headline_record(cfg, a.quick, t0, timing)
    wall = time.time() - t0
    rec = build_record(cfg, metrics, argv, a.ablation, wall, timing)
    print(f"{rec['headline']['summary']}; reproduces: {rec['headline']['reproduces']} "
          f"(earlier numpy catalog: 3012); {wall:.1f} s")
    if a.results:
        path = os.path.abspath(a.results)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            json.dump(rec, fh, indent=1)
        print("wrote", path)
    return rec


if __name__ == "__main__":
    main()
