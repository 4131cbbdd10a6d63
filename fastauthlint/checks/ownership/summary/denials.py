"""Denials: how an ownership failure is answered (`raise HTTPException(status_code=403)`, a custom
exception, `abort(404)`, `return JSONResponse(status_code=...)`, a bare `return`), with the status
when it can be told; FAL202 compares it with the configured answer at link time."""

from __future__ import annotations

import builtins

from typing import Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import Denial
from fastauthlint.checks.ownership.models import status_of
from fastauthlint.checks.ownership.summary.known import (
    FORBIDDEN_NAME, HTTP_EXCEPTIONS, NOT_FOUND_NAME, RAISER, RESPONSES,
)
from fastauthlint.checks.ownership.summary.state import WalkState
from fastauthlint.checks.ownership.summary.syntax import block_statements
from fastauthlint.findings import Span
from fastauthlint.project.names import dotted


class DenialRecognition(WalkState):
    @property
    def _test_span(self) -> Optional[Span]:
        """Where the condition of the refusal being located is: the refusal is searched after it."""
        if self._test_span_cache is None and self._test_node is not None:
            self._test_span_cache = self.loc.span(self._test_node)
        return self._test_span_cache

    def denial_in(self, block) -> Optional[Denial]:
        for stmt in block_statements(block):
            d = self.denial_stmt(stmt)
            if d is not None:
                return d
        return None

    def denial_stmt(self, stmt) -> Optional[Denial]:
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ()
        for small in smalls:
            if isinstance(small, cst.Raise) and small.exc is not None:
                exc = small.exc
                if isinstance(exc, cst.Name) and exc.value in self.exceptions:
                    d = self.exceptions[exc.value]
                    return Denial(span=self.loc.span(small, after=self._test_span), status=d.status, text=d.text, exception=d.exception)
                if isinstance(exc, cst.Call):
                    d = self.exception_denial(exc)
                    if d is not None:
                        return Denial(span=self.loc.span(small, after=self._test_span), status=d.status, text=d.text, exception=d.exception)
                q = self.ctx.qualify(exc) if isinstance(exc, (cst.Name, cst.Attribute)) else None
                name = astutil.name_of(exc) or ""
                return Denial(span=self.loc.span(small, after=self._test_span), status=self._status_by_name(name), text=f"raise {name}",
                              exception=q or "")
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Call, cst.Await)):
                call = small.value.expression if isinstance(small.value, cst.Await) else small.value
                name = astutil.name_of(call.func) if isinstance(call, cst.Call) else ""
                if name and RAISER.match(name):
                    st = status_of(call.args[0].value) if call.args else None
                    return Denial(span=self.loc.span(small, after=self._test_span), status=st or self._status_by_name(name),
                                  text=f"{name}(...)")
            if isinstance(small, cst.Return):
                v = small.value
                if isinstance(v, cst.Call) and (astutil.name_of(v.func) or "") in RESPONSES:
                    st = status_of(astutil.argument(v, "status_code"))
                    return Denial(span=self.loc.span(small, after=self._test_span), status=st,
                                  text=f"{astutil.name_of(v.func)}(status_code={st})", returns="value")
                return Denial(span=self.loc.span(small, after=self._test_span), status=None, text="return",
                              returns=_returned(v))
        return None

    def exception_denial(self, call: cst.Call) -> Optional[Denial]:
        q = self.ctx.qualify(call.func) or dotted(call.func) or ""
        name = astutil.name_of(call.func) or ""
        if q in HTTP_EXCEPTIONS or name == "HTTPException":
            st = status_of(astutil.argument(call, "status_code", 0))
            return Denial(span=Span(0, 0, 0, 0), status=st, text=f"HTTPException(status_code={st if st else '?'})")
        if name and name[:1].isupper() and (name.endswith(("Error", "Exception")) or FORBIDDEN_NAME.search(name)
                                           or NOT_FOUND_NAME.search(name)):
            st = status_of(astutil.argument(call, "status_code")) or (
                # Python's own `PermissionError`/`LookupError` carry no HTTP status: unhandled, the
                # client gets a 500 (a handler the project registers for it is not read here)
                None if q == name and isinstance(getattr(builtins, name, None), type) else self._status_by_name(name))
            return Denial(span=Span(0, 0, 0, 0), status=st, text=f"{name}(...)", exception=q if "." in q else "")
        return None

    @staticmethod
    def _status_by_name(name: str) -> Optional[int]:
        if NOT_FOUND_NAME.search(name):
            return 404
        if FORBIDDEN_NAME.search(name):
            return 403
        return None


def _empty(v) -> bool:
    return v is None or (isinstance(v, cst.Name) and v.value in ("None", "False")) or (
        isinstance(v, (cst.List, cst.Tuple, cst.Dict)) and not v.elements)


def _returned(v) -> str:
    """What a `return` on an ownership mismatch hands back (see Denial.returns)."""
    if _empty(v):
        return "none"
    if isinstance(v, cst.Tuple) and len(v.elements) >= 2:
        empties = [_empty(el.value) for el in v.elements]
        return "pair" if any(empties) and not all(empties) else ""
    return "value" if isinstance(v, (cst.Call, cst.Await, cst.Dict)) else ""
