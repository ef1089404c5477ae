"""A class's roster: a CSV with a header (roll, dob, program; first and last optional), every row read
and checked, valid or not, in file order; and the rule that keeps text a spreadsheet would run inert when
it is written back out (the class summary, the grading sheet)."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from variantlab.atomic import write_text
from variantlab.errors import UserError
from variantlab.exam.student import Student, parse_student

REQUIRED = ("roll", "dob", "program")


@dataclass
class Row:
    line: int
    roll: str
    first: str = ""
    last: str = ""
    student: Student | None = None
    error: str = ""


def read_roster(path: Path) -> list[Row]:
    """Every data row of the roster, valid or not (with the reason), in file order."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise UserError(f"roster {path}: cannot be read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise UserError(f"roster {path}: not UTF-8 text (byte {e.start}: {e.reason}); save it as CSV UTF-8") from None
    try:
        return _rows(csv.DictReader(io.StringIO(text, newline="")), path)
    except csv.Error as e:
        raise UserError(f"roster {path}: not a readable CSV file ({e})") from None


def _rows(reader: csv.DictReader, path: Path) -> list[Row]:
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise UserError(f"roster {path}: header lacks column(s) {', '.join(missing)}; it needs roll, dob, program "
                        "and may have first, last")
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for record in reader:
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items() if k}
        row = Row(reader.line_num, record.get("roll", ""), record.get("first", ""), record.get("last", ""))
        empty = [c for c in REQUIRED if not record.get(c)]
        if empty:
            row.error = f"missing {', '.join(empty)}"
        else:
            try:
                row.student = parse_student(record["dob"], record["roll"], record["program"],
                                            record.get("first", ""), record.get("last", ""))
            except UserError as e:
                row.error = str(e)
        if row.student and row.student.roll in seen:
            row.error, row.student = f"duplicate roll {row.roll} (first on line {seen[row.roll]})", None
        elif row.student:
            seen[row.roll] = row.line
        rows.append(row)
    return rows


def spreadsheet_safe(value):
    """OWASP's rule against CSV injection: text a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(path: Path, columns, records: list[dict]) -> None:
    """A CSV a spreadsheet opens safely, written atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows([{k: spreadsheet_safe(v) for k, v in record.items()} for record in records])
    write_text(path, buffer.getvalue())
