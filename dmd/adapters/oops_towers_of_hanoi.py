"""oops-towers-of-hanoi: the vectorised piece of oops_towers_of_hanoi.py, the held-out
check of a found Hanoi solver's moves (moves_match: the closed-form optimal move list
built with numpy and compared with the played one).  The search itself (Try and
the interpreter) is scalar Python over tuples, which the tracer does not price; a
step here is one relabelled instance of size n checked, and the headline's
evaluation makes 6 of them per n = 1..sim_max."""
import numpy as np

from . import Step, headline, load_stub, stub_path

SLUG = "oops-towers-of-hanoi"
KNOB = "sim_max"
VARIANTS = {"oops": {"sizes": (8, 10, 12), "size": 14,
                     "note": "check of one simulated Hanoi instance of n discs "
                             "against the closed-form optimal moves"}}


def make(variant, size):
    mod = load_stub(SLUG)
    n = int(size)
    moves = mod.hanoi_moves_closed_form(n, 1, 2, 3)     # what the verified solver plays

    def step(st, bt):
        return mod.moves_match(bt["moves"], n, 1, 2, 3)

    cfg = headline(SLUG).get("config", {})
    sim = int(cfg.get("sim_max", n))
    return Step(fn=step, state={}, batch={"moves": np.asarray(moves, dtype=np.int64)},
                steps=6 * sim, runs=1, files=(stub_path(SLUG),),
                at_headline=(n == sim),
                note="one relabelled instance, n = %d (%d moves); the headline checks 6 "
                     "relabellings for every n up to %d" % (n, 2 ** n - 1, sim))
