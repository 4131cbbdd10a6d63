"""The linking phase's view of the whole project: every file's facts, and name resolution across
files (imports, re-exports, `from x import *`). Plain dictionaries in, answers out; no parsing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple

from fastauthlint.project.names import ModuleNames

if TYPE_CHECKING:  # types only: importing them would close an import circle
    from fastauthlint.analysis import FileResult
    from fastauthlint.config import Config


@dataclass(frozen=True)
class Symbol:
    """A name defined at the top level of a project module; `attrs` is any attribute path after
    it (`Settings.SECRET_KEY` -> name "Settings", attrs ("SECRET_KEY",))."""

    path: str  # absolute POSIX path of the defining file
    module: str
    name: str
    attrs: Tuple[str, ...] = ()

    @property
    def qualname(self) -> str:
        return ".".join((self.module, self.name, *self.attrs)) if self.module else ".".join((self.name, *self.attrs))


class Project:
    def __init__(self, results: Dict[str, FileResult], config: Config):
        self.results = results
        self.config = config
        self._memo: Dict[str, Any] = {}
        # Every dotted suffix of every module name -> files, so that `app.api.deps` finds
        # `backend/app/api/deps.py` (named `backend.app.api.deps` from the root).
        self._by_suffix: Dict[str, List[str]] = {}
        self._packages: Optional[set] = None
        self._names: Dict[str, ModuleNames] = {}
        self._resolved: Dict[tuple, Optional[Symbol]] = {}
        self._resolving: set = set()
        self._cuts = 0
        self._negative_here: set = set()
        for path, res in results.items():
            if res.names is None:
                continue
            self._names[path] = res.names
            parts = res.names.module.split(".") if res.names.module else []
            for i in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[i:]), []).append(path)

    # -- facts ----------------------------------------------------------------------------------
    def facts(self, check: str) -> Iterator[Tuple[str, Any]]:
        """(path, facts) of every file that has facts from `check`, in path order."""
        for path in sorted(self.results):
            f = self.results[path].facts.get(check)
            if f is not None:
                yield path, f

    def file_facts(self, check: str, path: str) -> Any:
        res = self.results.get(path)
        return res.facts.get(check) if res else None

    def names(self, path: str) -> Optional[ModuleNames]:
        return self._names.get(path)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A derived analysis computed once per run and shared between checks (e.g. the route
        table that both the coverage and the ownership checks need)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- modules --------------------------------------------------------------------------------
    def is_package(self, name: str) -> bool:
        """The project has modules inside a package of this name (`app` for `app/api/items.py`,
        whether or not `app/__init__.py` exists)."""
        if self._packages is None:
            self._packages = {k.split(".", 1)[0] for k in self._by_suffix if "." in k}
        return name in self._packages

    def module_path(self, dotted: str, near: Optional[str] = None) -> Optional[str]:
        """The file of a project module named `dotted` (full or a root-relative suffix), the one
        closest to `near` when several match (monorepos, several apps under one root)."""
        candidates = self._by_suffix.get(dotted)
        if not candidates:
            return None
        if len(candidates) == 1 or near is None:
            return min(candidates, key=lambda p: (p.count("/"), p))
        return max(candidates, key=lambda p: (len(os.path.commonprefix([p, near])), -p.count("/"), p))

    def resolve(self, qualname: str, near: Optional[str] = None, _depth: int = 0) -> Optional[Symbol]:
        """Follow a qualified name through modules, re-exports and star imports to the module
        that defines it. None for names outside the project (fastapi.Depends) or not found."""
        if _depth > 20 or not qualname:
            return None
        # Memoised, and a name already being resolved (an import cycle through star imports or
        # re-exports) is not found along that path: without this, projects whose packages
        # star-import each other take exponential time here.
        return self._guarded((qualname, near), lambda: self._resolve(qualname, near, _depth))

    def _guarded(self, key: tuple, compute: Callable[[], Optional[Symbol]]) -> Optional[Symbol]:
        """Memoised `compute()`; a key met again while it is being computed is a cycle and
        answers None on that path. A "not found" reached through such a cut is not memoised
        (another path into the cycle may still find the name)."""
        if key in self._resolved:
            return self._resolved[key]
        if key in self._resolving or key in self._negative_here:
            self._cuts += 1
            return None
        cuts = self._cuts
        self._resolving.add(key)
        try:
            found = compute()
        finally:
            self._resolving.discard(key)
        if found is not None or self._cuts == cuts:
            self._resolved[key] = found
        else:
            # good for the rest of this query: its traversal reaches everything from here anyway
            self._negative_here.add(key)
        if not self._resolving:
            self._negative_here.clear()
        return found

    def _resolve(self, qualname: str, near: Optional[str], _depth: int) -> Optional[Symbol]:
        parts = qualname.split(".")
        # The longest prefix that is a project module; the rest is a name in it (plus attributes).
        for cut in range(len(parts) - 1, 0, -1):
            path = self.module_path(".".join(parts[:cut]), near)
            if path is None:
                continue
            sym = self._lookup(path, parts[cut], tuple(parts[cut + 1 :]), _depth)
            if sym is not None:
                return sym
        return None

    def _lookup(self, path: str, name: str, attrs: Tuple[str, ...], depth: int) -> Optional[Symbol]:
        # The same guard as resolve(): star imports that import each other in a cycle.
        if depth > 40:
            return None
        return self._guarded(("lookup", path, name, attrs), lambda: self._lookup_uncached(path, name, attrs, depth))

    def _lookup_uncached(self, path: str, name: str, attrs: Tuple[str, ...], depth: int) -> Optional[Symbol]:
        names = self._names.get(path)
        if names is None:
            return None
        if name in names.defined:
            return Symbol(path, names.module, name, attrs)
        if name in names.imports:
            target = names.imports[name]
            if attrs:
                target = ".".join((target, *attrs))
            found = self.resolve(target, near=path, _depth=depth + 1)
            if found is not None:
                return found
        # `from app.api import deps` then `deps.CurrentUser`: a submodule of a package.
        if attrs and names.is_package:
            sub = self.module_path(f"{names.module}.{name}" if names.module else name, near=path)
            if sub is not None and sub != path:
                found = self._lookup(sub, attrs[0], attrs[1:], depth + 1)
                if found is not None:
                    return found
        for star in names.star_imports:
            spath = self.module_path(star, near=path)
            if spath and spath != path:
                found = self._lookup(spath, name, attrs, depth + 1)
                if found is not None:
                    return found
        return None

    def qualify_in(self, path: str, dotted_name: str) -> Optional[str]:
        """What a dotted name written in file `path` refers to, as a qualified name."""
        names = self._names.get(path)
        if names is None:
            return None
        return names.qualify_dotted(dotted_name)
