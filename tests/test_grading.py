"""`variantlab check FOLDER --roster`: a class checked in parallel, one row per student whatever their files
hold; hostile files give one line and a row, and nothing is written outside --out; near-identical code and
code of another student's variant are found; zips as handed in, several entries for one roll read together,
and the checker's own errors told apart from the students' files."""

import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from variantlab.check.grading import (
    ERRORS,
    Entry,
    Outcome,
    check_class,
    check_entry,
    entries_of,
    run_checks,
    write_sheet,
)
from variantlab.check.rubric import load_rubric
from variantlab.check.submission import read_submission
from variantlab.course.roster import read_roster
from variantlab.errors import UserError

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate, notebook, pdf, plan, roster


def renamed(notebook: str) -> str:
    """The same notebook with its own names changed, as a student hiding a copy would."""
    for old, new in (("model", "net"), ("train_set", "tr"), ("trainset", "tr"), ("train_data", "tr"),
                     ("encoder", "enc_part"), ("augment", "aug"), ("init_weights", "winit")):
        notebook = re.sub(rf"\b{old}\b", new, notebook)
    return notebook


def bomb_pdf(path: Path, inflated: int = 100 * 2**20) -> Path:
    """A one-page PDF whose content stream inflates to `inflated` bytes (about 100 KB on disk)."""
    squeeze = zlib.compressobj(9)
    stream = b"".join(squeeze.compress(bytes(2**20)) for _ in range(inflated // 2**20)) + squeeze.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    path.write_bytes(pdf_of(objects))
    return path


def pdf_of(objects: list[bytes]) -> bytes:
    """A PDF file of these objects, numbered from 1 (the first the catalogue), with its cross-reference table."""
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    folder = base / "submissions"
    labelled = generate(folder, count=8, seed=5, kinds=("notebook",))
    first, second, third = labelled[0], labelled[1], labelled[2]
    # A copy of the first student's notebook, identifiers renamed, handed in by a ninth student.
    copier = "B20XY901"
    (folder / f"{copier}.ipynb").write_text(renamed(first.path.read_text()))
    # The second student hands in a notebook built for the third's variant, rules followed throughout.
    second.path.write_text(notebook(plan(third.student, random.Random(0), wrong_code=0, wrong_text=0), "modules",
                                    random.Random(0)))
    # Hostile entries, each with its roster row.
    (folder / "B20XY902.ipynb").write_text(first.path.read_text()[:400])  # truncated
    with open(folder / "B20XY903.ipynb", "wb") as f:  # 100 MB (sparse: cheap on disk)
        f.truncate(100 * 2**20)
    bomb_pdf(folder / "B20XY904.pdf")
    pwned = base / "pwned"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["<script>alert('x')</script> **Roll: B20XY905**"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": [f"import os\nos.system('touch {pwned}')\nimport subprocess; subprocess.run(['touch', "
                         f"'{pwned}'])\n"]}]
    (folder / "escape..%2F..%2F..B20XY905.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5,
                                                                        "metadata": {}, "cells": cells}))
    (folder / "B20XY906").symlink_to(Path("/etc"), target_is_directory=True)  # a link leading out: not followed
    (folder / "stray.ipynb").write_text(first.path.read_text().replace(first.student.roll, "NOROLL"))
    rows = roster(labelled, base / "class.csv").read_text()
    extra = [f"{copier},{first.student.dob},btech,Copy,Cat", "B20XY902,01/01/01,btech,Trunc,Ated",
             "B20XY903,01/01/01,btech,Huge,File", "B20XY904,01/01/01,btech,Bomb,Pdf",
             "B20XY905,02/02/02,btech,\"=HYPERLINK(\"\"http://x.invalid\"\")\",<b>Bold</b>",
             "B20XY906,01/01/01,btech,Sym,Link", "B20XY907,01/01/01,btech,No,Submission"]
    (base / "class.csv").write_text(rows + "\n".join(extra) + "\n")
    out = base / "out"
    result = check_class(folder, base / "class.csv", out=out, workers=2, show_progress=False)
    return base, out, result, labelled, pwned


def sheet(out: Path) -> dict[str, dict]:
    with open(out / "grading.csv") as f:
        return {row["roll"] or row["entry"]: row for row in csv.DictReader(f)}


def test_one_row_per_student_and_per_unmatched_file(graded):
    _, out, result, labelled, _ = graded
    rows = sheet(out)
    for x in labelled:
        assert rows[x.student.roll]["status"] == "checked"
    assert rows["B20XY901"]["status"] == "checked"
    assert rows["B20XY907"]["status"] == "missing" and rows["B20XY906"]["status"] == "missing"
    assert {rows[r]["status"] for r in ("B20XY902", "B20XY903", "B20XY904")} == {"unreadable"}
    assert rows["stray.ipynb"]["status"] == "unmatched file"
    assert "no roster roll number" in rows["stray.ipynb"]["error"]
    assert result.count("checked") == 10 and result.count("missing") == 2 and result.count("unreadable") == 3


def test_hostile_files_give_one_line_and_nothing_runs_or_escapes(graded):
    base, out, _, _, pwned = graded
    rows = sheet(out)
    assert "not a readable notebook" in rows["B20XY902"]["error"]
    assert "100 MB, more than the 32 MB" in rows["B20XY903"]["error"]
    assert "not a readable PDF" in rows["B20XY904"]["error"] and "limit" in rows["B20XY904"]["error"].lower()
    assert all("\n" not in row["error"] for row in rows.values())
    assert rows["B20XY905"]["status"] == "checked" and not pwned.exists()  # parsed, never run
    written = {p.relative_to(base).parts[0] for p in base.rglob("*")}
    assert written == {"submissions", "class.csv", "out"}  # nothing outside --out, nothing in the class's folder
    names = [p.name for p in (out / "submissions").iterdir()]  # named by the roster's rolls, never by a file's name
    assert "B20XY905.json" in names and all(re.fullmatch(r"B\d\d[A-Z]{2}\d{3}\.json", n) for n in names)
    page = (out / "grading.html").read_text()
    assert "<script>alert" not in page and "&lt;b&gt;Bold&lt;/b&gt;" in page
    assert rows["B20XY905"]["first"].startswith("'=HYPERLINK(")  # spreadsheet-safe


def test_hostile_files_checked_alone_give_one_line_and_exit_2(graded):
    base = graded[0]
    for name, fragment in (("B20XY902.ipynb", "not a readable notebook"), ("B20XY903.ipynb", "more than the 32 MB"),
                           ("B20XY904.pdf", "not a readable PDF")):
        done = subprocess.run([sys.executable, "-m", "variantlab", "check", str(base / "submissions" / name),
                               "--dob", "01/01/01", "--roll", "B20XY902", "--program", "btech"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and fragment in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_renamed_copy_is_near_identical_to_its_original(graded):
    _, out, _, labelled, _ = graded
    rows = sheet(out)
    original = labelled[0].student.roll
    assert f"code near-identical to {original}'s submission" in rows["B20XY901"]["findings"]
    assert "code near-identical to B20XY901's submission" in rows[original]["findings"]
    report = json.loads((out / "submissions" / "B20XY901.json").read_text())
    assert any("near-identical" in f for f in report["findings"])


def test_code_of_another_students_variant_is_named(graded):
    _, out, _, labelled, _ = graded
    second, third = labelled[1].student.roll, labelled[2].student.roll
    assert f"code builds the variant of {third}" in sheet(out)[second]["findings"]


def test_each_checked_submission_has_its_json(graded):
    _, out, _, labelled, _ = graded
    for x in labelled[2:]:
        report = json.loads((out / "submissions" / f"{x.student.roll}.json").read_text())
        assert {a: c["verdict"] for a, c in report["aspects"].items()} == x.verdicts


def test_a_folder_is_one_submission_read_together(tmp_path):
    folder = tmp_path / "B20AI052"
    folder.mkdir()
    (folder / "question1.py").write_text("import torchvision\nd = torchvision.datasets.FashionMNIST('.')\n")
    (folder / "report.md").write_text("Roll: B20AI052. DD/MM/YY: 18/03/02. B.Tech\nTest accuracy of the CNN: 97.92 %\n")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")  # not a kind that is read: left out
    submission = read_submission(folder)
    assert submission.files == ("question1.py", "report.md")
    assert submission.contents == ("notes.docx", "question1.py", "report.md")  # listed, read or not
    assert {p.file for p in submission.pieces} == {"question1.py", "report.md"}
    with pytest.raises(UserError, match="holds no notebook, script, PDF"):
        read_submission(tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else tmp_path)


def test_the_class_command_prints_its_counts(graded, tmp_path):
    base = graded[0]
    done = subprocess.run([sys.executable, "-m", "variantlab", "check", str(base / "submissions"), "--roster",
                           str(base / "class.csv"), "--out", str(tmp_path / "again")], capture_output=True, text=True,
                          timeout=300, env=os.environ | {"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "10 checked" in done.stdout and "2 missing" in done.stdout and "3 unreadable" in done.stdout


@pytest.fixture(scope="module")
def zipped(tmp_path_factory):
    """A class handing in as the exam paper asks (`<Roll_Number>_minor1.zip`), and as students do."""
    base = tmp_path_factory.mktemp("zipped")
    labelled = generate(base / "generated", count=4, seed=11, kinds=("notebook",))
    hand_in, twice, split, hostile = (x.student.roll for x in labelled)
    code = {x.student.roll: x.path.read_text() for x in labelled}
    folder = base / "submissions"
    folder.mkdir()
    with zipfile.ZipFile(folder / f"{hand_in}_minor1.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{hand_in}_minor1/{hand_in}.ipynb", code[hand_in])
        z.writestr(f"{hand_in}_minor1/README.md", "Open the notebook and run every cell.\n")
        z.writestr(f"{hand_in}_minor1/report.pdf", pdf(["Minor 1 report"]))
        z.writestr(f"{hand_in}_minor1/demo.mp4", os.urandom(200_000))
    # A notebook cut short in the upload, and the readable copy handed in after it.
    (folder / f"{twice}.ipynb").write_text(code[twice][:300])
    (folder / f"{twice}_final.ipynb").write_text(code[twice])
    # A folder with the code, and a zip with the README and the video.
    (folder / split).mkdir()
    (folder / split / "q1.ipynb").write_text(code[split])
    with zipfile.ZipFile(folder / f"{split}_minor1.zip", "w") as z:
        z.writestr("README.txt", "q1.ipynb is in the folder.\n")
        z.writestr("demo.webm", os.urandom(1000))
    with zipfile.ZipFile(folder / f"{hostile}_minor1.zip", "w") as z:
        z.writestr(f"../../{hostile}.ipynb", code[hostile])
    handed = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    roster(labelled, base / "class.csv")
    result = check_class(folder, base / "class.csv", out=base / "out", workers=2, show_progress=False)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == handed  # nothing unzipped beside them
    return base / "out", result, labelled


def test_a_zip_handed_in_is_checked_as_its_notebook_is(zipped):
    out, _, labelled = zipped
    x = labelled[0]
    row = sheet(out)[x.student.roll]
    assert row["status"] == "checked" and row["entry"] == f"{x.student.roll}_minor1.zip"
    assert row["handed_in"] == "README, PDF, video"
    report = json.loads((out / "submissions" / f"{x.student.roll}.json").read_text())
    assert {a: c["verdict"] for a, c in report["aspects"].items()} == x.verdicts
    folder = f"{x.student.roll}_minor1"
    assert report["handed_in"] == {"README": [f"{folder}/README.md"], "PDF": [f"{folder}/report.pdf"],
                                   "video": [f"{folder}/demo.mp4"]}
    assert len(report["contents"]) == 4


def test_two_entries_for_one_roll_are_read_together(zipped):
    """Behaviour changed: the second entry was an "unmatched file", and the first (here the truncated one)
    alone gave the row."""
    out, result, labelled = zipped
    rows = sheet(out)
    twice, split = labelled[1].student.roll, labelled[2].student.roll
    assert rows[twice]["status"] == "checked" and rows[twice]["entry"] == f"{twice}.ipynb, {twice}_final.ipynb"
    assert f"could not read {twice}.ipynb: not a readable notebook" in rows[twice]["findings"]
    report = json.loads((out / "submissions" / f"{twice}.json").read_text())
    assert {a: c["verdict"] for a, c in report["aspects"].items()} == labelled[1].verdicts
    assert rows[split]["status"] == "checked" and rows[split]["entry"] == f"{split}, {split}_minor1.zip"
    assert rows[split]["handed_in"] == "README, no PDF, video"
    report = json.loads((out / "submissions" / f"{split}.json").read_text())
    assert {a: c["verdict"] for a, c in report["aspects"].items()} == labelled[2].verdicts
    assert report["contents"] == [f"{split}/q1.ipynb", f"{split}_minor1.zip/README.txt",
                                  f"{split}_minor1.zip/demo.webm"]
    assert result.count("unmatched file") == 0


def test_a_hostile_zip_is_its_students_one_line(zipped):
    out, result, labelled = zipped
    row = sheet(out)[labelled[3].student.roll]
    assert row["status"] == "unreadable" and "is named outside the zip" in row["error"] and "\n" not in row["error"]
    assert result.count("checked") == 3 and result.count("checker_error") == 0 and not (out / ERRORS).exists()


def test_a_checker_bug_is_the_checkers_error_not_the_students(tmp_path):
    """A failure provoked for real: the checker given a student of a programme its rules do not know (no
    roster can give one, the test builds it) raises, whatever it raises. Its row says the checker failed,
    and where the traceback is; the student's readable file is not called unreadable."""
    labelled = generate(tmp_path / "class", count=2, seed=3, kinds=("notebook",))
    fine, broken = (x.student for x in labelled)
    students = {fine.roll: fine, broken.roll: replace(broken, program="diploma")}
    outcomes = [check_entry(Entry((x.path,), x.student.roll), students) for x in labelled]
    assert [o.status for o in outcomes] == ["checked", "checker_error"]
    assert "diploma" in outcomes[1].error and "Traceback" in outcomes[1].traceback
    checked = write_sheet(tmp_path / "out", read_roster(roster(labelled, tmp_path / "class.csv")), students,
                          outcomes, load_rubric(), {})
    row = sheet(tmp_path / "out")[broken.roll]
    assert row["status"] == "checker_error" and row["entry"] == f"{broken.roll}.ipynb"
    assert row["error"].startswith("the checker failed, not the student's file: ") and ERRORS in row["error"]
    errors = json.loads((tmp_path / "out" / ERRORS).read_text())
    assert [(e["roll"], e["entry"]) for e in errors] == [(broken.roll, f"{broken.roll}.ipynb")]
    assert "diploma" in errors[0]["traceback"] and errors[0]["error"] == outcomes[1].error
    assert not (tmp_path / "out" / "submissions" / f"{broken.roll}.json").exists()
    assert "1 checker errors (the checker's fault, not the students'" in checked.words()
    assert checked.count("unreadable") == 0


def check_or_die(entry: Entry, students) -> Outcome:
    """The test seam for a worker's death (nothing a file can do kills a worker under its memory ceiling on
    purpose): check_entry, except that the worker given an entry named `..._killer` is killed as the
    kernel's out-of-memory killer kills, by SIGKILL."""
    if "_killer" in entry.name:
        os.kill(os.getpid(), signal.SIGKILL)
    return check_entry(entry, students)


def test_a_worker_that_dies_fails_its_entry_alone(tmp_path):
    """A dead worker breaks its whole pool (every entry in flight in it); each of those is checked again
    alone, so only the one that kills its worker is unreadable. Before, every entry not yet done was."""
    labelled = generate(tmp_path / "class", count=6, seed=4, kinds=("notebook",))
    killer = labelled[1].student.roll
    labelled[1].path.rename(labelled[1].path.with_name(f"{killer}_killer.ipynb"))
    students = {x.student.roll: x.student for x in labelled}
    outcomes = run_checks(entries_of(tmp_path / "class", list(students)), students, 2, False, job=check_or_die)
    assert sorted(o.roll or "" for o in outcomes) == sorted(students)
    for outcome in outcomes:
        if outcome.roll == killer:
            assert outcome.status == "unreadable" and "process died on it" in outcome.error
        else:
            assert outcome.status == "checked" and outcome.record is not None
