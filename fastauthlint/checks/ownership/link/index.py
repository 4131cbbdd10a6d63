"""The ownership facts of the whole project, indexed by qualified name for the link phase: the
function summaries (unpacked when first asked for), module-level helper objects, dependency
aliases, SQL constants and the model registry."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from fastauthlint.checks.ownership.facts import FuncSummary, InstanceFact, SqlConstant, StoredOwnership, StoreFact
from fastauthlint.checks.ownership.link.registry import ModelRegistry


class FunctionSummaries:
    """The project's function summaries by qualified name (the first one of a name wins), each
    unpacked from the stored facts when first asked for."""

    def __init__(self) -> None:
        self._where: Dict[str, Tuple[str, StoredOwnership, int]] = {}
        self._done: Dict[Tuple[str, int], Tuple[str, FuncSummary]] = {}

    def add(self, qualname: str, path: str, facts: StoredOwnership, index: int) -> None:
        if qualname not in self._where:
            self._where[qualname] = (path, facts, index)

    def summary(self, path: str, facts: StoredOwnership, index: int) -> FuncSummary:
        key = (path, index)
        hit = self._done.get(key)
        if hit is None:
            hit = self._done[key] = (path, facts.summary(index))
        return hit[1]

    def get(self, qualname: str, default=None) -> Optional[Tuple[str, FuncSummary]]:
        where = self._where.get(qualname)
        if where is None:
            return default
        path, facts, index = where
        return path, self.summary(path, facts, index)

    def __contains__(self, qualname: object) -> bool:
        return qualname in self._where

    def all(self):
        """(path, summary) of every function, unpacked as they are given."""
        for path, facts, index in list(self._where.values()):
            yield path, self.summary(path, facts, index)

    def nested(self, qualname: str) -> List[str]:
        """The functions defined inside `qualname` (a factory's closures)."""
        prefix = qualname + "."
        return [q for q in self._where if q.startswith(prefix)]


class OwnershipIndex:
    def __init__(self, project, owner_fields: Sequence[str]):
        self.facts: Dict[str, StoredOwnership] = dict(project.facts("ownership"))
        self.funcs = FunctionSummaries()  # qualname -> (path, summary), unpacked on first use
        self.instances: Dict[str, Tuple[str, InstanceFact]] = {}
        self.aliases: Dict[str, Tuple[str, str]] = {}  # alias qualname -> (path, dependency)
        self.alias_types: Dict[str, Tuple[str, str]] = {}  # alias qualname -> (path, annotated type)
        for path, f in self.facts.items():
            for i, qualname in f.qualnames():
                self.funcs.add(qualname, path, f, i)
            mod = f.module
            for inst in f.instances:
                self.instances[f"{mod}.{inst.name}" if mod else inst.name] = (path, inst)
            for al in f.aliases:
                self.aliases[f"{mod}.{al.name}" if mod else al.name] = (path, al.depends)
                if al.annotation:
                    self.alias_types[f"{mod}.{al.name}" if mod else al.name] = (path, al.annotation)
        self.sql_constants: Dict[str, SqlConstant] = {}
        self.stores: Dict[str, Tuple[str, StoreFact]] = {}  # in-memory stores of rows by qualname
        for path, f in self.facts.items():
            for c in f.sql:
                self.sql_constants[f"{f.module}.{c.name}" if f.module else c.name] = c
            for st in getattr(f, "stores", None) or ():
                self.stores[f"{f.module}.{st.name}" if f.module else st.name] = (path, st)
        self.models = ModelRegistry(project, self.facts, owner_fields)
