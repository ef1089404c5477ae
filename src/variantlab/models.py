"""The variant's networks: the CNN, the autoencoder, and the classifier on the autoencoder's encoder.

CNN layout: 5x5 convolutions with padding 1 (each trims 2 pixels), ReLU after each, channels
starting at the variant's first-layer filters and doubling up to 64 (10, 20, 40, 64 as the
reference). The last pool sits after the last convolution; with two pools the first sits after
convolution ceil(n/2). That fits every layout of the rule table on 28x28 and 32x32 inputs:
4+1 on 28 -> 10x10 (the reference's 6,400-wide flatten), 3+2 -> 5x5, 5+1 -> 9x9, 5+2 on 32 -> 4x4,
6+1 on 32 -> 10x10. The flatten size is measured on a dummy input, never typed in.
"""

import math

import torch
from torch import nn


def conv_channels(first_filters: int, conv_layers: int) -> list[int]:
    return [min(first_filters * 2 ** i, 64) for i in range(conv_layers)]


def pool_positions(conv_layers: int, pool_layers: int) -> set[int]:
    """1-based indices of the convolutions a pool follows."""
    return {conv_layers} if pool_layers == 1 else {math.ceil(conv_layers / 2), conv_layers}


class CNN(nn.Module):
    def __init__(self, in_shape: tuple[int, int, int], conv_layers: int, pool_layers: int, first_filters: int,
                 fc_nodes: int, num_outputs: int, pool: str):
        super().__init__()
        pool_class = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}[pool]
        layers, channels = [], in_shape[0]
        pools = pool_positions(conv_layers, pool_layers)
        for i, width in enumerate(conv_channels(first_filters, conv_layers), start=1):
            layers += [nn.Conv2d(channels, width, kernel_size=5, padding=1), nn.ReLU(inplace=True)]
            if i in pools:
                layers.append(pool_class(kernel_size=2, stride=2))
            channels = width
        self.features = nn.Sequential(*layers)
        with torch.no_grad():
            self.flatten_size = self.features(torch.zeros(1, *in_shape)).numel()
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(self.flatten_size, fc_nodes), nn.ReLU(inplace=True),
                                        nn.Linear(fc_nodes, num_outputs))

    def forward(self, x):
        return self.classifier(self.features(x))


def encoder_widths(input_size: int, layers: int, code: int = 32) -> list[int]:
    """Widths halving from the input down to the code: 784-392-196-98-32 for 4 layers."""
    return [input_size // 2 ** i for i in range(layers)] + [code]


def mlp(widths: list[int], last: nn.Module) -> nn.Sequential:
    """Linear layers through `widths`, ReLU between them and `last` after the final one."""
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers += [nn.Linear(a, b), last if i == len(widths) - 2 else nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Fully connected; the decoder mirrors the encoder. ReLU after every encoder layer (the code too)."""

    def __init__(self, in_shape: tuple[int, int, int], layers: int, output: str):
        super().__init__()
        widths = encoder_widths(math.prod(in_shape), layers)
        self.encoder = nn.Sequential(nn.Flatten(), *mlp(widths, nn.ReLU(inplace=True)))
        self.decoder = nn.Sequential(*mlp(widths[::-1], {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid()}[output]),
                                     nn.Unflatten(1, in_shape))

    def forward(self, x):
        return self.decoder(self.encoder(x))


class AEClassifier(nn.Module):
    """The autoencoder's encoder, one FC layer + ReLU, then the output layer."""

    def __init__(self, in_shape: tuple[int, int, int], layers: int, fc_nodes: int, num_outputs: int):
        super().__init__()
        widths = encoder_widths(math.prod(in_shape), layers)
        self.encoder = nn.Sequential(nn.Flatten(), *mlp(widths, nn.ReLU(inplace=True)))
        self.head = nn.Sequential(nn.Linear(widths[-1], fc_nodes), nn.ReLU(inplace=True),
                                  nn.Linear(fc_nodes, num_outputs))

    def forward(self, x):
        return self.head(self.encoder(x))


def initialise(model: nn.Module, init: str) -> nn.Module:
    """He (Kaiming) or Xavier (Glorot) normal on every conv and linear weight; zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if init == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            else:
                nn.init.xavier_normal_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def build_cnn(variant, in_shape, num_outputs: int) -> CNN:
    return initialise(CNN(in_shape, variant.conv_layers, variant.pool_layers, variant.first_filters,
                          variant.fc_nodes, num_outputs, variant.pool), variant.init)


def build_autoencoder(variant, in_shape, output: str) -> Autoencoder:
    return initialise(Autoencoder(in_shape, variant.ae_layers, output), variant.init)


def build_ae_classifier(variant, in_shape, num_outputs: int, mode: str = "scratch",
                        autoencoder: Autoencoder | None = None) -> AEClassifier:
    """`scratch`: a fresh network (the reference); `pretrained`: the encoder starts from the trained
    autoencoder's and is fine-tuned; `frozen`: the trained encoder is fixed and only the head learns."""
    model = initialise(AEClassifier(in_shape, variant.ae_layers, variant.ae_fc_nodes, num_outputs), variant.init)
    if mode != "scratch":
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
