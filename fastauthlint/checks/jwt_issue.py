"""FAL505 token-issued-without-expiry (spec §2.3): every token the backend issues MUST carry an `exp`
claim, and access tokens SHOULD live at most `max-access-token-lifetime` seconds (24 hours by
default).

Reported:
- PyJWT / python-jose `encode(payload, ...)` and Authlib `jwt.encode(header, payload, key)` whose
  payload is a dict the code builds — a literal, `dict(...)`, or a variable built in the same
  function or at module level and then mutated (`payload["exp"] = ...`, `payload.update(...)`,
  `{**base, "exp": ...}`) — that certainly has no `exp`. A payload that cannot be seen whole (a
  parameter, `**extra`, a model's `.dict()`, a dict passed to an unknown helper) is not reported,
  and neither is a payload where `exp` is set on some path only (`if expires: payload["exp"] = ...`).
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

from fastauthlint.checks.jwt_claims import _fmt
from fastauthlint.checks.jwt_flow import ABSENT, DictVal, key_values
from fastauthlint.checks.jwt_model import AUTHLIB, JOSE, PYJWT, Site
from fastauthlint.findings import Severity

RULE = "FAL505"
CLAUSE = "spec §2.3: every token the backend issues MUST carry `exp`"
LIFETIME_CLAUSE = "spec §2.3: access tokens SHOULD live at most {limit}"

_NOT_ACCESS = re.compile(r"refresh|reset|verif|confirm|invit|activat|magic|remember|unsubscri|download|share|"
                         r"recover|e_?mail|password|passwd|api_?key|long_?lived|offline|signup|sign_up|"
                         r"register|onboard", re.I)
_KIND_CLAIMS = ("type", "typ", "token_type", "tokenType", "kind", "scope", "purpose", "use", "token_use")
_PAYLOAD_PARAM = {PYJWT: "payload", JOSE: "claims", AUTHLIB: "payload"}


def check(site: Site, env) -> Iterator[Tuple[str, str, Optional[Severity]]]:
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
    durations = env.durations(site)
    lifetimes: List[float] = []
    for v in exp:
        if isinstance(v, cst.BaseExpression):
            lifetimes.extend(durations.lifetimes(v))
    over = [s for s in lifetimes if s > env.max_lifetime]
    if not over:
        return
    if not _access_token(site, env, dicts, durations.names_seen):
        return
    limit = _fmt(env.max_lifetime)
    yield RULE, (f"`{site.display}` issues an access token that lives {_fmt(max(over))} "
                 f"(`max-access-token-lifetime` is {limit}; {LIFETIME_CLAUSE.format(limit=limit)})"), Severity.WARNING


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
