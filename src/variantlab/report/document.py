"""Documents as a list of typed blocks, rendered to Markdown and to self-contained HTML (pdf.py renders
the same blocks to A4). The run's report, the class summary and the grading sheet are all built from
these blocks, so they share one look and one escaping rule: every text is escaped where it is rendered.

Paragraphs and table cells may use two Markdown marks, `code` and **bold**; nothing else in them is markup.
"""

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Link:
    text: str
    href: str  # a relative path, written by variantlab, never taken from a user's text


Cell = str | Link


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    marked: frozenset[int] = frozenset()  # rows to show flagged (indices into rows)
    sortable: bool = False  # click a header to sort (HTML)


@dataclass(frozen=True)
class Figure:
    path: Path
    caption: str


Block = Heading | Paragraph | Table | Figure


def table(header, rows, marked=frozenset(), sortable: bool = False) -> Table:
    """A Table from any sequences of cells."""
    return Table(tuple(header), tuple(tuple(row) for row in rows), frozenset(marked), sortable)


def title_of(blocks: list[Block]) -> str:
    return next(b.text for b in blocks if isinstance(b, Heading))


def plain(cell: Cell) -> str:
    """A cell's text without the two Markdown marks."""
    text = cell.text if isinstance(cell, Link) else cell
    return text.replace("**", "").replace("`", "")


def _md_cell(cell: Cell) -> str:
    text = f"[{cell.text}]({cell.href})" if isinstance(cell, Link) else cell
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block], image_prefix: str = "") -> str:
    out = []
    for block in blocks:
        match block:
            case Heading(level, text):
                out.append(f"{'#' * level} {text}")
            case Paragraph(text):
                out.append(text)
            case Table(header, rows):
                out.append("\n".join(["| " + " | ".join(_md_cell(h) for h in header) + " |",
                                      "|" + "---|" * len(header)]
                                     + ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]))
            case Figure(path, caption):
                out.append(f"![{caption}]({image_prefix}{path.name})")
            case _:
                assert_never(block)
    return "\n\n".join(out) + "\n"


def inline(text: str) -> str:
    """Escaped HTML of a text with the two Markdown marks, `code` and **bold**."""
    parts = html.escape(text).split("`")
    text = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def _html_cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f"<a href='{html.escape(cell.href)}'>{html.escape(cell.text)}</a>"
    return inline(cell)


STYLE = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
body.wide{max-width:none}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}table.sortable th{cursor:pointer}tr.flag{background:#fde2e2}
figure{margin:1em 0}img{max-width:100%}figcaption{color:#555;font-size:90%}
code{background:#f3f3f3;padding:0 3px}
@media print{@page{size:A4;margin:15mm}body{max-width:none;margin:0;padding:0;font-size:10pt}
figure,tr,img{break-inside:avoid}thead{display:table-header-group}h1,h2,h3{break-after:avoid}
img{max-height:120mm}}"""

SORT_SCRIPT = """<script>
document.querySelectorAll('table.sortable th').forEach((th, col) => th.addEventListener('click', () => {
  const body = th.closest('table').tBodies[0];
  const rows = [...body.rows];
  const asc = th.dataset.asc !== 'true';
  th.dataset.asc = asc;
  const key = r => { const t = r.cells[col].innerText; const n = parseFloat(t); return isNaN(n) ? t : n; };
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (asc ? 1 : -1));
  rows.forEach(r => body.appendChild(r));
}));
</script>"""


def to_html(blocks: list[Block], wide: bool = False) -> str:
    """One self-contained page: figures embedded, the report's stylesheet; `wide` for tables of a class."""
    body_class = " class='wide'" if wide else ""
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title_of(blocks))}"
           f"</title><style>{STYLE}</style></head><body{body_class}>", blocks_html(blocks)]
    if any(isinstance(b, Table) and b.sortable for b in blocks):
        out.append(SORT_SCRIPT)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def blocks_html(blocks: list[Block]) -> str:
    """The blocks as an HTML fragment, for a page of to_html's or a part of another page (sheet.py)."""
    out = []
    for block in blocks:
        match block:
            case Heading(level, text):
                out.append(f"<h{level}>{inline(text)}</h{level}>")
            case Paragraph(text):
                out.append(f"<p>{inline(text)}</p>")
            case Table(header, rows, marked, sortable):
                head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
                body = "".join(("<tr class='flag'>" if i in marked else "<tr>")
                               + "".join(f"<td>{_html_cell(c)}</td>" for c in row) + "</tr>"
                               for i, row in enumerate(rows))
                kind = " class='sortable'" if sortable else ""
                out.append(f"<table{kind}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            case Figure(path, caption):
                data = base64.b64encode(path.read_bytes()).decode()
                out.append(f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
                           f"<figcaption>{html.escape(caption)}</figcaption></figure>")
            case _:
                assert_never(block)
    return "\n".join(out)
