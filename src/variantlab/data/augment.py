"""The variant's augmentation as whole-batch tensor ops on the batch's own device.

Every random draw comes from the `torch.Generator` passed in, which lives on the same
device as the data, so a seed fixes the augmentation on CPU and CUDA alike.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from variantlab.errors import UserError
from variantlab.exam.rules import AUGMENTATIONS


@dataclass(frozen=True)
class Augmentation:
    geometric: str  # "flip" | "rotate"
    noise: str  # "uniform" (values in [-strength, strength]) | "normal" (std = strength)
    strength: float
    clip: bool  # clamp noisy images back to [0, 1]
    max_degrees: float = 10.0


def for_variant(augmentation: str, random_noise: str, strength: float, clip: bool) -> Augmentation:
    """The rule table's augmentation (rules.AUGMENTATIONS); `random_noise` says what "random noise" means
    where the exam leaves it open (the reference report's text says uniform, its code drew normal noise)."""
    if augmentation not in AUGMENTATIONS:
        raise UserError(f"augmentation {augmentation!r} is not one of: {', '.join(AUGMENTATIONS)}")
    kind = AUGMENTATIONS[augmentation]
    return Augmentation(kind.geometric, kind.noise or random_noise, strength, clip)


def hflip(x: torch.Tensor) -> torch.Tensor:
    return x.flip(-1)


def rotate(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate each image about its centre by its own angle, counter-clockwise for positive degrees
    as torchvision does (bilinear, zeros outside)."""
    radians = degrees.to(x.dtype) * (math.pi / 180)
    cos, sin = radians.cos(), radians.sin()
    zeros = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zeros], -1), torch.stack([sin, cos, zeros], -1)], -2)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_rotation(x: torch.Tensor, aug: Augmentation, gen: torch.Generator) -> torch.Tensor:
    degrees = (torch.rand(len(x), device=x.device, generator=gen) * 2 - 1) * aug.max_degrees
    return rotate(x, degrees)


# name -> (the move for a batch, its name in figures)
GEOMETRIC = {
    "flip": (lambda x, aug, gen: hflip(x), "horizontal flip"),
    "rotate": (random_rotation, "rotation"),
}


def geometric(x: torch.Tensor, aug: Augmentation, gen: torch.Generator) -> torch.Tensor:
    return GEOMETRIC[aug.geometric][0](x, aug, gen)


def add_noise(x: torch.Tensor, aug: Augmentation, gen: torch.Generator) -> torch.Tensor:
    if aug.noise == "uniform":
        noise = (torch.rand(x.shape, device=x.device, generator=gen) * 2 - 1) * aug.strength
    else:
        noise = torch.randn(x.shape, device=x.device, generator=gen) * aug.strength
    noisy = x + noise
    return noisy.clamp_(0, 1) if aug.clip else noisy


def expand_static(x: torch.Tensor, labels: torch.Tensor, aug: Augmentation, gen: torch.Generator):
    """The reference's one-off 4x expansion: originals, geometric copies, noisy originals, noisy copies."""
    moved = geometric(x, aug, gen)
    images = torch.cat([x, moved, add_noise(x, aug, gen), add_noise(moved, aug, gen)])
    return images, labels.repeat(4)


def augment_online(x: torch.Tensor, aug: Augmentation, gen: torch.Generator):
    """A fresh draw per batch with the static expansion's distribution: each image is moved with
    p = 0.5 and noised with p = 0.5. Returns (noisy, clean): `clean` is before the noise, the target
    of a denoising autoencoder."""
    move = torch.rand(len(x), device=x.device, generator=gen) < 0.5
    noise = torch.rand(len(x), device=x.device, generator=gen) < 0.5
    clean = torch.where(move[:, None, None, None], geometric(x, aug, gen), x)
    noisy = torch.where(noise[:, None, None, None], add_noise(clean, aug, gen), clean)
    return noisy, clean
