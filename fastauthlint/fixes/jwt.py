"""Fixes of the JWT-verification family: switched-off checks switched back on (FAL501 `verify_exp`,
FAL502 `verify_signature`, FAL504 `verify_aud`/`verify_iss`/`verify_iat`/`verify_nbf`), and the
accepted algorithms pinned (FAL503) when the project shows which one it uses.

The options may be written in the call (`options={...}`, `options=dict(...)`), or in a dict
assigned once to a local or module-level name that nothing else changes; a flag is removed only
where it is the literal `False`. Options from another module, built at run time or mutated are left
alone.
"""

from __future__ import annotations

import re
from typing import Callable, List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint.astutil import assigned_names, keyword, literal_str, literal_value, parameters, positional
from fastauthlint.findings import Finding
from fastauthlint.fixes import cstedit
from fastauthlint.fixes.context import SAFE, UNSAFE, FixContext, FixPlan, walk
from fastauthlint.fixes.hints import ALGORITHM, one

FLAGS = {
    "FAL501": ("verify_exp",),
    "FAL502": ("verify_signature",),
    "FAL504": ("verify_aud", "verify_iss", "verify_iat", "verify_nbf"),
}
RULES = ("FAL501", "FAL502", "FAL503", "FAL504")
# A key that is a shared (HMAC) secret by its name, not a public key, a JWK or a certificate.
_SHARED_SECRET = re.compile(r"secret|signing_?key|hmac|jwt_?key", re.I)
_NOT_SHARED_SECRET = re.compile(r"public|jwk|pem|cert|private|rsa|ecdsa", re.I)
_MUTATED = r"\b{0}\s*(\[|\.\s*(update|setdefault|pop|popitem|clear|__setitem__)\b|\|=)|\*\*\s*{0}\b"


def plan(finding: Finding, ctx: FixContext) -> Optional[FixPlan]:
    call = ctx.called_at(finding.span)
    if call is None or any(a.star == "**" for a in call.args):
        return None
    if finding.rule == "FAL503":
        return _pin_algorithms(finding, call, ctx)
    plan = _drop_flags(finding, call, ctx, FLAGS[finding.rule])
    if plan is None or finding.rule != "FAL502":
        return plan
    # Verifying the signature needs a key and, in PyJWT 2, the algorithms: a fix that leaves
    # either out would make every decode fail.
    key = _key(call)
    if key is None or literal_value(key, "?") in (None, "", b""):
        return None
    if _algorithms_given(call):
        return plan
    algorithms = algorithms_for(call, ctx)
    if algorithms is None:
        return None
    plan.edits.append((call, lambda node: _add_algorithms(node, algorithms)))
    plan.message += f" and pin `algorithms={algorithms}`"
    return plan


# -- switched-off checks ----------------------------------------------------------------------

def _drop_flags(finding: Finding, call: cst.Call, ctx: FixContext, flags: Sequence[str]) -> Optional[FixPlan]:
    edits: List[Tuple[cst.CSTNode, Callable]] = []
    removed: List[str] = []
    legacy = keyword(call, "verify")
    if finding.rule == "FAL502" and legacy is not None and _is_false(legacy.value):
        edits.append((call, lambda node: _remove_kwarg(node, "verify")))
        removed.append("verify=False")
    options = keyword(call, "options")
    value = options.value if options is not None else None
    shared = ""
    if isinstance(value, cst.Name):
        name = value.value
        value, module_level = _single_dict(name, call, ctx)
        if value is not None:
            shared = _shared_with(name, ctx, module_level)
            found = _false_flags(value, flags)
            if found:
                edits.append((value, lambda node: _without_flags(node, found)))
                removed.extend(found)
    elif value is not None:
        found = _false_flags(value, flags)
        if found:
            edits.append((call, lambda node: _without_option_flags(node, found)))
            removed.extend(found)
    if not edits:
        return None
    shown = ", ".join(f"`{r}`" if "=" in r else f"`{r}: False`" for r in removed)
    applicability, note = SAFE, ""
    if "verify_aud" in removed and keyword(call, "audience") is None:
        # PyJWT and python-jose then reject every token that carries `aud` until `audience=` is passed.
        applicability, note = UNSAFE, "; tokens that carry `aud` are rejected until `audience=` is passed"
    if shared:
        # another decode (a logout that revokes expired tokens, say) may rely on the same dict
        applicability, note = UNSAFE, f"{note}; the options are shared with {shared}"
    return FixPlan(finding, applicability, f"remove {shown}{note}", edits)


def _shared_with(name: str, ctx: FixContext, module_level: bool) -> str:
    """Who else reads the options dict `name`: other uses in this file, and for a module-level
    dict other files of the project that name it ('' when this call is the only reader)."""
    uses = sum(1 for n in walk(ctx.module) if isinstance(n, cst.Name) and n.value == name)
    if uses > 2:  # the assignment and this call
        return f"{uses - 2} other use{'s' if uses > 3 else ''} in this file"
    others = ctx.hints.files_naming(name, exclude=ctx.path) if module_level else []
    if others:
        return f"{len(others)} other file{'s' if len(others) > 1 else ''}"
    return ""


def _is_false(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


def _false_flags(value: cst.BaseExpression, flags: Sequence[str]) -> List[str]:
    """The flags of `flags` an options dict display or `dict(...)` call sets to literal False."""
    if isinstance(value, cst.Dict):
        return [k for k in (literal_str(el.key) for el in value.elements
                            if isinstance(el, cst.DictElement) and _is_false(el.value)) if k in flags]
    if _is_dict_call(value):
        return [a.keyword.value for a in value.args if a.keyword is not None and a.keyword.value in flags
                and _is_false(a.value)]
    return []


def _is_dict_call(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict" \
        and all(a.keyword is not None for a in value.args)


def _without_flags(value: cst.CSTNode, flags: Sequence[str]) -> cst.CSTNode:
    """The options dict (display or `dict(...)` call) without the given flags set to False."""
    if isinstance(value, cst.Dict):
        for i in reversed(range(len(value.elements))):
            el = value.elements[i]
            if isinstance(el, cst.DictElement) and literal_str(el.key) in flags and _is_false(el.value):
                value = cstedit.remove_element(value, i)
        return value
    if isinstance(value, cst.Call):
        for i in reversed(range(len(value.args))):
            a = value.args[i]
            if a.keyword is not None and a.keyword.value in flags and _is_false(a.value):
                value = cstedit.remove_arg(value, i)
    return value


def _without_option_flags(call: cst.CSTNode, flags: Sequence[str]) -> cst.CSTNode:
    """`call` with the flags removed from its `options=`, and `options=` gone when it is empty."""
    assert isinstance(call, cst.Call)
    for i, a in enumerate(call.args):
        if a.keyword is not None and a.keyword.value == "options":
            value = _without_flags(a.value, flags)
            empty = (isinstance(value, cst.Dict) and not value.elements) or (isinstance(value, cst.Call) and not value.args)
            if empty:
                return cstedit.remove_arg(call, i)
            args = list(call.args)
            args[i] = a.with_changes(value=value)
            return call.with_changes(args=args)
    return call


def _remove_kwarg(call: cst.CSTNode, name: str) -> cst.CSTNode:
    assert isinstance(call, cst.Call)
    for i, a in enumerate(call.args):
        if a.keyword is not None and a.keyword.value == name:
            return cstedit.remove_arg(call, i)
    return call


def _single_dict(name: str, call: cst.Call, ctx: FixContext) -> Tuple[Optional[cst.BaseExpression], bool]:
    """(the dict display or `dict(...)` assigned to `name` exactly once — in the function around
    `call`, else at module level — when no code changes it afterwards; whether it is the
    module-level one)."""
    if re.search(_MUTATED.format(re.escape(name)), ctx.text):
        return None, False
    func = ctx.enclosing(call, cst.FunctionDef)
    while func is not None:  # the innermost function that binds the name decides
        if any(p.name.value == name for p in parameters(func)):
            return None, False  # given by the caller
        local = _assignments(func.body, name)
        if local:
            found = local[0] if len(local) == 1 and _is_options_display(local[0]) else None
            return found, False
        func = ctx.enclosing(func, cst.FunctionDef)
    value = ctx.module_assignment(name)
    return (value, True) if _is_options_display(value) else (None, False)


def _is_options_display(value: Optional[cst.BaseExpression]) -> bool:
    return isinstance(value, cst.Dict) or (value is not None and _is_dict_call(value))


def _assignments(body: cst.CSTNode, name: str) -> List[Optional[cst.BaseExpression]]:
    """The values bound to `name` in `body`; None for a binding that is not a plain assignment
    (a `for` or `with` target, `:=`, `+=`), which makes the value unknown."""
    out: List[Optional[cst.BaseExpression]] = []
    for node in walk(body):
        if isinstance(node, cst.Assign):
            if any(name in assigned_names(t.target) for t in node.targets):
                single = len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
                out.append(node.value if single else None)
        elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
            out.append(node.value)
        elif isinstance(node, (cst.AugAssign, cst.NamedExpr, cst.For)) and name in assigned_names(node.target):
            out.append(None)
        elif isinstance(node, cst.WithItem) and node.asname is not None and name in assigned_names(node.asname.name):
            out.append(None)
    return out


# -- algorithms -------------------------------------------------------------------------------

def _algorithms_given(call: cst.Call) -> bool:
    return keyword(call, "algorithms") is not None or len(positional(call)) > 2 or any(a.star for a in call.args)


def _pin_algorithms(finding: Finding, call: cst.Call, ctx: FixContext) -> Optional[FixPlan]:
    if _algorithms_given(call):
        return None  # a list that is there but wrong (`none`, HMAC with RSA) needs a person
    algorithms = algorithms_for(call, ctx)
    if algorithms is None:
        return None
    return FixPlan(finding, SAFE, f"pin `algorithms={algorithms}`",
                   [(call, lambda node: _add_algorithms(node, algorithms))])


def _add_algorithms(call: cst.CSTNode, algorithms: str) -> cst.CSTNode:
    assert isinstance(call, cst.Call)
    if keyword(call, "algorithms") is not None:
        return call
    return cstedit.add_args(call, [cstedit.kwarg("algorithms", algorithms)], index=len(positional(call)))


def algorithms_for(call: cst.Call, ctx: FixContext) -> Optional[str]:
    """Source text for `algorithms=` at `call`, from unambiguous evidence about the same key: the
    file's other decodes and its encodes with that key; and for a shared secret (`SECRET_KEY`,
    `settings.JWT_SECRET`), the file's ALGORITHM constant or import, else the one HMAC algorithm
    the project configures. A key from a JWKS or a local variable has no such evidence: a
    wrong pin would refuse every token, so there is no fix."""
    key = _key(call)
    if key is None or not _module_scoped(key, ctx):
        return None
    code = ctx.module.code_for_node
    key_text = code(key)
    same_key = set()
    for node in _calls(ctx):
        other = _key(node) if node is not call else None
        if other is None or code(other) != key_text:
            continue
        name = node.func.attr.value if isinstance(node.func, cst.Attribute) else (
            node.func.value if isinstance(node.func, cst.Name) else "")
        if name == "decode":
            given = keyword(node, "algorithms")
            if given is not None and _module_scoped(given.value, ctx):
                same_key.add(code(given.value))
        elif name == "encode" and _is_jwt(node.func, ctx):
            given = keyword(node, "algorithm") or (positional(node)[2] if len(positional(node)) > 2 else None)
            if given is not None and _module_scoped(given.value, ctx):
                same_key.add(f"[{code(given.value)}]")
    if same_key:
        return one(same_key)
    if not _SHARED_SECRET.search(key_text) or _NOT_SHARED_SECRET.search(key_text):
        return None
    candidates = set()
    for name in sorted(ctx.names.defined | set(ctx.names.imports)):
        if name.startswith("_") or not re.fullmatch(r"\w*algorithms?", name, re.I):
            continue
        plural = name.lower().endswith("algorithms")
        if name in ctx.names.imports:  # `from app.core.config import ALGORITHM`: the project's setting
            candidates.add(name if plural else f"[{name}]")
            continue
        value = literal_value(ctx.module_assignment(name), None)
        if isinstance(value, str) and ALGORITHM.match(value):
            candidates.add(f"[{name}]")
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) and ALGORITHM.match(v) for v in value):
            candidates.add(name)
    if candidates:
        return one(candidates)
    alg = one({a for a in ctx.hints.algorithms() if a.startswith("HS")})
    return f'["{alg}"]' if alg else None


def _key(call: cst.Call) -> Optional[cst.BaseExpression]:
    given = keyword(call, "key") or (positional(call)[1] if len(positional(call)) > 1 else None)
    return given.value if given is not None else None


def _calls(ctx: FixContext) -> List[cst.Call]:
    return ctx.memo("calls", lambda: [n for n in walk(ctx.module) if isinstance(n, cst.Call)])


def _is_jwt(func: cst.BaseExpression, ctx: FixContext) -> bool:
    q = ctx.qualify(func) or ""
    return q.split(".")[0] in ("jwt", "jose", "authlib")


def _module_scoped(expr: cst.BaseExpression, ctx: FixContext) -> bool:
    """Does `expr` name algorithms the same way anywhere in the file: algorithm literals, and
    names or attributes of module-level names (`ALGORITHM`, `settings.JWT_ALGORITHM`)?"""
    if isinstance(expr, (cst.List, cst.Tuple)):
        return bool(expr.elements) and all(isinstance(el, cst.Element) and _module_scoped(el.value, ctx)
                                           for el in expr.elements)
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = literal_str(expr)
        return value is not None and ALGORITHM.match(value) is not None
    head = expr
    while isinstance(head, cst.Attribute):
        head = head.value
    return isinstance(head, cst.Name) and (head.value in ctx.names.defined or head.value in ctx.names.imports)
