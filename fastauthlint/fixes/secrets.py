"""FAL302: a secret read from the environment loses its literal fallback, so that a deployment
without it fails at start-up instead of running with a known secret.

An unsafe fix by nature: a process that started before (with the fallback) stops starting until
the environment sets the variable. Offered only with `--unsafe-fixes`.

    os.getenv("JWT_SECRET", "dev")           ->  os.environ["JWT_SECRET"]
    os.environ.get("JWT_SECRET", "dev")      ->  os.environ["JWT_SECRET"]
    os.getenv("JWT_SECRET") or "dev"         ->  os.environ["JWT_SECRET"]
    config("JWT_SECRET", default="dev")      ->  config("JWT_SECRET")      (starlette, decouple, environs:
                                                                            they raise for a missing value)
    class Settings(BaseSettings):
        jwt_secret: str = "dev"              ->  jwt_secret: str           (pydantic refuses to load)
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from fastauthlint.astutil import keyword, literal_str, positional
from fastauthlint.findings import Finding
from fastauthlint.fixes import cstedit
from fastauthlint.fixes.context import UNSAFE, FixContext, FixPlan

RULES = ("FAL302",)
_OS_GETTERS = ("os.getenv", "os.environ.get")
# Configuration readers that raise for a missing value once the default is gone.
_RAISING_READERS = ("decouple.config",)
_READER_FACTORIES = ("starlette.config.Config", "decouple.AutoConfig", "decouple.Config", "environs.Env")
_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


def plan(finding: Finding, ctx: FixContext) -> Optional[FixPlan]:
    literal = ctx.at(finding.span, cst.BaseExpression)
    if not isinstance(literal, _STRINGS):
        return None
    parent = ctx.parent(literal)
    if isinstance(parent, cst.Arg):
        call = ctx.parent(parent)
        if isinstance(call, cst.Call):
            return _call_default(finding, ctx, call, parent)
    if isinstance(parent, cst.BooleanOperation) and isinstance(parent.operator, cst.Or) and parent.right is literal \
            and isinstance(parent.left, cst.Call):
        return _environ_lookup(finding, ctx, parent.left, replace=parent)
    if isinstance(parent, cst.AnnAssign) and parent.value is literal and ctx.enclosing(parent, cst.ClassDef) \
            is not None and ctx.enclosing(parent, cst.FunctionDef) is None:
        name = parent.target.value if isinstance(parent.target, cst.Name) else "the field"
        return FixPlan(finding, UNSAFE, f"remove the literal default of `{name}`: the settings refuse to load "
                                        "when the environment does not set it",
                       [(parent, lambda node: node.with_changes(value=None, equal=cst.MaybeSentinel.DEFAULT))])
    return None


def _call_default(finding: Finding, ctx: FixContext, call: cst.Call, arg: cst.Arg) -> Optional[FixPlan]:
    q = ctx.qualify(call.func)
    if q in _OS_GETTERS:
        pos = positional(call)
        if arg is not keyword(call, "default") and not (len(pos) == 2 and arg is pos[1]):
            return None
        return _environ_lookup(finding, ctx, call, replace=call)
    if q in _RAISING_READERS or _is_reader_object(call.func, ctx):
        index = list(call.args).index(arg)
        if arg.keyword is None and index != 1:
            return None
        if arg.keyword is not None and arg.keyword.value != "default":
            return None
        name = _shown_name(call.args[0].value) if call.args else "the variable"
        return FixPlan(finding, UNSAFE, f"remove the literal default: reading {name} fails when it is not set",
                       [(call, lambda node: cstedit.remove_arg(node, index))])
    return None


def _is_reader_object(func: cst.BaseExpression, ctx: FixContext) -> bool:
    """`config(...)` / `env.str(...)` where the module made `config = Config(".env")` or
    `env = Env()`."""
    base = func.value if isinstance(func, cst.Attribute) else func
    if not isinstance(base, cst.Name):
        return False
    value = ctx.module_assignment(base.value)
    return isinstance(value, cst.Call) and ctx.qualify(value.func) in _READER_FACTORIES


def _environ_lookup(finding: Finding, ctx: FixContext, call: cst.Call, replace: cst.CSTNode) -> Optional[FixPlan]:
    """`os.environ[NAME]` in place of `replace`, for an `os.getenv(NAME, …)`/`os.environ.get(NAME, …)`
    call that passes nothing but the name and the default."""
    if ctx.qualify(call.func) not in _OS_GETTERS or any(a.star for a in call.args):
        return None
    key = keyword(call, "key") or (positional(call)[0] if positional(call) else None)
    if key is None or len(call.args) > 2:
        return None
    environ = _environ_expression(call.func, ctx)
    if environ is None:
        return None
    shown = _shown_name(key.value)
    lookup = cst.Subscript(value=environ, slice=[cst.SubscriptElement(cst.Index(key.value))])
    return FixPlan(finding, UNSAFE, f"require {shown} (`os.environ[...]`): start-up fails when it is not set",
                   [(replace, lambda node: lookup.with_changes(lpar=node.lpar, rpar=node.rpar))])


def _environ_expression(func: cst.BaseExpression, ctx: FixContext) -> Optional[cst.BaseExpression]:
    """`os.environ` spelled the way this file can: `os.environ` from `os.getenv`, the receiver of
    `os.environ.get`, a name the file imports for os or os.environ."""
    if isinstance(func, cst.Attribute):
        if func.attr.value == "get":
            return func.value  # os.environ(.get)
        return cst.Attribute(value=func.value, attr=cst.Name("environ"))  # os(.getenv)
    for local, target in sorted(ctx.names.imports.items()):
        if target == "os.environ":
            return cst.Name(local)
        if target == "os":
            return cst.Attribute(value=cst.Name(local), attr=cst.Name("environ"))
    return None  # `from os import getenv` alone: adding an import is more than this fix should do


def _shown_name(expr: cst.BaseExpression) -> str:
    value = literal_str(expr)
    return f"`{value}`" if value is not None else "the variable"
