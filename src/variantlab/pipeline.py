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
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from variantlab import figures
from variantlab.atomic import inside, write_json
from variantlab.augment import Augmentation, add_noise, expand_static, for_variant
from variantlab.batches import DeviceBatches
from variantlab.config import MODELS, REASONS, Profile, get_profile, override
from variantlab.datasets import ClassSubset, Dataset, load, select_classes, spec_of, to_float
from variantlab.errors import UserError
from variantlab.evaluate import classification_metrics, predict, reconstruction_metrics
from variantlab.export import export_classifier
from variantlab.locks import folder_lock
from variantlab.models import Inference, build, feature_map_size
from variantlab.provenance import source_state
from variantlab.report import FIGURES, TITLES, baseline_series, write_report
from variantlab.rules import Variant, derive
from variantlab.student import Student, parse_student
from variantlab.train import autocast_dtype, fit

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


def make_profile(name: str, epochs: int | None, settings: dict | None) -> Profile:
    if epochs is not None and epochs < 1:
        raise UserError(f"--epochs {epochs} must be at least 1")
    changes = dict(settings or {})
    if epochs is not None:
        changes["epochs"] = epochs
    return override(get_profile(name), changes)


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
        return tuple(self.subset.train.images.shape[1:])

    def batches(self, model: str, batch_size: int) -> DeviceBatches:
        """The training batches of one model, from its own seeded generator."""
        generator = torch.Generator(device=self.train_x.device).manual_seed(self.seed + SEED_OFFSETS[model])
        return DeviceBatches(self.train_x, self.train_y, batch_size, generator,
                             self.augmentation if self.online else None)

    def val_batches(self) -> DeviceBatches | None:
        if self.val is None:
            return None
        return DeviceBatches(*self.val, 1000, torch.Generator(device=self.train_x.device), shuffle=False)


def prepare(variant: Variant, profile: Profile, seed: int, device: torch.device, dataset: Dataset,
            train_limit: int | None = None) -> Prepared:
    """Take the variant's classes, hold out a seeded validation split, and put the rest on the device."""
    subset = select_classes(dataset, variant.classes, profile.remap_labels, train_limit)
    n = len(subset.train.labels)
    n_val = round(n * profile.val_fraction)
    if n - n_val < 1:
        raise UserError(f"--train-limit {train_limit} leaves no training images after the validation split")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + SEED_OFFSETS["split"]))
    train_index, val_index = order[n_val:].sort().values, order[:n_val].sort().values
    train_x = subset.train.images[train_index].to(device)
    train_y = subset.train.labels[train_index].to(device)
    val = (subset.train.images[val_index].to(device), subset.train.labels[val_index].to(device)) if n_val else None
    aug = for_variant(variant.augmentation, profile.random_noise, profile.noise_strength, profile.noise_clip)
    online = profile.augmentation == "online"
    if not online:
        train_x, train_y = expand_static(to_float(train_x), train_y, aug,
                                         torch.Generator(device=device).manual_seed(seed + SEED_OFFSETS["static"]))
    # Test-time flips only where training saw mirror images.
    return Prepared(subset, train_x, train_y, val, aug, online, profile.tta_flip and aug.geometric == "flip", seed)


def load_and_prepare(variant: Variant, profile: Profile, seed: int, device: torch.device, data_dir,
                     train_limit: int | None) -> Prepared:
    """Find and verify the dataset, then prepare it: the run's data stage."""
    return prepare(variant, profile, seed, device, load(variant.dataset, data_dir), train_limit)


def train_model(name: str, model, profile: Profile, data: Prepared, checkpoint: Path, settings: dict,
                **kw) -> list[dict]:
    """Fit one of the profile's three models with the settings that apply to it (the one place that says
    which: the autoencoder reconstructs, maybe denoising; the CNN runs channels-last)."""
    cfg = getattr(profile, name)
    task = "reconstruct" if name == "autoencoder" else "classify"
    return fit(model, data.batches(name, cfg.batch_size), cfg, task=task, checkpoint=checkpoint, settings=settings,
               precision=profile.precision, channels_last=profile.channels_last and name == "cnn",
               denoise=profile.ae_denoise and name == "autoencoder", val=data.val_batches(), **kw)


def build_model(name: str, variant: Variant, profile: Profile, data: Prepared, autoencoder=None):
    return build(name, variant, profile, data.in_shape, data.subset.num_outputs, data.seed + SEED_OFFSETS[name],
                 autoencoder)


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
    identity: dict

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    def checkpoint(self, model: str) -> Path:
        return self.root / "checkpoints" / f"{model}.pt"

    def export(self, model: str) -> Path:
        return self.root / "models" / f"{model}.pt2"


def open_run(variant: Variant, profile: Profile, seed: int, out: Path, train_limit: int | None) -> RunFolder:
    """Every check that can fail before training, then the folder (config.json comes under the lock)."""
    identity = {"variant": {k: v for k, v in variant.to_dict().items() if k != "reasons"},
                "profile": profile.to_dict(), "seed": seed, "train_limit": train_limit}
    check_out(out, identity)
    # Refuses a CNN layout that shrinks this dataset's images away, before anything is written.
    feature_map_size(spec_of(variant.dataset).image_shape, variant.conv_layers, variant.pool_layers,
                     profile.cnn_kernel, profile.cnn_padding, profile.cnn_pools)
    out.mkdir(parents=True, exist_ok=True)
    return RunFolder(out, identity)


def write_config(run: RunFolder, student: Student, variant: Variant, profile: Profile, device: torch.device,
                 data_dir, versions: dict) -> None:
    write_json(run.root / "config.json", {"identity": run.identity, "student": student.to_dict(),
                                          "variant": variant.to_dict(), "profile_reasons": REASONS[profile.name],
                                          "device": str(device), "data_dir": str(data_dir) if data_dir else None,
                                          "versions": versions, "command": sys.argv})


def train_stage(name: str, model, profile: Profile, data: Prepared, run: RunFolder, stages: Stages) -> list[dict]:
    stages.show(Stages.NAMES[list(MODELS).index(name)])
    return train_model(name, model, profile, data, run.checkpoint(name), run.identity | {"model": name},
                       progress=stages.progress, label=name.replace("_", " "))


def classifier_stage(name: str, model, history: list[dict], data: Prepared, run: RunFolder) -> dict:
    """Test metrics, validation accuracies with and without flips, the exported program, the figures."""
    logits = predict(Inference(model, data.tta), data.subset.test.images, data.device)
    metrics = classification_metrics(logits, data.subset.test, data.subset)
    export_classifier(model, data.tta, data.in_shape, run.export(name))
    plot_classifier(name, history, metrics, logits, data.subset, run.figures)
    return metrics | validation_accuracies(model, data.val, data.device) | {
        "history": history, "train_seconds": sum(h["seconds"] for h in history),
        "parameters": sum(p.numel() for p in model.parameters()), "tta_flip": data.tta,
        "export": run.export(name).relative_to(run.root).as_posix(), "architecture": model.description}


def autoencoder_stage(ae, history: list[dict], data: Prepared, run: RunFolder, profile: Profile) -> dict:
    generator = torch.Generator().manual_seed(data.seed + SEED_OFFSETS["figures"])
    results = reconstruction_metrics(ae, data.subset.test.images, data.device, data.augmentation, generator) | {
        "history": history, "train_seconds": sum(h["seconds"] for h in history),
        "parameters": sum(p.numel() for p in ae.parameters()), "denoising": profile.ae_denoise,
        "architecture": ae.description}
    plot_autoencoder(ae, history, to_float(data.subset.test.images[:8]), data.augmentation, generator, data.device,
                     run.figures)
    return results


def timed(fn, *args):
    """(fn(*args), seconds it took)."""
    began = time.perf_counter()
    return fn(*args), time.perf_counter() - began


def run_training(student: Student, variant: Variant, profile: Profile, *, seed: int, device: torch.device, out: Path,
                 data_dir=None, train_limit: int | None = None, show_progress: bool = True) -> dict:
    """Train, evaluate and export the three models into `out`; returns results.json's content."""
    started = time.perf_counter()
    run = open_run(variant, profile, seed, out, train_limit)
    with folder_lock(run.root), Stages(show_progress) as stages:
        check_out(run.root, run.identity)  # again, under the lock: another run may have claimed the folder
        # fp32 means fp32: CUDA would otherwise run convolutions in TF32.
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = profile.precision != "fp32"
        versions = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                    "python": platform.python_version()} | source_state()
        write_config(run, student, variant, profile, device, data_dir, versions)
        timings = {}
        data, timings["data_seconds"] = timed(load_and_prepare, variant, profile, seed, device, data_dir, train_limit)
        figures.augmentation_grid(to_float(data.subset.train.images[:8]), data.augmentation,
                                  torch.Generator().manual_seed(seed + SEED_OFFSETS["figures"]),
                                  run.figures / FIGURES["augmentation"][0])

        cnn = build_model("cnn", variant, profile, data)
        cnn_history, timings["cnn_seconds"] = timed(train_stage, "cnn", cnn, profile, data, run, stages)
        cnn_results, timings["cnn_evaluation_seconds"] = timed(classifier_stage, "cnn", cnn, cnn_history, data, run)
        cnn_results["flatten_size"] = cnn.flatten_size

        ae = build_model("autoencoder", variant, profile, data)
        ae_history, timings["autoencoder_seconds"] = timed(train_stage, "autoencoder", ae, profile, data, run, stages)
        ae_results, timings["autoencoder_evaluation_seconds"] = timed(autoencoder_stage, ae, ae_history, data, run,
                                                                      profile)

        aec = build_model("ae_classifier", variant, profile, data, autoencoder=ae)
        aec_history, timings["ae_classifier_seconds"] = timed(train_stage, "ae_classifier", aec, profile, data, run,
                                                              stages)
        aec_results, timings["ae_classifier_evaluation_seconds"] = timed(classifier_stage, "ae_classifier", aec,
                                                                         aec_history, data, run)
        aec_results["mode"] = profile.ae_classifier_mode

        stages.show("figures and report")
        _, timings["comparison_figures_seconds"] = timed(comparison_figures, variant, cnn_results, aec_results, run)
        timings["before_report_seconds"] = time.perf_counter() - started
        reported = collect_results(student, variant, profile, seed, device, versions, data, cnn_results, ae_results,
                                   aec_results, timings, train_limit)
        _, report_seconds = timed(write_report, run.root, reported, run.figures)
        # The report cannot hold its own writing time; results.json, written after it, does.
        results = reported | {"timings": timings | {"report_seconds": report_seconds,
                                                    "total_seconds": time.perf_counter() - started}}
        write_json(run.root / "results.json", results)
        stages.show("done")
    return results


def comparison_figures(variant: Variant, cnn_results: dict, aec_results: dict, run: RunFolder) -> None:
    figures.compare_curves(cnn_results["history"], aec_results["history"], run.figures / FIGURES["comparison"][0])
    figures.accuracies({"CNN": cnn_results["test_accuracy"], "AE classifier": aec_results["test_accuracy"]},
                       baseline_series(variant), run.figures / FIGURES["accuracies"][0])


def collect_results(student: Student, variant: Variant, profile: Profile, seed: int, device: torch.device,
                    versions: dict, data: Prepared, cnn: dict, ae: dict, aec: dict, timings: dict,
                    train_limit: int | None) -> dict:
    """results.json's content, as the report shows it."""
    subset, val = data.subset, data.val
    aug = data.augmentation
    return {
        "student": student.to_dict(), "variant": variant.to_dict(), "profile": profile.name,
        "settings": profile.to_dict(), "changed_settings": changed_settings(profile), "seed": seed,
        "device": str(device), "device_name": device_name(device),
        "precision_used": "bf16" if autocast_dtype(device, profile.precision) else "fp32", "versions": versions,
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "data": {"source": subset.source, "train_size": len(subset.train.labels) - (len(val[1]) if val else 0),
                 "val_size": len(val[1]) if val else 0, "test_size": len(subset.test.labels),
                 "train_class_counts": subset.class_counts(subset.train),
                 "test_class_counts": subset.class_counts(subset.test),
                 "augmentation": f"{profile.augmentation}, {aug.noise} noise of strength {aug.strength:g}"
                                 f"{', clipped to [0, 1]' if aug.clip else ', not clipped'}",
                 "images_per_epoch": len(data.train_y)},
        "train_limit": train_limit, "cnn": cnn, "autoencoder": ae, "ae_classifier": aec, "timings": dict(timings),
    }


def changed_settings(profile: Profile) -> list[str]:
    """The settings that differ from the named profile's (`--set`, `--epochs`): `cnn.lr` for one model's."""
    base, mine = get_profile(profile.name).to_dict(), profile.to_dict()
    changed = []
    for key, value in mine.items():
        if isinstance(value, dict):
            changed += [f"{key}.{k}" for k, v in value.items() if base[key][k] != v]
        elif base[key] != value:
            changed.append(key)
    return changed


def validation_accuracies(model, val, device: torch.device) -> dict:
    """The delivered model's accuracy on the held-out split, with and without test-time flips, so that
    the flip choice is made on validation for every variant, never on test."""
    if val is None:
        return {}
    images, labels = val
    return {f"val_accuracy{suffix}": int((predict(Inference(model, flips), images, device).argmax(1)
                                          == labels.cpu()).sum()) / len(labels)
            for suffix, flips in (("", False), ("_with_flips", True))}


def plot_classifier(name: str, history, metrics, logits, subset: ClassSubset, fig_dir: Path) -> None:
    title = TITLES[name]
    figures.training_curves(history, f"{title}: training", fig_dir / FIGURES[f"{name}_curves"][0])
    figures.confusion(metrics["confusion_matrix"], metrics["confusion_labels"][:len(subset.classes)],
                      metrics["confusion_labels"], f"{title}: test confusion matrix",
                      fig_dir / FIGURES[f"{name}_confusion"][0])
    predictions = logits.argmax(1)
    wrong = (predictions != subset.test.labels).nonzero().flatten()[:8]
    figures.misclassified(to_float(subset.test.images[wrong]),
                          [subset.output_names[i] for i in subset.test.labels[wrong]],
                          [subset.output_names[i] for i in predictions[wrong]],
                          f"{title}: misclassified test images", fig_dir / FIGURES[f"{name}_misclassified"][0])


@torch.no_grad()
def plot_autoencoder(ae, history, sample, aug, generator, device, fig_dir: Path) -> None:
    figures.training_curves(history, "Autoencoder: reconstruction loss", fig_dir / FIGURES["autoencoder_curves"][0])
    noisy = add_noise(sample, aug, generator)
    ae.eval()
    figures.reconstructions(sample, ae(sample.to(device)).cpu(), noisy, ae(noisy.to(device)).cpu(),
                            fig_dir / FIGURES["reconstructions"][0])


def default_out(roll: str, profile: str, seed: int, out: str | Path | None = None) -> Path:
    return Path(out) if out else inside(Path("runs"), f"{roll}-{profile}-{seed}")


def run(dob: str, roll: str, program: str, first: str = "", last: str = "", *, profile: str = "fast", seed: int = 0,
        epochs: int | None = None, train_limit: int | None = None, device: str = "auto", out: str | Path | None = None,
        data_dir: str | Path | None = None, settings: dict | None = None, show_progress: bool = True) -> dict:
    """The whole job for one student, as `variantlab run` does it; returns results.json's content and,
    under "folder", the folder it wrote."""
    student = parse_student(dob, roll, program, first, last)
    chosen = make_profile(profile, epochs, settings)
    if train_limit is not None and train_limit < 1:
        raise UserError(f"--train-limit {train_limit} must be at least 1")
    out = default_out(student.roll, chosen.name, seed, out)
    results = run_training(student, derive(student), chosen, seed=seed, device=resolve_device(device), out=out,
                           data_dir=data_dir, train_limit=train_limit, show_progress=show_progress)
    return results | {"folder": str(out)}

