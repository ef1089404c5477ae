"""Marks from a check: a rubric (TOML, `rubric_default.toml` ships) gives each item its points and how the
check's verdicts score it; the grader's adjustments (adjustments.py) replace an item's points or add others.
Every item's marks lie between 0 and its points, and every deduction cites its evidence.

An item is scored by one of:
- `aspect`: the verdict of one of the 11 aspects, as a share from `[aspect_verdicts]`;
- `claim`: the judgement of one network's test accuracy, as a share from `[claim_verdicts]`;
- `finding`: full points unless the check found that kind of finding (plain.FINDING_KINDS), for the
  network given or any;
- `handin`: a file the paper asks for, by the names handed in (report_pdf, readme, video, code, zip_name);
- `hyperparameters`: the share of the training hyperparameters the code sets for the networks given;
- `details`: the share of the aspects given that the text states (the list that follows from one's details);
- `comparison`: both networks' accuracies found (half) and a sentence or section comparing them (half);
- `manual`: what the checker cannot see; it waits for the grader's adjustment.

A TensorFlow/Keras submission (its code imports TensorFlow or Keras and not PyTorch) scores as the rubric's
`tensorflow` says: "all" (no marks at all) or "code" (no marks for the items marked `code = true`).
"""

import ast
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from importlib.resources import files as package_files
from pathlib import Path, PurePosixPath
from typing import Literal

from variantlab.check import claims, plain, textscan
from variantlab.check.adjustments import OTHER, Adjustment
from variantlab.check.check import ASPECTS
from variantlab.check.plain import Finding
from variantlab.check.submission import VIDEOS, Piece, Submission
from variantlab.errors import UserError
from variantlab.training.config import CLASSIFIERS

SCORERS = ("aspect", "claim", "finding", "handin", "hyperparameters", "details", "comparison", "manual")
HANDINS = ("report_pdf", "readme", "video", "code", "zip_name")
TRAINED = ("cnn", "autoencoder", "ae_classifier", "unattributed")  # the networks the check reads hyperparameters of
HYPERPARAMETERS = ("optimizer", "learning_rate", "batch_size", "epochs", "loss")
HYPERPARAMETER_WORDS = {"optimizer": "the optimizer", "learning_rate": "the learning rate",
                        "batch_size": "the batch size", "epochs": "the number of epochs", "loss": "the loss",
                        "momentum": "the momentum", "weight_decay": "the weight decay"}
ALIASES = {"lr": "learning_rate"}  # the check's names for a hyperparameter, as the rubric spells it
ASPECT_VERDICTS = ("ok", "contradicts", "violates", "not_found", "unknown")
CLAIM_VERDICTS = ("plausible", "not_judged_low", "no_baseline", "unknown", "above_measured", "below_measured",
                  "impossible_for_n", "not_found")
CODE_SCORERS = ("aspect", "claim", "hyperparameters")  # earned by the code itself, unless an item says otherwise
CODE_FILES = (".py", ".ipynb")
TENSORFLOW = ("tensorflow", "keras", "tf_keras")
PYTORCH = ("torch", "torchvision")
PAPER_ON_TENSORFLOW = "the paper says \u201cuse of Tensorflow will fetch no marks\u201d"
VIDEO_LINK = re.compile(r"https?://\S*(?:youtu\.?be|drive\.google|loom\.com|vimeo|onedrive|sharepoint|dropbox)\S*",
                        re.I)
COMPARES = re.compile(r"\b(?:compar\w*|versus|vs\b|better|worse|higher|lower|outperform\w*|than)", re.I)
COMPARISON_HEADING = re.compile(r"^\W*comparison\b", re.I)  # "Comparison of results between CNN and AE"


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    part: str
    criterion: str
    points: float
    score: str  # one of SCORERS
    aspect: str = ""
    network: str = ""
    finding: str = ""
    handin: str = ""
    networks: tuple[str, ...] = ()
    names: tuple[str, ...] = HYPERPARAMETERS
    aspects: tuple[str, ...] = ()
    code: bool = False  # earned by the code itself: no marks for a TensorFlow submission under tensorflow = "code"


@dataclass(frozen=True)
class Rubric:
    title: str
    items: tuple[Item, ...]
    aspect_verdicts: dict[str, float]
    claim_verdicts: dict[str, float]
    review: dict[str, frozenset[str]]  # aspect, claim, finding: the verdicts and kinds a grader looks at
    tensorflow: Literal["all", "code"]
    round_to: float
    source: str

    @property
    def maximum(self) -> float:
        return sum(item.points for item in self.items)

    def parts(self) -> dict[str, float]:
        """Each part's points, in the rubric's order."""
        totals: dict[str, float] = {}
        for item in self.items:
            totals[item.part] = totals.get(item.part, 0) + item.points
        return totals

    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


def load_rubric(path: Path | None = None) -> Rubric:
    """The rubric in `path`, or the default one variantlab ships; a mistake in it is one line naming it."""
    if path is None:
        text = (package_files("variantlab.check") / "rubric_default.toml").read_text(encoding="utf-8")
        source = "default"
    else:
        try:
            text, source = Path(path).read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"rubric {path}: cannot be read ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"rubric {source}: not valid TOML ({e})") from None
    return parse_rubric(data, source)


def parse_rubric(data: dict, source: str) -> Rubric:
    def fail(problem: str):
        raise UserError(f"rubric {source}: {problem}")

    known = {"title", "round_to", "tensorflow", "aspect_verdicts", "claim_verdicts", "review", "item"}
    unknown = sorted(set(data) - known)
    if unknown:
        fail(f"unknown key(s) {', '.join(unknown)}; a rubric has {', '.join(sorted(known))}")
    tensorflow = data.get("tensorflow", "all")
    if tensorflow not in ("all", "code"):
        fail(f"tensorflow = {tensorflow!r}: give \"all\" (no marks at all) or \"code\" (none for the code's items)")
    round_to = data.get("round_to", 0.01)
    if not isinstance(round_to, int | float) or isinstance(round_to, bool) or not 0 < round_to < math.inf:
        fail(f"round_to = {round_to!r}: give a positive number, e.g. 0.5")
    shares = {name: verdict_shares(data.get(name, {}), verdicts, name, fail)
              for name, verdicts in (("aspect_verdicts", ASPECT_VERDICTS), ("claim_verdicts", CLAIM_VERDICTS))}
    review = data.get("review", {})
    accepted = {"aspect": ASPECT_VERDICTS, "claim": CLAIM_VERDICTS, "finding": plain.FINDING_KINDS}
    if not isinstance(review, dict) or set(review) - set(accepted):
        fail(f"[review] holds lists named {', '.join(accepted)}")
    for name, listed in review.items():
        if not isinstance(listed, list) or set(listed) - set(accepted[name]):
            fail(f"[review] {name} = {listed!r}: a list of {', '.join(accepted[name])}")
    raw = data.get("item", [])
    if not isinstance(raw, list) or not raw:
        fail("no [[item]] tables; a rubric needs at least one item")
    items = tuple(parse_item(table, number, fail) for number, table in enumerate(raw, start=1))
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            fail(f"item id {item.id!r} is given twice")
        seen.add(item.id)
    return Rubric(str(data.get("title", "rubric")), items, shares["aspect_verdicts"], shares["claim_verdicts"],
                  {name: frozenset(review.get(name, ())) for name in accepted}, tensorflow, float(round_to), source)


def verdict_shares(table, verdicts: tuple[str, ...], name: str, fail) -> dict[str, float]:
    if not isinstance(table, dict):
        fail(f"[{name}] must be a table of verdict = share")
    missing = [v for v in verdicts if v not in table]
    extra = [v for v in table if v not in verdicts]
    if missing or extra:
        fail(f"[{name}] must give a share to each of {', '.join(verdicts)}"
             + (f" (missing: {', '.join(missing)})" if missing else "") + (f" (unknown: {', '.join(extra)})" if extra
                                                                            else ""))
    for verdict, share in table.items():
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
            fail(f"[{name}] {verdict} = {share!r}: a share is a number from 0 to 1")
    return {verdict: float(share) for verdict, share in table.items()}


def parse_item(table, number: int, fail) -> Item:
    if not isinstance(table, dict):
        fail(f"item {number} is not a table")
    label = f"item {number} ({table.get('id', 'no id')})"
    names = {f.name for f in fields(Item)}
    unknown = sorted(set(table) - names)
    if unknown:
        fail(f"{label}: unknown key(s) {', '.join(unknown)}; an item has {', '.join(sorted(names))}")
    for key in ("id", "title", "part", "points", "score"):
        if key not in table:
            fail(f"{label}: needs {key}")
    item_id, score, points = table["id"], table["score"], table["points"]
    if not isinstance(item_id, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", item_id) or item_id == OTHER:
        fail(f"{label}: id must be letters, digits, '.', '_' or '-', and not {OTHER!r}")
    if not isinstance(points, int | float) or isinstance(points, bool) or not 0 <= points < math.inf:
        fail(f"{label}: points = {points!r}: a finite number of 0 or more")
    if score not in SCORERS:
        fail(f"{label}: score = {score!r}: one of {', '.join(SCORERS)}")
    needs = {"aspect": ("aspect", ASPECTS), "claim": ("network", CLASSIFIERS), "handin": ("handin", HANDINS),
             "finding": ("finding", plain.FINDING_KINDS), "hyperparameters": ("networks", TRAINED),
             "details": ("aspects", ASPECTS)}
    if score in needs:
        key, accepted = needs[score]
        given = table.get(key)
        listed = given if isinstance(given, list) else [given]
        if given is None or not listed or any(v not in accepted for v in listed) or (
                isinstance(given, list) != (key in ("networks", "aspects"))):
            fail(f"{label}: score = {score!r} needs {key} = "
                 + (f"a list of {', '.join(accepted)}" if key in ("networks", "aspects") else
                    f"one of {', '.join(accepted)}"))
    if "network" in table and score == "finding" and table["network"] not in CLASSIFIERS:
        fail(f"{label}: network = {table['network']!r}: one of {', '.join(CLASSIFIERS)}")
    if "names" in table and (not isinstance(table["names"], list) or not table["names"]
                             or any(n not in HYPERPARAMETER_WORDS for n in table["names"])):
        fail(f"{label}: names must be a list of {', '.join(HYPERPARAMETER_WORDS)}")
    if not isinstance(table.get("code", False), bool):
        fail(f"{label}: code must be true or false")
    values = dict(table) | {"points": float(points), "criterion": str(table.get("criterion", ""))}
    values |= {key: tuple(values[key]) for key in ("networks", "names", "aspects") if key in values}
    values.setdefault("code", score in CODE_SCORERS)
    return Item(**values)


# ---------------------------------------------------------------- what is read beside the check's JSON

@dataclass(frozen=True)
class Evidence:
    where: str
    excerpt: str

    def to_json(self) -> dict:
        return {"where": self.where, "excerpt": self.excerpt}


@dataclass(frozen=True)
class Seen:
    """What marking reads of a submission besides its check: the names handed in (the zip's), every file it
    holds, the first import of each framework, a sentence comparing the two networks, a link to a video."""

    names: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    tensorflow: Evidence | None = None
    pytorch: Evidence | None = None
    comparison: Evidence | None = None
    video_link: Evidence | None = None
    read: bool = False  # the submission itself was read (else only what its check's JSON lists)

    def to_json(self) -> dict:
        return {"names": list(self.names), "files": list(self.files), "read": self.read} | {
            key: evidence.to_json() for key in EVIDENCED if (evidence := getattr(self, key)) is not None}

    @classmethod
    def from_json(cls, saved: dict) -> "Seen":
        """What to_json wrote: a class check keeps it in each submission's JSON, to mark it again unread."""
        return cls(tuple(saved.get("names", ())), tuple(saved.get("files", ())),
                   **{key: Evidence(**saved[key]) for key in EVIDENCED if key in saved}, read=bool(saved.get("read")))


EVIDENCED = ("tensorflow", "pytorch", "comparison", "video_link")


def seen_in(submission: Submission, names: Iterable[str] | None = None) -> Seen:
    """What marking needs of a submission read by `read_submission`: small, so a worker can return it.
    `names`: what was handed in (the zip's name); by default the submission's own."""
    pieces = list(submission.pieces)
    listed = tuple(getattr(submission, "contents", ()) or submission.files)
    found = imports(pieces)
    return Seen(tuple(names) if names is not None else (submission.path.name,), listed, found.get("tensorflow"),
                found.get("pytorch"), comparison(pieces), video_link(pieces), True)


def imports(pieces: Iterable[Piece]) -> dict[str, Evidence]:
    """The first import of TensorFlow/Keras and of PyTorch in the code, by its syntax tree (never run)."""
    found: dict[str, Evidence] = {}
    for piece in pieces:
        tree = piece.tree if piece.is_code else None
        if tree is None:
            continue
        lines = piece.text.splitlines()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for module in modules:
                root = module.split(".")[0]
                framework = "tensorflow" if root in TENSORFLOW else "pytorch" if root in PYTORCH else None
                if framework and framework not in found:
                    line = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else module
                    found[framework] = Evidence(piece.where(node.lineno), line[:200])
    return found


def comparison(pieces: list[Piece]) -> Evidence | None:
    """The first sentence of the text (not printed output, not a code comment) that compares the two networks,
    or a heading that announces a comparison."""
    for line in textscan.lines(pieces):
        if line.piece.kind in ("output", "comment"):
            continue
        networks = {network for _, network in claims.named(line.text)}
        heading = COMPARISON_HEADING.match(line.text) and len(line.text) <= 80
        if heading or (networks == set(CLASSIFIERS) and COMPARES.search(line.text)):
            return Evidence(line.piece.where(line.number), line.text.strip()[:200])
    return None


def video_link(pieces: Iterable[Piece]) -> Evidence | None:
    for piece in pieces:
        if piece.kind in ("markdown", "prose", "page", "comment"):
            match = VIDEO_LINK.search(piece.text)
            if match:
                return Evidence(piece.where(piece.text.count("\n", 0, match.start()) + 1), match.group(0)[:200])
    return None


# ---------------------------------------------------------------- marks

@dataclass(frozen=True)
class Mark:
    item: Item
    points: float | None  # None: waits for the grader (a manual item not yet marked)
    automatic: float | None  # what the rubric gave before any adjustment
    why: str  # in plain words, for the grader and the student
    evidence: tuple[Evidence, ...] = ()
    review: bool = False  # the grader should look, whatever it scored
    adjusted: bool = False
    comment: str = ""  # the grader's, from adjustments.csv

    def to_json(self) -> dict:
        return {"item": self.item.id, "title": self.item.title, "part": self.item.part, "points": self.points,
                "maximum": self.item.points, "automatic": self.automatic, "why": self.why,
                "evidence": [e.to_json() for e in self.evidence], "review": self.review, "adjusted": self.adjusted,
                "comment": self.comment}


Framework = Literal["pytorch", "tensorflow", "both", "unknown"]


@dataclass(frozen=True)
class Marks:
    roll: str
    rubric: Rubric
    marks: tuple[Mark, ...]
    other: tuple[Adjustment, ...] = ()  # points added or taken off outside the items, with the grader's comments
    framework: Framework = "unknown"
    notes: tuple[str, ...] = field(default=())  # for the grader: what else puts the submission on the review list

    @property
    def maximum(self) -> float:
        return self.rubric.maximum

    @property
    def total(self) -> float:
        """The marks so far (an item waiting for the grader counts 0), within 0 and the rubric's maximum."""
        raw = sum(m.points or 0 for m in self.marks) + sum(a.points or 0 for a in self.other)
        return min(max(raw, 0.0), self.maximum)

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(m.item.id for m in self.marks if m.points is None)

    @property
    def complete(self) -> bool:
        return not self.pending

    @property
    def review(self) -> bool:
        return bool(self.notes) or any(m.review for m in self.marks)

    @property
    def adjusted(self) -> frozenset[str]:
        """The cells the grader's adjustments set: item ids, and OTHER where points were added or taken off."""
        return frozenset({m.item.id for m in self.marks if m.adjusted}
                         | ({OTHER} if any(a.points is not None for a in self.other) else set()))

    def of(self, item_id: str) -> Mark:
        return next(m for m in self.marks if m.item.id == item_id)

    def parts(self) -> dict[str, tuple[float, float]]:
        """Each part's (marks, points), in the rubric's order."""
        got: dict[str, tuple[float, float]] = {}
        for m in self.marks:
            have, most = got.get(m.item.part, (0.0, 0.0))
            got[m.item.part] = (have + (m.points or 0), most + m.item.points)
        return got

    def cells(self) -> dict[str, float | str]:
        """One sheet row's marks: each item's points ('' where it waits for the grader), other, total."""
        return ({m.item.id: "" if m.points is None else m.points for m in self.marks}
                | {OTHER: sum(a.points or 0 for a in self.other), "total": self.total})

    def to_json(self) -> dict:
        return {"roll": self.roll, "rubric": self.rubric.title, "total": self.total, "maximum": self.maximum,
                "complete": self.complete, "pending": list(self.pending), "review": self.review,
                "framework": self.framework, "notes": list(self.notes), "adjusted": sorted(self.adjusted),
                "marks": [m.to_json() for m in self.marks],
                "other": [{"points": a.points, "comment": a.comment, "line": a.line} for a in self.other]}


def rounded(value: float, step: float, most: float) -> float:
    """To the nearest multiple of `step` (halves up), within 0 and `most`."""
    return min(max(math.floor(value / step + 0.5 + 1e-9) * step, 0.0), most)


Scored = tuple[float | None, str, tuple[Evidence, ...], bool]  # share of the points, why, evidence, review


def mark(result: dict, rubric: Rubric, seen: Seen | None = None, adjustments: Sequence[Adjustment] = ()) -> Marks:
    """One checked submission's marks. `result` is the check's JSON (`CheckResult.to_json()`, or a class
    check's submissions/<roll>.json); `seen` what marking reads of the submission itself (`seen_in`; without
    it, the names and files the JSON lists, and no framework or comparison read from the text)."""
    roll = str((result.get("student") or {}).get("roll", ""))
    findings = [Finding.of(str(f)) for f in result.get("findings") or []]
    seen = seen or Seen(tuple(str(result.get("entry", "")).split(", ")) if result.get("entry") else (),
                        tuple(result.get("contents") or ()))
    framework, tensorflow = framework_of(result, seen)
    notes = (f"the code imports TensorFlow/Keras ({seen.tensorflow.where}) and PyTorch ({seen.pytorch.where}): "
             "which one trains the networks decides the paper's TensorFlow rule",) if framework == "both" and \
        seen.tensorflow and seen.pytorch else ()
    marks = []
    for item in rubric.items:
        scored: Scored
        if tensorflow is not None and (rubric.tensorflow == "all" or item.code):
            scored = 0.0, f"Your code uses TensorFlow/Keras; {PAPER_ON_TENSORFLOW}.", (tensorflow,), True
        else:
            scored = score(item, rubric, result, seen, findings)
        share, why, evidence, review = scored
        points = None if share is None else rounded(share * item.points, rubric.round_to, item.points)
        marks.append(Mark(item, points, points, why, evidence, review))
    return adjusted(Marks(roll, rubric, tuple(marks), framework=framework, notes=notes), adjustments)


def mark_missing(roll: str, rubric: Rubric, why: str, adjustments: Sequence[Adjustment] = ()) -> Marks:
    """A student with nothing checked (no submission, or none that could be read): no marks unless the
    grader's adjustments give them, each item citing why."""
    nothing = (Evidence("hand-in", why),)
    marks = tuple(Mark(item, 0.0, 0.0, f"Nothing to mark: {why}.", nothing) for item in rubric.items)
    return adjusted(Marks(roll, rubric, marks), adjustments)


def adjusted(marks: Marks, adjustments: Sequence[Adjustment]) -> Marks:
    """The grader's rows applied: an item's points replace the rubric's; a comment goes with the item;
    `other` rows add or take off points outside the items."""
    rows = {a.item: a for a in adjustments if a.roll == marks.roll and a.item != OTHER}
    kept = []
    for m in marks.marks:
        row = rows.get(m.item.id)
        if row is None:
            kept.append(m)
        elif row.points is None:
            kept.append(Mark(m.item, m.points, m.automatic, m.why, m.evidence, m.review, False, row.comment))
        else:
            kept.append(Mark(m.item, row.points, m.automatic, m.why, m.evidence, m.review, True, row.comment))
    other = tuple(a for a in adjustments if a.roll == marks.roll and a.item == OTHER)
    return Marks(marks.roll, marks.rubric, tuple(kept), other, marks.framework, marks.notes)


def framework_of(result: dict, seen: Seen) -> tuple[Framework, Evidence | None]:
    """Which framework the code uses, and the evidence of TensorFlow where the paper's rule applies to it: the
    check's own flag where its JSON has one, else the code's imports."""
    flag = str(result.get("framework") or "").lower()
    if flag in ("tensorflow", "keras"):
        return "tensorflow", seen.tensorflow or Evidence("the check", "the code is TensorFlow/Keras")
    if flag in ("pytorch", "torch"):
        return "pytorch", None
    if seen.tensorflow and seen.pytorch:
        return "both", None
    if seen.tensorflow:
        return "tensorflow", seen.tensorflow
    return ("pytorch" if seen.pytorch else "unknown"), None


def score(item: Item, rubric: Rubric, result: dict, seen: Seen, findings: list[Finding]) -> Scored:
    match item.score:
        case "aspect":
            return score_aspect(item, rubric, result)
        case "claim":
            return score_claim(item, rubric, result)
        case "finding":
            return score_finding(item, rubric, findings)
        case "handin":
            return score_handin(item, result, seen)
        case "hyperparameters":
            return score_hyperparameters(item, result)
        case "details":
            return score_details(item, result)
        case "comparison":
            return score_comparison(result, seen)
        case _:
            return None, "Marked by the grader.", (), False


def evidence_of(saved) -> tuple[Evidence, ...]:
    return tuple(Evidence(str(e.get("where", "")), str(e.get("excerpt", ""))) for e in saved or []
                 if isinstance(e, dict))


def score_aspect(item: Item, rubric: Rubric, result: dict) -> Scored:
    check = (result.get("aspects") or {}).get(item.aspect)
    if not isinstance(check, dict):
        return None, f"The check has no verdict for {plain.NOUNS[item.aspect]}.", (), True
    verdict = str(check.get("verdict"))
    why = plain.aspect_sentence(item.aspect, check, plain.reasons(result).get(item.aspect, ""))
    evidence = evidence_of(check.get("evidence")) or (Evidence("code and text", f"nothing that shows "
                                                                                f"{plain.NOUNS[item.aspect]}"),)
    return rubric.aspect_verdicts.get(verdict), why, evidence, verdict in rubric.review["aspect"]


def score_claim(item: Item, rubric: Rubric, result: dict) -> Scored:
    judged = (result.get("judgement") or {}).get(item.network) or {"verdict": "not_found", "claimed": None}
    verdict = str(judged.get("verdict"))
    evidence = evidence_of(judged.get("evidence")) or (Evidence("code and text", "no test accuracy stated"),)
    if judged.get("why"):
        evidence += (Evidence("the check's judgement", str(judged["why"])),)
    return (rubric.claim_verdicts.get(verdict), plain.claim_sentence(item.network, judged), evidence,
            verdict in rubric.review["claim"])


CLEAR = {  # an item whose finding is absent, in words
    "details_disagree": "The details your submission states are yours.",
    "text_vs_output": "What your text says of the test accuracy agrees with what your code printed.",
    "near_identical": "Your code is not near-identical to any other submission.",
    "other_variant": "Your code does not build another student's variant.",
    "at_chance": "Your test accuracy is above chance.",
    "test_size": "The test set size you state is your variant's.",
}


def score_finding(item: Item, rubric: Rubric, findings: list[Finding]) -> Scored:
    found = [f for f in findings if f.kind == item.finding and (not item.network or f.network == item.network)]
    if not found:
        return 1.0, CLEAR.get(item.finding, f"No finding of this kind ({item.finding})."), (), False
    evidence = tuple(Evidence(f.where or "the check's findings", f.text) for f in found)
    return 0.0, found[0].words, evidence, item.finding in rubric.review["finding"]


def score_handin(item: Item, result: dict, seen: Seen) -> Scored:
    files = seen.files
    if not files and not seen.names:
        return None, "The files handed in were not listed; the grader checks this by hand.", (), True
    suffix = {name: PurePosixPath(name).suffix.lower() for name in files}
    listed = Evidence("files handed in", ", ".join(files[:12]) + (" ..." if len(files) > 12 else ""))
    match item.handin:
        case "report_pdf":
            pdfs = [name for name in files if suffix[name] == ".pdf"]
            if len(pdfs) == 1:
                return 1.0, f"One PDF report: {pdfs[0]}.", (), False
            if pdfs:
                return 0.5, (f"{len(pdfs)} PDFs were handed in ({', '.join(pdfs)}); the paper asks for one report "
                             "for all questions."), (Evidence("files handed in", ", ".join(pdfs)),), True
            return 0.0, "No PDF report was handed in; the paper asks for one report for all questions.", (
                listed,), False
        case "readme":
            readmes = [name for name in files if PurePosixPath(name).stem.lower() == "readme"]
            if readmes:
                return 1.0, f"A README comes with the code: {readmes[0]}.", (), False
            return 0.0, "No README was handed in; the paper asks for one with the code.", (listed,), False
        case "video":
            videos = [name for name in files if suffix[name] in VIDEOS]
            if videos:
                return 1.0, f"A video is handed in: {videos[0]}.", (), False
            if seen.video_link:
                return 1.0, "Your submission links to a video; the grader opens the link.", (seen.video_link,), True
            return 0.0, "No video of the code running was handed in (nor a link to one).", (listed,), False
        case "code":
            code = [name for name in files if suffix[name] in CODE_FILES]
            if code:
                return 1.0, f"Code handed in: {', '.join(code[:4])}.", (), False
            return 0.0, "No code (a notebook or a Python script) was handed in.", (listed,), False
        case _:
            roll = str((result.get("student") or {}).get("roll", ""))
            wanted = f"{roll}_minor1.zip"
            zips = [part for name in (*seen.names, *files) for part in PurePosixPath(name).parts
                    if part.lower().endswith(".zip")]
            if any(z.lower() == wanted.lower() for z in zips):
                return 1.0, f"Handed in as {wanted}, as the paper asks.", (), False
            handed = ", ".join(zips or seen.names) or "no zip"
            return 0.0, f"Handed in as {handed}; the paper asks for one zip named {wanted}.", (
                Evidence("handed in", handed),), False


def hyperparameters_found(result: dict, networks: tuple[str, ...]) -> dict[str, Evidence]:
    """The hyperparameters the check read from the code for `networks` (and for none in particular), by the
    rubric's names; read defensively, as the JSON may have none."""
    saved = result.get("hyperparameters")
    found: dict[str, Evidence] = {}
    if not isinstance(saved, dict):
        return found
    for network in (*networks, "unattributed"):
        entries = saved.get(network)
        for name, value in (entries.items() if isinstance(entries, dict) else ()):
            first = value[0] if isinstance(value, list) and value else value
            if isinstance(first, dict):
                where, excerpt = str(first.get("where", "")), str(first.get("excerpt", first.get("value", "")))
            else:
                where, excerpt = "code", str(first)
            found.setdefault(ALIASES.get(str(name), str(name)), Evidence(where, excerpt))
    return found


def listing(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def score_hyperparameters(item: Item, result: dict) -> Scored:
    found = hyperparameters_found(result, item.networks)
    have = [n for n in item.names if n in found]
    missing = [n for n in item.names if n not in found]
    whose = listing([plain.NETWORKS.get(n, n) for n in item.networks])
    if not missing:
        return 1.0, f"Your code sets {listing([HYPERPARAMETER_WORDS[n] for n in have])} for {whose}.", (), False
    said = (f"Your code sets {listing([HYPERPARAMETER_WORDS[n] for n in have])} for {whose}; " if have else
            f"The check found no training hyperparameters for {whose} in your code; ")
    why = said + f"not found: {listing([HYPERPARAMETER_WORDS[n] for n in missing])}."
    evidence = tuple(dict.fromkeys(found[n] for n in have)) + tuple(
        Evidence("code", f"{HYPERPARAMETER_WORDS[n]}: not found") for n in missing)
    return len(have) / len(item.names), why, evidence, False


def score_details(item: Item, result: dict) -> Scored:
    aspects = result.get("aspects") or {}
    stated = [a for a in item.aspects if (aspects.get(a) or {}).get("text")]
    missing = [a for a in item.aspects if a not in stated]
    if not missing:
        return 1.0, f"Your text states all {len(stated)} values that follow from your details.", (), False
    why = (f"Your text states {len(stated)} of the {len(item.aspects)} values that follow from your details; not "
           f"stated: {listing([plain.NOUNS[a] for a in missing])}.")
    return len(stated) / len(item.aspects), why, tuple(Evidence("text", f"no statement of {plain.NOUNS[a]}")
                                                       for a in missing), False


def score_comparison(result: dict, seen: Seen) -> Scored:
    if not seen.read:
        return None, "The text was not read for a comparison; the grader marks it.", (), True
    judgement = result.get("judgement") or {}
    missing = [plain.NETWORKS[n] for n in CLASSIFIERS if (judgement.get(n) or {}).get("claimed") is None]
    evidence: tuple[Evidence, ...] = ()
    words = []
    if missing:
        words.append(f"no test accuracy of {listing(missing)} was found")
        evidence += (Evidence("code and text", f"no test accuracy of {listing(missing)}"),)
    if seen.comparison is None:
        words.append("no sentence or section of your text compares the two networks")
        evidence += (Evidence("text", "no comparison of the CNN and the AE classifier"),)
    if not words and seen.comparison is not None:
        return 1.0, f"Both accuracies are reported and compared: \u201c{seen.comparison.excerpt}\u201d.", (
            seen.comparison,), False
    share = (0.0 if missing else 0.5) + (0.0 if seen.comparison is None else 0.5)
    return share, "The comparison with the CNN: " + "; ".join(words) + ".", evidence, False
