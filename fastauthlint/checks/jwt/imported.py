"""Options, algorithm lists and leeways imported from another module of the project.

    # app/core/config.py
    JWT_DECODE_OPTIONS = {"verify_aud": False}
    ALGORITHMS = ["HS256", "RS256"]

    # app/api/deps.py
    from app.core.config import ALGORITHMS, JWT_DECODE_OPTIONS
    jwt.decode(token, key, algorithms=ALGORITHMS, options=JWT_DECODE_OPTIONS)

The per-file phase cannot see another file, so it records plain facts: every module's literal
constants that look like decode options, algorithm lists or leeways (`JwtFacts.constants`), and
every JWT call whose argument is a name imported from elsewhere, with what the rules need to know
about the call site (`ImportedRef`). The linking phase resolves the import through the project
(re-exports included) and reports with the same messages as the per-file rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import argument, dict_items, literal_value, module_constants, name_of
from fastauthlint.checks.jwt import (
    jwt_claim_checks_disabled,
    jwt_expiry_not_verified,
    jwt_signature_not_verified,
    jwt_unsafe_algorithms,
)
from fastauthlint.checks.jwt.model import JOSE, PYJWT
from fastauthlint.checks.jwt.options import MAX_LEEWAY
from fastauthlint.findings import Finding, Severity, Span
from fastauthlint.project.programs import Held, release
from fastauthlint.project.unreached import read_anywhere

OPTION_KEYS = frozenset({"verify_signature", "verify_exp", "verify_aud", "verify_iss", "verify_iat", "verify_nbf",
                         "require", "require_exp", "leeway"})
_ALGORITHM = re.compile(r"^(HS|RS|PS|ES)\d{3}K?$|^EdDSA$|^Ed(25519|448)$|^none$", re.I)
_LEEWAY_NAME = re.compile(r"leeway|skew", re.I)
_NOT = object()


@dataclass
class ImportedRef:
    role: str  # options | algorithms | leeway
    ref: str  # the qualified name the call site imports
    line: int
    column: int
    end_line: int
    end_column: int
    display: str
    lib: str
    kind: str  # decode | ctor
    reads: List[str] = field(default_factory=list)  # claims the function reads itself
    revokes: bool = False
    identity: str = ""  # how unverified claims would decide identity here ("" when they do not)
    legacy_off: bool = False  # PyJWT 1.x `verify=False` at the call
    signature: str = "on"  # on | maybe | off, from what the call site shows
    key_problem: str = ""  # no key / `None` / empty key at the call site
    no_algorithms: bool = False  # no `algorithms=` at the call site (and no PyJWK key, no **kwargs)
    out_of_view: str = ""  # when they decide nothing here: how they leave the function or go unused


@dataclass
class JwtFacts:
    constants: Dict[str, Any] = field(default_factory=dict)
    refs: List[ImportedRef] = field(default_factory=list)
    # FAL505 lifetime constants their own module never reads: (name, span, message), reported when
    # another module imports them (a copy-pasted `ACCESS_TOKEN_EXPIRE_MINUTES` nobody reads sets
    # no token's lifetime)
    idle_lifetimes: List[Tuple[str, Tuple[int, int, int, int], str]] = field(default_factory=list)
    # FAL502 on claims only shown, in a file that may be a script: reported unless it is one
    held: List[Held] = field(default_factory=list)
    # FAL505 lifetime attributes of a settings class the file never names again: reported when some
    # code of the project reads them (a lifetime no issuer reads sets no token's lifetime)
    idle_settings: List[Tuple[str, Tuple[int, int, int, int], str]] = field(default_factory=list)


def module_constants_facts(module: cst.Module) -> Dict[str, Any]:
    """Literal top-level constants that can be decode options, algorithm lists or leeways, and the
    attributes of settings classes that are (`Settings.JWT_OPTIONS`, and `settings.JWT_OPTIONS`
    for a module-level `settings = Settings()`)."""
    out: Dict[str, Any] = {}
    constants = module_constants(module)
    for name, expr in {**constants, **_settings_attributes(module, constants)}.items():
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict" \
                and all(a.keyword is not None for a in expr.args):
            value: Any = {a.keyword.value: literal_value(a.value, default=_NOT) for a in expr.args}
        elif isinstance(expr, cst.Dict):
            value = {k: literal_value(v, default=_NOT) for k, v, _ in dict_items(expr) if k is not None}
        else:
            value = literal_value(expr, default=_NOT)
        if isinstance(value, dict):
            kept = {k: v for k, v in value.items() if isinstance(k, str) and k in OPTION_KEYS and v is not _NOT}
            if kept:
                out[name] = kept
        elif isinstance(value, str) and _ALGORITHM.match(value):
            out[name] = value
        elif isinstance(value, (list, tuple, set)) and value and all(
                isinstance(x, str) and _ALGORITHM.match(x) for x in value):
            out[name] = sorted(value) if isinstance(value, set) else list(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and _LEEWAY_NAME.search(name):
            out[name] = value
    return out


def _settings_attributes(module: cst.Module, constants: Dict[str, cst.BaseExpression]) -> Dict[str, cst.BaseExpression]:
    """`Class.ATTR` for class-level assignments (a pydantic `Field(default=...)` read as its
    default), and `instance.ATTR` for module-level instances of those classes."""
    out: Dict[str, cst.BaseExpression] = {}
    by_class: Dict[str, Dict[str, cst.BaseExpression]] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef) or not isinstance(stmt.body, cst.IndentedBlock):
            continue
        attrs: Dict[str, cst.BaseExpression] = {}
        for line in stmt.body.body:
            if not isinstance(line, cst.SimpleStatementLine):
                continue
            for small in line.body:
                target, value = None, None
                if isinstance(small, cst.AnnAssign) and small.value is not None:
                    target, value = small.target, small.value
                elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                if isinstance(target, cst.Name) and value is not None:
                    if isinstance(value, cst.Call) and name_of(value.func) == "Field":
                        value = argument(value, "default", 0)
                    if value is not None:
                        attrs[target.value] = value
        by_class[stmt.name.value] = attrs
        out.update({f"{stmt.name.value}.{k}": v for k, v in attrs.items()})
    for name, expr in constants.items():
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in by_class:
            out.update({f"{name}.{k}": v for k, v in by_class[expr.func.value].items()})
    return out


def link(project, check_name: str) -> Iterator[Finding]:
    max_leeway = project.config.option(MAX_LEEWAY.key)
    for path, facts in project.facts(check_name):
        if not isinstance(facts, JwtFacts):
            continue
        yield from release(project, path, facts.held)
        for name, span, message in facts.idle_lifetimes:
            if _imported_elsewhere(project, path, name):
                yield Finding(rule="FAL505", path=path, span=Span(*span), message=message, severity=Severity.WARNING)
        for name, span, message in facts.idle_settings:
            if name in read_anywhere(project):
                yield Finding(rule="FAL505", path=path, span=Span(*span), message=message, severity=Severity.WARNING)
        for ref in facts.refs:
            value = _resolve(project, check_name, ref.ref, path)
            if value is _NOT:
                continue
            span = Span(ref.line, ref.column, ref.end_line, ref.end_column)

            def finding(rule: str, message: str, severity: Optional[Severity] = None) -> Finding:
                return Finding(rule=rule, path=path, span=span, message=message, severity=severity)

            if ref.role == "options" and isinstance(value, dict):
                sig_off = value.get("verify_signature") is False or ref.legacy_off
                if sig_off:
                    how = " (`verify=False`, PyJWT 1.x)" if ref.legacy_off else ' (`"verify_signature": False`)'
                    if ref.kind == "decode" and ref.identity:
                        yield finding("FAL502", jwt_signature_not_verified.unverified_message(ref.display, how,
                                                                                          ref.identity))
                        if value.get("verify_exp") is False:
                            yield finding("FAL501", jwt_expiry_not_verified.unverified_message(ref.display))
                    elif ref.kind == "decode" and ref.out_of_view:
                        yield finding("FAL502", jwt_signature_not_verified.out_of_view_message(
                            ref.display, how, ref.out_of_view), Severity.WARNING)
                    continue
                if ref.kind == "decode" and ref.key_problem:
                    yield finding("FAL502", jwt_signature_not_verified.key_message(ref.display, ref.key_problem))
                if ref.kind == "decode" and ref.no_algorithms:
                    yield finding("FAL503", jwt_unsafe_algorithms.missing_message(ref.display, ref.lib))
                if "exp" not in ref.reads and not ref.revokes:
                    require = value.get("require")
                    required = None
                    if ref.lib == PYJWT and isinstance(require, (list, tuple)) and "exp" not in require:
                        required = sorted(str(x) for x in require)
                    message = jwt_expiry_not_verified.expiry_message(
                        ref.display, verify_exp_off=value.get("verify_exp") is False, required=required,
                        require_exp_off=value.get("require_exp") is False)
                    if message:
                        yield finding("FAL501", message)
                disabled = [k for k in ("verify_aud", "verify_iss", "verify_iat", "verify_nbf")
                            if value.get(k) is False and k[len("verify_"):] not in ref.reads]
                if disabled:
                    yield finding("FAL504", jwt_claim_checks_disabled.flags_message(ref.display, disabled))
                leeway = value.get("leeway")
                if ref.lib == JOSE and isinstance(leeway, (int, float)) and not isinstance(leeway, bool):
                    problem = jwt_claim_checks_disabled.too_long([leeway], max_leeway)
                    if problem:
                        yield finding("FAL504", f"`{ref.display}` {problem}", Severity.WARNING)
            elif ref.role == "algorithms" and ref.signature != "off":
                names = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
                problem = jwt_unsafe_algorithms.list_problem([n for n in names if isinstance(n, str)])
                if problem:
                    yield finding("FAL503", f"`{ref.display}` {problem}")
            elif ref.role == "leeway" and ref.signature != "off" and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                problem = jwt_claim_checks_disabled.too_long([value], max_leeway)
                if problem:
                    yield finding("FAL504", f"`{ref.display}` {problem}", Severity.WARNING)


def _imported_elsewhere(project, path: str, name: str) -> bool:
    """Does another module import `name` from the module at `path`, or the module itself (whose
    attributes it may then read), or all its names (`*`)?"""
    own = project.names(path)
    module = own.module if own is not None else ""
    for other in project.results:
        names = project.names(other)
        if other == path or names is None:
            continue
        if any(module.startswith(q + ".") for local, q in names.imports.items() if local == q):
            return True  # `import app.core.config`: the module's names are read through the package
        for star in names.star_imports:
            if project.module_path(star, near=other) == path:
                return True
        for q in names.imports.values():
            if project.module_path(q, near=other) == path:
                return True
            sym = project.resolve(q, near=other)
            if sym is not None and sym.path == path and sym.name == name:
                return True
    return False


def _resolve(project, check_name: str, ref: str, near: str) -> Any:
    sym = project.resolve(ref, near=near)
    if sym is None or len(sym.attrs) > 1:
        return _NOT
    facts = project.file_facts(check_name, sym.path)
    if not isinstance(facts, JwtFacts):
        return _NOT
    return facts.constants.get(".".join((sym.name, *sym.attrs)), _NOT)
