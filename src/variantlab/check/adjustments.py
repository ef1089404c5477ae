"""The grader's adjustments: `adjustments.csv` in the class's output folder (roll,item,points,comment), read
on every run and never written by variantlab, so a grader's marks and comments survive every re-check. An
item's points replace the rubric's for that student; `other` adds or takes off points outside the items; a
comment alone goes into the student's feedback beside the item."""

import csv
import io
import math
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from variantlab.errors import UserError

if TYPE_CHECKING:
    from variantlab.check.rubric import Rubric

OTHER = "other"  # an adjustment's item for points added or taken off outside the rubric's items


@dataclass(frozen=True)
class Adjustment:
    line: int
    roll: str
    item: str  # a rubric item's id, or OTHER
    points: float | None  # None: a comment alone, the item's points as scored
    comment: str


ADJUSTMENT_COLUMNS = ("roll", "item", "points", "comment")


def read_adjustments(path: Path, rubric: "Rubric",
                     rolls: Collection[str] | None = None) -> dict[str, tuple[Adjustment, ...]]:
    """Each roll's rows of the grader's adjustments.csv (roll,item,points,comment), read on every run and
    never written by variantlab; no file is no adjustments. A row that cannot be meant is one error naming its
    line and what is accepted."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot be read as UTF-8 text ({e}); save it as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as e:
        raise UserError(f"{path}: not a readable CSV file ({e})") from None
    header = [c.strip().lower() for c in rows[0]] if rows else []
    if header[:3] != list(ADJUSTMENT_COLUMNS[:3]) or header[3:] not in ([], ["comment"]):
        raise UserError(f"{path}: the header must be {','.join(ADJUSTMENT_COLUMNS)} "
                        f"(found: {','.join(header) or 'nothing'})")
    by_roll = {r.upper(): r for r in rolls} if rolls is not None else None
    items = {item.id: item for item in rubric.items}
    accepted = f"an item is one of {', '.join(items)} or {OTHER}"
    found: dict[str, list[Adjustment]] = {}
    first_line: dict[tuple[str, str], int] = {}
    line = 1
    for number, row in enumerate(rows[1:], start=2):
        line = number
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > 4:
            raise UserError(f"{path} line {line}: {len(row)} cells; a row is roll,item,points,comment (quote a comment "
                            "that holds a comma)")
        roll, item, points_text, comment = (cell.strip() for cell in [*row, "", "", "", ""][:4])
        if by_roll is not None:
            if roll.upper() not in by_roll:
                raise UserError(f"{path} line {line}: roll {roll!r} is not on the roster")
            roll = by_roll[roll.upper()]
        elif not roll:
            raise UserError(f"{path} line {line}: no roll")
        if item not in items and item != OTHER:
            raise UserError(f"{path} line {line}: item {item!r} is not in the rubric; {accepted}")
        points = None
        if points_text:
            try:
                points = float(points_text)
            except ValueError:
                raise UserError(f"{path} line {line}: points {points_text!r} is not a number (write 2.5, not 2,5); "
                                "leave it empty for a comment alone") from None
            if not math.isfinite(points):
                raise UserError(f"{path} line {line}: points {points_text!r} is not a finite number")
            if item != OTHER and not 0 <= points <= items[item].points:
                raise UserError(f"{path} line {line}: {points:g} points for {item}, whose marks are 0 to "
                                f"{items[item].points:g}; use {OTHER} for points outside the rubric's items")
        elif not comment:
            raise UserError(f"{path} line {line}: neither points nor a comment for {roll}, {item}")
        if item != OTHER:
            earlier = first_line.setdefault((roll, item), line)
            if earlier != line:
                raise UserError(f"{path} line {line}: {roll}, {item} is adjusted on line {earlier} already; one row "
                                f"per item ({OTHER} may have several)")
        found.setdefault(roll, []).append(Adjustment(line, roll, item, points, comment))
    return {roll: tuple(rows_of) for roll, rows_of in found.items()}
