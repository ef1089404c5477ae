"""Test-set evaluation: accuracy, per-class accuracy, confusion matrix, loss; reconstruction error.

Always in fp32 and in the default memory layout, so that the numbers are those of the exported
model a reader loads.
"""

import torch
import torch.nn.functional as F

from variantlab.data.augment import Augmentation, add_noise
from variantlab.data.datasets import ClassSubset, Split, to_float


@torch.no_grad()
def predict(model, images: torch.Tensor, device: torch.device, batch_size: int = 1000) -> torch.Tensor:
    """Outputs of `model` for uint8 `images`, in fp32, on the CPU."""
    model.eval()
    outs = [model(to_float(images[i:i + batch_size].to(device))).float().cpu()
            for i in range(0, len(images), batch_size)]
    return torch.cat(outs)


def classification_metrics(logits: torch.Tensor, split: Split, subset: ClassSubset) -> dict:
    labels = split.labels
    predictions = logits.argmax(1)
    targets = list(subset.target_outputs)
    column = torch.full((subset.num_outputs,), len(targets), dtype=torch.long)  # anything else: "other"
    column[targets] = torch.arange(len(targets))
    row = column[labels]
    columns = len(targets) + (0 if subset.remapped else 1)
    confusion = torch.zeros(len(targets), columns, dtype=torch.long)
    confusion.index_put_((row, column[predictions].clamp(max=columns - 1)), torch.ones_like(row), accumulate=True)
    names = [subset.output_names[o] for o in targets]
    return {
        "test_accuracy": int((predictions == labels).sum()) / len(labels),
        "test_loss": float(F.cross_entropy(logits, labels)),
        "per_class_accuracy": {name: int(confusion[i, i]) / int(confusion[i].sum()) for i, name in enumerate(names)},
        "confusion_matrix": confusion.tolist(),
        "confusion_labels": names + ([] if subset.remapped else ["other"]),
    }


@torch.no_grad()
def reconstruction_metrics(autoencoder, images: torch.Tensor, device: torch.device, noise: Augmentation,
                           generator: torch.Generator) -> dict:
    """MSE against the clean image, for clean inputs and for inputs noised as in training."""
    autoencoder.eval()
    clean_error = noisy_error = 0.0
    for i in range(0, len(images), 1000):
        clean = to_float(images[i:i + 1000])
        noisy = add_noise(clean, noise, generator).to(device)  # drawn on the CPU: `generator` lives there
        x = clean.to(device)
        clean_error += float(F.mse_loss(autoencoder(x).float(), x, reduction="sum"))
        noisy_error += float(F.mse_loss(autoencoder(noisy).float(), x, reduction="sum"))
    n = images.numel()
    return {"test_mse": clean_error / n, "test_mse_noisy": noisy_error / n}
