"""The sweep under faults: the driver interrupted (Ctrl-C) and started again, and a Ray worker SIGKILLed in
the middle of a training task on a local two-node cluster."""

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

from variantlab.course.sweep import sweep
from variantlab.training.checkpoint import load_checkpoint

pytestmark = pytest.mark.trains  # trains real models: `make quick` leaves these out

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


def test_an_interrupted_driver_started_again_retrains_nothing_finished(tmp_path, fashion_mnist):
    """The interrupt comes when the first group's result reaches the driver, and on a one-CPU cluster the
    second group cannot have finished by then: the same outcome on any machine."""
    from ray.cluster_utils import Cluster

    roster = tmp_path / "class.csv"
    roster.write_text(ROSTER)
    out = tmp_path / "out"
    quick = dict(epochs=2, train_limit=2000, seeds=2, out=out, show_progress=False)
    returned = []

    def interrupt(group):
        returned.append(group)
        raise KeyboardInterrupt

    one_cpu = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        with pytest.raises(KeyboardInterrupt):
            sweep(roster, **quick, address=one_cpu.address, on_group_done=interrupt)
    finally:
        one_cpu.shutdown()
    [first] = returned
    assert first.result is not None and first.error == ""
    done = {p.parent.name for p in out.glob("variants/*/results.json")}
    assert done == {first.key}  # the first group finished, the second did not
    assert not (out / "class_summary.csv").exists()  # the driver stopped where it was interrupted
    stamps = {p: p.stat().st_mtime_ns for p in out.glob(f"variants/{first.key}/checkpoints/*.pt")}
    assert len(stamps) == 3
    again = subprocess.run([sys.executable, "-m", "variantlab", "sweep", str(roster), "--epochs", "2", "--train-limit",
                            "2000", "--seeds", "2", "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "1 finished before" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # the finished group was not touched
    assert statuses(out) == ["ok"] and len(list(out.glob("variants/*/results.json"))) == 2


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

    assert [row.status for row in finished[0]] == ["ok"] == [row.status for row in straight]
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


