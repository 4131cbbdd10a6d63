"""FAL503 jwt-unsafe-algorithms (spec §4.4): the backend MUST pin the accepted algorithms and MUST
NOT accept `none` or mix HMAC with public-key algorithms.

Reported:
- a verifying PyJWT / python-jose decode without `algorithms=` (or with `algorithms=None`): PyJWT 1.x
  and python-jose then accept whatever algorithm the token's header names, PyJWT 2 refuses to
  verify at all. A PyJWT key that is a `PyJWK` (`jwks_client.get_signing_key_from_jwt(token)`)
  carries its own algorithm and is fine;
- `"none"` among the accepted algorithms, or as the algorithm a token is issued with
  (`algorithm="none"`, PyJWT's `algorithm=None`, a `{"alg": "none"}` header);
- a list mixing HMAC (HS*) with RSA/EC/EdDSA algorithms (RS*, PS*, ES*, EdDSA): the public key then
  verifies HMAC signatures anyone can make (CVE-2016-10555 and its many successors);
- Authlib's default `authlib.jose.jwt` instance used to decode: it accepts HS*, RS*, ES*, PS* and
  EdDSA alike (Authlib's documentation calls this insecure) unless the key is a loader function;
  `JsonWebToken([...])` built with `none` or a mixed list.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Tuple

import libcst as cst

from fastauthlint.checks.jwt.model import (AUTHLIB, JOSE, PYJWT, Site, algorithm_family, header_alg,
                                           literal_names)
from fastauthlint.checks.jwt.jwt_signature_not_verified import empty_key
from fastauthlint.findings import Severity

RULE = "FAL503"
CLAUSE = "spec §4.4: the accepted algorithms MUST be pinned"
NONE_CLAUSE = "spec §4.4: `none` MUST NOT be accepted"
MIX_CLAUSE = "spec §4.4: HMAC MUST NOT be mixed with public-key algorithms"

_PYJWK_SOURCES = {"get_signing_key_from_jwt", "get_signing_key", "get_signing_key_from_header", "PyJWK",
                  "from_json", "from_dict"}


def check(site: Site, env) -> Iterator[Tuple[str, str, Optional[Severity]]]:
    if site.kind in ("decode", "jws_verify") and site.lib in (PYJWT, JOSE):
        yield from _decode(site)
    elif site.kind == "decode" and site.lib == AUTHLIB:
        if site.default_instance and not _callable_key(site):
            yield RULE, (f"`{site.display}` uses Authlib's default instance, which accepts HS*, RS*, ES*, "
                         "PS* and EdDSA alike (whatever the token's header names): decode with "
                         f"`JsonWebToken([\"HS256\"])` instead ({CLAUSE})"), None
    elif site.kind == "ctor" and site.lib == AUTHLIB:
        expr = site.arg("algorithms")
        if expr is not None:
            problem = _bad_list(site, expr)
            if problem:
                yield RULE, f"`{site.display}` {problem}", None
    elif site.kind == "encode":
        problem = _encode(site)
        if problem:
            yield RULE, f"`{site.display}` {problem}", None


def _decode(site: Site):
    may_off, certain_off = site.signature_off()
    if certain_off:
        return  # nothing is verified: FAL502's concern, not the algorithm list's
    expr = site.algorithms_arg()
    explicit_none = expr is not None and all(v is None for v in site.literals(expr))
    if expr is None or explicit_none:
        if not explicit_none and (site.has_kwargs_splat() or site.has_args_splat()):
            return
        if site.lib == PYJWT and pyjwk_key(site):
            return
        if site.signature_unknown() and looks_like_peek(site):
            return  # no key, options the code does not show: judged by what they say (imported.py)
        yield RULE, missing_message(site.display, site.lib, explicit_none), None
        return
    problem = _whole_registry(site, expr) or _bad_list(site, expr)
    if problem:
        yield RULE, f"`{site.display}` {problem}", None


# Every algorithm a library knows: HMAC and public-key ones together (python-jose's ALL has `none`).
_REGISTRIES = {
    "jose.constants.ALGORITHMS.SUPPORTED": "every algorithm python-jose supports",
    "jose.constants.ALGORITHMS.ALL": "every algorithm python-jose knows, `none` included",
    "jose.jwt.ALGORITHMS.SUPPORTED": "every algorithm python-jose supports",
    "jose.jwt.ALGORITHMS.ALL": "every algorithm python-jose knows, `none` included",
    "jwt.algorithms.get_default_algorithms": "every algorithm PyJWT has",
    "jwt.api_jws.get_default_algorithms": "every algorithm PyJWT has",
}


def _whole_registry(site: Site, expr: cst.BaseExpression) -> Optional[str]:
    """`algorithms=ALGORITHMS.SUPPORTED`, `algorithms=list(get_default_algorithms())`."""
    for v in site.scope.values(expr, site.call):
        for _ in range(3):  # list(...), sorted(...), set(...)
            if isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value in ("list", "sorted", "set",
                                                                                             "tuple") and v.args:
                v = v.args[0].value
            elif isinstance(v, cst.Call) and isinstance(v.func, cst.Attribute) and v.func.attr.value == "keys":
                v = v.func.value
        target = v.func if isinstance(v, cst.Call) else v
        if isinstance(target, (cst.Name, cst.Attribute)):
            what = _REGISTRIES.get(site.scope.qualify(target) or "")
            if what:
                return (f"accepts {what}: HMAC and public-key algorithms alike, whatever the token's header "
                        f"names ({MIX_CLAUSE})")
    return None


def missing_message(display: str, lib: str, explicit_none: bool = False) -> str:
    what = "is given `algorithms=None`" if explicit_none else "is called without `algorithms=`"
    if lib == PYJWT:
        effect = "PyJWT 1.x then accepts whatever algorithm the token's header names (PyJWT 2 refuses to verify)"
    else:
        effect = "python-jose then accepts whatever algorithm the token's header names"
    return f"`{display}` {what}: {effect} ({CLAUSE})"


def looks_like_peek(site: Site) -> bool:
    """No key, or a `None`/empty one: a decode meant not to verify."""
    return site.arg("key") is None or empty_key(site) is not None


def _bad_list(site: Site, expr: cst.BaseExpression) -> Optional[str]:
    names, _unknown = literal_names(site.literals(expr))
    return list_problem(names)


def list_problem(names: List[str]) -> Optional[str]:
    """What is wrong with the algorithm names an accepted list holds, or None."""
    if any(n.lower() == "none" for n in names):
        return f"accepts the `none` algorithm: unsigned tokens pass ({NONE_CLAUSE})"
    families = {algorithm_family(n) for n in names} - {None}
    if "HMAC" in families and len(families) > 1:
        hmac = sorted({n for n in names if algorithm_family(n) == "HMAC"})
        other = sorted({n for n in names if algorithm_family(n) not in (None, "HMAC")})
        return (f"accepts HMAC ({', '.join(hmac)}) together with public-key algorithms "
                f"({', '.join(other)}): a token signed with HMAC using the public key as the secret passes "
                f"({MIX_CLAUSE})")
    return None


def _encode(site: Site) -> Optional[str]:
    if site.lib in (PYJWT, JOSE):
        expr = site.arg("algorithm")
        if expr is not None:
            vals = site.literals(expr)
            if any(isinstance(v, str) and v.lower() == "none" for v in vals):
                return f"issues an unsigned token (`algorithm=\"none\"`) ({NONE_CLAUSE})"
            if site.lib == PYJWT and vals and all(v is None for v in vals):
                return f"issues an unsigned token (PyJWT signs with `none` when `algorithm=None`) ({NONE_CLAUSE})"
        algs = header_alg(site.scope, site.arg("headers"), site.call)
    else:  # Authlib: encode(header, payload, key)
        algs = header_alg(site.scope, site.arg("header"), site.call)
    if any(isinstance(v, str) and v.lower() == "none" for v in algs):
        return f"issues an unsigned token (`{{\"alg\": \"none\"}}` header) ({NONE_CLAUSE})"
    return None


def pyjwk_key(site: Site) -> bool:
    key = site.arg("key")
    if key is None:
        return False
    for v in site.scope.values(key, site.call):
        if isinstance(v, cst.Call):
            func = v.func
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else None)
            if name in _PYJWK_SOURCES:
                return True
    return False


def _callable_key(site: Site) -> bool:
    """A key loader (`jwt.decode(token, load_key)`), Authlib's documented way to give each
    algorithm its own key: a lambda, a function defined here, or a name that reads as a loader."""
    key = site.arg("key")
    if isinstance(key, cst.Lambda):
        return True
    if isinstance(key, cst.Call):
        return site.scope.qualify(key.func) == "functools.partial"
    name = key.value if isinstance(key, cst.Name) else (key.attr.value if isinstance(key, cst.Attribute) else None)
    if name is None:
        return False
    if isinstance(key, cst.Name) and site.scope.local_function(name):
        return True
    return bool(_LOADER.search(name))


_LOADER = re.compile(r"load|resolve|^_*(get|find|fetch|select|lookup)_", re.I)
