"""Augmentation as batch ops, and the device-resident batch iterator."""

import pytest
import torch

from variantlab.data.augment import Augmentation, add_noise, augment_online, expand_static, for_variant, hflip, rotate
from variantlab.data.batches import DeviceBatches
from variantlab.data.datasets import select_classes, to_float
from variantlab.errors import UserError


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def images(fashion_mnist):
    return to_float(select_classes(fashion_mnist, (1, 3, 5, 7, 9)).train.images[:256])


def test_flip_twice_is_identity(images):
    assert torch.equal(hflip(hflip(images)), images)
    assert not torch.equal(hflip(images), images)


def test_rotation_by_zero_is_identity(images):
    assert torch.allclose(rotate(images, torch.zeros(len(images))), images, atol=1e-5)


def test_rotation_by_ten_degrees_moves_mass_as_expected():
    """A horizontal bar rotated by +10 degrees turns counter-clockwise on screen (torchvision's
    convention): its right end rises by tan(10 degrees) per pixel from the centre."""
    bar = torch.zeros(1, 1, 28, 28)
    bar[0, 0, 13:15, 4:24] = 1
    turned = rotate(bar, torch.tensor([10.0]))
    rows = torch.arange(28.0)[:, None]
    def row_centre(image, cols):
        part = image[0, 0][:, cols]
        return float((part * rows).sum() / part.sum())
    left, right = row_centre(turned, slice(4, 9)), row_centre(turned, slice(19, 24))
    expected = 15 * torch.tan(torch.deg2rad(torch.tensor(10.0)))  # 15 px apart horizontally
    assert left - right == pytest.approx(float(expected), abs=0.6)
    assert turned.sum() == pytest.approx(float(bar.sum()), rel=0.05)  # mass is moved, not lost
    assert row_centre(rotate(bar, torch.tensor([-10.0])), slice(19, 24)) > row_centre(bar, slice(19, 24))


@pytest.mark.parametrize("kind,strength,std", [("uniform", 0.3, 0.3 / 3 ** 0.5), ("normal", 0.5, 0.5)])
def test_noise_statistics(kind, strength, std):
    x = torch.full((64, 1, 28, 28), 0.5)
    noise = add_noise(x, Augmentation("flip", kind, strength, clip=False), gen()) - x
    assert abs(float(noise.mean())) < 0.005
    assert float(noise.std()) == pytest.approx(std, rel=0.02)
    if kind == "uniform":
        assert float(noise.abs().max()) <= strength


def test_clipped_noise_stays_in_range(images):
    noisy = add_noise(images, Augmentation("flip", "normal", 1.0, clip=True), gen())
    assert noisy.min() >= 0 and noisy.max() <= 1


def test_static_expansion_is_four_copies_with_labels():
    x = torch.rand(10, 1, 28, 28)
    y = torch.arange(10)
    aug = for_variant("flip_random_noise", "normal", 1.0, clip=False)
    expanded, labels = expand_static(x, y, aug, gen())
    assert expanded.shape == (40, 1, 28, 28) and torch.equal(labels, y.repeat(4))
    assert torch.equal(expanded[:10], x) and torch.equal(expanded[10:20], hflip(x))
    assert 0.9 < float((expanded[20:30] - x).std()) < 1.1  # the reference's unclipped std-1 noise
    assert not torch.equal(expanded[30:], expanded[10:20])


def test_online_is_seeded_and_mixes_the_four_kinds(images):
    aug = for_variant("flip_random_noise", "uniform", 0.2, clip=True)
    a_noisy, a_clean = augment_online(images, aug, gen(1))
    b_noisy, _ = augment_online(images, aug, gen(1))
    assert torch.equal(a_noisy, b_noisy)
    flipped = (a_clean == hflip(images)).flatten(1).all(1) & ~(a_clean == images).flatten(1).all(1)
    noised = ~(a_noisy == a_clean).flatten(1).all(1)
    assert 0.3 < float(flipped.float().mean()) < 0.7 and 0.3 < float(noised.float().mean()) < 0.7


def test_each_sample_once_per_epoch_and_epochs_differ():
    images = torch.arange(1050, dtype=torch.uint8).reshape(-1, 1, 1, 1).repeat(1, 1, 2, 2) % 251
    labels = torch.arange(1050)
    batches = DeviceBatches(images, labels, 100, gen(3))
    assert len(batches) == 11
    epoch1 = torch.cat([y for _, _, y in batches])
    epoch2 = torch.cat([y for _, _, y in batches])
    assert sorted(epoch1.tolist()) == list(range(1050)) == sorted(epoch2.tolist())
    assert not torch.equal(epoch1, epoch2)
    again = torch.cat([y for _, _, y in DeviceBatches(images, labels, 100, gen(3))])
    assert torch.equal(again, epoch1)
    x, _, y = next(iter(DeviceBatches(images, labels, 100, gen(3))))
    assert x.dtype == torch.float32 and torch.equal(x, to_float(images[y]))


def test_online_batches_differ_across_epochs(images):
    aug = for_variant("rotate_gaussian_noise", "normal", 0.1, clip=True)
    batches = DeviceBatches((images * 255).to(torch.uint8), torch.zeros(len(images), dtype=torch.long), 256,
                            gen(5), aug, shuffle=False)
    first, second = next(iter(batches))[0], next(iter(batches))[0]
    assert first.shape == second.shape == images.shape and not torch.equal(first, second)


def test_an_unknown_augmentation_is_an_error_naming_the_known_ones():
    with pytest.raises(UserError, match="'mosaic' is not one of: flip_random_noise, rotate_gaussian_noise"):
        for_variant("mosaic", "uniform", 0.1, True)
