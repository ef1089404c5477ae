"""`variantlab check`: one submission against its student's own variant.

For each of the 11 aspects the rule table fixes, what the code builds (codescan.py) and what the text
states (textscan.py) are set against what the rules require, each verdict with its evidence. The test
accuracies the submission claims (claims.py) are judged against the size of the variant's test set (a
claimed accuracy must be a whole number of images, as rounded, truncated or printed) and against the
variant's measured baselines, by the same `baselines.judge` the report and the class summary use.

Without a date of birth (none given, none stated), the aspects the roll number and programme decide are
checked and the others are `unknown`: a partial check says what it can and no more.
"""

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

from variantlab.check import claims, codescan, textscan
from variantlab.check.claims import Claim
from variantlab.check.codescan import Found
from variantlab.check.submission import Submission, read_submission
from variantlab.errors import UserError
from variantlab.exam.catalog import SPECS
from variantlab.exam.rules import Variant, derive, without_dob
from variantlab.exam.student import PROGRAMS, Student, parse_dob, parse_program, parse_roll, parse_student
from variantlab.training import baselines
from variantlab.training.config import CLASSIFIERS, TITLES, ClassifierName

ASPECTS = tuple(f.name for f in fields(Variant) if f.name != "reasons")
Verdict = Literal["ok", "violates", "contradicts", "not_found", "unknown"]
PROGRAM_OF_ROLL = {"B": "btech", "M": "mtech", "P": "phd", "D": "phd"}  # the institute's roll prefixes
NO_DOB = "the date of birth decides it, and none was given or stated"


def evidence_json(evidence: tuple[Found, ...]) -> list[dict]:
    """Each piece of evidence: where and the line; a dataset's role (train or test) where the code says."""
    return [{"where": f.where, "excerpt": f.excerpt} | ({"role": f.role} if f.role else {}) for f in evidence]


@dataclass(frozen=True)
class AspectCheck:
    required: object  # None where the details given do not decide it
    code: object | None  # what the code builds (a list where it builds several)
    text: tuple[object, ...]  # each value the text states, once
    verdict: Verdict
    evidence: tuple[Found, ...]
    why: str = ""

    def to_json(self) -> dict:
        return {"required": self.required, "code": self.code, "text": list(self.text), "verdict": self.verdict,
                "evidence": evidence_json(self.evidence)} | ({"why": self.why} if self.why else {})


@dataclass(frozen=True)
class ClaimCheck:
    claimed: float | None  # as a fraction
    verdict: str  # plausible | above_measured | below_measured | not_judged_low | impossible_for_n | no_baseline |
    # not_found | unknown
    why: str
    evidence: tuple[Found, ...]

    @property
    def accuses(self) -> bool:
        return self.verdict in ("above_measured", "below_measured", "impossible_for_n")

    def to_json(self) -> dict:
        return {"claimed": self.claimed, "verdict": self.verdict, "why": self.why,
                "evidence": evidence_json(self.evidence)}


@dataclass(frozen=True)
class Identity:
    """Whom a submission is checked against: a whole student, or (no date of birth) the roll number and
    programme alone."""

    roll: str
    abc: str
    program: str
    dob: str | None
    first: str = ""
    last: str = ""
    given: bool = False  # the grader gave these details; else the submission's own were used

    @property
    def student(self) -> Student | None:
        return parse_student(self.dob, self.roll, self.program, self.first, self.last) if self.dob else None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first, self.last) if part)

    def to_dict(self) -> dict:
        student = self.student
        return student.to_dict() if student else {"roll": self.roll, "abc": self.abc, "program": self.program,
                                                  "dob": None, "first": self.first, "last": self.last}

    @classmethod
    def of(cls, student: Student, given: bool = True) -> "Identity":
        return cls(student.roll, student.abc, student.program, student.dob, student.first, student.last, given)


@dataclass(frozen=True)
class CheckResult:
    file: str
    identity: Identity
    variant: Variant | None  # None for a partial check (no date of birth)
    stated: textscan.Details
    details_agree: bool | None
    aspects: dict[str, AspectCheck]
    claims: dict[str, object]
    statements: tuple[Claim, ...]  # every accuracy claim read, attributed or not, in order
    judgement: dict[ClassifierName, ClaimCheck]
    findings: tuple[str, ...]
    hyperparameters: dict[str, dict[str, list[Found]]] = field(default_factory=dict)  # network -> name -> values

    @property
    def student(self) -> Student | None:
        return self.identity.student

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    def code_values(self) -> dict[str, object]:
        return {a: c.code for a, c in self.aspects.items() if c.code is not None}

    def to_json(self) -> dict:
        return {"file": self.file, "student": self.identity.to_dict(), "stated_details": self.stated.to_dict(),
                "details_agree": self.details_agree, "aspects": {a: c.to_json() for a, c in self.aspects.items()},
                "claims": self.claims | {"statements": [c.to_json() for c in self.statements]},
                "judgement": {m: j.to_json() for m, j in self.judgement.items()},
                "hyperparameters": {network: {name: [{"value": f.value, "where": f.where, "excerpt": f.excerpt}
                                                     for f in found] for name, found in names.items()}
                                    for network, names in self.hyperparameters.items()},
                "findings": list(self.findings)}


def required_values(variant: Variant) -> dict[str, object]:
    values = {a: getattr(variant, a) for a in ASPECTS}
    return values | {"classes": sorted(variant.classes)}


def shown(value: object) -> str:
    """A value in a finding: fashion_mnist, 1, 3, 5, 7, 9, [[0, 2, 4, 6, 8], 'all 10 classes']."""
    if isinstance(value, list) and not any(isinstance(v, list) for v in value):
        return ", ".join(map(str, value))
    return value if isinstance(value, str) else repr(value)


def judge_aspect(required: object, code: list[Found], text: list[Found]) -> AspectCheck:
    """ok (every value the code builds is the required one, and no text states another), violates (the code
    builds any other value; without code, every statement in the text says another), contradicts (the code
    builds what the rule requires, or the text says it too, but some text states another value), not_found,
    unknown (the details given do not decide the aspect)."""
    code_values = list({repr(f.value): f.value for f in code}.values())
    text_values = tuple({repr(f.value): f.value for f in text}.values())
    code_value = None if not code_values else code_values[0] if len(code_values) == 1 else code_values
    if required is None:
        return AspectCheck(None, code_value, text_values, "unknown", tuple(code[:1] + text[:1]), NO_DOB)
    other_text = [f for f in text if f.value != required]
    if code:
        others = [f for f in code if f.value != required]
        if others:
            agreeing = [f for f in code if f.value == required][:1]
            also = ", ".join(shown(v) for v in code_values if v != required)
            why = f"the code builds {shown(required)} and also {also}" if agreeing else ""
            return AspectCheck(required, code_value, text_values, "violates", tuple(others[:3] + agreeing), why)
        if other_text:
            return AspectCheck(required, code_value, text_values, "contradicts", tuple(code[:1] + other_text[:3]))
        return AspectCheck(required, code_value, text_values, "ok", tuple(code[:1] + text[:1]))
    if text:
        if len(other_text) == len(text):
            return AspectCheck(required, None, text_values, "violates", tuple(other_text[:3]))
        if other_text:
            agreeing = [f for f in text if f.value == required][:1]
            return AspectCheck(required, None, text_values, "contradicts", tuple(agreeing + other_text[:3]))
        return AspectCheck(required, None, text_values, "ok", tuple(text[:1]))
    return AspectCheck(required, None, (), "not_found", ())


def whole_images(claim: Claim, n: int) -> int | None:
    """A number of correct images out of `n` that the claim could be written from (rounded, truncated, or
    printed with float noise), or None when there is none."""
    if claim.noise:
        low, high = claim.value - 1e-6, claim.value + 1e-6
    else:  # rounded: half a unit either way; truncated: up to a whole unit above, inclusive, since 97.9199...
        low, high = claim.value - claim.unit / 2 - 1e-12, claim.value + claim.unit + 1e-12  # prints as 97.91
    k = math.ceil(low * n - 1e-9)
    return k if k <= high * n + 1e-9 and 0 <= k <= n else None


def judged_claim(stated: list[Claim]) -> Claim | None:
    """The claim a network is judged by: the student's own final words (made more precise by a printed
    output that agrees with them), else the final printed output."""
    written = claims.final_claim([c for c in stated if not c.printed])
    printed = [c for c in stated if c.printed]
    if written is None:
        return claims.final_claim(printed)
    finer = [c for c in printed if c.unit < written.unit and claims.agrees(c, written)]
    return min(finer, key=lambda c: c.unit) if finer else written


def judge_claim(model: ClassifierName, claim: Claim | None, variant: Variant | None, sizes: set[int],
                table: baselines.Table) -> ClaimCheck:
    """A claim against the variant's test set size(s) and its baselines; `sizes` holds every test set size
    the variant may have (more than one where the date of birth, which decides the classes, is unknown)."""
    if claim is None:
        return ClaimCheck(None, "not_found", f"no test accuracy of the {TITLES[model]} is stated", ())
    evidence = (claim.found,)
    images = {n: whole_images(claim, n) for n in sorted(sizes)}
    if all(k is None for k in images.values()):
        counts = " or ".join(f"{n:,}" for n in images)
        return ClaimCheck(claim.value, "impossible_for_n",
                          f"{claim.found.excerpt!r}: no whole number of the variant's {counts} test images gives "
                          f"{100 * claim.value:g} %, rounded, truncated or as printed", evidence)
    if variant is None:
        return ClaimCheck(claim.value, "unknown", "the date of birth decides the classes, and so the baselines; "
                          "none was given or stated", evidence)
    (n, k), = images.items()
    judgement = baselines.judge(variant, model, claim.value, table)
    return ClaimCheck(claim.value, judgement.verdict, f"{k:,} of {n:,} images; {judgement.why}"
                      + "".join(f"; {c}" for c in judgement.caveats), evidence)


def identity_of(stated: textscan.Details, given: Identity | None) -> Identity:
    """The details a submission is checked against: those given, else those it states (a programme not
    stated read off the roll number's first letter). A roll number and a programme are needed; a date of
    birth only for the aspects it decides."""
    if given is not None:
        return given
    roll = stated.roll or stated.abc
    program = stated.program or (PROGRAM_OF_ROLL.get(stated.roll[0].upper()) if stated.roll else None)
    if roll is None or program is None:
        missing = [name for name, value in (("roll number or ABC", roll), ("programme", program)) if not value]
        found = ", ".join(f"{k} {v}" for k, v in stated.to_dict().items()) or "nothing"
        raise UserError(f"the submission does not state the student's {' or '.join(missing)} (found: {found}); "
                        "give --roll and --program (and --dob)")
    roll, abc = parse_roll(roll)
    dob = None
    if stated.dob:
        day, month, year = parse_dob(stated.dob)
        dob = f"{day:02d}/{month:02d}/{year % 100:02d}"
    return Identity(roll, abc, parse_program(program), dob, stated.first or "", stated.last or "")


def agree(identity: Identity, stated: textscan.Details) -> bool | None:
    """Whether the details a submission states are the student's (the whole roll number, where one was
    given whole); None where it states none."""
    checks = []
    if stated.dob and identity.dob:
        try:
            checks.append(parse_dob(stated.dob)[:2] == parse_dob(identity.dob)[:2]
                          and parse_dob(stated.dob)[2] % 100 == parse_dob(identity.dob)[2] % 100)
        except UserError:
            checks.append(False)
    if stated.roll:
        whole = len(identity.roll) > 3
        checks.append(stated.roll.upper() == identity.roll.upper() if whole else stated.roll[-3:] == identity.abc)
    if stated.abc:
        checks.append(stated.abc == identity.abc)
    if stated.program:
        checks.append(stated.program == identity.program)
    return all(checks) if checks else None


def network_defaults(submission: Submission, code: dict[str, list[Found]],
                     read: list[textscan.Line]) -> dict[str, claims.Network]:
    """Each file's network where a claim names none: the one its name says (q1.py), else the only one its
    code builds and its text names, else the only one the whole submission builds and names."""
    per_file: dict[str, set[claims.Network]] = {name: set() for name in submission.files}
    built: tuple[tuple[str, claims.Network], ...] = (("conv_layers", "cnn"), ("ae_layers", "ae_classifier"),
                                                     ("ae_fc_nodes", "ae_classifier"))
    for aspect, network in built:
        for found in code.get(aspect, []):
            per_file.setdefault(found.where.split(", ")[0], set()).add(network)
    for file, paragraph in {(line.piece.file, line.paragraph) for line in read}:  # each sentence shares its own
        per_file.setdefault(file, set()).update(n for _, n in claims.named(paragraph))
    everywhere: set[claims.Network] = set().union(*per_file.values())
    defaults: dict[str, claims.Network] = {}
    for name, networks in per_file.items():
        only = networks if len(networks) == 1 else everywhere if len(everywhere) == 1 else set()
        chosen = claims.file_network(name) or (next(iter(only)) if only else None)
        if chosen is not None:
            defaults[name] = chosen
    return defaults


def check(path: Path, student: Student | None = None, table: baselines.Table | None = None) -> CheckResult:
    """Check one submission (a file, or a folder read as one), against `student`'s variant when given, else
    against the details the submission states."""
    return check_submission(read_submission(Path(path)), Identity.of(student) if student else None, table)


def check_submission(submission: Submission, given: Identity | Student | None = None,
                     table: baselines.Table | None = None) -> CheckResult:
    table = baselines.shipped() if table is None else table
    if isinstance(given, Student):
        given = Identity.of(given)
    read = textscan.lines(list(submission.pieces))
    stated = textscan.details(read, submission.files)
    identity = identity_of(stated, given)
    student = identity.student
    variant = derive(student) if student else None
    required: dict[str, object] = required_values(variant) if variant else dict.fromkeys(ASPECTS)
    if variant is None:
        required |= without_dob(identity.abc, identity.program)
    reading = codescan.Reading(submission.code)
    code = reading.aspects
    text = textscan.aspects(read)
    aspects = {a: judge_aspect(required[a], code.get(a, []), text.get(a, [])) for a in ASPECTS}
    statements = claims.accuracy_claims(read, network_defaults(submission, code, read))
    dataset = str(required["dataset"])
    class_sets = [variant.classes] if variant else [(0, 2, 4, 6, 8), (1, 3, 5, 7, 9)]
    sizes = [SPECS[dataset].subset_sizes(c) for c in class_sets]
    judged = {m: judged_claim([c for c in statements if c.network == m and not c.per_class]) for m in CLASSIFIERS}
    judgement = {m: judge_claim(m, judged[m], variant, {test for _, test in sizes}, table) for m in CLASSIFIERS}
    details_agree = agree(identity, stated) if identity.given else None
    stated_sizes = claims.sizes_stated(read)
    summary: dict[str, object] = {f"{m}_test_accuracy": judgement[m].claimed for m in CLASSIFIERS}
    summary |= {key: found[-1].value for key, found in stated_sizes.items()}
    summary |= {"unattributed": sum(c.network is None for c in statements)}
    if variant:
        summary |= {"variant_test_size": sizes[0][1], "variant_train_size": sizes[0][0]}
    findings = findings_of(identity, stated, details_agree, aspects, judgement, statements, judged, variant,
                           stated_sizes, {test for _, test in sizes})
    findings += [f"could not read {problem}" for problem in submission.skipped]
    findings += [f"{p.where()}: code that could not be read (it does not parse, or is over a million characters)"
                 for p in reading.unparsed]
    return CheckResult(submission.path.name, identity, variant, stated, details_agree, aspects, summary,
                       tuple(statements), judgement, tuple(findings), reading.hyperparameters)


def findings_of(identity: Identity, stated: textscan.Details, details_agree: bool | None,
                aspects: dict[str, AspectCheck], judgement: dict[ClassifierName, ClaimCheck],
                statements: list[Claim], judged: dict[ClassifierName, Claim | None], variant: Variant | None,
                stated_sizes: dict[str, list[Found]], test_sizes: set[int]) -> list[str]:
    """What a grader should look at. A finding that accuses (a claim out of reach, impossible or at chance)
    is raised only on a claim given to its network by what the submission says."""
    own = ", ".join(f"{k} {v}" for k, v in stated.to_dict().items())
    findings = [f"the submission states other details ({own}) than the student's ({identity.dob or 'no date'}, "
                f"{identity.roll}, {PROGRAMS[identity.program]})"] if details_agree is False else []
    findings += [f"{a}: {c.verdict}, the rule requires {shown(c.required)}; code {shown(c.code)}, text "
                 f"{shown(list(c.text))}{f' ({c.why})' if c.why else ''} ({c.evidence[0].where})"
                 for a, c in aspects.items() if c.verdict in ("violates", "contradicts")]
    findings += [f"{TITLES[m]} accuracy {j.verdict}: {j.why} ({j.evidence[0].where})" for m, j in judgement.items()
                 if j.accuses]
    classes = len(variant.classes) if variant else 5
    findings += [f"{TITLES[m]} accuracy {100 * j.claimed:.2f} % is at or below chance ({100 / classes:.0f} %) "
                 f"({j.evidence[0].where})" for m, j in judgement.items()
                 if j.claimed is not None and j.claimed <= 1 / classes]
    for m in CLASSIFIERS:
        claim = judged[m]
        printed = [c for c in statements if c.network == m and c.printed and not c.per_class]
        if claim is None or claim.printed or not printed or any(claims.agrees(claim, c) for c in printed):
            continue
        findings.append(f"{TITLES[m]}: the text says {100 * claim.value:.2f} % ({claim.found.where}), but the "
                        f"submission's own output printed {100 * printed[-1].value:.2f} % ({printed[-1].found.where})")
    other_test = [f for f in stated_sizes.get("test_size", []) if f.value not in test_sizes]
    findings += [f"states {f.value:,} test images, but the variant's five classes have "
                 f"{' or '.join(f'{n:,}' for n in sorted(test_sizes))} ({f.where})" for f in other_test[:1]]
    return findings
