"""nbb-xor: one training presentation of the neural bucket brigade."""
from ._nbb import make_nbb

SLUG = "nbb-xor"
KNOB = "n_hidden"
VARIANTS = {"bucket-brigade": {"sizes": (2, 3, 6, 12), "size": 3,
                               "note": "rule (3)-(4), winner-take-all"}}


def make(variant, size):
    return make_nbb(SLUG, KNOB, size, "patterns", 2, "mean_presentations")
