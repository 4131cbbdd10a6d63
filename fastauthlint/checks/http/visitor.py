"""The traversal of the HTTP-contract family (`HttpVisitor`): each call and comparison is handed to
the rule that judges it. All four rules are local to one file; test code is not judged (it is not
what the service answers with, and nobody measures the timing of its comparisons).
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastauthlint.checks.base import CheckVisitor
from fastauthlint.checks.http import (
    cors_wildcard_with_credentials,
    insecure_auth_cookie,
    non_constant_time_compare,
    unauthorized_without_www_authenticate,
)
from fastauthlint.checks.http.constants import ModuleConstants
from fastauthlint.context import FileContext


class HttpVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self.constants = ModuleConstants(ctx)
        self._in_assert = 0
        self._func_stack: List[str] = []

    def _report(self, rule: str, node: cst.CSTNode, message: Optional[str]) -> None:
        if message is not None:
            self.report(rule, node, message)

    # -- calls: FAL601, FAL602, FAL603 --------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return  # test code builds responses and cookies to exercise the app; it is not served
        q = self.ctx.qualify(node.func)
        if q in unauthorized_without_www_authenticate.CALLS:
            self._report(unauthorized_without_www_authenticate.RULE, node,
                         unauthorized_without_www_authenticate.check(self.ctx, self.constants, node, q))
        elif cors_wildcard_with_credentials.is_middleware_call(node, q):
            if cors_wildcard_with_credentials.adds_cors(self.ctx, node, q):
                self._report(cors_wildcard_with_credentials.RULE, node,
                             cors_wildcard_with_credentials.check(self.constants, node))
        elif insecure_auth_cookie.is_set_cookie(node):
            self._report(insecure_auth_cookie.RULE, node, insecure_auth_cookie.check(self.constants, node))

    # -- comparisons: FAL604 ------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._func_stack.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._func_stack.pop()

    @property
    def _in_dunder_eq(self) -> bool:
        return bool(self._func_stack) and self._func_stack[-1] in ("__eq__", "__ne__")

    def visit_Assert(self, node: cst.Assert) -> None:
        self._in_assert += 1

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self._in_assert -= 1

    def visit_Comparison(self, node: cst.Comparison) -> None:
        # Tests compare tokens to check behaviour; nobody measures their timing.
        if self._in_assert or self.ctx.is_test:
            return
        for message in non_constant_time_compare.check(self.ctx, node, self._in_dunder_eq):
            self.report(non_constant_time_compare.RULE, node, message)
