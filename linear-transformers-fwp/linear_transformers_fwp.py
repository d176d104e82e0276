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

    python3 linear-transformers-fwp/linear_transformers_fwp.py --seed 0
    python3 linear-transformers-fwp/linear_transformers_fwp.py --experiment capacity --seed 0
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SLUG = "linear-transformers-fwp"
CACHE = os.path.join(HERE, ".cache")
FEATURE_MAPS = ("identity", "elu", "dpfp1", "dpfp2", "dpfp3")
CAPACITY_METHODS = FEATURE_MAPS + ("favor", "softmax")
RULES = ("sum", "delta")


# ----------------------------------------------------------------------------- config

@dataclass
class Config:
    seed: int = field(default=0, metadata={"help": "root seed; spawned into data/init/eval streams"})
    experiment: str = field(default="headline", metadata={
        "help": "headline (equivalences + Setting 2) or capacity (Setting 1 sweep)"})
    n_seeds: int = field(default=3, metadata={"help": "Setting 2: train seeds seed..seed+n_seeds-1"})
    # equivalence check (random inputs)
    eq_T: int = field(default=24, metadata={"help": "equivalence: sequence length"})
    eq_batch: int = field(default=8, metadata={"help": "equivalence: random sequences"})
    eq_d_in: int = field(default=12, metadata={"help": "equivalence: input size of the slow net"})
    eq_d_key: int = field(default=8, metadata={"help": "equivalence: key/query size"})
    eq_d_value: int = field(default=6, metadata={"help": "equivalence: value size"})
    norm_eps: float = field(default=1e-6, metadata={
        "help": "added to every normaliser's denominator (Eq. 3 and Eq. 7)"})
    # Setting 1: capacity
    cap_d_key: int = field(default=16, metadata={"help": "Setting 1 key size (paper: 64)"})
    cap_S: tuple = field(default=(8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80, 96,
                                  112, 128, 144, 160),
                         metadata={"help": "Setting 1 numbers of keys S = L (paper: 20..600)"})
    cap_methods: tuple = field(default=CAPACITY_METHODS, metadata={"help": "Setting 1 methods"})
    cap_steps: int = field(default=2000, metadata={"help": "Setting 1 Adam steps per run (paper: to convergence)"})
    favor_m: int = field(default=32, metadata={
        "help": "Setting 1 FAVOR+ random features, fixed per run (paper: several sizes at d_key 64)"})
    cap_seeds: int = field(default=1, metadata={
        "help": "Setting 1 seeds per (method, S), from --seed on; curves are their median"})
    cap_batch: int = field(default=32, metadata={"help": "Setting 1 episodes per step"})
    cap_lr: float = field(default=1e-2, metadata={"help": "Setting 1 Adam learning rate"})
    cap_eval_episodes: int = field(default=512, metadata={"help": "Setting 1 evaluation episodes"})
    knee_loss: float = field(default=0.05, metadata={
        "help": "knee = S where the final loss crosses this (a memory returning 0 scores 1)"})
    # Setting 2: update rules
    S: int = field(default=20, metadata={"help": "Setting 2 distinct keys and values (paper: 20)"})
    L: int = field(default=40, metadata={"help": "Setting 2 pairs per sequence, with replacement (paper: 2S = 40)"})
    d_key: int = field(default=64, metadata={"help": "Setting 2 key size (paper: 64)"})
    nu: int = field(default=1, metadata={"help": "Setting 2 DPFP order (paper: DPFP-1)"})
    steps: int = field(default=600, metadata={"help": "Setting 2 Adam steps per rule"})
    batch_size: int = field(default=32, metadata={"help": "Setting 2 episodes per step"})
    lr: float = field(default=1e-2, metadata={"help": "Setting 2 Adam learning rate"})
    eval_episodes: int = field(default=1024, metadata={"help": "Setting 2 evaluation episodes"})
    log_every: int = field(default=20, metadata={"help": "Setting 2 history interval (steps)"})
    success_loss: float = field(default=0.01, metadata={
        "help": "Setting 2: 'near-zero loss' means final loss below this"})
    # shared
    init_scale: float = field(default=1.0, metadata={"help": "embedding init std = init_scale / sqrt(d_key)"})
    adam_b1: float = field(default=0.9, metadata={"help": "Adam beta1"})
    adam_b2: float = field(default=0.999, metadata={"help": "Adam beta2"})
    adam_eps: float = field(default=1e-8, metadata={"help": "Adam epsilon"})
    decay_from: float = field(default=0.5, metadata={
        "help": "learning rate held until this fraction of the steps, then linear to 0"})
    quick: bool = field(default=False, metadata={"help": "reduced run for tests / smoke checks"})


def quick_config(cfg: Config) -> Config:
    """The --quick reduction: a few seconds, same code path."""
    return dataclasses.replace(cfg, quick=True, n_seeds=1, steps=200, eval_episodes=256,
                               cap_S=(8, 24), cap_methods=("identity", "dpfp1"),
                               cap_steps=400, cap_eval_episodes=128)


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
    """One SeedSequence spawned into named generators."""
    data, init, ev = np.random.SeedSequence(seed).spawn(3)
    return {"data": np.random.default_rng(data), "init": np.random.default_rng(init),
            "eval": np.random.default_rng(ev)}


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


def measure_knee(S_values, losses, thr):
    """First crossing of thr, linearly interpolated in S; None if never crossed."""
    for i, (s, l) in enumerate(zip(S_values, losses)):
        if l > thr:
            if i == 0:
                return float(s)
            s0, l0 = S_values[i - 1], losses[i - 1]
            return float(s0 + (thr - l0) / (l - l0) * (s - s0))
    return None


def capacity_sweep(cfg: Config, log=print):
    """Setting 1 over every method, S and seed. Returns metrics.

    With several seeds, capacity_loss is the median over seeds at each S and
    capacity_knee the knee of that median curve; the per-seed curves and
    knees are kept beside them.
    """
    seeds = range(cfg.seed, cfg.seed + cfg.cap_seeds)
    t0, done = time.time(), 0
    n_runs = len(cfg.cap_methods) * len(cfg.cap_S) * cfg.cap_seeds
    per_seed = {m: [[] for _ in seeds] for m in cfg.cap_methods}
    for m in cfg.cap_methods:
        for i, seed in enumerate(seeds):
            for S in cfg.cap_S:
                loss, _ = train_capacity(cfg, m, S, seed)
                per_seed[m][i].append(loss)
                done += 1
                el = time.time() - t0
                log(f"capacity {m:>8s} seed {seed} S={S:4d} loss={loss:.3e}  [{done}/{n_runs}, "
                    f"{el:.0f}s elapsed, ~{el / done * (n_runs - done):.0f}s left]")
    curves = {m: [float(x) for x in np.median(per_seed[m], axis=0)] for m in cfg.cap_methods}
    out = {"capacity_knee": {m: measure_knee(cfg.cap_S, curves[m], cfg.knee_loss)
                             for m in cfg.cap_methods},
           "d_dot": {m: d_dot(m, cfg.cap_d_key, cfg.favor_m) for m in cfg.cap_methods},
           "capacity_min_loss": {m: min(curves[m]) for m in cfg.cap_methods},
           "capacity_loss": curves, "S": list(cfg.cap_S), "n_seeds": cfg.cap_seeds}
    if cfg.cap_seeds > 1:
        out["capacity_knee_per_seed"] = {
            m: [measure_knee(cfg.cap_S, c, cfg.knee_loss) for c in per_seed[m]]
            for m in cfg.cap_methods}
        out["capacity_loss_per_seed"] = per_seed
    return out


def train_rule(cfg: Config, rule, seed, log=None):
    """Setting 2: train one slow net for one update rule. Returns (params, history)."""
    rng = streams(seed)
    params = init_rule_params(cfg, rng["init"])
    opt = Adam(params, cfg)
    hist, window, t0 = {"step": [], "loss": []}, [], time.time()
    for step in range(cfg.steps):
        batch = make_batch(rng["data"], cfg.S, cfg.L, cfg.batch_size, replace=True)
        loss, grads = rule_loss_and_grads(params, batch, rule, cfg)
        opt.step(params, grads, lr_at(step, cfg.steps, cfg.lr, cfg.decay_from))
        window.append(loss)
        if (step + 1) % cfg.log_every == 0:
            hist["step"].append(step + 1)
            hist["loss"].append(float(np.mean(window)))
            window = []
            if log and (step + 1) % (cfg.log_every * 10) == 0:
                el = time.time() - t0
                log(f"  {rule:5s} seed {seed} step {step + 1:5d} loss {hist['loss'][-1]:.3e} "
                    f"{el:.1f}s elapsed, ~{el / (step + 1) * (cfg.steps - step - 1):.1f}s left")
    return params, hist


def train(cfg: Config, log=print):
    """The headline training: both update rules on Setting 2, n_seeds seeds each.

    Returns (models, history): models[rule][i] are the slow weights of seed
    cfg.seed + i, history[rule][i] their learning curves.
    """
    models, history = {r: [] for r in RULES}, {r: [] for r in RULES}
    for i in range(cfg.n_seeds):
        for r in RULES:
            p, h = train_rule(cfg, r, cfg.seed + i, log)
            models[r].append(p)
            history[r].append(h)
    return models, history


def evaluate(models, cfg: Config, history=None):
    """Setting 2 final loss per rule and seed on held-out episodes (eval stream).

    With the training history, also the first logged step whose mean training
    loss is below success_loss (None if never).
    """
    out = {"setting2_final_loss": {}, "setting2_seed_losses": {}, "setting2_mean_beta": {}}
    for r in RULES:
        losses, betas = [], []
        for i, p in enumerate(models[r]):
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
    if history is not None:
        out["setting2_first_step_below_success"] = {
            r: [next((s for s, l in zip(h["step"], h["loss"]) if l < cfg.success_loss), None)
                for h in history[r]] for r in RULES}
    return out


# ----------------------------------------------------------------------------- run records

CITATION = ("Schlag, I., Irie, K. & Schmidhuber, J. (2021). Linear Transformers Are Secretly "
            "Fast Weight Programmers. ICML 2021, PMLR 139 (arXiv:2102.11174).")
PAPER_KNEE = {"elu": 60, "dpfp1": 128, "dpfp2": 256, "dpfp3": 384}  # at d_key = 64, as in issue #6


def env_info():
    return {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform()}


def save_run(cfg, models, history, metrics):
    """Cache what the figures need (the visualisers load this, never retrain)."""
    os.makedirs(CACHE, exist_ok=True)
    arrays = {f"{r}_{i}_{k}": v for r in RULES for i, p in enumerate(models[r])
              for k, v in p.items()}
    np.savez(os.path.join(CACHE, f"setting2_seed{cfg.seed}.npz"), **arrays)
    with open(os.path.join(CACHE, f"setting2_seed{cfg.seed}.json"), "w") as fh:
        json.dump({"config": config_dict(cfg), "history": history, "metrics": metrics}, fh)


def load_run(seed=0):
    """(cfg, models, history, metrics) from the cache, or None if there is none."""
    base = os.path.join(CACHE, f"setting2_seed{seed}")
    if not (os.path.isfile(base + ".npz") and os.path.isfile(base + ".json")):
        return None
    with open(base + ".json") as fh:
        meta = json.load(fh)
    c = meta["config"]
    cfg = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})
    arr = np.load(base + ".npz")
    models = {r: [{k: arr[f"{r}_{i}_{k}"] for k in ("E", "w_key", "w_value", "b_beta")}
                  for i in range(cfg.n_seeds)] for r in RULES}
    return cfg, models, meta["history"], meta["metrics"]


def load_or_train_run(seed=0, log=print):
    """The cached headline run for the figures; trains and caches it once if missing."""
    run = load_run(seed)
    if run is None:
        log("no saved run in .cache/: training the headline configuration once")
        cfg = Config(seed=seed)
        models, history = train(cfg, log)
        save_run(cfg, models, history, evaluate(models, cfg, history))
        run = load_run(seed)
    return run


def config_dict(cfg):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


def headline_record(cfg, metrics, command, wallclock):
    eq_keys = ("equivalence_max_abs_diff", "causal_equivalence_max_abs_diff",
               "delta_equivalence_max_abs_diff")
    eq_worst = max([metrics[k] for k in eq_keys]
                   + list(metrics["feature_equivalence_max_abs_diff"].values()))
    sl = metrics["setting2_seed_losses"]
    n = cfg.n_seeds
    delta_ok = metrics["setting2_delta_solved"] == n
    sum_fails = all(x >= 10 * cfg.success_loss for x in sl["sum"])
    better = all(d < s for d, s in zip(sl["delta"], sl["sum"]))
    rt = 1e-12
    if eq_worst < rt and delta_ok and sum_fails:
        rep = "yes"
    elif eq_worst < rt and better:
        rep = "partial"
    else:
        rep = "no"
    fl = metrics["setting2_final_loss"]
    summary = (f"forms agree to {eq_worst:.1e}; Setting 2 (DPFP-1, L=40 with replacement): "
               f"delta rule loss {fl['delta']:.1e} ({metrics['setting2_delta_solved']}/{n} seeds "
               f"< {cfg.success_loss}), sum rule {fl['sum']:.2f} (paper: delta ~0, sum fails)")
    table = {"columns": ["quantity", "ours", "paper"], "rows": [
        ["linear attention vs FWP, max |diff|", f"{metrics['equivalence_max_abs_diff']:.1e}",
         "equal (the paper's derivation)"],
        ["causal attention vs recurrent scan, every step",
         f"{metrics['causal_equivalence_max_abs_diff']:.1e}", "equal (the paper's derivation)"],
        *[[f"{m} attention (normalised) vs FWP", f"{v:.1e}", "equal (the paper's derivation)"]
          for m, v in metrics["feature_equivalence_max_abs_diff"].items()],
        ["delta rule: W scan vs unrolled form", f"{metrics['delta_equivalence_max_abs_diff']:.1e}",
         "—"],
        [f"Setting 2 sum rule, final loss (median of {n})", f"{fl['sum']:.3f}", "fails"],
        [f"Setting 2 delta rule, final loss (median of {n})", f"{fl['delta']:.2e}",
         "near zero"],
        ["Setting 2 seeds with delta loss < " + str(cfg.success_loss),
         f"{metrics['setting2_delta_solved']}/{n}", "—"],
    ]}
    return {
        "slug": SLUG, "command": command, "seed": cfg.seed, "config": config_dict(cfg),
        "metrics": metrics,
        "paper": {"citation": CITATION, "year": 2021,
                  "metrics": {"equivalence": "exact (algebraic identity)",
                              "setting2_final_loss": {"sum": "fails (stays high)",
                                                      "delta": "near zero"}},
                  "source": "the equivalence derivation, and synthetic Setting 2 (its learning-curve figure)"},
        "earlier_repro": {"metrics": {"equivalence_max_abs_diff": 2.2e-16},
                          "note": "equivalence to 2.2e-16 on random inputs; no Setting 1 or 2, "
                                  "no feature maps, no end-to-end delta-rule training; 0.1 s"},
        "headline": {
            "metric": "setting2_final_loss.delta", "ours": fl["delta"], "paper": "near zero",
            "earlier": None, "reproduces": rep,
            "rule": (f"yes if every equivalence holds to < {rt:g} and the delta rule's final "
                     f"loss is < {cfg.success_loss} on every seed while the sum rule's is "
                     f">= {10 * cfg.success_loss} on every seed; partial if the equivalences hold "
                     f"and delta beats sum on every seed"),
            "summary": summary},
        "table": table, "tolerance": {"rel": 1e-9},
        "wallclock_s": round(wallclock, 2), "env": env_info()}


def capacity_record(cfg, metrics, command, wallclock):
    knees, dd = metrics["capacity_knee"], metrics["d_dot"]
    scale = cfg.cap_d_key / 64
    ok, near = [], []
    for m in cfg.cap_methods:
        if m == "favor":  # the paper claims no knee for FAVOR+, only that it never reaches 0
            continue
        if dd[m] is None:
            ok.append(knees[m] is None)
        else:
            near.append(knees[m] is not None and abs(knees[m] - dd[m]) <= 0.35 * dd[m])
    rep = "yes" if all(ok) and all(near) else ("partial" if sum(near) >= len(near) / 2 else "no")
    fmt_k = lambda k: "none in range" if k is None else f"{k:.0f}"
    rows = []
    for m in cfg.cap_methods:
        pk = PAPER_KNEE.get(m)
        paper = ("lowest loss at every S up to 600" if m == "softmax" else
                 "never reaches zero loss" if m == "favor" else
                 "not in paper" if pk is None else
                 f"~{pk} (d_dot {d_dot(m, 64)}); scaled to ours: {pk * scale:.0f}")
        row = [m, "—" if dd[m] is None else dd[m], fmt_k(knees[m]),
               f"{metrics['capacity_min_loss'][m]:.1e}", paper]
        if "capacity_knee_per_seed" in metrics:
            row.insert(4, ", ".join("none" if k is None else f"{k:.1f}"
                                    for k in metrics["capacity_knee_per_seed"][m]))
        rows.append(row)
    columns = ["method", "d_dot (ours)", "knee S (ours)", "lowest loss (ours)", "paper (d_key 64)"]
    if "capacity_knee_per_seed" in metrics:
        columns.insert(4, "knee per seed")
    seeds = "" if cfg.cap_seeds == 1 else f", median of {cfg.cap_seeds} seeds"
    summary = (f"Setting 1 knees (d_key={cfg.cap_d_key}{seeds}): "
               + ", ".join(f"{m} {fmt_k(knees[m])}" + ("" if dd[m] is None else f"/{dd[m]}")
                           for m in cfg.cap_methods) + " (measured/d_dot)")
    return {
        "slug": SLUG, "command": command, "seed": cfg.seed, "config": config_dict(cfg),
        "metrics": metrics,
        "paper": {"citation": CITATION, "year": 2021,
                  "metrics": {"capacity_knee": {**PAPER_KNEE, "softmax": None},
                              "d_key": 64},
                  "source": "synthetic Setting 1 (its capacity figure): linear attention (ELU+1) degrades "
                            "beyond about 60 keys, DPFP-1/2/3 near d_dot = 128/256/384; "
                            "FAVOR+ never reaches zero loss; softmax lowest throughout"},
        "earlier_repro": None,
        "headline": {
            "metric": "capacity_knee.dpfp3", "ours": knees.get("dpfp3"),
            "paper": PAPER_KNEE["dpfp3"] * scale, "earlier": None, "reproduces": rep,
            "rule": "yes if each linearised method's knee (loss crosses %g) lies within 35%% of "
                    "its d_dot and softmax shows no knee in the sweep (FAVOR+ is reported, not "
                    "ruled on: the paper claims no knee for it)" % cfg.knee_loss,
            "summary": summary},
        "table": {"columns": columns, "rows": rows},
        "tolerance": {"rel": 1e-9}, "wallclock_s": round(wallclock, 2), "env": env_info()}


# ----------------------------------------------------------------------------- CLI

class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad value gives exactly one line on stderr and exit status 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for f in dataclasses.fields(Config):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            p.add_argument(flag, action="store_true", help=f.metadata["help"])
        elif f.type in ("tuple", tuple):
            kind = int if f.name == "cap_S" else str
            p.add_argument(flag, type=kind, nargs="+", default=f.default, help=f.metadata["help"])
        else:
            kind = {"int": int, "float": float, "str": str}[f.type if isinstance(f.type, str)
                                                          else f.type.__name__]
            p.add_argument(flag, type=kind, default=f.default, help=f.metadata["help"])
    p.add_argument("--results", type=str, default=None, help="write the run record (JSON) here")
    p.add_argument("--grad-check", action="store_true",
                   help="also compare the hand-written gradients with finite differences")
    return p


def validate(p, args):
    """Reject bad values before any work (exit status 2 via argparse)."""
    pos = ["n_seeds", "cap_seeds", "eq_T", "eq_batch", "eq_d_in", "eq_d_key", "eq_d_value", "cap_d_key",
           "cap_steps", "cap_batch", "cap_eval_episodes", "S", "L", "d_key", "nu", "steps",
           "batch_size", "eval_episodes", "log_every"]
    for k in pos:
        if getattr(args, k) <= 0:
            p.error(f"--{k.replace('_', '-')} must be positive, got {getattr(args, k)}")
    for k in ("cap_lr", "lr", "knee_loss", "success_loss", "init_scale", "adam_eps"):
        if not getattr(args, k) > 0:
            p.error(f"--{k.replace('_', '-')} must be positive, got {getattr(args, k)}")
    if args.seed < 0:
        p.error(f"--seed must be >= 0, got {args.seed}")
    if args.experiment not in ("headline", "capacity"):
        p.error(f"--experiment must be headline or capacity, got {args.experiment!r}")
    bad = [m for m in args.cap_methods if m not in CAPACITY_METHODS]
    if bad:
        p.error(f"--cap-methods: unknown {bad}; choose from {list(CAPACITY_METHODS)}")
    if any(s < 2 for s in args.cap_S):
        p.error("--cap-S values must be >= 2")
    if not 0 <= args.decay_from < 1:
        p.error(f"--decay-from must be in [0, 1), got {args.decay_from}")
    if args.results is not None and not os.path.isdir(os.path.dirname(os.path.abspath(args.results))):
        p.error(f"--results: directory of {args.results!r} does not exist")


def grad_check_report(cfg):
    """Normwise relative error of every hand-written gradient (float64, central
    differences); the tests check the stricter elementwise error on fixed inputs."""
    rng = np.random.default_rng(cfg.seed)

    def rel(a, b):  # normwise: entries far below the gradient's scale are round-off
        return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))

    def numgrad(f, x, eps=1e-6):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            fp = f()
            x[i] = old - eps
            fm = f()
            x[i] = old
            g[i] = (fp - fm) / (2 * eps)
        return g

    out = {}
    omega = favor_features(rng, 8, 4)
    for m in CAPACITY_METHODS:
        E = rng.normal(0, 0.5, (6, 4))
        batch = make_batch(rng, 6, 6, 5, replace=False)
        _, dE = capacity_loss_and_grad(E, batch, m, omega)
        num = numgrad(lambda: capacity_loss_and_grad(E, batch, m, omega)[0], E, 1e-4)
        out[f"setting1_{m}"] = rel(dE, num)
    small = dataclasses.replace(cfg, S=5, L=7, d_key=6)
    for r in RULES:
        params = init_rule_params(small, rng)
        params.update(E=rng.normal(size=(5, 6)), w_key=rng.normal(size=5),
                      w_value=rng.normal(size=5), b_beta=rng.normal(size=1))
        batch = make_batch(rng, 5, 7, 4, replace=True)
        _, g = rule_loss_and_grads(params, batch, r, small)
        for k, v in params.items():
            if r == "sum" and k != "E":
                continue
            num = numgrad(lambda: rule_loss_and_grads(params, batch, r, small)[0], v)
            out[f"setting2_{r}_{k}"] = rel(g[k], num)
    return out


def main(argv=None):
    p = build_parser()
    args = p.parse_args(argv)
    validate(p, args)
    kw = {f.name: getattr(args, f.name) for f in dataclasses.fields(Config)}
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}
    cfg = Config(**kw)
    if cfg.quick:
        cfg = quick_config(cfg)
    command = "python3 " + " ".join([f"{SLUG}/{os.path.basename(__file__)}"] + list(
        sys.argv[1:] if argv is None else argv))
    print("config:", json.dumps(config_dict(cfg)))
    t0 = time.time()
    if args.grad_check:
        for k, v in grad_check_report(cfg).items():
            print(f"grad check {k:28s} relative error {v:.2e}")
    if cfg.experiment == "capacity":
        metrics = capacity_sweep(cfg)
        rec = capacity_record(cfg, metrics, command, time.time() - t0)
        print("measured knee per method (loss crosses %g) vs d_dot, d_key = %d:"
              % (cfg.knee_loss, cfg.cap_d_key))
        for m in cfg.cap_methods:
            k = metrics["capacity_knee"][m]
            pk = PAPER_KNEE.get(m)
            print(f"  {m:8s} knee {'none' if k is None else f'{k:6.1f}'}   d_dot "
                  f"{metrics['d_dot'][m]}   paper (d_key 64): "
                  f"{'no knee' if m == 'softmax' else pk if pk else 'n/a'}")
    else:
        metrics = check_equivalences(cfg, streams(cfg.seed)["eval"])
        for k in ("equivalence_max_abs_diff", "causal_equivalence_max_abs_diff",
                  "delta_equivalence_max_abs_diff"):
            print(f"{k}: {metrics[k]:.2e}")
        print("feature_equivalence_max_abs_diff:", metrics["feature_equivalence_max_abs_diff"])
        models, history = train(cfg)
        metrics.update(evaluate(models, cfg, history))
        if not cfg.quick:  # the figures draw the full headline run, never a smoke run
            save_run(cfg, models, history, metrics)
        rec = headline_record(cfg, metrics, command, time.time() - t0)
        fl = metrics["setting2_final_loss"]
        print(f"Setting 2 final loss (median of {cfg.n_seeds} seeds): sum {fl['sum']:.4f}, "
              f"delta {fl['delta']:.2e}  (paper: sum rule fails, delta near zero)")
    print(f"{rec['headline']['summary']}  -> reproduces: {rec['headline']['reproduces']}")
    print(f"wallclock {rec['wallclock_s']:.1f} s")
    if args.results:
        with open(args.results, "w") as fh:
            json.dump(rec, fh, indent=1)
            fh.write("\n")
    return rec


if __name__ == "__main__":
    main()
