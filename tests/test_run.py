"""`variantlab run` end to end on the real data: the folder, the JSON, the exported models,
the report in a real browser, resuming, and arguments refused before any training."""

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import variantlab
from variantlab.data import datasets
from variantlab.data.datasets import select_classes
from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.locks import folder_lock
from variantlab.report.figures import FIGURES
from variantlab.training.config import REASONS
from variantlab.training.results import read_results, to_json

pytestmark = pytest.mark.trains  # trains real models: `make quick` leaves these out

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = dict(dob="18/03/02", roll="B20AI052", program="btech", first="Ayush", last="Abrol")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, fashion_mnist):
    out = tmp_path_factory.mktemp("run") / "reference"
    results = variantlab.run(**REFERENCE, epochs=1, train_limit=2000, device="cpu", out=out, show_progress=False)
    return out, results


def test_folder_holds_everything(run_dir):
    out, _ = run_dir
    expected = {".lock", "config.json", "results.json", "report.md", "report.html", "report.pdf", "models/cnn.pt2",
                "models/ae_classifier.pt2", "checkpoints/cnn.pt", "checkpoints/autoencoder.pt",
                "checkpoints/ae_classifier.pt"} | {f"figures/{name}" for name, _ in FIGURES.values()}
    found = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert found == expected  # nothing missing, no temporary file left behind
    for name, _ in FIGURES.values():
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_json(run_dir):
    out, returned = run_dir
    r = json.loads((out / "results.json").read_text())
    assert r == json.loads(json.dumps(to_json(returned)))
    assert returned.folder == out and read_results(out) == returned  # the file reads back to what run returned
    assert r["variant"]["dataset"] == "fashion_mnist" and r["profile"] == "fast" and r["seed"] == 0
    assert r["device"] == "cpu"
    for model in ("cnn", "ae_classifier"):
        m = r[model]
        assert 0.6 <= m["test_accuracy"] <= 1  # three times chance (0.2 for five classes): one epoch learned
        assert set(m["per_class_accuracy"]) == {"Trouser", "Dress", "Sandal", "Sneaker", "Ankle boot"}
        assert len(m["confusion_matrix"]) == 5 and sum(map(sum, m["confusion_matrix"])) == 5000
        assert len(m["history"]) == 1 and m["train_seconds"] > 0
    assert r["ae_classifier"]["mode"] == "pretrained"
    assert 0 < r["autoencoder"]["test_mse"] < 1 and 0 < r["autoencoder"]["test_mse_noisy"] < 1
    assert r["timings"]["total_seconds"] > r["timings"]["cnn_seconds"] > 0
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:  # run from a checkout: the result names its commit
        assert r["versions"]["commit"] == head.stdout.strip() and isinstance(r["versions"]["dirty"], bool)
    assert r["versions"]["variantlab"] == variantlab.__version__
    assert r["data"]["train_size"] + r["data"]["val_size"] == 2000
    config = json.loads((out / "config.json").read_text())
    assert config["student"]["abc"] == "052" and config["identity"]["profile"]["name"] == "fast"
    assert config["versions"]["torch"] == torch.__version__


LOAD_WITH_TORCH_ALONE = """
import sys, torch
program = torch.export.load(sys.argv[1]).module()
x, y = torch.load(sys.argv[2])
with torch.no_grad():
    logits = torch.cat([program(x[i:i + 1000]) for i in range(0, len(x), 1000)])
assert "variantlab" not in sys.modules
print(logits.shape[1], int((logits.argmax(1) == y).sum()))
"""


def test_exported_models_load_with_torch_alone_and_reproduce_the_accuracy(run_dir, fashion_mnist, tmp_path):
    out, results = run_dir
    subset = select_classes(fashion_mnist, (1, 3, 5, 7, 9))
    test_file = tmp_path / "test.pt"
    torch.save((subset.test.images.float() / 255, subset.test.labels), test_file)
    for model in ("cnn", "ae_classifier"):
        done = subprocess.run([sys.executable, "-c", LOAD_WITH_TORCH_ALONE, str(out / "models" / f"{model}.pt2"),
                               str(test_file)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        outputs, correct = map(int, done.stdout.split())
        assert outputs == 5
        assert correct / 5000 == pytest.approx(results.classifier(model).test_accuracy, abs=1e-9)


def test_report_lists_the_variant_and_every_figure(run_dir):
    out, results = run_dir
    md = (out / "report.md").read_text()
    assert md.startswith("# Minor 1: Ayush Abrol (B20AI052)")
    for sentence in ("ABC = 052 is even, B.Tech", "DD+MM+YY = 18+3+2 = 23 is odd", "4 conv + 1 pool",
                     "label smoothing 0.1, weights' moving average (decay 0.998)",
                     "4 conv (5x5, padding 1) + 1 max pool after conv 2, first layer 10 filters, flatten 4096"):
        assert sentence in md
    for name, _ in FIGURES.values():
        assert f"(figures/{name})" in md
    assert f"{100 * results.cnn.test_accuracy:.2f} %" in md
    comparison = md[md.index("### Against measured baselines"):]
    assert "reference report" in comparison and "97.92 %" in comparison and "97.12 %" in comparison
    assert "fast, this variant" in comparison  # the reference variant's own grade-book runs


def poppler(*args) -> str:
    if shutil.which(args[0]) is None:
        pytest.skip(f"needs poppler's {args[0]} (Debian's poppler-utils; make test installs it as root)")
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def test_report_pdf_is_a4_with_every_section_figure_and_number(run_dir):
    out, results = run_dir
    pdf = str(out / "report.pdf")
    info = poppler("pdfinfo", pdf)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages > 1 and "595.28 x 841.89 pts (A4)" in info
    text = poppler("pdftotext", pdf, "-")
    flat = " ".join(text.split())
    assert "Minor 1: Ayush Abrol (B20AI052)" in flat
    for reason in results.variant.reasons:
        assert reason.value in flat and reason.why in flat
    for model in ("cnn", "ae_classifier"):
        assert f"{100 * results.classifier(model).test_accuracy:.2f} %" in flat
    for heading in ("Student", "Variant: what follows from the details", "Hyperparameters and why", "Data",
                    "Question 1: the CNN", "Question 2: the autoencoder", "Question 2: the classifier on the encoder",
                    "Comparison", "Against measured baselines", "Timings and device"):
        assert heading in text
    images = [line.split() for line in poppler("pdfimages", "-list", pdf).splitlines()[2:]]
    assert len(images) == len(FIGURES)  # every figure, each once
    with_images = {int(row[0]) for row in images}
    for page in range(1, pages + 1):  # no blank page: each has text beyond its footer, or a figure
        body = [line for line in poppler("pdftotext", "-f", str(page), "-l", str(page), pdf, "-").splitlines()
                if line.strip() and "page " not in line]
        assert body or page in with_images, f"page {page} is blank"
        assert f"Minor 1: Ayush Abrol (B20AI052) · page {page} of {pages}" in poppler(
            "pdftotext", "-f", str(page), "-l", str(page), pdf, "-")


CHECK = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e.type)), true);
window.addEventListener('load', () => {
  const images = [...document.images];
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  document.body.setAttribute('data-check', `images=${images.length} broken=${broken} errors=${window.__errors.length}`);
});
</script>"""


def test_report_html_renders_in_headless_chromium(run_dir, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    out, _ = run_dir
    page = tmp_path / "report.html"
    page.write_text((out / "report.html").read_text().replace("<head>", "<head>" + CHECK, 1))
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
                           "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    check = re.search(r'data-check="images=(\d+) broken=(\d+) errors=(\d+)"', done.stdout)
    assert check, done.stderr[-2000:]
    images, broken, errors = map(int, check.groups())
    assert images == len(FIGURES) and broken == 0 and errors == 0
    assert "CONSOLE" not in done.stderr


def test_a_finished_run_is_not_trained_again(run_dir):
    out, results = run_dir
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "checkpoints").iterdir()}
    again = variantlab.run(**REFERENCE, epochs=1, train_limit=2000, device="cpu", out=out, show_progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "checkpoints").iterdir()} == stamps
    assert again.cnn.history == results.cnn.history
    assert again.cnn.test_accuracy == results.cnn.test_accuracy


def test_another_run_in_the_same_folder_is_refused(run_dir):
    out, _ = run_dir
    with pytest.raises(variantlab.errors.UserError, match="holds a run with other details or settings"):
        variantlab.run(**REFERENCE, epochs=1, train_limit=2000, seed=1, device="cpu", out=out, show_progress=False)


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "variantlab", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("extra,fragment", [
    (["--profile", "quick"], "profile 'quick' is not one of: faithful, fast"),
    (["--epochs", "0"], "--epochs 0 must be at least 1"),
    (["--train-limit", "0"], "--train-limit 0 must be at least 1"),
    (["--set", "cnn.lr=fast"], "setting cnn.lr='fast' is not a valid float"),
    (["--device", "tpu"], "device 'tpu' is not one of: auto, cpu, cuda"),
    (["--dob", "31/02/03"], "'31/02/03' is not a real date"),
    (["--set", "cnn_kernel=9", "--set", "cnn_padding=0"], "9x9 kernels, padding 0 and pools placed 'spread' shrinks a "
                                                          "28x28 image to nothing by conv 3"),
])
def test_bad_arguments_exit_2_before_training(extra, fragment, tmp_path):
    args = ["run", "--dob", "18/03/02", "--roll", "052", "--program", "btech", "--out", str(tmp_path / "x"), *extra]
    done = cli(*args)
    assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("roll", ["{tmp}/x052", "../x052", "x/../../052", "B20\nAI052", "B20 AI052", "=1+1052"])
def test_a_roll_number_that_could_name_another_path_is_refused_and_nothing_is_written(roll, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-m", "variantlab", "run", "--dob", "18/03/02", "--program", "btech",
                           "--roll", roll.format(tmp=tmp_path)], capture_output=True, text=True, timeout=120, cwd=work)
    assert done.returncode == 2 and "is not 3 to 32 ASCII letters, digits, '-' or '_'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert [p.name for p in tmp_path.rglob("*")] == ["work"]


def test_a_folder_in_use_is_refused_at_once(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    with folder_lock(busy):  # held as a running `variantlab run` holds it
        done = cli("run", "--dob", "18/03/02", "--roll", "052", "--program", "btech", "--out", str(busy))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{busy} is in use by another variantlab run (pid {os.getpid()} on {socket.gethostname()})" in done.stderr
    assert sorted(p.name for p in busy.iterdir()) == [".lock"]


def test_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    done = cli("run", "--dob", "18/03/02", "--roll", "052", "--program", "btech", "--out", str(target))
    assert done.returncode == 2 and "is a file" in done.stderr and "Traceback" not in done.stderr


def test_a_changed_setting_is_marked_and_carries_no_profile_reason(tmp_path, fashion_mnist):
    r = variantlab.run(**REFERENCE, epochs=1, train_limit=300, device="cpu", out=tmp_path / "s",
                       settings={"cnn.lr": "0.002"}, show_progress=False)
    assert r.changed_settings == ("cnn.epochs", "cnn.lr", "autoencoder.epochs", "ae_classifier.epochs")
    md = (tmp_path / "s" / "report.md").read_text()
    cnn_row = next(line for line in md.splitlines() if line.startswith("| cnn |"))
    assert "lr 0.002" in cnn_row and "**changed for this run** (cnn.epochs, cnn.lr)" in cnn_row
    assert REASONS["fast"]["cnn"] not in md
    html = (tmp_path / "s" / "report.html").read_text()
    assert "<strong>changed for this run</strong> (cnn.epochs, cnn.lr)" in html and REASONS["fast"]["cnn"] not in html
    precision_row = next(line for line in md.splitlines() if line.startswith("| precision |"))
    assert precision_row.startswith(f"| precision | {r.precision_used}")


def test_faithful_quick_run_keeps_ten_outputs(tmp_path, fashion_mnist):
    r = variantlab.run(**REFERENCE, profile="faithful", epochs=1, train_limit=300, device="cpu", out=tmp_path / "f",
                       show_progress=False)
    assert r.data.images_per_epoch == 1200  # the static 4x expansion
    assert r.ae_classifier.mode == "scratch" and len(r.cnn.confusion_matrix[0]) == 6  # 5 + "other"
    program = torch.export.load(tmp_path / "f" / "models" / "cnn.pt2").module()
    assert program(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_cifar_format_student_runs_end_to_end(tmp_path, monkeypatch):
    """An M.Tech student (CIFAR-10, 32x32x3, 5 conv + 2 pool) on small CIFAR-format files."""
    import hashlib
    import pickle

    import numpy as np

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    sums = {}
    for name in datasets.CIFAR_FILES:
        batch = {b"data": rng.integers(0, 256, (40, 3072)).astype(np.uint8), b"labels": [i % 10 for i in range(40)]}
        (folder / name).write_bytes(content := pickle.dumps(batch))
        sums[name] = hashlib.md5(content).hexdigest()
    monkeypatch.setitem(datasets.SPECS, "cifar10", dataclasses.replace(
        datasets.SPECS["cifar10"], checksums=sums, train_count=200, test_count=40))
    student = dict(dob="18/03/02", roll="M21CS052", program="M.Tech")
    assert derive(parse_student(**student)).conv_layers == 5
    r = variantlab.run(**student, epochs=1, device="cpu", out=tmp_path / "out", data_dir=tmp_path,
                       show_progress=False)
    # fast's pools follow conv 2 and 3: 32 -> 30 -> 28, pool 14 -> 12, pool 6 -> 4 -> 2
    assert r.variant.dataset == "cifar10" and r.cnn.flatten_size == 64 * 2 * 2
    assert r.data.test_size == 20 and r.data.train_size + r.data.val_size == 100
    program = torch.export.load(tmp_path / "out" / "models" / "cnn.pt2").module()
    assert program(torch.rand(2, 3, 32, 32)).shape == (2, 5)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "No baseline" in report and "--profile faithful" in report  # no CIFAR-10 variant was measured
    assert "reference report" not in report and "97.92" not in report and "97.12" not in report


# A child inherits an ignored SIGINT, and Python then installs no KeyboardInterrupt for it: seen once in a full
# run of this suite (something in the test process had ignored it). The child starts as a terminal's would.
AS_FROM_A_TERMINAL = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                      "sys.argv[0] = 'variantlab'; runpy.run_module('variantlab', run_name='__main__')")


def test_ctrl_c_stops_with_130_and_says_how_to_resume(tmp_path, fashion_mnist):
    """SIGINT after the CNN's first checkpoint, with 39 of its 40 epochs still to run: a stop mid-training."""
    out = tmp_path / "out"
    args = [sys.executable, "-c", AS_FROM_A_TERMINAL, "run", "--dob", "18/03/02", "--roll", "052", "--program",
            "btech", "--epochs", "40", "--train-limit", "600", "--device", "cpu", "--out", str(out)]
    with open(tmp_path / "err", "w") as err:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        checkpoint = out / "checkpoints" / "cnn.pt"
        deadline = time.monotonic() + 300
        while not checkpoint.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    stderr = (tmp_path / "err").read_text()
    assert process.returncode == 130, stderr
    assert "interrupted: the same command resumes from the last finished epoch" in stderr
    assert "Traceback" not in stderr and not (out / "results.json").exists()

