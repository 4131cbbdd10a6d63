"""tokens family."""

from fastauthlint.checks.tokens.visitor import CHECK

__all__ = ["CHECK"]
