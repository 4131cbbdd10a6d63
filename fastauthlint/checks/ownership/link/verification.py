"""Which rows a function verified as the current user's, and from which statement on: rows whose
owner it compares with the user and refuses on mismatch (itself or through a predicate or
assertion helper), rows it creates, rows fetched by a credential the caller holds or within the
caller's tenant, rows a scoped helper returns, and what hangs off those rows (the identifiers they
were fetched with, parents fetched by their attributes, values checked to belong to them)."""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Tuple

from fastauthlint.checks.ownership.facts import INSERTED, CallSite, FuncSummary, Origin, OwnerCheck
from fastauthlint.checks.ownership.link.binding import Binding, arg_map
from fastauthlint.checks.ownership.link.state import LinkState
from fastauthlint.checks.ownership.link.words import CREATES, CREDENTIAL_COL, SESSIONISH


class RowVerification(LinkState):
    def valid_checks(self, path: str, fs: FuncSummary, b: Binding) -> List[OwnerCheck]:
        """The function's ownership checks whose compared value is the current user's, including
        those made by predicate / assertion helpers it calls."""
        key = (fs.qualname, b)
        cached = self._checks_memo.get(key)
        if cached is not None:
            return cached
        out: List[OwnerCheck] = []
        for chk in fs.checks:
            if chk.kind in ("deny", "guard", "filter", "returns") and not self._owner_column(chk.column):
                continue  # `row.request_user_id != user.id`: a column no model owns rows by
            if chk.kind in ("deny", "guard", "filter", "returns"):
                if self.is_user(path, fs, b, chk.value) and not self.is_user(path, fs, b, chk.subject):
                    out.append(chk)
                elif chk.column.split(".")[0] in self.tenant_fields and not self.is_user(path, fs, b, chk.subject) \
                        and self.is_tenant_context(path, fs, b, chk.value):
                    out.append(chk)  # `if row.workspace_id != self.workspace_id: raise`
            elif chk.kind in ("pred_deny", "pred_guard") and 0 <= chk.call < len(fs.calls):
                for subj, val in self.helper_checks(path, fs, b, fs.calls[chk.call], ("returns", "deny")):
                    if self.is_user(path, fs, b, val):
                        out.append(replace(chk, subject=subj, value=val))
        for call in fs.calls:  # ensure_owner(item, current_user): raises on mismatch
            for subj, val in self.helper_checks(path, fs, b, call, ("deny",)):
                if self.is_user(path, fs, b, val) and not self.is_user(path, fs, b, subj):
                    out.append(OwnerCheck(idx=-1, kind="deny", subject=subj, column="", value=val, order=call.order))
        for chk in fs.checks:  # `row, err = get_owned(id, user.id)` then `if err: return err`
            if chk.kind in ("exists", "refused") and chk.subject.kind == "call" and not chk.subject.attrs:
                for val in self.returned_refusals(path, fs, b, fs.calls[int(chk.subject.name)], chk.kind):
                    if self.is_user(path, fs, b, val):
                        out.append(OwnerCheck(idx=-1, kind="deny", subject=chk.subject, column="", value=val,
                                              order=chk.order))
                        break
        self._checks_memo[key] = out
        return out

    def _owner_column(self, column: str, links: bool = True) -> bool:
        """Whether a compared column (`owner_id`, `owner.id`, `project.owner_id`) may hold an owner:
        named in `owner-fields` (or a relationship standing for one), or some model's owner column;
        with `links`, also a foreign key to the user table (`group.creator_id`: who manages it).
        The per-file summaries keep every `*_id` comparison; only the registry knows the rest."""
        parts = [p for p in column.split(".") if p] if column else []
        if not parts or any(p in self.owner_fields or f"{p}_id" in self.owner_fields or p in self.tenant_fields
                            for p in parts):
            return True
        if any(p in self.models.owner_columns_anywhere() for p in parts):
            return True
        return links and parts[-1] in self.models.user_links_anywhere()

    def helper_checks(self, path, fs, b, call: CallSite, kinds) -> List[Tuple[Origin, Origin]]:
        """Checks a called helper makes on its parameters, as (subject, value) origins in the caller."""
        hit = self.resolver.resolve_call(path, fs, b, call.callee)
        if hit is None:
            return []
        tpath, t, _, _, bound = hit
        args = arg_map(t, call, bound)
        out = []
        for chk in t.checks:
            if chk.kind not in kinds:
                continue
            s, v = chk.subject, chk.value
            if s.kind == "param" and s.name in args and v.kind == "param" and v.name in args:
                out.append((args[s.name], args[v.name].attr(*v.attrs)))
        return out

    def returned_refusals(self, path, fs, b, call: CallSite, kind: str) -> List[Origin]:
        """The values (in the caller) a helper compares its row's owner with, where it answers a
        mismatch by returning something its caller tests: an error it hands back next to or
        instead of the row ("refused": `if err: return err`), or nothing ("exists": `if not row`)."""
        hit = self.resolver.resolve_call(path, fs, b, call.callee)
        if hit is None:
            return []
        tpath, t, _, _, bound = hit
        wanted = ("value", "pair") if kind == "refused" else ("none", "pair")
        args = arg_map(t, call, bound)
        out = []
        for chk in t.checks:
            if chk.kind != "deny" or chk.denial is None or chk.denial.returns not in wanted \
                    or not self._owner_column(chk.column):
                continue
            v = chk.value
            if v.kind == "param" and v.name in args:
                out.append(args[v.name].attr(*v.attrs))
        return out

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
            subj = self.canonical(path, fs, b, chk.subject)
            if subj.kind in ("site", "call", "param"):
                root = (subj.kind, subj.name)
                out[root] = min(out.get(root, chk.order), chk.order)
        # rows looked up by a credential the caller holds (a share token): what they point to is theirs
        for site in fs.sites:
            if any(CREDENTIAL_COL.search(c.split(".")[-1]) and v.kind not in ("literal", "unknown")
                   for c, v in site.filters):
                out.setdefault(("site", str(site.idx)), site.order)
        # rows this request creates itself: `Item(**data, owner_id=user.id)`, `crud.create(...)`;
        # rows fetched within the caller's tenant here, or by a helper that scopes its query
        # (`case = await service.get_case(case_id)`): what hangs off them (`Comment.case_id ==
        # case.id`) is the caller's too
        for site in fs.sites:
            if self.site_scoped(path, fs, b, self.complete(path, fs, site))[1] == "tenant":
                out.setdefault(("site", str(site.idx)), site.order)
        for call in fs.calls:
            if self.creates_row(path, fs, b, call) or self.returns_scoped_row(path, fs, b, call):
                out.setdefault(("call", str(call.idx)), call.order)
        # identifiers a scoped lookup refuses unless it finds them, here or in a helper called here
        # (`ensure_visible(db, invoice_id, scope)`): from then on they are the caller's
        for root, when in self.refused_keys(path, fs, b).items():
            out[root] = min(out.get(root, when), when)
        for call in fs.calls:
            hit = self.resolver.resolve_call(path, fs, b, call.callee)
            if hit is None or hit[1].qualname == fs.qualname:
                continue
            tpath, t, tcls, tmodel, bound = hit
            if not any(c.kind in ("exists", "pred_deny") for c in t.checks):
                continue
            tb = self.call_binding(path, fs, b, call, t, bound, tcls, tmodel)
            args = arg_map(t, call, bound)
            for kind, name in self.refused_keys(tpath, t, tb):
                if kind == "param" and name in args:
                    a = self.canonical(path, fs, b, args[name])
                    if a.kind in ("param", "site", "call") and not a.attrs and not SESSIONISH.match(a.name):
                        out.setdefault((a.kind, a.name), call.order)
        # `if not self._is_chat_creator(chat_id=chat_id, user=user): raise 403`: a project predicate
        # given an identifier and the current user, comparing an owner or looking rows up, whose
        # "no" refuses: the identifier is the caller's from then on
        for chk in fs.checks:
            if chk.kind != "pred_deny" or chk.call < 0:
                continue
            call = fs.calls[chk.call]
            given = list(call.args) + [v for _, v in call.kwargs]
            if not any(self.is_user(path, fs, b, v) for v in given):
                continue
            hit = self.resolver.resolve_call(path, fs, b, call.callee)
            if hit is None or not (hit[1].sites or any(c.kind == "returns" for c in hit[1].checks) or hit[1].calls):
                continue
            for v in given:
                a = self.canonical(path, fs, b, v)
                if a.kind == "param" and not a.attrs and not SESSIONISH.match(a.name) and not self.is_user(path, fs, b, a):
                    out.setdefault((a.kind, a.name), chk.order)
        changed = True
        rounds = 0
        while changed and rounds < 6:
            changed = False
            rounds += 1
            for chk in fs.checks:  # a value checked to belong to a verified row
                if chk.kind != "member":
                    continue
                coll = self.canonical(path, fs, b, chk.value)
                when = out.get((coll.kind, coll.name))
                subj = self.canonical(path, fs, b, chk.subject)
                if when is not None and when <= chk.order and subj.kind in ("site", "call", "param") \
                        and out.get((subj.kind, subj.name), 1 << 30) > chk.order:
                    out[(subj.kind, subj.name)] = chk.order
                    changed = True
            for (kind, name), when in list(out.items()):
                if kind not in ("site", "call"):
                    continue
                for k in self.keys_of(path, fs, b, Origin(kind, name)):
                    k = self.canonical(path, fs, b, k)
                    if k.kind in ("site", "call") and k.attrs:
                        root = (k.kind, k.name)  # a parent fetched by an attribute of this row
                    elif k.kind == "param" and not k.attrs and not SESSIONISH.match(k.name):
                        root = (k.kind, k.name)  # the identifier the verified row was fetched with
                    elif k.kind == "dict" and not k.attrs:
                        for _, v in fs.dicts[int(k.name)]:
                            v = self.canonical(path, fs, b, v)
                            if v.kind == "param" and not v.attrs and not SESSIONISH.match(v.name):
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

    def refused_keys(self, path: str, fs: FuncSummary, b: Binding) -> Dict[Tuple[str, str], int]:
        """The identifiers of lookups scoped to the caller that the function refuses to go on
        without (`if not rows: raise`, `if rows: return ...` then `raise`, `if not
        helper(...): raise` of a helper returning a scoped row) -> the order of the refusal."""
        out: Dict[Tuple[str, str], int] = {}
        for chk in fs.checks:
            if chk.kind == "exists":
                subj = self.canonical(path, fs, b, chk.subject)
            elif chk.kind == "pred_deny" and 0 <= chk.call < len(fs.calls):
                subj = Origin("call", str(chk.call))
            else:
                continue
            if subj.attrs:
                continue
            if subj.kind == "site":
                scoped = self.site_scoped(path, fs, b, self.complete(path, fs, fs.sites[int(subj.name)]))[0]
            elif subj.kind == "call":
                scoped = self.returns_scoped_row(path, fs, b, fs.calls[int(subj.name)])
            else:
                continue
            if not scoped:
                continue
            for k in self.keys_of(path, fs, b, subj):
                k = self.canonical(path, fs, b, k)
                if k.kind == "call" and not k.attrs:  # `Query(model_id=model_id)`: the values it carries
                    inner = fs.calls[int(k.name)]
                    ks = [self.canonical(path, fs, b, v) for v in list(inner.args) + [v for _, v in inner.kwargs]]
                else:
                    ks = [k]
                for v in ks:
                    if v.kind == "param" and not v.attrs and not SESSIONISH.match(v.name) and v.name not in b.user \
                            and v.name not in b.tenant:
                        out.setdefault((v.kind, v.name), chk.order)
                    elif v.kind in ("site", "call") and v.attrs and (v.kind, v.name) != (subj.kind, subj.name):
                        # `FirmUser.user_id == me, FirmUser.firm_id == application.firm_id` refused
                        # when missing: the caller belongs to what `application` hangs off
                        out.setdefault((v.kind, v.name), chk.order)
        return out

    def is_verified(self, path: str, fs: FuncSummary, b: Binding, o: Origin, order: int, depth: int = 0) -> bool:
        """A value that is an owner-verified row, an attribute or identifier of one, at `order`."""
        o = self.canonical(path, fs, b, o)
        if o.kind == "param" and o.name in b.verified or o == INSERTED:
            return True
        if o.kind == "dict" and not o.attrs and depth < 4:
            return any(self.is_verified(path, fs, b, v, order, depth + 1) for _, v in fs.dicts[int(o.name)])
        when = self.verified_map(path, fs, b).get((o.kind, o.name))
        return when is not None and when <= order

    def node_verified(self, path: str, fs: FuncSummary, b: Binding, node: Origin, after: int) -> bool:
        node = self.canonical(path, fs, b, node)
        if node.kind == "site" and not node.attrs and fs.sites[int(node.name)].alt_call >= 0:
            # `store.notes.get(id)` read as a lookup: the value the code checks is the call's
            alt = Origin("call", str(fs.sites[int(node.name)].alt_call))
            if self.node_verified(path, fs, b, alt, after):
                return True
        if node.kind == "param" and node.name in b.verified:
            return True
        when = self.verified_map(path, fs, b).get((node.kind, node.name))
        if when is not None and when >= after:
            return True
        # checked on several paths: any check at or after the fetch
        for chk in self.valid_checks(path, fs, b):
            if chk.order >= after and self.same_root(path, fs, b, chk.subject, node):
                return True
        return False

    def checked_after(self, path: str, fs: FuncSummary, b: Binding, node: Origin, after: int) -> bool:
        """An owner check of the row itself at or after it is fetched (not what the row's tenant
        filter makes verified: the tenant-only rows of a member are the question)."""
        return any(chk.order >= after and self.same_root(path, fs, b, chk.subject, node)
                   for chk in self.valid_checks(path, fs, b))

    def returns_scoped_row(self, path: str, fs: FuncSummary, b: Binding, call: CallSite, depth: int = 0) -> bool:
        """Whether a project helper called here returns a row fetched by a query it scopes."""
        if depth > 3:
            return False
        hit = self.resolver.resolve_call(path, fs, b, call.callee)
        if hit is None:
            return False
        tpath, t, tcls, tmodel, bound = hit
        tb = self.call_binding(path, fs, b, call, t, bound, tcls, tmodel)
        for r in t.returns:
            r = self.canonical(tpath, t, tb, r)
            if r.kind == "site" and not r.attrs:
                site = self.complete(tpath, t, t.sites[int(r.name)])
                if self.site_scoped(tpath, t, tb, site)[0]:
                    return True
            elif r.kind == "call" and not r.attrs:
                if self.returns_scoped_row(tpath, t, tb, t.calls[int(r.name)], depth + 1):
                    return True
        return False

    def creates_row(self, path: str, fs: FuncSummary, b: Binding, call: CallSite) -> bool:
        name = call.callee.name.split(".")[-1] if call.callee.kind == "global" else (
            call.callee.attrs[-1] if call.callee.attrs else "")
        if CREATES.match(name):
            return True
        if call.callee.kind == "global":
            if self.models.model(call.callee.name, near=path) is not None:
                return True  # Item(...): a new row
            parent, _, meth = call.callee.name.rpartition(".")
            if meth in ("model_validate", "from_orm", "parse_obj", "model_construct", "construct") and \
                    self.models.model(parent, near=path) is not None:
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

    def returned(self, path: str, fs: FuncSummary, b: Binding, node: Origin) -> bool:
        for r in fs.returns:
            if self.same_root(path, fs, b, r, node):
                return True
        return False
