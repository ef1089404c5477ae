"""A class's submissions checked at once: `variantlab check FOLDER --roster class.csv --out DIR`.

Each entry of the folder (a file, a student's folder of files, or a zip as handed in) is matched to a roster
row by the roll number in its name, else by one in its text, and checked against that student's variant in
a pool of processes; entries whose names hold one roll are read together as one submission. One bad file
never stops the class; a file the readers refuse is `unreadable`, an exception in the checker itself is a
`checker_error` (the checker's fault, not the student's), its traceback in checker_errors.json. Across
the class, pairs of submissions whose code is near-identical (identifiers renamed or not) and code that
builds another roster student's variant exactly are findings too. Output: grading.csv (one row per roster
student, and one per file matched to none), grading.html, one JSON per submission and checker_errors.json,
all inside DIR.
"""

import ast
import io
import multiprocessing
import os
import re
import signal
import tokenize
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from variantlab import check
from variantlab.archive import is_zip
from variantlab.atomic import default_out, inside, write_json, write_text
from variantlab.check import ASPECTS, CheckResult
from variantlab.config import CLASSIFIERS
from variantlab.document import Block, Cell, Heading, Link, Paragraph, table, to_html
from variantlab.errors import UserError
from variantlab.locks import folder_lock
from variantlab.roster import read_roster, write_csv
from variantlab.rules import derive
from variantlab.student import Student
from variantlab.submission import SUFFIXES, Submission, read_submission

ERRORS = "checker_errors.json"  # each checker error's entry and traceback, for whoever fixes the checker
SECONDS_A_FILE = 120  # a submission not read by then is reported unreadable, and the class goes on
WORKER_MEMORY = 3 * 2**30  # bytes of address space a worker may map
VOCABULARY = 0xFFFFF - 0x10000  # distinct tokens the similarity pass tells apart (one character each)
NEAR_IDENTICAL = 95  # rapidfuzz ratio (0-100) of two submissions' normalised code at which they are reported
MIN_TOKENS = 150  # code shorter than this says too little to call two submissions alike
SAME_VARIANT_ASPECTS = 8  # aspects the code must show before it is said to build another student's variant
Status = Literal["checked", "missing", "unreadable", "checker_error", "unmatched file"]
HANDED_IN = {"README": "readmes", "PDF": "reports", "video": "videos"}  # what the exam asks for, as Submission names it


@dataclass(frozen=True)
class Entry:
    paths: tuple[Path, ...]  # one file or folder, or all those whose names hold its roll
    roll: str | None  # matched by its name, before it is read

    @property
    def name(self) -> str:
        return ", ".join(p.name for p in self.paths)


@dataclass(frozen=True)
class Outcome:
    """What a worker returns for one entry: the roll it matched, its check or why it could not be read (or
    the checker's traceback), its code's fingerprint for the similarity pass, and what it holds."""

    entry: str
    roll: str | None
    result: CheckResult | None
    error: str
    fingerprint: str
    status: Literal["checked", "unreadable", "checker_error"] = "checked"
    by_name: bool = True  # the roll was in the entry's name (else in its text, or none)
    contents: tuple[str, ...] = ()
    handed_in: dict[str, tuple[str, ...]] | None = None  # README, PDF and video files, by HANDED_IN's keys
    traceback: str = ""


@dataclass(frozen=True)
class SheetRow:
    roll: str
    first: str
    last: str
    status: Status
    entry: str = ""
    result: CheckResult | None = None
    error: str = ""
    handed_in: str = ""

    def csv_record(self) -> dict[str, str | int | float]:
        record: dict[str, str | int | float] = dict.fromkeys(COLUMNS, "")
        record.update(roll=self.roll, first=self.first, last=self.last, status=self.status, entry=self.entry,
                      handed_in=self.handed_in, error=self.error)
        r = self.result
        if r is None:
            return record
        record["details_agree"] = {True: "yes", False: "no", None: ""}[r.details_agree]
        for aspect, c in r.aspects.items():
            record[aspect] = c.verdict
        for model in CLASSIFIERS:
            j = r.judgement[model]
            record[f"{model}_claimed"] = "" if j.claimed is None else round(j.claimed, 6)
            record[f"{model}_verdict"] = j.verdict
        record["flagged"] = "yes" if r.flagged else ""
        record["findings"] = "; ".join(r.findings)
        return record


COLUMNS = ("roll", "first", "last", "status", "entry", "handed_in", "details_agree", *ASPECTS,
           *(f"{m}_{k}" for m in CLASSIFIERS for k in ("claimed", "verdict")), "flagged", "findings", "error")


@dataclass(frozen=True)
class ClassCheck:
    out: Path
    rows: tuple[SheetRow, ...]

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.rows)

    def words(self) -> str:
        flagged = sum(1 for r in self.rows if r.result is not None and r.result.flagged)
        errors = self.count("checker_error")
        return (f"{self.count('checked')} checked ({flagged} with findings), {self.count('missing')} missing, "
                f"{self.count('unreadable')} unreadable, {self.count('unmatched file')} unmatched files"
                + (f", {errors} checker errors (the checker's fault, not the students': {self.out / ERRORS})"
                   if errors else "")
                + f"; sheet: {self.out / 'grading.html'} and {self.out / 'grading.csv'}")


def fingerprint(submission: Submission) -> str:
    """The submission's code as tokens, its own names (variables, functions, classes, arguments) all one
    name and its strings all one string: renaming a copy does not hide it, the library calls still count."""
    own: set[str] = set()
    tokens: list[str] = []
    for piece in submission.code:
        tree = piece.tree  # the one parse the code reader read too
        if tree is not None:
            for node in ast.walk(tree):
                name = getattr(node, "name", None) if not isinstance(node, ast.alias) else None
                if isinstance(name, str):
                    own.add(name)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    own.add(node.id)
                if isinstance(node, ast.arg):
                    own.add(node.arg)
        try:
            for token in tokenize.generate_tokens(io.StringIO(piece.text).readline):
                if token.type == tokenize.NAME:
                    tokens.append("v" if token.string in own else token.string)
                elif token.type == tokenize.STRING:
                    tokens.append("s")
                elif token.type in (tokenize.NUMBER, tokenize.OP):
                    tokens.append(token.string)
        except (tokenize.TokenError, SyntaxError, IndentationError):
            continue
    return " ".join(tokens)


def names(text: str, roll: str) -> bool:
    """Whether `text` holds `roll` as a roll number, not as part of a longer one."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(roll)}(?![0-9])", text, re.I) is not None


try:
    import resource
except ImportError:  # Windows: no address-space ceiling; a worker that exhausts memory still fails alone
    resource = None  # type: ignore[assignment]
ALARM = hasattr(signal, "SIGALRM")  # Windows has none: the per-file time limit is not kept there


class TooSlow(Exception):
    pass


def _too_slow(signum, frame):
    raise TooSlow


def start_worker() -> None:
    """Each worker: a memory ceiling, so a file that would exhaust memory fails alone (MemoryError), and
    the alarm the per-file time limit rings."""
    if resource is not None:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    if ALARM:
        signal.signal(signal.SIGALRM, _too_slow)


def read_entry(paths: tuple[Path, ...]) -> Submission:
    """One entry; or several for one roll (a truncated notebook and its readable copy, a zip and a folder)
    read together, each file under its entry's name, an entry that cannot be read named in `skipped`."""
    if len(paths) == 1:
        return read_submission(paths[0])
    read, refused = [], []
    for path in paths:
        try:
            read.append(read_submission(path))
        except UserError as e:
            refused.append(str(e))
    if not read:
        raise UserError("; ".join(refused))

    def named(s: Submission, name: str) -> str:  # a folder's or a zip's files under its name; a file is its own
        return name if s.path.is_file() and not is_zip(s.path) else f"{s.path.name}/{name}"

    return Submission(paths[0].parent, tuple(named(s, f) for s in read for f in s.files),
                      tuple(replace(p, file=named(s, p.file)) for s in read for p in s.pieces),
                      tuple(refused) + tuple(r for s in read for r in s.skipped),
                      tuple(named(s, f) for s in read for f in s.contents))


def check_entry(entry: Entry, students: dict[str, Student]) -> Outcome:
    """One worker's job: read the entry, find its student (by name, else by a roll in its text), check it.
    What the readers refuse (a UserError from reading), the time limit and memory are the entry's; any
    other exception, a UserError from the check included, is the checker's own, reported with its traceback."""
    name, by_name = entry.name, entry.roll is not None
    if ALARM:
        signal.alarm(SECONDS_A_FILE * len(entry.paths))
    roll = entry.roll
    try:
        try:
            submission = read_entry(entry.paths)
        except UserError as e:
            return Outcome(name, roll, None, str(e), "", "unreadable", by_name)
        if roll is None:
            text = " ".join(p.text for p in submission.pieces)
            found = [r for r in students if names(text, r)]
            roll = found[0] if len(found) == 1 else None
        result = check.check_submission(submission, students[roll]) if roll is not None else None
        if result is not None and len(entry.paths) > 1:
            result = replace(result, file=name)
        return Outcome(name, roll, result, "", fingerprint(submission), by_name=by_name, contents=submission.contents,
                       handed_in={kind: getattr(submission, held) for kind, held in HANDED_IN.items()})
    except TooSlow:
        return Outcome(name, roll, None, f"{name}: not read within {SECONDS_A_FILE} s", "", "unreadable", by_name)
    except MemoryError:
        return Outcome(name, roll, None, f"{name}: reading it ran out of the {WORKER_MEMORY // 2**30} GB a worker "
                       "may use", "", "unreadable", by_name)
    except Exception as e:  # a bug in the checker, not the student's file: said so, and the class goes on
        return Outcome(name, roll, None, f"{type(e).__name__}: {e}".splitlines()[0][:300], "", "checker_error",
                       by_name, traceback=traceback.format_exc())
    finally:
        if ALARM:
            signal.alarm(0)


def entries_of(folder: Path, rolls: list[str]) -> list[Entry]:
    """The files, folders and zips directly in `folder`, with the roster roll their names hold (the longest,
    where a roll is part of another): all those naming one roll are one entry, those naming none one each."""
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder of submissions")
    by_roll: dict[str, list[Path]] = {}
    loose = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_symlink() or (path.is_file() and path.suffix.lower() not in SUFFIXES
                                                              and not is_zip(path)):
            continue
        named = [r for r in rolls if names(path.name, r)]
        if named:
            by_roll.setdefault(max(named, key=len), []).append(path)
        else:
            loose.append(Entry((path,), None))
    return [Entry(tuple(paths), roll) for roll, paths in by_roll.items()] + loose


def similar_pairs(outcomes: list[Outcome]) -> list[tuple[str, str, float]]:
    """(roll, roll, score) of every pair of checked submissions whose code is near-identical (rapidfuzz)."""
    from rapidfuzz import fuzz, process

    kept = [o for o in outcomes if o.roll and o.result and len(o.fingerprint.split()) >= MIN_TOKENS]
    counts = Counter(t for o in kept for t in set(o.fingerprint.split()))
    # Each token one character (the ratio then compares token sequences, and quickly); the rarest tokens,
    # beyond what the characters hold, share one.
    vocabulary = {t: chr(0x10000 + i) for i, (t, _) in enumerate(counts.most_common(VOCABULARY))}
    encoded = ["".join(vocabulary.get(t, "\uffff") for t in o.fingerprint.split()) for o in kept]
    if len(kept) < 2:
        return []
    scores = process.cdist(encoded, encoded, scorer=fuzz.ratio, score_cutoff=NEAR_IDENTICAL, workers=-1)
    return [(kept[i].roll or "", kept[j].roll or "", float(scores[i][j]))
            for i in range(len(kept)) for j in range(i + 1, len(kept)) if scores[i][j] >= NEAR_IDENTICAL]


def other_variants(result: CheckResult, students: dict[str, Student]) -> list[str]:
    """Roster students whose variant the code builds exactly, where it is not this student's own."""
    code = result.code_values()
    if len(code) < SAME_VARIANT_ASPECTS or result.variant is None or result.student is None:
        return []
    own = check.required_values(result.variant)
    if all(own[a] == v for a, v in code.items()):
        return []
    return [roll for roll, student in students.items() if roll != result.student.roll
            and all(check.required_values(derive(student))[a] == v for a, v in code.items())]


def check_class(folder: Path, roster: Path, out: str | Path | None = None, workers: int | None = None,
                show_progress: bool = True) -> ClassCheck:
    rows = read_roster(roster)
    students = {r.roll: r.student for r in rows if r.student is not None}
    out_dir = default_out(out, "checks", Path(folder).name or "class").resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"output path {out_dir} is a file; give a folder")
    entries = entries_of(Path(folder), list(students))
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = [limit for limit, kept in (("memory", resource is not None), ("time", ALARM)) if not kept]
    if missing:
        warnings.warn(f"this system cannot limit a worker's {' and '.join(missing)}: a hostile file may hold up "
                      "the class", stacklevel=2)
    with folder_lock(out_dir):
        outcomes = run_checks(entries, students, workers, show_progress)
        return write_sheet(out_dir, rows, students, outcomes)


def run_checks(entries: list[Entry], students: dict[str, Student], workers: int | None, show_progress: bool,
               job: Callable[[Entry, dict[str, Student]], Outcome] = check_entry) -> list[Outcome]:
    """Each entry checked by `job` (check_entry; a test gives one that kills its worker) in pools of fresh
    processes. A worker that dies (killed, out of memory) breaks its pool and every entry in flight in it;
    those are checked again each in a pool of its own, so that the one that kills its worker alone gets a
    row that says so, and the class goes on in a new pool."""
    from rich.progress import Progress

    outcomes: list[Outcome] = []
    pending, suspects = list(entries), []
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("checking", total=len(entries))

        def record(outcome: Outcome) -> None:
            outcomes.append(outcome)
            progress.advance(task)

        while pending:
            suspects += run_pool(pending, students, workers or os.cpu_count() or 1, job, record)
        for entry in suspects:
            if run_pool([entry], students, 1, job, record):
                record(Outcome(entry.name, entry.roll, None, "the checker's process died on it (killed, or out of "
                               "memory)", "", "unreadable"))
    return sorted(outcomes, key=lambda o: o.entry)


def run_pool(pending: list[Entry], students: dict[str, Student], workers: int,
             job: Callable[[Entry, dict[str, Student]], Outcome], record: Callable[[Outcome], None]) -> list[Entry]:
    """Entries taken off `pending`, at most one a worker at a time, each outcome recorded, until none is left
    or a worker dies; then the entries the broken pool held."""
    broken: list[Entry] = []
    in_flight: dict[Future, Entry] = {}
    # Fresh interpreters (spawn): a fork would carry this process's address space, torch's included, under
    # the workers' memory ceiling.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=start_worker) as pool:
        while in_flight or (pending and not broken):
            while pending and not broken and len(in_flight) < workers:
                entry = pending.pop(0)
                try:
                    in_flight[pool.submit(job, entry, students)] = entry
                except BrokenProcessPool:
                    broken.append(entry)
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                entry = in_flight.pop(future)
                error = future.exception()
                if error is None:
                    record(future.result())
                elif isinstance(error, BrokenProcessPool):
                    broken.append(entry)
                else:  # the outcome did not come back (it would not pickle): the checker's fault
                    record(Outcome(entry.name, entry.roll, None, f"{type(error).__name__}: {error}".splitlines()[0],
                                   "", "checker_error", traceback="".join(traceback.format_exception(error))))
    return broken


def handed_in(outcome: Outcome) -> str:
    """'README, PDF, no video': which of the files the exam asks for the submission holds."""
    if outcome.handed_in is None:
        return ""
    return ", ".join(kind if held else f"no {kind}" for kind, held in outcome.handed_in.items())


def write_sheet(out: Path, rows, students: dict[str, Student], outcomes: list[Outcome]) -> ClassCheck:
    by_roll: dict[str, Outcome] = {}
    unmatched = []
    for outcome in sorted(outcomes, key=lambda o: not o.by_name):  # a roll in a name outranks one in a text
        if outcome.roll is None or outcome.roll in by_roll:
            unmatched.append(outcome)
        else:
            by_roll[outcome.roll] = outcome
    extra: dict[str, list[str]] = {}
    for a, b, score in similar_pairs(list(by_roll.values())):
        extra.setdefault(a, []).append(f"code near-identical to {b}'s submission ({score:.0f} % alike)")
        extra.setdefault(b, []).append(f"code near-identical to {a}'s submission ({score:.0f} % alike)")
    sheet = []
    for row in rows:
        mine = by_roll.get(row.roll) if row.student is not None else None
        if row.student is not None and (mine is None or mine.result is None):  # an earlier check's, not this one's
            inside(out / "submissions", f"{row.roll}.json").unlink(missing_ok=True)
        if row.student is None:
            sheet.append(SheetRow(row.roll, row.first, row.last, "unreadable", error=f"roster row: {row.error}"))
        elif mine is None:
            sheet.append(SheetRow(row.roll, row.first, row.last, "missing", error="no submission matched this roll"))
        elif mine.result is None:
            sheet.append(SheetRow(row.roll, row.first, row.last, mine.status, mine.entry, error=error_of(mine)))
        else:
            others = other_variants(mine.result, students)
            findings = extra.get(row.roll, []) + ([f"code builds the variant of {', '.join(others)}, not this "
                                                   "student's"] if others else [])
            result = replace(mine.result, findings=mine.result.findings + tuple(findings))
            write_json(inside(out / "submissions", f"{row.roll}.json"), result.to_json() | {
                "entry": mine.entry, "contents": list(mine.contents),
                "handed_in": {kind: list(names) for kind, names in (mine.handed_in or {}).items()}})
            sheet.append(SheetRow(row.roll, row.first, row.last, "checked", mine.entry, result, "", handed_in(mine)))
    for outcome in unmatched:
        why = error_of(outcome) or (f"{outcome.roll}'s row is already {by_roll[outcome.roll].entry}'s"
                                    if outcome.roll else "no roster roll number in its name or text")
        status: Status = "checker_error" if outcome.status == "checker_error" else "unmatched file"
        sheet.append(SheetRow("", "", "", status, outcome.entry, error=why, handed_in=handed_in(outcome)))
    errors = [{"roll": o.roll or "", "entry": o.entry, "error": o.error, "traceback": o.traceback}
              for o in outcomes if o.status == "checker_error"]
    if errors:
        write_json(out / ERRORS, errors)
    else:  # an earlier check's
        (out / ERRORS).unlink(missing_ok=True)
    write_csv(out / "grading.csv", COLUMNS, [row.csv_record() for row in sheet])
    checked = ClassCheck(out, tuple(sheet))
    write_text(out / "grading.html", to_html(sheet_blocks(checked), wide=True))
    return checked


def error_of(outcome: Outcome) -> str:
    if outcome.status != "checker_error":
        return outcome.error
    return f"the checker failed, not the student's file: {outcome.error} (traceback in {ERRORS})"


def sheet_blocks(result: ClassCheck) -> list[Block]:
    cells: list[list[Cell]] = []
    for row in result.rows:
        r = row.result
        cells.append([row.roll, f"{row.first} {row.last}".strip(), row.status, row.entry, row.handed_in,
                      *((r.aspects[a].verdict for a in ASPECTS) if r else [""] * len(ASPECTS)),
                      *((f"{100 * j.claimed:.2f} % {j.verdict}" if j.claimed is not None else j.verdict
                         for j in r.judgement.values()) if r else ["", ""]),
                      str(len(r.findings)) if r else "", Link("json", f"submissions/{row.roll}.json") if r else "",
                      row.error])
    blocks: list[Block] = [
        Heading(1, "Grading sheet"),
        Paragraph(f"{len(result.rows)} rows: {result.words()}. Each submission is checked against its own "
                  "student's variant (docs/CHECK.md says how each verdict is decided). Rows with findings are "
                  "marked; click a column header to sort; each student's findings and evidence follow the table."),
        table(["roll", "name", "status", "entry", "handed in", *ASPECTS, "CNN claim", "AE classifier claim",
               "findings", "json", "error"], cells,
              marked={i for i, row in enumerate(result.rows)
                      if (row.result and row.result.flagged) or row.status in ("unreadable", "checker_error")},
              sortable=True),
    ]
    for row in result.rows:
        if row.result is None or not row.result.findings:
            continue
        r = row.result
        blocks += [Heading(3, f"{row.roll} {row.first} {row.last}".strip()),
                   table(["finding"], [[f] for f in r.findings]),
                   table(["aspect", "verdict", "required", "code", "text", "evidence"],
                         [[a, c.verdict, repr(c.required), "" if c.code is None else repr(c.code),
                           ", ".join(map(repr, c.text)), "; ".join(f"{f.where}: {f.excerpt}" for f in c.evidence)]
                          for a, c in r.aspects.items() if c.verdict in ("violates", "contradicts")])]
    return blocks
