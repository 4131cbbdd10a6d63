"""Raw SQL queries: `text("SELECT ... WHERE owner_id = :uid")`, `conn.fetch("... $1", user.id)`,
`session.execute(stmt, {"uid": ...})`, SQL in a literal, an f-string, a local built in steps, a
module constant or a constant of another module (bound at link time); each placeholder's column is
bound to the origin of the value passed for it."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import re

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import INSERTED, Origin, QuerySite
from fastauthlint.checks.ownership.sql import parse_sql
from fastauthlint.checks.ownership.summary.known import EXTERNAL_ROOTS, RAW_FUNCS
from fastauthlint.checks.ownership.summary.state import WalkState

_INSERT = re.compile(r"^\s*insert\b", re.I)


class RawSqlRecognition(WalkState):
    def _sql_text(self, expr) -> Tuple[Optional[str], List[Origin]]:
        """The SQL of a literal, f-string, module constant or local string; f-string
        expressions become placeholders `__fx<n>__` bound to their origins."""
        if expr is None:
            return None, []
        s = astutil.literal_str(expr)
        if s is not None:
            return s, []
        if isinstance(expr, cst.FormattedString):
            parts, origins = [], []
            for p in expr.parts:
                if isinstance(p, cst.FormattedStringText):
                    parts.append(p.value)
                else:
                    parts.append(f"__fx{len(origins)}__")
                    origins.append(self.eval(p.expression))
            return "".join(parts), origins
        if isinstance(expr, cst.Name):
            if expr.value in self.strings:
                return self.strings[expr.value], []
            if not self.is_local(expr.value) and expr.value in self.constants:
                return self.constants[expr.value], []
        if isinstance(expr, cst.Call) and astutil.name_of(expr.func) == "text" and expr.args:
            return self._sql_text(expr.args[0].value)
        return None, []

    def raw_sql(self, node: cst.Call, name: str, recv: Optional[Origin], gq: Optional[str]) -> Optional[Origin]:
        """`text("SELECT ... WHERE owner_id = :uid")`, `conn.fetch("... $1", user.id)`,
        `session.execute(stmt, {"uid": ...})` where `stmt` is such a text() statement."""
        if name not in RAW_FUNCS or not node.args:
            return None
        first = astutil.argument(node, "query", 0) or astutil.argument(node, "statement") \
            or astutil.argument(node, "sql")
        if first is None:
            return None
        rest = [a for a in node.args if a.value is not first]
        sql, fx = self._sql_text(first)
        if sql is None and isinstance(first, (cst.Name, cst.Attribute)) and self.peek(first).kind == "unknown":
            q = self.ctx.qualify(first)
            if q and q.split(".")[0] not in EXTERNAL_ROOTS and name != "raw":
                # SQL held in a constant of another module: parsed there, bound at link time
                sidx = self.new_site(node, "raw", [])
                self.summary.sites[sidx].sql_ref = q
                self.bind_placeholders(self.summary.sites[sidx], rest)
                return Origin("site", str(sidx))
        if sql is None:
            if isinstance(first, (cst.Name, cst.Attribute, cst.Call)):
                o = self.eval(first)
                if o.kind == "site" and not o.attrs and self.summary.sites[int(o.name)].kind == "raw":
                    self.bind_placeholders(self.summary.sites[int(o.name)], rest)
                    return o
                self._pre = (node, first, o)
            return None
        stmt = parse_sql(sql)
        if stmt is None:
            if _INSERT.match(sql):
                for a in rest:  # `INSERT ... RETURNING id`: the new row's key, drawn by the server
                    self.eval(a.value)
                return INSERTED
            return None
        sidx = self.new_site(node, "raw", [], op=stmt.op, tables=stmt.tables)
        site = self.summary.sites[sidx]
        keyed: List[Tuple[str, str]] = list(stmt.comparisons)
        site.placeholders = keyed
        for i, o in enumerate(fx):
            for col, k in keyed:
                if k == f"__fx{i}__":
                    site.filters.append((col, o))
        self.bind_placeholders(site, rest)
        return Origin("site", str(sidx))

    def bind_placeholders(self, site: QuerySite, args: Sequence[cst.Arg]) -> None:
        """Parameters of a raw statement: `{"uid": user.id}`, `uid=user.id`, `(user.id,)`,
        positional `$1`."""
        by_key: Dict[str, Origin] = {}
        pos = 0
        for a in args:
            v = a.value
            if a.keyword is not None:
                if a.keyword.value in ("values", "params", "parameters", "args"):
                    self._bind_container(v, by_key)
                else:
                    by_key[a.keyword.value] = self.eval(v)
                continue
            if isinstance(v, (cst.Dict, cst.Tuple, cst.List)):
                self._bind_container(v, by_key)
                continue
            o = self.eval(v)
            if len(args) == 1 and o.kind == "dict" and not o.attrs:
                # `params = (name, folder_id, owner_id)` built earlier, then `execute(query, params)`
                i = 0
                for k, ov in self.summary.dicts[int(o.name)]:
                    if k == "*":
                        by_key.setdefault(f"#{i}", ov)
                        i += 1
                    elif k != "**":
                        by_key.setdefault(k, ov)
            by_key.setdefault(f"#{pos}", o)
            pos += 1
        for col, k in site.placeholders:
            if k in by_key:
                site.filters.append((col, by_key[k]))
        if site.sql_ref:
            site.params.extend(by_key.items())

    def _bind_container(self, v, by_key: Dict[str, Origin]) -> None:
        if isinstance(v, cst.Dict):
            for el in v.elements:
                if isinstance(el, cst.DictElement):
                    k = astutil.literal_str(el.key)
                    o = self.eval(el.value)
                    if k:
                        by_key[k] = o
        elif isinstance(v, (cst.Tuple, cst.List)):
            for i, el in enumerate(v.elements):
                by_key[f"#{i}"] = self.eval(el.value)
        else:
            self.eval(v)
