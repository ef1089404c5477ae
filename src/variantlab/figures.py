"""Every figure of the report, as PNG files (matplotlib, no display needed)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import torch  # noqa: E402

from variantlab.atomic import atomic_path  # noqa: E402
from variantlab.augment import Augmentation, add_noise, geometric  # noqa: E402


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def _show(ax, image: torch.Tensor, title: str = ""):
    image = image.detach().float().cpu().clamp(0, 1)
    if image.shape[0] == 1:
        ax.imshow(image[0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image.permute(1, 2, 0))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=7)


def augmentation_grid(images: torch.Tensor, aug: Augmentation, generator: torch.Generator, path: Path) -> Path:
    """The reference's sample grid: one row per kind (original, flip or rotation, noise, both)."""
    moved = geometric(images, aug, generator)
    name = {"flip": "horizontal flip", "rotate": "rotation"}[aug.geometric]
    rows = [("original", images), (name, moved), (f"{aug.noise} noise {aug.strength:g}", add_noise(images, aug, generator)),
            (f"{name} + noise", add_noise(moved, aug, generator))]
    fig, axes = plt.subplots(len(rows), len(images), figsize=(1.1 * len(images), 1.2 * len(rows)), squeeze=False)
    for r, (label, batch) in enumerate(rows):
        for c in range(len(images)):
            _show(axes[r][c], batch[c])
        axes[r][0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle("Augmentation, one row per kind", fontsize=9)
    return _save(fig, path)
