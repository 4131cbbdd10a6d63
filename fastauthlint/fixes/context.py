"""What a fixer sees: one parsed file, its nodes found by a finding's span, and the project hints.

Fixes never trust that a finding still describes the code: each one finds the node at the
finding's span in a fresh parse and checks its shape; when the node there is not what the rule
reports (the file changed, the finding came from a cached run), there is no fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Type, TypeVar

import libcst as cst

from fastauthlint.astutil import iter_children, parameters
from fastauthlint.findings import Finding, Span
from fastauthlint.project.names import ModuleNames
from fastauthlint.positions import Positions

N = TypeVar("N", bound=cst.CSTNode)
Transform = Callable[[cst.CSTNode], cst.CSTNode]

SAFE, UNSAFE = "safe", "unsafe"


@dataclass
class FixPlan:
    """How to fix one finding: transforms of nodes of the original tree (applied bottom-up to the
    node as already updated by fixes of its children), and imports the new code needs."""

    finding: Finding
    applicability: str  # SAFE | UNSAFE
    message: str
    edits: List[Tuple[cst.CSTNode, Transform]] = field(default_factory=list)
    imports: Tuple[str, ...] = ()  # whole statements: "import hmac"


class FixContext:
    def __init__(self, path: str, text: str, module: cst.Module, names: ModuleNames, hints: "object"):
        self.path = path  # absolute POSIX path
        self.text = text
        self.module = module
        self.names = names
        self.hints = hints  # fastauthlint.fixes.hints.ProjectHints
        self._positions = Positions(module)
        self._at: Optional[Dict[Tuple[int, int, int, int], List[cst.CSTNode]]] = None
        self._parent: Dict[int, cst.CSTNode] = {}
        self._memo: Dict[str, object] = {}

    def memo(self, key: str, compute: Callable[[], object]) -> object:
        """A file-wide answer computed once for all the findings of the file."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- finding nodes ---------------------------------------------------------------------------
    def _index(self) -> Dict[Tuple[int, int, int, int], List[cst.CSTNode]]:
        if self._at is None:
            at: Dict[Tuple[int, int, int, int], List[cst.CSTNode]] = {}
            stack: List[cst.CSTNode] = [self.module]
            while stack:
                node = stack.pop()
                for child in iter_children(node):
                    self._parent[id(child)] = node
                    stack.append(child)
                if node is not self.module:
                    line, col, end_line, end_col = self._positions.range(node)
                    at.setdefault((line, col + 1, end_line, end_col + 1), []).append(node)
            self._at = at
        return self._at

    def at(self, span: Span, kind: Type[N]) -> Optional[N]:
        """The node of type `kind` at exactly `span`, or None."""
        for node in self._index().get((span.line, span.column, span.end_line, span.end_column), ()):
            if isinstance(node, kind):
                return node
        return None

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        self._index()
        return self._parent.get(id(node))

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        p = self.parent(node)
        while p is not None:
            yield p
            p = self.parent(p)

    def enclosing(self, node: cst.CSTNode, kind: Type[N]) -> Optional[N]:
        return next((a for a in self.ancestors(node) if isinstance(a, kind)), None)

    def called_at(self, span: Span) -> Optional[cst.Call]:
        """The call whose callee (`jwt.decode`) is at `span`: where the JWT rules report."""
        for node in self._index().get((span.line, span.column, span.end_line, span.end_column), ()):
            call = self.parent(node)
            if isinstance(call, cst.Call) and call.func is node:
                return call
        return None

    # -- names -----------------------------------------------------------------------------------
    def qualify(self, expr: cst.BaseExpression) -> Optional[str]:
        """Qualified name from the file's top-level imports and definitions (function-local
        imports are not seen: a fix that needs them fails closed)."""
        return self.names.qualify(expr)

    def binds(self, name: str, near: cst.CSTNode) -> bool:
        """Is `name` bound at module level or in the function around `near` (a parameter, an
        assignment, an import)? A fix that introduces `name` must not collide with it."""
        if name in self.names.defined or name in self.names.imports:
            return True
        func = self.enclosing(near, cst.FunctionDef)
        while func is not None:
            if any(p.name.value == name for p in parameters(func)):
                return True
            for node in walk(func.body):
                if isinstance(node, cst.Name) and node.value == name:
                    return True
            func = self.enclosing(func, cst.FunctionDef)
        return False

    def module_assignment(self, name: str) -> Optional[cst.BaseExpression]:
        """The value of the one top-level `name = value` of this file (None when there is none,
        several, or the name is also bound otherwise)."""
        found = []
        for stmt in self.module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and any(
                            isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets):
                        found.append(small.value if len(small.targets) == 1 else None)
                    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)) and isinstance(small.target, cst.Name) \
                            and small.target.value == name:
                        found.append(small.value if isinstance(small, cst.AnnAssign) else None)
        return found[0] if len(found) == 1 else None


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node below `node` that carries meaning (no whitespace, commas, brackets), pre-order;
    several times faster than walking `children`."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(iter_children(n))))
