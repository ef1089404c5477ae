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
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from variantlab import figures
from variantlab.atomic import write_json
from variantlab.augment import Augmentation, add_noise, expand_static, for_variant
from variantlab.batches import DeviceBatches
from variantlab.config import REASONS, Profile, get_profile, override
from variantlab.datasets import ClassSubset, Dataset, load, select_classes, spec_of, to_float
from variantlab.errors import UserError
from variantlab.evaluate import classification_metrics, predict, reconstruction_metrics
from variantlab.export import export_classifier
from variantlab.models import (Inference, build_ae_classifier, build_autoencoder, build_cnn, encoder_widths,
                               feature_map_size)
from variantlab.provenance import source_state
from variantlab.report import FIGURES, REFERENCE_REPORT, write_report
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
        if json.loads(config.read_text()).get("identity") != identity:
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
    return Prepared(subset, train_x, train_y, val, aug, online, profile.tta_flip and aug.geometric == "flip", seed)


def train_model(name: str, model, profile: Profile, data: Prepared, checkpoint: Path, settings: dict, **kw) -> list[dict]:
    """Fit one of the profile's three models with the settings that apply to it (the one place that says
    which: the autoencoder reconstructs, maybe denoising; the CNN runs channels-last)."""
    cfg = getattr(profile, name)
    task = "reconstruct" if name == "autoencoder" else "classify"
    return fit(model, data.batches(name, cfg.batch_size), cfg, task=task, checkpoint=checkpoint, settings=settings,
               precision=profile.precision, channels_last=profile.channels_last and name == "cnn",
               denoise=profile.ae_denoise and name == "autoencoder", val=data.val_batches(), **kw)


def run_training(student: Student, variant: Variant, profile: Profile, *, seed: int, device: torch.device, out: Path,
                 data_dir=None, train_limit: int | None = None, show_progress: bool = True) -> dict:
    """Train, evaluate and export the three models into `out`; returns results.json's content."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    identity = {"variant": {k: v for k, v in variant.to_dict().items() if k != "reasons"},
                "profile": profile.to_dict(), "seed": seed, "train_limit": train_limit}
    check_out(out, identity)
    # Refuses a CNN layout that shrinks this dataset's images away, before anything is written.
    feature_map_size(spec_of(variant.dataset).image_shape, variant.conv_layers, variant.pool_layers,
                     profile.cnn_kernel, profile.cnn_padding, profile.cnn_pools)
    out.mkdir(parents=True, exist_ok=True)
    # fp32 means fp32: CUDA would otherwise run convolutions in TF32.
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = profile.precision != "fp32"
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                "python": platform.python_version()} | source_state()
    write_json(out / "config.json", {"identity": identity, "student": student.to_dict(), "variant": variant.to_dict(),
                                     "profile_reasons": REASONS[profile.name], "device": str(device),
                                     "data_dir": str(data_dir) if data_dir else None, "versions": versions,
                                     "command": sys.argv})
    fig_dir, ckpt_dir, model_dir = out / "figures", out / "checkpoints", out / "models"

    t = time.perf_counter()
    data = prepare(variant, profile, seed, device, load(variant.dataset, data_dir), train_limit)
    subset, in_shape, aug, tta, val = data.subset, data.in_shape, data.augmentation, data.tta, data.val
    timings["data_seconds"] = time.perf_counter() - t
    figure_gen = torch.Generator().manual_seed(seed + SEED_OFFSETS["figures"])
    figures.augmentation_grid(to_float(subset.train.images[:8]), aug, figure_gen, fig_dir / FIGURES["augmentation"][0])
    sample = to_float(subset.test.images[:8])
    widths = "-".join(map(str, encoder_widths(sample[0].numel(), variant.ae_layers)))

    def train(model_name: str, model, progress):
        t = time.perf_counter()
        stage(f"training the {model_name.replace('_', ' ')}")
        history = train_model(model_name, model, profile, data, ckpt_dir / f"{model_name}.pt",
                              identity | {"model": model_name}, progress=progress, label=model_name.replace("_", " "))
        timings[f"{model_name}_seconds"] = time.perf_counter() - t
        return history

    def classifier_results(name: str, model, history) -> dict:
        t = time.perf_counter()
        logits = predict(Inference(model, tta), subset.test.images, device)
        metrics = classification_metrics(logits, subset.test, subset)
        export_classifier(model, tta, in_shape, model_dir / f"{name}.pt2")
        plot_classifier(name, history, metrics, logits, subset, fig_dir)
        timings[f"{name}_evaluation_seconds"] = time.perf_counter() - t
        return metrics | validation_accuracies(model, val, device) | {"history": history, "train_seconds": sum(h["seconds"] for h in history),
                          "parameters": sum(p.numel() for p in model.parameters()),
                          "tta_flip": tta, "export": f"models/{name}.pt2"}

    display = (Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[status]}"), TimeElapsedColumn())
               if show_progress else nullcontext(None))
    with display as progress:
        overall = progress.add_task("variantlab run", total=4, status="") if progress else None

        def stage(words: str):
            if progress is not None:
                done = ["training the cnn", "training the autoencoder", "training the ae classifier",
                        "figures and report"].index(words)
                progress.update(overall, completed=done, status=words)

        # Each model seeds its own initialisation, so a resumed run builds exactly the same networks.
        torch.manual_seed(seed + SEED_OFFSETS["cnn"])
        cnn = build_cnn(variant, profile, in_shape, subset.num_outputs)
        cnn_history = train("cnn", cnn, progress)
        cnn_results = classifier_results("cnn", cnn, cnn_history) | {
            "architecture": f"{variant.conv_layers} conv ({profile.cnn_kernel}x{profile.cnn_kernel}, padding "
                            f"{profile.cnn_padding}) + {variant.pool_layers} {variant.pool} pool after conv "
                            f"{', '.join(map(str, cnn.pools_after))}, first layer {variant.first_filters} filters, "
                            f"flatten {cnn.flatten_size}, FC {variant.fc_nodes}, {subset.num_outputs} outputs",
            "flatten_size": cnn.flatten_size}

        torch.manual_seed(seed + SEED_OFFSETS["autoencoder"])
        ae = build_autoencoder(variant, in_shape, profile.ae_output)
        ae_history = train("autoencoder", ae, progress)
        ae_results = reconstruction_metrics(ae, subset.test.images, device, aug, figure_gen) | {
            "history": ae_history, "train_seconds": sum(h["seconds"] for h in ae_history),
            "parameters": sum(p.numel() for p in ae.parameters()), "denoising": profile.ae_denoise,
            "architecture": f"fully connected {widths}, mirrored decoder, {profile.ae_output} output"}
        plot_autoencoder(ae, ae_history, sample, aug, figure_gen, device, fig_dir)

        torch.manual_seed(seed + SEED_OFFSETS["ae_classifier"])
        aec = build_ae_classifier(variant, in_shape, subset.num_outputs, profile.ae_classifier_mode, ae)
        aec_history = train("ae_classifier", aec, progress)
        aec_results = classifier_results("ae_classifier", aec, aec_history) | {
            "mode": profile.ae_classifier_mode,
            "architecture": f"encoder {widths}, "
                            f"FC {variant.ae_fc_nodes}, {subset.num_outputs} outputs"}

        stage("figures and report")
        t = time.perf_counter()
        figures.compare_curves(cnn_history, aec_history, fig_dir / FIGURES["comparison"][0])
        figures.accuracies({"CNN": cnn_results["test_accuracy"], "AE classifier": aec_results["test_accuracy"]},
                           {"CNN": REFERENCE_REPORT["cnn_test_accuracy"],
                            "AE classifier": REFERENCE_REPORT["ae_classifier_test_accuracy"]},
                           fig_dir / FIGURES["accuracies"][0])
        results = {
            "student": student.to_dict(), "variant": variant.to_dict(), "profile": profile.name,
            "settings": profile.to_dict(), "seed": seed, "device": str(device), "device_name": device_name(device),
            "precision_used": "bf16" if autocast_dtype(device, profile.precision) else "fp32", "versions": versions,
            "finished": dt.datetime.now().isoformat(timespec="seconds"),
            "data": {"source": subset.source, "train_size": len(subset.train.labels) - (len(val[1]) if val else 0),
                     "val_size": len(val[1]) if val else 0, "test_size": len(subset.test.labels),
                     "train_class_counts": subset.class_counts(subset.train),
                     "test_class_counts": subset.class_counts(subset.test),
                     "augmentation": f"{profile.augmentation}, {aug.noise} noise of strength {aug.strength:g}"
                                     f"{', clipped to [0, 1]' if aug.clip else ', not clipped'}",
                     "images_per_epoch": len(data.train_y)},
            "cnn": cnn_results, "autoencoder": ae_results, "ae_classifier": aec_results,
            "timings": timings,
        }
        timings["report_seconds"] = time.perf_counter() - t
        timings["total_seconds"] = time.perf_counter() - started
        write_report(out, results, student.to_dict(), fig_dir)
        write_json(out / "results.json", results)
        if progress is not None:
            progress.update(overall, completed=4, status="done")
    return results


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
    title = {"cnn": "CNN", "ae_classifier": "AE classifier"}[name]
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
    return Path(out) if out else Path("runs") / f"{roll}-{profile}-{seed}"


def run(dob: str, roll: str, program: str, first: str = "", last: str = "", *, profile: str = "fast", seed: int = 0,
        epochs: int | None = None, train_limit: int | None = None, device: str = "auto", out: str | Path | None = None,
        data_dir: str | Path | None = None, settings: dict | None = None, show_progress: bool = True) -> dict:
    """The whole job for one student, as `variantlab run` does it; returns results.json's content."""
    student = parse_student(dob, roll, program, first, last)
    chosen = make_profile(profile, epochs, settings)
    if train_limit is not None and train_limit < 1:
        raise UserError(f"--train-limit {train_limit} must be at least 1")
    out = default_out(student.roll, chosen.name, seed, out)
    return run_training(student, derive(student), chosen, seed=seed, device=resolve_device(device), out=out,
                        data_dir=data_dir, train_limit=train_limit, show_progress=show_progress)

