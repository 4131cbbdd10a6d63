"""FAL601 unauthorized-without-www-authenticate (spec §4.7): a 401 response MUST carry a
`WWW-Authenticate` challenge naming the scheme in use (RFC 7235 §3.1; `Bearer` for the
specification's tokens, RFC 6750 §3).

A candidate: an `HTTPException` or a response class (`JSONResponse`, `Response`, ...) built with
status 401 (`401`, `status.HTTP_401_UNAUTHORIZED`, `HTTPStatus.UNAUTHORIZED`) whose `headers` are
missing or a dict literal (perhaps a module constant) without `WWW-Authenticate`. Headers built
elsewhere, or given through `**kwargs` or a `{**base}` splat, are not guessed at.

Reported where the 401 can reach a client that authenticates with a scheme: delivery.py says what
one file shows (never raised, WebSocket handlers, authentication backends and middleware, replaced
by an `except`, webhook signatures, pages, misconfiguration), link.py what the project shows (a
function nothing calls or only WebSocket handlers call, a branch its dependency excludes, an
exception handler that adds the challenge). The message names the scheme (schemes.py).
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from fastauthlint.astutil import argument, literal_str
from fastauthlint.checks.http import schemes
from fastauthlint.checks.http.constants import ModuleConstants, status_code
from fastauthlint.context import FileContext

RULE = "FAL601"

HTTP_EXCEPTIONS = {
    "fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException",
}
_RESPONSE_CLASSES = ("Response", "JSONResponse", "PlainTextResponse", "HTMLResponse", "ORJSONResponse",
                     "UJSONResponse", "RedirectResponse")
RESPONSES = {f"{m}.{c}" for m in ("fastapi", "fastapi.responses", "starlette.responses") for c in _RESPONSE_CLASSES}
CALLS = HTTP_EXCEPTIONS | RESPONSES


def without_challenge(ctx: FileContext, constants: ModuleConstants, node: cst.Call, what: str) -> bool:
    """Is this call of `what` (one of CALLS) a 401 built without a `WWW-Authenticate` header?"""
    if what in HTTP_EXCEPTIONS:
        status, headers = argument(node, "status_code", 0), argument(node, "headers", 2)
    else:
        status, headers = argument(node, "status_code", 1), argument(node, "headers", 2)
    if status_code(ctx, status) != 401:
        return False
    if any(arg.star == "**" for arg in node.args):
        return False  # headers may come through **kwargs we cannot see
    if headers is None:
        return True
    headers = constants.value(headers)
    if not isinstance(headers, cst.Dict):
        return False  # built elsewhere: not ours to guess
    keys = []
    for el in headers.elements:
        if not isinstance(el, cst.DictElement):
            return False  # `{**base, ...}`
        key = literal_str(el.key)
        if key is None:
            return False
        keys.append(key.lower())
    return "www-authenticate" not in keys


def message(what: str, scheme: str, ambiguous: Sequence[str] = (), client_auth: bool = False) -> str:
    if ambiguous:
        fix = (f"add a `WWW-Authenticate` header naming the scheme this request authenticates with "
               f"({schemes.shown(ambiguous)})")
    else:
        fix = f"add `headers={{\"WWW-Authenticate\": \"{scheme}\"}}`"
    if client_auth:
        return (f"{what} answers 401 without a `WWW-Authenticate` header where an OAuth2 client authenticates "
                f"with its secret; a failed client authentication (`invalid_client`) is challenged with the "
                f"client's scheme: {fix}; a failed grant (wrong code, password or refresh token) is 400 "
                f"`invalid_grant` (RFC 6749 §5.2, RFC 7235 §3.1, spec §4.7)")
    return f"{what} answers 401 without a `WWW-Authenticate` header; {fix} (RFC 7235 §3.1, spec §4.7)"
