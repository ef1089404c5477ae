"""A submission as handed in, a zip: read as the folder it holds, every file listed (README, PDF, video),
only what is read inflated and only into a temporary folder; bombs, names that lead out, links and
encryption refused with one line. Every zip here is built by the test."""

import io
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from variantlab.check.archive import MAX_DEPTH, MAX_RATIO, MAX_TOTAL_BYTES, directory_bytes, unpacked
from variantlab.check.submission import read_submission
from variantlab.errors import UserError

NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["Roll: B20AI052, DD/MM/YY 18/03/02, B.Tech\n"]},
    {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [], "source": [
        "import torch.nn as nn\nclass CNN(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(1, 10, 5)\n        self.pool = nn.MaxPool2d(2)\n"
        "    def forward(self, x):\n        return self.pool(self.conv1(x))\n"]}]})


def report_pdf() -> bytes:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=10)
    document.multi_cell(0, 5, "As ABC is even, the dataset is FashionMNIST.\nTest accuracy of the CNN: 97.92 %")
    return bytes(document.output())


def zipped(members: dict[str, bytes | str], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def patched(data: bytes, name: str, **fields: int) -> bytes:
    """The zip with one member's header fields (flags, compressed, size) set as given, in its local header
    and in the directory: what zipfile will not write, a hostile tool does."""
    local = {"flags": (6, "<H"), "compressed": (18, "<L"), "size": (22, "<L")}
    central = {"flags": (8, "<H"), "compressed": (20, "<L"), "size": (24, "<L")}
    out = bytearray(data)
    at_local = zipfile.ZipFile(io.BytesIO(data)).getinfo(name).header_offset
    at_central = next(at for at in range(len(out)) if out[at:at + 4] == b"PK\x01\x02"
                      and out[at + 46:at + 46 + len(name)] == name.encode())
    for key, value in fields.items():
        struct.pack_into(local[key][1], out, at_local + local[key][0], value)
        struct.pack_into(central[key][1], out, at_central + central[key][0], value)
    return bytes(out)


@pytest.fixture
def private_temp(tmp_path, monkeypatch):
    """tempfile's folder, for these tests alone: what a read leaves there can be seen."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def hand_in(tmp_path) -> Path:
    """B20AI052_minor1.zip as the exam paper asks for it: a folder with the code, the report, a README and a
    video (random bytes: a video does not deflate), and the resource forks the Finder adds."""
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({"B20AI052_minor1/code/q1.ipynb": NOTEBOOK,
                             "B20AI052_minor1/report.pdf": report_pdf(),
                             "B20AI052_minor1/README.md": "Run q1.ipynb top to bottom; the video shows it.\n",
                             "B20AI052_minor1/demo.mp4": os.urandom(300_000),
                             "__MACOSX/B20AI052_minor1/._report.pdf": b"\0\5\26\7"}))
    return path


def test_a_zip_is_read_as_the_folder_it_holds(hand_in, tmp_path, private_temp):
    submission = read_submission(hand_in)
    folder = tmp_path / "unzipped"
    zipfile.ZipFile(hand_in).extractall(folder)  # the test's own zip: its names are known
    same = read_submission(folder)
    assert submission.files == same.files == ("B20AI052_minor1/README.md", "B20AI052_minor1/code/q1.ipynb",
                                              "B20AI052_minor1/report.pdf")
    assert [(p.file, p.place, p.text) for p in submission.pieces] == [(p.file, p.place, p.text) for p in same.pieces]
    assert set(submission.contents) == set(same.contents) == {*submission.files, "B20AI052_minor1/demo.mp4"}
    assert submission.readmes == ("B20AI052_minor1/README.md",)
    assert submission.reports == ("B20AI052_minor1/report.pdf",)
    assert submission.videos == ("B20AI052_minor1/demo.mp4",)
    assert submission.skipped == () and submission.path == hand_in
    assert list(private_temp.iterdir()) == []  # the temporary folder is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["B20AI052_minor1.zip", "temp", "unzipped"]


def test_only_what_is_read_is_inflated(hand_in, private_temp):
    with unpacked(hand_in) as held:
        inflated = sorted(p.suffix for p in held.temp.iterdir())
        sizes = sum(p.stat().st_size for p in held.temp.iterdir())
        assert all(file.is_relative_to(held.temp) for _, file in held.readable)
    assert inflated == [".ipynb", ".md", ".pdf"]  # the video is listed from the directory, never written
    assert sizes < 100_000


def test_a_zip_in_the_zip_is_read_one_level_deep(tmp_path):
    deeper = zipped({"deep.py": "import torch  # three zips down\n"})
    inner = zipped({"q2.py": "x = 1  # question 2\n", "deeper.zip": deeper})
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({"report.md": "Question 1\n", "code.zip": inner}))
    submission = read_submission(path)
    assert submission.files == ("code.zip/q2.py", "report.md")
    assert submission.contents == ("code.zip", "code.zip/deeper.zip", "code.zip/q2.py", "report.md")
    assert [s for s in submission.skipped if "code.zip/deeper.zip" in s and "not opened" in s]
    assert MAX_DEPTH == 2


def test_a_folder_holding_a_zip_opens_it(tmp_path):
    """Moodle's download: a folder for each student, the zip inside it."""
    folder = tmp_path / "B20AI052_Asha_Rao_assignsubmission_file"
    folder.mkdir()
    (folder / "B20AI052_minor1.zip").write_bytes(zipped({"q1.ipynb": NOTEBOOK, "demo.mov": b"\0" * 100}))
    submission = read_submission(folder)
    assert submission.files == ("B20AI052_minor1.zip/q1.ipynb",)
    assert submission.videos == ("B20AI052_minor1.zip/demo.mov",)
    assert {p.file for p in submission.pieces} == {"B20AI052_minor1.zip/q1.ipynb"}


@pytest.mark.parametrize("name", ["q1.ipynb", "demo.mp4", "data/huge.py"])  # read, listed, over the size read
def test_a_member_that_inflates_too_far_is_a_bomb(tmp_path, private_temp, name):
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({name: bytes(40 * 2**20), "README.md": "hi\n"}))  # 40 MB of zeros, 40 KB zipped
    assert path.stat().st_size < 100_000
    with pytest.raises(UserError, match=rf"B20AI052_minor1.zip: {name} inflates [\d,]+ times .* more than the "
                                        rf"{MAX_RATIO} times"):
        read_submission(path)
    assert list(private_temp.iterdir()) == []


def test_members_declaring_more_than_the_total_are_a_bomb(tmp_path):
    """A video is never inflated, but a zip whose members declare gigabytes is no hand-in."""
    path = tmp_path / "B20AI052_minor1.zip"
    data = zipped({"q1.py": "x = 1\n", "demo.mp4": os.urandom(1000)}, zipfile.ZIP_STORED)
    path.write_bytes(patched(data, "demo.mp4", size=MAX_TOTAL_BYTES + 1, compressed=MAX_TOTAL_BYTES // 2))
    with pytest.raises(UserError, match=f"inflate to more than the {MAX_TOTAL_BYTES // 2**20:,} MB"):
        read_submission(path)


def test_a_member_larger_than_it_declares_stops_at_its_declared_size(tmp_path):
    path = tmp_path / "B20AI052_minor1.zip"
    data = zipped({"q1.py": "x = 1\n" * 200_000, "README.md": "hi\n"})  # 1.2 MB of code, declared below as 10 bytes
    path.write_bytes(patched(data, "q1.py", size=10))
    submission = read_submission(path)
    assert submission.files == ("README.md",)
    assert len(submission.skipped) == 1 and "q1.py: not readable from the zip (BadZipFile" in submission.skipped[0]


def test_a_big_notebook_in_a_zip_is_skipped_uninflated(tmp_path, private_temp):
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({"huge.ipynb": os.urandom(33 * 2**20), "q1.py": "x = 1\n"}, zipfile.ZIP_STORED))
    with unpacked(path) as held:
        assert [p.suffix for p in held.temp.iterdir()] == [".py"]
    submission = read_submission(path)
    assert submission.files == ("q1.py",) and "huge.ipynb" in submission.contents
    assert submission.skipped == ("huge.ipynb: 33 MB, more than the 32 MB a submission file may have",)


@pytest.mark.parametrize("name", ["../evil.py", "code/../../evil.py", "/etc/evil.py", "C:/Windows/evil.py",
                                  "c:evil.py", "..\\..\\evil.py", "\\\\server\\share\\evil.py", "../.hidden.py"])
def test_a_name_that_leads_out_of_the_zip_is_refused(tmp_path, private_temp, name):
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({"q1.py": "x = 1\n", name: "import os\n"}))
    with pytest.raises(UserError, match=r"B20AI052_minor1.zip: the member .* is named outside the zip") as e:
        read_submission(path)
    assert "\n" not in str(e.value)
    assert list(private_temp.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "B20AI052_minor1.zip", "temp"]


def test_backslashes_are_folders(tmp_path):
    """Windows PowerShell 5's Compress-Archive writes `code\\q1.py`."""
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({"code\\q1.py": "x = 1\n", "code\\README.txt": "run q1\n"}))
    submission = read_submission(path)
    assert submission.files == ("code/README.txt", "code/q1.py") and submission.readmes == ("code/README.txt",)


def test_a_symbolic_link_is_refused(tmp_path):
    link = zipfile.ZipInfo("data.py")
    link.create_system = 3  # Unix, as Info-ZIP's `zip -y` writes a link
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("q1.py", "x = 1\n")
        archive.writestr(link, "/etc/passwd")
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(out.getvalue())
    with pytest.raises(UserError, match=re.escape("B20AI052_minor1.zip: data.py is a symbolic link")):
        read_submission(path)


def test_an_encrypted_member_is_refused(tmp_path):
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(patched(zipped({"q1.py": "x = 1\n", "report.pdf": report_pdf()}), "report.pdf", flags=0x1))
    with pytest.raises(UserError, match=re.escape("B20AI052_minor1.zip: report.pdf is encrypted; submit the "
                                                  "zip without a password")):
        read_submission(path)


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP's zip is not installed")
def test_a_zip_encrypted_by_zip_is_refused(tmp_path):
    (tmp_path / "q1.py").write_text("x = 1\n")
    subprocess.run(["zip", "-q", "-P", "secret", "B20AI052_minor1.zip", "q1.py"], cwd=tmp_path, check=True)
    with pytest.raises(UserError, match=re.escape("q1.py is encrypted")):
        read_submission(tmp_path / "B20AI052_minor1.zip")


def test_a_directory_over_its_cap_is_refused_before_zipfile_reads_it(tmp_path):
    path = tmp_path / "B20AI052_minor1.zip"
    data = bytearray(zipped({"q1.py": "x = 1\n"}))
    struct.pack_into("<L", data, len(data) - 22 + 12, 20 * 2**20)  # the end record's size of the directory
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="a zip directory of 20 MB, more than the 16 MB"):
        read_submission(path)


def test_a_zip64_directory_is_measured_from_its_zip64_record(tmp_path):
    """Past 65,535 entries zipfile writes ZIP64 end records; a writer may leave the old record's size at
    0xFFFFFFFF, as zipfile itself does past 4 GB. The size is then the ZIP64 record's, as zipfile reads it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("q1.py", "x = 1\n")
        for i in range(0x10000):
            archive.writestr(f"data/{i:x}", b"")
    data = bytearray(out.getvalue())
    struct.pack_into("<L", data, len(data) - 22 + 12, 0xFFFFFFFF)
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(bytes(data))
    assert directory_bytes(path) == data.rfind(b"PK\x06\x06") - data.find(b"PK\x01\x02")
    submission = read_submission(path)
    assert submission.files == ("q1.py",) and len(submission.contents) == 0x10001


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04", b"Rar!\x1a\x07\x00" + os.urandom(100),
                                     zipped({"q1.py": "x = 1\n"})[:-30]])
def test_what_is_not_a_zip_is_refused(tmp_path, content):
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(content)
    with pytest.raises(UserError, match=re.escape("B20AI052_minor1.zip: not a readable zip")):
        read_submission(path)


def test_a_zip_of_nothing_readable_says_so(tmp_path):
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({"demo.mp4": os.urandom(100), "notes.docx": b"PK"}))
    with pytest.raises(UserError, match="holds no notebook, script, PDF, Markdown or text file"):
        read_submission(path)


def test_the_command_checks_a_zip(hand_in):
    done = subprocess.run([sys.executable, "-m", "variantlab", "check", str(hand_in), "--dob", "18/03/02",
                           "--roll", "B20AI052", "--program", "btech", "--json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["file"] == "B20AI052_minor1.zip"
    assert result["aspects"]["first_filters"]["code"] == 10 and result["aspects"]["pool"]["code"] == "max"


def test_the_command_refuses_a_bomb_in_one_line(tmp_path):
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(zipped({"q1.py": bytes(8 * 2**20)}))
    done = subprocess.run([sys.executable, "-m", "variantlab", "check", str(path), "--dob", "18/03/02", "--roll",
                           "B20AI052", "--program", "btech"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "q1.py inflates" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
