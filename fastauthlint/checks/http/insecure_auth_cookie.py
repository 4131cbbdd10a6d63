"""FAL603 insecure-auth-cookie (spec §7.4): cookies carrying tokens or sessions MUST be `Secure` and
`HttpOnly` and SHOULD be `SameSite=Lax` or stricter.

Reported: `response.set_cookie(...)` for a cookie that carries a credential — its name says so
(`access_token`, `session`, `jwt`; not CSRF tokens, which scripts must read, nor flags such as
`is_authorized` or `token_expires`) and its value is not a constant or a plain, non-secret value
(`"on"`, `str(user.id)`, `expires.isoformat()`); or, when the name is computed, its value's name
says it is a credential — without `secure=True`, without `httponly=True`, or with `samesite`
None/"none". A call with `**kwargs` is not judged.

`SameSite=None` on a cookie that is `Secure` and `HttpOnly` is a cross-site design, not an
oversight: for a refresh token (a forged cross-site request can only rotate the token pair, whose
answer it cannot read) it is reported as `info`; for a session or access token, whose every
cross-site request is accepted (CSRF), as a warning.

A cookie set only in a branch a development environment takes (`if settings.ENV == "development":`,
`if settings.DEBUG:`, the `else` of `if ENV == "production":`) is reported as `info`: a local
server over plain HTTP needs `secure=False`, and production sets the cookie elsewhere.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

import libcst as cst

from fastauthlint.astutil import argument, literal_str, literal_value, name_of
from fastauthlint.checks.http.constants import ModuleConstants
from fastauthlint.context import FileContext
from fastauthlint.findings import Severity

RULE = "FAL603"

# Cookie names that carry a credential. CSRF tokens are excluded: they must be readable by scripts.
AUTH_COOKIE = re.compile(r"token|session|auth|jwt|sid\b|^sid|access|refresh|credential|remember|login", re.I)
NOT_AUTH_COOKIE = re.compile(r"csrf|xsrf|consent|theme|lang|locale|^(is|has)_|_(expired|authorized|present)$|"
                             r"expir|_at$|_ttl$|_age$|_hint$|_state$|_mode$|_flag$|"
                             r"_(provider|method|type|kind|redirect|next|return_to|url|uri|path)$", re.I)
# Values that carry a credential, and plain values that do not (an id, a name, a time, a flag).
_CREDENTIAL_VALUE = re.compile(r"token|session|sid$|jwt|secret|key$|cookie|credential|signed|encoded|sealed|"
                               r"encrypted|hash", re.I)
_PLAIN_VALUE = re.compile(r"(^|_)(id|uid|user_?id|name|username|email|theme|lang|locale|count|enabled|role|"
                          r"state|mode|flag|expires?|expiry|expiration|time|timestamp|date|at|url|path)$|^(is|has)_",
                          re.I)
_CREDENTIAL_CALL = re.compile(r"token|encode|sign|session|jwt|uuid|urlsafe|hex|digest|random|secret|dumps_signed",
                              re.I)
_PLAIN_CALLS = {"isoformat", "timestamp", "strftime", "lower", "upper", "title"}


def is_set_cookie(node: cst.Call) -> bool:
    return isinstance(node.func, cst.Attribute) and node.func.attr.value == "set_cookie"


def check(ctx: FileContext, constants: ModuleConstants, node: cst.Call) -> Optional[Tuple[str, Optional[Severity]]]:
    """The finding's message and severity (None: the rule's) for a `set_cookie` call, or None."""
    key = argument(node, "key", 0)
    value = argument(node, "value", 1)
    name = literal_str(constants.value(key)) if key is not None else None
    kind = _value_kind(value, constants) if value is not None else "constant"
    if name is not None:
        if not AUTH_COOKIE.search(name) or NOT_AUTH_COOKIE.search(name) or kind in ("constant", "plain"):
            return None
        label = f"'{name}'"
    else:
        shown = name_of(value) if value is not None else None
        if not shown or kind != "credential" or NOT_AUTH_COOKIE.search(shown):
            return None
        label = f"holding `{shown}`"
    missing = []
    for attr, position, flag in (("secure", 6, "Secure"), ("httponly", 7, "HttpOnly")):
        arg = argument(node, attr, position)
        if arg is None or constants.flag(arg) is False:
            missing.append(flag)
    samesite_none = False
    samesite = argument(node, "samesite", 8)
    if samesite is not None:
        s = literal_value(constants.value(samesite), "unknown")
        samesite_none = s is None or (isinstance(s, str) and s.lower() == "none")
    if any(arg.star == "**" for arg in node.args) or not (missing or samesite_none):
        return None
    if not missing:
        refresh = re.search(r"refresh", name or name_of(value) or "", re.I) is not None
        if refresh:
            return (f"refresh-token cookie {label} is set with SameSite=None: every site's requests carry it "
                    "(fine for a cross-site frontend when the refresh route only rotates the token pair; "
                    "otherwise use SameSite Lax or Strict, spec §7.4)"), Severity.INFO
        return (f"auth cookie {label} is set with SameSite=None: every site can make requests that carry it "
                "(CSRF) unless the API checks a CSRF token or the Origin; use SameSite Lax or Strict "
                "(spec §7.4)"), None
    if samesite_none:
        missing.append("SameSite=Lax or Strict")
    return (f"auth cookie {label} is set without {', '.join(missing)}; a token cookie must be "
            "`secure=True, httponly=True` and SameSite Lax or Strict (spec §7.4)"), None


def _value_kind(value: cst.BaseExpression, constants: ModuleConstants, depth: int = 0) -> str:
    """"constant" (a literal, a module constant bound to one), "plain" (an id, a name, a time:
    nothing a forger can use), "credential" (named or made like one), or "unknown"."""
    value = constants.value(value)
    if literal_value(value, _NOT) is not _NOT:
        return "constant"
    if isinstance(value, cst.FormattedString) and not any(
            isinstance(p, cst.FormattedStringExpression) for p in value.parts):
        return "constant"
    if depth > 3:
        return "unknown"
    if isinstance(value, cst.Subscript):
        sl = value.slice[0].slice if len(value.slice) == 1 else None
        key = literal_str(sl.value) if isinstance(sl, cst.Index) else None
        return _word_kind(key) if key else _value_kind(value.value, constants, depth + 1)
    if isinstance(value, (cst.Name, cst.Attribute)):
        return _word_kind(name_of(value) or "")
    if isinstance(value, cst.Call):
        callee = name_of(value.func) or ""
        if callee in ("str", "int") and len(value.args) == 1:
            return _value_kind(value.args[0].value, constants, depth + 1)
        if callee in _PLAIN_CALLS:
            return "plain"
        if _CREDENTIAL_CALL.search(callee):
            return "credential"
    return "unknown"


def _word_kind(word: str) -> str:
    if _CREDENTIAL_VALUE.search(word):
        return "credential"
    if _PLAIN_VALUE.search(word):
        return "plain"
    return "unknown"


_NOT = object()


_DEV_VALUES = frozenset({"dev", "develop", "development", "local", "localhost", "debug", "devel"})
_PROD_VALUES = frozenset({"prod", "production", "live"})
_DEV_FLAG = re.compile(r"(^|[._])(debug|dev|development|is_dev|is_development|is_local|local_dev)$", re.I)
_PROD_FLAG = re.compile(r"(^|[._])(is_prod|is_production|production)$", re.I)


def development_test(test: cst.BaseExpression, negated: bool = False) -> bool:
    """Is `test` (or, `negated`, its opposite) true only in a development environment:
    `ENV == "development"`, `env in ("dev", "local")`, `settings.DEBUG`, `ENV != "production"`,
    `not settings.is_production`?"""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return development_test(test.expression, not negated)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        values = _literal_strings(right) or _literal_strings(test.left)
        if not values:
            return False
        equal = isinstance(op, (cst.Equal, cst.In, cst.Is))
        if not equal and not isinstance(op, (cst.NotEqual, cst.NotIn, cst.IsNot)):
            return False
        if equal != negated:
            return values <= _DEV_VALUES
        return values <= _PROD_VALUES
    shown = name_of(test) if isinstance(test, (cst.Name, cst.Attribute)) else None
    if not shown:
        return False
    return bool(_PROD_FLAG.search(shown)) if negated else bool(_DEV_FLAG.search(shown))


def _literal_strings(expr: cst.BaseExpression) -> frozenset:
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        vals = [literal_str(el.value) for el in expr.elements]
    else:
        vals = [literal_str(expr)]
    if not vals or any(v is None for v in vals):
        return frozenset()
    return frozenset(v.lower() for v in vals)


def in_development(found: Tuple[str, Optional[Severity]]) -> Tuple[str, Optional[Severity]]:
    """A finding for a cookie only a development environment sets: info."""
    return f"{found[0]}; only a development branch sets it", Severity.INFO
