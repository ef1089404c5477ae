"""Every laptop: variantlab starts where POSIX-only modules are missing (Windows has no `fcntl` and no
`resource`), and importing it never switches a notebook's plotting backend."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
WITHOUT_POSIX = "import sys\nsys.modules['fcntl'] = None\nsys.modules['resource'] = None\n"  # import fails, as there


def python(code: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_POSIX + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=os.environ | {"COLUMNS": "200"})


def test_check_starts_without_fcntl_and_resource(tmp_path):
    done = python(f"""
        from variantlab.cli import app
        app(["check", {str(HERE / "submissions" / "keras_add.py")!r}, "--json"])
    """)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["student"]["roll"] == "B20AI093"


@pytest.mark.trains
def test_run_starts_without_fcntl_and_resource(tmp_path, fashion_mnist):
    done = python(f"""
        import warnings
        from variantlab.cli import app
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            try:
                app(["run", "--dob", "18/03/02", "--roll", "B20AI052", "--program", "btech", "--epochs", "1",
                     "--train-limit", "200", "--device", "cpu", "--out", {str(tmp_path / "run")!r}])
            except SystemExit as e:
                print("exit", e.code)
        print("warned:", [str(w.message) for w in said if "file locks" in str(w.message)])
    """)
    assert "exit 0" in done.stdout, done.stderr
    assert "warned: ['this system offers no file locks" in done.stdout  # said, not silently unlocked
    assert (tmp_path / "run" / "results.json").exists()


@pytest.mark.parametrize("module", ["variantlab.report.figures", "variantlab.pipeline", "variantlab.report.report"])
def test_importing_variantlab_leaves_the_plotting_backend_alone(module):
    done = subprocess.run([sys.executable, "-c", f"import matplotlib, {module}; print(matplotlib.get_backend())"],
                          capture_output=True, text=True, timeout=300, env=os.environ | {"MPLBACKEND": "svg"})
    assert done.returncode == 0 and done.stdout.strip() == "svg", done.stderr


def test_a_class_check_starts_without_fcntl_and_resource(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "B20AI093_minor1.py").write_text((HERE / "submissions" / "keras_add.py").read_text())
    (tmp_path / "class.csv").write_text("roll,dob,program\nB20AI093,04/04/00,btech\n")
    done = python(f"""
        import warnings
        from variantlab.check.grading import check_class
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            result = check_class({str(folder)!r}, {str(tmp_path / "class.csv")!r}, out={str(tmp_path / "out")!r},
                                 workers=1, show_progress=False)
        print(result.count("checked"), [str(w.message)[:40] for w in said if "cannot limit" in str(w.message)])
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == """1 ["this system cannot limit a worker's memo"]"""


WITHOUT_TRAINING = "import sys\nfor name in ('torch', 'torchvision', 'ray'):\n" \
                   "    sys.modules[name] = None\n"  # a grader's install: pip install variantlab[check]


def test_a_grader_checks_without_the_training_packages(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "B20AI093_minor1.py").write_text((HERE / "submissions" / "keras_add.py").read_text())
    (tmp_path / "class.csv").write_text("roll,dob,program\nB20AI093,04/04/00,btech\n")
    code = WITHOUT_TRAINING + textwrap.dedent(f"""
        from variantlab.cli import app
        try:
            app(["check", {str(folder)!r}, "--roster", {str(tmp_path / "class.csv")!r}, "--out",
                 {str(tmp_path / "out")!r}, "--workers", "1"])
        except SystemExit as e:
            print("exit", e.code)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "exit 0" in done.stdout and "1 checked" in done.stdout, done.stderr
    assert (tmp_path / "out" / "feedback" / "B20AI093.pdf").exists()


def test_training_without_its_packages_says_which_extra_to_install(tmp_path):
    code = WITHOUT_TRAINING + textwrap.dedent(f"""
        from variantlab.cli import app
        app(["run", "--dob", "18/03/02", "--roll", "B20AI052", "--program", "btech", "--out",
             {str(tmp_path / "run")!r}])
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "pip install 'variantlab[train]'" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
