"""The scoping judgement: whether one query site, on its way from a route, is restricted to what
the caller may see — by an owner filter with the current user (or a verified row), its identifier,
the caller's tenant, a credential, a public-rows filter, an admin-only branch or an owner-match
guard — and which models it reads or changes (a raw query's tables, `self.model`, a model class
given as an argument, a Core table or a library CRUD object built with a model)."""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Tuple

from fastauthlint.checks.ownership.facts import FuncSummary, Origin, QuerySite
from fastauthlint.checks.ownership.mongo import COLLECTION_PREFIX
from fastauthlint.checks.ownership.link.binding import Binding
from fastauthlint.checks.ownership.link.registry import Model
from fastauthlint.checks.ownership.link.state import LinkState
from fastauthlint.checks.ownership.link.words import CREDENTIAL_COL, EXPIRY_COL, USER_KEY
from fastauthlint.checks.ownership.summary.known import MODEL_ATTRS


class SiteScoping(LinkState):
    def site_scoped(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> Tuple[bool, str]:
        """(scoped, why) with why one of admin, guard, expired, filter, public, tenant, credential
        ("" when not scoped). A row checked after it is fetched is the walk's question
        (`node_verified`), not this one."""
        if self.is_admin(path, fs, b, site.admin):
            return True, "admin"
        if self.guarded(path, fs, b, site.guards):
            return True, "guard"
        if site.op == "delete" and site.filters and all(EXPIRY_COL.search(c.split(".")[-1]) for c, _ in site.filters):
            return True, "expired"  # a purge of expired rows (`expires_at < now()`): nobody's any more
        owners = set(self.owner_fields)
        owner_values = [v for c, v in site.filters
                        if c.split(".")[-1] in owners or f"{c.split('.')[-1]}_id" in owners]
        # `filter(user=None)`, `owner_id.is_(None)` alone: rows of no user (global ones) or of a
        # fixed one, never of a user the client picks (not `or_(owner_id == x, owner_id.is_(None))`)
        fixed = bool(owner_values) and all(v.kind == "literal" for v in owner_values)
        tenant = False  # the caller's tenant: said last, after a filter by the user themselves
        for col, v in site.filters:
            if col.split(".")[-1] in self.tenant_fields and self.is_tenant_context(path, fs, b, v):
                tenant = True
                continue
            if self.is_user(path, fs, b, v) or self.is_verified(path, fs, b, v, site.order):
                return True, "filter"
            if fixed:
                return True, "fixed"
            if self.public_filter(col, v) or self.public_origin(path, fs, b, v):
                return True, "public"
            if col == "*" and v.kind == "param" and not v.attrs and v.name in b.tenant:
                return True, "tenant"  # the condition of a data-scope dependency (`.where(..., scope)`)
            if CREDENTIAL_COL.search(col.split(".")[-1]) and v.kind not in ("literal", "unknown"):
                # looked up by a secret the caller holds (a token, a share link, an API key): holding
                # it is the authorization
                return True, "credential"
        for k in site.keys:
            if self.is_user(path, fs, b, k) or self.is_verified(path, fs, b, k, site.order):
                return True, "filter"
        return (True, "tenant") if tenant else (False, "")

    def keyed_by_param(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> bool:
        """Whether a query picks rows by an identifier given to the function (request data, or a
        helper's parameter), rather than by one it fetched itself or by other columns."""
        keys = list(site.keys) + [v for c, v in site.filters if c.split(".")[-1] in ("id", "pk", "_id")
                                  or USER_KEY.match(c.split(".")[-1])]
        return any(self.canonical(path, fs, b, k).kind == "param" for k in keys)

    def client_keyed(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> bool:
        """Whether a query picks rows by an identifier the client chose (a route without a user
        reports only those: listing or looking up by other means is what a public route is for)."""
        keys = list(site.keys) + [v for c, v in site.filters if c.split(".")[-1] in ("id", "pk", "_id")]
        for k in keys:
            k = self.canonical(path, fs, b, k)
            if k.kind == "param" and k.name in b.client and not k.attrs:
                return True
        return False

    def site_models(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> List[Model]:
        """The models a query site reads or changes, as far as the binding tells."""
        out: List[Model] = []
        if site.kind == "memo":
            return out
        if site.kind == "raw":
            for t in site.tables:
                if t.startswith("self:"):  # `self.collection`, set to `db["notes"]` in `__init__`
                    held = next((c.attr_types[t[5:]] for _, c in self.models.chain(b.self_cls)
                                 if t[5:] in c.attr_types), "") if b.self_cls else ""
                    if not held.startswith(COLLECTION_PREFIX):
                        continue
                    t = held[len(COLLECTION_PREFIX):]
                if t.startswith("@"):  # a module-level name, a Mongo collection if it is bound to one
                    t = self.models.collection_name("@" + (self.resolver.resolve_name(t[1:], path) or t[1:]))
                    if t.startswith("@"):
                        continue
                name, cols = self.models.table_owner_columns(t)
                m = self.models.by_table(t)
                if m is None:
                    m = Model(qualname=name, name=name, path="", tablename=t, owner_columns=cols)
                out.append(m)
            return out
        for ref in site.models:
            m = None
            if site.kind == "store":
                m = self.store_rows(path, b, ref)
            elif ref.kind == "global":
                m = self.models.model(ref.name, near=path) or self._object_model(path, fs, b, site, ref.name)
            elif ref.kind == "param" and ref.name == fs.self_name and len(ref.attrs) == 1 \
                    and ref.attrs[0] in MODEL_ATTRS:
                if b.self_model:
                    m = self.models.model(b.self_model)
            elif ref.kind == "param" and ref.name == fs.self_name and not ref.attrs and b.self_cls:
                # `select(cls).where(cls.id == ...)` in a model's own classmethod
                m = self.models.model(b.self_cls) if self.models.is_table_model(b.self_cls) else None
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
        target = self.resolver.resolve_name(ref, path)
        if target not in self.index.instances:
            return self.store_rows(path, b, Origin("global", ref))  # `NOTES.get(note_id)`
        ipath, inst = self.index.instances[target]
        if inst.cls.split(".")[-1] == "Table" and inst.literal:
            return self.models.table_model(inst.literal)
        if site.alt_call >= 0 and self.resolver.resolve_call(path, fs, b, fs.calls[site.alt_call].callee) is not None:
            return None
        cls = self.models.find_class(inst.cls, near=ipath)
        q = self.resolver.instance_model(ipath, inst, cls[1].qualname if cls else "")
        return self.models.model(q) if q else None

    def store_rows(self, path: str, b: Binding, ref: Origin) -> Optional[Model]:
        """The rows of an in-memory store a lookup reads: a module-level `NOTES: Dict[int, Note]`
        or dict literal of rows, an attribute of a module-level object (`store.notes_by_id`), or
        of `self` (`self.notes_by_id`)."""
        if ref.kind == "param" and len(ref.attrs) == 1 and b.self_cls:
            for cpath, c in self.models.chain(b.self_cls):
                if ref.attrs[0] in c.stores:
                    return self.models.store_model(c.stores[ref.attrs[0]], cpath)
            return None
        if ref.kind != "global":
            return None
        target = self.resolver.resolve_name(ref.name, path) or ref.name
        hit = self.index.stores.get(target)
        if hit is not None:
            spath, st = hit
            return self.models.store_model(st.value_type, spath, target, st.row_keys)
        parent, _, attr = ref.name.rpartition(".")
        owner = self.resolver.resolve_name(parent, path) if parent else None
        if owner not in self.index.instances and parent:
            owner = self._forwarded(owner or parent) or owner
        if owner in self.index.instances:
            ipath, inst = self.index.instances[owner]
            cls = self.models.find_class(inst.cls, near=ipath)
            if cls is not None:
                for cpath, c in self.models.chain(cls[1].qualname):
                    if attr in c.stores:
                        return self.models.store_model(c.stores[attr], cpath)
        return None

    def _forwarded(self, module: str) -> Optional[str]:
        """The object a module forwards its attributes to: a module defining `__getattr__` that
        holds one object (`_backend = MemoryBackend()`; `def __getattr__(name): return
        getattr(_backend, name)`, a storage backend chosen at start-up)."""
        if f"{module}.__getattr__" not in self.resolver.funcs:
            return None
        held = [q for q in self.index.instances if q.rpartition(".")[0] == module]
        return held[0] if len(held) == 1 else None

    def use_site(self, path: str, fs: FuncSummary, b: Binding, site: QuerySite) -> bool:
        """`crud.item.get(...)`: a query when `crud.item` is a model, a helper call otherwise."""
        if site.alt_call < 0:
            return True
        return bool(self.site_models(path, fs, b, site))

    def complete(self, path: str, fs: FuncSummary, site: QuerySite) -> QuerySite:
        """A raw query whose SQL is a constant of another module, with its tables and filters."""
        if not site.sql_ref:
            return site
        key = (path, fs.qualname, site.idx)
        done = self._completed.get(key)
        if done is None:
            target = self.resolver.resolve_name(site.sql_ref, path) or site.sql_ref
            const = self.index.sql_constants.get(target)
            if const is None:
                done = replace(site, tables=())
            else:
                params = dict(site.params)
                filters = [(col, params[k]) for col, k in const.comparisons if k in params]
                done = replace(site, tables=tuple(const.tables), op=const.op, filters=list(site.filters) + filters)
            self._completed[key] = done
        return done
