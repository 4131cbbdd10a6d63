"""Function-local value tracking for the JWT rules (FAL501–FAL505): what a name holds where a call
reads it.

The JWT rules must follow an `options` dict, an `algorithms` list, a `leeway` or a payload given
through a local variable, a module constant, or a dict built and then mutated:

    opts = {**BASE_OPTIONS}                    # a module constant, copied
    if settings.DEBUG:
        opts["verify_exp"] = False             # a conditional mutation: a possible value
    jwt.decode(token, key, algorithms=ALGS, options=opts)

A `BodyIndex` indexes one function body (or the module's top level) in a single small walk: source
order, block nesting, parents, and every write to a local name (assignment, item assignment,
`update`/`setdefault`/`pop`, `|=`, `del`, escaping into an unknown call). A `Scope` is that index
able to evaluate: `Scope.values(expr, at)` gives the *possible* values (values.py) of an expression
where a call reads it: the last unconditional assignment before the call, plus every conditional
write after it. What cannot be seen (a parameter, `**kwargs`, an attribute, a call's result) is
UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fastauthlint.astutil import argument, assigned_names, iter_children, literal_str, literal_value, name_of, parameters
from fastauthlint.checks.jwt.values import (
    ABSENT,
    MAX_DEPTH,
    UNKNOWN,
    DictVal,
    Value,
    copy_value,
    limit,
    merge_all,
)

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


def is_prefix(prefix: Path, path: Path) -> bool:
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


class BodyIndex:
    """The index of one function body (or of the module's top level, `owner` a Module): where each
    node is (source order, block path, parent) and what writes each name."""

    def __init__(self, owner: cst.CSTNode, parent: Optional["BodyIndex"], qualify=None):
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
        self._by_id: Optional[Dict[int, cst.CSTNode]] = None
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
                self._write(t.value.value, "delitem", node, path, key=subscript_key(t))
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
            self._write(target.value.value, "setitem", node, path, value=value, key=subscript_key(target))
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

    def node_by_id(self, ident: int) -> Optional[cst.CSTNode]:
        """The node of this body with this id (the compound statements of a path)."""
        if self._by_id is None:
            self._by_id = {id(n): n for n in self.order}
        return self._by_id.get(ident)

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
        scope: Optional[BodyIndex] = self
        while scope is not None:
            if name in scope.local_defs:
                return True
            if scope.is_local(name):
                return False
            scope = scope.outer
        return False


class Scope(BodyIndex):
    """A body's index that can evaluate: the possible values of an expression where it is read."""

    def __init__(self, owner: cst.CSTNode, parent: Optional["Scope"], qualify=None):
        super().__init__(owner, parent, qualify)
        self._memo: Dict[Tuple[int, int, int], List[Value]] = {}
        # the module's scope only: its top-level definitions, and the scopes of the functions
        # whose returns were asked for (and those being evaluated, against recursion)
        self._defs: Optional[Dict[str, cst.CSTNode]] = None
        self._callees: Dict[str, "Scope"] = {}
        self._returning: Set[str] = set()

    def values(self, expr: Optional[cst.BaseExpression], at: cst.CSTNode, depth: int = 0) -> List[Value]:
        """Possible values of `expr` as read at node `at` (a node of this body)."""
        if expr is None:
            return [UNKNOWN]
        key = (id(expr), id(at), depth)
        found = self._memo.get(key)
        if found is None:
            # Callers only read what they get (DictVal is copied before any change).
            found = self._memo[key] = limit(self._eval(expr, self.index(at), self.path(at), depth))
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
                    out = merge_all(out, self._eval(el.value, at, at_path, depth + 1))
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
                        base = [merge_all(b, self._eval(arg.value, at, at_path, depth + 1))
                                if isinstance(b, DictVal) else b for b in base]
                return base
            if isinstance(func, cst.Attribute) and func.attr.value == "copy" and not expr.args:
                return [copy_value(v) for v in self._eval(func.value, at, at_path, depth + 1)]
            q = self.qualify(func)
            if q in ("copy.copy", "copy.deepcopy") and len(expr.args) == 1:
                return [copy_value(v) for v in self._eval(expr.args[0].value, at, at_path, depth + 1)]
            if isinstance(func, cst.Attribute) and func.attr.value in ("model_dump", "dict") \
                    and not any(a.keyword is not None and a.keyword.value.startswith(("exclude", "include"))
                                for a in expr.args):
                models = [self._model_fields(v, depth) for v in self._eval(func.value, at, at_path, depth + 1)]
                if models and all(m is not None for m in models):
                    return models  # type: ignore[return-value]
            if isinstance(func, cst.Name) and self.root().module_def(func.value) is not None \
                    and self.local_function(func.value) and not self._shadowed(func.value):
                returned = self.root().returned(func.value, depth)
                if returned:
                    return returned
            return [expr]
        if isinstance(expr, cst.IfExp):
            return self._eval(expr.body, at, at_path, depth + 1) + self._eval(expr.orelse, at, at_path, depth + 1)
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            return self._eval(expr.left, at, at_path, depth + 1) + self._eval(expr.right, at, at_path, depth + 1)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
            left = self._eval(expr.left, at, at_path, depth + 1)
            if all(isinstance(v, DictVal) for v in left):
                right = self._eval(expr.right, at, at_path, depth + 1)
                return [merge_all(v, right) for v in left]
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
            if w.kind in ("assign", "unknown") and is_prefix(w.path, at_path):
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
            maybe = not is_prefix(w.path, at_path)
            state = self._apply(state, w, maybe, depth)
        return limit(self._settled(state, rest, at_path))

    def _settled(self, state: List[Value], writes: List[Write], at_path: Path) -> List[Value]:
        """Keys every branch of an `if`/`else` sets (`if remember: p["exp"] = a` / `else:
        p["exp"] = b`) are certainly present after it, though each write alone is conditional."""
        settled: Set[str] = set()
        for w in writes:
            if w.kind != "setitem" or w.key is None or w.key in settled or is_prefix(w.path, at_path):
                continue
            i = next((k for k, (a, b) in enumerate(zip(w.path, at_path)) if a != b), min(len(w.path), len(at_path)))
            if i >= len(w.path):
                continue
            node = self.node_by_id(w.path[i][0])
            if not isinstance(node, cst.If) or not self._branches_set(node, w.path[:i], w.key, writes):
                continue
            start = self.index(node)
            if all(x.kind in ("setitem", "setdefault", "update") for x in writes if x.index >= start):
                settled.add(w.key)
        if not settled:
            return state
        out: List[Value] = []
        for v in state:
            if isinstance(v, DictVal):
                v = v.copy()
                for key in settled:
                    if key in v.keys and ABSENT in v.keys[key]:
                        v.keys[key] = [x for x in v.keys[key] if x is not ABSENT]
            out.append(v)
        return out

    def _branches_set(self, node: cst.If, prefix: Path, key: str, writes: List[Write]) -> bool:
        """Does every branch of `node` (an `if` with an `else`, elifs followed) write `key`
        unconditionally within the branch?"""
        if node.orelse is None:
            return False
        for branch in (0, 1):
            here = prefix + ((id(node), (_EXCLUSIVE, branch)),)
            if any(w.kind == "setitem" and w.key == key and w.path == here for w in writes):
                continue
            if branch == 1 and isinstance(node.orelse, cst.If) and self._branches_set(node.orelse, here, key, writes):
                continue  # an `elif` chain
            return False
        return True

    # -- values made by this module's own functions and models ------------------------------
    def root(self) -> "Scope":
        scope = self
        while scope.outer is not None:
            scope = scope.outer  # type: ignore[assignment]
        return scope

    def _shadowed(self, name: str) -> bool:
        """Is `name` bound in a function scope on the way to the module (a local, a parameter)?"""
        scope: Optional[Scope] = self
        while scope is not None and scope.outer is not None:
            if scope.is_local(name) or name in scope.local_defs:
                return True
            scope = scope.outer  # type: ignore[assignment]
        return False

    def module_def(self, name: str) -> Optional[cst.CSTNode]:
        """The top-level function or class `name` of this module (this scope must be the module's)."""
        if not isinstance(self.owner, cst.Module):
            return None
        if self._defs is None:
            self._defs = {s.name.value: s for s in self.owner.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
        return self._defs.get(name)

    def returned(self, name: str, depth: int) -> List[Value]:
        """What the module's function `name` returns (`payload = build_claims(user)`): the values of
        its `return` statements, its parameters unknown; [] when it is not a function or recursion
        or depth forbids."""
        func = self.module_def(name)
        if not isinstance(func, cst.FunctionDef) or name in self._returning or depth > MAX_DEPTH:
            return []
        scope = self._callees.get(name)
        if scope is None:
            scope = self._callees[name] = Scope(func, self, self.qualify)
        self._returning.add(name)
        try:
            out: List[Value] = []
            for node in scope.order:
                if isinstance(node, cst.Return):
                    out.extend(scope.values(node.value, node, depth + 1) if node.value is not None else [cst.Name("None")])
            return limit(out)
        finally:
            self._returning.discard(name)

    def _model_fields(self, v: Value, depth: int) -> Optional[DictVal]:
        """`Claims(sub=user).model_dump()` for a pydantic model class of this module: its fields, as
        given to the constructor or by their defaults (open when a base or a `**splat` hides some)."""
        if not isinstance(v, cst.Call) or not isinstance(v.func, cst.Name) or self._shadowed(v.func.value):
            return None
        root = self.root()
        cls = root.module_def(v.func.value)
        if not isinstance(cls, cst.ClassDef):
            return None
        out = DictVal()
        given = {a.keyword.value: a.value for a in v.args if a.keyword is not None}
        if any(a.star for a in v.args) or any(a.keyword is None for a in v.args):
            out.make_open()
        for c in self._model_classes(cls, root):
            if c is None:
                out.make_open()
                continue
            for line in c.body.body if isinstance(c.body, cst.IndentedBlock) else ():
                for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                            and small.target.value not in out.keys:
                        field = small.target.value
                        value = given.get(field, small.value)
                        if isinstance(value, cst.Call) and name_of(value.func) == "Field":
                            value = argument(value, "default", 0)
                        out.set(field, value if value is not None else UNKNOWN, maybe=False)
        return out

    def _model_classes(self, cls: cst.ClassDef, root: "Scope", depth: int = 0) -> List[Optional[cst.ClassDef]]:
        """The class and its bases defined in this module; None for a base that is neither this
        module's nor pydantic's `BaseModel` (its fields cannot be seen)."""
        out: List[Optional[cst.ClassDef]] = [cls]
        for b in cls.bases:
            name = name_of(b.value) or ""
            base = root.module_def(name)
            if isinstance(base, cst.ClassDef) and depth < 4:
                out.extend(self._model_classes(base, root, depth + 1))
            elif name not in ("BaseModel", "BaseSettings", "TypedDict", "object"):
                out.append(None)
        return out

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
            return limit((state + new) if maybe else new)
        out: List[Value] = []
        for v in state:
            if v is UNKNOWN and w.kind in ("setitem", "update", "setdefault"):
                v = DictVal(open=True)  # written into by key: a dict whose other keys cannot be seen
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
                d = merge_all(d, self._eval(w.value, w.index, w.path, depth + 1), maybe)
            else:  # escape: unknown code may change it
                d.make_open()
            out.append(d)
        return limit(out)

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


def subscript_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return literal_str(node.slice[0].slice.value)
    return None


def _kwargs_dict(call: cst.Call) -> cst.Dict:
    return cst.Dict([cst.DictElement(cst.SimpleString(repr(a.keyword.value)), a.value)
                     if not a.star else cst.StarredDictElement(a.value) for a in call.args])


def _param_defaults(func: cst.FunctionDef) -> Iterator[cst.CSTNode]:
    for p in parameters(func):
        if p.default is not None:
            yield p.default


def frame_scope(frames: Sequence, i: int, qualify) -> Scope:
    """The Scope of `frames[i]` (a function, or the module at 0) for a visitor's stack of frames
    (each with `owner` and `scope`): built once and kept on the frame, its parent the enclosing
    frame's, so a closure reads the names of the function around it."""
    frame = frames[i]
    if frame.scope is None:
        frame.scope = Scope(frame.owner, frame_scope(frames, i - 1, qualify) if i > 0 else None, qualify)
    return frame.scope
