"""Which authentication scheme a 401 answers for: the word its `WWW-Authenticate` challenge should
carry (`Bearer`, `Basic`, `APIKey` as FastAPI's own API-key classes send it, `Digest`).

The closest evidence wins, and only an unambiguous answer counts:

1. the security dependencies of the function around the 401 (and of the functions around that):
   `credentials: HTTPBasicCredentials`, `Depends(security)` where `security = HTTPBasic()`,
   `Security(api_key_header)`;
2. the words of that function: `get_bearer_token(...)`, a `"Bearer "` prefix split off a header,
   an `api_key` it checks;
3. the dependencies of its dependencies, followed through the project (`Depends(current_user)`,
   itself `Depends(HTTPBearer())`) when linking;
4. the security classes the file instantiates or subclasses;
5. those of the whole project (FAL601 decides this one when linking; the fix asks the project's
   text);
6. `Bearer`, the specification's setting.

FAL601 names the scheme in its message and records it on the finding; the FAL601 fix writes the
one the finding names, so the two never disagree.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Iterable, Optional, Sequence, Set

import libcst as cst

from fastauthlint.astutil import descendants, literal_str, name_of, parameters

# Security scheme classes (fastapi.security) -> the scheme word of their WWW-Authenticate header,
# as FastAPI itself sends it (APIKey for the API-key classes, fastapi/security/api_key.py).
SCHEME_CLASSES: Dict[str, str] = {
    "HTTPBearer": "Bearer", "OAuth2PasswordBearer": "Bearer", "OAuth2AuthorizationCodeBearer": "Bearer",
    "OAuth2": "Bearer", "OpenIdConnect": "Bearer", "HTTPBasic": "Basic", "HTTPDigest": "Digest",
    "APIKeyHeader": "APIKey", "APIKeyQuery": "APIKey",
}
# (`APIKeyCookie` is no scheme a client answers a challenge with: a browser sends the cookie by itself.)
# Credentials classes a dependency declares: the scheme they were parsed from.
CREDENTIAL_CLASSES: Dict[str, str] = {"HTTPBasicCredentials": "Basic", "HTTPAuthorizationCredentials": "Bearer"}
DEFAULT_SCHEME = "Bearer"  # the spec's setting: JWTs in `Authorization: Bearer`

# JWTs travel as bearer tokens (RFC 6750; the spec's setting): a function that reads one, or a
# dependency of a JWT library's class (`Authorize: AuthJWT = Depends()`), answers for Bearer.
_BEARER_WORDS = re.compile(r"bearer|jwt", re.I)
_SCHEME_WORDS = (("Bearer", _BEARER_WORDS),
                 ("Basic", re.compile(r"^basic\b|http_?basic|basic_?auth", re.I)),
                 ("APIKey", re.compile(r"api[_ -]?key", re.I)))

# How the scheme was found (recorded on the finding: a fix that relies on the project's answer is
# remembered only while no file of the project changes).
FUNCTION, DEPENDENCY, FILE, PROJECT, DEFAULT = "function", "dependency", "file", "project", "default"

Assignment = Callable[[str], Optional[cst.BaseExpression]]


def single(found: Set[str]) -> Optional[str]:
    return next(iter(found)) if len(found) == 1 else None


def shown(found: Iterable[str]) -> str:
    """`Basic or Bearer`: the schemes of an ambiguous answer, for messages."""
    return " or ".join(sorted(found))


def class_scheme(expr: cst.BaseExpression) -> Optional[str]:
    name = name_of(expr) or ""
    return SCHEME_CLASSES.get(name) or CREDENTIAL_CLASSES.get(name)


def credential_class(name: str) -> Optional[str]:
    """The scheme of a class a dependency is declared with: FastAPI's credentials classes, or a
    JWT library's (`AuthJWT`, `JWTBearer`): Bearer."""
    if name in CREDENTIAL_CLASSES:
        return CREDENTIAL_CLASSES[name]
    return DEFAULT_SCHEME if name[:1].isupper() and _BEARER_WORDS.search(name) else None


def function_schemes(funcs: Sequence[cst.FunctionDef], assignment: Assignment) -> Set[str]:
    """The schemes of the closest function (innermost first) whose dependencies or words name
    one; empty when none does."""
    for func in funcs:
        found = _dependency_schemes(func, assignment) or _named_schemes(func)
        if found:
            return found
    return set()


def _dependency_schemes(func: cst.FunctionDef, assignment: Assignment) -> Set[str]:
    """Schemes of the function's parameters: `credentials: HTTPBasicCredentials`,
    `Depends(security)` where `security = HTTPBasic()`, `Security(api_key_header)`."""
    found: Set[str] = set()
    for p in parameters(func):
        parts = [p.annotation.annotation] if p.annotation is not None else []
        if p.default is not None:
            parts.append(p.default)
        for part in parts:
            for n in descendants(part):
                word = credential_class(name_of(n) or "") if isinstance(n, (cst.Name, cst.Attribute)) else None
                if word:
                    found.add(word)
                if isinstance(n, cst.Call) and name_of(n.func) in ("Depends", "Security") and n.args:
                    target = n.args[0].value
                    if isinstance(target, cst.Name):
                        target = assignment(target.value) or target
                    scheme = class_scheme(target.func) if isinstance(target, cst.Call) else None
                    if scheme:
                        found.add(scheme)
    return found


def _named_schemes(func: cst.FunctionDef) -> Set[str]:
    """Schemes the function's own words name: `get_bearer_token(request)`, `"Bearer "` split off a
    header, an `api_key` it checks."""
    found: Set[str] = set()
    for n in descendants(func):
        if isinstance(n, cst.Name):
            text = n.value
        elif isinstance(n, cst.SimpleString):
            text = literal_str(n) or ""
        else:
            continue
        for scheme, pattern in _SCHEME_WORDS:
            if pattern.search(text):
                found.add(scheme)
    return found


def authenticates_client(func: cst.FunctionDef) -> bool:
    """An OAuth2 authorization server authenticating a client by its password: the function takes a
    `client_secret` (a token, revocation or introspection endpoint, or the service behind one).
    RFC 6749 §2.3.1/§5.2: a failed client authentication (`invalid_client`) is challenged with the
    scheme the client uses, HTTP Basic."""
    return any(p.name.value == "client_secret" for p in parameters(func))


def module_schemes(nodes: Iterable[cst.CSTNode]) -> Set[str]:
    """Security classes instantiated or subclassed among `nodes` (a file's)."""
    found: Set[str] = set()
    for n in nodes:
        if isinstance(n, cst.Call) and name_of(n.func) in SCHEME_CLASSES:
            found.add(SCHEME_CLASSES[name_of(n.func)])
        elif isinstance(n, cst.ClassDef):
            found.update(SCHEME_CLASSES[name_of(b.value)] for b in n.bases if name_of(b.value) in SCHEME_CLASSES)
    return found
