"""Fixes of the HTTP-contract family: the `WWW-Authenticate` header of a 401 (FAL601), the missing
flags of an auth cookie (FAL603), and a secret compared in constant time (FAL604)."""

from __future__ import annotations

import re
from typing import Optional, Tuple

import libcst as cst

from fastauthlint.astutil import keyword, literal_str, literal_value, name_of, parameters, positional
from fastauthlint.checks.http import schemes
from fastauthlint.checks.http.non_constant_time_compare import QUERY_CALLS, is_column
from fastauthlint.findings import Finding
from fastauthlint.fixes import cstedit
from fastauthlint.fixes.context import SAFE, UNSAFE, FixContext, FixPlan, walk

RULES = ("FAL601", "FAL603", "FAL604")
# Flags a fixed auth cookie carries, in the order they are added.
COOKIE_FLAGS = (("httponly", "True"), ("secure", "True"), ("samesite", '"lax"'))
_SET_COOKIE_SECURE_POSITION = 6
_PASSWORD = re.compile(r"passw(or)?d|passwd|passphrase", re.I)  # key, value, max_age, expires, path, domain, secure, httponly, samesite


def plan(finding: Finding, ctx: FixContext) -> Optional[FixPlan]:
    if finding.rule == "FAL601":
        return _www_authenticate(finding, ctx)
    if finding.rule == "FAL603":
        return _cookie_flags(finding, ctx)
    return _compare_digest(finding, ctx)


# -- FAL601 -----------------------------------------------------------------------------------

def _www_authenticate(finding: Finding, ctx: FixContext) -> Optional[FixPlan]:
    call = ctx.at(finding.span, cst.Call)
    if call is None or any(a.star for a in call.args):
        return None
    scheme = scheme_for(finding, call, ctx)
    if scheme is None:
        return None
    header = f'"WWW-Authenticate": "{scheme}"'
    headers = keyword(call, "headers")
    if headers is None:
        if len(positional(call)) > 2:
            return None  # headers may be given by position: a person reads this one
        return FixPlan(finding, SAFE, f"add `headers={{{header}}}`",
                       [(call, lambda node: cstedit.add_args(node, [cstedit.kwarg("headers", f"{{{header}}}")]))])
    value = headers.value
    if not isinstance(value, cst.Dict):
        return None  # a shared constant or a computed dict: changing it changes other responses
    keys = [literal_str(el.key) if isinstance(el, cst.DictElement) else None for el in value.elements]
    if any(k is None for k in keys) or "www-authenticate" in {k.lower() for k in keys if k}:
        return None
    return FixPlan(finding, SAFE, f"add `{header}` to the headers",
                   [(value, lambda node: cstedit.add_elements(node, [cstedit.element('"WWW-Authenticate"',
                                                                                     f'"{scheme}"')]))])


def scheme_for(finding: Finding, node: cst.CSTNode, ctx: FixContext) -> Optional[str]:
    """The scheme the finding names (FAL601 decides it: schemes.py), so the fix writes what the
    message says; None when the finding names several. A finding without one (from an older
    record) is answered the same way from this file and the project's text."""
    if "scheme" in finding.extra:
        if finding.extra.get("scheme_from") in (schemes.DEPENDENCY, schemes.PROJECT, schemes.DEFAULT):
            ctx.hints.used = True  # the project's answer: remembered only while no file changes
        return finding.extra["scheme"] or None
    funcs = [a for a in ctx.ancestors(node) if isinstance(a, cst.FunctionDef)]
    found = schemes.function_schemes(funcs, ctx.module_assignment)
    if not found:
        found = ctx.memo("schemes", lambda: schemes.module_schemes(walk(ctx.module)))
    if not found:
        found = ctx.hints.schemes()
    return schemes.single(found) if found else schemes.DEFAULT_SCHEME


# -- FAL603 -----------------------------------------------------------------------------------

def _cookie_flags(finding: Finding, ctx: FixContext) -> Optional[FixPlan]:
    call = ctx.at(finding.span, cst.Call)
    if call is None or name_of(call.func) != "set_cookie" or any(a.star for a in call.args):
        return None
    if len(positional(call)) > _SET_COOKIE_SECURE_POSITION:
        return None
    missing = []
    for flag, value in COOKIE_FLAGS:
        given = keyword(call, flag)
        if given is None:
            missing.append((flag, value))
        elif literal_value(given.value, "?") in (False, None) or str(literal_value(given.value, "?")).lower() == "none":
            return None  # switched off on purpose: not a flag to add, a decision to revisit
    if not missing:
        return None
    text = ", ".join(f"{f}={v}" for f, v in missing)
    return FixPlan(finding, SAFE, f"add `{text}`",
                   [(call, lambda node: cstedit.add_args(node, [cstedit.kwarg(f, v) for f, v in missing]))])


# -- FAL604 -----------------------------------------------------------------------------------

def _compare_digest(finding: Finding, ctx: FixContext) -> Optional[FixPlan]:
    cmp = ctx.at(finding.span, cst.Comparison)
    if cmp is None or len(cmp.comparisons) != 1:
        return None
    op = cmp.comparisons[0].operator
    if not isinstance(op, (cst.Equal, cst.NotEqual)):
        return None
    if _in_query(cmp, ctx) or any(is_column(x) for x in (cmp.left, cmp.comparisons[0].comparator)):
        return None  # an ORM filter: the database compares, and compare_digest would break the query
    found = _compare_digest_name(ctx, cmp)
    if found is None:
        return None
    func, imports = found
    negate = isinstance(op, cst.NotEqual)
    applicability, note = SAFE, ""
    operands = (cmp.left, cmp.comparisons[0].comparator)
    if any(_may_be_none(x, cmp, ctx) for x in operands):
        # compare_digest raises TypeError for None where `==` answered False
        applicability, note = UNSAFE, " (an operand may be None, which compare_digest refuses with TypeError)"
    elif any(_PASSWORD.search(ctx.module.code_for_node(x)) for x in operands):
        applicability, note = UNSAFE, " (a password may hold non-ASCII characters, which compare_digest refuses " \
                                      "in a str with TypeError)"
    shown = f"{'not ' if negate else ''}{func}(a, b)"
    return FixPlan(finding, applicability, f"compare with `{shown}`{note}",
                   [(cmp, lambda node: _digest_call(node, func, negate))], imports)


def _in_query(node: cst.CSTNode, ctx: FixContext) -> bool:
    """Is the comparison an argument of a query builder (`.where(...)`, `.filter(...)`, `and_(...)`)?"""
    for a in ctx.ancestors(node):
        if isinstance(a, cst.BaseStatement) or isinstance(a, cst.BaseSmallStatement):
            return False
        if isinstance(a, cst.Call) and name_of(a.func) in QUERY_CALLS:
            return True
    return False


def _digest_call(node: cst.CSTNode, func: str, negate: bool) -> cst.CSTNode:
    assert isinstance(node, cst.Comparison)
    call = cst.Call(func=cst.parse_expression(func), args=[
        cst.Arg(node.left, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
        cst.Arg(node.comparisons[0].comparator)])
    if negate:
        return cst.UnaryOperation(operator=cst.Not(), expression=call, lpar=node.lpar, rpar=node.rpar)
    return call.with_changes(lpar=node.lpar, rpar=node.rpar)


def _compare_digest_name(ctx: FixContext, near: cst.CSTNode) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """How to call compare_digest here, and the import that needs (none when the file imports
    hmac or secrets already)."""
    for local, target in sorted(ctx.names.imports.items()):
        if target in ("hmac", "secrets"):
            return f"{local}.compare_digest", ()
        if target in ("hmac.compare_digest", "secrets.compare_digest"):
            return local, ()
    if ctx.binds("hmac", near):
        return None  # `hmac` means something else here
    return "hmac.compare_digest", ("import hmac",)


def _may_be_none(expr: cst.BaseExpression, near: cst.CSTNode, ctx: FixContext) -> bool:
    """Can the operand visibly be None: a `.get(...)`/`os.getenv(...)` result, or a parameter
    declared Optional or defaulting to None (`Header(None)` included)?"""
    if isinstance(expr, cst.Call):
        return name_of(expr.func) in ("get", "getenv")
    if not isinstance(expr, cst.Name):
        return False
    func = ctx.enclosing(near, cst.FunctionDef)
    if func is None:
        return False
    for p in parameters(func):
        if p.name.value != expr.value:
            continue
        if isinstance(p.default, cst.Name) and p.default.value == "None":
            return True
        if isinstance(p.default, cst.Call):  # `Header(None)`, `Cookie(default=None)`
            given = keyword(p.default, "default") or (p.default.args[0] if p.default.args else None)
            if given is not None and isinstance(given.value, cst.Name) and given.value.value == "None":
                return True
        if p.annotation is not None:
            text = ctx.module.code_for_node(p.annotation.annotation)
            return "Optional" in text or "None" in text
    return False
