"""What a submission's code builds, read from its syntax tree and never run, aspect by aspect: the dataset it
loads as data, the initialisation it calls, the augmentation it applies to the training images, the pooling
and the layers of its networks (networks.py rebuilds them), the classes it keeps; and, apart from the
aspects, the hyperparameters it trains each network with (trainscan.py).

Each aspect's list holds every value the code builds, each with its evidence, so that a submission that
trains on one dataset and tests on another, or initialises two ways, shows both.
"""

import ast
import re
from dataclasses import dataclass
from functools import cached_property

from variantlab.check.codeparse import (
    Code,
    Constants,
    Found,
    Nodes,
    call_name,
    dotted,
    keyword,
    label_like,
    names_in,
    words,
)
from variantlab.check.networks import Model, Networks, encoder_layers, fc_value, head_widths
from variantlab.check.submission import Piece
from variantlab.check.trainscan import Training

__all__ = ["Found", "Reading", "dataset_key", "hyperparameters", "scan"]  # textscan and check import these from here


def scan_models(networks: Networks) -> dict[str, list[Found]]:
    found: dict[str, list[Found]] = {}
    cnn = networks.cnn
    if cnn is not None:
        convs = [layer for layer in cnn.applied if layer.kind == "conv"]
        pools = [layer for layer in cnn.applied if layer.kind in ("max", "avg")]
        summary = f"{cnn.name}: {len(convs)} conv, {len(pools)} pool applied"
        found["conv_layers"] = [Found(len(convs), cnn.found.where, summary)]
        found["pool_layers"] = [Found(len(pools), cnn.found.where, summary)]
        if convs[0].width is not None:
            first = convs[0].found
            found["first_filters"] = [Found(convs[0].width, first.where, first.excerpt)]
        after = cnn.applied[cnn.applied.index(convs[-1]) + 1:]
        widths = head_widths(after)
        if None not in widths:
            linear = next((layer.found for layer in after if layer.kind == "linear"), cnn.found)
            found["fc_nodes"] = [Found(fc_value(widths), linear.where, linear.excerpt)]
    ae = networks.autoencoder
    if ae is not None:
        encoder = encoder_layers(ae)
        if encoder:
            found["ae_layers"] = [Found(len(encoder), encoder[0].found.where,
                                        f"{ae.name}: encoder of {len(encoder)} layers")]
    heads: list[Model] = networks.classifiers + ([ae] if ae is not None else [])
    for model in heads:
        encoder = encoder_layers(model, infer=False)
        head = [layer for layer in model.part_layers(r"fc|classif|head|out|dense|cls|linear|mlp|pred|logit|hidden",
                                                     avoid=r"enc|dec")
                or (model.applied if model is not ae else []) if not any(layer is e for e in encoder)]
        widths = head_widths(head)
        if head and None not in widths:
            first = next((layer.found for layer in head if layer.kind == "linear"), model.found)
            found["ae_fc_nodes"] = [Found(fc_value(widths), first.where, first.excerpt)]
            break
    return found


# Datasets: read only where the code loads them as data.

DATASETS = {"fashionmnist": "fashion_mnist", "mnist": "mnist", "cifar10": "cifar10"}
HUB_LOADERS = {"load_dataset", "fetch_openml"}  # Hugging Face, scikit-learn; TensorFlow's tfds.load below
FILE_READERS = {"read_csv", "loadtxt", "genfromtxt"}
MODEL_FILE = re.compile(r"\.(pt|pth|h5|hdf5|keras|ckpt|pkl|pickle|joblib|onnx|bin|safetensors)$", re.I)


def dataset_key(name: str) -> str | None:
    """'FashionMNIST', 'fashion_mnist', 'Fashion-MNIST' -> 'fashion_mnist'; None for any other name."""
    return DATASETS.get(re.sub(r"[-_\s]", "", name).lower())


def named_in(text: str) -> str | None:
    """The dataset a hub name or a file path names: 'mnist_784', 'zalando-datasets/fashion_mnist',
    'data/fashion-mnist_train.csv'; not KMNIST, EMNIST or CIFAR-100."""
    text = text.lower()
    if "fashion" in text and "mnist" in text:
        return "fashion_mnist"
    if re.search(r"(?<![a-z])mnist", text):
        return "mnist"
    return "cifar10" if re.search(r"cifar[-_ ]?10(?!\d)", text) else None


def strings_in(node: ast.AST | None, texts: dict[str, str]) -> str:
    """The strings of an expression, joined as a path: `os.path.join(ROOT, "mnist", "train.csv")`, a name
    the module binds to a string (`train_path`) read as that string."""
    if node is None:
        return ""
    found = []
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            found.append(n.value)
        elif isinstance(n, ast.Name) and n.id in texts:
            found.append(texts[n.id])
    return "/".join(found)


def split_role(text: str) -> str:
    """'train' or 'test' for a split or a file name that says which ('t10k' is MNIST's test files' prefix)."""
    name = re.split(r"[/\\]", text.lower())[-1]
    if re.search(r"test|t10k|(^|[^a-z])val", name):
        return "test"
    return "train" if "train" in name else ""


def dataset_classes(code: Code) -> dict[str, str]:
    """The submission's own Dataset classes whose paths or addresses name one dataset (`class Fashion(Dataset)`
    with the Fashion-MNIST files' URLs): building one loads that dataset."""
    classes = {}
    for _, node in code.nodes():
        if isinstance(node, ast.ClassDef) and any(dotted(base).endswith("Dataset") for base in node.bases):
            paths = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                     and re.fullmatch(r"\S*[/.\\]\S*", n.value)]
            keys = {key for path in paths if (key := named_in(path)) is not None}
            if len(keys) == 1:
                classes[node.name] = keys.pop()
    return classes


def dataset_aliases(code: Code) -> dict[str, str]:
    """Names bound to a dataset's loader: `from keras.datasets import mnist`, `from torchvision.datasets import
    FashionMNIST as FM`, `Data = torchvision.datasets.CIFAR10`."""
    aliases: dict[str, str] = {}
    for _, node in code.nodes():
        if isinstance(node, ast.ImportFrom) and node.module and "datasets" in node.module.split("."):
            for alias in node.names:
                if (key := dataset_key(alias.name)) is not None:
                    aliases[alias.asname or alias.name] = key
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Attribute) and "datasets" in dotted(node.value.value).split(".") \
                and (key := dataset_key(node.value.attr)) is not None:
            aliases[node.targets[0].id] = key
    return aliases


def torchvision_role(call: ast.Call, default: str = "train") -> str:
    """torchvision's `train=` (positional second), True by default; '' where the code decides at run time."""
    given = keyword(call, "train")
    if given is None and len(call.args) > 1:
        given = call.args[1]
    if given is None:
        return default
    if isinstance(given, ast.Constant) and isinstance(given.value, bool):
        return "train" if given.value else "test"
    return ""


@dataclass
class Loaders:
    """What names load data in one submission: aliases of a library's datasets, the submission's own Dataset
    classes, and the strings its module names (paths)."""

    aliases: dict[str, str]
    classes: dict[str, str]
    texts: dict[str, str]


def loaded_dataset(call: ast.Call, loaders: Loaders) -> tuple[str, str] | None:
    """(dataset, role) where the call loads a dataset as data: torchvision's classes, Keras's `load_data()`,
    a hub's loader by name, a CSV or NumPy file or MNIST's idx files named for it, the submission's own
    Dataset class over those files; never a model file (`torch.load("mnist_cnn.pt")`)."""
    name = call_name(call)
    func = call.func
    aliases = loaders.aliases
    if name in ("FashionMNIST", "MNIST", "CIFAR10") or (isinstance(func, ast.Name) and func.id in aliases):
        key = dataset_key(name) or aliases.get(name)
        return (key, torchvision_role(call)) if key else None
    if isinstance(func, ast.Name) and func.id in loaders.classes:
        return loaders.classes[func.id], torchvision_role(call, default="")
    if name == "load_data" and isinstance(func, ast.Attribute):
        owner = func.value
        key = aliases.get(owner.id, dataset_key(owner.id)) if isinstance(owner, ast.Name) else (
            dataset_key(owner.attr) if isinstance(owner, ast.Attribute) else None)
        return (key, "") if key else None
    path = dotted(func)
    first = call.args[0] if call.args else keyword(call, "name", "path", "filepath_or_buffer", "fname", "file")
    if name in HUB_LOADERS or path in ("tfds.load", "tensorflow_datasets.load"):
        key = named_in(strings_in(first, loaders.texts))
        split = keyword(call, "split")
        return (key, split_role(split.value) if isinstance(split, ast.Constant) and isinstance(split.value, str)
                else "") if key else None
    text = strings_in(first, loaders.texts)
    if not text or MODEL_FILE.search(text) or name in ("load_state_dict", "load_model", "load_weights") \
            or path.startswith("torch."):
        return None
    if name in FILE_READERS or path in ("np.load", "numpy.load") or re.search(r"ubyte|idx[13]", text, re.I):
        key = named_in(text)
        return (key, split_role(text)) if key else None
    return None


def scan_dataset(code: Code) -> list[Found]:
    texts = {node.targets[0].id: node.value.value for _, node in code.scopes[0][1]
             if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
             and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    loaders = Loaders(dataset_aliases(code), dataset_classes(code), texts)
    found = []
    for source, call in code.calls():
        loaded = loaded_dataset(call, loaders)
        if loaded is not None:
            found.append(source.found(loaded[0], call, role=loaded[1]))
    return found


INITS = {"kaiming_normal_": "he", "kaiming_uniform_": "he", "kaiming_normal": "he", "kaiming_uniform": "he",
         "xavier_normal_": "xavier", "xavier_uniform_": "xavier", "xavier_normal": "xavier", "xavier_uniform": "xavier",
         "he_normal": "he", "he_uniform": "he", "HeNormal": "he", "HeUniform": "he", "glorot_normal": "xavier",
         "glorot_uniform": "xavier", "GlorotNormal": "xavier", "GlorotUniform": "xavier"}


def scan_init(code: Code) -> list[Found]:
    found = []
    for source, call in code.calls():
        if call_name(call) in INITS:
            found.append(source.found(INITS[call_name(call)], call))
        for given in call.keywords:  # Keras: kernel_initializer="he_normal"
            if given.arg and "initializer" in given.arg and isinstance(given.value, ast.Constant) \
                    and given.value.value in INITS:
                found.append(source.found(INITS[given.value.value], given.value))
    return found


# Augmentation: a flip or a rotation wherever it is called; noise only where it is added to images.

FLIPS = {"flip", "hflip", "fliplr", "RandomHorizontalFlip", "flip_left_right", "random_flip_left_right",
         "RandomFlip", "HorizontalFlip"}
ROTATIONS = {"rotate", "RandomRotation", "random_rotation", "RandomAffine", "Rotate", "rotation"}
GAUSSIAN = {"randn", "randn_like", "normal", "normal_", "standard_normal"}
UNIFORM = {"rand", "rand_like", "uniform", "uniform_"}
NOISE_LAYERS = {"GaussianNoise", "AddGaussianNoise", "GaussNoise", "AdditiveGaussianNoise"}  # library transforms
SCALE_WORDS = {"mean", "std", "sigma", "scale", "level", "factor", "amount", "loc", "offset", "strength"}
NOT_IMAGES = {"mu", "mean", "z", "latent", "logvar", "log", "var", "std", "sigma", "eps", "epsilon", "weight",
              "weights", "bias", "param", "params", "parameters", "grad", "test", "val", "valid", "validation",
              "angle", "lr"}  # what noise is also added to: a latent sample, a weight, a parameter, the test set
PASS_THROUGH = {"clamp", "clip", "to", "float", "cuda", "view", "reshape", "type", "abs"}
MODULES = {"torch", "np", "numpy", "tf", "F"}
MAX_DEPTH = 50  # of an expression read as noise: a student's is a few deep, a hostile one thousands


def random_draw(node: ast.AST) -> str | None:
    """'normal' or 'uniform' for a call that draws a tensor of random values, None for anything else: a scalar
    draw (`random.uniform(-10, 10)`, an angle) is not noise on an image."""
    if not isinstance(node, ast.Call):
        return None
    name = call_name(node)
    kind = "normal" if name in GAUSSIAN else "uniform" if name in UNIFORM else None
    if kind is None or name.endswith(("_like", "_")):
        return kind
    if name in ("randn", "rand", "standard_normal"):
        return kind if node.args or node.keywords else None
    tensor = keyword(node, "size", "shape") is not None or len(node.args) >= 3 or dotted(node.func).startswith(
        ("tf.", "tensorflow.")) or (dotted(node.func).startswith("torch.") and node.args
                                    and not isinstance(node.args[0], ast.Constant))
    return kind if tensor else None


class Noise:
    """Where random noise is added to images, within one scope: `x + noise`, `x + 0.1 * torch.randn_like(x)`,
    `x += noise`, `x.add_(noise)` (in a function, a transform's `__call__`, a `Lambda`); and library noise
    transforms (`GaussianNoise` in a Keras model, `AddGaussianNoise` in a `Compose`) the submission does not
    define itself. Not a random tensor fed to a model, a weight's init, or a latent sample (`mu + eps * std`)."""

    def __init__(self, nodes: Nodes, classes: set[str], drawn: dict[str, str]):
        self.nodes = nodes
        self.classes = classes
        self.drawn = drawn  # the submission's functions that return noise: `def noise(x): return 0.1 * randn_like(x)`
        assigned: dict[str, list[ast.expr]] = {}
        for _, node in nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
        self.noisy: dict[str, str] = {}  # names always assigned noise in this scope: `noise = torch.randn_like(x)`
        for _ in range(2):  # a name built from another: `eps = torch.randn_like(x)`, `noise = 0.1 * eps`
            for name, values in assigned.items():
                kinds = {self.kind(value) for value in values}
                kind = kinds.pop() if len(kinds) == 1 else None
                if kind is not None:
                    self.noisy[name] = kind

    def kind(self, node: ast.AST, depth: int = 0) -> str | None:
        """'normal' or 'uniform' where the expression is random noise (scaled, shifted or clamped), else None."""
        if (drawn := random_draw(node)) is not None:
            return drawn
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            return self.noisy.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.drawn:
            return self.drawn[node.func.id]
        if isinstance(node, ast.UnaryOp):
            return self.kind(node.operand, depth + 1)
        if isinstance(node, ast.BinOp):
            left, right = self.kind(node.left, depth + 1), self.kind(node.right, depth + 1)
            if isinstance(node.op, (ast.Mult, ast.Div)):
                return left or right
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return left if left and (right or scale(node.right)) else right if right and scale(node.left) else None
        if isinstance(node, ast.Call) and call_name(node) in PASS_THROUGH:
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            if owner is not None and dotted(owner) not in MODULES:  # `noise.clamp(-0.2, 0.2)`
                return self.kind(owner, depth + 1)
            return self.kind(node.args[0], depth + 1) if node.args else None  # `torch.clamp(noise, -0.2, 0.2)`
        return None

    def returned(self) -> str | None:
        """The kind of noise the scope's function returns, where every return is noise."""
        kinds = {self.kind(node.value) for _, node in self.nodes if isinstance(node, ast.Return) and node.value}
        return kinds.pop() if len(kinds) == 1 else None

    def added(self, noise: ast.AST, image: ast.AST) -> str | None:
        kind = self.kind(noise)
        if kind is None or self.kind(image) is not None or scale(image) or words(image) & NOT_IMAGES:
            return None
        return kind

    def found(self) -> list[tuple[str, Found]]:
        found = []
        for source, node in self.nodes:
            kind = None
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
                kind = self.added(node.right, node.left) or self.added(node.left, node.right)
            elif isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
                kind = self.added(node.value, node.target)
            elif isinstance(node, ast.Call) and call_name(node) in ("add", "add_") and node.args:
                owner = node.func.value if isinstance(node.func, ast.Attribute) else None
                if owner is not None and dotted(owner) not in MODULES:
                    kind = self.added(node.args[0], owner)
                elif len(node.args) == 2:
                    kind = self.added(node.args[1], node.args[0])
            elif isinstance(node, ast.Call) and call_name(node) in NOISE_LAYERS and call_name(node) not in self.classes:
                kind = "normal"
            if kind is not None:
                found.append((kind, source.found(kind, node)))
        return found


def scale(node: ast.AST) -> bool:
    """A number, or a name that says it is one (`self.mean`, `noise_std`): what shifts or scales noise."""
    return isinstance(node, ast.Constant) or (isinstance(node, (ast.Name, ast.Attribute))
                                              and bool(words(node) & SCALE_WORDS))


def rotates(call: ast.Call) -> bool:
    """A rotation; `RandomAffine(degrees=0, translate=...)` shifts without rotating."""
    if call_name(call) != "RandomAffine":
        return True
    degrees = call.args[0] if call.args else keyword(call, "degrees")
    return not (isinstance(degrees, ast.Constant) and degrees.value == 0)


def generator_settings(call: ast.Call, dicts: dict[str, ast.Dict]) -> dict[str, ast.expr]:
    """Keras's ImageDataGenerator's settings: its keywords, and those of a dict it is given (`**aug_params`)."""
    settings = {k.arg: k.value for k in call.keywords if k.arg}
    for given in call.keywords:
        if given.arg is None and isinstance(given.value, ast.Name) and given.value.id in dicts:
            table = dicts[given.value.id]
            settings |= {k.value: v for k, v in zip(table.keys, table.values, strict=True)
                         if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return settings


def scan_augmentation(code: Code, classes: set[str]) -> list[Found]:
    moves: dict[str, list[Found]] = {"flip": [], "rotate": [], "normal": [], "uniform": []}
    dicts = {node.targets[0].id: node.value for _, node in code.scopes[0][1] if isinstance(node, ast.Assign)
             and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Dict)}
    for source, call in code.calls():
        name = call_name(call)
        if name in FLIPS:
            moves["flip"].append(source.found("flip", call))
        elif name in ROTATIONS and rotates(call):
            moves["rotate"].append(source.found("rotate", call))
        elif name == "ImageDataGenerator":  # Keras: rotation_range=10, horizontal_flip=True
            settings = generator_settings(call, dicts)
            flip, turn = settings.get("horizontal_flip"), settings.get("rotation_range")
            if isinstance(flip, ast.Constant) and flip.value is True:
                moves["flip"].append(source.found("flip", call))
            if isinstance(turn, ast.Constant) and isinstance(turn.value, (int, float)) and turn.value:
                moves["rotate"].append(source.found("rotate", call))
    scoped = code.scopes
    drawn = {function.name: kind for function, nodes in scoped
             if function is not None and (kind := Noise(nodes, classes, {}).returned()) is not None}
    for _, nodes in scoped:
        for kind, found in Noise(nodes, classes, drawn).found():
            moves[kind].append(found)
    geometric = [m for m in ("flip", "rotate") if moves[m]]
    if not geometric:
        return []
    noise = moves["normal"] or moves["uniform"]
    if geometric == ["flip"]:
        value = "flip_random_noise" if noise else "flip without noise"
    elif geometric == ["rotate"]:
        value = "rotate_gaussian_noise" if moves["normal"] else (
            "rotate with uniform noise" if moves["uniform"] else "rotate without noise")
    else:
        value = "flip and rotate"
    evidence = [f for m in geometric for f in moves[m][:1]] + noise[:1]
    return [Found(value, evidence[0].where, " / ".join(f.excerpt for f in evidence))]


def scan_pool(networks: Networks) -> list[Found]:
    """Each kind of pooling the CNN applies (else, where no CNN is followed, any the code calls), each with
    its first layer."""
    cnn = networks.cnn
    layers = [layer for layer in cnn.applied if layer.kind in ("max", "avg")] if cnn else []
    if not layers:  # pools used outside a network the reader could follow
        layers = [layer for source, call in networks.code.calls() if (layer := networks.layer(source, call)) is not None
                  and layer.kind in ("max", "avg")]
    first: dict[str, Found] = {}
    for layer in layers:
        first.setdefault(layer.kind, layer.found)
    return [Found(kind, found.where, found.excerpt) for kind, found in first.items()]


# Classes: the labels the code keeps, or all ten where it plainly keeps them all.

CLASS_NAME = re.compile(r"class|target|keep|select|wanted|chosen", re.I)
PREDICTION_WORDS = {"pred", "preds", "predicted", "prediction", "predictions", "output", "outputs", "out",
                    "logits", "argmax", "max", "yhat"}  # `(predicted == labels).sum()` counts; it selects nothing
ALL_CLASSES = "all 10 classes"


def five_classes(node: ast.AST, constants: Constants) -> tuple[int, ...] | None:
    """Five distinct labels 0-9 written as a list, a tuple, a set or a range."""
    labels = literal_labels(node, constants)
    return labels if labels is not None and len(labels) == 5 else None


def literal_labels(node: ast.AST, constants: Constants) -> tuple[int, ...] | None:
    """Distinct labels 0-9 (fewer than ten) written as a list, a tuple, a set or a range, sorted."""
    if isinstance(node, ast.Call) and call_name(node) in ("tensor", "array", "list", "tuple", "set", "LongTensor"):
        return literal_labels(node.args[0], constants) if node.args else None
    values: list[int] = []
    if isinstance(node, ast.Call) and call_name(node) == "range":
        length = constants.range_length(node, limit=10)
        start = constants.number(node.args[0]) if len(node.args) > 1 else 0
        step = constants.number(node.args[2]) if len(node.args) > 2 else 1
        if length is None or start is None or step is None:
            return None
        values = list(range(start, start + length * step, step))
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for element in node.elts:
            value = element.value if isinstance(element, ast.Constant) else None
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                return None
            values.append(value)
    else:
        return None
    if 0 < len(values) < 10 and len(set(values)) == len(values) and all(0 <= v <= 9 for v in values):
        return tuple(sorted(values))
    return None


def halves(node: ast.AST, constants: Constants) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and constants.number(node.right) == 2


def parity(test: ast.AST, constants: Constants, condition: bool) -> list[int] | None:
    """[1, 3, 5, 7, 9] for a test on labels that odd ones pass (`y % 2 == 1`, `y % 2 != 0`; as a condition,
    `y % 2` too), [0, 2, 4, 6, 8] for one that even ones pass (`y % 2 == 0`, `not y % 2`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and condition:
        inner = parity(test.operand, constants, condition)
        return None if inner is None else [1, 3, 5, 7, 9] if inner[0] == 0 else [0, 2, 4, 6, 8]
    odd = None
    if condition and halves(test, constants):
        mod, odd = test, True
    elif isinstance(test, ast.Compare) and len(test.ops) == 1 and halves(test.left, constants) \
            and isinstance(test.ops[0], (ast.Eq, ast.NotEq)) and isinstance(test.comparators[0], ast.Constant) \
            and test.comparators[0].value in (0, 1):
        mod, odd = test.left, (test.comparators[0].value == 1) == isinstance(test.ops[0], ast.Eq)
    if odd is None or not (isinstance(mod, ast.BinOp) and label_like(mod.left)):
        return None
    return [1, 3, 5, 7, 9] if odd else [0, 2, 4, 6, 8]


def selects(node: ast.AST, lists: set[str], constants: Constants) -> bool:
    """Whether a node may pick some classes out of the data, in a way read or not: a label or a class list
    compared with anything but a prediction, any `% 2`, `isin`, `Subset`, a dataset's filter, or a dataset's
    labels or images reassigned."""
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        classy = any(label_like(s) or any(CLASS_NAME.search(n) or n in lists for n in names_in(s))
                     or literal_labels(s, constants) is not None for s in sides)
        return classy and not any(words(s) & PREDICTION_WORDS for s in sides)
    if isinstance(node, ast.Call):
        return call_name(node) in ("isin", "in1d", "Subset", "filter", "select", "SubsetRandomSampler")
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Attribute) and t.attr in ("targets", "labels", "data", "train_labels",
                                                               "train_data") for t in targets)
    return halves(node, constants)


def class_count(node: ast.AST) -> ast.AST | None:
    """The class count a node gives: `num_classes = 5`, `n_classes=5`, `to_categorical(y, 5)`."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and re.search("class", dotted(node.targets[0]), re.I):
        return node.value
    if isinstance(node, ast.keyword) and re.search("class", node.arg or "", re.I):
        return node.value
    if isinstance(node, ast.Call) and call_name(node) == "to_categorical" and len(node.args) > 1:
        return node.args[1]
    return None


def fewer_than_ten(code: Code, networks: Networks) -> bool:
    """Whether the code says it has fewer than ten classes, however it picked them: a network's output layer
    narrower than ten (`nn.Linear(256, 5)`, `Dense(5)`), or a class count below ten (`num_classes = 5`,
    `to_categorical(y, 5)`)."""
    for model in networks.models:
        linear = [layer.width for layer in model.applied if layer.kind == "linear"]
        if linear and linear[-1] is not None and 1 < linear[-1] < 10:
            return True
    for source, node in code.nodes():
        count = code.constants_of(source).number(class_count(node))
        if count is not None and 1 < count < 10:
            return True
    return False


def trains(code: Code) -> bool:
    return any(call_name(call) in ("backward", "fit", "fit_generator", "train_on_batch") for _, call in code.calls())


def scan_classes(code: Code, datasets: list[Found], networks: Networks) -> list[Found]:
    """Every class list the code keeps: a list named for classes, a membership test, a parity filter on labels.
    Where the code loads a dataset, trains, selects nothing and counts no fewer classes, all ten."""
    found: list[Found] = []
    lists: set[str] = set()  # names of label lists: `keep = [1, 3, 5, 7, 9]`, then `t in keep`
    for source, node in code.nodes():
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            labels = literal_labels(node.value, code.constants_of(source))
            if labels is not None and isinstance(node.targets[0], ast.Name):
                lists.add(node.targets[0].id)
            if labels is not None and len(labels) == 5 and CLASS_NAME.search(dotted(node.targets[0])):
                found.append(source.found(list(labels), node))
        elif isinstance(node, ast.Call) and call_name(node) in ("isin", "in1d") and len(node.args) >= 2:
            if (classes := five_classes(node.args[1], code.constants_of(source))) is not None:
                found.append(source.found(list(classes), node))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            constants = code.constants_of(source)
            if isinstance(node.ops[0], ast.In) and (classes := five_classes(node.comparators[0], constants)):
                found.append(source.found(list(classes), node))
            elif (kept := parity(node, constants, condition=False)) is not None:
                found.append(source.found(kept, node))
        elif isinstance(node, (ast.comprehension, ast.If)):  # `[x for x, y in data if y % 2]`
            for test in node.ifs if isinstance(node, ast.comprehension) else [node.test]:
                if not isinstance(test, ast.Compare) and (kept := parity(test, code.constants_of(source), True)):
                    found.append(source.found(kept, node if isinstance(node, ast.If) else test))
    if found or not datasets or not trains(code):
        return found
    if any(selects(node, lists, code.constants_of(source)) for source, node in code.nodes()) \
            or fewer_than_ten(code, networks):
        return []
    loading = next((f for f in datasets if f.role == "train"), datasets[0])
    return [Found(ALL_CLASSES, loading.where, loading.excerpt)]


class Reading:
    """One submission's code read once: parsed (each piece's one tree), its networks rebuilt, and from these
    its aspects and its hyperparameters, each read when first asked for."""

    def __init__(self, pieces: list[Piece]):
        self.code = Code([p for p in pieces if p.is_code])
        self.networks = Networks(self.code)

    @property
    def unparsed(self) -> list[Piece]:
        """The code pieces of which nothing parses."""
        return self.code.unparsed

    @cached_property
    def aspects(self) -> dict[str, list[Found]]:
        """Each aspect's values as the code builds them, every one it builds (no entry where the code shows
        none)."""
        found = scan_models(self.networks)
        datasets = scan_dataset(self.code)
        for aspect, values in (("dataset", datasets), ("init", scan_init(self.code)),
                               ("augmentation", scan_augmentation(self.code, set(self.networks.classes))),
                               ("pool", scan_pool(self.networks)),
                               ("classes", scan_classes(self.code, datasets, self.networks))):
            if values:
                found[aspect] = values
        return found

    @cached_property
    def hyperparameters(self) -> dict[str, dict[str, list[Found]]]:
        """The hyperparameters the code trains each network with: {network: {hyperparameter: [Found, ...]}},
        the networks 'cnn', 'autoencoder', 'ae_classifier' and 'unattributed' (what no one network can be told
        for); the hyperparameters 'optimizer', 'learning_rate', 'momentum', 'weight_decay', 'batch_size',
        'epochs', 'loss'. Only what the code shows: no entry for a network or a hyperparameter it does not."""
        return Training(self.code, self.networks).hyperparameters()


def scan(pieces: list[Piece]) -> tuple[dict[str, list[Found]], list[Piece]]:
    """Each aspect's values as the code builds them, and the code pieces that could not be parsed at all."""
    reading = Reading(pieces)
    return reading.aspects, reading.unparsed


def hyperparameters(pieces: list[Piece]) -> dict[str, dict[str, list[Found]]]:
    """Reading.hyperparameters of these pieces."""
    return Reading(pieces).hyperparameters
