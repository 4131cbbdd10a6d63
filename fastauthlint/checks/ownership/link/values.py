"""What a value is under a binding: the current user (or derived from them: `current_user.id`, a
parameter bound to it, a dict or query built from it, a value checked to be the user's identity),
the caller's tenant, a filter restricted to public rows, the identifiers a row was fetched with;
and whether code runs for administrators only."""

from __future__ import annotations

import re
from typing import List, Set, Tuple

from fastauthlint.checks.ownership.facts import UNKNOWN, FuncSummary, Origin
from fastauthlint.checks.ownership.link.binding import Binding, arg_map
from fastauthlint.checks.ownership.link.state import LinkState
from fastauthlint.checks.ownership.link.words import HELD_USER, PUBLIC_FLAG, SESSIONISH, VISIBILITY_COL


class UserValues(LinkState):
    def canonical(self, path: str, fs: FuncSummary, b: Binding, o: Origin) -> Origin:
        """A call whose callee is not project code passes its query argument through."""
        for _ in range(8):
            if o.kind != "call":
                return o
            call = fs.calls[int(o.name)]
            if call.passthrough is not None:
                hit = self.resolver.resolve_call(path, fs, b, call.callee)
                if hit is None or self._reshapes(hit[0], hit[1], call, hit[4]):
                    o = Origin(call.passthrough.kind, call.passthrough.name, call.passthrough.attrs + o.attrs)
                    continue
            return o
        return o

    def _reshapes(self, tpath: str, t: FuncSummary, call, bound: bool) -> bool:
        """A project helper that only reshapes the row it is given (`_row_dict(row)`: `data =
        dict(row); data["labels"] = json.loads(...); return data`): no query in it nor in the
        project code it calls, so what it returns comes from that row and plain values."""
        if not t.returns:
            return False
        if sum(1 for a in arg_map(t, call, bound).values() if a == call.passthrough) != 1:
            return False
        return self._queryless(tpath, t, 0)

    def _queryless(self, tpath: str, t: FuncSummary, depth: int) -> bool:
        """No query in the function nor in the project code it calls (two calls deep)."""
        if t.sites or depth > 2:
            return False
        hit = self._reshape_memo.get(t.qualname)
        if hit is None:
            self._reshape_memo[t.qualname] = False  # re-entrancy
            hit = True
            for c in t.calls:
                callee = self.resolver.resolve_call(tpath, t, Binding(), c.callee)
                if callee is not None and not self._queryless(callee[0], callee[1], depth + 1):
                    hit = False
                    break
            self._reshape_memo[t.qualname] = hit
        return hit

    def keywords_of_user(self, path: str, fs: FuncSummary, b: Binding, t: FuncSummary, call) -> Tuple[str, ...]:
        """The callee's `**kwargs` when a keyword it collects holds the current user
        (`repo.single_or_none(id=x, user_id=user.id)` into `filter_by(**kwargs)`)."""
        star = next((p.name for p in t.params if p.index == -2), "")
        named = {p.name for p in t.params}
        if star and any(self.is_user(path, fs, b, o) for k, o in call.kwargs if k not in named):
            return (star,)
        return ()

    def field_values(self, path: str, fs: FuncSummary, b: Binding, call, attr: str) -> List[Origin]:
        """What a field of an object holds: `GetOrdersQuery(user_id=uid, ...)` built by a project
        class (a command or query object, a dataclass, a schema) has `uid` in `.user_id`; so does
        an object after `order.user_id = uid` in this function."""
        out = [v for base, a, v in fs.attr_sets if a == attr and base == Origin("call", str(call.idx))]
        if call.callee.kind == "global":
            target = self.resolver.resolve_name(call.callee.name, path)
            if target in self.models.classes and self.resolver.function(target) is None:
                out += [v for k, v in call.kwargs if k == attr]
        return out

    def field_carriers(self, path: str, fs: FuncSummary, b: Binding, args) -> Set[str]:
        """`name.attr` for each argument that carries the user in a field: a callee reading
        `query.user_id` reads the caller's user."""
        out: Set[str] = set()
        for name, o in args.items():
            c = self.canonical(path, fs, b, o)
            if c.attrs:
                continue
            if c.kind == "call":
                call = fs.calls[int(c.name)]
                attrs = {k for k, _ in call.kwargs} | {a for base, a, _ in fs.attr_sets if base == c}
                out |= {f"{name}.{a}" for a in attrs if any(self.is_user(path, fs, b, v)
                                                            for v in self.field_values(path, fs, b, call, a))}
            elif c.kind == "param":
                out |= {f"{name}.{a}" for base, a, v in fs.attr_sets if base == c and self.is_user(path, fs, b, v)}
                out |= {f"{name}.{m.split('.', 1)[1]}" for m in b.user if m.startswith(c.name + ".")}
        return out

    def _client_value(self, path: str, fs: FuncSummary, b: Binding, o: Origin) -> bool:
        o = self.canonical(path, fs, b, o)
        return o.kind == "param" and not o.attrs and o.name in b.client

    def forwarded_user(self, path: str, fs: FuncSummary, b: Binding, t: FuncSummary, call, bound: bool) -> Set[str]:
        """The callee's parameters that receive the current user through `*args` / `**kwargs`.

        A facade forwards what it is given (`def history(self, **kwargs): return
        self.impl.history(**kwargs)`, called with `user_id=current_user.id`): the binding keeps,
        next to the collecting parameter, which of its keywords (`kwargs=user_id`) or positions
        (`args#0`) hold the user, and an unpacking call hands each to the parameter it lands on.
        `f(**{"user_id": user.id})` and a dict built before the call count the same way."""
        out: Set[str] = set()
        named = {p.name for p in t.params if p.index != -2 and p.name != t.star_args}
        kw_star = next((p.name for p in t.params if p.index == -2), "")
        positional = [p for p in t.params if p.index >= 0]
        shift = 1 if bound and positional and positional[0].name in ("self", "cls") else 0
        if kw_star:
            for k, o in call.kwargs:
                if k not in named and self.is_user(path, fs, b, o):
                    out.add(f"{kw_star}={k}")

        def land_positional(j: int) -> None:
            if j < len(positional):
                out.add(positional[j].name)
            elif t.star_args:
                out.add(f"{t.star_args}#{j - len(positional)}")

        for i, o in enumerate(call.args):
            if i + shift >= len(positional) and t.star_args and self.is_user(path, fs, b, o):
                land_positional(i + shift)
        for kind, o in call.spread:
            if o.kind == "param" and not o.attrs:
                marks = [m[len(o.name) + 1:] for m in b.user if m.startswith(o.name) and m[len(o.name):len(o.name) + 1]
                         in ("=", "#")]
                if kind == "**":
                    keys = [m for m in marks if not m.isdigit()]
                else:
                    for m in marks:
                        if m.isdigit():
                            land_positional(len(call.args) + int(m) + shift)
                    continue
            elif kind == "**" and o.kind == "dict" and int(o.name) < len(fs.dicts):
                keys = [k for k, v in fs.dicts[int(o.name)] if k.isidentifier() and self.is_user(path, fs, b, v)]
            else:
                continue
            for k in keys:
                if k in named:
                    out.add(k)
                elif kw_star:
                    out.update((kw_star, f"{kw_star}={k}"))
        if any("=" in m for m in out) and kw_star:
            out.add(kw_star)
        if any("#" in m for m in out) and t.star_args:
            out.add(t.star_args)
        return out

    def is_user(self, path: str, fs: FuncSummary, b: Binding, o: Origin, depth: int = 0,
                identity: bool = True) -> bool:
        """Whether a value is the current user or derived from them under the binding;
        `identity=False` leaves out the values an identity check made the user's (it is how those
        checks are judged)."""
        if depth > 6:
            return False
        o = self.canonical(path, fs, b, o)
        if identity and (o.kind, o.name) in self.identity_roots(path, fs, b):
            return True
        if o.kind == "param":
            if o.name == fs.self_name and o.attrs and (o.attrs[0] in b.self_user or self.held_user(b, o.attrs[0])):
                return True
            # `query.user_id` of a command object the caller built with the user (field_carriers)
            return o.name in b.user or bool(o.attrs) and f"{o.name}.{o.attrs[0]}" in b.user
        if o.kind == "request_user":
            return not b.anonymous
        if o.kind == "request_state":
            return self.caller_state.is_caller(o.name, path, b)
        if o.kind == "dict" and not o.attrs:
            return any(self.is_user(path, fs, b, v, depth + 1, identity) for _, v in fs.dicts[int(o.name)])
        if o.kind == "site":
            site = fs.sites[int(o.name)]
            return any(self.is_user(path, fs, b, v, depth + 1, identity) for _, v in site.filters) or any(
                self.is_user(path, fs, b, k, depth + 1, identity) for k in site.keys)
        if o.kind == "call":
            # `_owner(user)` returning `user`, `_owner(ctx)` returning `None if admin else ctx.group_id`:
            # a query-free helper handing back what it was given
            call = fs.calls[int(o.name)]
            if o.attrs and any(self.is_user(path, fs, b, v, depth + 1, identity)
                               for v in self.field_values(path, fs, b, call, o.attrs[0])):
                return True
            given = self._handed_back(path, fs, b, call)
            if given:
                return all(self.is_user(path, fs, b, v.attr(*o.attrs), depth + 1, identity) for v in given)
            return self._fetched_by_user(path, fs, b, call, depth)
        return False

    def _fetched_by_user(self, path: str, fs: FuncSummary, b: Binding, call, depth: int) -> bool:
        """A project helper returning the row it looks up by the identifier it is given, given
        the caller's own (`unit = units.get_by_id(db, claims["role"])`): that row, and what
        hangs off it (`unit.users[0].id`), is the caller's context."""
        hit = self.resolver.resolve_call(path, fs, b, call.callee) if depth <= 6 else None
        if hit is None or not hit[1].returns:
            return False
        tpath, t, tcls, tmodel, bound = hit
        users = frozenset(n for n, a in arg_map(t, call, bound).items() if self.is_user(path, fs, b, a, depth + 1))
        if not users:
            return False
        tb = Binding(user=users, self_cls=tcls if bound else "", self_model=tmodel)
        rows = [r for r in (self.canonical(tpath, t, tb, r) for r in t.returns) if r.kind != "param"]
        for r in rows or [UNKNOWN]:  # (the parameters a returned query reads are recorded with it)
            if r.kind == "call" and not r.attrs:  # `return super().get(db, id)`
                if not self._fetched_by_user(tpath, t, tb, t.calls[int(r.name)], depth + 2):
                    return False
                continue
            if r.kind != "site" or r.attrs:
                return False
            site = t.sites[int(r.name)]
            keys = list(site.keys) + [v for c, v in site.filters if c.split(".")[-1] in ("id", "pk", "_id")]
            if not keys or not all(k.kind == "param" and not k.attrs and k.name in users for k in keys):
                return False
        return True

    def _handed_back(self, path: str, fs: FuncSummary, b: Binding, call) -> List[Origin]:
        """The arguments (with the attributes it reads of them) a project helper without queries
        returns, when every value it returns is one of them; [] otherwise."""
        hit = self.resolver.resolve_call(path, fs, b, call.callee)
        if hit is None:
            return []
        tpath, t, _, _, bound = hit
        if not t.returns or not self._queryless(tpath, t, 0):
            return []
        args = arg_map(t, call, bound)
        out = []
        for r in t.returns:
            r = self.canonical(tpath, t, Binding(), r)
            if r.kind == "request_state":
                # `current_tenant(request)` returning `getattr(request.state, "tenant_id", None)`:
                # the same request's state (judged under the caller's binding; a context
                # variable's name is qualified already)
                out.append(r)
                continue
            if r.kind == "global" and len(t.returns) > 1:
                continue  # a configured fallback (`return settings.DEFAULT_TENANT_ID`): no client's pick
            if r.kind != "param" or r.name not in args:
                return []
            out.append(args[r.name].attr(*r.attrs))
        return out

    def held_user(self, b: Binding, attr: str) -> bool:
        """A per-request repository or service built for the caller: `self.user_id` set in
        `__init__` from a parameter, or a field of a pydantic repository (`NoteRepository(session, user_id=user.id)` in the dependency
        that builds it). Trusted like a service's own tenant (`self.workspace_id`)."""
        if not b.self_cls or not HELD_USER.match(attr) or self.models.is_table_model(b.self_cls):
            return False
        # set in `__init__`, or a field of a pydantic/dataclass repository (`user_id: str`)
        return any(attr in c.init_attrs or any(f.name == attr for f in c.fields)
                   for _, c in self.models.chain(b.self_cls))

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
            subj = self.canonical(path, fs, b, chk.subject)
            out.add((subj.kind, subj.name))
            for k in self.keys_of(path, fs, b, subj):
                k = self.canonical(path, fs, b, k)
                if k.kind == "param" and not k.attrs and not SESSIONISH.match(k.name):
                    out.add((k.kind, k.name))
        return out

    def shaped_roots(self, path: str, fs: FuncSummary, b: Binding) -> Set[Tuple[str, str]]:
        """Values the function compares with the current user and, when they differ, answers
        differently without refusing (masks fields, leaves a section out): a view of a
        colleague's record the code decides on deliberately (`shapes_other` checks)."""
        out: Set[Tuple[str, str]] = set()
        for chk in fs.checks:
            if chk.kind == "shapes_other" and self.is_user(path, fs, b, chk.value, identity=False) \
                    and not self.is_user(path, fs, b, chk.subject, identity=False):
                subj = self.canonical(path, fs, b, chk.subject)
                out.add((subj.kind, subj.name))
        return out

    def shaped(self, path: str, fs: FuncSummary, b: Binding, values: List[Origin]) -> bool:
        """Whether one of the values is one the function shapes its answer by (`shaped_roots`)."""
        roots = self.shaped_roots(path, fs, b) if any(c.kind == "shapes_other" for c in fs.checks) else set()
        for v in values if roots else ():
            c = self.canonical(path, fs, b, v)
            if (c.kind, c.name) in roots and not c.attrs:
                return True
        return False

    def keys_of(self, path: str, fs: FuncSummary, b: Binding, node: Origin) -> List[Origin]:
        if node.kind == "site":
            site = fs.sites[int(node.name)]
            return list(site.keys) + [v for c, v in site.filters if c in ("id", "pk", "_id", "**", "*")
                                      or c.endswith(("_id", ".id"))]
        if node.kind == "call":
            call = fs.calls[int(node.name)]
            return [o for o in call.args if not (o.kind == "param" and SESSIONISH.match(o.name))] + [
                v for k, v in call.kwargs if not SESSIONISH.match(k)]
        return []

    def same_root(self, path, fs, b, a: Origin, node: Origin) -> bool:
        a = self.canonical(path, fs, b, a)
        node = self.canonical(path, fs, b, node)
        return (a.kind, a.name) == (node.kind, node.name) and a.kind in ("site", "call", "param")

    def is_tenant_context(self, path: str, fs: FuncSummary, b: Binding, v: Origin, depth: int = 0) -> bool:
        """The caller's tenant, as a filter value: derived from the current user
        (`current_user.organization_id`, `role.workspace_id`), or the context a service or
        repository holds (`self.workspace_id`, `self.role.organization_id`: set when it was built
        for the request, not read from the request), or a helper parameter bound to either, or
        the tenant's own row fetched by one."""
        v = self.canonical(path, fs, b, v)
        if v.kind in ("request_state", "request_user"):
            return self.is_user(path, fs, b, v)
        if v.kind == "call" and depth < 3:
            # a query-free helper handing back the caller's tenant (`current_tenant_id(request)`)
            given = self._handed_back(path, fs, b, fs.calls[int(v.name)])
            return bool(given) and all(self.is_tenant_context(path, fs, b, g.attr(*v.attrs), depth + 1)
                                       for g in given)
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

    def public_origin(self, path: str, fs: FuncSummary, b: Binding, v: Origin, depth: int = 0) -> bool:
        """A filter dict (or a parameter bound to one) that restricts to public rows."""
        v = self.canonical(path, fs, b, v)
        if v.kind == "param" and not v.attrs:
            return v.name in b.public
        if v.kind == "dict" and not v.attrs and depth < 3:
            return any(self.public_filter(k, x) or self.public_origin(path, fs, b, x, depth + 1)
                       for k, x in fs.dicts[int(v.name)])
        return False

    @staticmethod
    def public_filter(col: str, v: Origin) -> bool:
        """Rows explicitly restricted to public ones: `is_public == True`, `status ==
        Status.PUBLISHED`, `{"visibility": "public"}`."""
        name = col.split(".")[-1].lower()
        text = v.name if v.kind in ("literal", "global") else ""
        if PUBLIC_FLAG.search(name):
            return v.kind == "literal" and v.name.lower() == "true"
        if VISIBILITY_COL.search(name):
            return bool(re.search(r"public|publish|shared", text.split(".")[-1], re.I))
        return False

    def is_admin(self, path: str, fs: FuncSummary, b: Binding, ids: Tuple[int, ...]) -> bool:
        if b.admin:
            return True
        for i in ids:
            if 0 <= i < len(fs.admin_conds):
                o = fs.admin_conds[i]
                if o.kind == "unknown" or self.is_user(path, fs, b, o):
                    return True
        return False
