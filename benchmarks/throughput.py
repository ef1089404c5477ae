"""Training images per second: the reference solution's way against variantlab's `fast` loop.

Reference: a DataLoader over a TensorDataset of the static 4x expansion, fp32, NCHW, batch 100, Adam,
10 outputs, `.item()` after every step. variantlab: `fit` with the fast profile's CNN settings
(device-resident batches, online augmentation, channels-last, the profile's precision where the device
runs it well). Same CNN, same machine, one run each.
Run: .venv/bin/python benchmarks/throughput.py [--device cpu|cuda] [--steps 150] [--data-dir DIR]
"""

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from variantlab.augment import expand_static, for_variant
from variantlab.config import get_profile, override
from variantlab.datasets import load, select_classes, to_float
from variantlab.models import build_cnn
from variantlab.pipeline import prepare, resolve_device, train_model
from variantlab.rules import derive
from variantlab.student import parse_student
from variantlab.train import autocast_dtype

VARIANT = derive(parse_student("18/03/02", "B20AI052", "btech"))


def reference_images_per_second(dataset, device, steps: int) -> float:
    """The reference's training loop for `steps` batches (after 5 warm-up steps)."""
    subset = select_classes(dataset, VARIANT.classes, remap=False)
    aug = for_variant(VARIANT.augmentation, "normal", 1.0, clip=False)
    x, y = expand_static(to_float(subset.train.images), subset.train.labels, aug, torch.Generator().manual_seed(0))
    loader = DataLoader(TensorDataset(x, y), batch_size=100, shuffle=True)
    torch.manual_seed(0)
    model = build_cnn(VARIANT, (1, 28, 28), 10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = iter(loader)
    for step in range(steps + 5):
        if step == 5:
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
        images, labels = next(batches)
        images, labels = images.to(device), labels.to(device)
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()
    return steps * 100 / (time.perf_counter() - started)


def fast_images_per_second(dataset, device) -> tuple[float, str]:
    """One epoch of the fast profile's CNN training through variantlab's `fit`."""
    profile = override(get_profile("fast"), {"cnn.epochs": 1})
    data = prepare(VARIANT, profile, 0, device, dataset)
    torch.manual_seed(0)
    model = build_cnn(VARIANT, data.in_shape, data.subset.num_outputs)
    with tempfile.TemporaryDirectory() as scratch:
        history = train_model("cnn", model, profile, data, Path(scratch) / "cnn.pt", settings={})
    precision = "bf16" if autocast_dtype(device, profile.precision) else "fp32"
    return len(data.train_y) / history[0]["seconds"], f"batch {profile.cnn.batch_size}, {precision}, channels-last"


def setup(parser: argparse.ArgumentParser):
    """The benchmarks' shared arguments: (args, device, the FashionMNIST dataset)."""
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    return args, resolve_device(args.device), load("fashion_mnist", args.data_dir)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=150)
    args, device, dataset = setup(parser)
    reference = reference_images_per_second(dataset, device, args.steps)
    fast, how = fast_images_per_second(dataset, device)
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}")
    print(f"reference loop (DataLoader, fp32, batch 100, .item() per step): {reference:8.0f} images/s")
    print(f"variantlab fit, fast profile ({how}): {fast:8.0f} images/s")
    print(f"ratio (fast / reference), training images per second: {fast / reference:.2f}x")


if __name__ == "__main__":
    main()
