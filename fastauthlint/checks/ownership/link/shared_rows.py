"""Which unscoped rows the walk found are shared rather than someone's, decided once every route
is walked (what the project scopes by the current user is known only then): rows owned only by
their author that the project never scopes by author, the personal models a role gate does not
share (those some query filters by the current user, and their children), and the workflow steps
a role gate allows on personal rows."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

from fastauthlint.checks.ownership.facts import FieldFact
from fastauthlint.checks.ownership.link.registry import Model, ModelRegistry
from fastauthlint.checks.ownership.link.words import USER_KEY

# the row's own key, or every column: a filter on one picks rows by identifier
_KEY_COLS = ("id", "pk", "_id", "*", "**")


def cascade(p) -> bool:
    """A change the workflow makes to rows it selects by what they refer to, not by their
    identifier, and does not hand back (closing every reminder about a record a reviewer just
    decided): behind a role gate, a step of the holder's job, not a way to reach a row."""
    if p.op not in ("update", "delete") or p.returned or p.site.keys:
        return False
    return not any(c.split(".")[-1] in _KEY_COLS for c, _ in p.site.filters)


_ID_COL = re.compile(r"(^|_)(id|pk|uuid|key|token)$|[a-z](Id|ID|Key|Token)$")


def attribute_count(site, owned) -> bool:
    """A count filtered only on attributes of the rows (`ip_address == ip`, `status == FAILED`,
    `created_at >= since`), never on an identifier, an owner or a tenant: it counts rows across
    users by what they share (rate limits, quotas) and returns a number, no row."""
    owners = {c.split(".")[-1] for m in owned for c in m.owner_columns}
    cols = [c.split(".")[-1] for c, _ in site.filters]
    return bool(cols) and all(c.isidentifier() and c not in owners and not _ID_COL.search(c) for c in cols)


def picked_owner(p) -> bool:
    """Rows selected by whose they are, for a user the caller names (`History.user_id ==
    user_id` on `PUT /users/{user_id}/reset-password`): behind a permission gate, managing that
    user is what the permission grants; a row picked by its own identifier is not."""
    if p.site.keys:
        return False
    cols = {c.split(".")[-1] for c, _ in p.site.filters}
    return bool(cols & set(p.model.owner_columns)) and not cols & {"id", "pk", "_id", "*", "**"}


def authored_shared(p, stats, method: str = "GET") -> bool:
    """Rows owned only by authorship (`created_by_id`, `author_id`) are their author's where the
    project scopes rows by it: a query filtered by the current user makes them personal; owner
    checks alone (or rows reached through a checked one) guard changes, and the rows are shared
    reading on routes that only read (a team's comment board); nothing at all, and they are shared
    (the rule sets every manager applies)."""
    m = p.model
    if not m.authored or m.qualname in stats.personal:
        return False
    if m.qualname in stats.checked:
        # a read on a route that changes nothing (a helper's read may be the first half of a write)
        return p.op in ("read", "count") and method.upper() in ("GET", "HEAD")
    return True


def personal_models(models: ModelRegistry, personal: Set[str]) -> Set[str]:
    """Models some query filters by the current user, and the owner-scoped models whose rows
    hang off theirs (a bookmark with its own `user_id` in a user's folder): personal too."""
    out = set(personal)
    owned = [m for m in (models.model(q) for q in sorted(models.classes)) if m is not None and m.owned]
    for _ in range(3):
        grew = False
        for m in owned:
            if m.qualname in out:
                continue
            for f in m.fields.values():
                parent = _parent_model(models, f, m.path)
                if parent is not None and parent.qualname in out:
                    out.add(m.qualname)
                    grew = True
                    break
        if not grew:
            break
    return out


def _parent_model(models: ModelRegistry, f: FieldFact, near: str) -> Optional[Model]:
    target = f.fk or f.relation
    if not target:
        return None
    if f.fk and "." in f.fk and f.fk.split(".")[-1][:1].islower():
        return models.by_table(f.fk.rsplit(".", 1)[0])  # "folders.id"
    return models.model(target, near=near)



def _open_list(p, tenant_fields) -> Optional[Tuple[str, ...]]:
    """The columns a list of rows is narrowed by, when the list is open to its caller: a read
    picking rows by no identifier, no owner and no tenant (`Post.title.contains(q)`, a parent's
    key `Comment.post_id == id`); None when it is no such list."""
    if p.op != "read" or p.site.keys or p.tenant_only:
        return None
    cols = tuple(c.split(".")[-1] for c, _ in p.site.filters)
    if any(c in _KEY_COLS or c in p.model.owner_columns or c in tenant_fields or USER_KEY.match(c)
           for c in cols):
        return None
    return cols


def listed_shared(done, models: ModelRegistry, stats, tenant_fields, authored_by_self) -> Set[str]:
    """Models whose every row the project lists to any signed-in user (a feed of posts, the
    comments under a post) while it compares the owner column with the user only before changes
    (`if post.owner_id != user.id: raise 403` on edit): the owner column records the author, and
    reading a row by its id shows nothing the list did not. The evidence is project-wide: a GET
    route behind no role gate returns rows of the model narrowed by attributes alone, or by the
    key of a parent that is itself listed so, and users make the rows for themselves (the owner
    column set from the current user); an admin-only or gated list, a query filtering the model
    by the current user (it is personal), no owner check anywhere, or rows filed by someone else
    for a user (an HR record) keep the model owned."""
    lists: Dict[str, List[Tuple[str, ...]]] = {}
    for r, _, problems, gated, anonymous in done:
        if gated or anonymous or r.method.upper() != "GET":
            continue
        for p in problems:
            cols = _open_list(p, tenant_fields)
            if cols is not None:
                lists.setdefault(p.model.qualname, []).append(cols)
    personal = personal_models(models, stats.personal)
    candidates = {q for q in lists if q in stats.checked and q not in personal}
    candidates &= authored_by_self(candidates)  # each user writes their own (a post, a comment)
    shared: Set[str] = set()
    for _ in range(3):  # parents first, then the rows listed under them
        for q in sorted(candidates - shared):
            m = models.model(q)
            if m is None:
                continue
            if any(all(_parent_shared(models, m, c, shared) for c in cols) for cols in lists[q]):
                shared.add(q)
    return shared


def _parent_shared(models: ModelRegistry, m: Model, col: str, shared: Set[str]) -> bool:
    """A list narrowed by `col`: an attribute of the rows, or the key of a parent listed openly."""
    f = next((f for f in m.fields.values() if f.column == col or f.name == col), None)
    parent = _parent_model(models, f, m.path) if f is not None else None
    if parent is None:
        return not col.endswith("_id")
    return parent.qualname in shared


def listed_read(p, listed: Set[str], method: str) -> bool:
    """A read of a row of a model every signed-in user lists (`listed_shared`): on a route that
    only reads, or in the handler of one that changes something else and does not hand the row
    back (a parent post checked to exist before a comment or a vote is attached to it; a helper's
    read on such a route may be the first half of its change). Changes stay the author's."""
    return p.model.qualname in listed and p.op in ("read", "count") and (
        method.upper() in ("GET", "HEAD") or not (p.returned or p.via))
