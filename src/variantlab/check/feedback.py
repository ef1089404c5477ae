"""Each student's feedback, `feedback/<roll>.html` and `.pdf`: their variant and why, what their submission
builds against it, how their accuracies were judged, their marks by rubric item with the evidence of each
deduction, and the grader's comments. Written for the student, in plain words.

It names no other student: a finding about another submission says "another submission", and every text it
prints (the student's own excerpts included, which may hold a copied header) has the class's other roll
numbers and names taken out.
"""

import re
from collections.abc import Mapping
from pathlib import Path

from variantlab.atomic import inside, write_text
from variantlab.check import plain
from variantlab.check.check import ASPECTS
from variantlab.check.rubric import Mark, Marks
from variantlab.exam.rules import variant_table
from variantlab.exam.student import PROGRAMS
from variantlab.report.document import Block, Heading, Paragraph, table, to_html
from variantlab.training.config import CLASSIFIERS

VERDICT_WORDS = {"ok": "as required", "violates": "not your variant's", "contradicts": "text and code disagree",
                 "not_found": "not found", "unknown": "not checked"}
ROLL_LIKE = re.compile(r"(?<![A-Za-z0-9])[BMPD]\d{2}[A-Z]{2,4}\d{3}(?![0-9A-Za-z])", re.I)  # the institute's rolls
SHOWN_FINDINGS = ("aspect", "claim")  # findings the feedback shows in its own sections


TOKEN = re.compile(r"[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*")
WORD_RUN = re.compile(r"[^\W\d_]+(?:(?:\s*,\s*|\s+)[^\W\d_]+)*")  # words apart by spaces or a comma
WORD = re.compile(r"[^\W\d_]+")


class Others:
    """Takes the class's other students out of a text: their roll numbers (and anything shaped like one) and
    their names, written first-last, last-first or "last, first". Looks words up in sets, so a class of any
    size costs the same per text."""

    def __init__(self, roll: str, roster: Mapping[str, str]):
        self.roll = roll.upper()
        self.rolls = {r.upper() for r in roster} - {self.roll}
        own = {w.casefold() for w in roster.get(roll, "").split()}
        self.names: set[tuple[str, ...]] = set()
        for other, name in roster.items():
            words = tuple(w.casefold() for w in WORD.findall(name))
            if other.upper() != self.roll and len(words) >= 2 and not set(words) <= own:
                self.names |= {words, (words[-1], *words[:-1])}
        self.lengths = sorted({len(n) for n in self.names}, reverse=True)

    def token(self, match: re.Match) -> str:
        token = match.group(0)
        if self.other_roll(token):
            return "another student"
        return "".join("another student" if self.other_roll(part) else part for part in re.split(r"([_-])", token))

    def other_roll(self, text: str) -> bool:
        upper = text.upper()
        return upper in self.rolls or (upper != self.roll and ROLL_LIKE.fullmatch(text) is not None)

    def run(self, match: re.Match) -> str:
        text, words = match.group(0), list(WORD.finditer(match.group(0)))
        out, at, i = [], 0, 0
        while i < len(words):
            length = next((n for n in self.lengths if tuple(w.group(0).casefold() for w in words[i:i + n])
                           in self.names), 0)
            if length:
                out += [text[at:words[i].start()], "another student"]
                at, i = words[i + length - 1].end(), i + length
            else:
                i += 1
        return "".join(out) + text[at:]

    def __call__(self, text: str) -> str:
        text = TOKEN.sub(self.token, text)
        return WORD_RUN.sub(self.run, text) if self.names else text


def points(value: float | None) -> str:
    return "to mark" if value is None else f"{value:g}"


def feedback_blocks(result: dict, marks: Marks, roster: Mapping[str, str]) -> list[Block]:
    """One student's feedback. `roster`: every student of the class, roll -> name, so that no other is named."""
    roll = marks.roll
    clean = Others(roll, roster)
    student = result.get("student") or {}
    name = " ".join(p for p in (student.get("first"), student.get("last")) if p) or roster.get(roll, "")
    who = ", ".join(p for p in (f"**{name}**" if name else "", roll, PROGRAMS.get(student.get("program", ""), ""))
                    if p)
    blocks: list[Block] = [Heading(1, "Minor 1: your marks and feedback"),
                           Paragraph(clean(f"{who}. Checked: `{result.get('file', '')}`."))]
    blocks += summary(marks)
    blocks += variant_section(result)
    blocks += aspects_section(result, clean)
    blocks += claims_section(result, clean)
    blocks += findings_section(result, clean)
    blocks += marks_section(marks, clean)
    blocks += comments_section(marks, clean)
    return blocks


def summary(marks: Marks) -> list[Block]:
    waiting = [m.item.title for m in marks.marks if m.points is None]
    words = f"**Your marks: {marks.total:g} of {marks.maximum:g}.**"
    if waiting:
        words += (f" Provisional: the grader has still to mark {len(waiting)} item(s) the check cannot see "
                  f"({'; '.join(waiting)}).")
    rows = [[part, f"{got:g}", f"{most:g}"] for part, (got, most) in marks.parts().items()]
    return [Paragraph(words), table(["part", "marks", "of"], rows)]


def variant_section(result: dict) -> list[Block]:
    variant = plain.variant_of(result)
    if variant is None:
        return [Heading(2, "Your variant"),
                Paragraph("Your date of birth was not given, so only what your roll number and programme decide "
                          "was checked.")]
    return [Heading(2, "Your variant, and why"),
            Paragraph("What the exam's rules give you, from your date of birth, roll number and programme."),
            table(["aspect", "your variant", "because"], variant_table(variant))]


def first_evidence(saved) -> str:
    found = [e for e in saved or [] if isinstance(e, dict)]
    return f"{found[0].get('where', '')}: `{found[0].get('excerpt', '')}`" if found else ""


def aspects_section(result: dict, clean: Others) -> list[Block]:
    reasons = plain.reasons(result)
    rows = []
    for aspect in ASPECTS:
        check = (result.get("aspects") or {}).get(aspect)
        if not isinstance(check, dict):
            continue
        verdict = str(check.get("verdict"))
        rows.append([aspect.replace("_", " "), VERDICT_WORDS.get(verdict, verdict),
                     clean(plain.aspect_sentence(aspect, check, reasons.get(aspect, ""))),
                     clean(first_evidence(check.get("evidence")))])
    return [Heading(2, "What your submission builds"),
            Paragraph("Each aspect of your variant as your code builds it and your text states it, with the line "
                      "that shows it."),
            table(["aspect", "verdict", "what the check found", "where"], rows)]


def claims_section(result: dict, clean: Others) -> list[Block]:
    rows = []
    for network in CLASSIFIERS:
        judged = (result.get("judgement") or {}).get(network) or {}
        rows.append([plain.NETWORKS[network].removeprefix("the "), clean(plain.claim_sentence(network, judged)),
                     clean(first_evidence(judged.get("evidence")))])
    return [Heading(2, "Your test accuracies"),
            Paragraph("Each network's test accuracy as your submission states it, judged against your variant's "
                      "test set and what runs of your variant reach."),
            table(["network", "how it was judged", "where"], rows)]


def findings_section(result: dict, clean: Others) -> list[Block]:
    found = [plain.Finding.of(str(f)) for f in result.get("findings") or []]
    shown = [clean(f.words) for f in found if f.kind not in SHOWN_FINDINGS]
    if not shown:
        return []
    return [Heading(2, "Other things the check noticed"), table(["finding"], [[s] for s in shown])]


def deduction(m: Mark) -> str:
    """The evidence of what an item lost; nothing where it lost nothing or waits for the grader."""
    if m.points is None or m.points >= m.item.points:
        return ""
    return "; ".join(f"{e.where}: `{e.excerpt}`" if e.where else e.excerpt for e in m.evidence[:4])


def marks_section(marks: Marks, clean: Others) -> list[Block]:
    rows = []
    for m in marks.marks:
        why = m.why + (f" Grader: {m.comment}" if m.comment else "") + (" (set by the grader)" if m.adjusted else "")
        rows.append([m.item.part, m.item.title, points(m.points), f"{m.item.points:g}", clean(why),
                     clean(deduction(m))])
    rows += [["", "Added or taken off by the grader", f"{a.points:+g}", "", clean(a.comment), ""]
             for a in marks.other if a.points is not None]
    return [Heading(2, "Your marks by rubric item"),
            Paragraph(f"The rubric ({marks.rubric.title}): each item's marks, why, and the evidence of anything "
                      "taken off."),
            table(["part", "item", "marks", "of", "why", "evidence"], rows)]


def comments_section(marks: Marks, clean: Others) -> list[Block]:
    comments = [f"{m.item.title}: {m.comment}" for m in marks.marks if m.comment]
    comments += [a.comment for a in marks.other if a.comment]
    return [Heading(2, "The grader's comments"), *(Paragraph(clean(c)) for c in comments or ["None yet."])]


def write_feedback(folder: Path, result: dict, marks: Marks, roster: Mapping[str, str]) -> tuple[Path, Path]:
    """`folder/<roll>.html` and `folder/<roll>.pdf`, written atomically."""
    from variantlab.report.pdf import to_pdf

    blocks = feedback_blocks(result, marks, roster)
    html_path = write_text(inside(Path(folder), f"{marks.roll}.html"), to_html(blocks))
    pdf_path = to_pdf(blocks, f"Minor 1 feedback · {marks.roll}", inside(Path(folder), f"{marks.roll}.pdf"))
    return html_path, pdf_path
