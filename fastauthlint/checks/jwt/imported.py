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
from typing import Any, Dict, Iterator, List, Optional

import libcst as cst

from fastauthlint.astutil import dict_items, literal_value, module_constants
from fastauthlint.checks.jwt import (
    jwt_claim_checks_disabled,
    jwt_expiry_not_verified,
    jwt_signature_not_verified,
    jwt_unsafe_algorithms,
)
from fastauthlint.checks.jwt.model import JOSE, PYJWT
from fastauthlint.checks.jwt.options import MAX_LEEWAY
from fastauthlint.findings import Finding, Severity, Span

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


@dataclass
class JwtFacts:
    constants: Dict[str, Any] = field(default_factory=dict)
    refs: List[ImportedRef] = field(default_factory=list)


def module_constants_facts(module: cst.Module) -> Dict[str, Any]:
    """Literal top-level constants that can be decode options, algorithm lists or leeways."""
    out: Dict[str, Any] = {}
    for name, expr in module_constants(module).items():
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


def link(project, check_name: str) -> Iterator[Finding]:
    max_leeway = project.config.option(MAX_LEEWAY.key)
    for path, facts in project.facts(check_name):
        if not isinstance(facts, JwtFacts):
            continue
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
                    if ref.kind == "decode" and ref.identity:
                        how = " (`verify=False`, PyJWT 1.x)" if ref.legacy_off else ' (`"verify_signature": False`)'
                        yield finding("FAL502", jwt_signature_not_verified.unverified_message(ref.display, how,
                                                                                          ref.identity))
                        if value.get("verify_exp") is False:
                            yield finding("FAL501", jwt_expiry_not_verified.unverified_message(ref.display))
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


def _resolve(project, check_name: str, ref: str, near: str) -> Any:
    sym = project.resolve(ref, near=near)
    if sym is None or sym.attrs:
        return _NOT
    facts = project.file_facts(check_name, sym.path)
    if not isinstance(facts, JwtFacts):
        return _NOT
    return facts.constants.get(sym.name, _NOT)
