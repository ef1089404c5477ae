"""A submission as handed in: a zip (the exam asks for `<Roll_Number>_minor1.zip` with a PDF report, the
code, a README and a video), or a folder that may hold zips. What variantlab reads of it (notebooks,
scripts, PDFs, text) and the list of every file it holds, read or not.

A zip is untrusted. Its directory is read first, and the whole zip refused with one line when a member
would inflate past a cap (a bomb), has a name that leads out of it (`..`, an absolute path, a drive
letter, with `\\` read as `/`), is a symbolic link or is encrypted. Then only the members that are read,
and zips inside it, are inflated, member by member, each to a file of variantlab's own naming in a
temporary folder removed afterwards; a video or an image is listed from the directory, never inflated.
A zip inside the zip is opened; one deeper still is listed, not opened.
"""

import lzma
import os
import re
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from variantlab.check.submission import MAX_FILE_BYTES, SUFFIXES
from variantlab.errors import UserError

# The caps, from what a hand-in holds: a report PDF and notebooks of a few MB each, scripts of KB, a video
# of tens of MB (a long screen recording, a few hundred).
MAX_TOTAL_BYTES = 2**30  # inflated, over every member of every zip opened, listed ones included: a hand-in is
# far under, a bomb far over
MAX_RATIO = 100  # inflated / compressed, for any member, read or not: code and notebooks deflate 3-10 times, PDFs,
# images and videos hardly; Apache POI refuses Office files at the same 100 to 1
RATIO_FLOOR = 2**20  # under a MB, a high ratio costs nothing (a script of blank lines deflates 500 times)
MAX_DIRECTORY_BYTES = 16 * 2**20  # a zip's central directory, which zipfile reads whole and makes an object of
# each entry of (about 46 bytes and a name an entry: over 100,000 of them)
MAX_ENTRIES = 100_000  # files listed in one submission: a dataset's images zipped with the code by mistake run
# to tens of thousands
MAX_DEPTH = 2  # zips opened one inside another: the hand-in and a zip in it
HIDDEN = "__MACOSX"  # macOS's resource forks, beside every file of a zip made in the Finder: not the student's
Use = Literal["read", "open", "too big", "too deep", "list"]
# Everything zipfile, zlib, bz2 and lzma raise on a damaged or unsupported zip (bz2 raises OSError and
# ValueError). UserError is a ValueError: it is re-raised before these are caught.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
              ValueError, zlib.error, lzma.LZMAError, struct.error)


def is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def hidden(name: str) -> bool:
    """Dot files and folders (.git, .ipynb_checkpoints, .DS_Store) and __MACOSX: never read nor listed."""
    return any(part.startswith(".") or part == HIDDEN for part in PurePosixPath(name).parts)


@dataclass
class Held:
    """What a submission holds: the files that are read, each by its name within the submission and the file
    on disk (a folder's own, or a member inflated into `temp`); every file's name, read or not; the members
    left unread with their one-line reasons."""

    temp: Path
    readable: list[tuple[str, Path]] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    inflated: int = 0  # bytes declared by the zips' members so far

    def note(self, name: str, shown: str) -> None:
        if len(self.contents) >= MAX_ENTRIES:
            raise UserError(f"{shown}: more than {MAX_ENTRIES:,} files, more than a submission holds")
        self.contents.append(name)

    def add_folder(self, folder: Path) -> None:
        for file in sorted(folder.rglob("*")):
            name = file.relative_to(folder).as_posix()
            if file.is_symlink() or not file.is_file() or hidden(name):
                continue
            self.note(name, folder.name)
            if file.suffix.lower() in SUFFIXES:
                self.readable.append((name, file))
            elif is_zip(file):
                self.add_inner_zip(file, name, depth=1)

    def add_inner_zip(self, file: Path, name: str, depth: int) -> None:
        """A zip the submission holds, opened; skipped, with its reason, where it is not a readable zip."""
        try:
            archive = open_zip(file, name)
        except UserError as e:
            self.skipped.append(str(e))
            return
        with archive:
            self.add_members(archive, name, f"{name}/", depth)

    def add_members(self, archive: zipfile.ZipFile, shown: str, prefix: str, depth: int) -> None:
        """Every file member listed; those that are read, and zips not too deep, inflated once the whole zip
        is vetted."""
        # A folder's entry ends in a separator (ZipInfo.is_dir fails on an empty name).
        members = sorted(((m, name) for m in archive.infolist() if (name := member_name(m, shown))
                          and not m.filename.endswith(("/", "\\"))), key=lambda pair: pair[1])  # a folder's order
        for member, name in members:
            vet(member, name, shown)
        self.inflated += sum(m.file_size for m, _ in members)
        if self.inflated > MAX_TOTAL_BYTES:
            raise UserError(f"{shown}: its files inflate to more than the {MAX_TOTAL_BYTES // 2**20:,} MB a "
                            "submission may (a zip bomb, or not a submission)")
        for member, name in members:
            if hidden(name):
                continue
            self.note(prefix + name, shown)
            use = use_of(name, member.file_size, depth)
            if use == "too big":
                self.skipped.append(f"{prefix}{name}: {member.file_size / 2**20:.0f} MB, more than the "
                                    f"{MAX_FILE_BYTES // 2**20} MB a submission file may have")
            elif use == "too deep":
                self.skipped.append(f"{prefix}{name}: a zip inside a zip inside the submission, listed, not opened")
            elif use != "list":
                file = self.inflate(archive, member, prefix + name)
                if file is not None and use == "open":
                    self.add_inner_zip(file, prefix + name, depth + 1)
                elif file is not None:
                    self.readable.append((prefix + name, file))

    def inflate(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> Path | None:
        """The member in a file of its own in `temp` (zipfile stops at its declared size, and checks its
        CRC); None, with the reason skipped, where it cannot be inflated."""
        file = self.temp / f"{len(self.contents)}{PurePosixPath(name).suffix.lower()}"
        try:
            with archive.open(member) as source, open(file, "wb") as sink:
                shutil.copyfileobj(source, sink, 2**20)
        except ZIP_ERRORS as e:
            file.unlink(missing_ok=True)
            self.skipped.append(f"{name}: not readable from the zip ({reason(e)})")
            return None
        return file


def use_of(name: str, size: int, depth: int) -> Use:
    """What is done with a zip's member at `depth` (1 for the hand-in's own)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in SUFFIXES:
        return "read" if size <= MAX_FILE_BYTES else "too big"
    if suffix == ".zip":
        return "open" if depth < MAX_DEPTH else "too deep"
    return "list"


def reason(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {text[:160]}" if text else type(e).__name__


def member_name(member: zipfile.ZipInfo, shown: str) -> str:
    """The member's path within the zip, `\\` read as `/` (Windows tools write either), refused where it
    leads out of the zip."""
    raw = member.filename
    name = raw.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts:
        raise UserError(f"{shown}: the member {raw!r} is named outside the zip (an absolute path, a drive or "
                        "'..'); a submission's zip holds only relative names")
    return "/".join(part for part in parts if part not in ("", "."))


def vet(member: zipfile.ZipInfo, name: str, shown: str) -> None:
    """Refuses the zip for a member that is encrypted, a link, or a bomb."""
    if member.flag_bits & 0x1:
        raise UserError(f"{shown}: {name} is encrypted; submit the zip without a password")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise UserError(f"{shown}: {name} is a symbolic link; a submission's zip holds files only")
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
        raise UserError(f"{shown}: {name} inflates {ratio:,.0f} times ({member.file_size / 2**20:,.0f} MB from "
                        f"{member.compress_size:,} bytes), more than the {MAX_RATIO} times a member may (a zip "
                        "bomb?)")


def directory_bytes(file: Path) -> int:
    """The size of a zip's central directory as its end record states it (the ZIP64 record's, where one is
    there), found as zipfile finds it: zipfile reads that many bytes, and makes an object of each entry,
    before anything can be asked of it. 0 where there is no end record."""
    with open(file, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        start = f.seek(max(0, end - 22 - 0xFFFF))
        tail = f.read()
        at = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" and tail[-2:] == b"\0\0" else tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return 0
        size = struct.unpack_from("<L", tail, at + 12)[0]
        if start + at >= 76:  # a ZIP64 end record (56 bytes) and its locator (20) before the end record
            f.seek(start + at - 76)
            record = f.read(76)
            if record[:4] == b"PK\x06\x06" and record[56:60] == b"PK\x06\x07":
                size = struct.unpack_from("<Q", record, 40)[0]
    return size


def open_zip(file: Path, shown: str) -> zipfile.ZipFile:
    """The zip's directory, read by zipfile once its size is known to be within the cap."""
    try:
        size = directory_bytes(file)
        if size > MAX_DIRECTORY_BYTES:
            raise UserError(f"{shown}: a zip directory of {size / 2**20:,.0f} MB, more than the "
                            f"{MAX_DIRECTORY_BYTES // 2**20} MB (some {MAX_ENTRIES:,} files) a submission's may have")
        return zipfile.ZipFile(file)
    except UserError:
        raise
    except ZIP_ERRORS as e:
        raise UserError(f"{shown}: not a readable zip ({reason(e)})") from None


@contextmanager
def unpacked(path: Path) -> Iterator[Held]:
    """The files a folder or a zip holds, zips within opened; what is inflated lives in a temporary folder
    until the block ends."""
    with tempfile.TemporaryDirectory(prefix="variantlab-") as temp:
        held = Held(Path(temp))
        if path.is_dir():
            held.add_folder(path)
        else:
            with open_zip(path, path.name) as archive:
                held.add_members(archive, path.name, "", depth=1)
        yield held
