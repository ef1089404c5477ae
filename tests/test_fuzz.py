"""Property-based fuzzing (Hypothesis) of every parser a user's text or file reaches. The property:
a correct result or a clean one-line UserError, never another exception, never a partial write.

CI runs the `ci` profile (a few hundred examples a parser); `HYPOTHESIS_PROFILE=long` runs thousands
(docs/RELIABILITY.md has the counts of a long run)."""

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import pickle
import stat
import string
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from variantlab.check import codescan
from variantlab.check.check import ASPECTS, check_submission
from variantlab.check.submission import Piece, Submission, read_notebook, read_pdf, read_submission
from variantlab.cli import parse_settings
from variantlab.course.roster import read_roster
from variantlab.data import datasets
from variantlab.data.batches import DeviceBatches
from variantlab.errors import UserError
from variantlab.exam.student import ROLL_PATTERN, parse_dob, parse_program, parse_roll, parse_student
from variantlab.training.checkpoint import KEYS as CHECKPOINT_KEYS
from variantlab.training.checkpoint import load_checkpoint, save_checkpoint
from variantlab.training.config import FitSpec, TrainConfig, get_profile, override
from variantlab.training.train import fit

sys.path.insert(0, str(Path(__file__).parent))
from test_archive import report_pdf as one_page_report

settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
dateish = st.builds(lambda d, m, y, s1, s2: f"{d}{s1}{m}{s2}{y}", st.integers(-5, 40).map(str),
                    st.integers(-2, 15).map(str), st.sampled_from(["02", "1999", "0", "00000", "-1", "٢٠٠٢"]),
                    st.sampled_from(["/", "-", " ", ""]), st.sampled_from(["/", "//", ""]))


def one_line(error: UserError) -> None:
    assert str(error) and "\n" not in str(error) and "\r" not in str(error)
    event("refused: one-line UserError")


@given(st.one_of(text, dateish))
def test_dates(raw):
    try:
        day, month, year = parse_dob(raw)
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    assert dt.date(year, month, day)  # a real date
    assert f"{day}/{month}" in f"{int(raw.split('/')[0])}/{int(raw.split('/')[1])}"


@given(st.one_of(text, st.from_regex(r"[A-Za-z0-9_/. -]{0,34}[0-9]{3}", fullmatch=True)))
def test_roll_numbers(raw):
    try:
        roll, abc = parse_roll(raw)
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    assert ROLL_PATTERN.fullmatch(roll) and roll == raw.strip() and abc == roll[-3:]
    assert set(roll) <= set(string.ascii_letters + string.digits + "-_")  # safe as a folder name


@given(st.one_of(text, st.sampled_from(["btech", "B.Tech", "M.Tech", "phd", "P h D", "b_tech", "mtech."])))
def test_programmes(raw):
    try:
        assert parse_program(raw) in ("btech", "mtech", "phd")
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")


SETTING_KEYS = ["cnn.lr", "lr", "epochs", "precision", "tta_flip", "noise_strength", "ae_classifier.weight_decay",
        "cnn.ema", "val_fraction", "name", "cnn.", ".lr", "x.y.z"]


@given(st.lists(st.one_of(text, st.builds(lambda k, v: f"{k}={v}", st.sampled_from(SETTING_KEYS),
                                          st.one_of(text, st.sampled_from(["nan", "inf", "-1", "1e-3", "true", "0",
                                                                           "9" * 5000, "fp32", " 3 "])))),
                max_size=4))
def test_set_overrides(items):
    try:
        profile = override(get_profile("fast"), parse_settings(items))
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    for model in ("cnn", "autoencoder", "ae_classifier"):
        cfg = getattr(profile, model)
        assert cfg.lr > 0 and cfg.epochs >= 1 and np.isfinite(cfg.lr)


ROSTER_HEADER = b"roll,dob,program,first,last\n"


@given(st.one_of(st.binary(max_size=300), st.builds(lambda body: ROSTER_HEADER + body, st.binary(max_size=300)),
                 st.builds(lambda rows: ("\ufeff" + "roll,dob,program,first,last,extra\n" + "\n".join(rows)).encode(),
                           st.lists(st.builds(",".join, st.lists(st.one_of(text, st.just('"a,b"'), st.just("")),
                                                                 max_size=7)), max_size=6))))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rosters(tmp_path, content):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    try:
        rows = read_roster(roster)
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    for row in rows:
        assert (row.student is None) != (row.error == "")
        if row.student:
            assert ROLL_PATTERN.fullmatch(row.student.roll)


def test_huge_roster_field_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(ROSTER_HEADER + b"052,18/03/02,btech," + b"A" * 300_000 + b",B\n")
    with pytest.raises(UserError, match="not a readable CSV file"):
        read_roster(roster)


def damaged(data, content: bytes, flips: int) -> bytes:
    """`content` with up to `flips` bits flipped, then cut anywhere."""
    mutated = bytearray(content)
    for _ in range(data.draw(st.integers(0, flips))):
        mutated[data.draw(st.integers(0, len(mutated) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    return bytes(mutated[:data.draw(st.integers(0, len(mutated)))])


def idx_bytes(shape) -> bytes:
    header = bytes([0, 0, 8, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)
    return header + bytes(int(np.prod(shape)))


@given(st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_idx_and_gzip_files(tmp_path, data):
    good = idx_bytes((3, 2, 2))
    path = tmp_path / "file"
    path.write_bytes(damaged(data, data.draw(st.sampled_from([good, gzip.compress(good)])), flips=4))
    try:
        array = datasets.parse_idx(datasets.read_content(path), path)
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    assert array.dtype == np.uint8 and array.ndim >= 1


def test_gzip_bomb_is_refused_before_it_fills_memory(tmp_path):
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(80):
            f.write(bytes(2**20))  # 80 MiB of zeros, 80 KB on disk
    assert path.stat().st_size < 2**20
    with pytest.raises(UserError, match="decompresses to more than"):
        datasets.read_content(path)


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch /tmp/variantlab-pwned",))


@given(st.data())
def test_cifar_batches(data):
    batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 2]}
    good = pickle.dumps(data.draw(st.sampled_from([batch, {b"data": [1, 2]}, [1], {b"labels": [0]}])),
                        protocol=data.draw(st.integers(0, pickle.HIGHEST_PROTOCOL)))
    mutated = bytearray(good)
    for _ in range(data.draw(st.integers(0, 3))):
        mutated[data.draw(st.integers(0, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    mutated = mutated[:data.draw(st.integers(0, len(mutated)))]
    try:
        images, labels = datasets.parse_cifar_batch(bytes(mutated), "batch")
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    assert images.shape[1:] == (3, 32, 32) and len(labels) == len(images)


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"(posix|os)\.system is not allowed"):
        datasets.parse_cifar_batch(pickle.dumps({b"data": Exploit()}), tmp_path / "batch")
    assert not os.path.exists("/tmp/variantlab-pwned")


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "c.pt"
    save_checkpoint(path, {"model": {"w": torch.ones(3)}, "optimizer": {}, "scheduler": {}, "average": None,
                           "epoch": 1, "history": [{"epoch": 1}], "rng": {}, "settings": {"k": 1}})
    return path.read_bytes()


@given(st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_checkpoints(tmp_path, checkpoint_bytes, data):
    path = tmp_path / "c.pt"
    path.write_bytes(damaged(data, checkpoint_bytes, flips=3))
    try:
        state = load_checkpoint(path)
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    assert set(CHECKPOINT_KEYS) <= set(state)  # what fit reads is there


def test_a_checkpoint_of_another_kind_is_refused_and_left_as_it_was(tmp_path):
    """Training pointed at someone else's file refuses it before its first epoch would overwrite it."""
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.ones(2)}, path)
    before = hashlib.md5(path.read_bytes()).hexdigest()
    images, labels = torch.rand(8, 1, 4, 4), torch.arange(8) % 2
    batches = DeviceBatches(images, labels, 4, torch.Generator().manual_seed(0))
    spec = FitSpec(TrainConfig(1, 4, "adam", 1e-3, 0.0, "constant", 0.0, 0.0), "classify")
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    with pytest.raises(UserError, match="not a variantlab checkpoint"):
        fit(model, batches, spec, checkpoint=path, identity={})
    assert hashlib.md5(path.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_cifar_batch_reads_in_every_pickle_protocol(protocol):
    labels = list(range(10)) * 2
    content = pickle.dumps({b"data": np.arange(20 * 3072, dtype=np.uint8).reshape(20, 3072), b"labels": labels},
                           protocol=protocol)
    images, read = datasets.parse_cifar_batch(content, "batch")
    assert images.shape == (20, 3, 32, 32) and read.tolist() == labels and images[1, 0, 0, 0] == 3072 % 256


def test_a_gzip_file_of_several_members_reads_whole(tmp_path):
    path = tmp_path / "two.gz"
    path.write_bytes(gzip.compress(b"abc") + gzip.compress(b"def"))
    assert datasets.read_content(path) == b"abcdef"


# The submission checker's readers: a student's file is untrusted input.

NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["Roll: B20AI052, DD/MM/YY 18/03/02, B.Tech\n"]},
    {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": [
        "import torch.nn as nn\nclass CNN(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(1, 10, 5)\n        self.pool = nn.MaxPool2d(2)\n"],
     "outputs": [{"output_type": "stream", "name": "stdout", "text": ["Test accuracy: 0.9792\n"]}]}]}).encode()


@given(st.data())
def test_notebooks(data):
    text = damaged(data, NOTEBOOK, flips=6).decode("utf-8", "replace")
    try:
        pieces = read_notebook(text, "nb.ipynb")
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    assert all(isinstance(p.text, str) and p.file == "nb.ipynb" for p in pieces)


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return one_page_report()


@given(st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_pdfs(report_pdf, data):
    try:
        pieces = read_pdf(damaged(data, report_pdf, flips=6), "r.pdf")
    except UserError as e:
        one_line(e)
        return
    event("accepted: a correct result")
    assert all(p.kind == "page" for p in pieces)


CODE = (NOTEBOOK.decode() + "\nx = torch.flip(x, [3]) + torch.randn_like(x)\nclasses = [1, 3, 5, 7, 9]\n"
        "model = keras.Sequential([layers.Conv2D(8, 3), layers.Dense(256)])\nfor c in [10, 20]:\n    pass\n")


@given(st.one_of(text, st.builds(lambda s, i, j: s[:i] + s[j:], st.just(CODE), st.integers(0, len(CODE)),
                                 st.integers(0, len(CODE)))))
def test_code_is_only_parsed(source):
    found, _ = codescan.scan([Piece("code", source, "q.py", "")])
    event("accepted: a correct result")
    assert set(found) <= set(ASPECTS) and all(f.where.startswith("q.py") for v in found.values() for f in v)


@given(st.one_of(text, st.text(alphabet=st.sampled_from(list("0123456789.% |:=-,[]()abcdeflmnoprstuxACDFHMNPT\n ")),
                               max_size=200)))
def test_text_is_only_read(prose):
    given = parse_student("18/03/02", "B20AI052", "btech")
    result = check_submission(Submission(Path("r.md"), ("r.md",), (Piece("prose", prose, "r.md", ""),), ()), given)
    event("accepted: a correct result")
    assert set(result.aspects) == set(ASPECTS)
    assert all(j.claimed is None or 0 < j.claimed <= 1 for j in result.judgement.values())


# A submission as handed in: a zip, of random bytes or built at random (names that lead out, links, nested
# zips, every compression zipfile writes), whole or damaged.

MEMBER_NAMES = ["q1.py", "README.md", "report.pdf", "code/q2.ipynb", "demo.mp4", "notes.txt", "inner.zip",
                "code/inner.zip", "a\\b.py", ".hidden.py", "__MACOSX/._q1.py", "dir/", "./q3.py", "é/ü.md"]
OUTSIDE = ["../up.py", "/abs.py", "C:\\x.py", "a/../../b.py"]
MEMBER_DATA = [b"", NOTEBOOK, b"x = 1  # code\n", b"Test accuracy of the CNN: 97.92 %\n", bytes(2000)]


@st.composite
def zip_trees(draw, depth: int = 0) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore")  # a duplicate name is one of the things drawn
        for _ in range(draw(st.integers(0 if depth else 1, 5))):
            name = draw(st.sampled_from(MEMBER_NAMES * 8 + OUTSIDE) if draw(st.integers(0, 9)) else
                        text.map(lambda t: t.strip("\0") or "x"))
            if name.endswith(".zip") and depth < 3:
                data = draw(zip_trees(depth + 1))
            else:
                data = draw(st.one_of(st.sampled_from(MEMBER_DATA), st.binary(max_size=200)))
            member = zipfile.ZipInfo(name)
            member.compress_type = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                                         zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
            member.external_attr = draw(st.sampled_from([0, *[0o644 << 16] * 8, (stat.S_IFLNK | 0o777) << 16]))
            archive.writestr(member, data)
    return out.getvalue()


@given(st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_zips(tmp_path, monkeypatch, data):
    temp = tmp_path / "temp"
    temp.mkdir(exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # to see what a read leaves behind
    content = data.draw(st.one_of(st.binary(max_size=300), zip_trees(), zip_trees()))
    if content and data.draw(st.integers(0, 3)) == 0:
        content = damaged(data, content, flips=4)
    path = tmp_path / "B20AI052_minor1.zip"
    path.write_bytes(content)
    try:
        submission = read_submission(path)
    except UserError as e:
        one_line(e)
        return
    finally:
        assert list(temp.iterdir()) == []
    event("accepted: a correct result")
    assert {p.file for p in submission.pieces} <= set(submission.files) <= set(submission.contents)
    for name in submission.contents:
        parts = PurePosixPath(name).parts
        assert ".." not in parts and not name.startswith("/") and "\\" not in name
        assert not any(part.startswith(".") or part == "__MACOSX" for part in parts)
