"""One writer per run folder: a second run (or sweep task) on a folder in use is refused at once.

The lock is the operating system's own on `<folder>/.lock`, held by the open file: `flock` on Linux and
macOS, `msvcrt.locking` on Windows. The kernel drops it when the process ends however it ends (`kill -9`
included), so a stale lock never blocks the next run. Where neither exists the run goes on unlocked, and
says so once.
"""

import os
import socket
import warnings
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from variantlab.errors import UserError

fcntl: ModuleType | None
msvcrt: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
try:
    import msvcrt
except ImportError:  # everywhere else
    msvcrt = None

WINDOWS_BYTE = 2**20  # the byte msvcrt locks: past the holder's words, which another process must still read


def _acquire(handle) -> bool | None:
    """True when this process now holds the lock, False when another does, None where locks do not exist."""
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    if msvcrt is not None:
        handle.seek(WINDOWS_BYTE)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    return None


def _release(handle) -> None:
    if fcntl is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
    elif msvcrt is not None:
        handle.seek(WINDOWS_BYTE)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)


@contextmanager
def folder_lock(folder: Path):
    path = Path(folder) / ".lock"
    with open(path, "a+") as handle:
        held = _acquire(handle)
        if held is False:
            handle.seek(0)
            holder = handle.read(200).strip() or "another process"
            raise UserError(f"{folder} is in use by another variantlab run ({holder}); wait for it to finish, "
                            "or give another --out") from None
        if held is None:
            warnings.warn("this system offers no file locks: nothing stops two runs writing one folder",
                          stacklevel=3)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            if held:
                _release(handle)
