"""A submission's code parsed, never run: each cell's syntax tree (parsed leniently, once), the integer and
float constants it names, and the small helpers every reader of the trees uses.

A cell that does not parse (IPython magics, a typo) is still read: each line the parser stops at is set
aside and the rest parsed again, so one bad line costs that line, not the cell. Comments are not code.
Every value read from the code is a `Found`: the value, where it was found and the line that shows it.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from variantlab.check.submission import Piece


@dataclass(frozen=True)
class Found:
    value: object  # in `variantlab derive --json`'s spelling where it has one
    where: str
    excerpt: str
    role: str = ""  # what the code uses the value for, where it says: "train" or "test" for a dataset


@dataclass
class Source:
    """A parsed code piece: its tree, and its lines for excerpts."""

    piece: Piece
    tree: ast.Module
    lines: list[str]

    def found(self, value, node: ast.AST, excerpt: str | None = None, role: str = "") -> Found:
        line = getattr(node, "lineno", 1)
        text = excerpt if excerpt is not None else self.lines[line - 1].strip() if line <= len(self.lines) else ""
        return Found(value, self.piece.where(line), text[:200], role)


RETRIES = 20  # lines set aside before a cell is read one line at a time instead
MAX_CODE = 1_000_000  # characters of one cell or script that are parsed: far beyond any student's
TOO_DEEP = (SyntaxError, ValueError, RecursionError, MemoryError)  # what parsing a hostile cell may raise


def parse(source: str) -> ast.Module:
    """ast.parse, quietly: a student's regular expression in a plain string is their business, not a warning
    on the grader's screen."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def parse_lenient(code: str) -> ast.Module | None:
    """The cell's syntax tree, None where nothing in it parses (or it is over MAX_CODE). Lines the parser
    cannot take (magics, shell escapes, typos) become `pass`; a cell with more of them than RETRIES is read
    line by line, each line that parses alone kept."""
    if len(code) > MAX_CODE:
        return None
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
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return ".".join(names[::-1])


def root_name(node: ast.AST) -> str | None:
    """'model' for `model`, `model.fc`, `model.to(device)`, `model[0]`: the variable an expression starts from."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def keyword(call: ast.Call, *names: str) -> ast.expr | None:
    """The value of the first of `names` given as a keyword argument."""
    return next((k.value for k in call.keywords if k.arg in names), None)


def argument(call: ast.Call, index: int, *names: str) -> ast.expr | None:
    """An argument given by keyword (any of `names`) or else at position `index`."""
    given = keyword(call, *names)
    if given is not None:
        return given
    return call.args[index] if len(call.args) > index and not isinstance(call.args[index], ast.Starred) else None


NAMED = 200  # nodes of an expression whose names are read


def names_in(node: ast.AST) -> list[str]:
    """An expression's names, attributes and string keys: `df['label'] % 2` -> ['df', 'label']; of its first
    NAMED nodes (a name is a few nodes deep; a hostile expression is thousands)."""
    names = []
    for n in islice(ast.walk(node), NAMED):
        if isinstance(n, ast.Name):
            names.append(n.id)
        elif isinstance(n, ast.Attribute):
            names.append(n.attr)
        elif isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str):
            names.append(n.slice.value)
    return names


def words(node: ast.AST) -> set[str]:
    """The words of an expression's names: `x_test` -> {'x', 'test'}, `self.logVar` -> {'self', 'log', 'var'}."""
    return {w.lower() for name in names_in(node) for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)}


LABEL_WORDS = {"y", "label", "labels", "target", "targets", "t", "lbl", "cls", "class", "classes", "digit"}


def label_like(node: ast.AST) -> bool:
    """A label: named so (`y`, `train_set.targets`, `df['label']`), or a sample's second item (`ds[i][1]`)."""
    return bool(words(node) & LABEL_WORDS) or (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                                               and node.slice.value == 1)


LARGEST = 10**6  # an integer a network could mean; beyond it, products of products only cost time
MAX_REPEAT = 64  # loop repetitions counted: no network of the exam has more layers


class Constants:
    """Numbers a submission names at module level (`FILTERS = 10`, `LR = 1e-3`), to read `Conv2d(1, FILTERS,
    5)`, and the integer defaults of its functions' arguments (`def __init__(self, filters=10)`)."""

    def __init__(self, sources: list[Source], functions: list[ast.FunctionDef]):
        self.values: dict[str, int] = {}
        self.floats: dict[str, float] = {}
        for source in sources:
            for node in source.tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    name = node.targets[0].id
                    value = self.number(node.value)
                    if value is not None:
                        self.values[name] = value
                    elif (real := self.real(node.value)) is not None:
                        self.floats[name] = float(real)
        for function in functions:
            for arg, default in defaults(function):
                value = self.number(default)
                if value is not None:
                    self.values.setdefault(arg.arg, value)

    def over(self, other: Constants) -> Constants:
        """These constants, and `other`'s where these do not name them."""
        own = set(self.values) | set(self.floats)
        self.values = {k: v for k, v in other.values.items() if k not in own} | self.values
        self.floats = {k: v for k, v in other.floats.items() if k not in own} | self.floats
        return self

    def number(self, node: ast.AST | None, names: Mapping[str, float | None] | None = None) -> int | None:
        """An integer expression's value, where it is one of literals and named constants (and `names`, numbers
        bound to names for the occasion: a function's arguments); None beyond LARGEST."""
        try:
            return self._number(node, names or {})
        except RecursionError:  # an expression nested deeper than Python recurses: no number a network means
            return None

    def _number(self, node: ast.AST | None, names: Mapping[str, float | None]) -> int | None:
        value = None
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            value = node.value
        elif isinstance(node, ast.Name):
            bound = names[node.id] if node.id in names else self.values.get(node.id)
            value = bound if isinstance(bound, int) else None
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self._number(node.operand, names)
            value = -inner if inner is not None else None
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
            left, right = self._number(node.left, names), self._number(node.right, names)  # each capped: small
            if left is not None and right is not None and not (isinstance(node.op, ast.FloorDiv) and right == 0):
                ops = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}
                value = ops.get(type(node.op), left // right if right else 0)
        return value if value is None or abs(value) <= LARGEST else None

    def real(self, node: ast.AST | None, names: Mapping[str, float | None] | None = None) -> float | None:
        """A number written as literals and named constants (`1e-3`, `LR`, `0.1 * 2`, `10**-3`, `1 / 1000`)."""
        try:
            return self._real(node, names or {})
        except RecursionError:
            return None

    def _real(self, node: ast.AST | None, names: Mapping[str, float | None]) -> float | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id] if node.id in names else self.floats.get(node.id, self.values.get(node.id))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self._real(node.operand, names)
            return -inner if inner is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
            left, right = self._real(node.left, names), self._real(node.right, names)
            if left is None or right is None or abs(left) > LARGEST or abs(right) > LARGEST:
                return None
            if isinstance(node.op, ast.Pow):
                if left <= 0 or abs(right * math.log10(left)) > 30:  # 10**-3 is a rate; 10**400 someone's joke
                    return None
                return float(left) ** right
            if isinstance(node.op, ast.Div):
                return left / right if right else None
            return left * right if isinstance(node.op, ast.Mult) else left + right if isinstance(node.op, ast.Add) \
                else left - right
        return None

    def loop_count(self, node: ast.AST) -> int:
        """How many times `for ... in node` runs, where it can be read off: a range or a literal list; else once."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return min(len(node.elts), MAX_REPEAT)
        return self.range_length(node) or 1

    def range_length(self, node: ast.AST, limit: int = MAX_REPEAT, names: Mapping[str, float | None] | None = None
                     ) -> int | None:
        """len(range(...)) for a `range` call of literal (or named-constant) arguments, at most `limit`."""
        if not (isinstance(node, ast.Call) and call_name(node) in ("range", "trange") and 1 <= len(node.args) <= 3):
            return None
        values = [self.number(a, names) for a in node.args]
        if any(v is None for v in values) or (len(values) == 3 and values[2] == 0):
            return None
        return min(len(range(*values)), limit)  # type: ignore[arg-type]


def defaults(function: ast.FunctionDef | ast.Lambda) -> list[tuple[ast.arg, ast.expr]]:
    """(argument, default) of each argument of `function` that has a default."""
    args = function.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
    return pairs + [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]


Nodes = list[tuple[Source, ast.AST]]


def scopes(sources: list[Source]) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, Nodes]]:
    """The nodes of each scope a name lives in, in the order the code reads: the module (every cell's top
    level together, as a notebook runs them; a function's definition is the module's), and each function's
    body apart (a method's, a nested function's), with its function."""
    found: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, Nodes]] = []

    def collect(source: Source, roots: list[ast.stmt], into: Nodes) -> None:
        stack: list[ast.AST] = list(roots[::-1])  # popped in the order the code reads
        while stack:
            node = stack.pop()
            into.append((source, node))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((node, []))
                collect(source, node.body, found[-1][1])
                stack.extend([*node.decorator_list, node.args][::-1])
            else:
                stack.extend(list(ast.iter_child_nodes(node))[::-1])

    module: Nodes = []
    for source in sources:
        collect(source, source.tree.body, module)
    return [(None, module), *found]


class Code:
    """The code pieces of one submission, each parsed once (a piece keeps its tree), and their constants: a
    notebook's cells share theirs, each script of a folder has its own (over the others', which it may
    import)."""

    def __init__(self, pieces: list[Piece]):
        self.sources: list[Source] = []
        self.unparsed: list[Piece] = []  # code pieces of which nothing parses
        for piece in pieces:
            if piece.tree is None:
                self.unparsed.append(piece)
            else:
                self.sources.append(Source(piece, piece.tree, piece.text.splitlines()))
        self.scopes = scopes(self.sources)  # each tree walked once, here: every reader iterates these
        self._nodes = [pair for _, nodes in self.scopes for pair in nodes]
        functions = [(s, node) for s, node in self._nodes if isinstance(node, ast.FunctionDef)]
        every = Constants(self.sources, [node for _, node in functions])
        files = list(dict.fromkeys(s.piece.file for s in self.sources))
        self.files = {file: Constants([s for s in self.sources if s.piece.file == file],
                                      [node for s, node in functions if s.piece.file == file]).over(every)
                      for file in files} if len(files) > 1 else dict.fromkeys(files, every)

    def constants_of(self, source: Source) -> Constants:
        return self.files[source.piece.file]

    def nodes(self) -> Iterator[tuple[Source, ast.AST]]:
        return iter(self._nodes)

    def calls(self) -> Iterator[tuple[Source, ast.Call]]:
        for source, node in self.nodes():
            if isinstance(node, ast.Call):
                yield source, node
