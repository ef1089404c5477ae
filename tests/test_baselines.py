"""Baselines: a student is compared with their own variant's measured numbers, or with the closest
measured variant named with its differences, or told there is none; the reference report's numbers
belong to the reference variant alone; the shipped file is exactly what the script makes of the evidence."""

import importlib.util
import json
from pathlib import Path

import pytest

from variantlab import baselines
from variantlab.report import baseline_blocks
from variantlab.rules import derive
from variantlab.student import parse_student

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_NUMBERS = ("97.92", "97.12", "0.9885", "0.0330", "0.544", "0.516", "0.9856", "0.0402")


def student_variant(dob: str, roll: str):
    return derive(parse_student(dob, roll, "btech"))


def entry(variant, cnn, aec, profile="fast"):
    return {"variant": {k: v for k, v in variant.to_dict().items() if k != "reasons"},
            "profiles": {profile: {"seeds": list(range(len(cnn))), "cnn": cnn, "ae_classifier": aec,
                                   "seconds": [100.0] * len(cnn), "machine": "test CPU", "test_size": 5000}}}


MNIST_3_2 = student_variant("14/03/01", "B20GB041")  # MNIST, 3+2, flip, He, max, classes 0,2,4,6,8
MNIST_5_1 = student_variant("14/03/01", "B20GB047")  # the same but 5+1, FC 256 -> 256: layout differs
FASHION = student_variant("18/03/02", "B20AI052")  # the reference variant


@pytest.fixture
def table(monkeypatch):
    measured = {MNIST_3_2.key: entry(MNIST_3_2, [0.99, 0.992], [0.98, 0.984])}
    monkeypatch.setattr(baselines, "_table", lambda: measured)
    return measured


def test_own_variant_is_used_as_measured(table):
    b = baselines.for_variant(MNIST_3_2)
    assert b.own and b.key == MNIST_3_2.key and b.reference_report is None
    fast = b.profiles["fast"]
    assert fast.mean("cnn") == pytest.approx(0.991) and fast.sd("cnn") == pytest.approx(0.0014142, rel=1e-4)
    assert fast.words("ae_classifier") == "98.20 ± 0.28 % (2 seeds)"


def test_closest_variant_with_same_dataset_and_classes_names_every_difference(table):
    b = baselines.for_variant(MNIST_5_1)
    assert not b.own and b.key == MNIST_3_2.key
    assert b.differences == (("feature_extractor", "3 conv + 2 pool", "5 conv + 1 pool"),)
    blocks = baseline_blocks(results_of(MNIST_5_1))
    words = " ".join(map(str, blocks))
    assert "has not been measured" in words and MNIST_3_2.key in words
    assert "feature extractor (3 conv + 2 pool there, 5 conv + 1 pool here)" in words
    [header] = [block[1] for block in blocks if block[0] == "table"]
    assert header == ["measure", "this run (fast, seed 0)", "fast, closest measured variant"]


def test_a_named_profile_takes_the_closest_variant_measured_under_it(table):
    table[MNIST_5_1.key] = entry(MNIST_5_1, [0.99], [0.98], profile="faithful")
    assert baselines.for_variant(MNIST_3_2).key == MNIST_3_2.key  # its own, measured under fast only
    closest = baselines.for_variant(MNIST_3_2, "faithful")
    assert closest.key == MNIST_5_1.key and list(closest.profiles) == ["faithful"]
    assert baselines.for_variant(MNIST_3_2, "nonesuch") is None


def test_other_dataset_or_classes_give_no_baseline_and_say_how_to_get_one(table):
    other_classes = student_variant("15/03/01", "B20GB041")  # DD odd: rotation, and 15+3+1 odd: classes 1,3,5,7,9
    assert baselines.for_variant(other_classes) is None
    words = " ".join(str(block) for block in baseline_blocks(results_of(other_classes)))
    assert "No baseline" in words and "--profile faithful" in words


def results_of(variant, profile="fast", **extra):
    history = [{"train_accuracy": 0.9, "train_loss": 0.3}]
    return {"variant": variant.to_dict(), "settings": {"name": profile}, "seed": 0,
            "cnn": {"test_accuracy": 0.9876, "history": history}, "autoencoder": {"history": history},
            "ae_classifier": {"test_accuracy": 0.9765, "history": history}} | extra


def test_reference_numbers_only_for_the_reference_variant(table):
    mine = " ".join(map(str, baseline_blocks(results_of(MNIST_3_2))))
    assert not any(number in mine for number in REFERENCE_NUMBERS) and "reference report" not in mine
    theirs = " ".join(map(str, baseline_blocks(results_of(FASHION))))
    assert all(number in theirs for number in REFERENCE_NUMBERS) and "do not compare" in theirs
    faithful = " ".join(map(str, baseline_blocks(results_of(FASHION, "faithful"))))
    assert "97.92" in faithful and "do not compare" not in faithful  # same training data as the reference


def test_a_run_unlike_its_baselines_says_so(table):
    assert "Not like for like" not in str(baseline_blocks(results_of(MNIST_3_2)))
    changed = str(baseline_blocks(results_of(MNIST_3_2, changed_settings=["cnn.epochs"], train_limit=1000)))
    assert "this run changed cnn.epochs and trained on the first 1000 images only" in changed


def test_outlier_is_more_than_three_sd_below():
    measured = baselines.Measured("fast", (0, 1), {"cnn": (0.98, 0.99)}, (1.0, 1.0), "cpu", 5000)
    sd = measured.sd("cnn")
    assert measured.spread("cnn") == sd  # the seeds spread wider than 5,000 test images can resolve
    assert not baselines.below(0.985 - 2.9 * sd, measured, "cnn")
    assert baselines.below(0.985 - 3.1 * sd, measured, "cnn")


def test_seeds_that_agree_are_judged_by_the_test_sets_sampling_error():
    sampling = (0.99 * 0.01 / 5000) ** 0.5  # 0.14 points of accuracy
    for seeds in ((0.99,), (0.99, 0.99)):
        measured = baselines.Measured("fast", tuple(range(len(seeds))), {"cnn": seeds}, (1.0,) * len(seeds), "cpu", 5000)
        assert measured.spread("cnn") == pytest.approx(sampling)
        assert not baselines.below(0.99 - 2.9 * sampling, measured, "cnn")
        assert baselines.below(0.99 - 3.1 * sampling, measured, "cnn")


def test_shipped_file_is_what_the_script_makes_of_the_evidence():
    spec = importlib.util.spec_from_file_location("make_baselines", ROOT / "benchmarks" / "baselines.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shipped = json.loads(baselines.FILE.read_text())["variants"]
    assert shipped, "the package ships no baselines"
    assert script.summarise(script.load_runs()) == shipped
    assert baselines.reference_variant().key in shipped
    doc = script.DOC.read_text()
    assert doc[doc.index(script.BEGIN) + len(script.BEGIN):doc.index(script.END)].strip() == script.table(shipped)
