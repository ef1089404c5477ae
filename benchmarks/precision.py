"""CNN training steps per second by precision and memory layout: which of bf16 autocast and
channels-last pay on this device (the fast profile's CNN, 5 outputs, its optimiser, random data of the right shape).
Run: .venv/bin/python benchmarks/precision.py [--device cpu|cuda] [--batch 128] [--steps 10]
"""

import argparse
import time

import torch
import torch.nn.functional as F

from throughput import VARIANT
from variantlab.pipeline import resolve_device
from variantlab.training.config import get_profile
from variantlab.training.models import build_cnn
from variantlab.training.train import make_optimizer


def images_per_second(device, batch: int, steps: int, bf16: bool, channels_last: bool, profile=None) -> float:
    """Training steps on random data through the CNN in `profile`'s layout (default: fast's)."""
    torch.manual_seed(0)
    profile = profile or get_profile("fast")
    model = build_cnn(VARIANT, profile, (1, 28, 28), 5).to(device)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    optimizer = make_optimizer(model.parameters(), profile.cnn)
    x = torch.rand(batch, 1, 28, 28, device=device).contiguous(memory_format=layout)
    y = torch.randint(0, 5, (batch,), device=device)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x).float(), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return batch / seconds_a_step(step, device, steps)


def seconds_a_step(step, device, steps: int, warmup: int = 3) -> float:
    """Mean wall time of `step()` over `steps` calls after `warmup` unmeasured ones (CUDA synchronised)."""
    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / steps


def step_arguments(steps: int):
    """The step-rate benchmarks' arguments: (args, device)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=steps)
    args = parser.parse_args()
    return args, resolve_device(args.device)


def main():
    args, device = step_arguments(steps=10)
    print(f"device {device} ({torch.get_num_threads()} threads), torch {torch.__version__}, batch {args.batch}")
    rates = {}
    for bf16 in (False, True):
        for channels_last in (False, True):
            rate = images_per_second(device, args.batch, args.steps, bf16, channels_last)
            rates[bf16, channels_last] = rate
            print(f"{'bf16 autocast' if bf16 else 'fp32':14} {'channels-last' if channels_last else 'NCHW':14} "
                  f"{rate:8.0f} images/s")
    best = max(rates, key=rates.get)
    print(f"fastest: {'bf16' if best[0] else 'fp32'}, {'channels-last' if best[1] else 'NCHW'}; "
          f"ratio to fp32 NCHW {rates[best] / rates[False, False]:.2f}x")


if __name__ == "__main__":
    main()
