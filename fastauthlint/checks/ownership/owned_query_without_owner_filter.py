"""FAL201 owned-query-without-owner-filter: a query on an owner-scoped model, reached from an
authenticated route, that nothing restricts to the current user.

The walk (link/walk.py) follows each authenticated route into its handler, dependencies and
helpers and returns the query sites nothing scopes, each located where it is best fixed: at the
query when the function holding it has the current user, otherwise at the call of the helper chain
in the nearest caller that has. This module turns them into findings: one per location, naming
every route that reaches it, with a message that says what is wrong (no owner filter, an owner
filter with a value that is not the user's, a helper that receives the user but ignores it) and
how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from fastauthlint.checks.ownership.link.walk import OwnershipWalk, Problem
from fastauthlint.checks.ownership.link.words import PERSONAL
from fastauthlint.findings import Finding, Span


@dataclass
class _Located:
    """The first problem found at a location, and the routes reaching it."""

    problem: Problem
    has_user: bool  # whether the first route's handler takes the current user
    anonymous: bool = False  # whether the first route has no user at all (unprotected or public)
    routes: List[str] = field(default_factory=list)


class UnscopedQueries:
    def __init__(self, walk: OwnershipWalk):
        self.walk = walk
        self.tenant_fields = walk.tenant_fields
        self.found: Dict[Tuple[str, Span], _Located] = {}

    def run(self, routes) -> None:
        for r, has_user, problems in self.walk.routes(routes):
            for p in problems:
                if p.located is None:
                    continue
                entry = self.found.setdefault(p.located, _Located(problem=p, has_user=has_user,
                                                                  anonymous=self.walk.anonymous(r)))
                label = f"{r.method} {r.path}".strip()
                if label not in entry.routes:
                    entry.routes.append(label)
                self.walk.stats.reported.add((p.site_path, p.func, p.site.idx))

    def findings(self) -> List[Finding]:
        return [Finding(rule="FAL201", path=path, span=span, message=self._message(entry, path, span))
                for (path, span), entry in sorted(self.found.items(), key=lambda kv: (kv[0][0], kv[0][1].line,
                                                                                      kv[0][1].column))]

    def _message(self, entry: _Located, path: str, span: Span) -> str:
        p = entry.problem
        m = p.model
        if p.claimed:
            return self._claimed_message(entry, path, span)
        if not m.owned:
            return self._user_row_message(entry, path, span)
        cols = " / ".join(f"`{c}`" for c in m.owner_columns) or "owner column"
        verb = {"read": "reads", "update": "updates", "delete": "deletes", "count": "counts"}.get(p.op, "reads")
        route = _route_text(entry.routes)
        col0 = m.owner_columns[0] if m.owner_columns else "owner_id"
        where_user = self._where_user(entry)
        tenants = sorted({c.split(".")[-1] for c, _ in p.site.filters if c.split(".")[-1] in self.tenant_fields})
        if tenants and p.tenant_only:
            where_user += (f" (its `{tenants[0]}` filter keeps the caller's tenant, but each member's rows are their "
                           f"own: the project filters {m.name} by the current user elsewhere)")
        elif tenants:  # not the caller's tenant, or the query would be scoped
            where_user += f" (its `{tenants[0]}` filter takes the tenant from the request, not from the caller)"
        value = f"<current user>.{'id' if PERSONAL.search(col0) else col0}"
        if p.site_path == path and p.site.span == span:  # reported at the query itself
            if p.via:
                who = f"`{p.user_params[0]}`" if p.user_params else "the current user"
                return (f"`{p.site.text}` {verb} {m.name} rows without restricting them to the current user on "
                        f"{route}: {p.func.split('.')[-1]}() receives {who} but does not use it for this query "
                        f"(owner column {cols}); filter on `{m.name}.{col0} == {value}` or compare the row's "
                        f"`{col0}` with the current user and refuse on mismatch")
            if self._filters_owner(p):
                return (f"`{p.site.text}` {verb} {m.name} rows filtered on {cols} with a value that does not come "
                        f"from the current user (spec §2.1: the user comes from the token only) on {route}: "
                        f"use `{value}` as the owner")
            return (f"`{p.site.text}` {verb} {m.name} rows without an owner filter on {route}{where_user}: "
                    f"filter on `{m.name}.{col0} == {value}` or compare the row's `{col0}` with the current "
                    f"user and refuse on mismatch")
        # reported at the call (or dependency) entering the helper chain that holds the query
        helper = p.via[0] if p.via else p.func
        short = helper.split(".")[-1] if "." in helper else helper
        res = self.walk.project.results.get(p.site_path)
        inner = res.rel if res is not None else p.site_path
        if self._filters_owner(p):
            what = f"filters {cols} with a value that does not come from the current user"
            fix = "pass the current user's id as the owner"
        else:
            what = f"has no filter on {cols}"
            fix = "pass the current user's id to filter on"
        return (f"`{p.entry or short + '(...)'}` {verb} {m.name} rows not scoped to the current user on {route}{where_user}: "
                f"inside it, `{p.site.text}` ({p.func}, {inner}:{p.site.span.line}) {what} and its result is "
                f"not checked here; {fix}, or compare the row's `{col0}` with the current user and refuse "
                f"on mismatch")

    def _user_row_message(self, entry: _Located, path: str, span: Span) -> str:
        """A user model's row changed: it belongs to the user it is."""
        p = entry.problem
        m = p.model
        verb = "deletes" if p.op == "delete" else "changes"
        route = _route_text(entry.routes)
        where_user = self._where_user(entry)
        what = self._what(p, path, span, f"{verb} a {m.name} row")
        return (f"{what} chosen by the client on {route}{where_user}, and a user's row belongs to that user: "
                f"compare its id with the current user's and refuse on mismatch, or require an administrator")

    def _claimed_message(self, entry: _Located, path: str, span: Span) -> str:
        """Rows of a tenant the client names in the path, the caller never checked to belong to it."""
        p = entry.problem
        verb = {"read": "reads", "update": "updates", "delete": "deletes", "count": "counts"}.get(p.op, "reads")
        route = _route_text(entry.routes)
        what = self._what(p, path, span, f"{verb} {p.model.name} rows")
        return (f"{what} of the `{p.claimed}` the client names in the request on {route}, and nothing checks "
                f"that the current user belongs to it (spec §2.1: the caller's identity and tenant come from the "
                f"token); compare it with the caller's tenant, or look up their membership and refuse otherwise")

    def _what(self, p, path: str, span: Span, does: str) -> str:
        """"`<query>` <does>" at the query itself, else the call entering the helper chain that
        holds it, with the query and where it is."""
        if p.site_path == path and p.site.span == span:
            return f"`{p.site.text}` {does}"
        res = self.walk.project.results.get(p.site_path)
        inner = res.rel if res is not None else p.site_path
        return (f"`{p.entry or p.via[0].split('.')[-1] + '(...)'}` {does} (inside it, "
                f"`{p.site.text}`, {p.func}, {inner}:{p.site.span.line})")

    @staticmethod
    def _where_user(entry: _Located) -> str:
        if entry.anonymous:
            return (" by an identifier from the path, on a route without a user (protect the route, or select the "
                    "rows by a capability such as a share token, or restrict them to public ones)")
        return "" if entry.has_user else " (the handler does not even take the current user)"

    @staticmethod
    def _filters_owner(p: Problem) -> bool:
        names = set(p.model.owner_columns) | set(p.model.owner_relations)
        return any(c.split(".")[0] in names for c, _ in p.site.filters)


def _route_text(routes: List[str]) -> str:
    """The first route, and how many more share the query."""
    more = len(routes) - 1
    return routes[0] + (f" (and {more} more route{'s' if more > 1 else ''})" if more else "")
