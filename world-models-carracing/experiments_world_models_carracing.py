"""Variants of the world-models-carracing headline -> world-models-carracing/runs/*.json.

Each variant is the headline pipeline (world_models_carracing.train / summarise,
one run record per call, written by the main module's run_record/write_json)
with a few Config fields changed. Every other flag of the main file works here
too (explicit flags win over the variant's values).

  long      the headline pipeline with CMA-ES at the paper's population 64 x 16 tracks
            per candidate for 200 generations (about 50 times the headline's search;
            not run for the committed records, see README "Open questions").
  ceiling   the environment's ceiling, no V or M at all: a linear controller on the
            true state (speed along and across the heading, signed offset from the
            centre line, bearing of the road 1 to 13 tiles ahead), evolved by the
            headline's CMA-ES budget, with and without the two velocity features,
            for each seed; both scored on the headline's shared unseen tracks. The
            record's verdict metric is gain_velocity (with minus without): how much
            knowing the velocity is worth on this environment. Environment flags
            (--drag-grass, --accel, ...) measure one environment change at a time.

    python3 world-models-carracing/experiments_world_models_carracing.py --variant ceiling --n-seeds 5 --seed 0 --generations 40 --drag-grass 0.1 --accel 0.08 --results world-models-carracing/runs/ceiling_0_base.json
    python3 world-models-carracing/experiments_world_models_carracing.py --variant ceiling --n-seeds 5 --seed 0 --generations 40 --accel 0.08 --results world-models-carracing/runs/ceiling_1_grass.json
    python3 world-models-carracing/experiments_world_models_carracing.py --variant ceiling --n-seeds 5 --seed 0 --generations 40 --results world-models-carracing/runs/ceiling_2_grass_accel.json
    python3 world-models-carracing/experiments_world_models_carracing.py --variant ceiling --n-seeds 5 --seed 10000 --results world-models-carracing/runs/ceiling_report.json
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

VARIANTS = {"long": dict(pop_size=64, n_tracks=16, generations=200), "ceiling": {}}
LABELS = {"long": "long: CMA-ES at the paper's population 64 x 16 tracks, 200 generations"}
AHEAD = (0, 3, 6, 9, 12)    # road direction seen by the privileged controller: tiles k+1+AHEAD


def privileged_features(env, track_width, n_feat, velocity=True):
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
    feats = [(env.vel * fwd).sum(1), (env.vel * left).sum(1)] if velocity else []
    feats += [(tang[:, 0] * d[:, 1] - tang[:, 1] * d[:, 0]) / track_width]
    for a in AHEAD:
        to = c[b, (k + 1 + a) % N] - env.pos
        ang = np.arctan2(to[:, 1], to[:, 0]) - env.theta
        feats += [np.sin(ang), np.cos(ang)]
    out = np.zeros((len(b), n_feat))
    out[:, :len(feats)] = np.stack(feats, 1)
    return out


N_PRIV = 3 + 2 * len(AHEAD)     # features of the privileged controller with velocity


def ceiling_rollout(cfg, thetas, tracks, track_id, velocity):
    """Returns (B,) of linear controllers on the true state, with or without the two
    velocity features (speed along and across the heading)."""
    env = W.Race(cfg, tracks, track_id)
    n = N_PRIV - (0 if velocity else 2)
    for _ in range(cfg.max_frames):
        env.step(W.act(thetas, privileged_features(env, cfg.track_width, n, velocity), n))
        if env.done.all():
            break
    return env.ret


def ceiling_seed(cfg, seed, tracks, tick):
    """One seed: CMA-ES (the headline's budget) for the privileged controller with and
    without velocity; both scored on the shared unseen tracks. -> {name: returns (N,)}."""
    rngs = W.seed_streams(seed, W.STREAMS)
    out, tid = {}, np.arange(len(tracks["centres"]))
    for name, vel, stream in (("vel", True, "cma_v"), ("novel", False, "cma_full")):
        def fit(X, rng, vel=vel):
            R = cfg.n_tracks
            tr = W.make_tracks(cfg, rng, R)
            ret = ceiling_rollout(cfg, np.repeat(X, R, 0), tr, np.tile(np.arange(R), len(X)), vel)
            return ret.reshape(len(X), R).mean(1)
        theta, _ = W.evolve(rngs[stream], 3 * (N_PRIV - (0 if vel else 2) + 1), fit, cfg.generations,
                            cfg.sigma0, cfg.pop_size, tick, f"privileged {name}")
        out[name] = ceiling_rollout(cfg, np.repeat(theta[None], len(tid), 0), tracks, tid, vel)
    return out


def run_ceiling(cfg, tick):
    """The environment's ceiling with and without the velocity features, over cfg.n_seeds seeds
    on cfg.n_eval shared unseen tracks (the headline's evaluation tracks)."""
    tracks = W.make_tracks(cfg, W.seed_streams(cfg.seed, W.STREAMS)["eval"], cfg.n_eval)
    per = [ceiling_seed(cfg, s, tracks, tick) for s in range(cfg.seed, cfg.seed + cfg.n_seeds)]
    vel = np.stack([p["vel"] for p in per])
    nov = np.stack([p["novel"] for p in per])
    S = len(per)
    m = {"n_seeds": S, "n_runs": S, "n_eval_tracks": cfg.n_eval}
    for k, x in (("return_priv_vel", vel), ("return_priv_novel", nov), ("gain_velocity", vel - nov)):
        m.update({k + s: v for s, v in W.spread(x.mean(1)).items()})
        m[k + "_track_std"] = float(x.std(1).mean())
    m["gain_velocity_ci_lo"], m["gain_velocity_ci_hi"] = W.track_bootstrap(
        vel - nov, W.seed_streams(cfg.seed, W.STREAMS)["bootstrap"], W.N_BOOT)
    m["per_seed"] = {"seed": list(range(cfg.seed, cfg.seed + S)),
                     "return_priv_vel": vel.mean(1).tolist(),
                     "return_priv_novel": nov.mean(1).tolist()}
    return m


def describe_ceiling(cfg, m):
    S = m["n_seeds"]
    rows = [[lab, f"{m[k]:.0f} ± {m[k + '_std']:.0f} (tracks ± {m[k + '_track_std']:.0f})"]
            for k, lab in (("return_priv_vel", "privileged state with velocity"),
                           ("return_priv_novel", "privileged state without velocity"),
                           ("gain_velocity", "gain of the velocity features"))]
    rows += [["gain, 95 % interval over resampled tracks (paired)",
              f"{m['gain_velocity_ci_lo']:+.0f} to {m['gain_velocity_ci_hi']:+.0f}"]]
    rows += [[f"seed {s}: with / without velocity", f"{a:.0f} / {b:.0f}"] for s, a, b in
             zip(m["per_seed"]["seed"], m["per_seed"]["return_priv_vel"],
                 m["per_seed"]["return_priv_novel"])]
    return {"label": "privileged controller: with minus without velocity features, points",
            "summary": f"privileged state with velocity {m['return_priv_vel']:.0f} vs without "
                       f"{m['return_priv_novel']:.0f}: gain {m['gain_velocity']:+.0f} ± "
                       f"{m['gain_velocity_sem']:.0f} (s.e.) over {S} seeds x {cfg.n_eval} tracks",
            "table": {"columns": ["controller", f"mean ± std over {S} seeds"], "rows": rows},
            "tolerance": {"rel": 0.5, "metrics": ["return_priv_vel", "return_priv_novel"],
                          "basis": "CMA-ES is chaotic; means over seeds compared loosely"}}


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
    print(f"variant {variant}; config:", json.dumps(dataclasses.asdict(cfg)), flush=True)
    t0 = time.time()
    if variant == "ceiling":
        return main_ceiling(cfg, results, argv, t0)
    model, history = W.train(cfg, log=W.Progress())
    metrics = W.summarise(cfg, model, history)
    script = os.path.relpath(os.path.abspath(__file__), os.path.dirname(HERE))
    rec = W.run_record(cfg, metrics, " ".join(["python3", script] + argv), time.time() - t0)
    label = LABELS.get(variant, f"{variant}: {VARIANTS[variant]}")
    rec["headline"]["summary"] = f"[{label}] " + rec["headline"]["summary"]
    print(f"\n{rec['headline']['summary']}\nreproduces: {rec['headline']['reproduces']}; "
          f"wallclock {rec['wallclock_s']:.1f}s")
    if results:
        W.write_json(results, rec)
        print(f"run record -> {results}")
    return rec


def main_ceiling(cfg, results, argv, t0):
    """The ceiling variant's record: verdict metric gain_velocity against the paper's gain."""
    cfg = dataclasses.replace(cfg, verdict_metric="gain_velocity")
    paper = dict(W.PAPER, metrics=dict(W.PAPER["metrics"],
                                       gain_velocity=W.PAPER["metrics"]["gain_full_over_v"]))
    total = cfg.n_seeds * 2 * cfg.generations
    state = {"step": 0}

    def tick(metrics):
        state["step"] += 1
        W.Progress.__call__(prog, state["step"], total, metrics)
    prog = W.Progress()
    metrics = run_ceiling(cfg, tick)
    script = os.path.relpath(os.path.abspath(__file__), os.path.dirname(HERE))
    rec = W.run_record(cfg, metrics, " ".join(["python3", script] + argv), time.time() - t0,
                       paper=paper, describe_fn=describe_ceiling)
    print(f"\n{rec['headline']['summary']}\nwallclock {rec['wallclock_s']:.1f}s")
    if results:
        W.write_json(results, rec)
        print(f"run record -> {results}")
    return rec


if __name__ == "__main__":
    main()
