"""The traversal of the tokens family (`TokensVisitor`): it collects, while the batched traversal
runs, what the per-function analysis needs (the calls of each statement, each function's calls and
comparisons, class and function nesting, test scaffolding) and hands each function to the walk
(flow.py) when it is left, and the module's top level at the end.

The analysis is split by the question each unit answers, as cooperating objects rather than mixins
(each owns its state and the dependencies run one way): `Credentials` (what is a credential in this
file), `Values` (what an expression or a name holds), `Sinks` (where it must not go) and
`FunctionWalk` (statements in order).
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.base import CheckVisitor
from fastauthlint.checks.secrets.sensitive import is_test_like_path, is_test_name
from fastauthlint.checks.tokens.credentials import Credentials
from fastauthlint.checks.tokens.facts import TokenFacts
from fastauthlint.checks.tokens.flow import FunctionWalk
from fastauthlint.checks.tokens.sinks import Sinks
from fastauthlint.checks.tokens.values import Values


class TokensVisitor(CheckVisitor):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.depth = 0  # function nesting
        self.class_depth = 0
        self.class_names: List[str] = []
        # Calls collected during the traversal, by the statement (or compound statement's
        # header) that holds them: walking a libcst subtree's `children` costs more than the
        # traversal itself.
        self.owners: List[cst.CSTNode] = []
        self.calls_by_owner: Dict[int, List[cst.Call]] = {}
        self.lambdas = 0
        self.test_scopes = 0  # inside `class TestX` / `def test_x` / `class FakeX` outside tests/
        # Per function being traversed: its calls and comparisons (what it shows about its names).
        self.func_calls: List[List[cst.Call]] = []
        self.func_comparisons: List[List[cst.Comparison]] = []
        self.credentials = Credentials(ctx)
        values = Values(ctx, self.credentials)
        self.sinks = Sinks(ctx, values, self.report, self.calls_by_owner)
        self.walk = FunctionWalk(ctx, self.credentials, values, self.sinks)
        self.exception_handlers: List[Tuple[str, str]] = []

    # -- file-level knowledge ---------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        constants = astutil.module_constants(node)
        self.credentials.read_module(node, constants)
        self.walk.values.read_module(node)
        self.sinks.read_constants(constants)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.owners.append(node)
        self.sinks.note_assign(node)

    # -- the statement holding each call ------------------------------------------------------
    # (libcst finds visitor methods by their __name__: no aliases.)
    def visit_Expr(self, node: cst.Expr) -> None:
        self.owners.append(node)

    def leave_Expr(self, original_node: cst.Expr) -> None:
        self.owners.pop()

    def visit_Return(self, node: cst.Return) -> None:
        self.owners.append(node)

    def leave_Return(self, original_node: cst.Return) -> None:
        self.owners.pop()

    def visit_Raise(self, node: cst.Raise) -> None:
        self.owners.append(node)

    def leave_Raise(self, original_node: cst.Raise) -> None:
        self.owners.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.owners.append(node)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self.owners.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.owners.append(node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self.owners.pop()

    def visit_If(self, node: cst.If) -> None:
        self.owners.append(node)

    def leave_If(self, original_node: cst.If) -> None:
        self.owners.pop()

    def visit_For(self, node: cst.For) -> None:
        self.owners.append(node)

    def leave_For(self, original_node: cst.For) -> None:
        self.owners.pop()

    def visit_While(self, node: cst.While) -> None:
        self.owners.append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self.owners.pop()

    def visit_With(self, node: cst.With) -> None:
        self.owners.append(node)

    def leave_With(self, original_node: cst.With) -> None:
        self.owners.pop()

    def visit_Match(self, node: cst.Match) -> None:
        self.owners.append(node)

    def leave_Match(self, original_node: cst.Match) -> None:
        self.owners.pop()

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self.owners.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.lambdas += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.lambdas -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_exception_handler":
            # `app.add_exception_handler(InvalidInvite, log_and_refuse)`
            exc, handler = astutil.argument(node, "exc_class_or_status_code", 0), astutil.argument(node, "handler", 1)
            q = self.ctx.qualify(handler) if isinstance(handler, (cst.Name, cst.Attribute)) else None
            if exc is not None and q and astutil.name_of(exc):
                self.exception_handlers.append((astutil.name_of(exc), q))
        if self.owners and not self.lambdas:
            self.calls_by_owner.setdefault(id(self.owners[-1]), []).append(node)
        if self.func_calls:
            self.func_calls[-1].append(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.func_comparisons:
            self.func_comparisons[-1].append(node)

    # -- classes and functions --------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_depth += 1
        self.class_names.append(node.name.value)
        self.test_scopes += is_test_name(node.name.value)
        self.credentials.enter_class(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.class_depth -= 1
        self.class_names.pop()
        self.test_scopes -= is_test_name(original_node.name.value)
        self.credentials.leave_class()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1
        self.test_scopes += is_test_name(node.name.value)
        self.func_calls.append([])
        self.func_comparisons.append([])

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        top = self.depth == 1 and self.class_depth == 0
        # A method of a top-level class (`Invites.issue`): summarised too, for calls through instances.
        owner = self.class_names[0] if self.depth == 1 and self.class_depth == 1 else None
        self.depth -= 1
        calls = self.func_calls[-1] if self.func_calls else []
        comparisons = self.func_comparisons[-1] if self.func_comparisons else []
        self.walk.function(original_node, top, calls, comparisons, self.in_test, owner)
        if top:
            self._exception_handler(original_node)
        self.test_scopes -= is_test_name(original_node.name.value)
        calls, comparisons = self.func_calls.pop(), self.func_comparisons.pop()
        if self.func_calls:  # a nested function's calls are its enclosing function's too
            self.func_calls[-1].extend(calls)
            self.func_comparisons[-1].extend(comparisons)

    def _exception_handler(self, func: cst.FunctionDef) -> None:
        """`@app.exception_handler(InvalidInvite)` on a top-level function."""
        for dec in func.decorators:
            callee, call = astutil.decorator_call(dec)
            if call is not None and isinstance(callee, cst.Attribute) and callee.attr.value == "exception_handler":
                exc = astutil.argument(call, "exc_class_or_status_code", 0)
                if exc is not None and astutil.name_of(exc):
                    module = self.ctx.module_name
                    name = func.name.value
                    self.exception_handlers.append((astutil.name_of(exc), f"{module}.{name}" if module else name))

    @property
    def in_test(self) -> bool:
        return self.ctx.is_test or self.test_scopes > 0 or is_test_like_path(self.ctx.rel)

    def leave_Module(self, original_node: cst.Module) -> None:
        self.walk.module(original_node, self.in_test)

    def facts(self) -> TokenFacts:
        return TokenFacts(schemes=sorted(self.credentials.schemes), aliases=dict(self.credentials.aliases),
                          functions=self.walk.function_facts, instances=dict(self.credentials.instances),
                          holders=dict(self.credentials.holders),
                          exception_handlers=sorted(set(self.exception_handlers)), held=self.sinks.held)
