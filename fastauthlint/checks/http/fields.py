"""FAL601: a 401 for a field the authenticating dependency already guarantees. `if not
current_user.get("id"): raise HTTPException(401)` cannot run when `current_user` comes from a
dependency that refuses (raises) a user without `"id"` before returning it; neither can the same
test in a helper every caller of which hands it such a dependency's value (`_user_id(current_user)`).

The visitor records the field a 401 tests and where its subject comes from (a dependency parameter
of the function, or of each caller in the file); each dependency records the fields it refuses
missing on what it returns (`if "id" not in user_data: raise ...; return user_data`), or the
parameter it passes on (`return current_user` after checking something else); link.py follows them.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint.astutil import descendants, literal_str, own_nodes, parameters
from fastauthlint.checks.http.delivery import _dependency_param, _guarding_test


def field_tested(test: cst.BaseExpression, func: Optional[cst.FunctionDef] = None) -> Optional[Tuple[str, str]]:
    """(name, field) when `test` is true for a value missing the field: `not X.get("f")`, `X.get("f")
    is None`, `not X["f"]`, `not X.f`, `"f" not in X`, or `not uid` where `uid = X.get("f")`."""
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
            and isinstance(test.comparisons[0].operator, cst.NotIn) and isinstance(test.comparisons[0].comparator, cst.Name):
        key = literal_str(test.left)
        return (test.comparisons[0].comparator.value, key) if key else None
    subject = None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        subject = test.expression
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
            and isinstance(test.comparisons[0].operator, cst.Is) \
            and isinstance(test.comparisons[0].comparator, cst.Name) and test.comparisons[0].comparator.value == "None":
        subject = test.left
    if isinstance(subject, cst.Name) and func is not None:
        values = [a.value for a in descendants(func.body) if isinstance(a, cst.Assign)
                  and any(isinstance(t.target, cst.Name) and t.target.value == subject.value for t in a.targets)]
        subject = values[0] if len(values) == 1 else None
    return _field_of(subject) if subject is not None else None


def _field_of(expr: cst.BaseExpression) -> Optional[Tuple[str, str]]:
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and isinstance(expr.func.value, cst.Name) and expr.args:
        key = literal_str(expr.args[0].value)
        return (expr.func.value.value, key) if key else None
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and len(expr.slice) == 1 \
            and isinstance(expr.slice[0].slice, cst.Index):
        key = literal_str(expr.slice[0].slice.value)
        return (expr.value.value, key) if key else None
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        return expr.value.value, expr.attr.value
    return None


def guarded_field(stmt: cst.CSTNode, parents, func: cst.FunctionDef) -> Optional[Tuple[str, str]]:
    """(parameter, field) when the 401 is raised under an `if` testing that a field of one of the
    function's parameters is missing."""
    test = _guarding_test(stmt, parents)
    found = field_tested(test, func) if test is not None else None
    if found is None or found[0] not in {p.name.value for p in parameters(func)}:
        return None
    return found


def guarantees(func: cst.FunctionDef) -> Tuple[Tuple[str, ...], str]:
    """(fields, passed-on parameter) of a dependency whose every return gives the same name: the
    fields it refuses (raises) when that value misses them, and the name when it is a parameter (a
    dependency that checks something else and hands its own dependency's value on)."""
    returned: Set[str] = set()
    fields: List[str] = []
    for n in own_nodes(func.body):
        if isinstance(n, cst.Return):
            if not isinstance(n.value, cst.Name):
                return (), ""
            returned.add(n.value.value)
    if len(returned) != 1:
        return (), ""
    name = returned.pop()
    for n in own_nodes(func.body):
        if isinstance(n, cst.If) and any(isinstance(x, cst.Raise) for x in own_nodes(n.body)):
            for part in _or_parts(n.test):
                found = field_tested(part)
                if found is not None and found[0] == name:
                    fields.append(found[1])
    params = {p.name.value for p in parameters(func)}
    return tuple(fields), name if name in params else ""


def _or_parts(test: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """`if not data or "id" not in data:` refuses when either part holds."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        yield from _or_parts(test.left)
        yield from _or_parts(test.right)
    else:
        yield test


def caller_sources(calls: List[Tuple[cst.Call, Optional[cst.FunctionDef], str]], func: cst.FunctionDef, param: str
                   ) -> Optional[Tuple[Tuple[str, str], ...]]:
    """(caller's qualname, its parameter) for every call of a helper in its file, when each hands
    the helper's `param` a dependency parameter of the caller (`_user_id(current_user)`); None when
    one does not, or nothing calls it here."""
    names = [p.name.value for p in parameters(func)]
    index = names.index(param)
    out: List[Tuple[str, str]] = []
    for call, caller, qual in calls:
        arg = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == param), None)
        positional = [a for a in call.args if a.keyword is None]
        if arg is None and index < len(positional) and not positional[index].star:
            arg = positional[index].value
        if not isinstance(arg, cst.Name) or not dependency_param(caller, arg.value):
            return None
        out.append((qual, arg.value))
    return tuple(out) or None


def dependency_param(func: Optional[cst.FunctionDef], name: str) -> bool:
    """Is `name` a parameter of `func` given by a dependency?"""
    return func is not None and any(p.name.value == name and _dependency_param(p) for p in parameters(func))


Guarantees = Dict[str, Tuple[Tuple[str, ...], str]]
