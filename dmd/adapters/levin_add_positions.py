"""levin-add-positions: one batch of candidate programs of Levin search (see _levin.py);
the headline's plain search runs phases 1-20 and finds no fit (the hand-written
solution needs phase 32)."""
from ._levin import EXPECTED_FALLBACKS, KNOB, VARIANTS, make_levin  # noqa: F401

SLUG = "levin-add-positions"


def _prob_counts(m, size):
    total = m.get("total_runs")
    steps = int(round(total / m.get("n_runs", 1) / size)) if total else None
    return steps, ("one chunk of %d probabilistic runs; the headline's %s searches spend %s "
                   "runs in all" % (size, m.get("n_runs"), total))


def make(variant, size):
    return make_levin(SLUG, variant, size, _prob_counts, "runs phases 1-%s")
