"""Node positions, identical to libcst's PositionProvider, at a fraction of its cost.

`PositionProvider` regenerates the module's code with a codegen state that records where each
node starts and ends (its *syntactic* range: without the whitespace and comments a node owns).
Resolving it through `MetadataWrapper.resolve` costs about two parses per file, most of it not
the code generation: the wrapper also runs a full (tree-rebuilding) traversal for batchable
providers even when there are none, every range is a `CodeRange` of two `CodePosition`
dataclasses, every token is split with a regular expression, and the nodes' syntactic ranges go
through a generator-based context manager. `Positions` drives the same code generation
(`node._codegen(state)`: libcst's own code decides every token and every recorded range) with a
leaner state that records the same numbers:

- a token without a line break only moves the column; one with line breaks is split exactly as
  libcst's `_update_position` splits it (`\\r\\n`, `\\r` and `\\n`);
- ranges are plain tuples keyed by node identity, built only when a node is asked for;
- `record_syntactic_position` is the state itself used as a context manager (no generator).

The semantics are libcst's `PositionProvidingCodegenState`, line for line: a node's range is
recorded when its code generation ends unless a syntactic range was recorded for it inside;
`start_node`/`end_node` hoist a child's start/end. Equality with PositionProvider on every node is
checked by tests/test_positions.py (fixture apps, examples, tricky syntax) and on the benchmark
corpus by benchmarks/check_positions.py.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import libcst as cst

_NEWLINE = re.compile(r"\r\n?|\n")

# (line, column, end line, end column): lines 1-based, columns 0-based, as libcst's CodeRange.
Range = Tuple[int, int, int, int]


class _PositionState:
    """Duck-typed libcst CodegenState that records positions (see the module docstring)."""

    __slots__ = ("default_indent", "default_newline", "indent_tokens", "tokens", "line", "column",
                 "_starts", "_syntactic", "computed")

    def __init__(self, default_indent: str, default_newline: str) -> None:
        self.default_indent = default_indent
        self.default_newline = default_newline
        self.indent_tokens: List[str] = []
        self.tokens: List[str] = []
        self.line = 1  # one-indexed
        self.column = 0  # zero-indexed
        self._starts: List[Tuple[int, int]] = []
        self._syntactic: List[tuple] = []
        self.computed: Dict[int, Range] = {}  # id(node) -> range

    # -- what CodegenState offers -----------------------------------------------------------------
    def increase_indent(self, value: str) -> None:
        self.indent_tokens.append(value)

    def decrease_indent(self) -> None:
        self.indent_tokens.pop()

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            segments = _NEWLINE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._starts.pop()
        key = id(node)
        if key not in self.computed:  # a syntactic range recorded inside wins
            self.computed[key] = (start[0], start[1], self.line, self.column)

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.tokens.pop()

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> "_PositionState":
        self._syntactic.append((node, start_node, end_node, self.line, self.column))
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        node, start_node, end_node, line, column = self._syntactic.pop()
        end_line, end_column = self.line, self.column
        if start_node is not None:
            line, column = self.computed[id(start_node)][:2]
        if end_node is not None:
            end_line, end_column = self.computed[id(end_node)][2:]
        self.computed[id(node)] = (line, column, end_line, end_column)
        return False


class Positions:
    """Syntactic positions of the nodes of one module, computed on the first request."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._computed: Optional[Dict[int, Range]] = None

    def _compute(self) -> Dict[int, Range]:
        module = self.module
        state = _PositionState(module.default_indent, module.default_newline)
        module._codegen(state)
        return state.computed

    def range(self, node: cst.CSTNode) -> Range:
        """(line, column, end line, end column) of `node`, like PositionProvider's CodeRange
        (`start.line, start.column, end.line, end.column`). KeyError for a node that is not in
        this module."""
        computed = self._computed
        if computed is None:
            computed = self._computed = self._compute()
        return computed[id(node)]
