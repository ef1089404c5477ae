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
from dataclasses import dataclass, field

from variantlab.codeparse import Code, Found, Source, argument, call_name, defaults, keyword, root_name
from variantlab.networks import Networks

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
LOOP_WRAPS = {"enumerate", "tqdm", "iter", "notebook"}  # `enumerate(tqdm(train_loader))` iterates the loader
FOLLOW = 3  # functions followed within functions
BUDGET = 400_000  # nodes read over all sites: a hostile file's thousand calls of a huge function stop here


@dataclass(frozen=True)
class Binding:
    """A function's argument as one call passes it: where it is written, its number, the network it is."""

    source: Source
    node: ast.expr
    number: float | None
    network: str | None


Env = dict[str, Binding]


@dataclass
class Site:
    """What one place that trains shows: the networks it uses, and each value with the network the value
    names itself (an optimiser's parameters, a Keras model's `fit`), if any."""

    networks: set[str] = field(default_factory=set)
    values: list[tuple[str, Found, str | None]] = field(default_factory=list)
    epochs: list[tuple[Found, bool]] = field(default_factory=list)  # each training `range` loop, named for epochs


def is_training_call(call: ast.Call) -> bool:
    name = call_name(call)
    return name in TRAINING_CALLS or (name == "step" and re.search("opt", root_name(call.func) or "", re.I) is not None)


class Training:
    def __init__(self, code: Code, networks: Networks):
        self.code = code
        self.constants = code.constants
        named = [(networks.cnn, "cnn"), (networks.autoencoder, "autoencoder")]
        self.model_keys = {m.name: key for m, key in named + [(c, "ae_classifier") for c in networks.classifiers]
                           if m is not None}
        self.assigned: dict[str, list[tuple[Source, ast.expr]]] = defaultdict(list)  # every `name = value`
        self.functions: dict[str, tuple[Source, ast.FunctionDef]] = {}
        self.called: set[str] = set()
        direct: set[str] = set()
        callers: dict[str, set[str]] = defaultdict(set)
        for source in code.sources:
            for node in ast.walk(source.tree):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            self.assigned[target.id].append((source, node.value))
                elif isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, (source, node))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    self.called.add(node.func.id)
        for name, (_, function) in self.functions.items():
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    if is_training_call(node):
                        direct.add(name)
                    elif isinstance(node.func, ast.Name):
                        callers[node.func.id].add(name)
        self.training: set[str] = set()  # functions that train, themselves or through another
        waiting = list(direct)
        while waiting:
            name = waiting.pop()
            if name not in self.training:
                self.training.add(name)
                waiting.extend(callers[name])
        self.budget = BUDGET
        self._networks: dict[str, str | None] = {}

    # What a name or an expression is

    def network(self, node: ast.AST | None, env: Env) -> str | None:
        """The network an expression is: `CNN()`, `CNN().to(device)`, `build_cnn()`, a variable holding one,
        a Keras model by its name, a function's argument bound to one."""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRAPS:
            node = node.func.value
        if isinstance(node, ast.Call):
            return self.model_keys.get(call_name(node))
        if isinstance(node, (ast.Attribute, ast.Subscript)):  # `model.encoder`: the model's part
            name = root_name(node)
            return self.named_network(name, env) if name else None
        return self.named_network(node.id, env) if isinstance(node, ast.Name) else None

    def named_network(self, name: str, env: Env) -> str | None:
        if name in env:
            return env[name].network
        if name in self.model_keys:
            return self.model_keys[name]
        if name not in self._networks:
            self._networks[name] = None  # a name assigned from itself does not recurse forever
            keys = {self.network(value, {}) for _, value in self.assigned.get(name, [])} - {None}
            self._networks[name] = keys.pop() if len(keys) == 1 else None
        return self._networks[name]

    def values_of(self, source: Source, node: ast.AST, env: Env) -> list[tuple[Source, ast.AST, Env]]:
        """What an expression stands for: itself, or for a name, what it is bound to or assigned."""
        if not isinstance(node, ast.Name):
            return [(source, node, env)]
        if node.id not in env:
            return [(s, value, env) for s, value in self.assigned.get(node.id, [])]
        bound = env[node.id]
        if isinstance(bound.node, ast.Name):  # a variable passed: what it is assigned
            return [(s, value, {}) for s, value in self.assigned.get(bound.node.id, [])]
        return [(bound.source, bound.node, {})]

    def numbers(self, env: Env) -> dict[str, float | None]:
        return {name: bound.number for name, bound in env.items()}

    def number(self, source: Source, node: ast.AST | None, env: Env) -> tuple[float, Source, ast.AST] | None:
        """A number as the code writes it, and where: an argument passed to a function is shown at the call."""
        if node is None:
            return None
        if isinstance(node, ast.Name) and node.id in env:
            bound = env[node.id]
            return (bound.number, bound.source, bound.node) if bound.number is not None else None
        value = self.constants.real(node, self.numbers(env))
        return (value, source, node) if value is not None else None

    def found(self, name: str, source: Source, node: ast.AST | None, env: Env) -> list[tuple[str, Found]]:
        got = self.number(source, node, env)
        return [(name, got[1].found(got[0], got[2]))] if got is not None else []

    # The values

    def optimiser(self, source: Source, call: ast.Call, env: Env) -> tuple[list[tuple[str, Found]], str | None]:
        """An optimiser's name and the values written into it; the network whose parameters it is built over."""
        name = OPTIMISERS[call_name(call).lower()]
        params = call.args[0] if call.args else keyword(call, "params")
        owners = {self.network(n.func.value, env) for n in ast.walk(params) if isinstance(n, ast.Call)
                  and call_name(n) == "parameters" and isinstance(n.func, ast.Attribute)} if params else set()
        keras = params is not None and self.number(source, params, env) is not None  # Keras: Adam(0.001)
        values = [("optimizer", source.found(name, call))]
        values += self.found("learning_rate", source, argument(call, 0 if keras else 1, "lr", "learning_rate"), env)
        values += self.found("momentum", source, keyword(call, "momentum") if keras or name != "SGD"
                             else argument(call, 2, "momentum"), env)
        values += self.found("weight_decay", source, keyword(call, "weight_decay", "decay"), env)
        owner = owners.pop() if len(owners) == 1 else None
        return values, owner

    def optimisers_of(self, source: Source, node: ast.AST, env: Env
                      ) -> list[tuple[list[tuple[str, Found]], str | None]]:
        return [self.optimiser(s, value, e) for s, value, e in self.values_of(source, node, env)
                if isinstance(value, ast.Call) and call_name(value) in OPTIMISER_CALLS]

    def loss(self, source: Source, node: ast.AST, env: Env) -> list[Found]:
        """The loss an expression is or names: `nn.CrossEntropyLoss()`, `criterion`, Keras's 'mse'."""
        found = []
        for s, value, _ in self.values_of(source, node, env):
            if isinstance(value, ast.Call) and call_name(value) in LOSS_CALLS:
                found.append(s.found(LOSS_CALLS[call_name(value)], value))
            elif isinstance(value, ast.Constant) and str(value.value).lower() in KERAS_LOSSES:
                found.append(s.found(KERAS_LOSSES[str(value.value).lower()], value))
            elif isinstance(value, ast.Attribute) and value.attr in KERAS_LOSSES | LOSS_CALLS:
                found.append(s.found(KERAS_LOSSES.get(value.attr) or LOSS_CALLS[value.attr], value))
        return found

    def batch(self, source: Source, node: ast.AST, env: Env) -> list[tuple[str, Found]]:
        """The batch size of the loader an expression is or names: `DataLoader(data, batch_size=64)`,
        tf.data's `.batch(64)`."""
        found = []
        for s, value, e in self.values_of(source, node, env):
            for sub in ast.walk(value):
                if isinstance(sub, ast.Call) and call_name(sub) in ("DataLoader", "batch"):
                    found += self.found("batch_size", s, argument(sub, 1 if call_name(sub) == "DataLoader" else 0,
                                                                  "batch_size"), e)
        return found

    # Reading a site

    def trains(self, node: ast.AST) -> bool:
        return any(isinstance(n, ast.Call) and (is_training_call(n) or (
            isinstance(n.func, ast.Name) and n.func.id in self.training)) for n in ast.walk(node))

    def bind(self, source: Source, call: ast.Call, function: ast.FunctionDef, env: Env, home: Source) -> Env:
        """The function's arguments as the call passes them, else their defaults (written where it is defined)."""
        passed: list[tuple[str, Source, ast.expr, Env]] = [(a.arg, home, d, {}) for a, d in defaults(function)]
        positional = [a.arg for a in function.args.posonlyargs + function.args.args]
        passed += [(p, source, value, env) for p, value in zip(positional, call.args, strict=False)
                   if not isinstance(value, ast.Starred)]
        passed += [(k.arg, source, k.value, env) for k in call.keywords if k.arg]
        bound: Env = {}
        for name, where, value, scope in passed:
            if isinstance(value, ast.Name) and value.id in scope:
                bound[name] = scope[value.id]
            else:
                bound[name] = Binding(where, value, self.constants.real(value, self.numbers(scope)),
                                      self.network(value, scope))
        return bound

    def read(self, source: Source, roots: list[ast.stmt], env: Env, site: Site, depth: int) -> None:
        for root in roots:
            for node in ast.walk(root):
                self.budget -= 1
                if self.budget < 0:
                    return
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    if (key := self.network(node, env)) is not None:
                        site.networks.add(key)
                elif isinstance(node, ast.For) and self.trains(node):
                    self.read_loop(source, node, env, site)
                elif isinstance(node, ast.Call):
                    self.read_call(source, node, env, site, depth)

    def read_loop(self, source: Source, loop: ast.For, env: Env, site: Site) -> None:
        """A loop around training: over a loader (its batch size) or over a range (the epochs)."""
        iterated = loop.iter
        while isinstance(iterated, ast.Call) and call_name(iterated) in LOOP_WRAPS and iterated.args:
            iterated = iterated.args[0]
        length = self.constants.range_length(iterated, limit=10**6, names=self.numbers(env))
        if length is not None and isinstance(iterated, ast.Call):
            stop = iterated.args[1] if len(iterated.args) > 1 else iterated.args[0]
            bound = env.get(stop.id) if isinstance(stop, ast.Name) else None  # `range(epochs)`: shown at the call
            at = bound.source.found(length, bound.node) if bound is not None else source.found(length, loop)
            named = isinstance(loop.target, ast.Name) and re.search("ep", loop.target.id, re.I) is not None
            site.epochs.append((at, named))
        else:
            site.values += [(hp, f, None) for hp, f in self.batch(source, iterated, env)]

    def read_call(self, source: Source, call: ast.Call, env: Env, site: Site, depth: int) -> None:
        name = call_name(call)
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if name in OPTIMISER_CALLS:
            values, network = self.optimiser(source, call, env)
            site.values += [(hp, f, network) for hp, f in values]
        elif name in LOSS_CALLS:
            site.values += [("loss", f, None) for f in self.loss(source, call, env)]
        elif name == "step" and owner is not None:
            for values, network in self.optimisers_of(source, owner, env):
                site.values += [(hp, f, network) for hp, f in values]
        elif name == "fit" and owner is not None:
            network = self.network(owner, env)
            values = self.found("epochs", source, argument(call, 3, "epochs"), env)
            values += self.found("batch_size", source, argument(call, 2, "batch_size"), env)
            if not any(hp == "batch_size" for hp, _ in values) and call.args:  # a tf.data pipeline's batches
                values += self.batch(source, call.args[0], env)
            site.values += [(hp, f, network) for hp, f in values]
        elif isinstance(call.func, ast.Name):
            if call.func.id in self.functions and call.func.id in self.training and depth < FOLLOW:
                home, function = self.functions[call.func.id]
                self.read(home, function.body, self.bind(source, call, function, env, home), site, depth + 1)
            else:  # `criterion(outputs, labels)`
                site.values += [("loss", f, None) for f in self.loss(source, call.func, env)
                                if call.func.id in env or call.func.id in self.assigned]

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
                    self.read(source, [statement], {}, sites[-1], 0)
        for name in sorted(self.training - self.called):  # defined, never called: read with its defaults
            home, function = self.functions[name]
            sites.append(Site())
            self.read(home, function.body, {a.arg: Binding(home, d, self.constants.real(d), self.network(d, {}))
                                            for a, d in defaults(function)}, sites[-1], 1)
        return sites

    def compiled(self) -> list[tuple[str, Found, str | None]]:
        """Keras's `compile(optimizer=..., loss=...)`, each for its model; optimisers built at the top level."""
        values: list[tuple[str, Found, str | None]] = []
        for source in self.code.sources:
            for node in ast.walk(source.tree):
                if isinstance(node, ast.Call) and call_name(node) == "compile" and isinstance(node.func, ast.Attribute):
                    network = self.network(node.func.value, {})
                    chosen = argument(node, 0, "optimizer")
                    if isinstance(chosen, ast.Constant) and isinstance(chosen.value, str) \
                            and chosen.value.lower() in OPTIMISERS:
                        values.append(("optimizer", source.found(OPTIMISERS[chosen.value.lower()], chosen), network))
                    elif chosen is not None:
                        values += [(hp, f, network) for found, _ in self.optimisers_of(source, chosen, {})
                                   for hp, f in found]
                    loss = argument(node, 1, "loss")
                    values += [("loss", f, network) for f in self.loss(source, loss, {})] if loss is not None else []
            for node in source.tree.body:
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and call_name(call) in OPTIMISER_CALLS \
                            and not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        found, network = self.optimiser(source, call, {})
                        values += [(hp, f, network) for hp, f in found]
        return values

    def hyperparameters(self) -> dict[str, dict[str, list[Found]]]:
        """{network: {hyperparameter: [Found, ...]}}, in NETWORKS' and HYPERPARAMETERS' order, each value once."""
        placed: list[tuple[str, str, Found]] = []
        for site in self.sites():
            alone = next(iter(site.networks)) if len(site.networks) == 1 else None
            named = [found for found, by_name in site.epochs if by_name]
            epochs = named[:1] or [found for found, _ in site.epochs[:1]]
            for hp, found, network in site.values + [("epochs", f, None) for f in epochs]:
                placed.append((network or alone or "unattributed", hp, found))
        placed += [(network or "unattributed", hp, found) for hp, found, network in self.compiled()]
        told = {(hp, found) for network, hp, found in placed if network != "unattributed"}
        placed = [(n, hp, f) for n, hp, f in placed if n != "unattributed" or (hp, f) not in told]
        table: dict[str, dict[str, list[Found]]] = {}
        for network in NETWORKS:
            for hp in HYPERPARAMETERS:
                values = list(dict.fromkeys(f for n, h, f in placed if n == network and h == hp))
                if values:
                    table.setdefault(network, {})[hp] = values
        return table
