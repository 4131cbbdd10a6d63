"""FAL501 jwt-expiry-not-verified (spec §4.5): the backend MUST reject expired tokens.

Reported:
- PyJWT / python-jose decode (or a `jwt.PyJWT(options=...)` instance) told `verify_exp: False`;
- a PyJWT `require` list given explicitly without "exp" (a token without `exp` never expires and is
  accepted), and an explicit `require_exp: False` (python-jose; PyJWT 1.x);
- Authlib `jwt.decode(...)` whose claims are used to decide who the user is (a claim read, a
  `**claims` spread, a store) with no `claims.validate()` in the function: Authlib checks `exp` only
  in `validate()`. Claims that are returned are not reported (the caller may validate them).

A decode with the signature check off is FAL502's concern; it is reported here as well only when
`verify_exp: False` is explicit too and the unverified claims decide identity.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Tuple

import libcst as cst

from fastauthlint.checks.jwt import jwt_signature_not_verified
from fastauthlint.checks.jwt.model import AUTHLIB, JOSE, PYJWT, Site
from fastauthlint.checks.jwt.values import ABSENT, UNKNOWN
from fastauthlint.findings import Severity

RULE = "FAL501"
CLAUSE = "spec §4.5: the backend MUST reject expired tokens"


def check(site: Site, env) -> Iterator[Tuple[str, str, Optional[Severity]]]:
    if not site.api.claims:
        return
    if site.lib == AUTHLIB and site.kind == "decode":
        yield from _authlib(site, env)
        return
    if site.lib not in (PYJWT, JOSE) or site.kind not in ("decode", "ctor"):
        return
    may_off, certain_off = site.signature_off()
    if site.kind == "ctor" and may_off:
        return  # an instance for reading unverified claims: judged where its result is used
    if certain_off:
        if site.flag_may_be_false("verify_exp", own=True) and _decides_identity(site, env):
            yield RULE, unverified_message(site.display), None
        return
    if any(_EXPIRY_CLAIM.search(c) for other in _same_token(site, env) for c in env.uses(other).reads):
        # the function reads `exp` (or a lifetime claim of its own, `max_exp`, `expires_at`) itself,
        # from this decode or another of the same token (an unverified read before it): a
        # hand-written expiry check (grace periods, an absolute lifetime of refreshes, ...)
        return
    if _rate_limit_key(env):
        return  # the claims only choose a rate-limit bucket: nothing is authenticated with them
    if env.revokes():
        return  # signing out / revoking a token: an expired one may be revoked too
    message = expiry_message(
        site.display,
        verify_exp_off=site.flag_may_be_false("verify_exp", own=True),
        required=_require_without_exp(site) if site.lib == PYJWT else None,
        require_exp_off=site.flag_may_be_false("require_exp", own=True),
    )
    if message:
        yield RULE, message, None


def _same_token(site: Site, env) -> Iterator[Site]:
    """This decode, and the other decodes of the function given the same token."""
    yield site
    token = _first_argument(site)
    if token is None:
        return
    for other in env.sites:
        if other is not site and other.kind == "decode" and _first_argument(other) == token:
            yield other


def _first_argument(site: Site) -> Optional[str]:
    args = site.call.args
    if not args or args[0].keyword is not None or not isinstance(args[0].value, (cst.Name, cst.Attribute)):
        return None
    return cst.Module([]).code_for_node(args[0].value)


_EXPIRY_CLAIM = re.compile(r"^(exp|\w+_exp|exp_\w+|expires?(_?\w+)?|expir(y|ation)(_?\w+)?)$", re.I)
# A function whose result is a rate limiter's key (`Limiter(key_func=get_rate_limit_key)`, a
# throttling middleware's bucket): a verified token's subject picks the bucket, expired or not.
_RATE_LIMIT_NAME = re.compile(r"rate_?limit|throttl|limiter|bucket", re.I)


def _rate_limit_key(env) -> bool:
    name = env.function_name
    if not name:
        return False
    if _RATE_LIMIT_NAME.search(name):
        return True
    return re.search(r"\bkey_func\s*=\s*" + re.escape(name) + r"\b", env.ctx.source) is not None


def unverified_message(display: str) -> str:
    return (f"`{display}` is told `verify_exp: False` as well as not verifying the signature, and its "
            f"claims decide who the user is ({CLAUSE})")


def expiry_message(display: str, verify_exp_off: bool, required: Optional[List[str]],
                   require_exp_off: bool) -> Optional[str]:
    """The FAL501 message for a verifying decode, or None. `required`: the claims of an explicit
    PyJWT `require` list that lacks "exp" (None when there is no such list)."""
    reasons = []
    if verify_exp_off:
        reasons.append("is told `verify_exp: False`: expired tokens are accepted")
    if required is not None:
        listed = ", ".join(f'"{c}"' for c in required) if required else "nothing"
        reasons.append(f"requires {listed} but not \"exp\": a token without `exp` never expires "
                       "and is accepted")
    if require_exp_off:
        reasons.append("is told `require_exp: False`: a token without `exp` never expires and is accepted")
    if not reasons:
        return None
    return f"`{display}` " + "; it also ".join(reasons) + f" ({CLAUSE})"


def _require_without_exp(site: Site):
    """The claims an explicit PyJWT `require` list names when none of its possible values lists
    "exp" (None when `require` is not given, unknown, or lists exp)."""
    values = site.flag("require", own=True)
    known = [v for v in values if v is not ABSENT]
    if not known or any(v is UNKNOWN or not isinstance(v, (list, tuple, set)) for v in known):
        return None
    for v in known:
        if "exp" in v or any(x is UNKNOWN for x in v):
            return None
    return sorted({str(x) for v in known for x in v})


def _decides_identity(site: Site, env) -> bool:
    return jwt_signature_not_verified.unverified_sink(site, env) is not None


def _authlib(site: Site, env):
    uses = env.uses(site)
    if uses.validated:
        return
    sinks = [s for s in uses.sinks if s.kind in ("read", "splat", "lookup", "store")]
    if not sinks:
        return
    s = sinks[0]
    what = {"read": f"`{s.detail}` is read from them", "splat": f"they are spread into `{s.detail}(**...)`",
            "lookup": f"they are passed to `{s.detail}(...)`"}.get(s.kind, f"they are stored in `{s.detail}`")
    yield RULE, (f"`{site.display}` returns claims that are never validated, yet {what} "
                 f"(line {env.line(s.node)}): Authlib checks `exp` only in `claims.validate()`, so "
                 f"expired tokens are accepted ({CLAUSE})"), None
