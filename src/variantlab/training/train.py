"""The training loop: one `fit` for the classifiers and the autoencoder.

Per-step losses stay on the device in a buffer; the host looks at them only every few steps (for
the progress bar and the NaN guard), so the loop never waits on the device for a `.item()`.
Every epoch ends with an atomic checkpoint; `fit` started again on the same checkpoint resumes
from it, and on the CPU finishes with the same weights as a run never interrupted.
"""

import copy
import math
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import assert_never

import torch
import torch.nn.functional as F
from torch import nn

from variantlab.data.batches import DeviceBatches
from variantlab.errors import TrainingDiverged, UserError
from variantlab.training.checkpoint import load_checkpoint, save_checkpoint
from variantlab.training.config import FitSpec, Task, TrainConfig
from variantlab.training.results import Epoch

CHECK_EVERY = 25  # steps between looks at the loss buffer (progress bar, NaN guard)


def bf16_supported(device: torch.device) -> bool:
    """bf16 autocast only where it is fast: CUDA with bf16, or a CPU with AMX. On AVX-512 bf16 without
    AMX (this project's 2-core machine) it measured slower than fp32: see docs/BENCHMARKS.md."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    return torch.bfloat16 if precision == "bf16" and bf16_supported(device) else None


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    # torch's fused kernel updates every parameter in one pass (CPU and CUDA, the two devices a run
    # takes): on the 2-core CPU the AE classifier trained 1.13x faster, the CNN 1.04x (docs/RESULTS.md).
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[cfg.optimizer]
    return kind(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)


def one_cycle(step: int, total: int, warmup: float) -> float:
    """The learning-rate factor: linear warm-up to 1, then cosine down to 0 at `total` steps."""
    warm = max(1, round(total * warmup))
    if step < warm:
        return (step + 1) / warm
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))


def make_scheduler(optimizer, cfg: TrainConfig, total_steps: int):
    # torch's OneCycleLR divides by zero when a quick look (--epochs 1, a few batches) has fewer
    # warm-up steps than it needs; this schedule has the same shape for any number of steps.
    if cfg.schedule == "onecycle":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, partial(one_cycle, total=total_steps, warmup=cfg.warmup))
    return torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)


class WeightAverage:
    """An exponential moving average of a model's weights: the copy that is validated and kept. Its
    decay ramps up as (1 + n) / (10 + n), so the first steps' weights fade quickly; the step count
    lives on the host, so an update never waits on the device (torch's AveragedModel asks the device
    whether it has averaged anything yet on every update)."""

    def __init__(self, model: nn.Module, decay: float):
        self.module = copy.deepcopy(model).requires_grad_(False).eval()
        self.decay, self.steps = decay, 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        torch._foreach_lerp_(list(self.module.parameters()), [p.detach() for p in model.parameters()], 1 - decay)
        for mine, theirs in zip(self.module.buffers(), model.buffers(), strict=True):
            mine.copy_(theirs)

    def state_dict(self) -> dict:
        return {"module": self.module.state_dict(), "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state["module"])
        self.steps = state["steps"]


def step_loss(model, x, clean, y, task: Task, label_smoothing: float, denoise: bool):
    """(loss, number of correct predictions or None) of one batch."""
    out = model(x)
    match task:
        case "classify":
            return F.cross_entropy(out.float(), y, label_smoothing=label_smoothing), (out.argmax(1) == y).sum()
        case "reconstruct":
            return F.mse_loss(out.float(), clean if denoise else x), None
        case _:
            assert_never(task)


def train_one_epoch(model, batches: DeviceBatches, optimizer, scheduler, average: WeightAverage | None,
                    spec: FitSpec, amp: torch.dtype | None, on_check, epoch: int) -> tuple[float, float | None]:
    """One pass over the batches; (mean training loss, training accuracy or None)."""
    model.train()
    device = batches.images.device
    losses = torch.zeros(len(batches), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    seen = checked = 0
    classify = spec.task == "classify"
    for step, (x, clean, y) in enumerate(batches):
        if spec.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
            loss, hits = step_loss(model, x, clean, y, spec.task, spec.train.label_smoothing, spec.denoise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        if average is not None:
            average.update(model)
        losses[step] = loss.detach()
        if hits is not None:
            correct += hits
        seen += len(y)
        if (step + 1) % CHECK_EVERY == 0 or step + 1 == len(batches):
            window = losses[checked:step + 1]
            bad = (~torch.isfinite(window)).nonzero()
            if len(bad):
                at = checked + int(bad[0])
                raise TrainingDiverged(epoch, at + 1, float(losses[at]))
            checked = step + 1
            on_check(step + 1, float(losses[:step + 1].mean()), int(correct) / seen if classify else None)
    return float(losses.mean()), int(correct) / seen if classify else None


@torch.no_grad()
def evaluate_batches(model, batches: DeviceBatches, task: Task, denoise: bool) -> tuple[float, float | None]:
    """Mean loss (cross-entropy or MSE) and accuracy (None for reconstruction) over held-out batches,
    fp32, no augmentation."""
    model.eval()
    total = correct = count = 0.0
    for x, clean, y in batches:
        loss, hits = step_loss(model, x, clean, y, task, 0.0, denoise)
        total += float(loss) * len(y)
        count += len(y)
        correct += float(hits) if hits is not None else 0
    return total / count, correct / count if task == "classify" else None


@contextmanager
def matmul_precision(precision: str):
    """fp32 means fp32 on CUDA too (which would otherwise run convolutions in TF32); the process's own
    flags are restored afterwards."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = precision != "fp32"
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def fit(model: nn.Module, batches: DeviceBatches, spec: FitSpec, *, checkpoint: Path, identity: dict,
        val: DeviceBatches | None = None, progress=None, label: str = "model", on_epoch=None) -> list[Epoch]:
    """Train `model` for `spec.train.epochs` epochs (fewer when resuming); returns the per-epoch history.

    `identity` describes everything that determines the result; a checkpoint written under another
    identity is refused rather than silently continued. With an `ema`, the weights' moving average is
    what is validated and what `model` holds at the end. `on_epoch(history, weights)` runs after each
    epoch's checkpoint, outside the timed region, with the model as it would be delivered then.
    The data's generator is the only random state training draws from, and the only one checkpointed.
    """
    cfg = spec.train
    device = batches.images.device
    model.to(device)
    if spec.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad], cfg)
    scheduler = make_scheduler(optimizer, cfg, cfg.epochs * len(batches))
    average = WeightAverage(model, cfg.ema) if cfg.ema else None
    history: list[Epoch] = []
    start = 0
    if checkpoint.exists():
        state = load_checkpoint(checkpoint)
        if state["settings"] != identity:
            raise UserError(f"{checkpoint} was written by a run with other settings; "
                            "use another --out folder, or delete it to start again")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if average is not None:
            average.load_state_dict(state["average"])
        batches.generator.set_state(state["rng"]["data"])
        history, start = [Epoch.from_dict(e) for e in state["history"]], state["epoch"]
    amp = autocast_dtype(device, spec.precision)
    task_id = None
    if progress is not None:
        task_id = progress.add_task(label, total=cfg.epochs * len(batches), completed=start * len(batches),
                                    status="resumed" if start else "")
    for epoch in range(start + 1, cfg.epochs + 1):
        def on_check(step, loss, accuracy, epoch=epoch):
            if progress is not None:
                status = f"epoch {epoch}/{cfg.epochs} loss {loss:.4f}" + (
                    f" acc {accuracy:.4f}" if accuracy is not None else "")
                progress.update(task_id, completed=(epoch - 1) * len(batches) + step, status=status)

        began = time.perf_counter()
        try:
            train_loss, train_accuracy = train_one_epoch(model, batches, optimizer, scheduler, average, spec, amp,
                                                         on_check, epoch)
        except TrainingDiverged as e:
            e.label, e.checkpoint = label, checkpoint if checkpoint.exists() else None
            raise
        lr, seconds = scheduler.get_last_lr()[0], time.perf_counter() - began
        delivered = average.module if average is not None else model
        val_loss, val_accuracy = evaluate_batches(delivered, val, spec.task, spec.denoise) if val else (None, None)
        history.append(Epoch(epoch, train_loss, train_accuracy, lr, seconds, val_loss, val_accuracy))
        save_checkpoint(checkpoint, {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "average": average.state_dict() if average is not None else None, "epoch": epoch,
            "history": [e.to_dict() for e in history], "rng": {"data": batches.generator.get_state()},
            "settings": identity})
        if on_epoch is not None:
            on_epoch(history, delivered)
    if average is not None:
        model.load_state_dict(average.module.state_dict())
    model.eval()
    return history
