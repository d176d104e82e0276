"""Helmholtz machine trained by wake-sleep on the shifter task.

Dayan, P., Hinton, G. E., Neal, R. M. & Zemel, R. S. (1995). The Helmholtz
machine. Neural Computation 7(5), 889-904.

Task. A 4x8 binary image is made in two stages: the shift direction d (left or
right, prior 1/2 each) is chosen, a row x of 8 bits is drawn with every bit on
with probability p_on, and the other row is x shifted cyclically by one pixel
in direction d. Each row is doubled, so image rows are (x, x, shift(x), shift(x)).
The only thing that tells the directions apart is which pairs of pixels across
the two rows are on together; the paper reports that the layer-2 units come to
detect shifted pixel pairs and that a layer-3 unit codes the direction.

Model. A three-layer sigmoid belief net (32 visible v, n_hidden layer-2 units
h, n_top layer-3 units t) with a separate bottom-up recognition net. All
units are binary stochastic sigmoid units (sig(a) = 1 / (1 + exp(-a))):

    generative    p(t_k = 1)     = sig(b_t)_k
                  p(h_j = 1 | t) = sig(t W_th + b_h)_j
                  p(v_i = 1 | h) = sig(h W_hv + b_v)_i
    recognition   q(h_j = 1 | v) = sig(v R_vh + c_h)_j
                  q(t_k = 1 | h) = sig(h R_ht + c_t)_k

Wake-sleep (the paper's local delta rules, no backprop), averaged
over a minibatch of B patterns, learning rates eps_g (generative) and eps_r
(recognition):

  wake:  v ~ data, h ~ q(h|v), t ~ q(t|h)                               (1)
         b_t  += eps_g * (t - sig(b_t))
         W_th += eps_g * t^T (h - p(h|t)),   b_h += eps_g * (h - p(h|t))
         W_hv += eps_g * h^T (v - p(v|h)),   b_v += eps_g * (v - p(v|h))
  sleep: t ~ p(t), h ~ p(h|t), v ~ p(v|h)     (a "fantasy")             (2)
         R_vh += eps_r * v^T (h - q(h|v)),   c_h += eps_r * (h - q(h|v))
         R_ht += eps_r * h^T (t - q(t|h)),   c_t += eps_r * (t - q(t|h))

Wake makes the generative net reconstruct each layer from the recognised
layer above; sleep makes the recognition net invert the generative net's own
fantasies.

Evaluation. What the paper reports is qualitative, so the verdict counts it:
in how many seeds a layer-3 unit separates the two directions (its own linear
read-out is right on >= separate_acc of the identifiable held-out images), and
how many layer-2 units are shifted-pair detectors. The negative log-likelihood
is a diagnostic: -log2 p(v) estimated by importance sampling with the
recognition net as proposal,
    p(v) ~= (1/M) sum_m p(t_m) p(h_m|t_m) p(v|h_m) / (q(h_m|v) q(t_m|h_m)),
    (h_m, t_m) ~ q(.|v),                                               (3)
and, because the latent space is small (2^(n_hidden + n_top) states), also
computed exactly by enumeration. The floor is the data entropy H(p_data),
computed exactly over the 2 * 2^8 (row, direction) causes.

Deviations from the paper (minibatches of 8 with a linearly decaying learning
rate instead of one pattern per update; initial biases at the pixel marginals;
cyclic shifts and 16 layer-2 units as in the catalog's issue; our evaluation
protocol): see README.md, "Deviations from the original". The sweep of
one-change recipes (including an importance-weighted wake phase, not the
paper's rule) lives in experiments_helmholtz_shifter.py.

    python3 helmholtz-shifter/helmholtz_shifter.py --seed 10000 --n-seeds 10 --results helmholtz-shifter/results.json
    python3 helmholtz-shifter/helmholtz_shifter.py --quick
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "helmholtz-shifter"
LOG2 = np.log(2.0)
STREAMS = ("data", "init", "eval")      # the named random streams of one seed, in spawn order


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000             # first seed; seeds seed .. seed+n_seeds-1 train side by side
    n_seeds: int = 10             # number of seeds trained (vectorised over a seed axis)
    quick: bool = False           # reduced run for tests and smoke runs (a few seconds)
    online: bool = False          # the paper's recipe: one pattern per update, constant eps 0.01
    width: int = 8                # pixels per row (paper: 8)
    p_on: float = 0.2             # probability a row pixel is on (paper, Fig. 1: 0.2; earlier repro: 0.3)
    n_hidden: int = 16            # layer-2 units (issue: 16)
    n_top: int = 1                # layer-3 units (paper: 1; earlier repro: 4)
    steps: int = 200000           # wake-sleep updates (each = one wake + one sleep phase)
    batch_size: int = 8           # patterns (and fantasies) per update (paper: 1, online)
    lr_gen: float = 0.05          # eps_g, generative learning rate (per-batch mean update)
    lr_rec: float = 0.05          # eps_r, recognition learning rate
    lr_final: float = 0.05        # learning rates decay linearly to lr_* x lr_final (1 = constant)
    init_std: float = 0.1         # std of the Gaussian initial weights between layers 1 and 2
    init_std_top: float = 0.1     # std of the initial weights between layers 2 and 3
    bias_h0: float = -2.0         # initial layer-2 biases b_h, c_h (sparse start; paper: not stated)
    bias_v0: float = -1.4         # initial visible biases b_v, about logit(p_on) (paper: not stated)
    wake_samples: int = 1         # K recognition samples per pattern in wake; K > 1 weights them by p/q (reweighted wake-sleep, not the paper's rule; 1 = paper)
    wake_rec: bool = False        # with K > 1, also train q on data with those weights (not the paper's rule)
    chunk: int = 250              # steps whose random numbers are drawn at once (speed only)
    log_every: int = 5000         # steps between history points (IS-NLL, M = is_samples_hist)
    is_samples_hist: int = 100    # importance samples per image for the history curve
    is_samples: int = 1000        # M, importance samples per image for the final is_nll_bits
    n_eval: int = 4000            # held-out images for the direction read-out (and as many to fit it)
    n_snapshots: int = 40         # parameter snapshots kept for the GIF
    separate_acc: float = 0.9     # a layer-3 unit separates the directions when its own read-out is right on this fraction of identifiable held-out images (the target)
    field_thresh: float = 2.0     # a generative weight counts as strong above this (and 0.4 x the unit's largest)
    nll_gap_target: float = 0.5   # diagnostic: IS-NLL within this many bits of H(p_data) (the target)
    dev_seeds: tuple = (0, 10000)          # development block [first, end): every tuning choice
    report_seeds: tuple = (10000, 10100)   # reporting block [first, end): headline and rates only
    verdict_metric: str = "frac_seeds_top_separates"  # fraction of seeds in which a layer-3 unit separates the directions
    verdict_sense: str = "at_least"         # more seeds is better
    verdict_tol: float = 0.5                # yes: in at least half of the seeds (paper: its one net, 1 of 1)
    verdict_partial: float = 0.99           # partial: in at least one seed in a hundred (any seed of 10)
    PRESETS: ClassVar[dict] = {
        "online": dict(batch_size=1, lr_gen=0.01, lr_rec=0.01, lr_final=1.0, chunk=2000,
                       steps=1600000, log_every=40000),
        "quick": dict(steps=5000, lr_gen=0.2, lr_rec=0.2, log_every=1000, is_samples=200,
                      n_eval=1000, n_snapshots=6, n_seeds=1),
    }

    def __post_init__(self):
        for name in ("steps", "batch_size", "chunk", "log_every", "is_samples", "is_samples_hist",
                     "n_eval", "n_snapshots", "wake_samples", "width"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be positive, "
                                 f"got {getattr(self, name)}")
        if not (self.lr_gen > 0 and self.lr_rec > 0):
            raise ValueError("--lr-gen and --lr-rec must be positive")
        if not 1 <= self.n_top <= 8:
            raise ValueError(f"--n-top must be in 1..8, got {self.n_top}")
        if not 1 <= self.n_hidden <= 20:
            raise ValueError(f"--n-hidden must be in 1..20 (the exact NLL enumerates 2^n "
                             f"states), got {self.n_hidden}")
        if not 0.0 < self.p_on < 1.0:
            raise ValueError(f"--p-on must be in (0, 1), got {self.p_on}")


PAPER = {
    "citation": ("Dayan, P., Hinton, G. E., Neal, R. M. & Zemel, R. S. (1995). "
                 "The Helmholtz machine. Neural Computation 7(5), 889-904."),
    "year": 1995,
    "metrics": {"frac_seeds_top_separates": 1.0, "p_on": 0.2},
    "runs": 1,
    "source": ("Fig. 1 caption (shift patterns, pixel on-probability 0.2) and the shifter "
               "simulation: layer-2 units come to detect shifted pairs of pixels and the "
               "layer-3 unit codes the shift direction, shown for one trained net (so 1 of 1 "
               "runs separates the directions). The paper reports this qualitatively; it gives "
               "no NLL, no direction accuracy and no count of runs for the shifter."),
}
EARLIER = {"metrics": {"is_nll_bits": 9.36, "direction_recovery": 0.633},
           "note": "4 top units, p_on 0.3, about 210 s (320 s on the 2-core dev machine)"}


# ----------------------------------------------------------------------------
# Data: the shifter distribution
# ----------------------------------------------------------------------------
def shift_images(x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Rows x (N, W) and directions d (N,) in {0 left, 1 right} -> images (N, 4W).

    Right: bottom[j] = x[j-1]; left: bottom[j] = x[j+1] (cyclic). Rows doubled.
    """
    y = np.where(d[:, None] == 1, np.roll(x, 1, axis=1), np.roll(x, -1, axis=1))
    return np.concatenate([x, x, y, y], axis=1).astype(np.float64)


def sample_shifter(u: np.ndarray, p_on: float, width: int):
    """Uniforms u (..., W+1) -> images (..., 4W) and directions (...,)."""
    lead = u.shape[:-1]
    x = (u[..., :width] < p_on).reshape(-1, width)
    d = (u[..., width] < 0.5).reshape(-1).astype(np.int64)
    return shift_images(x, d).reshape(*lead, 4 * width), d.reshape(lead)


def data_support(p_on: float, width: int):
    """All distinct images with their exact probabilities.

    Returns images (K, 4W), p (K,), and p_right (K,) = P(d = right | image).
    Rows whose two shifts coincide (period 2: blank, full, 0101...) give the
    same image for both directions, so K < 2 * 2^W.
    """
    codes = np.arange(2 ** width)
    x = (codes[:, None] >> np.arange(width)) & 1                # (2^W, W)
    px = np.prod(np.where(x == 1, p_on, 1 - p_on), axis=1)      # (2^W,)
    imgs = np.concatenate([shift_images(x, np.zeros(2 ** width, int)),
                           shift_images(x, np.ones(2 ** width, int))])
    p = np.concatenate([0.5 * px, 0.5 * px])
    right = np.concatenate([np.zeros(2 ** width), 0.5 * px])
    uniq, inv = np.unique(imgs, axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    pk = np.bincount(inv, weights=p, minlength=len(uniq))
    rk = np.bincount(inv, weights=right, minlength=len(uniq))
    return uniq, pk, rk / pk


def entropy_bits(p: np.ndarray) -> float:
    """H(p_data) = -sum p log2 p: the floor of any model's NLL."""
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


# ----------------------------------------------------------------------------
# Model: parameters carry a leading seed axis S so seeds train side by side
# ----------------------------------------------------------------------------
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def init_params(rngs: list, V: int, H: int, T: int, init_std: float, init_std_top: float,
                bias_h0: float, bias_v0: float) -> dict:
    """One parameter set per rng, stacked on axis 0: shapes (S, ...)."""

    def one(rng):
        g = lambda *s: init_std * rng.standard_normal(s)
        g3 = lambda *s: init_std_top * rng.standard_normal(s)
        return {"W_hv": g(H, V), "b_v": np.full((1, V), float(bias_v0)),
                "W_th": g3(T, H), "b_h": np.full((1, H), float(bias_h0)), "b_t": np.zeros((1, T)),
                "R_vh": g(V, H), "c_h": np.full((1, H), float(bias_h0)),
                "R_ht": g3(H, T), "c_t": np.zeros((1, T))}

    sets = [one(r) for r in rngs]
    return {k: np.stack([s[k] for s in sets]) for k in sets[0]}


def n_uniforms(width: int, H: int, T: int, K: int = 1) -> int:
    """Uniform numbers one pattern needs per wake-sleep step (K: wake samples per pattern)."""
    return (width + 1) + (K + 1) * (H + T) + 4 * width


def recognise_sample(P: dict, v, u_h, u_t):
    """Bottom-up pass with sampling: h ~ q(h|v), t ~ q(t|h)."""
    h = (u_h < sigmoid(v @ P["R_vh"] + P["c_h"])).astype(float)    # (S, B, H)
    t = (u_t < sigmoid(h @ P["R_ht"] + P["c_t"])).astype(float)    # (S, B, T)
    return h, t


def generate_sample(P: dict, u_t, u_h, u_v):
    """Top-down pass (a fantasy): t ~ p(t), h ~ p(h|t), v ~ p(v|h)."""
    t = (u_t < sigmoid(P["b_t"])).astype(float)
    h = (u_h < sigmoid(t @ P["W_th"] + P["b_h"])).astype(float)
    v = (u_v < sigmoid(h @ P["W_hv"] + P["b_v"])).astype(float)
    return t, h, v


def _T(a):
    return np.swapaxes(a, -1, -2)                 # (S, B, n) -> (S, n, B)


def wake_deltas(P: dict, v, h, t, w=1.0) -> dict:
    """Delta rule (1) = gradient of sum_batch w * log p(v, h, t) w.r.t. the generative net.

    w (per-pattern weights, shape (..., B, 1)) is 1 in plain wake-sleep.
    """
    dv = w * (v - sigmoid(h @ P["W_hv"] + P["b_v"]))    # v - p(v|h)
    dh = w * (h - sigmoid(t @ P["W_th"] + P["b_h"]))    # h - p(h|t)
    dt = w * (t - sigmoid(P["b_t"]))                    # t - p(t)
    return {"W_hv": _T(h) @ dv, "b_v": dv.sum(-2, keepdims=True),
            "W_th": _T(t) @ dh, "b_h": dh.sum(-2, keepdims=True),
            "b_t": dt.sum(-2, keepdims=True)}


def sleep_deltas(P: dict, v, h, t, w=1.0) -> dict:
    """Delta rule (2) = gradient of sum_batch w * log q(h, t | v) w.r.t. the recognition net."""
    dh = w * (h - sigmoid(v @ P["R_vh"] + P["c_h"]))    # h - q(h|v)
    dt = w * (t - sigmoid(h @ P["R_ht"] + P["c_t"]))    # t - q(t|h)
    return {"R_vh": _T(v) @ dh, "c_h": dh.sum(-2, keepdims=True),
            "R_ht": _T(h) @ dt, "c_t": dt.sum(-2, keepdims=True)}


def wake_sleep_step(P: dict, v: np.ndarray, u: np.ndarray, eps_g: float, eps_r: float,
                    width: int, K: int = 1, wake_rec: bool = False):
    """One wake phase and one sleep phase, in place.

    v: (S, B, V) data images; u: (S, B, n_uniforms) uniforms, of which the
    first width + 1 made v and the rest drive the stochastic units. K > 1
    weights K recognition samples per pattern by p/q (not the paper's rule).
    """
    W, H, T = width, P["b_h"].shape[-1], P["b_t"].shape[-1]
    S, B = u.shape[:2]
    o = np.cumsum([W + 1, K * H, K * T, T, H])
    u_hw, u_tw, u_ts = u[..., o[0]:o[1]], u[..., o[1]:o[2]], u[..., o[2]:o[3]]
    u_hs, u_vs = u[..., o[3]:o[4]], u[..., o[4]:]

    # ---- wake (1): recognise a data pattern, train the generative net ----
    if K == 1:                                                     # the paper's rule
        h, t = recognise_sample(P, v, u_hw, u_tw)
        for k, d in wake_deltas(P, v, h, t).items():
            P[k] += (eps_g / B) * d
    else:                                                          # importance-weighted
        v = np.repeat(v, K, axis=1)                                # (S, B*K, V)
        h, t = recognise_sample(P, v, u_hw.reshape(S, B * K, H), u_tw.reshape(S, B * K, T))
        lw = (log_joint(P, v, h, t) - log_recognition(P, v, h, t)).reshape(S, B, K)
        w = np.exp(lw - lw.max(-1, keepdims=True))
        w = (w / w.sum(-1, keepdims=True)).reshape(S, B * K, 1)    # self-normalised over K
        for k, d in wake_deltas(P, v, h, t, w).items():
            P[k] += (eps_g / B) * d
        if wake_rec:
            for k, d in sleep_deltas(P, v, h, t, w).items():
                P[k] += (eps_r / B) * d

    # ---- sleep (2): dream a fantasy, train the recognition net ----
    t, h, v = generate_sample(P, u_ts, u_hs, u_vs)
    for k, d in sleep_deltas(P, v, h, t).items():
        P[k] += (eps_r / B) * d


def one_seed(P: dict, s: int) -> dict:
    """Parameters of seed s, without the seed axis: W (n_in, n_out), biases (1, n)."""
    return {k: v[s].copy() for k, v in P.items()}


# ----------------------------------------------------------------------------
# Log-likelihood: importance sampling (3) and exact enumeration
# ----------------------------------------------------------------------------
def bern_logp(x, a):
    """sum_i log Bernoulli(x_i; sig(a_i)) over the last axis.

    x log sig(a) + (1-x) log sig(-a) = x a - log(1 + e^a); a may broadcast.
    """
    return (x * a).sum(-1) - np.logaddexp(0.0, a).sum(-1)


def logmeanexp(a, axis):
    m = a.max(axis, keepdims=True)
    return (m + np.log(np.exp(a - m).mean(axis, keepdims=True))).squeeze(axis)


def log_joint(p: dict, v, h, t):
    """log p(v, h, t) = log p(t) + log p(h|t) + log p(v|h), per pattern."""
    return (bern_logp(t, p["b_t"]) + bern_logp(h, t @ p["W_th"] + p["b_h"])
            + bern_logp(v, h @ p["W_hv"] + p["b_v"]))


def log_recognition(p: dict, v, h, t):
    """log q(h, t | v) = log q(h|v) + log q(t|h), per pattern."""
    return bern_logp(h, v @ p["R_vh"] + p["c_h"]) + bern_logp(t, h @ p["R_ht"] + p["c_t"])


def is_log_likelihood(p: dict, v: np.ndarray, M: int, rng, chunk: int = 64) -> np.ndarray:
    """Importance-sampled log p(v) in nats for each row of v (N, V), proposal q."""
    out = np.empty(len(v))
    for i in range(0, len(v), chunk):
        vb = v[i:i + chunk][:, None, :]                               # (n, 1, V)
        a_h = vb @ p["R_vh"] + p["c_h"]                               # (n, 1, H)
        h = (rng.random(a_h.shape[:1] + (M,) + a_h.shape[2:]) < sigmoid(a_h)).astype(float)
        a_t = h @ p["R_ht"] + p["c_t"]                                # (n, M, T)
        t = (rng.random(a_t.shape) < sigmoid(a_t)).astype(float)
        log_q = bern_logp(h, a_h) + bern_logp(t, a_t)
        out[i:i + chunk] = logmeanexp(log_joint(p, vb, h, t) - log_q, axis=1)   # (n,)
    return out


def all_states(n: int) -> np.ndarray:
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)


def exact_log_likelihood(p: dict, v: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Exact log p(v) in nats, summing over all 2^(H+T) latent states."""
    H, T = p["W_hv"].shape[0], p["W_th"].shape[0]
    ts = all_states(T)                                                # (2^T, T)
    log_pt = bern_logp(ts, p["b_t"])                                  # (2^T,)
    a_h = ts @ p["W_th"] + p["b_h"]                                   # (2^T, H)
    h_all = all_states(H)                                             # (2^H, H)
    parts = []
    for i in range(0, 2 ** H, chunk):
        hs = h_all[i:i + chunk]                                       # (c, H)
        # log p(h) = logsumexp_t [log p(t) + log p(h|t)]
        lph = hs @ a_h.T - np.logaddexp(0.0, a_h).sum(1)              # (c, 2^T)
        log_ph = np.log(2.0 ** T) + logmeanexp(lph + log_pt, axis=1)  # (c,)
        a_v = hs @ p["W_hv"] + p["b_v"]                               # (c, V)
        lpv = v @ a_v.T - np.logaddexp(0.0, a_v).sum(1)               # (N, c)
        parts.append(np.log(lpv.shape[1]) + logmeanexp(lpv + log_ph, axis=1))
    return np.log(len(parts)) + logmeanexp(np.stack(parts, 1), axis=1)


# ----------------------------------------------------------------------------
# Representation metrics: direction read-out, selectivity, pair detectors
# ----------------------------------------------------------------------------
def recognise(p: dict, v: np.ndarray):
    """Deterministic bottom-up pass: q(h=1|v) and q(t=1|q(h)) (mean-field)."""
    qh = sigmoid(v @ p["R_vh"] + p["c_h"])
    return qh, sigmoid(qh @ p["R_ht"] + p["c_t"])


def fit_readout(feat: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Least-squares linear read-out of direction (+-1 targets) with a bias."""
    X = np.concatenate([feat, np.ones((len(feat), 1))], axis=1)
    return np.linalg.lstsq(X, 2.0 * d - 1.0, rcond=None)[0]


def readout_accuracy(w, feat, d) -> float:
    X = np.concatenate([feat, np.ones((len(feat), 1))], axis=1)
    return float(np.mean((X @ w > 0) == (d == 1)))


def identifiable(v: np.ndarray, width: int) -> np.ndarray:
    """True where the image fixes the direction (left and right shifts differ)."""
    x = v[:, :width]
    return np.any(np.roll(x, 1, axis=1) != np.roll(x, -1, axis=1), axis=1)


def pair_detectors(p: dict, width: int, thresh: float) -> list:
    """Classify each layer-2 unit by its generative projective field W_hv[j].

    Strong columns: weight above max(`thresh`, 0.4 x the unit's largest
    weight) in both copies of a row. A unit is
      'right' / 'left': one strong upper column i and one lower column i+-1
                        (a shifted bit-pair detector);
      'both':           one column in one row and its two neighbours in the
                        other (a direction-blind triplet);
      'unused':         no weight above `thresh` in magnitude;
      'other':          anything else.
    """
    out = []
    for w in p["W_hv"]:
        img = w.reshape(4, width)
        cut = max(thresh, 0.4 * w.max())
        top = np.flatnonzero((img[0] > cut) & (img[1] > cut))
        bot = np.flatnonzero((img[2] > cut) & (img[3] > cut))
        kind = "other"
        if np.abs(w).max() <= thresh:
            kind = "unused"
        elif len(top) == 1 and len(bot) == 1:
            kind = {1: "right", width - 1: "left"}.get((bot[0] - top[0]) % width, "other")
        elif len(top) + len(bot) == 3 and min(len(top), len(bot)) == 1:
            one, two = (top, bot) if len(top) == 1 else (bot, top)
            if sorted((two - one[0]) % width) == [1, width - 1]:
                kind = "both"
        out.append({"top": top.tolist(), "bottom": bot.tolist(), "kind": kind})
    return out


def ideal_params(width: int, p_on: float, gain: float = 10.0) -> dict:
    """A hand-built 32-16-1 net that generates the shifter data almost exactly.

    t = 1 means 'right'. Layer-2 unit i (i < W) is the pair (upper i, lower i+1),
    unit W + i the pair (upper i, lower i-1); t switches one group to
    on-probability p_on and the other off; a pixel is on iff a unit covering it
    is. Used only to show that the architecture can reach H(p_data).
    Has n_hidden = 2 * width; recognition weights are left at zero.
    """
    W, V, H, G = width, 4 * width, 2 * width, gain
    lo = np.log(p_on / (1 - p_on))                          # logit(p_on)
    W_hv = np.zeros((H, V))
    for i in range(W):
        for j, k in ((i, (i + 1) % W), (W + i, (i - 1) % W)):
            W_hv[j, [i, W + i, 2 * W + k, 3 * W + k]] = 2 * G
    b_h = np.concatenate([np.full(W, -G), np.full(W, lo)])[None]
    W_th = np.concatenate([np.full(W, lo + G), np.full(W, -G - lo)])[None]
    return {"W_hv": W_hv, "b_v": np.full((1, V), -G), "W_th": W_th, "b_h": b_h,
            "b_t": np.zeros((1, 1)), "R_vh": np.zeros((V, H)), "c_h": np.zeros((1, H)),
            "R_ht": np.zeros((H, 1)), "c_t": np.zeros((1, 1))}


def nll_metrics(p: dict, sup: np.ndarray, p_sup: np.ndarray, M: int, rng) -> dict:
    """IS-NLL (3) and exact NLL in bits: expectations over p_data, exactly over its support."""
    H_data = entropy_bits(p_sup)
    is_nll = float(-(p_sup * is_log_likelihood(p, sup, M, rng)).sum() / LOG2)
    ex_nll = float(-(p_sup * exact_log_likelihood(p, sup)).sum() / LOG2)
    return {"is_nll_bits": is_nll, "exact_nll_bits": ex_nll, "entropy_bits": H_data,
            "nll_gap_bits": is_nll - H_data, "kl_bits": ex_nll - H_data}


def direction_metrics(p: dict, width: int, p_on: float, n_eval: int, rng) -> dict:
    """Direction read-outs of q(t|v): all layer-3 units together, and each unit on its own.

    A linear read-out is fitted on n_eval fresh images and tested on n_eval others; the
    accuracies count the identifiable test images (the Bayes ceiling there is 1).
    """
    W = width
    v_fit, d_fit = sample_shifter(rng.random((n_eval, W + 1)), p_on, W)
    v_te, d_te = sample_shifter(rng.random((n_eval, W + 1)), p_on, W)
    qt_fit = recognise(p, v_fit)[1]                                   # (n_eval, T)
    w = fit_readout(qt_fit, d_fit)
    qh_te, qt_te = recognise(p, v_te)
    ok = identifiable(v_te, W)
    unit_acc = [readout_accuracy(fit_readout(qt_fit[:, [k]], d_fit), qt_te[ok][:, [k]], d_te[ok])
                for k in range(qt_te.shape[1])]                       # one read-out per unit
    m_right, m_left = qt_te[ok & (d_te == 1)].mean(0), qt_te[ok & (d_te == 0)].mean(0)
    h_right, h_left = qh_te[ok & (d_te == 1)].mean(0), qh_te[ok & (d_te == 0)].mean(0)
    return {
        "direction_recovery": readout_accuracy(w, qt_te[ok], d_te[ok]),
        "direction_recovery_all": readout_accuracy(w, qt_te, d_te),
        "direction_ceiling_all": float(ok.mean() + 0.5 * (~ok).mean()),  # guess if ambiguous
        "top_unit_acc": unit_acc,
        "top_unit_best_acc": float(max(unit_acc)),
        "top_selectivity": {"q_t_right": m_right.tolist(), "q_t_left": m_left.tolist(),
                            "diff": (m_right - m_left).tolist()},
        "hidden_selectivity": {"q_h_right": h_right.tolist(), "q_h_left": h_left.tolist()},
    }


def evaluate_seed(p: dict, width: int, p_on: float, M: int, n_eval: int, thresh: float,
                  rng) -> dict:
    """All metrics of one parameter set (no seed axis); rng is the seed's eval stream."""
    sup, p_sup, _ = data_support(p_on, width)
    out = nll_metrics(p, sup, p_sup, M, rng)
    out.update(direction_metrics(p, width, p_on, n_eval, rng))
    pairs = pair_detectors(p, width, thresh)
    kinds = [q["kind"] for q in pairs]
    out.update({"n_pair_detectors": kinds.count("right") + kinds.count("left"),
                "n_pair_right": kinds.count("right"), "n_pair_left": kinds.count("left"),
                "n_blind_triplets": kinds.count("both"), "n_unused": kinds.count("unused")})
    out["hidden_selectivity"]["pairs"] = pairs
    return out


# ----------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------
def lr_scale(step: int, steps: int, lr_final: float) -> float:
    """Linear decay from 1 to lr_final over the run."""
    return 1.0 + (lr_final - 1.0) * step / max(steps - 1, 1)


def train(cfg: Config, log=None):
    """Train one Helmholtz machine per seed cfg.seed .. cfg.seed+n_seeds-1, side by side.

    Returns (model, history): model holds (S, ...) parameters; history holds the
    IS-NLL curve per seed (M = cfg.is_samples_hist) and parameter snapshots.
    """
    R = [seed_streams(s, STREAMS) for s in range(cfg.seed, cfg.seed + cfg.n_seeds)]
    P = init_params([r["init"] for r in R], 4 * cfg.width, cfg.n_hidden, cfg.n_top,
                    cfg.init_std, cfg.init_std_top, cfg.bias_h0, cfg.bias_v0)
    sup, p_sup, _ = data_support(cfg.p_on, cfg.width)
    U, B = n_uniforms(cfg.width, cfg.n_hidden, cfg.n_top, cfg.wake_samples), cfg.batch_size
    snap_at = set(np.unique(np.linspace(0, cfg.steps, cfg.n_snapshots).astype(int)).tolist())
    hist = {"step": [], "is_nll_bits": [], "snap_step": [], "snapshots": []}
    t0 = time.time()

    def record(step):
        if step in snap_at:
            hist["snap_step"].append(step)
            hist["snapshots"].append({k: x.copy() for k, x in P.items()})

    def log_point(step):                    # IS-NLL per seed, from each seed's eval stream
        nll = [float(-(p_sup * is_log_likelihood(one_seed(P, s), sup, cfg.is_samples_hist,
                                                  r["eval"])).sum() / LOG2)
               for s, r in enumerate(R)]
        hist["step"].append(step)
        hist["is_nll_bits"].append(nll)
        if log:
            log(step, cfg.steps, {f"IS-NLL median (bits, M={cfg.is_samples_hist})":
                                  float(np.median(nll))})

    for c0 in range(0, cfg.steps, cfg.chunk):
        n = min(cfg.chunk, cfg.steps - c0)
        # per-seed draws, so a seed's run does not depend on which seeds run beside it
        u = np.stack([r["data"].random((n, B, U)) for r in R], axis=1)   # (n, S, B, U)
        v, _ = sample_shifter(u[..., :cfg.width + 1], cfg.p_on, cfg.width)  # (n, S, B, V)
        for i in range(n):
            step = c0 + i
            record(step)
            if step % cfg.log_every == 0:
                log_point(step)
            s = lr_scale(step, cfg.steps, cfg.lr_final)
            wake_sleep_step(P, v[i], u[i], cfg.lr_gen * s, cfg.lr_rec * s, cfg.width,
                            cfg.wake_samples, cfg.wake_rec)
    log_point(cfg.steps)
    record(cfg.steps)
    hist["train_s"] = time.time() - t0
    return P, hist


def evaluate(model: dict, cfg: Config) -> dict:
    """Metrics of every seed of a trained model: {name: [value per seed]}.

    is_nll_bits / exact_nll_bits  E_data[-log2 p(v)], importance-sampled (3) / exact
    entropy_bits, nll_gap_bits, kl_bits   H(p_data); IS-NLL - H; exact KL[p_data || p_model]
    direction_recovery      read-out of all layer-3 units, identifiable held-out images
    top_unit_acc, top_unit_best_acc       the read-out of each layer-3 unit on its own
    n_pair_detectors, n_blind_triplets, n_unused   kinds of layer-2 generative fields
    Each seed uses a fresh eval stream of its own seed (not the one training consumed).
    """
    seeds = range(cfg.seed, cfg.seed + model["W_hv"].shape[0])
    per = [evaluate_seed(one_seed(model, i), cfg.width, cfg.p_on, cfg.is_samples, cfg.n_eval,
                         cfg.field_thresh, seed_streams(s, STREAMS)["eval"])
           for i, s in enumerate(seeds)]
    return {k: [m[k] for m in per] for k in per[0]}


PER_SEED = ("nll_gap_bits", "exact_nll_bits", "direction_recovery", "top_unit_best_acc",
            "n_pair_detectors", "n_blind_triplets", "n_unused")


def summarise(cfg: Config, model: dict, history: dict) -> dict:
    """The first seed's metrics at the top level (an example), the seed statistics beside them."""
    ev = evaluate(model, cfg)
    m = {k: v[0] for k, v in ev.items()}
    n = len(ev["nll_gap_bits"])
    sep = np.asarray(ev["top_unit_best_acc"]) >= cfg.separate_acc
    pairs = np.asarray(ev["n_pair_detectors"])
    gap = np.asarray(ev["nll_gap_bits"])
    m.update({
        "n_seeds": n, "n_runs": n,
        "frac_seeds_top_separates": float(sep.mean()),
        "seeds_top_separates": int(sep.sum()),
        "top_unit_best_acc_median": float(np.median(ev["top_unit_best_acc"])),
        "top_unit_best_acc_max": float(np.max(ev["top_unit_best_acc"])),
        "direction_recovery_median": float(np.median(ev["direction_recovery"])),
        "n_pair_detectors_median": float(np.median(pairs)),
        "n_pair_detectors_max": int(pairs.max()),
        "seeds_with_pair_detectors": int((pairs > 0).sum()),
        "seeds_half_pair_detectors": int((pairs >= cfg.n_hidden / 2).sum()),
        "n_blind_triplets_median": float(np.median(ev["n_blind_triplets"])),
        "n_unused_median": float(np.median(ev["n_unused"])),
        "nll_gap_bits_median": float(np.median(gap)),
        "nll_gap_bits_min": float(gap.min()),
        "seeds_nll_within_target": int((gap <= cfg.nll_gap_target).sum()),
        "per_seed": {"seed": list(range(cfg.seed, cfg.seed + n)),
                     **{k: [float(x) if isinstance(x, float) else int(x) for x in ev[k]]
                        for k in PER_SEED}},
        "train_s": float(history["train_s"]),
    })
    if cfg.n_hidden == 2 * cfg.width:       # what this architecture can reach
        sup, p_sup, _ = data_support(cfg.p_on, cfg.width)
        m["ideal_net_exact_nll_bits"] = float(
            -(p_sup * exact_log_likelihood(ideal_params(cfg.width, cfg.p_on), sup)).sum() / LOG2)
    return m


def variant_label(cfg: Config) -> str:
    """Prefix naming a run that is not the headline recipe; empty for the headline."""
    base = Config()
    tags = (["online recipe"] if cfg.online else []) + \
        ([f"p_on {cfg.p_on:g}"] if cfg.p_on != base.p_on else []) + \
        ([f"{cfg.n_top} top units"] if cfg.n_top != base.n_top else [])
    return f"[{', '.join(tags)}] " if tags else ""


def describe(cfg: Config, metrics: dict) -> dict:
    """The record's one-line summary and its Results table, built from the metrics."""
    m, n, s0 = metrics, metrics["n_seeds"], cfg.seed
    ear = (EARLIER or {}).get("metrics", {})
    rows = [
        [f"seeds in which a layer-3 unit separates the directions (own read-out >= "
         f"{cfg.separate_acc:g})", f"{m['seeds_top_separates']}/{n}",
         f"{PAPER['runs']}/{PAPER['runs']} (the net shown)", "-"],
        ["best layer-3 unit's read-out, median / best seed",
         f"{m['top_unit_best_acc_median']:.3f} / {m['top_unit_best_acc_max']:.3f}", "-", "-"],
        ["read-out of all layer-3 units, median over seeds", f"{m['direction_recovery_median']:.3f}",
         "-", ear.get("direction_recovery", "-")],
        [f"layer-2 shifted-pair detectors (of {cfg.n_hidden}), median / best seed",
         f"{m['n_pair_detectors_median']:g} / {m['n_pair_detectors_max']}", "most units", "-"],
        ["seeds with any pair detector / with half the layer-2 units pair detectors",
         f"{m['seeds_with_pair_detectors']}/{n} / {m['seeds_half_pair_detectors']}/{n}", "-", "-"],
        ["direction-blind triplets / unused layer-2 units, median",
         f"{m['n_blind_triplets_median']:g} / {m['n_unused_median']:g}", "-", "-"],
        ["H(p_data), the NLL floor (bits)", f"{m['entropy_bits']:.3f}", "-", "-"],
        ["IS-NLL - H(p_data) (bits), median / best seed (diagnostic)",
         f"{m['nll_gap_bits_median']:.3f} / {m['nll_gap_bits_min']:.3f}", "-", "-"],
        [f"seeds with IS-NLL within {cfg.nll_gap_target:g} bits of the floor",
         f"{m['seeds_nll_within_target']}/{n}", "-", "-"],
        [f"seed {s0}: IS-NLL (M = {cfg.is_samples}) / exact NLL (bits)",
         f"{m['is_nll_bits']:.3f} / {m['exact_nll_bits']:.3f}", "-", ear.get("is_nll_bits", "-")],
        [f"seed {s0}: layer-3 mean q(t=1), left vs right images",
         " / ".join(f"{a:.2f} vs {b:.2f}" for a, b in zip(m["top_selectivity"]["q_t_left"],
                                                          m["top_selectivity"]["q_t_right"])),
         "-", "-"]]
    if "ideal_net_exact_nll_bits" in m:
        rows.insert(7, ["exact NLL of a hand-built 32-16-1 net (bits)",
                        f"{m['ideal_net_exact_nll_bits']:.3f}", "-", "-"])
    for name, vm in m.get("variants", {}).items():
        rows.append([f"variant {name}: seeds separating / median pair detectors / median gap",
                     f"{vm['seeds_top_separates']}/{vm['n_seeds']} / "
                     f"{vm['n_pair_detectors_median']:g} / {vm['nll_gap_bits_median']:.3f}",
                     "-", "-"])
    return {
        "label": "fraction of seeds in which a layer-3 unit separates the shift directions",
        "summary": f"{variant_label(cfg)}a layer-3 unit separates the shift directions in "
                   f"{m['seeds_top_separates']}/{n} seeds (paper: the one net it shows); median "
                   f"{m['n_pair_detectors_median']:g}/{cfg.n_hidden} layer-2 units are "
                   f"shifted-pair detectors (paper: most); median IS-NLL "
                   f"{m['nll_gap_bits_median']:.2f} bits above the floor",
        "table": {"columns": ["quantity", "ours", "paper", "earlier repro (p_on 0.3)"],
                  "rows": rows},
        "tolerance": {"rel": 1e-6, "basis": "deterministic; 1e-6 allows last-bit BLAS "
                      "differences in the likelihoods and read-outs across CPUs"},
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
