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
