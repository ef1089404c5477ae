"""A class on one screen: students (rows) by items (columns), each student one line and each cell a verdict
shown by a symbol on a colour, so that it reads in greyscale and to colour-blind readers; each student's
long text (flags, findings, evidence, the variant key) folds open under their row. The sweep's
class_summary.html is one; the checker's grading.html is meant to be another.

One self-contained page: document.py's stylesheet and a few rules of its own, a little vanilla JavaScript,
nothing fetched. Every text given is escaped where it is written, so a roster's `<b>Bold</b>` or
`=HYPERLINK(...)` stays text. Fixed column widths and ellipses keep the page inside a laptop's 1,366 px.

API:
    matrix_page(title, intro, columns, rows, legend=VERDICTS, after=()) -> str, the page's HTML.
    title    the page's heading and <title>.
    intro    document blocks above the matrix: a line or two, so that the matrix starts on the first screen.
    columns  one Column(short, title, width) per item: `short` heads the column (a few characters), `title`
             is the header's tooltip and its entry in the legend, `width` a CSS width (a mark under a
             4-letter header needs 3.5em, an accuracy beside its mark 5.5em).
    rows     one Row per student:
               key      the roll number: the first column, searched by
               name     searched by; cut with an ellipsis when long
               status   a word shown and filtered by (checked, missing, ok, failed, ...)
               marks    one Mark(verdict, text, tip) per column: `verdict` a word of the legend, or "" for
                        `text` alone; `text` a few characters beside the symbol ("97.9"); `tip` the cell's
                        tooltip, after the verdict's word. The cell takes the verdict's colour.
               flags    Flag(label, words): the label (two or three words) shows in the row, filtered by;
                        the words fold open with the details
               flagged  marked with ⚑, counted, and kept by "flagged only"
               details  document blocks shown under the row when it is opened
               link     a document Link at the row's end (the student's report, their JSON), or None
    legend   the Verdict(word, symbol, colour, meaning, bad) of every word a mark may carry; those on the
             page are listed above the matrix, each meaning in its tooltip. `bad` verdicts are counted in each
             column's header.
             VERDICTS holds variantlab's own: check.py's aspects and claims, baselines.py's judgements.
    after    document blocks under the matrix (notes, other tables).
    key_widths  the roll's and the name's column widths (default 8em and 11em).

On the page: search by roll or name; filters for flagged rows, a status, a verdict (in any column or in
one), a flag; a click on a row opens its details, a click on a column header sorts by it.
"""

import html
from collections.abc import Sequence
from dataclasses import dataclass

from variantlab.report.document import SORT_SCRIPT, STYLE, Block, Link, Table, blocks_html, inline, table


@dataclass(frozen=True)
class Verdict:
    word: str  # as the data says it: "violates"
    symbol: str
    colour: str  # the cell's background, light enough for black text
    meaning: str
    bad: bool = False  # counted in its column's header


@dataclass(frozen=True)
class Column:
    short: str
    title: str
    width: str = "3.5em"


@dataclass(frozen=True)
class Mark:
    verdict: str = ""
    text: str = ""
    tip: str = ""


@dataclass(frozen=True)
class Flag:
    label: str
    words: str


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    status: str
    marks: tuple[Mark, ...]
    flags: tuple[Flag, ...] = ()
    flagged: bool = False
    details: tuple[Block, ...] = ()
    link: Link | None = None


# Okabe and Ito's palette, told apart by the common colour blindnesses (the symbols tell them apart in grey);
# black text reads on each of these. What needs no look is a pale tint, so that what does stands out.
ORANGE, SKY, YELLOW, VERMILLION, PURPLE = "#e69f00", "#56b4e9", "#f0e442", "#d55e00", "#cc79a7"
PALE_GREEN, PALE_GREY = "#bfe7dc", "#dddddd"  # Okabe and Ito's bluish green (#009e73) and grey, a quarter strong

VERDICTS = (
    Verdict("ok", "✓", PALE_GREEN, "the code builds what the rule requires and no text says otherwise"),
    Verdict("plausible", "✓", PALE_GREEN, "within 3 spreads of its variant's measured baseline"),
    Verdict("violates", "✗", VERMILLION, "the code builds something else (without code: the text says so)", True),
    Verdict("contradicts", "≠", PURPLE, "the code builds the required value but some text states another", True),
    Verdict("below_measured", "↓", VERMILLION, "more than 3 spreads below its variant's measured baseline", True),
    Verdict("above_measured", "↑", ORANGE, "more than 3 spreads above its variant's measured baseline", True),
    Verdict("impossible_for_n", "!", VERMILLION, "no whole number of the variant's test images gives it", True),
    Verdict("not_judged_low", "?", SKY, "below the tuned profile's reach, where the reference was not measured"),
    Verdict("not_found", "?", YELLOW, "neither the code nor the text shows it"),
    Verdict("unknown", "?", PALE_GREY, "could not be decided"),
    Verdict("no_baseline", "–", PALE_GREY, "nothing measured on this dataset and classes"),
)

SHEET_STYLE = """body.sheet{max-width:none;margin:.5em 1em;font-size:14px;line-height:1.35}
body.sheet h1{font-size:1.4em;margin:.2em 0}
.bar{display:flex;flex-wrap:wrap;gap:.3em 1em;align-items:center;margin:.4em 0}.legend{margin:.3em 0;color:#444}
.legend span{margin-right:.8em}
table.matrix{table-layout:fixed;width:100%;margin:.3em 0}
.matrix>thead th,tr.row>td{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:2px 4px}
.matrix>thead th{position:sticky;top:0;cursor:pointer;vertical-align:bottom;font-weight:600;font-size:.9em}
.matrix>thead small{display:block;font-weight:normal;color:#555}
tr.row{cursor:pointer}tr.row:hover{background:#eef4fb}tr.row.f{background:#fdeaea}tr.row.f:hover{background:#f9dada}
tr.row>td[data-v]{text-align:center;color:#000}.sym{padding:0 .3em;margin-right:.3em;border-radius:3px;color:#000}
.chip{border:1px solid #aaa;border-radius:.7em;padding:0 .4em;margin-right:.3em;font-size:90%}
button.open{border:0;background:none;padding:0 .2em 0 0;font:inherit;cursor:pointer}
tr.more>td{white-space:normal;overflow:auto;overflow-wrap:break-word;background:#fafafa;padding:.2em 1em}
tr.more code{overflow-wrap:anywhere}"""

SCRIPT = """<script>
(() => {
  const $ = id => document.getElementById(id), matrix = document.querySelector('table.matrix');
  const students = [...matrix.tBodies];
  function apply() {
    const q = $('q').value.trim().toLowerCase(), only = $('fo').checked, st = $('st').value, vd = $('vd').value,
      vc = $('vc').value, fl = $('fl').value;
    let shown = 0;
    for (const s of students) {
      const d = s.dataset, marks = vc ? [s.rows[0].cells[+vc].dataset.v] : d.v.split(' ');
      const keep = (!q || d.q.includes(q)) && (!only || 'f' in d) && (!st || d.st === st)
        && (!vd || marks.includes(vd)) && (!fl || d.fl.split(' ').includes(fl));
      s.hidden = !keep;
      shown += keep;
    }
    $('shown').textContent = shown;
  }
  function sort(th) {
    const col = +th.dataset.c, asc = th.dataset.asc !== 'true';
    th.dataset.asc = asc;
    const key = s => { const c = s.rows[0].cells[col], t = c.dataset.s ?? c.textContent, n = parseFloat(t);
      return isNaN(n) ? t : n; };
    students.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (asc ? 1 : -1));
    students.forEach(s => matrix.appendChild(s));
  }
  document.querySelector('.bar').addEventListener('input', apply);
  matrix.addEventListener('click', e => {
    const th = e.target.closest('th[data-c]'), row = e.target.closest('tr.row');
    if (th) sort(th);
    if (row && !e.target.closest('a')) {
      const more = row.nextElementSibling;
      more.hidden = !more.hidden;
      row.querySelector('button').setAttribute('aria-expanded', !more.hidden);
    }
  });
  const set = c => c.type === 'checkbox' ? c.checked : c.value;
  if ([...document.querySelectorAll('.bar input, .bar select')].some(set)) {
    apply();  // the browser restored a filter (back, reload)
  }
})();
</script>"""

FIXED = 3  # roll, name, status come before the columns given
FLAGGED = "<span title='flagged'>⚑ </span>"


def matrix_page(title: str, intro: Sequence[Block], columns: Sequence[Column], rows: Sequence[Row],
                legend: Sequence[Verdict] = VERDICTS, after: Sequence[Block] = (),
                key_widths: tuple[str, str] = ("8em", "11em")) -> str:
    """The whole page (see the module's docstring). `key_widths`: the roll's and the name's columns, narrower
    where many items need the room."""
    for row in rows:
        if len(row.marks) != len(columns):
            raise ValueError(f"row {row.key!r} has {len(row.marks)} marks for {len(columns)} columns")
    looks = {v.word: (i, v) for i, v in enumerate(legend)}
    unknown = {m.verdict for r in rows for m in r.marks if m.verdict and m.verdict not in looks}
    if unknown:
        raise ValueError(f"verdicts missing from the legend: {', '.join(sorted(unknown))}")
    used = [v for v in legend if any(m.verdict == v.word for r in rows for m in r.marks)]
    labels = {label: str(i) for i, label in enumerate(dict.fromkeys(f.label for r in rows for f in r.flags))}
    statuses = list(dict.fromkeys(r.status for r in rows))
    links = any(r.link for r in rows)
    styles = "".join(f".k{looks[v.word][0]}{{background:{v.colour}}}" for v in used)  # tr.row.f's is under it
    e = _attr
    head = [f"<th data-c='0'>roll<small>⚑ {sum(r.flagged for r in rows)}</small></th>",
            "<th data-c='1'>name<small>&nbsp;</small></th>", "<th data-c='2'>status<small>&nbsp;</small></th>"]
    for c, column in enumerate(columns, FIXED):
        marks = [r.marks[c - FIXED] for r in rows]
        bad = sum(looks[m.verdict][1].bad for m in marks if m.verdict)
        count = (f"<small title='rows with {_attr(_bad_words(legend))}'>{bad}</small>"
                 if any(m.verdict for m in marks) else "<small>&nbsp;</small>")
        head.append(f"<th data-c='{c}' title=\"{e(column.title)}\">{html.escape(column.short)}{count}</th>")
    head.append(f"<th data-c='{FIXED + len(columns)}'>flags<small>{sum(bool(r.flags) for r in rows)} rows</small>"
                "</th>")
    status_width = f"{min(max(map(len, statuses), default=6), 14) + 2}ch"
    widths = [*key_widths, status_width, *(c.width for c in columns), "auto"] + (["4.5em"] if links else [])
    if links:
        head.append("<th>&nbsp;<small>&nbsp;</small></th>")
    body = [_row(r, looks, labels, len(widths), links) for r in rows]
    selects = {"st": [("", "any status"), *((s, s) for s in statuses)],
               "vd": [("", "any verdict"), *((str(looks[v.word][0]), f"{v.symbol} {v.word}") for v in used)],
               "vc": [("", "in any column"), *((str(c), f"in {col.short}") for c, col in enumerate(columns, FIXED))],
               "fl": [("", "any flag"), *((i, label) for label, i in labels.items())]}
    bar = ("<div class='bar'><input type='search' id='q' placeholder='roll or name' aria-label='search by roll or "
           "name'><label><input type='checkbox' id='fo'> flagged only</label>"
           + "".join(f"<select id='{name}' aria-label='{values[0][1]}'>{_options(values)}</select>"
                     for name, values in selects.items())
           + f"<span><span id='shown'>{len(rows)}</span> of {len(rows)} shown</span></div>")
    symbols = [f"<span title=\"{e(v.meaning)}\">{_symbol(looks[v.word][0], v)}{html.escape(v.word)}</span>"
               for v in used]
    names = [f"<span><strong>{html.escape(c.short)}</strong> {html.escape(c.title)}</span>" for c in columns]
    key = (f"<p class='legend'>{' '.join([*symbols, '<span>⚑ flagged</span>'])}</p><p class='legend'>"
           f"{' '.join([*names, '<span>Click a row to open its details, a header to sort.</span>'])}</p>")
    return "\n".join([
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}\n{SHEET_STYLE}\n{styles}</style></head><body class='sheet'>",
        f"<h1>{inline(title)}</h1>", blocks_html(list(intro)), bar, key,
        "<table class='matrix'><colgroup>" + "".join(f"<col style='width:{w}'>" for w in widths) + "</colgroup>"
        f"<thead><tr>{''.join(head)}</tr></thead>", *body, "</table>", blocks_html(list(after)), SCRIPT,
        SORT_SCRIPT if any(isinstance(b, Table) and b.sortable for b in [*intro, *after]) else "",
        "</body></html>"]) + "\n"


def _row(row: Row, looks: dict[str, tuple[int, Verdict]], labels: dict[str, str], span: int, links: bool) -> str:
    e = _attr
    verdicts = " ".join(dict.fromkeys(str(looks[m.verdict][0]) for m in row.marks if m.verdict))
    flags = " ".join(labels[f.label] for f in row.flags)
    data = (f"data-q=\"{e(f'{row.key} {row.name}'.lower())}\" data-st=\"{e(row.status)}\" data-v='{verdicts}' "
            f"data-fl='{flags}'" + (" data-f" if row.flagged else ""))
    cells = [f"<td data-s=\"{e(row.key)}\"><button class='open' aria-expanded='false' aria-label='details'>▸</button>"
             f"{FLAGGED if row.flagged else ''}{html.escape(row.key)}</td>",
             f"<td title=\"{e(row.name)}\">{html.escape(row.name)}</td>", f"<td>{html.escape(row.status)}</td>"]
    for mark in row.marks:
        if mark.verdict:
            index, verdict = looks[mark.verdict]
            words = f"{verdict.word}: {mark.tip}" if mark.tip else verdict.word
            cells.append(f"<td class='k{index}' data-v='{index}' data-s=\"{e(mark.text)}\" title=\"{e(words)}\">"
                         f"{verdict.symbol} {html.escape(mark.text)}</td>")
        else:
            cells.append(f"<td title=\"{e(mark.tip)}\">{html.escape(mark.text)}</td>" if mark.tip else
                         f"<td>{html.escape(mark.text)}</td>")
    cells.append("<td>" + "".join(f"<span class='chip' title=\"{e(f.words)}\">{html.escape(f.label)}</span>"
                                  for f in row.flags) + "</td>")
    if links:
        cells.append(f"<td><a href=\"{e(row.link.href)}\">{html.escape(row.link.text)}</a></td>" if row.link else
                     "<td></td>")
    more: list[Block] = [table(["flag", "what it says"], [[f.label, f.words] for f in row.flags])] if row.flags else []
    return (f"<tbody {data}><tr class='row{' f' if row.flagged else ''}'>{''.join(cells)}</tr>"
            f"<tr class='more' hidden><td colspan='{span}'>{blocks_html(more + list(row.details))}</td></tr></tbody>")


def _options(values) -> str:
    return "".join(f"<option value=\"{_attr(v)}\">{html.escape(t)}</option>" for v, t in values)


def _symbol(index: int, verdict: Verdict) -> str:
    word = _attr(verdict.word)
    return f"<span class='sym k{index}' title=\"{word}\" role='img' aria-label=\"{word}\">{verdict.symbol}</span>"


def _bad_words(legend: Sequence[Verdict]) -> str:
    return " or ".join(dict.fromkeys(v.word for v in legend if v.bad))


def _attr(text: str) -> str:
    """Text for an attribute in double quotes (quotes escaped too)."""
    return html.escape(text, quote=True)
