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
from typing import Dict, List, Optional, Sequence, Tuple

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
    """Syntactic positions of the nodes of one module, computed on the first request.

    A request made inside a top-level function or class, or inside a method of a top-level class
    (the caller passes the `scopes` it is in: FileContext keeps them during the traversal),
    generates the code of that statement alone (a *unit*) instead of the whole module's: files
    with a finding or a located fact often ask about a few functions of many. A unit's code
    depends only on the indentation of the blocks around it, and it starts at column 0 of some
    line; that line is found by searching the unit's code in the source (libcst's code is the
    source, character for character): it must occur once, at the start of a line, or the module
    is computed whole. So a unit's positions are the module's, or they are not used."""

    def __init__(self, module: cst.Module, source: Optional[str] = None) -> None:
        self.module = module
        # the text parsed (units need it; without it, or without a final newline, whole module)
        self.source = source if module.has_trailing_newline else None
        self._computed: Optional[Dict[int, Range]] = None  # the whole module's, once computed
        self._partial: Dict[int, Range] = {}  # the units computed so far
        self._tried: set = set()  # id of each statement tried as a unit
        self._bodies: Dict[int, set] = {}  # id(module or class) -> ids of its body's statements

    def _compute(self) -> Dict[int, Range]:
        module = self.module
        state = _PositionState(module.default_indent, module.default_newline)
        module._codegen(state)
        return state.computed

    def range(self, node: cst.CSTNode, scopes: Sequence[cst.CSTNode] = ()) -> Range:
        """(line, column, end line, end column) of `node`, like PositionProvider's CodeRange
        (`start.line, start.column, end.line, end.column`). KeyError for a node that is not in
        this module. `scopes`: the functions and classes the caller is inside, outermost first
        (where `node` most likely is)."""
        computed = self._computed
        if computed is None:
            found = self._partial.get(id(node))
            if found is not None:
                return found
            if scopes and self.source is not None:
                for unit, indents in reversed(self._units(scopes)):
                    if self._compute_unit(unit, indents):
                        found = self._partial.get(id(node))
                        if found is not None:
                            return found
            computed = self._computed = self._compute()
            self._partial = {}
        return computed[id(node)]

    # -- units ------------------------------------------------------------------------------------
    def _body_ids(self, owner: cst.CSTNode, body) -> set:
        ids = self._bodies.get(id(owner))
        if ids is None:
            ids = self._bodies[id(owner)] = {id(s) for s in body}
        return ids

    def _units(self, scopes: Sequence[cst.CSTNode]) -> List[Tuple[cst.CSTNode, Tuple[str, ...]]]:
        """The scopes that are units, outermost first, with the indentation around each: a
        statement of the module, then of each class's indented body down the chain."""
        out: List[Tuple[cst.CSTNode, Tuple[str, ...]]] = []
        owner: cst.CSTNode = self.module
        body = self.module.body
        indents: Tuple[str, ...] = ()
        for scope in scopes:
            if id(scope) not in self._body_ids(owner, body):
                break
            out.append((scope, indents))
            if type(scope) is not cst.ClassDef or type(scope.body) is not cst.IndentedBlock:
                break
            indent = scope.body.indent
            indents = indents + (self.module.default_indent if indent is None else indent,)
            owner, body = scope, scope.body.body
        return out

    def _compute_unit(self, stmt: cst.CSTNode, indents: Tuple[str, ...]) -> bool:
        """Compute the positions of `stmt`'s nodes alone, unless tried already; False when not
        computed now."""
        if id(stmt) in self._tried:
            return False
        self._tried.add(id(stmt))
        module = self.module
        state = _PositionState(module.default_indent, module.default_newline)
        state.indent_tokens = list(indents)
        stmt._codegen(state)
        code = "".join(state.tokens)
        source = self.source
        at = source.find(code) if code else -1
        if at < 0 or (at > 0 and source[at - 1] not in "\r\n") or source.find(code, at + 1) >= 0:
            return False  # not found once at the start of a line: the module decides
        shift = (source.count("\n", 0, at) if "\r" not in source
                 else len(_NEWLINE.findall(source, 0, at)))
        partial = self._partial
        for key, (line, column, end_line, end_column) in state.computed.items():
            partial[key] = (line + shift, column, end_line + shift, end_column)
        return True


class _CodeState:
    """Duck-typed libcst CodegenState that only collects the tokens: libcst's own runs a
    generator-based context manager for every node that records a syntactic position."""

    __slots__ = ("default_indent", "default_newline", "indent_tokens", "tokens")

    def __init__(self, default_indent: str, default_newline: str) -> None:
        self.default_indent = default_indent
        self.default_newline = default_newline
        self.indent_tokens: List[str] = []
        self.tokens: List[str] = []

    def increase_indent(self, value: str) -> None:
        self.indent_tokens.append(value)

    def decrease_indent(self) -> None:
        self.indent_tokens.pop()

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        pass

    def after_codegen(self, node: cst.CSTNode) -> None:
        pass

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.tokens.pop()

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> "_CodeState":
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        return False


def code_for_node(module: cst.Module, node: cst.CSTNode) -> str:
    """`module.code_for_node(node)`, the same string, about twice as fast."""
    state = _CodeState(module.default_indent, module.default_newline)
    node._codegen(state)
    return "".join(state.tokens)
