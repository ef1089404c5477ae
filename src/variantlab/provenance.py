"""Which code produced a result: the package version and, run from a git checkout, its commit."""

import subprocess
from pathlib import Path

from variantlab import __version__


def source_state() -> dict:
    """{"variantlab": version, "commit": sha or None, "dirty": bool or None}. The commit is that of the
    checkout holding this package's source, not of the folder the user runs in."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(here), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = None if commit is None else bool(git("status", "--porcelain", "--untracked-files=no", "--", "."))
    return {"variantlab": __version__, "commit": commit, "dirty": dirty}
