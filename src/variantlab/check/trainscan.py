"""How a submission's code trains each network, read from its syntax tree: the optimiser (with the learning
rate, momentum and weight decay written into it), the batch size, the epochs and the loss.

Training is read where the code trains: a top-level statement that calls `backward()`, an optimiser's
`step()` or Keras's `fit` (itself, or through a function of the submission that does), and a training
function the code never calls (read with its defaults). A function is followed from the call that passes
its arguments (`train(cnn, train_loader, epochs=15)`). Within one such site, the batch size is that of
the loader a training loop iterates (not the test loader beside it), the epochs those of the `range`
loop around training, the loss the one training calls. An optimiser belongs to the network whose
`parameters()` it is built over, Keras's `compile` and `fit` to their model; any other value to the one
network its site uses, else to no network ('unattributed'). Only values written as literals or named
constants are read: a library's default is not something the code shows.
"""

import ast
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from variantlab.check.codeparse import (
    Code,
    Found,
    Source,
    argument,
    call_name,
    defaults,
    keyword,
    label_like,
    root_name,
)
from variantlab.check.networks import Networks

HYPERPARAMETERS = ("optimizer", "learning_rate", "momentum", "weight_decay", "batch_size", "epochs", "loss")
NETWORKS = ("cnn", "autoencoder", "ae_classifier", "unattributed")
OPTIMISERS = {name.lower(): name for name in ("Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adamax",
                                               "NAdam", "RAdam", "LBFGS", "Ftrl")}
OPTIMISER_CALLS = set(OPTIMISERS.values()) | {"Nadam"}
LOSS_CALLS = {  # PyTorch's classes and functions, Keras's classes: one spelling each
    "CrossEntropyLoss": "CrossEntropyLoss", "cross_entropy": "CrossEntropyLoss", "NLLLoss": "NLLLoss",
    "nll_loss": "NLLLoss", "MSELoss": "MSELoss", "mse_loss": "MSELoss", "BCELoss": "BCELoss",
    "binary_cross_entropy": "BCELoss", "BCEWithLogitsLoss": "BCEWithLogitsLoss",
    "binary_cross_entropy_with_logits": "BCEWithLogitsLoss", "L1Loss": "L1Loss", "l1_loss": "L1Loss",
    "SmoothL1Loss": "SmoothL1Loss", "smooth_l1_loss": "SmoothL1Loss", "HuberLoss": "HuberLoss",
    "huber_loss": "HuberLoss", "KLDivLoss": "KLDivLoss", "kl_div": "KLDivLoss",
    "SparseCategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "CategoricalCrossentropy": "CategoricalCrossentropy", "BinaryCrossentropy": "BinaryCrossentropy",
    "MeanSquaredError": "MeanSquaredError", "MeanAbsoluteError": "MeanAbsoluteError",
}
KERAS_LOSSES = {  # Keras's loss names, as `compile(loss=...)` takes them
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy", "binary_crossentropy": "BinaryCrossentropy",
    "mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError", "mae": "MeanAbsoluteError",
    "mean_absolute_error": "MeanAbsoluteError",
}
TRAINING_CALLS = {"backward", "fit", "fit_generator", "train_on_batch"}
WRAPS = {"to", "cuda", "cpu", "float", "double", "half"}  # `CNN().to(device)` is still the CNN
WRAPPERS = {"DataParallel", "DistributedDataParallel", "compile", "keras_to_tpu_model"}  # and `DataParallel(cnn)`
LOOP_WRAPS = {"enumerate", "tqdm", "iter", "notebook"}  # `enumerate(tqdm(train_loader))` iterates the loader
FOLLOW = 3  # functions followed within functions
BUDGET = 400_000  # nodes read over all sites: a hostile file's thousand calls of a huge function stop here


@dataclass(frozen=True)
class Scope:
    """Where a name is looked up: a function's arguments as a call bound them, its own assignments, and the
    module's names as they stand at `order` (the top-level statement that trains) in `file`: a notebook
    that reuses `model` or `optimizer` for its second network means, at each site, the latest."""

    file: str
    order: tuple[int, int]  # (the source's index, the line) of the site
    env: dict[str, "Binding"] = field(default_factory=dict)
    local: dict[str, list[tuple[Source, ast.expr]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Binding:
    """A function's argument as one call passes it: where it is written, in the caller's scope, its number
    and the network it is."""

    source: Source
    node: ast.expr
    scope: Scope
    number: float | None
    network: str | None


@dataclass
class Site:
    """What one place that trains shows: the networks it uses, and each value with the network the value
    names itself (an optimiser's parameters, a Keras model's `fit`), if any."""

    networks: set[str] = field(default_factory=set)
    values: list[tuple[str, Found, str | None]] = field(default_factory=list)
    epochs: list[tuple[Found, bool]] = field(default_factory=list)  # each training `range` loop, named for epochs
    classifies: bool = False  # a loss is taken against labels: `criterion(outputs, labels)`


def is_training_call(call: ast.Call) -> bool:
    name = call_name(call)
    return name in TRAINING_CALLS or (name == "step" and re.search("opt", root_name(call.func) or "", re.I) is not None)


def assignments(nodes: Iterable[tuple[Source, ast.AST]]) -> dict[str, list[tuple[Source, ast.expr]]]:
    """`name = value` among (source, node) pairs, by name."""
    found: dict[str, list[tuple[Source, ast.expr]]] = defaultdict(list)
    for source, node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id].append((source, node.value))
    return found


class Training:
    def __init__(self, code: Code, networks: Networks):
        self.code = code
        self.order = {id(source): index for index, source in enumerate(code.sources)}
        self.model_keys = networks.kinds
        # Module-level assignments in the order the code runs them; any assignment, for names not found so.
        self.top: dict[str, list[tuple[tuple[int, int], Source, ast.expr]]] = defaultdict(list)
        self.anywhere = assignments(code.nodes())
        self.functions: dict[str, tuple[Source, ast.FunctionDef]] = {}
        self.called: set[str] = set()
        for name, values in assignments(code.scopes[0][1]).items():
            self.top[name] = [(self.at(source, value), source, value) for source, value in values]
        self.locals: dict[int, dict[str, list[tuple[Source, ast.expr]]]] = {}  # each function's own assignments
        direct: set[str] = set()
        callers: dict[str, set[str]] = defaultdict(set)
        for function, nodes in code.scopes[1:]:
            if not isinstance(function, ast.FunctionDef):
                continue
            self.locals[id(function)] = assignments(nodes)
            for _, inner in nodes:
                if isinstance(inner, ast.Call):
                    if is_training_call(inner):
                        direct.add(function.name)
                    elif isinstance(inner.func, ast.Name):
                        callers[inner.func.id].add(function.name)
        for source, node in code.nodes():
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, (source, node))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                self.called.add(node.func.id)
        self.training: set[str] = set()  # functions that train, themselves or through another
        waiting = list(direct)
        while waiting:
            name = waiting.pop()
            if name not in self.training:
                self.training.add(name)
                waiting.extend(callers[name])
        self.budget = BUDGET

    def at(self, source: Source, node: ast.AST) -> tuple[int, int]:
        return self.order[id(source)], getattr(node, "lineno", 0)

    # What a name or an expression is

    def values_of(self, source: Source, node: ast.AST, scope: Scope) -> list[tuple[Source, ast.AST, Scope]]:
        """What an expression stands for: itself, or for a name, what it is bound to or assigned: in the
        function, else at the module's top level as it stands at the site (the latest assignment before it),
        else anywhere in the file, else anywhere."""
        if not isinstance(node, ast.Name):
            return [(source, node, scope)]
        if node.id in scope.env:
            bound = scope.env[node.id]
            if isinstance(bound.node, ast.Name):
                return self.values_of(bound.source, bound.node, bound.scope)
            return [(bound.source, bound.node, bound.scope)]
        if node.id in scope.local:
            return [(s, value, scope) for s, value in scope.local[node.id]]
        before = [(order, s, value) for order, s, value in self.top.get(node.id, [])
                  if s.piece.file == scope.file and order < scope.order]
        if before:  # its own names as they stood then: `model = model.to(device)` is the model before it
            order, s, value = before[-1]
            return [(s, value, Scope(scope.file, order))]
        anywhere = self.anywhere.get(node.id, [])
        here = [(s, value) for s, value in anywhere if s.piece.file == scope.file] or anywhere
        return [(s, value, scope) for s, value in here]

    def network(self, source: Source, node: ast.AST | None, scope: Scope, depth: int = 0) -> str | None:
        """The network an expression is: `CNN()`, `CNN().to(device)`, `build_cnn()`, a variable holding one,
        a Keras model by its name, a function's argument bound to one, `model.encoder` (the model's part)."""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRAPS:
            node = node.func.value
        if isinstance(node, ast.Call) and call_name(node) in WRAPPERS and node.args:
            return self.network(source, node.args[0], scope, depth + 1)
        if isinstance(node, ast.Call):
            return self.model_keys.get(call_name(node))
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if not isinstance(node, ast.Name) or depth > 8:
            return None
        if node.id in scope.env:
            return scope.env[node.id].network
        if node.id in self.model_keys:
            return self.model_keys[node.id]
        keys = {self.network(s, value, inner, depth + 1) for s, value, inner in self.values_of(source, node, scope)}
        keys.discard(None)
        return keys.pop() if len(keys) == 1 else None

    def number(self, source: Source, node: ast.AST | None, scope: Scope) -> tuple[float, Source, ast.AST] | None:
        """A number as the code writes it, and where: an argument passed to a function is shown at the call."""
        if node is None:
            return None
        if isinstance(node, ast.Name) and node.id in scope.env:
            bound = scope.env[node.id]
            return (bound.number, bound.source, bound.node) if bound.number is not None else None
        constants = self.code.constants_of(source)
        value = constants.real(node, {name: bound.number for name, bound in scope.env.items()})
        return (value, source, node) if value is not None else None

    def found(self, name: str, source: Source, node: ast.AST | None, scope: Scope) -> list[tuple[str, Found]]:
        got = self.number(source, node, scope)
        return [(name, got[1].found(got[0], got[2]))] if got is not None else []

    # The values

    def optimiser(self, source: Source, call: ast.Call, scope: Scope) -> tuple[list[tuple[str, Found]], str | None]:
        """An optimiser's name and the values written into it; the network whose parameters it is built over."""
        name = OPTIMISERS[call_name(call).lower()]
        params = call.args[0] if call.args else keyword(call, "params")
        owners = {self.network(source, n.func.value, scope) for n in ast.walk(params) if isinstance(n, ast.Call)
                  and call_name(n) == "parameters" and isinstance(n.func, ast.Attribute)} if params else set()
        keras = params is not None and self.number(source, params, scope) is not None  # Keras: Adam(0.001)
        values = [("optimizer", source.found(name, call))]
        values += self.found("learning_rate", source, argument(call, 0 if keras else 1, "lr", "learning_rate"), scope)
        values += self.found("momentum", source, keyword(call, "momentum") if keras or name != "SGD"
                             else argument(call, 2, "momentum"), scope)
        values += self.found("weight_decay", source, keyword(call, "weight_decay"), scope)  # Keras's decay: the rate's
        owner = owners.pop() if len(owners) == 1 else None
        return values, owner

    def optimisers_of(self, source: Source, node: ast.AST, scope: Scope
                      ) -> list[tuple[list[tuple[str, Found]], str | None]]:
        return [self.optimiser(s, value, inner) for s, value, inner in self.values_of(source, node, scope)
                if isinstance(value, ast.Call) and call_name(value) in OPTIMISER_CALLS]

    def loss(self, source: Source, node: ast.AST, scope: Scope) -> list[Found]:
        """The loss an expression is or names: `nn.CrossEntropyLoss()`, `criterion`, `F.mse_loss`, Keras's 'mse'."""
        found = []
        for s, value, _ in self.values_of(source, node, scope):
            if isinstance(value, ast.Call) and call_name(value) in LOSS_CALLS:
                found.append(s.found(LOSS_CALLS[call_name(value)], value))
            elif isinstance(value, ast.Constant) and str(value.value).lower() in KERAS_LOSSES:
                found.append(s.found(KERAS_LOSSES[str(value.value).lower()], value))
            elif isinstance(value, ast.Attribute) and value.attr in KERAS_LOSSES | LOSS_CALLS:
                found.append(s.found(KERAS_LOSSES.get(value.attr) or LOSS_CALLS[value.attr], value))
        return found

    def batch(self, source: Source, node: ast.AST, scope: Scope) -> list[tuple[str, Found]]:
        """The batch size of the loader an expression is or names: `DataLoader(data, batch_size=64)`,
        tf.data's `.batch(64)`."""
        found = []
        for s, value, inner in self.values_of(source, node, scope):
            for sub in ast.walk(value):
                if isinstance(sub, ast.Call) and call_name(sub) in ("DataLoader", "batch"):
                    size = argument(sub, 1 if call_name(sub) == "DataLoader" else 0, "batch_size")
                    found += self.found("batch_size", s, size, inner)
        return found

    # Reading a site

    def trains(self, node: ast.AST) -> bool:
        return any(isinstance(n, ast.Call) and (is_training_call(n) or (
            isinstance(n.func, ast.Name) and n.func.id in self.training)) for n in ast.walk(node))

    def bind(self, source: Source, call: ast.Call, function: ast.FunctionDef, caller: Scope, home: Source) -> Scope:
        """The function's scope at this call: its arguments as the call passes them, else their defaults."""
        at_home = Scope(home.piece.file, caller.order)
        passed: list[tuple[str, Source, ast.expr, Scope]] = [(a.arg, home, d, at_home) for a, d in defaults(function)]
        positional = [a.arg for a in function.args.posonlyargs + function.args.args]
        passed += [(p, source, value, caller) for p, value in zip(positional, call.args, strict=False)
                   if not isinstance(value, ast.Starred)]
        passed += [(k.arg, source, k.value, caller) for k in call.keywords if k.arg]
        env: dict[str, Binding] = {}
        for name, where, value, scope in passed:
            if isinstance(value, ast.Name) and value.id in scope.env:
                env[name] = scope.env[value.id]
            else:
                number = self.number(where, value, scope)
                env[name] = Binding(where, value, scope, number[0] if number else None,
                                    self.network(where, value, scope))
        return Scope(home.piece.file, caller.order, env, self.locals[id(function)])

    def read(self, source: Source, roots: list[ast.stmt], scope: Scope, site: Site, depth: int) -> None:
        for root in roots:
            for node in ast.walk(root):
                self.budget -= 1
                if self.budget < 0:
                    return
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    if (key := self.network(source, node, scope)) is not None:
                        site.networks.add(key)
                elif isinstance(node, ast.For) and self.trains(node):
                    self.read_loop(source, node, scope, site)
                elif isinstance(node, ast.Call):
                    self.read_call(source, node, scope, site, depth)

    def read_loop(self, source: Source, loop: ast.For, scope: Scope, site: Site) -> None:
        """A loop around training: over a loader (its batch size) or over a range (the epochs; not around
        Keras's `fit`, which runs its own: that loop trains several models, or folds)."""
        iterated = loop.iter
        while isinstance(iterated, ast.Call) and call_name(iterated) in LOOP_WRAPS and iterated.args:
            iterated = iterated.args[0]
        numbers = {name: bound.number for name, bound in scope.env.items()}
        length = self.code.constants_of(source).range_length(iterated, limit=10**6, names=numbers)
        fits = any(isinstance(n, ast.Call) and call_name(n) in ("fit", "fit_generator") for n in ast.walk(loop))
        if length is not None and isinstance(iterated, ast.Call):
            if fits:
                return
            stop = iterated.args[1] if len(iterated.args) > 1 else iterated.args[0]
            bound = scope.env.get(stop.id) if isinstance(stop, ast.Name) else None  # `range(epochs)`: at the call
            at = bound.source.found(length, bound.node) if bound is not None else source.found(length, loop)
            named = isinstance(loop.target, ast.Name) and re.search("ep", loop.target.id, re.I) is not None
            site.epochs.append((at, named))
        else:
            site.values += [(hp, f, None) for hp, f in self.batch(source, iterated, scope)]

    def read_call(self, source: Source, call: ast.Call, scope: Scope, site: Site, depth: int) -> None:
        name = call_name(call)
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if name in OPTIMISER_CALLS:
            values, network = self.optimiser(source, call, scope)
            site.values += [(hp, f, network) for hp, f in values]
        elif name in LOSS_CALLS:
            site.values += [("loss", f, None) for f in self.loss(source, call, scope)]
            site.classifies |= len(call.args) > 1 and label_like(call.args[1])
        elif name == "step" and owner is not None:
            for values, network in self.optimisers_of(source, owner, scope):
                site.values += [(hp, f, network) for hp, f in values]
        elif name == "fit" and owner is not None:
            network = self.network(source, owner, scope)
            values = self.found("epochs", source, argument(call, 3, "epochs"), scope)
            values += self.found("batch_size", source, argument(call, 2, "batch_size"), scope)
            if not any(hp == "batch_size" for hp, _ in values) and call.args:  # a tf.data pipeline's batches
                values += self.batch(source, call.args[0], scope)
            site.values += [(hp, f, network) for hp, f in values]
        elif isinstance(call.func, ast.Name):
            if call.func.id in self.training and call.func.id in self.functions and depth < FOLLOW:
                home, function = self.functions[call.func.id]
                self.read(home, function.body, self.bind(source, call, function, scope, home), site, depth + 1)
            else:  # `criterion(outputs, labels)`
                losses = self.loss(source, call.func, scope)
                site.values += [("loss", f, None) for f in losses]
                site.classifies |= bool(losses) and len(call.args) > 1 and label_like(call.args[1])

    def sites(self) -> list[Site]:
        sites = []
        for source in self.code.sources:
            statements = source.tree.body[::-1]  # popped in the order the code reads
            while statements:
                statement = statements.pop()
                if isinstance(statement, (ast.If, ast.With, ast.Try)):
                    statements += [*statement.body, *getattr(statement, "orelse", [])][::-1]
                elif not isinstance(statement, (ast.FunctionDef, ast.ClassDef)) and self.trains(statement):
                    sites.append(Site())
                    scope = Scope(source.piece.file, self.at(source, statement))
                    self.read(source, [statement], scope, sites[-1], 0)
        end = (len(self.code.sources), 0)
        for name in sorted(self.training - self.called):  # defined, never called: read with its defaults
            home, function = self.functions[name]
            sites.append(Site())
            at_home = Scope(home.piece.file, end)
            constants = self.code.constants_of(home)
            env = {a.arg: Binding(home, d, at_home, constants.real(d), self.network(home, d, at_home))
                   for a, d in defaults(function)}
            self.read(home, function.body, Scope(home.piece.file, end, env, self.locals[id(function)]),
                      sites[-1], 1)
        return sites

    def top_level(self) -> tuple[list[tuple[str, Found, str | None]], list[tuple[str, Found, str | None]]]:
        """Keras's `compile(optimizer=..., loss=...)`, each for its model; and optimisers built at the top
        level, each for the network whose parameters it takes (those no training site reached)."""
        compiled: list[tuple[str, Found, str | None]] = []
        optimisers: list[tuple[str, Found, str | None]] = []
        for source, node in self.code.scopes[0][1]:
            if not isinstance(node, ast.Call):
                continue
            scope = Scope(source.piece.file, self.at(source, node))
            if call_name(node) == "compile" and isinstance(node.func, ast.Attribute):
                compiled += self.compile(source, node, scope)
            elif call_name(node) in OPTIMISER_CALLS:
                found, network = self.optimiser(source, node, scope)
                optimisers += [(hp, f, network) for hp, f in found]
        return compiled, optimisers

    def compile(self, source: Source, call: ast.Call, scope: Scope) -> list[tuple[str, Found, str | None]]:
        assert isinstance(call.func, ast.Attribute)
        network = self.network(source, call.func.value, scope)
        chosen = argument(call, 0, "optimizer")
        values: list[tuple[str, Found, str | None]] = []
        if isinstance(chosen, ast.Constant) and str(chosen.value).lower() in OPTIMISERS:
            values.append(("optimizer", source.found(OPTIMISERS[str(chosen.value).lower()], chosen), network))
        elif chosen is not None:
            values += [(hp, f, network) for found, _ in self.optimisers_of(source, chosen, scope) for hp, f in found]
        loss = argument(call, 1, "loss")
        return values + ([("loss", f, network) for f in self.loss(source, loss, scope)] if loss is not None else [])

    def hyperparameters(self) -> dict[str, dict[str, list[Found]]]:
        """{network: {hyperparameter: [Found, ...]}}, in NETWORKS' and HYPERPARAMETERS' order, each value once.
        An autoencoder trained, alone, on labels (its loss's target) is trained as the AE classifier."""
        placed: list[tuple[str, str, Found]] = []
        for site in self.sites():
            alone = next(iter(site.networks)) if len(site.networks) == 1 else None
            named = [found for found, by_name in site.epochs if by_name]
            epochs = named[:1] or [found for found, _ in site.epochs[:1]]
            for hp, found, network in site.values + [("epochs", f, None) for f in epochs]:
                network = network or alone
                if network == alone == "autoencoder" and site.classifies:
                    network = "ae_classifier"
                placed.append((network or "unattributed", hp, found))
        compiled, optimisers = self.top_level()
        reached = {found for _, _, found in placed}
        placed += [(network or "unattributed", hp, found) for hp, found, network in compiled]
        placed += [(network or "unattributed", hp, found) for hp, found, network in optimisers if found not in reached]
        told = {(hp, found) for network, hp, found in placed if network != "unattributed"}
        placed = [(n, hp, f) for n, hp, f in placed if n != "unattributed" or (hp, f) not in told]
        table: dict[str, dict[str, list[Found]]] = {}
        for network in NETWORKS:
            for hp in HYPERPARAMETERS:
                values = list(dict.fromkeys(f for n, h, f in placed if n == network and h == hp))
                if values:
                    table.setdefault(network, {})[hp] = values
        return table
