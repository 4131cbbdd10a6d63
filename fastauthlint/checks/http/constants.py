"""Module constants behind bare names, for the HTTP-contract rules: `allow_origins=ORIGINS`,
`set_cookie(COOKIE_NAME, ...)`, `headers=AUTH_HEADERS` read as the literal they are bound to."""

from __future__ import annotations

import re
from http import HTTPStatus
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


_STATUS_CONSTANT = re.compile(r"^(?:fastapi|starlette)\.status\.HTTP_(\d{3})_")


def status_code(ctx: FileContext, expr: Optional[cst.BaseExpression]) -> Optional[int]:
    """The status an expression names: `401`, `status.HTTP_401_UNAUTHORIZED`, `HTTPStatus.UNAUTHORIZED`."""
    if expr is None:
        return None
    value = literal_value(expr, None)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    q = ctx.qualify(expr)
    if q is None:
        return None
    m = _STATUS_CONSTANT.match(q)
    if m:
        return int(m.group(1))
    if q.startswith("http.HTTPStatus."):
        member = HTTPStatus.__members__.get(q.rsplit(".", 1)[1])
        return int(member) if member is not None else None
    return None
