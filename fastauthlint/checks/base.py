"""The shape of a check: one family of rules, a per-file visitor and an optional linking step.

A check module defines `CHECK = SomeCheck()`. Per file, `visitor(ctx)` returns a libcst visitor
that runs in the single batched traversal with every other check's visitor; it reports local
findings and returns plain-data facts (never CST nodes: they cross process boundaries and are
cached). After all files are read, `link(project)` sees every file's facts and reports the
findings that need more than one file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, List, Optional, Tuple

import libcst as cst

from fastauthlint.options import Option
from fastauthlint.context import BatchedVisitor, FileContext
from fastauthlint.findings import Finding


class CheckVisitor(BatchedVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__()
        self.ctx = ctx
        self.findings: List[Finding] = []

    def report(self, rule: str, node: cst.CSTNode, message: str, **kw) -> None:
        self.findings.append(self.ctx.finding(rule, node, message, **kw))

    def facts(self) -> Any:
        """Plain, picklable facts about this file for the linking phase (None: nothing)."""
        return None


class ScopeNames:
    """For a visitor that judges a function when linking by who uses it: the qualified names of the
    function being visited and of its class (`app.auth.Bearer.__call__`, `app.auth.Bearer`). The
    visitor calls `enter_scope`/`leave_scope` from its own FunctionDef methods."""

    _scope: List[str]

    def init_scope(self, ctx: FileContext) -> None:
        self._scope = [ctx.module_name] if ctx.module_name else []

    def enter_scope(self, name: str) -> None:
        self._scope.append(name)

    def leave_scope(self) -> None:
        self._scope.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def owners(self) -> Tuple[str, ...]:
        """The innermost scope's qualified name, then its parent's."""
        return tuple(".".join(self._scope[:i]) for i in range(len(self._scope), 0, -1))[:2]


class Check:
    name: str = ""
    rules: Tuple[str, ...] = ()
    options: Tuple[Option, ...] = ()

    def visitor(self, ctx: FileContext) -> Optional[CheckVisitor]:
        return None

    def store(self, facts: Any) -> Any:
        """The form a visitor's facts take in worker results and the cache (default: as they are)."""
        return facts

    def link(self, project: "Project") -> Iterable[Finding]:  # noqa: F821 - avoids an import cycle
        return ()

    def link_inputs(self, root: Path) -> List[Tuple[str, str]]:
        """(path, digest) of the files other than Python sources the link reads (a schema in
        `.sql` files): they join the key of the cached linked findings."""
        return []


class WordGatedCheck(Check):
    """A check whose visitor runs on application files (not tests) whose text mentions its words:
    most files cannot hold what it looks for, and a text search costs far less than a walk."""

    relevant: "re.Pattern[str]"
    visitor_class: type

    def visitor(self, ctx: FileContext) -> Optional[CheckVisitor]:
        if ctx.is_test or not ctx.mentions(self.relevant):
            return None
        return self.visitor_class(ctx)
