"""Per-file facts for route coverage: what one file says about apps, routers, routes, inclusions
and the functions and classes that may serve as dependencies. Gathered in the single batched
traversal (no extra walk of the module) and kept as plain frozen dataclasses; the linking phase
(routes_link.py) resolves them across files.

Values are kept symbolically as `V` (a tiny expression tree of qualified names, calls, literals)
because most questions (is `router` an APIRouter? does `CurrentUser` authenticate?) can only be
answered once the other files are known. String literals are kept only when they look like a
URL path (or as an "admin-ish" flag): a secret literal never reaches the facts or the cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.base import CheckVisitor
from fastauthlint.project.known import (
    ADMIN_ATTRS, ADMIN_WORDS, ANNOTATED, COOKIE_PARAMS, DEPENDS, HEADER_PARAMS, OPTIONAL,
    QUERY_PARAMS, FORBIDDEN_NAMES, REQUEST_TYPES, ROUTE_CALLS, ROUTE_DECORATORS, SECURITY,
    UNAUTHENTICATED_NAMES, UNION, VERIFIER_METHODS, VERIFIERS, is_credential_key, is_credential_name,
)
from fastauthlint.context import FileContext
from fastauthlint.project.names import dotted

PUBLIC_MARK = re.compile(r"#\s*fastauthlint\s*:\s*public\b[ \t:,-]*(?P<reason>[^#]*)", re.I)
MAX_DEPTH = 12
MAX_LIST = 64


# -- values ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class V:
    """A symbolic value.

    k      meaning                                  fields
    ref    a qualified name (import or top level)   q
    loc    a name local to function `s`             q (the name), s (the function's qualname)
    attr   attribute of a computed value            a=(base,), q=attribute
    call   a call                                   a=(callee, *positional), kw
    dep    Depends()/Security()                     q="Depends"|"Security", a=(target,) or (), kw
    ann    Annotated[base, *metadata]               a=(base, *metadata)
    opt    Optional[x] / x | None                   a=(x,)
    str    a path-like string ("?" opaque,          q
           "?admin" opaque but admin-ish)
    fmt    concatenation / f-string of a path       a=parts
    lit    int/bool/None                            lit
    list   list/tuple/set display                   a=items
    ifexp  `b if t else o`                          a=(t, b, o)
    iter   an element of an iterable (for loops)    a=(iterable,), q=index in a tuple target or ""
    def    a function/class defined locally here    q=its qualname in this file
    unk    anything else                            q=short text for messages
    """

    k: str
    q: str = ""
    a: Tuple["V", ...] = ()
    kw: Tuple[Tuple[str, "V"], ...] = ()
    lit: Any = None
    s: str = ""

    def kwarg(self, name: str) -> Optional["V"]:
        for k, v in self.kw:
            if k == name:
                return v
        return None

    @property
    def callee(self) -> Optional["V"]:
        return self.a[0] if self.k == "call" and self.a else None

    @property
    def args(self) -> Tuple["V", ...]:
        return self.a[1:] if self.k == "call" else ()

    def text(self) -> str:
        """Source-like rendering, for messages."""
        k = self.k
        if k in ("ref", "loc", "def"):
            return self.q.rsplit(".<locals>.", 1)[-1] if k == "def" else self.q
        if k == "attr":
            return f"{self.a[0].text()}.{self.q}"
        if k == "call":
            inner = ", ".join([a.text() for a in self.args] + [f"{n}={v.text()}" for n, v in self.kw])
            return f"{self.a[0].text()}({inner})"
        if k == "dep":
            inner = ", ".join([a.text() for a in self.a] + [f"{n}={v.text()}" for n, v in self.kw])
            return f"{self.q}({inner})"
        if k == "ann":
            return f"Annotated[{', '.join(a.text() for a in self.a)}]"
        if k == "opt":
            return f"Optional[{self.a[0].text()}]"
        if k == "str":
            return repr(self.q) if not self.q.startswith("?") else "'…'"
        if k == "fmt":
            return "".join(p.q if p.k == "str" else "{" + p.text() + "}" for p in self.a)
        if k == "lit":
            return repr(self.lit)
        if k == "list":
            return "[" + ", ".join(a.text() for a in self.a) + "]"
        if k == "ifexp":
            return f"{self.a[1].text()} if {self.a[0].text()} else {self.a[2].text()}"
        if k == "iter":
            return f"{self.a[0].text()}[…]"
        return self.q or "…"


UNK = V("unk")


def short_name(q: str) -> str:
    return q.rsplit(".", 1)[-1]


# -- facts -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParamFact:
    name: str
    ann: Optional[V]
    default: Optional[V]
    star: bool = False
    credential: str = ""  # "header:authorization", "cookie:session", "query:token" when the parameter reads one
    required: bool = True  # no default / `...`
    checked: bool = False  # appears in a None/truthiness guard (if/assert/and/or/ternary)
    rejects_missing: bool = False  # `if p is None: raise ...`, `if not p: return 401`
    deref_line: int = 0  # first `p.x` / `p[...]` before any guard (0: none)
    deref_text: str = ""


@dataclass(frozen=True)
class FuncFact:
    name: str  # qualname inside the module ("f", "C.m", "f.<locals>.g")
    line: int
    params: Tuple[ParamFact, ...]
    returns_ann: Optional[V]
    decorators: Tuple[V, ...]
    is_method: bool
    decodes: bool  # calls a known token verifier
    verifier_call: bool  # calls a verifier-named method on an object we cannot see
    reads: Tuple[str, ...]  # credentials read from the request: "header:authorization", "cookie:…", "user"
    raises: bool
    raises_auth: int  # raises/returns a 401 or (only) a 403; 0 if neither
    raised: Tuple[V, ...]  # what is raised by name (`raise credentials_exception`)
    returns_none: bool
    returns: Tuple[V, ...]
    calls: Tuple[V, ...]  # callees (qualified or local), for transitive evidence
    passes_names: bool  # passes a local name/parameter to some call
    admin_check: bool
    param_calls: Tuple[Tuple[str, str], ...]  # `p.method(...)` on parameter p
    local_values: Tuple[Tuple[str, V], ...]
    request_to_call: bool  # hands a Request parameter to another call
    takes_request: bool = False  # has a Request/WebSocket parameter
    super_init: Optional[V] = None  # `super().__init__(...)` in an __init__ (router subclasses' defaults)
    super_calls: Tuple[str, ...] = ()  # methods called on `super()`


@dataclass(frozen=True)
class ClassFact:
    name: str
    bases: Tuple[V, ...]
    decorators: Tuple[V, ...]
    attrs: Tuple[Tuple[str, Optional[V], Optional[V]], ...]  # (name, annotation, value)
    methods: Tuple[str, ...]
    mentions_reject: int  # a 401/403 status appears in its body (exception classes); 0 if not


@dataclass(frozen=True)
class RouteFact:
    receiver: V  # the router/app expression
    kind: str  # "api" | "ws" | "starlette"
    form: str  # "decorator" | "add_api_route" | ...
    methods: Tuple[str, ...]
    path: V
    dependencies: Optional[V]
    handler: str  # qualname in this file of the decorated function ("" for add_api_route)
    endpoint: Optional[V]  # add_api_route's endpoint
    line: int
    column: int
    end_line: int
    end_column: int
    public: Optional[str]  # inline `# fastauthlint: public [reason]` (reason may be "")
    cls: str = ""  # enclosing class qualname (class-based views)


@dataclass(frozen=True)
class IncludeFact:
    parent: V
    child: V
    prefix: Optional[V]
    dependencies: Optional[V]
    kind: str  # "include" | "mount"
    line: int = 0


@dataclass(frozen=True)
class MiddlewareFact:
    """`app.add_middleware(AuthMiddleware, ...)` or `@app.middleware("http")` on a function."""

    receiver: V
    target: V  # the middleware class, or the decorated function
    line: int = 0


@dataclass(frozen=True)
class CallFact:
    """A call passing names to a function (`register_routes(app)`): lets the linker bind the
    function's parameters to what the caller passes."""

    callee: V
    args: Tuple[V, ...]
    kw: Tuple[Tuple[str, V], ...]


@dataclass
class FileFacts:
    """Everything one file says (in memory; routes_store.py packs it for the cache)."""

    module: str
    uses_fastapi: bool
    functions: Dict[str, FuncFact] = field(default_factory=dict)
    classes: Dict[str, ClassFact] = field(default_factory=dict)
    assigns: Dict[str, V] = field(default_factory=dict)
    routes: List[RouteFact] = field(default_factory=list)
    includes: List[IncludeFact] = field(default_factory=list)
    calls: List[CallFact] = field(default_factory=list)
    middleware: List[MiddlewareFact] = field(default_factory=list)


# -- the visitor -----------------------------------------------------------------------------

class _Frame:
    def __init__(self, kind: str, qual: str, node: cst.CSTNode):
        self.kind = kind  # "func" | "class"
        self.qual = qual
        self.node = node
        self.locals: Dict[str, V] = {}
        self.params: Dict[str, Dict[str, Any]] = {}
        self.param_nodes: List[cst.Param] = []
        self.request_params: set = set()
        # evidence
        self.decodes = False
        self.verifier_call = False
        self.reads: List[str] = []
        self.raises = False
        self.raises_auth = 0
        self.raised: List[V] = []
        self.returns_none = False
        self.tests: List[cst.BaseExpression] = []  # conditions of the `if`s around the current statement
        self.returns: List[V] = []
        self.calls: List[V] = []
        self.passes_names = False
        self.admin_check = False
        self.param_calls: List[Tuple[str, str]] = []
        self.request_to_call = False
        # class frames
        self.bases: Tuple[V, ...] = ()
        self.decorators: Tuple[V, ...] = ()
        self.attrs: List[Tuple[str, Optional[V], Optional[V]]] = []
        self.methods: List[str] = []
        self.mentions_reject = 0


def _status_code(node: cst.CSTNode) -> int:
    """401 or 403 for an integer or a `status.HTTP_401_UNAUTHORIZED`-style name, else 0."""
    if isinstance(node, cst.Integer):
        return int(node.value) if node.value in ("401", "403") else 0
    name = astutil.name_of(node)
    if not name:
        return 0
    if name.startswith("HTTP_401") or name == "UNAUTHORIZED":
        return 401
    if name.startswith("HTTP_403") or name == "FORBIDDEN":
        return 403
    return 0


def strongest(a: int, b: int) -> int:
    """Of two rejection statuses, the one that says more about authentication (401 > 403 > 0)."""
    return 401 if 401 in (a, b) else max(a, b)


def rejection_by_name(name: str) -> int:
    if UNAUTHENTICATED_NAMES.search(name):
        return 401
    if FORBIDDEN_NAMES.search(name):
        return 403
    return 0


def _sub_expressions(node: cst.CSTNode):
    """The expression children of the node kinds a condition or a status argument is made of;
    cheaper than `node.children` (which rebuilds the node) for these small walks."""
    if isinstance(node, cst.Attribute):
        yield node.value
    elif isinstance(node, cst.Call):
        yield node.func
        for a in node.args:
            yield a.value
    elif isinstance(node, cst.Comparison):
        yield node.left
        for c in node.comparisons:
            yield c.comparator
    elif isinstance(node, cst.BooleanOperation):
        yield node.left
        yield node.right
    elif isinstance(node, cst.UnaryOperation):
        yield node.expression
    elif isinstance(node, cst.BinaryOperation):
        yield node.left
        yield node.right
    elif isinstance(node, cst.Subscript):
        yield node.value
        for e in node.slice:
            if isinstance(e.slice, cst.Index):
                yield e.slice.value
    elif isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        for el in node.elements:
            yield el.value
    elif isinstance(node, cst.Await):
        yield node.expression


def _expr_walk(node: cst.CSTNode, limit: int = 200):
    stack = [node]
    n = 0
    while stack and n < limit:
        cur = stack.pop()
        n += 1
        yield cur
        stack.extend(_sub_expressions(cur))


def _mentions_status(node: cst.CSTNode) -> int:
    """A 401/403 status among a raised/returned call's arguments (`HTTPException(401)`,
    `status_code=status.HTTP_401_UNAUTHORIZED`, `HTTPStatus.FORBIDDEN.value`); 0 if none."""
    if isinstance(node, cst.Call):
        found = 0
        for a in node.args:
            if a.keyword is None or a.keyword.value in ("status_code", "status", "code"):
                for n in _expr_walk(a.value, 8):
                    found = strongest(found, _status_code(n))
        return found
    return _status_code(node)


def _guard_names(expr: cst.BaseExpression, out: set) -> None:
    """Names tested for None/truthiness by a condition: `x`, `not x`, `x is None`,
    `x is not None`, `x == None`, `a and b`, `isinstance(x, T)`, `bool(x)`."""
    if isinstance(expr, cst.Name):
        out.add(expr.value)
    elif isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        _guard_names(expr.expression, out)
    elif isinstance(expr, cst.BooleanOperation):
        _guard_names(expr.left, out)
        _guard_names(expr.right, out)
    elif isinstance(expr, cst.Comparison):
        if isinstance(expr.left, cst.Name) and any(
                isinstance(c.comparator, cst.Name) and c.comparator.value == "None" for c in expr.comparisons):
            out.add(expr.left.value)
        for c in expr.comparisons:
            if isinstance(c.comparator, cst.Name) and isinstance(expr.left, cst.Name) and expr.left.value == "None":
                out.add(c.comparator.value)
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("isinstance", "bool"):
        if expr.args and isinstance(expr.args[0].value, cst.Name):
            out.add(expr.args[0].value.value)


def _missing_test(expr: cst.BaseExpression) -> Tuple[Optional[str], bool]:
    """(name, True) when `expr` holds for a missing value of `name` (`not x`, `x is None`,
    `x == None`), (name, False) when it holds for a present one (`x`, `x is not None`)."""
    if isinstance(expr, cst.Name):
        return expr.value, False
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        name, missing = _missing_test(expr.expression)
        return name, not missing
    if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1 and isinstance(expr.left, cst.Name):
        c = expr.comparisons[0]
        if isinstance(c.comparator, cst.Name) and c.comparator.value == "None":
            if isinstance(c.operator, (cst.Is, cst.Equal)):
                return expr.left.value, True
            if isinstance(c.operator, (cst.IsNot, cst.NotEqual)):
                return expr.left.value, False
    return None, False


_REFUSING_CALL = re.compile(r"(^|[._])(raise|abort|deny|reject|forbid|unauthori[sz]ed|forbidden)", re.I)


def _refuses(body: cst.BaseSuite) -> bool:
    """A block that ends the request: it raises, returns a 401/403 response, or calls a helper
    named for refusing (`raise_unauthorized()`, `abort(401)`)."""
    for n in astutil.walk(body):
        if isinstance(n, cst.Raise):
            return True
        if isinstance(n, cst.Return) and n.value is not None and _mentions_status(n.value):
            return True
        if isinstance(n, cst.Call) and _REFUSING_CALL.search(astutil.name_of(n.func) or ""):
            return True
    return False



class RoutesVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        names = ctx.names
        self.out = FileFacts(
            module=ctx.module_name,
            uses_fastapi=any(v == "fastapi" or v.startswith("fastapi.") for v in names.imports.values())
            or any(s.startswith("fastapi") for s in names.star_imports),
        )
        self.stack: List[_Frame] = []
        # Loop targets bound to literal iterables / other iterables: name -> V
        self.loops: List[Dict[str, V]] = []
        self._pending_routes: List[Tuple[dict, cst.CSTNode, List[cst.CSTNode]]] = []
        self._deref_nodes: Dict[Tuple[str, str], cst.CSTNode] = {}
        self._func_nodes: Dict[str, cst.CSTNode] = {}
        self._depth_guard = 0
        self._if_frames: List[Optional[_Frame]] = []

    # -- scopes ----------------------------------------------------------------------------
    def _func(self) -> Optional[_Frame]:
        for f in reversed(self.stack):
            if f.kind == "func":
                return f
        return None

    def _top(self) -> Optional[_Frame]:
        return self.stack[-1] if self.stack else None

    def _qual_for(self, name: str) -> str:
        top = self._top()
        if top is None:
            return name
        return f"{top.qual}.<locals>.{name}" if top.kind == "func" else f"{top.qual}.{name}"

    def _local_frame(self, name: str) -> Optional[_Frame]:
        """The innermost enclosing function that binds `name` (class bodies do not count,
        as in Python)."""
        for i, f in enumerate(reversed(self.stack)):
            if f.kind != "func":
                continue
            if name in f.params or name in f.locals:
                return f
        return None

    # -- values ----------------------------------------------------------------------------
    def val(self, node: Optional[cst.CSTNode], depth: int = 0) -> V:
        if node is None:
            return UNK
        if depth > MAX_DEPTH:
            return UNK
        d = depth + 1
        if isinstance(node, (cst.Name, cst.Attribute)):
            return self._name_val(node, d)
        if isinstance(node, cst.Call):
            return self._call_val(node, d)
        if isinstance(node, cst.Subscript):
            return self._subscript_val(node, d)
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.BitOr):
                left, right = node.left, node.right
                if isinstance(right, cst.Name) and right.value == "None":
                    return V("opt", a=(self.val(left, d),))
                if isinstance(left, cst.Name) and left.value == "None":
                    return V("opt", a=(self.val(right, d),))
                return UNK
            if isinstance(node.operator, cst.Add):
                parts = self._concat_parts(node, d)
                return parts if parts is not None else UNK
            return UNK
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return self._str_val(astutil.literal_str(node))
        if isinstance(node, cst.FormattedString):
            s = astutil.literal_str(node)
            if s is not None:
                return self._str_val(s)
            return self._fstring_val(node, d)
        if isinstance(node, (cst.Integer,)):
            try:
                return V("lit", lit=int(node.value.replace("_", ""), 0))
            except ValueError:
                return UNK
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            items = []
            for el in node.elements[:MAX_LIST]:
                if isinstance(el, cst.StarredElement):
                    items.append(V("iter", a=(self.val(el.value, d),)))
                else:
                    items.append(self.val(el.value, d))
            return V("list", a=tuple(items))
        if isinstance(node, cst.IfExp):
            return V("ifexp", a=(self.val(node.test, d), self.val(node.body, d), self.val(node.orelse, d)))
        if isinstance(node, cst.Await):
            return self.val(node.expression, d)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            inner = self.val(node.expression, d)
            if inner.k == "lit" and isinstance(inner.lit, bool):
                return V("lit", lit=not inner.lit)
            return UNK
        if isinstance(node, cst.Lambda):
            return V("unk", q="lambda")
        return UNK

    def _str_val(self, s: Optional[str]) -> V:
        if s is None:
            return UNK
        if s == "" or s.startswith("/"):
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
        if isinstance(node, cst.Name):
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
        assert isinstance(node, cst.Attribute)
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
        if (q in OPTIONAL or q == "Optional") and elems:
            return V("opt", a=(self.val(elems[0], d),))
        if (q in UNION or q == "Union") and elems:
            nones = [e for e in elems if isinstance(e, cst.Name) and e.value == "None"]
            rest = [e for e in elems if e not in nones]
            if nones and len(rest) == 1:
                return V("opt", a=(self.val(rest[0], d),))
            return UNK
        return V("unk", q=(base.q if base.k in ("ref", "unk") else "") + "[…]")

    # -- functions -------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qual = self._qual_for(node.name.value)
        top = self._top()
        is_method = top is not None and top.kind == "class"
        params: List[ParamFact] = []
        frame = _Frame("func", qual, node)
        for p in astutil.parameters(node):
            pname = p.name.value
            ann = self.val(p.annotation.annotation) if p.annotation is not None else None
            default = self.val(p.default) if p.default is not None else None
            cred = self._param_credential(pname, p)
            required = p.default is None or (isinstance(p.default, cst.Call) and _required_marker(p.default))
            params.append(ParamFact(name=pname, ann=ann, default=default, star=bool(p.star) and p.star != "",
                                    credential=cred, required=required))
            frame.params[pname] = {"checked": False}
            if p.annotation is not None:
                aq = self.ctx.qualify(p.annotation.annotation) if isinstance(
                    p.annotation.annotation, (cst.Name, cst.Attribute)) else None
                if aq in REQUEST_TYPES:
                    frame.request_params.add(pname)
            elif pname in ("request", "websocket"):
                frame.request_params.add(pname)
        frame.param_facts = params  # type: ignore[attr-defined]
        frame.returns_ann = self.val(node.returns.annotation) if node.returns is not None else None  # type: ignore[attr-defined]
        frame.decorator_vals = tuple(self.val(dec.decorator) for dec in node.decorators)  # type: ignore[attr-defined]
        frame.is_method = is_method  # type: ignore[attr-defined]
        # routes declared by decorators
        for dec in node.decorators:
            self._route_decorator(dec, node, qual, top)
        if top is not None:
            if top.kind == "func":
                top.locals[node.name.value] = V("def", q=qual)
            else:
                top.methods.append(node.name.value)
        self.stack.append(frame)
        self._func_nodes[qual] = node

    def _param_credential(self, pname: str, p: cst.Param) -> str:
        """The credential a parameter reads itself: `authorization: str = Header()`,
        `Annotated[str, Cookie()]`, `token: str` (query), `x_api_key = Header(alias=...)`."""
        calls: List[cst.Call] = []
        if isinstance(p.default, cst.Call):
            calls.append(p.default)
        ann = p.annotation.annotation if p.annotation is not None else None
        if isinstance(ann, cst.Subscript):
            for e in ann.slice:
                if isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Call):
                    calls.append(e.slice.value)
        for c in calls:
            q = self.ctx.qualify(c.func) if isinstance(c.func, (cst.Name, cst.Attribute)) else None
            kind = ("header" if q in HEADER_PARAMS else "cookie" if q in COOKIE_PARAMS
                    else "query" if q in QUERY_PARAMS else None)
            if kind is None:
                continue
            alias = astutil.literal_str(astutil.argument(c, "alias"))
            key = alias if alias is not None else pname
            if (kind == "query" and is_credential_name(key)) or (kind != "query" and (
                    is_credential_name(key) or is_credential_key(key))):
                return f"{kind}:{key.lower()}"
            return ""
        no_default = p.default is None or (isinstance(p.default, cst.Name) and p.default.value == "None")
        if no_default and is_credential_name(pname) and (ann is None or _is_str_annotation(ann)):
            return f"query:{pname.lower()}"
        return ""

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self.stack.pop()
        params = []
        for pf in frame.param_facts:  # type: ignore[attr-defined]
            st = frame.params.get(pf.name, {})
            params.append(ParamFact(name=pf.name, ann=pf.ann, default=pf.default, star=pf.star,
                                    credential=pf.credential, required=pf.required,
                                    checked=bool(st.get("checked")), rejects_missing=bool(st.get("rejects")),
                                    deref_line=0,
                                    deref_text=st.get("deref_text", "")))
            if st.get("deref") is not None:
                self._deref_nodes[(frame.qual, pf.name)] = st["deref"]
        fact = FuncFact(
            name=frame.qual, line=0, params=tuple(params), returns_ann=frame.returns_ann,  # type: ignore[attr-defined]
            decorators=frame.decorator_vals, is_method=frame.is_method,  # type: ignore[attr-defined]
            decodes=frame.decodes, verifier_call=frame.verifier_call, reads=tuple(dict.fromkeys(frame.reads)),
            raises=frame.raises, raises_auth=frame.raises_auth, raised=tuple(frame.raised[:16]),
            returns_none=frame.returns_none, returns=tuple(_slim(r) for r in frame.returns[:16] if _worth_keeping(r)),
            calls=tuple(dict.fromkeys(frame.calls))[:64], passes_names=frame.passes_names,
            admin_check=frame.admin_check, param_calls=tuple(dict.fromkeys(frame.param_calls)),
            local_values=tuple((k, _slim(v)) for k, v in frame.locals.items() if _worth_keeping(v)),
            request_to_call=frame.request_to_call, takes_request=bool(frame.request_params),
            super_init=getattr(frame, "super_init", None),
            super_calls=tuple(dict.fromkeys(getattr(frame, "super_calls", ()))),
        )
        self.out.functions[frame.qual] = fact

    # -- classes ---------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qual = self._qual_for(node.name.value)
        frame = _Frame("class", qual, node)
        frame.bases = tuple(self._callee_val(b.value, 0) for b in node.bases if b.keyword is None)
        frame.decorators = tuple(self.val(d.decorator) for d in node.decorators)
        top = self._top()
        if top is not None and top.kind == "func":
            top.locals[node.name.value] = V("def", q=qual)
        self.stack.append(frame)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        frame = self.stack.pop()
        self.out.classes[frame.qual] = ClassFact(
            name=frame.qual, bases=frame.bases, decorators=frame.decorators, attrs=tuple(frame.attrs),
            methods=tuple(frame.methods), mentions_reject=frame.mentions_reject)

    def visit_Integer(self, node: cst.Integer) -> None:
        if node.value in ("401", "403"):
            for f in self.stack:
                if f.kind == "class":
                    f.mentions_reject = strongest(f.mentions_reject, int(node.value))

    # -- bindings --------------------------------------------------------------------------
    def _bind(self, target: cst.BaseExpression, value: V, annotation: Optional[V] = None) -> None:
        top = self._top()
        if isinstance(target, cst.Name):
            name = target.value
            if top is None:
                if value.k != "unk" or annotation is not None:
                    self.out.assigns[name] = value
            elif top.kind == "func":
                top.locals[name] = value
            else:
                top.attrs.append((name, annotation, value if value.k != "unk" or annotation is None else None))
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            # `self.router = APIRouter(...)` in a method: an attribute of the class
            for f in reversed(self.stack):
                if f.kind == "class":
                    if value.k in ("call", "ref", "dep", "list"):
                        f.attrs.append((target.attr.value, annotation, value))
                    break

    def visit_Assign(self, node: cst.Assign) -> None:
        value = self.val(node.value)
        for t in node.targets:
            self._bind(t.target, value)
        if isinstance(node.value, cst.Call):
            self._maybe_call_fact(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        ann = self.val(node.annotation.annotation)
        value = self.val(node.value) if node.value is not None else UNK
        if isinstance(node.target, cst.Name) and node.value is None and (self._top() is None or self._top().kind != "class"):
            return
        self._bind(node.target, value, ann)
        if isinstance(node.value, cst.Call):
            self._maybe_call_fact(node.value)

    def visit_TypeAlias(self, node) -> None:  # `type CurrentUser = Annotated[...]` (3.12)
        self._bind(node.name, self.val(node.value))

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self._maybe_call_fact(node.value)

    def _maybe_call_fact(self, call: cst.Call) -> None:
        if not any(isinstance(a.value, (cst.Name, cst.Attribute)) for a in call.args):
            return
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                "include_router", "mount", "add_api_route", "add_middleware", "get", "post"):
            return
        callee = self._callee_val(call.func, 0)
        # functions called by name (`register_routes(app)`), not methods of objects
        # (`session.add(item)`, most of a program's calls)
        if callee.k not in ("ref", "def", "loc"):
            return
        if callee.k == "ref" and callee.q.split(".")[0] in _NOT_PROJECT:
            return

        def arg(node: cst.BaseExpression) -> V:
            return self.val(node) if isinstance(node, (cst.Name, cst.Attribute)) else UNK

        args = tuple(arg(a.value) for a in call.args if a.keyword is None and not a.star)
        kw = tuple((a.keyword.value, arg(a.value)) for a in call.args if a.keyword is not None)
        self.out.calls.append(CallFact(callee=callee, args=args, kw=kw))

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

    def leave_For(self, original_node: cst.For) -> None:
        self.loops.pop()

    # -- calls: routes, inclusions and evidence --------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and node.args:
            # `router.post("/register")(register_user)`: a decorator applied by hand
            if func.func.attr.value in ROUTE_DECORATORS:
                self._route_applied(node, func)
        if isinstance(func, cst.Attribute):
            attr = func.attr.value
            if attr in ROUTE_CALLS:
                self._route_call(node, attr)
            elif attr == "include_router":
                self._include(node)
            elif attr == "mount":
                self._mount(node)
            elif attr == "add_middleware" and node.args and node.args[0].keyword is None:
                self.out.middleware.append(MiddlewareFact(self.val(func.value), self.val(node.args[0].value)))
        frame = self._func()
        if frame is not None:
            self._call_evidence(frame, node)
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)
                    and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"):
                frame.__dict__.setdefault("super_calls", []).append(func.attr.value)
                if func.attr.value == "__init__":
                    frame.super_init = self.val(node)  # type: ignore[attr-defined]

    def _call_evidence(self, frame: _Frame, node: cst.Call) -> None:
        func = node.func
        q = self.ctx.qualify(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if q is not None:
            head = func
            while isinstance(head, cst.Attribute):
                head = head.value
            if isinstance(head, cst.Name) and self._local_frame(head.value) is not None:
                q = None
        if q is not None:
            if q in VERIFIERS or any(q.startswith(v + ".") for v in VERIFIERS):
                frame.decodes = True
            frame.calls.append(V("ref", q=q))
        elif isinstance(func, cst.Name):
            v = self.val(func)
            if v.k in ("def", "loc"):
                frame.calls.append(v)
        elif isinstance(func, cst.Attribute):
            attr = func.attr.value
            base = func.value
            # request.headers.get("Authorization") / request.cookies.get("session")
            if attr == "get" and isinstance(base, cst.Attribute) and base.attr.value in ("headers", "cookies"):
                key = _header_key(node.args[0].value) if node.args else None
                if key is not None and is_credential_key(key):
                    frame.reads.append(f"{'header' if base.attr.value == 'headers' else 'cookie'}:{key.lower()}")
            elif isinstance(base, cst.Name) and base.value == "self":
                frame.calls.append(V("attr", a=(V("loc", q="self", s=frame.qual),), q=attr))
            elif isinstance(base, cst.Name) and base.value in frame.params:
                frame.param_calls.append((base.value, attr))
            if attr in VERIFIER_METHODS:
                frame.verifier_call = True
            if attr in ("__call__",) and isinstance(base, cst.Call):  # super().__call__(request)
                pass
        for a in node.args:
            if isinstance(a.value, cst.Name):
                if a.value.value in frame.request_params:
                    frame.request_to_call = True
                if a.value.value in frame.params or a.value.value in frame.locals:
                    frame.passes_names = True

    def _route_decorator(self, dec: cst.Decorator, fn: cst.FunctionDef, qual: str, top: Optional[_Frame]) -> None:
        callee, call = astutil.decorator_call(dec)
        if call is None or not isinstance(callee, cst.Attribute):
            return
        attr = callee.attr.value
        if attr == "middleware":  # @app.middleware("http")
            self.out.middleware.append(MiddlewareFact(self.val(callee.value), V("def", q=qual)))
            return
        if attr not in ROUTE_DECORATORS:
            return
        kind, default_methods = ROUTE_DECORATORS[attr]
        path_node = astutil.argument(call, "path", 0)
        if path_node is None:
            return
        methods = self._methods(call, default_methods, kind)
        lines_nodes = [dec, fn.name]
        self._pending_routes.append(({
            "receiver": self.val(callee.value), "kind": kind, "form": "decorator", "methods": methods,
            "path": self.val(path_node), "dependencies": self._opt_val(astutil.argument(call, "dependencies")),
            "handler": qual, "endpoint": None, "cls": top.qual if top is not None and top.kind == "class" else "",
        }, dec, lines_nodes))

    def _route_applied(self, node: cst.Call, deco: cst.Call) -> None:
        assert isinstance(deco.func, cst.Attribute)
        kind, default_methods = ROUTE_DECORATORS[deco.func.attr.value]
        path_node = astutil.argument(deco, "path", 0)
        if path_node is None:
            return
        top = self._top()
        self._pending_routes.append(({
            "receiver": self.val(deco.func.value), "kind": kind, "form": "decorator-call",
            "methods": self._methods(deco, default_methods, kind), "path": self.val(path_node),
            "dependencies": self._opt_val(astutil.argument(deco, "dependencies")), "handler": "",
            "endpoint": self.val(node.args[0].value),
            "cls": top.qual if top is not None and top.kind == "class" else "",
        }, node, [node]))

    def _methods(self, call: cst.Call, default: Tuple[str, ...], kind: str) -> Tuple[str, ...]:
        if kind == "ws":
            return default
        node = astutil.argument(call, "methods")
        if node is None:
            return default
        value = astutil.literal_value(node, None)
        if isinstance(value, (list, tuple, set)) and value and all(isinstance(m, str) for m in value):
            return tuple(sorted({m.upper() for m in value}, key=_method_order))
        return default

    def _opt_val(self, node: Optional[cst.BaseExpression]) -> Optional[V]:
        return self.val(node) if node is not None else None

    def _route_call(self, node: cst.Call, attr: str) -> None:
        kind, default_methods = ROUTE_CALLS[attr]
        path_node = astutil.argument(node, "path", 0)
        endpoint = astutil.argument(node, "endpoint", 1)
        if path_node is None or endpoint is None:
            return
        assert isinstance(node.func, cst.Attribute)
        top = self._top()
        self._pending_routes.append(({
            "receiver": self.val(node.func.value), "kind": kind, "form": attr,
            "methods": self._methods(node, default_methods, kind), "path": self.val(path_node),
            "dependencies": self._opt_val(astutil.argument(node, "dependencies")), "handler": "",
            "endpoint": self.val(endpoint), "cls": top.qual if top is not None and top.kind == "class" else "",
        }, node, [node]))

    def _include(self, node: cst.Call) -> None:
        assert isinstance(node.func, cst.Attribute)
        child = astutil.argument(node, "router", 0)
        if child is None:
            return
        self.out.includes.append(IncludeFact(
            parent=self.val(node.func.value), child=self.val(child),
            prefix=self._opt_val(astutil.argument(node, "prefix")),
            dependencies=self._opt_val(astutil.argument(node, "dependencies")), kind="include"))

    def _mount(self, node: cst.Call) -> None:
        assert isinstance(node.func, cst.Attribute)
        path = astutil.argument(node, "path", 0)
        app = astutil.argument(node, "app", 1)
        if path is None or app is None:
            return
        self.out.includes.append(IncludeFact(parent=self.val(node.func.value), child=self.val(app),
                                             prefix=self.val(path), dependencies=None, kind="mount"))

    # -- evidence inside functions -----------------------------------------------------------
    def visit_Subscript(self, node: cst.Subscript) -> None:
        frame = self._func()
        if frame is None:
            return
        base = node.value
        if isinstance(base, cst.Attribute) and base.attr.value in ("headers", "cookies") and node.slice:
            el = node.slice[0].slice
            key = _header_key(el.value) if isinstance(el, cst.Index) else None
            if key is not None and is_credential_key(key):
                frame.reads.append(f"{'header' if base.attr.value == 'headers' else 'cookie'}:{key.lower()}")
        if isinstance(base, cst.Name):
            self._deref(frame, base.value, node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        frame = self._func()
        if frame is None:
            return
        base = node.value
        if isinstance(base, cst.Name):
            if base.value in frame.request_params and node.attr.value == "user":
                frame.reads.append("user")
            self._deref(frame, base.value, node)

    def _deref(self, frame: _Frame, name: str, node: cst.CSTNode) -> None:
        st = frame.params.get(name)
        if st is None or st.get("checked") or "deref" in st:
            return
        if name in frame.locals:  # rebound before use
            return
        st["deref"] = node
        if isinstance(node, cst.Attribute):
            st["deref_text"] = f"{name}.{node.attr.value}"
        else:
            st["deref_text"] = f"{name}[…]"

    def _guard(self, test: cst.BaseExpression) -> None:
        frame = self._func()
        if frame is None:
            return
        names: set = set()
        _guard_names(test, names)
        for n in names:
            st = frame.params.get(n)
            if st is not None and "deref" not in st:
                st["checked"] = True
        # admin checks: `if not user.is_superuser`, `if "admin" not in user.roles`
        for n in _expr_walk(test):
            if isinstance(n, cst.Attribute) and n.attr.value in ADMIN_ATTRS:
                frame.admin_check = True
                break
            if isinstance(n, (cst.SimpleString,)):
                s = astutil.literal_str(n)
                if s and len(s) <= 40 and ADMIN_WORDS.search(s):
                    frame.admin_check = True
                    break

    def visit_If(self, node: cst.If) -> None:
        # `if user is None: raise ...` / `if user: ... else: raise ...`: a missing user is refused
        name, missing = _missing_test(node.test)
        frame = self._func()
        if frame is not None and name in frame.params:
            on_missing = node.body if missing else (node.orelse.body if isinstance(node.orelse, cst.Else) else None)
            if on_missing is not None and _refuses(on_missing):
                frame.params[name]["rejects"] = True
        self._guard(node.test)
        top = self._top()
        if top is not None and top.kind == "func":
            top.tests.append(node.test)
            self._if_frames.append(top)
        else:
            self._if_frames.append(None)

    def leave_If(self, original_node: cst.If) -> None:
        frame = self._if_frames.pop() if self._if_frames else None
        if frame is not None and frame.tests:
            frame.tests.pop()

    def _config_toggle(self, frame: _Frame) -> bool:
        """The `if`s around a statement test only the deployment's configuration
        (`if not settings.AUTH_ENABLED:`, `if not auth_required():`), nothing of the request:
        no parameter, no local variable of the function."""
        if not frame.tests:
            return False
        for test in frame.tests:
            nodes = list(astutil.walk(test))
            # `.attr` and `keyword=` names are not variables
            skip = {id(n.attr) for n in nodes if isinstance(n, cst.Attribute)}
            skip |= {id(n.keyword) for n in nodes if isinstance(n, cst.Arg) and n.keyword is not None}
            for n in nodes:
                if id(n) in skip:
                    continue
                if isinstance(n, cst.Name):
                    if n.value in ("True", "False", "None"):
                        continue
                    if n.value in frame.params or n.value in frame.locals or self.ctx.qualify(n) is None:
                        return False
                elif isinstance(n, (cst.Lambda, cst.NamedExpr, cst.Await)):
                    return False
        return True

    def visit_While(self, node: cst.While) -> None:
        self._guard(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        # `assert user` is a check but not a refusal: `python -O` removes it
        self._guard(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._guard(node.test)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        frame = self._func()
        if frame is None:
            return
        names: set = set()
        _guard_names(node.left, names)
        for n in names:
            st = frame.params.get(n)
            if st is not None and "deref" not in st:
                st["checked"] = True

    def visit_Raise(self, node: cst.Raise) -> None:
        frame = self._func()
        if frame is None or node.exc is None:
            if frame is not None:
                frame.raises = True
            return
        frame.raises = True
        exc = node.exc
        frame.raises_auth = strongest(frame.raises_auth, _mentions_status(exc))
        target = exc.func if isinstance(exc, cst.Call) else exc
        if isinstance(target, (cst.Name, cst.Attribute)):
            frame.raises_auth = strongest(frame.raises_auth, rejection_by_name(astutil.name_of(target) or ""))
            v = self.val(target)
            if v.k == "loc":
                bound = frame.locals.get(v.q)
                if bound is not None and bound.k == "call":
                    frame.raises_auth = strongest(frame.raises_auth, v_rejection(bound))
            frame.raised.append(v)

    def visit_Return(self, node: cst.Return) -> None:
        frame = self._func()
        if frame is None:
            return
        value = node.value
        if value is None or (isinstance(value, cst.Name) and value.value == "None"):
            # `if not settings.AUTH_ENABLED: return None` switches authentication off for the
            # whole deployment; it does not let an anonymous request through an enabled one
            if not self._config_toggle(frame):
                frame.returns_none = True
            return
        if isinstance(value, cst.Call):
            # `return JSONResponse(status_code=401, ...)`
            frame.raises_auth = strongest(frame.raises_auth, _mentions_status(value))
        frame.returns.append(self.val(value))
        if isinstance(value, cst.Call):
            self._maybe_call_fact(value)

    def visit_Yield(self, node: cst.Yield) -> None:
        frame = self._func()
        if frame is None or node.value is None or isinstance(node.value, cst.From):
            return
        if isinstance(node.value, cst.Name) and node.value.value == "None":
            frame.returns_none = True
            return
        frame.returns.append(self.val(node.value))

    # -- output ----------------------------------------------------------------------------
    def facts(self):
        if self._pending_routes:
            lines = self.ctx.lines
            for info, node, mark_nodes in self._pending_routes:
                span = self.ctx.span(node)
                public = self._public_marker(lines, [self.ctx.span(n) for n in mark_nodes], span.line)
                self.out.routes.append(RouteFact(
                    line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column,
                    public=public, **info))
            # deref lines and function lines are only needed (and only computed) where routes live
            for (fq, pname), node in self._deref_nodes.items():
                f = self.out.functions.get(fq)
                if f is None:
                    continue
                line = self.ctx.span(node).line
                params = tuple(p if p.name != pname else _with(p, deref_line=line) for p in f.params)
                self.out.functions[fq] = _with(f, params=params)
            for fq, node in self._func_nodes.items():
                f = self.out.functions.get(fq)
                if f is not None:
                    self.out.functions[fq] = _with(f, line=self.ctx.span(node.name).line)
        _prune_locals(self.out)
        return self.out

    @staticmethod
    def _public_marker(lines: List[str], spans, first_line: int) -> Optional[str]:
        candidates = set()
        for s in spans:
            candidates.update(range(s.line, s.end_line + 1))
        # a comment block right above the route
        ln = min([first_line] + [s.line for s in spans]) - 1
        while ln >= 1 and lines[ln - 1].strip().startswith("#"):
            candidates.add(ln)
            ln -= 1
        for ln in sorted(candidates):
            if 1 <= ln <= len(lines):
                m = PUBLIC_MARK.search(lines[ln - 1])
                if m:
                    return m.group("reason").strip()
        return None


_NOT_PROJECT = frozenset({
    "fastapi", "starlette", "typing", "typing_extensions", "logging", "os", "sys", "json", "re", "datetime",
    "pydantic", "sqlalchemy", "sqlmodel", "asyncio", "time", "uuid", "math", "random", "itertools",
    "functools", "collections", "pathlib", "builtins",
})


def _slim(v: V, depth: int = 0) -> V:
    """A kept value without the parts the linker never reads: arguments that are neither names,
    paths, literals, dependencies nor lists of those are dropped (query and formatting
    expressions passed to constructors are most of a local value's size)."""
    k = v.k
    if k == "call":
        if depth > 2:
            return V("call", a=(v.a[0],))
        return V("call", a=(v.a[0],) + tuple(_slim_arg(a, depth) for a in v.args),
                 kw=tuple((n, _slim_arg(x, depth)) for n, x in v.kw))
    if k == "ifexp":
        return V("ifexp", a=tuple(_slim(x, depth + 1) for x in v.a))
    if k == "list":
        return V("list", a=tuple(_slim_arg(x, depth) for x in v.a))
    return v


def _slim_arg(v: V, depth: int) -> V:
    if v.k in ("ref", "loc", "def", "str", "fmt", "lit", "dep", "ann", "opt", "iter"):
        return v
    if v.k == "attr" and _worth_keeping(v):
        return v
    if v.k in ("call", "list", "ifexp"):
        return _slim(v, depth + 1)
    return UNK


def _worth_keeping(v: V) -> bool:
    """Local and returned values the linker can use: names, dependencies, aliases, routers and
    other objects built by calling a name, path strings. Query chains
    (`session.exec(select(X)).all()`) and other computed values are dropped: they are most of a
    project's code and never denote a router or a dependency."""
    k = v.k
    if k in ("def", "ref", "loc", "dep", "ann", "opt"):
        return True
    if k == "attr":
        return v.a[0].k in ("ref", "loc", "attr") and _worth_keeping(v.a[0])
    if k == "call":
        callee = v.a[0]
        return callee.k in ("ref", "loc", "def") or (callee.k == "attr" and _worth_keeping(callee))
    if k == "ifexp":
        return _worth_keeping(v.a[1]) or _worth_keeping(v.a[2])
    if k == "list":
        return any(_worth_keeping(x) for x in v.a)
    if k in ("str", "fmt"):
        return not (k == "str" and v.q.startswith("?"))
    return k == "iter"


def _loc_refs(values, into: set) -> None:
    """(function, name) of every local name the values mention."""
    stack = [v for v in values if v is not None]
    while stack:
        v = stack.pop()
        if v.k == "loc":
            into.add((v.s, v.q))
        stack.extend(v.a)
        stack.extend(x for _, x in v.kw)


def _prune_locals(out: "FileFacts") -> None:
    """Keep a function's local values only when something kept mentions them (a route's router,
    an inclusion, a returned value, a raised exception, a nested function's dependency...):
    the rest is most of the facts' size and the linker never asks for it."""
    needed: set = set()
    roots: list = []
    for r in out.routes:
        roots += [r.receiver, r.path, r.dependencies, r.endpoint]
    for i in out.includes:
        roots += [i.parent, i.child, i.prefix, i.dependencies]
    for m in out.middleware:
        roots += [m.receiver, m.target]
    for c in out.calls:
        roots += [c.callee, *c.args, *(x for _, x in c.kw)]
    roots += list(out.assigns.values())
    for c in out.classes.values():
        roots += [*c.bases, *c.decorators, *(x for _, a, b in c.attrs for x in (a, b))]
    for f in out.functions.values():
        roots += [f.returns_ann, f.super_init, *f.returns, *f.raised, *f.decorators, *f.calls]
        roots += [x for p in f.params for x in (p.ann, p.default)]
    _loc_refs(roots, needed)
    done: set = set()
    while True:
        more = []
        for f in out.functions.values():
            for name, v in f.local_values:
                key = (f.name, name)
                if key in needed and key not in done:
                    done.add(key)
                    more.append(v)
        if not more:
            break
        _loc_refs(more, needed)
    for q, f in list(out.functions.items()):
        kept = tuple((n, v) for n, v in f.local_values if (f.name, n) in needed or v.k == "def")
        if len(kept) != len(f.local_values):
            out.functions[q] = _with(f, local_values=kept)


def _with(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def _header_key(node: cst.BaseExpression) -> Optional[str]:
    """A header/cookie name literal, str or bytes (`b"authorization"` in ASGI middleware)."""
    s = astutil.literal_str(node)
    if s is not None:
        return s
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        if isinstance(value, bytes):
            return value.decode("latin-1")
    return None


def _is_str_annotation(ann: cst.BaseExpression) -> bool:
    """`str`, `Optional[str]`, `str | None`."""
    if isinstance(ann, cst.Name):
        return ann.value == "str"
    if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
        return any(isinstance(x, cst.Name) and x.value == "str" for x in (ann.left, ann.right)) and any(
            isinstance(x, cst.Name) and x.value == "None" for x in (ann.left, ann.right))
    if isinstance(ann, cst.Subscript) and isinstance(ann.value, cst.Name) and ann.value.value == "Optional":
        return len(ann.slice) == 1 and isinstance(ann.slice[0].slice, cst.Index) and _is_str_annotation(
            ann.slice[0].slice.value)
    return False


def _required_marker(call: cst.Call) -> bool:
    """`Header(...)` / `Header()` (no default) are required; `Header(None)` is not."""
    default = astutil.argument(call, "default", 0)
    if default is None:
        return True
    return isinstance(default, cst.Ellipsis)


def v_rejection(v: V) -> int:
    """401/403 carried by a symbolic value (`HTTPException(status_code=401)`, an exception class
    named `Unauthorized`), else 0."""
    if v.k == "lit" and v.lit in (401, 403):
        return v.lit
    if v.k == "ref":
        n = short_name(v.q)
        return 401 if n.startswith("HTTP_401") else 403 if n.startswith("HTTP_403") else 0
    if v.k == "attr":
        return 401 if v.q.startswith("HTTP_401") else 403 if v.q.startswith("HTTP_403") else 0
    if v.k == "call":
        found = 0
        callee = v.callee
        if callee is not None and callee.k in ("ref", "loc"):
            found = rejection_by_name(short_name(callee.q))
        for a in list(v.args) + [x for n, x in v.kw if n in ("status_code", "status", "code")]:
            found = strongest(found, v_rejection(a))
        return found
    return 0


_ORDER = {m: i for i, m in enumerate(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "WEBSOCKET"))}


def _method_order(m: str) -> Tuple[int, str]:
    return (_ORDER.get(m, 99), m)
