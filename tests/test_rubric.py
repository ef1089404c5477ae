"""Marks from the real checker's verdicts: the default rubric adds up to the paper's 100; a violation costs its
points and cites the line that shows it, a contradiction half; the grader's adjustments replace an item or add
others, and a malformed row is one error naming its line; a Keras submission scores as the paper says."""

import json
import random
import sys
import tomllib
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import pytest

from variantlab.check.adjustments import OTHER, read_adjustments
from variantlab.check.check import ASPECTS, check
from variantlab.check.rubric import Seen, load_rubric, mark, mark_missing, parse_rubric, seen_in
from variantlab.check.submission import read_submission
from variantlab.errors import UserError
from variantlab.exam.student import parse_student

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate, notebook, plan

# DD = 14 (even), MM = 4 (even: AvgPool, Xavier), ABC = 052 (even: FashionMNIST): the reference's roll, other date
STUDENT = parse_student("14/04/02", "B20AI052", "btech", "Meera", "Iyer")
COMPARISON = ("The CNN reaches a higher test accuracy than the autoencoder classifier, as its convolutions see the "
              "shapes the encoder's dense layers flatten away.")


def submission(tmp_path: Path, style: str = "modules", built: dict | None = None, contradicted: dict | None = None,
               extra_markdown: str = "", name: str = "B20AI052.ipynb") -> Path:
    """A notebook the corpus writes for STUDENT, with the aspects in `built` built otherwise and those in
    `contradicted` stated otherwise in a later note."""
    p = plan(STUDENT, random.Random(1), wrong_code=0, wrong_text=0)
    p.built |= built or {}
    p.contradicted |= contradicted or {}
    text = json.loads(notebook(p, style, random.Random(1)))
    if extra_markdown:
        text["cells"].append({"cell_type": "markdown", "metadata": {}, "source": [extra_markdown]})
    path = tmp_path / name
    path.write_text(json.dumps(text))
    return path


def marked(path: Path, rubric=None, adjustments=(), names=None):
    rubric = rubric or load_rubric()
    result = check(path, STUDENT).to_json()
    return mark(result, rubric, seen_in(read_submission(path), names), adjustments), result


def rubric_with(**changes) -> object:
    data = tomllib.loads((files("variantlab.check") / "rubric_default.toml").read_text())
    return parse_rubric(data | changes, "test")


def test_the_default_rubric_is_the_papers_100_marks_over_its_two_questions():
    rubric = load_rubric()
    assert rubric.maximum == 100
    assert rubric.parts() == {"Question 1": 50, "Question 2": 50}
    assert sorted(i.aspect for i in rubric.items if i.score == "aspect") == sorted(ASPECTS)  # each aspect once
    assert {i.handin for i in rubric.items if i.score == "handin"} == {"report_pdf", "readme", "video", "zip_name"}
    assert {i.network for i in rubric.items if i.score == "claim"} == {"cnn", "ae_classifier"}
    assert rubric.tensorflow == "all"
    criteria = {i.criterion for i in rubric.items}
    assert criteria == {"Working code", "Analysis and clarity of results", "Hyperparameters from your details",
                        "Understanding and choice of hyperparameters"}


def test_a_violation_costs_the_items_points_and_cites_the_code_and_the_rule(tmp_path):
    marks, result = marked(submission(tmp_path, built={"pool": "max"}))
    assert result["aspects"]["pool"]["verdict"] == "violates"
    pool = marks.of("q1.pool")
    assert pool.points == 0 and pool.automatic == 0
    assert pool.why == "Your code uses MaxPool; your variant needs AvgPool because MM = 4 is even."
    assert any("B20AI052.ipynb, cell" in e.where and "MaxPool2d" in e.excerpt for e in pool.evidence)
    assert marks.of("q1.init").points == marks.of("q1.init").item.points  # the others are untouched
    assert marks.of("q1.dataset").points == 3


def test_a_contradiction_between_text_and_code_costs_less_than_a_violation(tmp_path):
    marks, result = marked(submission(tmp_path, contradicted={"init": "he"}))
    assert result["aspects"]["init"]["verdict"] == "contradicts"
    init = marks.of("q1.init")
    assert init.points == 1.0  # half of 2
    assert "but your text also states He initialisation" in init.why
    assert {e.excerpt for e in init.evidence} >= {"nn.init.xavier_normal_(m.weight)"}


def test_every_deduction_cites_evidence_and_every_mark_lies_within_its_item(tmp_path):
    rubric = load_rubric()
    for x in generate(tmp_path / "class", count=8, seed=11):
        result = check(x.path, x.student).to_json()
        marks = mark(result, rubric, seen_in(read_submission(x.path), [x.path.name]))
        assert 0 <= marks.total <= rubric.maximum
        for m in marks.marks:
            if m.points is None:
                assert m.item.score in ("manual", "comparison", "handin")
                continue
            assert 0 <= m.points <= m.item.points
            if m.points < m.item.points:
                assert m.evidence and all(e.where or e.excerpt for e in m.evidence), (x.path.name, m)
        for aspect, label in x.verdicts.items():
            item = next(m for m in marks.marks if m.item.aspect == aspect)
            share = {"ok": 1, "contradicts": 0.5, "violates": 0}[label]
            assert item.points == pytest.approx(round(share * item.item.points * 2) / 2), (x.path.name, aspect)


def test_the_grader_marks_manual_items_in_adjustments_and_replaces_any_other(tmp_path):
    path = submission(tmp_path, built={"pool": "max"})
    rows = ["roll,item,points,comment", "B20AI052,q1.pool,1.5,\"The pool is right in your second version, cell 9\"",
            "B20AI052,q1.clarity,5,Clear curves; label the axes.", f"b20ai052,{OTHER},-2,Handed in a day late",
            f"B20AI052,{OTHER},0.5,", f"B20AI052,{OTHER},,See me.", "B20AI052,q2.clarity,,Good reconstructions."]
    (tmp_path / "adjustments.csv").write_text("\n".join(rows) + "\n")
    rubric = load_rubric()
    adjustments = read_adjustments(tmp_path / "adjustments.csv", rubric, ["B20AI052", "B20AI053"])
    before, _ = marked(path)
    after, _ = marked(path, adjustments=adjustments["B20AI052"])
    assert after.of("q1.pool").points == 1.5 and after.of("q1.pool").automatic == 0
    assert after.of("q1.pool").adjusted and "second version" in after.of("q1.pool").comment
    assert after.of("q1.clarity").points == 5 and before.of("q1.clarity").points is None
    assert after.of("q2.clarity").points is None and after.of("q2.clarity").comment == "Good reconstructions."
    assert after.adjusted == {"q1.pool", "q1.clarity", OTHER}
    assert after.total == pytest.approx(before.total + 1.5 + 5 - 2 + 0.5)
    assert [a.comment for a in after.other] == ["Handed in a day late", "", "See me."]


def test_a_missing_adjustments_file_is_none_and_a_malformed_row_one_error_naming_its_line(tmp_path):
    rubric = load_rubric()
    path = tmp_path / "adjustments.csv"
    assert read_adjustments(path, rubric) == {}
    cases = [
        ("B20AI052,q1.poool,1,typo", "line 2: item 'q1.poool' is not in the rubric; an item is one of q1.dataset"),
        ("B20AI052,q1.pool,3,too many", "line 2: 3 points for q1.pool, whose marks are 0 to 2"),
        ("B20AI052,q1.pool,2,5,x", "line 2: 5 cells"),
        ("B20AI052,q1.pool,two,", "line 2: points 'two' is not a number"),
        ("B20AI052,q1.pool,1,\nB20AI052,q1.pool,2,", "line 3: B20AI052, q1.pool is adjusted on line 2 already"),
        ("B99ZZ999,q1.pool,1,", "line 2: roll 'B99ZZ999' is not on the roster"),
        ("B20AI052,q1.pool,,", "line 2: neither points nor a comment"),
    ]
    for row, message in cases:
        path.write_text("roll,item,points,comment\n" + row + "\n")
        with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
            read_adjustments(path, rubric, ["B20AI052"])
        assert "\n" not in str(e.value)
    path.write_text("student,item,marks\nB20AI052,q1.pool,1\n")
    with pytest.raises(UserError, match="header must be roll,item,points,comment"):
        read_adjustments(path, rubric)


def test_a_keras_submission_fetches_no_marks_as_the_paper_says(tmp_path):
    path = submission(tmp_path, style="keras")
    marks, result = marked(path, names=["B20AI052_minor1.zip"])
    assert marks.framework == "tensorflow"
    assert marks.total == 0 and marks.complete  # "all": even the manual items, none waits for the grader
    for m in marks.marks:
        assert m.points == 0 and m.review
        assert m.evidence[0].excerpt.startswith("from tensorflow import keras"), m.evidence
        assert "use of Tensorflow will fetch no marks" in m.why
    # Read as zeroing the code's own items only: the hand-in, the text's list and the findings still score.
    by_code, _ = marked(path, rubric=rubric_with(tensorflow="code"), names=["B20AI052_minor1.zip"])
    assert by_code.of("q1.pool").points == 0 and by_code.of("q1.result").points == 0
    assert by_code.of("q1.hyperparameters").points == 0 and by_code.of("q1.code_runs").points == 0
    assert by_code.of("q2.zip_name").points == 1 and by_code.of("q1.own_details").points == 1
    assert by_code.of("q1.details_listed").points == 4 and by_code.of("q1.clarity").points is None
    # And the grader's word still wins.
    adjustment = read_adjustments_from(tmp_path, "B20AI052,q1.clarity,4,The report is clear.")
    assert mark(result, load_rubric(), seen_in(read_submission(path)), adjustment).total == 4


def read_adjustments_from(folder: Path, *rows: str):
    (folder / "adjustments.csv").write_text("\n".join(["roll,item,points,comment", *rows]) + "\n")
    return read_adjustments(folder / "adjustments.csv", load_rubric())["B20AI052"]


def test_code_that_imports_both_frameworks_is_left_to_the_grader(tmp_path):
    path = submission(tmp_path, extra_markdown="")
    text = json.loads(path.read_text())
    text["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                          "source": ["import tensorflow as tf\n"]})
    path.write_text(json.dumps(text))
    marks, _ = marked(path)
    assert marks.framework == "both" and marks.total > 0
    assert marks.review and "imports TensorFlow/Keras" in marks.notes[0]


def test_hand_in_rules_score_by_the_names_handed_in(tmp_path):
    path = submission(tmp_path)
    result = check(path, STUDENT).to_json()
    seen = seen_in(read_submission(path))
    whole = replace(seen, names=("B20AI052_minor1.zip",), files=(
        "B20AI052_minor1.zip/report.pdf", "B20AI052_minor1.zip/README.md", "B20AI052_minor1.zip/demo.mp4",
        "B20AI052_minor1.zip/B20AI052.ipynb"))
    marks = mark(result, load_rubric(), whole)
    assert [marks.of(i).points for i in ("q1.readme", "q1.report_pdf", "q2.video", "q2.zip_name")] == [1, 1, 2, 1]
    bare = replace(seen, names=("minor1 final.zip",), files=("minor1 final.zip/q1.pdf", "minor1 final.zip/q2.pdf",
                                                              "minor1 final.zip/nb.ipynb"))
    marks = mark(result, load_rubric(), bare)
    assert marks.of("q1.readme").points == 0 and marks.of("q2.video").points == 0
    assert marks.of("q1.report_pdf").points == 0.5 and "2 PDFs" in marks.of("q1.report_pdf").why
    assert marks.of("q2.zip_name").points == 0
    assert "B20AI052_minor1.zip" in marks.of("q2.zip_name").why and marks.of("q2.zip_name").evidence
    unlisted = mark(result, load_rubric(), Seen())
    assert unlisted.of("q1.readme").points is None and unlisted.of("q1.readme").review


def test_a_video_link_in_the_text_counts_for_the_grader_to_open(tmp_path):
    path = submission(tmp_path, extra_markdown="Demo video: https://drive.google.com/file/d/abc123/view")
    marks, _ = marked(path)
    video = marks.of("q2.video")
    assert video.points == 2 and video.review and "drive.google.com" in video.evidence[0].excerpt


def test_the_comparison_needs_both_accuracies_and_a_sentence_comparing_the_networks(tmp_path):
    without, _ = marked(submission(tmp_path))
    assert without.of("q2.comparison").points == 2.5  # both accuracies found, no comparison in words
    compared, _ = marked(submission(tmp_path, extra_markdown=COMPARISON))
    comparison = compared.of("q2.comparison")
    assert comparison.points == 5 and comparison.evidence[0].excerpt.startswith("The CNN reaches a higher")
    from_json = mark(check(submission(tmp_path), STUDENT).to_json(), load_rubric())
    assert from_json.of("q2.comparison").points is None  # the text was not read: the grader marks it


def test_hyperparameters_come_from_the_checks_json_and_an_absent_list_is_none_found(tmp_path):
    path = submission(tmp_path)
    result = check(path, STUDENT).to_json()
    seen = seen_in(read_submission(path))
    found = mark(result, load_rubric(), seen).of("q1.hyperparameters")
    assert set(result["hyperparameters"]["cnn"]) >= {"optimizer", "learning_rate"}
    assert "the optimizer" in found.why and found.points == 1  # 2 of 5, 1.2 rounded to a half
    assert any("Adam" in e.excerpt for e in found.evidence)
    none = mark({k: v for k, v in result.items() if k != "hyperparameters"}, load_rubric(), seen)
    assert none.of("q1.hyperparameters").points == 0
    given = result | {"hyperparameters": {"cnn": {name: {"value": 1, "where": "nb, cell 9", "excerpt": name}
                                                  for name in ("optimizer", "lr", "batch_size", "epochs", "loss")}}}
    assert mark(given, load_rubric(), seen).of("q1.hyperparameters").points == 3


def test_a_student_with_nothing_checked_has_no_marks_but_what_the_grader_gives(tmp_path):
    marks = mark_missing("B20AI052", load_rubric(), "no submission matched this roll")
    assert marks.total == 0 and marks.complete
    assert all(m.evidence[0].excerpt == "no submission matched this roll" for m in marks.marks)
    given = read_adjustments_from(tmp_path, "B20AI052,other,10,Handed in by email; marked by hand")
    assert mark_missing("B20AI052", load_rubric(), "no submission matched this roll", given).total == 10


def test_a_rubric_mistake_is_one_line_naming_it(tmp_path):
    data = tomllib.loads((files("variantlab.check") / "rubric_default.toml").read_text())
    item = data["item"][0]
    cases = [
        ({"item": [item | {"score": "vibes"}]}, "score = 'vibes': one of aspect"),
        ({"item": [{k: v for k, v in item.items() if k != "aspect"}]}, "needs aspect = one of dataset"),
        ({"item": [item, item]}, "item id 'q1.dataset' is given twice"),
        ({"aspect_verdicts": data["aspect_verdicts"] | {"ok": 2}}, r"ok = 2: a share is a number from 0 to 1"),
        ({"tensorflow": "half"}, "tensorflow = 'half'"),
        ({"item": [item | {"points": -1}]}, "points = -1"),
        ({"item": [item | {"points": float("inf")}]}, "points = inf: a finite number"),
        ({"item": [item | {"points": float("nan")}]}, "points = nan: a finite number"),
        ({"round_to": float("nan")}, "round_to = nan"),
        ({"marks": 3}, "unknown key"),
    ]
    for change, message in cases:
        with pytest.raises(UserError, match=message):
            parse_rubric(data | change, "mine.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("title = \n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_rubric(bad)
