"""A student's submission as variantlab reads it: code and text from notebooks, scripts, PDF reports,
Markdown and plain text, each piece with the place it came from.

Submissions are untrusted. Nothing in one is run, imported or unpickled: a notebook is JSON read by
nbformat, a PDF is checked by pypdf (its limits on decompressed streams) and its text read by
pdfminer.six (both pure Python; pdftext.py), code is only ever parsed (codescan.py). Files over a size
limit, PDFs over a page limit and decompression bombs are refused with one line.
"""

import ast
import io
import tokenize
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Literal

from variantlab.check.codeparse import parse_lenient
from variantlab.errors import UserError

MAX_FILE_BYTES = 32 * 2**20  # a notebook with its figures is a few MB; a report PDF rarely 10
MAX_PDF_PAGES = 60
MAX_FILES = 40  # in one submission folder
MAX_TEXT_CHARS = 2_000_000  # per file, after extraction
VIDEOS = (".mp4", ".mov", ".mkv", ".avi", ".webm")  # listed, not read: the exam asks for a video of the code running
SUFFIXES = {".ipynb": "notebook", ".py": "script", ".pdf": "pdf", ".md": "text", ".txt": "text",
            ".markdown": "text"}

Kind = Literal["code", "markdown", "comment", "output", "page", "prose"]


@dataclass(frozen=True)
class Piece:
    """One unit of a submission: a notebook cell (its code, markdown or printed output), a script, a
    comment, a PDF page or a text file. `line` is the number of the piece's first line in its file or
    cell, so that a line within it can be named."""

    kind: Kind
    text: str
    file: str  # the file's name within the submission
    place: str  # "cell 4", "page 2", "" for a whole file
    line: int = 1

    @property
    def is_code(self) -> bool:
        return self.kind == "code"

    @cached_property
    def tree(self) -> ast.Module | None:
        """A code piece's syntax tree, parsed leniently on first use and kept: its top-level strings, the
        code reader and the class's similarity pass all read this one parse. None for text, and for code
        of which nothing parses."""
        return parse_lenient(self.text) if self.is_code else None

    def where(self, line: int = 1) -> str:
        """'report.pdf, page 2', 'nb.ipynb, cell 4, line 3', 'q1.py, line 120'."""
        at = [self.file, self.place] if self.place else [self.file]
        if self.kind != "page":
            at.append(f"line {self.line + line - 1}")
        return ", ".join(at)


@dataclass(frozen=True)
class Submission:
    path: Path
    files: tuple[str, ...]  # the files read, by their names within the submission
    pieces: tuple[Piece, ...]
    skipped: tuple[str, ...]  # files of a folder or zip that could not be read, each with its one-line reason
    # Every file it holds, read or not (a video, an image), by its name within it: a zip's members as a
    # folder's files, those of a zip inside it as `inner.zip/member`.
    contents: tuple[str, ...] = ()

    @property
    def code(self) -> list[Piece]:
        return [p for p in self.pieces if p.is_code]

    @property
    def text(self) -> list[Piece]:
        return [p for p in self.pieces if not p.is_code]

    @property
    def readmes(self) -> tuple[str, ...]:
        """README, README.md, readme.txt, ...: what the exam paper asks to come with the code."""
        return tuple(name for name in self.contents if PurePosixPath(name).stem.lower() == "readme")

    @property
    def reports(self) -> tuple[str, ...]:
        return tuple(name for name in self.contents if PurePosixPath(name).suffix.lower() == ".pdf")

    @property
    def videos(self) -> tuple[str, ...]:
        return tuple(name for name in self.contents if PurePosixPath(name).suffix.lower() in VIDEOS)


def read_submission(path: Path) -> Submission:
    """One file; or a folder or a zip (archive.py), whose readable files are read together as one submission."""
    from variantlab.check import archive  # it reads with this module's limits

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    if path.is_file() and not archive.is_zip(path):
        return Submission(path, (path.name,), tuple(read_file(path, path.name)), (), (path.name,))
    with archive.unpacked(path) as held:
        if not held.readable and not held.skipped:
            raise UserError(f"{path}: holds no notebook, script, PDF, Markdown or text file")
        if len(held.readable) > MAX_FILES:
            raise UserError(f"{path}: {len(held.readable)} files, more than the {MAX_FILES} one submission may hold")
        pieces, skipped = [], list(held.skipped)
        for name, file in held.readable:
            try:
                pieces += read_file(file, name)
            except UserError as e:
                skipped.append(str(e))
    if not pieces:
        raise UserError(skipped[0] if len(skipped) == 1 else f"{path}: no file could be read ({'; '.join(skipped)})")
    return Submission(path, tuple(name for name, _ in held.readable), tuple(pieces), tuple(skipped),
                      tuple(held.contents))


def read_file(path: Path, name: str) -> list[Piece]:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UserError(f"{name}: not a notebook, script, PDF, Markdown or text file "
                        f"({', '.join(sorted(SUFFIXES))})")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UserError(f"{name}: {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES // 2**20} MB a submission "
                        "file may have")
    data = path.read_bytes()
    if kind == "pdf":
        return read_pdf(data, name)
    if kind == "notebook":  # its figures are base64 in its JSON: the limit is on the text its cells hold
        pieces = read_notebook(decode(data, name, limit=None), name)
        if sum(len(p.text) for p in pieces) > MAX_TEXT_CHARS:
            raise UserError(f"{name}: more than {MAX_TEXT_CHARS:,} characters of text in its cells")
        return pieces
    text = decode(data, name)
    if kind == "script":
        return script_pieces(text, name, "")
    return [Piece("prose", text, name, "")]


def decode(data: bytes, name: str, limit: int | None = MAX_TEXT_CHARS) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # a stray byte in a student's text must not lose the rest of it
    if limit is not None and len(text) > limit:
        raise UserError(f"{name}: more than {MAX_TEXT_CHARS:,} characters of text")
    return text


def read_notebook(text: str, name: str) -> list[Piece]:
    """Every cell of a notebook of any nbformat version: code, markdown (and raw), and what code printed."""
    import nbformat

    try:
        with warnings.catch_warnings():  # a notebook of an older minor version lacks cell ids: no matter here
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
    except Exception as e:  # nbformat raises JSON, validation and version errors: all mean "not a notebook"
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"{name}: not a readable notebook ({reason[:200]})") from None
    pieces: list[Piece] = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        place = f"cell {number}"
        if cell.get("cell_type") == "code":
            pieces += script_pieces(source, name, place)
            printed = "\n".join(output_text(o) for o in cell.get("outputs", []))
            if printed.strip():
                pieces.append(Piece("output", printed, name, f"output of cell {number}"))
        elif source.strip():
            pieces.append(Piece("markdown", source, name, place))
    return pieces


def output_text(output) -> str:
    """The text a code cell printed or returned (streams, text/plain results, error messages)."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif output.get("output_type") in ("execute_result", "display_data"):
        text = output.get("data", {}).get("text/plain", "")
    elif output.get("output_type") == "error":
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
    else:
        text = ""
    return "".join(text) if isinstance(text, list) else str(text)


def script_pieces(source: str, name: str, place: str) -> list[Piece]:
    """Code, and its comments and top-level strings as text (code in a comment is not code; a Colab export
    keeps its markdown cells as strings). Each keeps its line."""
    code = Piece("code", source, name, place)
    pieces = [code]
    for node in code.tree.body if code.tree is not None else []:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            pieces.append(Piece("markdown", node.value.value, name, place, node.lineno))
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and len(token.string) > 2:
                pieces.append(Piece("comment", token.string.lstrip("#").strip(), name, place, token.start[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for number, line in enumerate(source.splitlines(), start=1):
            if line.lstrip().startswith("#"):
                pieces.append(Piece("comment", line.lstrip().lstrip("#").strip(), name, place, number))
    return pieces


def read_pdf(data: bytes, name: str) -> list[Piece]:
    """A PDF's text in reading order, one paragraph, heading, list item or table row a line (pdftext.py);
    a printed notebook's code cells as code and what they printed as output, each with its page."""
    from variantlab.check import pdftext

    pieces: list[Piece] = []
    for block in pdftext.read(data, name, MAX_PDF_PAGES, MAX_TEXT_CHARS):
        if block.kind == "code":
            pieces += script_pieces(block.text, name, block.place)
        else:
            pieces.append(Piece("page" if block.kind == "text" else "output", block.text, name, block.place))
    return pieces
