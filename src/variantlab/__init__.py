"""variantlab: a student's exam variant, derived, trained and reported."""

from variantlab.rules import Variant, derive
from variantlab.student import Student, parse_student

__all__ = ["Student", "Variant", "derive", "parse_student"]
