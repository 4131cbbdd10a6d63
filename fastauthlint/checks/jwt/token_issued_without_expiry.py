"""FAL505 token-issued-without-expiry (spec §2.3): every token the backend issues MUST carry an `exp`
claim, and access tokens SHOULD live at most `max-access-token-lifetime` seconds (24 hours by
default).

Reported:
- PyJWT / python-jose `encode(payload, ...)` and Authlib `jwt.encode(header, payload, key)` whose
  payload is a dict the code builds — a literal, `dict(...)`, a variable built in the same function
  or at module level and then mutated (`payload["exp"] = ...`, `payload.update(...)`, `{**base,
  "exp": ...}`), a dict a function of this module returns, a pydantic model of this module dumped
  (`.model_dump()`, `.dict()`) — that certainly has no `exp` (error), or that gets `exp` on one
  branch only (warning, naming the condition under which it has none). A payload that cannot be
  seen whole (a parameter, `**extra`, a dict passed to an unknown helper) is not reported; one
  copied from such a payload and given `exp` has its lifetime judged.
- an `exp` computed as now plus a literal duration longer than the maximum (`datetime.now(tz) +
  timedelta(days=30)`, `int(time.time()) + 30 * 86400`, through names and module constants), for
  access tokens. A token is taken for something else — and its lifetime not judged — when the
  function, the variable receiving it, the duration's names or its `type`/`token_type`/`scope`
  claim say refresh, reset, verify, confirm, invite, activation, magic link, remember-me,
  unsubscribe, download, share, recovery, e-mail, password or API key. These findings are
  warnings: the clause is a SHOULD.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import argument, literal_str, walk
from fastauthlint.checks.jwt.durations import Durations, configured_default, format_duration
from fastauthlint.checks.jwt.model import AUTHLIB, JOSE, PYJWT, Site
from fastauthlint.checks.jwt.flow import is_prefix
from fastauthlint.checks.jwt.values import ABSENT, UNKNOWN, DictVal, key_values
from fastauthlint.findings import Severity

RULE = "FAL505"
CLAUSE = "spec §2.3: every token the backend issues MUST carry `exp`"
LIFETIME_CLAUSE = "spec §2.3: access tokens SHOULD live at most {limit}"

_NOT_ACCESS = re.compile(r"refresh|reset|verif|confirm|invit|activat|magic|remember|unsubscri|download|share|"
                         r"recover|e_?mail|password|passwd|api_?key|long_?lived|offline|signup|sign_up|"
                         r"register|onboard", re.I)
_YEAR_2100 = 4102444800  # 2100-01-01T00:00:00Z as a Unix timestamp
_KIND_CLAIMS = ("type", "typ", "token_type", "tokenType", "kind", "scope", "purpose", "use", "token_use")
_PAYLOAD_PARAM = {PYJWT: "payload", JOSE: "claims", AUTHLIB: "payload"}


def check(site: Site, env) -> Iterator[Tuple[str, str, Optional[Severity]]]:
    if site.kind == "strategy":
        yield from _strategy(site, env)
        return
    if site.kind != "encode" or not site.api.claims:
        return
    expr = site.arg(_PAYLOAD_PARAM[site.lib])
    if expr is None:
        return
    dicts = site.scope.values(expr, site.call)
    if not dicts or not all(isinstance(d, DictVal) for d in dicts):
        return
    exp = key_values(dicts, "exp")
    if all(v is ABSENT for v in exp):
        yield RULE, (f"`{site.display}` issues a token whose payload has no `exp` claim: it never expires "
                     f"({CLAUSE})"), None
        return
    if ABSENT in exp and UNKNOWN not in exp:
        yield RULE, (f"`{site.display}` issues a token without an `exp` claim {_path_without_exp(site, expr)}: "
                     f"that token never expires ({CLAUSE})"), Severity.WARNING
        return
    durations = env.durations(site)
    lifetimes: List[float] = []
    for v in exp:
        if isinstance(v, cst.BaseExpression):
            fixed = site.scope.number(v, site.call)
            if fixed is not None and fixed >= _YEAR_2100:
                yield RULE, (f"`{site.display}` issues a token whose `exp` is a fixed time after the year 2100: "
                             f"it never expires in practice ({CLAUSE})"), None
                return
            found = durations.lifetimes(v)
            values = [x for x in site.scope.values(v, site.call) if isinstance(x, cst.BaseExpression)]
            others = {id(x) for x in values if _other_kind_branch(site.scope, x)}
            if others:  # `elif token_type == "refresh": expire = ... days=30`: not the access token's
                found = [s for x in values if id(x) not in others for s in durations.lifetimes(x)]
            lifetimes.extend(found)
    over = [s for s in lifetimes if s > env.max_lifetime]
    if not over:
        return
    if not _access_token(site, env, dicts, durations.names_seen):
        return
    limit = format_duration(env.max_lifetime)
    yield RULE, (f"`{site.display}` issues an access token that lives {format_duration(max(over))} "
                 f"(`max-access-token-lifetime` is {limit}; {LIFETIME_CLAUSE.format(limit=limit)})"), Severity.WARNING


def _path_without_exp(site: Site, expr: cst.BaseExpression) -> str:
    """Which path issues the token without `exp`: `when `expires_delta` is false` for a payload
    that gets `exp` under `if expires_delta:` only."""
    scope = site.scope
    at = scope.path(site.call)
    if isinstance(expr, cst.Name):
        for w in scope.writes.get(expr.value, ()):
            if not _writes_exp(w) or is_prefix(w.path, at):
                continue
            for step in reversed(w.path):
                if step in at or not isinstance(step[1], tuple):
                    continue
                node = scope.node_by_id(step[0])
                if isinstance(node, cst.If):
                    test, truth = node.test, step[1][1] != 0  # the `else` branch sets it: missing when true
                    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                        test, truth = test.expression, not truth
                    return f"when `{_shown(test)}` is {'true' if truth else 'false'}"
    return "on some path"


class _HideStrings(cst.CSTTransformer):
    def leave_SimpleString(self, original_node, updated_node):
        return cst.SimpleString('"…"')

    def leave_FormattedString(self, original_node, updated_node):
        return cst.SimpleString('"…"')

    def leave_ConcatenatedString(self, original_node, updated_node):
        return cst.SimpleString('"…"')


def _shown(test: cst.BaseExpression) -> str:
    """A condition as a message shows it: string literals (perhaps a secret) as `"…"`, at most
    60 characters."""
    text = cst.Module([]).code_for_node(test.visit(_HideStrings()))
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _other_kind_branch(scope, node: cst.CSTNode) -> bool:
    """Is `node` assigned only on a branch taken for another kind of token (`if token_type ==
    "refresh":`), in a function that issues several kinds?"""
    child, parent = node, scope.parent(node)
    for _ in range(40):
        if parent is None or isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Module)):
            return False
        if isinstance(parent, cst.If) and child is parent.body:
            words = [literal_str(n) or "" for n in walk(parent.test) if isinstance(n, cst.SimpleString)]
            if any(_NOT_ACCESS.search(w) and "access" not in w.lower() for w in words):
                return True
        child, parent = parent, scope.parent(parent)
    return False


def _writes_exp(w) -> bool:
    if w.kind in ("setitem", "setdefault"):
        return w.key == "exp"
    if w.kind == "update" and isinstance(w.value, cst.Dict):
        return any(literal_str(el.key) == "exp" for el in w.value.elements if isinstance(el, cst.DictElement))
    return False


def _access_token(site: Site, env, dicts, names) -> bool:
    words = [env.function_name, *names]
    parent = site.scope.parent(site.call)
    if isinstance(parent, cst.Assign):
        words.extend(t.target.value for t in parent.targets if isinstance(t.target, cst.Name))
    elif isinstance(parent, cst.AnnAssign) and isinstance(parent.target, cst.Name):
        words.append(parent.target.value)
    for claim in _KIND_CLAIMS:
        for v in key_values(dicts, claim):
            if isinstance(v, cst.BaseExpression):
                words.extend(x for x in site.scope.literals(v, site.call) if isinstance(x, str))
    # A word that names the access token ("create_access_token") never makes it something else.
    return not any(w and "access" not in w.lower() and _NOT_ACCESS.search(w) for w in words)


def _strategy(site: Site, env):
    """fastapi-users `JWTStrategy(secret, lifetime_seconds)`: `None` issues tokens without `exp`."""
    expr = site.arg("lifetime_seconds")
    if expr is None:
        return
    durations = env.durations(site)
    values = site.literals(expr)
    if values and all(v is None for v in values):
        yield RULE, (f"`{site.display}` is given `lifetime_seconds=None`: its access tokens have no `exp` "
                     f"claim and never expire ({CLAUSE})"), None
        return
    over = [s for s in durations.seconds(expr) if s > env.max_lifetime]
    if over:
        limit = format_duration(env.max_lifetime)
        yield RULE, (f"`{site.display}` issues access tokens that live {format_duration(max(over))} "
                     f"(`max-access-token-lifetime` is {limit}; {LIFETIME_CLAUSE.format(limit=limit)})"), \
            Severity.WARNING


# -- the configured lifetime of access tokens -----------------------------------------------------
#
#     ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 8            (the FastAPI tutorial's name)
#     class Settings(BaseSettings):
#         access_token_expire_minutes: int = 60 * 24 * 30
#         ACCESS_TOKEN_LIFETIME: timedelta = timedelta(days=30)
#
# A module constant or class attribute whose name says it is the access-token lifetime, with its
# unit, is the lifetime the code ships with even where the token itself is built in another file
# from `timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)`.

_EXPIRY_WORDS = (r"(?:expire|expires|expiry|expiration|exp|lifetime|life|ttl|timeout|duration|max_age|age|"
                 r"valid(?:ity)?)(?:_(?:in|after|time|delta))?(?:_(seconds|secs|sec|minutes|mins|min|hours|hrs|hr|"
                 r"days|weeks))?$")
LIFETIME_NAME = re.compile(
    r"^(?:(?:\w*?_)?access_?tokens?_?|_*(?:(?:jwt|auth|bearer)_?)+(?:tokens?_?)?|_*tokens?_?)" + _EXPIRY_WORDS,
    re.I)
_UNIT = {"seconds": 1, "secs": 1, "sec": 1, "minutes": 60, "mins": 60, "min": 60, "hours": 3600, "hrs": 3600,
         "hr": 3600, "days": 86400, "weeks": 604800}


def lifetime_setting(name: str, value: cst.BaseExpression, scope, qualify, at) -> Optional[float]:
    """Seconds configured by `NAME = value` when NAME reads as an access-token lifetime with a
    unit (or the value is a timedelta), else None."""
    m = LIFETIME_NAME.match(name)
    if not m or _NOT_ACCESS.search(name):
        return None
    value = configured_default(value, qualify)
    if value is None:
        return None
    durations = Durations(scope, at, qualify)
    if isinstance(value, cst.Call) and qualify(value.func) == "datetime.timedelta":
        found = durations.seconds(value)
        return max(found) if found else None
    unit = m.group(1)
    if unit is None:
        return None
    n = scope.number(value, at)
    if n is None:
        lit = None
        text = literal_str(value)
        if text is not None:
            try:
                lit = float(text.strip())
            except ValueError:
                lit = None
        n = lit
    return n * _UNIT[unit.lower()] if n is not None else None


def setting_finding(name: str, seconds: float, limit: int):
    lim = format_duration(limit)
    yield RULE, (f"`{name}` makes access tokens live {format_duration(seconds)} (`max-access-token-lifetime` is {lim}; "
                 f"{LIFETIME_CLAUSE.format(limit=lim)})"), Severity.WARNING
