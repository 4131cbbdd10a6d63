"""Where a node is, without libcst's PositionProvider.

The ownership facts need the location of every query, helper call and refusal, in files that
often have no finding at all (crud, repository and service modules). PositionProvider generates
the whole module's code with position tracking, which costs about as much as parsing it again;
so each node is instead found in the source text: its generated code (cheap for one call) is
searched from the start of the enclosing function, after the previous node found there (the walk
follows source order), skipping matches inside comments. When the text cannot be found (code
generated differently from the source, e.g. a multi-line expression whose continuation lines
depend on the enclosing indentation), the first line is used; and when even that fails the
PositionProvider is the fallback, so a location is never wrong, only occasionally costly.
"""

from __future__ import annotations

import bisect
import re
from typing import Dict, List, Optional

import libcst as cst

from fastauthlint.context import FileContext
from fastauthlint.findings import Span
from fastauthlint.positions import code_for_node


class SourceLocator:
    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.source = ctx.source
        self._line_starts: Optional[List[int]] = None
        self._defs: Dict[str, List[int]] = {}
        self._claimed: set = set()  # (offset, text) already attributed to a node
        self._code: Dict[tuple, Optional[str]] = {}

    # -- offsets <-> lines ------------------------------------------------------------------
    def _starts(self) -> List[int]:
        if self._line_starts is None:
            starts = [0]
            for m in re.finditer("\n", self.source):
                starts.append(m.end())
            self._line_starts = starts
        return self._line_starts

    def _line_col(self, offset: int):
        starts = self._starts()
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    def _in_comment(self, offset: int) -> bool:
        """Whether a `#` outside string quotes precedes `offset` on its line."""
        starts = self._starts()
        i = bisect.bisect_right(starts, offset) - 1
        prefix = self.source[starts[i]:offset]
        if "#" not in prefix:
            return False
        quote = None
        k = 0
        while k < len(prefix):
            ch = prefix[k]
            if quote is not None:
                if ch == "\\":
                    k += 1
                elif ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                return True
            k += 1
        return False

    # -- function scopes ----------------------------------------------------------------------
    def def_offset(self, name: str, occurrence: int) -> int:
        """Offset of the `occurrence`-th (0-based, source order) `def name` line, else -1."""
        if not self._defs and not getattr(self, "_defs_done", False):
            for m in re.finditer(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", self.source, re.M):
                self._defs.setdefault(m.group(1), []).append(m.start())
            self._defs_done = True
        found = self._defs.get(name, ())
        return found[occurrence] if occurrence < len(found) else -1

    # -- nodes ----------------------------------------------------------------------------------
    def code(self, node: cst.CSTNode, strip_parens: bool = False) -> Optional[str]:
        """The node's source code, stripped (cached: a node is often both located and quoted)."""
        key = (id(node), strip_parens)
        if key in self._code:
            return self._code[key]
        try:
            n = node.with_changes(lpar=[], rpar=[]) if strip_parens and getattr(node, "lpar", None) else node
            text: Optional[str] = code_for_node(self.ctx.module, n).strip()
        except Exception:
            text = None
        self._code[key] = text
        return text

    def _matches(self, at: int, squeezed: str) -> int:
        """End offset when the source from `at` spells `squeezed` (the code without whitespace),
        whitespace aside; -1 otherwise."""
        src = self.source
        i, n = at, len(src)
        for ch in squeezed:
            while i < n and src[i] in " \t\r\n\\":
                i += 1
            if i >= n or src[i] != ch:
                return -1
            i += 1
        return i

    def find(self, node: cst.CSTNode, start: int, claim: bool = True) -> Optional[Span]:
        """The span of `node`, searching from offset `start` for an occurrence of its code that no
        other node claimed; None when not found."""
        text = self.code(node, strip_parens=True)
        if text is None:
            return None
        if not text:
            return None
        first = text.split("\n", 1)[0].rstrip()
        squeezed = re.sub(r"[ \t\r\n\\]+", "", text)
        pos = start
        while True:
            at = self.source.find(first, pos)
            if at < 0:
                return None
            end = self._matches(at, squeezed) if "\n" in text else at + len(text)
            glued = at > 0 and (self.source[at - 1].isalnum() or self.source[at - 1] in "_.") and \
                (first[:1].isalnum() or first[:1] == "_")
            if end >= 0 and not glued and not self._in_comment(at) and (not claim or (at, text) not in self._claimed):
                break
            pos = at + 1
        if claim:
            self._claimed.add((at, text))
        line, col = self._line_col(at)
        end_line, end_col = self._line_col(end)
        return Span(line, col, end_line, end_col)

    def find_before(self, node: cst.CSTNode, end: int) -> Optional[Span]:
        """The last occurrence of `node` before offset `end` (decorators of a function)."""
        try:
            text = code_for_node(self.ctx.module, node).strip()
        except Exception:
            return None
        first = text.split("\n", 1)[0]
        at = self.source.rfind(first, 0, max(end, 0))
        if at < 0 or "\n" in text:
            return None
        line, col = self._line_col(at)
        return Span(line, col, line, col + len(first))

    def offset_of(self, span: Span) -> int:
        starts = self._starts()
        return starts[span.line - 1] + span.column - 1 if 0 < span.line <= len(starts) else 0


_IF_HEAD = re.compile(r"^[ \t]*((?:el)?if)\b", re.M)


class FunctionLocator:
    """Locations inside one function, found in source order."""

    def decorator_span(self, node: cst.CSTNode) -> Span:
        found = self.locator.find_before(node, self.start) if self.reliable else None
        return found if found is not None else self.locator.ctx.span(node)

    def __init__(self, locator: SourceLocator, start: int):
        self.locator = locator
        self.start = max(start, 0)
        self.cursor = self.start
        self.reliable = start >= 0
        self._done: Dict[int, Span] = {}  # a node may be located twice (a query also read as a call)
        self._stmt: Optional[cst.CSTNode] = None
        self._stmt_start: Optional[int] = None

    def span(self, node: cst.CSTNode, after: Optional[Span] = None) -> Span:
        done = self._done.get(id(node))
        if done is not None:
            return done
        self._done[id(node)] = found = self._span(node, after)
        return found

    def statement(self, stmt: cst.CSTNode) -> None:
        """The walk entered a simple statement: nodes are searched from its start (located
        lazily, only if a node in it needs a location)."""
        self._stmt = stmt
        self._stmt_start = None

    def _origin(self) -> int:
        if self._stmt is not None and self._stmt_start is None:
            at = self._head_offset(self._stmt)
            if at is None and isinstance(self._stmt, cst.If):
                at = self.cursor  # never the whole `if` statement's code: it may be long
            if at is None:
                found = self.locator.find(self._stmt, self.cursor, claim=False)
                if found is None and self.cursor > self.start:
                    found = self.locator.find(self._stmt, self.start, claim=False)
                at = self.locator.offset_of(found) if found is not None else self.cursor
            self._stmt_start = at
            self.cursor = at
        return self._stmt_start if self._stmt_start is not None else self.cursor

    def _head_offset(self, stmt: cst.CSTNode) -> Optional[int]:
        """Where a simple statement starts, found by its head only (`x =`, `return`, `raise`,
        `session.add(`): generating the whole statement costs more than the rest of the lookup;
        an `if` by its keyword at the start of a line (its test names what the statement before
        it bound: `row = ...` then `if row:`)."""
        if isinstance(stmt, cst.If):
            m = _IF_HEAD.search(self.locator.source, self.cursor)
            while m is not None and self.locator._in_comment(m.start(1)):
                m = _IF_HEAD.search(self.locator.source, m.end())
            return m.start(1) if m is not None else None
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and stmt.body else None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            head, tail = self.locator.code(small.targets[0].target), r"\s*="
        elif isinstance(small, cst.AnnAssign):
            head, tail = self.locator.code(small.target), r"\s*:"
        elif isinstance(small, cst.Return):
            head, tail = "return", r"\b"
        elif isinstance(small, cst.Raise):
            head, tail = "raise", r"\b"
        elif isinstance(small, cst.Expr):
            v = small.value.expression if isinstance(small.value, cst.Await) else small.value
            if not isinstance(v, cst.Call):
                return None
            head, tail = self.locator.code(v.func), r"\s*\("
            if isinstance(small.value, cst.Await):
                head = "await " + head if head else head
        else:
            return None
        if not head or "\n" in head:
            return None
        pattern = re.compile(r"(?<![\w.])" + re.escape(head).replace(r"\ ", r"\s+") + tail)
        src = self.locator.source
        pos = self.cursor
        while True:
            m = pattern.search(src, pos)
            if m is None:
                return None
            if not self.locator._in_comment(m.start()):
                return m.start()
            pos = m.start() + 1

    def _span(self, node: cst.CSTNode, after: Optional[Span] = None) -> Span:
        if self.reliable:
            origin = self._origin()
            if after is not None:
                origin = max(self.start, self.locator.offset_of(after))
            found = self.locator.find(node, origin)
            if found is None and origin > self.start:
                found = self.locator.find(node, self.start)
            if found is not None:
                return found
        return self.locator.ctx.span(node)
