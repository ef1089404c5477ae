"""A labelled corpus of submissions for `variantlab check`, generated: notebooks and scripts in five code
styles (a PyTorch module per network, nn.Sequential builders, functional pools, loops over layer lists,
Keras), Markdown and PDF reports (fpdf2), each for a random student, with chosen aspects built wrong in
the code (label `violates`), stated wrong beside a right derivation (label `contradicts`), and chosen
test-accuracy claims. Phrasings are drawn from several per aspect, so the checker is measured on more
than one way of saying a thing.

    from corpus import generate; labels = generate(folder, count=60, seed=0)

benchmarks/check_class.py uses it to make a class of 300.
"""

import itertools
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from variantlab.check.check import ASPECTS, required_values
from variantlab.exam.catalog import SPECS
from variantlab.exam.rules import DATASET_NAMES, Variant, derive
from variantlab.exam.student import Student, parse_student
from variantlab.training import baselines

STYLES = ("modules", "sequential", "functional", "loops", "keras")
KINDS = ("notebook", "script", "markdown", "pdf")


@dataclass
class Labelled:
    """One generated submission and what a correct checker says of it."""

    path: Path
    student: Student
    kind: str
    style: str
    verdicts: dict[str, str]  # aspect -> ok | violates | contradicts
    claims: dict[str, str] = field(default_factory=dict)  # model -> plausible | impossible_for_n | above_measured


def random_student(rng: random.Random, program: str = "btech") -> Student:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice([0, 1, 2, 3, 99, 98])
    letter = {"btech": "B", "mtech": "M", "phd": "P"}[program]
    roll = f"{letter}{rng.randint(18, 23)}{rng.choice(['AI', 'CS', 'EE', 'ME', 'GB'])}{rng.randint(0, 999):03d}"
    first, last = rng.choice(["Asha", "Ravi", "Meera", "Kiran", "Arjun", "Neha"]), rng.choice(["Rao", "Iyer", "Das"])
    return parse_student(f"{day:02d}/{month:02d}/{year:02d}", roll, program, first, last)


def wrong(aspect: str, value, rng: random.Random):
    """Another value the aspect could have, as a student who misread a rule would build it."""
    return {
        "dataset": lambda: "mnist" if value == "fashion_mnist" else "fashion_mnist",
        "init": lambda: "xavier" if value == "he" else "he",
        "augmentation": lambda: "rotate_gaussian_noise" if value == "flip_random_noise" else "flip_random_noise",
        "pool": lambda: "avg" if value == "max" else "max",
        "classes": lambda: [0, 2, 4, 6, 8] if value == [1, 3, 5, 7, 9] else [1, 3, 5, 7, 9],
        "conv_layers": lambda: value + 1,
        "pool_layers": lambda: 2 if value == 1 else 1,
        "first_filters": lambda: 8 if value != 8 else 10,
        "fc_nodes": lambda: 512 if value != 512 else 256,
        "ae_layers": lambda: 3 if value == 4 else 4,
        "ae_fc_nodes": lambda: 512 if value != 512 else 256,
    }[aspect]()


def channels(first: int, count: int) -> list[int]:
    return [min(first * 2 ** i, 64) for i in range(count)]


def pool_after(convs: int, pools: int) -> list[int]:
    slots = pools + 1
    return [(2 * convs * i + slots - 1) // (2 * slots) or 1 for i in range(1, pools + 1)]


def layout(v: dict) -> tuple[list[int], list[int]]:
    """The CNN's channels, input first, and the convolutions its pools follow."""
    return [1, *channels(v["first_filters"], v["conv_layers"])], pool_after(v["conv_layers"], v["pool_layers"])


def flat_size(v: dict, side: int) -> int:
    return channels(v["first_filters"], v["conv_layers"])[-1] * (side // 2 ** v["pool_layers"]) ** 2


DATA_CALLS = {"fashion_mnist": "FashionMNIST", "mnist": "MNIST", "cifar10": "CIFAR10"}
KERAS_DATA = {"fashion_mnist": "fashion_mnist", "mnist": "mnist", "cifar10": "cifar10"}
INIT_CALLS = {"he": "kaiming_normal_", "xavier": "xavier_normal_"}
POOLS = {"max": ("MaxPool2d", "max_pool2d", "MaxPooling2D"), "avg": ("AvgPool2d", "avg_pool2d", "AveragePooling2D")}


def torch_data(v: dict, rng: random.Random) -> str:
    name = rng.choice(["train_set", "trainset", "train_data"])
    keep = rng.choice([
        f"target_classes = {v['classes']}\nmask = torch.isin({name}.targets, torch.tensor(target_classes))",
        f"classes = {tuple(v['classes'])}\nmask = torch.tensor([t in classes for t in {name}.targets])",
        f"mask = {name}.targets % 2 == {v['classes'][0] % 2}",
    ])
    return (f"{name} = torchvision.datasets.{DATA_CALLS[v['dataset']]}(root='./data', train=True, download=True,\n"
            f"    transform=transforms.ToTensor())\n"
            f"test_set = torchvision.datasets.{DATA_CALLS[v['dataset']]}(root='./data', train=False, download=True,\n"
            f"    transform=transforms.ToTensor())\n{keep}\n")


def torch_augment(v: dict, rng: random.Random) -> str:
    if v["augmentation"] == "flip_random_noise":
        move = rng.choice(["torch.flip(images, dims=[3])", "TF.hflip(images)", "images.flip(-1)"])
        noise = rng.choice(["0.1 * torch.rand_like(images)", "0.1 * torch.randn_like(images)"])
    else:
        move = rng.choice(["TF.rotate(images, rng.uniform(-10, 10))", "transforms.RandomRotation(10)(images)"])
        noise = rng.choice(["0.1 * torch.randn_like(images)", "torch.normal(0.0, 0.1, size=images.shape)"])
    return f"def augment(images):\n    moved = {move}\n    return (moved + {noise}).clamp(0, 1)\n"


def torch_init(v: dict) -> str:
    return (f"def init_weights(m):\n    if isinstance(m, (nn.Conv2d, nn.Linear)):\n"
            f"        nn.init.{INIT_CALLS[v['init']]}(m.weight)\n        nn.init.zeros_(m.bias)\n")


def cnn_modules(v: dict, name: str) -> str:
    chans, pools = layout(v)
    init = [f"        self.conv{i} = nn.Conv2d({chans[i - 1]}, {chans[i]}, kernel_size=3, padding=1)"
            for i in range(1, v["conv_layers"] + 1)]
    init += [f"        self.pool = nn.{POOLS[v['pool']][0]}(2, 2)",
             f"        self.fc1 = nn.Linear({flat_size(v, 28)}, {v['fc_nodes']})",
             "        self.fc2 = nn.Linear(" + f"{v['fc_nodes']}, num_classes)"]
    forward = []
    for i in range(1, v["conv_layers"] + 1):
        forward.append(f"        x = F.relu(self.conv{i}(x))")
        if i in pools:
            forward.append("        x = self.pool(x)")
    return (f"class {name}(nn.Module):\n    def __init__(self, num_classes=5):\n        super().__init__()\n"
            + "\n".join(init) + "\n\n    def forward(self, x):\n" + "\n".join(forward)
            + "\n        x = torch.flatten(x, 1)\n        x = F.relu(self.fc1(x))\n        return self.fc2(x)\n")


def cnn_sequential(v: dict, name: str) -> str:
    chans, pools = layout(v)
    layers = []
    for i in range(1, v["conv_layers"] + 1):
        layers.append(f"        nn.Conv2d({chans[i - 1]}, {chans[i]}, 3, padding=1), nn.ReLU(),")
        if i in pools:
            layers.append(f"        nn.{POOLS[v['pool']][0]}(kernel_size=2),")
    layers += ["        nn.Flatten(),", f"        nn.Linear({flat_size(v, 28)}, {v['fc_nodes']}), nn.ReLU(),",
               f"        nn.Linear({v['fc_nodes']}, 5),"]
    return f"def build_{name.lower()}():\n    return nn.Sequential(\n" + "\n".join(layers) + "\n    )\n"


def cnn_functional(v: dict, name: str) -> str:
    chans, pools = layout(v)
    init = [f"        self.c{i} = nn.Conv2d({chans[i - 1]}, {chans[i]}, 3, 1, 1)"
            for i in range(1, v["conv_layers"] + 1)]
    init += [f"        self.hidden = nn.Linear({flat_size(v, 28)}, {v['fc_nodes']})",
             f"        self.out = nn.Linear({v['fc_nodes']}, 5)"]
    forward = []
    for i in range(1, v["conv_layers"] + 1):
        step = f"F.relu(self.c{i}(x))"
        forward.append(f"        x = F.{POOLS[v['pool']][1]}({step}, 2)" if i in pools else f"        x = {step}")
    return (f"class {name}(nn.Module):\n    def __init__(self):\n        super().__init__()\n" + "\n".join(init)
            + "\n\n    def forward(self, x):\n" + "\n".join(forward)
            + "\n        x = x.view(x.size(0), -1)\n        return self.out(F.relu(self.hidden(x)))\n")


def cnn_loops(v: dict, name: str) -> str:
    chans = channels(v["first_filters"], v["conv_layers"])
    pools = pool_after(v["conv_layers"], v["pool_layers"])
    blocks, start = [], 0
    for end in [*pools, v["conv_layers"]]:
        if end > start:
            blocks.append(chans[start:end])
        start = end
    lines, forward, previous = [], [], 1
    for b, block in enumerate(blocks, start=1):
        lines += [f"        self.block{b} = nn.ModuleList()", f"        in_ch = {previous}",
                  f"        for out_ch in {block}:", f"            self.block{b}.append(nn.Conv2d(in_ch, out_ch, 3, "
                  "padding=1))", "            in_ch = out_ch"]
        previous = block[-1]
        forward += [f"        for conv in self.block{b}:", "            x = F.relu(conv(x))"]
        if b <= v["pool_layers"]:
            forward.append("        x = self.pool(x)")
    lines += [f"        self.pool = nn.{POOLS[v['pool']][0]}(2)",
              f"        self.classifier = nn.Sequential(nn.Linear({flat_size(v, 28)}, {v['fc_nodes']}), nn.ReLU(), "
              f"nn.Linear({v['fc_nodes']}, 5))"]
    return (f"class {name}(nn.Module):\n    def __init__(self):\n        super().__init__()\n" + "\n".join(lines)
            + "\n\n    def forward(self, x):\n" + "\n".join(forward)
            + "\n        return self.classifier(torch.flatten(x, 1))\n")


def ae_torch(v: dict, rng: random.Random) -> str:
    widths = [784 // 2 ** i for i in range(v["ae_layers"])] + [32]
    enc = ", nn.ReLU(), ".join(f"nn.Linear({a}, {b})" for a, b in itertools.pairwise(widths))
    dec = ", nn.ReLU(), ".join(f"nn.Linear({a}, {b})" for a, b in itertools.pairwise(widths[::-1]))
    head = rng.choice([f"        self.fc = nn.Linear(32, {v['ae_fc_nodes']})\n        self.out = nn.Linear("
                       f"{v['ae_fc_nodes']}, 5)\n",
                       f"        self.classifier = nn.Sequential(nn.Linear(32, {v['ae_fc_nodes']}), nn.ReLU(), "
                       f"nn.Linear({v['ae_fc_nodes']}, 5))\n"])
    return (f"class AutoEncoder(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            f"        self.encoder = nn.Sequential(nn.Flatten(), {enc}, nn.ReLU())\n"
            f"        self.decoder = nn.Sequential({dec}, nn.Sigmoid())\n\n    def forward(self, x):\n"
            f"        return self.decoder(self.encoder(x)).view(-1, 1, 28, 28)\n\n\n"
            f"class AEClassifier(nn.Module):\n    def __init__(self, encoder):\n        super().__init__()\n"
            f"        self.encoder = encoder\n{head}")


def keras_code(v: dict, rng: random.Random) -> list[str]:
    chans = channels(v["first_filters"], v["conv_layers"])
    pools = pool_after(v["conv_layers"], v["pool_layers"])
    init = "he_normal" if v["init"] == "he" else "glorot_normal"
    layers = []
    for i, c in enumerate(chans, start=1):
        layers.append(f"    layers.Conv2D({c}, 3, padding='same', activation='relu', kernel_initializer='{init}'),")
        if i in pools:
            layers.append(f"    layers.{POOLS[v['pool']][2]}(2),")
    layers += ["    layers.Flatten(),", f"    layers.Dense({v['fc_nodes']}, activation='relu'),",
               "    layers.Dense(5, activation='softmax'),"]
    move = "layers.RandomFlip('horizontal')" if v["augmentation"] == "flip_random_noise" else (
        "layers.RandomRotation(10 / 360)")
    widths = [*(784 // 2 ** i for i in range(1, v["ae_layers"])), 32]
    enc = ", ".join(f"layers.Dense({w}, activation='relu')" for w in widths)
    dec = ", ".join(f"layers.Dense({w}, activation='relu')" for w in [*widths[::-1][1:], 784])
    data = (f"(x_train, y_train), (x_test, y_test) = keras.datasets.{KERAS_DATA[v['dataset']]}.load_data()\n"
            f"keep = np.isin(y_train, {v['classes']})\nx_train, y_train = x_train[keep], y_train[keep]\n")
    return [
        "import numpy as np\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n",
        data,
        f"augment = keras.Sequential([{move}, layers.GaussianNoise(0.1)])\n",
        "model = keras.Sequential([\n" + "\n".join(layers) + "\n])\nmodel.compile(optimizer='adam', "
        "loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n",
        f"encoder = keras.Sequential([layers.Flatten(), {enc}])\ndecoder = keras.Sequential([{dec}, "
        f"layers.Reshape((28, 28))])\nautoencoder = keras.Sequential([encoder, decoder])\n"
        f"ae_classifier = keras.Sequential([encoder, layers.Dense({v['ae_fc_nodes']}, activation='relu'), "
        "layers.Dense(5, activation='softmax')])\n",
    ]


def torch_code(v: dict, style: str, rng: random.Random) -> list[str]:
    name = rng.choice(["CNN", "FashionCNN", "ConvNet", "Net"])
    builder = {"modules": cnn_modules, "sequential": cnn_sequential, "functional": cnn_functional,
               "loops": cnn_loops}[style]
    make = f"build_{name.lower()}()" if style == "sequential" else f"{name}()"
    return [
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torchvision\n"
        "import torchvision.transforms.functional as TF\nfrom torchvision import transforms\n%matplotlib inline",
        torch_data(v, rng), torch_augment(v, rng), torch_init(v), builder(v, name),
        f"model = {make}\nmodel.apply(init_weights)\noptimizer = torch.optim.Adam(model.parameters(), lr=1e-3)",
        ae_torch(v, rng),
        "autoencoder = AutoEncoder()\nclassifier = AEClassifier(autoencoder.encoder)\n"
        "# model2 = nn.Sequential(nn.Conv2d(1, 99, 3))  (an earlier try, commented out)",
    ]


PHRASES = {
    "dataset": ["As ABC is {abc_parity}, the dataset is {dataset}.", "Dataset: {dataset} (ABC = {abc} is {abc_parity})",
                "We train on the {dataset} dataset, since ABC is {abc_parity}."],
    "init": ["As MM is {mm_parity}, weight initialisation is {init}.", "Initialisation: {init}",
             "The weights use {init}, as MM = {mm} is {mm_parity}."],
    "augmentation": ["As DD is {dd_parity}, the data augmentation is {augmentation}.", "Augmentation: {augmentation}",
                     "Data augmentation used: {augmentation}."],
    "pool": ["As MM is {mm_parity}, {pool} is used.", "Pooling: {pool}", "The pooling layer is a {pool} layer."],
    "classes": ["As DD+MM+YY is {dmy_parity}, the target classes are {classes}.", "Target classes = [{classes}]",
                "The five classes kept are {classes}."],
    "conv_layers": ["The CNN has {conv_layers} conv layers and {pool_layers} pool layer(s).",
                    "Feature extractor: {conv_layers} convolutional layers + {pool_layers} pooling layer(s)"],
    "pool_layers": ["The CNN has {pool_layers} pooling layer(s).", "Pooling layers: {pool_layers}",
                    "Its feature extractor: {conv_layers} conv + {pool_layers} pool"],
    "first_filters": ["The first layer has {first_filters} filters.", "{first_filters} filters in the first layer.",
                      "First layer filters: {first_filters}"],
    "fc_nodes": ["The CNN has 1 FC layer with {fc_nodes} nodes.",
                 "Fully connected layer of the CNN: {fc_nodes} neurons"],
    "ae_layers": ["The autoencoder has {ae_layers} layers in its encoder.", "Number of encoder layers: {ae_layers}"],
    "ae_fc_nodes": ["The classifier on the encoder has one FC layer of {ae_fc_nodes} nodes.",
                    "AE classifier: fully connected layer of {ae_fc_nodes} neurons"],
}
WORDS = {"dataset": DATASET_NAMES, "init": {"he": "He initialization", "xavier": "Xavier initialization"},
         "augmentation": {"flip_random_noise": "horizontal flip and random noise",
                          "rotate_gaussian_noise": "rotation by 10 degrees and Gaussian noise"},
         "pool": {"max": "MaxPool", "avg": "AvgPool"}}


def parity(n: int) -> str:
    return "even" if n % 2 == 0 else "odd"


def statement(aspect: str, values: dict, student: Student, rng: random.Random) -> str:
    words = {k: WORDS[k][values[k]] if k in WORDS else v for k, v in values.items()}
    words["classes"] = ", ".join(map(str, values["classes"]))
    words |= {"abc": student.abc, "abc_parity": parity(int(student.abc)), "mm": student.month,
              "mm_parity": parity(student.month), "dd_parity": parity(student.day),
              "dmy_parity": parity(student.day + student.month + student.yy)}
    return rng.choice(PHRASES[aspect]).format(**words)


def header(student: Student) -> str:
    return (f"# Minor 1\n\nName: {student.first} {student.last}\n\nRoll number: {student.roll}\n\n"
            f"DD/MM/YY - {student.dob}\n\nProgramme: B.Tech\n")


def derivation(stated: dict, student: Student, rng: random.Random, aspects) -> str:
    return "\n".join(f"- {statement(a, stated, student, rng)}" for a in aspects)


Q1 = ("dataset", "init", "augmentation", "pool", "classes", "conv_layers", "first_filters", "fc_nodes")
Q2 = ("ae_layers", "ae_fc_nodes")


@dataclass
class Plan:
    student: Student
    variant: Variant
    built: dict  # what the code builds (and, in a report, what the derivation states)
    contradicted: dict  # aspect -> the other value some text states
    claims: dict[str, tuple[str, str]]  # model -> (claim text, label)


def accuracy_claims(variant: Variant, rng: random.Random) -> dict[str, tuple[str, str]]:
    """Each classifier's claim as a student writes it, and its label: near what the tuned profile measured on
    the variant (plausible, written rounded, truncated or with float noise), a number no count of test images
    gives (three decimals of a percent, half an image off), or beyond the profile's reach (FashionMNIST)."""
    n = SPECS[variant.dataset].subset_sizes(variant.classes)[1]
    fast = baselines.shipped().for_variant(variant, "fast")
    claims = {}
    for model in ("cnn", "ae_classifier"):
        kinds = ["plausible", "plausible", "impossible_for_n"] + (
            ["above_measured"] if variant.dataset == "fashion_mnist" else [])
        kind = rng.choice(kinds)
        k = round(fast.profiles["fast"].mean(model) * n) - rng.randint(0, 2) if fast else round(0.9 * n)
        if kind == "plausible":
            value = k / n
            text = rng.choice([f"{100 * value:.2f} %", f"{value:.4f}", f"{100 * value}",
                               f"{math.floor(10000 * value) / 100:.2f}%"])
        elif kind == "impossible_for_n":
            text = f"{100 * (k + 0.5) / n:.3f} %"
        else:
            text = "99.96 %"
        claims[model] = (text, kind)
    return claims


def plan(student: Student, rng: random.Random, wrong_code: int, wrong_text: int) -> Plan:
    variant = derive(student)
    required = required_values(variant)
    chosen = rng.sample(ASPECTS, wrong_code + wrong_text)
    built = dict(required)
    for aspect in chosen[:wrong_code]:
        built[aspect] = wrong(aspect, required[aspect], rng)
    contradicted = {a: wrong(a, required[a], rng) for a in chosen[wrong_code:]}
    return Plan(student, variant, built, contradicted, accuracy_claims(variant, rng))


def notebook(plan: Plan, style: str, rng: random.Random) -> str:
    """An .ipynb (nbformat 4) whose code builds `plan.built`, whose derivation states the rules' values and
    whose later notes state each contradicted aspect's other value."""
    required = required_values(plan.variant)
    code = keras_code(plan.built, rng) if style == "keras" else torch_code(plan.built, style, rng)
    cells = [("markdown", header(plan.student)),
             ("markdown", "## Question 1\n\nWhat follows from my details:\n\n"
              + derivation(required, plan.student, rng, Q1))]
    cells += [("code", c) for c in code[:5]]
    cells.append(("markdown", "## Question 2: the autoencoder\n\n" + derivation(required, plan.student, rng, Q2)))
    cells += [("code", c) for c in code[5:]]
    if plan.contradicted:
        notes = [statement(a, plan.built | {a: v}, plan.student, rng) for a, v in plan.contradicted.items()]
        cells.append(("markdown", "### Notes on the implementation\n\n" + "\n\n".join(notes)))
    cnn, aec = plan.claims["cnn"][0], plan.claims["ae_classifier"][0]
    outputs = {len(cells): f"Epoch 15 loss 0.0412\nTest accuracy of the CNN: {cnn}\n",
               len(cells) + 1: f"Autoencoder classifier: test accuracy {aec}\n"}
    cells += [("code", "evaluate(model, test_loader)"), ("code", "evaluate(classifier, test_loader)")]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"}},
                       "cells": [cell(kind, text, outputs.get(i)) for i, (kind, text) in enumerate(cells)]})


def cell(kind: str, text: str, output: str | None) -> dict:
    body = {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
    if kind == "code":
        body |= {"execution_count": None,
                 "outputs": [{"output_type": "stream", "name": "stdout", "text": output}] if output else []}
    return body


def script(plan: Plan, style: str, rng: random.Random) -> str:
    """A Colab export: cells as one file, markdown as comments."""
    required = required_values(plan.variant)
    code = keras_code(plan.built, rng) if style == "keras" else torch_code(plan.built, style, rng)
    notes = [statement(a, plan.built | {a: v}, plan.student, rng) for a, v in plan.contradicted.items()]
    comments = "\n".join(f"# {line}" for line in
                         (header(plan.student) + derivation(required, plan.student, rng, Q1 + Q2)).splitlines())
    body = "\n\n".join(c.replace("%matplotlib inline", "") for c in code)
    tail = "\n".join(f"# {n}" for n in notes)
    cnn, aec = plan.claims["cnn"][0], plan.claims["ae_classifier"][0]
    return (f"# -*- coding: utf-8 -*-\n{comments}\n\n{body}\n\n{tail}\n# Test accuracy of the CNN: {cnn}\n"
            f"# Autoencoder classifier test accuracy: {aec}\n")


def report_lines(plan: Plan, rng: random.Random, pages: int) -> list[str]:
    """A report's text: details, the derivation as built (a wrong value stated where the student built it
    wrong), a hyperparameter table, training logs and results; contradictions in a later summary."""
    lines = header(plan.student).replace("# ", "").splitlines()
    lines += ["", "Question 1", "", *derivation(plan.built, plan.student, rng, Q1).splitlines(), ""]
    lines += ["Hyperparameters", f"Batch size: {rng.choice([64, 100, 128])}", "Optimizer: Adam",
              f"Learning rate: {rng.choice(['0.001', '0.0005'])}", f"Epochs: {rng.choice([10, 15, 20])}", ""]
    for page in range(max(0, pages - 1)):  # a page of training log each, about 52 lines
        lines += [f"Training log, part {page + 1}"]
        lines += [f"Epoch {e}: training loss {0.5 / e:.4f}, training accuracy {0.8 + 0.001 * e:.4f}"
                  for e in range(1, 52)]
    cnn, aec = plan.claims["cnn"][0], plan.claims["ae_classifier"][0]
    lines += ["", f"The CNN reaches a test accuracy of {cnn}.", "", "Question 2", "",
              *derivation(plan.built, plan.student, rng, Q2).splitlines(), "",
              f"The autoencoder classifier reaches a test accuracy of {aec}.", ""]
    if plan.contradicted:
        lines += ["Summary of the implementation", ""]
        lines += [statement(a, plan.built | {a: v}, plan.student, rng) for a, v in plan.contradicted.items()]
    return lines


def pdf(lines: list[str]) -> bytes:
    from fpdf import FPDF

    document = FPDF(format="A4")
    document.set_auto_page_break(True, margin=15)
    document.add_page()
    document.set_font("Helvetica", size=10)
    for line in lines:
        document.multi_cell(0, 5, line.encode("latin-1", "replace").decode("latin-1") or " ", new_x="LMARGIN",
                            new_y="NEXT")
    return bytes(document.output())


def generate(folder: Path, count: int, seed: int = 0, kinds=KINDS, pages: int = 3) -> list[Labelled]:
    """`count` submissions in `folder`, one file each, named by roll number; their labels."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    labelled, rolls = [], set()
    for i in range(count):
        student = random_student(rng)
        while student.roll in rolls:
            student = random_student(rng)
        rolls.add(student.roll)
        kind, style = kinds[i % len(kinds)], STYLES[(i // len(kinds)) % len(STYLES)]
        p = plan(student, rng, wrong_code=rng.choice([0, 0, 1, 2]), wrong_text=rng.choice([0, 1, 1, 2]))
        if kind == "notebook":
            path = folder / f"{student.roll}.ipynb"
            path.write_text(notebook(p, style, rng))
        elif kind == "script":
            path = folder / f"{student.roll}_minor1.py"
            path.write_text(script(p, style, rng))
        elif kind == "markdown":
            path = folder / f"report-{student.roll}.md"
            path.write_text("\n".join(report_lines(p, rng, pages)))
        else:
            path = folder / f"{student.roll}.pdf"
            path.write_bytes(pdf(report_lines(p, rng, pages)))
        required = required_values(p.variant)
        verdicts = {a: "violates" if p.built[a] != required[a] else "contradicts" if a in p.contradicted else "ok"
                    for a in ASPECTS}
        labelled.append(Labelled(path, student, kind, style if kind in ("notebook", "script") else "",
                                 verdicts, {m: label for m, (_, label) in p.claims.items()}))
    return labelled


def roster(labelled: list[Labelled], path: Path) -> Path:
    rows = ["roll,dob,program,first,last"] + [f"{x.student.roll},{x.student.dob},btech,{x.student.first},"
                                              f"{x.student.last}" for x in labelled]
    path.write_text("\n".join(rows) + "\n")
    return path
