"""Every figure of the report, as PNG files. Drawn on matplotlib `Figure` objects, not through pyplot: no
display is needed and no backend is switched, so a notebook that imports variantlab keeps its inline plots."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from matplotlib.figure import Figure

from variantlab.atomic import atomic_path
from variantlab.data.augment import GEOMETRIC, Augmentation, add_noise, geometric
from variantlab.training.baselines import Judgement
from variantlab.training.config import TITLES, ClassifierName
from variantlab.training.results import Epoch

# Each figure's file name and caption: the pipeline draws them under these names, the report shows them.
FIGURES = {
    "augmentation": ("augmentation.png", "Training-image augmentation, one row per kind"),
    "cnn_curves": ("cnn_curves.png", "CNN: loss and accuracy per epoch"),
    "cnn_confusion": ("cnn_confusion.png", "CNN: confusion matrix on the test set"),
    "cnn_misclassified": ("cnn_misclassified.png", "CNN: misclassified test images"),
    "autoencoder_curves": ("autoencoder_curves.png", "Autoencoder: reconstruction loss (MSE) per epoch"),
    "reconstructions": ("reconstructions.png", "Autoencoder: test images and reconstructions, clean and noisy"),
    "ae_classifier_curves": ("ae_classifier_curves.png", "AE classifier: loss and accuracy per epoch"),
    "ae_classifier_confusion": ("ae_classifier_confusion.png", "AE classifier: confusion matrix on the test set"),
    "ae_classifier_misclassified": ("ae_classifier_misclassified.png", "AE classifier: misclassified test images"),
    "comparison": ("comparison.png", "CNN against AE classifier, per epoch"),
    "accuracies": ("accuracies.png", "Test accuracies beside the measured baselines (named below)"),
}


def path_of(folder: Path, figure: str) -> Path:
    return Path(folder) / FIGURES[figure][0]


def subplots(*grid: int, figsize: tuple[float, float], **kw):
    """pyplot.subplots' (figure, axes), on a figure of its own that no backend or global registry holds."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*grid, **kw)


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    return path


def _show(ax, image: torch.Tensor, title: str = ""):
    image = image.detach().float().cpu().clamp(0, 1)
    if image.shape[0] == 1:
        ax.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image.permute(1, 2, 0).numpy())
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=7)


def image_rows(rows: list[tuple[str, torch.Tensor]], title: str, path: Path) -> Path:
    """A grid of images: one labelled row per (label, batch)."""
    columns = len(rows[0][1])
    fig, axes = subplots(len(rows), columns, figsize=(1.1 * columns, 1.2 * len(rows)), squeeze=False)
    for r, (label, batch) in enumerate(rows):
        for c in range(columns):
            _show(axes[r][c], batch[c])
        axes[r][0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def augmentation_grid(images: torch.Tensor, aug: Augmentation, generator: torch.Generator, path: Path) -> Path:
    """The reference's sample grid: one row per kind (original, flip or rotation, noise, both)."""
    moved = geometric(images, aug, generator)
    name = GEOMETRIC[aug.geometric][1]
    return image_rows([("original", images), (name, moved),
                       (f"{aug.noise} noise {aug.strength:g}", add_noise(images, aug, generator)),
                       (f"{name} + noise", add_noise(moved, aug, generator))],
                      "Augmentation, one row per kind", path)


def training_curves(history: Sequence[Epoch], title: str, path: Path) -> Path:
    """Loss (and accuracy, for classifiers) per epoch, training and validation."""
    epochs = [h.epoch for h in history]
    has_accuracy = history[0].train_accuracy is not None
    fig, axes = subplots(1, 2 if has_accuracy else 1, figsize=(9 if has_accuracy else 4.5, 3.2), squeeze=False)
    panels: list[tuple[str, list, list]] = [("loss", [h.train_loss for h in history], [h.val_loss for h in history])]
    if has_accuracy:
        panels.append(("accuracy", [h.train_accuracy for h in history], [h.val_accuracy for h in history]))
    for ax, (name, train, val) in zip(axes[0], panels, strict=True):
        ax.plot(epochs, train, "o-", label="training")
        if val[0] is not None:
            ax.plot(epochs, val, "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def compare_curves(histories: dict[str, Sequence[Epoch]], path: Path) -> Path:
    """The classifiers on one plot (title -> history): training loss and accuracy per epoch."""
    fig, axes = subplots(1, 2, figsize=(9, 3.2))
    for label, history in histories.items():
        epochs = [h.epoch for h in history]
        axes[0].plot(epochs, [h.train_loss for h in history], "o-", label=label)
        axes[1].plot(epochs, [h.train_accuracy for h in history], "o-", label=label)
        if history[0].val_accuracy is not None:
            axes[1].plot(epochs, [h.val_accuracy for h in history], "s--", label=f"{label} (validation)")
    for ax, name in zip(axes, ("training loss", "accuracy"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(" against ".join(histories), fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def reconstructions(originals: torch.Tensor, rebuilt: torch.Tensor, noisy: torch.Tensor, rebuilt_noisy: torch.Tensor,
                    path: Path) -> Path:
    return image_rows([("original", originals), ("reconstruction", rebuilt), ("noisy input", noisy),
                       ("reconstruction of noisy", rebuilt_noisy)],
                      "Test images and the autoencoder's reconstructions", path)


def confusion(matrix: Sequence[Sequence[int]], rows: Sequence[str], columns: Sequence[str], title: str,
              path: Path) -> Path:
    fig, ax = subplots(figsize=(1.0 * len(columns) + 2, 0.8 * len(rows) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    peak = max(max(r) for r in matrix)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                    color="white" if value > peak / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def misclassified(images: torch.Tensor, true_names: list[str], predicted_names: list[str], title: str,
                  path: Path) -> Path:
    count = max(len(images), 1)
    fig, axes = subplots(1, count, figsize=(1.3 * count, 1.8), squeeze=False)
    for c in range(len(images)):
        _show(axes[0][c], images[c], f"true {true_names[c]}\npred {predicted_names[c]}")
    if not len(images):
        axes[0][0].axis("off")
        axes[0][0].text(0.5, 0.5, "no test image misclassified", ha="center", va="center")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def baseline_series(judgements: Mapping[ClassifierName, Judgement],
                    reference: Mapping[str, float] | None) -> dict[str, dict[str, tuple[float, float | None]]]:
    """The accuracies figure's baselines, from the run's judgements (model -> Judgement): label -> model
    title -> (mean, sd or None); the reference report's numbers where they apply."""
    series: dict[str, dict[str, tuple[float, float | None]]] = {}
    for model, judgement in judgements.items():
        baseline = judgement.baseline
        if baseline is None:
            continue
        for name, measured in baseline.profiles.items():
            series.setdefault(baseline.label(name), {})[TITLES[model]] = (measured.mean(model), measured.sd(model))
    if reference:
        series["reference report"] = {TITLES[m]: (reference[f"{m}_test_accuracy"], None) for m in judgements}
    return series


def accuracies(bars: dict[str, float], baselines: dict[str, dict[str, tuple[float, float | None]]],
               path: Path) -> Path:
    """This run's test accuracies beside each baseline's (label -> model -> (mean, sd or None))."""
    names = list(bars)
    series = {"this run": {n: (bars[n], None) for n in names}} | baselines
    width = 0.8 / len(series)
    fig, ax = subplots(figsize=(5.5 + 0.6 * len(series), 3.4))
    for i, (label, values) in enumerate(series.items()):
        xs = [x - 0.4 + width * (i + 0.5) for x in range(len(names))]
        means = [100 * values[n][0] for n in names]
        errors = [100 * (values[n][1] or 0) for n in names]
        ax.bar(xs, means, width=width, yerr=errors if any(errors) else None, capsize=3, label=label)
        for x, m in zip(xs, means, strict=True):
            ax.text(x, m, f"{m:.2f}", ha="center", va="bottom", fontsize=7)
    low = min(v[0] for values in series.values() for v in values.values())
    ax.set_ylim(max(0, 100 * low - 5), 100.5)
    ax.set_xticks(list(range(len(names))), names)
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Test accuracy", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
