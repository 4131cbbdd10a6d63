"""FAL604 non-constant-time-compare (spec §7.5): secrets, tokens and API keys MUST be compared in
constant time (`hmac.compare_digest`).

Reported: `==`/`!=` between a value named like a secret (`api_key`, `client_secret`,
`headers["x-api-key"]`; not `token_type`, `secret_name`, `prompt_tokens`) and another secret or a
stored or configured value (an UPPER_CASE constant, a settings/config attribute, an environment
lookup). Not reported: comparisons with literals (presence checks and sentinels; a hardcoded secret
is FAL301's finding), with sentinels (`PENDING_TOKEN`) or a user's own confirmation
(`password == confirm_password`), ORM filters (`Invitation.token == token`, run by the database),
and `__eq__`/`__ne__` (object equality).
"""

from __future__ import annotations

import re
from typing import List, Optional

import libcst as cst

from fastauthlint.astutil import literal_str, literal_value, name_of
from fastauthlint.context import FileContext

RULE = "FAL604"

# FAL604: operands that hold a secret (by the name's last word: `session_api_key`, `offline_token`,
# `client_secret`), and names that only contain such a word (`token_type`, `prompt_tokens`,
# `token_manager`, `secret_name`).
SECRET_NAME = re.compile(r"(api_?key|apikey|secret|token|passw(or)?d|passwd|signature|sig|hmac|digest|"
                         r"webhook_key|access_key|auth_key|credentials?)$|secret", re.I)
NOT_SECRET_NAME = re.compile(r"(type|_url|_uri|url$|uri$|_name$|_id$|_ids$|length|_len$|count|header|expire|"
                             r"expiry|_at$|scheme|prefix|_field|format|_hint|_policy|_ttl|_age|kind|status|"
                             r"manager|store|service|_path|_file|_env)", re.I)
SENTINEL = re.compile(r"pending|placeholder|default|dummy|empty|unset|missing|sentinel|none|null|redacted|masked",
                      re.I)
USER_CHOICE = re.compile(r"confirm|repeat|again|retype|verify_|new_|old_|current_password", re.I)
_NOT_LITERAL = object()


def check(ctx: FileContext, node: cst.Comparison, in_eq_method: bool) -> List[str]:
    """The finding's messages for a comparison (one per `==`/`!=` pair that compares a secret)."""
    out: List[str] = []
    left = node.left
    for target in node.comparisons:
        if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
            message = _compare(ctx, left, target.comparator, in_eq_method)
            if message:
                out.append(message)
        left = target.comparator
    return out


def _secret_operand(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Subscript):  # headers["x-api-key"], secrets["token"]
        sl = expr.slice[0].slice if len(expr.slice) == 1 else None
        key = literal_str(sl.value) if isinstance(sl, cst.Index) else None
        if key and SECRET_NAME.search(key) and not NOT_SECRET_NAME.search(key):
            return key
        return None
    name = name_of(expr)
    if name and SECRET_NAME.search(name) and not NOT_SECRET_NAME.search(name):
        return name
    return None


def _expected_value(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """A stored or configured value: an UPPER_CASE constant, a settings/config attribute, an
    environment lookup."""
    if isinstance(expr, cst.Call):
        q = ctx.qualify(expr.func)
        return q in ("os.getenv", "os.environ.get")
    if isinstance(expr, cst.Subscript):
        q = ctx.qualify(expr.value)
        return q == "os.environ"
    name = name_of(expr)
    if name and name.isupper() and len(name) > 1:
        return True
    if isinstance(expr, cst.Attribute):
        base = expr.value
        while isinstance(base, cst.Attribute):
            base = base.value
        return isinstance(base, cst.Name) and re.search(r"settings|config|conf$|cfg|env", base.value, re.I) is not None
    return False


def _compare(ctx: FileContext, a: cst.BaseExpression, b: cst.BaseExpression, in_eq_method: bool) -> Optional[str]:
    if in_eq_method or _is_column(a) or _is_column(b):
        return None  # object equality, or an ORM filter (`Invitation.token == token`) run by the database
    for x, y in ((a, b), (b, a)):
        secret = _secret_operand(x)
        if secret is None:
            continue
        if USER_CHOICE.search(secret) or SENTINEL.search(secret):
            return None
        if literal_value(y, _NOT_LITERAL) is not _NOT_LITERAL:
            # None/""/flags are presence checks; a string literal is a sentinel (`token == "*"`)
            # or a hardcoded secret, which is FAL301's finding, not a timing question.
            return None
        other_secret = _secret_operand(y)
        other_name = name_of(y) or ""
        if SENTINEL.search(other_name) or (other_secret and USER_CHOICE.search(other_secret)):
            return None  # `token == PENDING_TOKEN`, `password == confirm_password`
        if other_secret is not None or _expected_value(ctx, y):
            return (f"`{secret}` is compared with `==`/`!=`, which returns as soon as a character "
                    "differs and leaks how much of a guess was right; use "
                    "`hmac.compare_digest(a, b)` (spec §7.5)")
    return None


def _is_column(expr: cst.BaseExpression) -> bool:
    """`Model.column`: an attribute of a class (capitalised name), as in SQLAlchemy filters."""
    return (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
            and expr.value.value[:1].isupper() and not expr.value.value.isupper())
