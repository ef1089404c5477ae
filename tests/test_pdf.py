"""The PDF renderer on its own: tables whose text must wrap fit the page, whatever their widths."""

import random
import re
import shutil
import subprocess

import pytest

from variantlab.report.document import Heading, table
from variantlab.report.pdf import ReportPDF, column_widths, to_pdf

MM = 72 / 25.4  # PDF points per millimetre


def word_boxes(path) -> list[tuple[float, float, str]]:
    """(xMin, xMax, word) of every word poppler finds in the PDF, in points."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler's pdftotext (Debian's poppler-utils; make test installs it as root)")
    done = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True)
    word = r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
    return [(float(a), float(b), w) for a, b, w in re.findall(word, done.stdout)]


def test_wrapping_tables_of_any_widths_stay_within_the_margins(tmp_path):
    rng = random.Random(0)
    words = ["changed", "for", "this", "run", "cnn.lr,", "weight", "decay", "0.05", "AdamW", "warm-up", "cosine",
             "fashion_mnist-he-flip-max-c13579-4conv1pool"]
    blocks = [Heading(1, "Minor 1: Test Student (B20AI052)")]
    pdf = ReportPDF("x")
    pdf.set_font("body", "", 7.5)
    for _ in range(40):
        columns = rng.randint(2, 5)
        rows = [[" ".join(rng.choices(words, k=rng.randint(1, 40))) for _ in range(columns)] for _ in range(3)]
        block = table([f"column {i}" for i in range(columns)], rows)
        assert sum(column_widths(pdf, [block.header, *block.rows])) <= pdf.epw + 1e-6
        blocks.append(block)
    path = to_pdf(blocks, "Minor 1: Test Student (B20AI052)", tmp_path / "t.pdf")
    boxes = word_boxes(path)
    assert len(boxes) > 1000  # the tables' words were found, not only a header
    left, right = 15 * MM - 0.5, (210 - 15) * MM + 0.5
    outside = [(a, b, w) for a, b, w in boxes if a < left or b > right]
    assert not outside, f"words outside the margins: {outside[:5]}"
