"""routes family."""

from fastauthlint.checks.routes.route_missing_auth import CHECK

__all__ = ["CHECK"]
