"""The test accuracies a submission states, each given to the network a careful reader would give it, and
the data sizes it states.

A number is an accuracy claim when an accuracy word governs it (in its clause, or a table row's key or
column), no training or validation word qualifies it, and it is not a difference ("ahead by 0.4 points"),
a spread ("98.5 ± 0.1"), or someone else's number (a reference, a baseline, chance). It goes to the
network named nearest to it: in its clause, else its sentence, else its paragraph (for a printed output:
the code of the cell that printed it), else the question its headings put it under, else the question
its file's name says (`q1.py`), else the one network the file builds or names. A claim whose network
cannot be told is kept as unattributed: listed, never judged.

Of a network's overall claims the student's final words are judged (check.py); per-class figures and
earlier claims are listed beside it.
"""

import re
from dataclasses import dataclass, replace
from typing import Literal

from variantlab.check.codescan import Found
from variantlab.check.textscan import AE_NAME, CNN_NAME, NAMES, Line

Network = Literal["cnn", "ae_classifier"]
NETWORKS: tuple[Network, ...] = ("cnn", "ae_classifier")


@dataclass(frozen=True)
class Claim:
    """A test accuracy as stated: the value (a fraction), how precisely it was written, and where."""

    value: float
    unit: float  # the last written digit's place, as a fraction (97.91 % -> 0.0001; 0.9792 -> 0.0001)
    noise: bool  # printed float noise (97.91999999999999): the value is exact
    found: Found
    network: Network | None = None
    by: str = ""  # what told the network: clause, sentence, paragraph, cell code, section, file name, only network
    per_class: bool = False  # one class's accuracy, not the network's overall one
    printed: bool = False  # printed by the submission's code, not written by the student

    def to_json(self) -> dict:
        return {"value": self.value, "network": self.network or "unattributed", "attributed_by": self.by,
                "scope": "per_class" if self.per_class else "overall", "source": "output" if self.printed else "text",
                "where": self.found.where, "excerpt": self.found.excerpt}


def agrees(a: Claim, b: Claim) -> bool:
    """Whether two statements can be one result: equal, or the coarser one the finer rounded or truncated."""
    fine, coarse = sorted((a, b), key=lambda c: c.unit)
    return abs(fine.value - coarse.value) <= coarse.unit / 2 + 1e-12 or (
        0 <= fine.value - coarse.value < coarse.unit + 1e-12)


def final_claim(stated: list[Claim]) -> Claim | None:
    """The last statement, unless an earlier one is more precise and the last is it rounded or truncated."""
    if not stated:
        return None
    last = stated[-1]
    ranked = sorted(enumerate(stated[:-1]), key=lambda pair: (pair[1].unit, -pair[0]))  # most precise, then latest
    return next((earlier for _, earlier in ranked if earlier.unit < last.unit and agrees(earlier, last)), last)


ACC_WORD = re.compile(r"(?<![a-z])acc(?:uracy|uracies)?(?![a-z])|\bclassification rate\b", re.I)  # test_acc too
TRAIN_VAL = re.compile(r"\btrain\w*|\bval\w*|\bdev(?:elopment)? set\b|\bepoch\b|\breconstruct\w*", re.I)
TEST_WORD = re.compile(r"(?<![a-z])test\w*|\bevaluat\w*|\bunseen\b|\bheld[- ]out\b", re.I)
# A training log's line, printed or pasted: Keras's progress bar, "Batch [400/469]", "Epoch 3/15".
TRAINING_LOG = re.compile(r"\[=+|\bETA:|/(?:step|sample)\b|\b(?:batch|step|epoch)\s*\[?\s*\d+\s*/\s*\d+", re.I)
TEST_CODE = re.compile(r"test|evaluat", re.I)  # a cell's code that evaluates: test_loader, X_test, evaluate(
OTHERS = re.compile(r"\breference\b|\bbaseline|\bpaper\b|\btarget\b|\bexpected\b|state[- ]of[- ]the[- ]art|\bsota\b|"
                    r"\bliterature\b|\bchance\b|\brandom guess|\bpublished\b|\bprofile\b", re.I)
OTHER_METRIC = re.compile(r"\bloss\b|\bmse\b|\berror\b|\blr\b|learning rate|\bprecision\b|\brecall\b|\bf1\b|"
                          r"\bseconds?\b|\bdropout\b|\bmomentum\b|\bdecay\b", re.I)
DIFFERENCE = re.compile(r"\b(ahead|behind|gap|difference|differs?|improv\w*|increas\w*|decreas\w*|drop\w*|margin|"
                        r"more|less|higher|lower|better|worse|beats?|trails?|outperform\w*|exceed\w*)\b", re.I)
# A count of images (4896/5000), or a number with its decimals (a decimal comma only before a percent sign:
# "91,03 %"; elsewhere a comma separates numbers, or thousands).
NUMBER_OR_COUNT = re.compile(r"(?<![\w.,])(?:(\d{1,6})\s{0,2}/\s{0,2}(\d{2,6})\b|"
                             r"(\d{1,3}(?:\.(\d{1,20})|,(\d{1,2})(?=\s?%))?)\s{0,2}(%?))")
CLAUSE_BREAK = re.compile(r";|,\s+|\s+(?:whereas|while|but|however|versus|vs\.?|compared (?:to|with))\s+|"
                          r"\s+and\s+(?=(?:the|its|a|an|\d)\b)", re.I)
AE_CODE = re.compile(r"auto_?enc|(?<![a-z])ae(?![a-z])|encoder", re.I)  # names in code: ae_classifier, AutoEncoder
CNN_CODE = re.compile(r"cnn|conv_?net", re.I)
PER_CLASS = re.compile(r"\bclass(?:es)?\s*[:#]?\s*\d\b|\bdigit\s*\d\b|\bper[- ]class\b|\bclass[- ]wise\b|"
                       r"\beach class\b|\bfor class\b|" + "|".join(rf"\b{re.escape(n)}\b" for n in NAMES), re.I)
FILE_QUESTION = re.compile(r"(?<![a-z])q(?:uestion|ues)?[\s_-]*0?([12])(?!\d)|(cnn)|"
                           r"(auto[\s_-]?enc|(?<![a-z])ae(?![a-z]))", re.I)


def named(text: str, code: bool = False) -> list[tuple[int, Network]]:
    """(position, network) of each mention of a network in prose (or in code's names)."""
    ae, cnn = (AE_CODE, CNN_CODE) if code else (AE_NAME, CNN_NAME)
    mentions: list[tuple[int, Network]] = [(m.start(), "ae_classifier") for m in ae.finditer(text)]
    mentions += [(m.start(), "cnn") for m in cnn.finditer(text)]
    return sorted(mentions)


def nearest(mentions: list[tuple[int, Network]], at: int) -> Network | None:
    """The network mentioned nearest before `at`; with none before, the one network named after it. None
    where none is named, or both are and only after it: a reader could not tell."""
    before = [network for position, network in mentions if position <= at]
    after = {network for position, network in mentions if position > at}
    return before[-1] if before else after.pop() if len(after) == 1 else None


def file_network(name: str) -> Network | None:
    """The network a file's name says it holds: q1 / question1 / cnn, q2 / autoencoder / ae."""
    networks: set[Network] = set()
    for m in FILE_QUESTION.finditer(name.rsplit("/", 1)[-1]):
        networks.add("cnn" if m.group(1) == "1" or m.group(2) else "ae_classifier")
    return networks.pop() if len(networks) == 1 else None


def as_claim(match: re.Match, line: Line) -> Claim | None:
    """A number as an accuracy: a count of images (4896/5000, exact), a percent, or a fraction with decimals."""
    if match.group(1):
        correct, total = int(match.group(1)), int(match.group(2))
        return Claim(correct / total, 0.0, True, line.found(correct / total)) if 0 < correct <= total else None
    number, decimals, percent = match.group(3), match.group(4) or match.group(5) or "", match.group(6)
    value = float(number.replace(",", "."))
    if percent or (1 < value <= 100 and decimals):
        if value > 100:
            return None
        fraction, places = round(value / 100, len(decimals) + 2), len(decimals) + 2
    elif 0 < value <= 1 and decimals:
        fraction, places = value, len(decimals)
    else:
        return None
    noise = len(decimals) >= 9
    if noise:  # float noise: the value meant is the nearest with at most six decimals
        fraction, places = round(fraction, 8), 8
    return Claim(fraction, 10.0 ** -places, noise, line.found(fraction))


def not_a_result(text: str, match: re.Match) -> bool:
    """A difference ('by 0.4 points'), a spread ('± 0.1') or a mean with its spread: not an accuracy itself."""
    after, before = text[match.end():match.end() + 20], text[max(0, match.start() - 24):match.start()]
    return bool(re.match(r"\s*(?:points?|pts|pp|percentage)\b|\s*(?:±|\+/?-)", after)
                or re.search(r"(?:±|\+/?-)\s*$", before)
                or (re.search(r"\b(?:by|of)\s+(?:about\s+|around\s+|nearly\s+|almost\s+)?$", before)
                    and DIFFERENCE.search(text)))


def not_test(text: str) -> bool:
    """Whether a text speaks of training or validation and not of testing."""
    return bool(TRAIN_VAL.search(text)) and not TEST_WORD.search(text)


def clauses(text: str) -> list[tuple[int, str]]:
    """(offset, text) of each clause of a sentence."""
    out, start = [], 0
    for match in CLAUSE_BREAK.finditer(text):
        out.append((start, text[start:match.start()]))
        start = match.end()
    return [*out, (start, text[start:])]


TABLE_SPLIT = re.compile(r"\s*\|\s*|\t+|\s{3,}")
RULE_ROW = re.compile(r"[-:|+= ]{3,}")


def table_cells(text: str) -> list[str] | None:
    """A table row's cells ('| CNN | 97.9 % |', tab- or wide-space-separated), or None for a sentence."""
    if not ("|" in text.strip("|") or "\t" in text or re.search(r"\S\s{3,}\S", text)):
        return None
    cells = [c for c in TABLE_SPLIT.split(text.strip().strip("|")) if c.strip()]
    return cells if len(cells) >= 2 else None


@dataclass
class Reader:
    """Claims read in order through a submission's lines, remembering each table's header."""

    defaults: dict[str, Network]  # file -> the network its name says, or the only one it builds or names
    header: list[str] | None = None
    header_piece: object = None

    def line_claims(self, line: Line) -> list[Claim]:
        if RULE_ROW.fullmatch(line.text):  # a table's |---|---| line: the header above it still holds
            return []
        cells = table_cells(line.text)
        if cells is not None and re.search(r"\d\s?%", cells[0]):
            cells = None  # a key holding its own figure: a row a PDF jumbled, read as the sentence it was
        if cells is not None:
            found = self.row_claims(line, cells)
            if found or ACC_WORD.search(cells[0]) or not any(ACC_WORD.search(c) for c in cells[1:]):
                return found
            # 'Test set | Average loss: 0.0006, Accuracy: 4823/5000': a printed line, not a table row
        else:
            self.header = None
        text = line.text
        if not ACC_WORD.search(text) or (line.piece.kind == "output" and not self.tested(line)) or (
                TRAINING_LOG.search(text) and not TEST_WORD.search(text)):
            return []
        if re.search(r"\brespectively\b", text, re.I):
            found = self.respectively(line)
            if found:
                return found
        out = []
        for offset, clause in clauses(text):
            for match in self.numbers(clause, text, line):
                claim = as_claim(match, line)
                if claim is not None:
                    out.append(self.attributed(claim, line, clause, match.start(), offset + match.start()))
        return out

    @staticmethod
    def tested(line: Line) -> bool:
        """Whether a printed line is a test result: it says so, or the cell that printed it evaluates on test
        data and the line names no training or validation."""
        return bool(TEST_WORD.search(line.text)) or (bool(TEST_CODE.search(line.code))
                                                     and not TRAIN_VAL.search(line.text))

    def numbers(self, clause: str, sentence: str, line: Line) -> list[re.Match]:
        """The accuracy numbers of one clause: after each (test) accuracy word the first number, else the last
        before it; in a clause with no accuracy word but a network's name, its one number."""
        if OTHERS.search(clause) or not_test(clause) or (not_test(sentence) and not TEST_WORD.search(clause)):
            return []
        usable = [m for m in NUMBER_OR_COUNT.finditer(clause) if not not_a_result(clause, m)
                  and as_claim(m, line) is not None]
        words = [w for w in ACC_WORD.finditer(clause)
                 if not re.search(r"\b(train\w*|val\w*)\s{1,3}$", clause[:w.start()], re.I)]
        if not words:
            lone = named(clause) and not OTHER_METRIC.search(clause) and len(usable) == 1
            return usable if lone else []
        picked: list[re.Match] = []
        for word in words:
            after = [m for m in usable if m.start() >= word.end()]
            before = [m for m in usable if m.end() <= word.start()]
            choice = after[0] if after else before[-1] if before else None
            if choice is not None and all(choice is not p for p in picked):
                picked.append(choice)
        return picked

    def respectively(self, line: Line) -> list[Claim]:
        """'The CNN and the AE classifier reach 98.1 % and 97.7 % respectively': in the order named."""
        mentions = list(dict.fromkeys(n for _, n in named(line.text)))
        values = [c for m in NUMBER_OR_COUNT.finditer(line.text) if not not_a_result(line.text, m)
                  and (c := as_claim(m, line)) is not None]
        if len(mentions) != len(values) or len(values) < 2:
            return []
        printed, per_class = line.piece.kind == "output", bool(PER_CLASS.search(line.text))
        return [replace(c, network=n, by="respectively", printed=printed, per_class=per_class)
                for c, n in zip(values, mentions, strict=True)]

    def row_claims(self, line: Line, cells: list[str]) -> list[Claim]:
        """A table row: the first number of the first value cell whose key or column speaks of a test accuracy."""
        numeric = [i for i, c in enumerate(cells) if i > 0 and NUMBER_OR_COUNT.search(c)
                   and any(as_claim(m, line) for m in NUMBER_OR_COUNT.finditer(c))]
        if not numeric:
            if self.header_piece is not line.piece or self.header is None:
                self.header = cells
                self.header_piece = line.piece
            return []
        key = cells[0]
        for column in numeric:  # the first column the key or its heading says is a test accuracy ("Train", no)
            heading = self.header[column] if self.header and column < len(self.header) else ""
            words = f"{key} {heading}"
            if not ACC_WORD.search(words) or OTHERS.search(words) or not_test(words):
                continue
            match = next(m for m in NUMBER_OR_COUNT.finditer(cells[column]) if as_claim(m, line))
            if not_a_result(cells[column], match):
                continue
            claim = as_claim(match, line)
            assert claim is not None
            per_class = bool(PER_CLASS.search(key)) or bool(re.fullmatch(r"\d", key.strip()))
            return [self.attributed(replace(claim, per_class=per_class), line, key, len(key), len(key))]
        return []

    def attributed(self, claim: Claim, line: Line, clause: str, in_clause: int, in_sentence: int) -> Claim:
        """The claim with its network, from the nearest level that names one: its clause, its sentence, its
        paragraph, the code that printed it, its section, its file."""
        in_paragraph = max(line.paragraph.find(line.text), 0) + in_sentence
        levels: list[tuple[str, list[tuple[int, Network]], int]] = [
            ("clause", named(clause), in_clause), ("sentence", named(line.text), in_sentence),
            ("paragraph", named(line.paragraph), in_paragraph)]
        if line.code:
            levels.append(("cell code", named(line.code, code=True), len(line.code)))
        network, by = None, ""
        for level, mentions, position in levels:
            if mentions:  # the nearest level that names a network decides, or leaves it untold
                network = nearest(mentions, position)
                by = level if network else "untold: both networks named"
                break
        if network is None and not by and line.section in ("cnn", "ae"):
            network, by = ("cnn" if line.section == "cnn" else "ae_classifier"), "section"
        if network is None and not by and line.piece.file in self.defaults:
            network, by = self.defaults[line.piece.file], "file"
        per_class = claim.per_class or bool(PER_CLASS.search(clause))
        return replace(claim, network=network, by=by, per_class=per_class, printed=line.piece.kind == "output")


def accuracy_claims(read: list[Line], defaults: dict[str, Network] | None = None) -> list[Claim]:
    """Every test accuracy the lines state, in order, each attributed where a reader could."""
    reader = Reader(defaults or {})
    return [claim for line in read for claim in reader.line_claims(line)]


def size_claims(line: Line) -> dict[str, int]:
    """Test and training set sizes a line states (subset sizes: 'original' and 'total' counts are not)."""
    text = line.text
    if re.search(r"original|total|whole|entire|all\s+\d|full|before|10 classes|augment", text, re.I):
        return {}
    sizes = {}
    # "5,000 test images", not the 30508 of "training images: 30508 test images: 5074" (a value already keyed)
    test = re.search(r"(?<![\d,])(?<![:=]\s)(?<![:=])(\d[\d,]{2,8})\s{0,3}(?:test|testing)\s{0,3}(?:images|samples|"
                     r"examples)|test(?:ing)?"
                     r"\s{0,3}(?:set|data(?:set)?|samples|images)\s{0,3}(?:of|has|contains|with|size|shape|:|=|is)?"
                     r"[^\d\n]{0,25}?(\d[\d,]{2,8})", text, re.I)
    if test:
        sizes["test_size"] = int((test.group(1) or test.group(2)).replace(",", ""))
    train = re.search(r"(?<![\d,])(\d[\d,]{3,8})\s{0,3}(?:train|training)\s{0,3}(?:images|samples|examples)|"
                      r"train(?:ing)?\s{0,3}(?:set|data(?:set)?|samples|images)[^\d\n]{0,60}?(?:selecting|selected|"
                      r"target|subset|filter)[^\d\n]{0,40}?(\d[\d,]{3,8})", text, re.I)
    if train:
        sizes["train_size"] = int((train.group(1) or train.group(2)).replace(",", ""))
    return sizes


def sizes_stated(read: list[Line]) -> dict[str, list[Found]]:
    sizes: dict[str, list[Found]] = {}
    for line in read:
        for key, value in size_claims(line).items():
            sizes.setdefault(key, []).append(line.found(value))
    return sizes
