"""The CNN's training step in each grade-book cell (benchmarks/gradebook.csv), side by side in one process: the
variant's layout in the fast profile, its augmentation drawn on the batch, its optimiser, random images; and
each cell with its pools placed `last` instead (issue 24's placement study weighs the two). The CNN is where
the cells differ (the autoencoder and its classifier are the same MLPs on 28x28 images), so this is the clean
view of docs/VARIANTS.md's per-job times, which ran two at a time.
Run: .venv/bin/python benchmarks/cells.py [--device cpu|cuda] [--batch 128] [--steps 20]
"""

import csv
from pathlib import Path

import torch
import torch.nn.functional as F

from precision import seconds_a_step, step_arguments
from variantlab.data.augment import augment_online, for_variant
from variantlab.exam.rules import AUGMENTATIONS, derive
from variantlab.exam.student import parse_student
from variantlab.training.config import get_profile, override
from variantlab.training.models import build_cnn, conv_channels, pool_positions
from variantlab.training.train import autocast_dtype, make_optimizer

ROSTER = Path(__file__).with_name("gradebook.csv")


def conv_macs(variant, profile, size: int = 28) -> int:
    """Multiply-adds of the convolutions for one image."""
    macs, channels, after = 0, 1, pool_positions(variant.conv_layers, variant.pool_layers, profile.cnn_pools)
    for i, width in enumerate(conv_channels(variant.first_filters, variant.conv_layers), start=1):
        size = size + 2 * profile.cnn_padding - profile.cnn_kernel + 1
        macs += size * size * width * channels * profile.cnn_kernel ** 2
        size, channels = size // 2 if i in after else size, width
    return macs


def cnn_step_seconds(variant, profile, device, batch: int, steps: int) -> float:
    torch.manual_seed(0)
    model = build_cnn(variant, profile, (1, 28, 28), 5).to(device).to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model.parameters(), profile.cnn)
    aug = for_variant(variant.augmentation, profile.random_noise, profile.noise_strength, profile.noise_clip)
    images = torch.rand(batch, 1, 28, 28, device=device)
    labels = torch.randint(0, 5, (batch,), device=device)
    generator = torch.Generator(device=device).manual_seed(0)
    amp = autocast_dtype(device, profile.precision)

    def step():
        x, _ = augment_online(images, aug, generator)
        with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
            loss = F.cross_entropy(model(x.contiguous(memory_format=torch.channels_last)).float(), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return seconds_a_step(step, device, steps)


def main():
    args, device = step_arguments(steps=20)
    profile = get_profile("fast")
    pools_last = override(profile, {"cnn_pools": "last"})
    with open(ROSTER) as f:
        rows = list(csv.DictReader(f))
    students = [derive(parse_student(row["dob"], row["roll"], row["program"])) for row in rows]
    # The process's first steps pay for oneDNN's kernel creation and the allocator's growth; untimed, so
    # that they do not inflate the reference row every other row is divided by.
    cnn_step_seconds(students[0], profile, device, args.batch, args.steps)
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}, batch {args.batch}, "
          f"{args.steps} steps after 3 of warm-up")
    print(f"{'cell':28} {'conv M MACs':>11} {'ms a step':>10} {'x reference':>12} {'last: M MACs':>13} "
          f"{'last: ms a step':>16} {'last/spread':>12}")
    reference = None
    for variant in students:
        seconds = cnn_step_seconds(variant, profile, device, args.batch, args.steps)
        reference = reference or seconds  # the roster's first row is the reference student
        aug = AUGMENTATIONS[variant.augmentation].geometric
        cell = f"{variant.dataset} {variant.conv_layers}+{variant.pool_layers} {aug} f{variant.first_filters}"
        pooled_last = cnn_step_seconds(variant, pools_last, device, args.batch, args.steps)
        print(f"{cell:28} {conv_macs(variant, profile) / 1e6:11.1f} {1000 * seconds:10.1f} {seconds / reference:12.2f} "
              f"{conv_macs(variant, pools_last) / 1e6:13.1f} {1000 * pooled_last:16.1f} {pooled_last / seconds:12.2f}",
              flush=True)


if __name__ == "__main__":
    main()
