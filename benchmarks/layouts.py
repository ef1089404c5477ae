"""CNN training steps per second by layout: the kernel size, padding and pool placement the rule table
leaves free, for the reference variant's 4 conv + 1 pool (channels 10-20-40-64, FC 256), with the
fast profile's precision (where the device runs it well) and channels-last, its optimiser, random data.
Run: .venv/bin/python benchmarks/layouts.py [--device cpu|cuda] [--batch 128] [--steps 20]
"""

import torch

from precision import images_per_second, step_arguments
from throughput import VARIANT
from variantlab.training.config import get_profile, override
from variantlab.training.models import build_cnn
from variantlab.training.train import autocast_dtype

LAYOUTS = [(5, 1, "last"), (3, 1, "last"), (5, 2, "spread"), (3, 1, "spread"), (5, 1, "spread")]


def main():
    args, device = step_arguments(steps=20)
    bf16 = autocast_dtype(device, get_profile("fast").precision) is not None
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}, batch {args.batch}, "
          f"{'bf16' if bf16 else 'fp32'}, channels-last")
    rates = {}
    for kernel, padding, pools in LAYOUTS:
        profile = override(get_profile("fast"), {"cnn_kernel": kernel, "cnn_padding": padding, "cnn_pools": pools})
        model = build_cnn(VARIANT, profile, (1, 28, 28), 5)
        rates[kernel, padding, pools] = rate = images_per_second(device, args.batch, args.steps, bf16, True, profile)
        print(f"{kernel}x{kernel}, padding {padding}, pool after conv {model.pools_after[0]}: "
              f"flatten {model.flatten_size:6,}, {1000 * args.batch / rate:6.1f} ms a step, {rate:6.0f} images/s")
    fast = get_profile("fast")
    ratio = rates[fast.cnn_kernel, fast.cnn_padding, fast.cnn_pools] / rates[5, 1, "last"]
    print(f"ratio (fast's layout / the reference's), training images per second: {ratio:.2f}x")


if __name__ == "__main__":
    main()
