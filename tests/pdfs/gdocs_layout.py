"""PDFs laid out as Google Docs' renderer writes them, for the tests and benchmarks/pdf_producers.py:
Google Docs cannot run here, and a student's export cannot be committed.

What its exports hold (measured on one, "Skia/PDF m111 Google Docs Renderer"): the page's y axis flipped
once (`1 0 0 -1 0 792 cm`), each line drawn in a space scaled from pixels to points (`.75 0 0 .75 x y cm`),
each styled run its own text object with a flipped text matrix, and each glyph placed by its own `Td`.
pypdf's default extraction starts a new line at each such text object, so a sentence with a bold number in
it comes out as several lines. The fonts here are the standard Helvetica ones (nothing embedded), so the
text is Latin-1.
"""

import io
from dataclasses import dataclass

from fpdf import FPDF

Run = tuple[str, str]  # style ("", "B", "I" or "BI") and text
FONTS = {"": "/F1", "B": "/F2", "I": "/F3", "BI": "/F4"}
NAMES = {"/F1": "Helvetica", "/F2": "Helvetica-Bold", "/F3": "Helvetica-Oblique", "/F4": "Helvetica-BoldOblique"}
WIDTH = 468.0  # Letter with one-inch margins
PX = 0.75  # a pixel in points
_measure = FPDF(unit="pt")


@dataclass(frozen=True)
class Paragraph:
    runs: list[Run]
    size: float = 11.0
    bullet: bool = False


@dataclass(frozen=True)
class TableRow:
    cells: list[str]
    column: float = 156.0  # each cell's width in points


def width(text: str, style: str, size: float) -> float:
    _measure.set_font("Helvetica", style, size)
    return _measure.get_string_width(text)


def words(runs: list[Run]) -> list[tuple[str, str]]:
    """The runs cut into words, each keeping its trailing space, so that lines break between words."""
    out = []
    for style, text in runs:
        out += [(style, word) for word in text.replace(" ", " \0").split("\0") if word]
    return out


def lines_of(paragraph: Paragraph, room: float) -> list[list[Run]]:
    lines: list[list[Run]] = [[]]
    used = 0.0
    for style, word in words(paragraph.runs):
        wide = width(word.rstrip(), style, paragraph.size)
        if lines[-1] and used + wide > room:
            lines.append([])
            used = 0.0
        if lines[-1] and lines[-1][-1][0] == style:
            lines[-1][-1] = (style, lines[-1][-1][1] + word)
        else:
            lines[-1].append((style, word))
        used += width(word, style, paragraph.size)
    return lines


def text_object(x: float, style: str, text: str, size: float) -> list[str]:
    """One run as Google Docs writes it: a flipped text matrix at the run's start, then glyph by glyph."""
    px = size / PX
    ops = ["BT", f"{FONTS[style]} {px:.4f} Tf", f"1 0 0 -1 {x / PX:.4f} 0 Tm", f"0 {-px:.4f} Td"]
    previous = None
    for char in text:
        if previous is not None:
            ops.append(f"{width(previous, style, size) / PX:.4f} 0 Td")
        ops.append("(" + char.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj")
        previous = char
    return [*ops, "ET"]


def pages_of(elements: list, left: float = 72.0, top: float = 72.0, bottom: float = 720.0) -> list[str]:
    """Each page's content: the elements line by line, a new page where the next line would pass `bottom`."""
    pages: list[list[str]] = [["1 0 0 -1 0 792 cm"]]
    y = top

    def line(ops: list[str], height: float) -> None:
        nonlocal y
        if y + height > bottom:
            pages.append(["1 0 0 -1 0 792 cm"])
            y = top
        pages[-1] += ["q", f"{PX} 0 0 {PX} {left:.3f} {y:.3f} cm", *ops, "Q"]
        y += height

    for element in elements:
        if isinstance(element, TableRow):
            line([op for k, cell in enumerate(element.cells) for op in text_object(5 + k * element.column, "", cell,
                                                                                  11.0)], 22.0)
            continue
        indent = 36.0 if element.bullet else 0.0
        for number, runs in enumerate(lines_of(element, WIDTH - indent)):
            ops = text_object(indent - 18, "", "\x95", element.size) if element.bullet and number == 0 else []
            x = indent
            for style, text in runs:
                ops += text_object(x, style, text, element.size)
                x += width(text, style, element.size)
            line(ops, 1.5 * element.size)
        y += 0.6 * element.size
    return ["\n".join(ops) for ops in pages]


def pdf(elements: list) -> bytes:
    """A PDF of Paragraphs and TableRows on Letter pages, laid out as Google Docs lays them out."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    fonts = b" ".join(b"%s %d 0 R" % (name.encode(), 3 + k) for k, name in enumerate(NAMES))
    for k, name in enumerate(NAMES.values()):
        objects[3 + k] = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % name.encode()
    kids = []
    for page in pages_of(elements):
        number = max(objects) + 1
        content = page.encode("latin-1")
        objects[number] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << " + fonts
                           + b" >> >> /Contents %d 0 R >>" % (number + 1))
        objects[number + 1] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
        kids.append(number)
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, len(objects) + 1)))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
