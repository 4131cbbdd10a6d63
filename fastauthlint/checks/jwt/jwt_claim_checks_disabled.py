"""FAL504 jwt-claim-checks-disabled (spec §4.6): the backend MUST verify `aud` and `iss`, MUST NOT
disable the `iat`/`nbf` checks, and SHOULD NOT allow more clock-skew leeway than `max-jwt-leeway`
seconds (60 by default).

Reported:
- PyJWT / python-jose decode (or a `jwt.PyJWT(options=...)` instance) told `verify_aud`,
  `verify_iss`, `verify_iat` or `verify_nbf` False — directly, through a variable or constant, or
  on some path (`if ...: opts["verify_aud"] = False`);
- a leeway above the maximum: PyJWT `leeway=` (seconds or a `timedelta`), python-jose
  `options={"leeway": ...}`, Authlib `claims.validate(leeway=...)`.

Not reported: a decode that does not verify the signature at all (FAL502 judges it), and values
that cannot be seen (`settings.JWT_LEEWAY`).
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import keyword
from fastauthlint.checks.jwt.durations import format_duration
from fastauthlint.checks.jwt.model import AUTHLIB, JOSE, PYJWT, Site
from fastauthlint.checks.jwt.values import key_values
from fastauthlint.findings import Severity

RULE = "FAL504"
CLAUSE = "spec §4.6: `aud` and `iss` MUST be verified and the `iat`/`nbf` checks MUST NOT be disabled"
LEEWAY_CLAUSE = "spec §4.6: clock-skew leeway SHOULD NOT exceed {limit}"
_CHECKS = ("verify_aud", "verify_iss", "verify_iat", "verify_nbf")
_EFFECT = {
    "verify_aud": "tokens issued for another audience",
    "verify_iss": "tokens from another issuer",
    "verify_iat": "tokens with a bad `iat`",
    "verify_nbf": "tokens used before their `nbf`",
}


def _join(items: List[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check(site: Site, env) -> Iterator[Tuple[str, str, Optional[Severity]]]:
    if not site.api.claims:
        return
    if site.lib == AUTHLIB and site.kind == "decode":
        yield from _authlib_leeway(site, env)
        return
    if site.lib not in (PYJWT, JOSE) or site.kind not in ("decode", "ctor"):
        return
    may_off, certain_off = site.signature_off()
    if certain_off or (site.kind == "ctor" and may_off):
        return
    # A claim the function then reads itself is checked by hand (`if claims["aud"] not in ...`).
    read = env.uses(site).reads
    disabled = [k for k in _CHECKS if site.flag_may_be_false(k, own=True) and k[len("verify_"):] not in read]
    if disabled:
        yield RULE, flags_message(site.display, disabled), None
    leeway = _leeway(site, env)
    if leeway is not None:
        yield RULE, f"`{site.display}` {leeway}", Severity.WARNING


def flags_message(display: str, disabled: List[str]) -> str:
    names = ", ".join(f"`{k}`" for k in disabled)
    effects = [_EFFECT[k] for k in disabled]
    return f"`{display}` is told {names} False: {_join(effects)} are accepted ({CLAUSE})"


def _leeway(site: Site, env) -> Optional[str]:
    durations = env.durations(site)
    found: List[float] = []
    if site.lib == PYJWT and site.kind == "decode":
        kw = keyword(site.call, "leeway")
        if kw is not None:
            found.extend(durations.seconds(kw.value))
    for dicts, scope, at in site.option_dicts(own=True):
        for v in key_values(dicts, "leeway"):
            if isinstance(v, cst.BaseExpression):
                found.extend(durations.seconds(v))
    return too_long(found, env.max_leeway)


def too_long(found: List[float], limit: int) -> Optional[str]:
    over = [s for s in found if s > limit]
    if not over:
        return None
    return (f"allows {format_duration(max(over))} of clock-skew leeway: expired tokens stay valid that much longer "
            f"(`max-jwt-leeway` is {format_duration(limit)}; {LEEWAY_CLAUSE.format(limit=format_duration(limit))})")


def _authlib_leeway(site: Site, env):
    durations = env.durations(site)
    for call in _validate_calls(site):
        kw = keyword(call, "leeway")
        expr = kw.value if kw is not None else (call.args[1].value if len(call.args) > 1 and not call.args[1].keyword else None)
        if expr is None:
            continue
        problem = too_long(durations.seconds(expr), env.max_leeway)
        if problem:
            yield RULE, f"`{site.display}`: `claims.validate()` {problem}", Severity.WARNING
            return


def _validate_calls(site: Site) -> List[cst.Call]:
    """`x.validate(...)` calls in the function on a name bound to this decode's result."""
    scope = site.scope
    parent = scope.parent(site.call)
    if not isinstance(parent, (cst.Assign, cst.AnnAssign)):
        return []
    targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
    names = {t.value for t in targets if isinstance(t, cst.Name)}
    out = []
    for call in scope.calls:
        f = call.func
        if isinstance(f, cst.Attribute) and f.attr.value == "validate" and isinstance(f.value, cst.Name) \
                and f.value.value in names and scope.index(call) > scope.index(site.call):
            out.append(call)
    return out
