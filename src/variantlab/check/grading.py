"""A class's submissions checked and marked at once: `variantlab check FOLDER --roster class.csv --out DIR`.

Each entry of the folder (a file, a student's folder of files, or a zip as handed in) is matched to a roster
row by the roll number in its name, else by one in its text, and checked against that student's variant in
a pool of processes; entries whose names hold one roll are read together as one submission. One bad file
never stops the class; a file the readers refuse is `unreadable`, an exception in the checker itself is a
`checker_error` (the checker's fault, not the student's), its traceback in checker_errors.json. Across
the class, pairs of submissions whose code is near-identical (identifiers renamed or not) and code that
builds another roster student's variant exactly are findings too.

A submission whose files, roster row and checker are unchanged since its last check is not checked again:
its submissions/<roll>.json is reused. Each checked student is marked by the rubric (rubric.py), with the
grader's DIR/adjustments.csv applied, and gets feedback in plain words (feedback.py). Output, all inside DIR:
grading.csv, grading.html (the sheet), submissions/<roll>.json, feedback/<roll>.html and .pdf,
checker_errors.json, and the gradebook exports asked for (exports.py).
"""

import ast
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import re
import signal
import tokenize
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from variantlab.atomic import default_out, inside, write_json, write_text
from variantlab.check import check, rubric
from variantlab.check.adjustments import OTHER, Adjustment, read_adjustments
from variantlab.check.archive import is_zip
from variantlab.check.check import ASPECTS
from variantlab.check.exports import Graded
from variantlab.check.feedback import write_feedback
from variantlab.check.plain import Finding
from variantlab.check.rubric import Item, Marks, Rubric
from variantlab.check.submission import SUFFIXES, Submission, read_submission
from variantlab.course.roster import read_roster, write_csv
from variantlab.errors import UserError
from variantlab.exam.rules import derive
from variantlab.exam.student import Student
from variantlab.locks import folder_lock
from variantlab.provenance import checker_digest
from variantlab.report import sheet
from variantlab.report.document import Block, Link, Paragraph, table
from variantlab.training.config import CLASSIFIERS

ADJUSTMENTS = "adjustments.csv"  # the grader's, read on every run and never written here
Export = Callable[[list[Graded], Rubric, Path], str]  # the marks into a gradebook's file; returns what it wrote

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
    key: str = ""  # what its check depends on (entry_key), where its roll is known before it is read

    @property
    def name(self) -> str:
        return ", ".join(p.name for p in self.paths)


@dataclass(frozen=True)
class Outcome:
    """What a worker returns for one entry: the roll it matched, its record (the check's JSON, what the
    submission holds, its code's fingerprint for the similarity pass, what marking reads of it, when it was
    checked and the key it was checked under), or why it could not be read (or the checker's traceback)."""

    entry: str
    roll: str | None
    record: dict | None
    error: str
    status: Literal["checked", "unreadable", "checker_error"] = "checked"
    by_name: bool = True  # the roll was in the entry's name (else in its text, or none)
    traceback: str = ""
    reused: bool = False  # its record is the last check's: nothing it depends on changed since


@dataclass(frozen=True)
class SheetRow:
    roll: str
    first: str
    last: str
    status: Status
    entry: str = ""
    record: dict | None = None  # the submission's JSON as written, class findings included
    error: str = ""
    marks: Marks | None = None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()

    @property
    def findings(self) -> list[str]:
        return list(self.record["findings"]) if self.record else []

    @property
    def flagged(self) -> bool:
        return bool(self.findings) or self.status in ("unreadable", "checker_error")

    def csv_record(self, columns: tuple[str, ...]) -> dict[str, str | int | float]:
        record: dict[str, str | int | float] = dict.fromkeys(columns, "")
        record.update(roll=self.roll, first=self.first, last=self.last, status=self.status, entry=self.entry,
                      error=self.error)
        if self.marks is not None:
            record |= {k: v for k, v in self.marks.cells().items() if k in record}
            record |= {"adjusted": " ".join(sorted(self.marks.adjusted)),
                       "deductions": " | ".join(deductions(self.marks))}
        r = self.record
        if r is None:
            return record
        record["handed_in"] = handed_in_words(r)
        record["checked_at"] = r.get("checked_at", "")
        record["details_agree"] = {True: "yes", False: "no", None: ""}[r["details_agree"]]
        for aspect, c in r["aspects"].items():
            record[aspect] = c["verdict"]
        for model in CLASSIFIERS:
            j = r["judgement"][model]
            record[f"{model}_claimed"] = "" if j["claimed"] is None else round(j["claimed"], 6)
            record[f"{model}_verdict"] = j["verdict"]
        record["hyperparameters"] = hyperparameter_words(r)
        record["flagged"] = "yes" if self.flagged else ""
        record["findings"] = "; ".join(self.findings)
        return record


COLUMNS = ("roll", "first", "last", "status", "entry", "checked_at", "handed_in", "details_agree", *ASPECTS,
           *(f"{m}_{k}" for m in CLASSIFIERS for k in ("claimed", "verdict")), "hyperparameters", "flagged",
           "findings", "error")


def columns_for(marking: Rubric) -> tuple[str, ...]:
    """The sheet's CSV columns: the check's, then one per rubric item, other, the total and the evidence."""
    return (*COLUMNS, *marking.ids(), OTHER, "total", "adjusted", "deductions")


@dataclass(frozen=True)
class ClassCheck:
    out: Path
    rows: tuple[SheetRow, ...]
    reused: int = 0  # submissions whose last check was reused
    exported: tuple[str, ...] = ()  # what each export wrote, in words

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.rows)

    def words(self) -> str:
        flagged = sum(1 for r in self.rows if r.status == "checked" and r.flagged)
        errors = self.count("checker_error")
        return (f"{self.count('checked')} checked ({flagged} with findings, {self.reused} unchanged since their "
                f"last check), {self.count('missing')} missing, {self.count('unreadable')} unreadable, "
                f"{self.count('unmatched file')} unmatched files"
                + (f", {errors} checker errors (the checker's fault, not the students': {self.out / ERRORS})"
                   if errors else "")
                + f"; sheet: {self.out / 'grading.html'} and {self.out / 'grading.csv'}; feedback in "
                  f"{self.out / 'feedback'}" + "".join(f"; {e}" for e in self.exported))


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
            return Outcome(name, roll, None, str(e), "unreadable", by_name)
        if roll is None:
            text = " ".join(p.text for p in submission.pieces)
            found = [r for r in students if names(text, r)]
            roll = found[0] if len(found) == 1 else None
        if roll is None:
            return Outcome(name, None, None, "", by_name=False)
        result = check.check_submission(submission, students[roll])
        if len(entry.paths) > 1:
            result = replace(result, file=name)
        record = result.to_json() | {
            "entry": name, "contents": list(submission.contents),
            "handed_in": {kind: list(getattr(submission, held)) for kind, held in HANDED_IN.items()},
            "seen": rubric.seen_in(submission, [p.name for p in entry.paths]).to_json(),
            "fingerprint": fingerprint(submission), "key": entry.key,
            "checked_at": dt.datetime.now().isoformat(timespec="seconds")}
        return Outcome(name, roll, record, "", by_name=by_name)
    except TooSlow:
        return Outcome(name, roll, None, f"{name}: not read within {SECONDS_A_FILE} s", "unreadable", by_name)
    except MemoryError:
        return Outcome(name, roll, None, f"{name}: reading it ran out of the {WORKER_MEMORY // 2**30} GB a worker "
                       "may use", "unreadable", by_name)
    except Exception as e:  # a bug in the checker, not the student's file: said so, and the class goes on
        return Outcome(name, roll, None, f"{type(e).__name__}: {e}".splitlines()[0][:300], "checker_error",
                       by_name, traceback=traceback.format_exc())
    finally:
        if ALARM:
            signal.alarm(0)


def entry_key(entry: Entry, student: Student) -> str:
    """A digest of what an entry's check depends on: every byte of its files (with their names), the
    student's details, and the checker's own code and baselines."""
    digest = hashlib.sha256(f"{checker_digest()}\0{json.dumps(student.to_dict(), sort_keys=True)}\0".encode())
    for path in entry.paths:
        files = [path] if path.is_file() else sorted(f for f in path.rglob("*") if f.is_file() and not f.is_symlink())
        for file in files:
            digest.update(f"{file.relative_to(path.parent).as_posix()}\0".encode())
            with open(file, "rb") as handle:
                while block := handle.read(2**20):
                    digest.update(block)
    return digest.hexdigest()


def reusable(out: Path, entry: Entry) -> dict | None:
    """The last check's record of this entry, if nothing it depends on has changed since."""
    if entry.roll is None or not entry.key:
        return None
    path = inside(out / "submissions", f"{entry.roll}.json")
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("key") == entry.key and "fingerprint" in record else None


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


def similar_pairs(records: dict[str, dict]) -> list[tuple[str, str, float]]:
    """(roll, roll, score) of every pair of checked submissions whose code is near-identical (rapidfuzz)."""
    from rapidfuzz import fuzz, process

    tokens_of = {roll: r["fingerprint"].split() for roll, r in records.items()}
    kept = [(roll, tokens) for roll, tokens in tokens_of.items() if len(tokens) >= MIN_TOKENS]
    counts = Counter(t for _, tokens in kept for t in set(tokens))
    # Each token one character (the ratio then compares token sequences, and quickly); the rarest tokens,
    # beyond what the characters hold, share one.
    vocabulary = {t: chr(0x10000 + i) for i, (t, _) in enumerate(counts.most_common(VOCABULARY))}
    encoded = ["".join(vocabulary.get(t, "\uffff") for t in tokens) for _, tokens in kept]
    if len(kept) < 2:
        return []
    scores = process.cdist(encoded, encoded, scorer=fuzz.ratio, score_cutoff=NEAR_IDENTICAL, workers=-1)
    return [(kept[i][0], kept[j][0], float(scores[i][j]))
            for i in range(len(kept)) for j in range(i + 1, len(kept)) if scores[i][j] >= NEAR_IDENTICAL]


def other_variants(roll: str, record: dict, students: dict[str, Student]) -> list[str]:
    """Roster students whose variant the code builds exactly, where it is not this student's own."""
    code = {a: c["code"] for a, c in record["aspects"].items() if c["code"] is not None}
    if len(code) < SAME_VARIANT_ASPECTS or any(c["required"] is None for c in record["aspects"].values()):
        return []
    if all(record["aspects"][a]["required"] == v for a, v in code.items()):
        return []
    return [other for other, student in students.items() if other != roll
            and all(check.required_values(derive(student))[a] == v for a, v in code.items())]


def check_class(folder: Path, roster: Path, out: str | Path | None = None, workers: int | None = None,
                show_progress: bool = True, rubric_file: Path | None = None,
                exports: Sequence[Export] = ()) -> ClassCheck:
    """Check, mark and give feedback on a class's submissions; `exports` write the marks for a gradebook."""
    rows = read_roster(roster)
    students = {r.roll: r.student for r in rows if r.student is not None}
    marking = rubric.load_rubric(rubric_file)
    out_dir = default_out(out, "checks", Path(folder).name or "class").resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"output path {out_dir} is a file; give a folder")
    if out_dir.is_relative_to(Path(folder).resolve()):  # its files would be the next run's entries
        raise UserError(f"output folder {out_dir} is inside the submissions' folder {folder}; give one outside it")
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers} must be at least 1")
    adjusting = read_adjustments(out_dir / ADJUSTMENTS, marking, [r.roll for r in rows])
    entries = [replace(e, key=entry_key(e, students[e.roll])) if e.roll else e
               for e in entries_of(Path(folder), list(students))]
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = [limit for limit, kept in (("memory", resource is not None), ("time", ALARM)) if not kept]
    if missing:
        warnings.warn(f"this system cannot limit a worker's {' and '.join(missing)}: a hostile file may hold up "
                      "the class", stacklevel=2)
    with folder_lock(out_dir):
        kept = {e: record for e in entries if (record := reusable(out_dir, e)) is not None}
        outcomes = [Outcome(e.name, e.roll, record, "", reused=True) for e, record in kept.items()]
        outcomes += run_checks([e for e in entries if e not in kept], students, workers, show_progress)
        checked = write_sheet(out_dir, rows, students, sorted(outcomes, key=lambda o: o.entry), marking, adjusting)
        graded = [Graded(r.roll, r.first, r.last, r.marks) for r in checked.rows if r.roll]
        return replace(checked, exported=tuple(export(graded, marking, out_dir) for export in exports))


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
                               "memory)", "unreadable"))
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
                                   "checker_error", traceback="".join(traceback.format_exception(error))))
    return broken


def handed_in_words(record: dict) -> str:
    """'README, PDF, no video': which of the files the exam asks for the submission holds."""
    return ", ".join(kind if held else f"no {kind}" for kind, held in (record.get("handed_in") or {}).items())


def hyperparameter_words(record: dict) -> str:
    """'cnn: optimizer Adam, learning_rate 0.001; ae_classifier: ...': what a grader looks for."""
    return "; ".join(f"{network}: " + ", ".join(f"{name} {'/'.join(str(f['value']) for f in found[:2])}"
                                                 for name, found in names.items())
                     for network, names in (record.get("hyperparameters") or {}).items())


def deductions(marks: Marks) -> list[str]:
    """Each item that lost points: how many, why, and the evidence."""
    out = []
    for m in marks.marks:
        if m.points is not None and m.points < m.item.points:
            where = "; ".join(e.where for e in m.evidence[:2])
            out.append(f"{m.item.id} -{m.item.points - m.points:g}: {m.why}" + (f" ({where})" if where else ""))
    return out


def write_sheet(out: Path, rows, students: dict[str, Student], outcomes: list[Outcome], marking: Rubric,
                adjusting: dict[str, tuple[Adjustment, ...]]) -> ClassCheck:
    by_roll: dict[str, Outcome] = {}
    unmatched = []
    for outcome in sorted(outcomes, key=lambda o: not o.by_name):  # a roll in a name outranks one in a text
        if outcome.roll is None or outcome.roll in by_roll:
            unmatched.append(outcome)
        else:
            by_roll[outcome.roll] = outcome
    records = {roll: o.record for roll, o in by_roll.items() if o.record is not None}
    extra: dict[str, list[str]] = {}
    for a, b, score in similar_pairs(records):
        extra.setdefault(a, []).append(f"code near-identical to {b}'s submission ({score:.0f} % alike)")
        extra.setdefault(b, []).append(f"code near-identical to {a}'s submission ({score:.0f} % alike)")
    names_by_roll = {row.roll: f"{row.first} {row.last}".strip() for row in rows}
    sheet, feedback = [], []
    for row in rows:
        mine = by_roll.get(row.roll) if row.student is not None else None
        adjustments = adjusting.get(row.roll, ())
        if row.student is not None and (mine is None or mine.record is None):  # an earlier check's, not this one's
            inside(out / "submissions", f"{row.roll}.json").unlink(missing_ok=True)
            for kind in ("html", "pdf"):
                inside(out / "feedback", f"{row.roll}.{kind}").unlink(missing_ok=True)
        if row.student is None:
            why = f"roster row: {row.error}"
            sheet.append(SheetRow(row.roll, row.first, row.last, "unreadable", error=why,
                                  marks=rubric.mark_missing(row.roll, marking, why, adjustments)))
        elif mine is None:
            why = "no submission matched this roll"
            sheet.append(SheetRow(row.roll, row.first, row.last, "missing", error=why,
                                  marks=rubric.mark_missing(row.roll, marking, why, adjustments)))
        elif mine.record is None:
            why = error_of(mine)
            sheet.append(SheetRow(row.roll, row.first, row.last, mine.status, mine.entry, error=why,
                                  marks=rubric.mark_missing(row.roll, marking, why, adjustments)))
        else:
            others = other_variants(row.roll, mine.record, students)
            found = extra.get(row.roll, []) + ([f"code builds the variant of {', '.join(others)}, not this "
                                                "student's"] if others else [])
            earlier = mine.record.get("class_findings", [])  # a reused record's, found among others then
            own = [f for f in mine.record["findings"] if f not in earlier]
            record = mine.record | {"findings": own + found, "class_findings": found}
            marks = rubric.mark(record, marking, rubric.Seen.from_json(record["seen"]), adjustments)
            record |= {"marks": marks.to_json()}
            write_json(inside(out / "submissions", f"{row.roll}.json"), record)
            sheet.append(SheetRow(row.roll, row.first, row.last, "checked", mine.entry, record, "", marks))
            feedback.append((record, marks))
    for outcome in unmatched:
        why = error_of(outcome) or (f"{outcome.roll}'s row is already {by_roll[outcome.roll].entry}'s"
                                    if outcome.roll else "no roster roll number in its name or text")
        status: Status = "checker_error" if outcome.status == "checker_error" else "unmatched file"
        sheet.append(SheetRow("", "", "", status, outcome.entry, error=why))
    errors = [{"roll": o.roll or "", "entry": o.entry, "error": o.error, "traceback": o.traceback}
              for o in outcomes if o.status == "checker_error"]
    if errors:
        write_json(out / ERRORS, errors)
    else:  # an earlier check's
        (out / ERRORS).unlink(missing_ok=True)
    write_feedback_all(out / "feedback", feedback, names_by_roll)
    columns = columns_for(marking)
    write_csv(out / "grading.csv", columns, [row.csv_record(columns) for row in sheet])
    checked = ClassCheck(out, tuple(sheet), sum(o.reused for o in outcomes))
    write_text(out / "grading.html", sheet_page(checked, marking))
    return checked


def write_feedback_all(folder: Path, feedback: list[tuple[dict, Marks]], names_by_roll: dict[str, str]) -> None:
    """Each student's feedback, HTML and PDF: written again only where what it says changed (a digest of its
    inputs kept beside it), since a PDF costs a third of a second."""
    todo = []
    for view, marks in feedback:
        key = hashlib.sha256(json.dumps([view, marks.to_json(), names_by_roll], sort_keys=True, default=str)
                             .encode()).hexdigest()
        stamp = inside(folder, f"{marks.roll}.key")
        if not (stamp.exists() and stamp.read_text() == key and inside(folder, f"{marks.roll}.pdf").exists()):
            todo.append((view, marks, key))
    if len(todo) <= 4:
        for job in todo:
            feedback_job(folder, names_by_roll, job)
        return
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn")) as pool:
        for done in [pool.submit(feedback_job, folder, names_by_roll, job) for job in todo]:
            done.result()


def feedback_job(folder: Path, names_by_roll: dict[str, str], job: tuple[dict, Marks, str]) -> None:
    """One student's feedback, then the digest it was written from (a worker's job: a PDF is a third of a second)."""
    view, marks, key = job
    write_feedback(folder, view, marks, names_by_roll)
    write_text(inside(folder, f"{marks.roll}.key"), key)


def error_of(outcome: Outcome) -> str:
    if outcome.status != "checker_error":
        return outcome.error
    return f"the checker failed, not the student's file: {outcome.error} (traceback in {ERRORS})"


# The sheet: a mark's cell shows the verdict it was scored from where it has one (an aspect's, a claim's), else
# how much of the item it earned.
MARK_VERDICTS = (
    sheet.Verdict("full", "✓", sheet.PALE_GREEN, "full marks"),
    sheet.Verdict("part", "◐", sheet.YELLOW, "part of the marks", True),
    sheet.Verdict("none", "✗", sheet.VERMILLION, "no marks", True),
    sheet.Verdict("pending", "…", sheet.PALE_GREY, "waits for the grader (a manual item)"),
)
# Two letters a column (the legend and each header's tooltip give the whole title); question 2's, where
# question 1 has the same item, in capitals.
SHORT = {"dataset": "ds", "init": "in", "augmentation": "au", "pool": "po", "classes": "cl", "conv_layers": "cv",
         "pool_layers": "pl", "first_filters": "f1", "fc_nodes": "fc", "ae_layers": "al", "ae_fc_nodes": "af",
         "readme": "rm", "own_variant": "va", "code_runs": "ru", "result": "ac", "result_agrees": "ag",
         "report_pdf": "pd", "clarity": "cr", "hyperparameters": "hy", "understanding": "un",
         "details_listed": "li", "own_details": "id", "video": "vi", "zip_name": "zi", "original_code": "or",
         "comparison": "cm"}


def shorts(items: Sequence[Item]) -> list[str]:
    """Each item's header: its two letters, in capitals where an earlier item has them."""
    seen: set[str] = set()
    out = []
    for item in items:
        name = item.id.rsplit(".", 1)[-1]
        short = SHORT.get(name, name[:2])
        out.append(short.upper() if short in seen else short)
        seen.add(short)
    return out


def mark_cell(row: SheetRow, item: Item) -> sheet.Mark:
    if row.marks is None:
        return sheet.Mark()
    m = row.marks.of(item.id)
    r = row.record
    if m.points is None:
        verdict = "pending"
    elif r is not None and item.score == "aspect":
        verdict = r["aspects"][item.aspect]["verdict"]
    elif r is not None and item.score == "claim":
        verdict = r["judgement"][item.network]["verdict"]
    else:
        verdict = "full" if m.points >= item.points else "none" if m.points == 0 else "part"
    text = "*" if m.adjusted else ""  # the points are in the tooltip: a narrow column holds the symbol
    tip = (f"{'–' if m.points is None else f'{m.points:g}'} of {item.points:g}: {m.why}"
           + (f" Adjusted by the grader: {m.comment}" if m.adjusted else ""))
    return sheet.Mark(verdict, text, tip)


def total_cell(marks: Marks | None) -> sheet.Mark:
    if marks is None:
        return sheet.Mark()
    waiting = "" if marks.complete else f"; waiting for the grader: {', '.join(marks.pending)}"
    return sheet.Mark(text=f"{marks.total:g}" + ("*" if marks.adjusted else ""),
                      tip=f"{marks.total:g} of {marks.maximum:g}{waiting}")


def marks_table(marks: Marks) -> Block:
    def got(m) -> str:
        points = "–" if m.points is None else f"{m.points:g} / {m.item.points:g}"
        return points + (" (adjusted)" if m.adjusted else "")

    return table(["item", "marks", "why"], [[m.item.title, got(m), m.why + (f" Grader: {m.comment}" if m.comment
                                                                             else "")] for m in marks.marks])


def check_blocks(r: dict) -> list[Block]:
    """A checked submission's evidence, as the sheet folds it open: each aspect, each claim, its hyperparameters."""
    blocks: list[Block] = [
        Paragraph(f"Entry {r['entry']}, checked {r.get('checked_at', '')}; handed in: "
                  f"{handed_in_words(r) or 'nothing the exam lists'}."),
        table(["aspect", "verdict", "required", "code", "text", "evidence"],
              [[a, c["verdict"], str(c["required"]), "" if c["code"] is None else str(c["code"]),
                ", ".join(map(str, c["text"])), "; ".join(f"{e['where']}: {e['excerpt']}" for e in c["evidence"])]
               for a, c in r["aspects"].items()]),
        table(["network", "claimed", "verdict", "why"],
              [[m, "" if j["claimed"] is None else f"{100 * j['claimed']:.2f} %", j["verdict"], j["why"]]
               for m, j in r["judgement"].items()])]
    if r.get("hyperparameters"):
        blocks.append(Paragraph(f"Hyperparameters: {hyperparameter_words(r)}."))
    return blocks


def sheet_row(row: SheetRow, marking: Rubric) -> sheet.Row:
    marks = (*(mark_cell(row, item) for item in marking.items), total_cell(row.marks))
    flags = tuple(sheet.Flag(Finding.of(f).kind.replace("_", " "), f) for f in row.findings)
    if row.error:
        flags += (sheet.Flag(row.status.replace("_", " "), row.error),)
    details = (check_blocks(row.record) if row.record is not None else []) + (
        [marks_table(row.marks)] if row.marks is not None else [])
    if row.record is not None:  # in the details, not a column: 33 items leave no room for one at 1,366 px
        details.append(table(["the check, whole", "the student's feedback"],
                             [[Link(f"{row.roll}.json", f"submissions/{row.roll}.json"),
                               Link(f"{row.roll}.html", f"feedback/{row.roll}.html")]]))
    return sheet.Row(row.roll or row.entry, row.name, row.status, marks, flags, row.flagged, tuple(details))


def sheet_page(result: ClassCheck, marking: Rubric) -> str:
    columns = [sheet.Column(short, f"{item.title} ({item.part}, {item.points:g} points)", "2em")
               for short, item in zip(shorts(marking.items), marking.items, strict=True)]
    columns.append(sheet.Column("total", f"marks out of {marking.maximum:g} (* a grader's adjustment)", "3.4em"))
    intro: list[Block] = [Paragraph(
        f"{result.words()}. Each submission is checked against its own student's variant and marked by the rubric "
        f"*{marking.title}* ({marking.maximum:g} marks); a cell's symbol is the verdict it was marked from, its "
        "tooltip the marks and why; * marks a grader's adjustment (adjustments.csv). Click a row for its evidence.")]
    return sheet.matrix_page("Grading sheet", intro, columns, [sheet_row(r, marking) for r in result.rows],
                             sheet.VERDICTS + MARK_VERDICTS, key_widths=("8.5em", "6em"))
