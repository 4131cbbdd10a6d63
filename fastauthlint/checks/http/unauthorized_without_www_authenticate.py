"""FAL601 unauthorized-without-www-authenticate (spec §4.7): a 401 response MUST carry
`WWW-Authenticate: Bearer` (RFC 6750 §3).

Reported: an `HTTPException` or a response class (`JSONResponse`, `Response`, ...) built with status
401 (`401`, `status.HTTP_401_UNAUTHORIZED`, `HTTPStatus.UNAUTHORIZED`) whose `headers` are missing or
a dict literal (perhaps a module constant) without `WWW-Authenticate`. Headers built elsewhere, or
given through `**kwargs` or a `{**base}` splat, are not guessed at.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from fastauthlint.astutil import argument, literal_str, literal_value
from fastauthlint.checks.http.constants import ModuleConstants
from fastauthlint.context import FileContext

RULE = "FAL601"

HTTP_EXCEPTIONS = {
    "fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException",
}
_RESPONSE_CLASSES = ("Response", "JSONResponse", "PlainTextResponse", "HTMLResponse", "ORJSONResponse",
                     "UJSONResponse", "RedirectResponse")
RESPONSES = {f"{m}.{c}" for m in ("fastapi", "fastapi.responses", "starlette.responses") for c in _RESPONSE_CLASSES}
CALLS = HTTP_EXCEPTIONS | RESPONSES
_HTTPSTATUS = {"UNAUTHORIZED": 401}


def _status_code(ctx: FileContext, expr: Optional[cst.BaseExpression]) -> Optional[int]:
    """401 from `401`, `status.HTTP_401_UNAUTHORIZED`, `HTTP_401_UNAUTHORIZED`, `HTTPStatus.UNAUTHORIZED`."""
    if expr is None:
        return None
    value = literal_value(expr, None)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    q = ctx.qualify(expr)
    if q is None:
        return None
    m = re.match(r"^(?:fastapi|starlette)\.status\.HTTP_(\d{3})_", q)
    if m:
        return int(m.group(1))
    if q.startswith("http.HTTPStatus."):
        return _HTTPSTATUS.get(q.rsplit(".", 1)[1])
    return None


def check(ctx: FileContext, constants: ModuleConstants, node: cst.Call, what: str) -> Optional[str]:
    """The finding's message for a call of `what` (one of CALLS), or None."""
    if what in HTTP_EXCEPTIONS:
        status, headers = argument(node, "status_code", 0), argument(node, "headers", 2)
    else:
        status, headers = argument(node, "status_code", 1), argument(node, "headers", 2)
    if _status_code(ctx, status) != 401:
        return None
    if any(arg.star == "**" for arg in node.args):
        return None  # headers may come through **kwargs we cannot see
    if headers is not None:
        headers = constants.value(headers)
        if not isinstance(headers, cst.Dict):
            return None  # built elsewhere: not ours to guess
        keys = []
        for el in headers.elements:
            if not isinstance(el, cst.DictElement):
                return None  # `{**base, ...}`
            key = literal_str(el.key)
            if key is None:
                return None
            keys.append(key.lower())
        if "www-authenticate" in keys:
            return None
    short = what.rsplit(".", 1)[1]
    return (f"{short} answers 401 without a `WWW-Authenticate` header; add "
            "`headers={\"WWW-Authenticate\": \"Bearer\"}` (RFC 6750 §3, spec §4.7)")
