"""What a run is compared with: its own variant's measured numbers, never another's passed off as them.

`baselines.json` beside this module is generated from the grade-book runs by
`benchmarks/baselines.py` (docs/VARIANTS.md) and never typed by hand: per variant key, each profile's
test accuracies per seed, the seconds per run, the test set's size and the machine. The reference report's
published numbers belong to one variant only, the reference student's, and are shown for it alone.
"""

import json
import math
import statistics
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from variantlab.rules import Variant, aspect_values, derive
from variantlab.student import parse_student

FILE = Path(__file__).with_name("baselines.json")
MODELS = ("cnn", "ae_classifier")
PROFILE_ORDER = ("fast", "faithful")

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


@dataclass(frozen=True)
class Measured:
    """One profile's runs on one variant: test accuracy per model and seed, seconds per run."""

    profile: str
    seeds: tuple[int, ...]
    accuracy: dict[str, tuple[float, ...]]  # model -> one value per seed
    seconds: tuple[float, ...]
    machine: str
    test_size: int

    def mean(self, model: str) -> float:
        return statistics.mean(self.accuracy[model])

    def sd(self, model: str) -> float | None:
        values = self.accuracy[model]
        return statistics.stdev(values) if len(values) > 1 else None

    def spread(self, model: str) -> float:
        """The sd a new run is judged by: the seeds' own, but never below the test set's sampling error,
        since one seed has no spread and two can agree to the image by chance."""
        mean = self.mean(model)
        return max(self.sd(model) or 0.0, math.sqrt(mean * (1 - mean) / self.test_size))

    def words(self, model: str) -> str:
        sd = self.sd(model)
        spread = f" ± {100 * sd:.2f}" if sd is not None else ""
        return f"{100 * self.mean(model):.2f}{spread} % ({len(self.seeds)} seed{'s' * (len(self.seeds) > 1)})"


@dataclass(frozen=True)
class Baseline:
    """The measured numbers for a student's variant. `key` names the variant they were measured on;
    `differences` lists (aspect, measured variant's value, student's value) where that is not the
    student's own variant (same dataset and classes, the fewest other differences)."""

    key: str
    differences: tuple[tuple[str, str, str], ...]
    profiles: dict[str, Measured]
    reference_report: dict | None

    @property
    def own(self) -> bool:
        return not self.differences


@cache
def _table() -> dict:
    return json.loads(FILE.read_text())["variants"] if FILE.exists() else {}


def _measured(profile: str, entry: dict) -> Measured:
    return Measured(profile, tuple(entry["seeds"]), {m: tuple(entry[m]) for m in MODELS}, tuple(entry["seconds"]),
                    entry["machine"], entry["test_size"])


def for_variant(variant: Variant, profile: str | None = None, table: dict | None = None) -> Baseline | None:
    """The student's own variant if it was measured (under `profile`, when one is named); else the
    closest so measured variant with the same dataset and classes; else None."""
    table = _table() if table is None else table
    reference = REFERENCE_REPORT if variant.key == reference_variant().key else None
    mine = aspect_values(variant)
    candidates = []
    for key, entry in table.items():
        if profile is not None and profile not in entry["profiles"]:
            continue
        theirs = aspect_values(Variant.from_dict(entry["variant"] | {"reasons": {}}))
        if theirs["dataset"] != mine["dataset"] or theirs["classes"] != mine["classes"]:
            continue
        differences = tuple((a, theirs[a], mine[a]) for a in mine if theirs[a] != mine[a])
        candidates.append((len(differences), key, differences, entry))
    if not candidates:
        return Baseline(variant.key, (), {}, reference) if reference else None
    _, key, differences, entry = min(candidates, key=lambda c: c[:2])
    profiles = {name: _measured(name, entry["profiles"][name]) for name in PROFILE_ORDER if name in entry["profiles"]}
    return Baseline(key, differences, profiles, reference)


def below(accuracy: float, measured: Measured, model: str, sds: float = 3.0) -> bool:
    """True when `accuracy` lies more than `sds` of the baseline's spreads below its mean."""
    return accuracy < measured.mean(model) - sds * measured.spread(model)
