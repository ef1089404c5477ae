"""What a submission's code builds, read from its syntax tree and never run: the dataset it loads, the
initialisation, augmentation and pooling it calls, the classes it keeps, and the layers of the networks
it defines (PyTorch modules and nn.Sequential, Keras Sequential models).

A cell that does not parse (IPython magics, a typo) is still read: each line the parser stops at is set
aside and the rest parsed again, so one bad line costs that line, not the cell. Comments are not code.
Every value found carries where it was found and the line that shows it.
"""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from variantlab.submission import Piece, parse


@dataclass(frozen=True)
class Found:
    value: object  # in `variantlab derive --json`'s spelling where it has one
    where: str
    excerpt: str


@dataclass
class Source:
    """A parsed code piece: its tree, and its lines for excerpts."""

    piece: Piece
    tree: ast.Module
    lines: list[str]

    def found(self, value, node: ast.AST, excerpt: str | None = None) -> Found:
        line = getattr(node, "lineno", 1)
        text = excerpt if excerpt is not None else self.lines[line - 1].strip() if line <= len(self.lines) else ""
        return Found(value, self.piece.where(line), text[:200])


RETRIES = 20  # lines set aside before a cell is read one line at a time instead
MAX_CODE = 1_000_000  # characters of one cell or script that are parsed: far beyond any student's
TOO_DEEP = (SyntaxError, ValueError, RecursionError, MemoryError)  # what parsing a hostile cell may raise


def parse_lenient(code: str) -> ast.Module | None:
    """The cell's syntax tree. Lines the parser cannot take (magics, shell escapes, typos) become `pass`; a cell
    with more of them than RETRIES is read line by line, each line that parses alone kept."""
    lines = [re.sub(r"^(\s*)[%!].*", r"\1pass", line) for line in code.splitlines()]
    for _ in range(RETRIES):
        try:
            return parse("\n".join(lines))
        except TOO_DEEP as e:
            number = getattr(e, "lineno", None)
            if not number or number > len(lines) or lines[number - 1].strip() == "pass":
                break
            line = lines[number - 1]
            lines[number - 1] = line[:len(line) - len(line.lstrip())] + "pass"
    kept: list[ast.stmt] = []
    for number, line in enumerate(lines, start=1):
        try:
            tree = parse(line.strip())
        except TOO_DEEP:
            continue
        for statement in tree.body:
            kept.append(ast.increment_lineno(statement, number - 1))
    return ast.Module(body=kept, type_ignores=[]) if kept else None


def call_name(node: ast.AST) -> str:
    """The last name of what is called: `nn.Conv2d(...)` -> 'Conv2d', `x.flip(...)` -> 'flip'."""
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def self_attr(node: ast.AST) -> str | None:
    """'X' for `self.X`, else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def dotted(node: ast.AST) -> str:
    """'torch.nn.init.kaiming_normal_' for an attribute chain, '' where it is not one."""
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return node.id if isinstance(node, ast.Name) else ""


LARGEST = 10**6  # an integer a network could mean; beyond it, products of products only cost time
MAX_REPEAT = 64  # loop repetitions counted: no network of the exam has more layers


class Constants:
    """Integers a submission names at module level (`FILTERS = 10`), to read `Conv2d(1, FILTERS, 5)`."""

    def __init__(self, sources: list[Source]):
        self.values: dict[str, int] = {}
        for source in sources:
            for node in source.tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    value = self.number(node.value)
                    if value is not None:
                        self.values[node.targets[0].id] = value
            for function in ast.walk(source.tree):  # defaults: `def __init__(self, filters=10)`
                if isinstance(function, ast.FunctionDef):
                    args = function.args
                    named = args.args[len(args.args) - len(args.defaults):] + args.kwonlyargs
                    defaults = args.defaults + [d for d in args.kw_defaults if d is not None]
                    for arg, default in zip(named, defaults, strict=False):
                        value = self.number(default)
                        if value is not None:
                            self.values.setdefault(arg.arg, value)

    def number(self, node: ast.AST | None) -> int | None:
        """An integer expression's value, where it is one of literals and named constants; None beyond LARGEST."""
        value = self._number(node)
        return value if value is None or abs(value) <= LARGEST else None

    def _number(self, node: ast.AST | None) -> int | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            return self.values.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.number(node.operand)
            return -inner if inner is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
            left, right = self.number(node.left), self.number(node.right)  # each capped: the product stays small
            if left is None or right is None or (isinstance(node.op, ast.FloorDiv) and right == 0):
                return None
            ops = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}
            return ops.get(type(node.op), left // right if right else 0)
        return None

    def loop_count(self, node: ast.AST) -> int:
        """How many times `for ... in node` runs, where it can be read off: a range or a literal list; else once."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return min(len(node.elts), MAX_REPEAT)
        return self.range_length(node) or 1

    def range_length(self, node: ast.AST) -> int | None:
        """len(range(...)) for a `range` call of literal (or named-constant) arguments."""
        if not (isinstance(node, ast.Call) and call_name(node) == "range" and 1 <= len(node.args) <= 3):
            return None
        values = [self.number(a) for a in node.args]
        if any(v is None for v in values) or (len(values) == 3 and values[2] == 0):
            return None
        return min(len(range(*values)), MAX_REPEAT)  # type: ignore[arg-type]


# A layer's constructor name -> (kind, where its width is: "torch" (second argument), "first" (first argument)).
LAYERS = {
    "Conv2d": ("conv", "torch"), "LazyConv2d": ("conv", "first"), "Conv2D": ("conv", "first"),
    "Convolution2D": ("conv", "first"), "ConvTranspose2d": ("deconv", "torch"), "Conv2DTranspose": ("deconv", "first"),
    "MaxPool2d": ("max", None), "MaxPooling2D": ("max", None), "MaxPool2D": ("max", None),
    "AdaptiveMaxPool2d": ("max", None), "GlobalMaxPooling2D": ("max", None), "GlobalMaxPool2D": ("max", None),
    "max_pool2d": ("max", None), "adaptive_max_pool2d": ("max", None),
    "AvgPool2d": ("avg", None), "AveragePooling2D": ("avg", None), "AvgPool2D": ("avg", None),
    "AdaptiveAvgPool2d": ("avg", None), "GlobalAveragePooling2D": ("avg", None), "GlobalAvgPool2D": ("avg", None),
    "avg_pool2d": ("avg", None), "adaptive_avg_pool2d": ("avg", None),
    "Linear": ("linear", "torch"), "LazyLinear": ("linear", "first"), "Dense": ("linear", "first"),
}
WIDTH_KEYWORDS = {"conv": ("out_channels", "filters"), "deconv": ("out_channels", "filters"),
                  "linear": ("out_features", "units")}
CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}


@dataclass
class Layer:
    kind: str  # conv | deconv | max | avg | linear
    width: int | None  # out_channels, out_features, filters or units
    found: Found


@dataclass
class Model:
    """A network the code defines: its layers by part (`self.encoder = ...`, or one part for a Sequential)
    and in the order its forward pass applies them."""

    name: str
    found: Found
    parts: dict[str, list[Layer]] = field(default_factory=dict)
    applied: list[Layer] = field(default_factory=list)

    def count(self, *kinds: str) -> int:
        return sum(layer.kind in kinds for layer in self.applied)

    def part_layers(self, pattern: str, avoid: str = r"(?!)") -> list[Layer]:
        return [layer for name, layers in self.parts.items()
                if re.search(pattern, name, re.I) and not re.search(avoid, name, re.I) for layer in layers]


class Reader:
    """Everything the code of one submission shows, read once."""

    def __init__(self, pieces: list[Piece]):
        self.sources = []
        self.unparsed: list[Piece] = []
        for piece in pieces:
            tree = parse_lenient(piece.text) if len(piece.text) <= MAX_CODE else None
            if tree is None:
                self.unparsed.append(piece)
            else:
                self.sources.append(Source(piece, tree, piece.text.splitlines()))
        self.constants = Constants(self.sources)
        self.classes: dict[str, tuple[Source, ast.ClassDef]] = {}
        for source in self.sources:
            for node in ast.walk(source.tree):
                if isinstance(node, ast.ClassDef):
                    self.classes.setdefault(node.name, (source, node))
        self._models: dict[str, Model] = {}
        self.models = self.find_models()

    def nodes(self) -> Iterator[tuple[Source, ast.AST]]:
        for source in self.sources:
            for node in ast.walk(source.tree):
                yield source, node

    def calls(self) -> Iterator[tuple[Source, ast.Call]]:
        for source, node in self.nodes():
            if isinstance(node, ast.Call):
                yield source, node

    # Layers and models

    def layer(self, source: Source, call: ast.Call) -> Layer | None:
        spec = LAYERS.get(call_name(call))
        if spec is None:
            return None
        kind, position = spec
        width = None
        if kind in WIDTH_KEYWORDS:
            keyword = next((k.value for k in call.keywords if k.arg in WIDTH_KEYWORDS[kind]), None)
            index = 1 if position == "torch" else 0
            width = self.constants.number(keyword if keyword is not None else
                                          call.args[index] if len(call.args) > index else None)
        return Layer(kind, width, source.found(kind, call))

    def layers_of(self, source: Source, node: ast.AST, local: dict[str, list[Layer]]) -> list[Layer]:
        """The layers an expression builds, in order: a layer call, a container of them, a list, a comprehension
        over a range, a local list built up before, or another model of the submission."""
        if isinstance(node, ast.Call):
            layer = self.layer(source, node)
            if layer is not None:
                return [layer]
            name = call_name(node)
            if name in CONTAINERS or name in ("append", "extend"):
                return [x for arg in node.args for x in self.layers_of(source, arg, local)]
            if name in self.classes:
                return list(self.model_of_class(name).applied)
            return []
        if isinstance(node, ast.Starred):
            return self.layers_of(source, node.value, local)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [x for element in node.elts for x in self.layers_of(source, element, local)]
        if isinstance(node, ast.Dict):
            return [x for value in node.values if value is not None for x in self.layers_of(source, value, local)]
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1:
            times = self.constants.loop_count(node.generators[0].iter)
            return (self.layers_of(source, node.elt, local) * times)[:MAX_REPEAT]
        if isinstance(node, ast.Name):
            return list(local.get(node.id, self._models[node.id].applied if node.id in self._models else []))
        return []

    def model_of_class(self, name: str) -> Model:
        if name in self._models:
            return self._models[name]
        source, cls = self.classes[name]
        model = Model(name, source.found(name, cls, f"class {name}"))
        self._models[name] = model  # a class that builds itself (by mistake) does not recurse forever
        methods = {m.name: m for m in cls.body if isinstance(m, ast.FunctionDef)}
        for method in methods.values():
            self.collect_parts(source, method.body, model.parts, {}, 1)
        forward = methods.get("forward") or methods.get("call")
        if forward is not None:
            model.applied = self.apply(source, forward.body, model, methods, depth=0)
        if not model.applied:
            model.applied = [layer for layers in model.parts.values() for layer in layers]
        return model

    def collect_parts(self, source: Source, body: list[ast.stmt], parts: dict[str, list[Layer]],
                      local: dict[str, list[Layer]], times: int) -> None:
        """`self.X = ...` (and `self.X.append(...)`, local lists built for them) in a method, loops counted."""
        for statement in body:
            if isinstance(statement, ast.For):
                values = statement.iter.elts if isinstance(statement.iter, (ast.List, ast.Tuple)) else []
                if values and isinstance(statement.target, ast.Name):  # `for width in [10, 20, 40]:` each in turn
                    name = statement.target.id
                    saved = self.constants.values.get(name)
                    for element in values:
                        number = self.constants.number(element)
                        if number is not None:
                            self.constants.values[name] = number
                        self.collect_parts(source, statement.body, parts, local, times)
                    self.constants.values.pop(name, None)
                    if saved is not None:
                        self.constants.values[name] = saved
                else:
                    self.collect_parts(source, statement.body, parts, local,
                                   min(times * self.constants.loop_count(statement.iter), MAX_REPEAT))
                continue
            if isinstance(statement, (ast.If, ast.With, ast.Try)):
                self.collect_parts(source, statement.body, parts, local, times)
                continue
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and statement.value is not None:
                targets, value = [statement.target], statement.value
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                call = statement.value
                growing = call_name(call) in ("append", "extend", "add", "add_module")
                if growing and isinstance(call.func, ast.Attribute):
                    owner = call.func.value
                    layers = [x for arg in call.args for x in self.layers_of(source, arg, local)] * times
                    if (attr := self_attr(owner)) is not None:
                        parts.setdefault(attr, []).extend(layers)
                    elif isinstance(owner, ast.Name):
                        local.setdefault(owner.id, []).extend(layers)
                continue
            if value is None:
                continue
            layers = self.layers_of(source, value, local)
            grow = isinstance(statement, ast.AugAssign)
            for target in targets:
                if (attr := self_attr(target)) is not None:
                    if layers or attr not in parts:
                        parts[attr] = parts.get(attr, []) + layers if grow else layers
                elif isinstance(target, ast.Name):
                    local[target.id] = local.get(target.id, []) + layers if grow else layers

    def apply(self, source: Source, body: list[ast.stmt], model: Model, methods: dict, depth: int) -> list[Layer]:
        """The layers a forward pass applies, in the order it applies them (a call's arguments first)."""
        applied: list[Layer] = []

        def visit(node: ast.AST) -> None:
            if isinstance(node, ast.For):
                looped = [attr for n in ast.walk(node.iter) if (attr := self_attr(n)) in model.parts]
                if looped:  # `for conv in self.convs:`, `for i, conv in enumerate(self.convs):`
                    for name in looped:
                        applied.extend(model.parts[name])
                    for statement in node.body:
                        visit(statement)
                    return
                indexed = [n.value.attr for n in ast.walk(node) if isinstance(n, ast.Subscript)
                           and isinstance(n.value, ast.Attribute) and n.value.attr in model.parts]
                if indexed:  # `for i in range(n): x = self.convs[i](x)`: each of the part's layers once
                    for name in dict.fromkeys(indexed):
                        applied.extend(model.parts[name])
                    return
            for child in ast.iter_child_nodes(node):
                visit(child)
            if isinstance(node, ast.Call):
                attr = self_attr(node.func)
                if attr is not None:
                    if attr in model.parts:
                        applied.extend(model.parts[attr])
                    elif attr in methods and depth < 3 and attr not in ("forward", "call"):
                        applied.extend(self.apply(source, methods[attr].body, model, methods, depth + 1))
                elif call_name(node) in LAYERS and LAYERS[call_name(node)][0] in ("max", "avg"):
                    layer = self.layer(source, node)
                    if layer is not None:
                        applied.append(layer)

        for statement in body:
            visit(statement)
        return applied

    def find_models(self) -> list[Model]:
        models = []
        for name in self.classes:
            model = self.model_of_class(name)
            if any(layer.kind in ("conv", "deconv", "linear") for layer in model.applied):
                models.append(model)
        keras: dict[str, Model] = {}  # `model.add(...)` may run across cells
        for source in self.sources:
            for node in ast.walk(source.tree):
                if isinstance(node, ast.FunctionDef):
                    returned = [s.value for s in ast.walk(node) if isinstance(s, ast.Return)
                                and isinstance(s.value, ast.Call) and call_name(s.value) == "Sequential"]
                    if returned:  # `def build_cnn(): return nn.Sequential(...)`
                        layers = self.layers_of(source, returned[0], {})
                        model = Model(node.name, source.found(node.name, node), {node.name: list(layers)}, layers)
                        self._models[node.name] = model
                        models.append(model)
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                        and isinstance(node.value, ast.Call) and call_name(node.value) == "Sequential":
                    name = node.targets[0].id
                    layers = self.layers_of(source, node.value, {})
                    parts = {name: list(layers)}
                    for arg in node.value.args:  # a Keras Sequential may hold another model: its encoder, say
                        for element in (arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]):
                            if isinstance(element, ast.Name) and element.id in self._models:
                                parts[element.id] = list(self._models[element.id].applied)
                    model = Model(name, source.found(name, node), parts, layers)
                    self._models[name] = model
                    keras[name] = model
                    models.append(model)
                elif (added := added_to(node)) is not None:
                    name, call = added
                    layers = [x for arg in call.args for x in self.layers_of(source, arg, {})]
                    if not layers:
                        continue
                    if name not in keras:
                        keras[name] = Model(name, source.found(name, node), {name: []}, [])
                        self._models[name] = keras[name]
                        models.append(keras[name])
                    keras[name].parts[name].extend(layers)
                    keras[name].applied.extend(layers)
        return models


def added_to(node: ast.AST) -> tuple[str, ast.Call] | None:
    """('model', the call) for a Keras `model.add(...)` statement."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and call_name(node.value) == "add":
        func = node.value.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return func.value.id, node.value
    return None


AE_NAME = r"auto|(^|[^a-z])ae([^a-z]|$)|^ae|encoder|decoder"
HEAD_PART = r"fc|classif|head|out|dense|cls|linear|mlp|pred|logit|hidden"


def cnn_of(models: list[Model]) -> Model | None:
    convnets = [m for m in models if m.count("conv") and not m.count("deconv") and not re.search(AE_NAME, m.name, re.I)
                and not m.part_layers(r"dec")]
    if not convnets:
        return None
    return max(convnets, key=lambda m: (bool(re.search(r"cnn|conv|net", m.name, re.I)), m.count("conv")))


def autoencoder_of(models: list[Model], cnn: Model | None) -> Model | None:
    """The autoencoder: a network with an encoder and a decoder, else one named for it."""
    candidates = [m for m in models if m is not cnn and (re.search(AE_NAME, m.name, re.I) or m.part_layers(r"enc"))
                  and not re.search(r"classif", m.name, re.I)]
    if not candidates:
        return None
    return max(candidates, key=lambda m: (bool(m.part_layers(r"enc", avoid=r"dec")) and bool(m.part_layers(r"dec")),
                                          bool(re.search(r"auto|(^|[^a-z])ae([^a-z]|$)", m.name, re.I))))


def encoder_layers(ae: Model, infer: bool = True) -> list[Layer]:
    """The encoder's weight layers: its parts named for it, else (`infer`) the applied layers up to the
    narrowest."""
    named = [layer for name, layers in ae.parts.items() if name != ae.name and re.search("enc", name, re.I)
             and not re.search("dec", name, re.I) for layer in layers if layer.kind in ("linear", "conv")]
    if named or not infer:
        return named
    weights = [layer for layer in ae.applied if layer.kind in ("linear", "conv")]
    widths = [layer.width or 0 for layer in weights]
    if not widths:
        return []
    return weights[:widths.index(min(widths)) + 1]


def head_widths(layers: list[Layer]) -> list[int | None]:
    """The hidden FC widths of a classifier head: every linear layer but the output one."""
    linear = [layer.width for layer in layers if layer.kind == "linear"]
    return linear[:-1]


def fc_value(widths: list[int | None]) -> object:
    """One hidden FC layer reads as its width; none or several as what they are."""
    if len(widths) == 1:
        return widths[0]
    return widths if widths else "no FC layer before the output"


def scan_models(reader: Reader) -> dict[str, list[Found]]:
    found: dict[str, list[Found]] = {}
    cnn = cnn_of(reader.models)
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
    ae = autoencoder_of(reader.models, cnn)
    if ae is not None:
        encoder = encoder_layers(ae)
        if encoder:
            found["ae_layers"] = [Found(len(encoder), encoder[0].found.where,
                                        f"{ae.name}: encoder of {len(encoder)} layers")]
    heads = [m for m in reader.models if m is not cnn and re.search(r"classif", m.name, re.I)]
    for model in heads + ([ae] if ae is not None else []):
        encoder = encoder_layers(model, infer=False)
        head = [layer for layer in model.part_layers(HEAD_PART, avoid=r"enc|dec")
                or (model.applied if model in heads else []) if not any(layer is e for e in encoder)]
        widths = head_widths(head)
        if head and None not in widths:
            first = next((layer.found for layer in head if layer.kind == "linear"), model.found)
            found["ae_fc_nodes"] = [Found(fc_value(widths), first.where, first.excerpt)]
            break
    return found


DATASETS = {"fashionmnist": "fashion_mnist", "mnist": "mnist", "cifar10": "cifar10"}


def dataset_key(name: str) -> str | None:
    """'FashionMNIST', 'fashion_mnist', 'Fashion-MNIST' -> 'fashion_mnist'; None for any other name."""
    return DATASETS.get(re.sub(r"[-_\s]", "", name).lower())


def scan_dataset(reader: Reader) -> list[Found]:
    found = []
    for source, node in reader.nodes():
        key = None
        if isinstance(node, ast.Call) and call_name(node) in ("FashionMNIST", "MNIST", "CIFAR10"):
            key = dataset_key(call_name(node))
        elif isinstance(node, ast.Attribute) and "datasets" in dotted(node.value).split("."):
            key = dataset_key(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module and "datasets" in node.module:
            keys = [dataset_key(alias.name) for alias in node.names]
            key = next((k for k in keys if k), None)
        elif isinstance(node, ast.Call) and call_name(node) in ("load_dataset", "load", "fetch_openml") and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            text = node.args[0].value.lower().replace("-", "_").replace(" ", "_")
            key = "fashion_mnist" if "fashion" in text else "mnist" if "mnist" in text else (
                "cifar10" if "cifar" in text and "100" not in text else None)
        if key is not None:
            found.append(source.found(key, node))
    return found


INITS = {"kaiming_normal_": "he", "kaiming_uniform_": "he", "kaiming_normal": "he", "kaiming_uniform": "he",
         "xavier_normal_": "xavier", "xavier_uniform_": "xavier", "xavier_normal": "xavier", "xavier_uniform": "xavier",
         "he_normal": "he", "he_uniform": "he", "HeNormal": "he", "HeUniform": "he", "glorot_normal": "xavier",
         "glorot_uniform": "xavier", "GlorotNormal": "xavier", "GlorotUniform": "xavier"}


def scan_init(reader: Reader) -> list[Found]:
    found = []
    for source, call in reader.calls():
        if call_name(call) in INITS:
            found.append(source.found(INITS[call_name(call)], call))
        for keyword in call.keywords:  # Keras: kernel_initializer="he_normal"
            if keyword.arg and "initializer" in keyword.arg and isinstance(keyword.value, ast.Constant) \
                    and keyword.value.value in INITS:
                found.append(source.found(INITS[keyword.value.value], keyword.value))
    return found


FLIPS = {"flip", "hflip", "fliplr", "RandomHorizontalFlip", "flip_left_right", "random_flip_left_right",
         "RandomFlip", "HorizontalFlip"}
ROTATIONS = {"rotate", "RandomRotation", "random_rotation", "RandomAffine", "Rotate", "rotation"}
NORMAL_NOISE = {"randn", "randn_like", "normal", "normal_", "GaussianNoise", "gaussian_noise", "AddGaussianNoise"}
UNIFORM_NOISE = {"rand", "rand_like", "uniform", "uniform_"}


def scan_augmentation(reader: Reader) -> list[Found]:
    moves: dict[str, list[Found]] = {"flip": [], "rotate": [], "normal": [], "uniform": []}
    for source, call in reader.calls():
        name = call_name(call)
        if name in FLIPS:
            moves["flip"].append(source.found("flip", call))
        elif name in ROTATIONS:
            moves["rotate"].append(source.found("rotate", call))
        elif name in NORMAL_NOISE:
            moves["normal"].append(source.found("normal", call))
        elif name in UNIFORM_NOISE:
            moves["uniform"].append(source.found("uniform", call))
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


def scan_pool(reader: Reader, models: list[Model]) -> list[Found]:
    cnn = cnn_of(models)
    layers = [layer for layer in cnn.applied if layer.kind in ("max", "avg")] if cnn else []
    if not layers:  # pools used outside a network the reader could follow
        layers = [layer for source, call in reader.calls() if (layer := reader.layer(source, call)) is not None
                  and layer.kind in ("max", "avg")]
    kinds = list(dict.fromkeys(layer.kind for layer in layers))
    if not kinds:
        return []
    value = kinds[0] if len(kinds) == 1 else "max and avg"
    return [Found(value, layers[0].found.where, layers[0].found.excerpt)]


CLASS_NAME = re.compile(r"class|target|keep|select|wanted|chosen", re.I)


def five_classes(node: ast.AST, constants: Constants) -> tuple[int, ...] | None:
    """Five distinct labels 0-9 written as a list, a tuple, a set or a range."""
    if isinstance(node, ast.Call) and call_name(node) in ("tensor", "array", "list", "tuple", "set", "LongTensor"):
        return five_classes(node.args[0], constants) if node.args else None
    if isinstance(node, ast.Call) and call_name(node) == "range":
        length = constants.range_length(node)
        start = constants.number(node.args[0]) if len(node.args) > 1 else 0
        step = constants.number(node.args[2]) if len(node.args) > 2 else 1
        if length != 5 or start is None or step is None:
            return None
        labels = tuple(range(start, start + 5 * step, step))
        return labels if all(0 <= c <= 9 for c in labels) else None
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        values: list[int] = []
        for element in node.elts:
            value = element.value if isinstance(element, ast.Constant) else None
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                return None
            values.append(value)
        if len(values) == 5 and len(set(values)) == 5 and all(0 <= v <= 9 for v in values):
            return tuple(sorted(values))
    return None


def scan_classes(reader: Reader) -> list[Found]:
    """The class list, strongest forms first: a list named for classes, a membership test, a parity filter."""
    named, tested, parity = [], [], []
    for source, node in reader.nodes():
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            name = dotted(target)
            classes = five_classes(node.value, reader.constants)
            if classes and CLASS_NAME.search(name):
                named.append(source.found(list(classes), node))
        elif isinstance(node, ast.Call) and call_name(node) in ("isin", "in1d") and len(node.args) >= 2:
            classes = five_classes(node.args[1], reader.constants)
            if classes:
                tested.append(source.found(list(classes), node))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            right = node.comparators[0]
            if isinstance(node.ops[0], (ast.In, ast.NotIn)):
                classes = five_classes(right, reader.constants)
                if classes and isinstance(node.ops[0], ast.In):
                    tested.append(source.found(list(classes), node))
            elif isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Mod) and \
                    reader.constants.number(node.left.right) == 2 and isinstance(right, ast.Constant):
                remainder = right.value
                odd = (remainder == 1) == isinstance(node.ops[0], ast.Eq) if remainder in (0, 1) else None
                if odd is not None and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
                    parity.append(source.found([1, 3, 5, 7, 9] if odd else [0, 2, 4, 6, 8], node))
    return named or tested or parity


def scan(pieces: list[Piece]) -> tuple[dict[str, list[Found]], list[Piece]]:
    """Each aspect's values as the code builds them (no entry where the code shows none), and the code
    pieces that could not be parsed at all."""
    reader = Reader([p for p in pieces if p.is_code])
    found = scan_models(reader)
    for aspect, values in (("dataset", scan_dataset(reader)), ("init", scan_init(reader)),
                           ("augmentation", scan_augmentation(reader)), ("pool", scan_pool(reader, reader.models)),
                           ("classes", scan_classes(reader))):
        if values:
            found[aspect] = values
    return found, reader.unparsed
