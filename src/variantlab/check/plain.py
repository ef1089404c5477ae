"""A check's verdicts in plain words, for the marks and the feedback a student reads: "Your code uses
MaxPool; your variant needs AvgPool because MM = 4 is even."

Everything here reads the check's JSON (`CheckResult.to_json()`), so the words are the same whether the
check ran a moment ago or was saved earlier.
"""

import re
from dataclasses import dataclass

from variantlab.exam.rules import AUGMENTATION_NAMES, DATASET_NAMES, Variant, derive
from variantlab.exam.student import Student

NOUNS = {
    "dataset": "the dataset", "init": "the weight initialisation", "augmentation": "the data augmentation",
    "pool": "the pooling", "classes": "the target classes", "conv_layers": "the number of convolutional layers",
    "pool_layers": "the number of pooling layers", "first_filters": "the number of filters in the first layer",
    "fc_nodes": "the CNN's fully connected layer", "ae_layers": "the number of the autoencoder's encoder layers",
    "ae_fc_nodes": "the AE classifier's fully connected layer",
}
RULE_OF = {"conv_layers": "feature_extractor", "pool_layers": "feature_extractor"}  # the rule that decides them
NETWORKS = {"cnn": "the CNN", "ae_classifier": "the AE classifier", "autoencoder": "the autoencoder",
            "unattributed": "a network"}
INITS = {"he": "He initialisation", "xavier": "Xavier initialisation"}
POOLS = {"max": "MaxPool", "avg": "AvgPool"}


def one_value(aspect: str, value: object) -> str:
    if aspect == "dataset":
        return DATASET_NAMES.get(str(value), str(value))
    if aspect == "init":
        return INITS.get(str(value), str(value))
    if aspect == "augmentation":
        return AUGMENTATION_NAMES.get(str(value), str(value))
    if aspect == "pool":
        return POOLS.get(str(value), str(value))
    if aspect == "classes":
        return f"classes {', '.join(map(str, value))}" if isinstance(value, list | tuple) else str(value)
    widths = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return {"conv_layers": f"{widths} convolutional layers", "pool_layers": f"{widths} pooling layer(s)",
            "first_filters": f"{widths} filters in the first layer", "fc_nodes": f"a fully connected layer of {widths}",
            "ae_layers": f"{widths} encoder layers", "ae_fc_nodes": f"a fully connected layer of {widths}"}.get(
        aspect, widths)


def several(aspect: str, value: object) -> list | None:
    """The values, where code builds several (a list of them), else None: a class list or a list of FC widths
    is one value."""
    if not isinstance(value, list) or not value or aspect in ("fc_nodes", "ae_fc_nodes"):
        return None
    return value if aspect != "classes" or isinstance(value[0], list) else None


def values(aspect: str, value: object) -> str:
    """A value, or the several values code builds, in words: 'MaxPool', 'MaxPool and AvgPool'."""
    many = several(aspect, value)
    return " and ".join(one_value(aspect, v) for v in many) if many else one_value(aspect, value)


def student_of(result: dict) -> Student | None:
    saved = result.get("student") or {}
    try:
        return Student.from_dict(saved) if saved.get("day") else None
    except (KeyError, TypeError):
        return None


def variant_of(result: dict) -> Variant | None:
    student = student_of(result)
    return derive(student) if student else None


def reasons(result: dict) -> dict[str, str]:
    """Each check aspect's reason in the rule table: 'MM = 4 is even'."""
    variant = variant_of(result)
    if variant is None:
        return {}
    by_rule = {r.aspect: r.why for r in variant.reasons}
    return {aspect: by_rule.get(RULE_OF.get(aspect, aspect), "") for aspect in NOUNS}


def aspect_sentence(aspect: str, check: dict, why: str = "") -> str:
    """One aspect's verdict as the student reads it."""
    required, code, verdict = check.get("required"), check.get("code"), check.get("verdict")
    text = check.get("text") or []
    noun, wanted = NOUNS.get(aspect, aspect), values(aspect, required)
    because = f" because {why}" if why else ""
    needs = f"your variant needs {wanted}{because}"
    others = [t for t in text if t != required]
    if verdict == "ok":
        source = "Your code builds" if code is not None else "Your text states"
        return f"{source} {wanted}, as your variant needs."
    if verdict == "violates":
        if code is None:
            return f"Your text states {' and '.join(values(aspect, t) for t in text)}; {needs}."
        many = several(aspect, code) or []
        if required in many:
            also = " and ".join(one_value(aspect, v) for v in many if v != required)
            return f"Your code builds {wanted} but also {also}; {needs}."
        return f"Your code uses {values(aspect, code)}; {needs}."
    if verdict == "contradicts":
        said = " and ".join(values(aspect, t) for t in others)
        if code is not None:
            return f"Your code builds {wanted}, as your variant needs, but your text also states {said}."
        return f"Your text states {wanted}, as your variant needs, but elsewhere {said}."
    if verdict == "not_found":
        return f"Neither your code nor your text shows {noun} in a way the check could read; {needs}."
    return f"Not checked: your date of birth decides {noun}, and none was given."


def percent(fraction: float) -> str:
    return f"{100 * fraction:.2f} %"


def claim_sentence(network: str, judgement: dict) -> str:
    """How one network's test accuracy claim was judged, as the student reads it."""
    name = NETWORKS.get(network, network)
    claimed, verdict = judgement.get("claimed"), judgement.get("verdict")
    if claimed is None or verdict == "not_found":
        return f"No test accuracy of {name} was found in your submission."
    said = f"You report a test accuracy of {percent(claimed)} for {name}"
    return said + {
        "plausible": ": a possible result on your variant's test set, within what your variant reaches.",
        "not_judged_low": ": a possible result on your variant's test set (a low result is not judged for it).",
        "no_baseline": ": a possible result on your variant's test set (no measured runs to compare it with).",
        "unknown": ": not judged against measured runs, as your date of birth (which decides your classes) was "
                   "not given.",
        "above_measured": ", higher than runs of your variant reached when measured; the grader will look at how "
                          "you got it.",
        "below_measured": ", lower than even the reference protocol reaches on your variant; look at your training "
                          "(learning rate, epochs, the classes you kept).",
        "impossible_for_n": ", but no whole number of your variant's test images gives it: was it measured on your "
                            "five classes' test set?",
    }.get(str(verdict), f" (judged {verdict}).")


TITLE_OF = {"CNN": "cnn", "AE classifier": "ae_classifier"}  # config.TITLES, as findings name the networks
FINDINGS: tuple[tuple[str, re.Pattern[str]], ...] = (  # the check's and the class's findings, by what they say
    ("details_disagree", re.compile(r"^the submission states other details ")),
    ("text_vs_output", re.compile(r"^(?P<title>CNN|AE classifier): the text says (?P<said>\S+ %) \((?P<where>.*?)\), "
                                  r"but the submission's own output printed (?P<printed>\S+ %) \((?P<at>.*)\)$")),
    ("at_chance", re.compile(r"^(?P<title>CNN|AE classifier) accuracy (?P<said>\S+ %) is at or below chance "
                             r"\((?P<chance>\S+ %)\) \((?P<where>.*)\)$")),
    ("claim", re.compile(r"^(?P<title>CNN|AE classifier) accuracy (above_measured|below_measured|impossible_for_n): "
                         r".*\((?P<where>[^()]*)\)$")),
    ("aspect", re.compile(rf"^(?P<aspect>{'|'.join(NOUNS)}): (violates|contradicts), .*\((?P<where>[^()]*)\)$")),
    ("test_size", re.compile(r"^states (?P<stated>[\d,]+) test images, but the variant's five classes have "
                             r"(?P<have>.*?) \((?P<where>.*)\)$")),
    ("unreadable_file", re.compile(r"^could not read (?P<what>.*)$")),
    ("unparsed_code", re.compile(r"^(?P<where>.*?): code that could not be read")),
    ("near_identical", re.compile(r"^code near-identical to .+'s submission \((?P<score>\d+) % alike\)$")),
    ("other_variant", re.compile(r"^code builds the variant of .+, not this student's$")),
)
FINDING_KINDS = tuple(kind for kind, _ in FINDINGS)


@dataclass(frozen=True)
class Finding:
    text: str  # as the check wrote it (it may name another student: for the grader only)
    kind: str  # one of FINDING_KINDS, or "other"
    network: str | None  # the network it is about, where it is about one
    where: str
    words: str  # for the student: plain, naming no other student

    @classmethod
    def of(cls, text: str) -> "Finding":
        for kind, pattern in FINDINGS:
            match = pattern.search(text)
            if match:
                got = match.groupdict()
                return cls(text, kind, TITLE_OF.get(got.get("title") or ""), got.get("where") or "",
                           finding_words(kind, got, text))
        return cls(text, "other", None, "", text)


def finding_words(kind: str, got: dict[str, str], text: str) -> str:
    network = NETWORKS.get(TITLE_OF.get(got.get("title") or "", ""), "")
    return {
        "details_disagree": lambda: "Your submission states details (date of birth, roll number or programme) other "
                                    "than those the class list has for you; it was checked against the class list's.",
        "text_vs_output": lambda: f"For {network}, your text says {got['said']} ({got['where']}), but your own code's "
                                  f"output printed {got['printed']} ({got['at']}).",
        "at_chance": lambda: f"The test accuracy of {network}, {got['said']}, is at or below chance "
                             f"({got['chance']} for five classes) ({got['where']}).",
        "test_size": lambda: f"Your submission states {got['stated']} test images, but your variant's five classes "
                             f"have {got['have']} ({got['where']}).",
        "unreadable_file": lambda: f"This could not be read: {got['what']}.",
        "unparsed_code": lambda: f"{got['where']}: code that could not be read (it does not parse).",
        "near_identical": lambda: f"Your code is near-identical to another submission ({got['score']} % alike); the "
                                  "grader will look at both.",
        "other_variant": lambda: "Your code builds another student's variant exactly, not your own.",
    }.get(kind, lambda: text)()
