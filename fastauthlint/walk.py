"""A read-only batched traversal: libcst's `visit_batched`, without rebuilding the tree.

`walk_batched(module, visitors)` calls exactly the visitor methods libcst's
`MetadataWrapper(module).visit_batched(visitors)` calls — `visit_X` on entering a node, the
`visit_X_field`/`leave_X_field` attribute hooks around each child field, `leave_X` on leaving it —
on the same (original) node objects and in the same order. It is several times cheaper because:

- libcst's `visit` rebuilds every node it passes (`_visit_and_replace_children` constructs a new
  node, with validation, even for a read-only visitor) and dispatches every node and every field
  through `on_visit`/`on_visit_attribute` dictionary look-ups; this walker only reads fields;
- it never enters a subtree that cannot contain a node some visitor has a method for. Which
  classes a field can hold is read once from libcst's type annotations (`Name.lpar` holds only
  `LeftParen`s, `Call.whitespace_after_func` only whitespace): with the visitors fastauthlint
  runs, whitespace, comments, commas, brackets and operators — most of a concrete tree — are
  skipped without being looked at;
- for each set of visitor classes it generates (once) one small function per node class that
  calls that class's visitor methods directly and walks only the fields that matter, in the order
  libcst visits them (read once from each class's own `_visit_and_replace_children`).

Visitors must be batchable visitors without metadata dependencies (fastauthlint resolves positions
itself, see `fastauthlint.positions`): their methods are read with `get_visitors()`, as libcst
does. Should libcst's sources be unavailable (the field order is read from them), or a visitor
declare metadata dependencies, the walk is delegated to libcst's own `visit_batched`.

Recursion: one Python frame per tree level (libcst's visit uses three), so any tree libcst can
traverse, this walker can; trees deeper than the interpreter allows raise RecursionError like
libcst's traversal does, and the analysis reports them (the nesting gate in analysis.py keeps
such files from being parsed in the first place).
"""

from __future__ import annotations

import ast
import collections.abc
import inspect
import typing
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst._maybe_sentinel import MaybeSentinel

__all__ = ["walk_batched", "child_fields", "node_classes", "prepare"]

# -- what libcst's node classes look like (computed once) ----------------------------------------

_UNIVERSE: Optional[Tuple[type, ...]] = None
_FIELDS: Dict[type, Optional[Tuple[str, ...]]] = {}
_WHEN_SET: Dict[type, FrozenSet[str]] = {}  # fields whose attribute hooks run only when not None
# cls -> ((field, possible child classes, may be a sequence, may be a single node), ...)
_SHAPES: Dict[type, Optional[Tuple[Tuple[str, FrozenSet[type], bool, bool], ...]]] = {}


def node_classes() -> Tuple[type, ...]:
    """Every concrete node class libcst exports (the classes its parser produces)."""
    global _UNIVERSE
    if _UNIVERSE is None:
        out = []
        for name in dir(cst):
            obj = getattr(cst, name)
            if isinstance(obj, type) and issubclass(obj, cst.CSTNode) and not inspect.isabstract(obj):
                out.append(obj)
        _UNIVERSE = tuple(sorted(set(out), key=lambda c: c.__name__))
    return _UNIVERSE


def child_fields(cls: type) -> Optional[Tuple[str, ...]]:
    """The fields of `cls` that libcst's traversal visits, in the order it visits them: the field
    names passed to `visit_required`/`visit_sequence`/... in `cls._visit_and_replace_children`, in
    source (= evaluation) order. None when that method's source cannot be read or does something
    this reading does not understand (then the walk is left to libcst)."""
    if cls not in _FIELDS:
        _FIELDS[cls], _WHEN_SET[cls] = _read_fields(cls)
    return _FIELDS[cls]


_FILE_DEFS: Dict[str, Dict[int, ast.FunctionDef]] = {}


def _method_source(fn) -> Optional[ast.FunctionDef]:
    """The `def` of a function, from its source file (each file is parsed once)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    defs = _FILE_DEFS.get(code.co_filename)
    if defs is None:
        defs = {}
        try:
            with open(code.co_filename, encoding="utf-8") as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, ValueError):
            pass
        else:
            for cls_def in tree.body:
                for node in getattr(cls_def, "body", ()) if isinstance(cls_def, ast.ClassDef) else ():
                    if isinstance(node, ast.FunctionDef):
                        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                        defs[first] = node
        _FILE_DEFS[code.co_filename] = defs
    node = defs.get(code.co_firstlineno)
    return node if node is not None and node.name == fn.__name__ else None


def _visit_calls(node: ast.AST) -> List[ast.Call]:
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id.startswith("visit_")]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    return calls


def _field_arg(call: ast.Call) -> Optional[str]:
    arg = call.args[1] if len(call.args) > 1 else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _read_fields(cls: type) -> Tuple[Optional[Tuple[str, ...]], FrozenSet[str]]:
    """(visited fields in order, fields visited only when not None)."""
    tree = _method_source(cls._visit_and_replace_children)
    if tree is None:
        return None, frozenset()
    when_set: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.For, ast.While, ast.Try, ast.BoolOp, ast.comprehension,
                             ast.Lambda, ast.FunctionDef)) and node is not tree:
            if _visit_calls(node):
                return None, frozenset()  # a visit that may or may not happen: not understood
        if isinstance(node, ast.IfExp):
            body = {_field_arg(c) for c in _visit_calls(node.body)}
            orelse = {_field_arg(c) for c in _visit_calls(node.orelse)}
            if body == orelse:
                continue  # the field is visited either way (ImportFrom.names)
            # `visit_sequence(self, "f", f, visitor) if f is not None else None`
            test = node.test
            if (len(body) == 1 and not orelse and isinstance(node.orelse, ast.Constant)
                    and node.orelse.value is None and isinstance(test, ast.Compare)
                    and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot)
                    and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
                (field,) = body
                left = test.left
                if (isinstance(left, ast.Name) and left.id == field) or (
                        isinstance(left, ast.Attribute) and left.attr == field
                        and isinstance(left.value, ast.Name) and left.value.id == "self"):
                    when_set.add(field)
                    continue
            return None, frozenset()
    seen: List[str] = []
    for call in _visit_calls(tree):
        field = _field_arg(call)
        if field is None or field not in cls.__dataclass_fields__:
            return None, frozenset()  # a field passed in some other way: do not guess
        if field not in seen:
            seen.append(field)
    return tuple(seen), frozenset(when_set)


_SUBCLASSES: Dict[type, Set[type]] = {}


def _possible(tp, universe: Tuple[type, ...]) -> Tuple[Set[type], bool, bool]:
    """(node classes a value of annotation `tp` can be, may be a sequence, may be a single node)."""
    origin = typing.get_origin(tp)
    if origin is typing.Union:
        classes: Set[type] = set()
        seq = single = False
        for arg in typing.get_args(tp):
            c, s, n = _possible(arg, universe)
            classes |= c
            seq |= s
            single |= n
        return classes, seq, single
    if origin in (collections.abc.Sequence, list, tuple, typing.Sequence):
        classes = set()
        for arg in typing.get_args(tp):
            if arg is not Ellipsis:
                classes |= _possible(arg, universe)[0]
        return classes, True, False
    if isinstance(tp, type) and issubclass(tp, cst.CSTNode):
        subclasses = _SUBCLASSES.get(tp)
        if subclasses is None:
            found, stack = set(), [tp]
            while stack:
                c = stack.pop()
                found.add(c)
                stack.extend(c.__subclasses__())
            subclasses = _SUBCLASSES[tp] = found.intersection(universe)
        return set(subclasses), False, True
    return set(), False, False  # str, bool, None, MaybeSentinel, Literal[...]


def _shape(cls: type):
    """Per visited field: (name, node classes it can hold, may be a sequence, may be a node);
    None when the field order is unknown."""
    if cls in _SHAPES:
        return _SHAPES[cls]
    fields = child_fields(cls)
    shape = None
    if fields is not None:
        try:
            hints = typing.get_type_hints(cls)
        except Exception:
            hints = None
        if hints is not None:
            universe = node_classes()
            shape = []
            for f in fields:
                classes, seq, single = _possible(hints.get(f), universe)
                if not classes and f in hints:
                    # An annotation this module does not understand: assume anything.
                    classes, seq, single = set(universe), True, True
                shape.append((f, frozenset(classes), seq, single))
            shape = tuple(shape)
    _SHAPES[cls] = shape
    return shape


def prepare() -> None:
    """Read every node class's fields now (about 0.07 s), e.g. before forking workers."""
    for c in node_classes():
        _shape(c)


# -- code generation, once per set of visitor classes --------------------------------------------

_UNSET = object()


def _reachable(wanted_names: FrozenSet[str]) -> Optional[Set[type]]:
    """Classes whose subtrees can contain a node of a wanted class (by name), per libcst's
    annotations; None when some class's shape is unknown."""
    universe = node_classes()
    shapes = {}
    for c in universe:
        s = _shape(c)
        if s is None:
            return None
        shapes[c] = s
    reach = {c for c in universe if c.__name__ in wanted_names}
    changed = True
    while changed:
        changed = False
        for c in universe:
            if c in reach:
                continue
            if any(classes & reach for _, classes, _, _ in shapes[c]):
                reach.add(c)
                changed = True
    return reach


def _build_factory(key) -> Optional[Callable]:
    """Source of a factory that, given the visitors' bound methods, returns the dispatch table
    {node class: walk function}. `key` is ((visitor class, method names), ...)."""
    names_by_visitor = [names for _, names in key]
    visits: Dict[str, List[Tuple[int, str]]] = {}
    leaves: Dict[str, List[Tuple[int, str]]] = {}
    attrs: Dict[str, List[Tuple[int, str]]] = {}  # "visit_Call_func" -> [(visitor index, name)]
    attr_classes: Set[str] = set()
    for i, names in enumerate(names_by_visitor):
        for n in names:
            kind, _, rest = n.partition("_")
            cls_name, _, field = rest.partition("_")
            if field:
                attrs.setdefault(n, []).append((i, n))
                attr_classes.add(cls_name)
            elif kind == "visit":
                visits.setdefault(cls_name, []).append((i, n))
            else:
                leaves.setdefault(cls_name, []).append((i, n))
    wanted = frozenset(visits) | frozenset(leaves) | frozenset(attr_classes)
    reach = _reachable(wanted)
    if reach is None:
        return None

    lines = ["def factory(M, T):"]
    bound: Dict[Tuple[int, str], str] = {}

    def ref(i: int, name: str) -> str:
        var = bound.get((i, name))
        if var is None:
            var = bound[(i, name)] = f"m{len(bound)}"
            lines.insert(1, f"    {var} = M[{i}][{name!r}]")
        return var

    body: List[str] = []
    for c in node_classes():
        if c not in reach:
            continue
        cname = c.__name__
        fn = f"w_{cname}"
        body.append(f"    def {fn}(node):")
        n0 = len(body)
        for i, name in visits.get(cname, ()):
            body.append(f"        {ref(i, name)}(node)")
        for field, classes, seq, single in _shape(c):
            hooks_before = [ref(i, n) for i, n in attrs.get(f"visit_{cname}_{field}", ())]
            hooks_after = [ref(i, n) for i, n in attrs.get(f"leave_{cname}_{field}", ())]
            guard = ""
            if (hooks_before or hooks_after) and field in _WHEN_SET[c]:
                guard = f"if node.{field} is not None: "
            for h in hooks_before:
                body.append(f"        {guard}{h}(node)")
            if classes & reach:
                item = ["f = T[c.__class__]", "if f is not None: f(c)"]
                if seq and single:
                    body.append(f"        c = node.{field}")
                    body.append("        if isinstance(c, CSTNode):")
                    body.extend(f"            {s}" for s in item)
                    body.append("        elif c is not None:")
                    body.append("            for c in c:")
                    body.extend(f"                {s}" for s in item)
                elif seq:
                    body.append(f"        c = node.{field}")
                    body.append("        if c is not None:")  # an optional sequence (format_spec)
                    body.append("            for c in c:")
                    body.extend(f"                {s}" for s in item)
                else:
                    body.append(f"        c = node.{field}")
                    body.extend(f"        {s}" for s in item)
            for h in hooks_after:
                body.append(f"        {guard}{h}(node)")
        for i, name in leaves.get(cname, ()):
            body.append(f"        {ref(i, name)}(node)")
        if len(body) == n0:
            body.append("        pass")
        body.append(f"    T[{cname}] = {fn}")
    lines.extend(body)
    lines.append("    return T")
    src = "\n".join(lines) + "\n"
    namespace = {"CSTNode": cst.CSTNode, **{c.__name__: c for c in node_classes()}}
    exec(compile(src, f"<fastauthlint.walk factory {len(_FACTORIES)}>", "exec"), namespace)
    factory = namespace["factory"]
    factory.source = src  # for debugging and the tests
    return factory


_FACTORIES: Dict[tuple, Optional[Callable]] = {}


_TEMPLATE: Dict[type, None] = {}


def _empty_table() -> Dict[type, Optional[Callable]]:
    """{every node class libcst defines, None's class, MaybeSentinel: None}."""
    if not _TEMPLATE:
        stack = [cst.CSTNode]
        while stack:
            c = stack.pop()
            _TEMPLATE[c] = None
            stack.extend(c.__subclasses__())
        _TEMPLATE[type(None)] = None
        _TEMPLATE[MaybeSentinel] = None
    return dict(_TEMPLATE)


class UnknownNodeClass(RuntimeError):
    """A node of a class libcst's parser does not produce (the walker only knows those)."""


def walk_batched(module: cst.CSTNode, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
    """Run `visitors` over `module` like `MetadataWrapper(module).visit_batched(visitors)`."""
    per_visitor = []
    key_parts = []
    for v in visitors:
        if getattr(v, "METADATA_DEPENDENCIES", ()):
            _libcst_walk(module, visitors)
            return
        methods = v.get_visitors()
        per_visitor.append(methods)
        key_parts.append((type(v), tuple(methods)))
    key = tuple(key_parts)
    factory = _FACTORIES.get(key, _UNSET)
    if factory is _UNSET:
        factory = _FACTORIES[key] = _build_factory(key)
    if factory is None:
        _libcst_walk(module, visitors)
        return
    # Every node class (and None, MaybeSentinel) maps to its walk function or to None (nothing
    # below it is wanted): a plain dict, so each child costs one C-level look-up.
    table = _empty_table()
    factory(per_visitor, table)
    try:
        first = table[module.__class__]
        if first is not None:
            first(module)
    except KeyError as e:
        cls = e.args[0] if e.args else None
        if isinstance(cls, type) and issubclass(cls, cst.CSTNode) and cls not in table:
            raise UnknownNodeClass(f"cannot walk a {cls.__name__} node") from None
        raise
    finally:
        # The walk functions refer to the table and the table to them: break the cycle, so that
        # the visitors (and through them the file's tree) are freed now, not by the next full
        # garbage collection.
        table.clear()


def _libcst_walk(module: cst.CSTNode, visitors) -> None:
    from libcst.metadata import MetadataWrapper

    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(visitors)
