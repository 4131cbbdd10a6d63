"""FAL502 jwt-signature-not-verified (spec §4.3): the backend MUST verify the token's signature and
MUST NOT decide who the user is from claims decoded without verification.

Reported:
- a decode that verifies against no key: PyJWT without a key (its default is the empty string),
  or an explicit `None` / empty key, with verification on;
- claims read without verification — PyJWT/python-jose `options={"verify_signature": False}`,
  PyJWT 1.x `verify=False`, python-jose `get_unverified_claims` — whose value decides identity:
  it is returned, a claim other than iss/aud/exp/iat/nbf/jti/kid/tid/azp is read from it
  (`sub`, `email`, `roles`, ...), it is spread into an object (`User(**claims)`) or stored
  (`request.state.user = claims`).

Not reported: reading the unverified header (`get_unverified_header`) or the unverified `iss`/`kid`
to choose the key; a function that also verifies the token (a verifying decode, a JWK's
`.verify(...)`, `verify_token(...)`); a helper whose name says it returns unverified claims
(`decode_unverified`, `peek_claims`): its callers are where the claims are used.
"""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

import libcst as cst

from fastauthlint.checks.jwt.claims import Sink
from fastauthlint.checks.jwt.model import JOSE, PYJWT, Site
from fastauthlint.findings import Severity

RULE = "FAL502"
CLAUSE = "spec §4.3: the signature MUST be verified before the token decides who the user is"


def check(site: Site, env) -> Iterator[Tuple[str, str, Optional[Severity]]]:
    if site.lib not in (PYJWT, JOSE):
        return
    if site.kind == "decode":
        may_off, _ = site.signature_off()
        if not may_off:
            # With no key and options the code does not show, this reads as a peek whose options
            # turn verification off: left to what those options say (imported.py for imported ones).
            problem = None if site.signature_unknown() else empty_key(site)
            if problem:
                yield RULE, key_message(site.display, problem), None
            return
    if site.kind not in ("decode", "unverified_claims") or not site.api.claims:
        return
    sink = unverified_sink(site, env)
    if sink is None:
        return
    yield RULE, unverified_message(site.display, _how(site), sink_text(sink, env)), None


def unverified_message(display: str, how: str, sink: str) -> str:
    return (f"`{display}` reads the token's claims without verifying its signature{how}, and {sink}: "
            f"anyone can forge them ({CLAUSE})")


def sink_text(sink: Sink, env) -> str:
    return f"{_describe(sink)} (line {env.line(sink.node)})"


def unverified_sink(site: Site, env, assume_unverified: bool = False) -> Optional[Sink]:
    """The first use that lets unverified claims decide identity, or None. `assume_unverified`:
    as if the call did not verify (its options come from another module)."""
    may_off, _ = site.signature_off()
    if not may_off and not assume_unverified:
        return None
    uses = env.uses(site)
    sinks = [s for s in uses.sinks if not (s.kind == "return" and env.named_unverified_helper())]
    if not sinks or env.verifies_elsewhere(site) or _from_token_endpoint(site) or _held_token(site):
        return None
    return sinks[0]


_REQUEST_PARTS = {"request", "req", "headers", "META", "cookies", "COOKIES", "scope", "query_params", "GET",
                  "POST", "data", "body", "json", "form", "args", "environ", "websocket", "ws"}


def _held_token(site: Site) -> bool:
    """A token the object itself holds (`self.token["id_token"]`, `self._access_token`): an API
    client or session object reading the token it obtained, not a request's token. A chain
    through the request (`self.request.headers[...]`) is the request's token."""
    expr = site.arg(site.api.params[0])
    parts = []
    for _ in range(8):
        if isinstance(expr, cst.Subscript):
            expr = expr.value
        elif isinstance(expr, cst.Attribute):
            parts.append(expr.attr.value)
            expr = expr.value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in ("get", "get_secret_value"):
            expr = expr.func.value
        else:
            break
    return isinstance(expr, cst.Name) and expr.value in ("self", "cls") and bool(parts) and \
        not any(p in _REQUEST_PARTS for p in parts)


# Calls that return what an authorization server's token endpoint answered: an ID token received
# directly from the provider over TLS may be used without checking its signature (OpenID Connect
# Core 1.0 §3.1.3.7, item 6).
_TOKEN_ENDPOINT = {"authorize_access_token", "fetch_token", "fetch_access_token", "exchange_code",
                   "exchange_code_for_token", "exchange_code_for_tokens", "request_token"}


def _from_token_endpoint(site: Site) -> bool:
    """Does the token come from a token endpoint's answer (`resp.json()["id_token"]`,
    `await oauth.google.authorize_access_token(request)`)?"""
    frontier = [site.arg(site.api.params[0])]
    for _ in range(6):
        nxt = []
        for v in frontier:
            if isinstance(v, cst.Await):
                v = v.expression
            if isinstance(v, cst.Subscript) or isinstance(v, cst.Attribute):
                nxt.append(v.value)
            elif isinstance(v, cst.Call):
                func = v.func
                name = func.attr.value if isinstance(func, cst.Attribute) else (
                    func.value if isinstance(func, cst.Name) else None)
                if name == "json" and isinstance(func, cst.Attribute):
                    # `resp.json()` of a response this function obtained, not `request.json()`
                    recv = func.value
                    got = [recv] if isinstance(recv, (cst.Call, cst.Await)) else (
                        site.scope.values(recv, site.call) if isinstance(recv, cst.Name) else [])
                    if any(isinstance(x, (cst.Call, cst.Await)) for x in got):
                        return True
                elif name in _TOKEN_ENDPOINT:
                    return True
                if name == "get" and isinstance(func, cst.Attribute):
                    nxt.append(func.value)
            elif isinstance(v, cst.Name):
                nxt.extend(x for x in site.scope.values(v, site.call) if isinstance(x, cst.BaseExpression))
        frontier = nxt
        if not frontier:
            break
    return False


def _how(site: Site) -> str:
    if site.kind == "unverified_claims":
        return ""
    if any(v is False for v in site.legacy_verify()):
        return " (`verify=False`, PyJWT 1.x)"
    return ' (`"verify_signature": False`)'


def _describe(sink: Sink) -> str:
    if sink.kind == "read":
        return f"`{sink.detail}` is read from them"
    if sink.kind == "return":
        return "they are returned"
    if sink.kind == "splat":
        return f"they are spread into `{sink.detail}(**...)`"
    if sink.kind == "lookup":
        return f"they are passed to `{sink.detail}(...)`"
    return f"they are stored in `{sink.detail}`"


def key_message(display: str, problem: str) -> str:
    return f"`{display}` {problem}: the token's signature is not checked against the shared secret ({CLAUSE})"


def empty_key(site: Site) -> Optional[str]:
    key = site.arg("key")
    if key is None:
        if site.lib == PYJWT and site.missing("key"):
            return "is given no key (PyJWT then verifies with an empty secret)"
        return None
    vals = site.literals(key)
    if vals and all(v is None for v in vals):
        return "is given `None` as the key"
    if vals and all(v in ("", b"") for v in vals):
        return "is given an empty key"
    return None
