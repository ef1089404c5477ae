"""Each student's feedback from a real class check: their variant, each aspect in plain words with its line,
their marks with the evidence of each deduction and the grader's comments; and no other student named, even
where a copier's notebook carries its original's header and the class's findings name the original."""

import csv
import io
import json
import random
import re
import sys
from html import unescape
from pathlib import Path

import pytest
from pypdf import PdfReader

from variantlab.check.adjustments import read_adjustments
from variantlab.check.feedback import Others, write_feedback
from variantlab.check.grading import check_class
from variantlab.check.rubric import load_rubric, mark

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate, notebook, plan, roster
from test_grading import renamed

COPIER = "B20XY901"


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    folder = base / "submissions"
    labelled = generate(folder, count=5, seed=5, kinds=("notebook",))
    first, second, third = labelled[0], labelled[1], labelled[2]
    (folder / f"{COPIER}.ipynb").write_text(renamed(first.path.read_text()))  # the original's header and all
    second.path.write_text(notebook(plan(third.student, random.Random(0), wrong_code=0, wrong_text=0), "modules",
                                    random.Random(0)))
    rows = roster(labelled, base / "class.csv").read_text()
    (base / "class.csv").write_text(rows + f"{COPIER},{first.student.dob},btech,Copy,Cat\n")
    out = base / "out"
    check_class(folder, base / "class.csv", out=out, workers=2, show_progress=False)
    class_list = csv.DictReader(io.StringIO((base / "class.csv").read_text()))
    names = {r["roll"]: f"{r['first']} {r['last']}" for r in class_list}
    rubric = load_rubric()
    (out / "adjustments.csv").write_text(f"roll,item,points,comment\n{third.student.roll},q1.clarity,4,"
                                         "\"Label your curves' axes.\"\n")
    adjustments = read_adjustments(out / "adjustments.csv", rubric, list(names))
    written = {}
    for path in sorted((out / "submissions").glob("*.json")):
        result = json.loads(path.read_text())
        roll = result["student"]["roll"]
        marks = mark(result, rubric, adjustments=adjustments.get(roll, ()))
        html, pdf = write_feedback(out / "feedback", result, marks, names)
        page = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html.read_text())))
        printed = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(pdf).pages))
        written[roll] = (page, printed, result, marks)
    return labelled, names, written, out


def test_feedback_names_no_other_student(feedback):
    _, names, written, _ = feedback
    assert len(written) == len(names)
    for roll, (page, printed, _, _) in written.items():
        for other, name in names.items():
            if other == roll:
                continue
            for text in (page, printed):
                assert other.lower() not in text.lower(), (roll, other)
                assert name.lower() not in text.lower(), (roll, name)
        assert roll in page and roll in printed


def test_a_near_identical_pair_each_hear_of_another_submission(feedback):
    labelled, _, written, _ = feedback
    original = labelled[0].student.roll
    for roll in (COPIER, original):
        page, printed, result, _ = written[roll]
        assert any("near-identical" in f for f in result["findings"])  # the class's finding names the other roll
        assert "near-identical to another submission" in page and "near-identical to another" in printed
    assert "details (date of birth, roll number or programme) other than those the class list has" in written[COPIER][0]
    second = labelled[1].student.roll
    assert "Your code builds another student's variant exactly, not your own." in written[second][0]


def test_each_aspect_in_plain_words_with_the_line_that_shows_it(feedback):
    labelled, _, written, _ = feedback
    for x in labelled[2:]:
        page, _, result, marks = written[x.student.roll]
        assert "Your variant, and why" in page and "What your submission builds" in page
        for aspect, verdict in x.verdicts.items():
            where = result["aspects"][aspect]["evidence"][0]["where"]
            assert where in page, (aspect, where)
            if verdict == "violates":
                assert re.search(r"Your (code uses|text states) .*; your variant needs .* because ", page), aspect
        lost = [m for m in marks.marks if m.points is not None and m.points < m.item.points and not m.adjusted]
        for m in lost:  # the grader's own marks carry the grader's comment instead
            assert m.evidence and m.evidence[0].where in page, m  # each deduction's evidence is shown
        assert f"Your marks: {marks.total:g} of 100." in page and "to mark" in page


def test_the_graders_mark_and_comment_reach_the_student(feedback):
    labelled, _, written, out = feedback
    page, printed, _, marks = written[labelled[2].student.roll]
    assert marks.of("q1.clarity").points == 4 and marks.of("q1.clarity").adjusted
    assert "Label your curves' axes." in page and "set by the grader" in page
    assert "Label your curves" in printed
    assert not list((out / "feedback").glob(".*"))  # atomic writes leave no temporary files behind


def test_others_are_taken_out_of_any_text():
    clean = Others("B20AI052", {"B20AI052": "Meera Iyer", "B19CS123": "Asha Rao", "B21EE007": "Ravi Iyer"})
    assert clean("Copied from Asha  Rao (b19cs123); see RAO, Asha and B22ME999") == (
        "Copied from another student (another student); see another student and another student")
    assert clean("Meera Iyer, B20AI052, with Ravi Iyer") == "Meera Iyer, B20AI052, with another student"
