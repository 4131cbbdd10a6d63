"""An exception handler for `HTTPException` (or for 401s) that rebuilds the answer without the
exception's `headers` (`return JSONResponse(status_code=exc.status_code, content=...)`): every
challenge a 401 carries — FastAPI's security classes' included — is dropped on the way out. FAL601
reports it once, at the handler, and shows the 401s raised without a challenge as `info`: adding
the header where they are raised would change nothing until the handler passes it on.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from fastauthlint.astutil import argument, descendants, name_of, parameters

_RESPONSES = frozenset({"JSONResponse", "Response", "ORJSONResponse", "UJSONResponse", "PlainTextResponse"})


def dropping_response(func: cst.FunctionDef) -> Optional[cst.Call]:
    """The response the handler builds with the exception's status and without its headers."""
    params = parameters(func)
    if len(params) != 2:
        return None
    exc = params[1].name.value
    found = None
    for n in descendants(func.body):
        if isinstance(n, cst.Call) and name_of(n.func) in ("http_exception_handler", "_http_exception_handler"):
            return None  # hands it to FastAPI's own handler, which keeps the headers
        if not (isinstance(n, cst.Call) and name_of(n.func) in _RESPONSES):
            continue
        status = argument(n, "status_code", 1)
        if not (isinstance(status, cst.Attribute) and status.attr.value == "status_code"
                and isinstance(status.value, cst.Name) and status.value.value == exc):
            continue
        if argument(n, "headers", 2) is not None or any(a.star == "**" for a in n.args):
            return None  # headers given (perhaps the exception's): not ours to guess
        found = n
    if found is not None and any(isinstance(n, cst.Attribute) and n.attr.value == "headers"
                                 and isinstance(n.value, cst.Name) and n.value.value == exc
                                 for n in descendants(func.body)):
        return None  # `response.headers.update(exc.headers)` or the like
    return found


def message(what: str) -> str:
    return (f"this exception handler answers every `HTTPException` with a new `{what}` without the exception's "
            f"`headers`: the `WWW-Authenticate` challenge of every 401 (FastAPI's security classes send one) is "
            f"dropped; pass `headers=getattr(exc, \"headers\", None)` (RFC 7235 §3.1, spec §4.7)")


NOTE = (" (the exception handler at {where} drops the headers of every HTTPException: fix it there first, or this "
        "header will not reach the client)")
