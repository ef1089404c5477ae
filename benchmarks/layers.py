"""Where the CNN's training time goes, layer by layer, and how close each layer comes to the CPU's peak.

    .venv/bin/python benchmarks/layers.py [--steps 30] [--student 18/03/02,B20AI052,btech]
    ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 .venv/bin/python benchmarks/layers.py   # AVX2 only

Profiles (torch.profiler) training steps of the `fast` profile's CNN for the student's variant (batch and
layout as the profile trains it), one row per layer and pass, counts each layer's arithmetic (a
multiply-add is two FLOP; a backward pass computes the input's gradient, except for the first layer, and
the weights'), and sets the achieved GFLOP/s against the practical peak: a large dense fp32 convolution on
the same threads and instruction set (oneDNN reports the set it used, ONEDNN_VERBOSE). MKL's matrix
products, which run the linear layers, are held to AVX2 by MKL_ENABLE_INSTRUCTIONS.
"""

import argparse
import os
import re
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
from torch import profiler

from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.training.config import RunSpec, get_profile
from variantlab.training.models import build_cnn


def onednn_isa() -> str:
    """The instruction set oneDNN reports it dispatches to, under this process's environment."""
    probe = "import torch; torch.nn.functional.conv2d(torch.rand(2, 3, 16, 16), torch.rand(4, 3, 3, 3))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=os.environ | {"ONEDNN_VERBOSE": "1"}, timeout=120)
    match = re.search(r"isa:([^,\n]+)", done.stdout)
    return match.group(1).strip() if match else "unknown (no oneDNN verbose output)"


def practical_peak() -> float:
    """GFLOP/s of a large fp32 convolution (64 -> 64 channels, 3x3, 32x32, batch 64, channels-last) on this
    process's threads: what oneDNN gets out of this CPU on dense work, under the same instruction set."""
    x = torch.rand(64, 64, 32, 32).contiguous(memory_format=torch.channels_last)
    w = torch.rand(64, 64, 3, 3).contiguous(memory_format=torch.channels_last)
    for _ in range(3):
        F.conv2d(x, w, padding=1)
    began = time.perf_counter()
    for _ in range(10):
        F.conv2d(x, w, padding=1)
    return 10 * 2 * 64 * 64 * 32 * 32 * 64 * 9 / (time.perf_counter() - began) / 1e9


def layer_flops(model, shape) -> dict[tuple, tuple[str, float, float]]:
    """Input shape of each conv and linear layer -> (name, forward FLOP, backward FLOP), by a dry run."""
    rows: dict[tuple, tuple[str, float, float]] = {}
    first = [True]

    def hook(module, inputs, output):
        x = inputs[0]
        if isinstance(module, torch.nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            forward = 2.0 * output.numel() * module.in_channels * k
            name = f"conv {module.in_channels}->{module.out_channels}, {x.shape[-1]}x{x.shape[-2]}"
        else:
            forward = 2.0 * x.shape[0] * module.in_features * module.out_features
            name = f"linear {module.in_features}->{module.out_features}"
        rows[tuple(x.shape)] = (name, forward, forward * (1 if first[0] else 2))
        first[0] = False

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(torch.rand(shape).contiguous(memory_format=torch.channels_last))
    for handle in handles:
        handle.remove()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--student", default="18/03/02,B20AI052,btech")
    args = parser.parse_args()
    variant = derive(parse_student(*args.student.split(",")))
    profile = get_profile("fast")
    spec = RunSpec(variant, profile, 0)
    torch.manual_seed(0)
    model = build_cnn(spec.variant, profile, (1, 28, 28), 5).to(memory_format=torch.channels_last).train()
    batch = profile.cnn.batch_size
    shape = (batch, 1, 28, 28)
    flops = layer_flops(model, shape)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    x = torch.rand(shape).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 5, (batch,))

    def step():
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(5):
        step()
    with profiler.profile(activities=[profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(args.steps):
            step()
    events = prof.key_averages(group_by_input_shape=True)
    total_ms = sum(e.self_cpu_time_total for e in events) / 1000 / args.steps
    isa, peak = onednn_isa(), practical_peak()
    print(f"{variant.key}: batch {batch}, channels-last, fp32, {torch.get_num_threads()} threads, torch "
          f"{torch.__version__}; oneDNN ISA: {isa}; practical peak (a 64->64 3x3 convolution) {peak:.0f} GFLOP/s")
    print(f"a training step: {total_ms:.1f} ms of operator time ({args.steps} steps profiled)\n")
    print("| layer | pass | ms a step | share | GFLOP | GFLOP/s | of peak |\n|---|---|---|---|---|---|---|")
    linear = {(shape[1], int(name.split("->")[1])): shape for shape, (name, _, _) in flops.items()
              if name.startswith("linear")}
    rows = []
    for event in events:
        shapes = [tuple(s) for s in event.input_shapes or []]
        if event.key == "aten::mkldnn_convolution":  # (input, weight, bias, ...)
            shape_in, backward = shapes[0], False
        elif event.key == "aten::convolution_backward":  # (grad_output, input, weight, ...)
            shape_in, backward = shapes[1], True
        elif event.key == "aten::addmm":  # (bias, input, weight^T): a linear layer's forward
            shape_in, backward = shapes[1], False
        elif event.key == "aten::mm" and len(shapes) == 2:  # grad_output @ W, or grad_output^T @ input
            (rows_a, inner), (_, cols) = shapes
            key = (cols, inner) if rows_a == batch else (cols, rows_a)
            shape_in, backward = linear.get(key), True
        else:
            continue
        if shape_in not in flops:
            continue
        name, forward, back = flops[shape_in]
        ms = event.self_cpu_time_total / 1000 / args.steps
        work = back if backward else forward
        rows.append((name, "backward" if backward else "forward", ms, work))
    merged: dict[tuple[str, str], list[float]] = {}
    for name, kind, ms, work in rows:
        entry = merged.setdefault((name, kind), [0.0, work])
        entry[0] += ms
    for (name, kind), (ms, work) in merged.items():
        rate = work / (ms / 1000) / 1e9 if ms else 0.0
        print(f"| {name} | {kind} | {ms:.2f} | {100 * ms / total_ms:.0f} % | {work / 1e9:.3f} | {rate:.0f} | "
              f"{100 * rate / peak:.0f} % |")
    print("\nThe rest of a step (pools, ReLUs, the loss, the optimiser, the weights' average in training) is what "
          "the rows leave of the step's operator time.")


if __name__ == "__main__":
    main()
