"""Query recognition: the ORM and ODM calls that are queries, as `QuerySite`s with the models they
read or change, their filters and identity keys: SQLAlchemy/SQLModel `select`/`update`/`delete`
statements and their refinements (`.where(...)`, `.filter_by(...)`, `.join(...)`), `session.query(
Model)`, `session.get(Model, id)` and ODMantic's `engine.find(Model, ...)`, model-class methods
(`Item.get(id=...)`, `Item.objects.filter(...)`, Beanie's `Document.find_one(...)`), generic
repositories' `self.model.get(...)`, and `session.delete(row)` of a fetched row.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import UNKNOWN, Origin, QuerySite
from fastauthlint.checks.ownership.summary.known import (
    DELETE_FUNCS, DELETE_METHODS, EXTERNAL_ROOTS, FILTER_METHODS, MODEL_ATTRS, MODEL_PARAM, ODMANTIC_METHODS,
    SESSION_GET, SESSION_QUERY, UPDATE_FUNCS, UPDATE_METHODS,
)
from fastauthlint.checks.ownership.summary.state import WalkState


def _strip_comments(text: str) -> str:
    out = []
    for line in text.split("\n"):
        quote = None
        for k, ch in enumerate(line):
            if quote is not None:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                line = line[:k]
                break
        out.append(line)
    return "\n".join(out)


_OPAQUE_STRING = re.compile(r"""(?P<q>['"])(?P<body>[^'"\s]{16,})(?P=q)""")


def _collapse(text: str, limit: int = 90) -> str:
    """The query as shown in messages: one line, no comments, shortened; long opaque string
    literals (what a token or key looks like) are elided, since messages and cached facts must
    never carry a secret."""
    if "#" in text:
        text = _strip_comments(text)
    text = _OPAQUE_STRING.sub(lambda m: f"{m.group('q')}…{m.group('q')}", text)
    text = " ".join(text.split())
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s*\.\s*", ".", text) if "\"" not in text and "'" not in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


class QueryRecognition(WalkState):
    def statement_site(self, node: cst.Call, gq: str) -> Origin:
        """`select(Item)`, `update(Item)`, `delete(Item)` (SQLAlchemy / SQLModel)."""
        op = "update" if gq in UPDATE_FUNCS else ("delete" if gq in DELETE_FUNCS else "read")
        if op == "read" and node.args and all(isinstance(a.value, cst.Call) and astutil.name_of(a.value.func) == "count"
                                              for a in node.args):
            op = "count"
        models = []
        for a in node.args:
            models += self.model_refs(a.value)
            self.filters_from(a.value, None)  # side effects of nested queries
        return Origin("site", str(self.new_site(node, "orm", models, op=op)))

    def refinement(self, node: cst.Call, method: Optional[str], recv: Optional[Origin],
                   args_nodes: List[cst.Arg]) -> Optional[Origin]:
        """A method on a query already built (its filters are the query's filters):
        `select(Item).where(...)`, `qs.filter(...)`, `stmt.bindparams(...)`."""
        refining = method in FILTER_METHODS or method in UPDATE_METHODS or method in DELETE_METHODS
        site_recv = recv
        if recv is not None and recv.kind == "call" and not recv.attrs and refining:
            # `bookmarks.select().where(...)`: the call may be a query on a Core table (link decides)
            alt = self.summary.calls[int(recv.name)].alt_site
            if alt >= 0:
                site_recv = Origin("site", str(alt))
        if site_recv is not None and site_recv.kind == "site" and not site_recv.attrs:
            sidx = int(site_recv.name)
            site = self.summary.sites[sidx]
            if refining:
                if method in ("select_from", "join", "outerjoin", "join_from") and not site.models:
                    for a in args_nodes:
                        site.models = tuple(site.models) + tuple(self.model_refs(a.value))
                self.filters_from_args(args_nodes, site)
                if method in ("where", "filter", "filter_by", "find", "find_one", "get", "exclude", "get_or_none"):
                    site.text = _collapse(self.loc.locator.code(node) or "")
                if method in DELETE_METHODS:
                    site.op = "delete"
                elif method in UPDATE_METHODS and site.op == "read" and method != "values":
                    site.op = "update"
                elif method == "count" and site.op == "read":
                    site.op = "count"
                elif method == "exists" and not args_nodes and site.op == "read":
                    site.probe = True  # `select(...).where(...).exists()`: a condition of another query
                if method == "get" and args_nodes and args_nodes[0].keyword is None:
                    site.keys.append(self.eval(args_nodes[0].value))
                if method in ("bindparams", "params"):
                    self.bind_placeholders(site, args_nodes)
                return recv
            for a in args_nodes:
                self.eval(a.value)
            return recv
        return None

    def session_query(self, node: cst.Call, method: Optional[str], recv: Optional[Origin],
                      args_nodes: List[cst.Arg]) -> Optional[Origin]:
        """`session.query(Model)`."""
        if method in SESSION_QUERY and recv is not None and args_nodes:
            models = []
            for a in args_nodes:
                models += self.model_refs(a.value)
            if models:
                return Origin("site", str(self.new_site(node, "orm", models)))
        return None

    def session_get(self, node: cst.Call, method: Optional[str], recv: Optional[Origin], gq: Optional[str],
                    pos: Sequence[cst.Arg], args_nodes: List[cst.Arg]) -> Optional[Origin]:
        """`session.get(Model, id)` / ODMantic's `engine.find(Model, Model.owner == ...)`."""
        engine_like = recv is not None or (gq is not None and gq.split(".")[-2:-1] != [] and
                                           gq.split(".")[-2][:1].islower())
        if method in SESSION_GET | ODMANTIC_METHODS and engine_like and len(pos) >= 1:
            first = pos[0].value
            # `session.get(Model, ident=key)`: SQLAlchemy's name for the key
            ident = next((a.value for a in args_nodes if a.keyword is not None and a.keyword.value == "ident"), None)
            if isinstance(first, (cst.Name, cst.Attribute)):
                m = self._peek_model(first)
                if m is not None and (method in ODMANTIC_METHODS or len(pos) >= 2 or ident is not None):
                    sidx = self.new_site(node, "orm", [m])
                    site = self.summary.sites[sidx]
                    if method in SESSION_GET:
                        site.keys.append(self.eval(pos[1].value if len(pos) >= 2 else ident))
                        for a in args_nodes[1:]:
                            if a is not (pos[1] if len(pos) >= 2 else None) and a.value is not ident:
                                self.eval(a.value)
                    else:
                        self.filters_from_args(args_nodes[1:], site)
                    return Origin("site", str(sidx))
        return None

    def row_delete(self, node: cst.Call, method: Optional[str], recv: Optional[Origin],
                   args_nodes: List[cst.Arg]) -> Optional[Origin]:
        """`session.delete(row)` / `.remove(row)` of a fetched row: that query site deletes."""
        if method in ("delete", "remove") and recv is not None and len(args_nodes) == 1:
            o = self.eval(args_nodes[0].value)
            if o.kind == "site" and not o.attrs:
                self.summary.sites[int(o.name)].op = "delete"
                return UNKNOWN
            self._pre = (node, args_nodes[0].value, o)  # `repo.delete(doc_id)`: maybe a helper
        return None

    def model_method_site(self, node: cst.Call, method: str, model: Origin, pos, args_nodes) -> int:
        sidx = self.new_site(node, "orm", [model])
        site = self.summary.sites[sidx]
        if method in DELETE_METHODS:
            site.op = "delete"
        elif method in UPDATE_METHODS:
            site.op = "update"
        elif method == "count":
            site.op = "count"
        if method in ("get", "get_or_none", "get_by_id", "get_or_404", "find_one") and pos \
                and pos[0].keyword is None and not isinstance(pos[0].value, (cst.Comparison, cst.Dict)):
            site.keys.append(self.peek_value(pos[0].value))
        self.filters_from_args(args_nodes, site)
        return sidx

    def _peek_model(self, expr) -> Optional[Origin]:
        """A model reference in `session.get(<ref>, id)`: a class name, `self.model`, a param."""
        o = self.peek(expr)
        if o.kind == "param":
            return o if (MODEL_PARAM.search(o.name) and not o.attrs) or (
                o.name == self.summary.self_name and len(o.attrs) == 1 and o.attrs[0] in MODEL_ATTRS) else None
        if o.kind == "unknown" and isinstance(expr, (cst.Name, cst.Attribute)):
            root = expr
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and self.is_local(root.value):
                return None
            q = self.ctx.qualify(expr)
            if q and q.split(".")[-1][:1].isupper():
                return Origin("global", q)
        return None

    def model_refs(self, expr) -> List[Origin]:
        """Model references in select()/query() arguments: `Item`, `Item.id`, `func.count(Item.id)`,
        `col(Item.owner_id)`, `self.model`."""
        out: List[Origin] = []
        if isinstance(expr, (cst.Name, cst.Attribute)):
            o = self.peek(expr)
            if o.kind == "param":
                out.append(Origin("param", o.name, o.attrs))
            elif o.kind == "unknown":
                q = self.ctx.qualify(expr)
                if q and q.split(".")[0] not in EXTERNAL_ROOTS:
                    parts = q.split(".")
                    if ".c." in q:  # items.c.owner_id: a Core table
                        out.append(Origin("global", q[: q.index(".c.")]))
                    else:
                        # `Item.owner_id` -> `Item`: keep up to the last capitalised part
                        for i in range(len(parts) - 1, -1, -1):
                            if parts[i][:1].isupper():
                                out.append(Origin("global", ".".join(parts[: i + 1])))
                                break
                        else:
                            out.append(Origin("global", q))  # a Core `items = Table(...)`
        elif isinstance(expr, cst.Call):
            for a in expr.args:
                out += self.model_refs(a.value)
        return out

    def store_ref(self, base: Origin) -> bool:
        """Whether a subscripted or `.get()` value may be an in-memory store of rows (link time
        decides): a project-level name or `self.<attr>`, never a row, a parameter or a literal."""
        if base.kind == "global":
            return base.name.split(".")[0] not in EXTERNAL_ROOTS and "[" not in base.name
        return base.kind == "param" and base.name == self.summary.self_name and bool(self.summary.self_name) \
            and len(base.attrs) == 1 and base.attrs[0] not in MODEL_ATTRS

    def store_site(self, node, base: Origin, key: Origin, op: str) -> Origin:
        """A lookup by key in an in-memory store: `NOTES[note_id]`, `self.notes.pop(note_id)`."""
        if key.kind in ("literal", "unknown", "global"):
            return base.attr("[]") if op == "read" else UNKNOWN
        sidx = self.new_site(node, "store", [base], op=op)
        self.summary.sites[sidx].keys.append(key)
        return Origin("site", str(sidx))

    def new_site(self, node: cst.Call, kind: str, models, op: str = "read", tables=()) -> int:
        idx = len(self.summary.sites)
        text = _collapse(self.loc.locator.code(node) or "")
        self.summary.sites.append(QuerySite(
            idx=idx, span=self.loc.span(node), text=text, kind=kind, models=tuple(models), tables=tuple(tables),
            op=op, admin=self.admin, guards=self.guards, order=self.order, conds=self.conds))
        return idx
