"""Small, shared helpers for reading libcst nodes. Checks use these instead of re-deriving them."""

from __future__ import annotations

import ast
import typing
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import libcst as cst

_NOT_LITERAL = object()

# Hot helpers here and in project/ test `type(node) is cst.X` rather than isinstance: libcst's
# nodes are ABCs, so a failed isinstance runs ABCMeta.__instancecheck__ (a Python frame, ~5x a
# match). Exact only for concrete classes nothing subclasses (tests/test_architecture.py checks);
# abstract bases (BaseExpression, BaseString, BaseSuite ...) keep isinstance.


def literal_str(node: Optional[cst.CSTNode]) -> Optional[str]:
    """The value of a plain string literal (implicit concatenation included), else None.
    f-strings with placeholders are not literals."""
    if type(node) is cst.SimpleString:
        return _simple_string(node.value)
    if type(node) is cst.ConcatenatedString:
        left, right = literal_str(node.left), literal_str(node.right)
        return left + right if left is not None and right is not None else None
    if type(node) is cst.FormattedString:
        if all(type(p) is cst.FormattedStringText for p in node.parts):
            return "".join(p.value for p in node.parts)
    return None


_STRINGS: Dict[str, Optional[str]] = {}


def _simple_string(raw: str) -> Optional[str]:
    """The str a string literal's source text evaluates to (None: bytes or malformed), memoised:
    `SimpleString.evaluated_value` compiles the literal with `ast.literal_eval` on every call, and
    the checks ask for the same few thousand literals hundreds of thousands of times per run."""
    try:
        return _STRINGS[raw]
    except KeyError:
        pass
    try:
        value = ast.literal_eval(raw)  # what SimpleString.evaluated_value does
    except Exception:  # malformed escapes in odd code: not our concern here
        value = None
    if not isinstance(value, str):
        value = None
    if len(_STRINGS) >= 65536:
        _STRINGS.clear()
    _STRINGS[raw] = value
    return value


def literal_value(node: Optional[cst.CSTNode], default: Any = _NOT_LITERAL) -> Any:
    """A Python value for literal expressions: str, int, float, bool, None, and lists, tuples,
    sets and dicts of those (dict keys must be literals). `default` (or raises ValueError when
    not given) for anything else."""
    try:
        return _literal(node)
    except ValueError:
        if default is _NOT_LITERAL:
            raise
        return default


def _literal(node: Optional[cst.CSTNode]) -> Any:
    if node is None:
        raise ValueError("no node")
    s = literal_str(node)
    if s is not None:
        return s
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.Float):
        return float(node.value.replace("_", ""))
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        v = _literal(node.expression)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Multiply, cst.Add)):
        a, b = _literal(node.left), _literal(node.right)
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            return a * b if isinstance(node.operator, cst.Multiply) else a + b
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        items = [_literal(el.value) for el in node.elements if not isinstance(el, cst.StarredElement)]
        if any(isinstance(el, cst.StarredElement) for el in node.elements):
            raise ValueError("starred")
        return tuple(items) if isinstance(node, cst.Tuple) else (set(items) if isinstance(node, cst.Set) else items)
    if isinstance(node, cst.Dict):
        out = {}
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                raise ValueError("** in dict")
            out[_literal(el.key)] = _literal(el.value)
        return out
    raise ValueError(type(node).__name__)


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> List[cst.Arg]:
    """Positional arguments up to the first keyword or `*`/`**` argument."""
    out = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            break
        out.append(arg)
    return out


def argument(call: cst.Call, name: str, position: Optional[int] = None) -> Optional[cst.BaseExpression]:
    """The expression passed for a parameter, by keyword or by position."""
    kw = keyword(call, name)
    if kw is not None:
        return kw.value
    if position is not None:
        pos = positional(call)
        if position < len(pos):
            return pos[position].value
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def dict_items(node: cst.Dict) -> Iterator[Tuple[Optional[str], cst.BaseExpression, cst.DictElement]]:
    """(literal key or None, value, element) for each `key: value` of a dict display."""
    for el in node.elements:
        if isinstance(el, cst.DictElement):
            yield literal_str(el.key), el.value, el


def parameters(func: Union[cst.FunctionDef, cst.Lambda]) -> List[cst.Param]:
    p = func.params
    out = list(p.posonly_params) + list(p.params)
    if isinstance(p.star_arg, cst.Param):
        out.append(p.star_arg)
    out.extend(p.kwonly_params)
    if p.star_kwarg is not None:
        out.append(p.star_kwarg)
    return out


def decorator_call(dec: cst.Decorator) -> Tuple[cst.BaseExpression, Optional[cst.Call]]:
    """(the decorator's callee, the call if it is called): `@router.get("/")` -> (router.get, call)."""
    if isinstance(dec.decorator, cst.Call):
        return dec.decorator.func, dec.decorator
    return dec.decorator, None


def name_of(node: Optional[cst.CSTNode]) -> Optional[str]:
    """The identifier of a Name, or the last attribute of an Attribute chain."""
    if type(node) is cst.Name:
        return node.value
    if type(node) is cst.Attribute:
        return node.attr.value
    return None


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node below `node` (pre-order), for small subtrees (a call, a function body). The
    file-wide work belongs in the batched visitor, not here."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


_VISITED_FIELDS: Dict[type, Optional[Tuple[str, ...]]] = {}


def children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """`node.children`: the same nodes in the same order (every child, syntax included), read from
    the fields libcst's traversal visits (fastauthlint.walk.child_fields) instead of by libcst's
    own traversal, which rebuilds the node (with validation) to collect them."""
    t = type(node)
    fields = _VISITED_FIELDS.get(t, ())
    if fields == ():
        from fastauthlint.walk import child_fields

        fields = _VISITED_FIELDS[t] = child_fields(t)
    if fields is None:
        return list(node.children)
    out: List[cst.CSTNode] = []
    for name in fields:
        value = getattr(node, name)
        vt = type(value)
        if vt is list or vt is tuple:
            out.extend(item for item in value if _kind(type(item)))
        elif _kind(vt):
            out.append(value)
    return out


def bounded_walk(node: cst.CSTNode, children: Callable[[cst.CSTNode], Iterable[cst.CSTNode]],
                 limit: int) -> Iterator[cst.CSTNode]:
    """`node` and what `children` gives of it and of each node it gives, depth first (the last
    child first), at most `limit` nodes: the small expression walks of the collectors, each with
    its own idea of which children matter."""
    stack: List[cst.CSTNode] = [node]
    n = 0
    while stack and n < limit:
        cur = stack.pop()
        n += 1
        yield cur
        stack.extend(children(cur))


def module_constants(module: cst.Module) -> Dict[str, cst.BaseExpression]:
    """Top-level `NAME = <expr>` assignments (the last one wins), for following an `options`
    dict or a flag given through a module constant."""
    out: Dict[str, cst.BaseExpression] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    out[small.targets[0].target.value] = small.value
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
                    out[small.target.value] = small.value
    return out


def call_name_matches(qualname: Optional[str], names: Sequence[str]) -> bool:
    return qualname is not None and qualname in names


_SYNTAX_ONLY = (
    cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Newline, cst.Comment,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
    cst.RightCurlyBrace, cst.Comma, cst.Dot, cst.Colon, cst.AssignEqual, cst.Semicolon, cst.BaseBinaryOp,
    cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp,
)
_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {}
# Nodes whose dataclass fields are not in source order.
_SOURCE_ORDER: Dict[str, Tuple[str, ...]] = {
    "Arg": ("keyword", "value"),
    "IfExp": ("body", "test", "orelse"),
    "ExceptHandler": ("type", "name", "body"),
    "ExceptStarHandler": ("type", "name", "body"),
    "MatchCase": ("pattern", "guard", "body"),
    "FunctionDef": ("decorators", "asynchronous", "name", "type_parameters", "params", "returns", "body"),
    "ClassDef": ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    "With": ("asynchronous",),
    "For": ("asynchronous",),
    "Parameters": ("posonly_params", "posonly_ind"),
}
_KIND: Dict[type, int] = {}  # 0: not a node, 1: a node that carries meaning, 2: syntax only


def _kind(t: type) -> int:
    k = _KIND.get(t)
    if k is None:
        k = 0 if not issubclass(t, cst.CSTNode) else (2 if issubclass(t, _SYNTAX_ONLY) else 1)
        _KIND[t] = k
    return k


def _may_hold_meaning(hint) -> bool:
    """Whether a field annotated `hint` may hold a node that carries meaning: False only when every
    type it names is a non-node or a syntax-only node class (whitespace, brackets, commas,
    operators: every subclass of those is syntax too)."""
    args = typing.get_args(hint)
    if args:
        return any(_may_hold_meaning(a) for a in args)
    if hint is type(None) or hint is str or hint is bool or hint is int:
        return False
    if isinstance(hint, type) and issubclass(hint, cst.CSTNode):
        return not issubclass(hint, _SYNTAX_ONLY)
    if isinstance(hint, type) and hint.__module__.startswith("libcst") and not issubclass(hint, cst.CSTNode):
        return False  # MaybeSentinel and other markers
    return True  # anything else (a forward reference, a type variable): read it


def _child_fields(node: cst.CSTNode) -> Tuple[str, ...]:
    """The fields of `node`'s class that may hold a child carrying meaning, in source order: the
    others (`lpar`, `whitespace_after`, `comma`...) are declared as syntax only and never read."""
    import dataclasses

    t = type(node)
    first = _SOURCE_ORDER.get(t.__name__, ())
    fields = first + tuple(f.name for f in dataclasses.fields(node) if f.name not in first)
    try:
        hints = typing.get_type_hints(t)
    except Exception:  # an annotation this Python cannot resolve: every field is read
        return fields
    return tuple(f for f in fields if f not in hints or _may_hold_meaning(hints[f]))


def iter_children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The children of `node` that carry meaning (no whitespace, comments, brackets, commas or
    operator tokens), in source order, like `node.children` without the syntax. Several times
    faster than `node.children`, which re-visits the node to collect them."""
    t = type(node)
    fields = _CHILD_FIELDS.get(t)
    if fields is None:
        fields = _CHILD_FIELDS[t] = _child_fields(node)
    kinds = _KIND
    out: List[cst.CSTNode] = []
    for name in fields:
        value = getattr(node, name)
        vt = type(value)
        if vt is list or vt is tuple:
            for item in value:
                it = type(item)
                k = kinds.get(it)
                if (k if k is not None else _kind(it)) == 1:
                    out.append(item)
        else:
            k = kinds.get(vt)
            if (k if k is not None else _kind(vt)) == 1:
                out.append(value)
    return out


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and every node below it that carries meaning (no whitespace, commas, brackets),
    pre-order; several times faster than `walk`."""
    stack: List[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        yield n
        kids = iter_children(n)
        if kids:
            kids.reverse()
            stack.extend(kids)


def assigned_names(target: cst.BaseExpression) -> Iterator[str]:
    """The names an assignment or `for` target binds: `a`, `a, (b, *c)`, `[a, b]`."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from assigned_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from assigned_names(target.value)


def own_nodes(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Nodes below `root` (itself included), not entering nested functions, classes or lambdas:
    what one function's body does itself."""
    stack = [root]
    scopes = _SCOPES
    while stack:
        n = stack.pop()
        yield n
        # by exact type: libcst's node classes are ABCs, whose isinstance is slow (no subclasses)
        stack.extend([c for c in iter_children(n) if type(c) not in scopes])


_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})
