"""Fixes of the HTTP-contract family: the `WWW-Authenticate` header of a 401 (FAL601), the missing
flags of an auth cookie (FAL603), and a secret compared in constant time (FAL604)."""

from __future__ import annotations

import re
from typing import Iterable, Optional, Set, Tuple

import libcst as cst

from fastauthlint.astutil import keyword, literal_str, literal_value, name_of, parameters, positional
from fastauthlint.findings import Finding
from fastauthlint.fixes import cstedit
from fastauthlint.fixes.context import SAFE, UNSAFE, FixContext, FixPlan, walk
from fastauthlint.fixes.hints import CREDENTIAL_CLASSES, DEFAULT_SCHEME, SCHEME_CLASSES

RULES = ("FAL601", "FAL603", "FAL604")
# Flags a fixed auth cookie carries, in the order they are added.
COOKIE_FLAGS = (("httponly", "True"), ("secure", "True"), ("samesite", '"lax"'))
_SET_COOKIE_SECURE_POSITION = 6
_SCHEME_WORDS = (("Bearer", re.compile(r"bearer", re.I)), ("Basic", re.compile(r"^basic\b|http_?basic|basic_?auth", re.I)),
                 ("APIKey", re.compile(r"api[_ -]?key", re.I)))
_QUERY_CALLS = frozenset({"where", "filter", "filter_by", "having", "join", "outerjoin", "and_", "or_", "not_",
                          "case", "select", "exclude", "get_or_none", "first_or_none", "find", "find_one",
                          "find_many", "update", "delete", "count"})
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
    scheme = scheme_for(call, ctx)
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


def scheme_for(node: cst.CSTNode, ctx: FixContext) -> Optional[str]:
    """The authentication scheme a 401 at `node` answers for: from the dependencies of the
    functions around it, else from the security classes this file uses, else the project's; the
    spec's Bearer when nothing says otherwise. None when the closest evidence is ambiguous."""
    for func in (a for a in ctx.ancestors(node) if isinstance(a, cst.FunctionDef)):
        found = _function_schemes(func, ctx) or _named_schemes(func)
        if found:
            return _single(found)
    found = ctx.memo("schemes", lambda: _schemes_in(walk(ctx.module), ctx))
    if found:
        return _single(found)
    found = ctx.hints.schemes()
    return _single(found) if found else DEFAULT_SCHEME


def _single(found: Set[str]) -> Optional[str]:
    return next(iter(found)) if len(found) == 1 else None


def _scheme_of_class(expr: cst.BaseExpression) -> Optional[str]:
    name = name_of(expr)
    return SCHEME_CLASSES.get(name or "") or CREDENTIAL_CLASSES.get(name or "")


def _function_schemes(func: cst.FunctionDef, ctx: FixContext) -> Set[str]:
    """Schemes of the function's parameters: `credentials: HTTPBasicCredentials`,
    `Depends(security)` where `security = HTTPBasic()`, `Security(api_key_header)`."""
    found: Set[str] = set()
    for p in parameters(func):
        parts = [p.annotation.annotation] if p.annotation is not None else []
        if p.default is not None:
            parts.append(p.default)
        for part in parts:
            for n in walk(part):
                if isinstance(n, (cst.Name, cst.Attribute)) and name_of(n) in CREDENTIAL_CLASSES:
                    found.add(CREDENTIAL_CLASSES[name_of(n)])
                if isinstance(n, cst.Call) and name_of(n.func) in ("Depends", "Security") and n.args:
                    target = n.args[0].value
                    if isinstance(target, cst.Name):
                        target = ctx.module_assignment(target.value) or target
                    if isinstance(target, cst.Call) and _scheme_of_class(target.func):
                        found.add(_scheme_of_class(target.func))
    return found


def _named_schemes(func: cst.FunctionDef) -> Set[str]:
    """Schemes the function's own words name: `get_bearer_token(request)`, `"Bearer "` split off a
    header, an `api_key` it checks."""
    found: Set[str] = set()
    for n in walk(func):
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


def _schemes_in(nodes: Iterable[cst.CSTNode], ctx: FixContext) -> Set[str]:
    """Security classes instantiated or subclassed in the file."""
    found: Set[str] = set()
    for n in nodes:
        if isinstance(n, cst.Call) and name_of(n.func) in SCHEME_CLASSES:
            found.add(SCHEME_CLASSES[name_of(n.func)])
        elif isinstance(n, cst.ClassDef):
            found.update(SCHEME_CLASSES[name_of(b.value)] for b in n.bases if name_of(b.value) in SCHEME_CLASSES)
    return found


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
    if _in_query(cmp, ctx) or any(_column_like(x) for x in (cmp.left, cmp.comparisons[0].comparator)):
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


def _column_like(expr: cst.BaseExpression) -> bool:
    """`Model.token`, `models.DbWorker.api_key`: an attribute of a class (a capitalised, not
    all-capitals name before the last part), as ORM columns are written."""
    if not isinstance(expr, cst.Attribute):
        return False
    base = expr.value
    while isinstance(base, cst.Attribute):
        if base.attr.value[:1].isupper() and not base.attr.value.isupper():
            return True
        base = base.value
    return isinstance(base, cst.Name) and base.value[:1].isupper() and not base.value.isupper()


def _in_query(node: cst.CSTNode, ctx: FixContext) -> bool:
    """Is the comparison an argument of a query builder (`.where(...)`, `.filter(...)`, `and_(...)`)?"""
    for a in ctx.ancestors(node):
        if isinstance(a, cst.BaseStatement) or isinstance(a, cst.BaseSmallStatement):
            return False
        if isinstance(a, cst.Call) and name_of(a.func) in _QUERY_CALLS:
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
