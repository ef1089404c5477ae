"""The main job: derive the variant, train the CNN, the autoencoder and the AE classifier,
evaluate them, export the classifiers, draw the figures and write the report.

Everything is checked before any training starts. Each model checkpoints every epoch under
`<out>/checkpoints/`; the same call on the same folder resumes where it stopped.
"""

import datetime as dt
import json
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torchvision
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from variantlab.atomic import default_out, write_json
from variantlab.data.augment import Augmentation, add_noise, expand_static, for_variant
from variantlab.data.batches import DeviceBatches
from variantlab.data.datasets import ClassSubset, Dataset, load, select_classes, spec_of, to_float
from variantlab.errors import UserError
from variantlab.exam.rules import derive
from variantlab.exam.student import Student, parse_student
from variantlab.locks import folder_lock
from variantlab.provenance import source_state
from variantlab.report import figures
from variantlab.report.figures import path_of
from variantlab.report.report import write_report
from variantlab.training import baselines
from variantlab.training.config import MODELS, REASONS, TITLES, ClassifierName, ModelName, RunSpec, make_profile
from variantlab.training.evaluate import classification_metrics, predict, reconstruction_metrics
from variantlab.training.export import export_classifier
from variantlab.training.models import Inference, build, feature_map_size
from variantlab.training.results import (
    AutoencoderResult,
    ClassifierResult,
    DataSummary,
    Epoch,
    RunResult,
    Versions,
    write_results,
)
from variantlab.training.train import autocast_dtype, fit, matmul_precision

SEED_OFFSETS = {"cnn": 0, "autoencoder": 1, "ae_classifier": 2, "split": 3, "static": 4, "figures": 5}


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda"):
        raise UserError(f"device {name!r} is not one of: auto, cpu, cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' was asked for, but torch sees no CUDA GPU here; use --device cpu or auto")
    return torch.device(name)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()}, {torch.get_num_threads()} threads"
    return platform.processor() or "CPU"


def check_out(out: Path, identity: dict) -> None:
    """Refuse an output path that is a file, or a folder holding a run of other settings."""
    if out.exists() and not out.is_dir():
        raise UserError(f"output path {out} is a file; give a folder (it is created if missing)")
    config = out / "config.json"
    if config.exists():
        try:
            saved = json.loads(config.read_text()).get("identity")
        except (ValueError, AttributeError):
            raise UserError(f"{config} is damaged (not the JSON object a run writes); delete {out} to start "
                            "again there, or give another --out") from None
        if saved != identity and isinstance(saved, dict) and {**saved, "code": identity["code"]} == identity:
            raise UserError(f"{out} holds a run trained by other code (code {saved.get('code') or 'unrecorded'}, "
                            f"this variantlab's is {identity['code']}): its models are not this code's; delete "
                            "that folder to train again there, or give another --out")
        if saved != identity:
            raise UserError(f"{out} holds a run with other details or settings (other arguments, or an earlier "
                            "version's profile); delete that folder to start again there, or give another --out")


@dataclass
class Prepared:
    """A variant's data, ready on the device: the class subset, the training tensors (uint8 for the
    online regime, the float 4x expansion for the static one), the validation split, the augmentation."""

    subset: ClassSubset
    train_x: torch.Tensor
    train_y: torch.Tensor
    val: tuple[torch.Tensor, torch.Tensor] | None
    augmentation: Augmentation
    online: bool
    tta: bool
    seed: int

    @property
    def device(self) -> torch.device:
        return self.train_x.device

    @property
    def in_shape(self) -> tuple[int, int, int]:
        channels, height, width = self.subset.train.images.shape[1:]
        return channels, height, width

    def batches(self, model: ModelName, batch_size: int) -> DeviceBatches:
        """The training batches of one model, from its own seeded generator."""
        generator = torch.Generator(device=self.train_x.device).manual_seed(self.seed + SEED_OFFSETS[model])
        return DeviceBatches(self.train_x, self.train_y, batch_size, generator,
                             self.augmentation if self.online else None)

    def val_batches(self) -> DeviceBatches | None:
        if self.val is None:
            return None
        return DeviceBatches(*self.val, 1000, torch.Generator(device=self.train_x.device), shuffle=False)


def prepare(spec: RunSpec, device: torch.device, dataset: Dataset) -> Prepared:
    """Take the variant's classes, hold out a seeded validation split, and put the rest on the device."""
    profile = spec.profile
    subset = select_classes(dataset, spec.variant.classes, profile.remap_labels, spec.train_limit)
    n = len(subset.train.labels)
    n_val = round(n * profile.val_fraction)
    if n - n_val < 1:
        raise UserError(f"--train-limit {spec.train_limit} leaves no training images after the validation split")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(spec.seed + SEED_OFFSETS["split"]))
    train_index, val_index = order[n_val:].sort().values, order[:n_val].sort().values
    train_x = subset.train.images[train_index].to(device)
    train_y = subset.train.labels[train_index].to(device)
    val = (subset.train.images[val_index].to(device), subset.train.labels[val_index].to(device)) if n_val else None
    aug = for_variant(spec.variant.augmentation, profile.random_noise, profile.noise_strength, profile.noise_clip)
    online = profile.augmentation == "online"
    if not online:
        train_x, train_y = expand_static(to_float(train_x), train_y, aug,
                                         torch.Generator(device=device).manual_seed(spec.seed + SEED_OFFSETS["static"]))
    # Test-time flips only where training saw mirror images.
    return Prepared(subset, train_x, train_y, val, aug, online, profile.tta_flip and aug.geometric == "flip", spec.seed)


def load_and_prepare(spec: RunSpec, device: torch.device, data_dir) -> Prepared:
    """Find and verify the dataset, then prepare it: the run's data stage."""
    return prepare(spec, device, load(spec.variant.dataset, data_dir))


def train_model(name: ModelName, model, spec: RunSpec, data: Prepared, checkpoint: Path, identity: dict,
                **kw) -> list[Epoch]:
    """Fit one of the run's three models as its profile says (RunSpec.profile.fit_spec)."""
    fit_spec = spec.profile.fit_spec(name)
    return fit(model, data.batches(name, fit_spec.train.batch_size), fit_spec, checkpoint=checkpoint,
               identity=identity, val=data.val_batches(), **kw)


def build_model(name: ModelName, spec: RunSpec, data: Prepared, autoencoder=None):
    return build(name, spec.variant, spec.profile, data.in_shape, data.subset.num_outputs,
                 spec.seed + SEED_OFFSETS[name], autoencoder)


class Stages:
    """The run's overall progress line (one step per stage) above fit's per-model bars; silent when off."""

    NAMES = ("training the CNN", "training the autoencoder", "training the AE classifier", "figures and report")

    def __init__(self, show: bool):
        self.progress = (Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[status]}"), TimeElapsedColumn()) if show else None)

    def __enter__(self):
        if self.progress is not None:
            self.progress.__enter__()
            self.overall = self.progress.add_task("variantlab run", total=len(self.NAMES), status="")
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def show(self, stage: str) -> None:
        if self.progress is not None:
            done = self.NAMES.index(stage) if stage in self.NAMES else len(self.NAMES)
            self.progress.update(self.overall, completed=done, status=stage)


@dataclass
class RunFolder:
    """Where a run writes, and what makes a checkpoint in it belong to this run."""

    root: Path
    spec: RunSpec

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    def checkpoint(self, model: ModelName) -> Path:
        return self.root / "checkpoints" / f"{model}.pt"

    def export(self, model: ModelName) -> Path:
        return self.root / "models" / f"{model}.pt2"


def open_run(spec: RunSpec, out: Path) -> RunFolder:
    """Every check that can fail before training, then the folder (config.json comes under the lock)."""
    check_out(out, spec.identity())
    # Refuses a CNN layout that shrinks this dataset's images away, before anything is written.
    feature_map_size(spec_of(spec.variant.dataset).image_shape, spec.variant.conv_layers, spec.variant.pool_layers,
                     spec.profile.cnn_kernel, spec.profile.cnn_padding, spec.profile.cnn_pools)
    out.mkdir(parents=True, exist_ok=True)
    return RunFolder(out, spec)


def write_config(run: RunFolder, student: Student, device: torch.device, data_dir, versions: Versions) -> None:
    write_json(run.root / "config.json", {"identity": run.spec.identity(), "student": student.to_dict(),
                                          "variant": run.spec.variant.to_dict(),
                                          "profile_reasons": REASONS[run.spec.profile.name], "device": str(device),
                                          "data_dir": str(data_dir) if data_dir else None,
                                          "versions": vars(versions), "command": sys.argv})


def train_stage(name: ModelName, model, data: Prepared, run: RunFolder, stages: Stages) -> list[Epoch]:
    stages.show(Stages.NAMES[MODELS.index(name)])
    return train_model(name, model, run.spec, data, run.checkpoint(name), run.spec.identity() | {"model": name},
                       progress=stages.progress, label=TITLES[name])


def classifier_stage(name: ClassifierName, model, history: list[Epoch], data: Prepared, run: RunFolder,
                     **extra) -> ClassifierResult:
    """Test metrics, validation accuracies with and without flips, the exported program, the figures."""
    logits = predict(Inference(model, data.tta), data.subset.test.images, data.device)
    metrics = classification_metrics(logits, data.subset.test, data.subset)
    export_classifier(model, data.tta, data.in_shape, run.export(name))
    plot_classifier(name, history, metrics, logits, data.subset, run.figures)
    val, val_with_flips = validation_accuracies(model, data.val, data.device)
    return ClassifierResult(
        metrics["test_accuracy"], metrics["test_loss"], metrics["per_class_accuracy"],
        tuple(map(tuple, metrics["confusion_matrix"])), tuple(metrics["confusion_labels"]), tuple(history),
        sum(h.seconds for h in history), sum(p.numel() for p in model.parameters()), data.tta,
        run.export(name).relative_to(run.root).as_posix(), model.description, val, val_with_flips, **extra)


def autoencoder_stage(ae, history: list[Epoch], data: Prepared, run: RunFolder) -> AutoencoderResult:
    generator = torch.Generator().manual_seed(data.seed + SEED_OFFSETS["figures"])
    errors = reconstruction_metrics(ae, data.subset.test.images, data.device, data.augmentation, generator)
    plot_autoencoder(ae, history, to_float(data.subset.test.images[:8]), data.augmentation, generator, data.device,
                     run.figures)
    return AutoencoderResult(errors["test_mse"], errors["test_mse_noisy"], tuple(history),
                             sum(h.seconds for h in history), sum(p.numel() for p in ae.parameters()),
                             run.spec.profile.ae_denoise, ae.description)


def timed(fn, *args, **kw):
    """(fn(*args, **kw), seconds it took)."""
    began = time.perf_counter()
    return fn(*args, **kw), time.perf_counter() - began


def run_training(student: Student, spec: RunSpec, *, device: torch.device, out: Path, data_dir=None,
                 show_progress: bool = True, table: baselines.Table | None = None) -> RunResult:
    """Train, evaluate and export the three models into `out`, draw the figures and write the report
    (judged against `table`, the shipped baselines by default); returns what results.json holds."""
    started = time.perf_counter()
    table = baselines.shipped() if table is None else table
    run = open_run(spec, out)
    profile, variant = spec.profile, spec.variant
    with folder_lock(run.root), Stages(show_progress) as stages, matmul_precision(profile.precision):
        check_out(run.root, spec.identity())  # again, under the lock: another run may have claimed the folder
        versions = Versions(torch.__version__, torchvision.__version__, platform.python_version(), **source_state())
        write_config(run, student, device, data_dir, versions)
        timings = {}
        data, timings["data_seconds"] = timed(load_and_prepare, spec, device, data_dir)
        figures.augmentation_grid(to_float(data.subset.train.images[:8]), data.augmentation,
                                  torch.Generator().manual_seed(spec.seed + SEED_OFFSETS["figures"]),
                                  path_of(run.figures, "augmentation"))

        cnn = build_model("cnn", spec, data)
        cnn_history, timings["cnn_seconds"] = timed(train_stage, "cnn", cnn, data, run, stages)
        cnn_result, timings["cnn_evaluation_seconds"] = timed(classifier_stage, "cnn", cnn, cnn_history, data, run,
                                                              flatten_size=cnn.flatten_size)

        ae = build_model("autoencoder", spec, data)
        ae_history, timings["autoencoder_seconds"] = timed(train_stage, "autoencoder", ae, data, run, stages)
        ae_result, timings["autoencoder_evaluation_seconds"] = timed(autoencoder_stage, ae, ae_history, data, run)

        aec = build_model("ae_classifier", spec, data, autoencoder=ae)
        aec_history, timings["ae_classifier_seconds"] = timed(train_stage, "ae_classifier", aec, data, run, stages)
        aec_result, timings["ae_classifier_evaluation_seconds"] = timed(
            classifier_stage, "ae_classifier", aec, aec_history, data, run, mode=profile.ae_classifier_mode)

        stages.show("figures and report")
        result = RunResult(
            student, variant, profile, tuple(spec.changed_settings()), spec.seed, spec.train_limit, str(device),
            device_name(device), "bf16" if autocast_dtype(device, profile.precision) else "fp32", versions,
            dt.datetime.now().isoformat(timespec="seconds"), data_summary(data, spec), cnn_result, ae_result,
            aec_result, dict(timings), folder=run.root)
        judgements = baselines.judge_run(result, table)
        _, timings["comparison_figures_seconds"] = timed(comparison_figures, result, judgements, run.figures)
        timings["before_report_seconds"] = time.perf_counter() - started
        result = replace(result, timings=dict(timings))
        _, report_seconds = timed(write_report, run.root, result, run.figures, judgements)
        # The report cannot hold its own writing time; results.json, written after it, does.
        result = replace(result, timings=timings | {"report_seconds": report_seconds,
                                                    "total_seconds": time.perf_counter() - started})
        write_results(run.root, result)
        stages.show("done")
    return result


def data_summary(data: Prepared, spec: RunSpec) -> DataSummary:
    subset, val, aug = data.subset, data.val, data.augmentation
    n_val = len(val[1]) if val else 0
    return DataSummary(
        subset.source, len(subset.train.labels) - n_val, n_val, len(subset.test.labels),
        subset.class_counts(subset.train), subset.class_counts(subset.test),
        f"{spec.profile.augmentation}, {aug.noise} noise of strength {aug.strength:g}"
        f"{', clipped to [0, 1]' if aug.clip else ', not clipped'}", len(data.train_y))


def comparison_figures(result: RunResult, judgements: dict[ClassifierName, baselines.Judgement],
                       folder: Path) -> None:
    figures.compare_curves({TITLES[m]: result.classifier(m).history for m in judgements}, path_of(folder, "comparison"))
    figures.accuracies({TITLES[m]: result.classifier(m).test_accuracy for m in judgements},
                       figures.baseline_series(judgements, baselines.reference_numbers(result.variant)),
                       path_of(folder, "accuracies"))


def validation_accuracies(model, val, device: torch.device) -> tuple[float | None, float | None]:
    """The delivered model's accuracy on the held-out split, without and with test-time flips, so that
    the flip choice is made on validation for every variant, never on test."""
    if val is None:
        return None, None
    images, labels = val
    without, with_flips = (int((predict(Inference(model, flips), images, device).argmax(1) == labels.cpu()).sum())
                           / len(labels) for flips in (False, True))
    return without, with_flips


def plot_classifier(name: ClassifierName, history: list[Epoch], metrics, logits, subset: ClassSubset,
                    fig_dir: Path) -> None:
    title = TITLES[name]
    figures.training_curves(history, f"{title}: training", path_of(fig_dir, f"{name}_curves"))
    figures.confusion(metrics["confusion_matrix"], metrics["confusion_labels"][:len(subset.classes)],
                      metrics["confusion_labels"], f"{title}: test confusion matrix",
                      path_of(fig_dir, f"{name}_confusion"))
    predictions = logits.argmax(1)
    wrong = (predictions != subset.test.labels).nonzero().flatten()[:8]
    figures.misclassified(to_float(subset.test.images[wrong]),
                          [subset.output_names[i] for i in subset.test.labels[wrong]],
                          [subset.output_names[i] for i in predictions[wrong]],
                          f"{title}: misclassified test images", path_of(fig_dir, f"{name}_misclassified"))


@torch.no_grad()
def plot_autoencoder(ae, history: list[Epoch], sample, aug, generator, device, fig_dir: Path) -> None:
    figures.training_curves(history, "Autoencoder: reconstruction loss", path_of(fig_dir, "autoencoder_curves"))
    noisy = add_noise(sample, aug, generator)
    ae.eval()
    figures.reconstructions(sample, ae(sample.to(device)).cpu(), noisy, ae(noisy.to(device)).cpu(),
                            path_of(fig_dir, "reconstructions"))


def run(dob: str, roll: str, program: str, first: str = "", last: str = "", *, profile: str = "fast", seed: int = 0,
        epochs: int | None = None, train_limit: int | None = None, device: str = "auto", out: str | Path | None = None,
        data_dir: str | Path | None = None, settings: dict | None = None, show_progress: bool = True) -> RunResult:
    """The whole job for one student, as `variantlab run` does it; returns what results.json holds, with
    the folder it wrote in `.folder`."""
    student = parse_student(dob, roll, program, first, last)
    spec = RunSpec(derive(student), make_profile(profile, epochs, settings), seed, train_limit)
    folder = default_out(out, "runs", f"{student.roll}-{spec.profile.name}-{seed}")
    return run_training(student, spec, device=resolve_device(device), out=folder, data_dir=data_dir,
                        show_progress=show_progress)
