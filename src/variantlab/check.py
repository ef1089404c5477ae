"""`variantlab check`: one submission against its student's own variant.

For each of the 11 aspects the rule table fixes, what the code builds (codescan.py) and what the text
states (textscan.py) are set against what the rules require, each verdict with its evidence. The test
accuracies the submission claims are judged against the size of the variant's test set (a claimed
accuracy must be a whole number of images, as rounded, truncated or printed) and against the variant's
measured baselines, by the same `baselines.judge` the report and the class summary use.
"""

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from variantlab import baselines, codescan, textscan
from variantlab.catalog import SPECS
from variantlab.codescan import Found
from variantlab.config import CLASSIFIERS, TITLES, ClassifierName
from variantlab.errors import UserError
from variantlab.rules import Variant, derive
from variantlab.student import Student, parse_dob, parse_roll, parse_student
from variantlab.submission import Submission, read_submission

ASPECTS = tuple(f.name for f in fields(Variant) if f.name != "reasons")
Verdict = Literal["ok", "violates", "contradicts", "not_found"]
PROGRAM_OF_ROLL = {"B": "btech", "M": "mtech", "P": "phd", "D": "phd"}  # the institute's roll prefixes


def evidence_json(evidence: tuple[Found, ...]) -> list[dict]:
    return [{"where": f.where, "excerpt": f.excerpt} for f in evidence]


@dataclass(frozen=True)
class AspectCheck:
    required: object
    code: object | None  # what the code builds (a list where it builds several)
    text: tuple[object, ...]  # each value the text states, once
    verdict: Verdict
    evidence: tuple[Found, ...]

    def to_json(self) -> dict:
        return {"required": self.required, "code": self.code, "text": list(self.text), "verdict": self.verdict,
                "evidence": evidence_json(self.evidence)}


@dataclass(frozen=True)
class ClaimCheck:
    claimed: float | None  # as a fraction
    verdict: str  # plausible | above_measured | below_measured | impossible_for_n | no_baseline | not_found
    why: str
    evidence: tuple[Found, ...]

    def to_json(self) -> dict:
        return {"claimed": self.claimed, "verdict": self.verdict, "why": self.why,
                "evidence": evidence_json(self.evidence)}


@dataclass(frozen=True)
class CheckResult:
    file: str
    student: Student
    variant: Variant
    stated: textscan.Details
    details_agree: bool | None
    aspects: dict[str, AspectCheck]
    claims: dict[str, object]
    judgement: dict[ClassifierName, ClaimCheck]
    findings: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    def code_values(self) -> dict[str, object]:
        return {a: c.code for a, c in self.aspects.items() if c.code is not None}

    def to_json(self) -> dict:
        return {"file": self.file, "student": self.student.to_dict(), "stated_details": self.stated.to_dict(),
                "details_agree": self.details_agree, "aspects": {a: c.to_json() for a, c in self.aspects.items()},
                "claims": self.claims, "judgement": {m: j.to_json() for m, j in self.judgement.items()},
                "findings": list(self.findings)}


def required_values(variant: Variant) -> dict[str, object]:
    values = {a: getattr(variant, a) for a in ASPECTS}
    return values | {"classes": sorted(variant.classes)}


def judge_aspect(required: object, code: list[Found], text: list[Found]) -> AspectCheck:
    """ok, violates (the code builds something else; the text, where there is no code), contradicts (the code
    builds what the rule requires, or the text says it too, but some text states another value), not_found."""
    code_values = list({repr(f.value): f.value for f in code}.values())
    text_values = tuple({repr(f.value): f.value for f in text}.values())
    other_text = [f for f in text if f.value != required]
    code_value = None if not code_values else code_values[0] if len(code_values) == 1 else code_values
    if code:
        if required not in code_values:
            return AspectCheck(required, code_value, text_values, "violates", tuple(code[:3]))
        if other_text:
            agreeing = [f for f in code if f.value == required][:1]
            return AspectCheck(required, code_value, text_values, "contradicts", tuple(agreeing + other_text[:3]))
        return AspectCheck(required, code_value, text_values, "ok", tuple(code[:1] + text[:1]))
    if text:
        if len(other_text) == len(text):
            return AspectCheck(required, None, text_values, "violates", tuple(other_text[:3]))
        if other_text:
            agreeing = [f for f in text if f.value == required][:1]
            return AspectCheck(required, None, text_values, "contradicts", tuple(agreeing + other_text[:3]))
        return AspectCheck(required, None, text_values, "ok", tuple(text[:1]))
    return AspectCheck(required, None, (), "not_found", ())


def whole_images(claim: textscan.Claim, n: int) -> int | None:
    """A number of correct images out of `n` that the claim could be written from (rounded, truncated, or
    printed with float noise), or None when there is none."""
    if claim.noise:
        low, high = claim.value - 1e-6, claim.value + 1e-6
    else:  # rounded: half a unit either way; truncated: up to a whole unit above, inclusive, since 97.9199...
        low, high = claim.value - claim.unit / 2 - 1e-12, claim.value + claim.unit + 1e-12  # prints as 97.91
    k = math.ceil(low * n - 1e-9)
    return k if k <= high * n + 1e-9 and 0 <= k <= n else None


def judge_claim(model: ClassifierName, stated: list[textscan.Claim], variant: Variant, n: int,
                table: baselines.Table) -> ClaimCheck:
    claim = textscan.final_claim(stated)
    if claim is None:
        return ClaimCheck(None, "not_found", f"no test accuracy of the {TITLES[model]} is stated", ())
    evidence = (claim.found,)
    images = whole_images(claim, n)
    if images is None:
        return ClaimCheck(claim.value, "impossible_for_n",
                          f"{claim.found.excerpt!r}: no whole number of the variant's {n:,} test images gives "
                          f"{100 * claim.value:g} %, rounded, truncated or as printed", evidence)
    judgement = baselines.judge(variant, model, claim.value, table)
    return ClaimCheck(claim.value, judgement.verdict, f"{images:,} of {n:,} images; {judgement.why}"
                      + "".join(f"; {c}" for c in judgement.caveats), evidence)


def student_of(stated: textscan.Details) -> Student:
    """The student a submission names, where no details were given: date of birth, roll number (or ABC),
    and programme (stated, or read off the roll number's first letter)."""
    roll = stated.roll or stated.abc
    program = stated.program or (PROGRAM_OF_ROLL.get(stated.roll[0]) if stated.roll else None)
    missing = [name for name, value in (("date of birth", stated.dob), ("roll number or ABC", roll),
                                        ("programme", program)) if not value]
    if missing or roll is None or program is None or stated.dob is None:
        found = ", ".join(f"{k} {v}" for k, v in stated.to_dict().items()) or "nothing"
        raise UserError(f"the submission does not state the student's {', '.join(missing)} (found: {found}); "
                        "give --dob, --roll and --program")
    return parse_student(stated.dob, roll, program, stated.first or "", stated.last or "")


def agree(student: Student, stated: textscan.Details) -> bool | None:
    """Whether the details a submission states are the student's; None where it states none."""
    checks = []
    if stated.dob:
        try:
            checks.append(parse_dob(stated.dob) == (student.day, student.month, student.year))
        except UserError:
            checks.append(False)
    if stated.roll:
        checks.append(stated.roll.upper() == student.roll.upper() or parse_roll(stated.roll)[1] == student.abc)
    if stated.abc:
        checks.append(stated.abc == student.abc)
    if stated.program:
        checks.append(stated.program == student.program)
    return all(checks) if checks else None


def check(path: Path, student: Student | None = None, table: baselines.Table | None = None) -> CheckResult:
    """Check one submission (a file, or a folder read as one), against `student`'s variant when given, else
    against the details the submission states."""
    return check_submission(read_submission(Path(path)), student, table)


def check_submission(submission: Submission, student: Student | None = None,
                     table: baselines.Table | None = None) -> CheckResult:
    table = baselines.shipped() if table is None else table
    read = textscan.lines(submission.text)
    stated = textscan.details(read)
    given = student is not None
    student = student if student is not None else student_of(stated)
    variant = derive(student)
    code, unparsed = codescan.scan(submission.code)
    text = textscan.aspects(read)
    required = required_values(variant)
    aspects = {a: judge_aspect(required[a], code.get(a, []), text.get(a, [])) for a in ASPECTS}
    accuracy, sizes = textscan.claims(read)
    train_n, test_n = SPECS[variant.dataset].subset_sizes(variant.classes)
    judgement = {m: judge_claim(m, accuracy.get(m, []), variant, test_n, table) for m in CLASSIFIERS}
    details_agree = agree(student, stated) if given else None
    claims: dict[str, object] = {f"{m}_test_accuracy": judgement[m].claimed for m in CLASSIFIERS}
    claims |= {key: found[-1].value for key, found in sizes.items()}
    claims |= {"statements": sum(len(v) for v in accuracy.values()), "variant_test_size": test_n,
               "variant_train_size": train_n}
    own = ", ".join(f"{k} {v}" for k, v in stated.to_dict().items())
    findings = [f"the submission states other details ({own}) than the student's ({student.dob}, {student.roll}, "
                f"{student.program})"] if details_agree is False else []
    findings += [f"{a}: {c.verdict}, the rule requires {c.required!r}; code {c.code!r}, text {list(c.text)!r} "
                 f"({c.evidence[0].where})" for a, c in aspects.items() if c.verdict in ("violates", "contradicts")]
    findings += [f"{TITLES[m]} accuracy {j.verdict}: {j.why} ({j.evidence[0].where})" for m, j in judgement.items()
                 if j.verdict in ("above_measured", "below_measured", "impossible_for_n")]
    chance = 1 / len(variant.classes)
    findings += [f"{TITLES[m]} accuracy {100 * j.claimed:.2f} % is at or below chance ({100 * chance:.0f} %)"
                 for m, j in judgement.items() if j.claimed is not None and j.claimed <= chance]
    stated_test = [f for f in sizes.get("test_size", []) if f.value != test_n]
    findings += [f"states {f.value:,} test images, but the variant's five classes have {test_n:,} ({f.where})"
                 for f in stated_test[:1]]
    findings += [f"could not read {problem}" for problem in submission.skipped]
    findings += [f"{p.where()}: code that could not be read (it does not parse, or is over a million characters)"
                 for p in unparsed]
    return CheckResult(submission.path.name, student, variant, stated, details_agree, aspects, claims, judgement,
                       tuple(findings))
