"""The token-handling family (spec §7.1–§7.2): FAL401 token-logged and FAL402
token-in-error-or-response: where raw credentials go.

A small taint analysis per function (statements in order; no CST kept after the file), split by
the question each module answers:

    credentials.py                 what is a credential (the sources)
    taint.py                       what a value may hold; the state of one function being read
    values.py                      what an expression or a name holds (propagation, origins)
    flow.py                        a function's statements in order
    sinks.py                       where a credential must not go (logs, errors, responses)
    visitor.py                     the traversal that feeds them
    facts.py                       per-file facts for the linking step
    summaries.py                   what project functions do with credentials, across files
    link.py                        the findings that need more than one file
    token_logged.py                FAL401 token-logged: what counts, how it is worded
    token_in_error_or_response.py  FAL402 token-in-error-or-response: what counts, how it is worded
"""

from __future__ import annotations

from typing import Iterable

from fastauthlint.checks.base import Check
from fastauthlint.checks.tokens import link as _link
from fastauthlint.checks.tokens.token_in_error_or_response import RULE as ECHOED
from fastauthlint.checks.tokens.token_logged import RULE as LOGGED
from fastauthlint.checks.tokens.visitor import TokensVisitor
from fastauthlint.findings import Finding


class TokensCheck(Check):
    name = "tokens"
    rules = (LOGGED, ECHOED)

    def visitor(self, ctx):
        return TokensVisitor(ctx)

    def link(self, project) -> Iterable[Finding]:
        return _link.link(project, self.name)


CHECK = TokensCheck()
