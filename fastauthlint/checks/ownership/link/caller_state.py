"""Server-side request state that names the caller: `request.state.user_id = payload["sub"]`,
`request.state.tenant_id = ...`, `current_user.set(user)` of a ContextVar, set by what
authenticates the project's routes.

Handlers and the services they call often take no user parameter at all (authentication comes
from the decorator's or the router's `dependencies=[...]`, from `include_router(...,
dependencies=...)` or from a middleware) and scope their queries by that state instead
(`Item.user_id == request.state.user_id`, `getattr(request.state, "tenant_id", None)`,
`current_user_id.get()`). That value is the caller's only when it was set by the authentication:
an attribute is trusted when a function reached from some route's authenticating dependencies
(or middleware) sets it from something other than raw client input, and only on routes that are
authenticated (on a route without authentication the state is unset, or whatever a middleware
copied from the request).
"""

from __future__ import annotations

from typing import Dict, Iterable, Set, Tuple

from fastauthlint.checks.ownership.link.binding import Binding
from fastauthlint.checks.ownership.link.index import OwnershipIndex
from fastauthlint.checks.ownership.link.resolve import CallResolver
from fastauthlint.checks.ownership.link.words import HELD_USER

MAX_REACH = 5  # calls followed from an authenticating dependency to the code that sets the state
MAX_FUNCS = 400  # functions visited in all: authentication is a short chain


class CallerState:
    def __init__(self, resolver: CallResolver, index: OwnershipIndex):
        self.resolver = resolver
        self.index = index
        self.trusted: Set[str] = set()  # canonical keys set by authentication
        self.known: Set[str] = set()  # canonical keys set anywhere in the project
        self._canon: Dict[Tuple[str, str], str] = {}

    def canonical(self, key: str, path: str) -> str:
        """`ctx:<name>` with the name resolved to its definition (imports differ per module)."""
        if not key.startswith("ctx:"):
            return key
        hit = self._canon.get((key, path))
        if hit is None:
            var = key[4:]
            hit = self._canon[(key, path)] = "ctx:" + (self.resolver.resolve_name(var, path) or var)
        return hit

    def learn(self, routes: Iterable) -> None:
        setters: Dict[str, list] = {}  # function qualname -> [(canonical key, from client)]
        for path, facts in self.index.facts.items():
            for key, func, client in getattr(facts, "state_sets", None) or ():
                k = self.canonical(key, path)
                self.known.add(k)
                setters.setdefault(func, []).append((k, client))
        if not setters:
            return
        for func in self._reached_from_authentication(routes):
            for k, client in setters.get(func, ()):
                if not client:
                    self.trusted.add(k)

    def _reached_from_authentication(self, routes: Iterable) -> Set[str]:
        start: Set[str] = set()
        for r in routes:
            for dep in r.auth_dependencies:
                start.add(dep.replace(".<locals>", ""))
        seen: Set[str] = set()
        frontier = [q for q in start if self.resolver.function(q) is not None]
        seen.update(frontier)
        for _ in range(MAX_REACH):
            nxt = []
            for q in frontier:
                hit = self.resolver.function(q)
                if hit is None:
                    continue
                path, fs = hit
                targets = [self.resolver.resolve_call(path, fs, Binding(), c.callee) for c in fs.calls]
                targets += [self.resolver.resolve_call(path, fs, Binding(), d.callee) for d in fs.route_deps]
                for p in fs.params:
                    ref = self.resolver.dependency_ref(path, p)
                    t = self.resolver.resolve_name(ref, path) if ref else None
                    if t:
                        nxt.append(t)
                for t in targets:
                    if t is not None:
                        nxt.append(t[1].qualname)
            frontier = [q for q in nxt if q not in seen]
            seen.update(frontier)
            if not frontier or len(seen) > MAX_FUNCS:
                break
        return seen

    def is_caller(self, key: str, path: str, b: Binding) -> bool:
        """Whether request state read under the binding is the caller's."""
        if b.anonymous:
            return False
        k = self.canonical(key, path)
        if k in self.trusted:
            return True
        # set by no code of the project (a library's middleware, code not analysed): a user-named
        # attribute on an authenticated route stands for the authenticated user, as before
        return k not in self.known and not k.startswith("ctx:") and bool(HELD_USER.match(k))
