"""Wake-sleep on the 4x4 bars task (a 16-8-1 Helmholtz machine).

Hinton, G. E., Dayan, P., Frey, B. J. & Neal, R. M. (1995). The wake-sleep
algorithm for unsupervised neural networks. Science 268(5214), 1158-1161.

The task. A 4x4 binary image is made by choosing an orientation (vertical with
prior 2/3, horizontal with 1/3), switching each of the 4 bars of that
orientation on independently with probability 0.2, and OR-ing the bars into
pixels. The data distribution has 30 distinct images (blank and all-on arise
from both orientations); the blank image alone has probability 0.8^4 = 0.4096.
A three-layer network of binary stochastic sigmoid units (16 visible, 8 hidden,
1 top) must learn a generative model whose distribution over images matches
the data. Because the net is tiny, p_model(v) is computed exactly by summing
over all 2^9 latent states, so KL[p_data || p_model] is exact, not estimated.

The model (sigma = logistic sigmoid, all units binary):
  generative  p(z=1)       = sigma(b_z)                      top unit z
              p(h_j=1 | z) = sigma(b_h_j + sum_k z_k G_zh_kj)  hidden h (8)
              p(v_i=1 | h) = sigma(b_v_i + sum_j h_j G_hv_ji)  visible v (16)
  recognition q(h_j=1 | v) = sigma(c_h_j + sum_i v_i R_vh_ij)
              q(z_k=1 | h) = sigma(c_z_k + sum_j h_j R_hz_jk)

The learning rules, exactly as implemented (eq. numbers are ours; the paper
states them in words and as the local delta rule dw = eps * s_k (s_j - p_j)):
  Wake phase -- v from the data, h ~ q(h|v), z ~ q(z|h) (bottom-up samples);
  the generative weights learn to reconstruct each layer from the one above:
    (W1) b_z  += eps_g * (z - sigma(b_z))
    (W2) G_zh += eps_g * z^T (h - p_h),  b_h += eps_g * (h - p_h),
         p_h = sigma(b_h + z G_zh)
    (W3) G_hv += eps_g * h^T (v - p_v),  b_v += eps_g * (v - p_v),
         p_v = sigma(b_v + h G_hv)
  Sleep phase -- a fantasy z ~ p(z), h ~ p(h|z), v ~ p(v|h) (top-down samples);
  the recognition weights learn to recover each layer from the one below:
    (S1) R_vh += eps_r * v^T (h - q_h),  c_h += eps_r * (h - q_h),
         q_h = sigma(c_h + v R_vh)
    (S2) R_hz += eps_r * h^T (z - q_z),  c_z += eps_r * (z - q_z),
         q_z = sigma(c_z + h R_hz)
  No backpropagation: every update is local to one layer of weights. One
  training step does one wake phase on a minibatch of B data images and one
  sleep phase on B fantasies; the updates are averaged over the minibatch.

Deviations in brief (README, "Deviations from the original"): minibatches of
B = 30 with a learning-rate schedule (linear decay to a floor) instead of the
paper's single-example steps at a fixed rate, so the headline runs in seconds;
sparse initial biases (-3) and N(0, 0.5^2) weights. `--online` restores batch
size 1, a constant rate and a zero start. Seeds are trained side by side
(vectorised over a leading seed axis), each with its own random streams.
Diagnostics (not the algorithm): `--wake exact` draws the wake-phase samples
from the exact posterior; `--init ideal` starts at a hand-built solution.

  python3 bars/bars.py --seed 10000 --n-seeds 10 --results bars/results.json
  python3 bars/bars.py --seed 10000 --n-seeds 10 --online --results bars/runs/online.json
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "bars"
LN2 = np.log(2.0)


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000            # first seed; seeds seed .. seed+n_seeds-1 train side by side
    n_seeds: int = 10            # number of seeds trained (vectorised over a seed axis)
    quick: bool = False          # reduced run for tests and smoke runs (a few seconds)
    side: int = 4                # image side (paper: 4x4)
    p_vertical: float = 2 / 3    # prior of the vertical orientation (paper: 2/3)
    p_bar: float = 0.2           # probability that each bar of the orientation is on (paper: 0.2)
    n_hidden: int = 8            # first hidden layer (paper: 8)
    n_top: int = 1               # second hidden layer (paper: 1)
    steps: int = 40000           # wake+sleep steps (paper: 2e6 online steps of one example)
    batch_size: int = 30         # examples per wake phase and fantasies per sleep phase (paper: 1)
    lr_gen: float = 1.0          # eps_g, generative rate per minibatch-averaged step
    lr_rec: float = 1.0          # eps_r, recognition rate per minibatch-averaged step
    lr_final: float = 0.02       # rates decay linearly to lr_final * lr after decay_start
    decay_start: float = 0.3     # fraction of steps at the full rate before the decay begins
    init: str = "random"         # "random" (the algorithm) or "ideal" (hand-built solution, diagnostic)
    init_std: float = 0.5        # std of the initial weights (online recipe: 0)
    init_b_h: float = -3.0       # initial hidden biases b_h and c_h: sparse units (online: 0)
    init_b_v: float = -3.0       # initial visible biases b_v (online: 0)
    n_evals: int = 40            # exact KL evaluations logged during training
    online: bool = False         # the paper's recipe: batch 1, constant rates, zero start
    wake: str = "recognition"    # "recognition" (the algorithm) or "exact" (oracle posterior samples)
    dev_seeds: tuple = (0, 10000)          # development block [first, end): every tuning choice
    report_seeds: tuple = (10000, 10100)   # reporting block [first, end): headline and rates only
    kl_reach_tol: float = 0.5    # a seed reaches the paper's KL when its KL <= paper x (1 + this) = 0.15 bits (sources give 0.08 to 0.10)
    verdict_metric: str = "frac_seeds_reach_paper_kl"  # fraction of seeds whose exact KL reaches the paper's
    verdict_sense: str = "at_least"         # more seeds is better
    verdict_tol: float = 0.5                # yes: at least half the seeds (the paper's one net is typical)
    verdict_partial: float = 0.99           # partial: at least one seed in a hundred (the net exists)
    PRESETS: ClassVar[dict] = {
        "online": dict(batch_size=1, lr_gen=0.03, lr_rec=0.03, lr_final=1.0, decay_start=1.0,
                       init_std=0.0, init_b_h=0.0, init_b_v=0.0, steps=300000),
        "quick": dict(steps=3000, n_evals=10),
    }

    def __post_init__(self):
        if self.init not in ("random", "ideal"):
            raise ValueError(f"--init must be random or ideal, got {self.init!r}")
        if self.wake not in ("recognition", "exact"):
            raise ValueError(f"--wake must be recognition or exact, got {self.wake!r}")
        for name in ("steps", "batch_size", "n_evals", "side", "n_hidden", "n_top"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be positive, "
                                 f"got {getattr(self, name)}")
        if not (self.lr_gen > 0 and self.lr_rec > 0):
            raise ValueError("--lr-gen and --lr-rec must be positive")


PAPER = {
    "citation": "Hinton, G. E., Dayan, P., Frey, B. J. & Neal, R. M. (1995). The wake-sleep "
                "algorithm for unsupervised neural networks. Science 268(5214), 1158-1161.",
    "year": 1995,
    "metrics": {"frac_seeds_reach_paper_kl": 1.0, "kl_bits": 0.10},
    "runs": 1,
    "source": "text on the bars experiment: asymptotic KL of about 0.1 bits between the data and "
              "the 16-8-1 net's generative distribution, for one network (1 of 1 runs reaches it; "
              "one summary of the paper gives 0.08). The direction is KL[p_data || p_model]: the "
              "other direction is infinite for any sigmoid net (it puts mass on all 2^16 images)",
}
EARLIER = {"metrics": {"kl_bits_median": 0.451, "wallclock_s": 220},
           "note": "2,000,000 online steps, about 220 s; crashes at start-up on numpy 2.x"}


# ----------------------------------------------------------------------------
# Data: the bars distribution
# ----------------------------------------------------------------------------
def bar_masks(side: int) -> np.ndarray:
    """(2, side, side*side) pixel masks: [0] vertical bars (columns), [1] horizontal (rows)."""
    grid = np.arange(side * side).reshape(side, side)
    masks = np.zeros((2, side, side * side))
    for k in range(side):
        masks[0, k, grid[:, k]] = 1.0
        masks[1, k, grid[k, :]] = 1.0
    return masks


def sample_bars(rng: np.random.Generator, n: int, cfg: Config) -> np.ndarray:
    """(n, side*side) images from the generative process: orientation, bars, OR."""
    masks = bar_masks(cfg.side)
    horizontal = (rng.random(n) >= cfg.p_vertical).astype(int)      # (n,)
    bars_on = rng.random((n, cfg.side)) < cfg.p_bar                  # (n, side)
    pixels = np.einsum("nk,nkp->np", bars_on.astype(float), masks[horizontal])
    return (pixels > 0).astype(float)


def bars_support(cfg: Config):
    """Exact data distribution: (images (M, side*side), probs (M,)), M = 30 for 4x4."""
    masks = bar_masks(cfg.side)
    probs = {}
    for o, p_o in ((0, cfg.p_vertical), (1, 1.0 - cfg.p_vertical)):
        for code in range(2 ** cfg.side):
            on = np.array([(code >> k) & 1 for k in range(cfg.side)], dtype=float)
            img = tuple(((on @ masks[o]) > 0).astype(int))
            p = p_o * np.prod(np.where(on > 0, cfg.p_bar, 1.0 - cfg.p_bar))
            probs[img] = probs.get(img, 0.0) + p
    keys = sorted(probs, key=lambda k: (-probs[k], k))
    return np.array(keys, dtype=float), np.array([probs[k] for k in keys])


def entropy_bits(probs: np.ndarray) -> float:
    """H(p) in bits: the floor of the data negative log-likelihood."""
    return float(-np.sum(probs * np.log2(probs)))


# ----------------------------------------------------------------------------
# Model: a Helmholtz machine, parameters stacked over a leading seed axis S
# ----------------------------------------------------------------------------
GEN = ("b_z", "G_zh", "b_h", "G_hv", "b_v")
REC = ("R_vh", "c_h", "R_hz", "c_z")


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log sigma(x), stable for large |x|."""
    return -np.logaddexp(0.0, -x)


def init_model(rngs, cfg: Config) -> dict:
    """Parameters for S seeds; weights ~ N(0, init_std^2) from each seed's init stream."""
    V, H, K = cfg.side * cfg.side, cfg.n_hidden, cfg.n_top
    shapes = {"b_z": (1, K), "G_zh": (K, H), "b_h": (1, H), "G_hv": (H, V), "b_v": (1, V),
              "R_vh": (V, H), "c_h": (1, H), "R_hz": (H, K), "c_z": (1, K)}
    model = {}
    for name, shape in shapes.items():
        if name[0] in "GR":
            model[name] = np.stack([cfg.init_std * r.standard_normal(shape) for r in rngs])
        else:
            model[name] = np.zeros((len(rngs),) + shape)
    model["b_h"] += cfg.init_b_h
    model["c_h"] += cfg.init_b_h
    model["b_v"] += cfg.init_b_v
    if cfg.init == "ideal":
        model = ideal_model(len(rngs), cfg)
    return model


def ideal_model(S: int, cfg: Config, w: float = 14.0) -> dict:
    """A hand-built solution (diagnostic start point): one hidden unit per bar, z = vertical.

    Generative: unit j turns on its bar's pixels with weight w over a bias -w/2; z switches
    the 4 vertical units (p = 0.2) and silences the horizontal ones, and vice versa.
    Recognition: unit j needs all 4 pixels of its bar (threshold 3.5 of 4); q(z|h) reads
    the orientation of the active units.
    """
    V, H, K = cfg.side ** 2, cfg.n_hidden, cfg.n_top
    assert H == 2 * cfg.side and K == 1, "the hand-built solution needs one unit per bar"
    masks = bar_masks(cfg.side).reshape(H, V)                         # (H, V) vertical first
    orient = np.repeat([1.0, -1.0], cfg.side)                         # +1 vertical, -1 horiz.
    logit_bar = np.log(cfg.p_bar / (1 - cfg.p_bar))
    m = {"b_z": np.full((1, K), np.log(cfg.p_vertical / (1 - cfg.p_vertical))),
         "G_zh": w * orient[None, :],
         "b_h": (logit_bar - w * (orient > 0))[None, :],
         "G_hv": w * masks, "b_v": np.full((1, V), -w / 2),
         "R_vh": w * masks.T, "c_h": np.full((1, H), -(cfg.side - 0.5) * w),
         "R_hz": w * orient[:, None], "c_z": np.full((1, K), np.log(cfg.p_vertical / (1 - cfg.p_vertical)))}
    return {k: np.repeat(v[None], S, 0) for k, v in m.items()}


def exact_posterior_sample(m: dict, v: np.ndarray, u: np.ndarray):
    """Oracle for diagnostics: (h, z) drawn from the true posterior p(z, h | v).

    v (S, B, V) images, u (S, B) uniforms; inverse-CDF sampling over all 2^(K+H) states.
    """
    lj, Z, Hs = log_joint(m, v)                                      # (S, 2^K, 2^H, B)
    S, B = u.shape
    flat = lj.reshape(S, -1, B)
    post = np.exp(flat - flat.max(1, keepdims=True))
    cdf = np.cumsum(post, 1) / post.sum(1, keepdims=True)           # (S, 2^(K+H), B)
    idx = np.minimum((cdf < u[:, None, :]).sum(1), cdf.shape[1] - 1)  # (S, B)
    return Hs[idx % len(Hs)], Z[idx // len(Hs)]


def wake_phase(m: dict, v: np.ndarray, u: np.ndarray, wake: str = "recognition") -> dict:
    """Wake phase on data v (S, B, V): the generative delta rules (W1-W3), per unit rate.

    u (S, B, H + K) uniforms decide the stochastic recognition units.
    """
    H = m["b_h"].shape[-1]
    B = v.shape[1]
    u_h, u_z = u[..., :H], u[..., H:]
    if wake == "exact":                    # diagnostic oracle, not the algorithm
        h, z = exact_posterior_sample(m, v, u_h[..., 0])
    else:
        h = (u_h < sigmoid(v @ m["R_vh"] + m["c_h"])).astype(float)  # (S, B, H) h ~ q(h|v)
        z = (u_z < sigmoid(h @ m["R_hz"] + m["c_z"])).astype(float)  # (S, B, K) z ~ q(z|h)
    d_z = z - sigmoid(m["b_z"])                                      # (S, B, K)
    d_h = h - sigmoid(z @ m["G_zh"] + m["b_h"])                      # (S, B, H)
    d_v = v - sigmoid(h @ m["G_hv"] + m["b_v"])                      # (S, B, V)
    return {"b_z": d_z.mean(1, keepdims=True),                       # (W1)
            "G_zh": np.swapaxes(z, 1, 2) @ d_h / B,                  # (W2)
            "b_h": d_h.mean(1, keepdims=True),
            "G_hv": np.swapaxes(h, 1, 2) @ d_v / B,                  # (W3)
            "b_v": d_v.mean(1, keepdims=True)}


def generate(m: dict, u: np.ndarray):
    """Top-down fantasies (z, h, v), each (S, B, .), decided by uniforms u (S, B, K + H + V)."""
    K, H = m["b_z"].shape[-1], m["b_h"].shape[-1]
    u_z, u_h, u_v = u[..., :K], u[..., K:K + H], u[..., K + H:]
    z = (u_z < sigmoid(m["b_z"])).astype(float)                      # (S, B, K) z ~ p(z)
    h = (u_h < sigmoid(z @ m["G_zh"] + m["b_h"])).astype(float)      # (S, B, H) h ~ p(h|z)
    v = (u_v < sigmoid(h @ m["G_hv"] + m["b_v"])).astype(float)      # (S, B, V) v ~ p(v|h)
    return z, h, v


def sleep_phase(m: dict, u: np.ndarray) -> dict:
    """Sleep phase on B fantasies: the recognition delta rules (S1-S2), per unit rate.

    u (S, B, K + H + V) uniforms decide the stochastic generative units.
    """
    B = u.shape[1]
    z, h, v = generate(m, u)
    e_h = h - sigmoid(v @ m["R_vh"] + m["c_h"])                      # (S, B, H)
    e_z = z - sigmoid(h @ m["R_hz"] + m["c_z"])                      # (S, B, K)
    return {"R_vh": np.swapaxes(v, 1, 2) @ e_h / B,                  # (S1)
            "c_h": e_h.mean(1, keepdims=True),
            "R_hz": np.swapaxes(h, 1, 2) @ e_z / B,                  # (S2)
            "c_z": e_z.mean(1, keepdims=True)}


def wake_sleep_step(m: dict, v: np.ndarray, u: np.ndarray, eps_g: float, eps_r: float,
                    wake: str = "recognition") -> None:
    """One wake phase on data v (S, B, V), then one sleep phase; updates m in place.

    u (S, B, 2H + 2K + V) are uniform numbers that decide every stochastic unit.
    """
    H, K = m["b_h"].shape[-1], m["b_z"].shape[-1]
    for k, d in wake_phase(m, v, u[..., :H + K], wake).items():
        m[k] += eps_g * d                                            # theta += eps_g * delta
    for k, d in sleep_phase(m, u[..., H + K:]).items():
        m[k] += eps_r * d                                            # phi += eps_r * delta



# ----------------------------------------------------------------------------
# Exact evaluation: enumerate all 2^(H+K) latent states
# ----------------------------------------------------------------------------
def all_binary(n: int) -> np.ndarray:
    """(2^n, n) every binary vector of length n."""
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)


def log_bernoulli(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """sum_i log P(x_i | logit a_i) over the last axis, broadcasting leading axes."""
    return np.sum(x * log_sigmoid(a) + (1.0 - x) * log_sigmoid(-a), axis=-1)


def log_joint(m: dict, images: np.ndarray):
    """log p(z, h, v) for every latent state and image, per seed.

    images (M, V), or (S, M, V) for different images per seed.
    Returns (S, 2^K, 2^H, M) natural-log joint, plus the enumerated Z, H.
    """
    K, H = m["b_z"].shape[-1], m["b_h"].shape[-1]
    Z, Hs = all_binary(K), all_binary(H)                             # (2^K, K), (2^H, H)
    lp_z = log_bernoulli(Z[None], m["b_z"])                          # (S, 2^K)
    a_h = Z @ m["G_zh"] + m["b_h"]                                   # (S, 2^K, H)
    lp_h = log_bernoulli(Hs[None, None], a_h[:, :, None, :])         # (S, 2^K, 2^H)
    a_v = Hs @ m["G_hv"] + m["b_v"]                                  # (S, 2^H, V)
    # sum_i v_i log sigma(a_i) + (1 - v_i) log sigma(-a_i), as two matrix products
    lp_v = (log_sigmoid(a_v) @ np.swapaxes(images, -1, -2)
            + log_sigmoid(-a_v) @ np.swapaxes(1.0 - images, -1, -2))  # (S, 2^H, M)
    return lp_z[:, :, None, None] + lp_h[:, :, :, None] + lp_v[:, None], Z, Hs


def log_p_model(m: dict, images: np.ndarray) -> np.ndarray:
    """(S, M) exact log p_model(v) (nats) by summing out every latent state."""
    lj, _, _ = log_joint(m, images)
    S, M = lj.shape[0], lj.shape[-1]
    flat = lj.reshape(S, -1, M)
    top = flat.max(1)
    return top + np.log(np.exp(flat - top[:, None]).sum(1))


def log_q(m: dict, images: np.ndarray, Z: np.ndarray, Hs: np.ndarray) -> np.ndarray:
    """(S, 2^K, 2^H, M) log q(z, h | v) = log q(h|v) + log q(z|h) of the recognition net."""
    a_h = images @ m["R_vh"] + m["c_h"]                              # (S, M, H)
    lq_h = log_bernoulli(Hs[None, :, None], a_h[:, None])            # (S, 2^H, M)
    a_z = Hs @ m["R_hz"] + m["c_z"]                                  # (S, 2^H, K)
    lq_z = log_bernoulli(Z[None, :, None], a_z[:, None])             # (S, 2^K, 2^H)
    return lq_h[:, None] + lq_z[..., None]


def code_marginals(m: dict, images: np.ndarray) -> dict:
    """Per-unit marginals on the given images: recognition q vs the exact posterior p.

    Returns q_h, p_h (S, M, H) and q_z, p_z (S, M, K): probabilities that each unit is on.
    """
    lj, Z, Hs = log_joint(m, images)                                 # (S, 2^K, 2^H, M)
    post = np.exp(lj - lj.max(axis=(1, 2), keepdims=True))
    post /= post.sum(axis=(1, 2), keepdims=True)
    q = np.exp(log_q(m, images, Z, Hs))
    out = {}
    for name, w in (("q", q), ("p", post)):
        out[name + "_h"] = np.einsum("skhm,hj->smj", w, Hs)
        out[name + "_z"] = np.einsum("skhm,kj->smj", w, Z)
    return out


def unit_structure(m: dict, cfg: Config) -> dict:
    """What each hidden unit draws, read off the generative weights G_hv.

    s_jb = mean weight of unit j on the pixels of bar b; the unit's strong bars are those
    with |s_jb| >= half its largest. A unit is a "bar" unit with one strong bar (drawn or,
    with a negative weight, erased), a "cross" unit when its strong bars mix vertical and
    horizontal. Returns per-seed counts and the number of distinct bars owned by bar units.
    """
    masks = bar_masks(cfg.side).reshape(2 * cfg.side, -1)            # (8, V) V bars first
    score = m["G_hv"] @ masks.T / cfg.side                          # (S, H, 8)
    strong = np.abs(score) >= 0.5 * np.abs(score).max(-1, keepdims=True)
    n_strong = strong.sum(-1)                                        # (S, H)
    has_v = strong[..., :cfg.side].any(-1)
    has_h = strong[..., cfg.side:].any(-1)
    bar_unit = n_strong == 1
    owned = [len(set(np.argmax(strong[s][bar_unit[s]], -1).tolist())) for s in range(len(score))]
    return {"bar_units": bar_unit.sum(-1).tolist(), "cross_units": (has_v & has_h).sum(-1).tolist(),
            "bars_owned": owned}


# ----------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------
def rate_factor(t: int, cfg: Config) -> float:
    """Multiplier of the rates at step t: 1 until decay_start, then linear down to lr_final."""
    frac = t / max(cfg.steps, 1)
    if frac <= cfg.decay_start:
        return 1.0
    return 1.0 - (1.0 - cfg.lr_final) * (frac - cfg.decay_start) / (1.0 - cfg.decay_start)


def train(cfg: Config, log=None):
    """Train seeds cfg.seed .. cfg.seed+n_seeds-1 side by side.

    Returns (model, history): model holds (S, ...) parameters; history holds the
    exact metrics (per seed) at n_evals points and parameter snapshots for the GIF.
    """
    seeds = list(range(cfg.seed, cfg.seed + cfg.n_seeds))
    streams = [seed_streams(s, ("data", "init", "noise")) for s in seeds]
    model = init_model([st["init"] for st in streams], cfg)
    V, H, K, B = cfg.side ** 2, cfg.n_hidden, cfg.n_top, cfg.batch_size
    n_u = 2 * H + 2 * K + V
    chunk = max(1, 4096 // B)                       # steps whose random numbers are drawn at once
    eval_at = set(np.unique(np.linspace(0, cfg.steps, cfg.n_evals + 1).astype(int)).tolist())
    history = {"step": [], "examples": [], "kl_bits": [], "nll_bits": [], "recog_gap_bits": [],
               "p_blank": [], "elapsed_s": [], "snapshots": []}
    t0 = time.time()
    t = 0
    while True:
        if t in eval_at:
            ev = evaluate(model, cfg)
            history["step"].append(t)
            history["examples"].append(t * B)
            for k in ("kl_bits", "nll_bits", "recog_gap_bits", "p_blank"):
                history[k].append(ev[k])
            history["elapsed_s"].append(time.time() - t0)
            history["snapshots"].append({k: v.copy() for k, v in model.items()})
            if log:
                log(t, cfg.steps, {"KL first seed (bits)": ev["kl_bits"][0],
                                   "median": float(np.median(ev["kl_bits"]))})
        if t >= cfg.steps:
            break
        # random numbers for the next n steps (never past the next evaluation), per seed
        n = min(chunk, min(e for e in eval_at if e > t) - t)
        data = np.stack([sample_bars(st["data"], n * B, cfg).reshape(n, B, V)
                         for st in streams], 1)                         # (n, S, B, V)
        noise = np.stack([st["noise"].random((n, B, n_u)) for st in streams], 1)
        for i in range(n):
            f = rate_factor(t, cfg)
            wake_sleep_step(model, data[i], noise[i], f * cfg.lr_gen, f * cfg.lr_rec, cfg.wake)
            t += 1
    return model, history



def evaluate(model: dict, cfg: Config) -> dict:
    """Exact metrics per seed (lists over the seed axis), all in bits.

    kl_bits        KL[p_data || p_model]  (the generative gap)
    nll_bits       E_data[-log2 p_model(v)] = entropy_bits + kl_bits
    entropy_bits   H(p_data), the NLL floor
    recog_gap_bits E_data KL[q(z,h|v) || p(z,h|v)]: how far the recognition net is from
                   the true posterior (the wake phase's free energy minus the NLL)
    p_blank        p_model(blank image) (data: 0.4096)
    p_off_support  p_model mass on images outside the data's support: KL[p_model || p_data]
                   is infinite whenever it is > 0 (always, for sigmoid units)
    kl_rev_on_support_bits   KL[p_model restricted to the support, renormalised || p_data]
    bar_units, cross_units, bars_owned   see unit_structure
    """
    images, probs = bars_support(cfg)
    lj, Z, Hs = log_joint(model, images)
    S, M = lj.shape[0], lj.shape[-1]
    flat = lj.reshape(S, -1, M)
    top = flat.max(1)
    lpm = top + np.log(np.exp(flat - top[:, None]).sum(1))           # (S, M)
    lq = log_q(model, images, Z, Hs)                                 # (S, 2^K, 2^H, M)
    q = np.exp(lq)
    free_energy = np.sum(q * (lq - lj), axis=(1, 2))                 # (S, M) nats
    gap = free_energy + lpm                                          # KL(q || posterior) >= 0
    H = entropy_bits(probs)
    kl = np.sum(probs * (np.log(probs) - lpm), axis=1) / LN2
    # the other direction: p_model puts mass on all 2^V images, p_data on M of them, so
    # KL[p_model || p_data] is infinite; report the mass off the data's support and the
    # reverse KL of p_model renormalised on that support
    on = np.exp(lpm).sum(1)                                          # (S,) p_model(support)
    lpm_on = lpm - np.log(on)[:, None]
    kl_rev_on = np.sum(np.exp(lpm_on) * (lpm_on - np.log(probs)), axis=1) / LN2
    return {
        "kl_bits": kl.tolist(),
        "p_off_support": (1.0 - on).tolist(),
        "kl_rev_on_support_bits": kl_rev_on.tolist(),
        "nll_bits": (-np.sum(probs * lpm, axis=1) / LN2).tolist(),
        "entropy_bits": H,
        "recog_gap_bits": (np.sum(probs * gap, axis=1) / LN2).tolist(),
        "p_blank": np.exp(lpm[:, 0]).tolist(),
        **unit_structure(model, cfg),
    }



def summarise(cfg: Config, model: dict, history: dict) -> dict:
    """Headline metrics: seed cfg.seed at the top level, the seed spread next to it.

    The *_early metrics are read at the first logged evaluation after the start
    (1/n_evals of training): when the unit structure is already decided.
    """
    ev = evaluate(model, cfg)
    kl = np.asarray(ev["kl_bits"])
    paper = PAPER["metrics"]["kl_bits"]
    reach = kl <= paper * (1 + cfg.kl_reach_tol)                    # (S,) seeds at the paper's KL
    early = unit_structure(history["snapshots"][1], cfg)
    return {
        "early_examples": int(history["examples"][1]),
        "kl_bits_median_early": float(np.median(history["kl_bits"][1])),
        "recog_gap_bits_median_early": float(np.median(history["recog_gap_bits"][1])),
        "cross_units_median_early": float(np.median(early["cross_units"])),
        "bar_units_median_early": float(np.median(early["bar_units"])),
        "kl_bits": float(kl[0]),
        "nll_bits": float(ev["nll_bits"][0]),
        "entropy_bits": float(ev["entropy_bits"]),
        "recog_gap_bits": float(ev["recog_gap_bits"][0]),
        "p_blank": float(ev["p_blank"][0]),
        "n_seeds": int(len(kl)),
        "n_runs": int(len(kl)),
        "kl_bits_median": float(np.median(kl)),
        "kl_bits_mean": float(kl.mean()),
        "kl_bits_min": float(kl.min()),
        "kl_bits_max": float(kl.max()),
        "seeds_kl_at_most_paper": int(np.sum(kl <= paper)),
        "seeds_kl_within_yes_tol": int(np.sum(reach)),
        "frac_seeds_reach_paper_kl": float(np.mean(reach)),
        "kl_bits_best_seed": int(cfg.seed + int(np.argmin(kl))),
        "p_off_support": float(ev["p_off_support"][0]),
        "p_off_support_median": float(np.median(ev["p_off_support"])),
        "kl_rev_on_support_bits": float(ev["kl_rev_on_support_bits"][0]),
        "kl_rev_on_support_bits_median": float(np.median(ev["kl_rev_on_support_bits"])),
        "recog_gap_bits_median": float(np.median(ev["recog_gap_bits"])),
        "bar_units": int(ev["bar_units"][0]),
        "cross_units": int(ev["cross_units"][0]),
        "bar_units_median": float(np.median(ev["bar_units"])),
        "cross_units_median": float(np.median(ev["cross_units"])),
        "seeds_without_cross_units": int(np.sum(np.asarray(ev["cross_units"]) == 0)),
        "per_seed": {"seed": list(range(cfg.seed, cfg.seed + len(kl))),
                     "kl_bits": [float(x) for x in kl],
                     "nll_bits": [float(x) for x in ev["nll_bits"]],
                     "recog_gap_bits": [float(x) for x in ev["recog_gap_bits"]],
                     "bar_units": [int(x) for x in ev["bar_units"]],
                     "cross_units": [int(x) for x in ev["cross_units"]],
                     "bars_owned": [int(x) for x in ev["bars_owned"]]},
    }





def variant_label(cfg: Config) -> str:
    """Prefix naming a diagnostic run; empty for the headline recipe."""
    tags = (["online recipe"] if cfg.online else []) + \
        (["wake samples from the exact posterior"] if cfg.wake == "exact" else []) + \
        (["started at the hand-built solution"] if cfg.init == "ideal" else [])
    return f"[{', '.join(tags)}] " if tags else ""


def describe(cfg: Config, metrics: dict) -> dict:
    """The record's one-line summary and its Results table, built from the metrics."""
    m, n, paper = metrics, metrics["n_seeds"], PAPER["metrics"]["kl_bits"]
    reach = paper * (1 + cfg.kl_reach_tol)
    rows = [[f"seeds whose KL reaches the paper's (<= {reach:g} bits)",
             f"{m['seeds_kl_within_yes_tol']}/{n}", f"{PAPER['runs']}/{PAPER['runs']} (one net)"],
            [f"KL[p_data || p_model], best seed ({m['kl_bits_best_seed']}) / median over {n} "
             "seeds (bits)", f"{m['kl_bits_min']:.3f} / {m['kl_bits_median']:.3f}", f"~{paper:g}"],
            [f"KL, seed {cfg.seed} / worst seed (bits)", f"{m['kl_bits']:.3f} / {m['kl_bits_max']:.3f}",
             "-"],
            [f"seeds with KL <= {paper:g}", f"{m['seeds_kl_at_most_paper']}/{n}", "-"],
            ["KL[p_model || p_data]: p_model mass off the 30 data images, median (bits: infinite)",
             f"{m['p_off_support_median']:.4f}", "-"],
            ["KL[p_model renormalised on the 30 images || p_data], median (bits)",
             f"{m['kl_rev_on_support_bits_median']:.3f}", "-"],
            ["NLL E_data[-log2 p_model(v)], seed %d (bits)" % cfg.seed, f"{m['nll_bits']:.3f}", "-"],
            ["H(p_data) = NLL floor (bits)", f"{m['entropy_bits']:.3f}", "-"],
            ["recognition gap E_data KL[q || posterior], median (bits)",
             f"{m['recog_gap_bits_median']:.3f}", "-"],
            ["p_model(blank), seed %d (data 0.4096)" % cfg.seed, f"{m['p_blank']:.4f}", "-"],
            ["hidden units drawing one bar / a cross, median over seeds",
             f"{m['bar_units_median']:g} / {m['cross_units_median']:g}",
             f"{cfg.n_hidden} / 0"],
            [f"same, after {m['early_examples']:,} examples (1/{cfg.n_evals} of training)",
             f"{m['bar_units_median_early']:g} / {m['cross_units_median_early']:g}", "-"]]
    ps = m["per_seed"]
    if n <= 10:                                     # per-seed rows for small sweeps only
        rows += [[f"seed {s}: KL (bits) / recognition gap (bits) / bar units / cross units",
                  f"{k:.3f} / {g:.3f} / {b} / {c}", "-"]
                 for s, k, g, b, c in zip(ps["seed"], ps["kl_bits"], ps["recog_gap_bits"],
                                          ps["bar_units"], ps["cross_units"])]
    else:
        rows += [["seeds without cross units", f"{m['seeds_without_cross_units']}/{n}", "-"]]
    return {
        "label": f"fraction of seeds whose exact KL[p_data || p_model] is <= {reach:g} bits",
        "summary": f"{variant_label(cfg)}{m['seeds_kl_within_yes_tol']}/{n} seeds reach the "
                   f"paper's KL (<= {reach:g} bits; paper ~{paper:g}, one net); best seed "
                   f"{m['kl_bits_min']:.3f} bits, median {m['kl_bits_median']:.3f}, worst "
                   f"{m['kl_bits_max']:.3f}",
        "table": {"columns": ["quantity", "ours", "paper"], "rows": rows},
        "tolerance": {"rel": 1e-6, "basis": "deterministic; 1e-6 allows last-bit BLAS "
                      "differences in the exact KL across CPUs"},
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
