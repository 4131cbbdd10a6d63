"""What one file says about code that may never run (unreached.py decides it for the project):

- every name the file uses: a name read, an attribute (`.verify_email`), an identifier in a
  string (`getattr(svc, "verify_email")`, `__all__`, `"app.main:create_app"`), and the literal
  head of an f-string (`getattr(self, f"handle_{kind}")` may name any `handle_*`). A function's
  use of its own name (recursion) is no use;
- its methods that only a use by name can run: not a dunder, not decorated (a decorator may
  register it; `@staticmethod`, `@classmethod` register nothing), in a top-level class that has no
  decorator and no keywords (a class decorator or metaclass may register its methods);
- the `except X:` handlers of its functions, with what their `try` body uses, and what every
  function uses (the linking step follows those uses to learn whether the body can raise X).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint.astutil import name_of
from fastauthlint.context import BatchedVisitor, FileContext

FACTS_KEY = "unreached"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEAD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)$")
_REGISTERING_NOTHING = frozenset({"staticmethod", "classmethod"})
_MAX_STRING = 400  # identifiers in longer strings (prose, SQL, templates) are not looked at


@dataclass
class Method:
    cls: str  # the top-level class
    name: str
    line: int
    end_line: int


@dataclass
class Handler:
    """An `except` clause: the exceptions it names (qualified where an import says, else as
    written), the lines of its body, and the names its `try` body uses."""

    caught: Tuple[str, ...]
    line: int
    end_line: int
    uses: Tuple[str, ...]


@dataclass
class UnreachedFacts:
    used: Tuple[str, ...] = ()  # names the code uses
    # identifiers in its strings, hashed (said()): a string may hold a secret, and the cache never does
    said: Tuple[str, ...] = ()
    prefixes: Tuple[str, ...] = ()  # literal heads of f-strings
    methods: List[Method] = field(default_factory=list)
    # top-level class -> its bases (qualified where an import says, else as written), "" for one
    # that is not a plain name (a call, a subscript)
    classes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    handlers: List[Handler] = field(default_factory=list)
    # function (qualname) -> the names it uses outside `except` clauses' types and imports
    uses: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # names used outside functions (module level, class bodies; class bases and imports aside):
    # a value handed on from there may be raised anywhere
    ambient: Tuple[str, ...] = ()


class UnreachedCollector(BatchedVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__()
        self.ctx = ctx
        self._used: Set[str] = set()
        self._said: Set[str] = set()
        self._prefixes: Set[str] = set()
        self._ambient: Set[str] = set()
        self._out = UnreachedFacts()
        self._funcs: List[Tuple[str, str, Set[str]]] = []  # (qualname, name, uses)
        self._classes: List[Tuple[str, bool]] = []  # (qualname, may register its methods)
        self._tries: List[Tuple[Set[str], cst.Try]] = []  # body uses of the `try`s being read
        self._defining: Set[int] = set()  # the names of defs and classes (defining is no use)
        self._kinds: List[str] = []  # "class" / "func", outermost first
        self._skip_depth = 0  # inside what is no use (imports, class bases, `except` types)

    # -- scopes --------------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._defining.add(id(node.name))
        registers = bool(node.decorators) or bool(node.keywords)
        qual = node.name.value if not self._kinds else ""
        self._classes.append((qual, registers))
        self._kinds.append("class")
        if qual and not registers:
            self._out.classes[qual] = tuple(self._base(b.value) for b in node.bases)

    def _base(self, expr: cst.BaseExpression) -> str:
        if isinstance(expr, (cst.Name, cst.Attribute)):
            return self.ctx.qualify(expr) or name_of(expr) or ""
        return ""

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._kinds.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._defining.add(id(node.name))
        name = node.name.value
        # a method of a top-level class: the only scope around it is that class
        cls = self._classes[0][0] if self._kinds == ["class"] else ""
        qual = f"{cls}.{name}" if cls else (self._funcs[-1][0] + ".<locals>." if self._funcs else "") + name
        if cls and not self._classes[0][1] and not _dunder(name) and all(
                name_of(d.decorator) in _REGISTERING_NOTHING for d in node.decorators):
            span = self.ctx.span(node)
            self._out.methods.append(Method(cls, name, span.line, span.end_line))
        self._funcs.append((qual, name, set()))
        self._kinds.append("func")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        qual, _, uses = self._funcs.pop()
        self._kinds.pop()
        if self._funcs:
            self._funcs[-1][2].update(uses)  # a nested function runs when its parent calls it
        self._out.uses[qual] = tuple(sorted(uses))

    # -- `try` / `except` ----------------------------------------------------------------------
    def visit_Try(self, node: cst.Try) -> None:
        self._tries.append((set(), node))

    def visit_Try_handlers(self, node: cst.Try) -> None:
        body_uses, _ = self._tries[-1]
        self._tries[-1] = (set(), node)  # the handlers' own uses are not the body's
        for h in node.handlers:
            caught = _caught(self.ctx, h.type) if self._funcs else None
            if caught:
                span = self.ctx.span(h)
                self._out.handlers.append(Handler(caught, span.line, span.end_line, tuple(sorted(body_uses))))

    def leave_Try(self, original_node: cst.Try) -> None:
        self._tries.pop()

    # a class attribute's definition (`ACCESS_TOKEN_EXPIRE_MINUTES: int = 60`) is no use of it
    def visit_Assign(self, node: cst.Assign) -> None:
        if self._kinds and self._kinds[-1] == "class":
            self._defining.update(id(t.target) for t in node.targets if isinstance(t.target, cst.Name))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._kinds and self._kinds[-1] == "class" and isinstance(node.target, cst.Name):
            self._defining.add(id(node.target))

    # what is no use: importing a name, naming a class's base, the types an `except` catches
    def visit_Import(self, node: cst.Import) -> None:
        self._skip_depth += 1

    def leave_Import(self, original_node: cst.Import) -> None:
        self._skip_depth -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._skip_depth += 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._skip_depth -= 1

    def visit_ClassDef_bases(self, node: cst.ClassDef) -> None:
        self._skip_depth += 1

    def leave_ClassDef_bases(self, node: cst.ClassDef) -> None:
        self._skip_depth -= 1

    def visit_ExceptHandler_type(self, node: cst.ExceptHandler) -> None:
        self._skip_depth += 1

    def leave_ExceptHandler_type(self, node: cst.ExceptHandler) -> None:
        self._skip_depth -= 1

    # -- uses ----------------------------------------------------------------------------------
    def _use(self, name: str, own: bool = True) -> None:
        if own and self._funcs and self._funcs[-1][1] == name:
            return  # recursion (`f()` in f, `self.m()` in m): no use from outside
        self._used.add(name)
        if self._skip_depth:
            return
        if self._funcs:
            self._funcs[-1][2].add(name)
        else:
            self._ambient.add(name)
        for uses, _ in self._tries:
            uses.add(name)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._defining:
            self._use(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # `service.verify(...)` inside a route also named `verify` is a use; `self.verify()` is not
        self._use(node.attr.value, own=isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        text = node.value
        if len(text) <= _MAX_STRING:
            for m in _IDENT.finditer(text.strip("'\"").lstrip("rbuRBU")):
                self._said.add(said(m.group(0)))

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        first = node.parts[0] if node.parts else None
        if isinstance(first, cst.FormattedStringText):
            m = _HEAD.search(first.value)
            if m and m.group(1).endswith("_") and len(m.group(1)) <= 24:
                self._prefixes.add(m.group(1))  # `f"handle_{kind}"` (never a value: no secret in the cache)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        for m in _IDENT.finditer(node.value[:_MAX_STRING]):
            self._said.add(said(m.group(0)))

    def facts(self) -> UnreachedFacts:
        self._out.used = tuple(sorted(self._used))
        self._out.said = tuple(sorted(self._said))
        self._out.prefixes = tuple(sorted(self._prefixes))
        self._out.ambient = tuple(sorted(self._ambient))
        return self._out


def said(identifier: str) -> str:
    """How an identifier seen in a string is kept: a short digest, never the text."""
    return hashlib.blake2b(identifier.encode(), digest_size=8).hexdigest()


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _caught(ctx: FileContext, expr: Optional[cst.BaseExpression]) -> Tuple[str, ...]:
    """The classes an `except` names, or () when any is not a plain (dotted) name."""
    if expr is None:
        return ()
    items = [e.value for e in expr.elements] if isinstance(expr, cst.Tuple) else [expr]
    out = []
    for e in items:
        if not isinstance(e, (cst.Name, cst.Attribute)):
            return ()
        q = ctx.qualify(e) or name_of(e)
        if not q:
            return ()
        out.append(q)
    return tuple(out)
