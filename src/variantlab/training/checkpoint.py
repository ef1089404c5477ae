"""Checkpoints: plain dicts of tensors, numbers and strings, written atomically, read back with
`weights_only=True` (no pickled classes, so a checkpoint is safe to load and portable)."""

from pathlib import Path

import torch

from variantlab.atomic import atomic_path
from variantlab.errors import UserError


def save_checkpoint(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


KEYS = ("model", "optimizer", "scheduler", "average", "epoch", "history", "rng", "settings")


def load_checkpoint(path: Path) -> dict:
    """A checkpoint `save_checkpoint` wrote; anything else (truncated, damaged, not ours) is refused by name."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several kinds for a damaged file; to the user they mean one thing
        raise UserError(f"{path}: not a readable checkpoint ({type(e).__name__}); delete it to train that model "
                        "again from its first epoch") from None
    missing = [key for key in KEYS if key not in state] if isinstance(state, dict) else list(KEYS)
    if missing:
        raise UserError(f"{path}: not a variantlab checkpoint (no {', '.join(missing)}); delete it to train that "
                        "model again from its first epoch")
    return state
