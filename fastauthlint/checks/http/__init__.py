"""http family."""

from fastauthlint.checks.http.visitor import CHECK

__all__ = ["CHECK"]
