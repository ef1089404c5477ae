"""Training images per second: the reference solution's way against variantlab's `fast` loop.

Reference: a DataLoader over a TensorDataset of the static 4x expansion, fp32, NCHW, batch 100, Adam,
10 outputs, `.item()` after every step. variantlab: `fit` with the fast profile's CNN settings
(device-resident batches, online augmentation, channels-last, the profile's precision where the device
runs it well). Both loops train both CNN layouts, the reference's (pool after the last convolution)
and fast's (pool after the second), so each loop ratio compares the same CNN; the last line is what a
student gets: fast's loop and layout against the reference's. Same machine, one run.
Run: .venv/bin/python benchmarks/throughput.py [--device cpu|cuda] [--steps 150] [--data-dir DIR]
"""

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from variantlab.data.augment import expand_static, for_variant
from variantlab.data.datasets import load, select_classes, to_float
from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.pipeline import build_model, prepare, resolve_device, train_model
from variantlab.training.config import RunSpec, get_profile, override
from variantlab.training.models import build_cnn
from variantlab.training.train import autocast_dtype

VARIANT = derive(parse_student("18/03/02", "B20AI052", "btech"))


def reference_images_per_second(dataset, device, steps: int, profile_name: str = "faithful") -> float:
    """The reference's training loop for `steps` batches (after 5 warm-up steps), on the CNN in the
    named profile's layout."""
    subset = select_classes(dataset, VARIANT.classes, remap=False)
    aug = for_variant(VARIANT.augmentation, "normal", 1.0, clip=False)
    x, y = expand_static(to_float(subset.train.images), subset.train.labels, aug, torch.Generator().manual_seed(0))
    loader = DataLoader(TensorDataset(x, y), batch_size=100, shuffle=True)
    torch.manual_seed(0)
    model = build_cnn(VARIANT, get_profile(profile_name), (1, 28, 28), 10).to(device)
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


def fast_images_per_second(dataset, device, layout: dict) -> tuple[float, str]:
    """One epoch of the fast profile's CNN training through variantlab's `fit`, in the given layout."""
    profile = override(get_profile("fast"), {"cnn.epochs": 1} | layout)
    spec = RunSpec(VARIANT, profile, 0)
    data = prepare(spec, device, dataset)
    model = build_model("cnn", spec, data)
    with tempfile.TemporaryDirectory() as scratch:
        history = train_model("cnn", model, spec, data, Path(scratch) / "cnn.pt", identity={})
    precision = "bf16" if autocast_dtype(device, profile.precision) else "fp32"
    return len(data.train_y) / history[0].seconds, f"batch {profile.cnn.batch_size}, {precision}, channels-last"


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
    cnns = {"reference CNN": "faithful", "fast CNN": "fast"}  # whose layout each CNN has
    layouts = {name: {k: getattr(get_profile(p), k) for k in ("cnn_kernel", "cnn_padding", "cnn_pools")}
               for name, p in cnns.items()}
    reference = {name: reference_images_per_second(dataset, device, args.steps, p) for name, p in cnns.items()}
    ours = {name: fast_images_per_second(dataset, device, layout) for name, layout in layouts.items()}
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}")
    for name, layout in layouts.items():
        print(f"{name} ({layout['cnn_kernel']}x{layout['cnn_kernel']}, padding {layout['cnn_padding']}, "
              f"pools {layout['cnn_pools']}):")
        loop = "reference loop (DataLoader, fp32, batch 100, .item() per step):"
        print(f"  {loop:68}{reference[name]:6.0f} images/s")
        print(f"  {f'variantlab fit, fast settings ({ours[name][1]}):':68}{ours[name][0]:6.0f} images/s")
        print(f"  ratio, same CNN (the loop alone): {ours[name][0] / reference[name]:.2f}x")
    print("ratio (fast profile, its loop and layout / the reference solution's loop and CNN), "
          f"training images per second: {ours['fast CNN'][0] / reference['reference CNN']:.2f}x")


if __name__ == "__main__":
    main()
