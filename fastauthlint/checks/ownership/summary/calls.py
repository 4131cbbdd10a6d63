"""Calls: what a call expression is, and the calls into project code.

`call` reads a call's callee (a project-level name, or a method on a local value) and asks, in
order: a conversion that keeps its argument (`str(user.id)`), `dict(...)`, a raw SQL query, an ORM
statement or a refinement of one, a session or model-class query, a delete of a fetched row, a
query on a generic repository's model; anything else that may enter project code (a crud, service
or repository helper) is recorded as a `CallSite` with the origin of each argument, for link time
to follow.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership import mongo
from fastauthlint.checks.ownership.facts import UNKNOWN, CallSite, Origin
from fastauthlint.checks.ownership.summary.known import (
    CONVERSIONS, CURSOR_FETCHES, DELETE_FUNCS, EXISTS_FUNCS, ROW_SAVES, STORE_METHODS, EXTERNAL_ROOTS, MODEL_ATTRS, MODEL_METHODS, MODEL_PARAM, SELECT_FUNCS, UPDATE_FUNCS,
)
from fastauthlint.checks.ownership.summary.state import WalkState
from fastauthlint.project.names import dotted


class CallRecognition(WalkState):
    def call(self, node: cst.Call) -> Origin:
        func = node.func
        method: Optional[str] = None
        recv: Optional[Origin] = None
        gq: Optional[str] = None  # qualified name of the callee when it is a project-level name
        root = func
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if isinstance(root, cst.Name) and not self.is_local(root.value):
                gq = self.ctx.qualify(func)
            if self._super_call(func, method):
                # `super().get(db, id)` in a subclass that does not define `get`: the base
                # class's method, reached like `self.get(...)`
                gq, recv = None, Origin("param", self.summary.self_name)
            elif gq is None:
                recv = self.eval(func.value)
        elif isinstance(func, cst.Name):
            if not self.is_local(func.value):
                gq = self.ctx.qualify(func)
        else:
            recv = self.eval(func)

        bare = func.value if isinstance(func, cst.Name) else None
        if self.jwt_identity_call(node):
            for a in node.args:
                self.eval(a.value)
            return Origin("request_user", "")  # `Authorize.get_jwt_subject()`: the verified token's subject
        if method in ("items", "keys", "values") and recv is not None and recv.kind == "param" and not node.args:
            return recv
        # conversions keep the value: str(current_user.id)
        if (gq in CONVERSIONS or bare in ("str", "int")) and node.args:
            o = self.eval(node.args[0].value)
            for a in node.args[1:]:
                self.eval(a.value)
            return o

        if bare == "dict" and not self.is_local("dict"):
            return self.new_dict([(a.keyword.value if a.keyword is not None else "**", self.eval(a.value))
                                  for a in node.args])

        if bare == "setattr" and not self.is_local("setattr") and node.args:
            target = self.eval(node.args[0].value)
            attr = astutil.literal_str(node.args[1].value) if len(node.args) == 3 else None
            values = [self.eval(a.value) for a in node.args[1:]]
            if attr and self.is_request_state(target):
                self.state_set(attr, values[-1])  # `setattr(request.state, "user_id", uid)`
            else:
                self.row_written(target)
            return UNKNOWN
        if bare == "getattr" and not self.is_local("getattr") and len(node.args) in (2, 3):
            attr = astutil.literal_str(node.args[1].value)
            if attr and attr.isidentifier():
                # `getattr(request.state, "user_id", None)`: the attribute, read defensively
                base = self.eval(node.args[0].value)
                for a in node.args[2:]:
                    self.eval(a.value)
                return self.request_user(base.attr(attr)) if base.kind not in ("literal", "unknown") else UNKNOWN
        if gq and method in ("get", "set") and not gq.split(".")[0] in EXTERNAL_ROOTS:
            var = gq[: -len(method) - 1]
            last = var.split(".")[-1]
            if method == "get" and not node.args and not (last[:1].isupper() and not last.isupper()):
                # `current_user_id.get()`: a context variable, set for the request by whoever set it
                return Origin("request_state", f"ctx:{var}")
            if method == "set" and len(node.args) == 1 and node.args[0].keyword is None:
                self.state_set(f"ctx:{var}", self.eval(node.args[0].value))
                return UNKNOWN
        if gq in EXISTS_FUNCS and len(node.args) <= 1:
            if not node.args:  # `exists().where(Member.board_id == Card.board_id, ...)`: built next
                o = Origin("site", str(self.new_site(node, "orm", [])))
            else:
                o = self.eval(node.args[0].value)
            self.probe(o)
            return o
        if recv is not None and method in ROW_SAVES and recv.kind == "site" and not recv.attrs:
            self.row_written(recv)  # `await note.save()` (Tortoise, Beanie, active record)
            for a in node.args:
                self.eval(a.value)
            return recv
        if method in mongo.READ or method in mongo.INSERT:
            found = self.mongo_call(node, func, method, gq, recv)
            if found is not None:
                return found
        cursor = func.value.value if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
            and recv is not None else None
        if cursor in self.cursor_rows and method in CURSOR_FETCHES and not node.args:
            return self.cursor_rows[cursor]  # `cursor.execute(sql, args)` then `cursor.fetchone()`
        raw = self.raw_sql(node, method or (bare or (gq.split(".")[-1] if gq else "")), recv, gq)
        if raw is not None:
            if cursor is not None:
                self.cursor_rows[cursor] = raw
            return raw
        if gq in SELECT_FUNCS or gq in UPDATE_FUNCS or gq in DELETE_FUNCS:
            return self.statement_site(node, gq)

        args_nodes = list(node.args)
        if recv is not None and recv.kind == "dict" and not recv.attrs and method in (
                "append", "extend", "update", "setdefault", "add", "insert"):
            self.extend_dict(recv, args_nodes)
            return UNKNOWN
        # Each recogniser answers None when the call is not its kind (having recorded nothing).
        found = None
        if recv is not None:  # a method on a local value: a query being refined, a session
            found = self.refinement(node, method, recv, args_nodes)
            if found is None:
                found = self.session_query(node, method, recv, args_nodes)
            if found is not None:
                return found
        pos = astutil.positional(node)
        found = self.session_get(node, method, recv, gq, pos, args_nodes)
        if found is None and recv is not None:
            found = self.row_delete(node, method, recv, args_nodes)
        if found is not None:
            return found

        # Model.get(...), Model.filter(...), Model.objects.filter(...), Model.query.filter(...)
        site_alt = -1
        if gq and method in MODEL_METHODS and gq.split(".")[0] not in EXTERNAL_ROOTS:
            model_ref = gq[: -len(method) - 1]
            for suffix in (".objects", ".query"):
                if model_ref.endswith(suffix):
                    model_ref = model_ref[: -len(suffix)]
            site_alt = self.model_method_site(node, method, Origin("global", model_ref), pos, args_nodes)
            # `crud.item.get(...)`: a lower-case name may be a helper object, not a model class;
            # `EntryService.get(...)`: a capitalised one a service class. Both readings are kept and
            # link time decides; a capitalised name's value stays the query's.
            if model_ref.split(".")[-1][:1].isupper():
                self.record_call(node, method, recv, gq, args_nodes, site_alt)
                return Origin("site", str(site_alt))
        # an in-memory store: `NOTES.pop(note_id)`, `self.notes_by_id.get(note_id)`
        # (a repository held in `self._repo` has `.get(id)` too: both readings are kept, link decides)
        if method in STORE_METHODS and site_alt < 0 and args_nodes and args_nodes[0].keyword is None:
            base = recv if recv is not None else (Origin("global", gq[: -len(method) - 1]) if gq else None)
            if base is not None and self.store_ref(base):
                key = self.peek_value(args_nodes[0].value)
                o = self.store_site(node, base, key, "delete" if method == "pop" else "read")
                if o.kind == "site":
                    site_alt = int(o.name)
        # self.model.find_one(...) / cls.model.get(...) / model.filter(...) in generic repositories
        if method in MODEL_METHODS and recv is not None and recv.kind == "param" and (
                (recv.name == self.summary.self_name and len(recv.attrs) == 1 and recv.attrs[0] in MODEL_ATTRS)
                or (not recv.attrs and MODEL_PARAM.search(recv.name) and recv.name != self.summary.self_name)):
            return Origin("site", str(self.model_method_site(node, method, recv, pos, args_nodes)))

        return self.record_call(node, method, recv, gq, args_nodes, site_alt)

    def mongo_call(self, node: cst.Call, func: cst.Attribute, method: str, gq: Optional[str],
                   recv: Optional[Origin]) -> Optional[Origin]:
        """`await notes.find_one({"_id": ObjectId(note_id)})` on a Mongo collection (mongo.py): a
        raw query site on the collection, filtered on the filter document's keys. A module-level
        name may be a collection or a project object with a method of that name: both readings are
        kept (link time decides, `alt_call`)."""
        key = mongo.collection_key(func.value, self.ctx.qualify, self.is_local)
        if key is None or (key.startswith("@") and key.rsplit(".", 1)[-1][:1].isupper()) or (
                key.startswith("self:") and key[5:] in MODEL_ATTRS):
            return None  # `Note.find_one(...)`, `self.model.find_one(...)`: an ODM's model class
        args = [a for a in node.args if a.keyword is None and not a.star]
        first = args[0].value if args else None
        if method in mongo.INSERT:
            if not isinstance(first, (cst.Dict, cst.List, cst.Name)):
                return None
            for a in node.args:
                self.eval(a.value)
            return UNKNOWN
        # a filter document: a literal, or a name bound to one (`query = {"_id": ...}`)
        if first is not None and not (isinstance(first, cst.Dict) or (
                isinstance(first, cst.Name) and self.peek(first).kind == "dict")):
            return None  # `repo.find_one(note_id)`: not a filter document, some other call
        if first is None and (method not in ("find", "count_documents") or key.startswith(("@", "self:"))):
            return None
        filt = self.eval(first) if first is not None else None
        idx = self.new_site(node, "raw", [], op=mongo.READ[method], tables=(key,))
        site = self.summary.sites[idx]
        for k, v in (self.summary.dicts[int(filt.name)] if filt is not None else []):
            site.filters.append((k, v))
            if k in ("_id", "id"):
                site.keys.append(v)
        for a in node.args:
            if a.value is not first:
                self.eval(a.value)
        if key.startswith(("@", "self:")):
            self.record_call(node, method, recv, gq, list(node.args), idx)
        return Origin("site", str(idx))

    def _super_call(self, func: cst.Attribute, method: str) -> bool:
        v = func.value
        return isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value == "super" \
            and not self.is_local("super") and bool(self.summary.self_name) \
            and method != self.func.name.value  # `super().save()` inside `save`: not this method again

    def probe(self, o: Origin) -> None:
        """The query only tests whether a row exists (`exists(select(...))`, `select(...).exists()`)."""
        if o.kind == "site" and not o.attrs:
            self.summary.sites[int(o.name)].probe = True

    def record_call(self, node: cst.Call, method: Optional[str], recv: Optional[Origin], gq: Optional[str],
                    args_nodes: List[cst.Arg], site_alt: int) -> Origin:
        """A possible call into project code: recorded with the origin of each argument when its
        callee may be a project function; otherwise the value it passes through."""
        arg_origins: List[Origin] = []
        kw_origins: List[Tuple[str, Origin]] = []
        star = False
        spread: List[Tuple[str, Origin]] = []
        passthrough: Optional[Origin] = recv if recv is not None and recv.kind in ("site", "call") else None
        pre = self._pre if self._pre is not None and self._pre[0] is node else None
        for a in args_nodes:
            if site_alt >= 0:
                conversion = isinstance(a.value, cst.Call) and isinstance(a.value.func, cst.Name) \
                    and a.value.func.value in ("str", "int", "UUID")  # `get_by_id(db, str(role))`
                o = self.peek_value(a.value) if not isinstance(a.value, cst.Call) or conversion else UNKNOWN
                if isinstance(a.value, cst.Call) and id(a.value) in self._call_of_node:
                    # `store.list(_owner(ctx))`: the inner call, recorded when the lookup was read
                    o = Origin("call", str(self._call_of_node[id(a.value)]))
            elif pre is not None and a.value is pre[1]:
                o = pre[2]
            else:
                o = self.eval(a.value)
            if a.star:
                star = True
                spread.append((a.star, o))
                continue
            if a.keyword is not None:
                kw_origins.append((a.keyword.value, o))
            else:
                arg_origins.append(o)
            if passthrough is None and o.kind == "site" and not o.attrs:
                passthrough = o
        callee: Optional[Origin] = None
        if gq is not None:
            if gq.split(".")[0] not in EXTERNAL_ROOTS and gq not in ("print", "len", "isinstance"):
                callee = Origin("global", gq)
        elif recv is not None and method and recv.kind in ("param", "call") and (
                recv.kind == "call" or recv.name == self.summary.self_name or self._param_may_be_project(recv.name)):
            callee = recv.attr(method)
        if callee is None:
            if recv is not None and recv.kind in ("call",):
                return recv if passthrough is None else passthrough
            return passthrough or (recv if recv is not None and recv.kind == "site" else UNKNOWN)
        idx = len(self.summary.calls)
        self.summary.calls.append(CallSite(
            idx=idx, span=self.loc.span(node), callee=callee, text=dotted(node.func) or (method or ""),
            args=tuple(arg_origins), kwargs=tuple(kw_origins), star=star, passthrough=passthrough,
            admin=self.admin, guards=self.guards, order=self.order, conds=self.conds, spread=tuple(spread)))
        if site_alt >= 0:
            self.summary.calls[-1].alt_site = site_alt
            self.summary.sites[site_alt].alt_call = idx
        self._call_of_node[id(node)] = idx
        return Origin("call", str(idx))

    def _param_may_be_project(self, name: str) -> bool:
        for p in self.summary.params:
            if p.name == name:
                return bool(p.annotation or p.depends or p.alias)
        return False
