"""Baselines: a student is compared with their own variant's measured numbers, or with the closest
measured variant named with its differences, or told there is none; the reference report's numbers
belong to the reference variant alone; one judgement (`judge`) for runs and claims; the shipped file is
exactly what the script makes of the evidence."""

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest

from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.report.report import baseline_blocks
from variantlab.training import baselines
from variantlab.training.baselines import Table, judge, judge_run
from variantlab.training.config import get_profile
from variantlab.training.results import from_json

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
def table():
    return Table({MNIST_3_2.key: entry(MNIST_3_2, [0.99, 0.992], [0.98, 0.984])})


def test_own_variant_is_used_as_measured(table):
    b = table.for_variant(MNIST_3_2)
    assert b.own and b.key == MNIST_3_2.key and baselines.reference_numbers(MNIST_3_2) is None
    fast = b.profiles["fast"]
    assert fast.mean("cnn") == pytest.approx(0.991) and fast.sd("cnn") == pytest.approx(0.0014142, rel=1e-4)


def test_closest_variant_with_same_dataset_and_classes_names_every_difference(table):
    b = table.for_variant(MNIST_5_1)
    assert not b.own and b.key == MNIST_3_2.key
    assert b.differences == (("feature_extractor", "3 conv + 2 pool", "5 conv + 1 pool"),)
    blocks = blocks_of(MNIST_5_1, table)
    words = " ".join(map(str, blocks))
    assert "has not been measured" in words and MNIST_3_2.key in words
    assert "feature extractor (3 conv + 2 pool there, 5 conv + 1 pool here)" in words
    assert "98.20 ± 0.28 % (2 seeds)" in words  # the AE classifier's baseline, mean ± sd
    [header] = [block.header for block in blocks if hasattr(block, "header")]
    assert header == ("measure", "this run (fast, seed 0)", "fast, closest measured variant")


def test_a_named_profile_takes_the_closest_variant_measured_under_it(table):
    table = Table(dict(table.variants) | {MNIST_5_1.key: entry(MNIST_5_1, [0.99], [0.98], profile="faithful")})
    assert table.for_variant(MNIST_3_2).key == MNIST_3_2.key  # its own, measured under fast only
    closest = table.for_variant(MNIST_3_2, "faithful")
    assert closest.key == MNIST_5_1.key and list(closest.profiles) == ["faithful"]
    assert table.for_variant(MNIST_3_2, "nonesuch") is None


def test_other_dataset_or_classes_give_no_baseline_and_say_how_to_get_one(table):
    other_classes = student_variant("15/03/01", "B20GB041")  # DD odd: rotation, and 15+3+1 odd: classes 1,3,5,7,9
    assert table.for_variant(other_classes) is None
    assert judge(other_classes, "cnn", 0.99, table, profile="fast").verdict == "no_baseline"
    words = " ".join(str(block) for block in blocks_of(other_classes, table))
    assert "No baseline" in words and "--profile faithful" in words


# A real run's results (the grade book's reference-variant seed 0), re-labelled per test.
EVIDENCE = (ROOT / "docs" / "results" / "gradebook"
            / "fashion_mnist-he-flip-max-c13579-4conv1pool-f10-fc256-ae4-aefc256-fast-seed0.json")


def results_of(variant, profile="fast", **extra):
    result = from_json(json.loads(EVIDENCE.read_text()))
    return replace(result, variant=variant, profile=get_profile(profile), **extra)


def blocks_of(variant, table, profile="fast", **extra):
    result = results_of(variant, profile, **extra)
    return baseline_blocks(result, judge_run(result, table))


def test_reference_numbers_only_for_the_reference_variant(table):
    mine = " ".join(map(str, blocks_of(MNIST_3_2, table)))
    assert not any(number in mine for number in REFERENCE_NUMBERS) and "reference report" not in mine
    theirs = " ".join(map(str, blocks_of(FASHION, table)))
    assert all(number in theirs for number in REFERENCE_NUMBERS) and "do not compare" in theirs
    faithful = " ".join(map(str, blocks_of(FASHION, table, "faithful")))
    assert "97.92" in faithful and "do not compare" not in faithful  # same training data as the reference


def test_a_run_unlike_its_baselines_says_so(table):
    assert "Not like for like" not in str(blocks_of(MNIST_3_2, table))
    changed = str(blocks_of(MNIST_3_2, table, changed_settings=("cnn.epochs",), train_limit=1000))
    assert "this run changed cnn.epochs and trained on the first 1000 images only" in changed


def measured_table(cnn, profile="fast", variant=MNIST_3_2):
    return Table({variant.key: entry(variant, list(cnn), list(cnn), profile=profile)})


def test_a_run_is_judged_by_three_spreads_of_its_own_profile():
    table = measured_table((0.98, 0.99))
    sd = table.for_variant(MNIST_3_2).profiles["fast"].sd("cnn")
    assert table.for_variant(MNIST_3_2).profiles["fast"].spread("cnn") == sd  # wider than 5,000 images resolve
    for offset, verdict in ((-3.1, "below_measured"), (-2.9, "plausible"), (2.9, "plausible"),
                            (3.1, "above_measured")):
        j = judge(MNIST_3_2, "cnn", 0.985 + offset * sd, table, profile="fast")
        assert j.verdict == verdict and j.outlier == (verdict != "plausible")
        assert j.upper is j.lower and j.baseline.own and j.caveats == ()
    assert judge(MNIST_3_2, "cnn", 0.5, table, profile="faithful").verdict == "no_baseline"  # only fast measured


def test_a_mean_of_seeds_is_judged_in_a_band_narrower_by_the_root_of_their_number():
    table = measured_table((0.97, 0.99))  # a seed sd of 1.41 points, far above the test set's sampling error
    sd = table.for_variant(MNIST_3_2).profiles["fast"].sd("cnn")
    one, four = (judge(MNIST_3_2, "cnn", 0.98 - 2 * sd, table, profile="fast", runs=n) for n in (1, 4))
    assert one.verdict == "plausible" and one.upper.spread == pytest.approx(sd)
    assert four.verdict == "below_measured" and four.upper.spread == pytest.approx(sd / 2)  # 2 sds = 4 of a mean's


def test_seeds_that_agree_are_judged_by_the_test_sets_sampling_error():
    sampling = (0.99 * 0.01 / 5000) ** 0.5  # 0.14 points of accuracy
    for seeds in ((0.99,), (0.99, 0.99)):
        table = measured_table(seeds)
        assert table.for_variant(MNIST_3_2).profiles["fast"].spread("cnn") == pytest.approx(sampling)
        assert judge(MNIST_3_2, "cnn", 0.99 - 2.9 * sampling, table, profile="fast").verdict == "plausible"
        assert judge(MNIST_3_2, "cnn", 0.99 - 3.1 * sampling, table, profile="fast").verdict == "below_measured"


def test_a_claim_is_bounded_by_fast_above_and_faithful_below():
    table = Table({MNIST_3_2.key: {**entry(MNIST_3_2, [0.99, 0.992], [0.98, 0.984]), "profiles": {
        **entry(MNIST_3_2, [0.99, 0.992], [0.98, 0.984])["profiles"],
        **entry(MNIST_3_2, [0.95], [0.94], profile="faithful")["profiles"]}}})
    assert judge(MNIST_3_2, "cnn", 0.96, table).verdict == "plausible"  # between the two protocols
    assert judge(MNIST_3_2, "cnn", 0.9995, table).verdict == "above_measured"
    assert judge(MNIST_3_2, "cnn", 0.93, table).verdict == "below_measured"
    j = judge(MNIST_3_2, "cnn", 0.93, table)
    assert j.lower.measured.profile == "faithful" and j.upper.measured.profile == "fast" and "faithful's" in j.why
    # Where the reference protocol was never measured, a low claim is not judged, and that is said.
    only_fast = Table({MNIST_3_2.key: entry(MNIST_3_2, [0.99, 0.992], [0.98, 0.984])})
    low = judge(MNIST_3_2, "cnn", 0.5, only_fast)
    assert low.verdict == "not_judged_low" and any("a low claim is not judged" in c for c in low.caveats)
    assert not low.outlier and judge(MNIST_3_2, "cnn", 0.99, only_fast).verdict == "plausible"
    # The closest variant stands in, named in the caveats.
    closest = judge(MNIST_5_1, "cnn", 0.99, table)
    assert any(MNIST_3_2.key in c and "feature extractor" in c for c in closest.caveats)


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
