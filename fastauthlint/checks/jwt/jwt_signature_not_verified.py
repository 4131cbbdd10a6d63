"""FAL502 jwt-signature-not-verified (spec §4.3): the backend MUST verify the token's signature and
MUST NOT decide who the user is from claims decoded without verification.

Reported:
- a decode that verifies against no key: PyJWT without a key (its default is the empty string),
  or an explicit `None` / empty key, with verification on (error); a key parameter whose default
  is empty, when a caller passes none (warning);
- claims read without verification — PyJWT/python-jose `options={"verify_signature": False}`,
  PyJWT 1.x `verify=False`, python-jose `get_unverified_claims` — whose value decides identity
  (error): a claim other than iss/aud/exp/iat/nbf/jti/kid/tid/azp is read from it (`sub`,
  `email`, `roles`, ...), it is spread into an object (`User(**claims)`), handed to a user lookup,
  stored on the request (`request.state.user = claims`), or returned by a dependency or the
  application's token verifier; or whose use is out of view (warning): returned by another helper,
  passed to another call, stored elsewhere, or not used at all (a check that proves nothing).

Not reported: in a script module (project/programs.py: it runs as a program, serves nothing, and
the application does not import it), claims decoded only to be shown — read and printed, with
nothing in that function writing, creating or sending anything (`debug_token.py` printing what a
pasted token says); reading the unverified header (`get_unverified_header`) or the unverified `iss`/`kid`
to choose the key; claims that only feed a log or the log context; a function that also verifies
the token (a verifying decode, a JWK's `.verify(...)`, `verify_token(...)`); a helper whose name
says it returns unverified claims (`decode_unverified`, `peek_claims`): its callers are where the
claims are used.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import name_of, parameters
from fastauthlint.checks.jwt.claims import Sink
from fastauthlint.checks.jwt.model import JOSE, PYJWT, Site
from fastauthlint.checks.jwt.values import UNKNOWN
from fastauthlint.findings import Severity
from fastauthlint.project.acts import CREATE_CALL, WRITE_CALL

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
            elif not site.signature_unknown():
                default = empty_default_key(site)
                if default:
                    yield RULE, key_message(site.display, default), Severity.WARNING
            return
    if site.kind not in ("decode", "unverified_claims") or not site.api.claims:
        return
    sink = unverified_sink(site, env)
    if sink is not None:
        yield RULE, unverified_message(site.display, _how(site), sink_text(sink, env)), None
        return
    sink = out_of_view_sink(site, env)
    if sink is not None:
        yield RULE, out_of_view_message(site.display, _how(site), sink_text(sink, env)), Severity.WARNING


# What acts on the world in a script: a write, a row or account created, an outbound request that
# changes something. A script that does any of these near unverified claims may act on them.
_ACTS = WRITE_CALL | CREATE_CALL | {"post", "put", "patch", "request", "send", "grant", "set_role", "add_role"}


def only_shown(site: Site, env) -> bool:
    """Are the claims only read (to be shown), never handed on, and does the function (or the
    module's top level) around the decode act on nothing? In a script module that is an
    inspection: nothing is granted."""
    uses = env.uses(site)
    if not uses.sinks or any(s.kind not in ("read", "discard") for s in uses.sinks):
        return False
    return not any(name_of(call.func) in _ACTS for call in site.scope.calls)


def unverified_message(display: str, how: str, sink: str) -> str:
    return (f"`{display}` reads the token's claims without verifying its signature{how}, and {sink}: "
            f"anyone can forge them ({CLAUSE})")


def out_of_view_message(display: str, how: str, sink: str) -> str:
    if sink == _UNUSED:
        return (f"`{display}` reads the token's claims without verifying its signature{how}, and {sink}: as a "
                f"check of the token it proves nothing, since anyone can forge a token that passes ({CLAUSE})")
    return (f"`{display}` reads the token's claims without verifying its signature{how}, and {sink}: where "
            f"they are used is out of view here; if they decide who the user is, anyone can forge them "
            f"(verify the signature, or read only the header with `get_unverified_header`) ({CLAUSE})")


_UNUSED = "the result is not used"


def sink_text(sink: Sink, env) -> str:
    if sink.kind == "discard":
        return _UNUSED
    return f"{_describe(sink)} (line {env.line(sink.node)})"


# Stores that make the claims the request's identity (`request.state.user = claims`, Flask's `g`,
# the session); a store elsewhere (`self.claims = ...`) leaves their use out of view.
_REQUEST_STORE = re.compile(r"(^|\.)(request|req|websocket|conn|scope|g|session)\.|\.state\.|^(g|session)\[")
# Functions whose result is the identity: dependencies that read the credential, and the helpers
# an application verifies its tokens with or loads its users by (`decode_token`, `get_current_user`).
_IDENTITY_FUNCTION = re.compile(r"^_*(get_)?current_|authenticat|^_*get_user|user_from|load_user|"
                                r"^_*(verify|validate|decode|parse|check)_?(access_?|id_?|auth_?|bearer_?)?(token|jwt)",
                                re.I)
_DEPENDENCY_DEFAULTS = {"Depends", "Security", "Header", "Cookie"}


def _deciding(sink: Sink, env) -> bool:
    if sink.kind in ("read", "splat", "lookup"):
        return True
    if sink.kind == "store":
        return _REQUEST_STORE.search(sink.detail) is not None
    if sink.kind == "return":
        return _identity_function(env)
    return False


def _identity_function(env) -> bool:
    """Is the function's result who the user is: a dependency reading a credential, or a helper
    named as the application's token verifier or user loader?"""
    func = env.function
    if func is None:
        return False
    if _IDENTITY_FUNCTION.search(func.name.value) or func.name.value == "__call__":
        return True
    return any(isinstance(p.default, cst.Call) and name_of(p.default.func) in _DEPENDENCY_DEFAULTS
               for p in parameters(func))


def unverified_sink(site: Site, env, assume_unverified: bool = False) -> Optional[Sink]:
    """The first use that lets unverified claims decide identity, or None. `assume_unverified`:
    as if the call did not verify (its options come from another module)."""
    return next((s for s in _sinks(site, env, assume_unverified) if _deciding(s, env)), None)


def out_of_view_sink(site: Site, env, assume_unverified: bool = False) -> Optional[Sink]:
    """The first use that takes unverified claims out of the function (returned, passed on, stored
    elsewhere), or the sign that they are not used at all, when no use decides identity here."""
    return next((s for s in _sinks(site, env, assume_unverified) if not _deciding(s, env)), None)


def _sinks(site: Site, env, assume_unverified: bool) -> List[Sink]:
    may_off, _ = site.signature_off()
    if not may_off and not assume_unverified:
        return []
    uses = env.uses(site)
    helper = env.named_unverified_helper()  # its callers are where the claims are used
    sinks = [s for s in uses.sinks if not (helper and s.kind in ("return", "pass", "discard"))]
    if not sinks or env.verifies_elsewhere(site) or _from_token_endpoint(site) or _held_token(site):
        return []
    return sinks


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
    if sink.kind in ("lookup", "pass"):
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


def empty_default_key(site: Site) -> Optional[str]:
    """`def decode_token(token, key=""): jwt.decode(token, key, ...)`: a caller that passes no key
    verifies against an empty secret."""
    key = site.arg("key")
    if not isinstance(key, cst.Name) or key.value not in site.scope.params:
        return None
    default = site.scope.param_defaults.get(key.value)
    if default is None:
        return None
    vals = [v for v in site.literals(key) if v is not UNKNOWN]
    if vals and all(v in ("", b"", None) for v in vals):
        return f"is given an empty key when its caller passes none (`{key.value}` defaults to `{vals[0]!r}`)"
    return None
