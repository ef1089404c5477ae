"""The report as the PDF a grader reads: A4, the student in every page's footer with the page number,
figures scaled to the page and never split, long tables continued with their header row.

Rendered from the same blocks as report.md and report.html (report.build_blocks) with fpdf2, pure
Python: no browser and no system library, so a student with only pip gets it. The fonts are the
DejaVu faces matplotlib already ships: Latin, Greek and Cyrillic names print as written; a name in
another script shows missing glyphs (the roll number beside it still names the student).
"""

import math
from pathlib import Path
from typing import assert_never

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image

from variantlab.atomic import atomic_path
from variantlab.report.document import Block, Cell, Figure, Heading, Paragraph, Table, plain

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
HEADING_SIZES = {1: 16, 2: 13, 3: 11}
BODY_SIZE = 9
TABLE_SIZE = 7.5
FIGURE_DPI = 110  # figures.py saves at this resolution: it sets their natural size on paper
FIGURE_MAX_HEIGHT = 120  # mm
SHORT_TABLE = 20  # rows


class ReportPDF(FPDF):
    def __init__(self, footer: str):
        super().__init__(format="A4", unit="mm")
        self.footer_text = footer
        self.add_font("body", "", FONTS / "DejaVuSans.ttf")
        self.add_font("body", "B", FONTS / "DejaVuSans-Bold.ttf")
        self.add_font("mono", "", FONTS / "DejaVuSansMono.ttf")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.set_title(footer)
        self.set_creator("variantlab")

    def footer(self):
        self.set_y(-11)
        self.set_font("body", "", 7.5)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text}  ·  page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)


def write_marked(pdf: FPDF, text: str, size: float, height: float) -> None:
    """A paragraph with the report's marks: **bold** in the bold face, `code` in the mono face."""
    for i, bold_part in enumerate(text.split("**")):
        for j, part in enumerate(bold_part.split("`")):
            if part:
                pdf.set_font("mono" if j % 2 else "body", "B" if i % 2 and not j % 2 else "", size)
                pdf.write(height, part)
    pdf.ln(height)


def heading(pdf: FPDF, level: int, text: str, following: list[Block]) -> None:
    """A heading kept on one page with the start of what it introduces: its paragraphs up to the first
    short table, or the first lines of anything longer."""
    size = HEADING_SIZES.get(level, 11)
    if pdf.will_page_break(size + min(start_height(pdf, following), pdf.eph / 2)):
        pdf.add_page()
    pdf.ln(2 if level > 1 else 0)
    pdf.set_font("body", "B", size)
    pdf.multi_cell(0, size * 0.5, plain(text))
    pdf.ln(1)


def start_height(pdf: FPDF, blocks: list[Block]) -> float:
    """About how tall the paragraphs after a heading are, with the short table or the figure that ends them."""
    pdf.set_font("body", "", BODY_SIZE)
    total = 0.0
    for block in blocks:
        if isinstance(block, Paragraph):
            total += math.ceil(pdf.get_string_width(plain(block.text)) / pdf.epw) * 4.6 + 1.5
        elif isinstance(block, Table) and len(block.rows) <= SHORT_TABLE:
            pdf.set_font("body", "", TABLE_SIZE)
            cells = [block.header, *block.rows]
            return total + table_height(pdf, cells, column_widths(pdf, cells))
        else:
            return total + 20
    return total


def table(pdf: FPDF, header: tuple[str, ...], rows: tuple[tuple[Cell, ...], ...]) -> None:
    pdf.set_font("body", "", TABLE_SIZE)
    widths = column_widths(pdf, [header, *rows])
    if len(rows) <= SHORT_TABLE and pdf.will_page_break(table_height(pdf, [header, *rows], widths)):
        pdf.add_page()  # a short table stays whole; a long one continues under its repeated header row
    with pdf.table(col_widths=widths, width=min(sum(widths), pdf.epw), align="LEFT", text_align="LEFT", line_height=3.6,
                   repeat_headings=1, headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                   padding=0.8) as t:
        for row in [header, *rows]:
            cells = t.row()
            for value in row:
                cells.cell(plain(value))
    pdf.ln(2)


def table_height(pdf: FPDF, rows: list, widths: list[float]) -> float:
    """About how tall the table will be: each row as many lines as its most wrapped cell."""
    lines = [max(math.ceil((pdf.get_string_width(plain(c)) + 2) / (w - 1.6))
                 for c, w in zip(row, widths, strict=True)) for row in rows]
    return sum(n * 3.6 + 1.6 for n in lines) + 2


def column_widths(pdf: FPDF, rows: list) -> list[float]:
    """Each column as wide as its longest word allows and its text asks, within the page's width."""
    available = pdf.epw
    columns = list(zip(*rows, strict=True))
    wanted = [max(pdf.get_string_width(plain(c)) for c in column) + 3 for column in columns]
    narrowest = [max(pdf.get_string_width(word) for c in column for word in plain(c).split() or [""]) + 3
                 for column in columns]
    if sum(wanted) <= available:
        return wanted
    spare = available - sum(narrowest)
    extra = [w - n for w, n in zip(wanted, narrowest, strict=True)]
    return [n + spare * e / sum(extra) if spare > 0 else available * n / sum(narrowest)
            for n, e in zip(narrowest, extra, strict=True)]


def figure(pdf: FPDF, path: Path, caption: str) -> None:
    with Image.open(path) as image:
        px_w, px_h = image.size
    width = min(pdf.epw, px_w / FIGURE_DPI * 25.4)
    height = width * px_h / px_w
    most = min(pdf.eph - 12, FIGURE_MAX_HEIGHT)  # a figure and its caption fit one page, two to a page
    if height > most:
        width, height = width * most / height, most
    if pdf.will_page_break(height + 8):
        pdf.add_page()
    pdf.image(str(path), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
    pdf.set_font("body", "", 7.5)
    pdf.set_text_color(90)
    pdf.multi_cell(0, 4, caption, align="C")
    pdf.set_text_color(0)
    pdf.ln(2)


def to_pdf(blocks: list[Block], footer: str, path: Path) -> Path:
    pdf = ReportPDF(footer)
    pdf.add_page()
    for i, block in enumerate(blocks):
        match block:
            case Heading(level, text):
                heading(pdf, level, text, blocks[i + 1:i + 4])
            case Paragraph(text):
                write_marked(pdf, text, BODY_SIZE, 4.6)
                pdf.ln(1.5)
            case Table(header, rows):
                table(pdf, header, rows)
            case Figure(image, caption):
                figure(pdf, image, caption)
            case _:
                assert_never(block)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return Path(path)
