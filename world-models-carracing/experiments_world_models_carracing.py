"""Variants of the world-models-carracing headline -> world-models-carracing/runs/*.json.

Each variant is the headline pipeline (world_models_carracing.train / summarise,
one run record per call, written by the main module's run_record/write_json)
with a few Config fields changed. Every other flag of the main file works here
too (explicit flags win over the variant's values).

  long      100 instead of 40 CMA-ES generations for the two real-track controllers:
            does more evolution widen the gap between V + M and V only?
  random_m  the control "V + untrained M": M keeps its random initial weights (its
            loss on one batch is measured, never descended), so C still gets a
            recurrent h, but one that learned nothing. V, the V-only controller and
            the test tracks are those of the headline (same seeds, same streams).
            The "V + M" rows of this record are V + untrained M; its dream row is
            a dream in an untrained M (meaningless, kept for the record's shape).
  privileged  an estimate of the environment's ceiling: the "V only" controller is
            replaced by a linear controller on the true state that the frames hide
            (speed along and across the heading, offset from the centre line,
            direction of the road at 1 to 13 tiles ahead), evolved by the same
            CMA-ES with the same budget. Its "V only" rows are that controller;
            V + M and the dream are the headline's, seed for seed.

    python3 world-models-carracing/experiments_world_models_carracing.py --variant long --seed 10000 --n-seeds 3 --results world-models-carracing/runs/long_cma.json
    python3 world-models-carracing/experiments_world_models_carracing.py --variant random_m --seed 10000 --n-seeds 3 --results world-models-carracing/runs/random_m.json
    python3 world-models-carracing/experiments_world_models_carracing.py --variant privileged --seed 10000 --n-seeds 3 --results world-models-carracing/runs/privileged.json
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import world_models_carracing as W  # noqa: E402  (pins one BLAS thread before numpy loads)
import numpy as np  # noqa: E402

VARIANTS = {"long": dict(generations=100), "random_m": {}, "privileged": {}}
LABELS = {"random_m": "random_m: control, V + untrained M",
          "privileged": "privileged: V only replaced by a linear controller on the true state"}
AHEAD = (0, 3, 6, 9, 12)    # road direction seen by the privileged controller: tiles k+1+AHEAD


def untrained_mdn(cfg, mu, lv, data, rng, tick):
    """M at its random initialisation (the random_m control). Its loss (3) on the first
    seq_len frames of m_batch rollouts (z = V's mean) is measured for the record, never
    descended; the untrained M then feeds its h to C exactly as a trained M would."""
    mdn = W.mdn_init(cfg.z_dim, cfg.rnn_hidden, cfg.n_mix, rng)
    E, T, _ = mu.shape
    L, e = min(cfg.seq_len, T - 1), np.arange(min(cfg.m_batch, E))
    valid = data["mask"][e, 1:L + 1]
    loss, _, (nll, bce) = W.mdn_loss(mdn, mu[e, :L + 1].astype(np.float32), data["actions"][e, :L],
                                     data["tiles"][e, :L], valid, cfg.n_mix)
    for ep in range(cfg.m_epochs):
        tick({"M epoch": ep + 1})
    return mdn, {"loss": [float(loss)], "nll": [float(nll)], "bce": [float(bce)]}


def privileged_features(env, track_width, n_feat):
    """(B, n_feat) true state: speed along and across the heading, signed offset from the centre
    line (in road widths), and sin / cos of the direction to tiles k+1+AHEAD relative to the
    heading (k = nearest tile); zero-padded to n_feat."""
    c = env.tracks["centres"][env.tid]                                # (B, N, 2)
    N, k, b = c.shape[1], env.nearest_tile(), np.arange(len(env.tid))
    fwd = np.stack([np.cos(env.theta), np.sin(env.theta)], 1)
    left = np.stack([-fwd[:, 1], fwd[:, 0]], 1)
    tang = c[b, (k + 1) % N] - c[b, k]
    tang /= np.linalg.norm(tang, axis=1, keepdims=True)
    d = env.pos - c[b, k]
    feats = [(env.vel * fwd).sum(1), (env.vel * left).sum(1),
             (tang[:, 0] * d[:, 1] - tang[:, 1] * d[:, 0]) / track_width]
    for a in AHEAD:
        to = c[b, (k + 1 + a) % N] - env.pos
        ang = np.arctan2(to[:, 1], to[:, 0]) - env.theta
        feats += [np.sin(ang), np.cos(ang)]
    out = np.zeros((len(b), n_feat))
    out[:, :len(feats)] = np.stack(feats, 1)
    return out


_ROLLOUT = W.rollout


def privileged_rollout(cfg, thetas, tracks, track_id, vae, mdn, record=False):
    """W.rollout, except that a controller without M (the "V only" slot) sees the true state."""
    if mdn is not None or record:
        return _ROLLOUT(cfg, thetas, tracks, track_id, vae, mdn, record)
    env = W.Race(cfg, tracks, track_id)
    for _ in range(cfg.max_frames):
        env.step(W.act(thetas, privileged_features(env, cfg.track_width, cfg.z_dim), cfg.z_dim))
        if env.done.all():
            break
    return env.ret


HOOKS = {"random_m": ("train_mdn", untrained_mdn), "privileged": ("rollout", privileged_rollout)}


def parse(argv):
    """(variant, cfg, results path); bad input ends with one stderr line and exit status 2."""
    if "--variant" not in argv or argv.index("--variant") + 1 >= len(argv):
        W.fail(f"--variant is required, one of {', '.join(VARIANTS)}")
    i = argv.index("--variant")
    variant, rest = argv[i + 1], argv[:i] + argv[i + 2:]
    if variant not in VARIANTS:
        W.fail(f"--variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    cfg, results = W.parse_cli(rest)
    given = {k.lstrip("-").replace("-", "_") for k in rest if k.startswith("--")}
    overrides = {k: v for k, v in VARIANTS[variant].items() if k not in given}
    try:
        cfg = dataclasses.replace(cfg, **overrides)
    except ValueError as e:
        W.fail(str(e))
    return variant, cfg, results


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else list(argv)
    variant, cfg, results = parse(argv)
    if variant in HOOKS:
        setattr(W, *HOOKS[variant])                 # train_seed looks the stage up at call time
    print(f"variant {variant}; config:", json.dumps(dataclasses.asdict(cfg)), flush=True)
    t0 = time.time()
    model, history = W.train(cfg, log=W.Progress())
    metrics = W.summarise(cfg, model, history)
    script = os.path.relpath(os.path.abspath(__file__), os.path.dirname(HERE))
    rec = W.run_record(cfg, metrics, " ".join(["python3", script] + argv), time.time() - t0)
    label = LABELS.get(variant, f"{variant}: {VARIANTS[variant]}")
    rec["headline"]["summary"] = f"[{label}] " + rec["headline"]["summary"]
    if variant == "random_m":
        for row in rec["table"]["rows"]:
            row[0] = row[0].replace("V + M", "V + untrained M").replace("M's", "untrained M's")
    if variant == "privileged":
        for row in rec["table"]["rows"]:
            row[0] = row[0].replace("V only (C on z)", "privileged state (C on the true state)")
    print(f"\n{rec['headline']['summary']}\nreproduces: {rec['headline']['reproduces']}; "
          f"wallclock {rec['wallclock_s']:.1f}s")
    if results:
        W.write_json(results, rec)
        print(f"run record -> {results}")
    return rec


if __name__ == "__main__":
    main()
