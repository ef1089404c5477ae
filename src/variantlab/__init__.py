"""variantlab: a student's exam variant, derived, trained and reported."""

__version__ = "0.1.0"

from variantlab.exam.rules import Variant, derive
from variantlab.exam.student import Student, parse_student

__all__ = ["Student", "Variant", "derive", "parse_student", "run"]


def __getattr__(name: str):
    # `run` pulls in torch, torchvision and matplotlib: only when it is asked for, so that deriving a
    # variant (the CLI's `derive`, `import variantlab.exam.rules`) starts in a fraction of a second.
    if name == "run":
        from variantlab.pipeline import run

        return run
    raise AttributeError(f"module 'variantlab' has no attribute {name!r}")
