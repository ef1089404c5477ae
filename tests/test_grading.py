"""`variantlab check FOLDER --roster`: a class checked in parallel, one row per student whatever their files
hold; hostile files give one line and a row, and nothing is written outside --out; near-identical code and
code of another student's variant are found."""

import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from variantlab.errors import UserError
from variantlab.grading import check_class
from variantlab.submission import read_submission

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate, notebook, plan, roster


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
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


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
