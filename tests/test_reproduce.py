"""bin/reproduce.py reruns a record's command, and flags a metric that moved."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_stub  # noqa: E402

sys.path.insert(0, os.path.join(toy_stub.REPO, "bin"))


def reproduce(root, *args):
    return subprocess.run([sys.executable, os.path.join(root, "bin", "reproduce.py"),
                           "--root", root, *args], capture_output=True, text=True)


def test_reproduce_matches_then_catches_a_moved_metric(tmp_path):
    root = str(tmp_path)
    d = toy_stub.make_repo(root)
    r = reproduce(root, "-j", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 reproduced, 0 failed" in r.stdout
    toy_stub.edit_record(d, lambda rec: rec["metrics"].update(mean=rec["metrics"]["mean"] * 1.01))
    r = reproduce(root, "toy-stub")
    assert r.returncode == 1
    assert "MISMATCH" in r.stdout and "mean" in r.stdout


def test_reproduce_reports_a_failing_command(tmp_path):
    root = str(tmp_path)
    d = toy_stub.make_repo(root)
    toy_stub.edit_record(d, lambda rec: rec.update(command=rec["command"] + " --no-such-flag"))
    r = reproduce(root)
    assert r.returncode == 1 and "FAILED" in r.stdout


def test_reproduce_rejects_bad_arguments(tmp_path):
    root = str(tmp_path)
    toy_stub.make_repo(root)
    assert reproduce(root, "no-such-stub").returncode == 2
    assert reproduce(root, "-j", "0").returncode == 2


def test_update_refreshes_only_a_record_that_reproduced(tmp_path):
    import json
    root = str(tmp_path)
    d = toy_stub.make_repo(root)
    toy_stub.edit_record(d, lambda rec: rec.update(wallclock_s=123.0))
    assert reproduce(root, "--update").returncode == 0
    rec = json.load(open(os.path.join(d, "results.json")))
    assert rec["wallclock_s"] != 123.0
    assert rec["command"].endswith("--results toy-stub/results.json")
    toy_stub.edit_record(d, lambda rec: rec.update(wallclock_s=123.0) or rec["metrics"].update(mean=0.0))
    assert reproduce(root, "--update").returncode == 1
    assert json.load(open(os.path.join(d, "results.json")))["wallclock_s"] == 123.0


def test_timings_are_not_compared():
    import reproduce  # noqa: E402
    n, worst, bad = reproduce.compare({"loss": 1.0, "train_s": 3.0, "per_seed": [{"cpu_s": 1.0}], "train_s_per_seed": [1.0]},
                                      {"loss": 1.0, "train_s": 9.0, "per_seed": [{"cpu_s": 5.0}], "train_s_per_seed": [2.0]}, 0.0)
    assert bad == [] and worst == 0.0
    assert reproduce.compare({"loss": 1.0}, {"loss": 1.1}, 0.01)[2] == ["loss"]


def _status_row(stdout, record="toy-stub/results"):
    """The final table's row of one record, as a list of cells."""
    for line in stdout.splitlines():
        if line.startswith(f"| {record} |"):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no row for {record} in:\n{stdout}")


def _metric_keys(d):
    import json
    import reproduce  # noqa: E402
    metrics = json.load(open(os.path.join(d, "results.json")))["metrics"]
    return [k for k in reproduce.leaves(metrics) if not reproduce.is_timing(k)]


def test_a_bit_identical_rerun_says_so_and_ignores_the_seeds_key(tmp_path):
    root = str(tmp_path)
    d = toy_stub.make_repo(root)
    toy_stub.edit_record(d, lambda rec: rec.update(
        seeds={"used": [0, 1], "development": [100, 101], "reporting": [0, 1], "role": "reporting"}))
    r = reproduce(root, "-j", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    row = _status_row(r.stdout)
    assert row[1:3] == ["bit-identical", "all"] and row[4] == "0", row
    assert int(row[3]) == len(_metric_keys(d)), row
    assert "1 reproduced, 0 failed (1 bit-identical, 0 within tolerance)" in r.stdout


def test_a_rerun_that_moved_within_tolerance_reproduces_but_is_not_bit_identical(tmp_path):
    root = str(tmp_path)
    d = toy_stub.make_repo(root)

    def moved(rec):
        rec["tolerance"] = {"rel": 0.05, "basis": "toy: 5% is what a different BLAS could move"}
        rec["metrics"]["mean"] *= 1.01
    toy_stub.edit_record(d, moved)
    r = reproduce(root, "-j", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    row = _status_row(r.stdout)
    assert row[1] == "within tolerance" and row[2] == "all", row
    assert 0.009 < float(row[5]) < 0.011  # the 1% move is the largest relative difference
    assert "bit-identical" not in row
    # the same move beyond the tolerance is a mismatch
    toy_stub.edit_record(d, lambda rec: rec["tolerance"].update(rel=0.001))
    r = reproduce(root, "-j", "1")
    assert r.returncode == 1 and _status_row(r.stdout)[1] == "MISMATCH"


def test_listed_metrics_only_are_compared_and_the_others_are_reported(tmp_path):
    root = str(tmp_path)
    d = toy_stub.make_repo(root)

    def listed(rec):  # nested.n plays a chaotic per-seed value that moved
        rec["tolerance"] = {"rel": 1e-12, "basis": "toy", "metrics": ["mean"]}
        rec["metrics"]["nested"]["n"] += 7
    toy_stub.edit_record(d, listed)
    r = reproduce(root, "-j", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    row = _status_row(r.stdout)
    assert row[1:4] == ["within tolerance", "listed", "1"], row
    assert int(row[4]) == len(_metric_keys(d)) - 1, row  # every metric but mean
    line = [x for x in r.stdout.splitlines() if "not compared (not in tolerance.metrics):" in x]
    assert len(line) == 1, r.stdout
    names = line[0].split("tolerance.metrics): ")[1].split(", ")
    assert "nested.n" in names and "mean" not in names
    # a listed metric that moved is caught; an unlisted one still is not
    toy_stub.edit_record(d, lambda rec: rec["metrics"].update(mean=rec["metrics"]["mean"] * 1.01))
    r = reproduce(root, "-j", "1")
    assert r.returncode == 1 and "toy-stub/results: MISMATCH: mean" in r.stdout
    # a name covers what is nested under it; a listed metric nobody has is a mismatch
    toy_stub.edit_record(d, lambda rec: rec["tolerance"].update(metrics=["nested", "no_such"]))
    r = reproduce(root, "-j", "1")
    assert r.returncode == 1 and "toy-stub/results: MISMATCH: no_such, nested.n" in r.stdout


def test_assess_modes():
    import reproduce  # noqa: E402
    old = {"mean": 1.0, "nan": float("nan"), "train_s": 2.0, "per_seed": [3.0, 4.0], "label": "a"}
    same = dict(old, train_s=9.0)
    a = reproduce.assess(old, same, {"rel": 0.0})
    assert (a["status"], a["mode"], a["n"], a["bad"]) == ("bit-identical", "all", 5, [])
    a = reproduce.assess(old, dict(same, mean=1.0 + 1e-9), {"rel": 1e-6})
    assert a["status"] == "within tolerance" and 0 < a["worst"] < 1e-8
    a = reproduce.assess(old, dict(same, label="b"), {"rel": 0.5})
    assert a["status"] == "MISMATCH" and a["bad"] == ["label"]
    a = reproduce.assess(old, dict(same, per_seed=[3.5, 4.0]), {"rel": 0.0, "metrics": ["mean", "nan"]})
    assert (a["status"], a["mode"], a["n"]) == ("within tolerance", "listed", 2)
    assert a["not_compared"] == ["label", "per_seed.0", "per_seed.1"]
    a = reproduce.assess(old, same, {"rel": 0.0, "metrics": ["mean"]})
    assert a["status"] == "bit-identical"
    assert reproduce.assess(old, same, None)["status"] == "bit-identical"
