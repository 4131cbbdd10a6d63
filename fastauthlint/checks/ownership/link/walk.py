"""The interprocedural walk of the ownership link: from every authenticated route, walk the
handler, the dependencies FastAPI calls for it and the project functions they call (following
arguments, so that a helper receiving `owner_id=current_user.id` is known to filter by the current
user), and find the queries on owner-scoped models that nothing restricts to the current user.

A query is scoped when, on its way from the route:
- it filters on a value derived from the current user (directly, through a helper parameter bound
  to such a value, or through a subquery / a row that was itself fetched that way);
- its identifier comes from the current user (`session.get(Profile, current_user.id)`) or from a
  row whose ownership was already verified (`crud.item.remove(db, id=id)` after checking
  `crud.item.get(db, id=id)`);
- its result is checked before use (`if item.owner_id != current_user.id: raise ...`, a predicate
  helper returning that comparison, an assertion helper raising on it, a comprehension keeping only
  matching rows), possibly in a caller when the helper returns the row;
- it runs only for administrators (an admin-only route, an `if current_user.is_superuser:` branch,
  after `if not current_user.is_superuser: raise ...`) or inside an owner-match branch.
(values, verification and scoping decide each of those; this module carries the bindings.)

Where a problem is located: at the query when the function holding it has the current user
(the handler, or a helper that takes the user and ignores it); otherwise at the call, in the
nearest caller that has the user, of the helper chain leading to the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from fastauthlint.checks.ownership.facts import CallSite, FuncSummary, Origin, QuerySite
from fastauthlint.checks.ownership.link.binding import Binding, arg_map, infeasible
from fastauthlint.checks.ownership.link.evidence import learn_user_columns, self_authored
from fastauthlint.checks.ownership.link.gates import RoleGates
from fastauthlint.checks.ownership.link.registry import Model
from fastauthlint.checks.ownership.link.scoping import SiteScoping
from fastauthlint.checks.ownership.link.service_callers import ServiceRoutes
from fastauthlint.checks.ownership.link.tenant_claims import TenantClaims
from fastauthlint.checks.ownership.link.shared_rows import (
    attribute_count, authored_shared, cascade, listed_read, listed_shared, personal_models, picked_owner,
)
from fastauthlint.checks.ownership.link.values import UserValues
from fastauthlint.checks.ownership.link.verification import RowVerification
from fastauthlint.checks.ownership.link.words import AUTHORSHIP, PERSONAL
from fastauthlint.checks.ownership.summary.known import ADMIN_NAME
from fastauthlint.findings import Finding, Span
from fastauthlint.project.known import BODY_CALL_AUTH

MAX_DEPTH = 12  # calls followed from a route before giving up on a chain
PATH_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclass
class Problem:
    """A query site nothing scopes, on its way up from the function holding it to where it is
    reported."""

    site_path: str
    site: QuerySite
    func: str  # qualname of the function holding the query
    model: Model
    op: str
    node: Tuple[str, int]  # ("site"|"call"|"param", idx) in the current function
    located: Optional[Tuple[str, Span]] = None
    via: Tuple[str, ...] = ()  # helpers from the reporting function down to the query
    returned: bool = False
    entry: str = ""  # how the reporting function enters the helper chain, as written
    user_params: Tuple[str, ...] = ()  # the current-user parameters of the function holding the query
    # scoped by the caller's tenant only, on a model with a personal owner column: reported only
    # where the project scopes the model by the current user elsewhere (each member's own rows)
    tenant_only: bool = False
    claimed: str = ""  # the tenant column filtered with a tenant the client named (tenant_claims.py)


@dataclass
class Stats:
    """What the walk met, for measuring the check on real projects (not used by the findings)."""

    # (path, function, site index) of query sites reached from authenticated routes
    sites: Set[Tuple[str, str, int]] = field(default_factory=set)  # on owner-scoped models
    scoped: Set[Tuple[str, str, int]] = field(default_factory=set)  # filtered/checked/admin on some route
    filtered: Set[Tuple[str, str, int]] = field(default_factory=set)  # filtered by a user-derived value
    reported: Set[Tuple[str, str, int]] = field(default_factory=set)
    unowned_sites: Set[Tuple[str, str, int]] = field(default_factory=set)  # on models without owner column
    # models some query filters by the current user: their rows are personal (role gates keep them)
    personal: Set[str] = field(default_factory=set)
    # models some code compares a fetched row's owner of with the current user (refusing otherwise)
    checked: Set[str] = field(default_factory=set)
    # models whose rows every signed-in user may list, owner-checked before changes only (shared_rows.py)
    listed: Set[str] = field(default_factory=set)


# What a sign-in flow's handler earns (project/purpose.py): it reads the identity it is logging in,
# picked by the credential presented (an email with its password, a provider's subject after the
# code exchange, a one-time token), before there is a current user to scope anything to.
SIGN_IN = re.compile(r"^(login|oauth callback|magic link|token refresh|signup|password reset|email verification)")


def signs_in(r) -> bool:
    label = getattr(r, "authenticates", None) or r.purpose
    return bool(label and SIGN_IN.match(label))


def anonymous_route(r) -> bool:
    """A route without a user: unprotected, or declared public."""
    users = tuple(r.user_params) + tuple(r.optional_user_params)
    return bool(r.public) or (r.auth is None and not users and not r.auth_dependencies)


def internal_errors(walk) -> List[Finding]:
    """The internal errors of the walk, one per file."""
    seen = set()
    out = []
    for f in walk.errors:
        if f.path not in seen:
            seen.add(f.path)
            out.append(f)
    return out


class OwnershipWalk(SiteScoping, RowVerification, UserValues):
    def __init__(self, project):
        super().__init__(project)
        self.stats = Stats()
        # called with every (function, binding) the walk enters, before its own queries (FAL202)
        self.observers: List[Callable[[str, FuncSummary, Binding], None]] = []
        self.errors: List[Finding] = []
        self._memo: Dict[Tuple[str, Binding], List[Problem]] = {}
        self._stack: Set[Tuple[str, Binding]] = set()
        self.services = ServiceRoutes(self)
        self.claims = TenantClaims(self)

    # -- routes ---------------------------------------------------------------------------------
    def routes(self, routes) -> Iterator[Tuple[object, bool, List[Problem]]]:
        """(route, whether its handler takes the user, problems) for every authenticated route,
        walked in order; a route whose walk fails is reported as an internal error (`errors`)."""
        self._learn_user_providers(routes)
        self.caller_state.learn(routes)
        gates = RoleGates(self.resolver)
        done: List[Tuple[object, bool, List[Problem], bool]] = []
        for r in routes:
            if signs_in(r):
                continue
            users = tuple(r.user_params) + tuple(r.optional_user_params)
            anonymous = self.anonymous(r)
            hit = self.resolver.handler(r)
            if hit is None:
                continue
            path, fs = hit
            if anonymous:
                users = ()
                b = self._anonymous_binding(r, path, fs)
                if not b.client:
                    continue  # nothing the client names a row by
            else:
                b = self._root_binding(r, path, fs, users)
                if self.services.only_service_key(r, path, fs, b):
                    continue  # a trusted service acting for the user it names (service_callers.py)
            try:
                problems = self.analyze(path, fs, b)
            except (RecursionError, Exception) as e:  # a bug here must not end the run: say so
                self.errors.append(Finding(
                    rule="FAL000", path=path, span=Span(1, 1, 1, 1),
                    message=f"internal error while checking ownership for {r.method} {r.path} "
                            f"({type(e).__name__}: {e}); please report it"))
                continue
            gated = not anonymous and (any(gates.is_gate(d) for d in r.auth_dependencies)
                                       or self._handler_gate(path, fs, b, gates))
            # `Authorize: AuthJWT = Depends()`: the handler reads the caller from the library object
            takes_user = bool(users) or (not anonymous and any(p.annotation in BODY_CALL_AUTH for p in fs.params))
            done.append((r, takes_user, problems, gated))
        # a role/permission gate shares the rows among its holders, unless the project scopes
        # the model by the current user elsewhere (known once every route is walked)
        personal = personal_models(self.models, self.stats.personal) if any(d[3] for d in done) else set()
        self.stats.listed = listed_shared([d + (self.anonymous(d[0]),) for d in done], self.models, self.stats,
                                          self.tenant_fields, lambda c: self_authored(self.resolver, self.models, c))
        for r, has_user, problems, gated in done:
            # a tenant filter shares the rows among the tenant's members unless the project keeps
            # them to each member elsewhere; a permission gate grants the tenant-wide view
            problems = [p for p in problems if not p.tenant_only or (not gated and p.model.qualname in self.stats.personal)]
            if gated:  # a role inside one tenant is no licence for another's rows (claimed)
                problems = [p for p in problems if p.claimed or p.model.qualname in personal and not cascade(p)
                            and not picked_owner(p)]
            if not self.anonymous(r):
                problems = [p for p in problems if p.claimed or not authored_shared(p, self.stats, r.method)
                            and not listed_read(p, self.stats.listed, r.method)]
            yield r, has_user, problems

    def _handler_gate(self, path: str, fs: FuncSummary, b: Binding, gates: RoleGates) -> bool:
        """`check_admin_access(current_user)` before any query of the handler: a project function
        given the user that refuses with 403 unless they hold a role or a permission."""
        first = min((s.order for s in fs.sites), default=None)
        for call in sorted(fs.calls, key=lambda c: c.order):
            if first is not None and call.order >= first:
                break
            if call.conds or call.admin or call.guards:
                continue
            given = list(call.args) + [v for _, v in call.kwargs]
            if not any(a.kind == "param" and a.name in b.user and not a.attrs for a in given):
                continue
            hit = self.resolver.resolve_call(path, fs, b, call.callee)
            if hit is not None and gates.is_gate(hit[1].qualname):
                return True
        return False

    def _learn_user_providers(self, routes) -> None:
        """The dependencies that provide the current user: the routes' authenticating
        dependencies and those of the handlers' user parameters; the classes those parameters are
        annotated with are user models (principals)."""
        for r in routes:
            for dep in r.auth_dependencies:
                self.resolver.user_providers.add(dep)
        for r in routes:
            hit = self.resolver.handler(r)
            if hit is None:
                continue
            path, fs = hit
            for p in fs.params:
                if p.name in r.user_params or p.name in r.optional_user_params:
                    ref = self.resolver.dependency_ref(path, p)
                    if ref:
                        self.resolver.user_providers.add(self.resolver.resolve_name(ref, path) or ref)
                    for ref, near in self._annotated_types(path, p):
                        cls = self.models.find_class(ref, near=near)
                        if cls is not None:
                            self.models.principal_models.add(cls[1].qualname)
        learn_user_columns(self.resolver, self.models)
        self.models.forget_models()  # built before the principals were known

    def _annotated_types(self, path: str, p) -> List[Tuple[str, str]]:
        """(type, where) a parameter is annotated with, through `CurrentUser = Annotated[User,
        Depends(...)]` aliases."""
        out = [(p.annotation, path)] if p.annotation else []
        for cand in (p.alias, p.annotation):
            target = self.resolver.resolve_name(cand, path) if cand else None
            if target in self.index.alias_types:
                apath, ann = self.index.alias_types[target]
                out.append((ann, apath))
        return out

    def _root_binding(self, r, path: str, fs: FuncSummary, users: Tuple[str, ...]) -> Binding:
        parts = r.handler.split(".")
        self_cls = ".".join(parts[:-1]) if ".".join(parts[:-1]) in self.models.classes else ""
        rows = frozenset(p.name for p in fs.params if p.name not in users
                         and self.resolver.dependency_target(path, p) is not None)
        names = {p.name for p in fs.params}
        # a parameter given by a dependency named for the current user (`user_id: str =
        # Depends(get_user_id)`) holds them, even when that dependency is another package's
        given = {p.name for p in fs.params if p.name not in users and self.resolver.is_user_dependency(path, p)}
        admin = bool(r.admin_only) or any(
            p.depends_call is not None and ADMIN_NAME.search(p.depends_call.name.split(".")[-1])
            for p in fs.params if p.name in users)
        tenant = self.claims.checked_by_auth(r, fs) | frozenset(
            p.name for p in fs.params if p.name not in users and p.name not in given
            and self.resolver.scope_dependency(path, p))
        return Binding(user=frozenset(users) | given, admin=admin, has_user=True, root=True,
                       self_cls=self_cls,
                       self_model=self.resolver.class_model(self_cls) if self_cls else "", rows=rows,
                       tenant=tenant, claimed=self.claims.claimed_at_root(r, path, fs, tenant),
                       self_user=frozenset(u for u in users if u not in names) if fs.self_name else frozenset())

    anonymous = staticmethod(anonymous_route)

    def _anonymous_binding(self, r, path: str, fs: FuncSummary) -> Binding:
        """A route without a user: its path parameters are identifiers the client chose."""
        client = frozenset(PATH_PARAM.findall(r.path))
        parts = r.handler.split(".")
        self_cls = ".".join(parts[:-1]) if ".".join(parts[:-1]) in self.models.classes else ""
        return Binding(root=True, anonymous=True, client=client, self_cls=self_cls,
                       self_model=self.resolver.class_model(self_cls) if self_cls else "")

    # -- the walk -------------------------------------------------------------------------------
    def analyze(self, path: str, fs: FuncSummary, b: Binding, depth: int = 0) -> List[Problem]:
        """The problems of a function under a binding, its own and those of what it calls
        (memoised; a function already on the stack, or too deep, adds none)."""
        key = (fs.qualname, b)
        if key in self._memo:
            return self._memo[key]
        if key in self._stack or depth > MAX_DEPTH:
            return []
        self._stack.add(key)
        try:
            out = self._analyze(path, fs, b, depth)
        finally:
            self._stack.discard(key)
        self._memo[key] = out
        return out

    def _analyze(self, path: str, fs: FuncSummary, b: Binding, depth: int) -> List[Problem]:
        for observe in self.observers:
            observe(path, fs, b)
        problems: List[Problem] = []
        # FastAPI dependencies of the parameters and of the decorator run first
        problems += self._parameter_dependencies(path, fs, b, depth)
        problems += self._route_dependencies(path, fs, b, depth)
        problems += self._own_sites(path, fs, b)
        problems += self._calls(path, fs, b, depth)
        return problems

    def _parameter_dependencies(self, path: str, fs: FuncSummary, b: Binding, depth: int) -> List[Problem]:
        problems: List[Problem] = []
        for i, param in enumerate(fs.params):
            if param.name in b.user or param.name == fs.self_name:
                continue
            dep = self.resolver.dependency_target(path, param)
            if dep is None:
                continue
            dpath, d, dcls, dmodel = dep
            db = self.dependency_binding(dpath, d, b, dcls, dmodel)
            node = Origin("param", param.name)
            for p in self.analyze(dpath, d, db, depth + 1):
                if p.returned and self.node_verified(path, fs, b, node, 0):
                    continue
                if b.admin:
                    continue
                q = replace(p, node=("param", i), via=(d.qualname,) + p.via, returned=self.returned(path, fs, b, node))
                if q.located is None and (b.has_user or b.root) and param.span is not None:
                    q.located = (path, param.span)
                    q.entry = f"Depends({d.qualname.split('.')[-1]})"
                problems.append(q)
        return problems

    def _route_dependencies(self, path: str, fs: FuncSummary, b: Binding, depth: int) -> List[Problem]:
        """`@router.get(..., dependencies=[Depends(x)])`."""
        problems: List[Problem] = []
        for dep in fs.route_deps:
            hit = self.resolver.resolve_call(path, fs, b, dep.callee)
            if hit is not None:
                dpath, d = hit[0], hit[1]
                if d.qualname in self.resolver.user_providers:
                    continue
                db = self.dependency_binding(dpath, d, b, hit[2], hit[3])
                for p in self.analyze(dpath, d, db, depth + 1):
                    q = replace(p, node=("dep", -1), via=(d.qualname,) + p.via, returned=False)
                    if q.located is None and (b.has_user or b.root):
                        q.located = (path, dep.span)
                        q.entry = f"Depends({dep.text})"
                    if not b.admin:
                        problems.append(q)
        return problems

    def _own_sites(self, path: str, fs: FuncSummary, b: Binding) -> List[Problem]:
        """The function's own query sites on owner-scoped models that nothing scopes."""
        problems: List[Problem] = []
        for site in fs.sites:
            site = self.complete(path, fs, site)
            if infeasible(site.conds, b):
                continue
            if b.writes and site.op == "read" and self.returned(path, fs, b, Origin("site", str(site.idx))):
                site = replace(site, op="update")
            if not self.use_site(path, fs, b, site):
                continue
            models = self.site_models(path, fs, b, site)
            if not models:
                continue
            owned = [m for m in models if m.owned_for(site.op)]
            skey = (path, fs.qualname, site.idx)
            if not owned:
                self.stats.unowned_sites.add(skey)
                claimed = self.claims.claimed_column(path, fs, b, site, models) if b.claimed and not b.admin else ""
                if claimed:  # rows of a tenant the client names, the caller not checked to belong to it
                    problems.append(Problem(
                        site_path=path, site=site, func=fs.qualname, model=models[0], op=site.op, claimed=claimed,
                        node=("site", site.idx), located=(path, site.span) if (b.has_user or b.root) else None,
                        returned=self.returned(path, fs, b, Origin("site", str(site.idx)))))
                continue
            if site.probe and site.op in ("read", "count"):
                # an existence test (its query is judged) or a conflict check: filtered by the
                if any(self.is_user(path, fs, b, v) for _, v in site.filters):  # user, rows are personal
                    self.stats.personal.update(m.qualname for m in owned)
                continue
            if not any(m.owned for m in owned) and not self.keyed_by_param(path, fs, b, site):
                continue  # a user row changed by what it is, or by ids the code found itself (a cascade)
            if site.op in ("read", "count") and not b.anonymous and all(self.models.shared_by_members(m) for m in owned):
                self.stats.unowned_sites.add(skey)
                continue  # a row its members see (a party, an event): its owner is the host; not anyone's
            if b.anonymous and (not self.client_keyed(path, fs, b, site) or site.op in ("read", "count") and all(
                    m.owner_columns and all(AUTHORSHIP.match(c) for c in m.owner_columns) for m in owned)):
                continue  # a public route reads content by what it is, or content its author wrote
            self.stats.sites.add(skey)
            if site.op == "count" and not site.keys and not site.filters and not site.conds:
                continue  # a whole-table count returns no one's rows
            if site.op == "count" and not site.keys and attribute_count(site, owned):
                continue  # a throttle: attempts counted by IP address, device, status and time
            if site.op in ("read", "count") and self.shaped(path, fs, b, list(site.keys) + [v for _, v in site.filters]):
                self.stats.scoped.add(skey)
                continue  # a colleague's record, shaped for them by the code (fields masked)
            scoped, why = self.site_scoped(path, fs, b, site)
            tenant_only = why == "tenant" and not b.admin and any(
                not m.authored and not self.models.is_membership(m)
                and any(PERSONAL.search(c) and not AUTHORSHIP.match(c) for c in m.owner_columns) for m in owned)
            if tenant_only:
                scoped = False
            if why == "filter":
                self.stats.filtered.add(skey)
                # filtered by the user themselves (not only by a row they were checked to hold,
                # such as the row this request just created): the model's rows are personal
                if any(self.is_user(path, fs, b, v) for _, v in site.filters) or any(
                        self.is_user(path, fs, b, k) for k in site.keys):
                    self.stats.personal.update(m.qualname for m in owned)
                else:  # reached through a checked row: the project guards these rows
                    self.stats.checked.update(m.qualname for m in owned)
            node = Origin("site", str(site.idx))
            if not scoped and (self.checked_after(path, fs, b, node, site.order) if tenant_only
                               else self.node_verified(path, fs, b, node, site.order)):
                scoped = True
                self.stats.checked.update(m.qualname for m in owned)
            elif why == "guard":
                self.stats.checked.update(m.qualname for m in owned)
            if scoped:
                self.stats.scoped.add(skey)
                continue
            problems.append(Problem(
                site_path=path, site=site, func=fs.qualname, model=owned[0], op=site.op, node=("site", site.idx),
                located=(path, site.span) if (b.has_user or b.root) else None,
                returned=self.returned(path, fs, b, node), user_params=tuple(sorted(u for u in b.user if u.isidentifier())),
                tenant_only=tenant_only))
        return problems

    def _calls(self, path: str, fs: FuncSummary, b: Binding, depth: int) -> List[Problem]:
        """The problems of the project functions the function calls, unless the call runs for
        admins only, under an owner-match guard, or its returned row is verified here."""
        problems: List[Problem] = []
        for call in fs.calls:
            if call.alt_site >= 0 and self.use_site(path, fs, b, fs.sites[call.alt_site]):
                continue
            if infeasible(call.conds, b):
                continue
            hit = self.resolver.resolve_call(path, fs, b, call.callee)
            if hit is None:
                continue
            tpath, t, tcls, tmodel, bound = hit
            if t.qualname in self.resolver.user_providers:
                continue
            tb = self.call_binding(path, fs, b, call, t, bound, tcls, tmodel)
            sub = self.analyze(tpath, t, tb, depth + 1)
            if not sub:
                continue
            if self.is_admin(path, fs, b, call.admin) or self.guarded(path, fs, b, call.guards):
                for p in sub:
                    self.stats.scoped.add((p.site_path, p.func, p.site.idx))
                continue
            if self.shaped(path, fs, b, list(call.args) + [v for _, v in call.kwargs]):
                sub = [p for p in sub if p.op not in ("read", "count")]  # a colleague's record, masked here
            node = Origin("call", str(call.idx))
            # `Service.get(...)` read both ways: the value the code holds is the query reading's
            twin = Origin("site", str(call.alt_site)) if call.alt_site >= 0 else node
            for p in sub:
                if call.probe and p.op in ("read", "count") and p.returned:
                    continue  # `if existing: raise ...`: the row is only tested for a conflict
                verified = self.checked_after if p.tenant_only else self.node_verified
                if p.returned and (verified(path, fs, b, node, call.order)
                                   or twin != node and verified(path, fs, b, twin, call.order)):
                    self.stats.scoped.add((p.site_path, p.func, p.site.idx))
                    self.stats.checked.add(p.model.qualname)
                    continue
                q = replace(p, node=("call", call.idx), via=(t.qualname,) + p.via,
                            returned=p.returned and (self.returned(path, fs, b, node)
                                                     or self.returned(path, fs, b, twin)))
                if q.located is None and (b.has_user or b.root):
                    q.located = (path, call.span)
                    q.entry = f"{call.text}(...)"
                problems.append(q)
        return problems

    # -- bindings through calls and dependencies ----------------------------------------------
    def call_binding(self, path: str, fs: FuncSummary, b: Binding, call: CallSite, t: FuncSummary, bound: bool,
                     tcls: str, tmodel: str) -> Binding:
        """What the callee of a call knows: which of its parameters receive the current user (or
        are given by a user dependency), verified rows, rows, the caller's tenant, a public-rows
        filter, a model class; whether the call runs for admins only; what its `self` is."""
        args = arg_map(t, call, bound)
        user, verified, models = set(), set(), []
        for name, o in args.items():
            if self.is_user(path, fs, b, o):
                user.add(name)
            elif self.is_verified(path, fs, b, o, call.order):
                verified.add(name)
            if o.kind == "global":
                m = self.models.model(o.name, near=path)
                if m is not None:
                    models.append((name, m.qualname))
            elif o.kind == "param" and not o.attrs and o.name in dict(b.models):
                models.append((name, dict(b.models)[o.name]))
        user.update(self.keywords_of_user(path, fs, b, t, call))
        user.update(self.forwarded_user(path, fs, b, t, call, bound))
        user.update(self.field_carriers(path, fs, b, args))
        if bound and b.self_cls and tcls and not tmodel and b.self_model:
            tmodel = b.self_model
        own_user = {p.name for p in t.params if self.resolver.is_user_dependency(path, p)}
        rows, public, tenant = set(), set(), set()
        for name, o in args.items():
            if self.public_origin(path, fs, b, o):
                public.add(name)
            if name not in user and self.is_tenant_context(path, fs, b, o):
                tenant.add(name)
            c = self.canonical(path, fs, b, o)
            if c.kind in ("site", "call") or (c.kind == "param" and (c.name in b.rows or c.name in b.verified)):
                rows.add(name)
        self_user = b.self_user if bound and tcls == b.self_cls else frozenset()
        client = frozenset(name for name, o in args.items() if b.anonymous and self._client_value(path, fs, b, o))
        writes = call.writes or (b.writes and self.returned(path, fs, b, Origin("call", str(call.idx))))
        claimed = frozenset(n for n, o in args.items() if b.claimed and self.claims.unchecked(path, fs, b, o, call.order))
        return Binding(anonymous=b.anonymous, client=client, writes=writes, claimed=claimed,
                       user=frozenset(user | own_user), verified=frozenset(verified), self_user=self_user,
                       admin=b.admin or self.is_admin(path, fs, b, call.admin),
                       has_user=bool(user | own_user | self_user),
                       self_cls=tcls if bound else "", self_model=tmodel, models=tuple(sorted(models)),
                       rows=frozenset(rows), public=frozenset(public), tenant=frozenset(tenant))

    def dependency_binding(self, path: str, d: FuncSummary, b: Binding, dcls: str, dmodel: str) -> Binding:
        """What a dependency FastAPI calls knows: only its own user dependencies (FastAPI passes it
        nothing from the caller) and whether the route is admin-only; on a route without a user,
        the path parameters it takes by name."""
        user = {p.name for p in d.params if self.resolver.is_user_dependency(path, p)}
        client = frozenset(p.name for p in d.params if p.name in b.client) if b.anonymous else frozenset()
        return Binding(user=frozenset(user), admin=b.admin, has_user=bool(user), self_cls=dcls, self_model=dmodel,
                       anonymous=b.anonymous and not user, client=client)
