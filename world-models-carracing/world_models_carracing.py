"""World Models on a numpy CarRacing: V (conv VAE) + M (MDN-RNN) + C (linear, CMA-ES).

Ha, D. & Schmidhuber, J. (2018). Recurrent World Models Facilitate Policy
Evolution. NeurIPS 31 (arXiv:1803.10122, "World Models").

The task. A car drives on a closed road that is new and random in every
episode. It sees only a 32x32 grey image centred on itself and rotated with it
(road dark, grass light, the car black), so its speed and sideways drift are
not visible in any single frame. The road is cut into N tiles; touching a tile
for the first time pays +1000/N, every frame costs -0.1, leaving the playfield
costs -100 and ends the episode, visiting every tile ends it too. A full lap
therefore earns 1000 minus 0.1 per frame used, on this track as on CarRacing-v0,
so a score is (almost) 1000 x the fraction of the lap driven. Grass has twelve
times the road's drag (top speed 0.4 against 4.8), so cutting corners is slow;
this and a stronger throttle were chosen so that knowing the velocity is worth
more (README, "Problem": the ceiling with and without velocity per change).

The agent is the paper's three modules, trained one after the other:

  V  convolutional VAE, frame x -> z (reparameterised), trained on frames of
     random rollouts:
       (mu, log_var) = enc(x);  z = mu + exp(log_var / 2) * eps,  eps ~ N(0, I)
       L_V = sum_pixels (x - dec(z))^2 + max(KL, kl_tolerance * N_z)           (1)
       KL  = -1/2 sum_j (1 + log_var_j - mu_j^2 - exp(log_var_j))
  M  MDN-RNN: an LSTM reads (z_t, a_t) and its new state h_{t+1} parameterises
     P(z_{t+1}) as a mixture of K = 5 Gaussians per dimension of z, and the
     probability that the step reached a new tile (the reward signal M needs
     for dream training). Maximum likelihood:
       [i f o g] = [sig sig sig tanh](W_x [z_t, a_t] + W_h h_t + b)
       c_{t+1} = f * c_t + i * g;  h_{t+1} = o * tanh(c_{t+1})              (2)
       (logit pi_k, mu_k, log sigma_k), tile logit = W_y h_{t+1} + b_y
       L_M = -sum_j log sum_k pi_k N(z_{t+1,j}; mu_k, sigma_k^2)
             - [y log p + (1 - y) log(1 - p)]                                 (3)
     Sampling with temperature tau: pi = softmax(logit / tau), sigma * sqrt(tau).
  C  linear controller on the concatenated features, trained by CMA-ES:
       a_t = W_c [z_t, h_t] + b_c;  steer = tanh(a_0), gas = (tanh(a_1) + 1)/2,
       brake = clip(tanh(a_2), 0, 1)                                          (4)
     z_t = mu(x_t) + sigma(x_t) * eps is a draw from V's posterior (as the paper).
     The "V + hidden layer" row: a_t = (4) applied to tanh(W_1 z_t + b_1).
     CMA-ES (Hansen 2016 tutorial, default constants): sample
       x_i = m + sigma B D N(0, I);  m' = m + sum_i w_i (x_{i:lambda} - m)
       p_s = (1 - c_s) p_s + sqrt(c_s (2 - c_s) mu_eff) C^{-1/2} (m' - m)/sigma
       p_c = (1 - c_c) p_c + h_s sqrt(c_c (2 - c_c) mu_eff) (m' - m)/sigma
       C   = (1 - c_1 - c_mu) C + c_1 (p_c p_c^T + (1 - h_s) c_c (2 - c_c) C)
             + c_mu sum_i w_i y_i y_i^T,   y_i = (x_{i:lambda} - m)/sigma     (5)
       sigma = sigma exp((c_s / d_s) (|p_s| / E|N(0, I)| - 1))
     Fitness = mean return of a candidate over several random tracks. All
     candidates x tracks are rolled out as one vectorised batch.

The ablation of the paper's Table 1 is reproduced on this environment: a random
policy, C on z only ("V only"), C on a tanh hidden layer of z ("V + hidden"),
C on [z, h] of an untrained M (the control "V + random M"), C on [z, h]
("V + M"), and C evolved entirely inside M's dream (temperature tau) and then
evaluated on real tracks. The
outcome of CMA-ES is chaotic (a last-bit difference in one matrix product
changes which candidates are selected), so the headline is a mean over
n_seeds training seeds, each with its own V, M and C, all scored on the same
n_eval unseen tracks; the verdict is on the paper's conclusion, the gain of
V + M over V only in points (= 1000 x lap fraction on both tracks).

Everything is scaled down to fit the catalog's 5-minute budget on a 2-core
CPU: 32x32 grey frames instead of 64x64x3, z in R^16 instead of R^32, a 32-unit
LSTM instead of 256, 120 random rollouts of 200 frames instead of 10,000 of
1000, 30 CMA-ES generations of population 16 on 6 tracks instead of population
64 on 16 tracks for ~1800 generations. README.md, "Deviations from the original",
lists every change and why.

    python3 world-models-carracing/world_models_carracing.py --seed 10000 --n-seeds 5 --results world-models-carracing/results.json
    python3 world-models-carracing/world_models_carracing.py --quick
"""
from __future__ import annotations

import os

# One BLAS thread, set before numpy loads. With two threads OpenBLAS splits the
# small matrix products differently, the last bits change, and CMA-ES amplifies
# them: the same seed then gives different returns (measured: V+M moved by
# 0.67 relative). One thread keeps runs bit-identical; the products are small.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import ClassVar  # noqa: E402

import numpy as np  # noqa: E402

SLUG = "world-models-carracing"


# ----------------------------------------------------------------------------
# Config and the paper's numbers
# ----------------------------------------------------------------------------
@dataclass
class Config:
    seed: int = 10000                 # first seed; seeds seed .. seed+n_seeds-1 each train V, M, C
    n_seeds: int = 5                  # training seeds (each its own V, M, C; shared test tracks)
    quick: bool = False               # reduced run for tests and smoke runs (seconds)
    # --- environment (CarRacing-v0 analogue, in world units and frames) ---
    n_checkpoints: int = 12           # random control points of the closed track (as CarRacing)
    track_rad: float = 32.0           # outer radius of the control points
    track_rad_min: float = 0.33       # inner radius as a fraction of track_rad (CarRacing: 1/3)
    track_width: float = 8.0          # road width
    n_tiles: int = 80                 # tiles per lap; reward 1000/n_tiles each (CarRacing: ~300)
    playfield: float = 60.0           # |x|, |y| beyond this: -100 and episode ends (as CarRacing)
    map_cell: float = 0.5             # resolution of the rasterised road map
    max_frames: int = 200             # episode length (CarRacing-v0: 1000)
    frame_penalty: float = 0.1        # reward per frame is -0.1 (as paper)
    lap_reward: float = 1000.0        # total tile reward of a full lap (as paper)
    offmap_penalty: float = 100.0     # as CarRacing-v0
    accel: float = 0.12               # speed gained per frame at full gas (was 0.08; README "Problem")
    drag_road: float = 0.025          # fraction of speed lost per frame on road (top speed 4.8)
    drag_grass: float = 0.30          # ... on grass (top speed 0.4; was 0.10)
    brake_decel: float = 0.10         # speed lost per frame at full brake
    max_turn: float = 0.12            # heading change per frame at full steer (rad)
    v_turn: float = 0.5               # below this speed steering authority shrinks linearly
    grip_road: float = 0.10           # fraction of sideways velocity removed per frame on road
    grip_grass: float = 0.05          # ... on grass (the car slides more)
    traction: float = 1e9             # at most this much sideways speed removed per frame (tyre limit)
    obs_size: int = 32                # egocentric frame is obs_size^2 grey (paper 64x64x3)
    view_scale: float = 1.0           # world units per pixel
    car_row: int = 24                 # image row of the car (sees 24 units ahead, 8 behind)
    # --- random rollouts for V and M ---
    n_rollouts: int = 120             # random-policy episodes (paper 10,000)
    hold_mean: float = 8.0            # random actions are held for Geometric(1/hold_mean) frames
    # --- V: convolutional VAE ---
    z_dim: int = 16                   # N_z (paper 32)
    vae_c1: int = 16                  # channels of conv 1 (4x4 stride 4)
    vae_c2: int = 32                  # channels of conv 2 (2x2 stride 2)
    vae_steps: int = 1000             # Adam steps
    vae_batch: int = 64               # minibatch (paper 100)
    vae_lr: float = 2e-3              # Adam learning rate (paper 1e-4)
    kl_tolerance: float = 0.5         # KL floor per latent dim (paper 0.5)
    # --- M: MDN-RNN ---
    rnn_hidden: int = 32              # LSTM units (paper 256)
    n_mix: int = 5                    # Gaussians per latent dim (paper 5)
    seq_len: int = 32                 # truncated BPTT window, h reset to 0 (paper: whole episodes)
    m_epochs: int = 10                # passes over the rollout chunks
    m_batch: int = 32                 # chunks per Adam step (paper 100)
    m_lr: float = 3e-3                # Adam learning rate (paper 1e-3)
    grad_clip: float = 1.0            # global gradient-norm clip (paper 1.0)
    # --- C: linear controller by CMA-ES ---
    pop_size: int = 16                # CMA-ES lambda (paper 64; Hansen's default 15 / 18 here)
    n_tracks: int = 6                 # random tracks per candidate, mean return = fitness (paper 16)
    generations: int = 30             # CMA-ES generations for each real-env controller
    sigma0: float = 0.5               # initial CMA-ES step size, mean starts at 0
    sample_z: bool = True             # C reads a draw z ~ N(mu, sigma^2) of V's posterior (as paper)
    c_hidden: int = 40                # tanh units of the "V + hidden layer" controller (paper 40)
    dream_generations: int = 20       # CMA-ES generations inside M's dream
    dream_tau: float = 1.15           # temperature of dream rollouts (paper VizDoom: 1.15)
    n_eval: int = 100                 # unseen test tracks, shared by every seed and row (paper 100)
    # --- seeds and the verdict rule (fixed before the reporting run; README "Results") ---
    dev_seeds: tuple = (0, 10000)            # development block [first, end): every tuning choice
    report_seeds: tuple = (10000, 10100)     # reporting block [first, end): headline and rates only
    verdict_metric: str = "gain_full_over_v"  # mean over seeds of V+M minus V only (points)
    verdict_sense: str = "at_least"           # a larger gain of M is the paper's finding
    verdict_tol: float = 0.5                  # yes: gain >= half the paper's gain
    verdict_partial: float = 0.8              # partial: gain >= a fifth of the paper's gain
    PRESETS: ClassVar[dict] = {
        "quick": dict(n_seeds=2, n_rollouts=40, max_frames=150, vae_steps=200, m_epochs=4,
                      generations=10, dream_generations=3, pop_size=12, n_tracks=4, n_eval=24),
    }

    def __post_init__(self):
        for name in ("n_seeds", "n_checkpoints", "n_tiles", "max_frames", "obs_size", "n_rollouts",
                     "z_dim", "vae_c1", "vae_c2", "vae_steps", "vae_batch", "rnn_hidden",
                     "n_mix", "seq_len", "m_epochs", "m_batch", "pop_size", "n_tracks",
                     "generations", "dream_generations", "n_eval"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if self.seed < 0:
            raise ValueError(f"--seed must be >= 0, got {self.seed}")
        if self.obs_size % 8:
            raise ValueError(f"--obs-size must be a multiple of 8, got {self.obs_size}")
        if self.pop_size < 4:
            raise ValueError(f"--pop-size must be >= 4, got {self.pop_size}")
        for name in ("sigma0", "dream_tau", "vae_lr", "m_lr", "track_width", "track_rad"):
            if not getattr(self, name) > 0:
                raise ValueError(f"--{name.replace('_', '-')} must be > 0, got {getattr(self, name)}")


PAPER = {
    "citation": "Ha, D. & Schmidhuber, J. (2018). Recurrent World Models Facilitate Policy "
                "Evolution. NeurIPS 31 (arXiv:1803.10122).",
    "year": 2018,
    "metrics": {"return_v_only": 632, "return_v_only_std": 251, "return_v_hidden": 788,
                "return_v_hidden_std": 141, "return_full": 906, "return_full_std": 21,
                "gain_full_over_v": 906 - 632, "solved_threshold": 900},
    "runs": 1,
    "source": "Table 1 (CarRacing-v0, mean ± std of the score over 100 random trials of one "
              "trained agent per row); gain_full_over_v = 906 - 632 (V + M minus V only); "
              "solved = an average of 900 over 100 tracks",
}
EARLIER = {"metrics": {"return_full": 103.8, "return_random": 4.84},
           "note": "fixed single track, 16x16 patch, linear AE, deterministic LSTM, isotropic ES; "
                   "about 14 s (numbers from the issue)"}

# named random streams of one seed (seed_streams spawns them in this order; a name
# appended at the end leaves the earlier streams unchanged)
STREAMS = ("collect", "vae", "mdn", "cma_v", "cma_full", "cma_dream", "eval", "showcase",
           "bootstrap", "mdn_random", "cma_hidden", "cma_random", "zsample")
N_BOOT = 2000                                # resamples of the paired track bootstrap
# the rows of the ablation: C's name -> (its weights in a run, the M it reads, hidden layer?)
CONTROLLERS = {"v_only": ("theta_v", None, False), "hidden": ("theta_hidden", None, True),
               "random_m": ("theta_random", "mdn_random", False),
               "full": ("theta_full", "mdn", False), "dream": ("theta_dream", "mdn", False)}


# ----------------------------------------------------------------------------
# Environment: random closed tracks, momentum car, egocentric frames
# ----------------------------------------------------------------------------
DENSE_PER_TILE = 12         # centre-line samples per tile used to rasterise the road
ROAD, GRASS, CAR = 0.35, 0.75, 0.0   # grey levels of the frame


def make_tracks(cfg: Config, rng, n: int) -> dict:
    """n random closed tracks: tile centres (n, N, 2), start heading, road map.

    Control points at jittered angles and random radii (as CarRacing) are joined
    by a closed Catmull-Rom spline and resampled at equal arc length; the road
    (a band of track_width around the centre line) is rasterised into a boolean
    map (n, G, G). A car on the road touches the tile whose centre is nearest.
    """
    K, N = cfg.n_checkpoints, cfg.n_tiles
    ang = 2 * np.pi * (np.arange(K) + rng.uniform(-0.35, 0.35, (n, K))) / K
    rad = cfg.track_rad * rng.uniform(cfg.track_rad_min, 1.0, (n, K))
    P = np.stack([rad * np.cos(ang), rad * np.sin(ang)], -1)            # (n, K, 2)
    P0, P1, P2, P3 = (np.roll(P, s, axis=1) for s in (1, 0, -1, -2))
    s = np.linspace(0, 1, 24, endpoint=False)[None, None, :, None]
    P0, P1, P2, P3 = (q[:, :, None, :] for q in (P0, P1, P2, P3))
    curve = 0.5 * (2 * P1 + (P2 - P0) * s + (2 * P0 - 5 * P1 + 4 * P2 - P3) * s ** 2
                   + (3 * P1 - P0 - 3 * P2 + P3) * s ** 3).reshape(n, -1, 2)
    closed = np.concatenate([curve, curve[:, :1]], 1)
    seg = np.linalg.norm(np.diff(closed, axis=1), axis=-1)
    arc = np.concatenate([np.zeros((n, 1)), np.cumsum(seg, 1)], 1)        # (n, M+1)
    D = N * DENSE_PER_TILE
    dense = np.empty((n, D, 2))
    for b in range(n):                                                  # equal-arc resampling
        t = np.linspace(0, arc[b, -1], D, endpoint=False)
        dense[b, :, 0] = np.interp(t, arc[b], closed[b, :, 0])
        dense[b, :, 1] = np.interp(t, arc[b], closed[b, :, 1])
    centres = dense[:, DENSE_PER_TILE // 2::DENSE_PER_TILE]               # (n, N, 2)
    tang = np.roll(dense, -1, axis=1) - dense
    tang /= np.linalg.norm(tang, axis=-1, keepdims=True)
    heading0 = np.arctan2(tang[:, 0, 1], tang[:, 0, 0])
    # rasterise the road: cross-sections of width track_width at every dense sample
    G = int(round(2 * cfg.playfield / cfg.map_cell))
    normal = np.stack([-tang[..., 1], tang[..., 0]], -1)                  # (n, D, 2)
    across = np.arange(-cfg.track_width / 2, cfg.track_width / 2 + 1e-9, cfg.map_cell / 2)
    pts = dense[:, :, None, :] + across[None, None, :, None] * normal[:, :, None, :]
    ij = np.clip(((pts + cfg.playfield) / cfg.map_cell).astype(np.int64), 1, G - 2)
    road = np.zeros((n, G, G), bool)      # border cells stay grass
    bi = np.broadcast_to(np.arange(n)[:, None, None], ij.shape[:3])
    road[bi, ij[..., 1], ij[..., 0]] = True
    return dict(centres=centres, heading0=heading0, road=road, dense=dense, checkpoints=P)


class Race:
    """A batch of B independent episodes, stepped together (vectorised).

    State per episode: position (x, y), heading theta, world-frame velocity,
    visited tiles. Episode b drives on track `track_id[b]` of `tracks`.
    """

    def __init__(self, cfg: Config, tracks: dict, track_id: np.ndarray):
        self.cfg, self.tracks = cfg, tracks
        self.tid = np.asarray(track_id)
        B = len(self.tid)
        self.pos = tracks["centres"][self.tid, 0].copy()                # (B, 2)
        self.theta = tracks["heading0"][self.tid].copy()                # (B,)
        self.vel = np.zeros((B, 2))
        self.visited = np.zeros((B, cfg.n_tiles), bool)
        self.done = np.zeros(B, bool)
        self.ret = np.zeros(B)
        self.frames = 0
        # pixel offsets in the car frame: u ahead, v to the right (obs_size^2,)
        S = cfg.obs_size
        rows, cols = np.mgrid[0:S, 0:S]
        self.u = ((cfg.car_row - rows) * cfg.view_scale).ravel().astype(np.float32)
        self.v = ((cols - (S - 1) / 2) * cfg.view_scale).ravel().astype(np.float32)
        car = (abs(rows - cfg.car_row) <= 1) & (abs(cols - (S - 1) / 2) <= 1)
        self.car_px = car.ravel()

    def on_road(self, x: np.ndarray, y: np.ndarray, tid: np.ndarray) -> np.ndarray:
        """Is world point (x, y) on the road of track tid? (map lookup, any shape)."""
        cfg, G = self.cfg, self.tracks["road"].shape[1]
        ix = ((x + cfg.playfield) / cfg.map_cell).astype(np.int32)
        iy = ((y + cfg.playfield) / cfg.map_cell).astype(np.int32)
        np.clip(ix, 0, G - 1, out=ix)                     # the map's border is grass
        np.clip(iy, 0, G - 1, out=iy)
        return np.take(self.tracks["road"].reshape(-1), (tid * G + iy) * G + ix)

    def nearest_tile(self) -> np.ndarray:
        """Index of the tile centre nearest to each car (B,)."""
        d = self.tracks["centres"][self.tid] - self.pos[:, None, :]    # (B, N, 2)
        return np.argmin((d ** 2).sum(-1), axis=1)

    def render(self) -> np.ndarray:
        """Egocentric grey frames (B, S, S) float32: road, grass, the car."""
        c = np.cos(self.theta)[:, None].astype(np.float32)
        s = np.sin(self.theta)[:, None].astype(np.float32)
        p = self.pos.astype(np.float32)
        # world = pos + u * forward + v * right,  forward = (c, s), right = (s, -c)
        wx = p[:, :1] + self.u * c + self.v * s
        wy = p[:, 1:] + self.u * s - self.v * c
        img = np.where(self.on_road(wx, wy, self.tid[:, None]), ROAD, GRASS).astype(np.float32)
        img[:, self.car_px] = CAR
        S = self.cfg.obs_size
        return img.reshape(-1, S, S)

    def step(self, action: np.ndarray) -> np.ndarray:
        """Advance every running episode one frame; returns the reward (B,)."""
        cfg = self.cfg
        steer = np.clip(action[:, 0], -1, 1)
        gas = np.clip(action[:, 1], 0, 1)
        brake = np.clip(action[:, 2], 0, 1)
        on_road = self.on_road(self.pos[:, 0], self.pos[:, 1], self.tid)
        drag = np.where(on_road, cfg.drag_road, cfg.drag_grass)
        grip = np.where(on_road, cfg.grip_road, cfg.grip_grass)
        speed = np.linalg.norm(self.vel, axis=1)
        # steering authority grows with speed up to v_turn
        self.theta = self.theta + cfg.max_turn * steer * np.minimum(speed / cfg.v_turn, 1.0)
        fwd = np.stack([np.cos(self.theta), np.sin(self.theta)], 1)
        left = np.stack([-fwd[:, 1], fwd[:, 0]], 1)
        # momentum: the world-frame velocity is split along the new heading
        v_long = (self.vel * fwd).sum(1)
        v_lat = (self.vel * left).sum(1)
        v_long = v_long + cfg.accel * gas - drag * v_long
        v_long = np.maximum(v_long - cfg.brake_decel * brake, 0.0)
        v_lat = v_lat - np.sign(v_lat) * np.minimum(np.abs(v_lat) * grip, cfg.traction)
        run = ~self.done
        self.vel = np.where(run[:, None], v_long[:, None] * fwd + v_lat[:, None] * left, 0.0)
        self.pos = self.pos + self.vel
        # reward: +1000/N per new tile, -0.1 per frame, -100 off the playfield
        tile = self.nearest_tile()
        b = np.nonzero(run & self.on_road(self.pos[:, 0], self.pos[:, 1], self.tid))[0]
        new = np.zeros(len(run), bool)
        new[b] = ~self.visited[b, tile[b]]
        self.visited[b, tile[b]] = True
        r = new * (cfg.lap_reward / cfg.n_tiles) - cfg.frame_penalty
        off = (np.abs(self.pos) > cfg.playfield).any(1)
        r = r - cfg.offmap_penalty * off
        r = np.where(run, r, 0.0)
        self.frames += 1
        self.ret += r
        self.done = self.done | off | self.visited.all(1) | (self.frames >= cfg.max_frames)
        self.new_tile = new & run
        return r


class RandomPolicy:
    """Random actions held for a geometric number of frames (data collection)."""

    def __init__(self, cfg: Config, rng, B: int):
        self.rng, self.p = rng, 1.0 / cfg.hold_mean
        self.a = self.sample(B)

    def sample(self, B):
        # steer ~ U(-1, 1); gas ~ max(0, U(-0.5, 1)) so that a third of the segments
        # coast or stand still; brake ~ U(0, 1) in a fifth of the segments
        a = np.stack([self.rng.uniform(-1, 1, B), np.maximum(self.rng.uniform(-0.5, 1, B), 0),
                      self.rng.uniform(0, 1, B) * (self.rng.random(B) < 0.2)], 1)
        return a

    def __call__(self):
        change = self.rng.random(len(self.a)) < self.p
        self.a = np.where(change[:, None], self.sample(len(self.a)), self.a)
        return self.a


def collect(cfg: Config, rng) -> dict:
    """Random-policy rollouts: frames (E, T, S, S) uint8, actions, new-tile flags, mask."""
    E, T, S = cfg.n_rollouts, cfg.max_frames, cfg.obs_size
    tracks = make_tracks(cfg, rng, E)
    env = Race(cfg, tracks, np.arange(E))
    pol = RandomPolicy(cfg, rng, E)
    frames = np.zeros((E, T, S, S), np.uint8)
    acts = np.zeros((E, T, 3), np.float32)
    tiles = np.zeros((E, T), np.float32)
    mask = np.zeros((E, T), bool)
    for t in range(T):
        frames[:, t] = np.round(env.render() * 255).astype(np.uint8)
        mask[:, t] = ~env.done
        a = pol()
        acts[:, t] = a
        env.step(a)
        tiles[:, t] = env.new_tile
        if env.done.all():
            break
    return dict(frames=frames, actions=acts, tiles=tiles, mask=mask, returns=env.ret.copy())


# ----------------------------------------------------------------------------
# V: convolutional VAE (patch convolutions, hand-written backward)
# ----------------------------------------------------------------------------
def to_patches(x, k):
    """(B, H, W, C) -> (B, H/k, W/k, k*k*C): the input of a k x k, stride k conv."""
    B, H, W, C = x.shape
    return (x.reshape(B, H // k, k, W // k, k, C).transpose(0, 1, 3, 2, 4, 5)
            .reshape(B, H // k, W // k, k * k * C))


def from_patches(p, k, C):
    """Inverse of to_patches: (B, h, w, k*k*C) -> (B, h*k, w*k, C)."""
    B, h, w, _ = p.shape
    return (p.reshape(B, h, w, k, k, C).transpose(0, 1, 3, 2, 4, 5)
            .reshape(B, h * k, w * k, C))


def vae_init(S, c1, c2, Z, rng, dtype=np.float32) -> dict:
    """V's weights for S x S frames, c1 and c2 conv channels, z in R^Z (He-normal init)."""
    F = (S // 8) ** 2 * c2                     # flattened conv-2 features

    def w(i, o):
        return (rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(dtype)

    return dict(W1=w(16, c1), b1=np.zeros(c1, dtype), W2=w(4 * c1, c2), b2=np.zeros(c2, dtype),
                Wmu=w(F, Z) * 0.1, bmu=np.zeros(Z, dtype), Wlv=w(F, Z) * 0.1, blv=np.zeros(Z, dtype),
                Wd=w(Z, F), bd=np.zeros(F, dtype), Wd2=w(c2, 4 * c1), bd2=np.zeros(4 * c1, dtype),
                Wd1=w(c1, 16), bd1=np.zeros(16, dtype))


def vae_encode(p, x):
    """x (B, S, S) -> mu, log_var (B, Z) and the cache for backward."""
    B = x.shape[0]
    P1 = to_patches(x[..., None], 4)                        # (B, S/4, S/4, 16)
    h1 = np.maximum(P1 @ p["W1"] + p["b1"], 0)              # conv 4x4/4 + ReLU
    P2 = to_patches(h1, 2)                                  # (B, S/8, S/8, 4*c1)
    h2 = np.maximum(P2 @ p["W2"] + p["b2"], 0)              # conv 2x2/2 + ReLU
    f = h2.reshape(B, -1)                                   # (B, F)
    mu = f @ p["Wmu"] + p["bmu"]
    lv = f @ p["Wlv"] + p["blv"]
    return mu, lv, (P1, h1, P2, h2, f)


def vae_decode(p, z, S):
    """z (B, Z) -> reconstruction (B, S, S) in (0, 1) and the cache."""
    B, c2 = z.shape[0], p["Wd2"].shape[0]
    c1 = p["Wd1"].shape[0]
    g = np.maximum(z @ p["Wd"] + p["bd"], 0)                # (B, F)
    G = g.reshape(B, S // 8, S // 8, c2)
    d2 = np.maximum(G @ p["Wd2"] + p["bd2"], 0)             # deconv 2x2/2 + ReLU
    D2 = from_patches(d2, 2, c1)                            # (B, S/4, S/4, c1)
    o = D2 @ p["Wd1"] + p["bd1"]                            # deconv 4x4/4
    xh = 1 / (1 + np.exp(-from_patches(o, 4, 1)[..., 0]))   # (B, S, S)
    return xh, (g, G, d2, D2)


def vae_loss(p, x, eps, kl_floor):
    """Loss (1) averaged over the batch, its gradients, and (recon, kl) means."""
    B, S = x.shape[0], x.shape[1]
    mu, lv, (P1, h1, P2, h2, f) = vae_encode(p, x)
    std = np.exp(0.5 * lv)
    z = mu + std * eps                                      # reparameterisation
    xh, (g, G, d2, D2) = vae_decode(p, z, S)
    rec = ((x - xh) ** 2).sum((1, 2))
    kl = -0.5 * (1 + lv - mu ** 2 - np.exp(lv)).sum(1)
    active = kl > kl_floor                                  # max(KL, floor): no grad below
    loss = (rec + np.where(active, kl, kl_floor)).mean()
    # ---- backward ----
    gr = {}
    dxh = -2 * (x - xh) / B
    do = to_patches((dxh * xh * (1 - xh))[..., None], 4)   # (B, S/4, S/4, 16)
    gr["Wd1"] = np.tensordot(D2, do, axes=([0, 1, 2], [0, 1, 2]))
    gr["bd1"] = do.sum((0, 1, 2))
    dD2 = do @ p["Wd1"].T
    dd2 = to_patches(dD2, 2) * (d2 > 0)
    gr["Wd2"] = np.tensordot(G, dd2, axes=([0, 1, 2], [0, 1, 2]))
    gr["bd2"] = dd2.sum((0, 1, 2))
    dg = (dd2 @ p["Wd2"].T).reshape(B, -1) * (g > 0)
    gr["Wd"] = z.T @ dg
    gr["bd"] = dg.sum(0)
    dz = dg @ p["Wd"].T
    w = active[:, None] / B
    dmu = dz + w * mu
    dlv = dz * eps * 0.5 * std + w * 0.5 * (np.exp(lv) - 1)
    gr["Wmu"], gr["bmu"] = f.T @ dmu, dmu.sum(0)
    gr["Wlv"], gr["blv"] = f.T @ dlv, dlv.sum(0)
    df = dmu @ p["Wmu"].T + dlv @ p["Wlv"].T
    dh2 = df.reshape(h2.shape) * (h2 > 0)
    gr["W2"] = np.tensordot(P2, dh2, axes=([0, 1, 2], [0, 1, 2]))
    gr["b2"] = dh2.sum((0, 1, 2))
    dh1 = from_patches(dh2 @ p["W2"].T, 2, h1.shape[-1]) * (h1 > 0)
    gr["W1"] = np.tensordot(P1, dh1, axes=([0, 1, 2], [0, 1, 2]))
    gr["b1"] = dh1.sum((0, 1, 2))
    return loss, gr, (rec.mean(), kl.mean())


# ----------------------------------------------------------------------------
# M: MDN-RNN (LSTM + mixture density head, hand-written BPTT)
# ----------------------------------------------------------------------------
def mdn_init(Z, H, K, rng, dtype=np.float32) -> dict:
    """M's weights: LSTM on [z (Z), a (3)] with H units; head of K Gaussians per dim + tile."""
    I = Z + 3
    b = np.zeros(4 * H, dtype)
    b[H:2 * H] = 1.0                                       # forget-gate bias 1
    return dict(Wx=(rng.standard_normal((I, 4 * H)) / np.sqrt(I)).astype(dtype),
                Wh=(rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(dtype), b=b,
                Wy=(rng.standard_normal((H, 3 * Z * K + 1)) * 0.1 / np.sqrt(H)).astype(dtype),
                by=np.zeros(3 * Z * K + 1, dtype))


def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def lstm_step(p, x, h, c):
    """Equation (2): one LSTM step. x (B, I), h and c (B, H)."""
    H = h.shape[1]
    a = x @ p["Wx"] + h @ p["Wh"] + p["b"]                  # (B, 4H)
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    c2 = f * c + i * g
    tc = np.tanh(c2)
    return o * tc, c2, (x, h, c, i, f, o, g, tc)


def mdn_split(y, Z, K):
    """Head output (B, 3ZK+1) -> log pi (B, Z, K), mu, log sigma, tile logit (B,)."""
    B = y.shape[0]
    lg = y[:, :Z * K].reshape(B, Z, K)
    logpi = lg - lg.max(-1, keepdims=True)
    logpi = logpi - np.log(np.exp(logpi).sum(-1, keepdims=True))
    mu = y[:, Z * K:2 * Z * K].reshape(B, Z, K)
    ls = y[:, 2 * Z * K:3 * Z * K].reshape(B, Z, K)
    return logpi, mu, ls, y[:, -1]


def mdn_loss(p, zs, acts, tiles, mask, K):
    """Loss (3) over sequences: zs (B, L+1, Z), acts (B, L, 3), tiles and mask (B, L).

    Returns the mean per-step loss (z NLL per dim + tile BCE), gradients, parts.
    """
    B, L = acts.shape[:2]
    Z, H = zs.shape[2], p["Wh"].shape[0]
    h = np.zeros((B, H), zs.dtype)
    c = np.zeros((B, H), zs.dtype)
    n = max(mask.sum(), 1)
    caches, dys, hs = [], [], []
    nll_z = bce = 0.0
    for t in range(L):
        x = np.concatenate([zs[:, t], acts[:, t]], 1)
        h, c, cache = lstm_step(p, x, h, c)
        y = h @ p["Wy"] + p["by"]
        logpi, mu, ls, tl = mdn_split(y, Z, K)
        zt = zs[:, t + 1, :, None]
        # log N(z; mu, sigma^2) per component
        lnN = -0.5 * ((zt - mu) * np.exp(-ls)) ** 2 - ls - 0.5 * np.log(2 * np.pi)
        lj = logpi + lnN
        mx = lj.max(-1, keepdims=True)
        lse = mx[..., 0] + np.log(np.exp(lj - mx).sum(-1))  # (B, Z)
        gam = np.exp(lj - lse[..., None])                  # responsibilities (B, Z, K)
        m = mask[:, t].astype(zs.dtype)
        nll_z += -(lse.sum(1) * m).sum()
        pt = sigmoid(tl)
        bce += -((tiles[:, t] * np.log(pt + 1e-12) + (1 - tiles[:, t]) * np.log(1 - pt + 1e-12)) * m).sum()
        # d(loss)/d(head) with loss = (sum_t nll_z / Z + bce) / n
        w = (m / (n * Z))[:, None, None]
        sig2 = np.exp(-2 * ls)
        d_lg = w * (np.exp(logpi) - gam)
        d_mu = -w * gam * (zt - mu) * sig2
        d_ls = -w * gam * ((zt - mu) ** 2 * sig2 - 1)
        d_tl = (m / n) * (pt - tiles[:, t])
        dys.append(np.concatenate([d_lg.reshape(B, -1), d_mu.reshape(B, -1),
                                   d_ls.reshape(B, -1), d_tl[:, None]], 1))
        caches.append(cache)
        hs.append(h)
    loss = (nll_z / Z + bce) / n
    # ---- backward through time ----
    gr = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next = np.zeros((B, H), zs.dtype)
    dc_next = np.zeros((B, H), zs.dtype)
    for t in reversed(range(L)):
        x, hp, cp, i, f, o, g, tc = caches[t]
        dy = dys[t]
        gr["Wy"] += hs[t].T @ dy
        gr["by"] += dy.sum(0)
        dh = dy @ p["Wy"].T + dh_next
        dc = dc_next + dh * o * (1 - tc ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * cp * f * (1 - f),
                             dh * tc * o * (1 - o), dc * i * (1 - g ** 2)], 1)
        gr["Wx"] += x.T @ da
        gr["Wh"] += hp.T @ da
        gr["b"] += da.sum(0)
        dh_next = da @ p["Wh"].T
        dc_next = dc * f
    return loss, gr, (nll_z / (n * Z), bce / n)


def mdn_sample(logpi, mu, ls, tau, rng):
    """Sample z (B, Z) from the mixture at temperature tau."""
    lg = logpi / tau
    pi = np.exp(lg - lg.max(-1, keepdims=True))
    pi /= pi.sum(-1, keepdims=True)
    u = rng.random(pi.shape[:2] + (1,))
    k = np.minimum((pi.cumsum(-1) < u).sum(-1), pi.shape[-1] - 1)  # (B, Z)
    m = np.take_along_axis(mu, k[..., None], -1)[..., 0]
    s = np.exp(np.take_along_axis(ls, k[..., None], -1)[..., 0]) * np.sqrt(tau)
    return m + s * rng.standard_normal(m.shape)


# ----------------------------------------------------------------------------
# Optimisers: Adam (for V and M) and CMA-ES (for C)
# ----------------------------------------------------------------------------
class Adam:
    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads, clip=None):
        if clip is not None:
            norm = np.sqrt(sum(float((g ** 2).sum()) for g in grads.values()))
            if norm > clip:
                grads = {k: g * (clip / norm) for k, g in grads.items()}
        self.t += 1
        for k in params:
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * grads[k]
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * grads[k] ** 2
            mh = self.m[k] / (1 - self.b1 ** self.t)
            vh = self.v[k] / (1 - self.b2 ** self.t)
            params[k] -= (self.lr * mh / (np.sqrt(vh) + self.eps)).astype(params[k].dtype)


class CMAES:
    """Full CMA-ES (rank-one + rank-mu update, CSA) with Hansen's defaults. Minimises."""

    def __init__(self, x0, sigma0, rng, popsize=None):
        n = len(x0)
        self.n, self.rng = n, rng
        self.lam = popsize or 4 + int(3 * np.log(n))
        self.mu = self.lam // 2
        w = np.log((self.lam + 1) / 2) - np.log(np.arange(1, self.mu + 1))
        self.w = w / w.sum()
        self.mueff = 1 / (self.w ** 2).sum()
        self.cc = (4 + self.mueff / n) / (n + 4 + 2 * self.mueff / n)
        self.cs = (self.mueff + 2) / (n + self.mueff + 5)
        self.c1 = 2 / ((n + 1.3) ** 2 + self.mueff)
        self.cmu = min(1 - self.c1, 2 * (self.mueff - 2 + 1 / self.mueff) / ((n + 2) ** 2 + self.mueff))
        self.ds = 1 + 2 * max(0, np.sqrt((self.mueff - 1) / (n + 1)) - 1) + self.cs
        self.chin = np.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n ** 2))
        self.m = np.array(x0, float)
        self.sigma = float(sigma0)
        self.pc, self.ps = np.zeros(n), np.zeros(n)
        self.C, self.B, self.D = np.eye(n), np.eye(n), np.ones(n)
        self.g = 0

    def ask(self) -> np.ndarray:
        """lambda candidates x_i = m + sigma B D N(0, I), shape (lam, n)."""
        Y = self.rng.standard_normal((self.lam, self.n)) * self.D @ self.B.T
        return self.m + self.sigma * Y

    def tell(self, X, f) -> None:
        n, cs, cc, c1, cmu = self.n, self.cs, self.cc, self.c1, self.cmu
        idx = np.argsort(f, kind="stable")[:self.mu]
        Y = (X[idx] - self.m) / self.sigma                  # (mu, n) selected steps
        yw = self.w @ Y
        self.m = self.m + self.sigma * yw                    # c_m = 1
        invsqrtC_yw = self.B @ ((self.B.T @ yw) / self.D)
        self.ps = (1 - cs) * self.ps + np.sqrt(cs * (2 - cs) * self.mueff) * invsqrtC_yw
        self.g += 1
        hs = (np.linalg.norm(self.ps) / np.sqrt(1 - (1 - cs) ** (2 * self.g))
              < (1.4 + 2 / (n + 1)) * self.chin)
        self.pc = (1 - cc) * self.pc + hs * np.sqrt(cc * (2 - cc) * self.mueff) * yw
        rank_mu = (Y.T * self.w) @ Y
        self.C = ((1 - c1 - cmu) * self.C
                  + c1 * (np.outer(self.pc, self.pc) + (1 - hs) * cc * (2 - cc) * self.C)
                  + cmu * rank_mu)
        self.sigma *= np.exp((cs / self.ds) * (np.linalg.norm(self.ps) / self.chin - 1))
        self.C = (self.C + self.C.T) / 2
        ev, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(ev, 1e-20))


# ----------------------------------------------------------------------------
# C: linear controller, rollouts in the real environment and in M's dream
# ----------------------------------------------------------------------------
def act(theta, feat, n_feat):
    """Equation (4) for a batch: theta (B, 3*(F+1)), feat (B, F) -> actions (B, 3)."""
    W = theta[:, :3 * n_feat].reshape(-1, 3, n_feat)
    a = np.einsum("baf,bf->ba", W, feat) + theta[:, 3 * n_feat:]
    return np.stack([np.tanh(a[:, 0]), (np.tanh(a[:, 1]) + 1) / 2,
                     np.clip(np.tanh(a[:, 2]), 0, 1)], 1)


def act_hidden(theta, z, n_hidden):
    """The paper's "V + hidden layer" controller: a_t = C(tanh(W_1 z_t + b_1)), C as in (4).
    theta (B, n_hidden * (Z + 1) + 3 * (n_hidden + 1)), z (B, Z) -> actions (B, 3)."""
    B, Z = z.shape
    W1 = theta[:, :n_hidden * Z].reshape(B, n_hidden, Z)
    hid = np.tanh(np.einsum("bhz,bz->bh", W1, z) + theta[:, n_hidden * Z:n_hidden * (Z + 1)])
    return act(theta[:, n_hidden * (Z + 1):], hid, n_hidden)


def n_params(cfg: Config, kind: str) -> int:
    """Number of controller weights: "v" (C on z), "full" (C on [z, h]), "hidden"."""
    if kind == "hidden":
        return cfg.c_hidden * (cfg.z_dim + 1) + 3 * (cfg.c_hidden + 1)
    return 3 * (cfg.z_dim + (cfg.rnn_hidden if kind == "full" else 0) + 1)


def rollout(cfg: Config, thetas, tracks, track_id, vae, mdn, record=False, rng=None, hidden=False):
    """Real-environment episodes of controllers (one theta row per episode).

    mdn=None: C sees z only ("V only"; through a tanh hidden layer if hidden); otherwise
    C sees [z, h]. z is a draw from V's posterior (cfg.sample_z, noise from rng) or its mean.
    Returns the returns (B,) and, if record, per-frame positions, frames and z.
    """
    env = Race(cfg, tracks, track_id)
    B, H = len(track_id), cfg.rnn_hidden
    n_feat = cfg.z_dim + (H if mdn is not None else 0)
    h = np.zeros((B, H), np.float32)
    c = np.zeros((B, H), np.float32)
    rec = dict(pos=[], theta=[], frames=[], z=[], h=[], actions=[])
    for _ in range(cfg.max_frames):
        x = env.render()
        z, lv, _ = vae_encode(vae, x)
        if cfg.sample_z and rng is not None:                 # z = mu + sigma * eps
            z = z + np.exp(0.5 * lv) * rng.standard_normal(z.shape).astype(np.float32)
        feat = np.concatenate([z, h], 1) if mdn is not None else z
        a = act_hidden(thetas, z, cfg.c_hidden) if hidden else act(thetas, feat, n_feat)
        if record:
            for k, v in (("pos", env.pos), ("theta", env.theta), ("frames", x), ("z", z),
                         ("h", h), ("actions", a)):
                rec[k].append(np.array(v, copy=True))
        if mdn is not None:
            h, c, _ = lstm_step(mdn, np.concatenate([z, a.astype(np.float32)], 1), h, c)
        env.step(a)
        if env.done.all():
            break
    if record:
        rec = {k: np.stack(v, 1) for k, v in rec.items()}
        rec["visited"] = env.visited
        return env.ret, rec
    return env.ret


def dream_rollout(thetas, z0, mdn, rng, tau, T, tile_reward, frame_penalty):
    """Episodes entirely inside M: z_{t+1} ~ MDN(h_{t+1}) at temperature tau,
    reward = tile_reward * P(new tile) - frame_penalty per frame, fixed length T."""
    B, H, Z = len(thetas), mdn["Wh"].shape[0], z0.shape[1]
    K = (mdn["Wy"].shape[1] - 1) // (3 * Z)
    z = z0.astype(np.float32)
    h = np.zeros((B, H), np.float32)
    c = np.zeros((B, H), np.float32)
    ret = np.zeros(B)
    for _ in range(T):
        a = act(thetas, np.concatenate([z, h], 1), Z + H)
        h, c, _ = lstm_step(mdn, np.concatenate([z, a.astype(np.float32)], 1), h, c)
        logpi, mu, ls, tl = mdn_split(h @ mdn["Wy"] + mdn["by"], Z, K)
        ret += tile_reward * sigmoid(tl) - frame_penalty
        z = mdn_sample(logpi, mu, ls, tau, rng).astype(np.float32)
    return ret


def evolve(rng, n_theta, fitness_fn, gens, sigma0, pop_size, tick, tag):
    """CMA-ES on n_theta controller weights; fitness_fn(thetas, rng) -> mean returns (lam,)."""
    es = CMAES(np.zeros(n_theta), sigma0, rng, pop_size)
    hist = dict(best=[], mean=[], sigma=[])
    for g in range(gens):
        X = es.ask()
        f = fitness_fn(X, rng)
        es.tell(X, -f)
        hist["best"].append(float(f.max()))
        hist["mean"].append(float(f.mean()))
        hist["sigma"].append(float(es.sigma))
        tick({f"C[{tag}] gen": g + 1, "best": float(f.max()), "mean": float(f.mean()),
              "sigma": float(es.sigma)})
    # the controller returned is CMA-ES's final mean (the distribution's centre)
    return es.m.copy(), hist


def real_fitness(cfg: Config, vae, mdn, hidden=False):
    """Fitness of lam candidates = mean return on n_tracks fresh random tracks."""
    def f(X, rng):
        R = cfg.n_tracks
        tracks = make_tracks(cfg, rng, R)
        thetas = np.repeat(X, R, axis=0)
        ret = rollout(cfg, thetas, tracks, np.tile(np.arange(R), len(X)), vae, mdn, rng=rng,
                      hidden=hidden)
        return ret.reshape(len(X), R).mean(1)
    return f


# ----------------------------------------------------------------------------
# Training pipeline and evaluation
# ----------------------------------------------------------------------------
def train_vae(cfg: Config, frames, rng, tick):
    """Adam on loss (1) over minibatches of random-rollout frames."""
    vae = vae_init(cfg.obs_size, cfg.vae_c1, cfg.vae_c2, cfg.z_dim, rng)
    opt = Adam(vae, cfg.vae_lr)
    hist = dict(loss=[], rec=[], kl=[])
    kl_floor = cfg.kl_tolerance * cfg.z_dim
    for s in range(cfg.vae_steps):
        x = frames[rng.integers(0, len(frames), cfg.vae_batch)].astype(np.float32) / 255
        eps = rng.standard_normal((cfg.vae_batch, cfg.z_dim)).astype(np.float32)
        loss, gr, (rec, kl) = vae_loss(vae, x, eps, kl_floor)
        opt.step(vae, gr)
        hist["loss"].append(float(loss))
        hist["rec"].append(float(rec))
        hist["kl"].append(float(kl))
        tick({"V step": s + 1, "recon": float(rec), "KL": float(kl)})
    return vae, hist


def encode_rollouts(vae, data, rng):
    """mu and log_var of every collected frame, shape (E, T, Z)."""
    E, T, S = data["frames"].shape[:3]
    x = data["frames"].reshape(E * T, S, S).astype(np.float32) / 255
    mus, lvs = [], []
    for i in range(0, len(x), 4096):
        mu, lv, _ = vae_encode(vae, x[i:i + 4096])
        mus.append(mu)
        lvs.append(lv)
    return np.concatenate(mus).reshape(E, T, -1), np.concatenate(lvs).reshape(E, T, -1)


def train_mdn(cfg: Config, mu, lv, data, rng, tick):
    """Adam on loss (3) over seq_len chunks; z resampled from (mu, log_var) each epoch."""
    mdn = mdn_init(cfg.z_dim, cfg.rnn_hidden, cfg.n_mix, rng)
    opt = Adam(mdn, cfg.m_lr)
    E, T, Z = mu.shape
    L = cfg.seq_len
    starts = np.arange(0, T - 1, L)
    chunks = [(e, s) for e in range(E) for s in starts if data["mask"][e, s]]
    hist = dict(loss=[], nll=[], bce=[])
    for ep in range(cfg.m_epochs):
        z = (mu + np.exp(0.5 * lv) * rng.standard_normal(mu.shape)).astype(np.float32)
        z = np.concatenate([z, z[:, -1:]], 1)               # (E, T+1, Z): pad for the target
        order = rng.permutation(len(chunks))
        for i in range(0, len(order), cfg.m_batch):
            sel = [chunks[j] for j in order[i:i + cfg.m_batch]]
            e = np.array([c[0] for c in sel])
            s = np.array([c[1] for c in sel])
            tt = np.minimum(s[:, None] + np.arange(L), T - 1)
            valid = (s[:, None] + np.arange(L) < T - 1) & data["mask"][e[:, None], tt]
            valid &= data["mask"][e[:, None], np.minimum(tt + 1, T - 1)]
            zs = z[e[:, None], np.minimum(s[:, None] + np.arange(L + 1), T)]
            loss, gr, (nll, bce) = mdn_loss(mdn, zs, data["actions"][e[:, None], tt],
                                            data["tiles"][e[:, None], tt], valid, cfg.n_mix)
            opt.step(mdn, gr, cfg.grad_clip)
            hist["loss"].append(float(loss))
            hist["nll"].append(float(nll))
            hist["bce"].append(float(bce))
        tick({"M epoch": ep + 1, "NLL/dim": hist["nll"][-1], "tile BCE": hist["bce"][-1]})
    return mdn, hist


def dream_fitness(cfg: Config, z0, mdn):
    """Fitness inside M's dream: n_tracks dreams per candidate, each from a real first z."""
    def f(X, rng):
        R = cfg.n_tracks
        thetas = np.repeat(X, R, axis=0)
        starts = z0[rng.integers(0, len(z0), len(thetas))]
        return dream_rollout(thetas, starts, mdn, rng, cfg.dream_tau, cfg.max_frames,
                             cfg.lap_reward / cfg.n_tiles, cfg.frame_penalty).reshape(len(X), R).mean(1)
    return f


def showcase_episode(run, cfg: Config, which="full", n=1):
    """Record one seed's controller (a name of CONTROLLERS) on n fresh tracks that neither
    training nor the evaluation used (the figures' and the GIF's episode)."""
    rng = seed_streams(cfg.seed, STREAMS)["showcase"]
    tracks = make_tracks(cfg, rng, n)
    key, m, hidden = CONTROLLERS[which]
    ret, rec = rollout(cfg, np.repeat(run[key][None], n, 0), tracks, np.arange(n), run["vae"],
                       run[m] if m else None, record=True, rng=rng, hidden=hidden)
    return tracks, ret, rec


def training_summary(hist, last=20) -> dict:
    """How well V and M fit (means over the last steps), and the tile-BCE of the
    base rate (what M's reward head scores if it ignores its inputs)."""
    p = hist["tile_rate"]
    return dict(vae_recon=float(np.mean(hist["vae"]["rec"][-last:])),
                m_nll_per_dim=float(np.mean(hist["mdn"]["nll"][-last:])),
                m_tile_bce=float(np.mean(hist["mdn"]["bce"][-last:])),
                tile_bce_base_rate=float(-p * np.log(p) - (1 - p) * np.log(1 - p)))


# ----------------------------------------------------------------------------
# Training pipeline and evaluation
# ----------------------------------------------------------------------------
def train_seed(cfg: Config, seed: int, tick):
    """The whole pipeline for one seed: collect, V, M, then C five ways (V only, V + tanh
    hidden layer, V + untrained M, V + M, dream)."""
    rngs = seed_streams(seed, STREAMS)
    data = collect(cfg, rngs["collect"])
    vae, hv = train_vae(cfg, data["frames"][data["mask"]], rngs["vae"], tick)
    mu, lv = encode_rollouts(vae, data, rngs["vae"])
    mdn, hm = train_mdn(cfg, mu, lv, data, rngs["mdn"], tick)
    # the control: an M that keeps its random initial weights
    mdn_random = mdn_init(cfg.z_dim, cfg.rnn_hidden, cfg.n_mix, rngs["mdn_random"])
    run, hist = dict(seed=seed, vae=vae, mdn=mdn, mdn_random=mdn_random), dict(seed=seed, vae=hv, mdn=hm)
    for name, stream, m, hidden, tag in (("v", "cma_v", None, False, "V only"),
                                         ("hidden", "cma_hidden", None, True, "V+hidden"),
                                         ("random", "cma_random", mdn_random, False, "V+random M"),
                                         ("full", "cma_full", mdn, False, "V+M")):
        run["theta_" + name], hist["cma_" + name] = evolve(
            rngs[stream], n_params(cfg, "hidden" if hidden else "v" if m is None else "full"),
            real_fitness(cfg, vae, m, hidden), cfg.generations, cfg.sigma0, cfg.pop_size, tick, tag)
    # real first frames start the dreams
    run["theta_dream"], hist["cma_dream"] = evolve(
        rngs["cma_dream"], n_params(cfg, "full"), dream_fitness(cfg, mu[:, 0], mdn),
        cfg.dream_generations, cfg.sigma0, cfg.pop_size, tick, "dream")
    hist.update(random_returns=data["returns"].tolist(),
                tile_rate=float(data["tiles"][data["mask"]].mean()))
    return run, hist


def train(cfg: Config, log=None):
    """Seeds cfg.seed .. cfg.seed+n_seeds-1, one after the other, each its own V, M and C.

    Returns (model, history): model["runs"][i] holds seed i's V, M and three controllers;
    history["runs"][i] its V and M losses and CMA-ES curves. log(step, total, metrics)
    counts work units: a V step 1, an M epoch 60, a CMA-ES generation 90 (about their costs).
    """
    per_seed = cfg.vae_steps + 60 * cfg.m_epochs + 90 * (4 * cfg.generations + cfg.dream_generations)
    state = {"step": 0, "seed": cfg.seed}

    def tick(metrics):
        state["step"] += 1 if "V step" in metrics else 60 if "M epoch" in metrics else 90
        if log:
            log(state["step"], cfg.n_seeds * per_seed, {"seed": state["seed"], **metrics})

    model, history = {"runs": []}, {"runs": []}
    for seed in range(cfg.seed, cfg.seed + cfg.n_seeds):
        state["seed"] = seed
        run, hist = train_seed(cfg, seed, tick)
        model["runs"].append(run)
        history["runs"].append(hist)
    return model, history


def evaluate(model, cfg: Config) -> dict:
    """Every row of the ablation, for every seed, on the same n_eval unseen random tracks
    (drawn from the first seed's "eval" stream). Returns per-track returns: "random" (N,)
    for the data-collection policy, and one (S, N) array per name of CONTROLLERS. Every row
    of a seed reads the same z-noise (its "zsample" stream, restarted per row)."""
    rng = seed_streams(cfg.seed, STREAMS)["eval"]
    N = cfg.n_eval
    tracks = make_tracks(cfg, rng, N)
    tid = np.arange(N)
    env = Race(cfg, tracks, tid)
    pol = RandomPolicy(cfg, rng, N)
    while not env.done.all():
        env.step(pol())
    out = {"random": env.ret.copy()}
    for name, (key, m, hidden) in CONTROLLERS.items():
        out[name] = np.stack([
            rollout(cfg, np.repeat(run[key][None], N, 0), tracks, tid, run["vae"],
                    run[m] if m else None, rng=seed_streams(run["seed"], STREAMS)["zsample"],
                    hidden=hidden) for run in model["runs"]])
    return out


def spread(x) -> dict:
    """Mean, sample std and standard error of the mean of per-seed values x (S,)."""
    x = np.asarray(x, float)
    std = float(x.std(ddof=1)) if len(x) > 1 else 0.0
    return {"": float(x.mean()), "_std": std, "_sem": std / np.sqrt(len(x))}


def track_bootstrap(diff, rng, n_boot):
    """95 % interval of the mean gain when the test tracks are resampled (paired: every seed
    keeps its own controllers, the same tracks are drawn for all). diff (S, N) -> (lo, hi)."""
    idx = rng.integers(0, diff.shape[1], (n_boot, diff.shape[1]))   # (n_boot, N) track draws
    means = diff[:, idx].mean(axis=(0, 2))                          # (n_boot,)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def summarise(cfg: Config, model, history) -> dict:
    """Means over seeds (the headline), their spread over seeds (_std, _sem), the spread over
    tracks (_track_std, the paper's ±), the gain of V + M over V only, per-seed values."""
    ev = evaluate(model, cfg)
    S, solved = len(model["runs"]), PAPER["metrics"]["solved_threshold"]
    m = {"n_seeds": S, "n_runs": S, "n_eval_tracks": cfg.n_eval,
         "return_random": float(ev["random"].mean()), "return_random_std": float(ev["random"].std())}
    per_seed = {"seed": [run["seed"] for run in model["runs"]]}
    for k in CONTROLLERS:
        per = ev[k].mean(1)                                            # (S,) mean over tracks
        m.update({f"return_{k}{s}": v for s, v in spread(per).items()})
        m[f"return_{k}_track_std"] = float(ev[k].std(1).mean())
        per_seed[f"return_{k}"] = per.tolist()
        per_seed[f"return_{k}_track_std"] = ev[k].std(1).tolist()
    gain = (ev["full"] - ev["v_only"]).mean(1)                        # (S,) paired over tracks
    m.update({f"gain_full_over_v{s}": v for s, v in spread(gain).items()})
    m["gain_full_over_v_track_std"] = float((ev["full"] - ev["v_only"]).std(1).mean())
    m["gain_full_over_v_ci_lo"], m["gain_full_over_v_ci_hi"] = track_bootstrap(
        ev["full"] - ev["v_only"], seed_streams(cfg.seed, STREAMS)["bootstrap"], N_BOOT)
    for k in ("hidden", "random_m", "dream"):
        m[f"gain_{k}_over_v"] = float((ev[k] - ev["v_only"]).mean())
    m["seeds_full_beats_v"] = int(np.sum(gain > 0))
    ci = [track_bootstrap(d[None], seed_streams(s, STREAMS)["bootstrap"], N_BOOT)
          for s, d in zip(per_seed["seed"], ev["full"] - ev["v_only"])]     # per seed, paired
    per_seed["gain_ci_lo"], per_seed["gain_ci_hi"] = [c[0] for c in ci], [c[1] for c in ci]
    m["seeds_gain_ge_50_ci_above_0"] = int(sum(g >= 50 and c[0] > 0 for g, c in zip(gain, ci)))
    m["seeds_full_solved"] = int(np.sum(ev["full"].mean(1) >= solved))
    m["tracks_full_solved_frac"] = float(np.mean(ev["full"] >= solved))
    fits = [training_summary(h) for h in history["runs"]]
    for k in fits[0]:
        m[k] = float(np.mean([f[k] for f in fits]))
        per_seed[k] = [f[k] for f in fits]
    per_seed["gain_full_over_v"] = gain.tolist()
    m["per_seed"] = per_seed
    return m


def fmt(mean, std):
    return f"{mean:.0f} ± {std:.0f}"


def describe(cfg: Config, metrics: dict) -> dict:
    """The record's summary sentence, its Results table and the tolerance of a rerun."""
    m, P, S = metrics, PAPER["metrics"], metrics["n_seeds"]
    ps = m["per_seed"]
    rows = [["random policy (shared tracks)", f"{m['return_random']:.0f} (tracks ± "
             f"{m['return_random_std']:.0f})", "-"]]
    for k, lab, paper in (("v_only", "V only (C on z)", fmt(P["return_v_only"], P["return_v_only_std"])),
                          ("hidden", f"V + tanh hidden layer ({cfg.c_hidden} units)",
                           fmt(P["return_v_hidden"], P["return_v_hidden_std"])),
                          ("random_m", "V + untrained (random) M", "-"),
                          ("full", "V + M (C on z, h)", fmt(P["return_full"], P["return_full_std"])),
                          ("dream", "C evolved in M's dream", "-")):
        rows.append([lab, f"{fmt(m[f'return_{k}'], m[f'return_{k}_std'])} (tracks ± "
                     f"{m[f'return_{k}_track_std']:.0f})", paper])
    rows += [["gain V + M minus V only (the verdict)",
              f"{m['gain_full_over_v']:+.0f} ± {m['gain_full_over_v_std']:.0f} (s.e. "
              f"{m['gain_full_over_v_sem']:.0f}); {m['seeds_full_beats_v']}/{S} seeds > 0",
              f"{P['gain_full_over_v']:+d}"],
             ["gain, 95 % interval over resampled tracks (paired)",
              f"{m['gain_full_over_v_ci_lo']:+.0f} to {m['gain_full_over_v_ci_hi']:+.0f}", "-"],
             ["seeds with gain >= 50 and its track interval above 0",
              f"{m['seeds_gain_ge_50_ci_above_0']}/{S}", "-"],
             [f"seeds with V + M mean >= {P['solved_threshold']}", f"{m['seeds_full_solved']}/{S}",
              "solved"],
             ["M's tile (reward) cross-entropy vs base rate",
              f"{m['m_tile_bce']:.3f} vs {m['tile_bce_base_rate']:.3f}", "-"]]
    if S <= 10:
        rows += [[f"seed {s}: V only / V + M / gain (track interval)",
                  f"{v:.0f} / {f:.0f} / {f - v:+.0f} ({lo:+.0f} to {hi:+.0f})", "-"]
                 for s, v, f, lo, hi in zip(ps["seed"], ps["return_v_only"], ps["return_full"],
                                            ps["gain_ci_lo"], ps["gain_ci_hi"])]
    listed = ["return_random", "return_v_only", "return_full"]   # the dream: reported only
    rel = max(3 * m.get(k + "_sem", 0.0) / abs(m[k]) for k in listed)
    return {
        "label": "V + M minus V only, points (1000 = a full lap) on unseen tracks, mean over seeds",
        "summary": f"V + M {m['return_full']:.0f} vs V only {m['return_v_only']:.0f}: gain "
                   f"{m['gain_full_over_v']:+.0f} ± {m['gain_full_over_v_sem']:.0f} (s.e.) over "
                   f"{S} seeds x {cfg.n_eval} unseen tracks (paper {P['return_full']} vs "
                   f"{P['return_v_only']}, gain {P['gain_full_over_v']:+d}); dream "
                   f"{m['return_dream']:.0f}",
        "table": {"columns": ["controller", f"ours: mean ± std over {S} seeds", "paper (CarRacing-v0)"],
                  "rows": rows},
        "tolerance": {"rel": float(np.ceil(max(rel, 1e-6) * 100) / 100), "metrics": listed,
                      "basis": "CMA-ES is chaotic: a last-bit difference on another CPU changes "
                               "every seed's controllers, so per-seed values are not compared; "
                               "the means over seeds of the random, V only and V + M returns "
                               "are, within 3 standard errors of the mean (seed std / "
                               "sqrt(n_seeds)) of the least precise of them, relative, rounded "
                               "up. The dream return (seed std near its mean) and the gain (a "
                               "difference of two means) are reported, not compared"},
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
