"""Atomic writes: write a temporary file beside the target, then rename it over the target,
so a reader (or a resumed run) sees the old file or the new one, never half of one."""

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from variantlab.errors import UserError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path):
    """Yields a temporary path in the target's folder; on success it replaces `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; a report is for reading
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: Path, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2) + "\n")


def inside(folder: Path, name: str) -> Path:
    """`folder / name`, refused unless it lies within `folder`: names that come from users (roll numbers)
    must never climb out of the output folder or point elsewhere."""
    if name in ("", ".") or "\0" in name or len(Path(name).parts) != 1 or Path(name).is_absolute() or name == "..":
        raise UserError(f"{name!r} is not one folder name inside {folder}")
    path = Path(folder) / name
    if not path.resolve().is_relative_to(Path(folder).resolve()):
        raise UserError(f"{name!r} would write outside {folder} (a link leads elsewhere)")
    return path


def default_out(out: str | Path | None, under: str, name: str) -> Path:
    """Where a command writes: the folder the user gave, else `under/name` in the working folder (`runs/`,
    `sweeps/`, `checks/`), `name` refused if it is not one plain folder name."""
    return Path(out) if out else inside(Path(under), name)
