"""Where a value flows inside one function, for FAL401/FAL402: the function's statements read in
order (`FunctionWalk`), each statement's calls checked as sinks before its targets are bound.

A small taint analysis per function, with no CST kept after the file: a `FunctionState` starts from
the parameters (credentials.py says which hold credentials), `Values` follows assignments, and
`Sinks` judges what reaches a log, an error or a response. Branches are read one after the other
(a name tainted on one branch stays tainted after it); nested functions and classes are analysed on
their own. Top-level functions leave a summary (`FunctionFacts`) for the linking step.
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.tokens.credentials import (
    REQUEST_TYPES,
    annotation_types,
    falsy_names,
    is_push_code,
    other_accounts,
    removed_header,
    shown_not_secret,
)
from fastauthlint.checks.tokens.facts import FunctionFacts
from fastauthlint.checks.tokens import rejected
from fastauthlint.checks.tokens.jwt_parts import jwt_names
from fastauthlint.checks.tokens.taint import EMPTIED, EMPTY, FunctionState
from fastauthlint.checks.tokens.copies import names_credential_headers

def _summary(func: cst.FunctionDef, params: List[cst.Param], owner: Optional[str]) -> FunctionFacts:
    facts = FunctionFacts(f"{owner}.{func.name.value}" if owner else func.name.value, [p.name.value for p in params])
    if isinstance(func.params.star_arg, cst.Param):
        facts.star = params.index(func.params.star_arg)
    if func.params.star_kwarg is not None:
        facts.kwstar = len(params) - 1
    if owner:
        decorators = {astutil.name_of(d.decorator) for d in func.decorators}
        facts.receiver = "" if "staticmethod" in decorators else ("cls" if "classmethod" in decorators else "self")
    return facts


ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "api_route", "route",
                           "websocket", "trace"})


def is_route(func: cst.FunctionDef) -> bool:
    for dec in func.decorators:
        callee, call = astutil.decorator_call(dec)
        if call is not None and isinstance(callee, cst.Attribute) and callee.attr.value in ROUTE_METHODS:
            return True
    return False


def _skips_credential_headers(body: cst.BaseSuite) -> bool:
    """A loop body with an `if` naming the credential headers (`if key.lower() in SENSITIVE_HEADERS:
    continue`, `if k not in ("authorization", "cookie"): out[k] = v`)."""
    stmts = body.body if isinstance(body, cst.IndentedBlock) else ()
    return any(isinstance(st, cst.If) and names_credential_headers(st.test) for st in stmts)


class FunctionWalk:
    """Reads one function (or the module's top level) at a time, when the traversal leaves it."""

    def __init__(self, ctx, credentials, values, sinks):
        self.ctx = ctx
        self.credentials = credentials
        self.values = values
        self.sinks = sinks
        self.function_facts: List[FunctionFacts] = []  # summaries of the functions worth linking

    def function(self, func: cst.FunctionDef, top: bool, calls: List[cst.Call],
                 comparisons: List[cst.Comparison], in_test: bool, owner: Optional[str] = None) -> None:
        """`calls`, `comparisons`: those of the function's body, nested functions' included;
        `top`: a top-level function, `owner`: the top-level class of a method (both summarised for
        the linking step)."""
        params = astutil.parameters(func)
        facts = _summary(func, params, owner) if top or owner else None
        state = FunctionState(is_route(func), facts, in_test, device_tokens=is_push_code(func))
        state.params = {p.name.value for p in params}
        state.requests = {p.name.value for p in params if p.annotation is not None
                          and set(annotation_types(p.annotation.annotation)) & REQUEST_TYPES}
        state.owner = owner
        if facts is not None:
            state.services = self.credentials.services(params)
        if state.is_route:
            state.accounts = other_accounts(params, comparisons)
        state.not_secret = shown_not_secret(calls, comparisons, self.ctx, func.name.value)
        state.jwts = jwt_names(calls, self.ctx)
        self.credentials.masks(state, params, calls)
        for i, p in enumerate(params):
            state.env[p.name.value] = self.credentials.param_taint(i, p, state)
        self._block(func.body.body if isinstance(func.body, cst.IndentedBlock) else [func.body], state)
        if facts is not None and (facts.flows or facts.calls or facts.returns or facts.returns_calls
                                  or facts.deps or facts.returns_params):
            facts.flows.sort(key=lambda f: (f.span or (0, 0, 0, 0), f.label, f.ref))
            self.function_facts.append(facts)
            self.values.local_facts[facts.name] = facts

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

    def _block_where_empty(self, body, names: List[str], state: FunctionState) -> None:
        """A branch where `names` are known to be empty (`if not token: log.warning(f"bad {token}")`
        logs an empty string): read with them empty, then as they were unless the branch rebinds them."""
        saved = {n: state.env.get(n) for n in names}
        for n in names:
            state.env[n] = EMPTIED
        self._block(body, state)
        for n, old in saved.items():
            if state.env.get(n) == EMPTIED:
                if old is None:
                    state.env.pop(n, None)
                else:
                    state.env[n] = old

    def _statement(self, stmt: cst.CSTNode, state: FunctionState) -> None:
        if type(stmt) in (cst.FunctionDef, cst.ClassDef):
            return  # analysed on their own
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                self._small(small, state)
            return
        if type(stmt) is cst.If:
            self.sinks.at(stmt, state)
            falsy, truthy = falsy_names(stmt.test)
            in_body, in_else = rejected.rejected_by(stmt.test, state)
            saved = rejected.reject(in_body, state)
            self._block_where_empty(stmt.body.body, falsy, state)
            rejected.restore(saved, state)
            orelse = stmt.orelse
            saved = rejected.reject(in_else, state)
            if type(orelse) is cst.If:
                self._statement(orelse, state)
            elif orelse is not None:
                self._block_where_empty(orelse.body.body, truthy, state)
            rejected.restore(saved, state)
            return
        if type(stmt) is cst.For:
            self.sinks.at(stmt, state)
            # The iterable says what it holds; a body that skips the credential headers copies the rest.
            self.values.loop_bind(stmt.target, stmt.iter, state, filtered=_skips_credential_headers(stmt.body))
            self._block(stmt.body.body, state)
            if stmt.orelse is not None:
                self._block(stmt.orelse.body.body, state)
            return
        if type(stmt) is cst.While:
            self.sinks.at(stmt, state)
            self._block(stmt.body.body, state)
            return
        if type(stmt) is cst.With:
            self.sinks.at(stmt, state)
            for item in stmt.items:
                if item.asname is not None:
                    self.values.bind(item.asname.name, self.values.taint(item.item, state), state, item.item)
            self._block(stmt.body.body, state)
            return
        if type(stmt) is cst.Try or type(stmt).__name__ == "TryStar":
            # What the handlers do with what they catch decides where a message raised in the
            # body ends up (a log, a response, nowhere).
            state.catchers.append(list(stmt.handlers))
            self._block(stmt.body.body, state)
            state.catchers.pop()
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
        if type(body) is cst.IndentedBlock:
            self._block(body.body, state)

    def _small(self, small: cst.BaseSmallStatement, state: FunctionState) -> None:
        if type(small) is cst.Assign:
            self.sinks.at(small, state)
            value = self.values.taint(small.value, state)
            self.credentials.note_masked_attr(small, state)
            for t in small.targets:
                self.sinks.header_assignment(t.target, small.value, value, state)
                self.values.bind(t.target, value, state, small.value)
                rejected.note_lookup(t.target, small.value, state)
        elif type(small) is cst.AnnAssign:
            if small.value is not None:
                self.sinks.at(small, state)
                self.values.bind(small.target, self.values.taint(small.value, state), state, small.value)
                rejected.note_lookup(small.target, small.value, state)
        elif type(small) is cst.AugAssign:
            self.sinks.at(small, state)
            if type(small.target) is cst.Name:
                name = small.target.value
                state.env[name] = state.env.get(name, EMPTY) | self.values.taint(small.value, state)
        elif type(small) is cst.Expr:
            self.sinks.at(small, state)
            removed_header(small.value, state)
        elif type(small) is cst.Del:
            removed_header(small, state)
        elif type(small) is cst.Return:
            if small.value is not None:
                self.sinks.at(small, state)
                self.sinks.returned(small.value, state)
        elif type(small) is cst.Raise:
            if small.exc is not None:
                self.sinks.at(small, state, raised=small.exc)
