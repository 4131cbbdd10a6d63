"""Where a value flows inside one function, for FAL401/FAL402: the function's statements read in
order (`FunctionWalk`), each statement's calls checked as sinks before its targets are bound.

A small taint analysis per function, with no CST kept after the file: a `FunctionState` starts from
the parameters (credentials.py says which hold credentials), `Values` follows assignments, and
`Sinks` judges what reaches a log, an error or a response. Branches are read one after the other
(a name tainted on one branch stays tainted after it); nested functions and classes are analysed on
their own. Top-level functions leave a summary (`FunctionFacts`) for the linking step.
"""

from __future__ import annotations

from typing import List

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.tokens.credentials import is_push_code, shown_not_secret
from fastauthlint.checks.tokens.facts import FunctionFacts
from fastauthlint.checks.tokens.taint import EMPTY, FunctionState

ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "api_route", "route",
                           "websocket", "trace"})


def is_route(func: cst.FunctionDef) -> bool:
    for dec in func.decorators:
        callee, call = astutil.decorator_call(dec)
        if call is not None and isinstance(callee, cst.Attribute) and callee.attr.value in ROUTE_METHODS:
            return True
    return False


class FunctionWalk:
    """Reads one function (or the module's top level) at a time, when the traversal leaves it."""

    def __init__(self, ctx, credentials, values, sinks):
        self.ctx = ctx
        self.credentials = credentials
        self.values = values
        self.sinks = sinks
        self.function_facts: List[FunctionFacts] = []  # summaries of the functions worth linking

    def function(self, func: cst.FunctionDef, top: bool, calls: List[cst.Call],
                 comparisons: List[cst.Comparison], in_test: bool) -> None:
        """`calls`, `comparisons`: those of the function's body, nested functions' included."""
        params = astutil.parameters(func)
        facts = FunctionFacts(func.name.value, [p.name.value for p in params]) if top else None
        state = FunctionState(is_route(func), facts, in_test, device_tokens=is_push_code(func))
        state.params = {p.name.value for p in params}
        state.not_secret = shown_not_secret(calls, comparisons, self.ctx)
        self.credentials.masks(state, params, calls)
        for i, p in enumerate(params):
            state.env[p.name.value] = self.credentials.param_taint(i, p, state)
        self._block(func.body.body if isinstance(func.body, cst.IndentedBlock) else [func.body], state)
        if facts is not None and (facts.flows or facts.calls or facts.returns or facts.returns_calls
                                  or facts.deps or facts.returns_params):
            facts.flows.sort(key=lambda f: (f.span or (0, 0, 0, 0), f.label, f.ref))
            self.function_facts.append(facts)

    def module(self, node: cst.Module, in_test: bool) -> None:
        """Module-level code; its calls to helpers are kept like a function's."""
        state = FunctionState(False, FunctionFacts("<module>", []), in_test)
        self._block(node.body, state)
        if state.facts.calls or state.facts.flows:
            self.function_facts.append(state.facts)

    # -- statements, in order -------------------------------------------------------------------
    def _block(self, body, state: FunctionState) -> None:
        for stmt in body:
            self._statement(stmt, state)

    def _statement(self, stmt: cst.CSTNode, state: FunctionState) -> None:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return  # analysed on their own
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small, state)
            return
        if isinstance(stmt, cst.If):
            self.sinks.at(stmt, state)
            self._block(stmt.body.body, state)
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                self._statement(orelse, state)
            elif orelse is not None:
                self._block(orelse.body.body, state)
            return
        if isinstance(stmt, (cst.For,)):
            self.sinks.at(stmt, state)
            self.values.loop_bind(stmt.target, stmt.iter, state)  # the iterable says what it holds
            self._block(stmt.body.body, state)
            if stmt.orelse is not None:
                self._block(stmt.orelse.body.body, state)
            return
        if isinstance(stmt, cst.While):
            self.sinks.at(stmt, state)
            self._block(stmt.body.body, state)
            return
        if isinstance(stmt, cst.With):
            self.sinks.at(stmt, state)
            for item in stmt.items:
                if item.asname is not None:
                    self.values.bind(item.asname.name, self.values.taint(item.item, state), state, item.item)
            self._block(stmt.body.body, state)
            return
        if isinstance(stmt, cst.Try) or type(stmt).__name__ == "TryStar":
            self._block(stmt.body.body, state)
            for h in stmt.handlers:
                self._block(h.body.body, state)
            if stmt.orelse is not None:
                self._block(stmt.orelse.body.body, state)
            if stmt.finalbody is not None:
                self._block(stmt.finalbody.body.body, state)
            return
        if type(stmt).__name__ == "Match":
            self.sinks.at(stmt, state)
            for case in stmt.cases:
                self._block(case.body.body, state)
            return
        body = getattr(stmt, "body", None)
        if isinstance(body, cst.IndentedBlock):
            self._block(body.body, state)

    def _small(self, small: cst.BaseSmallStatement, state: FunctionState) -> None:
        if isinstance(small, cst.Assign):
            self.sinks.at(small, state)
            value = self.values.taint(small.value, state)
            self.credentials.note_masked_attr(small, state)
            for t in small.targets:
                self.sinks.header_assignment(t.target, small.value, value, state)
                self.values.bind(t.target, value, state, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.sinks.at(small, state)
                self.values.bind(small.target, self.values.taint(small.value, state), state, small.value)
        elif isinstance(small, cst.AugAssign):
            self.sinks.at(small, state)
            if isinstance(small.target, cst.Name):
                name = small.target.value
                state.env[name] = state.env.get(name, EMPTY) | self.values.taint(small.value, state)
        elif isinstance(small, cst.Expr):
            self.sinks.at(small, state)
        elif isinstance(small, cst.Return):
            if small.value is not None:
                self.sinks.at(small, state)
                self.sinks.returned(small.value, state)
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self.sinks.at(small, state, raised=small.exc)
