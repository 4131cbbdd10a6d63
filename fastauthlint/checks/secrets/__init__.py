"""secrets family."""

from fastauthlint.checks.secrets.hardcoded_secret import CHECK

__all__ = ["CHECK"]
