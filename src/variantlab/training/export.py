"""Trained classifiers as `torch.export` programs: load with torch alone, any batch size."""

import copy
from pathlib import Path

import torch

from variantlab.atomic import atomic_path
from variantlab.training.models import Inference


def export_classifier(model: torch.nn.Module, tta_flip: bool, in_shape: tuple, path: Path) -> Path:
    """Saves float images in [0, 1] of `in_shape` -> logits, test-time flips included, on the CPU in fp32."""
    module = Inference(copy.deepcopy(model).cpu().float().to(memory_format=torch.contiguous_format), tta_flip).eval()
    example = torch.rand(4, *in_shape)
    program = torch.export.export(module, (example,), dynamic_shapes={"x": {0: torch.export.Dim("batch")}})
    with atomic_path(path) as tmp:
        torch.export.save(program, tmp)
    return path


def load_exported(path: Path) -> torch.nn.Module:
    return torch.export.load(path).module()
