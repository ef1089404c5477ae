"""A PDF's text as the checker reads it (pdftext.py through submission.read_pdf): one paragraph, list item or
table row a line, whatever the producer; a printed notebook's code cells as code with their page; and the
refusals (decompression bombs, encryption, the page and text limits) still one line each.

PDFs made by real producers: Google Docs' layout (tests/pdfs/gdocs_layout.py, at test time), fpdf2 and
Chromium at test time, and fixtures in tests/pdfs/ made by LibreOffice, pdflatex, Chromium and nbconvert from
the sources in tests/pdfs/src/ (tests/pdfs/make.sh)."""

import ast
import io
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from variantlab.check import pdftext
from variantlab.check.check import check_submission
from variantlab.check.submission import Piece, Submission, read_pdf
from variantlab.errors import UserError
from variantlab.exam.student import parse_student

FIXTURES = Path(__file__).parent / "pdfs"
sys.path.insert(0, str(FIXTURES))
from gdocs_layout import Paragraph, TableRow  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from gdocs_layout import pdf as gdocs_pdf  # noqa: E402

from test_grading import pdf_of  # noqa: E402


def text_lines(pieces: list[Piece]) -> list[str]:
    return [line for piece in pieces if piece.kind == "page" for line in piece.text.splitlines()]


def pypdf_lines(data: bytes) -> list[str]:
    return [line for page in PdfReader(io.BytesIO(data)).pages for line in page.extract_text().splitlines()]


REPORT = [
    Paragraph([("B", "Question 1")], size=16),
    Paragraph([("", "As the sum of DD, MM and YY is odd, the "), ("I", "target classes are 1, 3, 5, 7, 9"),
               ("", " for the FashionMNIST dataset, which is what the rules give for my date of birth.")],
              bullet=True),
    Paragraph([("I", "Got the testing accuracy on "), ("B", "5000"), ("I", " samples as "), ("B", "97.91%"),
               ("", ".")], bullet=True),
    TableRow(["Model", "Test accuracy"]),
    TableRow(["Autoencoder classifier", "97.12%"]),
]


def test_a_sentence_with_font_changes_is_one_line_in_google_docs_layout():
    data = gdocs_pdf(REPORT)
    assert "97.91%" in pypdf_lines(data)  # pypdf's default breaks the sentence at each run: what is fixed here
    lines = text_lines(read_pdf(data, "report.pdf"))
    assert "• Got the testing accuracy on 5000 samples as 97.91%." in lines
    assert ("• As the sum of DD, MM and YY is odd, the target classes are 1, 3, 5, 7, 9 for the FashionMNIST "
            "dataset, which is what the rules give for my date of birth.") in lines  # wrapped: rows joined
    assert "Autoencoder classifier | 97.12%" in lines


def test_the_checker_reads_the_claims_of_a_google_docs_layout():
    data = gdocs_pdf(REPORT)
    submission = Submission(Path("report.pdf"), ("report.pdf",), tuple(read_pdf(data, "report.pdf")), ())
    result = check_submission(submission, parse_student("18/03/02", "B20AI052", "btech", "", ""))
    assert result.judgement["cnn"].claimed == pytest.approx(0.9791)
    assert result.judgement["ae_classifier"].claimed == pytest.approx(0.9712)
    assert result.aspects["classes"].text == ([1, 3, 5, 7, 9],)


def test_fpdf2_paragraphs_runs_and_abutting_words():
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=11)
    document.multi_cell(0, 6, "The network has **4 conv layers** and __one__ pool layer; it was trained for fifteen "
                              "epochs on the augmented images and then tested once on the held-out test images of the "
                              "five classes.", markdown=True, new_x="LMARGIN", new_y="NEXT")
    lead = "target classes are 1, 3, 5, 7, 9"
    document.cell(document.get_string_width(lead) + 1.5, 6, lead)  # the next run starts after a gap, no space
    document.set_font("Helvetica", "I", 11)
    document.cell(0, 6, "for the FashionMNIST dataset.", new_x="LMARGIN", new_y="NEXT")
    data = bytes(document.output())
    assert len(pypdf_lines(data)) >= 3  # the paragraph wraps
    assert text_lines(read_pdf(data, "r.pdf")) == [
        "The network has 4 conv layers and one pool layer; it was trained for fifteen epochs on the augmented "
        "images and then tested once on the held-out test images of the five classes.",
        "target classes are 1, 3, 5, 7, 9 for the FashionMNIST dataset."]


def test_a_page_of_short_key_value_lines_keeps_a_line_each():
    """A summary of short lines (the longest ending well before the margin) is no paragraph: each "Key: value"
    line, and the sentence after one, stays a line of its own."""
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=10)
    for line in ("The autoencoder classifier reaches a test accuracy of 97.32 %.", "Summary of the implementation",
                 "Feature extractor: 6 convolutional layers + 1 pooling layer(s)", "Number of encoder layers: 4",
                 "Feature extractor: 5 convolutional layers + 1 pooling layer(s)",
                 "The autoencoder has 3 layers in its encoder."):
        document.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    lines = text_lines(read_pdf(bytes(document.output()), "r.pdf"))
    assert "Number of encoder layers: 4" in lines and "The autoencoder has 3 layers in its encoder." in lines


def test_ligatures_are_normalised():
    data = (FIXTURES / "ligature-chromium.pdf").read_bytes()
    assert "ﬁ" in "".join(pypdf_lines(data))  # Chromium drew the ligature glyphs
    assert text_lines(read_pdf(data, "r.pdf")) == [
        "The first layer has 10 filters, and the flattened features feed one fully connected layer."]


def test_a_word_hyphenated_at_a_line_end_is_rejoined():
    data = (FIXTURES / "hyphen-latex.pdf").read_bytes()
    assert any(line.endswith("augmen-") for line in pypdf_lines(data))  # TeX broke the word there
    assert text_lines(read_pdf(data, "r.pdf")) == [
        "The flattened features are classified after the augmentation of every training image, and the filters "
        "of the first layer are initialised with the He scheme."]


def test_a_table_row_is_kept_as_a_row():
    lines = text_lines(read_pdf((FIXTURES / "table-libreoffice.pdf").read_bytes(), "r.pdf"))
    assert lines == ["Results", "The table lists what my variant fixes and what the networks reached on the test "
                     "images.", "Quantity | Value", "Conv layers | 4", "Classification accuracy | 0.59%",
                     "CNN test accuracy | 91.84%"]


@pytest.mark.parametrize("fixture", ["notebook-nbconvert.pdf", "notebook-chromium.pdf"])
def test_a_printed_notebooks_code_cells_are_code_with_their_page(fixture):
    pieces = read_pdf((FIXTURES / fixture).read_bytes(), fixture)
    code = [p for p in pieces if p.kind == "code"]
    assert [p.place for p in code] == ["page 1", "page 1"]
    tree = ast.parse(code[0].text)  # indentation rebuilt from the glyphs' positions, the prompt dropped
    net = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    assert net.name == "Net" and [f.name for f in net.body] == ["__init__", "forward"]
    assert "self.conv1 = nn.Conv2d(1, 12, kernel_size=3)" in code[0].text
    assert code[1].text == 'print(f"Test accuracy: {91.84:.2f}%")'
    assert code[0].where(7) == f"{fixture}, page 1, line 7"
    assert [p.text for p in pieces if p.kind == "output"] == ["Test accuracy: 91.84%"]
    assert "The CNN below has two convolutions; its test accuracy is printed at the end." in text_lines(pieces)
    assert not any("import" in line for line in text_lines(pieces))


def test_chromium_prints_styled_runs_as_one_line(tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    page = tmp_path / "report.html"
    page.write_text('<!doctype html><meta charset="utf-8"><body style="width:4in;font:11pt sans-serif">'
                    "<p>Since ABC is even, the network has <b>10 filters in the first layer</b> and "
                    '<span style="color:#c00">one fully connected layer of <i>512 nodes</i></span> before its '
                    "output layer, as my details require.</p><ul><li>He initialisation</li>"
                    "<li>Max pooling</li></ul></body>")
    pdf = tmp_path / "report.pdf"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert text_lines(read_pdf(pdf.read_bytes(), "report.pdf")) == [
        "Since ABC is even, the network has 10 filters in the first layer and one fully connected layer of 512 "
        "nodes before its output layer, as my details require.", "• He initialisation", "• Max pooling"]


def raw_pdf(content: bytes, form: bytes | None = None) -> bytes:
    """A one-page PDF whose page draws `content`, deflated; with `form`, the page only draws a form XObject
    whose stream is `form`, deflated."""
    page_stream = b"/X1 Do" if form is not None else content
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject "
               b"<< /X1 5 0 R >> /Font << /F1 6 0 R >> >> >>"]
    for data, extra in ((page_stream, b""), (form if form is not None else b"", b"/Type /XObject /Subtype /Form "
                                                                               b"/BBox [0 0 612 792] ")):
        squeezed = deflated(data)
        objects.append(b"<< %s/Length %d /Filter /FlateDecode >>\nstream\n" % (extra, len(squeezed)) + squeezed
                       + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    return pdf_of(objects)


def deflated(data: bytes) -> bytes:
    squeeze = zlib.compressobj(9)
    return squeeze.compress(data) + squeeze.flush()


def test_a_bomb_in_a_form_is_refused_before_pdfminer_reads_it():
    bomb = bytes(100 * 2**20)  # inflates to 100 MB, past pypdf's 75 MB; pdfminer itself has no limit
    with pytest.raises(UserError, match=r"^r\.pdf: not a readable PDF \(LimitReachedError: Limit reached"):
        read_pdf(raw_pdf(b"", form=bomb), "r.pdf")
    with pytest.raises(UserError, match=r"^r\.pdf: not a readable PDF \(LimitReachedError: Limit reached"):
        read_pdf(raw_pdf(bomb), "r.pdf")
    text = b"BT /F1 12 Tf 72 700 Td (What a form draws is read.) Tj ET"  # the same file, its form small
    assert text_lines(read_pdf(raw_pdf(b"", form=text), "r.pdf")) == ["What a form draws is read."]


def test_encrypted_long_and_wordy_pdfs_are_refused_with_one_line():
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=11)
    document.cell(0, 6, "A report under a password.")
    document.set_encryption(owner_password="owner", user_password="")
    with pytest.raises(UserError, match=r"^r\.pdf: an encrypted PDF; submit it without a password$"):
        read_pdf(bytes(document.output()), "r.pdf")
    long = FPDF()
    for _ in range(61):
        long.add_page()
    with pytest.raises(UserError, match=r"^r\.pdf: 61 pages, more than the 60 a report may have$"):
        read_pdf(bytes(long.output()), "r.pdf")
    with pytest.raises(UserError, match=r"^r\.pdf: more than 20 characters of text$"):
        pdftext.read(gdocs_pdf(REPORT), "r.pdf", 60, 20)
    with pytest.raises(UserError, match=r"^r\.pdf: not a readable PDF"):
        read_pdf(b"%PDF-1.4\nnot a PDF at all", "r.pdf")


def test_a_page_without_text_is_an_empty_page():
    document = FPDF()
    document.add_page()
    document.rect(20, 20, 100, 50, style="F")
    assert [(p.kind, p.text, p.place) for p in read_pdf(bytes(document.output()), "scan.pdf")] == [
        ("page", "", "page 1")]


@pytest.fixture(scope="module")
def notebook_like_pdf() -> bytes:
    """An uncompressed page with prose, a two-cell row and a grey box of monospace code, so that damage lands in
    the operators and numbers the layout is rebuilt from."""
    document = FPDF()
    document.set_compression(False)
    document.add_page()
    document.set_font("Helvetica", size=11)
    document.multi_cell(0, 6, "The CNN has **4 conv layers** and one pool layer, trained for fifteen epochs on "
                              "the augmented images of the five classes.", markdown=True, new_x="LMARGIN", new_y="NEXT")
    document.cell(60, 6, "Test accuracy")
    document.cell(30, 6, "97.92%", new_x="LMARGIN", new_y="NEXT")
    document.set_fill_color(240, 240, 240)
    document.rect(10, 40, 150, 20, style="F")
    document.set_font("Courier", size=10)
    document.set_xy(12, 42)
    document.multi_cell(140, 5, "model = Net()\nfor epoch in range(15):\n    train(model)", new_x="LMARGIN",
                        new_y="NEXT")
    return bytes(document.output())


@given(st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_damaged_layouts_are_read_or_refused_in_one_line(notebook_like_pdf, data):
    assert {p.kind for p in read_pdf(notebook_like_pdf, "r.pdf")} == {"page", "code"}  # undamaged: both read
    damaged = bytearray(notebook_like_pdf)
    for _ in range(data.draw(st.integers(1, 8))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.sampled_from(b"0123456789.- TJmlref"))
    try:
        pieces = read_pdf(bytes(damaged), "r.pdf")
    except UserError as e:
        assert str(e).startswith("r.pdf: ") and "\n" not in str(e)
        return
    assert all(p.kind in ("page", "code", "comment", "markdown", "output") and isinstance(p.text, str) for p in pieces)
