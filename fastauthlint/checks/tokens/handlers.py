"""Where the message of an exception raised in a `try` goes, for FAL401/FAL402: what the `except`
that catches it does with it (`Fate`).

    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        logger.exception("refused")        # logged: the message is in the log (FAL401)

A handler that logs the exception (`logger.exception(...)`, the bound name in a log call,
`exc_info=True`) puts the message in a log; one that re-raises, or uses the exception anywhere
else (`HTTPException(detail=str(exc))`, `return {"error": str(exc)}`), may hand it to a client
(FAL402, as an exception nobody catches here); one that does neither drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional

import libcst as cst

from fastauthlint import astutil

_EVERYTHING = frozenset({"Exception", "BaseException"})


@dataclass(frozen=True)
class Fate:
    catches: frozenset  # exception class names; "*" for a bare `except:`
    logged: str  # how the log sink is shown, or ""
    echoed: bool  # re-raised or used outside a log: it may reach a client


def caught_by(catchers: List[list], raised: str, fate_of: Callable[[cst.ExceptHandler], Fate]) -> Optional[Fate]:
    """The fate of an exception `raised` in the innermost enclosing `try` whose handlers catch it
    (by its name, `Exception`, or a bare `except:`); None when no handler here catches it."""
    for handlers in reversed(catchers):
        for h in handlers:
            fate = fate_of(h)
            if "*" in fate.catches or raised in fate.catches or fate.catches & _EVERYTHING:
                return fate
    return None


def caught_names(h: cst.ExceptHandler) -> frozenset:
    if h.type is None:
        return frozenset({"*"})
    types = h.type.elements if isinstance(h.type, cst.Tuple) else [h.type]
    names = set()
    for t in types:
        node = t.value if isinstance(t, cst.Element) else t
        name = astutil.name_of(node)
        if name:
            names.add(name)
    return frozenset(names)


def statement_calls(body, calls_by_owner: Dict[int, List[cst.Call]]) -> Iterator[cst.Call]:
    """The calls of a block's statements, nested blocks included (from the traversal's index)."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                yield from calls_by_owner.get(id(small), ())
            continue
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        yield from calls_by_owner.get(id(stmt), ())
        for part in ("body", "orelse", "finalbody"):
            block = getattr(stmt, part, None)
            inner = getattr(block, "body", None)
            if isinstance(inner, cst.IndentedBlock):
                inner = inner.body
            if isinstance(inner, (list, tuple)):
                yield from statement_calls(inner, calls_by_owner)
        for h in getattr(stmt, "handlers", ()):
            yield from statement_calls(h.body.body, calls_by_owner)


def handler_fate(h: cst.ExceptHandler, calls_by_owner: Dict[int, List[cst.Call]],
                 log_sink: Callable[[cst.Call], Optional[str]]) -> Fate:
    """What the handler `h` does with what it catches (`log_sink(call)`: how a log call is shown,
    None for any other call)."""
    bound = h.name.name.value if h.name is not None and isinstance(h.name.name, cst.Name) else None
    logged = ""
    in_logs = set()
    for call in statement_calls(h.body.body, calls_by_owner):
        shown = log_sink(call)
        if shown is None:
            continue
        mentions = bound is not None and any(isinstance(n, cst.Name) and n.value == bound
                                             for a in call.args for n in astutil.walk(a.value))
        exc_info = any(a.keyword is not None and a.keyword.value == "exc_info"
                       and not (isinstance(a.value, cst.Name) and a.value.value in ("False", "None")) for a in call.args)
        if mentions or exc_info or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "exception"):
            logged = logged or shown
            in_logs.add(id(call))
    echoed = False
    stack: List[cst.CSTNode] = [h.body]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Call) and id(n) in in_logs:
            continue  # what a log call does with it is the log's business
        if isinstance(n, cst.Raise) and n.exc is None:
            echoed = True  # a bare `raise`: on its way, wherever it goes
        elif bound is not None and isinstance(n, cst.Name) and n.value == bound:
            echoed = True  # `HTTPException(detail=str(exc))`, `return {"error": str(exc)}`
        stack.extend(astutil.children(n))
    return Fate(caught_names(h), logged, echoed)


def catching(raised: str, handlers) -> Optional[tuple]:
    """The first of a call's `except` clauses (`facts.Handler`, innermost first) that catches the
    exception `raised` in the callee, or None when it leaves uncaught."""
    for h in handlers:
        catches = set(h[0])
        if "*" in catches or raised in catches or catches & _EVERYTHING:
            return h
    return None
