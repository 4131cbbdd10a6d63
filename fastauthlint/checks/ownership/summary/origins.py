"""Origin tracking: where a value comes from inside one function (a parameter and the attributes
read from it, a project-level name, the result of a query site or call, a dict or list built here,
a literal, the user a middleware put on the request), following locals in statement order.

`eval` evaluates an expression for its origin and records what it meets on the way (queries,
calls, dicts); `peek` answers for a name or attribute without recording anything.
"""

from __future__ import annotations

from typing import List, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import INSERTED, LITERAL, UNKNOWN, Origin
from fastauthlint.checks.ownership.summary.filters import Sink
from fastauthlint.checks.ownership.summary.known import INSERTED_ATTRS, JWT_IDENTITY_METHODS, VISIBILITY_WORD
from fastauthlint.checks.ownership.summary.state import WalkState

# Parts of a request that hold what the client sent.
CLIENT_PARTS = {("headers",), ("query_params",), ("path_params",), ("cookies",)}


class OriginTracking(WalkState):
    def bind(self, target, origin: Origin) -> None:
        if isinstance(target, cst.Name):
            self.env[target.value] = origin
        elif isinstance(target, cst.Subscript):
            # filters["user_id"] = current_user.id
            base = self.peek(target.value)
            written = self.peek_value(target.value)
            if self.store_ref(written):
                self.stores_written.add(written)  # `self._cache[k] = row`: a memo the function fills
            if base.kind == "dict" and not base.attrs:
                key = None
                for el in target.slice:
                    if isinstance(el.slice, cst.Index):
                        key = astutil.literal_str(el.slice.value)
                self.summary.dicts[int(base.name)].append((key or "*", origin))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                # `item, = ...` / `for a, b in rows`: elements derive from the same rows
                self.bind(el.value, origin if origin.kind in ("site", "call", "param") else UNKNOWN)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, origin)
        elif isinstance(target, cst.Attribute):
            base = self.peek(target.value)
            if self.is_request_state(base):
                self.state_set(target.attr.value, origin)  # `request.state.user_id = payload["sub"]`
            else:
                self.row_written(base)  # `row.email = ...`
                if base.kind in ("param", "call") and not base.attrs and origin.kind not in ("unknown", "literal") \
                        and len(self.summary.attr_sets) < 64:
                    self.summary.attr_sets.append((base, target.attr.value, origin))

    def is_request_state(self, o: Origin) -> bool:
        """`request.state` itself (the object attributes are set on)."""
        return o.kind == "param" and o.name in self.request_params and o.attrs == ("state",)

    def state_set(self, key: str, value: Origin) -> None:
        """Request state this function sets, and whether the value is copied straight from what the
        client sent (`request.headers[...]`, a `Header()`/`Query()` parameter): such state names
        whoever the client says, not the caller."""
        client = value.kind == "param" and (
            (value.name in self.request_params and value.attrs[:1] in CLIENT_PARTS)
            or value.name in self.client_params)
        entry = (key, client)
        if entry not in self.summary.state_sets:
            self.summary.state_sets.append(entry)

    def row_written(self, row: Origin) -> None:
        """A fetched row changed in place (`row.email = x`, `setattr(row, k, v)`, `await
        row.save()`): the query that fetched it is the one a change by id goes through."""
        if row.kind == "site" and not row.attrs:
            site = self.summary.sites[int(row.name)]
            if site.op in ("read", "count"):
                site.op = "update"
        elif row.kind == "call" and not row.attrs:
            # a helper's row changed here: the query inside it is the one the change goes through
            self.summary.calls[int(row.name)].writes = True

    def eval(self, e) -> Origin:
        if type(e) is cst.Name:
            v = e.value
            if v in self.env:
                o = self.env[v]
            elif v in self.params:
                o = Origin("param", v)
            elif v in ("True", "False", "None"):
                return Origin("literal", v) if v == "True" else LITERAL
            else:
                q = self.ctx.qualify(e)
                return Origin("global", q) if q else UNKNOWN
            if self._collect is not None:
                self._collect.append(o)
            return o
        if type(e) is cst.Attribute:
            root = e
            while type(root) is cst.Attribute:
                root = root.value
            if type(root) is cst.Name and root.value not in self.env and root.value not in self.params:
                q = self.ctx.qualify(e)
                if q:
                    return Origin("global", q)
                return UNKNOWN
            base = self.eval(e.value)
            if e.attr.value in INSERTED_ATTRS:
                return INSERTED  # `cursor.lastrowid`: the key of the row just inserted
            return self.request_user(base.attr(e.attr.value))
        if type(e) is cst.Await:
            return self.eval(e.expression)
        if type(e) is cst.Call:
            self.note_key_compare(e)
            o = self.call(e)
            if self._collect is not None and o.kind in ("site", "call"):
                self._collect.append(o)
            return o
        if type(e) is cst.Subscript:
            base = self.eval(e.value)
            key = None
            key_origin = None
            for el in e.slice:
                if type(el.slice) is cst.Index:
                    key_origin = self.eval(el.slice.value)
                    key = astutil.literal_str(el.slice.value)
            if key_origin is not None and len(e.slice) == 1 and self.store_ref(base):
                return self.store_site(e, base, key_origin, "read")  # `NOTES[note_id]`
            return base.attr(f"[{key}]" if key else "[]")
        if type(e) in (cst.SimpleString, cst.ConcatenatedString):
            text = astutil.literal_str(e) or ""
            # only visibility words are kept: `status == "published"` (never other string values)
            return Origin("literal", text.lower()) if VISIBILITY_WORD.search(text) and len(text) < 20 else LITERAL
        if type(e) in (cst.Integer, cst.Float, cst.Imaginary):
            return LITERAL
        if type(e) is cst.FormattedString:
            for part in e.parts:
                if type(part) is cst.FormattedStringExpression:
                    self.eval(part.expression)
            return UNKNOWN
        if type(e) is cst.IfExp:
            self.eval(e.test)
            a = self.eval(e.body)
            b = self.eval(e.orelse)
            return a if a.kind not in ("unknown", "literal") else b
        if type(e) in (cst.List, cst.Tuple, cst.Set):
            entries: List[Tuple[str, Origin]] = []
            found = UNKNOWN
            for el in e.elements:
                v = el.value
                if type(v) in (cst.Comparison, cst.Call) and type(el) is not cst.StarredElement:
                    sink = Sink()
                    self._last = UNKNOWN
                    self.filters_from(v, sink)
                    if sink.filters:
                        entries.extend(sink.filters)
                        continue
                    o = self._last
                else:
                    o = self.eval(v)
                if found.kind == "unknown" and o.kind in ("site", "call"):
                    found = o
                entries.append(("*", o))
            if found.kind != "unknown":
                return found
            return self.new_dict(entries)
        if type(e) is cst.Dict:
            entries = []
            for el in e.elements:
                if type(el) is cst.DictElement:
                    self.eval(el.key)
                    entries.append((astutil.literal_str(el.key) or "*", self.eval(el.value)))
                else:
                    entries.append(("**", self.eval(el.value)))
            return self.new_dict(entries)
        if type(e) in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
            return self.comprehension(e)
        if type(e) is cst.NamedExpr:
            o = self.eval(e.value)
            self.bind(e.target, o)
            return o
        if type(e) is cst.StarredElement:
            return self.eval(e.value)
        if type(e) is cst.Lambda:
            return UNKNOWN
        if type(e) in (cst.BinaryOperation, cst.BooleanOperation):
            a = self.eval(e.left)
            b = self.eval(e.right)
            if type(e) is cst.BooleanOperation:
                return a if a.kind in ("site", "call") else (b if b.kind in ("site", "call") else UNKNOWN)
            return UNKNOWN
        if type(e) is cst.UnaryOperation:
            self.eval(e.expression)
            return UNKNOWN
        if type(e) is cst.Comparison:
            self.note_key_compare(e)
            # `cond = Item.owner_id == user.id` (used later in .where(cond)): keep what it compares
            sink = Sink()
            self.filters_from(e, sink)
            return self.new_dict(sink.filters) if sink.filters else UNKNOWN
        for child in astutil.children(e):
            if isinstance(child, cst.BaseExpression):
                self.eval(child)
        return UNKNOWN

    def new_dict(self, entries: List[Tuple[str, Origin]]) -> Origin:
        self.summary.dicts.append(list(entries))
        return Origin("dict", str(len(self.summary.dicts) - 1))

    def request_user(self, o: Origin) -> Origin:
        """`request.user`: the user an authentication middleware set; `request.state.<attr>`: state
        the server set for this request (whose it is, link time decides from the route's
        authentication and from what sets the attribute)."""
        if o.kind == "param" and o.name in self.request_params:
            if o.attrs[:1] == ("state",) and len(o.attrs) >= 2:
                return Origin("request_state", o.attrs[1], o.attrs[2:])
            if o.attrs[:1] == ("user",):
                return Origin("request_user", "", o.attrs[1:])
            if o.attrs[:2] == ("scope", "[user]"):  # `websocket.scope["user"]` (AuthenticationMiddleware)
                return Origin("request_user", "", o.attrs[2:])
        return o

    def comprehension(self, e) -> Origin:
        saved = dict(self.env)
        result = UNKNOWN
        comp = e.for_in
        while comp is not None:
            it = self.eval(comp.iter)
            if result.kind == "unknown":
                result = it
            self.bind(comp.target, it)
            for cond in comp.ifs:
                self.eval(cond.test)
                for subj, col, val, mismatch in self.owner_comparisons(cond.test):
                    if not mismatch and subj == it:
                        self.add_check("filter", it, col, val, None, cond.test)
            comp = comp.inner_for_in
        if isinstance(e, cst.DictComp):
            self.eval(e.key)
            self.eval(e.value)
        else:
            self.eval(e.elt)
        self.env = saved
        return result if result.kind in ("site", "call") else UNKNOWN

    def peek(self, expr) -> Origin:
        """Origin of a simple name/attribute without recording anything."""
        if isinstance(expr, cst.Name):
            if expr.value in self.env:
                return self.env[expr.value]
            if expr.value in self.params:
                return Origin("param", expr.value)
            return UNKNOWN
        if isinstance(expr, cst.Attribute):
            base = self.peek(expr.value)
            return self.request_user(base.attr(expr.attr.value))
        if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
            key = astutil.literal_str(expr.slice[0].slice.value)
            if key:  # `user["id"]`
                base = self.peek(expr.value)
                return base.attr(f"[{key}]") if base.kind in ("param", "site", "call") else UNKNOWN
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("str", "int", "UUID") \
                and expr.args:
            return self.peek(expr.args[0].value)
        if isinstance(expr, cst.Call) and self.jwt_identity_call(expr):
            return Origin("request_user", "")
        return UNKNOWN

    def jwt_identity_call(self, node: cst.Call) -> bool:
        """`Authorize.get_jwt_subject()` on a JWT library's dependency object (`Authorize: AuthJWT =
        Depends()`): the verified token's subject or claims, the caller's own identity."""
        func = node.func
        return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
            and func.value.value in self.jwt_params and func.value.value not in self.env \
            and func.attr.value in JWT_IDENTITY_METHODS

    def peek_value(self, expr) -> Origin:
        if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
            return LITERAL
        if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
            return LITERAL
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)) and expr.elements:
            return self.peek_value(expr.elements[0].value)
        o = self.peek(expr)
        if o.kind == "unknown" and isinstance(expr, (cst.Name, cst.Attribute)):
            q = self.ctx.qualify(expr)
            if q:
                return Origin("global", q)
        return o
