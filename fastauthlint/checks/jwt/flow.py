"""Function-local value tracking for the JWT rules (FAL501–FAL505).

The JWT rules must follow an `options` dict, an `algorithms` list, a `leeway` or a payload given
through a local variable, a module constant, or a dict built and then mutated:

    opts = {**BASE_OPTIONS}                    # a module constant, copied
    if settings.DEBUG:
        opts["verify_exp"] = False             # a conditional mutation: a possible value
    jwt.decode(token, key, algorithms=ALGS, options=opts)

A `Scope` indexes one function body (or the module's top level) in a single small walk: source
order, block nesting, parents, and every write to a local name (assignment, item assignment,
`update`/`setdefault`/`pop`, `|=`, `del`, escaping into an unknown call). `Scope.values(expr, at)`
then gives the *possible* values of an expression where a call reads it: the last unconditional
assignment before the call, plus every conditional write after it. Nothing is guessed: what cannot
be seen (a parameter, `**kwargs`, an attribute, a call's result) is UNKNOWN, and the rules report
only what the known values prove.

Values are CST expressions (literals and other expressions), `DictVal` (a dict whose literal keys
map to their possible values), or `UNKNOWN`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from fastauthlint.astutil import assigned_names, iter_children, literal_str, literal_value, name_of, parameters

# -- abstract values ---------------------------------------------------------------------------


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return self.name


UNKNOWN = _Marker("UNKNOWN")  # a value that cannot be seen
ABSENT = _Marker("ABSENT")  # "this key may be missing" inside a DictVal

MAX_ALTERNATIVES = 8
MAX_DEPTH = 12


@dataclass
class DictVal:
    """A dict built in the code: literal keys -> possible values (CST expressions, DictVal,
    UNKNOWN, or ABSENT when the key may be missing). `open` means keys that cannot be seen may be
    present too (a `**splat` of something unknown, a non-literal key, an escaping call)."""

    keys: Dict[str, List[object]] = field(default_factory=dict)
    open: bool = False

    def copy(self) -> "DictVal":
        return DictVal({k: list(v) for k, v in self.keys.items()}, self.open)

    def set(self, key: str, value: object, maybe: bool) -> None:
        if maybe:
            self.keys.setdefault(key, [ABSENT] if not self.open else [ABSENT, UNKNOWN]).append(value)
        else:
            self.keys[key] = [value]

    def remove(self, key: str, maybe: bool) -> None:
        if maybe:
            self.keys.setdefault(key, []).append(ABSENT)
        else:
            self.keys[key] = [ABSENT]

    def make_open(self) -> None:
        """Unknown code may have changed any key: every known key may now hold anything too."""
        self.open = True
        for vals in self.keys.values():
            if UNKNOWN not in vals:
                vals.append(UNKNOWN)

    def merge(self, other: object, maybe: bool = False) -> "DictVal":
        """`{**self, **other}` (`other` wins); with maybe=True the update may not happen."""
        out = self.copy()
        if isinstance(other, DictVal):
            for k, vals in other.keys.items():
                if ABSENT in vals or maybe:
                    keep = out.keys.get(k, [ABSENT] if not out.open else [ABSENT, UNKNOWN])
                    out.keys[k] = _dedupe(keep + [v for v in vals if v is not ABSENT])
                else:
                    out.keys[k] = list(vals)
            if other.open:
                out.make_open()
        else:
            out.make_open()
        return out


Value = Union[cst.BaseExpression, DictVal, _Marker]


def _dedupe(vals: List[object]) -> List[object]:
    out: List[object] = []
    for v in vals:
        if not any(v is o for o in out):
            out.append(v)
    return out[: MAX_ALTERNATIVES * 2]


# -- the index of one function body -----------------------------------------------------------

Path = Tuple[Tuple[int, object], ...]  # (id of the compound statement, branch) from the top down

_EXCLUSIVE = "x"  # If/Match branches: the body and the else never both run


@dataclass
class Write:
    name: str
    kind: str  # assign | unknown | setitem | delitem | update | setdefault | escape
    index: int
    path: Path
    node: cst.CSTNode
    value: Optional[cst.BaseExpression] = None
    key: Optional[str] = None  # setitem/delitem/setdefault: the literal key (None: not literal)


# Calls that only read their arguments: passing a dict to them does not change it.
_READ_ONLY_CALLEES = {
    "print", "len", "str", "repr", "bool", "isinstance", "type", "id", "hash", "sorted", "list",
    "tuple", "set", "frozenset", "iter", "next", "any", "all", "format", "dumps", "dump", "debug",
    "info", "warning", "warn", "error", "exception", "critical", "log", "pformat", "pprint",
    "encode", "decode", "decode_complete", "get", "keys", "values", "items", "copy", "deepcopy",
    "dict", "jsonable_encoder", "startswith", "endswith", "join", "format_map", "getattr", "hasattr",
}
_MUTATORS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__",
             "append", "extend", "insert", "remove", "add", "discard"}


# Node types whose children get block paths of their own, and node types that write names.
_COMPOUND = {cst.FunctionDef, cst.ClassDef, cst.If, cst.For, cst.While, cst.Try, cst.Match, cst.IfExp}
if hasattr(cst, "TryStar"):
    _COMPOUND.add(cst.TryStar)
_RECORDED = {cst.Assign, cst.AnnAssign, cst.NamedExpr, cst.AugAssign, cst.Del, cst.For, cst.CompFor, cst.WithItem,
             cst.ExceptHandler, cst.Call}
if hasattr(cst, "ExceptStarHandler"):
    _RECORDED.add(cst.ExceptStarHandler)


def _is_prefix(prefix: Path, path: Path) -> bool:
    return len(prefix) <= len(path) and path[: len(prefix)] == prefix


def reaches(write_path: Path, at_path: Path) -> bool:
    """Can a write in block `write_path` happen before a read in `at_path`? False only when they
    sit in exclusive branches of the same `if`/`match`."""
    for a, b in zip(write_path, at_path):
        if a == b:
            continue
        if a[0] == b[0] and isinstance(a[1], tuple) and isinstance(b[1], tuple) \
                and a[1][0] == _EXCLUSIVE and b[1][0] == _EXCLUSIVE:
            return False
        return True
    return True


def same_flow(a: Path, b: Path) -> bool:
    """Can code at `a` and code at `b` both run in one pass? False for the two branches of an
    `if`/`match`, and for a `try` body and one of its `except` handlers (the handler runs because
    the body failed)."""
    for x, y in zip(a, b):
        if x == y:
            continue
        if x[0] == y[0]:
            kinds = {str(x[1]), str(y[1])}
            if isinstance(x[1], tuple) and isinstance(y[1], tuple):
                return False
            if "try" in kinds and any(k.startswith("except") for k in kinds):
                return False
        return True
    return True



class Scope:
    """The index of one function body (or of the module's top level, `owner` a Module)."""

    def __init__(self, owner: cst.CSTNode, parent: Optional["Scope"], qualify=None):
        self.owner = owner
        self.outer = parent
        self.qualify = qualify or (lambda expr: None)
        self.order: Dict[cst.CSTNode, int] = {}
        self.parent_of: Dict[cst.CSTNode, cst.CSTNode] = {}
        self.path_of: Dict[cst.CSTNode, Path] = {}
        self.writes: Dict[str, List[Write]] = {}
        self.params: Set[str] = set()
        self.param_defaults: Dict[str, cst.BaseExpression] = {}
        self.local_defs: Set[str] = set()  # functions/classes defined in this body
        self.uses: Dict[str, List[cst.Name]] = {}  # loads of local names, in source order
        self.calls: List[cst.Call] = []
        self._memo: Dict[Tuple[int, int, int], List[Value]] = {}
        self._build()

    # -- building --------------------------------------------------------------------------
    def _build(self) -> None:
        owner = self.owner
        if isinstance(owner, cst.FunctionDef):
            for p in parameters(owner):
                self.params.add(p.name.value)
                if p.default is not None:
                    self.param_defaults[p.name.value] = p.default
            roots: Sequence[cst.CSTNode] = [owner.body]
        elif isinstance(owner, cst.Module):
            roots = list(owner.body)
        else:  # pragma: no cover - only functions and modules are indexed
            roots = [owner]
        counter = 0
        stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode], Path]] = [
            (r, None, ()) for r in reversed(roots)
        ]
        while stack:
            node, parent, path = stack.pop()
            self.order[node] = counter
            counter += 1
            if parent is not None:
                self.parent_of[node] = parent
            self.path_of[node] = path
            self._record(node, path)
            for child, child_path in reversed(list(self._children(node, path))):
                stack.append((child, node, child_path))

    def _children(self, node: cst.CSTNode, path: Path) -> Iterator[Tuple[cst.CSTNode, Path]]:
        if type(node) not in _COMPOUND:
            for child in iter_children(node):
                yield child, path
            return
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not self.owner:
            # A nested definition: its decorators and defaults run here, its body does not.
            self.local_defs.add(node.name.value)
            for dec in node.decorators:
                yield dec, path
            if isinstance(node, cst.FunctionDef):
                for p in _param_defaults(node):
                    yield p, path
            return
        if isinstance(node, cst.If):
            yield node.test, path
            yield node.body, path + ((id(node), (_EXCLUSIVE, 0)),)
            if node.orelse is not None:
                yield node.orelse, path + ((id(node), (_EXCLUSIVE, 1)),)
            return
        if isinstance(node, (cst.For, cst.While)):
            for child in iter_children(node):
                if child is node.body or child is node.orelse:
                    yield child, path + ((id(node), "loop"),)
                else:
                    yield child, path
            return
        if isinstance(node, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            yield node.body, path + ((id(node), "try"),)
            for i, h in enumerate(node.handlers):
                yield h, path + ((id(node), f"except{i}"),)
            if node.orelse is not None:
                yield node.orelse, path + ((id(node), "else"),)
            if node.finalbody is not None:
                yield node.finalbody, path
            return
        if isinstance(node, cst.Match):
            yield node.subject, path
            for i, case in enumerate(node.cases):
                yield case, path + ((id(node), (_EXCLUSIVE, i)),)
            return
        if isinstance(node, cst.IfExp):
            yield node.test, path
            yield node.body, path + ((id(node), (_EXCLUSIVE, 0)),)
            yield node.orelse, path + ((id(node), (_EXCLUSIVE, 1)),)
            return
        for child in iter_children(node):
            yield child, path

    def _write(self, name: str, kind: str, node: cst.CSTNode, path: Path, **kw) -> None:
        self.writes.setdefault(name, []).append(
            Write(name, kind, self.order[node], path, node, **kw))

    def _record(self, node: cst.CSTNode, path: Path) -> None:
        if type(node) not in _RECORDED:
            return
        if isinstance(node, cst.Assign):
            for t in node.targets:
                self._assign_target(t.target, node.value, node, path)
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            self._assign_target(node.target, node.value, node, path)
        elif isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
            self._write(node.target.value, "assign", node, path, value=node.value)
        elif isinstance(node, cst.AugAssign):
            if isinstance(node.target, cst.Name):
                if isinstance(node.operator, cst.BitOrAssign):
                    self._write(node.target.value, "update", node, path, value=node.value)
                else:
                    self._write(node.target.value, "unknown", node, path)
        elif isinstance(node, cst.Del):
            t = node.target
            if isinstance(t, cst.Subscript) and isinstance(t.value, cst.Name):
                self._write(t.value.value, "delitem", node, path, key=_subscript_key(t))
            else:
                for n in assigned_names(t):
                    self._write(n, "unknown", node, path)
        elif isinstance(node, (cst.For, cst.CompFor)):
            for n in assigned_names(node.target):
                self._write(n, "unknown", node, path)
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            for n in assigned_names(node.asname.name):
                self._write(n, "unknown", node, path)
        elif isinstance(node, (cst.ExceptHandler, getattr(cst, "ExceptStarHandler", cst.ExceptHandler))) \
                and node.name is not None:
            for n in assigned_names(node.name.name):
                self._write(n, "unknown", node, path)
        elif isinstance(node, cst.Call):
            self.calls.append(node)
            self._record_call(node, path)
        elif isinstance(node, cst.Name):
            pass  # uses are collected lazily (see `loads`)

    def _assign_target(self, target: cst.BaseExpression, value: cst.BaseExpression, node: cst.CSTNode,
                       path: Path) -> None:
        if isinstance(target, cst.Name):
            self._write(target.value, "assign", node, path, value=value)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self._write(target.value.value, "setitem", node, path, value=value, key=_subscript_key(target))
        else:
            for n in assigned_names(target):
                self._write(n, "unknown", node, path)

    def _record_call(self, call: cst.Call, path: Path) -> None:
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in _MUTATORS:
            name = func.value.value
            method = func.attr.value
            if method == "update":
                if len(call.args) == 1 and not call.args[0].keyword and not call.args[0].star:
                    self._write(name, "update", call, path, value=call.args[0].value)
                elif call.args and all(a.keyword is not None for a in call.args):
                    self._write(name, "update", call, path, value=_kwargs_dict(call))
                else:
                    self._write(name, "escape", call, path)
            elif method == "setdefault" and call.args:
                key = literal_str(call.args[0].value)
                value = call.args[1].value if len(call.args) > 1 else cst.Name("None")
                self._write(name, "setdefault", call, path, key=key, value=value)
            elif method == "pop" and call.args:
                self._write(name, "delitem", call, path, key=literal_str(call.args[0].value))
            else:
                self._write(name, "escape", call, path)
        callee = name_of(func)
        if callee in _READ_ONLY_CALLEES:
            return
        for arg in call.args:
            if isinstance(arg.value, cst.Name):
                self._write(arg.value.value, "escape", call, path)

    # -- reading ---------------------------------------------------------------------------
    def index(self, node: cst.CSTNode) -> int:
        return self.order.get(node, 1 << 30)

    def path(self, node: cst.CSTNode) -> Path:
        return self.path_of.get(node, ())

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.parent_of.get(node)

    def is_local(self, name: str) -> bool:
        """Is `name` bound in this body (assigned, a parameter, a nested def)? Mutating or passing
        a module-level name does not make it local."""
        return name in self.params or name in self.local_defs or any(
            w.kind in ("assign", "unknown") for w in self.writes.get(name, ()))

    def loads(self, name: str) -> List[cst.Name]:
        """Reads of a local name in this body, in source order (not assignment targets,
        attribute names, keywords or parameters)."""
        if name not in self.uses:
            found = []
            for node in self.order:
                if isinstance(node, cst.Name) and node.value == name and self._is_load(node):
                    found.append(node)
            found.sort(key=self.index)
            self.uses[name] = found
        return self.uses[name]

    def _is_load(self, node: cst.Name) -> bool:
        parent = self.parent(node)
        if parent is None:
            return True
        if isinstance(parent, cst.Attribute):
            return parent.value is node
        if isinstance(parent, cst.Arg):
            return parent.keyword is not node
        if isinstance(parent, cst.Param):
            return parent.name is not node
        if isinstance(parent, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.NamedExpr,
                               cst.For, cst.CompFor)):
            return parent.target is not node
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName, cst.NameItem)):
            return False
        return True

    def local_function(self, name: str) -> bool:
        """Is `name` a function or class defined in this body or an enclosing one?"""
        scope: Optional[Scope] = self
        while scope is not None:
            if name in scope.local_defs:
                return True
            if scope.is_local(name):
                return False
            scope = scope.outer
        return False

    def values(self, expr: Optional[cst.BaseExpression], at: cst.CSTNode, depth: int = 0) -> List[Value]:
        """Possible values of `expr` as read at node `at` (a node of this body)."""
        if expr is None:
            return [UNKNOWN]
        key = (id(expr), id(at), depth)
        found = self._memo.get(key)
        if found is None:
            # Callers only read what they get (DictVal is copied before any change).
            found = self._memo[key] = _limit(self._eval(expr, self.index(at), self.path(at), depth))
        return found

    def _eval(self, expr: cst.BaseExpression, at: int, at_path: Path, depth: int) -> List[Value]:
        if depth > MAX_DEPTH:
            return [UNKNOWN]
        if isinstance(expr, cst.Name):
            if expr.value in ("True", "False", "None"):
                return [expr]
            return self._name(expr.value, at, at_path, depth + 1)
        if isinstance(expr, cst.Dict):
            out = DictVal()
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    key = literal_str(el.key)
                    if key is None:
                        out.make_open()
                    else:
                        out.set(key, el.value, maybe=False)
                else:  # **splat
                    out = _merge_all(out, self._eval(el.value, at, at_path, depth + 1))
            return [out]
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name) and func.value == "dict" and not self.is_local("dict"):
                base: List[Value] = [DictVal()]
                for arg in expr.args:
                    if arg.keyword is not None:
                        for b in base:
                            if isinstance(b, DictVal):
                                b.set(arg.keyword.value, arg.value, maybe=False)
                    else:
                        base = [_merge_all(b, self._eval(arg.value, at, at_path, depth + 1))
                                if isinstance(b, DictVal) else b for b in base]
                return base
            if isinstance(func, cst.Attribute) and func.attr.value == "copy" and not expr.args:
                return [_copy(v) for v in self._eval(func.value, at, at_path, depth + 1)]
            q = self.qualify(func)
            if q in ("copy.copy", "copy.deepcopy") and len(expr.args) == 1:
                return [_copy(v) for v in self._eval(expr.args[0].value, at, at_path, depth + 1)]
            return [expr]
        if isinstance(expr, cst.IfExp):
            return self._eval(expr.body, at, at_path, depth + 1) + self._eval(expr.orelse, at, at_path, depth + 1)
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            return self._eval(expr.left, at, at_path, depth + 1) + self._eval(expr.right, at, at_path, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
            left = self._eval(expr.left, at, at_path, depth + 1)
            if all(isinstance(v, DictVal) for v in left):
                right = self._eval(expr.right, at, at_path, depth + 1)
                return [_merge_all(v, right) for v in left]
        return [expr]

    def _name(self, name: str, at: int, at_path: Path, depth: int) -> List[Value]:
        writes = [w for w in self.writes.get(name, ()) if w.index < at and reaches(w.path, at_path)]
        if not writes:
            if name in self.params:
                return self._param_value(name, depth)
            if self.is_local(name):
                return [UNKNOWN]
            if self.outer is not None:
                return self.outer._name(name, 1 << 30, (), depth + 1)
            return [UNKNOWN]
        # Where the value starts: the last assignment that certainly runs before the read.
        start = None
        for i, w in enumerate(writes):
            if w.kind in ("assign", "unknown") and _is_prefix(w.path, at_path):
                start = i
        if start is None:
            if name in self.params:
                state: List[Value] = self._param_value(name, depth)
            elif self.outer is not None and not self.is_local(name):
                state = self.outer._name(name, 1 << 30, (), depth + 1)
            else:
                state = [UNKNOWN]
            rest = writes
        else:
            state = self._write_value(writes[start], depth)
            rest = writes[start + 1:]
        for w in rest:
            maybe = not _is_prefix(w.path, at_path)
            state = self._apply(state, w, maybe, depth)
        return _limit(state)

    def _param_value(self, name: str, depth: int) -> List[Value]:
        """A parameter: whatever the caller passes, or its default when the caller passes nothing
        (`def create_token(user, days=7)`)."""
        default = self.param_defaults.get(name)
        if default is None or not isinstance(default, cst.BaseExpression):
            return [UNKNOWN]
        scope = self.outer if self.outer is not None else self
        return [UNKNOWN] + scope._eval(default, 1 << 30, (), depth + 1)

    def _write_value(self, w: Write, depth: int) -> List[Value]:
        if w.kind == "assign" and w.value is not None:
            return self._eval(w.value, w.index, w.path, depth + 1)
        return [UNKNOWN]

    def _apply(self, state: List[Value], w: Write, maybe: bool, depth: int) -> List[Value]:
        if w.kind in ("assign", "unknown"):
            new = self._write_value(w, depth)
            return _limit((state + new) if maybe else new)
        out: List[Value] = []
        for v in state:
            if not isinstance(v, DictVal):
                # A list or set changed in place (`algs.append(...)`, passed to unknown code).
                mutable = isinstance(v, (cst.List, cst.Set, cst.ListComp, cst.SetComp))
                out.append(UNKNOWN if mutable and w.kind in ("escape", "delitem") else v)
                continue
            d = v.copy()
            if w.kind == "setitem":
                if w.key is None:
                    d.make_open()
                else:
                    d.set(w.key, w.value, maybe)
            elif w.kind == "setdefault":
                if w.key is None:
                    d.make_open()
                elif w.key not in d.keys or ABSENT in d.keys[w.key]:
                    d.set(w.key, w.value, maybe=True)
            elif w.kind == "delitem":
                if w.key is None:
                    d.make_open()
                else:
                    d.remove(w.key, maybe)
            elif w.kind == "update":
                d = _merge_all(d, self._eval(w.value, w.index, w.path, depth + 1), maybe)
            else:  # escape: unknown code may change it
                d.make_open()
            out.append(d)
        return _limit(out)

    # -- derived views ---------------------------------------------------------------------
    def literals(self, expr: Optional[cst.BaseExpression], at: cst.CSTNode) -> List[object]:
        """Possible Python values of a scalar or a list of scalars (lists resolve their
        elements one level: `[ALGORITHM]`); UNKNOWN where not literal."""
        out: List[object] = []
        for v in self.values(expr, at):
            out.append(self.literal_of(v, at))
        return out

    def literal_of(self, v: Value, at: cst.CSTNode) -> object:
        if v is UNKNOWN or v is ABSENT or isinstance(v, DictVal):
            return v if not isinstance(v, DictVal) else UNKNOWN
        lit = literal_value(v, default=UNKNOWN)
        if lit is not UNKNOWN:
            return lit
        if isinstance(v, (cst.List, cst.Tuple, cst.Set)):
            items = []
            for el in v.elements:
                if isinstance(el, cst.StarredElement):
                    items.append(UNKNOWN)
                    continue
                vals = [self.literal_of(x, at) for x in self.values(el.value, at)]
                items.append(vals[0] if len(vals) == 1 else UNKNOWN)
            return items
        num = self.number(v, at)
        return num if num is not None else UNKNOWN

    def number(self, v: Value, at: cst.CSTNode, depth: int = 0) -> Optional[float]:
        """An int/float computed from literals and constants (`60 * 24 * DAYS`), else None."""
        if depth > MAX_DEPTH or not isinstance(v, cst.BaseExpression):
            return None
        if isinstance(v, cst.Name):
            vals = self.values(v, at, depth)
            if len(vals) != 1:
                return None
            return self.number(vals[0], at, depth + 1) if vals[0] is not v else None
        lit = literal_value(v, default=UNKNOWN)
        if isinstance(lit, (int, float)) and not isinstance(lit, bool):
            return lit
        if isinstance(v, cst.BinaryOperation):
            a = self.number(v.left, at, depth + 1)
            b = self.number(v.right, at, depth + 1)
            if a is None or b is None:
                return None
            op = v.operator
            if isinstance(op, cst.Add):
                return a + b
            if isinstance(op, cst.Subtract):
                return a - b
            if isinstance(op, cst.Multiply):
                return a * b
            if isinstance(op, (cst.Divide, cst.FloorDivide)) and b:
                return a / b if isinstance(op, cst.Divide) else a // b
            return None
        if isinstance(v, cst.UnaryOperation) and isinstance(v.operator, cst.Minus):
            a = self.number(v.expression, at, depth + 1)
            return -a if a is not None else None
        if isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value in ("int", "float") \
                and len(v.args) == 1:
            return self.number(v.args[0].value, at, depth + 1)
        return None


def key_values(dicts: Sequence[Value], key: str) -> List[object]:
    """Possible values of `key` across the possible dicts (ABSENT when it may be missing,
    UNKNOWN when a dict cannot be seen)."""
    out: List[object] = []
    for d in dicts:
        if isinstance(d, DictVal):
            if key in d.keys:
                out.extend(d.keys[key])
            else:
                out.append(UNKNOWN if d.open else ABSENT)
        elif isinstance(d, cst.Name) and d.value == "None":
            out.append(ABSENT)
        else:
            out.append(UNKNOWN)
    return out


def _merge_all(base: Value, others: List[Value], maybe: bool = False) -> Value:
    if not isinstance(base, DictVal):
        return base
    if len(others) == 1:
        return base.merge(others[0], maybe)
    # Several possible dicts merged in: every key any of them sets may be set.
    out = base.copy()
    for o in others:
        out = out.merge(o, maybe=True)
    return out


def _copy(v: Value) -> Value:
    return v.copy() if isinstance(v, DictVal) else v


def _limit(vals: List[Value]) -> List[Value]:
    if len(vals) > MAX_ALTERNATIVES:
        return vals[:MAX_ALTERNATIVES] + [UNKNOWN]
    return vals


def _subscript_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return literal_str(node.slice[0].slice.value)
    return None


def subscript_key(node: cst.Subscript) -> Optional[str]:
    return _subscript_key(node)


def _kwargs_dict(call: cst.Call) -> cst.Dict:
    return cst.Dict([cst.DictElement(cst.SimpleString(repr(a.keyword.value)), a.value)
                     if not a.star else cst.StarredDictElement(a.value) for a in call.args])


def _param_defaults(func: cst.FunctionDef) -> Iterator[cst.CSTNode]:
    for p in parameters(func):
        if p.default is not None:
            yield p.default


# -- where a decoded token's claims go ----------------------------------------------------------


@dataclass
class Sink:
    kind: str  # return | read | splat | store
    node: cst.CSTNode
    detail: str  # e.g. the claim read: "sub"


@dataclass
class ClaimUses:
    sinks: List[Sink] = field(default_factory=list)
    validated: bool = False  # `.validate()` (Authlib) or passed to a validating/verifying helper
    reads: Set[str] = field(default_factory=set)  # every claim read by a literal key

    def deciding(self, include_return: bool = True) -> List[Sink]:
        return [s for s in self.sinks if include_return or s.kind != "return"]


_MODEL_BUILDERS = {"model_validate", "parse_obj", "from_dict", "from_claims", "from_payload", "from_token",
                   "construct", "model_construct", "validate_python"}
# Helpers that turn claims into a user: `get_user_from_payload(claims)`, `authenticate(claims)`.
_LOOKUP = re.compile(r"user|account|member|principal|identity|profile|owner|customer|person|employee|"
                     r"authenticat|login|session", re.I)
_IDENTITY_ATTRS = {"sub", "user_id", "userid", "uid", "id", "email", "username", "user", "subject", "login"}


def claim_uses(scope: Scope, start: cst.CSTNode, identity_key) -> ClaimUses:
    """Follow the value of `start` (a decode call) through the function: what it is returned as,
    which claims are read from it, what it is spread into or stored in. Only reads of claims for
    which `identity_key(name)` holds (sub, email, roles, user_id, ...) are uses that decide who
    the user is; reading iss/kid/exp to choose a key or see the expiry is not."""
    uses = ClaimUses()
    work: List[cst.CSTNode] = [start]
    tracked: Set[str] = set()
    steps = 0
    while work and steps < 200:
        steps += 1
        cur = work.pop()
        while True:
            parent = scope.parent(cur)
            if parent is None:
                break
            if isinstance(parent, cst.Subscript) and parent.value is cur:
                key = subscript_key(parent)
                if key is not None:
                    uses.reads.add(key)
                    if identity_key(key) and not _in_assert(scope, parent) and not _only_logged(scope, parent):
                        uses.sinks.append(Sink("read", parent, key))
                    break
                cur = parent  # claims[SOME_NAME]: a derived value
                continue
            if isinstance(parent, cst.Attribute) and parent.value is cur:
                attr = parent.attr.value
                grand = scope.parent(parent)
                is_call = isinstance(grand, cst.Call) and grand.func is parent
                if attr.startswith("validate") and is_call:
                    uses.validated = True
                    break
                if attr in ("get", "pop", "setdefault") and is_call and grand.args:
                    key = literal_str(grand.args[0].value)
                    if key is not None:
                        uses.reads.add(key)
                        if identity_key(key) and not _in_assert(scope, grand) and not _only_logged(scope, grand):
                            uses.sinks.append(Sink("read", grand, key))
                        break
                    cur = grand
                    continue
                if attr in ("copy", "items", "values", "to_dict", "dict", "model_dump") and is_call:
                    cur = grand
                    continue
                if not is_call and attr in _IDENTITY_ATTRS:
                    uses.sinks.append(Sink("read", parent, attr))
                break
            if isinstance(parent, (cst.Return, cst.Yield)):
                uses.sinks.append(Sink("return", parent, ""))
                break
            if isinstance(parent, cst.Arg):
                call = scope.parent(parent)
                if not isinstance(call, cst.Call):
                    break
                callee = name_of(call.func) or ""
                low = callee.lower()
                if "valid" in low or "verify" in low:
                    uses.validated = True
                    break
                if parent.star == "**":
                    uses.sinks.append(Sink("splat", parent, callee))
                    break
                if _LOOKUP.search(callee):
                    uses.sinks.append(Sink("lookup", call, callee))
                    break
                if callee in _MODEL_BUILDERS:
                    cur = call
                    continue
                break
            if isinstance(parent, (cst.DictElement, cst.Element, cst.StarredDictElement, cst.StarredElement,
                                   cst.Dict, cst.List, cst.Tuple, cst.Set, cst.IfExp, cst.BooleanOperation,
                                   cst.Await, cst.Index, cst.SubscriptElement)):
                cur = parent
                continue
            if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr)) and parent.value is cur:
                targets = ([t.target for t in parent.targets] if isinstance(parent, cst.Assign)
                           else [parent.target])
                for t in targets:
                    if isinstance(t, cst.Name):
                        if t.value not in tracked:
                            tracked.add(t.value)
                            work.extend(_loads_after(scope, t.value, parent))
                    elif isinstance(t, (cst.Attribute, cst.Subscript)):
                        uses.sinks.append(Sink("store", parent, _text(t)))
                if isinstance(parent, cst.NamedExpr):
                    cur = parent
                    continue
                break
            break
    return uses


def _in_assert(scope: Scope, node: cst.CSTNode) -> bool:
    """Is `node` part of an `assert` (a sanity check, not a decision)?"""
    cur: Optional[cst.CSTNode] = node
    while cur is not None and not isinstance(cur, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        if isinstance(cur, cst.Assert):
            return True
        cur = scope.parent(cur)
    return False


_LOG_CALLS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print", "echo",
              "secho", "add_breadcrumb", "set_tag", "set_attribute"}


def _only_logged(scope: Scope, node: cst.CSTNode) -> bool:
    """Is the value of `node` only written to a log (`logger.info("user %s", claims["sub"])`,
    `print(f"{claims['email']}")`)?"""
    cur = node
    for _ in range(8):
        parent = scope.parent(cur)
        if isinstance(parent, (cst.FormattedStringExpression, cst.FormattedString, cst.ConcatenatedString,
                               cst.BinaryOperation, cst.Arg, cst.DictElement, cst.Dict, cst.Element, cst.Tuple)):
            cur = parent
            continue
        if isinstance(parent, cst.Call) and cur is not parent.func:
            return name_of(parent.func) in _LOG_CALLS
        return False
    return False


def _loads_after(scope: Scope, name: str, assign: cst.CSTNode) -> List[cst.Name]:
    """Reads of `name` after `assign` and before it is certainly rebound."""
    at = scope.index(assign)
    rebinds = [w.index for w in scope.writes.get(name, ())
               if w.index > at and w.kind in ("assign", "unknown") and _is_prefix(w.path, scope.path(assign))]
    end = min(rebinds) if rebinds else 1 << 30
    return [n for n in scope.loads(name) if at < scope.index(n) < end]


def _text(node: cst.CSTNode) -> str:
    try:
        return cst.Module([]).code_for_node(node)
    except Exception:  # pragma: no cover - defensive
        return ""
