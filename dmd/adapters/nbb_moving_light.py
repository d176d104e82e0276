"""nbb-moving-light: one training cycle of the neural bucket brigade."""
from ._nbb import make_nbb

SLUG = "nbb-moving-light"
KNOB = "n_cells"
VARIANTS = {"bucket-brigade": {"sizes": (3, 5, 10), "size": 5,
                               "note": "rule (3)-(4), winner-take-all"}}


def make(variant, size):
    return make_nbb(SLUG, KNOB, size, "directions", 2, "mean_cycles")
