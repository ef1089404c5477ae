"""What a submission's text states: the student's details, each aspect of the variant it names, and the
test accuracies and data sizes it claims. Text is markdown cells, comments, printed outputs, a PDF's
pages, Markdown and plain text files.

Read by patterns, one line (or sentence) at a time, and deliberately cautious: a line that names two
values of one aspect, or negates ("not", "instead of"), states nothing; a width or a count is taken only
where the line also says what it is the width or count of. A statement that is missed costs a
`not_found`; one that is misread would accuse an honest student, so the patterns prefer the first.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

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
    text: str
    piece: Piece
    number: int  # within the piece
    section: str | None  # "cnn" (question 1) or "ae" (question 2), from the headings above it

    def found(self, value, excerpt: str | None = None) -> Found:
        return Found(value, self.piece.where(self.number), (excerpt or self.text).strip()[:200])


SECTION = [(re.compile(r"^\W*(question|q|part|task)\s*[-.:#]?\s*0?2\b|^\W*(\d+\.?\s*)?(the\s+)?(denoising\s+)?"
                       r"auto[\s-]?encoders?\b", re.I), "ae"),
           (re.compile(r"^\W*(question|q|part|task)\s*[-.:#]?\s*0?1\b", re.I), "cnn")]
MAX_LINE = 1000  # characters of one line that are read: no statement is longer, and patterns stay fast


def is_heading(text: str, piece: Piece) -> bool:
    """A Markdown heading, or in a report a short line with no sentence in it."""
    return text.startswith("#") or (piece.kind in ("page", "prose", "markdown") and len(text) < 60
                                    and not re.search(r"[.,;:]\s", text) and not text.endswith("."))


def lines(pieces: list[Piece]) -> list[Line]:
    """Every line of text (its first MAX_LINE characters), each with the question it falls under; long lines
    split into sentences."""
    section: dict[str, str | None] = {}
    read = []
    for piece in pieces:
        for number, raw in enumerate(piece.text.splitlines(), start=1):
            text = raw.strip()[:MAX_LINE]
            if not text:
                continue
            if is_heading(text, piece):
                name = next((name for pattern, name in SECTION if pattern.search(text)), None)
                section[piece.file] = name or section.get(piece.file)
            for sentence in re.split(r"(?<=[a-z0-9%)])\.\s+(?=[A-Z])", text) if len(text) > 160 else [text]:
                read.append(Line(sentence, piece, number, section.get(piece.file)))
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
class Claim:
    """A test accuracy or a data size as stated: the value, how precisely it was written, and where."""

    value: float
    unit: float  # the last written digit's place, as a fraction (97.91 % -> 0.0001; 0.9792 -> 0.0001)
    noise: bool  # printed float noise (97.91999999999999): the value is exact
    found: Found


ACCURACY = re.compile(r"\btest(ing)?\b[^\n]{0,40}?\bacc(uracy)?\b|\bacc(uracy)?\b[^\n]{0,30}?\btest", re.I)


NOT_A_CLAIM = re.compile(r"±|baseline|reference|seeds?\b|points|\bbeats?\b|\btrails?\b|difference|\bgap\b|\bthan\b|"
                         r"improv|target", re.I)
ACC_WORD = re.compile(r"(?:\b(train\w*|val\w*)\s{1,3})?\bacc(?:uracy)?\b", re.I)
NUMBER_OR_COUNT = re.compile(r"(?<![\w.])(?:(\d{1,6})\s{0,2}/\s{0,2}(\d{2,6})\b|(\d{1,3}(?:\.(\d{1,20}))?)\s{0,2}(%?))")


def as_claim(match: re.Match, line: Line) -> Claim | None:
    """A number as an accuracy: a count of images (4896/5000, exact), a percent, or a fraction with decimals."""
    if match.group(1):
        correct, total = int(match.group(1)), int(match.group(2))
        return Claim(correct / total, 0.0, True, line.found(correct / total)) if 0 < correct <= total else None
    number, decimals, percent = match.group(3), match.group(4) or "", match.group(5)
    value = float(number)
    if percent or (1 < value <= 100 and decimals):
        fraction, places = round(value / 100, len(decimals) + 2), len(decimals) + 2
    elif 0 < value <= 1 and decimals:
        fraction, places = value, len(decimals)
    else:
        return None
    noise = len(decimals) >= 9
    if noise:  # float noise: the value meant is the nearest with at most six decimals
        fraction, places = round(fraction, 8), 8
    return Claim(fraction, 10.0 ** -places, noise, line.found(fraction))


def accuracy_claim(line: Line) -> Claim | None:
    """The test accuracy a line states, as a fraction: the first number after the word accuracy (not after a
    training or validation accuracy), else the last before it; comparisons and other people's numbers are no
    claims."""
    text = line.text
    if not ACCURACY.search(text) or NOT_A_CLAIM.search(text):
        return None
    words = [w for w in ACC_WORD.finditer(text) if not w.group(1)]
    for word in words:
        for match in NUMBER_OR_COUNT.finditer(text, word.end()):
            claim = as_claim(match, line)
            if claim is not None:
                return claim
    before = [c for m in NUMBER_OR_COUNT.finditer(text, 0, words[0].start() if words else len(text))
              if (c := as_claim(m, line)) is not None]
    return before[-1] if before else None


def size_claims(line: Line) -> dict[str, int]:
    """Test and training set sizes a line states (subset sizes: 'original' and 'total' counts are not)."""
    text = line.text
    if re.search(r"original|total|whole|entire|all\s+\d|full|before|10 classes|augment", text, re.I):
        return {}
    sizes = {}
    test = re.search(r"(?<![\d,])(\d[\d,]{2,8})\s{0,3}(?:test|testing)\s{0,3}(?:images|samples|examples)|test(?:ing)?"
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


def claims(read: list[Line]) -> tuple[dict[str, list[Claim]], dict[str, list[Found]]]:
    """Each classifier's accuracy statements in order, and the data sizes stated."""
    accuracy: dict[str, list[Claim]] = {}
    sizes: dict[str, list[Found]] = {}
    for line in read:
        claim = accuracy_claim(line)
        if claim is not None:  # a claim that names neither network is question 1's, the CNN's
            accuracy.setdefault("ae_classifier" if context(line) == "ae" else "cnn", []).append(claim)
        for key, value in size_claims(line).items():
            sizes.setdefault(key, []).append(line.found(value))
    return accuracy, sizes


def final_claim(stated: list[Claim]) -> Claim | None:
    """The last statement, unless an earlier one is more precise and the last is it rounded or truncated."""
    if not stated:
        return None
    last = stated[-1]
    ranked = sorted(enumerate(stated[:-1]), key=lambda pair: (pair[1].unit, -pair[0]))  # most precise, then latest
    for _, earlier in ranked:
        if earlier.unit < last.unit and (abs(earlier.value - last.value) <= last.unit / 2 + 1e-12
                                         or 0 <= earlier.value - last.value < last.unit + 1e-12):
            return earlier
    return last


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


ROLL = re.compile(r"\b([BMPD]\d{2}[A-Z]{2,4}\d{3})\b")


def details(read: list[Line]) -> Details:
    """The first statement of each detail."""
    found: dict[str, str] = {}
    for line in read:
        text = line.text
        date = re.search(r"(?:DD\s*/\s*MM\s*/\s*YY(?:YY)?|date of birth|d\.?o\.?b\.?|born)[^0-9\n]{0,15}"
                         r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{2}|\d{4})\b", text, re.I)
        if date:
            found.setdefault("dob", "/".join(date.groups()))
        roll = ROLL.search(text)
        if roll:
            found.setdefault("roll", roll.group(1))
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
    return Details(**found)
