"""Batches per second: variantlab's device-resident iterator (online augmentation) against the
reference's way, a DataLoader over a TensorDataset of the 4x static expansion, batch 100.

Same data (the reference variant's 30,000 FashionMNIST images), one epoch each, no model.
Run: .venv/bin/python benchmarks/data_pipeline.py [--device cpu|cuda] [--data-dir DIR]
"""

import argparse
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from variantlab.data.augment import expand_static, for_variant
from variantlab.data.batches import DeviceBatches
from variantlab.data.datasets import load, select_classes, to_float


def rate(batches, device) -> float:
    start, count = time.perf_counter(), 0
    for x, _, _ in batches:
        x = x.to(device, non_blocking=True)
        count += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return count / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    device = torch.device(args.device)
    subset = select_classes(load("fashion_mnist", args.data_dir), (1, 3, 5, 7, 9))
    gen = torch.Generator().manual_seed(0)

    faithful_aug = for_variant("flip_random_noise", "normal", 1.0, clip=False)
    expanded, labels = expand_static(to_float(subset.train.images), subset.train.labels, faithful_aug, gen)
    loader = DataLoader(TensorDataset(expanded, labels), batch_size=100, shuffle=True)
    reference = rate(((x, x, y) for x, y in loader), device) / 4  # one pass over 4x the images

    fast_aug = for_variant("flip_random_noise", "uniform", 0.2, clip=True)
    device_gen = torch.Generator(device=device).manual_seed(0)
    images, targets = subset.train.images.to(device), subset.train.labels.to(device)
    plain = rate(DeviceBatches(images, targets, 100, device_gen), device)
    ours = rate(DeviceBatches(images, targets, 100, device_gen, fast_aug), device)

    print(f"device: {device} ({torch.get_num_threads()} threads), torch {torch.__version__}")
    print(f"DataLoader over the 4x TensorDataset: {reference * 4:8.1f} batches/s "
          f"({reference:.1f} per 30,000-image epoch-equivalent)")
    print(f"device-resident iterator, no aug:      {plain:8.1f} batches/s")
    print(f"device-resident iterator + online aug: {ours:8.1f} batches/s "
          f"(fresh noise for every image: the reference's was drawn once, before training)")
    print(f"per epoch of the 30,000 images: DataLoader {1200 / (reference * 4):.2f} s (1,200 batches of the 4x set), "
          f"device-resident {300 / ours:.2f} s (300 batches)")
    print(f"ratio (device-resident / DataLoader, batches per second): {ours / (reference * 4):.1f}x")


if __name__ == "__main__":
    main()
