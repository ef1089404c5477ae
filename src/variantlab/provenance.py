"""Which code produced a result: the package version, a digest of the code that trains, and, run from a
git checkout, its commit."""

import hashlib
import subprocess
from functools import cache
from pathlib import Path

from variantlab import __version__

# The modules whose code decides what a run trains: a change to any of them makes a run another run. The
# report, figures, sweep, checker and command line only present or schedule what these train.
TRAINING_MODULES = ("data/augment.py", "data/batches.py", "data/datasets.py", "exam/catalog.py", "exam/rules.py",
                    "exam/student.py", "pipeline.py", "training/checkpoint.py", "training/config.py",
                    "training/evaluate.py", "training/export.py", "training/models.py", "training/train.py")


# The files whose content decides what a class check keeps of a submission (its verdicts, claims, what marking
# reads of it, its fingerprint): its JSON is reused only while these, and the submission's own files, are
# unchanged. tests/test_layout.py checks every module check.py reaches is here.
CHECK_FILES = ("check/adjustments.py", "check/archive.py", "check/check.py", "check/claims.py", "check/codeparse.py",
               "check/codescan.py", "check/grading.py", "check/networks.py", "check/pdftext.py", "check/plain.py",
               "check/rubric.py", "check/submission.py", "check/textscan.py", "check/trainscan.py", "exam/catalog.py",
               "exam/rules.py", "exam/student.py", "training/baselines.json", "training/baselines.py",
               "training/config.py", "training/results.py")


def code_digest(package: Path | None = None) -> str:
    """Twelve hex digits of the training modules' source (this installed package's, unless another folder
    of them is given): equal for equal code, however it was installed (a checkout, a wheel, an edited
    copy), so a run is reused or resumed only by the code that trained it."""
    return _digest(package or Path(__file__).resolve().parent, TRAINING_MODULES)


def checker_digest() -> str:
    """Twelve hex digits of the checker's source and the baselines it judges by."""
    return _digest(Path(__file__).resolve().parent, CHECK_FILES)


@cache  # the installed code does not change while a process runs; an edited copy is read again
def _digest(package: Path, files: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (package / name).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def source_state() -> dict:
    """{"variantlab": version, "code": code_digest(), "commit": sha or None, "dirty": bool or None}. The commit
    is that of the checkout holding this package's source, not of the folder the user runs in."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(here), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = None if commit is None else bool(git("status", "--porcelain", "--untracked-files=no", "--", "."))
    return {"variantlab": __version__, "code": code_digest(), "commit": commit, "dirty": dirty}
