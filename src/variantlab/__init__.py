"""variantlab: a student's exam variant, derived, trained and reported."""

__version__ = "0.1.0"

from variantlab.pipeline import run  # noqa: E402  (pipeline reads __version__)
from variantlab.rules import Variant, derive  # noqa: E402
from variantlab.student import Student, parse_student  # noqa: E402

__all__ = ["Student", "Variant", "derive", "parse_student", "run"]
