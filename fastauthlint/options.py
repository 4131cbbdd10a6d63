"""What a rule option is: declared by a family, read from `[tool.fastauthlint]` (a leaf module, so
that families and the configuration can both import it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple


@dataclass(frozen=True)
class Option:
    """A rule option a check declares; its key lives directly under [tool.fastauthlint]."""

    key: str
    kind: str  # "int" | "bool" | "str" | "list[str]" | "list[int]" | "dict[str,str]"
    default: Any
    help: str
    rules: Tuple[str, ...] = ()
    check: Optional[Callable[[Any], Optional[str]]] = None  # returns an error text or None
