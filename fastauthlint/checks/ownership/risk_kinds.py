"""The ownership registry's view of which models belong to a user or a tenant, for the risk of an
unprotected route (FAL101, project/data_access.py): registered with the project model when this
family is loaded, since the project model never imports a family.

It only ever makes a model more scoped than the attribute view (column names) says:

- an owner or tenant column the registry recognises (`owner-fields`, `tenant-fields`, inherited
  across files) makes it "owned";
- rows that hang off an owned row by a foreign key or relationship are the owner's too (a
  `Payment` of a `Subscription` that has a `user_id`), one or two links up. A parent owned only by
  authorship (`author_id` of a post) does not count: whether the project treats authored rows as
  personal is decided by the walk (link/shared_rows.py), and posts are usually shown to everyone.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Set

from fastauthlint.checks.ownership.facts import FieldFact
from fastauthlint.checks.ownership.link.registry import Model, ModelRegistry
from fastauthlint.project.data_access import MemoKinds

_PLAIN = ("catalogue", "catalogue-flagged")


class RegistryModelKinds(MemoKinds):
    def __init__(self, project, base, owner_fields: Sequence[str]):
        self.project = project
        self.base = base
        fields = list(project.config.option("owner-fields")) + list(owner_fields)
        self.models = ModelRegistry(project, dict(project.facts("ownership")), tuple(dict.fromkeys(fields)))
        self._memo = {}

    def _kind(self, path: str, qual: str) -> str:
        base = self.base.kind(path, qual)
        if base not in _PLAIN:
            return base
        names = self.project.names(path)
        module = names.module if names is not None else ""
        m = self.models.model(f"{module}.{qual}" if module else qual, near=path)
        if m is None:
            return base
        if (m.owned and not m.authored) or self._owned_parent(m, 0, {m.qualname}):
            return "owned"
        return base

    def _owned_parent(self, m: Model, depth: int, seen: Set[str]) -> bool:
        if depth > 1:
            return False
        for f in m.fields.values():
            parent = self._parent(f, m.path, m.fields)
            if parent is None or parent.qualname in seen:
                continue
            seen.add(parent.qualname)
            if (parent.owned and not parent.authored) or self._owned_parent(parent, depth + 1, seen):
                return True
        return False

    def _parent(self, f: FieldFact, near: str, fields: Dict[str, FieldFact]) -> Optional[Model]:
        """The model a many-to-one link points at: a foreign-key column, or a relationship
        beside its `<name>_id` column (a bare relationship may be the one-to-many side, the
        children of a catalogue entry)."""
        target = f.fk or (f.relation if f"{f.name}_id" in fields or f.column != f.name else "")
        if not target:
            return None
        if f.fk and "." in f.fk and f.fk.split(".")[-1][:1].islower():
            return self.models.by_table(f.fk.rsplit(".", 1)[0])  # "subscriptions.id"
        return self.models.model(target, near=near)


def provide(project, base, owner_fields: Sequence[str]) -> RegistryModelKinds:
    return RegistryModelKinds(project, base, owner_fields)
