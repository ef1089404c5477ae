"""One writer per run folder: a second run (or sweep task) on a folder in use is refused at once.

The lock is an advisory `flock` on `<folder>/.lock`, held by the open file: the kernel drops it when
the process ends however it ends (`kill -9` included), so a stale lock never blocks the next run.
"""

import fcntl
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from variantlab.errors import UserError


@contextmanager
def folder_lock(folder: Path):
    path = Path(folder) / ".lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise UserError(f"{folder} is in use by another variantlab run ({holder}); wait for it to finish, "
                            "or give another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
