"""levin-count-inputs: one batch of candidate programs of Levin search (see _levin.py);
the headline's plain search has its first fit in phase 19."""
from ._levin import EXPECTED_FALLBACKS, KNOB, VARIANTS, make_levin  # noqa: F401

SLUG = "levin-count-inputs"


def _prob_counts(m, size):
    runs_each = m.get("mean_runs")
    steps = int(round(runs_each / size)) if runs_each else None
    return steps, ("one chunk of %d probabilistic runs; the headline's searches need %s runs "
                   "on average" % (size, runs_each))


def make(variant, size):
    return make_levin(SLUG, variant, size, _prob_counts, "stops in phase %s")
