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
from functools import lru_cache

from variantlab.check.codescan import Found, dataset_key
from variantlab.check.submission import Piece
from variantlab.exam.catalog import SPECS

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
COUNT = r"(\d|one|two|three|four|five|six|seven|eight)"
# "no" but not "No. of filters" (number of)
NEGATION = re.compile(r"\b(not|no(?!\.?\s*of\b)|never|instead|rather than|without|isn't|aren't|don't|doesn't|didn't|"
                      r"unlike|alternatively|could have|would have|tried|initially|earlier|at first|switched|"
                      r"abandon\w*|first attempt)\b", re.I)  # the last: a value tried and left is no statement
CODE_LIKE = re.compile(r"^\s*[\w.\[\]]+\s*=\s*[\w.]+\(|^\s*(import|from|def|class|return|for|if|print)\b|"
                       r"^\s*[\w.]+\(.*\)\s*[,;]?\s*$")


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


AE_WORDS = re.compile(r"auto[\s-]?encoder|(?<!hot )(?<!hot-)\bencod|\bdecod|\bAE\b", re.I)
# The networks a sentence names, for the words it says of each: the autoencoder (its encoder), its decoder, the CNN.
NETWORK_NAMES = ((re.compile(r"auto[\s-]?encoders?|(?<!hot )(?<!hot-)\bencod\w*|\bAE\b", re.I), "ae"),
                 (re.compile(r"\bdecod\w*", re.I), "decoder"),
                 (re.compile(r"\bCNN\b|\bconv[\s-]?nets?\b|convolutional neural network", re.I), "cnn"))
# A choice among values tried ("3 layers did best, but we proceed with 2"): the values before it were not kept.
CHOICE = re.compile(r"\b(?:proceed(?:ed|ing)?|go(?:ing)?|went|stick(?:ing)?|settl(?:e|ed|ing)|opt(?:ed|ing)?)\s+"
                    r"(?:ahead\s+)?(?:with|for)\b|\bwe\s+(?:chose|choose|selected|picked|kept|keep)\b", re.I)
OVERRULED = re.compile(r"\b(?:but|however|yet|still|nevertheless)\b[^.]{0,80}?(?:" + CHOICE.pattern + ")", re.I)
# Words of one network's parts: the AE's head, code and bottleneck; the digits of ABC, whose sum decides the CNN's
# FC width. MM decides the AE's head, and the CNN's pooling too.
AE_PARTS = re.compile(r"classification layer|latent|bottleneck", re.I)
CNN_PARTS = re.compile(r"digit", re.I)
OF_THE = re.compile(r"\b(?:of|in|for|on|by)\s+(?:the\s+|our\s+|its\s+|my\s+|this\s+)?$", re.I)
OF_NAME = re.compile(r"\b(?:number|no\.?|count)\s+of\s+[\w\s-]{0,30}?\b(?:in|of)\s+(?:the\s+|our\s+|its\s+)?$",
                     re.I)  # 'the number of layers in the autoencoder' speaks of the autoencoder
CLAUSE_END = re.compile(r"[,;:]\s|\s(?:and|but|while|whereas|then)\s", re.I)
# A sentence on the rules' condition ('4 layers if ABC is even, else 3') states the rule, not the student's value.
CONDITIONAL = re.compile(r"\bif\b.{0,60}\b(?:ABC|DD|MM|YY)\b.{0,40}\b(?:odd|even)\b", re.I)
# A dataset named as an example, compared with, or in a work cited ('Networks for MNIST (Smith et al., 2016)').
HEDGE = re.compile(r"\b(would|could|might|for example|e\.g\.|such as|like|et al|compared\s+(?:to|with)|than|versus|"
                   r"vs)\b", re.I)
URL = re.compile(r"\b(?:https?|ftp)://[^\s)\]]+|\bwww\.[^\s)\]]+", re.I)  # a tutorial's address: not the student's


def context(line: Line) -> str | None:
    """Which network a line speaks of: its own words first, then its question."""
    text = line.text
    if AE_WORDS.search(text) or AE_PARTS.search(text) or re.search(r"\bMM\b", text):
        return "ae"
    if re.search(r"\bCNN\b|conv", text, re.I) or CNN_PARTS.search(text):
        return "cnn"
    return line.section


def spans(text: str) -> list[tuple[str, str]]:
    """(network, words) for each network a sentence names, from its name (or 'the number of layers in' before it)
    up to the name of another. The words before the first name go with it ('the FC layer of the CNN'), unless they
    name a part of another network ('the classification layer ... the CNN'). A decoder's words, to the end of their
    clause, go to neither ('decoder' is their network). Empty where the sentence names no network."""
    named = sorted((m.start(), network) for pattern, network in NETWORK_NAMES for m in pattern.finditer(text))
    if not named:
        return []
    prefix, first = text[:named[0][0]], named[0][1]
    hinted = "ae" if AE_PARTS.search(prefix) else "cnn" if CNN_PARTS.search(prefix) else first
    starts = [(0, first if OF_THE.search(prefix) else hinted)]
    for i, (start, network) in enumerate(named):
        phrase = OF_NAME.search(text, max(named[i - 1][0] + 1, start - 60), start) if i else None
        starts.append((phrase.start() if phrase else start, network))
        end = CLAUSE_END.search(text, start)
        following = named[i + 1][0] if i + 1 < len(named) else len(text)
        if network == "decoder" and end and end.start() < following:
            before = [n for _, n in named[:i] if n != "decoder"]
            starts.append((end.start(), before[-1] if before else "ae"))
    merged: list[tuple[int, str]] = []
    for start, network in starts:
        if not merged or merged[-1][1] != network:
            merged.append((start, network))
    cuts = [start for start, _ in merged[1:]] + [len(text)]
    return [(network, text[start:end]) for (start, network), end in zip(merged, cuts, strict=True)]


def referred(text: str, paragraph: str) -> list[tuple[str, str]]:
    """A sentence that names no network but begins with 'It' or 'This', after sentences of its paragraph that name
    the autoencoder and not the CNN ('The encoder ... It uses max pooling'), speaks of the autoencoder."""
    if not re.match(r"\W*(it|its|this|they|their)\b", text, re.I):
        return []
    before = paragraph[:max(0, paragraph.find(text))][-MAX_LINE:]
    named = {network for network, _ in spans(before)}
    return [("ae", text)] if named and "cnn" not in named else []


def statement(line: Line) -> str | None:
    """The words of a line that state something: none for printed output; of a comment, none where it is code,
    and where code carries a comment of its own ('nn.MaxPool2d(2),  # shape [..]'), that comment."""
    if line.piece.kind == "output":
        return None
    text = line.text
    if line.piece.kind == "comment":
        text = text.lstrip("# ")
        code, mark, comment = text.partition("#")
        if CODE_LIKE.search(code):
            return statement(replace(line, text=comment)) if mark and comment.strip() else None
    return text


def kept(text: str, paragraph: str) -> str | None:
    """The part of a sentence that states what was kept: after a choice it makes ('we proceed with 2'); none where
    a later sentence of its paragraph overrules it ('But ... we proceed with 2'): it speaks of a value tried."""
    choices = list(CHOICE.finditer(text))
    if choices:
        return text[choices[-1].start():]
    at = paragraph.find(text)
    return None if at >= 0 and at + len(text) <= overruled_at(paragraph) else text


@lru_cache(maxsize=64)
def overruled_at(paragraph: str) -> int:
    """Where a paragraph's last overruling choice starts; -1 where it makes none."""
    found = [m.start() for m in OVERRULED.finditer(paragraph)]
    return found[-1] if found else -1


def _count(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def one_value(values: list) -> object | None:
    distinct = list(dict.fromkeys(map(repr, values)))
    return values[0] if len(distinct) == 1 else None


DATASET = re.compile(r"fashion[\s_-]?mnist|(?<![a-z-])mnist|cifar(?![\s_-]?100)(?:[\s_-]?10)?", re.I)
TITLE = re.compile(r"#{1,2}\s")  # a Markdown document's title or a section's
DATA_TOPIC = re.compile(r"data|images|samples|\btrain|\bload|classif|recogni|\b(?:model|network|CNN|AE|autoencoder)s?"
                        r"\s+(?:for|on)\b", re.I)


def dataset_of(text: str, title: bool = False) -> object | None:
    """The one dataset a line names where it speaks of data, of training, loading or classifying, or titles a
    document ('# Fashion-MNIST CNN'); 'CIFAR' alone is CIFAR-10. A dataset named as an example states nothing."""
    text = URL.sub(" ", text)
    if not (title or DATA_TOPIC.search(text)) or HEDGE.search(text):
        return None
    values = [dataset_key(m.group()) or "cifar10" for m in DATASET.finditer(text)]
    return one_value(values)


def init_of(text: str) -> object | None:
    values = ["he" for _ in re.finditer(r"\b[Kk]aiming|\bKAIMING|\bHe[\s_-]+(normal|uniform|init\w*|weight)|\(He\)|"
                                         r"[“\"']He\b|\bhe_(normal|uniform)|\bHe\s*\(", text)]
    values += ["xavier" for _ in re.finditer(r"\bxavier|\bglorot", text, re.I)]
    return one_value(values)


def augmentation_of(text: str) -> object | None:
    """A flip or a rotation on a line about augmentation (or DD), or named together with noise."""
    if not re.search(r"augment|\bDD\b|\bnoise\b", text, re.I):  # a flip elsewhere (test-time flips) is no rule
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
FIVE = (r"[\[({]?\s*['\"‘’]?(\d)['\"‘’]?\s*,\s*['\"‘’]?(\d)['\"‘’]?\s*,\s*['\"‘’]?(\d)['\"‘’]?\s*,\s*['\"‘’]?(\d)"
        r"['\"‘’]?\s*,?\s*(?:and\s*)?['\"‘’]?(\d)\b")
REMOVED = re.compile(r"\b(?:remov\w*|drop\w*|exclud\w*|discard\w*|delet\w*|eliminat\w*|filter\w*\s+out)\s+(?:all\s+)?"
                     r"(?:the\s+)?$", re.I)


def classes_of(text: str) -> object | None:
    """Five labels after 'class' (or before 'labels'), five class names, or odd or even classes (those removed
    are the others)."""
    if not re.search(r"class|label|digit", text, re.I):
        return None
    digits = (re.search(r"class\w*[^0-9\n]{0,40}?" + FIVE, text, re.I)
              or re.search(FIVE + r"['\"‘’\])}]?\s{0,3}(?:target\s+|as\s+)?(?:labels|classes|digits)\b", text, re.I))
    if digits:
        labels = sorted(int(d) for d in digits.groups())
        return labels if len(set(labels)) == 5 else None
    named = sorted({label for name, label in NAMES.items() if re.search(rf"\b{re.escape(name)}\b", text, re.I)})
    if len(named) == 5:
        return named
    parities = []
    for match in re.finditer(r"\b(odd|even)[\s-]*(?:numbered\s*)?(?:labels|classes|digits)", text, re.I):
        odd = (match.group(1).lower() == "odd") != bool(REMOVED.search(text[max(0, match.start() - 40):match.start()]))
        parities.append([1, 3, 5, 7, 9] if odd else [0, 2, 4, 6, 8])
    return one_value(parities)


CONV = r"conv(?:olution(?:al)?)?s?"
POOL = r"(?:max|avg|average|mean)?[\s_-]?pool(?:ing)?"
NOT_A_SIZE = r"(?<![\w.-])(?<![x×*] )"  # '3 x 3 conv' is a kernel's size
# Words that make a count some of the layers, not all of them: 'the next four convolutional layers'.
PART_OF = re.compile(r"\b(?:next|other|remaining|last|following|subsequent|additional|extra|further|final|first|"
                     r"initial|second|another|more|fewer|these|those)\s+$", re.I)


def layout_of(text: str) -> tuple[int | None, int | None]:
    """(conv layers, pool layers) a line states: '4 conv layers and 1 MaxPooling layer', '4 conv + 1 pool', '4-Conv',
    'a 2-layered CNN', or a table row as a PDF's text gives it, 'Conv layers 4'."""
    counts: list[int | None] = []
    for kind in (CONV, POOL):
        befores = [m for m in re.finditer(NOT_A_SIZE + COUNT + rf"[\s-]{{0,3}}{kind}(?:\s{{0,3}}[\w-]{{0,20}}"
                                          r"\s{0,3}layers?)?\b", text, re.I)
                   if not PART_OF.search(text[max(0, m.start() - 20):m.start()])]
        if kind == CONV:
            befores += list(re.finditer(NOT_A_SIZE + COUNT + r"[\s-]{0,3}layer(?:ed)?\s{1,3}(?:CNN|conv\w*)\b",
                                        text, re.I))
        after = re.search(rf"\b{kind}\s{{0,3}}layers\W{{0,3}}(\d)\b", text, re.I)
        if len({_count(m.group(1)) for m in befores}) > 1:  # "tried 3 conv layers, then 4": two counts, none stated
            counts.append(None)
            continue
        match = min(befores, key=lambda m: m.start()) if befores else after
        counts.append(_count(match.group(1)) if match else None)
    return counts[0], counts[1]


FIRST = r"(?:first|1st)"


def first_filters_of(text: str) -> int | None:
    for pattern in (r"(?<!\d)(\d{1,4})\s{1,3}filters(?:\s{1,3}(?:in|for|at|on))?(?:\s{1,3}the)?\s{1,3}"
                    + FIRST,
                    rf"{FIRST}[\s-]{{0,3}}(?:conv\w{{0,12}}\s{{1,3}})?(?:layer\s{{1,3}})?filters\W{{0,3}}(\d{{1,4}})",
                    rf"{FIRST}\s{{0,3}}(?:conv\w{{0,12}}\s{{1,3}})?layer[^.\d]{{0,40}}?(\d{{1,4}})\s{{0,3}}filters",
                    r"conv\s{0,3}1\b[^.\n]{0,40}?out_channels\s{0,3}=\s{0,3}\**(\d{1,4})",
                    rf"(?:number of|no\.? of)\s{{0,3}}filters[^.\d]{{0,30}}?{FIRST}[^.\d]{{0,30}}?(\d{{1,4}})"):
        match = re.search(pattern, text, re.I)
        if match:
            return int(match.group(1))
    return None


FC_WORDS = re.compile(r"\bfc\b|\bfc\d|fully[\s-]?connected|\bdense\b|hidden layer|classification layer", re.I)
WIDTH_WORDS = re.compile(r"\d\s{0,3}(nodes|neurons|units)\b", re.I)  # '256 nodes' speaks of an FC layer's width
NOT_FC_WIDTH = re.compile(r"\binput|in_features|flatten|\b(en|de)cod\w*\s*layer\s*\d|\d{1,5}-\d{1,5}-\d{1,5}",
                          re.I)  # the last: a chain of widths, 784-392-196-98-32
NOT_HEAD = re.compile(r"latent|bottleneck|embedding|\bcode\b", re.I)  # widths that are the encoder's, not a head's
OUTPUT = re.compile(r"\boutput\b[^,;]*$", re.I)  # a width in the clause of the output layer is the classes'


def fc_width_of(text: str) -> int | None:
    """The width of the one FC layer a line speaks of; lines about its input, an encoder's layers or two widths
    state none, nor does the output layer."""
    said = FC_WORDS.search(text) or (WIDTH_WORDS.search(text) and not NOT_HEAD.search(text))
    if not said or NOT_FC_WIDTH.search(text):
        return None
    widths = [int(m.group(1)) for m in re.finditer(r"(?<![\d*x×.])(\d{2,4})(?![\d*x×]|\.\d)(?!\s*[*x×])", text)
              if 64 <= int(m.group(1)) <= 4096 and not re.search(r"[*x×]\s*$", text[:m.start()])
              and not OUTPUT.search(re.split(r"\band\b", text[:m.start()])[-1])]
    return widths[0] if len(set(widths)) == 1 else None


AE_LAYER_PATTERNS = (
    r"number of (?:(?:AE|auto[\s-]?encoder|encod\w{0,12})\s{1,3})?layers\b[^.\d]{0,40}?\(?" + COUNT + r"\b",
    r"(?<![\w.])\(?" + COUNT + r"\)?[\s-]{0,3}(?:(?:AE|encod\w{0,12})\s{1,3})?layers\b",
    r"(?<![\w.])" + COUNT + r"[\s-]layer\s{0,3}(?:deep\s{1,3})?(?:auto)?[\s-]?encoder",
    # layers of a kind, where the encoder is named: 'the encoder consists of three 2D convolutional layers'
    r"\bencod\w*\b[^.\d]{0,40}?(?<![\w.])" + COUNT
    + r"\s{1,3}(?:[23]-?D\s{1,3})?(?:conv\w*|linear|dense)\s{1,3}layers\b")


def ae_layers_of(text: str) -> int | None:
    """The autoencoder's layer count, from words said of it: counts of FC, hidden or dense layers are its head's."""
    for pattern in AE_LAYER_PATTERNS:
        match = re.search(pattern, text, re.I)
        if match:
            return _count(match.group(1))
    return None


KEY_VALUE = re.compile(r"^\|?\s*([A-Za-z][A-Za-z_ .()/+-]{1,40}?)\s*(?:\||:|=|-{1,2}|–)\s*([^|]{1,80}?)\s*(?:\||$)")
NUMBER = re.compile(r"(?<![\d.])(\d{1,4})(?![\d.])")
LEADING_COUNT = re.compile(r"^\W{0,2}(\d{1,4}|one|two|three|four|five|six|seven|eight)\b(?![.,]?\d|\s*[x×*])", re.I)


def key_value(text: str) -> tuple[str, str] | None:
    """('conv layers', '4') from a table row '| Conv layers | 4 |' or a line 'Conv layers: 4'."""
    match = KEY_VALUE.match(text)
    return (match.group(1).strip().lower(), match.group(2).strip()) if match else None


def keyed(key: str, value: str, line: Line) -> Iterator[tuple[str, object]]:
    """The aspect a key names, and the value beside it: hyperparameter tables and 'Key: value' lines. A count is
    the number the value begins with ('1 with kernel size = 2'), never a stride, padding or kernel size after it."""
    lead = LEADING_COUNT.match(value)
    count = _count(lead.group(1)) if lead else None
    widths = [int(n) for n in NUMBER.findall(value) if int(n) >= 32]
    ae = bool(re.search(r"\bae\b|auto|encod|classifier", key)) or (line.section == "ae" and "cnn" not in key)
    if "decod" in key:  # a decoder's layers are not the encoder's
        return
    if "filter" in key:
        if count is not None and not re.search(r"size|kernel|stride|shape|second|2nd|third|3rd|last|\d", key):
            yield "first_filters", count
    elif re.search(r"\bfc\b|fully|dense|hidden|nodes|neurons|units", key):
        per_node = [int(m.group(1)) for m in re.finditer(r"(\d{2,4})\s{0,3}(?:nodes|neurons|units)\b", value, re.I)]
        counting = re.search(r"number|\bno\b|layers\b", key)  # 'number of FC layers = 1 with 256 neurons'
        width = one_value(per_node) if per_node or counting else one_value(widths)
        if width is not None and not re.search(r"[x×*]", value):
            yield ("ae_fc_nodes" if ae else "fc_nodes"), width
    elif "conv" in key and count is not None and "layer" in key:
        yield "conv_layers", count
    elif "pool" in key and "layer" in key:
        if count is not None:
            yield "pool_layers", count
        if pool_of(key):
            yield "pool", pool_of(key)
    elif ae and "layer" in key and count is not None and count <= 8:
        yield "ae_layers", count


def aspects(read: list[Line]) -> dict[str, list[Found]]:
    """Each aspect's values as the text states them, in the order stated. Printed outputs, code (commented out, or
    in a fenced block of Markdown) and what a sentence negates or says of a value tried and not kept state none."""
    stated: dict[str, list[Found]] = {}
    fenced: set[tuple[str, str]] = set()

    def add(aspect: str, line: Line, value) -> None:
        if value is not None:
            stated.setdefault(aspect, []).append(line.found(value))

    for line in read:
        place = (line.piece.file, line.piece.place)
        if line.text.startswith(("```", "~~~")):
            fenced ^= {place}
            continue
        text = statement(line) if place not in fenced else None
        text = kept(text, line.paragraph) if text is not None else None
        if text is None or NEGATION.search(text) or CONDITIONAL.search(text):
            continue
        pair = key_value(text)
        if pair is not None:
            taken = dict(keyed(*pair, line))
            for aspect, value in taken.items():
                add(aspect, line, value)
            if taken:
                continue
        add("dataset", line, dataset_of(text, title=TITLE.match(text) is not None))
        add("init", line, init_of(text))
        add("augmentation", line, augmentation_of(text))
        add("classes", line, classes_of(text))
        said = spans(text) or referred(text, line.paragraph)
        # The CNN's pooling and layout wherever they are stated, unless the line says them of another network.
        for words in [text] if not said else [words for network, words in said if network == "cnn"]:
            add("pool", line, pool_of(words))
            conv, pool = layout_of(words)
            add("conv_layers", line, conv)
            add("pool_layers", line, pool if conv is not None or re.search(r"pool\w*\s*layers?", words, re.I) else None)
            add("first_filters", line, first_filters_of(words))
        for network, words in said or [(context(line) or "", text)]:
            if network == "cnn":
                add("fc_nodes", line, fc_width_of(words))
            elif network == "ae":
                add("ae_fc_nodes", line, fc_width_of(words))
                add("ae_layers", line, ae_layers_of(words))
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


SOMEONE_ELSE = re.compile(r"\b(friend|thank|senior|junior|batch|classmate|colleague|credit|discuss\w*|previous|"
                          r"reference|https?://|github|www\.)", re.I)
SELF = re.compile(r"\broll\b|\bname\b|\bstudent\b|\bsubmitted by\b|\bmy\b|\bI am\b|\bDOB\b|\bdate of birth\b",
                  re.I)


def details(read: list[Line], files: tuple[str, ...] = ()) -> Details:
    """The first statement of each detail about the student: a roll number on a title page's short line or in a
    sentence about the student, never one that names someone else's (a friend, an earlier batch, a link); a roll
    number only in the files' names (`m22ma007_q1.py`) counts."""
    found: dict[str, str] = {}
    for line in read:
        text = line.text
        if SOMEONE_ELSE.search(text):  # a friend's roll, an earlier batch's, a repository's: not the student's
            continue
        date = re.search(r"(?:DD\s*/\s*MM\s*/\s*YY(?:YY)?|date of birth|d\.?o\.?b\.?|born)[^0-9\n]{0,15}"
                         r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{2}|\d{4})\b", text, re.I)
        if date:
            found.setdefault("dob", "/".join(date.groups()))
        roll = ROLL.search(text)
        if roll and (len(text) < 60 or SELF.search(text)):  # a title page's line, or one about the student
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
