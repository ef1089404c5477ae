"""How well the checker reads PDF reports and printed notebooks made by the programs students use, for each
candidate way of reading a PDF's text.

    .venv/bin/python benchmarks/pdf_producers.py [--keep DIR]

Builds PDFs from the sources in benchmarks/pdf_sources/ (two reports in Markdown and one notebook, written
for this benchmark, with the aspects and accuracies each states labelled in labels.json):
- reports: Google Docs' layout (emulated by tests/pdfs/gdocs_layout.py: Google Docs cannot run here),
  LibreOffice Writer (pandoc's .docx, hyphenation on, converted by `soffice --headless`), LaTeX (pandoc,
  pdflatex), Chromium's print-to-PDF of an HTML page styled as Google Docs styles its documents (gdocs.css),
  and fpdf2 (the pure-Python writer the tests can always use);
- the notebook: Chromium's print of nbconvert's HTML (the lab template with the browser's header and
  footer, as File > Print gives it; and the classic template), and nbconvert's own PDF (`--to pdf`, xelatex).
A producer whose program is not installed is reported as such. Each PDF is then read three ways: pypdf's
default extraction (what variantlab used before), pypdf's layout mode with its lines joined into
paragraphs by their text alone, and variantlab's reader (pdftext.py: pdfminer.six's glyphs, rows and
paragraphs rebuilt from their positions, code cells told by their boxes and fonts). The checker
(`check_submission`) runs on what each reads, and the script prints precision and recall per producer
of (a) the aspects the text states, (b) the two test accuracies claimed and (c) for the notebook, the
aspects its code builds, against the labels; and the time each reader took. The first row of each group
is the checker on the source itself (the Markdown as plain text, the notebook as a notebook): what the
checker's patterns can read at best.

Needs, for the producers other than fpdf2 and the emulated Google Docs layout, Debian's pandoc,
libreoffice-writer-nogui and hyphen-en-us (without it Writer does not hyphenate), chromium, and
texlive-latex-recommended, texlive-latex-extra, texlive-fonts-recommended, lmodern, texlive-xetex and
texlive-plain-generic; and nbconvert in the venv (`.venv/bin/pip install nbconvert`) for the notebook's.
"""

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

from variantlab.check import pdftext
from variantlab.check.check import check_submission
from variantlab.check.submission import Piece, Submission, read_file, read_pdf
from variantlab.exam.student import parse_student

SOURCES = Path(__file__).resolve().parent / "pdf_sources"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pdfs"))
NETWORKS = ("cnn", "ae_classifier")


class Missing(Exception):
    """A producer's program is not installed here."""


def run(command: list[str], cwd: Path) -> None:
    if shutil.which(command[0]) is None:
        raise Missing(f"{command[0]} not installed")
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise Missing(f"{command[0]} failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")


def libreoffice(source: Path, out: Path) -> Path:
    docx = out / f"{source.stem}.docx"
    run(["pandoc", str(source), "-o", str(docx)], out)
    hyphenated(docx)
    run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out / "lo"), str(docx)], out)
    return out / "lo" / f"{source.stem}.pdf"


def hyphenated(docx: Path) -> None:
    """Word's automatic hyphenation switched on in a .docx, as a student's Word or Writer may have it."""
    with zipfile.ZipFile(docx) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    settings = members["word/settings.xml"].decode()
    members["word/settings.xml"] = re.sub(r"(<w:settings[^>]*>)", r"\1<w:autoHyphenation/>", settings, count=1).encode()
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def latex(source: Path, out: Path) -> Path:
    pdf = out / f"{source.stem}-latex.pdf"
    run(["pandoc", str(source), "-o", str(pdf), "--pdf-engine=pdflatex", "-V", "geometry:margin=1.2in"], out)
    return pdf


def chromium(html: Path, pdf: Path, header_footer: bool = False) -> Path:
    run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", *([] if header_footer else
         ["--no-pdf-header-footer"]), f"--print-to-pdf={pdf}", str(html)], pdf.parent)
    return pdf


def google_docs_like(source: Path, out: Path) -> Path:
    html = out / f"{source.stem}-gdocs.html"
    run(["pandoc", "-s", str(source), "--css", str(SOURCES / "gdocs.css"), "-o", str(html)], out)
    return chromium(html, out / f"{source.stem}-chromium.pdf")


@dataclass(frozen=True)
class Element:
    """A heading, paragraph, list item or table of the Markdown, its runs (style "", "B", "I"; text)."""

    kind: str  # heading, paragraph, item, table
    runs: list[tuple[str, str]]
    level: int = 0
    rows: tuple[tuple[str, ...], ...] = ()


def elements(source: Path) -> list[Element]:
    """The sources' Markdown: headings, paragraphs, list items with bold and italic runs, and tables."""
    out: list[Element] = []
    table: list[tuple[str, ...]] = []
    for line in [*plain_markdown(source.read_text(), keep_emphasis=True).splitlines(), ""]:
        if line.startswith("|"):
            if not set(line) <= set("|-: "):
                table.append(tuple(cell.strip() for cell in line.strip("|").split("|")))
            continue
        if table:
            out.append(Element("table", [], rows=tuple(table)))
            table = []
        heading = re.match(r"(#+)\s+(.*)", line)
        item = re.match(r"\s*(?:[-*]|\d+\.)\s+(.*)", line)
        if heading:
            out.append(Element("heading", runs_of(heading.group(2)), level=len(heading.group(1))))
        elif line.strip():
            out.append(Element("item" if item else "paragraph", runs_of(item.group(1) if item else line)))
    return out


def runs_of(text: str) -> list[tuple[str, str]]:
    """'a **b** __c__' as [("", "a "), ("B", "b"), ("", " "), ("I", "c")]."""
    runs = []
    for part in re.split(r"(\*\*[^*]+\*\*|__[^_]+__)", text):
        if part.startswith("**"):
            runs.append(("B", part[2:-2]))
        elif part.startswith("__"):
            runs.append(("I", part[2:-2]))
        elif part:
            runs.append(("", part))
    return runs


def fpdf2(source: Path, out: Path) -> Path:
    """The Markdown written by fpdf2: its own markdown runs in multi_cell, its table()."""
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.set_auto_page_break(True, margin=15)
    document.add_page()
    for element in elements(source):
        document.set_font("Helvetica", style="B" if element.kind == "heading" else "",
                          size=16 - 2 * element.level if element.kind == "heading" else 10)
        if element.kind == "table":
            with document.table(col_widths=(2, 1), text_align="LEFT") as grid:
                for cells in element.rows:
                    row = grid.row()
                    for cell in cells:
                        row.cell(cell)
            continue
        text = "".join(f"**{t}**" if style == "B" else f"__{t}__" if style == "I" else t for style, t in element.runs)
        document.multi_cell(0, 5, ("- " if element.kind == "item" else "") + text, markdown=True, new_x="LMARGIN",
                            new_y="NEXT")
        document.ln(2)
    pdf = out / f"{source.stem}-fpdf2.pdf"
    pdf.write_bytes(bytes(document.output()))
    return pdf


def google_docs_layout(source: Path, out: Path) -> Path:
    """The Markdown laid out as Google Docs' renderer writes a PDF (tests/pdfs/gdocs_layout.py)."""
    from gdocs_layout import Paragraph, TableRow, pdf

    laid: list = []
    for element in elements(source):
        if element.kind == "table":
            laid += [TableRow(list(cells)) for cells in element.rows]
        else:
            laid.append(Paragraph(element.runs, size=20 - 2 * element.level if element.kind == "heading" else 11.0,
                                  bullet=element.kind == "item"))
    path = out / f"{source.stem}-gdocs-layout.pdf"
    path.write_bytes(pdf(laid))
    return path


def plain_markdown(text: str, keep_emphasis: bool = False) -> str:
    """pandoc's Markdown without its title block, styled spans and (unless kept, in fpdf2's spelling) its
    emphasis; soft hyphens gone."""
    text = re.sub(r"\A---\n.*?\n---\n", lambda m: re.sub(r'title:\s*"(.*)"', r"# \1", m.group()).replace("---", ""),
                  text, flags=re.S)
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text).replace("\u00ad", "")
    if keep_emphasis:
        return re.sub(r"(?<!\*)\*([^*\n]+)\*(?!\*)", r"__\1__", text).replace("  \n", "\n")
    return text.replace("*", "").replace("  \n", "\n")


def nbconvert_html(source: Path, out: Path, template: str) -> Path:
    run([str(Path(sys.executable).parent / "jupyter-nbconvert"), "--to", "html", "--template", template,
         str(source), "--output", f"{source.stem}-{template}", "--output-dir", str(out)], out)
    return chromium(out / f"{source.stem}-{template}.html", out / f"{source.stem}-{template}-chromium.pdf",
                    header_footer=template == "lab")


def nbconvert_pdf(source: Path, out: Path) -> Path:
    run([str(Path(sys.executable).parent / "jupyter-nbconvert"), "--to", "pdf", str(source), "--output",
         f"{source.stem}-nbconvert", "--output-dir", str(out)], out)
    return out / f"{source.stem}-nbconvert.pdf"


REPORT_PRODUCERS: dict[str, Callable[[Path, Path], Path]] = {
    "Google Docs' layout (emulated)": google_docs_layout,
    "LibreOffice Writer (.docx)": libreoffice,
    "LaTeX (pandoc, pdflatex)": latex,
    "Chromium (Google-Docs-like HTML)": google_docs_like,
    "fpdf2": fpdf2,
}
NOTEBOOK_PRODUCERS: dict[str, Callable[[Path, Path], Path]] = {
    "Chromium (nbconvert lab HTML, header/footer)": lambda s, o: nbconvert_html(s, o, "lab"),
    "Chromium (nbconvert classic HTML)": lambda s, o: nbconvert_html(s, o, "classic"),
    "nbconvert --to pdf (xelatex)": nbconvert_pdf,
}


def pypdf_default(data: bytes, name: str) -> list[Piece]:
    reader = PdfReader(io.BytesIO(data))
    return [Piece("page", page.extract_text() or "", name, f"page {n}") for n, page in enumerate(reader.pages, 1)]


def pypdf_layout(data: bytes, name: str) -> list[Piece]:
    """pypdf's layout mode, its lines joined into paragraphs by their text alone: lines in a block (no blank
    line between) go on unless one opens with a list marker or has a wide gap, taken for a table's cells."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pieces = []
    for number, page in enumerate(reader.pages, 1):
        lines: list[str] = []
        joinable = False
        for raw in page.extract_text(extraction_mode="layout").splitlines():
            cells = re.split(r"\s{3,}", raw.strip())
            if not cells[0]:
                joinable = False
                continue
            if joinable and len(cells) == 1 and not pdftext.MARKER.match(cells[0]):
                lines[-1] = pdftext.joined(lines[-1], cells[0])
            else:
                lines.append(" | ".join(cells))
            joinable = len(cells) == 1
        pieces.append(Piece("page", "\n".join(pdftext.normal(line) for line in lines), name, f"page {number}"))
    return pieces


READERS: dict[str, Callable[[bytes, str], list[Piece]]] = {
    "pypdf default": pypdf_default,
    "pypdf layout": pypdf_layout,
    "pdftext (pdfminer.six)": read_pdf,
}


@dataclass
class Score:
    """True positives, false positives and false negatives of (a) text aspects, (b) claims, (c) code aspects."""

    counts: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0, 0] for k in ("text", "claims", "code")})
    seconds: float = 0.0
    pages: int = 0

    def add(self, kind: str, label: object, read: list) -> None:
        tp, fp, fn = self.counts[kind]
        hit = any(same(value, label) for value in read)
        self.counts[kind] = [tp + hit, fp + sum(not same(value, label) for value in read), fn + (not hit)]

    def cell(self, kind: str) -> str:
        tp, fp, fn = self.counts[kind]
        if tp + fp + fn == 0:
            return "-"
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        return f"{precision} / {tp / (tp + fn):.2f}"


def same(value: object, label: object) -> bool:
    if isinstance(value, float) and isinstance(label, float):
        return abs(value - label) < 1e-9
    return value == label


def score(pieces: list[Piece], name: str, label: dict, into: Score) -> None:
    student = parse_student(label["student"]["dob"], label["student"]["roll"], label["student"]["program"], "", "")
    result = check_submission(Submission(Path(name), (name,), tuple(pieces), ()), student).to_json()
    for aspect, value in label["text"].items():
        into.add("text", value, result["aspects"][aspect]["text"])
    for network in NETWORKS:
        claimed = result["judgement"][network]["claimed"]
        into.add("claims", label["claims"][network], [] if claimed is None else [claimed])
    for aspect, value in label.get("code", {}).items():
        code = result["aspects"][aspect]["code"]
        into.add("code", value, [] if code is None else [code])


def source_pieces(source: Path) -> list[Piece]:
    if source.suffix == ".md":
        return [Piece("prose", plain_markdown(source.read_text()), source.name, "")]
    return read_file(source, source.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the PDFs in this folder and keep them")
    args = parser.parse_args()
    labels = json.loads((SOURCES / "labels.json").read_text())
    with tempfile.TemporaryDirectory() as scratch:
        out = args.keep or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        for group, producers, kinds in (("reports", REPORT_PRODUCERS, ("text", "claims")),
                                        ("notebook", NOTEBOOK_PRODUCERS, ("text", "claims", "code"))):
            sources = [SOURCES / name for name in labels if (SOURCES / name).suffix == (".md" if group == "reports"
                                                                                       else ".ipynb")]
            print(f"\n{group}: {', '.join(s.name for s in sources)}\n")
            header = " | ".join(f"{k}: precision / recall" for k in kinds)
            print(f"| producer | reader | {header} | ms a page |\n|---|---|{'---|' * len(kinds)}---|")
            ceiling = Score()
            for source in sources:
                score(source_pieces(source), source.name, labels[source.name], ceiling)
            print(f"| (the source itself) | - | {' | '.join(ceiling.cell(k) for k in kinds)} | - |")
            for producer, make in producers.items():
                try:
                    pdfs = [(source, make(source, out)) for source in sources]
                except Missing as e:
                    print(f"| {producer} | (not measured: {e}) |{' |' * (len(kinds) + 1)}")
                    continue
                for reader, read in READERS.items():
                    result = Score()
                    for source, pdf in pdfs:
                        data = pdf.read_bytes()
                        began = time.perf_counter()
                        pieces = read(data, pdf.name)
                        result.seconds += time.perf_counter() - began
                        result.pages += len(PdfReader(io.BytesIO(data)).pages)
                        score(pieces, pdf.name, labels[source.name], result)
                    print(f"| {producer} | {reader} | {' | '.join(result.cell(k) for k in kinds)} | "
                          f"{1000 * result.seconds / max(result.pages, 1):.0f} |")


if __name__ == "__main__":
    main()
