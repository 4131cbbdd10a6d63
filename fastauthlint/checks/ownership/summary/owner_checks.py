"""Owner checks: comparisons of a fetched row's owner column (or a tenant column) with some value
(`if item.owner_id != current_user.id: raise ...`), of a value or row with an identity (`if
user_id != current_user.id: raise ...`), membership tests, and predicate calls standing for a
check; each recorded as an `OwnerCheck` whose value is judged at link time."""

from __future__ import annotations

from typing import Iterator, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import UNKNOWN, Denial, Origin, OwnerCheck
from fastauthlint.checks.ownership.summary.known import IDENTITY_ATTRS
from fastauthlint.checks.ownership.summary.state import WalkState
from fastauthlint.project.names import dotted


_ENV_READS = frozenset(("os.getenv", "os.environ.get", "os.environ.__getitem__"))


class OwnerCheckRecognition(WalkState):
    # -- a shared secret compared ------------------------------------------------------------------
    def note_key_compare(self, node) -> None:
        """`if api_key != settings.INTERNAL_API_KEY`, `key not in settings.SERVICE_KEYS`,
        `compare_digest(key, os.environ["KEY"])`: a value the request carries compared with a
        configured one. FuncSummary.key_compare; the link decides whether it is all a route has."""
        if self.summary.key_compare:
            return
        if isinstance(node, cst.Comparison):
            if len(node.comparisons) != 1 or not isinstance(
                    node.comparisons[0].operator, (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)):
                return
            pair = (node.left, node.comparisons[0].comparator)
        elif isinstance(node, cst.Call) and len(node.args) == 2 and \
                astutil.name_of(node.func) in ("compare_digest", "constant_time_compare"):
            pair = (node.args[0].value, node.args[1].value)
        else:
            return
        for given, configured in (pair, pair[::-1]):
            if self._presented(given) and self._configured(configured):
                self.summary.key_compare = True
                return

    def _presented(self, e) -> bool:
        """A parameter's value as the request gave it (`api_key`, `credentials.credentials`,
        `key.encode()`), or a header read off the request (`request.headers.get("X-API-Key")`)."""
        while isinstance(e, cst.Call) and isinstance(e.func, cst.Attribute) and not e.args \
                and e.func.attr.value in ("encode", "strip", "lower", "decode"):
            e = e.func.value
        if isinstance(e, cst.Name):
            o = self.env.get(e.value) or (Origin("param", e.value) if e.value in self.params else UNKNOWN)
            return o.kind == "param" and o.attrs in ((), ("credentials",))
        if isinstance(e, cst.Attribute) and e.attr.value == "credentials":
            return self._presented(e.value)
        text = astutil.name_of(e.func) if isinstance(e, cst.Call) else (
            astutil.name_of(e.value) if isinstance(e, cst.Subscript) else None)
        return bool(text) and "headers" in (dotted(e.func if isinstance(e, cst.Call) else e.value) or "")

    def _configured(self, e) -> bool:
        """A module-level setting (`settings.API_KEY`, `API_KEYS`, `get_settings().api_key`) or
        the environment (`os.getenv("API_KEY")`, `os.environ["API_KEY"]`)."""
        if isinstance(e, cst.Call):
            q = self.ctx.qualify(e.func) or ""
            return q in _ENV_READS
        if isinstance(e, cst.Subscript):
            return (self.ctx.qualify(e.value) or "") == "os.environ"
        root = e
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(root, cst.Call) and not root.args:  # `get_settings().api_key`
            root = root.func
            if not isinstance(root, cst.Name) or self.is_local(root.value):
                return False
            return isinstance(e, cst.Attribute)
        if not isinstance(root, cst.Name) or root.value in ("None", "True", "False"):
            return False
        if self.is_local(root.value):
            o = self.env.get(root.value)
            return o is not None and o.kind == "global" and root is e
        return self.ctx.qualify(root) is not None

    def add_check(self, kind: str, subj: Origin, col: str, val: Origin, denial: Optional[Denial], node) -> int:
        idx = len(self.summary.checks)
        self.summary.checks.append(OwnerCheck(idx=idx, kind=kind, subject=subj, column=col, value=val,
                                              order=self.order, denial=denial))
        return idx

    def add_pred(self, kind: str, call_idx: int, denial: Optional[Denial], node) -> int:
        idx = len(self.summary.checks)
        self.summary.checks.append(OwnerCheck(idx=idx, kind=kind, subject=UNKNOWN, column="", value=UNKNOWN,
                                              order=self.order, denial=denial, call=call_idx))
        return idx

    def predicate_calls(self, test) -> List[Tuple[int, bool]]:
        """Calls in a condition with whether the body runs when the call is false:
        `if not item or not can_access(item, user): raise` -> [(can_access, True)]."""
        out: List[Tuple[int, bool]] = []

        seen: Set[str] = set()

        def visit(e, negated: bool) -> None:
            if isinstance(e, cst.Name) and e.value in self.bool_exprs and e.value not in seen:
                seen.add(e.value)
                visit(self.bool_exprs[e.value], negated)
                return
            if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
                visit(e.expression, not negated)
            elif isinstance(e, cst.BooleanOperation):
                visit(e.left, negated)
                visit(e.right, negated)
            elif isinstance(e, cst.Await):
                visit(e.expression, negated)
            elif isinstance(e, cst.Call) and id(e) in self._call_of_node:
                out.append((self._call_of_node[id(e)], negated))

        visit(test, False)
        return out

    def _comparisons(self, test) -> Iterator[Tuple[cst.Comparison, bool]]:
        """Every single comparison a condition is made of, through `not`, `and`/`or` and local
        booleans (`is_owner = item.owner_id == user.id; if not is_owner:`), with whether it
        stands under an odd number of negations."""
        seen: Set[str] = set()
        todo = [(test, False)]
        while todo:
            e, negated = todo.pop()
            if isinstance(e, cst.Name) and e.value in self.bool_exprs and e.value not in seen:
                seen.add(e.value)
                todo.append((self.bool_exprs[e.value], negated))
            elif isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
                todo.append((e.expression, not negated))
            elif isinstance(e, cst.BooleanOperation):
                todo.append((e.right, negated))
                todo.append((e.left, negated))
            elif isinstance(e, cst.Comparison) and len(e.comparisons) == 1:
                yield e, negated

    @staticmethod
    def _mismatch(op, negated: bool, membership: bool) -> Optional[bool]:
        """Whether a comparison holds on a mismatch (`!=`, `not ==`), None for other operators."""
        equal, unequal = (cst.Equal, cst.Is), (cst.NotEqual, cst.IsNot)
        if membership:
            equal, unequal = equal + (cst.In,), unequal + (cst.NotIn,)
        if isinstance(op, equal):
            return negated
        if isinstance(op, unequal):
            return not negated
        return None

    def owner_comparisons(self, test) -> List[Tuple[Origin, str, Origin, bool]]:
        """(subject, owner column path, compared value, True when the test holds on a mismatch)
        for every comparison of an owner attribute in a condition."""
        out: List[Tuple[Origin, str, Origin, bool]] = []
        for e, negated in self._comparisons(test):
            comp = e.comparisons[0]
            mismatch = self._mismatch(comp.operator, negated, membership=True)
            if mismatch is None:
                continue
            for a, b in ((e.left, comp.comparator), (comp.comparator, e.left)):
                owner = self._owner_attr(a)
                if owner is None:
                    continue
                subj, col = owner
                val = self._compared_value(b)
                if val.kind in ("literal",) or (isinstance(b, cst.Name) and b.value == "None"):
                    continue
                out.append((subj, col, val, mismatch))
        return out

    def _compared_value(self, expr) -> Origin:
        """What an owner is compared with; for a display (`owner_id not in {ctx.user, ctx.group_id}`)
        the first element when every element comes from the same value (the caller's principals),
        unknown when they mix sources (one of them could be the client's)."""
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)) and expr.elements:
            vals = [self.peek_value(el.value) for el in expr.elements]
            vals = [v for v in vals if v.kind != "literal"]
            if not vals or len({(v.kind, v.name) for v in vals}) != 1:
                return UNKNOWN
            return vals[0]
        return self.peek_value(expr)

    def memberships(self, test) -> List[Tuple[Origin, Origin]]:
        """(value, collection) of `value not in collection` tests whose body refuses."""
        out: List[Tuple[Origin, Origin]] = []
        for e, negated in self._comparisons(test):
            op = e.comparisons[0].operator
            if (isinstance(op, cst.NotIn) and not negated) or (isinstance(op, cst.In) and negated):
                subj, coll = self.peek(e.left), self.peek(e.comparisons[0].comparator)
                if subj.kind in ("param", "site", "call") and coll.kind in ("site", "call", "param"):
                    out.append((subj, coll))
        return out

    def identity_comparisons(self, test) -> List[Tuple[Origin, str, Origin, bool]]:
        """Comparisons of a value or a row's identity with something else: `user_id !=
        current_user.id`, `user == current_user`, `db_user.id != current_user["id"]`. Which side
        is the current user is decided at link time."""
        out: List[Tuple[Origin, str, Origin, bool]] = []

        def side(e) -> Optional[Tuple[Origin, str]]:
            if isinstance(e, cst.Call) and len(e.args) == 1 and astutil.name_of(e.func) in ("str", "int", "UUID"):
                e = e.args[0].value
            attr = ""
            if isinstance(e, cst.Attribute) and isinstance(e.value, cst.Name) and e.attr.value in IDENTITY_ATTRS:
                attr, e = e.attr.value, e.value
            elif isinstance(e, cst.Subscript) and isinstance(e.value, cst.Name) and len(e.slice) == 1 \
                    and isinstance(e.slice[0].slice, cst.Index) \
                    and astutil.literal_str(e.slice[0].slice.value) in IDENTITY_ATTRS:
                attr, e = astutil.literal_str(e.slice[0].slice.value) or "", e.value
            if isinstance(e, cst.Name) and self.is_local(e.value):
                o = self.peek(e)
                if o.kind in ("param", "site", "call") and not o.attrs:
                    return o, attr
            return None

        for e, negated in self._comparisons(test):
            right = e.comparisons[0].comparator
            mismatch = self._mismatch(e.comparisons[0].operator, negated, membership=False)
            if mismatch is None:
                continue
            for a, b in ((e.left, right), (right, e.left)):
                if self._owner_attr(a) is not None:
                    continue
                sd = side(a)
                if sd is None:
                    continue
                val = self.peek_value(b)
                if val.kind in ("literal", "unknown", "global"):
                    continue
                out.append((sd[0], sd[1], val, mismatch))
        return out

    def _owner_attr(self, expr) -> Optional[Tuple[Origin, str]]:
        """`item.owner_id`, `item.owner.id`, `str(item.user_id)`, `item.project.owner_id` ->
        (origin of item, "owner_id" / "owner.id" / ...), when an attribute on the way is an owner
        column or a relationship standing for one."""
        if isinstance(expr, cst.Call) and len(expr.args) == 1 and astutil.name_of(expr.func) in ("str", "int", "UUID"):
            expr = expr.args[0].value
        attrs: List[str] = []
        e = expr
        if isinstance(e, cst.Call) and isinstance(e.func, cst.Attribute) and e.func.attr.value == "get" \
                and e.args and e.args[0].keyword is None:
            # `row.get("owner_id")`: a record's owner, as `row["owner_id"]`
            key = astutil.literal_str(e.args[0].value)
            if not key or not key.isidentifier():
                return None
            attrs.append(key)
            e = e.func.value
        while isinstance(e, (cst.Attribute, cst.Subscript)):
            if isinstance(e, cst.Attribute):
                attrs.append(e.attr.value)
            else:  # `row["user_id"]`: a record of a raw query, a document
                key = astutil.literal_str(e.slice[0].slice.value) if len(e.slice) == 1 and isinstance(
                    e.slice[0].slice, cst.Index) else None
                if not key or not key.isidentifier():
                    return None
                attrs.append(key)
            e = e.value
        if isinstance(e, cst.Name) and not attrs and self.is_local(e.value):
            # a variable holding an owner value: `owner_id = item.owner_id`, or a helper's
            # `owner_id` parameter (`check_owner(current_user, item.owner_id)`)
            base = self.peek(e)
            if base.kind in ("site", "call") and base.attrs and (
                    base.attrs[-1] in self.owner_fields or f"{base.attrs[-1]}_id" in self.owner_fields):
                return Origin(base.kind, base.name), ".".join(base.attrs)
            if base.kind == "param" and not base.attrs and e.value in self.owner_fields:
                return base, ""
            return None
        if not isinstance(e, cst.Name) or not attrs:
            return None
        attrs.reverse()
        # any `*_id` is kept: the link knows which columns are owner columns (`instructor_id`, the key
        # of a relationship to the user), a file alone does not
        if not any(a in self.owner_fields or f"{a}_id" in self.owner_fields or a.endswith("_id") for a in attrs):
            return None
        base = self.peek(e)
        if base.kind in ("unknown", "literal", "global"):
            if e.value not in self.env and e.value not in self.params:
                return None
        return base, ".".join(attrs)
