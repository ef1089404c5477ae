"""The package's layout shows its parts, and imports run downward between them: the exam's rules import
nothing of training, the checker nothing of torch. Read from the source's syntax trees."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "variantlab"
# Parts from the bottom up; a module may import its own part and those below. The modules left at the top
# are foundations every part may use (errors, atomic, locks, provenance) or entry points: pipeline (the main
# job, which the sweep runs), and the command line and the package's own API (cli, __init__, __main__).
ORDER = ("foundation", "exam", "data", "training", "report", "pipeline", "course", "check", "cli")
FOUNDATIONS = {"errors", "atomic", "locks", "provenance"}
ENTRY = {"cli", "__init__", "__main__"}


def part_of(module: str) -> str:
    """'exam' for variantlab.exam.rules; 'foundation', 'pipeline' or 'cli' for a module at the top."""
    parts = module.split(".")
    if len(parts) > 2:
        return parts[1]
    return "foundation" if parts[1] in FOUNDATIONS else "cli" if parts[1] in ENTRY else parts[1]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("variantlab."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("variantlab.")}
    return found


def test_at_most_a_dozen_modules_at_the_top_and_each_part_says_its_job():
    assert len(list(PACKAGE.glob("*.py"))) <= 12
    for part in ORDER[1:-1]:
        if part != "pipeline":
            init = PACKAGE / part / "__init__.py"
            assert ast.get_docstring(ast.parse(init.read_text())), part


def test_imports_run_downward_between_parts():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        module = "variantlab." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        mine = ORDER.index(part_of(module))
        for target in imports(path):
            if ORDER.index(part_of(target)) > mine:
                upward.append(f"{module} imports {target}")
    assert not upward, upward


def test_the_checker_and_the_rules_import_no_torch():
    code = ("import sys, variantlab.check.grading, variantlab.exam.rules, variantlab.cli; "
            "print(sorted(m for m in ('torch', 'torchvision', 'ray') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_the_checker_digest_covers_every_module_a_check_depends_on():
    """A class check reuses a submission's JSON while the checker digest is unchanged: every module the check
    reaches (check.py and its imports, transitively), and those that make the rest of the JSON (rubric.py for
    what marking reads, grading.py for the fingerprint), must be in it."""
    from variantlab.provenance import CHECK_FILES

    def file_of(module: str) -> str:
        return "/".join(module.split(".")[1:]) + ".py"

    todo, reached = ["variantlab.check.check", "variantlab.check.rubric"], set()
    while todo:
        module = todo.pop()
        if module in reached or part_of(module) == "foundation":
            continue
        reached.add(module)
        todo += [m for m in imports(PACKAGE / file_of(module)) if (PACKAGE / file_of(m)).exists()]
    uncovered = ({file_of(m) for m in reached} | {"check/grading.py"}) - set(CHECK_FILES)
    assert not uncovered, uncovered
