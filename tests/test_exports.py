"""The marks in a gradebook's import format, against the columns the LMS's own code reads: Moodle's grading
worksheet (moodle/moodle: mod/assign/gradingtable.php writes it, mod/assign/feedback/offline/importgradeslib.php
reads Identifier, Grade, Last modified (grade) and the feedback columns back) and Canvas's gradebook import
(instructure/canvas-lms: app/models/gradebook_importer.rb)."""

import csv
import io
import random
import sys
from pathlib import Path

import pytest

from variantlab.check.adjustments import Adjustment
from variantlab.check.check import check
from variantlab.check.exports import Graded, canvas_gradebook, moodle_worksheet
from variantlab.check.rubric import load_rubric, mark, seen_in
from variantlab.check.submission import read_submission
from variantlab.errors import UserError
from variantlab.exam.student import parse_student

sys.path.insert(0, str(Path(__file__).parent))
from corpus import notebook, plan

# The columns of a worksheet Moodle writes (gradingtable.php, downloading, with the site showing email and ID
# number as identity fields and the feedback comments plugin on), in its order.
MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "ID number", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
# Canvas's importer: row[0] holds "Student", row[1] "ID", then SIS User ID and SIS Login ID, the student columns
# ending with "Section"; then the assignments.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MANUAL = ("q1.code_runs", "q1.clarity", "q1.understanding", "q2.code_runs", "q2.clarity", "q2.understanding")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    student = parse_student("14/04/02", "B20AI052", "btech", "Meera", "Iyer")
    path = tmp_path_factory.mktemp("sub") / "B20AI052.ipynb"
    path.write_text(notebook(plan(student, random.Random(2), wrong_code=1, wrong_text=0), "modules", random.Random(2)))
    return check(path, student).to_json(), seen_in(read_submission(path), [path.name])


def graded_class(result, count: int, complete: bool = True) -> list[Graded]:
    """`count` students marked from one real check, each under their own roll; the manual items marked by the
    grader where `complete`."""
    rubric = load_rubric()
    checked, seen = result
    out = []
    for i in range(count):
        roll = f"B20AI{i:03d}"
        mine = checked | {"student": checked["student"] | {"roll": roll}}
        given = [Adjustment(2, roll, item, 1.0, "") for item in MANUAL] if complete else []
        given += [Adjustment(3, roll, "other", float(i % 7), "")]
        out.append(Graded(roll, f"First{i}", f"Last{i}", mark(mine, rubric, seen, given)))
    return out


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_canvas_gradebook_has_the_importers_columns_and_points_possible_row(result, tmp_path):
    graded = graded_class(result, 3)
    graded.append(Graded("B20AI900", "Evil", "=HYPERLINK(\"x\")"))  # nothing checked: no grade; a name made safe
    done = canvas_gradebook(graded, tmp_path / "canvas.csv", "Minor 1", load_rubric().maximum)
    rows = rows_of(done.path)
    assert rows[0] == [*CANVAS_COLUMNS, "Minor 1"]
    assert "Student" in rows[0][0] and "ID" in rows[0][1] and rows[0][4] == "Section"
    assert rows[1] == ["Points Possible", "", "", "", "", "100"]
    assert rows[2] == ["Last0, First0", "", "B20AI000", "", "", f"{graded[0].marks.total:g}"]
    assert rows[5] == ["'=HYPERLINK(\"x\"), Evil", "", "B20AI900", "", "", ""]
    assert done.graded == 3 and done.blank == ("B20AI900",)


def test_a_provisional_total_is_left_blank_unless_asked_for(result, tmp_path):
    graded = graded_class(result, 2, complete=False)
    blank = canvas_gradebook(graded, tmp_path / "a.csv", "Minor 1", 100)
    assert [r[5] for r in rows_of(blank.path)[2:]] == ["", ""] and blank.graded == 0
    given = canvas_gradebook(graded, tmp_path / "b.csv", "Minor 1", 100, provisional=True)
    assert [r[5] for r in rows_of(given.path)[2:]] == [f"{g.marks.total:g}" for g in graded]


def test_canvas_from_its_own_export_keeps_its_ids_and_changes_no_other_grade(result, tmp_path):
    graded = graded_class(result, 3)
    export = tmp_path / "export.csv"
    export.write_text("\n".join([
        "Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (4100),Minor 1 (4242),Current Score,Final Score",
        "    Points Possible,,,,,10.00,100.00,(read only),(read only)",
        ",,,,,Manual Posting,,,",
        "\"Last0, First0\",9001,,b20ai000@iitj.ac.in,DL-A,7,,70,70",
        "\"Last1, First1\",9002,B20AI001,,DL-A,8,,80,80",
        "\"Someone, Else\",9003,,x@iitj.ac.in,DL-A,9,,90,90",
    ]) + "\n")
    done = canvas_gradebook(graded, tmp_path / "canvas.csv", "Minor 1", 100, export=export)
    rows = rows_of(done.path)
    assert rows[0] == [*CANVAS_COLUMNS, "Minor 1 (4242)"]  # Canvas matches the existing assignment by its id
    assert rows[1] == ["    Points Possible", "", "", "", "", "100.00"]
    assert rows[2] == ["Last0, First0", "9001", "", "b20ai000@iitj.ac.in", "DL-A", f"{graded[0].marks.total:g}"]
    assert rows[3][1] == "9002" and rows[3][5] == f"{graded[1].marks.total:g}"
    assert len(rows) == 4  # Someone Else's row left out: not on the roster
    assert done.unmatched == ("Someone, Else",) and done.absent == ("B20AI002",)
    export.write_text(export.read_text().replace("100.00", "50.00"))
    with pytest.raises(UserError, match="worth 50 points, the rubric's total 100"):
        canvas_gradebook(graded, tmp_path / "c.csv", "Minor 1", 100, export=export)


def worksheet(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([MOODLE_COLUMNS, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_moodle_worksheet_is_filled_in_and_keeps_every_column_moodle_reads(result, tmp_path):
    graded = graded_class(result, 3)
    sheet = worksheet(tmp_path / "worksheet.csv", [
        ["Participant 4811", "First0 Last0", "b20ai000@iitj.ac.in", "", "Submitted for grading", "", "100.00", "Yes",
         "Monday, 13 February 2023, 10:02 PM", "-", ""],
        ["Participant 4812", "First1 Last1", "someone@iitj.ac.in", "B20AI001", "Submitted for grading", "", "100.00",
         "Yes", "Monday, 13 February 2023, 9:00 PM", "-", "Seen in the lab."],
        ["Participant 4813", "First2 Last2", "f2@iitj.ac.in", "", "No submission", "", "100.00", "Yes", "-", "-", ""],
        ["Participant 4814", "Not Onroster", "n@iitj.ac.in", "", "No submission", "", "100.00", "Yes", "-", "-", ""],
    ])
    done = moodle_worksheet(sheet, graded, tmp_path / "upload.csv")
    rows = rows_of(done.path)
    assert rows[0] == MOODLE_COLUMNS
    grade, comments = MOODLE_COLUMNS.index("Grade"), MOODLE_COLUMNS.index("Feedback comments")
    assert [r[0] for r in rows[1:]] == ["Participant 4811", "Participant 4812", "Participant 4813", "Participant 4814"]
    assert [r[grade] for r in rows[1:]] == [f"{g.marks.total:g}" for g in graded] + [""]  # by email, ID, name
    assert rows[1][comments].startswith(f"{graded[0].marks.total:g} of 100 (Question 1: ")
    assert rows[2][comments] == "Seen in the lab."  # the grader's own comment is kept
    modified = MOODLE_COLUMNS.index("Last modified (grade)")
    assert rows[1][modified] == "'-"  # spreadsheet-safe; Moodle's strtotime reads it as no date, as it does "-"
    assert done.graded == 3 and done.unmatched == ("Participant 4814",) and done.absent == ()


def test_a_worksheet_moodle_would_refuse_or_skip_is_one_error(result, tmp_path):
    graded = graded_class(result, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("Full name,Grade\nFirst0 Last0,\n")
    with pytest.raises(UserError, match="no column 'Identifier', 'Last modified \\(grade\\)'"):
        moodle_worksheet(bad, graded, tmp_path / "out.csv")
    sheet = worksheet(tmp_path / "w.csv", [["Participant 1", "First0 Last0", "b20ai000@x.in", "", "", "", "50.00",
                                            "Yes", "-", "-", ""]])
    with pytest.raises(UserError, match="Maximum Grade is 50, the rubric's total 100"):
        moodle_worksheet(sheet, graded, tmp_path / "out.csv")


def test_a_class_of_300_exports_every_student(result, tmp_path):
    graded = graded_class(result, 300)
    canvas = canvas_gradebook(graded, tmp_path / "canvas.csv", "Minor 1", 100)
    assert canvas.graded == 300 and len(rows_of(canvas.path)) == 302
    sheet = worksheet(tmp_path / "w.csv", [[f"Participant {5000 + i}", f"First{i} Last{i}", f"b20ai{i:03d}@iitj.ac.in",
                                            "", "", "", "100.00", "Yes", "-", "-", ""] for i in range(300)])
    moodle = moodle_worksheet(sheet, graded, tmp_path / "upload.csv")
    assert moodle.graded == 300 and not moodle.unmatched and not moodle.absent
