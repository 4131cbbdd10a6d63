"""Small questions about statement blocks, shared by the walker's concerns: the statements of a
block, and whether a block ends the request (`raise`, `return`, a helper that raises)."""

from __future__ import annotations

from typing import Optional, Sequence

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.summary.known import RAISER


def terminates(block: Optional[cst.BaseSuite]) -> bool:
    if block is None:
        return False
    stmts = block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    for stmt in stmts:
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else (
            [stmt] if isinstance(stmt, cst.BaseSmallStatement) else [])
        for small in smalls:
            if isinstance(small, (cst.Raise, cst.Return, cst.Continue, cst.Break)):
                return True
            # `raise_not_found()` / `abort(404)`: helpers that raise
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Call, cst.Await)):
                call = small.value.expression if isinstance(small.value, cst.Await) else small.value
                if isinstance(call, cst.Call) and RAISER.match(astutil.name_of(call.func) or ""):
                    return True
    return False


def block_statements(block: Optional[cst.BaseSuite]) -> Sequence:
    if isinstance(block, cst.IndentedBlock):
        return block.body
    if isinstance(block, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=block.body)]
    return ()

