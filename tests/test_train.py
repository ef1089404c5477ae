"""The training loop on real data: learning, checkpoints, resume after SIGKILL, the NaN guard."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from variantlab.data.batches import DeviceBatches
from variantlab.data.datasets import select_classes, to_float
from variantlab.errors import TrainingDiverged, UserError
from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.training.checkpoint import load_checkpoint
from variantlab.training.config import FitSpec, TrainConfig, get_profile
from variantlab.training.models import build_cnn
from variantlab.training.train import WeightAverage, evaluate_batches, fit

pytestmark = pytest.mark.trains  # trains real models: `make quick` leaves these out

VARIANT = derive(parse_student("18/03/02", "B20AI052", "btech"))
CFG = TrainConfig(epochs=2, batch_size=100, optimizer="adamw", lr=2e-3, weight_decay=0.0, schedule="onecycle",
                  warmup=0.2, label_smoothing=0.0)


def classify(cfg: TrainConfig = CFG) -> FitSpec:
    return FitSpec(cfg, "classify")


@pytest.fixture(scope="module")
def small(fashion_mnist):
    return select_classes(fashion_mnist, VARIANT.classes, train_limit=1000)


def cnn(seed=0):
    torch.manual_seed(seed)
    return build_cnn(VARIANT, get_profile("fast"), (1, 28, 28), 5)


def test_a_few_epochs_on_real_data_lower_the_loss(small, tmp_path):
    batches = DeviceBatches(small.train.images, small.train.labels, 100, torch.Generator().manual_seed(0))
    history = fit(cnn(), batches, classify(CFG), checkpoint=tmp_path / "c.pt", identity={})
    assert history[1].train_loss < history[0].train_loss < 1.7  # ln 5 = 1.61 is chance
    assert history[1].train_accuracy > 0.6
    state = load_checkpoint(tmp_path / "c.pt")  # weights_only=True inside
    assert state["epoch"] == 2 and state["history"] == [e.to_dict() for e in history]


class Interrupted(Exception):
    pass


def stop_after_first_epoch(history, weights):
    if len(history) == 1:
        raise Interrupted


def test_resume_continues_and_other_settings_are_refused(small, tmp_path):
    def batches():
        return DeviceBatches(small.train.images, small.train.labels, 100, torch.Generator().manual_seed(0))
    straight = cnn()
    fit(straight, batches(), classify(CFG), checkpoint=tmp_path / "a.pt", identity={"k": 1})
    with pytest.raises(Interrupted):  # stopped after epoch 1's checkpoint, as Ctrl-C there would
        fit(cnn(), batches(), classify(CFG), checkpoint=tmp_path / "b.pt", identity={"k": 1},
            on_epoch=stop_after_first_epoch)
    assert load_checkpoint(tmp_path / "b.pt")["epoch"] == 1
    # The checkpoint belongs to the run whose settings wrote it: any other is refused, and nothing changes.
    with pytest.raises(UserError, match="other settings"):
        fit(cnn(), batches(), classify(CFG), checkpoint=tmp_path / "b.pt", identity={"k": 2})
    assert load_checkpoint(tmp_path / "b.pt")["epoch"] == 1
    # The same settings resume at epoch 2, from other initial weights even, and end where the straight run did.
    resumed = cnn(seed=5)
    history = fit(resumed, batches(), classify(CFG), checkpoint=tmp_path / "b.pt", identity={"k": 1})
    assert [h.epoch for h in history] == [1, 2]
    for a, b in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)
    # A finished checkpoint is not trained again.
    again = cnn(seed=6)
    assert len(fit(again, batches(), classify(CFG), checkpoint=tmp_path / "a.pt", identity={"k": 1})) == 2
    for a, b in zip(straight.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)


def test_weight_average_ramps_its_decay_then_keeps_it():
    model = torch.nn.Linear(1, 1, bias=False)
    average = WeightAverage(model, decay=0.5)
    expected = model.weight.item()
    for step, value in enumerate([4.0, 8.0, 2.0, 6.0], start=1):
        model.weight.data.fill_(value)
        average.update(model)
        decay = min(0.5, (1 + step) / (10 + step))  # 2/11, 3/12, then the cap
        expected = decay * expected + (1 - decay) * value
        assert average.module.weight.item() == pytest.approx(expected)
    assert not average.module.weight.requires_grad


def test_with_ema_the_average_is_validated_and_delivered(small, tmp_path):
    def batches():
        return DeviceBatches(small.train.images, small.train.labels, 100, torch.Generator().manual_seed(0))
    val = DeviceBatches(small.test.images[:500], small.test.labels[:500], 250, torch.Generator(), shuffle=False)
    cfg = TrainConfig(**{**CFG.__dict__, "ema": 0.9})
    model = cnn()
    history = fit(model, batches(), classify(cfg), checkpoint=tmp_path / "e.pt", identity={}, val=val)
    state = load_checkpoint(tmp_path / "e.pt")
    assert state["average"]["steps"] == 2 * len(batches())
    averaged, raw = state["average"]["module"], state["model"]
    assert all(torch.equal(model.state_dict()[k], averaged[k]) for k in averaged)
    assert not all(torch.equal(raw[k], averaged[k]) for k in raw)
    assert history[-1].val_accuracy == evaluate_batches(model, val, "classify", False)[1]
    # A finished run loaded again delivers the average, not the last weights.
    again = cnn(seed=3)
    fit(again, batches(), classify(cfg), checkpoint=tmp_path / "e.pt", identity={}, val=val)
    assert all(torch.equal(again.state_dict()[k], averaged[k]) for k in averaged)


def test_nan_loss_stops_with_epoch_and_step_and_keeps_the_checkpoint(small, tmp_path):
    images = to_float(small.train.images[:500])
    generator = torch.Generator().manual_seed(0)
    model = cnn()
    ckpt = tmp_path / "n.pt"
    fit(model, DeviceBatches(images, small.train.labels[:500], 100, generator, shuffle=False),
        classify(TrainConfig(**{**CFG.__dict__, "epochs": 1})), checkpoint=ckpt, identity={})
    before = {k: v.clone() for k, v in load_checkpoint(ckpt)["model"].items()}
    poisoned = images.clone()
    poisoned[250, 0, 5, 5] = float("nan")  # batch 3 of 5 without shuffling
    with pytest.raises(TrainingDiverged) as e:
        fit(model, DeviceBatches(poisoned, small.train.labels[:500], 100, generator, shuffle=False),
            classify(TrainConfig(**{**CFG.__dict__, "epochs": 2})), checkpoint=tmp_path / "m.pt", identity={},
            label="cnn")
    assert (e.value.epoch, e.value.step) == (1, 3)
    assert "cnn: the training loss became nan at epoch 1, step 3" in str(e.value)
    assert not (tmp_path / "m.pt").exists()  # nothing written for the bad epoch
    assert all(torch.equal(before[k], v) for k, v in load_checkpoint(ckpt)["model"].items())


def test_nan_in_a_later_epoch_keeps_the_last_good_checkpoint(small, tmp_path):
    images = to_float(small.train.images[:500])
    labels = small.train.labels[:500]
    ckpt, after_one = tmp_path / "k.pt", tmp_path / "after-epoch-1.pt"
    two = TrainConfig(**{**CFG.__dict__, "epochs": 2})

    def keep_first(history, weights):
        if len(history) == 1:
            shutil.copyfile(ckpt, after_one)
    fit(cnn(), DeviceBatches(images, labels, 100, torch.Generator(), shuffle=False), classify(two),
        checkpoint=ckpt, identity={}, on_epoch=keep_first)
    shutil.copyfile(after_one, ckpt)  # as if killed after epoch 1
    poisoned = images.clone()
    poisoned[420] = float("inf")
    with pytest.raises(TrainingDiverged) as e:
        fit(cnn(), DeviceBatches(poisoned, labels, 100, torch.Generator(), shuffle=False), classify(two),
            checkpoint=ckpt, identity={})
    assert (e.value.epoch, e.value.step) == (2, 5)
    assert f"last good checkpoint ({ckpt}, end of epoch 1)" in str(e.value)
    assert load_checkpoint(ckpt)["epoch"] == 1


def run_cli(out, *extra):
    args = [sys.executable, "-m", "variantlab", "run", "--dob", "18/03/02", "--roll", "B20AI052", "--program",
            "btech", "--epochs", "3", "--train-limit", "1500", "--device", "cpu", "--out", str(out), *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_and_resume_gives_the_uninterrupted_result(tmp_path, fashion_mnist):
    """The killed run's lock file stays behind and does not block the run that resumes it."""
    straight = run_cli(tmp_path / "straight")
    killed = run_cli(tmp_path / "killed")
    checkpoint = tmp_path / "killed" / "checkpoints" / "cnn.pt"
    deadline = time.monotonic() + 300
    while not checkpoint.exists():
        assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert (tmp_path / "killed" / ".lock").read_text().startswith(f"pid {killed.pid} on ")
    assert load_checkpoint(checkpoint)["epoch"] < 3  # really stopped mid-training
    assert not (tmp_path / "killed" / "results.json").exists()
    resumed = run_cli(tmp_path / "killed")
    for process in (straight, resumed):
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    a = json.loads((tmp_path / "straight" / "results.json").read_text())
    b = json.loads((tmp_path / "killed" / "results.json").read_text())
    for model in ("cnn", "autoencoder", "ae_classifier"):
        strip = [{k: v for k, v in h.items() if k != "seconds"} for h in a[model]["history"]]
        assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in b[model]["history"]]
        state_a = load_checkpoint(tmp_path / "straight" / "checkpoints" / f"{model}.pt")
        state_b = load_checkpoint(tmp_path / "killed" / "checkpoints" / f"{model}.pt")
        wa, wb = state_a["model"], state_b["model"]
        assert all(torch.equal(wa[k], wb[k]) for k in wa)
        average_a, average_b = state_a["average"], state_b["average"]
        assert (average_a is None) == (average_b is None)
        if average_a is not None:
            assert all(torch.equal(average_a["module"][k], average_b["module"][k]) for k in average_a["module"])
    assert a["cnn"]["test_accuracy"] == b["cnn"]["test_accuracy"]
    assert a["ae_classifier"]["test_accuracy"] == b["ae_classifier"]["test_accuracy"]
