"""The sweep under faults: a Ray worker SIGKILLed in the middle of a training task on a local two-node
cluster, and the driver interrupted (Ctrl-C) and started again."""

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from variantlab.checkpoint import load_checkpoint
from variantlab.sweep import sweep

ROSTER = "roll,dob,program,first,last\nB20AI052,18/03/02,btech,Ayush,Abrol\n"
QUICK = dict(epochs=4, train_limit=3000, seeds=1)


def wait_for(predicate, what: str, limit: float = 300):
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def statuses(out: Path) -> list[str]:
    with open(out / "class_summary.csv") as f:
        return [row["status"] for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    nodes.add_node(num_cpus=1)
    yield nodes
    nodes.shutdown()


def test_a_worker_killed_mid_task_is_retried_and_resumes_to_the_same_result(cluster, tmp_path, fashion_mnist):
    roster = tmp_path / "class.csv"
    roster.write_text(ROSTER)
    straight = sweep(roster, **QUICK, address=cluster.address, out=tmp_path / "straight", show_progress=False)

    finished = []
    driver = threading.Thread(target=lambda: finished.append(
        sweep(roster, **QUICK, address=cluster.address, out=tmp_path / "killed", show_progress=False)))
    driver.start()
    wait_for(lambda: any((tmp_path / "killed" / "variants").glob("*/checkpoints/cnn.pt")), "the first checkpoint")
    checkpoint = next((tmp_path / "killed" / "variants").glob("*/checkpoints/cnn.pt"))
    # The Ray worker running the task holds the run folder's lock and wrote its pid there.
    holder = (checkpoint.parent.parent / ".lock").read_text()
    assert holder.startswith("pid ")
    os.kill(int(holder.split()[1]), signal.SIGKILL)
    at_kill = load_checkpoint(checkpoint)
    assert at_kill["epoch"] < QUICK["epochs"]  # really in the middle of training the CNN
    driver.join(timeout=600)

    assert [row["status"] for row in finished[0]] == ["ok"] == [row["status"] for row in straight]
    results = {name: next((tmp_path / name / "variants").glob("*/results.json")).read_text()
               for name in ("straight", "killed")}
    a, b = json.loads(results["straight"]), json.loads(results["killed"])
    # Resumed, not retrained: the epochs finished before the kill keep their own records, seconds included.
    assert b["cnn"]["history"][:at_kill["epoch"]] == at_kill["history"]
    # And the result is the uninterrupted run's (the CPU path is deterministic).
    for model in ("cnn", "autoencoder", "ae_classifier"):
        assert ([{k: v for k, v in h.items() if k != "seconds"} for h in a[model]["history"]]
                == [{k: v for k, v in h.items() if k != "seconds"} for h in b[model]["history"]])
    for model in ("cnn", "ae_classifier"):
        assert a[model]["test_accuracy"] == b[model]["test_accuracy"]


def test_an_interrupted_driver_started_again_retrains_nothing_finished(tmp_path, fashion_mnist):
    roster = tmp_path / "class.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "variantlab", "sweep", str(roster), "--epochs", "2", "--train-limit", "2000",
            "--seeds", "2", "--cpus-per-run", "2", "--out", str(out)]
    with open(tmp_path / "first.out", "w") as stdout, open(tmp_path / "first.err", "w") as stderr:
        first = subprocess.Popen(args, stdout=stdout, stderr=stderr, text=True)  # files: a full pipe would block it
        wait_for(lambda: len(list(out.glob("variants/*/results.json"))) == 1 or first.poll() is not None,
                 "the first group to finish")
        first.send_signal(signal.SIGINT)
        first.wait(timeout=120)
    err = (tmp_path / "first.err").read_text()
    assert first.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    done = {p.parent.name for p in out.glob("variants/*/results.json")}
    assert len(done) == 1  # one group finished, the other did not
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("variants/*/checkpoints/*.pt") if p.parent.parent.name in done}
    again = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "1 finished before" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # the finished group was not touched
    assert statuses(out) == ["ok"] and len(list(out.glob("variants/*/results.json"))) == 2
