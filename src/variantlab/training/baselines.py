"""What a result is judged against: its own variant's measured numbers, never another's passed off as them.

`baselines.json` beside this module is generated from the grade-book runs by
`benchmarks/baselines.py` (docs/VARIANTS.md) and never typed by hand: per variant key, each profile's
test accuracies per seed, the seconds per run, the test set's size and the machine. The reference report's
published numbers belong to one variant only, the reference student's, and are shown for it alone.

`judge` is the one judgement: the report, the class summary and the submission checker all call it.
"""

import json
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from variantlab.exam.rules import Variant, aspect_values, derive
from variantlab.exam.student import parse_student
from variantlab.training.config import CLASSIFIERS, ClassifierName
from variantlab.training.results import RunResult

FILE = Path(__file__).with_name("baselines.json")
PROFILE_ORDER = ("fast", "faithful")
OUTLIER_SDS = 3.0  # a result further than this many spreads from a baseline's mean is out of its reach

# The reference report's published numbers (ASSIGNMENT.md section 5), for the reference variant only.
REFERENCE_REPORT = {
    "cnn_test_accuracy": 0.9792, "cnn_train_accuracy": 0.9885, "cnn_train_loss": 0.0330,
    "ae_mse_epoch_1": 0.544, "ae_mse_last_epoch": 0.516,
    "ae_classifier_test_accuracy": 0.9712, "ae_classifier_train_accuracy": 0.9856, "ae_classifier_train_loss": 0.0402,
}


@cache
def reference_variant() -> Variant:
    """The reference report's student: 18/03/02, roll B20AI052, B.Tech (ASSIGNMENT.md section 4)."""
    return derive(parse_student("18/03/02", "B20AI052", "btech"))


def reference_numbers(variant: Variant) -> Mapping[str, float] | None:
    """The reference report's published numbers where they apply: on the reference's own variant alone."""
    return REFERENCE_REPORT if variant.key == reference_variant().key else None


@dataclass(frozen=True)
class Measured:
    """One profile's runs on one variant: test accuracy per model and seed, seconds per run."""

    profile: str
    seeds: tuple[int, ...]
    accuracy: Mapping[ClassifierName, tuple[float, ...]]  # one value per seed
    seconds: tuple[float, ...]
    machine: str
    test_size: int

    def mean(self, model: ClassifierName) -> float:
        return statistics.mean(self.accuracy[model])

    def sd(self, model: ClassifierName) -> float | None:
        values = self.accuracy[model]
        return statistics.stdev(values) if len(values) > 1 else None

    def spread(self, model: ClassifierName, runs: int = 1) -> float:
        """The sd a new result is judged by: the seeds' own (for a mean of `runs` seeds, that over √runs), but
        never below the test set's sampling error, since one seed has no spread and two can agree to the
        image by chance, and seeds tested on the same images share that error rather than average it out."""
        mean = self.mean(model)
        return max((self.sd(model) or 0.0) / math.sqrt(runs), math.sqrt(mean * (1 - mean) / self.test_size))


@dataclass(frozen=True)
class Baseline:
    """The measured numbers for a student's variant. `key` names the variant they were measured on;
    `differences` lists (aspect, measured variant's value, student's value) where that is not the
    student's own variant (same dataset and classes, the fewest other differences)."""

    key: str
    differences: tuple[tuple[str, str, str], ...]
    profiles: Mapping[str, Measured]

    @property
    def own(self) -> bool:
        return not self.differences

    def where(self) -> str:
        """'this variant', or 'the closest measured variant `key`'."""
        return "this variant" if self.own else f"the closest measured variant `{self.key}`"

    def label(self, profile: str) -> str:
        """A column's or a bar's name: 'fast, this variant', 'faithful, closest measured variant'."""
        return f"{profile}, {'this variant' if self.own else 'closest measured variant'}"

    def differs(self) -> str:
        """What the measured variant has otherwise than the student's: 'pool (AvgPool there, MaxPool here), ...'."""
        return ", ".join(f"{aspect.replace('_', ' ')} ({theirs} there, {mine} here)"
                         for aspect, theirs, mine in self.differences)


@dataclass(frozen=True)
class Table:
    """The grade book's measured variants, as baselines.json holds them."""

    variants: Mapping[str, dict]

    @classmethod
    def load(cls, path: Path = FILE) -> "Table":
        return cls(json.loads(path.read_text())["variants"] if path.exists() else {})

    def for_variant(self, variant: Variant, profile: str | None = None) -> Baseline | None:
        """The student's own variant if it was measured (under `profile`, when one is named); else the
        closest so measured variant with the same dataset and classes; else None."""
        mine = aspect_values(variant)
        candidates = []
        for key, entry in self.variants.items():
            if profile is not None and profile not in entry["profiles"]:
                continue
            theirs = aspect_values(Variant.from_dict(entry["variant"] | {"reasons": {}}))
            if theirs["dataset"] != mine["dataset"] or theirs["classes"] != mine["classes"]:
                continue
            differences = tuple((a, theirs[a], mine[a]) for a in mine if theirs[a] != mine[a])
            candidates.append((len(differences), key, differences, entry))
        if not candidates:
            return None
        _, key, differences, entry = min(candidates, key=lambda c: c[:2])
        profiles = {name: _measured(name, entry["profiles"][name])
                    for name in PROFILE_ORDER if name in entry["profiles"]}
        return Baseline(key, differences, profiles)


@cache
def shipped() -> Table:
    """The table the package ships (read once: it never changes while a process runs)."""
    return Table.load()


def _measured(profile: str, entry: dict) -> Measured:
    return Measured(profile, tuple(entry["seeds"]), {m: tuple(entry[m]) for m in CLASSIFIERS}, tuple(entry["seconds"]),
                    entry["machine"], entry["test_size"])


@dataclass(frozen=True)
class Reach:
    """One profile's measured accuracy for one classifier, and the band a result is judged in: its mean
    plus or minus OUTLIER_SDS spreads."""

    baseline: Baseline
    measured: Measured
    model: ClassifierName
    runs: int = 1  # the result judged is a mean over this many seeds

    @property
    def mean(self) -> float:
        return self.measured.mean(self.model)

    @property
    def spread(self) -> float:
        return self.measured.spread(self.model, self.runs)

    @property
    def low(self) -> float:
        return self.mean - OUTLIER_SDS * self.spread

    @property
    def high(self) -> float:
        return self.mean + OUTLIER_SDS * self.spread

    def words(self) -> str:
        return (f"{self.measured.profile}'s {100 * self.mean:.2f} % on {self.baseline.where()} "
                f"(spread {100 * self.spread:.2f} points)")


Verdict = Literal["plausible", "above_measured", "below_measured", "not_judged_low", "no_baseline"]


@dataclass(frozen=True)
class Judgement:
    """An accuracy against what its variant measured. `upper` bounds it from above and `lower` from below:
    the same profile's reach for a variantlab run, the tuned (`fast`) and the reference (`faithful`)
    protocols' for a claim made under an unknown protocol."""

    model: ClassifierName
    accuracy: float
    verdict: Verdict
    why: str
    upper: Reach | None
    lower: Reach | None
    caveats: tuple[str, ...]

    @property
    def outlier(self) -> bool:
        return self.verdict in ("above_measured", "below_measured")

    @property
    def baseline(self) -> Baseline | None:
        reach = self.upper or self.lower
        return reach.baseline if reach else None


def _reach(table: Table, variant: Variant, profile: str, model: ClassifierName, runs: int = 1) -> Reach | None:
    baseline = table.for_variant(variant, profile)
    if baseline is None or profile not in baseline.profiles:
        return None
    return Reach(baseline, baseline.profiles[profile], model, runs)


def judge(variant: Variant, model: ClassifierName, accuracy: float, table: Table, *, profile: str | None = None,
          changed_settings: tuple[str, ...] = (), train_limit: int | None = None, runs: int = 1) -> Judgement:
    """Judge a test accuracy on `variant`: a variantlab run of `profile` against that profile's measured
    numbers; with no profile (a student's claim), against the tuned profile's reach above and the
    reference protocol's below. `runs` > 1 judges a mean over that many seeds, in a band narrower by √runs.
    `changed_settings` and `train_limit` say how the run differs from the baseline's, and become caveats."""
    upper = _reach(table, variant, profile or "fast", model, runs)
    lower = upper if profile else _reach(table, variant, "faithful", model, runs)
    reaches = [r for r in ([upper] if lower is upper else [upper, lower]) if r is not None]
    standing_in = {r.baseline.key: r.baseline for r in reaches if not r.baseline.own}
    caveats = [f"`{b.key}` stands in for this variant, which was not measured; it differs in: {b.differs()}"
               for b in standing_in.values()]
    if changed_settings:
        caveats.append(f"this run changed {', '.join(changed_settings)}: not the baseline's settings")
    if train_limit:
        caveats.append(f"trained on the first {train_limit} images only: the baseline used all")
    claimed, sds = f"{100 * accuracy:.2f} %", f"{OUTLIER_SDS:g} spreads"
    if not reaches:
        measured = f"under {profile}" if profile else "under any profile"
        return Judgement(model, accuracy, "no_baseline", f"no variant with this dataset and classes was measured "
                         f"{measured}", None, None, tuple(caveats))
    unjudged_low = not profile and lower is None
    if unjudged_low:
        caveats.append("the reference protocol was not measured on this dataset and classes: a low claim is not "
                       "judged")
    verdict: Verdict = "plausible"
    if upper is not None and accuracy > upper.high:
        verdict, why = "above_measured", f"{claimed} is more than {sds} above {upper.words()}"
    elif lower is not None and accuracy < lower.low:
        verdict, why = "below_measured", f"{claimed} is more than {sds} below {lower.words()}"
    elif unjudged_low and upper is not None and accuracy < upper.low:  # below the tuned profile, but how far
        # below the reference protocol's reach nobody measured: neither plausible nor out of reach
        verdict, why = "not_judged_low", f"{claimed} is more than {sds} below {upper.words()}"
    elif lower is upper:
        why = f"{claimed} lies within {sds} of {reaches[0].words()}"
    else:
        bounds = ([f"more than {sds} below {lower.words()}"] if lower else []) + (
            [f"more than {sds} above {upper.words()}"] if upper else [])
        why = f"{claimed} is within reach: not {' nor '.join(bounds)}"
    return Judgement(model, accuracy, verdict, why, upper, lower, tuple(caveats))


def judge_run(result: RunResult, table: Table, accuracy: Mapping[ClassifierName, float] | None = None,
              runs: int = 1) -> dict[ClassifierName, Judgement]:
    """Both classifiers of a variantlab run, each against its own profile's measured numbers; `accuracy`
    (a mean over `runs` seeds, say) instead of the run's own where given."""
    return {m: judge(result.variant, m, accuracy[m] if accuracy else result.classifier(m).test_accuracy, table,
                     profile=result.profile.name, changed_settings=result.changed_settings,
                     train_limit=result.train_limit, runs=runs) for m in CLASSIFIERS}
