"""Filters: which columns a query filters on and the origin of each value, from where/filter
arguments (`Item.owner_id == user.id`, `and_(...)`, `Item.owner_id.in_(...)`, `filter_by(owner_id=
...)`, `{"owner_id": user.id}`, `col(Item.owner_id) == uid`), and conditions collected in a list or
dict before the query (`conditions.append(Item.owner_id == uid)`, `filters.update(user_id=uid)`)."""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import UNKNOWN, Origin
from fastauthlint.checks.ownership.summary.known import EXTERNAL_ROOTS, MODEL_ATTRS, MODEL_PARAM
from fastauthlint.checks.ownership.summary.state import WalkState


class Sink:
    """Collects the filters of a condition that is not (yet) part of a query."""

    def __init__(self):
        self.filters: List[Tuple[str, Origin]] = []
        self.keys: List[Origin] = []


class FilterRecognition(WalkState):
    def extend_dict(self, recv: Origin, args_nodes: Sequence[cst.Arg]) -> None:
        """`conditions.append(Item.owner_id == uid)` / `filters.update(user_id=uid)` on a dict or
        list built in the function: its entries grow."""
        entries = self.summary.dicts[int(recv.name)]
        for a in args_nodes:
            if a.keyword is not None:
                entries.append((a.keyword.value, self.eval(a.value)))
                continue
            sink = Sink()
            self._last = UNKNOWN
            self.filters_from(a.value, sink)
            if sink.filters:
                entries.extend(sink.filters)
            else:
                entries.append(("*", self._last))

    def filters_from_args(self, args: Sequence[cst.Arg], site) -> None:
        for a in args:
            if a.star:
                # .filter_by(**filters) / .where(*conditions): a dict or list built earlier
                site.filters.append((a.star, self.eval(a.value)))
                continue
            if a.keyword is not None:
                col = a.keyword.value
                for lookup in ("__in", "__exact", "__iexact", "__eq"):
                    if col.endswith(lookup):
                        col = col[: -len(lookup)]
                col = col.replace("__", ".")
                o = self.eval(a.value)
                site.filters.append((col, o))
                if col in ("id", "pk", "_id"):
                    site.keys.append(o)
            else:
                self.filters_from(a.value, site)

    def filters_from(self, expr, site) -> None:
        """Comparisons in a where/filter argument: `Item.owner_id == user.id`, `and_(...)`,
        `Item.owner_id.in_(...)`, `{"owner_id": user.id}`, `col(Item.owner_id) == uid`."""
        if isinstance(expr, cst.Comparison):
            left = expr.left
            for n, comp in enumerate(expr.comparisons):
                right = comp.comparator
                lcol, rcol = self._column(left), self._column(right)
                if n == 0 and lcol is None:
                    left_origin = self.eval(left)
                if lcol is not None and rcol is None:
                    o = self.eval(right)
                    if site is not None:
                        site.filters.append((lcol, o))
                        if lcol.split(".")[-1] in ("id", "pk", "_id"):
                            site.keys.append(o)
                elif rcol is not None and lcol is None:
                    o = left_origin if n == 0 else self.eval(left)
                    if site is not None:
                        site.filters.append((rcol, o))
                        if rcol.split(".")[-1] in ("id", "pk", "_id"):
                            site.keys.append(o)
                else:
                    self.eval(right)
                left = right
            return
        if isinstance(expr, (cst.BooleanOperation, cst.BinaryOperation)):
            self.filters_from(expr.left, site)
            self.filters_from(expr.right, site)
            return
        if isinstance(expr, cst.UnaryOperation):
            self.filters_from(expr.expression, site)
            return
        if isinstance(expr, cst.Dict):
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    key = astutil.literal_str(el.key)
                    if key is None:
                        self.eval(el.key)
                    o = self.eval(el.value)
                    if site is not None:
                        site.filters.append((key or "*", o))
                        if key in ("_id", "id") or key is None:
                            site.keys.append(o)
            return
        if isinstance(expr, cst.Call):
            name = astutil.name_of(expr.func) or ""
            if name in ("in_", "is_", "contains", "any", "has", "__eq__", "like", "ilike") and isinstance(expr.func, cst.Attribute):
                col = self._column(expr.func.value)
                if col is not None:
                    for a in expr.args:
                        o = self.eval(a.value)
                        if site is not None:
                            site.filters.append((col, o))
                    if name in ("any", "has"):
                        for a in expr.args:
                            self.filters_from(a.value, site)
                    return
            if name in ("and_", "or_", "not_", "And", "Or", "Q", "Eq", "In", "dict"):
                if name in ("Eq", "In") and len(expr.args) == 2:
                    col = self._column(expr.args[0].value)
                    if col is not None:
                        o = self.eval(expr.args[1].value)
                        if site is not None:
                            site.filters.append((col, o))
                        return
                for a in expr.args:
                    if a.keyword is not None and site is not None:
                        site.filters.append((a.keyword.value.replace("__", "."), self.eval(a.value)))
                    else:
                        self.filters_from(a.value, site)
                return
        self._last = self.eval(expr)
        if site is not None and isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)) \
                and self._last.kind in ("dict", "param", "site", "call"):
            # .where(condition) / .find(filter_criteria): built elsewhere, judged by its origin
            site.filters.append(("*", self._last))

    def _column(self, expr) -> Optional[str]:
        """`Item.owner_id` -> "owner_id", `Item.owner.id` -> "owner.id", `col(Item.owner_id)`,
        `self.model.owner_id`, `items.c.owner_id`; None for anything that is not a column."""
        if isinstance(expr, cst.Call) and len(expr.args) == 1 and astutil.name_of(expr.func) in (
                "col", "cast", "func.lower", "lower", "str", "coalesce"):
            expr = expr.args[0].value
        elif isinstance(expr, cst.Call) and len(expr.args) == 2:
            # `typing.cast(Any, Item.owner_id)` (for the type checker), `sa.cast(Item.owner_id, UUID)`
            q = self.ctx.qualify(expr.func) or ""
            if q == "typing.cast":
                expr = expr.args[1].value
            elif q.startswith("sqlalchemy") and q.rsplit(".", 1)[-1] in ("cast", "type_coerce"):
                expr = expr.args[0].value
        if not isinstance(expr, cst.Attribute):
            return None
        attrs: List[str] = []
        e = expr
        while isinstance(e, cst.Attribute):
            attrs.append(e.attr.value)
            e = e.value
        attrs.reverse()
        if not isinstance(e, cst.Name):
            return None
        if attrs[0] == "c" and len(attrs) > 1:
            attrs = attrs[1:]
        if (e.value == self.summary.self_name and e.value) or (e.value in self.params and attrs and attrs[0] == "model"):
            # self.model.owner_id is a column; self.user.id is a value
            if not attrs or attrs[0] not in MODEL_ATTRS or len(attrs) < 2:
                return None
            return ".".join(attrs[1:])
        if self.is_local(e.value):
            o = self.peek(e)
            if o.kind == "param" and not o.attrs and MODEL_PARAM.search(o.name):
                return ".".join(attrs)  # a model class given as a parameter
            return None
        # A class attribute: Item.owner_id (capitalised class, or a table object)
        q = self.ctx.qualify(e)
        if q is None:
            return None
        if q.split(".")[0] in EXTERNAL_ROOTS:
            return None
        # Item.owner.id -> "owner.id"; Item.owner_id -> "owner_id"
        return ".".join(attrs)
