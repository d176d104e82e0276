"""Linear Transformers are secretly Fast Weight Programmers, in numpy.

Schlag, I., Irie, K. & Schmidhuber, J. (2021). Linear Transformers Are Secretly
Fast Weight Programmers. ICML 2021, PMLR 139 (arXiv:2102.11174).
The 1992 ancestor: Schmidhuber, J. (1992). Learning to control fast-weight
memories: an alternative to dynamic recurrent networks. Neural Computation 4(1).

The problem. A sequence of (key, value) pairs is written into a memory and a
query (one of the keys) must read back its value. Linear attention stores the
pairs as a sum of outer products, a "fast weight" matrix W, and reads with one
matrix-vector product: it *is* the 1992 Fast Weight Programmer (FWP). A d_dot-
dimensional W can hold at most d_dot orthogonal keys, so linear attention has
a capacity; the delta rule lets the FWP overwrite a stale association instead
of piling another one on top. Three experiments:

  1. Equivalences, on random inputs, to round-off:
       attention  y = V^T (K q)            ==  FWP  W = sum_t v_t k_t^T ; y = W q
       causal     y_t = sum_{j<=t} (q_t.k_j) v_j  ==  scan W_t = W_{t-1} + v_t k_t^T ; y_t = W_t q_t
       feature space (phi = ELU+1, DPFP-nu), with the attention normaliser
                  y_t = W_t phi(q_t) / (z_t . phi(q_t)),  z_t = z_{t-1} + phi(k_t)
       delta rule: explicit W scan == the same recursion with W unrolled (below).
  2. Setting 1 (capacity, the paper's synthetic Setting 1): L = S distinct keys (learned
     embedding, d_key), each paired with one of S one-hot values, then a query;
     sum update rule; loss vs S for identity, ELU+1, DPFP-1/2/3, FAVOR+ and softmax.
  3. Setting 2 (update rules): S = 20 keys, L = 2S = 40 pairs drawn *with*
     replacement, so keys recur with new values and the query must return the
     most recent one; DPFP-1 with sum normalisation; sum vs delta rule.

Equations as implemented (our numbering, used in the comments below):
  (1)  W_t = W_{t-1} + v_t phi(k_t)^T              sum rule ("linear attention")
  (2)  y_t = W_t phi(q_t)
  (3)  y_t = W_t phi(q_t) / (z_t . phi(q_t)),  z_t = sum_{j<=t} phi(k_j)   (ELU+1 only)
  (4)  v_bar_t = W_{t-1} phi(k_t)                  delta rule: what is stored now
  (5)  beta_t = sigmoid(W_beta x_t)                learned write strength
  (6)  W_t = W_{t-1} + beta_t (v_t - v_bar_t) phi(k_t)^T
  (7)  phi(k) <- phi(k) / sum_i phi(k)_i           sum normalisation (keys and queries)
  (8)  DPFP-nu: r = ReLU([k; -k]), phi_{i,n}(k) = r_i r_{(i+n) mod 2 d_key},
       n = 1..nu, so d_dot = 2 d_key nu
  ELU+1: phi(k) = elu(k) + 1 (Katharopoulos et al. 2020); softmax: y = V^T softmax(K q / sqrt(d_key)).
  FAVOR+: phi(k) = exp(Omega k' - |k'|^2/2) / sqrt(m), k' = k / d_key^(1/4), Omega fixed
  orthogonal random features (Choromanski et al. 2021); ELU+1 and FAVOR+ use Eq. 3.
Training reads the memory in the cheaper of two equal forms. Setting 1 uses the
attention form y = sum_l (phi(k_l).phi(q)) v_l (Eqs. 1-2 rearranged; checked equal
above). Setting 2 unrolls W_t = sum_{j<=t} u_j phi(k_j)^T with
u_t = beta_t (v_t - sum_{j<t} (phi(k_j).phi(k_t)) u_j), the same recursion (16-18)
without ever forming W; its backward pass is written by hand and gradient-checked.
Both are the FWP; W itself is formed by fwp_scan() for the figures and the GIF.

Deviations in brief (README, "Deviations from the original"): Setting 1 at
d_key = 16 instead of 64 (knees expected at 16/32/64/96 instead of 64/128/256/384),
S swept 8..160, one FAVOR+ size (m = 32); squared error summed over value components; Adam with
a fixed step budget instead of "until convergence".

    python3 linear-transformers-fwp/linear_transformers_fwp.py --seed 10000 --n-seeds 5
    python3 linear-transformers-fwp/experiments_linear_transformers_fwp.py --seed 10000 --cap-seeds 3
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

SLUG = "linear-transformers-fwp"
FEATURE_MAPS = ("identity", "elu", "dpfp1", "dpfp2", "dpfp3")
CAPACITY_METHODS = FEATURE_MAPS + ("favor", "softmax")
RULES = ("sum", "delta")


# ----------------------------------------------------------------------------- config
@dataclass
class Config:
    seed: int = 10000            # first seed; Setting 2 trains seeds seed..seed+n_seeds-1
    n_seeds: int = 5             # Setting 2 seeds (each trains both rules)
    quick: bool = False          # reduced run for tests and smoke runs (a few seconds)
    # equivalence check (random inputs)
    eq_T: int = 24               # equivalence: sequence length
    eq_batch: int = 8            # equivalence: random sequences
    eq_d_in: int = 12            # equivalence: input size of the slow net
    eq_d_key: int = 8            # equivalence: key/query size
    eq_d_value: int = 6          # equivalence: value size
    norm_eps: float = 1e-6       # added to every normaliser's denominator (Eq. 3 and Eq. 7)
    # Setting 1: capacity (the sweep itself is in experiments_linear_transformers_fwp.py)
    cap_d_key: int = 16          # Setting 1 key size (paper: 64)
    cap_S: tuple = (8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80, 96, 112, 128, 144, 160)  # Setting 1 S = L (paper: 20..600)
    cap_methods: tuple = CAPACITY_METHODS  # Setting 1 methods
    cap_steps: int = 2000        # Setting 1 Adam steps per run (paper: to convergence)
    favor_m: int = 32            # Setting 1 FAVOR+ random features (paper: several sizes at d_key 64)
    cap_seeds: int = 1           # Setting 1 seeds per (method, S), from --seed on; curves are their median
    cap_batch: int = 32          # Setting 1 episodes per step
    cap_lr: float = 1e-2         # Setting 1 Adam learning rate
    cap_eval_episodes: int = 512  # Setting 1 evaluation episodes
    knee_loss: float = 0.05      # knee = S where the final loss crosses this (a memory returning 0 scores 1)
    # Setting 2: update rules
    S: int = 20                  # Setting 2 distinct keys and values (paper: 20)
    L: int = 40                  # Setting 2 pairs per sequence, with replacement (paper: 2S = 40)
    d_key: int = 64              # Setting 2 key size (paper: 64)
    nu: int = 1                  # Setting 2 DPFP order (paper: DPFP-1)
    steps: int = 600             # Setting 2 Adam steps per rule
    batch_size: int = 32         # Setting 2 episodes per step
    lr: float = 1e-2             # Setting 2 Adam learning rate
    eval_episodes: int = 1024    # Setting 2 evaluation episodes
    log_every: int = 20          # Setting 2 history interval (steps)
    success_loss: float = 0.01   # Setting 2: "near-zero loss" means a final loss below this
    fail_loss: float = 0.1       # Setting 2: the sum rule "fails" with a final loss at or above this
    # shared
    init_scale: float = 1.0      # embedding init std = init_scale / sqrt(d_key)
    adam_b1: float = 0.9         # Adam beta1
    adam_b2: float = 0.999       # Adam beta2
    adam_eps: float = 1e-8       # Adam epsilon
    decay_from: float = 0.5      # learning rate held until this fraction of the steps, then linear to 0
    dev_seeds: tuple = (0, 10000)          # development block: every choice above was made on seeds < 10000
    report_seeds: tuple = (10000, 10100)   # reporting block: the headline and the capacity sweep
    verdict_metric: str = "delta_beats_sum_rate"  # fraction of seeds: delta loss < success_loss, sum >= fail_loss
    verdict_sense: str = "at_least"        # the paper: the delta rule solves Setting 2, the sum rule fails
    verdict_tol: float = 0.0               # yes: on every seed
    verdict_partial: float = 0.5           # partial: on at least half the seeds
    PRESETS: ClassVar[dict] = {
        "quick": dict(n_seeds=1, steps=200, eval_episodes=256, cap_S=(8, 24),
                      cap_methods=("identity", "dpfp1"), cap_steps=400, cap_eval_episodes=128),
    }

    def __post_init__(self):
        for k in ("n_seeds", "cap_seeds", "eq_T", "eq_batch", "eq_d_in", "eq_d_key", "eq_d_value",
                  "cap_d_key", "cap_steps", "cap_batch", "cap_eval_episodes", "S", "L", "d_key",
                  "nu", "steps", "batch_size", "eval_episodes", "log_every"):
            if getattr(self, k) <= 0:
                raise ValueError(f"--{k.replace('_', '-')} must be positive, got {getattr(self, k)}")
        for k in ("cap_lr", "lr", "knee_loss", "success_loss", "fail_loss", "init_scale", "adam_eps"):
            if not getattr(self, k) > 0:
                raise ValueError(f"--{k.replace('_', '-')} must be positive, got {getattr(self, k)}")
        if not 0 <= self.decay_from < 1:
            raise ValueError(f"--decay-from must be in [0, 1), got {self.decay_from}")


PAPER = {
    "citation": "Schlag, I., Irie, K. & Schmidhuber, J. (2021). Linear Transformers Are Secretly "
                "Fast Weight Programmers. ICML 2021, PMLR 139 (arXiv:2102.11174).",
    "year": 2021,
    "metrics": {"delta_beats_sum_rate": 1.0},
    "runs": 1,
    "source": "synthetic Setting 2 (its learning-curve figure, one curve per rule): the delta rule "
              "reaches a loss near zero, the sum rule stays high; the equivalences are the paper's "
              "derivation (exact algebraic identities)",
}
EARLIER = {"metrics": {"equivalence_max_abs_diff": 2.2e-16},
           "note": "equivalence to 2.2e-16 on random inputs; no Setting 1 or 2, no feature maps, "
                   "no end-to-end delta-rule training; 0.1 s"}

# ----------------------------------------------------------------------------- data

def make_batch(rng, S, L, B, replace):
    """B episodes of L (key, value) symbol pairs and one query.

    replace=False (Setting 1): keys are L distinct symbols, values L distinct
    symbols (a random one-to-one assignment). replace=True (Setting 2): both
    drawn uniformly with replacement, so a key may recur with a new value.
    The query is the key at a random position; its target is the value of
    that key's *last* occurrence. Returns keys, vals (B, L), q, target (B,).
    """
    if replace:
        keys = rng.integers(0, S, size=(B, L))
        vals = rng.integers(0, S, size=(B, L))
    else:
        keys = np.argsort(rng.random((B, S)), axis=1)[:, :L]
        vals = np.argsort(rng.random((B, S)), axis=1)[:, :L]
    b = np.arange(B)
    q = keys[b, rng.integers(0, L, size=B)]
    last = np.where(keys == q[:, None], np.arange(L)[None, :], -1).max(axis=1)
    return keys, vals, q, vals[b, last]


# ----------------------------------------------------------------------------- feature maps

def _dpfp_index(d2, nu):
    """(nu, d2) gather indices (i + n) mod d2 for n = 1..nu, and their inverse."""
    i, n = np.arange(d2)[None, :], np.arange(1, nu + 1)[:, None]
    return (i + n) % d2, (i - n) % d2


def phi_forward(x, name):
    """Feature map phi(x) over the last axis: (..., d) -> (..., d_dot)."""
    if name == "identity":
        return x
    if name == "elu":  # elu(x) + 1
        return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))
    nu = int(name[len("dpfp"):])
    r = np.maximum(np.concatenate([x, -x], axis=-1), 0.0)           # (..., 2d)
    fwd, _ = _dpfp_index(r.shape[-1], nu)
    # phi_{n,i} = r_i r_{i+n}: (..., nu, 2d) -> (..., 2 d nu)
    return (r[..., None, :] * r[..., fwd]).reshape(x.shape[:-1] + (-1,))


def phi_backward(dphi, x, name):
    """d loss / d x given d loss / d phi(x)."""
    if name == "identity":
        return dphi
    if name == "elu":
        return dphi * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))
    nu = int(name[len("dpfp"):])
    d = x.shape[-1]
    r = np.maximum(np.concatenate([x, -x], axis=-1), 0.0)
    fwd, inv = _dpfp_index(2 * d, nu)
    g = dphi.reshape(x.shape[:-1] + (nu, 2 * d))
    # phi_{n,i} = r_i r_{i+n}: d r_i += g_{n,i} r_{i+n};  d r_{i+n} += g_{n,i} r_i
    t = g * r[..., None, :]
    dr = (g * r[..., fwd]).sum(-2) + sum(t[..., n, inv[n]] for n in range(nu))
    return dr[..., :d] * (x > 0) - dr[..., d:] * (x < 0)


def d_dot(name, d_key, favor_m=None):
    """Dimension of the feature space (the fast weight matrix's column count)."""
    if name in ("identity", "elu"):
        return d_key
    if name == "favor":
        return favor_m
    if name.startswith("dpfp"):
        return 2 * d_key * int(name[len("dpfp"):])
    return None  # softmax: no finite feature space


def favor_features(rng, m, d):
    """FAVOR+ projection Omega (m, d): blocks of orthogonal Gaussian rows, each
    row rescaled to the norm of a Gaussian vector (Choromanski et al. 2021)."""
    blocks = []
    for _ in range(-(-m // d)):
        q, r = np.linalg.qr(rng.normal(size=(d, d)))
        blocks.append((q * np.sign(np.diag(r))).T)             # sign fix: Haar-uniform
    norms = np.linalg.norm(rng.normal(size=(m, d)), axis=1)
    return np.concatenate(blocks)[:m] * norms[:, None]


def favor_forward(x, omega):
    """phi(x) = exp(Omega x' - |x'|^2 / 2) / sqrt(m), x' = x / d^(1/4): positive random
    features whose dot products estimate exp(q.k / sqrt(d))."""
    xs = x / x.shape[-1] ** 0.25
    return np.exp(xs @ omega.T - 0.5 * (xs ** 2).sum(-1, keepdims=True)) / np.sqrt(len(omega))


def favor_backward(dphi, x, omega):
    d = x.shape[-1]
    xs = x / d ** 0.25
    du = dphi * favor_forward(x, omega)
    return (du @ omega - xs * du.sum(-1, keepdims=True)) / d ** 0.25


def sum_normalise(p, eps):
    """Eq. 7: phi / (sum(phi) + eps) over the last axis, and the denominator.

    eps guards the all-zero DPFP vector (e.g. DPFP-1 of a key with alternating
    signs); it is applied identically in every form that is compared.
    """
    z = p.sum(-1, keepdims=True) + eps
    return p / z, z


# ----------------------------------------------------------------------------- fast weights

def fwp_scan(Phi_k, V, Phi_q, rule="sum", beta=None):
    """The fast weight programmer, written out: one outer-product write per step.

    Phi_k (B, T, D) feature-mapped keys, V (B, T, dv) values, Phi_q (B, T, D)
    queries, beta (B, T) write strengths (delta rule). Returns the reads
    Y (B, T, dv) with y_t = W_t phi(q_t), and every W_t (B, T, dv, D).
    """
    B, T, D = Phi_k.shape
    W = np.zeros((B, V.shape[-1], D))                         # (B, dv, D)
    Ws, Y = [], []
    for t in range(T):
        k, v = Phi_k[:, t], V[:, t]
        if rule == "sum":
            # Eq. 1: W_t = W_{t-1} + v_t phi(k_t)^T
            W = W + v[:, :, None] * k[:, None, :]
        else:
            v_bar = np.einsum("bvd,bd->bv", W, k)            # Eq. 4
            # Eq. 6: W_t = W_{t-1} + beta_t (v_t - v_bar_t) phi(k_t)^T
            W = W + (beta[:, t, None] * (v - v_bar))[:, :, None] * k[:, None, :]
        Ws.append(W)
        Y.append(np.einsum("bvd,bd->bv", W, Phi_q[:, t]))     # Eq. 2
    return np.stack(Y, 1), np.stack(Ws, 1)


def causal_attention(Q, K, V, normalise=False, eps=0.0):
    """Masked (causal) linear attention: y_t = sum_{j<=t} (q_t.k_j) v_j [/ sum_j q_t.k_j].

    Q, K (B, T, D) already feature-mapped, V (B, T, dv). Returns Y (B, T, dv)
    and the masked score matrix A (B, T, T).
    """
    T = Q.shape[1]
    A = np.einsum("btd,bsd->bts", Q, K) * np.tril(np.ones((T, T)))
    Y = np.einsum("bts,bsv->btv", A, V)
    if normalise:                                              # Eq. 3
        Y = Y / (A.sum(-1, keepdims=True) + eps)
    return Y, A


def episode_memory(params, keys, vals, rule, cfg: Config):
    """The explicit fast weights of trained Setting 2 slow weights on given episodes.

    Returns W (B, L, S, D) after every write, the per-symbol features P (S, D)
    (so W_t P^T is what every key reads back at step t) and beta (B, L).
    """
    S = params["E"].shape[0]
    P, _ = sum_normalise(phi_forward(params["E"], f"dpfp{cfg.nu}"), cfg.norm_eps)
    beta = None
    if rule == "delta":
        beta = 1.0 / (1.0 + np.exp(-(params["w_key"][keys] + params["w_value"][vals]
                                     + params["b_beta"][0])))
    Pk = P[keys]
    _, W = fwp_scan(Pk, np.eye(S)[vals], Pk, rule, beta)
    return W, P, beta


def check_equivalences(cfg: Config, rng):
    """Max |difference| between the attention and the fast-weight forms."""
    B, T, din, dk, dv = cfg.eq_batch, cfg.eq_T, cfg.eq_d_in, cfg.eq_d_key, cfg.eq_d_value
    X = rng.normal(size=(B, T, din))
    W_k, W_q, W_v = (rng.normal(size=(din, n)) / np.sqrt(din) for n in (dk, dk, dv))
    K, Q, V = X @ W_k, X @ W_q, X @ W_v                       # slow net: (B, T, d)
    out = {}
    # non-causal: y = V^T (K q)  vs  W = V^T K, y = W q  (all T queries)
    y_att = np.einsum("btd,bsd,bsv->btv", Q, K, V)
    W = np.einsum("bsv,bsd->bvd", V, K)
    y_fwp = np.einsum("bvd,btd->btv", W, Q)
    out["equivalence_max_abs_diff"] = float(np.abs(y_att - y_fwp).max())
    # causal: masked attention vs the recurrent scan, every step
    y_causal, _ = causal_attention(Q, K, V)
    y_scan, _ = fwp_scan(K, V, Q, "sum")
    out["causal_equivalence_max_abs_diff"] = float(np.abs(y_causal - y_scan).max())
    # feature space, with the normaliser of Eq. 3 (attention rows sum to 1)
    per_map = {}
    for name in ("elu", "dpfp1", "dpfp2", "dpfp3"):
        pk, pq = phi_forward(K, name), phi_forward(Q, name)
        y_a, _ = causal_attention(pq, pk, V, normalise=True, eps=cfg.norm_eps)
        y_s, _ = fwp_scan(pk, V, pq, "sum")
        z = np.cumsum(pk, axis=1)                              # z_t = sum_{j<=t} phi(k_j)
        y_s = y_s / (np.einsum("btd,btd->bt", z, pq)[..., None] + cfg.norm_eps)
        per_map[name] = float(np.abs(y_a - y_s).max())
    out["feature_equivalence_max_abs_diff"] = per_map
    # delta rule: explicit W scan vs the unrolled form used for training
    pk = sum_normalise(phi_forward(K, "dpfp1"), cfg.norm_eps)[0]
    pq = sum_normalise(phi_forward(Q, "dpfp1"), cfg.norm_eps)[0]
    beta = 1.0 / (1.0 + np.exp(-rng.normal(size=(B, T))))
    y_s, _ = fwp_scan(pk, V, pq, "delta", beta)
    Gk = np.einsum("btd,bsd->bts", pk, pk)
    y_u, _ = causal_attention(pq, pk, delta_unrolled(Gk, V, beta))
    out["delta_equivalence_max_abs_diff"] = float(np.abs(y_s - y_u).max())
    out["equivalence_output_scale"] = float(np.abs(y_att).max())
    return out


# ----------------------------------------------------------------------------- Setting 1 model

def capacity_loss_and_grad(E, batch, method, omega=None):
    """Sum-rule retrieval of one query after L writes; squared error and dE.

    E (S, d_key) is the learned key embedding. With per-symbol features
    P = phi(E) (S, D), the read is y = sum_l (phi(k_l).phi(q)) v_l, i.e. the
    scores are rows of the Gram matrix G = P P^T (Eqs. 1-2 in attention form).
    """
    keys, vals, q, tgt = batch
    S, d = E.shape
    B = len(q)
    b = np.arange(B)
    if method == "softmax":
        P = E / d ** 0.25                                      # (q.k)/sqrt(d) = (q/d^.25).(k/d^.25)
    elif method == "favor":
        P = favor_forward(E, omega)                            # (S, m) random features
    else:
        P = phi_forward(E, method)                             # (S, D)
    G = P @ P.T                                                # (S, S)
    s = G[keys, q[:, None]]                                    # (B, L) scores phi(k_l).phi(q)
    if method == "softmax":
        a = np.exp(s - s.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
    elif method in ("elu", "favor"):                           # Eq. 3 normaliser
        z = s.sum(1, keepdims=True)
        a = s / z
    else:
        a = s
    # y = sum_l a_l v_l with one-hot v_l: scatter-add a_l into slot vals_l
    y = np.bincount((b[:, None] * S + vals).ravel(), a.ravel(), B * S).reshape(B, S)
    err = y
    err[b, tgt] -= 1.0
    loss = float((err ** 2).sum(1).mean())
    # backward
    da = (2.0 / B * err)[b[:, None], vals]                     # (B, L)
    if method == "softmax":
        ds = a * (da - (a * da).sum(1, keepdims=True))
    elif method in ("elu", "favor"):
        ds = (da - (a * da).sum(1, keepdims=True)) / z
    else:
        ds = da
    dG = np.bincount((keys * S + q[:, None]).ravel(), ds.ravel(), S * S).reshape(S, S)
    dP = (dG + dG.T) @ P
    if method == "softmax":
        dE = dP / d ** 0.25
    elif method == "favor":
        dE = favor_backward(dP, E, omega)
    else:
        dE = phi_backward(dP, E, method)
    return loss, dE


# ----------------------------------------------------------------------------- Setting 2 model

def delta_unrolled(Gk, V, beta):
    """Eqs. 4-6 step by step, with W_{t-1} = sum_{j<t} u_j phi(k_j)^T never formed.

    Gk (B, L, L) key Gram matrix phi(k_t).phi(k_j); V (B, L, dv); beta (B, L).
    Returns the writes U (B, L, dv): W_t = W_{t-1} + u_t phi(k_t)^T.
    """
    U = np.zeros_like(V)
    for t in range(V.shape[1]):
        # Eq. 4: v_bar_t = W_{t-1} phi(k_t) = sum_{j<t} (phi(k_j).phi(k_t)) u_j
        v_bar = (Gk[:, t, None, :t] @ U[:, :t])[:, 0]                 # (B, dv)
        # Eq. 6: the write is u_t = beta_t (v_t - v_bar_t)
        U[:, t] = beta[:, t, None] * (V[:, t] - v_bar)
    return U


def init_rule_params(cfg: Config, rng):
    """Slow weights of Setting 2: key embedding E and W_beta = [w_key; w_value; b]."""
    return {"E": rng.normal(0.0, cfg.init_scale / np.sqrt(cfg.d_key), (cfg.S, cfg.d_key)),
            "w_key": np.zeros(cfg.S), "w_value": np.zeros(cfg.S), "b_beta": np.zeros(1)}


def rule_forward(params, batch, rule, cfg: Config):
    """Write L pairs with the sum or delta rule, read the query. Returns y and a cache."""
    keys, vals, q, tgt = batch
    E = params["E"]
    S = E.shape[0]
    P, z = sum_normalise(phi_forward(E, f"dpfp{cfg.nu}"), cfg.norm_eps)   # (S, D), Eqs. 8, 7
    G = P @ P.T                                                # (S, S) phi(i).phi(j)
    gq = G[q[:, None], keys]                                   # (B, L) phi(k_j).phi(q)
    V = np.eye(S)[vals]                                        # (B, L, S) one-hot values
    if rule == "delta":
        # Eq. 5: beta_t = sigmoid(W_beta x_t), x_t = [onehot(key_t); onehot(value_t); 1]
        beta = 1.0 / (1.0 + np.exp(-(params["w_key"][keys] + params["w_value"][vals]
                                     + params["b_beta"][0])))
        Gk = G[keys[:, :, None], keys[:, None, :]]             # (B, L, L) phi(k_t).phi(k_j)
        U = delta_unrolled(Gk, V, beta)                        # Eqs. 4-6
    else:
        beta, Gk, U = None, None, V                            # Eq. 1: u_t = v_t
    y = (gq[:, None, :] @ U)[:, 0]                             # Eq. 2: y = W_L phi(q), (B, S)
    return y, dict(P=P, z=z, Gk=Gk, gq=gq, U=U, V=V, beta=beta)


def rule_loss_and_grads(params, batch, rule, cfg: Config):
    """Squared retrieval error and its hand-written gradient w.r.t. every slow weight."""
    keys, vals, q, tgt = batch
    E = params["E"]
    S = E.shape[0]
    B, L = keys.shape
    b = np.arange(B)
    y, c = rule_forward(params, batch, rule, cfg)
    err = y.copy()
    err[b, tgt] -= 1.0
    loss = float((err ** 2).sum(1).mean())
    dy = 2.0 / B * err                                         # (B, S)
    dgq = (c["U"] @ dy[:, :, None])[..., 0]                    # (B, L)
    dU = c["gq"][:, :, None] * dy[:, None, :]                  # (B, L, S)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    idx, w = [(q[:, None] * S + keys).ravel()], [dgq.ravel()]
    if rule == "delta":
        beta, U, Gk = c["beta"], c["U"], c["Gk"]
        # The writes solve u_t + beta_t sum_{j<t} Gk[t, j] u_j = beta_t v_t, i.e.
        # A U = diag(beta) V with A = I + diag(beta) tril(Gk, -1). Backward:
        # X = A^-T dU (back substitution), d(beta_t v_t) = x_t, dA = -X U^T.
        X = np.zeros_like(dU)
        bG = beta[:, :, None] * Gk                             # A's strictly lower part
        for t in reversed(range(L)):
            X[:, t] = dU[:, t] - (bG[:, None, t + 1:, t] @ X[:, t + 1:])[:, 0]
        dA_low = -(X @ np.swapaxes(U, 1, 2)) * np.tri(L, k=-1)    # (B, L, L)
        dbeta = (X * c["V"]).sum(-1) + (dA_low * Gk).sum(-1)
        dGk = beta[:, :, None] * dA_low
        dlogit = dbeta * beta * (1.0 - beta)
        grads["w_key"] = np.bincount(keys.ravel(), dlogit.ravel(), S)
        grads["w_value"] = np.bincount(vals.ravel(), dlogit.ravel(), S)
        grads["b_beta"] = np.array([dlogit.sum()])
        idx.append((keys[:, :, None] * S + keys[:, None, :]).ravel())
        w.append(dGk.ravel())
    # scatter the Gram-matrix gradients back to symbol pairs, then through P
    dG = np.bincount(np.concatenate(idx), np.concatenate(w), S * S).reshape(S, S)
    dP = (dG + dG.T) @ c["P"]
    dphi = (dP - (dP * c["P"]).sum(1, keepdims=True)) / c["z"]  # through Eq. 7
    grads["E"] = phi_backward(dphi, E, f"dpfp{cfg.nu}")
    return loss, grads



# ----------------------------------------------------------------------------- training

class Adam:
    def __init__(self, params, cfg: Config):
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.b1, self.b2, self.eps, self.t = cfg.adam_b1, cfg.adam_b2, cfg.adam_eps, 0

    def step(self, params, grads, lr):
        self.t += 1
        for k in params:
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * grads[k]
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * grads[k] ** 2
            mhat = self.m[k] / (1 - self.b1 ** self.t)
            vhat = self.v[k] / (1 - self.b2 ** self.t)
            params[k] -= lr * mhat / (np.sqrt(vhat) + self.eps)


def lr_at(step, steps, lr, decay_from):
    """Constant, then linear decay to 0 over the last (1 - decay_from) of the steps."""
    return lr * min(1.0, (1.0 - step / steps) / (1.0 - decay_from))


def streams(seed):
    """The named generators of one seed (data, init, eval)."""
    return seed_streams(seed, ("data", "init", "eval"))


def train_capacity(cfg: Config, method, S, seed):
    """Setting 1: one model (embedding) for one method at one S; final eval loss."""
    rng = streams(seed)
    params = {"E": rng["init"].normal(0.0, cfg.init_scale / np.sqrt(cfg.cap_d_key),
                                      (S, cfg.cap_d_key))}
    omega = favor_features(rng["init"], cfg.favor_m, cfg.cap_d_key) if method == "favor" else None
    opt = Adam(params, cfg)
    for step in range(cfg.cap_steps):
        batch = make_batch(rng["data"], S, S, cfg.cap_batch, replace=False)
        _, dE = capacity_loss_and_grad(params["E"], batch, method, omega)
        opt.step(params, {"E": dE}, lr_at(step, cfg.cap_steps, cfg.cap_lr, cfg.decay_from))
    batch = make_batch(rng["eval"], S, S, cfg.cap_eval_episodes, replace=False)
    return capacity_loss_and_grad(params["E"], batch, method, omega)[0], params["E"]




def train_rule(cfg: Config, rule, seed, log=None):
    """Setting 2: train one slow net for one update rule. Returns (params, history)."""
    rng = streams(seed)
    params = init_rule_params(cfg, rng["init"])
    opt = Adam(params, cfg)
    hist, window = {"step": [], "loss": []}, []
    for step in range(cfg.steps):
        batch = make_batch(rng["data"], cfg.S, cfg.L, cfg.batch_size, replace=True)
        loss, grads = rule_loss_and_grads(params, batch, rule, cfg)
        opt.step(params, grads, lr_at(step, cfg.steps, cfg.lr, cfg.decay_from))
        window.append(loss)
        if (step + 1) % cfg.log_every == 0:
            hist["step"].append(step + 1)
            hist["loss"].append(float(np.mean(window)))
            window = []
            if log:
                log(step + 1, cfg.steps, {"rule": rule, "seed": seed, "loss": hist["loss"][-1]})
    return params, hist


def train(cfg: Config, log=None):
    """The headline: the equivalences, then both update rules on Setting 2, n_seeds seeds each.

    Returns (models, history): models[rule][i] are the slow weights of seed
    cfg.seed + i, history[rule][i] their learning curves; history["equivalences"]
    the round-off differences between the equal forms.
    """
    models, history = {r: [] for r in RULES}, {r: [] for r in RULES}
    history["equivalences"] = check_equivalences(cfg, streams(cfg.seed)["eval"])
    total = cfg.n_seeds * len(RULES) * cfg.steps
    for i in range(cfg.n_seeds):
        for j, r in enumerate(RULES):
            done = (i * len(RULES) + j) * cfg.steps          # progress over all runs
            run_log = (lambda s, _, m, done=done: log(done + s, total, m)) if log else None
            p, h = train_rule(cfg, r, cfg.seed + i, run_log)
            models[r].append(p)
            history[r].append(h)
    return models, history




def evaluate(model, cfg: Config):
    """Setting 2 final loss per rule and seed on held-out episodes (eval stream)."""
    out = {"setting2_final_loss": {}, "setting2_seed_losses": {}, "setting2_mean_beta": {}}
    for r in RULES:
        losses, betas = [], []
        for i, p in enumerate(model[r]):
            batch = make_batch(streams(cfg.seed + i)["eval"], cfg.S, cfg.L,
                               cfg.eval_episodes, replace=True)
            y, c = rule_forward(p, batch, r, cfg)
            b = np.arange(len(batch[3]))
            err = y.copy()
            err[b, batch[3]] -= 1.0
            losses.append(float((err ** 2).sum(1).mean()))
            if c["beta"] is not None:
                betas.append(float(c["beta"].mean()))
        out["setting2_seed_losses"][r] = losses
        out["setting2_final_loss"][r] = float(np.median(losses))
        if betas:
            out["setting2_mean_beta"][r] = float(np.mean(betas))
    d = out["setting2_seed_losses"]
    out["setting2_delta_solved"] = int(sum(x < cfg.success_loss for x in d["delta"]))
    out["setting2_sum_solved"] = int(sum(x < cfg.success_loss for x in d["sum"]))
    out["n_seeds"] = cfg.n_seeds
    return out


def summarise(cfg: Config, model: dict, history: dict) -> dict:
    """Equivalences, Setting 2 losses per seed, and the verdict statistic."""
    out = {**history["equivalences"], **evaluate(model, cfg)}
    d, s = out["setting2_seed_losses"]["delta"], out["setting2_seed_losses"]["sum"]
    wins = [dl < cfg.success_loss and sl >= cfg.fail_loss for dl, sl in zip(d, s)]
    out["delta_beats_sum_rate"] = float(np.mean(wins))
    out["n_runs"] = cfg.n_seeds
    out["setting2_first_step_below_success"] = {
        r: [next((st for st, l in zip(h["step"], h["loss"]) if l < cfg.success_loss), None)
            for h in history[r]] for r in RULES}
    return out


def describe(cfg: Config, metrics: dict) -> dict:
    """One-line summary and the Results table of the headline."""
    m, n = metrics, cfg.n_seeds
    eq_worst = max([m["equivalence_max_abs_diff"], m["causal_equivalence_max_abs_diff"],
                    m["delta_equivalence_max_abs_diff"]]
                   + list(m["feature_equivalence_max_abs_diff"].values()))
    fl, sl = m["setting2_final_loss"], m["setting2_seed_losses"]
    derivation = "equal (the paper's derivation)"
    rows = [["linear attention vs FWP, max |diff|", f"{m['equivalence_max_abs_diff']:.1e}", derivation],
            ["causal attention vs recurrent scan, every step",
             f"{m['causal_equivalence_max_abs_diff']:.1e}", derivation],
            *[[f"{k} attention (normalised) vs FWP", f"{v:.1e}", derivation]
              for k, v in m["feature_equivalence_max_abs_diff"].items()],
            ["delta rule: W scan vs unrolled form", f"{m['delta_equivalence_max_abs_diff']:.1e}", "-"],
            [f"Setting 2 sum rule, final loss: median (min..max) of {n}",
             f"{fl['sum']:.3f} ({min(sl['sum']):.3f}..{max(sl['sum']):.3f})", "fails (stays high)"],
            [f"Setting 2 delta rule, final loss: median (min..max) of {n}",
             f"{fl['delta']:.2e} ({min(sl['delta']):.1e}..{max(sl['delta']):.1e})", "near zero"],
            [f"seeds where delta < {cfg.success_loss:g} and sum >= {cfg.fail_loss:g}",
             f"{round(m['delta_beats_sum_rate'] * n)}/{n}", "the paper's figure"]]
    return {
        "label": "fraction of seeds on which the delta rule solves Setting 2 and the sum rule fails",
        "summary": f"forms agree to {eq_worst:.1e}; Setting 2 (DPFP-{cfg.nu}, L={cfg.L} with "
                   f"replacement): delta rule loss {fl['delta']:.1e}, sum rule {fl['sum']:.2f} "
                   f"(medians of {n}); delta solves and sum fails on "
                   f"{round(m['delta_beats_sum_rate'] * n)}/{n} seeds (paper: delta ~0, sum fails)",
        "table": {"columns": ["quantity", "ours", "paper"], "rows": rows},
        "tolerance": {"rel": 1e-2, "basis": "deterministic on one machine; across CPUs the "
                      "Setting 2 losses moved by 7e-4 relative (1.4898e-3 vs 1.4888e-3), so the "
                      "compared statistics are the verdict rate and the median losses at 1e-2",
                      "metrics": ["delta_beats_sum_rate", "setting2_final_loss.sum",
                                  "setting2_final_loss.delta"]},
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
