"""What a submission's text states: the student's details and each aspect of the variant it names (the
accuracies it claims are claims.py's). Text is markdown cells, comments, printed outputs, a PDF's pages,
Markdown and plain text files, read as sentences within their paragraphs.

Read by patterns, one line (or sentence) at a time, and deliberately cautious: a line that names two
values of one aspect, or negates ("not", "instead of"), states nothing; a width or a count is taken only
where the line also says what it is the width or count of. A statement that is missed costs a
`not_found`; one that is misread would accuse an honest student, so the patterns prefer the first.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace

from variantlab.catalog import SPECS
from variantlab.codescan import Found, dataset_key
from variantlab.submission import Piece

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
COUNT = r"(\d|one|two|three|four|five|six|seven|eight)"
NEGATION = re.compile(r"\b(not|no|never|instead|rather than|without|isn't|aren't|don't|doesn't|didn't|unlike|"
                      r"alternatively|could have|would have)\b", re.I)
CODE_LIKE = re.compile(r"^\s*[\w.\[\]]+\s*=\s*[\w.]+\(|^\s*(import|from|def|class|return|for|if|print)\b|"
                       r"^\s*[\w.]+\(.*\)\s*$")


@dataclass(frozen=True)
class Line:
    """One sentence of text (a printed line, a table row, a heading), with what surrounds it: its paragraph,
    the code of the cell that printed it (outputs), and the question its file's headings put it under."""

    text: str
    piece: Piece
    number: int  # within the piece
    section: str | None  # "cnn" (question 1) or "ae" (question 2), from the headings above it
    paragraph: str = ""  # the paragraph (or printed line) the sentence belongs to
    code: str = ""  # for a printed output, the code of the cell that printed it

    def found(self, value, excerpt: str | None = None) -> Found:
        return Found(value, self.piece.where(self.number), (excerpt or self.text).strip()[:200])


QUESTION = [(re.compile(r"^\W*(\d+\.?\s*)?(question|q|part|task)\s*[-.:#]?\s*0?2\b", re.I), "ae"),
            (re.compile(r"^\W*(\d+\.?\s*)?(question|q|part|task)\s*[-.:#]?\s*0?1\b", re.I), "cnn"),
            (re.compile(r"^\W*(\d+\.?\s*)?(comparison|comparing|conclusions?)\b", re.I), None)]
# A network named in prose: the autoencoder's words first ("AE classifier", "classifier on the encoder").
AE_NAME = re.compile(r"auto[\s-]?encoders?\b|\bAE\b|\bencoder\b|\bquestion\s*0?2\b|\bQ\.?\s?2\b", re.I)
CNN_NAME = re.compile(r"\bCNN\b|\bconvolutional\b|\bconv[\s-]?net|\bquestion\s*0?1\b|\bQ\.?\s?1\b", re.I)
MAX_LINE = 1000  # characters of one sentence that are read: no statement is longer, and patterns stay fast
MAX_PARAGRAPH = 8000  # characters of one paragraph kept as the context of its sentences
JOINED = ("markdown", "prose")  # text whose lines are wrapped by hand; PDF pages arrive in paragraphs already
BULLET = "-*+•●■▪◦▸►✓\uf0b7\uf0a7\uf076\uf0d8"  # the last four: Word's Symbol and Wingdings bullets, as text
LIST_ITEM = re.compile(rf"^\s*([{BULLET}]|\d{{1,2}}[.)])\s")
BLOCK_START = re.compile(rf"^\s*(#|[{BULLET}]\s|\d{{1,2}}[.)]\s|\||>)")
SENTENCE_END = re.compile(r"(?<=[a-z0-9%)\]*_][.!?])\s+(?=[A-Z(*_])")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # what a PDF or Word export leaves between a heading and its text
# The exam paper's rules as the paper words them ("If ABC is odd, your network should have 6 conv layers"): a
# student who pastes the paper into the hand-in states the rules, not their own values.
EXAM_RULE = re.compile(r"^\W*(?:if|when)\b.{0,60}\b(?:ABC|DD|MM|YY|sum of|digit|B\.?\s?Tech|M\.?\s?Tech|PhD)\b|"
                       r"\byour (?:network|target|dataset|weight|model)\b.{0,20}\b(?:should|will|must)\b", re.I)


def network_named(text: str) -> str | None:
    """'cnn' or 'ae' where a text names one network and not the other."""
    ae, cnn = bool(AE_NAME.search(text)), bool(CNN_NAME.search(text))
    return "ae" if ae and not cnn else "cnn" if cnn and not ae else None


def normalised(text: str) -> str:
    """Compatibility forms folded (the ligature 'ﬁ' -> 'fi', full-width digits) and control characters as
    spaces; lines stay where they were, so evidence keeps its line numbers."""
    return CONTROL.sub(" ", unicodedata.normalize("NFKC", text))


def is_heading(text: str, piece: Piece) -> bool:
    """A Markdown heading, or in a report a short line with no sentence in it."""
    return text.startswith("#") or (piece.kind in ("page", "prose", "markdown") and len(text) < 60
                                    and not re.search(r"[.,;:]\s", text) and not text.endswith("."))


def paragraphs(piece: Piece) -> list[tuple[int, str]]:
    """(first line number, text) of each paragraph: hand-wrapped lines joined (a word hyphenated at a line's
    end rejoined), while headings, list items, table rows and fenced code start a line of their own."""
    if piece.kind not in JOINED:
        return [(n, line.strip()) for n, line in enumerate(piece.text.splitlines(), start=1) if line.strip()]
    out: list[tuple[int, str]] = []
    takes_more = fenced = False  # whether the last paragraph takes the next line; inside a ``` block
    raw_lines = piece.text.splitlines()
    for number, raw in enumerate(raw_lines, start=1):
        line = raw.strip()
        hard_break = raw.endswith(("\\", "  ", "<br>", "<br/>"))  # Markdown's line break ends the paragraph there
        line = line.removesuffix("\\").strip()
        if not line:
            takes_more = False
            continue
        if line.startswith(("```", "~~~")):
            fenced = not fenced
            out.append((number, line))
            takes_more = False
            continue
        following = raw_lines[number].strip() if number < len(raw_lines) else ""
        heading = not takes_more and is_heading(line, piece) and not following[:1].islower()  # else a wrapped line
        pair = len(line) < 80 and KEY_VALUE.match(line) is not None  # "First layer filters: 8" is a line of its own
        if fenced or BLOCK_START.match(line) or heading or pair:
            out.append((number, line))
            takes_more = not fenced and bool(LIST_ITEM.match(line))  # a list item may wrap onto the next line
            continue
        if takes_more and len(out[-1][1]) < MAX_PARAGRAPH:
            previous = out[-1][1]
            hyphenated = re.search(r"[a-z]-$", previous) is not None and line[:1].islower()
            out[-1] = (out[-1][0], previous[:-1] + line if hyphenated else f"{previous} {line}")
        else:
            out.append((number, line))
        takes_more = not hard_break
    return out


def heads(text: str, piece: Piece) -> bool:
    """Whether a paragraph heads what follows: a heading, or a short lead-in ending in a colon ('1. Fashion
    classification using a CNN:')."""
    return is_heading(text, piece) or (len(text) < 90 and text.rstrip().endswith(":"))


def lines(pieces: list[Piece]) -> list[Line]:
    """Every sentence of text (its first MAX_LINE characters), each with its paragraph and the question it
    falls under; printed outputs line by line, each with the code of the cell that printed it. Code pieces
    are read only as that context."""
    section: dict[str, str | None] = {}
    code_of: dict[tuple[str, str], str] = {}
    read = []
    for piece in pieces:
        if piece.is_code:
            code_of[(piece.file, piece.place)] = piece.text
            continue
        code = code_of.get((piece.file, piece.place.removeprefix("output of ")), "") if piece.kind == "output" else ""
        piece = replace(piece, text=normalised(piece.text))
        for number, text in paragraphs(piece):
            paragraph = text[:MAX_PARAGRAPH]
            if heads(text, piece):
                question = next((pattern for pattern in QUESTION if pattern[0].search(text)), None)
                named = question[1] if question else network_named(text)
                section[piece.file] = named if question or named else section.get(piece.file)
            if EXAM_RULE.search(paragraph) and piece.kind != "output":
                continue
            for sentence in SENTENCE_END.split(paragraph):
                read.append(Line(sentence.strip()[:MAX_LINE], piece, number, section.get(piece.file), paragraph,
                                 code))
    return read


AE_WORDS = re.compile(r"auto[\s-]?encoder|\bencod|\bdecod|\bAE\b", re.I)


def context(line: Line) -> str | None:
    """Which network a line speaks of: its own words first, then its question."""
    text = line.text
    if AE_WORDS.search(text) or re.search(r"classification layer|latent|bottleneck|\bMM\b", text, re.I):
        return "ae"
    if re.search(r"\bCNN\b|conv|digit|sum of digits", text, re.I):
        return "cnn"
    return line.section


def _count(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def one_value(values: list) -> object | None:
    distinct = list(dict.fromkeys(map(repr, values)))
    return values[0] if len(distinct) == 1 else None


def dataset_of(text: str) -> object | None:
    values = [dataset_key(m.group()) for m in re.finditer(r"fashion[\s_-]?mnist|(?<![a-z-])mnist|cifar[\s_-]?10", text,
                                                             re.I)]
    return one_value(values) if re.search(r"data", text, re.I) else None


def init_of(text: str) -> object | None:
    values = ["he" for _ in re.finditer(r"\b[Kk]aiming|\bKAIMING|\bHe[\s_-]+(normal|uniform|init\w*|weight)|\(He\)|"
                                         r"[“\"']He\b|\bhe_(normal|uniform)|\bHe\s*\(", text)]
    values += ["xavier" for _ in re.finditer(r"\bxavier|\bglorot", text, re.I)]
    return one_value(values)


def augmentation_of(text: str) -> object | None:
    if not re.search(r"augment|\bDD\b", text, re.I):  # a flip named elsewhere (test-time flips, say) is no rule
        return None
    values = ["flip_random_noise" for _ in re.finditer(r"\bflip", text, re.I)]
    values += ["rotate_gaussian_noise" for _ in re.finditer(r"\brotat", text, re.I)]
    return one_value(values)


def pool_of(text: str) -> object | None:
    values = ["max" for _ in re.finditer(r"\bmax[\s_-]?pool", text, re.I)]
    values += ["avg" for _ in re.finditer(r"\b(avg|average|mean)[\s_-]?pool", text, re.I)]
    return one_value(values)


def class_names() -> dict[str, int]:
    """Class names of the datasets whose names are words (FashionMNIST, CIFAR-10), lower case -> label."""
    names = {}
    for key in ("fashion_mnist", "cifar10"):
        for label, name in enumerate(SPECS[key].class_names):
            names[name.lower()] = label
    return names


NAMES = class_names()


def classes_of(text: str) -> object | None:
    if not re.search(r"class", text, re.I):
        return None
    digits = re.search(r"class\w*[^0-9\n]{0,40}?[\[(]?\s*['\"]?(\d)['\"]?\s*,\s*['\"]?(\d)['\"]?\s*,\s*['\"]?(\d)"
                       r"['\"]?\s*,\s*['\"]?(\d)['\"]?\s*,?\s*(?:and\s*)?['\"]?(\d)\b", text, re.I)
    if digits:
        labels = sorted(int(d) for d in digits.groups())
        return labels if len(set(labels)) == 5 else None
    named = sorted({label for name, label in NAMES.items() if re.search(rf"\b{re.escape(name)}\b", text, re.I)})
    if len(named) == 5:
        return named
    if re.search(r"\bodd[\s-]*(numbered\s*)?(labels|classes|digits)", text, re.I):
        return [1, 3, 5, 7, 9]
    if re.search(r"\beven[\s-]*(numbered\s*)?(labels|classes|digits)", text, re.I):
        return [0, 2, 4, 6, 8]
    return None


CONV = r"conv(?:olution(?:al)?)?s?"
POOL = r"(?:max|avg|average|mean)?[\s_-]?pool(?:ing)?"


def layout_of(text: str) -> tuple[int | None, int | None]:
    """(conv layers, pool layers) a line states: '4 conv layers and 1 MaxPooling layer', '4 conv + 1 pool', or
    a table row as a PDF's text gives it, 'Conv layers 4'."""
    counts = []
    for kind in (CONV, POOL):
        before = re.search(r"(?<![\w.])" + COUNT + rf"\s{{0,3}}{kind}(?:\s{{0,3}}[\w-]{{0,20}}\s{{0,3}}layers?)?\b",
                           text, re.I)
        after = re.search(rf"\b{kind}\s{{0,3}}layers?\W{{0,3}}(\d)\b", text, re.I)
        match = before or after
        counts.append(_count(match.group(1)) if match else None)
    return counts[0], counts[1]


def first_filters_of(text: str) -> int | None:
    for pattern in (r"(?<!\d)(\d{1,4})\s{1,3}filters(?:\s{1,3}(?:in|for|at|on))?(?:\s{1,3}the)?\s{1,3}first",
                    r"first[\s-]{0,3}(?:conv\w{0,12}\s{1,3})?(?:layer\s{1,3})?filters\W{0,3}(\d{1,4})",
                    r"first\s{0,3}(?:conv\w{0,12}\s{1,3})?layer[^.\d]{0,40}?(\d{1,4})\s{0,3}filters",
                    r"conv\s{0,3}1\b[^.\n]{0,40}?out_channels\s{0,3}=\s{0,3}\**(\d{1,4})",
                    r"(?:number of|no\.? of)\s{0,3}filters[^.\d]{0,30}?(?:first|1st)[^.\d]{0,20}?(\d{1,4})"):
        match = re.search(pattern, text, re.I)
        if match:
            return int(match.group(1))
    return None


FC_WORDS = re.compile(r"\bfc\b|\bfc\d|fully[\s-]?connected|\bdense\b|hidden layer|classification layer", re.I)
NOT_FC_WIDTH = re.compile(r"output (layer|size)\s*(is|of|=|:|with)|\binput|in_features|flatten|\b(en|de)cod\w*\s*layer"
                          r"\s*\d|\d{1,5}-\d{1,5}-\d{1,5}", re.I)  # the last: a chain of widths, 784-392-196-98-32


def fc_width_of(text: str) -> int | None:
    """The width of the one FC layer a line speaks of; lines about its input, the output layer, an encoder's
    layers or two widths state none."""
    if not FC_WORDS.search(text) or NOT_FC_WIDTH.search(text):
        return None
    widths = [int(m.group(1)) for m in re.finditer(r"(?<![\d*x×.])(\d{2,4})(?![\d*x×.])(?!\s*[*x×])", text)
              if 64 <= int(m.group(1)) <= 4096 and not re.search(r"[*x×]\s*$", text[:m.start()])]
    return widths[0] if len(set(widths)) == 1 else None


def ae_layers_of(text: str) -> int | None:
    for pattern in (r"number of (?:encod\w{0,12}|encoder)\s{0,3}layers[^.\d]{0,25}?" + COUNT + r"\b",
                    r"(?<![\w.])" + COUNT + r"[\s-]{0,3}(?:(?:encod\w{0,12}|hidden|linear|fc|dense)\s{1,3})?layers\b",
                    r"(?<![\w.])" + COUNT + r"[\s-]layer\s{0,3}(?:deep\s{1,3})?(?:auto)?[\s-]?encoder"):
        match = re.search(pattern, text, re.I)
        if match:
            return _count(match.group(1))
    return None


KEY_VALUE = re.compile(r"^\|?\s*([A-Za-z][A-Za-z_ .()/+-]{1,40}?)\s*(?:\||:|=|-{1,2}|–)\s*([^|]{1,80}?)\s*(?:\||$)")
NUMBER = re.compile(r"(?<![\d.])(\d{1,4})(?![\d.])")


def key_value(text: str) -> tuple[str, str] | None:
    """('conv layers', '4') from a table row '| Conv layers | 4 |' or a line 'Conv layers: 4'."""
    match = KEY_VALUE.match(text)
    return (match.group(1).strip().lower(), match.group(2).strip()) if match else None


def keyed(key: str, value: str, line: Line) -> Iterator[tuple[str, object]]:
    """The aspect a key names, and the value beside it: hyperparameter tables and 'Key: value' lines."""
    number = NUMBER.search(value)
    count = int(number.group(1)) if number and not re.search(r"[x×*]", value) else None
    ae = bool(re.search(r"\bae\b|auto|encod|classifier", key)) or (line.section == "ae" and "cnn" not in key)
    if "filter" in key and count is not None:
        yield "first_filters", count
    elif "conv" in key and count is not None and "layer" in key:
        yield "conv_layers", count
    elif "pool" in key and count is not None and "layer" in key:
        yield "pool_layers", count
    elif re.search(r"\bfc\b|fully|dense|hidden|nodes|neurons|units", key) and count is not None and count >= 32:
        yield ("ae_fc_nodes" if ae else "fc_nodes"), count
    elif ae and "layer" in key and count is not None and count <= 8:
        yield "ae_layers", count


def aspects(read: list[Line]) -> dict[str, list[Found]]:
    """Each aspect's values as the text states them, in the order stated (printed outputs state none)."""
    stated: dict[str, list[Found]] = {}

    def add(aspect: str, line: Line, value) -> None:
        if value is not None:
            stated.setdefault(aspect, []).append(line.found(value))

    for line in read:
        text = line.text
        code_comment = line.piece.kind == "comment" and CODE_LIKE.search(text)
        if line.piece.kind == "output" or NEGATION.search(text) or code_comment:
            continue
        pair = key_value(text)
        if pair is not None:
            taken = dict(keyed(*pair, line))
            for aspect, value in taken.items():
                add(aspect, line, value)
            if taken:
                continue
        add("dataset", line, dataset_of(text))
        add("init", line, init_of(text))
        add("augmentation", line, augmentation_of(text))
        add("pool", line, pool_of(text))
        add("classes", line, classes_of(text))
        where = context(line)
        if not AE_WORDS.search(text):  # the CNN's layout, wherever it is stated, unless the line is the AE's
            conv, pool = layout_of(text)
            add("conv_layers", line, conv)
            add("pool_layers", line, pool if conv is not None or re.search(r"pool\w*\s*layers?", text, re.I) else None)
            add("first_filters", line, first_filters_of(text))
        if where == "cnn":
            add("fc_nodes", line, fc_width_of(text))
        elif where == "ae":
            add("ae_fc_nodes", line, fc_width_of(text))
            add("ae_layers", line, ae_layers_of(text))
    return stated


@dataclass(frozen=True)
class Details:
    """The student's details a submission states, where it states them."""

    dob: str | None = None
    roll: str | None = None
    abc: str | None = None
    program: str | None = None
    first: str | None = None
    last: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in (("dob", self.dob), ("roll", self.roll), ("abc", self.abc),
                                  ("program", self.program), ("first", self.first), ("last", self.last)) if v}


ROLL = re.compile(r"(?<![A-Za-z0-9])([BMPD]\d{2}[A-Z]{2,4}\d{3})(?![0-9])", re.I)


def details(read: list[Line], files: tuple[str, ...] = ()) -> Details:
    """The first statement of each detail; a roll number only in the files' names (`m22ma007_q1.py`) counts."""
    found: dict[str, str] = {}
    for line in read:
        text = line.text
        date = re.search(r"(?:DD\s*/\s*MM\s*/\s*YY(?:YY)?|date of birth|d\.?o\.?b\.?|born)[^0-9\n]{0,15}"
                         r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{2}|\d{4})\b", text, re.I)
        if date:
            found.setdefault("dob", "/".join(date.groups()))
        roll = ROLL.search(text)
        if roll:
            found.setdefault("roll", roll.group(1).upper())
        abc = re.search(r"\bABC\s*(?:=|:|-|is)\s*(\d{3})\b", text)
        if abc:
            found.setdefault("abc", abc.group(1))
        for key, pattern in (("first", r"\bFIRST\s*(?:name)?\s*[=:-]\s*([A-Z][\w'-]+)"),
                             ("last", r"\bLAST\s*(?:name)?\s*[=:-]\s*([A-Z][\w'-]+)")):
            match = re.search(pattern, text, re.I)
            if match:
                found.setdefault(key, match.group(1))
        name = re.search(r"\bName\s*[:=-]\s*([A-Z][\w'-]+)\s+([A-Z][\w'-]+)", text)
        if name:
            found.setdefault("first", name.group(1))
            found.setdefault("last", name.group(2))
        program = re.search(r"\b(B\.?\s?Tech|M\.?\s?Tech|Ph\.?\s?D)\b", text, re.I)
        if program and re.search(r"prog|course|degree|program|B\.?\s?Tech|M\.?\s?Tech", text, re.I):
            found.setdefault("program", re.sub(r"[.\s]", "", program.group(1)).lower())
    named = {m.group(1).upper() for name in files if (m := ROLL.search(name.rsplit("/", 1)[-1]))}
    if len(named) == 1:
        found.setdefault("roll", named.pop())
    return Details(**found)
