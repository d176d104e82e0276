"""bin/reproduce.py --executor dask: the jobs go to a real Dask cluster and come back.

Dask is optional (requirements-cluster.txt): without it these tests skip, and
reproduce.py itself still works (it imports Dask only for --executor dask).
"""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_stub  # noqa: E402

SKIP_WHY = "needs Dask distributed (python3 -m pip install -r requirements-cluster.txt)"


def _two_records(root):
    """A toy repository with two run records: results.json and runs/seed1.json."""
    d = toy_stub.make_repo(root)
    rec = json.load(open(os.path.join(d, "results.json")))
    argv = rec["command"].split()
    argv[argv.index("--results") + 1] = "toy-stub/runs/seed1.json"
    argv[argv.index("--seed") + 1] = str(int(rec["seed"]) + 1)
    os.makedirs(os.path.join(d, "runs"))
    subprocess.run([sys.executable] + argv[1:], cwd=root, check=True, capture_output=True)
    return d


def test_jobs_run_on_a_local_dask_cluster_and_both_come_back(tmp_path):
    distributed = pytest.importorskip("distributed", reason=SKIP_WHY)
    root = str(tmp_path)
    d = _two_records(root)
    # a real cluster: scheduler and worker on TCP, bound to 127.0.0.1 only; the
    # worker lives in this process, the client is reproduce.py's own process,
    # so each job really is pickled, sent, run and sent back.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp://", host="127.0.0.1",
                                  dashboard_address=None, silence_logs=50) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        r = subprocess.run([sys.executable, os.path.join(root, "bin", "reproduce.py"),
                            "--root", root, "--records", "all", "--executor", "dask",
                            "--scheduler", cluster.scheduler_address],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"on Dask scheduler {cluster.scheduler_address}" in r.stdout
        assert "| toy-stub/results | bit-identical |" in r.stdout
        assert "| toy-stub/seed1 | bit-identical |" in r.stdout
        assert "2 reproduced, 0 failed" in r.stdout
        # the logs came back from the worker
        for name in ("results", "seed1"):
            log = open(os.path.join(root, ".reproduce", f"toy-stub__{name}.log")).read()
            assert "toy_stub.py" in log and "--results" in log
        # a moved metric is still caught when the rerun ran remotely
        toy_stub.edit_record(d, lambda rec: rec["metrics"].update(mean=rec["metrics"]["mean"] * 1.01))
        r = subprocess.run([sys.executable, os.path.join(root, "bin", "reproduce.py"),
                            "--root", root, "--records", "all", "--executor", "dask",
                            "--scheduler", cluster.scheduler_address],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 1 and "toy-stub/results: MISMATCH: mean" in r.stdout
        assert "1 reproduced, 1 failed" in r.stdout


def test_without_a_scheduler_dask_starts_an_in_process_cluster(tmp_path, capsys):
    pytest.importorskip("distributed", reason=SKIP_WHY)
    root = str(tmp_path)
    _two_records(root)
    sys.path.insert(0, os.path.join(toy_stub.REPO, "bin"))
    import reproduce  # noqa: E402
    assert reproduce.main(["--root", root, "--records", "all", "--executor", "dask", "-j", "2"]) == 0
    out = capsys.readouterr().out
    assert "| toy-stub/results | bit-identical |" in out and "| toy-stub/seed1 | bit-identical |" in out


def test_dask_options_need_the_dask_executor(tmp_path):
    root = str(tmp_path)
    toy_stub.make_repo(root)
    r = subprocess.run([sys.executable, os.path.join(root, "bin", "reproduce.py"), "--root", root,
                        "--scheduler", "tcp://127.0.0.1:1"], capture_output=True, text=True)
    assert r.returncode == 2 and "need --executor dask" in r.stderr
