"""401s whose fault is the status, not the missing challenge (FAL601 says which status to answer
instead, and offers no fix):

- **a password re-entered by a caller already authenticated**: the 401 refuses a wrong password
  the request carries in its body (`if not verify_password(body.current_password,
  current_user.hashed_password)`, `user = authenticate(current_user.email, body.password)` then
  `if not user:`), checked against the account of a parameter given by a dependency
  (`current_user = Depends(get_current_user)`). The request's credentials were accepted: a
  challenge would tell the client to drop a working session. 400 or 403 is the answer.
- **a credential that is a field of the request body** (`request.refresh_token` of a pydantic
  body, on a function that names no HTTP authentication scheme): there is no scheme for a
  challenge to name. RFC 6749 §5.2 answers a rejected refresh token with 400 `invalid_grant`
  (the rule's severity: the answer is still wrong).
"""

from __future__ import annotations

import re
from typing import Iterator, Optional, Set

import libcst as cst

from fastauthlint.astutil import descendants, name_of, own_nodes, parameters

REENTERED = "reentered"
BODY_FIELD = "body"

_PASSWORD = re.compile(r"(^|_)(password|passwd|pwd|passphrase)$", re.I)
_TOKEN = re.compile(r"(^|_)(refresh_token|token|refresh)$", re.I)
_NOT_BODIES = frozenset({"Request", "WebSocket", "HTTPAuthorizationCredentials", "HTTPBasicCredentials",
                         "OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict", "str", "bytes", "dict",
                         "Dict", "Any", "Optional", "Annotated", "Session", "AsyncSession", "BackgroundTasks",
                         "Response"})


def _tests(stmt: cst.CSTNode, parents) -> Iterator[cst.BaseExpression]:
    for child, parent in parents.chain(stmt):
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(parent, cst.If) and child is parent.body:
            yield parent.test


def _root(expr: cst.BaseExpression) -> str:
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def _depends_call(p: cst.Param) -> Optional[cst.Call]:
    if isinstance(p.default, cst.Call) and name_of(p.default.func) in ("Depends", "Security"):
        return p.default
    ann = p.annotation.annotation if p.annotation is not None else None
    if isinstance(ann, cst.Subscript) and name_of(ann.value) == "Annotated":
        for e in ann.slice[1:]:
            if isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Call) \
                    and name_of(e.slice.value.func) in ("Depends", "Security"):
                return e.slice.value
    return None


def _accounts_and_bodies(func: cst.FunctionDef):
    """(parameters a dependency function gives, such as `current_user = Depends(get_current_user)`;
    the other parameters: what the request itself carries). `form = Depends()` (a form class) is
    the request's."""
    accounts, bodies = set(), set()
    for p in parameters(func):
        dep = _depends_call(p)
        if dep is not None and dep.args:
            if not _RESOURCE.search(p.name.value):  # `session = Depends(get_session)` is nobody's account
                accounts.add(p.name.value)
        else:
            bodies.add(p.name.value)
    return accounts, bodies


# Dependencies that hand over a resource, not the caller's account
_RESOURCE = re.compile(r"(^|_)(db|database|session|conn|connection|engine|repo|repository|service|uow|redis|cache|"
                       r"client|settings|config|storage|background_tasks)s?$", re.I)


def _password_check(call: cst.Call, accounts: Set[str], bodies: Set[str]) -> bool:
    """A call given a password the request carries (`body.current_password`, a `password`
    parameter) and something of the caller's account (`current_user.hashed_password`, `.email`)."""
    args = [a.value for a in call.args]
    typed = any((isinstance(a, cst.Attribute) and _PASSWORD.search(a.attr.value) and "hash" not in a.attr.value.lower()
                 and _root(a) in bodies) or (isinstance(a, cst.Name) and a.value in bodies and _PASSWORD.search(a.value))
                for a in args)
    own = any(isinstance(n, cst.Name) and n.value in accounts for a in args for n in [a, *descendants(a)])
    return typed and own


def kind(stmt: cst.CSTNode, parents, func: cst.FunctionDef) -> str:
    """REENTERED, BODY_FIELD or "" for the 401 raised or returned at `stmt` in `func`."""
    accounts, bodies = _accounts_and_bodies(func)
    if accounts:
        checked: Set[str] = set()  # locals bound to a password check (`user = authenticate(...)`)
        for node in own_nodes(func.body):
            if isinstance(node, cst.Assign) and isinstance(node.value, (cst.Call, cst.Await)):
                call = node.value.expression if isinstance(node.value, cst.Await) else node.value
                if isinstance(call, cst.Call) and _password_check(call, accounts, bodies):
                    checked.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
        for test in _tests(stmt, parents):
            for n in [test, *descendants(test)]:
                if isinstance(n, cst.Call) and _password_check(n, accounts, bodies):
                    return REENTERED
                if isinstance(n, cst.Name) and n.value in checked:
                    return REENTERED
        # `except (TypeError, ValueError):` of a `try` that only checks it: the password could not be checked
        for child, parent in parents.chain(stmt):
            if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
                break
            if isinstance(parent, cst.Try) and child is not parent.body and len(parent.body.body) <= 2 and any(
                    isinstance(n, cst.Call) and _password_check(n, accounts, bodies) for n in descendants(parent.body)):
                return REENTERED
    if not _reads_header(func) and _body_credential(func):
        return BODY_FIELD
    return ""


def _reads_header(func: cst.FunctionDef) -> bool:
    """Does the function take a credential from a header (`Header()`, `request.headers`, a security
    class, an `Authorization` or `Bearer` string)? (Its dependencies are followed when linking.)"""
    for n in descendants(func):
        if isinstance(n, cst.Call) and name_of(n.func) in _HEADER_CALLS:
            return True
        if isinstance(n, cst.Attribute) and n.attr.value == "headers":
            return True
        if isinstance(n, cst.SimpleString) and _HEADER_WORDS.search(n.value):
            return True
    return False


_HEADER_CALLS = frozenset({"Header", "HTTPBearer", "OAuth2PasswordBearer", "APIKeyHeader", "HTTPBasic", "Security"})
_HEADER_WORDS = re.compile(r"authorization|bearer\s|api[-_]?key", re.I)  # ("bearer" alone is a token_type label)


def _body_credential(func: cst.FunctionDef) -> Optional[str]:
    """The token field the function reads from a body parameter (`request.refresh_token`)."""
    bodies = set()
    for p in parameters(func):
        ann = p.annotation.annotation if p.annotation is not None else None
        if isinstance(ann, cst.Name) and ann.value not in _NOT_BODIES and ann.value[:1].isupper() and p.default is None:
            bodies.add(p.name.value)
    if not bodies:
        return None
    for node in own_nodes(func.body):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in bodies \
                and _TOKEN.search(node.attr.value):
            return f"{node.value.value}.{node.attr.value}"
    return None


def message(what: str, kind_: str) -> str:
    if kind_ == REENTERED:
        return (f"{what} answers 401 to a wrong password re-entered by a caller its dependency already "
                f"authenticated: the request's credentials were accepted, so the fault is the status, not the "
                f"missing `WWW-Authenticate` (a challenge tells the client to drop a working session); answer 400 "
                f"or 403 (RFC 7235 §3.1, spec §4.7)")
    return (f"{what} answers 401 to a credential sent as a field of the request body, not with an HTTP "
            f"authentication scheme: a `WWW-Authenticate` challenge would name nothing the client uses; a rejected "
            f"refresh token or grant is 400 `invalid_grant` (RFC 6749 §5.2, RFC 7235 §3.1, spec §4.7)")

