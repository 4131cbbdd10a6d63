"""What the code around a literal says about it, for FAL301: a comparison that guards against a
placeholder (the application refuses to run when the secret still has it), and development data
(the password of a throw-away user a QA script creates).

- a guard: `assert settings.SECRET_KEY != "development_secret"`, or `if SECRET_KEY == "dev": raise`
  (`sys.exit(...)`): the literal is what the code refuses, not a credential. `if api_key == "dev":
  return True` grants access with it: that is a credential.
- a sentinel: `default_secret = "change-me"` read only as the refused side of such guards.
- a local connection: `psycopg2.connect(host="localhost", password="123")`, the development default of
  a database on this machine (as exempt as the same password in a `postgres://…@localhost` URL).
- a generated identity: `user = f"qa_{suffix}"`, `{"username": f"mgr_{suffix}", ...}`: the account
  the function creates is new each run, so the password chosen for it is test data.
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, Optional, Sequence, Set

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.literals import string_of, target_name
from fastauthlint.checks.secrets.sensitive import split_words

_EXITS = frozenset({"exit", "quit", "_exit", "abort"})


def refuses(body: Sequence[cst.CSTNode]) -> bool:
    """A block that stops the program or the request: it raises or exits (`sys.exit(1)`)."""
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Raise):
                return True
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) \
                    and astutil.name_of(small.value.func) in _EXITS:
                return True
    return False


def guarded_comparisons(test: cst.BaseExpression, refusing_when_true: bool) -> Iterator[cst.Comparison]:
    """The comparisons of a condition that refuse a literal: `x == LIT` (or `x in (...)`) in an `if`
    whose body refuses, `x != LIT` (or `not in`) in an assert (which refuses when it is false)."""
    if isinstance(test, cst.BooleanOperation):
        yield from guarded_comparisons(test.left, refusing_when_true)
        yield from guarded_comparisons(test.right, refusing_when_true)
        return
    if not isinstance(test, cst.Comparison):
        return
    ops = (cst.Equal, cst.In) if refusing_when_true else (cst.NotEqual, cst.NotIn)
    if all(isinstance(t.operator, ops) for t in test.comparisons):
        yield test


def refused_when_empty(test: cst.BaseExpression, refusing_when_true: bool) -> Iterator[str]:
    """Names a condition refuses empty: `if not self.SECRET_KEY: raise`, `if len(SECRET_KEY) < 32:
    raise`, `if settings.SECRET_KEY in ("", None): sys.exit(1)`, `assert SECRET_KEY`."""
    if isinstance(test, cst.BooleanOperation):
        yield from refused_when_empty(test.left, refusing_when_true)
        yield from refused_when_empty(test.right, refusing_when_true)
        return
    if not refusing_when_true:  # an assert refuses what makes it false: `assert SECRET_KEY`
        if isinstance(test, (cst.Name, cst.Attribute)):
            name = target_name(test)
            if name:
                yield name
        elif isinstance(test, cst.Comparison):  # `assert len(SECRET_KEY) >= 32`, `assert key != ""`
            yield from _emptiness_test(test)
        return
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) \
            and isinstance(test.expression, (cst.Name, cst.Attribute)):
        yield target_name(test.expression) or ""
    elif isinstance(test, cst.Comparison):
        yield from _emptiness_test(test)


def _emptiness_test(test: cst.Comparison) -> Iterator[str]:
    """`len(X) < 32`, `X == ""`, `X is None`, `X in ("", None)`: the name tested for emptiness."""
    if len(test.comparisons) != 1:
        return
    inner = _len_arg(test.left)
    right = test.comparisons[0].comparator
    elements = [e.value for e in right.elements] if isinstance(right, (cst.Tuple, cst.List, cst.Set)) else [right]
    empty = any(astutil.literal_str(e) == "" or (isinstance(e, cst.Name) and e.value == "None") for e in elements)
    target = inner if inner is not None else (test.left if empty else None)
    if isinstance(target, (cst.Name, cst.Attribute)):
        yield target_name(target) or ""


def _len_arg(node: cst.BaseExpression):
    if isinstance(node, cst.Call) and astutil.name_of(node.func) == "len" and node.args:
        return node.args[0].value
    return None


_IDENTITY_WORDS = frozenset({"user", "username", "usr", "login", "email", "mail", "account", "member", "handle",
                             "nick", "nickname", "usuario", "correo"})


def _identity_name(name: str) -> bool:
    return bool(set(split_words(name)) & _IDENTITY_WORDS)


def _generated(value: cst.BaseExpression) -> bool:
    """`f"qa_{suffix}"`: a string built from a value of the run."""
    return isinstance(value, cst.FormattedString) and any(
        isinstance(p, cst.FormattedStringExpression) for p in value.parts)


def generated_identity(target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    """`user = f"qa_{suffix}"`, `user, pwd = f"mgr_{suffix}", "…"`: an account name made for this run."""
    if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) \
            and len(target.elements) == len(value.elements):
        return any(generated_identity(t.value, v.value) for t, v in zip(target.elements, value.elements))
    name = target_name(target)
    return name is not None and _identity_name(name) and _generated(value)


def generated_identity_item(key: str, value: cst.BaseExpression) -> bool:
    """`{"username": f"mgr_{suffix}"}`, `create(email=f"{user}@t3.local")`."""
    return _identity_name(key) and _generated(value)


_CREATE_VERBS = frozenset({"create", "add", "make", "new", "register", "signup", "insert", "provision", "seed",
                           "setup", "bootstrap", "invite", "onboard", "populate"})


def creates_something(function_name: str) -> bool:
    """`_create_manager_user`, `seed_users`: a function named for what it creates (in a development
    script, the accounts it creates are throw-away ones)."""
    words = split_words(function_name)
    return bool(words) and words[0] in _CREATE_VERBS


def sentinel_names(module: cst.Module, operands: Set[str], guards: Sequence[cst.Comparison],
                   candidates: Set[str]) -> Set[str]:
    """The names among `candidates` (names bound to a reported literal) that are only ever read as
    an operand of a refusing guard (`if self.jwt_secret == default_secret: raise ValueError(...)`):
    the known-bad value the application refuses to run with, not a secret anything signs with."""
    names = operands & candidates
    if not names:
        return set()
    guarded = {id(n) for c in guards for n in astutil.walk(c) if isinstance(n, cst.Name)}
    bound: Set[int] = set()
    nodes = list(astutil.walk(module))
    for n in nodes:
        if isinstance(n, cst.Assign):
            bound.update(id(t.target) for t in n.targets)
        elif isinstance(n, cst.AnnAssign):
            bound.add(id(n.target))
    for n in nodes:
        if isinstance(n, cst.Name) and n.value in names and id(n) not in guarded and id(n) not in bound:
            names.discard(n.value)  # read elsewhere too: perhaps used as the secret
    return names


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})


def local_connection_passwords(node: cst.Call, constants: Dict[str, cst.BaseExpression]) -> Set[int]:
    """Ids of the password values (literals, or the module constants named) given to a connection
    whose `host=` is this machine (`psycopg2.connect(host=host, password=password)`)."""
    kws = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    if "host" not in kws:
        return set()
    host = _literal(kws["host"], constants)
    if host is None or host.lower() not in _LOCAL_HOSTS:
        return set()
    out: Set[int] = set()
    for key in ("password", "passwd", "pwd"):
        value = kws.get(key)
        if isinstance(value, cst.Name) and value.value in constants:
            value = constants[value.value]
        if value is not None:
            out.add(id(value))
    return out


def _literal(expr: cst.BaseExpression, constants: Dict[str, cst.BaseExpression]) -> Optional[str]:
    if isinstance(expr, cst.Name) and expr.value in constants:
        expr = constants[expr.value]
    return string_of(expr)


_FIELD_VALUE = re.compile(r"[a-z][a-z0-9_]{0,30}")
_KEY_METHODS = frozenset({"get", "pop", "setdefault"})


def field_names(module: cst.Module, candidates: Dict[str, cst.BaseExpression]) -> Set[str]:
    """Module constants holding a field's name: `USER_JWT_KEY = "user"` whose every use in the file
    is a key (`{USER_JWT_KEY: ...}`, `payload[USER_JWT_KEY]`, `payload.get(USER_JWT_KEY)`): the
    name of a claim or a column, not a key that signs anything."""
    wanted = {n for n, v in candidates.items() if _FIELD_VALUE.fullmatch(string_of(v) or "")}
    if not wanted:
        return set()
    as_key: Dict[str, int] = {}
    uses: Dict[str, int] = {}
    defining: Set[int] = set()
    for n in astutil.walk(module):
        key: Optional[cst.BaseExpression] = None
        keys: list = []
        if isinstance(n, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in n.targets] if isinstance(n, cst.Assign) else [n.target]
            defining.update(id(t) for t in targets if isinstance(t, cst.Name))
        elif isinstance(n, cst.Dict):
            keys = [el.key for el in n.elements if isinstance(el, cst.DictElement)]
        elif isinstance(n, cst.Subscript) and len(n.slice) == 1 and isinstance(n.slice[0].slice, cst.Index):
            key = n.slice[0].slice.value
        elif isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in _KEY_METHODS \
                and n.args:
            key = n.args[0].value
        elif isinstance(n, cst.Name) and n.value in wanted:
            uses[n.value] = uses.get(n.value, 0) + (id(n) not in defining)
        for k in keys + ([key] if key is not None else []):
            if isinstance(k, cst.Name) and k.value in wanted:
                as_key[k.value] = as_key.get(k.value, 0) + 1
    return {n for n in wanted if as_key.get(n) and as_key[n] == uses.get(n, 0)}
