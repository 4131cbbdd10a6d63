"""Compact storage of the route facts of one file.

The facts of every file are cached and read back on every run, so their size is the cost of a
warm run. The generic cache codec spells out every field of every dataclass; route facts are
mostly small symbolic expressions (`V`), hundreds per file. Here they are packed positionally
into two JSON strings: the *head* (routes, inclusions, calls: read for every file) and the *body*
(functions, classes, module assignments: decoded only for the files the linker actually looks
into).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from fastauthlint.checks.routes_facts import (
    CallFact, ClassFact, FileFacts, FuncFact, IncludeFact, MiddlewareFact, ParamFact, RouteFact, V,
)


@dataclass
class RoutesFacts:
    """What the cache stores for one file."""

    module: str
    uses_fastapi: bool
    head: str
    body: str


# -- V ---------------------------------------------------------------------------------------

def pack_v(v: Optional[V]) -> Any:
    if v is None:
        return None
    out: List[Any] = [v.k, v.q, [pack_v(a) for a in v.a], [[n, pack_v(x)] for n, x in v.kw], v.lit, v.s]
    while len(out) > 1 and out[-1] in ("", [], None):
        out.pop()
    return out


def unpack_v(d: Any) -> Optional[V]:
    if d is None:
        return None
    n = len(d)
    return V(d[0], d[1] if n > 1 else "", tuple(unpack_v(a) for a in d[2]) if n > 2 else (),
             tuple((k, unpack_v(x)) for k, x in d[3]) if n > 3 else (), d[4] if n > 4 else None,
             d[5] if n > 5 else "")


# -- dataclasses by schema -------------------------------------------------------------------

_PACK = {
    "s": lambda x: x, "i": lambda x: x, "os": lambda x: x, "b": lambda x: 1 if x else 0,
    "v": pack_v, "ov": pack_v, "vs": lambda xs: [pack_v(x) for x in xs],
    "ss": list, "sv": lambda xs: [[n, pack_v(x)] for n, x in xs], "s2": lambda xs: [list(p) for p in xs],
    "params": lambda xs: [_pack(p) for p in xs],
    "attrs": lambda xs: [[n, pack_v(a), pack_v(b)] for n, a, b in xs],
}
_UNPACK = {
    "s": lambda x: x, "i": lambda x: x, "os": lambda x: x, "b": bool,
    "v": unpack_v, "ov": unpack_v, "vs": lambda xs: tuple(unpack_v(x) for x in xs),
    "ss": tuple, "sv": lambda xs: tuple((n, unpack_v(x)) for n, x in xs), "s2": lambda xs: tuple(tuple(p) for p in xs),
    "params": lambda xs: tuple(_unpack(ParamFact, p) for p in xs),
    "attrs": lambda xs: tuple((n, unpack_v(a), unpack_v(b)) for n, a, b in xs),
}
_SCHEMA: Dict[type, List[tuple]] = {
    ParamFact: [("name", "s"), ("ann", "ov"), ("default", "ov"), ("star", "b"), ("credential", "s"),
                ("required", "b"), ("checked", "b"), ("deref_line", "i"), ("deref_text", "s")],
    FuncFact: [("name", "s"), ("line", "i"), ("params", "params"), ("returns_ann", "ov"), ("decorators", "vs"),
               ("is_method", "b"), ("decodes", "b"), ("verifier_call", "b"), ("reads", "ss"), ("raises", "b"),
               ("raises_auth", "i"), ("raised", "vs"), ("returns_none", "b"), ("returns", "vs"), ("calls", "vs"),
               ("passes_names", "b"), ("admin_check", "b"), ("param_calls", "s2"), ("local_values", "sv"),
               ("request_to_call", "b"), ("takes_request", "b"), ("super_init", "ov"), ("super_calls", "ss")],
    ClassFact: [("name", "s"), ("bases", "vs"), ("decorators", "vs"), ("attrs", "attrs"), ("methods", "ss"),
                ("mentions_reject", "i")],
    RouteFact: [("receiver", "v"), ("kind", "s"), ("form", "s"), ("methods", "ss"), ("path", "v"),
                ("dependencies", "ov"), ("handler", "s"), ("endpoint", "ov"), ("line", "i"), ("column", "i"),
                ("end_line", "i"), ("end_column", "i"), ("public", "os"), ("cls", "s")],
    IncludeFact: [("parent", "v"), ("child", "v"), ("prefix", "ov"), ("dependencies", "ov"), ("kind", "s"),
                  ("line", "i")],
    CallFact: [("callee", "v"), ("args", "vs"), ("kw", "sv")],
    MiddlewareFact: [("receiver", "v"), ("target", "v"), ("line", "i")],
}


def _pack(obj: Any) -> list:
    return [_PACK[kind](getattr(obj, name)) for name, kind in _SCHEMA[type(obj)]]


def _unpack(cls: type, data: list) -> Any:
    return cls(*(_UNPACK[kind](x) for (_, kind), x in zip(_SCHEMA[cls], data)))


# -- files -----------------------------------------------------------------------------------

def pack(facts: FileFacts) -> RoutesFacts:
    head = [[_pack(r) for r in facts.routes], [_pack(i) for i in facts.includes], [_pack(c) for c in facts.calls],
            [_pack(m) for m in facts.middleware]]
    body = [[_pack(f) for f in facts.functions.values()], [_pack(c) for c in facts.classes.values()],
            [[k, pack_v(v)] for k, v in facts.assigns.items()]]
    dump = lambda x: json.dumps(x, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
    return RoutesFacts(module=facts.module, uses_fastapi=facts.uses_fastapi, head=dump(head), body=dump(body))


class LazyFileFacts(FileFacts):
    """A file's facts decoded on first use: the head when routes/inclusions/calls are read, the
    body when its functions, classes or assignments are."""

    def __init__(self, packed: RoutesFacts):  # noqa: D107 - FileFacts' fields are filled lazily
        self.module = packed.module
        self.uses_fastapi = packed.uses_fastapi
        self._packed = packed

    def __getattr__(self, name: str) -> Any:
        packed = self.__dict__.get("_packed")
        if packed is None:
            raise AttributeError(name)
        if name in ("routes", "includes", "calls", "middleware"):
            routes, includes, calls, middleware = json.loads(packed.head)
            self.routes = [_unpack(RouteFact, r) for r in routes]
            self.includes = [_unpack(IncludeFact, i) for i in includes]
            self.calls = [_unpack(CallFact, c) for c in calls]
            self.middleware = [_unpack(MiddlewareFact, m) for m in middleware]
            return self.__dict__[name]
        if name in ("functions", "classes", "assigns"):
            functions, classes, assigns = json.loads(packed.body)
            self.functions = {f[0]: _unpack(FuncFact, f) for f in functions}
            self.classes = {c[0]: _unpack(ClassFact, c) for c in classes}
            self.assigns = {k: unpack_v(v) for k, v in assigns}
            return self.__dict__[name]
        raise AttributeError(name)
