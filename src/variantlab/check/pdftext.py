"""A PDF's text in reading order, as the checker reads it: one paragraph, heading, list item or table row
per line, and a printed notebook's code cells as code.

A PDF holds glyphs at positions, not sentences. pypdf's default extraction breaks a line wherever the
producer starts a new text object, which Google Docs' renderer does at every change of font, so a
sentence with a bold number in it arrives as five lines. Here pdfminer.six's layout analysis gives each
glyph with its position, size and font, and lines are rebuilt from where the glyphs sit:
- glyphs on one baseline are one row; a wide gap cuts a row into cells, and a row whose cells line up
  with a neighbouring row's is a table row, written with ` | ` between its cells;
- a row continues the paragraph above when it has the same size, sits at the page's usual line distance,
  starts where the paragraph's text starts, does not open with a list marker, and the row above was full
  (the row's first word would not have fitted on it);
- a word hyphenated at a line's end is rejoined; ligatures and other compatibility characters are
  normalised (NFKC); a space glyph that takes no room (Chromium's soft hyphen) is dropped;
- monospace rows inside a grey box are a notebook's code cell (nbconvert's HTML printed by a browser,
  nbconvert's own LaTeX PDF): indentation is rebuilt from the glyphs' positions, a prompt left of the
  box is dropped, a line wrapped at the box's edge is rejoined, and a cell cut by a page break is one
  cell. A notebook's other monospace rows are what its cells printed.

Safety: pypdf opens the file first, refuses an encrypted one and one over the page limit, and inflates
every stream pdfminer may inflate (all but images) under pypdf's limits, because pdfminer inflates
without one: a decompression bomb is refused before pdfminer reads the file. The glyphs read are counted
page by page against the text limit. Every failure is one line (UserError).
"""

import ast
import functools
import io
import itertools
import logging
import re
import statistics
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from variantlab.errors import UserError

CELL_GAP = 0.8  # a gap between glyphs wider than this many font sizes may part two table cells
MONO = re.compile(r"mono|courier|consol|code|menlo|typewriter|cmtt|sftt|inconsolata|fixed", re.I)
MARKER = re.compile(r"^([•●○◦▪■□➢►–\-*·]|\(?\d{1,2}[.)]|\(?[a-hA-H][.)]|\(?[ivx]{1,4}[.)])(\s|$)")
PROMPT = re.compile(r"^(In|Out)\s*\[[\d\s*]*\]:?\s*|^\[[\d\s*]*\]:\s*")
CONTINUED = "↪"  # nbconvert's LaTeX marks the rest of a code line it wrapped
HYPHENATED = re.compile(r"(?<=[a-z])[-\u00ad\u2010]$")

# Both libraries log each thing they repair in a malformed file; a grader is told only whether it was read.
logging.getLogger("pdfminer").setLevel(logging.CRITICAL)
logging.getLogger("pypdf").setLevel(logging.CRITICAL)

BlockKind = Literal["text", "code", "output"]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Block:
    """Text, a code cell or printed output, in reading order, with the pages it lies on."""

    kind: BlockKind
    text: str
    first_page: int
    last_page: int

    @property
    def place(self) -> str:
        if self.first_page == self.last_page:
            return f"page {self.first_page}"
        return f"pages {self.first_page}-{self.last_page}"


class Glyph(NamedTuple):  # a tuple: a page makes thousands
    x0: float
    x1: float
    text: str
    size: float
    mono: bool


@dataclass
class Row:
    """The glyphs on one baseline of a page, left to right, cut into cells at wide gaps."""

    glyphs: list[Glyph]
    top: float
    bottom: float
    box: Box | None = None  # the code box the row lies in
    cells: list[list[Glyph]] = field(default_factory=list)
    size: float = 0.0  # the font size of most of its glyphs
    mono: bool = False  # most of its glyphs in a monospace font

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return self.glyphs[-1].x1

    @property
    def text(self) -> str:
        return "".join(g.text for g in self.glyphs)



@dataclass
class Run:
    """Consecutive rows of one kind (and one code box) as a block will hold them."""

    kind: BlockKind
    rows: list[Row]
    first_page: int
    last_page: int


def read(data: bytes, name: str, max_pages: int, max_chars: int) -> list[Block]:
    """The PDF's text, code cells and printed outputs in reading order, at least one text block a page."""
    checked(data, name, max_pages)
    try:
        return blocks(list(page_rows(data, name, max_chars)))
    except UserError:
        raise
    except Exception as e:  # pdfminer's own errors, and whatever else a malformed file makes a parser raise
        raise unreadable(name, e) from None


def blocks(pages: list[list[Row]]) -> list[Block]:
    notebook = any(row.box is not None for rows in pages for row in rows)
    runs: list[Run] = []
    for number, rows in enumerate(pages, start=1):
        page = page_runs(rows, number, notebook)
        if number > 1 and continues(pages[number - 2], rows):  # a cell cut by the page break is one cell
            cell = next(run for run in reversed(runs) if run.kind == "code")
            rest = next(run for run in page if run.kind == "code")
            cell.rows += rest.rows
            cell.last_page = number
            page = [run for run in page if run is not rest]
        runs += page
    return [Block(run.kind, rendered(run), run.first_page, run.last_page) for run in runs]


def unreadable(name: str, error: Exception) -> UserError:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return UserError(f"{name}: not a readable PDF ({type(error).__name__}: {reason[:160]})")


def checked(data: bytes, name: str, max_pages: int) -> None:
    """Refuse an encrypted PDF, one over the page limit, and one with a stream that inflates past pypdf's
    limit (75 MB): every stream but images, which pdfminer never inflates, is inflated here first."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, StreamObject

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UserError(f"{name}: an encrypted PDF; submit it without a password")
        pages = len(reader.pages)
        if pages > max_pages:
            raise UserError(f"{name}: {pages} pages, more than the {max_pages} a report may have")
        for generation, numbers in list(reader.xref.items()):
            for number in list(numbers):
                stream = reader.get_object(IndirectObject(number, generation, reader))
                if isinstance(stream, StreamObject) and stream.get("/Subtype") != "/Image":
                    stream.get_data()
    except UserError:
        raise
    except Exception as e:  # pypdf's own errors (its decompression limit among them), and any other
        raise unreadable(name, e) from None


def page_rows(data: bytes, name: str, max_chars: int) -> Iterator[list[Row]]:
    """Each page's rows, top to bottom, each monospace row with the code box it lies in."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams

    total = 0
    # all_texts: text inside forms too (a PDF merged or imported by another tool draws each page as a form)
    for page in extract_pages(io.BytesIO(data), laparams=LAParams(boxes_flow=None, all_texts=True)):
        lines: list = []
        shapes: list = []
        collect(page, lines, shapes)
        rows = baseline_rows(lines)
        drawn_bullets(rows, shapes)
        total += sum(len(row.glyphs) for row in rows)
        if total > max_chars:
            raise UserError(f"{name}: more than {max_chars:,} characters of text")
        boxes = code_boxes(shapes)
        for row in rows:
            row.box = box_of(row, boxes) if row.mono else None
        yield rows


def collect(item, lines: list, shapes: list) -> None:
    from pdfminer.layout import LTChar, LTCurve, LTTextLineHorizontal

    for child in item:
        if isinstance(child, LTTextLineHorizontal):
            lines.append(child)
        elif isinstance(child, LTCurve):
            shapes.append(child)
        elif not isinstance(child, LTChar) and hasattr(child, "__iter__"):
            collect(child, lines, shapes)


def glyphs_of(line) -> list[Glyph]:
    """A line's glyphs with pdfminer's word spaces; turned glyphs (a figure's axis labels) and a space glyph
    that takes no room (Chromium's soft hyphen) left out."""
    from pdfminer.layout import LTChar

    glyphs: list[Glyph] = []
    items = list(line)
    for i, item in enumerate(items):
        text = item.get_text()
        if isinstance(item, LTChar):
            following = items[i + 1] if i + 1 < len(items) else None
            room = not (text == " " and isinstance(following, LTChar) and abs(following.x0 - item.x0) < 0.01)
            if item.upright and room:
                glyphs.append(Glyph(item.x0, item.x1, text, item.size, monospace(item.fontname)))
        elif text == " " and glyphs and not glyphs[-1].text.isspace():
            glyphs.append(space_after(glyphs[-1]))
    while glyphs and glyphs[-1].text.isspace():
        glyphs.pop()
    return glyphs


@functools.lru_cache(maxsize=1024)
def monospace(font: str) -> bool:
    return bool(MONO.search(font))


def baseline_rows(lines: list) -> list[Row]:
    """pdfminer's lines grouped by baseline (the cells of a table row, a list's marker and its text), top
    to bottom."""
    rows: list[Row] = []
    for line in sorted(lines, key=lambda ln: -ln.y1):
        glyphs = glyphs_of(line)
        if not glyphs:
            continue
        for row in rows[-3:]:
            overlap = min(row.top, line.y1) - max(row.bottom, line.y0)
            if overlap >= 0.5 * min(row.top - row.bottom, line.height):
                row.glyphs = sorted(row.glyphs + glyphs, key=lambda g: g.x0)
                row.top, row.bottom = max(row.top, line.y1), min(row.bottom, line.y0)
                break
        else:
            rows.append(Row(glyphs, line.y1, line.y0))
    rows.sort(key=lambda r: -r.top)
    for row in rows:
        shown = [g for g in row.glyphs if not g.text.isspace()]
        row.size = statistics.median(g.size for g in shown)
        row.mono = 2 * sum(g.mono for g in shown) >= len(shown)
        row.glyphs = spaced(row.glyphs, row.size)
        row.cells = cells_of(row)
    return rows


def spaced(glyphs: list[Glyph], size: float) -> list[Glyph]:
    """A space wherever two words of a row abut with a gap but no space between them (the runs of lines
    that pdfminer read apart)."""
    out: list[Glyph] = []
    for glyph in glyphs:
        if out and not glyph.text.isspace() and not out[-1].text.isspace() and glyph.x0 - out[-1].x1 > 0.15 * size:
            out.append(space_after(out[-1]))
        out.append(glyph)
    return out


def drawn_bullets(rows: list[Row], shapes: list) -> None:
    """A list item whose bullet is drawn (a browser's disc, circle or square) gets it as a glyph, so that
    it opens an item as a bullet character does."""
    for row in rows:
        for shape in shapes:
            middle = (shape.y0 + shape.y1) / 2
            if (max(shape.width, shape.height) <= 0.6 * row.size and row.bottom <= middle <= row.top
                    and 0 <= row.x0 - shape.x1 <= 2.5 * row.size):
                bullet = Glyph(shape.x0, shape.x1, "•", row.size, False)
                row.glyphs = [bullet, space_after(bullet), *row.glyphs]
                row.cells = cells_of(row)
                break


def cells_of(row: Row) -> list[list[Glyph]]:
    """The row cut at gaps wider than CELL_GAP font sizes; a list marker stays with its text."""
    cells: list[list[Glyph]] = [[]]
    last: Glyph | None = None
    for glyph in row.glyphs:
        if glyph.text.isspace():
            if cells[-1]:
                cells[-1].append(glyph)
            continue
        if last is not None and glyph.x0 - last.x1 > CELL_GAP * row.size:
            cells.append([])
        cells[-1].append(glyph)
        last = glyph
    if len(cells) > 1 and MARKER.match(text_of(cells[0]) + " "):
        cells[:2] = [[*cells[0], space_after(cells[0][-1]), *cells[1]]]
    return cells


def space_after(glyph: Glyph) -> Glyph:
    return Glyph(glyph.x1, glyph.x1, " ", glyph.size, glyph.mono)


def text_of(glyphs: list[Glyph]) -> str:
    return "".join(g.text for g in glyphs).strip()


def code_boxes(shapes: list) -> list[Box]:
    """Rectangles a notebook draws around its code cells: filled in a light neutral grey (nbconvert's lab
    template and its LaTeX) or outlined in grey (the classic template). White page backgrounds, coloured
    boxes (an error's output) and thin rules are not."""
    boxes = []
    for shape in shapes:
        if shape.width < 50 or shape.height < 8:
            continue
        if (shape.fill and grey(shape.non_stroking_color)) or (shape.stroke and not shape.fill
                                                                and grey(shape.stroking_color)):
            boxes.append(shape.bbox)
    return boxes


def grey(colour) -> bool:
    """A neutral grey, neither white nor black nor coloured, in a grey, RGB or CMYK colour space."""
    values = list(colour) if isinstance(colour, (list, tuple)) else [colour]
    if not values or not all(isinstance(v, (int, float)) for v in values):
        return False
    if len(values) == 4:  # CMYK: a grey is black ink alone
        return max(values[:3]) < 0.03 and 0.015 < values[3] < 0.6
    return max(values) - min(values) < 0.06 and 0.4 < values[0] < 0.985


def box_of(row: Row, boxes: list[Box]) -> Box | None:
    """The smallest box that holds the row's middle and some of its glyphs."""
    middle = (row.top + row.bottom) / 2
    holding = [b for b in boxes if b[1] <= middle <= b[3] and row.x1 > b[0] and row.x0 < b[2]]
    return min(holding, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])) if holding else None


def page_runs(rows: list[Row], number: int, notebook: bool) -> list[Run]:
    """The page's rows as runs in reading order: text, each code box apart, a notebook's other monospace
    rows as output; a page without text has an empty text run, as a page of a scan has."""
    runs: list[Run] = []
    for row in rows:
        kind: BlockKind = "code" if row.box is not None else "output" if notebook and row.mono else "text"
        if runs and runs[-1].kind == kind and runs[-1].rows[-1].box == row.box:
            runs[-1].rows.append(row)
        else:
            runs.append(Run(kind, [row], number, number))
    if not any(run.kind == "text" for run in runs):
        runs.insert(0, Run("text", [], number, number))
    return runs


def continues(before: list[Row], after: list[Row]) -> bool:
    """Whether the first code box of a page goes on from the last of the page before: nothing but a header
    and a footer (at most four short rows of text, no printed output) lies between them."""
    last = max((i for i, row in enumerate(before) if row.box is not None), default=None)
    first = min((i for i, row in enumerate(after) if row.box is not None), default=None)
    if last is None or first is None:
        return False
    between = before[last + 1:] + after[:first]
    return len(between) <= 4 and all(len(row.glyphs) <= 60 and not row.mono for row in between)


def rendered(run: Run) -> str:
    if run.kind == "code":
        return normal(code_text(run.rows))
    if run.kind == "output":
        return normal("\n".join(text_of(row.glyphs) for row in run.rows))
    return "\n".join(paragraphs(run.rows))


def code_text(rows: list[Row]) -> str:
    """A code cell's lines: the glyphs inside its box, indented by their distance from the cell's left edge,
    a prompt left of the box dropped. A line the PDF wrapped is rejoined: nbconvert's LaTeX marks the rest
    with an arrow; a browser breaks it at the box's edge, where its pieces make one statement only when
    joined (a line the browser cut off at the edge instead stays as it is)."""
    inside = [(row, [g for g in row.glyphs if row.box is not None and g.x0 >= row.box[0] - 0.5]) for row in rows]
    inside = [(row, glyphs) for row, glyphs in inside if any(not g.text.isspace() for g in glyphs)]
    widths = [g.x1 - g.x0 for _, glyphs in inside for g in glyphs if not g.text.isspace() and g.x1 > g.x0]
    if not widths:
        return ""
    width = statistics.median(widths)
    left = min(glyphs[0].x0 for _, glyphs in inside)
    lines: list[tuple[str, bool]] = []  # each line, and whether it runs to the box's edge
    for row, glyphs in inside:
        shown = [g for g in glyphs if not g.text.isspace()]
        text = PROMPT.sub("", "".join(g.text for g in glyphs).strip())
        edge = row.box is not None and shown[-1].x1 >= row.box[2] - 1.5 * width
        if lines and text.startswith(CONTINUED):
            lines[-1] = (lines[-1][0] + text.lstrip(CONTINUED).lstrip(), edge)
        else:
            lines.append((" " * round((shown[0].x0 - left) / width) + text, edge))
    return "\n".join(unwrapped(lines))


def unwrapped(lines: list[tuple[str, bool]]) -> list[str]:
    """Lines that run to the box's edge joined with the next one to three, where only joined they parse."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line, edge = lines[i]
        taken = 0
        if edge and not statement(line):
            for more in range(1, min(4, len(lines) - i)):
                whole = line + "".join(text.strip() for text, _ in lines[i + 1:i + more + 1])
                if statement(whole):
                    line, taken = whole, more
                    break
                if not lines[i + more][1]:  # the piece added does not run to the edge either: no more to join
                    break
        out.append(line)
        i += 1 + taken
    return out


def statement(line: str) -> bool:
    """Whether a line of code is whole: a statement, or the head of a block."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a student's string escapes are no warning for the grader
        for source in (line.strip(), line.strip() + "\n pass"):
            try:
                ast.parse(source)
                return True
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
    return False


def paragraphs(rows: list[Row]) -> list[str]:
    """Text rows as lines: a paragraph's rows joined into one, a table row with its cells apart (a cell's
    text wrapped onto rows below put back into its cell)."""
    table = [table_row(rows, i) for i in range(len(rows))]
    right = right_edge(rows)
    gap = line_gap(rows)
    lines: list[str] = []
    first = 0  # the row the last line started at
    cells: list[str] = []  # the last line's cells, while it is a table row
    for i, row in enumerate(rows):
        texts = [" ".join(text_of(cell).split()) for cell in row.cells]
        above = rows[i - 1] if i else None
        if table[i]:
            cells = texts
            lines.append(" | ".join(cells))
            first = i
        elif above is not None and cells and (column := wrapped_cell(rows[first], above, row, gap)) is not None:
            cells[column] = f"{cells[column]} {' '.join(texts)}"
            lines[-1] = " | ".join(cells)
        elif above is not None and not cells and continues_paragraph(above, row, right, gap, first == i - 1):
            lines[-1] = joined(lines[-1], " ".join(texts))
        else:
            cells = []
            lines.append(" ".join(texts))
            first = i
    return [normal(line) for line in lines]


def wrapped_cell(table: Row, above: Row, row: Row, gap: float) -> int | None:
    """The cell of a table row whose text goes on in `row`: a single cell starting where that cell starts,
    closer below than the table's rows are to each other."""
    if len(row.cells) != 1 or abs(row.size - table.size) > 0.1 * table.size:
        return None
    if not -0.5 < (above.bottom - row.top) / table.size <= gap + 0.2:
        return None
    return next((k for k, cell in enumerate(table.cells) if abs(cell[0].x0 - row.x0) <= 2), None)


def table_row(rows: list[Row], i: int) -> bool:
    """A row of two or more cells of which one starts where a cell of a row near it starts, that row having
    cells too or standing in a later column."""
    starts = [cell[0].x0 for cell in rows[i].cells[1:]]
    for j in range(max(0, i - 3), min(len(rows), i + 4)):
        other = rows[j]
        if j == i or (len(other.cells) < 2 and other.x0 <= rows[i].x0 + 1):
            continue
        if any(abs(cell[0].x0 - start) <= 2 for cell in other.cells for start in starts):
            return True
    return False


def right_edge(rows: list[Row]) -> float:
    """Where the page's lines of text end: the right edge of its longer rows (of many, the 90th percentile,
    so that one row running into the margin does not move it)."""
    ends = sorted(row.x1 for row in rows if len(row.glyphs) >= 40) or sorted(row.x1 for row in rows) or [0.0]
    return ends[int(0.9 * (len(ends) - 1))] if len(ends) >= 10 else ends[-1]


def line_gap(rows: list[Row]) -> float:
    """The page's usual gap between one line and the next, as a fraction of the font size."""
    gaps = [(a.bottom - b.top) / a.size for a, b in itertools.pairwise(rows)
            if abs(a.size - b.size) < 0.1 * a.size and -0.5 < (a.bottom - b.top) / a.size < 1.5]
    return statistics.median(gaps) if gaps else 0.3


KEYED = re.compile(r"[A-Z][A-Za-z ()/-]{2,40}:\s+\S")  # a "Key: value" line, as a summary or a list of settings


def continues_paragraph(above: Row, row: Row, right: float, gap: float, above_starts: bool) -> bool:
    """Whether `row` goes on with the paragraph whose last row is `above`."""
    size = above.size
    if abs(row.size - size) > 0.1 * size or row.mono != above.mono or MARKER.match(text_of(row.cells[0])):
        return False
    if KEYED.match(text_of(row.glyphs)) or (above_starts and KEYED.match(text_of(above.glyphs))):
        return False  # "Number of encoder layers: 4": a line of a summary or a list of settings, a line of its own
    if not -0.5 < (above.bottom - row.top) / size <= gap + 0.35:
        return False
    aligned = abs(row.x0 - text_start(above)) <= 0.5 * size
    indented_first = above_starts and 0 < above.x0 - row.x0 <= 3 * size  # a paragraph's indented first line
    if not (aligned or indented_first):
        return False
    space = next((g for g in row.glyphs if g.text.isspace()), row.glyphs[-1])
    return above.x1 + (space.x0 - row.x0) >= right - size  # the row's first word would not fit above


def text_start(row: Row) -> float:
    """Where a row's text starts: after its list marker, if it has one."""
    marker = MARKER.match(row.text)
    if not marker:
        return row.x0
    rest = [g for g in row.glyphs[len(marker.group(0).rstrip()):] if not g.text.isspace()]
    return rest[0].x0 if rest else row.x0


def joined(line: str, text: str) -> str:
    """Two rows of a paragraph as one; a word hyphenated across them rejoined, unless it is a compound with
    a hyphen of its own (state-of-the-art)."""
    if HYPHENATED.search(line) and text[:1].islower() and "-" not in line.rsplit(" ", 1)[-1][:-1]:
        return line[:-1] + text
    return f"{line} {text}"


QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"'})


def normal(text: str) -> str:
    """NFKC (ligatures, full-width forms), typographic quotes as typed (a word processor curls them, so
    ['1', '3'] arrives as [‘1’, ‘3’]); soft hyphens, unmapped glyphs and control characters dropped."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").translate(QUOTES)
    return re.sub(r"\(cid:\d+\)|[\x00-\x08\x0b-\x1f]", "", text)
