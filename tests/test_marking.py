"""A class checked, marked and given feedback: marks per rubric item in grading.csv with the evidence of each
deduction, the grader's adjustments applied and never written, feedback for each student, gradebook exports,
and a second run that checks again only what changed."""

import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from variantlab.check.grading import ClassCheck, check_class, sheet_page
from variantlab.check.rubric import load_rubric

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate, roster
from test_sheet import GEOMETRY, in_chromium, measured


def sheet(out: Path) -> dict[str, dict]:
    with open(out / "grading.csv") as f:
        return {row["roll"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    base = tmp_path_factory.mktemp("marking")
    labelled = generate(base / "class", count=4, seed=7, kinds=("notebook",))
    class_csv = roster(labelled, base / "class.csv")
    class_csv.write_text(class_csv.read_text() + "B20XY999,01/01/01,btech,Not,Handedin\n")
    first, second = labelled[0].student.roll, labelled[1].student.roll
    out = base / "out"
    out.mkdir()
    adjustments = (f"roll,item,points,comment\n{first},q1.clarity,5,Clear plots and a careful comparison.\n"
                   f"{second},other,-2,Late by one day.\n")
    (out / "adjustments.csv").write_text(adjustments)
    result = check_class(base / "class", class_csv, out=out, workers=2, show_progress=False)
    return base, out, result, labelled, adjustments


def test_every_rubric_item_has_a_column_and_the_total_adds_up(marked):
    _, out, _, labelled, _ = marked
    rows = sheet(out)
    items = load_rubric().ids()
    for x in labelled:
        row = rows[x.student.roll]
        assert all(item in row for item in items)
        scored = sum(float(row[i]) for i in items if row[i] != "") + float(row["other"])
        assert float(row["total"]) == pytest.approx(min(max(scored, 0), 100))
    assert rows["B20XY999"]["status"] == "missing" and float(rows["B20XY999"]["total"]) == 0


def test_each_deduction_cites_its_evidence(marked):
    _, out, _, labelled, _ = marked
    rows = sheet(out)
    for x in labelled:
        wrong = [a for a, v in x.verdicts.items() if v == "violates" and a not in ("ae_layers", "ae_fc_nodes")]
        for aspect in wrong:
            item = f"q1.{aspect}"
            assert float(rows[x.student.roll][item]) == 0
            deduction = next(d for d in rows[x.student.roll]["deductions"].split(" | ") if d.startswith(item))
            assert ".ipynb, cell" in deduction  # the line that shows it


def test_the_graders_adjustments_replace_and_add_and_are_never_written(marked):
    _, out, _, labelled, adjustments = marked
    rows = sheet(out)
    first, second = labelled[0].student.roll, labelled[1].student.roll
    assert rows[first]["q1.clarity"] == "5.0" and rows[first]["adjusted"] == "q1.clarity"
    assert rows[second]["other"] == "-2.0" and rows[second]["adjusted"] == "other"
    assert (out / "adjustments.csv").read_text() == adjustments
    page = (out / "grading.html").read_text()
    assert "Adjusted by the grader: Clear plots" in page and "5 of 6: " in page
    feedback = (out / "feedback" / f"{first}.html").read_text()
    assert "Clear plots and a careful comparison." in feedback


def test_feedback_for_each_checked_student_names_no_other(marked):
    _, out, _, labelled, _ = marked
    rolls = [x.student.roll for x in labelled]
    for roll in rolls:
        page = (out / "feedback" / f"{roll}.html").read_text()
        assert (out / "feedback" / f"{roll}.pdf").read_bytes().startswith(b"%PDF")
        assert roll in page and not any(other in page for other in rolls if other != roll)
    assert not (out / "feedback" / "B20XY999.html").exists()  # nothing handed in: marks, no feedback


def test_a_second_run_checks_only_what_changed_and_a_late_submission_alone(marked, tmp_path):
    base, out, _, labelled, _ = marked
    before = {x.student.roll: json.loads((out / "submissions" / f"{x.student.roll}.json").read_text())["checked_at"]
              for x in labelled}
    time.sleep(1.1)  # checked_at is to the second
    again = check_class(base / "class", base / "class.csv", out=out, workers=2, show_progress=False)
    assert again.reused == len(labelled) and "4 unchanged since their last check" in again.words()
    assert {roll: json.loads((out / "submissions" / f"{roll}.json").read_text())["checked_at"] for roll in before} \
        == before  # reused as it was
    # One student edits their notebook; a late one hands in.
    changed = labelled[2]
    changed.path.write_text(changed.path.read_text().replace("Roll number", "Roll no."))
    late = generate(tmp_path / "late", count=1, seed=99, kinds=("notebook",))[0]
    (base / "class" / late.path.name).write_bytes(late.path.read_bytes())
    with open(base / "class.csv", "a") as f:
        s = late.student
        f.write(f"{s.roll},{s.dob},btech,{s.first},{s.last}\n")
    third = check_class(base / "class", base / "class.csv", out=out, workers=2, show_progress=False)
    assert third.reused == len(labelled) - 1 and third.count("checked") == len(labelled) + 1
    after = {roll: json.loads((out / "submissions" / f"{roll}.json").read_text())["checked_at"] for roll in before}
    assert [roll for roll in before if after[roll] != before[roll]] == [changed.student.roll]
    assert sheet(out)[late.student.roll]["checked_at"] and sheet(out)[late.student.roll]["status"] == "checked"


def test_the_command_marks_by_a_rubric_and_exports_for_canvas(marked, tmp_path):
    base = marked[0]
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('title = "Only the dataset"\nround_to = 0.5\ntensorflow = "all"\n'
                      '[aspect_verdicts]\nok = 1.0\ncontradicts = 0.5\nviolates = 0.0\nnot_found = 0.0\n'
                      'unknown = 0.0\n[claim_verdicts]\nplausible = 1.0\nnot_judged_low = 1.0\nno_baseline = 1.0\n'
                      'unknown = 1.0\nabove_measured = 0.5\nbelow_measured = 0.5\nimpossible_for_n = 0.0\n'
                      'not_found = 0.0\n[review]\naspect = []\nclaim = []\nfinding = []\n'
                      '[[item]]\nid = "q1.dataset"\ntitle = "Dataset"\npart = "Question 1"\n'
                      'criterion = "working code"\npoints = 10\nscore = "aspect"\naspect = "dataset"\n')
    done = subprocess.run([sys.executable, "-m", "variantlab", "check", str(base / "class"), "--roster",
                           str(base / "class.csv"), "--out", str(tmp_path / "out"), "--rubric", str(rubric),
                           "--canvas", "Minor 1", "--provisional"], capture_output=True, text=True, timeout=600,
                          env=os.environ | {"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "canvas_grades.csv" in done.stdout
    with open(tmp_path / "out" / "grading.csv") as f:
        header = next(csv.reader(f))
    assert "q1.dataset" in header and "q1.clarity" not in header
    with open(tmp_path / "out" / "canvas_grades.csv") as f:
        exported = list(csv.reader(f))
    assert exported[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert exported[0][5].startswith("Minor 1") and exported[1][0].strip() == "Points Possible"


def test_the_grading_sheet_of_300_fits_a_laptop_screen_and_shows_a_screenshot(marked, tmp_path):
    _, out, result, _, _ = marked
    rows = [replace(row, roll=f"B2{i:02d}XY{i:03d}" if row.roll else "", first=f"Student{i}")
            for i, row in zip(range(300), result.rows * 60, strict=False)]
    page = sheet_page(ClassCheck(out, tuple(rows)), load_rubric())
    got = measured(page, tmp_path, GEOMETRY)
    assert got["inner"] == 1366 and got["scroll"] <= got["client"], got  # no horizontal scrolling
    assert got["open_scroll"] <= got["client"] and got["scrolled"] == 0, got  # nor with every row opened
    assert max(got["heights"]) < 2 * got["line"]  # a student is one line
    shot = tmp_path / "grading.png"
    in_chromium(page, tmp_path, "", f"--screenshot={shot}")
    assert shot.read_bytes()[16:24] == (1366).to_bytes(4, "big") + (768).to_bytes(4, "big")


@pytest.mark.parametrize("args,words", [
    (["--out", "{class}/out"], "is inside the submissions' folder"),
    (["--workers", "0"], "--workers 0 must be at least 1"),
    (["--canvas", " "], "--canvas needs the assignment's name"),
])
def test_a_class_check_refuses_what_would_go_wrong(marked, tmp_path, args, words):
    base = marked[0]
    args = [a.replace("{class}", str(base / "class")) for a in args]
    out = [] if "--out" in args else ["--out", str(tmp_path / "o")]
    done = subprocess.run([sys.executable, "-m", "variantlab", "check", str(base / "class"), "--roster",
                           str(base / "class.csv"), *out, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1
