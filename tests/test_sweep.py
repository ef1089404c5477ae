"""`variantlab sweep` on a local Ray with 2 CPUs: grouping, statuses, resuming, the summary."""

import csv
import json
import subprocess
import sys

import pytest

from variantlab.course.roster import read_roster
from variantlab.course.sweep import write_summary
from variantlab.errors import UserError
from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.training import baselines

pytestmark = pytest.mark.trains  # trains real models: `make quick` leaves these out

ROSTER = """roll,dob,program,first,last
B20AI052,18/03/02,B.Tech,Ayush,Abrol
B20AI054,18/03/02,btech,Same,Variant
B20AI053,18/03/02,btech,Odd,Mnist
M21CS010,17/04/99,M.Tech,No,Cifar
B20AI099,31/02/03,btech,Bad,Date
B20AI052,01/01/01,btech,Dup,Roll
B20AI070,,btech,No,Date
"""


def sweep_cli(roster, out):
    return subprocess.run([sys.executable, "-m", "variantlab", "sweep", str(roster), "--epochs", "1",
                           "--train-limit", "1000", "--out", str(out)], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def swept(tmp_path_factory, fashion_mnist, mnist):
    folder = tmp_path_factory.mktemp("sweep")
    roster = folder / "class.csv"
    roster.write_text(ROSTER)
    first = sweep_cli(roster, folder / "out")
    stamps = {p: p.stat().st_mtime_ns for p in (folder / "out" / "variants").rglob("checkpoints/*.pt")}
    second = sweep_cli(roster, folder / "out")
    return folder / "out", first, second, stamps


def summary(out):
    with open(out / "class_summary.csv") as f:
        return list(csv.DictReader(f))


def test_one_row_per_roster_row_with_the_right_status(swept):
    out, first, _, _ = swept
    assert first.returncode == 1, first.stderr  # not every row is ok
    rows = summary(out)
    assert [(r["line"], r["roll"], r["status"]) for r in rows] == [
        ("2", "B20AI052", "ok"), ("3", "B20AI054", "ok"), ("4", "B20AI053", "ok"), ("5", "M21CS010", "failed"),
        ("6", "B20AI099", "invalid"), ("7", "B20AI052", "invalid"), ("8", "B20AI070", "invalid")]
    by_line = {r["line"]: r for r in rows}
    assert "cifar10 not found" in by_line["5"]["error"]
    assert "'31/02/03' is not a real date" in by_line["6"]["error"]
    assert "duplicate roll B20AI052 (first on line 2)" in by_line["7"]["error"]
    assert by_line["8"]["error"] == "missing dob"
    assert by_line["4"]["variant_key"].startswith("mnist-")
    for line in ("2", "3", "4"):
        # The summary reports what its student's group trained: the results.json its report links to.
        trained = json.loads((out / by_line[line]["report"]).parent.joinpath("training", "results.json").read_text())
        for model in ("cnn", "ae_classifier"):
            assert float(by_line[line][f"{model}_test_accuracy"]) == round(trained[model]["test_accuracy"], 6)
        assert (out / by_line[line]["report"]).exists()


def test_a_shared_variant_trains_once_and_each_student_gets_a_report(swept):
    out, _, _, _ = swept
    rows = {}
    for r in summary(out):
        rows.setdefault(r["roll"], r)  # B20AI052's second row is the invalid duplicate
    assert rows["B20AI052"]["variant_key"] == rows["B20AI054"]["variant_key"]
    assert rows["B20AI052"]["cnn_test_accuracy"] == rows["B20AI054"]["cnn_test_accuracy"]
    trained = [p.parent.parent.name for p in (out / "variants").glob("*/checkpoints/cnn.pt")]
    assert len(trained) == 2  # FashionMNIST and MNIST; CIFAR-10 had no data
    assert sum(k.startswith(rows["B20AI052"]["variant_key"]) for k in trained) == 1
    same = (out / "students" / "B20AI054" / "report.md").read_text()
    assert same.startswith("# Minor 1: Same Variant (B20AI054)") and "ABC = 054 is even" in same
    assert (out / "students" / "B20AI054" / "training" / "results.json").exists()
    assert (out / "students" / "B20AI054" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    html = (out / "class_summary.html").read_text()
    assert "students/B20AI052/report.html" in html and "Test accuracy per variant" in html
    mnist = (out / "students" / "B20AI053" / "report.md").read_text()  # not the reference's variant
    comparison = mnist[mnist.index("## Comparison"):mnist.index("## Timings")]
    assert "reference report" not in comparison and "97.92" not in mnist and "97.12" not in mnist


def test_the_summary_sets_each_result_beside_its_variants_baseline(swept):
    out, _, _, _ = swept
    rows = {}
    for r in summary(out):
        rows.setdefault(r["roll"], r)
    reference = rows["B20AI052"]
    measured = baselines.shipped().for_variant(derive(parse_student("18/03/02", "B20AI052", "btech"))).profiles["fast"]
    assert reference["baseline_own"] == "yes" and reference["baseline_variant"] == reference["variant_key"]
    assert float(reference["cnn_baseline"]) == pytest.approx(measured.mean("cnn"), abs=1e-6)  # CSV: 6 decimals
    assert float(reference["cnn_baseline_std"]) == pytest.approx(measured.sd("cnn"), abs=1e-6)
    # One epoch on 1,000 images lies far below a full run's spread: flagged, in the CSV and in red in the HTML.
    assert reference["outlier"] == "yes" and reference["cnn_verdict"] == "below_measured"
    assert "cnn below_measured: " in reference["flag"] and "more than 3 spreads below fast's" in reference["flag"]
    assert "this run changed cnn.epochs" in reference["flag"]  # said: not the baseline's settings
    assert "trained on the first 1000 images only" in reference["flag"]
    page = (out / "class_summary.html").read_text()
    row = next(r for r in page.split("<tbody ")[1:] if r.startswith('data-q="b20ai052 ayush abrol"'))
    assert " data-f>" in row[:row.index(">") + 1]  # flagged, and kept by "flagged only"
    for label in ("CNN below", "AE below", "settings changed", "train limit"):  # each flag's words fold open
        assert f">{label}</span>" in row
    # MNIST, classes 1,3,5,7,9, 3+2, flip: not in the grade book; the closest measured variant is named.
    mnist = rows["B20AI053"]
    closest = derive(parse_student("21/08/00", "B20GB031", "btech")).key
    assert mnist["baseline_own"] == "no (closest measured)" and mnist["baseline_variant"] == closest
    assert rows["M21CS010"]["cnn_baseline"] == ""  # failed: nothing to compare


def test_a_second_sweep_trains_nothing(swept):
    out, _, second, stamps = swept
    assert second.returncode == 1
    assert len(stamps) == 6 and {p: p.stat().st_mtime_ns for p in stamps} == stamps  # no checkpoint rewritten
    assert "2 finished before" in second.stdout  # only the CIFAR-10 group was tried again
    assert [r["status"] for r in summary(out)] == ["ok", "ok", "ok", "failed", "invalid", "invalid", "invalid"]


ONE_STUDENT = "roll,dob,program,first,last\nB20AI052,18/03/02,btech,Ayush,Abrol\n"
QUICK = ["--epochs", "1", "--train-limit", "600"]
AGAIN = {"epochs": ["--epochs", "2", "--train-limit", "600"], "set": [*QUICK, "--set", "cnn.lr=0.01"],
         "train_limit": ["--epochs", "1", "--train-limit", "900"], "first": QUICK}


@pytest.fixture(scope="module")
def resweeps(tmp_path_factory, fashion_mnist):
    """One student swept with quick settings, then again on the same --out with other epochs, another --set
    and another --train-limit, and finally with the first settings once more."""
    folder = tmp_path_factory.mktemp("resweep")
    roster = folder / "class.csv"
    roster.write_text(ONE_STUDENT)
    out = folder / "out"

    def swept(args):
        done = subprocess.run([sys.executable, "-m", "variantlab", "sweep", str(roster), *args, "--out", str(out)],
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        [row] = summary(out)
        training = out / "students" / "B20AI052" / "training"
        return row, json.loads((training / "results.json").read_text()), training.resolve()

    first = swept(QUICK)
    stamps = {p: p.stat().st_mtime_ns for p in training_files(first[2])}
    return first, {name: swept(args) for name, args in AGAIN.items()}, stamps


def training_files(folder):
    return list(folder.glob("checkpoints/*.pt"))


@pytest.mark.parametrize("name,check", [
    ("epochs", lambda r: [len(r[m]["history"]) for m in ("cnn", "autoencoder", "ae_classifier")] == [2, 2, 2]),
    ("set", lambda r: r["settings"]["cnn"]["lr"] == 0.01 and "cnn.lr" in r["changed_settings"]),
    ("train_limit", lambda r: r["train_limit"] == 900 and r["data"]["train_size"] + r["data"]["val_size"] == 900),
])
def test_a_sweep_again_with_other_settings_reports_its_own_training(resweeps, name, check):
    (_, first_results, first_folder), again, _ = resweeps
    row, results, folder = again[name]
    assert check(results) and not check(first_results)  # the student's training is the one asked for
    assert folder != first_folder and folder.parent == first_folder.parent  # in a folder of its own
    assert float(row["cnn_test_accuracy"]) == pytest.approx(results["cnn"]["test_accuracy"], abs=1e-6)
    assert float(row["ae_classifier_test_accuracy"]) == pytest.approx(results["ae_classifier"]["test_accuracy"],
                                                                      abs=1e-6)


def test_a_sweep_again_with_the_first_settings_reuses_the_first_training(resweeps):
    (first_row, _, first_folder), again, stamps = resweeps
    row, _, folder = again["first"]
    assert folder == first_folder and row == first_row
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # not trained again
    assert len(list(first_folder.parent.iterdir())) == 4  # the first, and one per other setting


def test_roster_without_a_required_column_is_refused(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("roll,program\nB20AI052,btech\n")
    with pytest.raises(UserError, match="header lacks column"):
        read_roster(roster)
    done = subprocess.run([sys.executable, "-m", "variantlab", "sweep", str(roster)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "lacks column(s) dob" in done.stderr and "Traceback" not in done.stderr


def test_hostile_roster_rows_are_invalid_and_the_csv_is_inert(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text('roll,dob,program,first,last\n'
                      '/tmp/x052,18/03/02,btech,A,B\n'
                      '../x052,18/03/02,btech,A,B\n'
                      '"B20\nAI052",18/03/02,btech,A,B\n'
                      '=1+2052,18/03/02,btech,"=HYPERLINK(""http://example.invalid"",""click"")",@SUM(A1)\n'
                      '<script>alert(1)</script>052,18/03/02,btech,A,B\n')
    rows = read_roster(roster)
    assert [r.student for r in rows] == [None] * 5
    assert all("is not 3 to 32 ASCII letters" in r.error for r in rows)
    write_summary(tmp_path / "out", rows, {}, 1, baselines.Table({}))
    cells = summary(tmp_path / "out")
    assert [c["status"] for c in cells] == ["invalid"] * 5
    assert cells[3]["roll"] == "'=1+2052" and cells[3]["first"].startswith("'=HYPERLINK(")
    assert cells[3]["last"] == "'@SUM(A1)"
    assert not any(c[k][:1] in "=+-@" for c in cells for k in c if c[k])
    page = (tmp_path / "out" / "class_summary.html").read_text()
    assert "=HYPERLINK(&quot;http://example.invalid&quot;" in page and "<script>alert" not in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "r.csv"]  # nothing written outside --out


@pytest.mark.parametrize("content,fragment", [
    (b"roll,dob,program\n\xff\xfe052,18/03/02,btech\n", "not UTF-8 text"),
    (b"roll,dob,program\n\"" + b"x" * 200_000 + b"\",18/03/02,btech\n", "not a readable CSV file"),
])
def test_unreadable_rosters_are_refused_in_one_line(tmp_path, content, fragment):
    roster = tmp_path / "r.csv"
    roster.write_bytes(content)
    with pytest.raises(UserError, match=fragment):
        read_roster(roster)
