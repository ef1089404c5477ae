"""The class's marks in a course gradebook's import format: Moodle's assignment grading worksheet and
Canvas's gradebook CSV. Both are spreadsheet-safe (roster.spreadsheet_safe) and written atomically.

Moodle (moodle/moodle: mod/assign/gradingtable.php writes the worksheet, mod/assign/feedback/offline/
importgradeslib.php and locallib.php read it back). The worksheet a grader downloads from the assignment has
the columns "Identifier", "Full name", the site's identity fields ("Email address", "ID number", ...),
"Status", "Grade", "Maximum Grade", "Grade can be changed", "Last modified (submission)", "Last modified
(grade)" and "Feedback comments". The import finds "Identifier", "Grade" and "Last modified (grade)" by
header and refuses a file without them; the Identifier is "Participant N", Moodle's own number for the
student in that assignment, which nothing outside Moodle knows. So the Moodle export fills in the worksheet
the grader downloaded: each row is matched to a roster roll by a roll number in its identity fields (ID
number, email, username), else by its full name; only "Grade" (and an empty "Feedback comments") change.
Moodle skips a grade above the assignment's maximum, so a worksheet whose "Maximum Grade" is not the
rubric's maximum is refused.

Canvas (instructure/canvas-lms: app/models/gradebook_importer.rb). The header row starts "Student", "ID",
then "SIS User ID", "SIS Login ID" (an "Integration ID" and a "Root Account" may follow), and the student
columns end with "Section"; each later column is an assignment, "Title (id)" for an existing one, a new
title for a new one; a row whose first cell says "Points Possible" gives each assignment's points. Students
are matched by "ID" (Canvas's own number), else by "SIS User ID" or "SIS Login ID", else by name. Written
fresh, the roll is the SIS User ID; from a gradebook exported from Canvas, its student columns are kept
(Canvas then matches by its own ID) and the other assignments' columns left out, so no other grade changes.
"""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from variantlab.atomic import write_text
from variantlab.check.rubric import Marks
from variantlab.course.roster import spreadsheet_safe
from variantlab.errors import UserError

MOODLE_REQUIRED = ("Identifier", "Grade", "Last modified (grade)")  # importgradeslib.php refuses a file without them
MOODLE_OWN = {"Identifier", "Full name", "Status", "Grade", "Maximum Grade", "Grade can be changed", "Scale",
              "Last modified (submission)", "Last modified (grade)", "Feedback comments", "Marking workflow state",
              "Marker", "Group", "Online text", "Final grade"}  # the worksheet's columns that are not identity fields
MOODLE_COMMENTS = "Feedback comments"
CANVAS_STUDENT = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS = "Points Possible"
CANVAS_NOT_STUDENTS = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)  # rows the importer skips


@dataclass(frozen=True)
class Graded:
    """One roster student and their marks (None: nothing checked, no grade to give)."""

    roll: str
    first: str = ""
    last: str = ""
    marks: Marks | None = None


@dataclass(frozen=True)
class Exported:
    path: Path
    graded: int  # rows written with a grade
    blank: tuple[str, ...]  # rolls written without one: nothing checked, or items still to mark
    unmatched: tuple[str, ...]  # the gradebook's rows matched to no roster roll, by their name or identifier
    absent: tuple[str, ...]  # rolls the gradebook has no row for

    def words(self) -> str:
        parts = [f"{self.graded} grades in {self.path}"]
        if self.blank:
            parts.append(f"{len(self.blank)} left blank (nothing checked, or items still to mark): "
                         f"{', '.join(self.blank[:10])}{' ...' if len(self.blank) > 10 else ''}")
        if self.unmatched:
            parts.append(f"{len(self.unmatched)} rows of the gradebook matched to no roll: "
                         f"{', '.join(self.unmatched[:10])}{' ...' if len(self.unmatched) > 10 else ''}")
        if self.absent:
            parts.append(f"{len(self.absent)} rolls not in the gradebook: {', '.join(self.absent[:10])}"
                         f"{' ...' if len(self.absent) > 10 else ''}")
        return "; ".join(parts)


def grade_of(graded: Graded, provisional: bool) -> str:
    """The total to import: blank where nothing was checked, or (unless `provisional`) items wait for the grader."""
    marks = graded.marks
    if marks is None or (not marks.complete and not provisional):
        return ""
    return f"{round(marks.total, 2):g}"


def summary_of(marks: Marks) -> str:
    """The feedback comment a gradebook shows beside the grade; the feedback sheet has the rest."""
    parts = "; ".join(f"{part}: {got:g} of {most:g}" for part, (got, most) in marks.parts().items())
    return (f"{marks.total:g} of {marks.maximum:g} ({parts}){'' if marks.complete else ', provisional'}. Your "
            "feedback sheet gives each mark and its evidence.")


class Matcher:
    """A gradebook row's roster roll: a roll number among its identity cells (an ID number, the part of an email
    before the @), else its full name where one roster student alone has it."""

    def __init__(self, graded: Sequence[Graded]):
        self.rolls = {g.roll.upper(): g.roll for g in graded}
        names: dict[str, set[str]] = {}
        for g in graded:
            first, last = " ".join(g.first.split()).casefold(), " ".join(g.last.split()).casefold()
            if first and last:
                for key in (f"{first} {last}", f"{last} {first}", f"{last}, {first}"):
                    names.setdefault(key, set()).add(g.roll)
        self.names = {key: rolls.pop() for key, rolls in names.items() if len(rolls) == 1}

    def __call__(self, identity: Sequence[str], name: str) -> str | None:
        found = {self.rolls[token.upper()] for cell in identity for token in re.split(r"[^A-Za-z0-9_-]+", cell)
                 if token.upper() in self.rolls}
        if len(found) == 1:
            return found.pop()
        return None if found else self.names.get(" ".join(name.split()).casefold())


def read_csv(path: Path, what: str) -> list[list[str]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{what} {path}: cannot be read as UTF-8 text ({e})") from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise UserError(f"{what} {path}: not a readable CSV file ({e})") from None


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])
    return write_text(Path(path), buffer.getvalue())


def moodle_worksheet(worksheet: Path, graded: Sequence[Graded], out: Path, provisional: bool = False) -> Exported:
    """Moodle's grading worksheet, downloaded from the assignment, with each matched student's grade filled in
    (and a short summary where their feedback comment is empty), written to `out` to upload back."""
    rows = read_csv(worksheet, "Moodle worksheet")
    header = rows[0] if rows else []
    missing = [c for c in MOODLE_REQUIRED if c not in header]
    if missing:
        raise UserError(f"Moodle worksheet {worksheet}: no column {', '.join(repr(c) for c in missing)} (found: "
                        f"{', '.join(header) or 'nothing'}); download it from the assignment's submissions page "
                        "(Download grading worksheet; the 'Offline grading worksheet' feedback type must be on)")
    column = {name: i for i, name in enumerate(header)}
    identity = [i for i, name in enumerate(header) if name not in MOODLE_OWN]
    name_at, maximum_at, comments_at = column.get("Full name"), column.get("Maximum Grade"), column.get(MOODLE_COMMENTS)
    by_roll = {g.roll: g for g in graded}
    match = Matcher(graded)
    unmatched, seen, blank, written = [], set(), [], 0
    for row in rows[1:]:
        row += [""] * (len(header) - len(row))
        if not any(cell.strip() for cell in row):
            continue
        roll = match([row[i] for i in identity], row[name_at] if name_at is not None else "")
        if roll is None or roll in seen:
            unmatched.append(row[column["Identifier"]])
            continue
        seen.add(roll)
        g = by_roll[roll]
        grade = grade_of(g, provisional)
        if maximum_at is not None and g.marks is not None and row[maximum_at].strip():
            check_maximum(worksheet, row[maximum_at], g.marks.maximum)
        if not grade:
            blank.append(roll)
            continue
        row[column["Grade"]] = grade
        if comments_at is not None and not row[comments_at].strip() and g.marks is not None:
            row[comments_at] = summary_of(g.marks)
        written += 1
    path = write_rows(out, rows)
    absent = tuple(g.roll for g in graded if g.roll not in seen)
    return Exported(path, written, tuple(blank), tuple(unmatched), absent)


def check_maximum(path: Path, cell: str, maximum: float) -> None:
    try:
        theirs = float(cell.replace(",", "."))
    except ValueError:
        return
    if abs(theirs - maximum) > 1e-6:
        raise UserError(f"Moodle worksheet {path}: the assignment's Maximum Grade is {theirs:g}, the rubric's total "
                        f"{maximum:g}; Moodle skips a grade above its maximum: set the assignment's maximum grade to "
                        f"{maximum:g}, or use a rubric whose items add up to {theirs:g}")


def canvas_gradebook(graded: Sequence[Graded], out: Path, assignment: str, maximum: float,
                     export: Path | None = None, provisional: bool = False) -> Exported:
    """A CSV for Canvas's gradebook import: one assignment column of totals under a Points Possible row. From
    `export` (a gradebook exported from Canvas) its student columns and rows are kept; else one row per roster
    student, the roll as SIS User ID."""
    if not assignment.strip():
        raise UserError("the Canvas assignment's name is empty; give the assignment's title as Canvas shows it")
    if export is not None:
        return canvas_from_export(graded, out, assignment, maximum, export, provisional)
    rows = [[*CANVAS_STUDENT, assignment], [CANVAS_POINTS, "", "", "", "", f"{maximum:g}"]]
    blank, written = [], 0
    for g in graded:
        grade = grade_of(g, provisional)
        name = f"{g.last}, {g.first}" if g.first and g.last else (g.first or g.last or g.roll)
        rows.append([name, "", g.roll, "", "", grade])
        written += bool(grade)
        if not grade:
            blank.append(g.roll)
    return Exported(write_rows(out, rows), written, tuple(blank), (), ())


def canvas_from_export(graded: Sequence[Graded], out: Path, assignment: str, maximum: float, export: Path,
                       provisional: bool) -> Exported:
    rows = read_csv(export, "Canvas gradebook")
    header = rows[0] if rows else []
    if len(header) < 4 or "Student" not in header[0] or "ID" not in header[1] or "Section" not in header:
        raise UserError(f"Canvas gradebook {export}: its header does not start Student, ID, ... Section (found: "
                        f"{', '.join(header[:6]) or 'nothing'}); export it from the course's Grades page "
                        "(Export > Export Entire Gradebook)")
    students = header.index("Section") + 1
    named = [i for i, h in enumerate(header) if i >= students and (
        h == assignment or re.fullmatch(rf"{re.escape(assignment)} \(\d+\)", h))]
    title = header[named[0]] if named else assignment
    identity = [i for i, h in enumerate(header[:students]) if h in ("SIS User ID", "SIS Login ID", "Integration ID")]
    by_roll = {g.roll: g for g in graded}
    match = Matcher(graded)
    written_rows = [[*header[:students], title]]
    unmatched, seen, blank, written = [], set(), [], 0
    for row in rows[1:]:
        row += [""] * (len(header) - len(row))
        if CANVAS_POINTS in row[0]:
            points = row[named[0]] if named else f"{maximum:g}"
            check_points(export, points, maximum)
            written_rows.append([*row[:students], points])
            continue
        if all(CANVAS_NOT_STUDENTS.match(cell) for cell in row):
            continue
        roll = match([row[i] for i in identity], row[0])
        if roll is None or roll in seen:
            unmatched.append(row[0])
            continue
        seen.add(roll)
        grade = grade_of(by_roll[roll], provisional)
        written_rows.append([*row[:students], grade])
        written += bool(grade)
        if not grade:
            blank.append(roll)
    if not any(CANVAS_POINTS in r[0] for r in written_rows[1:]):
        written_rows.insert(1, [CANVAS_POINTS, *[""] * (students - 1), f"{maximum:g}"])
    path = write_rows(out, written_rows)
    absent = tuple(g.roll for g in graded if g.roll not in seen)
    return Exported(path, written, tuple(blank), tuple(unmatched), absent)


def check_points(path: Path, cell: str, maximum: float) -> None:
    try:
        theirs = float(cell)
    except ValueError:
        return
    if abs(theirs - maximum) > 1e-6:
        raise UserError(f"Canvas gradebook {path}: the assignment is worth {theirs:g} points, the rubric's total "
                        f"{maximum:g}; make them agree before importing")
