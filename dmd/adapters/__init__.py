"""Adapters: one module per stub, ``dmd/adapters/<slug_>.py``.

The adapter form (what the tool needs from a stub; see dmd/README.md):

    SLUG = "<slug>"
    KNOB = "<Config field>"      # the size knob the cost is swept over
    VARIANTS = {                 # one entry per learning rule the paper compares
        "<name>": {"sizes": (s1, s2, s3), "size": s_default, "note": "...",
                   "knob": "<field>"},   # optional: this variant's own knob
    }
    def make(variant, size) -> Step
    EXPECTED_FALLBACKS = ()      # optional: bulk-costed calls the step may make

``Step`` names one training step and what it reads that persists across
steps: ``fn(state, batch)`` runs the step built from the stub's own
functions, mutating ``state`` (dict of arrays: weights, optimiser state,
sensitivities, memories) in place or rebinding its entries; ``batch`` (dict
of arrays) is the minibatch or sequence the step reads.  ``steps`` is the
number of such steps of one run of the headline result and ``runs`` the
number of runs (seeds) it trains.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_CACHE = {}


def slug_module(slug):
    return slug.replace("-", "_")


def stub_path(slug, root=ROOT):
    return os.path.join(root, slug, slug_module(slug) + ".py")


def load_stub(slug, root=ROOT):
    """Import <slug>/<slug_>.py by path (never edits it), cached."""
    path = stub_path(slug, root)
    if path in _CACHE:
        return _CACHE[path]
    name = "dmd_stub_" + slug_module(slug)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    _CACHE[path] = mod
    return mod


@dataclass
class Step:
    fn: object                     # fn(state, batch) -> anything
    state: dict                    # arrays that persist across steps
    batch: dict                    # arrays the step reads (minibatch, sequence)
    steps: int = None              # steps of one headline run
    runs: int = 1                  # runs (seeds) of the headline result
    files: tuple = ()              # stub files whose functions label the breakdown
    note: str = ""
    at_headline: bool = True       # the step has the headline run's sizes
    consts: dict = field(default_factory=dict)   # integer arrays: addresses, free


def headline(slug, root=ROOT):
    """The stub's headline run record (results.json) or {}."""
    import json
    try:
        with open(os.path.join(root, slug, "results.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def adapter_module(slug):
    return importlib.import_module("dmd.adapters." + slug_module(slug))


def available(root=ROOT):
    here = os.path.dirname(os.path.abspath(__file__))
    return sorted(f[:-3].replace("_", "-") for f in os.listdir(here)
                  if f.endswith(".py") and not f.startswith("_"))
