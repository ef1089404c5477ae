"""The variant's networks: the CNN, the autoencoder, and the classifier on the autoencoder's encoder.

CNN: the rule table fixes the number of convolutions and pools, the pool type, the first layer's
filters and the FC width; kernel size, padding and where the pools sit are the profile's choice.
Channels start at the first-layer filters and double up to 64 (10, 20, 40, 64 as the reference),
ReLU after each convolution. Pool placement `last` is the reference's: the last pool after the last
convolution, a second one (if any) after convolution ceil(n/2). `spread` spaces the pools evenly
through the stack, after the convolutions nearest to n*i/(p+1), ties toward the input: 4+1 and 5+1
pool after conv 2, so the widest convolutions run on a quarter of the pixels. Both fit every layout
of the rule table on 28x28 and 32x32 inputs with 5x5 kernels and padding 1 (the reference's: each
trims 2 pixels); a layout that would shrink an image to nothing is refused with its numbers. The
flatten size is computed, never typed in.
"""

import itertools
import math
from typing import TypeVar, assert_never

import torch
from torch import nn

from variantlab.errors import UserError
from variantlab.training.config import ModelName

M = TypeVar("M", bound=nn.Module)


def conv_channels(first_filters: int, conv_layers: int) -> list[int]:
    return [min(first_filters * 2 ** i, 64) for i in range(conv_layers)]


def pool_positions(conv_layers: int, pool_layers: int, placement: str) -> list[int]:
    """1-based indices of the convolutions a pool follows."""
    if placement == "last":
        return [conv_layers] if pool_layers == 1 else [math.ceil(conv_layers / 2), conv_layers]
    # The nearest convolution to an even spacing, a tie going toward the input: a 5+1 stack pools after
    # conv 2, not 3, and its widest convolutions run on a quarter of the pixels (23 -> 13 M multiply-adds).
    slots = pool_layers + 1
    return [(2 * conv_layers * i + slots - 1) // (2 * slots) for i in range(1, pool_layers + 1)]


def feature_map_size(in_shape: tuple[int, int, int], conv_layers: int, pool_layers: int, kernel: int, padding: int,
                     pool_placement: str) -> int:
    """Height (and width) of the last feature map; a layout that shrinks the image to nothing is refused."""
    size, pools_after = in_shape[1], pool_positions(conv_layers, pool_layers, pool_placement)
    for i in range(1, conv_layers + 1):
        size = (size + 2 * padding - kernel + 1) // (2 if i in pools_after else 1)
        if size < 1:
            raise UserError(f"a CNN of {conv_layers} conv + {pool_layers} pool with {kernel}x{kernel} kernels, "
                            f"padding {padding} and pools placed '{pool_placement}' shrinks a "
                            f"{in_shape[1]}x{in_shape[2]} image to nothing by conv {i}; use a smaller "
                            "cnn_kernel or a larger cnn_padding")
    return size


class CNN(nn.Module):
    def __init__(self, in_shape: tuple[int, int, int], conv_layers: int, pool_layers: int, first_filters: int,
                 fc_nodes: int, num_outputs: int, pool: str, kernel: int, padding: int, pool_placement: str):
        super().__init__()
        size = feature_map_size(in_shape, conv_layers, pool_layers, kernel, padding, pool_placement)
        pool_class = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}[pool]
        layers, channels = [], in_shape[0]
        self.pools_after = pool_positions(conv_layers, pool_layers, pool_placement)
        for i, width in enumerate(conv_channels(first_filters, conv_layers), start=1):
            layers += [nn.Conv2d(channels, width, kernel_size=kernel, padding=padding), nn.ReLU(inplace=True)]
            if i in self.pools_after:
                layers.append(pool_class(kernel_size=2, stride=2))
            channels = width
        self.features = nn.Sequential(*layers)
        self.flatten_size = channels * size * size
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(self.flatten_size, fc_nodes), nn.ReLU(inplace=True),
                                        nn.Linear(fc_nodes, num_outputs))
        self.description = (f"{conv_layers} conv ({kernel}x{kernel}, padding {padding}) + {pool_layers} {pool} pool "
                            f"after conv {', '.join(map(str, self.pools_after))}, first layer {first_filters} filters, "
                            f"flatten {self.flatten_size}, FC {fc_nodes}, {num_outputs} outputs")

    def forward(self, x):
        return self.classifier(self.features(x))


def encoder_widths(input_size: int, layers: int, code: int = 32) -> list[int]:
    """Widths halving from the input down to the code: 784-392-196-98-32 for 4 layers."""
    return [input_size // 2 ** i for i in range(layers)] + [code]


def mlp(widths: list[int], last: nn.Module) -> nn.Sequential:
    """Linear layers through `widths`, ReLU between them and `last` after the final one."""
    layers = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers += [nn.Linear(a, b), last if i == len(widths) - 2 else nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Fully connected; the decoder mirrors the encoder. ReLU after every encoder layer (the code too)."""

    def __init__(self, in_shape: tuple[int, int, int], layers: int, output: str):
        super().__init__()
        widths = encoder_widths(math.prod(in_shape), layers)
        self.encoder: nn.Sequential = nn.Sequential(nn.Flatten(), *mlp(widths, nn.ReLU(inplace=True)))
        self.decoder = nn.Sequential(*mlp(widths[::-1], {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid()}[output]),
                                     nn.Unflatten(1, in_shape))
        self.description = f"fully connected {'-'.join(map(str, widths))}, mirrored decoder, {output} output"

    def forward(self, x):
        return self.decoder(self.encoder(x))


class AEClassifier(nn.Module):
    """The autoencoder's encoder, one FC layer + ReLU, then the output layer."""

    def __init__(self, in_shape: tuple[int, int, int], layers: int, fc_nodes: int, num_outputs: int):
        super().__init__()
        widths = encoder_widths(math.prod(in_shape), layers)
        self.encoder: nn.Sequential = nn.Sequential(nn.Flatten(), *mlp(widths, nn.ReLU(inplace=True)))
        self.head = nn.Sequential(nn.Linear(widths[-1], fc_nodes), nn.ReLU(inplace=True),
                                  nn.Linear(fc_nodes, num_outputs))
        self.description = f"encoder {'-'.join(map(str, widths))}, FC {fc_nodes}, {num_outputs} outputs"

    def forward(self, x):
        return self.head(self.encoder(x))


def initialise(model: M, init: str) -> M:
    """He (Kaiming) or Xavier (Glorot) normal on every conv and linear weight; zero biases."""
    if init not in ("he", "xavier"):
        raise ValueError(f"init {init!r} is not one of: he, xavier")
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if init == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def build(name: ModelName, variant, profile, in_shape, num_outputs: int, seed: int,
          autoencoder: "Autoencoder | None" = None) -> nn.Module:
    """One of the run's three models, its initialisation seeded by `seed` alone (on a fork of torch's
    global generator, which is left as it was), so that a resumed run builds exactly the network it
    checkpointed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        match name:
            case "cnn":
                return build_cnn(variant, profile, in_shape, num_outputs)
            case "autoencoder":
                return build_autoencoder(variant, in_shape, profile.ae_output)
            case "ae_classifier":
                return build_ae_classifier(variant, in_shape, num_outputs, profile.ae_classifier_mode, autoencoder)
            case _:
                assert_never(name)


def build_cnn(variant, profile, in_shape, num_outputs: int) -> CNN:
    """The variant's CNN in the profile's layout (kernel, padding, pool placement)."""
    return initialise(CNN(in_shape, variant.conv_layers, variant.pool_layers, variant.first_filters,
                          variant.fc_nodes, num_outputs, variant.pool, profile.cnn_kernel, profile.cnn_padding,
                          profile.cnn_pools), variant.init)


def build_autoencoder(variant, in_shape, output: str) -> Autoencoder:
    return initialise(Autoencoder(in_shape, variant.ae_layers, output), variant.init)


def build_ae_classifier(variant, in_shape, num_outputs: int, mode: str = "scratch",
                        autoencoder: Autoencoder | None = None) -> AEClassifier:
    """`scratch`: a fresh network (the reference); `pretrained`: the encoder starts from the trained
    autoencoder's and is fine-tuned; `frozen`: the trained encoder is fixed and only the head learns."""
    model = initialise(AEClassifier(in_shape, variant.ae_layers, variant.ae_fc_nodes, num_outputs), variant.init)
    if mode not in ("scratch", "pretrained", "frozen"):
        raise ValueError(f"ae_classifier_mode {mode!r} is not one of: scratch, pretrained, frozen")
    if mode != "scratch":
        if autoencoder is None:
            raise ValueError(f"ae_classifier_mode {mode!r} needs the trained autoencoder")
        model.encoder.load_state_dict(autoencoder.encoder.state_dict())
    if mode == "frozen":
        model.encoder.requires_grad_(False)
    return model


class Inference(nn.Module):
    """What a trained classifier is evaluated and exported as: logits, averaged over the image and
    its mirror when test-time flips are on."""

    def __init__(self, model: nn.Module, tta_flip: bool):
        super().__init__()
        self.model, self.tta_flip = model, tta_flip

    def forward(self, x):
        logits = self.model(x)
        if self.tta_flip:
            logits = (logits + self.model(x.flip(-1))) / 2
        return logits
