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
