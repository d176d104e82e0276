"""Shared by the two Levin-search adapters (levin-count-inputs, levin-add-positions):
one batch of candidate programs executed by the stub's vectorised interpreter (run)
and judged on the 3 training examples (solved). "plain-levin": phase k of plain
Levin search, every program with l <= k bits run from scratch for floor(2^(k - l))
steps (the knob is the phase k). "probabilistic-levin": one chunk of runs, each
drawing its program from the prior by oracle requests and its time limit T = 2^j.
The programs (tapes, budgets, oracle numbers) are what the step reads; nothing
persists across steps."""
import numpy as np

from . import Step, headline, load_stub, stub_path

KNOB = "max_phase"
VARIANTS = {"plain-levin": {"sizes": (6, 8, 10), "size": 10,
                            "note": "phase k's programs, each for 2^(k - l) steps"},
            "probabilistic-levin": {"sizes": (16, 32, 64), "size": 64, "knob": "chunk",
                                    "note": "one chunk of probabilistic runs"}}
EXPECTED_FALLBACKS = ("nonzero",)          # which programs are still running


def _phase_state(mod, cfg, k):
    table = mod.shape_table(cfg.work_cells, cfg.max_len, k)
    parts = [mod.new_programs(j, table, cfg.work_cells, cfg.max_len, cfg.n_inputs)
             for j in range(1, k + 1)]
    st = None
    for p in parts:
        st = mod.merge(st, p)
    st["budget"] = np.floor(2.0 ** (k - st["bits"]) + 1e-9).astype(np.int64)
    return st


def make_levin(slug, variant, size, prob_counts, plain_outcome):
    """prob_counts(metrics, size) -> (steps, note) for one chunk of probabilistic runs;
    plain_outcome: how the headline's plain search ends, e.g. "stops in phase %s"."""
    mod = load_stub(slug)
    cfg = mod.make_config()
    on, y = mod.TRAIN_ON, mod.targets(mod.TRAIN_ON, cfg.task)
    prob = variant == "probabilistic-levin"
    if prob:
        rng = np.random.default_rng(0)
        st = mod.new_state(int(size), cfg.work_cells, cfg.max_len, cfg.n_inputs,
                           mod.time_limits(rng, int(size), cfg.time_exp_max))
        st["u"] = rng.random((int(size), cfg.max_len))
    else:
        st = _phase_state(mod, cfg, int(size))

    def step(state, batch):
        b = {k: v.copy() for k, v in batch.items()}
        mod.run(b, cfg.work_cells, cfg.value_max, cfg.n_inputs, cfg.max_len, oracle_on=prob)
        return mod.solved(b, on, y)

    m = headline(slug).get("metrics", {})
    if prob:
        steps, note = prob_counts(m, int(size))
    else:
        steps = m.get("plain_phase")
        note = ("phase %d: %d programs with l <= %d bits; the headline's plain search "
                % (int(size), len(st["bits"]), int(size))) + plain_outcome % steps
    return Step(fn=step, state={}, batch=st, steps=steps, runs=m.get("n_runs", 1),
                files=(stub_path(slug),), at_headline=False, note=note)
