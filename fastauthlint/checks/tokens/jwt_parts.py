"""A preview of a JWT (`token[:50]`): what the function shows it holds, and why it is no credential.

A name the function hands to a JWT library's decoder (`jwt.decode(token, ...)`,
`jwt.get_unverified_header(token)`) holds a JWT. A JWT is `header.payload.signature`, and its
signature comes last: a prefix leaves it out, so the preview cannot be replayed. A prefix of at
most 64 characters holds the header and the start of the payload (a JWT is longer: an HS256
signature alone is 43 characters). Beyond 64 characters, or of a value not shown to be a JWT, a
prefix is reported as before; at most 20 characters is no secret at all (values.py).

`token[:50] + "..." if len(token) > 50 else token`: the whole value is shown only when it is that
short, which a JWT never is.
"""

from __future__ import annotations

from typing import Iterable, Optional, Set

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.tokens.taint import FunctionState, Taint, src

_TOKEN_KINDS = frozenset({"credential", "token", "issued"})
KIND = "jwt-prefix"  # the taint kind of such a preview
MAX_PREFIX = 64

_READERS = frozenset({"decode", "decode_complete", "get_unverified_header", "get_unverified_claims",
                      "get_unverified_headers"})
_LIBRARIES = ("jwt.", "jose.", "authlib.jose.")


def jwt_names(calls: Iterable[cst.Call], ctx) -> Set[str]:
    """The names the function hands to a JWT library's reader as the token."""
    out: Set[str] = set()
    for call in calls:
        q = ctx.qualify(call.func) or ""
        if not q.startswith(_LIBRARIES) or q.rsplit(".", 1)[-1] not in _READERS or not call.args:
            continue
        first = call.args[0]
        if first.keyword is None and isinstance(first.value, cst.Name):
            out.add(first.value.value)
        elif first.keyword is not None and first.keyword.value in ("jwt", "token") and isinstance(first.value, cst.Name):
            out.add(first.value.value)
    return out


def _upper(sl: cst.Slice) -> Optional[int]:
    lower = astutil.literal_value(sl.lower, None) if sl.lower is not None else 0
    upper = astutil.literal_value(sl.upper, None) if sl.upper is not None else None
    if lower != 0 or sl.step is not None or not isinstance(upper, int) or isinstance(upper, bool):
        return None
    return upper if 0 < upper <= MAX_PREFIX else None


def prefix(node: cst.Subscript, sl: cst.Slice, state: FunctionState, whole: Taint) -> Optional[Taint]:
    """`token[:50]` of a name holding a JWT (`whole`: what the name holds): the preview's taint;
    None when it is not one."""
    if not any(lab[0] == "src" and lab[1] in _TOKEN_KINDS for lab in whole):
        return None
    n = _upper(sl)
    if n is None or not isinstance(node.value, cst.Name) or node.value.value not in state.jwts:
        return None
    return src(KIND, f"a {n}-character prefix of the JWT `{node.value.value}`")


def whole_only_when_short(node: cst.IfExp, state: FunctionState) -> bool:
    """`x[:n] + "..." if len(x) > n else x` where `x` holds a JWT: the else branch never runs
    with one."""
    test = node.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(node.orelse, cst.Name)):
        return False
    name = node.orelse.value
    op, right = test.comparisons[0].operator, test.comparisons[0].comparator
    left = test.left
    if not (isinstance(left, cst.Call) and astutil.name_of(left.func) == "len" and len(left.args) == 1
            and isinstance(left.args[0].value, cst.Name) and left.args[0].value.value == name):
        return False
    bound = astutil.literal_value(right, None)
    return (name in state.jwts and isinstance(op, (cst.GreaterThan, cst.GreaterThanEqual))
            and isinstance(bound, int) and not isinstance(bound, bool) and bound <= MAX_PREFIX)


NOTE = ("; the signature comes last in a JWT, so this prefix (its header and the start of its payload) "
        "cannot be replayed, but it shows the claims: log the `jti` or a hash instead")

