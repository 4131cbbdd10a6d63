"""The rule families, one package each. A family package defines `CHECK` in its `__init__`;
adding a package here is all it takes to add a family (the registry finds it)."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from typing import Optional, Tuple

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


# Rules decided outside the families: the per-file phase and the suppression filter.
_CORE_MODULES = {"FAL000": "fastauthlint.analysis", "FAL001": "fastauthlint.suppress"}


def rule_module(rule_id: str, rule_name: str) -> Optional[str]:
    """The module that decides a rule: in its family's package, the module named for the rule
    (`FAL201 owned-query-without-owner-filter` → `checks/ownership/owned_query_without_owner_filter.py`)."""
    if rule_id in _CORE_MODULES:
        return _CORE_MODULES[rule_id]
    module = rule_name.replace("-", "_")
    for check in all_checks():
        if rule_id in check.rules:
            family = ".".join(type(check).__module__.split(".")[:3])  # fastauthlint.checks.<family>
            name = f"{family}.{module}"
            if importlib.util.find_spec(name) is not None:
                return name
    return None
