"""The networks a submission's code defines, rebuilt from its syntax tree: PyTorch `nn.Module` classes (their
parts and the order their forward pass applies them), `nn.Sequential` assignments and functions returning
one, Keras `Sequential([...])` models and `model.add(...)` sequences (across cells). Of these, which is
the CNN, which the autoencoder and which the classifier on its encoder.
"""

import ast
import re
from dataclasses import dataclass, field

from variantlab.check.codeparse import MAX_REPEAT, Code, Found, Source, argument, call_name, self_attr

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
    at: tuple[int, int] = (0, 0)  # (the code piece's place in the submission, its line): where it is defined

    def count(self, *kinds: str) -> int:
        return sum(layer.kind in kinds for layer in self.applied)

    def part_layers(self, pattern: str, avoid: str = r"(?!)") -> list[Layer]:
        return [layer for name, layers in self.parts.items()
                if re.search(pattern, name, re.I) and not re.search(avoid, name, re.I) for layer in layers]


class Networks:
    """The networks one submission's code defines, each rebuilt once."""

    def __init__(self, code: Code):
        self.code = code
        self.classes: dict[str, tuple[Source, ast.ClassDef]] = {}
        for source, node in code.nodes():
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, (source, node))
        self._models: dict[str, Model] = {}
        self.models = self.find_models()
        self.cnn = cnn_of(self.models)
        self.autoencoder = autoencoder_of(self.models, self.cnn)
        cnns = convnets(self.models)
        self.classifiers = [m for m in self.models if m is not self.autoencoder and m is not self.cnn and (
            on_encoder(m) or (re.search(r"classif", m.name, re.I) and m not in cnns))]
        # Every network by its kind, the ones above and any other the code defines: a second CNN tried is a CNN.
        self.kinds = {m.name: "cnn" for m in cnns}
        self.kinds |= {m.name: "autoencoder" for m in autoencoders(self.models, self.cnn)}
        self.kinds |= {m.name: "ae_classifier" for m in self.classifiers}

    def layer(self, source: Source, call: ast.Call) -> Layer | None:
        spec = LAYERS.get(call_name(call))
        if spec is None:
            return None
        kind, position = spec
        width = None
        if kind in WIDTH_KEYWORDS:
            given = argument(call, 1 if position == "torch" else 0, *WIDTH_KEYWORDS[kind])
            width = self.code.constants_of(source).number(given)
        return Layer(kind, width, source.found(kind, call))

    def layers_of(self, source: Source, node: ast.AST, local: dict[str, list[Layer]]) -> list[Layer]:
        """The layers an expression builds, in order: a layer call, a container of them, a list, a comprehension
        over a range, a local list built up before, or another model of the submission."""
        if isinstance(node, ast.Call):
            layer = self.layer(source, node)
            if layer is not None:
                return [layer]
            name = call_name(node)
            if name in CONTAINERS or name in ("append", "extend", "OrderedDict", "dict"):
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
            times = self.code.constants_of(source).loop_count(node.generators[0].iter)
            return (self.layers_of(source, node.elt, local) * times)[:MAX_REPEAT]
        if isinstance(node, ast.Name):
            return list(local.get(node.id, self._models[node.id].applied if node.id in self._models else []))
        return []

    def model_of_class(self, name: str) -> Model:
        if name in self._models:
            return self._models[name]
        source, cls = self.classes[name]
        model = Model(name, source.found(name, cls, f"class {name}"), at=self.at(source, cls))
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
        constants = self.code.constants_of(source)
        for statement in body:
            if isinstance(statement, ast.For):
                values = statement.iter.elts if isinstance(statement.iter, (ast.List, ast.Tuple)) else []
                if values and isinstance(statement.target, ast.Name):  # `for width in [10, 20, 40]:` each in turn
                    name = statement.target.id
                    saved = constants.values.get(name)
                    for element in values:
                        number = constants.number(element)
                        if number is not None:
                            constants.values[name] = number
                        self.collect_parts(source, statement.body, parts, local, times)
                    constants.values.pop(name, None)
                    if saved is not None:
                        constants.values[name] = saved
                else:
                    self.collect_parts(source, statement.body, parts, local,
                                   min(times * constants.loop_count(statement.iter), MAX_REPEAT))
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

        try:
            for statement in body:
                visit(statement)
        except RecursionError:  # an expression nested past Python's recursion: the parts' layers stand in
            return []
        return applied

    def at(self, source: Source, node: ast.AST) -> tuple[int, int]:
        return self.code.sources.index(source), getattr(node, "lineno", 0)

    def find_models(self) -> list[Model]:
        models = []
        for name in self.classes:
            model = self.model_of_class(name)
            if any(layer.kind in ("conv", "deconv", "linear") for layer in model.applied):
                models.append(model)
        keras: dict[str, Model] = {}  # `model.add(...)` may run across cells
        for source, node in self.code.nodes():
            if isinstance(node, ast.FunctionDef):
                returned = [s.value for s in ast.walk(node) if isinstance(s, ast.Return)
                            and isinstance(s.value, ast.Call) and call_name(s.value) == "Sequential"]
                if returned:  # `def build_cnn(): return nn.Sequential(...)`
                    layers = self.layers_of(source, returned[0], {})
                    model = Model(node.name, source.found(node.name, node), {node.name: list(layers)}, layers,
                                  self.at(source, node))
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
                model = Model(name, source.found(name, node), parts, layers, self.at(source, node))
                self._models[name] = model
                keras[name] = model
                models.append(model)
            elif (added := added_to(node)) is not None:
                name, call = added
                layers = [x for arg in call.args for x in self.layers_of(source, arg, {})]
                if not layers:
                    continue
                if name not in keras:
                    keras[name] = Model(name, source.found(name, node), {name: []}, [], self.at(source, node))
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


def convnets(models: list[Model]) -> list[Model]:
    """The convolutional networks not named for an autoencoder and holding no decoder: the CNN's kind."""
    return [m for m in models if m.count("conv") and not m.count("deconv") and not re.search(AE_NAME, m.name, re.I)
            and not m.part_layers(r"dec")]


def cnn_of(models: list[Model]) -> Model | None:
    """The CNN: of the convolutional networks, the one defined last, since a notebook that tries several
    layouts ends on the one it keeps (`cnn_model(...)` tried, `own_model` kept); a block that another network
    is built of is none."""
    nets = [m for m in convnets(models) if not any(other is not m and part_of(m, other) for other in models)]
    return max(nets, key=lambda m: m.at) if nets else None


def part_of(model: Model, other: Model) -> bool:
    """Whether every layer `model` applies is applied by `other` too (a block a network is built of)."""
    mine, theirs = ({id(layer.found) for layer in m.applied} for m in (model, other))
    return bool(mine) and len(other.applied) > len(model.applied) and mine <= theirs


def on_encoder(model: Model) -> bool:
    """A classifier on an encoder: a part named for the encoder, none for a decoder, linear layers besides
    (`self.encoder = encoder; self.fc1 = nn.Linear(64, 256)`)."""
    named = [name for name in model.parts if name != model.name]
    return any(re.search("enc", n, re.I) for n in named) and not any(re.search("dec", n, re.I) for n in named) \
        and any(layer.kind == "linear" for name in named if not re.search("enc", name, re.I)
                for layer in model.parts[name])


def encodes_and_decodes(model: Model) -> bool:
    return bool(model.part_layers(r"enc", avoid=r"dec")) and bool(model.part_layers(r"dec"))


def autoencoders(models: list[Model], cnn: Model | None) -> list[Model]:
    """Networks with an encoder and a decoder (whatever else they hold, a classifier head included), and
    those named for an autoencoder and not for a classifier."""
    named = [m for m in models if (re.search(AE_NAME, m.name, re.I) or m.part_layers(r"enc"))
             and not re.search(r"classif", m.name, re.I)]
    return [m for m in models if m is not cnn and (encodes_and_decodes(m) or m in named)]


def autoencoder_of(models: list[Model], cnn: Model | None) -> Model | None:
    """The autoencoder: one with an encoder and a decoder before one only named so."""
    candidates = autoencoders(models, cnn)
    if not candidates:
        return None
    return max(candidates, key=lambda m: (encodes_and_decodes(m),
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
    """The hidden FC widths of a classifier head: every linear layer but the output one. A last layer wider
    than ten classes is no output layer but the FC layer the student meant, left without one."""
    linear = [layer.width for layer in layers if layer.kind == "linear"]
    return linear if linear and (linear[-1] or 0) > 10 else linear[:-1]


def fc_value(widths: list[int | None]) -> object:
    """One hidden FC layer reads as its width; none or several as what they are."""
    if len(widths) == 1:
        return widths[0]
    return widths if widths else "no FC layer before the output"


