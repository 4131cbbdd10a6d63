"""FAL602 cors-wildcard-with-credentials (spec §7.3): CORS MUST NOT combine wildcard origins with
credentials.

Reported: `CORSMiddleware` added (`app.add_middleware(CORSMiddleware, ...)`, `Middleware(CORSMiddleware,
...)`) with `allow_credentials=True` and `allow_origins=["*"]` or an `allow_origin_regex` that matches
every origin, literals or module constants: Starlette then echoes the caller's origin, so any
website can make credentialed requests. Decided when linking (http/link.py): a call in a function
nothing that runs calls adds no middleware; in a project where nothing sets or reads a cookie, a
cookie session or HTTP Basic (credentials the browser attaches by itself), the credentialed
request carries nothing a header token does not, and the finding is a warning.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from fastauthlint.astutil import argument, literal_str, literal_value
from fastauthlint.checks.http.constants import ModuleConstants
from fastauthlint.context import FileContext

RULE = "FAL602"

# What makes a browser attach a credential to a cross-site request by itself: cookies (set, read,
# a cookie session) and HTTP Basic, which browsers cache.
AMBIENT_CALLS = frozenset({"set_cookie", "Cookie", "APIKeyCookie", "SessionMiddleware", "HTTPBasic",
                           "HTTPBasicCredentials"})
AMBIENT_ATTRIBUTES = frozenset({"cookies", "set_cookie", "delete_cookie", "SessionMiddleware", "HTTPBasic"})


def ambient_attribute(node: cst.Attribute) -> bool:
    """`request.cookies`, `response.set_cookie`, `request.session` (not a database session)."""
    attr = node.attr.value
    if attr == "session":
        return isinstance(node.value, cst.Name) and node.value.value in ("request", "req")
    return attr in AMBIENT_ATTRIBUTES


NO_AMBIENT_NOTE = ("; nothing in the project sets or reads a cookie or uses HTTP Basic, so a credentialed request "
                   "carries no credential the browser attaches by itself (a warning)")

CORS_MIDDLEWARE = {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
MIDDLEWARE_WRAPPERS = {"starlette.middleware.Middleware", "fastapi.middleware.Middleware"}


def is_middleware_call(node: cst.Call, q: Optional[str]) -> bool:
    """`app.add_middleware(...)`, `Middleware(...)`, `CORSMiddleware(...)`: calls that may add CORS."""
    return (isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_middleware") \
        or q in MIDDLEWARE_WRAPPERS or q in CORS_MIDDLEWARE


def adds_cors(ctx: FileContext, node: cst.Call, q: Optional[str]) -> bool:
    """Does this middleware call (`is_middleware_call`) add Starlette's CORSMiddleware?"""
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_middleware":
        target = argument(node, "middleware_class", 0)
        return target is not None and ctx.qualify(target) in CORS_MIDDLEWARE
    first = argument(node, "cls", 0)
    return q in CORS_MIDDLEWARE or (first is not None and ctx.qualify(first) in CORS_MIDDLEWARE)


def check(constants: ModuleConstants, node: cst.Call) -> Optional[str]:
    """The finding's message for a call adding CORSMiddleware, or None."""
    if constants.flag(argument(node, "allow_credentials")) is not True:
        return None
    origins = argument(node, "allow_origins")
    wildcard = None
    if origins is not None:
        value = literal_value(constants.value(origins), None)
        if isinstance(value, (list, tuple, set)) and "*" in value:
            wildcard = 'allow_origins=["*"]'
    regex = argument(node, "allow_origin_regex")
    if regex is not None:
        pattern = literal_str(constants.value(regex))
        if pattern is not None and pattern.strip("^$") in (".*", ".+", "https?://.*", "https?://.+", "(.*)"):
            wildcard = f"allow_origin_regex={pattern!r}"
    if not wildcard:
        return None
    return (f"CORSMiddleware with {wildcard} and allow_credentials=True lets any website make "
            "credentialed requests (Starlette echoes the caller's origin); list the frontend's "
            "origins explicitly (spec §7.3)")
