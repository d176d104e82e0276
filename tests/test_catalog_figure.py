"""The catalog-wide ratio figure and the readability of the generated pages."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_stub  # noqa: E402

REPO = toy_stub.REPO
sys.path.insert(0, os.path.join(REPO, "bin"))
import catalog  # noqa: E402
import catalog_figure  # noqa: E402


def test_committed_ratio_figure_matches_the_run_records():
    assert catalog_figure.stale(REPO) == []
    assert os.path.getsize(os.path.join(REPO, catalog_figure.PNG)) < 500 * 1024


def test_ratio_figure_goes_stale_when_a_record_changes(tmp_path):
    root = str(tmp_path)
    d = toy_stub.make_repo(root)                    # generating the catalog draws it
    assert catalog_figure.stale(root) == []
    os.remove(os.path.join(root, catalog_figure.PNG))
    assert catalog_figure.stale(root) != []          # missing
    assert catalog_figure.main(["--root", root]) == 0
    assert catalog_figure.stale(root) == []
    row = json.load(open(os.path.join(root, catalog_figure.SIDECAR)))["rows"][0]
    assert row["slug"] == "toy-stub" and abs(row["ratio"] - row["ours"] / 0.5) < 1e-5
    toy_stub.edit_record(d, lambda r: r["headline"].update(ours=0.25, std=0.01))
    assert catalog_figure.main(["--root", root, "--check"]) == 1
    catalog_figure.write(root)
    row = json.load(open(os.path.join(root, catalog_figure.SIDECAR)))["rows"][0]
    assert row["ratio"] == 0.5 and row["lo"] == 0.48 and row["hi"] == 0.52


def test_generated_text_has_no_issue_numbers_and_no_link_headings():
    assert catalog.plain("yes if x >= 9/10 (issue #4 targets, full gradient)") == \
        "yes if x >= 9/10 (targets, full gradient)"
    assert catalog.plain("Schmidhuber 1989, as quoted in issue #3: 3 hidden") == \
        "Schmidhuber 1989: 3 hidden"
    assert catalog.plain("about 0.1 bits (as quoted in issue #8; one summary gives 0.08)") == \
        "about 0.1 bits (one summary gives 0.08)"
    for text in (catalog.results_md(REPO), catalog.visual_tour_md(REPO),
                 catalog.catalog_table(REPO)):
        # issue references; a grammar's number ("Tomita grammar #4") is not one
        assert not re.search(r"issue\s*#\d|\(#\d+[),;]|^#\d+\b", text, re.M)
        assert not re.search(r"^#+\s*\[", text, re.M)       # a heading that is a link


def test_headline_label_units_seeds_and_runs_for_old_and_new_records():
    old = {"metric": "mean_presentations", "ours": 638.25, "paper": 619}
    assert catalog.headline_label(old) == "mean presentations"
    assert catalog.short_headline(old) == "mean presentations: 638.2 (paper 619)"
    assert catalog.runs_text(old) == "—"
    new = dict(old, label="presentations to solve XOR (mean over runs)", std=40.5,
               runs=20, paper_runs=20)
    assert catalog.short_headline(new).startswith("presentations to solve XOR")
    assert "± 40.5" in catalog.fmt_ours(new)
    assert catalog.runs_text(new) == "20 runs (paper 20)"
    rec = {"seed": 100, "seeds": {"used": [100, 120], "development": [0, 100],
                                  "reporting": [100, 200], "role": "reporting"}}
    assert catalog.seeds_text(rec) == \
        "reporting seeds 100–119 (tuned on development seeds 0–99)"
    assert "no seed blocks" in catalog.seeds_text({"seed": 0})
