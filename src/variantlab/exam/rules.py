"""The exam's rule table (ASSIGNMENT.md sections 2 and 3), kept as data.

One row per rule: the aspect it decides, the condition on the student's details,
the variant fields it sets, and the reason as a template over the details. For
each aspect the first row whose condition holds wins, so a rule change is a
one-row change.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import NamedTuple

from variantlab.exam.student import PROGRAMS, Student


@dataclass(frozen=True)
class Facts:
    """The arithmetic the rules use, done as the reference report does it."""

    dd: int
    mm: int
    yy: int
    abc: str
    program: str

    @property
    def n(self) -> int:
        return int(self.abc)

    @property
    def btech(self) -> bool:
        return self.program == "btech"

    @property
    def abc_even(self) -> bool:
        return self.n % 2 == 0

    @property
    def digit_sum(self) -> int:
        return sum(int(c) for c in self.abc)

    @property
    def last_digit(self) -> int:
        return int(self.abc[-1])

    @property
    def dmy_sum(self) -> int:
        return self.dd + self.mm + self.yy

    def words(self) -> dict:
        return {
            "dd": self.dd, "mm": self.mm, "yy": self.yy, "abc": self.abc, "prog": PROGRAMS[self.program],
            "digit_sum": self.digit_sum, "last_digit": self.last_digit, "dmy_sum": self.dmy_sum,
            "digits": "+".join(self.abc), "abc_parity": "even" if self.abc_even else "odd",
        }


class Rule(NamedTuple):
    aspect: str
    when: Callable[[Facts], bool]
    sets: dict
    why: str


def _even(x: int) -> bool:
    return x % 2 == 0


RULES: tuple[Rule, ...] = (
    Rule("dataset", lambda f: f.btech and f.abc_even, {"dataset": "fashion_mnist"}, "ABC = {abc} is even, {prog}"),
    Rule("dataset", lambda f: f.btech, {"dataset": "mnist"}, "ABC = {abc} is odd, {prog}"),
    Rule("dataset", lambda f: True, {"dataset": "cifar10"}, "{prog} uses CIFAR-10 whatever ABC is"),
    Rule("init", lambda f: _even(f.mm), {"init": "xavier"}, "MM = {mm} is even"),
    Rule("init", lambda f: True, {"init": "he"}, "MM = {mm} is odd"),
    Rule("augmentation", lambda f: _even(f.dd), {"augmentation": "flip_random_noise"}, "DD = {dd} is even"),
    Rule("augmentation", lambda f: True, {"augmentation": "rotate_gaussian_noise"}, "DD = {dd} is odd"),
    Rule("pool", lambda f: _even(f.mm), {"pool": "avg"}, "MM = {mm} is even"),
    Rule("pool", lambda f: True, {"pool": "max"}, "MM = {mm} is odd"),
    Rule("classes", lambda f: _even(f.dmy_sum), {"classes": (0, 2, 4, 6, 8)},
         "DD+MM+YY = {dd}+{mm}+{yy} = {dmy_sum} is even"),
    Rule("classes", lambda f: True, {"classes": (1, 3, 5, 7, 9)}, "DD+MM+YY = {dd}+{mm}+{yy} = {dmy_sum} is odd"),
    Rule("feature_extractor", lambda f: f.btech and f.last_digit < 6 and f.abc_even,
         {"conv_layers": 4, "pool_layers": 1}, "last digit of ABC = {last_digit} < 6 and ABC is even, {prog}"),
    Rule("feature_extractor", lambda f: f.btech and f.last_digit < 6,
         {"conv_layers": 3, "pool_layers": 2}, "last digit of ABC = {last_digit} < 6 and ABC is odd, {prog}"),
    Rule("feature_extractor", lambda f: f.btech, {"conv_layers": 5, "pool_layers": 1},
         "last digit of ABC = {last_digit} >= 6, {prog}"),
    Rule("feature_extractor", lambda f: f.abc_even, {"conv_layers": 5, "pool_layers": 2},
         "ABC = {abc} is even, {prog}"),
    Rule("feature_extractor", lambda f: True, {"conv_layers": 6, "pool_layers": 1}, "ABC = {abc} is odd, {prog}"),
    Rule("first_filters", lambda f: f.btech and f.abc_even, {"first_filters": 10}, "ABC = {abc} is even, {prog}"),
    Rule("first_filters", lambda f: f.btech, {"first_filters": 8}, "ABC = {abc} is odd, {prog}"),
    Rule("first_filters", lambda f: f.abc_even, {"first_filters": 16}, "ABC = {abc} is even, {prog}"),
    Rule("first_filters", lambda f: True, {"first_filters": 12}, "ABC = {abc} is odd, {prog}"),
    Rule("fc_nodes", lambda f: f.btech and _even(f.digit_sum), {"fc_nodes": 512},
         "digit sum of ABC = {digits} = {digit_sum} is even, {prog}"),
    Rule("fc_nodes", lambda f: f.btech, {"fc_nodes": 256}, "digit sum of ABC = {digits} = {digit_sum} is odd, {prog}"),
    Rule("fc_nodes", lambda f: _even(f.digit_sum), {"fc_nodes": 1024},
         "digit sum of ABC = {digits} = {digit_sum} is even, {prog}"),
    Rule("fc_nodes", lambda f: True, {"fc_nodes": 512}, "digit sum of ABC = {digits} = {digit_sum} is odd, {prog}"),
    Rule("ae_layers", lambda f: f.abc_even, {"ae_layers": 4}, "ABC = {abc} is even"),
    Rule("ae_layers", lambda f: True, {"ae_layers": 3}, "ABC = {abc} is odd"),
    Rule("ae_fc_nodes", lambda f: _even(f.mm), {"ae_fc_nodes": 512}, "MM = {mm} is even"),
    Rule("ae_fc_nodes", lambda f: True, {"ae_fc_nodes": 256}, "MM = {mm} is odd"),
)

ASPECTS: tuple[str, ...] = tuple(dict.fromkeys(rule.aspect for rule in RULES))

DATASET_NAMES = {"fashion_mnist": "FashionMNIST", "mnist": "MNIST", "cifar10": "CIFAR-10"}


class AugmentationKind(NamedTuple):
    """What a rule's augmentation name means: the geometric move (a function in augment.GEOMETRIC), the
    noise (None: the profile's reading of the exam's "random noise"), and the words for people."""

    geometric: str
    noise: str | None
    words: str


# Adding an augmentation: one entry here, and its move in augment.GEOMETRIC if it is a new one.
AUGMENTATIONS = {
    "flip_random_noise": AugmentationKind("flip", None, "horizontal flip + random noise"),
    "rotate_gaussian_noise": AugmentationKind("rotate", "normal", "rotation by up to 10 degrees + Gaussian noise"),
}
AUGMENTATION_NAMES = {name: kind.words for name, kind in AUGMENTATIONS.items()}


class Reason(NamedTuple):
    """Why a variant has one aspect's value: the value in words and the rule's condition on the details."""

    aspect: str
    value: str
    why: str

    @classmethod
    def from_json(cls, aspect: str, saved) -> "Reason":
        if isinstance(saved, str):  # results.json written before reasons were structured: "value: why"
            value, _, why = saved.partition(": ")
            return cls(aspect, value, why)
        return cls(aspect, saved["value"], saved["why"])


@dataclass(frozen=True)
class Variant:
    """A student's exam variant: every value the rule table fixes, each with its reason."""

    dataset: str
    init: str
    augmentation: str
    pool: str
    classes: tuple[int, ...]
    conv_layers: int
    pool_layers: int
    first_filters: int
    fc_nodes: int
    ae_layers: int
    ae_fc_nodes: int
    reasons: tuple["Reason", ...]  # one per aspect, in the rule table's order

    @property
    def key(self) -> str:
        """A short name that two students share exactly when their variants are equal."""
        return "-".join([
            self.dataset, self.init, self.augmentation.split("_")[0], self.pool,
            "c" + "".join(map(str, self.classes)), f"{self.conv_layers}conv{self.pool_layers}pool",
            f"f{self.first_filters}", f"fc{self.fc_nodes}", f"ae{self.ae_layers}", f"aefc{self.ae_fc_nodes}",
        ])

    def to_dict(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "reasons"}
        return values | {"classes": list(self.classes),
                         "reasons": {r.aspect: {"value": r.value, "why": r.why} for r in self.reasons}}

    @classmethod
    def from_dict(cls, d: dict) -> "Variant":
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in names}
        return cls(**values | {"classes": tuple(d["classes"]),
                               "reasons": tuple(Reason.from_json(a, r) for a, r in d["reasons"].items())})


def describe(aspect: str, sets: dict) -> str:
    """The value of one aspect in words, as the report's table shows it."""
    value = next(iter(sets.values()))
    return {
        "dataset": lambda: DATASET_NAMES[value],
        "init": lambda: {"he": "He (Kaiming) normal", "xavier": "Xavier (Glorot) normal"}[value],
        "augmentation": lambda: AUGMENTATION_NAMES[value],
        "pool": lambda: {"max": "MaxPool", "avg": "AvgPool"}[value],
        "classes": lambda: ", ".join(map(str, value)),
        "feature_extractor": lambda: f"{sets['conv_layers']} conv + {sets['pool_layers']} pool",
        "first_filters": lambda: f"{value} filters",
        "fc_nodes": lambda: f"FC {value}",
        "ae_layers": lambda: f"{value} layers",
        "ae_fc_nodes": lambda: f"FC {value}",
    }[aspect]()


def aspect_values(variant: Variant) -> dict[str, str]:
    """Each aspect's value in words, read off the variant: what two variants are compared by."""
    fields_of = {rule.aspect: tuple(rule.sets) for rule in RULES}
    return {aspect: describe(aspect, {name: getattr(variant, name) for name in names})
            for aspect, names in fields_of.items()}


def facts_of(student: Student) -> Facts:
    return Facts(student.day, student.month, student.yy, student.abc, student.program)


def deciding_rules(facts: Facts) -> list[Rule]:
    """For each aspect, the first row whose condition holds."""
    return [next(r for r in RULES if r.aspect == aspect and r.when(facts)) for aspect in ASPECTS]


def derive(student: Student) -> Variant:
    facts = facts_of(student)
    words = facts.words()
    values: dict = {}
    reasons = []
    for aspect, rule in zip(ASPECTS, deciding_rules(facts), strict=True):
        values |= rule.sets
        reasons.append(Reason(aspect, describe(aspect, rule.sets), rule.why.format(**words)))
    return Variant(**values, reasons=tuple(reasons))


def variant_table(variant: Variant) -> list[tuple[str, str, str]]:
    """(aspect, value, why) rows, for the CLI's table and the report."""
    return [(r.aspect.replace("_", " "), r.value, r.why) for r in variant.reasons]


# The rules read a date only through the parities of DD, MM and DD+MM+YY, so these eight dates stand for
# all of them (tests check this on real dates).
DATES = tuple(f"{dd:02d}/{mm:02d}/{yy:02d}" for dd in (1, 2) for mm in (1, 2) for yy in (0, 1))


def distinct_variants() -> set[str]:
    """Every variant the rule table allows, as keys: the eight DATES, every ABC, both programme groups."""
    from variantlab.exam.student import parse_student

    return {derive(parse_student(dob, f"{abc:03d}", program)).key
            for dob in DATES for abc in range(1000) for program in ("btech", "mtech")}


def without_dob(abc: str, program: str) -> dict[str, object]:
    """Each variant field that ABC and the programme decide whatever the date of birth, with its value;
    the fields the date decides are left out. Read off the rule table itself, over the eight DATES."""
    from variantlab.exam.student import parse_student

    variants = [derive(parse_student(dob, abc, program)).to_dict() for dob in DATES]
    return {name: value for name, value in variants[0].items() if name != "reasons"
            and all(v[name] == value for v in variants)}
