"""FAL603 insecure-auth-cookie (spec §7.4): cookies carrying tokens or sessions MUST be `Secure` and
`HttpOnly` and SHOULD be `SameSite=Lax` or stricter.

Reported: `response.set_cookie(...)` for a cookie whose name (or, when the name cannot be read, the
value's name) says it carries a credential (`access_token`, `session`, `jwt`; not CSRF tokens, which
scripts must read, nor flags such as `is_authorized`) without `secure=True`, without
`httponly=True`, or with `samesite` None/"none". A call with `**kwargs` is not judged.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from fastauthlint.astutil import argument, literal_str, literal_value, name_of
from fastauthlint.checks.http.constants import ModuleConstants

RULE = "FAL603"

# Cookie names that carry a credential. CSRF tokens are excluded: they must be readable by scripts.
AUTH_COOKIE = re.compile(r"token|session|auth|jwt|sid\b|^sid|access|refresh|credential|remember|login", re.I)
NOT_AUTH_COOKIE = re.compile(r"csrf|xsrf|consent|theme|lang|locale|^(is|has)_|_(expired|authorized|present)$",
                             re.I)  # flags such as `is_authorized` say nothing a forger can use


def is_set_cookie(node: cst.Call) -> bool:
    return isinstance(node.func, cst.Attribute) and node.func.attr.value == "set_cookie"


def check(constants: ModuleConstants, node: cst.Call) -> Optional[str]:
    """The finding's message for a `set_cookie` call, or None."""
    key = argument(node, "key", 0)
    value = argument(node, "value", 1)
    name = literal_str(constants.value(key)) if key is not None else None
    if name is not None:
        if not AUTH_COOKIE.search(name) or NOT_AUTH_COOKIE.search(name):
            return None
        label = f"'{name}'"
    else:
        shown = name_of(value) if value is not None else None
        if not shown or not AUTH_COOKIE.search(shown) or NOT_AUTH_COOKIE.search(shown):
            return None
        label = f"holding `{shown}`"
    missing = []
    for attr, position, flag in (("secure", 6, "Secure"), ("httponly", 7, "HttpOnly")):
        arg = argument(node, attr, position)
        if arg is None or constants.flag(arg) is False:
            missing.append(flag)
    samesite = argument(node, "samesite", 8)
    if samesite is not None:
        s = literal_value(constants.value(samesite), "unknown")
        if s is None or (isinstance(s, str) and s.lower() == "none"):
            missing.append("SameSite=Lax or Strict")
    if any(arg.star == "**" for arg in node.args) or not missing:
        return None
    return (f"auth cookie {label} is set without {', '.join(missing)}; a token cookie must be "
            "`secure=True, httponly=True` and SameSite Lax or Strict (spec §7.4)")
