"""The linking step of the ownership check: from every authenticated route, walk the handler, the
dependencies FastAPI calls for it and the project functions they call (following arguments, so
that a helper receiving `owner_id=current_user.id` is known to filter by the current user), and
find the queries on owner-scoped models that nothing restricts to the current user.

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

Where a problem is reported: at the query when the function holding it has the current user
(the handler, or a helper that takes the user and ignores it); otherwise at the call, in the
nearest caller that has the user, of the helper chain leading to the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from fastauthlint.checks.ownership.facts import (
    CallSite, ClassFact, FuncSummary, InstanceFact, Origin, OwnerCheck, ParamFact, QuerySite, StoredOwnership,
)
from fastauthlint.checks.ownership.models import Model, ModelRegistry
from fastauthlint.checks.ownership.summary.known import MODEL_ATTRS as _MODEL_ATTRS
from fastauthlint.findings import Finding, Span

MAX_DEPTH = 12
_PERSONAL = re.compile(r"(^|_)(owner|user|author|creator|created_by)(_id)?$|user_id$")
_CREDENTIAL_COL = re.compile(
    r"(^|_)(token|secret|api_?key|key_hash|token_hash|hashed_token|hashed_key|otp|nonce|jti|share_code|"
    r"invite_code|invitation_code|verification_code|reset_code|magic_code|session_key|session_token)$", re.I)
_EXPIRY_COL = re.compile(r"(^|_)(expires?|expired|expiry|expiration|valid_until)(_at|_on)?$", re.I)
_PUBLIC_FLAG = re.compile(r"^(is_)?(public|published|shared|visible)$")
_VISIBILITY_COL = re.compile(r"(^|_)(status|state|visibility|privacy|access|scope)$")
_CREATES = re.compile(r"^(create|insert|add|new|bulk_create|create_\w+|insert_\w+|add_\w+)$")
_SESSIONISH = re.compile(r"^(db|session|db_session|async_session|conn|connection|cursor|engine|database|tx|uow|"
                         r"request|background_tasks|options|schema_to_select|limit|offset|skip|page)$")
_USER_PROVIDER_NAME = re.compile(
    r"current_?\w*user|user_from_token|authenticat|require_\w*user|^get_user_id$|^user_id_from_", re.I)


@dataclass(frozen=True)
class Binding:
    user: FrozenSet[str] = frozenset()  # parameters holding (something derived from) the current user
    verified: FrozenSet[str] = frozenset()  # parameters holding owner-verified rows or their ids
    admin: bool = False
    has_user: bool = False  # whether this function can see the current user (places findings)
    self_cls: str = ""  # qualified class of `self`
    self_model: str = ""  # model of `self.model` (CRUD-object pattern)
    models: Tuple[Tuple[str, str], ...] = ()  # parameter -> model qualname passed to it
    root: bool = False
    rows: FrozenSet[str] = frozenset()  # parameters holding a fetched row (not request data)
    public: FrozenSet[str] = frozenset()  # parameters holding a filter restricted to public rows
    tenant: FrozenSet[str] = frozenset()  # parameters holding the caller's tenant (from a service's context)
    self_user: FrozenSet[str] = frozenset()  # class-based views: `self.<attr>` holding the user


@dataclass
class Problem:
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


@dataclass
class Stats:
    # (path, function, site index) of query sites reached from authenticated routes
    sites: Set[Tuple[str, str, int]] = field(default_factory=set)  # on owner-scoped models
    scoped: Set[Tuple[str, str, int]] = field(default_factory=set)  # filtered/checked/admin on some route
    filtered: Set[Tuple[str, str, int]] = field(default_factory=set)  # filtered by a user-derived value
    reported: Set[Tuple[str, str, int]] = field(default_factory=set)
    unowned_sites: Set[Tuple[str, str, int]] = field(default_factory=set)  # on models without owner column


class _Summaries:
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

    def nested(self, qualname: str) -> List[str]:
        """The functions defined inside `qualname` (a factory's closures)."""
        prefix = qualname + "."
        return [q for q in self._where if q.startswith(prefix)]


class Linker:
    def __init__(self, project):
        self.project = project
        cfg = project.config
        self.owner_fields = tuple(cfg.option("owner-fields"))
        self.tenant_fields = frozenset(cfg.option("tenant-fields"))
        self.denial_status = int(cfg.option("ownership-denial-status"))
        self.facts: Dict[str, StoredOwnership] = dict(project.facts("ownership"))
        self.funcs = _Summaries()  # qualname -> (path, summary), unpacked on first use
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
        self.sql_constants: Dict[str, object] = {}
        for path, f in self.facts.items():
            for c in f.sql:
                self.sql_constants[f"{f.module}.{c.name}" if f.module else c.name] = c
        self._completed: Dict[Tuple[str, str, int], QuerySite] = {}
        self.models = ModelRegistry(project, self.facts, self.owner_fields)
        self.stats = Stats()
        self._memo: Dict[Tuple[str, Binding], List[Problem]] = {}
        self._stack: Set[Tuple[str, Binding]] = set()
        self._checks_memo: Dict[Tuple[str, Binding], List[OwnerCheck]] = {}
        self._verified_memo: Dict[Tuple[str, Binding], Dict[Tuple[str, str], int]] = {}
        self._identity_memo: Dict[Tuple[str, Binding], Set[Tuple[str, str]]] = {}
        self._resolve_cache: Dict[Tuple[str, str], Optional[str]] = {}
        self._dep_params_memo: Dict[str, Set[str]] = {}
        self.user_providers: Set[str] = set()
        self.findings201: Dict[Tuple[str, Span], dict] = {}
        self.findings202: Dict[Tuple[str, Span], Finding] = {}
        self.errors: List[Finding] = []
        self._route = None

    # -- names ------------------------------------------------------------------------------
    def resolve_name(self, qualname: str, near: str) -> Optional[str]:
        """The qualified name of the definition a dotted name refers to (following imports and
        re-exports), as "<module>.<name>[.<attrs>]"."""
        key = (qualname, near)
        if key in self._resolve_cache:
            return self._resolve_cache[key]
        out = None
        if qualname in self.funcs or qualname in self.models.classes or qualname in self.instances:
            out = qualname
        else:
            sym = self.project.resolve(qualname, near=near)
            if sym is not None:
                out = sym.qualname
        self._resolve_cache[key] = out
        return out

    def function(self, qualname: str) -> Optional[Tuple[str, FuncSummary]]:
        return self.funcs.get(qualname)

    def method(self, cls_qual: str, name: str) -> Optional[Tuple[str, FuncSummary]]:
        for _, c in self.models.chain(cls_qual):
            hit = self.funcs.get(f"{c.qualname}.{name}")
            if hit is not None:
                return hit
        return None

    def class_of(self, qualname: str) -> Optional[Tuple[str, ClassFact]]:
        return self.models.classes.get(qualname)

    def instance_model(self, path: str, inst: InstanceFact, cls_qual: str) -> str:
        """`CRUDItem(Item)` / `CRUDBase[Item, ...](Item)` / `Repo(model=Item)`: the model the
        helper object works on."""
        for ref in list(inst.args) + [v for k, v in inst.kwargs if k in ("model", "model_class", "entity")]:
            if ref:
                m = self.models.model(ref, near=path)
                if m is not None:
                    return m.qualname
        return self.class_model(cls_qual)

    def class_model(self, cls_qual: str) -> str:
        """`class CRUDItem(CRUDBase[Item, ...])` or `model = Item` in the class body."""
        for path, c in self.models.chain(cls_qual):
            for attr in sorted(_MODEL_ATTRS):
                if attr in c.class_refs:
                    m = self.models.model(c.class_refs[attr], near=path)
                    if m is not None:
                        return m.qualname
            for args in c.base_args:
                for ref in args:
                    m = self.models.model(ref, near=path)
                    if m is not None:
                        return m.qualname
        return ""

    # -- resolving a call to a function -------------------------------------------------------
    def resolve_call(self, path: str, fs: FuncSummary, b: Binding, callee: Origin
                     ) -> Optional[Tuple[str, FuncSummary, str, str, bool]]:
        """(path, summary, self class, self model, is bound method) of the project function a
        call enters, or None."""
        if callee.kind == "global":
            target = self.resolve_name(callee.name, path)
            if target is None:
                return None
            hit = self.function(target)
            if hit is not None:
                p, t = hit
                parent = target.rsplit(".", 1)[0]
                if parent in self.models.classes:  # Class.method(...) on the class itself
                    return p, t, parent, self.class_model(parent), self._takes_self(t)
                return p, t, "", "", False
            parent, _, meth = target.rpartition(".")
            if parent in self.instances:
                ipath, inst = self.instances[parent]
                cls = self.models.find_class(inst.cls, near=ipath)
                if cls is None:
                    return None
                m = self.method(cls[1].qualname, meth)
                if m is None:
                    return None
                return m[0], m[1], cls[1].qualname, self.instance_model(ipath, inst, cls[1].qualname), True
            if parent in self.models.classes:
                m = self.method(parent, meth)
                if m is not None:
                    return m[0], m[1], parent, self.class_model(parent), self._takes_self(m[1])
            return None
        if callee.kind == "param" and callee.attrs:
            meth = callee.attrs[-1]
            if callee.name == fs.self_name and fs.self_name and len(callee.attrs) == 1 and b.self_cls:
                m = self.method(b.self_cls, meth)
                if m is not None:
                    return m[0], m[1], b.self_cls, b.self_model, True
                return None
            if callee.name == fs.self_name and fs.self_name and len(callee.attrs) == 2 and b.self_cls:
                # self._repository.get(...): the attribute's class
                for cpath, c in self.models.chain(b.self_cls):
                    ref = c.attr_types.get(callee.attrs[0])
                    if not ref:
                        continue
                    cls = self.models.find_class(ref, near=cpath)
                    if cls is not None and not self.models.is_table_model(cls[1].qualname):
                        m = self.method(cls[1].qualname, meth)
                        if m is not None:
                            return m[0], m[1], cls[1].qualname, self.class_model(cls[1].qualname), True
                    break
                return None
            if len(callee.attrs) != 1:
                return None
            param = next((p for p in fs.params if p.name == callee.name), None)
            if param is None:
                return None
            refs = [(param.depends_call.name if param.depends_call else "", path),
                    (param.depends.name if param.depends else "", path), (param.annotation, path)]
            for cand in (param.alias, param.default_ref):
                target = self.resolve_name(cand, path) if cand else None
                if target in self.aliases:
                    refs.append((self.aliases[target][1], self.aliases[target][0]))
                if target in self.alias_types:
                    refs.append((self.alias_types[target][1], self.alias_types[target][0]))
            for ref, near in refs:
                if not ref:
                    continue
                cls = self.models.find_class(ref, near=near)
                if cls is not None and not self.models.is_table_model(cls[1].qualname):
                    m = self.method(cls[1].qualname, meth)
                    if m is not None:
                        return m[0], m[1], cls[1].qualname, self.class_model(cls[1].qualname), True
            return None
        if callee.kind == "call" and len(callee.attrs) == 1:
            inner = fs.calls[int(callee.name)]
            if inner.callee.kind == "global":
                target = self.resolve_name(inner.callee.name, path)
                if target and target in self.models.classes and not self.models.is_table_model(target):
                    m = self.method(target, callee.attrs[0])
                    if m is not None:
                        model = ""
                        for o in inner.args:
                            if o.kind == "global":
                                mm = self.models.model(o.name, near=path)
                                if mm is not None:
                                    model = mm.qualname
                                    break
                        return m[0], m[1], target, model or self.class_model(target), True
        return None

    @staticmethod
    def _takes_self(t: FuncSummary) -> bool:
        return bool(t.params) and t.params[0].name in ("self", "cls") and t.params[0].index == 0

    def dependency_target(self, path: str, param: ParamFact) -> Optional[Tuple[str, FuncSummary, str, str]]:
        ref = ""
        if param.depends is not None:
            ref = param.depends.name
        else:
            for cand in (param.alias, param.default_ref):
                if not cand:
                    continue
                target = self.resolve_name(cand, path)
                if target in self.aliases:
                    apath, dep = self.aliases[target]
                    ref = self.resolve_name(dep, apath) or dep
                    break
        if not ref:
            return None
        target = self.resolve_name(ref, path) or ref
        if target in self.user_providers:
            return None
        hit = self.function(target)
        if hit is not None:
            return hit[0], hit[1], "", ""
        if target in self.models.classes and not self.models.is_table_model(target):
            init = self.method(target, "__init__")
            if init is not None:
                return init[0], init[1], target, self.class_model(target)
        return None

    def is_user_dependency(self, path: str, param: ParamFact) -> bool:
        refs = []
        if param.depends is not None:
            refs.append(param.depends.name)
        for cand in (param.alias, param.default_ref):
            if cand:
                target = self.resolve_name(cand, path)
                if target in self.aliases:
                    apath, dep = self.aliases[target]
                    refs.append(self.resolve_name(dep, apath) or dep)
        for r in refs:
            t = self.resolve_name(r, path) or r
            if t in self.user_providers or _USER_PROVIDER_NAME.search(t.split(".")[-1]):
                return True
        return False

    # -- origins under a binding ------------------------------------------------------------
    def _canonical(self, path: str, fs: FuncSummary, b: Binding, o: Origin) -> Origin:
        """A call whose callee is not project code passes its query argument through."""
        for _ in range(8):
            if o.kind != "call":
                return o
            call = fs.calls[int(o.name)]
            if call.passthrough is not None and self.resolve_call(path, fs, b, call.callee) is None:
                o = Origin(call.passthrough.kind, call.passthrough.name, call.passthrough.attrs + o.attrs)
                continue
            return o
        return o

    def is_user(self, path: str, fs: FuncSummary, b: Binding, o: Origin, depth: int = 0,
                identity: bool = True) -> bool:
        if depth > 6:
            return False
        o = self._canonical(path, fs, b, o)
        if identity and (o.kind, o.name) in self.identity_roots(path, fs, b):
            return True
        if o.kind == "param":
            if o.name == fs.self_name and o.attrs and o.attrs[0] in b.self_user:
                return True
            return o.name in b.user
        if o.kind == "request_user":
            return True
        if o.kind == "dict" and not o.attrs:
            return any(self.is_user(path, fs, b, v, depth + 1, identity) for _, v in fs.dicts[int(o.name)])
        if o.kind == "site":
            site = fs.sites[int(o.name)]
            return any(self.is_user(path, fs, b, v, depth + 1, identity) for _, v in site.filters) or any(
                self.is_user(path, fs, b, k, depth + 1, identity) for k in site.keys)
        return False

    def identity_roots(self, path: str, fs: FuncSummary, b: Binding) -> Set[Tuple[str, str]]:
        """Values checked to be the current user's identity, refusing otherwise (`if user_id !=
        current_user.id: raise ...`), and the identifiers of rows checked that way (`user =
        session.get(User, user_id)` then `if user != current_user: raise ...`)."""
        key = (fs.qualname, b)
        cached = self._identity_memo.get(key)
        if cached is not None:
            return cached
        out: Set[Tuple[str, str]] = set()
        self._identity_memo[key] = out
        for chk in fs.checks:
            if chk.kind != "identity":
                continue
            if not self.is_user(path, fs, b, chk.value, identity=False) or \
                    self.is_user(path, fs, b, chk.subject, identity=False):
                continue
            subj = self._canonical(path, fs, b, chk.subject)
            out.add((subj.kind, subj.name))
            for k in self._keys_of(path, fs, b, subj):
                k = self._canonical(path, fs, b, k)
                if k.kind == "param" and not k.attrs and not _SESSIONISH.match(k.name):
                    out.add((k.kind, k.name))
        return out

    def is_verified(self, path: str, fs: FuncSummary, b: Binding, o: Origin, order: int, depth: int = 0) -> bool:
        """A value that is an owner-verified row, an attribute or identifier of one, at `order`."""
        o = self._canonical(path, fs, b, o)
        if o.kind == "param" and o.name in b.verified:
            return True
        if o.kind == "dict" and not o.attrs and depth < 4:
            return any(self.is_verified(path, fs, b, v, order, depth + 1) for _, v in fs.dicts[int(o.name)])
        when = self.verified_map(path, fs, b).get((o.kind, o.name))
        return when is not None and when <= order

    def verified_map(self, path: str, fs: FuncSummary, b: Binding) -> Dict[Tuple[str, str], int]:
        """(kind, name) of every row (query site or helper call result) whose owner is verified in
        the function -> the earliest statement order from which it is. Also the identifiers those
        rows were fetched with, and rows whose attribute was used to fetch a verified parent
        (`task = get_task(file.task_id)` then `access_check(user, task)` verifies `file`)."""
        key = (fs.qualname, b)
        cached = self._verified_memo.get(key)
        if cached is not None:
            return cached
        out: Dict[Tuple[str, str], int] = {}
        self._verified_memo[key] = out  # re-entrancy: empty while computing
        for chk in self.valid_checks(path, fs, b):
            subj = self._canonical(path, fs, b, chk.subject)
            if subj.kind in ("site", "call", "param"):
                root = (subj.kind, subj.name)
                out[root] = min(out.get(root, chk.order), chk.order)
        # rows looked up by a credential the caller holds (a share token): what they point to is theirs
        for site in fs.sites:
            if any(_CREDENTIAL_COL.search(c.split(".")[-1]) and v.kind not in ("literal", "unknown")
                   for c, v in site.filters):
                out.setdefault(("site", str(site.idx)), site.order)
        # rows this request creates itself: `Item(**data, owner_id=user.id)`, `crud.create(...)`;
        # rows fetched within the caller's tenant here, or by a helper that scopes its query
        # (`case = await service.get_case(case_id)`): what hangs off them (`Comment.case_id ==
        # case.id`) is the caller's too
        for site in fs.sites:
            if self.site_scoped(path, fs, b, self._complete(path, fs, site))[1] == "tenant":
                out.setdefault(("site", str(site.idx)), site.order)
        for call in fs.calls:
            if self._creates_row(path, fs, b, call) or self._returns_scoped_row(path, fs, b, call):
                out.setdefault(("call", str(call.idx)), call.order)
        changed = True
        rounds = 0
        while changed and rounds < 6:
            changed = False
            rounds += 1
            for chk in fs.checks:  # a value checked to belong to a verified row
                if chk.kind != "member":
                    continue
                coll = self._canonical(path, fs, b, chk.value)
                when = out.get((coll.kind, coll.name))
                subj = self._canonical(path, fs, b, chk.subject)
                if when is not None and when <= chk.order and subj.kind in ("site", "call", "param") \
                        and out.get((subj.kind, subj.name), 1 << 30) > chk.order:
                    out[(subj.kind, subj.name)] = chk.order
                    changed = True
            for (kind, name), when in list(out.items()):
                if kind not in ("site", "call"):
                    continue
                for k in self._keys_of(path, fs, b, Origin(kind, name)):
                    k = self._canonical(path, fs, b, k)
                    if k.kind in ("site", "call") and k.attrs:
                        root = (k.kind, k.name)  # a parent fetched by an attribute of this row
                    elif k.kind == "param" and not k.attrs and not _SESSIONISH.match(k.name):
                        root = (k.kind, k.name)  # the identifier the verified row was fetched with
                    elif k.kind == "dict" and not k.attrs:
                        for _, v in fs.dicts[int(k.name)]:
                            v = self._canonical(path, fs, b, v)
                            if v.kind == "param" and not v.attrs and not _SESSIONISH.match(v.name):
                                if out.get((v.kind, v.name), 1 << 30) > when:
                                    out[(v.kind, v.name)] = when
                                    changed = True
                        continue
                    else:
                        continue
                    if out.get(root, 1 << 30) > when:
                        out[root] = when
                        changed = True
        return out

    def _returns_scoped_row(self, path: str, fs: FuncSummary, b: Binding, call: CallSite, depth: int = 0) -> bool:
        """Whether a project helper called here returns a row fetched by a query it scopes."""
        if depth > 3:
            return False
        hit = self.resolve_call(path, fs, b, call.callee)
        if hit is None:
            return False
        tpath, t, tcls, tmodel, bound = hit
        tb = self.call_binding(path, fs, b, call, t, bound, tcls, tmodel)
        for r in t.returns:
            r = self._canonical(tpath, t, tb, r)
            if r.kind == "site" and not r.attrs:
                site = self._complete(tpath, t, t.sites[int(r.name)])
                if self.site_scoped(tpath, t, tb, site)[0]:
                    return True
            elif r.kind == "call" and not r.attrs:
                if self._returns_scoped_row(tpath, t, tb, t.calls[int(r.name)], depth + 1):
                    return True
        return False

    def _creates_row(self, path: str, fs: FuncSummary, b: Binding, call: CallSite) -> bool:
        name = call.callee.name.split(".")[-1] if call.callee.kind == "global" else (
            call.callee.attrs[-1] if call.callee.attrs else "")
        if _CREATES.match(name):
            return True
        if call.callee.kind == "global":
            if self.models.model(call.callee.name, near=path) is not None:
                return True  # Item(...): a new row
            parent, _, meth = call.callee.name.rpartition(".")
            if meth in ("model_validate", "from_orm", "parse_obj", "model_construct", "construct") and \
                    self.models.model(parent, near=path) is not None:
                return True
        return False

    def _keys_of(self, path: str, fs: FuncSummary, b: Binding, node: Origin) -> List[Origin]:
        if node.kind == "site":
            site = fs.sites[int(node.name)]
            return list(site.keys) + [v for c, v in site.filters if c in ("id", "pk", "_id", "**", "*")
                                      or c.endswith(("_id", ".id"))]
        if node.kind == "call":
            call = fs.calls[int(node.name)]
            return [o for o in call.args if not (o.kind == "param" and _SESSIONISH.match(o.name))] + [
                v for k, v in call.kwargs if not _SESSIONISH.match(k)]
        return []

    def _same_root(self, path, fs, b, a: Origin, node: Origin) -> bool:
        a = self._canonical(path, fs, b, a)
        node = self._canonical(path, fs, b, node)
        return (a.kind, a.name) == (node.kind, node.name) and a.kind in ("site", "call", "param")

    def valid_checks(self, path: str, fs: FuncSummary, b: Binding) -> List[OwnerCheck]:
        """The function's ownership checks whose compared value is the current user's, including
        those made by predicate / assertion helpers it calls."""
        key = (fs.qualname, b)
        cached = self._checks_memo.get(key)
        if cached is not None:
            return cached
        out: List[OwnerCheck] = []
        for chk in fs.checks:
            if chk.kind in ("deny", "guard", "filter", "returns"):
                if self.is_user(path, fs, b, chk.value) and not self.is_user(path, fs, b, chk.subject):
                    out.append(chk)
                elif chk.column.split(".")[0] in self.tenant_fields and not self.is_user(path, fs, b, chk.subject) \
                        and self.is_tenant_context(path, fs, b, chk.value):
                    out.append(chk)  # `if row.workspace_id != self.workspace_id: raise`
            elif chk.kind in ("pred_deny", "pred_guard") and 0 <= chk.call < len(fs.calls):
                for subj, val in self._helper_checks(path, fs, b, fs.calls[chk.call], ("returns", "deny")):
                    if self.is_user(path, fs, b, val):
                        out.append(replace(chk, subject=subj, value=val))
        for call in fs.calls:  # ensure_owner(item, current_user): raises on mismatch
            for subj, val in self._helper_checks(path, fs, b, call, ("deny",)):
                if self.is_user(path, fs, b, val) and not self.is_user(path, fs, b, subj):
                    out.append(OwnerCheck(idx=-1, kind="deny", subject=subj, column="", value=val, order=call.order))
        self._checks_memo[key] = out
        return out

    def _helper_checks(self, path, fs, b, call: CallSite, kinds) -> List[Tuple[Origin, Origin]]:
        """Checks a called helper makes on its parameters, as (subject, value) origins in the caller."""
        hit = self.resolve_call(path, fs, b, call.callee)
        if hit is None:
            return []
        tpath, t, _, _, bound = hit
        args = self._arg_map(t, call, bound)
        out = []
        for chk in t.checks:
            if chk.kind not in kinds:
                continue
            s, v = chk.subject, chk.value
            if s.kind == "param" and s.name in args and v.kind == "param" and v.name in args:
                out.append((args[s.name], args[v.name].attr(*v.attrs)))
        return out

    @staticmethod
    def _arg_map(t: FuncSummary, call: CallSite, bound: bool) -> Dict[str, Origin]:
        out: Dict[str, Origin] = {}
        positional = [p for p in t.params if p.index >= 0]
        shift = 1 if bound and positional and positional[0].name in ("self", "cls") else 0
        for i, o in enumerate(call.args):
            j = i + shift
            if j < len(positional):
                out[positional[j].name] = o
        names = {p.name for p in t.params}
        for k, o in call.kwargs:
            if k in names:
                out[k] = o
        return out

    def is_admin(self, path: str, fs: FuncSummary, b: Binding, ids: Tuple[int, ...]) -> bool:
        if b.admin:
            return True
        for i in ids:
            if 0 <= i < len(fs.admin_conds):
                o = fs.admin_conds[i]
                if o.kind == "unknown" or self.is_user(path, fs, b, o):
                    return True
        return False

    def guarded(self, path: str, fs: FuncSummary, b: Binding, guards: Tuple[int, ...]) -> bool:
        if not guards:
            return False
        valid = {c.idx for c in self.valid_checks(path, fs, b) if c.kind in ("guard", "pred_guard")}
        for c in fs.checks:
            if c.kind == "identity_guard" and self.is_user(path, fs, b, c.value, identity=False) \
                    and not self.is_user(path, fs, b, c.subject, identity=False):
                valid.add(c.idx)
        return any(g in valid for g in guards)

    # -- models of a query ------------------------------------------------------------------
    def site_models(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> List[Model]:
        out: List[Model] = []
        if site.kind == "raw":
            for t in site.tables:
                name, cols = self.models.table_owner_columns(t)
                m = self.models.by_table(t)
                if m is None:
                    m = Model(qualname=name, name=name, path="", tablename=t, owner_columns=cols)
                out.append(m)
            return out
        for ref in site.models:
            m = None
            if ref.kind == "global":
                m = self.models.model(ref.name, near=path) or self._object_model(path, fs, b, site, ref.name)
            elif ref.kind == "param" and ref.name == fs.self_name and len(ref.attrs) == 1 \
                    and ref.attrs[0] in _MODEL_ATTRS:
                if b.self_model:
                    m = self.models.model(b.self_model)
            elif ref.kind == "param":
                bound = dict(b.models).get(ref.name)
                if bound:
                    m = self.models.model(bound)
            if m is not None and m not in out:
                out.append(m)
        return out

    def _object_model(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite, ref: str) -> Optional[Model]:
        """A module-level object standing for a model: a Core `items = Table("items", ...)`, or
        a CRUD object of a library class built with a model (`crud_posts = FastCRUD(Post)`),
        whose methods are queries on that model with keyword filters."""
        target = self.resolve_name(ref, path)
        if target not in self.instances:
            return None
        ipath, inst = self.instances[target]
        if inst.cls.split(".")[-1] == "Table" and inst.literal:
            return self.models.table_model(inst.literal)
        if site.alt_call >= 0 and self.resolve_call(path, fs, b, fs.calls[site.alt_call].callee) is not None:
            return None
        cls = self.models.find_class(inst.cls, near=ipath)
        q = self.instance_model(ipath, inst, cls[1].qualname if cls else "")
        return self.models.model(q) if q else None

    def use_site(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> bool:
        """`crud.item.get(...)`: a query when `crud.item` is a model, a helper call otherwise."""
        if site.alt_call < 0:
            return True
        return bool(self.site_models(path, fs, b, site))

    def site_scoped(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> Tuple[bool, str]:
        if self.is_admin(path, fs, b, site.admin):
            return True, "admin"
        if self.guarded(path, fs, b, site.guards):
            return True, "guard"
        if site.op == "delete" and site.filters and all(_EXPIRY_COL.search(c.split(".")[-1]) for c, _ in site.filters):
            return True, "expired"  # a purge of expired rows (`expires_at < now()`): nobody's any more
        for col, v in site.filters:
            if self.is_user(path, fs, b, v) or self.is_verified(path, fs, b, v, site.order):
                return True, "filter"
            if self._public_filter(col, v) or self._public_origin(path, fs, b, v):
                return True, "public"
            if col.split(".")[-1] in self.tenant_fields and self.is_tenant_context(path, fs, b, v):
                return True, "tenant"
            if _CREDENTIAL_COL.search(col.split(".")[-1]) and v.kind not in ("literal", "unknown"):
                # looked up by a secret the caller holds (a token, a share link, an API key): holding
                # it is the authorization
                return True, "credential"
        for k in site.keys:
            if self.is_user(path, fs, b, k) or self.is_verified(path, fs, b, k, site.order):
                return True, "filter"
        return False, ""

    def is_tenant_context(self, path: str, fs: FuncSummary, b: Binding, v: Origin, depth: int = 0) -> bool:
        """The caller's tenant, as a filter value: derived from the current user
        (`current_user.organization_id`, `role.workspace_id`), or the context a service or
        repository holds (`self.workspace_id`, `self.role.organization_id`: set when it was built
        for the request, not read from the request), or a helper parameter bound to either, or
        the tenant's own row fetched by one."""
        v = self._canonical(path, fs, b, v)
        if v.kind == "site" and depth < 3:
            # the tenant's own row, or a row of the tenant (`org = select(Organization).where(
            # Organization.id == self.organization_id)` then `Member.organization_id == org.id`)
            site = fs.sites[int(v.name)]
            return any(self.is_tenant_context(path, fs, b, f, depth + 1) for c, f in site.filters
                       if c.split(".")[-1] in ("id", "pk") or c.split(".")[-1] in self.tenant_fields)
        if v.kind != "param":
            return False
        if v.name == fs.self_name and fs.self_name and v.attrs:
            return True
        return v.name in b.tenant or self.is_user(path, fs, b, v)

    def _public_origin(self, path: str, fs: FuncSummary, b: Binding, v: Origin, depth: int = 0) -> bool:
        """A filter dict (or a parameter bound to one) that restricts to public rows."""
        v = self._canonical(path, fs, b, v)
        if v.kind == "param" and not v.attrs:
            return v.name in b.public
        if v.kind == "dict" and not v.attrs and depth < 3:
            return any(self._public_filter(k, x) or self._public_origin(path, fs, b, x, depth + 1)
                       for k, x in fs.dicts[int(v.name)])
        return False

    @staticmethod
    def _public_filter(col: str, v: Origin) -> bool:
        """Rows explicitly restricted to public ones: `is_public == True`, `status ==
        Status.PUBLISHED`, `{"visibility": "public"}`."""
        name = col.split(".")[-1].lower()
        text = v.name if v.kind in ("literal", "global") else ""
        if _PUBLIC_FLAG.search(name):
            return v.kind == "literal" and v.name.lower() == "true"
        if _VISIBILITY_COL.search(name):
            return bool(re.search(r"public|publish|shared", text.split(".")[-1], re.I))
        return False

    def node_verified(self, path: str, fs: FuncSummary, b: Binding, node: Origin, after: int) -> bool:
        node = self._canonical(path, fs, b, node)
        if node.kind == "param" and node.name in b.verified:
            return True
        when = self.verified_map(path, fs, b).get((node.kind, node.name))
        if when is not None and when >= after:
            return True
        # checked on several paths: any check at or after the fetch
        for chk in self.valid_checks(path, fs, b):
            if chk.order >= after and self._same_root(path, fs, b, chk.subject, node):
                return True
        return False

    def returned(self, path: str, fs: FuncSummary, b: Binding, node: Origin) -> bool:
        for r in fs.returns:
            if self._same_root(path, fs, b, r, node):
                return True
        return False

    # -- the walk ---------------------------------------------------------------------------
    def analyze(self, path: str, fs: FuncSummary, b: Binding, depth: int = 0) -> List[Problem]:
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
        problems: List[Problem] = []
        self._denials(path, fs, b)
        # FastAPI dependencies of the parameters run first
        for i, param in enumerate(fs.params):
            if param.name in b.user or param.name == fs.self_name:
                continue
            dep = self.dependency_target(path, param)
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
        for dep in fs.route_deps:
            hit = self.resolve_call(path, fs, b, dep.callee)
            if hit is not None:
                dpath, d = hit[0], hit[1]
                if d.qualname in self.user_providers:
                    continue
                db = self.dependency_binding(dpath, d, b, hit[2], hit[3])
                for p in self.analyze(dpath, d, db, depth + 1):
                    q = replace(p, node=("dep", -1), via=(d.qualname,) + p.via, returned=False)
                    if q.located is None and (b.has_user or b.root):
                        q.located = (path, dep.span)
                        q.entry = f"Depends({dep.text})"
                    if not b.admin:
                        problems.append(q)
        # the function's own queries
        for site in fs.sites:
            site = self._complete(path, fs, site)
            if self._infeasible(site.conds, b):
                continue
            if not self.use_site(path, fs, b, site):
                continue
            models = self.site_models(path, fs, b, site)
            if not models:
                continue
            owned = [m for m in models if m.owned]
            skey = (path, fs.qualname, site.idx)
            if not owned:
                self.stats.unowned_sites.add(skey)
                continue
            self.stats.sites.add(skey)
            scoped, why = self.site_scoped(path, fs, b, site)
            if why == "filter":
                self.stats.filtered.add(skey)
            node = Origin("site", str(site.idx))
            if not scoped and self.node_verified(path, fs, b, node, site.order):
                scoped = True
            if scoped:
                self.stats.scoped.add(skey)
                continue
            problems.append(Problem(
                site_path=path, site=site, func=fs.qualname, model=owned[0], op=site.op, node=("site", site.idx),
                located=(path, site.span) if (b.has_user or b.root) else None,
                returned=self.returned(path, fs, b, node), user_params=tuple(sorted(b.user))))
        # calls into project code
        for call in fs.calls:
            if call.alt_site >= 0 and self.use_site(path, fs, b, fs.sites[call.alt_site]):
                continue
            if self._infeasible(call.conds, b):
                continue
            hit = self.resolve_call(path, fs, b, call.callee)
            if hit is None:
                continue
            tpath, t, tcls, tmodel, bound = hit
            if t.qualname in self.user_providers:
                continue
            tb = self.call_binding(path, fs, b, call, t, bound, tcls, tmodel)
            sub = self.analyze(tpath, t, tb, depth + 1)
            if not sub:
                continue
            if self.is_admin(path, fs, b, call.admin) or self.guarded(path, fs, b, call.guards):
                for p in sub:
                    self.stats.scoped.add((p.site_path, p.func, p.site.idx))
                continue
            node = Origin("call", str(call.idx))
            for p in sub:
                if p.returned and self.node_verified(path, fs, b, node, call.order):
                    self.stats.scoped.add((p.site_path, p.func, p.site.idx))
                    continue
                q = replace(p, node=("call", call.idx), via=(t.qualname,) + p.via,
                            returned=p.returned and self.returned(path, fs, b, node))
                if q.located is None and (b.has_user or b.root):
                    q.located = (path, call.span)
                    q.entry = f"{call.text}(...)"
                problems.append(q)
        return problems

    def _complete(self, path: str, fs: FuncSummary, site: QuerySite) -> QuerySite:
        """A raw query whose SQL is a constant of another module, with its tables and filters."""
        if not site.sql_ref:
            return site
        key = (path, fs.qualname, site.idx)
        done = self._completed.get(key)
        if done is None:
            target = self.resolve_name(site.sql_ref, path) or site.sql_ref
            const = self.sql_constants.get(target)
            if const is None:
                done = replace(site, tables=())
            else:
                params = dict(site.params)
                filters = [(col, params[k]) for col, k in const.comparisons if k in params]
                done = replace(site, tables=tuple(const.tables), op=const.op, filters=list(site.filters) + filters)
            self._completed[key] = done
        return done

    @staticmethod
    def _infeasible(conds, b: Binding) -> bool:
        """A branch taken only when a parameter is empty, while it holds the current user's id
        (`if owner_id: <filtered> else: <everything>` called with `owner_id=user.id`)."""
        return any(not holds and name in b.user for name, holds in conds)

    def call_binding(self, path: str, fs: FuncSummary, b: Binding, call: CallSite, t: FuncSummary, bound: bool,
                     tcls: str, tmodel: str) -> Binding:
        args = self._arg_map(t, call, bound)
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
        if bound and b.self_cls and tcls and not tmodel and b.self_model:
            tmodel = b.self_model
        own_user = {p.name for p in t.params if self.is_user_dependency(path, p)}
        rows, public, tenant = set(), set(), set()
        for name, o in args.items():
            if self._public_origin(path, fs, b, o):
                public.add(name)
            if name not in user and self.is_tenant_context(path, fs, b, o):
                tenant.add(name)
            c = self._canonical(path, fs, b, o)
            if c.kind in ("site", "call") or (c.kind == "param" and (c.name in b.rows or c.name in b.verified)):
                rows.add(name)
        self_user = b.self_user if bound and tcls == b.self_cls else frozenset()
        return Binding(user=frozenset(user | own_user), verified=frozenset(verified), self_user=self_user,
                       admin=b.admin or self.is_admin(path, fs, b, call.admin),
                       has_user=bool(user | own_user | self_user),
                       self_cls=tcls if bound else "", self_model=tmodel, models=tuple(sorted(models)),
                       rows=frozenset(rows), public=frozenset(public), tenant=frozenset(tenant))

    def dependency_binding(self, path: str, d: FuncSummary, b: Binding, dcls: str, dmodel: str) -> Binding:
        user = {p.name for p in d.params if self.is_user_dependency(path, p)}
        return Binding(user=frozenset(user), admin=b.admin, has_user=bool(user), self_cls=dcls, self_model=dmodel)

    # -- FAL202 -------------------------------------------------------------------------------
    def _denials(self, path: str, fs: FuncSummary, b: Binding) -> None:
        for chk in self.valid_checks(path, fs, b):
            if chk.idx < 0 or chk.denial is None or chk.kind in ("filter", "returns"):
                continue
            if chk.kind in ("deny", "guard"):
                subj = self._canonical(path, fs, b, chk.subject)
                if subj.kind == "param" and subj.name not in b.rows:
                    # request data (`data.user_id != user.id`) or a path parameter compared with
                    # the user: input validation or an identity check, not "exists but not yours"
                    continue
            d = chk.denial
            status = d.status
            if status is None and d.exception:
                target = self.resolve_name(d.exception, path)
                hit = self.models.find_class(target or d.exception, near=path)
                if hit is not None:
                    for _, c in self.models.chain(hit[1].qualname):
                        if c.status_code:
                            status = c.status_code
                            break
            if status is None or status == self.denial_status or d.span.line <= 0:
                continue
            key = (path, d.span)
            if key in self.findings202:
                continue
            self.findings202[key] = Finding(
                rule="FAL202", path=path, span=d.span,
                message=self._message202(status, d.text, chk))

    def _message202(self, status: int, text: str, chk: OwnerCheck) -> str:
        words = {400: "400 Bad Request", 401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Not Found"}
        got = words.get(status, str(status))
        want = words.get(self.denial_status, str(self.denial_status))
        what = f"`{chk.column}`" if chk.column else "the owner"
        leak = ("so a client can tell that the row exists but belongs to someone else"
                if self.denial_status == 404 else "unlike the configured answer")
        return (f"ownership failure answered with {got} ({text}) after comparing {what} with the current "
                f"user; the spec answers \"exists but not yours\" exactly like \"does not exist\" "
                f"({want}, option `ownership-denial-status`), {leak}")

    # -- routes -------------------------------------------------------------------------------
    def run(self, routes) -> None:
        for r in routes:
            for dep in r.auth_dependencies:
                self.user_providers.add(dep)
        # the dependencies of the handlers' user parameters provide the current user too
        for r in routes:
            hit = self._handler(r)
            if hit is None:
                continue
            path, fs = hit
            for p in fs.params:
                if p.name in r.user_params or p.name in r.optional_user_params:
                    ref = ""
                    if p.depends is not None:
                        ref = p.depends.name
                    else:
                        for cand in (p.alias, p.default_ref):
                            target = self.resolve_name(cand, path) if cand else None
                            if target in self.aliases:
                                apath, dep = self.aliases[target]
                                ref = self.resolve_name(dep, apath) or dep
                                break
                    if ref:
                        self.user_providers.add(self.resolve_name(ref, path) or ref)
                    if p.annotation:
                        cls = self.models.find_class(p.annotation, near=path)
                        if cls is not None:
                            self.models.principal_models.add(cls[1].qualname)
        self.models._models.clear()
        for r in routes:
            if r.public:
                continue
            users = tuple(r.user_params) + tuple(r.optional_user_params)
            if r.auth is None and not users and not r.auth_dependencies:
                continue
            hit = self._handler(r)
            if hit is None:
                continue
            path, fs = hit
            parts = r.handler.split(".")
            self_cls = ".".join(parts[:-1]) if ".".join(parts[:-1]) in self.models.classes else ""
            rows = frozenset(p.name for p in fs.params if p.name not in users
                             and self.dependency_target(path, p) is not None)
            names = {p.name for p in fs.params}
            # a parameter given by a dependency named for the current user (`user_id: str =
            # Depends(get_user_id)`) holds them, even when that dependency is another package's
            given = {p.name for p in fs.params if p.name not in users and self.is_user_dependency(path, p)}
            b = Binding(user=frozenset(users) | given, admin=bool(r.admin_only), has_user=True, root=True,
                        self_cls=self_cls,
                        self_model=self.class_model(self_cls) if self_cls else "", rows=rows,
                        tenant=self._tenants_checked_by_auth(r, fs),
                        self_user=frozenset(u for u in users if u not in names) if fs.self_name else frozenset())
            self._route = r
            try:
                problems = self.analyze(path, fs, b)
            except (RecursionError, Exception) as e:  # a bug here must not end the run: say so
                self.errors.append(Finding(
                    rule="FAL000", path=path, span=Span(1, 1, 1, 1),
                    message=f"internal error while checking ownership for {r.method} {r.path} "
                            f"({type(e).__name__}: {e}); please report it"))
                continue
            for p in problems:
                if p.located is None:
                    continue
                key = p.located
                entry = self.findings201.setdefault(key, {"problem": p, "routes": [], "has_user": bool(users)})
                label = f"{r.method} {r.path}".strip()
                if label not in entry["routes"]:
                    entry["routes"].append(label)
                self.stats.reported.add((p.site_path, p.func, p.site.idx))

    def _tenants_checked_by_auth(self, r, fs: FuncSummary) -> FrozenSet[str]:
        """The route's tenant parameters (`/orgs/{org_id}/...`) that its authenticating dependency
        reads too: FastAPI hands it the same value, and an authenticating dependency reads the
        tenant to check that the caller belongs to it (`require_member(org_id, user=Depends(...))`)."""
        wanted = {p.name for p in fs.params if p.name in self.tenant_fields}
        if not wanted:
            return frozenset()
        read: Set[str] = set()
        for dep in r.auth_dependencies:
            read |= self._dependency_params(dep)
        return frozenset(wanted & read)

    def _dependency_params(self, qualname: str) -> Set[str]:
        """A dependency's parameter names; for a closure made by a dependency factory, those of
        every closure of that factory (which one it returns depends on its arguments)."""
        cached = self._dep_params_memo.get(qualname)
        if cached is not None:
            return cached
        own = qualname.replace(".<locals>", "")  # the route table names closures as Python does
        quals = [own]
        parent = own.rpartition(".")[0]
        if parent and parent in self.funcs:
            quals += self.funcs.nested(parent)
        out: Set[str] = set()
        for q in quals:
            hit = self.function(q)
            if hit is not None:
                out |= {p.name for p in hit[1].params}
        self._dep_params_memo[qualname] = out
        return out

    def _handler(self, r) -> Optional[Tuple[str, FuncSummary]]:
        hit = self.funcs.get(r.handler)
        if hit is not None:
            return hit
        names = self.project.names(r.handler_file)
        if names is not None:
            facts = self.facts.get(r.handler_file)
            if facts is not None:
                local = r.handler[len(names.module) + 1:] if names.module and r.handler.startswith(names.module + ".") \
                    else r.handler.split(".")[-1]
                for i, qualname in facts.qualnames():
                    if qualname.endswith("." + local) or qualname == local:
                        return r.handler_file, self.funcs.summary(r.handler_file, facts, i)
        return None

    # -- findings -------------------------------------------------------------------------------
    def findings(self) -> Iterable[Finding]:
        for (path, span), entry in sorted(self.findings201.items(), key=lambda kv: (kv[0][0], kv[0][1].line,
                                                                                     kv[0][1].column)):
            yield Finding(rule="FAL201", path=path, span=span, message=self._message201(entry, path, span))
        for key in sorted(self.findings202, key=lambda k: (k[0], k[1].line, k[1].column)):
            yield self.findings202[key]
        seen = set()
        for f in self.errors:
            if f.path not in seen:
                seen.add(f.path)
                yield f

    def _message201(self, entry: dict, path: str, span: Span) -> str:
        p: Problem = entry["problem"]
        m = p.model
        cols = " / ".join(f"`{c}`" for c in m.owner_columns) or "owner column"
        verb = {"read": "reads", "update": "updates", "delete": "deletes", "count": "counts"}.get(p.op, "reads")
        routes = entry["routes"]
        route = routes[0] + (f" (and {len(routes) - 1} more route{'s' if len(routes) > 2 else ''})"
                             if len(routes) > 1 else "")
        col0 = m.owner_columns[0] if m.owner_columns else "owner_id"
        where_user = "" if entry["has_user"] else " (the handler does not even take the current user)"
        tenants = sorted({c.split(".")[-1] for c, _ in p.site.filters if c.split(".")[-1] in self.tenant_fields})
        if tenants:  # not the caller's tenant, or the query would be scoped
            where_user += f" (its `{tenants[0]}` filter takes the tenant from the request, not from the caller)"
        value = f"<current user>.{'id' if _PERSONAL.search(col0) else col0}"
        if p.site_path == path and p.site.span == span:
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
        helper = p.via[0] if p.via else p.func
        short = helper.split(".")[-1] if "." in helper else helper
        res = self.project.results.get(p.site_path)
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

    @staticmethod
    def _filters_owner(p: Problem) -> bool:
        names = set(p.model.owner_columns) | set(p.model.owner_relations)
        return any(c.split(".")[0] in names for c, _ in p.site.filters)
