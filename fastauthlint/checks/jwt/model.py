"""What the JWT rules know about the libraries: which calls are which, their parameters, and the
resolved arguments of one call site.

The library is known from the file's imports (`FileContext.qualify`), never from a variable's name:

    PyJWT        import jwt / import jwt as pyjwt / from jwt import decode, encode
                 jwt.PyJWT().decode, jwt.api_jwt.decode, jwt.api_jws (signatures only)
    python-jose  from jose import jwt / import jose.jwt / jose.jws.verify
    Authlib      from authlib.jose import jwt (the default instance) / JsonWebToken([...])

Semantics the rules rely on (read from each library's source):

- PyJWT 2 `decode(jwt, key="", algorithms=None, options=None, ..., leeway=0)`: options default every
  `verify_*` to True and `require` to []; `verify_signature: False` also turns the other `verify_*`
  defaults off; without `algorithms` (and a key that is not a PyJWK) it refuses to verify. PyJWT 1
  had `decode(jwt, key="", verify=True, algorithms=None, ...)` and accepted any algorithm when
  `algorithms` was missing; PyJWT 2 ignores `verify=`. `encode(payload, key, algorithm, headers)`:
  `algorithm=None` (or `headers={"alg": "none"}`) issues an unsigned token.
- python-jose `decode(token, key, algorithms=None, options=None, ...)`: without `algorithms` any
  algorithm the token's header names is accepted; options `verify_*` default True, `require_*`
  False, `leeway` 0; `verify_signature: False` does not turn the claim checks off.
- Authlib `jwt.decode(s, key)` verifies the signature only and returns `JWTClaims`: nothing checks
  `exp`/`nbf`/`iss`/`aud` until `claims.validate()`. The default `authlib.jose.jwt` instance
  accepts HS*, RS*, ES*, PS* and EdDSA alike (its documentation calls it insecure: CVE-2016-10555);
  `JsonWebToken(["HS256"])` pins the algorithms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint.astutil import argument, keyword, positional
from fastauthlint.checks.jwt.flow import Scope
from fastauthlint.checks.jwt.values import ABSENT, UNKNOWN, DictVal, Value, key_values

PYJWT = "PyJWT"
JOSE = "python-jose"
AUTHLIB = "Authlib"
FASTAPI_USERS = "fastapi-users"


@dataclass(frozen=True)
class Api:
    lib: str
    kind: str  # decode | encode | unverified_claims | jws_verify | ctor
    params: Tuple[str, ...]  # positional parameter names, in order
    claims: bool = True  # False: PyJWS/JWS calls that handle raw payload bytes, not claims


PYJWT_DECODE = Api(PYJWT, "decode", ("jwt", "key", "algorithms", "options"))
PYJWS_DECODE = Api(PYJWT, "decode", ("jwt", "key", "algorithms", "options"), claims=False)
PYJWT_ENCODE = Api(PYJWT, "encode", ("payload", "key", "algorithm", "headers"))
PYJWS_ENCODE = Api(PYJWT, "encode", ("payload", "key", "algorithm", "headers"), claims=False)
PYJWT_CTOR = Api(PYJWT, "ctor", ("options",))
PYJWS_CTOR = Api(PYJWT, "ctor", ("algorithms", "options"), claims=False)
JOSE_DECODE = Api(JOSE, "decode", ("token", "key", "algorithms", "options"))
JOSE_ENCODE = Api(JOSE, "encode", ("claims", "key", "algorithm", "headers"))
JOSE_UNVERIFIED = Api(JOSE, "unverified_claims", ("token",))
JOSE_JWS_VERIFY = Api(JOSE, "jws_verify", ("token", "key", "algorithms", "verify"), claims=False)
AUTHLIB_DECODE = Api(AUTHLIB, "decode", ("s", "key", "claims_cls", "claims_options", "claims_params"))
AUTHLIB_ENCODE = Api(AUTHLIB, "encode", ("header", "payload", "key", "check"))
AUTHLIB_CTOR = Api(AUTHLIB, "ctor", ("algorithms", "private_headers"))
# fastapi-users issues its access tokens with PyJWT; `lifetime_seconds=None` means no `exp`.
FASTAPI_USERS_STRATEGY = Api(FASTAPI_USERS, "strategy",
                             ("secret", "lifetime_seconds", "token_audience", "algorithm", "public_key"))

FUNCTIONS: Dict[str, Api] = {}
for _mod in ("jwt", "jwt.api_jwt"):
    FUNCTIONS[f"{_mod}.decode"] = PYJWT_DECODE
    FUNCTIONS[f"{_mod}.decode_complete"] = PYJWT_DECODE
    FUNCTIONS[f"{_mod}.encode"] = PYJWT_ENCODE
FUNCTIONS["jwt.api_jws.decode"] = PYJWS_DECODE
FUNCTIONS["jwt.api_jws.decode_complete"] = PYJWS_DECODE
FUNCTIONS["jwt.api_jws.encode"] = PYJWS_ENCODE
FUNCTIONS["jose.jwt.decode"] = JOSE_DECODE
FUNCTIONS["jose.jwt.encode"] = JOSE_ENCODE
FUNCTIONS["jose.jwt.get_unverified_claims"] = JOSE_UNVERIFIED
FUNCTIONS["jose.jws.get_unverified_claims"] = JOSE_UNVERIFIED
FUNCTIONS["jose.jws.verify"] = JOSE_JWS_VERIFY
FUNCTIONS["authlib.jose.jwt.decode"] = AUTHLIB_DECODE
FUNCTIONS["authlib.jose.jwt.encode"] = AUTHLIB_ENCODE
for _q in ("fastapi_users.authentication.JWTStrategy", "fastapi_users.authentication.strategy.JWTStrategy",
           "fastapi_users.authentication.strategy.jwt.JWTStrategy"):
    FUNCTIONS[_q] = FASTAPI_USERS_STRATEGY

# class -> (constructor api, {method: api})
CLASSES: Dict[str, Tuple[Api, Dict[str, Api]]] = {}
for _q in ("jwt.PyJWT", "jwt.api_jwt.PyJWT"):
    CLASSES[_q] = (PYJWT_CTOR, {"decode": PYJWT_DECODE, "decode_complete": PYJWT_DECODE, "encode": PYJWT_ENCODE})
for _q in ("jwt.PyJWS", "jwt.api_jws.PyJWS"):
    CLASSES[_q] = (PYJWS_CTOR, {"decode": PYJWS_DECODE, "decode_complete": PYJWS_DECODE, "encode": PYJWS_ENCODE})
for _q in ("authlib.jose.JsonWebToken", "authlib.jose.rfc7519.JsonWebToken", "authlib.jose.rfc7519.jwt.JsonWebToken"):
    CLASSES[_q] = (AUTHLIB_CTOR, {"decode": AUTHLIB_DECODE, "encode": AUTHLIB_ENCODE})

# Method names worth resolving at all (everything else is skipped before any name lookup).
INTERESTING = {"decode", "decode_complete", "encode", "get_unverified_claims", "verify", "PyJWT", "PyJWS",
               "JsonWebToken", "JWTStrategy"}

# Claims whose value decides who the user is or what they may do: `sub`, `user_id`, `email`,
# `preferred_username`, `roles`, `scope`, `permissions`, `groups`, `tenant_id`, `is_admin`, ...
# Reading iss/kid/aud/exp/iat/nbf/jti/typ to choose a key, an issuer or to see when a token
# expires does not; nor does routing on a custom claim such as an LTI message type.
_IDENTITY_CLAIM = re.compile(
    r"(^|[^a-z])(sub|uid|oid|upn|id|cid)$|_?id$|Id$|user|e_?mail|name|login|role|scope|scp|perm|group|"
    r"admin|account|tenant|org|owner|member|customer|client|principal|identity|staff|superuser|"
    r"privilege|grant|entitle|auth|level|tier|plan|phone|student|employee|person|profile|team|workspace|"
    r"claim",
    re.I)
_NOT_IDENTITY = frozenset({"iss", "aud", "exp", "iat", "nbf", "jti", "kid", "alg", "typ", "cty", "x5t", "jku",
                           "x5u", "token_use", "ver", "version", "nonce", "at_hash", "c_hash", "auth_time",
                           "azp", "tid"})


def identity_claim(name: str) -> bool:
    """Does this claim decide identity or authority? Namespaced claims (`https://example.com/roles`,
    `cognito:username`) are judged by their last segment."""
    last = re.split(r"[/:#]", name.rstrip("/"))[-1]
    return last not in _NOT_IDENTITY and bool(_IDENTITY_CLAIM.search(last))


@dataclass
class Site:
    """One call of a JWT library function or method, with its arguments resolved on demand."""

    call: cst.Call
    api: Api
    display: str  # how messages name the call: `jwt.decode`, `jose.jwt.decode`, ...
    scope: Scope
    ctor: Optional[cst.Call] = None  # the instance's constructor call, for methods
    ctor_scope: Optional[Scope] = None
    ctor_api: Optional[Api] = None
    default_instance: bool = False  # Authlib's module-level `jwt` (every algorithm allowed)
    _cache: Dict[str, object] = field(default_factory=dict)

    @property
    def lib(self) -> str:
        return self.api.lib

    @property
    def kind(self) -> str:
        return self.api.kind

    # -- arguments -------------------------------------------------------------------------
    def arg(self, name: str, call: Optional[cst.Call] = None, api: Optional[Api] = None) -> Optional[cst.BaseExpression]:
        call = call or self.call
        api = api or self.api
        pos = api.params.index(name) if name in api.params else None
        return argument(call, name, pos)

    def has_kwargs_splat(self, call: Optional[cst.Call] = None) -> bool:
        return any(a.star == "**" for a in (call or self.call).args)

    def has_args_splat(self, call: Optional[cst.Call] = None) -> bool:
        return any(a.star == "*" for a in (call or self.call).args)

    def missing(self, name: str) -> bool:
        """Certainly not given: not by keyword, not by position, and no splat could give it."""
        if self.arg(name) is not None or self.has_kwargs_splat():
            return False
        if name in self.api.params and self.has_args_splat():
            return False
        return True

    def literals(self, expr: Optional[cst.BaseExpression]) -> List[object]:
        return self.scope.literals(expr, self.call)

    # -- decode options ----------------------------------------------------------------------
    def option_dicts(self, own: bool = False) -> List[Tuple[List[Value], Scope, cst.CSTNode]]:
        """(possible dicts, scope, read point) of every options source, lowest priority first:
        the PyJWT instance's constructor options, then the call's `options=` (python-jose keeps
        `leeway` there too). `own`: the call's own options only (the constructor's are reported
        where the instance is built)."""
        cache_key = f"options/{own}"
        if cache_key in self._cache:
            return self._cache[cache_key]  # type: ignore[return-value]
        out = []
        if not own and self.ctor is not None and self.ctor_scope is not None and self.ctor_api is not None \
                and "options" in self.ctor_api.params:
            expr = argument(self.ctor, "options", self.ctor_api.params.index("options"))
            if expr is not None:
                out.append((self.ctor_scope.values(expr, self.ctor), self.ctor_scope, self.ctor))
        if self.kind in ("decode", "ctor") and "options" in self.api.params:
            expr = self.arg("options")
            if expr is not None:
                out.append((self.scope.values(expr, self.call), self.scope, self.call))
        self._cache[cache_key] = out
        return out

    def flag(self, key: str, own: bool = False) -> List[object]:
        """Possible values of options[key] (literals, UNKNOWN, or ABSENT when it may be unset)."""
        cache_key = f"{key}/{own}"
        if cache_key in self._cache:
            return self._cache[cache_key]  # type: ignore[return-value]
        result: List[object] = [ABSENT]
        for dicts, scope, at in self.option_dicts(own):
            vals: List[object] = []
            for v in key_values(dicts, key):
                if v is ABSENT or v is UNKNOWN:
                    vals.append(v)
                elif isinstance(v, DictVal):
                    vals.append(UNKNOWN)
                else:
                    vals.extend(scope.literals(v, at))
            # A later source overrides an earlier one where it sets the key.
            if vals and all(v is not ABSENT for v in vals):
                result = vals
            else:
                result = [r for r in result] + [v for v in vals if v is not ABSENT]
        self._cache[cache_key] = result
        return result

    def flag_may_be_false(self, key: str, own: bool = False) -> bool:
        return any(_falsy_literal(v) for v in self.flag(key, own))

    def flag_certainly_false(self, key: str) -> bool:
        vals = self.flag(key)
        return bool(vals) and all(_falsy_literal(v) for v in vals)

    # -- signature verification on/off ----------------------------------------------------
    def legacy_verify(self) -> List[object]:
        """PyJWT 1.x `verify=`: by keyword, or a boolean third positional argument."""
        if self.lib != PYJWT or self.kind != "decode":
            return []
        kw = keyword(self.call, "verify")
        if kw is not None:
            return self.literals(kw.value)
        pos = positional(self.call)
        if len(pos) > 2:
            vals = self.literals(pos[2].value)
            if vals and all(isinstance(v, bool) for v in vals):
                return vals
        return []

    def signature_off(self) -> Tuple[bool, bool]:
        """(may be off, certainly off) for a decode."""
        if self.kind == "unverified_claims":
            return True, True
        if self.kind == "jws_verify":
            vals = self.literals(self.arg("verify")) if self.arg("verify") is not None else []
            return any(_falsy_literal(v) for v in vals), bool(vals) and all(_falsy_literal(v) for v in vals)
        if self.kind != "decode":
            return False, False
        maybe = self.flag_may_be_false("verify_signature")
        certain = self.flag_certainly_false("verify_signature")
        legacy = self.legacy_verify()
        if any(_falsy_literal(v) for v in legacy):
            maybe = True
            certain = certain or all(_falsy_literal(v) for v in legacy)
        return maybe, certain

    def signature_unknown(self) -> bool:
        """Do options the code does not show (`options=settings.JWT_OPTIONS`, an imported
        constant) decide whether the signature is verified?"""
        return self.kind == "decode" and UNKNOWN in self.flag("verify_signature")

    def algorithms_arg(self) -> Optional[cst.BaseExpression]:
        """The `algorithms` argument; PyJWT's third positional is `verify` (1.x) when boolean."""
        expr = self.arg("algorithms")
        if expr is not None and self.lib == PYJWT and self.arg("algorithms") is not None:
            if keyword(self.call, "algorithms") is None:
                vals = self.literals(expr)
                if vals and all(isinstance(v, bool) for v in vals):
                    return None
        return expr


def _falsy_literal(v: object) -> bool:
    return v is False or (isinstance(v, int) and not isinstance(v, bool) and v == 0)


def resolve(call: cst.Call, scope: Scope, qualify) -> Optional[Site]:
    """The Site for `call` when it calls a JWT library, else None. `qualify(expr)` names an
    expression from the file's imports; a name bound locally in `scope` shadows imports."""
    func = call.func
    tail = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else None)
    if tail is None:
        return None
    q = _qualify_here(func, scope, qualify)
    if q is not None:
        if q in FUNCTIONS:
            api = FUNCTIONS[q]
            display = "fastapi_users.authentication.JWTStrategy" if api is FASTAPI_USERS_STRATEGY else q
            return Site(call, api, display, scope, default_instance=q.startswith("authlib.jose.jwt."))
        if q in CLASSES:
            return Site(call, CLASSES[q][0], q, scope)
    if not isinstance(func, cst.Attribute):
        return None
    recv = func.value
    method = func.attr.value
    ctor, ctor_scope = None, None
    if isinstance(recv, cst.Call):
        ctor, ctor_scope = recv, scope
    elif isinstance(recv, cst.Name) and (q is None or not q.startswith(("jwt.", "jose.", "authlib."))):
        vals = scope.values(recv, call)
        if len(vals) == 1 and isinstance(vals[0], cst.Call):
            ctor = vals[0]
            ctor_scope = scope
    if ctor is None:
        return None
    cq = _qualify_here(ctor.func, ctor_scope, qualify)
    if cq in CLASSES and method in CLASSES[cq][1]:
        api = CLASSES[cq][1][method]
        return Site(call, api, f"{cq}.{method}", scope, ctor=ctor, ctor_scope=ctor_scope,
                    ctor_api=CLASSES[cq][0])
    return None


def _qualify_here(expr: cst.BaseExpression, scope: Scope, qualify) -> Optional[str]:
    head = expr
    while isinstance(head, cst.Attribute):
        head = head.value
    if isinstance(head, cst.Name):
        s: Optional[Scope] = scope
        while s is not None and s.outer is not None:  # function scopes: locals shadow imports
            if s.is_local(head.value):
                return None
            s = s.outer
    return qualify(expr)


def header_alg(scope: Scope, expr: Optional[cst.BaseExpression], at: cst.CSTNode) -> List[object]:
    """Possible values of the `alg` key of a headers dict."""
    if expr is None:
        return []
    out: List[object] = []
    for v in key_values(scope.values(expr, at), "alg"):
        if v is ABSENT or v is UNKNOWN or isinstance(v, DictVal):
            continue
        out.extend(scope.literals(v, at))
    return out


def algorithm_family(name: str) -> Optional[str]:
    n = name.upper()
    if n.startswith("HS"):
        return "HMAC"
    if n.startswith(("RS", "PS")):
        return "RSA"
    if n.startswith("ES"):
        return "EC"
    if n in ("EDDSA", "ED25519", "ED448"):
        return "EdDSA"
    return None


def literal_names(values: Sequence[object]) -> Tuple[List[str], bool]:
    """Algorithm names from possible values of an `algorithms` argument (a string or a list of
    strings): (known names, whether some are unknown)."""
    names: List[str] = []
    unknown = False
    for v in values:
        if isinstance(v, str):
            names.append(v)
        elif isinstance(v, (list, tuple, set)):
            for x in v:
                if isinstance(x, str):
                    names.append(x)
                else:
                    unknown = True
        else:
            unknown = True
    return names, unknown


__all__ = [
    "Api", "Site", "resolve", "PYJWT", "JOSE", "AUTHLIB", "INTERESTING",
    "identity_claim", "algorithm_family", "literal_names", "header_alg",
]


# Functions that decode a token to revoke it (they read `exp`/`jti`; they authenticate nobody).
REVOKES = re.compile(r"log_?out|sign_?out|revoke|blacklist|blocklist|denylist|deny_list|invalidate", re.I)
