"""One smoke test per adapter: the step traces at its smallest size, with no
bulk-costed fallback, and leaves the stub's numbers bit-identical; plus the
catalog hook (missing_adapters) and the CLI on a small sweep."""
import importlib.util
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from dmd import adapters as ad  # noqa: E402
from dmd.core import cost_of_depth, depths  # noqa: E402
from dmd.trace import trace_call  # noqa: E402

SLUGS = ad.available()


@pytest.mark.parametrize("slug", SLUGS)
def test_adapter_smoke(slug):
    """Each variant at its smallest size: traced once, state byte-identical
    to an untraced run, bulk fallbacks only where the adapter declares them
    (EXPECTED_FALLBACKS), a positive price."""
    mod = ad.adapter_module(slug)
    assert mod.SLUG == slug and mod.KNOB and mod.VARIANTS
    allowed = set(getattr(mod, "EXPECTED_FALLBACKS", ()))
    for variant, spec in mod.VARIANTS.items():
        size = min(spec["sizes"])
        step = mod.make(variant, size)
        ref_state = {k: np.array(v, copy=True) for k, v in step.state.items()}
        ref_batch = {k: np.array(v, copy=True) for k, v in step.batch.items()}
        mod.make(variant, size).fn(ref_state, ref_batch)
        T, _, st = trace_call(mod.make(variant, size).fn,
                              {k: np.array(v, copy=True)
                               for k, v in step.state.items()},
                              step.batch, label_files=step.files)
        for k in ref_state:
            assert np.asarray(st[k]).tobytes() == \
                np.asarray(ref_state[k]).tobytes(), (slug, variant, k)
        assert set(T.fallbacks) <= allowed, (slug, variant, dict(T.fallbacks))
        assert not T.untracked_state, (slug, variant, T.untracked_state)
        flat, d = depths(T.trace)
        assert T.trace.n_instructions() > 0 and len(d) > 0
        assert cost_of_depth(d).sum() > 0 and flat["peak_live"] >= 1


def _bin_dmd():
    spec = importlib.util.spec_from_file_location(
        "bin_dmd", os.path.join(ROOT, "bin", "dmd.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def test_missing_adapters_hook(tmp_path):
    m = _bin_dmd()
    miss = m.missing_adapters(ROOT)
    assert isinstance(miss, list)
    for s in SLUGS:
        if s in m.stubs(ROOT):
            assert s not in miss
    (tmp_path / "new-stub").mkdir()
    (tmp_path / "new-stub" / "new_stub.py").write_text("")
    assert m.missing_adapters(str(tmp_path)) == ["new-stub"]


def test_cli_report_fields(capsys):
    m = _bin_dmd()
    assert m.main(["bars", "--sizes", "2", "--stdout"]) == 0
    import json
    rec = json.loads(capsys.readouterr().out)
    r = rec["variants"]["wake-sleep"]
    for key in ("n_ops", "main", "dev", "scaling", "steps_to_result",
                "fallbacks", "escapes"):
        assert key in r
    for key in ("cost", "cost_bytes", "cost_per_op", "by_function",
                "depth_histogram", "peak_live"):
        assert key in r["main"]
    assert rec["primary_mode"] == "main"


def test_reports_match_adapters():
    """Every <slug>/dmd.json names the modes and the adapter's variants."""
    import json
    m = _bin_dmd()
    for slug in SLUGS:
        path = os.path.join(ROOT, slug, "dmd.json")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            rec = json.load(f)
        assert rec["primary_mode"] == "main" and "dev" in rec["model"]
        assert set(rec["variants"]) == set(ad.adapter_module(slug).VARIANTS)
    assert "| stub |" in m.summary(ROOT)
