"""PROTOTYPE (measurement only; not used by fastauthlint): a read-only batched traversal.

libcst's `visit` rebuilds every node it passes (`_visit_and_replace_children` constructs a new
node, running its validation, even for a read-only visitor: "TODO: provide traversal where children
are not replaced" in libcst/_nodes/base.py), and `visit_batched` collects each visitor's methods
with `inspect.getmembers` on every call, i.e. per visitor per file. This walker:

- keeps, per node class, the child fields in lexical order (read once from the order in which the
  class's own `_visit_and_replace_children` makes its `visit_*(self, "<field>", ...)` calls), so visitors see nodes in the
  same order as with libcst;
- keeps, per visitor class, the names of its visit_/leave_ methods (bound per instance: cheap);
- never descends into trivia (whitespace, comments, commas, parentheses, operators) unless a
  visitor has a method for that class: no check looks at them, and they are most of the tree;
- calls visit_X, then the children, then leave_X, like libcst's batched visitor (attribute
  visitors `visit_X_attr` are supported too).

`walk_batched(module, visitors)` is a drop-in for `MetadataWrapper(module).visit_batched(visitors)`
for visitors without METADATA_DEPENDENCIES (fastauthlint resolves positions lazily itself).
"""

from __future__ import annotations

import inspect
import re
from typing import Dict, List, Sequence, Tuple, Type

import libcst as cst

_TRIVIA: Tuple[type, ...] = (
    cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Comment,
    cst.Newline, cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.AssignEqual, cst.LeftParen,
    cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
    cst.RightCurlyBrace, cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp,
    cst.BaseAugOp, cst.ImportStar,
)

_FIELD_ORDER: Dict[type, Tuple[str, ...]] = {}
_METHODS: Dict[type, Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]] = {}
_VISIT_FIELD = re.compile(r'visit_\w+\(\s*self\s*,\s*"(\w+)"')
_SELF_FIELD = re.compile(r"self\.(\w+)")


def child_fields(cls: type) -> Tuple[str, ...]:
    """The fields of `cls` that can hold child nodes, in lexical (visit) order."""
    order = _FIELD_ORDER.get(cls)
    if order is None:
        try:
            src = inspect.getsource(cls._visit_and_replace_children)
        except (OSError, TypeError):
            src = ""
        names = [f.name for f in cls.__dataclass_fields__.values()]
        seen: List[str] = []
        # `visit_required(self, "field", ...)` calls, in the order the method makes them.
        for m in [*_VISIT_FIELD.finditer(src), *_SELF_FIELD.finditer(src)]:
            n = m.group(1)
            if n in cls.__dataclass_fields__ and n not in seen:
                seen.append(n)
        # Fields the method does not mention are not children (e.g. `value: str` of a Name).
        order = tuple(seen) if seen else tuple(names)
        _FIELD_ORDER[cls] = order
    return order


def _methods(visitor) -> Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]:
    cls = type(visitor)
    got = _METHODS.get(cls)
    if got is None:
        visits, leaves, attrs = [], [], []
        for name in dir(cls):
            if not (name.startswith("visit_") or name.startswith("leave_")):
                continue
            fn = getattr(cls, name, None)
            if not callable(fn) or getattr(fn, "_is_no_op", False):
                continue
            kind, _, rest = name.partition("_")
            if "_" in rest:  # visit_Call_func: attribute visitor
                attrs.append(name)
            elif kind == "visit":
                visits.append(name)
            else:
                leaves.append(name)
        got = (tuple(visits), tuple(leaves), tuple(attrs))
        _METHODS[cls] = got
    return got


def walk_batched(module: cst.CSTNode, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
    visit: Dict[str, list] = {}
    leave: Dict[str, list] = {}
    attr: Dict[str, list] = {}
    for v in visitors:
        vs, ls, at = _methods(v)
        for n in vs:
            visit.setdefault(n[6:], []).append(getattr(v, n))
        for n in ls:
            leave.setdefault(n[6:], []).append(getattr(v, n))
        for n in at:
            attr.setdefault(n, []).append(getattr(v, n))
    wanted = set(visit) | set(leave) | {k.split("_", 2)[1] for k in attr}
    skip_cache: Dict[type, bool] = {}

    def skip(cls: type) -> bool:
        s = skip_cache.get(cls)
        if s is None:
            s = issubclass(cls, _TRIVIA) and cls.__name__ not in wanted
            skip_cache[cls] = s
        return s

    CSTNode = cst.CSTNode

    def walk(node) -> None:
        cls = type(node)
        name = cls.__name__
        fns = visit.get(name)
        if fns:
            for fn in fns:
                fn(node)
        fields = _FIELD_ORDER.get(cls) or child_fields(cls)
        for f in fields:
            value = getattr(node, f)
            if attr:
                for fn in attr.get(f"visit_{name}_{f}", ()):
                    fn(node)
            if isinstance(value, CSTNode):
                if not skip(type(value)):
                    walk(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if isinstance(item, CSTNode) and not skip(type(item)):
                        walk(item)
            if attr:
                for fn in attr.get(f"leave_{name}_{f}", ()):
                    fn(node)
        fns = leave.get(name)
        if fns:
            for fn in fns:
                fn(node)

    walk(module)
