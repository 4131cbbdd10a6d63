"""The rule families, one package each. A family package defines `CHECK` in its `__init__`;
adding a package here is all it takes to add a family (the registry finds it)."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Tuple

from fastauthlint.checks.base import Check


@functools.lru_cache(maxsize=None)
def all_checks() -> Tuple[Check, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        check = getattr(module, "CHECK", None)
        if isinstance(check, Check):
            found.append(check)
    return tuple(found)
