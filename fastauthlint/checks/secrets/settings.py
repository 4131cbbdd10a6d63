"""Settings classes, for FAL301/FAL302: a literal default of a secret field is a fallback (FAL302)
in a pydantic `BaseSettings` class and a hardcoded secret (FAL301) elsewhere.

A class deriving from BaseSettings here (or from a settings class of this file) is judged while the
file is read. A class deriving from a project class defined in another file is "pending": its
secret fields are kept as facts (positions and masked values, never the values) and the linking
step follows its bases across files to decide (`link`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from fastauthlint.checks.secrets import hardcoded_secret, secret_with_literal_fallback
from fastauthlint.context import is_test_path
from fastauthlint.findings import TEST_CODE_SEVERITY, Finding, Severity, Span
from fastauthlint.project.programs import Held, hold

SETTINGS_BASES = frozenset({"pydantic.BaseSettings", "pydantic_settings.BaseSettings",
                            "pydantic_settings.main.BaseSettings", "pydantic.env_settings.BaseSettings"})


def class_kind(bases: List[str], module: Optional[str], local_settings: Set[str], top_level: bool) -> str:
    """"enum", "settings", "pending" (a top-level class with a project base: the linking step
    decides) or "plain", from a class's qualified bases."""
    if any(b.startswith("enum.") for b in bases):
        return "enum"  # members are labels: `access_token = "polar_access_token"`
    if any(b in SETTINGS_BASES for b in bases):
        return "settings"
    if any(b.startswith(f"{module}.") and b.split(".")[-1] in local_settings for b in bases):
        return "settings"
    if any(not b.startswith(("pydantic", "sqlmodel", "sqlalchemy", "typing", "enum", "abc",
                             "dataclasses", "fastapi", "starlette", "builtins"))
           for b in bases) and top_level:
        return "pending"  # a project base class: the linking step decides
    return "plain"


# -- facts (plain data, cached; positions only, never values) ------------------------------------

@dataclass
class FieldFact:
    name: str
    span: Tuple[int, int, int, int]
    masks: Tuple[Tuple[int, int, int], ...]
    shown: str  # the masked value (mask_secret): safe to store
    verdict: str  # SECRET or PLACEHOLDER
    kind: str  # password / token / secret
    is_test: bool
    warning: bool = False  # as a settings field: a development default of a credential for another service


@dataclass
class ClassFact:
    """A class whose kind (settings or not) depends on bases defined in other project files."""

    name: str
    bases: List[str]  # qualified names of its bases
    fields: List[FieldFact] = field(default_factory=list)


@dataclass
class SecretsFacts:
    classes: List[ClassFact] = field(default_factory=list)  # every top-level class with its bases
    settings: List[str] = field(default_factory=list)  # top-level classes known to be BaseSettings
    # Secrets this file refuses to run with empty (`if not settings.WEBHOOK_SECRET: raise ...`), and
    # empty defaults of signing secrets (lowercase name, finding) reported unless some file refuses them.
    refused_empty: List[str] = field(default_factory=list)
    empty_held: List[Tuple[str, Held]] = field(default_factory=list)


def held_empty(found: Finding, empty_name: Optional[str], held: List[Tuple[str, Held]]) -> bool:
    """An empty default of a signing key (`empty_name`) is held for the linking step, which reports
    it unless some file of the project refuses to run without it; True when held."""
    if not empty_name:
        return False
    held.append((empty_name.lower(), hold(found)))
    return True


def span_tuple(s: Span) -> Tuple[int, int, int, int]:
    return (s.line, s.column, s.end_line, s.end_column)


def link(project, check_name: str) -> List[Finding]:
    """The fields of pending classes: FAL302 where BaseSettings is among the class's ancestors,
    FAL301 elsewhere."""
    by_qual: Dict[str, Tuple[str, ClassFact]] = {}
    settings: Set[str] = set()
    for path, facts in project.facts(check_name):
        names = project.names(path)
        module = names.module if names else ""
        for cf in facts.classes:
            by_qual[f"{module}.{cf.name}" if module else cf.name] = (path, cf)
        for s in facts.settings:
            settings.add(f"{module}.{s}" if module else s)

    memo: Dict[str, bool] = {}

    def is_settings(qual: str, near: str, depth: int = 0) -> bool:
        if qual in SETTINGS_BASES or qual in settings:
            return True
        if depth > 15:
            return False
        if qual in memo:
            return memo[qual]
        memo[qual] = False
        target = qual
        if qual not in by_qual:
            sym = project.resolve(qual, near=near)
            target = sym.qualname if sym is not None else qual
        if target in settings:
            memo[qual] = True
            return True
        entry = by_qual.get(target)
        if entry is None:
            return False
        path, cf = entry
        memo[qual] = any(is_settings(b, path, depth + 1) for b in cf.bases)
        return memo[qual]

    out: List[Finding] = []
    refused: Set[str] = set()  # refused empty somewhere (a verifier answering 500 without the key)
    for path, facts in project.facts(check_name):
        res = project.results.get(path)
        if not is_test_path(res.rel if res is not None else path):
            refused.update(facts.refused_empty)
    for path, facts in project.facts(check_name):
        out.extend(Finding(rule=h.rule, path=path, span=Span(*h.span), message=h.message,
                           severity=Severity(h.severity) if h.severity else None)
                   for name, h in facts.empty_held if name not in refused)
        for cf in facts.classes:
            if not cf.fields:
                continue
            settings_cls = any(is_settings(b, path) for b in cf.bases)
            for f in cf.fields:
                warning = False
                if f.verdict == secret_with_literal_fallback.EMPTY and f.name.lower() in refused:
                    continue  # the code refuses to run without it: nobody signs with the empty key
                if settings_cls:
                    rule = secret_with_literal_fallback.RULE
                    msg = secret_with_literal_fallback.settings_message(f.name, cf.name, f.verdict, f.shown, f.warning)
                    warning = f.warning
                elif f.verdict == secret_with_literal_fallback.EMPTY:
                    continue  # an empty default is a known key only as a fallback
                else:
                    rule = hardcoded_secret.RULE
                    msg = hardcoded_secret.field_message(f.kind, cf.name, f.name, f.verdict, f.shown)
                sev = TEST_CODE_SEVERITY if f.is_test else (Severity.WARNING if warning else None)
                out.append(Finding(rule=rule, path=path, span=Span(*f.span), message=msg,
                                   severity=sev, masks=tuple(tuple(m) for m in f.masks)))
    return out
