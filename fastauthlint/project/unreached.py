"""Code the project never reaches, from what every file uses (collect_unreached.py):

- a method of a class that no code of the project names: no call, attribute, name or string
  (`getattr`, `__all__`) uses its name anywhere, tests included; its class has no decorator, no
  metaclass and no base outside the project (a framework's base calls its subclasses' methods by
  name: `dispatch`, `authenticate`), and it is not a dunder or decorated;
- an `except X:` clause whose `try` body cannot raise X: X is a class of the project (code outside
  it cannot raise what it does not know), and neither X nor a subclass of it is used by the body or
  by anything the body uses, followed through the project's functions by name (every function and
  every method of a class of that name), nor handed on from module level or a class body.

Findings there are shown as `info` with a note saying why the code is not reached: a library or
a plug-in may still call it, so they are never dropped.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

from fastauthlint.context import is_test_path
from fastauthlint.findings import Finding, Severity
from fastauthlint.project.collect_unreached import FACTS_KEY, UnreachedFacts, said

# The families whose findings the note applies to: what they report happens only when the code runs.
_FAMILIES = ("FAL3", "FAL4", "FAL5", "FAL6")

Region = Tuple[int, int, str]  # (first line, last line, why it is not reached)


def demote(project, by_file: Dict[str, List[Finding]]) -> None:
    """Lower the findings inside code the project never reaches to `info`, in place."""
    if not any(f.rule.startswith(_FAMILIES) and f.severity != Severity.INFO
               for found in by_file.values() for f in found):
        return
    regions = Unreached(project).regions()
    for path, found in by_file.items():
        spans = regions.get(path)
        if not spans:
            continue
        for i, f in enumerate(found):
            if not f.rule.startswith(_FAMILIES) or f.severity == Severity.INFO:
                continue
            why = next((w for start, end, w in spans if start <= f.span.line <= end), None)
            if why is not None:
                found[i] = f.with_(severity=Severity.INFO, message=f"{f.message} (not reached: {why})")


class _Used:
    """Every name some file of the project uses: reads, attributes, identifiers in strings (kept
    hashed); a class attribute's own definition is no use."""

    def __init__(self, project):
        self.names: Set[str] = set()
        self.said: Set[str] = set()
        for _, f in project.facts(FACTS_KEY):
            self.names.update(f.used)
            self.said.update(f.said)

    def __contains__(self, name: str) -> bool:
        return name in self.names or said(name) in self.said


def read_anywhere(project) -> _Used:
    memo = project._memo
    if "unreached.used" not in memo:
        memo["unreached.used"] = _Used(project)
    return memo["unreached.used"]


class Unreached:
    def __init__(self, project):
        self.project = project
        self.files: Dict[str, UnreachedFacts] = dict(project.facts(FACTS_KEY))
        self.app = {p: f for p, f in self.files.items() if not self._is_test(p)}

    def _is_test(self, path: str) -> bool:
        res = self.project.results.get(path)
        return is_test_path(res.rel if res is not None else path)

    def regions(self) -> Dict[str, List[Region]]:
        out: Dict[str, List[Region]] = {}
        used = read_anywhere(self.project)
        prefixes: Set[str] = set()
        for f in self.files.values():
            prefixes.update(p for p in f.prefixes if p)
        for path, f in self.app.items():
            for m in f.methods:
                if m.name in used or any(m.name.startswith(p) for p in prefixes):
                    continue
                if not self._closed(path, m.cls):
                    continue
                out.setdefault(path, []).append(
                    (m.line, m.end_line, f"nothing in the project calls or names `{m.cls}.{m.name}`"))
        raisers = _Raisers(self)
        for path, f in self.app.items():
            for h in f.handlers:
                caught = raisers.never_raised(path, h.caught, h.uses)
                if caught:
                    out.setdefault(path, []).append(
                        (h.line, h.end_line, f"nothing the `try` runs raises {caught}, a project exception"))
        return out

    def resolve_class(self, path: str, name: str) -> Optional[Tuple[str, str]]:
        """(file, top-level class) a base or an `except` names, when it is a class of the project."""
        f = self.files.get(path)
        if f is not None and name in f.classes:
            return path, name
        sym = self.project.resolve(name, near=path) if "." in name else None
        if sym is None or sym.attrs:
            return None
        target = self.files.get(sym.path)
        return (sym.path, sym.name) if target is not None and sym.name in target.classes else None

    def _closed(self, path: str, cls: str, depth: int = 0) -> bool:
        """Does every base of the class (and of its bases) belong to the project?"""
        if depth > 8:
            return False
        bases = self.files[path].classes.get(cls)
        if bases is None:
            return False
        for b in bases:
            if b in ("object", "builtins.object"):
                continue
            found = self.resolve_class(path, b) if b else None
            if found is None or not self._closed(found[0], found[1], depth + 1):
                return False
        return True


class _Raisers:
    """Can a `try` body raise one of the project's exception classes?"""

    def __init__(self, unreached: Unreached):
        self.u = unreached
        self._uses: Optional[Dict[str, List[Tuple[str, ...]]]] = None
        self._children: Optional[Dict[Tuple[str, str], List[Tuple[str, str]]]] = None
        self._ambient: Set[str] = set()

    def _index(self) -> None:
        self._uses, self._children = {}, {}
        for path, f in self.u.app.items():
            self._ambient.update(f.ambient)
            for qual, uses in f.uses.items():
                parts = qual.split(".")
                self._uses.setdefault(parts[-1], []).append(uses)
                if len(parts) == 2 and parts[0] in f.classes:
                    self._uses.setdefault(parts[0], []).append(uses)  # `C(...)` runs C's methods
            for cls, bases in f.classes.items():
                for b in bases:
                    found = self.u.resolve_class(path, b) if b else None
                    if found is not None:
                        self._children.setdefault(found, []).append((path, cls))

    def never_raised(self, path: str, caught: Iterable[str], body: Iterable[str]) -> str:
        """The caught classes, shown, when none of them can come out of the body; else ""."""
        if self._uses is None:
            self._index()
        targets: Set[str] = set()
        shown = []
        for c in caught:
            found = self.u.resolve_class(path, c)
            if found is None:
                return ""  # not the project's: code outside it may raise it
            shown.append(f"`{found[1]}`")
            stack = [found]
            while stack:
                k = stack.pop()
                if k[1] not in targets:
                    targets.add(k[1])
                    stack.extend(self._children.get(k, ()))
        if targets & self._ambient:
            return ""
        seen: Set[str] = set()
        stack = list(body)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            if name in targets:
                return ""
            seen.add(name)
            for uses in self._uses.get(name, ()):
                stack.extend(u for u in uses if u not in seen)
        return " or ".join(shown)
