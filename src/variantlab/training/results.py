"""A run's results as typed, frozen records, and the one pair of functions that writes them to
`results.json` and reads them back (files of earlier versions included).

Everything after training (the report, the sweep, the command line, the checker) takes a `RunResult`;
only `to_json` and `from_json` know the file's field names.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from variantlab.atomic import write_json
from variantlab.errors import UserError
from variantlab.exam.rules import Variant
from variantlab.exam.student import Student
from variantlab.training.config import ClassifierName, ModelName, Profile


@dataclass(frozen=True)
class Epoch:
    """One epoch of one model's training; validation only where a split was held out."""

    epoch: int
    train_loss: float
    train_accuracy: float | None  # classifiers only
    lr: float
    seconds: float
    val_loss: float | None = None
    val_accuracy: float | None = None

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Epoch":
        return cls(d["epoch"], d["train_loss"], d.get("train_accuracy"), d["lr"], d["seconds"], d.get("val_loss"),
                   d.get("val_accuracy"))


@dataclass(frozen=True)
class ClassifierResult:
    test_accuracy: float
    test_loss: float
    per_class_accuracy: Mapping[str, float]
    confusion_matrix: tuple[tuple[int, ...], ...]  # true class by predicted output ("other" last, if any)
    confusion_labels: tuple[str, ...]
    history: tuple[Epoch, ...]
    train_seconds: float
    parameters: int
    tta_flip: bool
    export: str  # the exported program, relative to the run's folder
    architecture: str
    val_accuracy: float | None = None  # the delivered model on the held-out split, without and with flips
    val_accuracy_with_flips: float | None = None
    flatten_size: int | None = None  # the CNN's
    mode: str | None = None  # the AE classifier's: scratch | pretrained | frozen


@dataclass(frozen=True)
class AutoencoderResult:
    test_mse: float
    test_mse_noisy: float
    history: tuple[Epoch, ...]
    train_seconds: float
    parameters: int
    denoising: bool
    architecture: str


@dataclass(frozen=True)
class DataSummary:
    source: str
    train_size: int
    val_size: int
    test_size: int
    train_class_counts: Mapping[str, int]
    test_class_counts: Mapping[str, int]
    augmentation: str  # in words
    images_per_epoch: int


@dataclass(frozen=True)
class Versions:
    torch: str
    torchvision: str
    python: str
    variantlab: str | None = None
    code: str | None = None  # provenance.code_digest() of the code that trained it; None before it was recorded
    commit: str | None = None
    dirty: bool | None = None


@dataclass(frozen=True)
class RunResult:
    student: Student
    variant: Variant
    profile: Profile  # with every override this run had
    changed_settings: tuple[str, ...]
    seed: int
    train_limit: int | None
    device: str
    device_name: str
    precision_used: str
    versions: Versions
    finished: str  # ISO time
    data: DataSummary
    cnn: ClassifierResult
    autoencoder: AutoencoderResult
    ae_classifier: ClassifierResult
    timings: Mapping[str, float]
    folder: Path | None = None  # where it was written; not stored, since a folder can move

    def classifier(self, name: ClassifierName) -> ClassifierResult:
        return self.cnn if name == "cnn" else self.ae_classifier

    def history(self, name: ModelName) -> tuple[Epoch, ...]:
        return self.autoencoder.history if name == "autoencoder" else self.classifier(name).history


def _history(epochs: tuple[Epoch, ...]) -> list[dict]:
    return [e.to_dict() for e in epochs]


def _classifier_json(c: ClassifierResult) -> dict:
    out = {"test_accuracy": c.test_accuracy, "test_loss": c.test_loss, "per_class_accuracy": dict(c.per_class_accuracy),
           "confusion_matrix": [list(row) for row in c.confusion_matrix], "confusion_labels": list(c.confusion_labels)}
    out |= {k: v for k, v in (("val_accuracy", c.val_accuracy), ("val_accuracy_with_flips", c.val_accuracy_with_flips))
            if v is not None}
    out |= {"history": _history(c.history), "train_seconds": c.train_seconds, "parameters": c.parameters,
            "tta_flip": c.tta_flip, "export": c.export, "architecture": c.architecture}
    return out | {k: v for k, v in (("flatten_size", c.flatten_size), ("mode", c.mode)) if v is not None}


def to_json(r: RunResult) -> dict:
    """results.json's content."""
    return {
        "student": r.student.to_dict(), "variant": r.variant.to_dict(), "profile": r.profile.name,
        "settings": r.profile.to_dict(), "changed_settings": list(r.changed_settings), "seed": r.seed,
        "device": r.device, "device_name": r.device_name, "precision_used": r.precision_used,
        "versions": {f.name: getattr(r.versions, f.name) for f in fields(r.versions)}, "finished": r.finished,
        "data": {"source": r.data.source, "train_size": r.data.train_size, "val_size": r.data.val_size,
                 "test_size": r.data.test_size, "train_class_counts": dict(r.data.train_class_counts),
                 "test_class_counts": dict(r.data.test_class_counts), "augmentation": r.data.augmentation,
                 "images_per_epoch": r.data.images_per_epoch},
        "train_limit": r.train_limit, "cnn": _classifier_json(r.cnn),
        "autoencoder": {"test_mse": r.autoencoder.test_mse, "test_mse_noisy": r.autoencoder.test_mse_noisy,
                        "history": _history(r.autoencoder.history), "train_seconds": r.autoencoder.train_seconds,
                        "parameters": r.autoencoder.parameters, "denoising": r.autoencoder.denoising,
                        "architecture": r.autoencoder.architecture},
        "ae_classifier": _classifier_json(r.ae_classifier), "timings": dict(r.timings),
    }


def _epochs(saved: list) -> tuple[Epoch, ...]:
    return tuple(Epoch.from_dict(e) for e in saved)


def _classifier(d: Mapping) -> ClassifierResult:
    return ClassifierResult(
        d["test_accuracy"], d["test_loss"], dict(d["per_class_accuracy"]),
        tuple(tuple(row) for row in d["confusion_matrix"]), tuple(d["confusion_labels"]), _epochs(d["history"]),
        d["train_seconds"], d["parameters"], d["tta_flip"], d["export"], d["architecture"], d.get("val_accuracy"),
        d.get("val_accuracy_with_flips"), d.get("flatten_size"), d.get("mode"))


def from_json(d: Mapping, folder: Path | None = None) -> RunResult:
    """A RunResult from results.json's content; fields that earlier versions did not write take the
    value those runs had (no changed settings, every training image, the reference's CNN layout)."""
    ae, data = d["autoencoder"], d["data"]
    return RunResult(
        student=Student.from_dict(d["student"]), variant=Variant.from_dict(d["variant"]),
        profile=Profile.from_dict(d["settings"]), changed_settings=tuple(d.get("changed_settings", ())),
        seed=d["seed"], train_limit=d.get("train_limit"), device=d["device"], device_name=d["device_name"],
        precision_used=d["precision_used"], versions=Versions(**d["versions"]), finished=d["finished"],
        data=DataSummary(data["source"], data["train_size"], data["val_size"], data["test_size"],
                         dict(data["train_class_counts"]), dict(data["test_class_counts"]), data["augmentation"],
                         data["images_per_epoch"]),
        cnn=_classifier(d["cnn"]),
        autoencoder=AutoencoderResult(ae["test_mse"], ae["test_mse_noisy"], _epochs(ae["history"]),
                                      ae["train_seconds"], ae["parameters"], ae["denoising"], ae["architecture"]),
        ae_classifier=_classifier(d["ae_classifier"]), timings=dict(d["timings"]), folder=folder)


def write_results(folder: Path, result: RunResult) -> Path:
    return write_json(Path(folder) / "results.json", to_json(result))


def read_results(folder: Path) -> RunResult:
    """The results.json in `folder`; a damaged or foreign file is refused by name."""
    path = Path(folder) / "results.json"
    try:
        return from_json(json.loads(path.read_text(encoding="utf-8")), Path(folder))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise UserError(f"{path}: not a results.json variantlab wrote ({type(e).__name__}: {e})") from None
