"""Checkpoints: plain dicts of tensors, numbers and strings, written atomically, read back with
`weights_only=True` (no pickled classes, so a checkpoint is safe to load and portable)."""

from pathlib import Path

import torch

from variantlab.atomic import atomic_path


def save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)
