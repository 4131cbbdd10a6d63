"""A tenant named by the request (spec §5, issue 11: the identity taken from the request, applied
to tenants).

`GET /orgs/{org_id}/projects` that reads `Project.organization_id == org_id` serves the projects
of whichever organisation the client names. Unless something checks that the caller belongs to
it, that is another tenant's data: FAL201 at the query (or at the call that leads to it).

What checks membership, before the rows are read:
- the path id compared with the caller's tenant (`if org_id != user.organization_id: raise`):
  an identity check, it then stands for the caller (values.py);
- a membership row looked up by the path id and the current user, refused when absent
  (`select(Membership).where(Membership.organization_id == org_id, Membership.user_id ==
  user.id)` then `if not m: raise`), or a helper or predicate given both (`if not
  is_member(db, org_id, user): raise`);
- the caller found among the tenant's members (`if user not in org.members: raise`);
- a dependency FastAPI gives the same path id and the current user
  (`membership = Depends(require_member)` with `require_member(org_id, user=Depends(...))`);
- the query itself also filtered by the user (a join through the membership table).

Only tenants with evidence count: a column the project's users carry (`User.organization_id`) or
that a table of the users' rows carries next to its owner column (a membership table). A
`team_id` of a sports league that nobody belongs to is not a tenant.
"""

from __future__ import annotations

import re
from typing import FrozenSet, Optional, Set

from fastauthlint.checks.ownership.facts import FuncSummary, Origin, QuerySite

PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


class TenantClaims:
    def __init__(self, walk):
        self.walk = walk
        self._columns: Optional[Set[str]] = None

    # -- which columns are tenants --------------------------------------------------------------
    def columns(self) -> Set[str]:
        """The tenant columns users belong by (see the module doc)."""
        if self._columns is None:
            tenants = self.walk.tenant_fields
            out: Set[str] = set()
            models = self.walk.models
            for q in list(models.classes):
                m = models.model(q)
                if m is None:
                    continue
                cols = {f.column for f in m.fields.values()} & tenants
                if cols and (m.owned and not m.authored or q in models.principal_models):
                    out |= cols - set(m.owner_columns)
            self._columns = out
        return self._columns

    # -- the route -------------------------------------------------------------------------------
    def checked_by_auth(self, r, fs: FuncSummary) -> FrozenSet[str]:
        """The route's tenant parameters (`/orgs/{org_id}/...`) that its authenticating dependency
        reads too: FastAPI hands it the same value, and an authenticating dependency reads the
        tenant to check that the caller belongs to it (`require_member(org_id, user=Depends(...))`)."""
        wanted = {p.name for p in fs.params if p.name in self.walk.tenant_fields}
        if not wanted:
            return frozenset()
        read: Set[str] = set()
        for dep in r.auth_dependencies:
            read |= self.walk.resolver.dependency_params(dep)
        return frozenset(wanted & read)

    def claimed_at_root(self, r, path: str, fs: FuncSummary, tenant: FrozenSet[str]) -> FrozenSet[str]:
        """The handler's path parameters naming a tenant that no dependency checks."""
        named = set(PATH_PARAM.findall(r.path)) & set(self.walk.tenant_fields) - set(tenant)
        if not named or not self.columns():
            return frozenset()
        resolver = self.walk.resolver
        targets = []
        for p in fs.params:
            ref = resolver.dependency_ref(path, p)
            if ref:
                targets.append(resolver.resolve_name(ref, path) or ref)
        for dep in fs.route_deps:
            if dep.callee.kind == "global":
                targets.append(resolver.resolve_name(dep.callee.name, path) or dep.callee.name)
        for t in targets:
            hit = resolver.function(t.replace(".<locals>", ""))
            if hit is None:
                continue
            dpath, d = hit
            # FastAPI gives the dependency the same path value; with the user beside it, it is the
            # membership check (`require_member(org_id, user=Depends(get_current_user))`)
            if any(resolver.is_user_dependency(dpath, p) for p in d.params):
                named -= {p.name for p in d.params}
        return frozenset(n for n in named if any(p.name == n for p in fs.params))

    # -- through calls ---------------------------------------------------------------------------
    def unchecked(self, path: str, fs: FuncSummary, b, value: Origin, order: int) -> Optional[str]:
        """The claimed parameter a value is, when nothing in this function checked the caller
        belongs to it before `order`; None otherwise."""
        w = self.walk
        v = w.canonical(path, fs, b, value)
        if v.kind != "param" or v.attrs or v.name not in b.claimed:
            return None
        if w.is_user(path, fs, b, v) or w.is_tenant_context(path, fs, b, v):
            return None  # compared with the caller's tenant: it stands for the caller
        for chk in fs.checks:
            if chk.order > order:
                continue
            if chk.kind in ("exists", "refused") and self._holds_both(path, fs, b, chk.subject, v.name):
                return None
            if chk.kind in ("pred_deny", "pred_guard") and chk.call >= 0 and \
                    self._call_given_both(path, fs, b, fs.calls[chk.call], v.name):
                return None
            if chk.kind == "member" and w.is_user(path, fs, b, chk.subject) and \
                    self._picked_by(path, fs, b, chk.value, v.name):
                return None
        return v.name

    def _holds_both(self, path: str, fs: FuncSummary, b, subject: Origin, name: str) -> bool:
        if subject.kind == "site":
            site = fs.sites[int(subject.name)]
            values = [v for _, v in site.filters] + list(site.keys)
            return self._names(path, fs, b, values, name) and any(w for w in (
                self.walk.is_user(path, fs, b, v) for v in values))
        if subject.kind == "call":
            return self._call_given_both(path, fs, b, fs.calls[int(subject.name)], name)
        return False

    def _call_given_both(self, path: str, fs: FuncSummary, b, call, name: str) -> bool:
        values = list(call.args) + [v for _, v in call.kwargs]
        return self._names(path, fs, b, values, name) and any(self.walk.is_user(path, fs, b, v) for v in values)

    def _names(self, path: str, fs: FuncSummary, b, values, name: str) -> bool:
        for v in values:
            c = self.walk.canonical(path, fs, b, v)
            if c.kind == "param" and c.name == name and not c.attrs:
                return True
        return False

    def _picked_by(self, path: str, fs: FuncSummary, b, coll: Origin, name: str) -> bool:
        """`org.members` where `org` was fetched by the claimed id."""
        c = self.walk.canonical(path, fs, b, coll)
        if c.kind == "site":
            site = fs.sites[int(c.name)]
            return self._names(path, fs, b, [v for _, v in site.filters] + list(site.keys), name)
        if c.kind == "call":
            call = fs.calls[int(c.name)]
            return self._names(path, fs, b, list(call.args) + [v for _, v in call.kwargs], name)
        return False

    # -- a query ---------------------------------------------------------------------------------
    def claimed_column(self, path: str, fs: FuncSummary, b, site: QuerySite, models) -> str:
        """The tenant column a query filters with a tenant the client named and nothing checked,
        "" when none (or when the query is also restricted to the user)."""
        w = self.walk
        cols = self.columns()
        hit = ""
        for col, v in site.filters:
            c = col.split(".")[-1]
            if c in cols and any(c in {f.column for f in m.fields.values()} for m in models) and \
                    self.unchecked(path, fs, b, v, site.order):
                hit = c
        if not hit:
            return ""
        if any(w.is_user(path, fs, b, v) or w.is_verified(path, fs, b, v, site.order) for _, v in site.filters) or \
                any(w.is_user(path, fs, b, k) for k in site.keys):
            return ""
        if w.is_admin(path, fs, b, site.admin) or w.guarded(path, fs, b, site.guards):
            return ""
        return hit
