"""ownership family."""

from fastauthlint.checks.ownership.visitor import CHECK

__all__ = ["CHECK"]
