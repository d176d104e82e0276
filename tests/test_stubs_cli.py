"""Every stub's command line keeps the catalog's conventions (SPEC section 3):
it runs from inside its own folder, documents the common flags, and rejects a
bad value with a one-line error and exit status 2 before writing anything."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin"))
import catalog  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUBS = catalog.find_stubs(REPO)


def run_inside(slug, *args):
    return subprocess.run([sys.executable, catalog.slug_module(slug) + ".py", *args],
                          cwd=os.path.join(REPO, slug), capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("slug", STUBS)
def test_help_lists_the_common_flags(slug):
    r = run_inside(slug, "--help")
    assert r.returncode == 0, r.stderr
    for flag in ("--seed", "--quick", "--results"):
        assert flag in r.stdout, f"{slug} --help lacks {flag}"


@pytest.mark.parametrize("slug", STUBS)
def test_bad_seed_is_a_one_line_error_with_status_2(slug, tmp_path):
    out = tmp_path / "r.json"
    r = run_inside(slug, "--seed", "not-a-number", "--results", str(out))
    assert r.returncode == 2
    assert r.stderr.strip(), "no error message"
    assert not out.exists()


KIT = [s for s in STUBS if s not in catalog.LEGACY]


@pytest.mark.parametrize("slug", KIT)
@pytest.mark.parametrize("args", [["--seed", "-1"], ["--bogus-flag"]])
def test_bad_value_is_one_line_and_status_2_before_any_work(slug, args, tmp_path):
    out = tmp_path / "r.json"
    r = run_inside(slug, *args, "--results", str(out))
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stdout == "" and not out.exists()


@pytest.mark.parametrize("slug", KIT)
def test_results_path_that_cannot_be_written_fails_before_any_work(slug, tmp_path):
    for path in (tmp_path / "missing" / "r.json", tmp_path):
        r = run_inside(slug, "--results", str(path))
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""


@pytest.mark.parametrize("slug", KIT)
def test_every_config_field_is_a_documented_flag(slug):
    help_text = run_inside(slug, "--help").stdout
    mod = catalog.slug_module(slug)
    src = open(os.path.join(REPO, slug, mod + ".py")).read()
    import ast
    cfg = next(n for n in ast.parse(src).body if isinstance(n, ast.ClassDef) and n.name == "Config")
    for n in cfg.body:
        if isinstance(n, ast.AnnAssign) and ast.unparse(n.annotation) in ("int", "float", "str", "bool"):
            if not n.target.id.startswith("verdict_"):
                assert "--" + n.target.id.replace("_", "-") in help_text, n.target.id
            on = ast.unparse(n.annotation) == "bool" and isinstance(n.value, ast.Constant) \
                and n.value.value is True
            if on:      # a switch on by default needs its off flag
                assert "--no-" + n.target.id.replace("_", "-") in help_text, n.target.id
