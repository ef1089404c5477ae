"""The networks the rule table calls for: every layout, shapes, sizes, initialisation."""

import math

import pytest
import torch

from variantlab.errors import UserError
from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.training.config import get_profile, override
from variantlab.training.models import (
    CNN,
    Autoencoder,
    build_ae_classifier,
    build_autoencoder,
    build_cnn,
    encoder_widths,
)

LAYOUTS = [(3, 2), (4, 1), (5, 1), (5, 2), (6, 1)]
SHAPES = [(1, 28, 28), (3, 32, 32)]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("profile", ["faithful", "fast"])
def test_every_layout_runs_forward_and_backward(layout, shape, pool, profile):
    p = get_profile(profile)
    model = CNN(shape, *layout, first_filters=8, fc_nodes=256, num_outputs=5, pool=pool, kernel=p.cnn_kernel,
                padding=p.cnn_padding, pool_placement=p.cnn_pools)
    assert model.features(torch.zeros(1, *shape)).numel() == model.flatten_size
    out = model(torch.rand(3, *shape))
    assert out.shape == (3, 5)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert sum(isinstance(m, torch.nn.Conv2d) for m in model.modules()) == layout[0]
    pools = torch.nn.MaxPool2d if pool == "max" else torch.nn.AvgPool2d
    assert sum(isinstance(m, pools) for m in model.modules()) == layout[1]


@pytest.mark.parametrize("layout,placement,after", [
    ((4, 1), "last", [4]), ((3, 2), "last", [2, 3]), ((6, 1), "last", [6]),
    ((4, 1), "spread", [2]), ((3, 2), "spread", [1, 2]), ((5, 2), "spread", [2, 3]), ((5, 1), "spread", [2]),
])
def test_pool_placement(layout, placement, after):
    model = CNN((1, 28, 28), *layout, first_filters=8, fc_nodes=16, num_outputs=5, pool="max", kernel=3, padding=1,
                pool_placement=placement)
    assert model.pools_after == after
    modules = [m for m in model.features if not isinstance(m, torch.nn.ReLU)]
    convs_before_pools = [sum(isinstance(m, torch.nn.Conv2d) for m in modules[:i])
                          for i, m in enumerate(modules) if isinstance(m, torch.nn.MaxPool2d)]
    assert convs_before_pools == after


def test_fast_cnn_pools_early():
    variant = derive(parse_student("18/03/02", "B20AI052", "btech"))
    model = build_cnn(variant, get_profile("fast"), (1, 28, 28), 5)
    assert model.pools_after == [2] and model.flatten_size == 64 * 8 * 8  # 28 -> 26 -> 24, pool 12 -> 10 -> 8


def test_a_layout_that_shrinks_the_image_away_is_refused():
    variant = derive(parse_student("18/03/02", "B20AI052", "btech"))
    profile = override(get_profile("faithful"), {"cnn_kernel": 9, "cnn_padding": 0})
    with pytest.raises(UserError, match=r"9x9 kernels, padding 0 .* 28x28 image to nothing by conv 4"):
        build_cnn(variant, profile, (1, 28, 28), 5)


def test_reference_cnn_size():
    variant = derive(parse_student("18/03/02", "B20AI052", "btech"))
    model = build_cnn(variant, get_profile("faithful"), (1, 28, 28), 10)
    assert model.flatten_size == 64 * 10 * 10
    convs = [(1, 10), (10, 20), (20, 40), (40, 64)]
    expected = sum(i * o * 25 + o for i, o in convs) + (6400 * 256 + 256) + (256 * 10 + 10)
    assert sum(p.numel() for p in model.parameters()) == expected == 1_730_610
    assert [m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d)] == [10, 20, 40, 64]


@pytest.mark.parametrize("dob,init", [("18/03/02", "he"), ("18/04/02", "xavier")])
def test_initialisation_statistics(dob, init):
    variant = derive(parse_student(dob, "B20AI052", "btech"))
    assert variant.init == init
    torch.manual_seed(0)
    model = build_cnn(variant, get_profile("faithful"), (1, 28, 28), 5)
    for layer in (model.classifier[1], model.features[6]):  # FC 6400->256, conv 20->40
        layer.requires_grad_(False)
        fan_in = layer.weight[0].numel()
        fan_out = layer.weight.shape[0] * layer.weight[0, 0].numel()
        expected = math.sqrt(2 / fan_in) if init == "he" else math.sqrt(2 / (fan_in + fan_out))
        assert float(layer.weight.std()) == pytest.approx(expected, rel=0.03)
        assert abs(float(layer.weight.mean())) < expected / 20
        assert torch.count_nonzero(layer.bias) == 0


@pytest.mark.parametrize("shape,layers,widths", [
    ((1, 28, 28), 4, [784, 392, 196, 98, 32]), ((1, 28, 28), 3, [784, 392, 196, 32]),
    ((3, 32, 32), 4, [3072, 1536, 768, 384, 32]),
])
def test_autoencoder_widths_and_shapes(shape, layers, widths):
    assert encoder_widths(math.prod(shape), layers) == widths
    model = Autoencoder(shape, layers, "sigmoid")
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.in_features for m in linears] + [linears[-1].out_features] == widths + widths[::-1][1:]
    out = model(torch.rand(2, *shape))
    assert out.shape == (2, *shape) and out.min() >= 0 and out.max() <= 1


def test_ae_classifier_modes():
    variant = derive(parse_student("18/03/02", "B20AI052", "btech"))
    ae = build_autoencoder(variant, (1, 28, 28), "relu")
    scratch = build_ae_classifier(variant, (1, 28, 28), 5)
    pretrained = build_ae_classifier(variant, (1, 28, 28), 5, "pretrained", ae)
    frozen = build_ae_classifier(variant, (1, 28, 28), 5, "frozen", ae)
    for a, b in zip(ae.encoder.parameters(), pretrained.encoder.parameters(), strict=True):
        assert torch.equal(a, b) and b.requires_grad
    weights = [(a, b) for (n, a), b in zip(ae.encoder.named_parameters(), scratch.encoder.parameters(), strict=True)
               if "weight" in n]
    assert weights and not any(torch.equal(a, b) for a, b in weights)
    assert not any(p.requires_grad for p in frozen.encoder.parameters())
    assert all(p.requires_grad for p in frozen.head.parameters())
    assert frozen.head[0].out_features == variant.ae_fc_nodes == 256
