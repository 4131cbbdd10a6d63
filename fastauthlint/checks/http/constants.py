"""Module constants behind bare names, for the HTTP-contract rules: `allow_origins=ORIGINS`,
`set_cookie(COOKIE_NAME, ...)`, `headers=AUTH_HEADERS` read as the literal they are bound to."""

from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from fastauthlint.astutil import literal_value, module_constants
from fastauthlint.context import FileContext


class ModuleConstants:
    """The file's module constants, collected once, when a rule first needs one."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self._constants: Optional[Dict[str, cst.BaseExpression]] = None

    def value(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """A module-level constant's value for a bare name (`ORIGINS`), else the expression."""
        if isinstance(expr, cst.Name):
            if self._constants is None:
                self._constants = module_constants(self.ctx.module)
            return self._constants.get(expr.value, expr)
        return expr

    def flag(self, expr: Optional[cst.BaseExpression]) -> Optional[bool]:
        """True/False for a boolean literal or a constant bound to one, else None."""
        if expr is None:
            return None
        value = literal_value(self.value(expr), None)
        return value if isinstance(value, bool) else None
