"""Per-stub reports: measure one adapter's steps and write <slug>/dmd.json."""
from __future__ import annotations

import json
import math
import os
import time

import numpy as np

from .core import cost_of_depth, depths
from .trace import trace_call
from . import adapters as ad

SCHEMA = 1


def measure_step(step, modes=("main", "dev")):
    """Trace one step and price it.  Returns a dict (JSON-ready)."""
    state = {k: np.array(v, copy=True) for k, v in step.state.items()}
    batch = {k: np.array(v, copy=True) for k, v in step.batch.items()}
    t0 = time.perf_counter()
    T, _, _ = trace_call(step.fn, state, batch, label_files=step.files)
    t_trace = time.perf_counter() - t0
    tr = T.trace
    out = {"n_ops": tr.n_instructions(),
           "n_persistent": int(sum(np.size(v) for v in step.state.values())),
           "n_batch": int(sum(np.size(v) for v in step.batch.values())),
           "fallbacks": dict(T.fallbacks), "escapes": dict(T.escapes),
           "untracked_state": dict(getattr(T, "untracked_state", {}))}
    del t_trace                    # timings stay out: the report is deterministic
    itemsize = max([np.asarray(v).dtype.itemsize for v in step.state.values()
                    if np.asarray(v).dtype.kind == "f"] or [8])
    for mode in modes:
        t0 = time.perf_counter()
        flat, d = depths(tr, mode=mode)
        c = cost_of_depth(d)
        cb = cost_of_depth(d, itemsize)
        total = int(c.sum())
        rec = {"cost": total, "cost_bytes": int(cb.sum()),
               "bytes_per_element": int(itemsize),
               "n_reads": int(len(d)),
               "cost_per_op": total / max(out["n_ops"], 1),
               "cost_per_read": total / max(len(d), 1),
               "mean_depth": float(d.mean()) if len(d) else 0.0,
               "peak_live": int(flat.get("peak_live", 0))}
        if mode == "main":
            lab = flat["label"][flat["read"]]
            names = tr.labels
            by = {}
            for i, name in enumerate(names):
                sel = lab == i
                if sel.any():
                    by[name] = {"cost": int(c[sel].sum()),
                                "reads": int(sel.sum())}
            rec["by_function"] = dict(sorted(by.items(),
                                             key=lambda kv: -kv[1]["cost"]))
            edges = [1]
            while edges[-1] < max(int(d.max()) if len(d) else 1, 1):
                edges.append(edges[-1] * 2)
            edges.append(edges[-1] * 2)
            h, _ = np.histogram(d, bins=edges)
            rec["depth_histogram"] = {"bin_lo": edges[:-1],
                                      "reads": h.tolist(),
                                      "cost": np.histogram(
                                          d, bins=edges, weights=c)[0]
                                      .astype(int).tolist()}
        out[mode] = rec
    return out


def slope(xs, ys):
    """Least-squares exponent of y ~ x^a (log-log)."""
    x, y = np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float))
    if len(x) < 2 or np.ptp(x) == 0:
        return None
    return float(np.polyfit(x, y, 1)[0])


def measure_variant(mod, variant, sizes=None, log=print):
    spec = mod.VARIANTS[variant]
    size = spec["size"]
    knob = spec.get("knob", mod.KNOB)
    sizes = list(sizes if sizes is not None else spec["sizes"])
    step = mod.make(variant, size)
    main = measure_step(step)
    scaling = []
    for s in sizes:
        r = main if s == size else measure_step(mod.make(variant, s),
                                                modes=("main",))
        scaling.append({"size": s, "cost": r["main"]["cost"],
                        "n_ops": r["n_ops"],
                        "peak_live": r["main"]["peak_live"]})
        if log:
            log("  %s %s=%s: cost %d, %d ops" % (variant, knob, s,
                                               r["main"]["cost"], r["n_ops"]))
    rec = {"knob": knob, "size": size, "note": step.note or spec.get(
        "note", ""), **main,
           "scaling": scaling,
           "scaling_exponent": slope([r["size"] for r in scaling],
                                     [r["cost"] for r in scaling]),
           "steps_to_result": step.steps, "runs": step.runs,
           "at_headline_size": bool(step.at_headline)}
    if step.steps:
        rec["cost_to_result"] = float(main["main"]["cost"]) * step.steps * \
            max(step.runs or 1, 1)
    return rec


def build(slug, variants=None, sizes=None, root=ad.ROOT, log=print):
    mod = ad.adapter_module(slug)
    hd = ad.headline(slug, root)
    out = {"schema": SCHEMA, "slug": slug,
           "model": "ByteDMD: reads cost ceil(sqrt(LRU depth)), element "
                    "stack with liveness; 'main' = main branch (arguments "
                    "on the stack), 'dev' = dev branch (static argument "
                    "stack, output epilogue)",
           "primary_mode": "main",
           "tool": "python3 bin/dmd.py %s" % slug,
           "headline_wallclock_s": hd.get("wallclock_s"),
           "variants": {}}
    for v in (variants or list(mod.VARIANTS)):
        if log:
            log("%s / %s" % (slug, v))
        out["variants"][v] = measure_variant(mod, v, sizes, log)
    return out


def write(slug, rec, root=ad.ROOT):
    path = os.path.join(root, slug, "dmd.json")
    with open(path, "w") as f:
        json.dump(rec, f, indent=1, default=_jsonable)
        f.write("\n")
    return path


def _jsonable(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, float) and math.isnan(x):
        return None
    return str(x)
