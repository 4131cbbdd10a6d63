"""What the code around a literal says about it, for FAL301: a comparison that guards against a
placeholder (the application refuses to run when the secret still has it), and development data
(the password of a throw-away user a QA script creates).

- a guard: `assert settings.SECRET_KEY != "development_secret"`, or `if SECRET_KEY == "dev": raise`
  (`sys.exit(...)`): the literal is what the code refuses, not a credential. `if api_key == "dev":
  return True` grants access with it: that is a credential.
- a generated identity: `user = f"qa_{suffix}"`, `{"username": f"mgr_{suffix}", ...}`: the account
  the function creates is new each run, so the password chosen for it is test data.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.literals import target_name
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
