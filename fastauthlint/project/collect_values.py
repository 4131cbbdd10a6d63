"""Per-file collection, part one: what an expression denotes, as a `V` (values.py), in the scope
it is written in.

`ValueReader` is the base of the collector (collect.py). It keeps the scopes of the walk — the
frames of the functions and classes being visited, and the targets of enclosing `for` loops — and
reads libcst expressions as values: names qualified through the file's imports, names local to a
function kept local to it, calls, Depends()/Security() markers, Annotated/Optional, path strings.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.context import BatchedVisitor, FileContext
from fastauthlint.project.facts import ParamFact
from fastauthlint.project.known import ADMIN_WORDS, ANNOTATED, DEPENDS, OPTIONAL, SECURITY, UNION
from fastauthlint.project.names import dotted
from fastauthlint.project.values import UNK, V

MAX_DEPTH = 12  # nesting of one expression read as a value
MAX_LIST = 64  # elements of a list display, arguments of a call
# method names survive as strings: an allow-list says which methods of a path it lets through
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"})


DI_MARKER = "dishka.FromComponent"  # what marks a parameter the Dishka container provides

class Frame:
    """What the walk keeps for a function or class while it is inside it: its bindings, and the
    evidence its code shows so far (collect_evidence.py); the collector turns it into a FuncFact
    or ClassFact when it leaves."""

    def __init__(self, kind: str, qual: str, node: cst.CSTNode):
        self.kind = kind  # "func" | "class"
        self.qual = qual
        self.node = node
        self.locals: Dict[str, V] = {}
        self.params: Dict[str, Dict[str, Any]] = {}  # name -> guard state ("checked", "rejects", "deref"...)
        self.request_params: set = set()
        # function frames: the declaration
        self.param_facts: List[ParamFact] = []
        self.returns_ann: Optional[V] = None
        self.decorator_vals: Tuple[V, ...] = ()
        self.is_method = False
        # evidence
        self.decodes = False
        self.verifier_call = False
        self.reads: List[str] = []
        self.raises = False
        self.raises_auth = 0
        self.raised: List[V] = []
        self.returns_none = False
        self.tests: List[cst.BaseExpression] = []  # conditions of the `if`s around the current statement
        self.in_else: List[bool] = []  # per test: inside its else branch
        # per block of the function: the tests of the `if`s before, in that block, that returned
        # or raised when they held (what follows runs only when they did not)
        self.passed: List[List[cst.BaseExpression]] = []
        self.gates: List[Optional[Tuple[str, bool]]] = []  # per test: an environment gate (collect_flow.env_gate)
        self.fors: List[cst.BaseExpression] = []  # iterables of the enclosing `for` loops
        self.swallow: List[cst.Try] = []  # the `try` statements whose body encloses the current statement
        self.derived: set = set()  # parameters and the locals read out of them
        self.cred_fed: List[V] = []
        self.none_guards: List[Tuple[str, str]] = []
        self.attr_src: List[Tuple[str, str, Optional[V]]] = []
        self.env_locals: Dict[str, Tuple[str, Optional[str], bool]] = {}
        self.env_gate = ""
        self.env_gated: List[Tuple[str, str]] = []
        self.path_names: set = set()  # names holding the request's path
        self.path_lists: List[V] = []
        self.path_regex: List[Tuple[V, str]] = []
        self.regex_gates: set = set()  # ids of the `if` nodes of "deny" path patterns
        self.returns: List[V] = []
        self.cond_returns: List[Tuple[V, str, bool]] = []
        self.calls: List[V] = []
        self.passes_names = False
        self.admin_check = False
        self.param_calls: List[Tuple[str, str]] = []
        self.request_to_call = False
        self.super_init: Optional[V] = None  # `super().__init__(...)` (router subclasses' defaults)
        self.super_calls: List[str] = []  # methods called on `super()`
        # class frames
        self.bases: Tuple[V, ...] = ()
        self.decorators: Tuple[V, ...] = ()
        self.attrs: List[Tuple[str, Optional[V], Optional[V]]] = []
        self.methods: List[str] = []
        self.mentions_reject = 0


class ValueReader(BatchedVisitor):
    """The scopes of the walk and `val(node)`: the base of the collector's parts."""

    def __init__(self, ctx: FileContext):
        super().__init__()
        self.ctx = ctx
        self.stack: List[Frame] = []
        # Loop targets bound to literal iterables / other iterables: name -> V
        self.loops: List[Dict[str, V]] = []

    # -- scopes ----------------------------------------------------------------------------
    def _func(self) -> Optional[Frame]:
        for f in reversed(self.stack):
            if f.kind == "func":
                return f
        return None

    def _top(self) -> Optional[Frame]:
        return self.stack[-1] if self.stack else None

    def _qual_for(self, name: str) -> str:
        top = self._top()
        if top is None:
            return name
        return f"{top.qual}.<locals>.{name}" if top.kind == "func" else f"{top.qual}.{name}"

    def _local_frame(self, name: str) -> Optional[Frame]:
        """The innermost enclosing function that binds `name` (class bodies do not count,
        as in Python)."""
        for i, f in enumerate(reversed(self.stack)):
            if f.kind != "func":
                continue
            if name in f.params or name in f.locals:
                return f
        return None

    # -- loops -----------------------------------------------------------------------------
    def visit_For(self, node: cst.For) -> None:
        iterable = node.iter
        scope: Dict[str, V] = {}
        it = self.val(iterable)
        if isinstance(node.target, cst.Name):
            scope[node.target.value] = V("iter", a=(it,))
        elif isinstance(node.target, (cst.Tuple, cst.List)):
            for i, el in enumerate(node.target.elements):
                if isinstance(el.value, cst.Name):
                    scope[el.value.value] = V("iter", a=(it,), q=str(i))
        self.loops.append(scope)
        top = self._top()
        if top is not None and top.kind == "func":
            top.fors.append(iterable)

    def leave_For(self, original_node: cst.For) -> None:
        self.loops.pop()
        top = self._top()
        if top is not None and top.kind == "func" and top.fors:
            top.fors.pop()

    # -- values ----------------------------------------------------------------------------
    def val(self, node: Optional[cst.CSTNode], depth: int = 0) -> V:
        if node is None:
            return UNK
        if depth > MAX_DEPTH:
            return UNK
        d = depth + 1
        if type(node) in (cst.Name, cst.Attribute):
            return self._name_val(node, d)
        if type(node) is cst.Call:
            return self._call_val(node, d)
        if type(node) is cst.Subscript:
            return self._subscript_val(node, d)
        if type(node) is cst.BinaryOperation:
            if type(node.operator) is cst.BitOr:
                left, right = node.left, node.right
                if type(right) is cst.Name and right.value == "None":
                    return V("opt", a=(self.val(left, d),))
                if type(left) is cst.Name and left.value == "None":
                    return V("opt", a=(self.val(right, d),))
                return UNK
            if type(node.operator) is cst.Add:
                parts = self._concat_parts(node, d)
                return parts if parts is not None else UNK
            return UNK
        if type(node) in (cst.SimpleString, cst.ConcatenatedString):
            return self._str_val(astutil.literal_str(node))
        if type(node) is cst.FormattedString:
            s = astutil.literal_str(node)
            if s is not None:
                return self._str_val(s)
            return self._fstring_val(node, d)
        if type(node) is cst.Integer:
            try:
                return V("lit", lit=int(node.value.replace("_", ""), 0))
            except ValueError:
                return UNK
        if type(node) in (cst.List, cst.Tuple, cst.Set):
            items = []
            for el in node.elements[:MAX_LIST]:
                if type(el) is cst.StarredElement:
                    items.append(V("iter", a=(self.val(el.value, d),)))
                else:
                    items.append(self.val(el.value, d))
            return V("list", a=tuple(items))
        if type(node) is cst.Dict:
            pairs: List[V] = []
            for el in node.elements[:MAX_LIST]:
                if type(el) is cst.DictElement:
                    pairs += [self.val(el.key, d), self.val(el.value, d)]
            return V("dict", a=tuple(pairs))
        if type(node) is cst.IfExp:
            return V("ifexp", a=(self.val(node.test, d), self.val(node.body, d), self.val(node.orelse, d)))
        if type(node) is cst.Await:
            return self.val(node.expression, d)
        if type(node) is cst.UnaryOperation and type(node.operator) is cst.Not:
            inner = self.val(node.expression, d)
            if inner.k == "lit" and isinstance(inner.lit, bool):
                return V("lit", lit=not inner.lit)
            return UNK
        if type(node) is cst.Lambda:
            return V("unk", q="lambda")
        return UNK

    def _str_val(self, s: Optional[str]) -> V:
        if s is None:
            return UNK
        # paths, and anchored patterns of paths (`r"^/api/v\d+/public/"`)
        if s == "" or s.startswith("/") or s.upper() in _HTTP_METHODS or (s.startswith("^") and "/" in s[:8]):
            return V("str", q=s[:300])
        if len(s) <= 40 and ADMIN_WORDS.search(s):
            return V("str", q="?admin")
        return V("str", q="?")

    def _fstring_val(self, node: cst.FormattedString, d: int) -> V:
        parts: List[V] = []
        for p in node.parts:
            if isinstance(p, cst.FormattedStringText):
                parts.append(V("str", q=p.value))
            elif isinstance(p, cst.FormattedStringExpression):
                parts.append(self.val(p.expression, d))
        return self._path_fmt(parts)

    def _concat_parts(self, node: cst.BaseExpression, d: int) -> Optional[V]:
        flat: List[cst.BaseExpression] = []

        def collect(n):
            if isinstance(n, cst.BinaryOperation) and isinstance(n.operator, cst.Add):
                collect(n.left)
                collect(n.right)
            else:
                flat.append(n)
        collect(node)
        parts = []
        for n in flat:
            s = astutil.literal_str(n)
            parts.append(V("str", q=s) if s is not None else self.val(n, d))
        return self._path_fmt(parts)

    @staticmethod
    def _path_fmt(parts: List[V]) -> V:
        """Keep an f-string/concatenation only when it builds a path: it starts with '/' or with
        one value followed by text starting with '/'."""
        texts = [p for p in parts if p.k == "str"]
        if not texts:
            return V("fmt", a=tuple(parts)) if len(parts) <= 3 else UNK
        first = parts[0]
        ok = (first.k == "str" and first.q.startswith("/")) or (
            first.k != "str" and len(parts) > 1 and parts[1].k == "str" and (parts[1].q.startswith("/") or parts[1].q == ""))
        if not ok:
            return V("str", q="?")
        return V("fmt", a=tuple(parts))

    def _name_val(self, node: cst.BaseExpression, d: int) -> V:
        # Loop variables first (innermost loop), then function locals/params, then imports.
        if type(node) is cst.Name:
            for scope in reversed(self.loops):
                if node.value in scope:
                    return scope[node.value]
            if node.value in ("True", "False", "None"):
                return V("lit", lit={"True": True, "False": False, "None": None}[node.value])
            frame = self._local_frame(node.value)
            if frame is not None:
                bound = frame.locals.get(node.value)
                if bound is not None and bound.k == "def":
                    return bound
                return V("loc", q=node.value, s=frame.qual)
            q = self.ctx.qualify(node)
            if q is not None:
                return V("ref", q=q)
            return V("unk", q=node.value)
        assert type(node) is cst.Attribute
        text = dotted(node)
        head = text.split(".")[0] if text else None
        if head is not None and self._local_frame(head) is None and not any(head in s for s in self.loops):
            q = self.ctx.qualify(node)
            if q is not None:
                return V("ref", q=q)
        base = self.val(node.value, d)
        return V("attr", a=(base,), q=node.attr.value)

    def _callee_val(self, func: cst.BaseExpression, d: int) -> V:
        if isinstance(func, cst.Subscript):  # FastAPIUsers[User, uuid.UUID](...)
            return self.val(func.value, d)
        return self.val(func, d)

    def _call_val(self, node: cst.Call, d: int) -> V:
        callee = self._callee_val(node.func, d)
        q = callee.q if callee.k == "ref" else ""
        kw = tuple((a.keyword.value, self.val(a.value, d)) for a in node.args
                   if a.keyword is not None and not a.star)[:MAX_LIST]
        pos = [a for a in node.args if a.keyword is None]
        if q in DEPENDS or q in SECURITY or (callee.k == "unk" and callee.q in ("Depends", "Security")):
            target = None
            kwt = astutil.keyword(node, "dependency")
            if kwt is not None:
                target = kwt.value
            elif pos and not pos[0].star:
                target = pos[0].value
            kind = "Security" if (q in SECURITY or callee.q == "Security") else "Depends"
            return V("dep", q=kind, a=((self.val(target, d),) if target is not None else ()),
                     kw=tuple((k, v) for k, v in kw if k in ("scopes", "use_cache")))
        args = tuple(V("iter", a=(self.val(a.value, d),)) if a.star else self.val(a.value, d) for a in pos)[:MAX_LIST]
        return V("call", a=(callee,) + args, kw=kw)

    def _subscript_val(self, node: cst.Subscript, d: int) -> V:
        base = self.val(node.value, d)
        q = base.q if base.k == "ref" else (base.q if base.k == "unk" else "")
        elems = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if q in ANNOTATED or q == "Annotated":
            return V("ann", a=tuple(self.val(e, d) for e in elems[:MAX_LIST]))
        if q.rsplit(".", 1)[-1] == "FromDishka" and len(elems) == 1:
            # dishka's `FromDishka[X]` is `Annotated[X, FromComponent()]`: X comes from its container
            return V("ann", a=(self.val(elems[0], d), V("call", a=(V("ref", q=DI_MARKER),))))
        if (q in OPTIONAL or q == "Optional") and elems:
            return V("opt", a=(self.val(elems[0], d),))
        if (q in UNION or q == "Union") and elems:
            nones = [e for e in elems if isinstance(e, cst.Name) and e.value == "None"]
            rest = [e for e in elems if e not in nones]
            if nones and len(rest) == 1:
                return V("opt", a=(self.val(rest[0], d),))
            return UNK
        return V("unk", q=(base.q if base.k in ("ref", "unk") else "") + "[…]")

    def _opt_val(self, node: Optional[cst.BaseExpression]) -> Optional[V]:
        return self.val(node) if node is not None else None
