"""FAL602 cors-wildcard-with-credentials (spec §7.3): CORS MUST NOT combine wildcard origins with
credentials.

Reported: `CORSMiddleware` added (`app.add_middleware(CORSMiddleware, ...)`, `Middleware(CORSMiddleware,
...)`) with `allow_credentials=True` and `allow_origins=["*"]` or an `allow_origin_regex` that matches
every origin, literals or module constants: Starlette then echoes the caller's origin, so any
website can make credentialed requests.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from fastauthlint.astutil import argument, literal_str, literal_value
from fastauthlint.checks.http.constants import ModuleConstants
from fastauthlint.context import FileContext

RULE = "FAL602"

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
